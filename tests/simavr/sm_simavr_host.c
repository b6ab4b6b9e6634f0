/* sm_simavr_host.c - runs an AVR firmware (atmega1284p) under simavr with
   its serial ports wired to the host, for the secmodem AVR example
   (examples/avr/) and the Arduino sketch built with the real Arduino core
   (examples/arduino/, atmega2560: --mcu atmega2560 --freq 16000000
   --modem-uart 1 --console-uart 0 --halt-exit).

       sm_simavr_host [--modem PTY] [--atecc SOCKET] [--mcu NAME] [--freq HZ]
                      [--modem-uart N] [--atecc-uart N] [--console-uart N]
                      [--halt-exit] [--trace] [--trace-i2c]
                      [--timeout SECONDS] [--quiet] firmware.elf

   Wiring (the USART numbers are the defaults):
     USART0  <-> the modem simulator's pseudo-terminal (--modem; without it
                 the port is unconnected: output dropped, nothing received);
                 --modem-uart N puts the modem on USARTN instead
     USART1  <-> the ATECC608 emulator's UNIX socket (--atecc), carrying its
                 frame protocol ('W'/'R'/'C' requests, 'A'/'N'/'E' replies,
                 see sim/chips/atecc.py); this program copies bytes both ways and
                 knows nothing of frames; --atecc-uart N moves it
     --atecc-twi: the emulator's socket stands behind the TWI bus instead
                 (an Arduino sketch's Wire): each bus transaction becomes
                 frames, see "TWI bridge" below
     --console-uart N: USARTN is the console instead of the debug port
                 below (an Arduino sketch's Serial): its output to stdout,
                 stdin to its receiver, with the same flow control as the
                 modem link
     debug port, a tiny peripheral on the general-purpose I/O registers
     (free on a real chip, so the firmware's accesses are harmless there):
       GPIOR0 (0x3E)  write: the exit code; the run ends and this program
                      exits with it.  read: option bits from the command
                      line (bit 0: --trace, bit 1: --trace-i2c)
       GPIOR1 (0x4A)  write: one byte of console output, to stdout.
                      read: console status: bit 0 an input byte waits,
                      bit 1 the input ended (stdin at EOF)
       GPIOR2 (0x4B)  read: the next console input byte (from stdin), 0 when
                      none waits

   Receive flow control: simavr's UART holds at most 64 received bytes and
   drops what comes on top. It says XOFF when that FIFO is full and XON
   when the firmware has emptied it (also when the receiver is switched
   on); bytes from the host are kept here and handed over only between XON
   and XOFF, so none is lost however long the firmware leaves them. Before
   the firmware enables its receiver the UART takes nothing (simavr would
   drop it), so a link starts in the XOFF state. The UART itself then
   delivers the bytes at the programmed baud rate.

   Time: the simulated clock is kept on the wall clock. Every 100 us of
   simulated time, and whenever the AVR sleeps, this program waits until
   the wall clock has caught up with the simulated one, so a busy AVR never
   runs more than 0.1 ms ahead: a wait or timeout the firmware measures in
   its own milliseconds lasts at least as long in real time, which the
   simulators and the emulated chip on the other side run on. If the host
   cannot keep up (the AVR falls behind the wall clock by more than 1 ms),
   the lost time is written off rather than caught up at full speed, which
   would squeeze the firmware's delays: simulated time then runs slower
   than real time, never faster. Both figures are reported.

   TWI bridge (--atecc-twi): simavr's TWI model (avr_twi.c) tells a
   slave each bus event through its output IRQ and expects the answer at
   once through its input IRQ; this program is that slave and asks the
   emulator: the address byte of a transfer is answered by the chip's
   ACK or NACK (a read of 0 bytes, which only says whether the chip
   listens: asleep, idle or busy, it NACKs); the bytes of a write are
   ACKed and gathered, and go to the emulator as one 'W' frame at the
   STOP; each byte of a read is a 'R' frame of 1 byte (the chip's output
   pointer moves on, as on the bus). A transfer to address 0 is the
   ATECC608's wake pulse (SDA held low through the address byte): it goes
   out as a write to address 0 at once, NACKed. simavr 1.6's atmega2560
   has no TWI model at all; for such a chip this program adds simavr's
   own (avr_twi_init) with the chip's register addresses (k_twi_2560).
   simavr's TWI moves a byte in 9 us whatever the bit rate (its own
   simplification), so transfers take less simulated time than at 100 kHz;
   the chip emulator keeps its own (wall-clock) timing either way.

   --halt-exit: a firmware that halts (SLEEP with interrupts off: nothing
   can wake it, the way a sketch that has finished stops for good) ends the
   run with status 0; its verdict is then what it printed on its console.
   Without the option a halt is status 3, like any stop without an exit
   code.

   Stack: the SRAM is painted with HOST_PAINT before the firmware starts
   (the C start-up then writes .data and .bss, the stack grows down from
   RAMEND); at the end the longest run of untouched paint is the margin
   that was never used between the static data and the deepest stack, and
   what lies above it is the most stack the run took.

   At the end it prints the simulated cycles (total, and those the AVR was
   awake), the simulated and the wall time, and the bytes on each link.
   Exit status: the firmware's exit code; 2 for usage or set-up errors,
   3 when the AVR stopped or crashed without an exit code, 124 on timeout. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <avr_twi.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_cycle_timers.h>
#include <sim_elf.h>
#include <sim_io.h>
#include <sim_irq.h>
#include <sim_time.h>

/* data-space addresses of the debug port's registers (atmega1284p) */
#define HOST_REG_EXIT 0x3Eu   /* GPIOR0 */
#define HOST_REG_CONSOLE 0x4Au /* GPIOR1 */
#define HOST_REG_INPUT 0x4Bu  /* GPIOR2 */

