/* The hardware watchdog (/dev/watchdog), systemd's RuntimeWatchdogSec.
 *
 * When enabled (`keel.watchdog=SECONDS` on the kernel command line, or
 * the same number in /etc/keel/watchdog), PID 1 opens the device, sets
 * its timeout (WDIOC_SETTIMEOUT) and pets it from its event loop with a
 * timerfd at half the timeout.  If PID 1 hangs (a deadlock, SIGSTOP, a
 * kernel path that never returns), nobody pets and the hardware resets
 * the machine.  At poweroff and halt the device is disarmed with the
 * magic close ('V'); at reboot it stays armed, so a hang while syncing
 * and unmounting still ends in a reset.
 */
#ifndef KEEL_INIT_WATCHDOG_H
#define KEEL_INIT_WATCHDOG_H

#include <stdbool.h>

#include "init/console.h"
#include "init/loop.h"
#include "init/options.h"
#include "lib/error.h"

#define WATCHDOG_DEVICE   "/dev/watchdog"
#define WATCHDOG_CONFIG   "/etc/keel/watchdog"
#define WATCHDOG_MAX_SECS 65535

/* "30" -> 30; "0" (off) is allowed.  Only decimal digits, no sign, no
 * spaces, at most WATCHDOG_MAX_SECS: an error names what is wrong. */
int watchdog_parse_seconds (const char *s, unsigned *secs, struct keel_error **err);

/* The timeout from the config file (one number, '#' comments and blank
 * lines allowed); *secs untouched when the file does not exist. */
int watchdog_read_config (const char *path, unsigned *secs, struct keel_error **err);
/* The same on the file's text (modified in place); path is for messages. */
int watchdog_parse_config (char *text, const char *path, unsigned *secs, struct keel_error **err);

/* Open device, set the timeout to secs and pet it from l.  A missing
 * device or a driver refusing the timeout is an error for the caller to
 * report; the boot goes on either way. */
int watchdog_open (struct loop *l, const char *device, unsigned secs, struct console *con,
                   struct keel_error **err);

/* Boot mode: the timeout from keel.watchdog= (o->watchdog_set) or else
 * WATCHDOG_CONFIG; when it is not 0, watchdog_open on WATCHDOG_DEVICE.
 * Every failure is a console line; the boot goes on. */
void watchdog_boot (struct loop *l, const struct init_opts *o, struct console *con);

/* The end of PID 1's loop: disarm (magic close) when the machine powers
 * off or halts, or pet a last time and leave it armed when it reboots.
 * A no-op when no watchdog is open. */
void watchdog_finish (bool disarm);

/* Whether a watchdog is open and being petted (for status lines, tests). */
bool watchdog_active (void);

#endif
