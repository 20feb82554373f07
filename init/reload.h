/* `keelctl reload` and SIGHUP: containers.d read again, the running set
 * brought in line with it.
 *
 * What changed is decided by an entry's fingerprint (struct entry_fp),
 * taken when the entry is read, at boot and at each reload:
 *   - config.json, keel.json, tmpfiles.conf: a 64-bit FNV-1a hash of the
 *     whole content and its length (absent is its own value), so a touch
 *     or a rewrite with the same bytes is no change, and any edit is one;
 *   - the rootfs: the identity of root.path's directory (st_dev, st_ino):
 *     a rootfs rebuilt and renamed into place, or another root.path, is a
 *     change.  Its contents and mtime are not looked at: a container
 *     writes there itself (the runtime even makes its mount points there at
 *     the first start), so that would restart it at every reload; after an
 *     edit in place, `keelctl restart NAME`.
 *
 * The plan (reload_plan) is a pure function of the old and the new
 * entries: keep (same fingerprint: left running with its pid), add,
 * remove, change (restarted, saying which files changed), add-broken (a
 * new entry that fails the boot's validation: reported, shown as failed,
 * nothing else disturbed) and broken-edit (an existing entry whose new
 * files fail validation: the old one keeps running, and the reply says
 * so).  Removed and changed entries are stopped in reverse dependency order
 * (of the graph they were started with); once all of them are down, the
 * graph is rebuilt from the new entries, the changed ones take their new
 * configuration and start, the new ones start, as at boot.
 *
 * A reload is applied through the unit state machine: UE_REPLACE stops a
 * unit for the reload (state U_HELD once down), UE_RELOADED hands a held
 * unit back (U_WAITING with its new files, or U_REMOVED).  See unit.h.
 */
#ifndef KEEL_INIT_RELOAD_H
#define KEEL_INIT_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct entry_fp {
	bool taken;                        /* set by reload_fingerprint */
	uint64_t config, policy, tmpfiles; /* content hashes (0: absent) */
	bool has_root;                     /* root.path could be stat'ed */
	uint64_t root_dev, root_ino;       /* its identity */
};

/* What differs between two fingerprints (a mask). */
enum {
	FP_CONFIG = 1 << 0,
	FP_POLICY = 1 << 1,
	FP_TMPFILES = 1 << 2,
	FP_ROOTFS = 1 << 3,
};

/* Fingerprint the entry in dir (rootfs: the absolute root.path, NULL when
 * the config could not say). Reads at most the same bounded files as
 * entries.c; a file that cannot be read hashes as absent. */
void reload_fingerprint (const char *dir, const char *rootfs, struct entry_fp *fp);
unsigned reload_fp_diff (const struct entry_fp *a, const struct entry_fp *b);
/* "config.json, rootfs" for a mask (static storage). */
const char *reload_fp_describe (unsigned mask, char *buf, size_t cap);
uint64_t reload_hash (const void *data, size_t len);

/* ---- the plan: pure ------------------------------------------------------ */

struct reload_entry {
	const char *name;
	bool valid;        /* passed every check of the boot (entries.c, graph) */
	const char *error; /* why not, when !valid */
	struct entry_fp fp;
	const size_t *deps; /* old entries only: indices (in the old list) it depends on */
	size_t n_deps;
	bool alive; /* old entries only: has a process (shown as "pid kept") */
};

enum reload_action {
	RL_KEEP,        /* same fingerprint: untouched */
	RL_ADD,         /* new and valid: started */
	RL_ADD_BROKEN,  /* new and invalid: reported, shown failed */
	RL_REMOVE,      /* gone from containers.d: stopped */
	RL_CHANGE,      /* different and valid: restarted with the new files */
	RL_BROKEN_EDIT, /* different and invalid: the old one stays as it is */
};

struct reload_item {
	enum reload_action action;
	const char *name;    /* borrowed from the entries */
	size_t old_i, new_i; /* (size_t)-1 when absent on that side */
	unsigned changed;    /* FP_* for change and broken-edit */
};

struct reload_plan {
	struct reload_item *v; /* by name */
	size_t n;
	size_t *stop; /* indices into v of removed and changed items, dependents first */
	size_t n_stop;
	size_t counts[RL_BROKEN_EDIT + 1];
};

/* old and new sorted by name (as containers.d is read). */
void reload_plan (const struct reload_entry *old, size_t n_old, const struct reload_entry *new,
                  size_t n_new, struct reload_plan *plan);
void reload_plan_free (struct reload_plan *plan);
const char *reload_action_name (enum reload_action a);
/* The plan as the reply shows it (malloc'd; ends with a newline). */
char *reload_plan_format (const struct reload_plan *plan, const struct reload_entry *old,
                          const struct reload_entry *new);

/* ---- applying it (PID 1) ------------------------------------------------- */

/* Units never move (watches and the console's queue point into them): the
 * array has room for this many entries added after boot (a removed
 * entry's slot is reused when its name comes back). */
#define RELOAD_SPARE_UNITS 64

struct sup;
/* Read containers.d again and plan; apply unless dry_run.  Returns the
 * reply ("ok\n" + the plan, or "error: ...\n"), malloc'd.  Never blocks on
 * a process: stops go through the unit machine, reload_step finishes. */
char *reload_request (struct sup *s, bool dry_run);
/* SIGHUP: the same, its plan (or refusal) on the console. */
void reload_on_signal (struct sup *s);
/* Called by the supervisor's loop each pass: sends the ordered stops as
 * the dependents go down, then swaps and starts once all are down. */
void reload_step (struct sup *s);
/* A reload is under way (a second one is refused until it ends). */
bool reload_busy (const struct sup *s);
void reload_free (struct sup *s);

#endif
