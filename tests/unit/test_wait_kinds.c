// SPDX-License-Identifier: GPL-2.0
/*
 * Futex waits by kind (collectors/futex_kind.c) and the report's wait
 * reasons and call sites (output/report_waits.c), from stacks as the
 * collectors see them.
 */
#include <errno.h>
#include <linux/types.h>

#include "testutil.h"
#include "write_helper.h"
#include "lock.h"
#include "collectors/futex_kind.h"
#include "model/profile.h"
#include "output/output.h"

static uint32_t frame(struct profile *p, enum frame_kind kind, uint64_t addr, const char *name,
		      const char *module)
{
	uint32_t id = profile_location(p, kind, kind == FRAME_KERNEL ? 0 : 1, addr, false);

	p->locs[id].name = profile_intern(p, name);
	p->locs[id].module = profile_intern(p, module);
	return id;
}

/* A user stack, leaf first, of libc frames then the program's. */
static enum wait_kind kind_of(const char *const *names, int n, uint32_t flags)
{
	struct profile *p = profile_new();
	uint32_t ids[16];
	enum wait_kind k;

	for (int i = 0; i < n; i++)
		ids[i] = frame(p, FRAME_USER, 0x1000 + i, names[i],
			       strchr(names[i], '_') == names[i] ? "/lib/libc.so.6" : "/bin/app");
	k = futex_wait_kind(p, ids, n, flags);
	profile_free(p);
	return k;
}

#define KIND(flags, ...) kind_of((const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), flags)

static void test_glibc_kinds(void **state)
{
	(void)state;
	/* xz's main thread: a condition variable, not a lock */
	assert_int_equal(KIND(LOCK_F_FUTEX, "__futex_abstimed_wait_common", "pthread_cond_timedwait",
			      "worker_wait"), WAIT_CONDVAR);
	/* the same condition variable taking its mutex back: contention */
	assert_int_equal(KIND(LOCK_F_FUTEX | LOCK_F_LLL, "__GI___lll_lock_wait",
			      "__pthread_mutex_cond_lock", "pthread_cond_wait", "worker"), WAIT_MUTEX);
	assert_int_equal(KIND(LOCK_F_FUTEX, "__futex_abstimed_wait_common", "__pthread_clockjoin_ex",
			      "join_all"), WAIT_JOIN);
	assert_int_equal(KIND(LOCK_F_FUTEX, "__futex_abstimed_wait_common", "__new_sem_wait_slow64",
			      "consumer"), WAIT_SEMAPHORE);
	assert_int_equal(KIND(LOCK_F_FUTEX, "__futex_abstimed_wait_common", "pthread_barrier_wait",
			      "phase"), WAIT_BARRIER);
	assert_int_equal(KIND(LOCK_F_FUTEX, "__futex_abstimed_wait_common",
			      "__pthread_rwlock_wrlock_full64", "writer"), WAIT_RWLOCK);
	assert_int_equal(KIND(LOCK_F_FUTEX, "std::sys::sync::mutex::futex::Mutex::lock_contended",
			      "app::main"), WAIT_MUTEX);
	/* nothing known: the futex call decides, else "other" */
	assert_int_equal(KIND(LOCK_F_FUTEX | LOCK_F_LLL, "app+0x10"), WAIT_MUTEX);
	assert_int_equal(KIND(LOCK_F_FUTEX | LOCK_F_PI, "app+0x10"), WAIT_MUTEX);
	assert_int_equal(KIND(LOCK_F_FUTEX | LOCK_F_REQUEUE, "app+0x10"), WAIT_CONDVAR);
	assert_int_equal(KIND(LOCK_F_FUTEX, "app+0x10", "main"), WAIT_OTHER);
}

/*
 * A CPython wait, leaf first: libc and the interpreter's C frames (names
 * without "(") then Python frames "func (file:line)" of file's base name.
 */
static enum wait_kind py_kind_of(const char *const *names, int n)
{
	struct profile *p = profile_new();
	uint32_t ids[16];
	enum wait_kind k;

	for (int i = 0; i < n; i++) {
		const char *paren = strchr(names[i], '(');
		bool py = paren != NULL;

		ids[i] = frame(p, py ? FRAME_PYTHON : FRAME_USER, 0x1000 + i, names[i],
			       py ? "[python]" : "/usr/bin/python3.11");
		if (py) {
			char file[64];

			snprintf(file, sizeof(file), "/usr/lib/python3.11/%.*s",
				 (int)strcspn(paren + 1, ":)"), paren + 1);
			p->locs[ids[i]].file = profile_intern(p, file);
		}
	}
	k = futex_wait_kind(p, ids, n, LOCK_F_FUTEX);
	profile_free(p);
	return k;
}

#define PY_KIND(...) py_kind_of((const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))
#define PY_SEM "__futex_abstimed_wait_common", "__new_sem_wait_slow64.constprop.0", \
	"PyThread_acquire_lock_timed", "acquire_timed", "lock_PyThread_acquire_lock.lto_priv.0", \
	"method_vectorcall_VARARGS_KEYWORDS", "PyObject_Vectorcall"

