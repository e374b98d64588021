/* hvsim trace: subcommands over KVM exit traces (traces/). */
#ifndef HVSIM_CLI_TRACE_H
#define HVSIM_CLI_TRACE_H

extern const char trace_help[];
/* argv[0] is "trace".  Exit status: 0, 2 usage, 3 bad input. */
int cmd_trace(int argc, char **argv);

#endif