#define HOST_CON_INPUT_READY 0x01u
#define HOST_CON_INPUT_ENDED 0x02u
#define HOST_OPT_TRACE 0x01u
#define HOST_OPT_TRACE_I2C 0x02u

#define HOST_IO_PERIOD_US 100u       /* host I/O and clock check, simulated time */
#define HOST_LAG_WRITE_OFF_NS 1000000 /* behind the wall clock by more: written off */
#define HOST_BUF 8192u
#define HOST_PAINT 0xA5u             /* SRAM paint, to measure the stack */
#define HOST_PAINT_MIN 16u           /* shorter runs of paint are chance */

/* one direction of bytes waiting to go somewhere (a FIFO over a flat array:
   consumed from `off`, compacted when more room is needed) */
typedef struct host_buf {
    uint8_t data[HOST_BUF];
    size_t off, len;
} host_buf;

/* a UART wired to a host descriptor */
typedef struct host_link {
    const char *name;
    int fd;                /* -1: unconnected */
    int out_fd;            /* where the AVR's bytes go: fd, or stdout for a console */
    int eof;               /* the peer closed */
    int xoff;              /* 1: the UART takes nothing now */
    avr_irq_t *input;      /* UART_IRQ_INPUT */
    host_buf to_avr, to_host;
    unsigned long long bytes_in, bytes_out; /* into the AVR, out of it */
    unsigned long long xoffs;               /* times the UART said "full" */
} host_link;

/* Where the AVR's awake cycles go: per 1 ms window of simulated time, the
   cycles it was awake (y), the modem bytes its USART0 delivered to it (r)
   and the bytes it sent there (t); a least-squares fit y = a + b r + c t
   gives the cost of an idle millisecond (a: the tick interrupt and one pass
   of the superloop), of a received byte (b) and of a sent byte (c), each
   with everything the firmware does for it (interrupt, ring, parsing,
   callbacks). Sums for the normal equations: */
typedef struct host_fit {
    double n, r, t, y, rr, tt, rt, ry, ty;
    avr_cycle_count_t last_awake;
    unsigned long long last_r, last_t;
    unsigned ticks;
} host_fit;

/* the ATECC608 on the TWI bus (--atecc-twi) */
#define HOST_TWI_WRITE_MAX 256u
typedef struct host_twi {
    int fd;                /* the emulator's socket; -1: no slave, all NACKed */
    avr_irq_t *input;      /* the TWI model's input IRQ: our answers */
    int active;            /* a transfer was addressed and ACKed */
    uint8_t sla;           /* its address byte (addr7 << 1 | R/W) */
    uint8_t buf[HOST_TWI_WRITE_MAX];
    size_t len;            /* write bytes gathered until the STOP */
    int overflow;          /* a write longer than buf: refused at the STOP */
    unsigned long transfers, nacks, bytes_w, bytes_r, errors;
} host_twi;

typedef struct host {
    avr_t *avr;
    host_twi twi;
    avr_twi_t twi_model;   /* the TWI model this program adds (atmega2560) */
    host_link modem, atecc, console;
    avr_uart_t *modem_uart; /* to see how many bytes still wait in its FIFO */
    host_fit fit;
    host_buf console_in;
    int console_eof;
    uint8_t options;
    int exit_code;         /* -1 until the firmware writes GPIOR0 */
    uint64_t t0_ns;        /* wall clock at cycle 0 (moved by write-offs) */
    uint64_t start_ns;
    uint64_t timeout_ns;
    int timed_out;
    avr_cycle_count_t slept;   /* cycles spent in SLEEP */
    uint64_t max_lead_ns;      /* largest lead of simulated over wall time seen */
    uint64_t written_off_ns;   /* wall time the AVR could not keep up with */
    uint64_t max_write_off_ns;
    unsigned long write_offs;
} host;

static volatile sig_atomic_t g_stop; /* SIGINT/SIGTERM: end the run */

static void host_on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static uint64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void host_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sm_simavr_host: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* ---- byte buffers ------------------------------------------------------- */

static size_t host_buf_room(host_buf *b)
{
    if (b->off && b->off + b->len == HOST_BUF) { /* make the consumed head usable */
        memmove(b->data, b->data + b->off, b->len);
        b->off = 0;
    }
    return HOST_BUF - b->off - b->len;
}

static void host_buf_consume(host_buf *b, size_t n)
{
    b->off += n;
    b->len -= n;
    if (b->len == 0) b->off = 0;
}

/* reads what the descriptor has (it is non-blocking); returns 0 at EOF or
   on an error other than "nothing now", else 1 */
