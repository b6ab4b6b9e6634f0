/* i2c_bridge_avr.c - see i2c_bridge_avr.h. */
#include "i2c_bridge_avr.h"

#include <string.h>

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

/* Sends n bytes, sleeping while the transmit ring is full (each byte sent
   frees a slot and wakes the core). 0, or -1 at the deadline. */
static int i2c_bridge_avr_send(usart *u, const uint8_t *p, size_t n, uint32_t t0)
{
    while (n) {
        size_t k = usart_write(u, p, n);
        p += k;
        n -= k;
        if (n == 0) break;
        if (board_ms() - t0 > I2C_BRIDGE_AVR_TIMEOUT_MS) return -1;
        board_idle_unless(i2c_bridge_avr_tx_room, u);
    }
    return 0;
}

/* Receives n bytes (kept when p is not NULL, else dropped) before the
   deadline, sleeping until each arrives or the 1 ms tick. 0, or -1. */
static int i2c_bridge_avr_recv(usart *u, uint8_t *p, size_t n, uint32_t t0)
{
    uint8_t scrap[8];
    while (n) {
        size_t k = usart_read(u, p ? p : scrap, p ? n : (n < sizeof scrap ? n : sizeof scrap));
        if (p) p += k;
        n -= k;
        if (n == 0) break;
        if (board_ms() - t0 > I2C_BRIDGE_AVR_TIMEOUT_MS) return -1;
        board_idle_unless(i2c_bridge_avr_rx_waiting, u);
    }
    return 0;
}

/* One frame out ('W' with the bytes, 'R' asking for len bytes), its reply
   in: the reply's bytes go to in[cap] (more than asked are dropped).
   Returns the result byte ('A' ack, 'N' nack, 'E' error) or -1. */
static int i2c_bridge_avr_call(i2c_bridge_avr *bus, char op, uint8_t addr7, const uint8_t *out,
                               size_t len, uint8_t *in, size_t cap, size_t *got)
{
    uint8_t hdr[4];
    uint32_t t0 = board_ms();
    size_t n, keep;
    bus->calls++;
    /* bytes left over from an earlier reply that timed out must not be
       taken for this one's header */
    while (usart_read(bus->uart, hdr, sizeof hdr) != 0) {}
    hdr[0] = (uint8_t)op;
    hdr[1] = addr7;
    hdr[2] = (uint8_t)(len & 0xFFu);
    hdr[3] = (uint8_t)(len >> 8);
    if (i2c_bridge_avr_send(bus->uart, hdr, 4, t0) != 0 ||
        (op == 'W' && i2c_bridge_avr_send(bus->uart, out, len, t0) != 0) ||
        i2c_bridge_avr_recv(bus->uart, hdr, 3, t0) != 0) {
        bus->timeouts++;
        return -1;
    }
    n = (size_t)hdr[1] | (size_t)hdr[2] << 8;
    keep = n < cap ? n : cap;
    if (i2c_bridge_avr_recv(bus->uart, in, keep, t0) != 0 ||
        i2c_bridge_avr_recv(bus->uart, NULL, n - keep, t0) != 0) {
        bus->timeouts++;
        return -1;
    }
    if (got) *got = keep;
    return hdr[0];
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
