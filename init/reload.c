/* keelctl reload / SIGHUP (see reload.h): fingerprints, the plan (pure),
 * and applying it through the unit state machine. */
#include "init/reload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "init/supervisor.h"
#include "lib/input.h"
#include "lib/util.h"

#define RELOAD_FILE_MAX (64u << 20) /* bound on what is hashed; larger: "unreadable" */

/* ---- fingerprints -------------------------------------------------------- */

uint64_t reload_hash (const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 14695981039346656037ull; /* FNV-1a 64 */
	size_t k;

	for (k = 0; k < len; k++) {
		h ^= p[k];
		h *= 1099511628211ull;
	}
	/* the length too, and never 0 (0 means absent) */
	h ^= (uint64_t)len * 0x9e3779b97f4a7c15ull;
	return h ? h : 1;
}

static uint64_t hash_file (const char *dir, const char *name)
{
	cleanup_free char *path = xasprintf ("%s/%s", dir, name);
	struct keel_error *err = NULL;
	char *buf = NULL;
	size_t len = 0;
	uint64_t h;

	if (input_read (path, NULL, RELOAD_FILE_MAX, &buf, &len, &err) < 0) {
		int absent = err && err->status == ENOENT;
		keel_error_release (&err);
		/* unreadable (a FIFO, too large): a value of its own, so a file
		 * that becomes unreadable is a change and validation says why */
		return absent ? 0 : 2;
	}
	h = reload_hash (buf, len);
	free (buf);
	return h;
}

void reload_fingerprint (const char *dir, const char *rootfs, struct entry_fp *fp)
{
	struct stat st;

	memset (fp, 0, sizeof (*fp));
	fp->taken = true;
	fp->config = hash_file (dir, "config.json");
	fp->policy = hash_file (dir, "keel.json");
	fp->tmpfiles = hash_file (dir, "tmpfiles.conf");
	if (rootfs && stat (rootfs, &st) == 0) {
		fp->has_root = true;
		fp->root_dev = (uint64_t)st.st_dev;
		fp->root_ino = (uint64_t)st.st_ino;
	}
}

unsigned reload_fp_diff (const struct entry_fp *a, const struct entry_fp *b)
{
	unsigned m = 0;

	if (a->config != b->config)
		m |= FP_CONFIG;
	if (a->policy != b->policy)
		m |= FP_POLICY;
	if (a->tmpfiles != b->tmpfiles)
		m |= FP_TMPFILES;
	if (a->has_root != b->has_root || a->root_dev != b->root_dev || a->root_ino != b->root_ino)
		m |= FP_ROOTFS;
	return m;
}

