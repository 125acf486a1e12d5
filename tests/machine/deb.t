#!/bin/sh
# deb.t - the Debian package, built, installed on this machine, used and
# purged.
#
# Builds bounceguard_VERSION_ARCH.deb with "make deb", checks it with
# lintian (no error or warning), installs it with dpkg -i, and checks
# what an administrator finds: the programs, rules, man pages and units;
# the conffile; the bounceguard system user; /var/lib/bounceguard and its
# quarantine owned by that user; a fresh VERP secret; the back-off
# transport map when Postfix is installed; "bounceguard check"
# and "bounceguard-milter -t" with the installed configuration once a
# verp_domain is set; and a signed hard bounce delivered through the
# installed bounceguard-pipe, as the bounceguard user, suppressing its
# recipient. Then dpkg -r keeps the store and the secret (a reinstall
# finds the suppression again), and dpkg -P removes everything the
# package and its scripts made, except the system user (Debian leaves
# system users in place).
#
# It changes the machine, so "make check" does not run it: "make
# check-deb" does (as .ci/run does). It needs root, and skips rather
# than touch an existing installation (the package installed, or
# /etc/bounceguard or /var/lib/bounceguard present). A bounceguard user
# left by other tests (useradd) is removed first when no process runs as
# it, so that the postinst's creation of the user is what is tested.
# Whatever happens, the package is purged on exit.
set -u
src=${BG_SRC:?BG_SRC not set}
n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"
	else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# check DESCRIPTION COMMAND...: ok when the command succeeds; returns
# its success, so that "check ... || diag FILE" shows why it failed
check() {
	d=$1; shift
	if "$@"; then ok 0 "$d"; else ok 1 "$d"; return 1; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { sed 's/^/# /' "$@"; }

[ "$(id -u)" = 0 ] || skip_all "needs root (dpkg -i, dpkg -P)"
for t in dpkg-buildpackage dh runuser; do
	command -v $t >/dev/null 2>&1 ||
	    skip_all "$t not found (make deps installs dpkg-dev and debhelper)"
done
status=$(dpkg-query -W -f '${db:Status-Abbrev}' bounceguard 2>/dev/null)
case $status in
?[!n]*) skip_all "the bounceguard package is installed (status $status);" \
	"this test would purge it" ;;
esac
for d in /etc/bounceguard /var/lib/bounceguard; do
	[ -e $d ] && skip_all "$d exists (an installation?); this test would" \
	    "remove it on purge"
done

