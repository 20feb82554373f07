#!/bin/sh
# keelctl boot-time, logs -f / -n, long requests and status --json against
# keel as PID 1 of a PID namespace:
# - boot-time as text (the summary, blame, the critical chain web <- net,
#   a device wait where zram can be hot-added),
#   JSON (parsed by python3, the phases in order) and SVG (well-formed XML,
#   one bar row per container; rendered in headless Chromium when present:
#   tests-qemu does the same from a booted guest)
# - logs -f: lines written after the follow starts arrive; a follower that
#   never reads is dropped once the ring laps it, while other requests are
#   answered all along; -n N gives the last N lines
# - a 300-byte request gets keel's precise error, a 5000-byte one its
#   "too long" error, never "connection reset"
# - status --json parses (python3 -m json.tool) with the documented fields
. "$(dirname "$0")/init-lib.sh"

command -v python3 >/dev/null || skip_all "needs python3 to parse JSON and XML"
command -v perl >/dev/null || skip_all "needs perl for the raw socket client"
SOCK=$T/state/keel.sock

make_rootfs
rootfs_add_keelctl
entry net 'sleep 0.3; echo net-done' '{"kind": "oneshot"}'
entry web 'sleep 0.2; keelctl notify READY=1; echo web-ready; trap "exit 0" TERM; while :; do sleep 0.1; done' \
	'{"requires": ["net"], "readiness": "notify"}'
# ticks: a numbered line every 0.1 s
entry tick 'i=0; trap "exit 0" TERM; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'
# loud: 1 KiB lines as fast as it can, not on the console, a 4 KiB ring
entry loud 'l=$(head -c 1000 /dev/zero | tr "\0" x); trap "exit 0" TERM; while :; do echo "$l"; done' \
	'{"logs": {"console": false, "ring": "4KiB"}}'

# disk waits for a zram disk hot-added 0.6 s after keel is up (where the
# kernel has zram): its devices phase
ctl_dir=/sys/class/zram-control
zid= ZCLEAN=
if [ -w "$ctl_dir/hot_add" ]; then
	zid=0
	while [ -e "/sys/class/block/zram$zid" ]; do zid=$((zid + 1)); done
	entry disk 'echo disk-up; trap "exit 0" TERM; while :; do sleep 0.1; done' \
		"{\"devices\": [\"/dev/zram$zid\"]}"
fi

start_keel
if [ -n "$zid" ]; then
	wait_for "Waiting for device /dev/zram$zid for disk" 10
	sleep 0.6
	zgot=$(cat "$ctl_dir/hot_add")
	ZCLEAN="echo $zgot >$ctl_dir/hot_remove 2>/dev/null"
	EXTRA_CLEANUP=$ZCLEAN
fi
wait_for 'Startup finished' 20
check "started"

# ---- boot-time ---------------------------------------------------------------
txt=$(ctl boot-time)
check "keelctl boot-time"
printf '%s\n' "$txt" | sed 's/^/#   /'
like "$txt" '^Startup finished in [0-9.]+m?s \(keel\) \+ [0-9.]+m?s \(containers\) = [0-9.]+m?s$' "summary line (not the machine's init: no kernel part)"
like "$txt" '[0-9.]+ms web \(deps [0-9.]+ms, create [0-9.]+ms, start [0-9.]+ms, ready [0-9.]+ms; ready\)' \
	"blame: web's create, start and ready phases"
like "$txt" '[0-9.]+ms net \(.*run [0-9.]+ms; done\)' "blame: net's run, done"
like "$txt" "$(printf '\nweb @[0-9.]+m?s \\+[0-9.]+ms\n└─net @')" "critical chain: web after net"

ctl boot-time --json >"$T/bt.json"
check "keelctl boot-time --json"
python3 - "$T/bt.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
u = {x["name"]: x for x in j["units"]}
assert j["boot"] is False and j["kernel_ms"] == 0, j
assert 300 < j["total_ms"] < 60000, j  # from keel's start, not the host's uptime
assert j["settled"] is True
w, n = u["web"], u["net"]
assert w["end"] == "ready" and n["end"] == "done", (w, n)
# web waited for net: it started after net was done, and web's wait covers net's run
assert w["start_at_ms"] >= n["end_at_ms"], (w, n)
assert w["deps_ms"] >= n["create_ms"] + n["ready_ms"] - 1, (w, n)
assert w["ready_ms"] >= 150, w  # it sleeps 0.2 s before READY=1
assert n["ready_ms"] >= 250, n  # its run: sleep 0.3
for x in (w, n):
    assert x["create_ms"] > 0 and x["start_ms"] > 0, x
# the chain starts at the entry that finished last; through web it goes to net
last = max(u.values(), key=lambda x: x["end_at_ms"])["name"]
chain = j["critical_chain"]
assert chain[0] == last, (last, chain)
assert "web" not in chain or chain[chain.index("web") + 1] == "net", chain
if "disk" in u:
    d = u["disk"]
    assert d["devices_ms"] >= 500 and d["end"] == "ready", d  # hot-added 0.6 s after the wait began
    print("# disk waited %.1f ms for its device" % d["devices_ms"])
print("# web: deps %.1f create %.1f start %.1f ready %.1f ms; net run %.1f ms" %
      (w["deps_ms"], w["create_ms"], w["start_ms"], w["ready_ms"], n["ready_ms"]))
PY
check "boot-time JSON: web waited for net, its phases add up"

ctl boot-time --svg >"$T/boot.svg"
check "keelctl boot-time --svg"
rc=0
python3 "$(dirname "$0")/../lib/check-boot-svg.py" "$T/boot.svg" "$T/boot.png" net web tick loud || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 77 ]
check "boot-time SVG: well-formed XML, a labelled bar row per container"
if [ "$rc" = 77 ]; then
	skip "headless Chromium draws the chart" "no chromium (deps/packages.sh chart installs it)"
