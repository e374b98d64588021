#!/bin/sh
# debfetch.sh STATE SUITE ARCH PACKAGE...
# Downloads Debian binary packages into STATE/debs with apt-get, through a
# private source list ("deb [arch=ARCH] MIRROR SUITE main") and a private
# state and cache under STATE: the system's apt configuration and package
# state are untouched, and ARCH need not be the host's.  A PACKAGE of the form
# "prefix*suffix" is resolved to the newest matching name in the suite's
# index (for Linux images, whose ABI number changes with point releases).
# Used by configure (Unicorn 2.1) and guests/linux/build.sh.  MIRROR is
# $DEBIAN_MIRROR, default http://deb.debian.org/debian.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 STATE SUITE ARCH PACKAGE..." >&2; exit 2; }
a=$1 suite=$2 arch=$3
shift 3
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/debs"
echo "deb [arch=$arch] $mirror $suite main" >"$a/sources.list"
pkgs=$*
set -- -o "Dir::Etc::SourceList=$a/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
	-o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" \
	-o "APT::Architectures=$arch" -o "APT::Architecture=$arch"
# As root, apt downloads as user _apt, who may not reach the build tree.
[ "$(id -u)" != 0 ] || set -- "$@" -o APT::Sandbox::User=root
echo "\$ apt-get $* update"
apt-get "$@" update
names=
for p in $pkgs; do
	case $p in
	*'*'*)
		q=$(apt-cache "$@" pkgnames "${p%%\**}" | grep -x "$(echo "$p" | sed 's/[.]/\\./g; s/[*]/.*/g')" |
			sort -V | tail -n 1)
		[ -n "$q" ] || { echo "debfetch: no package matches $p in $suite ($arch)" >&2; exit 1; }
		p=$q ;;
	esac
	names="$names $p"
done
echo "\$ apt-get $* download$names"
(cd "$a/debs" && apt-get "$@" download $names)
rm -rf "$a/lists" "$a/cache"
