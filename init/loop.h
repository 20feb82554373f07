/* PID 1's event loop: one epoll set, and watches that carry their own
 * callback.
 *
 * A module that owns an fd (the control socket, a notify socket, a power
 * button, a log pipe) registers it with the function to call and the
 * argument it wants back; the loop knows no module by name, so adding one
 * touches no switch and no other file (finit's uev_io_init is the model).
 */
#ifndef KEEL_INIT_LOOP_H
#define KEEL_INIT_LOOP_H

#include <stdint.h>

#include "lib/error.h"

struct watch;
typedef void (*watch_fn) (struct watch *w, uint32_t events);

struct watch {
	int fd; /* -1 when not registered */
	watch_fn fn;
	void *arg; /* the module's own context */
};

struct loop {
	int epfd;
	unsigned failures; /* consecutive failed epoll_wait calls */
};

int loop_init (struct loop *l, struct keel_error **err);
void loop_close (struct loop *l);

/* Register fd: fn(w, events) runs when it is ready.  w must stay valid
 * until loop_unwatch (it is usually embedded in the module's struct). */
int loop_watch (struct loop *l, struct watch *w, int fd, uint32_t events, watch_fn fn, void *arg);
/* New interest for a registered watch (EPOLLIN -> EPOLLOUT ...). */
int loop_change (struct loop *l, struct watch *w, uint32_t events);
/* Stop watching (the fd is the caller's to close); a no-op when unregistered. */
void loop_unwatch (struct loop *l, struct watch *w);

/* Wait for events (timeout_ms as epoll_wait) and run their callbacks.
 * Returns the number handled, 0 on EINTR or timeout; -1 when epoll_wait
 * itself failed LOOP_MAX_FAILURES times in a row (a broken epoll set: the
 * caller's fatal path, never a spin). */
#define LOOP_MAX_FAILURES 3
int loop_once (struct loop *l, int timeout_ms, struct keel_error **err);

#endif
