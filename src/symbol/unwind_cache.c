// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/unwind_cache.h"
#include "util/file_limits.h"
#include "util/util.h"

/*
 * Bump when unwind_table.c makes other rows from the same binary, or the
 * layout below changes.  (Our own build-id is in the key too; the version
 * keeps a rebuilt but unchanged profiler from reading an older layout.)
 */
#define UCACHE_VERSION	2
#define UCACHE_MAGIC	"PRFUNW\0\0"
#define UCACHE_PREFIX	"unw-"
#define UCACHE_REC_MAGIC	"PRFREC\0\0"
#define UCACHE_REC_PREFIX	"rec-"
#define UCACHE_MAX_SEGS	256

struct ucache_hdr {
	char magic[8];
	uint32_t version, hdr_size, row_size, seg_size;
	uint32_t key_len, flags;	/* flags: UCACHE_TOO_MANY */
	uint8_t key[UNWIND_CACHE_KEY_MAX];
	uint64_t nrows, nsegs;
	uint64_t sum;			/* of everything after the header */
	uint64_t resume_pc;		/* a table cut by the clock: where to go on */
};

#define UCACHE_TOO_MANY	1u

/* rows are used where they lie in a mapped file, just past the header */
_Static_assert(sizeof(struct ucache_hdr) % _Alignof(struct unwind_row) == 0,
	       "the rows after the header are aligned");

/* An ELF segment as stored: struct elf_seg without its padding */
struct ucache_seg {
	uint64_t offset, vaddr, filesz, exec;
};

struct unwind_cache {
	int dir_fd;
	uint64_t self;		/* our own build-id, hashed */
	/*
	 * The cache's bytes at our last look, plus what we stored since: the
	 * directory is looked through again only when that passes the limit,
	 * not at every store (2,000 files took 2-3 ms to look through, at each
	 * of a first run's many new binaries).  Another process's stores are
	 * seen at our next look: the cache may pass its limit by those.
	 */
	uint64_t bytes;
	bool looked;
};

/* Eight bytes at a time: a compiler's table is some 10 MiB */
static uint64_t sum_words(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = hash_u64(len), w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, b + i, 8);
		h = hash_u64(h ^ w) + i;
	}
	return hash_bytes(b + i, len - i, h);
}

static bool rows_valid(const struct unwind_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* the BPF side binary-searches them: strictly in order */
		if (i && rows[i].pc <= rows[i - 1].pc)
			return false;
		if (rows[i].cfa > UNW_GO_CGO)
			return false;
	}
	return true;
}

/* A table whose rows are not ours (borrowed) goes without them. */
static void drop(struct unwind_table *t, bool borrowed)
{
	if (borrowed)
		t->rows = NULL;
	unwind_table_free(t);
}

/*
 * The table in a cache file's bytes; borrowed: its rows are those bytes
 * (the file's mapping), not a copy: a cache hit then costs no fresh
 * memory for rows that go on to the kernel's map and are dropped.
 */
