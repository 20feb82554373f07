/* PLACEHOLDER until the init work lands (replaced by init/ owner). */
#include <stdio.h>

#include "init/init.h"

int keel_init_main (int argc, char **argv)
{
	fputs ("keel init: not built yet\n", stderr);
	return 1;
}

int keel_ctl_main (int argc, char **argv)
{
	fputs ("keelctl: not built yet\n", stderr);
	return 1;
}
