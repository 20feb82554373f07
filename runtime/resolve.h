/* Opening paths inside a container's rootfs without leaving it. */
#ifndef KEEL_RESOLVE_H
#define KEEL_RESOLVE_H

/* openat(rootfd, path, flags | O_CLOEXEC) where ".." and absolute
 * symlinks stop at rootfd and magic links are refused, as openat2's
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS.  Where openat2 is missing
 * (kernels before 5.6, valgrind) the same walk is done by hand.  Returns the
 * fd, or -1 with errno set. */
int open_in_root (int rootfd, const char *path, int flags);

/* The by-hand walk alone (tests compare it with openat2). */
int open_in_root_walk (int rootfd, const char *path, int flags);

#endif
