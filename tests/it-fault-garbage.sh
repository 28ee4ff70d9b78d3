#!/bin/sh
# Fault: hostile input.  1000 clients send garbage, oversized len32
# headers or truncated frames to a `--frame len32` echo server while 10
# good clients exchange checked messages.  Every good exchange succeeds;
# the server closes every bad client by itself (an oversized header
# without waiting for more input); the server is alive afterwards.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server echo tcp-server 0 --frame len32

cat > "$T/garbage.py" <<'PY'
import os, random, socket, struct, sys, threading, time
port = int(sys.argv[1])
NBAD, NGOOD, BATCH = 1000, 10, 50
MAXF = 16 << 20          # the default --max-frame
deadline = time.monotonic() + 150
errors, bad_stats = [], {}
lock = threading.Lock()

def note(kind, what):
    with lock:
        bad_stats.setdefault(kind, {}).setdefault(what, 0)
        bad_stats[kind][what] += 1

def frame(b):
    return struct.pack('>I', len(b)) + b

# Bad clients, four kinds.  'oversize' and 'random-big' announce more
# than --max-frame: the server must close them while they keep the
# connection open.  'truncated' and 'random' end mid-message (shutdown):
# the server must close them too (a partial frame at EOF is an error).
def bad(i):
    kind = ['oversize', 'random-big', 'truncated', 'random'][i % 4]
    if kind == 'oversize':
        data = struct.pack('>I', random.choice([MAXF + 1, 0xffffffff,
                                               0x80000000])) + b'x' * 100
    elif kind == 'random-big':
        data = bytes([random.randint(2, 255)]) + os.urandom(4095)
    elif kind == 'truncated':
        data = struct.pack('>I', 1000) + os.urandom(random.randint(0, 999))
    else:
        data = os.urandom(random.randint(1, 3))    # not even a header
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.settimeout(10)
        s.sendall(data)
        if kind in ('truncated', 'random'):
            s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass                                  # server closed: EOF
        note(kind, 'closed')
    except ConnectionResetError:
        note(kind, 'reset')                       # closed with data unread
    except socket.timeout:
        note(kind, 'TIMEOUT')
        with lock:
            errors.append('bad client %d (%s): not closed by the server '
                          'in 10 s' % (i, kind))
    except OSError as e:
        note(kind, 'ERROR')
        with lock:
            errors.append('bad client %d (%s): %r' % (i, kind, e))
    finally:
        try:
            s.close()
        except Exception:
            pass

good_done = [0] * NGOOD
def good(g, stop):
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        s.settimeout(10)
        n = 0
        while (not stop.is_set() or n < 20) and n < 100000 and \
                time.monotonic() < deadline:
            msg = b'%d.%d:' % (g, n) + os.urandom(random.randint(0, 70000))
            s.sendall(frame(msg))
            want, got = len(msg) + 4, b''
            while len(got) < want:
                b = s.recv(want - len(got))
                if not b:
                    raise EOFError('closed after %d messages' % n)
                got += b
            if got != frame(msg):
                raise ValueError('message %d echoed wrong' % n)
            n += 1
        s.close()
        good_done[g] = n
    except Exception as e:
        with lock:
            errors.append('good client %d: %r' % (g, e))

stop = threading.Event()
goods = [threading.Thread(target=good, args=(g, stop)) for g in range(NGOOD)]
for t in goods:
    t.start()
for b0 in range(0, NBAD, BATCH):
    if time.monotonic() > deadline or len(errors) > 20:
        break
    ts = [threading.Thread(target=bad, args=(i,))
          for i in range(b0, min(NBAD, b0 + BATCH))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
stop.set()
for t in goods:
    t.join(60)
nbad = sum(sum(v.values()) for v in bad_stats.values())
print('bad clients: %d: %s' % (nbad, '; '.join(
    '%s %s' % (k, ', '.join('%s=%d' % kv for kv in sorted(v.items())))
    for k, v in sorted(bad_stats.items()))))
print('good clients: %d messages echoed intact (%s)' % (
    sum(good_done), ' '.join(map(str, good_done))))
if any(t.is_alive() for t in goods):
    errors.append('a good client hung')
if nbad != NBAD:
    errors.append('only %d of %d bad clients ran' % (nbad, NBAD))
if errors:
    sys.exit('\n'.join(errors[:20]))
PY

python3 "$T/garbage.py" "$echo_PORT" >"$T/garbage.out" 2>&1 &
g=$!
PIDS="$PIDS $g"
wait_exit "$g" 200
[ "$RC" = 0 ] || fail "$(cat "$T/garbage.out")"
kill -0 "$echo_PID" 2>/dev/null ||
    fail "server died: $(tail -5 "$T/echo.err")"
printf 'one\ntwo\n' >"$T/msg"
"$SOCKIT" tcp-client --frame len32 127.0.0.1 "$echo_PORT" <"$T/msg" \
    >"$T/out" 2>"$T/err" || fail "client after the garbage: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "echo after the garbage: '$(cat "$T/out")'"
nerr=$(grep -c 'frame error' "$T/echo.err")
[ "$nerr" -ge 1000 ] ||
    fail "only $nerr 'frame error' log lines for 1000 bad clients"
! grep -Eq 'AddressSanitizer|runtime error' "$T/echo.err" ||
    fail "$(cat "$T/echo.err")"
cat "$T/garbage.out"
echo "server logged $nerr frame errors"
exit 0
