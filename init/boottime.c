/* keelctl boot-time: phases from PID 1's stamps, as text, JSON or SVG
 * (see boottime.h).  Client side only. */
#include "init/boottime.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

enum phase { PH_DEPS, PH_DEVICES, PH_CREATE, PH_START, PH_READY, PH_N };

static const char *const phase_names[PH_N] = {"deps", "devices", "create", "start", "ready"};
/* the chart's colours (and the legend's) */
static const char *const phase_colors[PH_N] = {"#d0d4da", "#f2c94c", "#4a90d9", "#27ae60",
                                               "#e67e22"};

struct bt_unit {
	char *name, *kind, *state;
	uint64_t loaded, devwait, starting, created, running, ready, done, failed, blocked;
	uint64_t end;         /* ready, done, or failed/blocked: 0 when none yet */
	const char *how;      /* "ready", "done", "failed", "blocked", or NULL */
	uint64_t ph[PH_N][2]; /* begin, end; begin == end: none */
	size_t *deps;
	size_t n_deps;
};

struct bt {
	bool boot;       /* keel is the machine's init: 0 is the kernel's start */
	uint64_t origin; /* the time axis' 0: the kernel's start, else keel's */
	uint64_t now, keel_start, setup_done, loaded, settled;
	/* keel's first instruction, before the re-exec from its protected
	 * copy (keel_start when unknown), and the end of leaving the
	 * initramfs (keel_start when none): keel_start .. switched is the
	 * switch root, switched .. setup_done the rest of the setup. */
	uint64_t first, switched;
	struct bt_unit *u;
	size_t n;
};

static uint64_t get_u64 (json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_int))
		return 0;
	return (uint64_t)json_object_get_int64 (v);
}

static char *get_str (json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
		return xstrdup ("?");
	return xstrdup (json_object_get_string (v));
}

static void set_phase (struct bt_unit *u, enum phase p, uint64_t from, uint64_t to)
{
	if (from && to && to > from) {
		u->ph[p][0] = from;
		u->ph[p][1] = to;
	}
}

/* The phases of one unit from its stamps (any may be 0: never). */
static void phases (struct bt_unit *u, uint64_t loaded)
{
	uint64_t wait_end = u->starting ? u->starting : u->end;

	u->loaded = loaded;
	if (u->devwait && u->devwait >= loaded) {
		set_phase (u, PH_DEPS, loaded, u->devwait);
		set_phase (u, PH_DEVICES, u->devwait, wait_end);
	} else {
		set_phase (u, PH_DEPS, loaded, wait_end);
	}
	if (u->created) {
		set_phase (u, PH_CREATE, u->starting, u->created);
		set_phase (u, PH_START, u->created, u->running ? u->running : u->end);
	} else {
		/* no report of its own: create and start as one */
		set_phase (u, PH_CREATE, u->starting, u->running ? u->running : u->end);
	}
	if (u->running)
		set_phase (u, PH_READY, u->running,
		           u->ready  ? u->ready
		           : u->done ? u->done
		                     : u->end);
}

