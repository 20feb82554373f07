/* The OCI runtime-spec config.json as typed C structs.
 *
 * Data flows one way: spec_load() parses config.json with json-c into these
 * structs and validates every field; everything after that (namespaces,
 * mounts, cgroups, process setup) reads only these structs, never JSON.
 * Strings are owned, NUL-terminated and freed by spec_free().  Optional
 * scalars come with a has_* flag because 0 is a meaningful value for most of
 * them.  Field names follow config.md and config-linux.md.
 */
#ifndef KEEL_SPEC_H
#define KEEL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

/* A NULL-terminated array of owned strings, with its length. */
struct spec_strv {
	char **v;
	size_t n;
};

struct spec_kv { /* annotations, sysctl, unified, hugepage-style maps */
	char *key;
	char *value;
};
struct spec_map {
	struct spec_kv *e;
	size_t n;
};

/* ---- root, mounts ---------------------------------------------------- */

struct spec_root {
	char *path;     /* as written; spec_load() also fills abs_path */
	char *abs_path; /* resolved against the bundle directory */
	bool readonly;
};

struct spec_mount {
	char *destination;
	char *type;               /* NULL when absent; "bind" also sets bind (as runc/crun) */
	char *source;             /* NULL when absent */
	struct spec_strv options; /* as written */
	/* Decoded from options with libmount's tables at load time, later
	 * options overriding earlier ones ("ro","rw" ends read-write): */
	unsigned long flags;       /* MS_* to set (MS_REMOUNT too if asked) */
	unsigned long clear_flags; /* MS_* named with a "no"/"rw" form: to clear */
	unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE [|MS_REC] */
	bool bind, recursive;      /* bind / rbind */
	bool rro;                  /* "rro": recursive read-only (mount_setattr) */
	/* Recursive mount_setattr(2) attributes from the r* options ("rro",
	 * "rnosuid", "rnoexec", "rnodev", "rnoatime", "rrelatime", ...): the
	 * MOUNT_ATTR_* bits to set and to clear (attr_set/attr_clr). */
	uint64_t rec_attr_set, rec_attr_clr;
	bool idmap, idmap_recursive; /* "idmap" / "ridmap" (1.2) */
	bool tmpcopyup;              /* crun's "tmpcopyup" for tmpfs */
	/* The remaining filesystem-specific options, comma-joined, or NULL.
	 * fstab-only words (defaults, nofail, _netdev, x-*, ...) are dropped;
	 * loop/verity options are refused at load time. */
	char *data;
	struct spec_idmapping *uid_mappings; /* idmapped mounts (1.1+) */
	size_t n_uid_mappings;
	struct spec_idmapping *gid_mappings;
	size_t n_gid_mappings;
};

/* ---- process --------------------------------------------------------- */

struct spec_rlimit {
	int resource; /* RLIMIT_* */
	char *type;   /* "RLIMIT_NOFILE" */
	uint64_t soft, hard;
};

struct spec_caps { /* capability numbers (CAP_*), decoded at load time */
	int *bounding;
	size_t n_bounding;
	int *effective;
	size_t n_effective;
	int *inheritable;
	size_t n_inheritable;
	int *permitted;
	size_t n_permitted;
	int *ambient;
	size_t n_ambient;
	bool present; /* process.capabilities was given at all */
};

struct spec_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	/* From crun's annotation run.oci.keep_original_groups (podman's
	 * --group-add keep-groups): keep the runtime's supplementary groups,
	 * additionalGids unused. */
	bool keep_original_groups;
	char *username; /* Windows only in the spec; kept for completeness */
};

struct spec_scheduler {
	bool present;
	int policy; /* SCHED_* */
	int nice;
	int priority;
	uint64_t flags; /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period;
};

struct spec_io_priority {
	bool present;
	int class; /* IOPRIO_CLASS_RT/BE/IDLE */
	int priority;
};

struct spec_process {
	bool terminal;
	bool has_console_size;
	unsigned console_height, console_width;
	struct spec_user user;
	struct spec_strv args;
	char *command_line; /* Windows only; refused on Linux if set */
	struct spec_strv env;
	char *cwd;
	struct spec_caps caps;
	struct spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	struct spec_scheduler scheduler;
	struct spec_io_priority io_priority;
	char *apparmor_profile; /* refused when set: keel has no LSM support */
	char *selinux_label;    /* refused when set */
	/* execCPUAffinity (1.2): cpu lists as in cpuset ("0-3,7"), or NULL. */
	char *exec_cpu_affinity_initial;
	char *exec_cpu_affinity_final;
};

