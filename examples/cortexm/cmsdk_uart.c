/* cmsdk_uart.c - see cmsdk_uart.h. */
#include "cmsdk_uart.h"

#include "an385.h"

#define CMSDK_UART_MASK (CMSDK_UART_RX_RING - 1u)

/* Keeps the compiler from moving ring accesses across the index update that
   publishes or releases them (one core: no hardware barrier is needed). */
#define CMSDK_UART_COMPILER_BARRIER() __asm__ volatile("" ::: "memory")

void cmsdk_uart_init(cmsdk_uart *u, uint32_t base, uint32_t baud)
{
    u->base = base;
    u->head = u->tail = 0;
    u->stats.rx_bytes = u->stats.rx_dropped = u->stats.rx_overruns = 0;
    u->stats.rx_peak = u->stats.tx_bytes = 0;
    CMSDK_UART_CTRL(base) = 0;
    /* the divider must be at least 16 (CMSDK TRM, DDI0479); set it before TX is
       enabled */
    CMSDK_UART_BAUDDIV(base) = AN385_SYSCLK_HZ / baud;
    CMSDK_UART_STATE(base) = CMSDK_UART_STATE_TXOVR | CMSDK_UART_STATE_RXOVR;
    CMSDK_UART_INTSTATUS(base) = 0xFu;
    /* receive stays off until its interrupt is on: a byte taken while RXIE
       is clear raises no interrupt, and the next one could never arrive */
    CMSDK_UART_CTRL(base) = CMSDK_UART_CTRL_TXEN;
}

void cmsdk_uart_enable_rx_irq(cmsdk_uart *u, int irq)
{
    CMSDK_UART_CTRL(u->base) |= CMSDK_UART_CTRL_RXEN | CMSDK_UART_CTRL_RXIE;
    an385_irq_enable(irq);
    /* The RX interrupt is raised when a byte arrives with RXIE set, not by
       a byte already waiting: let the handler look once, in case one is. */
    an385_irq_pend(irq);
}

void cmsdk_uart_rx_isr(cmsdk_uart *u)
{
    uint32_t base = u->base;
    /* Clear the interrupt before draining DATA: a byte that lands after the
       last read raises it again, so none is left behind. */
    CMSDK_UART_INTSTATUS(base) = CMSDK_UART_INT_RX;
    if (CMSDK_UART_STATE(base) & CMSDK_UART_STATE_RXOVR) {
        CMSDK_UART_STATE(base) = CMSDK_UART_STATE_RXOVR;
        u->stats.rx_overruns++;
    }
    while (CMSDK_UART_STATE(base) & CMSDK_UART_STATE_RXFULL) {
        uint8_t c = (uint8_t)CMSDK_UART_DATA(base);
        uint32_t head = u->head, fill = head - u->tail;
        u->stats.rx_bytes++;
        if (fill >= CMSDK_UART_RX_RING) {
            u->stats.rx_dropped++;   /* the main loop fell behind */
            continue;
        }
        u->ring[head & CMSDK_UART_MASK] = c;
        CMSDK_UART_COMPILER_BARRIER();
        u->head = head + 1u;         /* publish after the byte is stored */
        if (fill + 1u > u->stats.rx_peak) u->stats.rx_peak = fill + 1u;
    }
}

void cmsdk_uart_enable_tx_wakeup(cmsdk_uart *u, int irq)
{
    CMSDK_UART_CTRL(u->base) |= CMSDK_UART_CTRL_TXIE;
    an385_irq_enable(irq);
}

void cmsdk_uart_tx_isr(cmsdk_uart *u)
{
    CMSDK_UART_INTSTATUS(u->base) = CMSDK_UART_INT_TX;
}

size_t cmsdk_uart_rx_count(const cmsdk_uart *u)
{
    return (size_t)(u->head - u->tail);
}

size_t cmsdk_uart_read(cmsdk_uart *u, uint8_t *buf, size_t cap)
{
    uint32_t tail = u->tail, avail = u->head - tail;
    size_t n = 0;
    while (n < cap && n < avail) {
        buf[n++] = u->ring[tail & CMSDK_UART_MASK];
        tail++;
    }
    CMSDK_UART_COMPILER_BARRIER();
    u->tail = tail;                  /* release the slots after copying */
    return n;
}

size_t cmsdk_uart_try_write(cmsdk_uart *u, const uint8_t *data, size_t len)
{
    size_t n = 0;
    while (n < len && !(CMSDK_UART_STATE(u->base) & CMSDK_UART_STATE_TXFULL))
        CMSDK_UART_DATA(u->base) = data[n++];
    u->stats.tx_bytes += (uint32_t)n;
    return n;
}

void cmsdk_uart_putc_blocking(uint32_t base, char c)
{
    while (CMSDK_UART_STATE(base) & CMSDK_UART_STATE_TXFULL) {}
    CMSDK_UART_DATA(base) = (uint8_t)c;
}

void cmsdk_uart_get_stats(cmsdk_uart *u, cmsdk_uart_stats *out)
{
    /* the ISR updates several fields: read them with interrupts masked */
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) :: "memory");
    out->rx_bytes = u->stats.rx_bytes;
    out->rx_dropped = u->stats.rx_dropped;
    out->rx_overruns = u->stats.rx_overruns;
    out->rx_peak = u->stats.rx_peak;
    out->tx_bytes = u->stats.tx_bytes;
    __asm__ volatile("msr primask, %0" :: "r"(primask) : "memory");
}
