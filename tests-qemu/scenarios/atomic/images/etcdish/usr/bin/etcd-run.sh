#!/bin/sh
# etcdish: what a 1.0.0 config with $ADDTL_MOUNTS, hostfs, tmpfiles Z/r,
# a file bind of /etc/resolv.conf and Type=notify runs with.
echo "caps: $(grep ^Cap /proc/self/status | tr -d '\t' | tr '\n' ' ')"
echo "ns: pid=$$ uts=$(hostname) net=$(awk -F: 'NR > 2 {printf "%s,", $1}' /proc/net/dev | tr -d ' ') uid=$(id -u)"
echo "resolv: $(grep -c . /etc/resolv.conf) lines, $(grep ^nameserver /etc/resolv.conf | tr '\n' ' ')"
echo "conf: $(tr '\n' ' ' </etc/etcd/etcd.conf)extra=$(cat /extra/etcd.conf | tr '\n' ' ')"
echo "data: $(stat -c '%a %u:%g' /var/lib/etcd) $(stat -c '%a %u:%g' /var/lib/etcd/member) $(stat -c '%u:%g' /var/lib/etcd/member/snap) stale=$(ls /var/lib/etcd/stale 2>/dev/null || echo gone)"
echo "rundir: $(stat -c %F /run/etcd)"
trap 'echo "etcdish: stopping"; exit 0' TERM
systemd-notify --ready --status="serving $ETCD_NAME" && echo "notified with systemd-notify"
sleep 100000 &
wait