T=$(mktemp -d /tmp/bg-deb-XXXXXX)
chmod 755 "$T"
cleanup() {
	if dpkg-query -W bounceguard >/dev/null 2>&1; then
		dpkg -P bounceguard >/dev/null 2>&1 ||
		    echo "# cleanup: dpkg -P bounceguard failed" >&2
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

version=$(sed -n 's/^AC_INIT(\[bounceguard\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
arch=$(dpkg --print-architecture)
deb=$src/build/bounceguard_${version}_$arch.deb
conf=/etc/bounceguard/bounceguard.conf
secret=/etc/bounceguard/verp.secret
pipe=/usr/libexec/bounceguard/bounceguard-pipe

# ---- build ----
# configure's output first (as "make" makes it): the check below is
# about what the package build writes.
make -s -C "$src" config.mk >"$T/build.log" 2>&1 || diag "$T/build.log"
touch "$T/stamp"
sleep 1
rm -f "$deb"
make -s -C "$src" deb >"$T/build.log" 2>&1
rc=$?
check "make deb builds bounceguard_${version}_$arch.deb" \
    test $rc = 0 -a -f "$deb" || diag "$T/build.log"
changed=$(find "$src" -path "$src/build" -prune -o -path "$src/.git" -prune \
    -o -newer "$T/stamp" -print)
check "the build leaves the tree outside build/ as it was" test -z "$changed" ||
    echo "$changed" | sed 's/^/# changed: /'
check "nothing written to the tree's parent directory" \
    test -z "$(find "$src/.." -maxdepth 1 -name 'bounceguard_*' -newer "$T/stamp")"
[ -f "$deb" ] || { echo "1..$n"; exit 1; }

if command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error,warning "$deb" >"$T/lintian" 2>&1
	rc=$?
	check "lintian: no error or warning" test $rc = 0 || diag "$T/lintian"
else
	echo "ok $((n = n + 1)) # SKIP lintian not installed"
fi
dpkg-deb -c "$deb" > "$T/contents"
check "no VERP secret in the package (each machine makes its own)" \
    test -z "$(grep verp.secret "$T/contents")"
check "the store directory is not in the package (the postinst makes it)" \
    test -z "$(grep 'var/lib' "$T/contents")"

# ---- install ----
# The suite's milter tests may have made a bounceguard user with useradd;
# with no installation on this machine (checked above) and no process of
# its own, it is removed so that the postinst's creation is what is
# tested.
if getent passwd bounceguard >/dev/null && ! pgrep -u bounceguard >/dev/null; then
	echo "# removing the existing bounceguard user to test its creation"
	userdel bounceguard 2>/dev/null
	getent group bounceguard >/dev/null && groupdel bounceguard 2>/dev/null
fi
fresh_user=1
getent passwd bounceguard >/dev/null && fresh_user=0

dpkg -i "$deb" >"$T/install.log" 2>&1
rc=$?
check "dpkg -i installs it" test $rc = 0 || diag "$T/install.log"
check "status: installed" \
    test "$(dpkg-query -W -f '${db:Status-Abbrev}' bounceguard)" = "ii "

for f in /usr/sbin/bounceguard /usr/sbin/bounceguard-milter $pipe; do
	check "program $f" test -x $f
done
nrules=$(ls "$src"/rules/*.rules | wc -l)
check "the $nrules shipped rule files in /usr/share/bounceguard/rules" \
    test "$(ls /usr/share/bounceguard/rules/*.rules 2>/dev/null | wc -l)" = "$nrules"
for m in man5/bounceguard.conf.5 man5/bounceguard-rules.5 man8/bounceguard.8 \
    man8/bounceguard-milter.8 man8/bounceguard-pipe.8; do
	check "man page $m" test -f /usr/share/man/$m.gz
done
units="bounceguard-milter.service bounceguard-follow.service
    bounceguard-expire.service bounceguard-expire.timer
    bounceguard-metrics.service bounceguard-metrics.timer"
for u in $units; do
	check "systemd unit $u" test -f /lib/systemd/system/$u
done
check "units run the installed programs" \
    grep -q '^ExecStart=/usr/sbin/bounceguard expire$' \
    /lib/systemd/system/bounceguard-expire.service
if command -v systemd-analyze >/dev/null 2>&1; then
	(cd /lib/systemd/system && systemd-analyze verify --man=no $units) \
	    >"$T/verify" 2>&1
	check "systemd-analyze verify: the units and their programs" \
	    test $? = 0 || diag "$T/verify"
else
	echo "ok $((n = n + 1)) # SKIP systemd-analyze not installed"
fi
check "the expire timer is enabled" \
    test -L /etc/systemd/system/timers.target.wants/bounceguard-expire.timer
check "the milter is not enabled (it needs a verp_domain first)" \
    test ! -e /etc/systemd/system/multi-user.target.wants/bounceguard-milter.service
check "nor the mail log follower (opt-in)" \
    test ! -e /etc/systemd/system/multi-user.target.wants/bounceguard-follow.service
check "nor the metrics timer (opt-in)" \
    test ! -e /etc/systemd/system/timers.target.wants/bounceguard-metrics.timer
check "$conf is a conffile" sh -c \
    "dpkg-query -W -f '\${Conffiles}' bounceguard | grep -q '^ $conf '"
check "the Postfix example names the installed pipe" grep -q "argv=$pipe" \
    /usr/share/doc/bounceguard/examples/postfix/master.cf.pipe

pw=$(getent passwd bounceguard)
uid=$(echo "$pw" | cut -d: -f3)
group=$(id -gn bounceguard 2>/dev/null)
if [ $fresh_user = 1 ]; then
	check "the postinst made the bounceguard system user" \
	    test -n "$pw" -a "${uid:-1000}" -lt 1000
	check "... with no login shell" sh -c \
	    "echo '$pw' | cut -d: -f7 | grep -Eq '/(nologin|false)\$'"
else
	echo "ok $((n = n + 1)) # SKIP the bounceguard user existed before"
fi
for d in /var/lib/bounceguard /var/lib/bounceguard/quarantine; do
	check "$d belongs to bounceguard:$group, mode 750" \
	    test "$(stat -c '%U:%G %a' $d 2>/dev/null)" = "bounceguard:$group 750"
done
check "a VERP secret of 64 hex digits" grep -Eqx '[0-9a-f]{64}' $secret
check "the secret is root's, readable by the group $group only" \
    test "$(stat -c '%U:%G %a' $secret 2>/dev/null)" = "root:$group 640"
secret_before=$(cat $secret 2>/dev/null)
map=/var/lib/bounceguard/backoff_transport
if [ -x /usr/sbin/postmap ] && [ -e /etc/postfix/main.cf ]; then
	check "the postinst wrote the back-off transport map and its index" \
	    test -f $map -a -f $map.db
	check "... as the bounceguard user" \
	    test "$(stat -c %U $map.db 2>/dev/null)" = bounceguard
	check "... which routes no domain yet" \
	    sh -c "! grep -v '^#' $map | grep -q ."
else
	echo "ok $((n = n + 1)) # SKIP no Postfix: the postinst writes no transport map"
fi

# ---- use ----
bounceguard check >"$T/out" 2>"$T/err"
rc=$?
check "bounceguard check, as installed: verp_domain is not set" \
    sh -c "[ $rc = 1 ] && grep -q 'verp_domain is not set' '$T/err'" ||
    diag "$T/out" "$T/err"
bounceguard-milter -t >"$T/out" 2>&1
rc=$?
check "bounceguard-milter -t, as installed: refuses, verp_domain not set" \
    sh -c "[ $rc = 1 ] && grep -q 'verp_domain: not set' '$T/out'" ||
    diag "$T/out"
sed -i 's/^verp_domain =$/verp_domain = bounces.example.com/' $conf
bounceguard check >"$T/out" 2>"$T/err"
rc=$?
check "bounceguard check with a verp_domain: ok, the installed configuration" \
    sh -c "[ $rc = 0 ] && grep -qx 'check: ok ($conf)' '$T/out'" ||
    diag "$T/out" "$T/err"
bounceguard-milter -t >"$T/out" 2>&1
rc=$?
check "bounceguard-milter -t accepts it" test $rc = 0 || diag "$T/out"

. "$src/tests/lib/dsn.sh"
rcpt=jane@example.org
verp=$(bounceguard verp encode $rcpt 2>"$T/err")
check "bounceguard verp encode stamps at bounces.example.com" \
    sh -c "echo '$verp' | grep -q '@bounces.example.com\$'" || diag "$T/err"
dsn $rcpt 5.1.1 "550 5.1.1 <$rcpt>: Recipient address rejected: User unknown" \
    failed "deb-1@mx.remote.example" "$verp" > "$T/bounce.eml"
chmod 644 "$T/bounce.eml"
runuser -u bounceguard -- $pipe -c $conf -r "$verp" -s "" -q DEBTEST1 \
    <"$T/bounce.eml" >"$T/out" 2>"$T/err"
rc=$?
check "the installed pipe, as bounceguard, records a signed hard bounce" \
    test $rc = 0 || diag "$T/out" "$T/err"
bounceguard show $rcpt >"$T/show" 2>&1
check "bounceguard show: $rcpt suppressed (userunknown)" \
    sh -c "grep -qi suppressed '$T/show' && grep -q userunknown '$T/show'" ||
    diag "$T/show"
check "store files belong to bounceguard" test -z \
    "$(find /var/lib/bounceguard ! -user bounceguard)"
bounceguard check >"$T/out" 2>"$T/err"
check "bounceguard check still ok after the delivery" test $? = 0 ||
    diag "$T/err"

# ---- upgrade (the same package again), remove, reinstall ----
dpkg -i "$deb" >"$T/upgrade.log" 2>&1
check "dpkg -i over the installed package (as an upgrade runs)" \
    test $? = 0 || diag "$T/upgrade.log"
check "it keeps the edited configuration and the secret" sh -c \
    "grep -q '^verp_domain = bounces.example.com\$' $conf &&
     [ \"\$(cat $secret)\" = '$secret_before' ]"
check "and the suppression" sh -c \
    "bounceguard show $rcpt 2>&1 | grep -q userunknown"
dpkg -r bounceguard >"$T/remove.log" 2>&1
rc=$?
check "dpkg -r removes it" test $rc = 0 || diag "$T/remove.log"
check "programs gone" test ! -e /usr/sbin/bounceguard -a ! -e $pipe
check "the store is kept" test -n "$(ls /var/lib/bounceguard 2>/dev/null)"
check "the secret is kept, unchanged" \
    test "$(cat $secret 2>/dev/null)" = "$secret_before"
check "the edited configuration is kept" \
    grep -q '^verp_domain = bounces.example.com$' $conf
# As "make install" leaves it: the postinst hands it to the user.
chown root:root /var/lib/bounceguard
dpkg -i "$deb" >"$T/install.log" 2>&1
check "dpkg -i again" test $? = 0 || diag "$T/install.log"
check "a root-owned /var/lib/bounceguard is handed to bounceguard" \
    test "$(stat -c %U /var/lib/bounceguard)" = bounceguard
bounceguard show $rcpt >"$T/show" 2>&1
check "the reinstalled package finds the suppression" \
    grep -q userunknown "$T/show" || diag "$T/show"
check "and the same secret" test "$(cat $secret 2>/dev/null)" = "$secret_before"

# ---- purge ----
dpkg -P bounceguard >"$T/purge.log" 2>&1
rc=$?
check "dpkg -P purges it" test $rc = 0 || diag "$T/purge.log"
check "dpkg no longer knows the package" \
    test -z "$(dpkg-query -W -f '${db:Status-Abbrev}' bounceguard 2>/dev/null | tr -d ' n')"
left=$(ls -d /etc/bounceguard /var/lib/bounceguard /usr/sbin/bounceguard* \
    /usr/libexec/bounceguard /usr/share/bounceguard /usr/share/doc/bounceguard \
    /usr/share/man/man*/bounceguard* /lib/systemd/system/bounceguard* \
    /etc/systemd/system/*/bounceguard* \
    /var/lib/systemd/deb-systemd-helper-enabled/*bounceguard* \
    /var/lib/systemd/deb-systemd-helper-enabled/*/*bounceguard* 2>/dev/null)
check "nothing is left (files, store, secret, unit links)" test -z "$left" ||
    echo "$left" | sed 's/^/# left: /'
check "the bounceguard system user stays (Debian leaves system users)" \
    sh -c 'getent passwd bounceguard >/dev/null'

echo "1..$n"
[ $failed = 0 ]
