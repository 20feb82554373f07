#!/bin/sh
# The deployment store's writer lock (docs/deployments.md, "Two writers"):
# real writers at once on one store, keel's own binary each time: `keel
# deploy add` (what keelctl update and keel-import --update run), `keel
# deploy rollback` (keelctl rollback's switch) and `keel __commit`, PID 1's
# commit helper, started here with its report pipe on fd 3 as PID 1
# starts it.  After each round the store must be whole: the link names a
# complete deployment, every deployment's files are of one version, each
# add got its own generation, no debris.  Then a writer that finds the
# lock held: it waits for the holder, or after KEEL_DEPLOY_LOCK_WAIT
# seconds fails saying who holds it; the commit helper waits.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
KEEL=${KEEL:-$top/build/keel}

[ -x "$KEEL" ] || skip_all "no $KEEL (make first)"
command -v flock >/dev/null || skip_all "no flock(1) (util-linux)"
t=$(mktemp -d /tmp/td-deploy-lock.XXXXXX)
trap 'rm -rf "$t"' EXIT
cd=$t/containers.d
mkdir "$cd"

# stage V: a complete entry of version V inside containers.d
stage() {
	mkdir -p "$cd/.st.$1/rootfs"
	echo "$1" >"$cd/.st.$1/rootfs/VERSION"
	echo "{\"version\": \"$1\"}" >"$cd/.st.$1/config.json"
	echo "{\"description\": \"v$1\"}" >"$cd/.st.$1/keel.json"
}

# whole: the store as a reader (PID 1) sees it is one piece; prints why not
whole() {
	l=$(readlink "$cd/web") || { echo "web is not a link"; return 1; }
	case $l in .deploy/web/[0-9]*) ;; *) echo "web -> $l"; return 1 ;; esac
	[ -d "$cd/$l" ] || { echo "web -> $l, which is missing"; return 1; }
	for d in "$cd"/.deploy/web/* "$cd"/.deploy/web/.[!.]*; do
		[ -e "$d" ] || continue
		g=${d##*/}
		case $g in *[!0-9]*) echo "debris .deploy/web/$g"; return 1 ;; esac
		v=$(cat "$d/rootfs/VERSION" 2>/dev/null)
		grep -q "\"version\": \"$v\"" "$d/config.json" 2>/dev/null &&
			grep -q "\"description\": \"v$v\"" "$d/keel.json" 2>/dev/null ||
			{ echo "deployment $g mixes versions (rootfs $v)"; return 1; }
		tr -d ' \n' <"$d/deploy.json" 2>/dev/null | grep -q "\"generation\":$g[,}]" ||
			{ echo "deployment $g: deploy.json says $(cat "$d/deploy.json" 2>&1)"; return 1; }
	done
	for d in "$cd"/.web.switch "$cd"/.st.*; do
		[ -e "$d" ] || [ -L "$d" ] && { echo "debris ${d##*/}"; return 1; }
	done
	return 0
}

stage 0
"$KEEL" deploy add "$cd" web .st.0 >/dev/null
check "the first deployment"

