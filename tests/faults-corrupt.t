#!/bin/sh
# faults-corrupt.t - damaged store files: pages overwritten in the middle
# of addresses.db, a truncated addresses.db, a damaged log. "bounceguard
# db verify" reports each (exit 1, naming the file); the pipe, the
# administrator's tool and the milter fail with a clear message (the
# pipe with exit 75) and never crash; the restore procedure of the
# README (stop, move the store aside, copy a "db backup" into place)
# brings the store back, and the MTA's retries then record what was
# deferred exactly once.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"
ADMIN=$BG_BUILD/bounceguard
MILTER=$BG_BUILD/bounceguard-milter
MC=$BG_BUILD/bench/milter_client
write_config "event_log =
store_lock_timeout = 2s"
adm() { $AS_USER "$ADMIN" -c "$T/bounceguard.conf" "$@"; }
# crashed STATUS: killed by a signal (a crash), not an orderly exit
crashed() { [ "$1" -ge 128 ]; }
deliver() {
	hard_dsn "$1" "$2" > "$T/msg"
	run_pipe "$(verp "$1")" "$2" < "$T/msg"
}

# 300 addresses (addresses.db spans a few dozen pages), then a backup.
seq 1 300 | sed 's/^/u/; s/$/@example.org/' | verp - > "$T/verps"
i=1
while read -r v; do
	hard_dsn "u$i@example.org" "u$i" > "$T/msg"
	run_pipe "$v" "U$i" < "$T/msg"
	[ $rc = 0 ] || echo "u$i: exit $rc" >> "$T/setup.err"
	i=$((i + 1))
done < "$T/verps"
check "300 bounces recorded" test ! -e "$T/setup.err"
adm db backup "$T/backup" > "$T/out" 2>&1
ok $? "db backup"
[ -n "$AS_USER" ] && chown -R nobody:nogroup "$T/backup"
adm db verify > "$T/out" 2>&1
ok $? "db verify: a sound store passes"
# The pristine store, closed cleanly, to start each case from.
cp -a "$T/store" "$T/pristine"

# restore: the README's procedure (the daemons would be stopped first)
restore() {
	mv "$T/store" "$T/store.damaged.$1"
	cp -a "$T/backup" "$T/store"
	[ -n "$AS_USER" ] && chown -R nobody:nogroup "$T/store"
}
# fresh: start a case from the pristine store; the region files go, as
# after a reboot that a damaged disk survived, so no cache hides damage
fresh() {
	rm -rf "$T/store"
	cp -a "$T/pristine" "$T/store"
	rm -f "$T/store"/__db.*
}

# the checks every kind of damage gets; $1 names the case, $2 the file
damaged() {
	adm db verify > "$T/out" 2>&1
	vrc=$?
	ok $([ $vrc = 1 ] && grep -q "^bounceguard: db verify: .*$2" "$T/out"; echo $?) \
	    "$1: db verify exits 1 naming $2 (exit $vrc)"
	sed 's/^/# /' "$T/out" | cut -c1-200 | head -3
	# Every program: a clear message, never a crash.
	adm show u150@example.org > "$T/out" 2>&1
	src=$?
	r=$([ $src = 1 ] && grep -q "^bounceguard: .*store $T/store" "$T/out"; echo $?)
	ok $r "$1: show exits 1 with a message naming the store (exit $src)"
	# On standard error too, so that prove shows it without -v (CI).
	[ "$r" = 0 ] || sed 's/^/# show: /' "$T/out" | head -5 >&2
	adm dump > "$T/out" 2>&1
	drc=$?
	ok $(! crashed $drc && { [ $drc = 0 ] || grep -q "^bounceguard: .*store $T/store" "$T/out"; }; echo $?) \
	    "$1: dump fails cleanly or succeeds, no crash (exit $drc)"
	deliver u150@example.org "N$1"
	ok $([ $rc = 75 ] && tail -n 1 "$T/err" | grep -q "^bounceguard-pipe: .*store $T/store"; echo $?) \
	    "$1: a new bounce for a damaged address: exit 75, the reason on stderr (exit $rc)"
	tail -n 1 "$T/err" | cut -c1-200 | sed 's/^/# /'
	bad=0
	for a in 7 77 222; do
		deliver "u$a@example.org" "R$1$a"
		crashed $rc && bad=$((bad + 1))
	done
	ok $bad "$1: other deliveries never crash"
	if [ "$(id -u)" = 0 ] && [ -x "$MILTER" ] && [ -x "$MC" ]; then
		milter_case "$1"
	else
		n=$((n + 1)); echo "ok $n # skip $1: the milter needs root"
	fi
	restore "$1"
	adm db verify > "$T/out" 2>&1
	ok $? "$1: after the restore, db verify passes"
	deliver u150@example.org "N$1"
	ok $rc "$1: after the restore, the deferred bounce is recorded (exit $rc)"
	deliver u150@example.org "N$1"
	get u150@example.org > "$T/rec"
	ok $(grep -q action=duplicate "$T/err" && grep -q '^state=suppressed hard=2 ' "$T/rec"; echo $?) \
	    "$1: ... exactly once (a retry is a duplicate; u150 has its two bounces)"
	get u7@example.org > "$T/rec"
	check "$1: the backup's data is there" grep -q '^state=suppressed hard=1 ' "$T/rec"
}

