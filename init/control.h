/* The control socket, STATE/keel.sock (default /run/keel/keel.sock).
 *
 * Protocol: the client sends one request line (at most 256 bytes) and
 * reads the reply until the server closes the connection.  The reply
 * starts with "ok\n" or "error: MESSAGE\n".  Requests:
 *   list (or status)          one line per container: NAME STATE KIND PID RESTARTS
 *   status NAME               key: value lines
 *   logs NAME [BYTES]         the tail of its ring buffer
 *   start NAME | stop NAME | restart NAME
 *   reload [--dry-run]        containers.d read again; the plan (reload.h)
 *   poweroff | reboot | halt
 * Only root (or keel's own uid) may connect (SO_PEERCRED); every request
 * is validated; each reply is bounded by the ring size and written without
 * blocking PID 1.
 *
 * No client can lock the others out: a connection must deliver its request
 * line within CONTROL_REQUEST_MS and take its whole reply within
 * CONTROL_REPLY_MS, or it is closed (a timerfd of this module, armed for the
 * earliest deadline).  At most CONTROL_MAX_CLIENTS are open; a new one
 * always gets in, in place of the oldest still waiting for its request (or,
 * when all are being answered, the oldest of those), so `keelctl poweroff`
 * gets through whatever idle connections hold.  A request is acted on as
 * soon as its line is complete.
 */
#ifndef KEEL_INIT_CONTROL_H
#define KEEL_INIT_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "init/supervisor.h"

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_REQ_MAX     256
#define CONTROL_REQUEST_MS  5000  /* from connect to the end of the request line */
#define CONTROL_REPLY_MS    10000 /* from the request to the end of the reply */

struct ctl_client {
	int fd;
	struct watch w; /* arg: the struct control */
	char in[CONTROL_REQ_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	uint64_t since_ms;    /* accepted */
	uint64_t deadline_ms; /* closed when still open then */
	struct ctl_client *next;
};

/* The server: its socket, timer and clients are its own; its watches
 * carry their callbacks (the loop knows nothing of it). */
struct control {
	struct sup *s;
	int fd, timerfd;
	struct watch w, w_timer;
	uint64_t timer_armed;
	struct ctl_client *clients;
	size_t n_clients;
};

int control_open (struct control *ctl, struct sup *s, struct keel_error **err);
void control_close (struct control *ctl);
/* The listening socket or the timeout timer is ready: close the clients
 * past their deadline, accept new ones (the watches' callbacks; tests call
 * them directly). */
void control_accept (struct control *ctl);
void control_client_event (struct control *ctl, struct ctl_client *c, uint32_t events);

/* Execute one request line; returns the malloc'd reply (tests use it). */
char *control_handle (struct sup *s, const char *req, size_t *len);

#endif
