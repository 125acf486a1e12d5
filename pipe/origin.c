/*++
 * NAME
 *	origin 3
 * SUMMARY
 *	may this bounce speak for every recipient of its token?
 * DESCRIPTION
 *	A message with several recipients carries one per-message token as
 *	its return path, and each recipient reads it on their own copy: a
 *	bounce to the token may therefore have been written by any of them,
 *	to suppress the others (issue 18, item 1). Only a bounce that our
 *	own MTA wrote is trusted to report on the token's recipients:
 *
 *	-	it has the null sender (every DSN has; Postfix's pipe(8)
 *		writes it as "" or MAILER-DAEMON), and
 *	-	the MTA told us its SMTP client (-a): empty, for mail that
 *		did not come in over SMTP (the MTA's own bounce, or local
 *		submission), or an address in trusted_bounce_networks (our
 *		own MTAs relaying the bounces they wrote).
 *
 *	Without -a (a master.cf line older than this option) nothing is
 *	known about the client, so no token bounce is trusted. Whether a
 *	remote host "speaks for" a recipient's domain is not guessed from
 *	its name: at a large provider every co-recipient sends from the
 *	same hosts as the provider's bounces.
 *
 *	pipe_origin_trusted() is cheap: no DNS, no store access.
 * DIAGNOSTICS
 *	It returns false and a short word for the log line ("no-client",
 *	"not-null-sender", "untrusted-client", "bad-client") when the
 *	bounce is not trusted.
 *--*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "pipe.h"

/* origin_null_sender - the bounce has the null envelope sender */
static bool
origin_null_sender(const char *s)
{
	return s[0] == '\0' || strcmp(s, "<>") == 0 ||
	    strcasecmp(s, "MAILER-DAEMON") == 0;
}

/* origin_sockaddr - a textual IPv4 or IPv6 address; false if it is none */
static bool
origin_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;
	char	 a[INET6_ADDRSTRLEN + 8];
	size_t	 len;

	memset(ss, 0, sizeof(*ss));
	/* Postfix writes IPv6 clients bare; a "[...]" or "ipv6:" form too. */
	bg_strlcpy(a, strncasecmp(text, "ipv6:", 5) == 0 ? text + 5 :
	    text[0] == '[' ? text + 1 : text, sizeof(a));
	if ((len = strlen(a)) > 0 && a[len - 1] == ']')
		a[len - 1] = '\0';
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

/* pipe_origin_trusted - did our own MTA write this bounce? */
bool
pipe_origin_trusted(const struct pipe_run *run, const char **why)
{
	struct sockaddr_storage ss;

	*why = NULL;
	if (run->client == NULL)
		return *why = "no-client", false;
	if (!origin_null_sender(run->sender))
		return *why = "not-null-sender", false;
	if (run->client[0] == '\0')
		return true;
	if (!origin_sockaddr(run->client, &ss))
		return *why = "bad-client", false;
	if (!cidrlist_match(&run->cfg->trusted_bounce_networks,
	    (const struct sockaddr *)&ss))
		return *why = "untrusted-client", false;
	return true;
}
