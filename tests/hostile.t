#!/bin/sh
# hostile.t - hostile messages through bounceguard-pipe (as the MTA runs
# it) and "bounceguard parse": a 50 MB message, 10,000 MIME parts, MIME
# nested 1,000 deep, a 1 MB header line, invalid UTF-8 and NUL bytes, a
# diagnostic crafted to make regular expressions backtrack, 100,000
# recipients in one DSN; and a million MIME parts or two million header
# fields in a message under max_message_size. Each must end within a fixed time (a watchdog:
# timeout) and peak memory (the maximum resident set size, which stays
# meaningful under ASan, unlike a virtual memory limit), with the exit
# status, log line and quarantine outcome the documentation promises.
# The messages are generated here (tests/lib/hostile-gen.pl), not kept.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"
BG=$BG_BUILD/bounceguard
GEN="perl $BG_SRC/tests/lib/hostile-gen.pl"

if [ ! -x /usr/bin/time ] || ! command -v timeout >/dev/null; then
	echo "1..0 # SKIP needs /usr/bin/time (package time) and timeout"
	exit 0
fi

# Bounds: generous against the figures measured (README, "Limits"), far
# below what the unbounded parser took (1.3 GB for a 7 MB message of tiny
# parts). ASan's shadow memory and quarantine need more room.
WATCHDOG=20
if grep -q __asan_init "$BG_BUILD/bounceguard-pipe"; then
	MAX_KB=500000
else
	MAX_KB=100000
fi

# A rule that backtracks catastrophically on the crafted diagnostic; only
# the "backtrack" case uses this rule directory.
mkdir "$T/rules.slow"
printf '%s\n' 'blocked	refines=any	/^(\w+\s?)+$/' 'blocked	refines=any	/(a|aa)+$/' \
    > "$T/rules.slow/99-slow.rules"
[ -n "$AS_USER" ] && chown -R nobody:nogroup "$T/rules.slow"

# measured COMMAND...: run under the watchdog; exit status in $rc, wall
# time and peak RSS (kB) in $secs and $kb
measured() {
	timeout -k 5 $WATCHDOG /usr/bin/time -f '%e %M' -o "$T/time" "$@"
	rc=$?
	secs=-1 kb=-1
	line=$(tail -n 1 "$T/time" 2>/dev/null)
	case $line in
	[0-9]*' '[0-9]*) secs=${line% *} kb=${line#* } ;;
	esac
}

# bounded NAME WHAT: the run finished within the watchdog and the memory
# bound; prints the figures for the README
bounded() {
	ok $([ "$rc" != 124 ] && [ "$rc" != 137 ]; echo $?) \
	    "$1 $2: finished within ${WATCHDOG}s (took ${secs}s)"
	ok $([ "$kb" -gt 0 ] && [ "$kb" -le $MAX_KB ]; echo $?) \
	    "$1 $2: peak RSS ${kb} kB <= $MAX_KB kB"
	echo "# measured: $1 $2 ${secs}s ${kb}kB"
}

# pipe KIND: generate the message and deliver it through the pipe
pipe() {
	v=$(verp "$1@example.org")
	$GEN "$1" "$1@example.org" > "$T/$1.eml"
	chmod 644 "$T/$1.eml"
	measured $AS_USER "$PIPE" -e -c "$T/bounceguard.conf" -r "$v" -s "" \
	    -q "Q$1" < "$T/$1.eml" 2>"$T/err" >"$T/out"
	bounded "$1" pipe
	ok $rc "$1 pipe: exit 0"
}

# parse KIND: "bounceguard parse --json" on the generated message
parse() {
	measured "$BG" -c "$T/bounceguard.conf" parse --json "$T/$1.eml" \
	    >"$T/out" 2>"$T/err"
	bounded "$1" parse
}

logged() { check "$1: logged: $2" grep -q -- "$2" "$T/err"; }
recorded() {
	check "$1: recorded" sh -c "$AS_USER $TOOL get $T/bounceguard.conf \
	    $1@example.org | grep -q '^state=suppressed hard=1 '"
}
json_ok() {
	check "$1: the output is valid JSON" perl -MJSON::PP -e '
	    my $n = 0;
	    while (<STDIN>) { JSON::PP->new->utf8->decode($_); $n++ }
	    exit($n > 0 ? 0 : 1)' < "$T/out"
}

