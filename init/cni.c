/* Container networking through CNI plugins (cni.h; SPEC.md of
 * containernetworking/cni is the reference this follows). */
#include "init/cni.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/jsonpath.h"
#include "lib/log.h"
#include "lib/util.h"
#include "runtime/resolve.h"

/* ---- settings -------------------------------------------------------------- */

const char *cni_conf_dir (void)
{
	const char *s = getenv ("NETCONFPATH");
	return s && *s == '/' ? s : CNI_DEFAULT_CONF_DIR;
}

const char *cni_plugin_path (void)
{
	const char *s = getenv ("CNI_PATH");
	return s && *s == '/' ? s : CNI_DEFAULT_PATH;
}

/* ---- versions -------------------------------------------------------------- */

static const char *const known_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};

static int version_rank (const char *v)
{
	size_t i;

	for (i = 0; v && i < ARRAY_SIZE (known_versions); i++)
		if (strcmp (v, known_versions[i]) == 0)
			return (int)i;
	return -1;
}

bool cni_version_supported (const char *v)
{
	return version_rank (v) >= 0;
}

bool cni_version_has_check (const char *v)
{
	return version_rank (v) >= version_rank ("0.4.0");
}

bool cni_valid_container_id (const char *id)
{
	const char *q;

	if (id == NULL || !isalnum ((unsigned char)*id))
		return false;
	for (q = id; *q; q++)
		if (!isalnum ((unsigned char)*q) && !strchr ("_.-", *q))
			return false;
	return true;
}

/* The refusal ADD and DEL give alike. */
static int check_container_id (const struct policy_network *net, const char *id,
                               struct keel_error **err)
{
	if (cni_valid_container_id (id))
		return 0;
	return keel_error (err, 0,
	                   "network `%s`: `%s` is not a CNI container id (alphanumeric first, "
	                   "then [A-Za-z0-9_.-])",
	                   net->cni, id);
}

/* ---- results ---------------------------------------------------------------- */

static void strv_free (char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free (v[i]);
	free (v);
}

void cni_result_free (struct cni_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	free (r->version);
	for (i = 0; i < r->n_interfaces; i++) {
		free (r->interfaces[i].name);
		free (r->interfaces[i].mac);
		free (r->interfaces[i].sandbox);
	}
	free (r->interfaces);
	for (i = 0; i < r->n_ips; i++) {
		free (r->ips[i].address);
		free (r->ips[i].gateway);
	}
	free (r->ips);
	for (i = 0; i < r->n_routes; i++) {
		free (r->routes[i].dst);
		free (r->routes[i].gw);
	}
	free (r->routes);
	strv_free (r->nameservers, r->n_nameservers);
	strv_free (r->search, r->n_search);
	strv_free (r->options, r->n_options);
	free (r->domain);
	memset (r, 0, sizeof (*r));
}

/* Messages quote what a plugin wrote: keep them one line of bounded size. */
static char *clip (const char *s, size_t max)
{
	size_t n = strlen (s), i;
	char *out = xasprintf ("%.*s%s", n > max ? (int)max - 3 : (int)n, s, n > max ? "..." : "");

	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	return out;
}

static char *shown (const char *s)
{
	return clip (s, 60);
}

static bool is_ip (const char *s, int *family)
{
	unsigned char buf[16];

	if (inet_pton (AF_INET, s, buf) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton (AF_INET6, s, buf) == 1) {
		*family = 6;
		return true;
	}
	return false;
}

/* "10.0.0.2/24" or "fd00::2/64". */
static bool is_cidr (const char *s, int *family)
{
	char tmp[64];
	const char *slash = strchr (s, '/');
	unsigned long long bits;
	size_t n;

	if (slash == NULL || (n = (size_t)(slash - s)) >= sizeof tmp)
		return false;
	memcpy (tmp, s, n);
	tmp[n] = '\0';
	if (!is_ip (tmp, family) || !parse_uint64 (slash + 1, &bits))
		return false;
	return bits <= (*family == 4 ? 32u : 128u);
}

/* A result being read: what names the plugin's result at the start of
 * every message, path is where the reader is (lib/jsonpath.c), so each
 * message says "WHAT: PATH: reason". */
struct rctx {
	const char *what;
	struct jpath path;
	struct keel_error **err;
};

/* The message about the value at the path, or at its member key (key
 * NULL: the value itself). */
static int rfail (struct rctx *c, const char *key, const char *fmt, ...)
        __attribute__ ((format (printf, 3, 4)));
static int rfail (struct rctx *c, const char *key, const char *fmt, ...)
{
	size_t mark = c->path.len;
	cleanup_free char *m = NULL;
	va_list ap;

	if (key != NULL)
		jpath_push_key (&c->path, key);
	va_start (ap, fmt);
	m = jpath_vmessage (c->what, c->path.len > 0 ? c->path.s : "(top)", fmt, ap);
	va_end (ap);
	jpath_pop (&c->path, mark);
	return keel_error (c->err, 0, "%s", m);
}

/* An optional string member; NULL when absent or null. */
static int opt_string (struct rctx *c, json_object *o, const char *key, char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex (o, key, &v) || json_object_is_type (v, json_type_null))
		return 0;
	if (!json_object_is_type (v, json_type_string))
		return rfail (c, key, "expected a string");
	if (json_object_get_string_len (v) > 4096)
		return rfail (c, key, "longer than 4096 characters");
	*out = xstrdup (json_object_get_string (v));
	return 0;
}

/* An optional array member and its length (at most CNI_MAX_ITEMS); *arr
 * NULL when absent or null. */
static int get_array (struct rctx *c, json_object *o, const char *key, json_object **arr, size_t *n)
{
	*arr = NULL;
	*n = 0;
	if (!json_object_object_get_ex (o, key, arr) ||
	    json_object_is_type (*arr, json_type_null)) {
		*arr = NULL;
		return 0;
	}
	if (!json_object_is_type (*arr, json_type_array))
		return rfail (c, key, "expected an array");
	*n = json_object_array_length (*arr);
	if (*n > CNI_MAX_ITEMS)
		return rfail (c, key, "%zu entries, more than %d", *n, CNI_MAX_ITEMS);
	return 0;
}

/* The one loop over a result's arrays: one() reads each of the n elements
 * of arr, the member key of the value at the path, with the path at
 * KEY[i]; the first failure ends it. */
static int each_item (struct rctx *c, const char *key, json_object *arr, size_t n,
                      int (*one) (struct rctx *c, json_object *e, void *arg), void *arg)
{
	size_t mark = jpath_push_key (&c->path, key);
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < n; i++) {
		size_t at = jpath_push_index (&c->path, i);

		ret = one (c, json_object_array_get_idx (arr, i), arg);
		jpath_pop (&c->path, at);
	}
	jpath_pop (&c->path, mark);
	return ret;
}

static int one_interface (struct rctx *c, json_object *e, void *arg)
{
	struct cni_result *r = arg;
	struct cni_interface *f = &r->interfaces[r->n_interfaces++];

	if (!json_object_is_type (e, json_type_object))
		return rfail (c, NULL, "expected an object");
	if (opt_string (c, e, "name", &f->name) < 0 || opt_string (c, e, "mac", &f->mac) < 0 ||
	    opt_string (c, e, "sandbox", &f->sandbox) < 0)
		return -1;
	if (f->name == NULL || *f->name == '\0')
		return rfail (c, "name", "missing");
	/* shown in logs and keelctl status, one line each */
	for (const char *q = f->name; *q; q++)
		if (!isgraph ((unsigned char)*q) || q - f->name >= 64) {
			cleanup_free char *t = shown (f->name);
			return rfail (c, "name", "\"%s\" is not an interface name", t);
		}
	return 0;
}

