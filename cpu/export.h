/* hvsim run --trace-out FILE (hvsim trace export): the run's VM exits and
 * the events around them written as the kernel's ftrace text, so that
 * `hvsim replay` reads a firmware run the way it reads a real KVM host.
 *
 * One record per exit, as KVM traces it: kvm_exit (the reason or ESR_EL2.EC
 * and the qualification), the events that give the exit its meaning
 * (kvm_msr, kvm_pio, kvm_mmio, kvm_wfx_arm64, kvm_sys_access,
 * kvm_userspace_exit when the exit went on to the userspace VMM), then
 * kvm_entry when the exit's cost has been charged.  Timestamps are the
 * vCPU's clock in cycles printed as a bare counter, as ftrace prints a
 * counter clock (trace_clock x86-tsc or counter): hvsim's TSC is its cycle
 * clock, so nothing is rounded.  Each vCPU is thread 1000 + id on host CPU
 * id; lines are in simulation order (each vCPU's in time order, vCPUs
 * interleaved by quantum).  A tracing_mark_write per vCPU at the end of the
 * run closes each timeline at the vCPU's final clock. */
#ifndef HVSIM_CPU_EXPORT_H
#define HVSIM_CPU_EXPORT_H
#include <stdio.h>
#include "core/cost.h"

struct vcpu;
struct vcpus;

/* Starts writing to path ("-": standard output) for the vCPUs of s.
 * -1 + err_set if the file cannot be opened. */
int export_open(struct vcpus *s, const char *path, const char *what);
/* From vcpu_exit, before the clock moves: exit class x costing c. */
void export_exit(struct vcpu *v, unsigned x, const struct cost *c);
/* The end-of-run markers; closes the file.  -1 + err_set on a write error. */
int export_close(struct vcpus *s);

#endif
