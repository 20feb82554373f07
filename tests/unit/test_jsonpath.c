/* lib/jsonpath.c's jpath_parse against jpath_parse_reference: the quick
 * first try (squeezed text, member count) must give the same tree, or the
 * same one-line message, as the straightforward parse for every input:
 * hand-made edge cases of the squeezing and the two facts it checks, and
 * every config of tests/spec-valid and tests/spec-invalid, as written and
 * with each of its bytes cut off the end. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/jsonpath.h"
#include "lib/util.h"

/* Both ways over text[0, len): same result; returns whether it parsed. */
static bool same_both_ways (const char *text, size_t len)
{
	struct keel_error *e1 = NULL, *e2 = NULL;
	json_object *t1 = NULL, *t2 = NULL;
	int r1 = jpath_parse ("f.json", text, len, &t1, &e1);
	int r2 = jpath_parse_reference ("f.json", text, len, &t2, &e2);

	if (r1 != r2) {
		print_error ("%.*s\n  quick %d (%s), reference %d (%s)\n", (int)len, text, r1,
		             e1 ? e1->msg : "-", r2, e2 ? e2->msg : "-");
		fail ();
	}
	if (r1 == 0) {
		/* json_object_equal ignores the order of members, which the
		 * spec's walk sees (annotations, env): the plain text too */
		const char *s1 = json_object_to_json_string_ext (t1, JSON_C_TO_STRING_PLAIN);
		const char *s2 = json_object_to_json_string_ext (t2, JSON_C_TO_STRING_PLAIN);

		if (!json_object_equal (t1, t2) || strcmp (s1, s2) != 0) {
			print_error ("%.*s\n  trees differ: %s\n  vs %s\n", (int)len, text,
			             json_object_to_json_string (t1),
			             json_object_to_json_string (t2));
			fail ();
		}
	} else if (strcmp (e1->msg, e2->msg) != 0) {
		print_error ("%.*s\n  quick:     %s\n  reference: %s\n", (int)len, text, e1->msg,
		             e2->msg);
		fail ();
	}
	json_object_put (t1);
	json_object_put (t2);
	keel_error_release (&e1);
	keel_error_release (&e2);
	return r1 == 0;
}

static bool same (const char *text)
{
	return same_both_ways (text, strlen (text));
}

/* What the quick way must let through, and what it must refuse with the
 * reference's words (the message is checked by same ()). */
