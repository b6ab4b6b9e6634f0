/* fuzz_atecc.c - libFuzzer harness for the ATECC608 side: the response
   decoder on arbitrary bytes, and the non-blocking transport driven by a
   chip whose every answer (ACK/NACK, bytes read) comes from the input.
   The transport must end every operation by its deadlines (bounded polls
   on a clock that advances) and never write past its buffers. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdlib.h>

typedef struct fchip {
    const uint8_t *data;
    size_t size, pos;
    uint32_t now;
} fchip;

static uint8_t next_byte(fchip *c) { return c->pos < c->size ? c->data[c->pos++] : 0xFF; }

static int fc_write(void *u, uint8_t addr, const uint8_t *d, size_t n)
{
    fchip *c = (fchip *)u;
    (void)addr; (void)d; (void)n;
    return (next_byte(c) & 7) == 0 ? -1 : 0; /* NACK now and then */
}
static int fc_read(void *u, uint8_t addr, uint8_t *b, size_t n)
{
    fchip *c = (fchip *)u;
    size_t i;
    (void)addr;
    if ((next_byte(c) & 7) == 0) return -1;
    for (i = 0; i < n; i++) b[i] = next_byte(c);
    return 0;
}
static uint32_t fc_now(void *u) { return ((fchip *)u)->now; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sm_atecc se;
    fchip chip;
    sm_platform p;
    sm_atecc_cmd cmd;
    uint8_t status, out[80], sig[64];
    static const uint8_t digest[32] = { 1, 2, 3 };
    int rc, polls = 0;
    if (size < 2) return 0;
    /* 1: the decoder alone */
    rc = sm_atecc_decode(data, size, &status);
    (void)rc;
    /* 2: the transport against a chip made of the input */
    memset(&chip, 0, sizeof chip);
    chip.data = data + 1;
    chip.size = size - 1;
    memset(&p, 0, sizeof p);
    p.user = &chip;
    p.i2c_write = fc_write;
    p.i2c_read = fc_read;
    p.now_ms = fc_now;
    if (sm_atecc_init(&se, &p, 0) != SM_OK) abort();
    switch (data[0] % 4) {
    case 0: sm_atecc_cmd_info(&cmd, 0, 0); rc = sm_atecc_start(&se, &cmd, out, sizeof out); break;
    case 1: sm_atecc_cmd_read(&cmd, 0, 0, 32); rc = sm_atecc_start(&se, &cmd, out, 4); break;
    case 2: rc = sm_atecc_sign_start(&se, 0, digest, sig); break;
    default: rc = sm_atecc_pubkey_start(&se, 0, out); break;
    }
    if (rc != SM_OK) abort();
    while ((rc = sm_atecc_poll(&se)) == SM_ATECC_PENDING) {
        chip.now += 1 + (uint32_t)(next_byte(&chip) % 50);
        if (++polls > 100000) abort(); /* would hang */
    }
    if (sm_atecc_out_len(&se) > sizeof out) abort();
    return 0;
}
