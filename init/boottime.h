/* `keelctl boot-time`: where the boot's time went, rendered by the client.
 *
 * PID 1 only records numbers (unit.h's first_us, devwait_us, created_us;
 * supervisor.h's keel_start_us ...) and sends them as the `boot-time`
 * reply (control.c); everything here runs in keelctl, never in PID 1.
 *
 * From the stamps (CLOCK_BOOTTIME, so 0 is the kernel's start):
 *   kernel       0 .. keel's first instruction
 *   keel setup   .. the machine set up (mounts, modules, cgroups)
 *   keel load    .. containers.d read and validated
 * and per container, from the load on:
 *   deps         waiting for its dependencies      loaded .. devwait or starting
 *   devices      waiting for its devices            devwait .. starting
 *   create       the start helper's create          starting .. created
 *   start        its start                          created .. running
 *   ready        until READY=1 (notify), or a oneshot's run until done
 * Formats: text (the summary, blame sorted by active time, the critical
 * chain), JSON (field names in docs/containers.d.md), an SVG chart (one bar
 * per container on a time axis, phases coloured, a legend).
 */
#ifndef KEEL_INIT_BOOTTIME_H
#define KEEL_INIT_BOOTTIME_H

#include <stddef.h>
#include <stdio.h>

#include "lib/error.h"

enum boottime_format { BOOTTIME_TEXT, BOOTTIME_JSON, BOOTTIME_SVG };

/* Render PID 1's `boot-time` reply body (JSON, without "ok\n") to out. */
int boottime_render (const char *json, size_t len, enum boottime_format fmt, FILE *out,
                     struct keel_error **err);

#endif
