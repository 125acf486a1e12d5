/*++
 * NAME
 *	cmd_check 3
 * SUMMARY
 *	bounceguard check: configuration, rules, secrets and directories
 * DESCRIPTION
 *	"check" loads what the daemons would load and looks at what they
 *	would touch: verp_domain is set; the VERP secrets load, are
 *	readable by the configured user (as owner, or by its primary group)
 *	and not by everyone; the shipped
 *	and site rule directories exist and their rules compile; the store
 *	and quarantine directories exist, are directories, belong to the
 *	configured user, and are not writable by others; every file in the
 *	store belongs to that user; and the store opens (schema version).
 *	The configuration itself was checked when it was loaded.
 * DIAGNOSTICS
 *	One line per problem on stderr; exit 1 if there is any, else one
 *	"ok" line on stdout and exit 0.
 *--*/
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "libbase.h"
#include "libclassify.h"
#include "libverp.h"

struct check_run {
	int	 problems;
	uid_t	 uid;
	bool	 have_user;
};

/* check_problem - report one problem */
static void
check_problem(struct check_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
check_problem(struct check_run *r, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "bounceguard: check: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	r->problems++;
}

/* check_owner - a path belongs to the user and is not world-writable */
static void
check_owner(struct check_run *r, const char *key, const char *path,
    const struct stat *sb, const char *user)
{
	struct passwd *pw;

	if (r->have_user && sb->st_uid != r->uid) {
		pw = getpwuid(sb->st_uid);
		check_problem(r, "%s %s: owned by %s, not by %s", key, path,
		    pw ? pw->pw_name : "an unknown user", user);
	}
	if (sb->st_mode & S_IWOTH)
		check_problem(r, "%s %s: writable by every user", key, path);
}

/* check_dir - a directory the daemons write */
static bool
check_dir(struct check_run *r, const char *key, const char *path,
    const char *user)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		check_problem(r, "%s %s: %s", key, path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(sb.st_mode)) {
		check_problem(r, "%s %s: not a directory", key, path);
		return false;
	}
	check_owner(r, key, path, &sb, user);
	return true;
}

/* check_store_files - every file in the store belongs to the user */
static void
check_store_files(struct check_run *r, const char *dir, const char *user)
{
	struct dirent *de;
	struct stat sb;
	DIR	*d;

	if ((d = opendir(dir)) == NULL) {
		check_problem(r, "store_dir %s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char	*p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &sb) == 0)
			check_owner(r, "store file", p, &sb, user);
		free(p);
	}
	closedir(d);
}

/* check_rules - the rule directories exist and their rules compile */
static void
check_rules(struct check_run *r, const struct config *cfg)
{
	const char *dirs[2] = { cfg->shipped_rules_dir, cfg->rules_dir };
	struct buf err = BUF_INIT;
	struct ruleset *rs;
	struct stat sb;

	for (size_t i = 0; i < 2; i++)
		if (dirs[i][0] != '\0' && stat(dirs[i], &sb) < 0)
			check_problem(r, "%s %s: %s", i ? "rules_dir" :
			    "shipped_rules_dir", dirs[i], strerror(errno));
	if ((rs = rules_load(dirs, 2, 0, &err)) == NULL) {
		for (char *l = strtok(err.data ? err.data : "", "\n"); l;
		    l = strtok(NULL, "\n"))
			check_problem(r, "%s", l);
	} else if (rules_count(rs) == 0)
		check_problem(r, "no rules in %s or %s", dirs[0], dirs[1]);
	rules_free(rs);
	buf_free(&err);
}

/* check_secret_mode - the secrets are readable by the user, not by all */
static void
check_secret_mode(struct check_run *r, const struct config *cfg)
{
	const char *path = cfg->verp_secret_file;
	struct passwd *pw = getpwnam(cfg->user);
	struct stat sb;

	if (stat(path, &sb) < 0)
		return;			/* reported by the load */
	if (sb.st_mode & S_IROTH)
		check_problem(r, "verp_secret_file %s: readable by every user, "
		    "who could then forge bounces", path);
	if (pw != NULL && sb.st_uid != pw->pw_uid &&
	    !(sb.st_gid == pw->pw_gid && (sb.st_mode & S_IRGRP)) &&
	    !(sb.st_mode & S_IROTH))
		check_problem(r, "verp_secret_file %s: not readable by %s",
		    path, cfg->user);
}

/* check_verp - the VERP settings the milter and pipe need */
static void
check_verp(struct check_run *r, const struct config *cfg)
{
	struct buf err = BUF_INIT;
	struct verp_keys *keys;

	check_secret_mode(r, cfg);
	if (cfg->verp_domain[0] == '\0')
		check_problem(r, "verp_domain is not set: the milter cannot "
		    "stamp mail");
	if ((keys = verp_keys_load(cfg->verp_secret_file, &err)) == NULL)
		check_problem(r, "%s", bg_trim(err.data ? err.data : ""));
	verp_keys_free(keys);
	buf_free(&err);
}

/* cmd_check - report every problem found */
int
cmd_check(struct admin *a, int argc, char **argv)
{
	struct check_run r = { 0, 0, false };
	const struct config *cfg = a->cfg;
	struct passwd *pw;
	struct buf err = BUF_INIT;

	if (argc > 1)
		return admin_usage("check", "unexpected argument \"%s\"",
		    argv[1]);
	if ((pw = getpwnam(cfg->user)) == NULL)
		check_problem(&r, "user %s does not exist", cfg->user);
	else
		r.uid = pw->pw_uid, r.have_user = true;
	check_verp(&r, cfg);
	check_rules(&r, cfg);
	check_dir(&r, "quarantine_dir", cfg->quarantine_dir, cfg->user);
	if (check_dir(&r, "store_dir", cfg->store_dir, cfg->user)) {
		check_store_files(&r, cfg->store_dir, cfg->user);
		if (r.problems == 0 && admin_store_try(a, &err) == NULL)
			check_problem(&r, "%s", buf_cstr(&err));
	}
	buf_free(&err);
	if (r.problems > 0)
		return 1;
	printf("check: ok (%s)\n", cfg->path ? cfg->path :
	    "built-in defaults");
	return 0;
}
