#!/bin/sh
# Install Debian's own builds of CPython 3.14 and 3.15 (from unstable, or
# experimental) into a private prefix, so the end-to-end tests can attach to
# them on a Debian 12 machine whose apt stays on bookworm.
#
#   tests/install-pythons.sh            # prefix: /opt/pyspy-sh-pythons
#   PYSPY_PYTHONS_PREFIX=/some/dir tests/install-pythons.sh
#
# Environment:
#   PYSPY_PYTHONS_PREFIX    where to install (absolute or relative path)
#   PYSPY_PYTHONS_VERSIONS  which versions, default "3.14 3.15"
#   PYSPY_DEBIAN_MIRROR     Debian mirror URL; default: the first Debian
#                           archive in this machine's own apt sources
#
# How: a private apt configuration (its own sources list, lists, cache and
# empty dpkg status) downloads the interpreter packages, their -dev headers
# and the runtime libraries they need from the same suite; `dpkg -x` unpacks
# them all into the prefix; patchelf points each interpreter at the prefix's
# own ld.so and, through DT_RPATH (which extension modules inherit), at its
# libraries.  Nothing is installed into the system but patchelf itself.
#
# Cached: a version whose PREFIX/ok-X.Y.txt exists and whose interpreter
# runs is not touched again.  Always exits 0: a version that cannot be had
# gets PREFIX/unavailable-X.Y.txt with the reason, which the tests report
# when they skip it.  The last lines printed are one per version:
#   python3.14 /opt/pyspy-sh-pythons/usr/bin/python3.14 3.14.10
#   python3.15 unavailable: <reason>

# Lists of package names are split into words on purpose (unquoted $pkgs).
# shellcheck disable=SC2086

PREFIX=${PYSPY_PYTHONS_PREFIX:-/opt/pyspy-sh-pythons}
VERSIONS=${PYSPY_PYTHONS_VERSIONS:-"3.14 3.15"}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# runtime libraries of the interpreters and their extension modules; the
# Depends of the downloaded packages are followed as well (see below), so a
# renamed library is found either way
LIBS="libc6 libssl3t64 libexpat1 zlib1g libzstd1 libgcc-s1 libffi8 libbz2-1.0
liblzma5 libncursesw6 libtinfo6 libreadline8t64 libsqlite3-0 libuuid1
libdb5.3t64 libcrypt1"

say() { echo "install-pythons: $*" >&2; }

