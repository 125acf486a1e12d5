/*++
 * NAME
 *	bounce_dsn 3
 * SUMMARY
 *	RFC 3464 delivery status notifications
 * DESCRIPTION
 *	bounce_dsn_parse() reads delivery-status fields: a per-message
 *	block (Reporting-MTA and friends) and one block per recipient
 *	(Final-Recipient, Original-Recipient, Action, Status, Remote-MTA,
 *	Diagnostic-Code with its continuation lines). It is lenient about
 *	the degraded forms seen in the wild: blocks not separated by blank
 *	lines, fields in another order, the fields embedded in a plain
 *	text body without the multipart/report wrapper. A diagnostic of
 *	type x-unix marks the recipient's failure as a local delivery
 *	program's. Action values are mapped to the vocabulary of RFC 3464:
 *	the "deliverable" and "undeliverable" of address-verification
 *	reports become "delivered" and "failed"; unknown words give none.
 *
 *	bounce_dsn_looks_like() says whether a text carries such fields.
 * DIAGNOSTICS
 *	None; a block without a recipient address is ignored.
 *--*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_format.h"
#include "bounce_int.h"
#include "libbase.h"

/* The fields of one recipient block, all owned. */
struct dsn_block {
	char	*final;
	char	*original;
	char	*action;
	char	*status;
	char	*remote_mta;
	char	*diagnostic;
	bool	 diag_smtp;
	bool	 diag_unix;		/* type x-unix: a local program's */
};

/* The per-message fields. */
struct dsn_state {
	struct bounce_msg *m;
	char	*reporting_mta;
	struct dsn_block b;
};

/* bounce_dsn_line_is - a line starting with "Name:" */
static bool
bounce_dsn_line_is(const char *line, const char *name)
{
	size_t	 n = strlen(name);

	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* bounce_dsn_looks_like - the text carries per-recipient DSN fields */
bool
bounce_dsn_looks_like(const char *text)
{
	bool	 rcpt = false, status = false;

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (bounce_dsn_line_is(p, "Final-Recipient") ||
		    bounce_dsn_line_is(p, "Original-Recipient"))
			rcpt = true;
		else if (bounce_dsn_line_is(p, "Status") ||
		    bounce_dsn_line_is(p, "Action"))
			status = true;
	}
	return rcpt && status;
}

/* bounce_dsn_after_type - a value without its "type;" prefix */
static char *
bounce_dsn_after_type(const char *v, bool *is_smtp)
{
	const char *semi = strchr(v, ';');

	if (is_smtp != NULL)
		*is_smtp = semi != NULL &&
		    strncasecmp(v + strspn(v, " \t"), "smtp", 4) == 0;
	v += strspn(v, " \t");
	if (semi != NULL && (size_t)(semi - v) < 16 &&
	    memchr(v, ' ', (size_t)(semi - v)) == NULL)
		v = semi + 1;
	return bounce_scan_collapse(v, strlen(v), 4096);
}

/* bounce_dsn_block_free - release a block and empty it */
static void
bounce_dsn_block_free(struct dsn_block *b)
{
	free(b->final);
	free(b->original);
	free(b->action);
	free(b->status);
	free(b->remote_mta);
	free(b->diagnostic);
	memset(b, 0, sizeof(*b));
}

/* bounce_dsn_mode - sync when our MTA was refused over SMTP */
static enum bounce_mode
bounce_dsn_mode(const struct dsn_state *st)
{
	if (bounce_is_local_host(st->m->p, st->reporting_mta) &&
	    st->b.remote_mta != NULL && st->b.diag_smtp)
		return BOUNCE_MODE_SYNC;
	return BOUNCE_MODE_ASYNC;
}

/* bounce_dsn_status - the status code of a Status: field */
static char *
bounce_dsn_status(const char *v)
{
	char	 code[16];

	return bounce_scan_status(v, code, sizeof(code)) ? xstrdup(code) : NULL;
}

/* bounce_dsn_flush - turn the current block into a recipient */
static void
bounce_dsn_flush(struct dsn_state *st)
{
	struct dsn_block *b = &st->b;
	const char *addr = b->final != NULL ? b->final : b->original;
	struct bounce_rcpt *r;

	if (addr == NULL && b->status != NULL) {
		st->m->dsn_unnamed++;
		if (st->m->dsn_unnamed_status == NULL) {
			st->m->dsn_unnamed_status = b->status;
			b->status = NULL;
		}
	}
	if (addr != NULL && bounce_rcpt_find(st->m, addr) == NULL &&
	    (r = bounce_rcpt_add(st->m, addr)) != NULL) {
		st->m->res->kind = BOUNCE_DSN;
		r->action = b->action;
		r->status = b->status;
		r->diagnostic = b->diagnostic;
		r->remote_mta = b->remote_mta;
		r->reporting_mta = st->reporting_mta != NULL ?
		    xstrdup(st->reporting_mta) : NULL;
		r->mode = bounce_dsn_mode(st);
		r->local_program = b->diag_unix;
		b->action = b->status = b->diagnostic = b->remote_mta = NULL;
	}
	bounce_dsn_block_free(b);
}

