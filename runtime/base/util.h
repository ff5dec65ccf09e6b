/* util.h: the helpers every part of rnnc shares: one-line error messages and the one way
 * rnnc writes files (atomic replacement through temporaries, sets of files, the log, the
 * lock of an output path).  libc only: gen/ and every part of runtime/ use them.  None
 * prints anything or exits. */
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

/* ---- files rnnc writes ------------------------------------------------------------------
 * Every file rnnc writes goes first to a temporary file in the destination's directory,
 * named DEST.tmp.PID.XXXXXX (DEST the destination's file name, PID the writer's process id
 * in decimal, XXXXXX six random characters of [A-Za-z0-9]), created with
 * O_CREAT|O_EXCL|O_NOFOLLOW (so it is always a new file of rnnc's, never a planted one or a
 * link's target), then renamed over DEST: a DEST that is a symbolic link is replaced, never
 * written through.  Before creating one, the writer removes the stale temporaries of DEST
 * left by dead processes (rnnc_clean_stale_at). */

/* Replace the file path by data[0..len) atomically: a reader (or a crash, or a kill -9) sees
 * either the old file or the complete new one, never a part.  The bytes go to a temporary
 * file as above (mode 0644 less the umask), written whole (EINTR-safe), fsync'd, closed and
 * renamed over path; then the directory is fsync'd so the rename itself is durable (failing
 * that is not an error: some file systems refuse it).  Returns 0, or -1 with a one-line
 * message in err naming path and the step that failed ("PATH: cannot write (fsync): No space
 * left on device"); the temporary file is then removed and path is left as it was.
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

/* One file of a set written together. */
typedef struct rnnc_out_file {
    const char *path;
    const rnnc_span *parts;
    size_t nparts;
} rnnc_out_file;

/* Write several files as a set (a NAME.h / NAME.c pair): every file is written to its
 * temporary and fsync'd first, and only when all of them are complete are they renamed into
 * place, in order.  A failure before the renames (a full disk, an unwritable directory)
 * removes every temporary and leaves all the destinations as they were.  What is not atomic:
 * the renames themselves are one system call each, so a crash between two of them (a window
 * of microseconds, once the data is on disk) leaves the first files new and the others old;
 * the generated pairs detect that at compile time (see gen.h).  A rename that fails after
 * others succeeded (it needs an unusual cause: the destination turned into a directory, say)
 * is reported, naming the files already replaced.  Returns 0 or -1 with a message, as
 * rnnc_write_atomic; the test hook fires in the first file. */
int rnnc_write_atomic_set(const rnnc_out_file *files, size_t nfiles, char *err, size_t errlen);

/* rnnc_write_atomic of data[0..len) to the file name in the directory open as dirfd (a name
 * without '/'), the temporary created with permission bits mode (less the umask): the cache
 * writes into a directory it has opened and checked once, so a rename of one of its parents
 * cannot redirect the write.  Same contract and messages (naming "DIR/name" when dirpath is
 * given, else name). */
int rnnc_write_atomic_at(int dirfd, const char *dirpath, const char *name, const void *data,
                         size_t len, unsigned mode, char *err, size_t errlen);

/* Create a new temporary file for the destination name in the directory dirfd (AT_FDCWD for
 * the current one; name without '/'), as above: stale temporaries of name are removed first,
 * then NAME.tmp.PID.XXXXXX is created with O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC and
 * permission bits mode (less the umask), with new random characters until one is free.  Its
 * name is stored in tmp (tmplen bytes).  Returns the open descriptor, or -1 with errno set
 * (ENAMETOOLONG when the name does not fit). */
int rnnc_tmp_create_at(int dirfd, const char *name, unsigned mode, char *tmp, size_t tmplen);

/* Remove, in the directory dirfd, the stale temporaries of the destination name (every
 * temporary rnnc names as above when name is NULL): regular files named NAME.tmp.PID.XXXXXX
 * or NAME.tmp.PID (the form rnnc used before) that belong to the effective user and whose
 * process PID is not this one and no longer exists (kill(PID, 0) fails with ESRCH).
 * Temporaries of live processes, of other users, and anything that is not a regular file are
 * kept.  (A process in another PID namespace sharing the directory looks dead from here.)
 * Returns the number removed; errors are ignored. */
size_t rnnc_clean_stale_at(int dirfd, const char *name);

/* Open the CSV log path for appending whole rows (--log): an existing regular file of the
 * effective user with one link is opened with O_APPEND|O_NOFOLLOW and appended to; anything
 * else at path that is not a directory, device or FIFO (nothing, a symbolic link, a file of
 * another user or with other hard links) is replaced by a new file made as a temporary and
 * renamed into place, so the log is never written through a link.  header (with its newline)
 * is written first when the file is new or empty; an existing file that does not start with
 * header (a log of another kind of run) is refused, so rows of two layouts never mix.  Returns
 * the descriptor, or -1 with a message naming path ("--log: PATH is not a regular file"). */
int rnnc_log_open(const char *path, const char *header, char *err, size_t errlen);

/* Append row[0..len) to the file open as fd (opened by rnnc_log_open) in one write, as a
 * whole: if the write fails or is cut short (a full disk, a file size limit), the file is
 * truncated back to its previous size so that it never ends in part of a row.  Returns 0, or
 * -1 with errno set. */
int rnnc_append_whole(int fd, const void *row, size_t len);

/* Take the advisory lock that makes one process the only writer of path: an exclusive,
 * non-blocking flock(2) on PATH.lock (created if missing, opened with O_NOFOLLOW, never
 * written), held until rnnc_unlock_output.  Returns the lock's descriptor; -2 when another
 * process holds it; -1 on any other failure (a symbolic link at PATH.lock, an unwritable
 * directory); both with a message in err naming PATH.lock.  The lock file is removed at unlock
 * and replaced if it was removed or replaced while this process waited for it, so a stale
 * file left by a killed writer never blocks the next one. */
int rnnc_lock_output(const char *path, char *err, size_t errlen);

/* Release the lock of rnnc_lock_output (fd < 0: nothing): remove PATH.lock if it is still the
 * file this process locked, then close it. */
void rnnc_unlock_output(const char *path, int fd);

/* 64-bit FNV-1a of p[0..n) continuing from h (start from RNNC_FNV_OFFSET): cache keys and
 * data fingerprints, not security. */
#define RNNC_FNV_OFFSET 14695981039346656037ull
uint64_t rnnc_fnv1a(uint64_t h, const void *p, size_t n);

#endif
