// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier's cost of each BPF program a running process holds: for
 * every bpf-prog fd of PID, the program's name and the instructions the
 * verifier processed to load it (bpf_prog_info.verified_insns, 5.16+;
 * bpftool 7.1 does not print it).  Programs are found through the
 * process's own fds, so other profilers running beside it do not count.
 * Usage: bpf_insns PID   (as root; scripts/bench/verify.sh builds it)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	char path[320], line[128];
	struct dirent *d;
	DIR *dir;

	if (argc != 2) {
		fprintf(stderr, "usage: bpf_insns PID\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/fdinfo", argv[1]);
	dir = opendir(path);
	if (!dir) {
		perror(path);
		return 1;
	}
	while ((d = readdir(dir))) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info), id = 0;
		FILE *f;
		int fd;

		snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", argv[1], d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1)
				break;
		fclose(f);
		if (!id)
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("%s %u\n", info.name, info.verified_insns);
		close(fd);
	}
	closedir(dir);
	return 0;
}
