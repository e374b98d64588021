/* Minimal read-only flattened-devicetree walker (Devicetree Specification
 * v0.3, chapter 5).  It finds only what the guests need: the /cpus/cpu@N
 * nodes and their reg (MPIDR), the first /memory reg entry, the reg of
 * the "arm,pl011" node and the two reg entries (GICD, GICR) of "arm,gic-v3".  Every offset and length read from the blob is
 * checked against the header's block sizes before use.
 *
 * Header (§5.2), big-endian u32 fields:
 *   0 magic  4 totalsize  8 off_dt_struct  12 off_dt_strings  16 off_mem_rsvmap
 *  20 version  24 last_comp_version  28 boot_cpuid_phys  32 size_dt_strings
 *  36 size_dt_struct
 * Structure block (§5.4): u32 tokens BEGIN_NODE name\0 (padded to 4),
 * PROP len nameoff value (padded to 4), END_NODE, NOP, END. */
#include "rt.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_HDR_SIZE   40u
#define FDT_MAX_SIZE   (1u << 20)    /* sanity bound on totalsize */
#define FDT_MAX_DEPTH  16

/* Byte loads: no alignment assumptions (Device memory with the MMU off). */
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum node_kind { NODE_OTHER, NODE_CPUS, NODE_CPU, NODE_MEMORY, NODE_GIC };

struct node {
    enum node_kind kind;
    int pl011;                       /* compatible contains "arm,pl011" */
    uint32_t addr_cells, size_cells; /* for this node's children (§2.3.5 defaults 2, 1) */
    const uint8_t *reg;
    uint32_t reg_len;
};

/* Does the stringlist (§2.2.4.1) value[0..len) contain s? */
static int strlist_has(const uint8_t *v, uint32_t len, const char *s)
{
    size_t n = strlen(s) + 1;
    uint32_t i = 0;
    while (i < len) {
        uint32_t j = i;
        while (j < len && v[j])
            j++;
        if (j == len)                /* unterminated last string */
            return 0;
        if (j - i + 1 == n && !memcmp(v + i, s, n))
            return 1;
        i = j + 1;
    }
    return 0;
}

/* Value of `cells` (1 or 2) big-endian cells at p. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    return cells == 1 ? be32(p) : (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Record what a finished node told us; `parent` gives its reg's cell sizes. */
static int node_done(const struct node *n, const struct node *parent, struct fdt_info *out)
{
    uint32_t ac = parent->addr_cells, sc = parent->size_cells;
    if (n->kind == NODE_OTHER && !n->pl011)
        return FDT_OK;
    if (!n->reg)
        return n->kind == NODE_CPU ? FDT_ERR_CELLS : FDT_OK;  /* cpu nodes need reg */
    if (ac < 1 || ac > 2 || sc > 2 || n->reg_len < (ac + (n->kind == NODE_CPU ? 0 : sc)) * 4)
        return FDT_ERR_CELLS;
    uint64_t addr = read_cells(n->reg, ac);
    if (n->kind == NODE_CPU) {
        if (out->ncpus < RT_MAX_CPUS)
            out->mpidr[out->ncpus] = addr;
        out->ncpus++;
    } else if (n->kind == NODE_GIC) {
        if (n->reg_len < 2 * (ac + sc) * 4)
            return FDT_ERR_CELLS;
        out->gicd_base = addr;
        out->gicr_base = read_cells(n->reg + (ac + sc) * 4, ac);
    } else if (n->kind == NODE_MEMORY) {
        if (sc < 1)
            return FDT_ERR_CELLS;
        if (!out->mem_size) {
            out->mem_base = addr;
            out->mem_size = read_cells(n->reg + ac * 4, sc);
        }
    } else if (!out->uart_base) {
        out->uart_base = addr;
    }
    return FDT_OK;
}

