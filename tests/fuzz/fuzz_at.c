/* fuzz_at.c - libFuzzer harness for the AT engine: the input is what a
   hostile or broken modem sends, cut into chunks of varying size, with the
   clock advancing between them, while commands of every kind (prefix,
   prompt + payload, announced raw payload, raw after a lead, inline
   payload, an answer that shares a URC prefix) are in flight, the clock
   now and then set back. Built with -fsanitize=fuzzer,address,undefined;
   the engine's invariants are checked after every step. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdlib.h>

typedef struct fz {
    sm_at at;
    uint32_t now;
    uint8_t raw[64];
    unsigned completions;
    uint8_t mode;       /* from the input: write behaviour and callback mischief */
    unsigned writes;
} fz;

static void fz_submit(fz *f, unsigned kind);

/* The UART: takes up to 7 bytes, stalls now and then, fails rarely (mode). */
static int fz_write(void *u, const uint8_t *d, size_t n)
{
    fz *f = (fz *)u;
    (void)d;
    f->writes++;
    if ((f->mode & 0x10) && f->writes % 5 == 0) return 0;
    if ((f->mode & 0x20) && f->writes % 97 == 0) return -1;
    return (int)(n > 7 ? 7 : n);
}
static uint32_t fz_now(void *u) { return ((fz *)u)->now; }
static void fz_done(void *ctx, const sm_at_response *r)
{
    fz *f = (fz *)ctx;
    const char *l = r->lines;
    uint16_t i;
    f->completions++;
    for (i = 0; i < r->nlines; i++) l += strlen(l) + 1; /* lines are well-formed */
    /* callbacks may submit and flush */
    if ((f->mode & 0x40) && f->completions % 3 == 0) sm_at_flush(&f->at, SM_AT_CANCELLED);
    if ((f->mode & 0x80) && f->completions % 2 == 0) fz_submit(f, f->completions);
    if (r->raw_len > sizeof f->raw) abort();
    if (r->err_text) (void)strlen(r->err_text);
}
/* Every line handed on is NUL-terminated at len (sm_at_line_fn). */
static void fz_line_ok(const char *line, size_t len)
{
    if (line[len] != '\0') abort();
}
static void fz_unhandled(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)ctx;
    (void)at;
    fz_line_ok(line, len);
}
static void fz_recv_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    int32_t n;
    char s[8];
    (void)ctx;
    fz_line_ok(line, len);
    if (sm_fields_init(&f, line, len, "+RECV:") != SM_OK) return;
    if (sm_fields_int(&f, 0, 100000, &n) == SM_OK) sm_at_expect_raw(at, (size_t)n, NULL, NULL);
    (void)sm_fields_str(&f, s, sizeof s);
}
static void fz_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    const char *s;
    size_t n;
    int q;
    (void)ctx;
    (void)at;
    fz_line_ok(line, len);
    sm_fields_init(&f, line, len, NULL);
    while (sm_fields_more(&f) && sm_fields_token(&f, &s, &n, &q) == SM_OK) {}
}
static void fz_sink(void *ctx, const uint8_t *d, size_t n) { (void)ctx; (void)d; (void)n; }
static void fz_data_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)ctx;
    fz_line_ok(line, len);
    if (len > 6) sm_at_expect_raw(at, (size_t)(line[len - 1] & 0x1F), fz_sink, NULL);
}
/* "+CEREG:" shares the prefix of AT+CEREG? (answer or URC, section 5) */
static const sm_urc fz_urcs[] = { { "+TICK:", fz_urc }, { "+DATA:", fz_data_urc },
                                  { "+CEREG:", fz_urc }, { "+", fz_urc } };

