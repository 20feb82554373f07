/* Checkpoint and restore of a container's process tree by Debian's criu
 * binary.  keel execs `criu dump` / `criu restore` with command-line
 * options rather than speaking criu's RPC protocol (`criu swrk`, which
 * runc uses): the options are the same set, keel stays free of protobuf,
 * and a failure is criu's own first error line from its log file.
 *
 * What makes a container's tree restorable elsewhere, as runc arranges it:
 * the rootfs is criu's --root; every bind mount, masked file and device
 * node is an external mount (the key is its destination; restore maps it
 * back to its source); a network namespace joined by path is external
 * (`extRootNetNS`, passed back as an inherited fd); stdio pipes are
 * recorded in IMAGES/descriptors.json and inherited on restore. */
#ifndef KEEL_CRIU_H
#define KEEL_CRIU_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

#define CRIU_BIN "criu"

struct criu_opts {
	const char *image_path;  /* absolute; made if absent */
	const char *work_path;   /* absolute; NULL: image_path */
	const char *parent_path; /* --prev-images-dir, relative to image_path as criu reads it */
	const char *manage_cgroups_mode; /* soft|full|strict|ignore, NULL: criu's default */
	const char *page_server;         /* checkpoint --page-server ADDRESS:PORT, or NULL */
	bool leave_running, tcp_established, file_locks, ext_unix_sk, shell_job, pre_dump;
	bool auto_dedup;
	bool empty_netns; /* --empty-ns network: made empty, not restored */
};

/* Dump (or pre-dump) the tree of pid, the init of a container made from
 * spec.  Without leave_running (and without pre_dump) criu kills the tree
 * once its images are written. */
int criu_dump (const struct spec *spec, pid_t pid, const struct criu_opts *o,
               struct keel_error **err);

/* Restore the tree from o->image_path with root (a mount point holding the
 * container's rootfs) as its /.  The criu process is moved into cgroup_path
 * and the cgroup_v1 directories (when set) before it restores anything, so
 * the tree lands there; *pid gets the restored init's pid, which criu has
 * left running, detached from it.  A checkpoint of a terminal container
 * gets a new pty: *tty_master is its master (the caller's to send or
 * proxy), -1 without a terminal. */
int criu_restore (const struct spec *spec, const char *root, const char *cgroup_path,
                  const struct spec_strv *cgroup_v1, const struct criu_opts *o, pid_t *pid,
                  int *tty_master, struct keel_error **err);

/* The cause of a failure in the text of criu's log (malloc'd), or NULL
 * when it has no "Error (" line; the rule is in criu.c. */
char *criu_log_cause (const char *log);

#endif
