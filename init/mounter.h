/* Mounting the fstab lines at boot without blocking PID 1.
 *
 * Each line (init/fstab.h) waits for its device -- a path under /dev, or a
 * LABEL=, UUID=, PARTUUID=, PARTLABEL= that libblkid resolves by probing
 * the block devices the kernel lists, one process per device so a hung disk
 * holds only itself -- then is mounted through libmount.
 * Both run in a short-lived helper process per attempt (as launch.c's
 * start helper), which reports one line on a pipe:
 *   "M<device>\n"  mounted
 *   "N\n"          the device is not there yet: try again at the next uevent
 *   "E<message>\n" the mount failed (libmount's message)
 * A line has x-keel.wait= (90 s by default) from the boot for its device to
 * appear and its mount to finish; a helper still running then (a slow or
 * broken device) is killed and the line fails.  A line inside another's
 * mount point waits for that one.
 *
 * A container lists the mounts it needs in keel.json ("mounts"); it starts
 * once each is mounted, and is blocked when one fails (the hook is
 * mounter_ready, called by the scheduler's device check).  Everything else
 * starts as usual.  At shutdown, once the containers are stopped, the
 * lines are unmounted newest first; a busy one is remounted read-only.
 */
#ifndef KEEL_INIT_MOUNTER_H
#define KEEL_INIT_MOUNTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/console.h"
#include "init/fstab.h"
#include "init/loop.h"
#include "init/unit.h"

enum mount_state { MS_WAIT, MS_RUNNING, MS_MOUNTED, MS_FAILED };

struct mounter;

struct mount_slot {
	struct mounter *m;
	size_t idx;
	enum mount_state state;
	pid_t helper;
	int fd; /* the helper's report pipe, -1 when none */
	struct watch w;
	char buf[512];
	size_t len;
	bool retry;   /* a uevent came while the helper ran */
	bool waited;  /* "Waiting for device" printed */
	char *device; /* what it was mounted from */
	char *error;
	unsigned order; /* mount order (1, 2, ...), 0 while not mounted */
};

struct mounter {
	struct fstab tab;
	struct mount_slot *slot;
	struct loop *loop;
	struct unit_set *set;
	struct console *con;
	uint64_t start_ms;
	unsigned mounted;
	int timerfd;
	struct watch w_timer;
	struct devwait *dw; /* kernel uevents: a device may have come */
	struct watch w_dev;
	bool *unit_waiting_said; /* per unit: "Waiting for mount" printed */
	size_t n_said;
	bool open;
	bool read_any; /* some fstab file was to be read (boot mode) */
};

/* The files read, in order. */
#define MOUNTER_FSTAB      "/etc/fstab"
#define MOUNTER_KEEL_FSTAB "/etc/keel/fstab"

/* Read files (NULL-terminated), report their bad lines, block the units
 * that list a mount no file has (when set is given; else mounter_attach
 * does it later), and start mounting.  Never fails: what
 * cannot be done is reported and held back. */
void mounter_open (struct mounter *m, const char *const *files, struct loop *loop,
                   struct unit_set *set, struct console *con);

/* The units are loaded (after the store, init/store.h, told which
 * containers.d to read): block those that list a mount no line gives or
 * one that already failed, and from now on requeue and block them as the
 * lines are mounted.  mounter_open does it itself when given a set. */
void mounter_attach (struct mounter *m, struct unit_set *set);

/* The slot of the line marked x-keel.containers (fstab_store), NULL when
 * there is none: store.c waits for it to be mounted or to fail. */
const struct mount_slot *mounter_store (const struct mounter *m);

/* Whether every mount unit i lists is mounted (m NULL: keel did not read
 * fstab -- not the machine's init -- so none is). */
bool mounter_ready (struct mounter *m, size_t i);

/* Kill what still runs, then unmount newest first (remount read-only
 * when busy).  Returns how many could not be unmounted. */
int mounter_unmount (struct mounter *m);
void mounter_close (struct mounter *m);

#endif
