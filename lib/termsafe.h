/* The one rendering of untrusted bytes for a terminal.
 *
 * What a container prints (its stdout/stderr lines, sd_notify STATUS=,
 * the importer's log, names and values from files in its image quoted in
 * an error) reaches PID 1's console, where a Linux VT or a serial terminal
 * interprets it, and keelctl's terminal.  A control sequence there can
 * move the cursor and rewrite or hide earlier lines, change the terminal's
 * state, or make the terminal answer into its own input (DECID `ESC Z`,
 * DA `ESC [ c`, DSR `ESC [ 6 n`, title reports): on the console that input
 * is the emergency shell's.  So every such byte is shown, never sent.
 *
 * The rule (systemd's utf8_escape_non_printable and unichar_is_control,
 * src/basic/utf8.c, which journalctl applies to what it prints): kept as
 * they are are printable ASCII (0x20-0x7e), tab, and every valid UTF-8
 * sequence (RFC 3629: shortest form, no surrogate, at most U+10FFFF) of a
 * character that is not a C1 control.  Every other byte is written as
 * `\xNN` (lower-case hex): C0 controls (ESC, CR, BS, BEL, NUL ... and the
 * newline unless TERMSAFE_NEWLINES), DEL, both bytes of a C1 control
 * U+0080-U+009F (0xc2 0x9b is CSI on a terminal that decodes UTF-8 first),
 * and each byte of anything that is not valid UTF-8 (a lone 0x9b is CSI to
 * an 8-bit terminal; an overlong 0xc0 0x9b would be ESC to a lax decoder).
 * Unlike systemd, invalid bytes are escaped rather than replaced by
 * U+FFFD, so the console still shows which bytes were sent.  A backslash
 * is kept: the rendering is for eyes, not reversible.  Nothing kept can
 * move the cursor (Linux VTs and serial consoles do no bidi reordering, so
 * Unicode's format characters are left alone as systemd leaves them). */
#ifndef KEEL_TERMSAFE_H
#define KEEL_TERMSAFE_H

#include <stddef.h>

/* Keep '\n' (multi-line text, keelctl's replies); otherwise it is \x0a. */
#define TERMSAFE_NEWLINES 0x1u
/* More input follows (a stream read in pieces): a UTF-8 sequence cut off
 * by the end of the input is left unconsumed for the next call instead of
 * being escaped, so the rendering does not depend on where reads end. */
#define TERMSAFE_MORE 0x2u

/* The most one input byte becomes: `\xNN`. */
#define TERMSAFE_GROWTH 4

/* Render len bytes of in into out, at most cap bytes (no NUL added).
 * Returns the bytes written; *used (may be NULL) is the input consumed,
 * less than len only when out is full or at a cut sequence with
 * TERMSAFE_MORE.  An escape or a character is never split. */
size_t termsafe (char *out, size_t cap, const char *in, size_t len, unsigned flags, size_t *used);

/* The whole NUL-terminated s rendered, as a new string. */
char *termsafe_dup (const char *s, unsigned flags);

#endif
