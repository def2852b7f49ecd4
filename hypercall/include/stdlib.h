/* stdlib.h — only what libfdt's headers reference. */
#ifndef STUB_STDLIB_H
#define STUB_STDLIB_H
unsigned long strtoul(const char *s, char **end, int base);
#endif