# Three rounds of 12 writers at once: 6 adds (every other one pending),
# 3 rollbacks, 3 commit helpers (undo or commit of a generation this
# round's adds may make).
v=1
for round in 1 2 3; do
	first=$v
	for k in 1 2 3 4 5 6; do
		stage $v
		v=$((v + 1))
	done
	k=0
	for s in $(seq "$first" $((v - 1))); do
		p=
		[ $((s % 2)) = 0 ] && p=--pending
		# shellcheck disable=SC2086
		("$KEEL" deploy add "$cd" web ".st.$s" --keep 3 $p >"$t/add.$s" 2>&1
			echo $? >>"$t/add.$s") &
		k=$((k + 1))
		if [ $k -le 3 ]; then
			("$KEEL" deploy rollback "$cd" web >"$t/rb.$round.$k" 2>&1
				echo $? >>"$t/rb.$round.$k") &
			op=undo
			[ $k = 2 ] && op=commit
			("$KEEL" __commit $op web "$cd" "$((s + k))" "round $round" \
				3>"$t/rep.$round.$k" >/dev/null 2>&1) &
		fi
	done
	wait
	gens= bad=
	for s in $(seq "$first" $((v - 1))); do
		if [ "$(tail -n 1 "$t/add.$s")" = 0 ] &&
			g=$(sed -n 's/^web: deployment \([0-9]*\) active$/\1/p' "$t/add.$s") && [ -n "$g" ]; then
			gens="$gens $g"
		else
			bad="$bad [v$s: $(tr '\n' ' ' <"$t/add.$s")]"
		fi
	done
	is "$bad" "" "round $round: all 6 concurrent adds went through"
	is "$(echo $gens | tr ' ' '\n' | sort -u | wc -l | tr -d ' ')" 6 \
		"round $round: each add got its own generation ($gens)"
	bad=
	for f in "$t"/rb.$round.*; do
		[ "$(tail -n 1 "$f")" = 0 ] ||
			grep -q 'no deployment older than the active one' "$f" ||
			bad="$bad [$(tr '\n' ' ' <"$f")]"
	done
	is "$bad" "" "round $round: the 3 rollbacks switched (or had nothing older)"
	bad=
	for f in "$t"/rep.$round.*; do
		grep -qE '^[CNRF]' "$f" || bad="$bad [$(cat "$f")]"
	done
	is "$bad" "" "round $round: PID 1's 3 commit helpers each did their step, no error"
	why=$(whole)
	check "round $round: the store is whole afterwards${why:+ ($why)}"
	before=$("$KEEL" deploy list "$cd" web)
	"$KEEL" deploy repair "$cd" web && is "$("$KEEL" deploy list "$cd" web)" "$before" \
		"round $round: nothing left for repair to do"
	n=$(ls "$cd/.deploy/web" | wc -l | tr -d ' ')
	[ "$n" -le 3 ]
	check "round $round: keep 3 held ($n kept)"
done

# A writer that finds the lock held: flock(1) holds it for a few seconds
# (/proc/locks names flock(1) itself as the holder).
hold() {
	rm -f "$t/held"
	flock "$cd/.deploy/.lock" sh -c "touch '$t/held'; sleep $1" &
	holder=$!
	i=0
	while [ ! -e "$t/held" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
stage 100
before=$("$KEEL" deploy list "$cd" web)
hold 3
out=$(KEEL_DEPLOY_LOCK_WAIT=1 "$KEEL" deploy add "$cd" web .st.100 2>&1)
rc=$?
is "$rc" 1 "a writer that waited 1 s for the lock fails"
is "$out" "keel deploy: the deployment store is busy: another writer (pid $holder) has held \`.deploy/.lock\` for more than 1 s; try again" \
	"it says who holds the lock and for how long it waited"
kill -0 "$holder" 2>/dev/null
check "the holder still held it then"
is "$("$KEEL" deploy list "$cd" web)" "$before" "the store is as it was"
wait "$holder"

hold 2
out=$(KEEL_DEPLOY_LOCK_WAIT=30 "$KEEL" deploy add "$cd" web .st.100 2>&1)
rc=$?
kill -0 "$holder" 2>/dev/null
is "$?$rc" 10 "a writer that may wait goes on once the holder is done ($out)"
wait "$holder"

"$KEEL" deploy rollback "$cd" web >/dev/null && stage 101 &&
	"$KEEL" deploy add "$cd" web .st.101 --pending >/dev/null
check "an update pending"
p=$(readlink "$cd/web")
p=${p##*/}
hold 2
"$KEEL" __commit undo web "$cd" "$p" "held" 3>"$t/rep.held" >/dev/null 2>&1
rc=$?
kill -0 "$holder" 2>/dev/null
is "$?$rc" 10 "PID 1's commit helper waits for the lock, then undoes"
like "$(cat "$t/rep.held")" '^R' "its report: switched back ($(cat "$t/rep.held"))"
wait "$holder"
why=$(whole)
check "the store is whole at the end${why:+ ($why)}"
[ "$(stat -c %a "$cd/.deploy/.lock")" = 600 ]
check "the lock file is root's alone (0600)"
[ ! -s "$cd/.deploy/.lock" ]
check "and empty: nothing in it differs from one run to the next (images copy containers.d)"
done_testing
