#!/bin/sh
# Mutual TLS (SPEC 9): tcp-server --tls-client-ca FILE requires a client
# certificate signed by FILE.  A client with none, or with one from
# another CA, is refused before any byte reaches the handler (an --exec
# program that would leave a file behind never runs) and the server logs
# why; the sockit client exits 7 saying why.  A good certificate is
# accepted, from sockit and from openssl s_client, over TLS 1.3 and 1.2,
# and the program sees its subject.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
tls_fixtures

start_server m tcp-server 0 -v --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" --tls-client-ca "$TLS/ca.pem" \
    --sh-exec "touch $T/ran; echo \"hello \$SOCKIT_TLS_PEER_SUBJECT\""
ca="--tls-ca $TLS/ca.pem"

# refused WHAT CLIENT-SAYS SERVER-LOGS ARGS...: the client exits 7 with
# CLIENT-SAYS, the server logs SERVER-LOGS on a closed line, the program
# did not run.
refused() {
	what=$1 csays=$2 slogs=$3
	shift 3
	before=$(grep -c "TLS handshake: $slogs" "$T/m.err")
	sk 10 /dev/null tcp-client --tls "$@"
	[ "$RC" = 7 ] || bad "$what: client exited $RC, expected 7: $(cat "$T/err")"
	grep -qF -- "$csays" "$T/err" ||
	    bad "$what: client said '$(cat "$T/err")', expected '$csays'"
	[ ! -s "$T/out" ] || bad "$what: the client got '$(cat "$T/out")'"
	poll_until 5 sh -c "[ \$(grep -c 'TLS handshake: $slogs' '$T/m.err') -gt $before ]" ||
	    bad "$what: the server did not log '$slogs': $(cat "$T/m.err")"
	[ ! -e "$T/ran" ] || bad "$what: the handler ran"
}

# shellcheck disable=SC2086
refused "no certificate" "the server requires a client certificate" \
    "peer did not send a certificate" $ca localhost "$m_PORT"
# shellcheck disable=SC2086
refused "a certificate of another CA" "the server refused our certificate" \
    "client certificate verify failed: unable to get local issuer certificate" \
    $ca --tls-cert "$TLS/other-client.pem" --tls-key "$TLS/other-client.key" \
    localhost "$m_PORT"
# A server certificate of the right CA is no client certificate.
# shellcheck disable=SC2086
refused "a server certificate" "the server refused our certificate" \
    "client certificate verify failed" $ca --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key" localhost "$m_PORT"
grep -q '^closed 127\.0\.0\.1:[0-9]* in=0 out=0 .*: TLS handshake: peer did not send a certificate$' \
    "$T/m.err" || bad "closed line: $(cat "$T/m.err")"

# openssl s_client without a certificate, TLS 1.2 and 1.3: refused too.
for v in -tls1_2 -tls1_3; do
	openssl s_client -connect "127.0.0.1:$m_PORT" $v -CAfile "$TLS/ca.pem" \
	    -quiet < /dev/null > "$T/s.out" 2> "$T/s.err" &
	spid=$!
	PIDS="$PIDS $spid"
	wait_exit "$spid" 10
	[ "$RC" != 0 ] || bad "s_client $v without a certificate exited 0"
	grep -q 'hello' "$T/s.out" && bad "s_client $v got '$(cat "$T/s.out")'"
	[ ! -e "$T/ran" ] || bad "s_client $v without a certificate: the handler ran"
done

# Good certificates: the program runs and sees the subject.
sk 10 /dev/null tcp-client --tls --tls-ca "$TLS/ca.pem" \
    --tls-cert "$TLS/client.pem" --tls-key "$TLS/client.key" localhost "$m_PORT"
[ "$RC" = 0 ] || bad "good client exited $RC: $(cat "$T/err")"
[ "$(cat "$T/out")" = "hello O=sockit test, CN=sockit client" ] ||
    bad "good client got '$(cat "$T/out")'"
[ -e "$T/ran" ] || bad "the handler did not run for a good client"
for v in -tls1_2 -tls1_3; do
	openssl s_client -connect "127.0.0.1:$m_PORT" $v -CAfile "$TLS/ca.pem" \
	    -cert "$TLS/client.pem" -key "$TLS/client.key" -quiet \
	    < /dev/null > "$T/s.out" 2> "$T/s.err" &
	spid=$!
	PIDS="$PIDS $spid"
	wait_exit "$spid" 10
	[ "$RC" = 0 ] || bad "s_client $v with a certificate exited $RC: $(cat "$T/s.err")"
	[ "$(cat "$T/s.out")" = "hello O=sockit test, CN=sockit client" ] ||
	    bad "s_client $v got '$(cat "$T/s.out")'"
done
# The log gives the peer's fingerprint.
grep -q "^tls 127\\.0\\.0\\.1:[0-9]* version=TLSv1\\.3 peer=$(tls_fp "$TLS/client.pem")" \
    "$T/m.err" || bad "no tls line with the peer's fingerprint: $(cat "$T/m.err")"
kill -0 "$m_PID" || bad "the server died"
exit "$FAILED"
