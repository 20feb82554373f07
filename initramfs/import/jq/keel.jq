# keel-import's JSON transformations, as a jq module (jq -L DIR 'include "keel";').
# Everything that turns image data into keel's files lives here, so the shell
# around it only moves files.

# ---- config.json ----------------------------------------------------------

# runc's current `runc spec` lists (umoci 0.4 ships older, shorter ones).
def runc_masked_paths: ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/sys/firmware", "/proc/scsi"];
def runc_readonly_paths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

# keel_config(image config; entry name; root read-only?; {dest: host source} binds):
# input is the config.json umoci derived from the image (args, env, cwd, user
# resolved against the image's /etc/passwd and /etc/group, volumes as tmpfs,
# image annotations); output is keel's bundle config.
def keel_config($img; $name; $readonly; $binds):
	def bind($dst; $src): {destination: $dst, type: "bind", source: $src,
		options: ["rbind", "rw", "nosuid", "nodev"]};
	.process.terminal = false
	# A system container has no tty: drop the TERM umoci adds unless the image sets one.
	| .process.env |= map(select(. != "TERM=xterm" or (($img.config.Env // []) | index("TERM=xterm"))))
	# No inheritable set (CVE-2022-29162, as runc 1.1.2 and docker), and so no
	# ambient set either (the kernel only raises ambient caps that are also
	# inheritable): a non-root user gets no capabilities, as with docker.
	| .process.capabilities |= del(.inheritable, .ambient)
	| .root = {path: "rootfs", readonly: $readonly}
	| .hostname = $name[0:64] # sethostname(2) takes 64 bytes; a name may have 128
	| .linux.namespaces = ((.linux.namespaces // []) + [{type: "cgroup"}] | unique_by(.type))
	| .linux.maskedPaths = runc_masked_paths
	| .linux.readonlyPaths = runc_readonly_paths
	# umoci emits volumes in Go map order: sort them so the output is reproducible
	# (and a parent directory is mounted before what is under it).
	| ([$img.config.Volumes // {} | keys[]]) as $vols
	| .mounts |= ([.[] | select(.destination as $d | $vols | index($d) | not)]
		+ ([.[] | select(.destination as $d | $vols | index($d))] | sort_by(.destination)))
	| .mounts |= map(if $binds[.destination] then bind(.destination; $binds[.destination]) else . end)
	| .mounts += [$binds | to_entries[] | .key as $k | select(.key as $k | $vols | index($k) | not) | bind(.key; .value)]
	| .annotations = ((.annotations // {}) | with_entries(select(.value != "" and .value != "0001-01-01T00:00:00Z")));

# ---- template substitution (atomic's string.Template rules) ---------------

# tsubst(values; file name for messages): $NAME, ${NAME} and $$ as Python's
# string.Template.substitute: an unset name or a stray `$` is an error that
# names the file, the line and the variable.
def tsubst($v; $file):
	split("\n") as $lines
	| [range(0; $lines | length) as $i
	   | $lines[$i]
	   | gsub("\\$(?<t>\\$|\\{[_A-Za-z][_A-Za-z0-9]*\\}|[_A-Za-z][_A-Za-z0-9]*|)";
		if .t == "$" then "$"
		elif .t == "" then error("\($file):\($i + 1): invalid placeholder: `$` must start $NAME, ${NAME} or $$")
		else (.t | ltrimstr("{") | rtrimstr("}")) as $k
		  | if $v | has($k) then $v[$k] | tostring
		    else error("\($file):\($i + 1): variable `\($k)` is not set (give it with --set \($k)=VALUE or in manifest.json defaultValues)")
		    end
		end)]
	| join("\n");

# ---- policy -----------------------------------------------------------------

# A systemd time span ("5", "500ms", "1min 30s") in milliseconds; null for infinity.
def timespan_ms($what):
	def factor: {"": 1000, "us": 0.001, "usec": 0.001, "ms": 1, "msec": 1,
		"s": 1000, "sec": 1000, "second": 1000, "seconds": 1000,
		"m": 60000, "min": 60000, "minute": 60000, "minutes": 60000,
		"h": 3600000, "hr": 3600000, "hour": 3600000, "hours": 3600000,
		"d": 86400000, "day": 86400000, "days": 86400000}[.];
	if . == "infinity" then null
	elif test("^\\s*([0-9]+(\\.[0-9]+)?\\s*[a-z]*\\s*)+$") | not then error("\($what): `\(.)` is not a time span")
	else [scan("([0-9]+(?:\\.[0-9]+)?)\\s*([a-z]*)") | .[1] as $u
	      | ($u | factor) as $f
	      | if $f == null then error("\($what): unknown time unit `\($u)`") else (.[0] | tonumber) * $f end]
	     | add | floor
	end;

def signame($what):
	if test("^[0-9]+$") then tonumber
	elif test("^(SIG)?[A-Z][A-Z0-9+-]*$") then (if startswith("SIG") then . else "SIG" + . end)
	else error("\($what): `\(.)` is not a signal") end;

# The default policy of an imported image (atomic's default unit file too):
# a service restarted on failure.
def default_policy: {kind: "service", requires: [], after: [], wants: [],
	restart: "on-failure", readiness: "started", warnings: []};

# unit_policy(file): the [Unit]/[Service] lines of a systemd unit (atomic's
# service.template, already substituted) that keel's policy can express.
def unit_policy($file):
	def names($key):
		[splits("\\s+") | select(. != "")]
		| {names: [.[] | select(endswith(".service")) | rtrimstr(".service")],
		   dropped: [.[] | select(endswith(".service") | not)]};
	def addlist($field; $key; $v):
		if $v == "" then .p[$field] = []   # an empty assignment resets the list, as systemd
		else ($v | names($key)) as $n
		| .p[$field] += $n.names
		| .p.warnings += [$n.dropped[] | "\($file): \($key)=\(.) dropped: only .service units map to keel containers"]
		end;
	gsub("\\\\\n"; " ")
	| split("\n")
	| map(sub("^\\s+"; "") | sub("\\s+$"; ""))
	| reduce (.[] | select(. != "" and (startswith("#") | not) and (startswith(";") | not))) as $l
		# A unit without Restart= is not restarted (systemd's default).
		({sec: "", p: (default_policy | .restart = "no")};
		if ($l | startswith("[")) then .sec = $l
		elif (.sec == "[Unit]" or .sec == "[Service]") and ($l | test("^[A-Za-z]+=")) then
			($l | capture("^(?<k>[A-Za-z]+)=(?<v>.*)$")) as $kv
			| ($kv.v | sub("^\\s+"; "")) as $v
			| "\($file): \($kv.k)" as $what
			| if $kv.k == "Description" then .p.description = $v
			elif $kv.k == "After" then addlist("after"; $kv.k; $v)
			elif $kv.k == "Requires" or $kv.k == "BindsTo" then addlist("requires"; $kv.k; $v)
			elif $kv.k == "Wants" then addlist("wants"; $kv.k; $v)
			elif $kv.k == "Restart" then
				if ["no", "on-failure", "always"] | index($v) then .p.restart = $v
				elif ["on-abnormal", "on-abort", "on-watchdog"] | index($v) then
					.p.restart = "on-failure" | .p.warnings += ["\($what)=\($v) runs as on-failure"]
				elif $v == "on-success" then
					.p.restart = "always" | .p.warnings += ["\($what)=on-success runs as always"]
				else error("\($what)=\($v): unknown restart policy") end
			elif $kv.k == "RestartSec" then .p.restartMs = ($v | timespan_ms($what))
			elif $kv.k == "TimeoutStartSec" then .p.startTimeoutMs = (($v | timespan_ms($what)) // 0)
			elif $kv.k == "TimeoutStopSec" then .p.stopTimeoutMs = ($v | timespan_ms($what))
			elif $kv.k == "TimeoutSec" then .p.startTimeoutMs = (($v | timespan_ms($what)) // 0) | .p.stopTimeoutMs = ($v | timespan_ms($what))
			elif $kv.k == "KillSignal" then .p.stopSignal = ($v | signame($what))
			elif $kv.k == "StartLimitBurst" then .p.startLimitBurst = ($v | tonumber)
			elif $kv.k == "StartLimitIntervalSec" then .p.startLimitIntervalMs = ($v | timespan_ms($what))
			elif $kv.k == "Type" then
				if $v == "oneshot" then .p.kind = "oneshot" | .p.readiness = "exited"
				elif $v == "notify" then .p.readiness = "notify"
				elif ["simple", "exec", "idle"] | index($v) then .
				else .p.warnings += ["\($what)=\($v) ignored: keel supervises the container's first process"] end
			else . end
		else . end)
	| .p
	| if (.stopTimeoutMs | type) == "number" and .stopTimeoutMs == 0 or (has("stopTimeoutMs") and .stopTimeoutMs == null) then
		del(.stopTimeoutMs) | .warnings += ["\($file): an unlimited stop timeout is not kept: keel always follows the stop signal with SIGKILL"]
	  else . end
	| if .kind == "oneshot" and .restart == "always" then
		.restart = "on-failure" | .warnings += ["\($file): Restart=always on a oneshot runs as on-failure"]
	  else . end
	| .after |= unique | .requires |= unique | .wants |= unique;

# policy_file: the internal policy as keel's containers.d/NAME/keel.json
# (docs/containers.d.md): durations as "Nms" strings, a delay longer than
# keel's default backoff ceiling (60 s) raises the ceiling with it.
def policy_file:
	def ms: "\(.)ms";
	(if .description != null then {description} else {} end)
	+ {kind}
	+ (if (.requires | length) > 0 then {requires} else {} end)
	+ (if (.after | length) > 0 then {after} else {} end)
	+ (if (.wants | length) > 0 then {wants} else {} end)
	+ {restart: ({policy: .restart}
		+ (if .restartMs != null then {delay: (.restartMs | ms)} else {} end)
		+ (if (.restartMs // 0) > 60000 then {backoff: {max: (.restartMs | ms)}} else {} end)
		+ (if .startLimitBurst != null or (.startLimitIntervalMs // 0) > 0 then
			{limit: ((if .startLimitBurst != null then {burst: .startLimitBurst} else {} end)
				+ (if (.startLimitIntervalMs // 0) > 0 then {interval: (.startLimitIntervalMs | ms)} else {} end))}
		   else {} end))}
	+ {readiness}
	+ (if .startTimeoutMs != null then {start_timeout: (.startTimeoutMs | ms)} else {} end)
	+ (if .stopSignal != null or (.stopTimeoutMs // 0) > 0 then
		{stop: ((if .stopSignal != null then {signal: .stopSignal} else {} end)
			+ (if (.stopTimeoutMs // 0) > 0 then {timeout: (.stopTimeoutMs | ms)} else {} end))}
	   else {} end);

# ---- atomic system containers -------------------------------------------------

# Every capability name Linux knows (0..40, as of 5.9), for atomic's
# $ALL_PROCESS_CAPABILITIES: a fixed list, since the kernel that boots the
# image is not the one building it.
def all_capabilities: ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE"];

# atomic_values(--set values; manifest.json or null; facts): the variables a
# template sees, in atomic's order (Atomic/syscontainers.py _amend_values):
#   1. what the user --set;
#   2. RUN_DIRECTORY, PIDFILE, CONF_DIRECTORY, STATE_DIRECTORY,
#      ALL_PROCESS_CAPABILITIES, RUNTIME, ATOMIC where 1 left them unset
#      (so manifest defaults cannot change them, as in atomic);
#   3. manifest.json defaultValues where still unset;
#   4. UUID where still unset;
#   5. forced, whatever was set: DESTDIR, NAME, EXEC_START, EXEC_STOP,
#      EXEC_STARTPRE, EXEC_STOPPOST, HOST_UID, HOST_GID, IMAGE_NAME, IMAGE_ID.
def atomic_values($user; $manifest; $f):
	def dflt($k; $v): if has($k) then . else .[$k] = $v end;
	$user
	| dflt("RUN_DIRECTORY"; "/run")
	| dflt("PIDFILE"; "\(.RUN_DIRECTORY)/container-\($f.name).pid")
	| dflt("CONF_DIRECTORY"; "/etc")
	| dflt("STATE_DIRECTORY"; "/var/lib")
	| dflt("ALL_PROCESS_CAPABILITIES"; (all_capabilities | map("\"\(.)\"") | join(",\n")) + "\n")
	| dflt("RUNTIME"; "keel-runtime")
	| dflt("ATOMIC"; "keel-import")
	| reduce (($manifest // {}).defaultValues // {} | to_entries[]) as $e (.; dflt($e.key; $e.value | if type == "string" then . else tostring end))
	| dflt("UUID"; $f.uuid)
	| .DESTDIR = $f.destdir
	| .NAME = $f.name
	| .EXEC_START = "keel-runtime run '\($f.name)'"
	| .EXEC_STOP = "keel-runtime kill '\($f.name)'"
	| .EXEC_STARTPRE = ""
	| .EXEC_STOPPOST = "keel-runtime delete '\($f.name)'"
	| .HOST_UID = "0"
	| .HOST_GID = "0"
	| .IMAGE_NAME = $f.image
	| .IMAGE_ID = $f.image_id;

# atomic_rename(renameFiles): a hostfs path after atomic's renameFiles, which
# maps path prefixes component by component (/etc/foo -> /etc/bar renames
# /etc/foo/x.conf to /etc/bar/x.conf).
def atomic_rename($r):
	reduce (split("/")[1:][]) as $c (""; ($r[. + "/" + $c] // (. + "/" + $c)));

# Bind-mount sources under the run and state directories that keel must
# create at boot: atomic's tmpfiles for missing bind paths, when the image
# ships no tmpfiles.template.
def bind_dirs_tmpfiles($v):
	[.mounts[]? | select((.options // []) | index("bind") or index("rbind"))
	 | .source | select(type == "string")
	 | select(startswith($v.RUN_DIRECTORY + "/") or startswith($v.STATE_DIRECTORY + "/"))]
	| unique | map("d \(.) 0700 0 0 - -") | join("\n");
