/* config.json top level: tokenizing, ociVersion, root, hostname,
 * annotations, and the entry points spec_load / spec_parse. */
#include "runtime/spec-parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/input.h"
#include "lib/util.h"

/* Refuse absurd files before json-c allocates for them: a real config.json
 * is a few KiB, a big seccomp profile a few hundred. */
#define SPEC_MAX_SIZE (16u << 20)

/* "MAJOR.MINOR.PATCH[-pre][+build]" as SemVer 2.0.0 spells it: numeric
 * parts without leading zeros. */
static bool semver_number (const char **p, unsigned long *out)
{
	const char *s = *p;
	unsigned long v = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > 100000)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*p = s;
	*out = v;
	return true;
}

static bool semver_ident_chars (const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-' || *s == '.' || *s == '+'))
			return false;
	return true;
}

static bool parse_semver (const char *s, unsigned long *major, unsigned long *minor)
{
	unsigned long patch;

	if (!semver_number (&s, major) || *s++ != '.' || !semver_number (&s, minor) ||
	    *s++ != '.' || !semver_number (&s, &patch))
		return false;
	if (*s == '\0')
		return true;
	if (*s != '-' && *s != '+')
		return false;
	return semver_ident_chars (s + 1);
}

static int parse_oci_version (struct spec_ctx *c, json_object *root, struct spec *s)
{
	unsigned long major, minor;
	int ret;

	ret = spec_req_string (c, root, "ociVersion", &s->oci_version);
	if (ret < 0)
		return ret;
	spec_push_key (c, "ociVersion");
	if (!parse_semver (s->oci_version, &major, &minor))
		return spec_err (c, "%s is not a SemVer version", spec_q (c, s->oci_version));
	if (major == 0)
		return spec_err (c,
		                 "%s is a runtime-spec draft before 1.0, whose fields 1.0 "
		                 "runtimes do not read where it puts them (capabilities, rlimits); "
		                 "keel-import upgrades such configs (docs/images.md)",
		                 spec_q (c, s->oci_version));
	if (major != 1 || minor > 2)
		return spec_err (c, "unsupported version %s (keel supports 1.0.0 to 1.2.x)",
		                 spec_q (c, s->oci_version));
	spec_pop (c, 0);
	return 0;
}

/* Lexically clean an absolute path ("//a/./b/../c" -> "/a/c"), as Go's
 * filepath.Clean: the bundle and rootfs paths keel records and prints. */
