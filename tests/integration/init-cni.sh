#!/bin/sh
# Container networking through CNI (init/cni.c) with Debian's plugins:
# two containers on one bridge network reach each other by the addresses
# CNI gave them, DNS from the result lands in their /etc/resolv.conf, a
# host-network container still sees the host's interfaces, and after a
# stop, a kill -9 of a container's init, a failing plugin and keel's own
# shutdown no veth, IPAM lease or attachment file is left.
. "$(dirname "$0")/init-lib.sh"

PLUGINS=
for d in /opt/cni/bin /usr/libexec/cni /usr/lib/cni; do
	[ -x "$d/bridge" ] && [ -x "$d/host-local" ] && [ -x "$d/tuning" ] && { PLUGINS=$d; break; }
done
[ -n "$PLUGINS" ] || skip_all "no CNI plugins (bridge, host-local, tuning) in /opt/cni/bin, /usr/libexec/cni or /usr/lib/cni: install containernetworking-plugins (deps/packages.sh)"
command -v ip >/dev/null || skip_all "no ip(8) (iproute2)"

# Our own names: bridges kcnNNNNN and kcnNNNNNo, network kcn-NNNNN, 10.251.X.0/24.
BR=kcn$(($$ % 100000))
NET=kcn-$$
SUB=10.251.$(($$ % 200 + 20))
CONF=$T/net.d
IPAM=$T/ipam
mkdir -p "$CONF" "$IPAM"
EXTRA_CLEANUP='ip link del "$BR" 2>/dev/null; ip link del "${BR}o" 2>/dev/null; true'

