#!/bin/sh
# install.t - "make install" lays out the FHS tree under DESTDIR, fills the
# configured paths into the installed bounceguard.conf, creates a VERP
# secret, and never overwrites an existing configuration or secret.
set -u
src=${BG_SRC:?BG_SRC not set}
root=$(mktemp -d /tmp/bg-install-XXXXXX)
trap 'rm -rf "$root"' EXIT
n=0
ok() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi; }

make -s -C "$src" install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc/bounceguard \
    STATEDIR=/var/lib/bounceguard BG_GROUP=nogroup \
    SYSTEMDUNITDIR=/lib/systemd/system >"$root.log" 2>&1
rc=$?
ok "make install succeeds" '[ $rc -eq 0 ] || { sed "s/^/# /" "$root.log"; false; }'
ok "admin tool in sbin" '[ -x "$root/usr/sbin/bounceguard" ]'
ok "configuration installed" '[ -f "$root/etc/bounceguard/bounceguard.conf" ]'
ok "shipped rules path follows PREFIX" \
   'grep -q "^#shipped_rules_dir = /usr/share/bounceguard/rules\$" "$root/etc/bounceguard/bounceguard.conf"'
ok "secret created, not world-readable" \
   '[ -f "$root/etc/bounceguard/verp.secret" ] && [ "$(stat -c %a "$root/etc/bounceguard/verp.secret")" = 640 ]'
if [ "$(id -u)" = 0 ]; then
	ok "secret belongs to the programs' group (BG_GROUP)" \
	   '[ "$(stat -c %G "$root/etc/bounceguard/verp.secret")" = nogroup ]'
fi
ok "secret is 64 hex digits" \
   'grep -Eq "^[0-9a-f]{64}\$" "$root/etc/bounceguard/verp.secret"'
ok "site rules directory and state directory exist" \
   '[ -d "$root/etc/bounceguard/rules.d" ] && [ -d "$root/var/lib/bounceguard" ]'
ok "man pages installed" '[ -f "$root/usr/share/man/man5/bounceguard.conf.5" ]'
ok "man pages name the installed paths" \
   'grep -q "^\.Pa /usr/share/bounceguard/rules/\*\.rules\$" "$root/usr/share/man/man5/bounceguard-rules.5" &&
    ! grep -q /usr/local "$root"/usr/share/man/man*/*'
ok "SYSTEMDUNITDIR: the units, running the installed programs" \
   'grep -q "^ExecStart=/usr/sbin/bounceguard expire\$" "$root/lib/systemd/system/bounceguard-expire.service" &&
    grep -q "^ExecStart=/usr/sbin/bounceguard-milter -c /etc/bounceguard/bounceguard.conf\$" "$root/lib/systemd/system/bounceguard-milter.service" &&
    [ -f "$root/lib/systemd/system/bounceguard-expire.timer" ]'

echo "# site edit" >> "$root/etc/bounceguard/bounceguard.conf"
secret=$(cat "$root/etc/bounceguard/verp.secret")
make -s -C "$src" install DESTDIR="$root" PREFIX=/usr >"$root.log" 2>&1
rc=$?
ok "second install succeeds" '[ $rc -eq 0 ]'
ok "existing configuration left unchanged" \
   'tail -n 1 "$root/etc/bounceguard/bounceguard.conf" | grep -q "^# site edit\$"'
ok "existing secret left unchanged" \
   '[ "$(cat "$root/etc/bounceguard/verp.secret")" = "$secret" ]'
rm -f "$root.log"
echo "1..$n"
