#!/bin/sh
# keel has one container-name rule (lib/name.h): containers.d entry names,
# keel.json dependencies and runtime container ids.  keel-import checks
# names before writing an entry with a shell copy of it
# (initramfs/import/lib/common.sh valid_name).  This runs both over the
# same names, edge cases first, and fails on any disagreement.
. "$(dirname "$0")/../lib/tap.sh"

: "${KEEL:?KEEL must name the keel binary under test}"
top=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/keel-name-rule.XXXXXX)
trap 'rm -rf "$T"' EXIT

# keel-import's helpers, in a subshell so their globals stay there
shell_valid() {
	( . "$top/initramfs/import/lib/common.sh" && valid_name "$1" )
}

# keel's C rule, through the runtime: a valid id gets "does not exist"
keel_valid() {
	out=$("$KEEL" runtime --root "$T" state -- "$1" 2>&1)
	case $out in
	*"does not exist"*) return 0 ;;
	*"invalid container id"* | *"cannot be empty"*) return 1 ;;
	*) echo "# unexpected answer for '$1': $out"; return 2 ;;
	esac
}

long() { printf "%$1s" '' | tr ' ' "$2"; }

names="web a A 0 9lives net-2 db_main x+y v1.2 a.. ..a a-"
names="$names $(long 127 a) $(long 128 b) $(long 129 c) $(long 300 d)"
bad_chars='. .. .hidden -x -- a/b a:b a@b é a\tb'
agree=0 disagree=0 accepted=0
check_name() {
	shell_valid "$1"; s=$?
	keel_valid "$1"; k=$?
	[ "$s" = 0 ] && accepted=$((accepted + 1))
	if [ "$k" = 2 ] || [ "$s" != "$k" ]; then
		echo "# disagree on '$1' (${#1} chars): keel-import $s, keel $k"
		disagree=$((disagree + 1))
	else
		agree=$((agree + 1))
	fi
}
for n in $names $bad_chars; do check_name "$n"; done
check_name ''
check_name 'a b'
check_name "$(printf 'a\nb')"
# every printable ASCII character alone and inside a name
for i in $(seq 33 126); do
	c=$(printf "\\$(printf %o "$i")")
	check_name "$c"
	check_name "x$c"
done
is "$disagree" 0 "keel-import's valid_name and keel agree on all $agree names"
[ "$accepted" -gt 60 ] && [ "$accepted" -lt "$agree" ]
check "both accept some and refuse some ($accepted of $agree accepted)"

shell_valid "$(long 128 a)" && ! shell_valid "$(long 129 a)"
check "the limit is 128 characters (KEEL_NAME_MAX)"
grep -q '^#define KEEL_NAME_MAX 128$' "$top/lib/name.h"
check "lib/name.h says 128 too"

done_testing