static int host_buf_fill(host_buf *b, int fd)
{
    for (;;) {
        size_t room = host_buf_room(b);
        ssize_t n;
        if (room == 0) return 1; /* taken later, when the AVR has made room */
        n = read(fd, b->data + b->off + b->len, room);
        if (n > 0) { b->len += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        return 0;
    }
}

/* writes what the descriptor takes now; 0 on an error, else 1 */
static int host_buf_flush(host_buf *b, int fd)
{
    while (b->len) {
        ssize_t n = write(fd, b->data + b->off, b->len);
        if (n > 0) { host_buf_consume(b, (size_t)n); continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        return 0;
    }
    return 1;
}

/* ---- UART links --------------------------------------------------------- */

/* Hands waiting bytes to the UART until it says XOFF. Raising the input IRQ
   calls back into simavr, which may raise XOFF (setting link->xoff) before
   it returns. */
static void host_link_feed(host_link *l)
{
    while (!l->xoff && l->to_avr.len) {
        uint8_t c = l->to_avr.data[l->to_avr.off];
        host_buf_consume(&l->to_avr, 1);
        l->bytes_in++;
        avr_raise_irq(l->input, c);
    }
}

static void host_on_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
    host_link *l = (host_link *)param;
    (void)irq; (void)value;
    l->xoff = 0;
    host_link_feed(l);
}

static void host_on_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
    host_link *l = (host_link *)param;
    (void)irq;
    /* simavr raises XOFF 0 just before each XON; only 1 means "full" */
    if (value) { l->xoff = 1; l->xoffs++; }
}

static void host_on_output(struct avr_irq_t *irq, uint32_t value, void *param)
{
    host_link *l = (host_link *)param;
    (void)irq;
    l->bytes_out++;
    if (l->out_fd < 0 || l->eof) return; /* unconnected: the byte goes nowhere */
    if (host_buf_room(&l->to_host) == 0) {
        /* the peer has not read 8 KB: wait for it rather than drop */
        struct pollfd p;
        p.fd = l->out_fd;
        p.events = POLLOUT;
        p.revents = 0;
        while (l->to_host.len == HOST_BUF) {
            if (poll(&p, 1, 1000) < 0 && errno != EINTR) break;
            if (!host_buf_flush(&l->to_host, l->out_fd)) { l->eof = 1; return; }
        }
    }
    l->to_host.data[l->to_host.off + l->to_host.len++] = (uint8_t)value;
}

/* simavr's AVR_IOCTL_DEF(a, b, c, d), computed unsigned (the macro shifts
   plain chars, an int expression that -Wconversion rightly flags) */
static uint32_t host_ioctl_code(char a, char b, char c, char d)
{
    return (uint32_t)(unsigned char)a << 24 | (uint32_t)(unsigned char)b << 16 |
           (uint32_t)(unsigned char)c << 8 | (uint32_t)(unsigned char)d;
}

static void host_link_attach(host *h, host_link *l, char uart, const char *name, int fd,
                             int out_fd)
{
    uint32_t flags = 0, irqs = host_ioctl_code('u', 'a', 'r', uart);
    l->name = name;
    l->fd = fd;
    l->out_fd = out_fd;
    l->xoff = 1; /* until the firmware switches the receiver on */
    /* no "STDIO" echo of the output to the log, no usleep() on status
       polls: this program does both jobs */
    if (avr_ioctl(h->avr, host_ioctl_code('u', 'a', 's', uart), &flags) != 0)
        host_die("UART%c: cannot set flags (does the MCU have it?)", uart);
    l->input = avr_io_getirq(h->avr, irqs, UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(h->avr, irqs, UART_IRQ_OUTPUT),
                            host_on_output, l);
    avr_irq_register_notify(avr_io_getirq(h->avr, irqs, UART_IRQ_OUT_XON),
                            host_on_xon, l);
    avr_irq_register_notify(avr_io_getirq(h->avr, irqs, UART_IRQ_OUT_XOFF),
                            host_on_xoff, l);
}

static void host_link_io(host_link *l)
{
    if (l->out_fd < 0 || l->eof) return;
    if (!host_buf_flush(&l->to_host, l->out_fd)) l->eof = 1;
    if (!l->eof && l->fd >= 0 && !host_buf_fill(&l->to_avr, l->fd)) {
        /* a console's stdin may end while its output goes on */
        if (l->out_fd == l->fd) l->eof = 1;
        else l->fd = -1;
    }
    host_link_feed(l);
}

/* simavr's UART '0'..'9' among the chip's peripherals, or NULL */
static avr_uart_t *host_find_uart(avr_t *avr, char name)
{
    avr_io_t *io;
    for (io = avr->io_port; io; io = io->next)
        if (io->kind && !strcmp(io->kind, "uart") && ((avr_uart_t *)io)->name == name)
            return (avr_uart_t *)io;
    return NULL;
}

static int host_open_pty(const char *path)
{
    struct termios t;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) host_die("%s: %s", path, strerror(errno));
    /* raw 8-bit: no echo, no line editing, no CR/LF translation, no XON/XOFF */
    if (tcgetattr(fd, &t) == 0) {
        t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
                                 IXON | IXOFF | IXANY | INPCK);
        t.c_oflag &= ~(tcflag_t)OPOST;
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
        t.c_cflag |= CS8 | CLOCAL | CREAD;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

