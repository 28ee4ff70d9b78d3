#!/bin/sh
# udp-client errors have clear messages and distinct exit codes: a message
# over the 65507-byte UDP maximum (1), nobody on the port (3), a bad
# address (2).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server echo udp-server 0

# A 70000-byte line (with or without its newline) is not sent: exit 1 and
# a message naming the size and the limit.  Nothing comes back.
head -c 70000 /dev/zero | tr '\0' x > "$T/big"
cp "$T/big" "$T/bignl" && echo >> "$T/bignl"
for f in big bignl; do
	"$SOCKIT" udp-client 127.0.0.1 "$echo_PORT" < "$T/$f" \
	    > "$T/$f.out" 2> "$T/$f.err"
	rc=$?
	[ "$rc" = 1 ] || fail "70000-byte message ($f) exited $rc, expected 1: \
$(cat "$T/$f.err")"
	grep -q '70000 bytes.*65507' "$T/$f.err" ||
	    fail "unclear error for a 70000-byte message: $(cat "$T/$f.err")"
	[ ! -s "$T/$f.out" ] || fail "a reply came back for an unsent message"
done
# The largest datagram, 65507 bytes, still goes through.
head -c 65507 /dev/zero | tr '\0' y > "$T/max"
"$SOCKIT" udp-client --expect-replies 1 127.0.0.1 "$echo_PORT" \
    < "$T/max" > "$T/max.out" 2> "$T/max.err" ||
    fail "65507-byte message exited $?: $(cat "$T/max.err")"
[ "$(wc -c < "$T/max.out")" -eq 65508 ] ||
    fail "65507-byte echo came back as $(wc -c < "$T/max.out") bytes"

# A port nobody listens on: bind a UDP socket, note its port, close it.
port=$(python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()') || fail "python3 could not pick a port"
printf 'anyone there?\n' > "$T/q"
"$SOCKIT" udp-client 127.0.0.1 "$port" < "$T/q" > /dev/null 2> "$T/refused.err"
rc=$?
[ "$rc" = 3 ] || fail "udp-client to a closed port exited $rc, expected 3: \
$(cat "$T/refused.err")"
grep -q 'Connection refused' "$T/refused.err" ||
    fail "no 'Connection refused': $(cat "$T/refused.err")"

# Bad addresses are usage errors.
for addr in "127.0.0.1 70000" "127.0.0.1 abc" "127.0.0.1" "[::1 9" \
    "127.0.0.1:-1"; do
	# shellcheck disable=SC2086
	"$SOCKIT" udp-client $addr < /dev/null > /dev/null 2> "$T/bad.err"
	rc=$?
	[ "$rc" = 2 ] || fail "udp-client $addr exited $rc, expected 2: \
$(cat "$T/bad.err")"
	[ -s "$T/bad.err" ] || fail "udp-client $addr: no error message"
done
exit 0
