/* linux.seccomp with libseccomp; see seccomp.h. */
#include "runtime/seccomp.h"

#include <errno.h>

#include "lib/log.h"
#include "lib/unixsock.h"
#include "lib/util.h"

#ifdef CONFIG_SECCOMP

#include <ctype.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The action class of a folded SCMP_ACT_* value (the low 16 bits carry the
 * errno of ERRNO and the message of TRACE). */
#define ACT_CLASS(a) ((a)&0xffff0000U)

static uint32_t with_errno_ret (uint32_t action, bool has_ret, unsigned ret)
{
	if (!has_ret)
		return action;
	if (ACT_CLASS (action) == ACT_CLASS (SCMP_ACT_ERRNO (0)))
		return SCMP_ACT_ERRNO (ret);
	if (ACT_CLASS (action) == ACT_CLASS (SCMP_ACT_TRACE (0)))
		return SCMP_ACT_TRACE (ret);
	return action;
}

bool seccomp_uses_notify (const struct spec_seccomp *sc)
{
	if (sc == NULL || !sc->present)
		return false;
	if (sc->default_action == SCMP_ACT_NOTIFY)
		return true;
	for (size_t i = 0; i < sc->n_syscalls; i++)
		if (sc->syscalls[i].action == SCMP_ACT_NOTIFY)
			return true;
	return false;
}

struct filter {
	scmp_filter_ctx ctx;
};

static void filter_release (struct filter *f)
{
	if (f->ctx != NULL)
		seccomp_release (f->ctx);
}
#define cleanup_filter __attribute__ ((cleanup (filter_release)))

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
static int add_arch (scmp_filter_ctx ctx, const char *spec_name, struct keel_error **err)
{
	const char *p = spec_name;
	char name[64];
	size_t i;
	uint32_t arch;
	int ret;

	if (strncmp (p, "SCMP_ARCH_", 10) == 0)
		p += 10;
	for (i = 0; p[i] && i < sizeof name - 1; i++)
		name[i] = (char)tolower ((unsigned char)p[i]);
	name[i] = '\0';
	arch = seccomp_arch_resolve_name (name);
	if (arch == 0)
		return keel_error (err, 0, "seccomp: unknown architecture `%s`", spec_name);
	ret = seccomp_arch_add (ctx, arch);
	if (ret < 0 && ret != -EEXIST)
		return keel_error (err, -ret, "seccomp: add architecture `%s`", spec_name);
	return 0;
}

