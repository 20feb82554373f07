#!/bin/sh
# podman 4 driving keel as its OCI runtime (`--runtime .../keel-runtime`),
# with runc beside it as the reference: every case runs with both and is
# checked from its output.  A keel failure where runc passes is a `not ok`.
# podman runs offline on private storage under $T (containers.conf,
# storage.conf, --root/--runroot, the vfs driver), with cgroupfs, a file
# events log, no network, rlimits that fit the host, and its containers
# under a private cgroup parent /keeltest-clients-PID.  The cgroup checks
# read the v1 files on a v1 or hybrid host (this one) and the v2 files on a
# pure v2 host (the QEMU guest, tests-qemu/scenarios/clients, which runs
# with CLIENTS_QUICK: the cases that differ by hierarchy and the lifecycle).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/bundle.sh"
. "$(dirname "$0")/../lib/clients.sh"

command -v podman >/dev/null || skip_all "podman is not installed (Debian package podman)"
command -v conmon >/dev/null || skip_all "conmon is not installed (podman needs it)"
clients_setup
CGP=/keeltest-clients-$$

cleanup() {
	podman_cleanup
	clients_rm_T
}
trap cleanup EXIT
trap 'exit 1' INT TERM

podman_setup "$CGP" || skip_all "$WHY"

prun() { # prun RT ARGS...: podman run --rm with runtime RT; OUT, RC
	_r=$1; shift
	OUT=$($P run --rm --network none --cgroup-parent "$CGP" --runtime "$(rt_path "$_r")" "$@" 2>&1)
	RC=$?
}
pdet() { # pdet RT ARGS...: podman run -d; its id in CID
	_r=$1; shift
	CID=$($P run -d --network none --cgroup-parent "$CGP" --runtime "$(rt_path "$_r")" "$@" 2>"$T/err")
	_rc=$?
	show_err "$T/err"
	return $_rc
}
pstate() { $P inspect -f '{{.State.Status}}' "$1" 2>&1; }
pexit() { $P inspect -f '{{.State.ExitCode}}' "$1" 2>&1; }
# wait_exit CID: until the container has exited (10 s at most)
wait_exit() {
	_i=0
	while [ "$(pstate "$1")" = running ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}
# wait_log CID PATTERN: until podman logs shows PATTERN (10 s at most)
wait_log() {
	_i=0
	until $P logs "$1" 2>&1 | grep -q -- "$2" || [ $_i -ge 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}
# host_cg CONTROLLER V1FILE V2FILE CID: a cgroup file of the container
host_cg() { cg_file "$1" "${CGP#/}/libpod-$4" "$2" "$3"; }
mkdir -p "$T/vol" && echo "from the host" >"$T/vol/f"
TRAPS='trap "echo got TERM; exit 3" TERM; trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done'

for R in $RUNTIMES; do
	# --- run --rm, output and exit codes ----------------------------------
	prun "$R" "$IMG" echo hello from podman
	is "$RC:$OUT" "0:hello from podman" "$R: podman run --rm prints the container's output, exit 0"
	if clients_full; then
		prun "$R" "$IMG" false
		is "$RC" 1 "$R: podman run false exits 1"
	fi
	prun "$R" "$IMG" sh -c 'exit 42'
	is "$RC" 42 "$R: podman run sh -c 'exit 42' exits 42"

	# --- terminal, user, capabilities, read-only, env, workdir ------------
	if clients_full; then
		prun "$R" -t "$IMG" tty </dev/null
		like "$RC:$OUT" '^0:/dev/pts/0.?$' "$R: run -t: the process has a terminal (--console-socket)"
		prun "$R" --user 65534:65534 "$IMG" id
		is "$RC:$OUT" "0:uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" "$R: --user 65534:65534"
		prun "$R" --cap-drop ALL "$IMG" grep CapEff /proc/self/status
		like "$RC:$OUT" '^0:CapEff:[[:space:]]+0000000000000000$' "$R: --cap-drop ALL leaves CapEff empty"
		prun "$R" --cap-drop ALL --cap-add NET_ADMIN --cap-add KILL "$IMG" grep CapEff /proc/self/status
		# CAP_KILL is bit 5, CAP_NET_ADMIN bit 12
		like "$RC:$OUT" '^0:CapEff:[[:space:]]+0000000000001020$' "$R: --cap-drop ALL --cap-add NET_ADMIN,KILL: CapEff has exactly those"
		prun "$R" --read-only "$IMG" sh -c 'touch /bin/x && echo wrote; touch /tmp/x && echo tmp-ok'
		like "$OUT" 'Read-only file system' "$R: --read-only: writing / fails with EROFS"
		like "$OUT" '^tmp-ok$' "$R: --read-only: /tmp is still writable (podman's tmpfs)"
		! printf '%s\n' "$OUT" | grep -q '^wrote$'
		check "$R: --read-only: nothing was written to /"
		prun "$R" -e KEEL_A=alpha -e "KEEL_B=two words" -w /etc "$IMG" sh -c 'echo "$KEEL_A|$KEEL_B|$(pwd)"'
		is "$RC:$OUT" "0:alpha|two words|/etc" "$R: -e and -w: env and workdir"

		# --- terminal, stdin, devices, more of podman's options -----------------
		OUT=$(echo piped in | $P run --rm -i --network none --cgroup-parent "$CGP" --runtime "$(rt_path "$R")" "$IMG" cat 2>&1)
		is "$?:$OUT" "0:piped in" "$R: run -i: stdin reaches the container"
		# podman's linux.devices[].fileMode carries the file type (020666)
		prun "$R" --device /dev/null:/dev/keelnull "$IMG" sh -c 'ls -l /dev/keelnull; echo x >/dev/keelnull && echo written'
		like "$RC:$OUT" '^0:crw-rw-rw- +1 root +root +1, +3 ' "$R: --device /dev/null:/dev/keelnull: a char device 1,3 with mode 0666"
		like "$OUT" '^written$' "$R: --device: the device can be written"
		prun "$R" --privileged "$IMG" sh -c "grep CapEff /proc/self/status; test -b $HOSTBLK && echo blk"
		like "$RC:$OUT" "^0:CapEff:[[:space:]]+$CAPBND\$" "$R: --privileged: every capability (the caller's bounding set)"
		like "$OUT" '^blk$' "$R: --privileged: the host's devices ($HOSTBLK)"
		prun "$R" --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMG" sh -c 'cat /proc/self/uid_map; id -u'
		like "$RC:$OUT" '^0: +0 +100000 +65536$' "$R: --uidmap 0:100000:65536: the user namespace's map"
		like "$OUT" '^0$' "$R: --uidmap: root inside"
	fi
	if cg_v2; then
		prun "$R" --cgroupns private "$IMG" sh -c 'cat /proc/self/cgroup; ls /sys/fs/cgroup/pids.max'
		is "$RC:$OUT" "0:0::/
/sys/fs/cgroup/pids.max" "$R: --cgroupns private: the container's cgroup is / and its files are at /sys/fs/cgroup"
	else
		prun "$R" --cgroupns private "$IMG" sh -c 'grep "^[0-9]*:pids:" /proc/self/cgroup; ls /sys/fs/cgroup/pids/pids.max'
		is "$RC:$OUT" "0:8:pids:/
/sys/fs/cgroup/pids/pids.max" "$R: --cgroupns private: the container's pids cgroup is / and mounted at /sys/fs/cgroup/pids"
	fi
	if clients_full; then
		prun "$R" --hostname keelhost --security-opt no-new-privileges \
			--ulimit nofile=100:200 --ulimit nproc=4096:4096 --sysctl kernel.msgmax=4096 \
			-v "$T/vol:/vol:ro" --tmpfs /scratch:size=1m "$IMG" sh -c \
			'hostname; grep NoNewPrivs /proc/self/status; ulimit -n; ulimit -Hn; cat /proc/sys/kernel/msgmax
			 cat /vol/f; touch /vol/x 2>&1; df -k /scratch | tail -1'
		is "$(printf '%s\n' "$OUT" | sed -n 1p)" keelhost "$R: --hostname"
		like "$OUT" '^NoNewPrivs:[[:space:]]+1$' "$R: --security-opt no-new-privileges"
		is "$(printf '%s\n' "$OUT" | sed -n 3,4p | tr '\n' ' ')" "100 200 " "$R: --ulimit nofile=100:200"
		is "$(printf '%s\n' "$OUT" | sed -n 5p)" 4096 "$R: --sysctl kernel.msgmax=4096"
		is "$(printf '%s\n' "$OUT" | sed -n 6p)" "from the host" "$R: -v HOSTDIR:/vol:ro: the host's file"
		like "$OUT" '/vol/x: Read-only file system' "$R: -v ...:ro: read-only"
		like "$OUT" '^tmpfs +1024 ' "$R: --tmpfs /scratch:size=1m"
	fi

	# --- -d, exec, top, logs, kill -s, pause/unpause, stop ----------------
	if pdet "$R" "$IMG" sh -c "$TRAPS"; then
		wait_log "$CID" ready
		is "$(pstate "$CID")" running "$R: run -d: the container is running"
		OUT=$($P exec "$CID" sh -c 'echo inside $$; exit 7' 2>&1)
		is "$?:$OUT" "7:inside $(echo "$OUT" | sed -n 's/^inside //p')" "$R: exec: its output and exit code 7"
		like "$OUT" '^inside [0-9]+$' "$R: exec: the command ran (pid inside the container)"
		if clients_full; then
			OUT=$($P exec --user 65534 "$CID" id -u 2>&1)
			is "$?:$OUT" "0:65534" "$R: exec --user 65534"
		fi
		# runc puts an exec'd process in every cgroup of the container (v1
		# hierarchies too): it must see what pid 1 sees.
		OUT=$($P exec "$CID" sh -c 'cat /proc/self/cgroup; echo ==; cat /proc/1/cgroup' 2>&1)
		is "$(printf '%s\n' "$OUT" | sed '/^==$/,$d')" "$(printf '%s\n' "$OUT" | sed '1,/^==$/d')" \
			"$R: exec: /proc/self/cgroup of the exec'd process is that of pid 1 (every hierarchy)"
		if clients_full; then
			OUT=$($P top "$CID" pid args 2>&1)
			like "$OUT" '^1 +sh -c trap' "$R: top: pid 1 is the container's sh"
			like "$OUT" 'sleep 0\.1' "$R: top: lists the sleep child"
			OUT=$($P logs "$CID" 2>&1)
			is "$OUT" ready "$R: logs: the container's output"
			$P kill -s USR1 "$CID" >/dev/null 2>"$T/err"
			check "$R: kill -s USR1 succeeds"
			show_err "$T/err"
			wait_log "$CID" 'got USR1'
			$P logs "$CID" 2>&1 | grep -q '^got USR1$'
			check "$R: kill -s USR1: the container's trap ran"
		fi

		$P pause "$CID" >/dev/null 2>"$T/err"
		check "$R: pause succeeds"
		show_err "$T/err"
		is "$(pstate "$CID")" paused "$R: pause: podman says paused"
		if cg_v2; then
			is "$(cat "$(host_cg - - cgroup.freeze "$CID")" 2>&1)" 1 "$R: pause: cgroup.freeze is 1"
		else
			is "$(cat "$(host_cg freezer freezer.state - "$CID")" 2>&1)" FROZEN "$R: pause: the v1 freezer says FROZEN"
		fi
		$P unpause "$CID" >/dev/null 2>"$T/err"
		check "$R: unpause succeeds"
		show_err "$T/err"
		is "$(pstate "$CID")" running "$R: unpause: podman says running"
		if clients_full; then
			OUT=$($P exec "$CID" echo alive 2>&1)
			is "$OUT" alive "$R: unpause: exec runs again"
		fi

		t0=$(date +%s)
		$P stop -t 20 "$CID" >/dev/null 2>"$T/err"
		check "$R: stop succeeds"
		show_err "$T/err"
		t1=$(date +%s)
		is "$(pexit "$CID")" 3 "$R: stop: SIGTERM reached the trap (exit 3)"
		[ $((t1 - t0)) -lt 15 ]
		check "$R: stop: no wait for the 20 s timeout ($((t1 - t0)) s)"
		$P logs "$CID" 2>&1 | grep -q '^got TERM$'
		check "$R: stop: the trap's output is in the logs"
		$P rm -f "$CID" >/dev/null 2>&1
	else
		skip "$R: run -d cases" "run -d failed"
	fi

	# restart: stop (SIGKILL after 1 s: sleep ignores nothing but is pid 1),
	# then start again through the runtime
	if clients_full && pdet "$R" "$IMG" sleep 1000; then
		$P restart -t 1 "$CID" >/dev/null 2>"$T/err"
		check "$R: restart succeeds"
		is "$(pstate "$CID")" running "$R: restart: running again"
		OUT=$($P exec "$CID" echo after restart 2>&1)
		is "$OUT" "after restart" "$R: restart: exec works in the new process"
		$P rm -f -t 0 "$CID" >/dev/null 2>&1
	fi

	if clients_full; then
		# --init: podman binds its catatonit at /run/podman-init as pid 1,
		# the command its child
		if [ ! -x /usr/libexec/podman/catatonit ]; then
			skip "$R: --init" "no /usr/libexec/podman/catatonit (Debian package catatonit)"
		else
			prun "$R" --init "$IMG" sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo "$PPID"'
			like "$RC:$OUT" '^0:/run/podman-init -- sh -c ' "$R: --init: pid 1 is podman's init (catatonit)"
			is "$(printf '%s\n' "$OUT" | sed -n 2p)" 1 "$R: --init: the command is its child"
		fi
		# healthcheck run: podman execs the check in the container
		if pdet "$R" --health-cmd 'test -f /tmp/ok' --health-interval disable "$IMG" \
			sh -c 'touch /tmp/ok; echo ready; sleep 1000'; then
			wait_log "$CID" ready
			$P healthcheck run "$CID" >"$T/hc" 2>&1
			is "$?" 0 "$R: healthcheck run: a passing check exits 0"
			show_err "$T/hc"
			$P exec "$CID" rm /tmp/ok >/dev/null 2>&1
			$P healthcheck run "$CID" >"$T/hc" 2>&1
			is "$?:$(cat "$T/hc")" 1:unhealthy "$R: healthcheck run: a failing check says unhealthy, exits 1"
			$P rm -f -t 0 "$CID" >/dev/null 2>&1
		fi
		# exec -t: the exec'd process gets a terminal of its own
		if pdet "$R" "$IMG" sleep 1000; then
			OUT=$($P exec -t "$CID" tty </dev/null 2>&1)
			like "$?:$OUT" '^0:/dev/pts/[0-9]+.?$' "$R: exec -t: the process has a terminal"
			$P rm -f -t 0 "$CID" >/dev/null 2>&1
		fi
	fi

	# kill -s KILL: exit 137
	if clients_full && pdet "$R" "$IMG" sleep 1000; then
		$P kill -s KILL "$CID" >/dev/null 2>&1
		wait_exit "$CID"
		is "$(pexit "$CID")" 137 "$R: kill -s KILL: exit code 137"
		$P rm -f "$CID" >/dev/null 2>&1
	fi

	# --- limits --------------------------------------------------------------
	if cg_v2; then
		inside='cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max' hier=v2
	else
		inside='cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max' hier=v1
		inside="$inside /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us"
	fi
	prun "$R" --memory 64m --pids-limit 20 --cpus 0.5 "$IMG" sh -c "$inside 2>&1 | tr '\n' ' '"
	cpu="50000 100000"
	is "$OUT" "67108864 20 $cpu " "$R: --memory 64m --pids-limit 20 --cpus 0.5: the limits in the container's /sys/fs/cgroup ($hier files)"
	if pdet "$R" --memory 64m --pids-limit 20 "$IMG" sleep 1000; then
		is "$(cat "$(host_cg memory memory.limit_in_bytes memory.max "$CID")" 2>&1)" 67108864 "$R: --memory 64m: the memory limit on the host ($hier)"
		is "$(cat "$(host_cg pids pids.max pids.max "$CID")" 2>&1)" 20 "$R: --pids-limit 20: pids.max on the host"
		if clients_full; then
			OUT=$($P exec "$CID" sh -c 'for i in $(seq 30); do sleep 5 & done 2>&1; wait' 2>&1)
			like "$OUT" "can't fork|Resource temporarily unavailable" "$R: --pids-limit 20: the 21st process cannot fork"
		fi
		OUT=$($P stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' "$CID" 2>&1)
		like "$OUT" '^[0-9.]+[kMG]?i?B / 67\.1[0-9]*MB [0-9]+$' "$R: stats --no-stream: memory usage / the 64m limit, pids"
		$P rm -f -t 0 "$CID" >/dev/null 2>&1
	fi
done
done_testing
