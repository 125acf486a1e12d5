/*++
 * NAME
 *	config 3
 * SUMMARY
 *	the bounceguard.conf configuration file
 * DESCRIPTION
 *	The key table is generated from config_keys.h, so a key's name,
 *	type, default and range are written exactly once. Defaults go
 *	through the same value parsers as the file, so a bad default is
 *	caught by the unit tests rather than at a customer's site.
 *
 *	The file syntax is Postfix's: a logical line starts with a key at
 *	the left margin, lines starting with white space continue it, and
 *	lines whose first non-blank character is '#' are comments.
 *	Setting the same key twice is an error rather than "last wins":
 *	with bounce policy, a silently ignored line is worse than a refusal.
 *
 *	config_load_buffer() parses text already in memory exactly as
 *	config_load() parses a file (the fuzzing harness uses it).
 * DIAGNOSTICS
 *	config_load() returns NULL and appends one line per problem to the
 *	error buffer: "FILE:LINE: KEY: what is wrong". Every problem in the
 *	file is reported, not just the first.
 *--*/
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "libbase.h"
#include "libmail.h"

enum cfg_type {
	CFG_T_STR, CFG_T_BOOL, CFG_T_INT, CFG_T_DURATION, CFG_T_SIZE,
	CFG_T_LIST, CFG_T_CIDRS, CFG_T_ENUM, CFG_T_MODE, CFG_T_PERCENT
};

struct cfg_entry {
	const char *name;
	enum cfg_type type;
	const char *def;
	long long min;
	long long max;
	const char *opts;
	size_t	 off;
};

static const struct cfg_entry cfg_table[] = {
#define CFG_KEY(name, type, def, min, max, opts) \
	{ #name, CFG_T_##type, def, min, max, opts, offsetof(struct config, name) },
#include "config_keys.h"
#undef CFG_KEY
};

#define CFG_NKEYS	BG_ARRAY_SIZE(cfg_table)
#define CFG_FIELD(cfg, e, type)	((type *)(void *)((char *)(cfg) + (e)->off))
#define CFG_MAX_ERRORS	50

/* cfg_find - the table entry of a key, or NULL */
static const struct cfg_entry *
cfg_find(const char *name)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (strcmp(cfg_table[i].name, name) == 0)
			return &cfg_table[i];
	return NULL;
}

/* cfg_parse_number - a number with an optional unit suffix */
static int
cfg_parse_number(const char *s, const char *units, const long long *mult,
    long long *out)
{
	char	*end;
	const char *u;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno == ERANGE)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > LLONG_MAX / mult[u - units] ||
		    v < LLONG_MIN / mult[u - units])
			return -1;
		v *= mult[u - units];
	}
	*out = v;
	return 0;
}

/* cfg_parse_percent - "2", "2%" or "2.5%" as hundredths of a percent */
static int
cfg_parse_percent(const char *s, long long *out)
{
	long long whole = 0, frac = 0;
	int	 digits = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s) && whole < 1000000; s++)
		whole = whole * 10 + (*s - '0');
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++) {
			if (digits >= 2)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
	}
	if (digits == 1)
		frac *= 10;
	if (*s == '%')
		s++;
	if (*s != '\0')
		return -1;
	*out = whole * 100 + frac;
	return 0;
}

/* cfg_parse_bool - yes/no and the usual synonyms */
static int
cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < BG_ARRAY_SIZE(yes); i++) {
		if (bg_streq_nocase(s, yes[i]))
			return *out = true, 0;
		if (bg_streq_nocase(s, no[i]))
			return *out = false, 0;
	}
	return -1;
}

/* cfg_parse_enum - the index of a value among "a|b|c" */
static int
cfg_parse_enum(const char *s, const char *opts, int *out)
{
	size_t	 len = strlen(s);
	int	 i = 0;

	for (const char *p = opts; p != NULL; i++) {
		const char *bar = strchr(p, '|');
		size_t	 n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && strncmp(p, s, n) == 0)
			return *out = i, 0;
		p = bar ? bar + 1 : NULL;
	}
	return -1;
}

