/*++
 * NAME
 *	bounce_rcpt 3
 * SUMMARY
 *	the recipient list of a bounce being parsed
 * DESCRIPTION
 *	The format modules report what they find with bounce_rcpt_add()
 *	and look a recipient up again with bounce_rcpt_find();
 *	bounce_is_local_host() tells whether a reporting MTA is one of
 *	ours, which makes a DSN synchronous. bounce_result_free() releases
 *	what a result owns.
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
	memset(res, 0, sizeof(*res));
}