static char *clean_abs_path (const char *p)
{
	size_t n = strlen (p);
	char *out = xmalloc0 (n + 2);
	size_t o = 0;

	while (*p) {
		const char *seg;
		size_t len;

		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy (out + o, seg, len);
		o += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

static int abs_bundle (struct spec_ctx *c, const char *bundle, char **out)
{
	cleanup_free char *cwd = NULL;
	cleanup_free char *joined = NULL;

	if (bundle != NULL && bundle[0] == '/') {
		*out = clean_abs_path (bundle);
		return 0;
	}
	cwd = getcwd (NULL, 0);
	if (cwd == NULL)
		return keel_error (c->err, errno, "%s: getcwd", c->name);
	joined = xasprintf ("%s/%s", cwd, bundle ? bundle : ".");
	*out = clean_abs_path (joined);
	return 0;
}

static int parse_root (struct spec_ctx *c, json_object *root, struct spec *s)
{
	cleanup_free char *joined = NULL;
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, root, "root", json_type_object, &v, &mark);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return spec_err_missing (c, "root");
	if ((ret = spec_req_string (c, v, "path", &s->root.path)) < 0 ||
	    (ret = spec_opt_bool (c, v, "readonly", &s->root.readonly)) < 0)
		return ret;
	if (s->root.path[0] == '\0') {
		spec_push_key (c, "path");
		return spec_err (c, "must not be empty");
	}
	if (s->root.path[0] == '/')
		s->root.abs_path = clean_abs_path (s->root.path);
	else {
		joined = xasprintf ("%s/%s", s->bundle, s->root.path);
		s->root.abs_path = clean_abs_path (joined);
	}
	spec_pop (c, mark);
	return 0;
}

/* sethostname(2) and setdomainname(2) take at most 64 bytes. */
static int parse_name (struct spec_ctx *c, json_object *root, const char *key, char **out)
{
	int ret = spec_opt_string_or_null (c, root, key, out);

	if (ret <= 0)
		return ret;
	if (strlen (*out) > 64) {
		spec_push_key (c, key);
		return spec_err (c, "%s is longer than 64 bytes", spec_q (c, *out));
	}
	return 0;
}

/* The annotations keel acts on, decoded like any other field. */
static void decode_annotations (struct spec *s)
{
	for (size_t i = 0; i < s->annotations.n; i++) {
		const struct spec_kv *kv = &s->annotations.e[i];
		/* crun's rule: any value but "0" turns it on. */
		if (strcmp (kv->key, "run.oci.keep_original_groups") == 0)
			s->process.user.keep_original_groups =
			        kv->value == NULL || strcmp (kv->value, "0") != 0;
	}
}

/* Fields runtime-spec had before 1.0, at their old places.  1.0 readers
 * (runc, crun, keel) skip unknown fields, so a 0.x config whose only
 * capability limit is linux.capabilities would run with every capability
 * the runtime has: refuse that one, warn for the rest, each by its JSON
 * path, so a config whose ociVersion alone was bumped is never run as if
 * its old fields were not there.  keel-import upgrades such configs
 * (docs/images.md). */
static void warn_pre10_field (struct spec_ctx *c, const char *key, const char *what)
{
	size_t mark = spec_push_key (c, key);

	spec_warn (c, "a runtime-spec 0.x field, ignored: %s", what);
	spec_pop (c, mark);
}

static int check_pre10 (struct spec_ctx *c, json_object *root, const struct spec *s)
{
	json_object *linux_, *v;
	size_t mark;

	if (strncmp (s->oci_version, "1.0.0-rc", 8) == 0) {
		mark = spec_push_key (c, "ociVersion");
		spec_warn (c,
		           "%s is a draft before 1.0: fields it kept elsewhere (flat "
		           "capability lists, linux.rlimits) are not read there",
		           spec_q (c, s->oci_version));
		spec_pop (c, mark);
	}
	if (json_object_object_get_ex (root, "platform", NULL)) {
		mark = spec_push_key (c, "platform");
		spec_warn (c, "a runtime-spec 0.x field, ignored (1.0 has none)");
		spec_pop (c, mark);
	}
	if (!json_object_object_get_ex (root, "linux", &linux_) ||
	    !json_object_is_type (linux_, json_type_object))
		return 0;
	mark = spec_push_key (c, "linux");
	if (json_object_object_get_ex (linux_, "rlimits", NULL))
		warn_pre10_field (c, "rlimits",
		                  s->process.n_rlimits ? "process.rlimits applies"
		                                       : "the process runs without these limits "
		                                         "(they belong in process.rlimits)");
	if (json_object_object_get_ex (linux_, "apparmorProfile", NULL))
		warn_pre10_field (c, "apparmorProfile", "it belongs in process.apparmorProfile");
	if (json_object_object_get_ex (linux_, "selinuxProcessLabel", NULL))
		warn_pre10_field (c, "selinuxProcessLabel", "it belongs in process.selinuxLabel");
	if (!json_object_object_get_ex (linux_, "capabilities", &v)) {
		spec_pop (c, mark);
		return 0;
	}
	spec_push_key (c, "capabilities");
	if (!s->process.caps.present)
		return spec_err (c, "a runtime-spec 0.x field, which 1.0 runtimes ignore; "
		                    "process.capabilities is missing, so the process would keep "
		                    "every capability: move the list to process.capabilities "
		                    "(bounding, effective, inheritable, permitted, the sets runc "
		                    "0.x gave it)");
	spec_warn (c, "a runtime-spec 0.x field, ignored: process.capabilities applies");
	spec_pop (c, mark);
	return 0;
}

/* process.capabilities as one list is the 1.0.0-rc1..rc4 form; 1.0 wants
 * an object of sets.  Said before the process is parsed, so the message is
 * this and not a bare type error. */
static int check_pre10_process (struct spec_ctx *c, json_object *root)
{
	json_object *p, *v;

	if (!json_object_object_get_ex (root, "process", &p) ||
	    !json_object_is_type (p, json_type_object) ||
	    !json_object_object_get_ex (p, "capabilities", &v) ||
	    !json_object_is_type (v, json_type_array))
		return 0;
	spec_push_key (c, "process");
	spec_push_key (c, "capabilities");
	return spec_err (c, "a flat list is the runtime-spec 1.0.0-rc form (runc then gave it to "
	                    "the bounding, effective, inheritable and permitted sets): write it "
	                    "as {\"bounding\": [...], \"effective\": [...], ...}; keel-import "
	                    "upgrades such configs");
}

static int decode (struct spec_ctx *c, json_object *root, const char *bundle, struct spec *s)
{
	json_object *v;
	size_t mark;
	int ret;

	if ((ret = parse_oci_version (c, root, s)) < 0 ||
	    (ret = abs_bundle (c, bundle, &s->bundle)) < 0 || (ret = parse_root (c, root, s)) < 0 ||
	    (ret = spec_parse_mounts (c, root, s)) < 0)
		return ret;
	if ((ret = check_pre10_process (c, root)) < 0)
		return ret;
	ret = spec_enter (c, root, "process", json_type_object, &v, &mark);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		s->has_process = true;
		ret = spec_parse_process (c, v, &s->process);
		if (ret < 0)
			return ret;
		spec_pop (c, mark);
	}
	if ((ret = parse_name (c, root, "hostname", &s->hostname)) < 0 ||
	    (ret = parse_name (c, root, "domainname", &s->domainname)) < 0 ||
	    (ret = spec_parse_hooks (c, root, &s->hooks)) < 0 ||
	    (ret = spec_opt_map (c, root, "annotations", &s->annotations)) < 0)
		return ret;
	decode_annotations (s);
	ret = spec_enter (c, root, "linux", json_type_object, &v, &mark);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		s->has_linux = true;
		ret = spec_parse_linux (c, v, &s->linux_);
		if (ret < 0)
			return ret;
		spec_pop (c, mark);
	}
	if ((ret = check_pre10 (c, root, s)) < 0)
		return ret;
	return spec_validate (c, s);
}

