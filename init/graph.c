/* Dependency graph: name resolution, cycle detection, start/stop gating. */
#include "init/graph.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define NONE ((size_t)-1)

static const char *kind_key (enum dep_kind k)
{
	switch (k) {
	case DEP_REQUIRES:
		return "requires";
	case DEP_WANTS:
		return "wants";
	case DEP_AFTER:
		return "after";
	}
	return "?";
}

size_t graph_find (const struct graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp (g->nodes[i].name, name) == 0)
			return i;
	return NONE;
}

static void set_error (struct graph_node *node, char *msg)
{
	node->broken = true;
	if (node->error == NULL)
		node->error = msg;
	else
		free (msg);
}

static void add_deps (struct graph *g, size_t i, const struct policy_names *names,
                      enum dep_kind kind, graph_warn_fn warn, void *data)
{
	struct graph_node *node = &g->nodes[i];
	size_t k;

	for (k = 0; k < names->n; k++) {
		size_t to = graph_find (g, names->v[k]);

		if (to == NONE && kind == DEP_REQUIRES) {
			set_error (node, xasprintf ("%s[%zu]: unknown container \"%s\" (no "
			                            "such entry in containers.d)",
			                            kind_key (kind), k, names->v[k]));
			continue;
		}
		if (to == NONE) {
			cleanup_free char *msg =
			        xasprintf ("%s[%zu]: unknown container \"%s\", ignored",
			                   kind_key (kind), k, names->v[k]);
			if (warn)
				warn (data, i, msg);
			continue;
		}
		node->deps[node->n_deps++] = (struct graph_dep){.to = to, .kind = kind, .index = k};
	}
}

/* ---- Tarjan's strongly connected components ------------------------- */

struct tarjan {
	struct graph *g;
	size_t *index, *low, *stack, sp, next;
	bool *on_stack;
	size_t *comp; /* component id per node */
	size_t n_comp;
};

static void strongconnect (struct tarjan *t, size_t v)
{
	struct graph_node *node = &t->g->nodes[v];
	size_t k;

	t->index[v] = t->low[v] = t->next++;
	t->stack[t->sp++] = v;
	t->on_stack[v] = true;
	for (k = 0; k < node->n_deps; k++) {
		size_t w = node->deps[k].to;
		if (t->index[w] == NONE) {
			strongconnect (t, w);
			if (t->low[w] < t->low[v])
				t->low[v] = t->low[w];
		} else if (t->on_stack[w] && t->index[w] < t->low[v]) {
			t->low[v] = t->index[w];
		}
	}
	if (t->low[v] == t->index[v]) {
		size_t w;
		do {
			w = t->stack[--t->sp];
			t->on_stack[w] = false;
			t->comp[w] = t->n_comp;
		} while (w != v);
		t->n_comp++;
	}
}

/* "a, b, c: a requires b, b after c, c wants a" for one component. */
static char *describe_cycle (const struct graph *g, const size_t *comp, size_t c)
{
	char *members = xstrdup (""), *edges = xstrdup (""), *t;
	size_t i, k;

	for (i = 0; i < g->n; i++) {
		if (comp[i] != c)
			continue;
		t = xasprintf ("%s%s%s", members, *members ? ", " : "", g->nodes[i].name);
		free (members);
		members = t;
		for (k = 0; k < g->nodes[i].n_deps; k++) {
			const struct graph_dep *d = &g->nodes[i].deps[k];
			if (comp[d->to] != c)
				continue;
			t = xasprintf ("%s%s%s %s %s", edges, *edges ? ", " : "", g->nodes[i].name,
			               kind_key (d->kind), g->nodes[d->to].name);
			free (edges);
			edges = t;
		}
	}
	t = xasprintf ("%s: %s", members, edges);
	free (members);
	free (edges);
	return t;
}

static void find_cycles (struct graph *g)
{
	struct tarjan t = {.g = g};
	size_t *size, i, k;

	t.index = xmalloc0 (g->n * sizeof (size_t));
	t.low = xmalloc0 (g->n * sizeof (size_t));
	t.stack = xmalloc0 (g->n * sizeof (size_t));
	t.comp = xmalloc0 (g->n * sizeof (size_t));
	t.on_stack = xmalloc0 (g->n * sizeof (bool));
	for (i = 0; i < g->n; i++)
		t.index[i] = NONE;
	for (i = 0; i < g->n; i++)
		if (t.index[i] == NONE)
			strongconnect (&t, i);

	size = xmalloc0 ((t.n_comp + 1) * sizeof (size_t));
	for (i = 0; i < g->n; i++)
		size[t.comp[i]]++;
	for (i = 0; i < g->n; i++) {
		struct graph_node *node = &g->nodes[i];
		const struct graph_dep *first = NULL;

		for (k = 0; k < node->n_deps && first == NULL; k++)
			if (t.comp[node->deps[k].to] == t.comp[i])
				first = &node->deps[k];
		if (first == NULL) /* no edge inside its component: not on a cycle */
			continue;
		cleanup_free char *cycle = describe_cycle (g, t.comp, t.comp[i]);
		set_error (node, xasprintf ("%s[%zu]: dependency cycle among %s",
		                            kind_key (first->kind), first->index, cycle));
	}
	free (size);
	free (t.index);
	free (t.low);
	free (t.stack);
	free (t.comp);
	free (t.on_stack);
}

