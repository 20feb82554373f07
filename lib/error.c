/* Implementation of keel's error object; see error.h for the contract. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "termsafe.h"
#include "util.h"

/* Used when even the error cannot be allocated: the caller still gets a
 * readable message instead of a NULL it must special-case. */
static char oom_msg[] = "out of memory while reporting an error";

static void release_msg (char *msg)
{
	if (msg != oom_msg)
		free (msg);
}

void keel_error_release (struct keel_error **err)
{
	if (err == NULL || *err == NULL)
		return;
	release_msg ((*err)->msg);
	free (*err);
	*err = NULL;
}

int keel_error (struct keel_error **err, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start (ap, fmt);
	if (vasprintf (&msg, fmt, ap) < 0)
		msg = oom_msg;
	va_end (ap);

	if (err == NULL) {
		release_msg (msg);
		return -1 - (status > 0 ? status : 0);
	}
	keel_error_release (err);
	*err = calloc (1, sizeof (**err));
	if (*err == NULL) {
		release_msg (msg);
		return -ENOMEM;
	}
	(*err)->status = status;
	(*err)->msg = msg;
	return -1 - (status > 0 ? status : 0);
}

int keel_error_wrap (struct keel_error **err, const char *fmt, ...)
{
	va_list ap;
	char *prefix = NULL, *msg = NULL;

	if (err == NULL || *err == NULL)
		return -1;
	va_start (ap, fmt);
	if (vasprintf (&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end (ap);
	if (prefix != NULL && asprintf (&msg, "%s: %s", prefix, (*err)->msg) >= 0) {
		release_msg ((*err)->msg);
		(*err)->msg = msg;
	}
	free (prefix);
	return -1 - ((*err)->status > 0 ? (*err)->status : 0);
}

char *keel_error_string (const struct keel_error *err)
{
	char *s = NULL;

	if (err == NULL)
		return strdup ("unknown error");
	if (err->status > 0) {
		if (asprintf (&s, "%s: %s", err->msg, strerror (err->status)) < 0)
			return NULL;
		return s;
	}
	return strdup (err->msg);
}

char *keel_error_take (struct keel_error **err)
{
	char *s;

	if (err == NULL || *err == NULL)
		return xstrdup ("unknown error");
	s = keel_error_string (*err);
	if (s == NULL)
		s = xstrdup ((*err)->msg);
	keel_error_release (err);
	return s;
}

void keel_error_print (FILE *stream, const char *prog, struct keel_error **err)
{
	char *s;

	if (err == NULL || *err == NULL)
		return;
	s = keel_error_string (*err);
	{
		/* a terminal reads it, and the message may quote what a
		 * container or an image's file held (lib/termsafe.h) */
		cleanup_free char *safe = termsafe_dup (s ? s : (*err)->msg, TERMSAFE_NEWLINES);
		fprintf (stream, "%s: %s\n", prog, safe);
	}
	free (s);
	keel_error_release (err);
}
