# tests/lib/outputs.sh: comparing an embedded model's outputs with PyTorch's, for the suites
# that do (interop.sh, import.sh, gated.sh).  Sourced; defines:
#   TORCH_PY                    a python3 that imports torch, or empty (the caller skips, saying so)
#   embedded_driver DIR NAME    compile DIR/driver from DIR/NAME.c (an `rnnc embed` pair of a
#                               one-hot model): it steps the model over the bytes of its last
#                               argument and prints each step's outputs on a line (%.17e)
#   max_abs_diff A B            the largest |a - b| between two files of numbers, line by line
TORCH_PY=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import torch' >/dev/null 2>&1; then TORCH_PY=$p; break; fi
done

embedded_driver() {
    local up
    up=$(echo "$2" | tr a-z A-Z)
    sed "s/NAME/$2/g; s/UPPR/$up/g" >"$1/driver.c" <<'C'
#include <stdio.h>
#include "NAME.h"
int main(int argc, char **argv)
{
    struct NAME_state st;
    NAME_real out[UPPR_N_OUT];
    NAME_reset(&st);
    for (const unsigned char *p = (const unsigned char *)argv[argc - 1]; *p; p++) {
        int32_t k = -1;
        for (int32_t i = 0; i < UPPR_VOCAB_SIZE; i++)
            if (NAME_vocab[i] == *p) k = i;
        if (k < 0) return 1;
        NAME_step(&st, &k, out);
        for (int i = 0; i < UPPR_N_OUT; i++) printf("%s%.17e", i ? " " : "", (double)out[i]);
        printf("\n");
    }
    return 0;
}
C
    cc -std=c99 -O2 -o "$1/driver" "$1/driver.c" "$1/$2.c" -lm
}

max_abs_diff() {
    paste -d'\n' "$1" "$2" | awk 'NR % 2 == 1 { n = split($0, a, " "); next }
        { split($0, b, " "); for (i = 1; i <= n; i++) { d = a[i] - b[i]; if (d < 0) d = -d; if (d > m) m = d } }
        END { printf "%.3g", m + 0 }'
}
