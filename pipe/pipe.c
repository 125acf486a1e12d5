/*++
 * NAME
 *	bounceguard-pipe 8
 * SUMMARY
 *	record one bounce; the MTA's delivery program for the VERP domain
 * DESCRIPTION
 *	bounceguard-pipe -c FILE -r RECIPIENT -s SENDER [-a CLIENT]
 *	[-q QUEUE_ID] [-e]
 *
 *	Reads one message on standard input, checks the signed VERP
 *	recipient, parses the bounce, applies the policy and records the
 *	result in the store, in one durable transaction per recipient.
 *	Bounces that cannot be verified, matched or parsed are kept in
 *	quarantine_dir and change nothing. -a names the SMTP client the
 *	MTA received the bounce from (empty: not over SMTP), which decides
 *	whether a bounce to a per-message token is trusted (origin.c).
 *
 *	The start-up path is kept lean because this runs once per bounce:
 *	the rules are compiled on first use and never JIT-compiled.
 * DIAGNOSTICS
 *	Exit status, as Postfix pipe(8) and Exim read <sysexits.h>: 0 once
 *	the bounce is recorded or quarantined; 75 (EX_TEMPFAIL) whenever it
 *	could not be (store locked, full or missing; bad configuration;
 *	quarantine not writable), so that the MTA keeps it and retries.
 *	Never a permanent failure: no bounce is lost for a problem of ours.
 *	Even a SIGBUS (a memory-mapped store region whose file system filled
 *	up while it grew) ends in exit 75, not in a crash.
 *	Nothing is written to standard output; on exit 75 one line on
 *	standard error says why (Postfix shows it in its deferral reason).
 *--*/
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libbase.h"
#include "libbounce.h"
#include "libstore.h"
#include "pipe.h"

/* pipe_exit - close the store, then exit */
__attribute__((noreturn))
void
pipe_exit(struct pipe_run *run, int status)
{
	/*
	 * Leaving the store without closing it would look like a crash to
	 * the next process to open it, which would then run recovery under
	 * everybody else's feet. Closing releases the registry slot and the
	 * descriptors even after another process's recovery panicked our
	 * handle, but Berkeley DB cannot free a panicked environment's
	 * memory: then skip the exit handlers that would report that loss.
	 */
	bool	 panicked = store_close(run->store) == STORE_EPANIC ||
	    run->panicked;

	if (run->chfd >= 0)
		close(run->chfd);
	store_repl_free(&run->repl);
	config_free(run->cfg);
	if (panicked)
		_exit(status);
	exit(status);
}

/* pipe_tempfail - say why on stderr and in the log, exit 75 */
__attribute__((format(printf, 2, 3), noreturn))
void
pipe_tempfail(struct pipe_run *run, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s: deferred: %s", run->queue_id, msg);
	fprintf(stderr, "bounceguard-pipe: %s\n", msg);
	pipe_exit(run, PIPE_EX_TEMPFAIL);
}

/* pipe_alarm - the delivery took far too long: let the MTA retry */
static void
pipe_alarm(int sig)
{
	static const char msg[] = "bounceguard-pipe: delivery time limit "
	    "exceeded; the MTA will retry\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(PIPE_EX_TEMPFAIL);
}

/* pipe_bus_error - a region page with no block behind it: keep the mail */
static void
pipe_bus_error(int sig)
{
	static const char msg[] = "bounceguard-pipe: bus error in the store's "
	    "shared memory (the file system holding store_dir is full?); "
	    "the MTA will retry\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(PIPE_EX_TEMPFAIL);
}

/* pipe_stuck - the store cannot answer any more: keep the mail */
static void
pipe_stuck(const char *why)
{
	fprintf(stderr, "bounceguard-pipe: %s; the MTA will retry\n", why);
	_exit(PIPE_EX_TEMPFAIL);
}

/* pipe_time_limit - never hang the MTA, whatever happens to the store */
static void
pipe_time_limit(const struct config *cfg)
{
	long long limit = 3 * cfg->store_lock_timeout + 30;

	signal(SIGALRM, pipe_alarm);
	alarm((unsigned)limit);
}

/* pipe_usage - a master.cf mistake is ours: keep the mail */
__attribute__((noreturn))
static void
pipe_usage(struct pipe_run *run)
{
	pipe_tempfail(run, "usage: bounceguard-pipe -c FILE -r RECIPIENT "
	    "-s SENDER [-a CLIENT] [-q QUEUE_ID] [-e]");
}

/* pipe_load_config - the configuration, or exit 75 naming the problems */
static void
pipe_load_config(struct pipe_run *run, const char *path)
{
	struct buf err = BUF_INIT;
	char	*nl;

	if ((run->cfg = config_load(path, &err)) == NULL) {
		for (char *line = err.data; line && *line; line = nl + 1) {
			if ((nl = strchr(line, '\n')) == NULL)
				break;
			*nl = '\0';
			log_warnx("%s", line);
		}
		pipe_tempfail(run, "bad configuration in %s", path);
	}
	buf_free(&err);
	log_set_facility(config_enum_name(run->cfg, "syslog_facility"));
	if (run->cfg->verp_domain[0] == '\0')
		pipe_tempfail(run, "%s: verp_domain is not set", path);
}

