/* Running the runtime library without blocking PID 1.
 *
 * keel_container_create() waits for the container's namespaces, mounts and
 * hooks to be set up, and keel_container_delete() runs poststop hooks: both
 * can take long.  PID 1 therefore forks a short-lived helper per operation
 * that calls the library in-process (never an exec of a runtime binary) and
 * reports on a pipe:
 *   "T\n"          the entry's tmpfiles.conf was applied (before create: a
 *                 Z or R over a large tree must not stall PID 1 either)
 *   "P<pid>\n"     the container process exists (create succeeded)
 *   "S\n"          start succeeded: the process is past its exec fifo
 *   "N<summary>\n" the CNI network's result in one line (cni.h)
 *   "E<message>\n" the operation failed (one line)
 * The container process is the helper's child; when the helper exits it is
 * reparented to PID 1 (or to keel as child subreaper), which reaps it.
 */
#ifndef KEEL_INIT_LAUNCH_H
#define KEEL_INIT_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "init/policy.h"
#include "init/tmpfiles.h"
#include "lib/error.h"
#include "runtime/container.h"

#define LAUNCH_REPORT_MAX 2048

/* Open files: PID 1 holds a log pipe (both ends) per entry, a notify socket
 * and, while one runs, a helper's report pipe: the kernel's default for
 * PID 1 (1024 soft, 4096 hard) runs out near 400 entries.  PID 1 raises
 * its own limit to the most the kernel allows (fs.nr_open, else its hard
 * limit), as systemd does; the containers it starts get
 * LAUNCH_NOFILE_SOFT soft (select(2) breaks above 1024) and the larger of
 * the original hard limit and LAUNCH_NOFILE_HARD, unless their config.json
 * sets RLIMIT_NOFILE. */
#define LAUNCH_NOFILE_SOFT 1024
#define LAUNCH_NOFILE_HARD 524288
int launch_raise_nofile (struct keel_error **err);

enum launch_op { LAUNCH_START, LAUNCH_DELETE };

struct entry_fp; /* reload.h */

/* The hidden role word of a helper (keel.c): `keel __launch start|delete ...`. */
#define LAUNCH_HELPER_ROLE "__launch"
int launch_helper_main (int argc, char **argv);
/* Exec helpers from this file (keel.c: "/proc/self/exe", the sealed memfd
 * PID 1 runs from); never called: they are forked (tests, other binaries). */
void launch_exec_from (const char *path);

/* Start the helper; *report_fd gets the non-blocking read end.  A start
 * helper given tmpfiles (NULL: none) applies them first, relative to "/";
 * their failure is the start's.  net is the entry's keel.json network
 * (NULL or not CNI: nothing to attach, cni.h).
 *
 * The helper is keel's own binary (the sealed memfd PID 1 runs from),
 * started with CLONE_VM|CLONE_VFORK and exec'd, so PID 1 is never copied:
 * a fork's cost grows with PID 1's memory, this one's does not.  It gets
 * fds 0-2 (a start: /dev/null and the log pipe) and 3 (its report pipe),
 * nothing else of PID 1's.  A start helper reads the entry in dir again
 * (config.json, keel.json, tmpfiles.conf) and refuses it when its content
 * hashes differ from fp, the ones PID 1 validated (entries.c, reload.h).
 * PID 1 forks instead, the child using spec, tmpfiles and net as they are
 * in PID 1's memory, when the files' hashes already differ from fp (an
 * entry edited without a reload starts as it was validated, as before),
 * when the binary cannot be exec'd (no /proc/self/exe, no close_range;
 * EMFILE: this once), or when dir/fp are NULL.
 *
 * *pidfd (the exec'd helper's pidfd, close-on-exec) turns readable when
 * it has exited; PID 1 reaps it with waitid(P_PIDFD).  It is cloned with
 * exit signal 0, but the kernel makes a child that execs an ordinary
 * SIGCHLD child again (measured: SIGCHLD comes, waitpid(-1) reaps it), so
 * its SIGCHLD still arrives too and whichever of the two comes first
 * reaps it.  The forked fallback gives *pidfd = -1. */
int launch_fork (enum launch_op op, const struct keel_runtime *rt, const char *id,
                 const struct spec *spec, const struct keel_create_opts *opts,
                 const struct tmpfiles *tmpfiles, const struct policy_network *net, const char *dir,
                 const struct entry_fp *fp, pid_t *helper, int *pidfd, int *report_fd,
                 struct keel_error **err);

/* Another of PID 1's helpers started the same way (commit.c, importjob.c
 * with report_w -1: then fd 3 is not kept either): argv is
 * keel's own command line (argv[1] its hidden role word, argv[3] named in
 * an error), fd 3 gets report_w, fds 0-2 are PID 1's.  -1 with *fallback
 * when this way is not usable here (no exec'able binary, or for want of
 * descriptors this once): the caller forks instead. */
int launch_spawn_role (char **argv, int report_w, pid_t *helper, int *pidfd, bool *fallback,
                       struct keel_error **err);

struct launch_report {
	pid_t pid;          /* 0 when create did not get that far */
	bool started;       /* start succeeded */
	bool tmpfiles_done; /* a T line: tmpfiles.conf applied */
	char *error;        /* malloc'd, NULL when none */
	char *network;      /* N line: CNI result summary, malloc'd, NULL when none */
};

/* Decode what the helper wrote (buf need not be NUL-terminated). */
void launch_parse (const char *buf, size_t len, struct launch_report *r);
void launch_report_free (struct launch_report *r);

#endif
