/* bench/measure: run one command and print what wait4 says about it:
 *   EXIT_CODE WALL_NS CPU_US MAXRSS_KIB
 * A separate tiny static program because ru_maxrss keeps the high-water
 * mark of the address space a child had before execve: forked from a
 * python interpreter, every runtime would report python's 10 MiB.
 * With MEASURE_OUT=FILE the figures go to FILE instead of stdout: a
 * runtime's `create` hands its stdout to the container, which keeps a
 * pipe open until it runs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main (int argc, char **argv)
{
	struct rusage ru;
	long long t0, t1;
	int status, code;
	pid_t pid;

	if (argc < 2) {
		fputs ("usage: measure CMD [ARGS...]\n", stderr);
		return 2;
	}
	t0 = now_ns ();
	pid = fork ();
	if (pid < 0) {
		perror ("fork");
		return 2;
	}
	if (pid == 0) {
		execvp (argv[1], argv + 1);
		_exit (127);
	}
	if (wait4 (pid, &status, 0, &ru) < 0) {
		perror ("wait4");
		return 2;
	}
	t1 = now_ns ();
	code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
	if (getenv ("MEASURE_OUT") && freopen (getenv ("MEASURE_OUT"), "w", stdout) == NULL) {
		perror (getenv ("MEASURE_OUT"));
		return 2;
	}
	printf ("%d %lld %lld %ld\n", code, t1 - t0,
	        (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	                ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
	        ru.ru_maxrss);
	return 0;
}
