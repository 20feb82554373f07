#!/bin/sh
# runc's own integration suite (tests/integration/*.bats of a runc source
# tree, tag v1.1.5 = Debian 12's runc) against keel-runtime, the way crun's
# CI runs it against crun: the runtime under test is runc's $RUNC variable,
# tests keel does not pass for a known reason are skipped from a list
# (runc-bats.skip beside this script), and the output is bats' own TAP.
#
# usage: tests/conformance/runc-bats.sh [--runtime PATH] [--no-skip]
#                                       [--work DIR] RUNC_SRC [FILE.bats ...]
#        tests/conformance/runc-bats.sh [OPTIONS] --fetch [FILE.bats ...]
#   RUNC_SRC       a runc source tree: a git checkout (helpers built with
#                  -mod=vendor) or Debian's source package (helpers built
#                  against Debian's golang-*-dev packages, GO111MODULE=off)
#   --fetch        no RUNC_SRC: Debian's, from fetch-runc-src.sh (fetched
#                  once into the cache); when that fails (no network, no
#                  APT), the whole suite is one skip with its reason
#   --runtime PATH the runtime under test (default: keel-runtime, a symlink
#                  to $KEEL or build/keel); `--runtime /usr/sbin/runc
#                  --no-skip` measures runc itself on the same host
#   --no-skip      ignore the skip list
#   --work DIR     scratch directory (default: a fresh one under /tmp,
#                  removed at exit); the runc tree itself is never modified
#   FILE.bats      run only these files (default: all of them)
#
# What is changed, in the scratch copy only: get-images.sh is replaced (the
# busybox image is built from Debian's busybox-static instead of downloaded;
# the Debian image is used only if RUNC_SRC's testdata already holds it),
# and each skipped test's body becomes `skip "reason"`.
# Exit: 0 all ran tests passed, 1 a failure, 77 cannot run here (TAP skip).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runtime=
skiplist=$here/runc-bats.skip
work=
fetch=
while [ $# -gt 0 ]; do
	case $1 in
	--runtime) runtime=$2; shift 2 ;;
	--no-skip) skiplist=; shift ;;
	--work) work=$2; shift 2 ;;
	--fetch) fetch=1; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//;/^set -u/d'; exit 0 ;;
	-*) echo "runc-bats.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done

skip_all() {
	echo "1..0 # SKIP $1"
	exit 77
}

if [ -n "$fetch" ]; then
	[ "$(id -u)" = 0 ] || skip_all "runc's suite runs containers as root"
	# Its one line of reason, without the script's name.
	src=$("$here/fetch-runc-src.sh" 2>"${TMPDIR:-/tmp}/keel-fetch-runc.$$") || {
		why=$(tail -n 1 "${TMPDIR:-/tmp}/keel-fetch-runc.$$" | sed 's/^fetch-runc-src.sh: //')
		rm -f "${TMPDIR:-/tmp}/keel-fetch-runc.$$"
		skip_all "cannot fetch Debian's runc source (tests/conformance/fetch-runc-src.sh): ${why:-no reason given}"
	}
	rm -f "${TMPDIR:-/tmp}/keel-fetch-runc.$$"
else
	[ $# -ge 1 ] || skip_all "no runc source tree given (RUNC_SRC=DIR, --fetch, or \`make conformance\` fetches Debian's)"
	src=$1
	shift
fi
src=$(cd "$src" 2>/dev/null && pwd) || skip_all "runc source tree $src does not exist"
[ -f "$src/tests/integration/helpers.bash" ] ||
	skip_all "$src has no tests/integration/helpers.bash: not a runc source tree"
[ "$(id -u)" = 0 ] || skip_all "runc's suite runs containers as root"
for t in bats jq go gawk script; do
	command -v $t >/dev/null || skip_all "$t is not installed (deps/packages.sh conformance)"
done
[ -x /bin/busybox ] || skip_all "/bin/busybox is missing (busybox-static, deps/packages.sh)"
case $(uname -m) in x86_64) arch=amd64 ;; *) skip_all "only set up for x86_64" ;; esac

if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/keel-runc-bats.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
else
	mkdir -p "$work"
	work=$(cd "$work" && pwd)
fi
say() { echo "# $*"; }
say "runc tree: $src (VERSION $(cat "$src/VERSION" 2>/dev/null || echo '?'))"

# The runtime under test, named as users call it.
if [ -z "$runtime" ]; then
	keel=${KEEL:-$top/build/keel}
	[ -x "$keel" ] || skip_all "$keel is not built (make)"
	mkdir -p "$work/bin"
	ln -sf "$keel" "$work/bin/keel-runtime"
	runtime=$work/bin/keel-runtime
fi
[ -x "$runtime" ] || skip_all "runtime $runtime is not executable"
say "runtime under test: $runtime ($("$runtime" --version 2>&1 | head -1))"

