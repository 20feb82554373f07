#!/bin/sh
# CVE-2024-21626 under keel init: PID 1's launch helper holds more fds than
# keel-runtime does (control socket, log pipes, containers.d), so each fd
# number a container could name as process.cwd or in args[0] is tried, one
# boot of a one-entry containers.d each (the helper's fd numbers depend on
# how many entries there are); none may reach the host.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
. "$(dirname "$0")/../lib/escape.sh"
escape_targets "$T"

# boot_one NAME (init-lib.sh uses $n itself): boot keel with $D holding only NAME, until NAME ended.
boot_one() {
	: >"$T/console.log"
	start_keel
	wait_for "$1 \| $1-finished|Failed to start $1|$1 exited" 10 >/dev/null
	seen=$(grep -E "$1 \||Failed to start $1" "$T/console.log")
	stop_keel
}

cwd_leaks= exe_leaks= tried=0
for fdn in $(seq 3 30); do
	rm -rf "${D:?}"/*
	entry cwd "cat $UP$SECRET 2>&1; echo cwd-finished" '{"kind": "oneshot"}'
	sed -i "s|\"cwd\": \"/\"|\"cwd\": \"/proc/self/fd/$fdn\"|" "$D/cwd/config.json"
	boot_one cwd
	[ -n "$seen" ] && tried=$((tried + 1))
	case $seen in *host-only-$$*) cwd_leaks="$cwd_leaks $fdn" ;; esac

	rm -rf "${D:?}"/*
	entry exe "true" '{"kind": "oneshot"}'
	sed -i "s|\"args\": \[\"/bin/sh\", \"-c\", \"true\"\]|\"args\": [\"/proc/self/fd/$fdn/$UP$T/host-exe\"]|" \
		"$D/exe/config.json"
	boot_one exe
	[ -n "$seen" ] && tried=$((tried + 1))
	case $seen in *ESCAPED*) exe_leaks="$exe_leaks $fdn" ;; esac
done
is "$tried" 56 "each of the 56 boots ran or refused its entry"
is "$cwd_leaks" "" "no process.cwd /proc/self/fd/N (N = 3..30) read the host's file"
is "$exe_leaks" "" "no args[0] through /proc/self/fd/N (N = 3..30) ran the host's program"
show_log_on_failure
done_testing
