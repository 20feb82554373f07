/* libFuzzer target for lib/mountinfo.c: any text is parsed without a
 * crash, leak or undefined behaviour; every field of an accepted entry is
 * a NUL-terminated string inside the input's copy, and an unescaped field
 * is never longer than it was escaped. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mountinfo.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

struct range {
	const char *lo, *hi;
	size_t n;
};

static void inside (const struct range *r, const char *s)
{
	if (s == NULL || s < r->lo || s >= r->hi || s + strlen (s) >= r->hi)
		abort ();
}

static int check (const struct mountinfo *m, void *data)
{
	struct range *r = data;

	inside (r, m->root);
	inside (r, m->mountpoint);
	inside (r, m->options);
	inside (r, m->fstype);
	inside (r, m->source);
	if (*m->super_options)
		inside (r, m->super_options);
	r->n++;
	/* Stop now and then, as a caller that found what it wanted. */
	return m->id == 4242;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	char *buf = malloc (size + 1);
	struct keel_error *err = NULL;
	struct range r;
	int ret;

	if (buf == NULL)
		return 0;
	memcpy (buf, data, size);
	buf[size] = '\0';
	r = (struct range){.lo = buf, .hi = buf + size + 1};
	ret = mountinfo_parse (buf, "fuzz", check, &r, &err);
	if (ret < 0 && err == NULL)
		abort ();
	if (ret >= 0 && err != NULL)
		abort ();
	keel_error_release (&err);
	free (buf);
	return 0;
}