static int one_ip (struct rctx *c, json_object *e, void *arg)
{
	struct cni_result *r = arg;
	struct cni_ip *ip = &r->ips[r->n_ips++];
	bool old = version_rank (r->version) < version_rank ("1.0.0"); /* 0.x: "version" */
	json_object *v;
	int fam = 0, gfam = 0;

	ip->interface = -1;
	if (!json_object_is_type (e, json_type_object))
		return rfail (c, NULL, "expected an object");
	if (opt_string (c, e, "address", &ip->address) < 0 ||
	    opt_string (c, e, "gateway", &ip->gateway) < 0)
		return -1;
	if (ip->address == NULL)
		return rfail (c, "address", "missing");
	if (!is_cidr (ip->address, &fam)) {
		cleanup_free char *s = shown (ip->address);
		return rfail (c, "address", "\"%s\" is not an address in CIDR notation", s);
	}
	if (ip->gateway && (!is_ip (ip->gateway, &gfam) || gfam != fam)) {
		cleanup_free char *s = shown (ip->gateway);
		return rfail (c, "gateway", "\"%s\" is not an IPv%d address", s, fam);
	}
	if (json_object_object_get_ex (e, "version", &v)) {
		const char *s =
		        json_object_is_type (v, json_type_string) ? json_object_get_string (v) : "";
		if (!old)
			return rfail (c, "version", "not part of a %s result (0.x only)",
			              r->version);
		if (strcmp (s, fam == 4 ? "4" : "6") != 0)
			return rfail (c, "version", "expected \"%d\" for %s", fam, ip->address);
	} else if (old) {
		return rfail (c, "version", "missing (a %s result has \"4\" or \"6\")", r->version);
	}
	if (json_object_object_get_ex (e, "interface", &v) &&
	    !json_object_is_type (v, json_type_null)) {
		int64_t k = json_object_get_int64 (v);
		if (!json_object_is_type (v, json_type_int) || k < 0 ||
		    (size_t)k >= r->n_interfaces)
			return rfail (c, "interface",
			              "expected an index into interfaces (0 to %zu)",
			              r->n_interfaces ? r->n_interfaces - 1 : 0);
		ip->interface = (int)k;
	}
	return 0;
}

static int one_route (struct rctx *c, json_object *e, void *arg)
{
	struct cni_result *r = arg;
	struct cni_route *rt = &r->routes[r->n_routes++];
	int fam = 0, gfam = 0;

	if (!json_object_is_type (e, json_type_object))
		return rfail (c, NULL, "expected an object");
	if (opt_string (c, e, "dst", &rt->dst) < 0 || opt_string (c, e, "gw", &rt->gw) < 0)
		return -1;
	if (rt->dst == NULL || !is_cidr (rt->dst, &fam))
		return rfail (c, "dst", "expected a destination in CIDR notation");
	if (rt->gw && (!is_ip (rt->gw, &gfam) || gfam != fam))
		return rfail (c, "gw", "expected an IPv%d address", fam);
	return 0;
}

/* What is wrong with a string of dns, or NULL: nameservers are IP
 * addresses; search, options and domain are words, since resolv.conf is
 * line-based and a newline in one would add lines. */
static const char *not_ip (const char *s)
{
	int fam;

	return is_ip (s, &fam) ? NULL : "is not an IP address";
}

static const char *not_word (const char *s)
{
	for (; *s; s++)
		if (!isgraph ((unsigned char)*s))
			return "has a space or control character";
	return NULL;
}

struct strings {
	char **v;
	size_t n;
	const char *(*wrong) (const char *s);
};

static int one_string (struct rctx *c, json_object *e, void *arg)
{
	struct strings *l = arg;
	const char *why;

	if (!json_object_is_type (e, json_type_string) || json_object_get_string_len (e) > 255)
		return rfail (c, NULL, "expected a string of at most 255 characters");
	l->v[l->n++] = xstrdup (json_object_get_string (e));
	why = l->wrong (l->v[l->n - 1]);
	if (why != NULL) {
		cleanup_free char *t = shown (l->v[l->n - 1]);
		return rfail (c, NULL, "\"%s\" %s", t, why);
	}
	return 0;
}

static int parse_strings (struct rctx *c, json_object *o, const char *key,
                          const char *(*wrong) (const char *s), char ***out, size_t *n)
{
	struct strings l = {.wrong = wrong};
	json_object *arr;
	size_t len;
	int ret;

	if (get_array (c, o, key, &arr, &len) < 0)
		return -1;
	l.v = xmalloc0 ((len + 1) * sizeof (char *));
	ret = each_item (c, key, arr, len, one_string, &l);
	*out = l.v; /* what was read so far, for cni_result_free */
	*n = l.n;
	return ret;
}

static int parse_dns (struct rctx *c, json_object *dns, struct cni_result *r)
{
	const char *why;

	if (!json_object_is_type (dns, json_type_object))
		return rfail (c, NULL, "expected an object");
	if (parse_strings (c, dns, "nameservers", not_ip, &r->nameservers, &r->n_nameservers) < 0 ||
	    parse_strings (c, dns, "search", not_word, &r->search, &r->n_search) < 0 ||
	    parse_strings (c, dns, "options", not_word, &r->options, &r->n_options) < 0 ||
	    opt_string (c, dns, "domain", &r->domain) < 0)
		return -1;
	if (r->domain != NULL && (why = not_word (r->domain)) != NULL) {
		cleanup_free char *t = shown (r->domain);
		return rfail (c, "domain", "\"%s\" %s", t, why);
	}
	return 0;
}

static int parse_result_obj (struct rctx *c, json_object *root, struct cni_result *r)
{
	json_object *arr, *dns;
	size_t n, mark;
	int ret;

	if (!json_object_is_type (root, json_type_object))
		return rfail (c, NULL, "expected a JSON object");
	if (opt_string (c, root, "cniVersion", &r->version) < 0)
		return -1;
	if (r->version == NULL)
		return rfail (c, "cniVersion", "missing");
	if (!cni_version_supported (r->version)) {
		cleanup_free char *v = shown (r->version);
		return rfail (
		        c, "cniVersion",
		        "\"%s\" is not a result version keel reads (0.3.0, 0.3.1, 0.4.0, 1.0.0, "
		        "1.1.0)",
		        v);
	}

	if (get_array (c, root, "interfaces", &arr, &n) < 0)
		return -1;
	r->interfaces = xmalloc0 ((n + 1) * sizeof (*r->interfaces));
	if (each_item (c, "interfaces", arr, n, one_interface, r) < 0)
		return -1;
	if (get_array (c, root, "ips", &arr, &n) < 0)
		return -1;
	r->ips = xmalloc0 ((n + 1) * sizeof (*r->ips));
	if (each_item (c, "ips", arr, n, one_ip, r) < 0)
		return -1;
	if (get_array (c, root, "routes", &arr, &n) < 0)
		return -1;
	r->routes = xmalloc0 ((n + 1) * sizeof (*r->routes));
	if (each_item (c, "routes", arr, n, one_route, r) < 0)
		return -1;

	if (!json_object_object_get_ex (root, "dns", &dns) ||
	    json_object_is_type (dns, json_type_null))
		return 0;
	mark = jpath_push_key (&c->path, "dns");
	ret = parse_dns (c, dns, r);
	jpath_pop (&c->path, mark);
	return ret;
}

