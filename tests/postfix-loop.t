#!/bin/sh
# postfix-loop.t - the whole bounce loop with two real, private Postfix
# instances on loopback. Ours (mta.example.com) is configured with the
# contrib/postfix/ snippets as shipped (only paths replaced): mail leaves
# through bounceguard-milter with a signed VERP sender, and bounces come
# back through transport_maps and the master.cf pipe service to
# bounceguard-pipe, running as the bounceguard user. The remote site
# (mx.remote.example) refuses an unknown user at RCPT (our Postfix writes
# the DSN: a synchronous bounce), accepts gone@ and bounces it with its
# own DSN (asynchronous), and answers full@ with a mailbox-full 4xx until
# the message expires in our queue. The store, bounceguard show/dump and
# the mail log must tell each story; the next campaign is refused at RCPT
# for the dead addresses and still goes out to the others.
#
# bounceguard's own log lines go to syslog: the test runs in a private
# mount namespace whose /dev/log it reads (tests/lib/postfix-pair.sh)
# into our instance's maillog, next to Postfix's lines, as on a real
# host. Where no namespace can be made, those checks are skipped.
. "$BG_SRC/tests/lib/postfix-pair.sh"
pp_private_devlog "$0" "$@"
. "$BG_SRC/tests/lib/milter-env.sh"
for p in postfix postconf postmap postqueue smtp-source; do
	command -v $p > /dev/null 2>&1 || [ -x /usr/sbin/$p ] ||
	    skip_all "$p not installed (apt-get install postfix)"
done
command -v swaks > /dev/null 2>&1 || skip_all "swaks not installed"
command -v pgrep > /dev/null 2>&1 || skip_all "pgrep not installed (apt-get install procps)"
command -v ss > /dev/null 2>&1 || skip_all "ss not installed (apt-get install iproute2)"
PATH=$PATH:/usr/sbin
. "$BG_SRC/tests/lib/postfix-env.sh"
[ -x "$BG_BUILD/bench/syslog_sink" ] || skip_all "$BG_BUILD/bench/syslog_sink not built"
ADMIN="$BG_BUILD/bounceguard -c $CONF"
OURS=mta.example.com
A=$T/ours
B=$T/remote
ML=$A/maillog
MLB=$B/maillog

