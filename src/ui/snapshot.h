/* SPDX-License-Identifier: GPL-2.0 */
/* profiler top's w and W keys: the window on the screen, or the run so far, saved. */
#ifndef PROFILER_UI_SNAPSHOT_H
#define PROFILER_UI_SNAPSHOT_H

#include <stddef.h>

#include "cli/settings.h"
#include "model/profile.h"

/*
 * A new directory under base, top-YYYYMMDD-HHMMSS-TAG (TAG: wN for window
 * N, run for the run so far), with NAME.svg, NAME.pb.gz and NAME.folded
 * for each profile (names[i] made profiles[i]; NULL, a collector that
 * failed to start, has none), each file complete or absent.  msg says
 * what (WHAT: "window 3") was written where, or what failed.  0, or -errno.
 */
int ui_snapshot(const char *base, const char *tag, const char *what,
		struct profile *const *profiles, const char *const *names, int n,
		const struct settings *s, char *msg, size_t size);

#endif /* PROFILER_UI_SNAPSHOT_H */
