/* MSI device.  See msidev.h. */
#include "dev/msidev.h"
#include <string.h>
#include "core/err.h"

/* Defaults and their sources: designs/default-*.ini */
const struct cfg_key msidev_cfg_keys[] = {
	{ "msidev", "queues", CFG_U64, 1, MSIDEV_MAX_QUEUES, NULL, "queues of the MSI device, one interrupt vector each" },
	{ "msidev", "requester_id", CFG_U64, 0, 0xffff, NULL,
	  "PCI requester ID of queue 0 (bus << 8 | device << 3 | function): the ITS DeviceID, the VT-d source-id" },
	{ "msidev", "rid_stride", CFG_U64, 0, 256, NULL,
	  "requester ID step between queues (SR-IOV VF Stride when each queue is a VF; 0: one function)" },
	{ "msidev", "interval_cycles", CFG_U64, 0, 1e12, NULL,
	  "rate mode: one interrupt per queue every this many cycles (0: no rate mode)" },
	{ "msidev", "doorbell_cycles", CFG_U64, 0, 1e9, NULL, "from a doorbell write until the device's MSI write" },
};
const unsigned msidev_cfg_nkeys = sizeof msidev_cfg_keys / sizeof msidev_cfg_keys[0];

void msidev_config_read(const struct cfg *c, struct msidev_config *mc)
{
	mc->queues = (unsigned)cfg_u64(c, "msidev", "queues");
	mc->requester_id = (uint16_t)cfg_u64(c, "msidev", "requester_id");
	mc->rid_stride = (unsigned)cfg_u64(c, "msidev", "rid_stride");
	mc->interval_cycles = cfg_u64(c, "msidev", "interval_cycles");
	mc->doorbell_cycles = cfg_u64(c, "msidev", "doorbell_cycles");
}

int msidev_init(struct msidev *d, const struct msidev_config *mc, struct evq *evq, cycles_t (*now)(void *ctx),
		msi_write_fn msi_write, void *ctx)
{
	if (mc->queues < 1 || mc->queues > MSIDEV_MAX_QUEUES)
		return err_set("msidev.queues: %u is outside [1, %d]", mc->queues, MSIDEV_MAX_QUEUES);
	uint64_t last = mc->requester_id + (uint64_t)(mc->queues - 1) * mc->rid_stride;
	if (last > 0xffff)
		return err_set("msidev: queue %u's requester ID 0x%llx is above 0xffff (requester_id 0x%x, rid_stride %u)",
			       mc->queues - 1, (unsigned long long)last, mc->requester_id, mc->rid_stride);
	memset(d, 0, sizeof *d);
	d->cfg = *mc;
	d->evq = evq;
	d->now = now;
	d->msi_write = msi_write;
	d->ctx = ctx;
	d->guest_errors = &d->own_errors;
	for (unsigned i = 0; i < mc->queues; i++) {
		d->q[i].dev = d;
		d->q[i].masked = true;   /* MSI-X vector control resets masked */
		d->q[i].rid = (uint16_t)(mc->requester_id + i * mc->rid_stride);
	}
	return 0;
}

/* ---- interrupts ---- */

static void send(struct msidev_queue *q, cycles_t when)
{
	struct msidev *d = q->dev;
	q->pending = false;
	q->sent++;
	d->sent++;
	d->sending = (unsigned)(q - d->q);
	d->msi_write(d->ctx, q->addr, q->data, q->rid, when);
}

static void set_intx(struct msidev *d, bool on, cycles_t when)
{
	if (on == d->intx_asserted)
		return;
	d->intx_asserted = on;
	d->intx(d->ctx, on, when);
}

static void raise_irq(struct msidev_queue *q, cycles_t when)
{
	struct msidev *d = q->dev;
	if (!d->enable && d->intx) {
		d->intx_raised++;
		set_intx(d, true, when);
		return;
	}
	if (!d->enable) {
		d->dropped++;
		return;
	}
	if (d->mask_all || q->masked) {
		q->pending = true;   /* the Pending Bit: sent on unmask */
		d->masked++;
		return;
	}
	send(q, when);
}

static void doorbell_fire(void *ctx, cycles_t when)
{
	raise_irq(ctx, when);
}

static void rate_fire(void *ctx, cycles_t when)
{
	struct msidev_queue *q = ctx;
	/* An event left from an earlier enable: only the live one counts */
	if (!q->rate || when != q->next_due)
		return;
	raise_irq(q, when);
	q->next_due = when + q->dev->cfg.interval_cycles;
	evq_push(q->dev->evq, q->next_due, rate_fire, q);
}

static void unmasked(struct msidev *d, cycles_t now)
{
	if (!d->enable || d->mask_all)
		return;
	for (unsigned i = 0; i < d->cfg.queues; i++)
		if (d->q[i].pending && !d->q[i].masked)
			send(&d->q[i], now);
}

static void set_rate(struct msidev_queue *q, bool on)
{
	struct msidev *d = q->dev;
	if (on == q->rate)
		return;
	q->rate = on && d->cfg.interval_cycles;
	if (!q->rate)
		return;
	q->next_due = d->now(d->ctx) + d->cfg.interval_cycles;
	evq_push(d->evq, q->next_due, rate_fire, q);
}

/* ---- registers ---- */

static struct msidev_queue *queue_at(struct msidev *d, uint64_t off, unsigned *reg)
{
	if (off < MSIDEV_QUEUE_BASE)
		return NULL;
	uint64_t i = (off - MSIDEV_QUEUE_BASE) / MSIDEV_QUEUE_STRIDE;
	if (i >= d->cfg.queues)
		return NULL;
	*reg = (unsigned)((off - MSIDEV_QUEUE_BASE) % MSIDEV_QUEUE_STRIDE);
	return &d->q[i];
}

