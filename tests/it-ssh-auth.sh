#!/bin/sh
# ssh-lite authentication: a wrong key, garbage, an oversized length, a
# forged proof and a replayed recording of a good session all run nothing,
# are logged with the peer, and leave the server serving; a key file that
# others can read is refused; SOCKIT_KEY works.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need python3

"$SOCKIT" ssh-lite keygen -o "$T/key" || fail "keygen exited $?"
"$SOCKIT" ssh-lite keygen -o "$T/wrong" || fail "keygen exited $?"
start_server srv ssh-lite server 0 --key-file "$T/key"

X() {
	"$SOCKIT" ssh-lite exec 127.0.0.1 "$srv_PORT" "$@" </dev/null
}

good_client() {
	out=$(X --key-file "$T/key" -- echo "$1") ||
	    fail "good client after $1 exited $?"
	[ "$out" = "$1" ] || fail "good client after $1 got '$out'"
}

nfailed() {
	grep -c '^auth-failed 127\.0\.0\.1:[0-9]*: ' "$T/srv.err"
}

# A wrong key: 255, "authentication failed", an auth-failed log line
# naming the peer, and the command did not run.
X --key-file "$T/wrong" -- touch "$T/pwned" 2>"$T/err"
rc=$?
[ "$rc" = 255 ] || fail "wrong key exited $rc, expected 255"
grep -q 'authentication failed' "$T/err" ||
    fail "wrong key: stderr '$(cat "$T/err")'"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
poll_until 5 grep -q \
    '^auth-failed 127\.0\.0\.1:[0-9][0-9]*: authentication failed' \
    "$T/srv.err" || fail "no auth-failed line: $(cat "$T/srv.err")"
[ -e "$T/pwned" ] && fail "the command ran with a wrong key"
good_client "wrong-key"

# Garbage and forgeries from python3; each connection must be closed by
# the server promptly (before its 10 s handshake timeout).
cat >"$T/garbage.py" <<'PY'
import os, socket, sys, time

port = int(sys.argv[1])

def closed_by_server(name, data, limit=5.0):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(limit)
    got = b""
    start = time.time()
    try:
        if data:
            s.sendall(data)
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except ConnectionResetError:
        pass
    except socket.timeout:
        sys.exit("%s: server did not close within %.0f s" % (name, limit))
    s.close()
    return got, time.time() - start

