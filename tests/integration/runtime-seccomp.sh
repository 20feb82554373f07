#!/bin/sh
# linux.seccomp beyond single rules (those are in runtime-security.sh):
#  - the filter is loaded last, so a profile that allows what the program
#    needs works even when it predates the syscalls the runtime itself
#    makes (faccessat2 for the PATH lookup, close_range for fds);
#  - syscalls newer than any the profile names fail with ENOSYS, not the
#    default action, so libc's fallbacks work under old profiles;
#  - SCMP_ACT_NOTIFY: the notify fd and the container process state reach
#    linux.seccomp.listenerPath, and the listener's answers are what the
#    container sees.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"
here=$(cd "$(dirname "$0")/../lib" && pwd)

if [ "$RT_NAME" = keel ]; then
	[ "$(rt features 2>/dev/null | jq -r '.linux.seccomp.enabled')" = true ] ||
		skip_all "keel was built without CONFIG_SECCOMP"
fi

# The shape of Docker's and podman's default profiles before faccessat2
# (439) and close_range (436) were added to them: an allow-list with
# defaultAction SCMP_ACT_ERRNO.  It names epoll_pwait2 (441), so those two
# are not "newer than the profile": they get the default action, EPERM.
# sysinfo is left out to see the default action on a syscall it does not
# name.
allow='accept accept4 access adjtimex alarm arch_prctl bind brk capget capset
chdir chmod chown chroot clock_adjtime clock_getres clock_gettime
clock_nanosleep clone close connect copy_file_range creat dup dup2 dup3
epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_pwait2 epoll_wait
eventfd eventfd2 execve execveat exit exit_group faccessat fadvise64
fallocate fchdir fchmod fchmodat fchown fchownat fcntl fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstatfs fsync ftruncate
futex futimesat get_robust_list get_thread_area getcpu getcwd getdents
getdents64 getegid geteuid getgid getgroups getitimer getpeername getpgid
getpgrp getpid getppid getpriority getrandom getresgid getresuid getrlimit
getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr
inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel
io_destroy io_getevents io_setup io_submit ioctl ioprio_get ioprio_set kill
lchown lgetxattr link linkat listen listxattr llistxattr lremovexattr lseek
lsetxattr lstat madvise membarrier memfd_create mincore mkdir mkdirat mknod
mknodat mlock mlock2 mlockall mmap modify_ldt mprotect mremap msync munlock
munlockall munmap nanosleep newfstatat open openat pause pidfd_open
pidfd_send_signal pipe pipe2 poll ppoll prctl pread64 preadv preadv2
prlimit64 pselect6 pwrite64 pwritev pwritev2 read readahead readlink
readlinkat readv recvfrom recvmmsg recvmsg rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo
sched_get_priority_max sched_get_priority_min sched_getaffinity
sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval
sched_setaffinity sched_setattr sched_setparam sched_setscheduler
sched_yield seccomp select semctl semget semop semtimedop sendfile sendmmsg
sendmsg sendto set_robust_list set_thread_area set_tid_address setdomainname
setfsgid setfsuid setgid setgroups sethostname setitimer setpgid
setpriority setregid setresgid setresuid setreuid setrlimit setsid
setsockopt setuid setxattr shutdown sigaltstack signalfd signalfd4 socket
socketpair splice stat statfs statx symlink symlinkat sync sync_file_range
syncfs tee tgkill time timer_create timer_delete timer_getoverrun
timer_gettime timer_settime timerfd_create timerfd_gettime timerfd_settime
times tkill truncate umask uname unlink unlinkat utime utimensat utimes
vfork vmsplice wait4 waitid write writev'

# cfg_old_profile NNP: the profile above, process.noNewPrivileges = NNP.
cfg_old_profile() {
	cfg_set '.process.noNewPrivileges = $nnp
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO",
			architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
			syscalls: [{names: [$allow | splits("\\s+") | select(length > 0)], action: "SCMP_ACT_ALLOW"},
				{names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38}]}' \
		--argjson nnp "$1" --arg allow "$allow"
}

# 1. Loaded last: the PATH lookup and the fd cleanup happen before it.
# Without noNewPrivileges, loading needs CAP_SYS_ADMIN, which the process
# must not keep: its capabilities are those of the same container without
# a filter, as root and as another user.
for nnp in true false; do
	cfg "old-profile-nnp-$nnp"
	cfg_old_profile $nnp
	cfg_sh 'echo hello'
	ctr_run
	is "$RC $OUT" "0 hello" \
		"noNewPrivileges $nnp: a profile without faccessat2/close_range runs \`sh\` (found in PATH)"
done
for uid in 0 1000; do
	cfg "caps-plain-$uid"
	cfg_set '.process.noNewPrivileges = false | .process.user.uid = $u | .process.user.gid = $u' \
		--argjson u $uid
	cfg_sh 'grep ^Cap /proc/self/status'
	ctr_run
	plain=$OUT
	cfg "caps-filtered-$uid"
	cfg_old_profile false
	cfg_set '.process.user.uid = $u | .process.user.gid = $u' --argjson u $uid
	cfg_sh 'grep ^Cap /proc/self/status'
	ctr_run
	is "$RC $OUT" "0 $plain" \
		"noNewPrivileges false, uid $uid: the filter loads and the capabilities are the configured ones"
done

