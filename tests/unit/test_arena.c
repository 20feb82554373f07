/* lib/arena.h: the bump allocator of the runtime's short-lived commands,
 * on a buffer of the test's own (the process-wide wrappers exist only in
 * the static musl build; integration tests run that one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/arena.h"

static _Alignas(16) unsigned char mem[4096];

static void test_blocks_are_aligned_and_distinct (void **state)
{
	struct keel_arena a;
	unsigned char *p, *q, *z0, *z1;

	(void)state;
	keel_arena_init (&a, mem, sizeof mem);
	p = keel_arena_alloc (&a, 3);
	q = keel_arena_alloc (&a, 17);
	z0 = keel_arena_alloc (&a, 0);
	z1 = keel_arena_alloc (&a, 0);
	assert_non_null (p);
	assert_non_null (q);
	assert_true (((uintptr_t)p % 16) == 0 && ((uintptr_t)q % 16) == 0);
	assert_true (q >= p + 3);
	/* malloc(0) gives distinct pointers too */
	assert_ptr_not_equal (z0, z1);
	assert_int_equal (keel_arena_size_of (q), 17);
	assert_true (keel_arena_owns (&a, p) && keel_arena_owns (&a, z1));
	assert_false (keel_arena_owns (&a, mem + sizeof mem));
	assert_false (keel_arena_owns (&a, &a));
	assert_false (keel_arena_owns (&a, NULL));
}

static void test_free_takes_back_only_the_last_block (void **state)
{
	struct keel_arena a;
	void *p, *q, *r;
	size_t used;

	(void)state;
	keel_arena_init (&a, mem, sizeof mem);
	p = keel_arena_alloc (&a, 40);
	q = keel_arena_alloc (&a, 40);
	used = a.used;
	keel_arena_free (&a, p); /* not the last: stays */
	assert_int_equal (a.used, used);
	keel_arena_free (&a, q); /* the last: taken back */
	r = keel_arena_alloc (&a, 8);
	assert_ptr_equal (r, q);
}

static void test_realloc_moves_or_grows (void **state)
{
	struct keel_arena a;
	char *p, *q, *r;

	(void)state;
	keel_arena_init (&a, mem, sizeof mem);
	p = keel_arena_alloc (&a, 8);
	memcpy (p, "1234567", 8);
	/* the last block grows in place */
	q = keel_arena_realloc (&a, p, 100);
	assert_ptr_equal (q, p);
	assert_string_equal (q, "1234567");
	assert_int_equal (keel_arena_size_of (q), 100);
	r = keel_arena_alloc (&a, 8);
	/* any other moves, with its bytes */
	p = keel_arena_realloc (&a, q, 200);
	assert_ptr_not_equal (p, q);
	assert_true (p > r);
	assert_string_equal (p, "1234567");
	/* shrinking never moves */
	q = keel_arena_realloc (&a, r, 4);
	assert_ptr_equal (q, r);
	assert_int_equal (keel_arena_size_of (q), 4);
}

static void test_full_arena_says_so (void **state)
{
	struct keel_arena a;
	char *p, *q;

	(void)state;
	keel_arena_init (&a, mem, sizeof mem);
	assert_null (keel_arena_alloc (&a, sizeof mem));
	assert_null (keel_arena_alloc (&a, SIZE_MAX));
	assert_null (keel_arena_alloc (&a, SIZE_MAX - 8));
	p = keel_arena_alloc (&a, 1000);
	memcpy (p, "kept", 5);
	q = keel_arena_alloc (&a, 10);
	/* growing the last block past the end fails and leaves it */
	assert_null (keel_arena_realloc (&a, q, sizeof mem));
	assert_int_equal (keel_arena_size_of (q), 10);
	assert_null (keel_arena_realloc (&a, q, SIZE_MAX));
	/* so does moving a block that does not fit */
	assert_null (keel_arena_realloc (&a, p, 4000));
	assert_string_equal (p, "kept");
	/* what is left is still handed out, up to the last byte */
	assert_non_null (keel_arena_alloc (&a, sizeof mem - a.used - 16));
	assert_null (keel_arena_alloc (&a, 0));
}

static void test_calloc_clears_reused_memory (void **state)
{
	struct keel_arena a;
	unsigned char *p, *q;
	size_t i;

	(void)state;
	memset (mem, 0, sizeof mem);
	keel_arena_init (&a, mem, sizeof mem);
	p = keel_arena_alloc (&a, 64);
	memset (p, 0xa5, 64);
	keel_arena_free (&a, p);
	q = keel_arena_calloc (&a, 64);
	assert_ptr_equal (q, p);
	for (i = 0; i < 64; i++)
		assert_int_equal (q[i], 0);
	/* shrunk tail made dirty, then grown in place: calloc still clears */
	memset (q, 0xa5, 64);
	keel_arena_free (&a, q);
	q = keel_arena_calloc (&a, 200);
	for (i = 0; i < 200; i++)
		assert_int_equal (q[i], 0);
}

int main (void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test (test_blocks_are_aligned_and_distinct),
	        cmocka_unit_test (test_free_takes_back_only_the_last_block),
	        cmocka_unit_test (test_realloc_moves_or_grows),
	        cmocka_unit_test (test_full_arena_says_so),
	        cmocka_unit_test (test_calloc_clears_reused_memory),
	};
	return cmocka_run_group_tests (tests, NULL, NULL);
}
