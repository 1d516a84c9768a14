// SPDX-License-Identifier: GPL-2.0
/*
 * Folded stacks, the input of flamegraph.pl: one line per unique stack,
 * "comm;root;...;leaf VALUE", user frames then kernel frames, kernel
 * frames suffixed "_[k]" as stackcollapse-perf.pl --all writes them,
 * inlined ones "_[i]" as its --inline does; with --lines each frame ends
 * " [file.c:LINE]".  A differential profile gets two columns,
 * "stack BASE NEW", as difffolded.pl writes them (0 where a stack is
 * absent on one side).  --group-by puts the cgroup path above the
 * process name ("/system.slice/x.service;comm;...", the path's leading
 * '/' tells readers it is one), or writes "comm-PID" as
 * stackcollapse-perf.pl --pid does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"
#include "util/idxmap.h"
#include "util/util.h"

/*
 * Lines are not made as text per sample: under churn a profile has one
 * sample per process and stack (200,000 at 2 minutes), and their texts
 * were the largest thing alive while writing.  Each sample becomes a
 * sequence of segment ids (the root, then each frame's text, interned
 * once), samples with the same sequence add up, and only the distinct
 * sequences are sorted, comparing their texts as they would be printed.
 */
struct segs {
	char *text;		/* every segment, '\0' after each */
	size_t len, cap;
	uint32_t *off;		/* segment id -> offset in text */
	size_t n, off_cap;
	struct idxmap index;
};

struct seg_key {
	const struct segs *sg;
	const char *s;
};

static bool seg_eq(const void *ctx, uint32_t idx)
{
	const struct seg_key *k = ctx;

	return !strcmp(k->sg->text + k->sg->off[idx], k->s);
}

static uint32_t seg_intern(struct segs *sg, const char *s, size_t len)
{
	struct seg_key k = { sg, s };
	uint64_t h = hash_bytes(s, len, 0);
	int64_t i = idxmap_find(&sg->index, h, seg_eq, &k);

	if (i >= 0)
		return i;
	GROW(sg->text, sg->cap, sg->len + len + 1);
	memcpy(sg->text + sg->len, s, len + 1);
	GROW(sg->off, sg->off_cap, sg->n + 1);
	sg->off[sg->n] = sg->len;
	sg->len += len + 1;
	idxmap_insert(&sg->index, h, sg->n);
	return sg->n++;
}

static const char *seg_text(const struct segs *sg, uint32_t id)
{
	return sg->text + sg->off[id];
}

/* A text being built: one buffer reused for every segment. */
struct sbuf {
	char *b;
	size_t len, cap;
};

static void sb_putc(struct sbuf *sb, char c)
{
	GROW(sb->b, sb->cap, sb->len + 2);
	sb->b[sb->len++] = c;
	sb->b[sb->len] = '\0';
}

static void sb_reset(struct sbuf *sb)
{
	GROW(sb->b, sb->cap, 1);
	sb->len = 0;
	sb->b[0] = '\0';
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	while (*s)
		sb_putc(sb, *s++);
}

/* A root frame's text as folded lines keep it: no spaces, no ';'. */
static void put_root(struct sbuf *sb, const char *name)
{
	for (const char *c = name; *c; c++)
		sb_putc(sb, *c == ' ' ? '_' : *c == ';' ? ':' : *c);
}

/* A frame's text: as fput_frame writes its name, then lines and kind. */
static void put_frame(struct sbuf *sb, const struct location *l)
{
	char num[16];

	for (const char *c = l->name; *c; c++)
		sb_putc(sb, *c == ';' ? ':' : *c == '\n' || *c == '\r' ? ' ' : *c);
	if (l->file && l->kind != FRAME_PYTHON) {	/* --lines: "name [file.c:42]" */
		const char *base = strrchr(l->file, '/');

		sb_puts(sb, " [");
		sb_puts(sb, base ? base + 1 : l->file);
		snprintf(num, sizeof(num), ":%u]", l->line);
		sb_puts(sb, num);
	}
	if (l->kind == FRAME_KERNEL)
		sb_puts(sb, "_[k]");
	else if (l->kind == FRAME_INLINE)	/* as stackcollapse-perf.pl --inline */
		sb_puts(sb, "_[i]");
	else if (l->kind == FRAME_PYTHON)	/* "function (file.py:line)_[p]" */
		sb_puts(sb, "_[p]");
}

