#!/bin/sh
# Every libFuzzer target builds and no committed seed crashes it: builds
# tests/fuzz/fuzz_*.c with clang, ASan and UBSan (tests/fuzz/build.sh, into
# build/fuzz, incrementally) and replays each target's seeds once
# (libFuzzer -runs=0 over tests/fuzz/corpus/NAME/, which holds the
# regression inputs of every finding so far).  Fuzzing itself is
# `make fuzz`; this only keeps the targets and their corpora honest in
# `make check`.  $KEEL is not used.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"

command -v clang >/dev/null || skip_all "clang is not installed (libFuzzer comes with it)"
command -v kconfig-conf >/dev/null || skip_all "kconfig-frontends is not installed"

# A parent make (make check) must not hand its variables or jobserver down.
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-fuzz-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$top" || exit 1
out=build/fuzz

# libFuzzer's runtime is a separate Debian package on some releases.
printf 'int LLVMFuzzerTestOneInput (const char *d, unsigned long n);\n%s\n' \
	'int LLVMFuzzerTestOneInput (const char *d, unsigned long n) { return 0; }' >"$tmp/t.c"
clang -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" >/dev/null 2>&1 ||
	skip_all "clang cannot link -fsanitize=fuzzer here (no libFuzzer runtime)"

tests/fuzz/build.sh "$out" >"$tmp/build.log" 2>&1
built=$?
[ "$built" = 0 ]
check "tests/fuzz/build.sh builds every target with clang -fsanitize=fuzzer,address,undefined"
[ "$built" = 0 ] || grep -v '^  CC ' "$tmp/build.log" | tail -n 30 | sed 's/^/#   /'

. tests/fuzz/targets.sh
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	seeds=$(fuzz_seeds "$short")
	# shellcheck disable=SC2086
	n=$(find $seeds -type f 2>/dev/null | wc -l)
	[ "$n" -gt 0 ]
	check "$name has committed seeds ($n in: $(echo "$seeds" | paste -sd ' ' -))"
	if [ ! -x "$out/$name" ]; then
		skip "$name replays its seeds" "it did not build"
		continue
	fi
	# shellcheck disable=SC2086
	TMPDIR=$tmp timeout 120 "$out/$name" -runs=0 -timeout=10 -max_len="$(fuzz_max_len "$short")" \
		-artifact_prefix="$tmp/" $seeds >"$tmp/$short.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$tmp/$short.log")
	[ "$rc" = 0 ] && [ -n "$runs" ]
	check "$name replays its seeds without a crash, leak or UB (${runs:-?} runs)"
	if [ "$rc" != 0 ] || [ -z "$runs" ]; then
		echo "#   exit status $rc; the end of its log:"
		grep -vE '^(INFO|    #[0-9]+ 0x)' "$tmp/$short.log" | tail -n 25 | sed 's/^/#   /'
	fi
done
done_testing
