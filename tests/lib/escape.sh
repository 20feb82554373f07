# What the escape tests (runtime-escape.sh, init-escape.sh) try to reach:
# escape_targets DIR makes $SECRET (a 0600 file) and DIR/host-exe (a script
# that prints ESCAPED), at paths no rootfs has, and $UP, enough ".." to
# climb from any directory to the host's root.
escape_targets() {
	SECRET=$1/host-secret
	echo "host-only-$$" >"$SECRET"
	chmod 600 "$SECRET"
	printf '#!/bin/sh\necho ESCAPED\n' >"$1/host-exe"
	chmod 755 "$1/host-exe"
	UP=../../../../../../../../../../../..
}
