/* http.c - request parsing and responses, shared by every model (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "work.h"

static const char hello_body[] = "Hello, World!";

/* ---- parsing ---- */

/* RFC 9110 tchar: the characters of a method or a header name. */
static int is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_hex(unsigned char c)
{
	return isxdigit(c) != 0;
}

/* Find the end of the head: the byte after the empty line (CRLF CRLF or LF LF). */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int fail(struct http_request *req, int status)
{
	req->status = status;
	return HTTP_ERROR;
}

/* The next line of [p, end): sets *next past its LF and returns its length without CR LF. */
static size_t next_line(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	*next = lf + 1;
	return (size_t)(lf - p) - (lf > p && lf[-1] == '\r');
}

/* ---- RFC 3986 authority: the Host field, absolute-form and authority-form ---- */

/* port = *DIGIT (RFC 3986 3.2.3); no TCP port is above 65535. */
static int port_valid(const char *p, size_t n, int required)
{
	long v = 0;
	if (n == 0)
		return !required;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		v = v * 10 + (p[i] - '0');
		if (v > 65535)
			return 0;
	}
	return 1;
}

/* The inside of IP-literal = "[" ( IPv6address / IPvFuture ) "]". */
static int ip_literal_valid(const char *p, size_t n)
{
	char addr[64];
	unsigned char bin[16];

	if (n >= 2 && (p[0] == 'v' || p[0] == 'V')) { /* "v" 1*HEXDIG "." 1*(...) */
		size_t i = 1;
		while (i < n && is_hex((unsigned char)p[i]))
			i++;
		if (i == 1 || i >= n - 1 || p[i] != '.')
			return 0;
		for (i++; i < n; i++)
			if (!isalnum((unsigned char)p[i]) && !strchr("-._~!$&'()*+,;=:", p[i]))
				return 0;
		return 1;
	}
	if (n == 0 || n >= sizeof addr)
		return 0;
	memcpy(addr, p, n);
	addr[n] = '\0';
	return inet_pton(AF_INET6, addr, bin) == 1;
}

/* reg-name = *( unreserved / pct-encoded / sub-delims ), but without the
 * comma: a recipient may combine repeated field lines into one comma-separated
 * value (RFC 9110 5.3), so "a,b" is a list of two hosts, not one. */
static size_t reg_name_len(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= n || !is_hex((unsigned char)p[i + 1]) ||
			    !is_hex((unsigned char)p[i + 2]))
				return (size_t)-1;
			i += 3;
		} else if (isalnum(c) || (c && strchr("-._~!$&'()*+;=", c))) {
			i++;
		} else {
			break;
		}
	}
	return i;
}

enum { AUTH_NEED_HOST = 1, AUTH_NEED_PORT = 2 };

/* uri-host [ ":" port ] (RFC 9110 7.2), as a whole: no userinfo ("a@b"), no
 * path ("a/x"), no list ("a, b"), nothing outside the grammar. */
static int authority_valid(const char *p, size_t n, int need)
{
	size_t host;
	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);
		if (!close || !ip_literal_valid(p + 1, (size_t)(close - p) - 1))
			return 0;
		host = (size_t)(close - p) + 1;
	} else {
		host = reg_name_len(p, n);
		if (host == (size_t)-1 || (host == 0 && (need & AUTH_NEED_HOST)))
			return 0;
	}
	if (host == n)
		return !(need & AUTH_NEED_PORT);
	if (p[host] != ':')
		return 0;
	return port_valid(p + host + 1, n - host - 1, need & AUTH_NEED_PORT);
}

/* ---- the request line ---- */

/* RFC 9112 3.2.2: a server accepts the absolute form ("GET http://h/p
 * HTTP/1.1"); its authority is the request's host, and only its path is
 * kept, so that everything after sees "/p". Returns 0, or 400. */
static int absolute_form(struct http_request *req)
{
	const char *t = req->target, *end = t + req->target_len;
	size_t skip = req->target_len >= 7 && strncasecmp(t, "http://", 7) == 0    ? 7
		      : req->target_len >= 8 && strncasecmp(t, "https://", 8) == 0 ? 8
										   : 0;
	if (!skip)
		return 400; /* another scheme, or no form at all */
	const char *a = t + skip, *path = a;
	while (path < end && *path != '/' && *path != '?' && *path != '#')
		path++;
	/* RFC 9110 4.2.1: "A recipient that processes such a URI reference
	 * [with an empty host] MUST reject it as invalid"; 4.2.4: userinfo is
	 * treated as an error. */
	if (!authority_valid(a, (size_t)(path - a), AUTH_NEED_HOST))
		return 400;
	req->host = a;
	req->host_len = (size_t)(path - a);
	req->absolute = 1;
	req->target = path < end && *path == '/' ? path : "/";
	req->target_len = path < end && *path == '/' ? (size_t)(end - path) : 1;
	return 0;
}

