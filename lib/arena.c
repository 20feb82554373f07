/* See arena.h. */
#include "arena.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Every block is preceded by a 16-byte header holding the size asked for,
 * which keeps blocks 16-byte aligned (what malloc promises on x86-64 and
 * aarch64) and lets realloc copy the right amount. */
#define HDR         16u
#define ALIGN_UP(n) (((n) + 15u) & ~(size_t)15u)

void keel_arena_init (struct keel_arena *a, void *mem, size_t size)
{
	a->base = mem;
	a->size = size & ~(size_t)15u;
	a->used = 0;
	a->dirty = 0;
}

static size_t block_len (size_t n)
{
	return HDR + ALIGN_UP (n);
}

void *keel_arena_alloc (struct keel_arena *a, size_t n)
{
	unsigned char *p;

	/* n near SIZE_MAX must not wrap around in block_len */
	if (n > a->size || block_len (n) > a->size - a->used)
		return NULL;
	p = a->base + a->used;
	memcpy (p, &n, sizeof n);
	a->used += block_len (n);
	if (a->used > a->dirty)
		a->dirty = a->used;
	return p + HDR;
}

void *keel_arena_calloc (struct keel_arena *a, size_t n)
{
	size_t dirty = a->dirty;
	unsigned char *p = keel_arena_alloc (a, n);

	/* Above the high-water mark the memory is as the kernel gave it
	 * (zero); below it, a block taken back may have left bytes. */
	if (p != NULL && (size_t)(p - a->base) < dirty)
		memset (p, 0, n);
	return p;
}

bool keel_arena_owns (const struct keel_arena *a, const void *p)
{
	uintptr_t u = (uintptr_t)p, b = (uintptr_t)a->base;

	return a->base != NULL && u >= b + HDR && u < b + a->size;
}

size_t keel_arena_size_of (const void *p)
{
	size_t n;

	memcpy (&n, (const unsigned char *)p - HDR, sizeof n);
	return n;
}

static bool is_last (const struct keel_arena *a, const unsigned char *p)
{
	return p + ALIGN_UP (keel_arena_size_of (p)) == a->base + a->used;
}

void keel_arena_free (struct keel_arena *a, void *p)
{
	/* Only the most recent block can be taken back without a free list;
	 * that covers the common pattern of a temporary freed right away. */
	if (is_last (a, p))
		a->used = (size_t)((unsigned char *)p - HDR - a->base);
}

void *keel_arena_realloc (struct keel_arena *a, void *p, size_t n)
{
	size_t old = keel_arena_size_of (p);
	unsigned char *q;

	if (is_last (a, p)) {
		size_t start = (size_t)((unsigned char *)p - a->base);

		if (n > a->size || ALIGN_UP (n) > a->size - start)
			return NULL;
		memcpy ((unsigned char *)p - HDR, &n, sizeof n);
		a->used = start + ALIGN_UP (n);
		if (a->used > a->dirty)
			a->dirty = a->used;
		return p;
	}
	if (n <= old) {
		/* Shrinking in place: the tail stays unused until the process
		 * ends, and p cannot become "the most recent block" by it, since
		 * the blocks after it end beyond its old end. */
		memcpy ((unsigned char *)p - HDR, &n, sizeof n);
		return p;
	}
	q = keel_arena_alloc (a, n);
	if (q == NULL)
		return NULL;
	memcpy (q, p, old < n ? old : n);
	return q;
}

#ifdef KEEL_ARENA_WRAP
/* The process-wide arena, in .bss: pages the process never touches cost
 * nothing, PID 1's included.  256 KiB holds a `run` of a typical bundle
 * several times over (docs/performance.md); beyond it musl serves. */
#define ARENA_BYTES (256u * 1024u)

static _Alignas(16) unsigned char arena_mem[ARENA_BYTES];
static struct keel_arena arena;
/* Set when, with the arena on, an allocation went to musl (full arena). */
static bool spilled;

void *__real_malloc (size_t n);
void *__real_calloc (size_t m, size_t n);
void *__real_realloc (void *p, size_t n);
void __real_free (void *p);
void *__wrap_malloc (size_t n);
void *__wrap_calloc (size_t m, size_t n);
void *__wrap_realloc (void *p, size_t n);
void __wrap_free (void *p);
/* musl's own internal names, which some of its functions call directly:
 * duplocale and freelocale, which json-c calls around every parse, and a
 * few others (newlocale, atexit past 32 handlers, posix_spawn's file
 * actions, the TZ string). */
