#!/bin/sh
# Half-close and one-shot servers: the client half-closes on stdin EOF and
# reads the peer's answer to the end (--no-shutdown and -q instead keep the
# write side open); the echo server answers after the client's EOF;
# tcp-server --stdio relays one client both ways and exits 0 when both
# directions are done; --once serves one connection; --banner alone sends
# and closes.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# 1. tcp-client half-closes: a python3 server that answers only after EOF
#    gets it, and the client prints the answer.
cat > "$T/count.py" <<'PY'
import os, socket, sys
pf = sys.argv[1]
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(4)
l.settimeout(20)
open(pf + '.tmp', 'w').write('%d\n' % l.getsockname()[1])
os.rename(pf + '.tmp', pf)
for i in range(2):
    c, _ = l.accept()
    c.settimeout(2)
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
        c.sendall(b'got %d bytes\n' % n)
    except socket.timeout:
        c.sendall(b'no EOF after %d bytes\n' % n)
    c.close()
PY
python3 "$T/count.py" "$T/count.port" 2> "$T/count.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/count.port" || fail "python3 server did not start"
head -c 100000 /dev/urandom > "$T/data"
sk 10 "$T/data" tcp-client 127.0.0.1 "$(cat "$T/count.port")"
[ "$RC" = 0 ] || fail "client exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "got 100000 bytes" ] ||
    fail "half-close: the server answered '$(cat "$T/out")'"

# --no-shutdown keeps the write side open (the server sees no EOF within
# its 2 s); the client still prints what arrives and exits at the peer's EOF.
sk 10 "$T/data" tcp-client --no-shutdown 127.0.0.1 "$(cat "$T/count.port")"
[ "$RC" = 0 ] || fail "--no-shutdown exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "no EOF after 100000 bytes" ] ||
    fail "--no-shutdown: the server answered '$(cat "$T/out")'"

# 2. The echo server sends everything back after the client's EOF.
start_server echo tcp-server 0
python3 - "$echo_PORT" <<'PY' || fail "echo after half-close"
import os, socket, sys
data = os.urandom(3 << 20)
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
s.sendall(data[:1000])
got = s.recv(1000)                  # the server is under way
s.sendall(data[1000:])
s.shutdown(socket.SHUT_WR)
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    got += b
if got != data:
    sys.exit('echo after half-close: %d of %d bytes' % (len(got), len(data)))
PY

# -q 1: the client leaves about a second after stdin EOF, even though the
# echo server (which never got our EOF) stays.
printf 'quit\n' > "$T/quit"
sk 10 "$T/quit" tcp-client --no-shutdown -q 1 127.0.0.1 "$echo_PORT"
[ "$RC" = 0 ] || fail "-q 1 exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = quit ] || fail "-q 1 printed '$(cat "$T/out")'"

# 3. --stdio with stdin at EOF: the client's data goes to stdout, stdin
#    goes to the client, the server exits 0 after the client closes.
printf 'to the client\n' > "$T/stdio.in"
"$SOCKIT" tcp-server 0 --stdio --port-file "$T/stdio.port" \
    < "$T/stdio.in" > "$T/stdio.out" 2> "$T/stdio.err" &
spid=$!
PIDS="$PIDS $spid"
poll_until 10 test -s "$T/stdio.port" || fail "--stdio did not start"
SP=$(cat "$T/stdio.port")
python3 - "$SP" <<'PY' || fail "--stdio client"
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
s.sendall(b'to the server\n')
s.shutdown(socket.SHUT_WR)
got = b''
while True:
    b = s.recv(1024)
    if not b:
        break
    got += b
if got != b'to the client\n':
    sys.exit('--stdio sent %r' % got)
PY
wait_exit "$spid" 10
[ "$RC" = 0 ] || fail "--stdio exited $RC: $(cat "$T/stdio.err")"
[ "$(cat "$T/stdio.out")" = "to the server" ] ||
    fail "--stdio printed '$(cat "$T/stdio.out")'"
sk 10 /dev/null tcp-client -z 127.0.0.1 "$SP"
[ "$RC" = 3 ] || fail "--stdio still accepts after its one client (-z: $RC)"

