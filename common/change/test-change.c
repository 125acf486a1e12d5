/*++
 * NAME
 *	test-change 1
 * SUMMARY
 *	unit tests for libchange: requests, answers and the local socket
 * DESCRIPTION
 *	Each request is encoded, applied to a real Berkeley DB store in a
 *	temporary directory and its answer decoded, as a pipe and its
 *	host's replication process do: a hard bounce suppresses the address
 *	once (the same request again is a duplicate), every field reaches
 *	the record and its event (a value "-" stays a value, an absent one
 *	is empty), a back-off signal counts once per queue id, a token's
 *	recipients come back in order. A malformed request is refused
 *	whole and leaves the store as it was; a malformed answer is
 *	refused. The socket carries framed messages both ways, refuses one
 *	larger than asked for, and a store_dir too long for a socket path.
 *--*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libbase.h"
#include "libchange.h"
#include "tap.h"

#define MALFORMED	"malformed change request"

static char tmpdir[] = "/tmp/bg-test-change-XXXXXX";
static struct config *cfg;

/* open_store - the test's store, or die */
static struct store *
open_store(const char *dir)
{
	struct store_opts o = { 2, 8 << 20, 5, false, NULL };
	struct buf err = BUF_INIT;
	struct store *st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if (store_open(&st, dir, &o, &err) != STORE_OK)
		fatalx("open %s: %s", dir, buf_cstr(&err));
	buf_free(&err);
	return st;
}

/* hard_input - a hard bounce, as the pipe reads one */
static void
hard_input(struct policy_input *in)
{
	memset(in, 0, sizeof(*in));
	in->reason = REASON_USERUNKNOWN;
	in->hard = true;
	in->dsn_action = "failed";
	in->status = "5.1.1";
	in->reply_code = "550";
	in->diagnostic = "-";		/* a value that is the absent marker */
	in->mode = NULL;
	in->scope = "";
	in->queue_id = "4F2A1B";
	in->verp = "valid";
	in->now = time(NULL);
}

/* apply_exact - change_apply() on an exact-size copy of a request:
   a read past the request shows under ASan */
static int
apply_exact(struct store *st, const struct buf *req, size_t len,
    struct buf *raw)
{
	char	*copy = xmalloc(len ? len : 1);
	int	 rc;

	memcpy(copy, req->data, len);
	rc = change_apply(st, cfg, copy, len, raw);
	free(copy);
	return rc;
}

/* apply - apply a request from an exact-size copy, decode its answer */
static int
apply(struct store *st, const struct buf *req, size_t len,
    struct change_answer *ans)
{
	struct buf raw = BUF_INIT;
	int	 rc = apply_exact(st, req, len, &raw);

	if (change_answer_read(len ? req->data[0] : CHANGE_UPDATE, raw.data,
	    raw.len, ans) < 0) {
		diag("answer not decoded (rc %d)", rc);
		memset(ans, 0, sizeof(*ans));
		ans->rc = 99;
	}
	buf_free(&raw);
	return rc;
}

struct last_event {
	int	 n;
	struct store_event ev;
};

/* last_event_fn - keep the last event of an address */
static int
last_event_fn(const char *addr, const struct store_event *ev, void *arg)
{
	struct last_event *l = arg;

	(void)addr;
	l->n++;
	l->ev = *ev;
	return 0;
}

/* count_fn - count the addresses of the store */
static int
count_fn(const char *addr, const struct store_addr *a, void *arg)
{
	(void)addr;
	(void)a;
	(*(int *)arg)++;
	return 0;
}

/* count_addrs - how many addresses the store has */
static int
count_addrs(struct store *st)
{
	int	 n = 0;

	if (store_foreach_addr(st, count_fn, &n) != STORE_OK)
		return -1;
	return n;
}

