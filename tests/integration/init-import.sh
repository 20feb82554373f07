#!/bin/sh
# keelctl update NAME SRC from an image, with keel as PID 1 of a PID
# namespace: SRC an OCI image layout directory, a `docker save` archive
# (made offline by skopeo from a local layout) and a tar of an OCI layout.
# keel runs the import in the importer container (initramfs/importer,
# init/importjob.c); the new content runs, deploy.json has the manifest
# digest (the one keel-import computes on the build host for the same
# image) and the --set values are kept and changed.  Then, as an
# attacker: images whose layers reach out of the rootfs (../ names,
# absolute symlinks written through, hard links to host files, whiteouts
# of host paths), device nodes, a file larger than the importer may
# write, a digest that is a path; and an importer that is itself hostile
# (what a bug in the unpacker would give an image): it cannot write the
# host, SRC or containers.d, open a device, reach a network, mount or
# gain a capability.  Bad inputs to keelctl and to PID 1's request get
# precise errors and PID 1 keeps running.
. "$(dirname "$0")/init-lib.sh"
. "$(dirname "$0")/image-lib.sh"
fixture_need jq umoci python3
command -v skopeo >/dev/null || skip_all "skopeo is not installed (it makes the docker archive)"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)

LOOP='trap "exit 0" TERM; while :; do sleep 0.1; done'
make_rootfs
entry web "echo web-v1; $LOOP"
entry kimother "echo other-up; $LOOP"

# The importer, as keel-mkimage --importer builds it; a file of more than
# 16 MiB fails the import (RLIMIT_FSIZE), and layers of more than 24 MiB.
"$SRCDIR/initramfs/importer/build.sh" --max-file 16777216 --max-size 25165824 "$T/importer"
check "the importer bundle is built"
is "$(jq -r '.process.capabilities.bounding | join(",")' "$T/importer/config.json")" \
	"CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_MKNOD,CAP_SETFCAP" "the importer keeps six capabilities"
is "$(jq -r '.linux.seccomp.syscalls[0].names | index("unshare") != null and index("bpf") != null' "$T/importer/config.json")" true \
	"its seccomp filter refuses unshare and bpf"
is "$(jq -c '.linux.resources.devices' "$T/importer/config.json")" '[{"allow":false,"access":"rwm"}]' \
	"a device filter: no device but the runtime's defaults opens (keel's runtime sets none without a rule)"
is "$(jq -c '[.linux.namespaces[].type]' "$T/importer/config.json")" \
	'["pid","mount","ipc","uts","network","cgroup"]' "a network namespace of its own (no network)"

# Images: a busybox root, one layer more with what the version prints.
# version NAME CMD [atomic service.template]: an OCI layout $T/img/NAME.
fixture_rootfs "$T/fx/base"
fixture_layer "$T/fx/base" "$T/fx/base.tar"
version() {
	rm -rf "$T/fx/x" "$T/img/$1"
	mkdir -p "$T/fx/x/etc"
	echo "$1" >"$T/fx/x/etc/version"
	if [ -n "${3:-}" ]; then
		mkdir -p "$T/fx/x/exports"
		printf '%b' "$3" >"$T/fx/x/exports/service.template"
	fi
	fixture_layer "$T/fx/x" "$T/fx/x.tar" gzip
	cp "$T/fx/base.tar" "$T/fx/b.tar"
	jq -n --arg c "$2" '{architecture: "amd64", os: "linux",
		config: {Cmd: ["/bin/sh", "-c", $c], Env: ["PATH=/bin"]}}' >"$T/fx/cfg.json"
	fixture_oci_image "$T/img/$1" latest "$T/fx/cfg.json" "$T/fx/b.tar" "$T/fx/x.tar:gzip"
}
manifest_of() { jq -r '.manifests[0].digest' "$T/img/$1/index.json"; }
version v2 "echo web-v2 \$(cat /etc/version); $LOOP" \
	'[Unit]\nDescription=web says $GREETING\n[Service]\nRestart=on-failure\n'
version v3 "echo web-v3 \$(cat /etc/version); $LOOP" \
	'[Unit]\nDescription=web says $GREETING\n[Service]\nRestart=on-failure\n'