# --stdio with stdin still open: the client's FIN only ends the
# client-to-stdout direction; the server exits when stdin ends too.
# stdin is a pipe from a python3 writer that stays until told.
cat > "$T/hold.py" <<'PY'
import os, sys, time
sys.stdout.write('hello\n')
sys.stdout.flush()
t = time.monotonic() + 30
while not os.path.exists(sys.argv[1]) and time.monotonic() < t:
    time.sleep(0.02)
PY
rm -f "$T/stdio.port"
python3 "$T/hold.py" "$T/hold.done" | "$SOCKIT" tcp-server 0 --stdio \
    --port-file "$T/stdio.port" > "$T/stdio.out" 2> "$T/stdio.err" &
spid=$!
PIDS="$PIDS $spid"
poll_until 10 test -s "$T/stdio.port" || fail "--stdio did not start"
python3 - "$(cat "$T/stdio.port")" <<'PY' || fail "--stdio client (open stdin)"
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
got = b''
while not got.endswith(b'\n'):
    b = s.recv(1024)
    if not b:
        break
    got += b
if got != b'hello\n':
    sys.exit('--stdio sent %r' % got)
s.sendall(b'bye\n')
s.close()
PY
# The client's data reaches stdout (closed after the client's FIN)
# while stdin is still open; then stdin ends and the server with it.
poll_until 10 grep -q bye "$T/stdio.out" ||
    fail "--stdio did not pass on the client's data before stdin EOF"
: > "$T/hold.done"
# $spid is the pipeline's last process: the server.
wait_exit "$spid" 10
[ "$RC" = 0 ] || fail "--stdio (open stdin) exited $RC: $(cat "$T/stdio.err")"
[ "$(cat "$T/stdio.out")" = bye ] ||
    fail "--stdio (open stdin) printed '$(cat "$T/stdio.out")'"

# 4. --once with echo: one connection, then the server exits 0.
start_server once tcp-server 0 --once
printf 'once\n' > "$T/once"
sk 10 "$T/once" tcp-client 127.0.0.1 "$once_PORT"
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = once ] ||
    fail "--once: client exited $RC, printed '$(cat "$T/out")'"
wait_exit "$once_PID" 10
[ "$RC" = 0 ] || fail "--once exited $RC: $(cat "$T/once.err")"

# 6. The peer's FIN closes the client's stdout at once, while the
#    client's stdin is still open: a reader down the pipe sees EOF first
#    (it then lets the stdin writer go).  Without that, the writer gives
#    up after 10 s and the reader reports it.
cat > "$T/holdin.py" <<'PY'
import os, sys, time
t = time.monotonic() + 10
while not os.path.exists(sys.argv[1]):
    if time.monotonic() > t:
        open(sys.argv[1] + '.late', 'w').close()
        break
    time.sleep(0.02)
PY
cat > "$T/reader.py" <<'PY'
import os, sys
data = sys.stdin.buffer.read()
if not os.path.exists(sys.argv[1] + '.late'):
    open(sys.argv[1], 'w').close()
    print('eof first: %r' % data)
else:
    print('eof only after stdin ended: %r' % data)
PY
start_server fin tcp-server 0 --banner 'hi\n'
rm -f "$T/fin.done" "$T/fin.done.late"
python3 "$T/holdin.py" "$T/fin.done" |
    "$SOCKIT" tcp-client 127.0.0.1 "$fin_PORT" 2> "$T/fin.cerr" |
    python3 "$T/reader.py" "$T/fin.done" > "$T/fin.out"
[ "$(cat "$T/fin.out")" = "eof first: b'hi\\n'" ] ||
    fail "stdout not closed at the peer's FIN: $(cat "$T/fin.out") \
$(cat "$T/fin.cerr")"

# 5. --banner alone: each client gets the banner then EOF, without having
#    sent anything; the server keeps serving.
start_server ban tcp-server 0 --banner 'x\n'
for i in 1 2; do
	sk 10 /dev/null tcp-client --no-shutdown 127.0.0.1 "$ban_PORT"
	[ "$RC" = 0 ] || fail "--banner client $i exited $RC: $(cat "$T/err")"
	[ "$(cat "$T/out")" = x ] || fail "--banner sent '$(cat "$T/out")'"
done
exit 0
