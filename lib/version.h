/* `keel --version`: keel's version and the libraries compiled in. */
#ifndef KEEL_VERSION_H
#define KEEL_VERSION_H

#include <stdio.h>

/* "+JSONC 0.16 +CAP 2.66 +MOUNT 2.38.1 +SECCOMP 2.5.4 +UDEV 252", with
 * "-SECCOMP" / "-UDEV" when Kconfig leaves them out.  Malloc'd. */
char *keel_features_line (void);
void keel_print_version (FILE *out, const char *prog);

#endif
