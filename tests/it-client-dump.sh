#!/bin/sh
# tcp-client and unix-client -o/--output FILE (a raw copy of the bytes
# both ways, in the order they moved) and -x/--hex-dump FILE (the format
# at the top of src/dump.h: a "< PEER OFF+LEN" record header for what
# was received, "> PEER OFF+LEN" for what was sent, then hexdump -C
# lines whose offsets count that direction's stream).  Both files are
# appended to.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# The exchange: the server greets with a 7-byte banner, reads 20 bytes,
# answers 20 bytes and closes.  The client sends only after the banner
# came, so the order is fixed; each piece is one write on loopback, so
# each is one record.
start_server ex tcp-server 0 --banner 'HELLO\r\n' \
    --sh-exec 'head -c 20 > /dev/null; printf abcdefghijklmnopqrst'
peer="127.0.0.1:$ex_PORT"
printf 'HELLO\r\n0123456789ABCDEFGHIJabcdefghijklmnopqrst' > "$T/want.raw"
printf 'HELLO\r\nabcdefghijklmnopqrst' > "$T/want.out"
# The -x file, byte for byte ($peer is the target as given).
cat > "$T/want.hex" <<EOF
< $peer 0+7
00000000  48 45 4c 4c 4f 0d 0a                              |HELLO..|
> $peer 0+20
00000000  30 31 32 33 34 35 36 37  38 39 41 42 43 44 45 46  |0123456789ABCDEF|
00000010  47 48 49 4a                                       |GHIJ|
< $peer 7+20
00000007  61 62 63 64 65 66 67 68  69 6a 6b 6c 6d 6e 6f 70  |abcdefghijklmnop|
00000017  71 72 73 74                                       |qrst|
EOF
has_bytes() {
	[ -e "$1" ] && [ "$(wc -c < "$1")" -ge "$2" ]
}
# check_dumps WHAT RAW HEX: compares with the expected files.
check_dumps() {
	cmp -s "$T/want.raw" "$2" || fail "$1: -o file:
$(od -c "$2")
expected:
$(od -c "$T/want.raw")"
	cmp -s "$T/want.hex" "$3" || fail "$1: -x file:
$(cat "$3")
expected:
$(cat "$T/want.hex")"
}

# 1. Relaying stdin: a FIFO written to once the banner is in.
mkfifo "$T/in" || fail "mkfifo"
"$SOCKIT" tcp-client -o "$T/r1" -x "$T/h1" 127.0.0.1 "$ex_PORT" \
    < "$T/in" > "$T/out1" 2> "$T/err1" &
pid=$!
PIDS="$PIDS $pid"
exec 8> "$T/in"
poll_until 10 has_bytes "$T/out1" 7 || fail "relay: no banner: $(cat "$T/err1")"
printf 0123456789ABCDEFGHIJ >&8
poll_until 10 has_bytes "$T/out1" 27 || fail "relay: no answer: $(cat "$T/err1")"
exec 8>&-
wait_exit "$pid" 10
[ "$RC" = 0 ] || fail "relay with -o/-x: exited $RC: $(cat "$T/err1")"
cmp -s "$T/want.out" "$T/out1" || fail "relay with -o/-x: printed $(od -c "$T/out1")"
check_dumps "relay" "$T/r1" "$T/h1"

# 2. The same exchange as a script, long option names.
sk 10 /dev/null tcp-client --output "$T/r2" --hex-dump "$T/h2" 127.0.0.1 \
    "$ex_PORT" --expect 'HELLO\r\n' --send 0123456789ABCDEFGHIJ \
    --expect qrst --timeout 5
[ "$RC" = 0 ] || fail "script with -o/-x: exited $RC: $(cat "$T/err")"
check_dumps "script" "$T/r2" "$T/h2"

# 3. Appended: a second session adds to the files, nothing is lost.
sk 10 /dev/null tcp-client -o "$T/r2" -x "$T/h2" 127.0.0.1 "$ex_PORT" \
    --expect 'HELLO\r\n' --send 0123456789ABCDEFGHIJ --expect qrst \
    --timeout 5
[ "$RC" = 0 ] || fail "second session: exited $RC: $(cat "$T/err")"
cat "$T/want.raw" "$T/want.raw" > "$T/want2.raw"
cat "$T/want.hex" "$T/want.hex" > "$T/want2.hex"
cmp -s "$T/want2.raw" "$T/r2" || fail "-o does not append: $(od -c "$T/r2" | head)"
cmp -s "$T/want2.hex" "$T/h2" || fail "-x does not append: $(cat "$T/h2")"

# 4. Every byte value: the lines of a 256-byte record are what
#    hexdump -C prints for the same bytes.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' > "$T/all" ||
    fail "cannot make the 256-byte file"
start_server all tcp-server 0 --sh-exec "cat $T/all"
sk 10 /dev/null tcp-client -x "$T/h4" 127.0.0.1 "$all_PORT"
[ "$RC" = 0 ] || fail "256 bytes: exited $RC: $(cat "$T/err")"
cmp -s "$T/all" "$T/out" || fail "256 bytes: stdout differs"
{
	echo "< 127.0.0.1:$all_PORT 0+256"
	if command -v hexdump > /dev/null 2>&1; then
		hexdump -C "$T/all" | sed '$d'
	else
		# The 16 lines hexdump -C prints, built by python3.
		python3 - "$T/all" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
for o in range(0, len(d), 16):
    c = d[o:o + 16]
    h = ' '.join('%02x' % b for b in c[:8]) + '  ' + ' '.join('%02x' % b for b in c[8:])
    print('%08x  %-49s |%s|' % (o, h, ''.join(chr(b) if 32 <= b < 127 else '.' for b in c)))
PY
	fi
} > "$T/want4"
cmp -s "$T/want4" "$T/h4" || fail "-x of bytes 0-255:
$(cat "$T/h4")
expected:
$(cat "$T/want4")"

# 5. With --sh-exec, the dumps hold the connection's bytes both ways.
sk 10 /dev/null tcp-client -o "$T/r5" 127.0.0.1 "$ex_PORT" --sh-exec \
    "head -c 7 > /dev/null; printf 0123456789ABCDEFGHIJ; cat > /dev/null"
[ "$RC" = 0 ] || fail "--sh-exec with -o: exited $RC: $(cat "$T/err")"
cmp -s "$T/want.raw" "$T/r5" || fail "--sh-exec with -o: $(od -c "$T/r5")"

# 6. unix-client: the peer is the path.
start_unix u "$T/u.sock" --banner 'unix\n'
sk 10 /dev/null unix-client -x "$T/h6" -o "$T/r6" "$T/u.sock"
[ "$RC" = 0 ] || fail "unix-client -x: exited $RC: $(cat "$T/err")"
cat > "$T/want6" <<EOF
< $T/u.sock 0+5
00000000  75 6e 69 78 0a                                    |unix.|
EOF
cmp -s "$T/want6" "$T/h6" || fail "unix-client -x:
$(cat "$T/h6")
expected:
$(cat "$T/want6")"
[ "$(cat "$T/r6")" = unix ] || fail "unix-client -o: '$(cat "$T/r6")'"

# 7. A dump file that cannot be opened is a usage error.
sk 10 /dev/null tcp-client -o "$T/no/such/dir/file" 127.0.0.1 "$ex_PORT"
[ "$RC" = 2 ] || fail "-o into a missing directory: exited $RC, expected 2"
# The message names the option as typed and the file.
grep -q -- "-o: $T/no/such/dir/file: " "$T/err" ||
    fail "-o into a missing directory: $(cat "$T/err")"
exit 0
