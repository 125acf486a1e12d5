/*++
 * NAME
 *	store_codec 3
 * SUMMARY
 *	encoding of store records
 * DESCRIPTION
 *	Each record starts with a format byte so that a later version can
 *	read older records; only the used part of the fixed-size arrays in
 *	the C structures is written.
 *
 *	Format 2 of address records adds, at the end, the count of
 *	unverified bounces and the time of the last "unsuppress"; format 2
 *	of domain days adds the unverified count after "other". Records of
 *	format 1 still read, with those fields 0 (never unsuppressed,
 *	nothing unverified), and are written as format 2 when next
 *	changed. Programs older than format 2 report such records as
 *	corrupt: an upgraded store cannot be opened by an older release.
 *
 *	Format 2 of back-off records adds, at the end, the queue ids of
 *	the domain's last signals (each with a flag: counted by the pipe);
 *	format 1 records read with none and are written as format 2.
 * DIAGNOSTICS
 *	The decoders return -1 for a record that is short, over-long, or of
 *	an unknown format; the caller reports it as corrupt.
 *--*/
#include <string.h>

#include "pack.h"
#include "store_int.h"

#define STORE_FORMAT_ADDR	2
#define STORE_FORMAT_EVENT	1
#define STORE_FORMAT_DOMAIN	2

/* store_encode_supp - one suppression */
static void
store_encode_supp(const struct store_supp *s, struct buf *b)
{
	pack_str(b, s->scope);
	pack_str(b, s->reason);
	pack_str(b, s->source);
	pack_u64(b, (uint64_t)s->since);
	pack_u64(b, (uint64_t)s->expires);
}

/* store_decode_supp - one suppression */
static void
store_decode_supp(struct unpack *u, struct store_supp *s)
{
	unpack_str(u, s->scope, sizeof(s->scope));
	unpack_str(u, s->reason, sizeof(s->reason));
	unpack_str(u, s->source, sizeof(s->source));
	s->since = (int64_t)unpack_u64(u);
	s->expires = (int64_t)unpack_u64(u);
}

/* store_encode_addr - an address record */
void
store_encode_addr(const struct store_addr *a, struct buf *b)
{
	uint32_t nsoft = a->nsoft > STORE_MAX_SOFT ? STORE_MAX_SOFT : a->nsoft;
	uint32_t nsupp = a->nsupp > STORE_MAX_SUPP ? STORE_MAX_SUPP : a->nsupp;

	pack_u8(b, STORE_FORMAT_ADDR);
	pack_u64(b, (uint64_t)a->first_bounce);
	pack_u64(b, (uint64_t)a->last_bounce);
	pack_u64(b, (uint64_t)a->updated);
	pack_u32(b, a->hard_count);
	pack_u32(b, a->soft_count);
	pack_u32(b, a->block_count);
	pack_u32(b, a->complaint_count);
	pack_u32(b, a->other_count);
	pack_str(b, a->last_reason);
	pack_str(b, a->last_status);
	pack_str(b, a->last_reply_code);
	pack_str(b, a->last_mode);
	pack_str(b, a->last_diagnostic);
	pack_u32(b, nsoft);
	for (uint32_t i = 0; i < nsoft; i++)
		pack_u64(b, (uint64_t)a->soft_times[i]);
	pack_u32(b, nsupp);
	for (uint32_t i = 0; i < nsupp; i++)
		store_encode_supp(&a->supp[i], b);
	pack_u32(b, a->unverified_count);
	pack_u64(b, (uint64_t)a->unsuppressed);
}

