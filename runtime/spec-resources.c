/* config.json "linux.resources": device rules, memory, cpu, pids, blkio,
 * hugepageLimits, network, rdma and cgroup v2 "unified" files.  Values are
 * checked for type and range here; whether a controller exists is the
 * cgroup code's business when it applies them. */
#include "runtime/spec-parse.h"

#include <string.h>

#include "lib/util.h"

/* runc (cgroup v1) and crun (eBPF) accept letters other than r, w and m
 * in a rule's access and act on the ones they know; configs in the wild
 * say "rwa".  keel keeps the known letters and warns about the rest; a
 * rule with none of them would match no access at all, so it is refused. */
static int check_device_access (struct spec_ctx *c, struct spec_device_rule *d)
{
	cleanup_free char *given = xstrdup (d->access);
	char unknown[8] = "";
	size_t k = 0, nu = 0, mark;

	for (const char *a = given; *a; a++) {
		if (strchr ("rwm", *a) != NULL) {
			if (memchr (d->access, *a, k) == NULL)
				d->access[k++] = *a;
		} else if (nu < sizeof unknown - 1 && memchr (unknown, *a, nu) == NULL) {
			unknown[nu++] = *a;
		}
	}
	mark = spec_push_key (c, "access");
	if (k == 0) {
		return spec_err (c, "%s has none of \"r\", \"w\" and \"m\"", spec_q (c, given));
	}
	if (nu > 0)
		spec_warn (c, "%s: ignoring %s (only \"r\", \"w\" and \"m\" mean something)",
		           spec_q (c, given), spec_q (c, unknown));
	d->access[k] = '\0';
	spec_pop (c, mark);
	return 0;
}

static int parse_device_rule (struct spec_ctx *c, json_object *e, struct spec_device_rule *d)
{
	cleanup_free char *type = NULL;
	bool has_allow = false;
	int ret;

	if (!json_object_is_type (e, json_type_object))
		return spec_err_type (c, "an object", e);
	d->major = d->minor = -1;
	if ((ret = spec_opt_bool (c, e, "allow", &d->allow)) < 0)
		return ret;
	has_allow = ret > 0;
	if (!has_allow)
		return spec_err_missing (c, "allow");
	if ((ret = spec_opt_string (c, e, "type", &type)) < 0 ||
	    (ret = spec_opt_int (c, e, "major", SPEC_I64, &d->major, NULL)) < 0 ||
	    (ret = spec_opt_int (c, e, "minor", SPEC_I64, &d->minor, NULL)) < 0 ||
	    (ret = spec_opt_string (c, e, "access", &d->access)) < 0)
		return ret;
	d->type = 'a';
	if (type != NULL && type[0] != '\0') {
		if (strlen (type) != 1 || !strchr ("acb", type[0])) {
			spec_push_key (c, "type");
			return spec_err (c,
			                 "unknown device type %s (expected \"a\", \"c\" or \"b\")",
			                 spec_q (c, type));
		}
		d->type = type[0];
	}
	if (d->major < -1) {
		spec_push_key (c, "major");
		return spec_err (c, "%lld is not a major number or -1", (long long)d->major);
	}
	if (d->minor < -1) {
		spec_push_key (c, "minor");
		return spec_err (c, "%lld is not a minor number or -1", (long long)d->minor);
	}
	if (d->access == NULL)
		d->access = xstrdup ("rwm");
	return check_device_access (c, d);
}

