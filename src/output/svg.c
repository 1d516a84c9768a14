// SPDX-License-Identifier: GPL-2.0
/*
 * A self-contained interactive flame graph: one SVG file with its own
 * script (svg_script.h), no network, nothing else to install.  Frames are
 * coloured by kind (user, kernel, JIT, inlined) from a palette chosen by
 * what the sample type measures (CPU, memory, I/O, locks, off-CPU time);
 * a differential profile is coloured by change instead: red grew, blue
 * shrank.  Frames narrower than --minwidth pixels are merged into one
 * grey frame per parent, so that a huge profile stays light in a browser.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/flame.h"
#include "output/output.h"
#include "output/svg_script.h"
#include "util/util.h"

#define FONT_SIZE 12
#define FONT_WIDTH 0.59		/* average glyph width, in font sizes */
#define FRAME_H 16
#define XPAD 10
#define TOP_PAD (FONT_SIZE * 4)
#define BOTTOM_PAD (FONT_SIZE * 2 + 10)

enum palette { PAL_CPU, PAL_MEMORY, PAL_IO, PAL_LOCK, PAL_OFFCPU, PAL_COUNT };

struct rgb_range {
	unsigned char r, g, b;		/* base */
	unsigned char dr, dg, db;	/* spread, by a hash of the name */
};

/* [palette][user, kernel, jit, inline] */
static const struct rgb_range colours[PAL_COUNT][4] = {
	[PAL_CPU] = { { 205, 0, 0, 50, 230, 55 }, { 210, 110, 0, 45, 70, 30 },
		      { 50, 170, 50, 60, 60, 60 }, { 0, 170, 170, 60, 55, 55 } },
	[PAL_MEMORY] = { { 0, 170, 0, 60, 60, 60 }, { 150, 180, 0, 50, 50, 40 },
			 { 0, 140, 110, 50, 60, 50 }, { 80, 190, 150, 50, 50, 50 } },
	[PAL_IO] = { { 80, 80, 200, 55, 55, 55 }, { 50, 130, 210, 40, 50, 40 },
		     { 120, 90, 210, 50, 50, 40 }, { 60, 170, 210, 40, 50, 40 } },
	[PAL_LOCK] = { { 150, 50, 170, 60, 60, 60 }, { 200, 80, 140, 50, 50, 50 },
		       { 110, 60, 200, 50, 50, 50 }, { 180, 120, 200, 50, 50, 50 } },
	[PAL_OFFCPU] = { { 0, 100, 190, 50, 70, 60 }, { 70, 70, 170, 50, 50, 60 },
			 { 0, 150, 150, 50, 50, 50 }, { 90, 150, 220, 40, 50, 30 } },
};

/* Python functions: one hue in every palette (Python's yellow), so they stand
 * out among the interpreter's C frames whatever was measured */
static const struct rgb_range python_colour = { 215, 175, 20, 40, 50, 40 };

static const char *const palette_names[PAL_COUNT] = { "cpu", "memory", "io", "lock", "off-cpu" };

static bool has(const char *s, const char *word)
{
	return s && strcasestr(s, word);
}

/* What the sample type measures, from its name and unit only. */
static enum palette pick_palette(const struct sample_type *t)
{
	if (has(t->name, "lock") || has(t->name, "contention") || has(t->name, "mutex") ||
	    has(t->name, "delay"))
		return PAL_LOCK;
	if (has(t->name, "off") || has(t->name, "sched") || has(t->name, "sleep") ||
	    has(t->name, "wait") || has(t->name, "blocked"))
		return PAL_OFFCPU;
	if (!strcmp(t->unit, "bytes") || has(t->name, "alloc") || has(t->name, "inuse") ||
	    has(t->name, "mem"))
		return PAL_MEMORY;
	if (has(t->name, "io") || has(t->name, "disk") || has(t->name, "block") ||
	    has(t->name, "bio"))
		return PAL_IO;
	return PAL_CPU;
}

struct svg {
	FILE *f;
	const struct write_opts *o;
	const struct profile *p;
	struct flame fl;
	enum palette pal;
	double scale;		/* pixels per unit of value */
	double scale0;		/* diff: base values to the new total */
	double max_delta;	/* diff: the largest change, for colour intensity */
	int height;
	const char *unit, *type_name;
};

static void xml_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

