/* Rules that tie several parts of config.json together, checked once the
 * whole file is decoded: what only makes sense inside a namespace the
 * container does (or does not) get. */
#include "runtime/spec-parse.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

/* A new namespace of this kind, not one joined by path. */
static bool creates_ns (const struct spec *s, enum spec_ns_kind kind)
{
	const struct spec_namespace *ns = spec_get_namespace (s, kind);

	return ns != NULL && ns->path == NULL;
}

static int check_uts (struct spec_ctx *c, const struct spec *s)
{
	/* config.md: "you can only set this if your bundle creates a new UTS
	 * namespace"; otherwise it would rename the host. */
	if (s->hostname && s->hostname[0] && !spec_has_namespace (s, NS_UTS)) {
		spec_push_key (c, "hostname");
		return spec_err (c, "needs a UTS namespace in linux.namespaces");
	}
	if (s->domainname && s->domainname[0] && !spec_has_namespace (s, NS_UTS)) {
		spec_push_key (c, "domainname");
		return spec_err (c, "needs a UTS namespace in linux.namespaces");
	}
	return 0;
}

/* crun's fallback when a new user namespace has no mapping: the caller's
 * id becomes the container's root; for root itself, ids 0..N map to
 * themselves so the process's own uid/gid exists inside. */
static struct spec_idmapping *default_mapping (uint32_t host_id, uint32_t process_id)
{
	struct spec_idmapping *m = spec_alloc_array (1, sizeof (*m));

	m->container_id = 0;
	m->host_id = host_id;
	m->size = host_id != 0 ? 1 : (process_id == UINT32_MAX ? UINT32_MAX : process_id + 1);
	return m;
}

static int check_user_ns (struct spec_ctx *c, struct spec *s)
{
	struct spec_linux *l = &s->linux_;

	if (creates_ns (s, NS_USER)) {
		if (l->n_uid_mappings == 0) {
			free (l->uid_mappings); /* an empty "uidMappings": [] */
			l->uid_mappings = default_mapping (geteuid (), s->process.user.uid);
			l->n_uid_mappings = 1;
			l->default_uid_mappings = true;
		}
		if (l->n_gid_mappings == 0) {
			free (l->gid_mappings);
			l->gid_mappings = default_mapping (getegid (), s->process.user.gid);
			l->n_gid_mappings = 1;
			l->default_gid_mappings = true;
		}
	} else if ((l->n_uid_mappings > 0 || l->n_gid_mappings > 0) &&
	           !spec_has_namespace (s, NS_USER)) {
		spec_push_key (c, "linux");
		spec_push_key (c, l->n_uid_mappings ? "uidMappings" : "gidMappings");
		return spec_err (c, "given, but linux.namespaces has no user namespace");
	}
	return 0;
}

static int check_time_ns (struct spec_ctx *c, const struct spec *s)
{
	const struct spec_linux *l = &s->linux_;

	/* Offsets can only be written before the first process enters a new
	 * time namespace. */
	if ((l->time_monotonic.present || l->time_boottime.present) && !creates_ns (s, NS_TIME)) {
		spec_push_key (c, "linux");
		spec_push_key (c, "timeOffsets");
		return spec_err (c, "needs a new time namespace in linux.namespaces");
	}
	return 0;
}

/* "net/ipv4/ip_forward" is the same as "net.ipv4.ip_forward". */
static void sysctl_name (const char *key, char *name, size_t size)
{
	size_t i;

	for (i = 0; key[i] && i < size - 1; i++)
		name[i] = key[i] == '/' ? '.' : key[i];
	name[i] = '\0';
}

/* Which namespace a sysctl (dotted name) belongs to (the kernel's list, as
 * runc and crun use it); NS_KIND_MAX for the host-global ones keel refuses
 * to change. */
static enum spec_ns_kind sysctl_ns (const char *name)
{
	static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
	                                  "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
	                                  "kernel.shmmni", "kernel.shm_rmid_forced"};
	size_t i;

	if (strncmp (name, "net.", 4) == 0)
		return NS_NETWORK;
	if (strncmp (name, "fs.mqueue.", 10) == 0)
		return NS_IPC;
	for (i = 0; i < ARRAY_SIZE (ipc); i++)
		if (strcmp (name, ipc[i]) == 0)
			return NS_IPC;
	if (strcmp (name, "kernel.hostname") == 0 || strcmp (name, "kernel.domainname") == 0)
		return NS_UTS;
	return NS_KIND_MAX;
}

/* kernel.hostname and kernel.domainname say again what the hostname and
 * domainname fields say; when both are given they must agree, or which one
 * the container gets would depend on the order they are applied in.  (runc
 * refuses kernel.hostname whatever its value, crun 1.8 beside hostname.) */
static const char *uts_field (const struct spec *s, const char *name, const char **value)
{
	*value = NULL;
	if (strcmp (name, "kernel.hostname") == 0)
		*value = s->hostname;
	else if (strcmp (name, "kernel.domainname") == 0)
		*value = s->domainname;
	return *value == NULL ? NULL : name + strlen ("kernel.");
}

static int check_sysctl (struct spec_ctx *c, const struct spec *s)
{
	const struct spec_map *m = &s->linux_.sysctl;

	for (size_t i = 0; i < m->n; i++) {
		char name[256];
		enum spec_ns_kind k;
		const char *field, *want;

		sysctl_name (m->e[i].key, name, sizeof name);
		k = sysctl_ns (name);
		field = uts_field (s, name, &want);
		if (k != NS_KIND_MAX && spec_has_namespace (s, k) &&
		    (want == NULL || strcmp (want, m->e[i].value) == 0))
			continue;
		spec_push_key (c, "linux");
		spec_push_key (c, "sysctl");
		spec_push_key (c, m->e[i].key);
		if (k == NS_KIND_MAX)
			return spec_err (c, "not a namespaced sysctl: it would change the host");
		if (!spec_has_namespace (s, k))
			return spec_err (c, "needs a %s namespace in linux.namespaces",
			                 spec_ns_name (k));
		return spec_err (c, "%s conflicts with %s %s", spec_q (c, m->e[i].value), field,
		                 spec_q (c, want));
	}
	return 0;
}

int spec_validate (struct spec_ctx *c, struct spec *s)
{
	int ret;

	if ((ret = check_uts (c, s)) < 0 || (ret = check_user_ns (c, s)) < 0 ||
	    (ret = check_time_ns (c, s)) < 0 || (ret = check_sysctl (c, s)) < 0)
		return ret;
	return 0;
}
