/* PLACEHOLDER until the runtime CLI lands (replaced by runtime/cli owner). */
#include <stdio.h>

#include "runtime/cli/cli.h"

int keel_runtime_main (int argc, char **argv)
{
	fputs ("keel-runtime: not built yet\n", stderr);
	return 1;
}
