/* CNI (init/cni.c): the result parser against what Debian's plugins
 * (containernetworking-plugins 1.1.1) really printed, captured into
 * tests/unit/cni-results/ (bridge + host-local ADD at every result version
 * they emit, dual stack, portmap chained on a prevResult, host-local
 * alone, their error objects); results that must be refused; keel.json's
 * "network" section with its exact messages; and the entry cross-check
 * against config.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "init/cni.h"
#include "lib/util.h"

#define F "containers.d/web/keel.json"

static char *data (const char *name, size_t *len)
{
	const char *dir = getenv ("KEEL_TEST_DATA");
	cleanup_free char *path = xasprintf ("%s/unit/cni-results/%s", dir ? dir : "tests", name);
	struct keel_error *err = NULL;
	char *buf = NULL;

	if (read_file (path, 0, &buf, len, &err) < 0) {
		print_error ("%s\n", err->msg);
		keel_error_release (&err);
		fail ();
	}
	return buf;
}

/* bridge with isGateway and host-local, as captured at each version: the
 * same attachment, 0.x with ips[].version, 1.0.0 without. */
static void test_bridge_every_version (void **state)
{
	static const struct {
		const char *file, *version, *ifname, *address;
	} cases[] = {
	        {"bridge-add-0.3.0.json", "0.3.0", "e030", "10.251.7.2/24"},
	        {"bridge-add-0.3.1.json", "0.3.1", "e031", "10.251.7.3/24"},
	        {"bridge-add-0.4.0.json", "0.4.0", "e040", "10.251.7.4/24"},
	        {"bridge-add-1.0.0.json", "1.0.0", "e100", "10.251.7.5/24"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE (cases); i++) {
		size_t len = 0;
		cleanup_free char *json = data (cases[i].file, &len);
		cleanup_free char *sum = NULL, *resolv = NULL, *want = NULL;
		struct keel_error *err = NULL;
		struct cni_result r;

		if (cni_result_parse (cases[i].file, json, len, &r, &err) < 0) {
			print_error ("%s\n", err->msg);
			fail ();
		}
		assert_string_equal (r.version, cases[i].version);
		assert_int_equal (r.n_interfaces, 3);
		assert_string_equal (r.interfaces[0].name, "kcn-cap0");
		assert_null (r.interfaces[0].sandbox);
		assert_string_equal (r.interfaces[2].name, cases[i].ifname);
		assert_string_equal (r.interfaces[2].sandbox, "/run/netns/kcn-cap");
		assert_int_equal (r.n_ips, 1);
		assert_string_equal (r.ips[0].address, cases[i].address);
		assert_string_equal (r.ips[0].gateway, "10.251.7.1");
		assert_int_equal (r.ips[0].interface, 2);
		assert_int_equal (r.n_routes, 1);
		assert_string_equal (r.routes[0].dst, "0.0.0.0/0");
		assert_null (r.routes[0].gw);
		assert_int_equal (r.n_nameservers, 1);
		assert_string_equal (r.nameservers[0], "10.251.7.1");
		assert_int_equal (r.n_search, 1);
		assert_string_equal (r.search[0], "kcn.test");

		sum = cni_result_summary (&r);
		want = xasprintf ("%s %s (gw 10.251.7.1); routes 0.0.0.0/0; dns 10.251.7.1; search "
		                  "kcn.test",
		                  cases[i].ifname, cases[i].address);
		assert_string_equal (sum, want);
		resolv = cni_result_resolv_conf (&r, "kcn-cap");
		assert_string_equal (resolv, "# from the CNI network kcn-cap (keel)\n"
		                             "nameserver 10.251.7.1\nsearch kcn.test\n");
		cni_result_free (&r);
	}
}

static void test_dual_stack (void **state)
{
	size_t len = 0;
	cleanup_free char *json = data ("bridge-add-dual-1.0.0.json", &len);
	cleanup_free char *sum = NULL;
	struct keel_error *err = NULL;
	struct cni_result r;

	(void)state;
	assert_int_equal (cni_result_parse ("dual", json, len, &r, &err), 0);
	assert_int_equal (r.n_ips, 2);
	assert_string_equal (r.ips[1].address, "fd00:7::2/64");
	assert_string_equal (r.ips[1].gateway, "fd00:7::1");
	assert_int_equal (r.n_routes, 2);
	assert_string_equal (r.routes[1].dst, "::/0");
	/* "dns": {} is no DNS: the image's resolv.conf stays */
	assert_int_equal (r.n_nameservers, 0);
	assert_null (cni_result_resolv_conf (&r, "x"));
	sum = cni_result_summary (&r);
	assert_string_equal (sum, "edual 10.251.7.6/24 (gw 10.251.7.1), edual fd00:7::2/64 (gw "
	                          "fd00:7::1); routes 0.0.0.0/0, ::/0");
	cni_result_free (&r);
}

/* portmap passes its prevResult through (SPEC.md: a chained plugin
 * outputs the result it was given, with its changes). */
static void test_portmap_chained (void **state)
{
	size_t len = 0, plen = 0;
	cleanup_free char *json = data ("portmap-add-1.0.0.json", &len);
	cleanup_free char *prev = data ("bridge-add-1.0.0.json", &plen);
	cleanup_free char *a = NULL, *b = NULL;
	struct keel_error *err = NULL;
	struct cni_result r, p;

	(void)state;
	assert_int_equal (cni_result_parse ("portmap", json, len, &r, &err), 0);
	assert_int_equal (cni_result_parse ("bridge", prev, plen, &p, &err), 0);
	a = cni_result_summary (&r);
	b = cni_result_summary (&p);
	assert_string_equal (a, b);
	cni_result_free (&r);
	cni_result_free (&p);
}

/* An IPAM plugin's abbreviated result: no interfaces, no ips[].interface. */
static void test_ipam_alone (void **state)
{
	size_t len = 0;
	cleanup_free char *json = data ("host-local-add-0.4.0.json", &len);
	cleanup_free char *sum = NULL;
	struct keel_error *err = NULL;
	struct cni_result r;

	(void)state;
	assert_int_equal (cni_result_parse ("host-local", json, len, &r, &err), 0);
	assert_int_equal (r.n_interfaces, 0);
	assert_int_equal (r.ips[0].interface, -1);
	sum = cni_result_summary (&r);
	assert_string_equal (sum, "10.251.7.7/24 (gw 10.251.7.1); routes 0.0.0.0/0");
	cni_result_free (&r);
}

static void test_plugin_errors (void **state)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
	        {"bridge-error-range.json", "invalid range set 0: Network 10.251.7.0/31 too small "
	                                    "to allocate from (code 999)"},
	        {"bridge-error-version.json",
	         "incompatible CNI versions: config is \"9.9.9\", plugin supports [\"0.1.0\" "
	         "\"0.2.0\" \"0.3.0\" \"0.3.1\" \"0.4.0\" \"1.0.0\"] (code 1)"},
	        {"bridge-error-netns.json",
	         "failed to open netns \"/run/netns/kcn-nope\": failed to Statfs "
	         "\"/run/netns/kcn-nope\": no such file or directory (code 999)"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE (cases); i++) {
		size_t len = 0;
		cleanup_free char *json = data (cases[i].file, &len);
		cleanup_free char *d = cni_error_describe (json, len);
		assert_non_null (d);
		assert_string_equal (d, cases[i].want);
	}
	/* not an error object: the caller shows the text instead */
	assert_null (cni_error_describe ("panic: oops", 11));
	assert_null (cni_error_describe ("{\"msg\": \"no code\"}", 18));
	{
		/* control characters from a plugin never break the console line */
		const char *j = "{\"code\": 7, \"msg\": \"a\\nb\"}";
		cleanup_free char *d = cni_error_describe (j, strlen (j));
		assert_string_equal (d, "a?b (code 7)");
	}
}