# 2. Unknown and newer syscalls: ENOSYS.  The probe makes raw syscalls:
# 1000 (no kernel has it), 450 (set_mempolicy_home_node, newer than the
# profile's newest), 99 (sysinfo, older but not named) and 439 (faccessat2,
# likewise).  With all-zero arguments an allowed one fails with EFAULT.
if ! cc -static -O2 -o "$T/rootfs/bin/syscall-probe" "$here/syscall-probe.c" 2>"$T/cc.err"; then
	skip "ENOSYS for syscalls the profile does not know" "cannot build a static probe: $(head -1 "$T/cc.err")"
else
	if [ "$RT_NAME" = crun ]; then
		skip "ENOSYS for unknown and newer syscalls" "crun 1.8.1 gives them the default action (EPERM)"
	else
		cfg enosys
		cfg_old_profile true
		cfg_set '.process.args = ["syscall-probe", "1000", "450", "99", "439"]'
		ctr_run
		is "$(echo $OUT)" "1000 38 450 38 99 1 439 1" \
			"unknown (1000) and newer (450) syscalls fail with ENOSYS; older unnamed ones (99, 439) get the default EPERM"
		# The same per architecture: i386 numbers through int $0x80
		# (1000; 450; 116, its sysinfo), where the kernel has that entry.
		if [ "$(uname -m)" = x86_64 ] &&
			[ "$("$T/rootfs/bin/syscall-probe" i386:20 2>/dev/null)" = "i386:20 0" ]; then
			cfg enosys-i386
			cfg_old_profile true
			cfg_set '.process.args = ["syscall-probe", "i386:1000", "i386:450", "i386:116"]'
			ctr_run
			is "$(echo $OUT)" "i386:1000 38 i386:450 38 i386:116 1" \
				"SCMP_ARCH_X86 too: its own newest named syscall is the limit"
		else
			skip "ENOSYS on i386" "no 32-bit syscall entry on this machine"
		fi
	fi

	cfg enosys-allow
	cfg_set '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getcwd"], action: "SCMP_ACT_ERRNO"}]}'
	cfg_set '.process.args = ["syscall-probe", "1000", "79"]'
	ctr_run
	is "$(echo $OUT)" "1000 38 79 1" \
		"defaultAction SCMP_ACT_ALLOW: no ENOSYS prefix needed, the named rule still applies"
fi

# 3. SCMP_ACT_NOTIFY with a real listener that makes mkdir "succeed"
# without a directory.  notify_run NAME SYSCALLS_JSON: $RC, $OUT, and the
# listener's JSON in $T/NAME.json.
notify_run() {
	cfg "$1"
	sock=$T/$1.sock
	python3 "$here/seccomp-listener.py" "$sock" "$T/$1.json" 0 2>"$T/$1.err" &
	lpid=$!
	RT_PIDS="$RT_PIDS $lpid"
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	cfg_set '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs"}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			listenerPath: $sock, listenerMetadata: "keel-test-metadata",
			syscalls: [{names: $names, action: "SCMP_ACT_NOTIFY"}]}' \
		--arg sock "$sock" --argjson names "$2"
	cfg_sh 'mkdir /tmp/d && echo mkdir-ok; [ -d /tmp/d ] && echo exists || echo absent'
	# A runtime that never hands the fd over would hang the container.
	timeout -k 5 30 $RUNTIME --root "$STATE" run --bundle "$B" "$CTR" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(echo $(cat "$T/out"))
	[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
	[ -s "$T/$1.json" ] || printf '# listener: %s\n' "$(head -3 "$T/$1.err")"
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
}

if ! command -v python3 >/dev/null; then
	skip "seccomp listenerPath" "no python3 for the listener"
else
	notify_run notify '["mkdir", "mkdirat"]'
	is "$RC $OUT" "0 mkdir-ok absent" "notify: mkdir succeeds without a directory: the listener answered it"
	j=$T/notify.json
	jq -e '.fds == ["seccompFd"] and (.ociVersion | length > 0)' "$j" >/dev/null 2>&1
	check "notify: the listener got ociVersion and fds [\"seccompFd\"]"
	jq -e '.metadata == "keel-test-metadata"' "$j" >/dev/null 2>&1
	check "notify: metadata is linux.seccomp.listenerMetadata"
	jq -e --arg id "$CTR" '.state.id == $id and .pid > 0 and .state.pid == .pid
		and (.state.bundle | length > 0)' "$j" >/dev/null 2>&1
	check "notify: state is the container's state, with the process's pid"
	[ -s "$j" ] && printf '# listener got: %s\n' "$(tr -d '\n\t ' <"$j")"

	# sendmsg is how a runtime would pass an fd on a socket: the listener
	# must get its fd without the container process needing it.
	notify_run notify-sendmsg '["mkdir", "mkdirat", "sendmsg"]'
	is "$RC $OUT" "0 mkdir-ok absent" "notify on sendmsg too: create does not hang, the listener answers"

	cfg notify-default
	cfg_set '.linux.seccomp = {defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/nonexistent.sock"}'
	timeout -k 5 30 $RUNTIME --root "$STATE" run --bundle "$B" "$CTR" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" != 0 ] && [ "$RC" != 124 ]
	check "defaultAction SCMP_ACT_NOTIFY is refused, not a hang (rc $RC)"
fi

done_testing
