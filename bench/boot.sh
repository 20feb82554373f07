#!/bin/bash
# Boot time under QEMU, from kernel start to all containers ready, for 1, 10
# and 100 containers, beside a floor of its own: the same kernel booting
# an initramfs whose /init (bench/boot-floor.c) only prints a line and
# powers off.  Every image boots once per round, the rounds repeat
# KEEL_BENCH_RUNS times, so drift hits all alike; medians are printed.
#
# usage: bench/boot.sh [KEEL_BINARY]
#   KEEL_BENCH_COUNTS  container counts (default "1 10 100")
#   KEEL_BENCH_RUNS    rounds; medians are printed (default 3)
#   KEEL_BENCH_JSON    also write every figure there (bench/plot reads it)
#   KEEL_BENCH_BASELINE  another keel binary (an older build) booted in the
#                      same rounds as "base-nomod" and "base-1", for a
#                      before/after in one run
#   KEEL_BENCH_ONLY    an extended regex: boot only the images it matches
#   KEEL_QEMU_KVM=1    use KVM where it really boots (never here: TCG)
#
# The images:
#   floor           /init = boot-floor, nothing else (the kernel's own cost)
#   floor+payload   boot-floor with keel's 1-container payload (a busybox
#                   root, the boot modules), compressed zstd, gzip or not
#                   at all: what unpacking the initramfs costs the kernel
#   keel-nomod      keel, 1 container, no kernel modules in the image
#   keel N          keel, N containers, the usual boot modules
# keel's share of a boot is its total minus the floor's kernel figure of
# the image with the same payload and compression, both from this run.
#
# Clocks: the kernel stamps its console lines, and keel stamps its own with
# CLOCK_MONOTONIC, the same clock since boot, so one console gives
#   kernel   kernel start -> keel's first line, "keel: PID 1 started", its
#            first instruction (includes unpacking the initramfs and
#            loading nothing else: keel loads the modules)
#   keel     keel's first line -> "Startup finished" (all containers ready:
#            switch root, mounts, cgroups, modules, every container started),
#            split into
#     pre        before "keel ... starting as": the re-exec from a protected
#                copy of its binary and the switch root, whose own figures
#                keel prints ("boot: binary protected in N ms, switch root
#                (HOW) in M ms") and are the protect and switch columns
#     setup      keel's own boot after that: mounts, cgroups, modules
#     start      keel's "Startup finished in N ms": containers.d read, every
#                container created, started and ready
#   mem      MemAvailable (kB) as the first container read it at its start
#            (/proc/meminfo is the machine's, the same PID 1 sees)
# An older keel without the first line gives pre, protect and switch as "-"
# and its kernel figure ends at "starting as".
#   total    kernel start -> all ready (kernel + keel)
#   wall     host clock from QEMU's start to the line (firmware, QEMU setup)
#   stop     host clock from ctrl-alt-delete to QEMU's exit
# Every container is a busybox `sleep` service (readiness "started") in its
# own namespaces and cgroup; all share one read-only busybox root, as
# identical containers would share an image.  Nothing here asserts a time.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
keel=$(realpath "${1:-$top/build/keel}")
. "$top/tests-qemu/lib/harness.sh"

counts=${KEEL_BENCH_COUNTS:-1 10 100}
runs=${KEEL_BENCH_RUNS:-3}

[ -f "$keel" ] || { echo "bench/boot.sh: no keel binary at $keel (make)"; exit 1; }
kq_setup bench-boot
case $? in
0) ;;
2) echo "bench/boot.sh: skipped: qemu-system-x86_64 not installed"; exit 0 ;;
*) echo "bench/boot.sh: skipped: cannot fetch Debian's kernel"; exit 0 ;;
esac

