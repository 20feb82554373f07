/* Power button: evdev devices reporting KEY_POWER (powerbutton.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/powerbutton.h"
#include "lib/log.h"
#include "lib/util.h"

#define INPUT_DIR        "/dev/input"
#define LONG_BITS        (8 * sizeof (unsigned long))
#define BITS_TO_LONGS(n) (((n) + LONG_BITS - 1) / LONG_BITS)

/* The buttons are this module's own: PID 1 has one set of them. */
static struct button {
	struct watch w;
	size_t index;
	dev_t rdev; /* the device node, so a uevent for a watched one is ignored */
} buttons[POWERBUTTON_MAX];
static size_t n_buttons;
static struct loop *button_loop;
static struct console *button_con;
static void (*button_pressed) (void *arg);
static void *button_arg;

static void powerbutton_event (struct watch *w, uint32_t events);

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

/* Whether a watched device is this device node (one seen by the scan and
 * again in a uevent). */
static bool watched (dev_t rdev)
{
	size_t i;

	for (i = 0; i < n_buttons; i++)
		if (buttons[i].w.fd >= 0 && buttons[i].rdev == rdev)
			return true;
	return false;
}

static void watch_device (int dirfd, const char *name)
{
	cleanup_close int fd = -1;
	char devname[128] = "";
	struct stat st;
	size_t i;

	fd = openat (dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		keel_debug ("open %s/%s: %s", INPUT_DIR, name, strerror (errno));
		return;
	}
	if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode) || watched (st.st_rdev))
		return;
	if (!has_power_key (fd))
		return;
	/* A slot whose device went away (its module unloaded) is reused. */
	for (i = 0; i < n_buttons && buttons[i].w.fd >= 0; i++)
		;
	if (i == POWERBUTTON_MAX) {
		console_status (button_con, CS_WARN,
		                "power button %s/%s: too many devices, ignored", INPUT_DIR, name);
		return;
	}
	if (ioctl (fd, EVIOCGNAME (sizeof devname - 1), devname) < 0)
		strcpy (devname, "?");
	buttons[i].index = i;
	buttons[i].rdev = st.st_rdev;
	if (loop_watch (button_loop, &buttons[i].w, fd, EPOLLIN, powerbutton_event, &buttons[i]) <
	    0)
		return;
	fd = -1;
	if (i == n_buttons)
		n_buttons++;
	console_status (button_con, CS_INFO, "Watching power button %s/%s (%s)", INPUT_DIR, name,
	                devname);
}

void powerbutton_add (const char *devnode)
{
	const char *name;
	int dirfd;

	/* Only after powerbutton_open (boot mode), only evdev nodes. */
	if (button_loop == NULL || strncmp (devnode, INPUT_DIR "/event", sizeof INPUT_DIR + 5) != 0)
		return;
	name = devnode + sizeof INPUT_DIR;
	if (strchr (name, '/') != NULL)
		return;
	dirfd = open (INPUT_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		keel_debug ("power button: %s: %s", INPUT_DIR, strerror (errno));
		return;
	}
	watch_device (dirfd, name);
	close (dirfd);
}

void powerbutton_open (struct loop *l, struct console *con, void (*pressed) (void *arg), void *arg)
{
	DIR *d = opendir (INPUT_DIR);
	struct dirent *de;

	button_loop = l;
	button_con = con;
	button_pressed = pressed;
	button_arg = arg;
	if (!d) {
		/* No evdev (module not loaded, or no input devices at all). */
		keel_debug ("power button: %s: %s", INPUT_DIR, strerror (errno));
		return;
	}
	while ((de = readdir (d)))
		if (strncmp (de->d_name, "event", 5) == 0)
			watch_device (dirfd (d), de->d_name);
	closedir (d);
	if (n_buttons == 0)
		keel_debug ("power button: no input device reports KEY_POWER");
}

static void drop_device (struct button *b, const char *why)
{
	int fd = b->w.fd;

	keel_debug ("power button device %zu: %s; no longer watched", b->index, why);
	loop_unwatch (button_loop, &b->w);
	close (fd);
}

static void powerbutton_event (struct watch *w, uint32_t events)
{
	struct button *b = w->arg;
	struct input_event ev[16];

	for (;;) {
		ssize_t n;
		size_t k;

		if (b->w.fd < 0)
			return;
		n = read (b->w.fd, ev, sizeof ev);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Hung up with nothing left to read: it will not come back. */
			if (events & (EPOLLHUP | EPOLLERR))
				drop_device (b, "hung up");
			return;
		}
		if (n < 0) {
			if (errno != ENODEV)
				console_status (button_con, CS_WARN, "power button: read: %s",
				                strerror (errno));
			drop_device (b, strerror (errno));
			return;
		}
		if (n == 0 || (size_t)n % sizeof ev[0] != 0) {
			drop_device (b, n == 0 ? "end of file" : "short read");
			return;
		}
		for (k = 0; k < (size_t)n / sizeof ev[0]; k++)
			if (ev[k].type == EV_KEY && ev[k].code == KEY_POWER && ev[k].value == 1)
				button_pressed (button_arg);
	}
}

void powerbutton_close (void)
{
	size_t i;

	for (i = 0; i < n_buttons; i++)
		if (buttons[i].w.fd >= 0)
			drop_device (&buttons[i], "closing");
	n_buttons = 0;
}
