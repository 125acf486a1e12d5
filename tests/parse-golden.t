#!/bin/sh
# parse-golden.t - "bounceguard parse" against the golden outputs.
#
# Every message in tests/fixtures (written for this project, one or more
# per supported format) is parsed with the shipped rules and the JSON
# compared with tests/golden/NAME.jsonl. Also: LF, CRLF and bare CR line
# endings give identical results (also for an mbox); non-bounces print nothing on stdout and
# one line on stderr; Maildir and mbox input; exit statuses; a bad rule
# file is reported with its file and line.
#
# BG_UPDATE_GOLDEN=1 rewrites the golden files from the current output.

: "${BG_SRC:=.}"
: "${BG_BUILD:=$BG_SRC/build}"
BG="$BG_BUILD/bounceguard"
n=0
fail=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}

tmp=$(mktemp -d /tmp/bg-parse-golden.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
# parse runs as the user "nobody" when the test runs as root
cat > "$tmp/bg.conf" <<CONF
shipped_rules_dir = $BG_SRC/rules
rules_dir = $tmp/site
local_hostnames = out1.example.com, smtp.example.co.uk
user = nobody
CONF
cd "$BG_SRC" || exit 1

# golden NAME ARGS... - compare the JSON of ARGS with tests/golden/NAME.jsonl
golden() {
	name=$1
	shift
	"$BG" -c "$tmp/bg.conf" parse --json "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ -n "${BG_UPDATE_GOLDEN:-}" ]; then
		cp "$tmp/out" "tests/golden/$name.jsonl"
	fi
	diff -u "tests/golden/$name.jsonl" "$tmp/out" > "$tmp/diff" 2>&1
	d=$?
	[ $d -eq 0 ] || sed 's/^/# /' "$tmp/diff"
	ok $d "golden output for $name"
	ok $rc "exit status 0 for $name"
}

for f in tests/fixtures/*.eml; do
	golden "$(basename "$f" .eml)" "$f"
done
golden two-mbox tests/fixtures/two.mbox
golden maildir tests/fixtures/maildir

# Line endings: CRLF and bare CR give the same recipients and reasons.
for f in tests/fixtures/*.eml; do
	b=$(basename "$f" .eml)
	perl -pe 's/\n/\r\n/' "$f" > "$tmp/$b.crlf"
	perl -pe 's/\n/\r/' "$f" > "$tmp/$b.cr"
	for v in crlf cr; do
		"$BG" -c "$tmp/bg.conf" parse --json "$tmp/$b.$v" 2>/dev/null |
		    sed 's/^{"file":"[^"]*",//' > "$tmp/$b.$v.out"
		sed 's/^{"file":"[^"]*",//' "tests/golden/$b.jsonl" > "$tmp/$b.want"
		cmp -s "$tmp/$b.want" "$tmp/$b.$v.out"
		ok $? "$b with $v line endings"
	done
done

# An mbox with CRLF or bare CR line endings is still split into its
# messages (the separator is a "From " line after a blank line).
sed 's/^{"file":"[^"]*",//' tests/golden/two-mbox.jsonl > "$tmp/mbox.want"
perl -pe 's/\n/\r\n/' tests/fixtures/two.mbox > "$tmp/two.mbox.crlf"
perl -pe 's/\n/\r/' tests/fixtures/two.mbox > "$tmp/two.mbox.cr"
for v in crlf cr; do
	"$BG" -c "$tmp/bg.conf" parse --json "$tmp/two.mbox.$v" 2>/dev/null |
	    sed 's/^{"file":"[^"]*",//' > "$tmp/mbox.$v.out"
	cmp -s "$tmp/mbox.want" "$tmp/mbox.$v.out"
	ok $? "an mbox with $v line endings gives the same messages"
done

# A non-bounce: nothing on stdout, one line on stderr, exit 0.
"$BG" -c "$tmp/bg.conf" parse --json tests/fixtures/not-a-bounce.eml \
    > "$tmp/out" 2> "$tmp/err"
ok $? "a non-bounce exits 0"
[ ! -s "$tmp/out" ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
    grep -q "not-a-bounce.eml: not a bounce" "$tmp/err"
ok $? "a non-bounce prints one line on stderr and nothing on stdout"

# An unreadable file: the others are still parsed, exit 1.
"$BG" -c "$tmp/bg.conf" parse --json tests/fixtures/qmail.eml \
    "$tmp/no-such-file" > "$tmp/out" 2> "$tmp/err"
[ $? -eq 1 ] && [ "$(wc -l < "$tmp/out")" -eq 2 ] &&
    grep -q "no-such-file" "$tmp/err"
ok $? "a missing file gives exit 1, the others are parsed"

# The standard input.
"$BG" -c "$tmp/bg.conf" parse --json - < tests/fixtures/qmail.eml 2>/dev/null |
    sed 's/^{"file":"[^"]*",//' > "$tmp/out"
sed 's/^{"file":"[^"]*",//' tests/golden/qmail.jsonl | cmp -s - "$tmp/out"
ok $? "\"-\" reads the standard input"

# A fresh build, not installed, run without -c: it uses the source
# tree's rules (not "status codes alone"), when the installed rules
# directory does not exist. As root parse would switch to the default
# user, which a fresh machine may lack, so root runs it as nobody.
as_user=
[ "$(id -u)" = 0 ] && as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
if [ -d /usr/local/share/bounceguard/rules ]; then
	echo "ok $((n = n + 1)) # skip /usr/local/share/bounceguard/rules is installed"
else
	$as_user "$BG" parse --json tests/fixtures/dsn-sync-local.eml > "$tmp/out" 2> "$tmp/err"
	grep -q '"reason":"[a-z]*".*"rule":"[0-9a-z-]*\.rules:[0-9]*","evidence":"phrase"' "$tmp/out" &&
	    ! grep -q 'status codes alone' "$tmp/err"
	ok $? "an uninstalled build without -c classifies with the source tree's rules"
fi

# Usage errors exit 2.
"$BG" -c "$tmp/bg.conf" parse > /dev/null 2>&1
[ $? -eq 2 ]
ok $? "no file is a usage error"

# The table: a header and one aligned row per recipient.
"$BG" -c "$tmp/bg.conf" parse tests/fixtures/sendmail-two-recipients.eml \
    > "$tmp/out" 2>&1
[ "$(wc -l < "$tmp/out")" -eq 3 ] && head -1 "$tmp/out" | grep -q "^FILE  *RECIPIENT  *STATUS  *REASON" &&
    [ "$(awk '{ print index($0, "5.") }' "$tmp/out" | sed -n '2,3p' | sort -u | wc -l)" -eq 1 ]
ok $? "the table has a header and aligned columns"

# Site rules override shipped ones and name their file; a phrase rule
# overrules a specific status code (anna's 5.1.1) only when it says it
# refines it (bounceguard-rules(5), Evidence order).
mkdir -p "$tmp/site"
printf '# site\nspamdetected /no such user/\n' > "$tmp/site/05-site.rules"
"$BG" -c "$tmp/bg.conf" parse --json tests/fixtures/sendmail-two-recipients.eml \
    2>/dev/null | grep -q '"recipient":"anna@example.de".*"reason":"userunknown".*"rule":null,"evidence":"status"'
ok $? "a site phrase rule does not overrule a specific status code"
printf '# site\nspamdetected refines=5.1.1 /no such user/\n' > "$tmp/site/05-site.rules"
"$BG" -c "$tmp/bg.conf" parse --json tests/fixtures/sendmail-two-recipients.eml \
    2>/dev/null | grep -q '"recipient":"anna@example.de".*"reason":"spamdetected".*"rule":"05-site.rules:2","evidence":"refines"'
ok $? "a site rule that refines the code overrides the shipped rules"
printf '# site\nsuspend host=example.de /./\n' > "$tmp/site/05-site.rules"
"$BG" -c "$tmp/bg.conf" parse --json tests/fixtures/sendmail-two-recipients.eml \
    2>/dev/null > "$tmp/out"
grep -q '"recipient":"anna@example.de".*"reason":"suspend".*"rule":"05-site.rules:2","evidence":"provider"' "$tmp/out" &&
    ! grep -q '"evidence":"status"' "$tmp/out"
ok $? "a provider rule (host=) decides over the status code"

# A bad rule: file and line named, exit 1, nothing parsed.
printf 'blocked /ok/\nnot-a-reason /x/\n' > "$tmp/site/06-bad.rules"
"$BG" -c "$tmp/bg.conf" parse --json tests/fixtures/qmail.eml > "$tmp/out" 2> "$tmp/err"
[ $? -eq 1 ] && [ ! -s "$tmp/out" ] &&
    grep -q "06-bad.rules:2: unknown reason \"not-a-reason\"" "$tmp/err"
ok $? "a bad rule file is reported with file and line"

echo "1..$n"
exit $fail
