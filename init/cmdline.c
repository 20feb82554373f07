/* keel.* options on the kernel command line:
 *   keel.debug[=0|1]        debug messages
 *   keel.dir=PATH           the containers.d directory
 *   keel.skip=NAME[,NAME]   do not start these entries
 *   keel.shell=PATH         emergency shell when the boot fails
 *   keel.hostname=NAME      hostname (default: "keel")
 *   keel.watchdog=SECONDS   pet /dev/watchdog with this timeout (0: off; watchdog.h)
 *   keel.store=off          boot the initramfs's containers.d, not the one on
 *                           the disk marked x-keel.containers (store.h)
 *   keel.dns=IP[,IP[,IP]]   nameservers of the /etc/resolv.conf written at
 *                           boot when the image has none (boot.c)
 *   keel.slots=DEV          the A/B boot disk (/dev/... or LABEL=...): without
 *                           keel.slot=, keel is the slot selector (slot.h)
 *   keel.slot=A|B           the slot this kernel was booted from (the selector
 *                           adds it), keel.slot.trial: not marked good yet
 *   keel.slot.timeout=SECS  a slot on trial not marked good by then reboots
 *                           (default 600, 0: never, at most a day)
 * Arguments are separated by spaces; double quotes group a value with
 * spaces, as the kernel's own parser does. */
#include "init/options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "init/policy.h"
#include "init/slot.h"
#include "init/watchdog.h"
#include "lib/util.h"

void init_opts_defaults (struct init_opts *o)
{
	memset (o, 0, sizeof (*o));
	o->dir = xstrdup (INIT_DEFAULT_DIR);
	o->state = xstrdup (INIT_DEFAULT_STATE);
	o->runtime_root = xstrdup (INIT_DEFAULT_STATE);
	o->cgroup_root = xstrdup (INIT_DEFAULT_CGROUP_ROOT);
	o->importer = xstrdup (INIT_DEFAULT_IMPORTER);
	o->hostname = xstrdup ("keel");
	o->slot_timeout_secs = INIT_DEFAULT_SLOT_TIMEOUT;
}

void init_opts_free (struct init_opts *o)
{
	size_t i;

	free (o->dir);
	free (o->runtime_root);
	free (o->state);
	free (o->cgroup_root);
	free (o->importer);
	free (o->console);
	free (o->shell);
	free (o->hostname);
	free (o->dns);
	free (o->slots);
	for (i = 0; i < o->n_skip; i++)
		free (o->skip[i]);
	memset (o, 0, sizeof (*o));
}

bool init_opts_skipped (const struct init_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_skip; i++)
		if (strcmp (o->skip[i], name) == 0)
			return true;
	return false;
}

int init_opts_add_skip (struct init_opts *o, const char *list, struct keel_error **err)
{
	cleanup_free char *dup = xstrdup (list);
	char *tok, *save = NULL;

	for (tok = strtok_r (dup, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
		if (!policy_valid_name (tok))
			return keel_error (err, 0, "skip: \"%s\" is not a valid container name",
			                   tok);
		if (o->n_skip == INIT_MAX_SKIP)
			return keel_error (err, 0, "skip: at most %d names", INIT_MAX_SKIP);
		if (!init_opts_skipped (o, tok))
			o->skip[o->n_skip++] = xstrdup (tok);
	}
	return 0;
}

static void set (char **slot, const char *v)
{
	free (*slot);
	*slot = xstrdup (v);
}

static void append_warn (char **warn, const char *what)
{
	char *t = xasprintf ("%s%s%s", *warn ? *warn : "", *warn ? ", " : "", what);
	free (*warn);
	*warn = t;
}

/* keel.dns: 1 to INIT_MAX_DNS IPv4 or IPv6 addresses, comma-separated. */
static bool valid_dns (const char *list)
{
	cleanup_free char *buf = xstrdup (list);
	char *save = NULL, *tok;
	size_t n = 0;

	if (*list == '\0' || strstr (list, ",,") != NULL || list[0] == ',' ||
	    list[strlen (list) - 1] == ',')
		return false;
	for (tok = strtok_r (buf, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
		unsigned char addr[16];

		if (++n > INIT_MAX_DNS ||
		    (inet_pton (AF_INET, tok, addr) != 1 && inet_pton (AF_INET6, tok, addr) != 1))
			return false;
	}
	return n > 0;
}

/* One "key=value" (or "key") argument. */
static int apply_one (struct init_opts *o, char *arg, char **warn, struct keel_error **err)
{
	char *val = strchr (arg, '=');
	unsigned long long n;

	if (strncmp (arg, "keel.", 5) != 0)
		return 0; /* not ours: the kernel and others use it */
	if (val)
		*val++ = '\0';
	arg += 5;
	if (strcmp (arg, "debug") == 0) {
		o->debug = val == NULL || strcmp (val, "0") != 0;
	} else if (strcmp (arg, "dir") == 0 && val && val[0] == '/') {
		set (&o->dir, val);
	} else if (strcmp (arg, "shell") == 0 && val && val[0] == '/') {
		set (&o->shell, val);
	} else if (strcmp (arg, "hostname") == 0 && val && *val && strlen (val) < 64) {
		set (&o->hostname, val);
	} else if (strcmp (arg, "watchdog") == 0 && val) {
		if (watchdog_parse_seconds (val, &o->watchdog_secs, err) < 0)
			return keel_error_wrap (err, "keel.watchdog");
		o->watchdog_set = true;
	} else if (strcmp (arg, "store") == 0 && val &&
	           (strcmp (val, "off") == 0 || strcmp (val, "on") == 0)) {
		o->store_off = strcmp (val, "off") == 0;
	} else if (strcmp (arg, "dns") == 0 && val && valid_dns (val)) {
		set (&o->dns, val);
	} else if (strcmp (arg, "slots") == 0 && val && *val && strlen (val) < 256) {
		set (&o->slots, val);
	} else if (strcmp (arg, "slot") == 0 && val && slot_name (val)) {
		o->slot = slot_name (val);
	} else if (strcmp (arg, "slot.trial") == 0 && val == NULL) {
		o->slot_trial = true;
	} else if (strcmp (arg, "slot.timeout") == 0 && val && parse_uint64 (val, &n) &&
	           n <= 86400) {
		o->slot_timeout_secs = (unsigned)n;
	} else if (strcmp (arg, "skip") == 0 && val) {
		int ret = init_opts_add_skip (o, val, err);
		if (ret < 0)
			return keel_error_wrap (err, "keel.skip");
	} else {
		cleanup_free char *w =
		        xasprintf ("keel.%s%s%s", arg, val ? "=" : "", val ? val : "");
		append_warn (warn, w);
	}
	return 0;
}

int cmdline_apply (struct init_opts *o, const char *cmdline, char **warn, struct keel_error **err)
{
	cleanup_free char *buf = xstrdup (cmdline);
	char *p = buf;
	int ret;

	*warn = NULL;
	while (*p) {
		char *arg, *w;
		bool quoted = false;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		arg = w = p;
		for (; *p; p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
				break;
			*w++ = *p;
		}
		if (*p)
			p++;
		*w = '\0';
		if (strcmp (arg, "--") == 0)
			break; /* the rest is for init's argv, not options */
		ret = apply_one (o, arg, warn, err);
		if (ret < 0) {
			/* A bad keel.skip or keel.watchdog must not stop the boot either. */
			append_warn (warn, (*err)->msg);
			keel_error_release (err);
		}
	}
	return 0;
}
