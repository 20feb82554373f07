/* `keel init`: PID 1.
 *
 * Two modes.  As the machine's init (PID 1 in the initial PID namespace,
 * or --boot) keel leaves the initramfs, mounts the world, sets up cgroups,
 * reads keel.* options from the kernel command line, supervises
 * containers.d and finally powers off or reboots.  Otherwise (--no-boot,
 * the default anywhere else: tests in `unshare --pid --fork --mount-proc`,
 * a container) it only supervises: nothing is mounted, and SIGTERM stops
 * every container in reverse dependency order and exits 0. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init/boot.h"
#include "init/console.h"
#include "init/control.h"
#include "init/deploy.h"
#include "init/hotplug.h"
#include "init/init.h"
#include "init/options.h"
#include "init/panic.h"
#include "init/powerbutton.h"
#include "init/mounter.h"
#include "init/shutdown.h"
#include "init/store.h"
#include "init/slot.h"
#include "init/supervisor.h"
#include "init/watchdog.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/version.h"

static void usage (FILE *out)
{
	fputs ("usage: keel init [OPTIONS]\n"
	       "  --dir DIR          containers.d directory (default " INIT_DEFAULT_DIR ")\n"
	       "  --root DIR         runtime state directory (default " KEEL_DEFAULT_STATE_ROOT
	       ")\n"
	       "  --state DIR        keel.sock and notify sockets (default " INIT_DEFAULT_STATE
	       ")\n"
	       "  --cgroup-root PATH containers' cgroups at PATH/NAME under the unified\n"
	       "                     hierarchy (default " INIT_DEFAULT_CGROUP_ROOT ")\n"
	       "  --importer DIR     the importer bundle for keelctl update from an image\n"
	       "                     (default " INIT_DEFAULT_IMPORTER ")\n"
	       "  --console FILE     write the boot log to FILE instead of stdout\n"
	       "  --skip NAME[,NAME] do not start these entries\n"
	       "  --shell PATH       emergency shell if the boot fails (boot mode)\n"
	       "  --hostname NAME    (boot mode; default keel)\n"
	       "  --boot | --no-boot act as the machine's init or only supervise\n"
	       "                     (default: boot when PID 1 of the initial PID namespace)\n"
	       "  --debug\n",
	       out);
}

static int parse_args (int argc, char **argv, struct init_opts *o, struct keel_error **err)
{
	static const struct option longopts[] = {
	        {"dir", required_argument, NULL, 'd'},
	        {"root", required_argument, NULL, 'r'},
	        {"state", required_argument, NULL, 's'},
	        {"cgroup-root", required_argument, NULL, 'c'},
	        {"console", required_argument, NULL, 'C'},
	        {"importer", required_argument, NULL, 'I'},
	        {"skip", required_argument, NULL, 'k'},
	        {"shell", required_argument, NULL, 'S'},
	        {"hostname", required_argument, NULL, 'H'},
	        {"boot", no_argument, NULL, 'b'},
	        {"no-boot", no_argument, NULL, 'n'},
	        {"debug", no_argument, NULL, 'D'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
		char **slot = NULL;

		switch (c) {
		case 'd':
			slot = &o->dir;
			break;
		case 'r':
			slot = &o->runtime_root;
			break;
		case 's':
			slot = &o->state;
			break;
		case 'c':
			slot = &o->cgroup_root;
			break;
		case 'C':
			slot = &o->console;
			break;
		case 'I':
			slot = &o->importer;
			break;
		case 'S':
			slot = &o->shell;
			break;
		case 'H':
			slot = &o->hostname;
			break;
		case 'k':
			if (init_opts_add_skip (o, optarg, err) < 0)
				return -1;
			break;
		case 'b':
		case 'n':
			o->boot = c == 'b';
			o->boot_forced = true;
			break;
		case 'D':
			o->debug = true;
			break;
		case 'h':
			usage (stdout);
			exit (0);
		case 'V':
			keel_print_version (stdout, "keel");
			exit (0);
		default:
			usage (stderr);
			return keel_error (err, 0, "invalid arguments");
		}
		if (slot) {
			free (*slot);
			*slot = xstrdup (optarg);
		}
	}
	if (optind < argc)
		return keel_error (err, 0, "unexpected argument `%s`", argv[optind]);
	if (o->dir[0] != '/') {
		/* Messages and the runtime's bundle paths want it absolute. */
		char *abs = realpath (o->dir, NULL);
		if (abs == NULL)
			return keel_error (err, errno, "containers.d `%s`", o->dir);
		free (o->dir);
		o->dir = abs;
	}
	return 0;
}

#define BOOT_T0_ENV "KEEL_BOOT_T0"