version v4 "echo web-v4 \$(cat /etc/version); $LOOP"
skopeo copy -q "oci:$T/img/v3:latest" "docker-archive:$T/web-v3.tar:example.com/web:v3" 2>"$T/skopeo.err"
check "skopeo made a docker archive of v3 (offline, from the local layout)"
(cd "$T/img/v4" && tar --sort=name --mtime=@0 --owner=0 --group=0 -cf "$T/web-v4.oci.tar" oci-layout index.json blobs)
check "a tar of v4's layout (an OCI archive)"
# What keel-import on the build host says the docker archive's digest is.
mkdir -p "$T/hostcd" "$T/src-entry"
: >"$T/src-entry/config.json"
"$SRCDIR/initramfs/import/keel-import" -q --no-check -n web --set GREETING=bonjour "$T/web-v3.tar" "$T/hostcd" 2>"$T/hostcd.err"
check "keel-import on the host reads the docker archive"
v3digest=$(jq -r .manifest "$T/hostcd/web/import.json")

start_keel --importer "$T/importer"
wait_for 'Startup finished' 15
check "started"
trap 'show_log_on_failure; cleanup' EXIT
pid_of() { ctl status "$1" | awk '/^pid:/ {print $2}'; }
po=$(pid_of kimother)
leftovers() { ls -A "$D" | grep -E '^\.web\.(import|imported|update)\.' || true; }
# A raw request to PID 1, as any client of its socket may send it.
req() { python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode()+b"\n")
print(s.makefile().read().strip())' "$T/state/keel.sock" "$1"; }


# ---- an OCI image layout directory ------------------------------------------
out=$(ctl update web "$T/img/v2" --set GREETING=bonjour --timeout 20 2>&1)
check "keelctl update web from an OCI layout directory"
echo "$out" | sed 's/^/# /'
like "$out" "^web: importing $T/img/v2 in the importer container" "it runs the importer"
like "$out" "^web: deployment 1 is ready: committed" "committed once ready"
like "$(ctl logs web | tail -n 1)" "web-v2 v2" "web runs v2's content"
is "$(jq -r .digest "$D/.deploy/web/1/deploy.json")" "$(manifest_of v2)" "deploy.json: the layout's manifest digest"
like "$(ctl status web)" "^digest: $(manifest_of v2)" "keelctl status shows it"
is "$(jq -c .settings "$D/.deploy/web/1/deploy.json")" '{"GREETING":"bonjour"}' "the --set value kept"
like "$(ctl status web)" "^description: web says bonjour" "and used (the image's service.template)"
is "$(jq -r .source "$D/.deploy/web/1/deploy.json")" "$T/img/v2" "deploy.json: the source"
is "$(jq -r .source "$D/.deploy/web/1/import.json")" "$T/img/v2" "import.json: the source as the node names it"
is "$(leftovers)" "" "no work directory left in containers.d"
is "$(ls "$T/run" | grep -c keel-import)" 0 "no importer container left in the runtime's state"

# ---- a docker save archive ----------------------------------------------------
out=$(ctl update web "$T/web-v3.tar" --timeout 20 2>&1)
check "keelctl update web from a docker archive"
echo "$out" | sed 's/^/# /'
like "$(ctl logs web | tail -n 1)" "web-v3 v3" "web runs v3's content"
is "$(jq -r .digest "$D/.deploy/web/2/deploy.json")" "$v3digest" "deploy.json: the digest keel-import gives on the build host"
is "$(jq -c .settings "$D/.deploy/web/2/deploy.json")" '{"GREETING":"bonjour"}' "GREETING kept from the active deployment"
like "$(ctl status web)" "^description: web says bonjour" "and used again"

