/* hvsim sweep (cli/sweep.c) and the commands on its results. */
#ifndef HVSIM_CLI_SWEEP_H
#define HVSIM_CLI_SWEEP_H
extern const char sweep_help[];
int cmd_sweep(int argc, char **argv);
/* hvsim report (cli/report.c) */
extern const char report_help[];
int cmd_report(int argc, char **argv);
/* hvsim plot (cli/plot.c) */
extern const char plot_help[];
int cmd_plot(int argc, char **argv);
#endif
