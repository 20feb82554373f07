/* keelctl: the client of PID 1's control socket (protocol in control.h),
 * plus `keelctl notify`, a systemd-notify for containers (it sends its
 * arguments to $NOTIFY_SOCKET). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "init/boottime.h"
#include "init/control.h"
#include "init/init.h"
#include "init/notify.h"
#include "init/options.h"
#include "init/slot.h"
#include "init/update.h"
#include "lib/termsafe.h"
#include "lib/util.h"

static void usage (FILE *out)
{
	fputs ("usage: keelctl [--socket PATH] COMMAND\n"
	       "  list                    every container with its state\n"
	       "  status [NAME]           one container in detail (none: the list)\n"
	       "  status --json [NAME]    every container (or one) as JSON\n"
	       "  logs NAME [BYTES]       the tail of its log ring\n"
	       "  logs [-n LINES] [-f] NAME\n"
	       "                          its last LINES lines; -f: then follow it live\n"
	       "  boot-time [--json|--svg]\n"
	       "                          where the boot's time went: text (blame, critical\n"
	       "                          chain), JSON, or an SVG chart for a browser\n"
	       "  start|stop|restart NAME\n"
	       "  reload [--dry-run]      read containers.d again: add, remove, restart what\n"
	       "                          changed, keep the rest running (--dry-run: the plan)\n"
	       "  update NAME SRC [--set K=V]... [--timeout SECS] [--keep N]\n"
	       "         [--ref REF] [--no-exports] [--import-timeout SECS]\n"
	       "                          SRC (an OCI image layout, a tar of one, a docker\n"
	       "                          save archive, or an entry directory) becomes NAME's\n"
	       "                          next deployment, an image imported in the importer\n"
	       "                          container; committed when ready, else rolled back\n"
	       "                          (docs/deployments.md)\n"
	       "  rollback NAME [--timeout SECS]  back to the deployment before\n"
	       "  slot [--dir DIR] status|good|set-next|install ...\n"
	       "                          whole-node A/B on the boot disk (keelctl slot --help)\n"
	       "  poweroff|reboot|halt\n"
	       "  notify [READY=1 ...]    send sd_notify lines to $NOTIFY_SOCKET\n"
	       "The socket defaults to $KEEL_SOCKET or " INIT_DEFAULT_STATE "/keel.sock.\n",
	       out);
}

#define CTL_ANSWER_SECONDS 30 /* keel answers at once; this is a hung PID 1 */

/* Why keel hung up on us, in words. */
static int closed_early (const char *what)
{
	fprintf (stderr,
	         "keelctl: keel closed the connection %s (busy with other clients, or "
	         "shutting down); try again\n",
	         what);
	return 1;
}

/* Send the request line in one message; MSG_NOSIGNAL: a server that closed
 * first is an error to report, not a SIGPIPE that kills us silently. */
