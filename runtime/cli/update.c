/* keel-runtime update [OPTIONS] ID: change the cgroup v2 resources of a
 * created or running container, as runc update does: a LinuxResources
 * JSON document (--resources FILE, "-" for stdin) and/or runc's flags for
 * the common limits.  Only the fields given are written.  The resources
 * go through the same decoder and validation as config.json's. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup-devices.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup-v1.h"
#include "runtime/cli/command.h"

static const char update_usage[] =
        "update [OPTIONS] CONTAINER-ID\n"
        "\n"
        "Update the cgroup resources of a running container.\n"
        "\n"
        "  -r, --resources FILE        linux.resources as JSON (`-`: standard input)\n"
        "      --memory BYTES          memory.limit (suffixes k, m, g; -1: no limit)\n"
        "      --memory-reservation BYTES  memory.reservation\n"
        "      --memory-swap BYTES     memory.swap (memory + swap)\n"
        "      --pids-limit N          pids.limit (-1 or 0: no limit)\n"
        "      --cpu-quota US          cpu.quota\n"
        "      --cpu-period US         cpu.period\n"
        "      --cpu-share N           cpu.shares\n"
        "      --cpu-rt-period US      cpu.realtimePeriod (cgroup v1 only)\n"
        "      --cpu-rt-runtime US     cpu.realtimeRuntime (cgroup v1 only)\n"
        "      --cpuset-cpus LIST      cpu.cpus\n"
        "      --cpuset-mems LIST      cpu.mems\n"
        "      --blkio-weight N        blockIO.weight\n";

enum {
	OPT_MEMORY = 256,
	OPT_MEMORY_RESERVATION,
	OPT_MEMORY_SWAP,
	OPT_PIDS_LIMIT,
	OPT_CPU_QUOTA,
	OPT_CPU_PERIOD,
	OPT_CPU_SHARE,
	OPT_CPU_RT_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_BLKIO_WEIGHT,
};

/* "512m", "1g", "4096", "-1" as runc's RAMInBytes (binary units). */
static bool parse_bytes (const char *s, int64_t *out)
{
	unsigned long long n, mult = 1;
	cleanup_free char *num = NULL;
	size_t len = strlen (s);

	if (strcmp (s, "-1") == 0) {
		*out = -1;
		return true;
	}
	if (len > 1 && strchr ("kKmMgGtT", s[len - 1]) != NULL) {
		static const char units[] = "kmgt";
		mult = 1ULL << (10 * (strchr (units, s[len - 1] | 0x20) - units + 1));
		num = strndup (s, len - 1);
	} else if (len > 2 && (s[len - 1] == 'b' || s[len - 1] == 'B') &&
	           strchr ("kKmMgGtT", s[len - 2]) != NULL) {
		static const char units[] = "kmgt";
		mult = 1ULL << (10 * (strchr (units, s[len - 2] | 0x20) - units + 1));
		num = strndup (s, len - 2);
	} else {
		num = xstrdup (s);
	}
	if (num == NULL || !parse_uint64 (num, &n) || n > (unsigned long long)INT64_MAX / mult)
		return false;
	*out = (int64_t)(n * mult);
	return true;
}

