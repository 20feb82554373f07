/* The control socket, STATE/keel.sock (default /run/keel/keel.sock).
 *
 * Protocol: the client sends one request line (at most CONTROL_REQ_MAX - 1
 * bytes before its newline) and reads the reply until the server closes
 * the connection.  The reply starts with "ok\n" or "error: MESSAGE\n".
 * Requests (words separated by spaces or tabs):
 *   list (or status)          one line per container: NAME STATE KIND PID RESTARTS
 *   status NAME               key: value lines
 *   status --json [NAME]      one JSON document (fields: docs/containers.d.md)
 *   logs NAME [BYTES]         the tail of its ring buffer
 *   logs NAME [-n LINES] [-f] the last LINES lines; -f: then every new byte
 *                             as it comes, the connection staying open
 *   boot-time                 the boot's timestamps as JSON (keelctl renders)
 *   start NAME | stop NAME | restart NAME
 *   reload [--dry-run]        containers.d read again; the plan (reload.h)
 *   poweroff | reboot | halt
 * A longer line is answered "error: request longer than ..." and the rest
 * of it read and dropped, so the client sees the error, not a reset.
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
 *
 * A follower (`logs -f`) has no deadline and is never evicted to make room;
 * at most CONTROL_MAX_FOLLOWERS at once, so the rest always has room.  It
 * is sent straight from the unit's log ring (its buffer is the ring: no
 * copy, bounded by the ring's size); one that falls further behind than the
 * ring holds is dropped with a note to it (when its socket takes it) and on
 * the console.  PID 1 never waits for it.
 */
#ifndef KEEL_INIT_CONTROL_H
#define KEEL_INIT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "init/supervisor.h"

#define CONTROL_MAX_CLIENTS   16
#define CONTROL_MAX_FOLLOWERS 8
#define CONTROL_REQ_MAX       4096  /* a request line, its newline included */
#define CONTROL_REQUEST_MS    5000  /* from connect to the end of the request line */
#define CONTROL_REPLY_MS      10000 /* from the request to the end of the reply */

struct ctl_client {
	int fd;
	struct watch w;  /* arg: the struct control */
	uint32_t events; /* what w waits for */
	char *in;        /* the request so far (CONTROL_REQ_MAX), allocated on first bytes */
	size_t in_len;
	bool discard; /* the request was too long: its rest is read and dropped */
	char *out;
	size_t out_len, out_off;
	uint64_t since_ms;    /* accepted */
	uint64_t deadline_ms; /* closed when still open then (0: never, a follower) */
	bool following;       /* logs -f: sent unit's ring from follow_pos on */
	size_t unit;
	uint64_t follow_pos;
	bool half_closed; /* a follower that shut its sending side: input unwatched */
	struct ctl_client *next;
};

/* The server: its socket, timer and clients are its own; its watches
 * carry their callbacks (the loop knows nothing of it). */
struct control {
	struct sup *s;
	int fd;
	struct watch w;
	int timerfd; /* the clients' earliest deadline */
	struct watch w_timer;
	uint64_t timer_armed;
	struct ctl_client *clients;
	size_t n_clients, n_followers;
};

int control_open (struct control *c, struct sup *s, struct keel_error **err);
void control_close (struct control *c);

/* What the loop's callbacks do, for tests and the fuzzer: close the
 * clients past their deadline and accept new ones; handle one client's
 * readiness. */
void control_accept (struct control *c);
void control_client_event (struct control *ctl, struct ctl_client *c, uint32_t events);

/* Execute one request line; returns the malloc'd reply (tests use it).
 * A `logs -f` request is refused here (it needs a connection). */
char *control_handle (struct sup *s, const char *req, size_t *len);

#endif
