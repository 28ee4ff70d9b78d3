#!/bin/sh
# --log-format json writes one JSON object per line with stable fields;
# --stats prints a summary; --quiet silences all but errors and the
# events that carry one.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need python3

start_server js tcp-server 0 -v --log-format json --stats
printf 'hello\n' | "$SOCKIT" tcp-client --stats 127.0.0.1 "$js_PORT" \
    > "$T/out" 2> "$T/client.err" || fail "client failed"
grep -q '^stats: connections=1 in=6 out=6 ' "$T/client.err" ||
    fail "client --stats line: $(cat "$T/client.err")"
poll_until 5 grep -q '"event":"closed"' "$T/js.err" ||
    fail "no closed event: $(cat "$T/js.err")"
kill -TERM "$js_PID"
wait_exit "$js_PID" 10
[ "$RC" = 0 ] || fail "server exited $RC after SIGTERM"

# Every line parses, and the events carry the documented fields.
python3 - "$T/js.err" <<'PY' || fail "bad json log: $(cat "$T/js.err")"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
kinds = [e["event"] for e in events]
for want in ("listening", "accepted", "closed", "stats"):
    assert want in kinds, (want, kinds)
listening = [e for e in events if e["event"] == "listening"][0]
assert listening["address"].startswith("127.0.0.1:"), listening
assert listening["command"] == "tcp-server", listening
for e in events:
    assert "ts" in e and e["ts"].endswith("Z"), e
closed = [e for e in events if e["event"] == "closed"][0]
assert closed["in"] == 6 and closed["out"] == 6, closed
assert closed["peer"].startswith("127.0.0.1:"), closed
assert isinstance(closed["duration"], float), closed
stats = [e for e in events if e["event"] == "stats"][0]
assert stats["connections"] == 1 and stats["in"] == 6, stats
PY

# Errors are json too, with the command named.
"$SOCKIT" tcp-client --log-format json 127.0.0.1 1 2> "$T/err" < /dev/null
python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read());
assert e["event"] == "error" and e["command"] == "tcp-client", e
assert "refused" in e["error"], e' "$T/err" || fail "json error: $(cat "$T/err")"

# --quiet: no listening line, nothing but errors.
start_server q tcp-server 0 --quiet
printf 'x\n' | "$SOCKIT" tcp-client 127.0.0.1 "$q_PORT" > /dev/null
[ ! -s "$T/q.err" ] || fail "--quiet printed: $(cat "$T/q.err")"

# ... but a connection closed by an error is still logged with --quiet,
# as text and as JSON.
start_server qf tcp-server 0 --quiet --frame line --max-frame 4
printf 'much too long\n' | "$SOCKIT" tcp-client --frame line \
    127.0.0.1 "$qf_PORT" > /dev/null 2>&1
poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]* in=[0-9]* out=0 [0-9.]*s: frame error: frame too big$' \
    "$T/qf.err" || fail "--quiet hid the frame error: $(cat "$T/qf.err")"
[ "$(wc -l < "$T/qf.err")" -eq 1 ] || fail "--quiet: $(cat "$T/qf.err")"
start_server qj tcp-server 0 --quiet --log-format json --frame line \
    --max-frame 4
printf 'much too long\n' | "$SOCKIT" tcp-client --frame line \
    127.0.0.1 "$qj_PORT" > /dev/null 2>&1
poll_until 5 grep -q '"event":"closed".*"error":"frame error: frame too big"' \
    "$T/qj.err" || fail "--quiet json hid the frame error: $(cat "$T/qj.err")"

# -v shows the clean close; --quiet wins over -v for it.
start_server qv tcp-server 0 --quiet -v
printf 'x\n' | "$SOCKIT" tcp-client 127.0.0.1 "$qv_PORT" > /dev/null
[ ! -s "$T/qv.err" ] || fail "--quiet -v printed: $(cat "$T/qv.err")"
# -v -v logs the same events as -v (the man page says a second -v adds
# nothing at present): one connection each, peers' ports and durations
# aside.
for v in "-v" "-v -v"; do
	n=$(echo "$v" | tr -d ' -')
	# shellcheck disable=SC2086
	start_server "$n" tcp-server 0 $v
	eval "port=\$${n}_PORT"
	printf 'x\n' | "$SOCKIT" tcp-client 127.0.0.1 "$port" > /dev/null ||
	    fail "client of the $v server failed"
	poll_until 5 grep -q '^closed ' "$T/$n.err" ||
	    fail "$v: no closed line: $(cat "$T/$n.err")"
	sed -e 's/:[0-9][0-9]*/:P/g' -e 's/ [0-9.]*s$/ Ts/' "$T/$n.err" \
	    > "$T/$n.norm"
done
cmp -s "$T/v.norm" "$T/vv.norm" ||
    fail "-v -v logged otherwise than -v: $(cat "$T/v.norm") / $(cat "$T/vv.norm")"
exit 0
