// SPDX-License-Identifier: GPL-2.0
/* profiler top's keys and prompts; see keys.h. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/keys.h"
#include "util/util.h"

const char *const ui_help_lines[] = {
	"q          quit (Ctrl-C too)",
	"space      pause: keep this window on the screen / go on",
	"tab, right next panel (CPU, MEM, I/O, WAIT); shift-tab, left: back",
	"down, up   next and previous panel, as tab",
	"s          sort the panel by its next column",
	"p          show one process only (a PID; empty: all)",
	"/          show functions, sites and locks whose name has TEXT",
	"w          write this window as svg, pprof and folded files",
	"W          write the run so far (at the next refresh), as w",
	"h, ?       this help; any key closes it",
	NULL,
};

void ui_state_init(struct ui_state *st)
{
	*st = (struct ui_state){ .panel = UI_CPU };
	st->filter.search = st->search;
}

static enum ui_action prompt_done(struct ui_state *st)
{
	enum ui_prompt which = st->prompt;

	st->prompt = UI_PROMPT_NONE;
	if (which == UI_PROMPT_SEARCH) {
		snprintf(st->search, sizeof(st->search), "%s", st->input);
		if (st->search[0])
			snprintf(st->message, sizeof(st->message), "showing names with '%s'", st->search);
		else
			snprintf(st->message, sizeof(st->message), "showing every name");
		return UI_REBUILD;
	}
	if (!st->input[0]) {
		st->filter.pid = 0;
		snprintf(st->message, sizeof(st->message), "showing every process");
		return UI_REBUILD;
	}
	{
		char *end;
		unsigned long pid = strtoul(st->input, &end, 10);

		if (*end || !pid || pid > 4194304) {
			snprintf(st->message, sizeof(st->message),
				 "not a PID: '%s' (give a number, or nothing for every process)",
				 st->input);
			return UI_REDRAW;
		}
		st->filter.pid = pid;
		snprintf(st->message, sizeof(st->message), "showing PID %lu only (p, then enter: all)",
			 pid);
	}
	return UI_REBUILD;
}

static enum ui_action prompt_key(struct ui_state *st, int key)
{
	size_t len = strlen(st->input);

	switch (key) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		return prompt_done(st);
	case 27:	/* escape */
		st->prompt = UI_PROMPT_NONE;
		snprintf(st->message, sizeof(st->message), "cancelled");
		return UI_REDRAW;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (len)
			st->input[len - 1] = '\0';
		return UI_REDRAW;
	default:
		if (key >= ' ' && key < 127 && len + 1 < sizeof(st->input)) {
			st->input[len] = key;
			st->input[len + 1] = '\0';
		}
		return UI_REDRAW;
	}
}

static void ask(struct ui_state *st, enum ui_prompt which)
{
	st->prompt = which;
	st->input[0] = '\0';
}

enum ui_action ui_key(struct ui_state *st, int key)
{
	if (key == ERR)
		return UI_NONE;
	if (key == KEY_RESIZE)
		return UI_REDRAW;
	if (st->prompt != UI_PROMPT_NONE)
		return prompt_key(st, key);
	st->message[0] = '\0';
	if (st->help && key != 'q' && key != 'Q') {
		st->help = false;
		return UI_REDRAW;
	}
	switch (key) {
	case 'q':
	case 'Q':
		return UI_QUIT;
	case ' ':
		st->paused = !st->paused;
		snprintf(st->message, sizeof(st->message), "%s", st->paused ?
			 "paused: this window stays (space goes on)" : "going on");
		return UI_REBUILD;
	case '\t':
	case KEY_RIGHT:
	case KEY_DOWN:
		st->panel = (st->panel + 1) % UI_NPANELS;
		return UI_REDRAW;
	case KEY_BTAB:
	case KEY_LEFT:
	case KEY_UP:
		st->panel = (st->panel + UI_NPANELS - 1) % UI_NPANELS;
		return UI_REDRAW;
	case 's':
	case 'S':
		/* 12: a multiple of every panel's column count, so the cycle is even */
		st->filter.sort[st->panel] = (st->filter.sort[st->panel] + 1) % 12;
		return UI_REBUILD;
	case 'p':
	case 'P':
		ask(st, UI_PROMPT_PID);
		return UI_REDRAW;
	case '/':
		ask(st, UI_PROMPT_SEARCH);
		return UI_REDRAW;
	case 'w':
		return UI_SNAPSHOT;
	case 'W':
		return UI_SNAPSHOT_RUN;
	case 'h':
	case 'H':
	case '?':
		st->help = true;
		return UI_REDRAW;
	default:
		snprintf(st->message, sizeof(st->message), "no key '%s': h shows the keys",
			 keyname(key) ? keyname(key) : "?");
		return UI_REDRAW;
	}
}
