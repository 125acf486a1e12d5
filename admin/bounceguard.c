/*++
 * NAME
 *	bounceguard 8
 * SUMMARY
 *	the administrator's tool
 * DESCRIPTION
 *	bounceguard [-c FILE] [-v] COMMAND [ARGUMENTS]
 *
 *	Loads the configuration, then runs one command from the table
 *	below. Each command lives in its own cmd_NAME.c file. The store is
 *	opened only by commands that need it (admin_store()); when running
 *	as root the tool first becomes the configured user, so that no
 *	store file is ever created owned by root.
 *
 *	SIGINT, SIGTERM and SIGHUP stop a command between records, with
 *	the store closed properly (a second signal is obeyed at once);
 *	SIGPIPE is ignored, so "dump | head" ends as a write error.
 *
 *	Without -c, the file named by the BOUNCEGUARD_CONFIG environment
 *	variable is used, else /etc/bounceguard/bounceguard.conf; when that
 *	default file does not exist the built-in defaults apply.
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 when the command found a problem with
 *	its data or the store, 2 for a usage error.
 *--*/
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "libstore.h"

struct admin_cmd {
	const char *name;
	int	(*fn)(struct admin *, int, char **);
	const char *usage;
	const char *help;
};

static int cmd_help(struct admin *, int, char **);
static int cmd_version(struct admin *, int, char **);

static const struct admin_cmd admin_cmds[] = {
	{ "dump", cmd_dump, "dump [--json] [--suppressed] [--domain DOMAIN] "
	  "[--since DATE] [--reason REASON]",
	  "Print every address in the store with its state: a header line and\n"
	  "one tab-separated line per address (aligned columns on a terminal),\n"
	  "or one JSON object per line with --json. The filters keep only\n"
	  "suppressed addresses, addresses of one recipient domain, addresses\n"
	  "that bounced or were suppressed at or after DATE, or addresses with a\n"
	  "suppression or last bounce of REASON." },
	{ "show", cmd_show, "show [--json] ADDRESS|@DOMAIN",
	  "Print everything known about one address: its state, suppressions,\n"
	  "counters, last bounce, whether its domain is suppressed, and its\n"
	  "event history; one JSON object with --json. Exit 1 when the store\n"
	  "knows nothing about the address or its domain." },
	{ "suppress", cmd_suppress, "suppress ADDRESS|@DOMAIN [--reason TEXT] "
	  "[--scope SENDER_DOMAIN] [--expires DURATION|DATE]",
	  "Suppress an address, or a whole recipient domain (@DOMAIN), for every\n"
	  "sender or only for mail from SENDER_DOMAIN, until lifted or for a\n"
	  "DURATION (30m, 12h, 30d, 2w) or until a DATE. The change is logged." },
	{ "unsuppress", cmd_unsuppress, "unsuppress ADDRESS|@DOMAIN "
	  "[--scope SENDER_DOMAIN]",
	  "Lift the suppressions of an address or domain (only the one for\n"
	  "SENDER_DOMAIN with --scope) and forget its recent soft bounces. The\n"
	  "change is logged. Exit 1 when there was nothing to lift." },
	{ "import", cmd_import, "import FILE",
	  "Read addresses to suppress from a CSV or TSV file (address, optional\n"
	  "reason and date, or columns named in a header line), or a previous\n"
	  "dump or export (\"-\" reads standard input). Running it twice changes\n"
	  "nothing the second time. Reports added, updated, unchanged and\n"
	  "rejected lines; rejected lines are named with their line number and\n"
	  "why, and change nothing. Exit 1 when a line was rejected." },
	{ "export", cmd_export, "export",
	  "Write the whole store in the format import reads back identically:\n"
	  "the dump columns, one line per suppression." },
	{ "stats", cmd_stats, "stats [--days N] [--json | --prometheus "
	  "[--output FILE | --textfile]]",
	  "Per recipient domain over the last N days (default 7): sent,\n"
	  "bounced, bounce rate, hard, soft, block and complaint counts, top\n"
	  "reasons and health (healthy, warning, critical by\n"
	  "health_warning_rate and health_critical_rate), and a total line.\n"
	  "--prometheus prints metrics in the Prometheus text format instead\n"
	  "(counters since the store was created; health over the N days);\n"
	  "--output writes them to FILE atomically (a temporary file renamed\n"
	  "over it), --textfile to bounceguard.prom in metrics_textfile_dir,\n"
	  "for node_exporter's textfile collector." },
	{ "report", cmd_report, "report --html FILE [--days N] [--domain DOMAIN]",
	  "Write a self-contained HTML page (inline SVG charts and CSS, no\n"
	  "script, nothing loaded from the network) about the last N days\n"
	  "(default 30), for every recipient domain or only DOMAIN: bounce rate\n"
	  "per day overall and for the largest domains, bounces per day by\n"
	  "type, top reasons, suppressions added per day, domains at warning or\n"
	  "critical health, and the most recent hard bounces with their\n"
	  "diagnostics. FILE \"-\" is standard output." },
	{ "expire", cmd_expire, "expire",
	  "Lift expired suppressions, prune history older than event_retention,\n"
	  "drop VERP tokens and duplicate-bounce records older than\n"
	  "verp_max_age, and print what was done. Meant for cron or a timer." },
	{ "verp", cmd_verp, "verp encode ADDRESS | verp decode VERP_ADDRESS",
	  "Print the signed VERP address for a recipient, or decode one: its\n"
	  "status (valid, not-ours, malformed, bad-signature, expired, future),\n"
	  "recipient or token, and day of stamping. Exit 1 unless valid." },
	{ "check", cmd_check, "check",
	  "Check the configuration, the rule files, the VERP secrets, and the\n"
	  "store and quarantine directories (existence, owner, permissions).\n"
	  "One line per problem; exit 1 if there is any." },
	{ "db", cmd_db, "db verify | db backup DIR | db recover | db status",
	  "verify: check the structure of every database file (on a hot copy,\n"
	  "so it is safe while the daemons run). backup: write a consistent\n"
	  "copy of the running store into the new directory DIR. recover: run\n"
	  "Berkeley DB recovery if a process died inside the store. status:\n"
	  "with replication, this site's role, the master, and each peer's\n"
	  "connection state as the replication process sees it." },
	{ "parse", cmd_parse, "parse [--json] FILE|MAILDIR|MBOX...",
	  "Classify bounce messages without recording them: one line (or one\n"
	  "JSON object with --json) per recipient found. Messages that are not\n"
	  "bounces print nothing on standard output and a reason on standard\n"
	  "error. Exit 0 when every file could be read, 1 otherwise." },
	{ "follow", cmd_follow, "follow [--once] [--from-start] LOGFILE|-",
	  "Read Postfix's mail log as it is written (like tail -F, surviving\n"
	  "rotation and restarts without reading a line twice) and raise the\n"
	  "back-off level of a destination domain whose deferrals say that we\n"
	  "send too fast or are temporarily blocked; deliveries and time lower\n"
	  "it again. \"-\" reads standard input. --once stops at the end of the\n"
	  "file; --from-start reads a file without a saved position from its\n"
	  "start instead of its end." },
	{ "backoff", cmd_backoff, "backoff [list] [--json] | backoff set DOMAIN "
	  "LEVEL | backoff clear DOMAIN | backoff sync",
	  "List the destination domains in back-off with their level in force\n"
	  "and transport; set a domain's level by hand (0 keeps it on the\n"
	  "default transport) until cleared; clear a domain's record. Changes\n"
	  "are logged, and written to the transport map that Postfix reads\n"
	  "(backoff_transport_map); sync writes that map from the store." },
	{ "help", cmd_help, "help [COMMAND]",
	  "Explain a command, or list them all." },
	{ "version", cmd_version, "version", "Print the version." },
};