static int send_request (int fd, const char *req)
{
	cleanup_free char *line = xasprintf ("%s\n", req);
	size_t len = strlen (line), off = 0;

	while (off < len) {
		ssize_t n = send (fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return closed_early ("before taking the request");
		if (n < 0) {
			fprintf (stderr, "keelctl: send the request: %s\n", strerror (errno));
			return 1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Where a reply's body goes.  On a terminal it is rendered for it
 * (lib/termsafe.h, newlines kept): logs, STATUS= and errors hold what a
 * container wrote, and its escapes must not reach the admin's terminal.
 * Elsewhere (a pipe, a file) the bytes go as they are, so `keelctl logs
 * NAME >file` keeps exactly what the container wrote (docs/containers.d.md). */
struct ctl_out {
	FILE *f;
	bool tty;
	char carry[4]; /* a UTF-8 sequence the end of a read cut off */
	size_t n_carry;
};

static void ctl_out_init (struct ctl_out *o, FILE *f)
{
	o->f = f;
	o->tty = isatty (fileno (f)) == 1;
	o->n_carry = 0;
}

/* more: further bytes follow (a cut character waits for them). */
static int ctl_out_write (struct ctl_out *o, const char *p, size_t n, bool more)
{
	cleanup_free char *in = NULL, *out = NULL;
	size_t len, used, k;

	if (!o->tty)
		return fwrite (p, 1, n, o->f) == n ? 0 : -1;
	len = o->n_carry + n;
	in = xmalloc0 (len + 1);
	out = xmalloc0 (len * TERMSAFE_GROWTH + 1);
	memcpy (in, o->carry, o->n_carry);
	memcpy (in + o->n_carry, p, n);
	k = termsafe (out, len * TERMSAFE_GROWTH, in, len,
	              TERMSAFE_NEWLINES | (more ? TERMSAFE_MORE : 0), &used);
	o->n_carry = len - used; /* at most 3 */
	memcpy (o->carry, in + used, o->n_carry);
	return fwrite (out, 1, k, o->f) == k ? 0 : -1;
}

/* How the reply is used: streamed to stdout (errors to stderr), streamed
 * without end (logs -f: no answer timeout after the first bytes), or
 * collected for boot-time's rendering. */
enum ctl_mode { CTL_STREAM, CTL_FOLLOW, CTL_COLLECT };

static int request (const char *path, const char *req, enum ctl_mode mode, char **collected,
                    size_t *collected_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_ANSWER_SECONDS};
	cleanup_close int fd = -1;
	char buf[65536];
	bool first = true, ok = false;
	struct ctl_out out, errs;

	if (strlen (path) >= sizeof sa.sun_path) {
		fprintf (stderr, "keelctl: socket path too long\n");
		return 1;
	}
	strcpy (sa.sun_path, path);
	fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf (stderr, "keelctl: connect to `%s`: %s\n", path, strerror (errno));
		return 1;
	}
	if (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
		fprintf (stderr, "keelctl: SO_RCVTIMEO: %s\n", strerror (errno));
		return 1;
	}
	if (send_request (fd, req) != 0)
		return 1;
	ctl_out_init (&out, stdout);
	ctl_out_init (&errs, stderr);
	for (;;) {
		ssize_t n = read (fd, buf, sizeof buf);
		char *body = buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return closed_early (first ? "without an answer"
			                           : "in the middle of its answer");
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf (stderr, "keelctl: no answer from keel within %d s\n",
			         CTL_ANSWER_SECONDS);
			return 1;
		}
		if (n < 0) {
			fprintf (stderr, "keelctl: read: %s\n", strerror (errno));
			return 1;
		}
		if (n == 0 && first)
			return closed_early ("without an answer");
		if (n == 0 && mode == CTL_FOLLOW && ok) {
			fprintf (stderr, "keelctl: keel ended the follow (shutting down, or this "
			                 "follower fell behind)\n");
			return 1;
		}
		if (n == 0) {
			/* a cut character at the very end: shown escaped */
			if (ctl_out_write (ok ? &out : &errs, "", 0, false) != 0)
				return 1;
			break;
		}
		if (first) {
			/* "ok\n" is only the status; errors go to stderr. */
			first = false;
			if (n >= 3 && memcmp (buf, "ok\n", 3) == 0) {
				ok = true;
				body += 3;
				n -= 3;
			}
			if (ok && mode == CTL_FOLLOW) {
				/* the follow is open: output comes when the
				 * container writes, however long that takes */
				tv.tv_sec = 0;
				if (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
					fprintf (stderr, "keelctl: SO_RCVTIMEO: %s\n",
					         strerror (errno));
					return 1;
				}
			}
		}
		if (ok && mode == CTL_COLLECT) {
			*collected = xrealloc (*collected, *collected_len + (size_t)n + 1);
			memcpy (*collected + *collected_len, body, (size_t)n);
			*collected_len += (size_t)n;
			(*collected)[*collected_len] = '\0';
			continue;
		}
		if (ctl_out_write (ok ? &out : &errs, body, (size_t)n, true) != 0)
			return 1;
		if (mode == CTL_FOLLOW && fflush (stdout) != 0)
			return 1; /* the reader went away */
	}
	return ok ? 0 : 1;
}

/* keelctl boot-time [--json|--svg]: PID 1 sends its stamps, we render. */
static int boot_time (const char *sock, int argc, char **argv)
{
	enum boottime_format fmt = BOOTTIME_TEXT;
	struct keel_error *err = NULL;
	cleanup_free char *json = NULL;
	size_t len = 0;
	int ret;

	if (argc > 2 ||
	    (argc == 2 && strcmp (argv[1], "--json") != 0 && strcmp (argv[1], "--svg") != 0)) {
		fprintf (stderr, "keelctl: usage: keelctl boot-time [--json|--svg]\n");
		return 2;
	}
	if (argc == 2)
		fmt = strcmp (argv[1], "--json") == 0 ? BOOTTIME_JSON : BOOTTIME_SVG;
	ret = request (sock, "boot-time", CTL_COLLECT, &json, &len);
	if (ret != 0)
		return ret;
	if (boottime_render (json ? json : "", len, fmt, stdout, &err) < 0) {
		keel_error_print (stderr, "keelctl boot-time", &err);
		return 1;
	}
	return fflush (stdout) == 0 ? 0 : 1;
}

/* keelctl logs [-n LINES] [-f] NAME [BYTES]: options before or after the
 * name, sent in the protocol's order (control.h). */
static int logs (const char *sock, int argc, char **argv)
{
	const char *name = NULL, *lines = NULL, *bytes = NULL;
	bool follow = false;
	cleanup_free char *req = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--follow") == 0)
			follow = true;
		else if ((strcmp (argv[i], "-n") == 0 || strcmp (argv[i], "--lines") == 0) &&
		         i + 1 < argc)
			lines = argv[++i];
		else if (name == NULL)
			name = argv[i];
		else if (bytes == NULL)
			bytes = argv[i];
		else
			name = NULL, i = argc; /* too many: usage */
	}
	if (name == NULL || (bytes && (lines || follow))) {
		fprintf (stderr,
		         "keelctl: usage: keelctl logs NAME [BYTES] | keelctl logs [-n LINES] "
		         "[-f] NAME\n");
		return 2;
	}
	req = xasprintf ("logs %s%s%s%s%s%s", name, bytes ? " " : "", bytes ? bytes : "",
	                 lines ? " -n " : "", lines ? lines : "", follow ? " -f" : "");
	if (strchr (req, '\n')) {
		fprintf (stderr, "keelctl: a newline in the request\n");
		return 2;
	}
	return request (sock, req, follow ? CTL_FOLLOW : CTL_STREAM, NULL, NULL);
}

