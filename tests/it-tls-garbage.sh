#!/bin/sh
# Fault: hostile TLS clients.  1000 connections at a tcp-server --tls:
# random bytes then a FIN, plain HTTP, a TLS record header announcing
# 64 KiB, half a ClientHello then a close, a whole ClientHello then a
# reset in the middle of the server's answer, and connect-and-close;
# while 5 good python3 ssl clients keep exchanging checked messages.
# Every good exchange succeeds; the server closes every bad client it
# has to (none waits for --tls-handshake-timeout); afterwards it serves
# an echo, and its open file descriptors (/proc/PID/fd) return to what
# they were before the flood.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
[ -d /proc/self/fd ] || skip "no /proc/PID/fd"
tls_fixtures

start_server s tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --tls-handshake-timeout 20
nfds() {
	ls "/proc/$s_PID/fd" | wc -l
}
fds0=$(nfds)

cat > "$T/garbage.py" <<'PY'
import os, random, socket, ssl, struct, sys, threading, time
port, tls = int(sys.argv[1]), sys.argv[2]
NBAD, NGOOD, BATCH = 1000, 5, 50
deadline = time.monotonic() + 120
errors, stats = [], {}
lock = threading.Lock()

def note(kind, what):
    with lock:
        stats.setdefault(kind, {}).setdefault(what, 0)
        stats[kind][what] += 1

def client_hello():
    ctx = ssl.create_default_context()
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inb, outb, server_hostname='localhost')
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outb.read()

HELLO = client_hello()
KINDS = ['random', 'http', 'huge-record', 'half-hello', 'reset-mid',
         'connect-close']

def wait_closed(s, kind, i):
    try:
        while s.recv(65536):
            pass
        note(kind, 'closed')
    except ConnectionResetError:
        note(kind, 'reset')
    except socket.timeout:
        note(kind, 'TIMEOUT')
        with lock:
            errors.append('bad client %d (%s): not closed by the server in 10 s'
                          % (i, kind))

def bad(i):
    kind = KINDS[i % len(KINDS)]
    s = None
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.settimeout(10)
        if kind == 'random':
            # Random bytes may start like a record (or an SSLv2 hello)
            # whose rest the server must wait for: the FIN says there is
            # no rest.
            try:
                s.sendall(os.urandom(random.randint(1, 4096)))
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass            # the server was quicker: closed already
            wait_closed(s, kind, i)
        elif kind == 'http':
            s.sendall(b'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
            wait_closed(s, kind, i)
        elif kind == 'huge-record':
            # a handshake record of 64 KiB - 1: over the 16 KiB limit
            s.sendall(b'\x16\x03\x03\xff\xff' + os.urandom(100))
            wait_closed(s, kind, i)
        elif kind == 'half-hello':
            s.sendall(HELLO[:random.randint(1, len(HELLO) - 1)])
            note(kind, 'sent')
        elif kind == 'reset-mid':
            s.sendall(HELLO)
            s.recv(random.randint(1, 200))   # part of the server's answer
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack('ii', 1, 0))
            note(kind, 'reset sent')
        else:
            note(kind, 'closed at once')
    except OSError as e:
        note(kind, 'ERROR')
        with lock:
            errors.append('bad client %d (%s): %r' % (i, kind, e))
    finally:
        if s is not None:
            s.close()

good_done = [0] * NGOOD
def good(g, stop):
    try:
        ctx = ssl.create_default_context(cafile=tls + '/ca.pem')
        s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port),
                                                     timeout=10),
                            server_hostname='localhost')
        n = 0
        while (not stop.is_set() or n < 20) and time.monotonic() < deadline:
            msg = b'%d.%d:' % (g, n) + os.urandom(random.randint(0, 40000))
            s.sendall(msg)
            got = b''
            while len(got) < len(msg):
                b = s.recv(len(msg) - len(got))
                if not b:
                    raise EOFError('closed after %d messages' % n)
                got += b
            if got != msg:
                raise ValueError('message %d echoed wrong' % n)
            n += 1
        s.unwrap().close()
        good_done[g] = n
    except Exception as e:
        with lock:
            errors.append('good client %d: %r' % (g, e))

stop = threading.Event()
goods = [threading.Thread(target=good, args=(g, stop)) for g in range(NGOOD)]
for t in goods:
    t.start()
t0 = time.monotonic()
for b0 in range(0, NBAD, BATCH):
    if time.monotonic() > deadline or len(errors) > 20:
        break
    ts = [threading.Thread(target=bad, args=(i,))
          for i in range(b0, min(NBAD, b0 + BATCH))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
flood = time.monotonic() - t0
stop.set()
for t in goods:
    t.join(60)
nbad = sum(sum(v.values()) for v in stats.values())
print('bad clients: %d in %.1f s: %s' % (nbad, flood, '; '.join(
    '%s %s' % (k, ', '.join('%s=%d' % kv for kv in sorted(v.items())))
    for k, v in sorted(stats.items()))))
print('good clients: %d messages echoed intact (%s)' % (
    sum(good_done), ' '.join(map(str, good_done))))
if any(t.is_alive() for t in goods):
    errors.append('a good client hung')
if nbad != NBAD:
    errors.append('only %d of %d bad clients ran' % (nbad, NBAD))
if errors:
    sys.exit('\n'.join(errors[:20]))
PY

python3 "$T/garbage.py" "$s_PORT" "$TLS" > "$T/garbage.out" 2>&1 &
g=$!
PIDS="$PIDS $g"
wait_exit "$g" 200
[ "$RC" = 0 ] || fail "$(cat "$T/garbage.out")"
kill -0 "$s_PID" 2> /dev/null || fail "server died: $(tail -5 "$T/s.err")"
cat "$T/garbage.out"

printf 'one\ntwo\n' > "$T/msg"
sk 10 "$T/msg" tcp-client --tls --tls-ca "$TLS/ca.pem" localhost "$s_PORT"
[ "$RC" = 0 ] || fail "echo after the garbage: exit $RC: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "echo after the garbage: '$(cat "$T/out")'"

back() {
	[ "$(nfds)" -le "$fds0" ]
}
poll_until 10 back ||
    fail "the server holds $(nfds) fds after the flood, $fds0 before: $(ls -l "/proc/$s_PID/fd")"
echo "server fds: $fds0 before, $(nfds) after"
! grep -Eq 'AddressSanitizer|runtime error|timed out' "$T/s.err" ||
    fail "$(grep -E 'AddressSanitizer|runtime error|timed out' "$T/s.err" | head)"
echo "server log, closed lines by reason:"
sed -n 's/^closed [^ ]* in=[0-9]* out=[0-9]* [0-9.]*s: //p' "$T/s.err" |
    sed 's/sha256:[0-9a-f]*/sha256:.../g' | sort | uniq -c | sort -rn
exit 0
