/* config.json "linux.seccomp": actions, architectures, flags and argument
 * operators decoded to numbers from tables, so the parser never needs
 * libseccomp (it is absent when CONFIG_SECCOMP is off).  The values are
 * the kernel's SECCOMP_RET_* and libseccomp's enum scmp_compare, both
 * stable ABI; with CONFIG_SECCOMP on they are checked against seccomp.h at
 * compile time.  Syscall names are resolved by the seccomp module. */
#include "runtime/spec-parse.h"

#include <errno.h>
#include <string.h>

#include "lib/util.h"

#define ACT_KILL_PROCESS 0x80000000U
#define ACT_KILL_THREAD  0x00000000U
#define ACT_TRAP         0x00030000U
#define ACT_ERRNO        0x00050000U
#define ACT_TRACE        0x7ff00000U
#define ACT_LOG          0x7ffc0000U
#define ACT_ALLOW        0x7fff0000U
#define ACT_NOTIFY       0x7fc00000U

#ifdef CONFIG_SECCOMP
#include <seccomp.h>
_Static_assert(SCMP_ACT_KILL_PROCESS == ACT_KILL_PROCESS, "seccomp ABI");
_Static_assert(SCMP_ACT_KILL_THREAD == ACT_KILL_THREAD, "seccomp ABI");
_Static_assert(SCMP_ACT_KILL == ACT_KILL_THREAD, "seccomp ABI");
_Static_assert(SCMP_ACT_TRAP == ACT_TRAP, "seccomp ABI");
_Static_assert(SCMP_ACT_ERRNO (0) == ACT_ERRNO, "seccomp ABI");
_Static_assert(SCMP_ACT_TRACE (0) == ACT_TRACE, "seccomp ABI");
_Static_assert(SCMP_ACT_LOG == ACT_LOG, "seccomp ABI");
_Static_assert(SCMP_ACT_ALLOW == ACT_ALLOW, "seccomp ABI");
_Static_assert(SCMP_ACT_NOTIFY == ACT_NOTIFY, "seccomp ABI");
_Static_assert(SCMP_CMP_NE == 1 && SCMP_CMP_LT == 2 && SCMP_CMP_LE == 3 && SCMP_CMP_EQ == 4 &&
                       SCMP_CMP_GE == 5 && SCMP_CMP_GT == 6 && SCMP_CMP_MASKED_EQ == 7,
               "seccomp ABI");
#endif

struct name_num {
	const char *name;
	uint32_t value;
};

static const struct name_num actions[] = {
        {"SCMP_ACT_KILL", ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", ACT_KILL_PROCESS},
        {"SCMP_ACT_TRAP", ACT_TRAP},
        {"SCMP_ACT_ERRNO", ACT_ERRNO},
        {"SCMP_ACT_TRACE", ACT_TRACE},
        {"SCMP_ACT_ALLOW", ACT_ALLOW},
        {"SCMP_ACT_LOG", ACT_LOG},
        {"SCMP_ACT_NOTIFY", ACT_NOTIFY},
};

static const struct name_num operators[] = {
        {"SCMP_CMP_NE", 1}, {"SCMP_CMP_LT", 2}, {"SCMP_CMP_LE", 3},        {"SCMP_CMP_EQ", 4},
        {"SCMP_CMP_GE", 5}, {"SCMP_CMP_GT", 6}, {"SCMP_CMP_MASKED_EQ", 7},
};

/* include/uapi/linux/seccomp.h; the ones config-linux.md allows. */
static const struct name_num filter_flags[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", 1},
        {"SECCOMP_FILTER_FLAG_LOG", 2},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 32},
};

/* libseccomp's SCMP_ARCH_* names (what seccomp_arch_resolve_name takes
 * after the prefix). */