static void test_edges (void **state)
{
	static const char *const ok[] = {
	        "{}",
	        " \n\t\r{ \"a\" : 1 , \"b\" : [ true , false , null ] }\n\n",
	        "{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1,\"b\":2},{\"a\":1}]}",
	        "[1, -2, 123456789012345678, -12345678901234567]",
	        "[9223372036854775807, -9223372036854775808, 18446744073709551615]",
	        "{\"x\": 1.5, \"y\": 1e3, \"z\": -0.25E-2}",
	        "[1e308, -1.7976931348623157e308, 0.0000001, 12345678901234567890.5]",
	        "{\"swap\": 9223372036854775807, \"rlimit\": 18446744073709551615}",
	        "{\"s\": \"a \\\" b : c , { [ \\\\\", \"t\": \"\\u0041\\n \"}",
	        "{\"a\": \"\", \"\": \"a\"}",
	        "{\"a\\u0062\": 1, \"ab2\": 2}",
	        "\"lonely string\"",
	        "  true  ",
	        "{\"k\": [[[[[]]]]], \"l\": {}}",
	        /* the direct reader's own edges: what it takes, and where it
	         * leaves the text to the squeezed try and the reference */
	        "{\"z\": 1, \"a\": 2, \"m\": {\"y\": [3, {\"b\": 4, \"a\": 5}], \"x\": null}}",
	        "[\"\\b\\f\\n\\r\\t\\/\\\\\\\"\", \"\\\\u0041\"]",
	        "[0, -1, 99, 999999999999999999, -999999999999999999]",
	        "[1000000000000000000, -1000000000000000000]",
	        "[\"\\u00e9\", \"\xc3\xa9\", \"a\x7f\"]",
	        "{\"\": {\"\": []}, \"a\": [{}, [], \"\", 0, false, true, null]}",
	        "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",
	        "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
	        "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{"
	        "\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}}}}}}}}}}",
	        "\t[ 1 ,\r\n2 ]\r\n",
	        "[1.0, -0.5, 2e2]",
	        "[true, false]",
	};
	static const char *const refused[] = {
	        "",
	        "   \n  ",
	        "{\"a\": 1, \"a\": 2}",
	        "{\"a\": 1, \"\\u0061\": 2}",
	        /* two keys json-c keeps apart (a raw 0xff byte, a lone
	         * surrogate) that the scan renders alike (fuzz_jsonpath's
	         * find: the squeezed try took it on the member count) */
	        "{\"\xff\": 1, \"\\uDBEE\": 2}",
	        "{\"o\": {\"x\xff\": 1, \"x\\uDBEE\": 2}}",
	        "{\"o\": {\"b\": 1, \"c\": 2, \"b\": 3}}",
	        "[{\"a\": 1}, {\"x\": [], \"y\": 1, \"x\": null}]",
	        "{\"a\\u0000b\": 1, \"a\\u0000b\": 2}",
	        "[18446744073709551616]",
	        "[-9223372036854775809]",
	        "[123456789012345678901234567890]",
	        "[1e999]",
	        "[1e309]",
	        "[-1e400]",
	        "{\"a\": [1, 2, {\"b\": -99999999999999999999}]}",
	        "[123456789012345678901234567890123456789012345678901234567890123456789]",
	        "[NaN]",
	        "[-Infinity]",
	        "{\"a\": Infinity}",
	        "[1 2]",
	        "1 2",
	        "[tr ue]",
	        "[t rue]",
	        "[- 1]",
	        "[1, 2] x",
	        "{\"a\": 1}{}",
	        "{\"a\": 1} // c",
	        "{\"a\": /* c */ 1}",
	        "{'a': 1}",
	        "[01]",
	        "{\"a\" 1}",
	        "{\"a\": 1,}",
	        "[1,]",
	        "{\"a\": \"unterminated",
	        "{\"a\": \"x\\",
	        "[\"a\" \"b\"]",
	        "[1 \"b\"]",
	        "[\"a\"1]",
	        "{\"a\":\x01 1}",
	        "{\"a\":\v1}",
	        "{\"a\":\f1}",
	        "[TRUE]",
	        "[True]",
	        "[nul]",
	        "\xef\xbb\xbf{}",
	};

	(void)state;
	/* where only the agreement matters: a top-level number json-c waits
	 * for more of; keys json-c cuts at an embedded NUL, which the scan
	 * tells apart */
	static const char *const either[] = {
	        "9223372036854775807",
	        "{\"a\\u0000b\": 1, \"a\\u0000c\": 2}",
	        "[1.]",
	        "[1.5e]",
	        "[-0]",
	        "[0.00000000000000000000000000000000000000000000000000000000000000000000001]",
	        "[1000000000000000000000000000000000000000000000000000000000000000000000.0]",
	        "[1e+5, 1E-5, -0e0]",
	        "[-]",
	        "[\"\t\"]",
	        "null",
	        " null ",
	        "[-0, 00, -01]",
	        "[1]x",
	        "{\"a\":1,\"b\":{\"c\":2,\"c\":3}}",
	        "{\"a\":\"\\x\"}",
	        "{\"a\":\"\\u12\"}",
	        "[truex]",
	        "[nulll]",
	        "{\"a\":\"\x1f\"}",
	};

	for (size_t i = 0; i < ARRAY_SIZE (either); i++)
		same (either[i]);
	for (size_t i = 0; i < ARRAY_SIZE (ok); i++)
		if (!same (ok[i]))
			fail_msg ("refused: %s", ok[i]);
	for (size_t i = 0; i < ARRAY_SIZE (refused); i++)
		if (same (refused[i]))
			fail_msg ("accepted: %s", refused[i]);
	/* embedded NUL bytes, which strlen would hide */
	assert_false (same_both_ways ("[1,\0 2]", 7));
	assert_false (same_both_ways ("{\"a\":\"x\0y\"}", 11));
	assert_false (same_both_ways ("{\"a\": 1}\0", 9));
}

