/* See mountinfo.h. */
#include "lib/mountinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void mountinfo_unescape (char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
/* The next space-separated field of *p, NUL-terminated in place, or NULL
 * at the end: strtok_r (s, " ") by hand, since a runtime reads mountinfo
 * twice per container and musl's strtok_r (a strspn and a strcspn with
 * their byte tables per call) was most of the parse. */
static char *next_field (char **p)
{
	char *s = *p, *start;

	while (*s == ' ')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	start = s;
	while (*s != ' ' && *s != '\0')
		s++;
	if (*s == ' ')
		*s++ = '\0';
	*p = s;
	return start;
}

/* The " - " that ends the optional fields: the first one, since no field
 * before it can hold a space (mountinfo writes one as \040).  By '-'
 * (strchr reads a word at a time) rather than strstr, which was most of
 * the cost of a line. */
static char *find_separator (char *line)
{
	for (char *p = strchr (line, '-'); p != NULL; p = strchr (p + 1, '-'))
		if (p > line && p[-1] == ' ' && p[1] == ' ')
			return p - 1;
	return NULL;
}

static int parse_line (char *line, struct mountinfo *m)
{
	char *f[6], *cur = line, *tok, *sep;
	int n = 0;

	sep = find_separator (line);
	if (sep == NULL)
		return -1;
	*sep = '\0';
	while (n < 6 && (tok = next_field (&cur)) != NULL)
		f[n++] = tok;
	if (n < 6)
		return -1;
	m->id = atoi (f[0]);
	m->parent = atoi (f[1]);
	m->root = f[3];
	m->mountpoint = f[4];
	m->options = f[5];
	cur = sep + 3;
	m->fstype = next_field (&cur);
	m->source = next_field (&cur);
	m->super_options = next_field (&cur);
	if (m->fstype == NULL || m->source == NULL)
		return -1;
	if (m->super_options == NULL)
		m->super_options = "";
	mountinfo_unescape ((char *)m->root);
	mountinfo_unescape ((char *)m->mountpoint);
	mountinfo_unescape ((char *)m->source);
	return 0;
}

static int parse_fstype (char *buf, const char *name, const char *fstype,
                         int (*cb) (const struct mountinfo *m, void *data), void *data,
                         struct keel_error **err)
{
	size_t flen = fstype ? strlen (fstype) : 0;
	char *line, *next;
	int ret;

	for (line = buf; line && *line; line = next) {
		struct mountinfo m;

		next = strchr (line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if (fstype != NULL) {
			const char *sep = find_separator (line);

			if (sep != NULL && strncmp (sep + 3, fstype, flen) != 0)
				continue;
		}
		if (parse_line (line, &m) < 0)
			return keel_error (err, EINVAL, "%s: a line does not parse", name);
		ret = cb (&m, data);
		if (ret < 0)
			return keel_error (err, -ret, "%s", name);
		if (ret > 0)
			return ret;
	}
	return 0;
}

int mountinfo_parse (char *buf, const char *name, int (*cb) (const struct mountinfo *m, void *data),
                     void *data, struct keel_error **err)
{
	return parse_fstype (buf, name, NULL, cb, data, err);
}

int mountinfo_foreach_fstype (const char *path, const char *fstype,
                              int (*cb) (const struct mountinfo *m, void *data), void *data,
                              struct keel_error **err)
{
	cleanup_free char *buf = NULL;
	int ret;

	ret = read_file (path, 16 << 20, &buf, NULL, err);
	if (ret < 0)
		return ret;
	return parse_fstype (buf, path, fstype, cb, data, err);
}

int mountinfo_foreach (const char *path, int (*cb) (const struct mountinfo *m, void *data),
                       void *data, struct keel_error **err)
{
	return mountinfo_foreach_fstype (path, NULL, cb, data, err);
}
