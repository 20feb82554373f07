/* The option and argument helpers every runtime CLI command uses. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/input.h"
#include "lib/log.h"
#include "lib/util.h"
#include "runtime/cli/command.h"
#include "runtime/state.h"

void cli_parser_init (struct cli_parser *p, const char *cmd, const char *usage,
                      const char *shortopts, const struct option *longopts, int argc, char **argv)
{
	p->cmd = cmd;
	p->usage = usage;
	p->shortopts = shortopts;
	p->longopts = longopts;
	p->argc = argc;
	p->argv = argv;
	p->anywhere = false;
	optind = 0; /* full re-initialisation (glibc and musl) for each level */
	opterr = 0;
}

int cli_usage_error (const char *cmd, const char *fmt, ...)
{
	va_list ap;
	cleanup_free char *msg = NULL;

	va_start (ap, fmt);
	if (vasprintf (&msg, fmt, ap) < 0)
		msg = NULL;
	va_end (ap);
	if (cmd != NULL)
		keel_log (KEEL_LOG_ERROR, "%s: %s (see `" CLI_PROG " %s --help`)", cmd,
		          msg ? msg : fmt, cmd);
	else
		keel_log (KEEL_LOG_ERROR, "%s (see `" CLI_PROG " --help`)", msg ? msg : fmt);
	return 1;
}

/* The option as the user wrote it, for messages: the long form from argv
 * (without any "=value"), else the short letter getopt reports. */
static const char *bad_option (const struct cli_parser *p, char *buf, size_t len)
{
	const char *arg = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : NULL;

	if (arg != NULL && strncmp (arg, "--", 2) == 0) {
		snprintf (buf, len, "%.*s", (int)strcspn (arg, "="), arg);
		return buf;
	}
	if (optopt > 0 && optopt < 128) {
		snprintf (buf, len, "-%c", optopt);
		return buf;
	}
	return arg ? arg : "?";
}

int cli_next_opt (struct cli_parser *p)
{
	/* Every command gets --help; the rest comes from the command.  The
	 * long table is copied once per call: commands have a handful. */
	char shortopts[64];
	struct option longopts[32];
	size_t n = 0;
	char buf[64];
	int c;

	snprintf (shortopts, sizeof shortopts, "%s:h%s", p->anywhere ? "" : "+", p->shortopts);
	for (; p->longopts && p->longopts[n].name != NULL && n < ARRAY_SIZE (longopts) - 2; n++)
		longopts[n] = p->longopts[n];
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option){NULL, 0, NULL, 0};

	c = getopt_long (p->argc, p->argv, shortopts, longopts, NULL);
	switch (c) {
	case -1:
		return CLI_OPT_END;
	case 'h':
		printf ("usage: " CLI_PROG " %s", p->usage);
		return CLI_OPT_HELP;
	case '?':
		cli_usage_error (p->cmd, "unknown option `%s`", bad_option (p, buf, sizeof buf));
		return CLI_OPT_ERROR;
	case ':':
		cli_usage_error (p->cmd, "option `%s` needs a value",
		                 bad_option (p, buf, sizeof buf));
		return CLI_OPT_ERROR;
	default:
		return c;
	}
}

int cli_operands (struct cli_parser *p, int min, int max, const char *what)
{
	int n = p->argc - optind;

	if (n < min) {
		cli_usage_error (p->cmd, "missing %s", what);
		return -1;
	}
	if (max >= 0 && n > max) {
		cli_usage_error (p->cmd, "unexpected argument `%s`", p->argv[optind + max]);
		return -1;
	}
	return optind;
}

int cli_id_only (const char *cmd, const char *usage, int argc, char **argv, const char **id)
{
	struct cli_parser p;
	int c, i;

	*id = NULL;
	cli_parser_init (&p, cmd, usage, "", NULL, argc, argv);
	c = cli_next_opt (&p);
	if (c != CLI_OPT_END)
		return c == CLI_OPT_HELP ? 0 : 1;
	i = cli_operands (&p, 1, 1, "container id");
	if (i < 0)
		return 1;
	*id = argv[i];
	return 0;
}

int cli_fail (struct keel_error **err)
{
	keel_log_error (err);
	return 1;
}

