/* cgroup v2 for containers; see cgroup.h for the contract.
 *
 * Path resolution (documented choice):
 *  - an absolute cgroupsPath "/a/b" is taken relative to the unified root,
 *    as both runc and crun do;
 *  - a relative cgroupsPath "a/b" is joined under the *parent* of the
 *    caller's own cgroup (the "0::" line of /proc/self/cgroup), as runc's
 *    cgroupfs driver does: the caller's own cgroup usually holds processes,
 *    and the no-internal-process rule would then forbid enabling
 *    controllers for a child of it;
 *  - without cgroupsPath, default_rel ("keel/ID", or PID 1's
 *    "keel/containers/NAME") is taken relative to the unified root (as
 *    crun's default "/ID"), so keel's own containers land at one predictable
 *    place whichever cgroup the caller happens to run in.
 * ".." components and empty names are refused: the result always stays
 * under the unified root.
 */
#include "runtime/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mountinfo.h"
#include "lib/proccgroup.h"
#include "lib/util.h"
#include "runtime/cgroup-devices.h"
#include "runtime/cgroup-v1.h"

/* How long cgroup_freeze waits for cgroup.events to report the new state
 * before giving up (a task in an uninterruptible sleep delays freezing). */
#define FREEZE_TIMEOUT_MS 10000

/* ---- the unified root ---------------------------------------------------- */

/* The cgroup2 mount point from /proc/self/mountinfo: /sys/fs/cgroup (pure
 * v2) or /sys/fs/cgroup/unified (hybrid) when mounted, else the first
 * cgroup2 mount found. */
static int mount_rank (const char *mnt)
{
	if (strcmp (mnt, "/sys/fs/cgroup") == 0)
		return 3;
	if (strcmp (mnt, "/sys/fs/cgroup/unified") == 0)
		return 2;
	return 1;
}

struct unified_pick {
	char *out;
	size_t size;
	int best;
};

static int pick_unified (const struct mountinfo *m, void *data)
{
	struct unified_pick *u = data;

	if (strcmp (m->fstype, "cgroup2") != 0 || mount_rank (m->mountpoint) <= u->best)
		return 0;
	u->best = mount_rank (m->mountpoint);
	snprintf (u->out, u->size, "%s", m->mountpoint);
	return u->best == 3;
}

static int find_unified_root (char *out, size_t size)
{
	struct unified_pick u = {.out = out, .size = size};
	struct keel_error *err = NULL;

	if (mountinfo_foreach_fstype ("/proc/self/mountinfo", "cgroup2", pick_unified, &u, &err) <
	    0)
		keel_error_release (&err);
	return u.best > 0 ? 0 : -1;
}

/* What cgroup-v1.c's own pass over mountinfo saw of cgroup2: reading and
 * parsing mountinfo once per container instead of twice (each read makes
 * the kernel format every mount of the namespace). */
static char seen_root[PATH_MAX];
static struct unified_pick seen = {.out = seen_root, .size = sizeof seen_root};

void cgroup_unified_note (const struct mountinfo *m)
{
	if (seen.best < 3)
		pick_unified (m, &seen);
}

const char *cgroup_unified_root (void)
{
	/* Cached once found: every cgroup operation needs it and the runtime
	 * process's mounts do not move under it.  Not cached while missing:
	 * PID 1 may ask before it has mounted cgroup2, so a pass that saw
	 * none is not trusted and mountinfo is read again. */
	static char root[PATH_MAX];
	static bool found;

	if (!found && cgroup_v2_on_sys_fs_cgroup ()) {
		snprintf (root, sizeof root, "/sys/fs/cgroup");
		found = true;
	}
	if (!found) {
		cgroup_v1_load ();
		if (seen.best > 0) {
			memcpy (root, seen_root, sizeof root);
			found = true;
		} else {
			found = find_unified_root (root, sizeof root) == 0;
		}
	}
	return found ? root : NULL;
}

/* ---- path resolution ----------------------------------------------------- */

/* Append the components of rel to buf (which ends without '/'), refusing
 * "." and "..", in one allocation: this runs for every hierarchy (ten on
 * a hybrid host) and a strtok_r and an asprintf per component showed. */
static int path_append (char **buf, const char *rel, const char *what, struct keel_error **err)
{
	size_t blen = strlen (*buf);
	char *out = xmalloc0 (blen + strlen (rel) + 2), *w = out + blen;

	memcpy (out, *buf, blen);
	for (const char *p = rel; *p;) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchrnul (p, '/');
		n = (size_t)(end - p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			free (out);
			return keel_error (err, 0,
			                   "cgroup: %s `%s`: `%.*s` components are not allowed",
			                   what, rel, (int)n, p);
		}
		*w++ = '/';
		memcpy (w, p, n);
		w += n;
		p = end;
	}
	*w = '\0';
	free (*buf);
	*buf = out;
	return 0;
}

/* The caller's own cgroup in the unified hierarchy ("0::PATH"). */
static int own_cgroup (const void *arg, char **out, struct keel_error **err)
{
	int ret = proc_cgroup (0, out, err);

	(void)arg;
	return ret < 0 ? keel_error_wrap (err, "cgroup") : 0;
}

int cgroup_path_resolve (const char *root, cgroup_own_fn *own_fn, const void *arg,
                         const char *cgroups_path, const char *default_rel, char **out,
                         struct keel_error **err)
{
	cleanup_free char *path = xstrdup (root);
	int ret;

