#!/bin/sh
# metrics.t - "bounceguard stats --prometheus" on a store filled through the
# real store API and the real policy (bench/bg_seed: sends counted as the
# milter counts them, bounces recorded as the pipe records them): the exact
# numbers a user reads for each metric, label escaping, the "other" bucket
# of metrics_max_domains, "promtool check metrics" (Debian's prometheus
# package; skipped when missing), and the atomic --output / --textfile
# write: a new inode each time, no temporary file left, a concurrent
# reader never sees a partial file, a failed run leaves the old file, and
# the command line of contrib/systemd/bounceguard-metrics.service works.
set -u
: "${BG_SRC:?BG_SRC not set}"
: "${BG_BUILD:?BG_BUILD not set}"
BG=$BG_BUILD/bounceguard
SEED=$BG_BUILD/bench/bg_seed
T=$(mktemp -d /tmp/bg-metrics-XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
. "$BG_SRC/tests/lib/tap.sh"

if [ ! -x "$BG" ] || [ ! -x "$SEED" ]; then
	echo "1..0 # skip bounceguard or bench/bg_seed not built"
	exit 0
fi

if [ "$(id -u)" = 0 ]; then
	USER_NAME=nobody
	AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
else
	USER_NAME=$(id -un)
	AS_USER=""
fi

mkdir -p "$T/store" "$T/q/new" "$T/q/cur" "$T/q/tmp" "$T/textfile"
[ -n "$AS_USER" ] && chown -R nobody "$T/store" "$T/q"
CONF=$T/bg.conf
cat > "$CONF" <<CONF
store_dir = $T/store
quarantine_dir = $T/q
user = $USER_NAME
shipped_rules_dir = $BG_SRC/rules
rules_dir =
health_warning_rate = 2%
health_critical_rate = 5%
metrics_max_domains = 2
metrics_textfile_dir = $T/textfile
CONF

# seed ARGS...: bg_seed on the store, as its owner
seed() {
	$AS_USER "$SEED" -c "$CONF" "$@" || fail "bg_seed $*"
}
# prom [CONF]: the metrics, without comments; $rc, $out, $err
prom() {
	"$BG" -c "${1:-$CONF}" stats --prometheus >"$T/out" 2>"$T/err"
	rc=$?
	out=$(grep -v '^#' "$T/out")
	err=$(cat "$T/err")
}
# val METRIC{LABELS}: the value of one sample of $out ("" when absent)
val() {
	printf '%s\n' "$out" | awk -v s="$1" '$1 == s { print $2 }'
}

# ---- the data: what the milter and the pipe would have recorded ----
seed count-sent big.example 200
seed count-sent mid.example 100
seed count-sent small.example 10
seed count-sent tiny.example 4
for a in a1 a2 a3; do seed bounce "$a@big.example" userunknown; done
seed bounce s1@big.example mailboxfull failed "" 2	# soft, under the limit
seed bounce b1@big.example blocked			# block
seed bounce d1@big.example mailboxfull delayed		# a delay notice
seed bounce r1@mid.example toomanyconn			# retry
seed bounce c1@mid.example feedback failed news.example
seed bounce c2@mid.example feedback failed news.example
seed bounce h1@small.example hostunknown
seed bounce c3@small.example feedback failed 'shop.example'
seed bounce c4@tiny.example feedback			# sender unknown
seed bounce c5@tiny.example feedback failed 'we"ird\dom'
"$BG" -c "$CONF" suppress m1@manual.example --reason 'free text, "quoted"' >/dev/null 2>&1
"$BG" -c "$CONF" suppress m2@manual.example --scope news.example >/dev/null 2>&1
head -c 100 /dev/zero > "$T/q/new/1.a"
head -c 250 /dev/zero > "$T/q/new/2.b"
head -c 50 /dev/zero > "$T/q/cur/3.c:2,S"
head -c 999 /dev/zero > "$T/q/tmp/4.d"	# being written: not counted

prom
cp "$T/out" "$T/first"
is "stats --prometheus: exit 0" "$rc" 0
is "stats --prometheus: nothing on stderr" "$err" ""

# ---- sent and bounces: the two largest domains, the rest in "other" ----
is "sent: big.example" "$(val 'bounceguard_sent_total{domain="big.example"}')" 200
is "sent: mid.example" "$(val 'bounceguard_sent_total{domain="mid.example"}')" 100
is "sent: small and tiny added up in other" "$(val 'bounceguard_sent_total{domain="other"}')" 14
is "sent: no series for a folded domain" "$(val 'bounceguard_sent_total{domain="small.example"}')" ""
is "sent: exactly three series" "$(printf '%s\n' "$out" | grep -c '^bounceguard_sent_total')" 3
b() { val "bounceguard_bounces_total{domain=\"$1\",type=\"$2\"}"; }
is "bounces: big.example by type (hard soft block retry complaint other)" \
    "$(b big.example hard) $(b big.example soft) $(b big.example block) $(b big.example retry) $(b big.example complaint) $(b big.example other)" \
    "3 2 1 0 0 1"
is "bounces: mid.example by type" \
    "$(b mid.example hard) $(b mid.example soft) $(b mid.example block) $(b mid.example retry) $(b mid.example complaint) $(b mid.example other)" \
    "0 0 0 1 2 0"
is "bounces: other by type" \
    "$(b other hard) $(b other soft) $(b other block) $(b other retry) $(b other complaint) $(b other other)" \
    "1 0 0 0 3 0"

# ---- health over the last 7 days, as "bounceguard stats" judges it ----
is "ratio: big.example 6/200" "$(val 'bounceguard_domain_bounce_ratio{domain="big.example"}')" 0.03
is "ratio: mid.example 1/100 (a retry is a bounce)" "$(val 'bounceguard_domain_bounce_ratio{domain="mid.example"}')" 0.01
is "ratio: other 1/14" "$(val 'bounceguard_domain_bounce_ratio{domain="other"}')" 0.0714286
is "health: big.example warning (3%)" "$(val 'bounceguard_domain_health{domain="big.example"}')" 1
is "health: mid.example healthy (1%)" "$(val 'bounceguard_domain_health{domain="mid.example"}')" 0
is "health: other critical (7.14%)" "$(val 'bounceguard_domain_health{domain="other"}')" 2
"$BG" -c "$CONF" stats >"$T/table"
is "health agrees with bounceguard stats" \
    "$(awk -F '\t' '$1 == "big.example" || $1 == "mid.example" { print $1 "=" $10 }' "$T/table" | tr '\n' ' ')" \
    "big.example=warning mid.example=healthy "

# ---- complaints per sender domain, escaped label values ----
is "complaints: news.example" "$(val 'bounceguard_complaints_total{sender_domain="news.example"}')" 2
is "complaints: shop.example" "$(val 'bounceguard_complaints_total{sender_domain="shop.example"}')" 1
is "complaints: sender domain unknown" "$(val 'bounceguard_complaints_total{sender_domain="unknown"}')" 1
is "complaints: quote and backslash escaped" "$(printf '%s\n' "$out" | grep -F 'sender_domain="we\"ird\\dom"}')" 'bounceguard_complaints_total{sender_domain="we\"ird\\dom"} 1'

