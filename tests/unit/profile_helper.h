/* SPDX-License-Identifier: GPL-2.0 */
/* Profiles made by hand, for the unit tests that read what is built from them. */
#ifndef PROFILER_PROFILE_HELPER_H
#define PROFILER_PROFILE_HELPER_H

#include "model/profile.h"

/* A named user frame of /bin/app in process pid, at addr. */
static inline uint32_t app_loc(struct profile *p, uint32_t pid, uint64_t addr, const char *name)
{
	uint32_t id = profile_location(p, FRAME_USER, pid, addr, false);

	p->locs[id].name = profile_intern(p, name);
	p->locs[id].module = profile_intern(p, "/bin/app");
	return id;
}

#endif /* PROFILER_PROFILE_HELPER_H */
