/*++
 * NAME
 *	addr 3
 * SUMMARY
 *	mail address syntax
 * DESCRIPTION
 *	See addr.h. Quoted local parts ("john doe"@example.org) are
 *	accepted; the last '@' separates the domain, since a quoted local
 *	part may itself contain one.
 *
 *	Every spelling of one mailbox must give one store key, or a
 *	permitted sender could reach a suppressed address by writing it
 *	differently (issue 18, item 7): a source route is dropped (RFC 5321
 *	says servers ignore it), one trailing dot of the domain is dropped,
 *	and a quoted local part is unquoted when what it quotes is a
 *	dot-atom ("ceo" and "c\eo" are ceo), else written with the fewest
 *	backslashes.
 * DIAGNOSTICS
 *	The reasons returned are short phrases meant to follow the address
 *	in an error message.
 *--*/
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "libbase.h"

static const char addr_atext_special[] = "!#$%&'*+-/=?^_`{|}~";

/* addr_is_atext - an RFC 5322 atext character */
static bool
addr_is_atext(int c)
{
	return isalnum(c) || (c != '\0' && strchr(addr_atext_special, c));
}

/* addr_is_dot_atom - atext runs separated by single dots */
bool
addr_is_dot_atom(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' :
		    !addr_is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* addr_is_quoted - a quoted-string local part */
static bool
addr_is_quoted(const char *s, size_t len)
{
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return false;
	for (size_t i = 1; i < len - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' && i + 1 < len - 1)
			i++;
		else if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* addr_domain_ok - a host name (labels of letters, digits, hyphens) or literal */
bool
addr_domain_ok(const char *d)
{
	size_t	 len = strlen(d), label = 0;

	if (len == 0 || len > 253)
		return false;
	if (d[0] == '[')
		return d[len - 1] == ']' && len > 2;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum(c) || (c == '-' && label > 0) || c >= 0x80)
			label++;
		else
			return false;
	}
	return true;
}

/* addr_unroute - drop an RFC 5321 source route ("@a,@b:") in place */
static void
addr_unroute(char *s)
{
	size_t	 n;

	if (s[0] != '@' || (n = strcspn(s, ":\"")) == strlen(s) ||
	    s[n] != ':')
		return;
	memmove(s, s + n + 1, strlen(s + n + 1) + 1);
}

/* addr_unquote - the canonical form of a quoted local part, in place */
static int
addr_unquote(char *addr, size_t llen, size_t size)
{
	char	 text[ADDR_MAX], canon[ADDR_MAX];
	size_t	 n = 0, c = 0;

	for (size_t i = 1; i < llen - 1 && n < sizeof(text) - 1; i++)
		text[n++] = addr[i] == '\\' ? addr[++i] : addr[i];
	text[n] = '\0';
	if (addr_is_dot_atom(text, n))
		bg_strlcpy(canon, text, sizeof(canon));
	else {
		canon[c++] = '"';
		for (size_t i = 0; i < n && c < sizeof(canon) - 3; i++) {
			if (text[i] == '"' || text[i] == '\\')
				canon[c++] = '\\';
			canon[c++] = text[i];
		}
		canon[c++] = '"';
		canon[c] = '\0';
	}
	if (strlen(canon) + strlen(addr + llen) >= size)
		return -1;
	memmove(addr + strlen(canon), addr + llen, strlen(addr + llen) + 1);
	memcpy(addr, canon, strlen(canon));
	return 0;
}

/* addr_strip - remove white space and one pair of angle brackets */
static int
addr_strip(const char *in, char *out, size_t size)
{
	size_t	 len;

	while (isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	if (len >= 2 && in[0] == '<' && in[len - 1] == '>')
		in++, len -= 2;
	if (len >= size)
		return -1;
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

/* addr_normalize - the store's form of an address, or -1 and why */
int
addr_normalize(const char *in, char *out, size_t size, unsigned flags,
    const char **why)
{
	char	*at;
	size_t	 llen, dlen;

	*why = NULL;
	if (addr_strip(in, out, size) < 0 || strlen(out) > 254)
		return *why = "address longer than 254 characters", -1;
	addr_unroute(out);
	if (out[0] == '\0')
		return *why = "empty address", -1;
	if ((at = strrchr(out, '@')) == NULL)
		return *why = "no @domain", -1;
	bg_lowercase(out);
	if ((dlen = strlen(at + 1)) > 1 && at[dlen] == '.' && at[dlen - 1] != '.')
		at[dlen] = '\0';	/* "example.org." is example.org */
	if (at == out) {
		if (!(flags & ADDR_DOMAIN_OK))
			return *why = "no local part", -1;
	} else {
		llen = (size_t)(at - out);
		if (addr_is_quoted(out, llen) && addr_unquote(out, llen,
		    size) < 0)
			return *why = "address longer than 254 characters", -1;
		at = strrchr(out, '@');
		llen = (size_t)(at - out);
		if (llen > 64)
			return *why = "local part longer than 64 characters", -1;
		if (!addr_is_dot_atom(out, llen) && !addr_is_quoted(out, llen))
			return *why = "bad local part", -1;
	}
	if (!addr_domain_ok(at + 1))
		return *why = "bad domain", -1;
	return 0;
}

/* addr_domain - the domain part of an address (after the last '@') */
const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}
