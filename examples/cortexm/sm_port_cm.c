/* sm_port_cm.c - see sm_port_cm.h. */
#include "sm_port_cm.h"

#include <string.h>

#include "board.h"

static int sm_port_cm_write(void *user, const uint8_t *data, size_t len)
{
    sm_port_cm *port = (sm_port_cm *)user;
    /* what fits in the transmit holding register now; the engine keeps the
       rest and offers it again on its next poll */
    return (int)cmsdk_uart_try_write(port->uart, data, len);
}

static int sm_port_cm_read(void *user, uint8_t *buf, size_t cap)
{
    sm_port_cm *port = (sm_port_cm *)user;
    return (int)cmsdk_uart_read(port->uart, buf, cap);
}

static uint32_t sm_port_cm_now(void *user)
{
    (void)user;
    return board_ms();
}

static void sm_port_cm_trace(void *user, int dir, const char *text, size_t len)
{
    static const char *const names[] = { "tx ", "rx ", "urc", "TX*", "RX*", "drop", "> " };
    sm_port_cm *port = (sm_port_cm *)user;
    size_t i;
    if (!port->trace) return;
    board_printf("%8lu %s ", (unsigned long)board_ms(),
                 (dir >= 0 && dir <= 6) ? names[dir] : "?");
    for (i = 0; i < len && i < 200u; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20u && c < 0x7Fu) board_printf("%c", c);
        else board_printf("\\x%x%x", (unsigned)(c >> 4), (unsigned)(c & 0xFu));
    }
    if (len > 200u) board_printf("... (%lu bytes)", (unsigned long)len);
    board_puts("\r\n");
}

void sm_port_cm_init(sm_port_cm *port, cmsdk_uart *uart)
{
    port->uart = uart;
    port->trace = 0;
}

void sm_port_cm_platform(sm_port_cm *port, sm_platform *plat)
{
    memset(plat, 0, sizeof *plat);
    plat->user = port;
    plat->write = sm_port_cm_write;
    plat->read = sm_port_cm_read;
    plat->now_ms = sm_port_cm_now;
    plat->trace = sm_port_cm_trace;
}

int sm_port_cm_rx_pending(const sm_port_cm *port)
{
    return cmsdk_uart_rx_count(port->uart) != 0;
}