	if (cgroups_path != NULL && cgroups_path[0] != '/') {
		cleanup_free char *own = NULL;
		char *slash;

		ret = own_fn (arg, &own, err);
		if (ret < 0)
			return ret;
		slash = strrchr (own, '/');
		if (slash != NULL)
			*slash = '\0';
		ret = path_append (&path, own, "own cgroup", err);
		if (ret < 0)
			return ret;
	}
	if (cgroups_path == NULL) {
		if (default_rel == NULL)
			return keel_error (err, 0, "cgroup: no cgroupsPath and no default path");
		cgroups_path = default_rel;
	}
	ret = path_append (&path, cgroups_path, "cgroupsPath", err);
	if (ret < 0)
		return ret;
	if (strcmp (path, root) == 0)
		return keel_error (err, 0, "cgroup: cgroupsPath `%s` names the root cgroup",
		                   cgroups_path);
	*out = steal_ptr (&path);
	return 0;
}

/* ---- controllers --------------------------------------------------------- */

enum ctl { CTL_MEMORY, CTL_CPU, CTL_CPUSET, CTL_PIDS, CTL_IO, CTL_HUGETLB, CTL_RDMA, CTL_MAX };
static const char *const ctl_names[CTL_MAX] = {"memory", "cpu",     "cpuset", "pids",
                                               "io",     "hugetlb", "rdma"};

/* A set of controllers the resources need: known ones as bits, plus the
 * names of the `unified` keys' controllers. */
struct ctl_set {
	bool known[CTL_MAX];
	const char **extra;
	size_t n_extra;
};

static void ctl_set_free (struct ctl_set *s)
{
	free (s->extra);
}

static bool ctl_set_empty (const struct ctl_set *s)
{
	for (int i = 0; i < CTL_MAX; i++)
		if (s->known[i])
			return false;
	return s->n_extra == 0;
}

bool cg_memory_set (const struct spec_memory *m)
{
	return m->has_limit || m->has_reservation || m->has_swap || m->has_swappiness ||
	       m->disable_oom_killer;
}

bool cg_cpu_set (const struct spec_cpu *c)
{
	return c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_idle ||
	       c->has_rt_runtime || c->has_rt_period;
}

bool cg_blkio_set (const struct spec_blkio *b)
{
	return b->has_weight || b->has_leaf_weight || b->n_weight_device ||
	       b->n_throttle_read_bps || b->n_throttle_write_bps || b->n_throttle_read_iops ||
	       b->n_throttle_write_iops;
}

static int ctl_index (const char *name, size_t len)
{
	for (int i = 0; i < CTL_MAX; i++)
		if (strlen (ctl_names[i]) == len && strncmp (ctl_names[i], name, len) == 0)
			return i;
	return -1;
}

static void needed_controllers (const struct spec_resources *res, struct ctl_set *s)
{
	memset (s, 0, sizeof *s);
	if (res == NULL)
		return;
	s->known[CTL_MEMORY] = res->has_memory && cg_memory_set (&res->memory);
	s->known[CTL_CPU] = res->has_cpu && cg_cpu_set (&res->cpu);
	s->known[CTL_CPUSET] = res->has_cpu && (res->cpu.cpus != NULL || res->cpu.mems != NULL);
	s->known[CTL_PIDS] = res->has_pids;
	s->known[CTL_IO] = res->has_blkio && cg_blkio_set (&res->blkio);
	s->known[CTL_HUGETLB] = res->n_hugepage_limits > 0;
	s->known[CTL_RDMA] = res->n_rdma > 0;
	s->extra = xmalloc0 (sizeof (char *) * (res->unified.n + 1));
	for (size_t i = 0; i < res->unified.n; i++) {
		const char *key = res->unified.e[i].key;
		const char *dot = strchr (key, '.');
		int idx;

		/* cgroup.* files belong to no controller. */
		if (dot == NULL || (dot - key == 6 && strncmp (key, "cgroup", 6) == 0))
			continue;
		idx = ctl_index (key, (size_t)(dot - key));
		if (idx >= 0)
			s->known[idx] = true;
		else
			s->extra[s->n_extra++] = key;
	}
}

/* Does the whitespace-separated list contain name[0..len)? */
static bool list_has (const char *list, const char *name, size_t len)
{
	const char *p = list;

	while (*p) {
		size_t n;

		p += strspn (p, " \n");
		n = strcspn (p, " \n");
		if (n == len && strncmp (p, name, len) == 0)
			return true;
		p += n;
	}
	return false;
}

static int check_available (const char *dir, const char *name, size_t len, struct keel_error **err)
{
	cleanup_free char *file = xasprintf ("%s/cgroup.controllers", dir);
	cleanup_free char *list = NULL;
	int ret;

	ret = read_file (file, 0, &list, NULL, err);
	if (ret < 0)
		return keel_error_wrap (err, "cgroup");
	if (!list_has (list, name, len))
		return keel_error (err, 0, "cgroup: controller \"%.*s\" is not available in %s",
		                   (int)len, name, dir);
	return 0;
}

static size_t ctl_name_len (const char *key)
{
	const char *dot = strchr (key, '.');
	return dot ? (size_t)(dot - key) : strlen (key);
}

