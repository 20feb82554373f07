/* PID 1 entry points (see init/README.md). */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

int keel_init_main (int argc, char **argv);
/* PID 1's first instruction, before its self-protecting re-exec
 * (lib/selfclone.h): stamps a console line and carries the time over the
 * exec in KEEL_BOOT_T0, which keel_init_main takes out again, so that
 * `keelctl boot-time` and bench/boot.sh see what keel costs before its
 * switch root.  Does nothing but as the machine's PID 1, or once the
 * stamp is set. */
void keel_init_stamp_start (void);
/* keelctl: the control client. */
int keel_ctl_main (int argc, char **argv);
/* keel check: containers.d entries validated as PID 1 loads them (check.c). */
int keel_check_main (int argc, char **argv);
/* keel deploy: the deployment store of a containers.d (deploycmd.c). */
int keel_deploy_main (int argc, char **argv);

#endif