static json_object *parse_json (const char *json, size_t len)
{
	json_tokener *tok;
	json_object *root;

	if (len > INT32_MAX)
		return NULL;
	tok = json_tokener_new ();
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex (tok, json, (int)len);
	if (root != NULL && json_tokener_get_error (tok) == json_tokener_success) {
		size_t off = json_tokener_get_parse_end (tok);
		while (off < len && isspace ((unsigned char)json[off]))
			off++;
		if (off < len) {
			json_object_put (root);
			root = NULL;
		}
	} else {
		json_object_put (root);
		root = NULL;
	}
	json_tokener_free (tok);
	return root;
}

int cni_result_parse (const char *what, const char *json, size_t len, struct cni_result *r,
                      struct keel_error **err)
{
	struct rctx c = {.what = what, .err = err};
	json_object *root;
	int ret;

	memset (r, 0, sizeof (*r));
	if (len > CNI_MAX_OUTPUT)
		return keel_error (err, 0, "%s: larger than %d bytes", what, CNI_MAX_OUTPUT);
	root = parse_json (json, len);
	if (root == NULL)
		return keel_error (err, 0, "%s: not a JSON document", what);
	ret = parse_result_obj (&c, root, r);
	json_object_put (root);
	if (ret < 0)
		cni_result_free (r);
	return ret;
}

