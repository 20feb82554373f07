/* Releasing a decoded config: every pointer in struct spec is owned. */
#include "runtime/spec-parse.h"

#include <stdlib.h>

#include "lib/arena.h"

void spec_strv_free (struct spec_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free (v->v[i]);
	free (v->v);
	v->v = NULL;
	v->n = 0;
}

void spec_map_free (struct spec_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free (m->e[i].key);
		free (m->e[i].value);
	}
	free (m->e);
	m->e = NULL;
	m->n = 0;
}

static void mount_free (struct spec_mount *m)
{
	free (m->destination);
	free (m->type);
	free (m->source);
	spec_strv_free (&m->options);
	free (m->data);
	free (m->uid_mappings);
	free (m->gid_mappings);
}

static void process_free (struct spec_process *p)
{
	free (p->user.additional_gids);
	free (p->user.username);
	spec_strv_free (&p->args);
	free (p->command_line);
	spec_strv_free (&p->env);
	free (p->cwd);
	free (p->caps.bounding);
	free (p->caps.effective);
	free (p->caps.inheritable);
	free (p->caps.permitted);
	free (p->caps.ambient);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free (p->rlimits[i].type);
	free (p->rlimits);
	free (p->apparmor_profile);
	free (p->selinux_label);
	free (p->exec_cpu_affinity_initial);
	free (p->exec_cpu_affinity_final);
}

static void hooks_free (struct spec_hooks *h)
{
	for (int k = 0; k < HOOK_KIND_MAX; k++) {
		for (size_t i = 0; i < h->n[k]; i++) {
			free (h->h[k][i].path);
			spec_strv_free (&h->h[k][i].args);
			spec_strv_free (&h->h[k][i].env);
		}
		free (h->h[k]);
	}
}

static void resources_free (struct spec_resources *r)
{
	for (size_t i = 0; i < r->n_devices; i++)
		free (r->devices[i].access);
	free (r->devices);
	free (r->cpu.cpus);
	free (r->cpu.mems);
	free (r->blkio.weight_device);
	free (r->blkio.throttle_read_bps);
	free (r->blkio.throttle_write_bps);
	free (r->blkio.throttle_read_iops);
	free (r->blkio.throttle_write_iops);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free (r->hugepage_limits[i].page_size);
	free (r->hugepage_limits);
	for (size_t i = 0; i < r->n_net_priorities; i++)
		free (r->net_priorities[i].name);
	free (r->net_priorities);
	spec_map_free (&r->unified);
	spec_map_free (&r->rdma_unused);
	for (size_t i = 0; i < r->n_rdma; i++)
		free (r->rdma[i].device);
	free (r->rdma);
}

static void seccomp_free (struct spec_seccomp *s)
{
	spec_strv_free (&s->architectures);
	spec_strv_free (&s->flags);
	free (s->listener_path);
	free (s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		spec_strv_free (&s->syscalls[i].names);
		free (s->syscalls[i].args);
	}
	free (s->syscalls);
}

static void linux_free (struct spec_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free (l->namespaces[i].path);
	free (l->namespaces);
	free (l->uid_mappings);
	free (l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free (l->devices[i].path);
	free (l->devices);
	free (l->cgroups_path);
	resources_free (&l->resources);
	spec_strv_free (&l->masked_paths);
	spec_strv_free (&l->readonly_paths);
	free (l->mount_label);
	spec_map_free (&l->sysctl);
	seccomp_free (&l->seccomp);
	spec_strv_free (&l->personality.flags);
}

void spec_free (struct spec *s)
{
	/* A whole spec is only memory: where the arena holds everything
	 * (lib/arena.h), freeing it gives nothing back, and the walk over
	 * every field and mount is skipped, as spec_parse skips json-c's
	 * tree. */
	if (s == NULL || keel_arena_holds_all ())
		return;
	free (s->oci_version);
	free (s->bundle);
	free (s->root.path);
	free (s->root.abs_path);
	for (size_t i = 0; i < s->n_mounts; i++)
		mount_free (&s->mounts[i]);
	free (s->mounts);
	process_free (&s->process);
	free (s->hostname);
	free (s->domainname);
	hooks_free (&s->hooks);
	spec_map_free (&s->annotations);
	linux_free (&s->linux_);
	free (s);
}
