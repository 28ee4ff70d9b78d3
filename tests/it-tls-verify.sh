#!/bin/sh
# tcp-client --tls verifies the server by default (SPEC 9): a failed
# check is exit 7 with the reason in words, never "Input/output error".
#  - sockit's own made-up certificate without --tls-ca: "self-signed";
#  - the fixture server certificate (localhost, 127.0.0.1, ::1) trusted
#    with --tls-ca: the host name, an IP target (checked against the IP
#    SANs) and --tls-name pass; a name or an IP address not in it fails;
#  - the system CA store does not know the test CA; another CA neither;
#  - an expired certificate fails ("expired");
#  - --tls-pin with the right fingerprint passes, with another fails;
#  - --tls-insecure passes with one warning line on stderr;
#  - SNI is the host name, or --tls-name, and none for an IP address
#    (a python3 ssl server records what its sni_callback saw).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls
need python3
tls_fixtures

# try WANT-RC WANT-IN-STDERR ARGS...: "hello" through tcp-client --tls
# ARGS; exit WANT-RC; with 0 the echo must come back, otherwise
# WANT-IN-STDERR must be in the one error line.
try() {
	want=$1 why=$2
	shift 2
	printf 'hello\n' > "$T/in"
	sk 20 "$T/in" tcp-client --tls "$@"
	if [ "$RC" != "$want" ]; then
		bad "'tcp-client --tls $*' exited $RC, expected $want: $(cat "$T/err")"
		return
	fi
	if [ "$want" = 0 ]; then
		cmp -s "$T/in" "$T/out" ||
		    bad "'tcp-client --tls $*' got '$(cat "$T/out")'"
		return
	fi
	grep -qF -- "$why" "$T/err" ||
	    bad "'tcp-client --tls $*' said '$(cat "$T/err")', expected '$why'"
	! grep -qi 'input/output error' "$T/err" ||
	    bad "'tcp-client --tls $*': $(cat "$T/err")"
	[ ! -s "$T/out" ] || bad "'tcp-client --tls $*' printed $(cat "$T/out")"
}

# 1. sockit's own certificate: self-signed, and not for "example.com".
start_server auto tcp-server 0 --tls --tls-pin-file "$T/auto.pin"
pin=$(cat "$T/auto.pin")
try 7 "certificate verify failed: self-signed certificate" \
    127.0.0.1 "$auto_PORT"
