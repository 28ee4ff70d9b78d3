#!/bin/sh
# tcp-server --forward HOST:PORT carries bulk data exactly: 64 MiB of
# random bytes go client -> forwarder -> echo backend -> forwarder ->
# client, and 64 MiB from a backend that sends a file reach a client
# whose stdin is /dev/null (it half-closes at once; the forwarder passes
# that on and still relays the whole download).  sha256 both ways, the
# forwarder's closed lines count every byte, and it goes on serving;
# TARGET may also be a host name or [V6]:PORT.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need sha256sum
SIZE=67108864

now_ms() {
	date +%s%3N
}

sha() {
	sha256sum < "$1" | cut -d' ' -f1
}

head -c "$SIZE" /dev/urandom > "$T/in" || fail "cannot make test data"
want=$(sha "$T/in")

# 1. Upload and echo: every byte goes through the forwarder twice.
start_server echo tcp-server 0 -v
start_server fwd tcp-server 0 -v --forward "127.0.0.1:$echo_PORT"
t0=$(now_ms)
sk_out 120 "$T/in" "$T/out" tcp-client 127.0.0.1 "$fwd_PORT"
t1=$(now_ms)
[ "$RC" = 0 ] || fail "echo client exited $RC: $(cat "$T/err")"
[ "$(wc -c < "$T/out")" -eq "$SIZE" ] ||
    fail "echo: got $(wc -c < "$T/out") bytes back, expected $SIZE"
[ "$(sha "$T/out")" = "$want" ] ||
    fail "echo: sha256 of what came back differs from what was sent"
echo "64 MiB up and back through the forwarder: $((t1 - t0)) ms"

# The forwarder counted every byte both ways, and so did the backend.
poll_until 5 grep -q "^closed 127\\.0\\.0\\.1:[0-9]* in=$SIZE out=$SIZE " \
    "$T/fwd.err" || fail "forwarder: no complete closed line: $(cat "$T/fwd.err")"
poll_until 5 grep -q "^closed 127\\.0\\.0\\.1:[0-9]* in=$SIZE out=$SIZE " \
    "$T/echo.err" || fail "backend: no complete closed line: $(cat "$T/echo.err")"
grep -q "^forwarding 127\\.0\\.0\\.1:[0-9]* backend=127\\.0\\.0\\.1:$echo_PORT\$" \
    "$T/fwd.err" || fail "no forwarding line naming the backend: $(cat "$T/fwd.err")"

# 2. Download: the backend sends a file (its own --stdio), the client
#    sends nothing and half-closes at once.
"$SOCKIT" tcp-server 0 --stdio --port-file "$T/dl.port" < "$T/in" \
    2> "$T/dl.err" &
dl_PID=$!
PIDS="$PIDS $dl_PID"
poll_until 10 test -s "$T/dl.port" || fail "--stdio backend did not start"
dl_PORT=$(cat "$T/dl.port")
start_server fwd2 tcp-server 0 -v --forward "127.0.0.1:$dl_PORT"
t0=$(now_ms)
sk_out 120 /dev/null "$T/down" tcp-client 127.0.0.1 "$fwd2_PORT"
t1=$(now_ms)
[ "$RC" = 0 ] || fail "download client exited $RC: $(cat "$T/err")"
[ "$(wc -c < "$T/down")" -eq "$SIZE" ] ||
    fail "download: got $(wc -c < "$T/down") bytes, expected $SIZE"
[ "$(sha "$T/down")" = "$want" ] || fail "download: sha256 differs"
echo "64 MiB download through the forwarder: $((t1 - t0)) ms"
wait_exit "$dl_PID" 10
[ "$RC" = 0 ] || fail "the --stdio backend exited $RC: $(cat "$T/dl.err")"
poll_until 5 grep -q "^closed 127\\.0\\.0\\.1:[0-9]* in=0 out=$SIZE " \
    "$T/fwd2.err" || fail "download: no complete closed line: $(cat "$T/fwd2.err")"

# 3. The first forwarder goes on serving, in the HOST:PORT client form.
head -c 1048576 /dev/urandom > "$T/in2"
sk_out 20 "$T/in2" "$T/out2" tcp-client "127.0.0.1:$fwd_PORT"
[ "$RC" = 0 ] || fail "second client exited $RC: $(cat "$T/err")"
cmp -s "$T/in2" "$T/out2" || fail "second transfer differs"
running "$fwd_PID" || fail "the forwarder died: $(cat "$T/fwd.err")"

# 4. The other TARGET forms: a name, and [V6]:PORT.
start_server byname tcp-server 0 --forward "localhost:$echo_PORT"
sk_out 20 "$T/in2" "$T/out2" tcp-client 127.0.0.1 "$byname_PORT"
[ "$RC" = 0 ] && cmp -s "$T/in2" "$T/out2" ||
    fail "--forward localhost:PORT: client exited $RC: $(cat "$T/err")"
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2> /dev/null; then
	start_server echo6 tcp-server ::1 0
	start_server v6 tcp-server 0 --forward "[::1]:$echo6_PORT"
	sk_out 20 "$T/in2" "$T/out2" tcp-client 127.0.0.1 "$v6_PORT"
	[ "$RC" = 0 ] && cmp -s "$T/in2" "$T/out2" ||
	    fail "--forward [::1]:PORT: client exited $RC: $(cat "$T/err")"
else
	echo "no ::1: --forward [::1]:PORT not checked"
fi
exit 0
