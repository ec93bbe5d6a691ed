#!/bin/sh
# `make demo`: start the demo target and look at it with pyspy-sh.
# On a terminal this opens an interactive session; otherwise it runs a short
# scripted tour (info, threads, bt --all, bt --all --json, the main thread's
# mixed C and Python stack, a 2-second profile with its top functions, and a
# Lua one-liner) and exits.
set -u
cd "$(dirname "$0")/../.."
PY=${DEMO_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}
ready=$(mktemp)
rm -f "$ready"
"$PY" tests/demo/demo_app.py "$ready" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$ready"' EXIT INT TERM
i=0
while [ ! -s "$ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
if [ ! -s "$ready" ]; then
	echo "demo: the demo target did not start" >&2
	exit 1
fi
echo "demo: target pid $pid ($("$PY" --version 2>&1))"
if [ -t 0 ] && [ -t 1 ]; then
	echo "demo: try 'threads', 'bt --all --locals', 'bt --native', 'sample 3s', 'top', 'flamegraph demo.svg',"
	echo "demo:     'lua for _, t in ipairs(pyspy.threads()) do print(t.name, t.active) end', 'help', 'quit'"
	./pyspy-sh -p "$pid"
else
	for cmd in "info" "threads" "bt --all" "bt --all --json" "bt --native"; do
		echo
		echo "(pyspy) $cmd"
		./pyspy-sh -p "$pid" -ex "$cmd" --batch || exit 1
	done
	echo
	echo "(pyspy) sample 2s"
	echo "(pyspy) top -n 8"
	./pyspy-sh -p "$pid" -ex "sample 2s" -ex "top -n 8" --batch || exit 1
	lua='for _, t in ipairs(pyspy.threads()) do print(t.name, t.active, #t:stack()) end'
	echo
	echo "(pyspy) lua $lua"
	./pyspy-sh -p "$pid" -ex "lua $lua" --batch || exit 1
fi