static int parse (struct bt *b, const char *json, size_t len, struct keel_error **err)
{
	json_tokener *tok = json_tokener_new ();
	json_object *root, *units, *deps;
	size_t i, k;

	if (tok == NULL)
		return keel_error (err, ENOMEM, "boot-time: json tokener");
	root = json_tokener_parse_ex (tok, json, (int)len);
	json_tokener_free (tok);
	if (root == NULL || !json_object_object_get_ex (root, "units", &units) ||
	    !json_object_is_type (units, json_type_array)) {
		json_object_put (root);
		return keel_error (err, 0, "boot-time: keel's reply is not the expected JSON");
	}
	b->boot = json_object_object_get_ex (root, "boot", &deps) && json_object_get_boolean (deps);
	b->now = get_u64 (root, "now");
	b->keel_start = get_u64 (root, "keel_start");
	b->setup_done = get_u64 (root, "setup_done");
	b->loaded = get_u64 (root, "loaded");
	b->settled = get_u64 (root, "settled");
	b->first = get_u64 (root, "pid1_start");
	if (!b->boot || b->first == 0 || b->first > b->keel_start)
		b->first = b->keel_start;
	b->switched = get_u64 (root, "switched");
	if (b->switched < b->keel_start || b->switched > b->setup_done)
		b->switched = b->keel_start;
	b->n = json_object_array_length (units);
	b->u = xmalloc0 ((b->n ? b->n : 1) * sizeof (*b->u));
	for (i = 0; i < b->n; i++) {
		json_object *o = json_object_array_get_idx (units, i);
		struct bt_unit *u = &b->u[i];

		u->name = get_str (o, "name");
		u->kind = get_str (o, "kind");
		u->state = get_str (o, "state");
		u->devwait = get_u64 (o, "devwait");
		u->created = get_u64 (o, "created");
		u->starting = get_u64 (o, "starting");
		u->running = get_u64 (o, "running");
		u->ready = get_u64 (o, "ready");
		u->done = get_u64 (o, "done");
		u->failed = get_u64 (o, "failed");
		u->blocked = get_u64 (o, "blocked");
		/* what ended its startup: the first of ready/done, else a failure */
		u->end = u->ready && (!u->done || u->ready < u->done) ? u->ready : u->done;
		u->how = u->end == 0 ? NULL : u->end == u->ready ? "ready" : "done";
		if (u->end == 0 && (u->failed || u->blocked)) {
			u->end = u->failed && (!u->blocked || u->failed < u->blocked) ? u->failed
			                                                              : u->blocked;
			u->how = u->end == u->failed ? "failed" : "blocked";
		}
		phases (u, b->loaded);
	}
	/* dependencies by index, for the critical chain */
	for (i = 0; i < b->n; i++) {
		json_object *o = json_object_array_get_idx (units, i);
		if (!json_object_object_get_ex (o, "deps", &deps) ||
		    !json_object_is_type (deps, json_type_array))
			continue;
		b->u[i].deps = xmalloc0 ((json_object_array_length (deps) + 1) * sizeof (size_t));
		for (k = 0; k < json_object_array_length (deps); k++) {
			cleanup_free char *dn =
			        get_str (json_object_array_get_idx (deps, k), "name");
			size_t j;
			for (j = 0; j < b->n; j++)
				if (strcmp (b->u[j].name, dn) == 0)
					b->u[i].deps[b->u[i].n_deps++] = j;
		}
	}
	b->origin = b->boot ? 0 : b->keel_start;
	json_object_put (root);
	return 0;
}

static void bt_free (struct bt *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free (b->u[i].name);
		free (b->u[i].kind);
		free (b->u[i].state);
		free (b->u[i].deps);
	}
	free (b->u);
}

/* Milliseconds, as "1.234s" or "56.7ms". */
static const char *dur (char *buf, size_t cap, uint64_t us)
{
	if (us >= 1000000)
		snprintf (buf, cap, "%.3fs", (double)us / 1e6);
	else
		snprintf (buf, cap, "%.1fms", (double)us / 1e3);
	return buf;
}

static uint64_t phase_len (const struct bt_unit *u, enum phase p)
{
	return u->ph[p][1] - u->ph[p][0];
}

/* From the start helper's fork to ready/done: waiting excluded. */
static uint64_t active (const struct bt_unit *u)
{
	return u->starting && u->end > u->starting ? u->end - u->starting : 0;
}

/* The end of the startup: "Startup finished", else the last unit's end. */
static uint64_t finish (const struct bt *b)
{
	uint64_t t = b->settled;
	size_t i;

	if (t == 0)
		for (i = 0; i < b->n; i++)
			if (b->u[i].end > t)
				t = b->u[i].end;
	return t ? t : b->loaded;
}

static int by_active (const void *x, const void *y, void *arg)
{
	const struct bt *b = arg;
	uint64_t a = active (&b->u[*(const size_t *)x]), c = active (&b->u[*(const size_t *)y]);

	return a < c ? 1 : a > c ? -1 : 0;
}

