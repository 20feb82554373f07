/* Internal to the spec-*.c files: walking json-c objects while tracking
 * the JSON path of the value being decoded, so that every error names it:
 *   "config.json: linux.namespaces[2].type: unknown namespace \"pidd\""
 *
 * Conventions: a JSON null counts as absent (as Go's decoder does).  The
 * spec_opt_* getters return 0 when the key is absent (leaving *out alone),
 * 1 when it was decoded, < 0 on error.  On error the path is left as it was
 * at the failure: the message is already made, nothing needs to pop. */
#ifndef KEEL_SPEC_PARSE_H
#define KEEL_SPEC_PARSE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/jsonpath.h"
#include "runtime/spec.h"

struct spec_ctx {
	const char *name; /* file base name, first word of every message */
	struct jpath path; /* lib/jsonpath.h, shared with keel.json */
	struct keel_error **err;
	char qbuf[2][128]; /* spec_q() results, two per message */
	unsigned qi;
};

/* A user-supplied string made safe for a one-line message: quoted, control
 * characters escaped, long strings cut with "...".  The result lives in c
 * until the next-but-one call. */
const char *spec_q (struct spec_ctx *c, const char *s);

/* "NAME: PATH: message" (or "NAME: message" at the top level). */
int spec_err (struct spec_ctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* The same words as a warning in the log, for what keel accepts but
 * ignores (as runc or crun do), so the config is not refused. */
void spec_warn (struct spec_ctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* "expected WHAT, got TYPE" for a value of the wrong JSON type. */
int spec_err_type (struct spec_ctx *c, const char *what, json_object *v);

/* Path stack: push returns a mark for spec_pop. */
size_t spec_push_key (struct spec_ctx *c, const char *key);
size_t spec_push_index (struct spec_ctx *c, size_t i);
void spec_pop (struct spec_ctx *c, size_t mark);

/* The member, or NULL when absent or null. */
json_object *spec_member (json_object *obj, const char *key);
const char *spec_json_type_name (json_object *v);

/* Enter obj.key if present: checks its JSON type (json_type_object or
 * json_type_array), pushes the key.  0 absent, 1 entered, < 0 error. */
int spec_enter (struct spec_ctx *c, json_object *obj, const char *key, enum json_type type,
                json_object **child, size_t *mark);

/* Decoders for a value already located (the path names it). */
enum spec_int_kind { SPEC_U16, SPEC_U32, SPEC_U64, SPEC_I32, SPEC_I64 };
int spec_int_value (struct spec_ctx *c, json_object *v, enum spec_int_kind kind, void *out);
int spec_int_range (struct spec_ctx *c, json_object *v, int64_t min, int64_t max, int64_t *out);
int spec_string_value (struct spec_ctx *c, json_object *v, char **out);
int spec_strv_value (struct spec_ctx *c, json_object *v, struct spec_strv *out);

/* Getters for obj.key. */
int spec_opt_string (struct spec_ctx *c, json_object *obj, const char *key, char **out);
/* The same, but "" counts as absent (hostname, cgroupsPath: runc treats an
 * empty string as "not set"), so consumers only test for NULL. */
int spec_opt_string_or_null (struct spec_ctx *c, json_object *obj, const char *key, char **out);
int spec_req_string (struct spec_ctx *c, json_object *obj, const char *key, char **out);
int spec_opt_bool (struct spec_ctx *c, json_object *obj, const char *key, bool *out);
int spec_opt_int (struct spec_ctx *c, json_object *obj, const char *key, enum spec_int_kind kind,
                  void *out, bool *has);
int spec_req_int (struct spec_ctx *c, json_object *obj, const char *key, enum spec_int_kind kind,
                  void *out);
int spec_opt_strv (struct spec_ctx *c, json_object *obj, const char *key, struct spec_strv *out);
/* A JSON object of string values (annotations, sysctl, unified). */
int spec_opt_map (struct spec_ctx *c, json_object *obj, const char *key, struct spec_map *out);
/* Absent key: "required but missing" with the key pushed on the path. */
int spec_err_missing (struct spec_ctx *c, const char *key);

/* Checks shared by several sections. */
bool spec_path_is_absolute (const char *p);
int spec_check_env (struct spec_ctx *c, const char *key, const struct spec_strv *env);
int spec_check_abs_strv (struct spec_ctx *c, const char *key, const struct spec_strv *v);
int spec_parse_idmappings (struct spec_ctx *c, json_object *obj, const char *key,
                           struct spec_idmapping **out, size_t *n);
/* obj.key as a cpuset list ("0-3,7"); "" is accepted as unset. */
int spec_check_cpu_list (struct spec_ctx *c, json_object *obj, const char *key, char **out);
/* Allocate an array of n zeroed elements for a JSON array's items. */
void *spec_alloc_array (size_t n, size_t size);

/* Sections, one per spec-*.c file. */
int spec_parse_process (struct spec_ctx *c, json_object *v, struct spec_process *p);
int spec_parse_mounts (struct spec_ctx *c, json_object *root, struct spec *s);
int spec_parse_mount_options (struct spec_ctx *c, struct spec_mount *m);
int spec_parse_hooks (struct spec_ctx *c, json_object *root, struct spec_hooks *h);
int spec_parse_linux (struct spec_ctx *c, json_object *v, struct spec_linux *l);
int spec_parse_resources (struct spec_ctx *c, json_object *v, struct spec_resources *r);
int spec_parse_seccomp (struct spec_ctx *c, json_object *v, struct spec_seccomp *sc);
/* Cross-field rules that need the whole config (namespaces vs hostname);
 * also fills the default user namespace mappings. */
int spec_validate (struct spec_ctx *c, struct spec *s);

/* Release helpers (spec-free.c). */
void spec_strv_free (struct spec_strv *v);
/* For a local strv: freed on every return path, error ones included. */
#define cleanup_strv __attribute__ ((cleanup (spec_strv_free)))

#endif
