#!/bin/sh
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang and
# ASan+UBSan into OUTDIR (default build/fuzz), against the dev
# configuration's autoconf.h.  Only the sources the targets need are
# compiled, and libseccomp is deliberately not linked.
#
# usage: tests/fuzz/build.sh [OUTDIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=${1:-build/fuzz}
CC=${CC:-clang}

[ -f "$out/.config" ] || make --no-print-directory O="$out" dev_defconfig
make --no-print-directory O="$out" "$out/include/generated/autoconf.h"

flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -I. -I$out/include
	-include generated/autoconf.h $(pkg-config --cflags json-c mount)"
srcs="lib/error.c lib/util.c $(ls runtime/spec-*.c)"
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	echo "  FUZZ    $out/$name"
	# shellcheck disable=SC2086
	$CC $flags -o "$out/$name" "$t" $srcs -ljson-c -lcap -lmount
done
