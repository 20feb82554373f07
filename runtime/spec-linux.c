/* config.json "linux" (config-linux.md): namespaces, id mappings, time
 * offsets, devices, cgroupsPath, rootfsPropagation, masked/readonly paths,
 * sysctl, personality and the fields keel refuses (intelRdt, mountLabel).
 * resources and seccomp have their own files. */
#include "runtime/spec-parse.h"

#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/personality.h>

#include "lib/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int flag;
} namespaces[NS_KIND_MAX] = {
        [NS_PID] = {"pid", CLONE_NEWPID},          [NS_NETWORK] = {"network", CLONE_NEWNET},
        [NS_MOUNT] = {"mount", CLONE_NEWNS},       [NS_IPC] = {"ipc", CLONE_NEWIPC},
        [NS_UTS] = {"uts", CLONE_NEWUTS},          [NS_USER] = {"user", CLONE_NEWUSER},
        [NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [NS_TIME] = {"time", CLONE_NEWTIME},
};

const char *spec_ns_name (enum spec_ns_kind kind)
{
	return (unsigned)kind < NS_KIND_MAX ? namespaces[kind].name : "unknown";
}

int spec_ns_clone_flag (enum spec_ns_kind kind)
{
	return (unsigned)kind < NS_KIND_MAX ? namespaces[kind].flag : 0;
}

const struct spec_namespace *spec_get_namespace (const struct spec *s, enum spec_ns_kind kind)
{
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->linux_.n_namespaces; i++)
		if (s->linux_.namespaces[i].kind == kind)
			return &s->linux_.namespaces[i];
	return NULL;
}

bool spec_has_namespace (const struct spec *s, enum spec_ns_kind kind)
{
	return spec_get_namespace (s, kind) != NULL;
}

static int parse_namespace (struct spec_ctx *c, json_object *e, struct spec_linux *l, size_t i)
{
	cleanup_free char *type = NULL;
	struct spec_namespace *ns = &l->namespaces[i];
	int ret, k;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	if ((ret = spec_req_string (c, e, "type", &type)) < 0 ||
	    (ret = spec_opt_string (c, e, "path", &ns->path)) < 0)
		return ret;
	for (k = 0; k < NS_KIND_MAX; k++)
		if (strcmp (namespaces[k].name, type) == 0)
			break;
	if (k == NS_KIND_MAX) {
		spec_push_key (c, "type");
		return spec_err (c, "unknown namespace %s", spec_q (c, type));
	}
	ns->kind = (enum spec_ns_kind)k;
	for (size_t j = 0; j < i; j++) {
		if (l->namespaces[j].kind == ns->kind) {
			spec_push_key (c, "type");
			return spec_err (c, "duplicate namespace %s (also namespaces[%zu])",
			                 spec_q (c, type), j);
		}
	}
	if (ns->path && !spec_path_is_absolute (ns->path)) {
		spec_push_key (c, "path");
		return spec_err (c, "%s is not an absolute path", spec_q (c, ns->path));
	}
	return 0;
}

