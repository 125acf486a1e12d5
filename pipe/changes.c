/*++
 * NAME
 *	changes 3
 * SUMMARY
 *	the pipe's store: opened here, or the replication process's
 * DESCRIPTION
 *	Every change the pipe makes (and the token read it needs) is a
 *	request of libchange. On a single host the pipe opens the store
 *	and applies them itself.
 *
 *	With replication on (repl_local set), the pipe never opens the
 *	store: it connects to its host's replication process, the milter,
 *	over bounceguard.repl-socket in store_dir, and the milter applies
 *	each request in its own process. On the master, its commit waits
 *	for a quorum of acknowledgements; on a client, which cannot write,
 *	the milter passes the request to the master's milter over a
 *	signed Berkeley DB message channel. Either way the answer comes
 *	once the change is durable (or not), so that the MTA sees 0 only
 *	then, and 75 when there is no replication process here, no
 *	master, no quorum, or no answer within repl_request_timeout.
 * DIAGNOSTICS
 *	"QUEUE-ID: repl role=R master=HOST:PORT" for every delivery with
 *	replication on (the milter's view when the pipe connected).
 *--*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libbase.h"
#include "libchange.h"
#include "pipe.h"

#define CHANGES_GREETING_MAX	1024

/* changes_connect - the replication process of this host, or exit 75 */
static void
changes_connect(struct pipe_run *run)
{
	struct buf err = BUF_INIT, hello = BUF_INIT;
	char	 path[256];
	long long timeout = run->cfg->store_lock_timeout +
	    run->cfg->repl_request_timeout + 5;

	if (change_sock_path(run->cfg->store_dir, path, sizeof(path)) < 0)
		pipe_tempfail(run, "replication: store_dir %s is too long for "
		    "the replication process's socket", run->cfg->store_dir);
	if ((run->chfd = change_sock_connect(path, timeout, &err)) < 0 &&
	    (errno == EACCES || errno == EPERM))
		pipe_tempfail(run, "not allowed to reach this host's "
		    "replication process (run bounceguard-pipe as the store's "
		    "user): %s", buf_cstr(&err));
	if (run->chfd < 0)
		pipe_tempfail(run, "no replication process is running on "
		    "this host (bounceguard-milter): %s", buf_cstr(&err));
	if (change_sock_recv(run->chfd, &hello, CHANGES_GREETING_MAX) < 0)
		pipe_tempfail(run, "the replication process (%s) did not "
		    "answer: %s", path, strerror(errno));
	/* The role this delivery saw: a line per delivery, key=value. */
	log_info("%s: repl %s", run->queue_id, buf_cstr(&hello));
	buf_free(&hello);
	buf_free(&err);
}

/* pipe_open_store - the store, or this host's replication process */
void
pipe_open_store(struct pipe_run *run)
{
	struct store_opts o;
	struct buf err = BUF_INIT;
	int	 rc;

	if ((rc = store_repl_load(run->cfg, STORE_REPL_WRITER, &run->repl,
	    &err)) < 0)
		pipe_tempfail(run, "replication: %s", buf_cstr(&err));
	if (rc == 0) {
		changes_connect(run);
		return;
	}
	o.lock_timeout = run->cfg->store_lock_timeout;
	o.cache_size = run->cfg->store_cache_size;
	o.event_history_max = (unsigned)run->cfg->event_history_max;
	o.readonly = false;
	o.repl = NULL;
	if ((rc = store_open(&run->store, run->cfg->store_dir, &o, &err)) !=
	    STORE_OK) {
		run->panicked = rc == STORE_EPANIC;
		pipe_tempfail(run, "%s", buf_cstr(&err));
	}
	buf_free(&err);
}

/* changes_remote - the replication process's answer to a request */
static void
changes_remote(struct pipe_run *run, const struct buf *req, struct buf *raw)
{
	char	 why[300];

	if (change_sock_send(run->chfd, req->data, req->len) == 0 &&
	    change_sock_recv(run->chfd, raw, CHANGE_MSG_MAX) == 0)
		return;
	snprintf(why, sizeof(why), "the replication process of this host "
	    "did not answer: %s", errno == EAGAIN ? "timed out" :
	    strerror(errno));
	change_answer_error(raw, STORE_ETEMP, why);
}

/* pipe_change - apply a request, here or through the replication process */
int
pipe_change(struct pipe_run *run, const struct buf *req,
    struct change_answer *ans)
{
	struct buf raw = BUF_INIT;

	if (run->store != NULL)
		(void)change_apply(run->store, run->cfg, req->data, req->len,
		    &raw);
	else
		changes_remote(run, req, &raw);
	if (change_answer_read(req->data[0], raw.data, raw.len, ans) < 0) {
		change_answer_free(ans);
		memset(ans, 0, sizeof(*ans));
		ans->rc = STORE_ETEMP;
		bg_strlcpy(ans->error, "malformed answer from the replication "
		    "process", sizeof(ans->error));
	}
	buf_free(&raw);
	if (ans->rc < 0)
		bg_strlcpy(run->error, ans->error, sizeof(run->error));
	return ans->rc;
}