# ---- suppressions, addresses, quarantine, store ----
s() { val "bounceguard_suppressions{reason=\"$1\",scope=\"$2\"}"; }
is "suppressions: userunknown, global" "$(s userunknown global)" 3
is "suppressions: hostunknown, global" "$(s hostunknown global)" 1
is "suppressions: complaints per sender domain" "$(s feedback news.example) $(s feedback shop.example) $(s feedback global)" "2 1 1"
is "suppressions: manual ones by source, never their free text" "$(s manual global) $(s manual news.example)" "1 1"
is "suppressions: no soft, block or retry suppression" "$(s mailboxfull global)$(s blocked global)$(s toomanyconn global)" ""
is "suppressions: eight series" "$(printf '%s\n' "$out" | grep -c '^bounceguard_suppressions')" 8
is "addresses in the store" "$(val bounceguard_addresses)" 15
is "quarantined messages (new/ and cur/, not tmp/)" "$(val bounceguard_quarantined_messages)" 3
is "quarantine size in bytes" "$(val bounceguard_quarantine_size_bytes)" 400
is "store size of domains.db" "$(val 'bounceguard_store_size_bytes{file="domains.db"}')" "$(stat -c %s "$T/store/domains.db")"
like "store size of the logs" "$(val 'bounceguard_store_size_bytes{file="log"}')" '^[1-9][0-9]*$'
now=$(date +%s)
ts=$(val bounceguard_metrics_generated_timestamp_seconds)
if [ -n "$ts" ] && [ $((now - ts)) -ge 0 ] && [ $((now - ts)) -lt 60 ]; then
	pass "generation timestamp is now"
else
	fail "generation timestamp is now (got $ts, now $now)"
fi
is "every family has HELP and TYPE" \
    "$(grep -c '^# HELP' "$T/out") $(grep -c '^# TYPE' "$T/out")" "11 11"
is "counters end in _total" \
    "$(grep '^# TYPE .* counter$' "$T/out" | awk '$3 !~ /_total$/' )" ""

# ---- promtool, as Prometheus would lint it ----
if command -v promtool >/dev/null 2>&1; then
	lint=$(promtool check metrics < "$T/out" 2>&1)
	is "promtool check metrics: exit 0" "$?" 0
	is "promtool check metrics: no complaint" "$lint" ""
else
	skip "promtool not installed (apt-get install prometheus)"
	skip "promtool not installed (apt-get install prometheus)"
fi

