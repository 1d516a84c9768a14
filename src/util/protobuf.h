/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough protocol buffers for profile.proto: varints, length-delimited
 * fields and nested messages, written into growable buffers and read back
 * from memory.  No schema compiler: the pprof writer and reader spell out
 * their field numbers.
 */
#ifndef PROFILER_PROTOBUF_H
#define PROFILER_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb_buf {
	uint8_t *data;
	size_t len, cap;
};

void pb_varint(struct pb_buf *b, uint64_t v);
/* A varint field; zero is written too (proto3 would skip it: harmless). */
void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
void pb_string(struct pb_buf *b, uint32_t field, const char *s);
/* A nested message, encoded into its own buffer first. */
void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg);
void pb_reset(struct pb_buf *b);
void pb_free(struct pb_buf *b);

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

struct pb_reader {
	const uint8_t *p, *end;
	bool bad;		/* truncated or malformed input was met */
};

/* The next field's number and wire type; false at the end or on bad input. */
bool pb_next(struct pb_reader *r, uint32_t *field, int *wire);
uint64_t pb_read_varint(struct pb_reader *r);
/* A length-delimited field as a reader of its own. */
struct pb_reader pb_read_len(struct pb_reader *r);
/* Skip a field's value of this wire type. */
void pb_skip(struct pb_reader *r, int wire);
/*
 * A message of scalar fields only: the varint of field i (1 <= i < n) into
 * v[i], the last one seen wins; other fields are skipped.
 */
void pb_read_scalars(struct pb_reader r, uint64_t *v, uint32_t n);
/*
 * A repeated integer field, packed (PB_LEN) or not (PB_VARINT): appends
 * its values to *v.
 */
void pb_read_ints(struct pb_reader *r, int wire, uint64_t **v, size_t *n, size_t *cap);

#endif /* PROFILER_PROTOBUF_H */