case $PREFIX in
/*) ;;
*) PREFIX=$(pwd)/$PREFIX ;;
esac
PREFIX=${PREFIX%/}

# The check each interpreter must pass before it counts as installed.
CHECK='
import sys, ssl, sqlite3, ctypes, asyncio, threading, json
assert sys.prefix.startswith(sys.argv[1]), "prefix is %s" % sys.prefix
ssl.create_default_context()
sqlite3.connect(":memory:").execute("select 1").fetchone()
ctypes.CDLL(None)
json.loads(json.dumps({"a": [1]}))
asyncio.run(asyncio.sleep(0))
started, stop = threading.Event(), threading.Event()
def run():
    started.set()
    stop.wait(10)
t = threading.Thread(target=run, name="probe")
t.start()
started.wait(10)
frames = sys._current_frames()
assert t.ident in frames and threading.main_thread().ident in frames, frames
stop.set()
t.join()
print(sys.version.split()[0])
'

# stamp: the version line of an installed, working interpreter, or nothing
installed() {
	py=$PREFIX/usr/bin/python$1
	[ -f "$PREFIX/ok-$1.txt" ] && [ -x "$py" ] || return 1
	"$py" -S -c 'import sys; print(sys.version.split()[0])' 2>/dev/null
}

report() {
	for v in $VERSIONS; do
		if ver=$(installed "$v"); then
			echo "python$v $PREFIX/usr/bin/python$v $ver"
		elif [ -f "$PREFIX/unavailable-$v.txt" ]; then
			echo "python$v unavailable: $(cat "$PREFIX/unavailable-$v.txt")"
		else
			echo "python$v unavailable: (no reason recorded)"
		fi
	done
}

# fail VERSION REASON: record why VERSION is not there
fail() {
	say "python$1: $2"
	rm -f "$PREFIX/ok-$1.txt"
	printf '%s\n' "$2" >"$PREFIX/unavailable-$1.txt" 2>/dev/null
}

# fail every version still wanted
fail_all() {
	for v in $want; do fail "$v" "$1"; done
	want=""
}

want=""
for v in $VERSIONS; do
	installed "$v" >/dev/null || want="$want $v"
done
if [ -z "$want" ]; then
	report
	exit 0
fi

if ! mkdir -p "$PREFIX" 2>/dev/null || [ ! -w "$PREFIX" ]; then
	say "cannot write to $PREFIX (run as root, or set PYSPY_PYTHONS_PREFIX)"
	for v in $VERSIONS; do
		if ver=$(installed "$v"); then
			echo "python$v $PREFIX/usr/bin/python$v $ver"
		else
			echo "python$v unavailable: cannot write to $PREFIX"
		fi
	done
	exit 0
fi

# one installer at a time per prefix; then look again, another may have
# installed meanwhile
if command -v flock >/dev/null 2>&1; then
	exec 9>"$PREFIX/.lock"
	flock 9
fi
want=""
for v in $VERSIONS; do
	installed "$v" >/dev/null || want="$want $v"
done
if [ -z "$want" ]; then
	report
	exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pyspy-sh-pythons.XXXXXX") || {
	fail_all "mktemp failed"
	report
	exit 0
}
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- mirror
# The first Debian archive in the machine's own apt sources: a one-line
# `deb [options] URI suite...` entry, or a deb822 `URIs:` field; snapshot
# and security archives are skipped (neither carries unstable).
find_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" { print $2 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' "$f" |
			awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
	done
}
MIRROR=${PYSPY_DEBIAN_MIRROR:-$(find_mirror | grep -E '^https?://' |
	grep -v -i -e snapshot -e security | head -n 1)}
MIRROR=${MIRROR%/}
if [ -z "$MIRROR" ]; then
	fail_all "no Debian mirror found in /etc/apt/sources.list{,.d} (set PYSPY_DEBIAN_MIRROR)"
	report
	exit 0
fi
say "mirror: $MIRROR"

# ---------------------------------------------------------------- private apt
mkdir -p "$TMP/lists/partial" "$TMP/cache/archives/partial" "$TMP/debs"
: >"$TMP/status"
signed=""
[ -f "$KEYRING" ] && signed="[signed-by=$KEYRING] "
cat >"$TMP/sources.list" <<EOF
deb ${signed}$MIRROR sid main
deb ${signed}$MIRROR experimental main
EOF
cat >"$TMP/apt.conf" <<EOF
Dir::Etc::SourceList "$TMP/sources.list";
Dir::Etc::SourceParts "/dev/null";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "/dev/null";
Dir::State::Lists "$TMP/lists";
Dir::State::status "$TMP/status";
Dir::Cache "$TMP/cache";
Dir::Cache::pkgcache "pkgcache.bin";
Dir::Cache::srcpkgcache "srcpkgcache.bin";
Debug::NoLocking "1";
APT::Sandbox::User "root";
APT::Default-Release "";
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
EOF
papt() { "$@" -c "$TMP/apt.conf"; }
# first_error LOG: apt's first error, with the line that explains it
first_error() {
	awk '/^(E|Err):/ && !seen { n = 2; seen = 1 }
	     n > 0 { n--; sub(/^ +/, ""); printf "%s%s", sep, $0; sep = " - " }' "$1" |
		cut -c 1-300
}

say "apt-get update (sid, experimental) into $TMP"
if ! papt apt-get -q update >"$TMP/update.log" 2>&1 ||
	grep -q '^\(E\|Err\):' "$TMP/update.log"; then
	cat "$TMP/update.log" >&2
	fail_all "apt-get update of sid/experimental from $MIRROR failed: $(first_error "$TMP/update.log")"
	report
	exit 0
fi

# available PACKAGE...: those of them that have a version to download
available() {
	papt apt-cache policy "$@" 2>/dev/null |
		awk '/^[^ ]/ { name = $1; sub(/:$/, "", name) }
		     /^  Candidate:/ && $2 != "(none)" { print name }'
}

# lib_deps PACKAGE...: the library packages those depend on (first
# alternative of each Depends/Pre-Depends, library packages only)
lib_deps() {
	papt apt-cache show --no-all-versions "$@" 2>/dev/null |
		awk '/^(Pre-)?Depends:/ {
			sub(/^[^:]*:/, "")
			n = split($0, d, ",")
			for (i = 1; i <= n; i++) {
				s = d[i]; sub(/\|.*/, "", s); sub(/\(.*/, "", s)
				sub(/:any/, "", s); gsub(/[ \t]/, "", s)
				if (s ~ /^(lib|zlib1g$)/ && s !~ /^libpython/ && s !~ /-dev$/)
					print s
			}
		}' | sort -u
}

names=""
for v in $want; do
	names="$names python$v-minimal libpython$v-minimal libpython$v-stdlib"
	names="$names python$v libpython$v python$v-dev libpython$v-dev"
