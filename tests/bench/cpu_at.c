/* cpu_at.c - feeds a realistic recorded-style modem session through the AT
   engine, for instruction counting under callgrind (see bench.py):
   bring-up, certificate provisioning, a TLS security profile, the built-in
   MQTT client (connect, subscribe, publishes, received messages) and a
   secure socket receiving binary data. The modem side follows the Sequans
   wire contract; the bytes are fed in 64-byte chunks as a UART ring buffer
   would deliver them. Prints the number of bytes fed; exits 1 if any
   command did not end as the transcript says.

   Built with avr-gcc for the atmega1284p it runs under simavr (the AVR
   example's host, tests/simavr/sm_simavr_host.c; bench.py does it) and
   counts its own CPU cycles spent in sm_at_feed with Timer1 (prescaler 1,
   overflows counted), which simavr emulates cycle by cycle; it prints on
   the host's console register (GPIOR1) and ends by writing its exit code
   to GPIOR0. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef __AVR__
#include <avr/interrupt.h>
#include <avr/io.h>

static volatile uint16_t g_t1_overflows; /* bench-program state */
ISR(TIMER1_OVF_vect) { g_t1_overflows++; }

static uint32_t cycles_now(void)
{
    uint16_t hi, lo;
    uint8_t sreg = SREG;
    cli();
    lo = TCNT1;
    hi = g_t1_overflows;
    if ((TIFR1 & _BV(TOV1)) && lo < 0x8000u) hi++; /* wrapped, not yet counted */
    SREG = sreg;
    return (uint32_t)hi << 16 | lo;
}

static int console_putc(char c, FILE *f)
{
    (void)f;
    GPIOR1 = (uint8_t)c; /* the simavr host's console */
    return 0;
}
static FILE g_console = FDEV_SETUP_STREAM(console_putc, NULL, _FDEV_SETUP_WRITE);
static uint32_t g_feed_cycles;
#define CPU_AT_FEED(at, d, k) do { uint32_t t0_ = cycles_now(); sm_at_feed(at, d, k); \
    g_feed_cycles += cycles_now() - t0_; } while (0)
#define CPU_AT_STREAM 1600 /* the SRAM is 16 KB */
#else
#define CPU_AT_FEED(at, d, k) sm_at_feed(at, d, k)
#define CPU_AT_STREAM 4096
#endif

typedef struct step {
    const char *cmd;      /* NULL: unsolicited traffic only */
    unsigned flags;
    size_t payload_len;   /* after the prompt */
    const char *prefix;
    size_t raw_lead_len;  /* for RCVMESSAGE: payload after "\r\n" */
    const char *head;     /* modem bytes before any binary block */
    size_t bin_len;       /* binary bytes (pseudo-random, with CR/LF inside) */
    const char *tail;     /* modem bytes after the binary block */
} step;

static const char k_pem_line[] = "MIIBkTCB+wIJAKHHIG9Yq4v7MA0GCSqGSIb3DQEBCwUAMA0xCzAJBgNVBAYTAlVT\n";

