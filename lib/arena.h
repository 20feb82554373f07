/* A bump allocator for the runtime's short-lived commands.
 *
 * musl's mallocng spreads a process's allocations over one group of slots
 * per size class, each group its own mmap'd pages, and returns emptied
 * groups with munmap: a `run` paid ~200 K instructions in malloc and free,
 * 16 mmap and 11 munmap (docs/performance.md, "The fourth pass").  The
 * runtime's create/start/run/exec/delete/state/kill live for milliseconds
 * and allocate little, so they allocate from one arena instead: consecutive
 * blocks in a static buffer, free a no-op except for the most recent block
 * (which is taken back), realloc in place for the most recent block and by
 * copy otherwise.  When the arena is full, or for any other process (PID 1,
 * keelctl, the long-lived runtime commands), musl's malloc serves as before:
 * memory stays bounded by the arena's size.
 *
 * The static build routes every malloc/calloc/realloc/free of the link
 * (keel, json-c, libmount, musl's own callers), and musl's internal
 * __libc_malloc/__libc_calloc/__libc_free (its locale functions, which
 * json-c calls on every parse), through lib/arena.c with the linker's
 * --wrap (KEEL_ARENA_WRAP, Makefile).  The dev and asan builds
 * (glibc) have no wrappers: keel_arena_start is a no-op there, so ASan and
 * valgrind see the C library's allocator. */
#ifndef KEEL_ARENA_H
#define KEEL_ARENA_H

#include <stdbool.h>
#include <stddef.h>

struct keel_arena {
	unsigned char *base;
	size_t size;
	size_t used;  /* bytes handed out, headers included */
	size_t dirty; /* high-water mark: bytes above it were never handed out */
};

/* Allocate from the arena over mem[0, size) (16-byte aligned). */
void keel_arena_init (struct keel_arena *a, void *mem, size_t size);
/* n bytes, 16-byte aligned; NULL when they do not fit. */
void *keel_arena_alloc (struct keel_arena *a, size_t n);
/* n zeroed bytes: only memory handed out before is cleared. */
void *keel_arena_calloc (struct keel_arena *a, size_t n);
bool keel_arena_owns (const struct keel_arena *a, const void *p);
/* The size asked for when p was allocated (p owned by a). */
size_t keel_arena_size_of (const void *p);
/* Takes p back only if it is the most recent block. */
void keel_arena_free (struct keel_arena *a, void *p);
/* Resize p (owned by a): in place for the most recent block, else a new
 * block and a copy; NULL (p untouched) when the arena cannot hold n. */
void *keel_arena_realloc (struct keel_arena *a, void *p, size_t n);

/* From now on this process allocates from the process-wide arena (static
 * build only; a no-op where the build has no wrappers).  Call once, early,
 * only in processes that exit soon: memory freed out of order is not
 * reused until the process ends. */
void keel_arena_start (void);
/* Fault in the arena's first `bytes` in one call (MADV_POPULATE_WRITE,
 * Linux 5.14; nothing where the kernel or the build lacks it), for a
 * command known to use that much: one system call instead of a page
 * fault per page. */
void keel_arena_prefault (size_t bytes);
/* Whether this build routes malloc through the arena at all. */
bool keel_arena_available (void);
/* Whether the arena is on and has served every allocation since
 * keel_arena_start (none went to musl because it was full).  Then freeing
 * what was allocated since gives nothing back (free takes back only the
 * most recent block) and may be skipped: runtime/spec-load.c drops the
 * parsed config.json tree so. */
bool keel_arena_holds_all (void);

#endif
