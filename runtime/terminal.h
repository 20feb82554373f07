/* process.terminal: the pty pair, runc's --console-socket protocol, and the
 * controlling terminal of the container process. */
#ifndef KEEL_TERMINAL_H
#define KEEL_TERMINAL_H

#include "lib/error.h"
#include "runtime/spec.h"

/* Open a new pty pair (from /dev/ptmx of the calling process's mount
 * namespace: call it after the container's devpts is in place to get a pty
 * of the container), unlock it, apply process.consoleSize with TIOCSWINSZ
 * and set the slave's termios as runc does (no output CR/LF mangling); the
 * slave belongs to process.user.uid (its group stays devpts's), as runc.
 * Both fds are O_CLOEXEC. */
int terminal_open_pty (const struct spec_process *p, int *master, int *slave,
                       struct keel_error **err);

/* The path of the slave of master ("/dev/pts/N"), malloc'd. */
int terminal_slave_path (int master, char **path, struct keel_error **err);

/* Connect to the unix socket console_socket_path and send master in one
 * SCM_RIGHTS message, as runc does (the payload is the pty's name). */
int terminal_send_master (const char *console_socket_path, int master, struct keel_error **err);

/* In the container process: setsid(), make slave the controlling terminal
 * (TIOCSCTTY) and dup2 it onto 0, 1 and 2. */
int terminal_setup_slave (int slave, struct keel_error **err);

/* process.terminal in the container process, create's init or exec's
 * process, after the container's devpts is in place (we are in its mount
 * namespace): a pty from it (terminal_open_pty), with console its slave
 * bind-mounted on /dev/console (create), the master sent to the runtime
 * on the sync socket as SYNC_CONSOLE, the slave our controlling terminal
 * and stdio (terminal_setup_slave).  Errors are wrapped in
 * "process.terminal". */
int terminal_setup_process (const struct spec_process *p, int sync_fd, bool console,
                            struct keel_error **err);

/* Receive one fd sent with SCM_RIGHTS on sock (the other end of
 * terminal_send_master; used by `run`/tests acting as console socket). */
int terminal_recv_fd (int sock, int *fd, struct keel_error **err);

#endif
