// SPDX-License-Identifier: GPL-2.0
/*
 * profiler latency's SPECs.  A user function's file is opened through
 * the target's own mappings (/proc/PID/map_files, else its root), so a
 * process in a container gets its own copy of a library; the uprobes then
 * go on that file by its open descriptor.  System call names are libseccomp's
 * table for the running architecture.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>
#include <seccomp.h>

#include "collectors/latency_spec.h"
#include "symbol/elf_segs.h"
#include "symbol/proc_maps.h"
#include "util/root_open.h"
#include "util/util.h"

int lat_syscall_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	/* negative pseudo-numbers name calls this architecture does not have */
	return nr == __NR_SCMP_ERROR || nr < 0 ? -1 : nr;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* "libc" names libc.so.6 and libc-2.31.so; "libssl" libssl.so.3; "c" too. */
static bool lib_matches(const char *path, const char *lib)
{
	const char *b = base_name(path);
	size_t n = strlen(lib);

	if (!strncmp(b, "lib", 3) && strncmp(lib, "lib", 3) && !strncmp(b + 3, lib, n) &&
	    (!strncmp(b + 3 + n, ".so", 3) || b[3 + n] == '-'))
		return true;
	return !strcmp(b, lib) ||
	       (!strncmp(b, lib, n) && (!strncmp(b + n, ".so", 3) || b[n] == '-'));
}

/* Open the library lib as the target maps it: an fd, or -errno. */
static int open_mapped_lib(const struct lat_target *t, const char *lib, char *path, size_t size)
{
	uint32_t pid = t->pid ? (uint32_t)t->pid : (uint32_t)getpid();
	struct proc_map *maps = NULL;
	size_t n = 0;
	int fd = -ENOENT, err;

	err = proc_maps_read(pid, &maps, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && fd == -ENOENT; i++) {
		if (maps[i].kind != MAP_FILE || !maps[i].path || !lib_matches(maps[i].path, lib))
			continue;
		snprintf(path, size, "%s", maps[i].path);
		fd = proc_map_open(pid, &maps[i]);
		if (fd < 0)
			fd = -errno;
	}
	proc_maps_free(maps, n);
	return fd;
}

static int open_file(const struct lat_target *t, const char *file, char *path, size_t size)
{
	char root[64];
	int fd;

	snprintf(path, size, "%s", file);
	if (!t->pid)
		fd = open(file, O_RDONLY | O_CLOEXEC);
	else {
		snprintf(root, sizeof(root), "/proc/%d/root", t->pid);
		fd = root_open(root, file, O_RDONLY);
	}
	return fd < 0 ? -errno : fd;
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static struct lat_func *add(struct lat_funcs *fs, enum lat_kind kind, const char *name,
			    const char *file)
{
	struct lat_func *f;

	GROW(fs->v, fs->cap, fs->n + 1);
	f = &fs->v[fs->n++];
	*f = (struct lat_func){ .kind = kind, .name = xstrdup(name), .file = xstrdup(file),
				.fd = -1, .nr = -1 };
	return f;
}

static bool taken(const struct lat_funcs *fs, size_t first, uint64_t off)
{
	for (size_t j = first; j < fs->n; j++)
		if (fs->v[j].offset == off)
			return true;
	return false;
}

/*
 * The library a symbol that elf only imports comes from, as its version
 * needs name it (malloc@GLIBC_2.2.5 -> "libc.so.6"), or "" when it is
 * imported without a version; NULL when elf does not import name.  For
 * the message of a function asked of a program that only calls it.
 */
static const char *imported_from(Elf *elf, const char *name)
{
	Elf_Data *syms = NULL, *vers = NULL, *need = NULL;
	size_t strs = 0, need_strs = 0, nsyms = 0;
	Elf_Scn *scn = NULL;
	GElf_Half ver = 0;
	bool found = false;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM && sh.sh_entsize) {
			syms = elf_getdata(scn, NULL);
			strs = sh.sh_link;
			nsyms = sh.sh_size / sh.sh_entsize;
		} else if (sh.sh_type == SHT_GNU_versym) {
			vers = elf_getdata(scn, NULL);
		} else if (sh.sh_type == SHT_GNU_verneed) {
			need = elf_getdata(scn, NULL);
			need_strs = sh.sh_link;
		}
	}
	for (size_t i = 0; syms && i < nsyms && !found; i++) {
		const char *n;
		GElf_Sym sym;

		if (!gelf_getsym(syms, i, &sym) || sym.st_shndx != SHN_UNDEF ||
		    !(n = elf_strptr(elf, strs, sym.st_name)) || strcmp(n, name))
			continue;
		found = true;
		if (vers && !gelf_getversym(vers, i, &ver))
			ver = 0;
	}
	if (!found)
		return NULL;
	/* each needed file lists its versions; ours is the one numbered ver */
	for (int off = 0, n = 0; need && ver > 1 && n < 256; n++) {
		GElf_Verneed vn;
		int aoff;

		if (!gelf_getverneed(need, off, &vn))
			break;
		aoff = off + vn.vn_aux;
		for (unsigned int a = 0; a < vn.vn_cnt && a < 256; a++) {
			GElf_Vernaux va;
			const char *file;

			if (!gelf_getvernaux(need, aoff, &va))
				break;
			if ((va.vna_other & 0x7fff) == (ver & 0x7fff) &&
			    (file = elf_strptr(elf, need_strs, vn.vn_file)))
				return file;
			if (!va.vna_next)
				break;
			aoff += va.vna_next;
		}
		if (!vn.vn_next)
			break;
		off += vn.vn_next;
	}
	return "";
}

/*
 * The functions of the ELF file at fd named pat (a glob or a name) into
 * fs, each address once (aliases such as getpid and __getpid are one
 * function, named as first found).  Both symbol tables are read, weak and
 * aliased names included: elf_syms keeps one name per address.  How many
 * matched, or -errno.
 */
