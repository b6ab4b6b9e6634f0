/* sm_fake_atecc.h - just enough of an ATECC608 on I2C for the unit tests of
   the glue that drives one (the CSR of section 11, host signing of section
   12), shared instead of a copy in each: the wake (its 04 11 33 43 answer),
   idle and sleep, the reset of the output pointer (NACKed while `busy`
   lasts, `busy_polls` times after each command), command groups with their
   length and CRC checked (a bad one is answered 0xFF). What each opcode
   does is the test's: `op` answers a group whose framing is right, with
   sm_fake_chip_answer. The chip's clock moves 1 ms each time it is read.

   A test embeds an sm_fake_chip as the FIRST member of its own fake (op
   gets back to it by a cast) and gives &fake->bus as the platform's user
   pointer with sm_fake_chip_write, sm_fake_chip_read, sm_fake_chip_now.
   Include after secmodem.h (it uses the ATECC608 section's CRC). */
#ifndef SM_FAKE_ATECC_H
#define SM_FAKE_ATECC_H
#include <stdint.h>
#include <string.h>

typedef struct sm_fake_chip sm_fake_chip;
struct sm_fake_chip {
    void (*op)(sm_fake_chip *f, const uint8_t *g, size_t n);
    uint8_t rsp[80];             /* the answer the chip holds */
    size_t rsp_len, rsp_pos;
    uint8_t busy_polls, busy;
    int writes;                  /* every I2C write */
    int commands;                /* every command group, good or bad */
    int crc_bad;                 /* groups refused for their length or CRC */
    uint32_t now;
};

/* Holds data[n] as the next answer: count, data, CRC. */
static inline void sm_fake_chip_answer(sm_fake_chip *f, const uint8_t *data, size_t n)
{
    uint16_t crc;
    f->rsp[0] = (uint8_t)(n + 3);
    memcpy(f->rsp + 1, data, n);
    crc = sm_atecc_crc16(f->rsp, n + 1);
    f->rsp[n + 1] = (uint8_t)(crc & 0xFF);
    f->rsp[n + 2] = (uint8_t)(crc >> 8);
    f->rsp_len = n + 3;
    f->rsp_pos = 0;
    f->busy = f->busy_polls;
}

static inline void sm_fake_chip_command(sm_fake_chip *f, const uint8_t *g, size_t n)
{
    uint16_t crc = sm_atecc_crc16(g, n - 2);
    f->commands++;
    if (n < 7 || g[0] != n || g[n - 2] != (crc & 0xFF) || g[n - 1] != (crc >> 8)) {
        static const uint8_t bad = 0xFF;
        f->crc_bad++;
        sm_fake_chip_answer(f, &bad, 1);
        return;
    }
    f->op(f, g, n);
}

static inline int sm_fake_chip_write(void *u, uint8_t addr, const uint8_t *d, size_t n)
{
    static const uint8_t wake[4] = { 0x04, 0x11, 0x33, 0x43 };
    sm_fake_chip *f = (sm_fake_chip *)u;
    f->writes++;
    if (addr == 0x00) { memcpy(f->rsp, wake, 4); f->rsp_len = 4; f->rsp_pos = 0; return -1; }
    if (addr != SM_ATECC_ADDR_DEFAULT || n == 0) return -1;
    if (d[0] == 0x03 && n > 1) { sm_fake_chip_command(f, d + 1, n - 1); return 0; }
    if (d[0] == 0x00 && n == 1) { /* reset the output pointer, or NACK while busy */
        if (f->busy) { f->busy--; return -1; }
        f->rsp_pos = 0;
        return 0;
    }
    return 0; /* idle, sleep */
}

static inline int sm_fake_chip_read(void *u, uint8_t addr, uint8_t *b, size_t n)
{
    sm_fake_chip *f = (sm_fake_chip *)u;
    if (addr != SM_ATECC_ADDR_DEFAULT || f->rsp_pos + n > f->rsp_len) return -1;
    memcpy(b, f->rsp + f->rsp_pos, n);
    f->rsp_pos += n;
    return 0;
}

/* time passes as it is read */
static inline uint32_t sm_fake_chip_now(void *u) { return ((sm_fake_chip *)u)->now++; }
#endif
