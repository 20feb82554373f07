/* The supervision policy of one containers.d entry: containers.d/NAME/keel.json
 * beside the bundle's config.json (docs/containers.d.md is the reference).
 *
 * policy_parse() validates every field and reports the first problem as one
 * line naming the file and the JSON path:
 *   containers.d/web/keel.json: restart.delay: expected a duration like
 *   "500ms" or a number of seconds, got "abc"
 * Durations are kept in milliseconds, sizes in bytes.
 */
#ifndef KEEL_INIT_POLICY_H
#define KEEL_INIT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

enum policy_kind { KIND_SERVICE, KIND_ONESHOT };
enum policy_restart { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };
enum policy_ready { READY_STARTED, READY_EXITED, READY_NOTIFY, READY_HEALTHY };

struct policy_names {
	char **v;
	size_t n;
};

/* keel.json "network" (cni.h): the host's, the container's own namespace
 * alone, or its own namespace attached to a CNI network. */
enum policy_net_mode {
	NET_DEFAULT, /* unset: host without a network namespace in config.json, else none */
	NET_HOST,
	NET_NONE,
	NET_CNI,
};
struct policy_port {
	uint16_t host, container;
	const char *protocol; /* "tcp", "udp", "sctp" (static strings) */
	char *host_ip;        /* NULL: every address */
};
struct policy_network {
	enum policy_net_mode mode;
	char *cni;       /* the network's "name" in its configuration file */
	char *interface; /* CNI_IFNAME, "eth0" by default */
	struct policy_port *ports;
	size_t n_ports;
	char **args; /* "KEY=VALUE" for CNI_ARGS */
	size_t n_args;
	uint64_t timeout_ms; /* each plugin call; 0: CNI_PLUGIN_TIMEOUT_MS */
};
/* "health": a command exec'd in the running container (init/health.h). */
struct policy_health {
	char **argv; /* NULL: no health check */
	size_t argc;
	uint64_t interval_ms;     /* between the end of a check and the next */
	uint64_t timeout_ms;      /* a check running longer is killed: a failure */
	uint64_t start_period_ms; /* failures this soon after the start do not count */
	unsigned retries;         /* failures in a row that make it unhealthy */
};
#define POLICY_MAX_HEALTH_ARGS 64
#define POLICY_MAX_HEALTH_ARG  4096

struct policy {
	char *description; /* free text, shown by `keelctl status` */
	enum policy_kind kind;
	struct policy_names requires; /* hard: its failure blocks or stops us */
	struct policy_names after;    /* ordering only */
	struct policy_names wants;    /* soft: ordering, failure ignored */
	struct policy_names devices;  /* device nodes to wait for ("/dev/vdb") */
	struct policy_names mounts;   /* fstab mount points it needs ("/var/lib/data") */

	enum policy_restart restart;
	uint64_t restart_delay_ms;
	double backoff_factor; /* >= 1; 1 = constant delay */
	uint64_t backoff_max_ms;
	unsigned start_limit_burst; /* starts allowed within the interval */
	uint64_t start_limit_interval_ms;

	enum policy_ready ready;
	uint64_t start_timeout_ms; /* 0 = wait forever */
	uint64_t devices_timeout_ms; /* waiting for `devices` fails after it; 0 = forever */
	int stop_signal;
	uint64_t stop_timeout_ms;
	bool essential; /* its failure is fatal to the boot: power off */

	bool log_console;
	char *log_file; /* NULL: no file */
	uint64_t log_rotate_size;
	unsigned log_rotate_count;
	uint64_t log_ring_size;

	struct policy_network network;
	struct policy_health health;
};

/* Limits that keep PID 1's memory bounded whatever the JSON says. */
#define POLICY_MAX_FILE_SIZE (64 * 1024)
#define POLICY_MAX_DEPS      64
#define POLICY_MAX_DEVICES   16
#define POLICY_MAX_MOUNTS    16
#define POLICY_MAX_BURST     1000
#define POLICY_MAX_RING      (16ULL * 1024 * 1024)
#define POLICY_MIN_RING      1024ULL
#define POLICY_MAX_LOG_FILES 100
#define POLICY_MAX_PORTS     64
#define POLICY_MAX_CNI_ARGS  32
#define POLICY_MAX_CNI_TIMEOUT_MS (10ULL * 60 * 1000)

/* Fill p with the documented defaults (a service, no restart, ...). */
void policy_defaults (struct policy *p);

/* Parse the JSON text of a keel.json.  `file` names it in messages. On
 * failure *err holds "FILE: PATH: problem" and p is left freed. */
int policy_parse (const char *file, const char *json, size_t len, struct policy *p,
                  struct keel_error **err);

/* Read FILE and parse it; a missing file yields the defaults. */
int policy_load (const char *file, struct policy *p, struct keel_error **err);

void policy_free (struct policy *p);

/* A containers.d entry name / dependency name: lib/name.h's rule. */
bool policy_valid_name (const char *s);

/* Helpers also used by the control socket and command line. */
int policy_parse_duration (const char *s, uint64_t *ms);
int policy_parse_size (const char *s, uint64_t *bytes);
int policy_parse_signal (const char *s);
const char *policy_signal_name (int signo);
const char *policy_kind_name (enum policy_kind k);
const char *policy_restart_name (enum policy_restart r);
const char *policy_ready_name (enum policy_ready r);
const char *policy_net_mode_name (enum policy_net_mode m);
void policy_network_free (struct policy_network *n);

#endif
