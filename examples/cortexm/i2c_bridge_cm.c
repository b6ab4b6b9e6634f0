/* i2c_bridge_cm.c - see i2c_bridge_cm.h. */
#include "i2c_bridge_cm.h"

#include <string.h>

#include "../atecc_frame.h"
#include "an385.h"
#include "board.h"
#include "cmsdk_uart.h"

void i2c_bridge_cm_init(i2c_bridge_cm *bus, uint32_t uart_base, uint32_t baud)
{
    memset(bus, 0, sizeof *bus);
    bus->base = uart_base;
    CMSDK_UART_BAUDDIV(uart_base) = AN385_SYSCLK_HZ / baud;
    CMSDK_UART_CTRL(uart_base) = CMSDK_UART_CTRL_TXEN | CMSDK_UART_CTRL_RXEN;
}

/* A frame's byte I/O on the UART (atecc_frame.h), bounded by a deadline
   for the whole transaction. */
typedef struct i2c_bridge_cm_io {
    uint32_t base;
    uint32_t t0;         /* when the transaction began */
} i2c_bridge_cm_io;

static int i2c_bridge_cm_send(void *ctx, const uint8_t *p, size_t n)
{
    const i2c_bridge_cm_io *io = (const i2c_bridge_cm_io *)ctx;
    while (n--) cmsdk_uart_putc_blocking(io->base, (char)*p++);
    return 0;
}

/* n bytes in (kept when p is not NULL, else dropped): 0, or -1 when the
   deadline passed */
static int i2c_bridge_cm_recv(void *ctx, uint8_t *p, size_t n)
{
    const i2c_bridge_cm_io *io = (const i2c_bridge_cm_io *)ctx;
    while (n) {
        if (CMSDK_UART_STATE(io->base) & CMSDK_UART_STATE_RXFULL) {
            uint8_t b = (uint8_t)CMSDK_UART_DATA(io->base);
            if (p) *p++ = b;
            n--;
        } else if (board_ms() - io->t0 > I2C_BRIDGE_CM_TIMEOUT_MS) {
            return -1;
        }
    }
    return 0;
}

/* One request/reply. Returns the result byte ('A', 'N', 'E') or -1. */
static int i2c_bridge_cm_call(i2c_bridge_cm *bus, char op, uint8_t addr7, const uint8_t *out,
                              size_t len, uint8_t *in, size_t cap, size_t *got)
{
    i2c_bridge_cm_io ctx;
    sm_frame_io io;
    int r;
    ctx.base = bus->base;
    ctx.t0 = board_ms();
    io.ctx = &ctx;
    io.send = i2c_bridge_cm_send;
    io.recv = i2c_bridge_cm_recv;
    /* a byte left over from an earlier reply that timed out must not be
       taken for this one's header */
    while (CMSDK_UART_STATE(bus->base) & CMSDK_UART_STATE_RXFULL) (void)CMSDK_UART_DATA(bus->base);
    r = sm_frame_call(&io, op, addr7, out, len, in, cap, got);
    if (r < 0) bus->timeouts++;
    return r;
}

static void i2c_bridge_cm_trace(const i2c_bridge_cm *bus, char op, uint8_t addr7,
                                const uint8_t *d, size_t n, int result)
{
    size_t i;
    if (!bus->trace) return;
    board_printf("%8lu i2c %c 0x%02x %c", (unsigned long)board_ms(), op, (unsigned)addr7,
                 result > 0 ? (char)result : '!');
    for (i = 0; i < n && d && i < 16u; i++) board_printf(" %02x", (unsigned)d[i]);
    board_puts(n > 16u ? " ...\r\n" : "\r\n");
}

static int i2c_bridge_cm_write(void *user, uint8_t addr7, const uint8_t *data, size_t len)
{
    i2c_bridge_cm *bus = (i2c_bridge_cm *)user;
    int r = i2c_bridge_cm_call(bus, 'W', addr7, data, len, NULL, 0, NULL);
    i2c_bridge_cm_trace(bus, 'W', addr7, data, len, r);
    return r == 'A' ? 0 : -1;
}

static int i2c_bridge_cm_read(void *user, uint8_t addr7, uint8_t *buf, size_t len)
{
    i2c_bridge_cm *bus = (i2c_bridge_cm *)user;
    size_t got = 0;
    int r = i2c_bridge_cm_call(bus, 'R', addr7, NULL, len, buf, len, &got);
    i2c_bridge_cm_trace(bus, 'R', addr7, buf, r == 'A' ? got : 0, r);
    return (r == 'A' && got == len) ? 0 : -1;
}

static uint32_t i2c_bridge_cm_now(void *user)
{
    (void)user;
    return board_ms();
}

void i2c_bridge_cm_platform(i2c_bridge_cm *bus, sm_platform *plat)
{
    memset(plat, 0, sizeof *plat);
    plat->user = bus;
    plat->i2c_write = i2c_bridge_cm_write;
    plat->i2c_read = i2c_bridge_cm_read;
    plat->now_ms = i2c_bridge_cm_now;
}