/* test_update - a hard bounce: applied once, every field kept */
static void
test_update(struct store *st)
{
	static const char addr[] = "gone@example.org";
	struct policy_input in;
	struct change_answer ans;
	struct store_addr a;
	struct last_event le = { 0 };
	struct buf req = BUF_INIT;
	int	 rc;

	hard_input(&in);
	change_request_update(&req, addr, "Q1/gone@example.org", &in);
	ok(change_request_writes(req.data, req.len), "an update writes");
	rc = apply(st, &req, req.len, &ans);
	is_int(rc, STORE_OK, "update: applied");
	is_int(ans.rc, STORE_OK, "update: the answer's code");
	is_str(ans.error, "", "update: no error");
	is_str(ans.result.type, "hard", "update: a userunknown is hard");
	is_str(ans.result.action, "suppressed", "update: and suppresses");
	ok(!ans.result.warn, "update: no warning");
	change_answer_free(&ans);

	is_int(store_get(st, addr, &a), STORE_OK, "the address is recorded");
	is_int(a.hard_count, 1, "one hard bounce");
	is_int(a.nsupp, 1, "one suppression");
	is_str(a.supp[0].scope, "", "for every sender domain");
	is_str(a.last_reason, "userunknown", "last_reason");
	is_str(a.last_status, "5.1.1", "last_status");
	is_str(a.last_reply_code, "550", "last_reply_code");
	is_str(a.last_diagnostic, "-", "a diagnostic \"-\" stays \"-\"");
	is_str(a.last_mode, "", "an absent mode is empty");
	is_int(a.last_bounce, in.now, "last_bounce is the request's time");
	is_int(store_foreach_event(st, addr, last_event_fn, &le), STORE_OK,
	    "its history is read");
	is_int(le.n, 1, "one event");
	is_str(le.ev.queue_id, "4F2A1B", "event: queue id");
	is_str(le.ev.verp, "valid", "event: verp");
	is_str(le.ev.dsn_action, "failed", "event: dsn action");
	is_str(le.ev.action, "suppressed", "event: action");

	rc = apply(st, &req, req.len, &ans);
	is_int(rc, STORE_DUPLICATE, "the same request again: duplicate");
	is_int(ans.rc, STORE_DUPLICATE, "duplicate: the answer's code");
	ok(ans.result.type == NULL && ans.result.action == NULL,
	    "duplicate: no type or action");
	change_answer_free(&ans);
	is_int(store_get(st, addr, &a), STORE_OK, "still recorded");
	is_int(a.hard_count, 1, "still one hard bounce");

	/* A complaint: its scope reaches the suppression and the event. */
	memset(&in, 0, sizeof(in));
	in.reason = REASON_FEEDBACK;
	in.scope = "sender.example";
	in.now = time(NULL);
	change_request_update(&req, "abuse@example.net", "C1", &in);
	rc = apply(st, &req, req.len, &ans);
	is_int(rc, STORE_OK, "complaint: applied");
	is_str(ans.result.type, "complaint", "complaint: type");
	is_str(ans.result.action, "suppressed", "complaint: suppresses");
	change_answer_free(&ans);
	is_int(store_get(st, "abuse@example.net", &a), STORE_OK,
	    "complaint: recorded");
	is_str(a.supp[0].scope, "sender.example",
	    "complaint: suppressed for the sender's domain only");
	is_str(a.last_status, "", "complaint: an absent status is empty");
	le.n = 0;
	(void)store_foreach_event(st, "abuse@example.net", last_event_fn, &le);
	is_str(le.ev.scope, "sender.example", "complaint: event scope");

	/* An unverified bounce: the flag crosses. */
	hard_input(&in);
	in.unverified = true;
	change_request_update(&req, "maybe@example.org", "U1", &in);
	rc = apply(st, &req, req.len, &ans);
	is_int(rc, STORE_OK, "unverified: applied");
	is_str(ans.result.action, "unverified", "unverified: no effect");
	change_answer_free(&ans);
	is_int(store_get(st, "maybe@example.org", &a), STORE_OK,
	    "unverified: recorded");
	ok(a.nsupp == 0 && a.unverified_count == 1,
	    "unverified: counted, not suppressed");
	buf_free(&req);
}

