/* usart.h - an interrupt-driven driver for the atmega1284p's USART0 and
   USART1, 8N1.

   Receive: the RX-complete interrupt moves each byte into a ring that the
   main loop drains. Transmit: usart_write() copies into a ring and the
   data-register-empty interrupt sends it, so the main loop never waits for
   the line (a byte takes 1760 cycles at 115200 baud, 18.432 MHz). Nothing
   is lost silently: a full receive ring and a hardware overrun are counted.

   The rings are the caller's (sizes are powers of two, 16..256, so an
   index is one byte: the interrupt and the main loop read each other's
   index in one instruction, with no locking); one slot of each stays
   free to tell full from empty.

       static usart modem;
       static uint8_t modem_rx[256], modem_tx[64];
       usart_init(&modem, 0, 115200, modem_rx, sizeof modem_rx, modem_tx, sizeof modem_tx);
       ISR(USART0_RX_vect)   { usart_rx_isr(&modem); }
       ISR(USART0_UDRE_vect) { usart_udre_isr(&modem); }
       usart_enable_rx(&modem);
       ...
       n = usart_read(&modem, buf, sizeof buf);   // main loop
*/
#ifndef AVR_USART_H
#define AVR_USART_H

#include <stddef.h>
#include <stdint.h>

typedef struct usart_stats {
    uint32_t rx_bytes;     /* bytes taken from the hardware */
    uint32_t tx_bytes;     /* bytes accepted for sending */
    uint16_t rx_dropped;   /* lost because the ring was full */
    uint16_t rx_errors;    /* hardware overruns and framing errors */
    uint16_t rx_peak;      /* highest ring fill seen */
} usart_stats;

typedef struct usart {
    volatile uint8_t *ucsra, *ucsrb, *udr;
    uint8_t *rx, *tx;
    uint8_t rx_mask, tx_mask;
    /* receive: the interrupt writes rx_head, the main loop rx_tail;
       transmit: the main loop writes tx_head, the interrupt tx_tail */
    volatile uint8_t rx_head, rx_tail, tx_head, tx_tail;
    volatile usart_stats stats;
} usart;

/* Sets up USART `n` (0 or 1) at `baud` with the transmitter on; receive
   starts with usart_enable_rx(). Returns 0, or -1 for a bad number, ring
   size, or a baud rate the clock cannot make within 2%. */
int usart_init(usart *u, uint8_t n, uint32_t baud, uint8_t *rx, size_t rx_size, uint8_t *tx,
               size_t tx_size);
/* Turns the receiver and its interrupt on. */
void usart_enable_rx(usart *u);

/* Interrupt handler bodies. */
void usart_rx_isr(usart *u);
void usart_udre_isr(usart *u);

/* Main loop side: up to cap received bytes; 0 if none. */
size_t usart_read(usart *u, uint8_t *buf, size_t cap);
/* Bytes waiting in the receive ring. */
size_t usart_rx_count(const usart *u);
/* Queues up to len bytes for sending; returns how many fit (0..len). */
size_t usart_write(usart *u, const uint8_t *data, size_t len);
/* 1 while bytes wait in the transmit ring. */
int usart_tx_busy(const usart *u);
/* A snapshot of the counters, consistent with the interrupt. */
void usart_get_stats(const usart *u, usart_stats *out);

#endif
