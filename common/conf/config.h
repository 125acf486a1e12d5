/*++
 * NAME
 *	config 3h
 * SUMMARY
 *	the bounceguard.conf configuration file
 * DESCRIPTION
 *	A Postfix-style file: "name = value" lines, '#' comment lines,
 *	continuation lines that start with white space. Every key is
 *	declared once, in config_keys.h, with its type, default and range;
 *	struct config has one field per key, of the key's C type.
 *
 *	config_load() parses a file into a new object, or returns NULL and
 *	appends one "file:line: key: problem" line per error to the error
 *	buffer. Callers that reload keep their old object on failure.
 *--*/
#ifndef BG_CONFIG_H
#define BG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "libbase.h"

#ifndef BG_SYSCONFDIR
#define BG_SYSCONFDIR	"/etc/bounceguard"
#endif
#ifndef BG_STATEDIR
#define BG_STATEDIR	"/var/lib/bounceguard"
#endif
#ifndef BG_RULESDIR
#define BG_RULESDIR	"/usr/local/share/bounceguard/rules"
#endif
#ifndef BG_VERSION
#define BG_VERSION	"0.0"
#endif

#define CONFIG_DEFAULT_PATH	BG_SYSCONFDIR "/bounceguard.conf"

struct strlist {
	size_t	 n;
	char	**v;
};

struct cidr {
	int	 family;		/* AF_INET or AF_INET6 */
	uint8_t	 addr[16];
	int	 bits;
};

struct cidrlist {
	size_t	 n;
	struct cidr *v;
};

#define CFG_CTYPE_STR		char *
#define CFG_CTYPE_BOOL		bool
#define CFG_CTYPE_INT		long long
#define CFG_CTYPE_DURATION	long long	/* seconds */
#define CFG_CTYPE_SIZE		long long	/* bytes */
#define CFG_CTYPE_LIST		struct strlist
#define CFG_CTYPE_CIDRS		struct cidrlist
#define CFG_CTYPE_ENUM		int		/* index into the options */
#define CFG_CTYPE_MODE		long long	/* file mode bits */
#define CFG_CTYPE_PERCENT	long long	/* hundredths of a percent */

struct config {
	char	*path;			/* the file it came from, or NULL */
#define CFG_KEY(name, type, def, min, max, opts) CFG_CTYPE_##type name;
#include "config_keys.h"
#undef CFG_KEY
};

/* Values of the ENUM keys. */
enum { CFG_MODE_ENFORCE, CFG_MODE_MONITOR };
enum { CFG_ON_STORE_ERROR_ACCEPT, CFG_ON_STORE_ERROR_TEMPFAIL };

struct config *config_default(void);
struct config *config_load(const char *, struct buf *);
struct config *config_load_buffer(const char *, const char *, size_t,
	    struct buf *);
void	config_free(struct config *);

/* Key introspection, for "bounceguard check" and the documentation test. */
size_t	config_key_count(void);
const char *config_key_name(size_t);
const char *config_key_default(size_t);
int	config_format_value(const struct config *, const char *, struct buf *);
const char *config_enum_value(const char *, int);
const char *config_enum_name(const struct config *, const char *);

bool	strlist_contains(const struct strlist *, const char *);
bool	cidrlist_match(const struct cidrlist *, const struct sockaddr *);
int	cidr_parse(const char *, struct cidr *);

#endif
