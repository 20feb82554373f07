/* Mounting the world and setting up cgroups as the machine's PID 1. */
#include "init/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "init/console.h"
#include "lib/util.h"

static const struct {
	const char *src, *target, *type;
	unsigned long flags;
	const char *data;
	mode_t mode;
} basics[] = {
        {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
        {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
        {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755},
        {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666,gid=5",
         0755},
        {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
        {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755},
        {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
};

bool boot_is_machine_init (void)
{
	char comm[32] = "";
	FILE *f;

	if (getpid () != 1)
		return false;
	/* No /proc yet: nobody prepared anything for us, so we booted. */
	if (access ("/proc/self", F_OK) < 0)
		return true;
	/* /proc exists: PID 2 is kthreadd only in the initial PID namespace. */
	f = fopen ("/proc/2/comm", "re");
	if (f == NULL)
		return false;
	if (fgets (comm, sizeof comm, f) == NULL)
		comm[0] = '\0';
	fclose (f);
	return strncmp (comm, "kthreadd", 8) == 0;
}

void boot_mount_basics (void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE (basics); i++) {
		if (mkdir (basics[i].target, basics[i].mode) < 0 && errno != EEXIST)
			console_status (NULL, CS_WARN, "mkdir %s: %s", basics[i].target,
			                strerror (errno));
		if (mount (basics[i].src, basics[i].target, basics[i].type, basics[i].flags,
		           basics[i].data) < 0 &&
		    errno != EBUSY)
			console_status (NULL, CS_FAIL, "mount %s on %s: %s", basics[i].type,
			                basics[i].target, strerror (errno));
	}
	/* What the rest of userspace expects in /dev. */
	if (symlink ("/proc/self/fd", "/dev/fd") < 0 && errno != EEXIST)
		console_status (NULL, CS_WARN, "/dev/fd: %s", strerror (errno));
	symlink ("/proc/self/fd/0", "/dev/stdin");
	symlink ("/proc/self/fd/1", "/dev/stdout");
	symlink ("/proc/self/fd/2", "/dev/stderr");
	if (access ("/dev/ptmx", F_OK) < 0)
		symlink ("pts/ptmx", "/dev/ptmx");
}

void boot_console_fds (void)
{
	int fd, i;

	if (fcntl (0, F_GETFD) >= 0 && fcntl (1, F_GETFD) >= 0 && fcntl (2, F_GETFD) >= 0)
		return;
	fd = open ("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		fd = open ("/dev/null", O_RDWR);
	if (fd < 0)
		return;
	for (i = 0; i < 3; i++)
		if (fcntl (i, F_GETFD) < 0)
			dup2 (fd, i);
	if (fd > 2)
		close (fd);
}

/* "+cpu +memory ..." for every controller the parent offers. */
static int enable_controllers (const char *dir, struct keel_error **err)
{
	cleanup_free char *ctl = xasprintf ("%s/cgroup.controllers", dir);
	cleanup_free char *sub = xasprintf ("%s/cgroup.subtree_control", dir);
	cleanup_free char *buf = NULL;
	char *tok, *save = NULL;
	int ret;

	ret = read_file (ctl, 4096, &buf, NULL, err);
	if (ret < 0)
		return ret;
	/* One write per controller: one the kernel refuses (a threaded-only
	 * or busy one) must not keep the others off. */
	for (tok = strtok_r (buf, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save)) {
		cleanup_free char *plus = xasprintf ("+%s", tok);
		struct keel_error *e = NULL;
		if (write_file (sub, plus, strlen (plus), &e) < 0) {
			cleanup_free char *m = keel_error_take (&e);
			console_status (NULL, CS_WARN, "cgroup: enable %s in %s: %s", tok, dir, m);
		}
	}
	return 0;
}

int boot_cgroups (const char *cgroup_root, struct keel_error **err)
{
	cleanup_free char *self = xasprintf ("%s/%s", BOOT_CGROUP_MOUNT, BOOT_CGROUP_SELF);
	cleanup_free char *procs = xasprintf ("%s/cgroup.procs", self);
	cleanup_free char *path = xstrdup (cgroup_root);
	cleanup_free char *dir = xstrdup (BOOT_CGROUP_MOUNT);
	char *tok, *save = NULL;
	int ret;

	if (mkdir (BOOT_CGROUP_MOUNT, 0755) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir %s", BOOT_CGROUP_MOUNT);
	if (mount ("cgroup2", BOOT_CGROUP_MOUNT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	           "nsdelegate") < 0 &&
	    mount ("cgroup2", BOOT_CGROUP_MOUNT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	           NULL) < 0 &&
	    errno != EBUSY)
		return keel_error (err, errno, "mount cgroup2 on %s", BOOT_CGROUP_MOUNT);

	/* PID 1 leaves the root cgroup for its own leaf, so every level
	 * between the root and the containers can delegate controllers
	 * (the "no internal processes" rule). */
	ret = mkdir_p (self, 0755, err);
	if (ret < 0)
		return ret;
	ret = write_file (procs, "0", 1, err);
	if (ret < 0)
		return keel_error_wrap (err, "move PID 1 to %s", self);

	ret = enable_controllers (dir, err);
	if (ret < 0)
		return ret;
	for (tok = strtok_r (path, "/", &save); tok; tok = strtok_r (NULL, "/", &save)) {
		char *next = xasprintf ("%s/%s", dir, tok);
		free (dir);
		dir = next;
		if (mkdir (dir, 0755) < 0 && errno != EEXIST)
			return keel_error (err, errno, "mkdir %s", dir);
		ret = enable_controllers (dir, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void boot_misc (const struct init_opts *o)
{
	/* Privileged containers may publish mounts back (LinuxKit does this). */
	if (mount (NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		console_status (NULL, CS_WARN, "make / rshared: %s", strerror (errno));
	if (sethostname (o->hostname, strlen (o->hostname)) < 0)
		console_status (NULL, CS_WARN, "sethostname: %s", strerror (errno));
	/* ctrl-alt-del arrives as SIGINT: keel stops everything, then reboots. */
	if (reboot (RB_DISABLE_CAD) < 0)
		console_status (NULL, CS_WARN, "disable ctrl-alt-del: %s", strerror (errno));
	setenv ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 0);
	umask (022);
	{
		struct keel_error *err = NULL;
		int rootfd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (rootfd < 0 || boot_resolv_conf (rootfd, o->dns, &err) < 0) {
			cleanup_free char *m = err ? keel_error_string (err) : NULL;
			console_status (NULL, CS_WARN, "/etc/resolv.conf: %s",
			                m ? m : strerror (errno));
			keel_error_release (&err);
		}
		if (rootfd >= 0)
			close (rootfd);
	}
}

int boot_resolv_conf (int rootfd, const char *dns, struct keel_error **err)
{
	cleanup_free char *text = NULL, *list = dns ? xstrdup (dns) : NULL;
	cleanup_close int etc = -1, fd = -1;
	char *save = NULL, *tok;
	struct stat st;

	if (mkdirat (rootfd, "etc", 0755) < 0 && errno != EEXIST)
		return keel_error (err, errno, "mkdir /etc");
	etc = openat (rootfd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0)
		return keel_error (err, errno, "open /etc");
	/* The image's own (a file, or a symlink someone manages) wins. */
	if (fstatat (etc, "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	text = xstrdup (
	        dns ? "# written by keel at boot from keel.dns= on the kernel command line\n"
	            : "# written by keel at boot: no keel.dns= on the kernel command line,\n"
	              "# so no servers are listed (a network entry may rewrite this file in "
	              "place)\n");
	for (tok = list ? strtok_r (list, ",", &save) : NULL; tok;
	     tok = strtok_r (NULL, ",", &save)) {
		char *t = xasprintf ("%snameserver %s\n", text, tok);
		free (text);
		text = t;
	}
	fd = openat (etc, "resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	             0644);
	if (fd < 0)
		return keel_error (err, errno, "create /etc/resolv.conf");
	if (write_all (fd, text, strlen (text), err) < 0)
		return keel_error_wrap (err, "write /etc/resolv.conf");
	/* 0644 whatever the umask: every container's users read it. */
	if (fchmod (fd, 0644) < 0)
		return keel_error (err, errno, "chmod /etc/resolv.conf");
	return 0;
}
