/* sm_port_cm.h - a secmodem port for a bare-metal Cortex-M: the modem on a
   CMSDK APB UART (interrupt-driven receive ring, non-blocking transmit), the
   1 ms SysTick clock as now_ms, and an optional trace on the console.

   Usage (pull mode: the engine reads the ring from sm_at_poll()):
       static cmsdk_uart modem_uart;          // filled by the RX interrupt
       static sm_port_cm port;
       sm_platform plat;
       cmsdk_uart_init(&modem_uart, AN385_UART0_BASE, 115200);
       cmsdk_uart_enable_rx_irq(&modem_uart, AN385_IRQ_UART0_RX);
       sm_port_cm_init(&port, &modem_uart);
       sm_port_cm_platform(&port, &plat);
       sm_at_init(&at, &plat, dialect);
       for (;;) { sm_at_poll(&at); if (!sm_port_cm_rx_pending(&port)) wfi(); }

   I2C to a secure element is not wired yet: i2c_write/i2c_read stay NULL. */
#ifndef SM_PORT_CM_H
#define SM_PORT_CM_H

#include "../../secmodem.h"
#include "cmsdk_uart.h"

typedef struct sm_port_cm {
    cmsdk_uart *uart;
    int trace;          /* 1: print every line sent and received on the console */
} sm_port_cm;

void sm_port_cm_init(sm_port_cm *port, cmsdk_uart *uart);
/* Fills a platform struct whose callbacks use this port. */
void sm_port_cm_platform(sm_port_cm *port, sm_platform *plat);
/* 1 while received bytes wait in the ring (the main loop should not sleep). */
int sm_port_cm_rx_pending(const sm_port_cm *port);

#endif
