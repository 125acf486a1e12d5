/*++
 * NAME
 *	admin 3h
 * SUMMARY
 *	the bounceguard administrator's tool, shared declarations
 * DESCRIPTION
 *	Each command lives in its own file as cmd_NAME(), called with the
 *	arguments after the command name (argv[0] is the command name).
 *	It returns the exit status: 0 success, 1 a problem with the data
 *	(an unreadable file, a check that failed), 2 a usage error.
 *
 *	admin_util.c holds what several commands share: option parsing
 *	with one-line errors, address and duration arguments, times, and
 *	tables that are aligned for a terminal and tab-separated for a
 *	program. admin_row.c turns address records into the columns of
 *	"dump" and "export".
 *--*/
#ifndef BG_ADMIN_H
#define BG_ADMIN_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libbase.h"
#include "libconf.h"
#include "libstore.h"

#define EXIT_USAGE	2

struct admin {
	struct config *cfg;
	const char *config_path;
	struct store *store;		/* opened on first use */
};

extern volatile sig_atomic_t admin_interrupted;

struct store *admin_store(struct admin *);
struct store *admin_store_try(struct admin *, struct buf *);
int	admin_drop_privs(struct admin *, struct buf *);
int	admin_usage(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	admin_fail(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* admin_util.c */
int	admin_getopt(const char *, int, char **, const struct option *, int *);
int	admin_addr_arg(const char *, const char *, char *, size_t, unsigned);
int	admin_parse_duration(const char *, long long *);
int	admin_parse_when(const char *, time_t, time_t *);
const char *admin_time(int64_t, char *, size_t);
bool	admin_text_ok(const char *);
void	admin_tsv_escape(struct buf *, const char *);
int	admin_tsv_unescape(char *);

struct table {
	size_t	 ncols;
	bool	 align;			/* aligned columns for a terminal */
	FILE	*out;
	char	**cells;		/* kept only when aligning */
	size_t	 nrows, cap;
};

void	table_init(struct table *, size_t, bool, FILE *);
void	table_row(struct table *, const char *const *);
void	table_flush(struct table *);
bool	admin_tty(void);

/* admin_row.c: the columns of dump and export */
enum row_col {
	ROW_ADDRESS, ROW_STATE, ROW_REASON, ROW_SCOPE, ROW_SOURCE, ROW_SINCE,
	ROW_EXPIRES, ROW_HARD, ROW_SOFT, ROW_BLOCK, ROW_COMPLAINT,
	ROW_FIRST_BOUNCE, ROW_LAST_BOUNCE, ROW_LAST_REASON, ROW_LAST_STATUS,
	ROW_LAST_DIAGNOSTIC,
	ROW_DUMP_NCOLS,			/* dump stops here; export goes on */
	ROW_OTHER = ROW_DUMP_NCOLS, ROW_LAST_REPLY_CODE, ROW_LAST_MODE,
	ROW_RECENT_SOFT, ROW_NCOLS
};

struct row {
	const char *v[ROW_NCOLS];
	char	 num[5][16];
	char	 time[4][BG_TIMESTR_SIZE];
	char	 soft[STORE_MAX_SOFT * BG_TIMESTR_SIZE];
};

extern const char *const row_names[ROW_NCOLS];

const struct store_supp *row_primary(const struct store_addr *, time_t);
void	row_fill(struct row *, const char *, const struct store_addr *,
	    const struct store_supp *, time_t);
struct json;
void	row_json(struct buf *, const char *, const struct store_addr *,
	    time_t);
void	row_json_members(struct json *, const char *,
	    const struct store_addr *, time_t);
void	row_json_supps(struct json *, const char *, const struct store_addr *,
	    time_t);
int	row_column(const char *);

/* stats_prom.c: stats --prometheus */
int	stats_prometheus(struct admin *, FILE *, long long);
int	stats_prometheus_file(struct admin *, const char *, long long);

/* The commands. */
int	cmd_parse(struct admin *, int, char **);
int	cmd_dump(struct admin *, int, char **);
int	cmd_export(struct admin *, int, char **);
int	cmd_show(struct admin *, int, char **);
int	cmd_suppress(struct admin *, int, char **);
int	cmd_unsuppress(struct admin *, int, char **);
int	cmd_import(struct admin *, int, char **);
int	cmd_stats(struct admin *, int, char **);
int	cmd_report(struct admin *, int, char **);
int	cmd_expire(struct admin *, int, char **);
int	cmd_verp(struct admin *, int, char **);
int	cmd_check(struct admin *, int, char **);
int	cmd_db(struct admin *, int, char **);
int	cmd_follow(struct admin *, int, char **);
int	cmd_backoff(struct admin *, int, char **);

#endif
