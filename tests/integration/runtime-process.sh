#!/bin/sh
# The container process as runtime-spec config.md "process" describes it,
# each property read from inside the container: capabilities (all five
# sets), user and groups, env, cwd, umask, rlimits, no_new_privs,
# oom_score_adj, hostname/domainname, pid 1 in the pid namespace.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

status_field() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k { print $2 }'; }

# Root: after execve, permitted and effective are bounding | inheritable.
cfg caps-root
cfg_set '.process.capabilities = {bounding: $s, effective: $s, permitted: $s,
	inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"]}' \
	--argjson s '["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'
cfg_sh 'grep ^Cap /proc/self/status'
ctr_run
is "$RC" 0 "caps (uid 0): run exits 0"
is "$(status_field CapBnd)" "$(cap_mask 0 5 10)" "caps (uid 0): CapBnd is the bounding set"
is "$(status_field CapPrm)" "$(cap_mask 0 5 10)" "caps (uid 0): CapPrm"
is "$(status_field CapEff)" "$(cap_mask 0 5 10)" "caps (uid 0): CapEff"
is "$(status_field CapInh)" "$(cap_mask 5)" "caps (uid 0): CapInh is the inheritable set"
is "$(status_field CapAmb)" "$(cap_mask 5)" "caps (uid 0): CapAmb is the ambient set"

# Non-root: only ambient capabilities survive execve.
cfg caps-user
cfg_set '.process.user = {uid: 1000, gid: 1000} | .process.capabilities = {
	bounding: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
	effective: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
	permitted: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
	inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}'
cfg_sh 'grep ^Cap /proc/self/status'
ctr_run
is "$RC" 0 "caps (uid 1000): run exits 0"
is "$(status_field CapBnd)" "$(cap_mask 0 10)" "caps (uid 1000): CapBnd"
is "$(status_field CapPrm)" "$(cap_mask 10)" "caps (uid 1000): CapPrm holds the ambient cap"
is "$(status_field CapEff)" "$(cap_mask 10)" "caps (uid 1000): CapEff holds the ambient cap"
is "$(status_field CapInh)" "$(cap_mask 10)" "caps (uid 1000): CapInh"
is "$(status_field CapAmb)" "$(cap_mask 10)" "caps (uid 1000): CapAmb"

cfg no-caps
cfg_set '.process.capabilities = {bounding: [], effective: [], permitted: [],
	inheritable: [], ambient: []}'
cfg_sh 'grep ^CapBnd /proc/self/status'
ctr_run
is "$OUT" "CapBnd:	0000000000000000" "caps: empty sets give an empty bounding set"

cfg user
cfg_set '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20]}'
cfg_sh 'grep -E "^(Uid|Gid|Groups):" /proc/self/status | tr -s "\t " " "'
ctr_run
is "$OUT" "Uid: 1000 1000 1000 1000
Gid: 1001 1001 1001 1001
Groups: 10 20 " "user: uid, gid and additionalGids"

cfg env
cfg_set '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="] | .process.cwd = "/etc"
	| .process.user.umask = 23'
cfg_sh 'echo "$FOO|${EMPTY-unset}|$PATH"; pwd; umask'
ctr_run
is "$OUT" "bar baz||/bin
/etc
0027" "env, cwd and umask"

cfg rlimits
cfg_set '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 1000},
	{type: "RLIMIT_CORE", soft: 0, hard: 4096}, {type: "RLIMIT_NPROC", soft: 77, hard: 77}]'
cfg_sh 'grep -E "^Max (open files|core file size|processes)" /proc/self/limits | tr -s " "'
ctr_run
is "$OUT" "Max core file size 0 4096 bytes 
Max processes 77 77 processes 
Max open files 512 1000 files " "rlimits in /proc/self/limits"

cfg nnp
cfg_set '.process.noNewPrivileges = true'
cfg_sh 'grep ^NoNewPrivs /proc/self/status'
ctr_run
is "$OUT" "NoNewPrivs:	1" "noNewPrivileges: true sets no_new_privs"
cfg nnp-off
cfg_set '.process.noNewPrivileges = false'
cfg_sh 'grep ^NoNewPrivs /proc/self/status'
ctr_run
is "$OUT" "NoNewPrivs:	0" "noNewPrivileges: false leaves it off"

cfg oom
cfg_set '.process.oomScoreAdj = 123'
cfg_sh 'cat /proc/self/oom_score_adj'
ctr_run
is "$OUT" "123" "oomScoreAdj in /proc/self/oom_score_adj"

# The host's names before any container sets its own: compared after,
# so a runtime that called sethostname outside the new uts namespace fails.
host_name=$(cat /proc/sys/kernel/hostname)
host_domain=$(cat /proc/sys/kernel/domainname)
[ "$host_name" != kh-test ] && [ "$host_domain" != kd.example ]
check "the host's names differ from the ones the containers set ($host_name, $host_domain)"

cfg uts
cfg_set '.hostname = "kh-test"'
cfg_sh 'hostname'
ctr_run
is "$OUT" "kh-test" "hostname in the uts namespace"
if [ "$RT_NAME" = runc ]; then
	skip "domainname" "runc 1.1 ignores domainname"
else
	cfg domain
	cfg_set '.domainname = "kd.example"'
	cfg_sh 'cat /proc/sys/kernel/domainname'
	ctr_run
	is "$OUT" "kd.example" "domainname in the uts namespace"
fi
is "$(cat /proc/sys/kernel/hostname)" "$host_name" "the host's hostname is untouched"
is "$(cat /proc/sys/kernel/domainname)" "$host_domain" "the host's domainname is untouched"

cfg pid1
cfg_sh 'echo $$; ls /proc | grep "^[0-9]" | wc -l'
ctr_run
is "$(echo "$OUT" | head -1)" 1 "pid namespace: the process is pid 1"
[ "$(echo "$OUT" | tail -1)" -le 4 ]
check "pid namespace: /proc shows no host process (only sh and its pipeline)"

cfg args
cfg_set '.process.args = ["/bin/echo", "a b", "", "c"]'
ctr_run
is "$OUT" "a b  c" "args are passed as given (spaces and empty ones kept)"

# Ignored signals are inherited through execve; the container starts with
# none ignored, including the ones libc keeps for itself (32-34), whose
# disposition its sigaction can neither read nor reset.
if [ "$(uname -m)" = x86_64 ] && command -v python3 >/dev/null; then
	cfg sigign
	cfg_sh 'grep ^SigIgn /proc/self/status'
	: >"$T/stdin"
	OUT=$(python3 "$(dirname "$0")/../lib/sig-ignore.py" 10,32,33 $RUNTIME --root "$STATE" \
		run --bundle "$B" sigign <"$T/stdin" 2>"$T/err")
	# bit 2 is SIGQUIT, which busybox sh ignores itself in `sh -c`
	like "$OUT" "^SigIgn:[[:space:]]*0000000000000[0-7]{3}$" \
		"signals ignored by the caller (10, 32, 33) are not ignored in the container"
	rt delete --force sigign >/dev/null 2>&1
else
	skip "inherited ignored signals" "needs python3 on x86_64 (raw rt_sigaction)"
fi

done_testing