# ---- a tar of an OCI layout, --set changing a value -----------------------------
# What a keelctl killed in the middle of an import leaves: removed by the next.
mkdir -p "$D/.web.import.kistal/work/out" "$D/.web.imported.kistal/rootfs"
# ... but not what a keelctl update of web that still runs holds (its
# imported entry between the job and deploy_add: no job runs then).
mkdir -p "$D/.web.imported.kilive/rootfs"
flock "$D/.web.imported.kilive" sleep 60 &
live=$!
sleep 0.3
out=$(ctl update web "$T/web-v4.oci.tar" --set GREETING=hallo --timeout 20 2>&1)
check "keelctl update web from an OCI archive"
echo "$out" | sed 's/^/# /'
like "$out" "^web: removed .web.import.kistal, left by an import that did not finish" "a stale work directory is removed"
like "$out" "^web: removed .web.imported.kistal, left by an import that did not finish" "and a stale imported entry"
[ -d "$D/.web.imported.kilive/rootfs" ]
check "an imported entry a live keelctl holds locked is kept"
kill "$live" 2>/dev/null; wait "$live" 2>/dev/null
rm -rf "$D/.web.imported.kilive"
like "$(ctl logs web | tail -n 1)" "web-v4 v4" "web runs v4's content"
like "$(ctl status web)" "^description: image web-v4.oci.tar \(manifest sha256:" "its description names the archive"
is "$(jq -r .digest "$D/.deploy/web/3/deploy.json")" "$(manifest_of v4)" "deploy.json: v4's manifest digest"
is "$(jq -c .settings "$D/.deploy/web/3/deploy.json")" '{"GREETING":"hallo"}' "--set changed the value"
is "$(pid_of kimother)" "$po" "kimother's pid unchanged"
is "$(leftovers)" "" "no work directory left"

# ---- an entry that does not exist yet: its first deployment -----------------------
out=$(ctl update kinew "$T/img/v4" --timeout 20 2>&1)
check "keelctl update kinew (a new entry) from an OCI layout"
like "$out" "^kinew: deployment 1 active \(first deployment\), reloading" "its first deployment"
like "$(ctl logs kinew | tail -n 1)" "web-v4 v4" "kinew runs the image"
out=$(ctl stop kinew 2>&1)
check "kinew stopped"

# ---- keelctl rollback works on imported deployments as on copied ones -----------
out=$(ctl rollback web --timeout 20 2>&1)
check "keelctl rollback web"
like "$(ctl logs web | tail -n 1)" "web-v3 v3" "back to v3"



# ---- --no-exports: an atomic image imported as a plain one ------------------------
out=$(ctl update web "$T/img/v3" --no-exports --timeout 20 2>&1)
check "keelctl update web --no-exports"
like "$(ctl status web)" "^description: image v3 \(manifest sha256:" "the image's service.template is not used"
like "$(ctl logs web | tail -n 1)" "web-v3 v3" "web runs v3"
out=$(ctl update web "$T/src-entry" --no-exports 2>&1)
is "$?" 2 "--no-exports with an entry directory is refused"
like "$out" "--no-exports is for an image: $T/src-entry is an entry directory" "saying why"

# ---- images that try to reach out ---------------------------------------------
# Host places an image names: none may change.
H=/tmp/ki-host-$$
mkdir -p "$H"
echo victim >"$H/victim"
EXTRA_CLEANUP='rm -rf "$H" /tmp/ki-escape-$$ /tmp/ki-abs-$$'
state_before() { (cd "$T/img/${1:-v2}" && find . -printf '%p %s %m %T@\n' | LC_ALL=C sort | sha256sum); }
D_before() { ls -A "$D" | tr '\n' ' '; }
src_sum=$(state_before)
d_list=$(D_before)
python3 - "$T/fx/evil.tar" "$H" "$$" <<'PY'
import io, sys, tarfile
out, host, pid = sys.argv[1], sys.argv[2], sys.argv[3]
t = tarfile.open(out, "w", format=tarfile.GNU_FORMAT)
def add(name, kind=tarfile.REGTYPE, data=b"pwned\n", link="", major=0, minor=0):
    i = tarfile.TarInfo(name)
    i.type, i.linkname, i.devmajor, i.devminor, i.mode = kind, link, major, minor, 0o644
    if kind == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
