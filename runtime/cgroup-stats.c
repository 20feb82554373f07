/* A container's cgroup statistics as runc's types.Stats JSON, and its OOM
 * notifications.  Which file holds what follows the kernel's
 * Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst.
 *
 * Files are optional: which ones exist depends on the kernel's config and
 * version (memory.kmem.* went away in 6.x, memsw.* needs swap accounting,
 * cpuacct.usage_percpu_sys arrived in 4.15), so a missing file leaves its
 * field at zero, as runc does; only the event plumbing fails loudly. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup-stats.h"

/* ---- reading ------------------------------------------------------------ */

static char *read_cg (const char *dir, const char *file)
{
	cleanup_free char *path = NULL;
	char *buf = NULL;

	if (dir == NULL)
		return NULL;
	path = xasprintf ("%s/%s", dir, file);
	if (read_file (path, 0, &buf, NULL, NULL) < 0)
		return NULL;
	return buf;
}

/* A single number; "max" (v2's no limit) reads as max_value. */
static bool read_u64 (const char *dir, const char *file, uint64_t max_value, uint64_t *out)
{
	cleanup_free char *buf = read_cg (dir, file);
	unsigned long long v;

	*out = 0;
	if (buf == NULL)
		return false;
	buf[strcspn (buf, "\n")] = '\0';
	if (strcmp (buf, "max") == 0) {
		*out = max_value;
		return true;
	}
	if (!parse_uint64 (buf, &v))
		return false;
	*out = v;
	return true;
}

/* The value of KEY in a flat-keyed file ("key value" lines: memory.stat,
 * cpu.stat, memory.events, memory.oom_control). */
static bool keyed (const char *buf, const char *key, uint64_t *out)
{
	size_t klen = strlen (key);
	const char *p = buf;

	while (p && *p) {
		if (strncmp (p, key, klen) == 0 && p[klen] == ' ') {
			*out = strtoull (p + klen + 1, NULL, 10);
			return true;
		}
		p = strchr (p, '\n');
		if (p)
			p++;
	}
	return false;
}

static uint64_t read_keyed (const char *dir, const char *file, const char *key)
{
	cleanup_free char *buf = read_cg (dir, file);
	uint64_t v = 0;

	if (buf)
		keyed (buf, key, &v);
	return v;
}

static bool cg_file_exists (const char *dir, const char *file)
{
	cleanup_free char *path = xasprintf ("%s/%s", dir, file);

	return access (path, F_OK) == 0;
}

/* The v1 directory (of st's cgroupV1Paths) that has FILE: the hierarchy
 * holding that controller, whichever way the host co-mounted them. */
static const char *v1_dir (const struct keel_state *st, const char *file)
{
	for (size_t i = 0; i < st->cgroup_v1.n; i++)
		if (cg_file_exists (st->cgroup_v1.v[i], file))
			return st->cgroup_v1.v[i];
	return NULL;
}

/* ---- JSON helpers ------------------------------------------------------- */

/* runc's `omitempty`: a zero is left out. */
static void put_u64 (json_object *o, const char *key, uint64_t v, bool omitempty)
{
	if (v != 0 || !omitempty)
		json_object_object_add (o, key, json_object_new_uint64 (v));
}

static json_object *obj (json_object *parent, const char *key)
{
	json_object *o = json_object_new_object ();

	json_object_object_add (parent, key, o);
	return o;
}

/* "N N N" (cpuacct.usage_percpu*) as an array, or nothing when absent. */
static void put_list (json_object *o, const char *key, const char *dir, const char *file)
{
	cleanup_free char *buf = read_cg (dir, file);
	json_object *a;
	char *p, *end;

	if (buf == NULL)
		return;
	a = json_object_new_array ();
	for (p = buf;; p = end) {
		unsigned long long v = strtoull (p, &end, 10);
		if (end == p)
			break;
		json_object_array_add (a, json_object_new_uint64 (v));
	}
	if (json_object_array_length (a) > 0)
		json_object_object_add (o, key, a);
	else
		json_object_put (a);
}