static void append (char **buf, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void append (char **buf, const char *fmt, ...)
{
	cleanup_free char *add = NULL;
	char *t;
	va_list ap;

	va_start (ap, fmt);
	if (vasprintf (&add, fmt, ap) < 0)
		add = NULL;
	va_end (ap);
	if (add == NULL)
		return;
	t = xasprintf ("%s%s", *buf ? *buf : "", add);
	free (*buf);
	*buf = t;
}

char *cni_result_summary (const struct cni_result *r)
{
	char *out = NULL;
	size_t i;

	for (i = 0; i < r->n_ips; i++) {
		const struct cni_ip *ip = &r->ips[i];
		const char *ifn = ip->interface >= 0 ? r->interfaces[ip->interface].name : NULL;
		append (&out, "%s%s%s%s%s%s%s", out ? ", " : "", ifn ? ifn : "", ifn ? " " : "",
		        ip->address, ip->gateway ? " (gw " : "", ip->gateway ? ip->gateway : "",
		        ip->gateway ? ")" : "");
	}
	if (r->n_ips == 0)
		append (&out, "no addresses");
	for (i = 0; i < r->n_routes; i++)
		append (&out, "%s%s%s%s", i ? ", " : "; routes ", r->routes[i].dst,
		        r->routes[i].gw ? " via " : "", r->routes[i].gw ? r->routes[i].gw : "");
	for (i = 0; i < r->n_nameservers; i++)
		append (&out, "%s%s", i ? ", " : "; dns ", r->nameservers[i]);
	for (i = 0; i < r->n_search; i++)
		append (&out, "%s%s", i ? " " : "; search ", r->search[i]);
	return out;
}

char *cni_result_resolv_conf (const struct cni_result *r, const char *network)
{
	char *out = NULL;
	size_t i;

	if (r->n_nameservers == 0)
		return NULL;
	append (&out, "# from the CNI network %s (keel)\n", network);
	for (i = 0; i < r->n_nameservers; i++)
		append (&out, "nameserver %s\n", r->nameservers[i]);
	if (r->n_search > 0) {
		append (&out, "search");
		for (i = 0; i < r->n_search; i++)
			append (&out, " %s", r->search[i]);
		append (&out, "\n");
	} else if (r->domain) {
		append (&out, "domain %s\n", r->domain);
	}
	if (r->n_options > 0) {
		append (&out, "options");
		for (i = 0; i < r->n_options; i++)
			append (&out, " %s", r->options[i]);
		append (&out, "\n");
	}
	return out;
}

char *cni_error_describe (const char *json, size_t len)
{
	json_object *root = parse_json (json, len), *v;
	cleanup_free char *msg = NULL, *details = NULL;
	char *out = NULL;
	int64_t code = -1;

	if (root == NULL)
		return NULL;
	if (!json_object_is_type (root, json_type_object) ||
	    !json_object_object_get_ex (root, "code", &v) ||
	    !json_object_is_type (v, json_type_int)) {
		json_object_put (root);
		return NULL;
	}
	code = json_object_get_int64 (v);
	if (json_object_object_get_ex (root, "msg", &v) &&
	    json_object_is_type (v, json_type_string))
		msg = clip (json_object_get_string (v), 512);
	if (json_object_object_get_ex (root, "details", &v) &&
	    json_object_is_type (v, json_type_string) && json_object_get_string_len (v) > 0)
		details = clip (json_object_get_string (v), 512);
	json_object_put (root);
	out = xasprintf ("%s%s%s (code %lld)", msg ? msg : "error", details ? ": " : "",
	                 details ? details : "", (long long)code);
	return out;
}

/* ---- network configurations (SPEC.md section 1) ----------------------------- */

static bool valid_type (const char *s)
{
	return *s != '\0' && strlen (s) <= 64 && strchr (s, '/') == NULL && strcmp (s, ".") != 0 &&
	       strcmp (s, "..") != 0;
}

static bool has_suffix (const char *s, const char *suffix)
{
	size_t n = strlen (s), m = strlen (suffix);
	return n > m && strcmp (s + n - m, suffix) == 0;
}

static int name_cmp (const void *a, const void *b)
{
	return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Turn FILE's object into a list {"cniVersion", "name", "plugins": [...]}
 * and check what keel relies on.  A .conf holds a single plugin. */
static int normalize_conf (const char *file, json_object *root, json_object **out,
                           struct keel_error **err)
{
	json_object *plugins, *v, *list;
	size_t i, n;

	*out = NULL;
	if (!json_object_is_type (root, json_type_object))
		return keel_error (err, 0, "%s: expected a JSON object", file);
	if (!json_object_object_get_ex (root, "name", &v) ||
	    !json_object_is_type (v, json_type_string))
		return keel_error (err, 0, "%s: name: missing or not a string", file);
	if (json_object_object_get_ex (root, "plugins", &plugins)) {
		list = json_object_get (root);
	} else {
		/* a single plugin's configuration: itself is the one plugin */
		json_object *copy = NULL;
		if (json_object_deep_copy (root, &copy, NULL) < 0)
			return keel_error (err, ENOMEM, "%s", file);
		list = json_object_new_object ();
		if (json_object_object_get_ex (root, "cniVersion", &v))
			json_object_object_add (list, "cniVersion", json_object_get (v));
		json_object_object_get_ex (root, "name", &v);
		json_object_object_add (list, "name", json_object_get (v));
		if (json_object_object_get_ex (root, "disableCheck", &v))
			json_object_object_add (list, "disableCheck", json_object_get (v));
		plugins = json_object_new_array ();
		json_object_array_add (plugins, copy);
		json_object_object_add (list, "plugins", plugins);
	}
	if (!json_object_is_type (plugins, json_type_array) ||
	    (n = json_object_array_length (plugins)) == 0) {
		json_object_put (list);
		return keel_error (err, 0, "%s: plugins: expected a non-empty array", file);
	}
	if (n > CNI_MAX_ITEMS) {
		json_object_put (list);
		return keel_error (err, 0, "%s: plugins: more than %d", file, CNI_MAX_ITEMS);
	}
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx (plugins, i);
		if (!json_object_is_type (p, json_type_object) ||
		    !json_object_object_get_ex (p, "type", &v) ||
		    !json_object_is_type (v, json_type_string) ||
		    !valid_type (json_object_get_string (v))) {
			json_object_put (list);
			return keel_error (err, 0,
			                   "%s: plugins[%zu].type: expected the name of a plugin "
			                   "program (no '/')",
			                   file, i);
		}
	}
	if (json_object_object_get_ex (list, "disableCheck", &v) &&
	    !json_object_is_type (v, json_type_boolean)) {
		json_object_put (list);
		return keel_error (err, 0, "%s: disableCheck: expected true or false", file);
	}
	*out = list;
	return 0;
}

/* The version to speak: the highest of cniVersion and cniVersions that
 * keel knows (SPEC.md "Version considerations"). */
static int select_version (const char *file, json_object *list, char **out, struct keel_error **err)
{
	json_object *v, *arr;
	int best = -1;
	size_t i;

	if (json_object_object_get_ex (list, "cniVersion", &v) &&
	    json_object_is_type (v, json_type_string))
		best = version_rank (json_object_get_string (v));
	if (json_object_object_get_ex (list, "cniVersions", &arr) &&
	    json_object_is_type (arr, json_type_array))
		for (i = 0; i < json_object_array_length (arr); i++) {
			json_object *e = json_object_array_get_idx (arr, i);
			int r = json_object_is_type (e, json_type_string)
			                ? version_rank (json_object_get_string (e))
			                : -1;
			if (r > best)
				best = r;
		}
	if (best < 0) {
		cleanup_free char *g = NULL;
		if (json_object_object_get_ex (list, "cniVersion", &v))
			g = clip (json_object_get_string (v), 40);
		return keel_error (err, 0,
		                   "%s: cniVersion: %s%s%s is not one keel speaks (0.3.0, 0.3.1, "
		                   "0.4.0, 1.0.0, 1.1.0)",
		                   file, g ? "\"" : "", g ? g : "missing", g ? "\"" : "");
	}
	*out = xstrdup (known_versions[best]);
	return 0;
}

/* Find the configuration whose name is `name` in the directory. */
static int load_network (const char *name, json_object **list, char **file_out,
                         struct keel_error **err)
{
	const char *dir = cni_conf_dir ();
	cleanup_free char *seen = NULL, *bad = NULL;
	char **files = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int ret = -1;

	*list = NULL;
	d = opendir (dir);
	if (d == NULL)
		return keel_error (err, errno, "network `%s`: CNI configuration directory `%s`",
		                   name, dir);
	while ((de = readdir (d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    !(has_suffix (de->d_name, ".conflist") || has_suffix (de->d_name, ".conf") ||
		      has_suffix (de->d_name, ".json")))
			continue;
		if (n + 1 >= cap) {
			char **t;
			cap = cap ? cap * 2 : 16;
			t = realloc (files, cap * sizeof (char *));
			if (t == NULL)
				break;
			files = t;
		}
		files[n++] = xstrdup (de->d_name);
	}
	closedir (d);
	if (n > 0)
		qsort (files, n, sizeof (char *), name_cmp);
	for (i = 0; i < n && *list == NULL; i++) {
		cleanup_free char *path = xasprintf ("%s/%s", dir, files[i]);
		cleanup_free char *buf = NULL;
		struct keel_error *e = NULL;
		json_object *root, *v, *norm = NULL;
		size_t len = 0;

		if (read_file (path, CNI_MAX_CONF_SIZE, &buf, &len, &e) < 0) {
			cleanup_free char *m = keel_error_string (e);
			keel_error_release (&e);
			append (&bad, "%s%s", bad ? "; " : "", m);
			continue;
		}
		root = parse_json (buf, len);
		if (root == NULL) {
			append (&bad, "%s%s: invalid JSON", bad ? "; " : "", path);
			continue;
		}
		if (!json_object_object_get_ex (root, "name", &v) ||
		    !json_object_is_type (v, json_type_string)) {
			append (&bad, "%s%s: no \"name\"", bad ? "; " : "", path);
			json_object_put (root);
			continue;
		}
		if (strcmp (json_object_get_string (v), name) != 0) {
			cleanup_free char *other = clip (json_object_get_string (v), 64);
			append (&seen, "%s%s (%s)", seen ? ", " : "", other, files[i]);
			json_object_put (root);
			continue;
		}
		ret = normalize_conf (path, root, &norm, err);
		json_object_put (root);
		if (ret < 0)
			goto out;
		*list = norm;
		*file_out = xstrdup (path);
	}
	if (*list == NULL) {
		ret = keel_error (err, 0,
		                  "network `%s`: no configuration with that name in %s (%s%s%s%s)",
		                  name, dir, seen ? "there are: " : "none there", seen ? seen : "",
		                  bad ? "; unreadable: " : "", bad ? bad : "");
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free (files[i]);
	free (files);
	return ret;
}

/* ---- running a plugin (SPEC.md section 2) ----------------------------------- */

struct call {
	const char *command; /* ADD, DEL, CHECK */
	const char *id;
	const char *netns; /* "" for none */
	const char *ifname;
	const char *args; /* CNI_ARGS, "" for none */
	uint64_t timeout_ms;
};

static int find_plugin (const char *type, char **out, struct keel_error **err)
{
	cleanup_free char *path = xstrdup (cni_plugin_path ());
	char *save = NULL, *dir;

	for (dir = strtok_r (path, ":", &save); dir; dir = strtok_r (NULL, ":", &save)) {
		cleanup_free char *p = xasprintf ("%s/%s", dir, type);
		struct stat st;
		if (*dir != '/')
			continue;
		if (stat (p, &st) == 0 && S_ISREG (st.st_mode) && access (p, X_OK) == 0) {
			*out = steal_ptr (&p);
			return 0;
		}
	}
	return keel_error (err, ENOENT, "plugin `%s` not found in %s", type, cni_plugin_path ());
}

static uint64_t now_ms (void)
{
	struct timespec ts;
	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read what is there without blocking; false at end of file. */
static bool drain (int fd, char *buf, size_t *len)
{
	for (;;) {
		char tmp[4096];
		ssize_t n = read (fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		if (n == 0)
			return false;
		if (*len < CNI_MAX_OUTPUT) {
			size_t k = (size_t)n;
			if (k > CNI_MAX_OUTPUT - *len)
				k = CNI_MAX_OUTPUT - *len;
			memcpy (buf + *len, tmp, k);
			*len += k;
		}
	}
}

/* Execute one plugin with the request on stdin (a memfd, so a plugin that
 * does not read cannot block us) and collect stdout and stderr until it
 * exits, killing it at the time limit.  *out is NUL-terminated. */
static int run_plugin (const char *plugin, const char *type, const struct call *call,
                       const char *request, char **out, size_t *out_len, char **errout, int *status,
                       struct keel_error **err)
{
	cleanup_close int in = -1, pfd = -1;
	int o[2] = {-1, -1}, e[2] = {-1, -1};
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	bool o_open = true, e_open = true, exited = false;
	uint64_t deadline = now_ms () + call->timeout_ms;
	cleanup_free char *env_cmd = xasprintf ("CNI_COMMAND=%s", call->command);
	cleanup_free char *env_id = xasprintf ("CNI_CONTAINERID=%s", call->id);
	cleanup_free char *env_ns = xasprintf ("CNI_NETNS=%s", call->netns);
	cleanup_free char *env_if = xasprintf ("CNI_IFNAME=%s", call->ifname);
	cleanup_free char *env_args = xasprintf ("CNI_ARGS=%s", call->args);
	cleanup_free char *env_path = xasprintf ("CNI_PATH=%s", cni_plugin_path ());
	/* PATH: plugins run iptables, ip and the like (portmap does) */
	char *envp[] = {env_cmd,
	                env_id,
	                env_ns,
	                env_if,
	                env_args,
	                env_path,
	                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	                NULL};
	char *argv[] = {(char *)type, NULL};
	pid_t pid;
	int ret = -1;

	in = memfd_create ("cni-request", MFD_CLOEXEC);
	if (in < 0)
		return keel_error (err, errno, "memfd_create");
	if (write_all (in, request, strlen (request), err) < 0)
		return -1;
	if (lseek (in, 0, SEEK_SET) < 0)
		return keel_error (err, errno, "lseek");
	if (pipe2 (o, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2 (e, O_CLOEXEC | O_NONBLOCK) < 0) {
		ret = keel_error (err, errno, "pipe");
		goto out;
	}
	pid = fork ();
	if (pid < 0) {
		ret = keel_error (err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		if (dup2 (in, 0) < 0 || dup2 (o[1], 1) < 0 || dup2 (e[1], 2) < 0)
			_exit (127);
		/* A helper killed at the unit's start timeout takes its plugin
		 * along, so DEL never runs beside a late ADD. */
		prctl (PR_SET_PDEATHSIG, SIGKILL);
		/* nothing of PID 1's (control socket, log pipes) reaches a plugin */
		syscall (SYS_close_range, 3U, ~0U, 0U);
		execve (plugin, argv, envp);
		dprintf (2, "exec %s: %s\n", plugin, strerror (errno));
		_exit (127);
	}
	close (o[1]);
	close (e[1]);
	o[1] = e[1] = -1;
	obuf = xmalloc0 (CNI_MAX_OUTPUT + 1);
	ebuf = xmalloc0 (CNI_MAX_OUTPUT + 1);
	pfd = (int)syscall (SYS_pidfd_open, pid, 0);
	while (o_open || e_open || !exited) {
		struct pollfd fds[3];
		nfds_t nf = 0;
		uint64_t now = now_ms ();
		int r;

		if (now >= deadline) {
			kill (pid, SIGKILL);
			waitpid (pid, status, 0);
			ret = keel_error (
			        err, 0, "plugin `%s` (%s) did not finish within %llums; killed",
			        type, call->command, (unsigned long long)call->timeout_ms);
			goto out;
		}
		if (o_open)
			fds[nf++] = (struct pollfd){.fd = o[0], .events = POLLIN};
		if (e_open)
			fds[nf++] = (struct pollfd){.fd = e[0], .events = POLLIN};
		if (!exited && pfd >= 0)
			fds[nf++] = (struct pollfd){.fd = pfd, .events = POLLIN};
		/* without a pidfd (kernels before 5.3), look at the exit every 50ms */
		r = poll (fds, nf, pfd >= 0 ? (int)(deadline - now) : 50);
		if (r < 0 && errno != EINTR) {
			ret = keel_error (err, errno, "poll");
			kill (pid, SIGKILL);
			waitpid (pid, status, 0);
			goto out;
		}
		if (o_open)
			o_open = drain (o[0], obuf, &olen);
		if (e_open)
			e_open = drain (e[0], ebuf, &elen);
		if (!exited && waitpid (pid, status, WNOHANG) == pid) {
			exited = true;
			/* a daemon it left behind may hold the pipes: read what is
			 * there and stop */
			drain (o[0], obuf, &olen);
			drain (e[0], ebuf, &elen);
			break;
		}
	}
	if (!exited && waitpid (pid, status, 0) < 0) {
		ret = keel_error (err, errno, "waitpid");
		goto out;
	}
	obuf[olen] = '\0';
	ebuf[elen] = '\0';
	*out = steal_ptr (&obuf);
	*out_len = olen;
	*errout = steal_ptr (&ebuf);
	ret = 0;
out:
	free (obuf);
	free (ebuf);
	for (int k = 0; k < 2; k++) {
		if (o[k] >= 0)
			close (o[k]);
		if (e[k] >= 0)
			close (e[k]);
	}
	return ret;
}

/* The request for plugin `p` (SPEC.md "Deriving request configuration"). */
static char *build_request (json_object *p, const char *name, const char *version,
                            json_object *runtime_args, json_object *prev)
{
	json_object *req = NULL, *caps, *rc = NULL;
	char *out;

	if (json_object_deep_copy (p, &req, NULL) < 0)
		return NULL;
	json_object_object_add (req, "cniVersion", json_object_new_string (version));
	json_object_object_add (req, "name", json_object_new_string (name));
	if (json_object_object_get_ex (p, "capabilities", &caps) &&
	    json_object_is_type (caps, json_type_object) && runtime_args) {
		json_object_object_foreach (caps, key, val)
		{
			json_object *arg;
			if (!json_object_get_boolean (val) ||
			    !json_object_object_get_ex (runtime_args, key, &arg))
				continue;
			if (rc == NULL)
				rc = json_object_new_object ();
			json_object_object_add (rc, key, json_object_get (arg));
		}
	}
	json_object_object_del (req, "capabilities");
	json_object_object_del (req, "runtimeConfig");
	json_object_object_del (req, "prevResult");
	if (rc)
		json_object_object_add (req, "runtimeConfig", rc);
	if (prev)
		json_object_object_add (req, "prevResult", json_object_get (prev));
	out = xstrdup (json_object_to_json_string_ext (
	        req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put (req);
	return out;
}

/* Run one plugin; on success *result gets its parsed stdout (ADD), else
 * the error names the network, the plugin and what it said. */
static int invoke (const char *network, const char *version, json_object *plugin,
                   const struct call *call, json_object *runtime_args, json_object *prev,
                   json_object **result, struct keel_error **err)
{
	json_object *tv;
	const char *type;
	cleanup_free char *exe = NULL, *req = NULL, *out = NULL, *eout = NULL;
	size_t out_len = 0;
	int status = 0;

	json_object_object_get_ex (plugin, "type", &tv);
	type = json_object_get_string (tv);
	if (find_plugin (type, &exe, err) < 0)
		return keel_error_wrap (err, "network `%s`: %s", network, call->command);
	req = build_request (plugin, network, version, runtime_args, prev);
	if (req == NULL)
		return keel_error (err, ENOMEM, "network `%s`", network);
	if (run_plugin (exe, type, call, req, &out, &out_len, &eout, &status, err) < 0)
		return keel_error_wrap (err, "network `%s`", network);
	if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
		/* The error object is on stdout (libcni reads it there); older
		 * plugins and exec failures write to stderr. */
		cleanup_free char *desc = cni_error_describe (out, out_len);
		cleanup_free char *text = NULL;
		if (desc == NULL)
			desc = cni_error_describe (eout, strlen (eout));
		if (desc == NULL) {
			const char *t = *eout ? eout : out;
			while (*t && isspace ((unsigned char)*t))
				t++;
			text = clip (*t ? t : "no message", 300);
		}
		if (WIFSIGNALED (status))
			return keel_error (err, 0,
			                   "network `%s`: plugin `%s` (%s) killed by signal %d%s%s",
			                   network, type, call->command, WTERMSIG (status),
			                   desc || text ? ": " : "",
			                   desc   ? desc
			                   : text ? text
			                          : "");
		return keel_error (err, 0, "network `%s`: plugin `%s` (%s) failed: %s", network,
		                   type, call->command, desc ? desc : text);
	}
	if (result) {
		struct cni_result r;
		cleanup_free char *what = xasprintf ("network `%s`: plugin `%s` (%s) result",
		                                     network, type, call->command);
		if (cni_result_parse (what, out, out_len, &r, err) < 0)
			return -1;
		cni_result_free (&r);
		*result = parse_json (out, out_len);
		if (*result == NULL)
			return keel_error (err, ENOMEM, "%s", what);
	}
	return 0;
}

/* ---- attachments ----------------------------------------------------------- */

static char *cache_dir (const struct keel_runtime *rt)
{
	return xasprintf ("%s/@cni", rt->state_root ? rt->state_root : KEEL_DEFAULT_STATE_ROOT);
}

static char *cache_file (const struct keel_runtime *rt, const char *id, const char *ext)
{
	cleanup_free char *d = cache_dir (rt);
	return xasprintf ("%s/%s.%s", d, id, ext);
}

int cni_check_entry (const char *file, struct policy *p, const struct spec *spec,
                     struct keel_error **err)
{
	const struct spec_namespace *ns = spec_get_namespace (spec, NS_NETWORK);
	struct policy_network *n = &p->network;

	switch (n->mode) {
	case NET_DEFAULT:
		n->mode = ns ? NET_NONE : NET_HOST;
		return 0;
	case NET_HOST:
		if (ns)
			return keel_error (
			        err, 0,
			        "%s: network: \"host\", but config.json gives the container a "
			        "network namespace (linux.namespaces); remove it there",
			        file);
		return 0;
	case NET_NONE:
	case NET_CNI:
		if (ns == NULL)
			return keel_error (
			        err, 0,
			        "%s: network%s: needs a network namespace of the container's "
			        "own; add {\"type\": \"network\"} to config.json's "
			        "linux.namespaces",
			        file, n->mode == NET_CNI ? ".cni" : "");
		if (ns->path && n->mode == NET_CNI)
			return keel_error (
			        err, 0,
			        "%s: network.cni: config.json joins the network namespace `%s`; "
			        "a CNI network needs a new one (remove its \"path\")",
			        file, ns->path);
		return 0;
	}
	return 0;
}

void cni_attach_free (struct cni_attach *a)
{
	size_t k;

	free (a->resolv.destination);
	free (a->resolv.type);
	free (a->resolv.source);
	for (k = 0; k < a->resolv.options.n; k++)
		free (a->resolv.options.v[k]);
	free (a->resolv.options.v);
	free (a->mounts);
	free (a->summary);
	memset (a, 0, sizeof (*a));
}

static bool spec_binds_resolv (const struct spec *spec)
{
	size_t i;

	for (i = 0; i < spec->n_mounts; i++) {
		const char *d = spec->mounts[i].destination;
		while (d && d[0] == '/' && d[1] == '/')
			d++;
		if (d && (strcmp (d, "/etc/resolv.conf") == 0 || strcmp (d, "/etc") == 0))
			return true;
	}
	return false;
}

int cni_prepare (const struct keel_runtime *rt, const char *id, const struct policy_network *net,
                 const struct spec *spec, const struct keel_create_opts *opts, struct cni_attach *a,
                 struct keel_error **err)
{
	cleanup_free char *dir = NULL, *path = NULL, *image = NULL;
	cleanup_close int rootfd = -1, fd = -1;
	size_t len = 0;

	memset (a, 0, sizeof (*a));
	a->opts = *opts;
	if (net == NULL || net->mode != NET_CNI)
		return 0;
	if (check_container_id (net, id, err) < 0)
		return -1;
	/* An attachment left by an earlier run that ended without DEL (keel
	 * was killed): ADD twice without DEL is not allowed. */
	if (cni_detach (rt, id, err) < 0)
		return keel_error_wrap (err, "network `%s`: an attachment left by an earlier run",
		                        net->cni);
	if (spec_binds_resolv (spec))
		return 0;
	dir = cache_dir (rt);
	if (mkdir_p (dir, 0700, err) < 0)
		return -1;
	/* The image's own resolv.conf until the network's DNS is known, read
	 * without following its symlinks out of the rootfs. */
	if (spec->root.abs_path) {
		rootfd = open (spec->root.abs_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd >= 0)
			fd = open_in_root (rootfd, "etc/resolv.conf", O_RDONLY | O_NONBLOCK);
		if (fd >= 0) {
			struct stat st;
			struct keel_error *e = NULL;
			if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) &&
			    read_file_at (fd, "", 65536, &image, &len, &e) < 0)
				keel_error_release (&e);
		}
	}
	path = cache_file (rt, id, "resolv.conf");
	if (write_file_at (AT_FDCWD, path, O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644,
	                   image ? image : "", image ? len : 0, err) < 0)
		return -1;
	a->resolv.destination = xstrdup ("/etc/resolv.conf");
	a->resolv.type = xstrdup ("bind");
	a->resolv.source = steal_ptr (&path);
	a->resolv.options.v = xmalloc0 (3 * sizeof (char *));
	a->resolv.options.v[0] = xstrdup ("bind");
	a->resolv.options.v[1] = xstrdup ("ro");
	a->resolv.options.n = 2;
	a->resolv.flags = MS_BIND | MS_RDONLY;
	a->resolv.bind = true;
	a->mounts = xmalloc0 ((opts->n_extra_mounts + 1) * sizeof (struct spec_mount));
	if (opts->n_extra_mounts)
		memcpy (a->mounts, opts->extra_mounts,
		        opts->n_extra_mounts * sizeof (struct spec_mount));
	a->mounts[opts->n_extra_mounts] = a->resolv;
	a->opts.extra_mounts = a->mounts;
	a->opts.n_extra_mounts = opts->n_extra_mounts + 1;
	return 0;
}

/* What ADD needs again for CHECK and DEL, kept in ID.json. */
struct attachment {
	json_object *root; /* owns everything below */
	json_object *list, *runtime_args, *result;
	const char *network, *version, *ifname, *netns, *args, *id;
	uint64_t timeout_ms;
};

static int save_attachment (const struct keel_runtime *rt, const struct attachment *at,
                            struct keel_error **err)
{
	cleanup_free char *path = cache_file (rt, at->id, "json");
	cleanup_free char *tmp = cache_file (rt, at->id, "json.tmp");
	json_object *o = json_object_new_object ();
	const char *text;
	int ret;

	json_object_object_add (o, "network", json_object_new_string (at->network));
	json_object_object_add (o, "cniVersion", json_object_new_string (at->version));
	json_object_object_add (o, "containerId", json_object_new_string (at->id));
	json_object_object_add (o, "ifname", json_object_new_string (at->ifname));
	json_object_object_add (o, "netns", json_object_new_string (at->netns));
	json_object_object_add (o, "args", json_object_new_string (at->args));
	json_object_object_add (o, "timeoutMs", json_object_new_int64 ((int64_t)at->timeout_ms));
	json_object_object_add (o, "config", json_object_get (at->list));
	json_object_object_add (o, "runtimeArgs", json_object_get (at->runtime_args));
	json_object_object_add (o, "result", at->result ? json_object_get (at->result) : NULL);
	text = json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN |
	                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = write_file_at (AT_FDCWD, tmp, O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600, text,
	                     strlen (text), err);
	json_object_put (o);
	if (ret < 0)
		return ret;
	if (rename (tmp, path) < 0)
		return keel_error (err, errno, "rename `%s`", tmp);
	return 0;
}

static const char *member_string (json_object *o, const char *key)
{
	json_object *v;
	if (json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_string))
		return json_object_get_string (v);
	return NULL;
}

static int load_attachment (const struct keel_runtime *rt, const char *id, struct attachment *at,
                            struct keel_error **err)
{
	cleanup_free char *path = cache_file (rt, id, "json");
	cleanup_free char *buf = NULL;
	json_object *plugins, *cfg;
	size_t len = 0;

	memset (at, 0, sizeof (*at));
	if (read_file (path, 4 * CNI_MAX_OUTPUT, &buf, &len, err) < 0)
		return -1;
	at->root = parse_json (buf, len);
	if (at->root == NULL || !json_object_is_type (at->root, json_type_object))
		return keel_error (err, 0, "%s: not a keel CNI attachment", path);
	at->network = member_string (at->root, "network");
	at->version = member_string (at->root, "cniVersion");
	at->id = member_string (at->root, "containerId");
	at->ifname = member_string (at->root, "ifname");
	at->netns = member_string (at->root, "netns");
	at->args = member_string (at->root, "args");
	{
		json_object *t;
		int64_t ms = json_object_object_get_ex (at->root, "timeoutMs", &t)
		                     ? json_object_get_int64 (t)
		                     : 0;
		at->timeout_ms = ms > 0 && (uint64_t)ms <= POLICY_MAX_CNI_TIMEOUT_MS
		                         ? (uint64_t)ms
		                         : CNI_PLUGIN_TIMEOUT_MS;
	}
	json_object_object_get_ex (at->root, "runtimeArgs", &at->runtime_args);
	if (json_object_object_get_ex (at->root, "result", &at->result) &&
	    !json_object_is_type (at->result, json_type_object))
		at->result = NULL;
	if (!json_object_object_get_ex (at->root, "config", &cfg) ||
	    !json_object_is_type (cfg, json_type_object) ||
	    !json_object_object_get_ex (cfg, "plugins", &plugins) ||
	    !json_object_is_type (plugins, json_type_array) || at->network == NULL ||
	    !cni_version_supported (at->version) || at->id == NULL || strcmp (at->id, id) != 0 ||
	    at->ifname == NULL || at->netns == NULL || at->args == NULL) {
		json_object_put (at->root);
		at->root = NULL;
		return keel_error (err, 0, "%s: not a keel CNI attachment", path);
	}
	at->list = cfg;
	return 0;
}

/* The plugins of a list, in order or in reverse, with a call each;
 * ADD chains results, CHECK and DEL pass the final result of ADD. */
static int run_list (struct attachment *at, const char *command, bool reverse, json_object **final,
                     struct keel_error **err)
{
	json_object *plugins, *prev = NULL;
	bool add = strcmp (command, "ADD") == 0;
	struct call call = {.command = command,
	                    .id = at->id,
	                    .netns = at->netns,
	                    .ifname = at->ifname,
	                    .args = at->args,
	                    .timeout_ms = at->timeout_ms};
	size_t n, k;

	json_object_object_get_ex (at->list, "plugins", &plugins);
	n = json_object_array_length (plugins);
	if (!add && (strcmp (command, "CHECK") == 0 || cni_version_has_check (at->version)))
		prev = at->result;
	for (k = 0; k < n; k++) {
		json_object *p = json_object_array_get_idx (plugins, reverse ? n - 1 - k : k);
		json_object *res = NULL;
		if (!json_object_is_type (p, json_type_object))
			continue;
		if (invoke (at->network, at->version, p, &call, at->runtime_args, prev,
		            add ? &res : NULL, err) < 0) {
			if (add && final)
				*final = prev; /* what the plugins before it made */
			return -1;
		}
		if (add) {
			if (prev && k > 0)
				json_object_put (prev);
			prev = res;
		}
	}
	if (add && final)
		*final = prev;
	return 0;
}

static bool netns_mounted (const char *path)
{
	struct stat st, parent;
	cleanup_free char *dir = xstrdup (path);
	char *slash = strrchr (dir, '/');

	if (slash)
		*slash = '\0';
	/* a bind mount of an nsfs inode: another device than its directory */
	return stat (path, &st) == 0 && stat (dir, &parent) == 0 && st.st_dev != parent.st_dev;
}

static void remove_files (const struct keel_runtime *rt, const char *id)
{
	cleanup_free char *ns = cache_file (rt, id, "netns");
	cleanup_free char *resolv = cache_file (rt, id, "resolv.conf");
	cleanup_free char *json = cache_file (rt, id, "json");

	if (netns_mounted (ns) && umount2 (ns, MNT_DETACH) < 0)
		keel_debug ("umount %s: %s", ns, strerror (errno));
	unlink (ns);
	unlink (resolv);
	unlink (json);
}

int cni_detach (const struct keel_runtime *rt, const char *id, struct keel_error **err)
{
	struct attachment at;
	cleanup_free char *json = cache_file (rt, id, "json");
	struct keel_error *e = NULL;
	int ret;

	if (access (json, F_OK) < 0) {
		/* no attachment; a failed ADD may have left its namespace */
		remove_files (rt, id);
		return 0;
	}
	if (load_attachment (rt, id, &at, &e) < 0) {
		/* what cannot be read cannot be deleted: say so, keep nothing */
		cleanup_free char *m = keel_error_string (e);
		keel_error_release (&e);
		remove_files (rt, id);
		return keel_error (err, 0, "%s; removed without DEL", m);
	}
	{
		cleanup_free char *ns = cache_file (rt, id, "netns");
		/* The namespace the bind mount still holds; without it DEL
		 * releases the addresses alone (CNI_NETNS is optional for DEL). */
		if (!netns_mounted (ns))
			at.netns = "";
	}
	ret = run_list (&at, "DEL", true, NULL, err);
	json_object_put (at.root);
	if (ret < 0)
		return keel_error_wrap (err, "DEL (kept for another try)");
	remove_files (rt, id);
	return 0;
}

static bool same_netns (const char *a, const char *b)
{
	struct stat sa, sb;
	return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static json_object *port_mappings (const struct policy_network *net)
{
	json_object *arr = json_object_new_array ();
	size_t i;

	for (i = 0; i < net->n_ports; i++) {
		json_object *m = json_object_new_object ();
		json_object_object_add (m, "hostPort", json_object_new_int (net->ports[i].host));
		json_object_object_add (m, "containerPort",
		                        json_object_new_int (net->ports[i].container));
		json_object_object_add (m, "protocol",
		                        json_object_new_string (net->ports[i].protocol));
		if (net->ports[i].host_ip)
			json_object_object_add (m, "hostIP",
			                        json_object_new_string (net->ports[i].host_ip));
		json_object_array_add (arr, m);
	}
	return arr;
}

static bool has_capability (json_object *list, const char *cap)
{
	json_object *plugins, *caps, *v;
	size_t i;

	json_object_object_get_ex (list, "plugins", &plugins);
	for (i = 0; i < json_object_array_length (plugins); i++) {
		json_object *p = json_object_array_get_idx (plugins, i);
		if (json_object_object_get_ex (p, "capabilities", &caps) &&
		    json_object_is_type (caps, json_type_object) &&
		    json_object_object_get_ex (caps, cap, &v) && json_object_get_boolean (v))
			return true;
	}
	return false;
}

/* ADD failed or CHECK found it broken: undo what was made, keep the
 * first error. */
static int undo (const struct keel_runtime *rt, struct attachment *at, struct keel_error **err)
{
	struct keel_error *e = NULL;

	if (run_list (at, "DEL", true, NULL, &e) < 0) {
		cleanup_free char *m = keel_error_string (e);
		cleanup_free char *first = keel_error_string (*err);
		keel_error_release (&e);
		keel_error (err, 0, "%s; undoing it failed too: %s", first, m);
		/* keep the attachment: cni_detach tries again at cleanup */
		return -1;
	}
	remove_files (rt, at->id);
	return -1;
}

int cni_attach (const struct keel_runtime *rt, const char *id, const struct policy_network *net,
                pid_t pid, struct cni_attach *a, struct keel_error **err)
{
	struct attachment at = {0};
	cleanup_free char *file = NULL, *version = NULL, *dir = NULL, *ns = NULL, *args = NULL;
	cleanup_free char *src = NULL, *resolv_text = NULL;
	json_object *list = NULL, *final = NULL, *disable;
	struct cni_result r = {0};
	cleanup_close int fd = -1;
	size_t i;
	int ret = -1;

	if (net == NULL || net->mode != NET_CNI)
		return 0;
	if (check_container_id (net, id, err) < 0)
		return -1;
	if (load_network (net->cni, &list, &file, err) < 0)
		return -1;
	if (select_version (file, list, &version, err) < 0)
		goto out;
	if (net->n_ports > 0 && !has_capability (list, "portMappings")) {
		ret = keel_error (err, 0,
		                  "network.ports: network `%s` (%s) has no plugin with the "
		                  "portMappings capability (add {\"type\": \"portmap\", "
		                  "\"capabilities\": {\"portMappings\": true}} to its plugins)",
		                  net->cni, file);
		goto out;
	}
	/* CNI_ARGS reach every plugin of the list, and the reference plugins
	 * refuse keys they do not know unless IgnoreUnknown is set
	 * (CONVENTIONS.md): set it, unless keel.json says otherwise. */
	for (i = 0; i < net->n_args; i++)
		if (strncmp (net->args[i], "IgnoreUnknown=", 14) == 0)
			break;
	if (net->n_args > 0 && i == net->n_args)
		append (&args, "IgnoreUnknown=1");
	for (i = 0; i < net->n_args; i++)
		append (&args, "%s%s", args ? ";" : "", net->args[i]);

	/* The container's namespace, held by a bind mount until DEL: a
	 * /proc/PID path would name whatever process gets the pid next. */
	dir = cache_dir (rt);
	if (mkdir_p (dir, 0700, err) < 0)
		goto out;
	ns = cache_file (rt, id, "netns");
	src = xasprintf ("/proc/%d/ns/net", (int)pid);
	if (same_netns (src, "/proc/self/ns/net")) {
		ret = keel_error (err, 0,
		                  "network `%s`: the container is in keel's own network "
		                  "namespace; CNI would configure the host's",
		                  net->cni);
		goto out;
	}
	fd = open (ns, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = keel_error (err, errno, "create `%s`", ns);
		goto out;
	}
	if (mount (src, ns, NULL, MS_BIND, NULL) < 0) {
		ret = keel_error (err, errno, "bind `%s` to `%s`", src, ns);
		unlink (ns);
		goto out;
	}
	at.list = list;
	at.runtime_args = json_object_new_object ();
	if (net->n_ports > 0)
		json_object_object_add (at.runtime_args, "portMappings", port_mappings (net));
	at.network = net->cni;
	at.version = version;
	at.id = id;
	at.ifname = net->interface ? net->interface : "eth0";
	at.netns = ns;
	at.args = args ? args : "";
	at.timeout_ms = net->timeout_ms ? net->timeout_ms : CNI_PLUGIN_TIMEOUT_MS;
	if (save_attachment (rt, &at, err) < 0) {
		remove_files (rt, id);
		goto out;
	}
	if (run_list (&at, "ADD", false, &final, err) < 0) {
		at.result = final;
		undo (rt, &at, err);
		goto out;
	}
	at.result = final;
	if (save_attachment (rt, &at, err) < 0) {
		undo (rt, &at, err);
		goto out;
	}
	if (cni_version_has_check (version) &&
	    !(json_object_object_get_ex (list, "disableCheck", &disable) &&
	      json_object_get_boolean (disable)) &&
	    run_list (&at, "CHECK", false, NULL, err) < 0) {
		undo (rt, &at, err);
		goto out;
	}
	{
		const char *text = json_object_to_json_string_ext (final, JSON_C_TO_STRING_PLAIN);
		cleanup_free char *what = xasprintf ("network `%s`: result", net->cni);
		if (cni_result_parse (what, text, strlen (text), &r, err) < 0) {
			undo (rt, &at, err);
			goto out;
		}
	}
	a->summary = cni_result_summary (&r);
	resolv_text = cni_result_resolv_conf (&r, net->cni);
	if (resolv_text && a->resolv.source &&
	    /* in place: the container's bind mount shows this inode */
	    write_file_at (AT_FDCWD, a->resolv.source, O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644,
	                   resolv_text, strlen (resolv_text), err) < 0) {
		undo (rt, &at, err);
		goto out;
	}
	ret = 0;
out:
	cni_result_free (&r);
	if (final)
		json_object_put (final);
	json_object_put (at.runtime_args);
	json_object_put (list);
	return ret;
}

char *cni_status (const struct keel_runtime *rt, const char *id, const struct policy_network *net)
{
	struct attachment at;
	struct keel_error *e = NULL;
	struct cni_result r;
	cleanup_free char *sum = NULL;
	const char *text;
	char *out;

	if (net->mode != NET_CNI)
		return xstrdup (net->mode == NET_NONE ? "none (its own namespace, lo only)"
		                                      : policy_net_mode_name (net->mode));
	if (!cni_valid_container_id (id) || load_attachment (rt, id, &at, &e) < 0) {
		keel_error_release (&e);
		return xasprintf ("%s (not attached)", net->cni);
	}
	if (at.result == NULL) {
		out = xasprintf ("%s (%s): being attached", at.network, at.ifname);
		json_object_put (at.root);
		return out;
	}
	text = json_object_to_json_string_ext (at.result, JSON_C_TO_STRING_PLAIN);
	if (cni_result_parse ("result", text, strlen (text), &r, &e) < 0) {
		cleanup_free char *m = keel_error_string (e);
		keel_error_release (&e);
		out = xasprintf ("%s: %s", at.network, m);
		json_object_put (at.root);
		return out;
	}
	sum = cni_result_summary (&r);
	out = xasprintf ("%s: %s", at.network, sum);
	cni_result_free (&r);
	json_object_put (at.root);
	return out;
}
