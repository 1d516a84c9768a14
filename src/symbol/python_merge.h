/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Python frames put where they ran: each sample's FRAME_PYTHON locations
 * (after its native frames, as captured) moved next to the
 * _PyEval_EvalFrameDefault frames that run them.  Needs the native
 * frames' names, so runs after naming.
 */
#ifndef PROFILER_PYTHON_MERGE_H
#define PROFILER_PYTHON_MERGE_H

#include "model/profile.h"

void python_merge(struct profile *p);

#endif /* PROFILER_PYTHON_MERGE_H */
