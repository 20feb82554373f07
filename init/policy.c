/* containers.d/NAME/keel.json: parse and validate the supervision policy.
 *
 * Every problem becomes exactly one message "FILE: PATH: what is wrong",
 * where PATH is the JSON path of the offending value, so a user can fix
 * a broken entry from the console line alone. */
#include "init/policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/input.h"
#include "lib/jsonpath.h"
#include "lib/name.h"
#include "lib/util.h"

#define MAX_DURATION_MS (7ULL * 24 * 3600 * 1000) /* one week */

static const struct {
	const char *name;
	int signo;
} signals[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
        {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
        {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
        {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
        {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
        {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
        {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int policy_parse_signal (const char *s)
{
	unsigned long long n;
	size_t i;

	if (s == NULL || *s == '\0')
		return -1;
	if (parse_uint64 (s, &n))
		return n >= 1 && n < (unsigned long long)NSIG ? (int)n : -1;
	if (strncmp (s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < ARRAY_SIZE (signals); i++)
		if (strcmp (s, signals[i].name) == 0)
			return signals[i].signo;
	if (strncmp (s, "RTMIN+", 6) == 0 && parse_uint64 (s + 6, &n) &&
	    n <= (unsigned long long)(SIGRTMAX - SIGRTMIN))
		return SIGRTMIN + (int)n;
	if (strcmp (s, "RTMIN") == 0)
		return SIGRTMIN;
	return -1;
}

const char *policy_signal_name (int signo)
{
	static const char *const full[] = {
	        [SIGHUP] = "SIGHUP",     [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
	        [SIGKILL] = "SIGKILL",   [SIGUSR1] = "SIGUSR1", [SIGUSR2] = "SIGUSR2",
	        [SIGTERM] = "SIGTERM",   [SIGPWR] = "SIGPWR",   [SIGSEGV] = "SIGSEGV",
	        [SIGABRT] = "SIGABRT",   [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",
	        [SIGBUS] = "SIGBUS",     [SIGFPE] = "SIGFPE",   [SIGILL] = "SIGILL",
	        [SIGCHLD] = "SIGCHLD",   [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
	        [SIGWINCH] = "SIGWINCH", [SIGTRAP] = "SIGTRAP", [SIGSYS] = "SIGSYS",
	};
	if (signo > 0 && (size_t)signo < ARRAY_SIZE (full) && full[signo])
		return full[signo];
	return "signal";
}

/* "500ms", "1.5s", "2m", "1h" or a plain number of seconds: decimal
 * digits with at most one point.  strtod alone would also take "0x10",
 * "1e2", "inf" and leading blanks, which no one means as a duration. */
int policy_parse_duration (const char *s, uint64_t *ms)
{
	const char *q;
	char *end;
	double v, mult;
	size_t digits = 0, points = 0;

	if (s == NULL)
		return -1;
	for (q = s; isdigit ((unsigned char)*q) || *q == '.'; q++) {
		if (*q == '.')
			points++;
		else
			digits++;
	}
	if (digits == 0 || points > 1)
		return -1;
	errno = 0;
	v = strtod (s, &end);
	if (errno != 0 || end != q || !isfinite (v) || v < 0)
		return -1;
	if (*end == '\0' || strcmp (end, "s") == 0)
		mult = 1000;
	else if (strcmp (end, "ms") == 0)
		mult = 1;
	else if (strcmp (end, "m") == 0 || strcmp (end, "min") == 0)
		mult = 60 * 1000;
	else if (strcmp (end, "h") == 0)
		mult = 3600 * 1000;
	else
		return -1;
	v *= mult;
	if (v > (double)MAX_DURATION_MS)
		return -1;
	*ms = (uint64_t)(v + 0.5);
	return 0;
}

/* "64KiB", "1MiB", "1M", "4096" (bytes). */
int policy_parse_size (const char *s, uint64_t *bytes)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
	        {"", 1},
	        {"B", 1},
	        {"K", 1024},
	        {"KiB", 1024},
	        {"k", 1024},
	        {"M", 1024 * 1024},
	        {"MiB", 1024 * 1024},
	        {"G", 1024ULL * 1024 * 1024},
	        {"GiB", 1024ULL * 1024 * 1024},
	};
	unsigned long long n;
	char *end;
	size_t i;

	if (s == NULL || !isdigit ((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoull (s, &end, 10);
	if (errno != 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE (units); i++) {
		if (strcmp (end, units[i].suffix) != 0)
			continue;
		if (n > UINT64_MAX / units[i].mult)
			return -1;
		*bytes = n * units[i].mult;
		return 0;
	}
	return -1;
}

const char *policy_kind_name (enum policy_kind k)
{
	return k == KIND_ONESHOT ? "oneshot" : "service";
}

const char *policy_restart_name (enum policy_restart r)
{
	switch (r) {
	case RESTART_NO:
		return "no";
	case RESTART_ON_FAILURE:
		return "on-failure";
	case RESTART_ALWAYS:
		return "always";
	}
	return "?";
}

const char *policy_ready_name (enum policy_ready r)
{
	switch (r) {
	case READY_STARTED:
		return "started";
	case READY_EXITED:
		return "exited";
	case READY_NOTIFY:
		return "notify";
	case READY_HEALTHY:
		return "healthy";
	}
	return "?";
}

void policy_defaults (struct policy *p)
{
	memset (p, 0, sizeof (*p));
	p->kind = KIND_SERVICE;
	p->restart = RESTART_NO;
	p->restart_delay_ms = 1000; /* s6 throttles restarts to one a second */
	p->backoff_factor = 2;
	p->backoff_max_ms = 60 * 1000;
	p->start_limit_burst = 5; /* systemd's StartLimitBurst / IntervalSec */
	p->start_limit_interval_ms = 10 * 1000;
	p->ready = READY_STARTED;
	p->start_timeout_ms = 90 * 1000;
	/* systemd's default for a device a unit needs (JobTimeoutSec). */
	p->devices_timeout_ms = 90 * 1000;
	p->stop_signal = SIGTERM;
	p->stop_timeout_ms = 10 * 1000;
	p->log_console = true;
	p->log_rotate_size = 1024 * 1024; /* LinuxKit's memlogd: 1 MiB x 10 */
	p->log_rotate_count = 10;
	p->log_ring_size = 64 * 1024;
	p->health.interval_ms = 30 * 1000; /* Docker's HEALTHCHECK defaults */
	p->health.timeout_ms = 30 * 1000;
	p->health.retries = 3;
}

static void names_free (struct policy_names *n)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		free (n->v[i]);
	free (n->v);
	n->v = NULL;
	n->n = 0;
}

void policy_free (struct policy *p)
{
	if (p == NULL)
		return;
	names_free (&p->requires);
	names_free (&p->after);
	names_free (&p->wants);
	names_free (&p->devices);
	names_free (&p->mounts);
	free (p->log_file);
	p->log_file = NULL;
	free (p->description);
	p->description = NULL;
	policy_network_free (&p->network);
	for (size_t k = 0; k < p->health.argc; k++)
		free (p->health.argv[k]);
	free (p->health.argv);
	p->health.argv = NULL;
	p->health.argc = 0;
}

/* ---- the parser ------------------------------------------------------ */

struct ctx {
	const char *file;
	struct keel_error **err;
};

/* A short rendering of a JSON value for "got ..." in messages. */
static char *got (json_object *v)
{
	const char *s = json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN |
	                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen (s);

	if (n > 40)
		return xasprintf ("%.37s...", s);
	return xstrdup (s);
}

static int fail (struct ctx *c, const char *path, const char *fmt, ...)
        __attribute__ ((format (printf, 3, 4)));

/* "FILE: PATH: what" (lib/jsonpath.c, the shape config.json's messages
 * have too): keys, names and paths come from the file, so control
 * characters are escaped and the message stays one console line. */
static int fail (struct ctx *c, const char *path, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start (ap, fmt);
	msg = jpath_vmessage (c->file, path, fmt, ap);
	va_end (ap);
	return keel_error (c->err, 0, "%s", msg);
}

static int want_type (struct ctx *c, const char *path, json_object *v, json_type t,
                      const char *what)
{
	cleanup_free char *g = NULL;

	if (json_object_is_type (v, t))
		return 0;
	g = got (v);
	return fail (c, path, "expected %s, got %s", what, g);
}

/* The prologue of every bounded array: its type (`what` names it in the
 * error), at most `max` elements (`noun` counts them in the error), then
 * a zeroed array of n + 1 elements of `size`, so a list of pointers ends
 * with NULL.  NULL after an error. */
static void *want_array (struct ctx *c, const char *path, json_object *v, const char *what,
                         const char *noun, size_t max, size_t size, size_t *n)
{
	if (want_type (c, path, v, json_type_array, what) < 0)
		return NULL;
	*n = json_object_array_length (v);
	if (*n > max) {
		fail (c, path, "at most %zu %s, got %zu", max, noun, *n);
		return NULL;
	}
	return xmalloc0 ((*n + 1) * size);
}

static int get_bool (struct ctx *c, const char *path, json_object *v, bool *out)
{
	int ret = want_type (c, path, v, json_type_boolean, "true or false");
	if (ret < 0)
		return ret;
	*out = json_object_get_boolean (v);
	return 0;
}

static int get_enum (struct ctx *c, const char *path, json_object *v, const char *const *names,
                     size_t n, const char *choices, int *out)
{
	cleanup_free char *g = NULL;
	size_t i;

	if (json_object_is_type (v, json_type_string)) {
		const char *s = json_object_get_string (v);
		for (i = 0; i < n; i++) {
			if (strcmp (s, names[i]) == 0) {
				*out = (int)i;
				return 0;
			}
		}
	}
	g = got (v);
	return fail (c, path, "expected one of %s, got %s", choices, g);
}

static int get_duration (struct ctx *c, const char *path, json_object *v, uint64_t *ms)
{
	cleanup_free char *g = NULL;

	if (json_object_is_type (v, json_type_string) &&
	    policy_parse_duration (json_object_get_string (v), ms) == 0)
		return 0;
	if (json_object_is_type (v, json_type_int) || json_object_is_type (v, json_type_double)) {
		double d = json_object_get_double (v);
		if (isfinite (d) && d >= 0 && d * 1000 <= (double)MAX_DURATION_MS) {
			*ms = (uint64_t)(d * 1000 + 0.5);
			return 0;
		}
	}
	g = got (v);
	if (json_object_is_type (v, json_type_string))
		return fail (c, path,
		             "expected a duration like \"500ms\" or a number of seconds, got %s",
		             g);
	return fail (
	        c, path,
	        "expected a duration like \"500ms\" or a number of seconds (0 to one week), got %s",
	        g);
}

static int get_size (struct ctx *c, const char *path, json_object *v, uint64_t min, uint64_t max,
                     uint64_t *out)
{
	cleanup_free char *g = NULL;
	uint64_t n = 0;
	bool ok = false;

	if (json_object_is_type (v, json_type_string))
		ok = policy_parse_size (json_object_get_string (v), &n) == 0;
	else if (json_object_is_type (v, json_type_int) && json_object_get_int64 (v) >= 0) {
		n = json_object_get_uint64 (v);
		ok = true;
	}
	if (!ok) {
		g = got (v);
		return fail (c, path, "expected a size like \"64KiB\" or a number of bytes, got %s",
		             g);
	}
	if (n < min || n > max)
		return fail (c, path, "%llu bytes is out of range (%llu to %llu)",
		             (unsigned long long)n, (unsigned long long)min,
		             (unsigned long long)max);
	*out = n;
	return 0;
}

static int get_uint (struct ctx *c, const char *path, json_object *v, unsigned min, unsigned max,
                     unsigned *out)
{
	cleanup_free char *g = NULL;
	int64_t n;

	if (!json_object_is_type (v, json_type_int)) {
		g = got (v);
		return fail (c, path, "expected an integer from %u to %u, got %s", min, max, g);
	}
	n = json_object_get_int64 (v);
	/* json-c keeps integers above INT64_MAX as uint64 and get_int64
	 * clamps them: print the value as written (got), never the clamp. */
	if (n < min || n > max || json_object_get_uint64 (v) > (uint64_t)max) {
		g = got (v);
		return fail (c, path, "expected an integer from %u to %u, got %s", min, max, g);
	}
	*out = (unsigned)n;
	return 0;
}

/* The runtime's container-id rule (lib/name.h), so a dependency names
 * something that could exist in containers.d. */
bool policy_valid_name (const char *s)
{
	return keel_name_valid (s);
}

static int get_names (struct ctx *c, const char *key, json_object *v, struct policy_names *out)
{
	size_t i, j, n;

	if (json_object_is_type (v, json_type_string)) {
		/* A single name is accepted for convenience: "requires": "net". */
		json_object *arr = json_object_new_array ();
		int ret;
		json_object_array_add (arr, json_object_get (v));
		ret = get_names (c, key, arr, out);
		json_object_put (arr);
		return ret;
	}
	out->v = want_array (c, key, v, "an array of container names", "names", POLICY_MAX_DEPS,
	                     sizeof (char *), &n);
	if (!out->v)
		return -1;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx (v, i);
		cleanup_free char *path = xasprintf ("%s[%zu]", key, i);
		cleanup_free char *g = NULL;
		const char *s;

		if (!json_object_is_type (e, json_type_string)) {
			g = got (e);
			return fail (c, path, "expected a container name, got %s", g);
		}
		s = json_object_get_string (e);
		if (!keel_name_valid (s))
			return fail (c, path, "\"%s\" is not a valid container name (" KEEL_NAME_RULE ")",
			             s);
		for (j = 0; j < out->n; j++)
			if (strcmp (out->v[j], s) == 0)
				return fail (c, path, "\"%s\" is listed twice", s);
		out->v[out->n++] = xstrdup (s);
	}
	return 0;
}

/* Walk an object's keys, refusing unknown ones: a typo must not silently
 * fall back to a default. */
typedef int (*field_fn) (struct ctx *c, const char *path, json_object *v, struct policy *p);
struct field {
	const char *key;
	field_fn fn;
};

static int walk (struct ctx *c, const char *prefix, json_object *obj, const struct field *fields,
                 size_t n, struct policy *p)
{
	json_object_object_foreach (obj, key, val)
	{
		cleanup_free char *path = jpath_join (prefix, key);
		size_t i;
		int ret;

		for (i = 0; i < n; i++)
			if (strcmp (key, fields[i].key) == 0)
				break;
		if (i == n) {
			cleanup_free char *known = xstrdup ("");
			size_t k;
			for (k = 0; k < n; k++) {
				char *t = xasprintf ("%s%s%s", known, k ? ", " : "", fields[k].key);
				free (known);
				known = t;
			}
			return fail (c, path, "unknown key (expected one of: %s)", known);
		}
		ret = fields[i].fn (c, path, val, p);
		if (ret < 0)
			return ret;
	}
	return 0;
}

#define WALK(c, prefix, obj, fields, p) walk (c, prefix, obj, fields, ARRAY_SIZE (fields), p)

/* "/dev/vdb" or "vdb": a node under /dev, no "..". */
static bool valid_device (const char *s)
{
	const char *name = strncmp (s, "/dev/", 5) == 0 ? s + 5 : s;
	const char *q;

	if (*name == '\0' || *name == '/' || strlen (s) > 64 || strstr (name, ".."))
		return false;
	for (q = name; *q; q++)
		if (!isalnum ((unsigned char)*q) && !strchr ("_+-.:/", *q))
			return false;
	return true;
}

static int f_devices (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	size_t i, n;
	char **v_out = want_array (c, path, v, "an array of device nodes", "devices",
	                           POLICY_MAX_DEVICES, sizeof (char *), &n);

	if (!v_out)
		return -1;
	names_free (&p->devices);
	p->devices.v = v_out;
#ifndef CONFIG_UDEV
	if (n > 0)
		return fail (c, path,
		             "this keel is built without CONFIG_UDEV: it cannot wait for devices");
#endif
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx (v, i);
		cleanup_free char *ipath = xasprintf ("%s[%zu]", path, i);
		cleanup_free char *g = NULL;

		if (!json_object_is_type (e, json_type_string) ||
		    !valid_device (json_object_get_string (e))) {
			g = got (e);
			return fail (c, ipath, "expected a device node like \"/dev/vdb\", got %s",
			             g);
		}
		p->devices.v[p->devices.n++] = xstrdup (json_object_get_string (e));
	}
	return 0;
}

/* "mounts": the mount points of /etc/fstab (or /etc/keel/fstab) this entry
 * needs, written as fstab writes them: absolute, no "." or "..", no "//",
 * no trailing '/' (one spelling, so the match with fstab is exact).  Which
 * line gives each is checked at boot (init/mounter.c), when fstab is read:
 * keel.json is read by `keel check` on a host whose fstab is not the
 * image's. */
static bool valid_mount_point (const char *s)
{
	const char *p = s;
	size_t n = strlen (s);

	if (s[0] != '/' || n < 2 || n > 1024 || s[n - 1] == '/')
		return false;
	while (*p) {
		const char *e;

		p++; /* the '/' */
		e = strchrnul (p, '/');
		if (e == p || (e - p == 1 && p[0] == '.') ||
		    (e - p == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (; p < e; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return false;
	}
	return true;
}

static int f_mounts (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	size_t i, k, n;
	char **v_out = want_array (c, path, v, "an array of mount points", "mounts",
	                           POLICY_MAX_MOUNTS, sizeof (char *), &n);

	if (!v_out)
		return -1;
	names_free (&p->mounts);
	p->mounts.v = v_out;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx (v, i);
		cleanup_free char *ipath = xasprintf ("%s[%zu]", path, i);
		cleanup_free char *g = NULL;
		const char *s;

		if (!json_object_is_type (e, json_type_string) ||
		    !valid_mount_point (json_object_get_string (e))) {
			g = got (e);
			return fail (
			        c, ipath,
			        "expected a mount point of /etc/fstab like \"/var/lib/data\" "
			        "(absolute, no \".\", \"..\", \"//\" or trailing \"/\"), got %s",
			        g);
		}
		s = json_object_get_string (e);
		for (k = 0; k < p->mounts.n; k++)
			if (strcmp (p->mounts.v[k], s) == 0)
				return fail (c, ipath, "\"%s\" is listed twice", s);
		p->mounts.v[p->mounts.n++] = xstrdup (s);
	}
	return 0;
}

static int f_kind (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const char *const names[] = {"service", "oneshot"};
	int k, ret = get_enum (c, path, v, names, 2, "\"service\", \"oneshot\"", &k);
	if (ret == 0)
		p->kind = (enum policy_kind)k;
	return ret;
}

static int f_requires (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	names_free (&p->requires);
	return get_names (c, path, v, &p->requires);
}

static int f_after (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	names_free (&p->after);
	return get_names (c, path, v, &p->after);
}

static int f_wants (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	names_free (&p->wants);
	return get_names (c, path, v, &p->wants);
}

static int restart_policy (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const char *const names[] = {"no", "on-failure", "always"};
	int k, ret = get_enum (c, path, v, names, 3, "\"no\", \"on-failure\", \"always\"", &k);
	if (ret == 0)
		p->restart = (enum policy_restart)k;
	return ret;
}

static int f_restart_delay (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->restart_delay_ms);
}

static int f_backoff_factor (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	cleanup_free char *g = NULL;
	double d;

	if (json_object_is_type (v, json_type_int) || json_object_is_type (v, json_type_double)) {
		d = json_object_get_double (v);
		if (isfinite (d) && d >= 1 && d <= 100) {
			p->backoff_factor = d;
			return 0;
		}
	}
	g = got (v);
	return fail (c, path, "expected a number from 1 (constant delay) to 100, got %s", g);
}

static int f_backoff_max (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->backoff_max_ms);
}

static int f_restart_backoff (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const struct field fields[] = {
	        {"factor", f_backoff_factor},
	        {"max", f_backoff_max},
	};
	if (want_type (c, path, v, json_type_object, "an object {\"factor\", \"max\"}") < 0)
		return -1;
	return WALK (c, path, v, fields, p);
}

static int f_limit_burst (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_uint (c, path, v, 1, POLICY_MAX_BURST, &p->start_limit_burst);
}

static int f_limit_interval (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->start_limit_interval_ms);
}

static int f_restart_limit (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const struct field fields[] = {
	        {"burst", f_limit_burst},
	        {"interval", f_limit_interval},
	};
	if (want_type (c, path, v, json_type_object, "an object {\"burst\", \"interval\"}") < 0)
		return -1;
	return WALK (c, path, v, fields, p);
}

static int f_restart (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const struct field fields[] = {
	        {"policy", restart_policy},
	        {"delay", f_restart_delay},
	        {"backoff", f_restart_backoff},
	        {"limit", f_restart_limit},
	};
	cleanup_free char *g = NULL;

	/* "restart": "always" is shorthand for {"policy": "always"}. */
	if (json_object_is_type (v, json_type_string))
		return restart_policy (c, path, v, p);
	if (!json_object_is_type (v, json_type_object)) {
		g = got (v);
		return fail (c, path,
		             "expected \"no\", \"on-failure\", \"always\" or an object, got %s", g);
	}
	return WALK (c, path, v, fields, p);
}

static int f_readiness (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const char *const names[] = {"started", "exited", "notify", "healthy"};
	int k, ret = get_enum (c, path, v, names, 4,
	                       "\"started\", \"exited\", \"notify\", \"healthy\"", &k);
	if (ret == 0)
		p->ready = (enum policy_ready)k;
	return ret;
}

static int f_devices_timeout (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->devices_timeout_ms);
}

static int f_start_timeout (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->start_timeout_ms);
}

static int f_stop_signal (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	cleanup_free char *g = NULL;
	int s = -1;

	if (json_object_is_type (v, json_type_string))
		s = policy_parse_signal (json_object_get_string (v));
	else if (json_object_is_type (v, json_type_int) && json_object_get_int64 (v) > 0 &&
	         json_object_get_int64 (v) < NSIG)
		s = (int)json_object_get_int64 (v);
	if (s > 0) {
		p->stop_signal = s;
		return 0;
	}
	g = got (v);
	return fail (c, path, "expected a signal like \"SIGTERM\" or its number, got %s", g);
}

static int f_stop_timeout (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->stop_timeout_ms);
}

static int f_stop (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const struct field fields[] = {
	        {"signal", f_stop_signal},
	        {"timeout", f_stop_timeout},
	};
	if (want_type (c, path, v, json_type_object, "an object {\"signal\", \"timeout\"}") < 0)
		return -1;
	return WALK (c, path, v, fields, p);
}

static int f_essential (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_bool (c, path, v, &p->essential);
}

static int f_log_console (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_bool (c, path, v, &p->log_console);
}

static int f_log_file (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	const char *s;

	if (json_object_is_type (v, json_type_null)) {
		free (p->log_file);
		p->log_file = NULL;
		return 0;
	}
	if (want_type (c, path, v, json_type_string, "an absolute path or null") < 0)
		return -1;
	s = json_object_get_string (v);
	if (s[0] != '/' || strlen (s) > 1024)
		return fail (c, path, "expected an absolute path, got \"%s\"", s);
	free (p->log_file);
	p->log_file = xstrdup (s);
	return 0;
}

static int f_rotate_size (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_size (c, path, v, 4096, 1ULL << 40, &p->log_rotate_size);
}

static int f_rotate_count (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_uint (c, path, v, 1, POLICY_MAX_LOG_FILES, &p->log_rotate_count);
}

static int f_log_rotate (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const struct field fields[] = {
	        {"size", f_rotate_size},
	        {"count", f_rotate_count},
	};
	if (want_type (c, path, v, json_type_object, "an object {\"size\", \"count\"}") < 0)
		return -1;
	return WALK (c, path, v, fields, p);
}

static int f_log_ring (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_size (c, path, v, POLICY_MIN_RING, POLICY_MAX_RING, &p->log_ring_size);
}

static int f_logs (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const struct field fields[] = {
	        {"console", f_log_console},
	        {"file", f_log_file},
	        {"rotate", f_log_rotate},
	        {"ring", f_log_ring},
	};
	if (want_type (c, path, v, json_type_object,
	               "an object {\"console\", \"file\", \"rotate\", \"ring\"}") < 0)
		return -1;
	return WALK (c, path, v, fields, p);
}

static int f_description (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	if (want_type (c, path, v, json_type_string, "a string") < 0)
		return -1;
	if (strlen (json_object_get_string (v)) > 256)
		return fail (c, path, "longer than 256 characters");
	free (p->description);
	p->description = xstrdup (json_object_get_string (v));
	return 0;
}


/* ---- "network" (cni.h; its own section so the rest stays as it is) --- */

const char *policy_net_mode_name (enum policy_net_mode m)
{
	switch (m) {
	case NET_DEFAULT:
		return "default";
	case NET_HOST:
		return "host";
	case NET_NONE:
		return "none";
	case NET_CNI:
		return "cni";
	}
	return "?";
}

void policy_network_free (struct policy_network *n)
{
	size_t i;

	free (n->cni);
	free (n->interface);
	for (i = 0; i < n->n_ports; i++)
		free (n->ports[i].host_ip);
	free (n->ports);
	for (i = 0; i < n->n_args; i++)
		free (n->args[i]);
	free (n->args);
	memset (n, 0, sizeof (*n));
}

/* SPEC.md: a network name starts alphanumeric, then [A-Za-z0-9_.-]; it
 * also names files and iptables comments, so keep it short. */
static bool valid_cni_name (const char *s)
{
	const char *q;

	if (!isalnum ((unsigned char)*s) || strlen (s) > 64)
		return false;
	for (q = s; *q; q++)
		if (!isalnum ((unsigned char)*q) && !strchr ("_.-", *q))
			return false;
	return true;
}

/* What the kernel takes as an interface name (dev_valid_name). */
static bool valid_ifname (const char *s)
{
	const char *q;

	if (*s == '\0' || strlen (s) > 15 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
		return false;
	for (q = s; *q; q++)
		if (*q == '/' || *q == ':' || isspace ((unsigned char)*q) || !isprint ((unsigned char)*q))
			return false;
	return true;
}

static int net_port_number (struct ctx *c, const char *path, json_object *v, uint16_t *out)
{
	unsigned n;
	int ret = get_uint (c, path, v, 1, 65535, &n);

	if (ret == 0)
		*out = (uint16_t)n;
	return ret;
}

static int net_port (struct ctx *c, const char *path, json_object *v, struct policy_port *pt)
{
	bool have_host = false, have_container = false;

	if (want_type (c, path, v, json_type_object,
	               "an object {\"host\", \"container\", \"protocol\", \"host_ip\"}") < 0)
		return -1;
	pt->protocol = "tcp";
	json_object_object_foreach (v, key, val)
	{
		cleanup_free char *kpath = xasprintf ("%s.%s", path, key);
		cleanup_free char *g = NULL;

		if (strcmp (key, "host") == 0) {
			if (net_port_number (c, kpath, val, &pt->host) < 0)
				return -1;
			have_host = true;
		} else if (strcmp (key, "container") == 0) {
			if (net_port_number (c, kpath, val, &pt->container) < 0)
				return -1;
			have_container = true;
		} else if (strcmp (key, "protocol") == 0) {
			static const char *const names[] = {"tcp", "udp", "sctp"};
			int k;
			if (get_enum (c, kpath, val, names, 3, "\"tcp\", \"udp\", \"sctp\"", &k) < 0)
				return -1;
			pt->protocol = names[k];
		} else if (strcmp (key, "host_ip") == 0) {
			unsigned char buf[16];
			const char *s = json_object_is_type (val, json_type_string)
			                        ? json_object_get_string (val)
			                        : NULL;
			if (s == NULL || (inet_pton (AF_INET, s, buf) != 1 &&
			                  inet_pton (AF_INET6, s, buf) != 1)) {
				g = got (val);
				return fail (c, kpath, "expected an IPv4 or IPv6 address, got %s", g);
			}
			free (pt->host_ip);
			pt->host_ip = xstrdup (s);
		} else {
			return fail (c, kpath,
			             "unknown key (expected one of: host, container, protocol, host_ip)");
		}
	}
	if (!have_host)
		return fail (c, path, "\"host\" is missing (the port on the host)");
	if (!have_container)
		return fail (c, path, "\"container\" is missing (the port in the container)");
	return 0;
}

static int net_ports (struct ctx *c, const char *path, json_object *v, struct policy_network *n)
{
	size_t i, j, len;

	n->ports = want_array (c, path, v, "an array of port mappings", "ports", POLICY_MAX_PORTS,
	                       sizeof (*n->ports), &len);
	if (!n->ports)
		return -1;
	for (i = 0; i < len; i++) {
		cleanup_free char *ipath = xasprintf ("%s[%zu]", path, i);
		struct policy_port *pt = &n->ports[n->n_ports++];

		if (net_port (c, ipath, json_object_array_get_idx (v, i), pt) < 0)
			return -1;
		for (j = 0; j + 1 < n->n_ports; j++)
			if (n->ports[j].host == pt->host && strcmp (n->ports[j].protocol, pt->protocol) == 0)
				return fail (c, ipath, "host port %u/%s is already published by %s[%zu]",
				             pt->host, pt->protocol, path, j);
	}
	return 0;
}

/* CNI_ARGS is "K=V;K=V": keys alphanumeric, values without ';' or '='. */
static int net_args (struct ctx *c, const char *path, json_object *v, struct policy_network *n)
{
	size_t len;

	if (want_type (c, path, v, json_type_object, "an object of strings {\"KEY\": \"VALUE\"}") < 0)
		return -1;
	len = (size_t)json_object_object_length (v);
	if (len > POLICY_MAX_CNI_ARGS)
		return fail (c, path, "at most %d arguments, got %zu", POLICY_MAX_CNI_ARGS, len);
	n->args = xmalloc0 ((len + 1) * sizeof (char *));
	json_object_object_foreach (v, key, val)
	{
		cleanup_free char *kpath = xasprintf ("%s.%s", path, key);
		cleanup_free char *g = NULL;
		const char *q, *s;

		if (*key == '\0' || strlen (key) > 64)
			return fail (c, kpath, "a key is 1 to 64 characters [A-Za-z0-9_]");
		for (q = key; *q; q++)
			if (!isalnum ((unsigned char)*q) && *q != '_')
				return fail (c, kpath, "a key is 1 to 64 characters [A-Za-z0-9_]");
		if (!json_object_is_type (val, json_type_string)) {
			g = got (val);
			return fail (c, kpath, "expected a string, got %s", g);
		}
		s = json_object_get_string (val);
		if (strlen (s) > 256)
			return fail (c, kpath, "longer than 256 characters");
		for (q = s; *q; q++)
			if (*q == ';' || *q == '=' || !isprint ((unsigned char)*q))
				return fail (c, kpath,
				             "a value is printable text without ';' or '=' (CNI_ARGS)");
		n->args[n->n_args++] = xasprintf ("%s=%s", key, s);
	}
	return 0;
}

static int f_network (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	struct policy_network *n = &p->network;
	cleanup_free char *g = NULL;

	policy_network_free (n);
	if (json_object_is_type (v, json_type_string)) {
		static const char *const names[] = {"host", "none"};
		int k;
		if (get_enum (c, path, v, names, 2, "\"host\", \"none\" or {\"cni\": NAME}", &k) < 0)
			return -1;
		n->mode = k == 0 ? NET_HOST : NET_NONE;
		return 0;
	}
	if (!json_object_is_type (v, json_type_object)) {
		g = got (v);
		return fail (c, path, "expected \"host\", \"none\" or {\"cni\": NAME}, got %s", g);
	}
	n->mode = NET_CNI;
	json_object_object_foreach (v, key, val)
	{
		cleanup_free char *kpath = xasprintf ("%s.%s", path, key);
		int ret;

		if (strcmp (key, "cni") == 0 || strcmp (key, "interface") == 0) {
			bool is_cni = key[0] == 'c';
			const char *s;
			if (want_type (c, kpath, val, json_type_string,
			               is_cni ? "a network name" : "an interface name") < 0)
				return -1;
			s = json_object_get_string (val);
			if (is_cni && !valid_cni_name (s))
				return fail (c, kpath,
				             "\"%s\" is not a CNI network name (alphanumeric first, "
				             "then [A-Za-z0-9_.-], at most 64)",
				             s);
			if (!is_cni && !valid_ifname (s))
				return fail (c, kpath,
				             "\"%s\" is not an interface name (1 to 15 characters, no "
				             "'/', ':' or spaces)",
				             s);
			free (is_cni ? n->cni : n->interface);
			*(is_cni ? &n->cni : &n->interface) = xstrdup (s);
			continue;
		}
		if (strcmp (key, "ports") == 0)
			ret = net_ports (c, kpath, val, n);
		else if (strcmp (key, "timeout") == 0) {
			ret = get_duration (c, kpath, val, &n->timeout_ms);
			if (ret == 0 && (n->timeout_ms == 0 || n->timeout_ms > POLICY_MAX_CNI_TIMEOUT_MS))
				ret = fail (c, kpath, "expected a duration from 1ms to 10min, got %llums",
				            (unsigned long long)n->timeout_ms);
		}
		else if (strcmp (key, "args") == 0)
			ret = net_args (c, kpath, val, n);
		else
			ret = fail (c, kpath,
			            "unknown key (expected one of: cni, interface, ports, args, timeout)");
		if (ret < 0)
			return ret;
	}
	if (n->cni == NULL)
		return fail (c, path, "\"cni\" is missing (the name of a network in the CNI "
		                      "configuration directory)");
	if (n->interface == NULL)
		n->interface = xstrdup ("eth0");
	return 0;
}

/* ---- "health" (init/health.h) ---- */

static int f_health_command (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	size_t n, k;

	if (json_object_is_type (v, json_type_string)) {
		/* a string is a shell command line, as Docker's CMD-SHELL */
		const char *s = json_object_get_string (v);
		if (*s == '\0' || strlen (s) > POLICY_MAX_HEALTH_ARG)
			return fail (c, path, "expected a command line of 1 to %d characters",
			             POLICY_MAX_HEALTH_ARG);
		p->health.argv = xmalloc0 (4 * sizeof (char *));
		p->health.argv[0] = xstrdup ("/bin/sh");
		p->health.argv[1] = xstrdup ("-c");
		p->health.argv[2] = xstrdup (s);
		p->health.argc = 3;
		return 0;
	}
	if (want_type (c, path, v, json_type_array,
	               "an array of strings (program and arguments) or a shell command line") < 0)
		return -1;
	n = json_object_array_length (v);
	if (n == 0 || n > POLICY_MAX_HEALTH_ARGS)
		return fail (c, path, "expected 1 to %d strings, got %zu", POLICY_MAX_HEALTH_ARGS,
		             n);
	p->health.argv = xmalloc0 ((n + 1) * sizeof (char *));
	for (k = 0; k < n; k++) {
		json_object *e = json_object_array_get_idx (v, k);
		cleanup_free char *ep = xasprintf ("%s[%zu]", path, k);
		cleanup_free char *g = NULL;
		const char *s;

		if (!json_object_is_type (e, json_type_string)) {
			g = got (e);
			return fail (c, ep, "expected a string, got %s", g);
		}
		s = json_object_get_string (e);
		if (strlen (s) > POLICY_MAX_HEALTH_ARG || (k == 0 && *s == '\0'))
			return fail (c, ep, "expected %s of at most %d characters",
			             k == 0 ? "a program" : "an argument", POLICY_MAX_HEALTH_ARG);
		if (strlen (s) != (size_t)json_object_get_string_len (e))
			return fail (c, ep, "contains a NUL byte");
		p->health.argv[p->health.argc++] = xstrdup (s);
	}
	return 0;
}

static int f_health_interval (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->health.interval_ms);
}

static int f_health_timeout (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->health.timeout_ms);
}

static int f_health_start_period (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_duration (c, path, v, &p->health.start_period_ms);
}

static int f_health_retries (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	return get_uint (c, path, v, 1, 100, &p->health.retries);
}

static int f_health (struct ctx *c, const char *path, json_object *v, struct policy *p)
{
	static const struct field fields[] = {
	        {"command", f_health_command}, {"interval", f_health_interval},
	        {"timeout", f_health_timeout}, {"start_period", f_health_start_period},
	        {"retries", f_health_retries},
	};
	json_object *cmd;

	if (want_type (c, path, v, json_type_object,
	               "an object {\"command\", \"interval\", \"timeout\", \"start_period\", "
	               "\"retries\"}") < 0)
		return -1;
	if (!json_object_object_get_ex (v, "command", &cmd))
		return fail (c, path, "\"command\" is required (what to run in the container)");
	return WALK (c, path, v, fields, p);
}

/* The rules of "health" that involve other fields. */
static int health_cross_check (struct ctx *c, struct policy *p)
{
	if (p->ready == READY_HEALTHY && p->health.argv == NULL)
		return fail (c, "readiness", "\"healthy\" needs a \"health\" section (its command)");
	if (p->health.argv == NULL)
		return 0;
	if (p->kind == KIND_ONESHOT)
		return fail (c, "health", "a oneshot is not checked (it is done when it exits)");
	if (p->health.interval_ms < 100)
		return fail (c, "health.interval", "at least 100ms, got %llums",
		             (unsigned long long)p->health.interval_ms);
	if (p->health.timeout_ms < 100)
		return fail (c, "health.timeout", "at least 100ms, got %llums",
		             (unsigned long long)p->health.timeout_ms);
	return 0;
}

static const struct field top_fields[] = {
        {"description", f_description},
        {"kind", f_kind},
        {"requires", f_requires},
        {"after", f_after},
        {"wants", f_wants},
        {"devices", f_devices},
        {"devices_timeout", f_devices_timeout},
        {"mounts", f_mounts},
        {"restart", f_restart},
        {"readiness", f_readiness},
        {"start_timeout", f_start_timeout},
        {"stop", f_stop},
        {"essential", f_essential},
        {"logs", f_logs},
        {"network", f_network},
        {"health", f_health},
};

/* Rules that involve more than one field. */
static int cross_check (struct ctx *c, json_object *root, struct policy *p)
{
	json_object *tmp;

	if (!json_object_object_get_ex (root, "readiness", &tmp))
		p->ready = p->kind == KIND_ONESHOT ? READY_EXITED : READY_STARTED;
	/* A oneshot may legitimately run long (formatting a disk): no
	 * default limit, only an explicit one. */
	if (!json_object_object_get_ex (root, "start_timeout", &tmp) && p->kind == KIND_ONESHOT)
		p->start_timeout_ms = 0;
	if (p->kind == KIND_ONESHOT && p->ready != READY_EXITED)
		return fail (c, "readiness",
		             "a oneshot is ready when it exits 0; \"%s\" is only for services",
		             policy_ready_name (p->ready));
	if (p->kind == KIND_SERVICE && p->ready == READY_EXITED)
		return fail (c, "readiness",
		             "\"exited\" is only for oneshots (set \"kind\": \"oneshot\")");
	if (p->kind == KIND_ONESHOT && p->restart == RESTART_ALWAYS)
		return fail (c, "restart.policy",
		             "\"always\" would rerun a oneshot forever; use \"on-failure\"");
	if (p->backoff_max_ms < p->restart_delay_ms)
		return fail (c, "restart.backoff.max",
		             "%llums is shorter than restart.delay (%llums)",
		             (unsigned long long)p->backoff_max_ms,
		             (unsigned long long)p->restart_delay_ms);
	if (p->start_limit_interval_ms == 0)
		return fail (c, "restart.limit.interval", "must be longer than 0");
	if (p->stop_timeout_ms == 0)
		return fail (c, "stop.timeout",
		             "must be longer than 0 (SIGKILL follows the stop signal after it)");
	return health_cross_check (c, p);
}

int policy_parse (const char *file, const char *json, size_t len, struct policy *p,
                  struct keel_error **err)
{
	struct ctx c = {.file = file, .err = err};
	json_object *root = NULL;
	int ret;

	policy_defaults (p);
	if (len > POLICY_MAX_FILE_SIZE)
		return keel_error (err, 0, "%s: %zu bytes is larger than the limit of %d KiB",
		                   file, len, POLICY_MAX_FILE_SIZE / 1024);
	ret = jpath_parse (file, json, len, &root, err);
	if (ret < 0)
		return ret;
	if (!json_object_is_type (root, json_type_object)) {
		cleanup_free char *g = got (root);
		json_object_put (root);
		return keel_error (err, 0, "%s: expected a JSON object at the top, got %s", file,
		                   g);
	}
	ret = WALK (&c, NULL, root, top_fields, p);
	if (ret == 0)
		ret = cross_check (&c, root, p);
	json_object_put (root);
	if (ret < 0)
		policy_free (p);
	return ret;
}

int policy_load (const char *file, struct policy *p, struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int ret;

	ret = input_read (file, NULL, POLICY_MAX_FILE_SIZE, &buf, &len, err);
	/* No keel.json means the defaults; a keel.json that is a link to
	 * nothing is a mistake, not an absence. */
	if (ret < 0 && (*err)->status == ENOENT && lstat (file, &st) == 0)
		return keel_error (err, 0, "%s: a symbolic link to a missing file", file);
	if (ret < 0 && (*err)->status == ENOENT) {
		keel_error_release (err);
		policy_defaults (p);
		return 0;
	}
	if (ret < 0)
		return ret;
	return policy_parse (file, buf, len, p, err);
}
