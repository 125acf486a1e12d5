#!/bin/sh
# pipe.t - bounceguard-pipe end to end with a real store: every policy
# path, forged and unusable bounces, store failures, events.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"

# Hard bounce: suppressed at once, logged in the contract's format.
v=$(verp hard@example.org)
hard_dsn hard@example.org h1 > "$T/msg"; run_pipe "$v" Q1 < "$T/msg"
ok $rc "hard bounce: exit 0"
check "hard bounce: log line" grep -q "bounceguard-pipe: Q1: bounce recipient=<hard@example.org> reason=userunknown type=hard status=5.1.1 mode=async action=suppressed" "$T/err"
check "hard bounce: stdout empty" test ! -s "$T/out"
check "hard bounce: suppressed in the store" sh -c "$AS_USER $TOOL get $T/bounceguard.conf hard@example.org | grep -q '^state=suppressed hard=1 '"
check "hard bounce: permanent suppression" sh -c "$AS_USER $TOOL get $T/bounceguard.conf hard@example.org | grep -q '^supp scope=global reason=userunknown source=bounce expires=0'"

# The same bounce delivered again is recorded once.
hard_dsn hard@example.org h1 > "$T/msg"; run_pipe "$v" Q1 < "$T/msg"
ok $rc "redelivery: exit 0"
check "redelivery: logged as duplicate" grep -q "Q1: bounce recipient=<hard@example.org> action=duplicate" "$T/err"
check "redelivery: counted once" sh -c "$AS_USER $TOOL get $T/bounceguard.conf hard@example.org | grep -q 'hard=1 '"

# Soft bounces: counted, the fifth within the window suppresses.
v=$(verp soft@example.org)
for i in 1 2 3 4 5; do
	full_dsn soft@example.org "s$i" > "$T/msg"; run_pipe "$v" "S$i" < "$T/msg"
	[ $i -lt 5 ] && want=counted || want=suppressed
	check "soft bounce $i: action=$want" grep -q "S$i: bounce recipient=<soft@example.org> reason=mailboxfull type=soft status=5.2.2 mode=async action=$want" "$T/err"
done
now=$(date +%s)
exp=$(get soft@example.org | sed -n 's/^supp .*expires=\([0-9]*\)$/\1/p')
check "soft suppression expires after soft_suppression_ttl (30d)" test "${exp:-0}" -ge $((now + 30 * 86400 - 60)) -a "${exp:-0}" -le $((now + 30 * 86400 + 60))

# A delivery report resets the soft count.
v=$(verp reset@example.org)
for i in 1 2 3 4; do full_dsn reset@example.org "r$i" > "$T/msg"; run_pipe "$v" "R$i" < "$T/msg"; done
dsn reset@example.org 2.0.0 "250 2.0.0 Ok: queued as 123" delivered r5 > "$T/msg"; run_pipe "$v" R5 < "$T/msg"
check "delivered: action=reset" grep -q "R5: bounce recipient=<reset@example.org> reason=delivered type=delivered .*action=reset" "$T/err"
full_dsn reset@example.org r6 > "$T/msg"; run_pipe "$v" R6 < "$T/msg"
check "after reset: counted again from one" sh -c "$AS_USER $TOOL get $T/bounceguard.conf reset@example.org | grep -q 'state=active .*recent_soft=1 '"

# Retry-able reasons never count.
v=$(verp retry@example.org)
for i in 1 2 3 4 5 6; do
	dsn retry@example.org 4.7.0 "421 4.7.0 Too many concurrent SMTP connections from this IP address; please try again later" failed "t$i" > "$T/msg"; run_pipe "$v" "T$i" < "$T/msg"
done
check "retry-able: recorded, never suppressed" sh -c "$AS_USER $TOOL get $T/bounceguard.conf retry@example.org | grep -q '^state=active hard=0 soft=0 block=0 complaint=0 other=6 '"

