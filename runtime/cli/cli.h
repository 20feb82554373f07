/* The runc-compatible command line (`keel-runtime`), one file per command. */
#ifndef KEEL_CLI_H
#define KEEL_CLI_H

#include <stdbool.h>

int keel_runtime_main (int argc, char **argv);

/* Whether this command line makes container processes (create, run), which
 * must then run from a sealed copy of the binary (lib/selfclone.h).  Looks
 * only at argv, before anything is parsed or opened. */
bool keel_runtime_spawns (int argc, char **argv);

#endif
