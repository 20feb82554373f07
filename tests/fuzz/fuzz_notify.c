/* libFuzzer target for the sd_notify datagram parser of PID 1
 * (init/notify.c, notify_parse): the one parser a container feeds PID 1
 * directly, through $NOTIFY_SOCKET (at most 4096 bytes a datagram, any
 * bytes).  Each datagram is parsed twice in a row, as consecutive messages
 * are: READY=1 must be reported only for a line that is exactly
 * "READY=1", STATUS= must keep the last status of at most 200 bytes
 * rendered for a terminal (lib/termsafe.h: at most 800, no newline, no
 * ESC; keelctl status prints it as one "status: ..." line), and the
 * previous status is released; never a crash, leak or undefined
 * behaviour.
 *
 * notify.c also holds the socket side, which reaches the supervisor:
 * fuzz-libs: -lseccomp -ludev
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/notify.h"
#include "lib/termsafe.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Whether msg has a line that is exactly "READY=1". */
static bool has_ready (const char *msg, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr (msg + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (msg + i)) : len - i;
		if (n == 7 && memcmp (msg + i, "READY=1", 7) == 0)
			return true;
		i += n + 1;
	}
	return false;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	char *status = NULL;
	bool ready = false;
	int k;

	if (size > 4096)
		return 0; /* notify_receive's buffer */
	for (k = 0; k < 2; k++) {
		notify_parse (msg, size, &ready, &status);
		if (ready != has_ready (msg, size))
			abort ();
		if (status && (strlen (status) > 200 * TERMSAFE_GROWTH ||
		               strchr (status, '\n') != NULL || strchr (status, '\033') != NULL))
			abort ();
		/* a status once any line started with STATUS= */
		if ((status != NULL) != ((size >= 7 && memcmp (msg, "STATUS=", 7) == 0) ||
		                         memmem (msg, size, "\nSTATUS=", 8) != NULL))
			abort ();
	}
	free (status);
	return 0;
}
