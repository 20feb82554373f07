/* cgroup v1 for containers on legacy and hybrid hosts; see cgroup-v1.h.
 *
 * The mapping of linux.resources onto v1 files is runc's (libcontainer's
 * fs driver): memory.limit_in_bytes, memory.memsw.limit_in_bytes, cpu.shares,
 * cpu.cfs_quota_us, pids.max, blkio.*, hugetlb.*.limit_in_bytes,
 * net_cls.classid, net_prio.ifpriomap, devices.allow/deny.  What no mounted
 * hierarchy can take is refused with the field's JSON path, never dropped.
 */
#include "runtime/cgroup-v1.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mountinfo.h"
#include "lib/util.h"
#include "runtime/cgroup.h"

/* How long freeze waits for freezer.state, and destroy for the last
 * processes to leave (v1 has no event to wait for, so both poll). */
#define V1_FREEZE_TIMEOUT_MS 10000
#define V1_RMDIR_TIMEOUT_MS  1000

/* ---- the hierarchies ----------------------------------------------------- */

/* One mounted v1 hierarchy: where, and its controllers ("cpu", "cpuacct",
 * or "name=systemd" for a named one without controllers). */
struct hier {
	char *mnt;
	size_t mnt_len; /* strlen (mnt): hier_of compares it for every path */
	char *root; /* the cgroup mounted there: "/" unless a sub-tree is bound */
	struct spec_strv ctl;
};

static struct hier *hiers;
static size_t n_hiers;
static bool v2_on_sys_fs_cgroup;
static bool v1_loaded;

static bool is_mount_option (const char *tok)
{
	static const char *const opts[] = {
	        "rw",           "ro",  "noprefix", "clone_children", "xattr", "cpuset_v2_mode",
	        "favordynmods", "none"};

	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (strcmp (tok, opts[i]) == 0)
			return true;
	return strncmp (tok, "release_agent=", 14) == 0;
}

static bool hier_has (const struct hier *h, const char *ctl)
{
	for (size_t i = 0; i < h->ctl.n; i++)
		if (strcmp (h->ctl.v[i], ctl) == 0)
			return true;
	return false;
}

/* The controllers of a v1 mount from its super options ("rw,cpu,cpuacct"). */
static void parse_controllers (const char *super, struct spec_strv *out)
{
	cleanup_free char *copy = xstrdup (super);
	char *save = NULL, *tok;
	size_t n = 1;

	for (const char *p = super; *p; p++)
		n += *p == ',';
	out->v = xmalloc0 ((n + 1) * sizeof (char *));
	out->n = 0;
	for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
		if (!is_mount_option (tok))
			out->v[out->n++] = xstrdup (tok);
}

