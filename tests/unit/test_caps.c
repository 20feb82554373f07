/* caps_apply for real: a forked child applies the sets and reports the
 * masks the kernel shows in /proc/self/status. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include "runtime/caps.h"
#include "runtime/process-attrs.h"
#include "tests/unit/linux-helpers.h"

#define BIT(c) (1ULL << (c))

static int bounding[] = {CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETUID};
static int effective[] = {CAP_CHOWN, CAP_KILL};
static int permitted[] = {CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE};
static int inheritable[] = {CAP_NET_BIND_SERVICE};
static int ambient[] = {CAP_NET_BIND_SERVICE};

static struct spec_caps sample_caps (void)
{
	struct spec_caps c = {
	        .bounding = bounding,
	        .n_bounding = ARRAY_SIZE (bounding),
	        .effective = effective,
	        .n_effective = ARRAY_SIZE (effective),
	        .permitted = permitted,
	        .n_permitted = ARRAY_SIZE (permitted),
	        .inheritable = inheritable,
	        .n_inheritable = ARRAY_SIZE (inheritable),
	        .ambient = ambient,
	        .n_ambient = ARRAY_SIZE (ambient),
	        .present = true,
	};
	return c;
}

static void report_masks (int out)
{
	static const char *const f[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};

	for (size_t i = 0; i < ARRAY_SIZE (f); i++)
		report (out, "%s=%llx\n", f[i], proc_status_hex (f[i]));
}

static unsigned long long mask (const struct child_report *r, const char *k)
{
	const char *v = report_value (r, k);
	assert_non_null (v);
	return strtoull (v, NULL, 16);
}

struct caps_case {
	struct spec_caps caps;
	bool switch_user;
};

static int apply_child (void *arg, int out)
{
	struct caps_case *c = arg;
	struct keel_error *err = NULL;

	if (c->switch_user) {
		struct spec_user u = {.uid = 1000, .gid = 1000};

		/* What the core does: keep the permitted set over setuid. */
		if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || user_apply (&u, false, &err) < 0 ||
		    prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
			if (err)
				report_error (out, &err);
			return 1;
		}
	}
	if (caps_apply (&c->caps, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	report (out, "uid=%u\n", (unsigned)getuid ());
	report_masks (out);
	return 0;
}

static void test_all_five_sets (void **state)
{
	struct caps_case c = {.caps = sample_caps ()};
	struct child_report r;

	need_root ();
	run_child (apply_child, &c, &r);
	assert_true (child_ok (&r));
	assert_int_equal (mask (&r, "CapBnd"), BIT (CAP_CHOWN) | BIT (CAP_KILL) |
	                                               BIT (CAP_NET_BIND_SERVICE) |
	                                               BIT (CAP_SETUID));
	assert_int_equal (mask (&r, "CapEff"), BIT (CAP_CHOWN) | BIT (CAP_KILL));
	assert_int_equal (mask (&r, "CapPrm"),
	                  BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE));
	assert_int_equal (mask (&r, "CapInh"), BIT (CAP_NET_BIND_SERVICE));
	assert_int_equal (mask (&r, "CapAmb"), BIT (CAP_NET_BIND_SERVICE));
}

static void test_after_user_switch (void **state)
{
	struct caps_case c = {.caps = sample_caps (), .switch_user = true};
	struct child_report r;

	need_root ();
	run_child (apply_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "uid"), "1000");
	assert_int_equal (mask (&r, "CapEff"), BIT (CAP_CHOWN) | BIT (CAP_KILL));
	assert_int_equal (mask (&r, "CapAmb"), BIT (CAP_NET_BIND_SERVICE));
}

/* No process.capabilities: every set empty, as runc 1.1 and crun 1.8. */
static void test_absent_is_empty (void **state)
{
	struct caps_case c = {.caps = {.present = false}};
	struct child_report r;

	need_root ();
	run_child (apply_child, &c, &r);
	assert_true (child_ok (&r));
	assert_int_equal (mask (&r, "CapEff"), 0);
	assert_int_equal (mask (&r, "CapPrm"), 0);
	assert_int_equal (mask (&r, "CapBnd"), 0);
	assert_int_equal (mask (&r, "CapInh"), 0);
	assert_int_equal (mask (&r, "CapAmb"), 0);
}

