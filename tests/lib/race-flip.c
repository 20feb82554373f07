/* The racer of tests/integration/runtime-race.sh: what a process in a
 * sibling container does to a directory it shares with a container being
 * created, as fast as it can, until SIGTERM or -t SECONDS.
 *
 *   race-flip [-t SECONDS] exchange A B [A2 B2 ...]
 *       renameat2(A, B, RENAME_EXCHANGE) over and over: A is in turn what it
 *       was and what B was (a device node and a symlink, a directory and a
 *       symlink).  Stops after an even number of exchanges, so every A is
 *       back as it was.
 *   race-flip [-t SECONDS] toggle A B
 *       rename A to B and back: A is there, then gone (the deletion race).
 *       Stops with A in place.
 *   race-flip [-t SECONDS] [-p USEC] link PATH TARGET
 *       symlink(TARGET, PATH), then take PATH away again (unlink; a
 *       directory someone made there meanwhile is renamed aside to
 *       PATH.N), over and over.  Stops with PATH absent.
 *
 * -p USEC pauses after each step of link, so that some creates see a
 * quiet moment and get through (a create that fails shows nothing).
 *
 * Prints how many flips it made on stderr, so a test can tell that it ran. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;

static void on_signal (int sig)
{
	(void)sig;
	stop = 1;
}

static int exchange (const char *a, const char *b)
{
	return (int)syscall (SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static void usage (void)
{
	fprintf (stderr, "usage: race-flip [-t SECONDS] [-p USEC] exchange A B [A B ...] | toggle A B | "
	                 "link PATH TARGET\n");
	exit (2);
}

int main (int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	unsigned long long flips = 0, aside = 0;
	int seconds = 30, pause_us = 0, i = 1;
	const char *mode;

	while (argc - i > 1 && argv[i][0] == '-') {
		if (strcmp (argv[i], "-t") == 0)
			seconds = atoi (argv[i + 1]);
		else if (strcmp (argv[i], "-p") == 0)
			pause_us = atoi (argv[i + 1]);
		else
			usage ();
		i += 2;
	}
	if (argc - i < 3)
		usage ();
	mode = argv[i++];
	if (sigaction (SIGTERM, &sa, NULL) < 0 || sigaction (SIGINT, &sa, NULL) < 0 ||
	    sigaction (SIGALRM, &sa, NULL) < 0) {
		perror ("race-flip: sigaction");
		return 1;
	}
	/* Never outlive a test that forgot us. */
	alarm ((unsigned)seconds);
	if (strcmp (mode, "exchange") == 0) {
		if ((argc - i) % 2 != 0)
			usage ();
		while (!stop) {
			for (int k = i; k < argc; k += 2) {
				/* Twice: each pair is back as it was at the end of a
				 * round, whenever the signal comes. */
				if (exchange (argv[k], argv[k + 1]) < 0 ||
				    exchange (argv[k], argv[k + 1]) < 0) {
					fprintf (stderr, "race-flip: exchange %s %s: %s\n", argv[k],
					         argv[k + 1], strerror (errno));
					return 1;
				}
				flips += 2;
			}
		}
	} else if (strcmp (mode, "toggle") == 0) {
		while (!stop) {
			if (rename (argv[i], argv[i + 1]) < 0 || rename (argv[i + 1], argv[i]) < 0) {
				fprintf (stderr, "race-flip: rename %s %s: %s\n", argv[i],
				         argv[i + 1], strerror (errno));
				return 1;
			}
			flips += 2;
		}
	} else if (strcmp (mode, "link") == 0) {
		const char *path = argv[i], *target = argv[i + 1];
		char buf[4096];

		while (!stop) {
			if (symlink (target, path) < 0 && errno != EEXIST) {
				fprintf (stderr, "race-flip: symlink %s: %s\n", path, strerror (errno));
				return 1;
			}
			if (pause_us > 0)
				usleep ((useconds_t)pause_us);
			if (unlink (path) < 0) {
				if (errno == ENOENT)
					continue;
				if (errno != EISDIR && errno != EPERM) {
					fprintf (stderr, "race-flip: unlink %s: %s\n", path,
					         strerror (errno));
					return 1;
				}
				/* The runtime made a directory there: put it aside. */
				snprintf (buf, sizeof buf, "%s.%llu", path, aside++);
				if (rename (path, buf) < 0 && errno != ENOENT) {
					fprintf (stderr, "race-flip: rename %s: %s\n", path,
					         strerror (errno));
					return 1;
				}
			}
			flips += 2;
			if (pause_us > 0)
				usleep ((useconds_t)pause_us);
		}
		if (unlink (path) < 0 && errno != ENOENT && errno != EISDIR && errno != EPERM) {
			fprintf (stderr, "race-flip: unlink %s: %s\n", path, strerror (errno));
			return 1;
		}
	} else {
		usage ();
	}
	fprintf (stderr, "race-flip: %llu flips\n", flips);
	return 0;
}
