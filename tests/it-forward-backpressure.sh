#!/bin/sh
# Bounded memory through --forward, both ways:
#  1. the backend streams 200 MiB to a client that does not read: the
#     backend gets blocked (the forwarder stopped reading from it), the
#     forwarder's RSS stays small, and once the client reads, all 200 MiB
#     arrive exact;
#  2. a client sends 200 MiB to a backend that does not read (tests/hog.py):
#     the client gets blocked, the RSS stays small, and another client
#     is served meanwhile.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
LIMIT_KB=32768

# rss_ok PID WHAT: fails unless the forwarder's RSS is under the limit.
rss_ok() {
	rss=$(rss_kb "$1")
	[ -n "$rss" ] && [ "$rss" -lt "$LIMIT_KB" ] ||
	    fail "$2: forwarder RSS is ${rss:-?} KiB (limit $LIMIT_KB)"
	echo "$2: forwarder RSS $rss KiB"
}

# 1. A python3 backend that sends 200 MiB; it notes when the kernel has
#    taken nothing for a full second (it is blocked), and goes on until
#    all is sent.
cat > "$T/stream.py" <<'PY'
import hashlib, os, select, socket, sys, time
pf, blocked, result = sys.argv[1], sys.argv[2], sys.argv[3]
total = 200 << 20
chunk = hashlib.sha256(b'stream').digest() * (1 << 15)    # 1 MiB
data = memoryview(chunk * 2)
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(1)
l.settimeout(20)
open(pf + '.tmp', 'w').write('%d\n' % l.getsockname()[1])
os.rename(pf + '.tmp', pf)
c, _ = l.accept()
c.setblocking(False)
sent, idle_since, noted = 0, None, False
deadline = time.monotonic() + 120
while sent < total:
    if time.monotonic() > deadline:
        sys.exit('stream: timed out after %d bytes' % sent)
    try:
        off = sent % len(chunk)     # a short send goes on mid-chunk
        sent += c.send(data[off:off + min(len(chunk), total - sent)])
        idle_since = None
        continue
    except BlockingIOError:
        pass
    now = time.monotonic()
    if idle_since is None:
        idle_since = now
    elif now - idle_since >= 1.0 and not noted:
        open(blocked, 'w').write('%d\n' % sent)
        noted = True
    select.select([], [c], [], 0.05)
if not noted:
    sys.exit('stream: all 200 MiB went out to a client that does not read')
c.setblocking(True)
c.close()
open(result, 'w').write('%d\n' % sent)
PY
python3 "$T/stream.py" "$T/stream.port" "$T/stream.blocked" "$T/stream.res" \
    > "$T/stream.out" 2>&1 &
stream=$!
PIDS="$PIDS $stream"
poll_until 10 test -s "$T/stream.port" || fail "python3 backend did not start"
start_server fwd1 tcp-server 0 --forward "127.0.0.1:$(cat "$T/stream.port")"

# The client: connects, reads nothing until $T/read exists, then reads
# to EOF and checks every byte.
cat > "$T/lazy.py" <<'PY'
import hashlib, os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
total = 200 << 20
chunk = hashlib.sha256(b'stream').digest() * (1 << 15)
s = socket.create_connection(('127.0.0.1', port), timeout=10)
t = time.monotonic() + 60
while not os.path.exists(go):
    if time.monotonic() > t:
        sys.exit('lazy reader: never told to read')
    time.sleep(0.02)
s.settimeout(60)
t0 = time.monotonic()
got, bad = 0, None
buf = bytearray()
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    buf += b
    while len(buf) >= len(chunk):
        if buf[:len(chunk)] != chunk and bad is None:
            bad = got
        del buf[:len(chunk)]
        got += len(chunk)
got += len(buf)
if bad is not None or buf:
    sys.exit('lazy reader: data differs (first bad MiB at %r, %d stray bytes)'
             % (bad, len(buf)))
if got != total:
    sys.exit('lazy reader: got %d bytes, expected %d' % (got, total))
print('lazy reader: 200 MiB exact in %.2f s once it read'
      % (time.monotonic() - t0))
PY
python3 "$T/lazy.py" "$fwd1_PORT" "$T/read" > "$T/lazy.out" 2>&1 &
lazy=$!
PIDS="$PIDS $lazy"
stream_blocked() {
	test -s "$T/stream.blocked" || ! kill -0 "$stream" 2>/dev/null
}
poll_until 90 stream_blocked || fail "the backend never got blocked"
test -s "$T/stream.blocked" ||
    fail "backend: $(cat "$T/stream.out") / client: $(cat "$T/lazy.out")"
echo "backend blocked after $(($(cat "$T/stream.blocked") >> 20)) MiB"
rss_ok "$fwd1_PID" "client not reading"
: > "$T/read"
wait_exit "$lazy" 90
[ "$RC" = 0 ] || fail "$(cat "$T/lazy.out")"
cat "$T/lazy.out"
wait_exit "$stream" 30
[ "$RC" = 0 ] || fail "backend: $(cat "$T/stream.out")"
rss_ok "$fwd1_PID" "after the download"

# 2. A backend that never reads its first connection (until
#    $T/hog.done) and echoes the later ones.
cat > "$T/deaf.py" <<'PY'
import os, socket, sys, threading, time
pf, done = sys.argv[1], sys.argv[2]
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen(8)
l.settimeout(60)
open(pf + '.tmp', 'w').write('%d\n' % l.getsockname()[1])
os.rename(pf + '.tmp', pf)
first, _ = l.accept()
def echo(c):
    c.settimeout(20)
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    c.close()
def serve():
    while True:
        try:
            c, _ = l.accept()
        except OSError:
            return
        threading.Thread(target=echo, args=(c,), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
t = time.monotonic() + 90
while not os.path.exists(done) and time.monotonic() < t:
    time.sleep(0.05)
first.close()
PY
python3 "$T/deaf.py" "$T/deaf.port" "$T/hog.done" > "$T/deaf.out" 2>&1 &
deaf=$!
PIDS="$PIDS $deaf"
poll_until 10 test -s "$T/deaf.port" || fail "python3 backend did not start"
start_server fwd2 tcp-server 0 --forward "127.0.0.1:$(cat "$T/deaf.port")"

python3 "${SOCKIT_SRCDIR:-.}/tests/hog.py" "$fwd2_PORT" "$T/hog.blocked" \
    "$T/hog.done" > "$T/hog.out" 2>&1 &
hog=$!
PIDS="$PIDS $hog"
hog_ready() {
	test -s "$T/hog.blocked" || ! kill -0 "$hog" 2>/dev/null
}
poll_until 90 hog_ready || fail "the sender did not block"
test -s "$T/hog.blocked" || fail "sender failed: $(cat "$T/hog.out")"
rss_ok "$fwd2_PID" "backend not reading"

# Another client is served while the first one is stuck.
printf 'still here\n' > "$T/msg"
"$SOCKIT" tcp-client 127.0.0.1 "$fwd2_PORT" < "$T/msg" > "$T/out" 2> "$T/err" &
cl=$!
PIDS="$PIDS $cl"
wait_exit "$cl" 10
[ "$RC" = 0 ] || fail "second client exited $RC: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "second client got '$(cat "$T/out")'"
rss_ok "$fwd2_PID" "backend not reading, second client served"

: > "$T/hog.done"
wait_exit "$hog" 40
[ "$RC" = 0 ] || fail "sender: $(cat "$T/hog.out")"
cat "$T/hog.out"
wait_exit "$deaf" 20
running "$fwd2_PID" || fail "the forwarder died"
exit 0
