/* The last steps of the container process: finding the executable inside
 * the container, the environment, inherited fds, execve. */
#ifndef KEEL_EXEC_H
#define KEEL_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/error.h"

#define EXEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Resolve args[0] as execvp would, with PATH from env (or the default),
 * in the current root: *out gets a malloc'd path of an executable regular
 * file.  Errors as runc: `exec: "foo": executable file not found in $PATH`. */
int exec_find (const char *file, char *const *env, char **out, struct keel_error **err);

/* The process environment: env, then extra (either may be NULL; the CLI
 * puts runc's LISTEN_FDS/LISTEN_PID there).  A later NAME= replaces an
 * earlier one.  Returns a NULL-terminated malloc'd array of shared strings. */
char **exec_build_env (char *const *env, char *const *extra);

/* env (from exec_build_env) with HOME added when it has none: uid's home
 * directory in the current root's /etc/passwd, else "/" (runc; crun
 * leaves HOME unset for a user /etc/passwd does not name).  Call it before
 * the user switch, while the file is surely readable. */
char **exec_env_add_home (char **env, uid_t uid);

/* Keep fds 3..3+n-1 across execve, mark every higher fd close-on-exec. */
int exec_pass_fds (int n, struct keel_error **err);

/* Close every fd from `from` up that is not in keep[] (sorted in place):
 * what a process entering the container must not hold any more. */
int exec_close_fds_except (int from, int *keep, size_t n, struct keel_error **err);

/* The value of NAME in env, or NULL. */
const char *exec_getenv (char *const *env, const char *name);

#endif
