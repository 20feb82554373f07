/* Importing an image on the node: `keelctl update NAME SRC` where SRC is
 * an OCI image layout (a directory or a tar of one) or a `docker save`
 * archive (docs/deployments.md, "Importing an image on the node").
 *
 * The import runs in a container of its own, the importer bundle
 * (initramfs/importer/, keel-mkimage --importer), never in PID 1 nor in
 * keelctl: unpacking layers is a large attack surface driven by
 * untrusted input.  Three processes take part:
 *
 *   keelctl   makes a stage directory `.NAME.import.XXXXXX/` in
 *             containers.d with `work/request.json` (keel-import's
 *             arguments), asks PID 1 for the job, waits for the stage's
 *             `status`, then takes `work/out/NAME` out of the container's
 *             reach without following a link, checks it with PID 1's own
 *             code and hands it to the store (deploy_add).
 *   PID 1     checks the request's words (no file is touched: it never
 *             blocks), allows one job at a time, and starts the helper.
 *   helper    `keel __import ...`: checks the stage (a real directory of
 *             containers.d, work/ in it), writes the bundle's config.json
 *             into the stage with two binds (SRC read-only at /src, the
 *             stage's work/ at /work), runs it with keel's runtime within
 *             a deadline, and writes `status` (outside work/).
 */
#ifndef KEEL_INIT_IMPORTJOB_H
#define KEEL_INIT_IMPORTJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/deploy.h"
#include "init/options.h"
#include "lib/error.h"
#include "lib/util.h"

#define IMPORTJOB_HELPER_ROLE "__import"
#define IMPORTJOB_ID          "keel-import"
#define IMPORTJOB_TIMEOUT_MAX 86400

/* What SRC is. */
enum import_src {
	IMPORT_SRC_ENTRY,       /* an entry directory (config.json, rootfs/): copied as today */
	IMPORT_SRC_LAYOUT,      /* an OCI image layout directory (oci-layout, index.json) */
	IMPORT_SRC_OCI_ARCHIVE, /* a tar of an OCI image layout */
	IMPORT_SRC_DOCKER,      /* a `docker save` tar (manifest.json) */
};
const char *import_src_name (enum import_src k);

/* Tell what SRC is by looking at it (a tar's member names are read from
 * its headers, nothing is unpacked); -1 with the reason. */
int import_detect (const char *src, enum import_src *kind, struct keel_error **err);

/* SRC as the helper binds it: an absolute path without a link, each of
 * its directories writable by root only (a sticky one: the next
 * component root's), naming a directory or a regular file (*st); else -1
 * naming the component and why. */
struct stat;
int import_src_check (const char *src, struct stat *st, struct keel_error **err);

/* The PID 1 side of the `import` request (control.c): w[0] is "import";
 * `import` alone says whether a job runs, `import STAGE SRC SECONDS`
 * starts one.  The answer goes to b. */
void importjob_request (const struct init_opts *o, bool cgroups, char **w, size_t n, struct buf *b);

/* PID 1's hold on the running helper: pid, its pidfd (taken over) and the
 * CLOCK_MONOTONIC time in ms past which it is killed (the job's seconds
 * plus IMPORTJOB_GRACE_MS; importjob_request sets it when it starts one).
 * importjob_running says whether it still runs at now_ms: past the
 * deadline it sends SIGKILL, and IMPORTJOB_KILL_GRACE_MS after that it
 * gives up on a helper the kernel holds (logged on the console), so that
 * a later import can run; never blocks. */
#define IMPORTJOB_GRACE_MS      60000
#define IMPORTJOB_KILL_GRACE_MS 10000
void importjob_track (pid_t pid, int pidfd, uint64_t deadline_ms);
bool importjob_running (uint64_t now_ms);

/* `keel __import STATE_ROOT STAGE CGROUP_MANAGER CGROUP_PATH CONTAINERS_D
 * SRC IMPORTER SECONDS`: the helper PID 1 starts. */
int importjob_helper_main (int argc, char **argv);

/* What keelctl update passes on to the import. */
struct import_opts {
	const char *ref;  /* keel-import --ref, NULL: none */
	bool no_exports;  /* keel-import --no-exports: /exports ignored */
	unsigned timeout; /* seconds the importer may run */
};

/* keelctl: run the job for NAME from SRC with settings d->settings; on
 * success *staged is the entry's name in cdfd (a directory beside the
 * entries, ready for deploy_add) and *digest the image's manifest
 * digest. */
int importjob_run (const char *sock, int cdfd, const char *name, const char *src,
                   const struct deployment *d, const struct import_opts *o, char **staged,
                   char **digest, struct keel_error **err);

#endif