/* pipe_kept - quarantine, as a step outcome */
static enum pipe_step
pipe_kept(struct pipe_run *run, const char *reason)
{
	return pipe_quarantine(run, reason) == 0 ? PIPE_DONE : PIPE_FAIL;
}

/* pipe_verify - decode the VERP recipient */
static enum pipe_step
pipe_verify(struct pipe_run *run)
{
	struct verp_codec c;
	struct buf err = BUF_INIT;

	if ((run->keys = verp_keys_load(run->cfg->verp_secret_file, &err)) ==
	    NULL)
		pipe_tempfail(run, "%s", bg_trim(err.data));
	if (err.len > 0)	/* loaded, with a warning (file mode) */
		log_warnx("%s: %s", run->queue_id, bg_trim(err.data));
	buf_free(&err);
	c.prefix = run->cfg->verp_prefix;
	c.domain = run->cfg->verp_domain;
	c.keys = run->keys;
	c.max_age = run->cfg->verp_max_age;
	verp_decode(&c, run->recipient, run->now, &run->verp);
	if (run->verp.status == VERP_VALID)
		return PIPE_NEXT;
	if (run->verp.status == VERP_NOT_OURS)
		return pipe_kept(run, "unsigned");
	return pipe_kept(run, verp_status_name(run->verp.status));
}

/* pipe_parse - classify the message */
static enum pipe_step
pipe_parse(struct pipe_run *run)
{
	struct bounce_parser bp;
	struct ruleset *rs;
	struct buf err = BUF_INIT;

	if ((rs = parser_config_rules(run->cfg, RULES_LAZY, &err)) == NULL)
		pipe_tempfail(run, "rules: %s", bg_trim(err.data));
	buf_free(&err);
	bounce_init();
	parser_config_apply(&bp, run->cfg, rs);
	bounce_parse(&bp, run->msg.data, run->msg.len, &run->parsed);
	rules_free(rs);
	if (parser_config_limits(&bp, &run->parsed, &err))
		log_warnx("%s: parse limit: %s", run->queue_id, err.data);
	buf_free(&err);
	if (run->parsed.kind != BOUNCE_NONE && run->parsed.nrcpt > 0)
		return PIPE_NEXT;
	return pipe_kept(run, run->parsed.parts_limit ||
	    run->parsed.depth_limit || run->parsed.headers_limit ?
	    "parse-limit" : "not-a-bounce");
}

/* pipe_args - the command line */
static void
pipe_args(struct pipe_run *run, int argc, char **argv, const char **config)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "a:c:eq:r:s:V")) != -1) {
		switch (ch) {
		case 'a':
			run->client = optarg;
			break;
		case 'c':
			*config = optarg;
			break;
		case 'e':
			log_init("bounceguard-pipe", LOG_TO_SYSLOG | LOG_TO_STDERR);
			break;
		case 'q':
			run->queue_id = optarg;
			break;
		case 'r':
			run->recipient = optarg;
			break;
		case 's':
			run->sender = optarg;
			break;
		case 'V':
			printf("bounceguard-pipe %s\n", BG_VERSION);
			exit(0);
		default:
			pipe_usage(run);
		}
	}
	if (optind != argc || run->recipient == NULL || run->sender == NULL)
		pipe_usage(run);
}

/* pipe_process - every step, in order */
static enum pipe_step
pipe_process(struct pipe_run *run)
{
	enum pipe_step st;

	if (run->oversize) {
		log_warnx("%s: message larger than max_message_size=%lld: "
		    "not parsed", run->queue_id, run->cfg->max_message_size);
		return pipe_kept(run, "too-big");
	}
	if ((st = pipe_verify(run)) != PIPE_NEXT ||
	    (st = pipe_parse(run)) != PIPE_NEXT)
		return st;
	pipe_digest(run);
	pipe_open_store(run);
	return pipe_record(run) == PIPE_EX_OK ? PIPE_DONE : PIPE_FAIL;
}

int
main(int argc, char **argv)
{
	struct pipe_run run;
	const char *config = CONFIG_DEFAULT_PATH;

	memset(&run, 0, sizeof(run));
	run.queue_id = "NOQUEUE";
	run.chfd = -1;
	log_init("bounceguard-pipe", LOG_TO_SYSLOG);
	log_set_fatal_status(PIPE_EX_TEMPFAIL);
	pipe_args(&run, argc, argv, &config);
	if (geteuid() == 0)
		pipe_tempfail(&run, "refusing to run as root; set user= in "
		    "master.cf or user = in the Exim transport");
	pipe_load_config(&run, config);
	pipe_time_limit(run.cfg);
	signal(SIGBUS, pipe_bus_error);
	store_on_stuck(pipe_stuck);
	run.now = time(NULL);
	if (pipe_read_message(&run) < 0)
		pipe_tempfail(&run, "reading the message: %s", strerror(errno));
	if (pipe_process(&run) == PIPE_FAIL) {
		/* The deferral reason the MTA shows: say what failed. */
		if (run.error[0] != '\0')
			pipe_tempfail(&run, "not recorded: %s", run.error);
		pipe_tempfail(&run, "could not record or quarantine the bounce");
	}
	bounce_result_free(&run.parsed);
	verp_keys_free(run.keys);
	buf_free(&run.msg);
	pipe_exit(&run, PIPE_EX_OK);
}
