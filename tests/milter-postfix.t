#!/bin/sh
# milter-postfix.t - bounceguard-milter behind a real, private Postfix
# instance (its own configuration, queue and data directories, loopback
# ports) that relays everything to smtp-sink: mail sent over SMTP leaves
# with the signed VERP envelope sender, RCPT TO a suppressed address is
# refused during the SMTP session, several recipients get a token, mail
# submitted with sendmail(1) (non_smtpd_milters) is stamped too, and a
# bounce (null sender) passes untouched.
. "$BG_SRC/tests/lib/milter-env.sh"
for p in postfix smtp-source smtp-sink sendmail; do
	command -v $p > /dev/null 2>&1 || [ -x /usr/sbin/$p ] ||
	    skip_all "$p not installed (apt-get install postfix)"
done
PATH=$PATH:/usr/sbin
. "$BG_SRC/tests/lib/postfix-env.sh"

write_conf "milter_socket_group = postfix" "lookup_socket_group = postfix"
$SEED suppress jane@example.org userunknown
start_milter
ok $? "milter started"

port=$(pf_port)
sinkport=$(pf_port)
pf_sink "$T/sink" "$sinkport"
pf_instance "$T/pf" "$port" "$sinkport" "unix:$T/run/milter.sock" \
    "-o milter_macro_daemon_name=ORIGINATING"
ok $? "private Postfix instance started on 127.0.0.1:$port"

# sink_file N - wait for the sink to hold N messages; the newest one
# log_wait PATTERN FILE - wait up to 10 s for a log line (logs are written
# after the SMTP reply, and a loaded machine may take a moment)
log_wait() {
	i=0
	while ! grep -q "$1" "$2" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

sink_wait() {
	for _ in $(seq 1 100); do
		[ "$(ls "$T/sink" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
mail_from() {
	sed -n 's/^X-Mail-Args: <\([^>]*\)>.*/\1/p' "$1"
}

smtp-source -m 1 -f news@example.com -t bob@example.org "127.0.0.1:$port" > "$T/src" 2>&1
sink_wait 1
ok $? "message relayed to the sink"
f=$(ls "$T/sink"/* | head -1)
verp=$(mail_from "$f")
ok $(echo "$verp" | grep -q '^b-.*-bob=example.org@bounces.example.com$'; echo $?) \
    "it left with a VERP envelope sender ($verp)"
check "the VERP decodes to the recipient" \
    sh -c "$SEED decode '$verp' | grep -qx 'valid bob@example.org'"
check "the original sender is in X-Bounceguard-Sender" \
    grep -qi '^X-Bounceguard-Sender: <news@example.com>' "$f"
qid=$(grep 'stamp sender=<news@example.com>' "$T/log" | head -1 | sed 's/.*: \([0-9A-F]*\): stamp.*/\1/')
ok $(grep -q "$qid: from=<$verp>" "$T/pf/maillog"; echo $?) \
    "the milter's log line carries Postfix's queue id, whose sender is the VERP ($qid)"

smtp-source -m 1 -f news@example.com -t jane@example.org "127.0.0.1:$port" > "$T/src" 2>&1
log_wait 'milter-reject: RCPT from .*<jane@example.org>' "$T/pf/maillog"
check "RCPT TO a suppressed address refused by Postfix with the milter's reply" grep -q \
    'milter-reject: RCPT from .*550 5.1.1 <jane@example.org>: recipient suppressed by bounceguard (userunknown since' \
    "$T/pf/maillog"
check "and logged by the milter" grep -q 'reject recipient=<jane@example.org> reason=userunknown scope=global mode=enforce' "$T/log"
ok $([ "$(ls "$T/sink" | wc -l)" = 1 ]; echo $?) "nothing relayed for the refused recipient"

smtp-source -m 1 -r 3 -f news@example.com -t rcpt@example.net "127.0.0.1:$port" > "$T/src" 2>&1
sink_wait 2
f=$(ls -t "$T/sink"/* | head -1)
tok=$($SEED decode "$(mail_from "$f")" | sed -n 's/^valid token //p')
ok $([ -n "$tok" ]; echo $?) "three recipients: stamped with a token ($tok)"
ok $([ "$($SEED token "$tok" | wc -l)" = 3 ]; echo $?) "the token's three recipients are in the store"

printf 'From: news@example.com\nSubject: local\n\nhello\n' |
    sendmail -C "$T/pf/etc" -f news@example.com carl@example.net
sink_wait 3
f=$(ls -t "$T/sink"/* | head -1)
ok $($SEED decode "$(mail_from "$f")" | grep -qx 'valid carl@example.net'; echo $?) \
    "mail submitted with sendmail(1) is stamped (non_smtpd_milters, local submission)"

# A bounce (the null sender) to a suppressed address: the milter accepts
# the message at its first RCPT (MAIL has no reply), untouched.
smtp-source -m 1 -f "" -t jane@example.org "127.0.0.1:$port" > "$T/src" 2>&1
sink_wait 4
f=$(ls -t "$T/sink"/* | head -1)
ok $(grep -q '^X-Mail-Args: <>$' "$f" && grep -q 'jane@example.org' "$f" &&
    ! grep -qi '^X-Bounceguard-Sender' "$f"; echo $?) \
    "a bounce to a suppressed address passes through Postfix untouched"

# The lookup socket as a Postfix socketmap table, without the milter.
postconf -c "$T/pf/etc" -e "smtpd_milters =" "non_smtpd_milters =" \
    "smtpd_recipient_restrictions = check_recipient_access socketmap:unix:$T/run/lookup.sock:suppressed, permit_mynetworks, reject"
postfix -c "$T/pf/etc" reload > /dev/null 2>&1
sleep 1
smtp-source -m 1 -f news@example.com -t jane@example.org "127.0.0.1:$port" > "$T/src" 2>&1
smtp-source -m 1 -f news@example.com -t dora@example.org "127.0.0.1:$port" > "$T/src" 2>&1
sink_wait 5
log_wait 'reject: RCPT from .*<jane@example.org>: .*suppressed by bounceguard' "$T/pf/maillog"
check "socketmap table: the suppressed recipient refused with reject_reply" grep -q \
    'reject: RCPT from .*550 5.1.1 <jane@example.org>: .*recipient suppressed by bounceguard (userunknown since' \
    "$T/pf/maillog"
ok $(grep -q 'dora@example.org' "$(ls -t "$T/sink"/* | head -1)" &&
    [ "$(ls "$T/sink" | wc -l)" = 5 ]; echo $?) "socketmap table: another recipient passes"

pf_stop_all
stop_milter
ok $([ "$MSTATUS" = 0 ]; echo $?) "milter stopped cleanly"
done_testing
