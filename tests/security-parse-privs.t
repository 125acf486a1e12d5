#!/bin/sh
# security-parse-privs.t - "bounceguard parse" is how administrators read
# quarantined mail, which anyone can have sent; run as root it parsed it
# as root, so a parser bug would have been a root compromise. Now, as
# root, the files are read by a process that keeps root only for that,
# and parsed by a child running as the configured user: shown by the
# uids of the two processes while parse waits for its input, by a file
# only root can read being parsed all the same, and by a user that does
# not exist stopping it before anything is parsed.
set -u
: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
BG=$BG_BUILD/bounceguard
n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root: the test is about parse run as root"
	exit 0
fi
T=$(mktemp -d /tmp/bg-parse-privs.XXXXXX) || exit 1
trap 'exec 3>&- 2>/dev/null; rm -rf "$T"' EXIT INT TERM
chmod 755 "$T"
cat > "$T/bg.conf" <<CONF
shipped_rules_dir = $BG_SRC/rules
rules_dir = $T/none
user = nobody
CONF
nobody_uid=$(id -u nobody)
fixture=$BG_SRC/tests/fixtures/postfix-userunknown.eml

# A file only root can read is read (by the root process) and parsed.
cp "$fixture" "$T/root-only.eml"
chmod 600 "$T/root-only.eml"
"$BG" -c "$T/bg.conf" parse --json "$T/root-only.eml" > "$T/out" 2> "$T/err"
ok $? "a file only root can read: exit 0"
grep -q '"recipient":"jane@example.org".*"reason":"userunknown"' "$T/out"
ok $? "and it is parsed"

# While parse waits for its standard input, the reading process is root
# and the parsing process is the configured user.
mkfifo "$T/fifo"
"$BG" -c "$T/bg.conf" parse --json - < "$T/fifo" > "$T/out2" 2> "$T/err2" &
pid=$!
exec 3> "$T/fifo"
child=
for _ in $(seq 1 50); do
	child=$(pgrep -P "$pid" | head -1)
	[ -n "$child" ] && break
	sleep 0.1
done
parent_uid=$(awk '/^Uid:/ { print $3 }' "/proc/$pid/status" 2>/dev/null)
child_uid=$(awk '/^Uid:/ { print $3 }' "/proc/$child/status" 2>/dev/null)
ok $([ "$parent_uid" = 0 ]; echo $?) "the reading process runs as root (uid $parent_uid)"
ok $([ -n "$child" ] && [ "$child_uid" = "$nobody_uid" ]; echo $?) \
    "the parsing process runs as the configured user nobody (uid ${child_uid:-none}, want $nobody_uid)"
child_gid=$(awk '/^Gid:/ { print $3 }' "/proc/$child/status" 2>/dev/null)
child_groups=$(awk '/^Groups:/ { print $2 }' "/proc/$child/status" 2>/dev/null)
ok $([ "$child_gid" = "$(id -g nobody)" ] && [ -z "$child_groups" -o "$child_groups" = "$(id -g nobody)" ]; echo $?) \
    "with nobody's group and no supplementary groups of root's (gid $child_gid, groups ${child_groups:-none})"
cat "$fixture" >&3
exec 3>&-
wait "$pid"
ok $? "parse of the standard input: exit 0"
grep -q '"recipient":"jane@example.org"' "$T/out2"
ok $? "and it is parsed"

# A user that does not exist: nothing is parsed, exit 1, the reason said.
sed -i 's/^user = nobody$/user = no-such-user-bg/' "$T/bg.conf"
"$BG" -c "$T/bg.conf" parse --json "$fixture" > "$T/out3" 2> "$T/err3"
rc=$?
ok $([ $rc = 1 ] && [ ! -s "$T/out3" ]; echo $?) "an unknown user: exit 1 and no output (exit $rc)"
grep -q 'parse: cannot switch to user no-such-user-bg to parse' "$T/err3"
ok $? "and stderr says why"
echo "1..$n"
exit $failed
