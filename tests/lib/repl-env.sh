# repl-env.sh - three replication sites on loopback (sourced).
#
# Each site N (1..3) has its own directory $T/sN with a store, a run
# directory and a configuration $T/sN/bounceguard.conf listening on
# 127.0.0.1:$((BASE + N)); all share the VERP and replication secrets.
# start_site N / kill_site N start and SIGKILL a site's milter, which is
# its replication process; pipe N and admin N run the programs there.

: "${BG_SRC:?BG_SRC not set}"
: "${BG_BUILD:?BG_BUILD not set}"
MILTER=$BG_BUILD/bounceguard-milter
PIPE=$BG_BUILD/bounceguard-pipe
ADMIN=$BG_BUILD/bounceguard
TOOL=$BG_BUILD/bench/bg_storetool
n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"
		case $2 in *"# TODO"*) ;; *) failed=$((failed + 1)) ;; esac
	fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() { echo "1..$n"; [ "$failed" = 0 ]; }

[ "$(id -u)" = 0 ] || skip_all "must run as root (the milter drops privileges)"
for f in "$MILTER" "$PIPE" "$ADMIN" "$TOOL"; do
	[ -x "$f" ] || skip_all "$f not built"
done
id bounceguard >/dev/null 2>&1 ||
    useradd -r -s /usr/sbin/nologin -d /nonexistent bounceguard ||
    skip_all "cannot create the bounceguard user"
AS_USER="setpriv --reuid=bounceguard --regid=bounceguard --clear-groups"

T=$(mktemp -d /tmp/bg-repl.XXXXXX) || exit 1
chmod 755 "$T"
# Ports: a random base, so that parallel runs do not collide, below the
# kernel's ephemeral ports (32768 and up): a site that restarts must find
# its port free, not taken by some outgoing connection.
BASE=$(( 20000 + ($$ % 1200) * 10 ))
printf 'replication test secret 0123456789abcdef\n' > "$T/repl.secret"
printf 'verp test secret 0123456789abcdef\n' > "$T/verp.secret"
chown bounceguard "$T/repl.secret" "$T/verp.secret"
chmod 600 "$T/repl.secret" "$T/verp.secret"
declare -A MPID

addr() { echo "127.0.0.1:$((BASE + $1))"; }

# write_site N [LINES] - the site's directories and configuration
write_site() {
	s=$1; shift
	d=$T/s$s
	mkdir -p "$d/store" "$d/run" "$d/quarantine"
	chown bounceguard "$d/store" "$d/quarantine"
	peers=""
	for p in 1 2 3; do
		[ "$p" = "$s" ] || peers="$peers${peers:+, }$(addr "$p")"
	done
	cat > "$d/bounceguard.conf" <<CONF
store_dir = $d/store
quarantine_dir = $d/quarantine
user = bounceguard
verp_domain = bounces.example.com
verp_secret_file = $T/verp.secret
shipped_rules_dir = $BG_SRC/rules
rules_dir =
milter_socket = unix:$d/run/milter.sock
lookup_socket = unix:$d/run/lookup.sock
pid_file = $d/run/milter.pid
store_lock_timeout = 2s
repl_local = $(addr "$s")
repl_peers = $peers
repl_secret_file = $T/repl.secret
repl_priority = $((100 - s))
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$d/bounceguard.conf"
	return 0
}

# start_site N - the site's milter (its replication process)
start_site() {
	d=$T/s$1
	"$MILTER" -c "$d/bounceguard.conf" -f >> "$d/log" 2>&1 &
	MPID[$1]=$!
}

# kill_site N [SIGNAL] - stop the site's milter; one that has not
# stopped 20 s after the signal is SIGKILLed (and said so on stderr)
kill_site() {
	[ -n "${MPID[$1]:-}" ] || return 0
	kill "-${2:-TERM}" "${MPID[$1]}" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "${MPID[$1]}" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "${MPID[$1]}" 2>/dev/null; then
		echo "# site $1's milter did not stop on SIG${2:-TERM}: SIGKILL" >&2
		[ -n "${REPL_TEST_GDB:-}" ] && gdb -p "${MPID[$1]}" -batch \
		    -ex "thread apply all bt" 2>/dev/null | grep -E '^#|^Thread' |
		    grep -v 'pthread_cond\|futex' >&2
		kill -KILL "${MPID[$1]}" 2>/dev/null
	fi
	wait "${MPID[$1]}" 2>/dev/null
	MPID[$1]=
}

cleanup() {
	for s in 1 2 3; do kill_site "$s"; done
	[ -n "${KEEP:-}" ] && { rm -rf "$KEEP"; cp -a "$T" "$KEEP"; }
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

conf() { echo "$T/s$1/bounceguard.conf"; }
admin() { s=$1; shift; "$ADMIN" -c "$(conf "$s")" "$@"; }
status() { admin "$1" db status 2>/dev/null; }
role() { status "$1" | sed -n '1s/.* role=\([a-z]*\).*/\1/p'; }
master_of() { status "$1" | sed -n '1s/.* master=\([^ ]*\).*/\1/p'; }
verp() { "$TOOL" verp "$(conf 1)" "$1"; }

# pipe N VERP QID < message: exit status in $rc
pipe() {
	$AS_USER "$PIPE" -c "$(conf "$1")" -r "$2" -s "" -q "$3" \
	    2>>"$T/pipe.err" >/dev/null
	rc=$?
}

# names_master SITE MASTER SECONDS - db status on SITE names MASTER as its
# master; a started milter learns its connection to the master within a
# second or two, and db status says master=none until then
names_master() {
	nm_end=$(( $(date +%s) + $3 ))
	until status "$1" | grep -q "role=client master=$(addr "$2")"; do
		[ "$(date +%s)" -lt "$nm_end" ] || return 1
		sleep 0.3
	done
}

# wait_master SECONDS - some site is master and every running site knows it
wait_master() {
	end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		m=""
		for s in 1 2 3; do
			[ -n "${MPID[$s]:-}" ] || continue
			[ "$(role "$s")" = master ] && m=$s
		done
		if [ -n "$m" ]; then
			agree=1
			for s in 1 2 3; do
				[ -n "${MPID[$s]:-}" ] || continue
				[ "$(master_of "$s")" = "$(addr "$m")" ] || agree=0
			done
			[ "$agree" = 1 ] && { MASTER=$m; return 0; }
		fi
		sleep 0.2
	done
	return 1
}

# dumps_agree SECONDS - every running site's dump --json is the same
dumps_agree() {
	end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		same=1
		for s in 1 2 3; do
			[ -n "${MPID[$s]:-}" ] || continue
			admin "$s" dump --json > "$T/dump.$s" 2>/dev/null || same=0
		done
		for s in 2 3; do
			[ -n "${MPID[$s]:-}" ] || continue
			cmp -s "$T/dump.1" "$T/dump.$s" || same=0
		done
		[ "$same" = 1 ] && return 0
		sleep 0.2
	done
	return 1
}

. "$BG_SRC/tests/lib/dsn.sh"
hard_dsn() { dsn "$1" 5.1.1 "550 5.1.1 <$1>: Recipient address rejected: User unknown" failed "$2"; }
