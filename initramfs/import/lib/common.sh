# keel-import: shared helpers (sourced).  POSIX sh plus `local`, which
# dash, bash and busybox ash all have.
# shellcheck disable=SC3043

die() {
	printf 'keel-import: error: %s\n' "$*" >&2
	exit 1
}

warn() {
	printf 'keel-import: warning: %s\n' "$*" >&2
}

note() {
	[ "${quiet:-0}" = 1 ] || printf 'keel-import: %s\n' "$*" >&2
}

need_tool() {
	command -v "$1" >/dev/null 2>&1 || die "\`$1\` is required ($2); on Debian: apt-get install $3"
}

# jqx ARGS...: jq whose own error() calls become keel-import errors, with
# jq's "jq: error (at FILE:N):" prefix removed so the message reads as ours.
jqx() {
	if ! jq "$@" 2>"$work/jq.err"; then
		msg=$(sed -e 's/^jq: error (at [^)]*): //' -e 's/^jq: error: //' "$work/jq.err")
		die "${msg:-jq failed on $*}"
	fi
}

# link_or_copy SRC DST: hard link when on the same filesystem (blobs are
# only ever read), else copy.
link_or_copy() {
	ln "$1" "$2" 2>/dev/null || cp "$1" "$2" || die "cannot copy \`$1\` to \`$2\`"
}

# valid_name NAME: a containers.d entry name (also the container id).  The
# shell copy of keel's one name rule, lib/name.h (KEEL_NAME_RULE):
# tests/integration/name-rule.sh checks that both agree.
valid_name() {
	case $1 in
	'' | .* | -*) return 1 ;;
	*[!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-]*) return 1 ;;
	esac
	[ ${#1} -le 128 ]
}

# resolve_in_rootfs ROOTFS PATH: the host path of PATH looked up as if ROOTFS
# were `/`: symlinks (absolute or relative) are followed inside ROOTFS and
# `..` stops at its top, so an image's link can never reach a host file.
# Fails after 40 links.
resolve_in_rootfs() {
	local cur rest c links target
	cur='' rest=${2#/} links=0
	while [ -n "$rest" ]; do
		c=${rest%%/*}
		case $rest in */*) rest=${rest#*/} ;; *) rest='' ;; esac
		case $c in
		'' | .) continue ;;
		..) cur=${cur%/*}; continue ;;
		esac
		if [ -L "$1$cur/$c" ]; then
			links=$((links + 1))
			[ $links -le 40 ] || return 1
			target=$(readlink "$1$cur/$c") || return 1
			case $target in /*) cur='' ;; esac
			rest=${target#/}${rest:+/$rest}
		else
			cur=$cur/$c
		fi
	done
	printf '%s\n' "$1$cur"
}

# not_a_link FILE LABEL: refuse an image file that is a symlink where
# keel-import reads it on the host.
not_a_link() {
	[ ! -L "$1" ] || die "$2 is a symlink in the image: refusing to follow it on the build host"
}
