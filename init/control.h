/* The control socket, STATE/keel.sock (default /run/keel/keel.sock).
 *
 * Protocol: the client sends one request line (at most 256 bytes) and
 * reads the reply until the server closes the connection.  The reply
 * starts with "ok\n" or "error: MESSAGE\n".  Requests:
 *   list (or status)          one line per container: NAME STATE KIND PID RESTARTS
 *   status NAME               key: value lines
 *   logs NAME [BYTES]         the tail of its ring buffer
 *   start NAME | stop NAME | restart NAME
 *   poweroff | reboot | halt
 * Only root (or keel's own uid) may connect (SO_PEERCRED); every request
 * is validated; at most CONTROL_MAX_CLIENTS at once, each reply bounded by
 * the ring size, written without blocking PID 1.
 */
#ifndef KEEL_INIT_CONTROL_H
#define KEEL_INIT_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "init/supervisor.h"

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_REQ_MAX     256

struct ctl_client {
	int fd;
	struct watch w; /* arg: the struct control */
	char in[CONTROL_REQ_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	struct ctl_client *next;
};

/* The server: its socket and clients are its own, its watches carry
 * their callbacks (the loop knows nothing of it). */
struct control {
	struct sup *s;
	int fd;
	struct watch w;
	struct ctl_client *clients;
	size_t n_clients;
};

int control_open (struct control *c, struct sup *s, struct keel_error **err);
void control_close (struct control *c);

/* Execute one request line; returns the malloc'd reply (tests use it). */
char *control_handle (struct sup *s, const char *req, size_t *len);

#endif
