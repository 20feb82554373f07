/* Force-included (-include) into every file of the libudev build by
 * deps/build.sh.  systemd 252 is written against glibc; these are the
 * glibc extensions its code uses that musl does not provide.  None of them
 * changes what libudev does: see deps/README.md. */
#ifndef KEEL_MUSL_COMPAT_H
#define KEEL_MUSL_COMPAT_H

#include <dirent.h>
#include <glob.h>
#include <stddef.h>
#include <string.h>

/* glibc's name for a qsort()/bsearch() comparator (sort-util.h). */
typedef int (*comparison_fn_t) (const void *, const void *);

/* musl's glob() has no GLOB_ALTDIRFUNC hooks (the gl_opendir... members of
 * glob_t); as 0 the flag is a no-op and the patched glob-util.c does not
 * set the hooks.  GLOB_BRACE as 0: patterns are not brace-expanded, which
 * no libudev code path relies on. */
#ifndef GLOB_ALTDIRFUNC
#define GLOB_ALTDIRFUNC 0
#endif
#ifndef GLOB_BRACE
#define GLOB_BRACE 0
#endif

/* musl 1.2.3 maps getdents64 to getdents(int, struct dirent *, size_t),
 * whose struct dirent is the kernel's linux_dirent64; systemd passes a byte
 * buffer, which -Werror=incompatible-pointer-types rejects without a cast. */
#undef getdents64
#define getdents64(fd, buf, len) getdents ((fd), (struct dirent *) (void *) (buf), (len))

/* systemd uses the GNU strerror_r(), which returns the message; musl has
 * only the XSI one, which fills the buffer and returns an int. */
static inline char *keel_gnu_strerror_r (int errnum, char *buf, size_t len)
{
	if (strerror_r (errnum, buf, len) != 0 && len > 0)
		buf[0] = '\0';
	return buf;
}
#define strerror_r keel_gnu_strerror_r

#endif