static struct unwind_table *parse(const void *buf, size_t size, const uint8_t *key,
				  size_t key_len, bool borrowed)
{
	const unsigned char *b = buf;
	const struct ucache_seg *ss;
	struct ucache_hdr h;
	struct unwind_table *t;
	size_t rows_len, segs_len;

	errno = EINVAL;
	if (size < sizeof(h))
		return NULL;
	memcpy(&h, b, sizeof(h));
	if (memcmp(h.magic, UCACHE_MAGIC, sizeof(h.magic)) || h.hdr_size != sizeof(h) ||
	    h.row_size != sizeof(struct unwind_row) || h.seg_size != sizeof(struct ucache_seg))
		return NULL;
	if (h.version != UCACHE_VERSION || h.key_len != key_len || key_len > sizeof(h.key) ||
	    memcmp(h.key, key, key_len)) {
		errno = ESTALE;
		return NULL;
	}
	if (!h.nrows || h.nrows > LIMIT_UNWIND_ROWS || !h.nsegs || h.nsegs > UCACHE_MAX_SEGS ||
	    (h.flags & ~UCACHE_TOO_MANY))
		return NULL;
	rows_len = h.nrows * sizeof(struct unwind_row);
	segs_len = h.nsegs * sizeof(*ss);
	if (size != sizeof(h) + rows_len + segs_len ||
	    sum_words(b + sizeof(h), size - sizeof(h)) != h.sum)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->n = h.nrows;
	if (borrowed) {
		/* aligned: the header's size is a multiple of its 8-byte fields' */
		t->rows = (struct unwind_row *)(b + sizeof(h));
	} else {
		t->cap = h.nrows;
		t->rows = xmalloc(rows_len);
		memcpy(t->rows, b + sizeof(h), rows_len);
	}
	t->nsegs = h.nsegs;
	t->segs = xcalloc(h.nsegs, sizeof(*t->segs));
	ss = (const void *)(b + sizeof(h) + rows_len);
	for (size_t i = 0; i < h.nsegs; i++) {
		struct ucache_seg s;

		memcpy(&s, &ss[i], sizeof(s));
		if (s.exec > 1 || s.offset + s.filesz < s.offset || s.vaddr + s.filesz < s.vaddr) {
			drop(t, borrowed);
			return NULL;
		}
		t->segs[i] = (struct elf_seg){ s.offset, s.vaddr, s.filesz, s.exec };
	}
	if (!rows_valid(t->rows, t->n)) {
		drop(t, borrowed);
		return NULL;
	}
	t->too_many_rows = h.flags & UCACHE_TOO_MANY;
	/* cut by the clock: its last row, with no rule, is where it goes on */
	if (h.resume_pc && (h.resume_pc != t->rows[t->n - 1].pc ||
			    t->rows[t->n - 1].cfa != UNW_UNKNOWN || t->too_many_rows)) {
		drop(t, borrowed);
		errno = EINVAL;
		return NULL;
	}
	t->resume_pc = h.resume_pc;
	t->too_slow = h.resume_pc != 0;
	errno = 0;
	return t;
}

struct unwind_table *unwind_cache_parse(const void *buf, size_t size, const uint8_t *key,
					size_t key_len)
{
	return parse(buf, size, key, key_len, false);
}

struct unwind_table *unwind_cache_parse_map(void *map, size_t size, const uint8_t *key,
					    size_t key_len)
{
	struct unwind_table *t = parse(map, size, key, key_len, true);

	if (t) {
		t->map = map;
		t->map_size = size;
	}
	return t;
}

int unwind_cache_encode(const struct unwind_table *t, const uint8_t *key, size_t key_len,
			void **bufp, size_t *sizep)
{
	struct ucache_hdr h = { .version = UCACHE_VERSION, .hdr_size = sizeof(h),
				.row_size = sizeof(struct unwind_row),
				.seg_size = sizeof(struct ucache_seg) };
	size_t rows_len = t->n * sizeof(struct unwind_row), size;
	struct ucache_seg *ss;
	unsigned char *b;

	if (key_len > sizeof(h.key) || !t->n || t->n > LIMIT_UNWIND_ROWS || !t->nsegs ||
	    t->nsegs > UCACHE_MAX_SEGS)
		return -EINVAL;
	memcpy(h.magic, UCACHE_MAGIC, sizeof(h.magic));
	h.key_len = key_len;
	memcpy(h.key, key, key_len);
	h.nrows = t->n;
	h.nsegs = t->nsegs;
	h.flags = t->too_many_rows ? UCACHE_TOO_MANY : 0;
	h.resume_pc = t->resume_pc;
	size = sizeof(h) + rows_len + t->nsegs * sizeof(*ss);
	b = xcalloc(1, size);
	memcpy(b + sizeof(h), t->rows, rows_len);
	ss = (void *)(b + sizeof(h) + rows_len);
	for (size_t i = 0; i < t->nsegs; i++)
		ss[i] = (struct ucache_seg){ t->segs[i].offset, t->segs[i].vaddr,
					     t->segs[i].filesz, t->segs[i].exec };
	h.sum = sum_words(b + sizeof(h), size - sizeof(h));
	memcpy(b, &h, sizeof(h));
	*bufp = b;
	*sizep = size;
	return 0;
}

