/*++
 * NAME
 *	runtime 3
 * SUMMARY
 *	the configuration in force, replaced on SIGUSR1
 * DESCRIPTION
 *	rt_load() parses and checks a configuration file and loads the VERP
 *	secrets it names, into a new snapshot; nothing in force changes.
 *	rt_install() makes a snapshot the one in force. Callbacks take a
 *	reference with rt_acquire() at the start of a message and drop it
 *	with rt_release() at its end, so a reload never changes the
 *	settings of a message half-way, and the old snapshot is freed when
 *	its last message is done.
 *
 *	rt_reload() is what SIGUSR1 does: load, and install only when the
 *	new file is good; otherwise log why and keep the old settings.
 *	Settings that only take effect at start-up (sockets, user, pid file)
 *	are reported when they changed.
 * DIAGNOSTICS
 *	rt_load() appends "file:line: key: problem" lines to its buffer.
 *--*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libbase.h"
#include "milter.h"

static pthread_mutex_t rt_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct mrt *rt_current;

/* rt_free - free a snapshot nobody uses any more */
static void
rt_free(struct mrt *rt)
{
	if (rt == NULL)
		return;
	verp_keys_free(rt->keys);
	config_free(rt->cfg);
	free(rt);
}

/* rt_check - the milter's own checks on top of the parser's */
static int
rt_check(const struct config *cfg, struct buf *err)
{
	char	 why[MILTER_ERR_MAX];
	const char *path = cfg->path ? cfg->path : "(defaults)";
	int	 bad = 0;

	if (cfg->verp_domain[0] == '\0') {
		buf_printf(err, "%s: verp_domain: not set; the milter cannot "
		    "stamp mail without it\n", path);
		bad = -1;
	}
	if (reply_check(cfg->reject_reply, why, sizeof(why)) < 0) {
		buf_printf(err, "%s: reject_reply: %s\n", path, why);
		bad = -1;
	}
	return bad;
}

/* rt_load - a new, checked snapshot of a configuration file */
struct mrt *
rt_load(const char *path, struct buf *err)
{
	struct buf kerr = BUF_INIT;
	struct config *cfg;
	struct mrt *rt;

	if ((cfg = config_load(path, err)) == NULL)
		return NULL;
	if (rt_check(cfg, err) < 0) {
		config_free(cfg);
		return NULL;
	}
	rt = xcalloc(1, sizeof(*rt));
	rt->cfg = cfg;
	rt->keys = verp_keys_load(cfg->verp_secret_file, &kerr);
	if (rt->keys == NULL) {
		buf_printf(err, "%s", buf_cstr(&kerr));
		buf_free(&kerr);
		rt_free(rt);
		return NULL;
	}
	if (kerr.len > 0)
		log_warnx("%s", bg_trim(kerr.data));
	buf_free(&kerr);
	rt->codec.prefix = cfg->verp_prefix;
	rt->codec.domain = cfg->verp_domain;
	rt->codec.keys = rt->keys;
	rt->codec.max_age = cfg->verp_max_age;
	rt->refs = 1;
	return rt;
}

/* rt_install - make a snapshot the one in force */
void
rt_install(struct mrt *rt)
{
	struct mrt *old;

	pthread_mutex_lock(&rt_mtx);
	old = rt_current;
	rt_current = rt;
	pthread_mutex_unlock(&rt_mtx);
	if (old != NULL)
		rt_release(old);
}

/* rt_acquire - a reference to the snapshot in force */
struct mrt *
rt_acquire(void)
{
	struct mrt *rt;

	pthread_mutex_lock(&rt_mtx);
	if ((rt = rt_current) != NULL)
		rt->refs++;
	pthread_mutex_unlock(&rt_mtx);
	return rt;
}

/* rt_release - drop a reference; the last one frees */
void
rt_release(struct mrt *rt)
{
	bool	 last;

	if (rt == NULL)
		return;
	pthread_mutex_lock(&rt_mtx);
	last = --rt->refs == 0;
	pthread_mutex_unlock(&rt_mtx);
	if (last)
		rt_free(rt);
}

/* rt_differs - a string setting changed */
static bool
rt_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* rt_warn_restart - name the settings a reload cannot change */
static void
rt_warn_restart(const struct config *old, const struct config *new)
{
	static const struct {
		const char *name;
		size_t	 off;
	} keys[] = {
		{ "milter_socket", offsetof(struct config, milter_socket) },
		{ "milter_socket_group", offsetof(struct config, milter_socket_group) },
		{ "lookup_socket", offsetof(struct config, lookup_socket) },
		{ "lookup_socket_group", offsetof(struct config, lookup_socket_group) },
		{ "pid_file", offsetof(struct config, pid_file) },
		{ "user", offsetof(struct config, user) },
	};

	for (size_t i = 0; i < BG_ARRAY_SIZE(keys); i++) {
		const char *a = *(char *const *)(const void *)
		    ((const char *)old + keys[i].off);
		const char *b = *(char *const *)(const void *)
		    ((const char *)new + keys[i].off);

		if (rt_differs(a, b))
			log_warnx("reload: %s changed; it takes effect at the "
			    "next restart", keys[i].name);
	}
}

/* rt_reload - SIGUSR1: install the file's settings, or keep the old ones */
int
rt_reload(const char *path)
{
	struct buf err = BUF_INIT;
	struct mrt *rt, *old;
	char	*save = NULL;

	if ((rt = rt_load(path, &err)) == NULL) {
		buf_addch(&err, '\0');
		for (char *line = strtok_r(err.data, "\n", &save);
		    line != NULL; line = strtok_r(NULL, "\n", &save))
			log_warnx("reload: %s", line);
		log_warnx("reload: %s has errors; keeping the previous "
		    "configuration", path);
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	if ((old = rt_acquire()) != NULL) {
		rt_warn_restart(old->cfg, rt->cfg);
		rt_release(old);
	}
	log_set_facility(config_enum_name(rt->cfg, "syslog_facility"));
	mstore_reconfigure(rt->cfg);
	rt_install(rt);
	log_info("reload: configuration reloaded from %s", path);
	return 0;
}