static int host_open_socket(const char *path)
{
    struct sockaddr_un sa;
    int fd;
    if (strlen(path) >= sizeof sa.sun_path) host_die("%s: path too long", path);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        host_die("%s: %s", path, strerror(errno));
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
        host_die("%s: %s", path, strerror(errno));
    return fd;
}

/* ---- TWI bridge ---------------------------------------------------------- */

/* Waits (at most 2 s) until fd is ready for `events`; 0 when it is. */
static int host_wait_fd(int fd, short events)
{
    struct pollfd p;
    int n;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    do n = poll(&p, 1, 2000); while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

static int host_send_all(int fd, const uint8_t *d, size_t n)
{
    while (n) {
        ssize_t k = write(fd, d, n);
        if (k > 0) { d += k; n -= (size_t)k; continue; }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && host_wait_fd(fd, POLLOUT) == 0)
            continue;
        return -1;
    }
    return 0;
}

static int host_recv_all(int fd, uint8_t *d, size_t n)
{
    while (n) {
        ssize_t k = read(fd, d, n);
        if (k > 0) { d += k; n -= (size_t)k; continue; }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && host_wait_fd(fd, POLLIN) == 0)
            continue;
        return -1;
    }
    return 0;
}

/* One request frame to the emulator and its reply (sim/chips/atecc.py): 'A',
   'N' or 'E', the reply's bytes in `in` (at most `cap`); -1 when the
   socket failed or the reply did not fit. */
static int host_twi_frame(host_twi *t, char op, uint8_t addr7, const uint8_t *payload,
                          size_t len, uint8_t *in, size_t cap, size_t *got)
{
    uint8_t hdr[4], rep[3];
    size_t n;
    hdr[0] = (uint8_t)op;
    hdr[1] = addr7;
    hdr[2] = (uint8_t)(len & 0xFFu);
    hdr[3] = (uint8_t)(len >> 8);
    if (t->fd < 0 || host_send_all(t->fd, hdr, 4) != 0 ||
        (op != 'R' && len && host_send_all(t->fd, payload, len) != 0) ||
        host_recv_all(t->fd, rep, 3) != 0) {
        t->errors++;
        return -1;
    }
    n = (size_t)rep[1] | (size_t)rep[2] << 8;
    if (n > cap || host_recv_all(t->fd, in, n) != 0) { t->errors++; return -1; }
    if (got) *got = n;
    return rep[0];
}

static void host_twi_answer(host_twi *t, uint8_t msg, uint8_t data)
{
    avr_raise_irq(t->input, avr_twi_irq_msg(msg, t->sla, data));
}

/* the gathered write, as one frame, when the transfer ends */
static void host_twi_end(host_twi *t)
{
    if (t->active && !(t->sla & 1u)) {
        uint8_t none[1];
        int r = t->overflow ? -1
                            : host_twi_frame(t, 'W', (uint8_t)(t->sla >> 1), t->buf, t->len, none,
                                             0, NULL);
        /* the bytes were ACKed on the bus already; a chip that refuses
           them at the end shows as an error count */
        if (r != 'A') t->errors++;
    }
    t->active = 0;
    t->len = 0;
    t->overflow = 0;
}

static void host_on_twi(struct avr_irq_t *irq, uint32_t value, void *param)
{
    host_twi *t = (host_twi *)param;
    avr_twi_msg_irq_t m;
    uint8_t b[1];
    (void)irq;
    m.u.v = value;
    if (m.u.twi.msg & TWI_COND_STOP) host_twi_end(t);
    if (m.u.twi.msg & TWI_COND_START) { /* the address byte (a repeated start ends a write) */
        uint8_t addr7 = (uint8_t)(m.u.twi.addr >> 1);
        host_twi_end(t);
        t->sla = m.u.twi.addr;
        t->transfers++;
        if (addr7 == 0) {
            /* the wake pulse: the chip wakes, nobody ACKs address 0 */
            b[0] = 0;
            (void)host_twi_frame(t, 'W', 0, b, 1, b, 0, NULL);
            t->nacks++;
            return;
        }
        t->active = host_twi_frame(t, 'R', addr7, NULL, 0, b, 0, NULL) == 'A';
        if (t->active) host_twi_answer(t, TWI_COND_ACK, 1);
        else t->nacks++;
        return;
    }
    if (!t->active) return; /* not addressed: no answer is a NACK */
    if (m.u.twi.msg & TWI_COND_WRITE) {
        if (t->len < sizeof t->buf) t->buf[t->len++] = m.u.twi.data;
        else t->overflow = 1;
        t->bytes_w++;
        host_twi_answer(t, TWI_COND_ACK, 1);
    } else if (m.u.twi.msg & TWI_COND_READ) {
        size_t got = 0;
        int r = host_twi_frame(t, 'R', (uint8_t)(t->sla >> 1), NULL, 1, b, 1, &got);
        t->bytes_r++;
        host_twi_answer(t, TWI_COND_READ, r == 'A' && got == 1 ? b[0] : 0xFFu);
    }
}

