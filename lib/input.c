/* See input.h. */
#include "lib/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

const char *input_file_type (unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	}
	return "not a regular file";
}

void input_format_size (unsigned long long n, char *buf, size_t cap)
{
	if (n >= (1ULL << 20) && n % (1ULL << 20) == 0)
		snprintf (buf, cap, "%llu MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf (buf, cap, "%llu KiB", n >> 10);
	else
		snprintf (buf, cap, "%llu bytes", n);
}

static int too_big (const char *name, unsigned long long size, size_t max, struct keel_error **err)
{
	char limit[32];

	input_format_size (max, limit, sizeof limit);
	if (size == 0)
		return keel_error (err, 0, "%s: larger than the limit of %s", name, limit);
	return keel_error (err, 0, "%s: %llu bytes is larger than the limit of %s", name, size,
	                   limit);
}

int input_read_at (int dirfd, const char *path, const char *name, unsigned flags, size_t max,
                   char **out, size_t *len, struct keel_error **err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t size = 0, cap;
	int oflags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

	if (name == NULL)
		name = path;
	if (flags & INPUT_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = openat (dirfd, path, oflags);
	if (fd < 0 && errno == ELOOP && (flags & INPUT_NOFOLLOW))
		return keel_error (err, 0, "%s: a symbolic link, not a regular file", name);
	if (fd < 0)
		return keel_error (err, errno, "%s: open", name);
	if (fstat (fd, &st) < 0)
		return keel_error (err, errno, "%s: fstat", name);
	if (S_ISFIFO (st.st_mode) && (flags & INPUT_PIPE_OK)) {
		/* Opened O_NONBLOCK, a named FIFO without a writer reads as
		 * empty: open it again blocking, which waits for the writer as
		 * the caller asked (an anonymous pipe has one already). */
		char self[64];
		int bfd;

		snprintf (self, sizeof self, "/proc/self/fd/%d", fd);
		do
			bfd = open (self, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		while (bfd < 0 && errno == EINTR);
		if (bfd < 0)
			return keel_error (err, errno, "%s: open", name);
		close (fd);
		fd = bfd;
		st.st_size = 0;
	} else if (!S_ISREG (st.st_mode)) {
		return keel_error (err, 0, "%s: %s, not a regular file", name,
		                   input_file_type (st.st_mode));
	}
	if ((unsigned long long)st.st_size > max)
		return too_big (name, (unsigned long long)st.st_size, max, err);
	/* Sized by fstat, but a regular file can still grow while we read it
	 * (or be a /proc file that says 0): keep reading up to max + 1 bytes
	 * to notice. */
	cap = (size_t)st.st_size + 1;
	for (;;) {
		ssize_t n;

		if (buf == NULL || size == cap) {
			char *nb;

			if (buf != NULL)
				cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc (buf, cap + 1);
			if (nb == NULL)
				return keel_error (err, ENOMEM, "%s: read", name);
			buf = nb;
		}
		n = read (fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return keel_error (err, errno, "%s: read", name);
		if (n == 0)
			break;
		size += (size_t)n;
		if (size > max)
			break;
	}
	if (size > max)
		return too_big (name, 0, max, err);
	buf[size] = '\0';
	if (len)
		*len = size;
	*out = steal_ptr (&buf);
	return 0;
}
