/* bench_at_avr.c - the AT engine's cost per received byte on the AVR: the
   recorded-style Sequans session of tests/bench/cpu_at.c (bring-up,
   certificates, TLS profile, MQTT, a socket receiving binary data; fed in
   64-byte chunks as a UART ring would deliver them), run on the
   atmega1284p under tests/simavr/sm_simavr_host, with every sm_at_feed()
   call timed by Timer1. The same session is what `make bench` counts in
   host instructions (callgrind, --toggle-collect=sm_at_feed), so the two
   figures compare directly.

   Prints the bytes fed, the cycles spent inside sm_at_feed and their
   ratio; exit code 0, or 1 if the transcript did not run as recorded. */
#include "../../examples/avr/board.h"

#include <stdio.h>

#define SM_ASSERT(x) ((x) ? (void)0 : board_assert_failed_P(PSTR(__FILE__), __LINE__))
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

static uint32_t g_feed_cycles, g_feed_calls, g_feed_bytes;

/* every sm_at_feed() of the transcript comes through here */
static int bench_timed_feed(sm_at *at, const uint8_t *data, size_t len)
{
    uint32_t t0 = board_cycles();
    int rc = sm_at_feed(at, data, len);
    g_feed_cycles += board_cycles() - t0;
    g_feed_calls++;
    g_feed_bytes += (uint32_t)len;
    return rc;
}

/* the transcript and its driver, unchanged: its sm_at_feed calls timed, its
   main() called from ours, its printf on the console. It was written for
   a 32-bit host: its int arithmetic trips -Wconversion where int is 16 bits
   (the values fit). */
#define sm_at_feed bench_timed_feed
#define main cpu_at_main
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#include "../bench/cpu_at.c"
#pragma GCC diagnostic pop
#undef main
#undef sm_at_feed

static int bench_put(char c, FILE *f)
{
    (void)f;
    board_putc(c);
    return 0;
}

static FILE g_console = FDEV_SETUP_STREAM(bench_put, NULL, _FDEV_SETUP_WRITE);

int main(void)
{
    static char arg0[] = "cpu_at", arg1[] = "1";
    char *argv[3];
    uint32_t t0, total, overhead;
    int rc;
    argv[0] = arg0;
    argv[1] = arg1;
    argv[2] = NULL;
    board_init();
    stdout = stderr = &g_console;
    /* the cost of the timing itself, taken off each call */
    t0 = board_cycles();
    overhead = board_cycles() - t0;
    t0 = board_cycles();
    rc = cpu_at_main(2, argv);  /* one round of the session */
    total = board_cycles() - t0;
    g_feed_cycles -= g_feed_calls * overhead;
    BOARD_PRINTF("avr: %lu bytes fed in %lu calls; %lu cycles inside sm_at_feed, %lu per byte "
                 "(the whole transcript run: %lu cycles)\n",
                 (unsigned long)g_feed_bytes, (unsigned long)g_feed_calls,
                 (unsigned long)g_feed_cycles,
                 (unsigned long)(g_feed_bytes ? g_feed_cycles / g_feed_bytes : 0),
                 (unsigned long)total);
    board_exit(rc == 0 ? 0 : 1);
}
