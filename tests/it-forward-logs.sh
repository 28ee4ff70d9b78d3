#!/bin/sh
# The log events of --forward (SPEC 10): the closed event of a forwarded
# connection carries the bytes each way and the backend address (text:
# "backend=TARGET"; json: "backend"), and the -v "forwarding" event names
# the backend in a "backend" field, never in "error".
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server echo tcp-server 0
printf 'hi\n' > "$T/in"
for fmt in text json; do
	start_server "$fmt" --log-format "$fmt" tcp-server 0 -v \
	    --forward "127.0.0.1:$echo_PORT"
	eval "port=\$${fmt}_PORT"
	"$SOCKIT" tcp-client 127.0.0.1 "$port" < "$T/in" > "$T/out" 2> "$T/err" ||
	    fail "$fmt: client exited $?: $(cat "$T/err")"
	poll_until 5 grep -q 'closed' "$T/$fmt.err" || fail "$fmt: no closed event"
done

# Every problem is reported, not only the first.
bad=0
# Text: the closed line names the backend.
if ! grep '^closed ' "$T/text.err" | grep -q "127\\.0\\.0\\.1:$echo_PORT"; then
	echo "FAIL: text: the closed event does not name the backend: \
$(grep '^closed ' "$T/text.err")" >&2
	bad=1
fi

# JSON: the closed event names the backend in some field; no event of a
# clean connection has an "error".
python3 - "$T/json.err" "127.0.0.1:$echo_PORT" <<'PY' || bad=1
import json, sys
back = sys.argv[2]
events = [json.loads(l) for l in open(sys.argv[1])]
closed = [e for e in events if e.get('event') == 'closed']
rc = 0
if not closed or not any(v == back for k, v in closed[0].items() if k != 'error'):
    print('FAIL: json: the closed event does not name the backend: %r'
          % closed, file=sys.stderr)
    rc = 1
bad = [e for e in events if 'error' in e]
if bad:
    print('FAIL: json: a clean forwarded connection logged an error: %r'
          % bad, file=sys.stderr)
    rc = 1
sys.exit(rc)
PY
exit "$bad"
