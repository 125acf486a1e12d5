/*++
 * NAME
 *	bench_pipe 1
 * SUMMARY
 *	bounceguard-pipe latency and throughput
 * DESCRIPTION
 *	bench_pipe PIPE CONFIG VERP MESSAGE COUNT CONCURRENCY
 *
 *	Runs PIPE COUNT times, CONCURRENCY at a time, each with a copy of
 *	MESSAGE whose Message-ID is made unique (so that every delivery is
 *	a new bounce and really commits), and measures each delivery from
 *	fork to exit. Prints the median and 90th percentile latency and the
 *	deliveries per second. When run as root the children switch to the
 *	user "nobody" themselves, so no helper process is timed.
 * DIAGNOSTICS
 *	Exit 1 when any delivery did not exit 0.
 *--*/
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* bench_message - the message with a unique Message-ID, in a temp file */
static int
bench_message(const char *tmpl, size_t seq)
{
	char	 path[] = "/tmp/bench-pipe-XXXXXX";
	int	 fd = mkstemp(path);
	char	*msg = xasprintf("Message-ID: <bench-%zu-%ld@bench.example>\n%s",
	    seq, (long)getpid(), tmpl);
	size_t	 len = strlen(msg);

	if (fd < 0 || write(fd, msg, len) != (ssize_t)len)
		fatal("temp file");
	unlink(path);
	lseek(fd, 0, SEEK_SET);
	free(msg);
	return fd;
}

/* bench_spawn - start one delivery */
static pid_t
bench_spawn(char **argv, int in_fd)
{
	pid_t	 pid = fork();
	struct passwd *pw;

	if (pid != 0)
		return pid;
	dup2(in_fd, STDIN_FILENO);
	if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL &&
	    (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0))
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct buf tmpl = BUF_INIT;
	char	*pargv[] = { NULL, "-c", NULL, "-r", NULL, "-s", "", "-q",
	    "BENCH", NULL };
	size_t	 count, conc, started = 0, done = 0, bad = 0;
	double	*lat, *start_at, t0;
	pid_t	*pids;
	char	 chunk[4096];
	ssize_t	 n;
	int	 fd, status;

	if (argc != 7)
		fatalx("usage: bench_pipe PIPE CONFIG VERP MESSAGE COUNT CONCURRENCY");
	pargv[0] = argv[1];
	pargv[2] = argv[2];
	pargv[4] = argv[3];
	if ((fd = open(argv[4], O_RDONLY)) < 0)
		fatal("%s", argv[4]);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&tmpl, chunk, (size_t)n);
	close(fd);
	count = (size_t)atol(argv[5]);
	conc = (size_t)atol(argv[6]);
	lat = xcalloc(count, sizeof(*lat));
	start_at = xcalloc(conc, sizeof(*start_at));
	pids = xcalloc(conc, sizeof(*pids));
	t0 = now_ms();
	while (done < count) {
		for (size_t s = 0; s < conc && started < count; s++) {
			if (pids[s] != 0)
				continue;
			fd = bench_message(buf_cstr(&tmpl), started++);
			start_at[s] = now_ms();
			pids[s] = bench_spawn(pargv, fd);
			close(fd);
		}
		pid_t	 pid = wait(&status);

		for (size_t s = 0; s < conc; s++) {
			if (pids[s] != pid)
				continue;
			lat[done++] = now_ms() - start_at[s];
			pids[s] = 0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				bad++;
		}
	}
	t0 = now_ms() - t0;
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("pipe: %zu deliveries, %zu at a time: median %.2f ms, p90 %.2f ms, "
	    "%.0f deliveries/s%s\n", count, conc, lat[count / 2],
	    lat[count * 9 / 10], (double)count / (t0 / 1e3),
	    bad ? " (SOME FAILED)" : "");
	return bad != 0;
}
