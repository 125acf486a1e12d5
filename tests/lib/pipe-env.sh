# pipe-env.sh - shared set-up for the bounceguard-pipe tests (sourced).
#
# Creates a private directory with a configuration, a VERP secret, a store
# and a quarantine; provides TAP helpers, message generators and
# run_pipe, which runs the pipe as an unprivileged user (the pipe refuses
# to run as root).

: "${BG_SRC:?BG_SRC not set}"
: "${BG_BUILD:?BG_BUILD not set}"
PIPE=$BG_BUILD/bounceguard-pipe
TOOL=$BG_BUILD/bench/bg_storetool
T=$(mktemp -d /tmp/bg-pipe-XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir "$T/store" "$T/rules.d"
n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
	d=$1; shift
	if "$@" >/dev/null 2>&1; then ok 0 "$d"; else ok 1 "$d"; fi
}
done_testing() { echo "1..$n"; [ "$failed" = 0 ]; }

# The pipe refuses root: tests run it as nobody when they are root.
if [ "$(id -u)" = 0 ]; then
	AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	chown -R nobody:nogroup "$T"
else
	AS_USER=""
fi

write_config() {
	cat > "$T/bounceguard.conf" <<CONF
store_dir = $T/store
quarantine_dir = $T/quarantine
verp_domain = bounces.example.com
verp_secret_file = $T/verp.secret
shipped_rules_dir = $BG_SRC/rules
rules_dir = $T/rules.d
local_hostnames = mx.example.com
event_log = $T/events.jsonl
store_lock_timeout = 1s
CONF
	# The pipe runs as nobody (AS_USER); so does the admin tool's work.
	[ -n "$AS_USER" ] && echo "user = nobody" >> "$T/bounceguard.conf"
	# Each argument line "key = value" replaces the key's line.
	printf '%s\n' "$*" | while IFS= read -r line; do
		[ -n "$line" ] || continue
		sed -i "/^${line%% =*} =/d" "$T/bounceguard.conf"
		printf '%s\n' "$line" >> "$T/bounceguard.conf"
	done
}
write_config
printf 'test secret for the pipe tests 0123456789\n' > "$T/verp.secret"
chmod 640 "$T/verp.secret"
[ -n "$AS_USER" ] && chown nobody:nogroup "$T/verp.secret" "$T/bounceguard.conf"

verp() { "$TOOL" verp "$T/bounceguard.conf" "$@"; }
get() { $AS_USER "$TOOL" get "$T/bounceguard.conf" "$1"; }

# run_pipe VERP QUEUE_ID < message: exit status in $rc, stderr in $T/err
run_pipe() {
	$AS_USER "$PIPE" -e -c "$T/bounceguard.conf" -r "$1" -s "" -q "$2" \
	    2>"$T/err" >"$T/out"
	rc=$?
}

. "$BG_SRC/tests/lib/dsn.sh"

hard_dsn() { dsn "$1" 5.1.1 "550 5.1.1 <$1>: Recipient address rejected: User unknown in virtual mailbox table" failed "$2"; }
full_dsn() { dsn "$1" 5.2.2 "552 5.2.2 <$1>: Mailbox full" failed "$2"; }
