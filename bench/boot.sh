#!/bin/bash
# Boot time under QEMU, from kernel start to all containers ready, for 1, 10
# and 100 containers, with the kernel's own share shown separately.
#
# usage: bench/boot.sh [KEEL_BINARY]
#   KEEL_BENCH_COUNTS  container counts (default "1 10 100")
#   KEEL_BENCH_RUNS    boots per count; medians are printed (default 3)
#   KEEL_QEMU_KVM=1    use KVM where it really boots (never here: TCG)
#
# Clocks: the kernel stamps its console lines, and keel stamps its own with
# CLOCK_MONOTONIC, the same clock since boot, so one console gives
#   kernel   kernel start -> keel's first line (includes unpacking the
#            initramfs and loading nothing else: keel loads the modules)
#   keel     keel's first line -> "Startup finished" (all containers ready:
#            switch root, mounts, cgroups, modules, every container started),
#            split into
#     setup      keel's own boot: switch root, mounts, cgroups, modules
#     start      keel's "Startup finished in N ms": containers.d read, every
#                container created, started and ready
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
		root=rootfs
		[ "$i" = 0 ] || root=../c000/rootfs
		"$top/tests-qemu/lib/mkconfig" --hostname "$name" --readonly --root "$root" \
			'trap "exit 0" TERM; sleep 1000000 & wait' >"$d/$name/config.json"
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
echo "median of $runs boots each; seconds"
[ "$accel" = tcg ] && echo "TCG: every guest instruction is emulated on a shared 2-core host (KVM cannot boot guests here); these are not KVM figures"
printf '%-11s %8s %8s %8s %8s %8s %8s %8s\n' containers kernel keel setup start total wall stop

for n in $counts; do
	tree=$KQ_DIR/containers.d.$n
	make_tree "$tree" "$n"
	img=$KQ_DIR/boot-$n.img
	if ! kq_image "$img" --init "$keel" --containers "$tree" --busybox-rootfs >"$KQ_DIR/mk.log" 2>&1; then
		echo "bench/boot.sh: keel-mkimage failed for $n containers:"
		cat "$KQ_DIR/mk.log"
		exit 1
	fi
	ks=() ke=() tot=() wall=() stop=() self=() setup=()
	for r in $(seq 1 "$runs"); do
		kq_start "$img"
		if ! kq_wait 'Startup finished in [0-9]+ms' 600; then
			echo "bench/boot.sh: $n containers, run $r: never reached 'Startup finished'"
			kq_fail_log
			kq_stop
			continue
		fi
		w=$(( $(kq_now_ms) - KQ_T0 ))
		t_keel=$(stamp_of 'keel .* starting as')
		t_ready=$(stamp_of 'Startup finished in')
		t_self=$(printf '%s\n' "$KQ_MATCH" | sed -n 's/.*Startup finished in \([0-9]*\)ms.*/\1/p')
		case $KQ_MATCH in *' 0 failed'*) ;; *) echo "# $n containers, run $r: $KQ_MATCH" ;; esac
		t0=$(kq_now_ms)
		kq_mon "sendkey ctrl-alt-delete"
		if kq_wait_exit 300; then
			stop+=("$(( $(kq_now_ms) - t0 ))")
		else
			kq_stop
		fi
		ks+=("$(awk -v a="$t_keel" 'BEGIN {printf "%.3f", a}')")
		ke+=("$(awk -v a="$t_keel" -v b="$t_ready" 'BEGIN {printf "%.3f", b - a}')")
		tot+=("$(awk -v a="$t_ready" 'BEGIN {printf "%.3f", a}')")
		wall+=("$(awk -v w="$w" 'BEGIN {printf "%.3f", w / 1000}')")
		self+=("$(awk -v s="$t_self" 'BEGIN {printf "%.3f", s / 1000}')")
		setup+=("$(awk -v a="$t_keel" -v b="$t_ready" -v s="$t_self" 'BEGIN {printf "%.3f", b - a - s / 1000}')")
	done
	m() { printf '%s\n' "$@" | median; }
	ms() { printf '%s\n' "$@" | awk '{printf "%.3f\n", $1 / 1000}' | median; }
	printf '%-11s %8s %8s %8s %8s %8s %8s %8s\n' "$n" "$(m "${ks[@]}")" "$(m "${ke[@]}")" \
		"$(m "${setup[@]}")" "$(m "${self[@]}")" "$(m "${tot[@]}")" "$(m "${wall[@]}")" \
		"$(ms "${stop[@]}")"
done
echo "kernel = kernel start -> keel's first line; keel = that -> all containers ready, of which"
echo "setup = keel's own boot (switch root, mounts, cgroups, kernel modules) and start = keel's"
echo "'Startup finished in' figure (every container created, started, ready);"
echo "total = kernel start -> all ready; wall = QEMU start -> all ready (host clock);"
echo "stop = ctrl-alt-delete -> QEMU exit (every container stopped, file systems unmounted)."
