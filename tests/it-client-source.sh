#!/bin/sh
# tcp-client -s/--source ADDR and -p/--source-port PORT: the server sees
# that source address and port (a python3 server reporting getpeername);
# a source of the wrong family fails cleanly, before anything connects.
# --keepalive arms the keepalive timer on the client's socket (as
# /proc/net/tcp shows it), and --nodelay connections work.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# A server that answers each connection with the peer's "HOST PORT" and
# closes; it counts connections in $T/peer.count.
cat > "$T/peer.py" <<'PY'
import os, socket, sys
portfile, countfile = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(16)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
n = 0
while True:
    c, peer = s.accept()
    n += 1
    with open(countfile, 'w') as f:
        f.write('%d\n' % n)
    c.sendall(('%s %d\n' % peer).encode())
    c.close()
PY
python3 "$T/peer.py" "$T/peer.port" "$T/peer.count" 2> "$T/peer.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/peer.port" || fail "peer server did not start: $(cat "$T/peer.err")"
peer_PORT=$(cat "$T/peer.port")

# free_port ADDR: a port free on ADDR right now.
free_port() {
	python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

# 1. -s and -p together, short and long forms.
sp=$(free_port 127.0.0.2)
sk 10 /dev/null tcp-client -s 127.0.0.2 -p "$sp" 127.0.0.1 "$peer_PORT"
[ "$RC" = 0 ] || fail "-s 127.0.0.2 -p $sp: exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "127.0.0.2 $sp" ] ||
    fail "-s 127.0.0.2 -p $sp: the server saw '$(cat "$T/out")'"
sp=$(free_port 127.0.0.3)
sk 10 /dev/null tcp-client --source 127.0.0.3 --source-port "$sp" \
    127.0.0.1 "$peer_PORT"
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "127.0.0.3 $sp" ] ||
    fail "--source 127.0.0.3 --source-port $sp: exited $RC, the server saw '$(cat "$T/out")'"

# 2. Each alone: -s picks the address (any port), -p the port (the
#    address the route gives).
sk 10 /dev/null tcp-client -s 127.0.0.2 127.0.0.1 "$peer_PORT"
[ "$RC" = 0 ] || fail "-s alone: exited $RC: $(cat "$T/err")"
case $(cat "$T/out") in
"127.0.0.2 "[0-9]*) ;;
*) fail "-s 127.0.0.2 alone: the server saw '$(cat "$T/out")'" ;;
esac
sp=$(free_port 127.0.0.1)
sk 10 /dev/null tcp-client -p "$sp" 127.0.0.1 "$peer_PORT"
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "127.0.0.1 $sp" ] ||
    fail "-p $sp alone: exited $RC, the server saw '$(cat "$T/out")'"

# 3. A source of the other family: a one-line error, non-zero, and no
#    connection reaches the server.
before=$(cat "$T/peer.count")
sk 10 /dev/null tcp-client -s ::1 127.0.0.1 "$peer_PORT"
[ "$RC" != 0 ] || fail "-s ::1 to an IPv4 target: exited 0"
[ "$RC" -lt 128 ] || fail "-s ::1 to an IPv4 target: killed ($RC)"
[ "$(wc -l < "$T/err")" = 1 ] || fail "-s ::1: not one line: $(cat "$T/err")"
grep -q "^sockit: tcp-client: " "$T/err" || fail "-s ::1: message: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "-s ::1: printed '$(cat "$T/out")'"
[ "$(cat "$T/peer.count")" = "$before" ] || fail "-s ::1: a connection reached the server"
if [ -r /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
	start_server six tcp-server -6 0
	sk 10 /dev/null tcp-client -s 127.0.0.2 ::1 "$six_PORT"
	[ "$RC" != 0 ] && [ "$RC" -lt 128 ] ||
	    fail "-s 127.0.0.2 to an IPv6 target: exited $RC"
	[ "$(wc -l < "$T/err")" = 1 ] || fail "-s 127.0.0.2 to ::1: $(cat "$T/err")"
fi

# 4. --keepalive: the client's socket (found by its -p port) has the
#    keepalive timer running (timer_active 2 in /proc/net/tcp); without
#    it, no timer.  stdin is a FIFO held open by a silent writer, so the
#    connection stays up while it is looked at.
start_server echo tcp-server 0
mkfifo "$T/in" || fail "mkfifo"
# timer_of PORT: timer_active of the established socket with local port
# PORT (hex in /proc/net/tcp), empty while there is none.
timer_of() {
	awk -v p="$(printf ':%04X' "$1")" \
	    'substr($2, length($2) - 4) == p && $4 == "01" { split($6, t, ":"); print t[1] }' \
	    /proc/net/tcp
}
established() {
	[ -n "$(timer_of "$1")" ]
}
for ka in --keepalive ""; do
	(exec sleep 60) > "$T/in" &
	holder=$!
	PIDS="$PIDS $holder"
	sp=$(free_port 127.0.0.1)
	# shellcheck disable=SC2086
	"$SOCKIT" tcp-client $ka -p "$sp" 127.0.0.1 "$echo_PORT" < "$T/in" \
	    > "$T/ka.out" 2> "$T/ka.err" &
	pid=$!
	PIDS="$PIDS $pid"
	poll_until 10 established "$sp" ||
	    fail "tcp-client ${ka:-without --keepalive} -p $sp: not connected: $(cat "$T/ka.err")"
	t=$(timer_of "$sp")
	if [ -n "$ka" ]; then
		[ "$t" = 02 ] || fail "--keepalive: timer_active is $t, expected 02 (keepalive)"
	else
		[ "$t" = 00 ] || fail "without --keepalive: timer_active is $t, expected 00"
	fi
	kill "$holder"
	wait_exit "$pid" 10
	[ "$RC" = 0 ] || fail "tcp-client $ka: exited $RC: $(cat "$T/ka.err")"
done

# 5. --nodelay (not visible from outside): the connection works.
printf 'nodelay\n' > "$T/nd"
sk 10 "$T/nd" tcp-client --nodelay --keepalive 127.0.0.1 "$echo_PORT"
[ "$RC" = 0 ] && cmp -s "$T/nd" "$T/out" ||
    fail "--nodelay: exited $RC, printed '$(cat "$T/out")'"
exit 0
