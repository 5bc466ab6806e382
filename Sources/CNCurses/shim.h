// The wide-character ncurses API (ncursesw) for EddyConsole, plus the locale functions the
// console needs before initialising curses (setlocale, nl_langinfo(CODESET)).
//
// Curses exposes much of its state as macros or mutable globals (stdscr, LINES, COLS, COLORS,
// A_BOLD, KEY_F(n), ...), which Swift either cannot import or flags as shared mutable state
// under strict concurrency. The eddy_* functions below read them instead.
#ifndef EDDY_CNCURSES_SHIM_H
#define EDDY_CNCURSES_SHIM_H

#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <wchar.h>

#if __has_include(<ncursesw/curses.h>)
#include <ncursesw/curses.h>
#include <ncursesw/term.h>
#else
#include <curses.h>
#include <term.h>
#endif

static inline WINDOW *eddy_stdscr(void) { return stdscr; }
static inline int eddy_lines(void) { return LINES; }
static inline int eddy_cols(void) { return COLS; }
static inline int eddy_colors(void) { return COLORS; }
static inline int eddy_color_pairs(void) { return COLOR_PAIRS; }

static inline attr_t eddy_attr_normal(void) { return A_NORMAL; }
static inline attr_t eddy_attr_bold(void) { return A_BOLD; }
static inline attr_t eddy_attr_dim(void) { return A_DIM; }
static inline attr_t eddy_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t eddy_attr_reverse(void) { return A_REVERSE; }

/// Starts curses on the process's standard output and input (NULL when the terminal is unusable).
static inline SCREEN *eddy_newterm(void) { return newterm(NULL, stdout, stdin); }

/// The key code of function key Fn.
static inline int eddy_key_f(int n) { return KEY_F(n); }

/// How long curses waits after ESC for the rest of an escape sequence, in milliseconds.
static inline int eddy_set_escdelay(int ms) { return set_escdelay(ms); }

/// The terminfo verdict for a terminal name, without initialising curses:
/// 0 usable, 1 not in the terminfo database, 2 a hard-copy or generic terminal ("dumb"),
/// 3 known but without cursor addressing (cup), 4 the database could not be read.
static inline int eddy_terminfo_status(const char *term_name) {
    int err = 0;
    if (setupterm((char *)term_name, fileno(stdout), &err) != OK) {
        if (err == 0) return 1;
        if (err == 1) return 2;
        return 4;
    }
    char *cup = tigetstr("cup");
    int status = (cup == NULL || cup == (char *)-1) ? 3 : 0;
    del_curterm(cur_term);
    return status;
}

#endif
