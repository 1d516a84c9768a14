// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

/* Set once from the command line before anything runs. */
static int verbose;

void set_verbose(int level)
{
	verbose = level;
}

int verbose_level(void)
{
	return verbose;
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "profiler: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

static void oom(size_t size)
{
	fprintf(stderr, "profiler: out of memory allocating %zu bytes\n", size);
	exit(1);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom(size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom(strlen(s));
	return d;
}

void grow_array_raw(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;

	if (need <= *cap)
		return;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	*p = xrealloc(*p, ncap * size);
	*cap = ncap;
}

void grow_array(void **p, size_t *cap, size_t need, size_t size)
{
	size_t old = *cap;

	grow_array_raw(p, cap, need, size);
	/* nothing grown: *p may still be NULL, and NULL + 0 is undefined */
	if (*cap > old)
		memset((char *)*p + old * size, 0, (*cap - old) * size);
}

void pids_add_once(uint32_t **v, size_t *n, size_t *cap, uint32_t pid)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == pid)
			return;
	GROW(*v, *cap, *n + 1);
	(*v)[(*n)++] = pid;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end == 's')
		end++;
	if (*end || errno || !isfinite(v))
		return -EINVAL;
	if (v <= 0)
		return -ERANGE;
	*out = v;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int parse_int_list(const char *s, int limit, int **out, int *n)
{
	int *v = NULL, cnt = 0, i, j;
	size_t cap = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto bad;
		a = strtol(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				goto bad;
			b = strtol(p, &end, 10);
		}
		if (b < a || b >= limit) {
			free(v);
			return -ERANGE;
		}
		for (long x = a; x <= b; x++) {
			GROW(v, cap, (size_t)cnt + 1);
			v[cnt++] = (int)x;
		}
		p = end;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	qsort(v, cnt, sizeof(*v), cmp_int);
	for (i = 0, j = 0; i < cnt; i++)
		if (j == 0 || v[j - 1] != v[i])
			v[j++] = v[i];
	*out = v;
	*n = j;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t cpu_ns_if(bool on)
{
	return on ? cpu_now_ns() : 0;
}

uint64_t part_start(struct part_clock *c, bool on)
{
	return on && c->calls++ % PART_EVERY == 0 ? cpu_now_ns() : 0;
}

void part_stop(struct part_clock *c, uint64_t t0)
{
	part_stop_less(c, t0, 0);
}

void part_stop_less(struct part_clock *c, uint64_t t0, uint64_t less)
{
	uint64_t ns = t0 ? cpu_now_ns() - t0 : 0;

	if (ns > less)
		c->ns += (ns - less) * PART_EVERY;
}

uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	/* FNV-1a, then a finaliser to spread the low bits */
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return hash_u64(h);
}

char *read_fd(int fd, size_t max, size_t *lenp, bool *cut)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);

	if (cut)
		*cut = false;
	for (;;) {
		size_t want;
		ssize_t r;

		if (cap - len < 2) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		want = cap - len - 1;
		if (len == max) {
			char c;

			/* one byte more says whether the file went on */
			r = read(fd, &c, 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0 && cut)
				*cut = true;
			break;
		}
		if (want > max - len)
			want = max - len;
		r = read(fd, buf + len, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;

			free(buf);
			errno = err;
			return NULL;
		}
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

bool read_line(const char *path, char *buf, size_t size)
{
	char *text = read_file(path, NULL);

	if (!text)
		return false;
	text[strcspn(text, "\n")] = '\0';
	snprintf(buf, size, "%s", text);
	free(text);
	return true;
}

bool boot_id(char *buf, size_t size)
{
	return read_line("/proc/sys/kernel/random/boot_id", buf, size);
}

char *read_file(const char *path, size_t *lenp)
{
	char *buf;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = read_fd(fd, SIZE_MAX, lenp, NULL);
	err = errno;
	close(fd);
	errno = err;
	return buf;
}

uint32_t proc_tgid(uint32_t tid)
{
	char path[64], *text, *p;
	uint32_t tgid = 0;

	snprintf(path, sizeof(path), "/proc/%u/status", tid);
	text = read_file(path, NULL);
	if (text && (p = strstr(text, "\nTgid:")))
		tgid = strtoul(p + 6, NULL, 10);
	free(text);
	return tgid;
}

const char *fmt_count(char *buf, size_t size, uint64_t n)
{
	char tmp[32];
	int len, i, o = 0;

	len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
	for (i = 0; i < len && o < (int)size - 1; i++) {
		if (i && (len - i) % 3 == 0 && o < (int)size - 2)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *fmt_value(char *buf, size_t size, const char *unit, double v)
{
	if (!strcmp(unit, "nanoseconds")) {
		if (v >= 1e9)
			snprintf(buf, size, "%.2f s", v / 1e9);
		else if (v >= 1e6)
			snprintf(buf, size, "%.2f ms", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, size, "%.1f us", v / 1e3);
		else
			snprintf(buf, size, "%.0f ns", v);
	} else if (!strcmp(unit, "bytes")) {
		if (v >= 1024.0 * 1024 * 1024)
			snprintf(buf, size, "%.1f GiB", v / (1024.0 * 1024 * 1024));
		else if (v >= 1024.0 * 1024)
			snprintf(buf, size, "%.1f MiB", v / (1024.0 * 1024));
		else if (v >= 1024.0)
			snprintf(buf, size, "%.1f KiB", v / 1024.0);
		else
			snprintf(buf, size, "%.0f B", v);
	} else {
		fmt_count(buf, size, v < 0 ? 0 : (uint64_t)(v + 0.5));
	}
	return buf;
}

void *map_shared_rw(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

void unmap_shared(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

char *command_path(const char *cmd)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(cmd, '/'))
		return xstrdup(cmd);
	/* execvp's own default when PATH is unset */
	if (!path || !*path)
		path = "/bin:/usr/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		struct stat st;

		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".", cmd) <
		    (int)sizeof(buf) && !stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
			return xstrdup(buf);
		path += len + (path[len] == ':');
	}
	return NULL;
}

bool env_on(const char *name)
{
	const char *env = getenv(name);

	return env && *env && strcmp(env, "0");
}