/* simavr's TWI model for an atmega2560 (data-space addresses and bits from
   the datasheet; simavr 1.6 does not declare one for this chip) */
static const avr_twi_t k_twi_2560 = {
    .disabled = AVR_IO_REGBIT(0x64, 7),            /* PRR0.PRTWI */
    .r_twbr = 0xB8, .r_twsr = 0xB9, .r_twar = 0xBA, .r_twdr = 0xBB, .r_twcr = 0xBC,
    .r_twamr = 0xBD,
    .twen = AVR_IO_REGBIT(0xBC, 2), .twea = AVR_IO_REGBIT(0xBC, 6),
    .twsta = AVR_IO_REGBIT(0xBC, 5), .twsto = AVR_IO_REGBIT(0xBC, 4),
    .twwc = AVR_IO_REGBIT(0xBC, 3),
    .twsr = AVR_IO_REGBITS(0xB9, 3, 0x1f), .twps = AVR_IO_REGBITS(0xB9, 0, 0x3),
    .twi = { .enable = AVR_IO_REGBIT(0xBC, 0), .raised = AVR_IO_REGBIT(0xBC, 7),
             .raise_sticky = 1, .vector = 39 /* TWI_vect */ },
};

/* Finds the chip's TWI model (adds the one above for the atmega2560) and
   puts the bridge behind it. */
static void host_twi_attach(host *h, const char *mcu, int fd)
{
    avr_io_t *io;
    avr_twi_t *twi = NULL;
    for (io = h->avr->io_port; io; io = io->next)
        if (io->kind && !strcmp(io->kind, "twi")) twi = (avr_twi_t *)io;
    if (!twi && !strcmp(mcu, "atmega2560")) {
        h->twi_model = k_twi_2560;
        twi = &h->twi_model;
        avr_twi_init(h->avr, twi);
        twi->io.reset(&twi->io); /* registers its input IRQ's handler, as a reset would */
    }
    if (!twi) host_die("%s: simavr has no TWI model for it", mcu);
    h->twi.fd = fd;
    h->twi.input = twi->io.irq + TWI_IRQ_INPUT;
    avr_irq_register_notify(twi->io.irq + TWI_IRQ_OUTPUT, host_on_twi, &h->twi);
}

/* ---- debug port --------------------------------------------------------- */

static void host_on_exit_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    host *h = (host *)param;
    (void)addr;
    h->exit_code = v;
    avr->state = cpu_Done; /* avr_run() returns and the loop ends */
}

static uint8_t host_on_exit_read(avr_t *avr, avr_io_addr_t addr, void *param)
{
    (void)avr; (void)addr;
    return ((host *)param)->options;
}

static void host_on_console_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    (void)avr; (void)addr; (void)param;
    putchar(v);
    if (v == '\n') fflush(stdout);
}

static uint8_t host_on_console_status(avr_t *avr, avr_io_addr_t addr, void *param)
{
    host *h = (host *)param;
    (void)avr; (void)addr;
    return (uint8_t)((h->console_in.len ? HOST_CON_INPUT_READY : 0u) |
                     (h->console_eof && !h->console_in.len ? HOST_CON_INPUT_ENDED : 0u));
}

static uint8_t host_on_console_read(avr_t *avr, avr_io_addr_t addr, void *param)
{
    host *h = (host *)param;
    uint8_t c;
    (void)avr; (void)addr;
    if (!h->console_in.len) return 0;
    c = h->console_in.data[h->console_in.off];
    host_buf_consume(&h->console_in, 1);
    return c;
}

/* ---- time --------------------------------------------------------------- */

/* Waits until the wall clock reaches simulated time `cycle`, or writes off
   the lag if the AVR is behind by more than HOST_LAG_WRITE_OFF_NS. */
static void host_keep_time(host *h, avr_cycle_count_t cycle)
{
    uint64_t sim_ns = avr_cycles_to_nsec(h->avr, cycle);
    uint64_t wall_ns = host_now_ns() - h->t0_ns;
    if (sim_ns > wall_ns) {
        uint64_t lead = sim_ns - wall_ns;
        struct timespec ts;
        if (lead > h->max_lead_ns) h->max_lead_ns = lead;
        ts.tv_sec = (time_t)(lead / 1000000000u);
        ts.tv_nsec = (long)(lead % 1000000000u);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !g_stop) {}
    } else if (wall_ns - sim_ns > HOST_LAG_WRITE_OFF_NS) {
        h->written_off_ns += wall_ns - sim_ns;
        h->write_offs++;
        if (wall_ns - sim_ns > h->max_write_off_ns) h->max_write_off_ns = wall_ns - sim_ns;
        h->t0_ns += wall_ns - sim_ns;
    }
}

/* simavr's sleep hook: the AVR executed SLEEP and nothing is due for
   `how_long` cycles (the next timer: at most the host I/O period). */
static void host_sleep(avr_t *avr, avr_cycle_count_t how_long)
{
    host *h = (host *)avr->custom.data;
    h->slept += how_long + 1; /* simavr adds 1 + how_long to the cycle count */
    host_keep_time(h, avr->cycle + how_long);
}