# milter_case NAME: the milter on the damaged store follows on_store_error
milter_case() {
	# The sockets go in a directory of root's: root creates them, and
	# refuses a directory another user (here nobody owns $T) can change.
	R=$(mktemp -d /tmp/bg-milter-run.XXXXXX)
	chmod 755 "$R"
	cat > "$T/milter.conf" <<CONF
store_dir = $T/store
verp_domain = bounces.example.com
verp_secret_file = $T/verp.secret
milter_socket = unix:$R/milter.sock
lookup_socket = unix:$R/lookup.sock
pid_file = $R/milter.pid
outbound_networks = 10.1.0.0/16
user = nobody
store_lock_timeout = 2s
on_store_error = tempfail
CONF
	"$MILTER" -c "$T/milter.conf" -f > "$T/milter.log" 2>&1 &
	mpid=$!
	for _ in $(seq 1 200); do
		[ -S "$R/milter.sock" ] && grep -q starting "$T/milter.log" && break
		sleep 0.1
	done
	"$MC" -s "unix:$R/milter.sock" -C 10.1.2.3 -q MQ1 -f news@example.com \
	    -r u150@example.org > "$T/mc.out" 2>&1
	ok $(grep -q '^rcpt <u150@example.org> tempfail 451 4.3.0' "$T/mc.out" &&
	    grep -q 'MQ1: store error recipient=<u150@example.org> action=tempfail' "$T/milter.log"; echo $?) \
	    "$1: the milter answers 451 (on_store_error = tempfail) and logs the store error"
	kill -0 $mpid 2>/dev/null
	alive=$?
	kill -TERM $mpid 2>/dev/null
	wait $mpid
	mrc=$?
	ok $([ $alive = 0 ] && ! crashed $mrc; echo $?) "$1: the milter did not crash (exit $mrc)"
	grep 'store' "$T/milter.log" | head -2 | cut -c1-200 | sed 's/^/# /'
	rm -rf "$R"
}

# 1. Pages in the middle of addresses.db overwritten with garbage: every
# page that holds u150's record, wherever the records' size put it (a page
# split can leave an old copy in a page no longer in use, so the last one
# found need not be the live leaf), and the page after each.
fresh
size=$(stat -c %s "$T/store/addresses.db")
ats=$(grep -boa 'u150@example.org' "$T/store/addresses.db" | cut -d: -f1)
for at in ${ats:-$((size / 2))}; do
	dd if=/dev/urandom of="$T/store/addresses.db" bs=4096 \
	    seek=$((at / 4096)) count=2 conv=notrunc 2>/dev/null
done
damaged pages addresses.db

# 2. addresses.db cut to half its length.
fresh
truncate -s $(($(stat -c %s "$T/store/addresses.db") / 2)) "$T/store/addresses.db"
damaged truncated addresses.db

# 3. The log damaged in its middle, and recovery needed (a process died).
fresh
l=$(ls "$T/store"/log.* | tail -n 1)
dd if=/dev/urandom of="$l" bs=1 seek=30000 count=8192 conv=notrunc 2>/dev/null
rm -f "$T/store/__db.register"
adm db recover > "$T/out" 2>&1
drc=$?
ok $([ $drc = 1 ] && grep -q "^bounceguard: db recover: store $T/store: recovery failed" "$T/out"; echo $?) \
    "log: db recover cannot replay it: exit 1, says so (exit $drc)"
damaged log "past end of log"
done_testing