static const char *const arch_names[] = {
        "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

static const struct name_num *lookup (const struct name_num *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp (t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* obj.actionKey and obj.errnoKey into a SECCOMP_RET_* value with the errno
 * (default EPERM, as config-linux.md says) folded in. */
static int parse_action (struct spec_ctx *c, json_object *obj, const char *key,
                         const char *errno_key, uint32_t *action, bool *has_errno,
                         unsigned *errno_ret)
{
	cleanup_free char *name = NULL;
	const struct name_num *a;
	uint16_t e = EPERM;
	int ret;

	ret = spec_req_string (c, obj, key, &name);
	if (ret < 0)
		return ret;
	a = lookup (actions, ARRAY_SIZE (actions), name);
	if (a == NULL) {
		spec_push_key (c, key);
		return spec_err (c, "unknown seccomp action %s", spec_q (c, name));
	}
	ret = spec_opt_int (c, obj, errno_key, SPEC_U16, &e, has_errno);
	if (ret < 0)
		return ret;
	if (*has_errno && a->value != ACT_ERRNO && a->value != ACT_TRACE) {
		spec_push_key (c, errno_key);
		return spec_err (c, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s",
		                 name);
	}
	*errno_ret = e;
	*action = a->value;
	if (a->value == ACT_ERRNO || a->value == ACT_TRACE)
		*action |= e;
	return 0;
}

static int parse_arg (struct spec_ctx *c, json_object *e, struct spec_seccomp_arg *a)
{
	cleanup_free char *op = NULL;
	const struct name_num *o;
	int ret;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	if ((ret = spec_req_int (c, e, "index", SPEC_U32, &a->index)) < 0 ||
	    (ret = spec_req_int (c, e, "value", SPEC_U64, &a->value)) < 0 ||
	    (ret = spec_opt_int (c, e, "valueTwo", SPEC_U64, &a->value_two, NULL)) < 0 ||
	    (ret = spec_req_string (c, e, "op", &op)) < 0)
		return ret;
	/* A syscall has at most six arguments. */
	if (a->index > 5) {
		spec_push_key (c, "index");
		return spec_err (c, "%u is not an argument index from 0 to 5", a->index);
	}
	o = lookup (operators, ARRAY_SIZE (operators), op);
	if (o == NULL) {
		spec_push_key (c, "op");
		return spec_err (c, "unknown seccomp operator %s", spec_q (c, op));
	}
	a->op = (int)o->value;
	return 0;
}

static int parse_syscall (struct spec_ctx *c, json_object *e, struct spec_seccomp_syscall *sc)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	ret = spec_opt_strv (c, e, "names", &sc->names);
	if (ret < 0)
		return ret;
	if (sc->names.n == 0) {
		spec_push_key (c, "names");
		return spec_err (c, ret == 0 ? "required but missing" : "must not be empty");
	}
	for (size_t i = 0; i < sc->names.n; i++) {
		if (sc->names.v[i][0] == '\0') {
			spec_push_key (c, "names");
			spec_push_index (c, i);
			return spec_err (c, "empty syscall name");
		}
	}
	ret = parse_action (c, e, "action", "errnoRet", &sc->action, &sc->has_errno_ret,
	                    &sc->errno_ret);
	if (ret < 0)
		return ret;
	ret = spec_enter (c, e, "args", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	sc->args = spec_alloc_array (n, sizeof (*sc->args));
	for (size_t i = 0; i < n; i++) {
		size_t m2 = spec_push_index (c, i);

		sc->n_args++;
		ret = parse_arg (c, json_object_array_get_idx (arr, i), &sc->args[i]);
		if (ret < 0)
			return ret;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int check_names (struct spec_ctx *c, const char *key, const struct spec_strv *v,
                        bool (*known) (const char *), const char *what)
{
	for (size_t i = 0; i < v->n; i++) {
		if (!known (v->v[i])) {
			spec_push_key (c, key);
			spec_push_index (c, i);
			return spec_err (c, "unknown %s %s", what, spec_q (c, v->v[i]));
		}
	}
	return 0;
}

static bool arch_known (const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE (arch_names); i++)
		if (strcmp (arch_names[i], s) == 0)
			return true;
	return false;
}

static bool flag_known (const char *s)
{
	return lookup (filter_flags, ARRAY_SIZE (filter_flags), s) != NULL;
}

static int parse_syscalls (struct spec_ctx *c, json_object *v, struct spec_seccomp *sc)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	ret = spec_enter (c, v, "syscalls", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	sc->syscalls = spec_alloc_array (n, sizeof (*sc->syscalls));
	for (size_t i = 0; i < n; i++) {
		size_t m2 = spec_push_index (c, i);

		sc->n_syscalls++;
		ret = parse_syscall (c, json_object_array_get_idx (arr, i), &sc->syscalls[i]);
		if (ret < 0)
			return ret;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

/* SCMP_ACT_NOTIFY hands syscalls to the agent at listenerPath: there must
 * be one, and the default action cannot be a notification (the kernel
 * would have no filter left to run the agent itself). */
static int check_notify (struct spec_ctx *c, struct spec_seccomp *sc)
{
	bool notify = false;

	if (sc->default_action == ACT_NOTIFY) {
		spec_push_key (c, "defaultAction");
		return spec_err (c, "SCMP_ACT_NOTIFY cannot be the default action");
	}
	for (size_t i = 0; i < sc->n_syscalls; i++)
		notify |= sc->syscalls[i].action == ACT_NOTIFY;
	if (notify && sc->listener_path == NULL)
		return spec_err_missing (c, "listenerPath");
	if (sc->listener_path && !spec_path_is_absolute (sc->listener_path)) {
		spec_push_key (c, "listenerPath");
		return spec_err (c, "%s is not an absolute path", spec_q (c, sc->listener_path));
	}
	return 0;
}

int spec_parse_seccomp (struct spec_ctx *c, json_object *v, struct spec_seccomp *sc)
{
	int ret;

	if ((ret = parse_action (c, v, "defaultAction", "defaultErrnoRet", &sc->default_action,
	                         &sc->has_default_errno_ret, &sc->default_errno_ret)) < 0 ||
	    (ret = spec_opt_strv (c, v, "architectures", &sc->architectures)) < 0 ||
	    (ret = check_names (c, "architectures", &sc->architectures, arch_known,
	                        "seccomp architecture")) < 0 ||
	    (ret = spec_opt_strv (c, v, "flags", &sc->flags)) < 0 ||
	    (ret = check_names (c, "flags", &sc->flags, flag_known, "seccomp flag")) < 0 ||
	    (ret = spec_opt_string_or_null (c, v, "listenerPath", &sc->listener_path)) < 0 ||
	    (ret = spec_opt_string (c, v, "listenerMetadata", &sc->listener_metadata)) < 0 ||
	    (ret = parse_syscalls (c, v, sc)) < 0 || (ret = check_notify (c, sc)) < 0)
		return ret;
	for (size_t i = 0; i < sc->flags.n; i++)
		sc->flag_bits |=
		        lookup (filter_flags, ARRAY_SIZE (filter_flags), sc->flags.v[i])->value;
#ifndef CONFIG_SECCOMP
	return spec_err (c, "seccomp support is not built into this keel (CONFIG_SECCOMP is off)");
#else
	return 0;
#endif
}

static const char **names_of (const struct name_num *t, size_t n)
{
	const char **v = spec_alloc_array (n + 1, sizeof (*v));

	for (size_t i = 0; i < n; i++)
		v[i] = t[i].name;
	return v;
}

const char **spec_seccomp_action_names (void)
{
	return names_of (actions, ARRAY_SIZE (actions));
}

const char **spec_seccomp_operator_names (void)
{
	return names_of (operators, ARRAY_SIZE (operators));
}

const char **spec_seccomp_flag_names (void)
{
	return names_of (filter_flags, ARRAY_SIZE (filter_flags));
}

const char **spec_seccomp_arch_names (void)
{
	const char **v = spec_alloc_array (ARRAY_SIZE (arch_names) + 1, sizeof (*v));

	for (size_t i = 0; i < ARRAY_SIZE (arch_names); i++)
		v[i] = arch_names[i];
	return v;
}
