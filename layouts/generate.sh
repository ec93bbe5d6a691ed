#!/bin/sh
# generate.sh — regenerate layouts/pyX_Y.generated.c from real CPython headers.
#
# For every CPython minor version pyspy-sh supports, compile gen_layout.c
# against that version's installed headers (pyenv, Py_BUILD_CORE, internal
# headers on the include path), run it, and write the table it prints.  The
# tables are committed, so only whoever changes layouts/ needs the headers.
# A version that is not installed is skipped with a message, never silently.
#
#   layouts/generate.sh           regenerate every installed version
#   layouts/generate.sh --check   also build against the system's headers
#                                 (Debian /usr/include/python3.X) and diff the
#                                 result with the committed table of that minor
#
# 3.14 and 3.15 come from Debian's builds, installed by tests/install-pythons.sh
# under PYSPY_PYTHONS (default /opt/pyspy-sh-pythons); Debian configures them
# with the JIT compiled in (-D_Py_TIER2=3 -D_Py_JIT), which changes the size of
# _PyRuntimeState and PyInterpreterState (no offset), so they are built with
# the same flags and their tables match the targets' own _Py_DebugOffsets.
#
# Environment: CC (default cc), PYENV_ROOT (default /root/.pyenv),
# SYSTEM_INCLUDE (default /usr/include), PYSPY_PYTHONS.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
pyenv=${PYENV_ROOT:-/root/.pyenv}/versions
sysinc=${SYSTEM_INCLUDE:-/usr/include}
versions="2.7.18 3.6.15 3.7.16 3.8.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0"
debian=${PYSPY_PYTHONS:-/opt/pyspy-sh-pythons}/usr/include
debian_versions="3.14 3.15"
debian_cflags="-D_Py_TIER2=3 -D_Py_JIT"
extra=""
cflags="-std=c11 -Wall -Wextra -Werror -DNDEBUG -DPYSPY_GEN_LAYOUT -DPy_BUILD_CORE"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# build_and_run OUT INCDIR...: compile against the include dirs, print to OUT.
build_and_run() {
	out=$1; shift
	incs=""
	for d in "$@"; do incs="$incs -I$d -I$d/internal"; done
	# shellcheck disable=SC2086
	$cc $cflags $extra $incs -I"$here" "$here/gen_layout.c" -o "$tmp/gen" &&
		"$tmp/gen" >"$out"
}

generate() {
	for v in $versions; do
		minor=${v%.*}
		inc=$(ls -d "$pyenv/$v/include/python$minor"* 2>/dev/null | head -n 1 || true)
		if [ -z "$inc" ]; then
			echo "skip $v: not installed (no $pyenv/$v/include/python$minor*)"
			continue
		fi
		name=py$(echo "$minor" | tr . _).generated.c
		if ! build_and_run "$tmp/$name" "$inc"; then
			echo "generate.sh: building or running gen_layout.c for $v failed" >&2
			exit 1
		fi
		mv "$tmp/$name" "$here/$name"
		echo "wrote layouts/$name from $inc"
	done
	for minor in $debian_versions; do
		inc=$debian/python$minor
		name=py$(echo "$minor" | tr . _).generated.c
		if [ ! -f "$inc/Python.h" ]; then
			echo "skip $minor: not installed (no $inc/Python.h; run tests/install-pythons.sh)"
			continue
		fi
		# pyconfig.h includes <x86_64-linux-gnu/python3.X/pyconfig.h>: $debian on the path
		extra="$debian_cflags -I$debian"
		if ! build_and_run "$tmp/$name" "$inc"; then
			echo "generate.sh: building or running gen_layout.c for Debian $minor failed" >&2
			exit 1
		fi
		extra=""
		mv "$tmp/$name" "$here/$name"
		echo "wrote layouts/$name from $inc ($debian_cflags)"
	done
}

# The full version appears only in the comment and in .headers; drop those.
strip_headers() {
	grep -v -e '\.headers = ' -e 'against the CPython ' "$1"
}

check() {
	status=0
	found=0
	for inc in "$sysinc"/python3.*; do
		[ -f "$inc/Python.h" ] || continue
		minor=${inc##*/python}
		name=py$(echo "$minor" | tr . _).generated.c
		found=1
		if [ ! -f "$here/$name" ]; then
			echo "check $minor: skip, no layouts/$name to compare with"
			continue
		fi
		archinc=$(ls -d "$sysinc"/*-linux-*/python"$minor" 2>/dev/null | head -n 1 || true)
		if ! build_and_run "$tmp/sys.c" "$inc" ${archinc:+"$archinc"}; then
			echo "check $minor: building gen_layout.c against $inc failed" >&2
			status=1
			continue
		fi
		sysver=$(sed -n 's/.*\.headers = "\(.*\)",/\1/p' "$tmp/sys.c")
		tabver=$(sed -n 's/.*\.headers = "\(.*\)",/\1/p' "$here/$name")
		strip_headers "$here/$name" >"$tmp/strip-tab"
		strip_headers "$tmp/sys.c" >"$tmp/strip-sys"
		if diff -u --label "layouts/$name ($tabver)" --label "$inc ($sysver)" \
			"$tmp/strip-tab" "$tmp/strip-sys"; then
			echo "check $minor: system headers $sysver agree with layouts/$name ($tabver)"
		else
			echo "check $minor: system headers $sysver DISAGREE with layouts/$name ($tabver)"
			status=1
		fi
	done
	[ "$found" = 1 ] || echo "check: skip, no system CPython headers under $sysinc"
	return $status
}

case "${1:-}" in
"") generate ;;
--check) generate && check ;;
*) echo "usage: layouts/generate.sh [--check]" >&2; exit 64 ;;
esac