/* RFC 9112 3.2: origin-form for every method, asterisk-form ("*") only with
 * OPTIONS, authority-form ("host:port") only with (and always with) CONNECT,
 * absolute-form (http and https) for every method but CONNECT. */
static int target_form(struct http_request *req)
{
	const char *t = req->target;
	size_t n = req->target_len;
	int connect = req->method_len == 7 && memcmp(req->method_str, "CONNECT", 7) == 0;
	int options = req->method_len == 7 && memcmp(req->method_str, "OPTIONS", 7) == 0;

	if (connect)
		return authority_valid(t, n, AUTH_NEED_HOST | AUTH_NEED_PORT) ? 0 : 400;
	if (t[0] == '/')
		return 0;
	if (t[0] == '*')
		return n == 1 && options ? 0 : 400;
	return absolute_form(req);
}

static int parse_request_line(const char *p, size_t n, struct http_request *req)
{
	const char *end = p + n, *s = p;

	while (s < end && is_tchar((unsigned char)*s))
		s++;
	if (s == p || s == end || *s != ' ')
		return fail(req, 400);
	req->method_str = p;
	req->method_len = (size_t)(s - p);
	if (req->method_len == 3 && memcmp(p, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (req->method_len == 4 && memcmp(p, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;

	const char *t = ++s;
	while (s < end && (unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f)
		s++;
	if (s == t || s == end || *s != ' ')
		return fail(req, 400);
	req->target = t;
	req->target_len = (size_t)(s - t);

	s++;
	if ((size_t)(end - s) != 8 || memcmp(s, "HTTP/", 5) != 0 || !isdigit((unsigned char)s[5]) ||
	    s[6] != '.' || !isdigit((unsigned char)s[7]))
		return fail(req, 400);
	if (s[5] != '1')
		return fail(req, 505);
	req->minor = s[7] - '0';
	req->keep_alive = req->minor >= 1;
	int status = target_form(req);
	return status ? fail(req, status) : 0;
}

/* ---- header fields ---- */

/* Does the comma-separated list v[0, n) hold token tok (case-insensitive)? */
static int has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok);
	const char *end = v + n;
	while (v < end) {
		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		const char *s = v;
		while (v < end && *v != ',')
			v++;
		const char *e = v;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == tl && strncasecmp(s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

/* RFC 9110 5.5: field-content is VCHAR, obs-text (0x80-0xff), SP and HTAB;
 * any other CTL (and DEL) makes the value invalid. */
static int field_value_valid(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static int parse_content_length(const char *v, size_t vlen, struct http_request *req)
{
	long long cl = 0;
	if (vlen == 0 || vlen > 18)
		return fail(req, 400);
	for (size_t i = 0; i < vlen; i++) {
		if (!isdigit((unsigned char)v[i]))
			return fail(req, 400);
		cl = cl * 10 + (v[i] - '0');
	}
	if (req->content_length >= 0 && req->content_length != cl)
		return fail(req, 400);
	req->content_length = cl;
	return 0;
}

static int parse_header(const char *p, size_t n, struct http_request *req, int *hosts)
{
	const char *end = p + n, *s = p;
	while (s < end && is_tchar((unsigned char)*s))
		s++;
	if (s == p || s == end || *s != ':')
		return fail(req, 400); /* also obs-fold, space before ':' */
	size_t name_len = (size_t)(s - p);
	s++;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *v = s;
	size_t vlen = (size_t)(end - v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (!field_value_valid(v, vlen))
		return fail(req, 400);

	if (name_len == 4 && strncasecmp(p, "Host", 4) == 0) {
		if (++*hosts > 1 || !authority_valid(v, vlen, 0))
			return fail(req, 400);
		if (!req->absolute) { /* RFC 9112 3.2.2: absolute-form's host wins */
			req->host = v;
			req->host_len = vlen;
		}
	} else if (name_len == 10 && strncasecmp(p, "Connection", 10) == 0) {
		if (has_token(v, vlen, "close"))
			req->keep_alive = 0;
		else if (has_token(v, vlen, "keep-alive"))
			req->keep_alive = 1;
	} else if (name_len == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
		return parse_content_length(v, vlen, req);
	} else if (name_len == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
		req->chunked = 1;
	}
	return 0;
}

/* RFC 9112 2.2: empty lines (CRLF, or LF) before the request line are ignored. */
static size_t leading_empty_lines(const char *buf, size_t len)
{
	size_t skip = 0;
	for (;;) {
		if (skip < len && buf[skip] == '\n')
			skip++;
		else if (skip + 1 < len && buf[skip] == '\r' && buf[skip + 1] == '\n')
			skip += 2;
		else
			return skip;
	}
}

/* An unfinished head: need more, or 414 when the request line cannot fit in
 * the head limit, 431 when the line fits but the head cannot. */
static int unfinished(const char *buf, size_t len, struct http_request *req)
{
	if (len < HTTP_MAX_HEAD)
		return HTTP_PARTIAL;
	return fail(req, memchr(buf, '\n', HTTP_MAX_HEAD) ? 431 : 414);
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	memset(req, 0, sizeof *req);
	req->content_length = -1;

	size_t skip = leading_empty_lines(buf, len);
	buf += skip;
	len -= skip;

	size_t head = head_end(buf, len);
	if (head == 0 || head > HTTP_MAX_HEAD)
		return unfinished(buf, head ? head : len, req);

	for (size_t i = 0; i < head; i++) {
		if (buf[i] == '\0' || (buf[i] == '\r' && buf[i + 1] != '\n'))
			return fail(req, 400); /* NUL or bare CR */
	}

	const char *p = buf, *end = buf + head, *next;
	size_t n = next_line(p, end, &next);
	if (parse_request_line(p, n, req) < 0)
		return HTTP_ERROR;
	int headers = 0, hosts = 0;
	for (p = next; p < end; p = next) {
		n = next_line(p, end, &next);
		if (n == 0)
			break;
		if (++headers > HTTP_MAX_HEADERS)
			return fail(req, 431);
		if (parse_header(p, n, req, &hosts) < 0)
			return HTTP_ERROR;
	}
	/* RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status
	 * code to any HTTP/1.1 request message that lacks a Host header field" */
	if (req->minor >= 1 && hosts == 0)
		return fail(req, 400);
	return (int)(skip + head);
}

/* ---- responses ---- */

/* Each status with its reason and the short text body of an error response. */
/* clang-format off */
#define STATUSES(X)                                            \
	X(200, "OK")                                           \
	X(400, "Bad Request")                                  \
	X(403, "Forbidden")                                    \
	X(404, "Not Found")                                    \
	X(405, "Method Not Allowed")                           \
	X(408, "Request Timeout")                              \
	X(413, "Content Too Large")                            \
	X(414, "URI Too Long")                                 \
	X(431, "Request Header Fields Too Large")              \
	X(500, "Internal Server Error")                        \
	X(501, "Not Implemented")                              \
	X(503, "Service Unavailable")                          \
	X(505, "HTTP Version Not Supported")

const char *http_reason(int status)
{
#define REASON(code, text) case code: return text;
	switch (status) { STATUSES(REASON) default: return "Unknown"; }
#undef REASON
}

/* "404 Not Found\n": a string literal, so a queued response may point at it. */
static const char *status_body(int status)
{
#define BODY(code, text) case code: return #code " " text "\n";
	switch (status) { STATUSES(BODY) default: return "500 Internal Server Error\n"; }
#undef BODY
}
/* clang-format on */

const char *http_mime_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {"html", "text/html"},      {"htm", "text/html"},      {"txt", "text/plain"},
	    {"css", "text/css"},        {"js", "text/javascript"}, {"json", "application/json"},
	    {"png", "image/png"},       {"jpg", "image/jpeg"},     {"jpeg", "image/jpeg"},
	    {"gif", "image/gif"},       {"svg", "image/svg+xml"},  {"ico", "image/x-icon"},
	    {"pdf", "application/pdf"}, {"csv", "text/csv"},
	};
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof *r);
	r->file_fd = -1;
}

/* Error statuses carry a short text body: "404 Not Found\n". */
static void set_status(struct http_response *r, int status)
{
	r->status = status;
	if (status == 200)
		return;
	r->body = status_body(status);
	r->body_len = strlen(r->body);
	r->ctype = "text/plain";
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode the path part of the target once into out (a path relative to the
 * root, "index.html" for a directory); returns 0 or the status to answer. */
static int decode_path(const char *t, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	if (n == 0 || t[0] != '/')
		return 400;
	for (size_t i = 0; i < n && t[i] != '?' && t[i] != '#'; i++) {
		int c = (unsigned char)t[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(t[i + 1]) : -1,
			    lo = hi >= 0 ? hexval(t[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return 400;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == '\0' || c == '\\')
			return 400;
		if (o + 1 >= outlen)
			return 404; /* longer than any path the kernel opens */
		out[o++] = (char)c;
	}
	out[o] = '\0';
	/* Refuse any ".." segment. */
	for (char *s = out; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == out || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return 403;
	return 0;
}

/* Open rel beneath the root: openat2(RESOLVE_BENEATH) refuses "..", absolute
 * symlinks and symlinks that leave the root. */
static int open_beneath(int root_fd, const char *rel)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
	if (fd < 0 && errno == ENOSYS)
		fd = openat(root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	return fd;
}

static int open_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG: return 404;
	case EXDEV:
	case ELOOP:
	case EACCES:
	case EPERM: return 403;
	default: return 500;
	}
}

#define OPEN_RETRIES  100 /* waits of 200 us doubling to 6.4 ms: about 0.6 s */
#define OPEN_RETRY_US 100

static int files_shared;

void http_files_shared(void)
{
	files_shared = 1;
}

static void prepare_file(const struct http_request *req, const struct server_opts *o,
			 struct http_response *r)
{
	char path[HTTP_MAX_PATH + 16];
	int status = decode_path(req->target, req->target_len, path, sizeof path - 11);
	if (status) {
		set_status(r, status);
		return;
	}
	const char *rel = path;
	while (*rel == '/')
		rel++;
	if (*rel == '\0' || rel[strlen(rel) - 1] == '/')
		strcat(path, "index.html");

	struct stat st = {0};
	int fd, tries = 0;
	/* Out of descriptors, with threads sharing them: theirs come back (a
	 * thread preempted between open and close holds one for as long as
	 * the run queue takes: 240 threads under ASan, 300 fds, answered 2,910
	 * 500s of 5,760 without waiting, 795-896 waiting 10 ms, none so). */
	while ((fd = open_beneath(o->root_fd, *rel ? rel : "index.html")) < 0 && files_shared &&
	       (errno == EMFILE || errno == ENFILE) && tries++ < OPEN_RETRIES)
		work_block(OPEN_RETRY_US << (tries < 6 ? tries : 6));
	if (fd < 0) {
		set_status(r, open_status(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		set_status(r, S_ISDIR(st.st_mode) ? 404 : 403);
		return;
	}
	set_status(r, 200);
	r->ctype = http_mime_type(rel);
	r->body_len = (size_t)st.st_size;
	if (req->method == HTTP_HEAD)
		close(fd);
	else
		r->file_fd = fd;
}

void http_prepare(const struct http_request *req, const struct server_opts *o,
		  struct http_response *r)
{
	int has_body = req->chunked || req->content_length > 0;

	http_response_init(r);
	r->close = !req->keep_alive || o->force_close || has_body;
	r->head_only = req->method == HTTP_HEAD;
	if (req->method == HTTP_OTHER) {
		set_status(r, 405);
		r->extra = "Allow: GET, HEAD\r\n";
	} else if (has_body) {
		set_status(r, 413); /* bodies are refused, and the connection closed */
	} else if (o->root_fd >= 0) {
		prepare_file(req, o, r);
	} else if (req->target_len == 0 || (req->target[0] != '/' && req->target[0] != '*')) {
		set_status(r, 400);
	} else {
		set_status(r, 200);
		r->ctype = "text/plain";
		r->body = hello_body;
		r->body_len = sizeof hello_body - 1;
	}
}

void http_read_file(struct http_response *r)
{
	size_t off = 0;
	if (r->file_fd < 0)
		return;
	if (r->body_len > 0 && !(r->body_buf = malloc(r->body_len)))
		goto fail;
	while (off < r->body_len) {
		ssize_t n = pread(r->file_fd, r->body_buf + off, r->body_len - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	close(r->file_fd);
	r->file_fd = -1;
	r->body = r->body_buf;
	return;
fail:
	close(r->file_fd);
	r->file_fd = -1;
	free(r->body_buf);
	r->body_buf = NULL;
	r->close = 1;
	set_status(r, 500);
}

void http_file_loaded(struct http_response *r)
{
	close(r->file_fd);
	r->file_fd = -1;
	r->body = r->body_buf;
}

/* RFC 9110 Date, formatted at most once a second per thread; sets *len. */
static const char *http_date(size_t *len)
{
	static __thread char date[40];
	static __thread size_t date_len;
	static __thread time_t last;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts); /* vDSO, no system call */
	if (ts.tv_sec != last) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		date_len = strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = ts.tv_sec;
	}
	*len = date_len;
	return date;
}

/* The head is put together with memcpy: no stdio formatting per response. */
struct head_buf {
	char *p, *end;
	int overflow;
};

static void put(struct head_buf *h, const char *s, size_t n)
{
	if (h->overflow || n > (size_t)(h->end - h->p)) {
		h->overflow = 1;
		return;
	}
	memcpy(h->p, s, n);
	h->p += n;
}

static void put_str(struct head_buf *h, const char *s)
{
	put(h, s, strlen(s));
}

#define PUT_LIT(h, lit) put(h, lit, sizeof lit - 1)

static void put_uint(struct head_buf *h, unsigned long long v)
{
	char digits[24], *d = digits + sizeof digits;
	do
		*--d = (char)('0' + v % 10);
	while (v /= 10);
	put(h, d, (size_t)(digits + sizeof digits - d));
}

void http_finish(struct http_response *r, const char *server)
{
	struct head_buf h = {r->head, r->head + sizeof r->head, 0};
	size_t date_len;
	const char *date = http_date(&date_len);

	PUT_LIT(&h, "HTTP/1.1 ");
	put_uint(&h, (unsigned)r->status);
	PUT_LIT(&h, " ");
	put_str(&h, http_reason(r->status));
	PUT_LIT(&h, "\r\nServer: ");
	put_str(&h, server);
	PUT_LIT(&h, "\r\nDate: ");
	put(&h, date, date_len);
	PUT_LIT(&h, "\r\nContent-Type: ");
	put_str(&h, r->ctype ? r->ctype : "text/plain");
	PUT_LIT(&h, "\r\nContent-Length: ");
	put_uint(&h, r->body_len);
	if (r->close)
		PUT_LIT(&h, "\r\nConnection: close\r\n");
	else
		PUT_LIT(&h, "\r\nConnection: keep-alive\r\n");
	if (r->extra)
		put_str(&h, r->extra);
	PUT_LIT(&h, "\r\n");
	/* One byte kept spare, as snprintf's NUL did: a head that fills the buffer is refused. */
	r->head_len = h.overflow || h.p == h.end ? 0 : (size_t)(h.p - r->head);
}

static atomic_long responses_made; /* http_respond() calls, for a model's exit line */

void http_count_response(void)
{
	atomic_fetch_add_explicit(&responses_made, 1, memory_order_relaxed);
}

long http_responses(void)
{
	return atomic_load_explicit(&responses_made, memory_order_relaxed);
}

void http_respond(const struct http_request *req, const struct server_opts *o, const char *server,
		  struct http_response *r)
{
	http_count_response();
	http_prepare(req, o, r);
	work_do(o->spin_us, o->block_us);
	http_read_file(r);
	http_finish(r, server);
}

void http_error(struct http_response *r, int status, const char *server)
{
	http_response_init(r);
	r->close = 1;
	set_status(r, status);
	http_finish(r, server);
}

int http_response_iov(const struct http_response *r, struct iovec iov[2])
{
	iov[0].iov_base = (void *)r->head;
	iov[0].iov_len = r->head_len;
	if (r->head_only || r->body_len == 0)
		return 1;
	iov[1].iov_base = (void *)r->body;
	iov[1].iov_len = r->body_len;
	return 2;
}

void http_response_free(struct http_response *r)
{
	if (r->file_fd >= 0)
		close(r->file_fd);
	r->file_fd = -1;
	free(r->body_buf);
	r->body_buf = NULL;
	r->body = NULL;
}
