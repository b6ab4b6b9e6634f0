/* sm_posix.c - see sm_posix.h. */
#define _POSIX_C_SOURCE 200809L
#include "sm_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static speed_t sm_posix_speed(long baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
#ifdef B460800
    case 460800: return B460800;
#endif
#ifdef B921600
    case 921600: return B921600;
#endif
    default: return B0;
    }
}

int sm_posix_open(sm_posix *port, const char *path, long baud)
{
    struct termios tio;
    speed_t sp = sm_posix_speed(baud);
    memset(port, 0, sizeof *port);
    port->fd = -1;
    if (sp == B0) { errno = EINVAL; return -1; }
    port->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (port->fd < 0) return -1;
    if (tcgetattr(port->fd, &tio) != 0) { close(port->fd); port->fd = -1; return -1; }
    /* raw: no echo, no CR/LF translation, 8N1, every byte as it comes */
    tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
                              IXOFF | IXANY);
    tio.c_oflag &= ~(tcflag_t)OPOST;
    tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB);
#ifdef CRTSCTS
    tio.c_cflag &= ~(tcflag_t)CRTSCTS; /* no hardware flow control unless wired */
#endif
    tio.c_cflag |= (tcflag_t)(CS8 | CREAD | CLOCAL);
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, sp);
    cfsetospeed(&tio, sp);
    if (tcsetattr(port->fd, TCSANOW, &tio) != 0) { close(port->fd); port->fd = -1; return -1; }
    port->t0_ms = sm_posix_now_ms();
    return 0;
}

void sm_posix_close(sm_posix *port)
{
    if (port->fd >= 0) close(port->fd);
    port->fd = -1;
}

uint32_t sm_posix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static int sm_posix_write(void *user, const uint8_t *data, size_t len)
{
    sm_posix *port = (sm_posix *)user;
    ssize_t n = write(port->fd, data, len);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    return (int)n;
}

static int sm_posix_read(void *user, uint8_t *buf, size_t cap)
{
    sm_posix *port = (sm_posix *)user;
    ssize_t n = read(port->fd, buf, cap);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    return (int)n;
}

static uint32_t sm_posix_clock(void *user)
{
    (void)user;
    return sm_posix_now_ms();
}

static void sm_posix_trace(void *user, int dir, const char *text, size_t len)
{
    static const char *const names[] = { "tx ", "rx ", "urc", "TX*", "RX*", "drop", "> " };
    sm_posix *port = (sm_posix *)user;
    size_t i;
    if (!port->trace) return;
    fprintf(stderr, "%8lu %s ", (unsigned long)(sm_posix_now_ms() - port->t0_ms),
            (dir >= 0 && dir <= 6) ? names[dir] : "?");
    for (i = 0; i < len && i < 200; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7F) fputc(c, stderr);
        else fprintf(stderr, "\\x%02x", c);
    }
    if (len > 200) fprintf(stderr, "... (%lu bytes)", (unsigned long)len);
    fputc('\n', stderr);
}

void sm_posix_platform(sm_posix *port, sm_platform *plat)
{
    memset(plat, 0, sizeof *plat);
    plat->user = port;
    plat->write = sm_posix_write;
    plat->read = sm_posix_read;
    plat->now_ms = sm_posix_clock;
    plat->trace = sm_posix_trace;
}

void sm_posix_wait(sm_posix *port, int ms)
{
    struct pollfd p;
    p.fd = port->fd;
    p.events = POLLIN;
    p.revents = 0;
    (void)poll(&p, 1, ms);
}
