/* Capabilities of the container process; see caps.h. */
#include "runtime/caps.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* "cap_chown": libcap's name, copied into buf (cap_to_name allocates). */
static const char *cap_name (int cap, char *buf, size_t size)
{
	char *n = cap_to_name (cap);

	snprintf (buf, size, "%s", n ? n : "?");
	cap_free (n);
	return buf;
}

static bool cap_listed (const int *list, size_t n, int cap)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == cap)
			return true;
	return false;
}

static int drop_bounding (const struct spec_caps *caps, int last, struct keel_error **err)
{
	for (int cap = 0; cap <= last; cap++) {
		char name[64];

		if (cap_listed (caps->bounding, caps->n_bounding, cap))
			continue;
		/* EINVAL: a capability this kernel does not have. */
		if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return keel_error (err, errno, "caps: drop %s from the bounding set",
			                   cap_name (cap, name, sizeof name));
	}
	return 0;
}

/* The three sets as 64-bit masks, capget/capset's version-3 layout. */
struct cap_sets {
	uint64_t effective, permitted, inheritable;
};

static int caps_get (struct cap_sets *out)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	/* Zeroed although the kernel fills both: valgrind 3.19 marks only
	 * the first as written by capget. */
	struct __user_cap_data_struct d[2] = {0};

	if (syscall (SYS_capget, &h, d) < 0)
		return -1;
	out->effective = d[0].effective | (uint64_t)d[1].effective << 32;
	out->permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	out->inheritable = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set (const struct cap_sets *in)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {
	        {(uint32_t)in->effective, (uint32_t)in->permitted, (uint32_t)in->inheritable},
	        {(uint32_t)(in->effective >> 32), (uint32_t)(in->permitted >> 32),
	         (uint32_t)(in->inheritable >> 32)},
	};

	return (int)syscall (SYS_capset, &h, d);
}

static uint64_t cap_mask (const int *list, size_t n, int last)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (list[i] < 0 || list[i] > last || list[i] > 63) {
			keel_debug ("caps: capability %d is unknown to this kernel, ignored",
			            list[i]);
			continue;
		}
		m |= 1ULL << list[i];
	}
	return m;
}

/* keep: a capability to leave effective and permitted besides the
 * config's, or -1.  One capset(2): libcap's cap_set_proc adds a capget
 * to learn the kernel's version, which version 3 does not need. */
static int set_sets (const struct spec_caps *caps, int keep, int last, struct keel_error **err)
{
	struct cap_sets s = {
	        .effective = cap_mask (caps->effective, caps->n_effective, last),
	        .permitted = cap_mask (caps->permitted, caps->n_permitted, last),
	        .inheritable = cap_mask (caps->inheritable, caps->n_inheritable, last),
	};

	if (keep >= 0 && keep <= 63) {
		s.effective |= 1ULL << keep;
		s.permitted |= 1ULL << keep;
	}
	if (caps_set (&s) < 0)
		return keel_error (err, errno,
		                   "caps: set the effective, permitted and inheritable sets");
	return 0;
}

/* After set_sets.  The kernel keeps the ambient set within permitted and
 * inheritable (lowering either lowers it), so when the config's two have
 * nothing in common the caller's ambient capabilities are gone already
 * and there is nothing to clear. */
static int raise_ambient (const struct spec_caps *caps, int last, struct keel_error **err)
{
	if ((cap_mask (caps->permitted, caps->n_permitted, last) &
	     cap_mask (caps->inheritable, caps->n_inheritable, last)) != 0 &&
	    prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return keel_error (err, errno, "caps: clear the ambient set");
	for (size_t i = 0; i < caps->n_ambient; i++) {
		int cap = caps->ambient[i];
		char name[64];

		if (cap < 0 || cap > last)
			continue;
		/* As runc: an ambient capability missing from the permitted or
		 * inheritable set cannot be raised; that is the config's
		 * choice, not a failure to start.  Debug level, because this
		 * stderr is the container's stderr too.  The sets are the
		 * config's (set_sets just set them), so the kernel's EPERM is
		 * known without asking. */
		if (!cap_listed (caps->permitted, caps->n_permitted, cap) ||
		    !cap_listed (caps->inheritable, caps->n_inheritable, cap)) {
			keel_debug ("caps: cannot raise ambient %s: not in the permitted and "
			            "inheritable sets",
			            cap_name (cap, name, sizeof name));
			continue;
		}
		if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == 0)
			continue;
		if (errno == EPERM) {
			keel_debug ("caps: cannot raise ambient %s: not in the permitted and "
			            "inheritable sets",
			            cap_name (cap, name, sizeof name));
			continue;
		}
		return keel_error (err, errno, "caps: raise ambient %s",
		                   cap_name (cap, name, sizeof name));
	}
	return 0;
}

