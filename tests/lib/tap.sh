# TAP helpers for keel's shell tests; source this file.
#   ok COND_DESCRIPTION  -- after a command:  some_cmd; check "what it shows"
#   skip_all "reason"    -- the whole file cannot run here (exit 77)
#   skip "name" "reason"
# Every shell test ends with `done_testing`, which exits non-zero when any
# check failed.
_tap_n=0
_tap_failed=0

check() { # check "description" -- uses $? of the previous command
	_rc=$?
	_tap_n=$((_tap_n + 1))
	if [ "$_rc" = 0 ]; then
		echo "ok $_tap_n - $1"
	else
		echo "not ok $_tap_n - $1"
		_tap_failed=$((_tap_failed + 1))
	fi
}

is() { # is ACTUAL EXPECTED "description"
	_tap_n=$((_tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
		_tap_failed=$((_tap_failed + 1))
	fi
}

like() { # like ACTUAL GREP_PATTERN "description"
	_tap_n=$((_tap_n + 1))
	if printf '%s\n' "$1" | grep -qE -- "$2"; then
		echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		echo "#   got:     '$1'"
		echo "#   pattern: '$2'"
		_tap_failed=$((_tap_failed + 1))
	fi
}

skip() { # skip "name" "reason"
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 77
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" = 0 ]
	exit $?
}
