/* fuzz_decompress.c — libFuzzer target: the decompressor interface on hostile streams of every format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pvboot/decompress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks the output limit, so that "too big" is reached too. */
	if (size < 1)
		return 0;
	size_t limit = (size_t)1 << (8 + data[0] % 16);         /* 256 B .. 8 MiB */
	uint8_t *in = malloc(size - 1 ? size - 1 : 1);
	if (!in)
		return 0;
	memcpy(in, data + 1, size - 1);
	uint8_t *out = (uint8_t *)1;
	size_t out_len = 0;
	char err[256];
	int rc = pv_decompress(in, size - 1, limit, &out, &out_len, err, sizeof(err));
	if (rc == 0) {
		if (!out || out_len > limit)
			abort();        /* the promise: a buffer, never above the limit */
		volatile uint8_t sink = out_len ? out[out_len - 1] : 0;   /* all of it is really there */
		(void)sink;
		free(out);
	} else if (rc != -1 || out != NULL) {
		abort();
	}
	free(in);
	return 0;
}
