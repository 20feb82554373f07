#!/bin/sh
# keel-import --update on a build host: an image becomes the next deployment
# of an entry (containers.d/NAME -> .deploy/NAME/N, docs/deployments.md), the
# --set values given at install are reused and can be changed, the image
# digest and activation time are recorded, two deployments are kept, `keel
# deploy rollback` goes back, and an entry imported before deployments
# existed becomes generation 0 on its first update.  What keel check refuses
# leaves the active deployment as it was.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/image.sh"

image_test /tmp/kdp-image-update jq umoci sha256sum gzip tar
image_need_keel

fixture_rootfs "$t/base"
echo '{"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]}}' >"$t/cfg.json"
# img DIR VERSION [CONFIG_TEMPLATE]: an atomic image whose config.json says
# $GREETING (default "hello") and whose /version is VERSION.
img() {
	rm -rf "$t/x"
	mkdir -p "$t/x/exports"
	echo "$2" >"$t/x/version"
	cat >"$t/x/exports/config.json.template" <<-'C'
	{"ociVersion": "1.0.2", "process": {"args": ["/bin/echo", "$GREETING", "$COLOR"], "cwd": "/"},
	 "root": {"path": "rootfs", "readonly": true}}
	C
	[ -z "${3:-}" ] || printf '%s\n' "$3" >"$t/x/exports/config.json.template"
	echo '{"defaultValues": {"GREETING": "hello", "COLOR": "blue"}}' >"$t/x/exports/manifest.json"
	fixture_layer "$t/base" "$t/L1.tar"
	fixture_layer "$t/x" "$t/X.tar"
	fixture_oci_image "$t/$1" latest "$t/cfg.json" "$t/L1.tar" "$t/X.tar"
}
args() { jq -c '.process.args' "$t/cd/web/config.json"; }
digest() { jq -r '.manifests[0].digest' "$t/$1/index.json"; }

mkdir "$t/cd"
img v1 v1
img v2 v2
img v3 v3
img bad bad '{"ociVersion": "1.0.2", "process": {"args": ["/bin/true"], "cwd": "/", "terminal": true}, "root": {"path": "rootfs", "readonly": true}}'

# The first install is a deployment too.
"$IMPORT" -q --keel "$KEEL" --update --name web --set GREETING=bonjour "$t/v1" "$t/cd" 2>"$t/err"
check "an update of an entry that does not exist yet installs it"
is "$(readlink "$t/cd/web")" ".deploy/web/1" "containers.d/web is a symlink to deployment 1"
is "$(cat "$t/cd/web/rootfs/version")" v1 "deployment 1 has the v1 image"
is "$(args)" '["/bin/echo","bonjour","blue"]' "its --set value was used"
is "$(jq -r .digest "$t/cd/.deploy/web/1/deploy.json")" "$(digest v1)" "deploy.json records the image's manifest digest"
is "$(jq -c .settings "$t/cd/.deploy/web/1/deploy.json")" '{"GREETING":"bonjour"}' "and the --set values"
now=$(date +%s)
a=$(jq -r .activated "$t/cd/.deploy/web/1/deploy.json")
[ "$a" -le "$now" ] && [ "$a" -gt $((now - 120)) ]
check "and when it was activated ($a)"

# v2 with no --set: the kept GREETING is reused; COLOR given now.
"$IMPORT" --keel "$KEEL" --update --name web --set COLOR=red "$t/v2" "$t/cd" 2>"$t/err"
check "update to v2"
like "$(cat "$t/err")" "reusing the settings of the active deployment: {\"GREETING\":\"bonjour\"}" "the import says which settings it reuses"
like "$(cat "$t/err")" "web: deployment 2 active" "and which deployment is active"
is "$(readlink "$t/cd/web")" ".deploy/web/2" "containers.d/web -> deployment 2"
is "$(cat "$t/cd/web/rootfs/version")" v2 "the v2 image"
is "$(args)" '["/bin/echo","bonjour","red"]' "the install's GREETING kept, COLOR changed by the update"
is "$(ls -A "$t/cd/.deploy/web" | tr '\n' ' ')" "1 2 " "both deployments side by side"
is "$("$KEEL" deploy settings "$t/cd" web)" '{"COLOR":"red","GREETING":"bonjour"}' "keel deploy settings: the active deployment's"

