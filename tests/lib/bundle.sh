# A small OCI bundle for runtime tests: a static busybox rootfs built from
# Debian's busybox-static (/bin/busybox) and the applet symlinks it lists.
# Source this file; it needs only a POSIX shell and coreutils/busybox.
#
#   bundle_rootfs DIR   make DIR (the rootfs), return 1 when busybox is absent

# The static busybox to put in the rootfs: Debian's busybox-static, or the
# one a guest image runs from.
bundle_busybox() {
	for b in /bin/busybox /usr/bin/busybox /usr/local/bin/busybox; do
		if [ -x "$b" ] && ! { file "$b" 2>/dev/null | grep -q 'dynamically linked'; }; then
			echo "$b"
			return 0
		fi
	done
	return 1
}

bundle_rootfs() {
	_bb=$(bundle_busybox) || return 1
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/tmp" "$1/etc" "$1/root" "$1/run" || return 1
	cp "$_bb" "$1/bin/busybox" || return 1
	for _a in $("$_bb" --list); do
		[ "$_a" = busybox ] || ln -sf busybox "$1/bin/$_a"
	done
	ln -sf bin "$1/sbin"
	mkdir -p "$1/usr" && ln -sf ../bin "$1/usr/bin" && ln -sf ../bin "$1/usr/sbin"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		>"$1/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$1/etc/group"
	chmod 1777 "$1/tmp"
}
