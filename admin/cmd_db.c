/*++
 * NAME
 *	cmd_db 3
 * SUMMARY
 *	bounceguard db verify, db backup and db recover
 * DESCRIPTION
 *	"db backup DIR" writes a consistent copy of the store into DIR,
 *	which must not exist, while the milter and the pipes keep running
 *	(store_backup(): Berkeley DB's hot backup, then recovery in the
 *	copy). The copy is a store: point store_dir at it to use it, or
 *	stop the daemons and move it into place to restore.
 *
 *	"db verify" checks the structure of every database file. It works
 *	on a hot backup in a temporary directory (under TMPDIR), because
 *	verifying files that other processes are writing reports damage
 *	that is not there. A store that cannot be opened at all (a damaged
 *	file or log) is reported as such, and its files are then verified
 *	in place: nothing can be writing to them.
 *
 *	"db recover" opens the store as its first user would, with
 *	DB_REGISTER|DB_RECOVER: recovery runs when a process died inside
 *	the store (or nothing else has it open), and never under processes
 *	that are alive and well.
 * DIAGNOSTICS
 *	verify prints one line per file and exits 1 if any is damaged;
 *	backup and recover print one line and exit 1 on failure.
 *--*/
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "libstore.h"

/* db_rm - nftw callback: remove one entry */
static int
db_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* db_backup - db backup DIR */
static int
db_backup(struct admin *a, const char *dir)
{
	struct store *st = admin_store(a);

	if (store_backup(st, dir) != STORE_OK)
		return admin_fail("db backup", "%s", store_error(st));
	printf("db backup: %s: consistent copy of %s written\n", dir,
	    a->cfg->store_dir);
	return 0;
}

/* db_verify_files - check every database file of a directory */
static int
db_verify_files(const char *dir)
{
	struct buf err = BUF_INIT;
	int	 bad = 0;

	for (size_t i = 0; store_files[i] != NULL; i++) {
		buf_reset(&err);
		if (store_verify_dir(dir, store_files[i], &err) == STORE_OK)
			printf("db verify: %s: ok\n", store_files[i]);
		else
			bad = admin_fail("db verify", "%s", buf_cstr(&err));
	}
	buf_free(&err);
	return bad;
}

/* db_verify - db verify, on a hot copy, or in place if the store is broken */
static int
db_verify(struct admin *a)
{
	const char *tmp = getenv("TMPDIR");
	struct buf err = BUF_INIT;
	struct store *st;
	char	*dir;
	int	 bad;

	if ((st = admin_store_try(a, &err)) == NULL) {
		/* Nothing can write to a store that does not open. */
		admin_fail("db verify", "%s", buf_cstr(&err));
		buf_free(&err);
		(void)db_verify_files(a->cfg->store_dir);
		return 1;
	}
	buf_free(&err);
	dir = xasprintf("%s/bounceguard-verify.%ld", tmp && *tmp ? tmp :
	    "/tmp", (long)getpid());
	if (store_backup(st, dir) != STORE_OK)
		bad = admin_fail("db verify", "%s", store_error(st));
	else
		bad = db_verify_files(dir);
	(void)nftw(dir, db_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return bad;
}

/* db_recover - run recovery if it is needed */
static int
db_recover(struct admin *a)
{
	struct store_opts o = { a->cfg->store_lock_timeout,
	    a->cfg->store_cache_size, (unsigned)a->cfg->event_history_max,
	    false, NULL };
	struct buf err = BUF_INIT;
	bool	 ran;
	int	 rc = 0;

	if (admin_drop_privs(a, &err) < 0)
		rc = admin_fail("db recover", "%s", buf_cstr(&err));
	else if (store_recover_dir(a->cfg->store_dir, &o, &ran, &err) != STORE_OK)
		rc = admin_fail("db recover", "%s", buf_cstr(&err));
	else
		printf("db recover: %s: %s\n", a->cfg->store_dir, ran ?
		    "recovery done" : "no recovery needed (the store is in "
		    "use by live processes, or was closed cleanly)");
	buf_free(&err);
	return rc;
}

/* db_status - this site's replication role, master and peers */
static int
db_status(struct admin *a)
{
	struct buf out = BUF_INIT;
	int	 rc = 0;

	if (store_repl_status(admin_store(a), &out) != STORE_OK)
		rc = admin_fail("db status", "%s", store_error(a->store));
	else
		fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	return rc;
}

/* cmd_db - the database subcommands */
int
cmd_db(struct admin *a, int argc, char **argv)
{
	if (argc < 2)
		return admin_usage("db", "no subcommand given");
	if (strcmp(argv[1], "backup") == 0) {
		if (argc != 3 || argv[2][0] == '-')
			return admin_usage("db", "db backup needs one "
			    "directory");
		return db_backup(a, argv[2]);
	}
	if (strcmp(argv[1], "status") == 0) {
		if (argc != 2)
			return admin_usage("db", "unexpected argument \"%s\"",
			    argv[2]);
		return db_status(a);
	}
	if (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "recover") != 0)
		return admin_usage("db", "unknown subcommand \"%s\"", argv[1]);
	if (argc != 2)
		return admin_usage("db", "unexpected argument \"%s\"", argv[2]);
	return strcmp(argv[1], "verify") == 0 ? db_verify(a) : db_recover(a);
}
