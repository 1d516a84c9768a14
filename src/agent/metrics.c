// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics: the agent's own figures in Prometheus' text format (0.0.4):
 * what it collected and lost, what it cost (CPU, RSS), what it wrote and
 * pushed.  Process CPU and RSS use the names Prometheus' client libraries
 * give them, so existing dashboards find them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/http.h"
#include "agent/push.h"
#include "util/util.h"

static void help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

char *metrics_text(struct agent *a, size_t *len)
{
	struct push_stats ps = {};
	struct rusage ru;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	getrusage(RUSAGE_SELF, &ru);
	if (a->push)
		push_stats(a->push, &ps);
	pthread_mutex_lock(&a->lock);
	help(f, "profiler_agent_samples_total", "counter",
	     "Samples (distinct stacks per piece of a window) collected, by profile type.");
	for (int i = 0; i < a->ntypes; i++)
		fprintf(f, "profiler_agent_samples_total{type=\"%s\"} %llu\n", a->names[i],
			(unsigned long long)a->samples[i]);
	help(f, "profiler_agent_losses_total", "counter",
	     "Events lost (ring buffers or maps full, stacks cut, ...), by type and what.");
	for (int i = 0; i < a->nlosses; i++) {
		fprintf(f, "profiler_agent_losses_total{type=\"%s\",what=\"", a->names[a->losses[i].type]);
		label(f, a->losses[i].what);
		fprintf(f, "\"} %llu\n", (unsigned long long)a->losses[i].count);
	}
	help(f, "profiler_agent_pieces_total", "counter",
	     "Pieces collected: one per window, and one more per ?seconds=N boundary.");
	fprintf(f, "profiler_agent_pieces_total %llu\n", (unsigned long long)a->pieces);
	help(f, "profiler_agent_renewals_total", "counter",
	     "Sessions renewed (every map and cache started empty again).");
	fprintf(f, "profiler_agent_renewals_total %llu\n", (unsigned long long)a->renewals);
	help(f, "profiler_agent_renewals_failed_total", "counter",
	     "Renewals whose new session could not start (the old one went on).");
	fprintf(f, "profiler_agent_renewals_failed_total %llu\n",
		(unsigned long long)a->renewals_failed);
	help(f, "profiler_agent_renewal_cpu_seconds_total", "counter",
	     "CPU time renewals took: starting each new session and ending each old one.");
	fprintf(f, "profiler_agent_renewal_cpu_seconds_total %.6f\n", a->renew_cpu_ns / 1e9);
	help(f, "profiler_agent_renewal_start_seconds_total", "counter",
	     "Time new sessions took to start, while the old ones still collected.");
	fprintf(f, "profiler_agent_renewal_start_seconds_total %.6f\n", a->renew_start_ns / 1e9);
	help(f, "profiler_agent_renewal_gap_seconds_total", "counter",
	     "Time between an old session's last sample and its successor's first: not collected.");
	fprintf(f, "profiler_agent_renewal_gap_seconds_total %.6f\n", a->renew_gap_ns / 1e9);
	help(f, "profiler_agent_windows_total", "counter", "Windows completed.");
	fprintf(f, "profiler_agent_windows_total %llu\n", (unsigned long long)a->nwindows);
	help(f, "profiler_agent_files_written_total", "counter", "pprof files written to --dir.");
	fprintf(f, "profiler_agent_files_written_total %llu\n", (unsigned long long)a->files_written);
	help(f, "profiler_agent_files_failed_total", "counter", "pprof files --dir could not take.");
	fprintf(f, "profiler_agent_files_failed_total %llu\n", (unsigned long long)a->files_failed);
	help(f, "profiler_agent_http_waiting", "gauge", "?seconds=N requests waiting.");
	fprintf(f, "profiler_agent_http_waiting %d\n", a->nreqs);
	pthread_mutex_unlock(&a->lock);
	help(f, "profiler_agent_pushes_total", "counter", "Profiles pushed to Pyroscope.");
	fprintf(f, "profiler_agent_pushes_total %llu\n", (unsigned long long)ps.pushed);
	help(f, "profiler_agent_pushes_failed_total", "counter",
	     "Push attempts that failed (each is retried while the queue has room).");
	fprintf(f, "profiler_agent_pushes_failed_total %llu\n", (unsigned long long)ps.failed_attempts);
	help(f, "profiler_agent_pushes_dropped_total", "counter",
	     "Profiles dropped: the push queue was full.");
	fprintf(f, "profiler_agent_pushes_dropped_total %llu\n",
		(unsigned long long)ps.dropped);
	help(f, "process_cpu_seconds_total", "counter", "The agent's user and system CPU time.");
	fprintf(f, "process_cpu_seconds_total %.6f\n",
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		ru.ru_stime.tv_usec / 1e6);
	help(f, "process_resident_memory_bytes", "gauge", "The agent's resident memory.");
	fprintf(f, "process_resident_memory_bytes %lu\n", agent_rss_bytes());
	help(f, "process_max_resident_memory_bytes", "gauge", "The agent's peak resident memory.");
	fprintf(f, "process_max_resident_memory_bytes %ld\n", ru.ru_maxrss * 1024L);
	fclose(f);
	return buf;
}
