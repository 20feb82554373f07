/* Small helpers every part of keel uses: scope-bound cleanup, whole-file
 * reads and writes, and directory creation.  All fallible helpers follow the
 * error.h convention. */
#ifndef KEEL_UTIL_H
#define KEEL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

void cleanup_freep (void *p);
void cleanup_closep (int *fd);
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Return the fd and leave -1 behind, so a cleanup_close variable can hand
 * its descriptor to the caller. */
static inline int steal_fd (int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

static inline void *steal_ptr (void *pp)
{
	void **p = (void **) pp;
	void *r = *p;
	*p = NULL;
	return r;
}

/* On allocation failure these call the process's out-of-memory handler:
 * by default write a line and abort (a runtime or client process); PID 1
 * installs its panic path instead (init/panic.h), since its death panics
 * the kernel.  The handler must not return. */
char *xstrdup (const char *s);
/* n bytes of p and a NUL: a string whose length is known (json-c's). */
char *xmemdup0 (const void *p, size_t n);
void *xmalloc0 (size_t n);
void *xrealloc (void *p, size_t n);
void util_set_oom_handler (void (*fn) (const char *what));
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Read a whole file (at most max bytes, 0 = no limit) into a NUL-terminated
 * buffer; *len gets its size if len != NULL. */
int read_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len,
		  struct keel_error **err);
static inline int read_file (const char *path, size_t max, char **out, size_t *len,
			     struct keel_error **err)
{
	return read_file_at (-100 /* AT_FDCWD */, path, max, out, len, err);
}

/* Write len bytes, retrying on EINTR and short writes. */
int write_all (int fd, const void *buf, size_t len, struct keel_error **err);

/* open(path, O_WRONLY|flags) + write_all + close. */
int write_file_at (int dirfd, const char *path, int flags, mode_t mode, const void *buf,
		   size_t len, struct keel_error **err);
static inline int write_file (const char *path, const void *buf, size_t len,
			      struct keel_error **err)
{
	return write_file_at (-100, path, 0, 0644, buf, len, err);
}

/* mkdir -p, with mode for every directory it creates. */
int mkdir_p (const char *path, mode_t mode, struct keel_error **err);

/* Parse a non-negative decimal integer; false when s is not one. */
bool parse_uint64 (const char *s, unsigned long long *out);

/* A growing text buffer for replies built in pieces (the control socket's
 * answers, reload's plan): buf_put appends printf-style; out of memory
 * is oom()'s, as everywhere.  {0} is an empty buffer; free(b.p) after. */
struct buf {
	char *p;
	size_t len, cap;
};
void buf_put (struct buf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
