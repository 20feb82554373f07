/* See process-setup.h. */
#include "runtime/process-setup.h"

#include <errno.h>
#include <limits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/caps.h"
#include "runtime/process-attrs.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"

int process_load_seccomp (const struct spec_seccomp *sc, bool nnp, int sync_fd,
                          struct keel_error **err)
{
	cleanup_close int fd = -1;
	int ret;

	if (!sc->present)
		return 0;
	if (!seccomp_uses_notify (sc))
		return seccomp_apply (sc, nnp, err);
	ret = seccomp_apply_notify (sc, nnp, &fd, err);
	if (ret == 0 && fd >= 0)
		ret = sync_send (sync_fd, SYNC_SECCOMP, 0, fd, NULL, err);
	return ret;
}

int process_check_cwd_inside (const char *cwd, struct keel_error **err)
{
	char buf[PATH_MAX];

	if (syscall (SYS_getcwd, buf, sizeof buf) < 0)
		return keel_error (err, errno, "process.cwd `%s`: getcwd", cwd);
	if (buf[0] != '/')
		return keel_error (err, EPERM,
		                   "process.cwd `%s` is outside the container's root (%s)", cwd,
		                   buf);
	return 0;
}

int process_setup_apply (const struct process_setup *ps, struct keel_error **err)
{
	const struct spec_process *p = ps->process;
	int ret;

	if ((ret = process_apply_rlimits (p, err)) < 0 ||
	    (ret = process_apply_scheduler (p, err)) < 0 ||
	    (ret = process_apply_io_priority (p, err)) < 0)
		return ret;
	if (ps->personality && (ret = personality_apply (ps->personality, err)) < 0)
		return ret;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
	 * capability step below may drop. */
	if (!p->no_new_privileges &&
	    (ret = process_load_seccomp (ps->seccomp, false, ps->sync_fd, err)) < 0)
		return ret;
	if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_KEEPCAPS");
	ret = user_apply (&p->user, ps->setgroups_denied, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.user");
	if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_KEEPCAPS");
	ret = caps_apply (&p->caps, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.capabilities");
	if (p->cwd && chdir (p->cwd) < 0)
		return keel_error (err, errno, "process.cwd `%s`", p->cwd);
	if (p->cwd && (ret = process_check_cwd_inside (p->cwd, err)) < 0)
		return ret;
	if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
	return 0;
}
