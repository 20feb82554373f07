/* config.json "hooks": the six hook lists of config.md "POSIX-platform
 * Hooks", each entry an absolute path, args, env and a positive timeout. */
#include "runtime/spec-parse.h"

#include "lib/util.h"

/* The config.json key of each hook list; hooks.c names hooks in its
 * messages with the same words. */
static const char *const hook_names[HOOK_KIND_MAX] = {
        [HOOK_PRESTART] = "prestart",
        [HOOK_CREATE_RUNTIME] = "createRuntime",
        [HOOK_CREATE_CONTAINER] = "createContainer",
        [HOOK_START_CONTAINER] = "startContainer",
        [HOOK_POSTSTART] = "poststart",
        [HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_kind_name (enum spec_hook_kind kind)
{
	return (size_t)kind < HOOK_KIND_MAX ? hook_names[kind] : "unknown";
}

static int parse_hook (struct spec_ctx *c, json_object *e, struct spec_hook *h)
{
	json_object *t;
	int ret;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	if ((ret = spec_req_string (c, e, "path", &h->path)) < 0 ||
	    (ret = spec_opt_strv (c, e, "args", &h->args)) < 0 ||
	    (ret = spec_opt_strv (c, e, "env", &h->env)) < 0 ||
	    (ret = spec_check_env (c, "env", &h->env)) < 0)
		return ret;
	if (!spec_path_is_absolute (h->path)) {
		spec_push_key (c, "path");
		return spec_err (c, "%s is not an absolute path", spec_q (c, h->path));
	}
	t = spec_member (e, "timeout");
	if (t != NULL) {
		size_t mark = spec_push_key (c, "timeout");
		int64_t v;

		ret = spec_int_range (c, t, 1, INT32_MAX, &v);
		if (ret < 0)
			return ret;
		h->has_timeout = true;
		h->timeout = (int)v;
		spec_pop (c, mark);
	}
	return 0;
}

int spec_parse_hooks (struct spec_ctx *c, json_object *root, struct spec_hooks *hooks)
{
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, root, "hooks", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	for (int k = 0; k < HOOK_KIND_MAX; k++) {
		json_object *arr;
		size_t m2, n;

		ret = spec_enter (c, v, hook_names[k], json_type_array, &arr, &m2);
		if (ret < 0)
			return ret;
		if (ret == 0)
			continue;
		n = json_object_array_length (arr);
		hooks->h[k] = spec_alloc_array (n, sizeof (struct spec_hook));
		for (size_t i = 0; i < n; i++) {
			size_t m3 = spec_push_index (c, i);

			hooks->n[k]++;
			ret = parse_hook (c, json_object_array_get_idx (arr, i), &hooks->h[k][i]);
			if (ret < 0)
				return ret;
			spec_pop (c, m3);
		}
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}