# A scratch copy laid out as helpers.bash expects: tests/integration and
# the helper binaries at contrib/cmd/NAME/NAME relative to it.
rm -rf "$work/tests" "$work/contrib" "$work/go.mod"
mkdir -p "$work/tests" "$work/contrib"
cp -a "$src/tests/integration" "$work/tests/integration" || exit 1
cp -a "$src/contrib/cmd" "$work/contrib/cmd" || exit 1 # seccompagent's script too
cp "$src/go.mod" "$work/go.mod" || exit 1            # spec.bats reads it
it=$work/tests/integration

# Helpers: recvtty (every test's console socket), sd-helper (systemd
# tests), seccompagent (seccomp-notify tests).  Offline only.
gocache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}/go-build
mkdir -p "$gocache"
for cmd in recvtty sd-helper seccompagent; do
	[ -d "$src/contrib/cmd/$cmd" ] || continue
	out=$work/contrib/cmd/$cmd/$cmd
	mkdir -p "$(dirname "$out")"
	if [ -d "$src/vendor" ]; then
		(cd "$src" && GOCACHE=$gocache GOFLAGS=-mod=vendor GOPROXY=off \
			go build -tags seccomp -o "$out" "./contrib/cmd/$cmd")
	else
		# Debian's source package has no vendor/; its -dev packages
		# (golang-github-opencontainers-runc-dev and what it pulls) do.
		(cd "$src" && GOCACHE=$gocache GO111MODULE=off GOPATH=/usr/share/gocode \
			GOPROXY=off GOFLAGS='' go build -tags seccomp -o "$out" "./contrib/cmd/$cmd")
	fi >"$work/go-$cmd.log" 2>&1 ||
		say "could not build $cmd offline (see $work/go-$cmd.log); tests needing it will fail"
done
[ -x "$work/contrib/cmd/recvtty/recvtty" ] || tail -n 5 "$work/go-recvtty.log" | sed 's/^/# /'
[ -x "$work/contrib/cmd/recvtty/recvtty" ] ||
	skip_all "cannot build runc's recvtty offline, which every test needs (golang-go, golang-github-opencontainers-runc-dev)"

