/* help.h: the text of `rnnc --help` and of every command's own help (`rnnc help COMMAND`,
 * `rnnc COMMAND --help`): usage, options with their defaults, examples; and the closest of a
 * list of words to a mistyped one.  One source: runtime/commands/man.sh builds the manual page
 * from these texts, as the binary prints them.  Data and pure functions; cli.c prints. */
#ifndef RNNC_HELP_H
#define RNNC_HELP_H

#include <stddef.h>

/* One command: its name, a one-line summary (the global usage's list) and its own help
 * ("usage: rnnc NAME ...", a paragraph, option groups under "heading:" lines, "examples:"; the
 * manual page wraps lines longer than its width).  man.sh reads the layout: a line at column
 * 0 that ends in ':' is a heading (so no line of the paragraph ends in one), an entry is
 * indented by 2, its description continues at column 35. */
typedef struct rnnc_cmd_help {
    const char *name;
    const char *summary;
    const char *text;
    const char *text2;   /* its continuation, or NULL (C99 compilers need take strings of 4095
                            bytes only) */
} rnnc_cmd_help;

/* Every command, in the order of the global usage; count in *n. */
const rnnc_cmd_help *rnnc_help_commands(size_t *n);

/* The command called name, or NULL. */
const rnnc_cmd_help *rnnc_help_find(const char *name);

/* The global usage's three parts: its head (usage lines), then the command list is printed
 * from rnnc_help_commands, then the model (spec) options every model-taking command shares. */
extern const char rnnc_help_head[];
extern const char rnnc_help_model[];

/* The optimal string alignment distance between a and b (insertions, deletions,
 * substitutions and transpositions of neighbours, each 1), at most 255 bytes of each. */
size_t rnnc_edit_distance(const char *a, const char *b);

/* The word of words[0..n) closest to w, when it is close enough to be what was meant (a
 * distance of at most 2 and at most half of w's length; w a prefix of it counts as 1); else
 * NULL. */
const char *rnnc_closest(const char *w, const char *const *words, size_t n);

#endif
