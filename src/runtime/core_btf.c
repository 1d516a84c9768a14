// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/btf.h>

#include "runtime/core_btf.h"
#include "util/util.h"

#define CORE_BTF_PREFIX	"btf.v1-"
#define FOOTER_MAGIC	"PRFBTF1"

struct footer {
	char magic[8];
	char boot_id[40];
	uint64_t obj_hash;
	uint64_t btf_size;
	uint64_t btf_hash;
};

/* .BTF.ext as clang writes it (libbpf keeps its own definition private) */
struct btf_ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};

static bool section(Elf *e, const char *want, Elf_Data **out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(e, &shstrndx))
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return false;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && !strcmp(name, want)) {
			*out = elf_getdata(scn, NULL);
			return *out && (*out)->d_buf;
		}
	}
	return false;
}

/* Whether a relocation of this kind is answered the same by the cut BTF. */
static bool kind_supported(uint32_t kind)
{
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
	case BPF_CORE_FIELD_BYTE_SIZE:
	case BPF_CORE_FIELD_EXISTS:
	case BPF_CORE_FIELD_SIGNED:
	case BPF_CORE_FIELD_LSHIFT_U64:
	case BPF_CORE_FIELD_RSHIFT_U64:
	case BPF_CORE_TYPE_ID_LOCAL:
	case BPF_CORE_ENUMVAL_EXISTS:
	case BPF_CORE_ENUMVAL_VALUE:
		return true;
	}
	return false;
}

/*
 * The local root types of the object's relocations, as names without
 * their ___flavour suffix; false if a relocation needs more than the cut.
 */
static bool relocation_roots(Elf *e, struct btf **local, char ***names, size_t *n)
{
	const struct btf_ext_hdr *h;
	Elf_Data *bd, *xd;
	const char *p, *end;
	uint32_t rec_size;
	size_t cap = 0;

	*n = 0;
	if (!section(e, ".BTF", &bd) || !section(e, ".BTF.ext", &xd))
		return false;
	*local = btf__new(bd->d_buf, bd->d_size);
	if (!*local)
		return false;
	h = xd->d_buf;
	if (xd->d_size < sizeof(*h) || h->magic != 0xeB9F || h->hdr_len < sizeof(*h) ||
	    (uint64_t)h->hdr_len + h->core_relo_off + h->core_relo_len > xd->d_size)
		return false;
	p = (const char *)xd->d_buf + h->hdr_len + h->core_relo_off;
	end = p + h->core_relo_len;
	if (h->core_relo_len < 4)
		return h->core_relo_len == 0;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < sizeof(struct bpf_core_relo))
		return false;
	while (p + 8 <= end) {
		uint32_t num;

		memcpy(&num, p + 4, 4);
		p += 8;
		if ((uint64_t)num * rec_size > (uint64_t)(end - p))
			return false;
		for (uint32_t i = 0; i < num; i++, p += rec_size) {
			struct bpf_core_relo r;
			const struct btf_type *t;
			const char *name;
			size_t len, k;

			memcpy(&r, p, sizeof(r));
			if (!kind_supported(r.kind))
				return false;
			if (r.kind == BPF_CORE_TYPE_ID_LOCAL)
				continue;
			t = btf__type_by_id(*local, r.type_id);
			name = t ? btf__name_by_offset(*local, t->name_off) : NULL;
			if (!name || !*name)
				return false;
			len = strstr(name, "___") ? (size_t)(strstr(name, "___") - name) : strlen(name);
			for (k = 0; k < *n && (strlen((*names)[k]) != len || strncmp((*names)[k], name, len)); k++)
				;
			if (k == *n) {
				GROW(*names, cap, *n + 1);
				(*names)[*n] = xcalloc(len + 1, 1);
				memcpy((*names)[(*n)++], name, len);
			}
		}
	}
	return p == end;
}

/*
 * Call fn on each type id t embeds: members, array element and index, what
 * a typedef or qualifier names.  Pointers embed nothing (the cut stops
 * there), nor do scalars; false for a kind no type embeds.
 */
static bool for_each_embedded(struct btf_type *t, void (*fn)(__u32 *id, void *arg), void *arg)
{
	if (btf_is_composite(t)) {
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			fn(&btf_members(t)[i].type, arg);
	} else if (btf_is_array(t)) {
		fn(&btf_array(t)->type, arg);
		fn(&btf_array(t)->index_type, arg);
	} else if (btf_is_mod(t) || btf_is_typedef(t)) {
		fn(&t->type, arg);
	} else if (!btf_is_ptr(t) && !btf_is_int(t) && !btf_is_float(t) && !btf_is_any_enum(t) &&
		   !btf_is_fwd(t)) {
		return false;
	}
	return true;
}

struct walk {
	__u32 *stack;
	size_t n, cap;
};

static void push(__u32 *id, void *arg)
{
	struct walk *w = arg;

	GROW(w->stack, w->cap, w->n + 1);
	w->stack[w->n++] = *id;
}

/* Mark root and what it embeds. */
static bool keep_closure(const struct btf *vm, __u32 root, bool *keep)
{
	struct walk w = { 0 };
	__u32 cnt = btf__type_cnt(vm);
	bool ok = true;

	push(&root, &w);
	while (w.n && ok) {
		__u32 id = w.stack[--w.n];

		if (!id || (id < cnt && keep[id]))
			continue;
		ok = id < cnt;
		if (!ok)
			break;
		keep[id] = true;
		/* only read: for_each_embedded takes writable types for remap() */
		ok = for_each_embedded((struct btf_type *)btf__type_by_id(vm, id), push, &w);
	}
	free(w.stack);
	return ok;
}