add("../../../../../../../../tmp/ki-escape-" + pid)          # ../ names
add("/tmp/ki-abs-" + pid)                                     # an absolute name
add("hostlink", tarfile.SYMTYPE, link=host)                   # a link to the host ...
add("hostlink/pwned")                                         # ... written through
add("rel", tarfile.SYMTYPE, link="../../../../../../../.." + host)
add("rel/pwned2")
add("hostlink/.wh.victim")                                    # a whiteout through a link
add("../../../../../../../.." + host + "/.wh.victim")         # a whiteout with ../
add("mem", tarfile.CHRTYPE, major=1, minor=1)                 # device nodes: kept in the
add("sda", tarfile.BLKTYPE, major=8, minor=0)                 # image, never opened here
add("hard", tarfile.LNKTYPE, link="../../../../../../../.." + host + "/victim")  # a hard link out
t.close()
PY
check "made a layer with ../ names, links out, a hard link out, whiteouts out, device nodes"
rm -rf "$T/img/evil"
cp "$T/fx/base.tar" "$T/fx/b.tar"
jq -n --arg c "echo web-evil; ls -l /mem /sda; $LOOP" '{architecture: "amd64", os: "linux",
	config: {Cmd: ["/bin/sh", "-c", $c], Env: ["PATH=/bin"]}}' >"$T/fx/cfg.json"
