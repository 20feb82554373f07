#!/bin/sh
# keel's own parsers accept what keel-import writes: keel.json through init's
# policy_load() and config.json through the runtime's spec_load(), linked
# from the dev build's libkeel.a into a checker compiled here.  Also records
# whether umoci's untouched config.json loads.  When the runtime can run
# containers, the imported busybox image is run for real.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/image.sh"
dev=$(dirname "${KEEL_DEV:-$top/build/dev/keel}")

image_test /tmp/keel-image-accept jq umoci sha256sum gzip tar cc
[ -f "$dev/libkeel.a" ] || skip_all "no $dev/libkeel.a (make dev first)"

have_policy=0 have_spec=0
grep -q '^int policy_load ' "$top/init/policy.h" 2>/dev/null && have_policy=1
grep -q '^int spec_load ' "$top/runtime/spec.h" 2>/dev/null && nm "$dev/libkeel.a" 2>/dev/null | grep -q ' T spec_load$' && have_spec=1

{
	echo '#include <stdio.h>'
	echo '#include <string.h>'
	echo '#include <libgen.h>'
	echo '#include "lib/error.h"'
	[ $have_policy = 1 ] && echo '#include "init/policy.h"'
	[ $have_spec = 1 ] && echo '#include "runtime/spec.h"'
	cat <<-'C'
	/* check policy|spec FILE: prints "accepted" or keel's error line. */
	int main (int argc, char **argv)
	{
		struct keel_error *err = NULL;
		int ret = -1;
		if (argc != 3)
			return 2;
	C
	[ $have_policy = 1 ] && cat <<-'C'
		if (strcmp (argv[1], "policy") == 0) {
			struct policy p;
			ret = policy_load (argv[2], &p, &err);
			if (ret == 0)
				policy_free (&p);
		}
	C
	[ $have_spec = 1 ] && cat <<-'C'
		if (strcmp (argv[1], "spec") == 0) {
			struct spec *s = NULL;
			char dir[4096];
			snprintf (dir, sizeof dir, "%s", argv[2]);
			ret = spec_load (argv[2], dirname (dir), &s, &err);
			if (ret == 0)
				spec_free (s);
		}
	C
	cat <<-'C'
		if (ret == 0) {
			puts ("accepted");
			return 0;
		}
		puts (err ? err->msg : "not checked");
		return 1;
	}
	C
} >"$t/check.c"
libs="-ljson-c -lcap -lmount -lblkid"
grep -q 'CONFIG_SECCOMP 1' "$dev/include/generated/autoconf.h" 2>/dev/null && libs="$libs -lseccomp"
grep -q 'CONFIG_UDEV 1' "$dev/include/generated/autoconf.h" 2>/dev/null && libs="$libs -ludev"
cc -std=gnu11 -D_GNU_SOURCE -I"$top" -I"$dev/include" -include generated/autoconf.h \
	-o "$t/check" "$t/check.c" "$dev/libkeel.a" $libs 2>"$t/cc.err"
check "the checker links against libkeel.a" || { sed 's/^/# /' "$t/cc.err"; done_testing; }

# The three kinds of entry keel-import writes.
fixture_base_layers "$t"
fixture_oci_image "$t/img" latest "$t/cfg.json" "$t/L1.tar" "$t/L2.tar:gzip"
mkdir "$t/cd"
"$IMPORT" -q --name plain "$t/img" "$t/cd"
check "plain image imported"
"$IMPORT" -q --name vols -v /var/data=/srv/data --writable "$t/img" "$t/cd"
check "image with bind volumes imported"
fixture_rootfs "$t/s1"
mkdir -p "$t/s2/exports"
cat >"$t/s2/exports/service.template" <<'T'
[Unit]
After=db.service
Requires=db.service
StartLimitBurst=3
StartLimitIntervalSec=30s
[Service]
Type=notify
Restart=on-failure
RestartSec=90
KillSignal=SIGINT
TimeoutStartSec=infinity
TimeoutStopSec=5s
T
printf 'd $STATE_DIRECTORY/$NAME 0755 0 0 - -\n' >"$t/s2/exports/tmpfiles.template"
fixture_layer "$t/s1" "$t/S1.tar"
fixture_layer "$t/s2" "$t/S2.tar"
echo '{"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh", "-c", "echo up"]}}' >"$t/scfg.json"
fixture_oci_image "$t/sys" latest "$t/scfg.json" "$t/S1.tar" "$t/S2.tar"
# sys requires db: keel-import checks it among the entries it will boot with.
fixture_entry "$t/cd" db
"$IMPORT" -q --name sys "$t/sys" "$t/cd"
check "system container imported"
is "$(jq -c . "$t/cd/sys/keel.json")" '{"description":"image sys (manifest '"$(jq -r .manifest "$t/cd/sys/import.json" | cut -c1-19)"')","kind":"service","requires":["db"],"after":["db"],"restart":{"policy":"on-failure","delay":"90000ms","backoff":{"max":"90000ms"},"limit":{"burst":3,"interval":"30000ms"}},"readiness":"notify","start_timeout":"0ms","stop":{"signal":"SIGINT","timeout":"5000ms"}}' \
	"every unit setting keel.json can hold"

