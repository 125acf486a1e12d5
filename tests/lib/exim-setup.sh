#!/bin/sh
# exim-setup.sh - a private, unpacked Exim for the integration tests.
#
# sh tests/lib/exim-setup.sh
#   Prints the path of a working exim binary on standard output and exits 0;
#   otherwise says why on standard error and exits 1 (the tests then skip).
#
# Debian's exim4-daemon-heavy conflicts with Postfix, so it is not installed:
# exim4-base and exim4-daemon-heavy are fetched with "apt-get download" into
# $BG_EXIM_DIR (default /var/tmp/bounceguard-exim) and unpacked there with
# "dpkg -x". Its shared libraries are installed with apt-get (the list is
# also in build-aux/deps.sh's test_pkgs) and the Debian-exim user it is
# compiled for is created. Needs root the first time; afterwards it only
# checks that everything is still there, which is quick.
set -u

dir=${BG_EXIM_DIR:-/var/tmp/bounceguard-exim}
exim=$dir/root/usr/sbin/exim4
libs="libmariadb3 libidn12 libspf2-2"

fail() { echo "exim-setup: $*" >&2; exit 1; }

# ready - the binary is unpacked, links, and knows its user
ready() {
	[ -x "$exim" ] || return 1
	id Debian-exim >/dev/null 2>&1 || return 1
	! ldd "$exim" 2>/dev/null | grep -q 'not found'
}

if ready; then
	echo "$exim"
	exit 0
fi
[ "$(id -u)" = 0 ] || fail "Exim is not set up in $dir and setting it up needs root"

if ! id Debian-exim >/dev/null 2>&1; then
	useradd -r -U -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim ||
	    fail "cannot create the Debian-exim user"
fi

if [ ! -x "$exim" ]; then
	mkdir -p "$dir/debs" || fail "cannot create $dir"
	# apt's sandbox user _apt must be able to write the download directory.
	chmod 755 "$dir"
	chown _apt "$dir/debs" 2>/dev/null
	download() {
		(cd "$dir/debs" && apt-get download exim4-base exim4-daemon-heavy) \
		    > "$dir/download.log" 2>&1
	}
	if ! download; then
		apt-get update -qq >> "$dir/download.log" 2>&1
		download || fail "apt-get download exim4-base exim4-daemon-heavy failed (no mirror?): $(grep -E '^(E|Err):' "$dir/download.log" | head -1)"
	fi
	rm -rf "$dir/root.new"
	for deb in "$dir"/debs/exim4-base_*.deb "$dir"/debs/exim4-daemon-heavy_*.deb; do
		[ -f "$deb" ] || fail "no package in $dir/debs after apt-get download"
		dpkg -x "$deb" "$dir/root.new" || fail "dpkg -x $deb failed"
	done
	rm -rf "$dir/root" && mv "$dir/root.new" "$dir/root" ||
	    fail "cannot move the unpacked Exim into $dir/root"
	rm -f "$dir"/debs/*.deb
fi

if ldd "$exim" | grep -q 'not found'; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $libs > "$dir/install.log" 2>&1 || {
		apt-get update -qq >> "$dir/install.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $libs >> "$dir/install.log" 2>&1
	}
	missing=$(ldd "$exim" | awk '/not found/ { print $1 }' | tr '\n' ' ')
	[ -z "$missing" ] || fail "$exim still lacks libraries: $missing(apt-get install $libs: see $dir/install.log)"
fi

ready || fail "$exim is not usable"
echo "$exim"
