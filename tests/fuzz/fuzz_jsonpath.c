/* libFuzzer target for lib/jsonpath.c's ways of parsing: jpath_parse
 * (the direct reader, then the squeezed try) must agree with
 * jpath_parse_reference on every byte string, the same tree
 * (json_object_equal, and the same order of members) or the same one-line
 * message, and neither may crash or leak.  Seeds: the spec corpora
 * (tests/fuzz/targets.sh). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonpath.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	struct keel_error *e1 = NULL, *e2 = NULL;
	json_object *t1 = NULL, *t2 = NULL;
	int r1 = jpath_parse ("f.json", (const char *)data, size, &t1, &e1);
	int r2 = jpath_parse_reference ("f.json", (const char *)data, size, &t2, &e2);

	if (r1 != r2)
		abort ();
	if (r1 == 0 && !json_object_equal (t1, t2))
		abort ();
	/* the members' order too, which json_object_equal does not see */
	if (r1 == 0 && strcmp (json_object_to_json_string_ext (t1, JSON_C_TO_STRING_PLAIN),
	                       json_object_to_json_string_ext (t2, JSON_C_TO_STRING_PLAIN)) != 0)
		abort ();
	if (r1 < 0 && (e1 == NULL || e2 == NULL || strcmp (e1->msg, e2->msg) != 0))
		abort ();
	json_object_put (t1);
	json_object_put (t2);
	keel_error_release (&e1);
	keel_error_release (&e2);
	return 0;
}
