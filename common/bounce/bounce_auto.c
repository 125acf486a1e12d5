/*++
 * NAME
 *	bounce_auto 3
 * SUMMARY
 *	RFC 3834 automatic replies
 * DESCRIPTION
 *	bounce_auto_is_autoreply() recognises vacation and out-of-office
 *	replies: "Auto-Submitted: auto-replied", the X-Autoreply family of
 *	headers, or a null or automatic sender with an auto-reply subject.
 *	It is asked only after the bounce formats found nothing, because
 *	MTAs mark their own reports auto-replied too.
 *
 *	bounce_auto_parse() reports the replying address (the From:) with
 *	reason "vacation". An auto-reply is never a failure: the pipe
 *	records it and counts nothing.
 * DIAGNOSTICS
 *	None.
 *--*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>

#include "bounce_format.h"
#include "bounce_int.h"

/* Subjects of automatic replies. */
static const char *const auto_subjects[] = {
	"auto reply", "autoreply", "auto-reply", "automatic reply",
	"auto response", "autoresponse", "auto-response", "out of office",
	"out of the office", "vacation", "away from", "away until",
	"abwesenheit", "absence", "auto:", "automatische antwort",
	"\xe8\x87\xaa\xe5\x8b\x95\xe5\xbf\x9c\xe7\xad\x94",	/* jidou outou */
	"\xe4\xb8\x8d\xe5\x9c\xa8",				/* fuzai */
	NULL
};

/* bounce_auto_subject - an auto-reply subject */
static bool
bounce_auto_subject(const char *subject)
{
	if (subject == NULL)
		return false;
	for (int i = 0; auto_subjects[i] != NULL; i++)
		if (strcasestr(subject, auto_subjects[i]) != NULL)
			return true;
	return false;
}

/* bounce_auto_is_autoreply - an RFC 3834 automatic reply */
bool
bounce_auto_is_autoreply(const struct bounce_msg *m)
{
	if (m->auto_submitted != NULL &&
	    strncasecmp(m->auto_submitted, "auto-replied", 12) == 0)
		return true;
	if (m->autoreply_header)
		return true;
	if (!bounce_auto_subject(m->subject))
		return false;
	return m->null_sender || m->auto_hint ||
	    strncasecmp(m->subject, "re:", 3) != 0;
}

/* bounce_auto_parse - report the replying address */
void
bounce_auto_parse(struct bounce_msg *m)
{
	if (bounce_rcpt_add(m, m->from) != NULL)
		m->res->kind = BOUNCE_AUTOREPLY;
}
