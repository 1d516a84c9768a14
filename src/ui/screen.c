// SPDX-License-Identifier: GPL-2.0
/* profiler top's screen, through ncurses; see screen.h. */
#include <curses.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

#include "ui/screen.h"
#include "util/util.h"

#define COL_W 10	/* a value column: "123.45 ms" and a space */
#define MIN_W 40
#define MIN_H 12

enum { PAIR_HEADER = 1, PAIR_SELECTED, PAIR_HEAD, PAIR_ADVICE };

int screen_check(char *why, size_t size)
{
	const char *term = getenv("TERM");
	int err = 0;

	if (!term || !*term || !strcmp(term, "dumb")) {
		snprintf(why, size, "TERM is %s: the dashboard needs a terminal that can move the "
			 "cursor (set TERM, or use -b for text)", term && *term ? "dumb" : "not set");
		return -EINVAL;
	}
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		snprintf(why, size, "no terminal description for TERM=%s (install ncurses-term, "
			 "set TERM to your terminal's type, or use -b for text)", term);
		return -EINVAL;
	}
	del_curterm(cur_term);
	return 0;
}

int screen_open(struct screen *sc, FILE *out, char *why, size_t size)
{
	const char *nc = getenv("NO_COLOR");
	SCREEN *s = newterm(NULL, out, stdin);

	if (!s) {
		snprintf(why, size, "cannot drive the terminal (TERM=%s): use -b for text",
			 getenv("TERM") ? getenv("TERM") : "");
		return -EINVAL;
	}
	sc->term = s;
	/* cbreak, not raw: Ctrl-C stays a signal, which the session handles */
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* https://no-color.org: present and not empty means no color */
	sc->color = has_colors() && !(nc && *nc);
	if (sc->color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEADER, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_SELECTED, COLOR_YELLOW, -1);
		init_pair(PAIR_HEAD, COLOR_GREEN, -1);
		init_pair(PAIR_ADVICE, COLOR_RED, -1);
	}
	return 0;
}

void screen_close(struct screen *sc)
{
	if (!sc->term)
		return;
	/*
	 * A terminal without an alternate screen (vt100: no rmcup) would
	 * keep the last dashboard under the shell's next lines: cleared.
	 */
	if (!exit_ca_mode || !*exit_ca_mode) {
		erase();
		refresh();
	}
	curs_set(1);
	endwin();
	delscreen(sc->term);
	sc->term = NULL;
}

int screen_key(struct screen *sc)
{
	return sc->term ? getch() : SCREEN_NO_KEY;
}

/* A color pair with extra attributes, or mono without color. */
static attr_t look(const struct screen *sc, int pair, attr_t extra, attr_t mono)
{
	return sc->color ? (attr_t)COLOR_PAIR(pair) | extra : mono;
}

static void line_at(int y, int x, const char *s, int w, attr_t a)
{
	attron(a);
	mvaddnstr(y, x, s, w > 0 ? w : 0);
	attroff(a);
}

/* Why a table is empty, wrapped at spaces over at most h lines from y. */
static void draw_why(const char *why, int y, int h, int w)
{
	int width = w - 3, len = strlen(why);

	attron(A_DIM);
	for (int line = 0; line < h && len > 0 && width > 0; line++) {
		int n = len;

		if (n > width) {
			/* the last space that fits, else cut the word */
			for (n = width; n > 0 && why[n] != ' '; n--)
				;
			if (!n)
				n = width;
		}
		mvaddnstr(y + line, 2, why, n);
		why += n;
		len -= n;
		while (*why == ' ') {
			why++;
			len--;
		}
	}
	attroff(A_DIM);
}

/* A table in rows y .. y + h - 1: its head, then rows or why it has none. */
static void draw_table(const struct screen *sc, const struct ui_table *t, int sort, int y, int h,
		       int w)
{
	int name_w = w - COL_W * t->nvals - 2;
	char cell[64];

	if (h < 1)
		return;
	move(y, 0);
	for (int i = 0; i < t->nvals; i++) {
		attr_t a = look(sc, PAIR_HEAD, A_BOLD, A_BOLD);

		if (i == sort % t->nvals)
			a |= A_REVERSE;
		attron(a);
		printw("%*s", COL_W - 1, t->heads[i]);
		attroff(a);
		addch(' ');
	}
	line_at(y, t->nvals ? COL_W * t->nvals + 1 : 1, t->name_head,
		t->nvals ? name_w : w - 1, look(sc, PAIR_HEAD, A_BOLD, A_BOLD | A_UNDERLINE));
	if (!t->nrows && h > 1) {
		draw_why(t->why, y + 1, h - 1, w);
		return;
	}
	for (int r = 0; r < h - 1 && r < (int)t->nrows; r++) {
		const struct ui_row *row = &t->rows[r];

		if (t->text) {
			mvaddnstr(y + 1 + r, 1, row->name, w - 1);
			continue;
		}
		move(y + 1 + r, 0);
		for (int i = 0; i < t->nvals; i++)
			printw("%*s ", COL_W - 1, ui_fmt_value(cell, sizeof(cell), t->fmts[i], row->v[i]));
		mvaddnstr(y + 1 + r, COL_W * t->nvals + 1, row->name, name_w);
	}
}

