/* keelctl update, rollback and the deployment lines of status: the node
 * side of the deployment store (deploy.h, docs/deployments.md).
 *
 * They run in the keelctl process, not in PID 1: copying a new deployment
 * in and syncing it can take seconds and PID 1 never blocks.  keelctl asks
 * PID 1 where containers.d is ("deployment"), switches the store, asks for
 * a reload (the changed link is a changed entry: stopped, its dependents
 * first, and started from the new deployment), then watches the entry's
 * status until it is ready (a health-gated readiness included) within a
 * deadline, and otherwise switches back and reloads again, saying why.
 */
#ifndef KEEL_INIT_UPDATE_H
#define KEEL_INIT_UPDATE_H

/* argv[0] is "update" or "rollback"; exit status for keelctl. */
int update_main (const char *sock, int argc, char **argv);
int rollback_main (const char *sock, int argc, char **argv);
/* One request to PID 1 (importjob.c): 0 with the answer's body after
 * "ok" in *out, -1 with the error text in *out (malloc'd either way). */
int update_ask (const char *sock, const char *req, char **out);
/* After `keelctl status NAME`: its deployment, digest and activation. */
void update_print_status (const char *sock, const char *name);

#endif
