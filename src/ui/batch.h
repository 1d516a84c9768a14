/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profiler top -b: each refresh as plain text, as top -b prints it, for a
 * pipe, a file or a terminal that cannot do more.  One block per window:
 * a "====" header line, every panel's summary and tables, the
 * recommendations.
 */
#ifndef PROFILER_UI_BATCH_H
#define PROFILER_UI_BATCH_H

#include <stdio.h>

#include "ui/view.h"

/* rows: of each table at most.  0, or -EIO when f could not take it. */
int ui_batch_print(FILE *f, const struct ui_view *v, const char *header, int rows);

#endif /* PROFILER_UI_BATCH_H */