static bool same_set (const struct spec_strv *a, const struct spec_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;

		for (size_t j = 0; j < b->n && !found; j++)
			found = strcmp (a->v[i], b->v[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static int collect_hier (const struct mountinfo *m, void *data)
{
	struct spec_strv ctl;
	struct hier *nh;

	(void)data;
	cgroup_unified_note (m);
	if (strcmp (m->fstype, "cgroup2") == 0 && strcmp (m->mountpoint, "/sys/fs/cgroup") == 0)
		v2_on_sys_fs_cgroup = true;
	if (strcmp (m->fstype, "cgroup") != 0)
		return 0;
	parse_controllers (m->super_options, &ctl);
	/* A hierarchy bind-mounted twice is one hierarchy: the first mount
	 * (parents come first in mountinfo) is used, unless a later one is
	 * on top of it at the same place, where it is the one paths reach. */
	for (size_t i = 0; i < n_hiers; i++)
		if (same_set (&hiers[i].ctl, &ctl)) {
			if (strcmp (hiers[i].mnt, m->mountpoint) == 0) {
				free (hiers[i].root);
				hiers[i].root = xstrdup (m->root);
			}
			cgroup_v1_paths_free (&ctl);
			return 0;
		}
	if (ctl.n == 0) {
		cgroup_v1_paths_free (&ctl);
		return 0;
	}
	nh = realloc (hiers, (n_hiers + 1) * sizeof *hiers);
	if (nh == NULL)
		abort ();
	hiers = nh;
	hiers[n_hiers].mnt = xstrdup (m->mountpoint);
	hiers[n_hiers].mnt_len = strlen (m->mountpoint);
	hiers[n_hiers].root = xstrdup (m->root);
	hiers[n_hiers].ctl = ctl;
	n_hiers++;
	return 0;
}

void cgroup_v1_load (void)
{
	struct keel_error *err = NULL;

	if (v1_loaded)
		return;
	v1_loaded = true;
	if (mountinfo_foreach_fstype ("/proc/self/mountinfo", "cgroup", collect_hier, NULL, &err) <
	    0) {
		keel_debug ("cgroup: %s", err->msg);
		keel_error_release (&err);
	}
}

/* cgroup2 mounted on /sys/fs/cgroup (what path lookups reach there, so
 * the mount on top): a pure v2 host, told by one statfs(2), without
 * reading mountinfo (four system calls, and parsing it was a tenth of a
 * runtime's instructions before it makes a container).  Once mountinfo
 * is read (a hybrid host), what it said; a yes is kept, a no is asked
 * again until then (PID 1 asks before it has mounted cgroup2). */
bool cgroup_v2_on_sys_fs_cgroup (void)
{
	static bool yes;
	struct statfs fs;

	if (!yes && v1_loaded)
		return v2_on_sys_fs_cgroup;
	if (!yes)
		yes = statfs ("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
	return yes;
}

enum cgroup_mode cgroup_mode (void)
{
	bool controllers = false;

	if (cgroup_v2_on_sys_fs_cgroup ())
		return CGROUP_MODE_UNIFIED;
	cgroup_v1_load ();
	for (size_t i = 0; i < n_hiers; i++)
		for (size_t j = 0; j < hiers[i].ctl.n; j++)
			controllers |= strncmp (hiers[i].ctl.v[j], "name=", 5) != 0;
	if (v2_on_sys_fs_cgroup || !controllers)
		return CGROUP_MODE_UNIFIED;
	return cgroup_unified_root () != NULL ? CGROUP_MODE_HYBRID : CGROUP_MODE_LEGACY;
}

/* The hierarchy a container directory belongs to (its mount point is the
 * longest prefix), or NULL. */
static const struct hier *hier_of (const char *path)
{
	const struct hier *best = NULL;
	size_t best_len = 0, plen = strlen (path);

	cgroup_v1_load ();
	for (size_t i = 0; i < n_hiers; i++) {
		size_t len = hiers[i].mnt_len;

		/* the cheap tests first: this runs for every path of every
		 * hierarchy, nine by nine on a hybrid host */
		if (len < plen && path[len] == '/' && len > best_len &&
		    memcmp (path, hiers[i].mnt, len) == 0) {
			best = &hiers[i];
			best_len = len;
		}
	}
	return best;
}

const char *cgroup_v1_mountpoint (size_t i)
{
	cgroup_v1_load ();
	return i < n_hiers ? hiers[i].mnt : NULL;
}

/* A path from state.json is acted on only inside a mounted hierarchy:
 * never rmdir or write somewhere else because the file says so. */
static int check_in_hier (const char *path, struct keel_error **err)
{
	if (path[0] == '/' && strstr (path, "/../") == NULL && hier_of (path) != NULL)
		return 0;
	return keel_error (err, 0, "cgroup: `%s` is in no mounted cgroup v1 hierarchy", path);
}

/* The directory of ctl among the container's paths, or NULL. */
static const char *path_for (const struct spec_strv *paths, const char *ctl)
{
	for (size_t i = 0; i < paths->n; i++) {
		const struct hier *h = hier_of (paths->v[i]);

		if (h != NULL && hier_has (h, ctl))
			return paths->v[i];
	}
	return NULL;
}

static bool ctl_mounted (const char *ctl)
{
	cgroup_v1_load ();
	for (size_t i = 0; i < n_hiers; i++)
		if (hier_has (&hiers[i], ctl))
			return true;
	return false;
}

enum cgroup_devices_via cgroup_devices_via (enum cgroup_mode mode)
{
	if (mode == CGROUP_MODE_UNIFIED)
		return CGROUP_DEVICES_BPF;
	if (ctl_mounted ("devices"))
		return CGROUP_DEVICES_V1;
	return mode == CGROUP_MODE_HYBRID ? CGROUP_DEVICES_BPF : CGROUP_DEVICES_NONE;
}

enum cgroup_devices_via cgroup_devices_via_container (const struct spec_strv *paths,
                                                      const char *cgroup_path)
{
	struct statfs fs;

	if (path_for (paths, "devices") != NULL)
		return CGROUP_DEVICES_V1;
	/* By the filesystem, not by the path: a legacy container's handle is
	 * its first v1 directory. */
	if (cgroup_path != NULL && statfs (cgroup_path, &fs) == 0 &&
	    fs.f_type == CGROUP2_SUPER_MAGIC)
		return CGROUP_DEVICES_BPF;
	return CGROUP_DEVICES_NONE;
}

/* ---- path resolution ----------------------------------------------------- */

/* The caller's own cgroup in hierarchy h, from a "N:cpu,cpuacct:/path"
 * line of /proc/self/cgroup. */
static int own_cgroup_in (const struct hier *h, char **out, struct keel_error **err)
{
	cleanup_free char *content = NULL;
	char *line, *save = NULL;
	int ret;

	ret = read_file ("/proc/self/cgroup", 0, &content, NULL, err);
	if (ret < 0)
		return ret;
	for (line = strtok_r (content, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		char *ctls = strchr (line, ':'), *path;
		struct spec_strv set;
		bool match;

		if (ctls == NULL || (path = strchr (ctls + 1, ':')) == NULL)
			continue;
		*path++ = '\0';
		parse_controllers (ctls + 1, &set);
		match = same_set (&set, &h->ctl);
		cgroup_v1_paths_free (&set);
		if (match) {
			*out = xstrdup (path);
			return 0;
		}
	}
	return keel_error (err, 0,
	                   "cgroup: no entry for the %s hierarchy (%s) in /proc/self/cgroup",
	                   h->ctl.v[0], h->mnt);
}

/* The caller's own cgroup in hierarchy h, as the mount shows it.  Where
 * only a sub-tree is mounted (a runtime in a container that got its own
 * cgroup bound), /proc/self/cgroup still names the full path: the mount
 * shows it without the root, and nothing above the root is reachable. */
static int own_under_mount (const void *arg, char **out, struct keel_error **err)
{
	const struct hier *h = arg;
	cleanup_free char *own = NULL;
	size_t rlen = strlen (h->root);
	int ret;

	ret = own_cgroup_in (h, &own, err);
	if (ret < 0)
		return ret;
	if (strcmp (h->root, "/") != 0 && strncmp (own, h->root, rlen) == 0 &&
	    (own[rlen] == '/' || own[rlen] == '\0'))
		*out = xstrdup (own + rlen);
	else
		*out = steal_ptr (&own);
	return 0;
}

/* ---- writing files ------------------------------------------------------- */

/* A file the kernel may lack (an option not built in, a removed feature):
 * an error naming the config field that asked for it. */
static int need_file (const char *dir, const char *file, const char *field, struct keel_error **err)
{
	if (cg_exists (dir, file))
		return 0;
	return keel_error (err, 0, "cgroup: %s: this kernel has no %s (in %s)", field, file, dir);
}

static int read_trimmed (const char *dir, const char *file, char **out, struct keel_error **err)
{
	return cg_read_value (-1, dir, file, out, err);
}

/* ---- resources ----------------------------------------------------------- */

static int need_ctl (const char *ctl, const char *field, struct keel_error **err)
{
	if (ctl_mounted (ctl))
		return 0;
	return keel_error (err, 0,
	                   "cgroup: %s: the \"%s\" controller is not mounted (cgroup v1 host)",
	                   field, ctl);
}

/* Before anything is made: every resource has a mounted controller, and
 * what v1 cannot take at all is refused. */
static int validate (const struct spec_resources *res, struct keel_error **err)
{
	const struct spec_memory *m = &res->memory;
	const struct spec_cpu *c = &res->cpu;
	int ret = 0;

	if (res->unified.n > 0)
		return keel_error (err, 0,
		                   "cgroup: linux.resources.unified: cgroup v2 files, but the "
		                   "controllers of this host are on cgroup v1");
	if (res->has_memory && m->has_swappiness && m->swappiness > 100)
		return keel_error (err, 0,
		                   "cgroup: linux.resources.memory.swappiness: %" PRIu64
		                   " is not in 0..100",
		                   m->swappiness);
	if (res->has_memory && (m->has_kernel || m->has_kernel_tcp))
		keel_debug (
		        "cgroup: memory.kernel/kernelTCP are deprecated and ignored (runc 1.1)");
	if (res->has_memory && cg_memory_set (m))
		ret = need_ctl ("memory", "linux.resources.memory", err);
	if (ret == 0 && res->has_cpu && cg_cpu_set (c))
		ret = need_ctl ("cpu", "linux.resources.cpu", err);
	if (ret == 0 && res->has_cpu && (c->cpus != NULL || c->mems != NULL))
		ret = need_ctl ("cpuset", "linux.resources.cpu.cpus/mems", err);
	if (ret == 0 && res->has_pids)
		ret = need_ctl ("pids", "linux.resources.pids", err);
	if (ret == 0 && res->has_blkio && cg_blkio_set (&res->blkio))
		ret = need_ctl ("blkio", "linux.resources.blockIO", err);
	if (ret == 0 && res->n_hugepage_limits > 0)
		ret = need_ctl ("hugetlb", "linux.resources.hugepageLimits", err);
	if (ret == 0 && res->has_network && res->has_class_id)
		ret = need_ctl ("net_cls", "linux.resources.network.classID", err);
	if (ret == 0 && res->has_network && res->n_net_priorities > 0)
		ret = need_ctl ("net_prio", "linux.resources.network.priorities", err);
	if (ret == 0 && res->n_devices > 0)
		ret = need_ctl ("devices", "linux.resources.devices", err);
	if (ret == 0 && res->n_rdma > 0)
		ret = need_ctl ("rdma", "linux.resources.rdma", err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < res->n_hugepage_limits; i++)
		if (!cg_safe_file_name (res->hugepage_limits[i].page_size))
			return keel_error (err, 0,
			                   "cgroup: linux.resources.hugepageLimits[%zu]: invalid "
			                   "pageSize `%s`",
			                   i, res->hugepage_limits[i].page_size);
	for (size_t i = 0; i < res->n_net_priorities; i++)
		if (res->net_priorities[i].name == NULL || res->net_priorities[i].name[0] == '\0' ||
		    strpbrk (res->net_priorities[i].name, " \t\n") != NULL)
			return keel_error (
			        err, 0,
			        "cgroup: linux.resources.network.priorities[%zu]: invalid "
			        "interface name",
			        i);
	for (size_t i = 0; i < res->n_rdma; i++)
		if (res->rdma[i].device == NULL || res->rdma[i].device[0] == '\0' ||
		    strpbrk (res->rdma[i].device, " \t\n=") != NULL)
			return keel_error (err, 0,
			                   "cgroup: linux.resources.rdma: invalid device `%s`",
			                   res->rdma[i].device ? res->rdma[i].device : "");
	return 0;
}

static int write_mem (const char *dir, const char *file, int64_t v, struct keel_error **err)
{
	/* v1 takes -1 for "no limit". */
	return cg_writef (dir, file, err, "%" PRId64, v < 0 ? (int64_t)-1 : v);
}

/* runc's order: memory+swap must never be below memory, so when the new
 * memory+swap is above the current memory limit (or unlimited) it goes
 * first, else memory goes first. */
static int apply_memory (const char *dir, const struct spec_memory *m, struct keel_error **err)
{
	int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;
	bool swap_first = false;
	int ret;

	if (limit == -1 && swap == 0)
		swap = -1; /* unlimited memory: unlimited memory+swap too */
	if (swap != 0 && !cg_exists (dir, "memory.memsw.limit_in_bytes")) {
		if (swap != -1)
			return keel_error (
			        err, 0,
			        "cgroup: linux.resources.memory.swap: no swap accounting "
			        "(no memory.memsw.limit_in_bytes in %s)",
			        dir);
		swap = 0; /* unlimited is what there is without accounting */
	}
	if (limit != 0 && swap != 0) {
		cleanup_free char *cur = NULL;
		unsigned long long cur_limit = 0;

		ret = read_trimmed (dir, "memory.limit_in_bytes", &cur, err);
		if (ret < 0)
			return ret;
		if (!parse_uint64 (cur, &cur_limit))
			cur_limit = ULLONG_MAX;
		swap_first = swap == -1 || cur_limit < (unsigned long long)swap;
	}
	if (swap_first) {
		ret = write_mem (dir, "memory.memsw.limit_in_bytes", swap, err);
		if (ret < 0)
			return ret;
	}
	if (limit != 0) {
		ret = write_mem (dir, "memory.limit_in_bytes", limit, err);
		if (ret < 0)
			return ret;
	}
	if (!swap_first && swap != 0) {
		ret = write_mem (dir, "memory.memsw.limit_in_bytes", swap, err);
		if (ret < 0)
			return ret;
	}
	if (m->has_reservation && m->reservation != 0) {
		ret = write_mem (dir, "memory.soft_limit_in_bytes", m->reservation, err);
		if (ret < 0)
			return ret;
	}
	if (m->disable_oom_killer) {
		ret = cg_write (dir, "memory.oom_control", "1", err);
		if (ret < 0)
			return ret;
	}
	if (m->has_swappiness) {
		ret = cg_writef (dir, "memory.swappiness", err, "%" PRIu64, m->swappiness);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int write_period_quota (const char *dir, const struct spec_cpu *c, bool period_first,
                               struct keel_error **err)
{
	for (int pass = 0; pass < 2; pass++) {
		bool period = (pass == 0) == period_first;
		int ret = 0;

		if (period && c->has_period && c->period != 0)
			ret = cg_writef (dir, "cpu.cfs_period_us", err, "%" PRIu64, c->period);
		else if (!period && c->has_quota && c->quota != 0)
			ret = cg_writef (dir, "cpu.cfs_quota_us", err, "%" PRId64,
			                 c->quota < 0 ? (int64_t)-1 : c->quota);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* cpu.rt_period_us and cpu.rt_runtime_us limit each other (runtime <=
 * period, checked at each write): a period below the current runtime is
 * EINVAL until the runtime is lowered, so when both are given and the
 * period is refused, the runtime goes first and the period after it
 * (runc's order).  0 leaves either as it is, as runc. */
static int write_rt (const char *dir, const struct spec_cpu *c, struct keel_error **err)
{
	bool period = c->has_rt_period && c->rt_period != 0;
	bool runtime = c->has_rt_runtime && c->rt_runtime != 0;
	bool period_later = false;
	int ret;

	if (period) {
		ret = need_file (dir, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod",
		                 err);
		if (ret == 0)
			ret = cg_writef (dir, "cpu.rt_period_us", err, "%" PRIu64, c->rt_period);
		if (ret < 0 && runtime && (*err)->status == EINVAL) {
			keel_error_release (err);
			period_later = true;
		} else if (ret < 0) {
			return ret;
		}
	}
	if (runtime) {
		ret = need_file (dir, "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime",
		                 err);
		if (ret == 0)
			ret = cg_writef (dir, "cpu.rt_runtime_us", err, "%" PRId64, c->rt_runtime);
		if (ret < 0)
			return ret;
	}
	if (period_later)
		return cg_writef (dir, "cpu.rt_period_us", err, "%" PRIu64, c->rt_period);
	return 0;
}

static int apply_cpu (const char *dir, const struct spec_cpu *c, struct keel_error **err)
{
	int ret;

	if (c->has_shares && c->shares != 0) {
		ret = cg_writef (dir, "cpu.shares", err, "%" PRIu64, c->shares);
		if (ret < 0)
			return ret;
	}
	/* The kernel checks each write against the other value and the
	 * parent's limit (a pod's quota): the period first suits most
	 * changes, the quota first a lower quota with a lower period under
	 * a limited parent.  Try one order, then the other (runc too). */
	ret = write_period_quota (dir, c, true, err);
	if (ret < 0 && (*err)->status == EINVAL) {
		keel_error_release (err);
		ret = write_period_quota (dir, c, false, err);
	}
	if (ret < 0)
		return ret;
	if (c->has_burst) {
		ret = need_file (dir, "cpu.cfs_burst_us", "linux.resources.cpu.burst", err);
		if (ret == 0)
			ret = cg_writef (dir, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst);
		if (ret < 0)
			return ret;
	}
	if ((ret = write_rt (dir, c, err)) < 0)
		return ret;
	if (c->has_idle) {
		ret = need_file (dir, "cpu.idle", "linux.resources.cpu.idle", err);
		if (ret == 0)
			ret = cg_writef (dir, "cpu.idle", err, "%" PRId64, c->idle);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int apply_cpuset (const char *dir, const struct spec_cpu *c, struct keel_error **err)
{
	int ret = 0;

	if (c->cpus != NULL && c->cpus[0] != '\0')
		ret = cg_write (dir, "cpuset.cpus", c->cpus, err);
	if (ret == 0 && c->mems != NULL && c->mems[0] != '\0')
		ret = cg_write (dir, "cpuset.mems", c->mems, err);
	return ret;
}

/* Which number of a blockIO device entry a per-device file takes. */
enum blkio_value { BLKIO_WEIGHT, BLKIO_LEAF_WEIGHT, BLKIO_RATE };

/* One "MAJOR:MINOR VALUE" write per device; an entry without that value
 * (a weightDevice with only a leafWeight) is skipped. */
static int write_devices (const char *dir, const char *file, const struct spec_blkio_device *d,
                          size_t n, enum blkio_value what, struct keel_error **err)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		int ret;

		if ((what == BLKIO_WEIGHT && !d[i].has_weight) ||
		    (what == BLKIO_LEAF_WEIGHT && !d[i].has_leaf_weight))
			continue;
		v = what == BLKIO_WEIGHT        ? d[i].weight
		    : what == BLKIO_LEAF_WEIGHT ? d[i].leaf_weight
		                                : d[i].rate;
		ret = cg_writef (dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major,
		                 d[i].minor, v);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int apply_blkio (const char *dir, const struct spec_blkio *b, struct keel_error **err)
{
	/* CFQ's blkio.weight is gone from current kernels; BFQ's takes the same
	 * range (runc picks the same way). */
	const char *weight = cg_exists (dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
	cleanup_free char *weight_device = xasprintf ("%s_device", weight);
	int ret = 0;

	if ((b->has_weight && b->weight != 0) || b->n_weight_device > 0)
		ret = need_file (dir, weight, "linux.resources.blockIO.weight", err);
	if (ret == 0 && b->has_weight && b->weight != 0)
		ret = cg_writef (dir, weight, err, "%u", (unsigned)b->weight);
	if (ret == 0 && b->has_leaf_weight && b->leaf_weight != 0) {
		ret = need_file (dir, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight",
		                 err);
		if (ret == 0)
			ret = cg_writef (dir, "blkio.leaf_weight", err, "%u",
			                 (unsigned)b->leaf_weight);
	}
	if (ret == 0)
		ret = write_devices (dir, weight_device, b->weight_device, b->n_weight_device,
		                     BLKIO_WEIGHT, err);
	for (size_t i = 0; ret == 0 && i < b->n_weight_device; i++)
		if (b->weight_device[i].has_leaf_weight) {
			ret = need_file (dir, "blkio.leaf_weight_device",
			                 "linux.resources.blockIO.weightDevice[].leafWeight", err);
			if (ret == 0)
				ret = write_devices (dir, "blkio.leaf_weight_device",
				                     b->weight_device, b->n_weight_device,
				                     BLKIO_LEAF_WEIGHT, err);
			break;
		}
	if (ret == 0)
		ret = write_devices (dir, "blkio.throttle.read_bps_device", b->throttle_read_bps,
		                     b->n_throttle_read_bps, BLKIO_RATE, err);
	if (ret == 0)
		ret = write_devices (dir, "blkio.throttle.write_bps_device", b->throttle_write_bps,
		                     b->n_throttle_write_bps, BLKIO_RATE, err);
	if (ret == 0)
		ret = write_devices (dir, "blkio.throttle.read_iops_device", b->throttle_read_iops,
		                     b->n_throttle_read_iops, BLKIO_RATE, err);
	if (ret == 0)
		ret = write_devices (dir, "blkio.throttle.write_iops_device",
		                     b->throttle_write_iops, b->n_throttle_write_iops, BLKIO_RATE,
		                     err);
	return ret;
}

static int apply_hugetlb (const char *dir, const struct spec_resources *res,
                          struct keel_error **err)
{
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
		cleanup_free char *file = xasprintf ("hugetlb.%s.limit_in_bytes", h->page_size);
		int ret;

		if (!cg_exists (dir, file))
			return keel_error (err, 0,
			                   "cgroup: linux.resources.hugepageLimits[%zu]: page size "
			                   "`%s` is not supported (no %s in %s)",
			                   i, h->page_size, file, dir);
		ret = cg_writef (dir, file, err, "%" PRIu64, h->limit);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int apply_net_prio (const char *dir, const struct spec_resources *res,
                           struct keel_error **err)
{
	for (size_t i = 0; i < res->n_net_priorities; i++) {
		int ret = cg_writef (dir, "net_prio.ifpriomap", err, "%s %" PRIu32,
		                     res->net_priorities[i].name, res->net_priorities[i].priority);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* What every container may use, after the config's rules as on cgroup v2
 * (cgroup-devices.c) and as runc appends them: mknod of anything, null,
 * zero, full, random, urandom, tty, console, ptmx, pts/N. */
static const char *const default_devices[] = {
        "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
        "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

static void dev_num (char *buf, size_t size, int64_t n)
{
	if (n < 0)
		snprintf (buf, size, "*");
	else
		snprintf (buf, size, "%" PRId64, n);
}

/* devices.deny and devices.allow, each opened once for all the rules
 * written to it: the kernel takes every write(2) to a cgroup file as one
 * rule, whatever the file offset, so this is the same as opening the file
 * per rule (as cg_write does) without a path walk and a kernfs open and
 * release for each of the ~12 rules of a container. */
struct dev_files {
	const char *dir;
	int fd[2]; /* [0] devices.deny, [1] devices.allow */
};

static int dev_rule (struct dev_files *f, bool allow, const char *rule, struct keel_error **err)
{
	const char *file = allow ? "devices.allow" : "devices.deny";
	int *fd = &f->fd[allow];

	keel_debug ("cgroup: %s/%s = %s", f->dir, file, rule);
	if (*fd < 0) {
		cleanup_free char *path = xasprintf ("%s/%s", f->dir, file);

		*fd = open (path, O_WRONLY | O_CLOEXEC);
		if (*fd < 0) {
			keel_error (err, errno, "open `%s`", path);
			return keel_error_wrap (err, "cgroup: set %s to \"%s\"", file, rule);
		}
	}
	if (write_all (*fd, rule, strlen (rule), err) < 0) {
		keel_error_wrap (err, "`%s/%s`", f->dir, file);
		return keel_error_wrap (err, "cgroup: set %s to \"%s\"", file, rule);
	}
	return 0;
}

static int dev_files_close (struct dev_files *f, int ret, struct keel_error **err)
{
	for (int i = 0; i < 2; i++) {
		if (f->fd[i] >= 0 && close (f->fd[i]) < 0 && ret == 0)
			ret = keel_error (err, errno, "close `%s/%s`", f->dir,
			                  i ? "devices.allow" : "devices.deny");
		f->fd[i] = -1;
	}
	return ret;
}

/* v1's device controller is a list: "a" in devices.deny empties it and
 * denies everything, then each rule adds (allow) or removes (deny) an
 * entry, so the rules apply in order as on v2. */
static int apply_devices (const char *dir, const struct spec_resources *res,
                          struct keel_error **err)
{
	struct dev_files f = {.dir = dir, .fd = {-1, -1}};
	int ret = dev_rule (&f, false, "a", err);
	/* Nothing allowed since the last "a" denied: another deny of "a"
	 * (every config's first rule, runc's default spec's only one) would
	 * change nothing, and is not written. */
	bool all_denied = true;

	for (size_t i = 0; ret == 0 && i < res->n_devices; i++) {
		const struct spec_device_rule *r = &res->devices[i];
		char access[4] = "", maj[24], min[24], rule[64];
		size_t n = 0;

		/* Other letters were warned about when the config was read
		 * (spec-resources.c); devices.allow refuses them. */
		for (const char *a = r->access && *r->access ? r->access : "rwm"; *a; a++)
			if ((*a == 'r' || *a == 'w' || *a == 'm') && strchr (access, *a) == NULL)
				access[n++] = *a;
		if (n == 0) {
			ret = keel_error (err, 0,
			                  "cgroup: linux.resources.devices[%zu].access: none of "
			                  "r, w, m",
			                  i);
			break;
		}
		if (r->type == 'a' || r->type == '\0') {
			/* "a" is every device and every access: a rule for
			 * all types is the whole list. */
			if (!r->allow && all_denied)
				continue;
			ret = dev_rule (&f, r->allow, "a", err);
			all_denied = !r->allow;
			continue;
		}
		dev_num (maj, sizeof maj, r->major);
		dev_num (min, sizeof min, r->minor);
		snprintf (rule, sizeof rule, "%c %s:%s %s", r->type, maj, min, access);
		ret = dev_rule (&f, r->allow, rule, err);
		all_denied = all_denied && !r->allow;
	}
	for (size_t i = 0; ret == 0 && i < sizeof default_devices / sizeof default_devices[0]; i++)
		ret = dev_rule (&f, true, default_devices[i], err);
	return dev_files_close (&f, ret, err);
}

/* Write the parts of res that hierarchy h's controllers take into dir. */
static int apply_in (const struct hier *h, const char *dir, const struct spec_resources *res,
                     struct keel_error **err)
{
	int ret = 0;

	if (hier_has (h, "memory") && res->has_memory)
		ret = apply_memory (dir, &res->memory, err);
	if (ret == 0 && hier_has (h, "cpu") && res->has_cpu)
		ret = apply_cpu (dir, &res->cpu, err);
	if (ret == 0 && hier_has (h, "cpuset") && res->has_cpu)
		ret = apply_cpuset (dir, &res->cpu, err);
	if (ret == 0 && hier_has (h, "pids") && res->has_pids) {
		if (res->pids_limit > 0)
			ret = cg_writef (dir, "pids.max", err, "%" PRId64, res->pids_limit);
		else
			ret = cg_write (dir, "pids.max", "max", err);
	}
	if (ret == 0 && hier_has (h, "blkio") && res->has_blkio)
		ret = apply_blkio (dir, &res->blkio, err);
	if (ret == 0 && hier_has (h, "hugetlb"))
		ret = apply_hugetlb (dir, res, err);
	if (ret == 0 && hier_has (h, "net_cls") && res->has_network && res->has_class_id)
		ret = cg_writef (dir, "net_cls.classid", err, "%" PRIu32, res->class_id);
	if (ret == 0 && hier_has (h, "net_prio") && res->has_network)
		ret = apply_net_prio (dir, res, err);
	if (ret == 0 && hier_has (h, "rdma"))
		ret = cg_apply_rdma (dir, res, err);
	if (ret == 0 && hier_has (h, "devices") && res->n_devices > 0)
		ret = apply_devices (dir, res, err);
	return ret;
}

int cgroup_v1_devices_default (const struct spec_strv *paths, struct keel_error **err)
{
	const struct spec_resources none = {0};
	bool applied = false;
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < paths->n; i++) {
		const struct hier *h = hier_of (paths->v[i]);

		if (h == NULL)
			return keel_error (err, 0, "cgroup: `%s` is in no mounted v1 hierarchy",
			                   paths->v[i]);
		if (hier_has (h, "devices")) {
			ret = apply_devices (paths->v[i], &none, err);
			applied = true;
		}
	}
	if (ret == 0 && !applied)
		return keel_error (err, 0,
		                   "cgroup: no device filter: none of the container's v1 cgroups "
		                   "is in a hierarchy with the devices controller");
	return ret;
}

int cgroup_v1_apply_resources (const struct spec_strv *paths, const struct spec_resources *res,
                               struct keel_error **err)
{
	int ret;

	if (res == NULL)
		return 0;
	ret = validate (res, err);
	for (size_t i = 0; ret == 0 && i < paths->n; i++) {
		const struct hier *h = hier_of (paths->v[i]);

		if (h == NULL)
			return keel_error (err, 0, "cgroup: `%s` is in no mounted v1 hierarchy",
			                   paths->v[i]);
		ret = apply_in (h, paths->v[i], res, err);
	}
	return ret;
}

/* ---- create, enter ------------------------------------------------------- */

/* What cpuset_inherit found (or wrote) at the level above: the next
 * level's parent, so its cpus and mems are not read a second time a few
 * system calls later (two kernfs opens of every create). */
struct cpuset_memo {
	const char *mnt; /* the hierarchy's mount point: its cpus are never empty */
	char *dir;
	char *val[2];
};

static void cpuset_memo_free (struct cpuset_memo *m)
{
	free (m->dir);
	free (m->val[0]);
	free (m->val[1]);
	m->dir = m->val[0] = m->val[1] = NULL;
}

/* A new cpuset cgroup starts with no cpus and no mems, and no task can
 * join it then: give it its parent's (what the kernel's clone_children
 * does, which is off by default).  fresh: dir was just made, so it is
 * not read first: it is empty, or has its parent's already (with
 * clone_children), and the parent's is what is written either way.  A
 * parent found empty (made by something that did not fill it) is filled
 * first from its own, up to the first that has them. */
static int cpuset_inherit (struct cpuset_memo *memo, const char *dir, bool fresh,
                           struct keel_error **err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	cleanup_free char *parent = xstrdup (dir);
	char *slash = strrchr (parent, '/');
	char *val[2] = {NULL, NULL};

	if (slash == NULL)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *cur = NULL, *from = NULL;
		bool memo_is_parent = memo->dir != NULL && strcmp (memo->dir, parent) == 0;
		int ret = fresh ? 0 : read_trimmed (dir, files[i], &cur, err);

		if (ret == 0 && (cur == NULL || cur[0] == '\0')) {
			if (memo_is_parent)
				from = xstrdup (memo->val[i]);
			else
				ret = read_trimmed (parent, files[i], &from, err);
			if (ret == 0 && from[0] == '\0' && !memo_is_parent && memo->mnt != NULL &&
			    strcmp (parent, memo->mnt) != 0) {
				ret = cpuset_inherit (memo, parent, false, err);
				if (ret == 0) {
					free (from);
					from = xstrdup (memo->val[i]);
				}
			}
			if (ret == 0)
				ret = cg_write (dir, files[i], from, err);
		}
		if (ret < 0) {
			free (val[0]);
			return ret;
		}
		val[i] = cur != NULL && cur[0] != '\0' ? steal_ptr (&cur) : steal_ptr (&from);
	}
	cpuset_memo_free (memo);
	memo->dir = xstrdup (dir);
	memo->val[0] = val[0];
	memo->val[1] = val[1];
	return 0;
}

/* cgroup_mkdir_p's hook for a hierarchy with cpuset: the container's
 * cgroup (and every level made on the way) gets its parent's cpus and
 * mems. */
static int cpuset_level (void *arg, const char *dir, bool made, struct keel_error **err)
{
	return cpuset_inherit (arg, dir, made, err);
}

int cgroup_v1_resolve (const char *cgroups_path, const char *default_rel, struct spec_strv *paths,
                       struct keel_error **err)
{
	struct spec_strv out = {0};

	cgroup_v1_load ();
	for (size_t i = 0; i < n_hiers; i++) {
		char *dir = NULL;
		int ret = cgroup_path_resolve (hiers[i].mnt, own_under_mount, &hiers[i],
		                               cgroups_path, default_rel, &dir, err);
		if (ret < 0) {
			cgroup_v1_paths_free (&out);
			return ret;
		}
		cgroup_paths_push (&out, dir);
	}
	*paths = out;
	return 0;
}

int cgroup_v1_make (const struct spec_strv *paths, const struct spec_resources *res,
                    struct spec_strv *made_out, struct keel_error **err)
{
	struct spec_strv made = {0};
	struct cpuset_memo memo = {0};
	int ret = 0;

	cgroup_v1_load ();
	if (paths->n != n_hiers)
		return keel_error (err, 0, "cgroup: %zu v1 directories for %zu hierarchies",
		                   paths->n, n_hiers);
	if (res != NULL)
		ret = validate (res, err);
	for (size_t i = 0; ret == 0 && i < n_hiers; i++) {
		memo.mnt = hiers[i].mnt;
		ret = cgroup_mkdir_p (hiers[i].mnt, paths->v[i], NULL,
		                      hier_has (&hiers[i], "cpuset") ? cpuset_level : NULL, &memo,
		                      &made, err);
	}
	cpuset_memo_free (&memo);
	if (ret == 0 && res != NULL)
		ret = cgroup_v1_apply_resources (paths, res, err);
	if (ret < 0) {
		cgroup_mkdirs_undo (&made);
		return ret;
	}
	cgroup_made_take (made_out, &made);
	return 0;
}

int cgroup_v1_create (const char *cgroups_path, const char *default_rel,
                      const struct spec_resources *res, struct spec_strv *paths,
                      struct spec_strv *made, struct keel_error **err)
{
	struct spec_strv out = {0};
	int ret = cgroup_v1_resolve (cgroups_path, default_rel, &out, err);

	if (ret == 0)
		ret = cgroup_v1_make (&out, res, made, err);
	if (ret < 0) {
		cgroup_v1_paths_free (&out);
		return ret;
	}
	*paths = out;
	return 0;
}

int cgroup_v1_enter (const struct spec_strv *paths, pid_t pid, struct keel_error **err)
{
	char spid[24];

	/* formatted once, not once per hierarchy (nine on a hybrid host) */
	snprintf (spid, sizeof spid, "%d", (int)pid);
	for (size_t i = 0; i < paths->n; i++) {
		int ret = check_in_hier (paths->v[i], err);

		if (ret == 0)
			ret = cg_write (paths->v[i], "cgroup.procs", spid, err);
		if (ret < 0)
			return keel_error_wrap (err, "cgroup: move pid %d into `%s`", (int)pid,
			                        paths->v[i]);
	}
	return 0;
}

int cgroup_v1_join_self (const struct spec_strv *paths, struct keel_error **err)
{
	for (size_t i = 0; i < paths->n; i++) {
		int ret = check_in_hier (paths->v[i], err);

		if (ret == 0)
			ret = cg_write (paths->v[i], "tasks", "0", err);
		if (ret < 0)
			return keel_error_wrap (err, "cgroup: join `%s`", paths->v[i]);
	}
	return 0;
}

int cgroup_v1_sub_paths (const struct spec_strv *paths, const char *all, char *const *specs,
                         size_t n_specs, struct spec_strv *out, struct keel_error **err)
{
	const char **sub = xmalloc0 ((paths->n + 1) * sizeof (*sub));
	int ret = 0;

	for (size_t i = 0; i < paths->n; i++)
		sub[i] = all;
	for (size_t k = 0; k < n_specs && ret == 0; k++) {
		const char *colon = strchr (specs[k], ':');
		cleanup_free char *ctls = xstrdup (specs[k]);
		char *save = NULL;

		ctls[colon - specs[k]] = '\0';
		for (char *c = strtok_r (ctls, ",", &save); c && ret == 0;
		     c = strtok_r (NULL, ",", &save)) {
			size_t i;

			for (i = 0; i < paths->n; i++) {
				const struct hier *h = hier_of (paths->v[i]);
				if (h != NULL && hier_has (h, c))
					break;
			}
			if (i == paths->n)
				ret = keel_error (
				        err, 0,
				        "--cgroup `%s`: unknown controller `%s` (none of the "
				        "container's cgroup v1 hierarchies has it)",
				        specs[k], c);
			else
				sub[i] = colon + 1;
		}
	}
	if (ret == 0) {
		out->v = xmalloc0 ((paths->n + 1) * sizeof (*out->v));
		out->n = paths->n;
		for (size_t i = 0; i < paths->n; i++)
			out->v[i] = sub[i] && *sub[i] ? xasprintf ("%s/%s", paths->v[i], sub[i])
			                              : xstrdup (paths->v[i]);
	}
	free (sub);
	return ret;
}

void cgroup_v1_strv_free (struct spec_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free (v->v[i]);
	free (v->v);
	v->v = NULL;
	v->n = 0;
}

/* ---- freeze -------------------------------------------------------------- */

static void sleep_ms (long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
		;
}

int cgroup_v1_freeze (const struct spec_strv *paths, bool frozen, struct keel_error **err)
{
	const char *dir = path_for (paths, "freezer");
	const char *want = frozen ? "FROZEN" : "THAWED";
	long waited = 0, step = 1;
	int ret;

	if (dir == NULL)
		return keel_error (err, 0, "cgroup: the container has no v1 freezer cgroup");
	ret = cg_write (dir, "freezer.state", want, err);
	/* The v1 freezer reports FREEZING until every task has stopped and
	 * sends no notification: poll, backing off to 100 ms. */
	while (ret == 0) {
		cleanup_free char *state = NULL;

		ret = read_trimmed (dir, "freezer.state", &state, err);
		if (ret < 0 || strcmp (state, want) == 0)
			break;
		if (waited >= V1_FREEZE_TIMEOUT_MS)
			return keel_error (err, ETIMEDOUT,
			                   "cgroup: %s/freezer.state stayed %s, not %s", dir, state,
			                   want);
		/* A task that was forking can miss the first request. */
		if (frozen)
			ret = cg_write (dir, "freezer.state", want, err);
		sleep_ms (step);
		waited += step;
		step = step < 100 ? step * 2 : 100;
	}
	return ret;
}

bool cgroup_v1_is_frozen (const struct spec_strv *paths)
{
	const char *dir = path_for (paths, "freezer");
	cleanup_free char *state = NULL;

	if (dir == NULL || read_trimmed (dir, "freezer.state", &state, NULL) < 0)
		return false;
	return strcmp (state, "THAWED") != 0;
}

/* ---- empty, destroy ------------------------------------------------------ */

/* Children before the parent. */
static int walk_dirs (const char *dir, int (*fn) (const char *dir, void *arg, struct keel_error **),
                      void *arg, struct keel_error **err)
{
	DIR *d = opendir (dir);
	struct dirent *de;
	int ret = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return keel_error (err, errno, "cgroup: opendir `%s`", dir);
	}
	while (ret == 0 && (errno = 0, de = readdir (d)) != NULL) {
		cleanup_free char *child = NULL;

		if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 ||
		    strcmp (de->d_name, "..") == 0)
			continue;
		child = xasprintf ("%s/%s", dir, de->d_name);
		ret = walk_dirs (child, fn, arg, err);
	}
	closedir (d);
	if (ret < 0)
		return ret;
	return fn (dir, arg, err);
}

static int empty_fn (const char *dir, void *arg, struct keel_error **err)
{
	cleanup_free char *file = xasprintf ("%s/cgroup.procs", dir);
	cleanup_free char *pids = NULL;
	size_t len = 0;
	int ret;

	ret = read_file (file, 0, &pids, &len, err);
	if (ret < 0)
		return keel_error_wrap (err, "cgroup");
	if (strspn (pids, " \n") != len)
		*(bool *)arg = false;
	return 0;
}

int cgroup_v1_is_empty (const char *dir, bool *empty, struct keel_error **err)
{
	*empty = true;
	return walk_dirs (dir, empty_fn, empty, err);
}

static int rmdir_fn (const char *dir, void *arg, struct keel_error **err)
{
	(void)arg;
	/* Exiting tasks leave their cgroups a moment after they are reaped,
	 * and v1 has no "populated" event to wait for. */
	for (long waited = 0, step = 1;; waited += step, step = step < 50 ? step * 2 : 50) {
		if (rmdir (dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return keel_error (err, errno, "cgroup: rmdir `%s`", dir);
		if (waited >= V1_RMDIR_TIMEOUT_MS)
			return keel_error (err, EBUSY,
			                   "cgroup: cannot remove `%s`: processes remain", dir);
		sleep_ms (step);
	}
}

int cgroup_v1_destroy (const struct spec_strv *paths, struct keel_error **err)
{
	int ret = 0;

	/* Every hierarchy is tried even when one fails: leave as little as
	 * possible behind, report the first failure. */
	for (size_t i = 0; i < paths->n; i++) {
		struct keel_error *e = NULL;

		/* One rmdir when nothing is left inside (the usual case),
		 * the walk children-first with its waits otherwise. */
		if (check_in_hier (paths->v[i], &e) < 0 ||
		    (rmdir (paths->v[i]) < 0 && errno != ENOENT &&
		     walk_dirs (paths->v[i], rmdir_fn, NULL, &e) < 0)) {
			if (ret == 0 && err != NULL) {
				*err = e;
				e = NULL;
			}
			keel_error_release (&e);
			ret = -EBUSY;
		}
	}
	return ret;
}

bool cgroup_v1_remove_if_empty (const struct spec_strv *paths)
{
	bool gone = true;

	for (size_t i = 0; i < paths->n; i++)
		if (check_in_hier (paths->v[i], NULL) < 0 ||
		    (rmdir (paths->v[i]) < 0 && errno != ENOENT))
			gone = false;
	return gone;
}

void cgroup_v1_paths_free (struct spec_strv *paths)
{
	for (size_t i = 0; i < paths->n; i++)
		free (paths->v[i]);
	free (paths->v);
	paths->v = NULL;
	paths->n = 0;
}
