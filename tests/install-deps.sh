#!/bin/sh
# Install the Debian packages pyspy-sh needs, if any are missing.  Used by
# `make demo` (build and run) and, with --test, by `make test`, which also
# needs what the tests drive: pexpect for the terminal tests, Chromium for
# the flame graph's browser test, strace for the read-only audit, clang and
# libFuzzer's runtime for the fuzz harnesses.  Safe to run again.
set -e
PKGS="gcc make pkg-config libreadline-dev libunwind-dev libdw-dev libelf-dev liblua5.4-dev python3"
[ "$1" = "--test" ] && PKGS="$PKGS python3-pexpect chromium strace clang gdb"

updated=""
install_missing() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "pyspy-sh: missing packages:$missing" >&2
		echo "pyspy-sh: run as root, or: sudo apt-get install$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$updated" ] || apt-get update -qq
	updated=1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

install_missing $PKGS
# libFuzzer's runtime ships apart from clang on Debian 12 (libclang-rt-14-dev),
# named after clang's major version, known only once clang is installed
if [ "$1" = "--test" ] && command -v clang >/dev/null 2>&1; then
	major=$(clang -dumpversion | cut -d. -f1)
	if apt-cache show "libclang-rt-$major-dev" >/dev/null 2>&1; then
		install_missing "libclang-rt-$major-dev"
	fi
fi