# N service entries: c000 carries the generated busybox root, the others
# point at it read-only (root.path is relative to the bundle).
make_tree() {
	d=$1 n=$2
	rm -rf "$d"
	mkdir -p "$d"
	for i in $(seq 0 $((n - 1))); do
		name=$(printf 'c%03d' "$i")
		mkdir -p "$d/$name"
		root=rootfs mem=
		[ "$i" = 0 ] || root=../c000/rootfs
		# the trap first: a container's PID 1 ignores a SIGTERM it has no
		# handler for, and the stop may come before the grep is done
		[ "$i" = 0 ] && mem='grep MemAvailable /proc/meminfo; '
		"$top/tests-qemu/lib/mkconfig" --hostname "$name" --readonly --root "$root" \
			"trap \"exit 0\" TERM; ${mem}sleep 1000000 & wait" >"$d/$name/config.json"
		echo '{ "kind": "service", "readiness": "started" }' >"$d/$name/keel.json"
	done
}

# Seconds (kernel/keel stamp) of the first console line matching $1.
stamp_of() {
	kq_console_from 1 | grep -m1 -E -- "$1" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

accel=$(kq_accel)
smp=${KEEL_QEMU_SMP:-1}
echo "boot time under QEMU: $(qemu-system-x86_64 --version | head -n1 | sed 's/ (.*//'), accel $accel, $smp vCPU, ${KEEL_QEMU_MEM:-1024} MiB"
echo "kernel: Debian $KQ_KVER, uncompressed vmlinux through the PVH entry; keel: $keel"
echo "median of $runs boots each (one boot of every image per round); seconds"
[ "$accel" = tcg ] && echo "TCG: every guest instruction is emulated on a shared 2-core host (KVM cannot boot guests here); these are not KVM figures"


floor_init=$KQ_DIR/boot-floor
if command -v musl-gcc >/dev/null; then
	musl-gcc -static -Os -o "$floor_init" "$here/boot-floor.c"
else
	${CC:-cc} -static -Os -o "$floor_init" "$here/boot-floor.c"
fi || { echo "bench/boot.sh: cannot build boot-floor"; exit 1; }

mk() { # IMAGE ARGS...: keel-mkimage, or say why not and exit
	local img=$1
	shift
	if ! "$@" >"$KQ_DIR/mk.log" 2>&1; then
		echo "bench/boot.sh: keel-mkimage failed for $img:"
		cat "$KQ_DIR/mk.log"
		exit 1
	fi
}

# name kind(floor|keel) image
images=()
make_tree "$KQ_DIR/containers.d.1" 1
mk floor "$KQ_MKIMAGE" -o "$KQ_DIR/floor.img" --init "$floor_init"
images+=("floor floor $KQ_DIR/floor.img")
for c in zstd gzip none; do
	mk "floor+payload-$c" kq_image "$KQ_DIR/floor-$c.img" --init "$floor_init" \
		--containers "$KQ_DIR/containers.d.1" --busybox-rootfs --compress "$c"
	images+=("floor+payload-$c floor $KQ_DIR/floor-$c.img")
done
mk keel-nomod "$KQ_MKIMAGE" -o "$KQ_DIR/keel-nomod.img" --init "$keel" \
	--containers "$KQ_DIR/containers.d.1" --busybox-rootfs
images+=("keel-nomod keel $KQ_DIR/keel-nomod.img")
for n in $counts; do
	[ "$n" = 1 ] || make_tree "$KQ_DIR/containers.d.$n" "$n"
	mk "keel-$n" kq_image "$KQ_DIR/boot-$n.img" --init "$keel" \
		--containers "$KQ_DIR/containers.d.$n" --busybox-rootfs
	images+=("keel-$n keel $KQ_DIR/boot-$n.img")
done
if [ -n "${KEEL_BENCH_BASELINE:-}" ]; then
	base=$(realpath "$KEEL_BENCH_BASELINE")
	mk base-nomod "$KQ_MKIMAGE" -o "$KQ_DIR/base-nomod.img" --init "$base" \
		--containers "$KQ_DIR/containers.d.1" --busybox-rootfs
	images+=("base-nomod keel $KQ_DIR/base-nomod.img")
	mk base-1 kq_image "$KQ_DIR/base-1.img" --init "$base" \
		--containers "$KQ_DIR/containers.d.1" --busybox-rootfs
	images+=("base-1 keel $KQ_DIR/base-1.img")
	echo "baseline: $base"
fi
if [ -n "${KEEL_BENCH_ONLY:-}" ]; then
	kept=()
	for im in "${images[@]}"; do
		[[ ${im%% *} =~ $KEEL_BENCH_ONLY ]] && kept+=("$im")
	done
	images=("${kept[@]}")
fi

# The kernel's own stamps around unpacking the initramfs (guest seconds).
unpack_time() {
	local a b
	a=$(stamp_of 'Trying to unpack rootfs image as initramfs')
	b=$(stamp_of 'Freeing initrd memory')
	if [ -n "$a" ] && [ -n "$b" ]; then
		awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b - a}'
	else
		echo -
	fi
}

