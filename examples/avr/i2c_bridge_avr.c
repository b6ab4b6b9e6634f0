/* i2c_bridge_avr.c - see i2c_bridge_avr.h. */
#include "i2c_bridge_avr.h"

#include <string.h>

#include "../atecc_frame.h"
#include "board.h"

void i2c_bridge_avr_init(i2c_bridge_avr *bus, usart *uart)
{
    memset(bus, 0, sizeof *bus);
    bus->uart = uart;
}

static int i2c_bridge_avr_tx_room(void *uart)
{
    /* "work to do" for board_idle_unless: the ring has room again */
    usart *u = (usart *)uart;
    return (uint8_t)((u->tx_head + 1u) & u->tx_mask) != u->tx_tail;
}

static int i2c_bridge_avr_rx_waiting(void *uart)
{
    return usart_rx_count((usart *)uart) != 0;
}

/* A frame's byte I/O on the USART (atecc_frame.h), bounded by a deadline
   for the whole transaction. */
typedef struct i2c_bridge_avr_io {
    usart *uart;
    uint32_t t0;         /* when the transaction began */
} i2c_bridge_avr_io;

/* Sends n bytes, sleeping while the transmit ring is full (each byte sent
   frees a slot and wakes the core). 0, or -1 at the deadline. */
static int i2c_bridge_avr_send(void *ctx, const uint8_t *p, size_t n)
{
    const i2c_bridge_avr_io *io = (const i2c_bridge_avr_io *)ctx;
    while (n) {
        size_t k = usart_write(io->uart, p, n);
        p += k;
        n -= k;
        if (n == 0) break;
        if (board_ms() - io->t0 > I2C_BRIDGE_AVR_TIMEOUT_MS) return -1;
        board_idle_unless(i2c_bridge_avr_tx_room, io->uart);
    }
    return 0;
}

/* Receives n bytes (kept when p is not NULL, else dropped) before the
   deadline, sleeping until each arrives or the 1 ms tick. 0, or -1. */
static int i2c_bridge_avr_recv(void *ctx, uint8_t *p, size_t n)
{
    const i2c_bridge_avr_io *io = (const i2c_bridge_avr_io *)ctx;
    uint8_t scrap[8];
    while (n) {
        size_t k = usart_read(io->uart, p ? p : scrap, p ? n : (n < sizeof scrap ? n : sizeof scrap));
        if (p) p += k;
        n -= k;
        if (n == 0) break;
        if (board_ms() - io->t0 > I2C_BRIDGE_AVR_TIMEOUT_MS) return -1;
        board_idle_unless(i2c_bridge_avr_rx_waiting, io->uart);
    }
    return 0;
}

/* One request/reply. Returns the result byte ('A', 'N', 'E') or -1. */
static int i2c_bridge_avr_call(i2c_bridge_avr *bus, char op, uint8_t addr7, const uint8_t *out,
                               size_t len, uint8_t *in, size_t cap, size_t *got)
{
    uint8_t stale[4];
    i2c_bridge_avr_io ctx;
    sm_frame_io io;
    int r;
    bus->calls++;
    ctx.uart = bus->uart;
    ctx.t0 = board_ms();
    io.ctx = &ctx;
    io.send = i2c_bridge_avr_send;
    io.recv = i2c_bridge_avr_recv;
    /* bytes left over from an earlier reply that timed out must not be
       taken for this one's header */
    while (usart_read(bus->uart, stale, sizeof stale) != 0) {}
    r = sm_frame_call(&io, op, addr7, out, len, in, cap, got);
    if (r < 0) bus->timeouts++;
    return r;
}

static void i2c_bridge_avr_trace(const i2c_bridge_avr *bus, char op, uint8_t addr7,
                                 const uint8_t *d, size_t n, int result)
{
    size_t i;
    if (!bus->trace) return;
    BOARD_PRINTF("%8lu i2c %c 0x%02x %c", (unsigned long)board_ms(), op, (unsigned)addr7,
                 result > 0 ? (char)result : '!');
    for (i = 0; i < n && d && i < 16u; i++) BOARD_PRINTF(" %02x", (unsigned)d[i]);
    if (n > 16u) BOARD_PUTS(" ...");
    board_putc('\n');
}

static int i2c_bridge_avr_write(void *user, uint8_t addr7, const uint8_t *data, size_t len)
{
    i2c_bridge_avr *bus = (i2c_bridge_avr *)user;
    int r = i2c_bridge_avr_call(bus, 'W', addr7, data, len, NULL, 0, NULL);
    i2c_bridge_avr_trace(bus, 'W', addr7, data, len, r);
    return r == 'A' ? 0 : -1;
}

static int i2c_bridge_avr_read(void *user, uint8_t addr7, uint8_t *buf, size_t len)
{
    i2c_bridge_avr *bus = (i2c_bridge_avr *)user;
    size_t got = 0;
    int r = i2c_bridge_avr_call(bus, 'R', addr7, NULL, len, buf, len, &got);
    i2c_bridge_avr_trace(bus, 'R', addr7, buf, r == 'A' ? got : 0, r);
    return (r == 'A' && got == len) ? 0 : -1;
}

static uint32_t i2c_bridge_avr_now(void *user)
{
    (void)user;
    return board_ms();
}

void i2c_bridge_avr_platform(i2c_bridge_avr *bus, sm_platform *plat)
{
    memset(plat, 0, sizeof *plat);
    plat->user = bus;
    plat->i2c_write = i2c_bridge_avr_write;
    plat->i2c_read = i2c_bridge_avr_read;
    plat->now_ms = i2c_bridge_avr_now;
}