/* The dependency that held unit i back longest: the one whose startup
 * ended last, before i began starting. */
static size_t chain_next (const struct bt *b, size_t i)
{
	size_t k, best = (size_t)-1;
	uint64_t best_end = 0;

	for (k = 0; k < b->u[i].n_deps; k++) {
		const struct bt_unit *d = &b->u[b->u[i].deps[k]];
		if (d->end && d->end >= best_end &&
		    (b->u[i].starting == 0 || d->end <= b->u[i].starting)) {
			best_end = d->end;
			best = b->u[i].deps[k];
		}
	}
	return best;
}

/* The chain ending at the unit that ended last; at most n steps. */
static size_t chain (const struct bt *b, size_t *out)
{
	size_t i, n = 0, last = (size_t)-1;
	uint64_t t = 0;

	for (i = 0; i < b->n; i++)
		if (b->u[i].end > t)
			t = b->u[i].end, last = i;
	for (i = last; i != (size_t)-1 && n < b->n; i = chain_next (b, i))
		out[n++] = i;
	return n;
}

static void render_text (const struct bt *b, FILE *out)
{
	char d1[32], d2[32], d3[32], d4[32];
	size_t *order = xmalloc0 ((b->n + 1) * sizeof (size_t)), *ch, n, i, k;
	uint64_t end = finish (b);

	if (b->boot)
		fprintf (out,
		         "Startup finished in %s (kernel) + %s (keel) + %s (containers) = %s%s\n",
		         dur (d1, sizeof d1, b->first), dur (d2, sizeof d2, b->loaded - b->first),
		         dur (d3, sizeof d3, end - b->loaded), dur (d4, sizeof d4, end),
		         b->settled ? "" : " (still starting)");
	else
		fprintf (out,
		         "Startup finished in %s (keel) + %s (containers) = %s%s\n"
		         "(keel is not the machine's init here: times count from its start)\n",
		         dur (d2, sizeof d2, b->loaded - b->keel_start),
		         dur (d3, sizeof d3, end - b->loaded), dur (d4, sizeof d4, end - b->origin),
		         b->settled ? "" : " (still starting)");
	if (b->first < b->keel_start || b->switched > b->keel_start)
		fprintf (out, "keel: %s protecting its binary, %s leaving the initramfs\n",
		         dur (d1, sizeof d1, b->keel_start - b->first),
		         dur (d2, sizeof d2, b->switched - b->keel_start));
	fprintf (out,
	         "keel: %s machine setup (mounts, modules, cgroups), %s reading containers.d\n",
	         dur (d1, sizeof d1, b->setup_done - b->switched),
	         dur (d2, sizeof d2, b->loaded - b->setup_done));
	fprintf (out, "\nblame (start helper to ready or done; waiting not counted):\n");
	for (i = 0; i < b->n; i++)
		order[i] = i;
	qsort_r (order, b->n, sizeof (size_t), by_active, (void *)b);
	for (i = 0; i < b->n; i++) {
		const struct bt_unit *u = &b->u[order[i]];
		bool first = true;
		if (u->starting == 0) {
			fprintf (out, "%12s %s (never started: %s)\n", "-", u->name, u->state);
			continue;
		}
		fprintf (out, "%12s %s (", u->end ? dur (d1, sizeof d1, active (u)) : "-", u->name);
		for (k = 0; k < PH_N; k++) {
			if (phase_len (u, k) == 0)
				continue;
			fprintf (out, "%s%s %s", first ? "" : ", ",
			         k == PH_READY && strcmp (u->kind, "oneshot") == 0 ? "run"
			                                                           : phase_names[k],
			         dur (d2, sizeof d2, phase_len (u, k)));
			first = false;
		}
		fprintf (out, "%s%s)\n", first ? "" : "; ", u->how ? u->how : u->state);
	}
	fprintf (out, "\ncritical chain (@ when ready or done, + from its start helper):\n");
	ch = xmalloc0 ((b->n + 1) * sizeof (size_t));
	n = chain (b, ch);
	for (i = 0; i < n; i++) {
		const struct bt_unit *u = &b->u[ch[i]];
		fprintf (out, "%*s%s%s @%s +%s\n", (int)(i ? 2 * (i - 1) : 0), "", i ? "└─" : "",
		         u->name, dur (d1, sizeof d1, u->end - b->origin),
		         dur (d2, sizeof d2, active (u)));
	}
	if (n == 0)
		fprintf (out, "(no container has become ready or done)\n");
	free (ch);
	free (order);
}

