/* The emergency shell: when the boot cannot go on (containers.d unreadable,
 * an essential container failed) and keel is the machine's init, a shell
 * on the console lets a human look around; when it exits the machine
 * powers off.  keel.shell=PATH names it; otherwise /bin/sh is used if the
 * image has one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "init/boot.h"
#include "init/console.h"

const char *emergency_shell_path (const struct init_opts *o)
{
	const char *sh = o->shell ? o->shell : "/bin/sh";

	return access (sh, X_OK) == 0 ? sh : NULL;
}

void emergency_exec_shell (const char *sh)
{
	sigset_t none;
	int fd;

	sigemptyset (&none);
	sigprocmask (SIG_SETMASK, &none, NULL);
	fd = open ("/dev/console", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		ioctl (fd, TIOCSCTTY, 1);
		dup2 (fd, 0);
		dup2 (fd, 1);
		dup2 (fd, 2);
	}
	execl (sh, sh, (char *)NULL);
}

pid_t emergency_spawn (const struct init_opts *o, const char *why)
{
	const char *sh = emergency_shell_path (o);
	pid_t pid;

	if (sh == NULL) {
		console_status (NULL, CS_FAIL, "%s; no emergency shell (keel.shell=PATH)", why);
		return -1;
	}
	console_status (NULL, CS_WARN, "%s; starting emergency shell %s (exit it to power off)",
	                why, sh);
	console_drain (console_get ());
	pid = fork ();
	if (pid == 0) {
		setsid ();
		emergency_exec_shell (sh);
		_exit (127);
	}
	if (pid < 0)
		console_status (NULL, CS_FAIL, "emergency shell: fork: %s", strerror (errno));
	return pid;
}
