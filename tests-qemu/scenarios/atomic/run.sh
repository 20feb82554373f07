#!/bin/sh
# Atomic system containers, as atomic-system-containers lays them out,
# imported by keel-import and booted under QEMU (README.md beside this file):
#   hello      runtime-spec 0.3.0, platform, flat linux.capabilities and
#              linux.rlimits (hello-world's config), Type=oneshot,
#              After=network.target
#   etcdish    1.0.0 with $ADDTL_MOUNTS, "user": {}, manifest renameFiles and
#              installedFilesTemplate, hostfs, tmpfiles with Z and r,
#              RuntimeDirectory=, a file bind of /etc/resolv.conf, Type=notify
#              with Debian's systemd-notify, After=network-online.target,
#              ExecStopPost= (a command of its rootfs, run on the host)
#   dependent  Requires=/After=etcdish.service
# plus keel's example `net`, the entry that brings the network up.  Each is
# checked from the guest's console: capabilities (/proc/self/status),
# namespaces, files, and the order readiness gives.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$top/tests/lib/image.sh"

image_test /tmp/keel-qemu-atomic jq umoci sha256sum tar
image_need_qemu
notify=$(command -v systemd-notify) || skip_all "no systemd-notify (Debian package systemd)"

# Layer 1: busybox with every applet, as a base image would have.
r=$t/base
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/var/lib"
cp "$BUSYBOX" "$r/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\netcd:x:1000:1000:etcd:/var/lib/etcd:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\netcd:x:1000:\n' >"$r/etc/group"
chmod 1777 "$r/tmp"

# Layer 2 of etcdish: Debian's systemd-notify with the libraries it loads.
n=$t/notify
mkdir -p "$n/usr/bin"
cp "$notify" "$n/usr/bin/systemd-notify"
for lib in $(ldd "$notify" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
	mkdir -p "$n$(dirname "$lib")"
	cp -L "$lib" "$n$lib"
done
# ldd names the loader through /lib64; a merged-/usr host has it in /usr/lib64 too.
[ -e "$n/lib64/ld-linux-x86-64.so.2" ] || skip_all "cannot find the dynamic loader of $notify"

echo '{"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]}}' >"$t/cfg.json"
# image NAME LAYER_DIR...: an OCI layout $t/img-NAME; the last layer is the
# image's own tree (images/NAME: /exports and its scripts).
image() {
	name=$1
	shift
	i=0 layers=
	for d in "$@"; do
		i=$((i + 1))
		fixture_layer "$d" "$t/$name-$i.tar" || return 1
		layers="$layers $t/$name-$i.tar"
	done
	# shellcheck disable=SC2086 # the list of layer files
	fixture_oci_image "$t/img-$name" latest "$t/cfg.json" $layers
}
image hello "$r" "$here/images/hello"
image etcdish "$r" "$n" "$here/images/etcdish"
image dependent "$r" "$here/images/dependent"
check "three images in the atomic-system-containers layout"

cd=$t/test/containers.d
mkdir -p "$cd" "$t/hostfs"
cp -r "$top/containers.d/net" "$cd/net"

"$IMPORT" -q --keel "$KEEL" --name hello "$t/img-hello" "$cd" 2>"$t/hello.err"
check "hello (runtime-spec 0.3.0) imports"
like "$(cat "$t/hello.err")" 'linux.capabilities \(runtime-spec 0.x\) moved to process.capabilities: bounding, effective, inheritable and permitted' \
	"... its flat linux.capabilities upgraded, with a warning"
is "$(jq -c .after "$cd/hello/keel.json")" '["net"]' "After=network.target: after net"

"$IMPORT" -q --keel "$KEEL" --name etcdish --hostfs "$t/hostfs" \
	--set ADDTL_MOUNTS=',{"destination": "/extra", "type": "bind", "source": "/etc/etcdish", "options": ["rbind", "ro"]}' \
	"$t/img-etcdish" "$cd" 2>"$t/etcdish.err"
check "etcdish (1.0.0, \$ADDTL_MOUNTS, hostfs) imports"
is "$(cat "$t/etcdish.err")" "" "... without a warning"
is "$(jq -c '{after, wants, readiness}' "$cd/etcdish/keel.json")" '{"after":["net"],"wants":["net"],"readiness":"notify"}' \
	"After=/Wants=network-online.target and Type=notify"
is "$(jq -c '.hooks.poststop[0].args' "$cd/etcdish/config.json")" '["/containers.d/etcdish/rootfs/bin/busybox","sh","-c","echo etcdish-poststop: ExecStopPost ran >/dev/kmsg"]' \
	"ExecStopPost=: a poststop hook (atomic's own \$EXEC_STOPPOST left out)"
[ -f "$cd/etcdish/rootfs/etc/resolv.conf" ] && [ -d "$cd/etcdish/rootfs/extra" ]
check "mount points: /etc/resolv.conf a file, \$ADDTL_MOUNTS' /extra a directory"
is "$(cat "$t/hostfs/etc/etcdish/etcd.conf")" "port=2379
name=default" "hostfs: /etc/etcd renamed to /etc/etcdish, etcd.conf substituted"

"$IMPORT" -q --keel "$KEEL" --name dependent "$t/img-dependent" "$cd" 2>"$t/dependent.err"
check "dependent imports (etcdish, which it requires, is there)"

printf '%s\n' "--file $t/hostfs:/" "--append keel.dns=10.0.2.3" \
	"--hostfwd tcp:127.0.0.1:$((20000 + $$ % 20000))-:8080" >"$t/test/options"
cp "$here/expect" "$t/test/expect"
image_boot atomic "the imported containers.d boots in QEMU and every container runs as its template asks"

done_testing
