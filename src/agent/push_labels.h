/* SPDX-License-Identifier: GPL-2.0 */
/* The name of a Pyroscope series: application and labels (push_labels.c). */
#ifndef PROFILER_PUSH_LABELS_H
#define PROFILER_PUSH_LABELS_H

struct push_opts;

/* 0, or -EINVAL with the reason said: letters, digits and . _ - / : only. */
int push_check_app(const char *app);
/* "{hostname=H,k=v}" from the options (a --label hostname=X replaces H);
 * -EINVAL with the bad label named. */
int push_build_labels(const struct push_opts *o, char **out);

#endif /* PROFILER_PUSH_LABELS_H */