static int parse_namespaces (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	ret = spec_enter (c, lv, "namespaces", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	l->namespaces = spec_alloc_array (n, sizeof (*l->namespaces));
	for (size_t i = 0; i < n; i++) {
		size_t m2 = spec_push_index (c, i);

		l->n_namespaces++;
		ret = parse_namespace (c, json_object_array_get_idx (arr, i), l, i);
		if (ret < 0)
			return ret;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_time_offsets (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, lv, "timeOffsets", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	json_object_object_foreach (v, clock, off)
	{
		struct spec_time_offset *t;
		size_t m2 = spec_push_key (c, clock);

		if (strcmp (clock, "monotonic") == 0)
			t = &l->time_monotonic;
		else if (strcmp (clock, "boottime") == 0)
			t = &l->time_boottime;
		else
			return spec_err (c,
			                 "unknown clock (expected \"monotonic\" or \"boottime\")");
		if (off == NULL || !json_object_is_type (off, json_type_object))
			return spec_err_type (c, "an object", off);
		if ((ret = spec_opt_int (c, off, "secs", SPEC_I64, &t->secs, NULL)) < 0 ||
		    (ret = spec_opt_int (c, off, "nanosecs", SPEC_U32, &t->nanosecs, NULL)) < 0)
			return ret;
		if (t->nanosecs >= 1000000000) {
			spec_push_key (c, "nanosecs");
			return spec_err (c, "%u is not below 1000000000", t->nanosecs);
		}
		t->present = true;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_device (struct spec_ctx *c, json_object *e, struct spec_device *d)
{
	cleanup_free char *type = NULL;
	uint32_t mode;
	int ret;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	if ((ret = spec_req_string (c, e, "path", &d->path)) < 0 ||
	    (ret = spec_req_string (c, e, "type", &type)) < 0)
		return ret;
	if (!spec_path_is_absolute (d->path)) {
		spec_push_key (c, "path");
		return spec_err (c, "%s is not an absolute path", spec_q (c, d->path));
	}
	if (strlen (type) != 1 || !strchr ("cbup", type[0])) {
		spec_push_key (c, "type");
		return spec_err (c,
		                 "unknown device type %s (expected \"c\", \"b\", \"u\" or \"p\")",
		                 spec_q (c, type));
	}
	d->type = type[0];
	if (d->type == 'p') {
		if ((ret = spec_opt_int (c, e, "major", SPEC_I64, &d->major, NULL)) < 0 ||
		    (ret = spec_opt_int (c, e, "minor", SPEC_I64, &d->minor, NULL)) < 0)
			return ret;
	} else if ((ret = spec_req_int (c, e, "major", SPEC_I64, &d->major)) < 0 ||
	           (ret = spec_req_int (c, e, "minor", SPEC_I64, &d->minor)) < 0) {
		return ret;
	}
	/* makedev() takes 12-bit majors and 20-bit minors. */
	if (d->major < 0 || d->major > 0xfff) {
		spec_push_key (c, "major");
		return spec_err (c, "%lld is not a device major number (0 to 4095)",
		                 (long long)d->major);
	}
	if (d->minor < 0 || d->minor > 0xfffff) {
		spec_push_key (c, "minor");
		return spec_err (c, "%lld is not a device minor number (0 to 1048575)",
		                 (long long)d->minor);
	}
	if ((ret = spec_opt_int (c, e, "fileMode", SPEC_U32, &mode, &d->has_file_mode)) < 0 ||
	    (ret = spec_opt_int (c, e, "uid", SPEC_U32, &d->uid, &d->has_uid)) < 0 ||
	    (ret = spec_opt_int (c, e, "gid", SPEC_U32, &d->gid, &d->has_gid)) < 0)
		return ret;
	if (d->has_file_mode) {
		/* podman and Atomic configs carry the node's type bits too
		 * (020666 for a character device); runc masks them.  The type
		 * field says the same, so nothing is lost. */
		if ((mode & ~(uint32_t)(07777 | S_IFMT)) != 0) {
			spec_push_key (c, "fileMode");
			return spec_err (c, "%#o is not a permission mode (at most 07777)", mode);
		}
		d->file_mode = (mode_t)(mode & 07777);
	}
	return 0;
}

static int parse_devices (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	ret = spec_enter (c, lv, "devices", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	l->devices = spec_alloc_array (n, sizeof (*l->devices));
	cleanup_free size_t *orig = spec_alloc_array (n, sizeof (*orig));
	for (size_t i = 0; i < n; i++) {
		size_t m2 = spec_push_index (c, i);
		struct spec_device *d = &l->devices[l->n_devices];

		orig[l->n_devices++] = i;
		ret = parse_device (c, json_object_array_get_idx (arr, i), d);
		if (ret < 0)
			return ret;
		for (size_t j = 0; j + 1 < l->n_devices; j++) {
			struct spec_device *o = &l->devices[j];
			if (strcmp (o->path, d->path) != 0)
				continue;
			if (o->type != d->type || o->major != d->major || o->minor != d->minor) {
				spec_push_key (c, "path");
				return spec_err (c,
				                 "duplicate device %s (also devices[%zu]), "
				                 "with another type or number",
				                 spec_q (c, d->path), orig[j]);
			}
			/* The same node twice (ctr --privileged --device /dev/null
			 * lists it so): the first entry stands, as with runc (which
			 * makes the node once and finds it there the second time). */
			free (d->path);
			memset (d, 0, sizeof *d);
			l->n_devices--;
			break;
		}
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_rootfs_propagation (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} table[] = {
	        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
	        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
	        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
	        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	cleanup_free char *p = NULL;
	int ret;

	ret = spec_opt_string (c, lv, "rootfsPropagation", &p);
	if (ret <= 0 || p[0] == '\0')
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE (table); i++) {
		if (strcmp (table[i].name, p) == 0) {
			l->rootfs_propagation = table[i].flags;
			return 0;
		}
	}
	spec_push_key (c, "rootfsPropagation");
	return spec_err (c,
	                 "unknown propagation %s (expected shared, slave, private or "
	                 "unbindable, optionally with an r prefix)",
	                 spec_q (c, p));
}

static bool has_dotdot (const char *p)
{
	for (const char *s = p; (s = strstr (s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}

static int parse_cgroups_path (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	int ret = spec_opt_string_or_null (c, lv, "cgroupsPath", &l->cgroups_path);

	if (ret <= 0)
		return ret;
	if (has_dotdot (l->cgroups_path)) {
		spec_push_key (c, "cgroupsPath");
		return spec_err (c, "%s: \"..\" would leave the cgroup hierarchy",
		                 spec_q (c, l->cgroups_path));
	}
	return 0;
}

static int parse_sysctl (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	int ret = spec_opt_map (c, lv, "sysctl", &l->sysctl);
	size_t mark;

	if (ret <= 0)
		return ret;
	mark = spec_push_key (c, "sysctl");
	for (size_t i = 0; i < l->sysctl.n; i++) {
		const char *k = l->sysctl.e[i].key;

		if (k[0] == '.' || k[0] == '/' || has_dotdot (k) || strstr (k, "/.") != NULL) {
			spec_push_key (c, k);
			return spec_err (c, "not a sysctl name");
		}
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_personality (struct spec_ctx *c, json_object *lv, struct spec_personality *p)
{
	cleanup_free char *domain = NULL;
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, lv, "personality", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	if ((ret = spec_req_string (c, v, "domain", &domain)) < 0 ||
	    (ret = spec_opt_strv (c, v, "flags", &p->flags)) < 0)
		return ret;
	if (strcmp (domain, "LINUX") == 0)
		p->domain = PER_LINUX;
	else if (strcmp (domain, "LINUX32") == 0)
		p->domain = PER_LINUX32;
	else {
		spec_push_key (c, "domain");
		return spec_err (
		        c, "unknown personality domain %s (expected \"LINUX\" or \"LINUX32\")",
		        spec_q (c, domain));
	}
	/* config-linux.md defines no flag yet: anything there is a typo. */
	if (p->flags.n > 0) {
		spec_push_key (c, "flags");
		spec_push_index (c, 0);
		return spec_err (c, "unknown personality flag %s", spec_q (c, p->flags.v[0]));
	}
	p->present = true;
	spec_pop (c, mark);
	return 0;
}

static int refuse_unsupported (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	int ret;

	json_object *v;

	if (spec_member (lv, "intelRdt") != NULL) {
		l->has_intel_rdt = true;
		spec_push_key (c, "intelRdt");
		return spec_err (c, "Intel RDT (resctrl) is not supported by keel");
	}
	/* Newer than 1.2 but already in configs: never ignore them silently. */
	v = spec_member (lv, "netDevices");
	if (v != NULL &&
	    (!json_object_is_type (v, json_type_object) || json_object_object_length (v) > 0)) {
		spec_push_key (c, "netDevices");
		return spec_err (c, "moving network devices into the container is not supported "
		                    "by keel");
	}
	if (spec_member (lv, "memoryPolicy") != NULL) {
		spec_push_key (c, "memoryPolicy");
		return spec_err (c, "NUMA memory policies are not supported by keel");
	}
	ret = spec_opt_string (c, lv, "mountLabel", &l->mount_label);
	if (ret < 0)
		return ret;
	if (l->mount_label && l->mount_label[0]) {
		spec_push_key (c, "mountLabel");
		return spec_err (c, "SELinux mount labels are not supported by keel (label %s)",
		                 spec_q (c, l->mount_label));
	}
	return 0;
}

int spec_parse_linux (struct spec_ctx *c, json_object *lv, struct spec_linux *l)
{
	json_object *v;
	size_t mark;
	int ret;

	if ((ret = parse_namespaces (c, lv, l)) < 0 ||
	    (ret = spec_parse_idmappings (c, lv, "uidMappings", &l->uid_mappings,
	                                  &l->n_uid_mappings)) < 0 ||
	    (ret = spec_parse_idmappings (c, lv, "gidMappings", &l->gid_mappings,
	                                  &l->n_gid_mappings)) < 0 ||
	    (ret = parse_time_offsets (c, lv, l)) < 0 || (ret = parse_devices (c, lv, l)) < 0 ||
	    (ret = parse_cgroups_path (c, lv, l)) < 0)
		return ret;
	ret = spec_enter (c, lv, "resources", json_type_object, &v, &mark);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		l->resources.present = true;
		ret = spec_parse_resources (c, v, &l->resources);
		if (ret < 0)
			return ret;
		spec_pop (c, mark);
	}
	if ((ret = parse_rootfs_propagation (c, lv, l)) < 0 ||
	    (ret = spec_opt_strv (c, lv, "maskedPaths", &l->masked_paths)) < 0 ||
	    (ret = spec_check_abs_strv (c, "maskedPaths", &l->masked_paths)) < 0 ||
	    (ret = spec_opt_strv (c, lv, "readonlyPaths", &l->readonly_paths)) < 0 ||
	    (ret = spec_check_abs_strv (c, "readonlyPaths", &l->readonly_paths)) < 0 ||
	    (ret = parse_sysctl (c, lv, l)) < 0)
		return ret;
	ret = spec_enter (c, lv, "seccomp", json_type_object, &v, &mark);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		l->seccomp.present = true;
		ret = spec_parse_seccomp (c, v, &l->seccomp);
		if (ret < 0)
			return ret;
		spec_pop (c, mark);
	}
	if ((ret = parse_personality (c, lv, &l->personality)) < 0)
		return ret;
	return refuse_unsupported (c, lv, l);
}
