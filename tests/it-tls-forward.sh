#!/bin/sh
# TLS with --forward (SPEC 9, 10):
#  - termination: TLS client -> tcp-server --tls --forward -> a plain
#    backend (echo, upper-case, a half-closing tr, 1 MiB intact); the
#    same from unix-server --tls;
#  - origination: plain client -> tcp-server --forward --forward-tls
#    (verified with --forward-tls-ca and --forward-tls-name, or
#    --forward-tls-pin, or --forward-tls-insecure) -> openssl s_server
#    and a sockit --tls backend;
#  - both: TLS in front, TLS to the backend;
#  - a backend that fails verification (unknown CA, wrong name, wrong
#    pin): the client is closed without a byte, the server logs the
#    reason and goes on serving; with --once it exits 7.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
tls_fixtures
srvtls="--tls --tls-cert $TLS/server.pem --tls-key $TLS/server.key"
ca="--tls-ca $TLS/ca.pem"
printf 'hello\nworld\n' > "$T/hw"
printf 'HELLO\nWORLD\n' > "$T/HW"
head -c 1048576 /dev/urandom > "$T/mib"

# through WHAT WANT-RC IN WANT-FILE CLIENT-ARGS...
through() {
	what=$1 wrc=$2 in=$3 wfile=$4
	shift 4
	sk 20 "$in" "$@"
	[ "$RC" = "$wrc" ] || bad "$what: client exited $RC, expected $wrc: $(cat "$T/err")"
	cmp -s "$wfile" "$T/out" ||
	    bad "$what: got $(wc -c < "$T/out") bytes: $(head -c 60 "$T/out" | tr -c '[:print:]\n' .)"
}

# Plain backends.
start_server echo tcp-server 0 --echo
start_server upper tcp-server 0 --upper
start_server tr tcp-server 0 --sh-exec 'tr a-z A-Z'

# 1. Termination.
# shellcheck disable=SC2086
start_server term tcp-server 0 -v $srvtls --forward "127.0.0.1:$upper_PORT"
# shellcheck disable=SC2086
start_server termecho tcp-server 0 $srvtls --forward "127.0.0.1:$echo_PORT"
# shellcheck disable=SC2086
start_server termtr tcp-server 0 $srvtls --forward "127.0.0.1:$tr_PORT"
# shellcheck disable=SC2086
{
through "TLS -> --tls --forward -> upper" 0 "$T/hw" "$T/HW" \
    tcp-client --tls $ca localhost "$term_PORT"
through "TLS -> --tls --forward -> echo, 1 MiB" 0 "$T/mib" "$T/mib" \
    tcp-client --tls $ca localhost "$termecho_PORT"
through "TLS -> --tls --forward -> tr (half-close passed on)" 0 "$T/hw" "$T/HW" \
    tcp-client --tls $ca localhost "$termtr_PORT"
}
poll_until 5 grep -q "^forwarding 127\\.0\\.0\\.1:[0-9]* backend=127\\.0\\.0\\.1:$upper_PORT$" \
    "$T/term.err" || bad "no forwarding line: $(cat "$T/term.err")"
# shellcheck disable=SC2086
start_unix uterm "$T/term.sock" $srvtls --forward "127.0.0.1:$upper_PORT"
through "unix TLS -> unix-server --tls --forward -> upper" 0 "$T/hw" "$T/HW" \
    unix-client --tls $ca --tls-name localhost "$T/term.sock"

# 2. Origination, to openssl s_server -rev and to a sockit TLS backend.
mkfifo "$T/ss.fifo"
openssl s_server -accept 127.0.0.1:0 -cert "$TLS/server.pem" \
    -key "$TLS/server.key" -rev 0<> "$T/ss.fifo" > "$T/ss.out" 2> "$T/ss.err" &
PIDS="$PIDS $!"
ss_port() {
	sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/ss.out" 2> /dev/null
}
has_ss_port() {
	[ -n "$(ss_port)" ]
}
poll_until 10 has_ss_port || fail "openssl s_server: $(cat "$T/ss.err")"
sport=$(ss_port)
# shellcheck disable=SC2086
start_server tlsup tcp-server 0 $srvtls --upper
# shellcheck disable=SC2086
start_server tlsecho tcp-server 0 $srvtls --echo
fwd="--forward-tls --forward-tls-ca $TLS/ca.pem"
# shellcheck disable=SC2086
start_server ossl tcp-server 0 --forward "127.0.0.1:$sport" $fwd \
    --forward-tls-name localhost
