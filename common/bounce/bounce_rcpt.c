/*++
 * NAME
 *	bounce_rcpt 3
 * SUMMARY
 *	the recipient list of a bounce being parsed
 * DESCRIPTION
 *	The format modules report what they find with bounce_rcpt_add()
 *	and look a recipient up again with bounce_rcpt_find();
 *	bounce_is_local_host() tells whether a reporting MTA is one of
 *	ours, which makes a DSN synchronous; bounce_rcpt_is_reporter()
 *	tells the reporting system's own addresses (a MAILER-DAEMON, the
 *	postmaster of the site that sent the report) from failed
 *	recipients, for the free-text formats. bounce_result_free()
 *	releases what a result owns.
 *
 *	These helpers sit below the format modules and the dispatcher
 *	(bounce.c), which both use them; they call neither.
 * DIAGNOSTICS
 *	bounce_rcpt_add() returns NULL, and marks the result truncated,
 *	when the parser's max_recipients is reached.
 *--*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bounce_int.h"
#include "libbase.h"

/* bounce_is_local_host - one of our own MTAs */
bool
bounce_is_local_host(const struct bounce_parser *p, const char *host)
{
	static char self[256];

	if (host == NULL)
		return false;
	for (size_t i = 0; i < p->nlocal_hostnames; i++)
		if (strcasecmp(p->local_hostnames[i], host) == 0)
			return true;
	if (p->nlocal_hostnames > 0)
		return false;
	if (self[0] == '\0' && gethostname(self, sizeof(self) - 1) < 0 &&
	    bg_strlcpy(self, "localhost", sizeof(self)) >= sizeof(self))
		self[0] = '\0';
	return strcasecmp(self, host) == 0;
}

/* Local parts of a mail system's own addresses. */
static const char *const rcpt_system_locals[] = {
	"mailer-daemon", "mailerdaemon", "mail-daemon", "mdaemon", NULL
};

/* Local parts that are a site's role addresses (RFC 2142): a report
   names its own to write to, never as a failed recipient. */
static const char *const rcpt_role_locals[] = { "postmaster", "root",
	"hostmaster", NULL };

/* bounce_rcpt_local_in - the address's local part is one of the list */
static bool
bounce_rcpt_local_in(const char *addr, const char *const *list)
{
	for (int i = 0; list[i] != NULL; i++) {
		size_t	 n = strlen(list[i]);

		if (strncasecmp(addr, list[i], n) == 0 && addr[n] == '@')
			return true;
	}
	return false;
}

/* bounce_rcpt_base - the registered part of a domain, roughly: its
   last two labels, three under a short second-level label of a
   country ("example.co.uk") */
static const char *
bounce_rcpt_base(const char *d)
{
	const char *last = strrchr(d, '.'), *p;
	int	 labels = 2;

	if (last == NULL)
		return d;
	for (p = last - 1; p > d && p[-1] != '.'; p--)
		;
	if (strlen(last + 1) == 2 && last - p <= 3)
		labels = 3;
	for (p = d + strlen(d); p > d; p--)
		if (p[-1] == '.' && --labels == 0)
			return p;
	return d;
}

/* bounce_rcpt_same_site - two domains of one organisation */
static bool
bounce_rcpt_same_site(const char *a, const char *b)
{
	return strcasecmp(bounce_rcpt_base(a), bounce_rcpt_base(b)) == 0;
}

/* bounce_rcpt_is_reporter - an address of the reporting mail system:
   a MAILER-DAEMON anywhere, or a role address (postmaster) of the
   site whose address sent the report */
bool
bounce_rcpt_is_reporter(const struct bounce_msg *m, const char *addr)
{
	const char *from = m->from != NULL ? strrchr(m->from, '@') : NULL;
	const char *at = strrchr(addr, '@');

	if (bounce_rcpt_local_in(addr, rcpt_system_locals))
		return true;
	return from != NULL && at != NULL &&
	    bounce_rcpt_local_in(addr, rcpt_role_locals) &&
	    bounce_rcpt_same_site(from + 1, at + 1);
}

/* bounce_rcpt_find - the recipient with this address, or NULL */
struct bounce_rcpt *
bounce_rcpt_find(struct bounce_msg *m, const char *addr)
{
	for (size_t i = 0; i < m->res->nrcpt; i++)
		if (m->res->rcpt[i].recipient != NULL && addr != NULL &&
		    strcmp(m->res->rcpt[i].recipient, addr) == 0)
			return &m->res->rcpt[i];
	return NULL;
}

/* bounce_rcpt_add - a new recipient (address copied), or NULL at limit */
struct bounce_rcpt *
bounce_rcpt_add(struct bounce_msg *m, const char *addr)
{
	struct bounce_result *res = m->res;
	struct bounce_rcpt *r;

	if (res->nrcpt >= m->p->max_recipients) {
		res->truncated = true;
		res->rcpt_dropped++;
		return NULL;
	}
	res->rcpt = xrealloc(res->rcpt, (res->nrcpt + 1) * sizeof(*r));
	r = &res->rcpt[res->nrcpt++];
	memset(r, 0, sizeof(*r));
	r->recipient = addr != NULL ? xstrdup(addr) : NULL;
	return r;
}

/* bounce_rcpt_free - release what one recipient owns */
static void
bounce_rcpt_free(struct bounce_rcpt *r)
{
	free(r->recipient);
	free(r->action);
	free(r->status);
	free(r->reply_code);
	free(r->command);
	free(r->diagnostic);
	free(r->reporting_mta);
	free(r->remote_mta);
	free(r->feedback_type);
	free(r->rule);
}

/* bounce_result_free - release what a result owns */
void
bounce_result_free(struct bounce_result *res)
{
	for (size_t i = 0; i < res->nrcpt; i++)
		bounce_rcpt_free(&res->rcpt[i]);
	free(res->rcpt);
	free(res->queue_id);
	memset(res, 0, sizeof(*res));
}
