/* Per-process attributes of the container process; see process-attrs.h. */
#include "runtime/process-attrs.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/procfs.h"

int process_apply_rlimits (const struct spec_process *p, struct keel_error **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct spec_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};

		if (setrlimit (r->resource, &rl) < 0)
			return keel_error (err, errno, "setrlimit %s (soft %llu, hard %llu)",
			                   r->type ? r->type : "?", (unsigned long long)r->soft,
			                   (unsigned long long)r->hard);
	}
	return 0;
}

int process_apply_oom_score_adj (const struct spec_process *p, struct keel_error **err)
{
	char buf[16];
	int ret;

	if (!p->has_oom_score_adj)
		return 0;
	snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
	/* Through a procfs of our own: a mount over /proc/self/... must not
	 * take the write (CVE-2025-52881). */
	ret = procfs_write ("self/oom_score_adj", buf, strlen (buf), err);
	if (ret < 0)
		return keel_error_wrap (err, "set oomScoreAdj %d", p->oom_score_adj);
	return 0;
}

/* The kernel's struct sched_attr, first version (SCHED_ATTR_SIZE_VER0):
 * glibc only gained a wrapper in 2.41. */
struct keel_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

int process_apply_scheduler (const struct spec_process *p, struct keel_error **err)
{
	const struct spec_scheduler *s = &p->scheduler;
	struct keel_sched_attr attr = {
	        .size = sizeof attr,
	        .sched_policy = (uint32_t)s->policy,
	        .sched_flags = s->flags,
	        .sched_nice = s->nice,
	        .sched_priority = (uint32_t)s->priority,
	        .sched_runtime = s->runtime,
	        .sched_deadline = s->deadline,
	        .sched_period = s->period,
	};

	if (!s->present)
		return 0;
	if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
		return keel_error (err, errno, "sched_setattr (policy %d, priority %d, nice %d)",
		                   s->policy, s->priority, s->nice);
	return 0;
}

#define KEEL_IOPRIO_WHO_PROCESS 1
#define KEEL_IOPRIO_CLASS_SHIFT 13

int process_apply_io_priority (const struct spec_process *p, struct keel_error **err)
{
	const struct spec_io_priority *io = &p->io_priority;
	int value;

	if (!io->present)
		return 0;
	value = (io->class << KEEL_IOPRIO_CLASS_SHIFT) | io->priority;
	if (syscall (SYS_ioprio_set, KEEL_IOPRIO_WHO_PROCESS, 0, value) < 0)
		return keel_error (err, errno, "ioprio_set (class %d, priority %d)", io->class,
		                   io->priority);
	return 0;
}

/* Parse "0-3,7" into set; false when malformed or out of range. */
static bool parse_cpu_list (const char *list, cpu_set_t *set)
{
	const char *p = list;

	CPU_ZERO (set);
	while (*p) {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			return false;
		a = strtoul (p, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return false;
			b = strtoul (end + 1, &end, 10);
		}
		if (b < a || b >= CPU_SETSIZE)
			return false;
		for (unsigned long c = a; c <= b; c++)
			CPU_SET (c, set);
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return false;
		p = end;
	}
	return p != list;
}

int process_apply_cpu_affinity (const char *cpus, struct keel_error **err)
{
	cpu_set_t set;

	if (cpus == NULL)
		return 0;
	if (!parse_cpu_list (cpus, &set))
		return keel_error (err, 0, "execCPUAffinity: invalid cpu list `%s`", cpus);
	if (sched_setaffinity (0, sizeof set, &set) < 0)
		return keel_error (err, errno, "sched_setaffinity `%s`", cpus);
	return 0;
}

int personality_apply (const struct spec_personality *pers, struct keel_error **err)
{
	if (pers == NULL || !pers->present)
		return 0;
	/* The spec defines no flags yet; spec_load refuses unknown ones. */
	if (personality (pers->domain) < 0)
		return keel_error (err, errno, "personality %#lx", pers->domain);
	return 0;
}

/* A joined user namespace whose creator wrote "deny" to its setgroups
 * (`unshare --map-root-user` does) refuses even an empty setgroups. */
static bool setgroups_denied_here (void)
{
	cleanup_free char *s = NULL;
	struct keel_error *e = NULL;

	if (read_file ("/proc/self/setgroups", 64, &s, NULL, &e) < 0) {
		keel_error_release (&e);
		return false;
	}
	return strncmp (s, "deny", 4) == 0;
}

/* setgroups, setresgid and setresuid straight to the kernel.  libc's
 * wrappers change every thread of the process (POSIX says the ids are
 * per process, the kernel keeps them per thread); musl does that by
 * blocking signals and signalling each thread, three more system calls
 * apiece even with one thread.  Only the container's process (create's
 * and exec's, each a fresh clone or fork of one thread; keel starts no
 * threads) comes here, so its one thread is all there is to change. */
static int sys_setgroups (size_t n, const gid_t *list)
{
#ifdef SYS_setgroups32
	return (int)syscall (SYS_setgroups32, n, list);
#else
	return (int)syscall (SYS_setgroups, n, list);
#endif
}

static int sys_setresgid (gid_t g)
{
#ifdef SYS_setresgid32
	return (int)syscall (SYS_setresgid32, g, g, g);
#else
	return (int)syscall (SYS_setresgid, g, g, g);
#endif
}

static int sys_setresuid (uid_t u)
{
#ifdef SYS_setresuid32
	return (int)syscall (SYS_setresuid32, u, u, u);
#else
	return (int)syscall (SYS_setresuid, u, u, u);
#endif
}