/* Every "key value" line as a map (memory's "raw"). */
static void put_raw (json_object *o, const char *key, const char *dir, const char *file)
{
	cleanup_free char *buf = read_cg (dir, file);
	json_object *m;
	char *line, *save = NULL;

	if (buf == NULL)
		return;
	m = json_object_new_object ();
	for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		char *sp = strchr (line, ' ');
		unsigned long long v;
		if (sp == NULL)
			continue;
		*sp = '\0';
		if (parse_uint64 (sp + 1, &v))
			json_object_object_add (m, line, json_object_new_uint64 (v));
	}
	json_object_object_add (o, key, m);
}

/* runc's MemoryEntry: limit and failcnt always, usage and max omitempty. */
static json_object *mem_entry (uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
	json_object *e = json_object_new_object ();

	put_u64 (e, "limit", limit, false);
	put_u64 (e, "usage", usage, true);
	put_u64 (e, "max", max, true);
	put_u64 (e, "failcnt", failcnt, false);
	return e;
}

static void blkio_entry (json_object *a, unsigned maj, unsigned min, const char *op, uint64_t v)
{
	json_object *e = json_object_new_object ();

	put_u64 (e, "major", maj, true);
	put_u64 (e, "minor", min, true);
	if (op[0])
		json_object_object_add (e, "op", json_object_new_string (op));
	put_u64 (e, "value", v, true);
	json_object_array_add (a, e);
}

static void put_array (json_object *o, const char *key, json_object *a)
{
	if (json_object_array_length (a) > 0)
		json_object_object_add (o, key, a);
	else
		json_object_put (a);
}

/* ---- cgroup v1 ---------------------------------------------------------- */

static void v1_cpu (const struct keel_state *st, json_object *cpu)
{
	const char *acct = v1_dir (st, "cpuacct.usage");
	const char *cfs = v1_dir (st, "cpu.stat");
	json_object *usage = obj (cpu, "usage"), *thr = obj (cpu, "throttling");
	long hz = sysconf (_SC_CLK_TCK);
	uint64_t v;

	read_u64 (acct, "cpuacct.usage", 0, &v);
	put_u64 (usage, "total", v, true);
	put_list (usage, "percpu", acct, "cpuacct.usage_percpu");
	put_list (usage, "percpu_kernel", acct, "cpuacct.usage_percpu_sys");
	put_list (usage, "percpu_user", acct, "cpuacct.usage_percpu_user");
	/* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds */
	if (hz <= 0)
		hz = 100;
	put_u64 (usage, "kernel",
	         read_keyed (acct, "cpuacct.stat", "system") * (1000000000ULL / (uint64_t)hz),
	         false);
	put_u64 (usage, "user",
	         read_keyed (acct, "cpuacct.stat", "user") * (1000000000ULL / (uint64_t)hz), false);
	put_u64 (thr, "periods", read_keyed (cfs, "cpu.stat", "nr_periods"), true);
	put_u64 (thr, "throttledPeriods", read_keyed (cfs, "cpu.stat", "nr_throttled"), true);
	put_u64 (thr, "throttledTime", read_keyed (cfs, "cpu.stat", "throttled_time"), true);
}

/* PREFIX.usage_in_bytes, .max_usage_in_bytes, .failcnt, .limit_in_bytes */
static json_object *v1_mem_entry (const char *dir, const char *prefix)
{
	uint64_t limit, usage, max, failcnt;
	char file[64];

	snprintf (file, sizeof file, "%s.limit_in_bytes", prefix);
	read_u64 (dir, file, 0, &limit);
	snprintf (file, sizeof file, "%s.usage_in_bytes", prefix);
	read_u64 (dir, file, 0, &usage);
	snprintf (file, sizeof file, "%s.max_usage_in_bytes", prefix);
	read_u64 (dir, file, 0, &max);
	snprintf (file, sizeof file, "%s.failcnt", prefix);
	read_u64 (dir, file, 0, &failcnt);
	return mem_entry (limit, usage, max, failcnt);
}

static void v1_memory (const struct keel_state *st, json_object *mem)
{
	const char *dir = v1_dir (st, "memory.usage_in_bytes");

	put_u64 (mem, "cache", read_keyed (dir, "memory.stat", "cache"), true);
	json_object_object_add (mem, "usage", v1_mem_entry (dir, "memory"));
	/* v1's "swap" is memsw: memory and swap together, as runc reports it */
	json_object_object_add (mem, "swap", v1_mem_entry (dir, "memory.memsw"));
	json_object_object_add (mem, "kernel", v1_mem_entry (dir, "memory.kmem"));
	json_object_object_add (mem, "kernelTCP", v1_mem_entry (dir, "memory.kmem.tcp"));
	put_raw (mem, "raw", dir, "memory.stat");
}

