#!/bin/sh
# 1000 clients connect to one echo server at once; each sends a distinct
# message and must get exactly that message back.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
ulimit -n 4096 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 2100 ] ||
    skip "cannot raise the open file limit (ulimit -n is $(ulimit -n))"

start_server echo tcp-server 0

cat > "$T/burst.py" <<'PY'
import errno, selectors, socket, sys, time
N, port = 1000, int(sys.argv[1])
deadline = time.monotonic() + 60
start = time.monotonic()
sel = selectors.DefaultSelector()
conns = {}
# Open all connections first (non-blocking), then talk on all of them.
for i in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    err = s.connect_ex(('127.0.0.1', port))
    if err not in (0, errno.EINPROGRESS):
        sys.exit('connect %d: %s' % (i, errno.errorcode.get(err, err)))
    msg = ('client %04d says %s\n' % (i, 'x' * (i % 97))).encode()
    conns[s] = {'i': i, 'out': msg, 'want': msg, 'got': b''}
    sel.register(s, selectors.EVENT_WRITE)
ok, failed = 0, []
while sel.get_map() and time.monotonic() < deadline:
    for key, ev in sel.select(timeout=1):
        s, c = key.fileobj, conns[key.fileobj]
        try:
            if ev & selectors.EVENT_WRITE and c['out']:
                n = s.send(c['out'])
                c['out'] = c['out'][n:]
                if not c['out']:
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ)
                continue
            if ev & selectors.EVENT_READ:
                b = s.recv(4096)
                if b:
                    c['got'] += b
                    continue
        except BlockingIOError:
            continue
        except OSError as e:
            failed.append('%d: %s' % (c['i'], e))
            sel.unregister(s)
            s.close()
            continue
        sel.unregister(s)
        s.close()
        if c['got'] == c['want']:
            ok += 1
        else:
            failed.append('%d: got %r' % (c['i'], c['got'][:60]))
took = time.monotonic() - start
print('burst: %d/%d clients echoed correctly in %.2f s' % (ok, N, took))
if sel.get_map():
    failed.append('%d clients unfinished after 60 s' % len(sel.get_map()))
if failed or ok != N:
    sys.exit('failures (%d): %s' % (len(failed), '; '.join(failed[:5])))
PY
python3 "$T/burst.py" "$echo_PORT" || fail "burst of 1000 clients failed"
kill -0 "$echo_PID" 2>/dev/null || fail "server died: $(cat "$T/echo.err")"
exit 0
