/* The runc-compatible command line (`keel-runtime`), one file per command. */
#ifndef KEEL_CLI_H
#define KEEL_CLI_H

int keel_runtime_main (int argc, char **argv);

#endif