static void json_ms (FILE *out, const char *key, uint64_t us)
{
	fprintf (out, "\"%s\":%.3f", key, (double)us / 1e3);
}

static void render_json (const struct bt *b, FILE *out)
{
	size_t *ch = xmalloc0 ((b->n + 1) * sizeof (size_t)), n = chain (b, ch), i, k;
	uint64_t end = finish (b);

	fprintf (out, "{\"boot\":%s,", b->boot ? "true" : "false");
	json_ms (out, "kernel_ms", b->boot ? b->first : 0);
	fputs (",", out);
	json_ms (out, "keel_protect_ms", b->keel_start - b->first);
	fputs (",", out);
	json_ms (out, "keel_switch_root_ms", b->switched - b->keel_start);
	fputs (",", out);
	json_ms (out, "keel_setup_ms", b->setup_done - b->switched);
	fputs (",", out);
	json_ms (out, "keel_load_ms", b->loaded - b->setup_done);
	fputs (",", out);
	json_ms (out, "containers_ms", end - b->loaded);
	fputs (",", out);
	json_ms (out, "total_ms", end - b->origin);
	fprintf (out, ",\"settled\":%s,\"units\":[", b->settled ? "true" : "false");
	for (i = 0; i < b->n; i++) {
		const struct bt_unit *u = &b->u[i];
		json_object *name = json_object_new_string (u->name);

		fprintf (out,
		         "%s\n{\"name\":%s,\"kind\":\"%s\",\"state\":\"%s\",\"end\":", i ? "," : "",
		         json_object_to_json_string_ext (name, JSON_C_TO_STRING_PLAIN), u->kind,
		         u->state);
		json_object_put (name);
		if (u->how)
			fprintf (out, "\"%s\",", u->how);
		else
			fputs ("null,", out);
		json_ms (out, "start_at_ms", u->starting ? u->starting - b->origin : 0);
		fputs (",", out);
		json_ms (out, "end_at_ms", u->end ? u->end - b->origin : 0);
		fputs (",", out);
		json_ms (out, "active_ms", active (u));
		for (k = 0; k < PH_N; k++) {
			char key[32];
			snprintf (key, sizeof key, "%s_ms", phase_names[k]);
			fputs (",", out);
			json_ms (out, key, phase_len (u, k));
		}
		fputs ("}", out);
	}
	fputs ("\n],\"critical_chain\":[", out);
	for (i = 0; i < n; i++) {
		json_object *name = json_object_new_string (b->u[ch[i]].name);
		fprintf (out, "%s%s", i ? "," : "",
		         json_object_to_json_string_ext (name, JSON_C_TO_STRING_PLAIN));
		json_object_put (name);
	}
	fputs ("]}\n", out);
	free (ch);
}

/* Text for an SVG element: names are [A-Za-z0-9_+.-], states are words,
 * yet escape what XML needs all the same. */
static void xml_text (FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs ("&lt;", out);
			break;
		case '>':
			fputs ("&gt;", out);
			break;
		case '&':
			fputs ("&amp;", out);
			break;
		case '"':
			fputs ("&quot;", out);
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc (*s, out);
		}
	}
}

#define SVG_W     1200
#define SVG_LEFT  190 /* the names' column */
#define SVG_RIGHT 150 /* room for the last bar's label */
#define SVG_ROW   22
#define SVG_TOP   92 /* title, legend, axis */
#define SVG_BAR   14

