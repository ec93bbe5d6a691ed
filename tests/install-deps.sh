#!/bin/sh
# Install the Debian packages pyspy-sh needs to build and test, if any are
# missing.  Used by `make test` and `make demo`; safe to run again.
set -e
PKGS="gcc make pkg-config libreadline-dev libunwind-dev libdw-dev libelf-dev liblua5.4-dev python3 python3-pexpect strace clang"
# libFuzzer's runtime ships apart from clang on Debian 12 (libclang-rt-14-dev)
if command -v clang >/dev/null 2>&1; then
	major=$(clang -dumpversion | cut -d. -f1)
	apt-cache show "libclang-rt-$major-dev" >/dev/null 2>&1 && PKGS="$PKGS libclang-rt-$major-dev"
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "pyspy-sh: missing packages:$missing" >&2
	echo "pyspy-sh: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
