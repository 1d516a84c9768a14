// SPDX-License-Identifier: GPL-2.0
/* Container ids in cgroup paths: see container_id.h. */
#include <ctype.h>
#include <string.h>

#include "util/container_id.h"

/* Prefixes of the runtimes' systemd scopes, each followed by the id. */
static const char *const scope_prefixes[] = {
	"docker-", "cri-containerd-", "crio-", "libpod-",
};

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* The id in one path component s of length n, or NULL. */
static const char *component_id(const char *s, size_t n)
{
	static const char scope[] = ".scope";
	size_t sl = sizeof(scope) - 1;

	if (n == CONTAINER_ID_LEN)
		return all_hex(s, n) ? s : NULL;
	if (n <= sl || memcmp(s + n - sl, scope, sl))
		return NULL;
	n -= sl;
	for (size_t i = 0; i < sizeof(scope_prefixes) / sizeof(scope_prefixes[0]); i++) {
		size_t pl = strlen(scope_prefixes[i]);

		if (n == pl + CONTAINER_ID_LEN && !memcmp(s, scope_prefixes[i], pl) &&
		    all_hex(s + pl, CONTAINER_ID_LEN))
			return s + pl;
	}
	return NULL;
}

bool container_id(const char *path, char *out)
{
	const char *found = NULL;

	for (const char *p = path; p && *p;) {
		size_t n = strcspn(p, "/");
		const char *id = n ? component_id(p, n) : NULL;

		if (id)
			found = id;	/* the deepest wins: a container in a pod */
		p += n;
		p += strspn(p, "/");
	}
	if (!found)
		return false;
	memcpy(out, found, CONTAINER_ID_LEN);
	out[CONTAINER_ID_LEN] = '\0';
	return true;
}
