/* The machine's power button: ACPI's "Power Button" (button.ko) and any
 * other input device that can send KEY_POWER, read through evdev
 * (/dev/input/eventN).  A press powers the machine off through the same
 * ordered stop as SIGTERM, as systemd-logind and LinuxKit do, so a
 * hypervisor's "shut down" (QEMU's system_powerdown) is clean.
 *
 * The devices present when the supervisor starts are scanned once; no
 * udevd runs, and button.ko/evdev.ko are loaded from /etc/keel/modules
 * before that.  Boot mode only: a keel under test must not react to the
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
void powerbutton_close (void);

#endif
