/* The versions hvsim runs with, for 'hvsim --version'. */
#ifndef HVSIM_CLI_VERSIONS_H
#define HVSIM_CLI_VERSIONS_H
#include <stdio.h>

/* hvsim's version, then Unicorn's and Capstone's as loaded at run time (which
 * can differ from the headers hvsim was built with), each with its path. */
void print_versions(FILE *f);

#endif
