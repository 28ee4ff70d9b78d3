#!/bin/sh
# Failures have their exit codes: refused 3, timeout 4, usage 2, port in
# use 1; --max-conns with --on-full refuse|queue; -z; --wait-for.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# A port that was free a moment ago: bound by the kernel, then closed.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# 1. Nobody listening: exit 3, "Connection refused" on stderr.
closed=$(free_port) || fail "no free port"
sk 10 /dev/null tcp-client 127.0.0.1 "$closed"
[ "$RC" = 3 ] || fail "connect to a closed port exited $RC, expected 3"
grep -q 'Connection refused' "$T/err" || fail "stderr: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "not one error line: $(cat "$T/err")"

# 2. -w 1 against a listener whose backlog is full (SYNs are dropped):
#    exit 4 in about a second.
cat > "$T/full.py" <<'PY'
import os, select, socket, sys, time
pf, done = sys.argv[1], sys.argv[2]
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(0)
port = l.getsockname()[1]
fill = []
for i in range(4):                  # never accepted
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(('127.0.0.1', port))
    fill.append(s)
select.select([], [fill[0]], [], 5)  # the queue holds the first one
open(pf + '.tmp', 'w').write('%d\n' % port)
os.rename(pf + '.tmp', pf)
t = time.monotonic() + 30
while not os.path.exists(done) and time.monotonic() < t:
    time.sleep(0.02)
PY
python3 "$T/full.py" "$T/full.port" "$T/full.done" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/full.port" || fail "python3 listener did not start"
sk 5 /dev/null tcp-client -w 1 127.0.0.1 "$(cat "$T/full.port")"
[ "$RC" = 4 ] || fail "-w 1 against a full backlog exited $RC, expected 4: \
$(cat "$T/err")"
: > "$T/full.done"

# 3. A port already in use: exit 1 with a clear message.
start_server echo tcp-server 0 -v
sk 10 /dev/null tcp-server 127.0.0.1 "$echo_PORT"
[ "$RC" = 1 ] || fail "tcp-server on a port in use exited $RC, expected 1"
grep -qi 'address already in use' "$T/err" ||
    fail "port in use: stderr was '$(cat "$T/err")'"

# 4. Bad addresses are usage errors: exit 2.
for a in "127.0.0.1 70000" "127.0.0.1:abc" ":80" "[::1 80"; do
	# shellcheck disable=SC2086
	sk 10 /dev/null tcp-client $a
	[ "$RC" = 2 ] || fail "tcp-client $a exited $RC, expected 2"
done
for a in "127.0.0.1 70000" "127.0.0.1:abc" "[::1 0" "127.0.0.1:0 0"; do
	# shellcheck disable=SC2086
	sk 10 /dev/null tcp-server $a
	[ "$RC" = 2 ] || fail "tcp-server $a exited $RC, expected 2"
done

# 5. -z: 0 against a listener, 3 against nobody.  Nothing is sent or
#    printed: against a server with a banner that never closes first, -z
#    still exits 0 at once with empty output.
start_server bz tcp-server 0 -v --banner 'banner\n' --echo
sk 10 /dev/null tcp-client -z 127.0.0.1 "$bz_PORT"
[ "$RC" = 0 ] || fail "-z against a listener exited $RC: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "-z printed '$(cat "$T/out")'"
poll_until 5 grep -q '^closed 127\.0\.0\.1:[0-9]* in=0 ' "$T/bz.err" ||
    fail "-z: no in=0 closed line: $(cat "$T/bz.err")"
sk 10 /dev/null tcp-client -z 127.0.0.1 "$closed"
[ "$RC" = 3 ] || fail "-z against a closed port exited $RC, expected 3"

# 6. --max-conns 1 (refuse): while one client is connected a second one
#    is closed at once, unserved, and the log says max-conns; once the
#    first has left, clients are served again.
cat > "$T/full2.py" <<'PY'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.settimeout(10)
    return s
def recv_line(s):
    got = b''
    while not got.endswith(b'\n'):
        b = s.recv(100)
        if not b:
            break
        got += b
    return got
a = conn()
if recv_line(a) != b'hi\n':
    sys.exit('first client: no banner')
b = conn()
if mode == 'refuse':
    try:
        got = b.recv(100)
    except ConnectionResetError:
        got = b''
    if got:
        sys.exit('second client over --max-conns 1 got %r' % got)
    a.close()
    # Once the server has seen the first one leave (a bounded poll: it
    # may take a moment), a new client is served.
    for i in range(250):
        try:
            if recv_line(conn()) == b'hi\n':
                break
        except ConnectionResetError:
            pass
        time.sleep(0.02)
    else:
        sys.exit('no client served after the first left')
else:
    b.settimeout(0.5)
    try:
        got = b.recv(100)
        sys.exit('queued client served while the first is connected: %r' % got)
    except socket.timeout:
        pass
    b.settimeout(10)
    a.close()
    got = recv_line(b)
    if got != b'hi\n':
        sys.exit('queued client got %r after the first left' % got)
    b.sendall(b'echo me\n')
    if recv_line(b) != b'echo me\n':
        sys.exit('queued client: no echo')
PY
start_server mc tcp-server 0 --max-conns 1 --banner 'hi\n' --echo
python3 "$T/full2.py" "$mc_PORT" refuse || fail "--max-conns 1 (refuse)"
grep -q 'max-conns' "$T/mc.err" || fail "no max-conns line: $(cat "$T/mc.err")"

start_server mq tcp-server 0 --max-conns 1 --on-full queue --banner 'hi\n' \
    --echo
python3 "$T/full2.py" "$mq_PORT" queue || fail "--max-conns 1 --on-full queue"

# 7. --wait-for: against nobody it retries for its whole SEC, then exits 4;
#    a client started before its server connects once the server is up.
port=$(free_port) || fail "no free port"
"$SOCKIT" tcp-client --wait-for 10 --send 'late\n' 127.0.0.1 "$port" \
    < /dev/null > "$T/wait.out" 2> "$T/wait.err" &
wpid=$!
PIDS="$PIDS $wpid"
# Meanwhile, for about a second nobody listens on $port:
sk 5 /dev/null tcp-client --wait-for 1 127.0.0.1 "$port"
[ "$RC" = 4 ] || fail "--wait-for 1 against nobody exited $RC, expected 4"
kill -0 "$wpid" 2>/dev/null ||
    fail "--wait-for 10 gave up early: $(cat "$T/wait.err")"
start_server late tcp-server 127.0.0.1 "$port"
wait_exit "$wpid" 15
[ "$RC" = 0 ] || fail "--wait-for 10 exited $RC: $(cat "$T/wait.err")"
[ "$(cat "$T/wait.out")" = late ] ||
    fail "--wait-for 10 printed '$(cat "$T/wait.out")'"
exit 0
