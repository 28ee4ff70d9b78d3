#!/bin/sh
# Start-up of --forward: a backend name that does not resolve is an
# error before the server listens (exit 1, no listening line, no port
# file); "--forward ... --frame line" is refused (exit 2) with a message
# that names --forward.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

bad=0
"$SOCKIT" tcp-server 0 --forward nosuchhost.invalid:80 \
    --port-file "$T/port" > /dev/null 2> "$T/err" &
pid=$!
PIDS="$PIDS $pid"
wait_exit "$pid" 30
[ "$RC" = 1 ] || { echo "FAIL: unresolvable backend: exit $RC" >&2; bad=1; }
if [ -e "$T/port" ] || grep -q '^listening on' "$T/err"; then
	echo "FAIL: unresolvable backend: listened first (port file: \
$(cat "$T/port" 2>/dev/null)): $(cat "$T/err")" >&2
	bad=1
fi

"$SOCKIT" tcp-server 0 --forward 127.0.0.1:1 --frame line 2> "$T/err"
rc=$?
[ "$rc" = 2 ] || { echo "FAIL: --forward --frame: exit $rc" >&2; bad=1; }
if ! grep -q -- '--forward' "$T/err"; then
	echo "FAIL: --forward --frame: the error does not name --forward: \
$(cat "$T/err")" >&2
	bad=1
fi
exit "$bad"
