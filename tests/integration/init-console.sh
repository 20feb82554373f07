#!/bin/sh
# What a container prints cannot drive PID 1's console or keelctl's
# terminal: a real container writes terminal escapes (clear screen, a
# title, the answerback requests DECID/DA/DSR, a CR overwrite, backspaces,
# a C1 CSI in UTF-8 and as a raw byte, invalid UTF-8) next to a valid UTF-8
# line, and sends them as its notify STATUS=; another's config.json names
# a program with escapes in it (the start error quotes it).  The console
# holds none of those bytes raw: each is shown as \xNN (lib/termsafe.h),
# the valid UTF-8 intact; `keelctl status` shows STATUS= and the error
# escaped; `keelctl logs` on a terminal is escaped, to a pipe it is the
# bytes the container wrote (the log ring keeps them raw).
. "$(dirname "$0")/init-lib.sh"
command -v perl >/dev/null || skip_all "needs perl to look at the bytes"

# raw_controls FILE: how many bytes of FILE a terminal would act on: C0
# controls but newline and tab, DEL, C1 controls in UTF-8, and bytes that
# are not strict UTF-8 (each counted).  $2: also let a CR go before a
# newline (a pty's ONLCR).
raw_controls() {
	perl -MEncode -e '
		local $/; open(my $f, "<:raw", $ARGV[0]) or die "open: $!"; my $b = <$f>;
		$b =~ s/\r\n/\n/g if $ARGV[1];
		my $n = 0;
		while (length $b) {
			my $s = Encode::decode("UTF-8", $b, Encode::FB_QUIET);
			$n += () = $s =~ /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
			last unless length $b; # what FB_QUIET left: an invalid byte first
			$b = substr($b, 1); $n++;
		}
		print "$n\n"' "$1" "${2:-}"
}

make_rootfs
rootfs_add_keelctl
utf8=$(printf 'gr\303\274\303\237e \342\234\223')
cat >"$ROOTFS/bin/co-evil" <<'EOF'
#!/bin/sh
printf 'clear:\033[2J\033[H:end\n'
printf 'title:\033]0;pwned\007:end\n'
printf 'answer:\033Z\033[c\033[6n\033[21t:end\n'
printf 'visible\roverwritten:end\n'
printf 'backspace:abc\b\b\bxyz\177:end\n'
printf 'c1csi:\302\2332J:end\n'
printf 'raw8bit:\2336n:end\n'
printf 'invalid:\377\376\300\233:end\n'
printf 'utf8:gr\303\274\303\237e \342\234\223:end\n'
keelctl notify READY=1 "$(printf 'STATUS=up\033[2J\302\233:end')"
echo evil-done
exec sleep 1000
EOF
chmod 755 "$ROOTFS/bin/co-evil"
entry co-evil 'exec /bin/co-evil' '{"readiness": "notify", "stop": {"signal": "KILL"}}'
# a program whose name holds escapes: keel's own "Failed to start" line quotes it
entry co-bad 'true' '{"kind": "oneshot"}'
perl -0pi -e 's|"args": \[[^]]*\]|"args": ["/bin/\\u001b[2Jnope\\u009b\\u0007"]|' "$D/co-bad/config.json"
grep -q 'u001b' "$D/co-bad/config.json"
check "co-bad's config.json names /bin/ESC[2Jnope CSI BEL"
# a broken entry: its error quotes keel.json's value (CSI in UTF-8, ESC, CR)
entry co-broken 'true' '{"requires": ["x\u001b[2J\u009by\r"]}'

start_keel
wait_for 'co-evil \| evil-done' 15
check "the hostile container printed its lines"
wait_for 'co-bad' 10
sleep 0.5

n=$(raw_controls "$T/console.log")
is "$n" 0 "the console holds no raw control byte, C1 control or invalid UTF-8 ($(wc -c <"$T/console.log") bytes)"
while IFS= read -r want; do
	grep -qF -- "co-evil | $want" "$T/console.log"
	check "shown escaped on the console: $want"
done <<'EOF'
clear:\x1b[2J\x1b[H:end
title:\x1b]0;pwned\x07:end
answer:\x1bZ\x1b[c\x1b[6n\x1b[21t:end
visible\x0doverwritten:end
backspace:abc\x08\x08\x08xyz\x7f:end
c1csi:\xc2\x9b2J:end
raw8bit:\x9b6n:end
invalid:\xff\xfe\xc0\x9b:end
EOF
grep -qF "co-evil | utf8:$utf8:end" "$T/console.log"
check "valid UTF-8 reaches the console intact (utf8:$utf8:end)"
like "$(grep -F 'co-bad' "$T/console.log" | grep -v ' | ')" '\\x1b\[2Jnope\\xc2\\x9b\\x07' \
	"keel's own line quoting the image's program name shows it escaped"

like "$(grep -F 'co-broken' "$T/console.log")" 'requires\[0\]: "x\\x1b\[2J\\xc2\\x9by\\x0d"' \
	"a broken entry's line quoting its keel.json shows the value escaped"

# keelctl: status through a pipe (PID 1 keeps STATUS= and errors rendered)
st=$(ctl status co-evil)
like "$st" 'status: up\\x1b\[2J\\xc2\\x9b:end' "keelctl status: STATUS= escaped"
ctl status co-evil >"$T/status.out"
is "$(raw_controls "$T/status.out")" 0 "keelctl status prints no raw control byte"

ctl status co-broken >"$T/status-broken.out"
like "$(cat "$T/status-broken.out")" 'error: .*x\\x1b\[2J\\xc2\\x9by' "keelctl status: a unit's error escaped"
is "$(raw_controls "$T/status-broken.out")" 0 "and no raw control byte in it"
ctl status --json co-broken >"$T/status-broken.json"
is "$(raw_controls "$T/status-broken.json")" 0 "keelctl status --json: no raw control byte either"

# keelctl logs: to a pipe the container's own bytes, on a terminal rendered
ctl logs co-evil >"$T/logs.raw"
grep -qF "$(printf 'clear:\033[2J')" "$T/logs.raw" && grep -qF "$(printf 'c1csi:\302\233')" "$T/logs.raw"
check "keelctl logs to a pipe: the bytes the container wrote (the ring keeps them raw)"
if script -qc true /dev/null >/dev/null 2>&1; then
	script -qc "'$KEEL' ctl --socket '$T/state/keel.sock' logs co-evil" /dev/null >"$T/logs.tty" </dev/null
	is "$(raw_controls "$T/logs.tty" crlf)" 0 "keelctl logs on a terminal: no raw control byte"
	grep -qF 'answer:\x1bZ\x1b[c\x1b[6n' "$T/logs.tty" && grep -qF "utf8:$utf8:end" "$T/logs.tty"
	check "keelctl logs on a terminal: escapes shown, UTF-8 intact"
	script -qc "'$KEEL' ctl --socket '$T/state/keel.sock' status co-evil" /dev/null >"$T/status.tty" </dev/null
	is "$(raw_controls "$T/status.tty" crlf)" 0 "keelctl status on a terminal: no raw control byte"
else
	skip "keelctl on a terminal" "script(1) cannot open a pty here"
fi

stop_keel
is "$RC" 0 "clean exit"
is "$(raw_controls "$T/console.log")" 0 "still none after the shutdown"
show_log_on_failure
done_testing
