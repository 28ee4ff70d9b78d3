#!/bin/sh
# Completion of the options that take a word from a list (--proxy-type,
# --proxy-dns) or a file (-x/--hex-dump, -o/--output, --ready-file,
# --allow-file, the TLS files), in bash and zsh (the harness is the one
# of it-completion.sh).
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need bash

comp="${SOCKIT_SRCDIR:-.}/completions/sockit"
PATH="$(dirname "$SOCKIT"):$PATH"
export PATH

complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _sockit; printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@"
}
[ "$(complete_words sockit tcp-client --proxy-type s)" = socks5 ] ||
    fail "--proxy-type s: $(complete_words sockit tcp-client --proxy-type s)"
[ "$(complete_words sockit tcp-client --proxy-type h)" = http ] ||
    fail "--proxy-type h: $(complete_words sockit tcp-client --proxy-type h)"
[ "$(complete_words sockit tcp-client --proxy-dns l)" = local ] ||
    fail "--proxy-dns l: $(complete_words sockit tcp-client --proxy-dns l)"
complete_words sockit tcp-client --proxy | grep -qx -- --proxy-auth ||
    fail "tcp-client --proxy does not offer --proxy-auth"
complete_words sockit unix-client --send | grep -qx -- --send-only ||
    fail "unix-client --send does not offer --send-only"
touch "$T/dumpfile"
for opt in -x --hex-dump -o --output; do
	complete_words sockit tcp-client "$opt" "$T/dump" | grep -q dumpfile ||
	    fail "$opt does not complete file names"
done
# The server options that take a file.
for opt in --ready-file --allow-file --deny-file --tls-cert --tls-key \
    --tls-client-ca --tls-pin-file; do
	complete_words sockit tcp-server "$opt" "$T/dump" | grep -q dumpfile ||
	    fail "tcp-server $opt does not complete file names"
done

command -v zsh > /dev/null 2>&1 || { echo "zsh not installed: zsh part skipped"; exit 0; }
zcomp="${SOCKIT_SRCDIR:-.}/completions/_sockit"
zcomplete() {
	zsh -f -c '
	compadd() {
		local a arr=0
		for a in "$@"; do
			case $a in
			-a) arr=1 ;;
			--) ;;
			*) if ((arr)); then print -rl -- ${(P)a};
			   else print -r -- $a; fi ;;
			esac
		done
	}
	_describe() { local n=${@[-1]}; print -rl -- ${${(P)n}%%:*}; }
	_files() { print -r -- "<files>"; }
	_call_program() { shift; eval "$*"; }
	f=$1; shift
	words=("$@"); CURRENT=$#; PREFIX=${@[-1]}
	source "$f"' zsh "$zcomp" "$@"
}
zcomplete sockit tcp-client --proxy-type "" | grep -qx socks5 ||
    fail "zsh: --proxy-type values not offered"
zcomplete sockit tcp-client --proxy-dns "" | grep -qx remote ||
    fail "zsh: --proxy-dns values not offered"
zcomplete sockit tcp-client -x d | grep -qx '<files>' ||
    fail "zsh: -x does not complete file names"
for opt in --ready-file --allow-file --deny-file --tls-ca; do
	zcomplete sockit tcp-server "$opt" d | grep -qx '<files>' ||
	    fail "zsh: $opt does not complete file names"
done
zcomplete sockit tcp-client --proxy | grep -qx -- --proxy-dns ||
    fail "zsh: tcp-client --proxy options not offered"
exit 0
