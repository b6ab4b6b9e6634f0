/* sm_posix.h - a secmodem port for POSIX hosts: a serial device (a real
   USB-UART or the simulator's pty) through termios, and CLOCK_MONOTONIC.

   Usage:
       sm_posix port;
       sm_platform plat;
       if (sm_posix_open(&port, "/dev/ttyUSB0", 115200) != 0) ...
       sm_posix_platform(&port, &plat);      // write/read/now_ms/trace
       sm_at_init(&at, &plat, dialect);
       for (;;) { sm_at_poll(&at); sm_posix_wait(&port, 10); }
*/
#ifndef SM_POSIX_H
#define SM_POSIX_H

#include "secmodem.h" /* next to your code, or -I the folder that holds it */

typedef struct sm_posix {
    int fd;
    int trace;          /* 1: print every line to stderr */
    uint32_t t0_ms;     /* for relative trace timestamps */
} sm_posix;

/* Opens and configures the device: raw 8N1 at `baud`, non-blocking.
   Returns 0 or -1 (errno set). */
int sm_posix_open(sm_posix *port, const char *path, long baud);
void sm_posix_close(sm_posix *port);
/* Fills a platform struct whose callbacks use this port. */
void sm_posix_platform(sm_posix *port, sm_platform *plat);
/* Sleeps until bytes arrive or `ms` pass, so a superloop does not spin. */
void sm_posix_wait(sm_posix *port, int ms);
uint32_t sm_posix_now_ms(void);

#endif