/* config_enum_value - the name of an enum value */
const char *
config_enum_value(const char *opts, int value)
{
	static char name[64];
	const char *p = opts;

	for (int i = 0; i < value && p != NULL; i++)
		if ((p = strchr(p, '|')) != NULL)
			p++;
	if (p == NULL)
		return "?";
	bg_strlcpy(name, p, sizeof(name));
	name[strcspn(name, "|")] = '\0';
	return name;
}

/* config_enum_name - the current value of an ENUM key, by key name */
const char *
config_enum_name(const struct config *cfg, const char *key)
{
	const struct cfg_entry *e = cfg_find(key);

	if (e == NULL || e->type != CFG_T_ENUM)
		return NULL;
	return config_enum_value(e->opts, *CFG_FIELD(cfg, e, int));
}

/* strlist_free - release a list */
static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* strlist_split - split on commas and white space */
static void
strlist_split(const char *s, struct strlist *l)
{
	const char *sep = ", \t\r\n";

	l->n = 0;
	l->v = NULL;
	while (*(s += strspn(s, sep)) != '\0') {
		size_t	 n = strcspn(s, sep);

		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xstrndup(s, n);
		s += n;
	}
}

/* strlist_contains - case-insensitive membership */
bool
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (bg_streq_nocase(l->v[i], s))
			return true;
	return false;
}

/* cidr_parse - "192.0.2.0/24", "2001:db8::/32" or a single address */
int
cidr_parse(const char *s, struct cidr *c)
{
	char	 host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t	 n = slash ? (size_t)(slash - s) : strlen(s);
	char	*end;
	long	 bits;

	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1)
		c->family = AF_INET, c->bits = 32;
	else if (inet_pton(AF_INET6, host, c->addr) == 1)
		c->family = AF_INET6, c->bits = 128;
	else
		return -1;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || bits < 0 ||
		    bits > c->bits)
			return -1;
		c->bits = (int)bits;
	}
	return 0;
}

/* cidr_match_bytes - the first bits of two addresses are equal */
static bool
cidr_match_bytes(const uint8_t *a, const uint8_t *b, int bits)
{
	int	 whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* cidrlist_match - the socket address is in one of the networks */
bool
cidrlist_match(const struct cidrlist *l, const struct sockaddr *sa)
{
	uint8_t	 mapped[4];
	const uint8_t *a6 = NULL, *a4 = NULL;

	if (sa->sa_family == AF_INET) {
		a4 = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a6 = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)a6))
			a4 = memcpy(mapped, a6 + 12, 4);
	} else
		return false;
	for (size_t i = 0; i < l->n; i++) {
		const struct cidr *c = &l->v[i];

		if (c->family == AF_INET && a4 != NULL &&
		    cidr_match_bytes(c->addr, a4, c->bits))
			return true;
		if (c->family == AF_INET6 && a6 != NULL &&
		    cidr_match_bytes(c->addr, a6, c->bits))
			return true;
	}
	return false;
}

/* cfg_parse_cidrs - a list of networks; with opts "any", also "any" */
static int
cfg_parse_cidrs(const char *s, const char *opts, struct cidrlist *out,
    char *why, size_t wl)
{
	struct strlist l;
	bool	 any = opts != NULL && strcmp(opts, "any") == 0;
	int	 rc = 0;

	/* An allow-list that is empty by mistake must not open a socket
	   to everyone, nor silently close it: either is said in words. */
	if (any && strcmp(s, "any") == 0)
		s = "0.0.0.0/0, ::/0";
	strlist_split(s, &l);
	if (any && l.n == 0) {
		snprintf(why, wl, "empty; list networks, or write \"any\" to "
		    "accept every client");
		strlist_free(&l);
		return -1;
	}
	out->n = 0;
	out->v = xcalloc(l.n, sizeof(*out->v));
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		if (cidr_parse(l.v[i], &out->v[out->n]) < 0) {
			snprintf(why, wl, "bad network address \"%s\"", l.v[i]);
			rc = -1;
		} else
			out->n++;
	}
	strlist_free(&l);
	if (rc < 0) {
		free(out->v);
		out->v = NULL;
		out->n = 0;
	}
	return rc;
}

