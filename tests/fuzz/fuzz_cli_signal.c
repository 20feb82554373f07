/* libFuzzer target for the runtime CLI's signal parser
 * (runtime/cli/options.c, cli_parse_signal: `keel-runtime kill ID SIGNAL`
 * takes TERM, SIGTERM, sigterm, 15, RTMIN+3, RTMAX-2).  The input is one
 * argument (cut at its first NUL, as argv is).  The result must be -1,
 * 0 (kill's existence check) or a real signal number, and it must agree with keel.json's stricter
 * stop.signal parser (init/policy.c): every name PID 1 accepts, the CLI
 * accepts as the same signal (the CLI is a superset: case-insensitive,
 * RTMAX-N and the IOT, CLD, POLL, STKFLT aliases). */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/policy.h"
#include "runtime/cli/command.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	char *s = malloc (size + 1);
	int cli, pol;

	if (s == NULL)
		return 0;
	memcpy (s, data, size);
	s[size] = '\0';
	cli = cli_parse_signal (s);
	if (cli != -1 && (cli < 0 || cli > SIGRTMAX))
		abort ();
	pol = policy_parse_signal (s);
	if (pol != -1 && pol != cli)
		abort ();
	free (s);
	return 0;
}
