// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/gopclntab.h"
#include "symbol/gopclntab_int.h"
#include "util/util.h"

/* Go's _PCDATA_InlTreeIndex and _FUNCDATA_InlTree */
#define PCDATA_INLTREE	2
#define FUNCDATA_INLTREE 3

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A word of the table's pointer size at off, when it lies inside */
static bool rdptr(const struct gopclntab *g, uint64_t off, uint64_t *v)
{
	if (off > g->size || g->size - off < g->ptrsize)
		return false;
	*v = g->ptrsize == 8 ? rd64(g->tab + off) : rd32(g->tab + off);
	return true;
}

static bool rd32_at(const struct gopclntab *g, uint64_t off, uint32_t *v)
{
	if (off > g->size || g->size - off < 4)
		return false;
	*v = rd32(g->tab + off);
	return true;
}

const uint8_t *go_mem(const struct gopclntab *g, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < g->nregs; i++) {
		const struct go_region *r = &g->regs[i];

		if (addr >= r->addr && addr - r->addr <= r->size && r->size - (addr - r->addr) >= len)
			return r->p + (addr - r->addr);
	}
	return NULL;
}

/*
 * The header (runtime.pcHeader), then the function table's bounds.  Every
 * offset the lookups use later is checked there again against the bytes
 * it points into.
 */
int go_parse(struct gopclntab *g)
{
	uint64_t w[8], text_start = 0, entsize, first, last;
	unsigned nw, i;
	uint32_t magic;

	if (g->size < 16)
		return -EINVAL;
	magic = rd32(g->tab);
	switch (magic) {
	case GO_MAGIC_116:
		g->ver = 116;
		break;
	case GO_MAGIC_118:
		g->ver = 118;
		break;
	case GO_MAGIC_120:
		g->ver = 120;
		break;
	default:
		return -EINVAL;
	}
	if (g->tab[4] || g->tab[5] || (g->tab[6] != 1 && g->tab[6] != 2 && g->tab[6] != 4) ||
	    (g->tab[7] != 4 && g->tab[7] != 8))
		return -EINVAL;
	g->quantum = g->tab[6];
	g->ptrsize = g->tab[7];
	/* nfunc, nfiles, [textStart,] funcname, cu, filetab, pctab, pcln offsets */
	nw = g->ver == 116 ? 7 : 8;
	for (i = 0; i < nw; i++)
		if (!rdptr(g, 8 + (uint64_t)i * g->ptrsize, &w[i]))
			return -EINVAL;
	g->nfunc = w[0];
	i = 2;
	if (g->ver != 116)
		text_start = w[i++];
	g->funcname_off = w[i++];
	g->cu_off = w[i++];
	g->file_off = w[i++];
	g->pctab_off = w[i++];
	g->pcln_off = w[i++];
	if (!g->nfunc || g->funcname_off >= g->size || g->cu_off >= g->size ||
	    g->file_off >= g->size || g->pctab_off >= g->size || g->pcln_off >= g->size)
		return -EINVAL;
	/* nfunc entries and the end marker, each (entry, funcoff) */
	entsize = g->ver == 116 ? 2 * g->ptrsize : 8;
	if (g->nfunc > (g->size - g->pcln_off) / entsize - 1)
		return -EINVAL;
	/* 0 in a position-independent build (a relocation fills it): the
	 * caller may know it from .text */
	if (text_start)
		g->text_start = text_start;
	first = go_entry(g, 0);
	last = go_entry(g, g->nfunc);
	if (!first || last <= first)
		return -EINVAL;
	g->lo = first;
	g->hi = last;
	return 0;
}

uint64_t go_entry(const struct gopclntab *g, uint64_t i)
{
	uint64_t base = g->pcln_off, v = 0;
	uint32_t e;

	if (g->ver == 116)
		return rdptr(g, base + i * 2 * g->ptrsize, &v) ? v : 0;
	return rd32_at(g, base + i * 8, &e) ? g->text_start + e : 0;
}

/* The offset in the table of function i's record (runtime._func) */
static bool func_off(const struct gopclntab *g, uint64_t i, uint64_t *off)
{
	uint64_t base = g->pcln_off, v;
	uint32_t e;

	if (g->ver == 116) {
		if (!rdptr(g, base + i * 2 * g->ptrsize + g->ptrsize, &v))
			return false;
	} else {
		if (!rd32_at(g, base + i * 8 + 4, &e))
			return false;
		v = e;
	}
	if (v >= g->size - base)
		return false;
	*off = base + v;
	return true;
}

/* A NUL-terminated string at off of the region starting at base */
static const char *str_at(const struct gopclntab *g, uint64_t base, uint64_t off)
{
	const uint8_t *p;

	if (off >= g->size - base)
		return NULL;
	p = g->tab + base + off;
	return memchr(p, 0, g->size - base - off) ? (const char *)p : NULL;
}

/* The fixed part of a record: where its entry ends, its bytes in all */
static unsigned rec_entry_size(const struct gopclntab *g)
{
	return g->ver == 116 ? g->ptrsize : 4;
}

