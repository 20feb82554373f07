/* json-c walking helpers for the config.json decoder: path tracking, typed
 * getters and one-line error messages.  See spec-parse.h. */
#include "runtime/spec-parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

const char *spec_q (struct spec_ctx *c, const char *s)
{
	char *buf = c->qbuf[c->qi++ % ARRAY_SIZE (c->qbuf)];

	jpath_quote (s, buf, sizeof (c->qbuf[0]));
	return buf;
}

/* "NAME: PATH: message", or "NAME: message" at the top level: the shape
 * keel.json's messages have too (lib/jsonpath.c). */
static char *spec_message (struct spec_ctx *c, const char *fmt, va_list ap)
{
	return jpath_vmessage (c->name, c->path.s, fmt, ap);
}

int spec_err (struct spec_ctx *c, const char *fmt, ...)
{
	cleanup_free char *m = NULL;
	va_list ap;

	va_start (ap, fmt);
	m = spec_message (c, fmt, ap);
	va_end (ap);
	return keel_error (c->err, 0, "%s", m);
}

void spec_warn (struct spec_ctx *c, const char *fmt, ...)
{
	cleanup_free char *m = NULL;
	va_list ap;

	va_start (ap, fmt);
	m = spec_message (c, fmt, ap);
	va_end (ap);
	keel_log (KEEL_LOG_WARNING, "%s", m);
}

const char *spec_json_type_name (json_object *v)
{
	switch (json_object_get_type (v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_int:
	case json_type_double:
		return "number";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	}
	return "unknown";
}

int spec_err_type (struct spec_ctx *c, const char *what, json_object *v)
{
	switch (json_object_get_type (v)) {
	case json_type_string:
		return spec_err (c, "expected %s, got string %s", what,
		                 spec_q (c, json_object_get_string (v)));
	case json_type_boolean:
		return spec_err (c, "expected %s, got %s", what,
		                 json_object_get_boolean (v) ? "true" : "false");
	default:
		return spec_err (c, "expected %s, got %s", what, spec_json_type_name (v));
	}
}

size_t spec_push_key (struct spec_ctx *c, const char *key)
{
	return jpath_push_key (&c->path, key);
}

size_t spec_push_index (struct spec_ctx *c, size_t i)
{
	return jpath_push_index (&c->path, i);
}

void spec_pop (struct spec_ctx *c, size_t mark)
{
	jpath_pop (&c->path, mark);
}

/* json-c finds a member by hashing the key (lh_char_hash), ~200
 * instructions whether or not it is there; the decoders ask each object
 * for every field the spec has, most of them absent, and most objects of a
 * config (a mount, an id mapping, a device) have a handful of members:
 * there a walk over them comparing first bytes is several times cheaper.
 * The keys of one object are distinct, so either way finds the same. */
#define SPEC_MEMBER_WALK 12

json_object *spec_member (json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (json_object_is_type (obj, json_type_object) &&
	    json_object_object_length (obj) <= SPEC_MEMBER_WALK) {
		for (struct lh_entry *e = lh_table_head (json_object_get_object (obj)); e != NULL;
		     e = lh_entry_next (e)) {
			const char *k = lh_entry_k (e);

			if (k[0] == key[0] && strcmp (k, key) == 0) {
				v = lh_entry_v (e);
				break;
			}
		}
	} else if (!json_object_object_get_ex (obj, key, &v)) {
		return NULL;
	}
	if (v == NULL || json_object_get_type (v) == json_type_null)
		return NULL;
	return v;
}

int spec_err_missing (struct spec_ctx *c, const char *key)
{
	spec_push_key (c, key);
	return spec_err (c, "required but missing");
}

int spec_enter (struct spec_ctx *c, json_object *obj, const char *key, enum json_type type,
                json_object **child, size_t *mark)
{
	json_object *v = spec_member (obj, key);

	if (v == NULL)
		return 0;
	*mark = spec_push_key (c, key);
	if (!json_object_is_type (v, type))
		return spec_err_type (c, type == json_type_object ? "an object" : "an array", v);
	*child = v;
	return 1;
}

static const struct {
	const char *what;
	int64_t min;
	uint64_t max;
} int_kinds[] = {
        [SPEC_U16] = {"an unsigned 16-bit integer", 0, UINT16_MAX},
        [SPEC_U32] = {"an unsigned 32-bit integer", 0, UINT32_MAX},
        [SPEC_U64] = {"an unsigned 64-bit integer", 0, UINT64_MAX},
        [SPEC_I32] = {"a 32-bit integer", INT32_MIN, INT32_MAX},
        [SPEC_I64] = {"a 64-bit integer", INT64_MIN, INT64_MAX},
};

/* json-c keeps integers as int64 or, above INT64_MAX, as uint64; values
 * beyond uint64 are clamped by the tokenizer itself. */
int spec_int_value (struct spec_ctx *c, json_object *v, enum spec_int_kind kind, void *out)
{
	const char *what = int_kinds[kind].what;
	int64_t i;
	uint64_t u;

	/* 1.5 or 1e3: say which number, the type alone would confuse. */
	if (json_object_is_type (v, json_type_double))
		return spec_err (c, "expected %s, got %s", what, json_object_to_json_string (v));
	if (!json_object_is_type (v, json_type_int))
		return spec_err_type (c, what, v);
	i = json_object_get_int64 (v);
	u = json_object_get_uint64 (v);
	if (i < 0) {
		if (i < int_kinds[kind].min)
			return spec_err (c, "expected %s, got %lld", what, (long long)i);
	} else if (u > int_kinds[kind].max) {
		return spec_err (c, "expected %s, got %llu", what, (unsigned long long)u);
	}
	switch (kind) {
	case SPEC_U16:
		*(uint16_t *)out = (uint16_t)u;
		break;
	case SPEC_U32:
		*(uint32_t *)out = (uint32_t)u;
		break;
	case SPEC_U64:
		*(uint64_t *)out = u;
		break;
	case SPEC_I32:
		*(int32_t *)out = (int32_t)i;
		break;
	case SPEC_I64:
		*(int64_t *)out = i;
		break;
	}
	return 0;
}

int spec_int_range (struct spec_ctx *c, json_object *v, int64_t min, int64_t max, int64_t *out)
{
	int64_t i;

	if (!json_object_is_type (v, json_type_int) || json_object_get_uint64 (v) > INT64_MAX ||
	    (i = json_object_get_int64 (v)) < min || i > max) {
		char what[80];

		snprintf (what, sizeof what, "an integer from %lld to %lld", (long long)min,
		          (long long)max);
		if (json_object_is_type (v, json_type_int) ||
		    json_object_is_type (v, json_type_double))
			return spec_err (c, "expected %s, got %s", what,
			                 json_object_to_json_string (v));
		return spec_err_type (c, what, v);
	}
	*out = i;
	return 0;
}

int spec_string_value (struct spec_ctx *c, json_object *v, char **out)
{
	const char *s;
	size_t len;

	if (!json_object_is_type (v, json_type_string))
		return spec_err_type (c, "a string", v);
	s = json_object_get_string (v);
	len = (size_t)json_object_get_string_len (v);
	/* "\u0000" decodes to an embedded NUL that C strings would cut. */
	if (memchr (s, '\0', len) != NULL)
		return spec_err (c, "string contains a NUL character");
	*out = xmemdup0 (s, len);
	return 0;
}

/* n comes from a JSON array in a file of at most 16 MiB, so an overflow
 * here is a bug, not an input error. */
void *spec_alloc_array (size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size / 2)
		abort ();
	return xmalloc0 (n * size);
}

