/* Unit tests for the config.json decoder: valid configs decode into the
 * right values (tests/spec-valid/), the default spec round-trips, and the
 * finer points of option decoding, numbers and messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/spec.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#endif

static char *data_path (const char *rel)
{
	const char *dir = getenv ("KEEL_TEST_DATA");

	return xasprintf ("%s/%s", dir ? dir : "tests", rel);
}

static struct spec *load_valid (const char *name, const char *bundle)
{
	cleanup_free char *path = data_path (name);
	struct keel_error *err = NULL;
	struct spec *s = NULL;

	if (spec_load (path, bundle, &s, &err) < 0) {
		print_error ("%s: %s\n", path, err->msg);
		keel_error_release (&err);
		fail ();
	}
	return s;
}

/* JSON written with ' for " so the tests stay readable. */
static char *dequote (const char *j)
{
	char *s = xstrdup (j);

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

#define BASE_HEAD \
	"{'ociVersion':'1.2.0','root':{'path':'rootfs'},'process':{'args':['sh'],'cwd':'/'"
static struct spec *parse_ok (const char *json)
{
	cleanup_free char *j = dequote (json);
	struct keel_error *err = NULL;
	struct spec *s = NULL;

	if (spec_parse ("config.json", j, strlen (j), "/b", &s, &err) < 0) {
		print_error ("%s\n%s\n", j, err->msg);
		keel_error_release (&err);
		fail ();
	}
	return s;
}

static char *parse_err (const char *json)
{
	cleanup_free char *j = dequote (json);
	struct keel_error *err = NULL;
	struct spec *s = NULL;
	char *msg;

	if (spec_parse ("config.json", j, strlen (j), "/b", &s, &err) == 0) {
		spec_free (s);
		print_error ("accepted: %s\n", j);
		fail ();
	}
	msg = xstrdup (err->msg);
	keel_error_release (&err);
	return msg;
}

static void test_full_process (void **state)
{
	struct spec *s = load_valid ("spec-valid/full.json", "/bundles/full/");
	struct spec_process *p = &s->process;

	assert_string_equal (s->oci_version, "1.2.0");
	assert_string_equal (s->bundle, "/bundles/full");
	assert_string_equal (s->root.path, "rootfs");
	assert_string_equal (s->root.abs_path, "/bundles/full/rootfs");
	assert_true (s->root.readonly);
	assert_string_equal (s->hostname, "full");
	assert_string_equal (s->domainname, "example.org");
	assert_true (s->has_process);
	assert_true (p->terminal);
	assert_true (p->has_console_size);
	assert_int_equal (p->console_height, 24);
	assert_int_equal (p->console_width, 80);
	assert_int_equal (p->user.uid, 1000);
	assert_int_equal (p->user.gid, 100);
	assert_true (p->user.has_umask);
	assert_int_equal (p->user.umask, 022);
	assert_int_equal (p->user.n_additional_gids, 2);
	assert_int_equal (p->user.additional_gids[1], 6);
	assert_int_equal (p->args.n, 3);
	assert_string_equal (p->args.v[2], "true");
	assert_null (p->args.v[3]);
	assert_int_equal (p->env.n, 2);
	assert_string_equal (p->env.v[1], "EMPTY=");
	assert_string_equal (p->cwd, "/home");
	assert_true (p->caps.present);
	assert_int_equal (p->caps.n_bounding, 3);
	assert_int_equal (p->caps.bounding[0], CAP_CHOWN);
	assert_int_equal (p->caps.bounding[2], CAP_SYS_ADMIN);
	assert_int_equal (p->caps.n_effective, 1);
	assert_int_equal (p->caps.effective[0], CAP_KILL);
	assert_int_equal (p->caps.n_inheritable, 0);
	assert_int_equal (p->caps.n_permitted, 2);
	assert_int_equal (p->caps.permitted[1], CAP_NET_BIND_SERVICE);
	assert_int_equal (p->caps.n_ambient, 1);
	assert_int_equal (p->caps.ambient[0], 39 /* CAP_BPF */);
	assert_int_equal (p->n_rlimits, 2);
	assert_int_equal (p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal (p->rlimits[0].soft, 1024);
	assert_int_equal (p->rlimits[0].hard, 4096);
	assert_int_equal (p->rlimits[1].resource, RLIMIT_CORE);
	assert_true (p->rlimits[1].soft == UINT64_MAX);
	assert_string_equal (p->rlimits[1].type, "RLIMIT_CORE");
	assert_true (p->no_new_privileges);
	assert_true (p->has_oom_score_adj);
	assert_int_equal (p->oom_score_adj, -500);
	assert_true (p->scheduler.present);
	assert_int_equal (p->scheduler.policy, SCHED_BATCH);
	assert_int_equal (p->scheduler.nice, 5);
	assert_int_equal (p->scheduler.flags, 0x01);
	assert_true (p->io_priority.present);
	assert_int_equal (p->io_priority.class, 3);
	assert_int_equal (p->io_priority.priority, 7);
	assert_string_equal (p->exec_cpu_affinity_final, "0-1");
	assert_string_equal (p->apparmor_profile, "");
	spec_free (s);
}

static void test_full_mounts_hooks (void **state)
{
	struct spec *s = load_valid ("spec-valid/full.json", "/b");
	struct spec_mount *m;

	assert_int_equal (s->n_mounts, 5);
	m = &s->mounts[0];
	assert_string_equal (m->type, "proc");
	assert_int_equal (m->flags, 0);
	assert_null (m->data);
	m = &s->mounts[1];
	assert_int_equal (m->flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal (m->data, "mode=755,size=65536k");
	m = &s->mounts[2];
	assert_true (m->bind);
	assert_true (m->recursive);
	assert_int_equal (m->propagation, MS_PRIVATE | MS_REC);
	/* "ro" then "rw": the later wins and rdonly is to be cleared. */
	assert_int_equal (m->flags, MS_NODEV);
	assert_int_equal (m->clear_flags, MS_RDONLY);
	assert_null (m->data); /* "defaults" and "x-*" are fstab-only */
	assert_true (m->rro);
	assert_int_equal (m->rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
	assert_int_equal (m->rec_attr_clr, 0);
	m = &s->mounts[3];
	assert_null (m->type);
	assert_true (m->bind);
	assert_false (m->recursive);
	assert_true (m->idmap);
	assert_true (m->idmap_recursive);
	assert_int_equal (m->n_uid_mappings, 1);
	assert_int_equal (m->uid_mappings[0].host_id, 100000);
	assert_int_equal (m->gid_mappings[0].size, 65536);
	m = &s->mounts[4];
	assert_int_equal (m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
	assert_string_equal (m->data, "nsdelegate");

	assert_int_equal (s->hooks.n[HOOK_PRESTART], 1);
	assert_string_equal (s->hooks.h[HOOK_PRESTART][0].path, "/usr/bin/fix-mounts");
	assert_string_equal (s->hooks.h[HOOK_PRESTART][0].args.v[1], "arg1");
	assert_string_equal (s->hooks.h[HOOK_PRESTART][0].env.v[0], "key1=value1");
	assert_false (s->hooks.h[HOOK_PRESTART][0].has_timeout);
	assert_int_equal (s->hooks.n[HOOK_CREATE_RUNTIME], 1);
	assert_true (s->hooks.h[HOOK_CREATE_RUNTIME][0].has_timeout);
	assert_int_equal (s->hooks.h[HOOK_CREATE_RUNTIME][0].timeout, 5);
	assert_int_equal (s->hooks.n[HOOK_CREATE_CONTAINER], 0);
	assert_int_equal (s->hooks.n[HOOK_POSTSTOP], 1);
	assert_int_equal (s->annotations.n, 2);
	assert_string_equal (s->annotations.e[0].key, "com.example.key1");
	assert_string_equal (s->annotations.e[0].value, "value1");
	spec_free (s);
}

static void test_full_linux (void **state)
{
	struct spec *s = load_valid ("spec-valid/full.json", "/b");
	struct spec_linux *l = &s->linux_;
	const struct spec_namespace *ns;

	assert_true (s->has_linux);
	assert_int_equal (l->n_namespaces, 8);
	for (int k = 0; k < NS_KIND_MAX; k++)
		assert_true (spec_has_namespace (s, (enum spec_ns_kind)k));
	ns = spec_get_namespace (s, NS_NETWORK);
	assert_string_equal (ns->path, "/var/run/netns/neta");
	assert_null (spec_get_namespace (s, NS_PID)->path);
	assert_int_equal (l->n_gid_mappings, 2);
	assert_int_equal (l->gid_mappings[1].container_id, 1000);
	assert_int_equal (l->gid_mappings[1].host_id, 300000);
	assert_false (l->default_uid_mappings);
	assert_true (l->time_monotonic.present);
	assert_int_equal (l->time_monotonic.secs, 172800);
	assert_int_equal (l->time_boottime.secs, -1000);
	assert_int_equal (l->time_boottime.nanosecs, 500);
	assert_int_equal (l->n_devices, 3);
	assert_int_equal (l->devices[0].type, 'c');
	assert_int_equal (l->devices[0].major, 10);
	assert_int_equal (l->devices[0].minor, 229);
	assert_true (l->devices[0].has_file_mode);
	assert_int_equal (l->devices[0].file_mode, 0666);
	assert_true (l->devices[0].has_uid);
	assert_int_equal (l->devices[1].type, 'b');
	assert_false (l->devices[1].has_file_mode);
	assert_int_equal (l->devices[2].type, 'p');
	assert_string_equal (l->cgroups_path, "/keel/full");
	assert_int_equal (l->rootfs_propagation, MS_SLAVE | MS_REC);
	assert_int_equal (l->masked_paths.n, 2);
	assert_string_equal (l->readonly_paths.v[0], "/proc/sys");
	assert_int_equal (l->sysctl.n, 3);
	assert_string_equal (l->sysctl.e[0].key, "net.ipv4.ip_forward");
	assert_true (l->personality.present);
	assert_int_equal (l->personality.domain, PER_LINUX32);
	assert_false (l->has_intel_rdt);
	spec_free (s);
}

static void test_full_resources (void **state)
{
	struct spec *s = load_valid ("spec-valid/full.json", "/b");
	struct spec_resources *r = &s->linux_.resources;

	assert_true (r->present);
	assert_int_equal (r->n_devices, 2);
	assert_false (r->devices[0].allow);
	assert_int_equal (r->devices[0].type, 'a');
	assert_int_equal (r->devices[0].major, -1);
	assert_string_equal (r->devices[0].access, "rwm");
	assert_true (r->devices[1].allow);
	assert_int_equal (r->devices[1].type, 'c');
	assert_int_equal (r->devices[1].minor, 229);
	assert_string_equal (r->devices[1].access, "rw");
	assert_true (r->has_memory);
	assert_true (r->memory.has_limit);
	assert_int_equal (r->memory.limit, 536870912);
	assert_int_equal (r->memory.swap, -1);
	assert_true (r->memory.has_swappiness);
	assert_int_equal (r->memory.swappiness, 0);
	assert_false (r->memory.has_kernel);
	assert_true (r->memory.disable_oom_killer);
	assert_true (r->memory.check_before_update);
	assert_true (r->has_cpu);
	assert_int_equal (r->cpu.shares, 1024);
	assert_int_equal (r->cpu.quota, 100000);
	assert_int_equal (r->cpu.burst, 5000);
	assert_int_equal (r->cpu.rt_runtime, 950000);
	assert_string_equal (r->cpu.cpus, "0-1");
	assert_int_equal (r->cpu.idle, 1);
	assert_true (r->has_pids);
	assert_int_equal (r->pids_limit, 32771);
	assert_true (r->has_blkio);
	assert_int_equal (r->blkio.weight, 10);
	assert_int_equal (r->blkio.n_weight_device, 1);
	assert_int_equal (r->blkio.weight_device[0].leaf_weight, 300);
	assert_int_equal (r->blkio.n_throttle_read_bps, 1);
	assert_int_equal (r->blkio.throttle_read_bps[0].rate, 600);
	assert_int_equal (r->blkio.n_throttle_write_iops, 1);
	assert_int_equal (r->blkio.throttle_write_iops[0].minor, 16);
	assert_int_equal (r->blkio.n_throttle_write_bps, 0);
	assert_int_equal (r->n_hugepage_limits, 2);
	assert_string_equal (r->hugepage_limits[1].page_size, "1GB");
	assert_true (r->hugepage_limits[0].limit == 9223372036854772000ULL);
	assert_true (r->has_class_id);
	assert_int_equal (r->class_id, 1048577);
	assert_int_equal (r->n_net_priorities, 1);
	assert_string_equal (r->net_priorities[0].name, "eth0");
	assert_int_equal (r->n_rdma, 1);
	assert_string_equal (r->rdma[0].device, "mlx5_1");
	assert_int_equal (r->rdma[0].hca_objects, 10000);
	assert_int_equal (r->unified.n, 2);
	assert_string_equal (r->unified.e[1].value, "default 100");
	spec_free (s);
}

static void test_full_seccomp (void **state)
{
	struct spec *s = load_valid ("spec-valid/full.json", "/b");
	struct spec_seccomp *sc = &s->linux_.seccomp;

	assert_true (sc->present);
	assert_int_equal (sc->default_action, 0x00050000U | 38);
	assert_true (sc->has_default_errno_ret);
	assert_int_equal (sc->default_errno_ret, 38);
	assert_int_equal (sc->architectures.n, 3);
	assert_int_equal (sc->flag_bits, 2 | 4);
	assert_string_equal (sc->listener_path, "/run/seccomp-agent.socket");
	assert_int_equal (sc->n_syscalls, 7);
	assert_int_equal (sc->syscalls[0].names.n, 2);
	assert_int_equal (sc->syscalls[0].action, 0x7fff0000U);
	assert_int_equal (sc->syscalls[1].action, 0x00050000U | 1);
	assert_int_equal (sc->syscalls[2].n_args, 2);
	assert_int_equal (sc->syscalls[2].args[0].op, 4 /* SCMP_CMP_EQ */);
	assert_int_equal (sc->syscalls[2].args[1].index, 1);
	assert_int_equal (sc->syscalls[2].args[1].value_two, 8);
	assert_int_equal (sc->syscalls[2].args[1].op, 7 /* SCMP_CMP_MASKED_EQ */);
	assert_int_equal (sc->syscalls[3].action, 0x7fc00000U);
	/* TRACE without errnoRet gets EPERM, as config-linux.md says. */
	assert_int_equal (sc->syscalls[4].action, 0x7ff00000U | 1);
	assert_false (sc->syscalls[4].has_errno_ret);
	assert_int_equal (sc->syscalls[5].action, 0x80000000U);
	assert_int_equal (sc->syscalls[6].action, 0x7ffc0000U);
	spec_free (s);
}

static void test_runc_crun_specs (void **state)
{
	static const char *const files[] = {"spec-valid/runc-spec.json",
	                                    "spec-valid/runc-spec-rootless.json",
	                                    "spec-valid/crun-spec.json"};

	for (size_t i = 0; i < ARRAY_SIZE (files); i++) {
		struct spec *s = load_valid (files[i], "/b");

		assert_int_equal (s->n_mounts, 7);
		assert_int_equal (s->process.caps.n_bounding, 3);
		assert_int_equal (s->process.rlimits[0].resource, RLIMIT_NOFILE);
		assert_true (spec_has_namespace (s, NS_MOUNT));
		spec_free (s);
	}
}

/* crun --rootless writes a user namespace without mappings; like crun,
 * keel maps container root to the caller. */
static void test_crun_rootless_default_mappings (void **state)
{
	struct spec *s = load_valid ("spec-valid/crun-spec-rootless.json", "/b");
	struct spec_linux *l = &s->linux_;

	assert_true (l->default_uid_mappings);
	assert_true (l->default_gid_mappings);
	assert_int_equal (l->n_uid_mappings, 1);
	assert_int_equal (l->uid_mappings[0].container_id, 0);
	assert_int_equal (l->uid_mappings[0].host_id, geteuid ());
	assert_int_equal (l->gid_mappings[0].host_id, getegid ());
	assert_true (l->uid_mappings[0].size >= 1);
	spec_free (s);
}

/* Empty mapping arrays count as none (a leak the fuzzer found here). */
static void test_empty_mappings_default (void **state)
{
	struct spec *s =
	        parse_ok (BASE_HEAD ",'user':{'uid':5,'gid':6}},'linux':{'namespaces':"
	                            "[{'type':'user'}],'uidMappings':[],'gidMappings':[]}}");

	assert_true (s->linux_.default_uid_mappings);
	assert_int_equal (s->linux_.n_uid_mappings, 1);
	assert_int_equal (s->linux_.uid_mappings[0].host_id, geteuid ());
	if (geteuid () == 0)
		assert_int_equal (s->linux_.uid_mappings[0].size, 6);
	if (getegid () == 0)
		assert_int_equal (s->linux_.gid_mappings[0].size, 7);
	spec_free (s);
}

static void test_default_json (void **state)
{
	for (int rootless = 0; rootless <= 1; rootless++) {
		cleanup_free char *j = spec_default_json (rootless);
		struct keel_error *err = NULL;
		struct spec *s = NULL;

		assert_non_null (j);
		assert_int_equal (spec_parse ("config.json", j, strlen (j), "/b", &s, &err), 0);
		assert_string_equal (s->oci_version, SPEC_OCI_VERSION);
		assert_string_equal (s->hostname, "keel");
		assert_string_equal (s->root.path, "rootfs");
		assert_true (s->root.readonly);
		assert_string_equal (s->process.args.v[0], "sh");
		assert_true (s->process.terminal);
		assert_int_equal (s->n_mounts, 7);
		assert_int_equal (s->linux_.masked_paths.n, 10);
		assert_int_equal (s->linux_.readonly_paths.n, 5);
		assert_int_equal (spec_has_namespace (s, NS_USER), rootless);
		assert_int_equal (spec_has_namespace (s, NS_NETWORK), !rootless);
		if (rootless) {
			assert_false (s->linux_.default_uid_mappings);
			assert_int_equal (s->linux_.uid_mappings[0].host_id, geteuid ());
			assert_true (s->mounts[5].bind && s->mounts[5].recursive);
			assert_false (s->linux_.resources.present);
		} else {
			assert_int_equal (s->linux_.resources.n_devices, 1);
			assert_string_equal (s->mounts[2].data,
			                     "newinstance,ptmxmode=0666,mode=0620,gid=5");
		}
		/* pretty-printed with tabs, like runc */
		assert_non_null (strstr (j, "\n\t\"ociVersion\": \"" SPEC_OCI_VERSION "\""));
		spec_free (s);
	}
}

static void test_oci_versions (void **state)
{
	static const char *const ok[] = {"1.0.0", "1.0.2-dev", "1.1.0-rc.1", "1.2.1+build.7",
	                                 "1.2.99"};
	static const char *const bad[] = {"0.9.0", "1.3.0", "1.02.0", "1.0", "1.0.0-", "v1.0.0"};

	for (size_t i = 0; i < ARRAY_SIZE (ok); i++) {
		cleanup_free char *j = xasprintf ("{'ociVersion':'%s','root':{'path':'r'}}", ok[i]);
		spec_free (parse_ok (j));
	}
	for (size_t i = 0; i < ARRAY_SIZE (bad); i++) {
		cleanup_free char *j =
		        xasprintf ("{'ociVersion':'%s','root':{'path':'r'}}", bad[i]);
		cleanup_free char *msg = parse_err (j);
		assert_non_null (strstr (msg, "config.json: ociVersion: "));
	}
}

static void test_mount_options (void **state)
{
	struct spec *s = parse_ok (
	        BASE_HEAD
	        "},'mounts':["
	        "{'destination':'/a','type':'tmpfs','options':['ro','noexec','exec','rshared',"
	        "'slave','uid=0','user','user=bob','_netdev','nofail','comment=x']},"
	        "{'destination':'/b','source':'/x','options':['rbind','rro','rrw','rnoatime']},"
	        "{'destination':'/c','options':['remount','ro','bind']}"
	        ",{'destination':'/d','options':['rprivate']}"
	        ",{'destination':'/e','type':'bind','source':'/e'}]}");
	struct spec_mount *m = &s->mounts[0];

	assert_int_equal (m->flags, MS_RDONLY);
	assert_int_equal (m->clear_flags, MS_NOEXEC);
	assert_int_equal (m->propagation, MS_SLAVE); /* the last one wins */
	assert_string_equal (m->data, "uid=0,user=bob");
	assert_false (m->bind);
	m = &s->mounts[1];
	assert_true (m->bind && m->recursive);
	assert_false (m->rro);
	assert_int_equal (m->rec_attr_set, 0x10 /* MOUNT_ATTR_NOATIME */);
	assert_int_equal (m->rec_attr_clr, MOUNT_ATTR_RDONLY | 0x70 /* MOUNT_ATTR__ATIME */);
	m = &s->mounts[2];
	assert_int_equal (m->flags, MS_REMOUNT | MS_RDONLY);
	assert_true (m->bind);
	assert_int_equal (s->mounts[3].propagation, MS_PRIVATE | MS_REC);
	assert_true (s->mounts[4].bind);
	assert_false (s->mounts[4].recursive);
	spec_free (s);
}

static void test_nulls_and_unknown_fields (void **state)
{
	struct spec *s = parse_ok ("{'ociVersion':'1.0.0','root':{'path':'/abs/./root/'},"
	                           "'process':null,'linux':null,'hooks':null,'mounts':null,"
	                           "'hostname':null,'vm':{'hypervisor':{}},'solaris':{}}");

	assert_false (s->has_process);
	assert_false (s->has_linux);
	assert_int_equal (s->n_mounts, 0);
	assert_null (s->hostname);
	assert_string_equal (s->root.abs_path, "/abs/root");
	spec_free (s);
}

/* runc treats "" as unset: consumers only have to test for NULL. */
static void test_empty_strings_unset (void **state)
{
	struct spec *s = parse_ok (
	        BASE_HEAD "},'hostname':'','domainname':'',"
	                  "'linux':{'cgroupsPath':'','rootfsPropagation':'',"
	                  "'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':''}}}");

	assert_null (s->hostname);
	assert_null (s->domainname);
	assert_null (s->linux_.cgroups_path);
	assert_int_equal (s->linux_.rootfs_propagation, 0);
	assert_null (s->linux_.seccomp.listener_path);
	spec_free (s);
}

static void test_messages_one_line (void **state)
{
	cleanup_free char *msg = parse_err (
	        BASE_HEAD "},'linux':{'namespaces':[{'type':'bad\\nname\\u0001\\\\'}]}}");
	cleanup_free char *msg2 = parse_err (BASE_HEAD "},'annotations':{'a\\nb':1}}");
	cleanup_free char *msg3 = parse_err (BASE_HEAD ",'user':{'uid':true,'gid':0}}}");

	assert_null (strchr (msg, '\n'));
	assert_string_equal (msg, "config.json: linux.namespaces[0].type: unknown namespace "
	                          "\"bad\\x0aname\\x01\\\\\"");
	assert_string_equal (
	        msg2, "config.json: annotations[\"a\\x0ab\"]: expected a string, got number");
	assert_string_equal (
	        msg3,
	        "config.json: process.user.uid: expected an unsigned 32-bit integer, got true");
}

static void test_long_values_are_cut (void **state)
{
	char name[400];
	cleanup_free char *j = NULL;
	cleanup_free char *msg = NULL;

	memset (name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	j = xasprintf (BASE_HEAD "},'linux':{'namespaces':[{'type':'%s'}]}}", name);
	msg = parse_err (j);
	assert_true (strlen (msg) < 200);
	assert_non_null (strstr (msg, "...\""));
}

static void test_numbers (void **state)
{
	struct spec *s = parse_ok (
	        BASE_HEAD
	        ",'user':{'uid':4294967295,'gid':0},'rlimits':[{'type':'RLIMIT_AS',"
	        "'soft':18446744073709551615,'hard':18446744073709551615}]},"
	        "'linux':{'resources':{'memory':{'limit':-1,'swap':9223372036854775807}}}}");
	cleanup_free char *m1 = parse_err (
	        BASE_HEAD "},'linux':{'resources':{'memory':{'limit':9223372036854775808}}}}");
	cleanup_free char *m2 =
	        parse_err (BASE_HEAD ",'rlimits':[{'type':'RLIMIT_AS','soft':-1,'hard':1}]}}");
	cleanup_free char *m3 = parse_err (BASE_HEAD ",'user':{'uid':1e3,'gid':0}}}");

	assert_int_equal (s->process.user.uid, 4294967295U);
	assert_true (s->process.rlimits[0].hard == UINT64_MAX);
	assert_int_equal (s->linux_.resources.memory.limit, -1);
	assert_true (s->linux_.resources.memory.swap == INT64_MAX);
	spec_free (s);
	assert_string_equal (m1, "config.json: linux.resources.memory.limit: expected a 64-bit "
	                         "integer, got 9223372036854775808");
	assert_string_equal (m2, "config.json: process.rlimits[0].soft: expected an unsigned "
	                         "64-bit integer, got -1");
	assert_string_equal (m3, "config.json: process.user.uid: expected an unsigned 32-bit "
	                         "integer, got 1e3");
}

/* Letters of a device rule's access other than r, w, m are dropped (with a
 * warning), as runc on cgroup v1 and crun do; duplicates go too. */
static void test_device_access_letters (void **state)
{
	struct spec *s = parse_ok (BASE_HEAD "},'linux':{'resources':{'devices':["
	                                     "{'allow':true,'access':'rwa'},"
	                                     "{'allow':false,'access':'wwamr'}]}}}");
	cleanup_free char *m = parse_err (
	        BASE_HEAD "},'linux':{'resources':{'devices':[{'allow':true,'access':'a'}]}}}");

	assert_string_equal (s->linux_.resources.devices[0].access, "rw");
	assert_string_equal (s->linux_.resources.devices[1].access, "wmr");
	spec_free (s);
	assert_string_equal (m, "config.json: linux.resources.devices[0].access: \"a\" has none "
	                        "of \"r\", \"w\" and \"m\"");
}

/* kernel.hostname / kernel.domainname may repeat hostname / domainname, or
 * stand alone; only a contradiction is refused (tests/spec-invalid). */
static void test_uts_sysctls (void **state)
{
	struct spec *same =
	        parse_ok (BASE_HEAD "},'hostname':'h','domainname':'d','linux':{'namespaces':"
	                            "[{'type':'uts'},{'type':'mount'}],"
	                            "'sysctl':{'kernel.hostname':'h','kernel/domainname':'d'}}}");
	struct spec *alone = parse_ok (BASE_HEAD "},'linux':{'namespaces':"
	                                         "[{'type':'uts'},{'type':'mount'}],"
	                                         "'sysctl':{'kernel.hostname':'x'}}}");

	assert_int_equal (same->linux_.sysctl.n, 2);
	assert_int_equal (alone->linux_.sysctl.n, 1);
	spec_free (same);
	spec_free (alone);
}

static void test_bundle_relative (void **state)
{
	cleanup_free char *cwd = getcwd (NULL, 0);
	cleanup_free char *want = xasprintf ("%s/sub/rootfs", strcmp (cwd, "/") ? cwd : "");
	cleanup_free char *j = dequote ("{'ociVersion':'1.2.0','root':{'path':'rootfs'}}");
	struct keel_error *err = NULL;
	struct spec *s = NULL;

	assert_int_equal (spec_parse ("config.json", j, strlen (j), "./sub/", &s, &err), 0);
	assert_string_equal (s->root.abs_path, want);
	spec_free (s);
}

static void test_load_missing_file (void **state)
{
	struct keel_error *err = NULL;
	struct spec *s = NULL;

	assert_true (spec_load ("/nonexistent/config.json", "/nonexistent", &s, &err) < 0);
	assert_int_equal (err->status, ENOENT);
	assert_null (s);
	keel_error_release (&err);
}

/* What a config.json may be besides a file: refused at once, named by its
 * base name as the parse errors are (init prefixes the entry), never read
 * from a FIFO (open would block PID 1) or a device (/dev/zero never ends). */
static void test_load_not_a_file (void **state)
{
	char dir[] = "/tmp/keel-test-spec.XXXXXX";
	cleanup_free char *fifo = NULL, *zero = NULL, *big = NULL, *sub = NULL;
	struct keel_error *err = NULL;
	struct spec *s = NULL;
	int fd;

	(void)state;
	alarm (20); /* a blocking open of the FIFO fails the test, not hangs it */
	assert_non_null (mkdtemp (dir));
	sub = xasprintf ("%s/fifo", dir);
	assert_int_equal (mkdir (sub, 0700), 0);
	fifo = xasprintf ("%s/config.json", sub);
	assert_int_equal (mkfifo (fifo, 0600), 0);
	assert_true (spec_load (fifo, dir, &s, &err) < 0);
	assert_string_equal (err->msg, "config.json: a FIFO, not a regular file");
	assert_int_equal (err->status, 0);
	keel_error_release (&err);

	zero = xasprintf ("%s/zero.json", dir);
	assert_int_equal (symlink ("/dev/zero", zero), 0);
	assert_true (spec_load (zero, dir, &s, &err) < 0);
	assert_string_equal (err->msg, "zero.json: a character device, not a regular file");
	keel_error_release (&err);

	/* one byte over the limit, refused by size (not "16777217 bytes") */
	big = xasprintf ("%s/big.json", dir);
	fd = open (big, O_WRONLY | O_CREAT, 0600);
	assert_true (fd >= 0);
	assert_int_equal (ftruncate (fd, (16 << 20) + 1), 0);
	close (fd);
	assert_true (spec_load (big, dir, &s, &err) < 0);
	assert_string_equal (err->msg,
	                     "big.json: 16777217 bytes is larger than the limit of 16 MiB");
	assert_int_equal (err->status, 0);
	keel_error_release (&err);
	assert_null (s);

	unlink (fifo);
	rmdir (sub);
	unlink (zero);
	unlink (big);
	rmdir (dir);
	alarm (0);
}

/* exec --process FILE: a process JSON alone, errors named in that file. */
static char *write_tmp (const char *json)
{
	char *path = xstrdup ("/tmp/keel-test-process.XXXXXX");
	cleanup_free char *j = dequote (json);
	int fd = mkstemp (path);

	assert_true (fd >= 0);
	assert_int_equal (write (fd, j, strlen (j)), (ssize_t)strlen (j));
	close (fd);
	return path;
}

static void test_load_process (void **state)
{
	cleanup_free char *good = write_tmp ("{'args':['sh','-c','x'],'cwd':'/tmp','env':['A=1'],"
	                                     "'user':{'uid':7,'gid':8},"
	                                     "'capabilities':{'bounding':['CAP_KILL']}}");
	cleanup_free char *bad = write_tmp ("{'args':[],'cwd':'/'}");
	cleanup_free char *want = NULL;
	struct keel_error *err = NULL;
	struct spec *s = NULL;

	(void)state;
	assert_int_equal (spec_load_process (good, &s, &err), 0);
	assert_true (s->has_process);
	assert_int_equal (s->process.args.n, 3);
	assert_string_equal (s->process.cwd, "/tmp");
	assert_int_equal (s->process.user.gid, 8);
	assert_int_equal (s->process.caps.n_bounding, 1);
	assert_int_equal (s->process.caps.bounding[0], CAP_KILL);
	spec_free (s);
	s = NULL;
	assert_true (spec_load_process (bad, &s, &err) < 0);
	assert_null (s);
	want = xasprintf ("%s: args: must not be empty", strrchr (bad, '/') + 1);
	assert_string_equal (err->msg, want);
	keel_error_release (&err);
	unlink (good);
	unlink (bad);
	assert_int_equal (spec_cap_number ("CAP_SYS_TIME"), CAP_SYS_TIME);
	assert_int_equal (spec_cap_number ("cap_sys_time"), -1);
	assert_int_equal (spec_cap_number ("CAP_NOPE"), -1);
}

static bool strv_has (const char **v, const char *s)
{
	for (; *v; v++)
		if (strcmp (*v, s) == 0)
			return true;
	return false;
}

/* What `features` prints is exactly what the decoder takes. */
static void test_name_lists (void **state)
{
	const char **v;

	v = spec_mount_option_names ();
	assert_true (strv_has (v, "nosuid") && strv_has (v, "rshared") && strv_has (v, "rbind"));
	assert_true (strv_has (v, "rro") && strv_has (v, "ridmap") && strv_has (v, "rnoatime"));
	assert_false (strv_has (v, "defaults"));
	for (const char **p = v; *p; p++) {
		cleanup_free char *j =
		        xasprintf (BASE_HEAD "},'mounts':[{'destination':'/x',"
		                             "'type':'tmpfs','source':'/y','options':['%s']}]}",
		                   *p);
		struct spec *s = parse_ok (j);

		assert_null (s->mounts[0].data);
		spec_free (s);
	}
	free (v);
	v = spec_seccomp_action_names ();
	assert_true (strv_has (v, "SCMP_ACT_KILL_PROCESS") && strv_has (v, "SCMP_ACT_NOTIFY"));
	free (v);
	v = spec_seccomp_operator_names ();
	assert_true (strv_has (v, "SCMP_CMP_MASKED_EQ"));
	free (v);
	v = spec_seccomp_arch_names ();
	assert_true (strv_has (v, "SCMP_ARCH_X86_64") && strv_has (v, "SCMP_ARCH_AARCH64"));
	free (v);
	v = spec_seccomp_flag_names ();
	assert_true (strv_has (v, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
	free (v);
}

static void test_ns_helpers (void **state)
{
	assert_string_equal (spec_ns_name (NS_PID), "pid");
	assert_string_equal (spec_ns_name (NS_NETWORK), "network");
	assert_string_equal (spec_ns_name (NS_TIME), "time");
	assert_int_equal (spec_ns_clone_flag (NS_MOUNT), CLONE_NEWNS);
	assert_int_equal (spec_ns_clone_flag (NS_USER), CLONE_NEWUSER);
	assert_int_equal (spec_ns_clone_flag (NS_CGROUP), CLONE_NEWCGROUP);
	assert_int_equal (spec_ns_clone_flag (NS_TIME), 0x80);
	assert_false (spec_has_namespace (NULL, NS_PID));
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_full_process),
	        cmocka_unit_test (test_full_mounts_hooks),
	        cmocka_unit_test (test_full_linux),
	        cmocka_unit_test (test_full_resources),
	        cmocka_unit_test (test_full_seccomp),
	        cmocka_unit_test (test_runc_crun_specs),
	        cmocka_unit_test (test_crun_rootless_default_mappings),
	        cmocka_unit_test (test_empty_mappings_default),
	        cmocka_unit_test (test_default_json),
	        cmocka_unit_test (test_oci_versions),
	        cmocka_unit_test (test_mount_options),
	        cmocka_unit_test (test_nulls_and_unknown_fields),
	        cmocka_unit_test (test_empty_strings_unset),
	        cmocka_unit_test (test_messages_one_line),
	        cmocka_unit_test (test_long_values_are_cut),
	        cmocka_unit_test (test_numbers),
	        cmocka_unit_test (test_device_access_letters),
	        cmocka_unit_test (test_uts_sysctls),
	        cmocka_unit_test (test_bundle_relative),
	        cmocka_unit_test (test_load_missing_file),
	        cmocka_unit_test (test_load_not_a_file),
	        cmocka_unit_test (test_load_process),
	        cmocka_unit_test (test_name_lists),
	        cmocka_unit_test (test_ns_helpers),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
