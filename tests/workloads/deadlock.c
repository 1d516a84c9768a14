// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for the hung-process tests: a classic deadlock.  Thread one
 * holds lock_a and waits for lock_b; thread two holds lock_b and waits for
 * lock_a; main waits for both in pthread_join.  A barrier makes sure each
 * holds its first lock before reaching for the second, so the deadlock is
 * certain, not a race.  It never ends: the test kills it.
 * Usage: deadlock
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

__attribute__((noinline)) void take_second(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

__attribute__((noinline)) void *thread_one(void *arg)
{
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	take_second(&lock_b);
	return arg;
}

__attribute__((noinline)) void *thread_two(void *arg)
{
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	take_second(&lock_a);
	return arg;
}

int main(void)
{
	pthread_t one, two;

	pthread_barrier_init(&both_hold, NULL, 2);
	pthread_create(&one, NULL, thread_one, NULL);
	pthread_setname_np(one, "one");
	pthread_create(&two, NULL, thread_two, NULL);
	pthread_setname_np(two, "two");
	printf("%d\n", getpid());
	fflush(stdout);
	pthread_join(one, NULL);
	pthread_join(two, NULL);
	return 0;
}
