/* The container's state directory, ROOT/ID/:
 *   state.json  the runtime-spec state plus keel's own fields, replaced
 *               atomically (write state.json.tmp, rename)
 *   exec.fifo   exists from create until start: the container process
 *               blocks opening it for writing; start opens it for reading
 *   cgroups.json the container's cgroups ("cgroupPath", "cgroupV1Paths" as
 *               in state.json), written before create makes them: a create
 *               killed before state.json exists leaves them findable, and
 *               delete removes them (state.json, once written, has them too)
 *   config.json the config create was given, byte for byte as it read it:
 *               exec and checkpoint use it, as runc uses the spec it keeps
 *               in its state, so editing the bundle after create changes
 *               nothing for the running container
 * Only state.json is read while it may change; cgroups.json and config.json
 * are written in place, without a temporary name (state_cgroups_save and
 * state_spec_save say why that is safe).
 * Commands that change the container (create, start, delete) hold an
 * exclusive flock on the directory itself; state and kill only read.
 * `run` holds it from create through start and takes it again, on the
 * same fd, for its delete (docs/runtime-linux.md, "run"). */
#ifndef KEEL_STATE_H
#define KEEL_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/container.h"
#include "runtime/spec.h"

#define STATE_FILE   "state.json"
#define EXEC_FIFO    "exec.fifo"
#define SPEC_COPY    "config.json"
#define CGROUPS_FILE "cgroups.json"

/* What keel keeps besides the public state, for later commands. */
struct state_extra {
	unsigned long long starttime; /* of pid, from /proc/PID/stat: guards pid reuse */
	/* start and delete run these after the bundle may be gone */
	struct spec_hook *poststart, *poststop;
	size_t n_poststart, n_poststop;
};
void state_extra_free (struct state_extra *x);

/* mkdir ROOT/ID (failing with EEXIST as "container `ID` already exists"),
 * open and lock it.  *dirfd gets the locked O_DIRECTORY fd. */
int state_dir_create (const char *root, const char *id, int *dirfd, struct keel_error **err);
/* Open ROOT/ID ("container `ID` does not exist"), exclusively locked when
 * lock is true (waiting for a concurrent command to finish). */
int state_dir_open (const char *root, const char *id, bool lock, int *dirfd,
                    struct keel_error **err);
/* Lock an open state directory as state_dir_open does (ENOENT "does not
 * exist" when a delete removed it meanwhile), and let it go again. */
int state_dir_lock (int dirfd, const char *id, struct keel_error **err);
int state_dir_unlock (int dirfd, const char *id, struct keel_error **err);
/* Remove everything in ROOT/ID and the directory (best effort, ENOENT ok). */
int state_dir_remove (const char *root, const char *id, int dirfd, struct keel_error **err);
/* The same from the names keel puts there (delete; `run` knows which it
 * made): known[] is removed (each may be missing; a dir after what is in
 * it), then the directory, with no listing of it; anything else found
 * there (a temporary file of a create that was killed) still goes,
 * through state_dir_remove. */
struct state_entry {
	const char *name;
	bool dir;
};
int state_dir_remove_known (const char *root, const char *id, int dirfd,
                            const struct state_entry *known, size_t n, struct keel_error **err);

int state_write (int dirfd, const struct keel_state *st, const struct state_extra *x,
                 struct keel_error **err);
/* Read state.json (status is left to state_refresh).  ENOENT means the
 * container is still being created. */
int state_read (int dirfd, struct keel_state *st, struct state_extra *x, struct keel_error **err);
/* Set st->status from reality: stopped when pid is gone, a zombie, or
 * another process (start time differs); else creating while state.json
 * says so (create is running hooks), created while exec.fifo exists,
 * running otherwise. */
void state_refresh (int dirfd, struct keel_state *st, const struct state_extra *x);

/* Record the cgroups create is about to make (CGROUPS_FILE, written to a
 * temporary name and renamed): cgroup_path may be NULL, v1 empty. */
int state_cgroups_save (int dirfd, const char *cgroup_path, const struct spec_strv *v1,
                        struct keel_error **err);
/* Fill st->cgroup_path and st->cgroup_v1 from CGROUPS_FILE; none (create
 * was killed before it resolved them) leaves them empty and returns 0. */
int state_cgroups_load (int dirfd, struct keel_state *st, struct keel_error **err);

/* Keep json (len bytes, the config create parsed) as SPEC_COPY, written
 * to a temporary name and renamed so a reader never sees half of it. */
int state_spec_save (int dirfd, const char *json, size_t len, struct keel_error **err);
/* Parse SPEC_COPY with bundle as its directory.  A state directory
 * without one (made by a keel before the copy was kept) leaves *out NULL
 * and returns 0: the caller falls back to the bundle's config.json. */
int state_spec_load (int dirfd, const char *bundle, struct spec **out, struct keel_error **err);

/* Field 22 of /proc/PID/stat, and whether the process is a zombie. */
int proc_starttime (pid_t pid, unsigned long long *starttime, bool *zombie,
                    struct keel_error **err);
/* CLOCK_BOOTTIME now in the unit of that field (clock ticks, truncated as
 * the kernel does); false where the tick does not divide a second. */
bool boottime_ticks (unsigned long long *ticks);

/* RFC 3339 UTC timestamp with nanoseconds, malloc'd. */
char *state_timestamp (void);

#endif
