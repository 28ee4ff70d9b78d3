#!/bin/sh
# -z over lists and ranges: every port checked, a bounded number at a
# time, each open one printed as "HOST PORT open" in list order; exit 0
# when any accepted (nc's rule), 3 when all were refused; with
# --wait-for, 0 only once every listed port accepts.  udp-client -z: a
# port that answers with ICMP port unreachable is closed (exit 3).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

start_server a tcp-server 0
start_server b tcp-server 0
start_server c tcp-server 0

# 1000 ports around b's, with a's and c's at the ends; 3 listen.
lo=$((b_PORT - 499))
[ "$lo" -gt 1024 ] || lo=1025
list="$a_PORT,$lo-$((lo + 997)),$c_PORT"
# The oracle: the ports of the list that accept a python3 connect
# (ours, and whatever else on this machine listens in that range), run
# before and after the scan, since servers of other tests come and go
# meanwhile.  A connect that reached itself (an ephemeral source port
# equal to the closed target port) is not a listener.
oracle() {
	python3 - "$a_PORT" "$lo" $((lo + 997)) "$c_PORT" <<'PY'
import socket, sys
a, lo, hi, c = (int(x) for x in sys.argv[1:])
for p in [a] + list(range(lo, hi + 1)) + [c]:
    s = socket.socket()
    s.settimeout(2)
    if s.connect_ex(('127.0.0.1', p)) == 0 and \
            s.getsockname() != s.getpeername():
        print('127.0.0.1 %d open' % p)
    s.close()
PY
}
before=$(oracle)
for p in "$a_PORT" "$b_PORT" "$c_PORT"; do
	printf '%s\n' "$before" | grep -qx "127.0.0.1 $p open" ||
	    fail "the oracle does not see our server on $p"
done
t0=$(date +%s%N)
"$SOCKIT" tcp-client -z 127.0.0.1 "$list" > "$T/out" 2> "$T/err"
rc=$?
t1=$(date +%s%N)
after=$(oracle)
echo "1000 ports in $(( (t1 - t0) / 1000000 )) ms"
[ "$rc" = 0 ] || fail "-z over 1000 ports exited $rc: $(cat "$T/err")"
# Every port open both times is printed; nothing printed was closed
# both times (a port the list names twice is printed twice); the order
# is the list's.
printf '%s\n' "$before" > "$T/before"
printf '%s\n' "$after" > "$T/after"
grep -Fxf "$T/after" "$T/before" > "$T/both" || :
while IFS= read -r line; do
	grep -qxF "$line" "$T/out" || fail "-z missed '$line': $(cat "$T/out")"
done < "$T/both"
while IFS= read -r line; do
	grep -qxF "$line" "$T/before" || grep -qxF "$line" "$T/after" ||
	    fail "-z printed '$line', closed before and after the scan"
done < "$T/out"
sed 's/^127\.0\.0\.1 \([0-9]*\) open$/\1/' "$T/out" > "$T/ports"
[ "$(head -n 1 "$T/ports")" = "$a_PORT" ] ||
    fail "-z did not print the list's first port first: $(cat "$T/out")"
[ "$(tail -n 1 "$T/ports")" = "$c_PORT" ] ||
    fail "-z did not print the list's last port last: $(cat "$T/out")"
sed -n '2,$p' "$T/ports" | sed '$d' > "$T/mid"
sort -n "$T/mid" | cmp -s - "$T/mid" ||
    fail "-z printed the range out of order: $(cat "$T/out")"

# A connect from the target port itself reaches its own socket (TCP
# simultaneous open): nobody listens there, so the port is closed.
self=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_rc 3 "$SOCKIT" tcp-client -z -s 127.0.0.1 -p "$self" 127.0.0.1 "$self"
expect_rc 3 "$SOCKIT" tcp-client -s 127.0.0.1 -p "$self" 127.0.0.1 "$self" \
    < /dev/null 2>/dev/null

# Nothing listening: exit 3, nothing printed.
"$SOCKIT" tcp-client -z 127.0.0.1 "1,3-5" > "$T/out" 2> "$T/err"
rc=$?
[ "$rc" = 3 ] || fail "-z over closed ports exited $rc"
[ -s "$T/out" ] && fail "-z over closed ports printed $(cat "$T/out")"

# One port: no output, the status tells.
expect_rc 0 "$SOCKIT" tcp-client -z 127.0.0.1 "$b_PORT"

# Bad lists are usage errors.
expect_rc 2 "$SOCKIT" tcp-client -z 127.0.0.1 "80,,81" 2>/dev/null
expect_rc 2 "$SOCKIT" tcp-client -z 127.0.0.1 "90-80" 2>/dev/null
# A list is scanned with plain connects: with --proxy or --tls (which
# check one port through the proxy or with a handshake) it is refused,
# never silently scanned direct.
"$SOCKIT" tcp-client -z --proxy "127.0.0.1:$a_PORT" 127.0.0.1 \
    "$b_PORT,$c_PORT" > "$T/out" 2> "$T/err"
rc=$?
[ "$rc" = 2 ] && grep -q -- '--proxy takes one port' "$T/err" ||
    fail "-z list with --proxy: exit $rc: $(cat "$T/err")"
[ -s "$T/out" ] && fail "-z list with --proxy printed $(cat "$T/out")"
expect_rc 2 "$SOCKIT" tcp-client -z --tls 127.0.0.1 "$b_PORT,$c_PORT" \
    2>/dev/null

# --wait-for: a port that is closed now and opens later counts only
# once it accepts; the scan waits for it (bounded by --wait-for 10).
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SOCKIT" tcp-client -z --wait-for 10 127.0.0.1 "$b_PORT,$free_port" \
    > "$T/wout" 2> "$T/werr" &
w=$!
PIDS="$PIDS $w"
"$SOCKIT" tcp-server "$free_port" 2> "$T/late.err" &
PIDS="$PIDS $!"
wait_exit "$w" 15
[ "$RC" = 0 ] || fail "--wait-for scan exited $RC: $(cat "$T/werr")"
[ "$(cat "$T/wout")" = "127.0.0.1 $b_PORT open
127.0.0.1 $free_port open" ] || fail "--wait-for scan printed $(cat "$T/wout")"

# UDP: an answering server is open; nobody there is refused (exit 3).
start_server u udp-server 0
expect_rc 0 "$SOCKIT" udp-client -z 127.0.0.1 "$u_PORT"
closed=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_rc 3 "$SOCKIT" udp-client -z 127.0.0.1 "$closed"
"$SOCKIT" udp-client -z 127.0.0.1 "$closed,$u_PORT" > "$T/uout" 2>/dev/null ||
    fail "udp -z over a list exited $?"
[ "$(cat "$T/uout")" = "127.0.0.1 $u_PORT open" ] ||
    fail "udp -z printed $(cat "$T/uout")"
exit 0
