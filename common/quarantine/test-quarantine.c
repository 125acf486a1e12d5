/*++
 * NAME
 *	test-quarantine 1
 * SUMMARY
 *	unit tests for the quarantine budget
 * DESCRIPTION
 *	Files of known sizes and ages in a temporary Maildir: accounting
 *	below the budget removes nothing, going over removes the oldest
 *	first, an age limit removes old files whatever the size, stale tmp/
 *	files go, links are left alone, and the recorded total is exact
 *	after a pass.
 *--*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "libbase.h"
#include "quarantine.h"
#include "tap.h"

static char dir[] = "/tmp/test-quarantine.XXXXXX";

/* put - a file of SIZE bytes in SUB, written AGE seconds ago */
static void
put(const char *sub, const char *name, size_t size, time_t age)
{
	char	*path = xasprintf("%s/%s/%s", dir, sub, name);
	char	*data = xcalloc(1, size + 1);
	struct timeval tv[2];
	FILE	*f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fatal("write %s", path);
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - age;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	if (utimes(path, tv) < 0)
		fatal("utimes %s", path);
	free(data);
	free(path);
}

/* present - whether a file is still there */
static bool
present(const char *sub, const char *name)
{
	char	*path = xasprintf("%s/%s/%s", dir, sub, name);
	struct stat st;
	bool	 yes = lstat(path, &st) == 0;

	free(path);
	return yes;
}

/* usage - the recorded total */
static long long
usage(void)
{
	char	*path = xasprintf("%s/.usage", dir);
	FILE	*f = fopen(path, "r");
	long long n = -1;

	if (f != NULL && fscanf(f, "%lld", &n) != 1)
		n = -1;
	if (f != NULL)
		fclose(f);
	free(path);
	return n;
}

/* test_account - below the budget nothing goes; above, the oldest */
static void
test_account(void)
{
	struct quarantine_limits lim = { 10000, 0 };
	struct quarantine_pruned p;

	put("new", "100.a", 4000, 300);
	is_int(quarantine_account(dir, 4000, &lim, time(NULL), &p), 0,
	    "account a first file");
	is_int((long long)p.removed, 0, "under the budget: nothing removed");
	is_int(usage(), 4000, "the total is recorded");
	put("new", "200.b", 4000, 200);
	quarantine_account(dir, 4000, &lim, time(NULL), &p);
	is_int(usage(), 8000, "the total grows without a pass");
	put("cur", "300.c", 4000, 100);
	is_int(quarantine_account(dir, 4000, &lim, time(NULL), &p), 0,
	    "over the budget: a pruning pass");
	is_int((long long)p.removed, 1, "one file removed");
	ok(!present("new", "100.a") && present("new", "200.b") &&
	    present("cur", "300.c"), "the oldest one, from new/ or cur/");
	is_int(usage(), 8000, "the exact total is recorded");
	is_int(p.kept_bytes, 8000, "and reported");
}

/* test_count - quarantine_count() agrees with what is there */
static void
test_count(size_t files, long long bytes, const char *what)
{
	size_t	 n = 0;
	long long b = 0;

	is_int(quarantine_count(dir, &n, &b), 0, "%s: counted", what);
	is_int((long long)n, (long long)files, "%s: files", what);
	is_int(b, bytes, "%s: bytes", what);
}

/* test_prune - age, stale tmp/ files, links, a drifted total */
static void
test_prune(void)
{
	struct quarantine_limits lim = { 0, 3600 };
	struct quarantine_pruned p;
	char	*link = xasprintf("%s/new/999.link", dir);

	put("new", "400.d", 100, 7200);
	put("tmp", "500.e", 100, 40 * 3600);
	put("tmp", "600.f", 100, 60);
	if (symlink("/etc/passwd", link) < 0)
		fatal("symlink %s", link);
	is_int(quarantine_prune(dir, &lim, time(NULL), &p), 0, "prune by age");
	ok(!present("new", "400.d"), "a file older than max_age goes");
	ok(!present("tmp", "500.e") && present("tmp", "600.f"),
	    "a stale tmp/ file goes, a fresh one stays");
	ok(present("new", "999.link") && access("/etc/passwd", F_OK) == 0,
	    "a link is neither followed nor removed");
	is_int((long long)p.removed, 2, "two files removed");
	is_int(usage(), 8000, "the total counts regular files of new/ and cur/");
	test_count(2, 8000, "count: regular files of new/ and cur/ only");
	unlink(link);
	free(link);
}

/* test_missing - a directory that is not there */
static void
test_missing(void)
{
	struct quarantine_limits lim = { 1, 1 };
	struct quarantine_pruned p;
	size_t	 n = 1;
	long long b = 1;

	is_int(quarantine_prune("/nonexistent/quarantine", &lim, time(NULL),
	    &p), -1, "a missing directory is an error");
	is_int(quarantine_count("/nonexistent/quarantine", &n, &b), 0,
	    "a missing directory counts as empty");
	ok(n == 0 && b == 0, "with nothing in it");
}

int
main(void)
{
	char	*cmd;

	log_init("test-quarantine", LOG_TO_STDERR);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	for (int i = 0; i < 3; i++) {
		static const char *const sub[] = { "new", "cur", "tmp" };
		char	*d = xasprintf("%s/%s", dir, sub[i]);

		if (mkdir(d, 0750) < 0)
			fatal("mkdir %s", d);
		free(d);
	}
	test_account();
	test_prune();
	test_missing();
	cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	return done_testing();
}
