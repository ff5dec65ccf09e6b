/* util.h: the two helpers every part of rnnc shares: one-line error messages and atomic file
 * writes.  (In gen/ because runtime/ depends on gen/, never gen/ on runtime/, and gen/ needs
 * the messages too.)  Neither prints anything nor exits. */
#ifndef RNNC_UTIL_H
#define RNNC_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Format a message as printf does and store it in err (errlen bytes, always NUL-terminated)
 * as exactly one line of valid UTF-8: '\n', '\r' and '\t' become the two characters \n, \r,
 * \t, any other control character (below 0x20, and 0x7f) becomes \xHH, a C1 control (U+0080
 * to U+009F) becomes \u00HH, and every byte that is not part of a well-formed UTF-8 sequence
 * (stray continuation bytes, truncated or overlong sequences, surrogates, code points above
 * U+10FFFF, bytes 0xC0, 0xC1, 0xF5..0xFF) becomes \xHH; well-formed UTF-8 is kept as it is.
 * So file names and quoted input can neither break the line nor make it invalid text.
 * Applying it to its own output changes nothing.  A message that does not fit is cut, but
 * never inside an escape or a UTF-8 sequence.  The message is formatted before err is
 * written, so an argument may point into err.  Does nothing when err is NULL or errlen is 0.
 * Returns -1, so a caller can `return rnnc_fail(err, errlen, ...);`; one that needs another
 * code writes `rnnc_fail(err, errlen, ...); return code;`. */
int rnnc_fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The status that a library function returns, where its contract says so, when it failed
 * only because memory ran out (a runtime failure: the CLI exits 1), as opposed to -1 for a
 * bad input (exit 2).  The message in err says "out of memory" either way. */
#define RNNC_ENOMEM (-2)

/* A piece of a file to write. */
typedef struct rnnc_span {
    const void *data;
    size_t len;
} rnnc_span;

/* Replace the file path by data[0..len) atomically: a reader (or a crash, or a kill -9) sees
 * either the old file or the complete new one, never a part.  The bytes go to the temporary
 * file PATH.tmp.PID in the same directory (created with mode 0644 less the umask; a stale one
 * of that name is overwritten, a symbolic link of that name is refused), written whole
 * (EINTR-safe), fsync'd, closed and renamed over path; then the directory is fsync'd so the
 * rename itself is durable (failing that is not an error: some file systems refuse it).
 * Returns 0, or -1 with a one-line message in err naming path and the step that failed
 * ("PATH: cannot write (fsync): No space left on device"); the temporary file is then
 * removed and path is left as it was.
 *
 * Test hook: with the environment variable RNNC_TEST_CRASH_DURING_SAVE=1, every atomic write
 * (checkpoints, dumps, charts, headers) writes the first half of the bytes to the temporary
 * file and then calls abort(), as a crash or a kill -9 would; the test suite uses it to show
 * that a crash while saving leaves path intact. */
int rnnc_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* rnnc_write_atomic of the concatenation of parts[0..nparts) (without first copying them into
 * one buffer); the same contract, the hook counts half of the total length. */
int rnnc_write_atomic_parts(const char *path, const rnnc_span *parts, size_t nparts, char *err,
                            size_t errlen);

/* 64-bit FNV-1a of p[0..n) continuing from h (start from RNNC_FNV_OFFSET): cache keys and
 * data fingerprints, not security. */
#define RNNC_FNV_OFFSET 14695981039346656037ull
uint64_t rnnc_fnv1a(uint64_t h, const void *p, size_t n);

#endif
