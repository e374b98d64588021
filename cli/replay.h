/* hvsim replay and hvsim compare (cli/replay.c over traces/replay.h). */
#ifndef HVSIM_CLI_REPLAY_H
#define HVSIM_CLI_REPLAY_H

extern const char replay_help[], compare_help[];
/* argv[0] is the command.  Exit status: 0, 2 usage, 3 bad input. */
int cmd_replay(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#endif