static long add_user_funcs(struct lat_funcs *fs, int fd, const char *path, const char *pat,
			   const char *spec, unsigned int max_glob)
{
	struct elf_seg *segs = NULL;
	size_t nsegs, first = fs->n;
	Elf_Scn *scn = NULL;
	const char *lib;
	long found = 0;
	int own = -1;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE || !(elf = elf_begin(fd, ELF_C_READ_MMAP, NULL))) {
		pr_err("cannot read %s for '%s': %s (is it an ELF file?)", path, spec,
		       elf_errmsg(-1));
		return -ENOEXEC;
	}
	nsegs = elf_segs_read(elf, &segs);
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;
			uint64_t off;
			GElf_Sym sym;
			int type;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    !(name = elf_strptr(elf, sh.sh_link, sym.st_name)) || fnmatch(pat, name, 0) ||
			    !elf_segs_addr_to_offset(segs, nsegs, sym.st_value, &off) ||
			    taken(fs, first, off))
				continue;
			if (++found > max_glob)
				continue;	/* counted for the message */
			/* one descriptor of the file for all its functions: the first owns it */
			if (own < 0 && (own = dup(fd)) < 0)
				break;
			add(fs, LAT_USER, name, base_name(path))->fd = own;
			fs->v[fs->n - 1].offset = off;
			fs->v[fs->n - 1].owns_fd = found == 1;
		}
	}
	free(segs);
	if (!found && !is_glob(pat) && (lib = imported_from(elf, pat))) {
		/* libc.so.6 -> libc: the FILE: form names a mapped library so */
		char stem[256];

		snprintf(stem, sizeof(stem), "%.*s", (int)strcspn(lib, "."), lib);
		if (*lib)
			pr_err("'%s' is not in %s, which calls it from %s: give %s:%s", pat, path,
			       lib, stem, pat);
		else
			pr_err("'%s' is not in %s, which calls it from a shared library: give "
			       "LIB:%s (ldd %s lists them)", pat, path, pat, path);
		elf_end(elf);
		return -ENOENT;
	}
	elf_end(elf);
	if (found && own < 0) {
		pr_err("cannot keep %s open: %s", path, strerror(errno));
		return -EMFILE;
	}
	if (!found) {
		pr_err("no function %s '%s' in %s: check the name (nm -D %s) or give FILE:FUNC",
		       is_glob(pat) ? "matches" : "named", pat, path, path);
		return -ENOENT;
	}
	if (found > max_glob) {
		pr_err("'%s' matches %ld functions in %s, more than the %u one spec may time: "
		       "narrow the pattern or raise --max-funcs", spec, found, path, max_glob);
		return -E2BIG;
	}
	return found;
}

int lat_spec_add(struct lat_funcs *fs, const char *spec, const struct lat_target *t,
		 unsigned int max_glob)
{
	const char *colon = strchr(spec, ':'), *func = spec;
	char file[4096] = "", path[4096];
	long got;
	int fd;

	/* C++ names have "::": not a FILE: prefix */
	while (colon && colon[1] == ':')
		colon = strchr(colon + 2, ':');
	if (colon) {
		if ((size_t)(colon - spec) >= sizeof(file)) {
			pr_err("invalid spec '%s': the file name is too long", spec);
			return -EINVAL;
		}
		memcpy(file, spec, colon - spec);
		file[colon - spec] = '\0';
		func = colon + 1;
	}
	if (!*func || (colon && !file[0])) {
		pr_err("invalid spec '%s': give FUNC, FILE:FUNC, LIB:FUNC, syscall:NAME or kernel:FUNC",
		       spec);
		return -EINVAL;
	}
	if (!strcmp(file, "syscall")) {
		int nr = lat_syscall_nr(func);

		if (nr < 0) {
			pr_err("no system call named '%s' on this architecture: see syscalls(2) for "
			       "the names", func);
			return -ENOENT;
		}
		add(fs, LAT_SYSCALL, func, "syscall")->nr = nr;
		return 0;
	}
	if (!strcmp(file, "kernel")) {
		if (is_glob(func)) {
			pr_err("invalid spec '%s': kernel functions are named one by one, not by glob",
			       spec);
			return -EINVAL;
		}
		add(fs, LAT_KERNEL, func, "kernel");
		return 0;
	}
	if (!file[0]) {
		if (!t->exe) {
			pr_err("'%s' is looked for in the target's program, and there is none: give "
			       "-p PID or -- COMMAND, or FILE:%s", spec, spec);
			return -EINVAL;
		}
		snprintf(path, sizeof(path), "%s", t->exe_name ? t->exe_name : t->exe);
		fd = open(t->exe, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	} else if (strchr(file, '/')) {
		fd = open_file(t, file, path, sizeof(path));
	} else {
		fd = open_mapped_lib(t, file, path, sizeof(path));
		if (fd == -ENOENT) {
			pr_err("no library '%s' in the mappings of %s: give its path, as "
			       "/usr/lib/x86_64-linux-gnu/%s.so:%s", file,
			       t->pid ? "the target" : "the profiler (the command's are not loaded yet)",
			       file, func);
			return fd;
		}
	}
	if (fd < 0) {
		pr_err("cannot open %s for '%s': %s", path, spec, strerror(-fd));
		return fd;
	}
	got = add_user_funcs(fs, fd, path, func, spec, max_glob);
	close(fd);
	return got < 0 ? (int)got : 0;
}

void lat_funcs_free(struct lat_funcs *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].name);
		free(fs->v[i].file);
		if (fs->v[i].owns_fd)
			close(fs->v[i].fd);
	}
	free(fs->v);
	*fs = (struct lat_funcs){};
}
