/* libFuzzer target for the decoder of the start helper's report
 * (init/launch.c, launch_parse): the lines "T", "P<pid>", "S", "N<network>"
 * and "E<message>" the forked helper writes to PID 1 through a pipe, read
 * in pieces of any size.  Whatever the bytes: the pid is 0 or a plausible
 * pid (below 2^22), T, S and N are seen exactly when such a line is there,
 * the error (the network summary) is the first E (N) line's text without a
 * newline, rendered for a terminal (lib/termsafe.h: no ESC), and
 * launch_report_free() releases it; never a crash, leak or undefined
 * behaviour.
 *
 * launch.c also forks the helper, which reaches the runtime:
 * fuzz-libs: -lseccomp -ludev
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/launch.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct launch_report r;

	launch_parse (buf, size, &r);
	if (r.pid < 0 || r.pid >= (1 << 22))
		abort ();
	if (r.tmpfiles_done != ((size > 0 && buf[0] == 'T') || memmem (buf, size, "\nT", 2) != NULL))
		abort ();
	if (r.started != ((size > 0 && buf[0] == 'S') || memmem (buf, size, "\nS", 2) != NULL))
		abort ();
	/* both reach the console and keelctl: no newline, no ESC (lib/termsafe.h) */
	if (r.error != NULL && (strchr (r.error, '\n') != NULL || strchr (r.error, '\033') != NULL))
		abort ();
	if (r.network != NULL &&
	    (strchr (r.network, '\n') != NULL || strchr (r.network, '\033') != NULL))
		abort ();
	if ((r.network != NULL) != ((size > 0 && buf[0] == 'N') || memmem (buf, size, "\nN", 2) != NULL))
		abort ();
	launch_report_free (&r);
	return 0;
}
