#!/bin/sh
# The top-level example containers.d (what `make run` boots) in QEMU with
# user networking: every entry starts, and the web service answers the
# host through a port forward.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
if [ ! -d "$top/containers.d" ]; then
	echo "1..0 # SKIP no top-level containers.d yet"
	exit 77
fi
# A free port on the host's loopback for the forward.
port=
for p in $(shuf -i 20000-40000 -n 20); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "1..0 # SKIP no free local port"; exit 77; }
export KEEL_TEST_PORT=$port
exec "$here/../../keel-qemu-test" --name example --expect "$here/expect" \
	--hostfwd "tcp:127.0.0.1:$port-:80" "$top/containers.d"
