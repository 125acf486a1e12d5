/*++
 * NAME
 *	privs 3
 * SUMMARY
 *	dropping root privileges
 * DESCRIPTION
 *	See privs.h.
 * DIAGNOSTICS
 *	Each failing step is named with strerror(errno).
 *--*/
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"

/* privs_drop - become the named user for the rest of the process */
int
privs_drop(const char *user, struct buf *err)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		buf_printf(err, "unknown user \"%s\"%s%s", user,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		buf_printf(err, "user \"%s\" is root; configure an "
		    "unprivileged user", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) < 0) {
		buf_printf(err, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0) {
		buf_printf(err, "setresgid %u: %s", (unsigned)pw->pw_gid,
		    strerror(errno));
		return -1;
	}
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		buf_printf(err, "setresuid %u: %s", (unsigned)pw->pw_uid,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		buf_printf(err, "could still regain root after dropping to %s",
		    user);
		return -1;
	}
	return 0;
}
