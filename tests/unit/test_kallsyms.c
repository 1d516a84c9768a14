// SPDX-License-Identifier: GPL-2.0
#include "testutil.h"
#include <unistd.h>
#include <bpf/bpf.h>

#include "symbol/kallsyms.h"
#include "symbol/kallsyms_bpf.h"
#include "util/util.h"

static const char sample[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81001000 t do_one_initcall\n"
	"ffffffff81002000 D some_data\n"
	"ffffffff81003000 T vfs_read\n"
	"ffffffff81003800 W weak_fn\n"
	"ffffffffc0001000 t ext4_read_folio\t[ext4]\n"
	"ffffffffc0002000 T ext4_file_read_iter\t[ext4]\n"
	"0000000000000000 T hidden\n"
	"garbage line\n";

static struct ksyms *load(void)
{
	return ksyms_parse(xstrdup(sample));
}

static void test_lookup_exact_and_inside(void **state)
{
	struct ksyms *ks = load();
	struct ksym s;

	assert_true(ksyms_lookup(ks, 0xffffffff81003000, &s));
	assert_string_equal(s.name, "vfs_read");
	assert_true(ksyms_lookup(ks, 0xffffffff810037ff, &s));
	assert_string_equal(s.name, "vfs_read");
	assert_true(ksyms_lookup(ks, 0xffffffff81003800, &s));
	assert_string_equal(s.name, "weak_fn");
	assert_null(s.module);
	ksyms_free(ks);
}

static void test_data_symbols_skipped(void **state)
{
	struct ksyms *ks = load();
	struct ksym s;

	/* some_data is D: the function before it owns the address */
	assert_true(ksyms_lookup(ks, 0xffffffff81002010, &s));
	assert_string_equal(s.name, "do_one_initcall");
	ksyms_free(ks);
}

static void test_modules(void **state)
{
	struct ksyms *ks = load();
	struct ksym s;

	assert_true(ksyms_lookup(ks, 0xffffffffc0001234, &s));
	assert_string_equal(s.name, "ext4_read_folio");
	assert_string_equal(s.module, "ext4");
	ksyms_free(ks);
}

static void test_below_first_and_aliases(void **state)
{
	struct ksyms *ks = load();

	struct ksym s;

	assert_false(ksyms_lookup(ks, 0xffffffff80000000, &s));
	/* two names at one address: the shorter core-kernel one wins */
	assert_true(ksyms_lookup(ks, 0xffffffff81000010, &s));
	assert_string_equal(s.name, "_stext");
	/* hidden (zero) addresses are counted, not kept */
	assert_int_equal(ks->zero_addrs, 1);
	assert_int_equal(ks->n, 6);
	ksyms_free(ks);
}

static void test_real_kallsyms(void **state)
{
	struct ksyms *ks = ksyms_load("/proc/kallsyms");

	if (!ks || !ks->n) {
		ksyms_free(ks);
		skip();	/* not root: addresses hidden; the integration tests cover it */
	}
	assert_true(ks->n > 1000);
	for (size_t i = 1; i < ks->n; i++)
		assert_true(ks->syms[i - 1].addr < ks->syms[i].addr);
	ksyms_free(ks);
}

/*
 * Every BPF function both /proc/kallsyms and the bpf() listing know gets
 * the same name from each, a program of our own (no BTF: named by its
 * short name) among them.
 */
static void test_bpf_names_as_kallsyms(void **state)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "ksym_test", "GPL", insns, 2, NULL);
	struct ksyms *ks;
	struct ksyms_bpf *kb;
	size_t same = 0, ours = 0;

	if (fd < 0)
		skip();	/* not root: the integration tests cover it */
	ks = ksyms_load("/proc/kallsyms");
	kb = ksyms_bpf_load();
	assert_non_null(ks);
	assert_non_null(kb);
	for (size_t i = 0; i < ks->n; i++) {
		struct ksym k;
		const char *name;

		ksyms_get(ks, i, &k);
		if (!k.module || strcmp(k.module, "bpf") || strncmp(k.name, "bpf_prog_", 9))
			continue;
		name = ksyms_bpf_lookup(kb, k.addr);
		if (!name)
			continue;	/* loaded or gone between the two reads */
		assert_string_equal(name, k.name);
		same++;
		if (strlen(name) > 10 && !strcmp(name + strlen(name) - 10, "_ksym_test"))
			ours++;
	}
	assert_int_equal(ours, 1);
	print_message("%zu BPF functions named alike by both\n", same);
	assert_true(same >= ours);
	ksyms_bpf_free(kb);
	ksyms_free(ks);
	close(fd);
}

static void test_bpf_name_format(void **state)
{
	const uint8_t tag[KSYM_BPF_TAG_SIZE] = { 0x2f, 0xbb, 0x7d, 0xb5, 0x2e, 0x42, 0x80, 0x99 };
	char buf[64];

	assert_string_equal(ksyms_bpf_name(tag, "proc_exec", buf, sizeof(buf)),
			    "bpf_prog_2fbb7db52e428099_proc_exec");
	assert_string_equal(ksyms_bpf_name(tag, "", buf, sizeof(buf)), "bpf_prog_2fbb7db52e428099");
	assert_string_equal(ksyms_bpf_name(tag, "proc_exec", buf, 12), "bpf_prog_2f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_exact_and_inside),
		cmocka_unit_test(test_data_symbols_skipped),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_below_first_and_aliases),
		cmocka_unit_test(test_real_kallsyms),
		cmocka_unit_test(test_bpf_names_as_kallsyms),
		cmocka_unit_test(test_bpf_name_format),
	};

	return cmocka_run_group_tests_name("kallsyms", tests, NULL, NULL);
}
