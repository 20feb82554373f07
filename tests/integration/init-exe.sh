#!/bin/sh
# A supervised container that shares keel's pid namespace cannot reach the
# host's keel binary through /proc/PID/exe of PID 1 or of PID 1's runtime
# helpers: they run from a sealed memfd copy (lib/selfclone.c).  The
# attacker has every capability (config.json names none, so it keeps
# PID 1's), so only the seals stand in its way, not ptrace checks.
. "$(dirname "$0")/init-lib.sh"

# keel runs from a copy, so a keel with the hole damages only the copy.
cp "$KEEL" "$T/keel"
KEEL=$T/keel
sum_before=$(sha256sum "$KEEL" | cut -d' ' -f1)

make_rootfs
# A second entry keeps a runtime helper (its create hook) alive while
# the attacker looks around, so /proc shows more keel processes than PID 1;
# the attacker waits (10 s at most) until it sees two.
entry slowhook 'exec sleep 1000' '{"stop": {"signal": "KILL"}}' yes \
	'"hooks": {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "3"]}]}'
entry attacker 'memfds() {
	n=0
	for e in /proc/[0-9]*/exe; do
		case $(readlink $e 2>/dev/null) in /memfd:*) n=$((n + 1)) ;; esac
	done
	echo $n
}
i=0
until [ $(memfds) -ge 2 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
for e in /proc/[0-9]*/exe; do
	p=${e%/exe}
	l=$(readlink $e 2>/dev/null) || continue
	case $l in /bin/busybox) continue ;; esac
	echo "exe ${p#/proc/} -> $l"
	if echo x 2>/dev/null >>$e; then echo "appended to $e"; fi
	if head -c 4 $e 2>/dev/null | grep -q ELF; then echo "read $e"; fi
done
echo attack-done; exec sleep 1000' '{"stop": {"signal": "KILL"}}' no

start_keel
wait_for 'attacker \| attack-done' 15
check "the attacker, in keel's pid namespace, looked at every /proc/PID/exe"
grep 'attacker | exe ' "$T/console.log" | sed 's/^/# /'
grep -q 'attacker | exe 1 -> ' "$T/console.log"
check "it saw PID 1's exe"
# (the hook's sleep runs from the host's /bin/sleep, as hooks do)
grep 'attacker | exe ' "$T/console.log" | grep -v -e '-> /memfd:keel (deleted)$' \
	-e "-> $(readlink -f /bin/sleep)\$"
[ $? != 0 ]
check "every keel process it saw runs from /memfd:keel, none from a host path"
[ "$(grep -c 'attacker | exe .* -> /memfd:keel' "$T/console.log")" -ge 2 ]
check "it saw PID 1 and at least one runtime helper"
grep 'attacker | appended' "$T/console.log"
[ $? != 0 ]
check "no /proc/PID/exe of keel could be appended to"
is "$(sha256sum "$KEEL" | cut -d' ' -f1)" "$sum_before" "the keel binary is unchanged"

stop_keel
show_log_on_failure
done_testing