/* store_decode_addr - an address record */
int
store_decode_addr(const void *p, size_t len, struct store_addr *a)
{
	struct unpack u;
	uint8_t	 format;

	memset(a, 0, sizeof(*a));
	unpack_init(&u, p, len);
	if ((format = unpack_u8(&u)) < 1 || format > STORE_FORMAT_ADDR)
		return -1;
	a->first_bounce = (int64_t)unpack_u64(&u);
	a->last_bounce = (int64_t)unpack_u64(&u);
	a->updated = (int64_t)unpack_u64(&u);
	a->hard_count = unpack_u32(&u);
	a->soft_count = unpack_u32(&u);
	a->block_count = unpack_u32(&u);
	a->complaint_count = unpack_u32(&u);
	a->other_count = unpack_u32(&u);
	unpack_str(&u, a->last_reason, sizeof(a->last_reason));
	unpack_str(&u, a->last_status, sizeof(a->last_status));
	unpack_str(&u, a->last_reply_code, sizeof(a->last_reply_code));
	unpack_str(&u, a->last_mode, sizeof(a->last_mode));
	unpack_str(&u, a->last_diagnostic, sizeof(a->last_diagnostic));
	if ((a->nsoft = unpack_u32(&u)) > STORE_MAX_SOFT)
		return -1;
	for (uint32_t i = 0; i < a->nsoft; i++)
		a->soft_times[i] = (int64_t)unpack_u64(&u);
	if ((a->nsupp = unpack_u32(&u)) > STORE_MAX_SUPP)
		return -1;
	for (uint32_t i = 0; i < a->nsupp; i++)
		store_decode_supp(&u, &a->supp[i]);
	if (format >= 2) {
		a->unverified_count = unpack_u32(&u);
		a->unsuppressed = (int64_t)unpack_u64(&u);
	}
	return u.err || u.off != u.len ? -1 : 0;
}

/* store_encode_event - a history event */
void
store_encode_event(const struct store_event *e, struct buf *b)
{
	pack_u8(b, STORE_FORMAT_EVENT);
	pack_u64(b, (uint64_t)e->time);
	pack_str(b, e->type);
	pack_str(b, e->reason);
	pack_str(b, e->action);
	pack_str(b, e->dsn_action);
	pack_str(b, e->status);
	pack_str(b, e->reply_code);
	pack_str(b, e->mode);
	pack_str(b, e->verp);
	pack_str(b, e->queue_id);
	pack_str(b, e->scope);
	pack_str(b, e->diagnostic);
}

/* store_decode_event - a history event */
int
store_decode_event(const void *p, size_t len, struct store_event *e)
{
	struct unpack u;

	memset(e, 0, sizeof(*e));
	unpack_init(&u, p, len);
	if (unpack_u8(&u) != STORE_FORMAT_EVENT)
		return -1;
	e->time = (int64_t)unpack_u64(&u);
	unpack_str(&u, e->type, sizeof(e->type));
	unpack_str(&u, e->reason, sizeof(e->reason));
	unpack_str(&u, e->action, sizeof(e->action));
	unpack_str(&u, e->dsn_action, sizeof(e->dsn_action));
	unpack_str(&u, e->status, sizeof(e->status));
	unpack_str(&u, e->reply_code, sizeof(e->reply_code));
	unpack_str(&u, e->mode, sizeof(e->mode));
	unpack_str(&u, e->verp, sizeof(e->verp));
	unpack_str(&u, e->queue_id, sizeof(e->queue_id));
	unpack_str(&u, e->scope, sizeof(e->scope));
	unpack_str(&u, e->diagnostic, sizeof(e->diagnostic));
	return u.err || u.off != u.len ? -1 : 0;
}

/* store_encode_domain - a domain's counters for one day */
void
store_encode_domain(const struct store_domain_day *d, struct buf *b)
{
	uint32_t n = d->nreasons > STORE_DOMAIN_REASONS ?
	    STORE_DOMAIN_REASONS : d->nreasons;

	pack_u8(b, STORE_FORMAT_DOMAIN);
	pack_u32(b, d->sent);
	pack_u32(b, d->bounced);
	pack_u32(b, d->hard);
	pack_u32(b, d->soft);
	pack_u32(b, d->block);
	pack_u32(b, d->complaint);
	pack_u32(b, d->other);
	pack_u32(b, d->unverified);
	pack_u32(b, n);
	for (uint32_t i = 0; i < n; i++) {
		pack_str(b, d->reasons[i].name);
		pack_u32(b, d->reasons[i].count);
	}
}

