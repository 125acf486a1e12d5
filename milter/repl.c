/*++
 * NAME
 *	repl 3
 * SUMMARY
 *	the replication process's side of forwarded changes
 * DESCRIPTION
 *	With replication on, the milter is its site's replication process
 *	(see store_repl(3)). A client site cannot write: the changes of
 *	its pipes and milter, and its administrator's writing commands,
 *	come to the master's milter over a Berkeley DB message channel,
 *	signed with repl_secret_file. This module serves those requests
 *	on the master.
 *
 *	A pipe's change (a bounce for an address, a back-off signal: "U"
 *	or "B", see change(3)) and the milter's own (a VERP token, the
 *	send counters: "T" or "C") are applied here, in this process
 *	(mstore_serve()), with a quorum's acknowledgement before the
 *	answer.
 *
 *	An administrator's command ("A", a NUL, each argument as "=", the
 *	argument and a NUL, then a NUL, then the standard input) is run
 *	as the same program here, bounceguard, with this host's
 *	configuration; only suppress, unsuppress and import are run. It
 *	commits as a subordinate process of this site, so its commit waits
 *	for a quorum exactly as a local command does; it finds
 *	BG_REPL_FORWARDED in its environment and never forwards again. Its
 *	exit status and output are the answer.
 * DIAGNOSTICS
 *	One log line per forwarded change: "repl forwarded
 *	change=bounce|backoff|token|send_counters status=N", or "repl
 *	forwarded program=bounceguard command=C status=N".
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libbase.h"
#include "milter.h"

#define REPL_MAX_ARGS		32
#define REPL_OUTPUT_MAX		4096

extern char **environ;

static char repl_config[PATH_MAX];
static char repl_bindir[PATH_MAX];

/* repl_split - the arguments of a request, and where its input starts */
static int
repl_split(const char *p, size_t n, const char **argv, size_t *argc,
    size_t *body)
{
	size_t	 off = 2, k = 0;

	if (n < 3 || p[0] != 'A' || p[1] != '\0')
		return -1;
	for (;;) {
		const char *nul = memchr(p + off, '\0', n - off);

		if (nul == NULL || k >= REPL_MAX_ARGS)
			return -1;
		if (nul == p + off)
			break;
		if (p[off] != '=')
			return -1;
		argv[k++] = p + off + 1;
		off = (size_t)(nul - p) + 1;
	}
	*argc = k;
	*body = off + 1;
	return 0;
}

/* repl_allowed - only the administrator's writing commands */
static bool
repl_allowed(const char **argv, size_t argc)
{
	return argc >= 1 && (strcmp(argv[0], "suppress") == 0 ||
	    strcmp(argv[0], "unsuppress") == 0 ||
	    strcmp(argv[0], "import") == 0);
}

/* repl_write_all - write a whole buffer */
static int
repl_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	 w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* repl_envp - this process's environment plus BG_REPL_FORWARDED=1 */
static char **
repl_envp(void)
{
	size_t	 n = 0;
	char	**e;

	while (environ[n] != NULL)
		n++;
	e = xcalloc(n + 2, sizeof(*e));
	memcpy(e, environ, n * sizeof(*e));
	e[n] = (char *)"BG_REPL_FORWARDED=1";
	return e;
}

/* repl_spawn - run the program with the input, collect status and output */
static int
repl_spawn(const char *prog, char **argv, const char *in, size_t inlen,
    struct buf *out)
{
	posix_spawn_file_actions_t fa;
	int	 infd = memfd_create("repl-in", MFD_CLOEXEC);
	int	 outfd = memfd_create("repl-out", MFD_CLOEXEC);
	char	**envp = repl_envp(), chunk[REPL_OUTPUT_MAX];
	int	 status = 75, ws;
	ssize_t	 n;
	pid_t	 pid;

	if (infd < 0 || outfd < 0 ||
	    repl_write_all(infd, in, inlen) < 0 || lseek(infd, 0, SEEK_SET) < 0)
		goto out;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, infd, 0);
	posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	posix_spawn_file_actions_adddup2(&fa, outfd, 2);
	if (posix_spawn(&pid, prog, &fa, NULL, argv, envp) == 0) {
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 75;
	} else
		buf_printf(out, "cannot run %s: %s\n", prog, strerror(errno));
	posix_spawn_file_actions_destroy(&fa);
	if (lseek(outfd, 0, SEEK_SET) == 0 &&
	    (n = read(outfd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
out:
	if (infd >= 0)
		close(infd);
	if (outfd >= 0)
		close(outfd);
	free(envp);
	return status;
}

/* repl_change_name - a forwarded change's kind, for the log line */
static const char *
repl_change_name(char kind)
{
	switch (kind) {
	case CHANGE_UPDATE:	return "bounce";
	case CHANGE_BACKOFF:	return "backoff";
	case 'T':		return "token";
	case 'C':		return "send_counters";
	default:		return NULL;
	}
}

/* repl_serve - a forwarded change, made here on the master */
static int
repl_serve(const void *req, size_t len, struct buf *out)
{
	const char *p = req, *args[REPL_MAX_ARGS], *change;
	char	*argv[REPL_MAX_ARGS + 4], prog[PATH_MAX];
	size_t	 argc, body, k = 0;
	int	 status;

	if (len >= 2 && p[1] == '\0' && (change = repl_change_name(p[0]))) {
		status = mstore_serve(req, len, out);
		log_info("repl forwarded change=%s status=%d", change, status);
		return status;
	}
	if (repl_split(p, len, args, &argc, &body) < 0 ||
	    !repl_allowed(args, argc)) {
		log_warnx("repl event=refused reason=bad_request");
		buf_addstr(out, "refused: not a change a client may forward\n");
		return 64;
	}
	if ((size_t)snprintf(prog, sizeof(prog), "%s/bounceguard",
	    repl_bindir) >= sizeof(prog)) {
		buf_addstr(out, "program path too long\n");
		return 75;
	}
	argv[k++] = prog;
	argv[k++] = (char *)"-c";
	argv[k++] = repl_config;
	for (size_t i = 0; i < argc; i++)
		argv[k++] = (char *)(uintptr_t)args[i];
	argv[k] = NULL;
	status = repl_spawn(prog, argv, p + body, len - body, out);
	log_info("repl forwarded program=bounceguard command=%s status=%d",
	    args[0], status);
	return status;
}

/* repl_dir_of - the directory of a file */
static void
repl_dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	snprintf(out, len, "%.*s", slash ? (int)(slash - path) : 1,
	    slash ? path : ".");
}

/* repl_init - where the administrator's tool and the configuration
   are; serve */
void
repl_init(const char *config)
{
	char	 self[PATH_MAX];
	ssize_t	 n;

	if (realpath(config, repl_config) == NULL)
		bg_strlcpy(repl_config, config, sizeof(repl_config));
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';
	repl_dir_of(self, repl_bindir, sizeof(repl_bindir));
	store_repl_on_request(repl_serve);
}
