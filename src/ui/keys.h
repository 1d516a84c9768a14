/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profiler top's keys: what the user chose (the panel, the sort, a PID, a
 * search, pause, help) and the one-line prompts that ask for a PID or a
 * search string.  Keys never block: a prompt collects its characters one
 * key at a time while the session goes on collecting.
 */
#ifndef PROFILER_UI_KEYS_H
#define PROFILER_UI_KEYS_H

#include <stdbool.h>

#include "ui/view.h"

enum ui_prompt { UI_PROMPT_NONE, UI_PROMPT_PID, UI_PROMPT_SEARCH };

struct ui_state {
	int panel;		/* enum ui_panel shown in full */
	bool paused;		/* the screen keeps its window */
	bool help;		/* the list of keys over the panels */
	struct ui_filter filter;
	char search[64];	/* filter.search points here */
	enum ui_prompt prompt;
	char input[64];		/* what the prompt has so far */
	char message[320];	/* the status line's, until the next key */
};

/* What a key asks of the front-end. */
enum ui_action {
	UI_NONE,
	UI_REDRAW,	/* the same view, drawn again */
	UI_REBUILD,	/* the filter, sort or pause changed: a new view */
	UI_SNAPSHOT,	/* write the window shown */
	UI_SNAPSHOT_RUN,	/* write the run so far */
	UI_QUIT,
};

void ui_state_init(struct ui_state *st);
/* One key from getch() (a curses KEY_ code or a character). */
enum ui_action ui_key(struct ui_state *st, int key);

/* The lines of the help, NULL-terminated. */
extern const char *const ui_help_lines[];

#endif /* PROFILER_UI_KEYS_H */
