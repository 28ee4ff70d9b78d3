#!/bin/sh
# Server traffic dumps: -o FILE gets every byte both ways, -x FILE a hex
# dump whose records name the peer, the direction ('<' from the peer,
# '>' to it) and the offset in that direction (format: src/dump.h and
# sockit(1)); several connections' records stay apart.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

start_server up tcp-server 0 --upper -o "$T/raw" -x "$T/hex"
python3 - "$up_PORT" "$T/peers" <<'PY' || fail "dump client"
import socket, sys
port, peers = int(sys.argv[1]), []
for text in (b'hello\n', b'0123456789abcdefXYZ\n'):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.settimeout(10)
    peers.append('127.0.0.1:%d' % s.getsockname()[1])
    s.sendall(text)
    s.shutdown(socket.SHUT_WR)
    got = b''
    while True:
        b = s.recv(1024)
        if not b:
            break
        got += b
    assert got == text.upper(), got
    s.close()
open(sys.argv[2], 'w').write('\n'.join(peers) + '\n')
PY
p1=$(sed -n 1p "$T/peers")
p2=$(sed -n 2p "$T/peers")
poll_until 10 grep -q "^> $p2 " "$T/hex" || fail "no record for $p2"
printf 'hello\nHELLO\n0123456789abcdefXYZ\n0123456789ABCDEFXYZ\n' |
    cmp -s - "$T/raw" || fail "-o holds $(od -c "$T/raw" | head -5)"
cat > "$T/want" <<EOF2
< $p1 0+6
00000000  68 65 6c 6c 6f 0a                                 |hello.|
> $p1 0+6
00000000  48 45 4c 4c 4f 0a                                 |HELLO.|
< $p2 0+20
00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|
00000010  58 59 5a 0a                                       |XYZ.|
> $p2 0+20
00000000  30 31 32 33 34 35 36 37  38 39 41 42 43 44 45 46  |0123456789ABCDEF|
00000010  58 59 5a 0a                                       |XYZ.|
EOF2
cmp -s "$T/want" "$T/hex" ||
    fail "-x differs: $(diff "$T/want" "$T/hex")"
# The hex lines are hexdump -C's own.
if command -v hexdump >/dev/null 2>&1; then
	printf '0123456789abcdefXYZ\n' | hexdump -C | head -2 > "$T/hd"
	sed -n 6,7p "$T/hex" | cmp -s "$T/hd" - ||
	    fail "-x lines differ from hexdump -C: $(cat "$T/hd")"
fi
exit 0
