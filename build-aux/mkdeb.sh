#!/bin/sh
# mkdeb.sh - build the Debian package bounceguard_VERSION_ARCH.deb.
#
# mkdeb.sh VERSION
#   Copies the source tree (without build/, .git and what configure and
#   autoreconf generate) to build/deb/bounceguard-VERSION, runs
#   "dpkg-buildpackage -b -us -uc" there, and leaves the package in
#   build/. The copy keeps the tree's own build/ and config.mk as they
#   were, and dpkg-buildpackage writes its results next to the copy, in
#   build/deb/, not in the tree's parent directory. VERSION (configure.ac)
#   must be the version of the newest entry of debian/changelog.
set -eu
version=${1:?usage: mkdeb.sh VERSION}
cd "$(dirname "$0")/.."

for tool in dpkg-buildpackage dh; do
	command -v $tool >/dev/null 2>&1 || {
		echo "deb: $tool not found: install dpkg-dev and debhelper" \
		    "(make deps, as root)" >&2
		exit 1
	}
done
changelog=$(dpkg-parsechangelog -S Version)
if [ "$changelog" != "$version" ]; then
	echo "deb: debian/changelog is at version $changelog, configure.ac" \
	    "at $version: add a changelog entry (dch -v $version)" >&2
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=bounceguard_${version}_$arch.deb
work=build/deb
src=$work/bounceguard-$version

rm -rf "$work"
mkdir -p "$src"
tar -cf - --exclude=./build --exclude=./.git --exclude=./config.mk \
    --exclude=./config.log --exclude=./config.status \
    --exclude=./configure --exclude=./configure~ \
    --exclude=./autom4te.cache --exclude=./aclocal.m4 \
    --exclude=./build-aux/install-sh --exclude=./build-aux/config.guess \
    --exclude=./build-aux/config.sub --exclude=./build-aux/missing \
    --exclude=./build-aux/compile . | tar -xf - -C "$src"

jobs=$(nproc 2>/dev/null || echo 1)
echo "deb: dpkg-buildpackage -b -us -uc in $src (log: $work/build.log)"
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	echo "deb: FAIL: dpkg-buildpackage failed (whole log: $work/build.log)" >&2
	exit 1
fi
cp "$work/$deb" "build/$deb"
echo "deb: built build/$deb"
