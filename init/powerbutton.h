/* The machine's power button: ACPI's "Power Button" (button.ko) and any
 * other input device that can send KEY_POWER, read through evdev
 * (/dev/input/eventN).  A press powers the machine off through the same
 * ordered stop as SIGTERM, as systemd-logind and LinuxKit do, so a
 * hypervisor's "shut down" (QEMU's system_powerdown) is clean.
 *
 * The devices present when the supervisor starts are scanned once; no
 * udevd runs.  One added later (button.ko or evdev.ko loaded late, by
 * alias or by hand) comes from hotplug.c's uevents: powerbutton_add.
 * Boot mode only: a keel under test must not react to the
 * host's keyboard.
 */
#ifndef KEEL_INIT_POWERBUTTON_H
#define KEEL_INIT_POWERBUTTON_H

#include <stddef.h>
#include <stdint.h>

#include "init/console.h"
#include "init/loop.h"

/* Devices watched at most (ACPI button, a keyboard or two). */
#define POWERBUTTON_MAX 8

/* Open every /dev/input/event* that can report KEY_POWER and watch it in
 * l; a press calls pressed(arg).  Nothing found is not an error. */
void powerbutton_open (struct loop *l, struct console *con, void (*pressed) (void *arg),
                       void *arg);
/* A device node added later ("/dev/input/event3", from a uevent): watched
 * when it reports KEY_POWER and is not watched yet.  A no-op before
 * powerbutton_open and for anything else. */
void powerbutton_add (const char *devnode);
void powerbutton_close (void);

#endif
