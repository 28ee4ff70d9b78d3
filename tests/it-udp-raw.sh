#!/bin/sh
# With --stdio-frame raw, stdin has no messages: udp-client and
# udp-server --stdio send it in chunks of at most the datagram maximum
# (65507 bytes over IPv4, 65527 over IPv6), so any file goes through as
# nc -u sends it, and nothing is dropped in silence.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

head -c 100000 /dev/urandom > "$T/100k" || fail "cannot make test data"
head -c 1000000 /dev/urandom > "$T/1m" || fail "cannot make test data"

# 1. udp-client against the echo server: a file (read a datagram at a
#    time) and a pipe (reads of whatever the pipe holds) come back whole.
start_server echo udp-server 0
for f in 100k 1m; do
	"$SOCKIT" udp-client --stdio-frame raw 127.0.0.1 "$echo_PORT" \
	    < "$T/$f" > "$T/$f.out" 2> "$T/$f.err" ||
	    fail "udp-client --stdio-frame raw < $f exited $?: \
$(cat "$T/$f.err")"
	cmp -s "$T/$f" "$T/$f.out" ||
	    fail "$f: $(wc -c < "$T/$f.out") bytes came back, not the same"
	cat "$T/$f" | "$SOCKIT" udp-client --stdio-frame raw \
	    127.0.0.1 "$echo_PORT" > "$T/$f.pout" 2> "$T/$f.perr" ||
	    fail "cat $f | udp-client --stdio-frame raw exited $?: \
$(cat "$T/$f.perr")"
	cmp -s "$T/$f" "$T/$f.pout" ||
	    fail "$f through a pipe: $(wc -c < "$T/$f.pout") bytes came back"
done

# 2. The datagrams themselves: a python3 receiver records their sizes.
cat > "$T/sink.py" <<'PY'
import os, socket, sys
portfile, total, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(('127.0.0.1', 0))
s.settimeout(10)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
data, sizes = b'', []
while len(data) < total:
    d = s.recv(70000)
    data += d
    sizes.append(len(d))
open(out, 'wb').write(data)
if max(sizes) > 65507:
    sys.exit('a datagram of %d bytes' % max(sizes))
print(' '.join(map(str, sizes)))
PY
python3 "$T/sink.py" "$T/sink.port" 100000 "$T/sink.data" > "$T/sink.out" \
    2>&1 &
spid=$!
PIDS="$PIDS $spid"
poll_until 10 test -s "$T/sink.port" || fail "python3 sink did not start"
"$SOCKIT" udp-client --stdio-frame raw --expect-replies 0 \
    127.0.0.1 "$(cat "$T/sink.port")" < "$T/100k" 2> "$T/sink.err" ||
    fail "udp-client to the sink exited $?: $(cat "$T/sink.err")"
wait_exit "$spid" 15
[ "$RC" = 0 ] || fail "python3 sink: $(cat "$T/sink.out")"
cmp -s "$T/100k" "$T/sink.data" || fail "the sink got other bytes"
[ "$(cat "$T/sink.out")" = "65507 34493" ] ||
    fail "a 100000-byte file went out as datagrams of $(cat "$T/sink.out")"

# 3. As nc -u does: nc.openbsd sends a file as datagrams of 16 KiB (and
#    its -l mode reads no more of a datagram than that), sockit as
#    datagrams of up to 65507 bytes; udp-server --stdio --stdio-frame raw
#    prints the same bytes for both.
if command -v nc.openbsd > /dev/null 2>&1; then
	for who in nc sockit; do
		"$SOCKIT" udp-server 0 --stdio --stdio-frame raw \
		    --port-file "$T/$who.port" < /dev/null > "$T/$who.out" \
		    2> "$T/$who.err" &
		PIDS="$PIDS $!"
		poll_until 10 test -s "$T/$who.port" ||
		    fail "udp-server for $who: $(cat "$T/$who.err")"
	done
	nc.openbsd -u -q 0 127.0.0.1 "$(cat "$T/nc.port")" < "$T/100k" ||
	    fail "nc.openbsd -u exited $?"
	"$SOCKIT" udp-client --stdio-frame raw --expect-replies 0 \
	    127.0.0.1 "$(cat "$T/sockit.port")" < "$T/100k" \
	    2> "$T/sockit-c.err" ||
	    fail "udp-client exited $?: $(cat "$T/sockit-c.err")"
	for who in nc sockit; do
		# shellcheck disable=SC2016
		poll_until 10 sh -c '[ "$(wc -c < "$1")" -ge 100000 ]' sh \
		    "$T/$who.out" ||
		    fail "from $who: $(wc -c < "$T/$who.out") bytes arrived"
		cmp -s "$T/100k" "$T/$who.out" || fail "from $who: other bytes"
	done