try 7 "self-signed certificate" localhost "$auto_PORT"
try 0 "" --tls-pin "$pin" 127.0.0.1 "$auto_PORT"
# Upper case (OpenBSD nc -H prints SHA256:...), and with colons.
try 0 "" --tls-pin "$(echo "$pin" | tr 'a-z' 'A-Z')" 127.0.0.1 "$auto_PORT"
try 0 "" --tls-pin "sha256:$(echo "${pin#sha256:}" | sed 's/../&:/g; s/:$//')" \
    127.0.0.1 "$auto_PORT"
other=$(tls_fp "$TLS/server.pem")
try 7 "pin mismatch: the server's certificate is $pin, not $other" \
    --tls-pin "$other" 127.0.0.1 "$auto_PORT"

# --tls-insecure: no check at all, and exactly one warning line.
try 0 "" --tls-insecure 127.0.0.1 "$auto_PORT"
grep -q '^sockit: tcp-client: warning: --tls-insecure: ' "$T/err" ||
    bad "--tls-insecure gave no warning: '$(cat "$T/err")'"
[ "$(wc -l < "$T/err")" -eq 1 ] ||
    bad "--tls-insecure printed more than the warning: $(cat "$T/err")"

# 2. The fixture certificate, trusted through --tls-ca.
start_server good tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
    --tls-key "$TLS/server.key"
ca="--tls-ca $TLS/ca.pem"
# shellcheck disable=SC2086
{
try 0 "" $ca localhost "$good_PORT"
try 0 "" $ca 127.0.0.1 "$good_PORT"
try 0 "" $ca "127.0.0.1:$good_PORT"
try 0 "" $ca --tls-name localhost 127.0.0.1 "$good_PORT"
try 0 "" $ca --tls-name 127.0.0.1 localhost "$good_PORT"
try 7 "hostname mismatch (certificate is for localhost, 127.0.0.1, ::1, not example.com)" \
    $ca --tls-name example.com 127.0.0.1 "$good_PORT"
try 7 "IP address mismatch (certificate is for localhost, 127.0.0.1, ::1, not 127.0.0.2)" \
    $ca --tls-name 127.0.0.2 localhost "$good_PORT"
# The CA directory form: a hashed directory (openssl rehash).
if openssl rehash -help > /dev/null 2>&1; then
	mkdir "$T/cadir" && cp "$TLS/ca.pem" "$T/cadir/" &&
	    openssl rehash "$T/cadir" 2> /dev/null
	try 0 "" --tls-ca "$T/cadir" localhost "$good_PORT"
fi
# A CA that did not sign it, and the system store (no --tls-ca).
try 7 "unable to get local issuer certificate" --tls-ca "$TLS/other-ca.pem" \
    localhost "$good_PORT"
try 7 "certificate verify failed" localhost "$good_PORT"
# A pin needs no CA and no name.
try 0 "" --tls-pin "$(tls_fp "$TLS/server.pem")" --tls-name example.com \
    127.0.0.1 "$good_PORT"
}
# The server logs the client's refusal with the alert.
poll_until 5 grep -q 'TLS handshake: the client refused our certificate' \
    "$T/good.err" || bad "server did not log the refusal: $(cat "$T/good.err")"

# 3. IPv6: ::1 is in the certificate's IP SANs.
if python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))' 2> /dev/null; then
	start_server six -6 tcp-server 0 --tls --tls-cert "$TLS/server.pem" \
	    --tls-key "$TLS/server.key"
	try 0 "" --tls-ca "$TLS/ca.pem" ::1 "$six_PORT"
	try 0 "" --tls-ca "$TLS/ca.pem" "[::1]:$six_PORT"
	try 7 "IP address mismatch" --tls-ca "$TLS/ca.pem" --tls-name ::2 \
	    ::1 "$six_PORT"
else
	echo "no IPv6 loopback: the ::1 cases are skipped"
fi

# 4. An expired certificate.
start_server old tcp-server 0 --tls --tls-cert "$TLS/expired.pem" \
    --tls-key "$TLS/expired.key"
try 7 "certificate verify failed: certificate has expired" \
    --tls-ca "$TLS/ca.pem" localhost "$old_PORT"

# 5. SNI: a python3 ssl server that records the name each client sent.
cat > "$T/sni.py" <<'PY'
import os, socket, ssl, sys
tls, portfile, log = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(tls + '/server.pem', tls + '/server.key')
def sni(sslobj, name, ctx):
    with open(log, 'a') as f:
        f.write('%s\n' % (name if name is not None else '(none)'))
ctx.sni_callback = sni
ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(8)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % ls.getsockname()[1])
os.rename(portfile + '.tmp', portfile)
ls.settimeout(60)
for _ in range(3):
    c, _ = ls.accept()
    c.settimeout(20)
    try:
        s = ctx.wrap_socket(c, server_side=True)
        data = b''
        while not data.endswith(b'\n'):
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.sendall(data)
        s.unwrap().close()     # close_notify, then the TCP close
    except (OSError, ssl.SSLError) as e:
        print('sni server: %r' % e, file=sys.stderr)
        c.close()
PY
python3 "$T/sni.py" "$TLS" "$T/sni.port" "$T/sni.log" 2> "$T/sni.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/sni.port" ||
    fail "python3 SNI server did not start: $(cat "$T/sni.err")"
sport=$(cat "$T/sni.port")
try 0 "" --tls-ca "$TLS/ca.pem" localhost "$sport"
try 0 "" --tls-ca "$TLS/ca.pem" 127.0.0.1 "$sport"
try 0 "" --tls-ca "$TLS/ca.pem" --tls-name localhost 127.0.0.1 "$sport"
poll_until 5 sh -c "[ \$(wc -l < '$T/sni.log') -ge 3 ]" 2> /dev/null
printf 'localhost\n(none)\nlocalhost\n' > "$T/sni.want"
cmp -s "$T/sni.want" "$T/sni.log" ||
    bad "SNI seen by the server: '$(cat "$T/sni.log")', expected localhost, (none), localhost"
exit "$FAILED"
