#!/bin/sh
# Runs in the guest, as root of the disk run.sh built: the client tests
# with CLIENTS_QUICK (the cases that differ by hierarchy and the
# lifecycle) and keel alone, or when run.sh left /keel-tests/full every
# case with keel and runc side by side.  (podman_setup's probe runs runc
# either way.)  Each TAP line goes to the
# console, where run.sh reads it back.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root KEEL=/bin/keel CLIENTS_QUICK=1 CLIENTS_RUNTIMES=keel
[ -f /keel-tests/full ] && unset CLIENTS_QUICK CLIENTS_RUNTIMES
mkdir -p /var/tmp /var/lib /run/containerd
cd /keel-tests/tests || exit 1
for t in integration/clients-podman.sh integration/clients-containerd.sh; do
	echo "== $t"
	start=$(date +%s)
	sh "$t" 2>&1
	echo "== $t exit $? in $(($(date +%s) - start)) s"
done
echo "clients: all done"
