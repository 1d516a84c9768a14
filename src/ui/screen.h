/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profiler top on a terminal, through ncurses: a header, one summary line
 * per panel, the chosen panel in full, the recommendations line and a
 * status line (keys, a prompt, what the last key did).  Fits 80x24; what
 * a bigger terminal adds is rows.  The terminal is the caller's to give
 * back: screen_close() on every way out.
 */
#ifndef PROFILER_UI_SCREEN_H
#define PROFILER_UI_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ui/keys.h"
#include "ui/view.h"

struct screen {
	void *term;		/* ncurses' SCREEN, NULL when closed */
	bool color;
};

/* 0 when TERM names a terminal ncurses can drive; else -EINVAL and why. */
int screen_check(char *why, size_t size);
/* Full screen on out (the terminal), keys from stdin; color unless NO_COLOR says no. */
int screen_open(struct screen *sc, FILE *out, char *why, size_t size);
/* The terminal as it was: cooked mode, cursor, the normal screen. */
void screen_close(struct screen *sc);
#define SCREEN_NO_KEY (-1)	/* curses' ERR */

/* A key, or SCREEN_NO_KEY when none is waiting. */
int screen_key(struct screen *sc);
void screen_draw(struct screen *sc, const struct ui_view *v, const struct ui_state *st,
		 const char *header);

#endif /* PROFILER_UI_SCREEN_H */
