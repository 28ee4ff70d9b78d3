#!/bin/sh
# ALPN (--tls-alpn LIST, SPEC 9): the client offers its list, the server
# picks the first of its own list that the client offers.  Negotiated
# both ways between sockit client and server, against openssl s_server
# -alpn and from openssl s_client -alpn; the result is in the -v "tls"
# lines of both sides and in SOCKIT_TLS_ALPN.  No protocol in common is
# a refused handshake, said in words on both sides; a client offering
# none, or a server accepting none, goes on without ALPN.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
tls_fixtures
srv="--tls-cert $TLS/server.pem --tls-key $TLS/server.key"
ca="--tls-ca $TLS/ca.pem"

# shellcheck disable=SC2086
start_server a tcp-server 0 -v --tls $srv --tls-alpn h2,http/1.1 \
    --sh-exec 'echo "alpn=$SOCKIT_TLS_ALPN"'

# alpn OFFER WANT: sockit client offering OFFER (empty: none) gets
# WANT (empty: none) from the server.
alpn() {
	offer=$1 want=$2
	# shellcheck disable=SC2086
	sk 10 /dev/null -v tcp-client --tls $ca ${offer:+--tls-alpn "$offer"} \
	    localhost "$a_PORT"
	[ "$RC" = 0 ] || { bad "offer '$offer': exit $RC: $(cat "$T/err")"; return; }
	[ "$(cat "$T/out")" = "alpn=$want" ] ||
	    bad "offer '$offer': the program saw '$(cat "$T/out")', expected alpn=$want"
	if [ -n "$want" ]; then
		grep -q "^tls localhost:$a_PORT: TLSv1\\.[23] sha256:[0-9a-f]* alpn=$want$" \
		    "$T/err" || bad "offer '$offer': client log: $(cat "$T/err")"
	else
		grep -q 'alpn=' "$T/err" && bad "offer '$offer': client log: $(cat "$T/err")"
	fi
}
alpn "http/1.1,h2" h2
alpn "http/1.1" http/1.1
alpn "spdy/1,http/1.1" http/1.1
alpn "" ""
poll_until 5 grep -q "^tls 127\\.0\\.0\\.1:[0-9]* version=TLSv1\\.3 alpn=h2 sni=localhost$" \
    "$T/a.err" || bad "server log: $(cat "$T/a.err")"

# Nothing in common: refused.
sk 10 /dev/null tcp-client --tls $ca --tls-alpn spdy/1,foo localhost "$a_PORT"
[ "$RC" = 1 ] || bad "no common protocol: exit $RC, expected 1: $(cat "$T/err")"
grep -q 'ALPN: the server accepts none of the protocols offered' "$T/err" ||
    bad "no common protocol: client said '$(cat "$T/err")'"
poll_until 5 grep -qF 'TLS handshake: ALPN: no protocol in common (the client offered spdy/1, foo)' \
    "$T/a.err" || bad "no common protocol: server log: $(cat "$T/a.err")"

# A server without --tls-alpn ignores the client's offer.
# shellcheck disable=SC2086
start_server plain tcp-server 0 --tls $srv --sh-exec 'echo "alpn=$SOCKIT_TLS_ALPN"'
sk 10 /dev/null tcp-client --tls $ca --tls-alpn h2 localhost "$plain_PORT"
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "alpn=" ] ||
    bad "ALPN offered to a server without: exit $RC, '$(cat "$T/out")' $(cat "$T/err")"

# openssl s_client -alpn against the sockit server.
openssl s_client -connect "127.0.0.1:$a_PORT" -alpn foo,http/1.1 -ign_eof \
    < /dev/null > "$T/sc.out" 2> "$T/sc.err" &
scpid=$!
PIDS="$PIDS $scpid"
wait_exit "$scpid" 10
grep -q '^ALPN protocol: http/1.1$' "$T/sc.out" ||
    bad "s_client -alpn: $(grep -i alpn "$T/sc.out") $(cat "$T/sc.err")"
grep -q '^alpn=http/1.1$' "$T/sc.out" || bad "s_client: program saw $(grep alpn= "$T/sc.out")"

# sockit client against openssl s_server -alpn -rev, a server answering
# each line reversed (its port from its ACCEPT line).
s_port() {
	sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/ss.out" 2> /dev/null
}
has_s_port() {
	[ -n "$(s_port)" ]
}
mkfifo "$T/ss.fifo"
# shellcheck disable=SC2086
openssl s_server -accept 127.0.0.1:0 -cert "$TLS/server.pem" -key "$TLS/server.key" \
    -alpn x-proto,y-proto -rev 0<> "$T/ss.fifo" > "$T/ss.out" 2> "$T/ss.err" &
PIDS="$PIDS $!"
poll_until 10 has_s_port || fail "openssl s_server did not start: $(cat "$T/ss.err")"
printf 'hello\n' > "$T/in"
# s_server picks the first of its list that the client offers.
sk 10 "$T/in" -v tcp-client --tls $ca --tls-alpn z-proto,y-proto,x-proto \
    localhost "$(s_port)"
[ "$RC" = 0 ] || bad "against s_server -alpn: exit $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "olleh" ] || bad "against s_server -rev: '$(cat "$T/out")'"
grep -q ' alpn=x-proto$' "$T/err" || bad "against s_server -alpn: $(cat "$T/err")"
sk 10 "$T/in" -v tcp-client --tls $ca --tls-alpn y-proto localhost "$(s_port)"
[ "$RC" = 0 ] || bad "against s_server -alpn: exit $RC: $(cat "$T/err")"
grep -q ' alpn=y-proto$' "$T/err" || bad "against s_server -alpn: $(cat "$T/err")"
sk 10 "$T/in" tcp-client --tls $ca --tls-alpn z-proto localhost "$(s_port)"
[ "$RC" = 1 ] || bad "no protocol in common with s_server: exit $RC: $(cat "$T/err")"
grep -q 'ALPN: the server accepts none of the protocols offered' "$T/err" ||
    bad "no protocol in common with s_server: '$(cat "$T/err")'"
exit "$FAILED"
