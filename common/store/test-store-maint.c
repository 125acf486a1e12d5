/*++
 * NAME
 *	test-store-maint 1
 * SUMMARY
 *	unit tests for store maintenance
 * DESCRIPTION
 *	Against real Berkeley DB environments in a temporary directory:
 *	batches report per-address results and stay exact when two
 *	processes batch over the same addresses at once; pruning events,
 *	tokens and dedupe keys deletes exactly what is older than the
 *	cutoff; a hot backup taken while another process writes opens as a
 *	store and verifies; a damaged file fails verification, naming it;
 *	recovery runs after a process was killed inside the store.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libbase.h"
#include "store_int.h"
#include "store_maint.h"
#include "tap.h"

static char tmpdir[] = "/tmp/bg-test-maint-XXXXXX";
static int dir_seq;

/* new_dir - a fresh store directory */
static char *
new_dir(void)
{
	char	*dir = xasprintf("%s/s%d", tmpdir, ++dir_seq);

	if (mkdir(dir, 0700) < 0)
		fatal("mkdir %s", dir);
	return dir;
}

/* open_store - open or die */
static struct store *
open_store(const char *dir)
{
	struct store_opts o = { 5, 8 << 20, 5, false, NULL };
	struct buf err = BUF_INIT;
	struct store *st;

	if (store_open(&st, dir, &o, &err) != STORE_OK)
		fatalx("open %s: %s", dir, buf_cstr(&err));
	buf_free(&err);
	return st;
}

/* bump - update function: count one hard bounce, or none when arg says */
static int
bump(struct store_addr *a, bool existed, struct store_event *ev,
    struct store_delta *d, void *arg)
{
	const int *mode = arg;

	(void)existed;
	(void)d;
	if (*mode == STORE_NOCHANGE)
		return STORE_NOCHANGE;
	a->hard_count++;
	ev->time = time(NULL);
	bg_strlcpy(ev->type, "hard", sizeof(ev->type));
	return 0;
}

/* count_of - the hard count of an address, or -1 */
static long
count_of(struct store *st, const char *addr)
{
	struct store_addr rec;

	return store_get(st, addr, &rec) == STORE_OK ? (long)rec.hard_count : -1;
}

/* test_many - per-address results of a batch */
static void
test_many(void)
{
	static const struct {
		const char *addr;
		int	 mode;
		long	 want;
	} cases[] = {
		{ "a@example.org", 0, 1 },
		{ "b@example.org", STORE_NOCHANGE, -1 },
		{ "a@example.org", 0, 2 },	/* same txn sees the first */
		{ "c@example.org", 0, 1 },
	};
	const char *addrs[BG_ARRAY_SIZE(cases)];
	void	*args[BG_ARRAY_SIZE(cases)];
	int	 results[BG_ARRAY_SIZE(cases)], modes[BG_ARRAY_SIZE(cases)];
	char	*dir = new_dir();
	struct store *st = open_store(dir);

	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++) {
		addrs[i] = cases[i].addr;
		modes[i] = cases[i].mode;
		args[i] = &modes[i];
	}
	is_int(store_update_many(st, BG_ARRAY_SIZE(cases), addrs, bump, args,
	    results), STORE_OK, "batch commits");
	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++)
		is_int(results[i], cases[i].mode, "result %zu is the function's",
		    i);
	is_int(count_of(st, "a@example.org"), 2, "repeated address counted twice");
	is_int(count_of(st, "b@example.org"), -1, "NOCHANGE writes nothing");
	is_int(count_of(st, "c@example.org"), 1, "new address written");
	is_int(store_sync(st), STORE_OK, "sync");
	store_close(st);
	free(dir);
}

/* batch_child - many batches over the same addresses */
static void
batch_child(const char *dir)
{
	const char *addrs[50];
	void	*args[50];
	int	 results[50], mode = 0, rc = STORE_OK;
	char	 names[50][32];
	struct store *st = open_store(dir);

	for (int i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "u%d@example.org",
		    (i * 7) % 50);
		addrs[i] = names[i];
		args[i] = &mode;
	}
	for (int round = 0; round < 20 && rc == STORE_OK; round++)
		rc = store_update_many(st, 50, addrs, bump, args, results);
	store_sync(st);
	store_close(st);
	_exit(rc == STORE_OK ? 0 : 1);
}

