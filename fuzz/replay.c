/*++
 * NAME
 *	replay 3
 * SUMMARY
 *	run a fuzz target over files, without libFuzzer
 * DESCRIPTION
 *	"fuzz-TARGET PATH..." reads each PATH (a file, or every regular
 *	file of a directory in name order, dot files skipped) and gives its
 *	bytes to LLVMFuzzerTestOneInput(), exactly as libFuzzer would. The
 *	ordinary build links every harness with this file, so "make check"
 *	replays the regression inputs (fuzz/regress/TARGET/) and the seed
 *	corpus under the normal and the sanitizer build.
 * DIAGNOSTICS
 *	One line per input on standard output ("replay: PATH (N bytes)")
 *	before it runs, so that a crash names its input. Exit 0 when every
 *	input ran, 1 when a path could not be read; a finding aborts.
 *--*/
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "libbase.h"

/* replay_file - one input; 0 or -1 */
static int
replay_file(const char *path)
{
	FILE	*fp = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char	 chunk[65536];
	size_t	 n;
	uint8_t	*copy;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(fp)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(fp);
		buf_free(&b);
		return -1;
	}
	fclose(fp);
	/* An exact-size copy, so that ASan sees any read past the end. */
	copy = xmalloc(b.len > 0 ? b.len : 1);
	if (b.len > 0)
		memcpy(copy, b.data, b.len);
	printf("replay: %s (%zu bytes)\n", path, b.len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	buf_free(&b);
	return 0;
}

/* replay_is_entry - directory entries worth replaying */
static int
replay_is_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* replay_dir - every regular file of a directory, in name order */
static int
replay_dir(const char *dir)
{
	struct dirent **list;
	int	 n = scandir(dir, &list, replay_is_entry, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char	*path = xasprintf("%s/%s", dir, list[i]->d_name);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(path) < 0)
			rc = -1;
		free(path);
		free(list[i]);
	}
	free(list);
	return rc;
}

/* main - replay every path given */
int
main(int argc, char **argv)
{
	int	 status = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			status = 1;
		} else if ((S_ISDIR(st.st_mode) ? replay_dir(argv[i]) :
		    replay_file(argv[i])) < 0)
			status = 1;
	}
	return status;
}