/* Rows for each table: none gets more than it shows, the rest share evenly. */
static void share_rows(const struct ui_panel_view *pv, int area, int w, int *got)
{
	int need[UI_MAX_TABLES], left = area, open = pv->ntables;
	bool done[UI_MAX_TABLES] = {};

	/* an empty table's why, wrapped at spaces: a line more than its length asks */
	for (int i = 0; i < pv->ntables; i++)
		need[i] = 1 + (pv->tables[i].nrows ? (int)pv->tables[i].nrows :
			       w > 3 ? 1 + (int)strlen(pv->tables[i].why) / (w - 3) : 1);
	for (bool changed = true; changed && open;) {
		changed = false;
		for (int i = 0; i < pv->ntables; i++)
			if (!done[i] && need[i] <= left / open) {
				got[i] = need[i];
				left -= need[i];
				done[i] = true;
				open--;
				changed = true;
			}
	}
	for (int i = 0, first = 1; i < pv->ntables; i++)
		if (!done[i]) {
			got[i] = left / open + (first ? left % open : 0);
			first = 0;
		}
}

static void draw_help(void)
{
	int n = 0, w = 0, y, x;

	/* a frame of ASCII, as the separator line */
	for (; ui_help_lines[n]; n++)
		w = MAX(w, (int)strlen(ui_help_lines[n]));
	w = MIN(w + 4, COLS - 2);
	y = MAX((LINES - n - 2) / 2, 0);
	x = MAX((COLS - w) / 2, 0);
	for (int i = 0; i < n + 4; i++) {
		mvhline(y + i, x, i && i < n + 3 ? ' ' : '-', w);
		if (i && i < n + 3) {
			mvaddch(y + i, x, '|');
			mvaddch(y + i, x + w - 1, '|');
		}
	}
	attron(A_BOLD);
	mvaddnstr(y + 1, x + 2, "Keys of profiler top", w - 4);
	attroff(A_BOLD);
	for (int i = 0; i < n; i++)
		mvaddnstr(y + 2 + i, x + 2, ui_help_lines[i], w - 4);
	mvaddnstr(y + n + 2, x + 2, "any key closes this", w - 4);
}

static void draw_status(const struct screen *sc, const struct ui_view *v,
			const struct ui_state *st)
{
	char buf[512];

	move(LINES - 2, 0);
	clrtoeol();
	if (v->nadvice) {
		snprintf(buf, sizeof(buf), "Advice (1 of %zu): %s", v->nadvice, v->advice[0]);
		line_at(LINES - 2, 0, buf, COLS, look(sc, PAIR_ADVICE, A_BOLD, A_BOLD));
	} else {
		line_at(LINES - 2, 0, "Advice: nothing stands out in this window", COLS, A_DIM);
	}
	if (st->prompt == UI_PROMPT_PID)
		snprintf(buf, sizeof(buf), "PID to show (enter: every process, esc: cancel): %s_",
			 st->input);
	else if (st->prompt == UI_PROMPT_SEARCH)
		snprintf(buf, sizeof(buf), "Search names for (enter: every name, esc: cancel): %s_",
			 st->input);
	else if (st->message[0])
		snprintf(buf, sizeof(buf), "%s", st->message);
	else
		snprintf(buf, sizeof(buf), "q quit  space pause  tab panel  s sort  p PID  / search  "
			 "w/W save  h help");
	line_at(LINES - 1, 0, buf, COLS, st->prompt || st->message[0] ? A_BOLD : A_NORMAL);
}

void screen_draw(struct screen *sc, const struct ui_view *v, const struct ui_state *st,
		 const char *header)
{
	const struct ui_panel_view *pv = &v->panels[st->panel];
	int got[UI_MAX_TABLES] = {}, y = UI_NPANELS + 2, sort = st->filter.sort[st->panel];
	char buf[512], filt[160] = "";
	int at = 0;

	if (!sc->term)
		return;
	erase();
	if (COLS < MIN_W || LINES < MIN_H) {
		snprintf(buf, sizeof(buf), "%dx%d: top needs %dx%d (q quits)", COLS, LINES, MIN_W,
			 MIN_H);
		mvaddstr(0, 0, buf);	/* wrapped: every word counts */
		refresh();
		return;
	}
	attron(look(sc, PAIR_HEADER, 0, A_REVERSE));
	mvhline(0, 0, ' ', COLS);
	mvaddnstr(0, 0, header, COLS);
	attroff(look(sc, PAIR_HEADER, 0, A_REVERSE));
	for (int i = 0; i < UI_NPANELS; i++) {
		bool me = i == st->panel;

		snprintf(buf, sizeof(buf), "%c%s", me ? '>' : ' ', v->panels[i].summary);
		line_at(1 + i, 0, buf, COLS, me ? look(sc, PAIR_SELECTED, A_BOLD, A_BOLD | A_REVERSE)
						: A_NORMAL);
	}
	/* ASCII: line-drawing characters come out as letters on some terminals */
	mvhline(UI_NPANELS + 1, 0, '-', COLS);
	if (st->filter.pid)
		at = snprintf(filt, sizeof(filt), ", PID %u only", st->filter.pid);
	if (st->search[0])
		snprintf(filt + at, sizeof(filt) - at, ", names with '%s'", st->search);
	if (pv->ntables && pv->tables[0].nvals)
		snprintf(buf, sizeof(buf), " %s: sorted by %s (s)%s ", pv->title,
			 pv->tables[0].heads[sort % pv->tables[0].nvals], filt);
	else
		snprintf(buf, sizeof(buf), " %s%s ", pv->title, filt);
	line_at(UI_NPANELS + 1, 2, buf, COLS - 4, A_BOLD);
	share_rows(pv, LINES - 2 - y, COLS, got);
	for (int i = 0; i < pv->ntables; i++) {
		draw_table(sc, &pv->tables[i], sort, y, got[i], COLS);
		y += got[i];
	}
	draw_status(sc, v, st);
	if (st->help)
		draw_help();
	refresh();
}
