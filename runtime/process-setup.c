/* See process-setup.h. */
#include "runtime/process-setup.h"

#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/caps.h"
#include "runtime/process-attrs.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"

int process_load_seccomp (const struct spec_seccomp *sc, const struct spec_caps *caps, int kept_cap,
                          int sync_fd, bool fd_by_number, struct keel_error **err)
{
	int fd = -1, ret;

	if (!sc->present)
		return 0;
	/* no_new_privs is set already (process_setup_apply) when configured. */
	ret = seccomp_uses_notify (sc) ? seccomp_apply_notify (sc, false, &fd, err)
	                               : seccomp_apply (sc, false, err);
	/* fd is close-on-exec: closing it would be one more syscall. */
	if (ret == 0 && fd >= 0)
		ret = fd_by_number ? sync_write (sync_fd, SYNC_SECCOMP, fd, err)
		                   : sync_send (sync_fd, SYNC_SECCOMP, 0, fd, NULL, err);
	if (ret == 0 && kept_cap >= 0)
		ret = caps_drop_kept (caps, kept_cap, err);
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

int process_setup_apply (const struct process_setup *ps, int *kept_cap, struct keel_error **err)
{
	const struct spec_process *p = ps->process;
	/* Without no_new_privs, loading the filter (last) needs CAP_SYS_ADMIN,
	 * which the capability step may drop: keep it. */
	int keep =
	        ps->seccomp && ps->seccomp->present && !p->no_new_privileges ? CAP_SYS_ADMIN : -1;
	bool kept = false, in_cwd, keepcaps;
	int ret;

	/* process.cwd twice, as runc: before the user switch, where root may
	 * enter what the user may not, and after it only if that failed (a
	 * directory root may not search, e.g. on root-squashed NFS). */
	in_cwd = p->cwd && chdir (p->cwd) == 0;
	if ((ret = process_apply_rlimits (p, err)) < 0 ||
	    (ret = process_apply_scheduler (p, err)) < 0 ||
	    (ret = process_apply_io_priority (p, err)) < 0)
		return ret;
	if (ps->personality && (ret = personality_apply (ps->personality, err)) < 0)
		return ret;
	/* The kernel clears the permitted set only when the uids go from
	 * some 0 to none 0: switching to uid 0 keeps it without asking. */
	keepcaps = p->user.uid != 0;
	if (keepcaps && prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_KEEPCAPS");
	ret = user_apply (&p->user, ps->setgroups_denied, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.user");
	if (keepcaps && prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_KEEPCAPS");
	ret = caps_apply_keep (&p->caps, keep, &kept, err);
	if (ret < 0)
		return keel_error_wrap (err, "process.capabilities");
	*kept_cap = kept ? keep : -1;
	if (p->cwd && !in_cwd && chdir (p->cwd) < 0)
		return keel_error (err, errno, "process.cwd `%s`", p->cwd);
	if (p->cwd && (ret = process_check_cwd_inside (p->cwd, err)) < 0)
		return ret;
	if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return keel_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
	return 0;
}
