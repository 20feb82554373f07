/* Booting the machine as PID 1: the basic file systems, cgroup v2 and
 * keel's hierarchy in it, shared propagation, the console fds, hostname,
 * ctrl-alt-del, loopback (network.c) and leaving the initramfs
 * (switchroot.c).  Nothing here runs in --no-boot mode. */
#ifndef KEEL_INIT_BOOT_H
#define KEEL_INIT_BOOT_H

#include <sys/types.h>

#include "init/options.h"
#include "lib/error.h"

#define BOOT_CGROUP_MOUNT "/sys/fs/cgroup"
#define BOOT_CGROUP_SELF  "keel/init" /* PID 1's own leaf cgroup */

/* /proc /sys /dev /dev/pts /dev/shm /run /tmp; errors are per mount and
 * reported, the boot goes on. */
void boot_mount_basics (void);
/* fds 0, 1, 2 on /dev/console when the kernel could not open it for us. */
void boot_console_fds (void);
/* cgroup2 with nsdelegate, every controller enabled down to
 * CGROUP_ROOT, PID 1 moved to keel/init. */
int boot_cgroups (const char *cgroup_root, struct keel_error **err);
void boot_misc (const struct init_opts *o);
/* ROOT/etc/resolv.conf, for the containers that bind the host's (nearly
 * every Atomic image): when the image has none, one with a nameserver line
 * for each address of dns (keel.dns=, validated), or with none when dns is
 * NULL.  An existing file or symlink is left alone. */
int boot_resolv_conf (int rootfd, const char *dns, struct keel_error **err);

/* switchroot.c: when / is the initramfs (the root of the mount tree, where
 * pivot_root fails with EINVAL), make a bind of it the root, so that the
 * root mount has a parent; *how says what was done (NULL: nothing to do). */
int switchroot_if_initramfs (const char **how, struct keel_error **err);

/* emergency.c: the shell for a boot that cannot go on (NULL / -1 when
 * there is none); its exit means power off. */
const char *emergency_shell_path (const struct init_opts *o);
pid_t emergency_spawn (const struct init_opts *o, const char *why);
/* Exec sh on the console (its controlling terminal when the caller leads
 * a session) with no signal blocked; returns only when the exec failed.
 * Also panic.c's, in a child or in PID 1's own place. */
void emergency_exec_shell (const char *sh);

/* modules.c: load the modules listed in list (BOOT_MODULES_LIST). */
#define BOOT_MODULES_LIST "/etc/keel/modules"
void modules_load (const char *list);

/* network.c */
int network_loopback_up (struct keel_error **err);

/* Whether we run as the machine's init (not in a container or a PID
 * namespace a test made). */
bool boot_is_machine_init (void);

#endif