fixture_oci_image "$T/img/evil" latest "$T/fx/cfg.json" "$T/fx/b.tar" "$T/fx/evil.tar"
evil_sum=$(state_before evil)
out=$(ctl update web "$T/img/evil" --timeout 20 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
is "$(ls -A "$H" | tr '\n' ' ')" "victim " "the host directory the image names holds its file only"
is "$(cat "$H/victim")" victim "... unchanged"
[ ! -e /tmp/ki-escape-$$ ] && [ ! -e /tmp/ki-abs-$$ ]
check "no file made on the host by a ../ or an absolute name"
is "$(state_before evil)" "$evil_sum" "SRC is unchanged"
is "$(leftovers)" "" "no work directory left"
if [ "$rc" = 0 ]; then
	# umoci kept every name inside the rootfs: the entry holds them there.
	g=$(readlink "$D/web")
	[ -L "$D/$g/rootfs/hostlink" ] && [ ! -e "$D/$g/rootfs/hostlink/pwned" ] || [ ! -e "$H/pwned" ]
	check "the imported entry is the image's (accepted: every name was kept inside its rootfs)"
	like "$(ctl logs web | tail -n 3)" "web-evil|mem|sda" "and runs"
	ctl rollback web --timeout 20 >/dev/null 2>&1
	check "rolled back by hand"
else
	like "$out" "keel-import: error" "refused by the importer, saying why"
fi

# A docker archive whose own members reach out (the importer unpacks the
# archive itself with busybox tar before it reads a layer).
cp "$T/web-v3.tar" "$T/evil-docker.tar"
python3 - "$T/evil-docker.tar" "$H" "$$" <<'PY'
import io, sys, tarfile
out, host, pid = sys.argv[1], sys.argv[2], sys.argv[3]
t = tarfile.open(out, "a", format=tarfile.GNU_FORMAT)
def add(name, kind=tarfile.REGTYPE, link="", major=0, minor=0):
    i = tarfile.TarInfo(name)
    i.type, i.linkname, i.devmajor, i.devminor, i.mode = kind, link, major, minor, 0o644
    data = b"pwned\n"
    if kind == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
add("../../../../../../../../tmp/ki-escape-" + pid)
add("/tmp/ki-abs-" + pid)
add("hostlink", tarfile.SYMTYPE, link=host)
add("hostlink/pwned")
add("sda", tarfile.BLKTYPE, major=8, minor=0)
t.close()
PY
check "made a docker archive with ../ and absolute members, a link out written through, a device node"
evil_sum=$(sha256sum <"$T/evil-docker.tar")
out=$(ctl update web "$T/evil-docker.tar" --timeout 20 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
is "$(ls -A "$H" | tr '\n' ' ')" "victim " "the host directory the archive names holds its file only"
[ ! -e /tmp/ki-escape-$$ ] && [ ! -e /tmp/ki-abs-$$ ]
check "no file made on the host by the archive's ../ or absolute names"
is "$(sha256sum <"$T/evil-docker.tar")" "$evil_sum" "SRC is unchanged"
is "$(leftovers)" "" "no work directory left"
if [ "$rc" = 0 ]; then
	like "$(ctl logs web | tail -n 1)" "web-v3 v3" "the archive's image (its manifest.json's) is what runs"
	ctl rollback web --timeout 20 >/dev/null 2>&1
	check "rolled back by hand"
else
	like "$out" "keel-import: error" "refused by the importer, saying why"
fi

# A layer with a file larger than the importer may write (16 MiB here).
mkdir -p "$T/fx/big"
head -c 20971520 /dev/zero >"$T/fx/big/big"
fixture_layer "$T/fx/big" "$T/fx/big.tar" gzip
rm -rf "$T/fx/big" "$T/img/big"
cp "$T/fx/base.tar" "$T/fx/b.tar"
fixture_oci_image "$T/img/big" latest "$T/fx/cfg.json" "$T/fx/b.tar" "$T/fx/big.tar:gzip"
cur=$(readlink "$D/web")
out=$(ctl update web "$T/img/big" --timeout 20 2>&1)
is "$?" 1 "an image with a 20 MiB file fails"
echo "$out" | sed 's/^/# /'
like "$out" "the importer failed" "the importer failed"
like "$out" "(too large|File size limit|signal 25|unpacking the layers failed)" "on the size of the file"
is "$(readlink "$D/web")" "$cur" "the active deployment is unchanged"
is "$(leftovers)" "" "nothing of it is left in containers.d"

# Layers that hold more than the importer may write (24 MiB here), in
# files each below its file limit: refused before anything is unpacked.
mkdir -p "$T/fx/many"
head -c 13631488 /dev/zero >"$T/fx/many/a"
head -c 13631488 /dev/zero >"$T/fx/many/b"
fixture_layer "$T/fx/many" "$T/fx/many.tar" gzip
rm -rf "$T/fx/many" "$T/img/many"
cp "$T/fx/base.tar" "$T/fx/b.tar"
fixture_oci_image "$T/img/many" latest "$T/fx/cfg.json" "$T/fx/b.tar" "$T/fx/many.tar:gzip"
out=$(ctl update web "$T/img/many" --timeout 20 2>&1)
is "$?" 1 "an image whose layers hold 26 MiB fails"
echo "$out" | sed 's/^/# /'
like "$out" "layer 2/2 of manifest .*: the layers unpack to more than 25165824 bytes" "keel-import says which layer went over the limit"
unlike_umoci=$(printf '%s\n' "$out" | grep -c 'unpacking the layers')
is "$unlike_umoci" 0 "before unpacking"
is "$(readlink "$D/web")" "$cur" "the active deployment is unchanged"
is "$(leftovers)" "" "nothing of it is left in containers.d"

# A digest that is a path.
rm -rf "$T/img/bad"
cp -R "$T/img/v2" "$T/img/bad"
jq '.manifests[0].digest = "sha256:../../../../../etc/passwd"' "$T/img/v2/index.json" >"$T/img/bad/index.json"
out=$(ctl update web "$T/img/bad" --timeout 20 2>&1)
is "$?" 1 "a layout whose digest is a path fails"
like "$out" "malformed digest .sha256:../../../../../etc/passwd." "keel-import says which digest"
is "$(readlink "$D/web")" "$cur" "the active deployment is unchanged"

# ---- an importer that is hostile ------------------------------------------------
# What a bug in the unpacker would hand an image: the importer's program
# itself.  It tries what an attacker would, prints one line per try, and
# (by --set MODE=) leaves keelctl links instead of an entry.
rm -rf "$T/evil-importer"
"$SRCDIR/initramfs/importer/build.sh" --max-file 16777216 "$T/evil-importer"
cat >"$T/evil-importer/rootfs/usr/bin/keel-import-job" <<'EVIL'
#!/bin/sh
try() { # NAME COMMAND...: "blocked" when the command fails
	n=$1; shift
	if "$@" >/dev/null 2>&1; then echo "PROBE $n: REACHED"; else echo "PROBE $n: blocked"; fi
}
mode=$(jq -r '.args | map(select(startswith("MODE="))) | .[0] // "MODE=probe" | .[5:]' /work/request.json)
case $mode in
probe)
	try root-write touch /pwned
	try src-write touch /src/pwned
	try src-tar-write sh -c 'echo x >>/src.tar'
	try mknod-open-null sh -c 'mknod /work/null c 1 3 && echo x >/work/null'
	try mknod-read-mem sh -c 'mknod /work/mem c 1 1 && head -c 1 /work/mem'
	try mknod-read-disk sh -c 'mknod /work/sda b 8 0 && head -c 1 /work/sda'
	# /dev and /tmp are its own tmpfs: a node made there must not open either
	try dev-mknod-mem sh -c 'mknod /dev/kimem c 1 1 && head -c 1 /dev/kimem'
	try dev-mknod-disk sh -c 'mknod /dev/kisda b 8 0 && head -c 1 /dev/kisda'
	try dev-mknod-kmsg sh -c 'mknod /dev/kikmsg c 1 11 && echo pwned >/dev/kikmsg'
	try tmp-mknod-mem sh -c 'mknod /tmp/kimem c 1 1 && head -c 1 /tmp/kimem'
	try mount mount -t tmpfs x /tmp
	try chroot chroot /work /bin/true
	try sys-write sh -c 'echo 1 >/sys/kernel/mm/ksm/run'
	try proc-sysrq sh -c 'echo h >/proc/sysrq-trigger'
	try net-iface sh -c 'ip -o link | grep -v ": lo:"'
	try net-route sh -c 'ip route | grep .'
	try userns unshare -U true
	try netns unshare -n true
	try mountns unshare -m true
	try work-write touch /work/mine
	echo "PROBE caps: $(grep CapEff /proc/self/status | tr -d '\t')"
	echo "PROBE pid1: $(tr '\0' ' ' </proc/1/cmdline)"
	echo "PROBE signals: $(grep -E '^Sig(Blk|Ign)' /proc/1/status | tr -d '\t' | tr '\n' ' ')"
	# terminal escapes (a title, the clipboard, a cleared screen) for
	# whoever reads keelctl's error
	printf 'PROBE escape: \033]0;pwned\007\033]52;c;cHduZWQ=\007\033[2J\r\n'
	exit 1 ;;
link-entry) mkdir -p /work/out && ln -s / /work/out/web ;;
link-out) ln -s /containers.d /work/out ;;
sleep) sleep 3; exit 1 ;;
hang) sleep 1000 ;;
link-config)
	mkdir -p /work/out/web/rootfs && echo '{}' >/work/out/web/keel.json && echo '{}' >/work/out/web/import.json
	ln -s /etc/shadow /work/out/web/config.json ;;