static bool queue_read(struct msidev_queue *q, unsigned reg, uint32_t *val)
{
	switch (reg) {
	case MSIDEV_Q_ADDR_LO:     *val = (uint32_t)q->addr; return true;
	case MSIDEV_Q_ADDR_HI:     *val = (uint32_t)(q->addr >> 32); return true;
	case MSIDEV_Q_DATA:        *val = q->data; return true;
	case MSIDEV_Q_VECTOR_CTRL: *val = (uint32_t)FIELD_DP(0, MSIDEV_VCTRL, MASK, q->masked); return true;
	case MSIDEV_Q_CTRL:        *val = (uint32_t)FIELD_DP(0, MSIDEV_QCTRL, RATE, q->rate); return true;
	case MSIDEV_Q_RID:         *val = q->rid; return true;
	case MSIDEV_Q_COUNT:       *val = (uint32_t)q->sent; return true;
	case MSIDEV_Q_PENDING:     *val = q->pending; return true;
	}
	return false;
}

static bool read32(struct msidev *d, uint64_t off, uint32_t *val)
{
	unsigned reg;
	struct msidev_queue *q = queue_at(d, off, &reg);
	if (q)
		return queue_read(q, reg, val);
	switch (off) {
	case MSIDEV_ID:          *val = MSIDEV_ID_VALUE; return true;
	case MSIDEV_NQUEUES:     *val = d->cfg.queues; return true;
	case MSIDEV_CTRL:
		*val = (uint32_t)(FIELD_DP(0, MSIDEV_CTRL, ENABLE, d->enable) | FIELD_DP(0, MSIDEV_CTRL, MASK_ALL, d->mask_all));
		return true;
	case MSIDEV_DOORBELL:    *val = 0; return true;    /* write-only */
	case MSIDEV_INTERVAL:    *val = (uint32_t)d->cfg.interval_cycles; return true;
	case MSIDEV_INTERVAL_HI: *val = (uint32_t)(d->cfg.interval_cycles >> 32); return true;
	case MSIDEV_INTX_STATUS: *val = (uint32_t)FIELD_DP(0, MSIDEV_INTX, ASSERTED, d->intx_asserted); return true;
	}
	return false;
}

static bool queue_write(struct msidev_queue *q, unsigned reg, uint32_t val)
{
	struct msidev *d = q->dev;
	switch (reg) {
	case MSIDEV_Q_ADDR_LO: q->addr = (q->addr & ~0xffffffffULL) | val; return true;
	case MSIDEV_Q_ADDR_HI: q->addr = (q->addr & 0xffffffffULL) | (uint64_t)val << 32; return true;
	case MSIDEV_Q_DATA:    q->data = val; return true;
	case MSIDEV_Q_VECTOR_CTRL:
		q->masked = FIELD_EX(val, MSIDEV_VCTRL, MASK);
		unmasked(d, d->now(d->ctx));
		return true;
	case MSIDEV_Q_CTRL:
		set_rate(q, FIELD_EX(val, MSIDEV_QCTRL, RATE));
		return true;
	}
	return false;   /* read-only */
}

static void doorbell(struct msidev *d, uint32_t idx)
{
	if (idx >= d->cfg.queues) {
		(*d->guest_errors)++;
		return;
	}
	d->doorbells++;
	evq_push(d->evq, d->now(d->ctx) + d->cfg.doorbell_cycles, doorbell_fire, &d->q[idx]);
}

static bool write32(struct msidev *d, uint64_t off, uint32_t val)
{
	unsigned reg;
	struct msidev_queue *q = queue_at(d, off, &reg);
	if (q)
		return queue_write(q, reg, val);
	switch (off) {
	case MSIDEV_CTRL:
		d->enable = FIELD_EX(val, MSIDEV_CTRL, ENABLE);
		d->mask_all = FIELD_EX(val, MSIDEV_CTRL, MASK_ALL);
		/* MSI-X on: the function may not use INTx (PCI 3.0 6.8.2.3, MSI-X Enable) */
		if (d->enable && d->intx)
			set_intx(d, false, d->now(d->ctx));
		unmasked(d, d->now(d->ctx));
		return true;
	case MSIDEV_INTX_STATUS:
		if (FIELD_EX(val, MSIDEV_INTX, ASSERTED) && d->intx)
			set_intx(d, false, d->now(d->ctx));
		return true;
	case MSIDEV_DOORBELL:
		doorbell(d, val);
		return true;
	}
	return false;
}

static bool bad_access(struct msidev *d, uint64_t off, unsigned size)
{
	if ((size == 4 || size == 8) && (off & (size - 1)) == 0 && off < MSIDEV_WINDOW)
		return false;
	(*d->guest_errors)++;
	return true;
}

static uint64_t msidev_read(void *dev, uint64_t off, unsigned size)
{
	struct msidev *d = dev;
	uint32_t lo = 0, hi = 0;
	if (bad_access(d, off, size))
		return 0;
	if (!read32(d, off, &lo) || (size == 8 && !read32(d, off + 4, &hi)))
		(*d->guest_errors)++;
	return size == 8 ? (uint64_t)hi << 32 | lo : lo;
}

static void msidev_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct msidev *d = dev;
	if (bad_access(d, off, size))
		return;
	if (!write32(d, off, (uint32_t)val) || (size == 8 && !write32(d, off + 4, (uint32_t)(val >> 32))))
		(*d->guest_errors)++;
}

const struct dev_ops msidev_ops = { msidev_read, msidev_write };
