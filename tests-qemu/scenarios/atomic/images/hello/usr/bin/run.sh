#!/bin/sh
# hello: what a 0.3.0 config with a flat linux.capabilities list runs with.
echo "caps: $(grep ^Cap /proc/self/status | tr -d '\t' | tr '\n' ' ')"
echo "ns: pid=$$ uts=$(hostname) net=$(awk -F: 'NR > 2 {printf "%s,", $1}' /proc/net/dev | tr -d ' ')"
echo "nofile: $(ulimit -n) greeting=$GREETING"
