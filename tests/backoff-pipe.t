#!/bin/sh
# backoff-pipe.t - back-off signals from the reports bounceguard-pipe
# records: a delay DSN of our own MTA with a rate-limit reply counts a
# signal for the recipient's domain, and backoff_threshold of them raise
# its level; a deferral the follower read in the log first and the
# pipe's report of the same queue id count once (and the other way
# round); a third party's report, a reason not in backoff_reasons, and a
# permanent refusal count nothing; the same report delivered twice
# counts once; and when the back-off record is locked past
# store_lock_timeout the bounce is still recorded and the pipe exits 0.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"
write_config "backoff_threshold = 3
backoff_settle_time = 0"
ADMIN="$BG_BUILD/bounceguard -c $T/bounceguard.conf"
L=$T/mail.log

# pdsn ADDRESS QID ACTION DIAGNOSTIC [REPORTER] - a DSN as Postfix writes
# it, reported by REPORTER (default our mx.example.com), with its
# X-Postfix-Queue-ID
pdsn() {
	st=$(echo "$4" | sed -n 's/^[0-9][0-9][0-9] \([245]\.[0-9]*\.[0-9]*\).*/\1/p')
	cat <<MSG
From: MAILER-DAEMON@${5:-mx.example.com} (Mail Delivery System)
To: bounces@bounces.example.com
Subject: Delayed Mail (still being retried)
Message-ID: <$2.$3@${5:-mx.example.com}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host ${5:-mx.example.com}.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; ${5:-mx.example.com}
X-Postfix-Queue-ID: $2
X-Postfix-Sender: rfc822; news@news.example.com

Final-Recipient: rfc822; $1
Action: $3
Status: ${st:-4.7.0}
Remote-MTA: dns; mx.${1#*@}
Diagnostic-Code: smtp; $4

--B
Content-Type: text/rfc822-headers

From: News <news@news.example.com>
To: $1
Subject: hello

--B--
MSG
}
RATE="421 4.7.0 Rate limit exceeded, slow down"
# deliver ADDRESS QID ACTION DIAGNOSTIC [REPORTER] [CLIENT]
deliver() {
	pdsn "$1" "$2" "$3" "$4" "${5:-}" > "$T/msg"
	$AS_USER "$PIPE" -e -c "$T/bounceguard.conf" -r "$(verp "$1")" -s "" \
	    -q "P$2" ${6+-a "$6"} 2>"$T/err" >"$T/out" < "$T/msg"
	rc=$?
}
# signals DOMAIN, level DOMAIN - from "bounceguard backoff list --json"
signals() {
	$ADMIN backoff list --json 2>/dev/null |
	    sed -n "s/.*\"domain\":\"$1\".*\"signals\":\([0-9]*\).*/\1/p"
}
level() {
	$ADMIN backoff list --json 2>/dev/null |
	    sed -n "s/.*\"domain\":\"$1\",\"level\":\([0-9]*\).*/\1/p"
}
# defer_line DOMAIN QID - the follower's deferral line of that message
defer_line() {
	echo "Nov 24 10:00:00 mx postfix/smtp[42]: $2: to=<u@$1>, relay=mx.$1[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=4.7.0, status=deferred (host mx.$1[192.0.2.1] said: $RATE (in reply to RCPT TO command))"
}
is() { ok $([ "$2" = "$3" ]; echo $?) "$1 (got \"$2\", want \"$3\")"; }

# Our own MTA's delay DSNs with a rate-limit reply.
deliver a@rate.example 4XkA01 delayed "$RATE"
ok $rc "a delay DSN of our MTA is recorded (exit $rc)"
is "it counts one signal for the recipient's domain" "$(signals rate.example)" 1
check "the pipe logs the signal with its queue id" grep -q \
    'backoff: domain=rate.example level=0 previous=0 transport=default why=- source=pipe signal=counted queue_id=4XkA01 signals=1 reason=speeding' "$T/err"
is "below backoff_threshold the level stays 0" "$(level rate.example)" 0
deliver a@rate.example 4XkA01 delayed "$RATE"
is "the same report delivered again counts nothing" "$(signals rate.example)" 1
deliver b@rate.example 4XkA02 delayed "$RATE"
deliver c@rate.example 4XkA03 failed "$RATE"
ok $rc "a final bounce with the last deferral's 4xx is recorded (exit $rc)"
is "backoff_threshold signals raise the level to 1" "$(level rate.example)" 1
check "the raise is logged: why=signals source=pipe" grep -q \
    'backoff: domain=rate.example level=1 previous=0 transport=bgslow1 why=signals source=pipe signal=counted queue_id=4XkA03' "$T/err"
deliver d@rate.example 4XkA02 failed "$RATE"
is "the final bounce of a message whose delay DSN counted adds nothing" \
    "$(signals rate.example)" 3
check "  and says it was seen" grep -q 'signal=seen queue_id=4XkA02' "$T/err"

# The follower read the deferral first, then the pipe gets its DSN.
defer_line both.example 4XkB01 > "$L"
$ADMIN follow --once --from-start "$L" 2>> "$T/follow.log"
is "the follower counts the log's deferral" "$(signals both.example)" 1
deliver x@both.example 4XkB01 delayed "$RATE"
ok $rc "its delay DSN is recorded (exit $rc)"
is "the same queue id seen by the follower, then the pipe, counts once" \
    "$(signals both.example)" 1
# The other way round: the pipe first, then the follower.
deliver y@both.example 4XkB02 delayed "$RATE"
is "the pipe counts a queue id the follower has not seen" "$(signals both.example)" 2
defer_line both.example 4XkB02 >> "$L"
$ADMIN follow --once "$L" 2>> "$T/follow.log"
is "the follower's line of that deferral does not count again" \
    "$(signals both.example)" 2
defer_line both.example 4XkB02 >> "$L"
$ADMIN follow --once "$L" 2>> "$T/follow.log"
is "a later deferral of the same message in the log is a new attempt" \
    "$(signals both.example)" 3

# Reports that say nothing about our pace.
deliver t@third.example 5ZzC01 delayed "$RATE" mx.third.example 192.0.2.77
ok $rc "a third party's report is recorded (exit $rc)"
is "a third party's report counts nothing" "$(signals third.example)" ""
deliver t@third.example 5ZzC02 delayed "$RATE" mx.third.example ""
is "  also delivered locally: its Reporting-MTA is not ours, but the origin is trusted" \
    "$(signals third.example)" 1
deliver f@full.example 4XkD01 delayed "452 4.2.2 <f@full.example>: Mailbox full"
ok $rc "a mailbox-full delay DSN is recorded (exit $rc)"
is "a reason not in backoff_reasons counts nothing" "$(signals full.example)" ""
deliver p@perm.example 4XkD02 failed "550 5.7.1 Rate limit exceeded, you are blocked"
is "a permanent refusal counts nothing" "$(signals perm.example)" ""

# A back-off record locked past store_lock_timeout (1s).
$AS_USER "$TOOL" holdbackoff "$T/bounceguard.conf" locked.example 4 > "$T/hold" &
holder=$!
i=0
while ! grep -q held "$T/hold" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
deliver l@locked.example 4XkE01 delayed "$RATE"
ok $rc "a locked back-off record: the pipe still exits 0 (got $rc)"
check "  the bounce is recorded" sh -c "$AS_USER $TOOL get $T/bounceguard.conf l@locked.example | grep -q '^event '"
check "  the lost signal is logged" grep -q \
    'backoff: domain=locked.example source=pipe signal=lost: .*the bounce is recorded' "$T/err"
wait $holder
deliver l@locked.example 4XkE01 delayed "$RATE"
ok $rc "the MTA delivering it again exits 0 (exit $rc)"
is "  and then counts the signal" "$(signals locked.example)" 1

done_testing
