/* examples/embed/cortex-m4/startup.c: the least a Cortex-M4 needs to run examples/embed/main.c
 * (see examples/README.md): the vector table, a reset handler that turns the FPU on, copies
 * .data from flash and clears .bss, and a call of main with the command line that the
 * debugger or QEMU passes by semihosting (newlib's librdimon does the I/O the same way).
 *
 *   arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 \
 *       -nostartfiles --specs=nano.specs --specs=rdimon.specs -T link.ld \
 *       startup.c main.c demo_model.c -lm -o demo.elf
 *   qemu-system-arm -M netduinoplus2 -display none -serial null -monitor none \
 *       -semihosting-config enable=on,target=native,arg=demo,arg=300,arg=7,arg=0.8 -kernel demo.elf
 */
#include <stdint.h>
#include <stdlib.h>

int main(int argc, char **argv);
void initialise_monitor_handles(void); /* librdimon: stdin, stdout, stderr by semihosting */
void reset_handler(void);

/* From link.ld. */
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

/* A semihosting call: bkpt 0xAB with the operation in r0 and its argument block in r1. */
static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* Any fault or unexpected interrupt: stop the program (semihosting SYS_EXIT, "run-time
 * error"), so that QEMU exits instead of spinning. */
static void stop(void)
{
    semihost(0x18, (void *)0x20023); /* SYS_EXIT, ADP_Stopped_RunTimeErrorUnknown */
    for (;;) {
    }
}

/* The initial stack pointer and the handlers: reset, then NMI, HardFault, MemManage,
 * BusFault, UsageFault, 4 reserved, SVCall, DebugMonitor, reserved, PendSV, SysTick. */
struct vector_table {
    uint32_t *stack;
    void (*handler[15])(void);
};
__attribute__((section(".vectors"), used)) static const struct vector_table vectors = {
    _estack, {reset_handler, stop, stop, stop, stop, stop, 0, 0, 0, 0, stop, stop, 0, stop, stop},
};

/* argv from the semihosting command line (SYS_GET_CMDLINE): words separated by spaces. */
static char cmdline[256];
static char *args[16];

static int command_line(void)
{
    struct {
        char *buf;
        int len;
    } block = {cmdline, (int)sizeof cmdline - 1};
    int argc = 0;
    char *p = cmdline;
    if (semihost(0x15, &block) != 0) return 0;
    cmdline[block.len] = '\0';
    while (*p && argc < (int)(sizeof args / sizeof args[0]) - 1) {
        while (*p == ' ') *p++ = '\0';
        if (!*p) break;
        args[argc++] = p;
        while (*p && *p != ' ') p++;
    }
    args[argc] = 0;
    return argc;
}

void reset_handler(void)
{
    uint32_t *src = _sidata, *dst;
    int argc;
    /* CPACR: full access to the coprocessors CP10 and CP11, the single-precision FPU; before
     * any floating-point instruction (the code is built with -mfloat-abi=hard). */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    for (dst = _sdata; dst < _edata;) *dst++ = *src++;
    for (dst = _sbss; dst < _ebss;) *dst++ = 0;
    initialise_monitor_handles();
    argc = command_line();
    exit(main(argc, args));
}
