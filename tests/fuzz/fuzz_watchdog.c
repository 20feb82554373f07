/* libFuzzer target for /etc/keel/watchdog (init/watchdog.c,
 * watchdog_parse_config): one number of seconds, comments and blank lines.
 * Whatever the file holds: 0 with a timeout in range (or untouched), or
 * an error naming the file; never a crash, leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/watchdog.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	unsigned secs = 77777; /* beyond the range: shows "untouched" */
	char *text = malloc (size + 1);
	int ret;

	if (text == NULL)
		return 0;
	memcpy (text, data, size);
	text[size] = '\0';
	ret = watchdog_parse_config (text, "/etc/keel/watchdog", &secs, &err);
	if (ret == 0 && (err != NULL || (secs != 77777 && secs > WATCHDOG_MAX_SECS)))
		abort ();
	if (ret < 0 &&
	    (err == NULL || strstr (err->msg, "/etc/keel/watchdog") == NULL || secs != 77777))
		abort ();
	keel_error_release (&err);
	free (text);
	return 0;
}
