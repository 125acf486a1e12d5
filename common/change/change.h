/*++
 * NAME
 *	change 3h
 * SUMMARY
 *	a bounce's changes to the store, as requests
 * DESCRIPTION
 *	A request is one kind letter and a NUL, then its fields, each a
 *	string and a NUL; a field that may be absent is "-" when it is and
 *	"=" and the value when it is not. An answer is the store code and
 *	the error message, then the kind's results, in the same form.
 *	Both cross a local socket and Berkeley DB message channels; the
 *	hosts of one group run the same version.
 *--*/
#ifndef BG_CHANGE_H
#define BG_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "libbase.h"
#include "libconf.h"
#include "libpolicy.h"
#include "libstore.h"

#define CHANGE_UPDATE	'U'		/* a bounce for one address */
#define CHANGE_BACKOFF	'B'		/* a back-off signal for one domain */
#define CHANGE_TOKEN	'G'		/* a token's recipients (a read) */

#define CHANGE_ERR_MAX	512

/* A back-off signal: the domain's record counts it once per queue id. */
struct change_signal {
	const char *domain;
	const char *qid;
	const char *reason;
	const char *reply;
	time_t	 now;
};

/* What applying a request gave; strings point into the answer. */
struct change_answer {
	int	 rc;				/* a store code */
	char	 error[CHANGE_ERR_MAX];		/* when rc < 0 */
	struct policy_result result;		/* CHANGE_UPDATE */
	bool	 seen;				/* CHANGE_BACKOFF: counted before */
	unsigned before, after;			/* its level */
	uint32_t signals;
	uint32_t day;				/* CHANGE_TOKEN */
	struct buf list;			/* recipients, each NUL-ended */
	struct buf raw;				/* the answer itself */
};

void	change_request_update(struct buf *, const char *, const char *,
	    const struct policy_input *);
void	change_request_signal(struct buf *, const struct change_signal *);
void	change_request_token(struct buf *, const char *);
bool	change_request_writes(const void *, size_t);

int	change_apply(struct store *, const struct config *, const void *,
	    size_t, struct buf *);
void	change_answer_error(struct buf *, int, const char *);
int	change_answer_read(char, const void *, size_t, struct change_answer *);
void	change_answer_free(struct change_answer *);

/* change_sock.c: a host's pipes and its replication process. */
#define CHANGE_MSG_MAX	(4 * 1024 * 1024)	/* one request or answer */
int	change_sock_path(const char *, char *, size_t);
int	change_sock_connect(const char *, long long, struct buf *);
int	change_sock_listen(const char *, struct buf *);
void	change_sock_timeout(int, long long);
int	change_sock_send(int, const void *, size_t);
int	change_sock_recv(int, struct buf *, size_t);

#endif
