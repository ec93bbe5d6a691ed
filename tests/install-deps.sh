#!/bin/sh
# Install the Debian packages pyspy-sh needs to build and test, if any are
# missing.  Used by `make demo` (build and run) and, with --test, by
# `make test` (also what the tests drive: pexpect for the terminal tests,
# Chromium for the flame graph's browser test).  Safe to run again.
set -e
PKGS="gcc make pkg-config libreadline-dev libunwind-dev libdw-dev libelf-dev liblua5.4-dev python3"
[ "$1" = "--test" ] && PKGS="$PKGS python3-pexpect chromium"
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