static void test_bad_results (void **state)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
	        {"", "R: not a JSON document"},
	        {"[]", "R: (top): expected a JSON object"},
	        {"{}", "R: cniVersion: missing"},
	        {"{\"cniVersion\": \"0.2.0\", \"ip4\": {}}",
	         "R: cniVersion: \"0.2.0\" is not a result version keel reads (0.3.0, 0.3.1, "
	         "0.4.0, 1.0.0, 1.1.0)"},
	        {"{\"cniVersion\": \"1.0.0\", \"ips\": [{\"version\": \"4\", \"address\": "
	         "\"10.0.0.2/24\"}]}",
	         "R: ips[0].version: not part of a 1.0.0 result (0.x only)"},
	        {"{\"cniVersion\": \"0.4.0\", \"ips\": [{\"address\": \"10.0.0.2/24\"}]}",
	         "R: ips[0].version: missing (a 0.4.0 result has \"4\" or \"6\")"},
	        {"{\"cniVersion\": \"0.3.1\", \"ips\": [{\"version\": \"6\", \"address\": "
	         "\"10.0.0.2/24\"}]}",
	         "R: ips[0].version: expected \"4\" for 10.0.0.2/24"},
	        {"{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.0.0.2\"}]}",
	         "R: ips[0].address: \"10.0.0.2\" is not an address in CIDR notation"},
	        {"{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.0.0.2/33\"}]}",
	         "R: ips[0].address: \"10.0.0.2/33\" is not an address in CIDR notation"},
	        {"{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.0.0.2/24\", "
	         "\"gateway\": \"fd00::1\"}]}",
	         "R: ips[0].gateway: \"fd00::1\" is not an IPv4 address"},
	        {"{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.0.0.2/24\", "
	         "\"interface\": 0}]}",
	         "R: ips[0].interface: expected an index into interfaces (0 to 0)"},
	        {"{\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"mac\": \"x\"}]}",
	         "R: interfaces[0].name: missing"},
	        {"{\"cniVersion\": \"1.0.0\", \"routes\": [{\"dst\": \"default\"}]}",
	         "R: routes[0].dst: expected a destination in CIDR notation"},
	        {"{\"cniVersion\": \"1.0.0\", \"routes\": {}}", "R: routes: expected an array"},
	        {"{\"cniVersion\": \"1.0.0\", \"dns\": {\"nameservers\": [\"ns1\"]}}",
	         "R: dns.nameservers[0]: \"ns1\" is not an IP address"},
	        /* a newline would add lines to the container's resolv.conf */
	        {"{\"cniVersion\": \"1.0.0\", \"dns\": {\"search\": [\"a\\nnameserver 6.6.6.6\"]}}",
	         "R: dns.search[0]: \"a?nameserver 6.6.6.6\" has a space or control character"},
	        {"{\"cniVersion\": \"1.0.0\", \"dns\": {\"options\": [\"ndots:1\", \"a b\"]}}",
	         "R: dns.options[1]: \"a b\" has a space or control character"},
	        {"{\"cniVersion\": \"1.0.0\", \"dns\": {\"domain\": \"a\\tb\"}}",
	         "R: dns.domain: \"a?b\" has a space or control character"},
	        {"{\"cniVersion\": \"1.0.0\", \"dns\": {\"nameservers\": \"10.0.0.1\"}}",
	         "R: dns.nameservers: expected an array"},
	        {"{\"cniVersion\": \"1.0.0\", \"dns\": []}", "R: dns: expected an object"},
	        {"{\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"eth0\"}], \"ips\": "
	         "[{\"address\": \"10.0.0.2/24\", \"interface\": 0}, 7]}",
	         "R: ips[1]: expected an object"},
	        {"{\"cniVersion\": \"1.0.0\", \"routes\": [{\"dst\": \"0.0.0.0/0\", \"gw\": "
	         "\"fd00::1\"}]}",
	         "R: routes[0].gw: expected an IPv4 address"},
	        {"{\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"eth0\", \"mac\": 1}]}",
	         "R: interfaces[0].mac: expected a string"},
	        {"{\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"eth0\\nx\"}]}",
	         "R: interfaces[0].name: \"eth0?x\" is not an interface name"},
	        {"{\"cniVersion\": \"1.0.0\", \"dns\": {\"options\": [7]}}",
	         "R: dns.options[0]: expected a string of at most 255 characters"},
	        {"{\"cniVersion\": \"1.0.0\"} x", "R: not a JSON document"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE (bad); i++) {
		struct keel_error *err = NULL;
		struct cni_result r;

		if (cni_result_parse ("R", bad[i].json, strlen (bad[i].json), &r, &err) == 0) {
			print_error ("accepted: %s\n", bad[i].json);
			cni_result_free (&r);
			fail ();
		}
		if (strcmp (err->msg, bad[i].msg) != 0) {
			print_error ("case %zu: got  %s\n         want %s\n", i, err->msg,
			             bad[i].msg);
			fail ();
		}
		keel_error_release (&err);
	}
	{
		/* more entries than PID 1 keeps */
		cleanup_free char *big = xstrdup ("{\"cniVersion\": \"1.0.0\", \"routes\": [");
		struct keel_error *err = NULL;
		struct cni_result r;
		for (i = 0; i <= CNI_MAX_ITEMS; i++) {
			char *t = xasprintf ("%s%s{\"dst\": \"10.0.0.0/8\"}", big, i ? "," : "");
			free (big);
			big = t;
		}
		{
			char *t = xasprintf ("%s]}", big);
			free (big);
			big = t;
		}
		assert_true (cni_result_parse ("R", big, strlen (big), &r, &err) < 0);
		assert_string_equal (err->msg, "R: routes: 65 entries, more than 64");
		keel_error_release (&err);
	}
}