cat >"$CONF/10-$NET.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$NET",
  "plugins": [
    {"type": "bridge", "bridge": "$BR", "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": "$IPAM",
              "ranges": [[{"subnet": "$SUB.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]},
     "dns": {"nameservers": ["$SUB.1"], "search": ["kcn.test"]}}
  ]
}
JSON
# The same bridge, then a plugin that fails: ADD is undone.
cat >"$CONF/20-$NET-bad.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "$NET-bad",
  "plugins": [
    {"type": "bridge", "bridge": "$BR", "isGateway": true,
     "ipam": {"type": "host-local", "dataDir": "$IPAM", "ranges": [[{"subnet": "$SUB.0/24"}]]}},
    {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.kcn_no_such_setting": "1"}}
  ]
}
JSON
# A single plugin's configuration (.conf) at 0.3.1: no CHECK, DEL
# without prevResult (SPEC.md: from 0.4.0 on).
cat >"$CONF/30-$NET-old.conf" <<JSON
{"cniVersion": "0.3.1", "name": "$NET-old", "type": "bridge", "bridge": "${BR}o",
 "ipam": {"type": "host-local", "dataDir": "$IPAM", "ranges": [[{"subnet": "$SUB.0/24"}]]}}
JSON
# A plugin that hangs on ADD: killed at network.timeout, PID 1 answering
# meanwhile.
cat >"$CONF/40-$NET-hang.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "$NET-hang", "plugins": [{"type": "kcn-hang"}]}
JSON
# The real bridge plugin, run through a wrapper first in CNI_PATH that
# writes down each call (command, environment, request) before it execs it.
mkdir -p "$T/bin" "$T/calls"
cat >"$T/bin/bridge" <<SH
#!/bin/sh
n=\$(ls "$T/calls" | wc -l)
f="$T/calls/\$(printf %03d "\$n")-\$CNI_COMMAND-\$CNI_CONTAINERID"
env | grep -E '^(CNI_|PATH=)' | sort >"\$f.env"
cat >"\$f.json"
exec "$PLUGINS/bridge" <"\$f.json"
SH
chmod +x "$T/bin/bridge"
cat >"$T/bin/kcn-hang" <<SH
#!/bin/sh
[ "\$CNI_COMMAND" = ADD ] && exec sleep 30
exit 0
SH
chmod +x "$T/bin/kcn-hang"
export NETCONFPATH="$CONF" CNI_PATH="$T/bin:$PLUGINS"

NETNS='{"type":"pid"},{"type":"network"},{"type":"mount"},{"type":"ipc"},{"type":"uts"}'
# net_entry NAME 'COMMAND' 'KEEL.JSON': like entry, with a network namespace
net_entry() {
	entry "$1" "$2" "$3"
	sed -i "s|\"namespaces\": \[.*\]|\"namespaces\": [$NETNS]|" "$D/$1/config.json"
}

make_rootfs
# a serves on port 7000 and says what it got; b sends to a's address.
net_entry a 'trap "exit 0" TERM; cat /etc/resolv.conf; ip -4 -o addr show eth0; echo "a sees: $(grep -o "^ *[^ ]*:" /proc/net/dev | tr -d " " | sort | tr "\n" " ")"; { echo nameserver 6.6.6.6 >>/etc/resolv.conf; } 2>/dev/null && echo a-resolv-writable || echo a-resolv-readonly; while :; do nc -l -p 7000 & wait $!; done' \
	"{\"network\": {\"cni\": \"$NET\", \"args\": {\"IP\": \"$SUB.10\"}}}"
net_entry b "trap 'exit 0' TERM; ip -4 -o addr show eth0; until echo from-b-to-a | nc $SUB.10 7000; do sleep 0.2; done; echo b-sent; while :; do sleep 1; done" \
	"{\"network\": {\"cni\": \"$NET\", \"args\": {\"IP\": \"$SUB.11\"}}, \"after\": [\"a\"]}"
entry c "trap 'exit 0' TERM; grep -q '$BR:' /proc/net/dev && echo c-sees-$BR; while :; do sleep 1; done" \
	'{"network": "host", "after": ["a"]}' yes
net_entry bad 'echo bad-ran' "{\"network\": {\"cni\": \"$NET-bad\"}, \"kind\": \"oneshot\"}"
net_entry nonet 'echo nonet-ran' '{"network": {"cni": "kcn-no-such-network"}, "kind": "oneshot"}'
net_entry noport 'echo noport-ran' \
	"{\"network\": {\"cni\": \"$NET\", \"ports\": [{\"host\": 18080, \"container\": 80}]}, \"kind\": \"oneshot\"}"
net_entry old 'ip -4 -o addr show eth0' "{\"network\": {\"cni\": \"$NET-old\"}, \"kind\": \"oneshot\"}"
net_entry hang 'echo hang-ran' "{\"network\": {\"cni\": \"$NET-hang\", \"timeout\": \"3s\"}, \"kind\": \"oneshot\"}"
# An image whose /etc/resolv.conf is a symlink to a host file: keel copies
# the image's own file (the network has no DNS) resolving inside the
# rootfs, never the host's file, and never writes through the link.
cp -a "$ROOTFS" "$T/rootfs2"
echo "host-only-secret-$$" >"$T/host-secret"
ln -s "$T/host-secret" "$T/rootfs2/etc/resolv.conf"
net_entry leak 'cat /etc/resolv.conf; echo leak-done' "{\"network\": {\"cni\": \"$NET-old\"}, \"kind\": \"oneshot\", \"after\": [\"old\"]}"
sed -i "s|\"path\": \"$ROOTFS\"|\"path\": \"$T/rootfs2\"|" "$D/leak/config.json"
entry hostcni 'echo hostcni-ran' "{\"network\": {\"cni\": \"$NET\"}}"

leases() { ls "$IPAM/$NET" 2>/dev/null | grep -c '^10\.' ; }
ports() { ls "/sys/class/net/$BR/brif" 2>/dev/null | wc -l; }

start_keel
wait_for 'a \| from-b-to-a' 20
check "b reached a at $SUB.10 over the bridge (nc)"
like "$(grep -E '^.*a \| ' "$T/console.log")" "inet $SUB.10/24" "a has the address host-local gave it"
like "$(grep -E 'b \| ' "$T/console.log")" "inet $SUB.11/24" "b has its own"
like "$(grep 'a \| ' "$T/console.log")" "nameserver $SUB.1" "DNS of the result in a's /etc/resolv.conf"
like "$(grep 'a \| ' "$T/console.log")" "search kcn.test" "with the search domain"
like "$(grep 'a | a sees' "$T/console.log")" 'a sees: eth0: lo: $' "a sees only its own interfaces (no host one, not $BR)"
like "$(grep 'a | a-resolv' "$T/console.log")" 'a-resolv-readonly' "the container cannot write the resolv.conf keel bound in"
like "$(grep 'a: network' "$T/console.log")" "a: network eth0 $SUB.10/24 \(gw $SUB.1\); routes 0.0.0.0/0; dns $SUB.1" \
	"the result is logged"
like "$(ctl status a)" "network: $NET: eth0 $SUB.10/24" "keelctl status shows the attachment"
like "$(ctl status c)" "network: host" "keelctl status: host network"
wait_for "c \| c-sees-$BR" 5
check "the host-network container sees the host's interfaces ($BR)"
is "$(leases)" 2 "two leases while a and b run"
is "$(ports)" 2 "two veths on $BR"

# What the plugin was given (SPEC.md section 2 and 3)
calls_a=$(ls "$T/calls" | grep -- '-a\.json$' | sed 's/^[0-9]*-//; s/-a\.json$//' | tr '\n' ' ')
is "$calls_a" "ADD CHECK " "bridge got ADD, then CHECK (1.0.0 has it) for a"
add_a=$(ls "$T/calls"/*-ADD-a.env | head -1)
like "$(cat "$add_a")" "CNI_ARGS=IgnoreUnknown=1;IP=$SUB.10" "CNI_ARGS from keel.json, IgnoreUnknown added"
like "$(cat "$add_a")" "CNI_IFNAME=eth0" "CNI_IFNAME"
like "$(cat "$add_a")" "CNI_NETNS=$T/run/@cni/a.netns" "CNI_NETNS is the bind mount holding the namespace"
like "$(cat "$add_a")" "CNI_PATH=$T/bin:$PLUGINS" "CNI_PATH"
like "$(cat "$add_a")" "CNI_CONTAINERID=a" "CNI_CONTAINERID"
is "$(grep -c . "$add_a")" 7 "nothing else of keel's environment (6 CNI_ variables and PATH)"
req=$(cat "${add_a%.env}.json")
like "$req" '"cniVersion":"1.0.0"' "the request has cniVersion"
like "$req" "\"name\":\"$NET\"" "and the network's name"
case $req in *prevResult*) false ;; *) true ;; esac
check "no prevResult for the first ADD"
like "$(cat "$(ls "$T/calls"/*-CHECK-a.json | head -1)")" "\"prevResult\":\\{\"cniVersion\":\"1.0.0\",\"interfaces\"" \
	"CHECK gets the ADD result as prevResult"

wait_for 'Finished old' 10
check "a container on a 0.3.1 network from a .conf file ran"
like "$(grep 'old | ' "$T/console.log")" "inet $SUB\.[0-9]+/24" "with an address"
sleep 0.5
is "$(ls "$T/calls" | grep -- '-old\.json$' | sed 's/^[0-9]*-//; s/-old\.json$//' | tr '\n' ' ')" "ADD DEL " \
	"0.3.1: ADD, no CHECK, DEL after it finished"
case $(cat "$T/calls"/*-DEL-old.json) in *prevResult*) false ;; *) true ;; esac
check "0.3.1: DEL without prevResult"
like "$(cat "$T/calls"/*-ADD-old.json)" '"cniVersion":"0.3.1","name":"'"$NET-old"'"' "the .conf became a one-plugin list"

# while the plugin hangs in hang's start helper, PID 1 answers
sleep 1
t0=$(date +%s%N)
like "$(ctl list)" 'hang +starting' "keelctl list answers while a plugin hangs (hang is starting)"
t1=$(date +%s%N)
echo "# keelctl list took $(( (t1 - t0) / 1000000 ))ms while the plugin hung"
wait_for 'Failed to start hang' 10
like "$(grep 'Failed to start hang' "$T/console.log")" "network \`$NET-hang\`: plugin \`kcn-hang\` \(ADD\) did not finish within 3000ms; killed" \
	"a hanging plugin is killed at network.timeout"
grep -q 'hang | hang-ran' "$T/console.log"
is "$?" 1 "its container did not run"

wait_for 'leak \| leak-done|Failed to start leak' 10
check "the entry whose resolv.conf links to a host file ran"
grep -q "host-only-secret-$$" "$T/console.log"
is "$?" 1 "the host file behind the image's resolv.conf symlink was not copied in"
is "$(cat "$T/host-secret")" "host-only-secret-$$" "nor written"

wait_for 'Failed to start bad' 10
like "$(grep 'Failed to start bad' "$T/console.log")" "network \`$NET-bad\`: plugin \`tuning\` \(ADD\) failed: .*kcn_no_such_setting" \
	"a failing plugin is named with its message"
grep -q 'bad | bad-ran' "$T/console.log"
is "$?" 1 "the container whose ADD failed did not run"
like "$(grep 'Failed to start nonet' "$T/console.log")" "network \`kcn-no-such-network\`: no configuration with that name in $CONF \(there are: $NET \(10-$NET.conflist\), $NET-bad \(20-$NET-bad.conflist\), $NET-old \(30-$NET-old.conf\), $NET-hang \(40-$NET-hang.conflist\)\)" \
	"an unknown network is named, with the ones there are"
like "$(grep 'Failed to start noport' "$T/console.log")" "network.ports: network \`$NET\`.*no plugin with the portMappings capability" \
	"ports without portmap are refused"
like "$(grep 'hostcni' "$T/console.log")" "network.cni: needs a network namespace of the container's own" \
	"a CNI network without a network namespace in config.json is refused"
sleep 0.5
is "$(leases)" 2 "the failed ADD left no lease behind"
is "$(ports)" 2 "nor a veth"

veth_a=$(ip -o link show master "$BR" | wc -l)
ctl stop a
wait_for 'Stopped a' 5
sleep 0.3
is "$(leases)" 1 "a stopped: its lease is released"
[ ! -e "$IPAM/$NET/$SUB.10" ]
check "the lease was $SUB.10"
is "$(ports)" 1 "and its veth is gone ($veth_a before)"
del_a=$(ls "$T/calls"/*-DEL-a.json | head -1)
like "$(cat "$del_a")" "\"prevResult\":\\{\"cniVersion\":\"1.0.0\",\"interfaces\"" "DEL gets the ADD result as prevResult"
like "$(cat "${del_a%.json}.env")" "CNI_NETNS=$T/run/@cni/a.netns" "DEL while the namespace is still held"
[ ! -e "$T/run/@cni/a.json" ] && [ ! -e "$T/run/@cni/a.netns" ]
check "no attachment file left for a"

bpid=$(ctl status b | awk '/^pid:/ {print $2}')
# $bpid is in keel's PID namespace: kill it from inside
[ -n "$bpid" ] && nsenter -t "$KPID" -p -m kill -KILL "$bpid"
wait_for 'b killed by SIGKILL|Stopped b|b exited' 5
check "kill -9 of b's init"
sleep 0.5
n=30; while [ "$n" -gt 0 ] && [ "$(leases)" != 0 ]; do sleep 0.1; n=$((n - 1)); done
is "$(leases)" 0 "b's lease released after kill -9"
is "$(ports)" 0 "b's veth gone"

ctl start a
wait_for 'a: network .*Started a|Started a' 5
sleep 0.5
is "$(leases)" 1 "a started again: a lease"
stop_keel
is "$RC" 0 "keel stopped cleanly"
is "$(leases)" 0 "no lease after keel's shutdown"
is "$(ports)" 0 "no veth after keel's shutdown"
is "$(ls "$T/run/@cni" 2>/dev/null | wc -l)" 0 "no attachment files left"

# keel itself killed: its attachments stay behind (the lease; the veth went
# with the namespace), and the next start of the entry DELs them first.
rm -rf "${D:?}/b" "$D/c" "$D/bad" "$D/nonet" "$D/noport" "$D/hostcni" "$D/old" "$D/hang" "$D/leak"
: >"$T/console.log"
start_keel
wait_for 'Started a' 10
check "keel started again"
kill -KILL "$KPID"
wait "$UPID"
UPID=
is "$(leases)" 1 "keel killed with -9: a's lease is left"
[ -e "$T/run/@cni/a.json" ]
check "and its attachment file"
: >"$T/console.log"
start_keel
wait_for 'Started a' 10
check "a started by a new keel (the stale attachment DELed first, then ADD)"
is "$(leases)" 1 "one lease, not two"
like "$(ctl status a)" "network: $NET: eth0 $SUB.10/24" "the same address again"
stop_keel
is "$(leases)" 0 "none after the shutdown"
is "$(ls "$T/run/@cni" 2>/dev/null | wc -l)" 0 "no attachment files left"
show_log_on_failure
done_testing
