/* libFuzzer target for the runtime's state.json loader (runtime/state.c,
 * state_read), which every keel-runtime command after create trusts to
 * find the container's pid, cgroup and poststart/poststop hooks.
 * state_read() takes the container's state directory, not a buffer, so
 * each input is written as STATE/state.json in a private temporary
 * directory ($TMPDIR, else /dev/shm or /tmp; run.sh and fuzz-smoke point
 * TMPDIR into their own directory, so a crash leaves nothing behind in
 * /tmp) and read back through it: the
 * real code path, file read included.  The input must either load, with
 * an id, or fail with one line; either way the caller's usual cleanup
 * (keel_state_free + state_extra_free, as container.c does) releases
 * everything.  Never a crash, leak or undefined behaviour. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/state.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static char dir[4096];
static int dirfd_ = -1;

static void cleanup (void)
{
	if (dirfd_ >= 0) {
		unlinkat (dirfd_, STATE_FILE, 0);
		close (dirfd_);
	}
	rmdir (dir);
}

int LLVMFuzzerInitialize (int *argc, char ***argv)
{
	const char *base = getenv ("TMPDIR");

	if (base == NULL || *base == '\0')
		base = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf (dir, sizeof dir, "%s/keel-fuzz-state.XXXXXX", base);
	if (mkdtemp (dir) == NULL)
		abort ();
	dirfd_ = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd_ < 0)
		abort ();
	atexit (cleanup);
	return 0;
}

static void check_hooks (const struct spec_hook *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((h[i].args.n && h[i].args.v == NULL) || (h[i].env.n && h[i].env.v == NULL))
			abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct keel_state st;
	struct state_extra x;

	if (write_file_at (dirfd_, STATE_FILE, O_CREAT | O_TRUNC, 0600, data, size, &err) < 0)
		abort ();
	memset (&st, 0, sizeof st);
	memset (&x, 0, sizeof x);
	if (state_read (dirfd_, &st, &x, &err) == 0) {
		if (err != NULL || st.id == NULL)
			abort ();
		if (st.annotations.n && st.annotations.e == NULL)
			abort ();
		check_hooks (x.poststart, x.n_poststart);
		check_hooks (x.poststop, x.n_poststop);
	} else if (err == NULL || err->msg == NULL || strchr (err->msg, '\n') != NULL) {
		abort ();
	}
	keel_error_release (&err);
	keel_state_free (&st);
	state_extra_free (&x);
	return 0;
}
