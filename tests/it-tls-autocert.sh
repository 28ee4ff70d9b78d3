#!/bin/sh
# A --tls server given no --tls-cert makes its own certificate at start
# (SPEC 9): ECDSA P-256, signed with SHA-256, valid for a few days, SAN
# the bound address and localhost (0.0.0.0 left out), a fresh one each
# start.  Its fingerprint is on the listening line
# "listening on ADDR (tls sha256:HEX)", in the JSON "listening" event
# (tls_sha256), and in the --tls-pin-file, which is whole whenever it
# exists and is there before the --port-file; a client pinning it
# connects, over TCP and over a Unix socket.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need_tls

# The --tls-pin-file is written once, by rename: a reader polling it
# while the server starts never sees it partly written.
cat > "$T/watch.py" <<'PY'
import os, sys, time
path, stop = sys.argv[1], time.monotonic() + 10
seen = set()
while time.monotonic() < stop:
    try:
        with open(path) as f:
            seen.add(f.read())
    except FileNotFoundError:
        continue
    if len(seen) > 0 and os.path.exists(sys.argv[2]):
        break
for s in seen:
    print(repr(s))
PY
python3 "$T/watch.py" "$T/a.pin" "$T/a.port" > "$T/watch.out" 2>&1 &
watch=$!
PIDS="$PIDS $watch"
start_server a tcp-server 0 --tls --tls-pin-file "$T/a.pin"
wait_exit "$watch" 15
pin=$(cat "$T/a.pin")
case $pin in
sha256:[0-9a-f]*) ;;
*) fail "--tls-pin-file holds '$pin'" ;;
esac
[ ${#pin} -eq 71 ] || fail "--tls-pin-file holds '$pin' (${#pin} bytes)"
[ "$(wc -l < "$T/a.pin")" -eq 1 ] || fail "--tls-pin-file: $(cat "$T/a.pin")"
[ "$(cat "$T/watch.out")" = "'$pin\\n'" ] ||
    fail "a reader of the --tls-pin-file saw: $(cat "$T/watch.out")"
grep -qx "listening on 127.0.0.1:$a_PORT (tls $pin)" "$T/a.err" ||
    fail "listening line: '$(cat "$T/a.err")', pin file: $pin"
ls "$T" | grep -v -e '^a\.' -e '^watch' -e '^need_tls' | grep -q . &&
    fail "files left next to the pin file: $(ls "$T")"

# The certificate itself, as a client sees it.
openssl s_client -connect "127.0.0.1:$a_PORT" < /dev/null 2> /dev/null |
    openssl x509 > "$T/a.pem" 2> /dev/null ||
    fail "openssl s_client got no certificate"
[ "$(tls_fp "$T/a.pem")" = "$pin" ] ||
    fail "the server shows $(tls_fp "$T/a.pem"), its pin file says $pin"
openssl x509 -in "$T/a.pem" -noout -text > "$T/a.txt"
grep -q 'ASN1 OID: prime256v1' "$T/a.txt" || fail "not a P-256 key: $(cat "$T/a.txt")"
grep -q 'Signature Algorithm: ecdsa-with-SHA256' "$T/a.txt" ||
    fail "not signed with SHA-256: $(cat "$T/a.txt")"
openssl x509 -in "$T/a.pem" -noout -ext subjectAltName > "$T/a.san"
grep -q 'IP Address:127.0.0.1' "$T/a.san" && grep -q 'DNS:localhost' "$T/a.san" ||
    fail "SAN: $(cat "$T/a.san")"
# Valid now, and for a few days, not for years.
openssl x509 -in "$T/a.pem" -noout -checkend 0 > /dev/null ||
    fail "the certificate is not valid now"
openssl x509 -in "$T/a.pem" -noout -checkend 86400 > /dev/null ||
    fail "the certificate expires within a day"
! openssl x509 -in "$T/a.pem" -noout -checkend $((30 * 86400)) > /dev/null ||
    fail "the certificate is valid for more than 30 days"

# Pinned clients connect, to the IP address and to localhost; the
# certificate as a CA of its own works for both names it carries.
printf 'pinned\n' > "$T/msg"
for args in "--tls-pin $pin 127.0.0.1 $a_PORT" \
    "--tls-pin $pin localhost $a_PORT" \
    "--tls-ca $T/a.pem 127.0.0.1 $a_PORT" \
    "--tls-ca $T/a.pem localhost $a_PORT"; do
	# shellcheck disable=SC2086
	sk 10 "$T/msg" tcp-client --tls $args
	[ "$RC" = 0 ] || fail "tcp-client --tls $args exited $RC: $(cat "$T/err")"
	cmp -s "$T/msg" "$T/out" || fail "tcp-client --tls $args got '$(cat "$T/out")'"
done

# The JSON listening event carries the same fingerprint; a second server
# makes another certificate.
start_server j --log-format json tcp-server 0 --tls --tls-pin-file "$T/j.pin"
jpin=$(cat "$T/j.pin")
[ "$jpin" != "$pin" ] || fail "two servers made the same certificate ($pin)"
python3 - "$T/j.err" "$jpin" "$j_PORT" <<'PY' || fail "JSON: $(cat "$T/j.err")"
import json, sys
ev = json.loads(open(sys.argv[1]).readline())
assert ev["event"] == "listening", ev
assert ev["command"] == "tcp-server", ev
assert ev["address"] == "127.0.0.1:" + sys.argv[3], ev
assert ev["tls_sha256"] == sys.argv[2], ev
PY

# -b 0.0.0.0: no 0.0.0.0 in the SAN, localhost still.
start_server any tcp-server -b 0.0.0.0 0 --tls
openssl s_client -connect "127.0.0.1:$any_PORT" < /dev/null 2> /dev/null |
    openssl x509 -noout -ext subjectAltName > "$T/any.san" 2>&1
grep -q 'DNS:localhost' "$T/any.san" && ! grep -q 'IP Address' "$T/any.san" ||
    fail "-b 0.0.0.0: SAN: $(cat "$T/any.san")"

# A Unix socket server: the pin file, the listening line, a pinned
# unix-client, and one that checks the name localhost against the
# certificate taken as its CA.
"$SOCKIT" unix-server "$T/u.sock" --tls --tls-pin-file "$T/u.pin" \
    --ready-file "$T/u.ready" 2> "$T/u.err" &
PIDS="$PIDS $!"
poll_until 10 test -s "$T/u.ready" || fail "unix-server: $(cat "$T/u.err")"
upin=$(cat "$T/u.pin")
grep -qx "listening on $T/u.sock (tls $upin)" "$T/u.err" ||
    fail "unix listening line: '$(cat "$T/u.err")', pin $upin"
sk 10 "$T/msg" unix-client --tls --tls-pin "$upin" "$T/u.sock"
[ "$RC" = 0 ] || fail "pinned unix-client exited $RC: $(cat "$T/err")"
cmp -s "$T/msg" "$T/out" || fail "pinned unix-client got '$(cat "$T/out")'"
sk 10 "$T/msg" unix-client --tls --tls-pin "$pin" "$T/u.sock"
[ "$RC" = 7 ] || fail "unix-client with another pin exited $RC: $(cat "$T/err")"
grep -q 'pin mismatch' "$T/err" || fail "wrong pin: $(cat "$T/err")"
exit 0
