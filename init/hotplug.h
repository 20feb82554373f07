/* Modules by alias (CONFIG_UDEV: libudev and libkmod).
 *
 * Coldplug: at boot, every device on a bus (/sys/bus/x/devices) or of the
 * input class that has no driver bound yet and has a modalias gets the
 * modules that alias names loaded with libkmod, each
 * after its dependencies (modules.alias.bin, modules.dep.bin of the
 * running kernel under /lib/modules, written by keel-mkimage's
 * --alias-modules).  A module loaded this way can add devices (virtio_pci
 * adds the virtio devices), so the walk repeats until a pass loads nothing.
 * Hotplug: afterwards the same for each kernel uevent "add" with a
 * MODALIAS, read from the loop; an input device added later is handed to
 * the power button (powerbutton_add), so a button whose driver loads late
 * is still watched.
 *
 * /etc/keel/modules (modules.c) stays the explicit list, loaded first.
 * Without the indexes (an image without --alias-modules) nothing is done.
 */
#ifndef KEEL_INIT_HOTPLUG_H
#define KEEL_INIT_HOTPLUG_H

#include "init/console.h"
#include "init/loop.h"

/* Boot mode, before the loop exists: open the uevent monitor (so nothing
 * added from now on is missed), then coldplug.  Failures are console
 * lines; the boot goes on. */
void hotplug_boot (struct console *con);

/* Watch the uevents queued since hotplug_boot, and later ones, in l. */
void hotplug_watch (struct loop *l);

void hotplug_close (void);

#endif
