// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "util/protobuf.h"
#include "util/util.h"

static void put(struct pb_buf *b, const void *data, size_t len)
{
	GROW(b->data, b->cap, b->len + len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void pb_varint(struct pb_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	put(b, tmp, n);
}

static void tag(struct pb_buf *b, uint32_t field, enum pb_wire wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	tag(b, field, PB_VARINT);
	pb_varint(b, v);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len)
{
	tag(b, field, PB_LEN);
	pb_varint(b, len);
	if (len)
		put(b, data, len);
}

void pb_string(struct pb_buf *b, uint32_t field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg)
{
	pb_bytes(b, field, msg->data, msg->len);
}

void pb_reset(struct pb_buf *b)
{
	b->len = 0;
}

void pb_free(struct pb_buf *b)
{
	free(b->data);
	*b = (struct pb_buf){};
}

uint64_t pb_read_varint(struct pb_reader *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t c;

		if (r->p >= r->end)
			break;
		c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = true;
	r->p = r->end;
	return 0;
}

bool pb_next(struct pb_reader *r, uint32_t *field, int *wire)
{
	uint64_t t;

	if (r->bad || r->p >= r->end)
		return false;
	t = pb_read_varint(r);
	if (r->bad || (t >> 3) == 0 || (t >> 3) > UINT32_MAX) {
		r->bad = true;
		return false;
	}
	*field = t >> 3;
	*wire = t & 7;
	return true;
}

struct pb_reader pb_read_len(struct pb_reader *r)
{
	uint64_t len = pb_read_varint(r);
	struct pb_reader sub = { r->p, r->p, false };

	if (r->bad || len > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		r->p = r->end;
		sub.bad = true;
		return sub;
	}
	sub.end = r->p + len;
	r->p += len;
	return sub;
}

void pb_skip(struct pb_reader *r, int wire)
{
	size_t n;

	switch (wire) {
	case PB_VARINT:
		pb_read_varint(r);
		return;
	case PB_LEN:
		pb_read_len(r);
		return;
	case PB_I64:
		n = 8;
		break;
	case PB_I32:
		n = 4;
		break;
	default:
		r->bad = true;
		r->p = r->end;
		return;
	}
	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

void pb_read_ints(struct pb_reader *r, int wire, uint64_t **v, size_t *n, size_t *cap)
{
	if (wire == PB_VARINT) {
		GROW(*v, *cap, *n + 1);
		(*v)[(*n)++] = pb_read_varint(r);
	} else if (wire == PB_LEN) {
		struct pb_reader sub = pb_read_len(r);

		while (!sub.bad && sub.p < sub.end) {
			GROW(*v, *cap, *n + 1);
			(*v)[(*n)++] = pb_read_varint(&sub);
		}
		r->bad |= sub.bad;
	} else {
		r->bad = true;
	}
}

void pb_read_scalars(struct pb_reader r, uint64_t *v, uint32_t n)
{
	uint32_t field;
	int wire;

	while (pb_next(&r, &field, &wire)) {
		if (wire != PB_VARINT) {
			pb_skip(&r, wire);
			continue;
		}
		uint64_t x = pb_read_varint(&r);

		if (field < n)
			v[field] = x;
	}
}
