/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unwind tables kept on disk, keyed by the binary's GNU build-id (for a
 * file without one, its device, inode, size, mtime and ctime) and by the
 * profiler's own build-id (a build that makes rows differently never
 * reads another's): a compiler's table costs about a second of CPU to make
 * (0.8 us a row) and a few milliseconds to read back, and the same
 * binaries come back run after run and at every agent renewal.
 *
 * Where: $PROFILER_CACHE_DIR/unwind, else /var/cache/profiler/unwind for
 * root (tables outlive a boot: the build-id says when they are stale),
 * else $XDG_CACHE_HOME/profiler/unwind or ~/.cache/profiler/unwind.  The
 * directory and each file must be ours and writable by nobody else, or
 * they are not used; a file is trusted only whole (sizes, key, checksum,
 * rows in order).  At most UNWIND_CACHE_MAX_BYTES, the least recently
 * used files going first.
 */
#ifndef PROFILER_UNWIND_CACHE_H
#define PROFILER_UNWIND_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbol/unwind_table.h"

#define UNWIND_CACHE_MAX_BYTES	(256ULL << 20)
#define UNWIND_CACHE_KEY_MAX	64	/* bytes: a build-id and a hash of ours */

struct unwind_cache;

/* The cache, or NULL (no usable directory, no build-id of our own). */
struct unwind_cache *unwind_cache_open(void);
void unwind_cache_close(struct unwind_cache *c);
/*
 * The table of the ELF file open at fd (not closed): from the cache when
 * it holds one for the file's key, else made (unwind_table_from_fd_max,
 * within max_ms) and stored unless the clock cut it.  *hit says which.
 * c may be NULL: then only made.
 */
struct unwind_table *unwind_cache_table(struct unwind_cache *c, int fd, uint64_t max_ms, bool *hit);

/*
 * Small records beside the tables, kept by the same rules: what kind
 * ("python": an interpreter's layout) says of the ELF file at fd, worked
 * out once per binary (its build-id) rather than once per run.  get: 0
 * with the record kept for the file into rec (exactly size bytes), or
 * -ENOENT.  c may be NULL (then nothing is kept).
 */
#define UNWIND_CACHE_REC_MAX	1024
int unwind_cache_get(struct unwind_cache *c, const char *kind, int fd, void *rec, size_t size);
void unwind_cache_put(struct unwind_cache *c, const char *kind, int fd, const void *rec,
		      size_t size);
/* Their format: 0, -EINVAL (not whole) or -ESTALE (another key) */
int unwind_cache_parse_rec(const void *buf, size_t size, const uint8_t *key, size_t key_len,
			   void *rec, size_t rec_size);
int unwind_cache_encode_rec(const void *rec, size_t rec_size, const uint8_t *key, size_t key_len,
			    void **buf, size_t *size);

/* The file format, for tests and fuzzing: a table from a cache file's
 * bytes if they hold one for key, else NULL (errno EINVAL or ESTALE). */
struct unwind_table *unwind_cache_parse(const void *buf, size_t size, const uint8_t *key,
					size_t key_len);
/* The same from a cache file's mapping (mmap, PROT_READ), which the table
 * then owns: its rows are the file's, unmapped with it (not on NULL). */
struct unwind_table *unwind_cache_parse_map(void *map, size_t size, const uint8_t *key,
					    size_t key_len);
/* The bytes of a cache file for t under key (malloc'd): 0 or -errno. */
int unwind_cache_encode(const struct unwind_table *t, const uint8_t *key, size_t key_len,
			void **buf, size_t *size);
/* Give edited file bytes their checksum again (tests and fuzzing reach
 * the checks behind it so). */
void unwind_cache_seal(void *buf, size_t size);

#endif /* PROFILER_UNWIND_CACHE_H */