# `description` (docs/containers.d.md) came to init/policy.c after the
# version this branch may hold; without it, check the rest of the file.
has_description=1
grep -q '"description"' "$top/init/policy.c" 2>/dev/null || has_description=0
for e in plain vols sys; do
	if [ $have_policy = 1 ]; then
		p=$t/cd/$e/keel.json
		if [ $has_description = 0 ]; then
			echo "# init/policy.c predates the description key: checking $e/keel.json without it"
			jq 'del(.description)' "$p" >"$t/$e-keel.json"
			p=$t/$e-keel.json
		fi
		out=$("$t/check" policy "$p")
		is "$out" accepted "init's policy_load accepts $e/keel.json"
	else
		skip "init's policy_load accepts $e/keel.json" "init/policy.h has no policy_load"
	fi
	if [ $have_spec = 1 ]; then
		out=$("$t/check" spec "$t/cd/$e/config.json")
		is "$out" accepted "the runtime's spec_load accepts $e/config.json"
	else
		skip "the runtime's spec_load accepts $e/config.json" "runtime/spec.h has no spec_load in libkeel.a"
	fi
done

# umoci's own config.json, as `umoci unpack` writes it.
umoci unpack --image "$t/img:latest" "$t/umoci-bundle" >/dev/null 2>&1
check "umoci unpack makes a bundle"
if [ $have_spec = 1 ]; then
	out=$("$t/check" spec "$t/umoci-bundle/config.json")
	is "$out" accepted "the runtime's spec_load accepts umoci's untouched config.json"
fi

# Run it for real: with keel's runtime once it is built, and with runc (the
# reference runtime, which runs as is on this host) as a cross-check.
b=$t/run
mkdir "$b"
"$IMPORT" -q --name run "$t/img" "$b"
jq '.process.args = ["/bin/sh", "-c",
	"cat /keep.txt; ls -A /data; id -u; id -G; echo $FOO; pwd; touch /cache/w && echo cache-writable; touch /x 2>&1 || echo rootfs-read-only; hostname"]' \
	"$b/run/config.json" >"$b/c" && mv "$b/c" "$b/run/config.json"
want="keep-v2
c
1000
1000 10 29
bar
/srv
cache-writable
touch: /x: Read-only file system
rootfs-read-only
run"
run_with() { # run_with NAME RUNTIME...: run the bundle, compare its output
	n=$1
	shift
	id=keel-image-accept-$$-$n
	out=$(cd "$b/run" && timeout 60 "$@" --root "$t/state-$n" run "$id" 2>&1 </dev/null)
	rc=$?
	"$@" --root "$t/state-$n" delete -f "$id" >/dev/null 2>&1
	is "$rc" 0 "$n runs the imported bundle"
	is "$out" "$want" "$n: layer 2's file, the opaque dir, uid, groups, env, cwd, a writable volume, a read-only root"
}
rt=$dev/keel
if "$rt" runtime --help >/dev/null 2>&1 && ! "$rt" runtime --help 2>&1 | grep -q 'not built'; then
	run_with keel "$rt" runtime
else
	skip "keel runtime runs the imported bundle" "keel runtime is not built into $rt yet"
fi
if command -v runc >/dev/null 2>&1; then
	run_with runc runc
else
	skip "runc runs the imported bundle" "runc is not installed"
fi

done_testing
