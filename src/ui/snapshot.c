// SPDX-License-Identifier: GPL-2.0
/* profiler top's w key; see snapshot.h. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "output/output.h"
#include "ui/snapshot.h"

static const char *const formats[][2] = {
	{ "svg", "svg" }, { "pprof", "pb.gz" }, { "folded", "folded" },
};

static int write_one(const char *path, const struct profile *p, const char *format,
		     const struct settings *s)
{
	struct atomic_file af;
	struct write_opts wo;
	int err = afile_open(&af, path);

	if (err)
		return err;
	write_opts_init(&wo, s, p);
	err = writer_find(format)->write(p, &wo, af.f);
	if (!err)
		err = afile_publish(&af, true);
	afile_close(&af);
	return err < 0 ? err : err ? -EIO : 0;
}

int ui_snapshot(const char *base, const char *tag, const char *what,
		struct profile *const *profiles, const char *const *names, int n,
		const struct settings *s, char *msg, size_t size)
{
	char dir[4096], path[4200], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int files = 0;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(dir, sizeof(dir), "%s/top-%s-%s", base, stamp, tag);
	if (mkdir(dir, 0777) && errno != EEXIST) {
		int err = -errno;

		snprintf(msg, size, "cannot make %s: %s (-o DIR chooses where w and W write)", dir,
			 strerror(errno));
		return err;
	}
	for (int i = 0; i < n; i++) {
		if (!profiles[i])
			continue;
		for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
			int err;

			snprintf(path, sizeof(path), "%s/%s.%s", dir, names[i], formats[f][1]);
			err = write_one(path, profiles[i], formats[f][0], s);
			if (err) {
				snprintf(msg, size, "cannot write %s: %s", path, afile_strerror(err));
				return err;
			}
			files++;
		}
	}
	/* the place before the rest: the status line is cut at the screen's
	 * width (svg, pb.gz, folded of each collector: the help says so) */
	snprintf(msg, size, "%s written to %s/ (%d files)", what, dir, files);
	return 0;
}
