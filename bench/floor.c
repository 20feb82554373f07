/* bench/floor: the least a C program must do to run bench/runtime.sh's
 * bundle (runc's default config.json with args ["/bin/true"]) on this host,
 * as a fourth column beside keel, crun and runc.  It reads no config.json,
 * keeps no state, validates nothing and resolves no path safely: every
 * step is the kernel work the bundle asks for, written out by hand.
 *
 *   floor [--root IGNORED] run --bundle DIR ID      (runtime.sh's command line)
 *   FLOOR_V1=0 floor ...   skip the v1 hierarchies (the pure-v2 floor)
 *
 * The steps, in order:
 *   cgroups   mkdir ID in the v2 hierarchy and, on a v1 or hybrid host, in
 *             every v1 hierarchy (cpuset's cpus/mems copied from the parent,
 *             devices: deny all, then the OCI default list: the bundle's
 *             linux.resources.devices is deny-all and on a hybrid host only
 *             the v1 devices controller can enforce it; without v1, the
 *             same rules as a cgroup device eBPF program on the v2 cgroup)
 *   clone3    CLONE_NEWNS|NEWUTS|NEWIPC|NEWPID|NEWNET into the v2 cgroup;
 *             the child joins the v1 cgroups by writing 0 to their tasks
 *   mounts    / rslave, rootfs rbind, the config's seven mounts (proc,
 *             /dev tmpfs, devpts, shm, mqueue, sysfs ro, and "cgroup": a
 *             tmpfs with the container's cgroup of each hierarchy bound
 *             read-only, as runc does without a cgroup namespace; on a v2
 *             host, cgroup2 at /sys/fs/cgroup, a read-only cgroup2 mount
 *             as keel's and runc's), the OCI
 *             default devices and /dev symlinks, pivot_root, the config's
 *             maskedPaths and readonlyPaths, / read-only
 *   process   hostname, RLIMIT_NOFILE, the bounding/effective/permitted
 *             capability sets of the config, no_new_privs, execve
 *   delete    wait for the child, rmdir every cgroup
 * The figures it makes are in docs/performance.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* Spelled out: musl-gcc has no kernel headers. */
#define CLONE_INTO_CGROUP    0x200000000ULL
#define CAP_KILL             5
#define CAP_NET_BIND_SERVICE 10
#define CAP_AUDIT_WRITE      29
#define CAP_VERSION_3        0x20080522

struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
	        set_tid, set_tid_size, cgroup;
};
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

#define CG     "/sys/fs/cgroup"
#define PARENT "keel-floor"

static const char *v1[] = {"cpu",    "cpuacct", "cpuset", "memory", "devices",
                           "freezer", "blkio",  "pids",   "systemd"};
static const char *v2mnt;  /* CG or CG "/unified" */
static bool with_v1;
static char id[128];

static void die (const char *what)
{
	fprintf (stderr, "floor: %s: %s\n", what, strerror (errno));
	exit (1);
}

static void xwrite (const char *path, const char *s)
{
	int fd = open (path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write (fd, s, strlen (s)) != (ssize_t)strlen (s))
		die (path);
	close (fd);
}

static void xread (const char *path, char *buf, size_t len)
{
	int fd = open (path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || (n = read (fd, buf, len - 1)) < 0)
		die (path);
	buf[n] = '\0';
	close (fd);
}

static void xmkdir (const char *path)
{
	if (mkdir (path, 0755) < 0 && errno != EEXIST)
		die (path);
}