void keel_init_stamp_start (void)
{
	struct timespec ts;
	char us[32];

	/* Only the machine's init: a keel that is PID 1 of a container's
	 * namespace has no boot to split. */
	if (getenv (BOOT_T0_ENV) || !boot_is_machine_init ())
		return;
	snprintf (us, sizeof us, "%llu", (unsigned long long)unit_clock_us ());
	/* The first console line, on the console the kernel gave us (nothing
	 * is mounted or parsed yet), with console.c's stamp: bench/boot.sh
	 * splits the kernel's time from keel's at this line. */
	if (clock_gettime (CLOCK_MONOTONIC, &ts) == 0)
		(void)!dprintf (STDERR_FILENO, "[%5lld.%06ld] keel: PID 1 started\n",
		                (long long)ts.tv_sec, ts.tv_nsec / 1000);
	/* Only a figure for boot-time: at worst a forged one is shown. */
	(void)!setenv (BOOT_T0_ENV, us, 1);
}

/* keel_init_stamp_start's time, taken out of the environment so that no
 * child inherits it; 0 when absent or not a time before now. */
static uint64_t take_boot_t0 (uint64_t now)
{
	const char *v = getenv (BOOT_T0_ENV);
	unsigned long long us = 0;

	if (v && (!parse_uint64 (v, &us) || us > now))
		us = 0;
	unsetenv (BOOT_T0_ENV);
	return us;
}

/* The machine-init part of the boot; failures are reported and the boot
 * goes on with whatever works. */
static void boot_machine (struct init_opts *o)
{
	struct keel_error *err = NULL;
	cleanup_free char *cmdline = NULL;
	char *warn = NULL;

	if (read_file ("/proc/cmdline", 65536, &cmdline, NULL, &err) == 0) {
		cmdline_apply (o, cmdline, &warn, &err);
		if (warn)
			console_status (NULL, CS_WARN, "kernel command line: ignoring %s", warn);
		free (warn);
	}
	keel_error_release (&err);
	/* Drivers first: the containers' devices and network need them.
	 * The explicit list, then what the devices found ask for. */
	modules_load (BOOT_MODULES_LIST);
	hotplug_boot (NULL);
	if (boot_cgroups (o->cgroup_root, &err) < 0) {
		cleanup_free char *m = keel_error_take (&err);
		console_status (NULL, CS_FAIL, "cgroups: %s", m);
	}
	boot_misc (o);
	if (network_loopback_up (&err) < 0) {
		cleanup_free char *m = keel_error_string (err);
		console_status (NULL, CS_WARN, "network: %s", m);
		keel_error_release (&err);
	}
}

/* Boot mode when nothing can be supervised: the emergency shell, then
 * power off. */
static void emergency_shell (const struct init_opts *o, const char *why)
{
	pid_t pid = emergency_spawn (o, why);
	int status;

	while (pid > 0 && waitpid (-1, &status, 0) != pid)
		;
}

/* An A/B slot on trial not marked good in time (slot.h). */
static void slot_trial_expired (void *arg)
{
	struct sup *s = arg;

	/* a poweroff already under way stays one */
	if (!s->shutting_down)
		sup_request_shutdown (s, SD_REBOOT, "slot on trial not marked good in time");
}

/* A power button press: the same ordered stop as SIGTERM. */
static void power_pressed (void *arg)
{
	sup_request_shutdown (arg, SD_POWEROFF, "Power button pressed");
}

