/* Dependency graph: ordering, cycles naming every member, unknown names,
 * and how requires / wants / after react to a failed dependency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "init/graph.h"
#include "lib/util.h"

#define MAXN 8

struct fixture {
	size_t n;
	const char *names[MAXN];
	struct policy pol[MAXN];
	const struct policy *pp[MAXN];
	struct graph g;
	char warnings[512];
};

static void warn (void *data, size_t node, const char *msg)
{
	struct fixture *f = data;
	size_t l = strlen (f->warnings);
	snprintf (f->warnings + l, sizeof f->warnings - l, "%zu:%s;", node, msg);
}

static void set_names (struct policy_names *pn, const char *list)
{
	char *dup, *tok, *save = NULL;

	if (list == NULL)
		return;
	dup = xstrdup (list);
	pn->v = xmalloc0 (MAXN * sizeof (char *));
	for (tok = strtok_r (dup, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
		pn->v[pn->n++] = xstrdup (tok);
	free (dup);
}

/* add NAME with space-separated requires / wants / after lists */
static void add (struct fixture *f, const char *name, const char *req, const char *wants,
                 const char *after)
{
	size_t i = f->n++;
	f->names[i] = name;
	policy_defaults (&f->pol[i]);
	set_names (&f->pol[i].requires, req);
	set_names (&f->pol[i].wants, wants);
	set_names (&f->pol[i].after, after);
	f->pp[i] = &f->pol[i];
}

static void build (struct fixture *f)
{
	graph_build (&f->g, f->n, f->names, f->pp, warn, f);
}

static void done (struct fixture *f)
{
	size_t i;
	graph_free (&f->g);
	for (i = 0; i < f->n; i++)
		policy_free (&f->pol[i]);
}

static size_t pos (const size_t *order, size_t n, size_t node)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (order[i] == node)
			return i;
	return (size_t)-1;
}

static void test_order (void **state)
{
	struct fixture f = {0};
	size_t order[MAXN];

	add (&f, "web", "net", NULL, "log");  /* 0 */
	add (&f, "check", "web", NULL, NULL); /* 1 */
	add (&f, "net", NULL, NULL, NULL);    /* 2 */
	add (&f, "log", NULL, NULL, NULL);    /* 3 */
	add (&f, "extra", NULL, "web", NULL); /* 4 */
	build (&f);
	for (size_t i = 0; i < f.n; i++)
		assert_false (f.g.nodes[i].broken);
	graph_topo_order (&f.g, order);
	assert_true (pos (order, f.n, 2) < pos (order, f.n, 0));
	assert_true (pos (order, f.n, 3) < pos (order, f.n, 0));
	assert_true (pos (order, f.n, 0) < pos (order, f.n, 1));
	assert_true (pos (order, f.n, 0) < pos (order, f.n, 4));
	assert_int_equal (graph_find (&f.g, "net"), 2);
	assert_int_equal (graph_find (&f.g, "nope"), (size_t)-1);
	assert_string_equal (f.warnings, "");
	done (&f);
}

static void test_gating (void **state)
{
	struct fixture f = {0};
	enum graph_state st[MAXN] = {0};
	size_t cause = 99;

	add (&f, "web", "net", "cache", "log"); /* 0 */
	add (&f, "net", NULL, NULL, NULL);      /* 1 */
	add (&f, "cache", NULL, NULL, NULL);    /* 2 */
	add (&f, "log", NULL, NULL, NULL);      /* 3 */
	build (&f);

	/* everything pending: web waits */
	assert_int_equal (graph_check (&f.g, 0, st, &cause), GV_WAIT);
	assert_int_equal (graph_check (&f.g, 1, st, &cause), GV_GO);
	/* net ready, the soft ones still pending */
	st[1] = GS_READY;
	assert_int_equal (graph_check (&f.g, 0, st, &cause), GV_WAIT);
	assert_int_equal (cause, 2);
	/* wants failed and after failed: web still starts */
	st[2] = GS_FAILED;
	st[3] = GS_FAILED;
	assert_int_equal (graph_check (&f.g, 0, st, &cause), GV_GO);
	/* the required one failed: blocked, naming it */
	st[1] = GS_FAILED;
	assert_int_equal (graph_check (&f.g, 0, st, &cause), GV_BLOCKED);
	assert_int_equal (cause, 1);
	/* a required failure blocks even while a soft dependency is pending */
	st[2] = GS_PENDING;
	assert_int_equal (graph_check (&f.g, 0, st, &cause), GV_BLOCKED);
	done (&f);
}

/* A dependency whose start failed and that is being restarted: `wants`
 * and `after` go on (systemd's After= waits for the start job, not for
 * its success), `requires` waits for the restart. */
static void test_gating_retrying (void **state)
{
	struct fixture f = {0};
	enum graph_state st[MAXN] = {0};
	size_t cause = 99;

	add (&f, "web", "net", "cache", "log"); /* 0 */
	add (&f, "net", NULL, NULL, NULL);      /* 1 */
	add (&f, "cache", NULL, NULL, NULL);    /* 2 */
	add (&f, "log", NULL, NULL, NULL);      /* 3 */
	build (&f);
	st[1] = GS_READY;
	st[2] = GS_RETRYING;
	st[3] = GS_RETRYING;
	assert_int_equal (graph_check (&f.g, 0, st, &cause), GV_GO);
	st[1] = GS_RETRYING;
	assert_int_equal (graph_check (&f.g, 0, st, &cause), GV_WAIT);
	assert_int_equal (cause, 1);
	/* the reverse edges: each dependency knows web, once */
	assert_int_equal (f.g.nodes[1].n_rdeps, 1);
	assert_int_equal (f.g.nodes[1].rdeps[0], 0);
	assert_int_equal (f.g.nodes[0].n_rdeps, 0);
	done (&f);
}