/* cfg_hostport_ok - HOST:PORT or [IPV6]:PORT, port 1 to 65535 */
static bool
cfg_hostport_ok(const char *v)
{
	const char *colon = strrchr(v, ':');
	char	*end;
	long	 port;

	if (colon == NULL || colon == v)
		return false;
	if (v[0] == '[' && (colon - v < 3 || colon[-1] != ']'))
		return false;
	if (v[0] != '[' && memchr(v, ':', (size_t)(colon - v)) != NULL)
		return false;		/* IPv6 needs brackets */
	if (strcspn(v, " \t,") != strlen(v))
		return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return colon[1] != '\0' && *end == '\0' && errno == 0 && port >= 1 &&
	    port <= 65535;
}

/* cfg_map_ok - TYPE:/PATH, a Postfix table that postmap builds into
   one file, so that it can be replaced by one rename */
static bool
cfg_map_ok(const char *v)
{
	static const char *const types[] = { "hash:/", "btree:/", "lmdb:/",
	    "cdb:/" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strncmp(v, types[i], strlen(types[i])) == 0)
			return v[strlen(types[i])] != '\0' &&
			    strcspn(v, " \t,") == strlen(v);
	return false;
}

/* cfg_syntax_ok - a string value has the syntax its key requires */
static bool
cfg_syntax_ok(const char *syntax, const char *v)
{
	size_t	 len = strlen(v);

	if (len == 0)
		return syntax[strlen(syntax) - 1] == '?';
	if (strncmp(syntax, "path", 4) == 0)
		return v[0] == '/';
	if (strncmp(syntax, "name", 4) == 0)
		return strcspn(v, " \t:/") == len;
	if (strncmp(syntax, "domain", 6) == 0)
		return strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == len &&
		    v[0] != '.' && v[0] != '-' && len <= 253;
	if (strncmp(syntax, "token", 5) == 0)
		return strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789") ==
		    len && len <= 16;
	if (strncmp(syntax, "socket", 6) == 0)
		return (strncmp(v, "unix:/", 6) == 0 ||
		    strncmp(v, "local:/", 7) == 0 ||
		    strncmp(v, "inet:", 5) == 0 || strncmp(v, "inet6:", 6) == 0);
	if (strncmp(syntax, "hostport", 8) == 0)
		return cfg_hostport_ok(v);
	if (strncmp(syntax, "map", 3) == 0)
		return cfg_map_ok(v);
	if (strncmp(syntax, "header", 6) == 0)
		for (; *v; v++)
			if (*v <= ' ' || *v >= 0x7f || *v == ':')
				return false;
	return true;
}

/* cfg_syntax_help - what a syntax class means, for error messages */
static const char *
cfg_syntax_help(const char *syntax)
{
	if (strncmp(syntax, "path", 4) == 0)
		return "an absolute path";
	if (strncmp(syntax, "name", 4) == 0)
		return "a user or group name";
	if (strncmp(syntax, "domain", 6) == 0)
		return "a domain name";
	if (strncmp(syntax, "token", 5) == 0)
		return "1 to 16 lower-case letters and digits";
	if (strncmp(syntax, "socket", 6) == 0)
		return "unix:/PATH or inet:PORT@ADDRESS";
	if (strncmp(syntax, "hostport", 8) == 0)
		return "HOST:PORT or [IPV6-ADDRESS]:PORT";
	if (strncmp(syntax, "map", 3) == 0)
		return "TYPE:/PATH with TYPE hash, btree, lmdb or cdb";
	return "a header field name";
}

/* cfg_check_reasons - every list element is a reason name */
static int
cfg_check_reasons(const struct strlist *l, char *why, size_t wl)
{
	for (size_t i = 0; i < l->n; i++) {
		if (reason_lookup(l->v[i]) < 0) {
			snprintf(why, wl, "unknown reason \"%s\"", l->v[i]);
			return -1;
		}
	}
	return 0;
}

/* cfg_check_services - every list element is a master.cf service name */
static int
cfg_check_services(const struct strlist *l, char *why, size_t wl)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i];
		size_t	 n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

		if (s[n] != '\0' || n == 0 || n > 32 || !isalpha((unsigned
		    char)s[0])) {
			snprintf(why, wl, "bad service name \"%s\": expected a "
			    "letter, then letters, digits, '-', '_' or '.', at "
			    "most 32", s);
			return -1;
		}
	}
	return 0;
}