int fdt_scan(const void *blob, struct fdt_info *out)
{
    const uint8_t *h = blob;
    memset(out, 0, sizeof *out);
    if (be32(h) != FDT_MAGIC)
        return FDT_ERR_MAGIC;
    uint32_t total = be32(h + 4), off_struct = be32(h + 8), off_strings = be32(h + 12);
    uint32_t version = be32(h + 20), size_strings = be32(h + 32), size_struct = be32(h + 36);
    if (total < FDT_HDR_SIZE || total > FDT_MAX_SIZE)
        return FDT_ERR_SIZE;
    if (version < 17)                /* size_dt_struct exists from version 17 */
        return FDT_ERR_VERSION;
    if (off_struct > total || size_struct > total - off_struct || (off_struct & 3) ||
        off_strings > total || size_strings > total - off_strings)
        return FDT_ERR_SIZE;

    const uint8_t *s = h + off_struct, *strings = h + off_strings;
    struct node stack[FDT_MAX_DEPTH + 1];
    int depth = 0;                   /* stack[0] stands for "above the root" */
    stack[0] = (struct node){ NODE_OTHER, 0, 2, 1, 0, 0 };
    uint32_t pos = 0;
    for (;;) {
        if (pos > size_struct || size_struct - pos < 4)
            return FDT_ERR_STRUCT;
        uint32_t tok = be32(s + pos);
        pos += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)s + pos;
            uint32_t len = 0;
            while (pos + len < size_struct && name[len])
                len++;
            if (pos + len >= size_struct || depth == FDT_MAX_DEPTH)
                return FDT_ERR_STRUCT;
            pos = (pos + len + 1 + 3) & ~3u;
            struct node *parent = &stack[depth++], *n = &stack[depth];
            *n = (struct node){ NODE_OTHER, 0, 2, 1, 0, 0 };
            if (depth == 2 && !strcmp(name, "cpus"))
                n->kind = NODE_CPUS;
            else if (depth == 2 && (!strcmp(name, "memory") || !strncmp(name, "memory@", 7)))
                n->kind = NODE_MEMORY;
            else if (depth == 3 && parent->kind == NODE_CPUS && !strncmp(name, "cpu@", 4))
                n->kind = NODE_CPU;
        } else if (tok == FDT_PROP) {
            if (depth == 0 || size_struct - pos < 8)
                return FDT_ERR_STRUCT;
            uint32_t len = be32(s + pos), nameoff = be32(s + pos + 4);
            pos += 8;
            if (len > size_struct - pos || nameoff >= size_strings)
                return FDT_ERR_STRUCT;
            const char *pname = (const char *)strings + nameoff;
            uint32_t max = size_strings - nameoff, k = 0;
            while (k < max && pname[k])
                k++;
            if (k == max)            /* property name runs off the strings block */
                return FDT_ERR_STRUCT;
            const uint8_t *v = s + pos;
            struct node *n = &stack[depth];
            if (!strcmp(pname, "#address-cells") && len == 4)
                n->addr_cells = be32(v);
            else if (!strcmp(pname, "#size-cells") && len == 4)
                n->size_cells = be32(v);
            else if (!strcmp(pname, "reg"))
                n->reg = v, n->reg_len = len;
            else if (!strcmp(pname, "compatible")) {
                n->pl011 = strlist_has(v, len, "arm,pl011");
                if (strlist_has(v, len, "arm,gic-v3"))
                    n->kind = NODE_GIC;
            }
            else if (!strcmp(pname, "device_type") && depth == 2 && strlist_has(v, len, "memory"))
                n->kind = NODE_MEMORY;
            pos = (pos + len + 3) & ~3u;
        } else if (tok == FDT_END_NODE) {
            if (depth == 0)
                return FDT_ERR_STRUCT;
            int r = node_done(&stack[depth], &stack[depth - 1], out);
            if (r != FDT_OK)
                return r;
            depth--;
        } else if (tok == FDT_END) {
            return depth == 0 ? FDT_OK : FDT_ERR_STRUCT;
        } else if (tok != FDT_NOP) {
            return FDT_ERR_STRUCT;
        }
    }
}

const char *fdt_strerror(int err)
{
    switch (err) {
    case FDT_OK:          return "ok";
    case FDT_ERR_ADDRESS: return "DTB address not 8-byte aligned RAM";
    case FDT_ERR_MAGIC:   return "bad DTB magic (want 0xd00dfeed)";
    case FDT_ERR_SIZE:    return "DTB totalsize or block offsets out of range";
    case FDT_ERR_VERSION: return "DTB version below 17";
    case FDT_ERR_STRUCT:  return "malformed DTB structure block";
    case FDT_ERR_CELLS:   return "unsupported #address-cells/#size-cells or short reg";
    default:              return "unknown DTB error";
    }
}
