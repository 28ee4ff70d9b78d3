#!/bin/sh
# A target name that does not resolve: tcp-client exits 1 with the
# resolver's own words; with --wait-for SEC it keeps trying for SEC,
# then exits 4 and still says what the resolver said.  The same for the
# proxy's name and for --proxy-dns local.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

need python3

# What getaddrinfo says about the name here ("Name or service not
# known" with glibc and a resolver that answers; other words without
# one, or with another libc).
why=$(python3 -c '
import socket
try:
    socket.getaddrinfo("nosuch.invalid", 80, 0, socket.SOCK_STREAM)
    print("")
except socket.gaierror as e:
    print(e.strerror)')
[ -n "$why" ] || skip "nosuch.invalid resolves here"

# 1. Once: exit 1, "connect HOST:PORT: HOST: WHY".
sk 30 /dev/null tcp-client nosuch.invalid 80
[ "$RC" = 1 ] || fail "unresolvable name: exited $RC, expected 1: $(cat "$T/err")"
grep -qxF "sockit: tcp-client: connect nosuch.invalid:80: nosuch.invalid: $why" "$T/err" ||
    fail "unresolvable name: message: $(cat "$T/err") (expected the resolver's \"$why\")"
sk 30 /dev/null tcp-client -z nosuch.invalid 80
[ "$RC" = 1 ] || fail "-z with an unresolvable name: exited $RC, expected 1"

# 2. --wait-for 1: tries until the second is over, exits 4, and the
#    message gives the resolver's words, not a timeout's.
t0=$(date +%s.%N)
sk 30 /dev/null tcp-client --wait-for 1 nosuch.invalid 80
secs=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
[ "$RC" = 4 ] || fail "--wait-for 1 nosuch.invalid: exited $RC, expected 4: $(cat "$T/err")"
grep -qxF "sockit: tcp-client: connect nosuch.invalid:80: not up after --wait-for 1 s (nosuch.invalid: $why)" "$T/err" ||
    fail "--wait-for 1 nosuch.invalid: message: $(cat "$T/err")"
echo "$secs" | awk '{ exit !($1 >= 0.9) }' ||
    fail "--wait-for 1 gave up after $secs s: it did not keep trying"

# 3. The proxy's own name, and the target's name with --proxy-dns local.
sk 30 /dev/null tcp-client --proxy nosuch.invalid:1080 127.0.0.1 80
[ "$RC" = 1 ] || fail "unresolvable proxy: exited $RC, expected 1: $(cat "$T/err")"
grep -qF "nosuch.invalid: $why" "$T/err" || fail "unresolvable proxy: message: $(cat "$T/err")"
start_server sink tcp-server 0 --discard
sk 30 /dev/null tcp-client --proxy "127.0.0.1:$sink_PORT" --proxy-dns local \
    nosuch.invalid 80
[ "$RC" = 1 ] || fail "--proxy-dns local, unresolvable target: exited $RC, expected 1: $(cat "$T/err")"
grep -qF "nosuch.invalid: $why" "$T/err" ||
    fail "--proxy-dns local, unresolvable target: message: $(cat "$T/err")"
exit 0
