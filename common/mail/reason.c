/*++
 * NAME
 *	reason 3
 * SUMMARY
 *	the bounce reason vocabulary
 * DESCRIPTION
 *	reason_name() and reason_lookup() convert between the enum and the
 *	names stored in the database and printed by "bounceguard parse".
 *	reason_is_hard() says whether retrying can never succeed.
 * DIAGNOSTICS
 *	reason_lookup() returns -1 for an unknown name.
 *--*/
#include <string.h>

#include "reason.h"

static const char *const reason_names[REASON_COUNT] = {
#define REASON_NAME(id, name) name,
	REASON_LIST(REASON_NAME)
#undef REASON_NAME
};

/* reason_name - the vocabulary name of a reason */
const char *
reason_name(enum reason r)
{
	if ((unsigned)r >= REASON_COUNT)
		return "undefined";
	return reason_names[r];
}

/* reason_lookup - a reason from its name, or -1 */
int
reason_lookup(const char *name)
{
	for (int i = 0; i < REASON_COUNT; i++)
		if (strcmp(reason_names[i], name) == 0)
			return i;
	return -1;
}

/* reason_is_hard - the address itself is bad: retrying cannot succeed */
bool
reason_is_hard(enum reason r, const char *status, const char *reply_code)
{
	switch (r) {
	case REASON_USERUNKNOWN:
	case REASON_HOSTUNKNOWN:
	case REASON_HASMOVED:
		return true;
	case REASON_NOTACCEPT:
		/* A null MX is permanent; a 4xx "not accepting" is not. */
		if (status != NULL && status[0] == '5')
			return true;
		if (reply_code != NULL && reply_code[0] == '5')
			return true;
		return status == NULL && reply_code == NULL;
	default:
		return false;
	}
}
