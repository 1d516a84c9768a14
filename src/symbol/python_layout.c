// SPDX-License-Identifier: GPL-2.0
/*
 * CPython's layout: the interpreter in an ELF file, and the offsets of
 * the fields the BPF walker reads, from DWARF or from a table.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbol/elf_segs.h"
#include "symbol/python_layout.h"
#include "util/util.h"

/* The value of a 4-byte object at ELF address addr, read from the file. */
static int read_u32_at(Elf *elf, uint64_t addr, uint32_t *out)
{
	struct elf_seg *segs = NULL;
	size_t nsegs = elf_segs_read(elf, &segs), size;
	uint64_t off;
	char *img;
	int err = -ENOENT;

	img = elf_rawfile(elf, &size);
	if (img && elf_segs_addr_to_offset(segs, nsegs, addr, &off) && off + 4 <= size) {
		memcpy(out, img + off, 4);
		err = 0;
	}
	free(segs);
	return err;
}

int python_elf_probe(int fd, uint64_t *runtime, uint64_t *code_type, uint32_t *version)
{
	uint64_t rt = 0, ver = 0, ct = 0;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int err = -ENOENT;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOENT;
	/* the symbols are exported: .dynsym has them even in a stripped file */
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    !(name = elf_strptr(elf, sh.sh_link, sym.st_name)))
				continue;
			if (!strcmp(name, "_PyRuntime"))
				rt = sym.st_value;
			else if (!strcmp(name, "Py_Version"))
				ver = sym.st_value;
			else if (!strcmp(name, "PyCode_Type"))
				ct = sym.st_value;
		}
	}
	if (rt) {
		uint32_t v = 0;

		*runtime = rt;
		*code_type = ct;
		*version = ver && !read_u32_at(elf, ver, &v) ? v : 0;
		err = 0;
	}
	elf_end(elf);
	return err;
}

/* ---- DWARF ---- */

enum {
	T_RUNTIME, T_INTERP, T_TSTATE, T_CFRAME, T_FRAME, T_CODE, T_ASCII, T_COMPACT, T_BYTES,
	T_VAR, T_MAX
};

/* The types by the names C gives them: a struct tag, else a typedef's. */
static const char *const type_names[T_MAX] = {
	[T_RUNTIME] = "pyruntimestate", [T_INTERP] = "_is", [T_TSTATE] = "_ts",
	[T_CFRAME] = "_PyCFrame", [T_FRAME] = "_PyInterpreterFrame", [T_CODE] = "PyCodeObject",
	[T_ASCII] = "PyASCIIObject", [T_COMPACT] = "PyCompactUnicodeObject",
	[T_BYTES] = "PyBytesObject", [T_VAR] = "PyVarObject",
};

/* A typedef's (or const's) target, down to the structure. */
static bool strip_to_struct(Dwarf_Die *die)
{
	for (int i = 0; i < 8; i++) {
		Dwarf_Attribute a;

		if (dwarf_tag(die) == DW_TAG_structure_type)
			return !dwarf_hasattr(die, DW_AT_declaration);
		if (dwarf_tag(die) != DW_TAG_typedef && dwarf_tag(die) != DW_TAG_const_type &&
		    dwarf_tag(die) != DW_TAG_volatile_type)
			return false;
		if (!dwarf_attr(die, DW_AT_type, &a) || !dwarf_formref_die(&a, die))
			return false;
	}
	return false;
}

/* The offset of member path ("interpreters.head") in struct st, or -1. */
static long member_off(Dwarf_Die *st, const char *path)
{
	Dwarf_Die s = *st, child;
	long total = 0;
	char buf[64], *save = NULL, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
		bool found = false;

		if (!strip_to_struct(&s) || dwarf_child(&s, &child))
			return -1;
		do {
			Dwarf_Attribute a;
			Dwarf_Word off;
			const char *n = dwarf_diename(&child);

			if (dwarf_tag(&child) != DW_TAG_member || !n || strcmp(n, part))
				continue;
			if (!dwarf_attr(&child, DW_AT_data_member_location, &a) ||
			    dwarf_formudata(&a, &off))
				return -1;
			total += off;
			if (!dwarf_attr(&child, DW_AT_type, &a) || !dwarf_formref_die(&a, &s))
				return -1;
			found = true;
			break;
		} while (!dwarf_siblingof(&child, &child));
		if (!found)
			return -1;
	}
	return total;
}

