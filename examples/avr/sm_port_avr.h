/* sm_port_avr.h - a secmodem port for the atmega1284p: the modem on a
   USART (interrupt-driven rings, see usart.h), the 1 ms Timer1 clock as
   now_ms, and an optional trace of every AT line on the console.

   Usage (pull mode: the engine reads the ring from its poll):
       static usart modem_uart;
       static sm_port_avr port;
       sm_platform plat;
       usart_init(&modem_uart, 0, 115200, rx, sizeof rx, tx, sizeof tx);
       sm_port_avr_init(&port, &modem_uart);
       sm_port_avr_platform(&port, &plat);
       sm_at_init(&at, &plat, dialect);
       usart_enable_rx(&modem_uart);
       for (;;) { sm_at_poll(&at); board_idle_unless(sm_port_avr_rx_backlog, &port); }

   The secure element's I2C (i2c_write/i2c_read) is not part of this port:
   see sm_atecc_uart.h, which carries it over the other USART. */
#ifndef SM_PORT_AVR_H
#define SM_PORT_AVR_H

#include "../../secmodem.h"
#include "usart.h"

typedef struct sm_port_avr {
    usart *uart;
    int trace;          /* 1: print every line sent and received on the console */
} sm_port_avr;

void sm_port_avr_init(sm_port_avr *port, usart *uart);
/* Fills a platform struct whose callbacks use this port. */
void sm_port_avr_platform(sm_port_avr *port, sm_platform *plat);
/* Nonzero when the receive ring is at least half full: the main loop should
   poll now rather than at the next tick (at 115200 baud about 12 bytes
   arrive per millisecond, so with a 256-byte ring this is a safety net for
   a loop pass that took long). Takes the port as void * to suit
   board_idle_unless(). */
int sm_port_avr_rx_backlog(void *port);

#endif
