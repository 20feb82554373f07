/* See process-setup.h. */
#include "runtime/process-setup.h"

#include <errno.h>
#include <limits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/process-attrs.h"

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
	if (!p->no_new_privileges && (ret = ps->load_seccomp (ps->arg, false, err)) < 0)
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