esac
exit 0
EVIL
chmod 755 "$T/evil-importer/rootfs/usr/bin/keel-import-job"
mv "$T/importer" "$T/good-importer" && ln -s evil-importer "$T/importer"
check "the importer keel runs is now the hostile one"
out=$(ctl update web "$T/img/v2" --set MODE=probe --timeout 20 2>&1)
is "$?" 1 "the hostile importer's job fails"
echo "$out" | grep PROBE | sed 's/^/# /'
for p in root-write src-write src-tar-write mknod-open-null mknod-read-mem mknod-read-disk \
	dev-mknod-mem dev-mknod-disk dev-mknod-kmsg tmp-mknod-mem mount chroot \
	sys-write proc-sysrq net-iface net-route userns netns mountns; do
	like "$out" "PROBE $p: blocked" "hostile importer: $p is blocked"
done
like "$out" "PROBE work-write: REACHED" "it writes its work directory (its one place)"
like "$out" "PROBE caps: CapEff:00000000880000[01]b" "its capabilities are the six (CapEff 0x8800001b)"
like "$out" "PROBE pid1: /bin/sh /usr/bin/keel-import-job" "its PID 1 is its own program (a PID namespace of its own)"
like "$out" "PROBE signals: SigBlk:0000000000000000 SigIgn:0000000000000[0-9a-f]{3} " "it blocks no signal and does not ignore SIGPIPE (PID 1's mask and SIG_IGN stay behind)"
is "$(printf '%s' "$out" | tr -d '\n\t' | tr -d '\040-\176' | wc -c)" 0 "keelctl prints no control byte of the importer's (no terminal escape reaches the admin's terminal)"
like "$out" 'PROBE escape: \\x1b\]0;pwned\\x07\\x1b\]52;c;cHduZWQ=\\x07\\x1b\[2J\\x0d$' "it shows them as \\xNN (lib/termsafe.h)"
is "$(state_before)" "$src_sum" "SRC is unchanged"
for m in link-entry link-out link-config; do
	out=$(ctl update web "$T/img/v2" --set MODE=$m --timeout 20 2>&1)
	is "$?" 1 "an importer that leaves a link ($m) fails the update"
	echo "$out" | sed 's/^/# /'
