#!/bin/sh
# Build the libFuzzer targets and fuzz each for SECONDS (default 60), one
# after the other, then print one line per target and a total:
#   fuzz_policy       60 s    1234567 execs  cov 412  corpus 318  ok
# TARGETs are names like `policy` or `fuzz_policy` (default: every
# tests/fuzz/fuzz_*.c); arguments after `--` go to libFuzzer.
#
# Each target starts from its committed seeds, tests/fuzz/corpus/NAME/ (the
# spec target also from tests/spec-valid/ and tests/spec-invalid/), and
# tests/fuzz/NAME.dict when there is one.  The growing corpus, the logs and
# any crash, leak or timeout reproducer stay under build/fuzz/, never in
# the source tree.  Exit status: 0 when no target found anything.
#
# usage: tests/fuzz/run.sh [SECONDS] [TARGET...] [-- LIBFUZZER-FLAGS...]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/fuzz
secs=60
case ${1:-} in [0-9]*) secs=$1; shift ;; esac

names=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	names="$names fuzz_${1#fuzz_}"
	shift
done
[ $# -gt 0 ] && shift # the --
if [ -z "$names" ]; then
	for t in tests/fuzz/fuzz_*.c; do names="$names $(basename "$t" .c)"; done
fi

# shellcheck disable=SC2086
tests/fuzz/build.sh "$out" $names
mkdir -p "$out/artifacts" "$out/logs" "$out/tmp"
# fuzz_state and fuzz_control make their files in $TMPDIR: a crash (no
# atexit cleanup) leaves them here rather than in /tmp.
TMPDIR=$top/$out/tmp
export TMPDIR

. tests/fuzz/targets.sh

summary=
failed=0
for name in $names; do
	short=${name#fuzz_}
	corpus=$out/corpus-$short
	log=$out/logs/$short.log
	mkdir -p "$corpus"
	echo "== $name: $secs s (log: $log)"
	rc=0
	# shellcheck disable=SC2046,SC2086
	"$out/$name" -max_total_time="$secs" -max_len="$(fuzz_max_len "$short")" \
		-timeout=10 -rss_limit_mb=2048 $(fuzz_dict "$short") \
		-artifact_prefix="$out/artifacts/$short-" -print_final_stats=1 "$@" "$corpus" $(fuzz_seeds "$short") >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	units=$(find "$corpus" -type f | wc -l)
	if [ "$rc" = 0 ]; then
		verdict=ok
	else
		failed=$((failed + 1))
		artifact=$(sed -n 's/^.*Test unit written to //p' "$log" | tail -n 1)
		verdict="FAILED (exit $rc${artifact:+, reproducer $artifact}; see $log)"
		tail -n 40 "$log"
	fi
	line=$(printf '%-20s %4s s %10s execs  cov %-5s corpus %-6s %s' "$name" "$secs" \
		"${execs:-?}" "${cov:-?}" "$units" "$verdict")
	echo "$line"
	summary="$summary$line
"
done
echo
printf '%s' "$summary"
n=$(echo "$names" | wc -w)
echo "fuzz: $((n - failed)) of $n targets ran ${secs} s each without a finding"
[ "$failed" = 0 ]
