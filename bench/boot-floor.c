/* bench/boot-floor: the /init of bench/boot.sh's floor image.  It prints
 * one line stamped with CLOCK_MONOTONIC (the clock the kernel stamps its
 * console lines with, and keel its own), so boot.sh reads "kernel start ->
 * first instruction of /init" from the console exactly as it does for
 * keel, then powers the machine off.  Nothing else: no mounts, no modules. */
#include <stdio.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

int main (void)
{
	struct timespec ts;
	char line[96];
	int n;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	n = snprintf (line, sizeof line, "[%5ld.%06ld] boot-floor: /init reached\n", (long)ts.tv_sec,
	              ts.tv_nsec / 1000);
	/* fd 1 is the console the kernel opened for PID 1 */
	if (write (1, line, (size_t)n) != n)
		return 1;
	sync ();
	reboot (RB_POWER_OFF);
	for (;;) /* PID 1 must not return: the kernel would panic */
		pause ();
}
