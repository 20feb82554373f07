/* The deployment store: versioned deployments of a containers.d entry,
 * side by side, one of them active (docs/deployments.md).
 *
 *   containers.d/web -> .deploy/web/3      the active one: one symlink
 *   containers.d/.deploy/web/2/            the one before (rollback)
 *   containers.d/.deploy/web/3/            rootfs/ config.json keel.json
 *                                          import.json deploy.json
 *
 * A deployment directory is complete (its files and the directory synced)
 * before it gets its generation name, and the switch is one rename(2) of a
 * new symlink over the old one, then an fsync of containers.d: a power cut
 * at any moment leaves the old or the new deployment active, never a mix.
 * PID 1 reads containers.d/web through the symlink like any entry and skips
 * `.deploy` (a name starting with a dot is never an entry).
 *
 * An entry that is still a plain directory (installed before deployments)
 * is generation 0: the first update swaps it for the symlink with
 * renameat2(RENAME_EXCHANGE), atomic too, and moves it to .deploy/web/0.
 *
 * Every function takes the containers.d directory as an open fd.  Writers
 * call deploy_repair first; readers (status) do not write.
 *
 * Two writers must not interleave (two keelctl update, keelctl and PID 1's
 * commit helper): each one, the command that starts the writing, holds
 * deploy_lock's lock on containers.d/.deploy/.lock around its steps (the
 * deploy_* functions do not take it themselves, since they call each
 * other, and flock(2) locks per open file).
 */
#ifndef KEEL_INIT_DEPLOY_H
#define KEEL_INIT_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define DEPLOY_DIR          ".deploy"
#define DEPLOY_FILE         "deploy.json"
#define DEPLOY_KEEP_DEFAULT 2
#define DEPLOY_MAX_GEN      999999999u
#define DEPLOY_MAX_SETTINGS 256
#define DEPLOY_LOCK         DEPLOY_DIR "/.lock"
#define DEPLOY_LOCK_WAIT_MS 60000u /* a writer holds it seconds at most: a sync, a prune */

struct deploy_setting {
	char *key, *value;
};

struct deployment {
	unsigned gen;
	char *digest;       /* image digest (manifest), NULL when not known */
	char *source;       /* what it was imported from */
	uint64_t created;   /* unix seconds */
	uint64_t activated; /* last activation, unix seconds; 0 never recorded */
	char *failed;       /* why an update rolled back from it, NULL if it did not */
	bool pending;       /* switched to by an update not yet committed */
	bool has_previous;
	unsigned previous;               /* the one active when an update added this one */
	struct deploy_setting *settings; /* the --set values, sorted by key */
	size_t n_settings;
};

struct deploy_entry {
	char *name;
	bool exists;    /* containers.d/NAME is there at all */
	bool versioned; /* a symlink into .deploy (else a plain directory, gen 0) */
	unsigned active;
	uint64_t active_since; /* the symlink's mtime: when the switch happened */
	struct deployment *v;  /* ascending by gen; the active one included */
	size_t n;
};

/* Take the store's writer lock (an exclusive flock on
 * containers.d/.deploy/.lock, made 0600 when missing), waiting at most
 * WAIT_MS for another writer to finish; returns the fd that holds it
 * (close it to let go) or -1 with an error naming the holder's pid
 * (from /proc/locks: the file stays empty).
 * Never called by PID 1 itself: its helpers take it (commit.c, store.c). */
int deploy_lock (int cdfd, unsigned wait_ms, struct keel_error **err);
/* DEPLOY_LOCK_WAIT_MS, or $KEEL_DEPLOY_LOCK_WAIT (seconds, 0 to 3600) for
 * the command-line writers (keel deploy, keelctl update/rollback). */
unsigned deploy_lock_wait_ms (void);

/* Read the store of one entry (no writes). */
int deploy_open (int cdfd, const char *name, struct deploy_entry *e, struct keel_error **err);
void deploy_entry_free (struct deploy_entry *e);
const struct deployment *deploy_find (const struct deploy_entry *e, unsigned gen);
/* The generation rollback goes to: the one that was active when the
 * active one was added, if it is still there, else the newest one older
 * than the active one; *found false when there is none. */
unsigned deploy_previous (const struct deploy_entry *e, bool *found);

