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
 *	Without -c, the file named by the BOUNCEGUARD_CONFIG environment
 *	variable is used, else /etc/bounceguard/bounceguard.conf; when that
 *	default file does not exist the built-in defaults apply.
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 when the command found a problem with
 *	its data or the store, 2 for a usage error.
 *--*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "log.h"
#include "privs.h"
#include "store.h"
#include "util.h"

struct admin_cmd {
	const char *name;
	int	(*fn)(struct admin *, int, char **);
	const char *usage;
	const char *help;
};

static int cmd_help(struct admin *, int, char **);
static int cmd_version(struct admin *, int, char **);

static const struct admin_cmd admin_cmds[] = {
	{ "parse", cmd_parse, "parse [--json] FILE|MAILDIR|MBOX...",
	  "Classify bounce messages without recording them: one line (or one\n"
	  "JSON object with --json) per recipient found. Messages that are not\n"
	  "bounces print nothing on standard output and a reason on standard\n"
	  "error. Exit 0 when every file could be read, 1 otherwise." },
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

/* admin_store - open the store on first use, as the configured user */
struct store *
admin_store(struct admin *a)
{
	struct store_opts o;
	struct buf err = BUF_INIT;

	if (a->store != NULL)
		return a->store;
	if (geteuid() == 0 && privs_drop(a->cfg->user, &err) < 0)
		fatalx("cannot switch to user %s before opening the store: %s",
		    a->cfg->user, buf_cstr(&err));
	o.lock_timeout = a->cfg->store_lock_timeout;
	o.cache_size = a->cfg->store_cache_size;
	o.event_history_max = (unsigned)a->cfg->event_history_max;
	o.readonly = false;
	if (store_open(&a->store, a->cfg->store_dir, &o, &err) != STORE_OK)
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
	struct admin a = { NULL, NULL, NULL };
	const struct admin_cmd *c;
	int	 ch, rc;

	log_init("bounceguard", LOG_TO_STDERR | LOG_TO_SYSLOG);
	while ((ch = getopt(argc, argv, "+c:hv")) != -1) {
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
	rc = c->fn(&a, argc, argv);
	store_close(a.store);
	config_free(a.cfg);
	return rc;
}