int keel_init_main (int argc, char **argv)
{
	struct init_opts opts;
	struct console con;
	struct sup sup;
	struct control ctl = {.fd = -1};
	struct mounter mnt = {.open = false};
	struct keel_error *err = NULL;
	enum shutdown_action action = SD_POWEROFF;
	uint64_t start_us = unit_clock_us (), setup_us; /* keelctl boot-time */
	uint64_t pid1_us = take_boot_t0 (start_us), switch_us = 0, switch_end = 0;
	const char *switch_how = NULL;
	bool machine, on_disk = false;
	int ret;

	/* Reached as `keel init ...` or as PID 1 under any name. */
	if (argc > 1 && strcmp (argv[1], "init") == 0) {
		argc--;
		argv++;
	}
	init_opts_defaults (&opts);
	if (parse_args (argc, argv, &opts, &err) < 0) {
		keel_error_print (stderr, "keel init", &err);
		if (getpid () != 1)
			return 2;
		/* PID 1 never exits: carry on with the defaults */
		init_opts_free (&opts);
		init_opts_defaults (&opts);
	}
	machine = opts.boot_forced ? opts.boot : boot_is_machine_init ();
	opts.boot = machine;
	/* From here on PID 1 has its fatal path: never abort(). */
	keel_panic_install (&opts);

	if (machine) {
		uint64_t t = unit_clock_us ();
		if (switchroot_if_initramfs (&switch_how, &err) < 0) {
			keel_error_print (stderr, "keel init", &err);
			/* containers will fail to pivot; still boot */
		}
		switch_end = unit_clock_us ();
		switch_us = switch_end - t;
		boot_mount_basics ();
		boot_console_fds ();
	}
	keel_log_set_prog ("keel");
	if (console_open (&con, opts.console, &err) < 0) {
		keel_error_print (stderr, "keel init", &err);
		if (!machine)
			return 1;
		console_open (&con, NULL, &err);
		keel_error_release (&err);
	}
	console_status (&con, CS_INFO, "keel %s starting as %s (pid %d)", KEEL_VERSION,
	                machine ? "the machine's init" : "a supervisor", (int)getpid ());
	/* What came before that line (bench/boot.sh reads it): the re-exec
	 * from a protected copy of our binary, then leaving the initramfs. */
	if (machine && pid1_us)
		console_status (&con, CS_INFO,
		                "boot: binary protected in %llu ms, switch root%s%s%s in %llu ms",
		                (unsigned long long)(start_us - pid1_us) / 1000,
		                switch_how ? " (" : " (none needed", switch_how ? switch_how : "",
		                ")", (unsigned long long)switch_us / 1000);
	if (launch_raise_nofile (&err) < 0) { /* see launch.h */
		cleanup_free char *m = keel_error_string (err);
		keel_error_release (&err);
		console_status (&con, CS_WARN, "open file limit: %s", m);
	}
	if (machine)
		boot_machine (&opts);
	/* The A/B selector: kexec into a slot; back here only if none
	 * boots (slot.h) */
	if (machine && opts.slots && opts.slot == 0)
		slot_select_boot (&opts, &con);
	setup_us = unit_clock_us ();
	if (keel_log_open (NULL, false, opts.debug, &err) < 0)
		keel_error_release (&err);

	ret = sup_init (&sup, &opts, &con, &err);
	sup.keel_start_us = start_us;
	sup.pid1_start_us = pid1_us;
	sup.switched_us = switch_how ? switch_end : 0;
	sup.setup_us = setup_us;
	if (ret == 0) {
		/* fstab: mounted in helpers while the units wait (mounter.h),
		 * from now on, so that the store's line (x-keel.containers)
		 * is settled before any entry is read; only the machine's init
		 * mounts, a supervisor holds back what needs a mount. */
		static const char *const fstabs[] = {MOUNTER_FSTAB, MOUNTER_KEEL_FSTAB, NULL};
		static const char *const none[] = {NULL};
		char *store;

		mounter_open (&mnt, machine ? fstabs : none, &sup.loop, NULL, &con);
		sup.mounts = &mnt;
		/* The loop runs from here on (store.c waits in it, for as long
		 * as the store's x-keel.wait=): it pets a watchdog the last
		 * boot left armed. */
		if (machine)
			watchdog_boot (&sup.loop, &opts, &con);
		store = store_boot (&sup, &mnt); /* store.h: the disk or the fallback */
		if (store) {
			free (opts.dir);
			opts.dir = store;
			on_disk = true;
		}
	}
	/* An update the machine went down in the middle of, not committed:
	 * back to the deployment before, before anything reads the entries
	 * (docs/deployments.md); on the disk, store.c's helper did it. */
	if (ret == 0 && !on_disk)
		deploy_boot_all (opts.dir);
	if (ret == 0)
		ret = sup_load (&sup, &err);
	if (ret == 0) {
		sup.loaded_us = unit_clock_us ();
		/* The modules that talk to the loop register themselves; the
		 * loop knows none of them. */
		sup_start_units (&sup);
		ret = control_open (&ctl, &sup, &err);
		if (ret < 0)
			keel_error_wrap (&err, "control socket");
		else if (machine) {
			powerbutton_open (&sup.loop, &con, power_pressed, &sup);
			hotplug_watch (&sup.loop);
			slot_trial_arm (&sup.loop, &con, &opts, slot_trial_expired, &sup);
		}
	}
	if (ret == 0)
		mounter_attach (&mnt, &sup.set); /* the units wait for their mounts */
	if (ret < 0) {
		cleanup_free char *m = keel_error_string (err);
		keel_error_release (&err);
		console_status (&con, CS_FAIL, "keel: %s", m ? m : "setup failed");
		if (machine) /* not petted meanwhile: as panic.c's shell */
			emergency_shell (&opts, "cannot read containers.d");
		control_close (&ctl);
		mounter_close (&mnt);
		sup_free (&sup);
		if (!machine) {
			console_close (&con);
			init_opts_free (&opts);
			return 1;
		}
	} else {
		action = sup_run (&sup);
		ret = sup.exit_code;
		/* Armed through a reboot, so a hang while unmounting resets. */
		watchdog_finish (action != SD_REBOOT);
		hotplug_close ();
		powerbutton_close ();
		control_close (&ctl);
		/* the containers are stopped: their mounts come off first */
		mounter_unmount (&mnt);
		mounter_close (&mnt);
		sup_free (&sup);
	}
	console_status (&con, CS_OK, "All containers stopped");
	if (machine)
		shutdown_finish (action, true, &con); /* never returns */
	console_close (&con);
	init_opts_free (&opts);
	return ret;
}
