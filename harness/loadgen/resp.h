/* Incremental response checkers for the load generator.
 *
 * resp_http: an HTTP/1.x response parser that keeps its whole state in a few
 * bytes per connection, so the bytes may arrive in any number of pieces (one
 * byte at a time is fine) and several responses may sit in one buffer.  It
 * accepts only what the suite's servers must send: a status line, headers,
 * a Content-Length (required; Transfer-Encoding is refused) and exactly that
 * many body bytes.  It allocates nothing and copies nothing.
 *
 * resp_day: an RFC 867 daytime reply: one non-empty printable line ending in
 * CRLF, then end of file. */
#ifndef LOADGEN_RESP_H
#define LOADGEN_RESP_H

#include <stddef.h>
#include <stdint.h>

enum resp_result { RESP_BAD = -1, RESP_MORE = 0, RESP_DONE = 1 };

#define RESP_HEAD_MAX (64 * 1024) /* longer heads are invalid */
#define RESP_BODY_MAX (UINT64_C(1) << 40)
#define RESP_DAY_MAX  1024 /* longest daytime line accepted */

struct resp_http {
	uint8_t state;
	uint8_t names; /* header names still matching (bit per known name) */
	uint8_t hdr;   /* the known header whose value is being read */
	uint8_t flags; /* RESP_F_* */
	uint16_t status;
	uint16_t pos; /* position inside a literal or header name */
	uint32_t head_bytes;
	uint64_t body_left; /* Content-Length while reading the head, then bytes still due */
	uint64_t value;     /* the Content-Length value being read */
};

#define RESP_F_HAVE_LENGTH 0x01
#define RESP_F_CLOSE       0x02 /* the server said Connection: close */
#define RESP_F_DIGITS      0x04 /* current Content-Length value has digits */

void resp_http_init(struct resp_http *r);
/* Feed len bytes.  RESP_DONE: a whole response ended after *used bytes (the
 * rest of buf belongs to whatever follows); RESP_MORE: all bytes consumed, the
 * response continues; RESP_BAD: malformed. */
int resp_http_feed(struct resp_http *r, const char *buf, size_t len, size_t *used);
/* Nonzero when the head has been read (EOF after this point is a short body). */
int resp_http_in_body(const struct resp_http *r);

struct resp_day {
	uint8_t state;
	uint16_t len;
};

void resp_day_init(struct resp_day *d);
/* RESP_MORE while the line may still be good, RESP_BAD as soon as it is not. */
int resp_day_feed(struct resp_day *d, const char *buf, size_t len);
/* At end of file: RESP_DONE if a complete line was read, else RESP_BAD. */
int resp_day_eof(const struct resp_day *d);

#endif
