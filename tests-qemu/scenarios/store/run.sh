#!/bin/bash
# containers.d on a persistent disk (the fstab line marked
# x-keel.containers, docs/deployments.md "Where it lives"), updated and
# rolled back from the host through QEMU's hostfwd: curl reads web's page
# (:80) and drives keelctl through the ctl container's CGI (:8081,
# containers.d/ctl/files/ctl/cgi-bin/step).  Boots of the same disk:
#   1  first boot: the disk is seeded from the initramfs's containers.d;
#      v1 -> v2 (the host sees v2, other keeps its pid); v3 fails its health
#      check and keel rolls back to v2 by itself, the console says why
#   2  a reboot keeps v2 (the initramfs has v1); keelctl rollback to v1
#   3… power cut in the middle of an update: the monitor's `quit` at a
#      random point of an update to tK; the next boot must serve one whole
#      deployment, old or new: page, config.json, keel.json and rootfs all
#      of one version (KEEL_STORE_TRIES tries, default 3; `make
#      check-store` runs 20)
#   before all that, on fresh disks: a power cut in the middle of the
#      first boot's seed (KEEL_STORE_SEED_TRIES, default 1; 5 in `make
#      check-store`): the next boot serves the whole v1, no half seed left
#   then: the disk missing -> the initramfs's containers.d with the reason;
#      keel.store=off on the kernel command line -> the same, by hand;
#      a damaged store (keel.json keel check refuses) -> the same
# The host checks the file system after each clean shutdown (e2fsck -fn).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/harness.sh"

tries=${KEEL_STORE_TRIES:-3}
seed_tries=${KEEL_STORE_SEED_TRIES:-1}
kq_scenario store mkfs.ext4:e2fsprogs e2fsck:e2fsprogs curl
export DISK=$KQ_DIR/store.img

free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 40); do
		[ "$p" != "${1:-}" ] || continue
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}
web_port=$(free_port) && ctl_port=$(free_port "$web_port") ||
	{ echo "1..0 # SKIP no free local port"; exit 77; }
fwd="tcp:127.0.0.1:$web_port-:80,hostfwd=tcp:127.0.0.1:$ctl_port-:8081"

if ! kq_image "$KQ_DIR/initrd.img" --init "$keel" --containers "$here/containers.d" \
	--busybox-rootfs --file "$here/fstab:/etc/keel/fstab" >"$KQ_DIR/mkimage.log" 2>&1; then
	echo "not ok 1 - keel-mkimage failed"
	sed 's/^/#   /' "$KQ_DIR/mkimage.log"
	echo "1..1"
	exit 1
fi
mkfs.ext4 -q -F -L keelstate "$DISK" 128M >/dev/null 2>&1 ||
	{ echo "not ok 1 - mkfs.ext4 -L keelstate failed"; echo "1..1"; exit 1; }