static bool find_types(Dwarf *dw, Dwarf_Die found[T_MAX])
{
	bool have[T_MAX] = { 0 };
	int left = T_MAX;
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (left && !dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, d;

		if (dwarf_offdie(dw, off + hsize, &cu) && !dwarf_child(&cu, &d)) {
			do {
				int tag = dwarf_tag(&d);
				const char *n;

				if (tag != DW_TAG_structure_type && tag != DW_TAG_typedef)
					continue;
				n = dwarf_diename(&d);
				for (int t = 0; n && t < T_MAX; t++) {
					Dwarf_Die s = d;

					if (have[t] || strcmp(n, type_names[t]) || !strip_to_struct(&s))
						continue;
					found[t] = s;
					have[t] = true;
					left--;
				}
			} while (left && !dwarf_siblingof(&d, &d));
		}
		off = next;
	}
	return !left;
}

int python_layout_dwarf(int fd, struct py_layout *l)
{
	static const struct {
		int type;
		const char *path;
		size_t field;
	} fields[] = {
#define F(t, p, f) { t, p, offsetof(struct py_layout, f) }
		F(T_RUNTIME, "interpreters.head", runtime_interp_head),
		F(T_INTERP, "threads.head", interp_threads_head),
		F(T_TSTATE, "next", tstate_next),
		F(T_TSTATE, "native_thread_id", tstate_native_tid),
		F(T_TSTATE, "cframe", tstate_cframe),
		F(T_CFRAME, "current_frame", cframe_current),
		F(T_CFRAME, "previous", cframe_previous),
		F(T_FRAME, "f_code", frame_code),
		F(T_FRAME, "previous", frame_previous),
		F(T_FRAME, "prev_instr", frame_prev_instr),
		F(T_FRAME, "is_entry", frame_is_entry),
		F(T_FRAME, "owner", frame_owner),
		F(T_CODE, "co_firstlineno", code_firstlineno),
		F(T_CODE, "co_filename", code_filename),
		F(T_CODE, "co_qualname", code_qualname),
		F(T_CODE, "co_linetable", code_linetable),
		F(T_CODE, "co_code_adaptive", code_adaptive),
		F(T_CODE, "ob_base.ob_base.ob_type", code_ob_type),
		F(T_ASCII, "length", str_length),
		F(T_ASCII, "hash", str_hash),
		F(T_ASCII, "state", str_state),
		F(T_VAR, "ob_size", bytes_size),
		F(T_BYTES, "ob_sval", bytes_data),
#undef F
	};
	Dwarf_Die types[T_MAX];
	Dwarf_Word ascii, compact;
	Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
	int err = -ENOENT;

	if (!dw)
		return -ENOENT;
	memset(l, 0, sizeof(*l));
	if (!find_types(dw, types))
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		long off = member_off(&types[fields[i].type], fields[i].path);

		if (off < 0 || off > 0xffff)
			goto out;
		*(__u16 *)((char *)l + fields[i].field) = off;
	}
	if (dwarf_aggregate_size(&types[T_ASCII], &ascii) ||
	    dwarf_aggregate_size(&types[T_COMPACT], &compact))
		goto out;
	l->str_ascii_data = ascii;
	l->str_compact_data = compact;
	l->frame_span = MAX(l->frame_code, MAX(l->frame_previous,
			    MAX(l->frame_prev_instr, l->frame_is_entry))) + 8;
	l->code_span = MAX(l->code_firstlineno, MAX(l->code_filename,
			   MAX(l->code_qualname, l->code_linetable))) + 8;
	err = 0;
out:
	dwarf_end(dw);
	return err;
}

/* ---- the table ---- */

/*
 * x86-64, from the DWARF of Debian 12's python3.11 (3.11.2,
 * python3.11-dbg); tests/unit/test_python.c checks it against that DWARF.
 * Other versions are not here until they can be checked the same way.
 */
static const struct py_layout layout_311 = {
	.runtime_interp_head = 40, .interp_threads_head = 16,
	.tstate_next = 8, .tstate_native_tid = 160, .tstate_cframe = 56, .cframe_current = 8,
	.cframe_previous = 16,
	.frame_code = 32, .frame_previous = 48, .frame_prev_instr = 56, .frame_is_entry = 68,
	.frame_owner = 69,
	.code_firstlineno = 72, .code_filename = 112, .code_qualname = 128, .code_linetable = 136,
	.code_adaptive = 184, .code_ob_type = 8,
	.str_length = 16, .str_hash = 24, .str_state = 32, .str_ascii_data = 48,
	.str_compact_data = 72, .bytes_size = 16, .bytes_data = 32,
	.frame_span = 76, .code_span = 144,
};

int python_layout_table(uint32_t version, struct py_layout *l)
{
#if defined(__x86_64__)
	if ((version >> 16) == 0x030b) {
		*l = layout_311;
		return 0;
	}
#endif
	return -ENOTSUP;
}