/* test_signal - a back-off signal counts once per queue id */
static void
test_signal(struct store *st)
{
	struct change_signal s = { "slow.example", "7B3C9D", "toomanyconn",
	    "421 4.7.0 Too many connections", 0 };
	struct change_answer ans;
	struct store_backoff r;
	struct buf req = BUF_INIT;

	s.now = time(NULL);
	change_request_signal(&req, &s);
	ok(change_request_writes(req.data, req.len), "a signal writes");
	is_int(apply(st, &req, req.len, &ans), STORE_OK, "signal: applied");
	ok(!ans.seen, "signal: not seen before");
	is_int(ans.signals, 1, "signal: counted");
	change_answer_free(&ans);
	is_int(apply(st, &req, req.len, &ans), STORE_OK,
	    "signal, same queue id: applied");
	ok(ans.seen, "same queue id: seen before");
	is_int(ans.signals, 1, "same queue id: not counted again");
	change_answer_free(&ans);
	is_int(store_backoff_get(st, "slow.example", &r), STORE_OK,
	    "the domain's record");
	is_int(r.signals, 1, "the record has one signal");
	is_str(r.reason, "toomanyconn", "the record's reason");
	is_str(r.reply, "421 4.7.0 Too many connections", "the record's reply");
	s.qid = "7B3C9E";
	change_request_signal(&req, &s);
	is_int(apply(st, &req, req.len, &ans), STORE_OK,
	    "signal, another queue id: applied");
	ok(!ans.seen && ans.signals == 2, "another queue id: counted");
	change_answer_free(&ans);
	buf_free(&req);
}

/* test_token - a token's recipients, and an unknown token */
static void
test_token(struct store *st)
{
	static const char *const rcpts[] = { "first@example.org",
	    "second@example.com" };
	static const char want[] = "first@example.org\0second@example.com";
	struct change_answer ans;
	struct buf req = BUF_INIT;

	is_int(store_token_put(st, "tok0001", 20500, rcpts, 2), STORE_OK,
	    "a token with two recipients is stored");
	change_request_token(&req, "tok0001");
	ok(!change_request_writes(req.data, req.len), "a token read does not "
	    "write");
	is_int(apply(st, &req, req.len, &ans), STORE_OK, "token: found");
	is_int(ans.day, 20500, "token: its day");
	ok(ans.list.len == sizeof(want) && memcmp(ans.list.data, want,
	    sizeof(want)) == 0, "token: both recipients, in order");
	change_answer_free(&ans);
	change_request_token(&req, "tok9999");
	is_int(apply(st, &req, req.len, &ans), STORE_NOTFOUND,
	    "unknown token: not found");
	is_int(ans.rc, STORE_NOTFOUND, "unknown token: the answer's code");
	ok(ans.list.len == 0 && ans.day == 0, "unknown token: no recipients");
	change_answer_free(&ans);
	buf_free(&req);
}

/* with_field - a request with field i replaced (NULL: removed) */
static void
with_field(const struct buf *req, size_t i, const char *repl, struct buf *out)
{
	size_t	 off = 0, k = 0;

	buf_reset(out);
	while (off < req->len) {
		const char *f = req->data + off;

		if (k != i)
			buf_add(out, f, strlen(f) + 1);
		else if (repl != NULL)
			buf_add(out, repl, strlen(repl) + 1);
		off += strlen(f) + 1;
		k++;
	}
}

/* bad - a malformed request is refused whole */
static void
bad(struct store *st, const struct buf *req, size_t len, const char *what)
{
	struct change_answer ans;
	struct buf raw = BUF_INIT;
	int	 rc = apply_exact(st, req, len, &raw);

	ok(rc == STORE_EFATAL && change_answer_read(CHANGE_UPDATE, raw.data,
	    raw.len, &ans) == 0 && ans.rc == STORE_EFATAL &&
	    strcmp(ans.error, MALFORMED) == 0, "malformed: %s", what);
	change_answer_free(&ans);
	buf_free(&raw);
}

