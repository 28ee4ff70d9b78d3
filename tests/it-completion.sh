#!/bin/sh
# The bash and zsh completion scripts load and complete commands, options
# and option values.
. "${SOCKIT_SRCDIR:-.}/tests/lib.sh"
need bash

comp="${SOCKIT_SRCDIR:-.}/completions/sockit"
PATH="$(dirname "$SOCKIT"):$PATH"
export PATH

# complete WORDS...: prints the candidates for the last word.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _sockit; printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@"
}

[ "$(complete_words sockit tcp-s)" = "tcp-server" ] ||
    fail "tcp-s did not complete to tcp-server: $(complete_words sockit tcp-s)"
complete_words sockit tcp-client --no- | grep -qx -- '--no-shutdown' ||
    fail "tcp-client --no- did not offer --no-shutdown"
complete_words sockit tcp-server --idle | grep -qx -- '--idle-timeout' ||
    fail "tcp-server options not completed"
complete_words sockit ssh-lite e | grep -qx exec ||
    fail "ssh-lite subcommands not completed"
complete_words sockit ssh-lite exec --key | grep -qx -- '--key-file' ||
    fail "ssh-lite exec options not completed"
complete_words sockit --log-format j | grep -qx json ||
    fail "--log-format values not completed"
touch "$T/keyfile"
complete_words sockit ssh-lite exec --key-file "$T/key" | grep -q keyfile ||
    fail "--key-file does not complete file names"

# zsh: the completion function runs with zsh's completion builtins
# replaced by stand-ins that print every candidate offered.
command -v zsh >/dev/null 2>&1 || { echo "zsh not installed: zsh part skipped"; exit 0; }
zcomp="${SOCKIT_SRCDIR:-.}/completions/_sockit"
# zcomplete WORDS...: the candidates zsh would filter for the last word.
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
zcomplete sockit tcp-s | grep -qx tcp-server ||
    fail "zsh: tcp-s does not offer tcp-server: $(zcomplete sockit tcp-s)"
zcomplete sockit tcp-client --no- | grep -qx -- '--no-shutdown' ||
    fail "zsh: tcp-client options not offered"
zcomplete sockit ssh-lite "" | grep -qx exec ||
    fail "zsh: ssh-lite subcommands not offered"
zcomplete sockit ssh-lite exec --key | grep -qx -- '--key-file' ||
    fail "zsh: ssh-lite exec options not offered"
zcomplete sockit --log-format j | grep -qx json ||
    fail "zsh: --log-format values not offered"
zcomplete sockit ssh-lite server --key-file k | grep -qx '<files>' ||
    fail "zsh: --key-file does not complete file names"
zcomplete sockit tcp-server --frame l | grep -qx len32 ||
    fail "zsh: --frame values not offered"
exit 0
