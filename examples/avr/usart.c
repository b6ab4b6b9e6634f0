/* usart.c - see usart.h. */
#include "usart.h"

#include <avr/interrupt.h>
#include <avr/io.h>

#include "board.h"

/* Keeps the compiler from moving ring accesses across the index update that
   publishes or releases them (one core: no hardware barrier is needed). */
#define USART_BARRIER() __asm__ volatile("" ::: "memory")

static int usart_ring_ok(size_t n)
{
    return n >= 16u && n <= 256u && (n & (n - 1u)) == 0;
}

int usart_init(usart *u, uint8_t n, uint32_t baud, uint8_t *rx, size_t rx_size, uint8_t *tx,
               size_t tx_size)
{
    volatile uint8_t *ubrrl, *ubrrh, *ucsrc;
    uint32_t div, actual;
    if (n > 1u || !usart_ring_ok(rx_size) || !usart_ring_ok(tx_size) || baud == 0) return -1;
    if (n == 0) {
        u->ucsra = &UCSR0A; u->ucsrb = &UCSR0B; u->udr = &UDR0;
        ucsrc = &UCSR0C; ubrrl = &UBRR0L; ubrrh = &UBRR0H;
    } else {
        u->ucsra = &UCSR1A; u->ucsrb = &UCSR1B; u->udr = &UDR1;
        ucsrc = &UCSR1C; ubrrl = &UBRR1L; ubrrh = &UBRR1H;
    }
    /* normal speed (16 samples per bit): the divider rounded to nearest,
       refused if the rate it makes is more than 2% off */
    div = (F_CPU + 8u * baud) / (16u * baud);
    if (div == 0 || div > 4096u) return -1;
    actual = F_CPU / (16u * div);
    if ((actual > baud ? actual - baud : baud - actual) * 50u > baud) return -1;
    u->rx = rx; u->tx = tx;
    u->rx_mask = (uint8_t)(rx_size - 1u);
    u->tx_mask = (uint8_t)(tx_size - 1u);
    u->rx_head = u->rx_tail = u->tx_head = u->tx_tail = 0;
    u->stats.rx_bytes = u->stats.tx_bytes = 0;
    u->stats.rx_dropped = u->stats.rx_errors = u->stats.rx_peak = 0;
    *u->ucsrb = 0;
    *ubrrh = (uint8_t)((div - 1u) >> 8);
    *ubrrl = (uint8_t)(div - 1u);
    *u->ucsra = 0;                                    /* no U2X, no multiprocessor mode */
    *ucsrc = (uint8_t)(1u << UCSZ01 | 1u << UCSZ00);  /* 8 data bits, no parity, 1 stop */
    *u->ucsrb = (uint8_t)(1u << TXEN0);
    return 0;
}

void usart_enable_rx(usart *u)
{
    /* UCSRnB is also changed by the UDRE interrupt: read-modify-write it
       with interrupts held off */
    uint8_t sreg = SREG;
    cli();
    *u->ucsrb |= (uint8_t)(1u << RXEN0 | 1u << RXCIE0);
    SREG = sreg;
}

/* The bit positions are the same in both USARTs (RXEN0 == RXEN1, ...). */
void usart_rx_isr(usart *u)
{
    uint8_t st = *u->ucsra;   /* the error flags belong to the byte in UDR: read first */
    uint8_t c = *u->udr;
    uint8_t head = u->rx_head, next = (uint8_t)((head + 1u) & u->rx_mask);
    uint8_t fill;
    u->stats.rx_bytes++;
    if (st & (1u << DOR0 | 1u << FE0)) u->stats.rx_errors++;
    if (next == u->rx_tail) {
        u->stats.rx_dropped++;  /* the main loop fell behind */
        return;
    }
    u->rx[head] = c;
    USART_BARRIER();
    u->rx_head = next;          /* publish after the byte is stored */
    fill = (uint8_t)((next - u->rx_tail) & u->rx_mask);
    if (fill > u->stats.rx_peak) u->stats.rx_peak = fill;
}

void usart_udre_isr(usart *u)
{
    uint8_t tail = u->tx_tail;
    if (tail == u->tx_head) {
        /* nothing left: stop the interrupt until usart_write() queues more */
        *u->ucsrb &= (uint8_t)~(1u << UDRIE0);
        return;
    }
    *u->udr = u->tx[tail];
    u->tx_tail = (uint8_t)((tail + 1u) & u->tx_mask);
}

size_t usart_rx_count(const usart *u)
{
    return (uint8_t)((u->rx_head - u->rx_tail) & u->rx_mask);
}

size_t usart_read(usart *u, uint8_t *buf, size_t cap)
{
    uint8_t tail = u->rx_tail, head = u->rx_head;
    size_t n = 0;
    while (n < cap && tail != head) {
        buf[n++] = u->rx[tail];
        tail = (uint8_t)((tail + 1u) & u->rx_mask);
    }
    USART_BARRIER();
    u->rx_tail = tail;          /* release the slots after copying */
    return n;
}

size_t usart_write(usart *u, const uint8_t *data, size_t len)
{
    uint8_t head = u->tx_head, tail = u->tx_tail;
    size_t n = 0;
    uint8_t sreg;
    while (n < len) {
        uint8_t next = (uint8_t)((head + 1u) & u->tx_mask);
        if (next == tail) break;
        u->tx[head] = data[n++];
        head = next;
    }
    if (n == 0) return 0;
    USART_BARRIER();
    sreg = SREG;
    cli();
    u->tx_head = head;
    u->stats.tx_bytes += (uint32_t)n;
    *u->ucsrb |= (uint8_t)(1u << UDRIE0); /* the interrupt sends from here on */
    SREG = sreg;
    return n;
}

int usart_tx_busy(const usart *u)
{
    return u->tx_head != u->tx_tail;
}

void usart_get_stats(const usart *u, usart_stats *out)
{
    uint8_t sreg = SREG;
    cli();
    out->rx_bytes = u->stats.rx_bytes;
    out->tx_bytes = u->stats.tx_bytes;
    out->rx_dropped = u->stats.rx_dropped;
    out->rx_errors = u->stats.rx_errors;
    out->rx_peak = u->stats.rx_peak;
    SREG = sreg;
}
