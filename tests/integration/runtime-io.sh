#!/bin/sh
# The container's stdio and inherited fds: process.terminal with
# --console-socket (the pty master sent over SCM_RIGHTS), stdin passed
# through, --preserve-fds and systemd's LISTEN_FDS as runc handles them.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

# --- stdio -----------------------------------------------------------------------
cfg stdin
cfg_set '.process.args = ["cat"]'
out=$(echo "hello through stdin" | rt run --bundle "$B" stdin 2>/dev/null)
is "$out" "hello through stdin" "stdin and stdout are the runtime's"
cfg stderr
cfg_sh 'echo to-err >&2; echo to-out'
out=$(rt run --bundle "$B" stderr 2>"$T/err" </dev/null)
is "$out|$(cat "$T/err")" "to-out|to-err" "stderr stays separate from stdout"

# --- terminal with --console-socket ---------------------------------------------
if ! command -v python3 >/dev/null; then
	skip "terminal with --console-socket" "python3 is needed for the console receiver"
else
	cfg term
	cfg_set '.process.terminal = true | .process.consoleSize = {height: 30, width: 100}'
	cfg_sh 'tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; [ -c /dev/console ] && echo console; echo "$TERM"'
	python3 "$_rt_here/console-recv.py" "$T/console.sock" "$T/console.out" &
	recv=$!
	RT_PIDS="$RT_PIDS $recv"
	i=0
	while [ ! -S "$T/console.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	rt create --bundle "$B" --console-socket "$T/console.sock" term </dev/null >/dev/null 2>"$T/err"
	check "create --console-socket"
	rt start term
	check "start of a terminal container"
	wait $recv
	check "the console receiver got a pty master and read until the container exited"
	out=$(tr -d '\r' <"$T/console.out")
	like "$(echo "$out" | sed -n 1p)" "^/dev/pts/[0-9]+$" "terminal: stdin is a pty of the container's devpts"
	is "$(echo "$out" | sed -n 2p)" "30 100" "terminal: consoleSize applied"
	is "$(echo "$out" | sed -n 3p)" all-tty "terminal: stdin, stdout and stderr are the terminal"
	is "$(echo "$out" | sed -n 4p)" console "terminal: /dev/console exists"
	is "$(echo "$out" | sed -n 5p)" xterm "terminal: TERM from the config"
	ctr_wait_status term stopped
	rt delete term
	ctr_gone term ""

	# run in the foreground proxies the pty to its own terminal: give it
	# one with script(1)
	cfg termfg
	cfg_set '.process.terminal = true'
	cfg_sh 'tty; echo "a\tb"'
	if command -v script >/dev/null; then
		script -qec "$RUNTIME --root $STATE run --bundle $B termfg" /dev/null </dev/null >"$T/out" 2>&1
		RC=$?
	else
		ctr_run
	fi
	out=$(tr -d '\r' <"$T/out")
	is "$RC" 0 "run of a terminal container in the foreground (pty proxied)"
	like "$(echo "$out" | sed -n 1p)" "/dev/pts/[0-9]+$" "foreground terminal: the container has a pty"
	is "$(echo "$out" | sed -n 2p)" "a	b" "foreground terminal: its output reaches run's stdout"
	ctr_gone termfg ""

	cfg noterm
	rt create --bundle "$B" --console-socket "$T/none.sock" noterm </dev/null >/dev/null 2>&1
	[ $? != 0 ] || [ "$RT_NAME" != keel ]
	check "create --console-socket without process.terminal is refused (keel, as runc)"
	rt delete --force noterm >/dev/null 2>&1
	cfg termdetached
	cfg_set '.process.terminal = true'
	rt create --bundle "$B" termdetached </dev/null >/dev/null 2>&1
	[ $? != 0 ]
	check "create of a terminal container without --console-socket fails"
	ctr_gone termdetached ""
fi

# --- --preserve-fds and LISTEN_FDS -----------------------------------------------
echo "fd three" >"$T/fd3"
echo "fd four" >"$T/fd4"
cfg preserve
cfg_sh 'cat <&3; cat <&4 2>/dev/null || echo "no fd 4"; ls /proc/self/fd | sort -n | tr "\n" " "'
out=$(rt run --bundle "$B" --preserve-fds 1 preserve 3<"$T/fd3" 4<"$T/fd4" </dev/null 2>/dev/null)
is "$(echo "$out" | sed -n 1p)" "fd three" "--preserve-fds 1: fd 3 is passed"
is "$(echo "$out" | sed -n 2p)" "no fd 4" "--preserve-fds 1: fd 4 is not"
cfg nopreserve
cfg_sh 'cat <&3 2>/dev/null || echo "no fd 3"'
out=$(rt run --bundle "$B" nopreserve 3<"$T/fd3" </dev/null 2>/dev/null)
is "$out" "no fd 3" "without --preserve-fds no fd beyond stdio leaks into the container"

cfg listen
cfg_sh 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3'
out=$(sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"' sh $RUNTIME --root "$STATE" run \
	--bundle "$B" listen 3<"$T/fd3" </dev/null 2>/dev/null)
is "$(echo "$out" | sed -n 2p)" "fd three" "LISTEN_FDS=1: fd 3 is passed"
if [ "$RT_NAME" = crun ]; then
	skip "LISTEN_FDS=1 LISTEN_PID=1 in the container" "crun 1.8 leaves LISTEN_FDS out"
else
	is "$(echo "$out" | sed -n 1p)" "1 1" "LISTEN_FDS=1 and LISTEN_PID=1 in the container's env"
fi
ctr_gone listen ""

done_testing
