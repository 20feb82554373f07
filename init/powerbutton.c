/* Power button: evdev devices reporting KEY_POWER (powerbutton.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "init/powerbutton.h"
#include "init/supervisor.h"
#include "lib/log.h"
#include "lib/util.h"

#define INPUT_DIR        "/dev/input"
#define LONG_BITS        (8 * sizeof (unsigned long))
#define BITS_TO_LONGS(n) (((n) + LONG_BITS - 1) / LONG_BITS)

static bool test_bit (const unsigned long *bits, unsigned bit)
{
	return (bits[bit / LONG_BITS] >> (bit % LONG_BITS)) & 1UL;
}

/* Whether the device can send KEY_POWER at all. */
static bool has_power_key (int fd)
{
	unsigned long ev[BITS_TO_LONGS (EV_MAX + 1)] = {0};
	unsigned long keys[BITS_TO_LONGS (KEY_MAX + 1)] = {0};

	if (ioctl (fd, EVIOCGBIT (0, sizeof ev), ev) < 0 || !test_bit (ev, EV_KEY))
		return false;
	if (ioctl (fd, EVIOCGBIT (EV_KEY, sizeof keys), keys) < 0)
		return false;
	return test_bit (keys, KEY_POWER);
}

static void watch_device (struct sup *s, int dirfd, const char *name)
{
	cleanup_close int fd = -1;
	char devname[128] = "";
	size_t i = s->n_buttons;

	fd = openat (dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		keel_debug ("open %s/%s: %s", INPUT_DIR, name, strerror (errno));
		return;
	}
	if (!has_power_key (fd))
		return;
	if (i == POWERBUTTON_MAX) {
		console_status (s->con, CS_WARN, "power button %s/%s: too many devices, ignored",
		                INPUT_DIR, name);
		return;
	}
	if (ioctl (fd, EVIOCGNAME (sizeof devname - 1), devname) < 0)
		strcpy (devname, "?");
	s->buttons[i].w.kind = W_BUTTON;
	s->buttons[i].w.unit = i;
	if (sup_watch (s, fd, EPOLLIN, &s->buttons[i].w) < 0)
		return;
	s->buttons[i].fd = fd;
	fd = -1;
	s->n_buttons++;
	console_status (s->con, CS_INFO, "Watching power button %s/%s (%s)", INPUT_DIR, name,
	                devname);
}

void powerbutton_open (struct sup *s)
{
	DIR *d = opendir (INPUT_DIR);
	struct dirent *de;

	if (!d) {
		/* No evdev (module not loaded, or no input devices at all). */
		keel_debug ("power button: %s: %s", INPUT_DIR, strerror (errno));
		return;
	}
	while ((de = readdir (d)))
		if (strncmp (de->d_name, "event", 5) == 0)
			watch_device (s, dirfd (d), de->d_name);
	closedir (d);
	if (s->n_buttons == 0)
		keel_debug ("power button: no input device reports KEY_POWER");
}

static void drop_device (struct sup *s, size_t i, const char *why)
{
	keel_debug ("power button device %zu: %s; no longer watched", i, why);
	sup_unwatch (s, s->buttons[i].fd);
	close (s->buttons[i].fd);
	s->buttons[i].fd = -1;
}

void powerbutton_event (struct sup *s, size_t i, uint32_t events)
{
	struct input_event ev[16];

	if (i >= s->n_buttons || s->buttons[i].fd < 0)
		return;
	for (;;) {
		ssize_t n = read (s->buttons[i].fd, ev, sizeof ev);
		size_t k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Hung up with nothing left to read: it will not come back. */
			if (events & (EPOLLHUP | EPOLLERR))
				drop_device (s, i, "hung up");
			return;
		}
		if (n < 0) {
			if (errno != ENODEV)
				console_status (s->con, CS_WARN, "power button: read: %s",
				                strerror (errno));
			drop_device (s, i, strerror (errno));
			return;
		}
		if (n == 0 || (size_t)n % sizeof ev[0] != 0) {
			drop_device (s, i, n == 0 ? "end of file" : "short read");
			return;
		}
		for (k = 0; k < (size_t)n / sizeof ev[0]; k++)
			if (ev[k].type == EV_KEY && ev[k].code == KEY_POWER && ev[k].value == 1)
				sup_request_shutdown (s, SD_POWEROFF, "Power button pressed");
	}
}

void powerbutton_close (struct sup *s)
{
	size_t i;

	for (i = 0; i < s->n_buttons; i++)
		if (s->buttons[i].fd >= 0) {
			close (s->buttons[i].fd);
			s->buttons[i].fd = -1;
		}
	s->n_buttons = 0;
}
