#!/bin/bash
# The runtime's integration tests (tests/integration/runtime-*.sh, notably
# runtime-cgroup.sh) run inside the guest, on a pure cgroup v2 hierarchy
# with every controller, from a privileged oneshot container that holds
# keel, the tests, a busybox userland and the host's jq.  Their TAP lines
# come back on the console and are reported here as this test's own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
keel=${KEEL:-$top/build/keel}
ls "$top"/tests/integration/runtime-*.sh >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP the runtime's integration tests are not in this tree"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Only what the tests need: the harness libraries and the runtime tests.
mkdir -p "$tmp/tests/lib" "$tmp/tests/integration"
cp "$top"/tests/lib/*.sh "$tmp/tests/lib/"
cp "$top"/tests/integration/runtime-*.sh "$tmp/tests/integration/"
root=/containers.d/runtime-tests/rootfs
extra=(--file "$keel:$root/usr/bin/keel" --file "$tmp/tests:$root/keel-tests")
# Most runtime tests edit config.json with jq: the host's jq and the shared
# libraries it needs go into the container's root (busybox has no jq).
if jq=$(command -v jq); then
	extra+=(--file "$jq:$root/usr/bin/jq")
	for lib in $(ldd "$jq" | grep -oE '/[^ ]+\.so[^ ]*'); do
		extra+=(--file "$lib:$root$lib")
	done
fi
"$here/../../keel-qemu-test" --keel "$keel" --console-copy "$tmp/console" "${extra[@]}" \
	"$here" >"$tmp/out"
rc=$?
grep -v '^1\.\.' "$tmp/out"
n=$(grep -cE '^(not )?ok ' "$tmp/out")
# The guest's results, one TAP line each, named by their test file.
if [ -f "$tmp/console" ]; then
	sed -n 's/^.*runtime-tests | //p' "$tmp/console" | tr -d '\r' >"$tmp/guest"
	file= guest_fail=0 guest_n=0
	while IFS= read -r l; do
		case $l in
		'== '*' exit '*) ;;
		'== '*) file=${l#== integration/}; file=${file%.sh} ;;
		'ok '* | 'not ok '*)
			n=$((n + 1)) guest_n=$((guest_n + 1))
			case $l in 'not ok '*) guest_fail=$((guest_fail + 1)); st="not ok" ;; *) st=ok ;; esac
			desc=$(printf '%s' "$l" | sed -E 's/^(not )?ok [0-9]+ ?-? ?//')
			echo "$st $n - guest $file: $desc" ;;
		'1..0 # SKIP'*) echo "# guest $file skipped:${l#1..0 # SKIP}" ;;
		esac
	done <"$tmp/guest"
	if [ "$guest_n" = 0 ]; then
		n=$((n + 1))
		echo "not ok $n - the runtime tests reported nothing in the guest"
		rc=1
	fi
	[ "$guest_fail" = 0 ] || rc=1
fi
echo "1..$n"
exit $rc