/* bounce_dsn_addr_field - Final-Recipient and its kin */
static void
bounce_dsn_addr_field(struct dsn_state *st, char **slot, const char *v)
{
	char	*addr;

	if (*slot != NULL)
		bounce_dsn_flush(st);
	if ((addr = bounce_scan_addr(v, strlen(v))) != NULL) {
		free(*slot);
		*slot = addr;
	}
}

/* bounce_dsn_set - keep the first value of a field */
static void
bounce_dsn_set(char **slot, char *v)
{
	if (*slot == NULL)
		*slot = v;
	else
		free(v);
}

/*
 * The action values of RFC 3464, and the words of address-verification
 * reports (Postfix "sendmail -bv"): "deliverable" says the address would
 * be delivered, "undeliverable" that it would fail. Any other word is
 * outside the vocabulary and gives no action.
 */
static const struct {
	const char *word;
	const char *action;
} dsn_actions[] = {
	{ "failed", "failed" }, { "delayed", "delayed" },
	{ "delivered", "delivered" }, { "relayed", "relayed" },
	{ "expanded", "expanded" }, { "deliverable", "delivered" },
	{ "undeliverable", "failed" },
};

/* bounce_dsn_action - an Action value mapped to the RFC 3464 vocabulary */
static char *
bounce_dsn_action(const char *v)
{
	char	*a = bounce_scan_collapse(v, strlen(v), 32);
	const char *found = NULL;
	size_t	 i;

	if (a == NULL)
		return NULL;
	a[strcspn(a, " (")] = '\0';
	bg_lowercase(a);
	for (i = 0; i < sizeof(dsn_actions) / sizeof(dsn_actions[0]); i++)
		if (strcmp(a, dsn_actions[i].word) == 0)
			found = dsn_actions[i].action;
	free(a);
	return found != NULL ? xstrdup(found) : NULL;
}

/* bounce_dsn_field - one unfolded "Name: value" line */
static void
bounce_dsn_field(struct dsn_state *st, const char *line)
{
	const char *v = strchr(line, ':');
	struct dsn_block *b = &st->b;

	if (v == NULL)
		return;
	v++;
	if (bounce_dsn_line_is(line, "Final-Recipient"))
		bounce_dsn_addr_field(st, &b->final, v);
	else if (bounce_dsn_line_is(line, "Original-Recipient"))
		bounce_dsn_addr_field(st, &b->original, v);
	else if (bounce_dsn_line_is(line, "Reporting-MTA") && !st->reporting_mta)
		st->reporting_mta = bounce_dsn_after_type(v, NULL);
	else if (bounce_dsn_line_is(line, "Action"))
		bounce_dsn_set(&b->action, bounce_dsn_action(v));
	else if (bounce_dsn_line_is(line, "Status"))
		bounce_dsn_set(&b->status, bounce_dsn_status(v));
	else if (bounce_dsn_line_is(line, "Remote-MTA"))
		bounce_dsn_set(&b->remote_mta, bounce_dsn_after_type(v, NULL));
	else if (bounce_dsn_line_is(line, "Diagnostic-Code") && !b->diagnostic) {
		b->diagnostic = bounce_dsn_after_type(v, &b->diag_smtp);
		b->diag_unix = strncasecmp(v + strspn(v, " \t"), "x-unix;",
		    7) == 0;
	}
}

/* bounce_dsn_logical - the next unfolded line; advances *pp */
static char *
bounce_dsn_logical(const char **pp)
{
	const char *p = *pp, *end = p;
	struct buf b = BUF_INIT;

	for (;;) {
		const char *eol = strchr(end, '\n');

		if (eol == NULL)
			eol = end + strlen(end);
		buf_add(&b, end, (size_t)(eol - end));
		end = *eol == '\n' ? eol + 1 : eol;
		if (b.len == 0 || (*end != ' ' && *end != '\t'))
			break;
		buf_addch(&b, ' ');
	}
	*pp = end;
	buf_addstr(&b, "");
	return buf_steal(&b);
}

/* bounce_dsn_parse - the recipients of delivery-status fields */
void
bounce_dsn_parse(struct bounce_msg *m, const char *text)
{
	struct dsn_state st;
	const char *p = text;

	memset(&st, 0, sizeof(st));
	st.m = m;
	while (*p != '\0') {
		char	*line = bounce_dsn_logical(&p);
		char	*t = bg_trim(line);

		if (*t == '\0') {
			if (st.b.final != NULL || st.b.original != NULL)
				bounce_dsn_flush(&st);
		} else
			bounce_dsn_field(&st, t);
		free(line);
	}
	bounce_dsn_flush(&st);
	free(st.reporting_mta);
}