/* test_malformed - requests that are not: refused, nothing written */
static void
test_malformed(struct store *st)
{
	static const char *const opt_bad[] = { "x5.1.1", "", "--" };
	struct policy_input in;
	struct change_signal s = { "bad.example", "BADQ", "toomanyconn", "421",
	    1 };
	struct store_addr a;
	struct store_backoff r;
	struct buf req = BUF_INIT, m = BUF_INIT;
	int	 before = count_addrs(st);

	hard_input(&in);
	change_request_update(&req, "bad@example.org", "B1", &in);
	bad(st, &req, 0, "empty");
	buf_reset(&m);
	buf_add(&m, "", 1);
	bad(st, &m, m.len, "an empty kind");
	with_field(&req, 0, "X", &m);
	bad(st, &m, m.len, "an unknown kind letter");
	with_field(&req, 0, "UU", &m);
	bad(st, &m, m.len, "a kind of two letters");
	with_field(&req, 15, NULL, &m);
	bad(st, &m, m.len, "an update with a field too few");
	buf_reset(&m);
	buf_add(&m, req.data, req.len);
	buf_add(&m, "0", 2);
	bad(st, &m, m.len, "an update with a field too many");
	with_field(&req, 3, "nosuchreason", &m);
	bad(st, &m, m.len, "an unknown reason");
	with_field(&req, 4, "yes", &m);
	bad(st, &m, m.len, "a flag that is not a number");
	with_field(&req, 4, "2", &m);
	bad(st, &m, m.len, "a flag out of range");
	with_field(&req, 13, "12x", &m);
	bad(st, &m, m.len, "a time with trailing garbage");
	with_field(&req, 13, "", &m);
	bad(st, &m, m.len, "an empty time");
	with_field(&req, 13, "-5", &m);
	bad(st, &m, m.len, "a negative time");
	for (size_t i = 0; i < BG_ARRAY_SIZE(opt_bad); i++) {
		char	 what[64];

		with_field(&req, 6, opt_bad[i], &m);
		snprintf(what, sizeof(what), "an optional field \"%s\"",
		    opt_bad[i]);
		bad(st, &m, m.len, what);
	}
	bad(st, &req, req.len - 1, "an update without its last NUL");
	change_request_signal(&req, &s);
	with_field(&req, 5, "soon", &m);
	bad(st, &m, m.len, "a signal whose time is not a number");
	with_field(&req, 4, NULL, &m);
	bad(st, &m, m.len, "a signal with a field too few");
	bad(st, &req, req.len - 1, "a signal without its last NUL");
	change_request_token(&req, "tok0001");
	buf_add(&req, "extra", 6);
	bad(st, &req, req.len, "a token read with a field too many");
	change_request_token(&req, "tok0001");
	bad(st, &req, 1, "a token read with no token");

	is_int(count_addrs(st), before, "no address added by any of them");
	is_int(store_get(st, "bad@example.org", &a), STORE_NOTFOUND,
	    "the malformed updates' address is not recorded");
	is_int(store_backoff_get(st, "bad.example", &r), STORE_NOTFOUND,
	    "the malformed signals' domain has no record");
	ok(!change_request_writes("", 0) && !change_request_writes("G", 2),
	    "an empty request and a token read do not write");
	buf_free(&req);
	buf_free(&m);
}

/* read_fails - change_answer_read() refuses an answer */
static void
read_fails(char kind, const void *p, size_t len, const char *what)
{
	struct change_answer ans;

	is_int(change_answer_read(kind, p, len, &ans), -1, "bad answer: %s",
	    what);
	change_answer_free(&ans);
}

