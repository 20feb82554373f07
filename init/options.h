/* PID 1's settings: from `keel init` arguments (main.c) and, when booting,
 * from keel.* options on the kernel command line (cmdline.c). */
#ifndef KEEL_INIT_OPTIONS_H
#define KEEL_INIT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

#define INIT_MAX_SKIP 32
#define INIT_MAX_DNS  3 /* resolvers read at most 3 nameserver lines (MAXNS) */

struct init_opts {
	bool boot;        /* mount the world, switch root, reboot at the end */
	bool boot_forced; /* --boot / --no-boot given explicitly */
	bool debug;
	char *dir;          /* containers.d */
	char *runtime_root; /* runtime state (keel-runtime --root) */
	char *state;        /* keel.sock, notify sockets */
	char *cgroup_root;  /* containers go to CGROUP_ROOT/NAME (relative to the unified root) */
	char *importer;     /* the importer bundle (init/importjob.h) */
	char *console;      /* NULL: stdout (the kernel's /dev/console when PID 1) */
	char *shell;        /* emergency shell, run on the console when the boot fails */
	char *hostname;
	char *dns; /* keel.dns=: 1-3 comma-separated IP addresses, validated */
	char *skip[INIT_MAX_SKIP];
	size_t n_skip;
	unsigned watchdog_secs; /* hardware watchdog timeout, 0: off (watchdog.h) */
	bool watchdog_set;      /* keel.watchdog= given: wins over /etc/keel/watchdog */
	bool store_off;         /* keel.store=off: the initramfs's containers.d (store.h) */
	char *slots;     /* keel.slots=: the A/B boot disk (a /dev path or LABEL=...; slot.h) */
	char slot;       /* keel.slot=A|B: the slot this boot came from (0: none) */
	bool slot_trial; /* keel.slot.trial: that slot is not marked good yet */
	unsigned slot_timeout_secs; /* keel.slot.timeout=: a trial not marked by then reboots */
};

#define INIT_DEFAULT_DIR         "/containers.d"
#define INIT_DEFAULT_STATE       "/run/keel"
#define INIT_DEFAULT_CGROUP_ROOT "keel/containers"
#define INIT_DEFAULT_IMPORTER    "/usr/lib/keel/importer"

#define INIT_DEFAULT_SLOT_TIMEOUT 600 /* seconds; slot.h */

void init_opts_defaults (struct init_opts *o);
void init_opts_free (struct init_opts *o);
bool init_opts_skipped (const struct init_opts *o, const char *name);
/* Add comma-separated names to the skip list. */
int init_opts_add_skip (struct init_opts *o, const char *list, struct keel_error **err);

/* Apply keel.* options from a kernel command line (the text of
 * /proc/cmdline).  Unknown keel.* options are reported in *warn (one
 * line, malloc'd) but are not fatal: a typo on the command line must not
 * stop the boot. */
int cmdline_apply (struct init_opts *o, const char *cmdline, char **warn, struct keel_error **err);

#endif
