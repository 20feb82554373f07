/* libFuzzer target for the kernel command line parser of PID 1
 * (init/cmdline.c, cmdline_apply: keel.* options in /proc/cmdline).  The
 * input is the command line text (cut at its first NUL, as the kernel
 * gives it).  Whatever it holds, the boot must go on: cmdline_apply()
 * returns 0, unknown or bad keel.* options only land in the warning, and
 * the options keep their invariants (absolute containers.d and shell
 * paths, a hostname of 1 to 63 bytes, at most INIT_MAX_SKIP valid and
 * distinct names to skip, 1 to INIT_MAX_DNS IP addresses for keel.dns,
 * each a line of /etc/resolv.conf, a watchdog timeout in range, an A/B
 * slot that is A or B, a boot disk of 1 to 255 bytes, a trial timeout of
 * at most a day); never a
 * crash, leak or undefined behaviour. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/options.h"
#include "init/policy.h"
#include "init/watchdog.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check (const struct init_opts *o)
{
	size_t i, j;

	if (o->dir == NULL || o->dir[0] != '/' || (o->shell && o->shell[0] != '/'))
		abort ();
	if (o->hostname == NULL || o->hostname[0] == '\0' || strlen (o->hostname) >= 64)
		abort ();
	if (o->n_skip > INIT_MAX_SKIP)
		abort ();
	/* keel.watchdog: in range, and only set by a valid value */
	if (o->watchdog_secs > WATCHDOG_MAX_SECS || (!o->watchdog_set && o->watchdog_secs != 0))
		abort ();
	/* keel.slots / keel.slot (init/slot.h) */
	if ((o->slot != 0 && o->slot != 'A' && o->slot != 'B') ||
	    (o->slots && (o->slots[0] == '\0' || strlen (o->slots) >= 256)) ||
	    o->slot_timeout_secs > 86400)
		abort ();
	if (o->dns != NULL) {
		char *copy = strdup (o->dns), *save = NULL, *tok;
		unsigned char addr[16];
		size_t n = 0;

		if (copy == NULL || o->dns[0] == '\0' || strpbrk (o->dns, " \t\n") != NULL)
			abort ();
		for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
			if (++n > INIT_MAX_DNS || (inet_pton (AF_INET, tok, addr) != 1 &&
			                           inet_pton (AF_INET6, tok, addr) != 1))
				abort ();
		free (copy);
	}
	for (i = 0; i < o->n_skip; i++) {
		if (!policy_valid_name (o->skip[i]))
			abort ();
		for (j = 0; j < i; j++)
			if (strcmp (o->skip[i], o->skip[j]) == 0)
				abort ();
	}
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct init_opts o;
	char *warn = (char *)1, *line = malloc (size + 1);

	if (line == NULL)
		return 0;
	memcpy (line, data, size);
	line[size] = '\0';
	init_opts_defaults (&o);
	if (cmdline_apply (&o, line, &warn, &err) != 0 || err != NULL)
		abort ();
	if (warn != NULL && warn[0] == '\0')
		abort (); /* NULL when there is nothing to say */
	check (&o);
	free (warn);
	init_opts_free (&o);
	free (line);
	return 0;
}
