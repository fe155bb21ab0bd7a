/* http.h - HTTP/1.0 and 1.1 for every model: a stateless request parser and
 * the response every model sends (see ../shared/contract.md, "HTTP behaviour").
 *
 * The parser is in picohttpparser's manner: it allocates nothing, keeps no
 * state between calls, and returns the number of bytes the request head took,
 * HTTP_PARTIAL when more bytes are needed, or HTTP_ERROR with req->status set
 * to the status to answer (400, 414, 431, 505) before closing.
 * It enforces RFC 9112's request-target forms and Host rules (exactly one
 * valid Host in HTTP/1.1; asterisk-form with OPTIONS only, authority-form with
 * CONNECT only) and rejects NUL, bare CR and other control characters.
 *
 * The response is built in three steps so that a model may put its own I/O
 * between them (the IOCP model reads the file through its completion port):
 *   http_prepare()   route the request: status, keep-alive, open the file
 *   http_read_file() read the opened file into the response (blocking pread)
 *   http_finish()    format the head
 * http_respond() does all three with the per-request work (work_do) in between.
 * The connection core (conn.c) calls the steps itself and leaves the file read
 * to its driver (CONN_FILE). http_finish builds the head with memcpy (no stdio
 * per response) and the Date once a second.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <sys/uio.h>

#include "options.h"

#define HTTP_MAX_HEAD 8192 /* request head limit: 431 beyond; 414 when the request line alone is   \
			    */
#define HTTP_MAX_PATH    4096 /* decoded --root path (PATH_MAX): 404 beyond */
#define HTTP_MAX_HEADERS 64   /* header count limit: 431 beyond */

#define HTTP_PARTIAL (-2)
#define HTTP_ERROR   (-1)

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_request {
	enum http_method method;
	const char *method_str; /* points into the caller's buffer */
	size_t method_len;
	const char *target; /* request-target as sent (not decoded); absolute-form: its path */
	size_t target_len;
	const char *host; /* uri-host [":" port]: absolute-form's authority, else Host's value */
	size_t host_len;  /* (host NULL: HTTP/1.0 without Host) */
	int absolute;     /* the target was in absolute-form (its authority wins over Host) */
	int minor;        /* HTTP/1.<minor> */
	int keep_alive;   /* after the version's default and Connection: */
	long long content_length; /* -1 when absent */
	int chunked;              /* Transfer-Encoding present */
	int status;               /* on HTTP_ERROR: status to answer */
};

/* Parse one request head at the start of buf[0, len). */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

struct http_response {
	int status;
	int close;     /* send Connection: close, then close */
	int head_only; /* HEAD: Content-Length of the body, no body */
	const char *ctype;
	const char *extra; /* extra header lines ("Allow: GET, HEAD\r\n"), or NULL */
	const char *body;  /* what goes after the head */
	size_t body_len;   /* Content-Length */
	char *body_buf;    /* owned: the file's bytes (freed by http_response_free) */
	int file_fd;       /* >= 0: opened by http_prepare, not yet read */
	char head[512];
	size_t head_len;
};

void http_response_init(struct http_response *r);
/* Kernel threads that may each hold a file share this process's descriptors
 * (thread, iocp-emul's workers): a --root file's open that finds none free
 * waits for theirs to be closed (work_block: iocp-emul's port releases
 * another worker meanwhile), up to about 0.6 s, before its 500. Not for an
 * event loop: waiting would stop its connections, and it holds one file at
 * a time (the default --max-conns keeps 32 descriptors spare). */
void http_files_shared(void);
void http_prepare(const struct http_request *req, const struct server_opts *o,
		  struct http_response *r);
/* Read r->file_fd (r->body_len bytes) into r->body_buf and close it; 500 on error. */
void http_read_file(struct http_response *r);
/* The caller read r->file_fd into r->body_buf itself: close the file, use the bytes. */
void http_file_loaded(struct http_response *r);
void http_finish(struct http_response *r, const char *server);

/* prepare + work_do(spin, block) + read_file + finish. */
void http_respond(const struct http_request *req, const struct server_opts *o, const char *server,
		  struct http_response *r);

/* A complete error response (status 4xx/5xx, Connection: close). */
void http_error(struct http_response *r, int status, const char *server);

/* Requests answered by http_respond() in this process so far (errors excluded):
 * the server's own count, logged at exit by models that can tell it. */
long http_responses(void);
/* Count one more (what http_respond does; for those that call the three steps). */
void http_count_response(void);

/* The response as one or two iovecs (head, body); returns the count. */
int http_response_iov(const struct http_response *r, struct iovec iov[2]);
void http_response_free(struct http_response *r);

const char *http_reason(int status);
/* Content-Type by file name extension. */
const char *http_mime_type(const char *path);

#endif