# One boot: appends "name kernel keel setup start total wall stop unpack pre
# protect switch mem" to $KQ_DIR/runs (seconds, mem in kB; "-" where it does
# not apply).
boot_once() {
	local name=$1 kind=$2 img=$3 w t_keel t_ready t_self t_init t0 stop=- t_first
	local protect=- switch=- mem=- line
	KQ_ELAPSED=
	kq_start "$img"
	if [ "$kind" = floor ]; then
		# it powers off at once: wait for the exit, then read the console
		kq_wait_exit 300 || kq_stop
		t_init=$(stamp_of 'boot-floor: /init reached')
		if [ -z "$t_init" ] || [ -z "${KQ_ELAPSED:-}" ]; then
			echo "# $name: the floor never reached /init"
			kq_fail_log
			return
		fi
		w=$KQ_ELAPSED
		echo "$name $t_init - - - $t_init $(awk -v w="$w" 'BEGIN {printf "%.3f", w / 1000}') - $(unpack_time) - - - -" >>"$KQ_DIR/runs"
		return
	fi
	if ! kq_wait 'Startup finished in [0-9]+ms' 600; then
		echo "# $name: never reached 'Startup finished'"
		kq_fail_log
		kq_stop
		return
	fi
	w=$(( $(kq_now_ms) - KQ_T0 ))
	t_keel=$(stamp_of 'keel .* starting as')
	t_first=$(stamp_of 'keel: PID 1 started')
	line=$(kq_console_from 1 | grep -m1 'boot: binary protected in')
	if [ -n "$line" ]; then
		protect=$(printf '%s\n' "$line" | sed -n 's/.*protected in \([0-9]*\) ms.*/\1/p' | awk '{printf "%.3f", $1 / 1000}')
		switch=$(printf '%s\n' "$line" | sed -n 's/.*switch root.* in \([0-9]*\) ms.*/\1/p' | awk '{printf "%.3f", $1 / 1000}')
	fi
	mem=$(kq_console_from 1 | grep -m1 -o 'MemAvailable: *[0-9]*' | grep -o '[0-9]*$')
	[ -n "$mem" ] || mem=-
	t_ready=$(stamp_of 'Startup finished in')
	t_self=$(printf '%s\n' "$KQ_MATCH" | sed -n 's/.*Startup finished in \([0-9]*\)ms.*/\1/p')
	case $KQ_MATCH in *' 0 failed'*) ;; *) echo "# $name: $KQ_MATCH" ;; esac
	t0=$(kq_now_ms)
	kq_mon "sendkey ctrl-alt-delete"
	if kq_wait_exit 300; then
		stop=$(awk -v s="$(( $(kq_now_ms) - t0 ))" 'BEGIN {printf "%.3f", s / 1000}')
	else
		kq_stop
	fi
	awk -v k="$t_keel" -v f="${t_first:-}" -v r="$t_ready" -v s="$t_self" -v w="$w" -v n="$name" -v st="$stop" \
		-v u="$(unpack_time)" -v p="$protect" -v sw="$switch" -v m="$mem" \
		'BEGIN {
			pre = "-"
			if (f != "") { pre = sprintf("%.3f", k - f); k0 = f } else k0 = k
			printf "%s %.3f %.3f %.3f %.3f %.3f %.3f %s %s %s %s %s %s\n", n, k0, r - k0, r - k - s / 1000, s / 1000, r, w / 1000, st, u, pre, p, sw, m
		}' >>"$KQ_DIR/runs"
}

