/* A container's cgroup statistics and OOM notifications, for `events`.
 *
 * The statistics come out as the JSON of runc 1.1's types.Stats (the
 * "data" of a {"type":"stats"} event), read from the unified hierarchy on
 * a cgroup v2 host and from the v1 hierarchies (state.json's
 * cgroupV1Paths) on hybrid and legacy hosts, where the controllers are.
 */
#ifndef KEEL_CGROUP_STATS_H
#define KEEL_CGROUP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "runtime/container.h"

struct json_object;

/* cpu, memory, pids, blkio and hugetlb of st's cgroup as one JSON object
 * (runc's field names; a controller the container has no cgroup in is left
 * at its zero values, as runc leaves it). */
int cgroup_stats_json (const struct keel_state *st, struct json_object **out,
                       struct keel_error **err);

/* A file descriptor that becomes readable when the memory controller may
 * have seen an OOM: a v1 eventfd registered on memory.oom_control through
 * cgroup.event_control, or an inotify watch on v2's memory.events. */
struct cgroup_oom_watch {
	int fd;
	bool v1;
	char *events_path; /* v2: memory.events */
	uint64_t seen;     /* v2: the oom_kill count already reported */
};
int cgroup_oom_watch_open (const struct keel_state *st, struct cgroup_oom_watch *w,
                           struct keel_error **err);
/* After fd polled readable (or to drain it): *n gets the OOMs since the
 * last call (0 for a spurious wake-up). */
int cgroup_oom_watch_read (struct cgroup_oom_watch *w, uint64_t *n, struct keel_error **err);
void cgroup_oom_watch_close (struct cgroup_oom_watch *w);

#endif