static int tokenize (struct spec_ctx *c, const char *json, size_t len, json_object **out)
{
	json_object *root = NULL;
	int ret;

	if (len > SPEC_MAX_SIZE) {
		char limit[32];

		input_format_size (SPEC_MAX_SIZE, limit, sizeof limit);
		return spec_err (c, "%zu bytes is larger than the limit of %s", len, limit);
	}
	ret = jpath_parse (c->name, json, len, &root, c->err);
	if (ret < 0)
		return ret;
	if (!json_object_is_type (root, json_type_object)) {
		ret = spec_err_type (c, "a JSON object", root);
		json_object_put (root);
		return ret;
	}
	*out = root;
	return 0;
}

/* Done with json-c's tree of a config: in a process whose arena holds
 * everything (lib/arena.h), freeing it would give nothing back, while
 * json_object_put walks every object and member (15 K instructions of a
 * runc config): left as it is.  Everywhere else (PID 1, keelctl, the dev
 * build, valgrind) freed. */
static void drop_tree (json_object *root)
{
	if (!keel_arena_holds_all ())
		json_object_put (root);
}

int spec_parse (const char *name, const char *json, size_t len, const char *bundle,
                struct spec **out, struct keel_error **err)
{
	struct spec_ctx c = {.name = name ? name : "config.json", .err = err};
	json_object *root = NULL;
	struct spec *s;
	int ret;

	ret = tokenize (&c, json, len, &root);
	if (ret < 0)
		return ret;
	s = xmalloc0 (sizeof (*s));
	ret = decode (&c, root, bundle, s);
	drop_tree (root);
	if (ret < 0) {
		spec_free (s);
		return ret;
	}
	*out = s;
	return 0;
}

int spec_load_as (const char *path, const char *name, const char *bundle, struct spec **out,
                  struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = input_read (path, name, SPEC_MAX_SIZE, &buf, &len, err);
	if (ret < 0)
		return ret;
	return spec_parse (name, buf, len, bundle, out, err);
}

int spec_load (const char *path, const char *bundle, struct spec **out, struct keel_error **err)
{
	const char *base = strrchr (path, '/');

	/* The runtime's messages name the file by its base name, as runc's. */
	return spec_load_as (path, base ? base + 1 : path, bundle, out, err);
}

int spec_load_process (const char *path, struct spec **out, struct keel_error **err)
{
	const char *base = strrchr (path, '/');
	struct spec_ctx c = {.name = base ? base + 1 : path, .err = err};
	cleanup_free char *buf = NULL;
	json_object *root = NULL;
	struct spec *s;
	size_t len = 0;
	int ret;

	/* --process of the command line: a pipe serves too (`-p <(...)`), as
	 * for runc */
	ret = input_read_at (AT_FDCWD, path, c.name, INPUT_PIPE_OK, SPEC_MAX_SIZE, &buf, &len, err);
	if (ret == 0)
		ret = tokenize (&c, buf, len, &root);
	if (ret < 0)
		return ret;
	s = xmalloc0 (sizeof (*s));
	s->has_process = true;
	ret = spec_parse_process (&c, root, &s->process);
	drop_tree (root);
	if (ret < 0) {
		spec_free (s);
		return ret;
	}
	*out = s;
	return 0;
}
