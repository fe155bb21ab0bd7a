/* fuzz_request.c - libFuzzer target: the request parser with routing and file
 * resolution, as a server runs them (http_parse_request, http_prepare,
 * http_read_file, http_finish), under a --root the target builds once.
 *
 * The tree (in $TMPDIR, removed at exit):
 *   <dir>/secret                  a file outside the root
 *   <dir>/root/{index.html,a.txt,8k.bin,sub/x.css,sub/index.html,fifo}
 *   <dir>/root/link-in.txt -> a.txt           (inside: may be served)
 *   <dir>/root/link-out -> ../secret          (out of the root)
 *   <dir>/root/link-abs -> <dir>/secret       (absolute, out of the root)
 *   <dir>/root/sub/up -> ../..                (a directory out of the root)
 *
 * What aborts (a finding):
 *   - a file descriptor opened by http_prepare that is not beneath the root
 *     (readlink /proc/self/fd/N), or that is the secret;
 *   - a body holding the secret's bytes;
 *   - a status that is not one of the contract's, or an empty response head;
 *   - a parser result that is none of complete/need more/error, a complete
 *     length beyond the input, a prefix of a complete head that is not
 *     "need more", or a different answer for the head cut to its own length;
 *   - a descriptor leaked by one input (the lowest free descriptor moved).
 * ASan and UBSan report the rest.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_NAME "fuzz_request"
#include "fuzz.h"
#include "http.h"

static char dir[PATH_MAX], root[PATH_MAX];
static size_t root_len;
static const char secret[] = "SECRET-outside-the-root\n";
static struct server_opts opts_root, opts_plain;

static void put_file(const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		FAIL("cannot write %s", path);
}

static void put_link(const char *target, const char *rel)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (symlink(target, path) != 0)
		FAIL("cannot make the symlink %s", path);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void remove_tree(void)
{
	if (dir[0] && nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "fuzz_request: could not remove %s\n", dir);
}

static void make_tree(void)
{
	static char eight_k[8192];
	const char *tmp = getenv("TMPDIR");
	char abs_secret[PATH_MAX * 2];

	snprintf(dir, sizeof dir, "%s/fuzz-root-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		FAIL("mkdtemp %s failed", dir);
	atexit(remove_tree);
	snprintf(root, sizeof root, "%s/root", dir);
	if (mkdir(root, 0755) != 0 || mkdir(strcat(strcpy(abs_secret, root), "/sub"), 0755) != 0)
		FAIL("cannot make %s", root);
	put_file("secret", secret, sizeof secret - 1);
	put_file("root/index.html", "<p>index</p>\n", 13);
	put_file("root/a.txt", "plain text a\n", 13);
	memset(eight_k, 'k', sizeof eight_k);
	put_file("root/8k.bin", eight_k, sizeof eight_k);
	put_file("root/sub/x.css", "b{}\n", 4);
	put_file("root/sub/index.html", "<p>sub</p>\n", 11);
	snprintf(abs_secret, sizeof abs_secret, "%s/fifo", root);
	if (mkfifo(abs_secret, 0600) != 0)
		FAIL("cannot make the fifo %s", abs_secret);
	put_link("a.txt", "root/link-in.txt");
	put_link("../secret", "root/link-out");
	snprintf(abs_secret, sizeof abs_secret, "%s/secret", dir);
	put_link(abs_secret, "root/link-abs");
	put_link("../..", "root/sub/up");

	char *real = realpath(root, NULL);
	if (!real)
		FAIL("realpath %s failed", root);
	snprintf(root, sizeof root, "%s/", real);
	root_len = strlen(root);
	free(real);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_tree();
	opts_plain = (struct server_opts){.root_fd = -1};
	opts_root = (struct server_opts){.root = root};
	opts_root.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (opts_root.root_fd < 0)
		FAIL("cannot open the root %s", root);
	return 0;
}

/* The descriptor http_prepare opened must name a file beneath the root. */
static void check_fd_beneath_root(int fd)
{
	char link[64], path[PATH_MAX + 1];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n < 0)
		FAIL("readlink %s failed", link);
	path[n] = '\0';
	if ((size_t)n <= root_len || strncmp(path, root, root_len) != 0)
		FAIL("opened %s, which is not beneath the root %s", path, root);
}

static int contract_status(int s)
{
	static const int ok[] = {200, 400, 403, 404, 405, 413, 414, 431, 500, 501, 505};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (s == ok[i])
			return 1;
	return 0;
}

static void check_head(const struct http_response *r)
{
	if (!contract_status(r->status))
		FAIL("status %d is not one of the contract's", r->status);
	if (r->head_len == 0 || memcmp(r->head, "HTTP/1.1 ", 9) != 0)
		FAIL("empty or malformed response head for status %d", r->status);
}

/* Route the request as a server does, checking what it opens and sends. */
static void respond(const struct http_request *req, const struct server_opts *o)
{
	struct http_response r;
	http_prepare(req, o, &r);
	if (r.file_fd >= 0)
		check_fd_beneath_root(r.file_fd);
	http_read_file(&r);
	http_finish(&r, "fuzz");
	check_head(&r);
	if (!r.head_only && r.body && r.body_len >= sizeof secret - 1 &&
	    memmem(r.body, r.body_len, secret, sizeof secret - 1))
		FAIL("the response body holds the secret's bytes");
	http_response_free(&r);
}

static void check_parse(const char *buf, size_t len, int rc, const struct http_request *req)
{
	struct http_request again;
	if (rc == HTTP_PARTIAL)
		return;
	if (rc == HTTP_ERROR) {
		if (req->status != 400 && req->status != 414 && req->status != 431 &&
		    req->status != 505)
			FAIL("parse error with status %d", req->status);
		return;
	}
	if (rc <= 0 || (size_t)rc > len)
		FAIL("parse returned %d for %zu bytes", rc, len);
	if (http_parse_request(buf, (size_t)rc, &again) != rc || again.method != req->method ||
	    again.target_len != req->target_len || again.keep_alive != req->keep_alive)
		FAIL("the head cut to its own %d bytes parses differently", rc);
	if (http_parse_request(buf, (size_t)rc - 1, &again) != HTTP_PARTIAL)
		FAIL("a prefix (%d bytes) of a complete head is not need-more", rc - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	const char *buf = (const char *)data;
	int lowest_free_fd = lowest_fd();
	int rc = http_parse_request(buf, size, &req);

	check_parse(buf, size, rc, &req);
	if (rc == HTTP_ERROR) {
		struct http_response r;
		http_error(&r, req.status, "fuzz");
		check_head(&r);
		http_response_free(&r);
	} else if (rc > 0) {
		struct http_request get = req;
		if (get.method == HTTP_HEAD) /* HEAD closes its file at once: check GET's */
			get.method = HTTP_GET;
		respond(&get, &opts_root);
		respond(&req, &opts_root);
		respond(&req, &opts_plain);
	}
	if (lowest_fd() != lowest_free_fd)
		FAIL("a descriptor leaked (lowest free fd %d, was %d)", lowest_fd(),
		     lowest_free_fd);
	return 0;
}