# v3: keep 2 drops deployment 1.
"$IMPORT" -q --keel "$KEEL" --update --name web --set GREETING=hallo "$t/v3" "$t/cd"
check "update to v3"
is "$(ls -A "$t/cd/.deploy/web" | tr '\n' ' ')" "2 3 " "the last two kept (--keep 2, the default)"
is "$(args)" '["/bin/echo","hallo","red"]' "GREETING changed, COLOR kept"
is "$(ls -A "$t/cd" | tr '\n' ' ')" ".deploy web " "no work directory or switch link left in containers.d"

# An image keel check refuses: nothing changes.
out=$("$IMPORT" -q --keel "$KEEL" --update --name web "$t/bad" "$t/cd" 2>&1)
like "$out" "keel-import: error: .*process.terminal" "a refused image is refused with keel check's message"
is "$(readlink "$t/cd/web")" ".deploy/web/3" "and deployment 3 stays active"
is "$(ls -A "$t/cd/.deploy/web" | tr '\n' ' ')" "2 3 " "with no new deployment"

# Rollback on the build host, then --keep 3.
out=$("$KEEL" deploy rollback "$t/cd" web)
is "$out" "web: deployment 2 active" "keel deploy rollback goes to the one before"
is "$(cat "$t/cd/web/rootfs/version")" v2 "v2 again"
"$IMPORT" -q --keel "$KEEL" --update --keep 3 --name web "$t/v1" "$t/cd"
check "update from the rolled-back deployment 2 with --keep 3"
is "$(readlink "$t/cd/web")" ".deploy/web/4" "the next generation is 4 (3 was used)"
is "$(ls -A "$t/cd/.deploy/web" | tr '\n' ' ')" "2 3 4 " "three kept"
is "$(args)" '["/bin/echo","bonjour","red"]' "settings came from deployment 2, the active one"
lines=$("$KEEL" deploy list "$t/cd" web | sed 's/activated=[^ ]*/activated=T/')
is "$lines" "web 2 digest=$(digest v2) activated=T settings=COLOR=red,GREETING=bonjour
web 3 digest=$(digest v3) activated=T settings=COLOR=red,GREETING=hallo
web 4 active digest=$(digest v1) activated=T settings=COLOR=red,GREETING=bonjour" "keel deploy list"

# An entry from a plain import becomes generation 0 on its first update.
"$IMPORT" -q --keel "$KEEL" --name old --set GREETING=plain "$t/v1" "$t/cd"
check "a plain import"
[ -d "$t/cd/old" ] && [ ! -L "$t/cd/old" ]
check "is a plain directory"
out=$("$IMPORT" -q --keel "$KEEL" --name old "$t/v2" "$t/cd" 2>&1)
like "$out" "already exists .use --force to replace it.$" "a plain import over it is refused without --force"
"$IMPORT" -q --keel "$KEEL" --update --name old "$t/v2" "$t/cd"
check "update the plain entry"
is "$(readlink "$t/cd/old")" ".deploy/old/1" "it is deployment 1 now"
is "$(cat "$t/cd/.deploy/old/0/rootfs/version")" v1 "the plain directory is deployment 0"
is "$(jq -r '.process.args[1]' "$t/cd/old/config.json")" plain "the plain import's --set value reused (its deploy.json)"
is "$(jq -r .digest "$t/cd/.deploy/old/0/deploy.json")" "$(digest v1)" "deployment 0 has its digest"
out=$("$IMPORT" -q --keel "$KEEL" --force --name old "$t/v2" "$t/cd" 2>&1)
like "$out" "old has deployments .docs/deployments.md.: use --update$" "--force does not throw deployments away"
"$KEEL" deploy rollback "$t/cd" old >/dev/null
check "keel deploy rollback to deployment 0"
is "$(cat "$t/cd/old/rootfs/version")" v1 "rollback to deployment 0"

# The store refuses what it did not make.
ln -s /etc "$t/cd/evil"
out=$("$IMPORT" -q --keel "$KEEL" --update --name evil "$t/v1" "$t/cd" 2>&1)
is "$out" "keel-import: error: deployments of \`evil\`: evil: a symlink to \`/etc\`, not to a deployment (.deploy/evil/N)" \
	"containers.d/NAME linking elsewhere is refused"
rm "$t/cd/evil"

# PID 1's view: keel check reads entries through their deployment link.
out=$("$KEEL" check "$t/cd" 2>&1)
like "$out" "keel check: 2 entries, 2 accepted, 0 refused" "keel check accepts the deployed entries and skips .deploy" || printf '%s\n' "$out" >&2

done_testing
