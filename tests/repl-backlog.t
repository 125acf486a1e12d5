#!/bin/bash
# repl-backlog.t - three replication sites on loopback: a client that fell
# so far behind that the master removed the log files it needs catches up
# by internal init (a copy of the whole store), in two ways:
#  A. "host down": the client's milter is stopped while the master takes a
#     backlog of more than one log file; started again, it converges and
#     is a client of the master.
#  B. "handle dead": the client's milter keeps running with its databases
#     open but is frozen (SIGSTOP) during such a backlog; resumed, Berkeley
#     DB replaces its store under its open handles (DB_REP_HANDLE_DEAD,
#     which the milter answers by reopening them), and its lookup socket
#     then answers from the new copy: an address suppressed during the
#     freeze is refused there.
# The product issue requires that a host that was down catches up, also
# after a large backlog; before this test only a site's first start was an
# internal init. A log catch-up would not test it: each case asserts the
# master removed the log file the client was in.
#
# Berkeley DB 5.3 (source) removes log files only when the master starts a
# new one (DB_LOG_AUTO_REMOVE), keeps those that a connected client still
# needs, and blocks removal for 30 s after the master loses its connection
# to a client, and after each page or log request of an internal init
# (DB_REGENV_TIMEOUT; "Repmgr: bust connection. Block archive" with
# BOUNCEGUARD_REPL_DEBUG=1): so each case makes a backlog, waits out that
# block, and adds log until the file is gone.
. "$BG_SRC/tests/lib/repl-env.sh"

LC=$BG_BUILD/bench/lookup_client
[ -x "$LC" ] || skip_all "$LC not built"
# A frozen milter must be resumed before the cleanup's SIGTERM.
trap 'for p in "${MPID[@]}"; do kill -CONT "$p" 2>/dev/null; done; cleanup' EXIT

# About 550 bytes of log per imported address. Berkeley DB's log files are
# 10 MiB by default (20,000 addresses each); the sites here use 1 MiB log
# files (set_lg_max in DB_CONFIG, the store directory's Berkeley DB
# settings file, read when the environment is made), so that 2,500
# addresses fill one: the same behaviour at a tenth of the load, which on
# two cores once made a client call an election under a busy master.
CHUNK=${REPL_BACKLOG_CHUNK:-2500}
t_start=$(date +%s)
[ -n "${REPL_DEBUG_ALL:-}" ] && export BOUNCEGUARD_REPL_DEBUG=1
for s in 1 2 3; do write_site "$s"; done
for s in 1 2 3; do
	echo "set_lg_max 1048576" > "$T/s$s/store/DB_CONFIG"
	chown bounceguard "$T/s$s/store/DB_CONFIG"
done
for s in 1 2 3; do start_site "$s"; done
wait_master 30
ok $? "the three sites elect a master"
m=$MASTER c=$(( MASTER % 3 + 1 ))
d=$(( c % 3 + 1 ))
echo "# master site $m, test subject site $c, other client site $d"

