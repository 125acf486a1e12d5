#!/bin/sh
# admin.t - every bounceguard command against a real store: what the user
# sees on stdout and stderr, the exit status, every usage error, the
# export -> import round trip, a hot backup, recovery after SIGKILL, and
# the commands running while other processes (suppress loops, and
# bounceguard-pipe when built) write to the store.
set -u
: "${BG_SRC:?BG_SRC not set}"
: "${BG_BUILD:?BG_BUILD not set}"
BG=$BG_BUILD/bounceguard
PIPE=$BG_BUILD/bounceguard-pipe
FILL=$BG_BUILD/bench/bench_admin_fill
T=$(mktemp -d /tmp/bg-admin-XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
. "$BG_SRC/tests/lib/tap.sh"

if [ "$(id -u)" = 0 ]; then
	USER_NAME=nobody
	AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
else
	USER_NAME=$(id -un)
	AS_USER=""
fi

# mkstore NAME [EXTRA CONFIG LINES]: a store directory and its configuration
mkstore() {
	mkdir -p "$T/$1/store" "$T/$1/q"
	[ -n "$AS_USER" ] && chown nobody "$T/$1" "$T/$1/store" "$T/$1/q"
	name=$1
	shift
	printf '%s\n' "$*" | grep -v '^$' > "$T/$name.conf"
	while read -r key value; do
		grep -q "^$key " "$T/$name.conf" || echo "$key $value" >> "$T/$name.conf"
	done <<CONF
store_dir = $T/$name/store
quarantine_dir = $T/$name/q
user = $USER_NAME
verp_domain = bounces.example.com
verp_secret_file = $T/secret
shipped_rules_dir = $BG_SRC/rules
rules_dir =
local_hostnames = mx.example.com
CONF
}

sh "$BG_SRC/build-aux/make-secret.sh" "$T/secret" >/dev/null
[ -n "$AS_USER" ] && chown nobody "$T/secret"
mkstore main
CONF=$T/main.conf

# bg ARGS...: run the tool on the main store; $rc, $out, $err
bg() {
	"$BG" -c "$CONF" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# bgc CONF ARGS...: the same with another configuration
bgc() {
	c=$1
	shift
	"$BG" -c "$c" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# field ADDRESS COLUMN: one column of an address's dump row
field() {
	printf '%s\n' "$out" | awk -F '\t' -v a="$1" -v c="$2" '
	    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	    $1 == a { print $col[c] }'
}

# ---- usage errors: one line on stderr, nothing on stdout, exit 2 ----
usage_case() {
	want=$1
	shift
	bg "$@"
	is "usage error: bounceguard $* (exit 2)" "$rc" 2
	is "usage error: bounceguard $* (message)" "$err" "$want"
	is "usage error: bounceguard $* (stdout empty)" "$out" ""
}
U_DUMP='(usage: bounceguard dump [--json] [--suppressed] [--domain DOMAIN] [--since DATE] [--reason REASON])'
U_SUPP='(usage: bounceguard suppress ADDRESS|@DOMAIN [--reason TEXT] [--scope SENDER_DOMAIN] [--expires DURATION|DATE])'
U_UNSUPP='(usage: bounceguard unsuppress ADDRESS|@DOMAIN [--scope SENDER_DOMAIN])'
U_VERP='(usage: bounceguard verp encode ADDRESS | verp decode VERP_ADDRESS)'
U_DB='(usage: bounceguard db verify | db backup DIR | db recover | db status)'
usage_case 'bounceguard: no command given (see "bounceguard help")'
usage_case 'bounceguard: unknown command "frob" (see "bounceguard help")' frob
usage_case "bounceguard: unknown option \"--bogus\" $U_DUMP" dump --bogus
usage_case "bounceguard: bad date \"yesterday\" (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ) $U_DUMP" dump --since yesterday
usage_case "bounceguard: bad domain \"bad domain\" $U_DUMP" dump --domain "bad domain"
usage_case "bounceguard: unexpected argument \"extra\" $U_DUMP" dump extra
usage_case "bounceguard: option \"--domain\" needs a value $U_DUMP" dump --domain
usage_case "bounceguard: no address given $U_SUPP" suppress
usage_case "bounceguard: bad address \"not-an-address\": no @domain $U_SUPP" suppress not-an-address
usage_case "bounceguard: bad address \"a@-bad-\": bad domain $U_SUPP" suppress a@-bad-
usage_case "bounceguard: bad expiry \"soon\": expected a duration (30m, 12h, 30d, 2w) or a future date $U_SUPP" suppress a@example.org --expires soon
usage_case "bounceguard: bad expiry \"2001-01-01\": expected a duration (30m, 12h, 30d, 2w) or a future date $U_SUPP" suppress a@example.org --expires 2001-01-01
usage_case "bounceguard: bad scope \"x y\": expected a sender domain $U_SUPP" suppress a@example.org --scope "x y"
usage_case "bounceguard: bad reason: it must be 1 to 255 characters, without control characters $U_SUPP" suppress a@example.org --reason "$(printf 'a\tb')"
usage_case "bounceguard: option \"--reason\" needs a value $U_SUPP" suppress a@example.org --reason
usage_case "bounceguard: unexpected argument \"b@example.org\" $U_SUPP" suppress a@example.org b@example.org
usage_case "bounceguard: no address given $U_UNSUPP" unsuppress
usage_case "bounceguard: unknown option \"--expires\" $U_UNSUPP" unsuppress a@example.org --expires 1d
usage_case 'bounceguard: no address given (usage: bounceguard show [--json] ADDRESS|@DOMAIN)' show
usage_case 'bounceguard: bad address "jane@": bad domain (usage: bounceguard show [--json] ADDRESS|@DOMAIN)' show jane@
usage_case "bounceguard: bad address \"<>\": empty address $U_UNSUPP" unsuppress "<>"
usage_case 'bounceguard: too many arguments (usage: bounceguard show [--json] ADDRESS|@DOMAIN)' show a@example.org b@example.org
usage_case 'bounceguard: unknown option "--all" (usage: bounceguard show [--json] ADDRESS|@DOMAIN)' show --all a@example.org
usage_case 'bounceguard: no file given (usage: bounceguard import FILE)' import
usage_case 'bounceguard: unexpected argument "x" (usage: bounceguard export)' export x
usage_case 'bounceguard: bad number of days "0" (1 to 36500) (usage: bounceguard stats [--days N] [--json | --prometheus [--output FILE | --textfile]])' stats --days 0
usage_case 'bounceguard: unexpected argument "now" (usage: bounceguard expire)' expire now
usage_case "bounceguard: no subcommand given $U_VERP" verp
usage_case "bounceguard: unknown subcommand \"frob\" $U_VERP" verp frob x
usage_case "bounceguard: expected one address $U_VERP" verp encode
usage_case "bounceguard: bad address \"jane\": no @domain $U_VERP" verp encode jane
usage_case 'bounceguard: unexpected argument "x" (usage: bounceguard check)' check x
usage_case "bounceguard: no subcommand given $U_DB" db
usage_case "bounceguard: unknown subcommand \"frob\" $U_DB" db frob
usage_case "bounceguard: db backup needs one directory $U_DB" db backup
usage_case "bounceguard: unexpected argument \"x\" $U_DB" db verify x
usage_case 'bounceguard: unknown command "frob" (usage: bounceguard help [COMMAND])' help frob

# ---- help ----
bg help
is "help: exit 0" "$rc" 0
for c in dump show suppress unsuppress import export stats report expire verp check db parse; do
	like "help lists $c" "$out" "^  $c( |\$)"
done
bg help dump
like "help dump: usage line" "$out" "^usage: bounceguard \[-c FILE\] dump \[--json\]"
like "help dump: explains the filters" "$out" "suppressed addresses"
bg dump --help
like "dump --help is help dump" "$out" "^usage: bounceguard \[-c FILE\] dump "
bg --help
like "--help lists the commands" "$out" "^  import FILE\$"

# ---- the manual page documents every command and column ----
man=$BG_SRC/man/bounceguard.8
for c in dump show suppress unsuppress import export stats report expire verp check db parse help version; do
	like "bounceguard(8) documents $c" "$(grep -A1 '^\.It Cm ' "$man")" "^\.It Cm $c( |\$)"
done
for c in address state reason scope source since expires hard soft block complaint first_bounce last_bounce last_reason last_status last_diagnostic; do
	like "bounceguard(8) documents the dump column $c" "$(grep '^\.It Cm ' "$man")" "^\.It Cm ([a-z_]+ , )*$c( |\$)"
done
if command -v mandoc >/dev/null 2>&1; then
	is "bounceguard(8) is clean under mandoc -T lint -W warning" "$(mandoc -T lint -W warning "$man" 2>&1)" ""
else
	skip "mandoc not installed"
fi

# ---- suppress, show, dump, unsuppress ----
bg suppress Jane@Example.ORG --reason "left the company"
is "suppress: exit 0" "$rc" 0
is "suppress: logged like any change" "$err" 'bounceguard: suppress address=<jane@example.org> scope=global reason="left the company" expires=never by=admin'
is "suppress: nothing on stdout" "$out" ""
bg suppress jane@example.org --reason "left the company"
is "suppress again: exit 0" "$rc" 0
is "suppress again: says nothing changed" "$err" "bounceguard: suppress: jane@example.org is already suppressed that way; nothing changed"
bg suppress jane@example.org --scope News.Example.COM --reason complained
like "scoped suppress: logged with its scope" "$err" "scope=news.example.com reason=\"complained\""
bg suppress @spam.example --expires 2h
like "domain suppress: expiry logged" "$err" "^bounceguard: suppress address=<@spam.example> scope=global reason=\"manual\" expires=[0-9T:-]+Z by=admin\$"

bg dump
is "dump: exit 0" "$rc" 0
is "dump: header" "$(printf '%s\n' "$out" | head -n 1)" "$(printf 'address\tstate\treason\tscope\tsource\tsince\texpires\thard\tsoft\tblock\tcomplaint\tfirst_bounce\tlast_bounce\tlast_reason\tlast_status\tlast_diagnostic')"
is "dump: one row per address" "$(printf '%s\n' "$out" | wc -l)" 3
is "dump: jane suppressed" "$(field jane@example.org state)" suppressed
is "dump: the global suppression is the one shown" "$(field jane@example.org reason)|$(field jane@example.org scope)|$(field jane@example.org source)" "left the company||manual"
is "dump: never expires" "$(field jane@example.org expires)" ""
is "dump: counts" "$(field jane@example.org hard)/$(field jane@example.org soft)" "0/0"
like "dump: domain expiry in two hours" "$(field @spam.example expires)" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\$"

bg dump --json
like "dump --json: contract keys" "$(printf '%s\n' "$out" | grep jane)" '^\{"address":"jane@example.org","state":"suppressed","reason":"left the company","scope":"",.*"hard":0,"soft":0,'
like "dump --json: every suppression listed" "$(printf '%s\n' "$out" | grep jane)" '"suppressions":\[\{"scope":"","reason":"left the company".*\{"scope":"news.example.com","reason":"complained","source":"manual"'
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" > "$T/json"
	python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$T/json" 2>"$T/pyerr"
	is "dump --json: every line parses as JSON" "$?" 0
else
	skip "python3 not installed"
fi

bg show JANE@example.org
is "show: exit 0" "$rc" 0
like "show: state" "$out" "^state: suppressed\$"
like "show: global suppression" "$out" '^suppression: scope=global reason="left the company" source=manual since=[0-9T:-]+Z expires=never$'
like "show: scoped suppression" "$out" '^suppression: scope=news.example.com reason="complained" source=manual'
like "show: history header" "$out" "$(printf '^time\ttype\treason\taction\tstatus\treply_code\tmode\tverp\tqueue_id\tscope\tdiagnostic$')"
like "show: manual event in history" "$out" "$(printf '\tmanual\tmanual\tsuppressed\t\t\t\tmanual\t\t\tleft the company$')"
bg show --json JANE@example.org
like "show --json: the record" "$out" '^\{"address":"jane@example.org","state":"suppressed","reason":"left the company","scope":"",'
like "show --json: the history" "$out" '"events":\[\{"time":"[0-9T:-]+Z","type":"manual","reason":"manual","action":"suppressed","dsn_action":null,.*"diagnostic":"left the company"\}'
if command -v python3 >/dev/null 2>&1; then
	printf '%s\n' "$out" > "$T/json"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/json" 2>/dev/null
	is "show --json: one JSON object" "$?" 0
else
	skip "python3 not installed"
fi
# A record without history (events pruned by expire, or written by a
# tool that records none, as bg_seed does): "no events", not an empty
# table under its header.
mkstore quiet
$AS_USER "$BG_BUILD/bench/bg_seed" -c "$T/quiet.conf" seed 1 quiet%u@example.net > /dev/null 2>&1
"$BG" -c "$T/quiet.conf" show quiet0@example.net >"$T/out" 2>"$T/err"
rc=$? out=$(cat "$T/out")
is "show without history: exit 0" "$rc" 0
like "show without history: says no events" "$out" "^no events\$"
unlike "show without history: no table header" "$out" "^time"
bg show nobody@example.net
is "show unknown: exit 1" "$rc" 1
is "show unknown: message" "$err" "bounceguard: show: nobody@example.net: not in the store"
is "show unknown: nothing on stdout" "$out" ""
bg show someone@spam.example
is "show address of a suppressed domain: exit 0" "$rc" 0
like "show: the domain's suppression" "$out" '^@spam.example: scope=global reason="manual" source=manual'
like "show: the address itself is unknown" "$out" '^state: unknown$'
bg show --json someone@spam.example
like "show --json of an unknown address of a suppressed domain" "$out" '^\{"address":"someone@spam.example","state":"unknown","domain_suppressions":\[\{"scope":"","reason":"manual","source":"manual",.*\],"events":\[\]\}$'

bg dump --domain spam.example
is "dump --domain: only that domain" "$(printf '%s\n' "$out" | cut -f1 | tail -n +2)" "@spam.example"
bg dump --reason complained
is "dump --reason: a scoped suppression's reason" "$(printf '%s\n' "$out" | cut -f1 | tail -n +2)" "jane@example.org"
bg dump --since 2999-01-01
is "dump --since the future: header only" "$(printf '%s\n' "$out" | wc -l)" 1
bg dump --since 2000-01-01 --suppressed
is "dump --since the past --suppressed: both" "$(printf '%s\n' "$out" | wc -l)" 3

bg unsuppress jane@example.org --scope news.example.com
like "unsuppress one scope: logged" "$err" "^bounceguard: unsuppress address=<jane@example.org> scope=news.example.com by=admin\$"
bg dump --suppressed
is "unsuppress one scope: still suppressed globally" "$(field jane@example.org state)" suppressed
bg unsuppress jane@example.org
is "unsuppress: exit 0" "$rc" 0
is "unsuppress: logged" "$err" "bounceguard: unsuppress address=<jane@example.org> scope=all by=admin"
bg dump
is "unsuppress: active again" "$(field jane@example.org state)" active
bg dump --suppressed
is "dump --suppressed: jane gone" "$(field jane@example.org state)" ""
bg unsuppress jane@example.org
is "unsuppress again: exit 1" "$rc" 1
is "unsuppress again: message" "$err" "bounceguard: unsuppress: jane@example.org is not suppressed"

i=1
while [ $i -le 8 ]; do
	"$BG" -c "$CONF" suppress many@example.org --scope "s$i.example" 2>/dev/null
	i=$((i + 1))
done
bg suppress many@example.org --scope s9.example
is "a ninth suppression: exit 1" "$rc" 1
is "a ninth suppression: message" "$err" "bounceguard: suppress: many@example.org already has 8 suppressions; lift one first"
bg unsuppress many@example.org
is "lift them all at once" "$rc" 0

# ---- import ----
cat > "$T/list.csv" <<'CSV'
# exported from the newsletter tool
Email,Reason,Date,Name
a1@example.org,userunknown,2026-01-02,Ann
"A2@Example.org","moved, no forwarding",2026-01-03,"Bo ""B"" Ba"
not-an-address,userunknown,2026-01-04,X

a3@example.org,,,
a4@example.org,userunknown,yesterday,Y
a5@example.org,"unbalanced
CSV
bg import "$T/list.csv"
is "import: exit 1 when lines are rejected" "$rc" 1
is "import: summary" "$out" "import: $T/list.csv: 3 added, 0 updated, 0 unchanged, 3 rejected"
like "import: unknown column noted" "$err" "^bounceguard: import: $T/list.csv: column \"Name\" ignored\$"
like "import: bad address named with its line" "$err" "^bounceguard: import: $T/list.csv:5: rejected: no @domain\$"
like "import: bad date named with its line" "$err" "^bounceguard: import: $T/list.csv:8: rejected: bad date\$"
like "import: bad quoting named with its line" "$err" "^bounceguard: import: $T/list.csv:9: rejected: unbalanced quotes or too many fields\$"
like "import: summary logged" "$err" "import file=$T/list.csv added=3 updated=0 unchanged=0 rejected=3 by=admin"
bg dump
is "import: quoted reason with a comma" "$(field a2@example.org reason)" "moved, no forwarding"
is "import: date kept" "$(field a1@example.org since)" "2026-01-02T00:00:00Z"
is "import: source import" "$(field a1@example.org source)" "import"
is "import: default reason" "$(field a3@example.org reason)" "import"
is "import: rejected lines change nothing" "$(field a4@example.org state)" ""
bg import "$T/list.csv"
is "import twice: nothing changes" "$out" "import: $T/list.csv: 0 added, 0 updated, 3 unchanged, 3 rejected"
printf 'a1@example.org\tsome other reason\n' | "$BG" -c "$CONF" import - >"$T/out" 2>"$T/err"
is "import from stdin, TSV without header: one updated" "$(cat "$T/out")" "import: -: 0 added, 1 updated, 0 unchanged, 0 rejected"
printf '\357\273\277address,reason\r\nbom@example.org,x\r\n' > "$T/bom.csv"
bg import "$T/bom.csv"
is "import: a byte order mark and CRLF lines are fine" "$out" "import: $T/bom.csv: 1 added, 0 updated, 0 unchanged, 0 rejected"
bg import "$T/nonexistent"
is "import missing file: exit 1" "$rc" 1
is "import missing file: message" "$err" "bounceguard: import: $T/nonexistent: No such file or directory"

# A full record (as dump and export write it) with counters and escapes;
# one suppression already expired.
{
	printf 'address\tstate\treason\tscope\tsource\tsince\texpires\thard\tsoft\tblock\tcomplaint\tfirst_bounce\tlast_bounce\tlast_reason\tlast_status\tlast_diagnostic\n'
	printf 'full@example.org\tsuppressed\tuserunknown\t\tbounce\t2026-02-01T10:00:00Z\t\t2\t3\t1\t0\t2026-01-01T00:00:00Z\t2026-02-01T10:00:00Z\tuserunknown\t5.1.1\t550 5.1.1 <full@example.org>:\\tno such user\\\\x\n'
	printf 'old@example.org\tsuppressed\tmailboxfull\t\tbounce\t2026-01-01T00:00:00Z\t2026-01-31T00:00:00Z\t0\t5\t0\t0\t2026-01-01T00:00:00Z\t2026-01-01T00:00:00Z\tmailboxfull\t4.2.2\tfull\n'
	printf 'quiet@example.org\tactive\t\t\t\t\t\t0\t0\t4\t0\t2026-03-01T00:00:00Z\t2026-03-02T00:00:00Z\tblocked\t5.7.1\t  spaces kept  \n'
	printf 'bad@example.org\tsuppressed\tx\t\tbogus\t\t\t1\t0\t0\t0\t\t\t\t\t\n'
	printf 'bad2@example.org\tsuppressed\tx\t\tbounce\t\t\tmany\t0\t0\t0\t\t\t\t\t\n'
	printf 'bad3@example.org\tsuppressed\tx\t\tbounce\t\t\t1\t0\t0\t0\t\t\t\t\t\\q\n'
} > "$T/full.tsv"
bg import "$T/full.tsv"
is "import of a dump: summary" "$out" "import: $T/full.tsv: 3 added, 0 updated, 0 unchanged, 3 rejected"
like "import: bad source" "$err" ":5: rejected: bad source \\(bounce, complaint, manual or import\\)\$"
like "import: bad count" "$err" ":6: rejected: bad count\$"
like "import: bad escape" "$err" ":7: rejected: bad backslash escape\$"
bg dump
is "full import: counters" "$(field full@example.org hard)/$(field full@example.org soft)/$(field full@example.org block)" "2/3/1"
is "full import: diagnostic with escapes survives" "$(field full@example.org last_diagnostic)" '550 5.1.1 <full@example.org>:\tno such user\\x'
is "full import: expired suppression" "$(field old@example.org state)" expired
is "full import: no suppression" "$(field quiet@example.org state)|$(field quiet@example.org source)" "active|"
is "full import: spaces around a diagnostic kept" "$(field quiet@example.org last_diagnostic)" "  spaces kept  "

# An export line carries the fields dump leaves out.
{
	printf 'address\tstate\treason\tscope\tsource\tsince\texpires\thard\tsoft\tblock\tcomplaint\tfirst_bounce\tlast_bounce\tlast_reason\tlast_status\tlast_diagnostic\tother\tlast_reply_code\tlast_mode\trecent_soft\n'
	printf 'soft@example.org\tactive\t\t\t\t\t\t0\t2\t0\t0\t2026-11-01T00:00:00Z\t2026-11-02T00:00:00Z\tmailboxfull\t4.2.2\tfull\t3\t452\tasync\t2026-11-01T00:00:00Z,2026-11-02T00:00:00Z\n'
	printf 'soft2@example.org\tactive\t\t\t\t\t\t0\t2\t0\t0\t\t\t\t\t\t0\t\t\t2026-11-01T00:00:00Z,yesterday\n'
} > "$T/soft.tsv"
bg import "$T/soft.tsv"
is "import of an export line: summary" "$out" "import: $T/soft.tsv: 1 added, 0 updated, 0 unchanged, 1 rejected"
like "import: bad recent_soft" "$err" ":3: rejected: bad recent_soft \\(at most 64 comma-separated times\\)\$"
bg show soft@example.org
like "import of an export line: other count and recent soft bounces" "$out" "^counts: hard=0 soft=2 block=0 complaint=0 other=3 recent_soft=2\$"
like "import of an export line: reply code and mode" "$out" "^last: reason=mailboxfull status=4.2.2 reply_code=452 mode=async\$"
bg export
like "export: the extra columns" "$(printf '%s\n' "$out" | grep '^soft@')" "$(printf '\t3\t452\tasync\t2026-11-01T00:00:00Z,2026-11-02T00:00:00Z$')"
bg import "$T/soft.tsv"
like "an export line imported twice: unchanged" "$out" ": 0 added, 0 updated, 1 unchanged, 1 rejected\$"

# ---- export -> import into an empty store: identical dump ----
bg export
is "export: exit 0" "$rc" 0
printf '%s\n' "$out" > "$T/export.tsv"
bg dump
printf '%s\n' "$out" > "$T/dump1"
mkstore copy
bgc "$T/copy.conf" import "$T/export.tsv"
is "export -> import: nothing rejected" "$rc" 0
bgc "$T/copy.conf" dump
printf '%s\n' "$out" > "$T/dump2"
is "export -> import into an empty store: identical dump" "$(cat "$T/dump2")" "$(cat "$T/dump1")"
bgc "$T/copy.conf" export
is "export -> import: identical export" "$out" "$(cat "$T/export.tsv")"
bgc "$T/copy.conf" import "$T/export.tsv"
like "export imported twice: all unchanged" "$out" ": 0 added, 0 updated, [0-9]+ unchanged, 0 rejected\$"

# ---- expire ----
bg expire
is "expire: exit 0" "$rc" 0
like "expire: lifted the expired suppression" "$out" "^expire: lifted 1 expired suppressions of 1 addresses\$"
like "expire: events line" "$out" "^expire: pruned 0 events recorded before [0-9T:-]+Z\$"
like "expire: tokens line" "$out" "^expire: dropped 0 VERP tokens and 0 duplicate-bounce records from before [0-9T:-]+Z\$"
like "expire: logged per address" "$err" "expire address=<old@example.org> lifted=1 by=admin"
bg dump
is "expire: the address is active again" "$(field old@example.org state)" active
is "expire: counters kept" "$(field old@example.org soft)" 5
bg expire
like "expire again: nothing to lift" "$out" "^expire: lifted 0 expired suppressions of 0 addresses\$"

# ---- verp ----
bg verp encode Jane@Example.org
is "verp encode: exit 0" "$rc" 0
like "verp encode: signed address" "$out" '^b-[a-z2-7]{8}-[a-z2-7]{4}-jane=example.org@bounces.example.com$'
v=$out
bg verp decode "$v"
is "verp decode: valid" "$out" "status=valid recipient=jane@example.org stamped=$(date -u +%Y-%m-%d)"
is "verp decode: exit 0" "$rc" 0
bad=$(printf '%s\n' "$v" | awk '{ c = substr($0, 3, 1); print "b-" (c == "a" ? "b" : "a") substr($0, 4) }')
bg verp decode "$bad"
like "verp decode: tampered signature" "$out" "^status=bad-signature recipient=jane@example.org "
is "verp decode tampered: exit 1" "$rc" 1
bg verp decode jane@example.org
is "verp decode: not ours" "$out" "status=not-ours"
mkstore noverp 'verp_domain ='
bgc "$T/noverp.conf" verp encode jane@example.org
is "verp without verp_domain: exit 1" "$rc" 1
is "verp without verp_domain: message" "$err" "bounceguard: verp: verp_domain is not set in $T/noverp.conf"
mkstore nosecret "verp_secret_file = $T/missing.secret"
bgc "$T/nosecret.conf" verp encode jane@example.org
is "verp without secrets: exit 1" "$rc" 1
like "verp without secrets: names the file" "$err" "^bounceguard: verp: .*$T/missing.secret"

# ---- check ----
bg check
is "check: exit 0" "$rc" 0
is "check: ok line" "$out" "check: ok ($CONF)"
mkstore broken "verp_domain =
verp_secret_file = $T/missing.secret
rules_dir = $T/no-rules"
rmdir "$T/broken/q"
bgc "$T/broken.conf" check
is "check with problems: exit 1" "$rc" 1
like "check: verp_domain" "$err" "^bounceguard: check: verp_domain is not set: the milter cannot stamp mail\$"
like "check: secrets" "$err" "^bounceguard: check: .*$T/missing.secret"
like "check: rules_dir" "$err" "^bounceguard: check: rules_dir $T/no-rules: No such file or directory\$"
like "check: quarantine" "$err" "^bounceguard: check: quarantine_dir $T/broken/q: No such file or directory\$"
if [ -n "$AS_USER" ]; then
	chown root "$T/broken/store"
	bgc "$T/broken.conf" check
	like "check: store owner" "$err" "^bounceguard: check: store_dir $T/broken/store: owned by root, not by nobody\$"
	chown nobody "$T/broken/store"
else
	skip "store owner check needs root"
fi
cp "$T/secret" "$T/open.secret"
chmod 644 "$T/open.secret"
mkstore opensecret "verp_secret_file = $T/open.secret"
bgc "$T/opensecret.conf" check
is "check: world-readable secrets" "$err" "bounceguard: check: verp_secret_file $T/open.secret: readable by every user, who could then forge bounces"
if [ -n "$AS_USER" ]; then
	chown root:root "$T/open.secret"
	chmod 640 "$T/open.secret"
	bgc "$T/opensecret.conf" check
	is "check: secrets the user cannot read" "$err" "bounceguard: check: verp_secret_file $T/open.secret: not readable by nobody"
else
	skip "secret ownership check needs root"
fi
chmod 777 "$T/broken/store"
bgc "$T/broken.conf" check
like "check: world-writable store" "$err" "^bounceguard: check: store_dir $T/broken/store: writable by every user\$"

# ---- stats ----
if [ -x "$FILL" ]; then
	mkstore stats 'health_warning_rate = 1%
health_critical_rate = 1.2%'
	$AS_USER env BG_BENCH_USER=nobody "$FILL" "$T/stats/store" 3 2 x@domain0.example 1
	bgc "$T/stats.conf" stats --days 2
	is "stats: exit 0" "$rc" 0
	is "stats: header" "$(printf '%s\n' "$out" | head -n 1)" "$(printf 'domain\tsent\tbounced\trate\thard\tsoft\tblock\tcomplaint\ttop_reasons\thealth')"
	is "stats: healthy domain" "$(printf '%s\n' "$out" | grep '^domain0' | cut -f1-8,10)" "$(printf 'domain0.example\t2001\t4\t0.19%%\t1\t1\t1\t1\thealthy')"
	is "stats: warning domain" "$(printf '%s\n' "$out" | grep '^domain1' | cut -f1-8,10)" "$(printf 'domain1.example\t2063\t22\t1.06%%\t11\t7\t3\t1\twarning')"
	is "stats: critical domain" "$(printf '%s\n' "$out" | grep '^domain2' | cut -f1-8,10)" "$(printf 'domain2.example\t2125\t30\t1.41%%\t21\t6\t2\t1\tcritical')"
	is "stats: total line" "$(printf '%s\n' "$out" | grep '^total' | cut -f1-8,10)" "$(printf 'total\t6189\t56\t0.90%%\t33\t14\t6\t3\thealthy')"
	like "stats: top reasons" "$(printf '%s\n' "$out" | grep '^domain1' | cut -f9)" '^[a-z]+:[0-9]+,[a-z]+:[0-9]+,[a-z]+:[0-9]+$'
	bgc "$T/stats.conf" stats --days 1
	is "stats --days 1: today only" "$(printf '%s\n' "$out" | grep '^domain0' | cut -f1-3)" "$(printf 'domain0.example\t1000\t0')"
	bgc "$T/stats.conf" stats --days 2 --json
	like "stats --json: domain object" "$(printf '%s\n' "$out" | grep domain2)" '^\{"domain":"domain2.example","total":false,"sent":2125,"bounced":30,"hard":21,"soft":6,"block":2,"complaint":1,"unverified":0,"rate":1.41,"top_reasons":"[^"]+","health":"critical"\}$'
	like "stats --json: total object" "$(printf '%s\n' "$out" | tail -n 1)" '^\{"domain":null,"total":true,"sent":6189,"bounced":56,'
else
	skip "stats: bench_admin_fill not built"
fi
bgc "$T/copy.conf" stats
is "stats with no counters: total only" "$out" "$(printf 'domain\tsent\tbounced\trate\thard\tsoft\tblock\tcomplaint\ttop_reasons\thealth\ntotal\t0\t0\t\t0\t0\t0\t0\t\tunknown')"

# ---- terminal output is aligned, machine formats are not ----
if command -v script >/dev/null 2>&1; then
	script -qec "$BG -c $CONF dump --domain example.org" /dev/null > "$T/tty" 2>&1
	like "dump on a terminal: aligned, no tabs" "$(tr -d '\r' < "$T/tty" | head -n 2)" '^address +state +reason +scope'
	is "dump on a terminal: no tab characters" "$(grep -c "$(printf '\t')" "$T/tty")" 0
	bg export
	script -qec "$BG -c $CONF export" /dev/null > "$T/tty" 2>&1
	is "export on a terminal: still tab-separated" "$(tr -d '\r' < "$T/tty")" "$out"
else
	skip "script(1) not installed"
fi

# ---- a store that is not there ----
mkstore gone
rmdir "$T/gone/store"
bgc "$T/gone.conf" dump
is "missing store: exit 1" "$rc" 1
is "missing store: one line naming it" "$err" "bounceguard: fatal: store $T/gone/store: No such file or directory"
is "missing store: nothing on stdout" "$out" ""

# ---- db ----
bg db status
is "db status without replication: exit 0" "$rc" 0
is "db status without replication: says so" "$out" "replication=off"
bg db verify
is "db verify: exit 0" "$rc" 0
is "db verify: one line per file" "$out" "db verify: meta.db: ok
db verify: addresses.db: ok
db verify: events.db: ok
db verify: domains.db: ok
db verify: tokens.db: ok
db verify: seen.db: ok
db verify: backoff.db: ok"
mkdir "$T/backups"
[ -n "$AS_USER" ] && chown nobody "$T/backups"
bg db backup "$T/backups/b1"
is "db backup: exit 0" "$rc" 0
is "db backup: message" "$out" "db backup: $T/backups/b1: consistent copy of $T/main/store written"
bg dump
printf '%s\n' "$out" > "$T/dump1"
mkstore bk
rm -rf "$T/bk/store"
ln -s "$T/backups/b1" "$T/bk/store"
bgc "$T/bk.conf" dump
is "db backup: the copy dumps identically" "$out" "$(cat "$T/dump1")"
bg db backup "$T/backups/b1"
is "db backup into an existing directory: exit 1" "$rc" 1
like "db backup into an existing directory: message" "$err" "^bounceguard: db backup: store $T/main/store: create backup directory \"$T/backups/b1\": File exists\$"
bg db recover
is "db recover on a clean store: exit 0" "$rc" 0
like "db recover: says what it did" "$out" "^db recover: $T/main/store: (no recovery needed|recovery done)"

# A process killed inside the store: the next command recovers it.
mkstore kill
awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "k%d@example.org\n", i }' > "$T/big.csv"
"$BG" -c "$T/kill.conf" import "$T/big.csv" >/dev/null 2>&1 &
kpid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	ls "$T/kill/store"/log.* >/dev/null 2>&1 && break
	sleep 0.1
done
sleep 0.3
kill -9 $kpid 2>/dev/null
wait $kpid 2>/dev/null
bgc "$T/kill.conf" db recover
is "db recover after SIGKILL: exit 0" "$rc" 0
is "db recover after SIGKILL: recovery done" "$out" "db recover: $T/kill/store: recovery done"
bgc "$T/kill.conf" db verify
is "after recovery the store verifies" "$rc" 0
bgc "$T/kill.conf" dump
like "after recovery whole batches are there" "$(($(printf '%s\n' "$out" | wc -l) - 1))" '^[0-9]*000$|^0$'

# ---- while other processes write ----
(
	i=0
	while [ $i -lt 150 ]; do
		"$BG" -c "$CONF" suppress "loop$i@example.com" --reason loop 2>/dev/null || echo "suppress $i failed" >> "$T/loop.err"
		i=$((i + 1))
	done
) &
lpid=$!
ppid_=""
if [ -x "$PIPE" ]; then
	(
		i=0
		while [ $i -lt 40 ]; do
			a="pipe$i@example.net"
			v=$("$BG" -c "$CONF" verp encode "$a")
			printf '%s\n' "From: MAILER-DAEMON@mx.remote.example" "To: $v" \
			    "Subject: Undelivered Mail" "Message-ID: <p$i@mx.remote.example>" \
			    "MIME-Version: 1.0" \
			    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"' \
			    "" "--B" "Content-Type: text/plain" "" "failed" "" "--B" \
			    "Content-Type: message/delivery-status" "" \
			    "Reporting-MTA: dns; mx.remote.example" "" \
			    "Final-Recipient: rfc822; $a" "Action: failed" "Status: 5.1.1" \
			    "Remote-MTA: dns; mx.remote.example" \
			    "Diagnostic-Code: smtp; 550 5.1.1 <$a>: User unknown" "" "--B--" > "$T/pmsg$i"
			$AS_USER "$PIPE" -c "$CONF" -r "$v" -s "" -q "P$i" < "$T/pmsg$i" >/dev/null 2>&1 ||
			    echo "pipe $i failed" >> "$T/loop.err"
			i=$((i + 1))
		done
	) &
	ppid_=$!
fi
conc_fail=0
rounds=0
while kill -0 $lpid 2>/dev/null; do
	rounds=$((rounds + 1))
	"$BG" -c "$CONF" dump > "$T/cdump" 2>>"$T/conc.err" || conc_fail=$((conc_fail + 1))
	head -n 1 "$T/cdump" | grep -q '^address	state' || conc_fail=$((conc_fail + 1))
	"$BG" -c "$CONF" dump --json > /dev/null 2>>"$T/conc.err" || conc_fail=$((conc_fail + 1))
	"$BG" -c "$CONF" stats > /dev/null 2>>"$T/conc.err" || conc_fail=$((conc_fail + 1))
	"$BG" -c "$CONF" import "$T/list.csv" > /dev/null 2>&1; [ $? -le 1 ] || conc_fail=$((conc_fail + 1))
	"$BG" -c "$CONF" db backup "$T/backups/c$rounds" > /dev/null 2>>"$T/conc.err" || conc_fail=$((conc_fail + 1))
	"$BG" -c "$CONF" expire > /dev/null 2>&1 || conc_fail=$((conc_fail + 1))
done
wait $lpid
[ -n "$ppid_" ] && wait "$ppid_"
is "while others write: every dump, stats, import, backup, expire succeeded ($rounds rounds)" "$conc_fail" 0
[ -s "$T/conc.err" ] && sed 's/^/# /' "$T/conc.err"
is "while others write: every writer succeeded" "$(cat "$T/loop.err" 2>/dev/null)" ""
bg dump --reason loop
is "while others write: all 150 suppressions are there" "$(($(printf '%s\n' "$out" | wc -l) - 1))" 150
last=$(ls -d "$T"/backups/c* | sort -t c -k2 -n | tail -n 1)
mkstore bk2
rm -rf "$T/bk2/store"
ln -s "$last" "$T/bk2/store"
bgc "$T/bk2.conf" db verify
is "a backup taken during writes verifies" "$rc" 0
if [ -x "$PIPE" ]; then
	bg show pipe39@example.net
	like "the pipe's bounce shows in show" "$out" "$(printf '\thard\tuserunknown\t')"
	like "and in dump" "$(printf '%s\n' "$out" | grep '^counts')" "^counts: hard=1 "
else
	skip "bounceguard-pipe not built"
	skip "bounceguard-pipe not built"
fi

# ---- signals: stop between records, never inside the store ----
# The reader goes first: with a small store, dump could otherwise write
# everything into the pipe's buffer before head exits, and succeed.
{ while [ ! -e "$T/reader.gone" ]; do sleep 0.05; done
  "$BG" -c "$CONF" dump; echo $? > "$T/dump.rc"; } 2>"$T/dump.err" |
    { exec 0<&-; : > "$T/reader.gone"; }
is "dump | head: exit 1 on the closed pipe" "$(cat "$T/dump.rc")" 1
is "dump | head: no error message for a closed pipe" "$(cat "$T/dump.err")" ""
mkstore sig
awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "s%d@example.org\n", i }' > "$T/sig.csv"
"$BG" -c "$T/sig.conf" import "$T/sig.csv" >"$T/sig.out" 2>"$T/sig.err" &
spid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	ls "$T/sig/store"/log.* >/dev/null 2>&1 && break
	sleep 0.1
done
sleep 0.3
kill -TERM $spid
wait $spid
is "import stopped by SIGTERM: exit 1" "$?" 1
like "import stopped by SIGTERM: says where" "$(cat "$T/sig.err")" "^bounceguard: import: $T/sig.csv: interrupted after line [0-9]+; the lines before it are imported\$"
line=$(sed -n 's/.*interrupted after line \([0-9]*\);.*/\1/p' "$T/sig.err")
bgc "$T/sig.conf" dump
is "import stopped by SIGTERM: every line before it is there" "$(($(printf '%s\n' "$out" | wc -l) - 1))" "${line:-none}"
bgc "$T/sig.conf" db recover
is "import stopped by SIGTERM: the store was closed cleanly" "$out" "db recover: $T/sig/store: no recovery needed (the store is in use by live processes, or was closed cleanly)"

# ---- as root, nothing in the store ends up owned by root ----
if [ -n "$AS_USER" ]; then
	is "no store file owned by root" "$(find "$T/main/store" "$T/copy/store" ! -user nobody | head -n 3)" ""
else
	skip "ownership check needs root"
fi

echo "1..$n"
[ "$failed" = 0 ]
