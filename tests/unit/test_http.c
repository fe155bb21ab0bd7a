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
#include "tap.h"

/* The table's messages print two longs: expected, got. */
#define check(ok, name, fmt, expected, got) tap_check(ok, name, fmt, (long)(expected), (long)(got))

enum { COMPLETE = 1, PARTIAL = 2, ERROR = 3 };

struct parse_case {
	const char *name;
	const char *input;
	int outcome;    /* COMPLETE, PARTIAL or ERROR */
	int status;     /* for ERROR: the status to answer */
	int keep_alive; /* for COMPLETE */
	int method;     /* for COMPLETE */
};

#define H "Host: a\r\n"
static const struct parse_case cases[] = {
    {"GET HTTP/1.1 keeps alive", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    {"GET HTTP/1.0 closes", "GET / HTTP/1.0\r\n\r\n", COMPLETE, 0, 0, HTTP_GET},
    {"HTTP/1.0 with Connection: keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
     COMPLETE, 0, 1, HTTP_GET},
    {"HTTP/1.1 with Connection: close", "GET / HTTP/1.1\r\n" H "Connection: close\r\n\r\n",
     COMPLETE, 0, 0, HTTP_GET},
    {"Connection token list", "GET / HTTP/1.1\r\n" H "Connection: foo, close\r\n\r\n", COMPLETE, 0,
     0, HTTP_GET},
    {"HEAD", "HEAD /x HTTP/1.1\r\n" H "\r\n", COMPLETE, 0, 1, HTTP_HEAD},
    {"other method parses", "DELETE /x HTTP/1.1\r\n" H "\r\n", COMPLETE, 0, 1, HTTP_OTHER},
    {"bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", COMPLETE, 0, 1, HTTP_GET},
    {"leading empty line ignored", "\r\nGET / HTTP/1.1\r\n" H "\r\n", COMPLETE, 0, 1, HTTP_GET},
    {"header without space", "GET / HTTP/1.1\r\nHost:a\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    {"absolute-form target", "GET http://example.org/a HTTP/1.1\r\n" H "\r\n", COMPLETE, 0, 1,
     HTTP_GET},
    {"empty input", "", PARTIAL, 0, 0, 0},
    {"no empty line yet", "GET / HTTP/1.1\r\nHost: a\r\n", PARTIAL, 0, 0, 0},
    {"lower-case method is another method", "get / HTTP/1.1\r\n" H "\r\n", COMPLETE, 0, 1,
     HTTP_OTHER},
    {"no target", "GET HTTP/1.1\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"two spaces", "GET  / HTTP/1.1\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"no version", "GET /\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"garbage version", "GET / HTTQ/1.1\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n" H "\r\n", ERROR, 505, 0, 0},
    {"HTTP/1.10", "GET / HTTP/1.10\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"NUL in target", "GET /\0x HTTP/1.1\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"NUL in header", "GET / HTTP/1.1\r\n" H "A: \0\r\n\r\n", ERROR, 400, 0, 0},
    {"bare CR in request line", "GET /\r HTTP/1.1\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"bare CR in header", "GET / HTTP/1.1\r\n" H "A: b\rc\r\n\r\n", ERROR, 400, 0, 0},
    {"header without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", ERROR, 400, 0, 0},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", ERROR, 400, 0, 0},
    {"obs-fold", "GET / HTTP/1.1\r\n" H "A: b\r\n c\r\n\r\n", ERROR, 400, 0, 0},
    {"control char in target", "GET /\x01 HTTP/1.1\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"bad Content-Length", "GET / HTTP/1.1\r\n" H "Content-Length: 1x\r\n\r\n", ERROR, 400, 0, 0},
    {"conflicting Content-Length",
     "GET / HTTP/1.1\r\n" H "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", ERROR, 400, 0, 0},

    /* RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status
     * code to any HTTP/1.1 request message that lacks a Host header field and
     * to any request message that contains more than one Host header field
     * line or a Host header field with an invalid field value." */
    {"RFC 9112 3.2 HTTP/1.1 request that lacks a Host header field", "GET / HTTP/1.1\r\n\r\n",
     ERROR, 400, 0, 0},
    {"RFC 9112 3.2 HTTP/1.1 HEAD that lacks a Host header field", "HEAD / HTTP/1.1\r\nA: b\r\n\r\n",
     ERROR, 400, 0, 0},
    {"RFC 9112 3.2 more than one Host header field line",
     "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ERROR, 400, 0, 0},
    {"RFC 9112 3.2 more than one Host line, even the same value",
     "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", ERROR, 400, 0, 0},
    {"RFC 9112 3.2 more than one Host line in an HTTP/1.0 request",
     "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", ERROR, 400, 0, 0},
    {"RFC 9112 3.2 HTTP/1.0 without Host is valid (only 1.1 must send it)",
     "GET / HTTP/1.0\r\nA: b\r\n\r\n", COMPLETE, 0, 0, HTTP_GET},
    /* RFC 9110 7.2: Host = uri-host [ ":" port ]; uri-host is RFC 3986's host. */
    {"RFC 9110 7.2 Host = uri-host: reg-name", "GET / HTTP/1.1\r\nHost: ex-1.example.org\r\n\r\n",
     COMPLETE, 0, 1, HTTP_GET},
    {"RFC 9110 7.2 Host = uri-host \":\" port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
     COMPLETE, 0, 1, HTTP_GET},
    {"RFC 9110 7.2 Host = IP-literal [::1]:80", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
     COMPLETE, 0, 1, HTTP_GET},
    {"RFC 9110 7.2 Host = IPvFuture [v1.x]", "GET / HTTP/1.1\r\nHost: [v1.x:y]\r\n\r\n", COMPLETE,
     0, 1, HTTP_GET},
    {"RFC 9110 7.2 Host reg-name with pct-encoded and sub-delims",
     "GET / HTTP/1.1\r\nHost: a%41!$&'()*+;=~_\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    /* RFC 9110 7.2: "a client MUST send a Host header field with an empty
     * field value" when the target URI has no authority: empty is valid. */
    {"RFC 9110 7.2 empty Host field value is valid", "GET / HTTP/1.1\r\nHost:\r\n\r\n", COMPLETE, 0,
     1, HTTP_GET},
    /* RFC 9110 4.2.4: "A sender MUST NOT generate the userinfo subcomponent
     * (and its "@" delimiter)"; '@' is outside uri-host [":" port]. */
    {"RFC 9110 4.2.4 Host with userinfo a@b", "GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", ERROR, 400, 0,
     0},
    {"RFC 9110 7.2 Host with a path a/x", "GET / HTTP/1.1\r\nHost: a/x\r\n\r\n", ERROR, 400, 0, 0},
    {"RFC 9110 7.2 Host that is a path /x", "GET / HTTP/1.1\r\nHost: /x\r\n\r\n", ERROR, 400, 0, 0},
    {"RFC 9110 7.2 Host that is a list a, b", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", ERROR, 400, 0,
     0},
    {"RFC 9110 5.3 Host a,b is two lines combined", "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", ERROR,
     400, 0, 0},
    {"RFC 9110 7.2 Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ERROR, 400, 0, 0},
    {"RFC 9110 7.2 Host with a query a?q", "GET / HTTP/1.1\r\nHost: a?q\r\n\r\n", ERROR, 400, 0, 0},
    {"RFC 9110 7.2 Host with obs-text", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", ERROR, 400,
     0, 0},
    {"RFC 9110 7.2 Host with a bad pct-encoding", "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", ERROR, 400,
     0, 0},
    {"RFC 9110 7.2 Host with a port that is not digits", "GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n",
     ERROR, 400, 0, 0},
    {"RFC 9110 7.2 Host with two ports", "GET / HTTP/1.1\r\nHost: a:80:81\r\n\r\n", ERROR, 400, 0,
     0},
    {"RFC 9110 7.2 Host with a port above 65535", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", ERROR,
     400, 0, 0},
    {"RFC 9110 7.2 Host with an unbracketed IPv6 ::1", "GET / HTTP/1.1\r\nHost: ::1\r\n\r\n", ERROR,
     400, 0, 0},
    {"RFC 9110 7.2 Host with a bad IP-literal [::g]", "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n",
     ERROR, 400, 0, 0},
    {"RFC 9110 7.2 Host with an unclosed IP-literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", ERROR,
     400, 0, 0},
    {"RFC 9112 3.2 invalid Host in HTTP/1.0 too", "GET / HTTP/1.0\r\nHost: a@b\r\n\r\n", ERROR, 400,
     0, 0},

    /* RFC 9112 3.2.4: "The asterisk-form of request-target is only used for
     * a server-wide OPTIONS request"; 3.2: a request-target that is none of
     * the forms is invalid (RFC 9112 3: 400). */
    {"RFC 9112 3.2.4 asterisk-form with OPTIONS parses", "OPTIONS * HTTP/1.1\r\n" H "\r\n",
     COMPLETE, 0, 1, HTTP_OTHER},
    {"RFC 9112 3.2.4 asterisk-form only for OPTIONS: GET *", "GET * HTTP/1.1\r\n" H "\r\n", ERROR,
     400, 0, 0},
    {"RFC 9112 3.2.4 asterisk-form only for OPTIONS: HEAD *", "HEAD * HTTP/1.1\r\n" H "\r\n", ERROR,
     400, 0, 0},
    {"RFC 9112 3.2.4 asterisk-form is \"*\" alone: OPTIONS *x", "OPTIONS *x HTTP/1.1\r\n" H "\r\n",
     ERROR, 400, 0, 0},
    /* RFC 9112 3.2.3: "The authority-form of request-target is only used for
     * CONNECT requests"; RFC 9110 9.3.6: "a client MUST send the port number" */
    {"RFC 9112 3.2.3 authority-form with CONNECT parses",
     "CONNECT example.org:443 HTTP/1.1\r\n" H "\r\n", COMPLETE, 0, 1, HTTP_OTHER},
    {"RFC 9112 3.2.3 authority-form only for CONNECT: GET a:80", "GET a:80 HTTP/1.1\r\n" H "\r\n",
     ERROR, 400, 0, 0},
    {"RFC 9112 3.2.3 CONNECT needs authority-form, not /", "CONNECT / HTTP/1.1\r\n" H "\r\n", ERROR,
     400, 0, 0},
    {"RFC 9110 9.3.6 CONNECT without a port", "CONNECT example.org HTTP/1.1\r\n" H "\r\n", ERROR,
     400, 0, 0},
    {"RFC 9112 3.2 no form at all: GET x", "GET x HTTP/1.1\r\n" H "\r\n", ERROR, 400, 0, 0},
    {"RFC 9112 3.2.2 absolute-form of another scheme", "GET ftp://a/x HTTP/1.1\r\n" H "\r\n", ERROR,
     400, 0, 0},
    /* RFC 9110 4.2.1: "A recipient that processes such a URI reference [an
     * http URI with an empty host] MUST reject it as invalid." */
    {"RFC 9110 4.2.1 absolute-form with an empty host", "GET http:///x HTTP/1.1\r\n" H "\r\n",
     ERROR, 400, 0, 0},
    /* RFC 9110 4.2.4: "a recipient SHOULD parse for userinfo and treat its
     * presence as an error" */
    {"RFC 9110 4.2.4 absolute-form with userinfo", "GET http://u@a/x HTTP/1.1\r\n" H "\r\n", ERROR,
     400, 0, 0},
    /* RFC 9112 3.2: the Host rule holds for absolute-form too. */
    {"RFC 9112 3.2 absolute-form HTTP/1.1 still needs Host",
     "GET http://example.org/a HTTP/1.1\r\n\r\n", ERROR, 400, 0, 0},

    /* RFC 9110 5.5: "Field values containing CR, LF, or NUL characters are
     * invalid and dangerous [...] Field values containing other CTL
     * characters are also invalid" (we reject, the contract says 400). */
    {"RFC 9110 5.5 field value with a CTL (0x01)", "GET / HTTP/1.1\r\n" H "A: b\x01\r\n\r\n", ERROR,
     400, 0, 0},
    {"RFC 9110 5.5 field value with ESC", "GET / HTTP/1.1\r\n" H "A: \x1b[0m\r\n\r\n", ERROR, 400,
     0, 0},
    {"RFC 9110 5.5 field value with DEL", "GET / HTTP/1.1\r\n" H "A: b\x7f\r\n\r\n", ERROR, 400, 0,
     0},
    {"RFC 9110 5.5 field value with a vertical tab", "GET / HTTP/1.1\r\n" H "A: b\vc\r\n\r\n",
     ERROR, 400, 0, 0},
    {"RFC 9110 5.5 Host value with a CTL", "GET / HTTP/1.1\r\nHost: a\x02\r\n\r\n", ERROR, 400, 0,
     0},
    {"RFC 9110 5.5 field value with HTAB is valid", "GET / HTTP/1.1\r\n" H "A: b\tc\r\n\r\n",
     COMPLETE, 0, 1, HTTP_GET},
    {"RFC 9110 5.5 field value with obs-text is valid",
     "GET / HTTP/1.1\r\n" H "A: \xe2\x82\xac\r\n\r\n", COMPLETE, 0, 1, HTTP_GET},
    /* RFC 9112 2.2: "A recipient of such a bare CR MUST consider that
     * element to be invalid" (CR not followed by LF, here before the line). */
    {"RFC 9112 2.2 bare CR before the request line", "\rGET / HTTP/1.1\r\n" H "\r\n", ERROR, 400, 0,
     0},
    /* RFC 9112 2.2: whitespace between the start-line and the first field:
     * "MUST either reject the message as invalid or consume each
     * whitespace-preceded line" (we reject). */
    {"RFC 9112 2.2 whitespace before the first header field", "GET / HTTP/1.1\r\n " H "\r\n", ERROR,
     400, 0, 0},
};
#undef H

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
				tap_note("got %s", outcome_name(rc));
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

/* The absolute form is reduced to its path: "http://h/a?q" -> "/a?q", "http://h" -> "/".
 * RFC 9112 3.2.2: "the origin server MUST ignore the received Host header
 * field (if any) and instead use the host information of the request-target". */
static void run_absolute_form(void)
{
	static const struct {
		const char *input, *path, *host;
	} forms[] = {
	    {"GET http://example.org/a?q HTTP/1.1\r\nHost: other\r\n\r\n", "/a?q", "example.org"},
	    {"GET HTTPS://example.org:8443/b/c HTTP/1.1\r\nHost: x\r\n\r\n", "/b/c",
	     "example.org:8443"},
	    {"GET http://example.org HTTP/1.1\r\nHost: x\r\n\r\n", "/", "example.org"},
	    {"GET http://[::1]:81?q HTTP/1.0\r\n\r\n", "/", "[::1]:81"},
	    {"GET /p HTTP/1.1\r\nHost: h:1\r\n\r\n", "/p", "h:1"},
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct http_request req;
		char name[160];
		int rc = http_parse_request(forms[i].input, strlen(forms[i].input), &req);
		int ok = rc > 0 && req.target_len == strlen(forms[i].path) &&
			 memcmp(req.target, forms[i].path, req.target_len) == 0;
		int line = (int)strcspn(forms[i].input, "\r");
		snprintf(name, sizeof name, "absolute form: %.*s -> %s", line, forms[i].input,
			 forms[i].path);
		check(ok, name, "expected path length %ld, got %ld", (long)strlen(forms[i].path),
		      rc > 0 ? (long)req.target_len : (long)rc);
		ok = rc > 0 && req.host && req.host_len == strlen(forms[i].host) &&
		     memcmp(req.host, forms[i].host, req.host_len) == 0;
		snprintf(name, sizeof name,
			 "RFC 9112 3.2.2 use the host information of the request-target: %.*s "
			 "-> host %s",
			 line, forms[i].input, forms[i].host);
		check(ok, name, "expected host length %ld, got %ld", (long)strlen(forms[i].host),
		      rc > 0 ? (long)req.host_len : (long)rc);
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

/* A request line of line_len octets (without CRLF), then the Host line and the
 * empty line; returns the length. */
static size_t long_request(char *buf, size_t line_len)
{
	size_t n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', line_len - n - 9);
	n = line_len - 9;
	return n + (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
}

/* RFC 9112 3: "It is RECOMMENDED that all HTTP senders and recipients
 * support, at a minimum, request-line lengths of 8000 octets." The contract:
 * request lines up to the head limit are accepted; 414 only beyond it (RFC
 * 9112 3: "A server that receives a request-target longer than any URI it
 * wishes to parse MUST respond with a 414 (URI Too Long)"); a head over the
 * limit whose request line fits is 431. */
static void run_limits(void)
{
	static char buf[3 * HTTP_MAX_HEAD];
	size_t n;

	n = long_request(buf, 8000);
	check(parse_status(buf, n) == (int)n,
	      "RFC 9112 3 support request-line lengths of 8000 octets", "expected %ld, got %ld",
	      (long)n, parse_status(buf, n));
	n = long_request(buf, HTTP_MAX_HEAD - 13); /* + CRLF + "Host: a" CRLF + CRLF = limit */
	check(n == HTTP_MAX_HEAD && parse_status(buf, n) == (int)n,
	      "limit: a request line that fills the 8 KiB head exactly parses",
	      "expected %ld, got %ld", (long)n, parse_status(buf, n));
	long bad = -1;
	for (size_t k = 0; k < n && bad < 0; k++)
		if (parse_status(buf, k) != HTTP_PARTIAL)
			bad = (long)k;
	check(bad < 0, "limit: every prefix of that 8 KiB head needs more",
	      "expected need-more for every prefix (%ld), first failure at length %ld", -1, bad);
	n = long_request(buf, HTTP_MAX_HEAD - 12);
	check(parse_status(buf, n) == 431,
	      "limit: request line fits in 8 KiB, head one byte over: 431", "expected %ld, got %ld",
	      431, parse_status(buf, n));
	n = long_request(buf, HTTP_MAX_HEAD - 2); /* the line and its CRLF fill the limit */
	check(parse_status(buf, n) == 431, "limit: request line + CRLF exactly 8 KiB: 431",
	      "expected %ld, got %ld", 431, parse_status(buf, n));
	n = long_request(buf, HTTP_MAX_HEAD - 1);
	check(parse_status(buf, n) == 414, "limit: request line + CRLF over 8 KiB: 414",
	      "expected %ld, got %ld", 414, parse_status(buf, n));
	check(parse_status(buf, HTTP_MAX_HEAD) == 414,
	      "limit: request line over 8 KiB, unfinished at the limit: 414",
	      "expected %ld, got %ld", 414, parse_status(buf, HTTP_MAX_HEAD));
	check(parse_status(buf, HTTP_MAX_HEAD - 1) == HTTP_PARTIAL,
	      "limit: request line unfinished one byte before the limit: need more",
	      "expected %ld, got %ld", HTTP_PARTIAL, parse_status(buf, HTTP_MAX_HEAD - 1));
	n = long_request(buf, 3 * HTTP_MAX_HEAD - 30);
	check(parse_status(buf, n) == 414, "limit: request line of 24 KiB, finished: 414",
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

/* The response head, built without stdio, must be byte for byte what the
 * format string said: each case formatted both ways (the Date taken from the
 * head itself, the one field that changes). */
static void run_response_head(void)
{
	static const struct {
		const char *name;
		int status, close;
		const char *ctype, *extra, *server;
		size_t body_len;
	} heads[] = {
	    {"200 keep-alive", 200, 0, "text/plain", NULL, "epoll", 13},
	    {"404 close", 404, 1, "text/plain", NULL, "select", 14},
	    {"405 with Allow", 405, 1, "text/plain", "Allow: GET, HEAD\r\n", "thread", 23},
	    {"no Content-Type given", 200, 0, NULL, NULL, "uring", 0},
	    {"a large Content-Length", 200, 0, "image/png", NULL, "iocp-emul", 18446744073709551615ull},
	};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		struct http_response r;
		char want[600], name[120];
		http_response_init(&r);
		r.status = heads[i].status;
		r.close = heads[i].close;
		r.ctype = heads[i].ctype;
		r.extra = heads[i].extra;
		r.body_len = heads[i].body_len;
		http_finish(&r, heads[i].server);
		r.head[r.head_len < sizeof r.head ? r.head_len : 0] = '\0';
		const char *date = strstr(r.head, "Date: ");
		int date_len = date ? (int)strcspn(date + 6, "\r") : 0;
		snprintf(want, sizeof want,
			 "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %.*s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: %s\r\n%s\r\n",
			 r.status, http_reason(r.status), heads[i].server, date_len,
			 date ? date + 6 : "", r.ctype ? r.ctype : "text/plain", r.body_len,
			 r.close ? "close" : "keep-alive", r.extra ? r.extra : "");
		snprintf(name, sizeof name, "response head: %s", heads[i].name);
		tap_check(r.head_len == strlen(want) && strcmp(r.head, want) == 0 && date_len == 29,
			  name, "expected\n%s\ngot (%zu bytes)\n%s", want, r.head_len, r.head);
	}
	/* A Server name that cannot fit: no head at all (the caller sends nothing). */
	char big[600];
	struct http_response r;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	http_response_init(&r);
	r.status = 200;
	http_finish(&r, big);
	check(r.head_len == 0, "response head: too long for the buffer is refused",
	      "expected head_len %ld, got %ld", 0, r.head_len);
}

int main(void)
{
	run_table();
	run_prefixes();
	run_byte_at_a_time();
	run_absolute_form();
	run_pipelined();
	run_limits();
	run_response_head();
	return tap_done();
}
