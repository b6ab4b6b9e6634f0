/* demo_mqtt_cm.c - the mutual-TLS MQTT demo as bare-metal firmware for the
   MPS2 AN385 (Cortex-M3, QEMU `mps2-an385`): the application of
   examples/demo_mqtt_app.h, the one the PC demo runs, with this board's
   port:
     UART0  the Sequans modem (the simulator's pty), interrupt-driven ring
     UART1  the console: progress out; provisioning in (the broker's port,
            the CA certificate, then the device certificate the CA issued
            for the CSR this firmware printed)
     UART2  the ATECC608's I2C transactions, as frames to the chip emulator
            (i2c_bridge_cm.c; a board would have its I2C driver there)
     SysTick the millisecond clock; semihosting the exit status.
   tests/e2e/run_qemu_mqtt.py wires it up and plays the CA; `make demo-qemu`.

   The superloop never blocks: it polls the application, feeds the console's
   bytes to the provisioning parser, and sleeps (WFI) until an interrupt: a
   byte from the modem or the console, or the 1 ms tick. No heap. */
#include "board.h"
#define SM_ASSERT(x) ((x) ? (void)0 : board_assert_failed(__FILE__, __LINE__))
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#define SM_DM_PRINTF board_printf
#define SM_DM_EOL "\r\n"
#define SM_DM_CONSOLE
#include "../demo_mqtt_app.h"

#include "an385.h"
#include "cmsdk_uart.h"
#include "i2c_bridge_cm.h"
#include "sm_port_cm.h"

#define DEMO_BAUD 115200u
#define DEMO_GIVE_UP_MS 60000u

static cmsdk_uart g_modem_uart;   /* UART0, filled by its RX interrupt */
static cmsdk_uart g_console_uart; /* UART1's receive side, the same way */
static sm_port_cm g_port;
static i2c_bridge_cm g_chip_bus;
static sm_dm_app g_app;
static sm_dm_console g_console;

void UART0RX_Handler(void);
void UART0RX_Handler(void) { cmsdk_uart_rx_isr(&g_modem_uart); }
void UART0TX_Handler(void);
void UART0TX_Handler(void) { cmsdk_uart_tx_isr(&g_modem_uart); }
void UART1RX_Handler(void);
void UART1RX_Handler(void) { cmsdk_uart_rx_isr(&g_console_uart); }

/* The host's csr_ready: the CSR goes out on the console, between its PEM
   lines, for whoever plays the CA. */
static int demo_csr_out(void *user, const char *pem, size_t len)
{
    size_t i, start = 0;
    (void)user;
    board_puts("CSR follows\r\n");
    for (i = 0; i < len; i++) {
        if (pem[i] != '\n') continue;
        board_write(pem + start, i - start);
        board_puts("\r\n");
        start = i + 1u;
    }
    if (start < len) { board_write(pem + start, len - start); board_puts("\r\n"); }
    return 0;
}

static void demo_console_input(void)
{
    uint8_t buf[64];
    size_t n, i;
    while ((n = cmsdk_uart_read(&g_console_uart, buf, sizeof buf)) != 0)
        for (i = 0; i < n; i++) sm_dm_console_feed(&g_console, buf[i]);
}

int main(void)
{
    sm_dm_app *a = &g_app;
    sm_platform modem, chip;
    sm_dm_host host;
    cmsdk_uart_stats us;
    uint32_t t0;
    int rc;
    board_init();
    board_puts("\r\nsecmodem MQTT demo on Cortex-M3 (MPS2 AN385): modem on UART0, console on UART1, "
               "ATECC608 over UART2\r\n");
    cmsdk_uart_init(&g_modem_uart, AN385_UART0_BASE, DEMO_BAUD);
    cmsdk_uart_init(&g_console_uart, AN385_UART1_BASE, DEMO_BAUD);
    sm_port_cm_init(&g_port, &g_modem_uart);
    g_port.trace = board_cmdline_has("--trace");
    sm_port_cm_platform(&g_port, &modem);
    i2c_bridge_cm_init(&g_chip_bus, AN385_UART2_BASE, DEMO_BAUD);
    g_chip_bus.trace = board_cmdline_has("--trace-i2c");
    i2c_bridge_cm_platform(&g_chip_bus, &chip);

    host.user = &g_console;
    host.csr_ready = demo_csr_out;
    host.get_file = sm_dm_console_get_file;
    /* the broker's port comes on the console before the certificates */
    if (sm_dm_init(a, &modem, &chip, &host, "127.0.0.1", 0) != SM_OK) {
        board_puts("demo FAILED: init\r\n");
        return 1;
    }
    sm_dm_console_init(&g_console, a);
    cmsdk_uart_enable_rx_irq(&g_modem_uart, AN385_IRQ_UART0_RX);
    cmsdk_uart_enable_tx_wakeup(&g_modem_uart, AN385_IRQ_UART0_TX);
    cmsdk_uart_enable_rx_irq(&g_console_uart, AN385_IRQ_UART1_RX);
    t0 = board_ms();

    while ((rc = sm_dm_poll(a)) == SM_DM_RUNNING) {
        demo_console_input();
        if (board_ms() - t0 > DEMO_GIVE_UP_MS) {
            board_puts("gave up after 60 s\r\n");
            rc = SM_DM_FAILED;
            break;
        }
        /* sleep unless bytes wait or the chip is working for the modem */
        if (!sm_port_cm_rx_pending(&g_port) && !cmsdk_uart_rx_count(&g_console_uart) && !sm_dm_busy(a))
            an385_wait_for_interrupt();
    }
    cmsdk_uart_get_stats(&g_modem_uart, &us);
    board_printf("uart0: %lu bytes in, %lu out, ring peak %lu of %u, %lu dropped, %lu overruns; "
                 "chip bus timeouts %lu\r\n",
                 (unsigned long)us.rx_bytes, (unsigned long)us.tx_bytes, (unsigned long)us.rx_peak,
                 (unsigned)CMSDK_UART_RX_RING, (unsigned long)us.rx_dropped,
                 (unsigned long)us.rx_overruns, (unsigned long)g_chip_bus.timeouts);
    if (us.rx_dropped || us.rx_overruns) rc = SM_DM_FAILED; /* nothing may be lost */
    sm_dm_summary(a, rc);
    return rc == SM_DM_SUCCEEDED ? 0 : 1;
}