void *__real___libc_malloc (size_t n);
void *__real___libc_calloc (size_t m, size_t n);
void __real___libc_free (void *p);
void *__wrap___libc_malloc (size_t n);
void *__wrap___libc_calloc (size_t m, size_t n);
void __wrap___libc_free (void *p);

void keel_arena_start (void)
{
	if (arena.base == NULL)
		keel_arena_init (&arena, arena_mem, sizeof arena_mem);
}

void keel_arena_prefault (size_t bytes)
{
	/* from the first whole page: madvise wants page-aligned ranges */
	uintptr_t page = (uintptr_t)sysconf (_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)arena_mem + page - 1) & ~(page - 1);
	uintptr_t end = (uintptr_t)arena_mem + (bytes < ARENA_BYTES ? bytes : ARENA_BYTES);

	if (end > start)
		(void)!madvise ((void *)start, end - start, MADV_POPULATE_WRITE);
}

bool keel_arena_available (void)
{
	return true;
}

bool keel_arena_holds_all (void)
{
	return arena.base != NULL && !spilled;
}

void *__wrap_malloc (size_t n)
{
	if (arena.base != NULL) {
		void *p = keel_arena_alloc (&arena, n);
		if (p != NULL)
			return p;
		spilled = true;
	}
	return __real_malloc (n);
}

/* A full arena's calloc is musl's malloc and a clear here, never musl's
 * calloc: that one calls the public malloc (the arena's, were it to fit)
 * and then asks mallocng's metadata whether the block is already zero. */
static void *arena_calloc (size_t m, size_t n, void *(*fallback) (size_t))
{
	void *p = keel_arena_calloc (&arena, m * n);

	if (p == NULL) {
		spilled = true;
		p = fallback (m * n);
		if (p != NULL)
			memset (p, 0, m * n);
	}
	return p;
}

void *__wrap_calloc (size_t m, size_t n)
{
	if (arena.base == NULL || (n != 0 && m > SIZE_MAX / n))
		return __real_calloc (m, n);
	return arena_calloc (m, n, __real_malloc);
}

void *__wrap___libc_malloc (size_t n)
{
	if (arena.base != NULL) {
		void *p = keel_arena_alloc (&arena, n);
		if (p != NULL)
			return p;
		spilled = true;
	}
	return __real___libc_malloc (n);
}

void *__wrap___libc_calloc (size_t m, size_t n)
{
	if (arena.base == NULL || (n != 0 && m > SIZE_MAX / n))
		return __real___libc_calloc (m, n);
	return arena_calloc (m, n, __real___libc_malloc);
}

void __wrap___libc_free (void *p)
{
	if (p == NULL)
		return;
	if (keel_arena_owns (&arena, p))
		keel_arena_free (&arena, p);
	else
		__real___libc_free (p);
}

/* free (NULL) returns at once: json-c frees a NULL field name at every
 * value it parses (json_tokener_reset_level), and musl's free would come
 * back through __wrap___libc_free: four calls for nothing, 14 K
 * instructions of a config.json. */
void __wrap_free (void *p)
{
	if (p == NULL)
		return;
	if (keel_arena_owns (&arena, p))
		keel_arena_free (&arena, p);
	else
		__real_free (p);
}

void *__wrap_realloc (void *p, size_t n)
{
	void *q;

	if (p == NULL)
		return __wrap_malloc (n);
	if (!keel_arena_owns (&arena, p)) {
		/* a block from before the arena was on, now resized by musl */
		if (arena.base != NULL)
			spilled = true;
		return __real_realloc (p, n);
	}
	q = keel_arena_realloc (&arena, p, n);
	if (q != NULL)
		return q;
	/* the arena is full: move the block to musl's heap */
	spilled = true;
	q = __real_malloc (n);
	if (q != NULL) {
		size_t old = keel_arena_size_of (p);

		memcpy (q, p, old < n ? old : n);
		keel_arena_free (&arena, p);
	}
	return q;
}
#else
void keel_arena_start (void)
{
}

void keel_arena_prefault (size_t bytes)
{
	(void)bytes;
}

bool keel_arena_available (void)
{
	return false;
}

bool keel_arena_holds_all (void)
{
	return false;
}
#endif