static void test_versions_and_ids (void **state)
{
	(void)state;
	assert_true (cni_version_supported ("0.3.0"));
	assert_true (cni_version_supported ("1.1.0"));
	assert_false (cni_version_supported ("0.2.0"));
	assert_false (cni_version_supported ("1.0"));
	assert_false (cni_version_has_check ("0.3.1"));
	assert_true (cni_version_has_check ("0.4.0"));
	assert_true (cni_version_has_check ("1.0.0"));
	assert_true (cni_valid_container_id ("web"));
	assert_true (cni_valid_container_id ("a_b.c-1"));
	assert_false (cni_valid_container_id ("-web"));
	assert_false (cni_valid_container_id ("a+b"));
	assert_false (cni_valid_container_id (""));
	{
		/* ADD (prepare, attach) refuses such an id before anything runs */
		static const char want[] = "network `lan`: `-web` is not a CNI container id "
		                           "(alphanumeric first, then [A-Za-z0-9_.-])";
		struct policy_network net = {.mode = NET_CNI, .cni = (char *)"lan"};
		struct keel_runtime rt = {0};
		struct keel_create_opts opts = {0};
		struct cni_attach a;
		struct keel_error *err = NULL;

		assert_int_equal (cni_prepare (&rt, "-web", &net, NULL, &opts, &a, &err), -1);
		assert_string_equal (err->msg, want);
		keel_error_release (&err);
		memset (&a, 0, sizeof a);
		assert_int_equal (cni_attach (&rt, "-web", &net, 1, &a, &err), -1);
		assert_string_equal (err->msg, want);
		keel_error_release (&err);
	}
}

