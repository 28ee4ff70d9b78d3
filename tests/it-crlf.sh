#!/bin/sh
# --crlf alone is nc -C: line ends sent from stdin become CRLF (an
# existing CRLF stays, a last line without a newline stays as it is),
# and received bytes pass through untouched, binary or not.  With
# --frame line the wire's lines end in CRLF; with delim/len/fixed
# framing --crlf is a usage error.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# A server that records what it receives in FILE and answers with the
# bytes of REPLY once the client has half-closed.
cat > "$T/rec.py" <<'PY'
import os, socket, sys
pf, rec, reply = sys.argv[1], sys.argv[2], open(sys.argv[3], 'rb').read()
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(4)
l.settimeout(20)
open(pf + '.tmp', 'w').write('%d\n' % l.getsockname()[1])
os.rename(pf + '.tmp', pf)
c, _ = l.accept()
c.settimeout(10)
got = b''
while True:
    b = c.recv(65536)
    if not b:
        break
    got += b
open(rec, 'wb').write(got)
c.sendall(reply)
c.close()
PY

# crlf_run TOOL... : input $T/in, reply $T/reply; received bytes in
# $T/rec, client stdout in $T/out; sets RC.
crlf_run() {
	rm -f "$T/rec.port" "$T/rec"
	python3 "$T/rec.py" "$T/rec.port" "$T/rec" "$T/reply" &
	rp=$!
	PIDS="$PIDS $rp"
	poll_until 10 test -s "$T/rec.port" || fail "recorder did not start"
	"$@" 127.0.0.1 "$(cat "$T/rec.port")" < "$T/in" > "$T/out" 2> "$T/err"
	RC=$?
	wait "$rp"
}

printf 'a\r\nb\nc' > "$T/in"
printf 'x\r\ny\nno newline at the end' > "$T/reply"
head -c 300000 /dev/urandom >> "$T/reply"

# 1. Outgoing: LF -> CRLF, CRLF kept, the unterminated last line kept.
crlf_run "$SOCKIT" tcp-client --crlf
[ "$RC" = 0 ] || fail "--crlf exited $RC: $(cat "$T/err")"
printf 'a\r\nb\r\nc' | cmp -s - "$T/rec" ||
    fail "--crlf sent: $(od -c "$T/rec" | head -3)"
# 2. Incoming: untouched, to the last byte of a binary body.
cmp -s "$T/reply" "$T/out" ||
    fail "--crlf changed what it received ($(wc -c < "$T/out") of \
$(wc -c < "$T/reply") bytes)"

# 3. An explicit --frame raw is the same as no --frame.
crlf_run "$SOCKIT" tcp-client --crlf --frame raw
[ "$RC" = 0 ] || fail "--crlf --frame raw exited $RC: $(cat "$T/err")"
printf 'a\r\nb\r\nc' | cmp -s - "$T/rec" || fail "--crlf --frame raw sent \
$(od -c "$T/rec" | head -3)"
cmp -s "$T/reply" "$T/out" || fail "--crlf --frame raw changed the reply"

# 4. The same bytes as nc.openbsd -C, where it is installed.
if command -v nc.openbsd >/dev/null 2>&1; then
	cp "$T/rec" "$T/rec.sockit"
	crlf_run nc.openbsd -N -C
	cmp -s "$T/rec" "$T/rec.sockit" ||
	    fail "nc.openbsd -C sent other bytes: $(od -c "$T/rec" | head -3)"
fi

# 5. --frame line --crlf: lines end in CRLF on the wire.
printf 'a\nb\n' > "$T/in"
printf 'one\r\ntwo\n' > "$T/reply"
crlf_run "$SOCKIT" tcp-client --crlf --frame line
[ "$RC" = 0 ] || fail "--crlf --frame line exited $RC: $(cat "$T/err")"
printf 'a\r\nb\r\n' | cmp -s - "$T/rec" || fail "--crlf --frame line sent \
$(od -c "$T/rec" | head -3)"
[ "$(cat "$T/out")" = "one
two" ] || fail "--crlf --frame line printed $(od -c "$T/out" | head -3)"

# 6. With delim, len or fixed framing --crlf is a usage error.
for f in 'delim:,' len32 fixed:4; do
	"$SOCKIT" tcp-client --crlf --frame "$f" 127.0.0.1 9 < /dev/null \
	    2> "$T/err"
	rc=$?
	[ "$rc" = 2 ] || fail "--crlf --frame $f exited $rc"
	[ "$(wc -l < "$T/err")" = 1 ] && grep -q -- '--crlf' "$T/err" ||
	    fail "--crlf --frame $f said: $(cat "$T/err")"
done

# 7. tcp-server --stdio --crlf sends its stdin the nc -C way too.
printf 'p\nq\r\n' > "$T/sin"
"$SOCKIT" tcp-server 0 --stdio --crlf --port-file "$T/s.port" \
    < "$T/sin" > "$T/s.out" 2> "$T/s.err" &
spid=$!
PIDS="$PIDS $spid"
poll_until 10 test -s "$T/s.port" || fail "--stdio --crlf did not start"
python3 - "$(cat "$T/s.port")" <<'PY' || fail "--stdio --crlf"
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
s.sendall(b'r\n')
s.shutdown(socket.SHUT_WR)
got = b''
while True:
    b = s.recv(1024)
    if not b:
        break
    got += b
if got != b'p\r\nq\r\n':
    sys.exit('--stdio --crlf sent %r' % got)
PY
wait_exit "$spid" 10
[ "$RC" = 0 ] || fail "--stdio --crlf exited $RC: $(cat "$T/s.err")"
[ "$(cat "$T/s.out")" = r ] || fail "--stdio --crlf printed $(cat "$T/s.out")"
exit 0