void unwind_cache_seal(void *buf, size_t size)
{
	struct ucache_hdr h;

	if (size < sizeof(h))
		return;
	memcpy(&h, buf, sizeof(h));
	h.sum = sum_words((char *)buf + sizeof(h), size - sizeof(h));
	memcpy(buf, &h, sizeof(h));
}

/* A directory, or a file in one, that only we may change */
static bool ours(int fd, bool dir)
{
	struct stat st;

	return !fstat(fd, &st) && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) &&
	       st.st_uid == geteuid() && !(st.st_mode & 022);
}

/* Each component under an existing base made (0700) if missing, none
 * followed if a symlink, the last one checked: its fd, or -1. */
static int open_dir(const char *base, const char *sub)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", base, sub) >= (int)sizeof(path))
		return -1;
	for (char *p = path + strlen(base) + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0700) && errno != EEXIST)
				return -1;
			*p = c;
			if (!c)
				break;
		}
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !ours(fd, true)) {
		pr_debug("%s is not root's alone: no unwind tables are kept there", path);
		close(fd);
		fd = -1;
	}
	return fd;
}

static int cache_dir_fd(void)
{
	const char *env = getenv("PROFILER_CACHE_DIR"), *home;

	if (env && *env)
		return open_dir(env, "unwind");
	if (geteuid() == 0)
		return open_dir("/var/cache", "profiler/unwind");
	env = getenv("XDG_CACHE_HOME");
	if (env && *env == '/')
		return open_dir(env, "profiler/unwind");
	home = getenv("HOME");
	return home && *home == '/' ? open_dir(home, ".cache/profiler/unwind") : -1;
}

/* The GNU build-id of the ELF file at fd, at most max bytes: its length or 0 */
static size_t build_id(int fd, uint8_t *id, size_t max)
{
	Elf *elf;
	const void *p;
	ssize_t n;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return 0;
	n = dwelf_elf_gnu_build_id(elf, &p);
	if (n < 8 || (size_t)n > max)
		n = 0;
	else
		memcpy(id, p, n);
	elf_end(elf);
	return n;
}