/* ---- keel.json "network" ------------------------------------------------- */

static void test_policy_network (void **state)
{
	const char *j = "{\"network\": {\"cni\": \"lan\", \"interface\": \"net0\", \"ports\": "
	                "[{\"host\": 8080, \"container\": 80}, {\"host\": 53, \"container\": 53, "
	                "\"protocol\": \"udp\", \"host_ip\": \"127.0.0.1\"}], \"args\": {\"IP\": "
	                "\"10.0.0.9\"}, \"timeout\": \"2.5s\"}}";
	struct keel_error *err = NULL;
	struct policy p;

	(void)state;
	assert_int_equal (policy_parse (F, "{}", 2, &p, &err), 0);
	assert_int_equal (p.network.mode, NET_DEFAULT);
	policy_free (&p);
	assert_int_equal (policy_parse (F, "{\"network\": \"host\"}", 19, &p, &err), 0);
	assert_int_equal (p.network.mode, NET_HOST);
	policy_free (&p);
	assert_int_equal (policy_parse (F, j, strlen (j), &p, &err), 0);
	assert_int_equal (p.network.mode, NET_CNI);
	assert_string_equal (p.network.cni, "lan");
	assert_string_equal (p.network.interface, "net0");
	assert_int_equal (p.network.n_ports, 2);
	assert_int_equal (p.network.ports[0].host, 8080);
	assert_int_equal (p.network.ports[0].container, 80);
	assert_string_equal (p.network.ports[0].protocol, "tcp");
	assert_null (p.network.ports[0].host_ip);
	assert_string_equal (p.network.ports[1].protocol, "udp");
	assert_string_equal (p.network.ports[1].host_ip, "127.0.0.1");
	assert_int_equal (p.network.n_args, 1);
	assert_string_equal (p.network.args[0], "IP=10.0.0.9");
	assert_int_equal (p.network.timeout_ms, 2500);
	policy_free (&p);
	{
		const char *k = "{\"network\": {\"cni\": \"lan\"}}";
		assert_int_equal (policy_parse (F, k, strlen (k), &p, &err), 0);
	}
	assert_string_equal (p.network.interface, "eth0");
	assert_int_equal (p.network.timeout_ms, 0); /* CNI_PLUGIN_TIMEOUT_MS */
	policy_free (&p);
}

