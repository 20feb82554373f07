/* linux.seccomp with libseccomp; see seccomp.h. */
#include "runtime/seccomp.h"

#include <errno.h>

#include "lib/log.h"
#include "lib/unixsock.h"
#include "lib/util.h"

#ifdef CONFIG_SECCOMP

#include <ctype.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* Newer than some kernel headers keel builds against. */
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#define KEEL_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)

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

static uint32_t default_action (const struct spec_seccomp *sc)
{
	return with_errno_ret (sc->default_action, sc->has_default_errno_ret,
	                       sc->default_errno_ret);
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

/* The container process hands the listener fd over with write(2) right
 * after loading the filter (see seccomp.h): if write itself waited for the
 * listener, which has no fd yet, create would hang.  runc refuses the same
 * two configurations. */
static int check_notify (const struct spec_seccomp *sc, struct keel_error **err)
{
	if (sc->default_action == SCMP_ACT_NOTIFY)
		return keel_error (err, 0, "seccomp: SCMP_ACT_NOTIFY cannot be the default action");
	for (size_t i = 0; i < sc->n_syscalls; i++) {
		const struct spec_seccomp_syscall *s = &sc->syscalls[i];

		if (s->action != SCMP_ACT_NOTIFY)
			continue;
		for (size_t j = 0; j < s->names.n; j++)
			if (strcmp (s->names.v[j], "write") == 0)
				return keel_error (
				        err, 0,
				        "seccomp: SCMP_ACT_NOTIFY cannot be used for `write`");
	}
	return 0;
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

/* linux.seccomp.flags as seccomp(2) flags: keel loads the program itself
 * (see load_program), so they never go through libseccomp's attributes. */
static int kernel_flags (const struct spec_strv *flags, unsigned long *out, struct keel_error **err)
{
	*out = 0;
	for (size_t i = 0; i < flags->n; i++) {
		const char *f = flags->v[i];

		if (strcmp (f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			*out |= SECCOMP_FILTER_FLAG_TSYNC;
		else if (strcmp (f, "SECCOMP_FILTER_FLAG_LOG") == 0)
			*out |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp (f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			*out |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp (f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
			*out |= KEEL_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		else
			return keel_error (err, 0, "seccomp: unsupported flag `%s`", f);
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

static int build_filter (const struct spec_seccomp *sc, scmp_filter_ctx *out,
                         struct keel_error **err)
{
	cleanup_filter struct filter f = {NULL};
	uint32_t def = default_action (sc);
	int ret;

	f.ctx = seccomp_init (def);
	if (f.ctx == NULL)
		return keel_error (err, 0, "seccomp: invalid default action %#x", def);
	for (size_t i = 0; i < sc->architectures.n; i++) {
		ret = add_arch (f.ctx, sc->architectures.v[i], err);
		if (ret < 0)
			return ret;
	}
	ret = add_syscalls (f.ctx, sc, def, err);
	if (ret < 0)
		return ret;
	*out = steal_ptr (&f.ctx);
	return 0;
}

/* ---- the ENOSYS prefix ------------------------------------------------------
 *
 * A profile is written for the kernels its author knew.  A syscall newer
 * than all of them should look absent (ENOSYS), so that libc falls back
 * (clone3 -> clone, faccessat2 -> faccessat, openat2 -> openat), instead of
 * failing with the default action's EPERM.  As runc does, every syscall
 * numbered above the highest one the profile names, per architecture,
 * fails with ENOSYS, unless the default action lets syscalls through
 * anyway (ALLOW, LOG, TRACE).  libseccomp cannot express "above N", so
 * keel puts a few BPF instructions of its own in front of libseccomp's
 * program and loads the whole with seccomp(2).
 */

#define X32_SYSCALL_BIT 0x40000000U

/* SCMP_ARCH_* values are the kernel's AUDIT_ARCH_* ones, except x32's,
 * which the kernel reports as x86_64 with X32_SYSCALL_BIT in the number. */
static uint32_t audit_arch (uint32_t arch)
{
	return arch == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : arch;
}

/* The highest syscall number sc names on arch, or -1. */
static long last_named (const struct spec_seccomp *sc, uint32_t arch)
{
	long last = -1;

	for (size_t i = 0; i < sc->n_syscalls; i++)
		for (size_t j = 0; j < sc->syscalls[i].names.n; j++) {
			/* Negative: a pseudo number libseccomp uses for a
			 * syscall this architecture does not have. */
			int nr = seccomp_syscall_resolve_name_arch (arch,
			                                            sc->syscalls[i].names.v[j]);

			if (nr >= 0 && nr > last)
				last = nr;
		}
	return last;
}

struct prog {
	struct sock_filter *insn;
	size_t n, cap;
};

static size_t emit (struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	/* make_stub's size is bounded by its architecture table. */
	if (p->n == p->cap)
		abort ();
	p->insn[p->n] = (struct sock_filter)BPF_JUMP (code, k, jt, jf);
	return p->n++;
}

/* Jump targets of the stub, resolved once its length is known. */
enum { TO_ENOSYS = 1, TO_END = 2 };

/* The architectures a stub can cover (x32 inside x86_64's block). */
static const uint32_t stub_arches[] = {
        SCMP_ARCH_X86_64, SCMP_ARCH_X86,      SCMP_ARCH_AARCH64,   SCMP_ARCH_ARM,
        SCMP_ARCH_PPC64,  SCMP_ARCH_PPC64LE,  SCMP_ARCH_PPC,       SCMP_ARCH_S390X,
        SCMP_ARCH_S390,   SCMP_ARCH_RISCV64,  SCMP_ARCH_MIPS,      SCMP_ARCH_MIPSEL,
        SCMP_ARCH_MIPS64, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL64N32,
};

struct fixup {
	size_t at;
	int to;
};

/* "nr > last: ENOSYS, else libseccomp's program"; nr is in A. */
static void emit_range (struct prog *p, long last, struct fixup *fx, size_t *nfx)
{
	if (last >= 0)
		fx[(*nfx)++] = (struct fixup){
		        emit (p, BPF_JMP | BPF_JGT | BPF_K, 0, 0, (uint32_t)last), TO_ENOSYS};
	fx[(*nfx)++] = (struct fixup){emit (p, BPF_JMP | BPF_JA, 0, 0, 0), TO_END};
}

/* Each architecture takes at most 7 instructions, plus 3 around them. */
#define STUB_MAX (7 * ARRAY_SIZE (stub_arches) + 3)

static bool allows_unknown (uint32_t def)
{
	return def == SCMP_ACT_ALLOW || def == SCMP_ACT_LOG ||
	       ACT_CLASS (def) == ACT_CLASS (SCMP_ACT_TRACE (0));
}

/* The ENOSYS prefix for the architectures of ctx; p->n stays 0 when none is
 * needed. */
static int make_stub (const struct spec_seccomp *sc, scmp_filter_ctx ctx, struct prog *p,
                      struct keel_error **err)
{
	struct fixup fx[4 * ARRAY_SIZE (stub_arches) + 4];
	size_t nfx = 0, enosys;

	if (allows_unknown (default_action (sc)))
		return 0;
	emit (p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof (struct seccomp_data, arch));
	for (size_t i = 0; i < ARRAY_SIZE (stub_arches); i++) {
		uint32_t a = stub_arches[i];
		bool x32 = a == SCMP_ARCH_X86_64 && seccomp_arch_exist (ctx, SCMP_ARCH_X32) == 0;
		size_t test;

		if (seccomp_arch_exist (ctx, a) != 0 && !(a == SCMP_ARCH_X86_64 && x32))
			continue;
		test = emit (p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, audit_arch (a));
		emit (p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof (struct seccomp_data, nr));
		if (a == SCMP_ARCH_X86_64) {
			/* x32 numbers share x86_64's AUDIT_ARCH: tell them apart by
			 * their bit, each against its own last number. */
			size_t split = emit (p, BPF_JMP | BPF_JGE | BPF_K, 0, 0, X32_SYSCALL_BIT);
			size_t x32_start;

			emit_range (p, seccomp_arch_exist (ctx, a) == 0 ? last_named (sc, a) : -1,
			            fx, &nfx);
			x32_start = p->n;
			emit_range (p, x32 ? last_named (sc, SCMP_ARCH_X32) : -1, fx, &nfx);
			p->insn[split].jt = (uint8_t)(x32_start - split - 1);
		} else {
			emit_range (p, last_named (sc, a), fx, &nfx);
		}
		p->insn[test].jf = (uint8_t)(p->n - test - 1);
	}
	/* An architecture the filter does not know, or one missing from
	 * stub_arches: libseccomp's program decides. */
	fx[nfx++] = (struct fixup){emit (p, BPF_JMP | BPF_JA, 0, 0, 0), TO_END};
	enosys = emit (p, BPF_RET | BPF_K, 0, 0, SCMP_ACT_ERRNO (ENOSYS));
	for (size_t i = 0; i < nfx; i++) {
		size_t at = fx[i].at;

		if (fx[i].to == TO_END) {
			p->insn[at].k = (uint32_t)(p->n - at - 1);
		} else if (enosys - at - 1 > 255) {
			return keel_error (err, E2BIG, "seccomp: the ENOSYS prefix is too long");
		} else {
			p->insn[at].jt = (uint8_t)(enosys - at - 1);
		}
	}
	return 0;
}

/* libseccomp's program for ctx, appended to p. */
static int export_program (scmp_filter_ctx ctx, struct prog *p, struct keel_error **err)
{
	cleanup_close int fd = memfd_create ("keel-seccomp", MFD_CLOEXEC);
	struct sock_filter *whole;
	struct stat st;
	ssize_t got;
	size_t n;
	int ret;

	if (fd < 0)
		return keel_error (err, errno, "seccomp: memfd_create");
	ret = seccomp_export_bpf (ctx, fd);
	if (ret < 0)
		return keel_error (err, -ret, "seccomp: export the filter");
	if (fstat (fd, &st) < 0)
		return keel_error (err, errno, "seccomp: stat the exported filter");
	if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter) != 0)
		return keel_error (err, EINVAL, "seccomp: exported filter of %lld bytes",
		                   (long long)st.st_size);
	n = (size_t)st.st_size / sizeof (struct sock_filter);
	whole = xmalloc0 ((p->n + n) * sizeof *whole);
	memcpy (whole, p->insn, p->n * sizeof *whole);
	free (p->insn);
	p->insn = whole;
	p->cap = p->n + n;
	got = pread (fd, p->insn + p->n, (size_t)st.st_size, 0);
	if (got < 0)
		return keel_error (err, errno, "seccomp: read the exported filter");
	if (got != st.st_size)
		return keel_error (err, EIO, "seccomp: short read of the exported filter");
	p->n += n;
	return 0;
}

/* seccomp(SECCOMP_SET_MODE_FILTER): the listener fd when flags ask for one
 * (close-on-exec), else 0. */
static int load_program (const struct prog *p, unsigned long flags, struct keel_error **err)
{
	struct sock_fprog fprog = {.len = (unsigned short)p->n, .filter = p->insn};
	long ret;

	if (p->n > BPF_MAXINSNS)
		return keel_error (err, E2BIG, "seccomp: the filter has %zu instructions, over %d",
		                   p->n, BPF_MAXINSNS);
	ret = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	if (ret < 0)
		return keel_error (err, errno, "seccomp: load the filter");
	return (int)ret;
}

int seccomp_apply_notify (const struct spec_seccomp *sc, bool no_new_privs, int *notify_fd,
                          struct keel_error **err)
{
	cleanup_filter struct filter f = {NULL};
	struct prog p = {NULL, 0, STUB_MAX};
	unsigned long flags;
	bool notify;
	int ret;

	if (notify_fd != NULL)
		*notify_fd = -1;
	if (sc == NULL || !sc->present)
		return 0;
	notify = seccomp_uses_notify (sc);
	if (notify && notify_fd == NULL)
		return keel_error (err, 0,
		                   "seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
	ret = check_notify (sc, err);
	if (ret < 0)
		return ret;
	ret = kernel_flags (&sc->flags, &flags, err);
	if (ret < 0)
		return ret;
	if (notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* With TSYNC the kernel returns a thread id on failure, which
		 * would be ambiguous with the listener fd. */
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	p.insn = xmalloc0 (STUB_MAX * sizeof *p.insn);
	ret = build_filter (sc, &f.ctx, err);
	if (ret == 0)
		ret = make_stub (sc, f.ctx, &p, err);
	if (ret == 0)
		ret = export_program (f.ctx, &p, err);
	/* Without no_new_privs, loading needs CAP_SYS_ADMIN; it is never set
	 * behind the config's back. */
	if (ret == 0 && no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ret = keel_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
	if (ret == 0)
		ret = load_program (&p, flags, err);
	free (p.insn);
	if (ret < 0)
		return ret;
	if (notify)
		*notify_fd = ret;
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