done
like "$out" "config.json is not a regular file" "a linked config.json is refused"
# One job at a time: PID 1 refuses a second; keelctl waits for the first.
ctl update web "$T/img/v2" --set MODE=sleep --timeout 20 >"$T/first.out" 2>&1 &
first=$!
n=0
while [ $n -lt 50 ] && ! req import | grep -q 'job: running'; do sleep 0.1; n=$((n + 1)); done
# The job's cgroup, in the unified hierarchy or (a hybrid host) in v1's.
cg=$(find "$CGMNT/$CGROOT" -name .import -type d 2>/dev/null | head -n 1)
if [ -n "$cg" ] && [ -f "$cg/memory.max" ]; then
	lim="$(cat "$cg/memory.max") $(cat "$cg/pids.max")"
elif [ -f "/sys/fs/cgroup/memory/$CGROOT/.import/memory.limit_in_bytes" ]; then
	lim="$(cat "/sys/fs/cgroup/memory/$CGROOT/.import/memory.limit_in_bytes") $(cat "/sys/fs/cgroup/pids/$CGROOT/.import/pids.max" 2>/dev/null)"
fi
if [ -n "${lim:-}" ]; then
	is "$lim" "1073741824 256" "the job runs in $CGROOT/.import: 1 GiB of memory, 256 processes"
else
	skip "the job's cgroup limits" "no memory controller for $CGROOT here"
fi
like "$(req 'import .web.import.kisecond /tmp 10')" "^error: import: a job is running \(pid [0-9]+\): one at a time" "PID 1 runs one job at a time"
out=$(ctl update web "$T/img/v2" --set MODE=probe --timeout 20 2>&1)
like "$out" "^waiting for the import that runs \(error: import: a job is running" "a second keelctl update waits for it"
like "$out" "PROBE work-write: REACHED" "then runs its own"
wait $first
like "$(cat "$T/first.out")" "the importer failed \(exit 1\)" "the first one ended as its importer did"
# An importer that never ends is killed at --import-timeout.
out=$(ctl update web "$T/img/v2" --set MODE=hang --import-timeout 2 --timeout 20 2>&1)
is "$?" 1 "an importer that hangs fails the update"
like "$out" "the importer ran longer than 2s and was killed" "killed at its deadline, saying so"
is "$(req import)" "$(printf 'ok\njob: idle')" "the job is over"
is "$(ls "$T/run" | grep -c keel-import)" 0 "its container is deleted"
is "$(find "$CGMNT/$CGROOT" /sys/fs/cgroup/memory/$CGROOT -name .import 2>/dev/null | wc -l)" 0 "and its cgroup"
is "$(readlink "$D/web")" "$cur" "the active deployment is unchanged"
is "$(D_before)" "$d_list" "containers.d holds what it held"
is "$(leftovers)" "" "no work directory left"
rm "$T/importer" && mv "$T/good-importer" "$T/importer"