static int parse_device_rules (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	ret = spec_enter (c, r, "devices", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	res->devices = spec_alloc_array (n, sizeof (*res->devices));
	for (size_t i = 0; i < n; i++) {
		size_t m2 = spec_push_index (c, i);

		res->n_devices++;
		ret = parse_device_rule (c, json_object_array_get_idx (arr, i), &res->devices[i]);
		if (ret < 0)
			return ret;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_memory (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	struct spec_memory *m = &res->memory;
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, r, "memory", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	res->has_memory = true;
	if ((ret = spec_opt_int (c, v, "limit", SPEC_I64, &m->limit, &m->has_limit)) < 0 ||
	    (ret = spec_opt_int (c, v, "reservation", SPEC_I64, &m->reservation,
	                         &m->has_reservation)) < 0 ||
	    (ret = spec_opt_int (c, v, "swap", SPEC_I64, &m->swap, &m->has_swap)) < 0 ||
	    (ret = spec_opt_int (c, v, "kernel", SPEC_I64, &m->kernel, &m->has_kernel)) < 0 ||
	    (ret = spec_opt_int (c, v, "kernelTCP", SPEC_I64, &m->kernel_tcp, &m->has_kernel_tcp)) <
	            0 ||
	    (ret = spec_opt_int (c, v, "swappiness", SPEC_U64, &m->swappiness,
	                         &m->has_swappiness)) < 0 ||
	    (ret = spec_opt_bool (c, v, "disableOOMKiller", &m->disable_oom_killer)) < 0 ||
	    (ret = spec_opt_bool (c, v, "useHierarchy", &m->use_hierarchy)) < 0 ||
	    (ret = spec_opt_bool (c, v, "checkBeforeUpdate", &m->check_before_update)) < 0)
		return ret;
	if (m->has_swappiness && m->swappiness > 100) {
		spec_push_key (c, "swappiness");
		return spec_err (c, "%llu is not from 0 to 100", (unsigned long long)m->swappiness);
	}
	/* memory.swap is memory+swap in the spec: below the limit it makes no
	 * sense (runc refuses it as well). */
	if (m->has_limit && m->has_swap && m->limit > 0 && m->swap > 0 && m->swap < m->limit) {
		spec_push_key (c, "swap");
		return spec_err (c, "%lld (memory+swap) is less than memory.limit %lld",
		                 (long long)m->swap, (long long)m->limit);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_cpu (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	struct spec_cpu *cpu = &res->cpu;
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, r, "cpu", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	res->has_cpu = true;
	if ((ret = spec_opt_int (c, v, "shares", SPEC_U64, &cpu->shares, &cpu->has_shares)) < 0 ||
	    (ret = spec_opt_int (c, v, "quota", SPEC_I64, &cpu->quota, &cpu->has_quota)) < 0 ||
	    (ret = spec_opt_int (c, v, "burst", SPEC_U64, &cpu->burst, &cpu->has_burst)) < 0 ||
	    (ret = spec_opt_int (c, v, "period", SPEC_U64, &cpu->period, &cpu->has_period)) < 0 ||
	    (ret = spec_opt_int (c, v, "realtimeRuntime", SPEC_I64, &cpu->rt_runtime,
	                         &cpu->has_rt_runtime)) < 0 ||
	    (ret = spec_opt_int (c, v, "realtimePeriod", SPEC_U64, &cpu->rt_period,
	                         &cpu->has_rt_period)) < 0 ||
	    (ret = spec_opt_int (c, v, "idle", SPEC_I64, &cpu->idle, &cpu->has_idle)) < 0 ||
	    (ret = spec_check_cpu_list (c, v, "cpus", &cpu->cpus)) < 0 ||
	    (ret = spec_check_cpu_list (c, v, "mems", &cpu->mems)) < 0)
		return ret;
	if (cpu->has_idle && cpu->idle != 0 && cpu->idle != 1) {
		spec_push_key (c, "idle");
		return spec_err (c, "%lld is not 0 or 1", (long long)cpu->idle);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_pids (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, r, "pids", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	ret = spec_req_int (c, v, "limit", SPEC_I64, &res->pids_limit);
	if (ret < 0)
		return ret;
	res->has_pids = true;
	spec_pop (c, mark);
	return 0;
}

static int parse_blkio_devices (struct spec_ctx *c, json_object *b, const char *key, bool weights,
                                struct spec_blkio_device **out, size_t *n)
{
	json_object *arr;
	size_t mark, len;
	int ret;

	ret = spec_enter (c, b, key, json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	len = json_object_array_length (arr);
	*out = spec_alloc_array (len, sizeof (**out));
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx (arr, i);
		struct spec_blkio_device *d = &(*out)[i];
		size_t m2 = spec_push_index (c, i);

		(*n)++;
		if (!json_object_is_type (e, json_type_object))
			return spec_err_type (c, "an object", e);
		if ((ret = spec_req_int (c, e, "major", SPEC_I64, &d->major)) < 0 ||
		    (ret = spec_req_int (c, e, "minor", SPEC_I64, &d->minor)) < 0)
			return ret;
		if (weights) {
			if ((ret = spec_opt_int (c, e, "weight", SPEC_U16, &d->weight,
			                         &d->has_weight)) < 0 ||
			    (ret = spec_opt_int (c, e, "leafWeight", SPEC_U16, &d->leaf_weight,
			                         &d->has_leaf_weight)) < 0)
				return ret;
		} else if ((ret = spec_req_int (c, e, "rate", SPEC_U64, &d->rate)) < 0) {
			return ret;
		}
		if (d->major < 0 || d->minor < 0)
			return spec_err (c, "device %lld:%lld is not a device number",
			                 (long long)d->major, (long long)d->minor);
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_blkio (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	struct spec_blkio *b = &res->blkio;
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, r, "blockIO", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	res->has_blkio = true;
	if ((ret = spec_opt_int (c, v, "weight", SPEC_U16, &b->weight, &b->has_weight)) < 0 ||
	    (ret = spec_opt_int (c, v, "leafWeight", SPEC_U16, &b->leaf_weight,
	                         &b->has_leaf_weight)) < 0 ||
	    (ret = parse_blkio_devices (c, v, "weightDevice", true, &b->weight_device,
	                                &b->n_weight_device)) < 0 ||
	    (ret = parse_blkio_devices (c, v, "throttleReadBpsDevice", false, &b->throttle_read_bps,
	                                &b->n_throttle_read_bps)) < 0 ||
	    (ret = parse_blkio_devices (c, v, "throttleWriteBpsDevice", false,
	                                &b->throttle_write_bps, &b->n_throttle_write_bps)) < 0 ||
	    (ret = parse_blkio_devices (c, v, "throttleReadIOPSDevice", false,
	                                &b->throttle_read_iops, &b->n_throttle_read_iops)) < 0 ||
	    (ret = parse_blkio_devices (c, v, "throttleWriteIOPSDevice", false,
	                                &b->throttle_write_iops, &b->n_throttle_write_iops)) < 0)
		return ret;
	spec_pop (c, mark);
	return 0;
}

/* hugetlb.<size>.max: "2MB", "1GB", "64KB". */
static bool page_size_ok (const char *s)
{
	size_t digits = strspn (s, "0123456789");

	return digits > 0 && s[0] != '0' && strchr ("KMGT", s[digits]) && s[digits] != '\0' &&
	       strcmp (s + digits + 1, "B") == 0;
}

static int parse_hugepages (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	json_object *arr;
	size_t mark, n;
	int ret;

	ret = spec_enter (c, r, "hugepageLimits", json_type_array, &arr, &mark);
	if (ret <= 0)
		return ret;
	n = json_object_array_length (arr);
	res->hugepage_limits = spec_alloc_array (n, sizeof (*res->hugepage_limits));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx (arr, i);
		struct spec_hugepage_limit *h = &res->hugepage_limits[i];
		size_t m2 = spec_push_index (c, i);

		res->n_hugepage_limits++;
		if (!json_object_is_type (e, json_type_object))
			return spec_err_type (c, "an object", e);
		if ((ret = spec_req_string (c, e, "pageSize", &h->page_size)) < 0 ||
		    (ret = spec_req_int (c, e, "limit", SPEC_U64, &h->limit)) < 0)
			return ret;
		spec_push_key (c, "pageSize");
		if (!page_size_ok (h->page_size))
			return spec_err (c, "%s is not a page size like \"2MB\"",
			                 spec_q (c, h->page_size));
		for (size_t j = 0; j < i; j++)
			if (strcmp (res->hugepage_limits[j].page_size, h->page_size) == 0)
				return spec_err (
				        c, "duplicate page size %s (also hugepageLimits[%zu])",
				        spec_q (c, h->page_size), j);
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_network (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	json_object *v, *arr;
	size_t mark, m2, n;
	int ret;

	ret = spec_enter (c, r, "network", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	res->has_network = true;
	ret = spec_opt_int (c, v, "classID", SPEC_U32, &res->class_id, &res->has_class_id);
	if (ret < 0)
		return ret;
	ret = spec_enter (c, v, "priorities", json_type_array, &arr, &m2);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		n = json_object_array_length (arr);
		res->net_priorities = spec_alloc_array (n, sizeof (*res->net_priorities));
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx (arr, i);
			struct spec_net_priority *p = &res->net_priorities[i];
			size_t m3 = spec_push_index (c, i);

			res->n_net_priorities++;
			if (!json_object_is_type (e, json_type_object))
				return spec_err_type (c, "an object", e);
			if ((ret = spec_req_string (c, e, "name", &p->name)) < 0 ||
			    (ret = spec_req_int (c, e, "priority", SPEC_U32, &p->priority)) < 0)
				return ret;
			spec_pop (c, m3);
		}
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

static int parse_rdma (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	json_object *v;
	size_t mark;
	int ret;

	ret = spec_enter (c, r, "rdma", json_type_object, &v, &mark);
	if (ret <= 0)
		return ret;
	res->rdma = spec_alloc_array ((size_t)json_object_object_length (v), sizeof (*res->rdma));
	json_object_object_foreach (v, dev, lim)
	{
		struct spec_rdma *d = &res->rdma[res->n_rdma];
		size_t m2 = spec_push_key (c, dev);

		if (dev[0] == '\0' || strpbrk (dev, " \t\n/") != NULL)
			return spec_err (c, "not an RDMA device name");
		if (lim == NULL || !json_object_is_type (lim, json_type_object))
			return spec_err_type (c, "an object", lim);
		d->device = xstrdup (dev);
		res->n_rdma++;
		if ((ret = spec_opt_int (c, lim, "hcaHandles", SPEC_U32, &d->hca_handles,
		                         &d->has_hca_handles)) < 0 ||
		    (ret = spec_opt_int (c, lim, "hcaObjects", SPEC_U32, &d->hca_objects,
		                         &d->has_hca_objects)) < 0)
			return ret;
		spec_pop (c, m2);
	}
	spec_pop (c, mark);
	return 0;
}

/* Keys of "unified" are file names in the container's cgroup directory,
 * "controller.file": never a path that could leave it. */
static int parse_unified (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	size_t mark;
	int ret;

	ret = spec_opt_map (c, r, "unified", &res->unified);
	if (ret <= 0)
		return ret;
	mark = spec_push_key (c, "unified");
	for (size_t i = 0; i < res->unified.n; i++) {
		const char *k = res->unified.e[i].key;
		const char *dot = strchr (k, '.');

		if (strchr (k, '/') || dot == NULL || dot == k || dot[1] == '\0') {
			spec_push_key (c, k);
			return spec_err (c, "not a cgroup file name like \"memory.high\"");
		}
	}
	spec_pop (c, mark);
	return 0;
}

int spec_parse_resources (struct spec_ctx *c, json_object *r, struct spec_resources *res)
{
	int ret;

	if ((ret = parse_device_rules (c, r, res)) < 0 || (ret = parse_memory (c, r, res)) < 0 ||
	    (ret = parse_cpu (c, r, res)) < 0 || (ret = parse_pids (c, r, res)) < 0 ||
	    (ret = parse_blkio (c, r, res)) < 0 || (ret = parse_hugepages (c, r, res)) < 0 ||
	    (ret = parse_network (c, r, res)) < 0 || (ret = parse_rdma (c, r, res)) < 0 ||
	    (ret = parse_unified (c, r, res)) < 0)
		return ret;
	return 0;
}
