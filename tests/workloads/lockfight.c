// SPDX-License-Identifier: GPL-2.0
/*
 * Known truth for the lock tests: four threads fight over one global
 * mutex, big_lock, taken in update_shared_counter(); quiet_lock is taken
 * by one thread only and never waited for.  Work is counted, not timed,
 * so the test holds under any load.
 * Usage: lockfight [ROUNDS]   (default 20000 per thread)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t quiet_lock = PTHREAD_MUTEX_INITIALIZER;

static volatile unsigned long shared_counter, quiet_counter;
static long rounds = 20000;

__attribute__((noinline)) void take(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

__attribute__((noinline)) void release(pthread_mutex_t *m)
{
	if (m)
		pthread_mutex_unlock(m);
}

/* Holds the lock for a few microseconds: long enough for the others to queue. */
__attribute__((noinline)) void update_shared_counter(void)
{
	take(&big_lock);
	for (int i = 0; i < 2000; i++)
		shared_counter = shared_counter * 3 + 1;
	release(&big_lock);
}

__attribute__((noinline)) void update_quiet_counter(void)
{
	take(&quiet_lock);
	quiet_counter++;
	release(&quiet_lock);
}

/* Work outside the lock too, so that waiters get their turn and queue again. */
__attribute__((noinline)) void work_alone(void)
{
	static __thread volatile unsigned long mine;

	for (int i = 0; i < 1000; i++)
		mine = mine * 3 + 1;
	release(NULL);
}

static void *worker(void *arg)
{
	long id = (long)arg;

	for (long r = 0; r < rounds; r++) {
		work_alone();
		update_shared_counter();
		if (id == 0)
			update_quiet_counter();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];

	if (argc > 1)
		rounds = atol(argv[1]);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%lu %lu\n", shared_counter, quiet_counter);
	return 0;
}
