// SPDX-License-Identifier: GPL-2.0
/* Standard error captured and passed on; see err_capture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "session/err_capture.h"
#include "util/util.h"

/* enough for a collector's start: its messages are a few lines */
#define CAPTURE_MAX (64 * 1024)

void err_capture_begin(struct err_capture *c)
{
	c->saved = c->fd = -1;
	fflush(stderr);
	c->fd = memfd_create("profiler-stderr", MFD_CLOEXEC);
	if (c->fd < 0)
		return;		/* no capture: the messages go where they went */
	c->saved = dup(STDERR_FILENO);
	if (c->saved < 0 || dup2(c->fd, STDERR_FILENO) < 0) {
		if (c->saved >= 0)
			close(c->saved);
		close(c->fd);
		c->saved = c->fd = -1;
	}
}

void err_capture_end(struct err_capture *c, char *why, size_t size)
{
	static const char prefix[] = "profiler: ";
	char *text, *line, *last = NULL;
	size_t len = 0;

	if (size)
		why[0] = '\0';
	if (c->saved < 0)
		return;
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	c->saved = -1;
	lseek(c->fd, 0, SEEK_SET);
	text = read_fd(c->fd, CAPTURE_MAX, &len, NULL);
	close(c->fd);
	c->fd = -1;
	if (!text)
		return;
	if (len) {
		ssize_t r = write(STDERR_FILENO, text, len);

		(void)r;	/* lost, the messages: the panel still says why */
	}
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, prefix, sizeof(prefix) - 1))
			last = line + sizeof(prefix) - 1;
	if (last && size)
		snprintf(why, size, "%s", last);
	free(text);
}