static void make_cgroups (void)
{
	char p[512], q[512], buf[256];
	static const char *allow[] = {"c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm",
	                              "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
	                              "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"};

	snprintf (p, sizeof p, "%s/" PARENT, v2mnt);
	xmkdir (p);
	snprintf (p, sizeof p, "%s/" PARENT "/%s", v2mnt, id);
	xmkdir (p);
	if (!with_v1)
		return;
	for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++) {
		snprintf (p, sizeof p, CG "/%s/" PARENT, v1[i]);
		xmkdir (p);
		snprintf (p, sizeof p, CG "/%s/" PARENT "/%s", v1[i], id);
		xmkdir (p);
	}
	/* a new cpuset cgroup has no cpus and no mems: nothing could join it */
	for (int i = 0; i < 2; i++) {
		const char *f = i ? "cpuset.mems" : "cpuset.cpus";

		snprintf (q, sizeof q, CG "/cpuset/" PARENT "/%s", f);
		xread (q, buf, sizeof buf);
		if (buf[0] == '\n') { /* the parent is new too */
			snprintf (q, sizeof q, CG "/cpuset/%s", f);
			xread (q, buf, sizeof buf);
			snprintf (p, sizeof p, CG "/cpuset/" PARENT "/%s", f);
			xwrite (p, buf);
		}
		snprintf (p, sizeof p, CG "/cpuset/" PARENT "/%s/%s", id, f);
		xwrite (p, buf);
	}
	snprintf (p, sizeof p, CG "/devices/" PARENT "/%s/devices.deny", id);
	xwrite (p, "a");
	/* one open for all the rules, as keel (runtime/cgroup-v1.c): each
	 * write(2) is one rule to the kernel */
	snprintf (p, sizeof p, CG "/devices/" PARENT "/%s/devices.allow", id);
	int fd = open (p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die (p);
	for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++)
		if (write (fd, allow[i], strlen (allow[i])) != (ssize_t)strlen (allow[i]))
			die (p);
	close (fd);
}

/* On a host without the v1 devices controller, the bundle's deny-all
 * device rule plus the OCI defaults is an eBPF program of type
 * CGROUP_DEVICE on the v2 cgroup, as every runtime loads it.  Written out
 * by hand (no kernel headers with musl-gcc): r2 type, r3 access, r4 major,
 * r5 minor; one block per allowed rule, each failed test jumps past it. */
struct insn {
	uint8_t code, regs;
	int16_t off;
	int32_t imm;
};
#define I(c, d, s, o, i) ((struct insn){(c), (uint8_t)((d) | (s) << 4), (o), (i)})

static void device_program (int cgfd)
{
	static const struct {
		int type, major, minor, access; /* type 1 block, 2 char; -1 any */
	} allow[] = {{2, -1, -1, 1}, {1, -1, -1, 1}, {2, 1, 3, 7},   {2, 1, 5, 7},
	             {2, 1, 7, 7},   {2, 1, 8, 7},   {2, 1, 9, 7},   {2, 5, 0, 7},
	             {2, 5, 1, 7},   {2, 5, 2, 7},   {2, 136, -1, 7}};
	struct insn p[128];
	int n = 0, fd;
	uint64_t attr[16] = {0};
	static const char license[] = "GPL";

	p[n++] = I (0x61, 2, 1, 0, 0); /* r2 = ctx->access_type */
	p[n++] = I (0xbf, 3, 2, 0, 0); /* r3 = r2 */
	p[n++] = I (0x57, 2, 0, 0, 0xffff);
	p[n++] = I (0x77, 3, 0, 0, 16);
	p[n++] = I (0x61, 4, 1, 4, 0); /* major */
	p[n++] = I (0x61, 5, 1, 8, 0); /* minor */
	for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++) {
		int len = 1 + ((~allow[i].access & 7) != 0) + (allow[i].major >= 0) +
		          (allow[i].minor >= 0) + 2;
		int left = len - 1;

		p[n++] = I (0x55, 2, 0, (int16_t)left--, allow[i].type); /* type != t */
		if (~allow[i].access & 7)
			p[n++] = I (0x45, 3, 0, (int16_t)left--, ~allow[i].access & 7);
		if (allow[i].major >= 0)
			p[n++] = I (0x55, 4, 0, (int16_t)left--, allow[i].major);
		if (allow[i].minor >= 0)
			p[n++] = I (0x55, 5, 0, (int16_t)left--, allow[i].minor);
		p[n++] = I (0xb7, 0, 0, 0, 1); /* allow */
		p[n++] = I (0x95, 0, 0, 0, 0);
	}
	p[n++] = I (0xb7, 0, 0, 0, 0); /* deny */
	p[n++] = I (0x95, 0, 0, 0, 0);
	/* BPF_PROG_LOAD: prog_type, insn_cnt, insns, license */
	attr[0] = 15 | (uint64_t)n << 32; /* BPF_PROG_TYPE_CGROUP_DEVICE */
	attr[1] = (uint64_t)(uintptr_t)p;
	attr[2] = (uint64_t)(uintptr_t)license;
	fd = (int)syscall (SYS_bpf, 5, attr, sizeof attr);
	if (fd < 0)
		die ("BPF_PROG_LOAD");
	/* BPF_PROG_ATTACH: target_fd, attach_bpf_fd, attach_type CGROUP_DEVICE */
	memset (attr, 0, sizeof attr);
	attr[0] = (uint32_t)cgfd | (uint64_t)(uint32_t)fd << 32;
	attr[1] = 6;
	if (syscall (SYS_bpf, 8, attr, sizeof attr) < 0)
		die ("BPF_PROG_ATTACH");
	close (fd);
}

