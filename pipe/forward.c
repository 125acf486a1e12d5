/*++
 * NAME
 *	forward 3
 * SUMMARY
 *	a bounce delivered to a replication client goes to the master
 * DESCRIPTION
 *	With replication on (repl_local set), the pipe joins its site's
 *	replication group as a subordinate process. On the master it
 *	records the bounce itself, and its commit waits for a quorum of
 *	acknowledgements. On a client, which cannot write, it sends the
 *	delivery (its -q, -r and -s arguments and the message) to the
 *	master's replication process over a Berkeley DB message channel;
 *	the master runs its own pipe on it, and this pipe exits with that
 *	pipe's status, so that the MTA sees 0 only once the master has
 *	recorded the bounce durably, and 75 when there is no master, no
 *	quorum, or no answer within repl_request_timeout.
 *
 *	A delivery that was forwarded here (BG_REPL_FORWARDED in the
 *	environment) is never forwarded again: when this site is no longer
 *	the master it is deferred.
 * DIAGNOSTICS
 *	"QUEUE-ID: repl role=R master=HOST:PORT" for every delivery with
 *	replication on; "forwarded to the replication master status=N"
 *	when forwarded; the master's own output is passed on to the MTA.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libbase.h"
#include "libstore.h"
#include "pipe.h"

/* forward_request - "P", each argument after "=", a NUL, the message.
   The client address (-a) goes too: the master decides from it, as
   this site would have, whether our own MTA wrote the bounce. */
static void
forward_request(const struct pipe_run *run, struct buf *req)
{
	const char *args[] = { "-q", run->queue_id, "-r", run->recipient,
	    "-s", run->sender, "-a", run->client };
	size_t	 nargs = run->client != NULL ? 8 : 6;

	buf_add(req, "P", 2);
	for (size_t i = 0; i < nargs; i++) {
		buf_addch(req, '=');	/* so that "" can be an argument */
		buf_add(req, args[i], strlen(args[i]) + 1);
	}
	buf_add(req, "", 1);
	buf_add(req, run->msg.data, run->msg.len);
}

/* pipe_forward - on a replication client, let the master record it */
void
pipe_forward(struct pipe_run *run)
{
	struct buf req = BUF_INIT, answer = BUF_INIT;
	int	 status = PIPE_EX_TEMPFAIL;
	char	 role[400];

	if (run->store == NULL)
		return;
	/* The role this delivery saw: a line per delivery, key=value. */
	log_info("%s: repl %s", run->queue_id, store_repl_describe(run->store,
	    role, sizeof(role)));
	if (store_repl_is_master(run->store))
		return;
	if (getenv("BG_REPL_FORWARDED") != NULL)
		pipe_tempfail(run, "forwarded to this site, which is no longer "
		    "the replication master");
	forward_request(run, &req);
	if (store_repl_request(run->store, req.data, req.len, &status,
	    &answer) != STORE_OK)
		pipe_tempfail(run, "not recorded: %s", store_error(run->store));
	buf_free(&req);
	if (answer.len > 0)
		fprintf(stderr, "%.*s", (int)answer.len, answer.data);
	buf_free(&answer);
	log_info("%s: forwarded to the replication master status=%d",
	    run->queue_id, status);
	if (status != PIPE_EX_OK)
		pipe_tempfail(run, "the replication master did not record it "
		    "(status %d)", status);
	pipe_exit(run, PIPE_EX_OK);
}