# Block bounces: counted per domain, logged as a warning, never suppress.
v=$(verp blk@example.org)
for i in 1 2 3 4 5 6; do
	dsn blk@example.org 5.7.1 "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org" failed "b$i" > "$T/msg"; run_pipe "$v" "B$i" < "$T/msg"
done
check "block: warning log line" grep -q "warning: B6: bounce recipient=<blk@example.org> reason=blocked type=block status=5.7.1 mode=async action=counted: remote refused our mail: 554 5.7.1" "$T/err"
check "block: recipient not suppressed" sh -c "$AS_USER $TOOL get $T/bounceguard.conf blk@example.org | grep -q '^state=active .* block=6 '"

# Delayed DSNs are recorded, never counted.
v=$(verp late@example.org)
dsn late@example.org 4.4.1 "connect to mx.remote.example[192.0.2.9]:25: Connection timed out" delayed d1 > "$T/msg"; run_pipe "$v" D1 < "$T/msg"
check "delay: recorded" grep -q "D1: bounce recipient=<late@example.org> reason=.* type=delay .*action=recorded" "$T/err"

# Auto-replies are recorded, never counted.
v=$(verp away@example.org)
cat > "$T/msg" <<MSG
From: Away <away@example.org>
To: $v
Subject: Out of office: hello
Auto-Submitted: auto-replied
Message-ID: <v1@example.org>

I am away until Monday.
MSG
run_pipe "$v" V1 < "$T/msg"
check "auto-reply: type=vacation, recorded" grep -q "V1: bounce recipient=<away@example.org> reason=vacation type=vacation .*action=recorded" "$T/err"
check "auto-reply: not suppressed" sh -c "$AS_USER $TOOL get $T/bounceguard.conf away@example.org | grep -q '^state=active'"

# A complaint suppresses for the sending domain only.
v=$(verp angry@example.org)
cat > "$T/msg" <<MSG
From: Feedback Loop <fbl@isp.example>
To: $v
Subject: Abuse report
MIME-Version: 1.0
Message-ID: <c1@isp.example>
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Mail-From: <news@news.example.com>
Original-Rcpt-To: <angry@example.org>

--F
Content-Type: message/rfc822

From: News <news@news.example.com>
To: angry@example.org
Subject: hello

hi
--F--
MSG
run_pipe "$v" C1 < "$T/msg"
check "complaint: suppressed with scope" grep -q "C1: bounce recipient=<angry@example.org> reason=feedback type=complaint .*action=suppressed scope=news.example.com" "$T/err"
check "complaint: scoped suppression in the store" sh -c "$AS_USER $TOOL get $T/bounceguard.conf angry@example.org | grep -q '^supp scope=news.example.com reason=feedback source=complaint expires=0'"
check "complaint: counted for its sender domain in the metrics" sh -c "$BG_BUILD/bounceguard -c $T/bounceguard.conf stats --prometheus | grep -qx 'bounceguard_complaints_total{sender_domain=\"news.example.com\"} 1'"

# Forged, stale and unsigned bounces are quarantined and change nothing.
v=$(verp victim@example.org)
forged=$(echo "$v" | sed 's/^b-\(.\)/b-X\1/; s/^b-X\(.\)\(.\)/b-\2\1/')
hard_dsn victim@example.org f1 > "$T/msg"; run_pipe "$forged" F1 < "$T/msg"
ok $rc "forged signature: exit 0"
check "forged signature: quarantined" grep -q "F1: quarantine reason=bad-signature recipient=<$forged> file=$T/quarantine/new/" "$T/err"
check "forged signature: file kept" sh -c "ls $T/quarantine/new/ | grep -q '\.F1_P.*,bad-signature\$'"
hard_dsn victim@example.org f2 > "$T/msg"; run_pipe "$(verp victim@example.org -61)" F2 < "$T/msg"
check "expired stamp: quarantined" grep -q "F2: quarantine reason=expired" "$T/err"
hard_dsn victim@example.org f3 > "$T/msg"; run_pipe "victim=example.org@bounces.example.com" F3 < "$T/msg"
check "unsigned address: quarantined" grep -q "F3: quarantine reason=unsigned" "$T/err"
check "nothing recorded for the victim" sh -c "$AS_USER $TOOL get $T/bounceguard.conf victim@example.org | grep -q '^state=none'"
printf 'From: someone@example.net\nSubject: hi\n\nJust a reply.\n' > "$T/msg"; run_pipe "$v" F4 < "$T/msg"
check "not a bounce: quarantined" grep -q "F4: quarantine reason=not-a-bounce" "$T/err"

