// SPDX-License-Identifier: GPL-2.0
/*
 * `profiler cpu -- ./prog > out.folded` used to put prog's own output in
 * out.folded, ahead of the profile: `profiler report` then refused the
 * file and flamegraph.pl warned.  Refusing to run would break that form,
 * which scripts (and our README) use; the command's output is not ours to
 * drop either.  So it goes to standard error, where a user watching the
 * run still sees it and where it cannot corrupt the profile.  With -o FILE
 * (the profile not on standard output) nothing changes.
 */
#include <string.h>
#include <unistd.h>

#include "session/cmd_stdout.h"

bool profile_on_stdout(const struct settings *s)
{
	if (!s->noutputs)
		return true;
	for (int i = 0; i < s->noutputs; i++)
		if (!strcmp(s->outputs[i], "-"))
			return true;
	return false;
}

void cmd_stdout_apart(const struct settings *s)
{
	static const char note[] =
		"profiler: the command's standard output goes to standard error: the profile "
		"is on standard output (-o FILE keeps them apart)\n";

	/* profiler top's screen: both already go to its log, and it says so */
	if (!profile_on_stdout(s) || s->cmd_output_kept)
		return;
	/* on a terminal both end up on the screen: nothing worth a note */
	if (!s->quiet && !isatty(STDOUT_FILENO)) {
		ssize_t r = write(STDERR_FILENO, note, sizeof(note) - 1);

		(void)r;	/* a lost note changes nothing below */
	}
	dup2(STDERR_FILENO, STDOUT_FILENO);
}