/* cfg_free_value - release what a key's field owns */
static void
cfg_free_value(struct config *cfg, const struct cfg_entry *e)
{
	if (e->type == CFG_T_STR) {
		free(*CFG_FIELD(cfg, e, char *));
		*CFG_FIELD(cfg, e, char *) = NULL;
	} else if (e->type == CFG_T_LIST) {
		strlist_free(CFG_FIELD(cfg, e, struct strlist));
	} else if (e->type == CFG_T_CIDRS) {
		free(CFG_FIELD(cfg, e, struct cidrlist)->v);
		CFG_FIELD(cfg, e, struct cidrlist)->v = NULL;
		CFG_FIELD(cfg, e, struct cidrlist)->n = 0;
	}
}

static const char cfg_duration_units[] = "smhdw";
static const long long cfg_duration_mult[] = { 1, 60, 3600, 86400, 604800 };
static const char cfg_size_units[] = "bkKmMgG";
static const long long cfg_size_mult[] = {
	1, 1LL << 10, 1LL << 10, 1LL << 20, 1LL << 20, 1LL << 30, 1LL << 30
};

/* cfg_parse_scalar - a number-like value into a long long */
static int
cfg_parse_scalar(const struct cfg_entry *e, const char *v, long long *out)
{
	char	*end;

	switch (e->type) {
	case CFG_T_INT:
		return cfg_parse_number(v, "", NULL, out);
	case CFG_T_DURATION:
		return cfg_parse_number(v, cfg_duration_units,
		    cfg_duration_mult, out);
	case CFG_T_SIZE:
		return cfg_parse_number(v, cfg_size_units, cfg_size_mult, out);
	case CFG_T_MODE:
		errno = 0;
		*out = strtoll(v, &end, 8);
		return (*v == '\0' || *end != '\0' || errno) ? -1 : 0;
	case CFG_T_PERCENT:
		return cfg_parse_percent(v, out);
	default:
		return -1;
	}
}

/* cfg_type_help - what a type's values look like */
static const char *
cfg_type_help(enum cfg_type t)
{
	switch (t) {
	case CFG_T_INT:
		return "expected an integer";
	case CFG_T_DURATION:
		return "expected a duration such as 45s, 30m, 12h, 30d or 2w";
	case CFG_T_SIZE:
		return "expected a size such as 512k, 10M or 1G";
	case CFG_T_MODE:
		return "expected an octal file mode such as 0660";
	case CFG_T_PERCENT:
		return "expected a percentage such as 2% or 2.5%";
	case CFG_T_BOOL:
		return "expected yes or no";
	default:
		return "bad value";
	}
}

/* cfg_set_scalar - set a numeric key after checking its range */
static int
cfg_set_scalar(struct config *cfg, const struct cfg_entry *e, const char *v,
    char *why, size_t wl)
{
	long long n;

	if (cfg_parse_scalar(e, v, &n) < 0) {
		snprintf(why, wl, "bad value \"%s\": %s", v, cfg_type_help(e->type));
		return -1;
	}
	if ((e->min != 0 || e->max != 0) && (n < e->min || n > e->max)) {
		snprintf(why, wl, "value \"%s\" out of range (%lld to %lld%s)",
		    v, e->min, e->max, e->type == CFG_T_DURATION ? " seconds" :
		    e->type == CFG_T_SIZE ? " bytes" :
		    e->type == CFG_T_PERCENT ? " hundredths of a percent" : "");
		return -1;
	}
	*CFG_FIELD(cfg, e, long long) = n;
	return 0;
}

/* cfg_set_list - set a list key after checking its elements */
static int
cfg_set_list(struct config *cfg, const struct cfg_entry *e, const char *v,
    char *why, size_t wl)
{
	struct strlist l;

	strlist_split(v, &l);
	if (e->opts != NULL && strcmp(e->opts, "reasons") == 0 &&
	    cfg_check_reasons(&l, why, wl) < 0) {
		strlist_free(&l);
		return -1;
	}
	if (e->opts != NULL && strcmp(e->opts, "services") == 0 &&
	    cfg_check_services(&l, why, wl) < 0) {
		strlist_free(&l);
		return -1;
	}
	for (size_t i = 0; e->opts != NULL && strcmp(e->opts, "hostport") ==
	    0 && i < l.n; i++)
		if (!cfg_hostport_ok(l.v[i])) {
			snprintf(why, wl, "\"%s\" is not %s", l.v[i],
			    cfg_syntax_help(e->opts));
			strlist_free(&l);
			return -1;
		}
	cfg_free_value(cfg, e);
	*CFG_FIELD(cfg, e, struct strlist) = l;
	return 0;
}