ask() { printf 'check %s\n' "$2" | "$LC" -s "$T/s$1/run/lookup.sock" 2>/dev/null; }
now() { date +%s; }
# lognum SITE first|last - the number of a site's first or last log file
lognum() {
	f=$(cd "$T/s$1/store" && ls log.* 2>/dev/null | sort)
	if [ "$2" = first ]; then f=${f%%$'\n'*}; else f=${f##*$'\n'}; fi
	echo $(( 10#${f#log.} ))
}
has_log() { [ -e "$T/s$1/store/$(printf 'log.%010d' "$2")" ]; }
# import_new SITE TAG COUNT - import COUNT new addresses TAG-N@backlog.example.org
import_new() {
	f=$T/import.$2
	{ printf 'address\treason\n'
	  seq 1 "$3" | awk -v p="$2" '{ printf "%s-%d@backlog.example.org\tlist\n", p, $1 }'
	} > "$f"
	chown bounceguard "$f"
	admin "$1" import "$f" >/dev/null 2>>"$T/import.err"
}
# backlog_until_gone N SINCE TAG - more backlog on the master until it has
# removed log file N: once 31 s have passed since SINCE (the loss of the
# connection: Berkeley DB's block on removal), each round adds a log file.
# Gives up after 60 s.
imported=0
backlog_until_gone() {
	end=$(( $(now) + 60 )) round=0
	while has_log "$m" "$1" && [ "$(now)" -lt "$end" ]; do
		if [ $(( $(now) - $2 )) -lt "${REPL_BACKLOG_BLOCK:-31}" ]; then sleep 1; continue; fi
		round=$((round + 1))
		import_new "$m" "$3-more$round" "$CHUNK" && imported=$((imported + CHUNK))
	done
	! has_log "$m" "$1"
}

# Every site has data.
admin "$m" suppress early@example.org --reason "before" >/dev/null 2>&1
ok $? "suppress on the master succeeds"
admin "$c" suppress early-c@example.org --reason "before" >/dev/null 2>&1
ok $? "suppress on the test subject (forwarded) succeeds"
dumps_agree 20
ok $? "every site's dump --json is identical"

# Case A: the client is down while the master takes a large backlog.
cfile=$(lognum "$c" last)
kill_site "$c" TERM
t_down=$(now)
imported=0
import_new "$m" a "$CHUNK" && imported=$CHUNK
ok $? "with the client down, the master imports $CHUNK new addresses"
backlog_until_gone "$cfile" "$t_down" a
ok $? "the master removed log file $cfile, the one the stopped client was in (first log now $(lognum "$m" first), $imported addresses, $(( $(now) - t_down )) s)"
echo "# backlog A: $imported addresses, $(du -sm "$T/s$m/store" | cut -f1) MB in the master's store"
want=$(( $(admin "$m" dump --json 2>/dev/null | wc -l) ))
logA=$(wc -l < "$T/s$c/log")
start_site "$c"
t0=$(now) t0_a=$(now)
dumps_agree 60
ok $? "started again, the client converges ($want addresses on the master)"
echo "# case A: catching up took $(( $(now) - t0 )) s"
ok $(( $(wc -l < "$T/dump.$c") != want )) "the client has every address ($(wc -l < "$T/dump.$c"))"
names_master "$c" "$m" 10
ok $? "db status on the client names the master ($(status "$c" | head -1))"
tail -n +"$((logA + 1))" "$T/s$c/log" | grep 'repl event=' | sed 's/^/# client log: /'
tail -n +"$((logA + 1))" "$T/s$c/log" | grep -q "repl event=init_done site=$(addr "$c")"
ok $? "the client's milter logged repl event=init_done (an internal init, not a log catch-up)"
# The restarted milter serves its sockets once it knows its master: after
# this internal init, with the master idle, Berkeley DB announces neither a
# new master nor the end of the start-up, and the milter used to wait its
# full 30 s (repl event=waiting) before serving anything.
r=1
until [ "$(now)" -ge $(( t0 + 45 )) ]; do
	case $(ask "$c" early@example.org) in suppressed*) r=0; break ;; esac
	sleep 0.5
done
ok $(( r != 0 || $(now) - t0 > 10 )) "the restarted client's lookup socket answers within 10 s of its start (took $(( $(now) - t0 )) s)"

# Case B: the client's milter is frozen with its databases open.
case $(ask "$c" early@example.org) in suppressed*) r=0 ;; *) r=1 ;; esac
ok $r "the client's lookup socket refuses a suppressed address (its handles are open)"
case $(ask "$c" frozen@backlog.example.org) in ok*) r=0 ;; *) r=1 ;; esac
ok $r "and accepts the address about to be suppressed"
cfile=$(lognum "$c" last)
for s in 1 2 3; do logB[$s]=$(wc -l < "$T/s$s/log"); done
kill -STOP "${MPID[$c]}"
t_stop=$(now)
admin "$m" suppress frozen@backlog.example.org --reason "during the freeze" >/dev/null 2>&1
ok $? "with the client frozen, a suppress on the master succeeds (the other client acknowledges)"
imported=0
import_new "$m" b "$CHUNK" && imported=$CHUNK
ok $? "and so does an import of $CHUNK new addresses"
# Case A's internal init blocked removal too (each page or log request of
# an init does, for 30 s): wait that out rather than pile up backlog that
# the frozen client's full connection would slow (Berkeley DB then waits
# for its output queue to drain before it drops messages to it).
backlog_until_gone "$cfile" "$t0_a" b
ok $? "the master removed log file $cfile, the one the frozen client was in ($imported addresses, frozen $(( $(now) - t_stop )) s)"
want=$(( $(admin "$m" dump --json 2>/dev/null | wc -l) ))
kill -CONT "${MPID[$c]}"
t0=$(now)
dumps_agree 60
ok $? "resumed, the client converges ($want addresses on the master)"
echo "# case B: catching up took $(( $(now) - t0 )) s"
kill -0 "${MPID[$c]}" 2>/dev/null
ok $? "the client's milter is still running"
r=1
for _ in $(seq 1 20); do
	case $(ask "$c" frozen@backlog.example.org) in suppressed*) r=0; break ;; esac
	sleep 0.5
done
ok $r "its lookup socket refuses the address suppressed during the freeze ($(ask "$c" frozen@backlog.example.org))"
case $(ask "$c" b-7@backlog.example.org) in suppressed*) r=0 ;; *) r=1 ;; esac
ok $r "and one imported during the freeze"
case $(ask "$c" nobody@example.org) in ok*) r=0 ;; *) r=1 ;; esac
ok $r "and still accepts one that is not suppressed"
since() { tail -n +"$(( ${logB[$1]} + 1 ))" "$T/s$1/log"; }
since "$c" | grep 'repl event=\|store ' | sed 's/^/# client log: /'
# Seen once in seven runs: the other client elected itself during the freeze
# (DUPMASTER; the old master became a client), and the test subject then
# caught up from the new master's log without an internal init. The
# user-observable checks above hold either way; the two below are then TODO.
todo=""
for s in 1 2 3; do
	since "$s" | grep -q "repl event=elected" && todo=" # TODO site $s was elected during the freeze (dupmaster)"
done
[ -n "$todo" ] && for s in 1 2 3; do since "$s" | grep 'repl event=elected\|repl event=dupmaster\|repl event=role' | sed "s/^/# site $s log: /"; done
since "$c" | grep -q "repl event=init_done site=$(addr "$c")"
ok $? "the client's milter logged repl event=init_done after it was resumed$todo"
since "$c" | grep -q "repl event=handle_dead .*action=reopen\|store opened:"
ok $? "the client's milter reopened its databases (repl event=handle_dead) or its store$todo"
wait_master 20
ok $? "the group has one master (site ${MASTER:-none})"
names_master "$c" "$MASTER" 10
ok $? "db status on the client names it"
echo "# whole test: $(( $(now) - t_start )) s"
done_testing
