#!/bin/sh
# keel's test runner: runs every test program, each of which speaks TAP
# (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP, shell tests through
# tests/lib/tap.sh), and prints one summary line CI can read:
#   N passed, N failed, N skipped
# A program that exits non-zero without reporting a failure counts as one
# failure (a crash must never pass); exit 77 without output is a skip.
#
# usage: tests/run.sh [--build DIR] [--dev DIR]
#                     [--only unit,integration,qemu,conformance]
#                     [--valgrind] [--tag NAME] [FILTER]
#   --valgrind  run the unit tests under valgrind (leaks and errors fail)
#   --tag NAME  prefix test names (e.g. "asan/") so several runs read apart
# conformance: runc's own bats suite against keel-runtime
# (tests/conformance/), on $RUNC_SRC or on Debian's runc source, which
# tests/conformance/fetch-runc-src.sh fetches once into ~/.cache/keel/runc-src
# (a skip with the reason when it cannot: no network, no APT).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=$top/build
dev=$top/build/dev
only=unit,integration,qemu,conformance
filter=
wrap=
tag=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(cd "$2" && pwd); shift 2 ;;
	--dev) dev=$(cd "$2" && pwd); shift 2 ;;
	--only) only=$2; shift 2 ;;
	--valgrind) wrap="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"; shift ;;
	--tag) tag=$2; shift 2 ;;
	*) filter=$1; shift ;;
	esac
done

export KEEL="$build/keel" KEEL_DEV="$dev/keel" KEEL_TEST_DATA="$top/tests" CMOCKA_MESSAGE_OUTPUT=TAP
logdir=$build/test-logs
mkdir -p "$logdir"
pass=0 fail=0 skip=0
failed_list=

# Run one TAP-speaking program; its output goes to the terminal and a log.
run_one() {
	name=$1; shift
	case $name in *"$filter"*) ;; *) return ;; esac
	log=$logdir/$(echo "$name" | tr '/' '_').log
	echo "== $name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok ' "$log" | tr -d ' ')
	s=$(grep -ciE '^ok [0-9]+.*# *skip' "$log" | tr -d ' ')
	f=$(grep -c '^not ok ' "$log" | tr -d ' ')
	# cmocka 1.1.x reports skip() as "not ok N # SKIP name": a skip.
	ns=$(grep -ciE '^not ok [0-9]+ *# *skip' "$log" | tr -d ' ')
	p=$((p - s)) s=$((s + ns)) f=$((f - ns))
	if [ "$rc" = 77 ] && [ "$p$f" = 00 ]; then
		s=$((s + 1))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name exited with status $rc without reporting a failure"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	[ "$f" = 0 ] || failed_list="$failed_list $name"
}

want() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }

if want unit; then
	for t in "$dev"/tests/test_*; do
		[ -x "$t" ] || continue
		# shellcheck disable=SC2086
		run_one "${tag}unit/$(basename "$t")" $wrap "$t"
	done
fi
if want integration; then
	for t in "$top"/tests/integration/*.sh; do
		[ -x "$t" ] || continue
		run_one "${tag}integration/$(basename "$t" .sh)" "$t"
	done
fi
if want qemu; then
	for t in "$top"/tests-qemu/scenarios/*/run.sh "$top"/tests-qemu/test-*.sh; do
		[ -x "$t" ] || continue
		case $t in
		*/run.sh) n=$(basename "$(dirname "$t")") ;;
		*) n=$(basename "$t" .sh) ;;
		esac
		run_one "${tag}qemu/$n" "$t"
	done
fi

if want conformance; then
	# $RUNC_SRC, else Debian's runc source, fetched once into the cache
	# (a skip with the reason when it cannot be).
	if [ -n "${RUNC_SRC:-}" ]; then
		run_one "${tag}conformance/runc-bats" "$top/tests/conformance/runc-bats.sh" "$RUNC_SRC"
	else
		run_one "${tag}conformance/runc-bats" "$top/tests/conformance/runc-bats.sh" --fetch
	fi
fi

[ -z "$failed_list" ] || echo "failed:$failed_list (logs in $logdir)"
echo "$pass passed, $fail failed, $skip skipped"
# Machine-readable totals for `make check`, which adds several runs up.
[ -z "${KEEL_TEST_TOTALS:-}" ] || echo "$pass $fail $skip" >>"$KEEL_TEST_TOTALS"
[ "$fail" = 0 ]