/* cfg_set - parse and store one value; on error leave the field alone */
static int
cfg_set(struct config *cfg, const struct cfg_entry *e, const char *v,
    char *why, size_t wl)
{
	struct cidrlist cl;
	bool	 b;
	int	 i;

	switch (e->type) {
	case CFG_T_STR:
		if (e->opts != NULL && !cfg_syntax_ok(e->opts, v)) {
			snprintf(why, wl, "bad value \"%s\": expected %s", v,
			    cfg_syntax_help(e->opts));
			return -1;
		}
		cfg_free_value(cfg, e);
		*CFG_FIELD(cfg, e, char *) = xstrdup(v);
		return 0;
	case CFG_T_BOOL:
		if (cfg_parse_bool(v, &b) < 0) {
			snprintf(why, wl, "bad value \"%s\": expected yes or no", v);
			return -1;
		}
		*CFG_FIELD(cfg, e, bool) = b;
		return 0;
	case CFG_T_ENUM:
		if (cfg_parse_enum(v, e->opts, &i) < 0) {
			snprintf(why, wl, "bad value \"%s\": expected one of %s",
			    v, e->opts);
			return -1;
		}
		*CFG_FIELD(cfg, e, int) = i;
		return 0;
	case CFG_T_LIST:
		return cfg_set_list(cfg, e, v, why, wl);
	case CFG_T_CIDRS:
		if (cfg_parse_cidrs(v, e->opts, &cl, why, wl) < 0)
			return -1;
		cfg_free_value(cfg, e);
		*CFG_FIELD(cfg, e, struct cidrlist) = cl;
		return 0;
	default:
		return cfg_set_scalar(cfg, e, v, why, wl);
	}
}

/* config_default - every key at its default value */
struct config *
config_default(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	char	 why[256];

	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (cfg_set(cfg, &cfg_table[i], cfg_table[i].def, why,
		    sizeof(why)) < 0)
			fatalx("internal error: default of %s: %s",
			    cfg_table[i].name, why);
	return cfg;
}

/* config_free - release a configuration */
void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < CFG_NKEYS; i++)
		cfg_free_value(cfg, &cfg_table[i]);
	free(cfg->path);
	free(cfg);
}

struct cfg_parser {
	const char *path;
	struct config *cfg;
	struct buf *err;
	int	 errors;
	int	 set_at[CFG_NKEYS];	/* line where each key was set */
};

/* cfg_error - report one problem */
__attribute__((format(printf, 3, 4)))
static void
cfg_error(struct cfg_parser *p, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errors++ < CFG_MAX_ERRORS) {
		if (line > 0)
			buf_printf(p->err, "%s:%d: %s\n", p->path, line, msg);
		else
			buf_printf(p->err, "%s: %s\n", p->path, msg);
	}
}

/* cfg_logical_line - handle one complete "name = value" line */
static void
cfg_logical_line(struct cfg_parser *p, char *text, int line)
{
	char	*eq = strchr(text, '='), *name, *value;
	const struct cfg_entry *e;
	char	 why[512];
	size_t	 idx;

	if (eq == NULL) {
		cfg_error(p, line, "missing '=' after \"%.60s\"", bg_trim(text));
		return;
	}
	*eq = '\0';
	name = bg_trim(text);
	value = bg_trim(eq + 1);
	if ((e = cfg_find(name)) == NULL) {
		cfg_error(p, line, "unknown key \"%.60s\"", name);
		return;
	}
	idx = (size_t)(e - cfg_table);
	if (p->set_at[idx] != 0) {
		cfg_error(p, line, "%s: already set at line %d", name,
		    p->set_at[idx]);
		return;
	}
	p->set_at[idx] = line;
	if (cfg_set(p->cfg, e, value, why, sizeof(why)) < 0)
		cfg_error(p, line, "%s: %s", name, why);
}

