/* keel-runtime events [--stats] [--interval DURATION] ID: the container's
 * cgroup statistics and OOM notifications as JSON lines, as runc 1.1
 * prints them ({"type":"stats","id":ID,"data":{...}}, {"type":"oom",
 * "id":ID}).  --stats prints one statistics object and exits; otherwise
 * statistics come every interval and an "oom" object each time the memory
 * controller reports one, until the container's process exits.
 *
 * One poll loop over three descriptors: a timerfd for the interval, the
 * OOM watch (cgroup-stats.h) and a pidfd of the container's process, whose
 * exit ends the command with status 0. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cgroup-stats.h"
#include "runtime/cli/command.h"

static const char events_usage[] =
        "events [OPTIONS] CONTAINER-ID\n"
        "\n"
        "Print the container's cgroup statistics every interval, and an \"oom\"\n"
        "event whenever its memory cgroup reports an OOM, as JSON lines, until\n"
        "the container stops.\n"
        "\n"
        "      --stats               print the statistics once and exit\n"
        "      --interval DURATION   time between statistics (Go syntax: 5s,\n"
        "                            500ms, 1m30s; default 5s)\n";

enum { OPT_STATS = 256, OPT_INTERVAL };

static const struct option events_longopts[] = {
        {"stats", no_argument, NULL, OPT_STATS},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {NULL, 0, NULL, 0},
};

/* A Go time.Duration as runc's flag takes it: an optional sign and a
 * sequence of decimal numbers (fractions allowed) each with a unit of ns,
 * us, µs, ms, s, m or h; a bare "0" too.  false when s is not one. */
static bool parse_duration (const char *s, long long *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
	        {"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
	        {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
	};
	double total = 0;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp (s, "0") == 0) {
		*ns = 0;
		return true;
	}
	if (*s == '\0')
		return false;
	while (*s) {
		char *end;
		double v;
		size_t best = 0, k, i;

		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
		errno = 0;
		v = strtod (s, &end);
		if (end == s || errno != 0)
			return false;
		s = end;
		/* the longest unit that matches ("ms" before "m") */
		for (i = 0, k = ARRAY_SIZE (units); i < ARRAY_SIZE (units); i++) {
			size_t l = strlen (units[i].unit);
			if (strncmp (s, units[i].unit, l) == 0 && l > best) {
				best = l;
				k = i;
			}
		}
		if (k == ARRAY_SIZE (units))
			return false;
		total += v * units[k].ns;
		s += best;
	}
	if (total > 9.2e18)
		return false;
	/* rounded, without libm (the dev build does not link it) */
	*ns = (long long)(total + 0.5) * (neg ? -1 : 1);
	return true;
}

