/* See name.h. */
#include "lib/name.h"

#include <string.h>

static bool name_char (char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '+' || c == '-' || c == '.';
}

int keel_name_check (const char *what, const char *s, struct keel_error **err)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return keel_error (err, 0, "%s cannot be empty", what);
	n = strlen (s);
	for (const char *p = s; *p; p++)
		if (!name_char (*p))
			return keel_error (err, 0, "invalid %s `%s`: only [A-Za-z0-9_+.-] allowed",
			                   what, s);
	if (s[0] == '.' || s[0] == '-')
		return keel_error (err, 0, "invalid %s `%s`: must not start with `%c`", what, s,
		                   s[0]);
	if (n > KEEL_NAME_MAX)
		return keel_error (err, 0, "invalid %s: %zu characters, at most %d", what, n,
		                   KEEL_NAME_MAX);
	return 0;
}

bool keel_name_valid (const char *s)
{
	return keel_name_check ("name", s, NULL) == 0;
}
