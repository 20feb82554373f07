/* init/tmpfiles: the tmpfiles.d subset keel-import writes for atomic images
 * (parsing, every refusal's exact message) and applying it under a real
 * temporary root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "init/tmpfiles.h"
#include "lib/util.h"

#define F "containers.d/web/tmpfiles.conf"

static int parse (const char *text, struct tmpfiles *t, struct keel_error **err)
{
	return tmpfiles_parse (F, text, strlen (text), t, err);
}

static void test_parse (void **state)
{
	static const char text[] = "# comment\n"
	                           "\n"
	                           "d /var/lib/web 0750 1000 root - -\n"
	                           "  D! /run/web :0700 - 5\r\n"
	                           "f+ /run/web/motd 0644 0 0 10d hello\\tworld\\n  and more\n"
	                           "w- /proc/sys/net/ipv4/ip_forward - - - - 1\n"
	                           "L+ /run/web/current - - - - /var/lib/web/v2\n"
	                           "f /run/web/empty\n";
	struct keel_error *err = NULL;
	struct tmpfiles t;

	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (t.n, 6);
	assert_int_equal (t.v[0].type, 'd');
	assert_string_equal (t.v[0].path, "/var/lib/web");
	assert_true (t.v[0].has_mode);
	assert_int_equal (t.v[0].mode, 0750);
	assert_int_equal (t.v[0].uid, 1000);
	assert_true (t.v[0].has_gid);
	assert_int_equal (t.v[0].gid, 0);
	assert_null (t.v[0].arg);
	assert_int_equal (t.v[0].line, 3);

	assert_int_equal (t.v[1].type, 'D');
	assert_true (t.v[1].boot_only);
	assert_true (t.v[1].mode_on_create);
	assert_int_equal (t.v[1].mode, 0700);
	assert_false (t.v[1].has_uid);
	assert_int_equal (t.v[1].gid, 5);

	assert_int_equal (t.v[2].type, 'F'); /* f+ */
	assert_string_equal (t.v[2].arg, "hello\tworld\n  and more");

	assert_int_equal (t.v[3].type, 'w');
	assert_true (t.v[3].ignore_errors);
	assert_string_equal (t.v[3].arg, "1");

	assert_int_equal (t.v[4].type, 'L');
	assert_true (t.v[4].plus);
	assert_string_equal (t.v[4].arg, "/var/lib/web/v2");

	assert_false (t.v[5].has_mode);
	assert_null (t.v[5].arg);
	tmpfiles_free (&t);
}

/* Only the root itself is refused: names made of dots, or "." at the end
 * of a longer path, are ordinary paths. */
static void test_dots (void **state)
{
	static const char text[] = "d /...\nd /.a\nd /var/.\nd //run/./x/\n";
	struct keel_error *err = NULL;
	struct tmpfiles t;

	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (t.n, 4);
	assert_string_equal (t.v[0].path, "/...");
	assert_string_equal (t.v[2].path, "/var"); /* stored normalised */
	assert_string_equal (t.v[3].path, "/run/x");
	tmpfiles_free (&t);
}

static void test_errors (void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	        {"p /a",
	         F ":1: unsupported type (keel knows d, D, f, F, w, L, C, z, Z, e, r, R, x, "
	           "X, a, A): `p`"},
	        {"\n\nv /a",
	         F ":3: unsupported type (keel knows d, D, f, F, w, L, C, z, Z, e, r, R, "
	           "x, X, a, A): `v`"},
	        {"d~ /a", F ":1: unsupported type modifier in `d~`"},
	        {"d+ /a", F ":1: unsupported type modifier in `d+`"},
	        {"d-- /a", F ":1: unsupported type modifier in `d--`"},
	        {"r= /a", F ":1: unsupported type modifier in `r=`"},
	        {"z+ /a", F ":1: unsupported type modifier in `z+`"},
	        {"d$ /a", F ":1: unsupported type modifier in `d$`"},
	        {"f^ /a - - - - cred",
	         F ":1: `^` (argument from a service credential) is not supported, keel has no "
	           "credential store: `f^`"},
	        {"f~ /a - - - - a!b", F ":1: argument is not base64 (the `~` modifier): `a!b`"},
	        {"f~ /a - - - - QQ=x", F ":1: argument is not base64 (the `~` modifier): `QQ=x`"},
	        {"L~ /a - - - - L2EAYg==", F ":1: a path argument holds a NUL byte"},
	        {"C /a - - - - rel/src", F ":1: the copy source is not absolute: `rel/src`"},
	        {"d /a - - - 10x", F ":1: age is not a time span (such as 10d or 1h30min): `10x`"},
	        {"d /a - - - ~", F ":1: age is not a time span (such as 10d or 1h30min): ``"},
	        {"d /a - - - q:1d", F ":1: age selector is not one of abcmABCM in `q:1d`"},
	        {"d /a - - - 99999999999999999999d",
	         F ":1: age is not a time span (such as 10d or 1h30min): `99999999999999999999d`"},
	        {"a /a", F ":1: an ACL line needs entries (the argument)"},
	        {"a /a - - - - u:www:rw",
	         F ":1: ACL user or group is not a number or root: `u:www:rw`"},
	        {"a /a - - - - q::rw", F ":1: ACL entry has an unknown tag: `q::rw`"},
	        {"a /a - - - - m:5:rw", F ":1: ACL entry has an unknown tag: `m:5:rw`"},
	        {"a /a - - - - u:5:rwz",
	         F ":1: ACL permissions are not made of r, w, x, X, -: `u:5:rwz`"},
	        {"a /a - - - - u", F ":1: ACL entry is not [d:]TAG:ID:PERMS: `u`"},
	        {"a /a - - - - d:u:1:2:3", F ":1: ACL entry has too many fields: `d:u:1:2:3`"},
	        {"d /a ~:~0755", F ":1: mode is not octal: `~0755`"},
	        {"d", F ":1: missing path"},
	        {"d var/lib", F ":1: path is not absolute: `var/lib`"},
	        {"d /var/%n", F ":1: specifiers (%) are not supported in `/var/%n`"},
	        {"d /var/../etc", F ":1: path has a `..` component: `/var/../etc`"},
	        {"d /var/..", F ":1: path has a `..` component: `/var/..`"},
	        {"d /", F ":1: refusing the root directory itself: `/`"},
	        /* found by fuzz_tmpfiles: the root under another spelling */
	        {"d /. 0700 1000", F ":1: refusing the root directory itself: `/.`"},
	        {"d //", F ":1: refusing the root directory itself: `//`"},
	        {"D /./", F ":1: refusing the root directory itself: `/./`"},
	        {"f /././/.", F ":1: refusing the root directory itself: `/././/.`"},
	        {"d /a 0999", F ":1: mode is not an octal number up to 07777: `0999`"},
	        {"d /a rwx", F ":1: mode is not octal: `rwx`"},
	        {"d /a 17777", F ":1: mode is not an octal number up to 07777: `17777`"},
	        {"d /a 0755 www", F ":1: user is not a number or root: `www`"},
	        {"d /a 0755 0 -1", F ":1: group is not a number or root: `-1`"},
	        {"L /a", F ":1: a symlink needs a target (the argument)"},
	        {"L /a - - - - -", F ":1: a symlink needs a target (the argument)"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE (cases); i++) {
		struct keel_error *err = NULL;
		struct tmpfiles t;

		assert_true (parse (cases[i].text, &t, &err) < 0);
		assert_non_null (err);
		assert_string_equal (err->msg, cases[i].msg);
		assert_int_equal (t.n, 0);
		keel_error_release (&err);
	}
}