/* Bytes in a simavr UART's receive FIFO (uart_fifo_get_read_size() is
   defined inside simavr only; the FIFO is a 64-slot ring, avr_uart.h) */
static unsigned host_uart_waiting(const avr_uart_t *u)
{
    if (!u) return 0;
    return ((unsigned)u->input.write + 64u - (unsigned)u->input.read) & 63u;
}

static void host_fit_sample(host *h)
{
    host_fit *f = &h->fit;
    avr_cycle_count_t awake = h->avr->cycle - h->slept;
    /* delivered = handed to the UART less what still waits in its FIFO */
    unsigned long long r = h->modem.bytes_in - host_uart_waiting(h->modem_uart);
    unsigned long long t = h->modem.bytes_out;
    double y = (double)(awake - f->last_awake), dr = (double)(r - f->last_r);
    double dt = (double)(t - f->last_t);
    f->ticks = 0;
    f->last_awake = awake;
    f->last_r = r;
    f->last_t = t;
    f->n += 1; f->r += dr; f->t += dt; f->y += y;
    f->rr += dr * dr; f->tt += dt * dt; f->rt += dr * dt; f->ry += dr * y; f->ty += dt * y;
}

/* Solves the 3x3 normal equations (Cramer's rule); 0 if they are singular
   (e.g. no traffic at all). */
static int host_fit_solve(const host_fit *f, double *a, double *b, double *c)
{
    double m[3][3], v[3], det;
    int i;
    m[0][0] = f->n; m[0][1] = f->r; m[0][2] = f->t;
    m[1][0] = f->r; m[1][1] = f->rr; m[1][2] = f->rt;
    m[2][0] = f->t; m[2][1] = f->rt; m[2][2] = f->tt;
    v[0] = f->y; v[1] = f->ry; v[2] = f->ty;
    det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
          m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
          m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (det < 1e-9 && det > -1e-9) return 0;
    for (i = 0; i < 3; i++) {
        double k[3][3], d;
        int row;
        memcpy(k, m, sizeof k);
        for (row = 0; row < 3; row++) k[row][i] = v[row];
        d = k[0][0] * (k[1][1] * k[2][2] - k[1][2] * k[2][1]) -
            k[0][1] * (k[1][0] * k[2][2] - k[1][2] * k[2][0]) +
            k[0][2] * (k[1][0] * k[2][1] - k[1][1] * k[2][0]);
        *(i == 0 ? a : i == 1 ? b : c) = d / det;
    }
    return 1;
}

/* The periodic host work, as a simavr cycle timer: move bytes between the
   descriptors and the UARTs, read the console, keep the clock. */
static avr_cycle_count_t host_io_timer(avr_t *avr, avr_cycle_count_t when, void *param)
{
    host *h = (host *)param;
    (void)avr;
    host_link_io(&h->modem);
    host_link_io(&h->atecc);
    host_link_io(&h->console);
    if (!h->console_eof && !host_buf_fill(&h->console_in, STDIN_FILENO)) h->console_eof = 1;
    host_keep_time(h, when);
    if (++h->fit.ticks == 1000u / HOST_IO_PERIOD_US) host_fit_sample(h);
    if (g_stop) h->avr->state = cpu_Done;
    if (h->timeout_ns && host_now_ns() - h->start_ns > h->timeout_ns) {
        h->timed_out = 1;
        h->avr->state = cpu_Done;
    }
    return when + avr_usec_to_cycles(h->avr, HOST_IO_PERIOD_US);
}

/* ---- stack -------------------------------------------------------------- */

static void host_paint(avr_t *avr)
{
    memset(avr->data + avr->ioend + 1, (int)HOST_PAINT, (size_t)(avr->ramend - avr->ioend));
}

/* The longest run of paint in SRAM: [*start, *end); the stack used is
   what lies above it. 0 if no paint is left. */
static int host_unused(const avr_t *avr, unsigned *start, unsigned *end)
{
    unsigned a, run = 0, best = 0;
    *start = *end = 0;
    for (a = (unsigned)avr->ioend + 1u; a <= avr->ramend; a++) {
        run = avr->data[a] == HOST_PAINT ? run + 1u : 0u;
        if (run > best) { best = run; *end = a + 1u; *start = *end - run; }
    }
    return best > 0;
}

/* ---- main --------------------------------------------------------------- */

static void host_usage(void);

/* a USART number on the command line: '0'..'3' */
static char host_uart_arg(const char *s)
{
    if (s[0] < '0' || s[0] > '3' || s[1]) host_usage();
    return s[0];
}

static void host_usage(void)
{
    fputs("usage: sm_simavr_host [--modem PTY] [--atecc SOCKET] [--mcu NAME] [--freq HZ]\n"
          "                      [--modem-uart N] [--atecc-uart N] [--console-uart N]\n"
          "                      [--atecc-twi] [--halt-exit] [--trace] [--trace-i2c]\n"
          "                      [--timeout SECONDS] [--quiet] firmware.elf\n",
          stderr);
    exit(2);
}