static void test_python_kinds(void **state)
{
	(void)state;
	/* threading.Lock held by another thread: a lock, though a semaphore */
	assert_int_equal(PY_KIND(PY_SEM, "contend (app.py:50)", "Thread.run (threading.py:982)"),
			 WAIT_MUTEX);
	/* the threading module's waits for events, by their outermost frame */
	assert_int_equal(PY_KIND(PY_SEM, "Condition.wait (threading.py:320)",
				 "Event.wait (threading.py:622)", "main (app.py:9)"), WAIT_CONDVAR);
	assert_int_equal(PY_KIND(PY_SEM, "Condition.wait (threading.py:320)",
				 "Queue.get (queue.py:171)"), WAIT_CONDVAR);
	assert_int_equal(PY_KIND(PY_SEM, "Condition.wait (threading.py:320)",
				 "Semaphore.acquire (threading.py:472)", "main (app.py:9)"),
			 WAIT_SEMAPHORE);
	assert_int_equal(PY_KIND(PY_SEM, "Thread._wait_for_tstate_lock (threading.py:1132)",
				 "Thread.join (threading.py:1112)"), WAIT_JOIN);
	/* a function named like one of threading's, in another file: a lock */
	assert_int_equal(PY_KIND(PY_SEM, "Condition.wait (mylocks.py:3)"), WAIT_MUTEX);
	/* no Python frames (--no-python): the lock it is most often */
	assert_int_equal(PY_KIND(PY_SEM, "_PyEval_EvalFrameDefault"), WAIT_MUTEX);
	/* a semaphore not CPython's stays one */
	assert_int_equal(PY_KIND("__futex_abstimed_wait_common", "__new_sem_wait_slow64",
				 "consumer"), WAIT_SEMAPHORE);
	/* the GIL: waiting for another thread to drop it is contention */
	assert_int_equal(PY_KIND("__futex_abstimed_wait_common", "pthread_cond_timedwait",
				 "take_gil.lto_priv.0", "PyEval_RestoreThread"), WAIT_MUTEX);
}

static void test_parse(void **state)
{
	unsigned m;

	(void)state;
	assert_int_equal(wait_kinds_parse("contention", &m), 0);
	assert_int_equal(m, WAIT_CONTENTION);
	assert_int_equal(wait_kinds_parse("condvar,join", &m), 0);
	assert_int_equal(m, WAIT_BIT(WAIT_CONDVAR) | WAIT_BIT(WAIT_JOIN));
	assert_int_equal(wait_kinds_parse("all", &m), 0);
	assert_int_equal(m, WAIT_ALL);
	assert_int_equal(wait_kinds_parse("mutex,cond", &m), -EINVAL);
	assert_int_equal(wait_kinds_parse(",", &m), -EINVAL);
}

/* An off-CPU sample: kernel frames from __schedule out, then user frames. */
static void wait_sample(struct profile *p, int64_t ns, const char *const *k, int nk,
			const char *const *u, int nu)
{
	uint32_t ids[16];
	int n = 0;

	for (int i = 0; i < nk; i++)
		ids[n++] = frame(p, FRAME_KERNEL, (uintptr_t)k[i],
				 k[i], "[kernel.kallsyms]");
	for (int i = 0; i < nu; i++)
		ids[n++] = frame(p, FRAME_USER, (uintptr_t)u[i],
				 u[i], strncmp(u[i], "__", 2) && strcmp(u[i], "read") ? "/bin/app" :
				 "/lib/x86_64-linux-gnu/libc.so.6");
	profile_add_sample(p, ids, n, 7, 7, "app", (int64_t[]){ ns, 1 });
}

#define SAMPLE(p, ns, K, U) wait_sample(p, ns, K, sizeof(K) / sizeof(*K), U, sizeof(U) / sizeof(*U))

static void test_report_reasons(void **state)
{
	static const char *const pipe_k[] = { "__schedule", "schedule", "anon_pipe_read", "vfs_read",
					      "ksys_read", "do_syscall_64" };
	static const char *const pipe_u[] = { "read", "read_in_b", "main" };
	static const char *const sleep_k[] = { "__schedule", "schedule", "do_nanosleep",
					       "hrtimer_nanosleep", "__x64_sys_nanosleep", "do_syscall_64" };
	static const char *const sleep_u[] = { "sleep_in_a", "main" };
	static const char *const preempt_k[] = { "__schedule", "preempt_schedule_irq",
						 "irqentry_exit", "asm_sysvec_apic_timer_interrupt" };
	static const char *const preempt_u[] = { "spin", "main" };
	struct profile *p = profile_new();
	char *out;

	(void)state;
	profile_add_type(p, "offcpu", "nanoseconds");
	profile_add_type(p, "switches", "count");
	SAMPLE(p, 3000000000LL, pipe_k, pipe_u);
	SAMPLE(p, 1000000000LL, sleep_k, sleep_u);
	SAMPLE(p, 500000000LL, preempt_k, preempt_u);
	out = run(write_report, p, 0);
	assert_non_null(strstr(out, "      3.00 s  66.7%  read: anon_pipe_read\n"));
	assert_non_null(strstr(out, "      1.00 s  22.2%  nanosleep: do_nanosleep\n"));
	assert_non_null(strstr(out, "   500.00 ms  11.1%  preempted\n"));
	/* the call site is the program's, above libc's read() */
	assert_non_null(strstr(out, "      3.00 s  66.7%  read_in_b  [app]  (read)\n"));
	assert_non_null(strstr(out, "      1.00 s  22.2%  sleep_in_a  [app]  (nanosleep)\n"));
	/* no self table of __schedule; the total table stays */
	assert_null(strstr(out, "Top functions by self offcpu"));
	assert_non_null(strstr(out, "Top functions by total offcpu"));
	free(out);
	/* weighed by another type, the self table is back */
	out = run(write_report, p, 1);
	assert_non_null(strstr(out, "Top functions by self switches"));
	free(out);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glibc_kinds),
		cmocka_unit_test(test_python_kinds),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_report_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
