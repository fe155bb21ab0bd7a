/* test_http.c - the request parser, as a table of cases (TAP output).
 *
 * Each case names an input and what the parser must say of it: the bytes
 * consumed (the whole input, unless said), "need more", or an error status.
 * Then: every proper prefix of each valid request is "need more"; a request
 * fed byte by byte completes exactly at its last byte; pipelined requests
 * parse one after another; and the limits (request line, head, header count).
 * Exit 0 when every case passes, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static int test_no, failures;

static void check(int ok, const char *name, const char *fmt, long expected, long got)
{
	test_no++;
	if (ok) {
		printf("ok %d - %s\n", test_no, name);
		return;
	}
	failures++;
	printf("not ok %d - %s: ", test_no, name);
	printf(fmt, expected, got);
	printf("\n");
}

enum { COMPLETE = 1, PARTIAL = 2, ERROR = 3 };

struct parse_case {
	const char *name;
	const char *input;
	int outcome;    /* COMPLETE, PARTIAL or ERROR */
	int status;     /* for ERROR: the status to answer */
	int keep_alive; /* for COMPLETE */
	int method;     /* for COMPLETE */
};

static const struct parse_case cases[] = {
    {"GET HTTP/1.1 keeps alive", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    {"GET HTTP/1.0 closes", "GET / HTTP/1.0\r\n\r\n", COMPLETE, 0, 0, HTTP_GET},
    {"HTTP/1.0 with Connection: keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
     COMPLETE, 0, 1, HTTP_GET},
    {"HTTP/1.1 with Connection: close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", COMPLETE, 0,
     0, HTTP_GET},
    {"Connection token list", "GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", COMPLETE, 0, 0,
     HTTP_GET},
    {"HEAD", "HEAD /x HTTP/1.1\r\n\r\n", COMPLETE, 0, 1, HTTP_HEAD},
    {"other method parses", "DELETE /x HTTP/1.1\r\n\r\n", COMPLETE, 0, 1, HTTP_OTHER},
    {"bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", COMPLETE, 0, 1, HTTP_GET},
    {"leading empty line ignored", "\r\nGET / HTTP/1.1\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    {"header without space", "GET / HTTP/1.1\r\nHost:a\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    {"absolute-form target", "GET http://example.org/a HTTP/1.1\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    {"empty input", "", PARTIAL, 0, 0, 0},
    {"no empty line yet", "GET / HTTP/1.1\r\nHost: a\r\n", PARTIAL, 0, 0, 0},
    {"lower-case method is another method", "get / HTTP/1.1\r\n\r\n", COMPLETE, 0, 1, HTTP_OTHER},
    {"no target", "GET HTTP/1.1\r\n\r\n", ERROR, 400, 0, 0},
    {"two spaces", "GET  / HTTP/1.1\r\n\r\n", ERROR, 400, 0, 0},
    {"no version", "GET /\r\n\r\n", ERROR, 400, 0, 0},
    {"garbage version", "GET / HTTQ/1.1\r\n\r\n", ERROR, 400, 0, 0},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", ERROR, 505, 0, 0},
    {"HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", ERROR, 400, 0, 0},
    {"NUL in target", "GET /\0x HTTP/1.1\r\n\r\n", ERROR, 400, 0, 0},
    {"NUL in header", "GET / HTTP/1.1\r\nA: \0\r\n\r\n", ERROR, 400, 0, 0},
    {"bare CR in request line", "GET /\r HTTP/1.1\r\n\r\n", ERROR, 400, 0, 0},
    {"bare CR in header", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", ERROR, 400, 0, 0},
    {"header without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", ERROR, 400, 0, 0},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", ERROR, 400, 0, 0},
    {"obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", ERROR, 400, 0, 0},
    {"control char in target", "GET /\x01 HTTP/1.1\r\n\r\n", ERROR, 400, 0, 0},
    {"bad Content-Length", "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", ERROR, 400, 0, 0},
    {"conflicting Content-Length",
     "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", ERROR, 400, 0, 0},
};

static const char *outcome_name(int rc)
{
	return rc >= 0 ? "complete" : rc == HTTP_PARTIAL ? "need more" : "error";
}

static void run_table(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct parse_case *c = &cases[i];
		size_t len = strlen(c->input);
		struct http_request req;
		char name[160];

		if (strstr(c->name, "NUL"))
			len = strlen(c->input) + 1 + strlen(c->input + strlen(c->input) + 1);
		int rc = http_parse_request(c->input, len, &req);
		snprintf(name, sizeof name, "parse: %s -> %s", c->name,
			 c->outcome == COMPLETE  ? "complete"
			 : c->outcome == PARTIAL ? "need more"
						 : "error");
		if (c->outcome == COMPLETE) {
			if (rc != (int)len) {
				printf("# got %s\n", outcome_name(rc));
				check(0, name, "expected %ld bytes consumed, got %ld", (long)len,
				      rc);
				continue;
			}
			if (req.keep_alive != c->keep_alive) {
				check(0, name, "expected keep_alive %ld, got %ld", c->keep_alive,
				      req.keep_alive);
				continue;
			}
			check((int)req.method == c->method, name, "expected method %ld, got %ld",
			      c->method, req.method);
		} else if (c->outcome == PARTIAL) {
			check(rc == HTTP_PARTIAL, name, "expected need-more (%ld), got %ld",
			      HTTP_PARTIAL, rc);
		} else {
			if (rc != HTTP_ERROR) {
				check(0, name, "expected error (%ld), got %ld", HTTP_ERROR, rc);
				continue;
			}
			check(req.status == c->status, name, "expected status %ld, got %ld",
			      c->status, req.status);
		}
	}
}

/* Every proper prefix of a valid request is "need more"; the whole is complete. */
static void run_prefixes(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct parse_case *c = &cases[i];
		size_t len = strlen(c->input);
		struct http_request req;
		char name[160];
		long bad = -1;

		if (c->outcome != COMPLETE)
			continue;
		for (size_t n = 0; n < len && bad < 0; n++)
			if (http_parse_request(c->input, n, &req) != HTTP_PARTIAL)
				bad = (long)n;
		snprintf(name, sizeof name, "every prefix needs more: %s", c->name);
		check(bad < 0, name,
		      "expected need-more for every prefix (%ld), first failure at length %ld", -1,
		      bad);
	}
}

/* Fed one byte at a time into a growing buffer, as a slow client sends it. */
static void run_byte_at_a_time(void)
{
	const char *req_text = "GET /index.html HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n";
	size_t len = strlen(req_text), done_at = 0;
	char buf[256];
	struct http_request req;

	for (size_t n = 1; n <= len && !done_at; n++) {
		memcpy(buf, req_text, n);
		if (http_parse_request(buf, n, &req) > 0)
			done_at = n;
	}
	check(done_at == len, "byte at a time: completes at the last byte",
	      "expected completion at byte %ld, got %ld", (long)len, (long)done_at);
	check(req.target_len == 11 && memcmp(req.target, "/index.html", 11) == 0,
	      "byte at a time: target is /index.html", "expected target length %ld, got %ld", 11,
	      (long)req.target_len);
}

/* The absolute form is reduced to its path: "http://h/a?q" -> "/a?q", "http://h" -> "/". */
static void run_absolute_form(void)
{
	static const struct {
		const char *input, *path;
	} forms[] = {
	    {"GET http://example.org/a?q HTTP/1.1\r\n\r\n", "/a?q"},
	    {"GET HTTPS://example.org:8443/b/c HTTP/1.1\r\n\r\n", "/b/c"},
	    {"GET http://example.org HTTP/1.1\r\n\r\n", "/"},
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct http_request req;
		char name[160];
		int rc = http_parse_request(forms[i].input, strlen(forms[i].input), &req);
		int ok = rc > 0 && req.target_len == strlen(forms[i].path) &&
			 memcmp(req.target, forms[i].path, req.target_len) == 0;
		snprintf(name, sizeof name, "absolute form: %.40s... -> %s", forms[i].input + 4,
			 forms[i].path);
		check(ok, name, "expected path length %ld, got %ld", (long)strlen(forms[i].path),
		      rc > 0 ? (long)req.target_len : (long)rc);
	}
}

static void run_pipelined(void)
{
	char buf[2048] = "";
	const char *one = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t off = 0, len;
	int count = 0;
	struct http_request req;

	for (int i = 0; i < 16; i++)
		strcat(buf, one);
	strcat(buf, "GET /last HTTP/1.1\r\nConn"); /* a 17th, incomplete */
	len = strlen(buf);
	for (int rc; (rc = http_parse_request(buf + off, len - off, &req)) > 0; off += (size_t)rc)
		count++;
	check(count == 16, "pipelined: 16 complete requests parse in order",
	      "expected %ld, got %ld", 16, count);
	check(http_parse_request(buf + off, len - off, &req) == HTTP_PARTIAL,
	      "pipelined: the incomplete 17th needs more", "expected %ld, got %ld", HTTP_PARTIAL,
	      http_parse_request(buf + off, len - off, &req));
}

static int parse_status(const char *buf, size_t len)
{
	struct http_request req;
	int rc = http_parse_request(buf, len, &req);
	return rc == HTTP_ERROR ? req.status : rc;
}

static void run_limits(void)
{
	static char buf[3 * HTTP_MAX_HEAD];
	size_t n;

	/* A request line just under the limit parses; one over it is 414. */
	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', HTTP_MAX_LINE - 20);
	n += HTTP_MAX_LINE - 20;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	check(parse_status(buf, n) == (int)n, "limit: request line under 4 KiB parses",
	      "expected %ld, got %ld", (long)n, parse_status(buf, n));

	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', HTTP_MAX_LINE + 10);
	n += HTTP_MAX_LINE + 10;
	check(parse_status(buf, n) == 414, "limit: request line over 4 KiB, unfinished, is 414",
	      "expected %ld, got %ld", 414, parse_status(buf, n));
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	check(parse_status(buf, n) == 414, "limit: request line over 4 KiB, finished, is 414",
	      "expected %ld, got %ld", 414, parse_status(buf, n));

	/* A head over 8 KiB is 431, finished or not. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nX: ");
	memset(buf + n, 'b', HTTP_MAX_HEAD);
	n += HTTP_MAX_HEAD;
	check(parse_status(buf, n) == 431, "limit: head over 8 KiB, unfinished, is 431",
	      "expected %ld, got %ld", 431, parse_status(buf, n));
	n += (size_t)sprintf(buf + n, "\r\n\r\n");
	check(parse_status(buf, n) == 431, "limit: head over 8 KiB, finished, is 431",
	      "expected %ld, got %ld", 431, parse_status(buf, n));

	/* More than HTTP_MAX_HEADERS header lines is 431. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
		n += (size_t)sprintf(buf + n, "H%d: v\r\n", i);
	n += (size_t)sprintf(buf + n, "\r\n");
	check(parse_status(buf, n) == 431, "limit: 65 header lines is 431", "expected %ld, got %ld",
	      431, parse_status(buf, n));
}

int main(void)
{
	run_table();
	run_prefixes();
	run_byte_at_a_time();
	run_absolute_form();
	run_pipelined();
	run_limits();
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