rc=0
ok() { kq_tap ok "$1"; }
nok() { kq_tap "not ok" "$1"; rc=1; }
# check DESCRIPTION COMMAND...: one TAP line
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
wait_line() { # wait_line REGEX [SECS]: the next console line matching
	check "console: /$1/" kq_wait "$1" "${2:-60}"
}
step() { curl -s --max-time "$(kq_timeout 180)" "http://127.0.0.1:$ctl_port/cgi-bin/step?$1"; }
page() { curl -s --max-time 10 "http://127.0.0.1:$web_port/" 2>/dev/null; }
# Both forwards answer: web's page (any content) and the ctl CGI.
wait_up() {
	local deadline=$(($(kq_now_ms) + $(kq_timeout 120) * 1000))
	while [ "$(kq_now_ms)" -lt "$deadline" ] && kq_running; do
		if [ -n "$(page)" ] && [ -n "$(step pid-other 2>/dev/null)" ]; then
			return 0
		fi
		sleep 0.5
	done
	return 1
}
wait_page_any() { # only web's page (the ctl may be held back)
	local deadline=$(($(kq_now_ms) + $(kq_timeout 120) * 1000))
	while [ "$(kq_now_ms)" -lt "$deadline" ] && kq_running; do
		[ -z "$(page)" ] || return 0
		sleep 0.5
	done
	return 1
}
page_is() { # page_is VERSION: the host sees that page
	local got
	got=$(page)
	[ "$got" = "web version $1" ] || { echo "#   page: \"$got\", want web version $1"; return 1; }
}
# The active deployment's four markers are one version; prints it.
consistent() {
	local out c k r p v
	out=$(step check) || return 1
	c=$(sed -n 's/^config: version //p' <<<"$out")
	k=$(sed -n 's/^keel: version //p' <<<"$out")
	r=$(sed -n 's/^rootfs: version //p' <<<"$out")
	p=$(page)
	v=${p#web version }
	if [ -n "$c" ] && [ "$c" = "$k" ] && [ "$c" = "$r" ] && [ "$p" = "web version $c" ]; then
		echo "$c"
		return 0
	fi
	echo "#   not one version: config $c, keel.json $k, rootfs $r, page \"$p\"" >&2
	sed 's/^/#   /' <<<"$out" >&2
	return 1
}
boot() { # boot [-nodisk]
	if [ "${1:-}" = -nodisk ]; then
		kq_start -hostfwd "$fwd" "$KQ_DIR/initrd.img"
	else
		kq_start -disk "$DISK" -hostfwd "$fwd" "$KQ_DIR/initrd.img"
	fi
	BOOT_T0=$(kq_now_ms)
}
fsck_clean() { e2fsck -fn "$DISK" >/dev/null 2>&1; }
clean_end() { # ctrl-alt-delete, keel reboots (QEMU ends), the disk is clean
	kq_mon "sendkey ctrl-alt-delete"
	wait_line "Unmounted /var/lib/keel" 60
	wait_line "Reached the end: reboot" 60
	check "QEMU exited" kq_wait_exit 60
	kq_stop
	check "e2fsck -fn: the store's file system is clean" fsck_clean
	check "console never shows a kernel panic" eval '! kq_console_from 1 | grep -q "Kernel panic"'
}
fail_log() { [ "$rc" = 0 ] || KQ_NAME=store-$1 kq_fail_log; }

# ---- a power cut in the middle of the first boot's seed --------------------------------
# A fresh disk each try: the cut lands 0 to 1.5 s after the disk is
# mounted (the seed took about 0.7 s here); the next boot must serve the
# whole v1 from the disk, with no half seed left beside containers.d.
SEED=$KQ_DIR/seed.img
for k in $(seq 1 "$seed_tries"); do
	[ "$rc" = 0 ] || break
	mkfs.ext4 -q -F -L keelstate "$SEED" 128M >/dev/null 2>&1 || { nok "mkfs.ext4 (seed try $k)"; break; }
	kq_start -disk "$SEED" -hostfwd "$fwd" "$KQ_DIR/initrd.img"
	if ! kq_wait "Mounted /var/lib/keel" 120; then
		nok "seed try $k: the disk is mounted"
		break
	fi
	cut=$(shuf -i 0-1500 -n 1)
	sleep "$(printf '%d.%03d' $((cut / 1000)) $((cut % 1000)))"
	kq_mon "quit"
	kq_wait_exit 30 >/dev/null
	seeded=no
	kq_console_from 1 | grep -q "Seeded /var/lib/keel/containers.d" && seeded=yes
	kq_stop
	kq_start -disk "$SEED" -hostfwd "$fwd" "$KQ_DIR/initrd.img"
	if kq_wait "containers.d: /var/lib/keel/containers.d" 120 && wait_up; then
		again=no
		kq_console_from 1 | grep -q "Seeded /var/lib/keel/containers.d" && again=yes
		out=$(step check)
		if [ "$(consistent)" = v1 ] && grep -q "^store: containers.d lost+found $" <<<"$out"; then
			ok "seed cut $k at $cut ms after the mount (seed said done: $seeded; seeded again: $again): the whole v1 from the disk, no half seed"
		else
			nok "seed cut $k at $cut ms: not the whole v1, or debris beside containers.d"
			sed 's/^/#   /' <<<"$out"
		fi
	else
		nok "seed cut $k at $cut ms: the next boot is up with the store"
	fi
	kq_mon "quit"
	kq_wait_exit 30 >/dev/null
	kq_stop
	fail_log seed$k
done
rm -f "$SEED"

# ---- boot 1: seeded, v1 -> v2, v3 rolled back ---------------------------------------
echo "# boot 1: first boot of an empty disk"
boot
wait_line "Mounted /var/lib/keel \(LABEL=keelstate" 60
wait_line "Seeded /var/lib/keel/containers.d from the initramfs's /containers.d" 120
wait_line "containers.d: /var/lib/keel/containers.d \(the store on LABEL=keelstate\)" 60
check "web and ctl answer the host" wait_up
check "the host sees v1" page_is v1
other=$(step pid-other)
echo "# other's pid: $other"
t0=$(kq_now_ms)
out=$(step update-v2)
update_ms=$(($(kq_now_ms) - t0))
echo "# update to v2 took $update_ms ms"
sed 's/^/#   /' <<<"$out"
check "keelctl update web v2: committed" grep -q "rc=0" <<<"$out"
check "the host sees v2" page_is v2
check "other kept its pid through the update ($other)" [ "$(step pid-other)" = "$other" ]
out=$(step update-v3-bad)
sed 's/^/#   /' <<<"$out"
check "v3 (no page: its health check fails) is rolled back by keel" \
	grep -q "rolled back: deployment 1 is ready again" <<<"$out"
check "keelctl update exits 1 for v3" grep -q "rc=1" <<<"$out"
check "console: ctl | keelctl says why v3 was rolled back" \
	kq_wait_any "ctl \| keelctl: update web: deployment 2 was not ready within 15s" 10
check "the host sees v2 again" page_is v2
check "other kept its pid through the rollback" [ "$(step pid-other)" = "$other" ]
clean_end
fail_log boot1

# ---- boot 2: the reboot keeps v2; keelctl rollback to v1 ----------------------------
if [ "$rc" = 0 ]; then
	echo "# boot 2: the same disk"
	boot
	wait_line "containers.d: /var/lib/keel/containers.d \(the store on LABEL=keelstate\)" 120
	check "web and ctl answer the host" wait_up
	check "the reboot kept v2 (the initramfs holds v1)" page_is v2
	check "no second seed" eval '! kq_console_from 1 | grep -q Seeded'
	# what the store costs the boot: from the disk mounted to the entries read
	kq_console_from 1 | awk -F'[][]' '
		/Mounted \/var\/lib\/keel/ {m = $2} /containers.d: \/var\/lib\/keel/ {c = $2}
		END {if (m != "" && c != "") printf "# the store: mounted at %.3f s, repaired and checked %d ms later\n", m, (c - m) * 1000}'
	check "keelctl status web: deployment 1" eval 'step status | grep -q "^deployment: 1"'
	other=$(step pid-other)
	out=$(step rollback)
	sed 's/^/#   /' <<<"$out"
	check "keelctl rollback web" grep -q "rc=0" <<<"$out"
	check "the host sees v1" page_is v1
	check "other kept its pid through the rollback" [ "$(step pid-other)" = "$other" ]
	check "v1 whole: page, config.json, keel.json, rootfs" eval '[ "$(consistent)" = v1 ]'
	clean_end
	fail_log boot2
fi

# ---- power cuts in the middle of an update --------------------------------------------
# The window: an update as long as boot 1's v2 took, plus a margin after.
window=$((update_ms + 1000))
old=v1 new=
seen_old=0 seen_new=0 undone=0 halfcopy=0
cuts_t0=$(kq_now_ms)
for k in $(seq 1 $((tries + 1))); do
	[ "$rc" = 0 ] || break
	echo "# power-cut boot $k"
	boot
	if ! kq_wait "containers.d: /var/lib/keel/containers.d" 120 || ! wait_up; then
		nok "power-cut boot $k: up with the store"
		break
	fi
	v=$(consistent) || v=
	how=
	if kq_console_from 1 | grep -q "did not commit before the machine went down"; then
		how=", its uncommitted switch undone at boot"
		undone=$((undone + 1))
	fi
	if kq_console_from 1 | grep -q "an update's copy the machine went down in the middle of"; then
		how="$how, its half copy removed at boot"
		halfcopy=$((halfcopy + 1))
	fi
	if [ -n "$new" ]; then
		if [ "$v" = "$old" ] || [ "$v" = "$new" ]; then
			if [ "$v" = "$new" ]; then
				seen_new=$((seen_new + 1))
				ok "after the cut of try $((k - 1)) at $cut ms: one whole deployment, the new one ($v)$how"
			else
				seen_old=$((seen_old + 1))
				ok "after the cut of try $((k - 1)) at $cut ms: one whole deployment, the old one ($v)$how"
			fi
		else
			nok "after the cut of try $((k - 1)) at $cut ms: got \"$v\", want $old or $new"
			break
		fi
		old=$v
	elif [ "$v" != "$old" ]; then
		nok "before the first cut: got \"$v\", want $old"
		break
	fi
	if [ "$k" -gt "$tries" ]; then
		step check | sed 's/^/#   after the cuts: /'
		# the store takes an update after all of it
		out=$(step update-final)
		sed 's/^/#   /' <<<"$out"
		check "after the cuts, an update goes through" grep -q "rc=0" <<<"$out"
		check "the host sees it" page_is final
		check "one whole deployment" eval '[ "$(consistent)" = final ]'
		clean_end
		break
	fi
	new=t$k
	cut=$(shuf -i 0-"$window" -n 1)
	step "update-$new" >/dev/null 2>&1 &
	sleep "$(printf '%d.%03d' $((cut / 1000)) $((cut % 1000)))"
	kq_mon "quit"
	kq_wait_exit 30 >/dev/null
	kq_stop
	wait 2>/dev/null
done
echo "# power cuts: $tries tries in a window of $window ms; came up old $seen_old times ($undone undoing an uncommitted switch, $halfcopy removing a half copy), new $seen_new times; $(( ($(kq_now_ms) - cuts_t0) / 1000 )) s"
fail_log cuts

# ---- the disk missing, then a damaged store -------------------------------------------
if [ "$rc" = 0 ]; then
	echo "# boot without the disk"
	boot -nodisk
	wait_line "containers.d: the store on LABEL=keelstate \(/etc/keel/fstab:4\) cannot be used: LABEL=keelstate did not appear within 5000 ms \(x-keel.wait=\); booting the initramfs's /containers.d" 60
	check "the host sees the initramfs's v1" eval 'wait_page_any && page_is v1'
	check "console: ctl, which needs the store's mount, is held back" \
		kq_wait_any "ctl.*needs mount /var/lib/keel" 10
	kq_mon "sendkey ctrl-alt-delete"
	check "QEMU exited" kq_wait_exit 60
	kq_stop
	fail_log nodisk
fi
if [ "$rc" = 0 ]; then
	echo "# keel.store=off on the kernel command line"
	kq_start -disk "$DISK" -hostfwd "$fwd" -append keel.store=off "$KQ_DIR/initrd.img"
	wait_line "containers.d: keel.store=off on the kernel command line: booting the initramfs's /containers.d, not the store on LABEL=keelstate" 60
	check "the host sees the initramfs's v1 (the store holds final)" eval 'wait_page_any && page_is v1'
	clean_end
	fail_log store-off
fi
if [ "$rc" = 0 ]; then
	echo "# a damaged store"
	boot
	kq_wait "containers.d: /var/lib/keel/containers.d" 120 && wait_up &&
		check "damage the active web's keel.json" eval 'step damage | grep -q damaged'
	clean_end
	boot
	wait_line "containers.d: the store on LABEL=keelstate \(/etc/keel/fstab:4\) cannot be used: keel check refuses web, which the initramfs's /containers.d accepts: .*keel.json" 120
	check "the host sees the initramfs's v1" eval 'wait_page_any && page_is v1'
	kq_mon "sendkey ctrl-alt-delete"
	check "QEMU exited" kq_wait_exit 60
	kq_stop
	fail_log damaged
fi
echo "1..$KQ_CHECKS"
exit "$rc"
