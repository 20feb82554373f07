/* What `run` and `exec` share in the foreground: the pty proxy (a console
 * socket the runtime listens on itself, then our terminal in raw mode
 * copied to and from the master) and waiting for the process while
 * forwarding signals to it. */
#ifndef KEEL_CLI_PROXY_H
#define KEEL_CLI_PROXY_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "lib/error.h"

/* The pty proxy: the console socket `run` listens on for the master. */
struct console {
	char *dir, *path;
	int listen_fd, master;
	bool raw;
	struct termios saved;
};

void cli_console_cleanup (struct console *c);
/* Listen on a fresh console socket in a private /tmp directory. */
int cli_console_listen (struct console *c, struct keel_error **err);
/* Take the master sent to it, size it like our terminal, raw mode on. */
int cli_console_accept (struct console *c, struct keel_error **err);

struct waiter {
	pid_t pid;
	int sfd;
	int status;
	bool exited;
};

/* Block the forwarded signals and SIGCHLD into a signalfd (*sfd). */
int cli_block_signals (sigset_t *old, int *sfd, struct keel_error **err);
struct notify_proxy;
/* Wait for w->pid, forwarding signals and, with a console, the pty's
 * traffic (drained after the process exits); np (or NULL) is the
 * NOTIFY_SOCKET proxy to serve meanwhile. */
int cli_wait_container (struct waiter *w, struct console *con, struct notify_proxy *np,
                        struct keel_error **err);
/* A wait status as an exit code: 128+N for signal N. */
int cli_exit_code (int status);

#endif
