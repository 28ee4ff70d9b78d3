#!/bin/sh
# unix-server echoes over a socket path and over an @abstract name; a
# python3 AF_UNIX client works against it; 64 MiB survive a round trip.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# Via a path.  Readiness is a connection that is accepted: the socket
# file appears at bind(), before listen().
start_unix path "$T/s"
test -S "$T/s" || fail "unix-server did not create $T/s: $(cat "$T/path.err")"
out=$(printf 'hello, unix\n' | "$SOCKIT" unix-client "$T/s") ||
    fail "unix-client exited $?"
[ "$out" = "hello, unix" ] || fail "path echo returned '$out'"
grep -q "^listening on $T/s\$" "$T/path.err" ||
    fail "no listening line: $(cat "$T/path.err")"

# Via an abstract name (no file is created).
abs="@sockit-test-$$"
start_unix abs "$abs"
out=$(printf 'hello, abstract\n' | "$SOCKIT" unix-client "$abs") ||
    fail "unix-client $abs exited $?"
[ "$out" = "hello, abstract" ] || fail "abstract echo returned '$out'"
[ ! -e "sockit-test-$$" ] && [ ! -e "@sockit-test-$$" ] ||
    fail "an abstract name created a file"

# --upper on an abstract name, readiness through --wait-for.
"$SOCKIT" unix-server "$abs-up" --upper 2> "$T/up.err" &
PIDS="$PIDS $!"
out=$(printf 'shout\n' | "$SOCKIT" unix-client --wait-for 10 "$abs-up") ||
    fail "unix-client --wait-for exited $?: $(cat "$T/up.err")"
[ "$out" = "SHOUT" ] || fail "--upper over $abs-up returned '$out'"

# A python3 AF_UNIX SOCK_STREAM client, on the path and the name.
if ! command -v python3 > /dev/null 2>&1; then
	echo "note: python3 missing, its client is not tried" >&2
else
	cat > "$T/client.py" <<'PY'
import socket, sys, threading
addr = sys.argv[1]
if addr.startswith('@'):
    addr = '\0' + addr[1:]
data = bytes(range(256)) * 4096
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(addr)
got = bytearray()
def reader():
    while True:
        b = s.recv(65536)
        if not b:
            break
        got.extend(b)
# Read while writing: the echo server stops reading from a peer that
# does not read its replies.
t = threading.Thread(target=reader, daemon=True)
t.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
t.join(20)
s.close()
if bytes(got) != data:
    sys.exit('python client: got %d bytes of %d' % (len(got), len(data)))
PY
	python3 "$T/client.py" "$T/s" ||
	    fail "python3 client against unix-server $T/s failed"
	python3 "$T/client.py" "$abs" ||
	    fail "python3 client against unix-server $abs failed"
fi

# 64 MiB through unix-client and back, compared by checksum.
head -c 67108864 /dev/urandom > "$T/data" || fail "cannot make test data"
want=$(cksum < "$T/data")
"$SOCKIT" unix-client "$T/s" < "$T/data" > "$T/back" 2> "$T/big.err" &
cpid=$!
PIDS="$PIDS $cpid"
wait_exit "$cpid" 60
[ "$RC" = 0 ] || fail "64 MiB unix-client exited $RC: $(cat "$T/big.err")"
got=$(cksum < "$T/back")
[ "$got" = "$want" ] || fail "64 MiB round trip: cksum '$got', want '$want'"
exit 0
