/* Internals shared by gic/its.c (GICv3 ITS) and gic/its_v4.c (GICv4):
 * error reporting, table checks, lookups and the GICv4 command handlers.
 * Not for other users: the interface is gic/its.h. */
#ifndef HVSIM_GIC_ITS_INT_H
#define HVSIM_GIC_ITS_INT_H
#include "gic/its.h"

enum { ITS_TABLE_DEVICE = 0, ITS_TABLE_COLLECTION = 1, ITS_TABLE_VPE = 2 };

extern const char *const its_cmd_names[ITS_NR_CMDS];
/* Counts error e for `what` (debug line with value); returns false. */
bool its_fail(struct its *its, enum its_error e, const char *what, uint64_t value);
/* Guest (or host) memory through the GIC's callback; counted. */
bool its_mem(struct its *its, uint64_t addr, void *buf, unsigned len, bool write);
/* A table as a base register describes it (GITS_BASER<n>, 4.1 GICR_VPROPBASER). */
struct its_table {
	bool valid, indirect;
	uint64_t pa, page, bytes;   /* level-1 (or flat) table: address, page size, size */
	unsigned esz;               /* bytes per entry */
};
struct its_table its_baser_table(const struct its *its, unsigned n);
/* Entry id of table t: checks id against its size, reads a two-level
 * table's level-1 entry and checks that the entry lies in memory; its
 * address in *addr.  Errors counted as `oor` (id out of range) or as the
 * memory's. */
bool its_table_addr(struct its *its, const struct its_table *t, uint64_t id, enum its_error oor, const char *what,
		    uint64_t *addr);
/* Checks id against table n's GITS_BASER and that its entry lies in memory. */
bool its_table_entry(struct its *its, unsigned n, uint64_t id, const char *what);
struct its_device *its_find_device(struct its *its, uint32_t id);
struct its_ite *its_find_ite(struct its *its, uint32_t devid, uint32_t eventid);
/* The ITE of the command's (DeviceID, EventID), or NULL after an error. */
struct its_ite *its_cmd_ite(struct its *its, const struct its_cmd *c);
struct its_ite *its_free_ite(struct its *its);
void its_cache_flush(struct its *its);
cycles_t its_now(const struct its *its);

/* GICv4 commands (its_v4.c), one per number, and the effects on virtual
 * ITEs of the GICv3 commands and of an MSI. */
void its_cmd_vmapp(struct its *its, const struct its_cmd *c);
void its_cmd_vmapti(struct its *its, const struct its_cmd *c);
void its_cmd_vmapi(struct its *its, const struct its_cmd *c);
void its_cmd_vmovi(struct its *its, const struct its_cmd *c);
void its_cmd_vmovp(struct its *its, const struct its_cmd *c);
void its_cmd_vsync(struct its *its, const struct its_cmd *c);
void its_cmd_vinvall(struct its *its, const struct its_cmd *c);
void its_cmd_invdb(struct its *its, const struct its_cmd *c);
void its_cmd_vsgi(struct its *its, const struct its_cmd *c);
/* false: the ITE's vPE is not mapped (an error, counted). */
bool its_v4_set_pending(struct its *its, struct its_ite *ite, bool pending, cycles_t now);
void its_v4_reload(struct its *its, struct its_ite *ite);

#endif