/*
 * A distinct sequence, by the first sample that had it: its root segments
 * and its frames' (fold.loc_seg of each location), not a copy of its ids
 * (a 300 s churn profile has 122,667 lines of 21 segments on average: the
 * copies were the writer's largest array, beside the whole profile).
 */
struct line {
	uint32_t smp;		/* the sample */
	uint32_t root[2];	/* its first fold.nroot segments */
	int64_t value, base;
};

struct fold {
	const struct profile *p;
	struct segs sg;
	uint32_t *loc_seg;	/* location -> 1 + its segment, 0: not made yet */
	uint32_t nroot;		/* segments before the frames: 1, or 2 with a cgroup */
	struct line *lines;
	size_t nlines, lines_cap;
	struct idxmap index;
	const uint32_t *key;	/* the sequence sought (line_eq) */
	uint32_t nkey;
};

/* How many segments line ln has. */
static uint32_t line_len(const struct fold *fo, const struct line *ln)
{
	return fo->nroot + fo->p->samples[ln->smp].nframes;
}

/* Segment k of line ln (root first, then the frames from the root). */
static uint32_t line_seg(const struct fold *fo, const struct line *ln, uint32_t k)
{
	uint32_t nf = fo->p->samples[ln->smp].nframes;

	if (k < fo->nroot)
		return ln->root[k];
	return fo->loc_seg[profile_sample_frames(fo->p, ln->smp)[nf - 1 - (k - fo->nroot)]] - 1;
}

static bool line_eq(const void *ctx, uint32_t idx)
{
	const struct fold *fo = ctx;
	const struct line *ln = &fo->lines[idx];

	if (line_len(fo, ln) != fo->nkey)
		return false;
	for (uint32_t k = 0; k < fo->nkey; k++)
		if (line_seg(fo, ln, k) != fo->key[k])
			return false;
	return true;
}

/* The segments of sample s into key (root first); returns how many. */
static uint32_t sample_key(struct fold *fo, size_t s, int group_by, struct sbuf *sb,
			   uint32_t **key, size_t *cap)
{
	const struct profile *p = fo->p;
	const struct sample *smp = &p->samples[s];
	const uint32_t *fr = profile_sample_frames(p, s);
	uint32_t n = 0;

	GROW(*key, *cap, smp->nframes + 2);
	/* a cgroup path starts with '/', which is how readers know it */
	if (group_by == GROUP_BY_CGROUP) {
		sb_reset(sb);
		put_root(sb, sample_label(p, smp)->cgroup ? sample_label(p, smp)->cgroup : "/[unknown]");
		(*key)[n++] = seg_intern(&fo->sg, sb->b, sb->len);
	}
	/* process names keep no spaces, as stackcollapse-perf.pl does */
	sb_reset(sb);
	put_root(sb, sample_label(p, smp)->comm);
	if (group_by == GROUP_BY_PID) {
		char pid[16];

		snprintf(pid, sizeof(pid), "-%u", smp->pid);
		sb_puts(sb, pid);
	}
	(*key)[n++] = seg_intern(&fo->sg, sb->b, sb->len);
	for (uint32_t i = smp->nframes; i-- > 0;) {
		if (!fo->loc_seg[fr[i]]) {
			sb_reset(sb);
			put_frame(sb, &p->locs[fr[i]]);
			fo->loc_seg[fr[i]] = seg_intern(&fo->sg, sb->b, sb->len) + 1;
		}
		(*key)[n++] = fo->loc_seg[fr[i]] - 1;
	}
	return n;
}

static void add_line(struct fold *fo, size_t s, const uint32_t *key, uint32_t n, int64_t v,
		     int64_t b, int type)
{
	uint64_t h = hash_bytes(key, n * sizeof(*key), n);
	int64_t i;

	fo->key = key;
	fo->nkey = n;
	i = idxmap_find(&fo->index, h, line_eq, fo);
	if (i >= 0) {
		struct line *ln = &fo->lines[i];

		ln->base = profile_combine(fo->p, 0, ln->base, b);
		ln->value = profile_combine(fo->p, type, ln->value, v);
		return;
	}
	GROW(fo->lines, fo->lines_cap, fo->nlines + 1);
	fo->lines[fo->nlines] = (struct line){ (uint32_t)s, { key[0], fo->nroot > 1 ? key[1] : 0 },
					       v, b };
	idxmap_insert(&fo->index, h, fo->nlines++);
}