static const step k_steps[] = {
    { NULL, 0, 0, NULL, 0, "\r\n+SYSSTART\r\n", 0, "" },
    { "ATE0", 0, 0, NULL, 0, "ATE0\r\r\nOK\r\n", 0, "" },
    { "AT+CMEE=1", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
    { "AT+CEREG=5", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
    { "AT+CFUN=1", 0, 0, NULL, 0, "\r\nOK\r\n\r\n+CEREG: 2\r\n", 0, "" },
    { NULL, 0, 0, NULL, 0, "\r\n+CEREG: 1,\"0001\",\"01A2D001\",7\r\n", 0, "" },
    { "AT+CCLK?", 0, 0, "+CCLK:", 0, "\r\n+CCLK: \"26/11/24,23:00:00+00\"\r\n\r\nOK\r\n", 0, "" },
    { "AT+SQNSNVW=\"certificate\",19,640", SM_AT_F_PROMPT, 640, NULL, 0, "\r\n> ", 0, "\r\nOK\r\n" },
    { "AT+SQNSNVW=\"certificate\",17,640", SM_AT_F_PROMPT, 640, NULL, 0, "\r\n> ", 0, "\r\nOK\r\n" },
    { "AT+SQNSNVW=\"privatekey\",17,256", SM_AT_F_PROMPT, 256, NULL, 0, "\r\n> ", 0, "\r\nOK\r\n" },
    { "AT+SQNSPCFG=1,2,\"\",1,19,17,17,\"\",\"\",0,0,0", 0, 0, "+SQNSPCFG:", 0,
      "\r\n+SQNSPCFG: 1,2,\"\",1,19,17,17,\"\",\"\",0,0,0\r\n\r\nOK\r\n", 0, "" },
    { "AT+SQNSMQTTCFG=0,\"device-0042\",\"\",\"\",1", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
    { "AT+SQNSMQTTCONNECT=0,\"127.0.0.1\",8883,60", 0, 0, NULL, 0,
      "\r\nOK\r\n\r\n+SQNSMQTTONCONNECT:0,0\r\n", 0, "" },
    { "AT+SQNSMQTTSUBSCRIBE=0,\"dev/0042/cmd\",1", 0, 0, NULL, 0,
      "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"dev/0042/cmd\",0\r\n", 0, "" },
    { "AT+SQNSMQTTPUBLISH=0,\"dev/0042/telemetry\",1,120", SM_AT_F_PROMPT, 120, "+SQNSMQTTPUBLISH:", 0,
      "\r\n> ", 0, "\r\n+SQNSMQTTPUBLISH: 0,1\r\n\r\nOK\r\n\r\n+SQNSMQTTONPUBLISH:0,1,0\r\n" },
    { NULL, 0, 0, NULL, 0, "\r\n+SQNSMQTTONMESSAGE:0,\"dev/0042/cmd\",200,1,7\r\n", 0, "" },
    { "AT+SQNSMQTTRCVMESSAGE=0,\"dev/0042/cmd\",7", 0, 0, NULL, 200, "\r\n", 200, "\r\n\r\nOK\r\n" },
    { "AT+SQNSMQTTPUBLISH=0,\"dev/0042/telemetry\",1,120", SM_AT_F_PROMPT, 120, "+SQNSMQTTPUBLISH:", 0,
      "\r\n> ", 0, "\r\n+SQNSMQTTPUBLISH: 0,2\r\n\r\nOK\r\n\r\n+SQNSMQTTONPUBLISH:0,2,0\r\n" },
    { "AT+SQNSCFG=1,1,0,90,600,50", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
    { "AT+SQNSCFGEXT=1,1,0,0", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
    { "AT+SQNSSCFG=1,1,1", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
    { "AT+SQNSD=1,0,4433,\"127.0.0.1\",0,0,1", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
    { "AT+SQNSSENDEXT=1,300", SM_AT_F_PROMPT, 300, NULL, 0, "\r\n> ", 0, "\r\nOK\r\n" },
    { NULL, 0, 0, NULL, 0, "\r\n+SQNSRING: 1,1500\r\n", 0, "" },
    { "AT+SQNSRECV=1,1500", 0, 0, "+SQNSRECV:", 0, "\r\n+SQNSRECV: 1,1500\r\n", 1500, "\r\n\r\nOK\r\n" },
    { "AT+SQNSH=1", 0, 0, NULL, 0, "\r\nOK\r\n", 0, "" },
};
#define NSTEPS (sizeof k_steps / sizeof k_steps[0])

typedef struct bench {
    sm_at at;
    uint8_t payload[1600];
    uint8_t raw[1600];
    uint8_t stream[CPU_AT_STREAM];
    int done;
    sm_at_result result;
    size_t fed;
} bench;

static int tx(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t now(void *u) { (void)u; return 0; }
static void on_done(void *ctx, const sm_at_response *r) { ((bench *)ctx)->done = 1; ((bench *)ctx)->result = r->result; }
static void on_urc(void *ctx, sm_at *at, const char *line, size_t len) { (void)ctx; (void)at; (void)line; (void)len; }
static void on_recv(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    int32_t n;
    (void)ctx;
    if (sm_fields_init(&f, line, len, "+SQNSRECV:") == SM_OK && sm_fields_skip(&f) == SM_OK &&
        sm_fields_int(&f, 0, 1500, &n) == SM_OK)
        sm_at_expect_raw(at, (size_t)n, NULL, NULL);
}
static const sm_urc k_urcs[] = {
    { "+CEREG:", on_urc }, { "+SQNSMQTTON", on_urc }, { "+SQNSRING:", on_urc }, { "+SYSSTART", on_urc },
};

static void feed_chunks(bench *b, const uint8_t *d, size_t n)
{
    while (n) {
        size_t k = n < 64 ? n : 64;
        CPU_AT_FEED(&b->at, d, k);
        sm_at_poll(&b->at);
        b->fed += k;
        d += k;
        n -= k;
    }
}

static int run_step(bench *b, const step *s, uint32_t seed)
{
    size_t n = 0, i;
    sm_at_cmd c;
    memset(&c, 0, sizeof c);
    if (s->cmd) {
        c.text = s->cmd;
        c.flags = s->flags;
        c.payload = b->payload;
        c.payload_len = s->payload_len;
        c.prefix = s->prefix;
        c.raw_buf = b->raw;
        c.raw_cap = sizeof b->raw;
        c.raw_lead = s->raw_lead_len ? "\r\n" : NULL;
        c.raw_len = s->raw_lead_len;
        c.on_line = on_recv;
        c.on_done = on_done;
        c.ctx = b;
        b->done = 0;
        if (sm_at_submit(&b->at, &c) < 0) return 0;
        sm_at_poll(&b->at);
    }
    n = strlen(s->head);
    memcpy(b->stream, s->head, n);
    for (i = 0; i < s->bin_len; i++) {
        seed = seed * 1103515245u + 12345u;
        b->stream[n++] = (uint8_t)(seed >> 16);
    }
    if (n + strlen(s->tail) > sizeof b->stream) return 0;
    memcpy(b->stream + n, s->tail, strlen(s->tail));
    n += strlen(s->tail);
    feed_chunks(b, b->stream, n);
    return !s->cmd || (b->done && b->result == SM_AT_OK);
}

int main(int argc, char **argv)
{
    static bench b;
    sm_platform p;
    static const sm_at_dialect d = { "sequans", "\r", "+SYSSTART", NULL };
#ifdef __AVR__
    int rounds = 5, r; /* no command line: simavr runs it as it is */
    size_t i;
    (void)argc;
    (void)argv;
    stdout = stderr = &g_console;
    TCCR1A = 0;
    TCCR1B = _BV(CS10); /* the CPU clock, undivided */
    TIMSK1 = _BV(TOIE1);
    sei();
#else
    int rounds = argc > 1 ? atoi(argv[1]) : 20, r;
    size_t i;
#endif
    memset(&p, 0, sizeof p);
    p.write = tx;
    p.now_ms = now;
    for (i = 0; i < sizeof b.payload; i++)
        b.payload[i] = (uint8_t)(i % 64 == 63 ? '\n' : k_pem_line[i % 64]);
    sm_at_init(&b.at, &p, &d);
    sm_at_use_headerless(&b.at); /* the transcript's MQTT reads (raw_lead) */
    sm_at_add_urcs(&b.at, k_urcs, sizeof k_urcs / sizeof k_urcs[0], &b);
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < NSTEPS; i++) {
            if (!run_step(&b, &k_steps[i], (uint32_t)(r * 100 + (int)i))) {
                fprintf(stderr, "round %d step %u (%s) failed: %s\n", r, (unsigned)i,
                        k_steps[i].cmd ? k_steps[i].cmd : "urc", sm_at_result_name(b.result));
#ifdef __AVR__
                GPIOR0 = 1; /* the exit code: the simavr host ends the run */
#endif
                return 1;
            }
        }
    }
    printf("bytes %lu lines %lu urcs %lu raw %lu dropped %lu\n", (unsigned long)b.fed,
           (unsigned long)b.at.stats.lines, (unsigned long)b.at.stats.urcs,
           (unsigned long)b.at.stats.raw_bytes,
           (unsigned long)(b.at.stats.unexpected + b.at.stats.overlong + b.at.stats.raw_dropped));
#ifdef __AVR__
    printf("avr cycles in sm_at_feed %lu\n", (unsigned long)g_feed_cycles);
    GPIOR0 = 0;
#endif
    return 0;
}