/* test_many_concurrent - two processes batching at once stay exact */
static void
test_many_concurrent(void)
{
	char	*dir = new_dir();
	struct store *st = open_store(dir);
	int	 status, failed = 0, exact = 1;
	pid_t	 pids[2];

	store_close(st);
	for (int i = 0; i < 2; i++)
		if ((pids[i] = fork()) == 0)
			batch_child(dir);
	for (int i = 0; i < 2; i++)
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	is_int(failed, 0, "both batching processes succeed");
	st = open_store(dir);
	for (int i = 0; i < 50; i++) {
		char	 a[32];

		snprintf(a, sizeof(a), "u%d@example.org", i);
		if (count_of(st, a) != 40)
			exact = 0;
	}
	ok(exact, "every address counted 2 x 20 times");
	store_close(st);
	free(dir);
}

/* count_events - events of an address */
static int
count_event(const char *addr, const struct store_event *ev, void *arg)
{
	(void)addr;
	(void)ev;
	(*(int *)arg)++;
	return 0;
}

/* test_prune_events - deletes exactly the events before the cutoff */
static void
test_prune_events(void)
{
	static const struct {
		long	 offset;	/* cutoff relative to now */
		size_t	 deleted;
		int	 left;
	} cases[] = {
		{ -3600, 0, 3 },
		{ 0, 0, 3 },		/* recorded this second: kept */
		{ 2, 3, 0 },
	};
	char	*dir = new_dir();
	struct store *st = open_store(dir);
	int	 mode = 0, left;
	size_t	 n;
	time_t	 now = time(NULL);

	for (int i = 0; i < 3; i++)
		store_update(st, "e@example.org", NULL, bump, &mode, 0);
	for (size_t i = 0; i < BG_ARRAY_SIZE(cases); i++) {
		n = 99;
		is_int(store_prune_history(st, now + cases[i].offset, &n),
		    STORE_OK, "prune events before now%+ld", cases[i].offset);
		is_int(n, cases[i].deleted, "deleted %zu", cases[i].deleted);
		left = 0;
		store_foreach_event(st, "e@example.org", count_event, &left);
		is_int(left, cases[i].left, "%d events left", cases[i].left);
	}
	is_int(count_of(st, "e@example.org"), 3, "the address record stays");
	store_close(st);
	free(dir);
}

/* test_prune_many - pruning more than one batch */
static void
test_prune_many(void)
{
	char	*dir = new_dir();
	struct store *st = open_store(dir);
	const char *rcpt[] = { "x@example.org" };
	char	 tok[32];
	size_t	 n = 0;
	uint32_t today = bg_day(time(NULL));

	for (int i = 0; i < 2500; i++) {
		snprintf(tok, sizeof(tok), "tok%05d", i);
		store_token_put(st, tok, i % 2 ? today : today - 100, rcpt, 1);
	}
	is_int(store_prune_tokens(st, today - 50, &n), STORE_OK,
	    "prune 2500 tokens");
	is_int(n, 1250, "the 1250 old ones, over several transactions");
	store_close(st);
	free(dir);
}

/* test_prune_tokens_seen - tokens by day, dedupe keys by time */
static void
test_prune_tokens_seen(void)
{
	static const struct {
		const char *token;
		int	 age;		/* days */
		int	 kept;
	} toks[] = {
		{ "old", 100, 0 }, { "edge", 50, 1 }, { "new", 0, 1 },
	};
	char	*dir = new_dir();
	struct store *st = open_store(dir);
	const char *rcpt[] = { "t@example.org" };
	struct buf out = BUF_INIT;
	uint32_t today = bg_day(time(NULL)), day;
	int	 mode = 0;
	size_t	 n;

	for (size_t i = 0; i < BG_ARRAY_SIZE(toks); i++)
		store_token_put(st, toks[i].token, today - (uint32_t)toks[i].age,
		    rcpt, 1);
	is_int(store_prune_tokens(st, today - 50, &n), STORE_OK, "prune tokens");
	is_int(n, 1, "one token older than the cutoff day");
	for (size_t i = 0; i < BG_ARRAY_SIZE(toks); i++) {
		buf_reset(&out);
		is_int(store_token_get(st, toks[i].token, &day, &out),
		    toks[i].kept ? STORE_OK : STORE_NOTFOUND, "token %s %s",
		    toks[i].token, toks[i].kept ? "kept" : "dropped");
	}
	buf_free(&out);
	store_update(st, "s@example.org", "digest1", bump, &mode, 0);
	is_int(store_prune_seen(st, time(NULL) - 10, &n), STORE_OK,
	    "prune seen, cutoff in the past");
	is_int(n, 0, "a fresh dedupe key is kept");
	is_int(store_update(st, "s@example.org", "digest1", bump, &mode, 0),
	    STORE_DUPLICATE, "and still deduplicates");
	store_prune_seen(st, time(NULL) + 10, &n);
	is_int(n, 1, "an old dedupe key is dropped");
	is_int(store_update(st, "s@example.org", "digest1", bump, &mode, 0),
	    STORE_OK, "so the key is accepted again");
	store_close(st);
	free(dir);
}

