/* The hardware watchdog (watchdog.h). */
#include "init/watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* PID 1 has one watchdog: the state is this module's own. */
static struct {
	int dev; /* the open device, -1 when none */
	struct watch w_timer;
	struct loop *loop;
	struct console *con;
	unsigned secs;
	char name[64]; /* the driver's identity, for messages */
} wd = {.dev = -1, .w_timer = {.fd = -1}};

int watchdog_parse_seconds (const char *s, unsigned *secs, struct keel_error **err)
{
	unsigned long v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return keel_error (err, EINVAL,
		                   "watchdog: empty timeout (want seconds, 0 for off)");
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return keel_error (err, EINVAL,
			                   "watchdog: \"%s\" is not a number of seconds", s);
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > WATCHDOG_MAX_SECS)
			return keel_error (err, ERANGE, "watchdog: %s seconds: at most %d", s,
			                   WATCHDOG_MAX_SECS);
	}
	*secs = (unsigned)v;
	return 0;
}

int watchdog_parse_config (char *text, const char *path, unsigned *secs, struct keel_error **err)
{
	char *line, *save = NULL;
	bool seen = false;
	unsigned v = 0;

	for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		char *end;

		line += strspn (line, " \t");
		end = line + strlen (line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (seen)
			return keel_error (err, EINVAL, "%s: more than one timeout", path);
		if (watchdog_parse_seconds (line, &v, err) < 0)
			return keel_error_wrap (err, "%s", path);
		seen = true;
	}
	if (seen)
		*secs = v;
	return 0;
}

int watchdog_read_config (const char *path, unsigned *secs, struct keel_error **err)
{
	cleanup_free char *buf = NULL;

	if (read_file (path, 4096, &buf, NULL, err) < 0) {
		if ((*err)->status == ENOENT) {
			keel_error_release (err);
			return 0;
		}
		return -1;
	}
	return watchdog_parse_config (buf, path, secs, err);
}

static void pet (void)
{
	int dummy = 0;

	if (wd.dev < 0)
		return;
	/* The ioctl, not a write: a write of 'V' would arm the magic close. */
	if (ioctl (wd.dev, WDIOC_KEEPALIVE, &dummy) < 0 && write (wd.dev, "\0", 1) < 0)
		keel_debug ("watchdog: keepalive: %s", strerror (errno));
}

