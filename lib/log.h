/* Process-wide logging for the runtime CLI and PID 1.
 *
 * One destination per process (stderr by default, or runc's --log FILE,
 * as text or as JSON lines with --log-format json), so it is the one piece
 * of global state keel keeps on purpose: every function that fails would
 * otherwise need a logger argument only to print the final error.
 */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include <stdbool.h>

#include "lib/error.h"

enum keel_log_level { KEEL_LOG_ERROR, KEEL_LOG_WARNING, KEEL_LOG_INFO, KEEL_LOG_DEBUG };

/* path NULL: stderr.  Returns < 0 if the file cannot be opened. */
int keel_log_open (const char *path, bool json, bool debug, struct keel_error **err);
void keel_log_set_prog (const char *prog);
bool keel_log_debug_enabled (void);

void keel_log (enum keel_log_level level, const char *fmt, ...)
	__attribute__ ((format (printf, 2, 3)));
/* Log the error at KEEL_LOG_ERROR and release it. */
void keel_log_error (struct keel_error **err);
/* A failure that is not fatal: "PREFIX: message: strerror" at
 * KEEL_LOG_WARNING, and the error released (crun's
 * crun_error_write_warning_and_release).  prefix may be NULL. */
void keel_log_warning_error (struct keel_error **err, const char *prefix, ...)
	__attribute__ ((format (printf, 2, 3)));

#ifdef CONFIG_DEBUG_LOG
#define keel_debug(...)                                                                          \
	do {                                                                                       \
		if (keel_log_debug_enabled ())                                                     \
			keel_log (KEEL_LOG_DEBUG, __VA_ARGS__);                                     \
	} while (0)
#else
#define keel_debug(...)                                                                          \
	do {                                                                                       \
	} while (0)
#endif

#endif
