/* Kernel modules listed by the image builder in /etc/keel/modules (format
 * in initramfs/README.md): one absolute .ko path per line, optionally
 * followed by its parameters, already in dependency order.  Each is loaded
 * with finit_module(2); EEXIST (built in or loaded) is success, any other
 * failure is reported and loading goes on, so one bad module never stops
 * the boot. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init/boot.h"
#include "init/console.h"
#include "lib/input.h"
#include "lib/util.h"

void modules_load (const char *list)
{
	cleanup_free char *buf = NULL;
	struct keel_error *err = NULL;
	char *line, *save = NULL;
	unsigned loaded = 0, failed = 0;

	if (input_read (list, NULL, 1 << 20, &buf, NULL, &err) < 0) {
		if (err->status != ENOENT) {
			cleanup_free char *m = keel_error_take (&err);
			console_status (NULL, CS_WARN, "modules: %s", m);
		}
		keel_error_release (&err);
		return;
	}
	for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
		char *path = line + strspn (line, " \t");
		char *params;
		struct stat st = {0};
		int fd;

		if (*path == '\0' || *path == '#')
			continue;
		params = path + strcspn (path, " \t");
		if (*params) {
			*params++ = '\0';
			params += strspn (params, " \t");
		}
		/* O_NONBLOCK: a FIFO named here must not block PID 1 in open */
		fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0) {
			console_status (NULL, CS_FAIL, "module %s: %s", path, strerror (errno));
			failed++;
			continue;
		}
		if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)) {
			if (st.st_mode == 0)
				console_status (NULL, CS_FAIL, "module %s: %s", path, strerror (errno));
			else
				console_status (NULL, CS_FAIL, "module %s: %s, not a regular file", path,
				                input_file_type (st.st_mode));
			close (fd);
			failed++;
			continue;
		}
		if (syscall (SYS_finit_module, fd, params, 0) < 0 && errno != EEXIST) {
			console_status (NULL, CS_FAIL, "module %s: %s", path, strerror (errno));
			failed++;
		} else {
			loaded++;
		}
		close (fd);
	}
	if (loaded || failed)
		console_status (NULL, failed ? CS_WARN : CS_OK, "Loaded %u kernel modules%s",
		                loaded, failed ? " (some failed, see above)" : "");
}
