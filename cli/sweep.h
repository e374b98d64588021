/* hvsim sweep (cli/sweep.c). */
#ifndef HVSIM_CLI_SWEEP_H
#define HVSIM_CLI_SWEEP_H
extern const char sweep_help[];
int cmd_sweep(int argc, char **argv);
#endif
