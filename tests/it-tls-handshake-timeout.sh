#!/bin/sh
# Handshakes run inside the event loop (SPEC 9): clients that connect and
# send nothing, or half a ClientHello, are dropped after
# --tls-handshake-timeout, logged as such, while the server goes on
# serving others: a good client completes its echo while they hang.  On
# the client side, a server that never answers the ClientHello makes
# tcp-client --tls give up after -w with exit 4.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
tls_fixtures
HS=2

start_server s tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --tls-handshake-timeout "$HS"

# 20 silent clients and 20 that stop after half a ClientHello; each
# waits for the server to close it.  "up" once all are connected, then
# one line each: how long the server took to close it.
cat > "$T/stall.py" <<'PY'
import os, socket, ssl, sys, threading, time
port, up = int(sys.argv[1]), sys.argv[2]
# A real ClientHello, from an SSLObject that never gets an answer.
ctx = ssl.create_default_context()
inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inb, outb, server_hostname='localhost')
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outb.read()
socks = []
for i in range(40):
    s = socket.create_connection(('127.0.0.1', port), timeout=30)
    if i % 2:
        s.sendall(hello[:len(hello) // 2])
    socks.append(s)
t0 = time.monotonic()
with open(up + '.tmp', 'w') as f:
    f.write('%d\n' % len(socks))
os.rename(up + '.tmp', up)
res = [None] * len(socks)
def wait(i, s):
    try:
        while s.recv(4096):
            pass
        res[i] = 'closed %.2f' % (time.monotonic() - t0)
    except ConnectionResetError:
        res[i] = 'closed %.2f' % (time.monotonic() - t0)
    except socket.timeout:
        res[i] = 'not closed in 30 s'
ts = [threading.Thread(target=wait, args=(i, s)) for i, s in enumerate(socks)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for i, r in enumerate(res):
    print('%s %s' % ('half-hello' if i % 2 else 'silent', r))
PY
python3 "$T/stall.py" "$s_PORT" "$T/up" > "$T/stall.out" 2>&1 &
stall=$!
PIDS="$PIDS $stall"
await_file "the stalled clients" 10 "$T/up" "$stall" "$T/stall.out"

# Meanwhile a good client is served at once.
start=$(now_ms)
printf 'served meanwhile\n' > "$T/msg"
sk 10 "$T/msg" tcp-client --tls --tls-ca "$TLS/ca.pem" localhost "$s_PORT"
took=$(($(now_ms) - start))
[ "$RC" = 0 ] || fail "the good client exited $RC: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "the good client got '$(cat "$T/out")'"
running "$stall" ||
    fail "the stalled clients were closed before the good one was done: $(cat "$T/stall.out")"
echo "a good client was served in $took ms while 40 handshakes stalled"

wait_exit "$stall" 40
[ "$RC" = 0 ] || fail "stall.py: $(cat "$T/stall.out")"
# Closed after the timeout (a generous bound: well before the default 10 s).
awk -v hs="$HS" '$2 != "closed" || $3 < hs - 0.5 || $3 > 9 { bad = bad "\n" $0 }
    END { if (bad != "") { print "closed too early, too late or not:" bad; exit 1 } }' \
    "$T/stall.out" || fail "$(cat "$T/stall.out")"
[ "$(wc -l < "$T/stall.out")" -eq 40 ] || fail "$(cat "$T/stall.out")"
poll_until 5 sh -c "[ \$(grep -c 'TLS handshake: timed out (--tls-handshake-timeout)' '$T/s.err') -eq 40 ]" ||
    fail "expected 40 timed-out lines: $(cat "$T/s.err")"
grep -q '^closed 127\.0\.0\.1:[0-9]* in=0 out=0 [0-9.]*s: TLS handshake: timed out (--tls-handshake-timeout)$' \
    "$T/s.err" || fail "closed line: $(cat "$T/s.err")"
echo "40 stalled handshakes closed after $(sort -k3 -n "$T/stall.out" |
    sed -n '1s/.* //p')-$(sort -k3 -n "$T/stall.out" | sed -n '$s/.* //p') s"

# The client side: a plain TCP server reads the ClientHello and never
# answers; -w 1 bounds the handshake: exit 4.
start_server mute tcp-server 0 --discard
sk 10 /dev/null tcp-client --tls --tls-ca "$TLS/ca.pem" -w 1 localhost "$mute_PORT"
[ "$RC" = 4 ] || fail "client against a mute server exited $RC, expected 4: $(cat "$T/err")"
grep -qx "sockit: tcp-client: TLS handshake with localhost:$mute_PORT: timed out" "$T/err" ||
    fail "client against a mute server said: $(cat "$T/err")"
exit 0
