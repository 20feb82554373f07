/* The commit deadline of an update, kept by PID 1 (docs/deployments.md).
 *
 * `keelctl update` copies a new deployment in and switches the store to
 * it with `pending` set (deploy.h), then tells PID 1 over the control
 * socket `pending NAME GEN SECONDS` and asks for a reload.  From then on
 * PID 1 alone decides, whether keelctl is still there or not:
 *
 *   - the entry runs GEN's files (its fingerprint is no longer the one it
 *     had when the deadline was set) and becomes ready (done, for a
 *     oneshot; healthy when its readiness is "healthy") before the
 *     deadline: a helper clears `pending` (commit);
 *   - it fails, is blocked or unhealthy, or is not ready at the deadline:
 *     a helper records why in GEN's deploy.json and switches the link
 *     back to the deployment before it; PID 1 says so on the console,
 *     reloads, and waits (the same number of seconds) for the entry to be
 *     ready on its old files again.
 *   Either way, once the entry is ready, the entries that `require` it
 *   are restarted (they ran on the old one) or started (they were stopped
 *   when it failed).
 *
 * The file work (deploy.json, rename of the link, fsync of containers.d)
 * can block on a disk, so it runs in a helper, keel's own binary exec'd
 * as `keel __commit ...` the way the start helpers are (launch.h), whose
 * one-line report comes back on a pipe watched by the loop.  The deadline
 * is a timerfd of this module's own.  keelctl only waits for the outcome
 * (`pending NAME`) and reports it.
 *
 * A reload does not touch what is watched here (by name, not by unit),
 * and a boot undoes a pending switch before anything starts (deploy.h
 * deploy_boot_all): no deadline needs to outlive PID 1.
 */
#ifndef KEEL_INIT_COMMIT_H
#define KEEL_INIT_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "init/unit.h"

#define COMMIT_HELPER_ROLE "__commit"
#define COMMIT_MAX_WATCHES 32    /* updates watched (or remembered) at once */
#define COMMIT_MAX_SECONDS 86400 /* as keelctl update --timeout */
#define COMMIT_WHY_MAX     512   /* a reason given to the helper, in bytes */
#define COMMIT_REPORT_MAX  1024  /* a helper's report, in bytes */
/* How long the entry must have stayed ready before it is committed (unless
 * the deadline comes first): with readiness "started", ready is the
 * moment it started, and a service that exits at once (a bad config) must
 * not be committed in the instant between. */
#define COMMIT_SETTLE_MS 1000

/* What became of an update. */
enum commit_phase {
	CP_WATCHING,    /* waiting for the entry to be ready on GEN */
	CP_COMMITTING,  /* ready: the helper clears pending */
	CP_COMMITTED,   /* done */
	CP_UNDOING,     /* not ready: the helper records why and switches back */
	CP_RELOADING,   /* switched back: a reload is to be asked (one is under way) */
	CP_RECOVERING,  /* reloaded: waiting for the entry to be ready on its old files */
	CP_ROLLED_BACK, /* done: ready on the deployment before */
	CP_FAILED,    /* done: the commit or the rollback did not work, or nothing to go back to */
	CP_CANCELLED, /* done: GEN was no longer the active pending one (by hand, or another update)
	               */
};
const char *commit_phase_name (enum commit_phase p);
bool commit_phase_final (enum commit_phase p);

/* ---- pure --------------------------------------------------------------- */

/* What PID 1 sees of the entry now. */
struct commit_view {
	bool exists; /* a unit of that name (not removed) */
	bool moved;  /* it runs the files waited for (GEN's; when recovering, the old ones) */
	enum unit_state state;
	const char *error; /* its last error, or NULL */
	uint64_t ready_ms; /* when it became ready (the unit's clock, ms) */
};

enum commit_verdict { CV_WAIT, CV_READY, CV_FAIL };

/* Ready (done, or ready for COMMIT_SETTLE_MS, or ready when the deadline
 * comes), failed, or wait.  *why (on CV_FAIL, malloc'd) in the words
 * keelctl prints after "deployment N ": "is failed: exited with status
 * 3", "was not ready within 4s (state running)".  On CV_WAIT, *wake_ms is
 * when to look again without an event (the settle time's end, else the
 * deadline). */
enum commit_verdict commit_judge (const struct commit_view *v, uint64_t now, uint64_t deadline_ms,
                                  unsigned timeout_s, uint64_t *wake_ms, char **why);

/* The words of a `pending` request checked: `pending NAME` (what became
 * of NAME's update) or `pending NAME GEN SECONDS` (watch it).  NAME by the
 * name rule (lib/name.h), GEN 1 to DEPLOY_MAX_GEN, SECONDS 1 to
 * COMMIT_MAX_SECONDS.  0, or -1 with *error (malloc'd, for "error: ..."). */
struct commit_args {
	const char *name;
	bool arm; /* the three-argument form */
	unsigned gen, seconds;
};
int commit_parse (size_t n, char **w, struct commit_args *a, char **error);

/* The helper's one-line report ("C", "R<prev>", "F", "N", "E<message>"). */
struct commit_report {
	char kind; /* 0: none or malformed */
	unsigned prev;
	const char *message; /* into the buffer, for E */
};
void commit_parse_report (char *buf, size_t len, struct commit_report *r);

/* ---- PID 1 --------------------------------------------------------------- */

struct sup;
/* The `pending` request (control.c): the reply, malloc'd. */
char *commit_request (struct sup *s, size_t n, char **w);
/* Each pass of the loop: look at the watched entries, start helpers, ask
 * for the rollback's reload, restart dependents; arm the deadline. */
void commit_step (struct sup *s);
void commit_free (struct sup *s);

/* `keel __commit commit|undo NAME CONTAINERS_D GEN [WHY]`: the helper. */
int commit_helper_main (int argc, char **argv);

#endif
