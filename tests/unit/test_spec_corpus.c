/* The rejection corpus (tests/spec-invalid/, see its README.md): every
 * NNN-name.json must be refused with exactly the one line in NNN-name.err.
 * One TAP line per case, named after the file. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/util.h"
#include "runtime/spec.h"

/* The corpus must keep covering every family (brief: at least 45). */
#define MIN_CASES 45

static char *corpus_dir (void)
{
	const char *dir = getenv ("KEEL_TEST_DATA");

	return xasprintf ("%s/spec-invalid", dir ? dir : "tests");
}

static void check_case (void **state)
{
	const char *json_path = *state;
	cleanup_free char *err_path = xstrdup (json_path);
	cleanup_free char *json = NULL;
	cleanup_free char *want = NULL;
	struct keel_error *err = NULL;
	struct spec *s = NULL;
	size_t len = 0, wlen = 0;

	strcpy (err_path + strlen (err_path) - strlen ("json"), "err");
	if (read_file (json_path, 0, &json, &len, &err) < 0 ||
	    read_file (err_path, 0, &want, &wlen, &err) < 0) {
		print_error ("%s\n", err->msg);
		keel_error_release (&err);
		fail ();
	}
	while (wlen > 0 && want[wlen - 1] == '\n')
		want[--wlen] = '\0';
	assert_null (strchr (want, '\n'));
	if (spec_parse ("config.json", json, len, "/bundle", &s, &err) == 0) {
		spec_free (s);
		fail_msg ("%s was accepted; expected: %s", json_path, want);
	}
	assert_null (s);
	assert_null (strchr (err->msg, '\n'));
	if (strcmp (err->msg, want) != 0) {
		print_error ("%s\n  expected: %s\n  got:      %s\n", json_path, want, err->msg);
		keel_error_release (&err);
		fail ();
	}
	keel_error_release (&err);
}

static int is_json (const struct dirent *d)
{
	size_t n = strlen (d->d_name);

	return n > 5 && strcmp (d->d_name + n - 5, ".json") == 0;
}

int main (void)
{
	cleanup_free char *dir = corpus_dir ();
	struct CMUnitTest *tests;
	struct dirent **list;
	int n, ret;

	n = scandir (dir, &list, is_json, alphasort);
	if (n < 0) {
		printf ("not ok 1 - corpus directory %s: cannot read it\n", dir);
		return 1;
	}
	if (n < MIN_CASES) {
		printf ("not ok 1 - corpus %s has %d cases, fewer than %d\n", dir, n, MIN_CASES);
		return 1;
	}
	tests = xmalloc0 ((size_t)n * sizeof (*tests));
	for (int i = 0; i < n; i++) {
		tests[i].name = xstrdup (list[i]->d_name);
		tests[i].test_func = check_case;
		tests[i].initial_state = xasprintf ("%s/%s", dir, list[i]->d_name);
	}
	ret = _cmocka_run_group_tests ("spec_corpus", tests, (size_t)n, NULL, NULL);
	for (int i = 0; i < n; i++) {
		free ((char *)tests[i].name);
		free (tests[i].initial_state);
		free (list[i]);
	}
	free (tests);
	free (list);
	return ret;
}