static void on_timer (struct watch *w, uint32_t events)
{
	uint64_t ticks;

	/* Drain the expirations first: a level-triggered timerfd left
	 * readable would make the loop spin. */
	if (read (w->fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN && errno != EINTR)
		keel_debug ("watchdog: timer: %s", strerror (errno));
	pet ();
}

int watchdog_open (struct loop *l, const char *device, unsigned secs, struct console *con,
                   struct keel_error **err)
{
	struct watchdog_info info;
	struct itimerspec its;
	int t = (int)secs, tfd, ret;
	long half_ms;

	if (wd.dev >= 0)
		return keel_error (err, EBUSY, "watchdog: already open");
	/* Opening starts the countdown on most drivers: from here on PID 1
	 * must pet.  O_CLOEXEC: containers never inherit it. */
	wd.dev = open (device, O_WRONLY | O_CLOEXEC);
	if (wd.dev < 0)
		return keel_error (err, errno, "watchdog: open %s", device);
	memset (&info, 0, sizeof info);
	if (ioctl (wd.dev, WDIOC_GETSUPPORT, &info) == 0)
		snprintf (wd.name, sizeof wd.name, "%.32s", (const char *)info.identity);
	else
		snprintf (wd.name, sizeof wd.name, "?");
	/* The driver may round the timeout to what its hardware can do and
	 * writes back what it set; a driver without SETTIMEOUT keeps its
	 * own, which is then what we pet against. */
	if (ioctl (wd.dev, WDIOC_SETTIMEOUT, &t) < 0) {
		int e = errno;
		if (ioctl (wd.dev, WDIOC_GETTIMEOUT, &t) < 0 || t <= 0) {
			ret = keel_error (err, e, "watchdog %s (%s): set timeout %us", device,
			                  wd.name, secs);
			goto fail;
		}
		console_status (con, CS_WARN,
		                "watchdog %s (%s): cannot set %us (%s), using its %ds", device,
		                wd.name, secs, strerror (e), t);
	}
	if (t <= 0) {
		ret = keel_error (err, EINVAL, "watchdog %s: driver reports a timeout of %d s",
		                  device, t);
		goto fail;
	}
	wd.secs = (unsigned)t;
	/* Half the timeout, as systemd: one late wakeup never resets. */
	half_ms = (long)wd.secs * 500;
	tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0) {
		ret = keel_error (err, errno, "watchdog: timerfd_create");
		goto fail;
	}
	its.it_value.tv_sec = its.it_interval.tv_sec = half_ms / 1000;
	its.it_value.tv_nsec = its.it_interval.tv_nsec = (half_ms % 1000) * 1000000;
	if (timerfd_settime (tfd, 0, &its, NULL) < 0) {
		ret = keel_error (err, errno, "watchdog: timerfd_settime");
		close (tfd);
		goto fail;
	}
	if (loop_watch (l, &wd.w_timer, tfd, EPOLLIN, on_timer, NULL) < 0) {
		ret = keel_error (err, errno, "watchdog: watch its timer");
		close (tfd);
		goto fail;
	}
	wd.loop = l;
	wd.con = con;
	pet ();
	console_status (con, CS_OK, "Watchdog %s (%s) armed: %us, petted every %ld ms", device,
	                wd.name, wd.secs, half_ms);
	return 0;
fail:
	/* Disarm what we opened: a watchdog nobody pets would reset us. */
	if (write (wd.dev, "V", 1) < 0)
		keel_debug ("watchdog: magic close: %s", strerror (errno));
	close (wd.dev);
	wd.dev = -1;
	return ret;
}

void watchdog_boot (struct loop *l, const struct init_opts *o, struct console *con)
{
	struct keel_error *err = NULL;
	unsigned secs = o->watchdog_secs;

	if (!o->watchdog_set && watchdog_read_config (WATCHDOG_CONFIG, &secs, &err) < 0) {
		console_status (con, CS_WARN, "%s (watchdog off)", err->msg);
		keel_error_release (&err);
		return;
	}
	if (secs == 0)
		return;
	if (watchdog_open (l, WATCHDOG_DEVICE, secs, con, &err) < 0) {
		cleanup_free char *m = keel_error_string (err);
		console_status (con, CS_WARN, "%s (watchdog off)", m);
		keel_error_release (&err);
	}
}

void watchdog_finish (bool disarm)
{
	int tfd = wd.w_timer.fd;

	if (wd.dev < 0)
		return;
	if (tfd >= 0) {
		loop_unwatch (wd.loop, &wd.w_timer);
		close (tfd);
	}
	if (!disarm) {
		/* The reboot gets a whole timeout for syncing and unmounting;
		 * the device stays open and armed until the kernel resets. */
		pet ();
		console_status (wd.con, CS_INFO, "Watchdog stays armed for the reboot (%us)",
		                wd.secs);
		return;
	}
	/* The magic close: 'V' then close tells the driver this is an
	 * orderly stop (unless built with nowayout, which keeps it armed). */
	if (write (wd.dev, "V", 1) != 1)
		console_status (wd.con, CS_WARN, "watchdog: magic close: %s", strerror (errno));
	if (close (wd.dev) < 0)
		console_status (wd.con, CS_WARN, "watchdog: close: %s", strerror (errno));
	else
		console_status (wd.con, CS_OK, "Watchdog disarmed");
	wd.dev = -1;
}

bool watchdog_active (void)
{
	return wd.dev >= 0 && wd.w_timer.fd >= 0;
}
