#!/bin/sh
# --allow / --deny: a denied peer is closed before any byte is exchanged
# and logged; deny wins over allow; an allowed peer is served.
# --allow-file / --deny-file read CIDRs from files, for TCP and UDP.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# peer.py PORT admitted|denied: an admitted client gets the banner and its
# echo; a denied one gets EOF or a reset and no byte at all.
cat > "$T/peer.py" <<'PY'
import socket, sys
port, want = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(('127.0.0.1', port), timeout=10)
s.settimeout(10)
got = b''
try:
    try:
        s.sendall(b'ping\n')
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    while True:
        b = s.recv(1024)
        if not b:
            break
        got += b
except (ConnectionResetError, BrokenPipeError):
    pass
if want == 'admitted' and got != b'hi\nping\n':
    sys.exit('admitted client got %r' % got)
if want == 'denied' and got != b'':
    sys.exit('denied client got %r' % got)
PY

# acl NAME VERDICT ACL-OPTIONS...: one server, one client, the verdict
# checked on the wire and in the log.
acl() {
	n=$1 v=$2
	shift 2
	start_server "$n" tcp-server 0 --banner 'hi\n' --echo "$@"
	python3 "$T/peer.py" "$(cat "$T/$n.port")" "$v" ||
	    fail "$*: the client was not $v"
	if [ "$v" = denied ]; then
		poll_until 5 grep -q '^denied 127\.0\.0\.1:[0-9]' "$T/$n.err" ||
		    fail "$*: no denied line in the log: $(cat "$T/$n.err")"
	else
		! grep -q denied "$T/$n.err" ||
		    fail "$*: admitted client logged as denied"
	fi
}

acl a1 denied --allow 10.0.0.0/8
acl a2 denied --deny 127.0.0.0/8 --allow 0.0.0.0/0
acl a3 denied --allow 127.0.0.1/32 --deny 127.0.0.1/32
acl a4 admitted --allow 127.0.0.0/8
acl a5 admitted --allow 10.0.0.0/8 --allow 127.0.0.1/32
acl a6 admitted --deny 10.0.0.0/8

# A denied peer does not stop the server: it still serves others.
kill -0 "$a1_PID" 2>/dev/null || fail "server died after denying a peer"

# --allow-file / --deny-file: one CIDR per line; comments (whole lines
# and after a CIDR), blank lines, indentation and CRLF line ends are
# fine; the files add to --allow/--deny.
printf '# peers we serve\n\n  10.0.0.0/8\t# lab\r\n127.0.0.0/8\n' > "$T/allow"
printf '# none of these\n10.1.0.0/16\n' > "$T/deny"
printf '127.0.0.1/32 # this host\n' > "$T/deny-local"
acl f1 admitted --allow-file "$T/allow"
acl f2 admitted --allow-file "$T/allow" --deny-file "$T/deny"
acl f3 denied --allow-file "$T/allow" --deny-file "$T/deny-local"
acl f4 denied --allow 10.0.0.0/8 --deny-file /dev/null
acl f5 admitted --allow 10.0.0.0/8 --allow-file "$T/allow"

# A bad line names the file and the line; a missing file is named too.
printf '127.0.0.0/8\n\nnot-a-cidr\n' > "$T/bad"
for opt in --allow-file --deny-file; do
	"$SOCKIT" tcp-server 0 "$opt" "$T/bad" > /dev/null 2> "$T/err" &
	w=$!
	PIDS="$PIDS $w"
	wait_exit "$w" 10
	[ "$RC" = 2 ] || fail "$opt with a bad line exited $RC"
	grep -qF "$T/bad:3: " "$T/err" ||
	    fail "$opt with a bad line said: $(cat "$T/err")"
	"$SOCKIT" tcp-server 0 "$opt" "$T/missing" > /dev/null 2> "$T/err" &
	w=$!
	PIDS="$PIDS $w"
	wait_exit "$w" 10
	[ "$RC" = 2 ] && grep -qF "$T/missing: No such file" "$T/err" ||
	    fail "$opt with a missing file: exit $RC: $(cat "$T/err")"
done

# udp-server takes the same files: a denied sender gets no answer.
start_server ua udp-server 0 --allow-file "$T/allow"
start_server ud udp-server 0 --allow-file "$T/allow" --deny-file "$T/deny-local"
printf 'hello\n' > "$T/dgram"
expect_rc 0 "$SOCKIT" udp-client --reply-timeout 5 127.0.0.1 "$ua_PORT" \
    < "$T/dgram" > "$T/uout"
[ "$(cat "$T/uout")" = hello ] || fail "allowed sender got '$(cat "$T/uout")'"
expect_rc 6 "$SOCKIT" udp-client --reply-timeout 1 127.0.0.1 "$ud_PORT" \
    < "$T/dgram" > "$T/uout" 2> /dev/null
[ -s "$T/uout" ] && fail "denied sender got '$(cat "$T/uout")'"
exit 0
