/* SPDX-License-Identifier: GPL-2.0 */
/* profiler top's w key: the window on the screen, saved. */
#ifndef PROFILER_UI_SNAPSHOT_H
#define PROFILER_UI_SNAPSHOT_H

#include <stddef.h>

#include "cli/settings.h"
#include "model/profile.h"

/*
 * A new directory under base, top-YYYYMMDD-HHMMSS-wN (N: the window),
 * with NAME.svg, NAME.pb.gz and NAME.folded for each profile (names[i]
 * made profiles[i]), each file complete or absent.  msg says where, or
 * what failed.  0, or -errno.
 */
int ui_snapshot(const char *base, int window, struct profile *const *profiles,
		const char *const *names, int n, const struct settings *s, char *msg, size_t size);

#endif /* PROFILER_UI_SNAPSHOT_H */
