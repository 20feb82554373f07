#!/bin/bash
# initramfs/keel-mkimage: the archive is cpio newc, owned by 0:0, sorted,
# with one fixed mtime, and the same inputs give the same bytes whatever
# the input files' mtimes, the umask, or the order files were created in.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/lib/tap.sh"
mk=$here/../initramfs/keel-mkimage
command -v cpio >/dev/null || skip_all "cpio not installed"
command -v zstd >/dev/null || skip_all "zstd not installed"
[ -x /bin/busybox ] || skip_all "busybox-static not installed"
kdir=$("$here/fetch-kernel.sh" 2>/dev/null) || kdir=

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
init=${KEEL:-}
[ -f "$init" ] || { init=$tmp/init; printf '#!/bin/sh\n' >"$init"; }

# Two copies of the same inputs, made in different orders, with different
# mtimes and umasks.
make_tree() { # DIR ORDER UMASK MTIME
	(
		umask "$3"
		mkdir -p "$1/c.d"
		for e in $2; do
			mkdir -p "$1/c.d/$e"
			echo "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"name\": \"$e\"}" >"$1/c.d/$e/config.json"
			echo '{"kind": "service"}' >"$1/c.d/$e/keel.json"
		done
		mkdir -p "$1/extra/sub"
		echo data >"$1/extra/sub/file"
		find "$1" -exec touch -d "$4" {} +
	)
}
make_tree "$tmp/a" "alpha beta gamma" 022 "2001-01-01"
make_tree "$tmp/b" "gamma alpha beta" 077 "2020-06-06"

mods=
[ -z "$kdir" ] || mods="--kernel-dir $kdir --module virtio_blk --module ext4"
build() { # TREE OUT [extra args]
	t=$1 o=$2; shift 2
	"$mk" -o "$o" --init "$init" --containers "$t/c.d" --busybox-rootfs \
		--file "$t/extra:/etc/extra" $mods "$@"
}
build "$tmp/a" "$tmp/a.img"
check "image builds"
build "$tmp/b" "$tmp/b.img"
cmp -s "$tmp/a.img" "$tmp/b.img"
check "same inputs give the same bytes (different mtimes, umask, creation order)"
build "$tmp/a" "$tmp/a2.img"
cmp -s "$tmp/a.img" "$tmp/a2.img"
check "building twice gives the same bytes"
build "$tmp/a" "$tmp/a.gz" --compress gzip && gzip -t "$tmp/a.gz" && build "$tmp/b" "$tmp/b.gz" --compress gzip &&
	cmp -s "$tmp/a.gz" "$tmp/b.gz"
check "gzip images are reproducible too"
build "$tmp/a" "$tmp/e.img" --epoch 1234567890
! cmp -s "$tmp/a.img" "$tmp/e.img"
check "--epoch changes the bytes"

