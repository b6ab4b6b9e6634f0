/* demo_avr.c - firmware for an atmega1284p (8-bit AVR, 18.432 MHz): the
   superloop of examples/cortexm/demo_cortexm.c, running the same script
   (examples/demo_script.h) against the modem simulator on USART0 at
   115200 baud, progress on the console (the simavr host's debug port), the
   outcome as the host's exit status (0 success, 1 failure).

   The loop never blocks: each command is submitted, its completion callback
   submits the next step, and between polls the core sleeps (idle mode)
   until the 1 ms Timer1 tick; the USART interrupts fill and drain the
   rings meanwhile, and one pass of the loop handles what came. No heap: the engine, the rings and the application state
   are static. Under tests/simavr/sm_simavr_host this sleeping is what
   keeps the simulated clock on the wall clock. */

/* Consistency checks of the library report on the console and stop; the
   file name stays in flash. */
#include "board.h"
#define SM_ASSERT(x) ((x) ? (void)0 : board_assert_failed_P(PSTR(__FILE__), __LINE__))
/* only the AT engine: what is compiled out costs neither flash nor the RAM
   its string constants would take on an AVR */
#define SM_NO_SEQUANS
#define SM_NO_CORDELIA
#define SM_NO_ATECC
#define SM_NO_MQTT
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <string.h>

#include <avr/interrupt.h>

#define SM_DEMO_PRINTF BOARD_PRINTF
#define SM_DEMO_EOL "\n"
#include "../demo_script.h"
#include "sm_port_avr.h"
#include "usart.h"

#define DEMO_MODEM_BAUD 115200u
#define DEMO_GIVE_UP_MS 20000u

typedef sm_demo_app demo_app; /* the shared demo application (demo_script.h) */

/* The application's globals: the modem USART and its rings (filled and
   drained by the interrupts below), the port, and the engine inside the
   app state. */
static usart g_modem_uart;
static uint8_t g_modem_rx[256], g_modem_tx[64];
static sm_port_avr g_port;
static demo_app g_app;

ISR(USART0_RX_vect)
{
    usart_rx_isr(&g_modem_uart);
}

ISR(USART0_UDRE_vect)
{
    usart_udre_isr(&g_modem_uart);
}

/* Prints the summary; returns 1 if the run succeeded. */
static int demo_report(const demo_app *a, uint32_t elapsed_ms)
{
    const sm_at_stats *st = sm_at_get_stats(&a->at);
    usart_stats us;
    board_ram ram;
    int lossless;
    usart_get_stats(&g_modem_uart, &us);
    board_ram_report(&ram);
    lossless = us.rx_dropped == 0 && us.rx_errors == 0;
    BOARD_PRINTF("usart0: %lu bytes in, %lu out, ring peak %u of %u, %u dropped (ring full), "
                 "%u hardware errors\n",
                 (unsigned long)us.rx_bytes, (unsigned long)us.tx_bytes, us.rx_peak,
                 (unsigned)(sizeof g_modem_rx - 1u), us.rx_dropped, us.rx_errors);
    BOARD_PRINTF("ram: %u bytes .data+.bss, stack used at most %u of %u (margin %u)\n",
                 ram.static_bytes, (unsigned)(ram.stack_area - ram.stack_free), ram.stack_area,
                 ram.stack_free);
    BOARD_PRINTF("summary: %u of %u steps OK, URC %S, %lu lines, %lu URCs, %lu dropped, "
                 "%lu ms\n",
                 a->ok, (unsigned)SM_DEMO_STEPS, a->hello_seen ? PSTR("received") : PSTR("missing"),
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
    BOARD_PUTS("\nsecmodem demo on AVR (atmega1284p, 18.432 MHz): modem on USART0, "
               "console on the debug port\n");
    if (usart_init(&g_modem_uart, 0, DEMO_MODEM_BAUD, g_modem_rx, sizeof g_modem_rx, g_modem_tx,
                   sizeof g_modem_tx) != 0) {
        BOARD_PUTS("usart0: cannot set up 115200 baud\n");
        board_exit(1);
    }
    sm_port_avr_init(&g_port, &g_modem_uart);
    g_port.trace = (board_options() & BOARD_OPT_TRACE) != 0;
    sm_port_avr_platform(&g_port, &plat);
    sm_demo_init(a, &plat);
    /* receive from here on: what the modem sent before (its start-up URC)
       waits on the host side, as the UART takes nothing while its receiver
       is off; on a board it would be lost, and the first step's retry on
       SM_AT_REBOOT covers both orders */
    usart_enable_rx(&g_modem_uart);
    t0 = board_ms();
    sm_demo_submit_next(a);
    /* the superloop: poll, then sleep until the next tick (or a backlog) */
    while (sm_demo_running(a)) {
        sm_at_poll(&a->at);
        if (board_ms() - t0 > DEMO_GIVE_UP_MS) {
            a->failed = 1;
            BOARD_PUTS("gave up after 20 s\n");
        }
        board_idle_unless(sm_port_avr_rx_backlog, &g_port);
    }
    ok = demo_report(a, board_ms() - t0);
    if (ok) BOARD_PUTS("demo succeeded\n");
    else BOARD_PUTS("demo FAILED\n");
    board_exit(ok ? 0 : 1);
}