int keel_ctl_main (int argc, char **argv)
{
	const char *sock = getenv ("KEEL_SOCKET");
	cleanup_free char *def = NULL;
	cleanup_free char *req = NULL;
	int i;

	if (argc > 1 && strcmp (argv[1], "ctl") == 0) {
		argc--;
		argv++;
	}
	argv++;
	argc--;
	if (argc >= 2 && strcmp (argv[0], "--socket") == 0) {
		sock = argv[1];
		argv += 2;
		argc -= 2;
	}
	if (argc < 1 || strcmp (argv[0], "--help") == 0 || strcmp (argv[0], "-h") == 0) {
		usage (argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (strcmp (argv[0], "notify") == 0) {
		struct keel_error *err = NULL;
		cleanup_free char *msg = xstrdup (argc > 1 ? "" : "READY=1");
		for (i = 1; i < argc; i++) {
			char *t = xasprintf ("%s%s%s", msg, i > 1 ? "\n" : "", argv[i]);
			free (msg);
			msg = t;
		}
		if (notify_send (getenv ("NOTIFY_SOCKET"), msg, &err) < 0) {
			keel_error_print (stderr, "keelctl notify", &err);
			return 1;
		}
		return 0;
	}
	if (sock == NULL)
		sock = def = xstrdup (INIT_DEFAULT_STATE "/keel.sock");
	if (strcmp (argv[0], "boot-time") == 0)
		return boot_time (sock, argc, argv);
	if (strcmp (argv[0], "logs") == 0)
		return logs (sock, argc, argv);
	if (strcmp (argv[0], "slot") == 0)
		return slot_ctl_main (argc, argv);
	if (strcmp (argv[0], "update") == 0)
		return update_main (sock, argc, argv);
	if (strcmp (argv[0], "rollback") == 0)
		return rollback_main (sock, argc, argv);
	req = xstrdup (argv[0]);
	for (i = 1; i < argc; i++) {
		char *t = xasprintf ("%s %s", req, argv[i]);
		free (req);
		req = t;
	}
	/* A long request goes as it is: keel's answer says what is wrong
	 * with it (control.h), better than a guess here. */
	if (strchr (req, '\n')) {
		fprintf (stderr, "keelctl: a newline in the request\n");
		return 2;
	}
	/* status NAME (not status --json) ends with the deployment lines. */
	if (argc == 2 && strcmp (argv[0], "status") == 0 && argv[1][0] != '-') {
		int rc = request (sock, req, CTL_STREAM, NULL, NULL);
		if (rc == 0) {
			fflush (stdout);
			update_print_status (sock, argv[1]);
		}
		return rc;
	}
	return request (sock, req, CTL_STREAM, NULL, NULL);
}