# A per-message token records only the recipients it stands for.
tv=$($AS_USER "$TOOL" token "$T/bounceguard.conf" tok1@example.org tok2@example.org)
hard_dsn tok2@example.org k1 > "$T/msg"; run_pipe "$tv" K1 < "$T/msg"
check "token: the listed recipient is recorded" grep -q "K1: bounce recipient=<tok2@example.org> reason=userunknown type=hard" "$T/err"
hard_dsn other@example.org k2 > "$T/msg"; run_pipe "$tv" K2 < "$T/msg"
check "token: an unlisted recipient is quarantined" grep -q "K2: quarantine reason=token-no-match" "$T/err"
check "token: unlisted recipient not recorded" sh -c "$AS_USER $TOOL get $T/bounceguard.conf other@example.org | grep -q '^state=none'"

# The VERP recipient is the recipient of record.
v=$(verp alias@example.org)
hard_dsn real@example.net a1 > "$T/msg"; run_pipe "$v" A1 < "$T/msg"
check "different DSN recipient: recorded for the VERP one, logged" grep -q "A1: bounce recipient=<alias@example.org> reason=userunknown type=hard .*action=suppressed dsn_recipient=<real@example.net>" "$T/err"

# Every committed event is one JSON line in event_log.
lines=$(wc -l < "$T/events.jsonl")
check "event_log: one line per recorded event ($lines)" test "$lines" -eq 29
check "event_log: JSON fields" grep -q '"recipient":"hard@example.org","dsn_recipient":"hard@example.org","type":"hard","reason":"userunknown","action":"suppressed"' "$T/events.jsonl"

# event_command: run after the commit; its failure changes nothing.
write_config "event_command = cat > $T/cmd.json; exit 3"
v=$(verp cmd@example.org)
hard_dsn cmd@example.org e1 > "$T/msg"; run_pipe "$v" E1 < "$T/msg"
ok $rc "failing event_command: exit 0"
check "failing event_command: logged" grep -q "warning: E1: event_command: exit status 3" "$T/err"
check "event_command got the event" grep -q '"recipient":"cmd@example.org"' "$T/cmd.json"
write_config "event_command = sleep 30
event_command_timeout = 1s"
v=$(verp slow@example.org)
start=$(date +%s)
hard_dsn slow@example.org e2 > "$T/msg"; run_pipe "$v" E2 < "$T/msg"
ok $rc "slow event_command: exit 0"
check "slow event_command: killed at the limit" grep -q "warning: E2: event_command: killed after 1s" "$T/err"
check "slow event_command: did not hold the MTA" test $(($(date +%s) - start)) -lt 10

# Store problems: exit 75, nothing written; the retry records it once.
write_config
v=$(verp later@example.org)
chmod 000 "$T/store"
hard_dsn later@example.org l1 > "$T/msg"; run_pipe "$v" L1 < "$T/msg"
ok $([ $rc = 75 ]; echo $?) "store unwritable: exit 75 (got $rc)"
check "store unwritable: says why on stderr" grep -q "^bounceguard-pipe: store $T/store" "$T/err"
chmod 755 "$T/store"
hard_dsn later@example.org l1 > "$T/msg"; run_pipe "$v" L1 < "$T/msg"
ok $rc "store writable again: exit 0"
check "store writable again: recorded once" sh -c "$AS_USER $TOOL get $T/bounceguard.conf later@example.org | grep -q 'hard=1 '"

