/* demo_cortexm.c - bare-metal firmware for the MPS2 AN385 (Cortex-M3, QEMU
   `mps2-an385`): the superloop of examples/posix/demo_generic.c, running the
   same script (examples/demo_script.h) against the modem simulator on
   UART0, progress on the console (UART1), the outcome as QEMU's exit status
   through semihosting (0 success, 1 failure).

   The loop never blocks: each command is submitted, its completion callback
   submits the next step, and between polls the core sleeps (WFI) until the
   UART receive interrupt or the 1 ms SysTick wakes it. No heap: the engine,
   the receive ring and the application state are static. */

/* Consistency checks of the library report on the console and stop, rather
   than pulling in newlib's assert (which needs stdio and a heap). */
#include "board.h"
#define SM_ASSERT(x) ((x) ? (void)0 : board_assert_failed(__FILE__, __LINE__))
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <string.h>

#define SM_DEMO_PRINTF board_printf
#define SM_DEMO_EOL "\r\n"
#include "../demo_script.h"
#include "an385.h"
#include "cmsdk_uart.h"
#include "sm_port_cm.h"

#define DEMO_MODEM_BAUD 115200u
#define DEMO_GIVE_UP_MS 20000u

typedef sm_demo_app demo_app; /* the shared demo application (demo_script.h) */

/* The application's globals: the modem UART (its receive ring is filled by
   the interrupt below), the port, and the engine inside the app state. */
static cmsdk_uart g_modem_uart;
static sm_port_cm g_port;
static demo_app g_app;

void UART0RX_Handler(void);
void UART0RX_Handler(void)
{
    cmsdk_uart_rx_isr(&g_modem_uart);
}

void UART0TX_Handler(void);
void UART0TX_Handler(void)
{
    cmsdk_uart_tx_isr(&g_modem_uart);
}

/* Prints the summary; returns 1 if the run succeeded. */
static int demo_report(const demo_app *a, uint32_t elapsed_ms)
{
    const sm_at_stats *st = sm_at_get_stats(&a->at);
    cmsdk_uart_stats us;
    int lossless;
    cmsdk_uart_get_stats(&g_modem_uart, &us);
    lossless = us.rx_dropped == 0 && us.rx_overruns == 0;
    board_printf("uart0: %lu bytes in, %lu out, ring peak %lu of %u, %lu dropped (ring full), "
                 "%lu hardware overruns\r\n",
                 (unsigned long)us.rx_bytes, (unsigned long)us.tx_bytes,
                 (unsigned long)us.rx_peak, (unsigned)CMSDK_UART_RX_RING,
                 (unsigned long)us.rx_dropped, (unsigned long)us.rx_overruns);
    board_printf("summary: %u of %u steps OK, URC %s, %lu lines, %lu URCs, %lu dropped, "
                 "%lu ms\r\n",
                 a->ok, (unsigned)SM_DEMO_STEPS, a->hello_seen ? "received" : "missing",
                 (unsigned long)st->lines, (unsigned long)st->urcs,
                 (unsigned long)(st->overlong + st->unexpected), (unsigned long)elapsed_ms);
    return sm_demo_succeeded(a) && lossless;
}

int main(void)
{
    demo_app *a = &g_app;
    sm_platform plat;
    uint32_t t0;
    int ok;
    board_init();
    board_puts("\r\nsecmodem demo on Cortex-M3 (MPS2 AN385): modem on UART0, console on UART1\r\n");
    cmsdk_uart_init(&g_modem_uart, AN385_UART0_BASE, DEMO_MODEM_BAUD);
    sm_port_cm_init(&g_port, &g_modem_uart);
    g_port.trace = board_cmdline_has("--trace");
    sm_port_cm_platform(&g_port, &plat);
    sm_demo_init(a, &plat);
    /* receive from here on. Under QEMU what the modem sent before (its
       start-up URC) waits on the host side, as the UART takes nothing while
       its receiver is off; on a board it would be lost, and the first step's
       retry on SM_AT_REBOOT covers both orders. */
    cmsdk_uart_enable_rx_irq(&g_modem_uart, AN385_IRQ_UART0_RX);
    cmsdk_uart_enable_tx_wakeup(&g_modem_uart, AN385_IRQ_UART0_TX);
    t0 = board_ms();
    sm_demo_submit_next(a);
    /* the superloop: poll, then sleep until an interrupt: a received byte,
       room to transmit the next one, or the 1 ms tick */
    while (sm_demo_running(a)) {
        sm_at_poll(&a->at);
        if (board_ms() - t0 > DEMO_GIVE_UP_MS) {
            a->failed = 1;
            board_puts("gave up after 20 s\r\n");
        }
        if (!sm_port_cm_rx_pending(&g_port)) an385_wait_for_interrupt();
    }
    ok = demo_report(a, board_ms() - t0);
    board_puts(ok ? "demo succeeded\r\n" : "demo FAILED\r\n");
    return ok ? 0 : 1;
}
