#!/bin/sh
# CNI in QEMU: Debian's plugins (containernetworking-plugins) and iptables
# put into the image by keel-mkimage --cni-plugins, the kernel's bridge,
# veth and netfilter modules, a port forward from the host to the guest's
# 8080, which portmap publishes for the web container's port 80.
here=$(cd "$(dirname "$0")" && pwd)
plugins=
for d in /opt/cni/bin /usr/libexec/cni /usr/lib/cni; do
	[ -x "$d/bridge" ] && [ -x "$d/host-local" ] && [ -x "$d/portmap" ] && { plugins=$d; break; }
done
[ -n "$plugins" ] || { echo "1..0 # SKIP no CNI plugins (bridge, host-local, portmap): install containernetworking-plugins (deps/packages.sh)"; exit 77; }
command -v xtables-legacy-multi >/dev/null || [ -x /usr/sbin/xtables-legacy-multi ] ||
	{ echo "1..0 # SKIP no xtables-legacy-multi (portmap runs iptables): install iptables"; exit 77; }
port=
for p in $(shuf -i 20000-40000 -n 20); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "1..0 # SKIP no free local port"; exit 77; }
export KEEL_TEST_PORT=$port
mods=
for m in bridge veth ip_tables iptable_nat xt_nat xt_addrtype xt_comment xt_mark \
	xt_MASQUERADE xt_multiport xt_tcpudp; do
	mods="$mods --module $m"
done
# shellcheck disable=SC2086
exec "$here/../../keel-qemu-test" --hostfwd "tcp:127.0.0.1:$port-:8080" \
	--cni-plugins "$plugins:bridge,host-local,portmap" \
	--file "$here/net.d/lan.conflist:/etc/cni/net.d/lan.conflist" $mods "$here"
