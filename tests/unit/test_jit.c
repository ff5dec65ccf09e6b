/* test_jit.c: the backends' error reporting.  A source with an error must fail to
 * compile on both backends, with a message naming the file and line given by #line and
 * showing that source line; a good source must compile and run. */
#include <stdio.h>
#include <string.h>

#include "../../runtime/jit/jit.h"
#include "../lib/testlib.h"

int main(void)
{
    tl_suite("jit");
    static const char bad[] = "#line 1 \"hand.c\"\n"
                              "int f(int x)\n"
                              "{\n"
                              "    return x + undeclared_y;\n"
                              "}\n";
    static const char good[] = "#line 1 \"good.c\"\n"
                               "int twice(int x) { return 2 * x; }\n";
    const rnnc_backend backends[2] = {RNNC_BACKEND_TCC, RNNC_BACKEND_CC};
    for (int i = 0; i < 2; i++) {
        char err[4096], name[64];
        const char *bn = rnnc_backend_name(backends[i]);
        rnnc_jit *j = rnnc_jit_compile(backends[i], bad, "bad", 0, err, sizeof err);
        snprintf(name, sizeof name, "%s/compile-error-fails", bn);
        tl_expect(j == NULL, name, "a source with an undeclared identifier compiled");
        rnnc_jit_free(j);
        snprintf(name, sizeof name, "%s/message-names-file-and-line", bn);
        tl_expect(strstr(err, "hand.c:3") != NULL, name, "%s", err);
        snprintf(name, sizeof name, "%s/message-shows-source-line", bn);
        tl_expect(strstr(err, "3 |     return x + undeclared_y;") != NULL, name, "%s", err);

        j = rnnc_jit_compile(backends[i], good, "good", 0, err, sizeof err);
        snprintf(name, sizeof name, "%s/good-source-runs", bn);
        int ok = 0;
        if (j) {
            void *p = rnnc_jit_symbol(j, "twice");
            int (*twice)(int);
            memcpy(&twice, &p, sizeof p);
            ok = p && twice(21) == 42;
        }
        tl_expect(ok, name, "%s", j ? "twice(21) != 42" : err);
        rnnc_jit_free(j);
    }
    return tl_status();
}