static int check_set_available (const char *dir, const struct ctl_set *s, struct keel_error **err)
{
	int ret;

	for (int i = 0; i < CTL_MAX; i++)
		if (s->known[i]) {
			ret = check_available (dir, ctl_names[i], strlen (ctl_names[i]), err);
			if (ret < 0)
				return ret;
		}
	for (size_t i = 0; i < s->n_extra; i++) {
		ret = check_available (dir, s->extra[i], ctl_name_len (s->extra[i]), err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Enable one controller for the children of dir, unless already enabled. */
static int enable_one (const char *dir, const char *name, size_t len, struct keel_error **err)
{
	cleanup_free char *file = xasprintf ("%s/cgroup.subtree_control", dir);
	cleanup_free char *cur = NULL;
	cleanup_free char *req = NULL;
	int ret;

	ret = check_available (dir, name, len, err);
	if (ret < 0)
		return ret;
	ret = read_file (file, 0, &cur, NULL, err);
	if (ret < 0)
		return keel_error_wrap (err, "cgroup");
	if (list_has (cur, name, len))
		return 0;
	req = xasprintf ("+%.*s", (int)len, name);
	ret = write_file (file, req, strlen (req), err);
	if (ret < 0)
		return keel_error_wrap (err, "cgroup: enable controller \"%.*s\"", (int)len, name);
	return 0;
}

static int enable_set (const char *dir, const struct ctl_set *s, struct keel_error **err)
{
	int ret;

	for (int i = 0; i < CTL_MAX; i++)
		if (s->known[i]) {
			ret = enable_one (dir, ctl_names[i], strlen (ctl_names[i]), err);
			if (ret < 0)
				return ret;
		}
	for (size_t i = 0; i < s->n_extra; i++) {
		ret = enable_one (dir, s->extra[i], ctl_name_len (s->extra[i]), err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- writing resource files ---------------------------------------------- */

int cg_write (const char *dir, const char *file, const char *value, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/%s", dir, file);
	int ret;

	keel_debug ("cgroup: %s = %s", path, value);
	ret = write_file (path, value, strlen (value), err);
	if (ret < 0)
		return keel_error_wrap (err, "cgroup: set %s to \"%s\"", file, value);
	return 0;
}

int cg_writef (const char *dir, const char *file, struct keel_error **err, const char *fmt, ...)
{
	cleanup_free char *v = NULL;
	va_list ap;

	va_start (ap, fmt);
	if (vasprintf (&v, fmt, ap) < 0)
		v = NULL;
	va_end (ap);
	if (v == NULL)
		return keel_error (err, ENOMEM, "cgroup: %s", file);
	return cg_write (dir, file, v, err);
}

int cg_read_value (int dirfd, const char *dir, const char *file, char **out,
                   struct keel_error **err)
{
	cleanup_free char *path = dirfd < 0 ? xasprintf ("%s/%s", dir, file) : NULL;
	char buf[4096];
	ssize_t n;
	int fd;

	fd = dirfd < 0 ? open (path, O_RDONLY | O_CLOEXEC)
	               : openat (dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "cgroup: open `%s/%s`", dir, file);
	do
		n = read (fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	close (fd);
	if (n < 0)
		return keel_error (err, errno, "cgroup: read `%s/%s`", dir, file);
	/* A value as long as the buffer may go on: read it all. */
	if ((size_t)n == sizeof buf) {
		int ret = read_file_at (dirfd < 0 ? AT_FDCWD : dirfd, dirfd < 0 ? path : file,
		                        1 << 20, out, NULL, err);
		return ret < 0 ? keel_error_wrap (err, "cgroup") : 0;
	}
	*out = xmalloc0 ((size_t)n + 1);
	memcpy (*out, buf, (size_t)n);
	while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == ' '))
		(*out)[--n] = '\0';
	return 0;
}

bool cg_exists (const char *dir, const char *file)
{
	cleanup_free char *path = xasprintf ("%s/%s", dir, file);
	return access (path, F_OK) == 0;
}

/* runc's conversion of the v1 memory+swap limit to v2's swap-only limit:
 * *out < 0 means "max", *skip that nothing is written. */
static int swap_v2 (const struct spec_memory *m, int64_t *out, bool *skip, struct keel_error **err)
{
	int64_t mem = m->has_limit ? m->limit : 0, swap = m->swap;

	*skip = false;
	if (swap == 0 && mem == -1) { /* unlimited memory: unlimited swap too */
		*out = -1;
		return 0;
	}
	if (swap == -1) {
		*out = -1;
		return 0;
	}
	if (swap == 0) {
		*skip = true;
		return 0;
	}
	if (mem == 0 || mem == -1)
		return keel_error (err, 0, "cgroup: memory.swap %" PRId64 " needs a memory limit",
		                   swap);
	if (mem < 0 || swap < mem)
		return keel_error (err, 0,
		                   "cgroup: memory.swap (%" PRId64 ", memory+swap) is below "
		                   "memory.limit (%" PRId64 ")",
		                   swap, mem);
	*out = swap - mem;
	return 0;
}

static int write_limit (const char *dir, const char *file, int64_t v, struct keel_error **err)
{
	if (v < 0)
		return cg_write (dir, file, "max", err);
	return cg_writef (dir, file, err, "%" PRId64, v);
}

static int apply_memory (const char *dir, const struct spec_memory *m, struct keel_error **err)
{
	int ret;

	if (m->has_swap) {
		int64_t swap;
		bool skip;

		ret = swap_v2 (m, &swap, &skip, err);
		if (ret < 0)
			return ret;
		/* Without swap accounting (swapaccount=0 or no CONFIG_MEMCG_SWAP)
		 * the file does not exist: asking for a limit is then an error,
		 * asking for "max" is what the kernel does anyway. */
		if (!skip && (swap >= 0 || cg_exists (dir, "memory.swap.max"))) {
			ret = write_limit (dir, "memory.swap.max", swap, err);
			if (ret < 0)
				return ret;
		}
	}
	if (m->has_limit && m->limit != 0) {
		ret = write_limit (dir, "memory.max", m->limit, err);
		if (ret < 0)
			return ret;
	}
	if (m->has_reservation && m->reservation != 0) {
		ret = write_limit (dir, "memory.low", m->reservation, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* crun and runc: cpu.shares [2, 262144] maps linearly onto cpu.weight
 * [1, 10000]. */
static uint64_t shares_to_weight (uint64_t shares)
{
	if (shares <= 2)
		return 1;
	if (shares >= 262144)
		return 10000;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int apply_cpu (const char *dir, const struct spec_cpu *c, struct keel_error **err)
{
	int ret;

	if (c->has_shares && c->shares != 0) {
		ret = cg_writef (dir, "cpu.weight", err, "%" PRIu64, shares_to_weight (c->shares));
		if (ret < 0)
			return ret;
	}
	if ((c->has_quota && c->quota != 0) || (c->has_period && c->period != 0)) {
		cleanup_free char *quota = NULL;

		quota = c->has_quota && c->quota > 0 ? xasprintf ("%" PRId64, c->quota)
		                                     : xstrdup ("max");
		if (c->has_period && c->period != 0)
			ret = cg_writef (dir, "cpu.max", err, "%s %" PRIu64, quota, c->period);
		else
			ret = cg_write (dir, "cpu.max", quota, err);
		if (ret < 0)
			return ret;
	}
	if (c->has_burst) {
		ret = cg_writef (dir, "cpu.max.burst", err, "%" PRIu64, c->burst);
		if (ret < 0)
			return ret;
	}
	if (c->has_idle) {
		ret = cg_writef (dir, "cpu.idle", err, "%" PRId64, c->idle);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int apply_cpuset (const char *dir, const struct spec_cpu *c, struct keel_error **err)
{
	int ret;

	if (c->cpus != NULL) {
		ret = cg_write (dir, "cpuset.cpus", c->cpus, err);
		if (ret < 0)
			return ret;
	}
	if (c->mems != NULL) {
		ret = cg_write (dir, "cpuset.mems", c->mems, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* crun: blkio.weight [10, 1000] maps linearly onto io.weight [1, 10000]
 * when BFQ's io.bfq.weight (which takes the v1 range) is not there. */
static unsigned blkio_to_io_weight (unsigned w)
{
	if (w <= 10)
		return 1;
	if (w >= 1000)
		return 10000;
	return 1 + (w - 10) * 9999 / 990;
}

static int write_throttle (const char *dir, const char *key, const struct spec_blkio_device *d,
                           size_t n, struct keel_error **err)
{
	for (size_t i = 0; i < n; i++) {
		int ret = cg_writef (dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
		                     d[i].major, d[i].minor, key, d[i].rate);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int apply_io (const char *dir, const struct spec_blkio *b, struct keel_error **err)
{
	bool bfq = cg_exists (dir, "io.bfq.weight");
	int ret;

	if (b->has_weight && b->weight != 0) {
		if (bfq)
			ret = cg_writef (dir, "io.bfq.weight", err, "%u", (unsigned)b->weight);
		else
			ret = cg_writef (dir, "io.weight", err, "%u",
			                 blkio_to_io_weight (b->weight));
		if (ret < 0)
			return ret;
	}
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct spec_blkio_device *d = &b->weight_device[i];

		if (!d->has_weight)
			continue;
		if (bfq)
			ret = cg_writef (dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u",
			                 d->major, d->minor, (unsigned)d->weight);
		else
			ret = cg_writef (dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %u",
			                 d->major, d->minor, blkio_to_io_weight (d->weight));
		if (ret < 0)
			return ret;
	}
	ret = write_throttle (dir, "rbps", b->throttle_read_bps, b->n_throttle_read_bps, err);
	if (ret == 0)
		ret = write_throttle (dir, "wbps", b->throttle_write_bps, b->n_throttle_write_bps,
		                      err);
	if (ret == 0)
		ret = write_throttle (dir, "riops", b->throttle_read_iops, b->n_throttle_read_iops,
		                      err);
	if (ret == 0)
		ret = write_throttle (dir, "wiops", b->throttle_write_iops,
		                      b->n_throttle_write_iops, err);
	return ret;
}

bool cg_safe_file_name (const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL &&
	       strstr (name, "..") == NULL;
}

static int apply_hugetlb (const char *dir, const struct spec_resources *res,
                          struct keel_error **err)
{
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
		cleanup_free char *file = NULL;
		int ret;

		file = xasprintf ("hugetlb.%s.max", h->page_size);
		if (!cg_exists (dir, file))
			return keel_error (
			        err, 0, "cgroup: hugepage size `%s` is not supported (no %s in %s)",
			        h->page_size, file, dir);
		ret = cg_writef (dir, file, err, "%" PRIu64, h->limit);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* rdma.max takes one "DEVICE hca_handle=N hca_object=M" line per write;
 * a limit the config leaves out stays as it is. */
int cg_apply_rdma (const char *dir, const struct spec_resources *res, struct keel_error **err)
{
	for (size_t i = 0; i < res->n_rdma; i++) {
		const struct spec_rdma *r = &res->rdma[i];
		char handles[32] = "", objects[32] = "";
		int ret;

		if (!r->has_hca_handles && !r->has_hca_objects)
			continue;
		if (r->has_hca_handles)
			snprintf (handles, sizeof handles, " hca_handle=%" PRIu32, r->hca_handles);
		if (r->has_hca_objects)
			snprintf (objects, sizeof objects, " hca_object=%" PRIu32, r->hca_objects);
		ret = cg_writef (dir, "rdma.max", err, "%s%s%s", r->device, handles, objects);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int apply_unified (const char *dir, const struct spec_map *u, struct keel_error **err)
{
	for (size_t i = 0; i < u->n; i++) {
		const char *key = u->e[i].key;
		int ret;

		if (!cg_exists (dir, key))
			return keel_error (err, 0, "cgroup: unified key `%s`: no such file in %s",
			                   key, dir);
		ret = cg_write (dir, key, u->e[i].value, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Everything cgroup v2 cannot express, and every file name taken from the
 * config, checked before any directory is made. */
static int validate_resources (const struct spec_resources *res, struct keel_error **err)
{
	const struct spec_memory *m = &res->memory;
	const struct spec_cpu *c = &res->cpu;
	const struct spec_blkio *b = &res->blkio;

	if (res->has_memory && m->has_swappiness)
		return keel_error (err, 0,
		                   "cgroup: memory.swappiness is not supported by cgroup v2");
	if (res->has_memory && m->disable_oom_killer)
		return keel_error (err, 0,
		                   "cgroup: memory.disableOOMKiller is not supported by cgroup v2");
	if (res->has_memory && (m->has_kernel || m->has_kernel_tcp))
		keel_debug (
		        "cgroup: memory.kernel/kernelTCP are deprecated and ignored on cgroup v2");
	if (res->has_cpu && (c->has_rt_runtime || c->has_rt_period))
		return keel_error (err, 0,
		                   "cgroup: cpu.realtimeRuntime/realtimePeriod are not supported "
		                   "by cgroup v2");
	if (res->has_cpu && c->has_idle && c->idle != 0 && c->has_shares && c->shares != 0)
		return keel_error (err, 0, "cgroup: cannot set both cpu.idle and cpu.shares");
	if (res->has_blkio && b->has_leaf_weight)
		return keel_error (err, 0,
		                   "cgroup: blockIO.leafWeight is not supported by cgroup v2");
	for (size_t i = 0; res->has_blkio && i < b->n_weight_device; i++)
		if (b->weight_device[i].has_leaf_weight)
			return keel_error (err, 0,
			                   "cgroup: blockIO.weightDevice[%zu].leafWeight is not "
			                   "supported by cgroup v2",
			                   i);
	if (res->has_network && (res->has_class_id || res->n_net_priorities > 0))
		return keel_error (err, 0,
		                   "cgroup: linux.resources.network (net_cls/net_prio) is not "
		                   "supported by cgroup v2");
	for (size_t i = 0; i < res->n_rdma; i++)
		if (res->rdma[i].device == NULL || res->rdma[i].device[0] == '\0' ||
		    strpbrk (res->rdma[i].device, " \t\n=") != NULL)
			return keel_error (err, 0, "cgroup: invalid rdma device name `%s`",
			                   res->rdma[i].device ? res->rdma[i].device : "");
	for (size_t i = 0; i < res->n_hugepage_limits; i++)
		if (!cg_safe_file_name (res->hugepage_limits[i].page_size))
			return keel_error (err, 0, "cgroup: invalid hugepage size `%s`",
			                   res->hugepage_limits[i].page_size);
	for (size_t i = 0; i < res->unified.n; i++)
		if (!cg_safe_file_name (res->unified.e[i].key) ||
		    strchr (res->unified.e[i].key, '.') == NULL)
			return keel_error (err, 0, "cgroup: invalid unified key `%s`",
			                   res->unified.e[i].key);
	return 0;
}

/* cgroup_apply_resources, with the cgroup's directory open at cgfd when
 * >= 0 and fresh when cgroup_make just made it (for the device filter). */
static int apply_resources_at (const char *abs_path, int cgfd, bool fresh,
                               const struct spec_resources *res, struct keel_error **err)
{
	struct ctl_set need;
	int ret;

	if (res == NULL)
		return 0;
	ret = validate_resources (res, err);
	if (ret < 0)
		return ret;
	needed_controllers (res, &need);
	ret = check_set_available (abs_path, &need, err);
	ctl_set_free (&need);
	if (ret < 0)
		return ret;

	if (res->has_memory) {
		ret = apply_memory (abs_path, &res->memory, err);
		if (ret < 0)
			return ret;
	}
	if (res->has_cpu) {
		ret = apply_cpu (abs_path, &res->cpu, err);
		if (ret == 0)
			ret = apply_cpuset (abs_path, &res->cpu, err);
		if (ret < 0)
			return ret;
	}
	if (res->has_pids) {
		ret = write_limit (abs_path, "pids.max", res->pids_limit > 0 ? res->pids_limit : -1,
		                   err);
		if (ret < 0)
			return ret;
	}
	if (res->has_blkio) {
		ret = apply_io (abs_path, &res->blkio, err);
		if (ret < 0)
			return ret;
	}
	ret = apply_hugetlb (abs_path, res, err);
	if (ret == 0)
		ret = cg_apply_rdma (abs_path, res, err);
	if (ret < 0)
		return ret;
	if (res->n_devices > 0) {
		ret = cgfd >= 0
		              ? cgroup_devices_apply_at (cgfd, abs_path, fresh, res->devices,
		                                         res->n_devices, err)
		              : cgroup_devices_apply (abs_path, res->devices, res->n_devices, err);
		if (ret < 0)
			return ret;
	}
	/* Last, so that explicit unified values win over converted ones. */
	return apply_unified (abs_path, &res->unified, err);
}

int cgroup_apply_resources (const char *abs_path, const struct spec_resources *res,
                            struct keel_error **err)
{
	return apply_resources_at (abs_path, -1, false, res, err);
}

/* ---- create, enter ------------------------------------------------------- */

void cgroup_paths_push (struct spec_strv *v, char *s)
{
	char **nv = realloc (v->v, (v->n + 2) * sizeof (char *));

	if (nv == NULL)
		abort ();
	v->v = nv;
	v->v[v->n++] = s;
	v->v[v->n] = NULL;
}

int cgroup_mkdir_p (const char *root, const char *abs, cgroup_dir_fn *before, cgroup_dir_fn *after,
                    void *arg, struct spec_strv *made, struct keel_error **err)
{
	cleanup_free char *cur = NULL;
	const char *p = abs + strlen (root);
	int ret;

	/* The leaf first when nothing is to be done in the levels above: they
	 * exist already for every container but the first (keel/ID under
	 * keel/), and one mkdir then replaces one per level (the parents'
	 * EEXIST).  ENOENT says a parent is missing: make them all below. */
	if (before == NULL) {
		if (mkdir (abs, 0755) == 0) {
			cgroup_paths_push (made, xstrdup (abs));
			return after != NULL ? after (arg, abs, true, err) : 0;
		}
		if (errno == EEXIST)
			return after != NULL ? after (arg, abs, false, err) : 0;
		if (errno != ENOENT)
			return keel_error (err, errno, "cgroup: mkdir `%s`", abs);
	}
	cur = xstrdup (root);
	while (*p == '/') {
		const char *end = strchr (p + 1, '/');
		size_t len = end ? (size_t)(end - p) : strlen (p);
		bool new_dir = false;
		char *next;

		if (before != NULL && (ret = before (arg, cur, false, err)) < 0)
			return ret;
		next = xasprintf ("%s%.*s", cur, (int)len, p);
		free (cur);
		cur = next;
		p += len;
		if (mkdir (cur, 0755) == 0) {
			cgroup_paths_push (made, xstrdup (cur));
			new_dir = true;
		} else if (errno != EEXIST) {
			return keel_error (err, errno, "cgroup: mkdir `%s`", cur);
		}
		if (after != NULL && (ret = after (arg, cur, new_dir, err)) < 0)
			return ret;
	}
	return 0;
}

void cgroup_made_take (struct spec_strv *to, struct spec_strv *made)
{
	for (size_t i = 0; to != NULL && i < made->n; i++)
		cgroup_paths_push (to, steal_ptr (&made->v[i]));
	cgroup_v1_paths_free (made);
}

void cgroup_mkdirs_undo (struct spec_strv *made)
{
	for (size_t i = made->n; i-- > 0;)
		if (rmdir (made->v[i]) < 0)
			keel_debug ("cgroup: rmdir `%s`: %s", made->v[i], strerror (errno));
	cgroup_v1_paths_free (made);
}

/* cgroup_mkdir_p's hook for v2: the controllers the container needs,
 * enabled in each parent's cgroup.subtree_control on the way down. */
static int enable_need (void *arg, const char *parent, bool made, struct keel_error **err)
{
	(void)made;
	return enable_set (parent, arg, err);
}

/* A cgroup that already has processes (another container's, as when a
 * pod's containers share one): runc 1.1 warns and goes on, and so does
 * keel rather than break such setups; the container shares its limits. */
static void warn_if_populated (const char *path)
{
	struct keel_error *e = NULL;
	bool empty = true;

	if (cgroup_is_empty (path, &empty, &e) < 0) {
		keel_debug ("cgroup: is `%s` empty? %s", path, e->msg);
		keel_error_release (&e);
		return;
	}
	if (!empty)
		keel_log (KEEL_LOG_WARNING,
		          "container's cgroup is not empty: `%s` has processes already, which "
		          "the container joins",
		          path);
}

int cgroup_resolve (const char *cgroups_path, const char *default_rel, char **abs_path,
                    struct keel_error **err)
{
	const char *root = cgroup_unified_root ();

	if (root == NULL)
		return keel_error (err, 0, "cgroup: no cgroup2 filesystem is mounted");
	return cgroup_path_resolve (root, own_cgroup, NULL, cgroups_path, default_rel, abs_path,
	                            err);
}

int cgroup_make (const char *path, const struct spec_resources *res, struct spec_strv *made_out,
                 int *dirfd, struct keel_error **err)
{
	const char *root = cgroup_unified_root ();
	struct spec_strv made = {0};
	struct ctl_set need;
	bool fresh = false;
	int fd = -1, ret;

	if (root == NULL)
		return keel_error (err, 0, "cgroup: no cgroup2 filesystem is mounted");
	if (!cgroup_path_within (path, root) || strcmp (path, root) == 0)
		return keel_error (err, 0, "cgroup: `%s` is not below the unified root %s", path,
		                   root);
	if (res != NULL) {
		ret = validate_resources (res, err);
		if (ret < 0)
			return ret;
	}
	needed_controllers (res, &need);
	/* No controller to enable (a hybrid host's unified cgroup, a config
	 * with no limits): no hook, so that the leaf is made first. */
	ret = cgroup_mkdir_p (root, path, ctl_set_empty (&need) ? NULL : enable_need, NULL, &need,
	                      &made, err);
	ctl_set_free (&need);
	fresh = ret == 0 && made.n > 0 && strcmp (made.v[made.n - 1], path) == 0;
	/* Found there rather than made by this call: cgroupsPath named an
	 * existing cgroup (or a concurrent create made it first). */
	if (ret == 0 && !fresh)
		warn_if_populated (path);
	if (ret == 0 && dirfd != NULL) {
		fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			ret = keel_error (err, errno, "cgroup: open `%s`", path);
	}
	if (ret == 0)
		ret = apply_resources_at (path, fd, fresh, res, err);
	if (ret < 0) {
		if (fd >= 0)
			close (fd);
		cgroup_mkdirs_undo (&made);
		return ret;
	}
	cgroup_made_take (made_out, &made);
	if (dirfd != NULL)
		*dirfd = fd;
	return 0;
}

int cgroup_create (const char *cgroups_path, const char *default_rel,
                   const struct spec_resources *res, char **abs_path, struct spec_strv *made,
                   struct keel_error **err)
{
	cleanup_free char *path = NULL;
	int ret = cgroup_resolve (cgroups_path, default_rel, &path, err);

	if (ret == 0)
		ret = cgroup_make (path, res, made, NULL, err);
	if (ret < 0)
		return ret;
	*abs_path = steal_ptr (&path);
	return 0;
}

int cgroup_enter (const char *abs_path, pid_t pid, struct keel_error **err)
{
	char buf[32];
	int ret;

	snprintf (buf, sizeof buf, "%d", (int)pid);
	ret = cg_write (abs_path, "cgroup.procs", buf, err);
	if (ret < 0)
		return keel_error_wrap (err, "cgroup: move pid %d into `%s`", (int)pid, abs_path);
	return 0;
}

/* ---- kill ---------------------------------------------------------------- */

static int kill_procs_in (const char *dir, int signo, struct keel_error **err)
{
	cleanup_free char *file = xasprintf ("%s/cgroup.procs", dir);
	cleanup_free char *pids = NULL;
	char *line, *save = NULL;
	int ret;

	ret = read_file (file, 0, &pids, NULL, err);
	if (ret < 0)
		return keel_error_wrap (err, "cgroup: kill");
	for (line = strtok_r (pids, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		unsigned long long pid;

		if (!parse_uint64 (line, &pid) || pid == 0 || pid > INT_MAX)
			continue;
		if (kill ((pid_t)pid, signo) < 0 && errno != ESRCH)
			return keel_error (err, errno, "cgroup: kill pid %llu in `%s`", pid, dir);
	}
	return 0;
}

/* Apply fn to dir and, depth-first (children before the parent when
 * children_first), to every cgroup below it. */
static int walk_cgroups (const char *dir, bool children_first,
                         int (*fn) (const char *dir, void *arg, struct keel_error **err), void *arg,
                         struct keel_error **err)
{
	DIR *d;
	struct dirent *de;
	int ret;

	if (!children_first) {
		ret = fn (dir, arg, err);
		if (ret < 0)
			return ret;
	}
	d = opendir (dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return keel_error (err, errno, "cgroup: opendir `%s`", dir);
	}
	ret = 0;
	while (ret == 0 && (errno = 0, de = readdir (d)) != NULL) {
		cleanup_free char *child = NULL;

		if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 ||
		    strcmp (de->d_name, "..") == 0)
			continue;
		child = xasprintf ("%s/%s", dir, de->d_name);
		ret = walk_cgroups (child, children_first, fn, arg, err);
	}
	closedir (d);
	if (ret < 0)
		return ret;
	if (children_first)
		return fn (dir, arg, err);
	return 0;
}

static int kill_fn (const char *dir, void *arg, struct keel_error **err)
{
	return kill_procs_in (dir, *(int *)arg, err);
}

int cgroup_kill (const char *abs_path, int signo, struct keel_error **err)
{
	int ret, thaw;

	/* cgroup.kill (5.14+) kills the whole subtree atomically, even
	 * processes forking while we look. */
	if (signo == SIGKILL && cg_exists (abs_path, "cgroup.kill"))
		return cg_write (abs_path, "cgroup.kill", "1", err);
	if (signo != SIGKILL || !cg_exists (abs_path, "cgroup.freeze"))
		return walk_cgroups (abs_path, false, kill_fn, &signo, err);
	/* Older kernels: freeze first so that nothing forks past the walk;
	 * the SIGKILLs are delivered on thaw. */
	ret = cgroup_freeze (abs_path, true, err);
	if (ret == 0)
		ret = walk_cgroups (abs_path, false, kill_fn, &signo, err);
	thaw = cgroup_freeze (abs_path, false, ret < 0 ? NULL : err);
	return ret < 0 ? ret : thaw;
}

/* ---- events: frozen, populated ------------------------------------------- */

/* Read key's value from cgroup.events through fd (rewound first). */
static int read_event (int fd, const char *path, const char *key, int *value,
                       struct keel_error **err)
{
	char buf[512];
	ssize_t n;
	size_t klen = strlen (key);

	n = pread (fd, buf, sizeof buf - 1, 0);
	if (n < 0)
		return keel_error (err, errno, "cgroup: read `%s`", path);
	buf[n] = '\0';
	for (char *line = buf; *line;) {
		char *nl = strchr (line, '\n');

		if (strncmp (line, key, klen) == 0 && line[klen] == ' ') {
			*value = atoi (line + klen + 1);
			return 0;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return keel_error (err, 0, "cgroup: no `%s` in `%s`", key, path);
}

static int64_t now_ms (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until cgroup.events says key == want: the kernel wakes pollers of
 * cgroup.events (POLLPRI) whenever one of its values changes. */
static int wait_event (const char *abs_path, const char *key, int want, int timeout_ms,
                       struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/cgroup.events", abs_path);
	cleanup_close int fd = -1;
	int64_t deadline = now_ms () + timeout_ms;

	fd = open (path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "cgroup: open `%s`", path);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLPRI};
		int value, ret;
		int64_t left;

		ret = read_event (fd, path, key, &value, err);
		if (ret < 0)
			return ret;
		if (value == want)
			return 0;
		left = deadline - now_ms ();
		if (left <= 0)
			return keel_error (err, ETIMEDOUT, "cgroup: `%s` did not become %s %d",
			                   path, key, want);
		ret = poll (&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR)
			return keel_error (err, errno, "cgroup: poll `%s`", path);
	}
}

int cgroup_freeze (const char *abs_path, bool frozen, struct keel_error **err)
{
	int ret;

	if (!cg_exists (abs_path, "cgroup.freeze"))
		return keel_error (err, 0,
		                   "cgroup: `%s` has no cgroup.freeze (kernel older than 5.2?)",
		                   abs_path);
	ret = cg_write (abs_path, "cgroup.freeze", frozen ? "1" : "0", err);
	if (ret < 0)
		return ret;
	return wait_event (abs_path, "frozen", frozen ? 1 : 0, FREEZE_TIMEOUT_MS, err);
}

/* The value of key in cgroup.events text ("populated 0\nfrozen 1"), or
 * -1 when it has none. */
static int event_value (const char *text, const char *key)
{
	size_t klen = strlen (key);

	for (const char *line = text; line != NULL && *line;) {
		const char *nl = strchr (line, '\n');

		if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
			return atoi (line + klen + 1);
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

bool cgroup_frozen_at (int dirfd, const char *abs_path)
{
	cleanup_free char *events = NULL, *freeze = NULL;

	/* No cgroup.events or no "frozen" in it: a kernel without the
	 * freezer (before 5.2), where nothing can be frozen. */
	if (cg_read_value (dirfd, abs_path, "cgroup.events", &events, NULL) < 0)
		return false;
	if (event_value (events, "frozen") == 1)
		return true;
	/* Populated and not yet all stopped: frozen all the same when its own
	 * cgroup.freeze asks for it.  An empty one is reported frozen at once. */
	return event_value (events, "populated") == 1 &&
	       cg_read_value (dirfd, abs_path, "cgroup.freeze", &freeze, NULL) == 0 &&
	       strcmp (freeze, "1") == 0;
}

int cgroup_is_empty (const char *abs_path, bool *empty, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/cgroup.events", abs_path);
	cleanup_close int fd = -1;
	int populated, ret;

	fd = open (path, O_RDONLY | O_CLOEXEC);
	/* A v1 cgroup (the container's handle on a legacy host) has no
	 * cgroup.events: look at its processes instead. */
	if (fd < 0 && errno == ENOENT && cg_exists (abs_path, "tasks"))
		return cgroup_v1_is_empty (abs_path, empty, err);
	if (fd < 0)
		return keel_error (err, errno, "cgroup: open `%s`", path);
	/* "populated" covers the whole subtree. */
	ret = read_event (fd, path, "populated", &populated, err);
	if (ret < 0)
		return ret;
	*empty = populated == 0;
	return 0;
}

/* ---- destroy ------------------------------------------------------------- */

static int rmdir_fn (const char *dir, void *arg, struct keel_error **err)
{
	const char *top = arg;
	int ret;

	if (rmdir (dir) == 0 || errno == ENOENT)
		return 0;
	if (errno != EBUSY)
		return keel_error (err, errno, "cgroup: rmdir `%s`", dir);
	/* Processes that just exited can keep the cgroup populated for a
	 * moment after they are reaped: wait up to a second for "populated 0"
	 * before reporting that processes remain. */
	ret = wait_event (dir, "populated", 0, 1000, err);
	if (ret < 0)
		return keel_error (err, EBUSY, "cgroup: cannot remove `%s`: processes remain in %s",
		                   dir, top);
	if (rmdir (dir) < 0 && errno != ENOENT)
		return keel_error (err, errno, "cgroup: rmdir `%s`", dir);
	return 0;
}

int cgroup_destroy (const char *abs_path, struct keel_error **err)
{
	struct stat st;

	if (stat (abs_path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return keel_error (err, errno, "cgroup: stat `%s`", abs_path);
	}
	/* Most containers make no child cgroups and leave none populated:
	 * one rmdir then does it, without listing a kernfs directory of ~40
	 * files first.  Any failure takes the full walk below. */
	if (rmdir (abs_path) == 0)
		return 0;
	return walk_cgroups (abs_path, true, rmdir_fn, (void *)abs_path, err);
}
