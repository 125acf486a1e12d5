/*++
 * NAME
 *	fuzz_lookup 3
 * SUMMARY
 *	fuzz the milter's lookup-socket protocols (lines and socketmap)
 * DESCRIPTION
 *	The harness sets the milter's runtime up as bounceguard-milter
 *	does (rt_load() of a configuration file, rt_install(),
 *	mstore_init() on a real Berkeley DB store in a temporary
 *	directory, with two suppressed addresses), then treats each input
 *	as the bytes one client sends on the lookup socket. They arrive in
 *	pieces of varying size in a buffer as large as the server's, and
 *	lookup_next() is called as the server calls it.
 *
 *	Properties: each request consumes bytes; the answer to a line
 *	request is exactly one line; the answer to a socketmap request is
 *	exactly one netstring whose length is right; a broken frame ends
 *	the connection with one answer.
 *
 *	The temporary directory is $TMPDIR/bg-fuzz-lookup.XXXXXX, removed
 *	at exit.
 * DIAGNOSTICS
 *	Exits 2 when the store or the configuration cannot be set up; a
 *	failed property aborts.
 *--*/
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "libbase.h"
#include "milter.h"

#define FZ_IN_SIZE	(LOOKUP_REQUEST_MAX + 32)	/* as lookup.c */

static char *fz_dir;

/* fz_rm - remove one entry of the temporary directory */
static int
fz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* fz_cleanup - close the store and remove the temporary directory */
static void
fz_cleanup(void)
{
	mstore_shutdown();
	if (fz_dir != NULL)
		nftw(fz_dir, fz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* fz_write - a small file, or exit */
static void
fz_write(const char *path, const char *text, mode_t mode)
{
	FILE	*fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0 ||
	    chmod(path, mode) < 0) {
		perror(path);
		exit(2);
	}
}

struct fz_supp {
	const char *scope, *reason;
};

/* fz_suppress_fn - store_update() callback adding one suppression */
static int
fz_suppress_fn(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	const struct fz_supp *s = arg;
	struct store_supp *p = &a->supp[0];

	(void)existed;
	(void)d;
	memset(p, 0, sizeof(*p));
	a->nsupp = 1;
	bg_strlcpy(p->scope, s->scope, sizeof(p->scope));
	bg_strlcpy(p->reason, s->reason, sizeof(p->reason));
	bg_strlcpy(p->source, "manual", sizeof(p->source));
	p->since = time(NULL);
	bg_strlcpy(ev->type, "manual", sizeof(ev->type));
	bg_strlcpy(ev->action, "suppressed", sizeof(ev->action));
	return 0;
}

/* fz_store - create the store with two suppressed addresses */
static void
fz_store(const char *dir)
{
	static const struct {
		const char *addr;
		struct fz_supp s;
	} supp[] = {
		{ "jane@example.org", { "", "userunknown" } },
		{ "bob@example.org", { "news.example.com", "complaint 100%" } },
	};
	struct store_opts o = { .lock_timeout = 5, .cache_size = 1 << 20,
	    .event_history_max = 10 };
	struct buf err = BUF_INIT;
	struct store *st;

	if (mkdir(dir, 0700) < 0 || store_open(&st, dir, &o, &err) !=
	    STORE_OK) {
		fprintf(stderr, "fuzz-lookup: %s: store: %s\n", dir,
		    buf_cstr(&err));
		exit(2);
	}
	for (size_t i = 0; i < BG_ARRAY_SIZE(supp); i++)
		if (store_update(st, supp[i].addr, NULL, fz_suppress_fn,
		    (void *)(uintptr_t)&supp[i].s, 0) < 0) {
			fprintf(stderr, "fuzz-lookup: %s\n", store_error(st));
			exit(2);
		}
	store_close(st);
	buf_free(&err);
}

/* LLVMFuzzerInitialize - configuration, keys and store, once */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct buf err = BUF_INIT;
	char	*conf, *secret, *store, *text;
	struct mrt *rt;

	(void)argc;
	(void)argv;
	log_init("fuzz-lookup", 0);
	fz_dir = xasprintf("%s/bg-fuzz-lookup.XXXXXX", tmp && *tmp ? tmp :
	    "/tmp");
	if (mkdtemp(fz_dir) == NULL) {
		perror(fz_dir);
		exit(2);
	}
	atexit(fz_cleanup);
	conf = xasprintf("%s/bounceguard.conf", fz_dir);
	secret = xasprintf("%s/verp.secret", fz_dir);
	store = xasprintf("%s/store", fz_dir);
	fz_write(secret, "fuzzing-secret-0123456789\n", 0600);
	text = xasprintf("store_dir = %s\nverp_domain = bounces.example.com\n"
	    "verp_secret_file = %s\n", store, secret);
	fz_write(conf, text, 0644);
	fz_store(store);
	if ((rt = rt_load(conf, &err)) == NULL) {
		fprintf(stderr, "fuzz-lookup: %s", buf_cstr(&err));
		exit(2);
	}
	rt_install(rt);
	mstore_init(rt->cfg);
	free(conf);
	free(secret);
	free(store);
	free(text);
	buf_free(&err);
	return 0;
}

/* fz_check_netstring - exactly one well-formed netstring */
static void
fz_check_netstring(const char *s, size_t n)
{
	size_t	 i, len = 0;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		len = len * 10 + (size_t)(s[i] - '0');
	fuzz_assert(i > 0 && i < n && s[i] == ':', "netstring length");
	fuzz_assert(n == i + 1 + len + 1 && s[n - 1] == ',',
	    "one netstring of the stated length");
}

/* fz_check_answer - one answer in the protocol of its request */
static void
fz_check_answer(char first, const char *s, size_t n)
{
	if (first >= '0' && first <= '9') {
		fz_check_netstring(s, n);
		return;
	}
	fuzz_assert(n > 0 && s[n - 1] == '\n' && memchr(s, '\n', n - 1) ==
	    NULL, "one answer line");
}

/* fz_drain - answer every complete request; false ends the connection */
static bool
fz_drain(char *in, size_t *have, struct buf *out)
{
	enum lookup_parse st;
	size_t	 used, before;

	for (;;) {
		char	 first = *have > 0 ? in[0] : '\0';

		before = out->len;
		st = lookup_next(in, *have, &used, out);
		if (st == LOOKUP_NEED_MORE) {
			fuzz_assert(out->len == before, "no answer yet");
			return *have < FZ_IN_SIZE;
		}
		fz_check_answer(first, out->data + before, out->len - before);
		if (st == LOOKUP_BAD_FRAME)
			return false;
		fuzz_assert(used > 0 && used <= *have, "a request uses bytes");
		memmove(in, in + used, *have - used);
		*have -= used;
	}
}

/* LLVMFuzzerTestOneInput - one client connection */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[] = { 64, 1, 700, 13, 2000 };
	char	 in[FZ_IN_SIZE];
	struct buf out = BUF_INIT;
	size_t	 have = 0, off = 0;

	for (size_t k = 0; off < size; k++) {
		size_t	 n = pieces[k % BG_ARRAY_SIZE(pieces)];

		if (n > FZ_IN_SIZE - have)
			n = FZ_IN_SIZE - have;
		if (n > size - off)
			n = size - off;
		memcpy(in + have, data + off, n);
		have += n;
		off += n;
		if (!fz_drain(in, &have, &out))
			break;
	}
	buf_free(&out);
	return 0;
}