/* A tick step of 1, 2 or 5 times a power of ten, about ten ticks. */
static uint64_t tick_step (uint64_t span_us)
{
	uint64_t step = 1000; /* 1 ms */

	while (span_us / step > 12) {
		if (span_us / (step * 2) <= 12)
			return step * 2;
		if (span_us / (step * 5) <= 12)
			return step * 5;
		step *= 10;
	}
	return step;
}

/* The time axis: from origin (the kernel's start, or keel's) over span. */
struct axis {
	uint64_t origin, span;
};

/* "0", "50ms", "1.5s": whole numbers of the step's unit */
static const char *tick_label (char *buf, size_t cap, uint64_t t, uint64_t step)
{
	if (t == 0)
		snprintf (buf, cap, "0");
	else if (t < 1000000)
		snprintf (buf, cap, "%llums", (unsigned long long)(t / 1000));
	else if (step % 1000000 == 0)
		snprintf (buf, cap, "%llus", (unsigned long long)(t / 1000000));
	else
		snprintf (buf, cap, "%.1fs", (double)t / 1e6);
	return buf;
}

static double xpos (uint64_t t, const struct axis *ax)
{
	double rel = t > ax->origin ? (double)(t - ax->origin) : 0;

	return SVG_LEFT + rel * (SVG_W - SVG_LEFT - SVG_RIGHT) / (double)ax->span;
}

static void svg_bar (FILE *out, uint64_t from, uint64_t to, const struct axis *ax, double y,
                     const char *color, const char *title)
{
	double x0 = xpos (from, ax), x1 = xpos (to, ax);

	if (to <= from)
		return;
	fprintf (out,
	         "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%d\" fill=\"%s\">"
	         "<title>",
	         x0, y, x1 - x0 < 1 ? 1.0 : x1 - x0, SVG_BAR, color);
	xml_text (out, title);
	fputs ("</title></rect>\n", out);
}