/* cfg_is_blank_or_comment - lines that neither start nor continue */
static bool
cfg_is_blank_or_comment(const char *s)
{
	s += strspn(s, " \t\r\n");
	return *s == '\0' || *s == '#';
}

/* cfg_read - read the file, joining continuation lines */
static void
cfg_read(struct cfg_parser *p, FILE *fp)
{
	struct buf logical = BUF_INIT;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 lineno = 0, start = 0;

	while ((n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			cfg_error(p, lineno, "NUL byte in line");
			continue;
		}
		if (cfg_is_blank_or_comment(line))
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			if (start == 0)
				cfg_error(p, lineno, "continuation line "
				    "without a key before it");
			else {
				/* Joined with one space, as Postfix does. */
				buf_addch(&logical, ' ');
				buf_addstr(&logical, bg_trim(line));
			}
			continue;
		}
		if (start != 0)
			cfg_logical_line(p, logical.data, start);
		buf_reset(&logical);
		buf_addstr(&logical, bg_trim(line));
		start = lineno;
	}
	if (start != 0)
		cfg_logical_line(p, logical.data, start);
	free(line);
	buf_free(&logical);
}

/* cfg_check_policy_lists - each reason in at most one policy list */
static void
cfg_check_policy_lists(struct cfg_parser *p)
{
	static const char *const names[] = {
		"hard_reasons", "retryable_reasons", "block_reasons"
	};
	const struct strlist *lists[] = {
		&p->cfg->hard_reasons, &p->cfg->retryable_reasons,
		&p->cfg->block_reasons
	};

	for (size_t i = 0; i < BG_ARRAY_SIZE(lists); i++) {
		int	 line = p->set_at[cfg_find(names[i]) - cfg_table];

		for (size_t k = 0; k < lists[i]->n; k++) {
			const char *r = lists[i]->v[k];

			if (strcmp(r, "feedback") == 0 ||
			    strcmp(r, "vacation") == 0 ||
			    strcmp(r, "delivered") == 0)
				cfg_error(p, line, "%s: \"%s\" is not a "
				    "bounce reason; it has a fixed policy",
				    names[i], r);
			for (size_t j = i + 1; j < BG_ARRAY_SIZE(lists); j++) {
				int	 lj = p->set_at[cfg_find(names[j]) -
				    cfg_table];

				if (strlist_contains(lists[j], r))
					cfg_error(p, lj > line ? lj : line,
					    "reason \"%s\" is in both %s and "
					    "%s", r, names[i], names[j]);
			}
		}
	}
}

/* cfg_check_repl - replication needs an address, and peers other than it */
static void
cfg_check_repl(struct cfg_parser *p)
{
	const struct config *c = p->cfg;
	int	 line = p->set_at[cfg_find("repl_peers") - cfg_table];

	if (c->repl_local[0] == '\0') {
		if (c->repl_peers.n > 0)
			cfg_error(p, line, "repl_peers: set, but repl_local is "
			    "empty (replication needs this host's address)");
		return;
	}
	line = p->set_at[cfg_find("repl_local") - cfg_table];
	if (c->repl_secret_file[0] == '\0')
		cfg_error(p, line, "repl_local: replication needs "
		    "repl_secret_file (it signs the changes sent to the master)");
	if (strlist_contains(&c->repl_peers, c->repl_local))
		cfg_error(p, line, "repl_local: %s is also in repl_peers",
		    c->repl_local);
}

/* cfg_cross_check - rules that involve more than one key */
static void
cfg_cross_check(struct cfg_parser *p)
{
	struct config *c = p->cfg;

	if (c->health_warning_rate > c->health_critical_rate)
		cfg_error(p, 0, "health_warning_rate (%lld.%02lld%%) exceeds "
		    "health_critical_rate (%lld.%02lld%%)",
		    c->health_warning_rate / 100, c->health_warning_rate % 100,
		    c->health_critical_rate / 100, c->health_critical_rate % 100);
	cfg_check_policy_lists(p);
	cfg_check_repl(p);
}

