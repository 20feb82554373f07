/* keel-runtime pause ID / resume ID: freeze and thaw every process of a
 * running container through cgroup v2's cgroup.freeze, as runc does.
 * keel's lifecycle has no "paused" status of its own; `state` and `list`
 * report one (runc's word) while the container's cgroup is frozen. */
#include <string.h>

#include "lib/util.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup-v1.h"
#include "runtime/cli/command.h"

static const char pause_usage[] = "pause CONTAINER-ID\n"
                                  "\n"
                                  "Freeze every process of the container (cgroup.freeze).\n";
static const char resume_usage[] = "resume CONTAINER-ID\n"
                                   "\n"
                                   "Thaw a paused container.\n";

bool cli_is_paused (const struct keel_state *st)
{
	cleanup_free char *path = NULL, *buf = NULL;

	if (st->status != KEEL_RUNNING || st->cgroup_path == NULL)
		return false;
	if (st->cgroup_v1.n > 0)
		return cgroup_v1_is_frozen (&st->cgroup_v1);
	path = xasprintf ("%s/cgroup.freeze", st->cgroup_path);
	return read_file (path, 16, &buf, NULL, NULL) == 0 && buf[0] == '1';
}

const char *cli_status_name (const struct keel_state *st)
{
	return cli_is_paused (st) ? "paused" : keel_status_name (st->status);
}

int cli_state_running (struct cli_global *g, const char *id, struct keel_state *st,
                       struct keel_error **err)
{
	int ret = keel_container_state (&g->rt, id, st, err);

	if (ret == 0 && st->status != KEEL_RUNNING)
		ret = keel_error (err, 0, "container `%s` is %s, not running", id,
		                  keel_status_name (st->status));
	return ret;
}

static int freeze (struct cli_global *g, const char *id, bool frozen, struct keel_error **err)
{
	struct keel_state st = {0};
	int ret;

	ret = cli_state_running (g, id, &st, err);
	if (ret == 0 && st.cgroup_path == NULL)
		ret = keel_error (
		        err, 0,
		        "container `%s` has no cgroup to freeze (--cgroup-manager disabled)", id);
	else if (ret == 0 && !frozen && !cli_is_paused (&st))
		ret = keel_error (err, 0, "container `%s` is not paused", id);
	else if (ret == 0 && frozen && cli_is_paused (&st))
		ret = keel_error (err, 0, "container `%s` is already paused", id);
	/* runc's choice on v1 and hybrid hosts: the v1 freezer. */
	if (ret == 0 && st.cgroup_v1.n > 0)
		ret = cgroup_v1_freeze (&st.cgroup_v1, frozen, err);
	else if (ret == 0)
		ret = cgroup_freeze (st.cgroup_path, frozen, err);
	keel_state_free (&st);
	return ret;
}

static int pause_resume (struct cli_global *g, int argc, char **argv, bool frozen)
{
	cleanup_error struct keel_error *err = NULL;
	const char *cmd = frozen ? "pause" : "resume", *id;
	int ret = cli_id_only (cmd, frozen ? pause_usage : resume_usage, argc, argv, &id);

	if (id == NULL)
		return ret;
	if (freeze (g, id, frozen, &err) < 0) {
		keel_error_wrap (&err, "%s `%s`", cmd, id);
		return cli_fail (&err);
	}
	return 0;
}

int cli_pause (struct cli_global *g, int argc, char **argv)
{
	return pause_resume (g, argc, argv, true);
}

int cli_resume (struct cli_global *g, int argc, char **argv)
{
	return pause_resume (g, argc, argv, false);
}
