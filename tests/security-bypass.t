#!/bin/sh
# security-bypass.t - issue 18, item 7: a permitted sender (here a
# client in outbound_networks) tries to reach a suppressed address by
# spelling it differently (a quoted local part, a trailing dot, quoted
# pairs, a source route, upper case) or by claiming a return path in the
# VERP domain as its sender. Driven through the real milter over its
# socket (bench/milter_client.c), as Postfix drives it; every spelling is
# refused like the plain address, an unsigned VERP-domain sender no
# longer exempts the message, and a validly signed one is not stamped
# again but its recipients are still checked. Administrators' spellings
# are normalised the same way.
. "$BG_SRC/tests/lib/milter-env.sh"

ADMIN=$BG_BUILD/bounceguard
write_conf
$SEED suppress ceo@victim.example userunknown
echo "leak:libdb-5.3.so" > "$T/lsan.supp"
LSAN_OPTIONS=suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
export LSAN_OPTIONS
start_milter
ok $? "the milter starts"

# refused ADDRESS-AS-SENT DESCRIPTION - RCPT TO is refused like the plain address
refused() {
	mc -C 10.1.2.3 -f news@example.com -r "$1" -r bob@example.org > "$T/o"
	ok $(grep -q "^rcpt <.*> reject 550 5.1.1 <ceo@victim.example>: recipient suppressed by bounceguard (userunknown since" "$T/o" &&
	    grep -qx 'rcpt <bob@example.org> continue' "$T/o"; echo $?) "$2"
	[ -n "${VERBOSE:-}" ] && sed 's/^/# /' "$T/o"
}

refused 'ceo@victim.example' "the plain address is refused"
refused '"ceo"@victim.example' "a quoted local part (\"ceo\"@victim.example) is refused like the plain address"
refused 'ceo@victim.example.' "a trailing dot (ceo@victim.example.) is refused like the plain address"
refused '"c\eo"@VICTIM.example.' "quoted pairs, upper case and a trailing dot together are refused"
refused '@relay.example,@mx.example:ceo@victim.example' "a source route (@relay.example,@mx.example:ceo@...) is refused"
check "the refusal is logged with the address in the store's form" grep -q \
    'reject recipient=<ceo@victim.example> reason=userunknown' "$T/log"

# Quoted local parts that are not dot-atoms are other mailboxes.
mc -C 10.1.2.3 -f news@example.com -r '"ceo x"@victim.example' > "$T/o"
check "a quoted local part with a space is another address: accepted" \
    grep -qx 'rcpt <"ceo x"@victim.example> continue' "$T/o"

# A sender in the VERP domain without a valid signature exempts nothing:
# the recipient is refused and the rest of the message is stamped.
forged=b-aaaaaaaa-aaaa-mallory=evil.example@bounces.example.com
mc -C 10.1.2.3 -f "$forged" -r ceo@victim.example -r bob@example.org > "$T/o"
ok $(grep -q '^rcpt <ceo@victim.example> reject 550 ' "$T/o"; echo $?) \
    "a forged, unsigned VERP-domain sender: the suppressed recipient is refused"
verp=$(verp_of "$T/o")
ok $([ -n "$verp" ] && [ "$verp" != "$forged" ] &&
    $SEED decode "$verp" | grep -qx 'valid bob@example.org'; echo $?) \
    "and the message is stamped with our own signed VERP ($verp)"
mc -C 10.1.2.3 -f "bounces@bounces.example.com" -r ceo@victim.example > "$T/o"
check "any other address in the VERP domain: refused too" \
    grep -q '^rcpt <ceo@victim.example> reject 550 ' "$T/o"

# A validly signed VERP sender (anyone who received our mail can read
# one): not stamped again, but no way around a suppression either.
good=$($SEED decode "$verp" > /dev/null && echo "$verp")
mc -C 10.1.2.3 -f "$good" -r '"ceo"@victim.example.' -r bob@example.org > "$T/o"
ok $(grep -q '^rcpt <.*> reject 550 5.1.1 <ceo@victim.example>' "$T/o" &&
    grep -qx 'rcpt <bob@example.org> continue' "$T/o" && ! grep -q chgfrom "$T/o"; echo $?) \
    "a signed VERP sender: not stamped again, the suppressed recipient still refused"

# The administrator's spellings are normalised the same way.
stop_milter
admin() {
	setpriv --reuid=bounceguard --regid=bounceguard --clear-groups \
	    "$ADMIN" -c "$CONF" "$@"
}
admin suppress '"Boss"@Victim.Example.' --reason "left" > "$T/o" 2>&1
ok $? "bounceguard suppress '\"Boss\"@Victim.Example.': accepted"
admin show boss@victim.example > "$T/o" 2>&1
check "stored under boss@victim.example" grep -q '^state: suppressed' "$T/o"
start_milter
mc -C 10.1.2.3 -f news@example.com -r 'boss@victim.example' > "$T/o"
check "the milter refuses the plain form of it" grep -q '^rcpt <boss@victim.example> reject 550 ' "$T/o"
done_testing
