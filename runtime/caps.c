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

static int set_sets (const struct spec_caps *caps, int last, struct keel_error **err)
{
	cap_t c = cap_init ();
	int ret;

	if (c == NULL)
		return keel_error (err, errno, "caps: cap_init");
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

int caps_apply (const struct spec_caps *caps, struct keel_error **err)
{
	int last, ret;

	/* runc leaves the process's capabilities alone when
	 * process.capabilities is absent. */
	if (caps == NULL || !caps->present)
		return 0;
	last = (int)cap_max_bits () - 1;
	ret = raise_permitted (err);
	if (ret < 0)
		return ret;
	ret = drop_bounding (caps, last, err);
	if (ret < 0)
		return ret;
	ret = set_sets (caps, last, err);
	if (ret < 0)
		return ret;
	return raise_ambient (caps, last, err);
}
