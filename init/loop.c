/* The event loop (see loop.h). */
#include "init/loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/util.h"

#define LOOP_BATCH 64

int loop_init (struct loop *l, struct keel_error **err)
{
	l->failures = 0;
	l->epfd = epoll_create1 (EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return keel_error (err, errno, "epoll_create1");
	return 0;
}

void loop_close (struct loop *l)
{
	if (l->epfd >= 0)
		close (l->epfd);
	l->epfd = -1;
}

int loop_watch (struct loop *l, struct watch *w, int fd, uint32_t events, watch_fn fn, void *arg)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	w->fn = fn;
	w->arg = arg;
	if (epoll_ctl (l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		/* The same fd again (a watch re-armed by its module): take the
		 * new interest. */
		if (errno != EEXIST || epoll_ctl (l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
			w->fd = -1;
			return -1;
		}
	}
	w->fd = fd;
	return 0;
}

int loop_change (struct loop *l, struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (w->fd < 0) {
		errno = EBADF;
		return -1;
	}
	return epoll_ctl (l->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_unwatch (struct loop *l, struct watch *w)
{
	if (w->fd < 0)
		return;
	/* Fails only when the fd was closed already, which removed it. */
	(void)epoll_ctl (l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1;
}

int loop_once (struct loop *l, int timeout_ms, struct keel_error **err)
{
	struct epoll_event evs[LOOP_BATCH];
	int n, k;

	n = epoll_wait (l->epfd, evs, LOOP_BATCH, timeout_ms);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0) {
		/* EBADF, EFAULT, EINVAL: the set itself is broken, and calling
		 * again returns at once; a few tries, then the caller's fatal path. */
		if (++l->failures >= LOOP_MAX_FAILURES)
			return keel_error (err, errno, "epoll_wait failed %u times in a row",
			                   l->failures);
		return 0;
	}
	l->failures = 0;
	for (k = 0; k < n; k++) {
		struct watch *w = evs[k].data.ptr;
		/* A callback earlier in this batch may have unwatched w. */
		if (w->fd >= 0)
			w->fn (w, evs[k].events);
	}
	return n;
}
