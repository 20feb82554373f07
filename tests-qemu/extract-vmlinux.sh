#!/bin/sh
# Extract the uncompressed ELF vmlinux from a compressed x86 kernel image
# (bzImage) so QEMU can boot it through its PVH entry point, skipping the
# in-guest decompressor (~3 s under TCG).
#
# usage: extract-vmlinux.sh BZIMAGE OUT
#
# A bzImage (boot protocol >= 2.08) says where its compressed payload is:
# setup_sects at 0x1f1, payload_offset/payload_length at 0x248/0x24c,
# relative to the end of the real-mode setup code. The build appends the
# uncompressed size as a little-endian u32 to the payload, which lets us
# check the result exactly. Images without that header are scanned for
# each compression format's magic instead, keeping the first offset that
# decompresses to an ELF file.
set -eu

in=$1 out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
magic_hex() { od -An -tx1 -j "$2" -N6 "$1" | tr -d ' \n'; }

# The decompressor for the data starting with hex bytes $1.
decompressor() {
	case $1 in
	1f8b*) echo "gzip -dc" ;;
	fd377a585a00*) echo "xz -dc" ;;
	28b52ffd*) echo "zstd -dcq" ;;
	5d0000*) echo "xz -dc --format=lzma" ;;
	425a68*) echo "bzip2 -dc" ;;
	02214c18*) echo "lz4 -dc" ;;
	*) return 1 ;;
	esac
}

is_elf() { [ "$(od -An -c -N4 "$1" | tr -d ' ')" = '177ELF' ]; }

# Decompress LEN bytes at OFF (LEN empty: to the end); the decompressor may
# complain about the trailing size word or garbage: the checks after decide.
try_at() {
	cmd=$(decompressor "$(magic_hex "$in" "$1")") || return 1
	if [ -n "$2" ]; then
		tail -c +$(($1 + 1)) "$in" | head -c "$2" | $cmd >"$tmp" 2>/dev/null || :
	else
		tail -c +$(($1 + 1)) "$in" | $cmd >"$tmp" 2>/dev/null || :
	fi
	is_elf "$tmp"
}

if [ "$(od -An -c -j 514 -N4 "$in" | tr -d ' ')" = HdrS ]; then
	sects=$(u8 "$in" 497)
	[ "$sects" = 0 ] && sects=4
	off=$(( (sects + 1) * 512 + $(u32 "$in" 584) ))
	len=$(u32 "$in" 588)
	want=$(u32 "$in" $((off + len - 4)))
	if try_at "$off" "$len" && [ "$(stat -c %s "$tmp")" = "$want" ]; then
		mv "$tmp" "$out"
		exit 0
	fi
fi

for m in '\x1f\x8b\x08' '\xfd7zXZ\x00' '\x28\xb5\x2f\xfd' '\x5d\x00\x00' 'BZh' '\x02\x21\x4c\x18'; do
	for off in $(LC_ALL=C grep -obUaP "$m" "$in" | cut -d: -f1); do
		if try_at "$off" ""; then
			mv "$tmp" "$out"
			exit 0
		fi
	done
done
echo "extract-vmlinux: no compressed ELF kernel found in $in" >&2
exit 1
