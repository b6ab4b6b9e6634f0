/* test_live.c - the AT engine against the live simulator (generic dialect)
   over a pty, through the POSIX port the examples use.

   Run by tests/e2e/run_live.py, which starts the simulator:
       test_live <pty path> <control socket path>
   The control socket (JSON lines) lets the test inject URCs, reboots and
   faults at chosen moments. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_posix.h"
#include "../common/sm_test.h"
#include "../common/sm_live.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const sm_at_dialect k_generic = { "generic", "\r", "+SYSSTART", NULL };

typedef struct live {
    sm_posix port;
    sm_at at;
    const char *control;
    int ticks, hellos, startups;
    sm_at_response last;
    char lines[2048];
    uint8_t raw[1024];
    int done;
} live;

/* ---- control socket ------------------------------------------------------ */
static int control(live *l, const char *json, char *reply, size_t cap)
{
    return sm_live_control(l->control, json, reply, cap);
}

static int control_simple(live *l, const char *json)
{
    char reply[256];
    return control(l, json, reply, sizeof reply);
}

/* ---- URCs ------------------------------------------------------------------ */
static void urc_tick(void *ctx, sm_at *at, const char *line, size_t len)
{ (void)at; (void)line; (void)len; ((live *)ctx)->ticks++; }
static void urc_hello(void *ctx, sm_at *at, const char *line, size_t len)
{ (void)at; (void)line; (void)len; ((live *)ctx)->hellos++; }
static void urc_startup(void *ctx, sm_at *at, const char *line, size_t len)
{ (void)at; (void)line; (void)len; ((live *)ctx)->startups++; }

static const sm_urc k_urcs[] = {
    { "+TICK:", urc_tick },
    { "+HELLO:", urc_hello },
    { "+SYSSTART", urc_startup },
};

/* ---- running commands -------------------------------------------------------- */
static void on_done(void *ctx, const sm_at_response *r)
{
    live *l = (live *)ctx;
    size_t n = 0, i;
    l->last = *r;
    for (i = 0; i < r->nlines; i++) {
        size_t k = strlen(r->lines + n) + 1;
        if (n + k + 1 > sizeof l->lines) break;
        n += k;
    }
    memcpy(l->lines, r->lines, n);
    l->lines[n] = 0;
    l->last.lines = l->lines;
    l->last.err_text = NULL;
    l->done = 1;
}

static void on_recv_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    int32_t n;
    (void)ctx;
    if (sm_fields_init(&f, line, len, "+RECV:") == SM_OK && sm_fields_int(&f, 0, 65535, &n) == SM_OK)
        sm_at_expect_raw(at, (size_t)n, NULL, NULL);
}

static void pump(live *l, uint32_t ms)
{
    uint32_t end = sm_posix_now_ms() + ms;
    while ((int32_t)(sm_posix_now_ms() - end) < 0) {
        sm_at_poll(&l->at);
        sm_posix_wait(&l->port, 5);
    }
}

/* Runs one command to completion; returns its result and how long it took. */
static sm_at_result run_cmd(live *l, sm_at_cmd *c, uint32_t *took_ms)
{
    uint32_t t0 = sm_posix_now_ms();
    int id;
    c->on_done = on_done;
    c->ctx = l;
    l->done = 0;
    memset(&l->last, 0, sizeof l->last);
    id = sm_at_submit(&l->at, c);
    if (id < 0) return SM_AT_PENDING;
    while (!l->done) {
        sm_at_poll(&l->at);
        if (!l->done) sm_posix_wait(&l->port, 5);
        if (sm_posix_now_ms() - t0 > 60000u) return SM_AT_PENDING; /* the engine hung */
    }
    if (took_ms) *took_ms = sm_posix_now_ms() - t0;
    return l->last.result;
}

static sm_at_result run(live *l, const char *text, const char *prefix, uint32_t timeout)
{
    sm_at_cmd c;
    memset(&c, 0, sizeof c);
    c.text = text;
    c.prefix = prefix;
    c.timeout_ms = timeout;
    return run_cmd(l, &c, NULL);
}

/* The i-th response line of the last command. */
static const char *line_at(live *l, unsigned i)
{
    const char *p = l->lines;
    while (i--) p += strlen(p) + 1;
    return p;
}

