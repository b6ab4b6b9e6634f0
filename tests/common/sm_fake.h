/* sm_fake.h - the fake UART and clock the unit tests share: one place that
   captures what the library writes, hands it what the modem "says", and
   keeps the time, instead of a copy in each test file.

   A test embeds an sm_fake in its own state and gives &state->io as the
   platform's user pointer (sm_fake_write, sm_fake_read, sm_fake_now). The
   clock is a variable the test advances; nothing sleeps. Knobs a test may
   set (all zero after a memset: a plain capture that accepts everything):
     write_ret         nonzero: every write returns it and accepts nothing
     write_max         most bytes one write accepts
     write_zero_every  every Nth write accepts nothing (a full UART FIFO)
     write_stall_at    accept nothing once this many bytes were written
     rx, rx_len        what reads hand out (pull mode), from rx_off on
     read_max          most bytes one read hands out (odd chunks cross
                       lines and payloads)
     read_ret          nonzero: every read returns it
     read_tick         milliseconds the clock moves at each read (time
                       passes while the application polls)
   The log is text the test's callbacks append events to, compared whole.
   Test-binary state only: nothing here is library state. The functions
   are static inline so that a test that needs only some of them builds
   warning-free. */
#ifndef SM_FAKE_H
#define SM_FAKE_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "sm_test.h"

#define SM_FAKE_TX_CAP 16384
#define SM_FAKE_LOG_CAP 16384

typedef struct sm_fake {
    char tx[SM_FAKE_TX_CAP];   /* every byte written, in order, NUL-terminated (tests compare text) */
    size_t tx_len, tx_seen;    /* written; checked by the test so far */
    int write_calls;
    int write_ret;
    size_t write_max;
    int write_zero_every;
    size_t write_stall_at;
    const uint8_t *rx;
    size_t rx_len, rx_off;
    size_t read_max;
    int read_ret;
    uint32_t read_tick;
    uint32_t now;
    char log[SM_FAKE_LOG_CAP];
    size_t log_len;
} sm_fake;

/* How many of n bytes one write accepts under the knobs above. */
static inline size_t sm_fake_accept(const sm_fake *f, size_t n)
{
    if (f->write_zero_every && f->write_calls % f->write_zero_every == 0) return 0;
    if (f->write_stall_at) {
        if (f->tx_len >= f->write_stall_at) return 0;
        if (n > f->write_stall_at - f->tx_len) n = f->write_stall_at - f->tx_len;
    }
    if (f->write_max && n > f->write_max) n = f->write_max;
    if (n > sizeof f->tx - 1 - f->tx_len) n = sizeof f->tx - 1 - f->tx_len; /* room for the NUL */
    return n;
}

static inline int sm_fake_write(void *u, const uint8_t *d, size_t n)
{
    sm_fake *f = (sm_fake *)u;
    f->write_calls++;
    if (f->write_ret) return f->write_ret;
    n = sm_fake_accept(f, n);
    memcpy(f->tx + f->tx_len, d, n);
    f->tx_len += n;
    f->tx[f->tx_len] = '\0'; /* the capture reads as text too */
    return (int)n;
}

static inline int sm_fake_read(void *u, uint8_t *b, size_t cap)
{
    sm_fake *f = (sm_fake *)u;
    size_t k = f->rx_len - f->rx_off;
    if (f->read_ret) return f->read_ret;
    if (k > cap) k = cap;
    if (f->read_max && k > f->read_max) k = f->read_max;
    if (k) memcpy(b, f->rx + f->rx_off, k);
    f->rx_off += k;
    f->now += f->read_tick;
    return (int)k;
}

static inline uint32_t sm_fake_now(void *u) { return ((sm_fake *)u)->now; }

/* A push-mode platform over f (the test feeds what the modem says): its
   writes captured, its clock f->now. */
static inline void sm_fake_platform(sm_platform *p, sm_fake *f)
{
    memset(p, 0, sizeof *p);
    p->user = f;
    p->write = sm_fake_write;
    p->now_ms = sm_fake_now;
}

/* Appends text to the log (cut at its end, always terminated). */
static inline void sm_fake_log(sm_fake *f, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof f->log - f->log_len - 1) n = sizeof f->log - f->log_len - 1;
    memcpy(f->log + f->log_len, s, n);
    f->log_len += n;
    f->log[f->log_len] = '\0';
}

static inline void sm_fake_log_clear(sm_fake *f)
{
    f->log_len = 0;
    f->log[0] = '\0';
}

/* Bytes as printable text: a backslash and every byte outside 0x20-0x7E as
   \xNN, so a log or a message shows exactly what was on the wire. Stops
   where the next escape might not fit. */
static inline void sm_fake_escape(char *out, size_t cap, const void *data, size_t n)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i, o = 0;
    for (i = 0; i < n && o + 5 < cap; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\\') out[o++] = (char)s[i];
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
    }
    out[o] = '\0';
}

/* Appends bytes to the log, escaped as above (however many there are). */
static inline void sm_fake_log_escaped(sm_fake *f, const void *data, size_t n)
{
    const unsigned char *s = (const unsigned char *)data;
    char tmp[8];
    size_t i;
    for (i = 0; i < n; i++) {
        sm_fake_escape(tmp, sizeof tmp, s + i, 1);
        sm_fake_log(f, tmp);
    }
}

/* One check: the bytes written since the last check are exactly want[n]
   (on failure both shown escaped, with the test's file and line). */
static inline void sm_fake_expect_tx(sm_fake *f, const void *want, size_t n, const char *file, int line)
{
    size_t got = f->tx_len - f->tx_seen;
    if (got == n && memcmp(f->tx + f->tx_seen, want, n) == 0) {
        sm_test_tally.passed++;
    } else {
        char a[700], b[700];
        sm_fake_escape(a, sizeof a, f->tx + f->tx_seen, got);
        sm_fake_escape(b, sizeof b, want, n);
        sm_test_tally.failed++;
        fprintf(stderr, "%s:%d: wrote \"%s\", expected \"%s\"\n", file, line, a, b);
    }
    f->tx_seen = f->tx_len;
}

/* One check: the log is exactly want; then it starts again empty. */
#define SM_FAKE_LOG_IS(f, want) do { CHECK_EQ_STR((f)->log, (want)); sm_fake_log_clear(f); } while (0)
#endif
