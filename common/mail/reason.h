/*++
 * NAME
 *	reason 3h
 * SUMMARY
 *	the bounce reason vocabulary
 * DESCRIPTION
 *	The reason names are the de facto vocabulary of open-source bounce
 *	parsers (userunknown, mailboxfull, blocked, ...). They are stored in
 *	the database by name, so the numeric values here may change freely.
 *--*/
#ifndef BG_REASON_H
#define BG_REASON_H

#include <stdbool.h>

#define REASON_LIST(X) \
	X(UNDEFINED, "undefined") \
	X(USERUNKNOWN, "userunknown") \
	X(HOSTUNKNOWN, "hostunknown") \
	X(HASMOVED, "hasmoved") \
	X(NOTACCEPT, "notaccept") \
	X(MAILBOXFULL, "mailboxfull") \
	X(SUSPEND, "suspend") \
	X(EXCEEDLIMIT, "exceedlimit") \
	X(MESGTOOBIG, "mesgtoobig") \
	X(SYSTEMFULL, "systemfull") \
	X(SYSTEMERROR, "systemerror") \
	X(NETWORKERROR, "networkerror") \
	X(EXPIRED, "expired") \
	X(TOOMANYCONN, "toomanyconn") \
	X(SPEEDING, "speeding") \
	X(BLOCKED, "blocked") \
	X(REQUIREPTR, "requireptr") \
	X(BADREPUTATION, "badreputation") \
	X(AUTHFAILURE, "authfailure") \
	X(SECURITYERROR, "securityerror") \
	X(FAILEDSTARTTLS, "failedstarttls") \
	X(NORELAYING, "norelaying") \
	X(REJECTED, "rejected") \
	X(POLICYVIOLATION, "policyviolation") \
	X(SPAMDETECTED, "spamdetected") \
	X(VIRUSDETECTED, "virusdetected") \
	X(CONTENTERROR, "contenterror") \
	X(NOTCOMPLIANTRFC, "notcompliantrfc") \
	X(FILTERED, "filtered") \
	X(SYNTAXERROR, "syntaxerror") \
	X(MAILERERROR, "mailererror") \
	X(ONHOLD, "onhold") \
	X(DELIVERED, "delivered") \
	X(VACATION, "vacation") \
	X(FEEDBACK, "feedback")

enum reason {
#define REASON_ENUM(id, name) REASON_##id,
	REASON_LIST(REASON_ENUM)
#undef REASON_ENUM
	REASON_COUNT
};

const char *reason_name(enum reason);
int	reason_lookup(const char *);
bool	reason_is_hard(enum reason, const char *, const char *);

#endif
