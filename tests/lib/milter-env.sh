# milter-env.sh - shared set-up for the bounceguard-milter tests; sourced.
#
# Gives: T (a private directory, removed at exit), CONF, MC (the milter
# client), LC (the lookup client), SEED (bg_seed, run as the bounceguard
# user), ok/check/skip_all for TAP, write_conf EXTRA-LINES, start_milter,
# stop_milter, reload_milter, and mc ARGS (the milter client on our
# socket). Everything started is stopped by the exit trap.
set -u
: "${BG_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BG_BUILD:=$BG_SRC/build}"
MILTER=$BG_BUILD/bounceguard-milter
MC=$BG_BUILD/bench/milter_client
LC=$BG_BUILD/bench/lookup_client
n=0
failed=0
MPID=

# ok STATUS DESCRIPTION - one TAP line
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# check DESCRIPTION COMMAND... - a TAP line from a command's status
check() {
	d=$1; shift
	"$@" >/dev/null 2>&1
	ok $? "$d"
}

# skip_all REASON - skip the whole test file
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# done_testing - the plan, and the status
done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

[ "$(id -u)" = 0 ] || skip_all "must run as root (the milter drops privileges)"
for f in "$MILTER" "$MC" "$LC" "$BG_BUILD/bench/bg_seed"; do
	[ -x "$f" ] || skip_all "$f not built"
done
id bounceguard >/dev/null 2>&1 ||
    useradd -r -s /usr/sbin/nologin -d /nonexistent bounceguard ||
    skip_all "cannot create the bounceguard user"

T=$(mktemp -d /tmp/bg-milter-test.XXXXXX) || exit 1
chmod 755 "$T"
mkdir "$T/store" "$T/run"
chown bounceguard "$T/store"
CONF=$T/bounceguard.conf
SEED="setpriv --reuid=bounceguard --regid=bounceguard --clear-groups $BG_BUILD/bench/bg_seed -c $CONF"

# stop_milter - stop the daemon we started, and wait for it
stop_milter() {
	if [ -n "$MPID" ]; then
		kill -TERM "$MPID" 2>/dev/null
		wait "$MPID" 2>/dev/null
		MSTATUS=$?
		MPID=
	fi
}

cleanup() {
	command -v pf_stop_all > /dev/null 2>&1 && pf_stop_all
	[ -n "${KEEP_LOG:-}" ] && cp "$T/log" "$KEEP_LOG"
	stop_milter
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$T/secret"
echo >> "$T/secret"
chown bounceguard "$T/secret"
chmod 600 "$T/secret"

# write_conf [LINES] - the test configuration, plus extra lines
write_conf() {
	cat > "$CONF" <<CONF
store_dir = $T/store
verp_domain = bounces.example.com
verp_secret_file = $T/secret
milter_socket = unix:$T/run/milter.sock
lookup_socket = unix:$T/run/lookup.sock
pid_file = $T/run/milter.pid
outbound_networks = 10.1.0.0/16
outbound_daemons = ORIGINATING
outbound_sender_domains = corp.example
store_lock_timeout = 2s
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$CONF"
	return 0
}

# start_milter - start the daemon in the foreground, wait for its sockets
start_milter() {
	: > "$T/log"
	"$MILTER" -c "$CONF" -f >> "$T/log" 2>&1 &
	MPID=$!
	for _ in $(seq 1 50); do
		[ -S "$T/run/milter.sock" ] && grep -q starting "$T/log" &&
		    return 0
		sleep 0.1
	done
	return 1
}

# reload_milter - SIGUSR1, and wait for the outcome in the log
reload_milter() {
	before=$(grep -c 'reload: \(configuration reloaded\|.*keeping\)' "$T/log")
	kill -USR1 "$MPID"
	for _ in $(seq 1 50); do
		now=$(grep -c 'reload: \(configuration reloaded\|.*keeping\)' "$T/log")
		[ "$now" -gt "$before" ] && return 0
		sleep 0.1
	done
	return 1
}

# mc ARGS - the milter client on our socket
mc() {
	"$MC" -s "unix:$T/run/milter.sock" "$@"
}

# verp_of OUTPUT-FILE - the address of the chgfrom line
verp_of() {
	sed -n 's/^eom chgfrom <\(.*\)>$/\1/p' "$1"
}