# ---- inputs -------------------------------------------------------------------
out=$(ctl update web "$T/fx/cfg.json" 2>&1)
is "$?" 1 "SRC that is no archive"
like "$out" "cfg.json: not a tar archive" "says so"
mkdir -p "$T/empty"
out=$(ctl update web "$T/empty" 2>&1)
like "$out" "empty: neither an OCI image layout \(no oci-layout file\) nor an entry directory \(no config.json\)" "a directory that is neither"
out=$(ctl update web "$T/nothere" 2>&1)
like "$out" "nothere: No such file or directory" "a missing SRC"
tar -C "$T/fx" -cf "$T/fx/plain.tar" cfg.json
out=$(ctl update web "$T/fx/plain.tar" 2>&1)
like "$out" "plain.tar: a tar archive with neither manifest.json \(docker save\) nor oci-layout" "a tar that holds no image"
cp -R "$T/img/v2" "$T/img/with space"
out=$(ctl update web "$T/img/with space" 2>&1)
like "$out" "a path with a space or a tab cannot be given to keel" "a path with a space"
# SRC in a directory another user can write: they could swap it for a
# link to /etc/shadow or a disk between keelctl's realpath and the bind.
mkdir -p "$T/userdir" && cp -R "$T/img/v2" "$T/userdir/v2" && chown 65534:65534 "$T/userdir"
out=$(ctl update web "$T/userdir/v2" 2>&1)
is "$?" 1 "SRC in a directory of another user is refused"
like "$out" "userdir/v2: \`$T/userdir\` is owned by another user than root: SRC could be swapped for a link" "says which directory and why"
chown 0:0 "$T/userdir" && chmod 0777 "$T/userdir"
out=$(ctl update web "$T/userdir/v2" 2>&1)
like "$out" "\`$T/userdir\` is writable by group or others" "and in a directory anyone can write"
# The helper checks it too (a client of the socket need not be keelctl).
mkdir -m 0700 "$D/.ki-src" "$D/.ki-src/work"
like "$(req "import .ki-src $T/userdir/v2 10")" "^ok" "PID 1 takes the words"
for _ in $(seq 50); do [ -e "$D/.ki-src/status" ] && break; sleep 0.1; done
like "$(cat "$D/.ki-src/status" 2>&1)" "^error $T/userdir/v2: \`$T/userdir\` is writable by group or others" "the helper refuses it before any bind"
is "$(ls "$D/.ki-src")" "$(printf 'log\nstatus\nwork')" "and runs no importer"
rm -rf "$D/.ki-src" "$T/userdir"
out=$(ctl update web "$T/img/v2" --ref x --import-timeout 0 2>&1)
is "$?" 2 "--import-timeout 0 is refused"
# PID 1's request, word by word, as any client of the socket may send it.
is "$(req 'import')" "$(printf 'ok\njob: idle')" "import: no job runs"
like "$(req 'import ../x /tmp 10')" "error: import: stage \"../x\": only letters, digits and _\+.- are allowed" "a stage that is a path"
like "$(req 'import x /tmp 10')" "error: import: stage \"x\": expected a name starting with a dot" "a stage that could be an entry"
like "$(req 'import .deploy /tmp 10')" "error: import: stage \".deploy\": reserved name" "the store's own directory"
like "$(req 'import .x tmp 10')" "error: import: SRC \"tmp\": not an absolute path" "a relative SRC"
like "$(req 'import .x /a/../b 10')" "SRC \"/a/../b\": has an empty, \`.\` or \`..\` component" "a SRC with .."
like "$(req 'import .x / 10')" "SRC \"/\": is /" "SRC /"
like "$(req 'import .x /tmp 0')" "error: import: \"0\": expected 1 to 86400 seconds" "a timeout of 0"
like "$(req 'import .x /tmp')" "error: import: expected" "a word missing"
like "$(req 'import .ki-nostage /tmp 10')" "^ok" "a stage that does not exist: PID 1 does not look (the helper does)"
sleep 1
like "$(cat "$T/stdout.log")" "keel __import: .*\.ki-nostage.: not a directory of containers.d" "the helper says why on keel's stderr"
is "$(req 'import')" "$(printf 'ok\njob: idle')" "and the job is over"
is "$(pid_of kimother)" "$po" "kimother's pid unchanged through all of it"

stop_keel
check "keel stopped"
is "$(grep -c 'ERROR: LeakSanitizer' "$T/stdout.log" "$T/console.log" 2>/dev/null | awk -F: '{n += $NF} END {print n + 0}')" 0 \
	"no leak reported by keel, its helpers or containers' start helpers (in an ASan build: make asan)"
done_testing
