/* SPDX-License-Identifier: GPL-2.0 */
/* The container a cgroup v2 path belongs to, from the runtimes' naming. */
#ifndef PROFILER_CONTAINER_ID_H
#define PROFILER_CONTAINER_ID_H

#include <stdbool.h>
#include <stddef.h>

#define CONTAINER_ID_LEN 64	/* hex digits of a docker/OCI container id */

/*
 * The container id in a cgroup path, into out (CONTAINER_ID_LEN + 1
 * bytes): the deepest component that is 64 hex digits, bare (docker's and
 * Kubernetes' cgroupfs driver: /docker/ID, /kubepods/.../pod.../ID) or as
 * a systemd scope of a runtime (docker-ID.scope, cri-containerd-ID.scope,
 * crio-ID.scope, libpod-ID.scope).  The runtimes' monitors
 * (crio-conmon-ID.scope, libpod-conmon-ID.scope) are not the container.
 * False when none.
 */
bool container_id(const char *path, char *out);

#endif /* PROFILER_CONTAINER_ID_H */