/* test_answers - malformed answers, and an error answer */
static void
test_answers(struct store *st)
{
	static const char ok_update[] = "0\0\0hard\0suppressed\0" "0\0" "0\0"
	    "0";
	static const char ok_token[] = "0\0\0" "20500\0a@b.example";
	struct policy_input in;
	struct change_answer ans;
	struct buf req = BUF_INIT, raw = BUF_INIT;

	is_int(change_answer_read(CHANGE_UPDATE, ok_update, sizeof(ok_update),
	    &ans), 0, "a complete update answer is read");
	is_str(ans.result.action, "suppressed", "its action");
	change_answer_free(&ans);
	read_fails(CHANGE_UPDATE, "", 0, "empty");
	read_fails(CHANGE_UPDATE, "0", 1, "a code without its NUL");
	read_fails(CHANGE_UPDATE, "x\0\0", 3, "a code that is not a number");
	read_fails(CHANGE_UPDATE, "7\0\0", 3, "a code out of range");
	read_fails(CHANGE_UPDATE, "-9\0\0", 4, "a negative code out of range");
	read_fails(CHANGE_UPDATE, "0\0\0hard\0suppressed\0" "0\0" "2\0" "0",
	    sizeof("0\0\0hard\0suppressed\0" "0\0" "2\0" "0"),
	    "a warning flag out of range");
	read_fails('Z', "0\0\0", 3, "a kind with no results");
	read_fails(CHANGE_TOKEN, ok_token, sizeof(ok_token) - 1,
	    "a token's last recipient without its NUL");
	read_fails(CHANGE_BACKOFF, "0\0\0" "0\0" "0\0" "1\0", 10,
	    "a signal's answer a field short");

	change_answer_error(&raw, STORE_ETEMP, "why");
	is_int(change_answer_read(CHANGE_UPDATE, raw.data, raw.len, &ans), 0,
	    "an error answer is read");
	is_int(ans.rc, STORE_ETEMP, "an error answer: its code");
	is_str(ans.error, "why", "an error answer: its message");
	ok(ans.result.type == NULL, "an error answer: no results");
	change_answer_free(&ans);

	/* A real answer, cut anywhere, is refused. */
	hard_input(&in);
	change_request_update(&req, "cut@example.org", "CUT1", &in);
	(void)change_apply(st, cfg, req.data, req.len, &raw);
	{
		size_t	 cut, taken = 0;

		for (cut = 0; cut < raw.len; cut++) {
			if (change_answer_read(CHANGE_UPDATE, raw.data, cut,
			    &ans) == 0)
				taken++;
			change_answer_free(&ans);
		}
		is_int(taken, 0, "a real update answer cut short is refused "
		    "at every length (%zu bytes)", raw.len);
	}
	buf_free(&req);
	buf_free(&raw);
}

/* test_sock_path - the socket's path, and a store_dir too long for one */
static void
test_sock_path(void)
{
	char	 path[1024], small[16];
	char	*longdir = xmalloc(200);
	struct buf err = BUF_INIT;

	is_int(change_sock_path("/var/lib/bounceguard", path, sizeof(path)), 0,
	    "socket path of a store_dir");
	is_str(path, "/var/lib/bounceguard/bounceguard.repl-socket",
	    "the socket is bounceguard.repl-socket in store_dir");
	is_int(change_sock_path("/var/lib/bounceguard", small, sizeof(small)),
	    -1, "a buffer too small for the path: refused");
	memset(longdir, 'd', 199);
	longdir[0] = '/';
	longdir[199] = '\0';
	is_int(change_sock_path(longdir, path, sizeof(path)), -1,
	    "a store_dir too long for sun_path: refused");
	snprintf(path, sizeof(path), "%s/bounceguard.repl-socket", longdir);
	is_int(change_sock_connect(path, 1, &err), -1,
	    "connect to a path too long: refused");
	ok(strstr(buf_cstr(&err), "path too long") != NULL,
	    "and said so: %s", buf_cstr(&err));
	buf_reset(&err);
	is_int(change_sock_listen(path, &err), -1,
	    "listen on a path too long: refused");
	buf_free(&err);
	free(longdir);
}

