/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PROFILER_ARGS_H
#define PROFILER_ARGS_H

#include "cli/settings.h"
#include "collectors/collector.h"

/* 0 to run; 1 when help was printed; -EINVAL after printing what is wrong. */
int args_parse(const struct collector *col, int argc, char **argv, struct settings *s);
void args_usage(const struct collector *col, FILE *f);
void settings_free(struct settings *s);

#endif /* PROFILER_ARGS_H */
