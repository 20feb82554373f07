#!/bin/sh
# keel-import checks every entry with `keel check`, PID 1's own loading code:
# an image that PID 1 would refuse at boot is refused at import, with the
# line the boot would have printed, one case per kind of refusal (config.json,
# process.terminal, rootfs, keel.json, tmpfiles.conf, an unknown required
# container, a dependency cycle; the name, by keel check), and nothing is
# left behind.  Also `keel
# check` on its own, on an entry and on a whole containers.d.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/image.sh"

image_test /tmp/keel-image-check jq umoci sha256sum gzip tar
image_need_keel

fixture_rootfs "$t/l1"
echo '{"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]}}' >"$t/cfg.json"
mkdir "$t/cd"
fixture_entry "$t/cd" a

# img NAME: an image whose /exports is $t/x/ (then emptied for the next one).
img() {
	fixture_layer "$t/l1" "$t/L1.tar"
	fixture_layer "$t/x" "$t/X.tar"
	rm -rf "${t:?}/$1" "$t/x"
	fixture_oci_image "$t/$1" latest "$t/cfg.json" "$t/L1.tar" "$t/X.tar"
	mkdir -p "$t/x/exports"
}
good='"ociVersion": "1.0.2", "process": {"args": ["/bin/true"], "cwd": "/"}, "root": {"path": "rootfs", "readonly": true}'
mkdir -p "$t/x/exports"

echo "{$good, \"hostname\": \"h\"}" >"$t/x/exports/config.json"
img i1
out=$("$IMPORT" -q --keel "$KEEL" --name c1 "$t/i1" "$t/cd" 2>&1)
is "$out" "keel-import: error: $t/cd/c1/config.json: hostname: needs a UTS namespace in linux.namespaces" \
	"config.json: the runtime's spec message, naming the entry where it would be"

echo "{$good}" | jq '.process.terminal = true' >"$t/x/exports/config.json"
img i2
out=$("$IMPORT" -q --keel "$KEEL" --name c2 "$t/i2" "$t/cd" 2>&1)
is "$out" "keel-import: error: $t/cd/c2/config.json: process.terminal: keel gives a container a log pipe, not a terminal; set it to false" \
	"process.terminal: PID 1's own refusal"

echo "{$good}" | jq '.root.path = "other"' >"$t/x/exports/config.json"
img i3
out=$("$IMPORT" -q --keel "$KEEL" --name c3 "$t/i3" "$t/cd" 2>&1)
is "$out" "keel-import: warning: /exports/config.json: root.path is \"other\", not \"rootfs\" (the image is unpacked in rootfs/)
keel-import: error: $t/cd/c3/config.json: root.path: \`$t/cd/c3/other\` is not a directory (missing rootfs: see containers.d/build-rootfs.sh)" \
	"rootfs: a root that will not exist"

echo "{$good}" >"$t/x/exports/config.json"
printf '[Service]\nKillSignal=SIGNOPE\n' >"$t/x/exports/service.template"
img i4
out=$("$IMPORT" -q --keel "$KEEL" --name c4 "$t/i4" "$t/cd" 2>&1)
like "$out" "^keel-import: error: $t/cd/c4/keel.json: stop.signal: .*SIGNOPE" "keel.json: the policy's message"

echo "{$good}" >"$t/x/exports/config.json"
printf 'd relative/dir 0755 0 0 - -\n' >"$t/x/exports/tmpfiles.template"
img i5
out=$("$IMPORT" -q --keel "$KEEL" --name c5 "$t/i5" "$t/cd" 2>&1)
like "$out" "^keel-import: error: $t/cd/c5/tmpfiles.conf:1: .*relative/dir" "tmpfiles.conf: the line PID 1 would refuse"

echo "{$good}" >"$t/x/exports/config.json"
printf '[Unit]\nRequires=nothere.service\n' >"$t/x/exports/service.template"
img i6
out=$("$IMPORT" -q --keel "$KEEL" --name c6 "$t/i6" "$t/cd" 2>&1)
is "$out" "keel-import: error: $t/cd/c6/keel.json: requires[0]: unknown container \"nothere\" (no such entry in containers.d)" \
	"graph: a required container the containers.d does not have (import it first)"

# a requires cyc; cyc requires a.
jq '.requires = ["cyc"]' "$t/cd/a/keel.json" >"$t/k" && mv "$t/k" "$t/cd/a/keel.json"
echo "{$good}" >"$t/x/exports/config.json"
printf '[Unit]\nRequires=a.service\n' >"$t/x/exports/service.template"
img i7
out=$("$IMPORT" -q --keel "$KEEL" --name cyc "$t/i7" "$t/cd" 2>&1)
like "$out" "^keel-import: error: $t/cd/cyc/keel.json: requires\\[0\\]: dependency cycle among" "graph: a cycle with an entry already there"
is "$(echo "$out" | grep -c "$t/cd/a/")" 0 "the other entry's own failure is not shown as the import's"
is "$(ls -A "$t/cd" | tr '\n' ' ')" "a " "refused imports leave nothing behind"

# Accepted: the same image once the cycle is gone; a warning of PID 1 is shown.
echo '{"kind": "service", "wants": ["later"]}' >"$t/cd/a/keel.json"
printf '[Unit]\nRequires=a.service\n' >"$t/x/exports/service.template"
echo "{$good}" >"$t/x/exports/config.json"
img i8
out=$("$IMPORT" -q --keel "$KEEL" --name ok "$t/i8" "$t/cd" 2>&1)
check "an entry PID 1 accepts is imported"
is "$out" "" "without a word"
out=$("$IMPORT" -q --keel "$KEEL" --name ok2 --no-check "$t/i8" "$t/cd" 2>&1)
is "$out" "keel-import: warning: --no-check: the entry was not checked; keel may refuse it at boot" "--no-check says so"
out=$("$IMPORT" -q --keel /nonexistent/keel --name ok3 "$t/i8" "$t/cd" 2>&1)
is "$out" "keel-import: error: keel is needed to check the entry as PID 1 will (\`/nonexistent/keel\` is not executable): give --keel PATH, or --no-check" \
	"no keel, no unchecked import"

# keel check on its own.
out=$("$KEEL" check "$t/cd/ok" 2>&1)
check "keel check ENTRY: 0 when accepted"
is "$out" "$t/cd/ok: ok" "and says so"
out=$("$KEEL" check "$t/cd" 2>&1)
check "keel check CONTAINERS_D: 0 when all are accepted"
like "$out" "wants\\[0\\]: unknown container \"later\", ignored" "PID 1's warnings are shown"
like "$out" "^keel check: 3 entries, 3 accepted, 0 refused$" "with a summary"
echo '{"kind": "sometimes"}' >"$t/cd/ok2/keel.json"
out=$("$KEEL" check "$t/cd" 2>/dev/null)
[ $? = 1 ]
check "keel check CONTAINERS_D: 1 when one is refused"
is "$(echo "$out" | tail -n1)" "keel check: 3 entries, 2 accepted, 1 refused" "counted"
# The name class: keel-import refuses a bad --name itself; keel check, on
# a containers.d, says what PID 1 would.
mkdir "$t/cd3"
fixture_entry "$t/cd3" "bad name"
out=$("$KEEL" check "$t/cd3" 2>&1)
[ $? = 1 ]
check "keel check: an entry whose directory name is not a container name is refused"
like "$out" "\"bad name\" is not a valid container name" "... with PID 1's message"
"$KEEL" check --bogus "$t/cd" 2>/dev/null
[ $? = 2 ]
check "a usage error is 2"

done_testing
