#!/bin/sh
# The --tls options on the command line.  A build without OpenSSL
# (configure --with-openssl=no) refuses --tls and --forward-tls on every
# command with one line and exit 2.  A build with it refuses bad values
# and bad combinations with exit 2 and a message that names the option,
# before anything listens or connects.  OpenSSL is loaded only when
# TLS is used.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

# usage WANT-IN-MESSAGE ARGS...: sockit ARGS exits 2, saying WANT.
usage() {
	want=$1
	shift
	"$SOCKIT" "$@" > "$T/out" 2> "$T/err" < /dev/null &
	upid=$!
	PIDS="$PIDS $upid"
	wait_exit "$upid" 10
	[ "$RC" = 2 ] || bad "'sockit $*' exited $RC, expected 2: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" ||
	    bad "'sockit $*' said '$(cat "$T/err")', expected '$want'"
	[ "$(wc -l < "$T/err")" -eq 1 ] ||
	    bad "'sockit $*' printed more than one line: $(cat "$T/err")"
	[ ! -s "$T/out" ] || bad "'sockit $*' wrote to stdout: $(cat "$T/out")"
}

"$SOCKIT" tcp-client --tls -z 127.0.0.1 1 2> "$T/probe.err"
if grep -q 'built without TLS' "$T/probe.err"; then
	# The build without OpenSSL: every way into TLS is refused.
	for args in "tcp-client --tls 127.0.0.1 9" \
	    "unix-client --tls --tls-name localhost $T/none.sock" \
	    "tcp-server --tls 0" "unix-server --tls $T/s.sock" \
	    "tcp-server --forward 127.0.0.1:9 --forward-tls 0"; do
		# shellcheck disable=SC2086
		usage "sockit was built without TLS (configure --with-openssl)" \
		    $args
	done
	echo "a build without TLS refuses --tls and --forward-tls (exit 2)"
	exit "$FAILED"
fi
need_tls
tls_fixtures
pin0=sha256:$(printf '%064d' 0)

usage "the --tls-* options need --tls" tcp-client --tls-ca "$TLS/ca.pem" \
    127.0.0.1 9
usage "the --tls-* options need --tls" tcp-server --tls-pin-file "$T/pin" 0
usage "the --tls-* options need --tls" unix-client --tls-insecure "$T/x.sock"
usage '--tls-min: "1.1" is not 1.2 or 1.3' tcp-client --tls --tls-min 1.1 \
    127.0.0.1 9
usage "--tls-pin sha256:00: expected sha256: and 64 hex digits" \
    tcp-client --tls --tls-pin sha256:00 127.0.0.1 9
usage "choose one of --tls-pin and --tls-insecure" tcp-client --tls \
    --tls-pin "$pin0" --tls-insecure 127.0.0.1 9
usage "--tls-ca $T/none.pem: No such file or directory" tcp-client --tls \
    --tls-ca "$T/none.pem" 127.0.0.1 9
usage "--tls-cert $T/none.pem: No such file or directory" tcp-server --tls \
    --tls-cert "$T/none.pem" 0
usage "key does not match the certificate" tcp-server --tls \
    --tls-cert "$TLS/server.pem" --tls-key "$TLS/other.key" 0
usage "key does not match the certificate" tcp-client --tls \
    --tls-cert "$TLS/client.pem" --tls-key "$TLS/server.key" 127.0.0.1 9
usage "--tls-cert $TLS/server.pem: no private key in the file (give it with --tls-key)" \
    tcp-server --tls --tls-cert "$TLS/server.pem" 0
usage "the --tls-* options need --tls" tcp-server --tls-handshake-timeout 1 0
usage "--tls-ciphers NOPE: no cipher matches" tcp-client --tls \
    --tls-ciphers NOPE 127.0.0.1 9
usage "--tls-ciphersuites NOPE: no cipher suite matches" tcp-client --tls \
    --tls-ciphersuites NOPE 127.0.0.1 9
usage "--tls-alpn a,,b: a comma-separated list" tcp-client --tls \
    --tls-alpn a,,b 127.0.0.1 9
usage "--forward-tls needs --forward" tcp-server --forward-tls --echo 0
usage "the --forward-tls-* options need --forward-tls" tcp-server \
    --forward 127.0.0.1:9 --forward-tls-ca "$TLS/ca.pem" 0
usage "choose one of --forward-tls-pin and --forward-tls-insecure" \
    tcp-server --forward 127.0.0.1:9 --forward-tls \
    --forward-tls-pin "$pin0" --forward-tls-insecure 0
usage "unknown option --tls" udp-client --tls 127.0.0.1 9
usage "unknown option --tls" udp-server --tls 0

# A Unix socket has no host name to verify: --tls-name or --tls-pin.
start_unix plain "$T/plain.sock"
usage "give --tls-name or --tls-pin" unix-client --tls "$T/plain.sock"

# OpenSSL is loaded only when TLS is used (src/tls-lib.c): a plain
# server has no libssl mapped, a --tls one has.
start_server nossl tcp-server 0
grep -q 'libssl\.so' "/proc/$nossl_PID/maps" &&
    bad "a server without --tls loaded OpenSSL"
start_server withssl tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key"
grep -q 'libssl\.so' "/proc/$withssl_PID/maps" ||
    bad "a --tls server has no libssl mapped"
exit "$FAILED"