/* jpath_parse_direct over text: whether it took it (then the tree is the
 * reference's, which same () checks through jpath_parse). */
static bool direct (const char *text)
{
	json_object *t = NULL;
	int r = jpath_parse_direct (text, strlen (text), &t);

	assert_true (r == 0 || r == 1);
	if (r == 0)
		assert_null (t);
	json_object_put (t);
	return r == 1;
}

/* Where the direct reader takes the text itself and where it leaves it
 * to the squeezed try and the reference (the list of lib/jsonpath.c). */
static void test_direct_reader (void **state)
{
	static const char *const taken[] = {
	        "{}",
	        "[]",
	        " \t\r\n{ \"a\" : [ true , false , null , 1 ] }\n",
	        "{\"z\": 1, \"a\": 2, \"m\": {\"y\": [3, {\"b\": 4, \"a\": 5}], \"x\": null}}",
	        "[\"\\b\\f\\n\\r\\t\\/\\\\\\\"\", \"a\x7e\"]",
	        "[999999999999999999, -999999999999999999]",
	        "{\"\": {\"\": []}, \"a\": [{}, [], \"\", 0]}",
	        "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",
	};
	static const char *const left[] = {
	        "",
	        "null",
	        "0",
	        "-12 ",
	        "true",
	        "\"s\"",
	        "[1000000000000000000]",
	        "[-0]",
	        "[01]",
	        "[1.5]",
	        "[1e3]",
	        "[\"\\u0041\"]",
	        "[\"\xc3\xa9\"]",
	        "[\"a\x7f\"]",
	        "[\"\x1f\"]",
	        "[\"\\x\"]",
	        "{\"a\": 1, \"a\": 2}",
	        "{\"o\": {\"b\": 1, \"b\": 1}}",
	        "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
	        "[1,]",
	        "{\"a\" 1}",
	        "[truex]",
	        "[1] 2",
	        "{\"a\": \"unterminated",
	        "\xef\xbb\xbf{}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE (taken); i++) {
		if (!direct (taken[i]))
			fail_msg ("left: %s", taken[i]);
		same (taken[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE (left); i++) {
		if (direct (left[i]))
			fail_msg ("taken: %s", left[i]);
		same (left[i]);
	}
}

/* Every config of a corpus directory, whole and cut at every length. */
static void corpus (const char *sub, bool valid)
{
	const char *top = getenv ("KEEL_TEST_DATA");
	cleanup_free char *dir = xasprintf ("%s/%s", top ? top : "tests", sub);
	struct dirent **list;
	int n, files = 0;

	n = scandir (dir, &list, NULL, alphasort);
	if (n < 0)
		fail_msg ("cannot read %s", dir);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		size_t nl = strlen (name);

		if (nl > 5 && strcmp (name + nl - 5, ".json") == 0) {
			cleanup_free char *path = xasprintf ("%s/%s", dir, name);
			cleanup_free char *text = NULL;
			struct keel_error *err = NULL;
			size_t len = 0;

			if (read_file (path, 0, &text, &len, &err) < 0)
				fail_msg ("%s", err->msg);
			/* a valid config is valid JSON; an invalid one may be either */
			if (same_both_ways (text, len) != true && valid)
				fail_msg ("%s: not JSON", path);
			for (size_t cut = 0; cut < len; cut++)
				same_both_ways (text, cut);
			files++;
		}
		free (list[i]);
	}
	free (list);
	assert_true (files > 0);
}

static void test_corpus_valid (void **state)
{
	(void)state;
	corpus ("spec-valid", true);
}

static void test_corpus_invalid (void **state)
{
	(void)state;
	corpus ("spec-invalid", false);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_edges),
	        cmocka_unit_test (test_direct_reader),
	        cmocka_unit_test (test_corpus_valid),
	        cmocka_unit_test (test_corpus_invalid),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
