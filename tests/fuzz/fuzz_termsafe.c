/* libFuzzer target for lib/termsafe.c, the one rendering of container
 * bytes for a terminal (PID 1's console, keelctl's output).
 *
 * Input: byte 0 picks a piece size (1 to 256: keelctl renders a stream
 * read in pieces), byte 1 a small output size (0 to 255), the rest is what
 * a container wrote.  Contract: the rendering holds no C0 control but tab
 * (and newline when asked), no DEL, no C1 control in UTF-8 and no byte that
 * is not part of well-formed UTF-8 (rendering it again changes nothing);
 * every newline is kept with TERMSAFE_NEWLINES and none without; at most 4
 * bytes out per byte in; pieces with TERMSAFE_MORE give the same as the
 * whole; a short output is a prefix of the whole rendering, ends at an
 * escape or character boundary and stops only when the next one does not
 * fit.  Never a crash, leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/termsafe.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_safe (const char *out, size_t n, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)out;
	char *again;
	size_t used, m;

	for (size_t i = 0; i < n; i++) {
		if ((p[i] < 0x20 && p[i] != '\t' &&
		     !(p[i] == '\n' && (flags & TERMSAFE_NEWLINES))) ||
		    p[i] == 0x7f)
			abort ();
		/* U+0080-U+009F in UTF-8 */
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			abort ();
	}
	/* a fixed point: nothing left that the rule would escape */
	again = malloc (n * TERMSAFE_GROWTH + 1);
	if (again == NULL)
		abort ();
	m = termsafe (again, n * TERMSAFE_GROWTH, out, n, flags, &used);
	if (used != n || m != n || memcmp (again, out, n) != 0)
		abort ();
	free (again);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 2;
	size_t len, piece, cap, nl_in = 0, nl_out = 0;
	char *whole, *pieces, *nlw, small[256];
	size_t nw, np = 0, off = 0, used, n;

	if (size < 2)
		return 0;
	len = size - 2;
	piece = 1 + (size_t)data[0];
	cap = data[1];
	whole = malloc (len * TERMSAFE_GROWTH + 1);
	pieces = malloc (len * TERMSAFE_GROWTH + 1);
	nlw = malloc (len * TERMSAFE_GROWTH + 1);
	if (whole == NULL || pieces == NULL || nlw == NULL)
		abort ();

	nw = termsafe (whole, len * TERMSAFE_GROWTH, in, len, 0, &used);
	if (used != len || nw < len || nw > len * TERMSAFE_GROWTH)
		abort ();
	check_safe (whole, nw, 0);
	if (memchr (whole, '\n', nw) != NULL)
		abort ();

	/* newlines kept, everything else as without the flag */
	n = termsafe (nlw, len * TERMSAFE_GROWTH, in, len, TERMSAFE_NEWLINES, &used);
	if (used != len)
		abort ();
	check_safe (nlw, n, TERMSAFE_NEWLINES);
	for (size_t i = 0; i < len; i++)
		nl_in += in[i] == '\n';
	for (size_t i = 0; i < n; i++)
		nl_out += nlw[i] == '\n';
	if (nl_in != nl_out || n + 3 * nl_in != nw)
		abort ();

	/* in pieces, a cut character carried to the next one (as keelctl does) */
	while (off < len) {
		size_t end = off + piece < len ? off + piece : len;
		unsigned fl = end < len ? TERMSAFE_MORE : 0;

		np += termsafe (pieces + np, len * TERMSAFE_GROWTH - np, in + off, end - off, fl,
		                &used);
		if (used > end - off || (fl && end - off - used > 3) || (!fl && used != end - off))
			abort ();
		if (used == 0 && fl && end - off == piece && piece >= 4)
			abort (); /* a piece of 4 or more always moves on */
		off += used;
		if (used == 0 && fl) { /* a cut start: widen this piece to the end */
			np += termsafe (pieces + np, len * TERMSAFE_GROWTH - np, in + off,
			                len - off, 0, &used);
			off += used;
		}
	}
	if (np != nw || memcmp (pieces, whole, nw) != 0)
		abort ();

	/* a short output: a prefix, stopped only where the next one does not fit */
	n = termsafe (small, cap, in, len, 0, &used);
	if (n > cap || used > len || memcmp (small, whole, n) != 0)
		abort ();
	if (used < len) {
		/* the first unit left: the smallest room that takes it (at most 8) */
		char next[8];
		size_t room, u = 0;

		for (room = 1; room <= sizeof next; room++)
			if (termsafe (next, room, in + used, len - used, 0, &u), u > 0)
				break;
		if (u == 0 || n + room <= cap)
			abort ();
	}
	free (whole);
	free (pieces);
	free (nlw);
	return 0;
}
