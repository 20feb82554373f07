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

# unit_policy(file; values; network entry or ""): the [Unit], [Service] and
# [Install] lines of a systemd unit (atomic's service.template, already
# substituted) as keel's policy.  Every line keel cannot carry over is a
# warning; what it means elsewhere in keel is in the result:
#   .reverse {after, requires, wants}: Before=, RequiredBy=, WantedBy= of
#     other entries (keel-import writes them into those entries' keel.json);
#   .runtimeDirs: RuntimeDirectory= names (tmpfiles.conf lines);
#   .stopPost: ExecStopPost= commands (config.json poststop hooks).
# network.target and network-online.target stand for the readiness of the
# entry that brings the network up ($net), docs/images.md.
def unit_policy($file; $vals; $net):
	# systemd's word splitting, enough for unit files: blanks separate,
	# "..." and '...' group, a backslash escapes the next character.
	def words:
		[scan("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|(?:[^\\s\"'\\\\]|\\\\.)+")
		 | if startswith("\"") then .[1:-1] | gsub("\\\\(?<c>.)"; .c)
		   elif startswith("'") then .[1:-1]
		   else gsub("\\\\(?<c>.)"; .c) end];
	def names($key):
		[splits("\\s+") | select(. != "")]
		| {names: [.[] | select(endswith(".service")) | rtrimstr(".service")],
		   net: [.[] | select(. == "network.target" or . == "network-online.target")],
		   dropped: [.[] | select((endswith(".service") or . == "network.target" or . == "network-online.target") | not)]};
	def addlist($field; $key; $v):
		if $v == "" then .p[$field] = []   # an empty assignment resets the list, as systemd
		else ($v | names($key)) as $n
		| .p[$field] += $n.names
		| if ($n.net | length) > 0 then
			if $net == "" then
				.p.warnings += [$n.net[] | "\($file): \($key)=\(.) dropped: no entry brings the network up (give keel-import --network NAME)"]
			elif $field == "requires" then
				.p.warnings += [$n.net[] | "\($file): \($key)=\(.) runs as wants of \($net): a target is never required"]
				| .p.wants += [$net]
			else .p[$field] += [$net] end
		  else . end
		| .p.warnings += [$n.dropped[] | "\($file): \($key)=\(.) dropped: only .service units map to keel containers"]
		end;
	def addreverse($field; $key; $v):
		($v | names($key)) as $n
		| .p.reverse[$field] += $n.names
		# Being wanted by a target is what every keel entry is: started at boot.
		| .p.warnings += [$n.dropped[] | select(. != "multi-user.target" and . != "default.target" and . != "")
			| "\($file): \($key)=\(.) dropped: only .service units map to keel containers"];
	def stoppost($v):
		# systemd's prefixes: - (failure ignored: a poststop hook's failure
		# is only a warning anyway), @, :, +, ! (privileges: the hook runs
		# as the runtime).
		($v | sub("^[-@:+!]+"; "")) as $c
		| ($c | words) as $w
		| if $c == $vals.EXEC_STOPPOST then .   # keel deletes the container itself
		  elif ($w | length) == 0 then .
		  elif ($w[0] | startswith("/") | not) then
			.p.warnings += ["\($file): ExecStopPost=\($v) dropped: the command must be an absolute path"]
		  else .p.stopPost += [{path: $w[0], args: $w}] end;
	gsub("\\\\\n"; " ")
	| split("\n")
	| map(sub("^\\s+"; "") | sub("\\s+$"; ""))
	| reduce (.[] | select(. != "" and (startswith("#") | not) and (startswith(";") | not))) as $l
		# A unit without Restart= is not restarted (systemd's default).
		({sec: "", p: (default_policy | .restart = "no" | .reverse = {after: [], requires: [], wants: []}
			| .runtimeDirs = [] | .runtimeDirMode = "0755" | .stopPost = [])};
		if ($l | startswith("[")) then .sec = $l
		elif (.sec == "[Unit]" or .sec == "[Service]" or .sec == "[Install]") and ($l | test("^[A-Za-z]+=")) then
			($l | capture("^(?<k>[A-Za-z]+)=(?<v>.*)$")) as $kv
			| ($kv.v | sub("^\\s+"; "")) as $val
			| "\($file): \($kv.k)" as $what
			| if $kv.k == "Description" then .p.description = $val
			elif $kv.k == "After" then addlist("after"; $kv.k; $val)
			elif $kv.k == "Requires" or $kv.k == "BindsTo" then addlist("requires"; $kv.k; $val)
			elif $kv.k == "Wants" then addlist("wants"; $kv.k; $val)
			elif $kv.k == "Before" then addreverse("after"; $kv.k; $val)
			elif $kv.k == "RequiredBy" then addreverse("requires"; $kv.k; $val)
			elif $kv.k == "WantedBy" then addreverse("wants"; $kv.k; $val)
			elif $kv.k == "RuntimeDirectory" then .p.runtimeDirs += [$val | splits("\\s+") | select(. != "")]
			elif $kv.k == "RuntimeDirectoryMode" then
				if $val | test("^[0-7]{3,4}$") then .p.runtimeDirMode = $val
				else error("\($what)=\($val): not an octal mode") end
			elif $kv.k == "ExecStopPost" then stoppost($val)
			elif $kv.k == "ExecStart" and $val == $vals.EXEC_START then .
			elif $kv.k == "ExecStop" and $val == $vals.EXEC_STOP then .
			elif $kv.k == "ExecStartPre" and $val == $vals.EXEC_STARTPRE then .
			elif $kv.k == "WorkingDirectory" and $val == $vals.DESTDIR then .
			# keel reads sd_notify messages from the container's processes only.
			elif $kv.k == "NotifyAccess" and ($val == "all" or $val == "main") then .
			elif $kv.k == "Restart" then
				if ["no", "on-failure", "always"] | index($val) then .p.restart = $val
				elif ["on-abnormal", "on-abort", "on-watchdog"] | index($val) then
					.p.restart = "on-failure" | .p.warnings += ["\($what)=\($val) runs as on-failure"]
				elif $val == "on-success" then
					.p.restart = "always" | .p.warnings += ["\($what)=on-success runs as always"]
				else error("\($what)=\($val): unknown restart policy") end
			elif $kv.k == "RestartSec" then .p.restartMs = ($val | timespan_ms($what))
			elif $kv.k == "TimeoutStartSec" then .p.startTimeoutMs = (($val | timespan_ms($what)) // 0)
			elif $kv.k == "TimeoutStopSec" then .p.stopTimeoutMs = ($val | timespan_ms($what))
			elif $kv.k == "TimeoutSec" then .p.startTimeoutMs = (($val | timespan_ms($what)) // 0) | .p.stopTimeoutMs = ($val | timespan_ms($what))
			elif $kv.k == "KillSignal" then .p.stopSignal = ($val | signame($what))
			elif $kv.k == "StartLimitBurst" then .p.startLimitBurst = ($val | tonumber)
			# StartLimitInterval= is the name systemd used before 230.
			elif $kv.k == "StartLimitIntervalSec" or $kv.k == "StartLimitInterval" then
				($val | timespan_ms($what)) as $ms
				| if $ms == 0 or $ms == null then
					.p.warnings += ["\($what)=\($val) (no start limit) dropped: keel always has one (restart.limit, default 5 starts in 10 s)"]
				  else .p.startLimitIntervalMs = $ms end
			elif $kv.k == "Type" then
				if $val == "oneshot" then .p.kind = "oneshot" | .p.readiness = "exited"
				elif $val == "notify" then .p.readiness = "notify"
				elif ["simple", "exec", "idle"] | index($val) then .
				else .p.warnings += ["\($what)=\($val) ignored: keel supervises the container's first process"] end
			else .p.warnings += ["\($what)=\($val) dropped: keel has no equivalent"] end
		elif .sec == "[Unit]" or .sec == "[Service]" or .sec == "[Install]" then
			.p.warnings += ["\($file): `\($l)` dropped: not a Key=value line"]
		else .p.warnings += ["\($file): \(.sec) \($l) dropped: keel reads [Unit], [Service] and [Install]"] end)
	| .p
	| if (.stopTimeoutMs | type) == "number" and .stopTimeoutMs == 0 or (has("stopTimeoutMs") and .stopTimeoutMs == null) then
		del(.stopTimeoutMs) | .warnings += ["\($file): an unlimited stop timeout is not kept: keel always follows the stop signal with SIGKILL"]
	  else . end
	| if .kind == "oneshot" and .restart == "always" then
		.restart = "on-failure" | .warnings += ["\($file): Restart=always on a oneshot runs as on-failure"]
	  else . end
	| .after |= unique | .requires |= unique | .wants |= unique
	| .reverse |= map_values(unique);

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

# ---- configs older than runtime-spec 1.0 ----------------------------------

# upgrade_pre10(file): a config.json as Atomic images ship them, some written
# for runtime-spec 0.x or a 1.0.0-rc draft, as runtime-spec 1.0 says the
# same thing, with a warning per change: {config, warnings}.  The old fields
# are not kept at their old places: 1.0 runtimes skip them, and a skipped
# capability list means every capability.
#   - ociVersion "0.x" or "1.0.0-rc..." becomes "1.0.0";
#   - platform (0.x: the os/arch the bundle is for) is dropped;
#   - a flat capability list, linux.capabilities (0.x) or process.capabilities
#     (1.0.0-rc1 to rc4), goes to the bounding, effective, inheritable and
#     permitted sets: runc 0.x and 1.0.0-rc1 applied the one list to exactly
#     those four (libcontainer/capabilities_linux.go: CAPS|BOUNDS; rc2 also
#     raised it as ambient, which changes nothing for uid 0);
#   - linux.rlimits, linux.apparmorProfile and linux.selinuxProcessLabel (0.x)
#     move to process.rlimits, process.apparmorProfile and process.selinuxLabel.
def upgrade_pre10($file):
	def w($m): .warnings += ["\($file): \($m)"];
	def caps4: {bounding: ., effective: ., inheritable: ., permitted: .};
	def move($old; $new):
		if (.config.linux | type) == "object" and (.config.linux | has($old)) then
			if (.config.process | type) == "object" and (.config.process | has($new) | not) then
				.config.process[$new] = .config.linux[$old]
				| w("linux.\($old) (runtime-spec 0.x) moved to process.\($new)")
			else w("linux.\($old) (runtime-spec 0.x) dropped: process.\($new) is set") end
			| .config.linux |= del(.[$old])
		else . end;
	{config: ., warnings: []}
	| (.config.ociVersion // "") as $v
	| if ($v | type) == "string" and ($v | test("^0\\.|^1\\.0\\.0-rc")) then
		.config.ociVersion = "1.0.0"
		| w("ociVersion \"\($v)\" is a runtime-spec draft before 1.0: upgraded to \"1.0.0\" (docs/images.md)")
	  else . end
	| if .config | has("platform") then
		.config |= del(.platform) | w("platform (runtime-spec 0.x) dropped: 1.0 has no such field")
	  else . end
	| if (.config.process | type) == "object" and (.config.process.capabilities | type) == "array" then
		.config.process.capabilities |= caps4
		| w("process.capabilities is a flat list (runtime-spec 1.0.0-rc): given to the bounding, effective, inheritable and permitted sets, as runc applied it")
	  else . end
	| if (.config.linux | type) == "object" and (.config.linux.capabilities | type) == "array" then
		if (.config.process | type) == "object" and (.config.process | has("capabilities") | not) then
			.config.process.capabilities = (.config.linux.capabilities | caps4)
			| w("linux.capabilities (runtime-spec 0.x) moved to process.capabilities: bounding, effective, inheritable and permitted, as runc applied it")
		else w("linux.capabilities (runtime-spec 0.x) dropped: process.capabilities is set") end
		| .config.linux |= del(.capabilities)
	  else . end
	| move("rlimits"; "rlimits")
	| move("apparmorProfile"; "apparmorProfile")
	| move("selinuxProcessLabel"; "selinuxLabel");

# drop_labels(file): on {config, warnings}, the SELinux labels Atomic images
# carry (written for Fedora and CentOS hosts) are dropped with a warning: a
# keel host applies none, and the runtime, like runc and crun, refuses a
# label it cannot apply.
def drop_labels($file):
	if (.config.process | type) == "object" and ((.config.process.selinuxLabel // "") != "") then
		.warnings += ["\($file): process.selinuxLabel \"\(.config.process.selinuxLabel)\" dropped: keel applies no SELinux label"]
		| .config.process |= del(.selinuxLabel)
	else . end
	| if (.config.linux | type) == "object" and ((.config.linux.mountLabel // "") != "") then
		.warnings += ["\($file): linux.mountLabel \"\(.config.linux.mountLabel)\" dropped: keel applies no SELinux label"]
		| .config.linux |= del(.mountLabel)
	else . end;
