/* See resolve.h.  Every path a config.json names inside the rootfs
 * (mount destinations, device nodes) is opened through here, because the
 * image is untrusted: a symlink in it must not point the runtime at the
 * host. */
#include "runtime/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"

#define MAX_SYMLINKS 40

/* Without openat2 (kernels before 5.6, valgrind): the same semantics by
 * hand.  Walk one component at a time with O_NOFOLLOW, keeping the fd of
 * every directory on a stack: ".." pops (never past rootfd), a symlink is
 * read and its target spliced in front of the rest (absolute ones restart
 * at rootfd).  Every step is relative to an fd already inside the root. */
int open_in_root_walk (int rootfd, const char *path, int flags)
{
	cleanup_free char *rest = xstrdup (path);
	cleanup_free int *stack = NULL;
	size_t depth = 0, cap = 0;
	int links = 0, ret = -1, saved;

	stack = xmalloc0 (sizeof (int) * (cap = 16));
	stack[0] = rootfd;
	for (;;) {
		char *p = rest, *comp, *next_rest;
		int fd, cur = stack[depth];
		struct stat st;

		p += strspn (p, "/");
		if (*p == '\0') {
			ret = openat (cur, ".", flags | O_CLOEXEC);
			break;
		}
		comp = p;
		p += strcspn (p, "/");
		next_rest = xstrdup (p);
		*p = '\0';
		if (strcmp (comp, ".") == 0) {
			free (rest);
			rest = next_rest;
			continue;
		}
		if (strcmp (comp, "..") == 0) {
			if (depth > 0)
				close (stack[depth--]);
			free (rest);
			rest = next_rest;
			continue;
		}
		fd = openat (cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat (fd, &st) < 0) {
			saved = errno;
			if (fd >= 0)
				close (fd);
			free (next_rest);
			errno = saved;
			break;
		}
		if (S_ISLNK (st.st_mode) && (flags & O_NOFOLLOW) &&
		    next_rest[strspn (next_rest, "/")] == '\0' && next_rest[0] != '/') {
			/* The last component, not to be followed (as openat2:
			 * O_PATH gives the link itself, O_DIRECTORY refuses). */
			free (next_rest);
			if ((flags & O_DIRECTORY) || !(flags & O_PATH)) {
				close (fd);
				errno = (flags & O_DIRECTORY) ? ENOTDIR : ELOOP;
				break;
			}
			ret = fd;
			break;
		}
		if (S_ISLNK (st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat (fd, "", target, sizeof target - 1);

			close (fd);
			if (n < 0 || ++links > MAX_SYMLINKS) {
				free (next_rest);
				errno = n < 0 ? errno : ELOOP;
				break;
			}
			target[n] = '\0';
			if (target[0] == '/')
				while (depth > 0)
					close (stack[depth--]);
			free (rest);
			rest = xasprintf ("%s/%s", target, next_rest);
			free (next_rest);
			continue;
		}
		if (next_rest[strspn (next_rest, "/")] == '\0' && !S_ISDIR (st.st_mode)) {
			/* The last component and not a directory: open it
			 * from its parent (O_NOFOLLOW: it was no symlink a
			 * moment ago and must not become one). */
			close (fd);
			free (next_rest);
			ret = openat (cur, comp, flags | O_CLOEXEC | O_NOFOLLOW);
			break;
		}
		if (depth + 1 == cap) {
			int *ns = realloc (stack, sizeof (int) * (cap *= 2));
			if (ns == NULL) {
				close (fd);
				free (next_rest);
				errno = ENOMEM;
				break;
			}
			stack = ns;
		}
		stack[++depth] = fd;
		free (rest);
		rest = next_rest;
	}
	saved = errno;
	while (depth > 0)
		close (stack[depth--]);
	errno = saved;
	return ret;
}

/* openat2 with RESOLVE_IN_ROOT: ".." and absolute symlinks stop at root,
 * so nothing resolved here leaves the rootfs. */
int open_in_root (int rootfd, const char *path, int flags)
{
	struct open_how how = {
	        .flags = (uint64_t)flags | O_CLOEXEC,
	        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	do
		fd = (int)syscall (SYS_openat2, rootfd, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 && errno == ENOSYS)
		return open_in_root_walk (rootfd, path, flags);
	return fd;
}