static void test_limits (void **state)
{
	struct keel_error *err = NULL;
	struct tmpfiles t;
	size_t i, n = (TMPFILES_MAX_ENTRIES + 1) * 5;
	cleanup_free char *big = xmalloc0 (n + 1);

	for (i = 0; i < TMPFILES_MAX_ENTRIES + 1; i++)
		memcpy (big + i * 5, "d /a\n", 5);
	assert_true (tmpfiles_parse (F, big, n, &t, &err) < 0);
	assert_string_equal (err->msg, F ":1025: more than 1024 entries");
	keel_error_release (&err);

	assert_true (tmpfiles_parse (F, "d /a\0", 5, &t, &err) < 0);
	assert_string_equal (err->msg, F ": holds a NUL byte");
	keel_error_release (&err);

	assert_int_equal (tmpfiles_load ("/nonexistent/tmpfiles.conf", &t, &err), 0);
	assert_int_equal (t.n, 0);
	tmpfiles_free (&t);
}

static mode_t mode_of (int root, const char *p)
{
	struct stat st;

	assert_int_equal (fstatat (root, p, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode & 07777;
}

static void assert_content (int root, const char *p, const char *want)
{
	cleanup_free char *s = NULL;
	struct keel_error *err = NULL;

	assert_int_equal (read_file_at (root, p, 0, &s, NULL, &err), 0);
	assert_string_equal (s, want);
}

static void test_apply (void **state)
{
	static const char text[] = "d /var/lib/web 0750 1000 1000 - -\n"
	                           "d /var/lib/web/sub\n"
	                           "f /run/web/motd 0640 - - - hello\\n\n"
	                           "f /run/web/kept - - - - new\n"
	                           "F /run/web/trunc - - - - fresh\n"
	                           "w /run/web/w - - - - one\n"
	                           "w+ /run/web/w - - - - two\n"
	                           "w /run/web/missing - - - - x\n"
	                           "L /run/web/link - - - - /var/lib/web\n"
	                           "L /run/web/keep-link - - - - /new\n"
	                           "L+ /run/web/swap - - - - /var/lib/web/sub\n"
	                           "d /run/web/dir :0700\n"
	                           "d //run/web/slashes 0711\n"
	                           "w //run/web/w2 - - - - three\n";
	char dir[] = "/tmp/keel-tmpfiles.XXXXXX";
	struct keel_error *err = NULL;
	struct tmpfiles t;
	cleanup_close int root = -1;
	cleanup_free char *cmd = NULL;
	char buf[64];
	ssize_t n;
	struct stat st;

	assert_non_null (mkdtemp (dir));
	root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true (root >= 0);
	/* what is there before */
	assert_int_equal (mkdirat (root, "run", 0755), 0);
	assert_int_equal (mkdirat (root, "run/web", 0755), 0);
	assert_int_equal (write_file_at (root, "run/web/kept", O_CREAT, 0600, "old", 3, &err), 0);
	assert_int_equal (
	        write_file_at (root, "run/web/trunc", O_CREAT, 0644, "old old old", 11, &err), 0);
	assert_int_equal (write_file_at (root, "run/web/w", O_CREAT, 0644, "zero", 4, &err), 0);
	assert_int_equal (write_file_at (root, "run/web/w2", O_CREAT, 0644, "zero", 4, &err), 0);
	assert_int_equal (symlinkat ("/old", root, "run/web/keep-link"), 0);
	assert_int_equal (symlinkat ("/old", root, "run/web/swap"), 0);

	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (tmpfiles_apply (&t, root, &err), 0);

	assert_int_equal (mode_of (root, "var/lib/web"), 0750);
	assert_int_equal (fstatat (root, "var/lib/web", &st, 0), 0);
	assert_int_equal (st.st_uid, 1000);
	assert_int_equal (st.st_gid, 1000);
	assert_int_equal (mode_of (root, "var/lib"), 0755); /* parents */
	assert_int_equal (mode_of (root, "var/lib/web/sub"), 0755);
	assert_int_equal (mode_of (root, "run/web/motd"), 0640);
	assert_content (root, "run/web/motd", "hello\n");
	assert_content (root, "run/web/kept", "old");            /* f keeps content */
	assert_int_equal (mode_of (root, "run/web/kept"), 0600); /* and mode, with - */
	assert_content (root, "run/web/trunc", "fresh");
	assert_content (root, "run/web/w", "onetwo");
	/* "//x" is still under root, not the absolute "/x" */
	assert_int_equal (mode_of (root, "run/web/slashes"), 0711);
	assert_content (root, "run/web/w2", "three");
	assert_int_equal (faccessat (root, "run/web/missing", F_OK, 0), -1);
	n = readlinkat (root, "run/web/link", buf, sizeof buf - 1);
	assert_true (n > 0);
	buf[n] = '\0';
	assert_string_equal (buf, "/var/lib/web");
	n = readlinkat (root, "run/web/keep-link", buf, sizeof buf - 1);
	buf[n] = '\0';
	assert_string_equal (buf, "/old");
	n = readlinkat (root, "run/web/swap", buf, sizeof buf - 1);
	buf[n] = '\0';
	assert_string_equal (buf, "/var/lib/web/sub");
	assert_int_equal (mode_of (root, "run/web/dir"), 0700);

	/* "d /run/web/kept" fails (a file is there) and is the error returned;
	 * "d- /run/web/trunc" fails too but is only logged. */
	tmpfiles_free (&t);
	assert_int_equal (parse ("d /run/web/kept\nd- /run/web/trunc\nd /ok\n", &t, &err), 0);
	assert_true (tmpfiles_apply (&t, root, &err) < 0);
	assert_string_equal (err->msg, F ":1: `/run/web/kept` exists and is not a directory");
	keel_error_release (&err);
	assert_int_equal (mode_of (root, "ok"), 0755); /* later entries still applied */

	/* applying again succeeds and converges: w truncates then w+ appends,
	 * and ":0700" only applied when the directory was created */
	assert_int_equal (fchmodat (root, "run/web/dir", 0711, 0), 0);
	tmpfiles_free (&t);
	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (tmpfiles_apply (&t, root, &err), 0);
	assert_content (root, "run/web/w", "onetwo");
	assert_int_equal (mode_of (root, "run/web/dir"), 0711);
	tmpfiles_free (&t);

	cmd = xasprintf ("rm -rf '%s'", dir);
	assert_int_equal (system (cmd), 0);
}

/* ---- the types beyond creation (z Z e r R x X C a A, ages, modifiers) ---- */

struct root {
	char dir[64];
	int fd;
};

static void root_make (struct root *r)
{
	snprintf (r->dir, sizeof r->dir, "/tmp/ktf-unit.XXXXXX");
	assert_non_null (mkdtemp (r->dir));
	r->fd = open (r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true (r->fd >= 0);
}

static void root_remove (struct root *r)
{
	cleanup_free char *cmd = xasprintf ("rm -rf '%s'", r->dir);

	close (r->fd);
	assert_int_equal (system (cmd), 0);
}

static void mk (int root, const char *p, mode_t mode)
{
	assert_int_equal (mkdirat (root, p, mode), 0);
	assert_int_equal (fchmodat (root, p, mode, 0), 0);
}

static void put (int root, const char *p, const char *content, mode_t mode)
{
	struct keel_error *err = NULL;

	assert_int_equal (
	        write_file_at (root, p, O_CREAT | O_TRUNC, mode, content, strlen (content), &err),
	        0);
	assert_int_equal (fchmodat (root, p, mode, 0), 0);
}

static bool exists (int root, const char *p)
{
	struct stat st;

	return fstatat (root, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static struct stat st_of (int root, const char *p)
{
	struct stat st;

	assert_int_equal (fstatat (root, p, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st;
}

/* Parse and apply; returns the apply result, err holds its message. */
static int run (int root, const char *text, struct keel_error **err)
{
	struct tmpfiles t;
	int ret;

	assert_int_equal (parse (text, &t, err), 0);
	ret = tmpfiles_apply (&t, root, err);
	tmpfiles_free (&t);
	return ret;
}

static void test_parse_more (void **state)
{
	static const char text[] = "z /run/a* 0640 5 6\n"
	                           "Z- /var/lib/x ~0755 - -\n"
	                           "e! /var/cache/c :0700 - - aM:~2h30min\n"
	                           "r /run/lock/*.pid\n"
	                           "R /var/tmp/old\n"
	                           "x /var/tmp/keep*\n"
	                           "X /var/tmp/only\n"
	                           "C+ /etc/app - - - 1w /usr/share/app\n"
	                           "f~ /run/b64 - - - - aGVsbG8K\n"
	                           "L=+ /run/l - - - - /x\n"
	                           "A /srv - - - - u:1000:rwX,d:g:5:r-x,m::rwx,o::---\n"
	                           "d /run/t - - - 0\n";
	struct keel_error *err = NULL;
	struct tmpfiles t;

	assert_int_equal (parse (text, &t, &err), 0);
	assert_int_equal (t.n, 12);
	assert_int_equal (t.v[0].type, 'z');
	assert_true (t.v[0].glob);
	assert_int_equal (t.v[0].uid, 5);
	assert_true (t.v[1].mode_masked && t.v[1].ignore_errors);
	assert_int_equal (t.v[1].mode, 0755);
	assert_true (t.v[2].boot_only && t.v[2].mode_on_create && t.v[2].has_age);
	assert_true (t.v[2].age_keep_level);
	assert_int_equal (t.v[2].age_usec, 9000000000ULL);
	assert_int_equal (t.v[2].age_by_file, TMPFILES_AGE_ATIME);
	assert_int_equal (t.v[2].age_by_dir, TMPFILES_AGE_MTIME);
	assert_true (t.v[3].glob);
	assert_false (t.v[4].glob);
	assert_true (t.v[5].glob);
	assert_int_equal (t.v[7].type, 'C');
	assert_true (t.v[7].plus);
	assert_int_equal (t.v[7].age_usec, 7 * 86400000000ULL);
	assert_string_equal (t.v[7].arg, "/usr/share/app");
	assert_string_equal (t.v[8].arg, "hello\n");
	assert_true (t.v[9].replace && t.v[9].plus);
	assert_int_equal (t.v[10].acl_n, 4);
	assert_int_equal (t.v[10].acl[0].tag, 2); /* ACL_USER */
	assert_int_equal (t.v[10].acl[0].id, 1000);
	assert_int_equal (t.v[10].acl[0].perm, 6);
	assert_true (t.v[10].acl[0].cap_x);
	assert_true (t.v[10].acl[1].deflt);
	assert_int_equal (t.v[10].acl[1].tag, 8); /* ACL_GROUP */
	assert_int_equal (t.v[10].acl[1].perm, 5);
	assert_int_equal (t.v[10].acl[2].tag, 0x10);
	assert_int_equal (t.v[10].acl[3].perm, 0);
	assert_true (t.v[11].has_age);
	assert_int_equal (t.v[11].age_usec, 0);
	/* the default selectors: a directory's ctime does not count */
	assert_int_equal (t.v[11].age_by_dir,
	                  TMPFILES_AGE_ATIME | TMPFILES_AGE_BTIME | TMPFILES_AGE_MTIME);
	tmpfiles_free (&t);
}

/* z: the path (or glob matches) only; Z: recursively; neither follows a
 * symlink, and a symlink inside the tree that points out of the root must
 * leave its target alone. */
static void test_z (void **state)
{
	struct root r, out;
	struct keel_error *err = NULL;
	cleanup_free char *conf = NULL, *target = NULL;
	struct stat st;

	root_make (&r);
	root_make (&out); /* "the host": outside the root */
	put (out.fd, "secret", "s", 0600);
	target = xasprintf ("%s/secret", out.dir);
	mk (r.fd, "srv", 0700);
	mk (r.fd, "srv/sub", 0700);
	put (r.fd, "srv/sub/f", "x", 0600);
	put (r.fd, "srv/exec", "x", 0700);
	assert_int_equal (symlinkat (target, r.fd, "srv/sub/out"), 0);
	assert_int_equal (symlinkat ("/srv/sub", r.fd, "srv/in"), 0);
	put (r.fd, "a1", "", 0600);
	put (r.fd, "a2", "", 0600);
	put (r.fd, ".a3", "", 0600);
	mk (r.fd, "zdir", 0700);
	put (r.fd, "zdir/f", "", 0600);

	assert_int_equal (run (r.fd,
	                       "Z /srv ~0755 1234 2345\n"
	                       "z /a* 0640 - 77\n"
	                       "z /zdir 0750 3 3\n"
	                       "z /missing 0700\n"
	                       "Z /missing/too 0700\n",
	                       &err),
	                  0);
	/* ~0755: x only where some x was */
	assert_int_equal (mode_of (r.fd, "srv/sub/f"), 0644);
	assert_int_equal (mode_of (r.fd, "srv/exec"), 0755);
	assert_int_equal (mode_of (r.fd, "srv/sub"), 0755);
	st = st_of (r.fd, "srv/sub/f");
	assert_int_equal (st.st_uid, 1234);
	assert_int_equal (st.st_gid, 2345);
	st = st_of (r.fd, "srv/sub/out"); /* the link itself got the owner */
	assert_int_equal (st.st_uid, 1234);
	assert_true (S_ISLNK (st.st_mode));
	st = st_of (out.fd, "secret"); /* its target did not */
	assert_int_equal (st.st_uid, 0);
	assert_int_equal (st.st_mode & 07777, 0600);
	/* z and its glob: a1, a2, not the dot file; no recursion */
	assert_int_equal (mode_of (r.fd, "a1"), 0640);
	assert_int_equal (st_of (r.fd, "a2").st_gid, 77);
	assert_int_equal (mode_of (r.fd, ".a3"), 0600);
	assert_int_equal (mode_of (r.fd, "zdir"), 0750);
	assert_int_equal (mode_of (r.fd, "zdir/f"), 0600);
	assert_int_equal (st_of (r.fd, "zdir/f").st_uid, 0);
	assert_false (exists (r.fd, "missing"));

	/* Z on a path that is a symlink out of the root: the link, not the host */
	assert_int_equal (symlinkat (out.dir, r.fd, "hostlink"), 0);
	assert_int_equal (run (r.fd, "Z /hostlink 0777 99 99\n", &err), 0);
	st = st_of (out.fd, "secret");
	assert_int_equal (st.st_uid, 0);
	assert_int_equal (st.st_mode & 07777, 0600);
	assert_int_equal (st_of (out.fd, ".").st_uid, 0);
	root_remove (&r);
	root_remove (&out);
}

static void test_remove (void **state)
{
	struct root r, out;
	struct keel_error *err = NULL;
	cleanup_free char *text = NULL;

	root_make (&r);
	root_make (&out);
	put (out.fd, "keep", "k", 0600);
	mk (r.fd, "run", 0755);
	put (r.fd, "run/a.pid", "1", 0644);
	put (r.fd, "run/b.pid", "2", 0644);
	put (r.fd, "run/c.sock", "", 0644);
	mk (r.fd, "run/empty", 0755);
	mk (r.fd, "run/full", 0755);
	put (r.fd, "run/full/f", "", 0644);
	mk (r.fd, "var", 0755);
	mk (r.fd, "var/tree", 0755);
	mk (r.fd, "var/tree/d", 0755);
	put (r.fd, "var/tree/d/f", "", 0644);
	put (r.fd, "var/tree/keepme", "", 0644);
	assert_int_equal (symlinkat (out.dir, r.fd, "var/tree/host"), 0);
	mk (r.fd, "var/gone", 0755);
	put (r.fd, "var/gone/x", "", 0644);
	/* "r /dir" before "r /dir/file" in the file still removes both */
	mk (r.fd, "pair", 0755);
	put (r.fd, "pair/f", "", 0644);

	assert_int_equal (run (r.fd,
	                       "r /run/*.pid\n"
	                       "r /run/empty\n"
	                       "r /run/nothing\n"
	                       "R /var/tree\n"
	                       "x /var/tree/keep*\n"
	                       "R /var/gone\n"
	                       "r /pair\n"
	                       "r /pair/f\n",
	                       &err),
	                  0);
	assert_false (exists (r.fd, "run/a.pid"));
	assert_false (exists (r.fd, "run/b.pid"));
	assert_true (exists (r.fd, "run/c.sock"));
	assert_false (exists (r.fd, "run/empty"));
	assert_false (exists (r.fd, "var/tree/d"));
	assert_false (exists (r.fd, "var/tree/host"));  /* the link went */
	assert_true (exists (out.fd, "keep"));          /* not what it pointed at */
	assert_true (exists (r.fd, "var/tree/keepme")); /* x */
	assert_true (exists (r.fd, "var/tree"));        /* so its directory stays */
	assert_false (exists (r.fd, "var/gone"));
	assert_false (exists (r.fd, "pair"));

	/* r refuses a directory that is not empty, naming R */
	assert_true (run (r.fd, "r /run/full\n", &err) < 0);
	assert_string_equal (err->msg,
	                     F ":1: remove `/run/full` (r removes empty directories, R the "
	                       "rest)");
	assert_int_equal (err->status, ENOTEMPTY);
	keel_error_release (&err);
	assert_true (exists (r.fd, "run/full/f"));

	/* R through a symlinked parent stays in the root: /lnk -> host dir */
	assert_int_equal (symlinkat (out.dir, r.fd, "lnk"), 0);
	mk (r.fd, "tmp", 0755);
	mk (r.fd, out.dir + 1, 0755); /* the same path, inside the root */
	{
		cleanup_free char *in = xasprintf ("%s/keep", out.dir + 1);
		put (r.fd, in, "", 0644);
		text = xasprintf ("R /lnk/keep\nR /lnk/*\n");
		assert_int_equal (run (r.fd, text, &err), 0);
		assert_true (exists (out.fd, "keep"));
		assert_false (exists (r.fd, in)); /* what R removed was inside */
	}
	root_remove (&r);
	root_remove (&out);
}

/* Every creating type against a root whose /run and /etc are symlinks
 * out of it (absolute and by `..`): what is made lands inside the root. */
static void test_escape (void **state)
{
	struct root r, out;
	struct keel_error *err = NULL;
	cleanup_free char *text = NULL, *inside = NULL;

	root_make (&r);
	root_make (&out);
	put (out.fd, "passwd", "host", 0644);
	assert_int_equal (symlinkat (out.dir, r.fd, "run"), 0);
	assert_int_equal (symlinkat ("../../../../../../..", r.fd, "up"), 0);
	inside = xstrdup (out.dir + 1); /* the host dir's path, made inside the root */
	mk (r.fd, "tmp", 0755);
	mk (r.fd, inside, 0755);
	assert_int_equal (symlinkat ("passwd", r.fd, "file-link"), 0);
	text = xasprintf ("d /run/made 0700\n"
	                  "f /run/new - - - - x\n"
	                  "F /up%s/passwd - - - - pwned\n"
	                  "w /up%s/passwd - - - - pwned\n"
	                  "L /run/l - - - - /etc\n"
	                  "Z /up 0777 99 99\n"
	                  "R /up%s/*\n"
	                  "f /file-link - - - - pwned\n",
	                  out.dir, out.dir, out.dir);
	/* "f /file-link": a symlink is never opened through (the only error) */
	assert_true (run (r.fd, text, &err) < 0);
	assert_string_equal (err->msg, F ":8: open `/file-link`");
	assert_int_equal (err->status, ELOOP);
	keel_error_release (&err);
	assert_content (out.fd, "passwd", "host");
	assert_int_equal (st_of (out.fd, "passwd").st_uid, 0);
	assert_false (exists (out.fd, "made"));
	assert_false (exists (out.fd, "new"));
	assert_false (exists (out.fd, "l"));
	{
		cleanup_free char *made = xasprintf ("%s/made", inside);
		cleanup_free char *pw = xasprintf ("%s/passwd", inside);
		assert_int_equal (mode_of (r.fd, made), 0700);
		/* F (after R: removal runs first) and w wrote it: inside */
		assert_content (r.fd, pw, "pwned");
	}
	root_remove (&r);
	root_remove (&out);
}

static void test_copy (void **state)
{
	struct root r;
	struct keel_error *err = NULL;
	struct stat st;
	char buf[64];
	ssize_t n;

	root_make (&r);
	mk (r.fd, "usr", 0755);
	mk (r.fd, "usr/share", 0755);
	mk (r.fd, "usr/share/factory", 0755);
	mk (r.fd, "usr/share/factory/etc", 0755);
	mk (r.fd, "usr/share/factory/etc/app", 0750);
	put (r.fd, "usr/share/factory/etc/app/conf", "a=1\n", 0640);
	assert_int_equal (fchownat (r.fd, "usr/share/factory/etc/app/conf", 7, 8, 0), 0);
	mk (r.fd, "usr/share/factory/etc/app/sub", 0700);
	put (r.fd, "usr/share/factory/etc/app/sub/x", "x", 0600);
	assert_int_equal (symlinkat ("conf", r.fd, "usr/share/factory/etc/app/link"), 0);
	assert_int_equal (mkfifoat (r.fd, "usr/share/factory/etc/app/fifo", 0620), 0);
	assert_int_equal (fchmodat (r.fd, "usr/share/factory/etc/app/fifo", 0620, 0), 0);
	mk (r.fd, "src", 0755);
	put (r.fd, "src/one", "one", 0644);
	put (r.fd, "src/two", "two", 0644);
	mk (r.fd, "full", 0755);
	put (r.fd, "full/one", "mine", 0644);
	mk (r.fd, "empty", 0755);
	mk (r.fd, "merge", 0755);
	put (r.fd, "merge/one", "mine", 0644);

	assert_int_equal (run (r.fd,
	                       "C /etc/app\n"
	                       "C /full - - - - /src\n"
	                       "C /empty - - - - /src\n"
	                       "C+ /merge - - - - /src\n"
	                       "C /single 0600 5 5 - /src/one\n",
	                       &err),
	                  0);
	assert_content (r.fd, "etc/app/conf", "a=1\n");
	st = st_of (r.fd, "etc/app/conf");
	assert_int_equal (st.st_mode & 07777, 0640);
	assert_int_equal (st.st_uid, 7);
	assert_int_equal (st.st_gid, 8);
	assert_int_equal (mode_of (r.fd, "etc/app"), 0750);
	assert_int_equal (mode_of (r.fd, "etc/app/sub"), 0700);
	assert_content (r.fd, "etc/app/sub/x", "x");
	n = readlinkat (r.fd, "etc/app/link", buf, sizeof buf - 1);
	assert_int_equal (n, 4);
	assert_true (S_ISFIFO (st_of (r.fd, "etc/app/fifo").st_mode));
	assert_int_equal (mode_of (r.fd, "etc/app/fifo"), 0620);
	assert_false (exists (r.fd, "full/two")); /* not empty: skipped */
	assert_content (r.fd, "full/one", "mine");
	assert_content (r.fd, "empty/two", "two");  /* empty: filled */
	assert_content (r.fd, "merge/one", "mine"); /* C+: merged, nothing replaced */
	assert_content (r.fd, "merge/two", "two");
	assert_content (r.fd, "single", "one");
	assert_int_equal (mode_of (r.fd, "single"), 0600);
	assert_int_equal (st_of (r.fd, "single").st_uid, 5);

	assert_true (run (r.fd, "C /nosrc\n", &err) < 0);
	assert_string_equal (err->msg,
	                     F ":1: the copy source `/usr/share/factory/nosrc` of `/nosrc`");
	assert_int_equal (err->status, ENOENT);
	keel_error_release (&err);
	root_remove (&r);
}

static void age (int root, const char *p, time_t secs_ago)
{
	struct timespec ts[2];

	clock_gettime (CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= secs_ago;
	ts[1] = ts[0];
	assert_int_equal (utimensat (root, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* Age: a ctime cannot be set back, so these use the a/m selectors; the
 * default (with ctime) keeps what was just touched. */
static void test_age (void **state)
{
	struct root r;
	struct keel_error *err = NULL;

	root_make (&r);
	mk (r.fd, "cache", 0755);
	put (r.fd, "cache/old", "", 0644);
	put (r.fd, "cache/new", "", 0644);
	put (r.fd, "cache/sticky", "", 01644);
	put (r.fd, "cache/keep-me", "", 0644);
	put (r.fd, "cache/only-x", "", 0644);
	mk (r.fd, "cache/olddir", 0755);
	put (r.fd, "cache/olddir/f", "", 0644);
	mk (r.fd, "cache/xdir", 0755);
	put (r.fd, "cache/xdir/old", "", 0644);
	age (r.fd, "cache/xdir/old", 3 * 86400);
	age (r.fd, "cache/old", 3 * 86400);
	age (r.fd, "cache/sticky", 3 * 86400);
	age (r.fd, "cache/keep-me", 3 * 86400);
	age (r.fd, "cache/only-x", 3 * 86400);
	age (r.fd, "cache/olddir/f", 3 * 86400);
	age (r.fd, "cache/olddir", 3 * 86400);
	mk (r.fd, "lvl", 0755);
	mk (r.fd, "lvl/top", 0755);
	put (r.fd, "lvl/topfile", "", 0644);
	put (r.fd, "lvl/top/deep", "", 0644);
	age (r.fd, "lvl/topfile", 3 * 86400);
	age (r.fd, "lvl/top/deep", 3 * 86400);
	age (r.fd, "lvl/top", 3 * 86400);
	mk (r.fd, "dflt", 0755);
	put (r.fd, "dflt/touched", "", 0644);
	age (r.fd, "dflt/touched", 3 * 86400);

	assert_int_equal (run (r.fd,
	                       "d /cache 0755 - - amAM:2d\n"
	                       "x /cache/keep-*\n"
	                       "X /cache/xdir\n"
	                       "e /lvl - - - am:~1d\n"
	                       "d /dflt - - - 1d\n",
	                       &err),
	                  0);
	assert_false (exists (r.fd, "cache/old"));
	assert_true (exists (r.fd, "cache/new"));
	assert_true (exists (r.fd, "cache/sticky"));
	assert_true (exists (r.fd, "cache/keep-me"));
	assert_false (exists (r.fd, "cache/only-x"));
	assert_false (exists (r.fd, "cache/olddir"));   /* emptied, then old itself */
	assert_true (exists (r.fd, "cache/xdir"));      /* X: the directory stays, */
	assert_false (exists (r.fd, "cache/xdir/old")); /* its contents do not */
	/* ~: the first level stays, what is below it goes */
	assert_true (exists (r.fd, "lvl/topfile"));
	assert_true (exists (r.fd, "lvl/top"));
	assert_false (exists (r.fd, "lvl/top/deep"));
	assert_true (exists (r.fd, "dflt/touched")); /* its ctime is now */
	root_remove (&r);
}

/* e adjusts what exists and creates nothing; D empties at boot; `=`
 * replaces what has the wrong type; `~` arguments are base64. */
static void test_e_D_replace (void **state)
{
	struct root r;
	struct keel_error *err = NULL;

	root_make (&r);
	mk (r.fd, "e", 0700);
	put (r.fd, "efile", "", 0644);
	mk (r.fd, "D", 0755);
	put (r.fd, "D/old", "", 0644);
	mk (r.fd, "D/sub", 0755);
	put (r.fd, "D/sub/f", "", 0644);
	put (r.fd, "wasfile", "x", 0644);
	mk (r.fd, "wasdir", 0755);
	put (r.fd, "wasdir/f", "", 0644);
	put (r.fd, "parentfile", "x", 0644);

	assert_int_equal (run (r.fd,
	                       "e /e 0751 3 4\n"
	                       "e /enothing 0751\n"
	                       "D /D 0755\n"
	                       "f /D/new\n"
	                       "d= /wasfile 0750\n"
	                       "f= /wasdir 0640 - - - hi\n"
	                       "d= /parentfile/child\n"
	                       "f~ /b64 - - - - aGVsbG8gd29ybGQK\n",
	                       &err),
	                  0);
	assert_int_equal (mode_of (r.fd, "e"), 0751);
	assert_int_equal (st_of (r.fd, "e").st_uid, 3);
	assert_false (exists (r.fd, "enothing"));
	assert_false (exists (r.fd, "D/old"));
	assert_false (exists (r.fd, "D/sub"));
	assert_true (exists (r.fd, "D/new")); /* removal runs before creation */
	assert_true (S_ISDIR (st_of (r.fd, "wasfile").st_mode));
	assert_int_equal (mode_of (r.fd, "wasfile"), 0750);
	assert_content (r.fd, "wasdir", "hi");
	assert_true (S_ISDIR (st_of (r.fd, "parentfile/child").st_mode));
	assert_content (r.fd, "b64", "hello world\n");

	/* without `=`, the wrong type is an error, and e on a file too */
	assert_true (run (r.fd, "d /b64\n", &err) < 0);
	assert_string_equal (err->msg, F ":1: `/b64` exists and is not a directory");
	keel_error_release (&err);
	assert_true (run (r.fd, "e /efile\n", &err) < 0);
	assert_string_equal (err->msg, F ":1: `/efile` exists and is not a directory");
	keel_error_release (&err);
	assert_true (run (r.fd, "d /b64/x\n", &err) < 0);
	assert_string_equal (err->msg, F ":1: `/b64` is not a directory (a parent of `/b64/x`)");
	keel_error_release (&err);
	root_remove (&r);
}

static size_t acl_of (int root, const char *p, const char *name, unsigned char *buf, size_t len)
{
	cleanup_close int fd = openat (root, p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true (fd >= 0);
	n = fgetxattr (fd, name, buf, len);
	return n < 0 ? 0 : (size_t)n;
}

/* a/A: the kernel's system.posix_acl_* xattr, written without libacl. */
static void test_acl (void **state)
{
	static const unsigned char want[] = {
	        2,    0, 0, 0,                         /* version */
	        0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, /* user:: rw- (from the mode) */
	        0x02, 0, 5, 0, 0xe8, 0x03, 0,    0,    /* user:1000: r-x (X on a dir) */
	        0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff, /* group:: r-- */
	        0x10, 0, 5, 0, 0xff, 0xff, 0xff, 0xff, /* mask:: r-x (computed) */
	        0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, /* other:: --- */
	};
	struct root r;
	struct keel_error *err = NULL;
	unsigned char buf[256];
	size_t n;

	root_make (&r);
	mk (r.fd, "d", 0640);
	mk (r.fd, "d/sub", 0640);
	put (r.fd, "d/sub/f", "", 0640);
	if (fsetxattr (r.fd, "user.ktf", "", 0, 0) < 0 && errno == EOPNOTSUPP) {
		root_remove (&r);
		skip ();
	}
	assert_int_equal (run (r.fd, "a /d - - - - u:1000:rX,o::-\n", &err), 0);
	n = acl_of (r.fd, "d", "system.posix_acl_access", buf, sizeof buf);
	assert_int_equal (n, sizeof want);
	assert_memory_equal (buf, want, sizeof want);
	/* a+ adds to it; A recurses; d: is the default ACL, on directories */
	assert_int_equal (run (r.fd, "a+ /d - - - - g:5:w\nA /d/sub - - - - d:u:7:r,u:8:X\n", &err),
	                  0);
	n = acl_of (r.fd, "d", "system.posix_acl_access", buf, sizeof buf);
	assert_int_equal (n, 4 + 6 * 8); /* + group:5: -w- */
	assert_int_equal (buf[4 + 3 * 8], 0x08);
	assert_int_equal (buf[4 + 3 * 8 + 2], 2);
	n = acl_of (r.fd, "d/sub", "system.posix_acl_default", buf, sizeof buf);
	assert_int_equal (n, 4 + 5 * 8);
	n = acl_of (r.fd, "d/sub/f", "system.posix_acl_access", buf, sizeof buf);
	assert_int_equal (n, 4 + 5 * 8);
	assert_int_equal (buf[4 + 8 + 2], 0); /* X on a file without x: nothing */
	assert_int_equal (acl_of (r.fd, "d/sub/f", "system.posix_acl_default", buf, sizeof buf), 0);
	root_remove (&r);
}

/* R, Z and cleaning stay on their mount: what is mounted below is left
 * alone (a tmpfs here; skipped where mounting is refused). */
static void test_mounts (void **state)
{
	struct root r;
	struct keel_error *err = NULL;
	cleanup_free char *mnt = NULL;
	bool inner_kept, inner_mode, outer_gone;
	int ret;

	root_make (&r);
	mk (r.fd, "var", 0755);
	mk (r.fd, "var/m", 0755);
	put (r.fd, "var/f", "", 0644);
	mnt = xasprintf ("%s/var/m", r.dir);
	if (mount ("ktf", mnt, "tmpfs", 0, "mode=0755") < 0) {
		root_remove (&r);
		skip ();
	}
	put (r.fd, "var/m/inner", "", 0600);
	ret = run (r.fd, "Z /var 0700\nR /var\n", &err);
	inner_kept = exists (r.fd, "var/m/inner");
	inner_mode = inner_kept && mode_of (r.fd, "var/m/inner") == 0600;
	outer_gone = !exists (r.fd, "var/f");
	umount2 (mnt, MNT_DETACH);
	assert_int_equal (ret, 0);
	assert_true (inner_kept);
	assert_true (inner_mode);
	assert_true (outer_gone);
	root_remove (&r);
}

/* What a container can leave in its own writable tree: a FIFO where a
 * file is expected (opening it would hang the start), a tree deeper than
 * the walk goes.  Each is an error with a reason, never a hang or a crash. */
static void test_hostile (void **state)
{
	struct root r;
	struct keel_error *err = NULL;
	char p[2048] = "deep";
	int i;

	root_make (&r);
	assert_int_equal (mkfifoat (r.fd, "fifo", 0644), 0);
	assert_true (run (r.fd, "f /fifo - - - - x\n", &err) < 0);
	assert_string_equal (err->msg, F ":1: `/fifo` exists and is not a regular file");
	keel_error_release (&err);
	assert_true (run (r.fd, "F /fifo - - - - x\n", &err) < 0);
	assert_string_equal (err->msg, F ":1: `/fifo` exists and is not a regular file");
	keel_error_release (&err);
	assert_true (run (r.fd, "w /fifo - - - - x\n", &err) < 0); /* no reader: ENXIO */
	assert_int_equal (err->status, ENXIO);
	keel_error_release (&err);
	assert_int_equal (run (r.fd, "f= /fifo - - - - x\n", &err), 0); /* `=` replaces it */
	assert_content (r.fd, "fifo", "x");

	assert_int_equal (mkdirat (r.fd, p, 0755), 0);
	for (i = 0; i < 300; i++) {
		strcat (p, "/d");
		assert_int_equal (mkdirat (r.fd, p, 0755), 0);
	}
	assert_true (run (r.fd, "R /deep\n", &err) < 0);
	assert_non_null (strstr (err->msg, ": deeper than 256 levels"));
	keel_error_release (&err);
	assert_true (run (r.fd, "Z /deep 0700\n", &err) < 0);
	assert_non_null (strstr (err->msg, ": deeper than 256 levels"));
	keel_error_release (&err);
	root_remove (&r);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_parse),   cmocka_unit_test (test_dots),
	        cmocka_unit_test (test_errors),  cmocka_unit_test (test_limits),
	        cmocka_unit_test (test_apply),   cmocka_unit_test (test_parse_more),
	        cmocka_unit_test (test_z),       cmocka_unit_test (test_remove),
	        cmocka_unit_test (test_escape),  cmocka_unit_test (test_copy),
	        cmocka_unit_test (test_age),     cmocka_unit_test (test_e_D_replace),
	        cmocka_unit_test (test_acl),     cmocka_unit_test (test_mounts),
	        cmocka_unit_test (test_hostile),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
