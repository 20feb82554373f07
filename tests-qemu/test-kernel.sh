#!/bin/sh
# fetch-kernel.sh and extract-vmlinux.sh: Debian's kernel unpacked into the
# cache with its module index, and the ELF vmlinux QEMU boots through PVH,
# found both from the bzImage header and, without it, by scanning for the
# compression magic.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/lib/tap.sh"
kdir=$("$here/fetch-kernel.sh" 2>/dev/null) || skip_all "cannot fetch Debian's kernel (apt-get download)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

kver=$(cat "$kdir/kver")
like "$kver" '^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$' "kernel version $kver"
[ -f "$kdir/root/lib/modules/$kver/modules.dep.bin" ]
check "modules unpacked with depmod's index"
[ ! -e "/boot/vmlinuz-$kver" ] || dpkg -S "/boot/vmlinuz-$kver" >/dev/null 2>&1
check "nothing installed into /boot by the fetch"
is "$(od -An -c -N4 "$kdir/vmlinux" | tr -d ' ')" '177ELF' "vmlinux is an ELF file"
readelf -n "$kdir/vmlinux" 2>/dev/null | grep -q 'Xen.*(0x00000012)'
check "vmlinux carries the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"

"$here/extract-vmlinux.sh" "$kdir/vmlinuz" "$tmp/v1"
check "extract from the bzImage header"
cmp -s "$tmp/v1" "$kdir/vmlinux"
check "same bytes as the cached vmlinux"
# Without the boot header ("HdrS" overwritten) the magic scan must find it.
cp "$kdir/vmlinuz" "$tmp/nohdr"
printf 'XXXX' | dd of="$tmp/nohdr" bs=1 seek=514 conv=notrunc status=none
"$here/extract-vmlinux.sh" "$tmp/nohdr" "$tmp/v2"
check "extract by scanning for the compression magic"
cmp -s "$tmp/v2" "$kdir/vmlinux"
check "the scan finds the same kernel"
head -c 100000 /dev/urandom >"$tmp/junk"
! "$here/extract-vmlinux.sh" "$tmp/junk" "$tmp/v3" 2>/dev/null
check "a file without a kernel is refused"
[ ! -e "$tmp/v3" ]
check "and leaves no output behind"
done_testing
