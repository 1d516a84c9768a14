// SPDX-License-Identifier: GPL-2.0
/*
 * Runs two commands one after the other under the same pid, as a busy
 * machine reuses pids, made reproducible: the host's
 * /proc/sys/kernel/ns_last_pid is set before each fork (retried while
 * other forks on the machine take the pid first), and address
 * randomization is off in the children so that like-built programs put
 * their code at the same addresses.  Needs root.
 * Usage: pidreuse MS PROG_A PROG_B   (each run as PROG MS)
 * Prints the pid both had; exit 2 when the pid could not be had twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

static int set_last_pid(pid_t pid)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	int ok;

	if (!f)
		return -errno;
	ok = fprintf(f, "%d", pid) > 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

/* Run prog with pid want: 0 when it ran so, 1 when another pid came. */
static int run_as(pid_t want, const char *prog, const char *ms)
{
	pid_t pid;
	int status;

	if (set_last_pid(want - 1))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (getpid() != want)
			_exit(0);
		personality(ADDR_NO_RANDOMIZE);
		execl(prog, prog, ms, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (pid != want)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pidreuse MS PROG_A PROG_B\n");
		return 2;
	}
	for (int tries = 0; tries < 200; tries++) {
		/* a pid well away from where the machine is allocating now */
		pid_t want = 20000 + (getpid() * 7 + tries * 131) % 10000;
		int r = run_as(want, argv[2], argv[1]);

		if (r < 0)
			return 1;
		if (r > 0)
			continue;
		for (int again = 0; again < 50; again++) {
			r = run_as(want, argv[3], argv[1]);
			if (r < 0)
				return 1;
			if (r == 0) {
				printf("%d\n", want);
				return 0;
			}
		}
	}
	fprintf(stderr, "pidreuse: could not run both under one pid\n");
	return 2;
}
