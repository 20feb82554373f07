/* PID 1's fatal path (see panic.h). */
#include "init/panic.h"

#include <stdlib.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/boot.h"
#include "init/console.h"
#include "lib/util.h"

static const struct init_opts *panic_opts;

static void oom_panic (const char *what)
{
	keel_panic (panic_opts, what);
}

void keel_panic_install (const struct init_opts *o)
{
	panic_opts = o;
	util_set_oom_handler (oom_panic);
}

void keel_panic (const struct init_opts *o, const char *why)
{
	struct console *con = console_get ();
	const char *sh = o ? emergency_shell_path (o) : NULL;
	pid_t pid;

	if (con) {
		con->sync = true;
		console_status (con, CS_FAIL, "keel: fatal: %s", why ? why : "?");
		console_drain (con);
	}
	sync ();
	if (o == NULL || !o->boot)
		_exit (KEEL_PANIC_EXIT);
	if (sh) {
		console_status (con, CS_FAIL, "keel: starting %s; exit it to reboot", sh);
		console_drain (con);
		pid = fork ();
		if (pid == 0) {
			setsid ();
			emergency_exec_shell (sh);
			_exit (127);
		}
		if (pid < 0) /* no process to spare: the shell becomes PID 1 */
			emergency_exec_shell (sh);
		while (pid > 0 && waitpid (-1, NULL, 0) != pid)
			;
		sync ();
	}
	reboot (RB_AUTOBOOT);
	for (;;)
		pause ();
}
