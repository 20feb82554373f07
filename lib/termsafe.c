/* See termsafe.h. */
#include "termsafe.h"

#include <stdbool.h>
#include <string.h>

#include "util.h"

/* The length of the well-formed UTF-8 sequence at p (n bytes there, n >=
 * 1) and its code point; 0 when the bytes are not one (Unicode's table of
 * well-formed sequences: no overlong form, no surrogate, at most
 * U+10FFFF), -1 when they begin one that the end of the input cuts off. */
static int seq_len (const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	unsigned c;
	size_t len, k;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
		lo = p[0] == 0xe0 ? 0xa0 : lo; /* shorter than 3 bytes would do */
		hi = p[0] == 0xed ? 0x9f : hi; /* a UTF-16 surrogate */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
		lo = p[0] == 0xf0 ? 0x90 : lo;
		hi = p[0] == 0xf4 ? 0x8f : hi; /* past U+10FFFF */
	} else {
		return 0; /* ASCII is not asked about; a continuation or 0xc0, 0xc1, 0xf5-0xff */
	}
	for (k = 1; k < len; k++) {
		if (k >= n)
			return -1;
		if (p[k] < (k == 1 ? lo : 0x80) || p[k] > (k == 1 ? hi : 0xbf))
			return 0;
		c = c << 6 | (p[k] & 0x3f);
	}
	*cp = c;
	return (int)len;
}

size_t termsafe (char *out, size_t cap, const char *in, size_t len, unsigned flags, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < len) {
		unsigned char ch = p[i];
		size_t k = 1;
		bool keep;

		if ((ch >= 0x20 && ch < 0x7f) || ch == '\t') {
			/* the common case, a byte at a time without the rest */
			if (o == cap)
				break;
			out[o++] = (char)ch;
			i++;
			continue;
		}
		if (ch == '\n')
			keep = (flags & TERMSAFE_NEWLINES) != 0;
		else if (ch < 0x80)
			keep = false; /* the other C0 controls and DEL */
		else {
			unsigned cp = 0;
			int n = seq_len (p + i, len - i, &cp);

			if (n < 0 && (flags & TERMSAFE_MORE))
				break; /* the rest of it comes with the next piece */
			if (n <= 0) {
				keep = false; /* this byte alone; the next is looked at afresh */
			} else {
				k = (size_t)n;
				keep = cp > 0x9f; /* not a C1 control */
			}
		}
		if (o + (keep ? k : TERMSAFE_GROWTH * k) > cap)
			break;
		if (keep) {
			memcpy (out + o, p + i, k);
			o += k;
		} else {
			for (size_t j = 0; j < k; j++) {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[p[i + j] >> 4];
				out[o++] = hex[p[i + j] & 0xf];
			}
		}
		i += k;
	}
	if (used)
		*used = i;
	return o;
}

char *termsafe_dup (const char *s, unsigned flags)
{
	size_t len = strlen (s);
	char *out = xmalloc0 (len * TERMSAFE_GROWTH + 1);

	out[termsafe (out, len * TERMSAFE_GROWTH, s, len, flags, NULL)] = '\0';
	return out;
}