static void render_svg (const struct bt *b, FILE *out)
{
	uint64_t end = finish (b), step, t;
	struct axis ax = {.origin = b->origin};
	bool pre = b->first < b->keel_start || b->switched > b->keel_start;
	size_t rows = b->n + (b->boot ? 3 : 2) + (pre ? 1 : 0), i, k;
	int h = SVG_TOP + (int)rows * SVG_ROW + 30;
	char d1[32], d2[32], d3[32], title[256];
	double y;

	/* the axis runs a little past the last stamp */
	ax.span = end - b->origin + (end - b->origin) / 50 + 1000;
	step = tick_step (ax.span);
	fprintf (out,
	         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	         "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
	         "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
	         SVG_W, h, SVG_W, h);
	if (b->boot)
		fprintf (out,
		         "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">keel boot: "
		         "%s "
		         "(kernel) + %s (keel) + %s (containers) = %s</text>\n",
		         dur (d1, sizeof d1, b->first), dur (d2, sizeof d2, b->loaded - b->first),
		         dur (d3, sizeof d3, end - b->loaded), dur (title, sizeof title, end));
	else
		fprintf (out,
		         "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">keel "
		         "startup (not the machine's init; from keel's start): %s (keel) + %s "
		         "(containers) = %s</text>\n",
		         dur (d2, sizeof d2, b->loaded - b->keel_start),
		         dur (d3, sizeof d3, end - b->loaded),
		         dur (title, sizeof title, end - b->origin));
	/* legend */
	for (k = 0; k < PH_N; k++) {
		static const char *const what[PH_N] = {"waiting for dependencies",
		                                       "waiting for devices", "create", "start",
		                                       "until ready / oneshot run"};
		double x = 10 + (double)k * 215;
		fprintf (out, "<rect x=\"%.0f\" y=\"36\" width=\"14\" height=\"14\" fill=\"%s\"/>",
		         x, phase_colors[k]);
		fprintf (out, "<text x=\"%.0f\" y=\"48\">%s</text>\n", x + 20, what[k]);
	}
	/* time axis: grid and labels */
	for (t = 0; t <= ax.span; t += step) {
		double x = xpos (b->origin + t, &ax);
		fprintf (out,
		         "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#e4e4e4\"/>"
		         "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\" "
		         "fill=\"#555\">%s</text>\n",
		         x, SVG_TOP - 8, x, h - 24, x, SVG_TOP - 12,
		         tick_label (d1, sizeof d1, t, step));
	}
	/* keel's own rows */
	y = SVG_TOP;
	if (b->boot) {
		fprintf (out, "<text x=\"10\" y=\"%.0f\">kernel</text>\n", y + 12);
		snprintf (title, sizeof title, "kernel: %s", dur (d1, sizeof d1, b->first));
		svg_bar (out, 0, b->first, &ax, y, "#9b59b6", title);
		y += SVG_ROW;
	}
	if (pre) {
		fprintf (out, "<text x=\"10\" y=\"%.0f\">keel: pre-switch</text>\n", y + 12);
		snprintf (title, sizeof title,
		          "keel: protecting its binary %s, leaving the initramfs %s",
		          dur (d1, sizeof d1, b->keel_start - b->first),
		          dur (d2, sizeof d2, b->switched - b->keel_start));
		svg_bar (out, b->first, b->switched, &ax, y, "#6c3483", title);
		y += SVG_ROW;
	}
	fprintf (out, "<text x=\"10\" y=\"%.0f\">keel: machine setup</text>\n", y + 12);
	snprintf (title, sizeof title, "keel: mounts, modules, cgroups: %s",
	          dur (d1, sizeof d1, b->setup_done - b->switched));
	svg_bar (out, b->switched, b->setup_done, &ax, y, "#8e44ad", title);
	y += SVG_ROW;
	fprintf (out, "<text x=\"10\" y=\"%.0f\">keel: containers.d</text>\n", y + 12);
	snprintf (title, sizeof title, "keel: reading containers.d: %s",
	          dur (d1, sizeof d1, b->loaded - b->setup_done));
	svg_bar (out, b->setup_done, b->loaded, &ax, y, "#af7ac5", title);
	/* one row per container */
	for (i = 0; i < b->n; i++) {
		const struct bt_unit *u = &b->u[i];
		double xe;

		y += SVG_ROW;
		fprintf (out, "<text x=\"10\" y=\"%.0f\">", y + 12);
		xml_text (out, u->name);
		fputs ("</text>\n", out);
		for (k = 0; k < PH_N; k++) {
			if (phase_len (u, k) == 0)
				continue;
			snprintf (title, sizeof title, "%s: %s %s", u->name,
			          k == PH_READY && strcmp (u->kind, "oneshot") == 0
			                  ? "run"
			                  : phase_names[k],
			          dur (d1, sizeof d1, phase_len (u, k)));
			svg_bar (out, u->ph[k][0], u->ph[k][1], &ax, y, phase_colors[k], title);
		}
		/* after the bar: how it ended and its active time */
		xe = xpos (u->end ? u->end : u->loaded, &ax) + 4;
		fprintf (out, "<text x=\"%.2f\" y=\"%.0f\" fill=\"%s\">", xe, y + 12,
		         u->how && (strcmp (u->how, "failed") == 0 ||
		                    strcmp (u->how, "blocked") == 0)
		                 ? "#c0392b"
		                 : "#333");
		xml_text (out, u->how ? u->how : u->state);
		if (u->end && u->starting)
			fprintf (out, " +%s", dur (d1, sizeof d1, active (u)));
		fputs ("</text>\n", out);
	}
	fputs ("</svg>\n", out);
}

int boottime_render (const char *json, size_t len, enum boottime_format fmt, FILE *out,
                     struct keel_error **err)
{
	struct bt b = {0};

	if (parse (&b, json, len, err) < 0)
		return -1;
	if (b.loaded < b.setup_done || b.setup_done < b.keel_start) {
		bt_free (&b);
		return keel_error (err, 0, "boot-time: keel's stamps are out of order");
	}
	switch (fmt) {
	case BOOTTIME_TEXT:
		render_text (&b, out);
		break;
	case BOOTTIME_JSON:
		render_json (&b, out);
		break;
	case BOOTTIME_SVG:
		render_svg (&b, out);
		break;
	}
	bt_free (&b);
	return 0;
}