# ---- metrics_max_domains = 0: every domain, no other ----
sed 's/^metrics_max_domains = 2$/metrics_max_domains = 0/' "$CONF" > "$T/all.conf"
prom "$T/all.conf"
is "max_domains 0: every domain has its series" \
    "$(printf '%s\n' "$out" | grep '^bounceguard_sent_total' | sed 's/.*domain="\([^"]*\)".*/\1/' | tr '\n' ' ')" \
    "big.example mid.example small.example tiny.example "
is "max_domains 0: no health for a domain nothing was sent to" "$(val 'bounceguard_domain_health{domain="manual.example"}')" ""

# ---- --output: atomic replacement ----
OUT=$T/textfile/out.prom
"$BG" -c "$CONF" stats --prometheus --output "$OUT" 2>"$T/err"
is "--output: exit 0" "$?" 0
is "--output: the same metrics as stdout" "$(grep -v '_timestamp_seconds ' "$OUT")" "$(grep -v '_timestamp_seconds ' "$T/first")"
is "--output: readable by node_exporter (0644)" "$(stat -c %a "$OUT")" 644
ino1=$(stat -c %i "$OUT")
"$BG" -c "$CONF" stats --prometheus --output "$OUT"
ino2=$(stat -c %i "$OUT")
if [ "$ino1" != "$ino2" ]; then pass "--output: replaced by a rename (new inode)"
else fail "--output: replaced by a rename (inode $ino1 both times)"; fi
is "--output: no temporary file left" "$(ls -A "$T/textfile")" "out.prom"
lines=$(wc -l < "$OUT")
# A reader racing with 40 rewrites sees a whole file every time.
(for i in $(seq 40); do "$BG" -c "$CONF" stats --prometheus --output "$OUT"; done; touch "$T/done") &
writer=$!
reads=0 partial=0
while [ ! -e "$T/done" ]; do
	got=$(cat "$OUT")
	reads=$((reads + 1))
	if [ "$(printf '%s\n' "$got" | wc -l)" != "$lines" ] ||
	    ! printf '%s\n' "$got" | tail -n 1 | grep -q '^bounceguard_metrics_generated_timestamp_seconds '; then
		partial=$((partial + 1))
	fi
done
wait "$writer"
is "--output: $reads concurrent reads, none saw a partial file" "$partial" 0
is "--output: still no temporary file" "$(ls -A "$T/textfile")" "out.prom"

# A failed run (unreadable quarantine) leaves the previous file alone.
cp "$OUT" "$T/before"
chmod 000 "$T/q"
"$BG" -c "$CONF" stats --prometheus --output "$OUT" >/dev/null 2>"$T/err"
rc=$?
chmod 755 "$T/q"
# (as root the metrics are gathered as the configured user, who cannot
# read it either)
is "failed run: exit 1" "$rc" 1
is "failed run: the error names the directory" "$(cat "$T/err")" "bounceguard: stats: cannot read quarantine directory $T/q: Permission denied"
is "failed run: the old file is untouched" "$(cmp -s "$OUT" "$T/before" && echo same)" same
is "failed run: no temporary file left" "$(ls -A "$T/textfile")" "out.prom"
"$BG" -c "$CONF" stats --prometheus --output "$T/missing/x.prom" 2>"$T/err"
is "--output into a missing directory: exit 1" "$?" 1
is "--output into a missing directory: says why" "$(cat "$T/err")" "bounceguard: stats: cannot create a temporary file for $T/missing/x.prom: No such file or directory"

# ---- the systemd unit's command line, with metrics_textfile_dir ----
cmd=$(sed -n 's/^ExecStart=//p' "$BG_SRC/contrib/systemd/bounceguard-metrics.service")
like "unit: runs stats --prometheus --textfile" "$cmd" '^/usr/local/sbin/bounceguard stats --prometheus --textfile$'
rm -f "$OUT"
# shellcheck disable=SC2086
BOUNCEGUARD_CONFIG=$CONF "$BG" ${cmd#/usr/local/sbin/bounceguard }
is "unit: exit 0" "$?" 0
is "unit: writes bounceguard.prom in metrics_textfile_dir" "$(ls -A "$T/textfile")" "bounceguard.prom"
is "unit: the metrics are there" "$(grep -c '^bounceguard_sent_total' "$T/textfile/bounceguard.prom")" 3
like "timer: runs it every minute" "$(cat "$BG_SRC/contrib/systemd/bounceguard-metrics.timer")" 'OnUnitActiveSec=1min'

# ---- usage errors ----
U='(usage: bounceguard stats [--days N] [--json | --prometheus [--output FILE | --textfile]])'
usage() {
	want=$1
	shift
	"$BG" -c "$CONF" stats "$@" >"$T/out" 2>"$T/err"
	is "usage: stats $* (exit 2)" "$?" 2
	is "usage: stats $* (message)" "$(cat "$T/err")" "$want"
}
usage "bounceguard: --json and --prometheus exclude each other $U" --json --prometheus
usage "bounceguard: --output needs --prometheus $U" --output x.prom
usage "bounceguard: --textfile needs --prometheus $U" --textfile
usage "bounceguard: --output and --textfile exclude each other $U" --prometheus --output x.prom --textfile
usage "bounceguard: empty --output file name $U" --prometheus --output ''

echo "1..$n"
[ "$failed" = 0 ]
