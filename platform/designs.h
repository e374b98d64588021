/* The default design files, embedded at build time (Makefile: designs_embedded.c). */
#ifndef HVSIM_PLATFORM_DESIGNS_H
#define HVSIM_PLATFORM_DESIGNS_H
extern const char hvsim_default_design_arm64[];
extern const char hvsim_default_design_x86[];
#endif
