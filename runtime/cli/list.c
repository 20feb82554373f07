/* keel-runtime list [-f table|json] [-q]: every container under --root,
 * as runc prints them (a table padded like Go's tabwriter, or a JSON
 * array of state objects). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cli/command.h"

static const char list_usage[] = "list [OPTIONS]\n"
                                 "\n"
                                 "List the containers.\n"
                                 "\n"
                                 "  -f, --format table|json   output format (default table)\n"
                                 "  -q, --quiet               print only the ids\n";

enum { COL_ID, COL_PID, COL_STATUS, COL_BUNDLE, COL_CREATED, COL_OWNER, N_COLS };

/* runc's tabwriter: every column but the last is at least 12 wide and 3
 * wider than its widest cell. */
static void print_table (char *(*rows)[N_COLS], size_t n_rows)
{
	size_t width[N_COLS] = {0}, r, c;

	for (r = 0; r < n_rows; r++)
		for (c = 0; c < N_COLS - 1; c++) {
			size_t w = strlen (rows[r][c]) + 3;
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < n_rows; r++) {
		for (c = 0; c < N_COLS - 1; c++)
			printf ("%-*s", (int)(width[c] < 12 ? 12 : width[c]), rows[r][c]);
		printf ("%s\n", rows[r][N_COLS - 1]);
	}
}

static void fill_row (char **row, const struct keel_state *st)
{
	row[COL_ID] = xstrdup (st->id);
	row[COL_PID] = xasprintf ("%d", (int)st->pid);
	row[COL_STATUS] = xstrdup (cli_status_name (st));
	row[COL_BUNDLE] = xstrdup (st->bundle);
	row[COL_CREATED] = xstrdup (st->created);
	row[COL_OWNER] = xstrdup (st->owner);
}

/* The state of ids[i]; false (and a warning for anything but a container
 * deleted meanwhile) when it cannot be read. */
static bool read_state (const struct cli_global *g, const char *id, struct keel_state *st)
{
	cleanup_error struct keel_error *err = NULL;

	if (keel_container_state (&g->rt, id, st, &err) == 0)
		return true;
	if (err->status != ENOENT)
		keel_log_warning_error (&err, "list: state `%s`", id);
	return false;
}

/* runc's list prints each state with pid before status (its Go struct's
 * order; `state` follows runtime-spec's); scripts that match the line as
 * text (runc's own list.bats does) see the same.  The rest keeps its
 * order. */
static json_object *runc_key_order (json_object *st)
{
	static const char *const first[] = {"ociVersion", "id", "pid", "status"};
	json_object *o = json_object_new_object (), *v;
	size_t i;

	for (i = 0; i < sizeof first / sizeof first[0]; i++)
		if (json_object_object_get_ex (st, first[i], &v))
			json_object_object_add (o, first[i], json_object_get (v));
	json_object_object_foreach (st, key, val)
	{
		if (!json_object_object_get_ex (o, key, NULL))
			json_object_object_add (o, key, json_object_get (val));
	}
	json_object_put (st);
	return o;
}

static int list_json (const struct cli_global *g, char **ids, size_t n)
{
	json_object *arr = json_object_new_array ();
	size_t i;

	for (i = 0; i < n; i++) {
		cleanup_error struct keel_error *err = NULL;
		struct keel_state st = {0};
		json_object *obj = NULL;

		if (!read_state (g, ids[i], &st))
			continue;
		if (cli_state_object (&st, &obj, &err) == 0)
			json_object_array_add (arr, runc_key_order (obj));
		else
			keel_log_error (&err);
		keel_state_free (&st);
	}
	printf ("%s\n", json_object_to_json_string_ext (
	                        arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put (arr);
	return 0;
}

static int list_table (const struct cli_global *g, char **ids, size_t n, bool quiet)
{
	cleanup_free char *(*rows)[N_COLS] = xmalloc0 ((n + 1) * sizeof (*rows));
	static const char *const header[N_COLS] = {"ID",     "PID",     "STATUS",
	                                           "BUNDLE", "CREATED", "OWNER"};
	size_t i, c, n_rows = 1;

	for (c = 0; c < N_COLS; c++)
		rows[0][c] = xstrdup (header[c]);
	for (i = 0; i < n; i++) {
		struct keel_state st = {0};

		if (quiet) {
			printf ("%s\n", ids[i]);
			continue;
		}
		if (!read_state (g, ids[i], &st))
			continue;
		fill_row (rows[n_rows++], &st);
		keel_state_free (&st);
	}
	if (!quiet)
		print_table (rows, n_rows);
	for (i = 0; i < n_rows; i++)
		for (c = 0; c < N_COLS; c++)
			free (rows[i][c]);
	return 0;
}

int cli_list (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"quiet", no_argument, NULL, 'q'},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	struct cli_parser p;
	bool json = false, quiet = false;
	char **ids = NULL;
	size_t n = 0, i;
	int c, ret;

	cli_parser_init (&p, "list", list_usage, "f:q", longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == 'q') {
			quiet = true;
		} else if (c == 'f') {
			if (strcmp (optarg, "json") == 0)
				json = true;
			else if (strcmp (optarg, "table") == 0)
				json = false;
			else
				return cli_usage_error ("list", "unknown format `%s`", optarg);
		} else {
			return c == CLI_OPT_HELP ? 0 : 1;
		}
	}
	if (cli_operands (&p, 0, 0, "") < 0)
		return 1;
	if (keel_container_list (&g->rt, &ids, &n, &err) < 0) {
		keel_error_wrap (&err, "list");
		return cli_fail (&err);
	}
	ret = json ? list_json (g, ids, n) : list_table (g, ids, n, quiet);
	for (i = 0; i < n; i++)
		free (ids[i]);
	free (ids);
	return ret;
}