zstd -dc "$tmp/a.img" >"$tmp/a.cpio"
listing=$(cpio -itv --quiet <"$tmp/a.cpio")
names=$(cpio -it --quiet <"$tmp/a.cpio")
# cpio writes the members of a hard-link group together, at the last one.
unlinked=$(printf '%s\n' "$names" | grep -v '/rootfs/bin/busybox$')
[ "$(printf '%s\n' "$unlinked" | LC_ALL=C sort)" = "$unlinked" ]
check "entries are sorted (hard-link groups aside)"
is "$(head -c 6 "$tmp/a.cpio")" "070701" "cpio newc format"
is "$(printf '%s\n' "$listing" | awk '$3 != "root" || $4 != "root"' | wc -l)" 0 "every entry is owned by root:root"
is "$(printf '%s\n' "$listing" | awk '{print $6, $7, $8}' | sort -u)" "Jan 1 1970" "every mtime is the epoch"
like "$names" '^init$' "/init is there"
like "$names" '^containers.d/beta/config.json$' "containers.d is installed as /containers.d"
like "$names" '^containers.d/beta/rootfs/bin/busybox$' "entries without rootfs get a busybox one"
like "$names" '^containers.d/beta/rootfs/bin/sh$' "busybox applets are linked"
like "$names" '^etc/extra/sub/file$' "--file SRC:DST copies a tree"
links=$(printf '%s\n' "$listing" | awk '$NF ~ /rootfs\/bin\/busybox$/ {print $2}' | sort -u)
is "$links" 3 "the three busybox copies are one hard-linked file"
tmode=$(printf '%s\n' "$listing" | awk '$NF == "containers.d/beta/rootfs/tmp" {print $1}')
is "$tmode" drwxrwxrwt "rootfs /tmp is 1777"
if [ -n "$kdir" ]; then
	list=$(cd "$tmp" && cpio -i --quiet --to-stdout etc/keel/modules <"$tmp/a.cpio")
	is "$(printf '%s\n' "$list" | grep -v '^#' | sed 's,.*/,,')" "$(printf '%s\n' virtio_ring.ko virtio.ko virtio_blk.ko crc32c-intel.ko crc32c_generic.ko jbd2.ko mbcache.ko crc16.ko ext4.ko)" \
		"module list is each closure in load order, deduplicated"
	like "$names" "^lib/modules/$(cat "$kdir/kver")/kernel/fs/ext4/ext4.ko$" "the modules themselves are in the image"
	# --alias-modules: in the image with their closure and depmod's
	# indexes over the image's own modules, not in the list.
	kver=$(cat "$kdir/kver")
	"$mk" -o "$tmp/al.img" --init "$init" --kernel-dir "$kdir" --compress none \
		--alias-modules virtio_rng --alias-modules kernel/drivers/watchdog --module ext4
	check "--alias-modules builds"
	"$mk" -o "$tmp/al2.img" --init "$init" --kernel-dir "$kdir" --compress none \
		--alias-modules virtio_rng --alias-modules kernel/drivers/watchdog --module ext4 &&
		cmp -s "$tmp/al.img" "$tmp/al2.img"
	check "and gives the same bytes twice (depmod's indexes included)"
	al=$(cpio -it --quiet <"$tmp/al.img")
	like "$al" "^lib/modules/$kver/kernel/drivers/char/hw_random/virtio-rng.ko$" "an alias module is in the image"
	like "$al" "^lib/modules/$kver/kernel/drivers/virtio/virtio_ring.ko$" "with its dependencies"
	like "$al" "^lib/modules/$kver/kernel/drivers/watchdog/i6300esb.ko$" "a directory brings every module under it"
	like "$al" "^lib/modules/$kver/modules.alias.bin$" "depmod's alias index is there"
	like "$al" "^lib/modules/$kver/modules.dep.bin$" "and its dependency index"
	(cd "$tmp" && rm -rf alx && mkdir alx && cd alx && cpio -id --quiet <"$tmp/al.img")
	ok=1
	modprobe -d "$tmp/alx" -S "$kver" -R virtio:d00000004v00001AF4 2>/dev/null | grep -qx virtio_rng || ok=0
	modprobe -d "$tmp/alx" -S "$kver" -R pci:v00008086d000025ABsv00001AF4sd00001100bc08sc80i00 2>/dev/null |
		grep -qx i6300esb || ok=0
	[ "$ok" = 1 ]
	check "the image's index resolves the devices' aliases (virtio-rng, i6300esb)"
	# Only what the image holds: a module left out is not in its index.
	modprobe -d "$kdir/root" -S "$kver" -R virtio:d00000001v00001AF4 2>/dev/null | grep -qx virtio_net &&
		! modprobe -d "$tmp/alx" -S "$kver" -R virtio:d00000001v00001AF4 >/dev/null 2>&1
	check "a module left out (virtio_net) is not in the index"
	list=$(cd "$tmp/alx" && grep -v '^#' etc/keel/modules | sed 's,.*/,,' | tr '\n' ' ')
	! printf '%s\n' "$list" | grep -qE 'virtio-rng|i6300esb' && printf '%s\n' "$list" | grep -q ext4.ko
	check "alias modules are not in /etc/keel/modules (the listed ones are)"
else
	skip "module closure" "no kernel (fetch-kernel.sh failed)"
fi

"$mk" -o "$tmp/x.img" --init "$init" --kernel-dir "${kdir:-/nonexistent}" --module no_such_module 2>"$tmp/err"
[ $? != 0 ] && grep -q 'no_such_module' "$tmp/err"
check "an unknown module is an error naming it"
"$mk" -o "$tmp/x.img" --init /nonexistent 2>"$tmp/err"
[ $? != 0 ] && grep -q '/nonexistent' "$tmp/err"
check "a missing --init is an error naming it"
done_testing
