/* demo_mqtt_avr.c - the mutual-TLS MQTT demo as firmware for an
   atmega1284p (8-bit AVR, 16 KB RAM, 18.432 MHz): the application of
   examples/demo_mqtt_app.h, the one the PC demo and the Cortex-M3 firmware
   run, with this board's port:
     USART0  the Sequans modem (the simulator's pty), interrupt-driven rings
     USART1  the ATECC608's I2C transactions, as frames to the chip emulator
             (i2c_bridge_avr.c; a board would have its TWI driver there)
     debug port  the console: progress out; provisioning in (the broker's
             port, the CA certificate, then the device certificate the CA
             issued for the CSR this firmware printed); the exit code
     Timer1  the millisecond clock.
   tests/e2e/run_avr_mqtt.py wires it up under simavr and plays the CA.

   The superloop never blocks: it polls the application, feeds the console's
   bytes to the provisioning parser, and sleeps (idle mode) until the 1 ms
   tick; the USART interrupts fill and drain the rings meanwhile, and one
   pass of the loop handles what came. No heap.

   RAM is the limit on this chip: everything is sized for it (the rings
   below, the library's buffers at their defaults), and the report at the
   end gives .data + .bss and the deepest the stack went. */
#include "board.h"
#define SM_ASSERT(x) ((x) ? (void)0 : board_assert_failed_P(PSTR(__FILE__), __LINE__))
/* the parts this application does not use: neither their code nor (on an
   AVR, where constant strings live in RAM) their strings */
#define SM_NO_CORDELIA
#define SM_NO_MQTT
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#define SM_DM_PRINTF BOARD_PRINTF
#define SM_DM_EOL "\n"
#define SM_DM_CONSOLE
#include "../demo_mqtt_app.h"

#include <avr/interrupt.h>

#include "i2c_bridge_avr.h"
#include "sm_port_avr.h"
#include "usart.h"

#define DEMO_BAUD 115200u
#define DEMO_GIVE_UP_MS 60000u

static usart g_modem_uart;              /* USART0 */
static uint8_t g_modem_rx[256], g_modem_tx[64];
static usart g_chip_uart;               /* USART1: one frame at a time */
static uint8_t g_chip_rx[128], g_chip_tx[16];
static sm_port_avr g_port;
static i2c_bridge_avr g_chip_bus;
static sm_dm_app g_app;
static sm_dm_console g_console;

ISR(USART0_RX_vect) { usart_rx_isr(&g_modem_uart); }
ISR(USART0_UDRE_vect) { usart_udre_isr(&g_modem_uart); }
ISR(USART1_RX_vect) { usart_rx_isr(&g_chip_uart); }
ISR(USART1_UDRE_vect) { usart_udre_isr(&g_chip_uart); }

/* The host's csr_ready: the CSR goes out on the console, for whoever plays
   the CA (the PEM's lines already end in LF). */
static int demo_csr_out(void *user, const char *pem, size_t len)
{
    (void)user;
    BOARD_PUTS("CSR follows\n");
    board_write(pem, len);
    if (len && pem[len - 1u] != '\n') board_putc('\n');
    return 0;
}

static void demo_console_input(void)
{
    int c;
    while ((c = board_getc()) >= 0) sm_dm_console_feed(&g_console, (uint8_t)c);
}

/* "work to do now" for board_idle_unless, rather than at the next tick: a
   modem backlog, or the chip working for the modem (a signature: poll
   again at once). Console input is polled every tick. */
static int demo_pending(void *arg)
{
    return sm_port_avr_rx_backlog(&g_port) || sm_dm_busy((const sm_dm_app *)arg);
}

int main(void)
{
    sm_dm_app *a = &g_app;
    sm_platform modem, chip;
    sm_dm_host host;
    usart_stats us, cs;
    board_ram ram;
    uint32_t t0;
    int rc;
    uint8_t opts;
    board_init();
    BOARD_PUTS("\nsecmodem MQTT demo on AVR (atmega1284p, 18.432 MHz): modem on USART0, "
               "ATECC608 over USART1, console on the debug port\n");
    if (usart_init(&g_modem_uart, 0, DEMO_BAUD, g_modem_rx, sizeof g_modem_rx, g_modem_tx,
                   sizeof g_modem_tx) != 0 ||
        usart_init(&g_chip_uart, 1, DEMO_BAUD, g_chip_rx, sizeof g_chip_rx, g_chip_tx,
                   sizeof g_chip_tx) != 0) {
        BOARD_PUTS("demo FAILED: USART set-up\n");
        board_exit(1);
    }
    opts = board_options();
    sm_port_avr_init(&g_port, &g_modem_uart);
    g_port.trace = (opts & BOARD_OPT_TRACE) != 0;
    sm_port_avr_platform(&g_port, &modem);
    i2c_bridge_avr_init(&g_chip_bus, &g_chip_uart);
    g_chip_bus.trace = (opts & BOARD_OPT_TRACE_I2C) != 0;
    i2c_bridge_avr_platform(&g_chip_bus, &chip);
    usart_enable_rx(&g_chip_uart);

    host.user = &g_console;
    host.csr_ready = demo_csr_out;
    host.get_file = sm_dm_console_get_file;
    /* the broker's port comes on the console before the certificates */
    if (sm_dm_init(a, &modem, &chip, &host, "127.0.0.1", 0) != SM_OK) {
        BOARD_PUTS("demo FAILED: init\n");
        board_exit(1);
    }
    sm_dm_console_init(&g_console, a);
    usart_enable_rx(&g_modem_uart);
    t0 = board_ms();

    while ((rc = sm_dm_poll(a)) == SM_DM_RUNNING) {
        demo_console_input();
        if (board_ms() - t0 > DEMO_GIVE_UP_MS) {
            BOARD_PUTS("gave up after 60 s\n");
            rc = SM_DM_FAILED;
            break;
        }
        board_idle_unless(demo_pending, a);
    }
    usart_get_stats(&g_modem_uart, &us);
    usart_get_stats(&g_chip_uart, &cs);
    board_ram_report(&ram);
    BOARD_PRINTF("usart0 (modem): %lu bytes in, %lu out, ring peak %u of %u, %u dropped, "
                 "%u errors\n",
                 (unsigned long)us.rx_bytes, (unsigned long)us.tx_bytes, us.rx_peak,
                 (unsigned)(sizeof g_modem_rx - 1u), us.rx_dropped, us.rx_errors);
    BOARD_PRINTF("usart1 (ATECC608): %u transactions, %u timeouts, %lu bytes in, %lu out, "
                 "%u dropped\n",
                 g_chip_bus.calls, g_chip_bus.timeouts, (unsigned long)cs.rx_bytes,
                 (unsigned long)cs.tx_bytes, cs.rx_dropped);
    BOARD_PRINTF("ram: %u bytes .data+.bss (the application %u), stack used at most %u of %u "
                 "(margin %u)\n",
                 ram.static_bytes, (unsigned)sizeof g_app,
                 (unsigned)(ram.stack_area - ram.stack_free), ram.stack_area, ram.stack_free);
    if (us.rx_dropped || us.rx_errors || cs.rx_dropped) rc = SM_DM_FAILED; /* nothing may be lost */
    sm_dm_summary(a, rc);
    board_exit(rc == SM_DM_SUCCEEDED ? 0 : 1);
}