else
	echo "note: nc.openbsd missing, not compared" >&2
fi

# 4. udp-server --stdio --stdio-frame raw sends its stdin to the last
#    peer in datagrams of at most 65507 bytes; its stdin is a fifo that
#    delivers up to 64 KiB per read.
mkfifo "$T/in.fifo" || fail "mkfifo"
"$SOCKIT" udp-server 0 --stdio --stdio-frame raw --port-file "$T/s.port" \
    < "$T/in.fifo" > "$T/s.out" 2> "$T/s.err" &
PIDS="$PIDS $!"
exec 3> "$T/in.fifo"
poll_until 10 test -s "$T/s.port" ||
    fail "udp-server --stdio did not start: $(cat "$T/s.err")"
cat > "$T/peer.py" <<'PY'
import socket, sys
port, total, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.settimeout(10)
s.connect(('127.0.0.1', port))
s.send(b'hello')
data, sizes = b'', []
while len(data) < total:
    d = s.recv(70000)
    data += d
    sizes.append(len(d))
open(out, 'wb').write(data)
if max(sizes) > 65507:
    sys.exit('a datagram of %d bytes' % max(sizes))
PY
python3 "$T/peer.py" "$(cat "$T/s.port")" 1000000 "$T/peer.data" \
    > "$T/peer.out" 2>&1 &
ppid=$!
PIDS="$PIDS $ppid"
got_hello() {
	[ "$(cat "$T/s.out")" = hello ]
}
poll_until 10 got_hello || fail "--stdio printed '$(cat "$T/s.out")'"
cat "$T/1m" >&3
wait_exit "$ppid" 20
[ "$RC" = 0 ] || fail "peer of udp-server --stdio: $(cat "$T/peer.out"); \
server: $(cat "$T/s.err")"
cmp -s "$T/1m" "$T/peer.data" || fail "the peer got other bytes"
exec 3>&-

# 5. Over IPv6 a UDP datagram holds 65527 bytes.
if python3 -c 'import socket
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' \
    2> /dev/null; then
	start_server echo6 udp-server -6 0
	head -c 65527 /dev/zero | tr '\0' z > "$T/v6max"
	"$SOCKIT" udp-client ::1 "$echo6_PORT" < "$T/v6max" \
	    > "$T/v6max.out" 2> "$T/v6max.err" ||
	    fail "65527-byte line over IPv6 exited $?: $(cat "$T/v6max.err")"
	[ "$(wc -c < "$T/v6max.out")" -eq 65528 ] ||
	    fail "65527-byte echo came back as $(wc -c < "$T/v6max.out") bytes"
	printf z >> "$T/v6max"
	"$SOCKIT" udp-client ::1 "$echo6_PORT" < "$T/v6max" \
	    > /dev/null 2> "$T/v6big.err"
	rc=$?
	[ "$rc" = 1 ] || fail "65528-byte line over IPv6 exited $rc"
	grep -q '65528 bytes.*65527' "$T/v6big.err" ||
	    fail "unclear error: $(cat "$T/v6big.err")"
	"$SOCKIT" udp-client --stdio-frame raw ::1 "$echo6_PORT" \
	    < "$T/100k" > "$T/v6.out" 2> "$T/v6.err" ||
	    fail "raw over IPv6 exited $?: $(cat "$T/v6.err")"
	cmp -s "$T/100k" "$T/v6.out" || fail "raw over IPv6: other bytes"
else
	echo "note: no IPv6 loopback, 65527-byte datagrams not tried" >&2
fi
exit 0
