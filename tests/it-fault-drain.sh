#!/bin/sh
# Fault: SIGTERM in the middle of 10 concurrent transfers.  Each client
# sends 8 MiB of random bytes through the echo server and pauses reading
# once 1 MiB came back; SIGTERM arrives while all ten are held there.
# Every transfer then completes byte-exact (SHA-256 of what came back =
# what was sent), new connections are refused, and the server exits 0.
# Then: SIGTERM the moment --port-file appears (what a script does that
# starts a server and stops it at once) must also end in exit 0, for
# tcp-server, udp-server and ssh-lite server, 200 times each.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server echo tcp-server 0 --drain 30 -v

cat > "$T/xfers.py" <<'PY'
import hashlib, os, selectors, socket, sys, time
port, started, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
N, SIZE, HOLD = 10, 8 << 20, 1 << 20
sel = selectors.DefaultSelector()
conns = []
for i in range(N):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.setblocking(False)
    c = {'i': i, 's': s, 'data': os.urandom(SIZE), 'sent': 0,
         'got': hashlib.sha256(), 'ngot': 0, 'eof': False, 'mask': 0}
    conns.append(c)
paused, signalled = True, False
deadline = time.monotonic() + 90
def want(c):
    m = 0
    if c['sent'] < SIZE:
        m |= selectors.EVENT_WRITE
    # Hold reading at 1 MiB until the go file appears.
    if not c['eof'] and not (paused and c['ngot'] >= HOLD):
        m |= selectors.EVENT_READ
    return m
while time.monotonic() < deadline:
    if paused and all(c['ngot'] >= HOLD for c in conns) and not signalled:
        open(started, 'w').write('all %d transfers under way\n' % N)
        signalled = True
    if paused and signalled and os.path.exists(go):
        paused = False
    if all(c['eof'] for c in conns):
        break
    for c in conns:
        m = want(c)
        if m != c['mask']:
            if c['mask'] == 0:
                sel.register(c['s'], m, c)
            elif m == 0:
                sel.unregister(c['s'])
            else:
                sel.modify(c['s'], m, c)
            c['mask'] = m
    for key, mask in sel.select(timeout=0.05):
        c, s = key.data, key.fileobj
        if mask & selectors.EVENT_WRITE:
            try:
                c['sent'] += s.send(c['data'][c['sent']:c['sent'] + (1 << 18)])
            except BlockingIOError:
                pass
            if c['sent'] == SIZE:
                s.shutdown(socket.SHUT_WR)
        if mask & selectors.EVENT_READ:
            try:
                b = s.recv(1 << 18)
            except BlockingIOError:
                continue
            if not b:
                c['eof'] = True
            else:
                c['got'].update(b)
                c['ngot'] += len(b)
bad = []
for c in conns:
    ok = c['ngot'] == SIZE and \
        c['got'].digest() == hashlib.sha256(c['data']).digest()
    if not ok:
        bad.append('transfer %d: %d of %d bytes back, sent %d, eof=%s, '
                   'checksum %s' % (c['i'], c['ngot'], SIZE, c['sent'],
                                    c['eof'], 'ok' if ok else 'differs'))
if bad:
    sys.exit('\n'.join(bad))
print('%d transfers of %d bytes echoed intact (sha256) across SIGTERM'
      % (N, SIZE))
PY

python3 "$T/xfers.py" "$echo_PORT" "$T/started" "$T/go" >"$T/xfers.out" 2>&1 &
x=$!
PIDS="$PIDS $x"
await_file "the transfers" 60 "$T/started" "$x" "$T/xfers.out"

kill -TERM "$echo_PID"
poll_until 5 tcp_refused "$echo_PORT" || fail "new connections still accepted after SIGTERM"
kill -0 "$echo_PID" 2>/dev/null ||
    fail "server exited with 10 transfers in flight: $(tail -5 "$T/echo.err")"

: >"$T/go"
wait_exit "$x" 90
[ "$RC" = 0 ] || fail "$(cat "$T/xfers.out")"
wait_exit "$echo_PID" 30
[ "$RC" = 0 ] || fail "server exited $RC after draining: $(tail -5 "$T/echo.err")"
n=$(grep -c '^closed 127\.0\.0\.1:[0-9]* in=8388608 out=8388608 ' \
    "$T/echo.err")
[ "$n" = 10 ] || fail "$n complete 'closed' lines, expected 10:" \
    "$(grep closed "$T/echo.err")"
cat "$T/xfers.out"

# --- SIGTERM right after --port-file appears ---------------------------
"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
cat > "$T/early.py" <<'PY'
import os, subprocess, sys, time
sockit, tdir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
kinds = {'tcp-server': ['tcp-server', '0'],
         'udp-server': ['udp-server', '0'],
         'ssh-lite server': ['ssh-lite', 'server', '0', '--key-file',
                             os.path.join(tdir, 'key')]}
deadline = time.monotonic() + 90
pf = os.path.join(tdir, 'early.port')
bad = []
for name, args in kinds.items():
    rcs = {}
    for i in range(n):
        if time.monotonic() > deadline:
            sys.exit('timed out')
        try:
            os.unlink(pf)
        except FileNotFoundError:
            pass
        p = subprocess.Popen([sockit] + args + ['--port-file', pf],
                             stdin=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        # Tight readiness poll (bounded): TERM as soon as the file is there.
        t = time.monotonic() + 10
        while not os.path.exists(pf) and time.monotonic() < t and \
                p.poll() is None:
            pass
        p.terminate()
        try:
            rc = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = 'hung'
        rcs[rc] = rcs.get(rc, 0) + 1
    print('%s: exit statuses after SIGTERM %s' % (name, ', '.join(
        '%s x%d' % ('killed by signal %d' % -k if isinstance(k, int) and
                    k < 0 else k, v) for k, v in sorted(rcs.items(),
                                                        key=str))))
    if set(rcs) != {0}:
        bad.append(name)
if bad:
    sys.exit('SIGTERM right after --port-file did not end in exit 0 for: %s'
             % ', '.join(bad))
PY
python3 "$T/early.py" "$SOCKIT" "$T" 200 >"$T/early.out" 2>&1 &
e=$!
PIDS="$PIDS $e"
wait_exit "$e" 120
cat "$T/early.out"
[ "$RC" = 0 ] || fail "servers die of a SIGTERM that arrives once the" \
    "port file exists (signal handlers installed too late)"
exit 0
