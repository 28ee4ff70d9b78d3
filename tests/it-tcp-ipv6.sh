#!/bin/sh
# IPv6: -6 listens on ::1, [V6ADDR]:PORT on both sides, -b :: is
# dual-stack (IPv4 clients arrive as v4-mapped peers, and the IPv4 ACL
# still applies to them).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3
python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))' 2>/dev/null || skip "::1 is not available"

printf 'over v6\n' > "$T/msg"

# echo_ok WHAT ARGS...: tcp-client ARGS echoes the message back.
echo_ok() {
	what=$1
	shift
	sk 10 "$T/msg" tcp-client "$@"
	[ "$RC" = 0 ] || fail "$what: client exited $RC: $(cat "$T/err")"
	cmp -s "$T/msg" "$T/out" || fail "$what: got '$(cat "$T/out")'"
}

# -6: the default bind address is ::1.
start_server v6 tcp-server -6 0 -v
grep -q "^listening on \[::1\]:$v6_PORT\$" "$T/v6.err" ||
    fail "-6: $(cat "$T/v6.err")"
echo_ok "-6 ::1 PORT" -6 ::1 "$v6_PORT"
echo_ok "[::1]:PORT" "[::1]:$v6_PORT"
echo_ok "::1 PORT" ::1 "$v6_PORT"
poll_until 5 grep -q '^accepted \[::1\]:[0-9]' "$T/v6.err" ||
    fail "-6: no [::1] peer logged: $(cat "$T/v6.err")"
# A v6-only server is not reachable over IPv4.
sk 10 "$T/msg" tcp-client 127.0.0.1 "$v6_PORT"
[ "$RC" = 3 ] || fail "127.0.0.1 to a ::1 server exited $RC, expected 3"

# [V6ADDR]:PORT on the server side.
start_server br tcp-server '[::1]:0'
grep -q "^listening on \[::1\]:$br_PORT\$" "$T/br.err" ||
    fail "[::1]:0: $(cat "$T/br.err")"
echo_ok "[::1]:0 server" "[::1]:$br_PORT"

# -b :: is dual-stack: both a 127.0.0.1 and a ::1 client reach it.
start_server ds tcp-server -b :: 0
echo_ok "-b :: from 127.0.0.1" 127.0.0.1 "$ds_PORT"
echo_ok "-b :: from ::1" ::1 "$ds_PORT"

# The SOCKIT_PEER of a v6 client, as the client sees itself.
start_server pe tcp-server -6 0 --sh-exec 'echo "$SOCKIT_PEER"'
python3 - "$pe_PORT" <<'PY' || fail "SOCKIT_PEER over IPv6"
import socket, sys
s = socket.create_connection(('::1', int(sys.argv[1])), timeout=10)
s.settimeout(10)
got = b''
while True:
    b = s.recv(1024)
    if not b:
        break
    got += b
want = '[::1]:%d\n' % s.getsockname()[1]
if got.decode() != want:
    sys.exit('SOCKIT_PEER: got %r, expected %r' % (got, want))
PY

# IPv4 CIDRs match v4-mapped peers of a dual-stack server; v6 CIDRs
# match v6 peers.
start_server acl tcp-server -b :: 0 --allow 127.0.0.0/8 --banner 'ok\n'
sk 10 /dev/null tcp-client 127.0.0.1 "$acl_PORT"
[ "$(cat "$T/out")" = ok ] || fail "--allow 127.0.0.0/8 on -b :: refused \
a 127.0.0.1 client: $(cat "$T/acl.err")"
sk 10 /dev/null tcp-client ::1 "$acl_PORT"
[ ! -s "$T/out" ] || fail "--allow 127.0.0.0/8 admitted ::1"
poll_until 5 grep -q '^denied \[::1\]:' "$T/acl.err" ||
    fail "no denied line for ::1: $(cat "$T/acl.err")"
start_server acl6 tcp-server -6 0 --deny ::1/128 --banner 'ok\n'
sk 10 /dev/null tcp-client ::1 "$acl6_PORT"
[ ! -s "$T/out" ] || fail "--deny ::1/128 admitted ::1"
exit 0