/* test_sock - framed messages over the real socket, both ways */
static void
test_sock(struct store *st)
{
	static const char greeting[] = "role=master master=127.0.0.1:20001";
	static const char binary[] = "a\0b\0\0c";
	char	*path = xasprintf("%s/bounceguard.repl-socket", tmpdir);
	struct policy_input in;
	struct change_answer ans;
	struct buf err = BUF_INIT, got = BUF_INIT, req = BUF_INIT,
	    answer = BUF_INIT;
	struct stat sb;
	int	 lfd, lfd2, cfd, sfd, fds[2], rc;

	buf_reset(&err);
	rc = change_sock_connect(path, 1, &err);
	ok(rc < 0 && strstr(buf_cstr(&err), path) != NULL, "connect with no "
	    "listener fails, naming the socket: %s", buf_cstr(&err));
	/* A socket left by a dead process is replaced. */
	lfd = change_sock_listen(path, &err);
	ok(lfd >= 0, "listen on %s", path);
	close(lfd);
	lfd = change_sock_listen(path, &err);
	if (!ok(lfd >= 0, "listen again over a stale socket file"))
		diag("%s", buf_cstr(&err));
	ok(stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    (sb.st_mode & 077) == 0, "the socket has no group or other "
	    "permissions (mode %03o)", (unsigned)(sb.st_mode & 0777));

	cfd = change_sock_connect(path, 5, &err);
	ok(cfd >= 0, "connect");
	sfd = accept(lfd, NULL, NULL);
	ok(sfd >= 0, "accepted");
	is_int(change_sock_send(sfd, greeting, strlen(greeting)), 0,
	    "the greeting is sent");
	is_int(change_sock_recv(cfd, &got, 1024), 0, "and received");
	is_str(buf_cstr(&got), greeting, "the greeting as sent");

	/* A request and its answer, as a pipe and its milter exchange them. */
	hard_input(&in);
	change_request_update(&req, "sock@example.org", "S1", &in);
	is_int(change_sock_send(cfd, req.data, req.len), 0, "request sent");
	is_int(change_sock_recv(sfd, &got, CHANGE_MSG_MAX), 0,
	    "request received");
	ok(got.len == req.len && memcmp(got.data, req.data, req.len) == 0,
	    "the request arrives whole, NULs and all (%zu bytes)", got.len);
	is_int(change_apply(st, cfg, got.data, got.len, &answer), STORE_OK,
	    "the request received is applied");
	is_int(change_sock_send(sfd, answer.data, answer.len), 0,
	    "answer sent");
	is_int(change_sock_recv(cfd, &got, CHANGE_MSG_MAX), 0,
	    "answer received");
	ok(change_answer_read(CHANGE_UPDATE, got.data, got.len, &ans) == 0 &&
	    ans.rc == STORE_OK && ans.result.action != NULL &&
	    strcmp(ans.result.action, "suppressed") == 0,
	    "the answer received decodes: suppressed");
	change_answer_free(&ans);

	is_int(change_sock_send(cfd, "", 0), 0, "an empty message is sent");
	ok(change_sock_recv(sfd, &got, 16) == 0 && got.len == 0,
	    "and received empty");
	is_int(change_sock_send(sfd, binary, sizeof(binary)), 0,
	    "a message of %zu bytes is sent", sizeof(binary));
	errno = 0;
	ok(change_sock_recv(cfd, &got, sizeof(binary) - 1) < 0 &&
	    errno == EMSGSIZE, "a receiver allowing one byte less refuses "
	    "it: EMSGSIZE");
	close(cfd);
	ok(change_sock_recv(sfd, &got, 16) < 0, "the peer gone: receive "
	    "fails");
	close(sfd);
	close(lfd);

	/* A message cut short by the peer's close. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		fatal("socketpair");
	if (write(fds[0], "\0\0\0\x0a" "abc", 7) != 7)
		fatal("write");
	close(fds[0]);
	ok(change_sock_recv(fds[1], &got, 64) < 0, "a message cut short: "
	    "receive fails");
	close(fds[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		fatal("socketpair");
	change_sock_timeout(fds[1], 1);
	errno = 0;
	ok(change_sock_recv(fds[1], &got, 64) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK),
	    "a silent peer: receive times out");
	close(fds[0]);
	close(fds[1]);

	/* The socket of a listener that stopped refuses connections. */
	lfd2 = change_sock_listen(path, &err);
	close(lfd2);
	buf_reset(&err);
	rc = change_sock_connect(path, 1, &err);
	ok(rc < 0 && strstr(buf_cstr(&err), "Connection refused") != NULL,
	    "a socket nobody listens on: connection refused (%s)",
	    buf_cstr(&err));
	buf_free(&err);
	buf_free(&got);
	buf_free(&req);
	buf_free(&answer);
	free(path);
}

int
main(void)
{
	struct store *st;
	char	*dir, *cmd;

	log_init("test-change", LOG_TO_STDERR);
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");
	cfg = config_default();
	dir = xasprintf("%s/store", tmpdir);
	st = open_store(dir);
	test_update(st);
	test_signal(st);
	test_token(st);
	test_malformed(st);
	test_answers(st);
	test_sock_path();
	test_sock(st);
	is_int(store_close(st), STORE_OK, "the store closes");
	/* What was applied is durable: the next opener sees it. */
	st = open_store(dir);
	ok(count_addrs(st) == 5, "reopened: the five addresses applied");
	(void)store_close(st);
	config_free(cfg);
	cmd = xasprintf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	free(dir);
	return done_testing();
}