struct unwind_cache *unwind_cache_open(void)
{
	uint8_t id[UNWIND_CACHE_KEY_MAX];
	struct unwind_cache *c;
	size_t n;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	n = fd >= 0 ? build_id(fd, id, sizeof(id)) : 0;
	if (fd >= 0)
		close(fd);
	if (!n)
		return NULL;
	fd = cache_dir_fd();
	if (fd < 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->dir_fd = fd;
	c->self = hash_bytes(id, n, UCACHE_VERSION);
	return c;
}

void unwind_cache_close(struct unwind_cache *c)
{
	if (!c)
		return;
	close(c->dir_fd);
	free(c);
}

/* The file name in the cache if it is ours alone and holds at most max
 * bytes: its fd (its size in *size), else -1 */
static int open_ours(struct unwind_cache *c, const char *name, uint64_t max, size_t *size)
{
	struct stat st;
	int fd = openat(c->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (!ours(fd, false) || fstat(fd, &st) || st.st_size <= 0 || (uint64_t)st.st_size > max) {
		pr_debug("unwind cache file %s not used: not ours alone, or too big", name);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

static struct unwind_table *load(struct unwind_cache *c, const char *name, const uint8_t *key,
				 size_t key_len)
{
	struct unwind_table *t = NULL;
	size_t size;
	void *map;
	int fd = open_ours(c, name, sizeof(struct ucache_hdr) +
			   (uint64_t)LIMIT_UNWIND_ROWS * sizeof(struct unwind_row) +
			   UCACHE_MAX_SEGS * sizeof(struct ucache_seg), &size);

	if (fd < 0)
		return NULL;
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map != MAP_FAILED && !(t = unwind_cache_parse_map(map, size, key, key_len)))
		munmap(map, size);
	/* used: the last to go when the cache is pruned */
	if (t)
		futimens(fd, NULL);
	else
		pr_debug("unwind cache file %s not used: %s", name, strerror(errno));
	close(fd);
	return t;
}

struct old_file {
	char name[NAME_MAX + 1];
	int64_t mtime;
	uint64_t size;
};

static int by_mtime(const void *a, const void *b)
{
	const struct old_file *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/* Keep the cache under its limit: the least recently used files go;
 * c->bytes is what is left. */
static void prune(struct unwind_cache *c)
{
	int fd = dup(c->dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct old_file *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if ((strncmp(e->d_name, UCACHE_PREFIX, strlen(UCACHE_PREFIX)) &&
		     strncmp(e->d_name, UCACHE_REC_PREFIX, strlen(UCACHE_REC_PREFIX))) ||
		    fstatat(c->dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		GROW(v, cap, n + 1);
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n].mtime = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		v[n].size = st.st_size;
		total += st.st_size;
		n++;
	}
	closedir(d);
	if (total > UNWIND_CACHE_MAX_BYTES) {
		qsort(v, n, sizeof(*v), by_mtime);
		/* down to three quarters, so it is not pruned at every store */
		for (size_t i = 0; i < n && total > UNWIND_CACHE_MAX_BYTES / 4 * 3; i++)
			if (!unlinkat(c->dir_fd, v[i].name, 0))
				total -= v[i].size;
	}
	free(v);
	c->bytes = total;
	c->looked = true;
}

/* buf (freed here) as the file name, whole or not at all */
static void store(struct unwind_cache *c, const char *name, void *buf, size_t size)
{
	char tmp[NAME_MAX + 32];
	size_t done = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	fd = openat(c->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	while (fd >= 0 && done < size) {
		ssize_t w = write(fd, (char *)buf + done, size - done);

		if (w <= 0)
			break;
		done += w;
	}
	free(buf);
	if (fd < 0)
		return;
	/* whole or not at all: a reader sees the old name or the new file */
	if (close(fd) || done < size || renameat(c->dir_fd, tmp, c->dir_fd, name)) {
		unlinkat(c->dir_fd, tmp, 0);
		return;
	}
	c->bytes += size;
	if (!c->looked || c->bytes > UNWIND_CACHE_MAX_BYTES)
		prune(c);
}

/*
 * The key of the file at fd: its GNU build-id, or for a file without one
 * (Go's own toolchain) its identity and last change as the kernel keeps
 * them (device, inode, size, mtime, ctime: no write leaves ctime as it
 * was).  Its length, or 0.
 */
static size_t file_key(int fd, uint8_t *key, size_t max)
{
	size_t n = build_id(fd, key, max);
	struct stat st;
	uint64_t v[5];

	if (n || fstat(fd, &st) || sizeof(v) > max)
		return n;
	v[0] = st.st_dev;
	v[1] = st.st_ino;
	v[2] = st.st_size;
	v[3] = st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	v[4] = st.st_ctim.tv_sec * 1000000000ULL + st.st_ctim.tv_nsec;
	memcpy(key, v, sizeof(v));
	return sizeof(v);
}

/*
 * The key of the file at fd with salt (ours: our build-id, and what kind
 * of thing is kept) after it, into key; its name in the cache (prefix,
 * then the key in hex) into name.  The key's length, or 0.
 */
static size_t key_name(struct unwind_cache *c, int fd, const char *prefix, uint64_t salt,
		       uint8_t key[UNWIND_CACHE_KEY_MAX], char name[NAME_MAX + 1])
{
	size_t n = c ? file_key(fd, key, UNWIND_CACHE_KEY_MAX - sizeof(salt)) : 0, k;

	if (!n)
		return 0;
	memcpy(key + n, &salt, sizeof(salt));
	k = snprintf(name, NAME_MAX + 1, "%s", prefix);
	for (size_t i = 0; i < n; i++)
		k += snprintf(name + k, NAME_MAX + 1 - k, "%02x", key[i]);
	snprintf(name + k, NAME_MAX + 1 - k, "-%016llx", (unsigned long long)salt);
	return n + sizeof(salt);
}

struct unwind_table *unwind_cache_table(struct unwind_cache *c, int fd, uint64_t max_ms, bool *hit)
{
	uint8_t key[UNWIND_CACHE_KEY_MAX];
	char name[NAME_MAX + 1];
	struct unwind_table *t;
	uint64_t resume;
	size_t n, size;
	void *buf;
	int err;

	*hit = false;
	n = key_name(c, fd, UCACHE_PREFIX, c ? c->self : 0, key, name);
	if (!n)
		return unwind_table_from_fd_max(fd, max_ms);
	t = load(c, name, key, n);
	if (t && !t->resume_pc) {
		*hit = true;
		return t;
	}
	/* a table cut by the clock in an earlier run is made further, so a
	 * big binary's table is whole after a few runs even under load */
	resume = t ? t->resume_pc : 0;
	t = t ? unwind_table_resume(fd, t, max_ms) : unwind_table_from_fd_max(fd, max_ms);
	err = errno;
	if (t && (!t->too_slow || (t->resume_pc && t->resume_pc != resume)) &&
	    !unwind_cache_encode(t, key, n, &buf, &size))
		store(c, name, buf, size);
	errno = err;
	return t;
}

/* ---- small records ---- */

/* A record file: the tables' header (row_size the record's size, one
 * row, no segments), then the record */
static uint64_t rec_salt(const struct unwind_cache *c, const char *kind)
{
	return hash_bytes(kind, strlen(kind), c->self);
}

int unwind_cache_get(struct unwind_cache *c, const char *kind, int fd, void *rec, size_t size)
{
	uint8_t key[UNWIND_CACHE_KEY_MAX], b[sizeof(struct ucache_hdr) + UNWIND_CACHE_REC_MAX];
	char name[NAME_MAX + 1];
	size_t n, have;
	int err = -ENOENT, f;

	n = c && size <= UNWIND_CACHE_REC_MAX ?
	    key_name(c, fd, UCACHE_REC_PREFIX, rec_salt(c, kind), key, name) : 0;
	if (!n || (f = open_ours(c, name, sizeof(struct ucache_hdr) + size, &have)) < 0)
		return -ENOENT;
	if (have == sizeof(struct ucache_hdr) + size && pread(f, b, have, 0) == (ssize_t)have &&
	    !unwind_cache_parse_rec(b, have, key, n, rec, size)) {
		futimens(f, NULL);
		err = 0;
	}
	close(f);
	return err;
}

void unwind_cache_put(struct unwind_cache *c, const char *kind, int fd, const void *rec,
		      size_t size)
{
	uint8_t key[UNWIND_CACHE_KEY_MAX];
	char name[NAME_MAX + 1];
	size_t n, len;
	void *buf;

	n = c ? key_name(c, fd, UCACHE_REC_PREFIX, rec_salt(c, kind), key, name) : 0;
	if (n && !unwind_cache_encode_rec(rec, size, key, n, &buf, &len))
		store(c, name, buf, len);
}

int unwind_cache_parse_rec(const void *buf, size_t size, const uint8_t *key, size_t key_len,
			   void *rec, size_t rec_size)
{
	struct ucache_hdr h;

	if (size != sizeof(h) + rec_size)
		return -EINVAL;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, UCACHE_REC_MAGIC, sizeof(h.magic)) || h.hdr_size != sizeof(h) ||
	    h.row_size != rec_size || h.seg_size || h.nrows != 1 || h.nsegs || h.flags ||
	    h.version != UCACHE_VERSION)
		return -EINVAL;
	if (h.key_len != key_len || key_len > sizeof(h.key) || memcmp(h.key, key, key_len))
		return -ESTALE;
	if (sum_words((const char *)buf + sizeof(h), rec_size) != h.sum)
		return -EINVAL;
	memcpy(rec, (const char *)buf + sizeof(h), rec_size);
	return 0;
}

int unwind_cache_encode_rec(const void *rec, size_t rec_size, const uint8_t *key, size_t key_len,
			    void **bufp, size_t *sizep)
{
	struct ucache_hdr h = { .version = UCACHE_VERSION, .hdr_size = sizeof(h),
				.row_size = rec_size, .key_len = key_len, .nrows = 1 };
	unsigned char *b;

	if (key_len > sizeof(h.key) || !rec_size || rec_size > UNWIND_CACHE_REC_MAX)
		return -EINVAL;
	memcpy(h.magic, UCACHE_REC_MAGIC, sizeof(h.magic));
	memcpy(h.key, key, key_len);
	h.sum = sum_words(rec, rec_size);
	b = xmalloc(sizeof(h) + rec_size);
	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), rec, rec_size);
	*bufp = b;
	*sizep = sizeof(h) + rec_size;
	return 0;
}