# 50 MB: not parsed; its first quarantine_message_max bytes (256K) kept
# after a header giving the whole size; a warning; exit 0 after the
# quarantine.
pipe big
logged big "warning: Qbig: message larger than max_message_size=10485760: not parsed"
whole=$(wc -c < "$T/big.eml")
head_line="X-Bounceguard-Truncated: kept 262144 of $whole bytes"
logged big "Qbig: quarantine reason=too-big recipient=<.*> file=$T/quarantine/new/.* size=$((${#head_line} + 1 + 262144))"
f=$(ls "$T"/quarantine/new/*Qbig_P* 2>/dev/null)
head -c 262144 "$T/big.eml" > "$T/big.head"
check "big: the quarantined copy is the message's first 256K after a header giving its size" \
    sh -c "[ \"\$(head -n 1 '$f')\" = '$head_line' ] &&
	tail -n +2 '$f' | cmp -s - '$T/big.head'"
parse big
ok $([ $rc = 1 ]; echo $?) "big parse: exit 1, the file is not parsed (got $rc)"
logged "big parse" "big.eml: larger than max_message_size=10485760: not parsed"
rm -f "$T/big.eml" "$T/big.head" "$f"

# 10,000 MIME parts after the report: the report is read, the rest not.
pipe parts
recorded parts
logged parts "Qparts: bounce recipient=<parts@example.org> reason=userunknown"
logged parts "warning: Qparts: parse limit: parse_max_parts=500 reached"
parse parts
ok $rc "parts parse: exit 0"
check "parts parse: the recipient" grep -q '"recipient":"parts@example.org"' "$T/out"
logged "parts parse" "parts.eml: warning: parse limit: parse_max_parts=500 reached"

# Nested 1,000 deep with the report innermost: nothing usable within the
# limits, so quarantined.
pipe deep
logged deep "warning: Qdeep: parse limit: .*parse_max_depth=20 reached"
logged deep "Qdeep: quarantine reason=parse-limit"
check "deep: nothing recorded" sh -c "$AS_USER $TOOL get $T/bounceguard.conf deep@example.org | grep -qx 'state=none'"
parse deep
ok $rc "deep parse: exit 0"
check "deep parse: no output" test ! -s "$T/out"
logged "deep parse" "deep.eml: not a bounce"
logged "deep parse" "deep.eml: warning: parse limit: .*parse_max_depth=20 reached"

# A 1 MB Subject: line and a 1 MB diagnostic line.
pipe longhdr
recorded longhdr
logged longhdr "Qlonghdr: bounce recipient=<longhdr@example.org> reason=userunknown type=hard"
parse longhdr
ok $rc "longhdr parse: exit 0"
json_ok longhdr
check "longhdr parse: the diagnostic is cut at 1000 bytes" perl -MJSON::PP -ne '
    my $d = JSON::PP->new->utf8->decode($_)->{diagnostic};
    exit(length($d) <= 1000 && $d =~ /^550 5\.1\.1/ ? 0 : 1)' "$T/out"

# Invalid UTF-8 and NUL bytes in the headers, report and DSN fields.
pipe binary
recorded binary
logged binary "Qbinary: bounce recipient=<binary@example.org> reason=userunknown type=hard"
check "binary: the event log line is valid JSON" perl -MJSON::PP -ne '
    $n++, JSON::PP->new->utf8->decode($_) if /binary\@example/;
    END { exit($n ? 0 : 1) }' "$T/events.jsonl"
parse binary
ok $rc "binary parse: exit 0"
json_ok binary

# A diagnostic made to backtrack, with rules that do: the match limits
# stop them, the status code still classifies, and a warning says so.
write_config "rules_dir = $T/rules.slow"
pipe backtrack
recorded backtrack
logged backtrack "warning: Qbacktrack: parse limit: a rule reached rule_match_limit or rule_depth_limit"
parse backtrack
ok $rc "backtrack parse: exit 0"
check "backtrack parse: classified by its status" grep -q '"reason":"userunknown"' "$T/out"
logged "backtrack parse" "backtrack.eml: warning: parse limit: a rule reached rule_match_limit"
write_config

# 100,000 recipients in one DSN: the first parse_max_recipients are taken.
pipe rcpts
recorded rcpts
logged rcpts "warning: Qrcpts: parse limit: parse_max_recipients=1000 reached, at least [0-9]* more recipients ignored"
parse rcpts
ok $rc "rcpts parse: exit 0"
check "rcpts parse: 1000 recipients" test "$(wc -l < "$T/out")" = 1000
json_ok rcpts

# Under max_message_size but costly to build: a million empty MIME parts
# or two million header fields before the report (without the limits,
# 1.3 GB and 1 GB of memory and 7 s each). GMime is given the message
# only up to the limits, so the report is not reached: quarantined.
for k in tiny fields; do
	[ $k = tiny ] && lim=parse_max_parts=500 || lim=parse_max_headers=10000
	pipe $k
	logged $k "warning: Q$k: parse limit: $lim reached"
	logged $k "Q$k: quarantine reason=parse-limit"
	parse $k
	ok $rc "$k parse: exit 0"
	logged "$k parse" "$k.eml: warning: parse limit: $lim reached"
done

# The limits are the configuration's.
write_config "parse_max_recipients = 10"
parse rcpts
check "rcpts parse, parse_max_recipients = 10: 10 recipients" test "$(wc -l < "$T/out")" = 10
logged "rcpts parse" "parse_max_recipients=10 reached"
done_testing