static void renumber(__u32 *id, void *arg)
{
	*id = ((const uint32_t *)arg)[*id];
}

/* Point what the copied types reference at the copies. */
static void remap(struct btf *out, uint32_t *new_id)
{
	for (uint32_t i = 1; i < btf__type_cnt(out); i++) {
		/* the types were copied into out's own, writable, memory */
		struct btf_type *t = (struct btf_type *)btf__type_by_id(out, i);

		if (btf_is_ptr(t))
			t->type = 0;	/* void: field relocations ask only for a pointer */
		else
			for_each_embedded(t, renumber, new_id);
	}
}

struct btf *core_btf_minimize(const void *elf, size_t size, const struct btf *vm)
{
	struct btf *local = NULL, *out = NULL;
	uint32_t cnt = btf__type_cnt(vm), *new_id = NULL;
	char **names = NULL;
	size_t nnames = 0;
	bool *keep = NULL, *found = NULL, ok;
	Elf *e;

	elf_version(EV_CURRENT);
	e = elf_memory((char *)elf, size);
	if (!e)
		return NULL;
	ok = relocation_roots(e, &local, &names, &nnames);
	keep = xcalloc(cnt, sizeof(*keep));
	found = xcalloc(nnames + 1, sizeof(*found));
	/* every kernel type named as a root: libbpf picks among them all */
	for (uint32_t id = 1; ok && id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(vm, id);
		const char *name = btf__name_by_offset(vm, t->name_off);

		/* functions and variables are never relocation targets */
		if (!name || !*name || btf_is_func(t) || btf_is_var(t) || btf_is_datasec(t) ||
		    btf_is_decl_tag(t) || btf_is_func_proto(t))
			continue;
		for (size_t k = 0; k < nnames; k++) {
			if (strcmp(name, names[k]))
				continue;
			found[k] = true;
			ok = keep_closure(vm, id, keep);
		}
	}
	for (size_t k = 0; ok && k < nnames; k++)
		ok = found[k];	/* else libbpf would look in module BTF */
	if (ok) {
		new_id = xcalloc(cnt, sizeof(*new_id));
		out = btf__new_empty();
		for (uint32_t id = 1; out && id < cnt; id++) {
			int r;

			if (!keep[id])
				continue;
			r = btf__add_type(out, vm, btf__type_by_id(vm, id));
			if (r < 0) {
				btf__free(out);
				out = NULL;
				break;
			}
			new_id[id] = (uint32_t)r;
		}
		if (out)
			remap(out, new_id);
	}
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	free(keep);
	free(found);
	free(new_id);
	btf__free(local);
	elf_end(e);
	return out;
}

static uint64_t btf_hash(const void *data, size_t size)
{
	return hash_bytes(data, size, 0x62746631);
}

/* The checked BTF of a cache file, or NULL. */
static void *read_cached(const char *path, const struct footer *want, size_t *size)
{
	struct footer f;
	struct stat st;
	char *data = NULL;
	size_t len;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	/* only a file root wrote and nobody else may change */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
	    (size_t)st.st_size <= sizeof(f) || st.st_size > (64 << 20))
		goto out;
	len = (size_t)st.st_size - sizeof(f);
	data = xmalloc(len);
	if (pread(fd, data, len, 0) != (ssize_t)len ||
	    pread(fd, &f, sizeof(f), (off_t)len) != (ssize_t)sizeof(f) ||
	    memcmp(f.magic, want->magic, sizeof(f.magic)) ||
	    memcmp(f.boot_id, want->boot_id, sizeof(f.boot_id)) || f.obj_hash != want->obj_hash ||
	    f.btf_size != len || f.btf_hash != btf_hash(data, len)) {
		free(data);
		data = NULL;
	}
	*size = len;
out:
	close(fd);
	return data;
}

static void write_cached(const char *dir, const char *path, const void *data, size_t size,
			 struct footer *f)
{
	char tmp[PATH_MAX + 16];
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	f->btf_size = size;
	f->btf_hash = btf_hash(data, size);
	if (write(fd, data, size) != (ssize_t)size || write(fd, f, sizeof(*f)) != (ssize_t)sizeof(*f) ||
	    close(fd) || rename(tmp, path))
		unlink(tmp);
}

int core_btf_fd(const char *dir, const void *elf, size_t size)
{
	struct footer f = { .magic = FOOTER_MAGIC };
	char path[PATH_MAX];
	void *data;
	size_t len = 0;
	int fd = -1;

	if (!boot_id(f.boot_id, sizeof(f.boot_id)))
		return -1;
	f.obj_hash = hash_bytes(elf, size, 0);
	snprintf(path, sizeof(path), "%s/" CORE_BTF_PREFIX "%s-%016llx", dir, f.boot_id,
		 (unsigned long long)f.obj_hash);

	data = read_cached(path, &f, &len);
	if (!data) {
		struct btf *vm = btf__load_vmlinux_btf(), *min = NULL;
		const void *raw;
		__u32 raw_size;

		if (vm)
			min = core_btf_minimize(elf, size, vm);
		raw = min ? btf__raw_data(min, &raw_size) : NULL;
		if (raw) {
			write_cached(dir, path, raw, raw_size, &f);
			len = raw_size;
			data = xmalloc(len);
			memcpy(data, raw, len);
		}
		btf__free(min);
		btf__free(vm);
	}
	/* libbpf reads a path: give it the bytes just checked, not the file */
	if (data) {
		fd = memfd_create("profiler-btf", MFD_CLOEXEC);
		if (fd >= 0 && write(fd, data, len) != (ssize_t)len) {
			close(fd);
			fd = -1;
		}
	}
	free(data);
	return fd;
}
