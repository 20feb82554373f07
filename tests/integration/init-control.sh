#!/bin/sh
# The control socket: restart, stop (which stops what requires it), start,
# validation of requests, idle and slow clients closed, no lock-out by idle
# connections, keelctl's errors when keel hangs up, and poweroff (exit 0
# outside boot mode) through a full set of idle connections.
. "$(dirname "$0")/init-lib.sh"

command -v perl >/dev/null || skip_all "needs perl for the raw socket clients"
SOCK=$T/state/keel.sock

# hold N idle connections to SOCKET until killed; READY_FILE once connected
hold_idle() {
	perl -MIO::Socket::UNIX -e 'my @s = map { IO::Socket::UNIX->new(Peer => $ARGV[0])
		or die "connect: $!" } 1 .. $ARGV[1]; open(my $r, ">", $ARGV[2]); close($r); sleep 120' \
		"$1" "$2" "$3" &
	HOLDER=$!
	EXTRA_CLEANUP="${EXTRA_CLEANUP:+$EXTRA_CLEANUP; }kill $HOLDER 2>/dev/null"
	_n=100
	while [ ! -e "$3" ] && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
}

# connect, send BYTES (may be empty), then wait 20 s at most for keel to
# hang up: prints "closed" or "open"
hang_up_after() {
	perl -MIO::Socket::UNIX -e 'my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		syswrite($s, $ARGV[1]) if length $ARGV[1];
		local $SIG{ALRM} = sub { print "open\n"; exit 0 }; alarm 20;
		my $b; my $n = sysread($s, $b, 100); print defined $n && $n == 0 ? "closed\n" : "read $n\n"' \
		"$SOCK" "$1"
}

make_rootfs
entry a 'echo "a-up $$"; trap "exit 0" TERM; while :; do sleep 0.1; done'
entry b 'echo b-up; trap "exit 0" TERM; while :; do sleep 0.1; done' '{"requires": ["a"]}'

start_keel
wait_for 'Startup finished' 10
check "started"
pid1=$(ctl status a | awk '/^pid:/ {print $2}')

ctl restart a
check "keelctl restart a"
wait_count 'a \| a-up' 2 5
check "a ran again"
wait_for 'Started a' 1
pid2=$(ctl status a | awk '/^pid:/ {print $2}')
[ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && [ "$pid2" != 0 ]
check "a has a new process ($pid1 -> $pid2)"
like "$(ctl status b)" 'state: ready' "b untouched by a restart of a"

ctl stop a
check "keelctl stop a"
wait_for 'Stopped b' 5
check "stopping a stops b, which requires it"
sleep 0.3
like "$(ctl status a)" 'state: stopped' "a stopped"
like "$(ctl status b)" 'state: blocked' "b blocked"

ctl start a && ctl start b
check "keelctl start a, b"
wait_count 'b \| b-up' 2 5
check "b ran again after a"
like "$(ctl status b)" 'state: ready' "b ready"

ctl start a 2>"$T/err"
is "$?" 1 "start of a running container refused"
like "$(cat "$T/err")" 'a is already ready' "with a reason"
ctl stop 'x/../y' 2>"$T/err"
like "$(cat "$T/err")" 'stop needs a container name' "invalid name refused"
ctl list extra 2>"$T/err"
like "$(cat "$T/err")" 'unknown request' "list takes no argument"
long=$(head -c 300 /dev/zero | tr '\0' a)
ctl status "$long" 2>"$T/err"
like "$(cat "$T/err")" 'request too long' "overlong request refused"
kill -0 "$KPID" && like "$(ctl list)" 'a +ready' "PID 1 still alive and answering after bad requests"

# a client that connects and says nothing, and one that never finishes its
# line, are hung up on (CONTROL_REQUEST_MS: 5 s)
is "$(hang_up_after '')" closed "an idle connection is closed by keel"
is "$(hang_up_after 'li')" closed "a connection that never finishes its request is closed"

# idle connections cannot lock the others out (the limit is 16)
hold_idle "$SOCK" 20 "$T/idle1.ready"
[ -e "$T/idle1.ready" ]
check "20 idle connections held"
like "$(timeout 10 "$KEEL" ctl --socket "$SOCK" list)" 'b +ready' "keelctl list gets through 20 idle connections"
kill "$HOLDER" 2>/dev/null

# keelctl when keel hangs up first: a clear error and exit 1, never a
# silent death from SIGPIPE (141); a fake server that closes every connection
perl -MIO::Socket::UNIX -e 'unlink $ARGV[0]; my $l = IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 64)
	or die "listen: $!"; open(my $r, ">", $ARGV[1]); close($r);
	while (my $c = $l->accept) { close($c) }' "$T/fake.sock" "$T/fake.ready" &
FAKE=$!
EXTRA_CLEANUP="${EXTRA_CLEANUP:+$EXTRA_CLEANUP; }kill $FAKE 2>/dev/null"
n=50
while [ ! -e "$T/fake.ready" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
rcs=
for i in $(seq 30); do
	"$KEEL" ctl --socket "$T/fake.sock" status a 2>"$T/err"
	rcs="$rcs $?"
done
kill "$FAKE" 2>/dev/null
is "$(echo $rcs | tr ' ' '\n' | sort -u | tr '\n' ' ')" "1 " "keelctl exits 1 each time keel hangs up first (exit codes:$rcs)"
like "$(cat "$T/err")" 'keel closed the connection (before taking the request|without an answer)' \
	"and says keel closed the connection"

hold_idle "$SOCK" 20 "$T/idle2.ready"
timeout 10 "$KEEL" ctl --socket "$SOCK" poweroff
check "keelctl poweroff accepted through 20 idle connections"
kill "$HOLDER" 2>/dev/null
n=100
while [ "$n" -gt 0 ] && kill -0 "$KPID" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
wait "$UPID"
is "$?" 0 "poweroff outside boot mode: everything stopped, exit 0"
UPID=
[ "$(tail -n +"$(line_of 'keelctl: stopping')" "$T/console.log" | grep -n 'Stopping b' | cut -d: -f1)" -lt \
  "$(tail -n +"$(line_of 'keelctl: stopping')" "$T/console.log" | grep -n 'Stopping a' | cut -d: -f1)" ]
check "b stopped before a at poweroff"
show_log_on_failure
done_testing
