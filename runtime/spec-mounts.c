/* config.json "mounts": each entry, and its options decoded once, at load
 * time, with libmount's own option tables into MS_* flags, propagation,
 * bind/rbind, recursive mount_setattr(2) attributes and the leftover
 * filesystem data string. */
#include "runtime/spec-parse.h"

#include <libmount.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/util.h"

/* include/uapi/linux/mount.h; musl's sys/mount.h does not define them. */
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY      0x00000001
#define MOUNT_ATTR_NOSUID      0x00000002
#define MOUNT_ATTR_NODEV       0x00000004
#define MOUNT_ATTR_NOEXEC      0x00000008
#define MOUNT_ATTR__ATIME      0x00000070
#define MOUNT_ATTR_RELATIME    0x00000000
#define MOUNT_ATTR_NOATIME     0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME  0x00000080
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

#define PROPAGATION_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* runc/crun's recursive options (not in libmount): the attribute they
 * set, the one they clear. */
static const struct {
	const char *name;
	uint64_t set, clr;
} rec_options[] = {
        {"rro", MOUNT_ATTR_RDONLY, 0},
        {"rrw", 0, MOUNT_ATTR_RDONLY},
        {"rnosuid", MOUNT_ATTR_NOSUID, 0},
        {"rsuid", 0, MOUNT_ATTR_NOSUID},
        {"rnodev", MOUNT_ATTR_NODEV, 0},
        {"rdev", 0, MOUNT_ATTR_NODEV},
        {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
        {"rexec", 0, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
        {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
        {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        {"rnorelatime", 0, MOUNT_ATTR__ATIME},
        {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
        {"ratime", 0, MOUNT_ATTR__ATIME},
        {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
        {"rnostrictatime", 0, MOUNT_ATTR__ATIME},
        {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
        {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
};

static bool rec_option (struct spec_mount *m, const char *opt)
{
	/* Every name here starts with 'r' but the three below: the rest of
	 * a config's options (about 30 in runc's default) skip the table. */
	for (size_t i = 0; opt[0] == 'r' && i < ARRAY_SIZE (rec_options); i++) {
		if (strcmp (rec_options[i].name, opt) != 0)
			continue;
		m->rec_attr_set = (m->rec_attr_set & ~(rec_options[i].set | rec_options[i].clr)) |
		                  rec_options[i].set;
		m->rec_attr_clr = (m->rec_attr_clr & ~rec_options[i].set) | rec_options[i].clr;
		m->rro = (m->rec_attr_set & MOUNT_ATTR_RDONLY) != 0;
		return true;
	}
	if (strcmp (opt, "idmap") == 0)
		m->idmap = true;
	else if (strcmp (opt, "ridmap") == 0)
		m->idmap = m->idmap_recursive = true;
	else if (strcmp (opt, "tmpcopyup") == 0)
		m->tmpcopyup = true;
	else
		return false;
	return true;
}

/* A MNT_LINUX_MAP entry: an MS_* flag (MNT_INVERT: its "no" form), a
 * propagation type or bind/rbind. */
static bool linux_option (struct spec_mount *m, const char *opt)
{
	const struct libmnt_optmap *map = mnt_get_builtin_optmap (MNT_LINUX_MAP);
	unsigned long id;

	/* the first byte before strcmp: the table has about 60 names, and
	 * every option of every mount is looked up in it */
	for (; map && map->name; map++)
		if (map->name[0] == opt[0] && strcmp (map->name, opt) == 0)
			break;
	if (map == NULL || map->name == NULL)
		return false;
	id = (unsigned long)map->id;
	if (id & MS_BIND) {
		m->bind = true;
		m->recursive = (id & MS_REC) != 0;
	} else if (id & PROPAGATION_FLAGS) {
		m->propagation = id;
	} else if (map->mask & MNT_INVERT) {
		m->flags &= ~id;
		m->clear_flags |= id;
	} else {
		m->flags |= id;
		m->clear_flags &= ~id;
	}
	return true;
}

/* MNT_USERSPACE_MAP: fstab-only words mean nothing to mount(2) and are
 * dropped (0); loop and verity options need a device keel does not set up
 * (-1); anything else is not a userspace option (1). */
static int userspace_option (const char *opt)
{
	const struct libmnt_optmap *map = mnt_get_builtin_optmap (MNT_USERSPACE_MAP);
	static const char *const unsupported[] = {
	        "loop", "offset=", "sizelimit=", "encryption=", "verity."};

	for (; map && map->name; map++) {
		const char *n = map->name;
		size_t len;
		bool match;

		/* every kind of match below compares from opt's first byte
		 * (opt is not empty, nor is any name) */
		if (n[0] != opt[0])
			continue;
		len = strlen (n);
		if (len > 3 && strcmp (n + len - 3, "[=]") == 0)
			match = strncmp (opt, n, len - 3) == 0 &&
			        (opt[len - 3] == '\0' || opt[len - 3] == '=');
		else if (n[len - 1] == '=' || (map->mask & MNT_PREFIX))
			match = strncmp (opt, n, len) == 0;
		else
			match = strcmp (opt, n) == 0;
		if (!match)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE (unsupported); i++)
			if (strncmp (opt, unsupported[i], strlen (unsupported[i])) == 0)
				return -1;
		/* "user=NAME" is also a real filesystem option (cifs). */
		if (strncmp (opt, "user=", 5) == 0)
			return 1;
		return 0;
	}
	return 1;
}

static void data_append (char **data, const char *opt)
{
	char *n;

	if (*data == NULL) {
		*data = xstrdup (opt);
		return;
	}
	n = xasprintf ("%s,%s", *data, opt);
	free (*data);
	*data = n;
}

int spec_parse_mount_options (struct spec_ctx *c, struct spec_mount *m)
{
	size_t mark = spec_push_key (c, "options");

	for (size_t i = 0; i < m->options.n; i++) {
		const char *opt = m->options.v[i];
		size_t m2 = spec_push_index (c, i);
		int u;

		if (opt[0] == '\0')
			return spec_err (c, "empty mount option");
		/* "nosuid,nodev" in one element would reach the filesystem as
		 * data and fail there; a value may have commas of its own
		 * (context="...:c1,c2"), so only flag-like words are refused. */
		if (strchr (opt, ',') != NULL && strchr (opt, '=') == NULL)
			return spec_err (c, "%s: one option per array element, no commas",
			                 spec_q (c, opt));
		if (rec_option (m, opt) || linux_option (m, opt)) {
			spec_pop (c, m2);
			continue;
		}
		u = userspace_option (opt);
		if (u < 0)
			return spec_err (
			        c, "%s needs a loop or verity device, which keel does not set up",
			        spec_q (c, opt));
		if (u > 0)
			data_append (&m->data, opt);
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_mount (struct spec_ctx *c, json_object *e, struct spec_mount *m)
{
	int ret;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	if ((ret = spec_req_string (c, e, "destination", &m->destination)) < 0 ||
	    (ret = spec_opt_string (c, e, "type", &m->type)) < 0 ||
	    (ret = spec_opt_string (c, e, "source", &m->source)) < 0 ||
	    (ret = spec_opt_strv (c, e, "options", &m->options)) < 0 ||
	    (ret = spec_parse_idmappings (c, e, "uidMappings", &m->uid_mappings,
	                                  &m->n_uid_mappings)) < 0 ||
	    (ret = spec_parse_idmappings (c, e, "gidMappings", &m->gid_mappings,
	                                  &m->n_gid_mappings)) < 0)
		return ret;
	if (!spec_path_is_absolute (m->destination)) {
		spec_push_key (c, "destination");
		return spec_err (c, "%s is not an absolute path", spec_q (c, m->destination));
	}
	ret = spec_parse_mount_options (c, m);
	if (ret < 0)
		return ret;
	/* runc and crun treat type "bind" as a bind mount even without the
	 * option; a new bind mount (not a remount) needs something to bind. */
	if (m->type && strcmp (m->type, "bind") == 0)
		m->bind = true;
	if (m->bind && (m->flags & MS_REMOUNT) == 0 &&
	    (m->source == NULL || m->source[0] == '\0')) {
		spec_push_key (c, "source");
		return spec_err (c, "required for a bind mount");
	}
	if (!m->bind && (m->type == NULL || m->type[0] == '\0') && m->propagation == 0 &&
	    (m->flags & MS_REMOUNT) == 0) {
		spec_push_key (c, "type");
		return spec_err (c, "required unless the mount is a bind mount");
	}
	if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0))
		return spec_err (c, "uidMappings and gidMappings must be given together");
	/* An idmapped mount without the option is still one (runc does
	 * the same; 1.2 only says the option SHOULD be there). */
	if (m->n_uid_mappings > 0 && !m->idmap)
		m->idmap = true;
	return 0;
}

int spec_parse_mounts (struct spec_ctx *c, json_object *root, struct spec *s)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	ret = spec_enter (c, root, "mounts", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	s->mounts = spec_alloc_array (n, sizeof (*s->mounts));
	for (size_t i = 0; i < n; i++) {
		size_t m2 = spec_push_index (c, i);

		s->n_mounts++;
		ret = parse_mount (c, json_object_array_get_idx (arr, i), &s->mounts[i]);
		if (ret < 0)
			return ret;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

const char **spec_mount_option_names (void)
{
	static const char *const extra[] = {"idmap", "ridmap", "tmpcopyup"};
	const struct libmnt_optmap *map = mnt_get_builtin_optmap (MNT_LINUX_MAP);
	size_t n = 0, cap = ARRAY_SIZE (rec_options) + ARRAY_SIZE (extra) + 1;
	const char **v;

	for (const struct libmnt_optmap *m = map; m && m->name; m++)
		cap++;
	v = spec_alloc_array (cap, sizeof (*v));
	for (const struct libmnt_optmap *m = map; m && m->name; m++)
		v[n++] = m->name;
	for (size_t i = 0; i < ARRAY_SIZE (rec_options); i++)
		v[n++] = rec_options[i].name;
	for (size_t i = 0; i < ARRAY_SIZE (extra); i++)
		v[n++] = extra[i];
	return v;
}
