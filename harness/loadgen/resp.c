/* Incremental HTTP response parser and daytime line checker (see resp.h). */
#include "resp.h"

#include <strings.h>

enum resp_state {
	RS_VERSION, /* "HTTP/1." then one digit */
	RS_SP1,
	RS_STATUS,       /* three digits */
	RS_AFTER_STATUS, /* SP reason, or CR */
	RS_REASON,
	RS_STATUS_LF,
	RS_NAME_START, /* a header name, or CR ending the head */
	RS_NAME,
	RS_OWS, /* whitespace before a value */
	RS_VALUE,
	RS_HEADER_LF,
	RS_HEAD_LF,
	RS_BODY,
};

enum resp_header { HDR_LENGTH, HDR_CONNECTION, HDR_TE, HDR_OTHER };

static const char *const known_names[] = {"content-length", "connection", "transfer-encoding"};
static const uint16_t known_lens[] = {14, 10, 17};
#define KNOWN_COUNT 3
#define KNOWN_ALL   ((1u << KNOWN_COUNT) - 1)
#define RESP_F_TAIL 0x08 /* whitespace seen after the Content-Length digits */

static const char http_prefix[] = "HTTP/1.";
static const char close_token[] = "close";

static int is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* RFC 9110 token characters, as a table: a header name is checked byte by byte. */
static const uint8_t tchar_table[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static int is_tchar(unsigned char c)
{
	return tchar_table[c];
}

void resp_http_init(struct resp_http *r)
{
	*r = (struct resp_http){0};
}

int resp_http_in_body(const struct resp_http *r)
{
	return r->state == RS_BODY;
}

/* Skip header-value text up to the first control byte; returns its index. */
static size_t skip_text(const char *buf, size_t i, size_t len)
{
	while (i < len && !is_ctl((unsigned char)buf[i]))
		i++;
	return i;
}

/* Skip the rest of a header name no known name can match any more. */
static size_t skip_name(const char *buf, size_t i, size_t len)
{
	while (i < len && is_tchar((unsigned char)buf[i]))
		i++;
	return i;
}

static void name_step(struct resp_http *r, unsigned char c)
{
	unsigned char lc = (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
	for (unsigned k = 0; k < KNOWN_COUNT; k++) {
		if ((r->names & (1u << k)) &&
		    (r->pos >= known_lens[k] || known_names[k][r->pos] != lc))
			r->names &= (uint8_t) ~(1u << k);
	}
	if (r->pos < 1000)
		r->pos++;
}

static int name_end(struct resp_http *r)
{
	r->hdr = HDR_OTHER;
	for (unsigned k = 0; k < KNOWN_COUNT; k++)
		if ((r->names & (1u << k)) && r->pos == known_lens[k])
			r->hdr = (uint8_t)k;
	if (r->hdr == HDR_TE)
		return RESP_BAD;
	r->value = 0;
	r->flags &= (uint8_t) ~(RESP_F_DIGITS | RESP_F_TAIL);
	r->pos = 0;
	r->state = RS_OWS;
	return RESP_MORE;
}

/* A header name that arrived whole, n bytes before its ':': matched at once
 * rather than byte by byte (the byte-wise path takes names split across reads). */
static int name_whole(struct resp_http *r, const char *name, size_t n)
{
	r->names = 0;
	r->pos = (uint16_t)(n < 1000 ? n : 1000);
	for (unsigned k = 0; k < KNOWN_COUNT; k++)
		if (n == known_lens[k] && strncasecmp(name, known_names[k], n) == 0)
			r->names = (uint8_t)(1u << k);
	return name_end(r);
}

static int value_end(struct resp_http *r)
{
	if (r->hdr == HDR_LENGTH) {
		if (!(r->flags & RESP_F_DIGITS))
			return RESP_BAD;
		if ((r->flags & RESP_F_HAVE_LENGTH) && r->body_left != r->value)
			return RESP_BAD;
		r->body_left = r->value;
		r->flags |= RESP_F_HAVE_LENGTH;
	}
	r->state = RS_HEADER_LF;
	return RESP_MORE;
}

static int length_byte(struct resp_http *r, unsigned char c)
{
	if (c >= '0' && c <= '9') {
		if (r->flags & RESP_F_TAIL)
			return RESP_BAD;
		r->value = r->value * 10 + (uint64_t)(c - '0');
		r->flags |= RESP_F_DIGITS;
		return r->value > RESP_BODY_MAX ? RESP_BAD : RESP_MORE;
	}
	if (c == ' ' || c == '\t') {
		r->flags |= RESP_F_TAIL;
		return RESP_MORE;
	}
	return RESP_BAD;
}

static void connection_byte(struct resp_http *r, unsigned char c)
{
	unsigned char lc = (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
	if (r->pos >= sizeof(close_token) - 1)
		return;
	if (lc == (unsigned char)close_token[r->pos])
		r->pos++;
	else
		r->pos = lc == 'c' ? 1 : 0;
	if (r->pos == sizeof(close_token) - 1)
		r->flags |= RESP_F_CLOSE;
}

static int value_byte(struct resp_http *r, unsigned char c)
{
	if (c == '\r')
		return value_end(r);
	if (is_ctl(c))
		return RESP_BAD;
	if (r->hdr == HDR_LENGTH)
		return length_byte(r, c);
	if (r->hdr == HDR_CONNECTION)
		connection_byte(r, c);
	return RESP_MORE;
}

static int status_line_byte(struct resp_http *r, unsigned char c)
{
	switch (r->state) {
	case RS_VERSION:
		if (r->pos < sizeof(http_prefix) - 1) {
			if (c != (unsigned char)http_prefix[r->pos++])
				return RESP_BAD;
			return RESP_MORE;
		}
		if (c != '0' && c != '1')
			return RESP_BAD;
		r->state = RS_SP1;
		return RESP_MORE;
	case RS_SP1:
		if (c != ' ')
			return RESP_BAD;
		r->state = RS_STATUS;
		r->pos = 0;
		return RESP_MORE;
	case RS_STATUS:
		if (c < '0' || c > '9')
			return RESP_BAD;
		r->status = (uint16_t)(r->status * 10 + (c - '0'));
		if (++r->pos == 3)
			r->state = RS_AFTER_STATUS;
		return RESP_MORE;
	case RS_AFTER_STATUS:
		if (r->status < 200 || r->status > 599) /* 1xx never asked for */
			return RESP_BAD;
		if (c == ' ')
			r->state = RS_REASON;
		else if (c == '\r')
			r->state = RS_STATUS_LF;
		else
			return RESP_BAD;
		return RESP_MORE;
	case RS_REASON:
		if (c == '\r')
			r->state = RS_STATUS_LF;
		else if (is_ctl(c))
			return RESP_BAD;
		return RESP_MORE;
	default: /* RS_STATUS_LF */
		if (c != '\n')
			return RESP_BAD;
		r->state = RS_NAME_START;
		return RESP_MORE;
	}
}

/* One head byte; RESP_DONE when it ends a head with an empty body. */
static int head_byte(struct resp_http *r, unsigned char c)
{
	switch (r->state) {
	case RS_NAME_START:
		if (c == '\r') {
			r->state = RS_HEAD_LF;
			return RESP_MORE;
		}
		if (!is_tchar(c))
			return RESP_BAD;
		r->names = KNOWN_ALL;
		r->pos = 0;
		r->state = RS_NAME;
		name_step(r, c);
		return RESP_MORE;
	case RS_NAME:
		if (c == ':')
			return name_end(r);
		if (!is_tchar(c))
			return RESP_BAD;
		name_step(r, c);
		return RESP_MORE;
	case RS_OWS:
		if (c == ' ' || c == '\t')
			return RESP_MORE;
		r->state = RS_VALUE;
		return value_byte(r, c);
	case RS_VALUE: return value_byte(r, c);
	case RS_HEADER_LF:
		if (c != '\n')
			return RESP_BAD;
		r->state = RS_NAME_START;
		return RESP_MORE;
	case RS_HEAD_LF:
		if (c != '\n' || !(r->flags & RESP_F_HAVE_LENGTH))
			return RESP_BAD;
		r->state = RS_BODY;
		return r->body_left == 0 ? RESP_DONE : RESP_MORE;
	default: return status_line_byte(r, c);
	}
}

int resp_http_feed(struct resp_http *r, const char *buf, size_t len, size_t *used)
{
	size_t i = 0;
	while (i < len) {
		if (r->state == RS_BODY) {
			size_t take = len - i < r->body_left ? len - i : (size_t)r->body_left;
			i += take;
			r->body_left -= take;
			if (r->body_left == 0) {
				*used = i;
				return RESP_DONE;
			}
			continue;
		}
		if ((r->state == RS_VALUE && r->hdr == HDR_OTHER) || r->state == RS_REASON ||
		    (r->state == RS_NAME && r->names == 0)) {
			size_t end =
			    r->state == RS_NAME ? skip_name(buf, i, len) : skip_text(buf, i, len);
			r->head_bytes += (uint32_t)(end - i);
			i = end;
			if (i == len)
				break;
		}
		if (r->state == RS_NAME_START) {
			size_t end = skip_name(buf, i, len);
			if (end > i && end < len && buf[end] == ':') {
				r->head_bytes += (uint32_t)(end + 1 - i);
				if (r->head_bytes > RESP_HEAD_MAX ||
				    name_whole(r, buf + i, end - i) == RESP_BAD)
					return RESP_BAD;
				i = end + 1;
				continue;
			}
		}
		if (++r->head_bytes > RESP_HEAD_MAX)
			return RESP_BAD;
		int rc = head_byte(r, (unsigned char)buf[i++]);
		if (rc == RESP_BAD)
			return RESP_BAD;
		if (rc == RESP_DONE) {
			*used = i;
			return RESP_DONE;
		}
	}
	if (r->head_bytes > RESP_HEAD_MAX)
		return RESP_BAD;
	*used = len;
	return RESP_MORE;
}

enum day_state { DS_LINE, DS_LF, DS_DONE };

void resp_day_init(struct resp_day *d)
{
	*d = (struct resp_day){0};
}

int resp_day_feed(struct resp_day *d, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (d->state == DS_LINE) {
			if (c == '\r' && d->len > 0)
				d->state = DS_LF;
			else if ((c >= 0x20 && c < 0x7f) || c == '\t') {
				if (++d->len > RESP_DAY_MAX)
					return RESP_BAD;
			} else
				return RESP_BAD;
		} else if (d->state == DS_LF && c == '\n') {
			d->state = DS_DONE;
		} else {
			return RESP_BAD;
		}
	}
	return RESP_MORE;
}

int resp_day_eof(const struct resp_day *d)
{
	return d->state == DS_DONE ? RESP_DONE : RESP_BAD;
}
