/* musl has no <gshadow.h> and no shadow group database.  systemd's
 * user-record-nss.c uses it unconditionally (built with -Dgshadow=false
 * nothing else does); libudev never reaches that code.  getsgnam_r()
 * answers "no entry", the truth on musl, instead of leaving an undefined
 * symbol in libudev.a. */
#ifndef KEEL_GSHADOW_H
#define KEEL_GSHADOW_H

#include <stddef.h>

struct sgrp {
	char *sg_namp;
	char *sg_passwd;
	char **sg_adm;
	char **sg_mem;
};

static inline int getsgnam_r (const char *name, struct sgrp *sgrp, char *buf, size_t len,
			      struct sgrp **result)
{
	(void) name, (void) sgrp, (void) buf, (void) len;
	*result = NULL;
	return 0;
}

#endif
