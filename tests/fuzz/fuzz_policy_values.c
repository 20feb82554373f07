/* libFuzzer target for the scalar parsers of init/policy.h that keel.json,
 * the control socket and the kernel command line share:
 * policy_parse_duration ("500ms", "1.5s", "2m", "1h", seconds),
 * policy_parse_size ("64KiB", "1M", bytes) and policy_parse_signal
 * ("SIGTERM", "TERM", "RTMIN+3", a number).  The input is one string (cut
 * at its first NUL, as the callers only ever see C strings); each parser
 * must either refuse it or return a value within its documented range. */
#include <ctype.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/policy.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void duration (const char *s)
{
	uint64_t ms = UINT64_MAX;

	if (policy_parse_duration (s, &ms) < 0) {
		if (ms != UINT64_MAX) /* a refusal leaves the output alone */
			abort ();
		return;
	}
	if (ms > 7ULL * 24 * 3600 * 1000 || !(isdigit ((unsigned char)s[0]) || s[0] == '.'))
		abort ();
}

static void size_ (const char *s)
{
	uint64_t bytes = 0;
	char *end;

	if (policy_parse_size (s, &bytes) < 0)
		return;
	if (!isdigit ((unsigned char)s[0]))
		abort ();
	/* The number scaled by its suffix's power of 1024. */
	if (strtoull (s, &end, 10) != 0 && bytes % strtoull (s, &end, 10) != 0)
		abort ();
}

static void signal_ (const char *s)
{
	int signo = policy_parse_signal (s);
	const char *name;

	if (signo == -1)
		return;
	if (signo < 1 || signo >= NSIG)
		abort ();
	/* The name keel prints for it parses back to the same signal. */
	name = policy_signal_name (signo);
	if (name == NULL || (strcmp (name, "signal") != 0 && policy_parse_signal (name) != signo))
		abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	char *s = malloc (size + 1);

	if (s == NULL)
		return 0;
	memcpy (s, data, size);
	s[size] = '\0';
	duration (s);
	size_ (s);
	signal_ (s);
	free (s);
	return 0;
}
