/*++
 * NAME
 *	bench_parse 1
 * SUMMARY
 *	parse benchmark: bounce messages per second in one process
 * DESCRIPTION
 *	bench_parse [-g] [-l] [-n ROUNDS] [-r RULESDIR] DIR...
 *
 *	Reads every regular file of each DIR into memory, loads the rules
 *	of RULESDIR (JIT-compiled, as the admin tool does; -l loads them
 *	lazily without JIT, as the pipe does), then parses and classifies
 *	every message ROUNDS times (default 20) with bounce_parse() and
 *	prints the rate of the fastest round (the machine's noise only
 *	ever slows a round down) and the mean rate. The files are read
 *	once, before the clock starts, and one untimed round warms up.
 *
 *	-g only builds and frees GMime's MIME tree of each message: the
 *	bound for the parser's speed.
 * DIAGNOSTICS
 *	Exits 1 when no message could be read or the rules do not load.
 *--*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "libbase.h"
#include "libbounce.h"

struct bench_msg {
	char	*data;
	size_t	 len;
};

struct bench_set {
	struct bench_msg *v;
	size_t	 n;
};

/* bench_read - one file into memory */
static void
bench_read(struct bench_set *set, const char *path)
{
	FILE	*fp = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char	 chunk[65536];
	size_t	 n;

	if (fp == NULL)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&b, chunk, n);
	fclose(fp);
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n].len = b.len;
	set->v[set->n++].data = buf_steal(&b);
}

/* bench_read_dir - every regular file of a directory */
static void
bench_read_dir(struct bench_set *set, const char *dir)
{
	DIR	*d = opendir(dir);
	struct dirent *e;

	if (d == NULL) {
		perror(dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char	*path = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;

		if (e->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			bench_read(set, path);
		free(path);
	}
	closedir(d);
}

/* bench_now - a monotonic clock in seconds */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_gmime_only;

/* bench_gmime - build and free the MIME tree only, for comparison */
static void
bench_gmime(const char *data, size_t len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
}

/* bench_run - parse every message once; the number of recipients */
static size_t
bench_run(const struct bounce_parser *bp, const struct bench_set *set)
{
	size_t	 nrcpt = 0;

	for (size_t i = 0; i < set->n; i++) {
		if (bench_gmime_only) {
			bench_gmime(set->v[i].data, set->v[i].len);
			continue;
		}
		struct bounce_result res;

		(void)bounce_parse(bp, set->v[i].data, set->v[i].len, &res);
		nrcpt += res.nrcpt;
		bounce_result_free(&res);
	}
	return nrcpt;
}

/* bench_rules - the ruleset under test, or NULL */
static struct ruleset *
bench_rules(const char *dir, unsigned flags)
{
	const char *dirs[1] = { dir };
	struct buf err = BUF_INIT;
	struct ruleset *rs = rules_load(dirs, 1, flags, &err);

	if (rs == NULL)
		fprintf(stderr, "%s", err.data);
	buf_free(&err);
	return rs;
}

int
main(int argc, char **argv)
{
	struct bench_set set = { NULL, 0 };
	struct bounce_parser bp;
	const char *rulesdir = NULL;
	unsigned flags = RULES_JIT;
	long	 rounds = 20;
	double	 t0, t, total = 0;
	size_t	 nrcpt = 0;
	int	 c;

	while ((c = getopt(argc, argv, "gln:r:")) != -1) {
		switch (c) {
		case 'g': bench_gmime_only = 1; break;
		case 'l': flags = RULES_LAZY; break;
		case 'n': rounds = atol(optarg); break;
		case 'r': rulesdir = optarg; break;
		default:
			fprintf(stderr, "usage: bench_parse [-g] [-l] [-n ROUNDS] "
			    "[-r RULESDIR] DIR...\n");
			return 2;
		}
	}
	for (int i = optind; i < argc; i++)
		bench_read_dir(&set, argv[i]);
	if (set.n == 0 || rounds < 1) {
		fprintf(stderr, "bench_parse: no messages\n");
		return 1;
	}
	bounce_init();
	bounce_parser_init(&bp);
	if (rulesdir != NULL && (bp.rules = bench_rules(rulesdir, flags)) == NULL)
		return 1;
	(void)bench_run(&bp, &set);		/* warm up, compile lazily */
	t = 0;
	for (long r = 0; r < rounds; r++) {
		t0 = bench_now();
		nrcpt += bench_run(&bp, &set);
		t0 = bench_now() - t0;
		total += t0;
		if (r == 0 || t0 < t)
			t = t0;
	}
	printf("parse: %zu messages x %ld rounds: %.0f messages/s (best "
	    "round), %.0f messages/s (mean) (%zu rules%s, %.2f recipients/"
	    "message)\n", set.n, rounds, (double)set.n / t,
	    (double)set.n * (double)rounds / total, rules_count(bp.rules),
	    flags & RULES_JIT ? ", JIT" : ", lazy, no JIT",
	    (double)nrcpt / ((double)set.n * (double)rounds));
	rules_free(bp.rules);
	for (size_t i = 0; i < set.n; i++)
		free(set.v[i].data);
	free(set.v);
	return 0;
}
