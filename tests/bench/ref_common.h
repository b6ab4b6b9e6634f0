/* ref_common.h - the minimal reference program every footprint build
   shares: a platform whose callbacks do nothing, so that what the linker
   keeps beyond the empty program is the module under measurement. */
#ifndef SM_REF_COMMON_H
#define SM_REF_COMMON_H
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

/* volatile so the compiler cannot fold the module's work away */
static volatile uint32_t sm_ref_clock;
static volatile uint8_t sm_ref_sink;

static int sm_ref_write(void *u, const uint8_t *d, size_t n)
{
    (void)u;
    if (n) sm_ref_sink = d[0];
    return (int)n;
}
static int sm_ref_read(void *u, uint8_t *b, size_t cap)
{
    (void)u;
    if (cap) b[0] = sm_ref_sink;
    return cap ? 1 : 0;
}
static uint32_t sm_ref_now(void *u) { (void)u; return sm_ref_clock; }
static int sm_ref_i2c_write(void *u, uint8_t a, const uint8_t *d, size_t n)
{ (void)u; (void)a; if (n) sm_ref_sink = d[0]; return 0; }
static int sm_ref_i2c_read(void *u, uint8_t a, uint8_t *b, size_t n)
{ (void)u; (void)a; if (n) b[0] = sm_ref_sink; return 0; }

static void sm_ref_platform(sm_platform *p)
{
    memset(p, 0, sizeof *p);
    p->write = sm_ref_write;
    p->read = sm_ref_read;
    p->now_ms = sm_ref_now;
    p->i2c_write = sm_ref_i2c_write;
    p->i2c_read = sm_ref_i2c_read;
}
#endif
