/* PID 1 entry points (see init/README.md). */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

int keel_init_main (int argc, char **argv);
/* keelctl: the control client. */
int keel_ctl_main (int argc, char **argv);
/* keel check: containers.d entries validated as PID 1 loads them (check.c). */
int keel_check_main (int argc, char **argv);
/* keel deploy: the deployment store of a containers.d (deploycmd.c). */
int keel_deploy_main (int argc, char **argv);

#endif
