// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of cgroup labels: container ids in the runtimes' cgroup
 * paths, paths relative to the hierarchy's mount, the folded root frame
 * written and read back, and the report's "Top cgroups" table.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "input/input.h"
#include "output/output.h"
#include "runtime/cgroups.h"
#include "util/container_id.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_runtimes(void **state)
{
	static const char *const paths[] = {
		"/system.slice/docker-" ID ".scope",				/* docker, systemd */
		"/docker/" ID,							/* docker, cgroupfs */
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/"
		"cri-containerd-" ID ".scope",					/* containerd */
		"/kubepods/besteffort/pod3f1e/" ID,				/* k8s, cgroupfs */
		"/kubepods.slice/kubepods-pod1.slice/crio-" ID ".scope",	/* cri-o */
		"/machine.slice/libpod-" ID ".scope/container",			/* podman */
		"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	};
	char out[CONTAINER_ID_LEN + 1];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		memset(out, 0, sizeof(out));
		assert_true(container_id(paths[i], out));
		assert_string_equal(out, ID);
	}
}

static void test_not_containers(void **state)
{
	char out[CONTAINER_ID_LEN + 1];

	assert_false(container_id("/", out));
	assert_false(container_id("/system.slice/ssh.service", out));
	/* the runtimes' monitors are not the container */
	assert_false(container_id("/machine.slice/libpod-conmon-" ID ".scope", out));
	assert_false(container_id("/system.slice/crio-conmon-" ID ".scope", out));
	/* one digit short, upper case, a non-hex letter */
	assert_false(container_id("/docker/" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", out));
	assert_false(container_id("/docker/" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", out));
	assert_false(container_id("/docker-" "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef.scope", out));
	assert_false(container_id("/foo-" ID ".scope", out));
}

static void test_deepest_wins(void **state)
{
	char out[CONTAINER_ID_LEN + 1];

	/* a container run inside another (docker in docker): the inner one */
	assert_true(container_id("/docker/" ID "/docker/"
				 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", out));
	assert_string_equal(out, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
}

static void test_rel_path(void **state)
{
	assert_string_equal(cgroup_rel_path("/sys/fs/cgroup/a/b", "/sys/fs/cgroup"), "/a/b");
	assert_string_equal(cgroup_rel_path("/sys/fs/cgroup", "/sys/fs/cgroup"), "/");
	assert_string_equal(cgroup_rel_path("/sys/fs/cgroup/unified/x", "/sys/fs/cgroup/unified/"), "/x");
	assert_null(cgroup_rel_path("/sys/fs/cgroupx/a", "/sys/fs/cgroup"));
	assert_null(cgroup_rel_path("/tmp", "/sys/fs/cgroup"));
	assert_string_equal(cgroup_rel_path("/a", "/"), "/a");
}

/* Folded with --group-by cgroup, read back: the label survives. */
static void test_folded_round_trip(void **state)
{
	const char *text = "/svc/a.service;app;main;work 7\n"
			   "/svc/b.service;app;main;work 3\n"
			   "plain;main 1\n";
	struct profile *p = read_folded(text, strlen(text), "t.folded");
	struct write_opts o = { .type = 0, .top = 20, .group_by = GROUP_BY_CGROUP, .no_advice = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(p);
	assert_int_equal(p->nsamples, 3);
	assert_string_equal(sample_label(p, &p->samples[0])->cgroup, "/svc/a.service");
	assert_string_equal(sample_label(p, &p->samples[0])->comm, "app");
	assert_null(sample_label(p, &p->samples[2])->cgroup);
	assert_string_equal(sample_label(p, &p->samples[2])->comm, "plain");
	f = open_memstream(&buf, &len);
	assert_int_equal(write_folded(p, &o, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "/svc/a.service;app;main;work 7\n"));
	assert_non_null(strstr(buf, "/[unknown];plain;main 1\n"));
	free(buf);
	buf = NULL;
	o.group_by = GROUP_BY_PID;
	f = open_memstream(&buf, &len);
	assert_int_equal(write_folded(p, &o, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "app-0;main;work 10\n"));
	free(buf);
	profile_free(p);
}

static void test_report_table(void **state)
{
	const char *text = "/svc/a.service;app;main;work 7\n"
			   "/svc/b.service;other;main;work 3\n"
			   "/svc/a.service;app2;main;x 2\n";
	struct profile *p = read_folded(text, strlen(text), "t.folded");
	struct write_opts o = { .type = 0, .top = 20, .no_advice = true };
	char *buf = NULL, *t;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(write_report(p, &o, f), 0);
	fclose(f);
	t = strstr(buf, "Top cgroups by samples:");
	assert_non_null(t);
	/* heaviest first: a.service's 9 of two processes (pid 0 both: one) */
	assert_non_null(strstr(t, "           9      1  /svc/a.service\n"));
	assert_true(strstr(t, "/svc/a.service") < strstr(t, "/svc/b.service"));
	free(buf);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtimes),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_deepest_wins),
		cmocka_unit_test(test_rel_path),
		cmocka_unit_test(test_folded_round_trip),
		cmocka_unit_test(test_report_table),
	};

	return cmocka_run_group_tests_name("cgroup_names", tests, NULL, NULL);
}