const char *reload_fp_describe (unsigned mask, char *buf, size_t cap)
{
	static const char *const names[] = {"config.json", "keel.json", "tmpfiles.conf", "rootfs"};
	size_t k, len = 0;

	if (cap == 0)
		return "";
	buf[0] = '\0';
	for (k = 0; k < 4; k++) {
		int n;
		if (!(mask & (1u << k)))
			continue;
		n = snprintf (buf + len, cap - len, "%s%s", len ? ", " : "", names[k]);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	return buf;
}

/* ---- the plan ---------------------------------------------------------------- */

const char *reload_action_name (enum reload_action a)
{
	static const char *const names[] = {
	        [RL_KEEP] = "keep",     [RL_ADD] = "add",       [RL_ADD_BROKEN] = "broken",
	        [RL_REMOVE] = "remove", [RL_CHANGE] = "change", [RL_BROKEN_EDIT] = "broken",
	};
	return a <= RL_BROKEN_EDIT ? names[a] : "?";
}

static void push (struct reload_plan *p, size_t *cap, struct reload_item it)
{
	if (p->n == *cap) {
		*cap = *cap * 2 + 8;
		p->v = xrealloc (p->v, *cap * sizeof (*p->v));
	}
	p->v[p->n++] = it;
	p->counts[it.action]++;
}

/* Post-order over the old dependencies among the items to stop: a
 * dependency is emitted before what depends on it; reversed, dependents
 * come first (the order stops go in). */
static void visit (const struct reload_entry *old, const size_t *item_of_old, const char *mark,
                   char *seen, size_t o, size_t *out, size_t *n_out)
{
	size_t k;

	if (seen[o])
		return; /* done, or on the path (a cycle: old broken entries only) */
	seen[o] = 1;
	for (k = 0; k < old[o].n_deps; k++) {
		size_t d = old[o].deps[k];
		if (mark[d])
			visit (old, item_of_old, mark, seen, d, out, n_out);
	}
	out[(*n_out)++] = item_of_old[o];
}

void reload_plan (const struct reload_entry *old, size_t n_old, const struct reload_entry *new,
                  size_t n_new, struct reload_plan *plan)
{
	size_t a = 0, b = 0, cap = 0, k;
	size_t *item_of_old = xmalloc0 ((n_old ? n_old : 1) * sizeof (size_t));
	char *mark = xmalloc0 (n_old ? n_old : 1), *seen = xmalloc0 (n_old ? n_old : 1);
	size_t *post;

	memset (plan, 0, sizeof (*plan));
	while (a < n_old || b < n_new) {
		int c = a == n_old ? 1 : b == n_new ? -1 : strcmp (old[a].name, new[b].name);
		struct reload_item it = {.old_i = (size_t)-1, .new_i = (size_t)-1};

		if (c < 0) {
			it.action = RL_REMOVE;
			it.name = old[a].name;
			it.old_i = a++;
		} else if (c > 0) {
			it.action = new[b].valid ? RL_ADD : RL_ADD_BROKEN;
			it.name = new[b].name;
			it.new_i = b++;
		} else {
			it.name = new[b].name;
			it.old_i = a;
			it.new_i = b;
			it.changed = reload_fp_diff (&old[a].fp, &new[b].fp);
			/* Same files but a different verdict (a dependency came or went):
			 * what the new graph says decides. */
			if (it.changed == 0 && old[a].valid == new[b].valid)
				it.action = RL_KEEP;
			else if (new[b].valid)
				it.action = RL_CHANGE;
			else
				it.action = RL_BROKEN_EDIT;
			a++, b++;
		}
		push (plan, &cap, it);
	}
	for (k = 0; k < plan->n; k++) {
		const struct reload_item *it = &plan->v[k];
		if (it->old_i == (size_t)-1)
			continue;
		item_of_old[it->old_i] = k;
		mark[it->old_i] = it->action == RL_REMOVE || it->action == RL_CHANGE;
	}
	post = xmalloc0 ((n_old ? n_old : 1) * sizeof (size_t));
	plan->stop = xmalloc0 ((n_old ? n_old : 1) * sizeof (size_t));
	for (k = 0; k < n_old; k++)
		if (mark[k])
			visit (old, item_of_old, mark, seen, k, post, &plan->n_stop);
	for (k = 0; k < plan->n_stop; k++)
		plan->stop[k] = post[plan->n_stop - 1 - k];
	free (post);
	free (item_of_old);
	free (mark);
	free (seen);
}

void reload_plan_free (struct reload_plan *plan)
{
	free (plan->v);
	free (plan->stop);
	memset (plan, 0, sizeof (*plan));
}

char *reload_plan_format (const struct reload_plan *plan, const struct reload_entry *old,
                          const struct reload_entry *new)
{
	struct buf b = {0};
	char what[96];
	size_t k;

	for (k = 0; k < plan->n; k++) {
		const struct reload_item *it = &plan->v[k];

		buf_put (&b, "%-7s %s", reload_action_name (it->action), it->name);
		switch (it->action) {
		case RL_KEEP:
			buf_put (&b, "%s\n", old[it->old_i].alive ? " (running, untouched)" : "");
			break;
		case RL_ADD:
			buf_put (&b, " (new: started)\n");
			break;
		case RL_REMOVE:
			buf_put (&b, " (gone from containers.d: stopped)\n");
			break;
		case RL_CHANGE:
			buf_put (&b, ": %s changed: restarted\n",
			     it->changed ? reload_fp_describe (it->changed, what, sizeof what)
			                 : "its dependencies");
			break;
		case RL_ADD_BROKEN:
			buf_put (&b, " (new, not started): %s\n", new[it->new_i].error);
			break;
		case RL_BROKEN_EDIT:
			buf_put (&b, " (%s): %s\n",
			     old[it->old_i].valid ? "the old one keeps running" : "still broken",
			     new[it->new_i].error);
			break;
		}
	}
	if (plan->n_stop) {
		buf_put (&b, "stop order:");
		for (k = 0; k < plan->n_stop; k++)
			buf_put (&b, " %s", plan->v[plan->stop[k]].name);
		buf_put (&b, "\n");
	}
	buf_put (&b, "%zu kept, %zu added, %zu removed, %zu changed, %zu broken\n",
	     plan->counts[RL_KEEP], plan->counts[RL_ADD], plan->counts[RL_REMOVE],
	     plan->counts[RL_CHANGE], plan->counts[RL_ADD_BROKEN] + plan->counts[RL_BROKEN_EDIT]);
	return b.p;
}

/* ---- applying it ------------------------------------------------------------ */

struct reload {
	struct unit *fresh; /* containers.d as read now, by name */
	size_t n_fresh;
	struct reload_plan plan;
	size_t *old_unit; /* old list index -> s->units index */
	size_t n_old;
	bool *pending; /* per s->units index: to be held (removed or changed) */
	bool *sent;    /* UE_REPLACE sent */
	bool *taken;   /* fresh[k] was moved into s->units */
};

static void free_fresh (struct unit *u)
{
	unit_free_entry (u);
	memset (u, 0, sizeof (*u));
}

static void reload_state_free (struct reload *r)
{
	size_t k;

	if (r == NULL)
		return;
	for (k = 0; k < r->n_fresh; k++)
		if (!r->taken[k])
			free_fresh (&r->fresh[k]);
	free (r->fresh);
	reload_plan_free (&r->plan);
	free (r->old_unit);
	free (r->pending);
	free (r->sent);
	free (r->taken);
	free (r);
}

static void no_warning (void *data, size_t node, const char *msg)
{
	(void)data, (void)node, (void)msg;
}

/* containers.d now, each entry validated as at boot (entries.c), the
 * dependency graph of the new set checked too. */
static int read_fresh (struct sup *s, bool report, struct reload *r, struct keel_error **err)
{
	char **names = NULL;
	size_t n = 0, i;
	const char **gnames;
	const struct policy **pols;
	struct graph g = {0};

	if (sup_list_entries (s->opts->dir, &names, &n, err) < 0)
		return -1;
	r->fresh = xmalloc0 ((n ? n : 1) * sizeof (struct unit));
	r->taken = xmalloc0 ((n ? n : 1) * sizeof (bool));
	r->n_fresh = n;
	for (i = 0; i < n; i++) {
		struct unit *u = &r->fresh[i];
		u->name = names[i];
		u->dir = xasprintf ("%s/%s", s->opts->dir, u->name);
		u->policy_file = xasprintf ("%s/keel.json", u->dir);
		u->helper_fd = u->log_r = u->log_w = u->notify_fd = -1;
		policy_defaults (&u->policy);
		sup_load_entry (s, u, report);
	}
	free (names);
	gnames = xmalloc0 ((n ? n : 1) * sizeof (char *));
	pols = xmalloc0 ((n ? n : 1) * sizeof (struct policy *));
	for (i = 0; i < n; i++) {
		gnames[i] = r->fresh[i].name;
		pols[i] = r->fresh[i].state == U_FAILED ? NULL : &r->fresh[i].policy;
	}
	graph_build (&g, n, gnames, pols, no_warning, NULL);
	for (i = 0; i < n; i++) {
		struct unit *u = &r->fresh[i];
		if (g.nodes[i].error != NULL && u->state != U_FAILED) {
			char *m = xasprintf ("%s: %s", u->policy_file, g.nodes[i].error);
			if (report)
				console_status (s->con, CS_FAIL, "%s", m);
			unit_mark_broken (u, m);
		}
	}
	graph_free (&g);
	free (gnames);
	free (pols);
	return 0;
}

static const struct unit *sort_units; /* for cmp_unit_name (qsort has no argument) */

static int cmp_unit_name (const void *a, const void *b)
{
	return strcmp (sort_units[*(const size_t *)a].name, sort_units[*(const size_t *)b].name);
}

static bool unit_valid (const struct sup *s, size_t i)
{
	return s->units[i].spec != NULL && !s->graph.nodes[i].broken;
}

char *reload_request (struct sup *s, bool dry_run)
{
	struct keel_error *err = NULL;
	struct reload *r;
	struct reload_entry *old, *new;
	size_t *old_index, n_old = 0, i, k;
	size_t **deps;
	char *text, *reply;

	if (s->shutting_down)
		return xstrdup ("error: shutting down\n");
	if (s->reload)
		return xstrdup ("error: a reload is under way\n");
	r = xmalloc0 (sizeof (*r));
	if (read_fresh (s, !dry_run, r, &err) < 0) {
		char *m = keel_error_take (&err);
		reply = xasprintf ("error: reload: %s\n", m);
		free (m);
		reload_state_free (r);
		return reply;
	}
	/* the old side: every unit but the removed ones */
	old_index = xmalloc0 ((s->n_units ? s->n_units : 1) * sizeof (size_t));
	old = xmalloc0 ((s->n_units ? s->n_units : 1) * sizeof (*old));
	deps = xmalloc0 ((s->n_units ? s->n_units : 1) * sizeof (*deps));
	/* by name, as the plan wants: units a reload added sit at the end */
	{
		size_t *order = xmalloc0 ((s->n_units ? s->n_units : 1) * sizeof (size_t));
		size_t n = 0;

		for (i = 0; i < s->n_units; i++) {
			old_index[i] = (size_t)-1;
			if (s->units[i].state != U_REMOVED)
				order[n++] = i;
		}
		sort_units = s->units;
		qsort (order, n, sizeof (size_t), cmp_unit_name);
		for (k = 0; k < n; k++)
			old_index[order[k]] = k;
		n_old = n;
		free (order);
	}
	r->old_unit = xmalloc0 ((n_old ? n_old : 1) * sizeof (size_t));
	r->n_old = n_old;
	for (i = 0; i < s->n_units; i++) {
		const struct unit *u = &s->units[i];
		const struct graph_node *node = &s->graph.nodes[i];
		size_t o = old_index[i];

		if (o == (size_t)-1)
			continue;
		r->old_unit[o] = i;
		old[o].name = u->name;
		old[o].valid = unit_valid (s, i);
		old[o].error = u->error;
		old[o].fp = u->fp;
		old[o].alive = unit_alive (u);
		deps[o] = xmalloc0 ((node->n_deps ? node->n_deps : 1) * sizeof (size_t));
		for (k = 0; k < node->n_deps; k++)
			if (old_index[node->deps[k].to] != (size_t)-1)
				deps[o][old[o].n_deps++] = old_index[node->deps[k].to];
		old[o].deps = deps[o];
	}
	new = xmalloc0 ((r->n_fresh ? r->n_fresh : 1) * sizeof (*new));
	for (k = 0; k < r->n_fresh; k++) {
		new[k].name = r->fresh[k].name;
		new[k].valid = r->fresh[k].state != U_FAILED;
		new[k].error = r->fresh[k].error;
		new[k].fp = r->fresh[k].fp;
	}
	reload_plan (old, n_old, new, r->n_fresh, &r->plan);
	text = reload_plan_format (&r->plan, old, new);
	reply = xasprintf ("ok\n%s%s", dry_run ? "dry run: nothing done\n" : "", text);
	free (text);
	for (k = 0; k < n_old; k++)
		free (deps[k]);
	free (deps);
	free (old);
	free (new);
	free (old_index);
	if (dry_run) {
		reload_state_free (r);
		return reply;
	}

	/* Mark what is stopped; reload_step sends the stops as dependents go down. */
	r->pending = xmalloc0 (s->cap_units * sizeof (bool));
	r->sent = xmalloc0 (s->cap_units * sizeof (bool));
	for (k = 0; k < r->plan.n; k++) {
		const struct reload_item *it = &r->plan.v[k];
		size_t ui = it->old_i == (size_t)-1 ? (size_t)-1 : r->old_unit[it->old_i];

		switch (it->action) {
		case RL_REMOVE:
			r->pending[ui] = true;
			s->units[ui].replacement = NULL;
			break;
		case RL_CHANGE:
			r->pending[ui] = true;
			s->units[ui].replacement = &r->fresh[it->new_i];
			r->taken[it->new_i] = true; /* its files move into the unit */
			break;
		case RL_BROKEN_EDIT:
			if (unit_valid (s, ui)) {
				console_status (
				        s->con, CS_WARN,
				        "Reload: %s keeps running as it was: its new files are "
				        "broken",
				        it->name);
				break;
			}
			/* broken before and broken now: take the new error */
			r->pending[ui] = true;
			s->units[ui].replacement = &r->fresh[it->new_i];
			r->taken[it->new_i] = true;
			break;
		default:
			break;
		}
	}
	console_status (s->con, CS_INFO,
	                "Reloading containers.d: %zu to add, %zu to remove, %zu to restart, %zu "
	                "broken, %zu kept",
	                r->plan.counts[RL_ADD] + r->plan.counts[RL_ADD_BROKEN],
	                r->plan.counts[RL_REMOVE], r->plan.counts[RL_CHANGE],
	                r->plan.counts[RL_ADD_BROKEN] + r->plan.counts[RL_BROKEN_EDIT],
	                r->plan.counts[RL_KEEP]);
	s->reload = r;
	reload_step (s);
	return reply;
}

void reload_on_signal (struct sup *s)
{
	cleanup_free char *reply = reload_request (s, false);
	char *line = reply, *nl;

	for (; line && *line; line = nl + 1) {
		nl = strchr (line, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		if (strcmp (line, "ok") != 0)
			console_status (s->con,
			                strncmp (line, "error:", 6) == 0 ? CS_FAIL : CS_INFO,
			                "SIGHUP reload: %s", line);
	}
}

bool reload_busy (const struct sup *s)
{
	return s->reload != NULL;
}

/* Give a unit back its old files (now in u->replacement after UE_RELOADED)
 * to free. */
static void release_old (struct unit *u)
{
	struct unit *r = u->replacement;

	u->replacement = NULL;
	if (r == NULL)
		return;
	/* the unit kept its own name, dir and policy_file: the read's copies
	 * go too (an update's every reload leaked them) */
	unit_free_entry (r);
	memset (r, 0, sizeof (*r));
}

/* A new entry: into a removed one's slot of the same name, else at the end. */
static void add_unit (struct sup *s, struct reload *r, size_t k)
{
	struct unit *f = &r->fresh[k], *u;
	size_t i;

	for (i = 0; i < s->n_units; i++) {
		if (s->units[i].state == U_REMOVED && strcmp (s->units[i].name, f->name) == 0) {
			s->units[i].replacement = f;
			r->taken[k] = true;
			r->pending[i] = true; /* UE_RELOADED below */
			return;
		}
	}
	if (s->n_units == s->cap_units) {
		console_status (s->con, CS_FAIL,
		                "Reload: %s not added: %d entries were already added since boot "
		                "(restart keel to add more)",
		                f->name, RELOAD_SPARE_UNITS);
		return;
	}
	u = &s->units[s->n_units++];
	memset (u, 0, sizeof (*u));
	u->name = f->name;
	u->dir = f->dir;
	u->policy_file = f->policy_file;
	u->policy = f->policy;
	u->has_policy = f->has_policy;
	u->spec = f->spec;
	u->tmpfiles = f->tmpfiles;
	u->fp = f->fp;
	u->error = f->error;
	u->state = f->state; /* waiting, failed (broken) or skipped, as read */
	u->helper_fd = u->log_r = u->log_w = u->notify_fd = -1;
	u->w_log.fd = u->w_helper.fd = u->w_notify.fd = -1;
	restart_init (&u->restart, &u->policy);
	logsink_init (&u->log, u->name, u->policy.log_ring_size, u->policy.log_console,
	              u->policy.log_file, u->policy.log_rotate_size, u->policy.log_rotate_count);
	memset (f, 0, sizeof (*f));
	r->taken[k] = true;
}

static void graph_warning (void *data, size_t node, const char *msg)
{
	struct sup *s = data;
	console_status (s->con, CS_WARN, "%s: %s", s->units[node].policy_file, msg);
}

/* Every held unit is down: new graph, new units, new files, go. */
static void finish (struct sup *s, struct reload *r)
{
	size_t n_before = s->n_units, i, k;
	const char **names;
	const struct policy **pols;

	for (k = 0; k < r->plan.n; k++) {
		const struct reload_item *it = &r->plan.v[k];
		if (it->action == RL_ADD || it->action == RL_ADD_BROKEN)
			add_unit (s, r, it->new_i);
	}
	names = xmalloc0 (s->n_units * sizeof (char *));
	pols = xmalloc0 (s->n_units * sizeof (struct policy *));
	for (i = 0; i < s->n_units; i++) {
		struct unit *u = &s->units[i];
		const struct unit *src = r->pending[i] ? u->replacement : u;
		bool broken;

		if (r->pending[i] || i >= n_before) /* as read now: failed means broken */
			broken = src == NULL || src->spec == NULL || src->state == U_FAILED;
		else /* kept: its files and their verdict are unchanged (else: a change) */
			broken = u->spec == NULL || u->state == U_REMOVED;
		names[i] = u->name;
		pols[i] = broken ? NULL : &src->policy;
	}
	graph_free (&s->graph);
	graph_build (&s->graph, s->n_units, names, pols, graph_warning, s);
	free (names);
	free (pols);
	unit_set_grow (&s->set, s->n_units);
	for (i = 0; i < s->n_units; i++) {
		if (!r->pending[i])
			continue;
		if (unit_event (&s->set, i, UE_RELOADED, 0) < 0)
			s->units[i].replacement = NULL; /* stopped by a shutdown meanwhile */
		else
			release_old (&s->units[i]);
	}
	/* Kept units that the new graph breaks (a requirement removed) keep
	 * running; say so. */
	for (i = 0; i < n_before; i++)
		if (!r->pending[i] && s->graph.nodes[i].broken && s->units[i].state != U_REMOVED &&
		    unit_alive (&s->units[i]))
			console_status (s->con, CS_WARN, "Reload: %s keeps running, but: %s",
			                s->units[i].name, s->graph.nodes[i].error);
	health_reindex (s);
	console_status (s->con, CS_OK, "Reloaded containers.d.");
}

void reload_free (struct sup *s);

void reload_step (struct sup *s)
{
	struct reload *r = s->reload;
	bool all_held = true;
	size_t k, j;

	if (r == NULL)
		return;
	if (s->shutting_down) {
		/* the shutdown stops everything; the new files are not needed */
		reload_free (s);
		return;
	}
	for (k = 0; k < r->plan.n_stop; k++) {
		const struct reload_item *it = &r->plan.v[r->plan.stop[k]];
		size_t ui = r->old_unit[it->old_i];
		const struct graph_node *node = &s->graph.nodes[ui];
		bool wait = false;

		if (r->sent[ui]) {
			all_held = all_held && s->units[ui].state == U_HELD;
			continue;
		}
		/* Reverse dependency order: once whatever being stopped depends
		 * on it (through any edge of the old graph) is down. */
		for (j = 0; j < node->n_rdeps; j++) {
			size_t d = node->rdeps[j];
			if (r->pending[d] && s->units[d].state != U_HELD)
				wait = true;
		}
		if (wait) {
			all_held = false;
			continue;
		}
		r->sent[ui] = true;
		if (unit_event (&s->set, ui, UE_REPLACE, 0) < 0 && s->units[ui].state != U_HELD)
			console_status (s->con, CS_WARN,
			                "Reload: %s: cannot be stopped in state %s", it->name,
			                unit_state_name (s->units[ui].state));
		all_held = all_held && s->units[ui].state == U_HELD;
	}
	/* entries broken before and after (nothing runs, not in the stop
	 * order) are held at once, to take their new error */
	for (k = 0; k < r->plan.n; k++) {
		const struct reload_item *it = &r->plan.v[k];
		size_t ui;

		if (it->action != RL_BROKEN_EDIT)
			continue;
		ui = r->old_unit[it->old_i];
		if (!r->pending[ui] || r->sent[ui])
			continue;
		r->sent[ui] = true;
		unit_event (&s->set, ui, UE_REPLACE, 0);
		all_held = all_held && s->units[ui].state == U_HELD;
	}
	if (!all_held)
		return;
	s->reload = NULL;
	finish (s, r);
	reload_state_free (r);
}

void reload_free (struct sup *s)
{
	struct reload *r = s->reload;
	size_t k;

	if (r == NULL)
		return;
	for (k = 0; k < s->n_units; k++) {
		struct unit *f = s->units[k].replacement;
		if (!r->pending[k])
			continue;
		/* new files never taken: freed with the rest */
		if (f && f >= r->fresh && f < r->fresh + r->n_fresh)
			r->taken[f - r->fresh] = false;
		s->units[k].replacement = NULL;
	}
	reload_state_free (r);
	s->reload = NULL;
}
