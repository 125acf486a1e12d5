#!/bin/sh
# lookup.t - the milter daemon's lookup socket: the line protocol for
# Exim's ${readsocket}, Postfix's socketmap protocol, malformed and
# oversized requests, silent clients, and many clients at once.
. "$BG_SRC/tests/lib/milter-env.sh"

write_conf
$SEED suppress jane@example.org userunknown
$SEED suppress sue@example.org complaint example.com
start_milter
ok $? "the daemon starts"
ok $([ -S "$T/run/lookup.sock" ] && [ "$(stat -c %a "$T/run/lookup.sock")" = 660 ]; echo $?) \
    "lookup socket created, mode 0660"

# ask REQUEST-BYTES - the answer to one connection's requests
ask() {
	printf "$1" | "$LC" -s "$T/run/lookup.sock" 2>/dev/null
}

# Line protocol: table of request, expected answer.
while IFS='|' read -r req want; do
	got=$(ask "$req\n")
	ok $([ "$got" = "$want" ]; echo $?) "line: \"$req\" -> \"$want\"${got:+ (got \"$got\")}"
done <<'TABLE'
check jane@example.org|suppressed userunknown
CHECK Jane@Example.ORG|suppressed userunknown
check bob@example.org|ok
check sue@example.org news@example.com|suppressed complaint
check sue@example.org news@other.example|ok
check sue@example.org|ok
check not-an-address|error bad address: no @domain
check|error usage: check ADDRESS [SENDER] | verp ADDRESS | verify ADDRESS
check a@b.example c@d.example extra|error usage: check ADDRESS [SENDER] | verp ADDRESS | verify ADDRESS
verp|error usage: check ADDRESS [SENDER] | verp ADDRESS | verify ADDRESS
frobnicate x|error unknown command
|error empty request
TABLE
got=$(ask 'verp Bob@Example.org\n')
check "line: verp answers a signed VERP that decodes to the address" \
    sh -c "$SEED decode '$got' | grep -qx 'valid bob@example.org'"
got=$(ask 'check jane@example.org\r\ncheck bob@example.org\nverp bob@example.org\n' | head -2 | tr '\n' ' ')
ok $([ "$got" = "suppressed userunknown ok " ]; echo $?) \
    "line: several requests on one connection, CRLF accepted ($got)"

# Socketmap: netstrings.
ns() { printf '%d:%s,' "${#1}" "$1"; }
while IFS='|' read -r req want; do
	got=$(ask "$(ns "$req")")
	ok $([ "$got" = "$want" ]; echo $?) "socketmap: \"$req\"${got:+ -> \"$got\"}"
done <<TABLE
suppressed jane@example.org|99:OK 550 5.1.1 <jane@example.org>: recipient suppressed by bounceguard (userunknown since $(date -u +%Y-%m-%d)),
suppressed bob@example.org|9:NOTFOUND ,
suppressed example.org|9:NOTFOUND ,
suppressed jane@|9:NOTFOUND ,
suppressed sue@example.org|9:NOTFOUND ,
nosuchmap jane@example.org|75:PERM unknown table name (use suppressed, verp, verp_recipient or transport),
nospace|43:PERM malformed request: expected "NAME KEY",
TABLE
got=$(ask "$(ns 'verp bob@example.org')")
check "socketmap: verp answers OK and a valid VERP" \
    sh -c "$SEED decode '$(echo "$got" | sed 's/^[0-9]*:OK \(.*\),$/\1/')' | grep -qx 'valid bob@example.org'"
got=$(ask "$(ns 'suppressed bob@example.org')$(ns 'suppressed jane@example.org')")
ok $(echo "$got" | grep -q '^9:NOTFOUND ,99:OK 550'; echo $?) "socketmap: two requests on one connection"

