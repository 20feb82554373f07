/* PID 1's one way out when something that cannot happen does: out of
 * memory, an epoll set that keeps failing.  PID 1 must never abort() or
 * exit (the kernel panics and the console output is lost), and must not
 * spin either.
 *
 * keel_panic() writes why on the console, drains the console queue
 * synchronously, syncs the file systems, and then, as the machine's init:
 * runs the emergency shell (keel.shell=PATH, or /bin/sh) on the console
 * and reboots when it exits; if no process can be forked it execs the
 * shell in its own place; with no shell at all it reboots.  If even
 * reboot(2) fails it waits forever rather than exit.  Outside boot mode
 * (tests, --no-boot) it exits with status 111 after the message.
 * It allocates nothing.
 */
#ifndef KEEL_INIT_PANIC_H
#define KEEL_INIT_PANIC_H

#include "init/options.h"

#define KEEL_PANIC_EXIT 111

void keel_panic (const struct init_opts *o, const char *why) __attribute__ ((noreturn));
/* Route lib/util.c's out-of-memory path to keel_panic. */
void keel_panic_install (const struct init_opts *o);

#endif
