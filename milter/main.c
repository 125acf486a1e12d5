/*++
 * NAME
 *	bounceguard-milter 8
 * SUMMARY
 *	stamp signed VERP on outbound mail, refuse suppressed recipients
 * DESCRIPTION
 *	bounceguard-milter -c FILE [-f] [-t] [-V]
 *
 *	The daemon's life cycle: read and check the configuration, open the
 *	milter socket (through libmilter) and the lookup socket as root,
 *	give unix sockets their mode and group, detach (unless -f), write
 *	the pid file, drop to the configured user for good (refusing to go
 *	on as root), open the store, start the send counters, the lookup
 *	server and the reload thread, and hand over to smfi_main(). When
 *	libmilter stops (SIGTERM, SIGHUP, SIGINT), everything is stopped in
 *	the reverse order: the pending send counts are written and the
 *	store is closed cleanly.
 *
 *	libmilter starts a thread for each MTA connection it cannot give
 *	to an idle one, and lets surplus threads end: with Postfix that is
 *	about one thread per SMTP session. Threads get a 512 KB stack
 *	rather than the 8 MB default, so that the C library keeps many more
 *	of them for reuse instead of mapping and unmapping one per thread.
 *
 *	Files root creates (unix sockets, the pid file) are refused in a
 *	directory that others than root could change, and made without
 *	following links (sockets.c). An inet socket without an address
 *	listens on loopback, and serves only the networks of its
 *	allow-list (clients.c).
 *
 *	-f stays in the foreground, writes no pid file (whoever started
 *	the process has its id), and logs to stderr as well as syslog;
 *	-t checks the configuration (and loads the VERP secrets) and exits;
 *	-V prints the version.
 * DIAGNOSTICS
 *	Exit status 0 after a clean stop or a good -t check, 1 for a bad
 *	configuration or a failure at start-up, 2 for bad usage.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "libbase.h"
#include "milter.h"

/* usage - the synopsis, and exit 2 */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-c FILE] [-f] [-t] [-V]\n",
	    MILTER_PROGNAME);
	exit(2);
}

/* open_milter_socket - libmilter's socket, with our mode and group */
static void
open_milter_socket(const struct config *cfg)
{
	static char spec[300];
	char	 path[256], err[MILTER_ERR_MAX];
	mode_t	 old;

	if (sockets_spec(cfg->milter_socket, spec, sizeof(spec)) < 0 ||
	    smfi_setconn(spec) != MI_SUCCESS)
		fatalx("milter_socket %s: not usable", cfg->milter_socket);
	if (sockets_unix_path(spec, path, sizeof(path)) == 0 &&
	    sockets_check_dir(path, err, sizeof(err)) < 0)
		fatalx("milter_socket %s", err);
	if (strncmp(spec, "inet", 4) == 0 && !clients_guard_ok())
		fatalx("milter_socket %s: milter_clients cannot be enforced: "
		    "libmilter does not call this program's accept() (is it "
		    "linked statically?)", spec);
	if (smfi_register(milter_desc) != MI_SUCCESS)
		fatalx("cannot register with libmilter");
	(void)smfi_setbacklog(SOMAXCONN);
	old = umask(077);
	if (smfi_opensocket(true) != MI_SUCCESS)
		fatalx("milter_socket %s: cannot open it (in use, or its "
		    "directory is missing?)", spec);
	umask(old);
	if (sockets_unix_path(spec, path, sizeof(path)) == 0 &&
	    sockets_set_owner(path, cfg->milter_socket_mode,
	    cfg->milter_socket_group, err, sizeof(err)) < 0)
		fatalx("milter_socket %s", err);
}

/* open_lookup_socket - the lookup socket, or -1 when none is wanted */
static int
open_lookup_socket(const struct config *cfg)
{
	char	 spec[300], path[256], err[MILTER_ERR_MAX];
	int	 fd;

	if (cfg->lookup_socket == NULL || cfg->lookup_socket[0] == '\0')
		return -1;
	if (sockets_spec(cfg->lookup_socket, spec, sizeof(spec)) < 0)
		fatalx("lookup_socket %s: too long", cfg->lookup_socket);
	if ((fd = sockets_listen(spec, err, sizeof(err))) < 0)
		fatalx("lookup_socket %s", err);
	if (sockets_unix_path(spec, path, sizeof(path)) == 0 &&
	    sockets_set_owner(path, cfg->lookup_socket_mode,
	    cfg->lookup_socket_group, err, sizeof(err)) < 0)
		fatalx("lookup_socket %s", err);
	return fd;
}

/* check_pidfile - before anything starts: can the pid file be written? */
static void
check_pidfile(const char *path, bool fg)
{
	char	 err[MILTER_ERR_MAX];

	/* In the foreground the caller has the process id: no pid file. */
	if (fg || path == NULL || path[0] == '\0')
		return;
	if (sockets_check_dir(path, err, sizeof(err)) < 0)
		fatalx("pid_file %s", err);
}