static unsigned rec_size(const struct gopclntab *g)
{
	/* entry, 8 words (name .. cuOffset), [startLine,] funcID, flag, pad, nfuncdata */
	return rec_entry_size(g) + 32 + (g->ver >= 120 ? 4 : 0) + 4;
}

struct rec {
	uint64_t off;		/* of the record in the table */
	uint64_t entry, end;
	uint32_t nameoff, pcsp, pcfile, pcln, npcdata, cu;
	uint8_t func_id, flag, nfuncdata;
};

static int read_rec(const struct gopclntab *g, uint64_t i, struct rec *r)
{
	unsigned e = rec_entry_size(g), b;
	const uint8_t *p;

	if (i >= g->nfunc || !func_off(g, i, &r->off) || g->size - r->off < rec_size(g))
		return -EINVAL;
	p = g->tab + r->off;
	r->entry = go_entry(g, i);
	r->end = go_entry(g, i + 1);
	/* each record repeats its entry: a table that disagrees is damaged */
	if (g->ver == 116 ? (g->ptrsize == 8 ? rd64(p) : rd32(p)) != r->entry
			  : g->text_start + rd32(p) != r->entry)
		return -EINVAL;
	if (r->end <= r->entry)
		return -EINVAL;
	r->nameoff = rd32(p + e);
	r->pcsp = rd32(p + e + 12);
	r->pcfile = rd32(p + e + 16);
	r->pcln = rd32(p + e + 20);
	r->npcdata = rd32(p + e + 24);
	r->cu = rd32(p + e + 28);
	b = e + 32 + (g->ver >= 120 ? 4 : 0);
	r->func_id = p[b];
	r->flag = p[b + 1];
	r->nfuncdata = p[b + 3];
	return 0;
}

size_t gopclntab_count(const struct gopclntab *g)
{
	return g->nfunc;
}

int gopclntab_version(const struct gopclntab *g)
{
	return g->ver;
}

bool gopclntab_covers(const struct gopclntab *g, uint64_t pc)
{
	return g && pc >= g->lo && pc < g->hi;
}

bool gopclntab_has_funcdata(const struct gopclntab *g)
{
	return g->ver == 116 || g->have_gofunc;
}

int gopclntab_func(const struct gopclntab *g, size_t i, struct go_func *f)
{
	struct rec r;
	int err = read_rec(g, i, &r);

	if (err)
		return err;
	f->entry = r.entry;
	f->end = r.end;
	f->name = str_at(g, g->funcname_off, r.nameoff);
	f->pcsp = r.pcsp;
	f->func_id = r.func_id;
	/* Go 1.16 kept these bytes as padding: zero */
	f->flag = r.flag;
	return f->name ? 0 : -EINVAL;
}

