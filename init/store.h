/* containers.d on a persistent disk (the store), with the initramfs's own
 * containers.d as the fallback (docs/deployments.md, "Where it lives").
 *
 * The store is the fstab line marked x-keel.containers (fstab.h): the disk
 * is mounted by mounter.c like every line (a helper per try, uevents, the
 * line's x-keel.wait=), and containers.d is MOUNT-POINT/containers.d.
 * PID 1 reads no entry before the store is settled, so it runs its own
 * event loop meanwhile (signals, reaping, the mount helpers, the console),
 * never a blocking call: the disk is only ever touched by helpers.  Once the
 * line is mounted, a prepare helper (a fork, killed after
 * STORE_PREPARE_MS) does the file work:
 *
 *   - seed on first boot: no containers.d on the disk yet: the initramfs's
 *     is copied to MOUNT/.containers.d.seed, syncfs(2), renamed to
 *     MOUNT/containers.d, the mount point fsync'd: a power cut leaves no
 *     containers.d (seeded again, the half copy removed first) or all of it;
 *   - every entry's deployments repaired (deploy_repair), an update the
 *     machine went down in the middle of switched back (deploy_boot_check)
 *     and its half copy (.NAME.update.PID) removed;
 *   - `keel check` of the disk's containers.d.
 *
 * The disk's containers.d is used unless: the line failed (device missing,
 * unmountable, x-keel.wait= over), containers.d cannot be read or seeded,
 * a repair failed, keel check refused an entry that the initramfs's own
 * containers.d does not refuse too, or the helper ran out of time.  Then
 * the initramfs's containers.d boots and the console says why.
 */
#ifndef KEEL_INIT_STORE_H
#define KEEL_INIT_STORE_H

#include "init/mounter.h"
#include "init/supervisor.h"

/* The seed, repairs and check: a disk that hangs there costs this much
 * boot before the fallback. */
#define STORE_PREPARE_MS (10u * 60u * 1000u)
#define STORE_SUBDIR     "containers.d"
#define STORE_SEED       ".containers.d.seed"

/* Called with the mounter open and before the entries are read.  Returns
 * the containers.d to boot (malloc'd), or NULL to keep s->opts->dir: no
 * line is marked, or the store cannot be used (said on the console). */
char *store_boot (struct sup *s, struct mounter *m);

/* The prepare helper's work, in the calling process (it blocks): what a
 * boot does to MOUNT/containers.d, FALLBACK being the initramfs's.  Each
 * console line is written to out as "I...\n" or "W...\n"; the outcome is
 * "S\n" (use it) or "F<why>\n" (fall back).  Returns 0 for S. */
int store_prepare (const char *mount_point, const char *fallback, int out);
/* The keel binary store_prepare runs `keel check` with: PID 1's own
 * (/proc/self/exe); the unit tests point it at the build's. */
extern const char *store_keel_exe;

#endif
