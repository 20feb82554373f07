/* keel's one error type.
 *
 * A failure is made once, where it happens, with errno and a message that
 * names the object and the step (`keel_error (err, errno, "open `%s`", p)`).
 * Callers pass it up unchanged (`if (ret < 0) return ret;`) or add context
 * in front (`keel_error_wrap (err, "container `%s`", id)`), and it is printed
 * once, at the top.  Functions that can fail return int (< 0 on failure) and
 * take a trailing `struct keel_error **err`.
 */
#ifndef KEEL_ERROR_H
#define KEEL_ERROR_H

#include <stdio.h>

struct keel_error {
	int status; /* errno of the failure, 0 when it is not a syscall error */
	char *msg;  /* full message, without the strerror suffix */
};

/* Make a new error in *err; returns -1 - status (always < 0), so callers
 * can `return keel_error (err, errno, ...)`.  If *err is already set the old
 * one is released first. */
int keel_error (struct keel_error **err, int status, const char *fmt, ...)
	__attribute__ ((format (printf, 3, 4)));

/* Prefix the existing error with more context: "PREFIX: old message". */
int keel_error_wrap (struct keel_error **err, const char *fmt, ...)
	__attribute__ ((format (printf, 2, 3)));

/* The message with ": strerror(status)" appended when status != 0.
 * Returns a newly allocated string (never NULL unless out of memory). */
char *keel_error_string (const struct keel_error *err);

/* The message with its strerror (as keel_error_string), and the error
 * released: the one way a failure that is not fatal becomes the text of
 * a warning, so no warning prints err->msg and loses the errno.  Never
 * NULL (xstrdup: out of memory is
 * util.h's oom); free() the result. */
char *keel_error_take (struct keel_error **err);

/* Print "PROG: message" to stream and release the error. */
void keel_error_print (FILE *stream, const char *prog, struct keel_error **err);

void keel_error_release (struct keel_error **err);

static inline void keel_error_cleanup (struct keel_error **err)
{
	keel_error_release (err);
}
#define cleanup_error __attribute__ ((cleanup (keel_error_cleanup)))

#endif