static void print_event (const char *type, const char *id, json_object *data)
{
	json_object *o = json_object_new_object ();

	json_object_object_add (o, "type", json_object_new_string (type));
	json_object_object_add (o, "id", json_object_new_string (id));
	if (data)
		json_object_object_add (o, "data", data);
	printf ("%s\n", json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN |
	                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
	/* a reader on a pipe sees each event when it happens */
	fflush (stdout);
	json_object_put (o);
}

static int print_stats (const struct keel_state *st, struct keel_error **err)
{
	json_object *data;
	int ret;

	ret = cgroup_stats_json (st, &data, err);
	if (ret < 0)
		return ret;
	print_event ("stats", st->id, data);
	return 0;
}

/* The container, refused unless it has a process (created, running or
 * paused), in runc's words. */
static int load (struct cli_global *g, const char *id, struct keel_state *st,
                 struct keel_error **err)
{
	int ret = keel_container_state (&g->rt, id, st, err);

	if (ret < 0)
		return ret;
	if (st->status == KEEL_STOPPED || st->pid <= 0)
		return keel_error (err, 0, "container with id %s is not running", id);
	return 0;
}

static int arm_timer (long long interval_ns, int *out, struct keel_error **err)
{
	struct itimerspec its = {
	        .it_interval = {interval_ns / 1000000000LL, interval_ns % 1000000000LL},
	};
	int fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	its.it_value = its.it_interval;
	if (fd < 0)
		return keel_error (err, errno, "timerfd_create");
	if (timerfd_settime (fd, 0, &its, NULL) < 0) {
		int e = errno;
		close (fd);
		return keel_error (err, e, "timerfd_settime");
	}
	*out = fd;
	return 0;
}

static int report_ooms (struct cgroup_oom_watch *w, const char *id, struct keel_error **err)
{
	uint64_t n;
	int ret = cgroup_oom_watch_read (w, &n, err);

	while (ret == 0 && n-- > 0)
		print_event ("oom", id, NULL);
	return ret;
}

static int stream (struct cli_global *g, struct keel_state *st, long long interval_ns,
                   struct keel_error **err)
{
	struct cgroup_oom_watch oom = {.fd = -1};
	cleanup_close int timer = -1, pidfd = -1;
	struct keel_state again = {0};
	int ret;

	pidfd = (int)syscall (SYS_pidfd_open, st->pid, 0);
	if (pidfd < 0)
		return keel_error (err, errno, "pidfd_open %d", (int)st->pid);
	/* the pid may have been reused between state.json and pidfd_open:
	 * the container still running afterwards means the pidfd is its */
	ret = load (g, st->id, &again, err);
	keel_state_free (&again);
	if (ret < 0)
		return ret;
	{
		cleanup_error struct keel_error *oerr = NULL;
		/* a v2 container without memory limits may have no memory
		 * controller: statistics still come, OOMs cannot (poll skips -1) */
		if (cgroup_oom_watch_open (st, &oom, &oerr) < 0) {
			keel_error_wrap (&oerr, "events `%s`: no OOM events", st->id);
			keel_log_error (&oerr);
		}
	}
	ret = arm_timer (interval_ns, &timer, err);
	while (ret == 0) {
		struct pollfd fds[3] = {
		        {.fd = oom.fd, .events = POLLIN},
		        {.fd = timer, .events = POLLIN},
		        {.fd = pidfd, .events = POLLIN},
		};
		uint64_t ticks;

		if (poll (fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = keel_error (err, errno, "poll");
			break;
		}
		/* an OOM kill of the container's init wakes oom and pidfd together:
		 * report the OOM before leaving */
		if (fds[0].revents)
			ret = report_ooms (&oom, st->id, err);
		if (ret == 0 && fds[2].revents) {
			if (oom.fd >= 0)
				ret = report_ooms (&oom, st->id, err);
			break;
		}
		if (ret == 0 && fds[1].revents &&
		    read (timer, &ticks, sizeof ticks) == (ssize_t)sizeof ticks) {
			cleanup_error struct keel_error *serr = NULL;
			/* runc logs a failed read and keeps going: a cgroup file can
			 * vanish while the container exits */
			if (print_stats (st, &serr) < 0)
				keel_log_error (&serr);
		}
	}
	cgroup_oom_watch_close (&oom);
	return ret;
}

int cli_events (struct cli_global *g, int argc, char **argv)
{
	cleanup_error struct keel_error *err = NULL;
	struct keel_state st = {0};
	long long interval_ns = 5000000000LL;
	bool stats_only = false;
	struct cli_parser p;
	int c, i, ret;

	cli_parser_init (&p, "events", events_usage, "", events_longopts, argc, argv);
	while ((c = cli_next_opt (&p)) != CLI_OPT_END) {
		switch (c) {
		case OPT_STATS:
			stats_only = true;
			break;
		case OPT_INTERVAL:
			if (!parse_duration (optarg, &interval_ns))
				return cli_usage_error (
				        "events", "--interval: invalid duration `%s`", optarg);
			break;
		default:
			return c == CLI_OPT_HELP ? 0 : 1;
		}
	}
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	if (interval_ns <= 0)
		return cli_usage_error ("events", "duration interval must be greater than 0");
	ret = load (g, argv[i], &st, &err);
	if (ret == 0 && stats_only)
		ret = print_stats (&st, &err);
	else if (ret == 0)
		ret = stream (g, &st, interval_ns, &err);
	keel_state_free (&st);
	if (ret < 0) {
		keel_error_wrap (&err, "events `%s`", argv[i]);
		return cli_fail (&err);
	}
	return 0;
}
