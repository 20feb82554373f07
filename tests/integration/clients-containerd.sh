#!/bin/sh
# containerd 1.6 (its io.containerd.runc.v2 shim) driving keel as its OCI
# runtime through `ctr run --runc-binary .../keel-runtime`, with runc beside
# it as the reference: every case runs with both and is checked from its
# output.  A keel failure where runc passes is a `not ok`.
# containerd runs by hand on a private config: root, state, grpc and ttrpc
# sockets under $T, no CRI plugin, the native snapshotter; the shim's
# runtime root is $T/runc-root (--runc-root), the containers' cgroups are
# under /keeltest-clients-PID, the image is an OCI layout tar of the busybox
# rootfs built with umoci, ctr's fifos are in $T/fifo.  What stays outside
# $T: the shims' sockets in /run/containerd/s/ (containerd 1.6 hardcodes
# the directory; each socket goes when its shim exits).  The cgroup checks
# read the v1 files on a v1 or hybrid host (this one) and the v2 files on a
# pure v2 host (the QEMU guest, tests-qemu/scenarios/clients, which runs
# with CLIENTS_QUICK: the cases that differ by hierarchy and the lifecycle).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/../lib/clients.sh"

command -v containerd >/dev/null || skip_all "containerd is not installed (Debian package containerd)"
command -v ctr >/dev/null || skip_all "ctr is not installed (Debian package containerd)"
command -v containerd-shim-runc-v2 >/dev/null || skip_all "containerd-shim-runc-v2 is not installed"
command -v umoci >/dev/null || skip_all "umoci is not installed (builds the OCI image)"
clients_setup
CGP=keeltest-clients-$$
NS=keeltest-$$

cleanup() {
	containerd_cleanup
	cg_cleanup "$CGP"
	clients_rm_T
}
trap cleanup EXIT
trap 'exit 1' INT TERM
containerd_setup "$NS" || skip_all "$WHY"