/* ---- hooks ----------------------------------------------------------- */

struct spec_hook {
	char *path;
	struct spec_strv args;
	struct spec_strv env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

enum spec_hook_kind {
	HOOK_PRESTART, /* deprecated, run as createRuntime */
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KIND_MAX
};

/* "prestart", "createRuntime", ...: the config.json key of each kind. */
const char *spec_hook_kind_name (enum spec_hook_kind kind);

struct spec_hooks {
	struct spec_hook *h[HOOK_KIND_MAX];
	size_t n[HOOK_KIND_MAX];
};

/* ---- linux ----------------------------------------------------------- */

enum spec_ns_kind {
	NS_PID,
	NS_NETWORK,
	NS_MOUNT,
	NS_IPC,
	NS_UTS,
	NS_USER,
	NS_CGROUP,
	NS_TIME,
	NS_KIND_MAX
};

struct spec_namespace {
	enum spec_ns_kind kind;
	char *path; /* NULL: create a new one; else setns() into it */
};

struct spec_idmapping {
	uint32_t container_id, host_id, size;
};

struct spec_time_offset {
	bool present;
	int64_t secs;
	uint32_t nanosecs;
};

struct spec_device {
	char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	bool has_file_mode;
	mode_t file_mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

/* A device cgroup rule (linux.resources.devices[]). */
struct spec_device_rule {
	bool allow;
	char type;            /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = wildcard */
	char *access;         /* subset of "rwm" */
};

/* Optional numbers: has_* says whether the field was present. */
struct spec_memory {
	bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
	int64_t limit, reservation, swap, kernel, kernel_tcp;
	uint64_t swappiness;
	bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct spec_cpu {
	bool has_shares, has_quota, has_burst, has_period, has_rt_runtime, has_rt_period, has_idle;
	uint64_t shares, period, rt_period, burst;
	int64_t quota, rt_runtime, idle;
	char *cpus, *mems;
};

struct spec_blkio_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
	uint64_t rate; /* throttle devices */
};

struct spec_blkio {
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
	struct spec_blkio_device *weight_device;
	size_t n_weight_device;
	struct spec_blkio_device *throttle_read_bps, *throttle_write_bps;
	size_t n_throttle_read_bps, n_throttle_write_bps;
	struct spec_blkio_device *throttle_read_iops, *throttle_write_iops;
	size_t n_throttle_read_iops, n_throttle_write_iops;
};

struct spec_hugepage_limit {
	char *page_size; /* "2MB" */
	uint64_t limit;
};

struct spec_rdma { /* linux.resources.rdma: device -> limits */
	char *device;
	bool has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

struct spec_net_priority {
	char *name;
	uint32_t priority;
};

struct spec_resources {
	bool present;
	struct spec_device_rule *devices;
	size_t n_devices;
	bool has_memory, has_cpu, has_pids, has_blkio, has_network;
	struct spec_memory memory;
	struct spec_cpu cpu;
	int64_t pids_limit; /* valid when has_pids */
	struct spec_blkio blkio;
	struct spec_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	bool has_class_id;
	uint32_t class_id;
	struct spec_net_priority *net_priorities;
	size_t n_net_priorities;
	struct spec_map unified;     /* cgroup v2 file -> value */
	struct spec_map rdma_unused; /* always empty: rdma is decoded into rdma[] below */
	struct spec_rdma *rdma;      /* cgroup v2 rdma.max, one entry per device */
	size_t n_rdma;
};

struct spec_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	int op; /* enum scmp_compare when CONFIG_SECCOMP, else the SCMP_CMP_* number */
};

struct spec_seccomp_syscall {
	struct spec_strv names;
	/* SCMP_ACT_* (= SECCOMP_RET_*) value; for ERRNO and TRACE the errno
	 * (EPERM when errnoRet is absent) is folded in. */
	uint32_t action;
	bool has_errno_ret;
	unsigned errno_ret;
	struct spec_seccomp_arg *args;
	size_t n_args;
};

struct spec_seccomp {
	bool present;
	uint32_t default_action;
	bool has_default_errno_ret;
	unsigned default_errno_ret;
	struct spec_strv architectures; /* "SCMP_ARCH_X86_64" */
	struct spec_strv flags;         /* "SECCOMP_FILTER_FLAG_LOG" */
	unsigned flag_bits;             /* the same as SECCOMP_FILTER_FLAG_* bits */
	char *listener_path;            /* absolute; NULL when absent or "" */
	char *listener_metadata;
	struct spec_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct spec_personality {
	bool present;
	unsigned long domain; /* PER_LINUX or PER_LINUX32 */
	struct spec_strv flags;
};

struct spec_linux {
	struct spec_namespace *namespaces;
	size_t n_namespaces;
	struct spec_idmapping *uid_mappings;
	size_t n_uid_mappings;
	struct spec_idmapping *gid_mappings;
	size_t n_gid_mappings;
	/* A new user namespace came without uidMappings/gidMappings: as crun
	 * does, spec_load() filled in container root -> the caller's euid
	 * (egid), or, when the caller is root, the identity map of ids 0 to
	 * process.user.uid (gid).  (crun first tries the caller's range in
	 * /etc/subuid; keel does not read those files.) */
	bool default_uid_mappings, default_gid_mappings;
	struct spec_time_offset time_monotonic, time_boottime;
	struct spec_device *devices;
	size_t n_devices;
	char *cgroups_path; /* NULL (absent or ""): keel picks one from the container id */
	struct spec_resources resources;
	unsigned long rootfs_propagation; /* MS_* or 0 when absent */
	struct spec_strv masked_paths;
	struct spec_strv readonly_paths;
	char *mount_label;
	struct spec_map sysctl;
	struct spec_seccomp seccomp;
	struct spec_personality personality;
	bool has_intel_rdt; /* refused: keel does not support resctrl */
};

/* The runtime-spec version keel implements (written by spec_default_json,
 * reported by `features` and state); configs from 1.0.0 to 1.2.x load. */
#define SPEC_OCI_VERSION "1.2.0"

struct spec {
	char *oci_version;
	char *bundle; /* absolute bundle directory config.json was read from */
	struct spec_root root;
	struct spec_mount *mounts;
	size_t n_mounts;
	bool has_process;
	struct spec_process process;
	char *hostname;   /* NULL when absent or "" (runc: "" means unset) */
	char *domainname; /* likewise */
	struct spec_hooks hooks;
	struct spec_map annotations;
	bool has_linux;
	struct spec_linux linux_;
};

/* Parse and validate config.json.  `path` is the file (used in messages
 * as its base name, e.g. "config.json: process.args: ..."), bundle its
 * directory.  On error *err holds exactly one line:
 *   "config.json: linux.namespaces[2].type: unknown namespace \"pidd\"" */
int spec_load (const char *path, const char *bundle, struct spec **out, struct keel_error **err);
/* The same, with name as the first word of every message and warning
 * (PID 1 gives the entry's path, so a warning says which entry). */
int spec_load_as (const char *path, const char *name, const char *bundle, struct spec **out,
                  struct keel_error **err);
/* The same from a buffer (fuzzing, tests); name is used in messages. */
int spec_parse (const char *name, const char *json, size_t len, const char *bundle,
                struct spec **out, struct keel_error **err);
/* A runtime-spec process JSON alone (runc exec --process): a spec whose
 * only field is process, errors named by JSON path in that file
 * ("process.json: args: required but missing"); a FIFO or pipe is read too
 * (`-p <(...)`), as runc reads it. */
int spec_load_process (const char *path, struct spec **out, struct keel_error **err);
void spec_free (struct spec *s);
/* Free a map's entries and leave it empty (state annotations use it too). */
void spec_map_free (struct spec_map *m);

/* Helpers others need. */
bool spec_has_namespace (const struct spec *s, enum spec_ns_kind kind);
const struct spec_namespace *spec_get_namespace (const struct spec *s, enum spec_ns_kind kind);
const char *spec_ns_name (enum spec_ns_kind kind); /* "pid", "network", ... */
int spec_ns_clone_flag (enum spec_ns_kind kind);   /* CLONE_NEWPID, ... */
/* "CAP_KILL" -> CAP_KILL, as process.capabilities spells them; -1 when
 * the name is not one. */
int spec_cap_number (const char *name);

/* The names spec_load() accepts, for `keel-runtime features`, so the two
 * cannot drift apart.  Each returns a malloc'd NULL-terminated array of
 * static strings: free() the array only. */
const char **spec_mount_option_names (void); /* libmount's Linux table + r*, idmap, ... */
const char **spec_seccomp_action_names (void);
const char **spec_seccomp_operator_names (void);
const char **spec_seccomp_arch_names (void);
const char **spec_seccomp_flag_names (void);

/* The default config.json `keel-runtime spec` writes (as runc spec does);
 * returns a malloc'd JSON string. rootless adds user-namespace mappings. */
char *spec_default_json (bool rootless);

#endif
