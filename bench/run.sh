#!/bin/sh
# Runs every benchmark in bench/ against the given keel binary.  Each prints
# its own figures (medians and ratios against crun/runc); nothing here
# asserts a time, because these machines are shared and noisy.
# usage: bench/run.sh [KEEL_BINARY]
set -u
here=$(cd "$(dirname "$0")" && pwd)
keel=$(realpath "${1:-$here/../build/keel}")
status=0
for b in runtime steps clients init boot; do
	[ -x "$here/$b.sh" ] || continue
	echo "=== bench/$b.sh"
	"$here/$b.sh" "$keel" || status=1
done
exit $status