static uint32_t crc32_of(const uint8_t *d, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= d[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* ---- scenarios ------------------------------------------------------------- */
static void test_basics_and_echo(live *l)
{
    CHECK_EQ_INT(run(l, "AT", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(run(l, "ATI", NULL, 2000), SM_AT_OK); /* echo on (the default) */
    CHECK_EQ_INT(l->last.nlines, 2);
    CHECK_EQ_STR(line_at(l, 0), "secmodem-sim");
    CHECK_EQ_STR(line_at(l, 1), "generic");
    CHECK_EQ_INT(run(l, "ATE0", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(run(l, "ATI", NULL, 2000), SM_AT_OK); /* echo off */
    CHECK_EQ_INT(l->last.nlines, 2);
    CHECK_EQ_STR(line_at(l, 1), "generic");
    CHECK_EQ_INT(run(l, "ATE1", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(run(l, "AT+GMR", NULL, 2000), SM_AT_OK);
    CHECK_EQ_STR(line_at(l, 0), "1.0.0");
    CHECK_EQ_INT(run(l, "AT+ECHOLN=a \"quoted\", text", "+ECHOLN:", 2000), SM_AT_OK);
    CHECK_EQ_STR(line_at(l, 0), "+ECHOLN: a \"quoted\", text");
}

static void test_errors(live *l)
{
    CHECK_EQ_INT(run(l, "AT+CMEE=0", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(run(l, "AT+FAIL=10", NULL, 2000), SM_AT_ERROR);
    CHECK_EQ_INT(run(l, "AT+CMEE=1", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(run(l, "AT+FAIL=10", NULL, 2000), SM_AT_CME_ERROR);
    CHECK_EQ_INT(l->last.code, 10);
    CHECK_EQ_INT(run(l, "AT+NOSUCHTHING", NULL, 2000), SM_AT_CME_ERROR);
    CHECK_EQ_INT(l->last.code, 4);
    CHECK_EQ_INT(run(l, "AT+CMEE=2", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(run(l, "AT+FAIL=10", NULL, 2000), SM_AT_CME_ERROR);
    CHECK_EQ_INT(l->last.code, SM_AT_NO_CODE); /* verbose: text, no number */
    CHECK_EQ_INT(run(l, "AT+CMEE=1", NULL, 2000), SM_AT_OK);
}

static void test_lines_and_urcs(live *l)
{
    char want[32];
    unsigned i;
    int ticks0 = l->ticks;
    CHECK_EQ_INT(run(l, "AT+LINES=5", "+LINES:", 2000), SM_AT_OK);
    CHECK_EQ_INT(l->last.nlines, 5);
    for (i = 0; i < 5; i++) {
        snprintf(want, sizeof want, "+LINES: %u", i);
        CHECK_EQ_STR(line_at(l, i), want);
    }
    CHECK_EQ_INT(run(l, "AT+LINES=200", "+LINES:", 5000), SM_AT_OK);
    CHECK_EQ_INT(l->last.lines_truncated, 1); /* reported, not silent */
    CHECK_EQ_INT(run(l, "AT+URCIN=3", "+URCIN:", 2000), SM_AT_OK);
    CHECK_EQ_INT(l->last.nlines, 3);
    CHECK_EQ_STR(line_at(l, 2), "+URCIN: 2");
    CHECK_EQ_INT(l->ticks - ticks0, 4);
    CHECK_EQ_INT(run(l, "AT+URC=+HELLO: 1,200", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(l->hellos, 0);
    pump(l, 600);
    CHECK_EQ_INT(l->hellos, 1);
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"urc\",\"text\":\"+HELLO: 2\"}"), 0);
    pump(l, 300);
    CHECK_EQ_INT(l->hellos, 2);
}

static void test_binary(live *l)
{
    static uint8_t data[512];
    char cmd[64], want[64];
    sm_at_cmd c;
    size_t i;
    for (i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7u + 3u);
    memcpy(data + 10, "\r\nOK\r\n> ", 8); /* what a line parser would trip over */
    /* after the prompt */
    memset(&c, 0, sizeof c);
    snprintf(cmd, sizeof cmd, "AT+SEND=%u", (unsigned)sizeof data);
    c.text = cmd;
    c.prefix = "+SEND:";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = sizeof data;
    c.timeout_ms = 5000;
    CHECK_EQ_INT(run_cmd(l, &c, NULL), SM_AT_OK);
    snprintf(want, sizeof want, "+SEND: %u,%08lx", (unsigned)sizeof data,
             (unsigned long)crc32_of(data, sizeof data));
    CHECK_EQ_STR(line_at(l, 0), want);
    /* read them back as an announced binary payload */
    memset(&c, 0, sizeof c);
    snprintf(cmd, sizeof cmd, "AT+RECV=%u", (unsigned)sizeof data);
    c.text = cmd;
    c.prefix = "+RECV:";
    c.on_line = on_recv_line;
    c.raw_buf = l->raw;
    c.raw_cap = sizeof l->raw;
    c.timeout_ms = 5000;
    memset(l->raw, 0, sizeof l->raw);
    CHECK_EQ_INT(run_cmd(l, &c, NULL), SM_AT_OK);
    CHECK_EQ_INT(l->last.raw_len, sizeof data);
    CHECK(memcmp(l->raw, data, sizeof data) == 0);
    /* inline, Cordelia style */
    memset(&c, 0, sizeof c);
    snprintf(cmd, sizeof cmd, "AT+INLINE=%u,", 100u);
    c.text = cmd;
    c.prefix = "+INLINE:";
    c.flags = SM_AT_F_INLINE;
    c.payload = data;
    c.payload_len = 100;
    CHECK_EQ_INT(run_cmd(l, &c, NULL), SM_AT_OK);
    snprintf(want, sizeof want, "+INLINE: 100,%08lx", (unsigned long)crc32_of(data, 100));
    CHECK_EQ_STR(line_at(l, 0), want);
}

static void test_garbage(live *l)
{
    sm_at_stats s0 = l->at.stats;
    CHECK_EQ_INT(run(l, "AT+GARBAGE", NULL, 3000), SM_AT_OK);
    CHECK(l->at.stats.overlong > s0.overlong);
    CHECK(l->at.stats.nul_bytes >= s0.nul_bytes + 5);
    CHECK_EQ_INT(run(l, "AT", NULL, 2000), SM_AT_OK);
}

static void test_timeout_and_recovery(live *l)
{
    sm_at_cmd c;
    uint32_t took = 0;
    memset(&c, 0, sizeof c);
    c.text = "AT+NORESP";
    c.timeout_ms = 300;
    CHECK_EQ_INT(run_cmd(l, &c, &took), SM_AT_TIMEOUT);
    CHECK(took >= 300 && took < 1500);
    c.text = "AT+SLOW=800"; /* answers after its deadline: the late OK must not leak */
    CHECK_EQ_INT(run_cmd(l, &c, &took), SM_AT_TIMEOUT);
    CHECK_EQ_INT(run(l, "AT+GMR", NULL, 3000), SM_AT_OK);
    CHECK_EQ_INT(l->last.nlines, 1);
    CHECK_EQ_STR(line_at(l, 0), "1.0.0");
    CHECK(l->at.stats.stale >= 1);
}

static void test_reboots(live *l)
{
    sm_at_cmd c;
    uint32_t took = 0;
    int starts0 = l->startups;
    CHECK_EQ_INT(run(l, "AT+REBOOT", NULL, 2000), SM_AT_OK);
    pump(l, 500);
    CHECK_EQ_INT(l->startups, starts0 + 1);
    CHECK_EQ_INT(run(l, "AT", NULL, 2000), SM_AT_OK);
    /* a restart in the middle of a command ends it at once */
    memset(&c, 0, sizeof c);
    c.text = "AT+SLOW=3000";
    c.timeout_ms = 10000;
    c.on_done = on_done;
    c.ctx = l;
    l->done = 0;
    CHECK(sm_at_submit(&l->at, &c) > 0);
    pump(l, 200);
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"reboot\"}"), 0);
    {
        uint32_t t0 = sm_posix_now_ms();
        while (!l->done && sm_posix_now_ms() - t0 < 5000) { sm_at_poll(&l->at); sm_posix_wait(&l->port, 5); }
        took = sm_posix_now_ms() - t0;
    }
    CHECK_EQ_INT(l->last.result, SM_AT_REBOOT);
    CHECK(took < 2000);
    pump(l, 300);
    CHECK_EQ_INT(run(l, "AT", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(run(l, "AT+CMEE=1", NULL, 2000), SM_AT_OK); /* the restart reset it */
}

/* Under injected faults every command still ends by its deadline, and the
   engine is usable again once the line is clean. */
static void test_faults(live *l)
{
    int i, ok = 0, ended = 0, slow = 0;
    uint32_t took;
    sm_at_cmd c;
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"fault\",\"name\":\"garbage-rate\",\"value\":0.5}"), 0);
    for (i = 0; i < 20; i++) {
        if (run(l, "AT+LINES=3", "+LINES:", 2000) == SM_AT_OK && l->last.nlines == 3) ok++;
    }
    CHECK_EQ_INT(ok, 20); /* garbage lines between units never break a command */
    CHECK(l->at.stats.unexpected + l->at.stats.overlong > 0);
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"fault\",\"name\":\"corrupt-rate\",\"value\":0.02}"), 0);
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"fault\",\"name\":\"drop-rate\",\"value\":0.02}"), 0);
    for (i = 0; i < 40; i++) {
        sm_at_result r;
        memset(&c, 0, sizeof c);
        c.text = "AT+LINES=4";
        c.prefix = "+LINES:";
        c.timeout_ms = 400;
        r = run_cmd(l, &c, &took);
        if (r != SM_AT_PENDING) ended++;
        if (took > 400 + SM_AT_SETTLE_MS + 1500) slow++;
    }
    CHECK_EQ_INT(ended, 40); /* every call ended */
    CHECK_EQ_INT(slow, 0);   /* each by its deadline */
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"fault\",\"name\":\"corrupt-rate\",\"value\":0}"), 0);
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"fault\",\"name\":\"drop-rate\",\"value\":0}"), 0);
    CHECK_EQ_INT(control_simple(l, "{\"cmd\":\"fault\",\"name\":\"garbage-rate\",\"value\":0}"), 0);
    pump(l, 300);
    CHECK_EQ_INT(run(l, "ATE1", NULL, 2000), SM_AT_OK); /* a corrupted ATE may have changed it */
    CHECK_EQ_INT(run(l, "AT+LINES=2", "+LINES:", 2000), SM_AT_OK);
    CHECK_EQ_INT(l->last.nlines, 2);
}

/* A command line with CR inside is refused before anything is written, and
   the simulator confirms it never saw the injected second command. */
static void test_no_injection(live *l)
{
    static char reply[65536];
    sm_at_cmd c;
    memset(&c, 0, sizeof c);
    c.text = "AT+ECHOLN=x\rAT+INJECTED";
    CHECK_EQ_INT(sm_at_submit(&l->at, &c), SM_ERR_UNSAFE_STRING);
    c.text = "AT+ECHOLN=x\nAT+INJECTED";
    CHECK_EQ_INT(sm_at_submit(&l->at, &c), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(run(l, "AT", NULL, 2000), SM_AT_OK);
    CHECK_EQ_INT(control(l, "{\"cmd\":\"commands\"}", reply, sizeof reply), 0);
    CHECK(strstr(reply, "INJECTED") == NULL);
    CHECK(strstr(reply, "AT+GARBAGE") != NULL); /* the list is real */
}

int main(int argc, char **argv)
{
    static live l;
    sm_platform plat;
    if (argc < 3) {
        fprintf(stderr, "usage: %s <pty> <control socket>\n", argv[0]);
        return 2;
    }
    memset(&l, 0, sizeof l);
    l.control = argv[2];
    if (sm_posix_open(&l.port, argv[1], 115200) != 0) {
        perror(argv[1]);
        return 2;
    }
    l.port.trace = getenv("SM_TRACE") != NULL;
    sm_posix_platform(&l.port, &plat);
    sm_at_init(&l.at, &plat, &k_generic);
    sm_at_add_urcs(&l.at, k_urcs, sizeof k_urcs / sizeof k_urcs[0], &l);
    pump(&l, 300); /* the simulator's start-up URC */
    RUN_ARG(test_basics_and_echo, &l);
    RUN_ARG(test_errors, &l);
    RUN_ARG(test_lines_and_urcs, &l);
    RUN_ARG(test_binary, &l);
    RUN_ARG(test_garbage, &l);
    RUN_ARG(test_timeout_and_recovery, &l);
    RUN_ARG(test_reboots, &l);
    RUN_ARG(test_faults, &l);
    RUN_ARG(test_no_injection, &l);
    sm_posix_close(&l.port);
    return sm_test_finish("test_live");
}
