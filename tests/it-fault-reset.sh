#!/bin/sh
# Fault: the peer resets the connection (SO_LINGER 0, then close) in the
# middle of a transfer, at every stage of a len32 message (mid-header,
# after the header, mid-payload, while the server is echoing back) and of
# an ssh-lite handshake (mid-hello, after the server's hello, mid-proof).
# 500 resets each: no crash, no fd leak (the server's /proc/PID/fd count
# returns to its baseline), no session process left behind, and a good
# client is served afterwards.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
N=500

cat > "$T/reset.py" <<'PY'
import os, socket, struct, sys, time
kind, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + 120
LINGER0 = struct.pack('ii', 1, 0)

def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    return s

def recv_exact(s, k):
    got = b''
    while len(got) < k:
        b = s.recv(k - len(got))
        if not b:
            raise EOFError('server closed after %d of %d bytes' % (len(got), k))
        got += b
    return got

def frame(b):
    return struct.pack('>I', len(b)) + b

def len32(stage):
    s = conn()
    # One whole message first: the server is in the middle of a session.
    s.sendall(frame(b'hello'))
    if recv_exact(s, 9) != frame(b'hello'):
        raise ValueError('bad echo')
    if stage == 'mid-header':
        s.sendall(b'\x00\x00')
    elif stage == 'after-header':
        s.sendall(struct.pack('>I', 1000))
    elif stage == 'mid-payload':
        s.sendall(struct.pack('>I', 1000) + b'p' * 500)
    else:   # mid-echo: the server has replies queued that we never read
        s.setblocking(False)
        # Frames back to back.  send() may take part of what it is given:
        # go on from there (resending a whole frame would put the stream
        # out of step, and the server would rightly close on a frame error).
        msg, sent = memoryview(frame(b'e' * 65532)), 0
        while sent < (4 << 20):
            try:
                sent += s.send(msg[sent % len(msg):])
            except BlockingIOError:
                break
    s.close()   # SO_LINGER 0: RST

def ssh(stage):
    s = conn()
    hello = frame(b'SKL\x01' + os.urandom(32))
    if stage == 'mid-hello':
        s.sendall(hello[:12])
    else:
        s.sendall(hello)
        shello = recv_exact(s, 4 + 68)
        if shello[4:8] != b'SKL\x01':
            raise ValueError('not a server hello')
        if stage == 'mid-proof':
            s.sendall(struct.pack('>I', 56) + os.urandom(20))
    s.close()

stages = {'len32': ['mid-header', 'after-header', 'mid-payload',
                    'mid-echo'],
          'ssh': ['mid-hello', 'after-hello', 'mid-proof']}[kind]
fn = len32 if kind == 'len32' else ssh
count = dict.fromkeys(stages, 0)
for i in range(n):
    if time.monotonic() > deadline:
        sys.exit('%s: timed out after %d resets' % (kind, i))
    st = stages[i % len(stages)]
    try:
        fn(st)
    except Exception as e:
        sys.exit('%s: reset %d (%s): %r' % (kind, i, st, e))
    count[st] += 1
print('%s: %d resets (%s)' % (kind, n, ', '.join('%s %d' % kv
                                                  for kv in count.items())))
PY

nfds() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# no_children PID: the process has no child left (zombie or not).
no_children() {
	[ -z "$(ps -o pid= --ppid "$1" 2>/dev/null)" ]
}

sane_log() {
	! grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$1"
}

fds_back() {
	[ "$(nfds "$1")" -le "$2" ]
}

# resets KIND NAME WHAT: N resets of KIND (reset.py) against the server
# NAME (started by start_server), called WHAT in messages.  The server
# must survive them, with no child process left and its fd count back
# to what it was before.  Sets BASE and AFTER (the fd counts).
resets() {
	eval "rs_pid=\$${2}_PID rs_port=\$${2}_PORT"
	BASE=$(nfds "$rs_pid")
	python3 "$T/reset.py" "$1" "$rs_port" "$N" >"$T/$1.out" 2>&1 &
	r=$!
	PIDS="$PIDS $r"
	wait_exit "$r" 150
	[ "$RC" = 0 ] || fail "$(cat "$T/$1.out")"
	kill -0 "$rs_pid" 2>/dev/null ||
	    fail "$3 server died: $(tail -5 "$T/$2.err")"
	poll_until 20 no_children "$rs_pid" ||
	    fail "$3 sessions left after $N resets:" \
		"$(ps -o pid,stat,args --ppid "$rs_pid" | head -10)"
	poll_until 10 fds_back "$rs_pid" "$BASE" ||
	    fail "$3 server: $(nfds "$rs_pid") fds after $N resets," \
		"$BASE before: $(ls -l "/proc/$rs_pid/fd" | tail -n +2 | head -20)"
	AFTER=$(nfds "$rs_pid")
}

# --- len32 echo server -------------------------------------------------
start_server echo tcp-server 0 --frame len32
resets len32 echo len32
printf 'still\n' >"$T/msg"
"$SOCKIT" tcp-client --frame len32 127.0.0.1 "$echo_PORT" <"$T/msg" \
    >"$T/out" 2>"$T/err" || fail "len32 client after resets: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "len32 echo after resets: '$(cat "$T/out")'"
sane_log "$T/echo.err" || fail "$(cat "$T/echo.err")"
echo "$(cat "$T/len32.out"); server fds $BASE before, $AFTER after"

# --- ssh-lite server ---------------------------------------------------
"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
start_server ssh ssh-lite server 0 --key-file "$T/key"
resets ssh ssh ssh-lite
"$SOCKIT" ssh-lite exec 127.0.0.1 "$ssh_PORT" --key-file "$T/key" \
    -- echo alive </dev/null >"$T/out" 2>"$T/err" &
x=$!
PIDS="$PIDS $x"
wait_exit "$x" 20
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = alive ] ||
    fail "ssh-lite exec after resets: status $RC, '$(cat "$T/out")'," \
	"$(cat "$T/err")"
sane_log "$T/ssh.err" || fail "$(cat "$T/ssh.err")"
echo "$(cat "$T/ssh.out"); server fds $BASE before, $AFTER after"
exit 0