/* cfg_parse_stream - parse an open stream; "name" is used in messages */
static struct config *
cfg_parse_stream(const char *name, FILE *fp, struct buf *err)
{
	struct cfg_parser p;

	memset(&p, 0, sizeof(p));
	p.path = name;
	p.err = err;
	p.cfg = config_default();
	cfg_read(&p, fp);
	if (ferror(fp))
		cfg_error(&p, 0, "read error: %s", strerror(errno));
	fclose(fp);
	if (p.errors == 0)
		cfg_cross_check(&p);
	if (p.errors > CFG_MAX_ERRORS)
		buf_printf(err, "%s: %d more errors not shown\n", name,
		    p.errors - CFG_MAX_ERRORS);
	if (p.errors > 0) {
		config_free(p.cfg);
		return NULL;
	}
	p.cfg->path = xstrdup(name);
	return p.cfg;
}

/* config_load - parse a file into a new configuration */
struct config *
config_load(const char *path, struct buf *err)
{
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		buf_printf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	return cfg_parse_stream(path, fp, err);
}

/* config_load_buffer - parse text in memory, named "name" in messages */
struct config *
config_load_buffer(const char *name, const char *data, size_t len,
    struct buf *err)
{
	FILE	*fp;

	/* fmemopen() refuses an empty buffer: give it one byte to read. */
	if ((fp = len > 0 ? fmemopen((void *)(uintptr_t)data, len, "r") :
	    fmemopen((void *)(uintptr_t)"\n", 1, "r")) == NULL) {
		buf_printf(err, "%s: cannot read: %s\n", name, strerror(errno));
		return NULL;
	}
	return cfg_parse_stream(name, fp, err);
}

/* config_key_count - the number of keys */
size_t
config_key_count(void)
{
	return CFG_NKEYS;
}

/* config_key_name - the name of key i */
const char *
config_key_name(size_t i)
{
	return i < CFG_NKEYS ? cfg_table[i].name : NULL;
}

/* config_key_default - the default of key i, as written in a file */
const char *
config_key_default(size_t i)
{
	return i < CFG_NKEYS ? cfg_table[i].def : NULL;
}

/* cfg_format_list - a list value as "a, b, c" */
static void
cfg_format_list(const struct strlist *l, struct buf *out)
{
	for (size_t i = 0; i < l->n; i++)
		buf_printf(out, "%s%s", i ? ", " : "", l->v[i]);
}

/* cfg_format_cidrs - a network list as text */
static void
cfg_format_cidrs(const struct cidrlist *l, struct buf *out)
{
	char	 a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < l->n; i++) {
		inet_ntop(l->v[i].family, l->v[i].addr, a, sizeof(a));
		buf_printf(out, "%s%s/%d", i ? ", " : "", a, l->v[i].bits);
	}
}

/* config_format_value - a key's current value, as it would be written */
int
config_format_value(const struct config *cfg, const char *name,
    struct buf *out)
{
	const struct cfg_entry *e = cfg_find(name);
	long long n;

	if (e == NULL)
		return -1;
	n = (e->type == CFG_T_STR || e->type == CFG_T_LIST ||
	    e->type == CFG_T_CIDRS || e->type == CFG_T_BOOL ||
	    e->type == CFG_T_ENUM) ? 0 : *CFG_FIELD(cfg, e, long long);
	switch (e->type) {
	case CFG_T_STR:
		buf_addstr(out, *CFG_FIELD(cfg, e, char *));
		break;
	case CFG_T_BOOL:
		buf_addstr(out, *CFG_FIELD(cfg, e, bool) ? "yes" : "no");
		break;
	case CFG_T_ENUM:
		buf_addstr(out, config_enum_value(e->opts, *CFG_FIELD(cfg, e, int)));
		break;
	case CFG_T_LIST:
		cfg_format_list(CFG_FIELD(cfg, e, struct strlist), out);
		break;
	case CFG_T_CIDRS:
		cfg_format_cidrs(CFG_FIELD(cfg, e, struct cidrlist), out);
		break;
	case CFG_T_MODE:
		buf_printf(out, "%04llo", n);
		break;
	case CFG_T_PERCENT:
		buf_printf(out, "%lld.%02lld%%", n / 100, n % 100);
		break;
	default:
		buf_printf(out, "%lld", n);
	}
	return 0;
}
