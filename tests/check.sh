#!/bin/sh
# `make check`: every test, in every build it makes sense in, with one final
# summary line.  The Makefile has built build/ (static), build/dev and
# build/asan before this runs.
#   1. unit + integration + QEMU tests; integration and QEMU use the static
#      build/keel that users ship, unit tests the dev build
#   2. unit tests again under AddressSanitizer + UBSan (build/asan)
#   3. unit tests again under valgrind (build/dev)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
totals=$(mktemp)
trap 'rm -f "$totals"' EXIT
export KEEL_TEST_TOTALS=$totals

# The QEMU tests (and the integration tests that boot a guest) share one
# cached Debian kernel; fetch it once up front so none of them skips for
# want of it on a fresh machine.  Without network they skip with a reason.
if command -v qemu-system-x86_64 >/dev/null; then
	"$top/tests-qemu/fetch-kernel.sh" >/dev/null ||
		echo "check.sh: could not fetch the test kernel; QEMU tests will skip" >&2
fi

"$top/tests/run.sh" --build "$top/build" --dev "$top/build/dev" "$@"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$top/tests/run.sh" --build "$top/build/asan" --dev "$top/build/asan" --only unit --tag asan/ "$@"
"$top/tests/run.sh" --build "$top/build/dev" --dev "$top/build/dev" --only unit --valgrind --tag valgrind/ "$@"

awk '{ p += $1; f += $2; s += $3 } END { printf "TOTAL: %d passed, %d failed, %d skipped\n", p, f, s; exit f > 0 }' "$totals"