else
	[ "$rc" = 0 ]
	check "headless Chromium draws the chart (create, start, ready colours in its pixels)"
	cp "$T/boot.png" "${KEEL_QEMU_LOGDIR:-build/test-logs}/init-bootstat.png" 2>/dev/null || true
fi

# ---- logs -n, logs -f ----------------------------------------------------------
out=$(ctl logs -n 3 tick)
check "keelctl logs -n 3 tick"
is "$(printf '%s\n' "$out" | wc -l)" 3 "three lines"
like "$(printf '%s\n' "$out" | head -1)" '^tick [0-9]+$' "each a tick"

ctl logs -n 1 -f tick >"$T/follow.out" 2>"$T/follow.err" &
FOLLOW=$!
EXTRA_CLEANUP="${ZCLEAN:+$ZCLEAN; }kill $FOLLOW 2>/dev/null"
sleep 0.3
first=$(head -1 "$T/follow.out" | awk '{print $2}')
sleep 1.5
last=$(tail -1 "$T/follow.out" | awk '{print $2}')
n=$(wc -l <"$T/follow.out")
[ -n "$first" ] && [ -n "$last" ] && [ "$last" -ge $((first + 8)) ]
check "logs -f: ticks written after the follow started arrive (tick $first .. $last, $n lines)"
# consecutive: nothing lost or doubled
python3 -c '
import sys
t = [int(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("tick ")]
assert t == list(range(t[0], t[0] + len(t))), t
' "$T/follow.out"
check "the followed ticks are consecutive"
kill -0 $FOLLOW
check "the follower is still connected"

# a client that shuts its sending side after the request (as `echo ... |
# socat`) still follows
got=$(perl -MIO::Socket::UNIX -e 'my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
	syswrite($s, "logs tick -n 0 -f\n"); shutdown($s, 1); my ($b, $all) = ("", "");
	local $SIG{ALRM} = sub { print $all; exit 0 }; alarm 2;
	while (sysread($s, $b, 4096)) { $all .= $b } print $all' "$SOCK" | grep -c '^tick ')
[ "$got" -ge 8 ]
check "a half-closed follower still gets the new lines ($got ticks in 2 s)"

# a follower that never reads, on the loud container: dropped once the ring
# laps it; PID 1 answers meanwhile
perl -MIO::Socket::UNIX -e 'my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
	syswrite($s, "logs loud -f\n"); sleep 60' "$SOCK" &
SLOW=$!
EXTRA_CLEANUP="${ZCLEAN:+$ZCLEAN; }kill $FOLLOW $SLOW 2>/dev/null"
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8 9 10; do
	ctl list >/dev/null || break
done
t1=$(date +%s%N)
[ "$i" = 10 ]
check "ten keelctl list answered while a follower does not read ($(( (t1 - t0) / 1000000 )) ms)"
wait_for 'logs -f loud` fell behind the log ring; dropped' 10
check "the follower that never read is dropped, with a console note"
ctl status loud | grep -q 'state: ready'
check "keel still answers, loud still runs"
kill -0 $FOLLOW
check "the reading follower of tick stays"
kill $FOLLOW $SLOW 2>/dev/null
wait $FOLLOW 2>/dev/null
EXTRA_CLEANUP=${ZCLEAN:-}

# ---- long requests ---------------------------------------------------------------
long=$(head -c 300 /dev/zero | tr '\0' a)
out=$(ctl status "$long" 2>&1)
is "$out" "error: status: invalid container name: 300 characters, at most 128" "a 300-byte request: keel's precise error"
out=$(ctl status "$(head -c 5000 /dev/zero | tr '\0' a)" 2>&1)
rc=$?
is "$out" "error: request longer than 4095 bytes" "a 5000-byte request: the error, no connection reset"
is "$rc" 1 "exit status 1"

# ---- status --json -----------------------------------------------------------------
ctl status --json >"$T/status.json"
check "keelctl status --json"
python3 -m json.tool "$T/status.json" >/dev/null
check "it parses (python3 -m json.tool)"
python3 - "$T/status.json" <<'PY'
import json, sys
u = {x["name"]: x for x in json.load(open(sys.argv[1]))["units"]}
assert sorted(set(u) - {"disk"}) == ["loud", "net", "tick", "web"], sorted(u)
keys = {"name", "state", "kind", "pid", "restarts", "description", "restart", "readiness",
        "requires", "wants", "after", "cgroup", "network", "notify_status", "error",
        "log_bytes"}
for x in u.values():
    assert set(x) == keys, set(x) ^ keys
assert u["web"]["state"] == "ready" and u["web"]["requires"] == ["net"], u["web"]
assert u["web"]["readiness"] == "notify" and u["web"]["pid"] > 0, u["web"]
assert u["web"]["network"] == "host", u["web"]
assert u["net"]["state"] == "done" and u["net"]["kind"] == "oneshot", u["net"]
assert u["tick"]["log_bytes"] > 0
PY
check "every unit, the documented fields"
if command -v jq >/dev/null; then
	is "$(ctl status --json web | jq -r '.units[0].state')" ready "jq reads status --json web"
fi

stop_keel
is "$RC" 0 "keel exits 0"
if [ -n "$zid" ]; then
	echo "$zgot" >"$ctl_dir/hot_remove"
	check "zram$zgot removed"
	EXTRA_CLEANUP=
else
	skip "a device wait in boot-time" "no zram hot_add (CONFIG_ZRAM) to make a device appear"
fi
show_log_on_failure
done_testing
