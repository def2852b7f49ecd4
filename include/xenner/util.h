/* util.h — host-side helpers: fatal errors, tracing, files, allocation. */
#ifndef XENNER_UTIL_H
#define XENNER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses (README "Exit status"). */
#define EXIT_POWEROFF   0
#define EXIT_SETUP      1
#define EXIT_CRASH      2
#define EXIT_REBOOT     3
#define EXIT_DIED       4
#define EXIT_INTEGRITY  5       /* --check-integrity found the stub changed or a guest mapping it may not have */

/* One line on stderr ("xenner: ..."), then exit(EXIT_SETUP). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* One line on stderr, no exit. */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xzalloc(size_t size);

/* Format a one-line reason into err[errlen] and return -1 (for parsers' error paths). */
int fail_with(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Read a whole file. Returns NULL and a reason ("No such file or directory",
 * "file too large") in err on failure.
 */
uint8_t *read_file(const char *path, size_t *size, size_t max, char *err, size_t errlen);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

#endif