done
for p in $LIBS; do names="$names $p ${p%t64} ${p%t64}t64"; done
avail=" $(available $names | tr '\n' ' ') "
has() { case $avail in *" $1 "*) return 0 ;; esac; return 1; }

pkgs=""
got=""
for v in $want; do
	main="python$v-minimal libpython$v-minimal libpython$v-stdlib python$v libpython$v"
	missing=""
	for p in $main; do has "$p" || missing="$missing $p"; done
	if [ -n "$missing" ]; then
		fail "$v" "not in Debian sid/experimental at $MIRROR:$missing"
		continue
	fi
	pkgs="$pkgs $main"
	for p in "python$v-dev" "libpython$v-dev"; do
		if has "$p"; then pkgs="$pkgs $p"; else say "python$v: no $p (headers), going on"; fi
	done
	got="$got $v"
done
want=$got
if [ -z "$want" ]; then
	report
	exit 0
fi

# the runtime libraries: the list above (a renamed one looked up without
# the t64 suffix, or with it), closed over their own library dependencies
libs=""
for p in $LIBS; do
	if has "$p"; then
		libs="$libs $p"
	elif has "${p%t64}"; then
		libs="$libs ${p%t64}"
	elif has "${p}t64"; then
		libs="$libs ${p}t64"
	else
		say "no package $p in sid, relying on the dependencies of the others"
	fi
done
new=$(lib_deps $pkgs $libs)
while :; do
	add=""
	for p in $new; do
		case " $libs " in *" $p "*) ;; *) libs="$libs $p" add="$add $p" ;; esac
	done
	[ -z "$add" ] && break
	new=$(lib_deps $add)
done

say "downloading:$pkgs$libs"
if ! (cd "$TMP/debs" && papt apt-get -q download $pkgs $libs) >"$TMP/download.log" 2>&1; then
	cat "$TMP/download.log" >&2
	fail_all "apt-get download failed: $(first_error "$TMP/download.log")"
	report
	exit 0
fi

# ---------------------------------------------------------------- unpack
# all into one tree (the packages share no files, so the order is free)
for deb in "$TMP"/debs/*.deb; do
	if ! dpkg -x "$deb" "$PREFIX"; then
		fail_all "dpkg -x $(basename "$deb") failed"
		report
		exit 0
	fi
done
find "$PREFIX/usr/lib" "$PREFIX/lib" "$PREFIX/lib64" "$PREFIX/usr/lib64" \
	-maxdepth 2 -name 'ld-linux*.so*' >"$TMP/ldso" 2>/dev/null
libdir=$(dirname "$(find "$PREFIX/usr/lib" "$PREFIX/lib" -maxdepth 2 \
	-name libc.so.6 2>/dev/null | head -n 1)")
ldso=""
while read -r f; do
	if [ -f "$f" ] && [ "$(dirname "$f")" = "$libdir" ]; then ldso=$f; break; fi
done <"$TMP/ldso"
[ -n "$ldso" ] || ldso=$(grep -m1 . "$TMP/ldso")
if [ -z "$ldso" ] || [ ! -e "$ldso" ] || [ "$libdir" = . ]; then
	fail_all "no ld.so / libc.so.6 in the unpacked libc6"
	report
	exit 0
fi

# ---------------------------------------------------------------- relink
if ! command -v patchelf >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		say "installing patchelf"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends patchelf >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
				apt-get install -y -qq --no-install-recommends patchelf >/dev/null 2>&1; }
	fi
	if ! command -v patchelf >/dev/null 2>&1; then
		fail_all "patchelf is missing and could not be installed (apt-get install patchelf, as root)"
		report
		exit 0
	fi
fi

for v in $want; do
	py=$PREFIX/usr/bin/python$v
	if [ ! -f "$py" ]; then
		fail "$v" "no usr/bin/python$v in the unpacked packages"
		continue
	fi
	if ! patchelf --set-interpreter "$ldso" --force-rpath --set-rpath "$libdir" "$py" 2>"$TMP/patchelf.log"; then
		fail "$v" "patchelf failed: $(head -n 1 "$TMP/patchelf.log")"
		continue
	fi
	if ! ver=$("$py" -c "$CHECK" "$PREFIX" 2>"$TMP/check.log"); then
		fail "$v" "installed, but the check failed: $(tail -n 1 "$TMP/check.log")"
		continue
	fi
	printf '%s\n' "$ver" >"$PREFIX/ok-$v.txt"
	rm -f "$PREFIX/unavailable-$v.txt"
	say "python$v $ver ok"
done

report
exit 0
