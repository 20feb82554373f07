/* musl has no <printf.h>.  systemd's log_struct() and the journal client
 * use glibc's parse_printf_format() (through VA_FORMAT_ADVANCE in
 * stdio-util.h) to step a va_list over one printf format.  This is a small
 * independent implementation of that function for the C99 conversions and
 * glibc's %m; positional arguments (%1$d) are not supported, and systemd
 * does not use them with these helpers. */
#ifndef KEEL_PRINTF_H
#define KEEL_PRINTF_H

#include <stddef.h>
#include <string.h>

enum {
	PA_INT,
	PA_CHAR,
	PA_WCHAR,
	PA_STRING,
	PA_WSTRING,
	PA_POINTER,
	PA_FLOAT,
	PA_DOUBLE,
	PA_LAST
};

#define PA_FLAG_MASK 0xff00
#define PA_FLAG_LONG_LONG (1 << 8)
#define PA_FLAG_LONG_DOUBLE PA_FLAG_LONG_LONG
#define PA_FLAG_LONG (1 << 9)
#define PA_FLAG_SHORT (1 << 10)
#define PA_FLAG_PTR (1 << 11)

/* Skips a field width or precision; a '*' consumes an int argument. */
static inline const char *keel_pa_number (const char *p, size_t n, int *types, size_t *count)
{
	if (*p == '*') {
		if (*count < n)
			types[*count] = PA_INT;
		(*count)++;
		return p + 1;
	}
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

/* The type of one conversion given its length modifier flags, or -1
 * when it takes no argument (%m, or an unknown conversion). */
static inline int keel_pa_type (char conv, int flags)
{
	switch (conv) {
	case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
		return PA_INT | flags;
	case 'c':
		return (flags & PA_FLAG_LONG) ? PA_WCHAR : PA_CHAR;
	case 'C':
		return PA_WCHAR;
	case 's':
		return (flags & PA_FLAG_LONG) ? PA_WSTRING : PA_STRING;
	case 'S':
		return PA_WSTRING;
	case 'p':
		return PA_POINTER;
	case 'n':
		return PA_INT | PA_FLAG_PTR;
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
		return PA_DOUBLE | (flags & PA_FLAG_LONG_DOUBLE);
	default:
		return -1;
	}
}

/* Stores the types of up to n arguments FMT consumes; returns how many it
 * consumes in all (which may exceed n), as glibc's does. */
static inline size_t parse_printf_format (const char *fmt, size_t n, int *types)
{
	size_t count = 0;
	const char *p = fmt;

	while ((p = strchr (p, '%')) != NULL) {
		int flags = 0, type;

		p++;
		if (*p == '%') {
			p++;
			continue;
		}
		while (*p != '\0' && strchr ("#0- +'I", *p) != NULL)
			p++;
		p = keel_pa_number (p, n, types, &count);
		if (*p == '.')
			p = keel_pa_number (p + 1, n, types, &count);
		for (;; p++) {
			if (*p == 'h')
				flags = PA_FLAG_SHORT;
			else if (*p == 'l')
				flags = (flags & PA_FLAG_LONG) ? PA_FLAG_LONG_LONG : PA_FLAG_LONG;
			else if (*p == 'L' || *p == 'q' || *p == 'j')
				flags = PA_FLAG_LONG_LONG;
			else if (*p == 'z' || *p == 't')
				flags = PA_FLAG_LONG;
			else
				break;
		}
		if (*p == '\0')
			break;
		/* %hhd: glibc reports a char */
		if (p[-1] == 'h' && p - 2 >= fmt && p[-2] == 'h' && strchr ("diouxX", *p) != NULL)
			type = PA_CHAR;
		else
			type = keel_pa_type (*p, flags);
		p++;
		if (type < 0)
			continue;
		if (count < n)
			types[count] = type;
		count++;
	}
	return count;
}

#endif
