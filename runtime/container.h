/* The runtime library's lifecycle API (runtime.md): create, start, state,
 * kill, delete.  Both the runc-compatible CLI (runtime/cli/) and PID 1
 * (init/) call these in-process; nothing execs a separate runtime binary.
 *
 * create leaves the container's process held before execve (it blocks on
 * the exec fifo in the state directory, as crun and runc do); start releases
 * it.  When the caller of create is a long-lived process (PID 1, `run`), the
 * container process is its direct child and it reaps the exit status itself.
 */
#ifndef KEEL_CONTAINER_H
#define KEEL_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

enum cgroup_manager {
	CGROUP_MANAGER_CGROUPFS,
	CGROUP_MANAGER_DISABLED,
};

/* Global options (runc's global flags). */
struct keel_runtime {
	const char *state_root; /* --root, default KEEL_DEFAULT_STATE_ROOT */
	enum cgroup_manager cgroup_manager;
	bool debug;
};
#define KEEL_DEFAULT_STATE_ROOT "/run/keel"

struct keel_create_opts {
	const char *bundle;         /* absolute path */
	const char *pid_file;       /* --pid-file, NULL for none */
	const char *console_socket; /* --console-socket, NULL for none */
	bool no_pivot;              /* --no-pivot */
	int preserve_fds;           /* --preserve-fds: fds 3..3+n-1 are passed on */
	/* The container's stdin/stdout/stderr; -1 keeps the caller's.  PID 1
	 * passes the write ends of its log pipes here. */
	int stdio[3];
	/* Where the container's cgroup goes when config.json has no
	 * cgroupsPath (PID 1 uses "keel/containers/NAME"); NULL: "keel/ID". */
	const char *default_cgroup_path;
	/* Added by PID 1: extra bind mounts (the NOTIFY_SOCKET) and env. */
	const struct spec_mount *extra_mounts;
	size_t n_extra_mounts;
	char *const *extra_env;
	/* The CLI's NOTIFY_SOCKET proxy: make STATE/ID/notify, which one of
	 * extra_mounts binds into the container (runtime/notify-proxy.h). */
	bool notify_proxy_dir;
	/* The config.json bytes spec was parsed from, kept in the state
	 * directory for exec and checkpoint (state.h); NULL keeps none, and
	 * they read the bundle's. */
	const char *config_json;
	size_t config_len;
	/* `run`: the process goes on to execve as soon as create is done,
	 * without an exec fifo to wait on (crun's run has none); start then
	 * only marks it running and runs the poststart hooks. */
	bool no_exec_fifo;
};

enum keel_status {
	KEEL_CREATING,
	KEEL_CREATED,
	KEEL_RUNNING,
	KEEL_STOPPED,
};
const char *keel_status_name (enum keel_status s); /* "created", ... */

struct keel_state {
	char *id;
	char *bundle;
	char *oci_version;
	enum keel_status status;
	pid_t pid; /* 0 once stopped */
	char *created; /* RFC 3339 */
	char *owner;
	char *cgroup_path; /* absolute, under the unified mount; NULL without cgroups */
	/* cgroup v1 and hybrid hosts: the container's directory in every v1
	 * hierarchy (cgroup-v1.h); on a legacy host cgroup_path is one of them */
	struct spec_strv cgroup_v1;
	struct spec_map annotations;
	char *rootfs; /* absolute root.path, as runc's state shows it; may be NULL */
};
void keel_state_free (struct keel_state *st);
/* The runtime-spec state JSON (runtime.md "State"), malloc'd. */
char *keel_state_json (const struct keel_state *st);

/* Validate the id: keel's one name rule, lib/name.h. */
int keel_container_check_id (const char *id, struct keel_error **err);

/* Make the container: state directory, cgroup, namespaces, mounts, hooks,
 * and its process held before execve; *pid gets that process's pid.  The
 * process is a child of the caller, except when the config joins a user
 * namespace by path and asks for a new pid namespace: then it is a
 * grandchild (be a subreaper to reap it).  A failure anywhere, in the
 * container process too, comes back as one message naming the step
 * ("mounts[2]: mount `proc` on `/proc`: Permission denied"; the caller adds
 * the container id) and leaves nothing behind: no process, cgroup or state
 * directory (mounts die with the container's mount namespace).  Callers
 * that handle SIGCHLD must not reap the process before create returns. */
int keel_container_create (const struct keel_runtime *rt, const char *id,
			   const struct spec *spec, const struct keel_create_opts *opts,
			   pid_t *pid, struct keel_error **err);
/* `run`: create, then start and delete the very container from what
 * create knows (runc and crun do the same), rather than each reading it
 * back from the state directory.  *held keeps the state directory open and
 * locked as create left it, the state create wrote and a pidfd of the
 * process; keel_held_pid gives its pid (see create about reaping it).
 * keel_held_start is keel_container_start without the reading; it lets
 * the lock go, as start does.  keel_held_delete is keel_container_delete
 * of that directory: locked again first; it returns 1 when a delete
 * elsewhere removed it meanwhile (nothing then is touched, not even a new
 * container of the same id).  keel_held_free closes what is
 * held (a container not deleted stays, as after create or start). */
struct keel_held;
int keel_container_create_held (const struct keel_runtime *rt, const char *id,
                                const struct spec *spec, const struct keel_create_opts *opts,
                                struct keel_held **held, struct keel_error **err);
pid_t keel_held_pid (const struct keel_held *h);
int keel_held_start (struct keel_held *h, struct keel_error **err);
int keel_held_delete (struct keel_held *h, bool force, struct keel_error **err);
void keel_held_free (struct keel_held *h);
/* Adopt a process another program made as container id (restore: criu
 * recreates the process tree from a checkpoint).  The state directory and
 * the cgroups are made as by create; spawn then gets the state directory,
 * the cgroup (NULL without cgroups) and the v1 directories (none on a pure
 * v2 host) to put the process in, and must return its pid in *pid, past
 * execve.  The container is then "running" (state.json as create writes
 * it) and --pid-file is written; on failure nothing is left behind, and a
 * pid spawn returned is killed. */
typedef int (*keel_spawn_fn) (void *arg, const char *state_dir, const char *cgroup_path,
                              const struct spec_strv *cgroup_v1, pid_t *pid,
                              struct keel_error **err);
int keel_container_adopt (const struct keel_runtime *rt, const char *id, const struct spec *spec,
                          const struct keel_create_opts *opts, keel_spawn_fn spawn, void *arg,
                          pid_t *pid, struct keel_error **err);
/* Release a created container (it runs its startContainer hooks, then
 * execve) and run the poststart hooks. */
int keel_container_start (const struct keel_runtime *rt, const char *id,
			  struct keel_error **err);
int keel_container_state (const struct keel_runtime *rt, const char *id,
			  struct keel_state *st, struct keel_error **err);
/* signo 0 only checks the process is there.  A stopped (or still creating)
 * container is ESRCH "container not running", except with all, which
 * succeeds for a stopped one as runc's does. */
int keel_container_kill (const struct keel_runtime *rt, const char *id, int signo, bool all,
			 struct keel_error **err);
/* force: kill a running container first (SIGKILL via cgroup.kill). */
int keel_container_delete (const struct keel_runtime *rt, const char *id, bool force,
			   struct keel_error **err);
/* --pid-file: write pid to path atomically (path.tmp, then rename). */
int keel_write_pid_file (const char *path, pid_t pid, struct keel_error **err);
/* Every container id under the state root, sorted; *n gets the count. */
int keel_container_list (const struct keel_runtime *rt, char ***ids, size_t *n,
			 struct keel_error **err);

#endif
