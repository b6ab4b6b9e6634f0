/* cmsdk_uart.h - a driver for the Arm CMSDK APB UART (CMSDK TRM, DDI0479),
   as found on the MPS2 AN385 image.

   Receive is interrupt-driven: the RX interrupt moves each byte from the
   one-byte DATA register into a software ring buffer, which the main loop
   drains. Transmit is non-blocking: cmsdk_uart_try_write() puts bytes into
   the transmit holding register while it has room and returns how many it
   took. Nothing is dropped silently: a full ring and a hardware overrun are
   both counted.

       static cmsdk_uart modem;                  // the ring lives here
       cmsdk_uart_init(&modem, AN385_UART0_BASE, 115200);
       cmsdk_uart_enable_rx_irq(&modem, AN385_IRQ_UART0_RX);
       void UART0RX_Handler(void) { cmsdk_uart_rx_isr(&modem); }
       cmsdk_uart_enable_tx_wakeup(&modem, AN385_IRQ_UART0_TX);   // optional
       void UART0TX_Handler(void) { cmsdk_uart_tx_isr(&modem); }
       ...
       n = cmsdk_uart_read(&modem, buf, sizeof buf);   // main loop
*/
#ifndef CMSDK_UART_H
#define CMSDK_UART_H

#include <stddef.h>
#include <stdint.h>

/* Receive ring size, a power of two. QEMU's UART model does not pace bytes
   by the baud rate, so a whole response can arrive between two polls: size
   it for the longest burst the application expects between polls. */
#ifndef CMSDK_UART_RX_RING
#define CMSDK_UART_RX_RING 512u
#endif
#if (CMSDK_UART_RX_RING & (CMSDK_UART_RX_RING - 1u)) != 0 || CMSDK_UART_RX_RING < 16u
#error "CMSDK_UART_RX_RING must be a power of two >= 16"
#endif

typedef struct cmsdk_uart_stats {
    uint32_t rx_bytes;      /* bytes taken from the hardware */
    uint32_t rx_dropped;    /* bytes lost because the ring was full */
    uint32_t rx_overruns;   /* hardware overruns (a byte lost before the ISR ran) */
    uint32_t rx_peak;       /* highest ring fill seen */
    uint32_t tx_bytes;      /* bytes accepted for transmission */
} cmsdk_uart_stats;

typedef struct cmsdk_uart {
    uint32_t base;
    /* single producer (the ISR) writes head, single consumer (the main loop)
       writes tail; both run freely and are masked on use */
    volatile uint32_t head, tail;
    uint8_t ring[CMSDK_UART_RX_RING];
    volatile cmsdk_uart_stats stats;
} cmsdk_uart;

/* Programs the baud divider (APB clock / baud) and enables TX. Receive
   starts with cmsdk_uart_enable_rx_irq(). */
void cmsdk_uart_init(cmsdk_uart *u, uint32_t base, uint32_t baud);
/* Enables the receiver and its interrupt, in the UART and in the NVIC. */
void cmsdk_uart_enable_rx_irq(cmsdk_uart *u, int irq);
/* The RX interrupt handler's body. */
void cmsdk_uart_rx_isr(cmsdk_uart *u);
/* Enables the TX interrupt (the holding register became free) only to wake
   a main loop sleeping in WFI, so output paced by a real baud rate is not
   slowed down to one byte per SysTick. */
void cmsdk_uart_enable_tx_wakeup(cmsdk_uart *u, int irq);
/* The TX interrupt handler's body: acknowledges it. */
void cmsdk_uart_tx_isr(cmsdk_uart *u);
/* Main loop side: up to cap received bytes out of the ring; 0 if none. */
size_t cmsdk_uart_read(cmsdk_uart *u, uint8_t *buf, size_t cap);
/* Bytes waiting in the ring. */
size_t cmsdk_uart_rx_count(const cmsdk_uart *u);
/* Non-blocking: writes while the TX holding register has room; returns the
   number of bytes accepted (0..len). */
size_t cmsdk_uart_try_write(cmsdk_uart *u, const uint8_t *data, size_t len);
/* Blocking: for the console and fault reports only. Works without init of
   the struct (uses only the base address). */
void cmsdk_uart_putc_blocking(uint32_t base, char c);
/* A snapshot of the counters, consistent with the ISR. */
void cmsdk_uart_get_stats(cmsdk_uart *u, cmsdk_uart_stats *out);

#endif