int user_apply (const struct spec_user *u, bool in_userns_without_setgroups,
                struct keel_error **err)
{
	if (u->keep_original_groups) {
		/* Asked for (crun's annotation): the groups the runtime was
		 * started with, e.g. to reach the caller's devices. */
	} else if (in_userns_without_setgroups) {
		if (u->n_additional_gids > 0)
			return keel_error (
			        err, 0,
			        "process.user.additionalGids: setgroups is denied in the "
			        "container's user namespace");
	} else if (sys_setgroups (u->n_additional_gids, u->additional_gids) < 0) {
		/* Even an empty list is set: the container must not inherit the
		 * runtime's supplementary groups -- unless the namespace denies
		 * setgroups, where there is nothing to ask for. */
		int e = errno;
		if (e != EPERM || u->n_additional_gids > 0 || !setgroups_denied_here ())
			return keel_error (err, e, "setgroups (%zu additional gids)",
			                   u->n_additional_gids);
	}
	if (sys_setresgid (u->gid) < 0)
		return keel_error (err, errno, "setresgid %u", (unsigned)u->gid);
	if (sys_setresuid (u->uid) < 0)
		return keel_error (err, errno, "setresuid %u", (unsigned)u->uid);
	if (u->has_umask)
		umask (u->umask);
	return 0;
}

/* ---- sysctl -------------------------------------------------------------- */

static bool has_ns (const struct spec *s, enum spec_ns_kind kind, const char **path)
{
	for (size_t i = 0; i < s->linux_.n_namespaces; i++)
		if (s->linux_.namespaces[i].kind == kind) {
			if (path)
				*path = s->linux_.namespaces[i].path;
			return true;
		}
	return false;
}

static bool is_ipc_sysctl (const char *k)
{
	static const char *const names[] = {
	        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};

	for (size_t i = 0; i < ARRAY_SIZE (names); i++)
		if (strcmp (k, names[i]) == 0)
			return true;
	return strncmp (k, "fs.mqueue.", 10) == 0;
}

/* Is path (a network namespace to join) the runtime's own one?  Setting
 * net.* there would change the host. */
static bool is_host_netns (const char *path)
{
	struct stat a, b;

	if (stat (path, &a) < 0 || stat ("/proc/self/ns/net", &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The key with '/' separators ("net/ipv4/ip_forward"), as runc: dots
 * separate components unless the key already uses slashes (needed for
 * interface names with dots, "net/ipv4/conf/eth0.100/forwarding"). */
static int sysctl_path (const char *key, char **out, struct keel_error **err)
{
	cleanup_free char *k = xstrdup (key);
	bool slashes = strchr (key, '/') != NULL;

	if (!slashes)
		for (char *p = k; *p; p++)
			if (*p == '.')
				*p = '/';
	if (k[0] == '\0' || k[0] == '/' || strstr (k, "//") != NULL || strstr (k, "..") != NULL ||
	    k[strlen (k) - 1] == '/')
		return keel_error (err, 0, "linux.sysctl: invalid key `%s`", key);
	*out = xasprintf ("sys/%s", k); /* under /proc, for procfs_write */
	return 0;
}

/* The dotted form, for the namespace rules. */
static char *dotted (const char *key)
{
	char *k = xstrdup (key);

	if (strchr (k, '/') != NULL)
		for (char *p = k; *p; p++)
			if (*p == '/')
				*p = '.';
	return k;
}

static int validate_one (const char *key, const struct spec *s, struct keel_error **err)
{
	cleanup_free char *k = dotted (key);
	cleanup_free char *path = NULL;
	const char *ns_path = NULL;
	int ret;

	ret = sysctl_path (key, &path, err);
	if (ret < 0)
		return ret;
	if (is_ipc_sysctl (k)) {
		if (!has_ns (s, NS_IPC, NULL))
			return keel_error (err, 0,
			                   "linux.sysctl: `%s` needs an ipc namespace (it would "
			                   "change the host's)",
			                   key);
		return 0;
	}
	if (strncmp (k, "net.", 4) == 0) {
		if (!has_ns (s, NS_NETWORK, &ns_path))
			return keel_error (err, 0,
			                   "linux.sysctl: `%s` needs a network namespace (it would "
			                   "change the host's)",
			                   key);
		if (ns_path != NULL && is_host_netns (ns_path))
			return keel_error (
			        err, 0,
			        "linux.sysctl: `%s` is not allowed in the host's network "
			        "namespace",
			        key);
		return 0;
	}
	if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0) {
		if (!has_ns (s, NS_UTS, NULL))
			return keel_error (err, 0,
			                   "linux.sysctl: `%s` needs a uts namespace (it would "
			                   "change the host's)",
			                   key);
		return 0;
	}
	return keel_error (err, 0,
	                   "linux.sysctl: `%s` is not namespaced: it cannot be set for a container",
	                   key);
}

int sysctl_validate (const struct spec_map *m, const struct spec *s, struct keel_error **err)
{
	for (size_t i = 0; i < m->n; i++) {
		int ret = validate_one (m->e[i].key, s, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int sysctl_apply (const struct spec_map *m, const struct spec *s, struct keel_error **err)
{
	int ret = sysctl_validate (m, s, err);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < m->n; i++) {
		cleanup_free char *path = NULL;
		const char *v = m->e[i].value ? m->e[i].value : "";

		ret = sysctl_path (m->e[i].key, &path, err);
		if (ret < 0)
			return ret;
		/* Not by path: this runs after pivot_root, in the container's
		 * /proc, where a config mount steered by a symlink in a shared
		 * volume could sit on the file and take the write to wherever
		 * its source is (CVE-2025-52881). */
		ret = procfs_write (path, v, strlen (v), err);
		if (ret < 0)
			return keel_error_wrap (err, "linux.sysctl: set `%s` to \"%s\"",
			                        m->e[i].key, v);
	}
	return 0;
}
