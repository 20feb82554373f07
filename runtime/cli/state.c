/* keel-runtime state ID: the runtime-spec state JSON, indented as runc
 * prints it, with runc's extra "created" and "owner" fields that clients
 * such as containerd read. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>

#include "lib/util.h"
#include "runtime/cli/command.h"

static const char state_usage[] =
        "state CONTAINER-ID\n"
        "\n"
        "Print the state of the container as JSON (runtime-spec \"State\").\n";

int cli_state_object (const struct keel_state *st, json_object **out, struct keel_error **err)
{
	cleanup_free char *json = keel_state_json (st);
	json_object *obj;

	if (json == NULL)
		return keel_error (err, ENOMEM, "state of `%s`", st->id);
	obj = json_tokener_parse (json);
	if (obj == NULL || !json_object_is_type (obj, json_type_object)) {
		json_object_put (obj);
		return keel_error (err, 0, "state of `%s`: keel_state_json produced no object",
		                   st->id);
	}
	if (cli_is_paused (st))
		json_object_object_add (obj, "status", json_object_new_string ("paused"));
	if (!json_object_object_get_ex (obj, "created", NULL) && st->created != NULL)
		json_object_object_add (obj, "created", json_object_new_string (st->created));
	if (!json_object_object_get_ex (obj, "owner", NULL))
		json_object_object_add (obj, "owner",
		                        json_object_new_string (st->owner ? st->owner : ""));
	*out = obj;
	return 0;
}

static int print_json (FILE *out, json_object *obj)
{
	const char *s = json_object_to_json_string_ext (
	        obj,
	        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	return fprintf (out, "%s\n", s) < 0 ? -1 : 0;
}

int cli_state (struct cli_global *g, int argc, char **argv)
{
	cleanup_error struct keel_error *err = NULL;
	struct keel_state st = {0};
	json_object *obj = NULL;
	const char *id;
	int ret = cli_id_only ("state", state_usage, argc, argv, &id);

	if (id == NULL)
		return ret;
	ret = keel_container_state (&g->rt, id, &st, &err);
	if (ret == 0) {
		ret = cli_state_object (&st, &obj, &err);
		keel_state_free (&st);
	}
	if (ret < 0) {
		keel_error_wrap (&err, "state `%s`", id);
		return cli_fail (&err);
	}
	ret = print_json (stdout, obj);
	json_object_put (obj);
	return ret < 0 ? 1 : 0;
}
