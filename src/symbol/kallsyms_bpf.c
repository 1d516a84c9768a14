// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "symbol/kallsyms_bpf.h"
#include "util/util.h"

/* the kernel's KSYM_NAME_LEN since 6.1 */
#define KSYM_NAME_MAX 512

/* One program's functions, as bpf_prog_get_info_by_fd() gives them. */
struct prog_funcs {
	__u64 *starts;
	__u32 *lens;
	__u8 (*tags)[KSYM_BPF_TAG_SIZE];
	struct bpf_func_info *finfo;
	__u32 cap;
};

static void funcs_room(struct prog_funcs *pf, __u32 cap)
{
	pf->cap = cap;
	pf->starts = xrealloc(pf->starts, cap * sizeof(*pf->starts));
	pf->lens = xrealloc(pf->lens, cap * sizeof(*pf->lens));
	pf->tags = xrealloc(pf->tags, cap * sizeof(*pf->tags));
	pf->finfo = xrealloc(pf->finfo, cap * sizeof(*pf->finfo));
}

static void add_prog(struct ksyms_bpf *kb, size_t *cap, int fd, struct prog_funcs *pf)
{
	struct bpf_prog_info info;
	__u32 len, n;

	for (;;) {
		memset(pf->starts, 0, pf->cap * sizeof(*pf->starts));
		memset(pf->lens, 0, pf->cap * sizeof(*pf->lens));
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		info.nr_jited_ksyms = pf->cap;
		info.jited_ksyms = (__u64)(unsigned long)pf->starts;
		info.nr_jited_func_lens = pf->cap;
		info.jited_func_lens = (__u64)(unsigned long)pf->lens;
		info.nr_prog_tags = pf->cap;
		info.prog_tags = (__u64)(unsigned long)pf->tags;
		info.nr_func_info = pf->cap;
		info.func_info_rec_size = sizeof(*pf->finfo);
		info.func_info = (__u64)(unsigned long)pf->finfo;
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return;	/* gone since it was listed */
		n = MAX(MAX(info.nr_jited_ksyms, info.nr_jited_func_lens),
			MAX(info.nr_prog_tags, info.nr_func_info));
		if (n <= pf->cap)
			break;
		funcs_room(pf, n);
	}
	/* addresses hidden from us (kptr_restrict) come back as 0 */
	for (__u32 i = 0; i < info.nr_jited_ksyms && i < info.nr_jited_func_lens; i++) {
		struct ksym_bpf_func *f;

		if (!pf->starts[i] || !pf->lens[i] || i >= info.nr_prog_tags)
			continue;	/* not JIT-compiled: the interpreter runs it */
		GROW(kb->funcs, *cap, kb->n + 1);
		f = &kb->funcs[kb->n++];
		memset(f, 0, sizeof(*f));
		f->start = pf->starts[i];
		f->len = pf->lens[i];
		/* the first function is the program itself, in kallsyms under the
		 * program's tag (jit_subprogs() leaves it to bpf_prog_load()), which
		 * is not the tag of its first function alone */
		memcpy(f->tag, i ? pf->tags[i] : info.tag, sizeof(f->tag));
		/* the kernel names a function from its BTF when the program has func info */
		if (i < info.nr_func_info) {
			f->btf_id = info.btf_id;
			f->type_id = pf->finfo[i].type_id;
		}
		memcpy(f->prog_name, info.name, sizeof(f->prog_name));
		f->prog_name[sizeof(f->prog_name) - 1] = '\0';
	}
}

static int cmp_start(const void *a, const void *b)
{
	const struct ksym_bpf_func *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

struct ksyms_bpf *ksyms_bpf_load(void)
{
	struct ksyms_bpf *kb = xcalloc(1, sizeof(*kb));
	struct prog_funcs pf = { 0 };
	size_t cap = 0;
	__u32 id = 0;
	int err;

	funcs_room(&pf, 16);
	while (!(err = bpf_prog_get_next_id(id, &id))) {
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;	/* unloaded since it was listed */
		add_prog(kb, &cap, fd, &pf);
		close(fd);
	}
	free(pf.starts);
	free(pf.lens);
	free(pf.tags);
	free(pf.finfo);
	if (err != -ENOENT) {	/* not the end of the list: refused (EPERM) */
		ksyms_bpf_free(kb);
		errno = -err;
		return NULL;
	}
	if (kb->n)
		qsort(kb->funcs, kb->n, sizeof(*kb->funcs), cmp_start);
	return kb;
}

const char *ksyms_bpf_name(const uint8_t tag[KSYM_BPF_TAG_SIZE], const char *name, char *buf,
			   size_t size)
{
	int o = snprintf(buf, size, "bpf_prog_");

	for (int i = 0; i < KSYM_BPF_TAG_SIZE && o >= 0 && (size_t)o < size; i++)
		o += snprintf(buf + o, size - o, "%02x", tag[i]);
	/* as bpf_prog_ksym_set_name(): no name, no underscore */
	if (name && *name && o >= 0 && (size_t)o < size)
		snprintf(buf + o, size - o, "_%s", name);
	return buf;
}

/* The function's name as the kernel made it, or NULL where it cannot be told. */
static char *make_name(const struct ksym_bpf_func *f)
{
	char buf[KSYM_NAME_MAX];
	const char *name = f->prog_name;
	struct btf *btf = NULL;

	if (f->type_id) {
		const struct btf_type *t;

		btf = btf__load_from_kernel_by_id(f->btf_id);
		t = btf ? btf__type_by_id(btf, f->type_id) : NULL;
		name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
		if (!name) {
			btf__free(btf);
			return NULL;
		}
	}
	ksyms_bpf_name(f->tag, name, buf, sizeof(buf));
	btf__free(btf);
	return xstrdup(buf);
}

const char *ksyms_bpf_lookup(struct ksyms_bpf *kb, uint64_t addr)
{
	size_t lo = 0, hi = kb->n;
	struct ksym_bpf_func *f;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (kb->funcs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	f = &kb->funcs[lo - 1];
	if (addr - f->start >= f->len)
		return NULL;
	if (!f->named) {
		f->name = make_name(f);
		f->named = true;
	}
	return f->name;
}

void ksyms_bpf_free(struct ksyms_bpf *kb)
{
	if (!kb)
		return;
	for (size_t i = 0; i < kb->n; i++)
		free(kb->funcs[i].name);
	free(kb->funcs);
	free(kb);
}