/* Finish or undo what a crash interrupted: a half-made switch link, a
 * legacy directory swapped out but not yet moved, a pruned deployment not
 * yet removed.  Idempotent. */
int deploy_repair (int cdfd, const char *name, struct keel_error **err);

/* Make the complete entry directory STAGED (relative to cdfd, on the same
 * filesystem, its deploy.json not yet written) the next generation of
 * NAME and switch to it; then keep KEEP deployments.  d gives digest,
 * source and settings (d->gen and the times are set here).  *gen gets the
 * new generation. */
int deploy_add (int cdfd, const char *name, const char *staged, const struct deployment *d,
                unsigned keep, unsigned *gen, struct keel_error **err);

/* The same, calling BEFORE_SWITCH (when not NULL) once the new generation
 * is complete under its number and before the link is switched to it:
 * keelctl update hands PID 1 the commit deadline there, so that there is
 * no moment when a pending deployment is active and PID 1 does not know
 * of it.  When it fails, nothing is switched (deploy_repair removes the
 * deployment) and deploy_add_ex fails with its error. */
typedef int (*deploy_before_switch_fn) (unsigned gen, void *arg, struct keel_error **err);
int deploy_add_ex (int cdfd, const char *name, const char *staged, const struct deployment *d,
                   unsigned keep, deploy_before_switch_fn before_switch, void *arg, unsigned *gen,
                   struct keel_error **err);

/* Make generation GEN active (it must exist). */
int deploy_switch (int cdfd, const char *name, unsigned gen, struct keel_error **err);

/* Remove deployments beyond KEEP: the active one stays, then the older
 * ones newest first (where rollback goes), then the newer ones; one an
 * update rolled back from goes first. */
int deploy_prune (int cdfd, const char *name, unsigned keep, struct keel_error **err);

/* deploy.json of DIR (relative to cdfd), and writing one atomically. */
int deploy_read_meta (int cdfd, const char *dir, struct deployment *d, struct keel_error **err);
int deploy_write_meta (int cdfd, const char *dir, const struct deployment *d,
                       struct keel_error **err);
void deployment_free (struct deployment *d);
/* Set (or replace) one setting; VALUE NULL removes it. */
void deploy_set (struct deployment *d, const char *key, const char *value);

/* The update to GEN is committed: clear its pending mark. */
int deploy_commit (int cdfd, const char *name, unsigned gen, struct keel_error **err);

/* Undo the update to GEN (DEPLOY_ANY_GEN: whichever is active): when it
 * is still the active deployment and still pending, record WHY in its
 * deploy.json ("failed") and switch back to the one before it (*prev).
 * Returns DEPLOY_UNDO_SWITCHED; DEPLOY_UNDO_NONE when GEN is not the
 * active pending one (committed, rolled back by hand, or another update
 * came since: nothing to undo); DEPLOY_UNDO_NO_PREVIOUS for a first
 * deployment (it stays, pending); -1 on an error.  PID 1's commit deadline
 * (commit.c, in a helper) and the boot check both come here. */
#define DEPLOY_ANY_GEN 0xffffffffu
enum { DEPLOY_UNDO_NONE = 0, DEPLOY_UNDO_SWITCHED = 1, DEPLOY_UNDO_NO_PREVIOUS = 2 };
int deploy_undo (int cdfd, const char *name, unsigned gen, const char *why, unsigned *prev,
                 struct keel_error **err);

/* At boot, before the entries are read: an entry whose active deployment
 * is still pending (the machine went down before its update committed)
 * goes back to the one before.  Returns 1 when it switched (*msg says
 * what), 0 when nothing was to do. */
int deploy_boot_check (int cdfd, const char *name, char **msg, struct keel_error **err);
/* The same for every entry of containers.d DIR, each outcome (a switch
 * back, or an error, which leaves the entry as it is) on the console. */
void deploy_boot_all (const char *dir);

/* Record why an update rolled back from GEN (deploy.json "failed"). */
int deploy_mark_failed (int cdfd, const char *name, unsigned gen, const char *why,
                        struct keel_error **err);

/* Remove a tree (a failed copy of a new deployment) without following
 * any symlink in it. */
int deploy_remove_tree (int dfd, const char *name, struct keel_error **err);

/* Tests: _exit(0) at the K-th crash point of a writer (0: never). */
extern unsigned deploy_crash_at;

#endif
