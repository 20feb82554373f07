#!/bin/sh
# Build and run the config.json fuzzer for SECONDS (default 60), seeded with
# the valid and invalid configs under tests/ and a dictionary of spec
# field names.  New corpus entries and crash files go to build/fuzz/, never
# into the source tree.  Exit status is the fuzzer's (non-zero on a crash).
#
# usage: tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
secs=${1:-60}
[ $# -gt 0 ] && shift
tests/fuzz/build.sh build/fuzz
corpus=build/fuzz/corpus-spec
mkdir -p "$corpus" build/fuzz/artifacts
cp tests/spec-valid/*.json tests/spec-invalid/*.json "$corpus"/
exec build/fuzz/fuzz_spec -max_total_time="$secs" -max_len=16384 -timeout=10 \
	-dict=tests/fuzz/spec.dict -artifact_prefix=build/fuzz/artifacts/ \
	-print_final_stats=1 "$@" "$corpus"