/* blkio.throttle.* lines: "MAJ:MIN Op VALUE", and a last "Total VALUE". */
static void v1_blkio_file (json_object *blkio, const char *key, const char *dir, const char *file)
{
	cleanup_free char *buf = read_cg (dir, file);
	json_object *a = json_object_new_array ();
	char *line, *save = NULL;

	for (line = buf ? strtok_r (buf, "\n", &save) : NULL; line;
	     line = strtok_r (NULL, "\n", &save)) {
		unsigned maj, min;
		unsigned long long v;
		char op[16];

		if (sscanf (line, "%u:%u %15s %llu", &maj, &min, op, &v) == 4)
			blkio_entry (a, maj, min, op, v);
	}
	put_array (blkio, key, a);
}

static void v1_blkio (const struct keel_state *st, json_object *blkio)
{
	const char *dir = v1_dir (st, "blkio.throttle.io_service_bytes");

	/* the _recursive files (kernel 4.19+) count the children too */
	if (dir && v1_dir (st, "blkio.throttle.io_service_bytes_recursive")) {
		v1_blkio_file (blkio, "ioServiceBytesRecursive", dir,
		               "blkio.throttle.io_service_bytes_recursive");
		v1_blkio_file (blkio, "ioServicedRecursive", dir,
		               "blkio.throttle.io_serviced_recursive");
	} else {
		v1_blkio_file (blkio, "ioServiceBytesRecursive", dir,
		               "blkio.throttle.io_service_bytes");
		v1_blkio_file (blkio, "ioServicedRecursive", dir, "blkio.throttle.io_serviced");
	}
}

/* ---- cgroup v2 ---------------------------------------------------------- */

static void v2_cpu (const char *dir, json_object *cpu)
{
	json_object *usage = obj (cpu, "usage"), *thr = obj (cpu, "throttling");

	/* cpu.stat counts microseconds; runc reports nanoseconds */
	put_u64 (usage, "total", read_keyed (dir, "cpu.stat", "usage_usec") * 1000, true);
	put_u64 (usage, "kernel", read_keyed (dir, "cpu.stat", "system_usec") * 1000, false);
	put_u64 (usage, "user", read_keyed (dir, "cpu.stat", "user_usec") * 1000, false);
	put_u64 (thr, "periods", read_keyed (dir, "cpu.stat", "nr_periods"), true);
	put_u64 (thr, "throttledPeriods", read_keyed (dir, "cpu.stat", "nr_throttled"), true);
	put_u64 (thr, "throttledTime", read_keyed (dir, "cpu.stat", "throttled_usec") * 1000, true);
}