closed_by_server("random bytes", os.urandom(4096))
closed_by_server("http", b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
# A len32 header announcing 4 GiB - 1: refused at once, nothing buffered.
closed_by_server("4 GiB header", b"\xff\xff\xff\xff" + b"\0" * 1024)
closed_by_server("257-byte header", b"\x00\x00\x01\x01" + b"\0" * 257)
closed_by_server("wrong magic", b"\x00\x00\x00\x24SSH\x01" + b"\0" * 32)
closed_by_server("wrong version", b"\x00\x00\x00\x24SKL\x02" + b"\0" * 32)
# A correct hello, then a proof that is random: no key, no session.
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(5)
s.sendall(b"\x00\x00\x00\x24SKL\x01" + os.urandom(32))
hello = b""
while len(hello) < 72:
    d = s.recv(72 - len(hello))
    if not d:
        sys.exit("forged proof: server closed before its hello")
    hello += d
if hello[:8] != b"\x00\x00\x00\x44SKL\x01":
    sys.exit("server hello starts %r" % hello[:8])
s.sendall(b"\x00\x00\x00\x38" + os.urandom(56))
try:
    rest = s.recv(100)
except ConnectionResetError:
    rest = b""
if rest:
    sys.exit("forged proof: server answered %r" % rest)
s.close()
PY
before=$(nfailed)
python3 "$T/garbage.py" "$srv_PORT" || fail "garbage test failed"
poll_until 5 sh -c "[ \$(grep -c '^auth-failed 127\.0\.0\.1:[0-9]*: ' \
    '$T/srv.err') -ge $((before + 7)) ]" ||
    fail "not 7 more auth-failed lines: $(cat "$T/srv.err")"
grep -q '^auth-failed 127\.0\.0\.1:[0-9]*: authentication failed$' \
    "$T/srv.err" || fail "the forged proof was not logged as such"
kill -0 "$srv_PID" || fail "server died after garbage"
good_client "garbage"

# Replay: record what a good exec sends through a python3 proxy, then
# send the same bytes on a new connection.  The command runs once.
cat >"$T/proxy.py" <<'PY'
import os, select, socket, sys, time

port, portfile, recfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
ls.settimeout(20)
c, _ = ls.accept()
s = socket.create_connection(("127.0.0.1", port))
rec = bytearray()
peer = {c: s, s: c}
live = [c, s]
deadline = time.time() + 30
while live and time.time() < deadline:
    r, _, _ = select.select(live, [], [], 1)
    for x in r:
        try:
            d = x.recv(65536)
        except ConnectionResetError:
            d = b""
        if x is c:
            rec += d
        if d:
            peer[x].sendall(d)
            continue
        live.remove(x)
        try:
            peer[x].shutdown(socket.SHUT_WR)
        except OSError:
            pass
with open(recfile, "wb") as f:
    f.write(rec)
PY
cat >"$T/replay.py" <<'PY'
import socket, sys

port, recfile = int(sys.argv[1]), sys.argv[2]
rec = open(recfile, "rb").read()
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(5)
got = b""
try:
    s.sendall(rec)
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except ConnectionResetError:
    pass
except socket.timeout:
    sys.exit("replay: server did not close within 5 s")
# At most the server hello (a fresh nonce and proof): nothing sealed.
if len(got) > 72:
    sys.exit("replay: server sent %d bytes" % len(got))
PY
python3 "$T/proxy.py" "$srv_PORT" "$T/proxy.port" "$T/rec" 2>"$T/proxy.err" &
ppid=$!
PIDS="$PIDS $ppid"
poll_until 10 test -s "$T/proxy.port" || fail "proxy did not start"
out=$("$SOCKIT" ssh-lite exec 127.0.0.1 "$(cat "$T/proxy.port")" \
    --key-file "$T/key" -- sh -c "echo ran >>'$T/ran'; echo done" \
    </dev/null) || fail "exec through the proxy exited $?"
[ "$out" = "done" ] || fail "exec through the proxy printed '$out'"
wait_exit "$ppid" 10
[ "$RC" = 0 ] || fail "proxy failed: $(cat "$T/proxy.err")"
[ "$(wc -c <"$T/rec")" -gt 100 ] ||
    fail "recorded only $(wc -c <"$T/rec") bytes"
before=$(nfailed)
python3 "$T/replay.py" "$srv_PORT" "$T/rec" || fail "replay test failed"
# The session logs its failure before it closes the connection.
[ "$(nfailed)" -gt "$before" ] || fail "replay not logged as auth-failed"
[ "$(wc -l <"$T/ran")" -eq 1 ] ||
    fail "the command ran $(wc -l <"$T/ran") times"
good_client "replay"

# A key file others may read is refused, as ssh refuses such keys.
"$SOCKIT" ssh-lite keygen -o "$T/k644" || fail "keygen exited $?"
chmod 644 "$T/k644"
X --key-file "$T/k644" -- touch "$T/pwned" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "0644 key file: exec exited $rc, expected 2"
grep -q 'accessible by group or others' "$T/err" &&
    grep -q 'chmod 600' "$T/err" || fail "0644 key: '$(cat "$T/err")'"
"$SOCKIT" ssh-lite server 0 --key-file "$T/k644" 2>"$T/err" &
spid=$!
wait_exit "$spid" 5
[ "$RC" = 2 ] || fail "0644 key file: server exited $RC, expected 2"
grep -q 'accessible by group or others' "$T/err" ||
    fail "0644 key, server: '$(cat "$T/err")'"
[ -e "$T/pwned" ] && fail "a command ran"

# SOCKIT_KEY instead of --key-file; a bad or missing one is a usage error.
out=$(SOCKIT_KEY=$(cat "$T/key") X -- echo env-key) ||
    fail "SOCKIT_KEY: exec exited $?"
[ "$out" = "env-key" ] || fail "SOCKIT_KEY: got '$out'"
SOCKIT_KEY=abcd X -- true 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "bad SOCKIT_KEY exited $rc, expected 2"
grep -q 'SOCKIT_KEY' "$T/err" || fail "bad SOCKIT_KEY: '$(cat "$T/err")'"
(unset SOCKIT_KEY; X -- true) 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "no key exited $rc, expected 2"
grep -q 'no key' "$T/err" || fail "no key: '$(cat "$T/err")'"
SOCKIT_KEY=$(cat "$T/wrong") X -- true 2>/dev/null
rc=$?
[ "$rc" = 255 ] || fail "wrong SOCKIT_KEY exited $rc, expected 255"
kill -0 "$srv_PID" || fail "server died"

# Connection flooding is bounded by --max-sessions, and a peer that says
# nothing is dropped after the 10 s handshake timeout.
cat >"$T/flood.py" <<'PY'
import socket, sys, time

port, logfile = int(sys.argv[1]), sys.argv[2]
silent = [socket.create_connection(("127.0.0.1", port)) for i in range(2)]
start = time.time()
# Wait (bounded) until the listener has seen both.
while open(logfile).read().count("accepted") < 2:
    if time.time() - start > 10:
        sys.exit("flood: the two silent peers were not accepted")
    time.sleep(0.02)
third = socket.create_connection(("127.0.0.1", port))
third.settimeout(5)
try:
    if third.recv(10) != b"":
        sys.exit("flood: the third peer got data")
except ConnectionResetError:
    pass
except socket.timeout:
    sys.exit("flood: the third peer was not refused")
for s in silent:
    s.settimeout(20)
    try:
        if s.recv(10) != b"":
            sys.exit("flood: a silent peer got data")
    except ConnectionResetError:
        pass
    except socket.timeout:
        sys.exit("flood: a silent peer was kept for 20 s")
took = time.time() - start
if took < 9:
    sys.exit("flood: silent peers dropped after only %.1f s" % took)
PY
start_server small ssh-lite server 0 --key-file "$T/key" --max-sessions 2 -v
python3 "$T/flood.py" "$small_PORT" "$T/small.err" || fail "flood test failed"
grep -q '^refused 127\.0\.0\.1:[0-9]*: max-sessions reached$' \
    "$T/small.err" || fail "no refused line: $(cat "$T/small.err")"
[ "$(grep -o 'handshake timed out' "$T/small.err" | wc -l)" -eq 2 ] ||
    fail "not 2 handshake timeouts logged: $(cat "$T/small.err")"
# Both sessions log at the same moment: each line must still be whole.
[ "$(grep -c '^auth-failed 127\.0\.0\.1:[0-9]*: handshake timed out$' \
    "$T/small.err")" -eq 2 ] ||
    fail "log lines of concurrent sessions interleaved: $(cat "$T/small.err")"
out=$("$SOCKIT" ssh-lite exec 127.0.0.1 "$small_PORT" --key-file "$T/key" \
    -- echo after-flood </dev/null) || fail "exec after the flood: $?"
[ "$out" = "after-flood" ] || fail "exec after the flood got '$out'"
exit 0