static bool uvarint(const struct gopclntab *g, uint64_t *off, uint32_t *v)
{
	uint32_t x = 0;

	for (unsigned shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*off >= g->size)
			return false;
		b = g->tab[(*off)++];
		x |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

/*
 * One step of a pc-value table (runtime.step): the value's zig-zag delta,
 * then the pc's delta in quanta.  false at its end or past the bytes.
 */
static bool pcv_step(const struct gopclntab *g, uint64_t *off, uint64_t *pc, int32_t *val,
		     bool first)
{
	uint32_t uv, pcd;

	if (!uvarint(g, off, &uv) || (uv == 0 && !first))
		return false;
	/* wrapping, as the runtime's int32 does: a hostile delta is no UB */
	*val = (int32_t)((uint32_t)*val + (-(uv & 1) ^ (uv >> 1)));
	if (!uvarint(g, off, &pcd))
		return false;
	*pc += (uint64_t)pcd * g->quantum;
	return true;
}

/* The value table at pctab offset toff holds at target, for a function at entry */
static bool pcvalue(const struct gopclntab *g, uint32_t toff, uint64_t entry, uint64_t target,
		    int32_t *out)
{
	uint64_t off = g->pctab_off + (uint64_t)toff, pc = entry;
	int32_t val = -1;
	bool first = true;

	if (!toff)
		return false;
	/* a table describes one function: bounded by the function's bytes */
	while (pcv_step(g, &off, &pc, &val, first)) {
		first = false;
		if (target < pc) {
			*out = val;
			return true;
		}
	}
	return false;
}

int gopclntab_sp_deltas(const struct gopclntab *g, const struct go_func *f,
			void (*cb)(void *ctx, uint64_t pc, int32_t delta), void *ctx)
{
	uint64_t off = g->pctab_off + (uint64_t)f->pcsp, pc = f->entry, start;
	int32_t val = -1;
	int n = 0;

	if (!f->pcsp)
		return 0;
	while (pc < f->end) {
		start = pc;
		/* the table may end before the padding up to the next function */
		if (!pcv_step(g, &off, &pc, &val, !n))
			return n ? n : -EINVAL;
		if (pc <= start || pc > f->end)
			return -EINVAL;
		cb(ctx, start, val);
		n++;
	}
	return n;
}

/* The index of the function holding pc, or -1 */
static int64_t find_func(const struct gopclntab *g, uint64_t pc)
{
	uint64_t lo = 0, hi = g->nfunc;

	if (!gopclntab_covers(g, pc))
		return -1;
	/* the last entry at or below pc */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (go_entry(g, mid) <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (int64_t)lo - 1 : -1;
}

/* The file pc's line comes from in function r */
static const char *file_at(const struct gopclntab *g, const struct rec *r, uint64_t pc)
{
	int32_t fno;
	uint32_t foff;

	if (!pcvalue(g, r->pcfile, r->entry, pc, &fno) || fno < 0)
		return NULL;
	if (!rd32_at(g, g->cu_off + ((uint64_t)r->cu + (uint32_t)fno) * 4, &foff) ||
	    foff == UINT32_MAX)
		return NULL;
	return str_at(g, g->file_off, foff);
}

static void line_at(const struct gopclntab *g, const struct rec *r, uint64_t pc,
		    struct srcline_frame *fr)
{
	int32_t line;

	fr->file = file_at(g, r, pc);
	fr->line = pcvalue(g, r->pcln, r->entry, pc, &line) && line > 0 ? (uint32_t)line : 0;
}

/* Where funcdata k of function r points, or 0 */
static uint64_t funcdata(const struct gopclntab *g, const struct rec *r, unsigned k)
{
	uint64_t off = r->off + rec_size(g) + (uint64_t)r->npcdata * 4, v;
	uint32_t o;

	if (k >= r->nfuncdata)
		return 0;
	if (g->ver == 116) {
		/* pointers, aligned in memory as the runtime reads them */
		if (g->ptrsize == 8 && ((g->tab_addr + off) & 4))
			off += 4;
		return rdptr(g, off + (uint64_t)k * g->ptrsize, &v) ? v : 0;
	}
	if (!g->have_gofunc || !rd32_at(g, off + (uint64_t)k * 4, &o) || o == UINT32_MAX)
		return 0;
	return g->gofunc + o;
}

/* PCDATA table k of function r, as an offset in pctab (0: none) */
static uint32_t pcdata(const struct gopclntab *g, const struct rec *r, unsigned k)
{
	uint32_t v;

	if (k >= r->npcdata || !rd32_at(g, r->off + rec_size(g) + (uint64_t)k * 4, &v))
		return 0;
	return v;
}

int gopclntab_lookup(const struct gopclntab *g, uint64_t pc, const char **name,
		     struct srcline_frame *out, int max)
{
	/* runtime.inlinedCall: name and parent pc offsets, its size */
	unsigned name_at = g->ver >= 120 ? 4 : 12, ppc_at = g->ver >= 120 ? 8 : 16;
	unsigned size = g->ver >= 120 ? 16 : 20;
	uint64_t tree = 0;
	uint32_t itab = 0;
	int64_t i = find_func(g, pc);
	int32_t ix;
	struct rec r;
	int n = 0;

	if (i < 0 || max < 1 || read_rec(g, i, &r))
		return 0;
	*name = str_at(g, g->funcname_off, r.nameoff);
	if (!*name || pc >= r.end)
		return 0;
	if (max > 1 && (itab = pcdata(g, &r, PCDATA_INLTREE)))
		tree = funcdata(g, &r, FUNCDATA_INLTREE);
	/* each inlined call says where its caller was: follow them outwards */
	while (tree && n < max - 1 && pcvalue(g, itab, r.entry, pc, &ix) && ix >= 0) {
		const uint8_t *call = go_mem(g, tree + (uint64_t)ix * size, size);
		const char *fn;
		uint64_t ppc;

		if (!call || !(fn = str_at(g, g->funcname_off, rd32(call + name_at))))
			break;
		out[n].func = fn;
		line_at(g, &r, pc, &out[n]);
		n++;
		ppc = r.entry + (int32_t)rd32(call + ppc_at);
		if (ppc < r.entry || ppc >= r.end)
			break;
		pc = ppc;
	}
	out[n].func = NULL;
	line_at(g, &r, pc, &out[n]);
	return n + 1;
}

void gopclntab_free(struct gopclntab *g)
{
	if (!g)
		return;
	if (g->own)
		elf_end(g->own);
	free(g->regs);
	free(g);
}

struct gopclntab *gopclntab_from_raw(const void *tab, size_t size, uint64_t tab_addr,
				     const void *fdata, size_t fdata_size, uint64_t fdata_addr)
{
	struct gopclntab *g = xcalloc(1, sizeof(*g));
	int err;

	g->tab = tab;
	g->size = size;
	g->tab_addr = tab_addr;
	g->regs = xcalloc(2, sizeof(*g->regs));
	g->regs[g->nregs++] = (struct go_region){ tab_addr, tab, size };
	if (fdata && fdata_size) {
		g->regs[g->nregs++] = (struct go_region){ fdata_addr, fdata, fdata_size };
		g->gofunc = fdata_addr;
		g->have_gofunc = true;
	}
	err = go_parse(g);
	if (err) {
		gopclntab_free(g);
		errno = -err;
		return NULL;
	}
	return g;
}
