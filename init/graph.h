/* The dependency graph between containers.d entries.
 *
 * Edges come from a policy's requires (hard), wants (soft) and after
 * (ordering only); all three order the start: an entry starts once each of
 * its dependencies is ready (a service) or has exited 0 (a oneshot).  They
 * differ in what a failed dependency does: `requires` blocks the entry (and
 * stops it if already running), `wants` and `after` let it start anyway,
 * as systemd's After= does, as soon as the dependency's start attempt has
 * failed, even while it is being restarted (GS_RETRYING); a `requires`
 * keeps waiting for a dependency that is being restarted.
 *
 * graph_build() resolves names and finds every cycle (Tarjan's strongly
 * connected components); a member of a cycle or an entry requiring an
 * unknown name is marked broken with one message naming the JSON path.
 */
#ifndef KEEL_INIT_GRAPH_H
#define KEEL_INIT_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "init/policy.h"

enum dep_kind { DEP_REQUIRES, DEP_WANTS, DEP_AFTER };

struct graph_dep {
	size_t to;
	enum dep_kind kind;
	size_t index; /* position in the policy's array, for messages */
};

struct graph_node {
	const char *name; /* borrowed from the caller */
	struct graph_dep *deps;
	size_t n_deps;
	size_t *rdeps; /* the nodes with an edge to this one (any kind), once each */
	size_t n_rdeps;
	bool broken; /* unknown requirement, cycle, or broken by the caller */
	char *error; /* why it is broken: "requires[0]: unknown container \"db\"" */
};

struct graph {
	struct graph_node *nodes;
	size_t n;
};

/* Warnings that do not break an entry (an unknown `wants`): node, message. */
typedef void (*graph_warn_fn) (void *data, size_t node, const char *msg);

/* names[i] / policies[i] describe entry i; policies[i] == NULL marks an
 * entry already broken (bad JSON, missing rootfs): it is a node so that
 * whoever requires it is blocked rather than told it does not exist. */
void graph_build (struct graph *g, size_t n, const char *const *names,
                  const struct policy *const *policies, graph_warn_fn warn, void *data);
void graph_free (struct graph *g);

/* Index of name, or (size_t)-1. */
size_t graph_find (const struct graph *g, const char *name);

/* What an entry's dependencies say about starting it now. */
enum graph_state {
	GS_PENDING,  /* not ready yet (waiting, starting) */
	GS_RETRYING, /* its start attempt failed; a restart is pending */
	GS_READY,   /* service ready, or oneshot exited 0 */
	GS_FAILED,  /* failed, broken, blocked, skipped or stopped: will not become ready */
};
enum graph_verdict { GV_WAIT, GV_GO, GV_BLOCKED };

/* *cause gets the dependency that blocks (GV_BLOCKED) or one it waits for. */
enum graph_verdict graph_check (const struct graph *g, size_t i, const enum graph_state *states,
                                size_t *cause);

/* True when some entry ordered after i (any edge kind) is still alive:
 * shutdown stops i only after all of those have stopped.  Cost: i's
 * dependents only. */
bool graph_has_live_dependent (const struct graph *g, size_t i, const bool *alive);

/* A start order compatible with every edge among non-broken entries
 * (broken ones last); order must hold g->n indices. */
void graph_topo_order (const struct graph *g, size_t *order);

#endif
