/* sm_live.h - real time for the live and end-to-end test programs (POSIX):
   a monotonic millisecond clock, in both forms the programs need (a plain
   call, and the platform's now_ms callback), and a pause for the "other
   work" of a superloop, instead of a copy in each program. The includer
   defines _POSIX_C_SOURCE first, as for any POSIX header. */
#ifndef SM_LIVE_H
#define SM_LIVE_H
#include <stdint.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC, wrapping at 2^32 as the library's clock may. */
static inline uint32_t sm_live_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* The same as a platform clock (sm_platform.now_ms); u unused. */
static inline uint32_t sm_live_clock(void *u)
{
    (void)u;
    return sm_live_now_ms();
}

static inline void sm_live_pause_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}
#endif