# wait_for PATTERN FILE [COUNT] - wait for COUNT (1) lines: up to 30 s,
# or 3 s once a wait has failed (the rest will fail too; the test should
# end soon)
WAIT=300
wait_for() {
	i=0
	while c=$(grep -c -- "$1" "$2" 2>/dev/null); [ "${c:-0}" -lt "${3:-1}" ]; do
		[ $i -ge $WAIT ] && { WAIT=30; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
}
# bail REASON - stop here: nothing after this could work
bail() {
	echo "Bail out! $1"
	for f in "$T"/*/start.log "$T/log"; do
		[ -s "$f" ] && sed "s|^|# $f: |" "$f"
	done
	exit 1
}
# expect DESCRIPTION PATTERN FILE [COUNT] - a TAP line for a log line;
# shows the log's tail when it does not come
expect() {
	wait_for "$2" "$3" "${4:-1}"
	st=$?
	ok $st "$1"
	[ $st = 0 ] || { echo "# no line matching: $2"; tail -n 15 "$3" | sed 's/^/# /'; }
}
# expect_bg DESCRIPTION PATTERN - one of bounceguard's syslog lines
expect_bg() {
	if [ -n "$PP_DEVLOG" ]; then
		expect "$1" "$2" "$ML"
	else
		n=$((n + 1))
		echo "ok $n # skip $1: no private /dev/log (unshare -m or mknod refused)"
	fi
}
# qid_of VERP-LOCALPART-PATTERN - the queue id of the bounce that our
# Postfix delivered to the bounceguard service for that VERP address
qid_of() {
	sed -n "s/.* \([0-9A-F]\{6,\}\): to=<$1@bounces\.example\.com>, relay=bounceguard,.*status=sent.*/\1/p" "$ML" | tail -1
}
# show ADDRESS - bounceguard show, into $T/show
show() {
	$ADMIN show "$1" > "$T/show" 2>&1
}
# has PATTERN - the output of show has a line; shows it on stderr if not
has() {
	grep -q -- "$1" "$T/show" && return 0
	echo "# bounceguard show: no line matching $1:" >&2
	sed 's/^/#   /' "$T/show" >&2
	return 1
}
VERP='b-[a-z0-9]*-[a-z0-9]*'

PA=$(pf_port)
PB=$(pf_port)
while [ "$PB" = "$PA" ]; do PB=$(pf_port); done
pp_remote "$B" "$PB" "$PA" && pp_ours "$A" "$PA" "$PB" "unix:$T/run/milter.sock" "$OURS" ||
    bail "cannot write the Postfix configurations"
mkdir -p "$T/quarantine"
chown bounceguard "$T/quarantine"
# local_hostnames: our Postfix's myhostname, which it writes as the
# Reporting-MTA of its DSNs (how a synchronous bounce is recognised)
cat > "$CONF" <<CONF
store_dir = $T/store
quarantine_dir = $T/quarantine
verp_domain = bounces.example.com
verp_secret_file = $T/secret
shipped_rules_dir = $BG_SRC/rules
rules_dir =
local_hostnames = $(postconf -c "$A/etc" -h myhostname)
milter_socket = unix:$T/run/milter.sock
milter_socket_group = postfix
lookup_socket = unix:$T/run/lookup.sock
lookup_socket_group = postfix
pid_file = $T/run/milter.pid
CONF

if [ -n "$PP_DEVLOG" ]; then
	pp_syslog "$ML" "${OURS%%.*}"
	ok $? "a syslog receiver on the private /dev/log, writing our mail log"
fi
start_milter || bail "cannot start the milter"
ok 0 "milter started"
pf_start "$B" "$PB" "$A" "$PA" || bail "cannot start the Postfix instances"
ok 0 "remote site mx.remote.example on 127.0.0.1:$PB, our site $OURS on 127.0.0.1:$PA (configured from contrib/postfix/)"
ok $(grep -q "^bounceguard unix .* pipe\$" "$A/etc/master.cf" &&
    grep -q "flags=Rq user=bounceguard argv=$BG_BUILD/bounceguard-pipe\$" "$A/etc/master.cf" &&
    [ "$(postconf -c "$A/etc" -h bounceguard_destination_recipient_limit)" = 1 ] &&
    [ "$(postconf -c "$A/etc" -h milter_default_action)" = accept ]; echo $?) \
    "master.cf has the shipped pipe service, main.cf the shipped lines"

# The campaign: one message per recipient, as a newsletter sends them.
for r in good nobody gone full; do
	smtp-source -m 1 -f news@example.com -t $r@remote.example \
	    "127.0.0.1:$PA" > "$T/src.$r" 2>&1
done

# good@: delivered, with the signed VERP as return path.
expect "good@: delivered by the remote site" \
    "to=<good@remote.example>, relay=virtual,.*status=sent" "$MLB"
f=$(find "$B/mail/good/new" -type f 2>/dev/null | head -1)
rp=$(sed -n 's/^Return-Path: <\(.*\)>$/\1/p' "${f:-/dev/null}" | head -1)
ok $(echo "$rp" | grep -q "^$VERP-good=remote.example@bounces.example.com\$"; echo $?) \
    "good@: the remote mailbox shows the signed VERP return path ($rp)"
check "the VERP decodes to good@ with our secret" \
    sh -c "$ADMIN verp decode '$rp' | grep -q 'good@remote.example'"

# nobody@: refused at RCPT by the remote site; our Postfix writes the DSN.
expect "nobody@: our Postfix logs the 550 RCPT refusal" \
    "to=<nobody@remote.example>, relay=127.0.0.1\[127.0.0.1\]:$PB,.*status=bounced (host 127.0.0.1\[127.0.0.1\] said: 550 5.1.1 <nobody@remote.example>: Recipient address rejected: User unknown in virtual mailbox table" "$ML"
expect "nobody@: the DSN is delivered to the bounceguard pipe service" \
    "to=<$VERP-nobody=remote.example@bounces.example.com>, relay=bounceguard,.*status=sent (delivered via bounceguard service)" "$ML"
q=$(qid_of "$VERP-nobody=remote\.example")
expect_bg "nobody@: bounceguard-pipe logs a sync hard userunknown bounce, suppressed, with Postfix's queue id ($q)" \
    "bounceguard-pipe\[[0-9]*\]: ${q:-NOQID}: bounce recipient=<nobody@remote.example> reason=userunknown type=hard status=5.1.1 mode=sync action=suppressed"

# gone@: accepted by the remote site, then bounced there with its DSN,
# which comes back to us over SMTP from outside our mynetworks.
expect "gone@: the remote site accepts, then bounces it" \
    "to=<gone@remote.example>, relay=lda,.*dsn=5.1.1, status=bounced (user unknown" "$MLB"
expect "gone@: the remote site sends its DSN to our VERP address" \
    "to=<$VERP-gone=remote.example@bounces.example.com>, relay=127.0.0.1\[127.0.0.1\]:$PA,.*status=sent" "$MLB"
expect "gone@: our Postfix receives it from 127.0.0.2 (relay_domains) and pipes it to bounceguard" \
    "to=<$VERP-gone=remote.example@bounces.example.com>, relay=bounceguard,.*status=sent (delivered via bounceguard service)" "$ML"
q=$(qid_of "$VERP-gone=remote\.example")
ok $(grep "$q: client=" "$ML" | grep -q '127.0.0.2'; echo $?) \
    "gone@: the DSN came in over SMTP from the remote site ($q)"
expect_bg "gone@: bounceguard-pipe logs an async hard userunknown bounce, suppressed ($q)" \
    "bounceguard-pipe\[[0-9]*\]: ${q:-NOQID}: bounce recipient=<gone@remote.example> reason=userunknown type=hard status=5.1.1 mode=async action=suppressed"

# full@: 452 mailbox full at RCPT; the message stays in our queue until
# it expires (maximal_queue_lifetime = 0 and a queue run), and then our
# Postfix writes the DSN. (Bounces then get a single try too: a pipe
# that answered "try again later" from here on would fail the test.)
expect "full@: our Postfix defers it on the remote 452 4.2.2" \
    "to=<full@remote.example>, relay=127.0.0.1\[127.0.0.1\]:$PB,.*status=deferred (host 127.0.0.1\[127.0.0.1\] said: 452 4.2.2 <full@remote.example>" "$ML"
i=0
while [ -z "$(find "$A/spool/deferred" -type f | head -1)" ] && [ $i -lt $WAIT ]; do
	sleep 0.1
	i=$((i + 1))
done
ok $([ -n "$(find "$A/spool/deferred" -type f | head -1)" ]; echo $?) \
    "full@: the message waits in the deferred queue"
ok $(grep -q "to=<$VERP-full=remote.example@bounces.example.com>" "$ML"; [ $? = 1 ]; echo $?) \
    "full@: no bounce yet while it is deferred"
postconf -c "$A/etc" -e "maximal_queue_lifetime = 0" "bounce_queue_lifetime = 0"
# the flush must reach a queue manager that has read the new lifetime
mpid=$(sed 1q "$A/spool/pid/master.pid" | tr -d ' ')
old=$(pgrep -P "$mpid" -x qmgr)
postfix -c "$A/etc" reload > /dev/null 2>&1
wait_for "postfix/master.*reload -- version" "$ML"
i=0
until new=$(pgrep -P "$mpid" -x qmgr) && [ "$new" != "$old" ] || [ $i -ge $WAIT ]; do
	sleep 0.1
	i=$((i + 1))
done
postqueue -c "$A/etc" -f
expect "full@: it expires at the next attempt, and is returned to the sender" \
    "status=expired, returned to sender" "$ML"
expect "full@: the DSN is delivered to the bounceguard pipe service" \
    "to=<$VERP-full=remote.example@bounces.example.com>, relay=bounceguard,.*status=sent (delivered via bounceguard service)" "$ML"
q=$(qid_of "$VERP-full=remote\.example")
expect_bg "full@: bounceguard-pipe logs a sync soft mailboxfull bounce, counted ($q)" \
    "bounceguard-pipe\[[0-9]*\]: ${q:-NOQID}: bounce recipient=<full@remote.example> reason=mailboxfull type=soft status=4.2.2 mode=sync action=counted"

# What the store says, through the administrator's tool.
show nobody@remote.example
ok $(has '^state: suppressed' && has '^counts: hard=1 soft=0' &&
    has '^last: reason=userunknown status=5.1.1 reply_code=550 mode=sync'; echo $?) \
    "bounceguard show nobody@: suppressed, one hard bounce, userunknown, 550 5.1.1, sync"
show gone@remote.example
ok $(has '^state: suppressed' && has '^counts: hard=1 soft=0' &&
    has '^last: reason=userunknown status=5.1.1 reply_code=- mode=async'; echo $?) \
    "bounceguard show gone@: suppressed, one hard bounce, userunknown, 5.1.1, async"
show full@remote.example
ok $(has '^state: active' && has '^counts: hard=0 soft=1' &&
    has '^last: reason=mailboxfull status=4.2.2 reply_code=452 mode=sync'; echo $?) \
    "bounceguard show full@: active, one soft bounce, mailboxfull, 452 4.2.2, sync"
show good@remote.example
ok $(has "good@remote.example: not in the store"; echo $?) \
    "bounceguard show good@: no bounce"
$ADMIN dump --json > "$T/dump" 2> "$T/dump.err"
ok $(grep '"address":"nobody@remote.example"' "$T/dump" | grep '"state":"suppressed"' | grep -q '"reason":"userunknown"' &&
    grep '"address":"gone@remote.example"' "$T/dump" | grep '"state":"suppressed"' | grep -q '"reason":"userunknown"' &&
    grep '"address":"full@remote.example"' "$T/dump" | grep -q '"state":"active"' &&
    [ "$(grep -c '"state":"suppressed"' "$T/dump")" = 2 ]; echo $?) \
    "bounceguard dump --json: nobody@ and gone@ suppressed for userunknown, full@ active, nothing else suppressed"
[ -s "$T/dump.err" ] && sed 's/^/# dump: /' "$T/dump.err"

# The next campaign: one message to all four. The dead addresses are
# refused at RCPT by our Postfix; the others still go out.
swaks --server 127.0.0.1 --port "$PA" --from news@example.com \
    --to nobody@remote.example,gone@remote.example,good@remote.example,full@remote.example \
    --header "Subject: second issue" > "$T/swaks" 2>&1
ok $(grep -q '<\*\* *550 5.1.1 <nobody@remote.example>: recipient suppressed by bounceguard (userunknown since' "$T/swaks" &&
    grep -q '<\*\* *550 5.1.1 <gone@remote.example>: recipient suppressed by bounceguard (userunknown since' "$T/swaks"; echo $?) \
    "second campaign: RCPT TO nobody@ and gone@ refused with 550 5.1.1 ... suppressed by bounceguard"
ok $(grep -c '<- *250 2.1.5' "$T/swaks" | grep -qx 2 && grep -q '<- *250 2.0.0 Ok: queued' "$T/swaks"; echo $?) \
    "second campaign: good@ and full@ accepted, the message queued"
[ -n "${VERBOSE:-}" ] && sed 's/^/# swaks: /' "$T/swaks"
expect "our Postfix logs the milter's refusal" \
    "milter-reject: RCPT from localhost\[127.0.0.1\]: 550 5.1.1 <gone@remote.example>: recipient suppressed by bounceguard" "$ML"
expect_bg "bounceguard-milter logs the refusal" \
    "bounceguard-milter\[[0-9]*\]: .*reject recipient=<nobody@remote.example> reason=userunknown scope=global mode=enforce"
expect "second campaign: good@ receives it" \
    "to=<good@remote.example>, relay=virtual,.*status=sent" "$MLB" 2
ok $([ "$(find "$B/mail/good/new" -type f | wc -l)" = 2 ] &&
    [ -z "$(find "$B/mail/gone" "$B/mail/full" -type f 2>/dev/null | head -1)" ]; echo $?) \
    "good@'s mailbox holds both issues; nothing reached gone@ or full@"
# full@ is still tried (and expires again): its second soft bounce comes
# back through the message's token VERP.
for _ in $(seq 1 $WAIT); do
	show full@remote.example
	grep -q '^counts: hard=0 soft=2' "$T/show" && break
	sleep 0.1
done
ok $(has '^counts: hard=0 soft=2' && has '^state: active'; echo $?) \
    "second campaign: full@ was tried again; its second soft bounce is counted, still active"

pf_queue_empty "$A" && pf_queue_empty "$B"
ok $? "both queues are empty at the end"
ok $([ -z "$(find "$T/quarantine" -type f 2>/dev/null | head -1)" ]; echo $?) \
    "nothing was quarantined: every bounce was signed by us and parsed"
grep -E -e "postfix[^ ]*\[[0-9]+\]: (fatal|panic|error):" \
    -e "bounceguard-(pipe|milter)\[[0-9]+\]: (warning|fatal|error):" \
    "$ML" "$MLB" > "$T/bad"
ok $([ ! -s "$T/bad" ]; echo $?) \
    "no fatal, panic or error lines from Postfix, no warning from bounceguard, in either mail log"
[ -s "$T/bad" ] && sed 's/^/# /' "$T/bad"

# KEEP_MAILLOG=DIR keeps both mail logs, to read them after the test
[ -n "${KEEP_MAILLOG:-}" ] && cp "$ML" "$KEEP_MAILLOG/ours.maillog" &&
    cp "$MLB" "$KEEP_MAILLOG/remote.maillog"
pids=$(cat "$A/spool/pid/master.pid" "$B/spool/pid/master.pid" 2>/dev/null | tr -s ' \n' ' ')
pf_stop_all
stop_milter
ok $([ "$MSTATUS" = 0 ]; echo $?) "milter stopped cleanly"
alive=
for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
ok $([ -z "$alive" ]; echo $?) "no Postfix master of ours is left running ($pids)"
done_testing
