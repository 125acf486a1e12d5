#!/bin/sh
# security-verp-rcpt.t - junk to the VERP domain is refused at RCPT TO,
# before it reaches the pipe and its quarantine. The lookup socket's
# "verify" request (Exim) and "verp_recipient" socketmap table (Postfix
# check_recipient_access) refuse an address at verp_domain that is not a
# return path we signed (unsigned, badly signed, expired); a valid one,
# postmaster and abuse, and other domains pass. Then the same through a
# real, private Postfix MX configured as contrib/postfix/main.cf.mx says.
. "$BG_SRC/tests/lib/milter-env.sh"

write_conf "verp_max_age = 2d" "lookup_socket_group = postfix"
start_milter
ok $? "the daemon starts"

ask() { printf "$1" | "$LC" -s "$T/run/lookup.sock" 2>/dev/null; }
ns() { printf '%d:%s,' "${#1}" "$1"; }

good=$(ask 'verp bob@example.org\n')
expired=$($SEED encode bob@example.org $(($(date +%s) - 5 * 86400)) 2>/dev/null)
forged=$(echo "$good" | sed 's/^b-\(.\)/b-\1x/; s/^b-\(.\)x./b-\1x/')
[ "$forged" = "$good" ] && forged=$(echo "$good" | sed 's/^b-[a-z2-7]/b-a/')

while IFS='|' read -r req want; do
	got=$(ask "$req\n")
	ok $([ "$got" = "$want" ]; echo $?) "line: \"$req\" -> \"$want\"${got:+ (got \"$got\")}"
done <<TABLE
verify $good|ok
verify junk123@bounces.example.com|invalid unsigned
verify $forged|invalid bad-signature
verify postmaster@bounces.example.com|ok
verify abuse@Bounces.Example.COM|ok
verify anyone@example.org|ok
verify|error usage: check ADDRESS [SENDER] | verp ADDRESS | verify ADDRESS
TABLE
if [ -n "$expired" ]; then
	got=$(ask "verify $expired\n")
	ok $([ "$got" = "invalid expired" ]; echo $?) "line: an expired stamp -> invalid expired (got $got)"
else
	ok 1 "an expired VERP could be made with bg_seed encode"
fi

while IFS='|' read -r req want; do
	got=$(ask "$(ns "$req")")
	ok $([ "$got" = "$want" ]; echo $?) "socketmap: \"$req\"${got:+ -> \"$got\"}"
done <<TABLE
verp_recipient $good|9:NOTFOUND ,
verp_recipient junk123@bounces.example.com|83:OK 550 5.1.1 <junk123@bounces.example.com>: not a bounce address of ours (unsigned),
verp_recipient postmaster@bounces.example.com|9:NOTFOUND ,
verp_recipient bounces.example.com|9:NOTFOUND ,
verp_recipient anyone@example.org|9:NOTFOUND ,
TABLE
check "refusals are logged" grep -q "lookup: refuse recipient=<junk123@bounces.example.com> verp=unsigned" "$T/log"

# A real Postfix MX that receives bounces for the VERP domain.
for p in postfix swaks; do
	command -v $p > /dev/null 2>&1 || [ -x /usr/sbin/$p ] || {
		echo "# $p not installed: the Postfix part is skipped"
		done_testing
		exit $?
	}
done
PATH=$PATH:/usr/sbin
. "$BG_SRC/tests/lib/postfix-env.sh"
port=$(pf_port)
sinkport=$(pf_port)
pf_sink "$T/sink" "$sinkport"
pf_config "$T/pf" "$port" mx.test.example
cat >> "$T/pf/etc/main.cf" <<MAIN
relayhost = [127.0.0.1]:$sinkport
relay_domains = bounces.example.com
smtpd_recipient_restrictions =
    check_recipient_access socketmap:unix:$T/run/lookup.sock:verp_recipient
MAIN
pf_start "$T/pf" "$port"
ok $? "private Postfix MX on 127.0.0.1:$port"

# rcpt ADDRESS - the SMTP reply to RCPT TO for ADDRESS, from an outside
# client (a null sender, as bounces have)
rcpt() {
	swaks --server "127.0.0.1:$port" --from '<>' --to "$1" \
	    --quit-after RCPT 2>&1 |
	    awk '/^ *-> RCPT TO/ { getline; print $2; exit }'
}
got=$(rcpt junk999@bounces.example.com)
ok $([ "$got" = 550 ]; echo $?) "Postfix refuses junk to the VERP domain at RCPT TO (got $got)"
got=$(rcpt "$good")
ok $([ "$got" = 250 ]; echo $?) "and accepts a valid return path of ours (got $got)"
got=$(rcpt postmaster@bounces.example.com)
ok $([ "$got" = 250 ]; echo $?) "and postmaster (got $got)"
pf_stop_all
done_testing