int cli_abs_path (const char *arg, char **abs, struct keel_error **err)
{
	cleanup_free char *cwd = NULL;

	if (arg[0] == '/') {
		*abs = xstrdup (arg);
		return 0;
	}
	cwd = getcwd (NULL, 0);
	if (cwd == NULL)
		return keel_error (err, errno, "getcwd");
	*abs = xasprintf ("%s/%s", cwd, arg);
	return 0;
}

int cli_bundle_path (const char *arg, char **abs, struct keel_error **err)
{
	char *r = realpath (arg ? arg : ".", NULL);

	if (r == NULL)
		return keel_error (err, errno, "bundle `%s`", arg ? arg : ".");
	*abs = r;
	return 0;
}

/* spec-load.c's limit (SPEC_MAX_SIZE) */
#define CONFIG_READ_MAX (16u << 20)

int cli_load_spec (const char *bundle, const char *config_arg, struct spec **out, char **json,
                   size_t *len, struct keel_error **err)
{
	cleanup_free char *path = NULL, *buf = NULL;
	const char *base;
	size_t n = 0;
	int ret;

	if (config_arg != NULL) {
		ret = cli_abs_path (config_arg, &path, err);
		if (ret < 0)
			return ret;
	} else {
		path = xasprintf ("%s/config.json", bundle);
	}
	/* Read once (as spec_load reads: a regular file, bounded): what is
	 * kept is exactly what was parsed. */
	base = strrchr (path, '/');
	ret = input_read (path, base ? base + 1 : path, CONFIG_READ_MAX, &buf, &n, err);
	if (ret < 0)
		return ret;
	ret = spec_parse (base ? base + 1 : path, buf, n, bundle, out, err);
	if (ret == 0 && json) {
		*json = steal_ptr (&buf);
		*len = n;
	}
	return ret;
}

int cli_created_spec (struct cli_global *g, const char *id, const char *bundle, struct spec **out,
                      struct keel_error **err)
{
	const char *root = g->rt.state_root ? g->rt.state_root : KEEL_DEFAULT_STATE_ROOT;
	cleanup_close int dirfd = -1;
	int ret;

	ret = state_dir_open (root, id, false, &dirfd, err);
	if (ret == 0)
		ret = state_spec_load (dirfd, bundle, out, err);
	if (ret == 0 && *out == NULL)
		ret = cli_load_spec (bundle, NULL, out, NULL, NULL, err);
	if (ret < 0)
		keel_error_wrap (err, "the container's config (bundle `%s`)", bundle);
	return ret;
}

static const struct {
	const char *name;
	int signo;
} signal_names[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
#ifdef SIGSTKFLT
        {"STKFLT", SIGSTKFLT},
#endif
        {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},  {"CONT", SIGCONT},     {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
        {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
        {"SYS", SIGSYS},
};

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" */
static int parse_rt_signal (const char *s)
{
	unsigned long long n = 0;
	int base, sign;

	if (strncasecmp (s, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		sign = 1;
	} else if (strncasecmp (s, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		sign = -1;
	} else {
		return -1;
	}
	s += 5;
	if (*s != '\0') {
		if (*s != (sign > 0 ? '+' : '-') || !parse_uint64 (s + 1, &n))
			return -1;
	}
	if (n > (unsigned long long)(SIGRTMAX - SIGRTMIN))
		return -1;
	return base + sign * (int)n;
}

int cli_parse_signal (const char *s)
{
	unsigned long long n;
	size_t i;

	/* 0 is kill(2)'s "is it there?", which runc passes through. */
	if (parse_uint64 (s, &n))
		return n <= (unsigned long long)SIGRTMAX ? (int)n : -1;
	if (strncasecmp (s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < ARRAY_SIZE (signal_names); i++)
		if (strcasecmp (s, signal_names[i].name) == 0)
			return signal_names[i].signo;
	return parse_rt_signal (s);
}

int cli_parse_preserve_fds (const char *s, int *out, struct keel_error **err)
{
	unsigned long long n;

	if (!parse_uint64 (s, &n) || n > INT_MAX - 3)
		return keel_error (err, 0, "--preserve-fds: `%s` is not a number of fds", s);
	*out = (int)n;
	return 0;
}
