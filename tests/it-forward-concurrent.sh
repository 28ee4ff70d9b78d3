#!/bin/sh
# 200 connections forwarded at once: a python3 client opens them all,
# gets a first echo through every one of them while all are open (so 200
# backend connections are live at the same time), then sends the rest,
# half-closes and reads each reply to EOF.  Every connection gets back
# exactly its own bytes, and the forwarder logs 200 complete closes.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
N=200
PER=65536

start_server echo tcp-server 0 -v
start_server fwd tcp-server 0 -v --forward "127.0.0.1:$echo_PORT"

cat > "$T/many.py" <<'PY'
import os, selectors, socket, sys, time
port, n, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
FIRST = 1024
deadline = time.monotonic() + 60
t0 = time.monotonic()
sel = selectors.DefaultSelector()
conns = []
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(('127.0.0.1', port))
    except BlockingIOError:
        pass
    c = {'s': s, 'data': os.urandom(per), 'sent': 0, 'got': bytearray(),
         'limit': FIRST, 'eof': False, 'shut': False}
    conns.append(c)
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

def run(done):
    while not done():
        if time.monotonic() > deadline:
            bad = [i for i, c in enumerate(conns) if not c['eof']]
            sys.exit('timed out; %d connections unfinished, e.g. #%d with '
                     '%d of %d bytes back' % (len(bad), bad[0],
                     len(conns[bad[0]]['got']), per))
        for key, mask in sel.select(timeout=0.5):
            c = key.data
            s = c['s']
            if mask & selectors.EVENT_WRITE and c['sent'] < c['limit']:
                try:
                    c['sent'] += s.send(c['data'][c['sent']:c['limit']])
                except BlockingIOError:
                    pass
                except OSError as e:
                    sys.exit('send: %s' % e)
            if c['sent'] == per and not c['shut']:
                s.shutdown(socket.SHUT_WR)
                c['shut'] = True
            if mask & selectors.EVENT_READ:
                try:
                    b = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    sys.exit('recv: %s after %d bytes' % (e, len(c['got'])))
                if not b:
                    c['eof'] = True
                    sel.unregister(s)
                    continue
                c['got'] += b
            want = selectors.EVENT_READ
            if c['sent'] < c['limit']:
                want |= selectors.EVENT_WRITE
            if not c['eof'] and key.events != want:
                sel.modify(s, want, c)

# Phase 1: the first KiB echoed through every connection; none is done.
run(lambda: all(len(c['got']) >= FIRST for c in conns))
if any(c['eof'] for c in conns):
    sys.exit('a connection ended before it was half-closed')
print('%d connections open at once, each echoed its first %d bytes '
      '(%.2f s)' % (n, FIRST, time.monotonic() - t0))
# Phase 2: the rest, then EOF.
for c in conns:
    c['limit'] = per
    sel.modify(c['s'], selectors.EVENT_READ | selectors.EVENT_WRITE, c)
run(lambda: all(c['eof'] for c in conns))
bad = [i for i, c in enumerate(conns) if bytes(c['got']) != c['data']]
if bad:
    c = conns[bad[0]]
    sys.exit('%d connections got wrong data, e.g. #%d: %d bytes, %d sent'
             % (len(bad), bad[0], len(c['got']), per))
print('%d connections x %d bytes exact in %.2f s'
      % (n, per, time.monotonic() - t0))
PY
python3 "$T/many.py" "$fwd_PORT" "$N" "$PER" || fail "concurrent forwarding"

all_closed() {
	[ "$(grep -c "^closed 127\\.0\\.0\\.1:[0-9]* in=$PER out=$PER " \
	    "$T/fwd.err")" -eq "$N" ]
}
poll_until 10 all_closed ||
    fail "expected $N complete closed lines, got $(grep -c '^closed' \
"$T/fwd.err"): $(grep '^closed' "$T/fwd.err" | grep -v "in=$PER out=$PER" |
head -5)"
[ "$(grep -c '^forwarding ' "$T/fwd.err")" -eq "$N" ] ||
    fail "expected $N forwarding lines"
running "$fwd_PID" || fail "the forwarder died"
exit 0
