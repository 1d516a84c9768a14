// SPDX-License-Identifier: GPL-2.0
/* The /proc/PID/stat parser (src/runtime/proc_stat.c): comm is the process's own choice. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "runtime/proc_stat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct proc_stat st;

	if (!proc_stat_parse(text, &st) && strlen(st.comm) >= sizeof(st.comm))
		abort();	/* comm is always terminated within its array */
	free(text);
	return 0;
}