static void test_policy_network_bad (void **state)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
	        {"{\"network\": \"bridge\"}", F ": network: expected one of \"host\", \"none\" or "
	                                        "{\"cni\": NAME}, got \"bridge\""},
	        {"{\"network\": 1}",
	         F ": network: expected \"host\", \"none\" or {\"cni\": NAME}, got 1"},
	        {"{\"network\": {}}",
	         F ": network: \"cni\" is missing (the name of a network in the CNI configuration "
	           "directory)"},
	        {"{\"network\": {\"cni\": \"../x\"}}",
	         F ": network.cni: \"../x\" is not a CNI network name (alphanumeric first, then "
	           "[A-Za-z0-9_.-], at most 64)"},
	        {"{\"network\": {\"cni\": \"a\", \"interface\": \"a/b\"}}",
	         F ": network.interface: \"a/b\" is not an interface name (1 to 15 characters, no "
	           "'/', ':' or spaces)"},
	        {"{\"network\": {\"cni\": \"a\", \"interface\": \"abcdefghijklmnop\"}}",
	         F ": network.interface: \"abcdefghijklmnop\" is not an interface name (1 to 15 "
	           "characters, no '/', ':' or spaces)"},
	        {"{\"network\": {\"cni\": \"a\", \"bridge\": \"x\"}}",
	         F ": network.bridge: unknown key (expected one of: cni, interface, ports, args, timeout)"},
	        {"{\"network\": {\"cni\": \"a\", \"ports\": [{\"host\": 0, \"container\": 80}]}}",
	         F ": network.ports[0].host: expected an integer from 1 to 65535, got 0"},
	        {"{\"network\": {\"cni\": \"a\", \"ports\": [{\"host\": 80}]}}",
	         F ": network.ports[0]: \"container\" is missing (the port in the container)"},
	        {"{\"network\": {\"cni\": \"a\", \"ports\": [{\"host\": 80, \"container\": 80, "
	         "\"protocol\": \"icmp\"}]}}",
	         F ": network.ports[0].protocol: expected one of \"tcp\", \"udp\", \"sctp\", got "
	           "\"icmp\""},
	        {"{\"network\": {\"cni\": \"a\", \"ports\": [{\"host\": 80, \"container\": 80, "
	         "\"host_ip\": \"localhost\"}]}}",
	         F ": network.ports[0].host_ip: expected an IPv4 or IPv6 address, got "
	           "\"localhost\""},
	        {"{\"network\": {\"cni\": \"a\", \"ports\": [{\"host\": 80, \"container\": 80}, "
	         "{\"host\": 80, \"container\": 81}]}}",
	         F ": network.ports[1]: host port 80/tcp is already published by "
	           "network.ports[0]"},
	        {"{\"network\": {\"cni\": \"a\", \"args\": {\"IP\": \"1;X=2\"}}}",
	         F ": network.args.IP: a value is printable text without ';' or '=' (CNI_ARGS)"},
	        {"{\"network\": {\"cni\": \"a\", \"args\": {\"A-B\": \"1\"}}}",
	         F ": network.args.A-B: a key is 1 to 64 characters [A-Za-z0-9_]"},
	        {"{\"network\": {\"cni\": \"a\", \"timeout\": 0}}",
	         F ": network.timeout: expected a duration from 1ms to 10min, got 0ms"},
	        {"{\"network\": {\"cni\": \"a\", \"timeout\": \"11min\"}}",
	         F ": network.timeout: expected a duration from 1ms to 10min, got 660000ms"},
	        {"{\"network\": {\"cni\": \"a\", \"args\": {\"A\": 1}}}",
	         F ": network.args.A: expected a string, got 1"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE (bad); i++) {
		struct keel_error *err = NULL;
		struct policy p;

		if (policy_parse (F, bad[i].json, strlen (bad[i].json), &p, &err) == 0) {
			print_error ("accepted: %s\n", bad[i].json);
			policy_free (&p);
			fail ();
		}
		if (strcmp (err->msg, bad[i].msg) != 0) {
			print_error ("case %zu: got  %s\n         want %s\n", i, err->msg,
			             bad[i].msg);
			fail ();
		}
		keel_error_release (&err);
	}
}