static void colour(const struct svg *sv, const struct flame_node *n, bool merged, char *buf,
		   size_t size)
{
	const struct rgb_range *c;
	uint64_t h;
	double v1, v2;

	if (sv->o->diff) {
		double delta = n->value[1] - n->value[0] * sv->scale0;
		double k = sv->max_delta ? delta / sv->max_delta : 0;
		int fade = 255 - (int)(200 * (k < 0 ? -k : k));

		if (k > 0)
			snprintf(buf, size, "rgb(255,%d,%d)", fade, fade);
		else
			snprintf(buf, size, "rgb(%d,%d,255)", fade, fade);
		return;
	}
	if (merged || n->kind == FLAME_PROCESS || n->kind == FLAME_CGROUP || n->kind == FRAME_GROUP) {
		snprintf(buf, size, merged ? "rgb(170,170,170)" : "rgb(210,210,200)");
		return;
	}
	c = &colours[sv->pal][n->kind < 4 ? n->kind == FRAME_USER ? 0 :
			      n->kind == FRAME_KERNEL ? 1 : n->kind == FRAME_JIT ? 2 : 3 : 0];
	if (n->kind == FRAME_PYTHON)
		c = &python_colour;
	h = hash_bytes(n->name, strlen(n->name), 7);
	v1 = (h & 0xffff) / 65535.0;
	v2 = ((h >> 16) & 0xffff) / 65535.0;
	snprintf(buf, size, "rgb(%d,%d,%d)", (int)(c->r + c->dr * v1), (int)(c->g + c->dg * v2),
		 (int)(c->b + c->db * v1));
}

static double frame_y(const struct svg *sv, int depth)
{
	if (sv->o->inverted)
		return TOP_PAD + depth * FRAME_H;
	return sv->height - BOTTOM_PAD - (depth + 1) * FRAME_H;
}

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case FRAME_KERNEL: return "kernel";
	case FRAME_JIT: return "jit";
	case FRAME_INLINE: return "inlined";
	case FRAME_GROUP: return "group";
	case FRAME_PYTHON: return "python";
	case FLAME_PROCESS: return "process";
	case FLAME_CGROUP: return "cgroup";
	default: return "user";
	}
}

static void frame(struct svg *sv, const struct flame_node *n, const char *name, int depth,
		  double x, double w, int nmerged)
{
	FILE *f = sv->f;
	int64_t v = sv->o->diff ? n->value[1] : n->value[0];
	int64_t total = sv->o->diff ? sv->fl.nodes[0].value[1] : sv->fl.nodes[0].value[0];
	char fill[48], b1[64], b2[64];
	int fit = (int)((w - 6) / (FONT_SIZE * FONT_WIDTH));
	size_t len = strlen(name);

	colour(sv, n, nmerged > 0, fill, sizeof(fill));
	fputs("<g data-n=\"", f);
	xml_escaped(f, name);
	fprintf(f, "\" data-v=\"%lld\" data-d=\"%d\"><title>", (long long)v, depth);
	xml_escaped(f, name);
	if (sv->o->diff) {
		double base = n->value[0] * sv->scale0;

		fprintf(f, " (new %s, base %s%s, %s%.1f%%)", fmt_value(b1, sizeof(b1), sv->unit, v),
			fmt_value(b2, sizeof(b2), sv->unit, base),
			sv->scale0 != 1.0 ? " normalised" : "", v >= base ? "+" : "",
			base > 0 ? 100.0 * (v - base) / base : 100.0);
	} else {
		fprintf(f, " (%s%s%s, %.2f%%%s%s)", fmt_value(b1, sizeof(b1), sv->unit, v),
			strcmp(sv->unit, "count") ? "" : " ",
			strcmp(sv->unit, "count") ? "" : sv->type_name,
			total ? 100.0 * v / total : 0.0, depth > 1 && !nmerged ? ", " : "",
			depth > 1 && !nmerged ? kind_name(n->kind) : "");
	}
	fprintf(f, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
		"rx=\"2\" ry=\"2\"/><text x=\"%.2f\" y=\"%.1f\">", x, frame_y(sv, depth), w,
		FRAME_H - 1, fill, x + 3, frame_y(sv, depth) + FRAME_H - 4.5);
	if (fit >= 3) {
		if ((int)len <= fit) {
			xml_escaped(f, name);
		} else {
			char *cut = strndup(name, fit - 2);

			xml_escaped(f, cut);
			fputs("..", f);
			free(cut);
		}
	}
	fputs("</text></g>\n", f);
}

static int64_t node_value(const struct svg *sv, const struct flame_node *n)
{
	return sv->o->diff ? n->value[1] : n->value[0];
}

/*
 * A frame at x, scale pixels per unit of value wide, and its children
 * beside each other above it.  Where the children of a maximum type add up
 * to more than their parent (each is at most the parent), they and all
 * below them share the parent's width in proportion: a smaller scale.
 */