static void v2_memory (const char *dir, json_object *mem)
{
	uint64_t usage, limit, peak, swap, swap_max;

	put_u64 (mem, "cache", read_keyed (dir, "memory.stat", "file"), true);
	read_u64 (dir, "memory.current", 0, &usage);
	read_u64 (dir, "memory.max", UINT64_MAX, &limit);
	read_u64 (dir, "memory.peak", 0, &peak); /* kernel 5.19+ */
	json_object_object_add (
	        mem, "usage",
	        mem_entry (limit, usage, peak, read_keyed (dir, "memory.events", "max")));
	/* runc reports v2's swap as memory plus swap, the meaning v1's memsw
	 * gave the field */
	if (read_u64 (dir, "memory.swap.current", 0, &swap)) {
		read_u64 (dir, "memory.swap.max", UINT64_MAX, &swap_max);
		if (swap_max != UINT64_MAX && limit != UINT64_MAX)
			swap_max += limit;
		json_object_object_add (mem, "swap", mem_entry (swap_max, swap + usage, 0, 0));
	}
	put_raw (mem, "raw", dir, "memory.stat");
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" */
static void v2_blkio (const char *dir, json_object *blkio)
{
	cleanup_free char *buf = read_cg (dir, "io.stat");
	json_object *bytes = json_object_new_array (), *ios = json_object_new_array ();
	char *line, *save = NULL;

	for (line = buf ? strtok_r (buf, "\n", &save) : NULL; line;
	     line = strtok_r (NULL, "\n", &save)) {
		unsigned maj, min;
		char *tok, *save2 = NULL;

		if (sscanf (line, "%u:%u", &maj, &min) != 2)
			continue;
		strtok_r (line, " ", &save2);
		while ((tok = strtok_r (NULL, " ", &save2)) != NULL) {
			char *eq = strchr (tok, '=');
			uint64_t v;

			if (eq == NULL)
				continue;
			*eq = '\0';
			v = strtoull (eq + 1, NULL, 10);
			if (strcmp (tok, "rbytes") == 0)
				blkio_entry (bytes, maj, min, "Read", v);
			else if (strcmp (tok, "wbytes") == 0)
				blkio_entry (bytes, maj, min, "Write", v);
			else if (strcmp (tok, "rios") == 0)
				blkio_entry (ios, maj, min, "Read", v);
			else if (strcmp (tok, "wios") == 0)
				blkio_entry (ios, maj, min, "Write", v);
		}
	}
	put_array (blkio, "ioServiceBytesRecursive", bytes);
	put_array (blkio, "ioServicedRecursive", ios);
}

/* ---- cpuset ------------------------------------------------------------- */

/* A cpu or node list ("0-3,8,10-11") as an array of numbers. */
static void put_cpu_list (json_object *o, const char *key, const char *dir, const char *file)
{
	cleanup_free char *buf = read_cg (dir, file);
	json_object *a;
	char *p;

	if (buf == NULL)
		return;
	a = json_object_new_array ();
	for (p = buf; *p && *p != '\n';) {
		char *end;
		unsigned long lo = strtoul (p, &end, 10), hi = lo;

		if (end == p)
			break;
		if (*end == '-')
			hi = strtoul (end + 1, &end, 10);
		/* a list of one machine's cpus; the bound guards a garbled file */
		for (unsigned long c = lo; c <= hi && c - lo < 65536; c++)
			json_object_array_add (a, json_object_new_uint64 (c));
		p = *end == ',' ? end + 1 : end;
	}
	put_array (o, key, a);
}

static void v1_cpuset (const struct keel_state *st, json_object *cs)
{
	static const char *const flags[][2] = {
	        {"cpu_exclusive", "cpuset.cpu_exclusive"},
	        {"mem_hardwall", "cpuset.mem_hardwall"},
	        {"mem_exclusive", "cpuset.mem_exclusive"},
	        {"memory_migrate", "cpuset.memory_migrate"},
	        {"memory_spread_page", "cpuset.memory_spread_page"},
	        {"memory_spread_slab", "cpuset.memory_spread_slab"},
	        {"memory_pressure", "cpuset.memory_pressure"},
	        {"sched_load_balance", "cpuset.sched_load_balance"},
	};
	const char *dir = v1_dir (st, "cpuset.cpus");
	cleanup_free char *level = NULL;
	uint64_t v;

	if (dir == NULL)
		return;
	put_cpu_list (cs, "cpus", dir, "cpuset.cpus");
	put_cpu_list (cs, "mems", dir, "cpuset.mems");
	for (size_t i = 0; i < ARRAY_SIZE (flags); i++) {
		read_u64 (dir, flags[i][1], 0, &v);
		put_u64 (cs, flags[i][0], v, false);
	}
	/* -1 (the system default) is the usual value: signed */
	level = read_cg (dir, "cpuset.sched_relax_domain_level");
	json_object_object_add (cs, "sched_relax_domain_level",
	                        json_object_new_int64 (level ? strtoll (level, NULL, 10) : 0));
}

/* ---- both --------------------------------------------------------------- */

static void pids (const char *dir, json_object *p)
{
	uint64_t v;

	read_u64 (dir, "pids.current", 0, &v);
	put_u64 (p, "current", v, true);
	/* "max" (no limit) is runc's 0 */
	read_u64 (dir, "pids.max", 0, &v);
	put_u64 (p, "limit", v, true);
}

/* hugetlb.SIZE.FILE for every page size the directory shows (v1:
 * usage_in_bytes, max_usage_in_bytes, failcnt; v2: current, and the
 * "max" count of hugetlb.SIZE.events as failcnt). */
static int hugetlb (const char *dir, bool v2, json_object *map, struct keel_error **err)
{
	const char *suffix = v2 ? ".current" : ".usage_in_bytes";
	DIR *d;
	struct dirent *de;

	if (dir == NULL)
		return 0;
	d = opendir (dir);
	if (d == NULL)
		return keel_error (err, errno, "opendir `%s`", dir);
	while ((de = readdir (d)) != NULL) {
		const char *name = de->d_name, *size, *end;
		size_t len = strlen (name), slen = strlen (suffix);
		cleanup_free char *sz = NULL;
		char file[300];
		uint64_t usage, max = 0, failcnt;
		json_object *e;

		if (strncmp (name, "hugetlb.", 8) != 0 || len <= 8 + slen ||
		    strcmp (name + len - slen, suffix) != 0)
			continue;
		size = name + 8;
		end = name + len - slen;
		/* v2's hugetlb.2MB.rsvd.current is the reservation, not a size */
		if (memchr (size, '.', (size_t)(end - size)) != NULL)
			continue;
		sz = xasprintf ("%.*s", (int)(end - size), size);
		snprintf (file, sizeof file, "hugetlb.%s%s", sz, suffix);
		read_u64 (dir, file, 0, &usage);
		if (v2) {
			snprintf (file, sizeof file, "hugetlb.%s.events", sz);
			failcnt = read_keyed (dir, file, "max");
		} else {
			snprintf (file, sizeof file, "hugetlb.%s.max_usage_in_bytes", sz);
			read_u64 (dir, file, 0, &max);
			snprintf (file, sizeof file, "hugetlb.%s.failcnt", sz);
			read_u64 (dir, file, 0, &failcnt);
		}
		e = json_object_new_object ();
		put_u64 (e, "usage", usage, true);
		put_u64 (e, "max", max, true);
		put_u64 (e, "failcnt", failcnt, false);
		json_object_object_add (map, sz, e);
	}
	closedir (d);
	return 0;
}

int cgroup_stats_json (const struct keel_state *st, struct json_object **out,
                       struct keel_error **err)
{
	json_object *o, *cpu, *cpuset, *mem, *pid, *blkio, *huge;
	bool v1 = st->cgroup_v1.n > 0;
	int ret;

	if (st->cgroup_path == NULL && !v1)
		return keel_error (err, 0,
		                   "container `%s` has no cgroup to read statistics from "
		                   "(--cgroup-manager disabled)",
		                   st->id);
	o = json_object_new_object ();
	cpu = obj (o, "cpu");
	cpuset = obj (o, "cpuset");
	mem = obj (o, "memory");
	pid = obj (o, "pids");
	blkio = obj (o, "blkio");
	huge = obj (o, "hugetlb");
	if (v1) {
		v1_cpu (st, cpu);
		v1_cpuset (st, cpuset);
		v1_memory (st, mem);
		pids (v1_dir (st, "pids.current"), pid);
		v1_blkio (st, blkio);
		/* only the hugetlb hierarchy has hugetlb.SIZE.* files */
		ret = 0;
		for (size_t i = 0; ret == 0 && i < st->cgroup_v1.n; i++)
			ret = hugetlb (st->cgroup_v1.v[i], false, huge, err);
	} else {
		v2_cpu (st->cgroup_path, cpu);
		/* v2 has no cpuset flags; the effective lists are what applies */
		put_cpu_list (cpuset, "cpus", st->cgroup_path, "cpuset.cpus.effective");
		put_cpu_list (cpuset, "mems", st->cgroup_path, "cpuset.mems.effective");
		v2_memory (st->cgroup_path, mem);
		pids (st->cgroup_path, pid);
		v2_blkio (st->cgroup_path, blkio);
		ret = hugetlb (st->cgroup_path, true, huge, err);
	}
	if (ret < 0) {
		json_object_put (o);
		return ret;
	}
	*out = o;
	return 0;
}

/* ---- OOM ---------------------------------------------------------------- */

/* cgroup.event_control takes "EVENTFD TARGET-FD" in one write. */
static int register_event (const char *dir, int efd, int target, struct keel_error **err)
{
	cleanup_free char *path = xasprintf ("%s/cgroup.event_control", dir);
	cleanup_close int fd = -1;
	char line[32];
	int len = snprintf (line, sizeof line, "%d %d", efd, target);

	fd = open (path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_error (err, errno, "open `%s`", path);
	if (write (fd, line, (size_t)len) != len)
		return keel_error (err, errno, "write `%s` to `%s`", line, path);
	return 0;
}

static int oom_open_v1 (const char *dir, struct cgroup_oom_watch *w, struct keel_error **err)
{
	cleanup_free char *oom = xasprintf ("%s/memory.oom_control", dir);
	cleanup_close int ofd = -1;
	int efd, ret;

	ofd = open (oom, O_RDONLY | O_CLOEXEC);
	if (ofd < 0)
		return keel_error (err, errno, "open `%s`", oom);
	efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return keel_error (err, errno, "eventfd");
	/* the kernel keeps its own reference to memory.oom_control once
	 * registered, so ours can be closed */
	ret = register_event (dir, efd, ofd, err);
	if (ret < 0) {
		close (efd);
		return ret;
	}
	w->fd = efd;
	w->v1 = true;
	return 0;
}

/* v2: the kernel raises a modify event on memory.events when a counter in
 * it changes; the oom_kill count says whether one was an OOM kill. */
static int oom_open_v2 (const char *dir, struct cgroup_oom_watch *w, struct keel_error **err)
{
	int fd;

	w->events_path = xasprintf ("%s/memory.events", dir);
	fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		return keel_error (err, errno, "inotify_init1");
	if (inotify_add_watch (fd, w->events_path, IN_MODIFY) < 0) {
		int e = errno;
		close (fd);
		return keel_error (err, e, "inotify_add_watch `%s`", w->events_path);
	}
	w->fd = fd;
	w->seen = read_keyed (dir, "memory.events", "oom_kill");
	return 0;
}

int cgroup_oom_watch_open (const struct keel_state *st, struct cgroup_oom_watch *w,
                           struct keel_error **err)
{
	const char *dir;

	*w = (struct cgroup_oom_watch){.fd = -1};
	if (st->cgroup_v1.n > 0) {
		dir = v1_dir (st, "memory.oom_control");
		if (dir == NULL)
			return keel_error (err, 0, "container `%s` has no v1 memory cgroup",
			                   st->id);
		return oom_open_v1 (dir, w, err);
	}
	if (st->cgroup_path == NULL)
		return keel_error (err, 0,
		                   "container `%s` has no cgroup to watch "
		                   "(--cgroup-manager disabled)",
		                   st->id);
	if (!cg_file_exists (st->cgroup_path, "memory.events"))
		return keel_error (err, 0,
		                   "container `%s`: no memory.events in `%s` (memory controller "
		                   "not enabled)",
		                   st->id, st->cgroup_path);
	return oom_open_v2 (st->cgroup_path, w, err);
}

int cgroup_oom_watch_read (struct cgroup_oom_watch *w, uint64_t *n, struct keel_error **err)
{
	*n = 0;
	if (w->v1) {
		uint64_t count;
		/* the eventfd's counter is the number of OOMs since the last read */
		if (read (w->fd, &count, sizeof count) == (ssize_t)sizeof count)
			*n = count;
		else if (errno != EAGAIN)
			return keel_error (err, errno, "read the OOM eventfd");
		return 0;
	}
	for (;;) {
		char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
		ssize_t r = read (w->fd, buf, sizeof buf);
		if (r > 0)
			continue;
		if (r < 0 && errno != EAGAIN)
			return keel_error (err, errno, "read inotify on `%s`", w->events_path);
		break;
	}
	{
		cleanup_free char *buf = NULL;
		uint64_t now = 0;

		if (read_file (w->events_path, 0, &buf, NULL, NULL) < 0)
			return 0; /* the cgroup went away with the container */
		keyed (buf, "oom_kill", &now);
		if (now > w->seen)
			*n = now - w->seen;
		w->seen = now;
	}
	return 0;
}

void cgroup_oom_watch_close (struct cgroup_oom_watch *w)
{
	if (w->fd >= 0)
		close (w->fd);
	w->fd = -1;
	free (w->events_path);
	w->events_path = NULL;
}
