// SPDX-License-Identifier: GPL-2.0
/*
 * What a Pyroscope series is called: the application name and the labels
 * of POST /ingest's name parameter, APP{hostname=H,k=v}, checked against
 * what the server accepts (Prometheus label names; no escapes in the
 * name's syntax) before the agent starts, so that a bad --label is an
 * error at once and not a refused push every window.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/push.h"
#include "agent/push_labels.h"
#include "util/util.h"

static bool app_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '/' || c == ':';
}

/* Prometheus label names, which Pyroscope requires of series labels. */
static bool label_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || (s[0] >= '0' && s[0] <= '9') || (n >= 2 && s[0] == '_' && s[1] == '_'))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* The name's {k=v,...} syntax has no escapes: these cannot be in a value. */
static bool label_value_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || strchr(",{}=\"\\", *s) || *s == 0x7f)
			return false;
	return true;
}

/* The hostname label: the host's name with what the name syntax forbids as '_'. */
static void host_label(char *buf, size_t size)
{
	char *c;

	if (gethostname(buf, size) < 0 || !buf[0])
		snprintf(buf, size, "unknown");
	buf[size - 1] = '\0';
	for (c = buf; *c; c++)
		if ((unsigned char)*c <= ' ' || strchr(",{}=\"\\", *c) || *c == 0x7f)
			*c = '_';
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	GROW(*buf, *cap, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* "{hostname=H,k=v}" from the options; a --label hostname=X replaces H. */
int push_build_labels(const struct push_opts *o, char **out)
{
	char host[256], *buf = NULL;
	size_t len = 0, cap = 0;
	bool own_host = false;
	int i, j;

	for (i = 0; i < o->n_labels; i++) {
		const char *l = o->labels[i], *eq = l ? strchr(l, '=') : NULL;

		if (!eq || !label_name_ok(l, eq - l)) {
			pr_err("bad --label '%s': give NAME=VALUE, NAME of letters, digits and '_' "
			       "not starting with a digit or '__'", l ? l : "(null)");
			return -EINVAL;
		}
		if (!label_value_ok(eq + 1)) {
			pr_err("bad --label '%s': the value must be non-empty, without spaces or any of , { } = \" \\",
			       l);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (!strncmp(o->labels[j], l, eq - l + 1)) {
				pr_err("bad --label '%s': label '%.*s' given twice; keep one",
				       l, (int)(eq - l), l);
				return -EINVAL;
			}
		if (eq - l == 8 && !strncmp(l, "hostname", 8))
			own_host = true;
	}
	append(&buf, &len, &cap, "{", 1);
	if (!own_host) {
		host_label(host, sizeof(host));
		append(&buf, &len, &cap, "hostname=", 9);
		append(&buf, &len, &cap, host, strlen(host));
	}
	for (i = 0; i < o->n_labels; i++) {
		if (len > 1)
			append(&buf, &len, &cap, ",", 1);
		append(&buf, &len, &cap, o->labels[i], strlen(o->labels[i]));
	}
	append(&buf, &len, &cap, "}", 1);
	*out = buf;
	return 0;
}

int push_check_app(const char *app)
{
	for (const char *c = app; *c; c++)
		if (!app_char_ok(*c)) {
			pr_err("bad --app '%s': use letters, digits and . _ - / : only", app);
			return -EINVAL;
		}
	if (strlen(app) > 200) {
		pr_err("bad --app '%.40s...': longer than 200 characters; give a shorter name", app);
		return -EINVAL;
	}
	return 0;
}