# shellcheck disable=SC2086
start_server orig tcp-server 0 -v --forward "127.0.0.1:$tlsup_PORT" $fwd \
    --forward-tls-name localhost
# shellcheck disable=SC2086
start_server origip tcp-server 0 --forward "127.0.0.1:$tlsecho_PORT" $fwd
# shellcheck disable=SC2086
start_server pinned tcp-server 0 --forward "127.0.0.1:$tlsup_PORT" \
    --forward-tls --forward-tls-pin "$(tls_fp "$TLS/server.pem")"
start_server insecure tcp-server 0 --forward "127.0.0.1:$tlsup_PORT" \
    --forward-tls --forward-tls-insecure
printf 'olleh\ndlrow\n' > "$T/rev"
through "plain -> --forward-tls -> openssl s_server -rev" 0 "$T/hw" "$T/rev" \
    tcp-client 127.0.0.1 "$ossl_PORT"
through "plain -> --forward-tls -> sockit --tls --upper" 0 "$T/hw" "$T/HW" \
    tcp-client 127.0.0.1 "$orig_PORT"
through "plain -> --forward-tls (the IP address checked) -> echo, 1 MiB" 0 \
    "$T/mib" "$T/mib" tcp-client 127.0.0.1 "$origip_PORT"
through "plain -> --forward-tls-pin -> upper" 0 "$T/hw" "$T/HW" \
    tcp-client 127.0.0.1 "$pinned_PORT"
through "plain -> --forward-tls-insecure -> upper" 0 "$T/hw" "$T/HW" \
    tcp-client 127.0.0.1 "$insecure_PORT"

# 3. TLS on both sides.
# shellcheck disable=SC2086
start_server both tcp-server 0 $srvtls --forward "127.0.0.1:$tlsup_PORT" \
    $fwd --forward-tls-name localhost
through "TLS -> --tls --forward-tls -> TLS upper" 0 "$T/hw" "$T/HW" \
    tcp-client --tls $ca localhost "$both_PORT"

# 4. Backends that fail verification.  The client, sending nothing, sees
#    the connection closed without a byte.
: > "$T/empty"
# failing NAME WHY ARGS...: a forwarder with ARGS; its client gets
# nothing, it logs WHY and serves the next client the same way.
failing() {
	name=$1 why=$2
	shift 2
	start_server "$name" tcp-server 0 --forward "127.0.0.1:$tlsup_PORT" \
	    --forward-tls "$@"
	eval "fport=\$${name}_PORT"
	for i in 1 2; do
		through "$name: client $i" 0 /dev/null "$T/empty" \
		    tcp-client 127.0.0.1 "$fport"
	done
	poll_until 5 sh -c "[ \$(grep -c 'backend=127.0.0.1:$tlsup_PORT: backend 127.0.0.1:$tlsup_PORT: TLS handshake: $why' '$T/$name.err') -eq 2 ]" ||
	    bad "$name: the forwarder logged: $(cat "$T/$name.err")"
}
failing noca "certificate verify failed: unable to get local issuer certificate"
failing otherca "certificate verify failed: unable to get local issuer certificate" \
    --forward-tls-ca "$TLS/other-ca.pem" --forward-tls-name localhost
failing badname "certificate verify failed: hostname mismatch" \
    --forward-tls-ca "$TLS/ca.pem" --forward-tls-name example.com
failing badpin "pin mismatch" \
    --forward-tls-pin "sha256:$(printf '%064d' 0)"
# The backend saw the refusal too.
poll_until 5 grep -q 'TLS handshake: the client refused our certificate' \
    "$T/tlsup.err" || bad "backend log: $(cat "$T/tlsup.err")"

# --once: a backend that fails verification is exit 7.
rm -f "$T/once.port"
"$SOCKIT" tcp-server 0 --once --forward "127.0.0.1:$tlsup_PORT" --forward-tls \
    --port-file "$T/once.port" 2> "$T/once.err" < /dev/null &
once=$!
PIDS="$PIDS $once"
poll_until 10 test -s "$T/once.port" || fail "--once forwarder: $(cat "$T/once.err")"
through "--once forwarder with a bad backend" 0 /dev/null "$T/empty" \
    tcp-client 127.0.0.1 "$(cat "$T/once.port")"
wait_exit "$once" 10
[ "$RC" = 7 ] || bad "--once forwarder with an unverified backend exited $RC, expected 7"
exit "$FAILED"