/* writer_child - update until the stop file appears (or until killed) */
static void
writer_child(const char *dir, const char *stop)
{
	struct store *st = open_store(dir);
	int	 mode = 0;
	char	 a[32];

	for (int i = 0; stop == NULL || access(stop, F_OK) < 0; i++) {
		snprintf(a, sizeof(a), "w%d@example.org", i % 300);
		store_update(st, a, NULL, bump, &mode, STORE_NOSYNC);
	}
	store_close(st);
	_exit(0);
}

/* test_backup - a hot backup during writes opens and verifies */
static void
test_backup(void)
{
	char	*dir = new_dir(), *bk = xasprintf("%s/backup", tmpdir);
	char	*stop = xasprintf("%s/stop", tmpdir);
	struct store *st = open_store(dir), *copy;
	struct buf err = BUF_INIT;
	int	 mode = 0, bad = 0, status;
	pid_t	 pid;

	store_update(st, "keep@example.org", NULL, bump, &mode, 0);
	if ((pid = fork()) == 0)
		writer_child(dir, stop);
	usleep(200000);
	is_int(store_backup(st, bk), STORE_OK, "hot backup while a process "
	    "writes");
	close(open(stop, O_CREAT | O_WRONLY, 0600));	/* a clean stop */
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer "
	    "carried on through the backup");
	ok(store_backup(st, bk) < 0, "backup refuses an existing directory");
	ok(strstr(store_error(st), "backup") != NULL, "and says so: %s",
	    store_error(st));
	store_close(st);
	for (size_t i = 0; store_files[i] != NULL; i++)
		if (store_verify_dir(bk, store_files[i], &err) != STORE_OK)
			bad++;
	is_int(bad, 0, "every file of the backup verifies");
	copy = open_store(bk);
	is_int(count_of(copy, "keep@example.org"), 1, "the backup opens as a "
	    "store with the data");
	store_close(copy);
	buf_free(&err);
	free(stop);
	free(bk);
	free(dir);
}

/* test_verify_damage - a damaged file fails, named */
static void
test_verify_damage(void)
{
	char	*dir = new_dir(), *path = xasprintf("%s/addresses.db", dir);
	struct buf err = BUF_INIT;
	FILE	*fp;

	if ((fp = fopen(path, "w")) != NULL) {
		for (int i = 0; i < 8192; i++)
			fputc(i * 31 % 251, fp);
		fclose(fp);
	}
	is_int(store_verify_dir(dir, "addresses.db", &err), STORE_EFATAL,
	    "a garbage file fails verification");
	ok(strncmp(buf_cstr(&err), "addresses.db: ", 14) == 0,
	    "the error names the file: %s", buf_cstr(&err));
	buf_reset(&err);
	is_int(store_verify_dir(dir, "missing.db", &err), STORE_EFATAL,
	    "a missing file fails verification");
	buf_free(&err);
	free(path);
	free(dir);
}

/* test_recover - recovery runs after a process died in the store */
static void
test_recover(void)
{
	char	*dir = new_dir();
	struct store *st = open_store(dir);
	struct store_opts o = { 5, 8 << 20, 5, false, NULL };
	struct buf err = BUF_INIT;
	bool	 ran = true;
	u_int32_t gb = 0, bytes = 0;
	int	 status, ncache;
	pid_t	 pid;

	store_close(st);
	if ((pid = fork()) == 0)
		writer_child(dir, NULL);
	usleep(200000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	is_int(store_recover_dir(dir, &o, &ran, &err), STORE_OK,
	    "recover after SIGKILL: %s", buf_cstr(&err));
	ok(ran, "recovery ran");
	st = open_store(dir);
	ok(count_of(st, "w0@example.org") > 0, "committed work is there");
	st->env->get_cachesize(st->env, &gb, &bytes, &ncache);
	ok(gb == 0 && bytes >= 8 << 20, "the recovered environment has the "
	    "configured cache, not Berkeley DB's default (%u bytes)", bytes);
	store_close(st);
	buf_free(&err);
	free(dir);
}

/* cleanup - remove the temporary directory, pass the status on */
static int
cleanup(int status)
{
	char	*cmd = xasprintf("rm -rf %s", tmpdir);

	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	return status;
}

int
main(void)
{
	log_init("test-store-maint", LOG_TO_STDERR);
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");
	test_many();
	test_many_concurrent();
	test_prune_events();
	test_prune_many();
	test_prune_tokens_seen();
	test_backup();
	test_verify_damage();
	test_recover();
	return cleanup(done_testing());
}
