#!/bin/sh
# report.t - "bounceguard report --html" on a store holding a realistic,
# deterministic 30-day history (bench/bg_history writes it through
# store_count_sent() and store_update() with the real policy, and prints
# the figures it wrote): the page's figures against the seeder's, for
# all domains, one domain and fewer days; a hostile diagnostic escaped;
# no script and no URL the browser could fetch; usage errors. Then
# headless Chromium (Debian's chromium) loads the page as a browser
# would: its DOM dump has the charts with their titles and figures,
# screenshots at phone and desktop widths are real pictures, and its
# network log shows no request made by the page. A control page with an
# external image proves that the network check sees such a request.
set -u
: "${BG_SRC:?BG_SRC not set}"
: "${BG_BUILD:?BG_BUILD not set}"
BG=$BG_BUILD/bounceguard
HIST=$BG_BUILD/bench/bg_history
T=$(mktemp -d /tmp/bg-report-XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
. "$BG_SRC/tests/lib/tap.sh"
# has DESCRIPTION FILE FIXED_STRING: the file contains the string
has() {
	if grep -qF -- "$3" "$2"; then pass "$1"; else
		fail "$1"
		echo "# $2 lacks: $3"
	fi
}
# hasnt DESCRIPTION FILE EXTENDED_REGEX: no line of the file matches
hasnt() {
	if ! grep -Eiq -- "$3" "$2"; then pass "$1"; else
		fail "$1"
		grep -Eio -- ".{0,40}$3.{0,40}" "$2" | head -3 | sed 's/^/# found: /'
	fi
}

if [ "$(id -u)" = 0 ]; then
	USER_NAME=nobody
	AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
else
	USER_NAME=$(id -un)
	AS_USER=""
fi
mkdir -p "$T/store" "$T/q" "$T/out"
[ -n "$AS_USER" ] && chown nobody "$T/store" "$T/q"
CONF=$T/bg.conf
cat > "$CONF" <<EOF
store_dir = $T/store
quarantine_dir = $T/q
user = $USER_NAME
verp_domain = bounces.example.com
shipped_rules_dir = $BG_SRC/rules
rules_dir =
EOF

# ---- the history, and what the seeder says it wrote ----
if ! $AS_USER "$HIST" -c "$CONF" > "$T/expected" 2> "$T/seed.err"; then
	fail "bg_history fills the store"
	sed 's/^/# /' "$T/seed.err"
	echo "1..$n"
	exit 1
fi
pass "bg_history fills the store with 30 days"
is "the seeder wrote 30 days" "$(grep -c '^day ' "$T/expected")" 30

# want LINE_PREFIX KEY: a figure of the seeder's output
want() {
	grep "^$1 " "$T/expected" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
# rate BOUNCED SENT: "1.23%" as the report writes it
rate() {
	awk -v b="$1" -v s="$2" 'BEGIN { r = int(b * 10000 / s);
	    printf "%d.%02d%%\n", int(r / 100), r % 100 }'
}
# tile FILE NAME: the figure of a tile
tile() {
	sed -n "s|.*<li id=\"tile-$2\"><b>\([^<]*\)</b>.*|\1|p" "$1"
}
# report OUT ARGS...: run the report; $rc, $err
report() {
	out=$1
	shift
	"$BG" -c "$CONF" report --html "$out" "$@" 2> "$T/err"
	rc=$?
	err=$(cat "$T/err")
}

# ---- the whole store, default 30 days ----
R=$T/out/report.html
report "$R"
is "report exits 0" "$rc" 0
is "report says nothing on stderr" "$err" ""
has "the page is an HTML document" "$R" "<!DOCTYPE html>"
has "the page has a viewport for phones" "$R" '<meta name="viewport" content="width=device-width, initial-scale=1">'
has "the page has a print style" "$R" "@media print"
has "the period is 30 days" "$R" "(30 days), all recipient domains"
for k in sent bounced hard soft block complaint suppressions; do
	is "tile $k is the seeder's total" "$(tile "$R" "$k")" "$(want total "$k")"
done
is "tile rate is bounced over sent" "$(tile "$R" rate)" \
    "$(rate "$(want total bounced)" "$(want total sent)")"

# Every day of the figures table, as the seeder counted it.
grep '^day ' "$T/expected" | while read -r _ d rest; do
	eval "$(echo "$rest" | tr ' ' '\n' | sed 's/^/s_/')"
	printf '<tr><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td>\n' \
	    "$d" "$s_sent" "$s_bounced" "$(rate "$s_bounced" "$s_sent")" \
	    "$s_hard" "$s_soft" "$s_block" "$s_complaint" "$s_suppressions"
done > "$T/rows"
missing=$(while IFS= read -r row; do
	grep -qF -- "$row" "$R" || printf '%s\n' "$row"
done < "$T/rows" | head -3)
is "the figures table has each day's sent, bounced, rate, types and suppressions" "$missing" ""

for c in chart-rate chart-types chart-reasons chart-suppressions; do
	has "chart $c is inline SVG with a title and a description" "$R" \
	    "<svg class=\"chart\" id=\"$c\" viewBox="
	has "chart $c has its <desc>" "$R" "<desc id=\"$c-d\">"
done
for d in gmail.com outlook.com yahoo.com; do
	has "the rate chart's legend has $d with its figures" "$R" \
	    "$d <b>$(rate "$(want "domain $d" bounced)" "$(want "domain $d" sent)") ($(want "domain $d" bounced) of $(want "domain $d" sent))</b>"
done
last=$(grep '^day ' "$T/expected" | tail -1)
lday=$(echo "$last" | cut -d' ' -f2)
lsent=$(echo "$last" | tr ' ' '\n' | sed -n 's/^sent=//p')
lbounced=$(echo "$last" | tr ' ' '\n' | sed -n 's/^bounced=//p')
POINT="<title>$lday all domains: $(rate "$lbounced" "$lsent")</title>"
has "the last point of the rate line carries its figure" "$R" "$POINT"
has "the type chart's legend has the hard total" "$R" "hard <b>$(want total hard)</b>"
has "oldisp.example is at critical health, with its figures" "$R" \
    "<tr><td>oldisp.example</td><td><span class=\"badge critical\">critical</span></td><td class=\"n\">$(rate "$(want "domain oldisp.example" bounced)" "$(want "domain oldisp.example" sent)")</td><td class=\"n\">$(want "domain oldisp.example" sent)</td><td class=\"n\">$(want "domain oldisp.example" bounced)</td>"
has "smallbiz.example is at warning health" "$R" \
    '<tr><td>smallbiz.example</td><td><span class="badge warning">warning</span></td>'
hasnt "gmail.com is not in the health table" "$R" '<tr><td>gmail.com</td>'
has "userunknown is the top reason, with its count" "$R" \
    "<g class=\"row\"><title>userunknown: $(($(want total hard) - $(want "domain oldisp.example" hard))) (hard)</title>"
is "15 recent hard bounces are listed" \
    "$(grep -o '<li><div class="who">' "$R" | wc -l | tr -d ' ')" 15

# The hostile diagnostic: shown as text, escaped.
has "a hostile diagnostic is escaped" "$R" \
    '&lt;img src=&quot;http://tracker.invalid/pixel.png&quot;&gt; &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot; user unknown'
hasnt "no script element" "$R" '<script'
hasnt "no element that loads or links anything" "$R" \
    '<(img|link|iframe|frame|object|embed|a|base|audio|video|source|track|form|meta http-equiv)[ >]'
hasnt "no attribute that names a URL" "$R" \
    "(src|href|srcset|action|poster|data|background|xlink:href)=[\"']"
hasnt "no style sheet reference but to the page's own patterns" "$R" \
    'url\([^#]|@import|@font-face'
hasnt "URLs appear only as escaped text" "$R" '="[a-z]+://'

# ---- one domain, fewer days ----
report "$T/out/dom.html" --domain @OldISP.example
is "report --domain exits 0" "$rc" 0
for k in sent bounced hard; do
	is "--domain: tile $k is the domain's" "$(tile "$T/out/dom.html" "$k")" \
	    "$(want "domain oldisp.example" "$k")"
done
has "--domain: the title names the domain" "$T/out/dom.html" \
    ", oldisp.example</title>"
hasnt "--domain: no other domain's hard bounces" "$T/out/dom.html" \
    '<div class="who">[^<]*@(gmail|outlook|yahoo)'
report "$T/out/week.html" --days 7
is "report --days 7 exits 0" "$rc" 0
has "--days 7: the period is 7 days" "$T/out/week.html" "(7 days)"
is "--days 7: tile sent adds up the last 7 days" \
    "$(tile "$T/out/week.html" sent)" \
    "$(grep '^day ' "$T/expected" | tail -7 | tr ' ' '\n' | sed -n 's/^sent=//p' | awk '{ s += $1 } END { print s }')"
"$BG" -c "$CONF" report --html - --days 1 > "$T/out/stdout.html" 2> "$T/err"
is "--html - writes to standard output" "$(head -c 15 "$T/out/stdout.html")" "<!DOCTYPE html>"

# ---- an empty store ----
mkdir -p "$T/empty"
[ -n "$AS_USER" ] && chown nobody "$T/empty"
sed "s|^store_dir = .*|store_dir = $T/empty|" "$CONF" > "$T/empty.conf"
"$BG" -c "$T/empty.conf" report --html "$T/out/empty.html" 2> "$T/err"
is "an empty store: exit 0" "$?" 0
is "an empty store: nothing sent" "$(tile "$T/out/empty.html" sent)" 0
has "an empty store: no bounce, said in words" "$T/out/empty.html" \
    '<p class="none">No hard bounce in the period.</p>'
hasnt "an empty store: no NaN drawn" "$T/out/empty.html" '[^a-z](nan|inf)[^a-z]'

# ---- usage and errors ----
U='(usage: bounceguard report --html FILE [--days N] [--domain DOMAIN])'
report_usage() {
	want_msg=$1
	shift
	"$BG" -c "$CONF" report "$@" > "$T/out/u" 2> "$T/err"
	is "usage: report $* (exit 2)" "$?" 2
	is "usage: report $* (message)" "$(cat "$T/err")" "$want_msg"
}
report_usage "bounceguard: no output file given (--html FILE) $U"
report_usage "bounceguard: bad number of days \"0\" (1 to 3660) $U" --html "$T/x" --days 0
report_usage "bounceguard: bad domain \"no domain\" $U" --html "$T/x" --domain "no domain"
report_usage "bounceguard: unexpected argument \"extra\" $U" --html "$T/x" extra
report "$T/nonexistent/r.html"
is "an unwritable output: exit 1" "$rc" 1
is "an unwritable output: the message names it" "$err" \
    "bounceguard: report: cannot create $T/nonexistent/r.html: No such file or directory"

# ---- headless Chromium ----
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	skip "chromium not installed (apt-get install chromium): the page was not rendered"
	echo "1..$n"
	[ "$failed" = 0 ]
	exit
fi

# The control page must show the request the report must not make.
cat > "$T/out/control.html" <<'EOF'
<!DOCTYPE html><html><body><p>control</p>
<img src="http://tracker.invalid/control.png"></body></html>
EOF
chmod -R a+rX "$T/out"

# browse NAME URL ARGS...: one headless run, with its own profile and a
# network log; all traffic goes to a closed port, so nothing leaves.
browse() {
	name=$1
	url=$2
	shift 2
	mkdir -p "$T/home-$name"
	HOME=$T/home-$name XDG_CONFIG_HOME=$T/home-$name \
	XDG_CACHE_HOME=$T/home-$name timeout 60 "$CHROMIUM" --headless \
	    --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --hide-scrollbars \
	    --user-data-dir="$T/profile-$name" \
	    --proxy-server=127.0.0.1:9 --host-resolver-rules='MAP * ~NOTFOUND' \
	    --log-net-log="$T/net-$name.json" "$@" "$url" \
	    > "$T/$name.out" 2> "$T/$name.err"
}
# page_requests NAME: the URLs the page asked for, from the network log.
# Chromium's own background requests have no initiator ("not an origin")
# and are not tied to the page's site (network_isolation_key).
page_requests() {
	perl -MJSON::PP -e '
	    local $/; open my $f, "<", $ARGV[0] or print("no net log\n"), exit;
	    my $t = <$f>; $t =~ s/,\s*$//; $t .= "]}" unless $t =~ /\}\s*$/;
	    my $j = eval { JSON::PP->new->relaxed->decode($t) }
		or print("unreadable net log\n"), exit;
	    my $start = $j->{constants}{logEventTypes}{URL_REQUEST_START_JOB};
	    my %seen;
	    for my $e (@{$j->{events}}) {
		my $p = $e->{params};
		next unless $e->{type} == $start && $p && defined $p->{url};
		next if $p->{url} =~ /^(file|data|about|chrome):/;
		$seen{$p->{url}} = 1
		    if ($p->{initiator} // "") ne "not an origin"
		    || ($p->{network_isolation_key} // "") =~ /file:/;
	    }
	    print map { "$_\n" } sort keys %seen' "$T/net-$1.json"
}

browse control "file://$T/out/control.html" --dump-dom
ctl=$(page_requests control 2>&1)
is "the network check sees the control page's external image" "$ctl" \
    "http://tracker.invalid/control.png"

browse dom "file://$R" --dump-dom
D=$T/dom.out
has "Chromium parsed the page (DOM dump)" "$D" '<main class="grid">'
for c in chart-rate chart-types chart-reasons chart-suppressions; do
	has "DOM: $c is an svg element" "$D" "<svg class=\"chart\" id=\"$c\""
done
has "DOM: the rate chart's title" "$D" '<title id="chart-rate-t">Bounce rate per day</title>'
has "DOM: the type chart's title" "$D" '<title id="chart-types-t">Bounces per day by type</title>'
has "DOM: the reasons chart's title" "$D" '<title id="chart-reasons-t">Top reasons</title>'
has "DOM: the suppressions chart's title" "$D" '<title id="chart-suppressions-t">Suppressions added per day</title>'
has "DOM: the last rate point with its figure" "$D" "$POINT"
is "DOM: 30 bars of suppressions" "$(grep -o '<title>[0-9-]* suppressions: [0-9]*</title>' "$D" | wc -l | tr -d ' ')" \
    "$(grep '^day ' "$T/expected" | grep -vc 'suppressions=0$')"
for k in sent bounced hard suppressions; do
	is "DOM: tile $k" "$(tile "$D" "$k")" "$(want total "$k")"
done
has "DOM: the hostile diagnostic is text" "$D" \
    "&lt;script&gt;alert('x')&lt;/script&gt;"
hasnt "DOM: no script or image element" "$D" '<(script|img)[ >]'
is "the report made no network request" "$(page_requests dom)" ""

# png_size FILE: "WIDTHxHEIGHT" from the PNG header, or "not a PNG"
png_size() {
	perl -e 'open my $f, "<:raw", $ARGV[0] or die; read $f, my $h, 24;
	    my ($sig, $w, $ht) = unpack "a8 x8 N N", $h;
	    print $sig eq "\x89PNG\r\n\x1a\n" ? "${w}x$ht" : "not a PNG"' "$1"
}
for size in 390x844 1400x1000; do
	w=${size%x*}
	h=${size#*x}
	browse "shot$w" "file://$R" --screenshot="$T/shot-$w.png" \
	    --window-size="$w,$h"
	is "screenshot at $size: a PNG of that size" "$(png_size "$T/shot-$w.png")" "$size"
	bytes=$(wc -c < "$T/shot-$w.png")
	if [ "$bytes" -gt 30000 ]; then
		pass "screenshot at $size has content ($bytes bytes)"
	else
		fail "screenshot at $size has content ($bytes bytes; a blank page is about 5000)"
	fi
	is "screenshot at $size: no network request" "$(page_requests "shot$w")" ""
done

echo "1..$n"
[ "$failed" = 0 ]
