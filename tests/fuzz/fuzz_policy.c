/* libFuzzer target for the supervision policy decoder (init/policy.c,
 * policy_parse: containers.d/NAME/keel.json).  Every input must either
 * give a policy that satisfies the documented limits (docs/containers.d.md)
 * and that policy_free() releases, or exactly one "keel.json: ..." line
 * with the policy left freed; never a crash, leak or undefined behaviour. */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/policy.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_names (const struct policy_names *n)
{
	size_t i, j;

	if (n->n > POLICY_MAX_DEPS || (n->n > 0 && n->v == NULL))
		abort ();
	for (i = 0; i < n->n; i++) {
		if (!policy_valid_name (n->v[i]))
			abort ();
		for (j = 0; j < i; j++)
			if (strcmp (n->v[i], n->v[j]) == 0)
				abort ();
	}
}

/* "/dev/vdb" or "vdb": at most POLICY_MAX_DEVICES nodes under /dev. */
static void check_devices (const struct policy_names *d)
{
	size_t i;

	if (d->n > POLICY_MAX_DEVICES || (d->n > 0 && d->v == NULL))
		abort ();
	for (i = 0; i < d->n; i++)
		if (d->v[i][0] == '\0' || strstr (d->v[i], "..") != NULL || strlen (d->v[i]) > 64 ||
		    (d->v[i][0] == '/' && strncmp (d->v[i], "/dev/", 5) != 0))
			abort ();
}

/* keel.json "network": a CNI network name, an interface name, at most
 * POLICY_MAX_PORTS distinct host ports and POLICY_MAX_CNI_ARGS "K=V" with
 * nothing CNI_ARGS would split on; nothing of it unless mode is cni. */
static void check_network (const struct policy_network *n)
{
	size_t i, j;

	if (n->mode != NET_CNI) {
		if (n->mode != NET_DEFAULT && n->mode != NET_HOST && n->mode != NET_NONE)
			abort ();
		if (n->cni || n->interface || n->ports || n->args)
			abort ();
		return;
	}
	if (n->cni == NULL || n->interface == NULL || strlen (n->cni) > 64 ||
	    strchr (n->cni, '/') || n->interface[0] == '\0' || strlen (n->interface) > 15 ||
	    strchr (n->interface, '/'))
		abort ();
	if (n->n_ports > POLICY_MAX_PORTS || n->n_args > POLICY_MAX_CNI_ARGS ||
	    n->timeout_ms > POLICY_MAX_CNI_TIMEOUT_MS)
		abort ();
	for (i = 0; i < n->n_ports; i++) {
		if (n->ports[i].host == 0 || n->ports[i].container == 0 ||
		    (strcmp (n->ports[i].protocol, "tcp") != 0 &&
		     strcmp (n->ports[i].protocol, "udp") != 0 &&
		     strcmp (n->ports[i].protocol, "sctp") != 0))
			abort ();
		for (j = 0; j < i; j++)
			if (n->ports[j].host == n->ports[i].host &&
			    strcmp (n->ports[j].protocol, n->ports[i].protocol) == 0)
				abort ();
	}
	for (i = 0; i < n->n_args; i++) {
		const char *eq = strchr (n->args[i], '=');
		if (eq == NULL || eq == n->args[i] || strchr (eq + 1, '=') || strchr (n->args[i], ';'))
			abort ();
	}
}

/* "health": a command of 1..64 bounded strings, NULL-terminated, bounds
 * and cross rules kept (a separate function: cni adds "network" alike). */
static void check_health (const struct policy *p)
{
	const struct policy_health *h = &p->health;
	const uint64_t week = 7ULL * 24 * 3600 * 1000;
	size_t k;

	if (p->ready == READY_HEALTHY && h->argv == NULL)
		abort ();
	if (h->argv == NULL) {
		if (h->argc != 0)
			abort ();
		return;
	}
	if (p->kind == KIND_ONESHOT || h->argc < 1 || h->argc > POLICY_MAX_HEALTH_ARGS ||
	    h->argv[h->argc] != NULL || h->argv[0][0] == '\0')
		abort ();
	for (k = 0; k < h->argc; k++)
		if (strlen (h->argv[k]) > POLICY_MAX_HEALTH_ARG)
			abort ();
	if (h->interval_ms < 100 || h->timeout_ms < 100 || h->interval_ms > week ||
	    h->timeout_ms > week || h->start_period_ms > week || h->retries < 1 || h->retries > 100)
		abort ();
}

static void check (const struct policy *p)
{
	const uint64_t week = 7ULL * 24 * 3600 * 1000;

	check_names (&p->requires);
	check_names (&p->after);
	check_names (&p->wants);
	check_devices (&p->devices);
	check_network (&p->network);
	if (p->description && strlen (p->description) > 256)
		abort ();
	if (p->kind == KIND_ONESHOT ? p->ready != READY_EXITED || p->restart == RESTART_ALWAYS
	                            : p->ready == READY_EXITED)
		abort ();
	if (p->restart_delay_ms > week || p->backoff_max_ms > week ||
	    p->start_limit_interval_ms > week || p->start_timeout_ms > week ||
	    p->stop_timeout_ms > week || p->devices_timeout_ms > week)
		abort ();
	if (p->backoff_max_ms < p->restart_delay_ms || p->start_limit_interval_ms == 0 ||
	    p->stop_timeout_ms == 0)
		abort ();
	if (!(p->backoff_factor >= 1 && p->backoff_factor <= 100))
		abort ();
	if (p->start_limit_burst < 1 || p->start_limit_burst > POLICY_MAX_BURST)
		abort ();
	if (p->stop_signal < 1 || p->stop_signal >= NSIG)
		abort ();
	if (p->log_file && p->log_file[0] != '/')
		abort ();
	if (p->log_rotate_count < 1 || p->log_rotate_count > POLICY_MAX_LOG_FILES ||
	    p->log_rotate_size < 4096)
		abort ();
	if (p->log_ring_size < POLICY_MIN_RING || p->log_ring_size > POLICY_MAX_RING)
		abort ();
	check_health (p);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct policy p;

	if (policy_parse ("keel.json", (const char *)data, size, &p, &err) == 0) {
		if (err != NULL)
			abort ();
		check (&p);
		policy_free (&p);
		return 0;
	}
	/* The contract: "keel.json: ..." on one line, nothing left allocated. */
	if (err == NULL || err->msg == NULL || strchr (err->msg, '\n') != NULL ||
	    strncmp (err->msg, "keel.json: ", 11) != 0)
		abort ();
	if (p.description || p.log_file || p.requires.v || p.after.v || p.wants.v || p.devices.v ||
	    p.network.cni || p.network.interface || p.network.ports || p.network.args ||
	    p.health.argv)
		abort ();
	keel_error_release (&err);
	return 0;
}
