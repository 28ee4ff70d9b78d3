#!/bin/sh
# A datagram --stdio server whose stdout fails (/dev/full: ENOSPC, or a
# pipe with its read end closed: EPIPE, SIGPIPE being ignored) stops with
# exit 1 and one error line, as tcp-server does: udp-server --stdio and
# unix-server --dgram --stdio.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# closed.py ERR ARGV...: runs ARGV with stdin /dev/null, stdout a pipe
# whose read end is already closed, stderr ERR; exits with its status.
cat > "$T/closed.py" <<'PY'
import os, signal, subprocess, sys
err, argv = sys.argv[1], sys.argv[2:]
r, w = os.pipe()
os.close(r)
with open(os.devnull, 'rb') as i, open(err, 'wb') as e:
    p = subprocess.Popen(argv, stdin=i, stdout=w, stderr=e)
os.close(w)
# The test's cleanup TERMs this wrapper: the server goes with it.
signal.signal(signal.SIGTERM, lambda *a: (p.kill(), sys.exit(1)))
try:
    sys.exit(p.wait(timeout=20))
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    sys.exit(200)
PY

# check NAME CMD STRERROR: waits for the server started as $spid, which
# got datagrams, and checks exit 1 and exactly one error line.
check() {
	wait_exit "$spid" 15
	[ "$RC" = 1 ] || fail "$1: exit $RC, expected 1: $(cat "$T/err")"
	grep -Eq "^sockit: $2: write stdout: $3\$" "$T/err" ||
	    fail "$1: no 'write stdout' error line: $(cat "$T/err")"
	n=$(grep -c '^sockit: ' "$T/err")
	[ "$n" = 1 ] || fail "$1: $n error lines: $(cat "$T/err")"
}

# udp-server --stdio.
for out in full pipe; do
	rm -f "$T/port"
	if [ "$out" = full ]; then
		"$SOCKIT" udp-server 0 --stdio --port-file "$T/port" \
		    < /dev/null > /dev/full 2> "$T/err" &
	else
		python3 "$T/closed.py" "$T/err" "$SOCKIT" udp-server 0 \
		    --stdio --port-file "$T/port" &
	fi
	spid=$!
	PIDS="$PIDS $spid"
	poll_until 10 test -s "$T/port" ||
	    fail "udp-server --stdio >$out did not start: $(cat "$T/err")"
	# A burst: the server receives several datagrams at once and must
	# stop at the first that cannot be written.  (The client may see
	# the port close under it: its exit status does not matter here.)
	seq 1 20 | "$SOCKIT" udp-client --expect-replies 0 \
	    127.0.0.1 "$(cat "$T/port")" 2> /dev/null
	if [ "$out" = full ]; then
		check "udp-server --stdio >/dev/full" udp-server \
		    'No space left on device'
	else
		check "udp-server --stdio >closed pipe" udp-server \
		    'Broken pipe'
	fi
done

# unix-server --dgram --stdio.
for out in full pipe; do
	rm -f "$T/u"
	if [ "$out" = full ]; then
		"$SOCKIT" unix-server --dgram --stdio "$T/u" \
		    < /dev/null > /dev/full 2> "$T/err" &
	else
		python3 "$T/closed.py" "$T/err" "$SOCKIT" unix-server \
		    --dgram --stdio "$T/u" &
	fi
	spid=$!
	PIDS="$PIDS $spid"
	poll_until 10 test -S "$T/u" ||
	    fail "unix-server --dgram --stdio >$out did not start: \
$(cat "$T/err")"
	"$SOCKIT" unix-client --dgram --expect-replies 0 \
	    --send 'to stdout\n' "$T/u" < /dev/null ||
	    fail "unix-client --dgram exited $?"
	if [ "$out" = full ]; then
		check "unix-server --dgram --stdio >/dev/full" unix-server \
		    'No space left on device'
	else
		check "unix-server --dgram --stdio >closed pipe" unix-server \
		    'Broken pipe'
	fi
done
exit 0
