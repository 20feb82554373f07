/* Debian's musl-dev ships no <crypt.h>, though musl's libc.a has crypt_r().
 * systemd's libcrypt-util.c needs struct crypt_data and the prototype; the
 * layout is musl's own (include/crypt.h upstream).  libudev never calls it. */
#ifndef KEEL_CRYPT_H
#define KEEL_CRYPT_H

struct crypt_data {
	int initialized;
	char __buf[256];
};

char *crypt (const char *key, const char *salt);
char *crypt_r (const char *key, const char *salt, struct crypt_data *data);

#endif
