/* Decoding JSON input with the JSON path of every value, shared by
 * keel.json (init/policy.c) and config.json (runtime/spec-*.c), so both
 * print problems the same way:
 *   FILE: invalid JSON at line 3, column 14: unexpected character
 *   FILE: PATH: what is wrong
 * PATH is "restart.limit.burst", "linux.namespaces[2].type", or for keys
 * that are not plain identifiers `annotations["org.example/x"]`.
 *
 * jpath_parse is the one tokenizer: strict JSON, one value, and two
 * things json-c lets through silently refused with the file, the path and
 * the line: a key given twice in one object (json-c keeps the last) and an
 * integer outside 64 bits (json-c clamps it to INT64_MAX / UINT64_MAX, so
 * the message would show a number the user never wrote). */
#ifndef KEEL_JSONPATH_H
#define KEEL_JSONPATH_H

#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>

#include "lib/error.h"

#define JPATH_MAX 512

/* A JSON path under construction: push returns a mark for pop. */
struct jpath {
	char s[JPATH_MAX];
	size_t len;
};

size_t jpath_push_key (struct jpath *p, const char *key);
size_t jpath_push_index (struct jpath *p, size_t i);
void jpath_pop (struct jpath *p, size_t mark);
/* prefix (NULL or "" at the top) + key, as jpath_push_key would render
 * it; a new string. */
char *jpath_join (const char *prefix, const char *key);

/* A string from the input made safe for a one-line message: quoted,
 * '"' and '\' escaped, control characters as \xNN, cut with "..." to fit
 * cap bytes (cap >= 8). */
void jpath_quote (const char *s, char *buf, size_t cap);
/* A whole message whose parts came from the input, as one line for a
 * terminal (a new string): newline and tab as \n and \t, everything else
 * lib/termsafe.h escapes (C0 controls, DEL, C1 controls, bytes that are
 * not UTF-8) as \xNN. */
char *jpath_one_line (const char *s);

/* The one message shape for a value in a JSON file: "NAME: PATH: what"
 * ("NAME: what" when path is NULL or empty), with control characters
 * escaped (jpath_one_line) so it stays one console line whatever the file
 * held.  A new string. */
char *jpath_vmessage (const char *name, const char *path, const char *fmt, va_list ap)
        __attribute__ ((format (printf, 3, 0)));

/* Parse len bytes of text as one JSON value (see above).  name starts
 * every message.  The caller owns *out (json_object_put). */
int jpath_parse (const char *name, const char *text, size_t len, json_object **out,
                 struct keel_error **err);
/* jpath_parse's first try (lib/jsonpath.c, "a direct reader"): 1 with
 * *out set when it took the whole text, 0 when it left it to the others
 * (nothing allocated then).  Public for the tests, which check where it
 * gives up. */
int jpath_parse_direct (const char *text, size_t len, json_object **out);
/* What jpath_parse does and says, the straightforward way: json-c over
 * the text as written, then the scan.  jpath_parse first tries a quicker
 * way (lib/jsonpath.c, "the first try") and falls back to this one
 * whenever it cannot vouch for the result; the unit tests and the fuzz
 * target compare the two. */
int jpath_parse_reference (const char *name, const char *text, size_t len, json_object **out,
                           struct keel_error **err);

#endif
