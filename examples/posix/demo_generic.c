/* demo_generic.c - a POSIX superloop driving a modem through secmodem's AT
   engine, over a serial device (a USB-UART, or the simulator's pty).

       demo_generic /dev/ttyUSB0 [--trace]

   The loop never blocks: each command is submitted, and its completion
   callback submits the next step of the script, while the loop keeps
   polling the engine (and would run the rest of the firmware). */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "sm_posix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SM_DEMO_PRINTF printf
#define SM_DEMO_EOL "\n"
#include "../demo_script.h" /* the script and its step runner, shared with the bare-metal demo */

int main(int argc, char **argv)
{
    static sm_demo_app a;
    sm_posix port;
    sm_platform plat;
    uint32_t t0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s <serial device> [--trace]\n", argv[0]);
        return 2;
    }
    if (sm_posix_open(&port, argv[1], 115200) != 0) {
        perror(argv[1]);
        return 2;
    }
    port.trace = argc > 2 && strcmp(argv[2], "--trace") == 0;
    sm_posix_platform(&port, &plat);
    sm_demo_init(&a, &plat);
    setvbuf(stdout, NULL, _IOLBF, 0);
    sm_demo_submit_next(&a);
    t0 = sm_posix_now_ms();
    /* the superloop: poll, then sleep until bytes arrive or 10 ms pass */
    while (sm_demo_running(&a)) {
        sm_at_poll(&a.at);
        sm_posix_wait(&port, 10);
        if (sm_posix_now_ms() - t0 > 20000u) { a.failed = 1; printf("gave up after 20 s\n"); }
    }
    sm_posix_close(&port);
    printf("summary: %u of %u steps OK, URC %s, %lu lines, %lu URCs, %lu dropped\n", a.ok,
           (unsigned)SM_DEMO_STEPS, a.hello_seen ? "received" : "missing",
           (unsigned long)a.at.stats.lines, (unsigned long)a.at.stats.urcs,
           (unsigned long)(a.at.stats.overlong + a.at.stats.unexpected));
    return sm_demo_succeeded(&a) ? 0 : 1;
}
