#!/bin/sh
# linux.seccomp (a denied syscall fails with the configured errno),
# linux.sysctl (written in the container's namespaces), personality, and
# LSM fields keel cannot honour being refused rather than dropped.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

seccomp_enabled=yes
if [ "$RT_NAME" = keel ]; then
	seccomp_enabled=$(rt features 2>/dev/null | jq -r '.linux.seccomp.enabled')
	[ "$seccomp_enabled" = true ] && seccomp_enabled=yes
fi

if [ "$seccomp_enabled" != yes ]; then
	skip "seccomp" "built without CONFIG_SECCOMP"
else
	cfg seccomp
	cfg_set '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs"}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
			syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1},
				{names: ["sethostname"], action: "SCMP_ACT_ERRNO"}]}'
	cfg_sh 'mkdir /tmp/d 2>&1; touch /tmp/f && echo touch-ok; hostname x 2>&1; echo done'
	ctr_run
	is "$RC" 0 "seccomp: run exits 0"
	like "$(echo "$OUT" | sed -n 1p)" "Operation not permitted" "seccomp: mkdir fails with EPERM (errnoRet 1)"
	is "$(echo "$OUT" | sed -n 2p)" touch-ok "seccomp: other syscalls are allowed"
	like "$(echo "$OUT" | sed -n 3p)" "Operation not permitted" "seccomp: SCMP_ACT_ERRNO defaults to EPERM"

	cfg seccomp-arg
	cfg_set '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["personality"],
		action: "SCMP_ACT_ERRNO", errnoRet: 22, args: [{index: 0, value: 8, op: "SCMP_CMP_EQ"}]}]}'
	cfg_sh 'grep ^Seccomp: /proc/self/status'
	ctr_run
	is "$OUT" "Seccomp:	2" "seccomp: a filter with argument rules is loaded (mode 2)"

	cfg seccomp-kill
	cfg_set '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getppid"], action: "SCMP_ACT_KILL_PROCESS"}]}'
	cfg_set '.process.args = ["sh", "-c", "echo before; cat /proc/self/status >/dev/null; exec sh -c \"echo \\$PPID\""]'
	ctr_run
	is "$RC" 159 "seccomp: SCMP_ACT_KILL_PROCESS kills with SIGSYS (run exits 128+31)"
fi

cfg sysctl
cfg_set '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
cfg_sh 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
host_shm=$(cat /proc/sys/kernel/shmmni)
ctr_run
is "$OUT" "1
1234" "sysctl: net.* and kernel.shm* set in the container's namespaces"
is "$(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/shmmni)" "$host_fwd $host_shm" \
	"sysctl: the host's values are untouched"

cfg sysctl-host
cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")]
	| .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
ctr_run
[ "$RC" != 0 ] || [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
check "sysctl: net.* without a network namespace is refused or at least not applied to the host"
echo "$host_fwd" >/proc/sys/net/ipv4/ip_forward

if [ "$RT_NAME" = runc ]; then
	skip "personality" "runc 1.1 does not support linux.personality"
else
	cfg personality
	cfg_set '.linux.personality = {domain: "LINUX32"}'
	cfg_sh 'uname -m'
	ctr_run
	like "$OUT" "^i[3-6]86$" "personality LINUX32: uname -m says i686"
fi

if [ "$RT_NAME" = keel ]; then
	cfg apparmor
	cfg_set '.process.apparmorProfile = "docker-default"'
	ctr_run
	[ "$RC" != 0 ]
	check "process.apparmorProfile is refused (keel has no AppArmor support)"
	is "$(echo "$ERR" | wc -l)" 1 "apparmorProfile: one line of error"
	like "$ERR" "apparmorProfile" "apparmorProfile: the error names the field"
	ctr_gone apparmor ""
	cfg selinux
	cfg_set '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
	ctr_run
	[ "$RC" != 0 ]
	check "process.selinuxLabel is refused"
fi

done_testing
