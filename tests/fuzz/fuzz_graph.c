/* libFuzzer target for the dependency graph of containers.d
 * (init/graph.c: graph_build's name resolution and Tarjan cycle search,
 * graph_topo_order).  The input describes up to 16 entries: byte 0 the
 * count, byte 1 which of the first 8 are already broken (no policy), then
 * pairs (entry, edge): the edge's kind (requires, wants, after) and its
 * target, an entry or an unknown name.  Lists follow keel.json's rules
 * (valid names, no name twice in one list, at most POLICY_MAX_DEPS).
 *
 * Checked against a reachability oracle: an entry is broken exactly when
 * it had no policy, requires an unknown name or lies on a cycle (of any
 * edge kinds); a broken entry with a policy says why in one line; the
 * topological order is a permutation that starts every sound entry after
 * its sound dependencies and puts broken ones last.  Never a crash, leak
 * or undefined behaviour. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/graph.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_N 16

static void add_name (struct policy_names *l, const char *name)
{
	size_t i;

	if (l->n == POLICY_MAX_DEPS)
		return;
	for (i = 0; i < l->n; i++)
		if (strcmp (l->v[i], name) == 0)
			return;
	if (l->v == NULL)
		l->v = xmalloc0 ((POLICY_MAX_DEPS + 1) * sizeof (char *));
	l->v[l->n++] = xstrdup (name);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	char names[MAX_N][8];
	const char *name_v[MAX_N];
	struct policy pol[MAX_N];
	const struct policy *pols[MAX_N];
	bool edge[MAX_N][MAX_N] = {{false}}, reach[MAX_N][MAX_N], unknown_req[MAX_N] = {false};
	size_t order[MAX_N], seen[MAX_N] = {0}, pos[MAX_N];
	struct graph g;
	size_t n, i, j, k;

	if (size < 2)
		return 0;
	n = 1 + data[0] % MAX_N;
	for (i = 0; i < n; i++) {
		snprintf (names[i], sizeof names[i], "e%zu", i);
		name_v[i] = names[i];
		policy_defaults (&pol[i]);
		pols[i] = i < 8 && (data[1] >> i) & 1 ? NULL : &pol[i];
	}
	for (k = 2; k + 1 < size; k += 2) {
		size_t from = data[k] % n, to = data[k + 1] & 31;
		unsigned kind = (data[k + 1] >> 5) % 3;
		struct policy_names *l = kind == 0   ? &pol[from].requires
		                         : kind == 1 ? &pol[from].wants
		                                     : &pol[from].after;
		char target[8];

		if (pols[from] == NULL)
			continue;
		snprintf (target, sizeof target, "%s%zu", to < n ? "e" : "u", to);
		add_name (l, target);
		if (to < n)
			edge[from][to] = true;
		else if (kind == 0)
			unknown_req[from] = true;
	}
	/* A list capped at POLICY_MAX_DEPS dropped names: recompute the
	 * oracle's edges from what the policies hold. */
	memset (edge, 0, sizeof edge);
	memset (unknown_req, 0, sizeof unknown_req);
	for (i = 0; i < n; i++) {
		const struct policy_names *ls[3] = {&pol[i].requires, &pol[i].wants, &pol[i].after};
		if (pols[i] == NULL)
			continue;
		for (k = 0; k < 3; k++)
			for (j = 0; j < ls[k]->n; j++) {
				size_t to = strtoul (ls[k]->v[j] + 1, NULL, 10);
				if (ls[k]->v[j][0] == 'e')
					edge[i][to] = true;
				else if (k == 0)
					unknown_req[i] = true;
			}
	}
	memcpy (reach, edge, sizeof reach); /* Warshall */
	for (k = 0; k < n; k++)
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				reach[i][j] = reach[i][j] || (reach[i][k] && reach[k][j]);

	graph_build (&g, n, name_v, pols, NULL, NULL);
	if (g.n != n)
		abort ();
	for (i = 0; i < n; i++) {
		const struct graph_node *node = &g.nodes[i];
		bool want = pols[i] == NULL || unknown_req[i] || reach[i][i];
		if (node->broken != want)
			abort ();
		if (pols[i] != NULL && node->broken != (node->error != NULL))
			abort ();
		if (node->error && strchr (node->error, '\n') != NULL)
			abort ();
	}
	graph_topo_order (&g, order);
	for (i = 0; i < n; i++) {
		if (order[i] >= n || seen[order[i]]++)
			abort (); /* not a permutation */
		pos[order[i]] = i;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			if (g.nodes[i].broken || g.nodes[j].broken) {
				if (g.nodes[i].broken && !g.nodes[j].broken && pos[i] < pos[j])
					abort (); /* broken entries come last */
				continue;
			}
			if (edge[i][j] && pos[j] > pos[i])
				abort (); /* started before its dependency */
		}
	}
	graph_free (&g);
	for (i = 0; i < n; i++)
		policy_free (&pol[i]);
	return 0;
}
