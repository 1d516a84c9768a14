// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for telling contention from waiting: three threads fight
 * over one global mutex, fight_lock, in fight(); thread "waiter" waits on
 * the condition variable go_cond in wait_for_go() until they are done; the
 * main thread joins the three in join_all(), then signals go_cond (after
 * unlocking go_lock, so the waiter never contends for it) and joins the
 * waiter.  Work is counted, not timed.
 * Usage: waitkinds [ROUNDS]   (default 3000 per fighter)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

pthread_mutex_t fight_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;

static volatile unsigned long shared, sink;
static int go;
static long rounds = 3000;

__attribute__((noinline)) void spin(int n)
{
	unsigned long x = sink;

	for (int i = 0; i < n; i++)
		x = x * 6364136223846793005UL + 1;
	sink = x;
}

/* Holds the lock long enough for the others to queue behind it. */
__attribute__((noinline)) void fight(void)
{
	pthread_mutex_lock(&fight_lock);
	spin(20000);
	shared++;
	pthread_mutex_unlock(&fight_lock);
}

static void *fighter(void *arg)
{
	for (long i = 0; i < rounds; i++) {
		fight();
		spin(2000);
	}
	return arg;
}

__attribute__((noinline)) void wait_for_go(void)
{
	pthread_mutex_lock(&go_lock);
	while (!go)
		pthread_cond_wait(&go_cond, &go_lock);
	pthread_mutex_unlock(&go_lock);
}

static void *waiter(void *arg)
{
	pthread_setname_np(pthread_self(), "waiter");
	wait_for_go();
	return arg;
}

__attribute__((noinline)) void join_all(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	pthread_t f[3], w;

	if (argc > 1)
		rounds = atol(argv[1]);
	pthread_create(&w, NULL, waiter, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&f[i], NULL, fighter, NULL);
	join_all(f, 3);
	pthread_mutex_lock(&go_lock);
	go = 1;
	pthread_mutex_unlock(&go_lock);
	pthread_cond_signal(&go_cond);
	join_all(&w, 1);
	return 0;
}
