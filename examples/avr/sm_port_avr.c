/* sm_port_avr.c - see sm_port_avr.h. */
#include "sm_port_avr.h"

#include <string.h>

#include "board.h"

static int sm_port_avr_write(void *user, const uint8_t *data, size_t len)
{
    sm_port_avr *port = (sm_port_avr *)user;
    /* what fits in the transmit ring now (at most its size, so the count
       fits an int); the engine keeps the rest and offers it again on its
       next poll, at the latest at the next tick: a 64-byte ring refilled
       every millisecond outruns the line's 11.5 bytes per millisecond */
    return (int)usart_write(port->uart, data, len);
}

static int sm_port_avr_read(void *user, uint8_t *buf, size_t cap)
{
    sm_port_avr *port = (sm_port_avr *)user;
    return (int)usart_read(port->uart, buf, cap);
}

static uint32_t sm_port_avr_now(void *user)
{
    (void)user;
    return board_ms();
}

static void sm_port_avr_trace(void *user, int dir, const char *text, size_t len)
{
    static const char names[][5] PROGMEM = { "tx ", "rx ", "urc", "TX*", "RX*", "drop", ">  " };
    sm_port_avr *port = (sm_port_avr *)user;
    size_t i;
    if (!port->trace) return;
    BOARD_PRINTF("%8lu %S ", (unsigned long)board_ms(),
                 (dir >= 0 && dir <= 6) ? names[dir] : PSTR("?"));
    for (i = 0; i < len && i < 200u; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20u && c < 0x7Fu) board_putc((char)c);
        else BOARD_PRINTF("\\x%02x", c);
    }
    if (len > 200u) BOARD_PRINTF("... (%u bytes)", (unsigned)len);
    board_putc('\n');
}

void sm_port_avr_init(sm_port_avr *port, usart *uart)
{
    port->uart = uart;
    port->trace = 0;
}

void sm_port_avr_platform(sm_port_avr *port, sm_platform *plat)
{
    memset(plat, 0, sizeof *plat);
    plat->user = port;
    plat->write = sm_port_avr_write;
    plat->read = sm_port_avr_read;
    plat->now_ms = sm_port_avr_now;
    plat->trace = sm_port_avr_trace;
}

int sm_port_avr_rx_backlog(void *port)
{
    const usart *u = ((sm_port_avr *)port)->uart;
    return usart_rx_count(u) * 2u > u->rx_mask;
}
