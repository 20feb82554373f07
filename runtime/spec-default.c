/* The config.json `keel-runtime spec` writes: the same content as `runc
 * spec` (and crun's), with keel's hostname and spec version.  --rootless
 * makes the changes runc makes: a user namespace mapping the caller's ids
 * to root, no network namespace, /sys bound from the host instead of a
 * new sysfs, no device cgroup rule and no devpts gid=5 (unmapped). */
#include "runtime/spec.h"

#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

static const char default_config[] =
        "{"
        "\"ociVersion\": \"" SPEC_OCI_VERSION "\","
        "\"process\": {"
        "  \"terminal\": true,"
        "  \"user\": { \"uid\": 0, \"gid\": 0 },"
        "  \"args\": [ \"sh\" ],"
        "  \"env\": [ \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
        "             \"TERM=xterm\" ],"
        "  \"cwd\": \"/\","
        "  \"capabilities\": {"
        "    \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
        "    \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
        "    \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
        "    \"ambient\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ]"
        "  },"
        "  \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],"
        "  \"noNewPrivileges\": true"
        "},"
        "\"root\": { \"path\": \"rootfs\", \"readonly\": true },"
        "\"hostname\": \"keel\","
        "\"mounts\": ["
        "  { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },"
        "  { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
        "    \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },"
        "  { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
        "    \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
        "\"mode=0620\","
        "                   \"gid=5\" ] },"
        "  { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
        "    \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },"
        "  { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
        "    \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },"
        "  { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
        "    \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },"
        "  { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
        "    \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\" ] }"
        "],"
        "\"linux\": {"
        "  \"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ] },"
        "  \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" "
        "},"
        "                  { \"type\": \"uts\" }, { \"type\": \"mount\" } ],"
        "  \"maskedPaths\": [ \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
        "                   \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
        "                   \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\" ],"
        "  \"readonlyPaths\": [ \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
        "                     \"/proc/sysrq-trigger\" ]"
        "}"
        "}";

static json_object *mount_at (json_object *mounts, const char *dest)
{
	for (size_t i = 0; i < json_object_array_length (mounts); i++) {
		json_object *m = json_object_array_get_idx (mounts, i), *d;

		if (json_object_object_get_ex (m, "destination", &d) &&
		    strcmp (json_object_get_string (d), dest) == 0)
			return m;
	}
	return NULL;
}

static json_object *mapping (unsigned host_id)
{
	json_object *arr = json_object_new_array ();
	json_object *m = json_object_new_object ();

	json_object_object_add (m, "containerID", json_object_new_int64 (0));
	json_object_object_add (m, "hostID", json_object_new_int64 (host_id));
	json_object_object_add (m, "size", json_object_new_int64 (1));
	json_object_array_add (arr, m);
	return arr;
}

static void make_rootless (json_object *root)
{
	json_object *mounts, *linux_, *ns, *m, *opts, *newns;
	size_t i;

	json_object_object_get_ex (root, "mounts", &mounts);
	/* No group 5 exists in a one-id user namespace. */
	m = mount_at (mounts, "/dev/pts");
	json_object_object_get_ex (m, "options", &opts);
	json_object_array_del_idx (opts, json_object_array_length (opts) - 1, 1);
	/* A new sysfs needs a network namespace keel could not configure. */
	m = mount_at (mounts, "/sys");
	json_object_object_add (m, "type", json_object_new_string ("none"));
	json_object_object_add (m, "source", json_object_new_string ("/sys"));
	opts = json_object_new_array ();
	json_object_array_add (opts, json_object_new_string ("rbind"));
	json_object_array_add (opts, json_object_new_string ("nosuid"));
	json_object_array_add (opts, json_object_new_string ("noexec"));
	json_object_array_add (opts, json_object_new_string ("nodev"));
	json_object_array_add (opts, json_object_new_string ("ro"));
	json_object_object_add (m, "options", opts);

	json_object_object_get_ex (root, "linux", &linux_);
	json_object_object_del (linux_, "resources");
	/* Rebuild "linux" so uidMappings/gidMappings come first, as runc
	 * prints them. */
	json_object_object_get_ex (linux_, "namespaces", &ns);
	newns = json_object_new_array ();
	for (i = 0; i < json_object_array_length (ns); i++) {
		json_object *e = json_object_array_get_idx (ns, i), *t;

		json_object_object_get_ex (e, "type", &t);
		if (strcmp (json_object_get_string (t), "network") != 0)
			json_object_array_add (newns, json_object_get (e));
	}
	{
		json_object *user = json_object_new_object ();
		json_object *nl = json_object_new_object ();
		json_object *masked, *ro;

		json_object_object_add (user, "type", json_object_new_string ("user"));
		json_object_array_add (newns, user);
		json_object_object_get_ex (linux_, "maskedPaths", &masked);
		json_object_object_get_ex (linux_, "readonlyPaths", &ro);
		json_object_object_add (nl, "uidMappings", mapping (geteuid ()));
		json_object_object_add (nl, "gidMappings", mapping (getegid ()));
		json_object_object_add (nl, "namespaces", newns);
		json_object_object_add (nl, "maskedPaths", json_object_get (masked));
		json_object_object_add (nl, "readonlyPaths", json_object_get (ro));
		json_object_object_add (root, "linux", nl);
	}
}

char *spec_default_json (bool rootless)
{
	json_object *root = json_tokener_parse (default_config);
	char *out;

	if (root == NULL)
		return NULL; /* only if out of memory: the template is constant */
	if (rootless)
		make_rootless (root);
	out = xstrdup (json_object_to_json_string_ext (
	        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                      JSON_C_TO_STRING_PRETTY_TAB | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put (root);
	return out;
}
