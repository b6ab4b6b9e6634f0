/* atecc_frame.h - one I2C transaction of the ATECC608 as a request/reply
   frame of the chip emulator's protocol (sim/chips/atecc.py), free of any
   platform. The example bridges give it their byte I/O: a UNIX socket on
   the PC (examples/posix/sm_atecc_bridge.c), a UART to QEMU's socket on the
   Cortex-M3 (examples/cortexm/i2c_bridge_cm.c), a USART to simavr's host on
   the AVR (examples/avr/i2c_bridge_avr.c). On a board the I2C driver takes
   their place and this file is not needed.

       request: op ('W' write, 'R' read, 'C' control) | addr7 |
                length (2, little-endian) | payload ('W' and 'C' only)
       reply:   result ('A' ack, 'N' nack, 'E' error) | length (2, LE) | bytes

   Include it in the bridge's .c file. */
#ifndef SM_ATECC_FRAME_H
#define SM_ATECC_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* The bridge's byte I/O; both wait (a transfer waits for its bytes) and
   return 0, or -1 when the link failed or the bridge's deadline passed. */
typedef struct sm_frame_io {
    void *ctx;
    /* all n bytes out */
    int (*send)(void *ctx, const uint8_t *p, size_t n);
    /* exactly n bytes in: into p, or read and dropped when p is NULL */
    int (*recv)(void *ctx, uint8_t *p, size_t n);
} sm_frame_io;

/* One frame out (`len` payload bytes for 'W' and 'C'; for 'R' the number of
   bytes asked for), its reply in: the reply's bytes go to in[cap], more
   than cap are read and dropped, *got (may be NULL) gets how many were
   kept. Returns the result byte ('A', 'N', 'E') or -1 on an I/O failure. */
static int sm_frame_call(const sm_frame_io *io, char op, uint8_t addr7, const uint8_t *out,
                         size_t len, uint8_t *in, size_t cap, size_t *got)
{
    uint8_t hdr[4];
    size_t n, keep;
    if (len > 0xFFFFu) return -1;
    hdr[0] = (uint8_t)op;
    hdr[1] = addr7;
    hdr[2] = (uint8_t)(len & 0xFFu);
    hdr[3] = (uint8_t)(len >> 8);
    if (io->send(io->ctx, hdr, 4) != 0) return -1;
    if (op != 'R' && len && io->send(io->ctx, out, len) != 0) return -1;
    if (io->recv(io->ctx, hdr, 3) != 0) return -1;
    n = (size_t)hdr[1] | (size_t)hdr[2] << 8;
    keep = n < cap ? n : cap;
    if (keep && io->recv(io->ctx, in, keep) != 0) return -1;
    if (n > keep && io->recv(io->ctx, NULL, n - keep) != 0) return -1;
    if (got) *got = keep;
    return hdr[0];
}

#endif