: >"$KQ_DIR/runs"
for r in $(seq 1 "$runs"); do
	for im in "${images[@]}"; do
		# shellcheck disable=SC2086
		boot_once $im
	done
done

printf '%-18s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %9s %8s %10s %9s\n' image kernel keel pre protect switch setup start total wall stop 'share' unpack 'size_KiB' 'mem_kB'
declare -A floor_kernel
: >"$KQ_DIR/sizes"
for im in "${images[@]}"; do
	set -- $im
	name=$1 img=$3
	echo "$name $(stat -c %s "$img")" >>"$KQ_DIR/sizes"
	col() { awk -v n="$name" -v c="$1" '$1 == n {print $c}' "$KQ_DIR/runs" | grep -v '^-$' | median; }
	k=$(col 2)
	case $name in floor*) floor_kernel[$name]=$k ;; esac
	# keel's share: its total minus the floor's kernel time with the same payload
	share=-
	case $name in
	keel-nomod | base-nomod) ref=${floor_kernel[floor]:-} ;;
	keel-* | base-*) ref=${floor_kernel[floor+payload-zstd]:-} ;;
	*) ref= ;;
	esac
	mem=$(col 13)
	[ "$mem" = - ] || mem=$(printf '%.0f' "$mem")
	[ -z "$ref" ] || [ "$(col 6)" = - ] || share=$(awk -v t="$(col 6)" -v f="$ref" 'BEGIN {printf "%.3f", t - f}')
	printf '%-18s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %9s %8s %10s %9s\n' "$name" "$k" "$(col 3)" "$(col 10)" \
		"$(col 11)" "$(col 12)" "$(col 4)" "$(col 5)" "$(col 6)" "$(col 7)" "$(col 8)" "$share" "$(col 9)" \
		"$(( $(stat -c %s "$img") / 1024 ))" "$mem"
done
if [ -n "${KEEL_BENCH_JSON:-}" ]; then
	python3 - "$KQ_DIR/runs" "$KEEL_BENCH_JSON" "$runs" "$accel" "$KQ_DIR/sizes" <<'PY'
import json, sys
runs, out, n, accel = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sizes = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[5]) if l.strip()}
keys = ["kernel", "keel", "setup", "start", "total", "wall", "stop", "unpack", "pre", "protect", "switch", "mem"]
data = {}
for line in open(runs):
    if line.startswith("#"):
        continue
    f = line.split()
    data.setdefault(f[0], []).append({k: (None if v == "-" else float(v)) for k, v in zip(keys, f[1:])})
json.dump({"runs": n, "accel": accel, "sizes": sizes, "boots": data}, open(out, "w"), indent=1)
PY
fi
echo "kernel = kernel start -> the first line of /init (keel's, or boot-floor's); keel = that ->"
echo "all containers ready, of which pre = before 'starting as' (protect = the re-exec from a"
echo "protected copy of the binary, switch = leaving the initramfs, both as keel measured them),"
echo "setup = keel's own boot after that (mounts, cgroups, kernel modules) and start = keel's"
echo "'Startup finished in' figure (every container created, started, ready); total = kernel start -> all ready (floor: -> /init); wall = QEMU start -> all ready"
echo "(floor: -> QEMU exit after poweroff; host clock); stop = ctrl-alt-delete -> QEMU exit;"
echo "share = total - the floor's kernel figure with the same payload (keel-nomod: the bare floor);"
echo "unpack = the kernel's 'Trying to unpack rootfs' -> 'Freeing initrd memory' (guest clock);"
echo "mem_kB = MemAvailable when the first container started (base-*: KEEL_BENCH_BASELINE's keel)."
