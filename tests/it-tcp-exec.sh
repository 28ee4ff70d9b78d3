#!/bin/sh
# tcp-server --exec / --sh-exec: a child per connection with the socket as
# stdin/stdout, SOCKIT_PEER in its environment, no other descriptors
# inherited, and every child reaped.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# 1. --exec /bin/cat echoes.
start_server cat tcp-server 0 --exec /bin/cat
printf 'hello exec\n' > "$T/hello"
sk 10 "$T/hello" tcp-client 127.0.0.1 "$cat_PORT"
[ "$RC" = 0 ] || fail "client of --exec /bin/cat exited $RC: $(cat "$T/err")"
cmp -s "$T/hello" "$T/out" || fail "--exec /bin/cat returned '$(cat "$T/out")'"
head -c 1048576 /dev/urandom > "$T/data"
sk 20 "$T/data" tcp-client 127.0.0.1 "$cat_PORT"
[ "$RC" = 0 ] || fail "1 MiB through --exec /bin/cat: client exited $RC"
cmp -s "$T/data" "$T/out" || fail "1 MiB through --exec /bin/cat differs"

# 2. SOCKIT_PEER is the client's address as the client sees it locally.
start_server peer tcp-server 0 --sh-exec 'echo "$SOCKIT_PEER"'
cat > "$T/peer.py" <<'PY'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
me = '127.0.0.1:%d\n' % s.getsockname()[1]
got = b''
while True:
    b = s.recv(1024)
    if not b:
        break
    got += b
if got.decode() != me:
    sys.exit('SOCKIT_PEER: got %r, expected %r' % (got, me))
PY
python3 "$T/peer.py" "$peer_PORT" || fail "--sh-exec SOCKIT_PEER"

# 3. The child sees only fds 0, 1 and 2 (ls adds one for the directory it
#    reads), even while other connections are open: everything else the
#    server holds is close-on-exec.  The server is started with no fds
#    above 2 so that nothing inherited from the test harness interferes.
cat > "$T/closefds.py" <<'PY'
import os, sys
os.closerange(3, 65536)
os.execv(sys.argv[1], sys.argv[1:])
PY
python3 "$T/closefds.py" "$SOCKIT" tcp-server 0 --sh-exec \
    'ls /proc/self/fd; cat' --port-file "$T/fd.port" 2> "$T/fd.err" &
fd_PID=$!
PIDS="$PIDS $fd_PID"
poll_until 10 test -s "$T/fd.port" || fail "fd server did not start"
fd_PORT=$(cat "$T/fd.port")
cat > "$T/fds.py" <<'PY'
import socket, sys
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.settimeout(10)
    return s
def read_to_eof(s):
    got = b''
    while True:
        b = s.recv(1024)
        if not b:
            return got
        got += b
held = [conn() for i in range(3)]      # other connections stay open
for s in held:
    s.recv(1)                           # their children have started
s = conn()
s.shutdown(socket.SHUT_WR)
got = read_to_eof(s).split()
if got != [b'0', b'1', b'2', b'3']:
    sys.exit('fds in the child: %r (expected 0 1 2 and the one of ls)'
             % [x.decode() for x in got])
for h in held:
    h.shutdown(socket.SHUT_WR)
    read_to_eof(h)
PY
python3 "$T/fds.py" "$fd_PORT" || fail "the child inherits extra descriptors"

# 4. No zombies: after a series of clients (sequential and concurrent)
#    has finished, the server has no children left.
cat > "$T/many.py" <<'PY'
import socket, sys
port = int(sys.argv[1])
for rnd in range(5):
    socks = []
    for i in range(8):
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.settimeout(10)
        s.sendall(b'msg %d %d\n' % (rnd, i))
        s.shutdown(socket.SHUT_WR)
        socks.append((s, b'msg %d %d\n' % (rnd, i)))
    for s, want in socks:
        got = b''
        while True:
            b = s.recv(1024)
            if not b:
                break
            got += b
        s.close()
        if got != want:
            sys.exit('exec echo: got %r, expected %r' % (got, want))
PY
python3 "$T/many.py" "$cat_PORT" || fail "concurrent --exec clients"
# children STATE: prints the children of the server in STATE (any if empty).
children() {
	cat /proc/[0-9]*/stat 2>/dev/null |
	    awk -v p="$cat_PID" -v st="$1" '{
		# comm may hold blanks: fields after the last ")".
		sub(/^.*\) /, "")
		if ($2 == p && (st == "" || $1 == st)) print
	    }'
}
no_zombies() {
	[ -z "$(children Z)" ]
}
no_children() {
	[ -z "$(children)" ]
}
poll_until 5 no_zombies || fail "zombie children of the server: $(children Z)"
poll_until 5 no_children || fail "children left after the clients finished:\
 $(children)"
kill -0 "$cat_PID" 2>/dev/null || fail "server died: $(cat "$T/cat.err")"

# 5. A program that exits without reading all its input: the program
#    talks to the server through a socketpair, so the client still gets
#    all of its output and a clean FIN, never a reset (exit 0).
start_server rd tcp-server 0 --sh-exec 'read x; echo "$x"'
printf 'one\ntwo\n' > "$T/two"
sk 10 "$T/two" tcp-client 127.0.0.1 "$rd_PORT"
[ "$RC" = 0 ] || fail "read-one-line program: client exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = one ] || fail "read-one-line program sent '$(cat "$T/out")'"
[ -s "$T/err" ] && fail "read-one-line program: client said: $(cat "$T/err")"

# 1 MiB of input it never reads, 1 MB of output: all output arrives.
start_server big tcp-server 0 --sh-exec 'head -c 1000000 /dev/zero'
sk 20 "$T/data" tcp-client 127.0.0.1 "$big_PORT"
[ "$RC" = 0 ] || fail "1 MiB unread: client exited $RC: $(cat "$T/err")"
[ "$(wc -c < "$T/out")" = 1000000 ] ||
    fail "1 MiB unread: client got $(wc -c < "$T/out") of 1000000 bytes"

# The same from a python3 client that keeps sending after the program
# exited and only then half-closes: it still reads every byte and EOF.
python3 - "$rd_PORT" <<'PY' || fail "late sender"
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
s.sendall(b'first\n')
got = b''
while not got.endswith(b'\n'):
    b = s.recv(1024)
    if not b:
        break
    got += b
s.sendall(b'x' * (1 << 20))         # nobody reads this
s.shutdown(socket.SHUT_WR)
while True:
    b = s.recv(1024)                # a reset would raise here
    if not b:
        break
    got += b
if got != b'first\n':
    sys.exit('late sender got %r' % got)
PY

# The closed line counts what peer and program exchanged, although the
# relay ends (and its buffers go) before the program is reaped.
start_server cnt tcp-server 0 -v --sh-exec 'read x; echo "got $x"'
printf 'hello\n' > "$T/hello"
sk 10 "$T/hello" tcp-client 127.0.0.1 "$cnt_PORT"
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "got hello" ] ||
    fail "counted exec: client exited $RC with '$(cat "$T/out")'"
poll_until 5 grep -q '^closed' "$T/cnt.err" ||
    fail "counted exec: no closed line: $(cat "$T/cnt.err")"
grep -q '^closed 127\.0\.0\.1:[0-9]* in=6 out=10 ' "$T/cnt.err" ||
    fail "counted exec: logged '$(grep closed "$T/cnt.err")', expected in=6 out=10"
exit 0