static int fz_classify(const char *line, size_t len, sm_at_final *out)
{
    if (len < 6 || memcmp(line, "ERROR:", 6) != 0) return 0;
    out->result = SM_AT_DIALECT_ERROR;
    out->code = SM_AT_NO_CODE;
    out->text = line + 6;
    out->text_len = len - 6;
    return 1;
}
static const sm_at_dialect fz_d3gpp = { "fz-3gpp", "\r", "+SYSSTART", NULL };
static const sm_at_dialect fz_dcord = { "fz-cord", "\r\n", "+eventstartup:", fz_classify };

static void fz_submit(fz *f, unsigned kind)
{
    static const uint8_t payload[5] = { 'a', '\r', '\n', '>', 0 };
    sm_at_cmd c;
    memset(&c, 0, sizeof c);
    c.on_done = fz_done;
    c.ctx = f;
    c.raw_buf = f->raw;
    c.raw_cap = sizeof f->raw;
    c.timeout_ms = 200;
    switch (kind % 5) {
    case 0:
        c.text = "AT+CEREG?";
        c.prefix = "+CEREG:";
        if (kind & 8) c.is_answer = sm_at_reg_answer;
        break;
    case 1: c.text = "AT+SEND=5"; c.flags = SM_AT_F_PROMPT; c.payload = payload; c.payload_len = 5; break;
    case 2: c.text = "AT+RECV=9"; c.prefix = "+RECV:"; c.on_line = fz_recv_line; break;
    case 3: c.text = "AT+RD"; c.raw_lead = (kind & 8) ? "<<<" : "\r\n"; c.raw_len = 1 + (kind & 7); break;
    default: c.text = "AT+W=5,"; c.flags = SM_AT_F_INLINE; c.payload = payload; c.payload_len = 5; break;
    }
    (void)sm_at_submit(&f->at, &c);
}

static void fz_check(const fz *f)
{
    const sm_at *a = &f->at;
    if (a->q_count > SM_QUEUE_DEPTH || a->line_len >= SM_LINE_SIZE || a->resp_len >= SM_RESP_SIZE ||
        a->q_text_len > SM_QUEUE_TEXT || a->raw_got > sizeof f->raw || a->in_callback)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz f; /* harness state, reset on every input */
    sm_platform p;
    size_t i = 1;
    unsigned kind = 0;
    if (size < 1) return 0;
    memset(&f, 0, sizeof f);
    f.mode = data[0];
    f.now = (data[0] & 0x08) ? 0xFFFFF000u : 0; /* the clock wraps during the input */
    memset(&p, 0, sizeof p);
    p.user = &f;
    p.write = fz_write;
    p.now_ms = fz_now;
    sm_at_init(&f.at, &p, (data[0] & 1) ? &fz_dcord : &fz_d3gpp);
    sm_at_use_headerless(&f.at); /* kind 3 reads by raw_lead */
    sm_at_add_urcs(&f.at, fz_urcs, sizeof fz_urcs / sizeof fz_urcs[0], &f);
    sm_at_on_unhandled(&f.at, fz_unhandled, &f);
    while (i < size) {
        size_t chunk = (size_t)(data[i - 1] % 23) + 1;
        if (chunk > size - i) chunk = size - i;
        if (sm_at_queue_free(&f.at) > 1) fz_submit(&f, kind++ + data[0]);
        sm_at_poll(&f.at);
        sm_at_feed(&f.at, data + i, chunk);
        f.now += (uint32_t)(data[i] % 64);
        if ((f.mode & 0x04) && data[i] == 0xFF) f.now -= 3600000u; /* a clock set back */
        sm_at_poll(&f.at);
        fz_check(&f);
        i += chunk;
    }
    /* the line goes silent and the UART recovers: everything queued must end
       by its deadlines (drains, owed payloads and settling are all bounded) */
    f.mode &= (uint8_t)~0x30u;
    for (i = 0; i < 400 && f.at.q_count; i++) {
        f.now += 250;
        sm_at_poll(&f.at);
        fz_check(&f);
    }
    if (f.at.q_count) abort();
    sm_at_flush(&f.at, SM_AT_CANCELLED);
    fz_check(&f);
    return 0;
}