# Images, without the network: runc downloads docker-library's busybox;
# the same applets from Debian's busybox-static serve, with the image's
# passwd and group.
img=$it/testdata/busybox-$arch.tar.xz
if [ ! -e "$img" ]; then
	r=$work/busybox-rootfs
	rm -rf "$r"
	# No /proc or /sys, as in that image: mask.bats replaces them by symlinks.
	mkdir -p "$r/bin" "$r/etc" "$r/root" "$r/tmp" "$r/home" "$r/var/spool/mail" "$r/var/www" "$r/dev"
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list-full); do
		mkdir -p "$r/$(dirname "$a")"
		[ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		daemon:x:1:1:daemon:/usr/sbin:/bin/false
		bin:x:2:2:bin:/bin:/bin/false
		sys:x:3:3:sys:/dev:/bin/false
		sync:x:4:100:sync:/bin:/bin/sync
		mail:x:8:8:mail:/var/spool/mail:/bin/false
		www-data:x:33:33:www-data:/var/www:/bin/false
		operator:x:37:37:Operator:/var:/bin/false
		nobody:x:65534:65534:nobody:/home:/bin/false
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		daemon:x:1:
		bin:x:2:
		sys:x:3:
		adm:x:4:
		tty:x:5:
		disk:x:6:
		lp:x:7:
		mail:x:8:
		kmem:x:9:
		wheel:x:10:root
		floppy:x:11:
		news:x:13:
		uucp:x:14:
		audio:x:29:
		www-data:x:33:
		operator:x:37:
		staff:x:50:
		users:x:100:
		nogroup:x:65534:
	EOF
	tar -C "$r" -cJf "$img" . || exit 1
	rm -rf "$r"
fi
deb=$it/testdata/debian-$arch.tar.xz
cat >"$it/get-images.sh" <<-EOF
	#!/bin/sh
	# keel's runc-bats.sh: the images, offline.
	echo BUSYBOX_IMAGE=$img
	echo DEBIAN_IMAGE=$deb
EOF
# Skips of the environment, for every runtime (runc too, with --no-skip).
# criu: checkpoint.bats skips itself without criu, but runs where criu is
# installed and cannot work (Debian 12's criu 3.17 on a newer kernel:
# "vdso: Unexpected rt vDSO area bounds"); its first error is the reason.
criu_fails=''
criu_why=''
if command -v criu >/dev/null && ! criu check -v4 --log-file "$work/criu-check.log" >/dev/null 2>&1; then
	criu_fails=1
	criu_why=$(grep -m 1 'Error (' "$work/criu-check.log" 2>/dev/null | sed 's/^([0-9. ]*) //; s/^Error ([^)]*): //')
	say "criu check fails here (${criu_why:-no error logged}): checkpoint.bats's dumps skip"
fi
{
	echo "spec.bats | spec validator | needs the network: git clone of runtime-spec from GitHub, go get"
	if [ -n "$criu_fails" ]; then
		for t in "checkpoint and restore" "checkpoint and restore (bind mount, destination is symlink)" \
			"checkpoint and restore (with --debug)" "checkpoint and restore (cgroupns)" \
			"checkpoint --pre-dump and restore" "checkpoint and restore with container specific CRIU config" \
			"checkpoint and restore with nested bind mounts"; do
			echo "checkpoint.bats | $t | criu check fails on this host: ${criu_why:-see criu check}"
		done
	fi
	if [ ! -e "$deb" ]; then
		# hooks.bats needs the Debian image (ldconfig, gcc-built libraries).
		say "no $(basename "$deb") in $src/tests/integration/testdata: hooks.bats skips"
		echo "hooks.bats | * | needs the Debian buster image, which runc downloads from GitHub (not offline)"
	fi
} >"$work/skip-extra"

# The skip list: "FILE.bats | test name | reason" ("*" = every test of the
# file).  A skipped test's body is replaced by `skip "reason"`; its setup
# and teardown still run, as for runc's own `requires` skips.
{ [ -n "$skiplist" ] && grep -v '^[[:space:]]*\(#\|$\)' "$skiplist"; cat "$work/skip-extra"; } >"$work/skips"
for f in "$it"/*.bats; do
	b=$(basename "$f")
	grep -q "^${b}[[:space:]]*|" "$work/skips" || continue
	gawk -v file="$b" -v skips="$work/skips" '
	BEGIN {
		FS = "\n"
		while ((getline line < skips) > 0) {
			n = split(line, p, /[[:space:]]*\|[[:space:]]*/)
			if (n < 3 || p[1] != file) continue
			reason = p[3]; for (i = 4; i <= n; i++) reason = reason " | " p[i]
			gsub(/\\/, "\\\\\\\\", reason); gsub(/["`$]/, "\\\\&", reason)
			want[p[2]] = reason
		}
	}
	# A whole-file skip must not run setup (its image may be missing).
	("*" in want) && /^function setup\(\) \{/ {
		print "function setup() { return 0; }"
		print "function __keel_skipped_setup() {"
		next
	}
	match($0, /^@test "(.*)" \{[[:space:]]*$/, m) {
		name = m[1]
		r = (name in want) ? want[name] : (("*" in want) ? want["*"] : "")
		if (r != "") {
			used[name] = 1
			print "@test \"" name "\" {"
			print "\tskip \"" r "\""
			print "}"
			print "__keel_skipped_" NR "() {"
			next
		}
	}
	{ print }
	END {
		for (k in want)
			if (k != "*" && !(k in used))
				print "runc-bats.sh: " file ": no test named \"" k "\" (skip list out of date?)" > "/dev/stderr"
	}' "$f" >"$f.new" && mv "$f.new" "$f"
done
chmod +x "$it/get-images.sh"

# Run.  bats --tap prints one plan and "ok N name # skip reason" lines.
# One run per machine at a time: the tests' container names and cgroup
# paths are fixed (test_busybox, /runc-cgroups-integration-test).
cd "$it" || exit 1
exec 8>/run/lock/keel-runc-bats.lock
if ! flock -n 8; then
	say "another runc-bats.sh is running on this machine; waiting for it"
	flock 8
fi
if [ $# -gt 0 ]; then
	files=$*
else
	files=$(echo ./*.bats)
fi
export RUNC="$runtime"
unset RUNC_USE_SYSTEMD
# As runc's CI, under script(1): tests with "terminal": true and no
# --console-socket use the caller's terminal.  The pty turns \n into \r\n.
# shellcheck disable=SC2086
# A test that fails midway can leave a helper (recvtty) holding bats'
# output open, and bats then waits forever: a time limit, after which the
# pty's hangup ends what is left in it.
limit=${RUNC_BATS_TIMEOUT:-900}
{
	timeout -k 30 "$limit" script -qefc "bats --tap $files" /dev/null </dev/null 8>&-
	echo $? >"$work/status"
} | tr -d '\r'
st=$(cat "$work/status")
# The suite's teardown removes its parent cgroup from the v1 hierarchies
# only; on a hybrid host the (empty) v2 one stays.  rmdir leaves non-empty
# ones alone.
for d in /sys/fs/cgroup/runc-cgroups-integration-test /sys/fs/cgroup/*/runc-cgroups-integration-test; do
	[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
done
[ "$st" != 124 ] && [ "$st" != 137 ] || echo "# runc-bats.sh: bats did not finish within ${limit}s (RUNC_BATS_TIMEOUT)"
exit "$st"
