/*++
 * NAME
 *	addr 3h
 * SUMMARY
 *	mail address syntax
 * DESCRIPTION
 *	addr_normalize() turns what an MTA or an administrator wrote
 *	("<Jane@Example.ORG>", " jane@example.org ") into the form the
 *	store uses: lower-cased, without angle brackets, checked for
 *	RFC 5321 syntax and length. "@domain" (a whole domain) is accepted
 *	only when the caller allows it. Spellings of one mailbox give one
 *	form: "<@relay:Jane@Example.ORG.>", "\"jane\"@example.org" and
 *	"jane@example.org" are all jane@example.org.
 * DIAGNOSTICS
 *	addr_normalize() returns -1 and a short reason ("no domain", "local
 *	part longer than 64 characters") for an address it refuses.
 *--*/
#ifndef BG_ADDR_H
#define BG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_MAX	320
#define ADDR_DOMAIN_OK	(1 << 0)	/* accept "@domain" */

int	addr_normalize(const char *, char *, size_t, unsigned, const char **);
const char *addr_domain(const char *);
bool	addr_is_dot_atom(const char *, size_t);
bool	addr_domain_ok(const char *);

#endif