n=0
OPTS= # more ctr run options for the next crun_/cdet (split on spaces)
crun_() { # crun_ RT ARGS... (after the image and id): ctr run --rm $OPTS; OUT, RC
	_r=$1; shift
	n=$((n + 1))
	OUT=$(timeout 60 ctr --address "$T/containerd.sock" -n "$NS" run --rm --snapshotter native --fifo-dir "$T/fifo" \
		--runc-binary "$(rt_path "$_r")" --runc-root "$T/runc-root" \
		--cgroup "/$CGP/c$n" $OPTS "$IMG" "c$n" "$@" 2>&1)
	RC=$?
	OPTS=
}
cdet() { # cdet RT ARGS...: ctr run -d, the task's id in ID, its output in $T/ID.log
	_r=$1; shift
	n=$((n + 1))
	ID=c$n
	C run -d --snapshotter native --fifo-dir "$T/fifo" --runc-binary "$(rt_path "$_r")" --runc-root "$T/runc-root" \
		--cgroup "/$CGP/$ID" --log-uri "file://$T/$ID.log" $OPTS "$IMG" "$ID" "$@" >/dev/null 2>"$T/err"
	_rc=$?
	OPTS=
	show_err "$T/err"
	return $_rc
}
tstatus() { C task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
tpid() { C task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }
wait_status() { # wait_status ID STATUS: 10 s at most
	_i=0
	while [ "$(tstatus "$1")" != "$2" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}
wait_log() { # wait_log ID PATTERN: 10 s at most
	_i=0
	until grep -q -- "$2" "$T/$1.log" 2>/dev/null || [ $_i -ge 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}
# tcg CONTROLLER V1FILE V2FILE ID: a cgroup file of task ID
tcg() { cg_file "$1" "$CGP/$4" "$2" "$3"; }
TRAPS='trap "echo got TERM; exit 3" TERM; trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done'

for R in $RUNTIMES; do
	# --- run --rm -----------------------------------------------------------
	crun_ "$R" echo hello from ctr
	is "$RC:$OUT" "0:hello from ctr" "$R: ctr run --rm prints the container's output, exit 0"
	if clients_full; then
		crun_ "$R" sh -c 'exit 42'
		is "$RC" 42 "$R: ctr run --rm sh -c 'exit 42' exits 42"
	fi
	crun_ "$R" sh -c 'cat /proc/self/cgroup'
	if cg_v2; then
		like "$OUT" "^0::/$CGP/c$n\$" "$R: ctr run: the task is in its --cgroup (v2)"
	else
		like "$OUT" "^[0-9]+:pids:/$CGP/c$n\$" "$R: ctr run: the task is in its --cgroup (v1 pids)"
	fi

	# --- options ctr turns into the spec -------------------------------------
	if clients_full; then
		OPTS="--env KEEL_A=alpha --cwd /etc --read-only"
		crun_ "$R" sh -c 'echo "$KEEL_A|$(pwd)"; touch /x 2>&1'
		is "$(printf '%s\n' "$OUT" | sed -n 1p)" "alpha|/etc" "$R: --env and --cwd"
		like "$OUT" 'touch: /x: Read-only file system' "$R: --read-only"
		OPTS=--privileged
		crun_ "$R" sh -c "grep CapEff /proc/self/status; test -b $HOSTBLK && echo blk"
		like "$OUT" "^CapEff:[[:space:]]+$CAPBND\$" "$R: --privileged: every capability (the caller's bounding set)"
		like "$OUT" '^blk$' "$R: --privileged: the host's devices ($HOSTBLK)"
		# --privileged adds every host device, --device /dev/null adds it once
		# more: runc takes the duplicate (the last entry wins)
		OPTS="--privileged --device /dev/null"
		crun_ "$R" sh -c 'echo x >/dev/null && echo null-ok'
		is "$RC:$OUT" "0:null-ok" "$R: --privileged --device /dev/null (a device listed twice) runs"
	fi
	OPTS="--memory-limit 67108864 --cpu-quota 50000 --cpu-period 100000"
	if cdet "$R" sleep 1000; then
		wait_status "$ID" RUNNING
		is "$(cat "$(tcg memory memory.limit_in_bytes memory.max "$ID")" 2>&1)" 67108864 \
			"$R: --memory-limit: the memory limit on the host"
		if cg_v2; then
			is "$(cat "$(tcg - - cpu.max "$ID")" 2>&1)" "50000 100000" \
				"$R: --cpu-quota 50000 --cpu-period 100000: cpu.max on the host"
		else
			is "$(cat "$(tcg cpu cpu.cfs_quota_us - "$ID")" 2>&1)" 50000 \
				"$R: --cpu-quota 50000: cpu.cfs_quota_us on the host"
		fi
		OUT=$(C task metrics "$ID" 2>&1)
		# v1: memory.limit_in_bytes, v2: memory.usage_limit (ctr's table)
		like "$OUT" 'memory\.(limit_in_bytes|usage_limit) +67108864' "$R: task metrics: the task's own memory limit"
		C task delete -f "$ID" >/dev/null 2>&1
		C containers rm "$ID" >/dev/null 2>&1
	fi

	# --- -d, task exec, task ps, pause/resume, kill, delete -----------------
	if cdet "$R" sh -c "$TRAPS"; then
		wait_log "$ID" ready
		is "$(tstatus "$ID")" RUNNING "$R: run -d: task ls says RUNNING"
		OUT=$(C task exec --fifo-dir "$T/fifo" --exec-id e1 "$ID" sh -c 'echo in exec; exit 7' 2>&1)
		is "$?:$OUT" "7:in exec" "$R: task exec: its output and exit code 7"
		OUT=$(C task exec --fifo-dir "$T/fifo" --exec-id e2 "$ID" sh -c 'cat /proc/self/cgroup; echo ==; cat /proc/1/cgroup' 2>&1)
		is "$(printf '%s\n' "$OUT" | sed '/^==$/,$d')" "$(printf '%s\n' "$OUT" | sed '1,/^==$/d')" \
			"$R: task exec: /proc/self/cgroup of the exec'd process is that of pid 1 (every hierarchy)"
		pid=$(tpid "$ID")
		OUT=$(C task ps "$ID" 2>&1)
		printf '%s\n' "$OUT" | awk 'NR > 1 { print $1 }' | grep -qx "$pid"
		check "$R: task ps lists the task's pid $pid"
		# every pid task ps lists is in the task's pids cgroup; the task
		# starts a `sleep 0.1` every 100 ms, so a listed pid may have
		# exited (and another started) by the time the cgroup is read
		bad=
		for p in $(printf '%s\n' "$OUT" | awk 'NR > 1 { print $1 }'); do
			grep -qx "$p" "$(tcg pids cgroup.procs cgroup.procs "$ID")" 2>/dev/null ||
				[ ! -d "/proc/$p" ] || bad="$bad $p"
		done
		is "$bad" "" "$R: task ps: every pid it lists is in the task's cgroup (or has exited since)"

		C task pause "$ID" >/dev/null 2>"$T/err"
		check "$R: task pause succeeds"
		show_err "$T/err"
		is "$(tstatus "$ID")" PAUSED "$R: task pause: task ls says PAUSED"
		if cg_v2; then
			is "$(cat "$(tcg - - cgroup.freeze "$ID")" 2>&1)" 1 "$R: task pause: cgroup.freeze is 1"
		else
			is "$(cat "$(tcg freezer freezer.state - "$ID")" 2>&1)" FROZEN "$R: task pause: the v1 freezer says FROZEN"
		fi
		C task resume "$ID" >/dev/null 2>"$T/err"
		check "$R: task resume succeeds"
		show_err "$T/err"
		is "$(tstatus "$ID")" RUNNING "$R: task resume: task ls says RUNNING"

		if clients_full; then
			C task kill -s USR1 "$ID" >/dev/null 2>"$T/err"
			check "$R: task kill -s USR1 succeeds"
			show_err "$T/err"
			wait_log "$ID" 'got USR1'
			grep -qx 'got USR1' "$T/$ID.log"
			check "$R: task kill -s USR1: the task's trap ran"
		fi
		C task kill "$ID" >/dev/null 2>"$T/err"
		check "$R: task kill (SIGTERM) succeeds"
		show_err "$T/err"
		wait_status "$ID" STOPPED
		is "$(tstatus "$ID")" STOPPED "$R: task kill: task ls says STOPPED"
		grep -qx 'got TERM' "$T/$ID.log"
		check "$R: task kill: SIGTERM reached the trap"
		OUT=$(C task delete "$ID" 2>&1)
		check "$R: task delete succeeds"
		like "$OUT" 'exit code 3' "$R: task delete: exit status 3 (the trap's)"
		is "$(tstatus "$ID")" "" "$R: task delete: the task is gone"
		C containers rm "$ID" >/dev/null 2>&1
		[ ! -d "$T/runc-root/$NS/$ID" ]
		check "$R: task delete: the runtime's state directory is gone"
		[ ! -d "$(dirname "$(tcg pids cgroup.procs cgroup.procs "$ID")")" ]
		check "$R: task delete: the task's cgroup is gone"
	else
		skip "$R: run -d cases" "ctr run -d failed"
	fi

	# --- task delete -f of an exited task ------------------------------------
	if cdet "$R" sh -c 'echo done; exit 5'; then
		wait_status "$ID" STOPPED
		is "$(tstatus "$ID")" STOPPED "$R: an exited task: task ls says STOPPED"
		OUT=$(C task delete -f "$ID" 2>&1)
		check "$R: task delete -f of the exited task succeeds"
		like "$OUT" 'exit code 5' "$R: task delete -f: exit status 5"
		is "$(tstatus "$ID")" "" "$R: task delete -f: the task is gone"
		C containers rm "$ID" >/dev/null 2>&1
		[ ! -d "$T/runc-root/$NS/$ID" ]
		check "$R: task delete -f: the runtime's state directory is gone"
	fi

	# --- task delete -f of a running task (SIGKILL, then delete) -----------
	if clients_full && cdet "$R" sleep 1000; then
		wait_status "$ID" RUNNING
		OUT=$(C task delete -f "$ID" 2>&1)
		check "$R: task delete -f of a running task succeeds"
		is "$(tstatus "$ID")" "" "$R: task delete -f (running): the task is gone"
		C containers rm "$ID" >/dev/null 2>&1
	fi
done
done_testing