static void test_ambient_needs_inheritable (void **state)
{
	static int amb[] = {CAP_KILL};
	struct caps_case c = {.caps = sample_caps ()};
	struct child_report r;

	need_root ();
	/* As runc: not an error, the ambient capability just is not raised. */
	c.caps.ambient = amb;
	run_child (apply_child, &c, &r);
	assert_true (child_ok (&r));
	assert_int_equal (mask (&r, "CapAmb"), 0);
}

static void test_empty_sets (void **state)
{
	struct caps_case c = {.caps = {.present = true}};
	struct child_report r;

	need_root ();
	run_child (apply_child, &c, &r);
	assert_true (child_ok (&r));
	assert_int_equal (mask (&r, "CapBnd"), 0);
	assert_int_equal (mask (&r, "CapEff"), 0);
	assert_int_equal (mask (&r, "CapPrm"), 0);
}

static void test_inheritable_outside_bounding_fails (void **state)
{
	static int inh[] = {CAP_SYS_ADMIN};
	struct caps_case c = {.caps = sample_caps ()};
	struct child_report r;

	need_root ();
	c.caps.inheritable = inh;
	c.caps.ambient = NULL;
	c.caps.n_ambient = 0;
	run_child (apply_child, &c, &r);
	assert_false (child_ok (&r));
	assert_non_null (
	        strstr (r.buf, "error: caps: set the effective, permitted and inheritable"));
}

/* caps_apply_keep, then caps_drop_kept: what the container process does
 * around loading seccomp without no_new_privs. */
static int keep_child (void *arg, int out)
{
	struct caps_case *c = arg;
	struct keel_error *err = NULL;
	struct spec_user u = {.uid = 1000, .gid = 1000};
	bool kept = false;

	if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || user_apply (&u, false, &err) < 0 ||
	    prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
	    caps_apply_keep (&c->caps, CAP_SYS_ADMIN, &kept, &err) < 0) {
		if (err)
			report_error (out, &err);
		return 1;
	}
	report (out, "kept=%d\n", kept);
	report (out, "keptEff=%llx\n", proc_status_hex ("CapEff"));
	report (out, "keptBnd=%llx\n", proc_status_hex ("CapBnd"));
	if (kept && caps_drop_kept (&c->caps, CAP_SYS_ADMIN, &err) < 0) {
		report_error (out, &err);
		return 1;
	}
	report_masks (out);
	return 0;
}

static void test_keep_until_drop (void **state)
{
	struct caps_case c = {.caps = sample_caps ()};
	struct child_report r;

	need_root ();
	run_child (keep_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "kept"), "1");
	assert_int_equal (mask (&r, "keptEff"),
	                  BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_SYS_ADMIN));
	/* Out of the bounding set from the start: execve cannot regain it. */
	assert_int_equal (mask (&r, "keptBnd") & BIT (CAP_SYS_ADMIN), 0);
	/* Afterwards exactly what caps_apply leaves. */
	assert_int_equal (mask (&r, "CapEff"), BIT (CAP_CHOWN) | BIT (CAP_KILL));
	assert_int_equal (mask (&r, "CapPrm"),
	                  BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE));
	assert_int_equal (mask (&r, "CapInh"), BIT (CAP_NET_BIND_SERVICE));
	assert_int_equal (mask (&r, "CapAmb"), BIT (CAP_NET_BIND_SERVICE));
}

static void test_keep_without_caps (void **state)
{
	struct caps_case c = {.caps = {.present = false}};
	struct child_report r;

	need_root ();
	/* Without process.capabilities the uid change cleared the effective
	 * set: only CAP_SYS_ADMIN is raised for the load, then lowered. */
	run_child (keep_child, &c, &r);
	assert_true (child_ok (&r));
	assert_string_equal (report_value (&r, "kept"), "1");
	assert_int_equal (mask (&r, "keptEff"), BIT (CAP_SYS_ADMIN));
	assert_int_equal (mask (&r, "CapEff"), 0);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_all_five_sets),
	        cmocka_unit_test (test_after_user_switch),
	        cmocka_unit_test (test_absent_is_empty),
	        cmocka_unit_test (test_ambient_needs_inheritable),
	        cmocka_unit_test (test_empty_sets),
	        cmocka_unit_test (test_inheritable_outside_bounding_fails),
	        cmocka_unit_test (test_keep_until_drop),
	        cmocka_unit_test (test_keep_without_caps),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