# Malformed and oversized input: an error, the connection ends, the
# daemon lives on.
got=$(ask '3:abcd,')
ok $([ "$got" = "24:PERM malformed netstring," ]; echo $?) "socketmap: wrong length -> PERM ($got)"
got=$(ask '12x:abc,')
ok $([ "$got" = "24:PERM malformed netstring," ]; echo $?) "socketmap: bad length digits -> PERM ($got)"
got=$(ask '99999999:abc,')
ok $([ "$got" = "21:PERM request too long," ]; echo $?) "socketmap: huge length -> PERM ($got)"
got=$(ask '5:abc,')
ok $([ -z "$got" ]; echo $?) "socketmap: truncated request, then EOF -> no answer, connection closed"
head -c 5000 /dev/zero | tr '\0' 'x' > "$T/big"
got=$("$LC" -s "$T/run/lookup.sock" < "$T/big" 2>/dev/null)
ok $([ "$got" = "error request too long" ]; echo $?) "line: 5000 bytes without newline -> error"
(printf 'check a@b.example'; head -c 3000 /dev/zero | tr '\0' 'y'; printf '\n') > "$T/big"
got=$("$LC" -s "$T/run/lookup.sock" < "$T/big" 2>/dev/null)
ok $([ "$got" = "error request too long" ]; echo $?) "line: 3000-byte line -> error"
printf 'check a@b.example\0x\n' > "$T/nul"
got=$("$LC" -s "$T/run/lookup.sock" < "$T/nul" 2>/dev/null)
ok $([ "$got" = "error NUL in request" ]; echo $?) "line: NUL byte -> error"
head -c 20000 /dev/urandom > "$T/junk"
"$LC" -s "$T/run/lookup.sock" < "$T/junk" > /dev/null 2>&1
check "random bytes: the daemon survives" kill -0 "$MPID"
got=$(ask 'check bob@example.org\n')
ok $([ "$got" = ok ]; echo $?) "and still answers"

# A silent client is disconnected after the timeout (10 s).
: | "$LC" -k -s "$T/run/lookup.sock" 2> "$T/idle" > /dev/null
secs=$(sed -n 's/closed after \([0-9]*\).*/\1/p' "$T/idle")
ok $([ "${secs:-99}" -ge 9 ] && [ "${secs:-99}" -le 12 ]; echo $?) \
    "a silent client is disconnected after the timeout (${secs}s)"

# Many clients at once, with a silent one holding a connection open.
: | "$LC" -k -s "$T/run/lookup.sock" > /dev/null 2>&1 &
"$LC" -s "$T/run/lookup.sock" -p 32 -n 32000 -R 'user%u@example.org' -u 1000 > "$T/load"
ok $? "32 clients, 32000 requests at once, every answer whole: $(cat "$T/load")"

# Monitor mode answers ok, and logs.
cp "$CONF" "$T/good.conf"
echo "mode = monitor" >> "$CONF"
reload_milter
ok $([ "$(ask 'check jane@example.org\n')" = ok ]; echo $?) "monitor mode: line protocol answers ok"
ok $([ "$(ask "$(ns 'suppressed jane@example.org')")" = "9:NOTFOUND ," ]; echo $?) \
    "monitor mode: socketmap answers NOTFOUND"
check "monitor mode: logged" grep -q 'lookup: reject recipient=<jane@example.org> reason=userunknown scope=global mode=monitor' "$T/log"

# Store unavailable.
sed "s|^store_dir = .*|store_dir = $T/missing|" "$T/good.conf" > "$CONF"
echo "on_store_error = tempfail" >> "$CONF"
reload_milter
ok $([ "$(ask 'check jane@example.org\n')" = "tempfail store unavailable" ]; echo $?) \
    "store unavailable, tempfail: line protocol says tempfail"
ok $([ "$(ask "$(ns 'suppressed jane@example.org')")" = "22:TEMP store unavailable," ]; echo $?) \
    "store unavailable, tempfail: socketmap says TEMP"

stop_milter
ok $([ "$MSTATUS" = 0 ]; echo $?) "stops cleanly with clients connected (exit $MSTATUS)"
wait
done_testing