/* The reverse edges, so that a change of one entry looks at its own
 * dependents only, never at the whole graph. */
static void build_rdeps (struct graph *g)
{
	size_t i, k;

	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->nodes[i].n_deps; k++)
			g->nodes[g->nodes[i].deps[k].to].n_rdeps++;
	for (i = 0; i < g->n; i++) {
		g->nodes[i].rdeps = xmalloc0 ((g->nodes[i].n_rdeps + 1) * sizeof (size_t));
		g->nodes[i].n_rdeps = 0;
	}
	for (i = 0; i < g->n; i++) {
		struct graph_node *node = &g->nodes[i];
		for (k = 0; k < node->n_deps; k++) {
			struct graph_node *to = &g->nodes[node->deps[k].to];
			/* several edges i -> to (requires and after): once */
			if (to->n_rdeps > 0 && to->rdeps[to->n_rdeps - 1] == i)
				continue;
			to->rdeps[to->n_rdeps++] = i;
		}
	}
}

void graph_build (struct graph *g, size_t n, const char *const *names,
                  const struct policy *const *policies, graph_warn_fn warn, void *data)
{
	size_t i;

	g->n = n;
	g->nodes = xmalloc0 ((n ? n : 1) * sizeof (*g->nodes));
	for (i = 0; i < n; i++)
		g->nodes[i].name = names[i];
	for (i = 0; i < n; i++) {
		const struct policy *p = policies[i];
		struct graph_node *node = &g->nodes[i];

		if (p == NULL) {
			node->broken = true;
			continue;
		}
		node->deps = xmalloc0 ((p->requires.n + p->wants.n + p->after.n + 1) *
		                       sizeof (*node->deps));
		add_deps (g, i, &p->requires, DEP_REQUIRES, warn, data);
		add_deps (g, i, &p->wants, DEP_WANTS, warn, data);
		add_deps (g, i, &p->after, DEP_AFTER, warn, data);
	}
	build_rdeps (g);
	find_cycles (g);
}

void graph_free (struct graph *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free (g->nodes[i].deps);
		free (g->nodes[i].rdeps);
		free (g->nodes[i].error);
	}
	free (g->nodes);
	g->nodes = NULL;
	g->n = 0;
}

enum graph_verdict graph_check (const struct graph *g, size_t i, const enum graph_state *states,
                                size_t *cause)
{
	const struct graph_node *node = &g->nodes[i];
	enum graph_verdict v = GV_GO;
	size_t k;

	for (k = 0; k < node->n_deps; k++) {
		const struct graph_dep *d = &node->deps[k];
		enum graph_state s = states[d->to];

		if (s == GS_FAILED && d->kind == DEP_REQUIRES) {
			if (cause)
				*cause = d->to;
			return GV_BLOCKED;
		}
		/* After= semantics: only a requirement waits for a restart. */
		if ((s == GS_PENDING || (s == GS_RETRYING && d->kind == DEP_REQUIRES)) &&
		    v == GV_GO) {
			v = GV_WAIT;
			if (cause)
				*cause = d->to;
		}
	}
	return v;
}

bool graph_has_live_dependent (const struct graph *g, size_t i, const bool *alive)
{
	const struct graph_node *node = &g->nodes[i];
	size_t k;

	for (k = 0; k < node->n_rdeps; k++)
		if (node->rdeps[k] != i && alive[node->rdeps[k]])
			return true;
	return false;
}

void graph_topo_order (const struct graph *g, size_t *order)
{
	size_t *missing = xmalloc0 ((g->n ? g->n : 1) * sizeof (size_t));
	bool *done = xmalloc0 ((g->n ? g->n : 1) * sizeof (bool));
	size_t i, k, n_out = 0;
	bool progress = true;

	/* Kahn's algorithm, lowest index first among the ready ones so the
	 * order is stable for a given containers.d. */
	while (progress) {
		progress = false;
		for (i = 0; i < g->n; i++) {
			if (done[i] || g->nodes[i].broken)
				continue;
			missing[i] = 0;
			for (k = 0; k < g->nodes[i].n_deps; k++) {
				size_t to = g->nodes[i].deps[k].to;
				if (!done[to] && !g->nodes[to].broken)
					missing[i]++;
			}
			if (missing[i] == 0) {
				done[i] = true;
				order[n_out++] = i;
				progress = true;
				break;
			}
		}
	}
	for (i = 0; i < g->n; i++)
		if (!done[i])
			order[n_out++] = i;
	free (missing);
	free (done);
}
