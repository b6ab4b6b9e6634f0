/* sm_live.h - real time for the live and end-to-end test programs (POSIX):
   a monotonic millisecond clock, in both forms the programs need (a plain
   call, and the platform's now_ms callback), and a pause for the "other
   work" of a superloop, and the client of the simulator's control socket,
   instead of a copy in each program. The includer defines _POSIX_C_SOURCE
   first, as for any POSIX header. */
#ifndef SM_LIVE_H
#define SM_LIVE_H
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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

/* One request on the simulator's control socket (JSON lines, sim/core.py):
   sends json and a newline, reads one reply line into reply (cut to cap,
   terminated). 0 when the reply says "ok": true, -1 otherwise (no socket,
   no connection, a refused request). */
static inline int sm_live_control(const char *path, const char *json, char *reply, size_t cap)
{
    struct sockaddr_un sa;
    size_t n = 0;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        write(fd, json, strlen(json)) < 0 || write(fd, "\n", 1) < 0) {
        close(fd);
        return -1;
    }
    while (n + 1 < cap) {
        ssize_t k = read(fd, reply + n, 1);
        if (k <= 0 || reply[n] == '\n') break;
        n++;
    }
    reply[n] = 0;
    close(fd);
    return strstr(reply, "\"ok\": true") || strstr(reply, "\"ok\":true") ? 0 : -1;
}
#endif