static void frames(struct svg *sv, uint32_t id, double x, double scale)
{
	const struct flame_node *n = &sv->fl.nodes[id];
	const uint32_t *kids = sv->fl.kids + n->kids;
	int type = sv->o->type;
	double cx = x, sum = 0, mw = 0;
	struct flame_node merged = { .name = "", .kind = FLAME_PROCESS };
	int nmerged = 0;

	frame(sv, n, n->name, n->depth, x, node_value(sv, n) * scale, 0);
	for (uint32_t i = 0; i < n->nkids; i++)
		sum += node_value(sv, &sv->fl.nodes[kids[i]]);
	if (sum > node_value(sv, n))
		scale *= node_value(sv, n) / sum;
	for (uint32_t i = 0; i < n->nkids; i++) {
		const struct flame_node *k = &sv->fl.nodes[kids[i]];
		double kw = node_value(sv, k) * scale;

		if (kw <= 0)
			continue;
		if (kw < sv->o->minwidth) {
			merged.value[0] = profile_combine(sv->p, sv->o->diff ? 0 : type,
							  merged.value[0], k->value[0]);
			merged.value[1] = profile_combine(sv->p, type, merged.value[1], k->value[1]);
			mw += kw;
			nmerged++;
			continue;
		}
		frames(sv, kids[i], cx, scale);
		cx += kw;
	}
	if (nmerged && mw >= sv->o->minwidth) {
		char name[64];

		snprintf(name, sizeof(name), "[%d narrow frames]", nmerged);
		frame(sv, &merged, name, n->depth + 1, cx, mw, nmerged);
	}
}

static void find_max_delta(struct svg *sv)
{
	for (size_t i = 1; i < sv->fl.n; i++) {
		const struct flame_node *n = &sv->fl.nodes[i];
		double d = n->value[1] - n->value[0] * sv->scale0;

		if (d < 0)
			d = -d;
		if (d > sv->max_delta)
			sv->max_delta = d;
	}
}

int write_svg(const struct profile *p, const struct write_opts *o, FILE *f)
{
	struct svg sv = { .f = f, .o = o, .p = p, .scale0 = 1.0 };
	const struct sample_type *t = &p->types[o->type];
	int width = o->width > 0 ? o->width : 1200;
	int64_t total;
	char title[512], b1[64];

	sv.unit = t->unit;
	sv.type_name = t->name;
	sv.pal = pick_palette(t);
	flame_build(&sv.fl, p, o->diff ? 0 : o->type, o->diff ? o->type : -1, o->group_by);
	total = node_value(&sv, &sv.fl.nodes[0]);
	sv.scale = total ? (double)(width - 2 * XPAD) / total : 0;
	if (o->diff) {
		if (sv.fl.nodes[0].value[0])
			sv.scale0 = (double)sv.fl.nodes[0].value[1] / sv.fl.nodes[0].value[0];
		find_max_delta(&sv);
	}
	sv.height = TOP_PAD + (sv.fl.max_depth + 1) * FRAME_H + BOTTOM_PAD;
	if (o->title)
		snprintf(title, sizeof(title), "%s", o->title);
	else
		snprintf(title, sizeof(title), "%s%s", o->diff ? "Differential flame graph: " :
			 o->inverted ? "Icicle graph: " : "Flame graph: ", p->event ? p->event : t->name);

	fprintf(f, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\" onload=\"init(evt)\" data-xpad=\"%d\" "
		"data-fontw=\"%.2f\" data-palette=\"%s\" data-total=\"%lld\"%s>\n",
		width, sv.height, width, sv.height, XPAD, FONT_SIZE * FONT_WIDTH,
		o->diff ? "diff" : palette_names[sv.pal], (long long)total,
		p->combine[o->type] == COMBINE_MAX ? " data-combine=\"max\"" : "");
	fprintf(f, "<style>\ntext { font-family: Verdana, sans-serif; font-size: %dpx; fill: #000; }\n"
		"#frames text { pointer-events: none; }\n#frames rect { stroke: #fff; stroke-width: 0.5; }\n"
		"#frames g:hover rect { stroke: #000; }\n"
		"#title { font-size: %dpx; text-anchor: middle; }\n"
		"#search, #reset { cursor: pointer; fill: #333; }\n#reset { opacity: 0.3; }\n"
		"</style>\n<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n",
		FONT_SIZE, FONT_SIZE + 5, svg_script);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f8f8f0\"/>\n",
		width, sv.height);
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"%d\">", width / 2, FONT_SIZE * 2);
	xml_escaped(f, title);
	fprintf(f, "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
		"%s: %s%s%s%s</text>\n", width / 2, FONT_SIZE * 3 + 4,
		p->combine[o->type] == COMBINE_MAX ? "Largest" : "Total", fmt_value(b1, sizeof(b1), t->unit, total), strcmp(t->unit, "count") ? "" : " ",
		strcmp(t->unit, "count") ? "" : t->name,
		o->diff ? " (new); red grew, blue shrank" : "");
	fprintf(f, "<text id=\"reset\" x=\"%d\" y=\"%d\">Reset</text>\n", XPAD, FONT_SIZE * 2);
	fprintf(f, "<text id=\"search\" x=\"%d\" y=\"%d\" text-anchor=\"end\">Search</text>\n",
		width - XPAD, FONT_SIZE * 2);
	fprintf(f, "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
		width - XPAD, sv.height - FONT_SIZE);
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", XPAD, sv.height - FONT_SIZE);
	fputs("<g id=\"frames\">\n", f);
	if (total > 0)
		frames(&sv, 0, XPAD, sv.scale);
	fputs("</g>\n</svg>\n", f);
	flame_free(&sv.fl);
	return ferror(f) ? -EIO : 0;
}