/* keel.json against config.json's namespaces. */
static void test_check_entry (void **state)
{
	static const char *with_netns =
	        "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": "
	        "{\"namespaces\": [{\"type\": \"network\"}]}}";
	static const char *joined =
	        "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": "
	        "{\"namespaces\": [{\"type\": \"network\", \"path\": \"/run/netns/x\"}]}}";
	static const char *no_netns =
	        "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}}";
	struct spec *s_net = NULL, *s_join = NULL, *s_none = NULL;
	struct keel_error *err = NULL;
	struct policy p;

	(void)state;
	assert_int_equal (
	        spec_parse ("config.json", with_netns, strlen (with_netns), "/b", &s_net, &err), 0);
	assert_int_equal (spec_parse ("config.json", joined, strlen (joined), "/b", &s_join, &err),
	                  0);
	assert_int_equal (
	        spec_parse ("config.json", no_netns, strlen (no_netns), "/b", &s_none, &err), 0);

	policy_defaults (&p);
	assert_int_equal (cni_check_entry (F, &p, s_none, &err), 0);
	assert_int_equal (p.network.mode, NET_HOST);
	policy_defaults (&p);
	assert_int_equal (cni_check_entry (F, &p, s_net, &err), 0);
	assert_int_equal (p.network.mode, NET_NONE);

	policy_defaults (&p);
	p.network.mode = NET_HOST;
	assert_true (cni_check_entry (F, &p, s_net, &err) < 0);
	assert_string_equal (err->msg,
	                     F ": network: \"host\", but config.json gives the container a "
	                       "network namespace (linux.namespaces); remove it there");
	keel_error_release (&err);

	p.network.mode = NET_CNI;
	assert_true (cni_check_entry (F, &p, s_none, &err) < 0);
	assert_string_equal (err->msg, F ": network.cni: needs a network namespace of the "
	                                 "container's own; add {\"type\": \"network\"} to "
	                                 "config.json's linux.namespaces");
	keel_error_release (&err);
	assert_true (cni_check_entry (F, &p, s_join, &err) < 0);
	assert_string_equal (err->msg,
	                     F ": network.cni: config.json joins the network namespace "
	                       "`/run/netns/x`; a CNI network needs a new one (remove its "
	                       "\"path\")");
	keel_error_release (&err);
	assert_int_equal (cni_check_entry (F, &p, s_net, &err), 0);
	spec_free (s_net);
	spec_free (s_join);
	spec_free (s_none);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_bridge_every_version),
	        cmocka_unit_test (test_dual_stack),
	        cmocka_unit_test (test_portmap_chained),
	        cmocka_unit_test (test_ipam_alone),
	        cmocka_unit_test (test_plugin_errors),
	        cmocka_unit_test (test_bad_results),
	        cmocka_unit_test (test_versions_and_ids),
	        cmocka_unit_test (test_policy_network),
	        cmocka_unit_test (test_policy_network_bad),
	        cmocka_unit_test (test_check_entry),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