/* The next character of a line's text, 0 at its end (as strcmp sees it). */
struct cursor {
	const struct fold *fo;
	const struct line *ln;
	uint32_t n, k;
	const char *c;
};

static unsigned char next_char(struct cursor *u)
{
	while (!*u->c) {
		if (++u->k >= u->n)
			return 0;
		u->c = seg_text(&u->fo->sg, line_seg(u->fo, u->ln, u->k));
		return ';';
	}
	return (unsigned char)*u->c++;
}

static int cmp_line(const void *a, const void *b, void *arg)
{
	const struct fold *fo = arg;
	const struct line *x = a, *y = b;
	struct cursor u = { fo, x, line_len(fo, x), 0, seg_text(&fo->sg, x->root[0]) };
	struct cursor w = { fo, y, line_len(fo, y), 0, seg_text(&fo->sg, y->root[0]) };

	/*
	 * A segment id is its text: the segments both lines share in front
	 * compare equal without a look at their characters (lines share
	 * their comm and root frames; measured under churn, this sort was
	 * a quarter of writing folded text).
	 */
	while (u.k + 1 < u.n && w.k + 1 < w.n && line_seg(fo, x, u.k) == line_seg(fo, y, w.k)) {
		u.c = seg_text(&fo->sg, line_seg(fo, x, ++u.k));
		w.c = seg_text(&fo->sg, line_seg(fo, y, ++w.k));
	}
	for (;;) {
		unsigned char c = next_char(&u), d = next_char(&w);

		if (c != d)
			return c - d;
		if (!c)
			return 0;
	}
}

int write_folded(const struct profile *p, const struct write_opts *o, FILE *f)
{
	struct fold fo = { .p = p, .nroot = o->group_by == GROUP_BY_CGROUP ? 2 : 1 };
	uint32_t *key = NULL;
	struct sbuf sb = {};
	size_t key_cap = 0;

	fo.loc_seg = xcalloc(p->nlocs + 1, sizeof(*fo.loc_seg));
	for (size_t s = 0; s < p->nsamples; s++) {
		int64_t v = MAX(profile_value(p, s, o->type), 0);
		int64_t b = o->diff ? MAX(profile_value(p, s, 0), 0) : 0;
		uint32_t n;

		if (v <= 0 && b <= 0)
			continue;
		n = sample_key(&fo, s, o->group_by, &sb, &key, &key_cap);
		add_line(&fo, s, key, n, v, b, o->type);
	}
	free(key);
	free(sb.b);
	idxmap_free(&fo.index);
	idxmap_free(&fo.sg.index);
	/* Different addresses in the same functions fold into one line. */
	qsort_r(fo.lines, fo.nlines, sizeof(*fo.lines), cmp_line, &fo);
	for (size_t i = 0; i < fo.nlines;) {
		const struct line *ln = &fo.lines[i];
		size_t j = i + 1;
		int64_t v = ln->value, b = ln->base;

		/* two texts made the same by the escaping are one line */
		while (j < fo.nlines && !cmp_line(ln, &fo.lines[j], &fo)) {
			b = profile_combine(p, 0, b, fo.lines[j].base);
			v = profile_combine(p, o->type, v, fo.lines[j++].value);
		}
		for (uint32_t k = 0, n = line_len(&fo, ln); k < n; k++) {
			if (k)
				fputc(';', f);
			fputs(seg_text(&fo.sg, line_seg(&fo, ln, k)), f);
		}
		if (o->diff)
			fprintf(f, " %lld %lld\n", (long long)b, (long long)v);
		else
			fprintf(f, " %lld\n", (long long)v);
		i = j;
	}
	free(fo.lines);
	free(fo.loc_seg);
	free(fo.sg.text);
	free(fo.sg.off);
	return ferror(f) ? -EIO : 0;
}
