#!/bin/sh
# faults-pipe.t - bounceguard-pipe when the store cannot be written: a
# full file system (a small tmpfs mounted for the test), a file system
# too small even for the store's shared regions, a read-only file system,
# an unwritable database file, and a store locked by another process.
# Each time: exit 75 with the reason on stderr, nothing half-written in
# the store, and the MTA's retry after the fault is cleared records the
# bounce exactly once.
set -u
. "$BG_SRC/tests/lib/pipe-env.sh"
ADMIN=$BG_BUILD/bounceguard

# once ADDRESS: the address has one hard bounce and one history event
once() {
	get "$1" > "$T/rec" 2>&1
	grep -q '^state=suppressed hard=1 ' "$T/rec" &&
	    [ "$(grep -c '^event type=hard ' "$T/rec")" = 1 ]
}
# none ADDRESS: nothing recorded for the address
none() { get "$1" 2>&1 | grep -q '^state=none$'; }
# deliver ADDRESS QUEUE-ID: a hard bounce for the address (same message
# for the same queue id, as an MTA's retry)
deliver() {
	hard_dsn "$1" "$2" > "$T/msg"
	run_pipe "$(verp "$1")" "$2" < "$T/msg"
}

# A locked store: another process holds the address's write lock.
deliver first@example.org L0
ok $rc "the store works (exit $rc)"
$AS_USER "$TOOL" hold "$T/bounceguard.conf" busy@example.org 5 > "$T/hold" &
holder=$!
while ! grep -q held "$T/hold" 2>/dev/null; do sleep 0.1; done
deliver busy@example.org L1
ok $([ $rc = 75 ]; echo $?) "store locked: exit 75 (got $rc)"
check "store locked: says so on stderr" grep -q '^bounceguard-pipe: .*locked by another process past store_lock_timeout' "$T/err"
wait $holder
check "store locked: nothing recorded" none busy@example.org
deliver busy@example.org L1
ok $rc "lock released: the retry exits 0"
check "lock released: recorded exactly once" once busy@example.org

# An unwritable database file (a wrong owner after a restore, say).
chmod 444 "$T/store/addresses.db"
deliver perm@example.org P1
ok $([ $rc = 75 ]; echo $?) "addresses.db not writable: exit 75 (got $rc)"
check "addresses.db not writable: the file is named" grep -q "^bounceguard-pipe: store $T/store: open \"addresses.db\": Permission denied" "$T/err"
chmod 660 "$T/store/addresses.db"
check "addresses.db not writable: nothing recorded" none perm@example.org
deliver perm@example.org P1
ok $rc "writable again: the retry exits 0"
check "writable again: recorded exactly once" once perm@example.org

if ! mount -t tmpfs -o size=8m,mode=0755 tmpfs "$T/store" 2>/dev/null; then
	n=$((n + 1))
	echo "ok $n # skip the file system faults: cannot mount a tmpfs (needs root)"
	done_testing
	exit
fi
trap 'umount "$T/store" 2>/dev/null; rm -rf "$T"' EXIT
[ -n "$AS_USER" ] && chown nobody:nogroup "$T/store"
write_config "store_cache_size = 1M"

# A file system too small for the shared regions (about 14 MB): Berkeley
# DB maps them sparse, and touching a page with no block behind it
# raises SIGBUS; the pipe still exits 75 and says why.
deliver tiny@example.org T1
ok $([ $rc = 75 ]; echo $?) "store on an 8 MB file system: exit 75, not a crash (got $rc)"
check "store on an 8 MB file system: says the file system is full" grep -q 'file system holding store_dir is full' "$T/err"
sed 's/^/# /' "$T/err"
mount -o remount,size=40m "$T/store"
deliver tiny@example.org T1
ok $rc "file system grown to 40 MB: the retry exits 0"
check "file system grown: recorded exactly once" once tiny@example.org

# Disk full: fill the file system, then deliver five bounces.
dd if=/dev/zero of="$T/store/filler" bs=64k 2>/dev/null
avail=$(df -k "$T/store" | awk 'NR == 2 { print $4 }')
ok $([ "$avail" = 0 ]; echo $?) "the file system is full (${avail} KB free)"
# A commit may still fit in a block the log already has: such a delivery
# exits 0 and is recorded; the others must exit 75 and leave nothing.
: > "$T/deferred"
bad=0
for i in 1 2 3 4 5; do
	deliver "full$i@example.org" "F$i"
	case $rc in
	0) once "full$i@example.org" || bad=$((bad + 1)) ;;
	75) echo "$i" >> "$T/deferred"; cp "$T/err" "$T/err.full" ;;
	*) bad=$((bad + 1)); echo "# full$i: exit $rc" ;;
	esac
done
deferred=$(wc -l < "$T/deferred")
ok $bad "disk full: each delivery exits 75, or 0 when its commit fit"
ok $([ "$deferred" -ge 3 ]; echo $?) "disk full: $deferred of 5 deliveries deferred"
check "disk full: the reason is the deferral reason (last line on stderr)" sh -c "tail -n 1 '$T/err.full' | grep -q '^bounceguard-pipe: not recorded: store .*No space left on device'"
tail -n 1 "$T/err.full" | sed 's/^/# /'
bad=0
for i in $(cat "$T/deferred"); do none "full$i@example.org" || bad=$((bad + 1)); done
ok $bad "disk full: nothing of the deferred bounces was recorded ($bad were)"
rm -f "$T/store/filler"
$AS_USER "$ADMIN" -c "$T/bounceguard.conf" db verify > "$T/verify" 2>&1
ok $? "disk full: db verify finds no damage afterwards"
bad=0
for i in 1 2 3 4 5; do
	deliver "full$i@example.org" "F$i"
	[ $rc = 0 ] || bad=$((bad + 1))
done
ok $bad "space freed: the five retries exit 0"
bad=0
for i in 1 2 3 4 5; do
	deliver "full$i@example.org" "F$i"
	grep -q action=duplicate "$T/err" || bad=$((bad + 1))
	once "full$i@example.org" || bad=$((bad + 1))
done
ok $bad "space freed: each recorded exactly once (a further retry is a duplicate)"

# A read-only file system.
mount -o remount,ro "$T/store"
deliver ro@example.org R1
ok $([ $rc = 75 ]; echo $?) "read-only file system: exit 75 (got $rc)"
check "read-only file system: says so" grep -q '^bounceguard-pipe: store .*Read-only file system' "$T/err"
mount -o remount,rw "$T/store"
check "read-only file system: nothing recorded" none ro@example.org
deliver ro@example.org R1
ok $rc "writable again: the retry exits 0"
check "writable again: recorded exactly once" once ro@example.org
umount "$T/store"
done_testing
