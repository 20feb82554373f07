/* libFuzzer target for the config.json decoder: any byte string must give
 * either a struct spec that spec_free() releases or exactly one one-line
 * error, never a crash, a leak or undefined behaviour.  Built by
 * tests/fuzz/build.sh with clang -fsanitize=fuzzer,address,undefined and
 * linked without libseccomp, which also shows the parser never needs it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *err = NULL;
	struct spec *s = NULL;

	if (spec_parse ("config.json", (const char *)data, size, "/bundle", &s, &err) == 0) {
		if (s == NULL || s->root.abs_path == NULL || s->oci_version == NULL)
			abort ();
		spec_free (s);
		return 0;
	}
	/* The contract: "config.json: ..." on one line. */
	if (s != NULL || err == NULL || err->msg == NULL || strchr (err->msg, '\n') != NULL ||
	    strncmp (err->msg, "config.json: ", 13) != 0)
		abort ();
	keel_error_release (&err);
	return 0;
}
