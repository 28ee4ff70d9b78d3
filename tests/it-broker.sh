#!/bin/sh
# tcp-server --broker (ncat --broker): each client's data goes to every
# other client, exactly once; a client that stops reading is dropped
# with a log line, never stalling the others, and the server's memory
# stays bounded.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# AddressSanitizer keeps freed memory in a quarantine (256 MiB by
# default) that RSS counts: keep it small so that the bound below still
# tells bounded buffering from unbounded.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
export ASAN_OPTIONS
start_server b tcp-server 0 --broker -v

# 1. 20 clients, each sends 50 numbered lines: every client gets the
#    other 19 clients' 950 lines, each once, and none of its own.
python3 - "$b_PORT" <<'PY' || fail "broker fan-out"
import selectors, socket, sys, time
port, N, M = int(sys.argv[1]), 20, 50
cs = [socket.create_connection(('127.0.0.1', port), timeout=10)
      for _ in range(N)]
# Every member is in before anyone talks (the broker's own -v lines
# are not visible here): a round of hellos, received by all.
for i, c in enumerate(cs):
    c.sendall(b'hello %d\n' % i)
got = [b''] * N
sel = selectors.DefaultSelector()
for i, c in enumerate(cs):
    c.setblocking(False)
    sel.register(c, selectors.EVENT_READ, i)
def pump(until, deadline):
    while not until() and time.monotonic() < deadline:
        for key, _ in sel.select(0.1):
            try:
                b = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            got[key.data] += b
pump(lambda: all(g.count(b'hello') >= N - 1 for g in got),
     time.monotonic() + 20)
for i, c in enumerate(cs):
    for j in range(M):
        c.setblocking(True)
        c.sendall(b'%d:%d\n' % (i, j))
        c.setblocking(False)
want = N - 1 + (N - 1) * M
pump(lambda: all(g.count(b'\n') >= want for g in got), time.monotonic() + 30)
bad = []
for i, g in enumerate(got):
    lines = [l for l in g.split(b'\n') if l and not l.startswith(b'hello')]
    exp = sorted(b'%d:%d' % (k, j) for k in range(N) if k != i
                 for j in range(M))
    if sorted(lines) != exp:
        bad.append('client %d: %d lines, %d expected' % (i, len(lines),
                   len(exp)))
for c in cs:
    c.close()
if bad:
    sys.exit('\n'.join(bad))
PY

# 2. One client never reads while another sends 64 MiB: the silent one
#    is dropped ("not reading"), a third one still gets everything, and
#    the server's RSS stays far below what it was sent.
rss0=$(rss_kb "$b_PID")
python3 - "$b_PORT" "$T/rss" "$b_PID" <<'PY' || fail "slow member"
import hashlib, socket, sys, threading, time
port, rssf, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def rss():
    for l in open('/proc/%s/status' % pid):
        if l.startswith('VmRSS:'):
            return int(l.split()[1])
slow = socket.create_connection(('127.0.0.1', port), timeout=10)
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
reader = socket.create_connection(('127.0.0.1', port), timeout=30)
sender = socket.create_connection(('127.0.0.1', port), timeout=30)
# All three are members once each has heard the others' hello.
for s in (slow, reader, sender):
    s.sendall(b'.')
def wait_dots(s, n):
    d = b''
    while d.count(b'.') < n:
        d += s.recv(16)
wait_dots(reader, 2)
wait_dots(sender, 2)
data = b'x' * (64 << 20)
peak = [0]
def send():
    v = memoryview(data)
    for i in range(0, len(data), 1 << 20):
        sender.sendall(v[i:i + (1 << 20)])
        peak[0] = max(peak[0], rss())
    sender.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
n = 0
h = hashlib.sha256()
while n < len(data):
    b = reader.recv(1 << 20)
    if not b:
        sys.exit('reader: EOF after %d of %d bytes' % (n, len(data)))
    n += len(b)
t.join()
open(rssf, 'w').write('%d\n' % peak[0])
PY
peak=$(cat "$T/rss")
echo "broker RSS: $rss0 KiB at start, $peak KiB at most while relaying 64 MiB"
[ "$peak" -lt $((rss0 + 32768)) ] ||
    fail "broker RSS grew to $peak KiB (from $rss0) with a member not reading"
poll_until 10 grep -q 'broker: not reading' "$T/b.err" ||
    fail "the silent member was not dropped: $(tail -5 "$T/b.err")"
kill -0 "$b_PID" || fail "the broker died"
exit 0
