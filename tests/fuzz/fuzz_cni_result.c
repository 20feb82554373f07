/* libFuzzer target for what a CNI plugin prints (init/cni.c): its ADD
 * result (cni_result_parse, then the summary PID 1 logs and the
 * resolv.conf written into the container) and its error object
 * (cni_error_describe).  A plugin is outside input: an accepted result has
 * a known version, CIDR addresses and interface indexes in range; the
 * summary and error are one line; the resolv.conf has only the lines keel
 * writes, so no nameserver can be smuggled in through a search domain.
 * fuzz-libs: -lseccomp -ludev */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/cni.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_resolv (const char *t, size_t n_nameservers)
{
	size_t ns = 0;

	while (*t) {
		const char *nl = strchr (t, '\n');
		if (nl == NULL)
			abort (); /* every line ends */
		if (strncmp (t, "nameserver ", 11) == 0)
			ns++;
		else if (strncmp (t, "# ", 2) != 0 && strncmp (t, "search ", 7) != 0 &&
		         strncmp (t, "domain ", 7) != 0 && strncmp (t, "options ", 8) != 0)
			abort ();
		t = nl + 1;
	}
	if (ns != n_nameservers)
		abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct cni_result r;
	char *s;
	size_t i;

	s = cni_error_describe ((const char *)data, size);
	if (s && strchr (s, '\n'))
		abort ();
	free (s);
	if (cni_result_parse ("result", (const char *)data, size, &r, &err) < 0) {
		if (err == NULL || strchr (err->msg, '\n') != NULL)
			abort ();
		keel_error_release (&err);
		return 0;
	}
	if (!cni_version_supported (r.version))
		abort ();
	for (i = 0; i < r.n_ips; i++)
		if (strchr (r.ips[i].address, '/') == NULL ||
		    (r.ips[i].interface >= 0 && (size_t)r.ips[i].interface >= r.n_interfaces))
			abort ();
	if (r.n_interfaces > CNI_MAX_ITEMS || r.n_ips > CNI_MAX_ITEMS || r.n_routes > CNI_MAX_ITEMS)
		abort ();
	s = cni_result_summary (&r);
	if (s == NULL || strchr (s, '\n'))
		abort ();
	free (s);
	s = cni_result_resolv_conf (&r, "net");
	if ((s == NULL) != (r.n_nameservers == 0))
		abort ();
	if (s)
		check_resolv (s, r.n_nameservers);
	free (s);
	cni_result_free (&r);
	return 0;
}
