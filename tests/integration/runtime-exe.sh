#!/bin/sh
# CVE-2019-5736 / CVE-2016-9962: a container must not reach the runtime's
# binary, nor the runtime's open files, through the /proc of a process the
# runtime put into its pid namespace.  Container A runs the attacker's
# shell in its own pid namespace; B joins that namespace by path and is
# left `created`, i.e. still the runtime's own process, waiting for start.
# From inside A: readlink, open for reading and for appending
# /proc/B/exe; read a 0600 host file through B's fds (/proc/B/fd/N); hold
# /proc/B/exe open across `start` and append through the held fd then.
# Every attempt must fail and the binary's checksum stay the same.
#
# keel runs from a copy in the test's directory, so that a keel with the
# hole (this test on an old binary) damages only the copy.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

bin=$(command -v "${RUNTIME%% *}")
if [ "$RT_NAME" = keel ]; then
	mkdir -p "$T/bin"
	cp "$bin" "$T/bin/" || skip_all "cannot copy $bin"
	RUNTIME="$T/bin/$(basename "$bin")${RUNTIME#"${RUNTIME%% *}"}"
	bin=$T/bin/$(basename "$bin")
fi
bin=$(realpath "$bin")
sum_before=$(sha256sum "$bin" | cut -d' ' -f1)
echo "# binary under attack: $bin"

mkdir -p "$T/share"
# The attacker: waits for B's pid (as A sees it), tries everything, keeps
# /proc/B/exe open if it could, waits for B to be started, appends.
cfg a
cfg_set '.mounts += [{destination: "/share", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
	--arg s "$T/share"
cfg_sh 'until [ -s /share/go1 ]; do sleep 0.05; done
b=$(cat /share/go1)
{
	echo "readlink=$(readlink /proc/$b/exe 2>/dev/null)"
	if echo x 2>/dev/null >>/proc/$b/exe; then echo append=ok; else echo append=refused; fi
	if head -c 4 /proc/$b/exe 2>/dev/null | grep -q ELF; then echo read=ok; else echo read=refused; fi
	echo "fds=$(ls /proc/$b/fd 2>/dev/null | tr "\n" " ")"
	leak=
	for n in $(seq 0 40); do
		for f in /proc/$b/fd/$n/secret /proc/$b/fd/$n/../secret; do
			grep -qs hostsecret "$f" && leak="${leak:+$leak }$f"
		done
	done
	echo "leak=${leak:-none}"
} >/share/r1
# A failed redirection on exec would end the shell: try in a subshell first.
if (exec 3</proc/$b/exe) 2>/dev/null; then
	exec 3</proc/$b/exe
	echo held=ok
else
	echo held=refused
fi >>/share/r1
touch /share/ready1
until [ -e /share/go2 ]; do sleep 0.05; done
if echo x 2>/dev/null >>/proc/self/fd/3; then echo after-start=ok; else echo after-start=refused; fi >/share/r2
exec sleep 1000'
rt run -d --bundle "$B" a </dev/null >"$T/out" 2>&1
check "A (the attacker, own pid namespace) runs"
apid=$(ctr_state a pid)

cfg b
cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")] + [{type: "pid", path: $p}]' \
	--arg p "/proc/$apid/ns/pid"
rt create --bundle "$B" b </dev/null >"$T/out" 2>&1
check "B joins A's pid namespace by path and is created"
bpid=$(ctr_state b pid)
# B's pid in A's namespace: the last NSpid field.
bns=$(awk '/^NSpid:/ { print $NF }' "/proc/$bpid/status" 2>/dev/null)
# A 0600 host file next to the state B's runtime keeps.
for d in "$STATE" "$STATE/b"; do
	[ -d "$d" ] && echo hostsecret >"$d/secret" && chmod 600 "$d/secret"
done
echo "$bns" >"$T/share/go1"
i=0
while [ ! -e "$T/share/ready1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -e "$T/share/ready1" ]
check "A made its attempts on /proc/$bns (host pid $bpid)"
r1=$(cat "$T/share/r1" 2>/dev/null)
echo "$r1" | sed 's/^/# A saw: /'
rl=$(echo "$r1" | sed -n 's/^readlink=//p')
case $rl in
"" | /memfd:*) true ;;
*) false ;;
esac
check "readlink /proc/B/exe names no host file (got '$rl')"
is "$(echo "$r1" | sed -n 's/^append=//p')" refused "/proc/B/exe cannot be opened for appending"
is "$(echo "$r1" | sed -n 's/^read=//p')" refused "/proc/B/exe cannot be read"
is "$(echo "$r1" | sed -n 's/^leak=//p')" none "no fd of B reaches a 0600 host file"
is "$(echo "$r1" | sed -n 's/^held=//p')" refused "/proc/B/exe cannot be held open across start"

rt start b >"$T/out" 2>&1
check "B starts"
ctr_wait_status b stopped
touch "$T/share/go2"
i=0
while [ ! -s "$T/share/r2" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
is "$(sed -n 's/^after-start=//p' "$T/share/r2" 2>/dev/null)" refused \
	"after start, nothing A held on /proc/B/exe writes to the binary"
is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum_before" "the runtime binary is unchanged"

rt delete --force b >/dev/null 2>&1
rt delete --force a >/dev/null 2>&1
done_testing