static void remove_cgroups (void)
{
	char p[512];

	if (with_v1)
		for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++) {
			snprintf (p, sizeof p, CG "/%s/" PARENT "/%s", v1[i], id);
			if (rmdir (p) < 0)
				die (p);
		}
	snprintf (p, sizeof p, "%s/" PARENT "/%s", v2mnt, id);
	if (rmdir (p) < 0)
		die (p);
}

static void xmount (const char *src, const char *dst, const char *type, unsigned long fl,
                    const char *data)
{
	if (mount (src, dst, type, fl, data) < 0)
		die (dst);
}

/* the config's mounts, relative to the rootfs (the cwd) */
static void mounts (void)
{
	static const struct {
		const char *dst, *type, *src;
		unsigned long fl;
		const char *data;
	} m[] = {
	        {"proc", "proc", "proc", 0, NULL},
	        {"dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"},
	        {"dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
	         "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	        {"dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k"},
	        {"dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL},
	        {"sys", "sysfs", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL},
	};
	static const struct {
		const char *name;
		unsigned maj, min;
	} dev[] = {{"null", 1, 3}, {"zero", 1, 5},    {"full", 1, 7},
	           {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
	static const char *link[][2] = {{"/proc/self/fd", "dev/fd"},     {"/proc/self/fd/0", "dev/stdin"},
	                                {"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"},
	                                {"/proc/kcore", "dev/core"},     {"pts/ptmx", "dev/ptmx"}};
	const unsigned long cgfl = MS_NOSUID | MS_NOEXEC | MS_NODEV;
	char p[512], d[256];

	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		if (i >= 2)
			xmkdir (m[i].dst);
		xmount (m[i].src, m[i].dst, m[i].type, m[i].fl, m[i].data);
	}
	/* "cgroup" on a v2 host: a cgroup2 mount of its own, read-only, as
	 * keel and runc mount it (the kernel allows it in the initial cgroup
	 * namespace) */
	if (strcmp (v2mnt, CG) == 0) {
		xmount ("cgroup2", "sys/fs/cgroup", "cgroup2", MS_RDONLY | cgfl, NULL);
	} else {
		/* without a cgroup namespace on a v1 or hybrid host: the
		 * container's own cgroups */
		xmount ("tmpfs", "sys/fs/cgroup", "tmpfs", cgfl, "mode=755");
		for (size_t i = 0; i <= (with_v1 ? sizeof v1 / sizeof v1[0] : 0); i++) {
			bool v2 = i == (with_v1 ? sizeof v1 / sizeof v1[0] : 0);
			const char *name = v2 ? "unified" : v1[i];

			snprintf (d, sizeof d, "sys/fs/cgroup/%s", name);
			xmkdir (d);
			snprintf (p, sizeof p, CG "/%s/" PARENT "/%s", name, id);
			xmount (p, d, NULL, MS_BIND, NULL);
			xmount (NULL, d, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | cgfl, NULL);
		}
		xmount (NULL, "sys/fs/cgroup", NULL, MS_REMOUNT | MS_RDONLY | cgfl, "mode=755");
	}
	for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) {
		snprintf (d, sizeof d, "dev/%s", dev[i].name);
		if (mknod (d, S_IFCHR | 0666, makedev (dev[i].maj, dev[i].min)) < 0)
			die (d);
		if (chmod (d, 0666) < 0) /* past the umask */
			die (d);
	}
	for (size_t i = 0; i < sizeof link / sizeof link[0]; i++)
		if (symlink (link[i][0], link[i][1]) < 0)
			die (link[i][1]);
}

static void mask_and_readonly (void)
{
	static const char *masked[] = {"/proc/acpi",          "/proc/asound",      "/proc/kcore",
	                               "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
	                               "/proc/timer_stats",   "/proc/sched_debug", "/sys/firmware",
	                               "/proc/scsi"};
	static const char *ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	                           "/proc/sysrq-trigger"};
	struct stat st;

	for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
		if (lstat (masked[i], &st) < 0)
			continue;
		if (S_ISDIR (st.st_mode))
			xmount ("tmpfs", masked[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			        "size=0,mode=0555");
		else
			xmount ("/dev/null", masked[i], NULL, MS_BIND, NULL);
	}
	for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
		if (mount (ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			die (ro[i]);
		}
		xmount (NULL, ro[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, NULL);
	}
}

static void caps (void)
{
	const uint64_t keep = 1ULL << CAP_AUDIT_WRITE | 1ULL << CAP_KILL | 1ULL << CAP_NET_BIND_SERVICE;
	struct cap_header h = {CAP_VERSION_3, 0};
	struct cap_data d[2] = {{(uint32_t)keep, (uint32_t)keep, 0},
	                                      {(uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0}};

	for (int c = 0; prctl (PR_CAPBSET_READ, c) >= 0; c++)
		if (!(keep >> c & 1) && prctl (PR_CAPBSET_DROP, c) < 0)
			die ("PR_CAPBSET_DROP");
	if (syscall (SYS_capset, &h, d) < 0)
		die ("capset");
}

/* The child moves itself, one thread ("0" to tasks): a write of a pid
 * to cgroup.procs takes the cgroup threadgroup lock, whose first writer
 * after a pause waits for an RCU grace period (keel's child joins the
 * same way, runtime/cgroup-v1.c). */
static void join_v1 (void)
{
	char p[512];

	if (with_v1)
		for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++) {
			snprintf (p, sizeof p, CG "/%s/" PARENT "/%s/tasks", v1[i], id);
			xwrite (p, "0");
		}
}

static int child (const char *rootfs)
{
	struct rlimit nofile = {1024, 1024};
	char *const argv[] = {"/bin/true", NULL};
	char *const envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	                      "TERM=xterm", NULL};

	join_v1 ();
	if (sethostname ("runc", 4) < 0)
		die ("sethostname");
	xmount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
	xmount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL);
	if (chdir (rootfs) < 0)
		die (rootfs);
	mounts ();
	if (syscall (SYS_pivot_root, ".", ".") < 0)
		die ("pivot_root");
	xmount (NULL, ".", NULL, MS_REC | MS_SLAVE, NULL);
	if (umount2 (".", MNT_DETACH) < 0)
		die ("umount old root");
	if (chdir ("/") < 0)
		die ("/");
	mask_and_readonly ();
	xmount (NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
	if (setrlimit (RLIMIT_NOFILE, &nofile) < 0)
		die ("RLIMIT_NOFILE");
	caps ();
	if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die ("no_new_privs");
	execve (argv[0], argv, envp);
	die (argv[0]);
	return 1;
}

int main (int argc, char **argv)
{
	const char *bundle = NULL, *v1env = getenv ("FLOOR_V1");
	char rootfs[512], p[512];
	struct clone_args_v2 ca = {0};
	struct stat st;
	int status, cgfd;
	pid_t pid;

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp (argv[i], "--bundle") == 0 || strcmp (argv[i], "-b") == 0)
			bundle = argv[i + 1];
	if (bundle == NULL || argc < 3) {
		fputs ("usage: floor [--root X] run --bundle DIR ID\n", stderr);
		return 2;
	}
	snprintf (id, sizeof id, "%s", argv[argc - 1]);
	snprintf (rootfs, sizeof rootfs, "%s/rootfs", bundle);
	if (realpath (rootfs, p) == NULL)
		die (rootfs);
	snprintf (rootfs, sizeof rootfs, "%s", p);
	v2mnt = stat (CG "/unified/cgroup.procs", &st) == 0 ? CG "/unified" : CG;
	with_v1 = strcmp (v2mnt, CG) != 0 && !(v1env && strcmp (v1env, "0") == 0);

	make_cgroups ();
	snprintf (p, sizeof p, "%s/" PARENT "/%s", v2mnt, id);
	cgfd = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		die (p);
	if (!with_v1)
		device_program (cgfd);
	ca.flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET |
	           CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)cgfd;
	pid = syscall (SYS_clone3, &ca, sizeof ca);
	if (pid < 0)
		die ("clone3");
	if (pid == 0)
		_exit (child (rootfs));
	close (cgfd);
	if (waitpid (pid, &status, 0) < 0)
		die ("waitpid");
	remove_cgroups ();
	return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