int spec_strv_value (struct spec_ctx *c, json_object *v, struct spec_strv *out)
{
	size_t i, n;

	if (!json_object_is_type (v, json_type_array))
		return spec_err_type (c, "an array of strings", v);
	n = json_object_array_length (v);
	out->v = spec_alloc_array (n + 1, sizeof (char *));
	out->n = 0;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx (v, i);
		size_t mark = spec_push_index (c, i);
		int ret;

		if (e == NULL || !json_object_is_type (e, json_type_string))
			return spec_err_type (c, "a string", e);
		ret = spec_string_value (c, e, &out->v[i]);
		if (ret < 0)
			return ret;
		out->n++;
		spec_pop (c, mark);
	}
	return 0;
}

int spec_opt_string (struct spec_ctx *c, json_object *obj, const char *key, char **out)
{
	json_object *v = spec_member (obj, key);
	size_t mark;
	int ret;

	if (v == NULL)
		return 0;
	mark = spec_push_key (c, key);
	free (*out);
	*out = NULL;
	ret = spec_string_value (c, v, out);
	if (ret < 0)
		return ret;
	spec_pop (c, mark);
	return 1;
}

int spec_opt_string_or_null (struct spec_ctx *c, json_object *obj, const char *key, char **out)
{
	int ret = spec_opt_string (c, obj, key, out);

	if (ret > 0 && (*out)[0] == '\0') {
		free (*out);
		*out = NULL;
		return 0;
	}
	return ret;
}

int spec_req_string (struct spec_ctx *c, json_object *obj, const char *key, char **out)
{
	int ret = spec_opt_string (c, obj, key, out);

	if (ret == 0)
		return spec_err_missing (c, key);
	return ret;
}

