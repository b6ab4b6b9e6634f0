/* sm_atecc_bridge.c - see sm_atecc_bridge.h. */
#define _POSIX_C_SOURCE 200809L
#include "sm_atecc_bridge.h"

#include "../atecc_frame.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int sm_atecc_bridge_open(sm_atecc_bridge *bus, const char *socket_path)
{
    struct sockaddr_un sa;
    memset(bus, 0, sizeof *bus);
    bus->fd = -1;
    if (strlen(socket_path) >= sizeof sa.sun_path) { errno = ENAMETOOLONG; return -1; }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
    bus->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bus->fd < 0) return -1;
    if (connect(bus->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(bus->fd);
        bus->fd = -1;
        return -1;
    }
    return 0;
}

void sm_atecc_bridge_close(sm_atecc_bridge *bus)
{
    if (bus->fd >= 0) close(bus->fd);
    bus->fd = -1;
}

/* The frame's byte I/O over the socket (ctx: the bus): blocking, whole. */
static int sm_bridge_send(void *ctx, const uint8_t *p, size_t n)
{
    int fd = ((sm_atecc_bridge *)ctx)->fd;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int sm_bridge_recv(void *ctx, uint8_t *p, size_t n)
{
    int fd = ((sm_atecc_bridge *)ctx)->fd;
    uint8_t scrap[64]; /* where dropped bytes go */
    while (n) {
        ssize_t k = read(fd, p ? p : scrap, p ? n : (n < sizeof scrap ? n : sizeof scrap));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        if (p) p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* One request/reply (atecc_frame.h). Returns the result byte ('A', 'N',
   'E') or -1 on a socket error. */
static int sm_bridge_call(sm_atecc_bridge *bus, char op, uint8_t addr7, const uint8_t *out,
                          size_t len, uint8_t *in, size_t cap, size_t *got)
{
    sm_frame_io io;
    if (bus->fd < 0) return -1;
    io.ctx = bus;
    io.send = sm_bridge_send;
    io.recv = sm_bridge_recv;
    return sm_frame_call(&io, op, addr7, out, len, in, cap, got);
}

static void sm_bridge_trace(const sm_atecc_bridge *bus, char op, uint8_t addr7, const uint8_t *d,
                            size_t n, int result)
{
    size_t i;
    if (!bus->trace) return;
    fprintf(stderr, "i2c %c 0x%02x %c", op, addr7, result > 0 ? result : '!');
    for (i = 0; i < n && d; i++) fprintf(stderr, " %02x", d[i]);
    fputc('\n', stderr);
}

static int sm_bridge_i2c_write(void *user, uint8_t addr7, const uint8_t *data, size_t len)
{
    sm_atecc_bridge *bus = (sm_atecc_bridge *)user;
    int r = sm_bridge_call(bus, 'W', addr7, data, len, NULL, 0, NULL);
    sm_bridge_trace(bus, 'W', addr7, data, len, r);
    return r == 'A' ? 0 : -1;
}

static int sm_bridge_i2c_read(void *user, uint8_t addr7, uint8_t *buf, size_t len)
{
    sm_atecc_bridge *bus = (sm_atecc_bridge *)user;
    size_t got = 0;
    int r = sm_bridge_call(bus, 'R', addr7, NULL, len, buf, len, &got);
    sm_bridge_trace(bus, 'R', addr7, buf, r == 'A' ? got : 0, r);
    return (r == 'A' && got == len) ? 0 : -1;
}

static uint32_t sm_bridge_now_ms(void *user)
{
    struct timespec ts;
    (void)user;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void sm_atecc_bridge_platform(sm_atecc_bridge *bus, sm_platform *plat)
{
    memset(plat, 0, sizeof *plat);
    plat->user = bus;
    plat->i2c_write = sm_bridge_i2c_write;
    plat->i2c_read = sm_bridge_i2c_read;
    plat->now_ms = sm_bridge_now_ms;
}

int sm_atecc_bridge_control(sm_atecc_bridge *bus, const char *cmd, char *reply, size_t cap)
{
    uint8_t buf[256];
    size_t got = 0;
    int r = sm_bridge_call(bus, 'C', 0, (const uint8_t *)cmd, strlen(cmd), buf, sizeof buf - 1u, &got);
    if (reply && cap) {
        size_t k = got < cap - 1u ? got : cap - 1u;
        memcpy(reply, buf, k);
        reply[k] = '\0';
    }
    return r == 'A' ? 0 : -1;
}
