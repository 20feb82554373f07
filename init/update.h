/* keelctl update, rollback and the deployment lines of status: the node
 * side of the deployment store (deploy.h, docs/deployments.md).
 *
 * The file work runs in the keelctl process, not in PID 1: copying a new
 * deployment in and syncing it can take seconds and PID 1 never blocks.
 * keelctl asks PID 1 where containers.d is ("deployment"), adds the new
 * deployment and switches to it (pending), hands PID 1 the deadline
 * ("pending NAME GEN SECONDS") and asks for a reload (the changed link is
 * a changed entry: stopped and started from the new deployment).  From
 * then on PID 1 decides (commit.h): it commits once the entry is ready,
 * or rolls back; keelctl only waits for that and reports it, so a keelctl
 * killed in the middle changes nothing.  A rollback by hand switches,
 * reloads and waits here.
 */
#ifndef KEEL_INIT_UPDATE_H
#define KEEL_INIT_UPDATE_H

/* argv[0] is "update" or "rollback"; exit status for keelctl. */
int update_main (const char *sock, int argc, char **argv);
int rollback_main (const char *sock, int argc, char **argv);
/* Copy SNAME under sfd to DNAME under dfd: owners, modes, links and
 * device nodes as they are, never following a link (store.c seeds the
 * disk's containers.d with it too). */
struct keel_error;
int update_copy_tree (int sfd, const char *sname, int dfd, const char *dname,
                      struct keel_error **err);
/* One request to PID 1 (importjob.c): 0 with the answer's body after
 * "ok" in *out, -1 with the error text in *out (malloc'd either way). */
int update_ask (const char *sock, const char *req, char **out);
/* The value of "KEY: value" in such an answer (malloc'd), or NULL. */
char *update_answer_field (const char *body, const char *key);
/* After `keelctl status NAME`: its deployment, digest and activation. */
void update_print_status (const char *sock, const char *name);

#endif