/* detach - become a daemon; the parent writes the pid file and exits */
static void
detach(const char *pidfile)
{
	char	 err[MILTER_ERR_MAX];
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0) {
		if (pidfile != NULL && pidfile[0] != '\0' &&
		    sockets_pidfile(pidfile, pid, err, sizeof(err)) < 0) {
			kill(pid, SIGTERM);
			fatalx("pid_file %s", err);
		}
		_exit(0);
	}
	log_init(MILTER_PROGNAME, LOG_TO_SYSLOG);
	if (setsid() < 0)
		fatal("setsid");
	if (chdir("/") < 0)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* drop_root - become the configured user; never go on as root */
static void
drop_root(const struct config *cfg)
{
	struct buf err = BUF_INIT;

	if (geteuid() == 0 && privs_drop(cfg->user, &err) < 0)
		fatalx("cannot drop privileges to %s: %s", cfg->user,
		    buf_cstr(&err));
	buf_free(&err);
	if (geteuid() == 0 || getuid() == 0)
		fatalx("refusing to run as root");
}

/* remove_files - the lookup socket and the pid file, where we may */
static void
remove_files(char *lookup_path, char *pid_file)
{
	/* After dropping root this fails in a root-owned directory; the
	   next start replaces both, and systemd empties RuntimeDirectory. */
	if (lookup_path != NULL)
		(void)unlink(lookup_path);
	if (pid_file != NULL && pid_file[0] != '\0')
		(void)unlink(pid_file);
	free(lookup_path);
	free(pid_file);
}

/* check_only - -t: say whether the configuration is good */
static int
check_only(const char *path, struct mrt *rt, const char *errors)
{
	if (rt == NULL) {
		fputs(errors, stderr);
		return 1;
	}
	printf("%s: configuration ok\n", path);
	rt_release(rt);
	return 0;
}

#define MILTER_THREAD_STACK	(512 * 1024)

/* thread_defaults - the stack size of every thread, libmilter's included */
static void
thread_defaults(void)
{
	pthread_attr_t a;

	if (pthread_attr_init(&a) != 0)
		return;
	if (pthread_attr_setstacksize(&a, MILTER_THREAD_STACK) != 0 ||
	    pthread_setattr_default_np(&a) != 0)
		log_warnx("cannot set the threads' stack size; keeping the "
		    "default");
	pthread_attr_destroy(&a);
}

/* run - start everything, serve until libmilter stops, stop everything */
static int
run(const char *path, struct mrt *rt, bool fg)
{
	const struct config *cfg = rt->cfg;
	char	 path_buf[256], *lookup_path = NULL, *pid_file;
	char	 mspec[300], lspec[300];
	int	 lfd, rc;

	check_pidfile(cfg->pid_file, fg);
	open_milter_socket(cfg);
	lfd = open_lookup_socket(cfg);
	if (!fg)
		detach(cfg->pid_file);
	drop_root(cfg);
	/* Start-up settings, kept: a reload may free cfg. */
	if (sockets_unix_path(cfg->lookup_socket ? cfg->lookup_socket : "",
	    path_buf, sizeof(path_buf)) == 0)
		lookup_path = xstrdup(path_buf);
	pid_file = xstrdup(cfg->pid_file && !fg ? cfg->pid_file : "");
	thread_defaults();
	signals_block();
	rt_install(rt);
	repl_init(path);
	mstore_init(cfg);
	if (mstore_replicated())
		(void)changes_start(cfg->store_dir);
	sendcount_start();
	if (lfd >= 0 && lookup_start(lfd) < 0)
		fatal("cannot start the lookup server");
	(void)sockets_spec(cfg->milter_socket, mspec, sizeof(mspec));
	(void)sockets_spec(lfd >= 0 ? cfg->lookup_socket : "none", lspec,
	    sizeof(lspec));
	log_info("starting: milter_socket=%s lookup_socket=%s mode=%s",
	    mspec, lspec, cfg->mode == CFG_MODE_ENFORCE ? "enforce" :
	    "monitor");
	signals_start(path);		/* from here on cfg may be freed */
	rc = smfi_main();
	log_info("stopping");
	signals_stop();
	lookup_stop();
	changes_stop();
	sendcount_stop();
	mstore_shutdown();
	remove_files(lookup_path, pid_file);
	if (rc != MI_SUCCESS)
		fatalx("libmilter stopped with an error (see its log lines)");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	struct buf err = BUF_INIT;
	bool	 fg = false, test = false;
	struct mrt *rt;
	int	 c, rc;

	while ((c = getopt(argc, argv, "c:ftV")) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': fg = true; break;
		case 't': test = true; break;
		case 'V':
			printf("%s %s\n", MILTER_PROGNAME, BG_VERSION);
			return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(MILTER_PROGNAME, LOG_TO_STDERR);
	rt = rt_load(path, &err);
	if (test) {
		rc = check_only(path, rt, buf_cstr(&err));
		buf_free(&err);
		return rc;
	}
	if (rt == NULL) {
		fputs(buf_cstr(&err), stderr);
		fatalx("%s: configuration errors; not starting", path);
	}
	buf_free(&err);
	/* Until it detaches, a daemon's start-up errors go to stderr too. */
	log_init(MILTER_PROGNAME, LOG_TO_SYSLOG | LOG_TO_STDERR);
	log_set_facility(config_enum_name(rt->cfg, "syslog_facility"));
	return run(path, rt, fg);
}
