/* Container networking through CNI (github.com/containernetworking/cni,
 * SPEC.md): keel.json's "network": {"cni": NAME, ...} attaches the
 * container's own network namespace to the network configuration NAME.
 *
 * Where things are (docs/containers.d.md, "network"):
 *   configurations  $NETCONFPATH, default /etc/cni/net.d: *.conflist,
 *                   *.conf and *.json files; the one whose "name" is NAME
 *   plugins         $CNI_PATH, default /opt/cni/bin:/usr/libexec/cni:/usr/lib/cni
 *   attachments     STATE_ROOT/@cni/ID.json: what ADD used and returned
 *                   (DEL and CHECK need it); ID.netns: a bind mount that
 *                   keeps the namespace until DEL; ID.resolv.conf: bound
 *                   onto the container's /etc/resolv.conf
 * ("@" is not allowed in container ids, so no container's state
 * directory can collide with @cni.)
 *
 * All of it runs in PID 1's short-lived launch helpers (launch.c), never in
 * PID 1: create -> cni_attach (ADD, CHECK) -> start, and cni_detach (DEL)
 * before the runtime deletes the container, after it stopped for whatever
 * reason.  Each plugin runs with a time limit. */
#ifndef KEEL_INIT_CNI_H
#define KEEL_INIT_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/policy.h"
#include "lib/error.h"
#include "runtime/container.h"
#include "runtime/spec.h"

#define CNI_DEFAULT_CONF_DIR  "/etc/cni/net.d"
#define CNI_DEFAULT_PATH      "/opt/cni/bin:/usr/libexec/cni:/usr/lib/cni"
#define CNI_PLUGIN_TIMEOUT_MS 30000
#define CNI_MAX_OUTPUT        (1024 * 1024) /* a plugin's stdout or stderr */
#define CNI_MAX_CONF_SIZE     (256 * 1024)  /* one configuration file */
#define CNI_MAX_ITEMS         64            /* interfaces, ips, routes, dns entries */

/* ---- results (SPEC.md section 5), versions 0.3.0 to 1.1.0 ---------------- */

struct cni_interface {
	char *name, *mac, *sandbox;
};
struct cni_ip {
	char *address; /* CIDR */
	char *gateway; /* NULL when none */
	int interface; /* index into interfaces, -1 when absent */
};
struct cni_route {
	char *dst, *gw;
};
struct cni_result {
	char *version;
	struct cni_interface *interfaces;
	size_t n_interfaces;
	struct cni_ip *ips;
	size_t n_ips;
	struct cni_route *routes;
	size_t n_routes;
	char **nameservers, **search, **options;
	size_t n_nameservers, n_search, n_options;
	char *domain;
};

/* Parse and validate a success result.  `what` names it in messages. */
int cni_result_parse (const char *what, const char *json, size_t len, struct cni_result *r,
                      struct keel_error **err);
void cni_result_free (struct cni_result *r);
/* One line: "eth0 10.88.0.2/16 (gw 10.88.0.1); routes 0.0.0.0/0; dns 10.88.0.1". */
char *cni_result_summary (const struct cni_result *r);
/* The text of a resolv.conf for the result's DNS; NULL when it has none. */
char *cni_result_resolv_conf (const struct cni_result *r, const char *network);

/* A plugin's error output (SPEC.md "Error"): "MSG: DETAILS (code N)", or
 * NULL when the text is not an error object. */
char *cni_error_describe (const char *json, size_t len);

/* Whether the spec knows this cniVersion ("0.3.0" ... "1.1.0"); CHECK exists from 0.4.0. */
bool cni_version_supported (const char *v);
bool cni_version_has_check (const char *v);
/* A CNI container id: alphanumeric first, then [A-Za-z0-9_.-]. */
bool cni_valid_container_id (const char *id);

/* ---- a containers.d entry ------------------------------------------------- */

/* Cross-check keel.json's network against config.json (entries.c): a CNI
 * network needs a new network namespace of the container's own; "host"
 * refuses one.  Fills in the default (host without a network namespace,
 * none with one).  `file` names keel.json in messages. */
int cni_check_entry (const char *file, struct policy *p, const struct spec *spec,
                     struct keel_error **err);

/* ---- in the launch helpers ----------------------------------------------- */

struct cni_attach {
	struct spec_mount resolv;     /* the /etc/resolv.conf bind, when added */
	struct spec_mount *mounts;    /* opts' extra mounts + resolv */
	struct keel_create_opts opts; /* what create must use */
	char *summary;                /* after cni_attach: the result in one line */
};

/* Before create: the resolv.conf bind (unless config.json has one for
 * /etc/resolv.conf), as a copy of opts in a->opts. */
int cni_prepare (const struct keel_runtime *rt, const char *id, const struct policy_network *net,
                 const struct spec *spec, const struct keel_create_opts *opts, struct cni_attach *a,
                 struct keel_error **err);
/* After create, before start: ADD (and CHECK) for the container whose
 * process is pid.  On failure everything ADD made is undone (DEL) and the
 * error names the network and the plugin. */
int cni_attach (const struct keel_runtime *rt, const char *id, const struct policy_network *net,
                pid_t pid, struct cni_attach *a, struct keel_error **err);
void cni_attach_free (struct cni_attach *a);
/* DEL of whatever attachment the container has (none: nothing to do). */
int cni_detach (const struct keel_runtime *rt, const char *id, struct keel_error **err);

/* For `keelctl status`: "host", "none ...", or the network and the
 * attachment's result in one line.  Reads one small file of the state
 * directory (tmpfs), never runs a plugin. */
char *cni_status (const struct keel_runtime *rt, const char *id, const struct policy_network *net);

/* Overridable for tests (NETCONFPATH and CNI_PATH in keel's environment). */
const char *cni_conf_dir (void);
const char *cni_plugin_path (void);

#endif