/* After setuid() to a non-zero uid the kernel clears the effective set
 * (PR_SET_KEEPCAPS only keeps the permitted one), but dropping bounding
 * capabilities needs CAP_SETPCAP in the effective set: raise every
 * permitted capability first.  Root's effective set is its permitted one
 * already: then one capget and nothing to set. */
static int raise_permitted (struct keel_error **err)
{
	struct cap_sets s;

	if (caps_get (&s) < 0)
		return keel_error (err, errno, "caps: capget");
	if (s.effective == s.permitted)
		return 0;
	s.effective = s.permitted;
	if (caps_set (&s) < 0)
		return keel_error (err, errno, "caps: raise the permitted capabilities");
	return 0;
}

/* Whether cap is in set `flag` of the process now. */
static int has_cap (int cap, cap_flag_t flag, bool *yes, struct keel_error **err)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t c = cap_get_proc ();
	int ret = 0;

	if (c == NULL)
		return keel_error (err, errno, "caps: cap_get_proc");
	if (cap_get_flag (c, cap, flag, &v) < 0)
		ret = keel_error (err, errno, "caps: cap_get_flag %d", cap);
	cap_free (c);
	*yes = v == CAP_SET;
	return ret;
}

int caps_apply (const struct spec_caps *caps, struct keel_error **err)
{
	bool kept;

	return caps_apply_keep (caps, -1, &kept, err);
}

/* An absent process.capabilities means no capability at all, in every
 * set: what runc 1.1 and crun 1.8 do (measured, runtime-escape.sh), not
 * the runtime's own full set. */
static const struct spec_caps no_caps = {.present = true};

static const struct spec_caps *or_none (const struct spec_caps *caps)
{
	return caps && caps->present ? caps : &no_caps;
}

int caps_apply_keep (const struct spec_caps *caps, int keep, bool *kept, struct keel_error **err)
{
	bool permitted = false, effective = false;
	int last, ret;

	*kept = false;
	caps = or_none (caps);
	if (keep >= 0) {
		ret = has_cap (keep, CAP_PERMITTED, &permitted, err);
		if (ret == 0)
			ret = has_cap (keep, CAP_EFFECTIVE, &effective, err);
		if (ret < 0)
			return ret;
		/* Not permitted: nothing to keep (loading will say why). */
		if (!permitted)
			keep = -1;
	}
	/* Nothing to drop later when the config grants it anyway. */
	*kept = keep >= 0 && !(cap_listed (caps->effective, caps->n_effective, keep) &&
	                       cap_listed (caps->permitted, caps->n_permitted, keep));
	last = (int)cap_max_bits () - 1;
	ret = raise_permitted (err);
	if (ret < 0)
		return ret;
	ret = drop_bounding (caps, last, err);
	if (ret < 0)
		return ret;
	ret = set_sets (caps, keep, last, err);
	if (ret < 0)
		return ret;
	return raise_ambient (caps, last, err);
}

int caps_drop_kept (const struct spec_caps *caps, int keep, struct keel_error **err)
{
	(void)keep;
	caps = or_none (caps);
	/* One capset: the sets exactly as configured.  Ambient capabilities
	 * stay, except `keep` if it is no longer permitted (the kernel's
	 * rule), as caps_apply would have left it. */
	return set_sets (caps, -1, (int)cap_max_bits () - 1, err);
}
