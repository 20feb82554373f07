/* Capabilities of the container process; see caps.h. */
#include "runtime/caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

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

static int set_flag (cap_t c, cap_flag_t flag, const int *list, size_t n, int last,
                     struct keel_error **err)
{
	for (size_t i = 0; i < n; i++) {
		cap_value_t v = list[i];

		if (list[i] < 0 || list[i] > last) {
			keel_debug ("caps: capability %d is unknown to this kernel, ignored",
			            list[i]);
			continue;
		}
		if (cap_set_flag (c, flag, 1, &v, CAP_SET) < 0)
			return keel_error (err, errno, "caps: cap_set_flag %d", list[i]);
	}
	return 0;
}

/* keep: a capability to leave effective and permitted besides the
 * config's, or -1. */
static int set_sets (const struct spec_caps *caps, int keep, int last, struct keel_error **err)
{
	cap_value_t k = keep;
	cap_t c = cap_init ();
	int ret = 0;

	if (c == NULL)
		return keel_error (err, errno, "caps: cap_init");
	if (keep >= 0 && (cap_set_flag (c, CAP_EFFECTIVE, 1, &k, CAP_SET) < 0 ||
	                  cap_set_flag (c, CAP_PERMITTED, 1, &k, CAP_SET) < 0))
		ret = keel_error (err, errno, "caps: cap_set_flag %d", keep);
	if (ret == 0)
		ret = set_flag (c, CAP_EFFECTIVE, caps->effective, caps->n_effective, last, err);
	if (ret == 0)
		ret = set_flag (c, CAP_PERMITTED, caps->permitted, caps->n_permitted, last, err);
	if (ret == 0)
		ret = set_flag (c, CAP_INHERITABLE, caps->inheritable, caps->n_inheritable, last,
		                err);
	if (ret == 0 && cap_set_proc (c) < 0)
		ret = keel_error (err, errno,
		                  "caps: set the effective, permitted and inheritable sets");
	cap_free (c);
	return ret;
}

static int raise_ambient (const struct spec_caps *caps, int last, struct keel_error **err)
{
	if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return keel_error (err, errno, "caps: clear the ambient set");
	for (size_t i = 0; i < caps->n_ambient; i++) {
		int cap = caps->ambient[i];
		char name[64];

		if (cap < 0 || cap > last)
			continue;
		if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == 0)
			continue;
		/* As runc: an ambient capability missing from the permitted or
		 * inheritable set cannot be raised; that is the config's
		 * choice, not a failure to start.  Debug level, because this
		 * stderr is the container's stderr too. */
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
 * permitted capability first. */
static int raise_permitted (struct keel_error **err)
{
	cap_t c = cap_get_proc ();
	int ret = 0;

	if (c == NULL)
		return keel_error (err, errno, "caps: cap_get_proc");
	if (cap_fill (c, CAP_EFFECTIVE, CAP_PERMITTED) < 0 || cap_set_proc (c) < 0)
		ret = keel_error (err, errno, "caps: raise the permitted capabilities");
	cap_free (c);
	return ret;
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

/* One capability in or out of the effective set, the others as they are. */
static int set_effective (int cap, bool on, struct keel_error **err)
{
	cap_value_t v = cap;
	cap_t c = cap_get_proc ();
	int ret = 0;

	if (c == NULL)
		return keel_error (err, errno, "caps: cap_get_proc");
	if (cap_set_flag (c, CAP_EFFECTIVE, 1, &v, on ? CAP_SET : CAP_CLEAR) < 0 ||
	    cap_set_proc (c) < 0)
		ret = keel_error (err, errno, "caps: %s capability %d", on ? "raise" : "lower",
		                  cap);
	cap_free (c);
	return ret;
}

int caps_apply (const struct spec_caps *caps, struct keel_error **err)
{
	bool kept;

	return caps_apply_keep (caps, -1, &kept, err);
}

int caps_apply_keep (const struct spec_caps *caps, int keep, bool *kept, struct keel_error **err)
{
	bool permitted = false, effective = false;
	int last, ret;

	*kept = false;
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
	/* runc leaves the process's capabilities alone when
	 * process.capabilities is absent; only the uid change may have
	 * cleared `keep` from the effective set. */
	if (caps == NULL || !caps->present) {
		if (keep < 0 || effective)
			return 0;
		*kept = true;
		return set_effective (keep, true, err);
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
	if (caps == NULL || !caps->present)
		return set_effective (keep, false, err);
	/* One capset: the sets exactly as configured.  Ambient capabilities
	 * stay, except `keep` if it is no longer permitted (the kernel's
	 * rule), as caps_apply would have left it. */
	return set_sets (caps, -1, (int)cap_max_bits () - 1, err);
}
