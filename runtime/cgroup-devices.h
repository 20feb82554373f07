/* linux.resources.devices on cgroup v2, where the device controller is an
 * eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup. */
#ifndef KEEL_CGROUP_DEVICES_H
#define KEEL_CGROUP_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "runtime/spec.h"

/* Build a filter from rules (in order, the last matching rule wins; no
 * match denies) followed by the devices every container may use (as crun
 * and runc append: mknod of anything, null, zero, full, random, urandom,
 * tty, console, ptmx, pts/N), attach it to the cgroup at abs_path and
 * detach the filters attached before.  Needs CAP_SYS_ADMIN (or CAP_BPF). */
int cgroup_devices_apply (const char *abs_path, const struct spec_device_rule *rules, size_t n,
                          struct keel_error **err);
/* The same on the cgroup open at cgfd (abs_path names it in errors).
 * fresh: the cgroup was just made and nothing was attached to it since,
 * so there is nothing to detach and no need to ask which (a new cgroup
 * has no program attached of its own: its parents' run for it all the
 * same, and are not the ones replaced). */
int cgroup_devices_apply_at (int cgfd, const char *abs_path, bool fresh,
                             const struct spec_device_rule *rules, size_t n,
                             struct keel_error **err);

#endif