/* store_decode_domain - a domain's counters for one day */
int
store_decode_domain(const void *p, size_t len, struct store_domain_day *d)
{
	struct unpack u;
	uint8_t	 format;

	memset(d, 0, sizeof(*d));
	unpack_init(&u, p, len);
	if ((format = unpack_u8(&u)) < 1 || format > STORE_FORMAT_DOMAIN)
		return -1;
	d->sent = unpack_u32(&u);
	d->bounced = unpack_u32(&u);
	d->hard = unpack_u32(&u);
	d->soft = unpack_u32(&u);
	d->block = unpack_u32(&u);
	d->complaint = unpack_u32(&u);
	d->other = unpack_u32(&u);
	if (format >= 2)
		d->unverified = unpack_u32(&u);
	if ((d->nreasons = unpack_u32(&u)) > STORE_DOMAIN_REASONS)
		return -1;
	for (uint32_t i = 0; i < d->nreasons; i++) {
		unpack_str(&u, d->reasons[i].name, sizeof(d->reasons[i].name));
		d->reasons[i].count = unpack_u32(&u);
	}
	return u.err || u.off != u.len ? -1 : 0;
}

#define STORE_FORMAT_BACKOFF	2

/* store_encode_backoff - a domain's back-off state */
void
store_encode_backoff(const struct store_backoff *s, struct buf *b)
{
	uint32_t nqids = s->nqids > STORE_BACKOFF_QIDS ? STORE_BACKOFF_QIDS :
	    s->nqids;

	pack_u8(b, STORE_FORMAT_BACKOFF);
	pack_u32(b, s->level);
	pack_u32(b, s->strikes);
	pack_u32(b, s->delivered);
	pack_u32(b, s->signals);
	pack_u8(b, s->manual ? 1 : 0);
	pack_u64(b, (uint64_t)s->strike_since);
	pack_u64(b, (uint64_t)s->last_signal);
	pack_u64(b, (uint64_t)s->raised);
	pack_u64(b, (uint64_t)s->changed);
	pack_str(b, s->reason);
	pack_str(b, s->reply);
	pack_u32(b, nqids);
	for (uint32_t i = 0; i < nqids; i++) {
		pack_str(b, s->qids[i].id);
		pack_u8(b, s->qids[i].pipe ? 1 : 0);
	}
}

/* store_decode_backoff_qids - the queue ids of format 2 */
static int
store_decode_backoff_qids(struct unpack *u, struct store_backoff *s)
{
	uint8_t	 pipe;

	if ((s->nqids = unpack_u32(u)) > STORE_BACKOFF_QIDS)
		return -1;
	for (uint32_t i = 0; i < s->nqids; i++) {
		unpack_str(u, s->qids[i].id, sizeof(s->qids[i].id));
		if ((pipe = unpack_u8(u)) > 1)
			return -1;
		s->qids[i].pipe = pipe == 1;
	}
	return 0;
}

/* store_decode_backoff - a domain's back-off state */
int
store_decode_backoff(const void *p, size_t len, struct store_backoff *s)
{
	struct unpack u;
	uint8_t	 manual, format;

	memset(s, 0, sizeof(*s));
	unpack_init(&u, p, len);
	if ((format = unpack_u8(&u)) < 1 || format > STORE_FORMAT_BACKOFF)
		return -1;
	s->level = unpack_u32(&u);
	s->strikes = unpack_u32(&u);
	s->delivered = unpack_u32(&u);
	s->signals = unpack_u32(&u);
	if ((manual = unpack_u8(&u)) > 1)
		return -1;
	s->manual = manual == 1;
	s->strike_since = (int64_t)unpack_u64(&u);
	s->last_signal = (int64_t)unpack_u64(&u);
	s->raised = (int64_t)unpack_u64(&u);
	s->changed = (int64_t)unpack_u64(&u);
	unpack_str(&u, s->reason, sizeof(s->reason));
	unpack_str(&u, s->reply, sizeof(s->reply));
	if (format >= 2 && store_decode_backoff_qids(&u, s) < 0)
		return -1;
	return u.err || u.off != u.len ? -1 : 0;
}
