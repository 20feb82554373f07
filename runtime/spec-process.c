/* config.json "process": user, args/env/cwd, capabilities (numbers via
 * libcap), rlimits, scheduler, ioPriority, execCPUAffinity, and the fields
 * keel refuses (LSM labels, commandLine). */
#include "runtime/spec-parse.h"

#include <sched.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "lib/util.h"

/* The values of linux/sched.h and linux/sched/types.h, stable ABI; spelled
 * out because glibc's headers do not carry all of them. */
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

struct name_value {
	const char *name;
	long value;
};

static const struct name_value *lookup (const struct name_value *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp (t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static const struct name_value rlimit_names[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
};

static const struct name_value sched_policies[] = {
        {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO},
        {"SCHED_RR", SCHED_RR},       {"SCHED_BATCH", SCHED_BATCH},
        {"SCHED_IDLE", SCHED_IDLE},   {"SCHED_DEADLINE", SCHED_DEADLINE},
};

static const struct name_value sched_flags[] = {
        {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
        {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
        {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

/* include/uapi/linux/ioprio.h */
static const struct name_value ioprio_classes[] = {
        {"IOPRIO_CLASS_RT", 1},
        {"IOPRIO_CLASS_BE", 2},
        {"IOPRIO_CLASS_IDLE", 3},
};

static int parse_user (struct spec_ctx *c, json_object *p, struct spec_user *u)
{
	json_object *v, *arr;
	size_t mark, m2;
	uint32_t umask;
	bool has_umask = false;
	int ret;

	ret = spec_enter (c, p, "user", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	/* runc reads a missing uid or gid as 0 (`"user": {}` is root), and
	 * Atomic images rely on it: so does keel. */
	u->uid = u->gid = 0;
	if ((ret = spec_opt_int (c, v, "uid", SPEC_U32, &u->uid, NULL)) < 0 ||
	    (ret = spec_opt_int (c, v, "gid", SPEC_U32, &u->gid, NULL)) < 0 ||
	    (ret = spec_opt_int (c, v, "umask", SPEC_U32, &umask, &has_umask)) < 0 ||
	    (ret = spec_opt_string (c, v, "username", &u->username)) < 0)
		return ret;
	if (has_umask) {
		if (umask > 0777) {
			spec_push_key (c, "umask");
			return spec_err (c, "%#o is not a permission mask (at most 0777)", umask);
		}
		u->has_umask = true;
		u->umask = (mode_t)umask;
	}
	ret = spec_enter (c, v, "additionalGids", json_type_array, &arr, &m2);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		size_t n = json_object_array_length (arr);

		u->additional_gids = spec_alloc_array (n, sizeof (gid_t));
		for (size_t i = 0; i < n; i++) {
			size_t m3 = spec_push_index (c, i);
			uint32_t gid;

			ret = spec_int_value (c, json_object_array_get_idx (arr, i), SPEC_U32,
			                      &gid);
			if (ret < 0)
				return ret;
			u->additional_gids[u->n_additional_gids++] = gid;
			spec_pop (c, m3);
		}
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

/* Only the "CAP_NAME" spelling config.md uses: libcap would also take
 * "cap_kill", "5" or trailing blanks, which would hide typos. */
static bool cap_name_ok (const char *s)
{
	if (strncmp (s, "CAP_", 4) != 0 || s[4] == '\0')
		return false;
	for (s += 4; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The names straight from json-c's strings, not copied as a strv first:
 * the same two passes spec_opt_strv and the lookup made (every element a
 * string without NUL, then every name known), so the same element is
 * blamed first. */
static int parse_cap_set (struct spec_ctx *c, json_object *caps, const char *key, int **out,
                          size_t *n)
{
	json_object *arr = spec_member (caps, key);
	size_t mark, len;

	if (arr == NULL)
		return 0;
	mark = spec_push_key (c, key);
	if (!json_object_is_type (arr, json_type_array))
		return spec_err_type (c, "an array of strings", arr);
	len = json_object_array_length (arr);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx (arr, i);

		if (e == NULL || !json_object_is_type (e, json_type_string) ||
		    memchr (json_object_get_string (e), '\0',
		            (size_t)json_object_get_string_len (e)) != NULL) {
			spec_push_index (c, i);
			if (e == NULL || !json_object_is_type (e, json_type_string))
				return spec_err_type (c, "a string", e);
			return spec_err (c, "string contains a NUL character");
		}
	}
	*out = spec_alloc_array (len, sizeof (int));
	for (size_t i = 0; i < len; i++) {
		const char *name = json_object_get_string (json_object_array_get_idx (arr, i));
		cap_value_t cap;

		if (!cap_name_ok (name) || cap_from_name (name, &cap) < 0) {
			spec_push_index (c, i);
			return spec_err (c, "unknown capability %s", spec_q (c, name));
		}
		(*out)[(*n)++] = cap;
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_caps (struct spec_ctx *c, json_object *p, struct spec_caps *caps)
{
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, p, "capabilities", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	caps->present = true;
	if ((ret = parse_cap_set (c, v, "bounding", &caps->bounding, &caps->n_bounding)) < 0 ||
	    (ret = parse_cap_set (c, v, "effective", &caps->effective, &caps->n_effective)) < 0 ||
	    (ret = parse_cap_set (c, v, "inheritable", &caps->inheritable, &caps->n_inheritable)) <
	            0 ||
	    (ret = parse_cap_set (c, v, "permitted", &caps->permitted, &caps->n_permitted)) < 0 ||
	    (ret = parse_cap_set (c, v, "ambient", &caps->ambient, &caps->n_ambient)) < 0)
		return ret;
	spec_pop (c, mark);
	return 0;
}

static int parse_rlimit (struct spec_ctx *c, json_object *e, struct spec_rlimit *r)
{
	const struct name_value *nv;
	int ret;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	if ((ret = spec_req_string (c, e, "type", &r->type)) < 0 ||
	    (ret = spec_req_int (c, e, "soft", SPEC_U64, &r->soft)) < 0 ||
	    (ret = spec_req_int (c, e, "hard", SPEC_U64, &r->hard)) < 0)
		return ret;
	nv = lookup (rlimit_names, ARRAY_SIZE (rlimit_names), r->type);
	if (nv == NULL) {
		spec_push_key (c, "type");
		return spec_err (c, "unknown rlimit %s", spec_q (c, r->type));
	}
	r->resource = (int)nv->value;
	/* setrlimit(2) would fail with EINVAL inside the container. */
	if (r->soft > r->hard)
		return spec_err (c, "soft limit %llu is greater than hard limit %llu",
		                 (unsigned long long)r->soft, (unsigned long long)r->hard);
	return 0;
}

static int parse_rlimits (struct spec_ctx *c, json_object *p, struct spec_process *proc)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	ret = spec_enter (c, p, "rlimits", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	proc->rlimits = spec_alloc_array (n, sizeof (*proc->rlimits));
	for (size_t i = 0; i < n; i++) {
		struct spec_rlimit *r = &proc->rlimits[i];
		size_t m2 = spec_push_index (c, i);

		proc->n_rlimits++;
		ret = parse_rlimit (c, json_object_array_get_idx (arr, i), r);
		if (ret < 0)
			return ret;
		for (size_t j = 0; j < i; j++) {
			if (proc->rlimits[j].resource == r->resource) {
				spec_push_key (c, "type");
				return spec_err (c, "duplicate rlimit %s (also rlimits[%zu])",
				                 spec_q (c, r->type), j);
			}
		}
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_name_value (struct spec_ctx *c, json_object *obj, const char *key,
                             const struct name_value *t, size_t n, const char *what, long *out)
{
	cleanup_free char *name = NULL;
	const struct name_value *nv;
	int ret;

	ret = spec_req_string (c, obj, key, &name);
	if (ret < 0)
		return ret;
	nv = lookup (t, n, name);
	if (nv == NULL) {
		spec_push_key (c, key);
		return spec_err (c, "unknown %s %s", what, spec_q (c, name));
	}
	*out = nv->value;
	return 0;
}

static int parse_scheduler (struct spec_ctx *c, json_object *p, struct spec_scheduler *sc)
{
	cleanup_strv struct spec_strv flags = {0};
	json_object *v, *nice;
	size_t mark;
	long policy;
	int ret;

	ret = spec_enter (c, p, "scheduler", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	sc->present = true;
	ret = parse_name_value (c, v, "policy", sched_policies, ARRAY_SIZE (sched_policies),
	                        "scheduler policy", &policy);
	if (ret < 0)
		return ret;
	sc->policy = (int)policy;
	nice = spec_member (v, "nice");
	if (nice != NULL) {
		size_t m2 = spec_push_key (c, "nice");
		int64_t n;

		ret = spec_int_range (c, nice, -20, 19, &n);
		if (ret < 0)
			return ret;
		sc->nice = (int)n;
		spec_pop (c, m2);
	}
	if ((ret = spec_opt_int (c, v, "priority", SPEC_I32, &sc->priority, NULL)) < 0 ||
	    (ret = spec_opt_int (c, v, "runtime", SPEC_U64, &sc->runtime, NULL)) < 0 ||
	    (ret = spec_opt_int (c, v, "deadline", SPEC_U64, &sc->deadline, NULL)) < 0 ||
	    (ret = spec_opt_int (c, v, "period", SPEC_U64, &sc->period, NULL)) < 0 ||
	    (ret = spec_opt_strv (c, v, "flags", &flags)) < 0)
		return ret;
	for (size_t i = 0; i < flags.n; i++) {
		const struct name_value *nv =
		        lookup (sched_flags, ARRAY_SIZE (sched_flags), flags.v[i]);

		if (nv == NULL) {
			spec_push_key (c, "flags");
			spec_push_index (c, i);
			return spec_err (c, "unknown scheduler flag %s", spec_q (c, flags.v[i]));
		}
		sc->flags |= (uint64_t)nv->value;
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_io_priority (struct spec_ctx *c, json_object *p, struct spec_io_priority *io)
{
	json_object *v, *prio;
	size_t mark;
	int64_t n;
	long cls;
	int ret;

	ret = spec_enter (c, p, "ioPriority", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	io->present = true;
	ret = parse_name_value (c, v, "class", ioprio_classes, ARRAY_SIZE (ioprio_classes),
	                        "I/O priority class", &cls);
	if (ret < 0)
		return ret;
	io->class = (int)cls;
	prio = spec_member (v, "priority");
	if (prio == NULL)
		return spec_err_missing (c, "priority");
	spec_push_key (c, "priority");
	ret = spec_int_range (c, prio, 0, 7, &n);
	if (ret < 0)
		return ret;
	io->priority = (int)n;
	spec_pop (c, mark);
	return 0;
}

/* A cpuset list: "0-3,7,9-10". */
static bool cpu_list_ok (const char *s)
{
	while (*s) {
		unsigned long a, b;
		char *end;

		if (*s < '0' || *s > '9')
			return false;
		a = strtoul (s, &end, 10);
		s = end;
		if (*s == '-') {
			s++;
			if (*s < '0' || *s > '9')
				return false;
			b = strtoul (s, &end, 10);
			if (b < a)
				return false;
			s = end;
		}
		if (*s == ',' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			return false;
	}
	return true;
}

int spec_check_cpu_list (struct spec_ctx *c, json_object *obj, const char *key, char **out)
{
	int ret = spec_opt_string (c, obj, key, out);

	if (ret <= 0)
		return ret;
	if (!cpu_list_ok (*out)) {
		spec_push_key (c, key);
		return spec_err (c, "%s is not a CPU list like \"0-3,7\"", spec_q (c, *out));
	}
	return 1;
}

static int parse_exec_affinity (struct spec_ctx *c, json_object *p, struct spec_process *proc)
{
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, p, "execCPUAffinity", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	if ((ret = spec_check_cpu_list (c, v, "initial", &proc->exec_cpu_affinity_initial)) < 0 ||
	    (ret = spec_check_cpu_list (c, v, "final", &proc->exec_cpu_affinity_final)) < 0)
		return ret;
	spec_pop (c, mark);
	return 0;
}

static int parse_console_size (struct spec_ctx *c, json_object *p, struct spec_process *proc)
{
	json_object *v;
	size_t mark;
	uint16_t h, w;
	int ret;

	ret = spec_enter (c, p, "consoleSize", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	if ((ret = spec_req_int (c, v, "height", SPEC_U16, &h)) < 0 ||
	    (ret = spec_req_int (c, v, "width", SPEC_U16, &w)) < 0)
		return ret;
	proc->has_console_size = true;
	proc->console_height = h;
	proc->console_width = w;
	spec_pop (c, mark);
	return 0;
}

/* Fields whose only honest handling on keel is a refusal.  runc (since
 * 1.0.0-rc1, libcontainer/configs/validate) and crun refuse an SELinux
 * label on a host without SELinux too; keel-import drops Atomic images'
 * labels with a warning instead (docs/images.md). */
static int refuse_unsupported (struct spec_ctx *c, json_object *p, struct spec_process *proc)
{
	int ret;

	if ((ret = spec_opt_string (c, p, "apparmorProfile", &proc->apparmor_profile)) < 0 ||
	    (ret = spec_opt_string (c, p, "selinuxLabel", &proc->selinux_label)) < 0 ||
	    (ret = spec_opt_string (c, p, "commandLine", &proc->command_line)) < 0)
		return ret;
	if (proc->apparmor_profile && proc->apparmor_profile[0]) {
		spec_push_key (c, "apparmorProfile");
		return spec_err (c, "AppArmor is not supported by keel (profile %s)",
		                 spec_q (c, proc->apparmor_profile));
	}
	if (proc->selinux_label && proc->selinux_label[0]) {
		spec_push_key (c, "selinuxLabel");
		return spec_err (c, "SELinux is not supported by keel (label %s)",
		                 spec_q (c, proc->selinux_label));
	}
	if (proc->command_line) {
		spec_push_key (c, "commandLine");
		return spec_err (c, "is for Windows only; use process.args on Linux");
	}
	return 0;
}

int spec_parse_process (struct spec_ctx *c, json_object *p, struct spec_process *proc)
{
	json_object *oom;
	int ret;

	if ((ret = spec_opt_bool (c, p, "terminal", &proc->terminal)) < 0 ||
	    (ret = parse_console_size (c, p, proc)) < 0 ||
	    (ret = parse_user (c, p, &proc->user)) < 0)
		return ret;
	ret = spec_opt_strv (c, p, "args", &proc->args);
	if (ret < 0)
		return ret;
	if (proc->args.n == 0) {
		spec_push_key (c, "args");
		return spec_err (c, ret == 0 ? "required but missing" : "must not be empty");
	}
	if (proc->args.v[0][0] == '\0') {
		spec_push_key (c, "args");
		spec_push_index (c, 0);
		return spec_err (c, "the executable must not be empty");
	}
	if ((ret = spec_opt_strv (c, p, "env", &proc->env)) < 0 ||
	    (ret = spec_check_env (c, "env", &proc->env)) < 0 ||
	    (ret = spec_req_string (c, p, "cwd", &proc->cwd)) < 0)
		return ret;
	if (!spec_path_is_absolute (proc->cwd)) {
		spec_push_key (c, "cwd");
		return spec_err (c, "%s is not an absolute path", spec_q (c, proc->cwd));
	}
	if ((ret = parse_caps (c, p, &proc->caps)) < 0 || (ret = parse_rlimits (c, p, proc)) < 0 ||
	    (ret = spec_opt_bool (c, p, "noNewPrivileges", &proc->no_new_privileges)) < 0)
		return ret;
	oom = spec_member (p, "oomScoreAdj");
	if (oom != NULL) {
		size_t mark = spec_push_key (c, "oomScoreAdj");
		int64_t v;

		ret = spec_int_range (c, oom, -1000, 1000, &v);
		if (ret < 0)
			return ret;
		proc->has_oom_score_adj = true;
		proc->oom_score_adj = (int)v;
		spec_pop (c, mark);
	}
	if ((ret = parse_scheduler (c, p, &proc->scheduler)) < 0 ||
	    (ret = parse_io_priority (c, p, &proc->io_priority)) < 0 ||
	    (ret = parse_exec_affinity (c, p, proc)) < 0)
		return ret;
	return refuse_unsupported (c, p, proc);
}

int spec_cap_number (const char *name)
{
	cap_value_t cap;

	if (!cap_name_ok (name) || cap_from_name (name, &cap) < 0)
		return -1;
	return (int)cap;
}
