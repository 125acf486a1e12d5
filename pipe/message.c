/*++
 * NAME
 *	message 3
 * SUMMARY
 *	reading the bounce from standard input
 * DESCRIPTION
 *	pipe_read_message() reads at most max_message_size bytes; when more
 *	follow, the run is marked oversize and the rest is left on standard
 *	input for the quarantine to copy, so that nothing is lost.
 *
 *	pipe_digest() names the message for the store's duplicate check:
 *	the MTA may deliver the same bounce again after a crash, and it must
 *	be recorded once.
 *
 *	pipe_sender_domain() finds the domain a complaint is about: the
 *	header where the milter kept the original sender, else the ARF
 *	Original-Mail-From field, else the From: of the returned message.
 * DIAGNOSTICS
 *	pipe_read_message() returns -1 on a read error (errno set).
 *--*/
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "libbase.h"
#include "libmail.h"
#include "pipe.h"

/* pipe_read_message - standard input, up to the size limit */
int
pipe_read_message(struct pipe_run *run)
{
	size_t	 max = (size_t)run->cfg->max_message_size;
	ssize_t	 n;

	buf_reserve(&run->msg, 65536);
	while (run->msg.len < max + 1) {
		buf_reserve(&run->msg, 65536);
		n = read(STDIN_FILENO, run->msg.data + run->msg.len,
		    MIN(run->msg.cap - run->msg.len - 1, max + 1 - run->msg.len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		run->msg.len += (size_t)n;
	}
	run->msg.data[run->msg.len] = '\0';
	run->oversize = run->msg.len > max;
	return 0;
}

/* pipe_digest - the message's identity for duplicate detection */
void
pipe_digest(struct pipe_run *run)
{
	gchar	*hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
	    (const guchar *)run->msg.data, run->msg.len);

	bg_strlcpy(run->digest, hex, sizeof(run->digest));
	g_free(hex);
}

/* pipe_header_value - the value of the nth "Name:" line, into out */
static bool
pipe_header_value(const char *msg, size_t len, const char *name, int nth,
    char *out, size_t size)
{
	size_t	 nlen = strlen(name);

	for (const char *p = msg; p != NULL && p < msg + len;) {
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':' &&
		    nth-- == 0) {
			const char *v = p + nlen + 1;
			size_t	 n = strcspn(v, "\r\n");

			bg_strlcpy(out, v, size);
			out[MIN(n, size - 1)] = '\0';
			return true;
		}
		if ((p = memchr(p, '\n', (size_t)(msg + len - p))) != NULL)
			p++;
	}
	return false;
}

/* pipe_domain_from - the domain of the address in a header value */
static bool
pipe_domain_from(char *value, char *out, size_t size)
{
	char	*lt = strrchr(value, '<'), *at, *end;

	if (lt != NULL)
		value = lt + 1;
	if ((at = strrchr(value, '@')) == NULL)
		return false;
	end = at + 1 + strcspn(at + 1, "> \t;,");
	*end = '\0';
	bg_lowercase(at + 1);
	if (!addr_domain_ok(at + 1))
		return false;
	bg_strlcpy(out, at + 1, size);
	return true;
}

/* pipe_sender_domain - the sending domain a complaint is about, or "" */
void
pipe_sender_domain(const struct pipe_run *run, char *out, size_t size)
{
	const char *hdr = run->cfg->original_sender_header;
	char	 v[1024];

	out[0] = '\0';
	if (hdr[0] != '\0' && pipe_header_value(run->msg.data, run->msg.len,
	    hdr, 0, v, sizeof(v)) && pipe_domain_from(v, out, size))
		return;
	if (pipe_header_value(run->msg.data, run->msg.len,
	    "Original-Mail-From", 0, v, sizeof(v)) &&
	    pipe_domain_from(v, out, size))
		return;
	/* The report's own From: comes first; the returned message's next. */
	if (pipe_header_value(run->msg.data, run->msg.len, "From", 1, v,
	    sizeof(v)) && pipe_domain_from(v, out, size))
		return;
	out[0] = '\0';
}