static int set_flags (scmp_filter_ctx ctx, const struct spec_strv *flags, struct keel_error **err)
{
	for (size_t i = 0; i < flags->n; i++) {
		const char *f = flags->v[i];
		enum scmp_filter_attr attr;
		int ret;

		if (strcmp (f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			attr = SCMP_FLTATR_CTL_TSYNC;
		else if (strcmp (f, "SECCOMP_FILTER_FLAG_LOG") == 0)
			attr = SCMP_FLTATR_CTL_LOG;
		else if (strcmp (f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			attr = SCMP_FLTATR_CTL_SSB;
#ifdef SCMP_FLTATR_CTL_WAITKILL
		else if (strcmp (f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
			attr = SCMP_FLTATR_CTL_WAITKILL;
#endif
		else
			return keel_error (err, 0, "seccomp: unsupported flag `%s`", f);
		ret = seccomp_attr_set (ctx, attr, 1);
		if (ret < 0)
			return keel_error (err, -ret, "seccomp: set flag `%s`", f);
	}
	return 0;
}

static bool same_index_twice (const struct spec_seccomp_syscall *s)
{
	for (size_t i = 0; i < s->n_args; i++)
		for (size_t j = i + 1; j < s->n_args; j++)
			if (s->args[i].index == s->args[j].index)
				return true;
	return false;
}

static struct scmp_arg_cmp to_cmp (const struct spec_seccomp_arg *a)
{
	struct scmp_arg_cmp c = {
	        .arg = a->index,
	        .op = (enum scmp_compare)a->op,
	        .datum_a = a->value,
	        .datum_b = a->value_two,
	};
	return c;
}

static int add_rule (scmp_filter_ctx ctx, const char *name, uint32_t action, int nr,
                     const struct spec_seccomp_syscall *s, struct keel_error **err)
{
	struct scmp_arg_cmp cmps[6];
	int ret;

	if (s->n_args > ARRAY_SIZE (cmps))
		return keel_error (err, 0, "seccomp: `%s`: more than %zu argument conditions", name,
		                   ARRAY_SIZE (cmps));
	/* libseccomp refuses two conditions on one argument in one rule; as
	 * runc does, such a list means "any of them": one rule each. */
	if (same_index_twice (s)) {
		for (size_t i = 0; i < s->n_args; i++) {
			cmps[0] = to_cmp (&s->args[i]);
			ret = seccomp_rule_add_array (ctx, action, nr, 1, cmps);
			if (ret < 0)
				return keel_error (err, -ret, "seccomp: add rule for `%s`", name);
		}
		return 0;
	}
	for (size_t i = 0; i < s->n_args; i++)
		cmps[i] = to_cmp (&s->args[i]);
	ret = seccomp_rule_add_array (ctx, action, nr, (unsigned)s->n_args, cmps);
	if (ret < 0)
		return keel_error (err, -ret, "seccomp: add rule for `%s`", name);
	return 0;
}

static int add_syscalls (scmp_filter_ctx ctx, const struct spec_seccomp *sc, uint32_t def,
                         struct keel_error **err)
{
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct spec_seccomp_syscall *s = &sc->syscalls[i];
		uint32_t action = with_errno_ret (s->action, s->has_errno_ret, s->errno_ret);

		/* libseccomp rejects a rule whose action is the default one;
		 * it would change nothing anyway. */
		if (action == def)
			continue;
		for (size_t j = 0; j < s->names.n; j++) {
			const char *name = s->names.v[j];
			int nr = seccomp_syscall_resolve_name (name), ret;

			/* As crun and runc: a profile lists syscalls of every
			 * kernel and architecture; unknown ones are skipped. */
			if (nr == __NR_SCMP_ERROR) {
				keel_debug ("seccomp: syscall `%s` is unknown, skipped", name);
				continue;
			}
			ret = add_rule (ctx, name, action, nr, s, err);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static int build_filter (const struct spec_seccomp *sc, bool no_new_privs, scmp_filter_ctx *out,
                         struct keel_error **err)
{
	cleanup_filter struct filter f = {NULL};
	uint32_t def = with_errno_ret (sc->default_action, sc->has_default_errno_ret,
	                               sc->default_errno_ret);
	int ret;

	f.ctx = seccomp_init (def);
	if (f.ctx == NULL)
		return keel_error (err, 0, "seccomp: invalid default action %#x", def);
	/* Without no_new_privs, loading needs CAP_SYS_ADMIN; libseccomp would
	 * otherwise set no_new_privs behind the config's back. */
	ret = seccomp_attr_set (f.ctx, SCMP_FLTATR_CTL_NNP, no_new_privs ? 1 : 0);
	if (ret < 0)
		return keel_error (err, -ret, "seccomp: set no_new_privs attribute");
	for (size_t i = 0; i < sc->architectures.n; i++) {
		ret = add_arch (f.ctx, sc->architectures.v[i], err);
		if (ret < 0)
			return ret;
	}
	ret = set_flags (f.ctx, &sc->flags, err);
	if (ret < 0)
		return ret;
	ret = add_syscalls (f.ctx, sc, def, err);
	if (ret < 0)
		return ret;
	*out = steal_ptr (&f.ctx);
	return 0;
}

int seccomp_apply_notify (const struct spec_seccomp *sc, bool no_new_privs, int *notify_fd,
                          struct keel_error **err)
{
	cleanup_filter struct filter f = {NULL};
	int ret;

	if (notify_fd != NULL)
		*notify_fd = -1;
	if (sc == NULL || !sc->present)
		return 0;
	if (seccomp_uses_notify (sc) && notify_fd == NULL)
		return keel_error (err, 0,
		                   "seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
	ret = build_filter (sc, no_new_privs, &f.ctx, err);
	if (ret < 0)
		return ret;
	ret = seccomp_load (f.ctx);
	if (ret < 0)
		return keel_error (err, -ret, "seccomp: load the filter");
	if (notify_fd != NULL && seccomp_uses_notify (sc)) {
		ret = seccomp_notify_fd (f.ctx);
		if (ret < 0)
			return keel_error (err, -ret, "seccomp: get the notify fd");
		/* libseccomp keeps the fd in the context and closes it on
		 * release: hand the caller a copy of its own. */
		*notify_fd = fcntl (ret, F_DUPFD_CLOEXEC, 3);
		if (*notify_fd < 0)
			return keel_error (err, errno, "seccomp: dup the notify fd");
	}
	return 0;
}

int seccomp_apply (const struct spec_seccomp *sc, bool no_new_privs, struct keel_error **err)
{
	return seccomp_apply_notify (sc, no_new_privs, NULL, err);
}

/* JSON string with the escapes RFC 8259 requires. */
static char *json_quote (const char *s)
{
	size_t n = strlen (s);
	char *out = xmalloc0 (n * 6 + 3), *w = out;

	*w++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*w++ = '\\';
			*w++ = (char)c;
		} else if (c < 0x20) {
			w += sprintf (w, "\\u%04x", c);
		} else {
			*w++ = (char)c;
		}
	}
	*w++ = '"';
	*w = '\0';
	return out;
}

int seccomp_send_notify_fd (const struct spec_seccomp *sc, int notify_fd, pid_t pid,
                            const char *state_json, struct keel_error **err)
{
	cleanup_free char *meta = NULL;
	cleanup_free char *msg = NULL;

	if (sc == NULL || sc->listener_path == NULL)
		return keel_error (err, 0, "seccomp: no listenerPath to send the notify fd to");
	meta = json_quote (sc->listener_metadata ? sc->listener_metadata : "");
	/* runtime-spec "containerProcessState". */
	msg = xasprintf ("{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
	                 "\"metadata\":%s,\"state\":%s}",
	                 (int)pid, meta, state_json ? state_json : "{}");
	if (unix_send_fd (sc->listener_path, msg, strlen (msg), notify_fd, err) < 0)
		return keel_error_wrap (err, "seccomp: listenerPath");
	return 0;
}

#else /* !CONFIG_SECCOMP: no libseccomp reference at all */

static int not_built (struct keel_error **err)
{
	return keel_error (err, 0, "seccomp: keel was built without CONFIG_SECCOMP");
}

bool seccomp_uses_notify (const struct spec_seccomp *sc)
{
	return false;
}

int seccomp_apply_notify (const struct spec_seccomp *sc, bool no_new_privs, int *notify_fd,
                          struct keel_error **err)
{
	if (notify_fd != NULL)
		*notify_fd = -1;
	if (sc == NULL || !sc->present)
		return 0;
	return not_built (err);
}

int seccomp_apply (const struct spec_seccomp *sc, bool no_new_privs, struct keel_error **err)
{
	return seccomp_apply_notify (sc, no_new_privs, NULL, err);
}

int seccomp_send_notify_fd (const struct spec_seccomp *sc, int notify_fd, pid_t pid,
                            const char *state_json, struct keel_error **err)
{
	return not_built (err);
}

#endif