static void test_unknown (void **state)
{
	struct fixture f = {0};

	add (&f, "web", "net db", "cache", "clock");
	add (&f, "net", NULL, NULL, NULL);
	build (&f);
	assert_true (f.g.nodes[0].broken);
	assert_string_equal (
	        f.g.nodes[0].error,
	        "requires[1]: unknown container \"db\" (no such entry in containers.d)");
	assert_false (f.g.nodes[1].broken);
	assert_string_equal (f.warnings, "0:wants[0]: unknown container \"cache\", ignored;"
	                                 "0:after[0]: unknown container \"clock\", ignored;");
	done (&f);
}

static void test_cycles (void **state)
{
	struct fixture f = {0};
	size_t order[MAXN];

	add (&f, "a", "b", NULL, NULL);       /* 0 */
	add (&f, "b", NULL, NULL, "c");       /* 1 */
	add (&f, "c", NULL, "a", NULL);       /* 2 */
	add (&f, "d", "a", NULL, NULL);       /* 3: depends on the cycle, not in it */
	add (&f, "self", "self", NULL, NULL); /* 4 */
	add (&f, "free", NULL, NULL, NULL);   /* 5 */
	build (&f);
	assert_string_equal (
	        f.g.nodes[0].error,
	        "requires[0]: dependency cycle among a, b, c: a requires b, b after c, c wants a");
	assert_string_equal (
	        f.g.nodes[1].error,
	        "after[0]: dependency cycle among a, b, c: a requires b, b after c, c wants a");
	assert_string_equal (
	        f.g.nodes[2].error,
	        "wants[0]: dependency cycle among a, b, c: a requires b, b after c, c wants a");
	assert_false (f.g.nodes[3].broken); /* blocked at run time, through graph_check */
	assert_string_equal (f.g.nodes[4].error,
	                     "requires[0]: dependency cycle among self: self requires self");
	assert_false (f.g.nodes[5].broken);
	graph_topo_order (&f.g, order);
	/* healthy entries first, the broken ones after */
	assert_true (pos (order, f.n, 5) < pos (order, f.n, 0));
	done (&f);
}

static void test_two_cycles (void **state)
{
	struct fixture f = {0};

	add (&f, "x", "y", NULL, NULL);
	add (&f, "y", "x", NULL, NULL);
	add (&f, "p", NULL, "q", NULL);
	add (&f, "q", NULL, NULL, "p");
	build (&f);
	assert_string_equal (
	        f.g.nodes[1].error,
	        "requires[0]: dependency cycle among x, y: x requires y, y requires x");
	assert_string_equal (f.g.nodes[3].error,
	                     "after[0]: dependency cycle among p, q: p wants q, q after p");
	done (&f);
}

static void test_broken_entry_is_a_node (void **state)
{
	struct fixture f = {0};
	enum graph_state st[MAXN] = {0};
	size_t cause;

	add (&f, "bad", NULL, NULL, NULL);
	add (&f, "web", "bad", NULL, NULL);
	add (&f, "side", NULL, "bad", NULL);
	f.pp[0] = NULL; /* its keel.json did not parse */
	build (&f);
	assert_true (f.g.nodes[0].broken);
	assert_null (f.g.nodes[0].error); /* the caller has the parse error */
	assert_false (f.g.nodes[1].broken);
	st[0] = GS_FAILED;
	assert_int_equal (graph_check (&f.g, 1, st, &cause), GV_BLOCKED);
	assert_int_equal (cause, 0);
	assert_int_equal (graph_check (&f.g, 2, st, &cause), GV_GO);
	done (&f);
}

static void test_stop_order (void **state)
{
	struct fixture f = {0};
	bool alive[MAXN] = {true, true, true};

	add (&f, "net", NULL, NULL, NULL);
	add (&f, "web", "net", NULL, NULL);
	add (&f, "check", NULL, "web", NULL);
	build (&f);
	assert_true (graph_has_live_dependent (&f.g, 0, alive));
	assert_true (graph_has_live_dependent (&f.g, 1, alive));
	assert_false (graph_has_live_dependent (&f.g, 2, alive));
	alive[2] = false;
	assert_false (graph_has_live_dependent (&f.g, 1, alive));
	assert_true (graph_has_live_dependent (&f.g, 0, alive));
	alive[1] = false;
	assert_false (graph_has_live_dependent (&f.g, 0, alive));
	done (&f);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_order),      cmocka_unit_test (test_gating),
	        cmocka_unit_test (test_gating_retrying),
	        cmocka_unit_test (test_unknown),    cmocka_unit_test (test_cycles),
	        cmocka_unit_test (test_two_cycles), cmocka_unit_test (test_broken_entry_is_a_node),
	        cmocka_unit_test (test_stop_order),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
