/*++
 * NAME
 *	admin_repl 3
 * SUMMARY
 *	the administrator's changes on a replication client go to the master
 * DESCRIPTION
 *	With replication on, suppress, unsuppress and import join the
 *	site's replication group as a subordinate process (their commits
 *	wait for a quorum of acknowledgements). On a client, which cannot
 *	write, admin_repl_forward() sends the command line (and, for
 *	import, the file's contents) to the master's replication process,
 *	which runs the same command there; its output and exit status are
 *	this command's.
 * DIAGNOSTICS
 *	Exit 75 when the change could not be sent to a master, or the master
 *	could not make it durable: nothing was claimed done.
 *--*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define ADMIN_EX_TEMPFAIL	75

/* admin_repl_writes - the commands that change the store */
static bool
admin_repl_writes(const char *cmd)
{
	return strcmp(cmd, "suppress") == 0 || strcmp(cmd, "unsuppress") == 0 ||
	    strcmp(cmd, "import") == 0;
}

/* admin_repl_input - import's file, read here, sent as standard input */
static int
admin_repl_input(const char *name, struct buf *req)
{
	FILE	*fp = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
	char	 chunk[8192];
	size_t	 n;

	if (fp == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(req, chunk, n);
	if (fp != stdin)
		fclose(fp);
	return 0;
}

/* admin_repl_request - "A", the arguments, an empty one, the input */
static int
admin_repl_request(int argc, char **argv, struct buf *req)
{
	const char *file = NULL;

	buf_add(req, "A", 2);
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(argv[0], "import") == 0 && i > 0 && arg[0] != '-') {
			file = arg;
			arg = "-";	/* the master reads it from its input */
		}
		buf_addch(req, '=');	/* so that "" can be an argument */
		buf_add(req, arg, strlen(arg) + 1);
	}
	buf_add(req, "", 1);
	return file != NULL ? admin_repl_input(file, req) : 0;
}

/* admin_repl_forward - -1: run here; else the master's exit status */
int
admin_repl_forward(struct admin *a, int argc, char **argv)
{
	struct buf req = BUF_INIT, answer = BUF_INIT, err = BUF_INIT;
	int	 status = ADMIN_EX_TEMPFAIL;

	if (a->cfg->repl_local[0] == '\0' || !admin_repl_writes(argv[0]))
		return -1;
	a->repl_writer = true;
	if (admin_store_try(a, &err) == NULL) {
		admin_fail(argv[0], "%s", buf_cstr(&err));
		buf_free(&err);
		return ADMIN_EX_TEMPFAIL;
	}
	buf_free(&err);
	if (store_repl_is_master(a->store))
		return -1;
	if (getenv("BG_REPL_FORWARDED") != NULL) {
		admin_fail(argv[0], "forwarded to this site, which is no "
		    "longer the replication master; try again");
		return ADMIN_EX_TEMPFAIL;
	}
	if (admin_repl_request(argc, argv, &req) < 0)
		status = admin_fail(argv[0], "%s: %s", argv[argc - 1],
		    strerror(errno));
	else if (store_repl_request(a->store, req.data, req.len, &status,
	    &answer) != STORE_OK) {
		admin_fail(argv[0], "not done: %s", store_error(a->store));
		status = ADMIN_EX_TEMPFAIL;
	} else
		fwrite(answer.data, 1, answer.len, status == 0 ? stdout : stderr);
	buf_free(&req);
	buf_free(&answer);
	return status;
}
