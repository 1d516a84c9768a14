// SPDX-License-Identifier: GPL-2.0
/*
 * Python code objects named from what BPF sent at first sight, and their
 * lines from the location table.  Nothing is read from the process at the
 * end: it may have exited, and its code objects may have been freed and
 * their memory reused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/python_names.h"
#include "util/idxmap.h"
#include "util/util.h"

struct py_code {
	uint32_t pid;
	uint32_t firstlineno;
	uint64_t key;
	char *name;
	char *file;
	uint8_t *table;
	uint32_t ntable;
	bool cut;		/* the table was longer than BPF copies */
};

struct py_names {
	struct py_code *codes;
	size_t n, cap;
	struct idxmap index;
};

struct py_names *py_names_new(void)
{
	return xcalloc(1, sizeof(struct py_names));
}

void py_names_free(struct py_names *pn)
{
	if (!pn)
		return;
	for (size_t i = 0; i < pn->n; i++) {
		free(pn->codes[i].name);
		free(pn->codes[i].file);
		free(pn->codes[i].table);
	}
	free(pn->codes);
	idxmap_free(&pn->index);
	free(pn);
}

static void put_utf8(uint32_t c, char *out, size_t size, size_t *o)
{
	char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = 0xc0 | c >> 6;
		b[1] = 0x80 | (c & 0x3f);
		n = 2;
	} else if (c < 0x10000) {
		b[0] = 0xe0 | c >> 12;
		b[1] = 0x80 | ((c >> 6) & 0x3f);
		b[2] = 0x80 | (c & 0x3f);
		n = 3;
	} else {
		b[0] = 0xf0 | (c >> 18 & 7);
		b[1] = 0x80 | ((c >> 12) & 0x3f);
		b[2] = 0x80 | ((c >> 6) & 0x3f);
		b[3] = 0x80 | (c & 0x3f);
		n = 4;
	}
	if (*o + n >= size)
		return;
	memcpy(out + *o, b, n);
	*o += n;
}

void py_text(const void *data, size_t len, int kind, char *out, size_t size)
{
	const uint8_t *d = data;
	size_t o = 0, w = kind == PY_STR_ASCII ? 1 : (size_t)kind;

	out[0] = 0;
	if (!size || kind == PY_STR_NONE || (w != 1 && w != 2 && w != 4))
		return;
	for (size_t i = 0; i + w <= len; i += w) {
		uint32_t c = d[i];

		if (w == 2)
			c = d[i] | d[i + 1] << 8;
		else if (w == 4)
			c = d[i] | d[i + 1] << 8 | d[i + 2] << 16 | (uint32_t)d[i + 3] << 24;
		if (kind == PY_STR_ASCII && c >= 0x80)
			c = '?';
		if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
			c = 0xfffd;
		put_utf8(c, out, size, &o);
	}
	out[o] = 0;
}

static uint64_t code_hash(uint32_t pid, uint64_t key)
{
	return hash_u64(key ^ ((uint64_t)pid << 44));
}

struct find_ctx {
	const struct py_names *pn;
	uint32_t pid;
	uint64_t key;
};

static bool code_eq(const void *ctx, uint32_t idx)
{
	const struct find_ctx *c = ctx;

	return c->pn->codes[idx].pid == c->pid && c->pn->codes[idx].key == c->key;
}

void py_names_add(struct py_names *pn, const void *event, size_t size)
{
	const struct py_code_event *e = event;
	struct find_ctx c;
	struct py_code *pc;
	char buf[4 * PY_FILE_LEN];

	if (size < sizeof(*e))
		return;
	c = (struct find_ctx){ pn, e->pid, e->key };
	/* sent again after its process's entry in the seen map was evicted */
	if (idxmap_find(&pn->index, code_hash(e->pid, e->key), code_eq, &c) >= 0)
		return;
	GROW(pn->codes, pn->cap, pn->n + 1);
	pc = &pn->codes[pn->n];
	*pc = (struct py_code){ .pid = e->pid, .key = e->key, .firstlineno = e->firstlineno,
				.cut = e->linetable_cut };
	py_text(e->name, MIN(e->name_len, PY_NAME_LEN), e->name_kind, buf, sizeof(buf));
	pc->name = xstrdup(buf[0] ? buf : "[python code]");
	py_text(e->file, MIN(e->file_len, PY_FILE_LEN), e->file_kind, buf, sizeof(buf));
	pc->file = xstrdup(buf[0] ? buf : "?");
	pc->ntable = MIN(e->linetable_len, PY_LINETABLE_LEN);
	pc->table = xmalloc(pc->ntable + 1);
	memcpy(pc->table, e->linetable, pc->ntable);
	idxmap_insert(&pn->index, code_hash(e->pid, e->key), pn->n);
	pn->n++;
}

/* 6-bit groups, low first, 0x40 for "more" */
static uint32_t read_varint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t v = 0;
	unsigned shift = 0;

	while (*i < n) {
		uint8_t b = t[(*i)++];

		v |= (uint32_t)(b & 0x3f) << shift;
		shift += 6;
		if (!(b & 0x40) || shift > 30)
			break;
	}
	return v;
}

static int32_t read_svarint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t v = read_varint(t, n, i);

	return v & 1 ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
}

uint32_t py_line(const uint8_t *table, size_t n, uint32_t first, uint32_t instr)
{
	int64_t line = first;
	uint32_t at = 0;
	size_t i = 0;

	while (i < n) {
		uint8_t b = table[i++];
		int code = (b >> 3) & 15;
		uint32_t len = (b & 7) + 1;
		bool none = false;

		if (!(b & 0x80))
			return 0;	/* not the start of an entry: a table we misread */
		switch (code) {
		case 15:		/* no location */
			none = true;
			break;
		case 14:		/* long form: line delta, end line, columns */
			line += read_svarint(table, n, &i);
			read_varint(table, n, &i);
			read_varint(table, n, &i);
			read_varint(table, n, &i);
			break;
		case 13:		/* no column */
			line += read_svarint(table, n, &i);
			break;
		case 12: case 11: case 10:	/* one line form: delta code - 10, two columns */
			line += code - 10;
			i += 2;
			break;
		default:		/* short form: same line, one column byte */
			i += 1;
			break;
		}
		if (instr < at + len)
			return none || line <= 0 ? 0 : (uint32_t)line;
		at += len;
	}
	return 0;
}

void py_names_resolve(const struct py_names *pn, struct profile *p, struct location *l)
{
	uint64_t word = l->addr;
	struct find_ctx c = { pn, l->pid, (word >> PY_KEY_SHIFT) & PY_KEY_MASK };
	uint32_t instr = word & PY_INSTR_MASK, line;
	const struct py_code *pc;
	int64_t i;

	l->module = profile_intern(p, "[python]");
	i = pn ? idxmap_find(&pn->index, code_hash(c.pid, c.key), code_eq, &c) : -1;
	if (i < 0) {
		l->name = profile_intern(p, "[python code]");
		return;
	}
	pc = &pn->codes[i];
	/* 0 past a cut table, or for an instruction with no line: not guessed */
	line = py_line(pc->table, pc->ntable, pc->firstlineno, instr);
	l->name = python_frame_name(p, pc->name, pc->file, line);
	l->file = profile_intern(p, pc->file);
	l->line = line;
	l->module_addr = instr;
}