static void host_logger(avr_t *avr, const int level, const char *fmt, va_list ap)
{
    (void)avr;
    /* simavr's errors (e.g. a receive overrun) and warnings, not its traces */
    if (level > LOG_WARNING) return;
    fputs("[simavr] ", stderr);
    vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
    static host h; /* 3 x 16 KB of buffers: not on the stack */
    const char *modem = NULL, *atecc = NULL, *mcu = "atmega1284p", *elf = NULL;
    unsigned long freq = 18432000ul;
    double timeout_s = 0.0;
    int quiet = 0, halt_exit = 0, atecc_twi = 0, atecc_uart_set = 0, i, status, stdin_flags;
    char modem_uart = '0', atecc_uart = '1', console_uart = 0; /* 0: the debug port */
    elf_firmware_t fw;
    avr_cycle_count_t busy;
    double wall_s, sim_s;
    struct sigaction sa;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--modem") && more) modem = argv[++i];
        else if (!strcmp(a, "--atecc") && more) atecc = argv[++i];
        else if (!strcmp(a, "--mcu") && more) mcu = argv[++i];
        else if (!strcmp(a, "--freq") && more) freq = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--timeout") && more) timeout_s = strtod(argv[++i], NULL);
        else if (!strcmp(a, "--trace")) h.options |= HOST_OPT_TRACE;
        else if (!strcmp(a, "--trace-i2c")) h.options |= HOST_OPT_TRACE_I2C;
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--halt-exit")) halt_exit = 1;
        else if (!strcmp(a, "--atecc-twi")) atecc_twi = 1;
        else if (!strcmp(a, "--modem-uart") && more) modem_uart = host_uart_arg(argv[++i]);
        else if (!strcmp(a, "--atecc-uart") && more) {
            atecc_uart = host_uart_arg(argv[++i]);
            atecc_uart_set = 1;
        }
        else if (!strcmp(a, "--console-uart") && more) console_uart = host_uart_arg(argv[++i]);
        else if (a[0] == '-' || elf) host_usage();
        else elf = a;
    }
    if (!elf || freq < 1000000ul || freq > 32000000ul) host_usage();
    /* no USART for the chip when it is on the TWI bus, or when there is no
       chip and no USART was named for it (the default USART1 may be the
       modem's) */
    if (atecc_twi || (!atecc && !atecc_uart_set && modem_uart == atecc_uart)) atecc_uart = 0;
    if (modem_uart == atecc_uart || modem_uart == console_uart ||
        (atecc_uart && atecc_uart == console_uart))
        host_die("two links on one USART");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = host_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed peer shows as a write error */

    avr_global_logger_set(host_logger);
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(elf, &fw) != 0) host_die("%s: cannot read the ELF file", elf);
    h.avr = avr_make_mcu_by_name(mcu);
    if (!h.avr) host_die("simavr does not know the MCU %s", mcu);
    avr_init(h.avr);
    h.avr->frequency = (uint32_t)freq;
    fw.frequency = (uint32_t)freq; /* the ELF carries no .mmcu section */
    avr_load_firmware(h.avr, &fw);
    host_paint(h.avr);
    h.avr->log = LOG_WARNING;
    h.avr->custom.data = &h;
    h.avr->sleep = host_sleep;

    h.exit_code = -1;
    h.modem.fd = modem ? host_open_pty(modem) : -1;
    h.atecc.fd = atecc && !atecc_twi ? host_open_socket(atecc) : -1;
    host_link_attach(&h, &h.modem, modem_uart, "modem", h.modem.fd, h.modem.fd);
    h.atecc.out_fd = -1;
    if (atecc_uart) host_link_attach(&h, &h.atecc, atecc_uart, "atecc", h.atecc.fd, h.atecc.fd);
    h.twi.fd = -1;
    if (atecc_twi) host_twi_attach(&h, mcu, atecc ? host_open_socket(atecc) : -1);
    h.console.fd = h.console.out_fd = -1;
    if (console_uart) {
        /* stdin (non-blocking, below) into the USART, its output to stdout;
           the debug port then has no console input */
        host_link_attach(&h, &h.console, console_uart, "console", STDIN_FILENO, STDOUT_FILENO);
        h.console_eof = 1;
    }
    h.modem_uart = host_find_uart(h.avr, modem_uart);
    /* stdin's flags belong to an open file description the shell may share
       (a terminal): put them back at the end */
    stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
    if (stdin_flags < 0 || fcntl(STDIN_FILENO, F_SETFL, stdin_flags | O_NONBLOCK) != 0) {
        h.console_eof = 1; /* no usable stdin: no console input */
        h.console.fd = -1;
    }
    avr_register_io_write(h.avr, HOST_REG_EXIT, host_on_exit_write, &h);
    avr_register_io_read(h.avr, HOST_REG_EXIT, host_on_exit_read, &h);
    avr_register_io_write(h.avr, HOST_REG_CONSOLE, host_on_console_write, &h);
    avr_register_io_read(h.avr, HOST_REG_CONSOLE, host_on_console_status, &h);
    avr_register_io_read(h.avr, HOST_REG_INPUT, host_on_console_read, &h);
    avr_cycle_timer_register_usec(h.avr, HOST_IO_PERIOD_US, host_io_timer, &h);

    h.timeout_ns = (uint64_t)(timeout_s * 1e9);
    h.start_ns = h.t0_ns = host_now_ns();
    do {
        status = avr_run(h.avr);
    } while (status != cpu_Done && status != cpu_Crashed);
    /* what the firmware sent last (e.g. a reply it did not wait for, the
       console's last line) */
    if (h.console.out_fd >= 0) host_buf_flush(&h.console.to_host, h.console.out_fd);
    fflush(stdout);
    if (h.modem.fd >= 0) host_buf_flush(&h.modem.to_host, h.modem.fd);

    wall_s = (double)(host_now_ns() - h.start_ns) / 1e9;
    sim_s = (double)h.avr->cycle / (double)freq;
    busy = h.avr->cycle - (h.slept < h.avr->cycle ? h.slept : h.avr->cycle);
    if (!quiet) {
        printf("[simavr] %s at %.4f MHz: %llu cycles (%.3f s simulated), awake %llu cycles "
               "(%.1f%%), wall time %.3f s\n",
               mcu, (double)freq / 1e6, (unsigned long long)h.avr->cycle, sim_s,
               (unsigned long long)busy,
               h.avr->cycle ? 100.0 * (double)busy / (double)h.avr->cycle : 0.0, wall_s);
        printf("[simavr] clock: simulated time at most %.3f ms ahead of the wall clock; "
               "%.3f ms written off in %lu pieces, the largest %.3f ms (the host fell behind)\n",
               (double)h.max_lead_ns / 1e6, (double)h.written_off_ns / 1e6, h.write_offs,
               (double)h.max_write_off_ns / 1e6);
        printf("[simavr] USART%c (modem): %llu bytes in, %llu out, %llu XOFF\n",
               modem_uart, h.modem.bytes_in, h.modem.bytes_out, h.modem.xoffs);
        if (atecc_uart)
            printf("[simavr] USART%c (ATECC608): %llu bytes in, %llu out, %llu XOFF\n",
                   atecc_uart, h.atecc.bytes_in, h.atecc.bytes_out, h.atecc.xoffs);
        {
            unsigned u0, u1;
            /* a run shorter than HOST_PAINT_MIN is chance, not a gap: the
               firmware filled its free RAM itself (the bare AVR examples
               paint it with their own pattern to measure their stack), or
               the stack met the static data */
            if (host_unused(h.avr, &u0, &u1) && u1 - u0 >= HOST_PAINT_MIN)
                printf("[simavr] SRAM: stack used at most %u bytes; %u bytes (0x%04x..0x%04x) "
                       "never touched between the static data and the stack\n",
                       (unsigned)h.avr->ramend + 1u - u1, u1 - u0, u0, u1 - 1u);
            else
                printf("[simavr] SRAM: the paint did not survive (the firmware fills its free "
                       "RAM itself, or the stack met the static data): no figure\n");
        }
        if (atecc_twi)
            printf("[simavr] TWI (ATECC608): %lu transfers, %lu NACKed, %lu bytes written, "
                   "%lu read, %lu errors\n",
                   h.twi.transfers, h.twi.nacks, h.twi.bytes_w, h.twi.bytes_r, h.twi.errors);
        if (console_uart)
            printf("[simavr] USART%c (console): %llu bytes in, %llu out, %llu XOFF\n",
                   console_uart, h.console.bytes_in, h.console.bytes_out, h.console.xoffs);
        if (h.modem.bytes_in) {
            double a, b, c;
            printf("[simavr] awake cycles per modem byte received: %.0f (all awake cycles, "
                   "idle ticks included, over the bytes)\n",
                   (double)busy / (double)h.modem.bytes_in);
            if (host_fit_solve(&h.fit, &a, &b, &c))
                printf("[simavr] fit over %.0f windows of 1 ms: %.0f cycles per idle ms, "
                       "%.0f per modem byte received, %.0f per byte sent\n",
                       h.fit.n, a, b, c);
        }
    }
    if (h.timed_out) {
        printf("[simavr] TIMEOUT after %.0f s\n", timeout_s);
        status = 124;
    } else if (h.exit_code >= 0) {
        if (!quiet) printf("[simavr] firmware exit code %d\n", h.exit_code);
        status = h.exit_code;
    } else if (halt_exit && status == cpu_Done && !g_stop) {
        /* simavr ends a SLEEP with interrupts off as cpu_Done */
        if (!quiet) printf("[simavr] the firmware halted (sleep with interrupts off)\n");
        status = 0;
    } else {
        printf("[simavr] the AVR %s without an exit code (pc 0x%05x)\n",
               status == cpu_Crashed ? "crashed" : (g_stop ? "was stopped" : "stopped"),
               (unsigned)h.avr->pc);
        status = 3;
    }
    fflush(stdout);
    avr_terminate(h.avr);
    if (stdin_flags >= 0) fcntl(STDIN_FILENO, F_SETFL, stdin_flags);
    if (h.modem.fd >= 0) close(h.modem.fd);
    if (h.atecc.fd >= 0) close(h.atecc.fd);
    if (h.twi.fd >= 0) close(h.twi.fd);
    return status;
}
