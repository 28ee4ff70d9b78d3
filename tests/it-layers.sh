#!/bin/sh
# The layering rules of HACKING.md hold in src/: only the command layer
# includes args.h, xmalloc.h, sockit.h or a cmd-* header; raw read/
# write/send/recv/shutdown/splice calls live in the stream transports
# (stream.c, tls.c) and in the exceptions HACKING.md lists, nowhere else.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"

src="${SOCKIT_SRCDIR:-.}/src"
[ -f "$src/stream.c" ] || fail "no sources at $src"

# The command layer (HACKING.md, "Command layer").
command_layer() {
	case ${1##*/} in
	sockit.[ch] | cmd-*.[ch] | args.[ch] | xmalloc.[ch] | clientopt.[ch] | \
	    serveropt.[ch] | frameopt.[ch] | tlsopt.[ch]) return 0 ;;
	esac
	return 1
}

for f in "$src"/*.c "$src"/*.h; do
	command_layer "$f" && continue
	grep -nE '^#include "(args|xmalloc|sockit)\.h"|^#include "cmd-' "$f" |
	    sed "s|^|${f##*/}:|" >> "$T/includes"
done
[ ! -s "$T/includes" ] ||
    fail "below the command layer: $(cat "$T/includes")"

# Raw I/O outside the transports: comment lines left out.
grep -nE '\b(read|write|send|recv|shutdown|sendto|recvfrom|splice)\(' \
    "$src"/*.c | grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/?\*|//)' |
    cut -d: -f1 | sed 's|.*/||' | sort -u > "$T/raw"
while read -r f; do
	case $f in
	# the transports
	stream.c | tls.c) ;;
	# datagrams, local pipes and files, the self-pipe, the log,
	# sock_write_all/sock_read_all, key files, zero copy (HACKING.md)
	dgram-*.c | scan.c | sshl-chan.c | sshl-server.c | sshl.c | sig.c | \
	    log.c | sock.c | relay.c) ;;
	*) echo "$f" >> "$T/bad" ;;
	esac
done < "$T/raw"
[ ! -s "$T/bad" ] ||
    fail "raw I/O outside the stream layer in: $(tr '\n' ' ' < "$T/bad")(see HACKING.md)"
exit 0