int spec_opt_bool (struct spec_ctx *c, json_object *obj, const char *key, bool *out)
{
	json_object *v = spec_member (obj, key);
	size_t mark;

	if (v == NULL)
		return 0;
	mark = spec_push_key (c, key);
	if (!json_object_is_type (v, json_type_boolean))
		return spec_err_type (c, "a boolean", v);
	*out = json_object_get_boolean (v);
	spec_pop (c, mark);
	return 1;
}

int spec_opt_int (struct spec_ctx *c, json_object *obj, const char *key, enum spec_int_kind kind,
                  void *out, bool *has)
{
	json_object *v = spec_member (obj, key);
	size_t mark;
	int ret;

	if (v == NULL)
		return 0;
	mark = spec_push_key (c, key);
	ret = spec_int_value (c, v, kind, out);
	if (ret < 0)
		return ret;
	spec_pop (c, mark);
	if (has)
		*has = true;
	return 1;
}

int spec_req_int (struct spec_ctx *c, json_object *obj, const char *key, enum spec_int_kind kind,
                  void *out)
{
	int ret = spec_opt_int (c, obj, key, kind, out, NULL);

	if (ret == 0)
		return spec_err_missing (c, key);
	return ret;
}

int spec_opt_strv (struct spec_ctx *c, json_object *obj, const char *key, struct spec_strv *out)
{
	json_object *v = spec_member (obj, key);
	size_t mark;
	int ret;

	if (v == NULL)
		return 0;
	mark = spec_push_key (c, key);
	spec_strv_free (out);
	ret = spec_strv_value (c, v, out);
	if (ret < 0)
		return ret;
	spec_pop (c, mark);
	return 1;
}

int spec_opt_map (struct spec_ctx *c, json_object *obj, const char *key, struct spec_map *out)
{
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, obj, key, json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	spec_map_free (out);
	out->e = spec_alloc_array ((size_t)json_object_object_length (v), sizeof (*out->e));
	json_object_object_foreach (v, k, val)
	{
		size_t m2 = spec_push_key (c, k);
		struct spec_kv *kv = &out->e[out->n];

		if (k[0] == '\0')
			return spec_err (c, "empty key");
		kv->key = xstrdup (k);
		out->n++;
		if (val == NULL || !json_object_is_type (val, json_type_string))
			return spec_err_type (c, "a string", val);
		ret = spec_string_value (c, val, &kv->value);
		if (ret < 0)
			return ret;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 1;
}

bool spec_path_is_absolute (const char *p)
{
	return p != NULL && p[0] == '/';
}

/* "KEY=value" with a non-empty KEY, as runc insists (execve would pass
 * anything, but a malformed entry is a mistake in the config). */
int spec_check_env (struct spec_ctx *c, const char *key, const struct spec_strv *env)
{
	size_t mark = spec_push_key (c, key);

	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr (env->v[i], '=');
		size_t m2 = spec_push_index (c, i);

		if (eq == NULL)
			return spec_err (c, "%s is not KEY=value", spec_q (c, env->v[i]));
		if (eq == env->v[i])
			return spec_err (c, "%s has an empty variable name", spec_q (c, env->v[i]));
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

int spec_check_abs_strv (struct spec_ctx *c, const char *key, const struct spec_strv *v)
{
	size_t mark = spec_push_key (c, key);

	for (size_t i = 0; i < v->n; i++) {
		size_t m2 = spec_push_index (c, i);

		if (!spec_path_is_absolute (v->v[i]))
			return spec_err (c, "path %s is not absolute", spec_q (c, v->v[i]));
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

int spec_parse_idmappings (struct spec_ctx *c, json_object *obj, const char *key,
                           struct spec_idmapping **out, size_t *n)
{
	json_object *arr;
	size_t mark, i, len;
	int ret;

	ret = spec_enter (c, obj, key, json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	len = json_object_array_length (arr);
	*out = spec_alloc_array (len, sizeof (**out));
	*n = len;
	for (i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx (arr, i);
		struct spec_idmapping *m = &(*out)[i];
		size_t m2 = spec_push_index (c, i);

		if (e == NULL || !json_object_is_type (e, json_type_object))
			return spec_err_type (c, "an object", e);
		if ((ret = spec_req_int (c, e, "containerID", SPEC_U32, &m->container_id)) < 0 ||
		    (ret = spec_req_int (c, e, "hostID", SPEC_U32, &m->host_id)) < 0 ||
		    (ret = spec_req_int (c, e, "size", SPEC_U32, &m->size)) < 0)
			return ret;
		if (m->size == 0) {
			spec_push_key (c, "size");
			return spec_err (c, "must be greater than 0");
		}
		if ((uint64_t)m->container_id + m->size - 1 > UINT32_MAX ||
		    (uint64_t)m->host_id + m->size - 1 > UINT32_MAX)
			return spec_err (c, "mapping runs past the 32-bit id range");
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 1;
}