v=$(verp busy@example.org)
$AS_USER "$TOOL" hold "$T/bounceguard.conf" busy@example.org 4 > "$T/hold" &
holder=$!
while ! grep -q held "$T/hold" 2>/dev/null; do sleep 0.1; done
start=$(date +%s)
hard_dsn busy@example.org l2 > "$T/msg"; run_pipe "$v" L2 < "$T/msg"
ok $([ $rc = 75 ]; echo $?) "store locked: exit 75 (got $rc)"
check "store locked: within store_lock_timeout" test $(($(date +%s) - start)) -lt 4
check "store locked: says so" grep -q "locked by another process" "$T/err"
wait $holder
hard_dsn busy@example.org l2 > "$T/msg"; run_pipe "$v" L2 < "$T/msg"
check "lock released: recorded" sh -c "$AS_USER $TOOL get $T/bounceguard.conf busy@example.org | grep -q 'hard=1 '"

sed -i "s|^store_dir = .*|store_dir = $T/nonexistent|" "$T/bounceguard.conf"
hard_dsn x@example.org m1 > "$T/msg"; run_pipe "$(verp x@example.org)" M1 < "$T/msg"
ok $([ $rc = 75 ]; echo $?) "missing store directory: exit 75"

# Oversized messages are kept in the quarantine: the max_message_size
# bytes read, after a header giving the whole size.
write_config "max_message_size = 64k"
v=$(verp big@example.org)
{ hard_dsn big@example.org o1; head -c 200000 /dev/zero | tr '\0' 'x'; } > "$T/big.eml"
head -c 65536 "$T/big.eml" > "$T/big.head"
run_pipe "$v" O1 < "$T/big.eml"
check "oversized: quarantined" grep -q "O1: quarantine reason=too-big" "$T/err"
f=$(ls "$T"/quarantine/new/*O1_P*)
check "oversized: its first 64k kept, after a header giving its size" \
    sh -c "[ \"\$(head -n 1 '$f')\" = 'X-Bounceguard-Truncated: kept 65536 of $(wc -c < "$T/big.eml") bytes' ] &&
	tail -n +2 '$f' | cmp -s - '$T/big.head'"

# Configuration problems are ours: exit 75.
echo "bogus = 1" >> "$T/bounceguard.conf"
hard_dsn x@example.org m2 > "$T/msg"; run_pipe "$v" M2 < "$T/msg"
ok $([ $rc = 75 ]; echo $?) "bad configuration: exit 75"
check "bad configuration: file and line logged" grep -q "bounceguard.conf:$(wc -l < "$T/bounceguard.conf"): unknown key \"bogus\"" "$T/err"
if [ "$(id -u)" = 0 ]; then
	write_config
	hard_dsn x@example.org m3 | "$PIPE" -c "$T/bounceguard.conf" -r "$v" -s "" 2>"$T/err"
	ok $([ $? = 75 ]; echo $?) "as root: refuses, exit 75"
	check "as root: says why" grep -q "refusing to run as root" "$T/err"
fi
# A secrets file everyone can read still works, with a warning.
write_config
chmod 644 "$T/verp.secret"
v=$(verp open@example.org)
hard_dsn open@example.org w1 > "$T/msg"; run_pipe "$v" W1 < "$T/msg"
ok $rc "world-readable secrets: still recorded"
check "world-readable secrets: warned" grep -q "warning: W1: $T/verp.secret: readable by everyone; chmod o-r it" "$T/err"
chmod 640 "$T/verp.secret"

"$PIPE" -c "$T/bounceguard.conf" </dev/null 2>"$T/err"
ok $([ $? = 75 ]; echo $?) "usage error: exit 75, never a permanent failure"
done_testing