static bool parse_int64 (const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll (s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* obj[a][b] = v, creating obj[a]. */
static void set_path (json_object *obj, const char *a, const char *b, json_object *v)
{
	json_object *sub;

	if (!json_object_object_get_ex (obj, a, &sub) ||
	    !json_object_is_type (sub, json_type_object)) {
		sub = json_object_new_object ();
		json_object_object_add (obj, a, sub);
	}
	json_object_object_add (sub, b, v);
}

/* One flag into the resources object; false when its value is bad. */
static bool flag_to_json (json_object *res, int c, const char *arg)
{
	static const struct {
		int opt;
		const char *section, *key;
		bool bytes, string;
	} map[] = {
	        {OPT_MEMORY, "memory", "limit", true, false},
	        {OPT_MEMORY_RESERVATION, "memory", "reservation", true, false},
	        {OPT_MEMORY_SWAP, "memory", "swap", true, false},
	        {OPT_PIDS_LIMIT, "pids", "limit", false, false},
	        {OPT_CPU_QUOTA, "cpu", "quota", false, false},
	        {OPT_CPU_PERIOD, "cpu", "period", false, false},
	        {OPT_CPU_SHARE, "cpu", "shares", false, false},
	        {OPT_CPU_RT_PERIOD, "cpu", "realtimePeriod", false, false},
	        {OPT_CPU_RT_RUNTIME, "cpu", "realtimeRuntime", false, false},
	        {OPT_CPUSET_CPUS, "cpu", "cpus", false, true},
	        {OPT_CPUSET_MEMS, "cpu", "mems", false, true},
	        {OPT_BLKIO_WEIGHT, "blockIO", "weight", false, false},
	};
	int64_t v;

	for (size_t i = 0; i < ARRAY_SIZE (map); i++) {
		if (map[i].opt != c)
			continue;
		if (map[i].string) {
			set_path (res, map[i].section, map[i].key, json_object_new_string (arg));
			return true;
		}
		if (!(map[i].bytes ? parse_bytes (arg, &v) : parse_int64 (arg, &v)))
			return false;
		set_path (res, map[i].section, map[i].key, json_object_new_int64 (v));
		return true;
	}
	return false;
}

static int read_resources (const char *arg, json_object **out, struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	json_object *o;
	int ret;

	ret = read_file (strcmp (arg, "-") == 0 ? "/dev/stdin" : arg, 1 << 20, &buf, NULL, err);
	if (ret < 0)
		return ret;
	o = json_tokener_parse (buf);
	if (o == NULL || !json_object_is_type (o, json_type_object)) {
		json_object_put (o);
		return keel_error (err, 0, "%s: not a JSON object", arg);
	}
	*out = o;
	return 0;
}

/* Decode the resources with spec_parse by wrapping them in the smallest
 * config it accepts, so update validates exactly as create does. */
static int decode (json_object *res, struct spec **spec, struct keel_error **err)
{
	json_object *cfg = json_object_new_object (), *root = json_object_new_object ();
	json_object *lin = json_object_new_object ();
	const char *s;
	int ret;

	json_object_object_add (cfg, "ociVersion", json_object_new_string ("1.2.0"));
	json_object_object_add (root, "path", json_object_new_string ("/"));
	json_object_object_add (cfg, "root", root);
	json_object_object_add (lin, "resources", json_object_get (res));
	json_object_object_add (cfg, "linux", lin);
	s = json_object_to_json_string_ext (cfg, JSON_C_TO_STRING_PLAIN);
	ret = spec_parse ("update", s, strlen (s), "/", spec, err);
	json_object_put (cfg);
	return ret;
}

/* On a v1 or hybrid host the limits live in the v1 hierarchies, and the
 * device rules where create put the container's filter: the v1 devices
 * controller, or the eBPF program on its unified cgroup when no v1
 * hierarchy of its has the devices controller (cgroup-v1.h). */
static int update_v1 (const char *id, const struct keel_state *st, const struct spec_resources *res,
                      struct keel_error **err)
{
	struct spec_resources v1_res = *res;
	enum cgroup_devices_via via;
	int ret;

	if (res->n_devices == 0)
		return cgroup_v1_apply_resources (&st->cgroup_v1, res, err);
	via = cgroup_devices_via_container (&st->cgroup_v1, st->cgroup_path);
	if (via == CGROUP_DEVICES_V1)
		return cgroup_v1_apply_resources (&st->cgroup_v1, res, err);
	if (via == CGROUP_DEVICES_NONE)
		return keel_error (err, 0,
		                   "cgroup: linux.resources.devices: container `%s` has no device "
		                   "filter to update (none of its v1 cgroups has the devices "
		                   "controller and it has no cgroup2 cgroup)",
		                   id);
	v1_res.devices = NULL;
	v1_res.n_devices = 0;
	ret = cgroup_v1_apply_resources (&st->cgroup_v1, &v1_res, err);
	if (ret == 0)
		ret = cgroup_devices_apply (st->cgroup_path, res->devices, res->n_devices, err);
	return ret;
}

static int update (struct cli_global *g, const char *id, json_object *res, struct keel_error **err)
{
	struct keel_state st = {0};
	struct spec *spec = NULL;
	int ret;

	ret = keel_container_state (&g->rt, id, &st, err);
	if (ret < 0)
		return ret;
	if (st.status == KEEL_STOPPED)
		ret = keel_error (err, 0, "container `%s` is stopped", id);
	else if (st.cgroup_path == NULL)
		ret = keel_error (err, 0,
		                  "container `%s` has no cgroup (--cgroup-manager disabled)", id);
	if (ret == 0)
		ret = decode (res, &spec, err);
	if (ret == 0 && st.cgroup_v1.n > 0)
		ret = update_v1 (id, &st, &spec->linux_.resources, err);
	else if (ret == 0)
		ret = cgroup_apply_resources (st.cgroup_path, &spec->linux_.resources, err);
	spec_free (spec);
	keel_state_free (&st);
	return ret;
}

static const char *option_name (const struct option *o, int c)
{
	for (; o->name != NULL; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

int cli_update (struct cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"resources", required_argument, NULL, 'r'},
	        {"memory", required_argument, NULL, OPT_MEMORY},
	        {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
	        {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
	        {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
	        {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
	        {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
	        {"cpu-share", required_argument, NULL, OPT_CPU_SHARE},
	        {"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
	        {"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
	        {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
	        {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
	        {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
	        {NULL, 0, NULL, 0},
	};
	cleanup_error struct keel_error *err = NULL;
	json_object *res = NULL, *flags = json_object_new_object ();
	const char *file = NULL;
	struct cli_parser p;
	int c, i, ret;

	cli_parser_init (&p, "update", update_usage, "r:", longopts, argc, argv);
	p.anywhere = true;
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		if (c == 'r') {
			file = optarg;
		} else if (c < 256 || !flag_to_json (flags, c, optarg)) {
			json_object_put (flags);
			if (c >= 256)
				return cli_usage_error ("update", "bad value `%s` for --%s", optarg,
				                        option_name (longopts, c));
			return c == CLI_OPT_HELP ? 0 : 1;
		}
	}
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0) {
		json_object_put (flags);
		return 1;
	}
	ret = 0;
	if (file != NULL)
		ret = read_resources (file, &res, &err);
	else
		res = json_object_new_object ();
	if (ret == 0) {
		/* flags win over the file, section by section, key by key */
		json_object_object_foreach (flags, section, obj)
		{
			json_object_object_foreach (obj, key, v)
			        set_path (res, section, key, json_object_get (v));
		}
		ret = update (g, argv[i], res, &err);
	}
	json_object_put (res);
	json_object_put (flags);
	if (ret < 0) {
		keel_error_wrap (&err, "update `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