/* admin_find - a command by name */
static const struct admin_cmd *
admin_find(const char *name)
{
	for (size_t i = 0; i < BG_ARRAY_SIZE(admin_cmds); i++)
		if (strcmp(admin_cmds[i].name, name) == 0)
			return &admin_cmds[i];
	return NULL;
}

/* admin_usage - a one-line usage error; returns EXIT_USAGE */
int
admin_usage(const char *cmd, const char *fmt, ...)
{
	const struct admin_cmd *c = cmd ? admin_find(cmd) : NULL;
	va_list	 ap;

	fprintf(stderr, "bounceguard: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c != NULL)
		fprintf(stderr, " (usage: bounceguard %s)", c->usage);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

/* cmd_help - list the commands or explain one */
static int
cmd_help(struct admin *a, int argc, char **argv)
{
	const struct admin_cmd *c;

	(void)a;
	if (argc > 2)
		return admin_usage("help", "too many arguments");
	if (argc == 2) {
		if ((c = admin_find(argv[1])) == NULL)
			return admin_usage("help", "unknown command \"%s\"",
			    argv[1]);
		printf("usage: bounceguard [-c FILE] %s\n\n%s\n", c->usage,
		    c->help);
		return 0;
	}
	printf("usage: bounceguard [-c FILE] [-v] COMMAND [ARGUMENTS]\n\n"
	    "commands:\n");
	for (size_t i = 0; i < BG_ARRAY_SIZE(admin_cmds); i++)
		printf("  %s\n", admin_cmds[i].usage);
	printf("\n\"bounceguard help COMMAND\" explains a command; "
	    "see also bounceguard(8).\n");
	return 0;
}

/* cmd_version - print the version */
static int
cmd_version(struct admin *a, int argc, char **argv)
{
	(void)a;
	(void)argv;
	if (argc != 1)
		return admin_usage("version", "too many arguments");
	printf("bounceguard %s\n", BG_VERSION);
	return 0;
}

volatile sig_atomic_t admin_interrupted;

/* admin_on_signal - note the first signal; the second one is obeyed */
static void
admin_on_signal(int sig)
{
	if (admin_interrupted || store_maint_interrupt) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	admin_interrupted = 1;
	store_maint_interrupt = 1;
}

/*
 * admin_signals - die between records, not inside the store: a process
 * killed while it holds a Berkeley DB lock or mutex blocks the pipe and
 * the milter until the store is recovered. SIGPIPE ("dump | head") turns
 * into a write error that stops the command.
 */
static void
admin_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = admin_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < BG_ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)	/* nohup, background jobs */
			sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* admin_fail - a one-line error about the data; returns 1 */
int
admin_fail(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bounceguard: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 1;
}

/* admin_drop_privs - become the configured user when running as root */
int
admin_drop_privs(struct admin *a, struct buf *err)
{
	if (geteuid() != 0)
		return 0;
	if (privs_drop(a->cfg->user, err) < 0)
		return -1;
	return 0;
}

/* admin_store_try - open the store on first use; NULL and why on error */
struct store *
admin_store_try(struct admin *a, struct buf *err)
{
	struct store_opts o;

	if (a->store != NULL)
		return a->store;
	if (admin_drop_privs(a, err) < 0) {
		buf_printf(err, " (cannot switch to user %s before opening "
		    "the store)", a->cfg->user);
		return NULL;
	}
	o.lock_timeout = a->cfg->store_lock_timeout;
	o.cache_size = a->cfg->store_cache_size;
	o.event_history_max = (unsigned)a->cfg->event_history_max;
	o.readonly = false;
	o.repl = NULL;
	switch (store_repl_load(a->cfg, a->repl_writer ? STORE_REPL_WRITER :
	    STORE_REPL_READER, &a->repl, err)) {
	case -1:
		return NULL;
	case 0:
		o.repl = &a->repl;
		break;
	}
	if (store_open(&a->store, a->cfg->store_dir, &o, err) != STORE_OK)
		return NULL;
	return a->store;
}

/* admin_store - open the store on first use, as the configured user */
struct store *
admin_store(struct admin *a)
{
	struct buf err = BUF_INIT;

	if (admin_store_try(a, &err) == NULL)
		fatalx("%s", buf_cstr(&err));
	buf_free(&err);
	return a->store;
}

/* admin_load_config - the configuration named by -c, the environment or default */
static struct config *
admin_load_config(const char *path)
{
	struct buf err = BUF_INIT;
	struct config *cfg;
	bool	 explicit = path != NULL;

	if (path == NULL && (path = getenv("BOUNCEGUARD_CONFIG")) != NULL &&
	    *path != '\0')
		explicit = true;
	if (!explicit) {
		path = CONFIG_DEFAULT_PATH;
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return config_default();
	}
	if ((cfg = config_load(path, &err)) == NULL) {
		fputs(buf_cstr(&err), stderr);
		fprintf(stderr, "bounceguard: fatal: bad configuration in %s\n",
		    path);
		exit(1);
	}
	buf_free(&err);
	return cfg;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin a;
	const struct admin_cmd *c;
	int	 ch, rc;

	memset(&a, 0, sizeof(a));
	log_init("bounceguard", LOG_TO_STDERR | LOG_TO_SYSLOG);
	admin_signals();

	while ((ch = getopt_long(argc, argv, "+c:hv", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'v':
			log_set_verbose(log_verbose() + 1);
			break;
		case 'h':
			return cmd_help(&a, 1, argv);
		default:
			return admin_usage(NULL, "unknown option (see "
			    "\"bounceguard help\")");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return admin_usage(NULL, "no command given (see \"bounceguard help\")");
	if (strcmp(argv[0], "--help") == 0)
		return cmd_help(&a, argc, argv);
	if ((c = admin_find(argv[0])) == NULL)
		return admin_usage(NULL, "unknown command \"%s\" (see "
		    "\"bounceguard help\")", argv[0]);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		char	*hargv[] = { "help", argv[0], NULL };

		return cmd_help(&a, 2, hargv);
	}
	a.cfg = admin_load_config(a.config_path);
	log_set_facility(config_enum_name(a.cfg, "syslog_facility"));
	if ((rc = admin_repl_forward(&a, argc, argv)) < 0)
		rc = c->fn(&a, argc, argv);
	store_close(a.store);
	store_repl_free(&a.repl);
	config_free(a.cfg);
	return rc;
}
