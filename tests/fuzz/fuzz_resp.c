/* fuzz_resp.c - libFuzzer target: bin/loadgen's response checkers
 * (harness/loadgen/resp.c), fed as a socket feeds them.
 *
 * Input: one byte that chooses how the stream is cut into reads, then the
 * bytes a server sent. The stream is parsed twice: in one piece, and in
 * pieces of 1 to 16 bytes (sizes from the first byte). resp.h promises that
 * "the bytes may arrive in any number of pieces (one byte at a time is fine)
 * and several responses may sit in one buffer", so both runs must find the
 * same responses ending at the same offsets, and fail (or not) alike. The
 * daytime checker gets the same two runs. What aborts: a difference between
 * the runs, a used count beyond what was fed, a response complete after
 * zero bytes. ASan and UBSan report the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz_resp"
#include "fuzz.h"
#include "resp.h"

#define MAX_EVENTS 256

struct outcome {
	size_t done_at[MAX_EVENTS]; /* stream offset after each complete response */
	int done;
	int bad;     /* 1 when the stream was found malformed */
	size_t stop; /* bytes fed before the stop */
	int in_body; /* resp_http_in_body at the end */
};

/* The piece sizes: 1..16, a fixed function of the seed and the offset. */
static size_t piece(uint8_t seed, size_t off, size_t left)
{
	size_t n = seed == 0 ? left : 1 + ((seed * 31u + off * 7u) % 16u);
	return n < left ? n : left;
}

static void run_http(const char *buf, size_t len, uint8_t seed, struct outcome *out)
{
	struct resp_http r;
	size_t off = 0;
	memset(out, 0, sizeof *out);
	resp_http_init(&r);
	int fresh = 1;
	while (off < len && out->done < MAX_EVENTS) {
		size_t n = piece(seed, off, len - off), used = 0;
		int rc = resp_http_feed(&r, buf + off, n, &used);
		if (rc == RESP_BAD) {
			out->bad = 1;
			break;
		}
		if (rc == RESP_MORE) {
			off += n;
			fresh = 0;
			continue;
		}
		if (rc != RESP_DONE || used > n)
			FAIL("feed returned %d with used %zu of %zu", rc, used, n);
		if (used == 0 && fresh)
			FAIL("a response complete after zero bytes at offset %zu", off);
		off += used;
		out->done_at[out->done++] = off;
		resp_http_init(&r);
		fresh = 1;
	}
	out->stop = off;
	out->in_body = resp_http_in_body(&r);
}

static int run_day(const char *buf, size_t len, uint8_t seed)
{
	struct resp_day d;
	resp_day_init(&d);
	for (size_t off = 0; off < len;) {
		size_t n = piece(seed, off, len - off);
		if (resp_day_feed(&d, buf + off, n) == RESP_BAD)
			return RESP_BAD;
		off += n;
	}
	return resp_day_eof(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome whole, pieces;
	if (size < 1)
		return 0;
	uint8_t seed = data[0] ? data[0] : 1;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;

	run_http(buf, len, 0, &whole);
	run_http(buf, len, seed, &pieces);
	if (whole.bad != pieces.bad || whole.done != pieces.done)
		FAIL("in one piece: %d responses%s; in pieces (seed %u): %d responses%s",
		     whole.done, whole.bad ? ", then malformed" : "", seed, pieces.done,
		     pieces.bad ? ", then malformed" : "");
	for (int i = 0; i < whole.done; i++)
		if (whole.done_at[i] != pieces.done_at[i])
			FAIL("response %d ends at %zu in one piece, at %zu in pieces", i,
			     whole.done_at[i], pieces.done_at[i]);
	if (!whole.bad && whole.in_body != pieces.in_body)
		FAIL("in_body differs at the end: %d in one piece, %d in pieces", whole.in_body,
		     pieces.in_body);

	int d1 = run_day(buf, len, 0), d2 = run_day(buf, len, seed);
	if (d1 != d2)
		FAIL("daytime: %d in one piece, %d in pieces (seed %u)", d1, d2, seed);
	return 0;
}
