/*++
 * NAME
 *	events 3
 * SUMMARY
 *	telling the site about each recorded bounce
 * DESCRIPTION
 *	After a bounce is committed, its event is written as one JSON line
 *	to event_log (when set) and given on standard input to event_command
 *	(when set), run with /bin/sh -c under event_command_timeout. This is
 *	how a site feeds bounces into its own databases and services.
 *
 *	Neither can change the outcome: the bounce is already recorded, so
 *	a failure is logged and the pipe still exits 0. The command's output
 *	goes to /dev/null; the MTA reads the pipe's own output.
 * DIAGNOSTICS
 *	Warnings name the file or command and what went wrong: a write
 *	error, an exit status, a signal, or the time limit.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "pipe.h"

/* events_json - the event as one JSON line */
static void
events_json(const struct pipe_run *run, const char *addr,
    const struct bounce_rcpt *rc, const struct policy_input *in,
    const struct policy_result *out, struct buf *b)
{
	char	 when[BG_TIMESTR_SIZE];
	struct json j;

	json_begin(&j, b);
	json_member_str(&j, "time", bg_timestr(run->now, when, sizeof(when)));
	json_member_str(&j, "queue_id", run->queue_id);
	json_member_str(&j, "recipient", addr);
	json_member_str(&j, "dsn_recipient", rc->recipient);
	json_member_str(&j, "type", out->type);
	json_member_str(&j, "reason", reason_name(in->reason));
	json_member_str(&j, "action", out->action);
	json_member_str(&j, "dsn_action", rc->action);
	json_member_str(&j, "status", rc->status);
	json_member_str(&j, "reply_code", rc->reply_code);
	json_member_str(&j, "mode", in->mode);
	json_member_str(&j, "scope", in->reason == REASON_FEEDBACK ?
	    in->scope : NULL);
	json_member_str(&j, "feedback_type", rc->feedback_type);
	json_member_str(&j, "diagnostic", rc->diagnostic);
	json_member_str(&j, "reporting_mta", rc->reporting_mta);
	json_member_str(&j, "remote_mta", rc->remote_mta);
	json_member_str(&j, "rule", rc->rule);
	json_member_str(&j, "verp", in->verp);
	json_end(&j);
	buf_addch(b, '\n');
}

/* events_append - one line at the end of event_log */
static void
events_append(const struct pipe_run *run, const char *path,
    const struct buf *line)
{
	int	 fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);

	if (fd < 0 || write(fd, line->data, line->len) != (ssize_t)line->len)
		log_warn("%s: event_log %s", run->queue_id, path);
	if (fd >= 0)
		close(fd);
}

/* events_child - the command's process: JSON in, output discarded */
static void
events_child(int in_fd, const char *cmd)
{
	int	 null = open("/dev/null", O_WRONLY);

	setpgid(0, 0);
	if (dup2(in_fd, STDIN_FILENO) < 0 || null < 0 ||
	    dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
		_exit(127);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* events_wait - wait for the command, killing it at the time limit */
static int
events_wait(pid_t pid, long long timeout, int *status)
{
	struct timespec nap = { 0, 5 * 1000 * 1000 };
	long long waited_ms = 0;
	pid_t	 got;

	while ((got = waitpid(pid, status, WNOHANG)) == 0) {
		if (waited_ms >= timeout * 1000) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -1;
		}
		nanosleep(&nap, NULL);
		waited_ms += 5;
	}
	return got < 0 ? -1 : 0;
}

/* events_run - give the event to event_command */
static void
events_run(const struct pipe_run *run, const char *cmd, const struct buf *line)
{
	void	(*old)(int) = signal(SIGPIPE, SIG_IGN);
	int	 fds[2], status = 0;
	pid_t	 pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		log_warn("%s: event_command: cannot start", run->queue_id);
		return;
	}
	if (pid == 0) {
		close(fds[1]);
		events_child(fds[0], cmd);
	}
	close(fds[0]);
	if (write(fds[1], line->data, line->len) != (ssize_t)line->len)
		log_warnx("%s: event_command: it did not read the event",
		    run->queue_id);
	close(fds[1]);
	if (events_wait(pid, run->cfg->event_command_timeout, &status) < 0)
		log_warnx("%s: event_command: killed after %llds",
		    run->queue_id, run->cfg->event_command_timeout);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("%s: event_command: exit status %d", run->queue_id,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("%s: event_command: killed by signal %d",
		    run->queue_id, WTERMSIG(status));
	signal(SIGPIPE, old);
}

/* pipe_event - publish one committed bounce */
void
pipe_event(const struct pipe_run *run, const char *addr,
    const struct bounce_rcpt *rc, const struct policy_input *in,
    const struct policy_result *out)
{
	const struct config *cfg = run->cfg;
	struct buf line = BUF_INIT;

	if (cfg->event_log[0] == '\0' && cfg->event_command[0] == '\0')
		return;
	events_json(run, addr, rc, in, out, &line);
	if (cfg->event_log[0] != '\0')
		events_append(run, cfg->event_log, &line);
	if (cfg->event_command[0] != '\0')
		events_run(run, cfg->event_command, &line);
	buf_free(&line);
}
