/* test_at.c - unit tests of the AT engine and the utilities, against a
   scripted modem: what the engine writes is captured, what the modem says is
   fed in (split at every byte boundary where it matters), and the clock is
   a variable the test advances.
   make test-unit: runs alone, needs only a C compiler. */
/* the log hook, counted so a test can see it is called */
static int g_log_count[4];
#define SM_LOG(level, msg) ((void)(msg), g_log_count[(level) & 3]++)
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake.h"

#include <stdlib.h>

/* ---- the scripted modem ------------------------------------------------ */
typedef struct mock {
    sm_fake io;          /* the UART (pull mode: io.rx), the clock, the event log */
    uint8_t raw[256];
} mock;

static void logf_(mock *m, const char *s) { sm_fake_log(&m->io, s); }

static void log_escaped(mock *m, const char *s, size_t n) { sm_fake_log_escaped(&m->io, s, n); }

static unsigned long g_next_line_bad, g_next_line_seen; /* see on_done */

static void on_done(void *ctx, const sm_at_response *r)
{
    mock *m = (mock *)ctx;
    char tmp[96];
    const char *l = r->lines;
    uint16_t i;
    snprintf(tmp, sizeof tmp, "[done %s code=%ld", sm_at_result_name(r->result), (long)r->code);
    logf_(m, tmp);
    if (r->err_text) { logf_(m, " text="); logf_(m, r->err_text); }
    for (i = 0; i < r->nlines; i++) { logf_(m, " |"); logf_(m, l); l += strlen(l) + 1; }
    { /* sm_at_next_line walks the same lines, then NULL: tried on every
         completion, counted once at the end (test_next_line_everywhere) */
        const char *it = sm_at_next_line(r, NULL), *want = r->lines;
        for (i = 0; i < r->nlines; i++) {
            if (it != want) g_next_line_bad++;
            want += strlen(want) + 1;
            it = sm_at_next_line(r, it);
        }
        if (it != NULL || sm_at_next_line(r, "elsewhere") != NULL) g_next_line_bad++;
        g_next_line_seen++;
    }
    if (r->lines_truncated) logf_(m, " TRUNC");
    if (r->raw_len) { logf_(m, " raw="); log_escaped(m, (const char *)m->raw, r->raw_len); }
    if (r->raw_truncated) logf_(m, " RAWTRUNC");
    logf_(m, "]");
}

static void on_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    mock *m = (mock *)ctx;
    (void)at;
    if (line[len] != '\0') CHECK(line[len] == '\0'); /* sm_at_line_fn: NUL-terminated at len
                                                        (counted only when it fails) */
    logf_(m, "[urc ");
    log_escaped(m, line, len);
    logf_(m, "]");
}

static void on_unhandled(void *ctx, sm_at *at, const char *line, size_t len)
{
    mock *m = (mock *)ctx;
    (void)at;
    if (line[len] != '\0') CHECK(line[len] == '\0'); /* sm_at_line_fn: NUL-terminated at len
                                                        (counted only when it fails) */
    logf_(m, "[stray ");
    log_escaped(m, line, len);
    logf_(m, "]");
}

/* A response-line handler that announces raw bytes: "+RECV: <n>". */
static void on_recv_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    int32_t n;
    (void)ctx;
    if (sm_fields_init(&f, line, len, "+RECV:") == SM_OK && sm_fields_int(&f, 0, 4096, &n) == SM_OK)
        sm_at_expect_raw(at, (size_t)n, NULL, NULL);
}

static const sm_urc test_urcs[] = {
    { "+TICK:", on_urc },
    { "+CEREG:", on_urc },
    { "+SYSSTART", on_urc },
};

/* A dialect in the Cordelia-I manner: ERROR:<text>,<code> and a start-up
   event, to prove dialect-defined final results. */
static int classify_cordelia_like(const char *line, size_t len, sm_at_final *out)
{
    size_t i;
    if (len < 6 || memcmp(line, "ERROR:", 6) != 0) return 0;
    out->result = SM_AT_DIALECT_ERROR;
    out->text = line + 6;
    out->code = SM_AT_NO_CODE;
    for (i = len; i > 6; i--) {
        if (line[i - 1] != ',') continue;
        sm_parse_i32(line + i, len - i, INT32_MIN, INT32_MAX, &out->code);
        out->text_len = i - 1 - 6;
        return 1;
    }
    out->text_len = len - 6;
    return 1;
}
static const sm_at_dialect cordelia_like = { "cordelia-like", "\r\n", "+eventstartup:",
                                             classify_cordelia_like };
static const sm_at_dialect gen_reboot = { "generic", "\r", "+SYSSTART", NULL };

static void setup(sm_at *at, mock *m, const sm_at_dialect *d, int pull)
{
    sm_platform p;
    memset(at, 0, sizeof *at); /* zeroed or initialised, as the manual asks */
    memset(m, 0, sizeof *m);
    memset(&p, 0, sizeof p);
    m->io.read_max = 7;  /* odd chunks, to cross line boundaries */
    m->io.read_tick = 1; /* time passes while polling */
    p.user = &m->io;
    p.write = sm_fake_write;
    p.read = pull ? sm_fake_read : NULL;
    p.now_ms = sm_fake_now;
    /* counted only when it fails: setup runs thousands of times */
    if (sm_at_init(at, &p, d) != SM_OK) CHECK(0 && "sm_at_init");
    if (sm_at_add_urcs(at, test_urcs, sizeof test_urcs / sizeof test_urcs[0], m) != SM_OK)
        CHECK(0 && "sm_at_add_urcs");
    sm_at_on_unhandled(at, on_unhandled, m);
}

static int submit(sm_at *at, mock *m, const char *text, const char *prefix)
{
    sm_at_cmd c;
    memset(&c, 0, sizeof c);
    c.text = text;
    c.prefix = prefix;
    c.on_done = on_done;
    c.ctx = m;
    return sm_at_submit(at, &c);
}

static void feed_str(sm_at *at, const char *s) { sm_at_feed(at, (const uint8_t *)s, strlen(s)); }

/* ---- basic command flow -------------------------------------------------- */
static void test_simple_ok(void)
{
    sm_at at;
    mock m;
    int id;
    setup(&at, &m, NULL, 0);
    id = submit(&at, &m, "AT+CGMR", NULL);
    CHECK(id > 0);
    CHECK_EQ_INT(m.io.tx_len, 0); /* nothing goes out before poll: submit never blocks or writes */
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+CGMR\r");
    CHECK(sm_at_busy(&at));
    feed_str(&at, "AT+CGMR\r\r\nUE7.0.0.0\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |UE7.0.0.0]");
    CHECK(!sm_at_busy(&at));
    CHECK_EQ_INT(sm_at_result_of(&at, (uint16_t)id), SM_AT_OK);
    CHECK_EQ_INT(at.stats.unexpected, 0);
}

static void test_error_results(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "AT+A", NULL);
    submit(&at, &m, "AT+B", NULL);
    submit(&at, &m, "AT+C", NULL);
    submit(&at, &m, "AT+D", NULL);
    sm_at_poll(&at);
    feed_str(&at, "\r\nERROR\r\n");
    sm_at_poll(&at);
    feed_str(&at, "\r\n+CME ERROR: 10\r\n");
    sm_at_poll(&at);
    feed_str(&at, "\r\n+CME ERROR: SIM not inserted\r\n");
    sm_at_poll(&at);
    feed_str(&at, "\r\n+CMS ERROR: 500\r\n");
    CHECK_EQ_STR(m.io.log, "[done ERROR code=-2147483648][done CME_ERROR code=10]"
                        "[done CME_ERROR code=-2147483648 text=SIM not inserted]"
                        "[done CMS_ERROR code=500]");
    CHECK_EQ_STR(m.io.tx, "AT+A\rAT+B\rAT+C\rAT+D\r");
}

static void test_dialect_final(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, &cordelia_like, 0);
    submit(&at, &m, "AT+fileOpen=a,READ,0", "+fileopen:");
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+fileOpen=a,READ,0\r\n");
    feed_str(&at, "ERROR:file not found,-11\r\n");
    CHECK_EQ_STR(m.io.log, "[done DIALECT_ERROR code=-11 text=file not found]");
    m.io.log[0] = 0; m.io.log_len = 0;
    submit(&at, &m, "AT+test", NULL);
    sm_at_poll(&at);
    feed_str(&at, "OK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648]");
}

/* One command on the wire at a time; queue limits. */
static void test_queue(void)
{
    sm_at at;
    mock m;
    char big[SM_QUEUE_TEXT + 8];
    int i;
    setup(&at, &m, NULL, 0);
    for (i = 0; i < SM_QUEUE_DEPTH; i++) CHECK(submit(&at, &m, "AT", NULL) > 0);
    CHECK_EQ_INT(submit(&at, &m, "AT", NULL), SM_ERR_QUEUE_FULL);
    CHECK_EQ_INT(sm_at_queue_free(&at), 0);
    sm_at_poll(&at);
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT\r"); /* the second waits for the first's result */
    feed_str(&at, "OK\r\n");
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT\rAT\r");
    sm_at_flush(&at, SM_AT_CANCELLED);
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648][done CANCELLED code=-2147483648]"
                        "[done CANCELLED code=-2147483648][done CANCELLED code=-2147483648]");
    CHECK(!sm_at_busy(&at));
    /* text area limit */
    memset(big, 'A', sizeof big);
    big[SM_QUEUE_TEXT - 10] = 0;
    CHECK(submit(&at, &m, big, NULL) > 0);
    CHECK_EQ_INT(submit(&at, &m, "AT+0123456789ABCDEF", NULL), SM_ERR_QUEUE_FULL);
    memset(big, 'A', sizeof big);
    big[sizeof big - 1] = 0;
    sm_at_flush(&at, SM_AT_CANCELLED);
    CHECK_EQ_INT(submit(&at, &m, big, NULL), SM_ERR_PARAM);
}

/* A command's text built in the queue's free space goes out as built; the
   space shrinks by what is queued; a text built there and refused (unsafe)
   leaves the queue as it was. */
static void test_text_space(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    size_t cap, cap2;
    char *p;
    setup(&at, &m, NULL, 0);
    CHECK(sm_at_text_space(NULL, &cap) == NULL);
    CHECK(sm_at_text_space(&at, NULL) == NULL);
    p = sm_at_text_space(&at, &cap);
    CHECK(p != NULL);
    CHECK_EQ_INT(cap, SM_QUEUE_TEXT + 1);
    CHECK(submit(&at, &m, "AT+ONE", NULL) > 0);
    p = sm_at_text_space(&at, &cap2);
    CHECK_EQ_INT(cap2, cap - 6u);
    memcpy(p, "AT+TWO", 7);
    memset(&c, 0, sizeof c);
    c.text = p;
    CHECK(sm_at_submit(&at, &c) > 0);
    p = sm_at_text_space(&at, &cap2);
    CHECK_EQ_INT(cap2, cap - 12u);
    memcpy(p, "AT\r+CFUN=0", 11);
    c.text = p;
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_at_queue_free(&at), SM_QUEUE_DEPTH - 2);
    sm_at_poll(&at);
    feed_str(&at, "OK\r\n");
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+ONE\rAT+TWO\r");
    /* the longest text fills the whole space, its NUL included */
    sm_at_flush(&at, SM_AT_CANCELLED);
    p = sm_at_text_space(&at, &cap);
    CHECK_EQ_INT(cap, SM_QUEUE_TEXT + 1);
    memset(p, 'A', SM_QUEUE_TEXT);
    p[SM_QUEUE_TEXT] = '\0';
    c.text = p;
    CHECK(sm_at_submit(&at, &c) > 0);
    sm_at_text_space(&at, &cap);
    CHECK_EQ_INT(cap, 1);
}

/* Several commands all or none (sm_at_submit_all, how a dialect queues an
   operation of several commands): each is checked before any is queued. */
static void test_submit_all(void)
{
    sm_at at, zeroed;
    mock m;
    sm_at_cmd c[SM_QUEUE_DEPTH + 1];
    char big[SM_QUEUE_TEXT];
    int i, id;
    setup(&at, &m, NULL, 0);
    memset(c, 0, sizeof c);
    for (i = 0; i <= SM_QUEUE_DEPTH; i++) {
        c[i].text = i == 0 ? "AT+ONE" : i == 1 ? "AT+TWO" : "AT";
        c[i].on_done = on_done;
        c[i].ctx = &m;
    }
    memset(&zeroed, 0, sizeof zeroed);
    CHECK_EQ_INT(sm_at_submit_all(NULL, c, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_submit_all(&zeroed, c, 1), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_submit_all(&at, NULL, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_submit_all(&at, c, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_submit_all(&at, c, SM_QUEUE_DEPTH + 1), SM_ERR_PARAM);
    /* the second is refused: the first is not queued either */
    c[1].text = "AT\r+CFUN=0";
    CHECK_EQ_INT(sm_at_submit_all(&at, c, 2), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_at_queue_free(&at), SM_QUEUE_DEPTH);
    c[1].text = "";
    CHECK_EQ_INT(sm_at_submit_all(&at, c, 2), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_queue_free(&at), SM_QUEUE_DEPTH);
    /* texts that never fit together, though each alone would */
    memset(big, 'A', sizeof big);
    big[SM_QUEUE_TEXT - 2] = '\0';
    c[0].text = big;
    c[1].text = "AT+TWO";
    CHECK_EQ_INT(sm_at_submit_all(&at, c, 2), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_queue_free(&at), SM_QUEUE_DEPTH);
    /* room for one, not two: none, and the queue says QUEUE_FULL */
    c[0].text = "AT+ONE";
    for (i = 0; i < SM_QUEUE_DEPTH - 1; i++) CHECK(submit(&at, &m, "AT", NULL) > 0);
    CHECK_EQ_INT(sm_at_submit_all(&at, c, 2), SM_ERR_QUEUE_FULL);
    CHECK_EQ_INT(sm_at_queue_free(&at), 1);
    sm_at_flush(&at, SM_AT_CANCELLED);
    m.io.log[0] = 0;
    m.io.log_len = 0;
    /* both fit: queued back to back, the id of the last returned, each
       completing alone */
    id = sm_at_submit_all(&at, c, 2);
    CHECK(id > 0);
    CHECK_EQ_INT(sm_at_queue_free(&at), SM_QUEUE_DEPTH - 2);
    sm_at_poll(&at);
    feed_str(&at, "OK\r\n");
    CHECK_EQ_INT(sm_at_result_of(&at, (uint16_t)id), SM_AT_PENDING);
    sm_at_poll(&at);
    feed_str(&at, "ERROR\r\n");
    CHECK_EQ_STR(m.io.tx, "AT+ONE\rAT+TWO\r");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648][done ERROR code=-2147483648]");
    CHECK_EQ_INT(sm_at_result_of(&at, (uint16_t)id), SM_AT_ERROR);
}

static void test_bad_commands(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    uint8_t data[4] = { 1, 2, 3, 4 };
    setup(&at, &m, NULL, 0);
    CHECK_EQ_INT(submit(&at, &m, "AT\r+CFUN=0", NULL), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(submit(&at, &m, "AT\n", NULL), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(submit(&at, &m, "AT\x1a", NULL), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(submit(&at, &m, "", NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_submit(&at, NULL), SM_ERR_PARAM);
    memset(&c, 0, sizeof c);
    c.text = "AT+X";
    c.payload = data;
    c.payload_len = 4;
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM); /* payload without a way to send it */
    c.flags = SM_AT_F_PROMPT | SM_AT_F_INLINE;
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);
    c.flags = SM_AT_F_PROMPT;
    c.payload_len = SM_PAYLOAD_MAX + 1;
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);
    c.payload = NULL;
    c.payload_len = 3;
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);
    CHECK(!sm_at_busy(&at));
}

/* ---- the transcript, fed at every split point ---------------------------- */
/* A realistic stream with echo on: URCs before, inside and after responses,
   a prompt with a URC before it, a binary payload full of CR/LF/OK/'>'. */
typedef struct script_run {
    char log[SM_FAKE_LOG_CAP];
    char tx[SM_FAKE_TX_CAP + 1];
} script_run;

static const char k_payload[] = "\r\nOK\r\n> \0\xff+RECV: 9\r\nERROR\r\n";
#define K_PAYLOAD_LEN (sizeof k_payload - 1)

/* The stream in three segments, one per command: a real modem cannot answer
   a command before it was sent, so a segment is fed only after the poll that
   sent its command; the cuts apply inside and across the segments. */
static size_t build_stream(uint8_t *out, size_t *seg_end)
{
    static const char seg1[] =
        "\r\n+TICK: 0\r\n"                         /* URC before the command's answer */
        "AT+CEREG?\r\r\n+CEREG: 5,1\r\n"          /* echo and response */
        "\r\n+TICK: 1\r\n"                         /* URC between response and OK */
        "\r\nOK\r\n";
    static const char seg2[] =
        "AT+SEND=4\r"                             /* echo of the prompt command */
        "\r\n+TICK: 2\r\n"                         /* URC while waiting for the prompt */
        "\r\n> "                                  /* prompt */
        "\r\n+SEND: 4\r\n\r\nOK\r\n";
    static const char seg3a[] = "AT+RECV=27\r\r\n+RECV: 27\r\n";
    static const char seg3b[] = "\r\n+TICK: 3\r\n\r\nOK\r\n\r\n+TICK: 4\r\n";
    size_t n = 0;
    memcpy(out + n, seg1, sizeof seg1 - 1); n += sizeof seg1 - 1;
    seg_end[0] = n;
    memcpy(out + n, seg2, sizeof seg2 - 1); n += sizeof seg2 - 1;
    seg_end[1] = n;
    memcpy(out + n, seg3a, sizeof seg3a - 1); n += sizeof seg3a - 1;
    memcpy(out + n, k_payload, K_PAYLOAD_LEN); n += K_PAYLOAD_LEN;
    memcpy(out + n, seg3b, sizeof seg3b - 1); n += sizeof seg3b - 1;
    return n;
}

static void run_script(script_run *res, const uint8_t *stream, size_t len, const size_t *segs,
                       const size_t *cuts, size_t ncuts)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    size_t prev = 0, ci = 0, si = 0;
    static const uint8_t sendbuf[4] = { 'a', '\r', 'b', '\n' };
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "AT+CEREG?", "+CEREG:");
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=4";
    c.flags = SM_AT_F_PROMPT;
    c.payload = sendbuf;
    c.payload_len = 4;
    c.prefix = "+SEND:";
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    memset(&c, 0, sizeof c);
    c.text = "AT+RECV=27";
    c.prefix = "+RECV:";
    c.raw_buf = m.raw;
    c.raw_cap = sizeof m.raw;
    c.on_line = on_recv_line;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    while (prev < len) {
        size_t end = len;
        while (ci < ncuts && cuts[ci] <= prev) ci++;
        while (si < 2 && segs[si] <= prev) si++;
        if (ci < ncuts && cuts[ci] < end) end = cuts[ci];
        if (si < 2 && segs[si] < end) end = segs[si];
        sm_at_feed(&at, stream + prev, end - prev);
        sm_at_poll(&at);
        prev = end;
    }
    memcpy(res->log, m.io.log, sizeof res->log);
    memcpy(res->tx, m.io.tx, m.io.tx_len);
    res->tx[m.io.tx_len] = 0;
}

static void test_transcript_every_split(void)
{
    static uint8_t stream[1024];
    static script_run ref, got;
    size_t segs[2];
    size_t len = build_stream(stream, segs), i, j, bad = 0;
    size_t cuts[2];
    run_script(&ref, stream, len, segs, NULL, 0);
    CHECK_EQ_STR(ref.log,
                 "[urc +TICK: 0][urc +TICK: 1][done OK code=-2147483648 |+CEREG: 5,1]"
                 "[urc +TICK: 2][done OK code=-2147483648 |+SEND: 4]"
                 "[urc +TICK: 3][done OK code=-2147483648 |+RECV: 27 raw=\\x0d\\x0aOK\\x0d\\x0a> "
                 "\\x00\\xff+RECV: 9\\x0d\\x0aERROR\\x0d\\x0a][urc +TICK: 4]");
    CHECK_EQ_STR(ref.tx, "AT+CEREG?\rAT+SEND=4\ra\rb\nAT+RECV=27\r");
    /* every single split point, then every pair of split points */
    for (i = 1; i < len; i++) {
        cuts[0] = i;
        run_script(&got, stream, len, segs, cuts, 1);
        if (strcmp(got.log, ref.log) || strcmp(got.tx, ref.tx)) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    for (i = 1; i < len; i++) {
        for (j = i + 1; j < len; j++) {
            cuts[0] = i;
            cuts[1] = j;
            run_script(&got, stream, len, segs, cuts, 2);
            if (strcmp(got.log, ref.log) || strcmp(got.tx, ref.tx)) bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* one byte at a time */
    {
        static size_t all[1024];
        for (i = 0; i + 1 < len; i++) all[i] = i + 1;
        run_script(&got, stream, len, segs, all, len - 1);
        CHECK_EQ_STR(got.log, ref.log);
        CHECK_EQ_STR(got.tx, ref.tx);
    }
}

/* ---- echo, prefixes, URCs ------------------------------------------------ */
static void test_echo_off_and_on(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "ATI", NULL);
    sm_at_poll(&at);
    feed_str(&at, "\r\nsecmodem-sim\r\ngeneric\r\n\r\nOK\r\n");    /* echo off */
    submit(&at, &m, "ATI", NULL);
    sm_at_poll(&at);
    feed_str(&at, "ATI\r\r\nsecmodem-sim\r\ngeneric\r\n\r\nOK\r\n"); /* echo on */
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |secmodem-sim |generic]"
                        "[done OK code=-2147483648 |secmodem-sim |generic]");
}

/* A line the command did not ask for, and no URC table claims. */
static void test_prefix_mismatch_is_stray(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "AT+COPS?", "+COPS:");
    sm_at_poll(&at);
    feed_str(&at, "\r\n+WEIRD: 1\r\n+COPS: 0,0,\"op\",7\r\n+CEREG: 1\r\nOK\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[stray +WEIRD: 1][urc +CEREG: 1][done OK code=-2147483648 |+COPS: 0,0,\"op\",7]"
                        "[stray OK]");
    CHECK_EQ_INT(at.stats.unexpected, 2);
    CHECK_EQ_INT(at.stats.urcs, 1);
}

/* The same prefix as a URC and as the command's response: the command wins
   while it is in flight. */
static void test_prefix_shared_with_urc(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, NULL, 0);
    feed_str(&at, "\r\n+CEREG: 1\r\n");
    submit(&at, &m, "AT+CEREG?", "+CEREG:");
    sm_at_poll(&at);
    feed_str(&at, "\r\n+CEREG: 5,1\r\n\r\nOK\r\n\r\n+CEREG: 2\r\n");
    CHECK_EQ_STR(m.io.log, "[urc +CEREG: 1][done OK code=-2147483648 |+CEREG: 5,1][urc +CEREG: 2]");
}

/* ---- answer or URC of the same prefix (issue 18 item 2) --------------------- */
static const sm_urc catchall_urcs[] = { { "+X", on_urc } }; /* shorter than "+XVER:" */

typedef struct route_case {
    const char *text, *prefix;
    sm_at_match_fn is_answer;
    int echo;      /* the modem echoes (ATE1 first) */
    int queued;    /* `before` comes while the command is only queued */
    int stall;     /* the UART takes 3 bytes of the command until `before` is in */
    int catchall;  /* a second URC table with the catch-all row "+X" */
    const char *before, *after, *want;
} route_case;

/* Runs a case; `split` 0: `before` cut at byte `cut`, 1: `after` cut there
   (cut past the end: whole). The log goes to out. */
static void run_route(const route_case *rc, int split, size_t cut, char *out, size_t cap)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    const char *part[2];
    int i;
    setup(&at, &m, NULL, 0);
    if (rc->catchall) sm_at_add_urcs(&at, catchall_urcs, 1, &m);
    if (rc->echo) {
        submit(&at, &m, "ATE1", NULL);
        sm_at_poll(&at);
        feed_str(&at, "ATE1\r\r\nOK\r\n");
        m.io.log_len = 0;
        m.io.log[0] = '\0';
    }
    memset(&c, 0, sizeof c);
    c.text = rc->text;
    c.prefix = rc->prefix;
    c.is_answer = rc->is_answer;
    c.on_done = on_done;
    c.ctx = &m;
    if (rc->stall) m.io.write_stall_at = m.io.tx_len + 3;
    sm_at_submit(&at, &c);
    if (!rc->queued) sm_at_poll(&at);
    part[0] = rc->before;
    part[1] = rc->after;
    for (i = 0; i < 2; i++) {
        size_t n = strlen(part[i]), k = i == split && cut < n ? cut : n;
        sm_at_feed(&at, (const uint8_t *)part[i], k);
        if (!rc->queued || i == 1) sm_at_poll(&at);
        sm_at_feed(&at, (const uint8_t *)part[i] + k, n - k);
        if (i == 0) { /* the command goes out (all of it) */
            m.io.write_stall_at = 0;
            sm_at_poll(&at);
        }
    }
    snprintf(out, cap, "%s", m.io.log);
}

static void test_answer_or_urc_same_prefix(void)
{
    static const route_case cases[] = {
        /* before the command is written: queued, or its text stuck in the UART */
        { "AT+CEREG?", "+CEREG:", NULL, 0, 1, 0, 0, "\r\n+CEREG: 1\r\n", "\r\n+CEREG: 5,1\r\n\r\nOK\r\n",
          "[urc +CEREG: 1][done OK code=-2147483648 |+CEREG: 5,1]" },
        { "AT+CEREG?", "+CEREG:", NULL, 0, 0, 1, 0, "\r\n+CEREG: 1\r\n", "\r\n+CEREG: 5,1\r\n\r\nOK\r\n",
          "[urc +CEREG: 1][done OK code=-2147483648 |+CEREG: 5,1]" },
        /* echo on: written, before its echo; and stuck in the UART */
        { "AT+CEREG?", "+CEREG:", NULL, 1, 0, 0, 0, "\r\n+CEREG: 1\r\n",
          "AT+CEREG?\r\r\n+CEREG: 5,1\r\n\r\nOK\r\n",
          "[urc +CEREG: 1][done OK code=-2147483648 |+CEREG: 5,1]" },
        { "AT+CEREG?", "+CEREG:", NULL, 1, 0, 1, 0, "\r\n+CEREG: 1\r\n",
          "AT+CEREG?\r\r\n+CEREG: 5,1\r\n\r\nOK\r\n",
          "[urc +CEREG: 1][done OK code=-2147483648 |+CEREG: 5,1]" },
        /* after the echo: the declared form decides */
        { "AT+CEREG?", "+CEREG:", sm_at_reg_answer, 1, 0, 0, 0, "\r\n+CEREG: 2\r\n",
          "AT+CEREG?\r\r\n+CEREG: 1\r\n+CEREG: 5,1,\"2B67\",\"01A2B3C4\",7\r\n"
          "+CEREG: 1,\"2B67\",\"01A2B3C4\",7\r\n\r\nOK\r\n",
          "[urc +CEREG: 2][urc +CEREG: 1][urc +CEREG: 1,\"2B67\",\"01A2B3C4\",7]"
          "[done OK code=-2147483648 |+CEREG: 5,1,\"2B67\",\"01A2B3C4\",7]" },
        /* echo off, written: the declared form decides */
        { "AT+CEREG?", "+CEREG:", sm_at_reg_answer, 0, 0, 0, 0, "",
          "\r\n+CEREG: 5\r\n\r\n+CEREG: 2,5\r\n\r\n+CEREG: 0,,,\r\n\r\nOK\r\n",
          "[urc +CEREG: 5][urc +CEREG: 0,,,][done OK code=-2147483648 |+CEREG: 2,5]" },
        /* not the answer's form and no URC row: a stray line, counted */
        { "AT+CREG?", "+CREG:", sm_at_reg_answer, 0, 0, 0, 0, "",
          "\r\n+CREG: 1\r\n+CREG: 2,1,\"00C3\",\"0000A1B2\",7\r\n\r\nOK\r\n",
          "[stray +CREG: 1][done OK code=-2147483648 |+CREG: 2,1,\"00C3\",\"0000A1B2\",7]" },
        /* no form declared: after the echo the command wins, as it always did */
        { "AT+CEREG?", "+CEREG:", NULL, 1, 0, 0, 0, "", "AT+CEREG?\r\r\n+CEREG: 1\r\n\r\nOK\r\n",
          "[done OK code=-2147483648 |+CEREG: 1]" },
        /* a catch-all row shorter than the prefix takes other lines before the
           echo, but a line of the prefix still says the echo was lost */
        { "AT+XVER?", "+XVER:", NULL, 1, 0, 0, 1, "\r\n+XEV: 1\r\n+XVER: 2\r\n", "\r\nOK\r\n",
          "[urc +XEV: 1][done OK code=-2147483648 |+XVER: 2]" },
    };
    static char got[8192];
    size_t i, cut, bad;
    int split;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const route_case *rc = &cases[i];
        run_route(rc, 0, (size_t)-1, got, sizeof got);
        CHECK_EQ_STR(got, rc->want);
        if (strcmp(got, rc->want)) fprintf(stderr, "  case %lu\n", (unsigned long)i);
        for (split = 0, bad = 0; split < 2; split++) {
            size_t n = strlen(split ? rc->after : rc->before);
            for (cut = 0; cut <= n; cut++) {
                run_route(rc, split, cut, got, sizeof got);
                if (strcmp(got, rc->want)) bad++;
            }
        }
        CHECK_EQ_INT(bad, 0);
    }
    /* the form itself */
    CHECK(sm_at_reg_answer(NULL, "+CEREG: 5,1", 11));
    CHECK(sm_at_reg_answer(NULL, "+CGREG: 0,11", 12));
    CHECK(!sm_at_reg_answer(NULL, "+CEREG: 1", 9));
    CHECK(!sm_at_reg_answer(NULL, "+CEREG: 1,\"2B67\"", 16));
    CHECK(!sm_at_reg_answer(NULL, "+CEREG: 1,2B67,\"1\",7", 20)); /* a bare hex TAC */
    CHECK(!sm_at_reg_answer(NULL, "+CEREG: 1,0101", 14));         /* four digits: a TAC */
    CHECK(!sm_at_reg_answer(NULL, "+CEREG: 12,1", 12));
    CHECK(!sm_at_reg_answer(NULL, "CEREG 5,1", 9));
    CHECK(!sm_at_reg_answer(NULL, NULL, 0));
}

/* With SM_AT_F_RAW_AFTER the form decides before the count: a +recv: line
   for another socket is not the answer (is_answer sees the line up to the
   count) and goes the unsolicited way (sm_at_cut_urc), its bytes to the
   URC handler's sink; the one for socket 1 is the answer, its bytes into
   raw_buf. Fed whole and cut at every byte. */
static void on_sink(void *ctx, const uint8_t *d, size_t n)
{
    log_escaped((mock *)ctx, (const char *)d, n); /* pieces join up */
}
static void on_cut_recv(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    int32_t id, fmt, n;
    on_urc(ctx, at, line, len);
    if (sm_fields_init(&f, line, len, "+recv:") == SM_OK && sm_fields_int(&f, 0, 15, &id) == SM_OK &&
        sm_fields_int(&f, 0, 1, &fmt) == SM_OK && sm_fields_int(&f, 0, 4096, &n) == SM_OK)
        sm_at_expect_raw(at, (size_t)n, on_sink, ctx);
}
static int recv_socket_1(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    return len > 8 && memcmp(line, "+recv:1,", 8) == 0;
}
static const sm_urc recv_urcs[] = { { "+recv:", on_cut_recv } };

static void run_recv_form(size_t cut, char *out, size_t cap)
{
    static const char stream[] = "+recv:2,0,3,a\r\n\r\n+recv:1,0,4,w\r\nz\r\nOK\r\n";
    sm_at at;
    mock m;
    sm_at_cmd c;
    size_t n = sizeof stream - 1, k = cut < n ? cut : n;
    setup(&at, &m, &cordelia_like, 0);
    sm_at_add_urcs(&at, recv_urcs, 1, &m);
    sm_at_cut_urc(&at, "+recv:", 3);
    memset(&c, 0, sizeof c);
    c.text = "AT+recv=1,0,4";
    c.prefix = "+recv:";
    CHECK_EQ_INT(sm_at_use_inline_raw(&at), SM_OK); /* before a RAW_AFTER command */
    c.flags = SM_AT_F_RAW_AFTER(3);
    c.raw_buf = m.raw;
    c.raw_cap = sizeof m.raw;
    c.is_answer = recv_socket_1;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    sm_at_feed(&at, (const uint8_t *)stream, k);
    sm_at_poll(&at);
    sm_at_feed(&at, (const uint8_t *)stream + k, n - k);
    sm_at_poll(&at);
    snprintf(out, cap, "%s", m.io.log);
}

static void test_answer_form_before_inline_raw(void)
{
    static const char want[] = "[urc +recv:2,0,3]a\\x0d\\x0a"
                               "[done OK code=-2147483648 |+recv:1,0,4 raw=w\\x0d\\x0az]";
    char got[512];
    size_t cut, bad = 0;
    run_recv_form((size_t)-1, got, sizeof got);
    CHECK_EQ_STR(got, want);
    for (cut = 0; cut < 48; cut++) {
        run_recv_form(cut, got, sizeof got);
        if (strcmp(got, want)) { bad++; fprintf(stderr, "cut %zu: %s\n", cut, got); }
    }
    CHECK_EQ_INT(bad, 0);
}

/* ---- robustness ------------------------------------------------------------ */
static void test_garbage_resync(void)
{
    sm_at at;
    mock m;
    char longline[600];
    setup(&at, &m, NULL, 0);
    memset(longline, 'x', sizeof longline);
    longline[sizeof longline - 1] = 0;
    submit(&at, &m, "AT+GARBAGE", "+G:");
    sm_at_poll(&at);
    feed_str(&at, "\r");
    feed_str(&at, "\n");
    sm_at_feed(&at, (const uint8_t *)"\0\0\0\0\0", 5);
    feed_str(&at, "\xff\xfe");
    feed_str(&at, "\r\n");
    feed_str(&at, longline);
    feed_str(&at, "\r\n+G: 1\r\n+PART");
    feed_str(&at, "\r\nOK\r\n");
    /* 0xFF and 0xFE are never text (a GM02SP sends 0xFF after light sleep):
       dropped and counted, so the line they formed is empty and not a stray */
    CHECK_EQ_STR(m.io.log, "[stray +PART][done OK code=-2147483648 |+G: 1]");
    CHECK_EQ_INT(at.stats.overlong, 1);
    CHECK_EQ_INT(at.stats.nul_bytes, 5);
    CHECK_EQ_INT(at.stats.noise, 2);
    CHECK_EQ_INT(at.stats.unexpected, 1);
    /* an over-long line that ends exactly at the buffer size */
    memset(longline, 'y', sizeof longline);
    longline[SM_LINE_SIZE - 1] = 0; /* fits exactly: SM_LINE_SIZE-1 bytes */
    feed_str(&at, longline);
    feed_str(&at, "\r\n");
    longline[SM_LINE_SIZE - 1] = 'y';
    longline[SM_LINE_SIZE] = 0; /* one byte too many */
    feed_str(&at, longline);
    feed_str(&at, "\n");
    CHECK_EQ_INT(at.stats.overlong, 2);
    CHECK_EQ_INT(at.stats.unexpected, 2);
    CHECK(g_log_count[1] >= 2); /* the log hook saw the dropped lines */
    CHECK(g_log_count[2] >= 3);
}

/* A restart in the middle of a response: the command ends with REBOOT, the
   start-up URC still reaches its handler, the partial line is dropped. */
static void test_reboot_mid_response(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, &gen_reboot, 0);
    submit(&at, &m, "AT+LINES=3", "+LINES:");
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    sm_at_feed(&at, (const uint8_t *)"\r\n+LINES: 0\r\n+LIN\x00\xff\r\n+SYSSTART\r\n", 32);
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+LINES=3\r"); /* the line settles before the next command */
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+LINES=3\rAT\r");
    feed_str(&at, "\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[stray +LIN][done REBOOT code=-2147483648 |+LINES: 0][urc +SYSSTART]"
                        "[done OK code=-2147483648]");
    CHECK_EQ_INT(at.stats.reboots, 1);
}

/* A command that crossed the restart marker on the wire reached a modem
   that was up already (a bring-up probe sent while it booted): its answer
   comes after the marker. It must not complete the next command, which
   goes out once the line is quiet (found end to end against the Sequans
   simulator: ATE0 took the probe's OK, and each answer of the bring-up was
   then one command late). */
static void test_reboot_late_answer(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, &gen_reboot, 0);
    submit(&at, &m, "AT", NULL);
    submit(&at, &m, "ATE0", NULL);
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT\r");
    feed_str(&at, "\r\n+SYSSTART\r\nAT\r\r\nOK\r\n"); /* marker, then the probe's echo + OK */
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "[done REBOOT code=-2147483648][urc +SYSSTART]");
    CHECK_EQ_STR(m.io.tx, "AT\r"); /* still settling: nothing new on the wire */
    CHECK(at.stats.stale >= 1);
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT\rATE0\r");
    feed_str(&at, "ATE0\r\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done REBOOT code=-2147483648][urc +SYSSTART][done OK code=-2147483648]");
    CHECK_EQ_INT(at.stats.unexpected, 0);
    /* a modem that keeps talking (URCs after the boot) is waited for at most
       SM_AT_SETTLE_MAX_MS, and its URCs are still delivered meanwhile */
    submit(&at, &m, "AT+X", NULL);
    sm_at_poll(&at);
    feed_str(&at, "\r\n+SYSSTART\r\n");
    submit(&at, &m, "AT+Y", NULL);
    {
        uint32_t t0 = m.io.now;
        while (m.io.now - t0 < SM_AT_SETTLE_MAX_MS + 200 && !strstr(m.io.tx, "AT+Y")) {
            feed_str(&at, "\r\n+TICK: 1\r\n");
            m.io.now += 20;
            sm_at_poll(&at);
        }
        CHECK(strstr(m.io.tx, "AT+X\rAT+Y\r") != NULL);
        CHECK(m.io.now - t0 >= SM_AT_SETTLE_MAX_MS && m.io.now - t0 <= SM_AT_SETTLE_MAX_MS + 20);
    }
    CHECK(strstr(m.io.log, "[urc +TICK: 1]") != NULL);
}

/* A restart that cuts a line: the marker comes after the cut bytes, on the
   same line (a module that sends no CR LF before its start-up line). */
static void test_reboot_marker_mid_line(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, &gen_reboot, 0);
    submit(&at, &m, "AT+LINES=3", "+LINES:");
    sm_at_poll(&at);
    feed_str(&at, "\r\n+LINES: 0\r\n+LIN+SYSSTART\r\n");
    CHECK_EQ_STR(m.io.log, "[stray +LIN][done REBOOT code=-2147483648 |+LINES: 0][urc +SYSSTART]");
    CHECK_EQ_INT(at.stats.reboots, 1);
}

static void test_reboot_while_waiting_prompt(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[3] = { 'x', 'y', 'z' };
    setup(&at, &m, &gen_reboot, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=3";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = 3;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    feed_str(&at, "\r\n+SYSSTART\r\n\r\n> ");
    CHECK_EQ_STR(m.io.tx, "AT+SEND=3\r"); /* the payload never went out */
    CHECK_EQ_STR(m.io.log, "[done REBOOT code=-2147483648][urc +SYSSTART]");
}

/* ---- prompts and payloads --------------------------------------------- */
static void test_prompt_payload_binary(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[8] = { 'O', 'K', '\r', '\n', 0, '>', ' ', 0xff };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=8";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = sizeof data;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 10);
    feed_str(&at, "\r\n>");     /* prompt without its space yet */
    CHECK_EQ_INT(m.io.tx_len, 18);
    CHECK(memcmp(m.io.tx + 10, data, 8) == 0);
    feed_str(&at, " \r\n+SEND: 8,abc\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+SEND: 8,abc]");
}

/* Cordelia-style: the payload goes inline, between the text and the CR LF. */
static void test_inline_payload(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[5] = { 'a', '\r', '\n', 'b', 0 };
    setup(&at, &m, &cordelia_like, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+FileWrite=1,0,0,5,";
    c.flags = SM_AT_F_INLINE;
    c.payload = data;
    c.payload_len = sizeof data;
    c.prefix = "+filewrite:";
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    m.io.write_max = 3; /* a slow UART: the command goes out over several polls */
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 21 + 5 + 2);
    CHECK(memcmp(m.io.tx, "AT+FileWrite=1,0,0,5,a\r\nb\0\r\n", 28) == 0);
    feed_str(&at, "+filewrite:5\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+filewrite:5]");
}

static void test_slow_uart(void)
{
    sm_at at;
    mock m;
    int i;
    setup(&at, &m, NULL, 0);
    m.io.write_max = 1;
    m.io.write_zero_every = 2; /* every other write call accepts nothing */
    submit(&at, &m, "AT+CGMR", NULL);
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 2); /* never more than the port accepts */
    for (i = 0; i < 40; i++) sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+CGMR\r");
    feed_str(&at, "OK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648]");
}

static void test_write_failure(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, NULL, 0);
    m.io.write_ret = -1;
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "[done IO_ERROR code=-2147483648]");
    CHECK(!sm_at_busy(&at));
}

static void test_raw_truncated_and_via_sink(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+RECV=10";
    c.prefix = "+RECV:";
    c.raw_buf = m.raw;
    c.raw_cap = 4; /* too small: the rest is counted, not overflowed */
    c.on_line = on_recv_line;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    feed_str(&at, "\r\n+RECV: 10\r\n0123\r\nOK\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+RECV: 10 raw=0123 RAWTRUNC]");
    CHECK_EQ_INT(at.stats.raw_bytes, 10);
    CHECK_EQ_INT(at.stats.raw_dropped, 6);
    CHECK(m.raw[4] == 0); /* nothing written past raw_cap */
}

/* An announced payload that never fully arrives does not swallow the line
   traffic forever: the raw deadline ends it. */
static void test_raw_deadline(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+RECV=100";
    c.prefix = "+RECV:";
    c.raw_buf = m.raw;
    c.raw_cap = sizeof m.raw;
    c.on_line = on_recv_line;
    c.on_done = on_done;
    c.ctx = &m;
    c.timeout_ms = 60000;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    feed_str(&at, "\r\n+RECV: 100\r\nabc");
    m.io.now += SM_RAW_TIMEOUT_MS;
    sm_at_poll(&at);
    feed_str(&at, "\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+RECV: 100 raw=abc RAWTRUNC]");
    CHECK_EQ_INT(at.stats.raw_dropped, 97);
}

/* A payload announced by nothing but a lead, as AT+SQNSMQTTRCVMESSAGE
   ("\r\n") and AT+SQNHTTPRCV ("<<<") answer, with echo on and off. */
/* A fresh engine with AT+RD queued and sent: raw_len bytes after `lead`
   into m->raw[cap]; timeout_ms 0 is the default. */
static void start_lead_read(sm_at *at, mock *m, const char *lead, size_t raw_len, size_t cap,
                            uint32_t timeout_ms)
{
    sm_at_cmd c;
    setup(at, m, NULL, 0);
    CHECK_EQ_INT(sm_at_use_headerless(at), SM_OK);
    memset(&c, 0, sizeof c);
    c.text = "AT+RD";
    c.raw_lead = lead;
    c.raw_len = raw_len;
    c.raw_buf = m->raw;
    c.raw_cap = cap;
    c.timeout_ms = timeout_ms;
    c.on_done = on_done;
    c.ctx = m;
    CHECK(sm_at_submit(at, &c) > 0);
    sm_at_poll(at);
}

static void run_lead(const char *lead, const char *stream, size_t stream_len, const char *want)
{
    sm_at at;
    mock m;
    size_t i;
    static char ref[1024];
    ref[0] = 0;
    for (i = 0; i <= stream_len; i++) { /* whole, then split at every point */
        start_lead_read(&at, &m, lead, 6, sizeof m.raw, 0);
        if (i == 0) {
            sm_at_feed(&at, (const uint8_t *)stream, stream_len);
            CHECK_EQ_STR(m.io.log, want);
            strcpy(ref, m.io.log);
        } else {
            sm_at_feed(&at, (const uint8_t *)stream, i);
            sm_at_feed(&at, (const uint8_t *)stream + i, stream_len - i);
            if (strcmp(m.io.log, ref) != 0) { CHECK_EQ_STR(m.io.log, ref); break; }
        }
    }
}

static void test_raw_lead(void)
{
    static const char s1[] = "AT+RD\r\r\nOK\r\n>\r\r\n\r\nOK\r\n";      /* echo on */
    static const char s2[] = "\r\nab\r\ncd\r\n\r\nOK\r\n";            /* echo off */
    static const char s3[] = "AT+RD\r\r\n<<<\r\nOK\r\n\r\nOK\r\n";   /* HTTP style */
    static const char s4[] = "\r\n<<x\r\n<<<123456\r\nOK\r\n";        /* a false start */
    run_lead("\r\n", s1, sizeof s1 - 1, "[done OK code=-2147483648 raw=OK\\x0d\\x0a>\\x0d]");
    run_lead("\r\n", s2, sizeof s2 - 1, "[done OK code=-2147483648 raw=ab\\x0d\\x0acd]");
    run_lead("<<<", s3, sizeof s3 - 1, "[done OK code=-2147483648 raw=\\x0d\\x0aOK\\x0d\\x0a]");
    run_lead("<<<", s4, sizeof s4 - 1, "[done OK code=-2147483648 |<<x raw=123456]");
}

/* A headerless payload read (raw_lead) answered by a final error line
   instead: recognised once the modem has been quiet for
   SM_AT_RAW_ERROR_QUIET_MS, the result and code as for a line; not when more
   bytes follow, nor when the buffer could not keep the bytes. */
static void run_lead_error(const char *answer, size_t cap, uint32_t wait, const char *want)
{
    sm_at at;
    mock m;
    start_lead_read(&at, &m, "\r\n", 40, cap, 60000);
    sm_at_feed(&at, (const uint8_t *)answer, strlen(answer));
    m.io.now += wait - 1u;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "");
    m.io.now += 1;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, want);
}

static void test_raw_lead_error(void)
{
    const uint32_t q = SM_AT_RAW_ERROR_QUIET_MS;
    run_lead_error("\r\nERROR\r\n", 64, q, "[done ERROR code=-2147483648]");
    run_lead_error("\r\n+CME ERROR: 4\r\n", 64, q, "[done CME_ERROR code=4]");
    run_lead_error("\r\n+CMS ERROR:500\r\n", 64, q, "[done CMS_ERROR code=500]");
    run_lead_error("\r\n+CME ERROR: no network\r\n", 64, q, "[done CME_ERROR code=-2147483648]");
    /* not an error line: the payload's deadline ends the read, then the
       command's (60 s, with the bytes kept) */
    run_lead_error("\r\nERRORS\r\n", 64, SM_RAW_TIMEOUT_MS, "");
    run_lead_error("\r\nERROR\r", 64, SM_RAW_TIMEOUT_MS, "");
    run_lead_error("\r\nERROR\r\nx", 64, SM_RAW_TIMEOUT_MS, "");
    /* the buffer could not keep the bytes: they cannot be looked at */
    run_lead_error("\r\nERROR\r\n", 4, SM_RAW_TIMEOUT_MS, "");
}

/* A read shorter than the error line: its bytes and the line after them
   make the error line, recognised at that line; or, the read ending just
   before the CR LF, once the modem is quiet. A real payload followed by its
   OK is not taken for one. */
static void run_short_lead(size_t raw_len, const char *answer, uint32_t wait, const char *want)
{
    sm_at at;
    mock m;
    start_lead_read(&at, &m, "\r\n", raw_len, sizeof m.raw, 60000);
    sm_at_feed(&at, (const uint8_t *)answer, strlen(answer));
    m.io.now += wait;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, want);
    CHECK_EQ_INT(at.stats.unexpected, 0);
}

static void test_raw_lead_error_short(void)
{
    const uint32_t q = SM_AT_RAW_ERROR_QUIET_MS;
    run_short_lead(4, "\r\n+CME ERROR: 4\r\n", 0, "[done CME_ERROR code=4]");
    run_short_lead(1, "\r\nERROR\r\n", 0, "[done ERROR code=-2147483648]");
    run_short_lead(5, "\r\nERROR\r\n", q, "[done ERROR code=-2147483648]");
    run_short_lead(6, "\r\nERROR\r\n", q, "[done ERROR code=-2147483648]");
    run_short_lead(13, "\r\n+CME ERROR: 4\r\n", q, "[done CME_ERROR code=4]");
    /* real payloads, even ones that look like the start of an error */
    run_short_lead(4, "\r\n+CME\r\n\r\nOK\r\n", 0, "[done OK code=-2147483648 raw=+CME]");
    run_short_lead(3, "\r\nERR\r\n\r\nOK\r\n", q, "[done OK code=-2147483648 raw=ERR]");
    run_short_lead(4, "\r\nabcd\r\n", q, ""); /* its OK is late: still waited for */
}

/* ---- raw data inline in a response line (SM_AT_F_RAW_AFTER) -------------- */
/* Cordelia-style `+recv:<id>,0,<n>,<n raw bytes>` CR LF OK, the bytes full of
   CR/LF/OK/commas, with events before, inside and after: fed whole, split at
   every point, at every pair of points, and byte by byte. */
static const char k_inl_stream[] =
    "+eventsock:data,0,12\r\n"                 /* URC before the answer */
    "+recv:0,0,12,\r\nOK\r\n,3,\"x\r"         /* header, then 12 raw bytes */
    "\r\n+TICK: 1,2,3,4\r\n"                   /* a URC with commas while armed */
    "OK\r\n"
    "+TICK: 5,6,7,8\r\n";                       /* after completion */
#define K_INL_LEN (sizeof k_inl_stream - 1)
#define K_INL_WANT "[urc +eventsock:data,0,12][urc +TICK: 1,2,3,4][done OK code=-2147483648 " \
                   "|+recv:0,0,12 raw=\\x0d\\x0aOK\\x0d\\x0a,3,\"x\\x0d][urc +TICK: 5,6,7,8]"

static const sm_urc inl_urcs[] = { { "+eventsock:", on_urc } };

static int submit_inline(sm_at *at, mock *m, const char *text, const char *prefix, unsigned field)
{
    sm_at_cmd c;
    memset(&c, 0, sizeof c);
    c.text = text;
    c.prefix = prefix;
    CHECK_EQ_INT(sm_at_use_inline_raw(at), SM_OK); /* before a RAW_AFTER command */
    c.flags = SM_AT_F_RAW_AFTER(field);
    c.raw_buf = m->raw;
    c.raw_cap = sizeof m->raw;
    c.on_done = on_done;
    c.ctx = m;
    return sm_at_submit(at, &c);
}

static void run_inline(const uint8_t *s, size_t len, const size_t *cuts, size_t ncuts, char *log,
                       size_t cap, sm_at_stats *st)
{
    sm_at at;
    mock m;
    size_t prev = 0, ci;
    setup(&at, &m, &cordelia_like, 0);
    sm_at_add_urcs(&at, inl_urcs, 1, &m);
    if (submit_inline(&at, &m, "AT+recv=0,0,12", "+recv:", 3) <= 0) CHECK(0 && "submit");
    sm_at_poll(&at);
    for (ci = 0; ci <= ncuts; ci++) {
        size_t end = ci < ncuts ? cuts[ci] : len;
        sm_at_feed(&at, s + prev, end - prev);
        sm_at_poll(&at);
        prev = end;
    }
    snprintf(log, cap, "%s", m.io.log);
    if (st) *st = at.stats;
}

static void test_inline_raw_every_split(void)
{
    static char ref[1024], got[1024];
    static size_t all[K_INL_LEN];
    const uint8_t *s = (const uint8_t *)k_inl_stream;
    size_t i, j, cuts[2], bad = 0;
    sm_at_stats st;
    run_inline(s, K_INL_LEN, NULL, 0, ref, sizeof ref, &st);
    CHECK_EQ_STR(ref, K_INL_WANT);
    CHECK_EQ_INT(st.raw_bytes, 12);
    CHECK_EQ_INT(st.raw_bad_count, 0);
    CHECK_EQ_INT(st.unexpected, 0);
    CHECK_EQ_INT(st.urcs, 3);
    for (i = 1; i < K_INL_LEN; i++) {
        cuts[0] = i;
        run_inline(s, K_INL_LEN, cuts, 1, got, sizeof got, NULL);
        if (strcmp(got, ref) != 0) { bad++; fprintf(stderr, "split %zu: %s\n", i, got); }
    }
    CHECK_EQ_INT(bad, 0);
    for (i = 1; i < K_INL_LEN; i++)
        for (j = i + 1; j < K_INL_LEN; j++) {
            cuts[0] = i;
            cuts[1] = j;
            run_inline(s, K_INL_LEN, cuts, 2, got, sizeof got, NULL);
            if (strcmp(got, ref) != 0) bad++;
        }
    CHECK_EQ_INT(bad, 0);
    for (i = 0; i + 1 < K_INL_LEN; i++) all[i] = i + 1;
    run_inline(s, K_INL_LEN, all, K_INL_LEN - 1, got, sizeof got, NULL);
    CHECK_EQ_STR(got, ref);
}

/* The corner cases: count 0, a quoted field with a comma before the count,
   a malformed count (the line stays text, the loss is visible), a count that
   never fully arrives, a command that declares it without a prefix. */
static void test_inline_raw_cases(void)
{
    sm_at at;
    mock m;
    setup(&at, &m, &cordelia_like, 0);
    submit_inline(&at, &m, "AT+recv=0,0,5", "+recv:", 3);
    sm_at_poll(&at);
    feed_str(&at, "+recv:0,0,0,\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+recv:0,0,0]");
    CHECK_EQ_INT(at.stats.unexpected, 0);

    setup(&at, &m, &cordelia_like, 0);
    submit_inline(&at, &m, "AT+R", "+r:", 2);
    sm_at_poll(&at);
    feed_str(&at, "+r:\"a,b\", 3 ,x\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+r:\"a,b\", 3  raw=x\\x0d\\x0a]");

    /* malformed: the line is parsed as text, raw_truncated and the counter say so */
    setup(&at, &m, &cordelia_like, 0);
    submit_inline(&at, &m, "AT+recv=0,0,5", "+recv:", 3);
    sm_at_poll(&at);
    feed_str(&at, "+recv:0,0,x5,abcde\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+recv:0,0,x5,abcde RAWTRUNC]");
    CHECK_EQ_INT(at.stats.raw_bad_count, 1);
    setup(&at, &m, &cordelia_like, 0);
    submit_inline(&at, &m, "AT+recv=0,0,5", "+recv:", 3);
    sm_at_poll(&at);
    feed_str(&at, "+recv:0,0,70000,ab\r\nOK\r\n"); /* above 65535 */
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+recv:0,0,70000,ab RAWTRUNC]");
    CHECK_EQ_INT(at.stats.raw_bad_count, 1);

    /* a line that ends before field N carries no raw data */
    setup(&at, &m, &cordelia_like, 0);
    submit_inline(&at, &m, "AT+recv=0,0,5", "+recv:", 3);
    sm_at_poll(&at);
    feed_str(&at, "+recv:0,0\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+recv:0,0]");
    CHECK_EQ_INT(at.stats.raw_bad_count, 0);

    /* the announced bytes never all come: the raw deadline ends the counting */
    setup(&at, &m, &cordelia_like, 0);
    {
        sm_at_cmd c;
        memset(&c, 0, sizeof c);
        c.text = "AT+recv=0,0,50";
        c.prefix = "+recv:";
        CHECK_EQ_INT(sm_at_use_inline_raw(&at), SM_OK); /* before a RAW_AFTER command */
        c.flags = SM_AT_F_RAW_AFTER(3);
        c.raw_buf = m.raw;
        c.raw_cap = sizeof m.raw;
        c.on_done = on_done;
        c.ctx = &m;
        c.timeout_ms = 60000;
        sm_at_submit(&at, &c);
    }
    sm_at_poll(&at);
    feed_str(&at, "+recv:0,0,50,abc");
    m.io.now += SM_RAW_TIMEOUT_MS;
    sm_at_poll(&at);
    feed_str(&at, "\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+recv:0,0,50 raw=abc RAWTRUNC]");
    CHECK_EQ_INT(at.stats.raw_dropped, 47);

    /* more bytes than raw_cap: stored up to raw_cap, the rest counted */
    setup(&at, &m, &cordelia_like, 0);
    {
        sm_at_cmd c;
        memset(&c, 0, sizeof c);
        c.text = "AT+recv=0,0,6";
        c.prefix = "+recv:";
        CHECK_EQ_INT(sm_at_use_inline_raw(&at), SM_OK); /* before a RAW_AFTER command */
        c.flags = SM_AT_F_RAW_AFTER(3);
        c.raw_buf = m.raw;
        c.raw_cap = 4;
        c.on_done = on_done;
        c.ctx = &m;
        sm_at_submit(&at, &c);
    }
    sm_at_poll(&at);
    feed_str(&at, "+recv:0,0,6,OK\r\nOK\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |+recv:0,0,6 raw=OK\\x0d\\x0a RAWTRUNC]");
    CHECK_EQ_INT(at.stats.raw_dropped, 2);

    /* an error answer: nothing armed is left behind for the next command */
    setup(&at, &m, &cordelia_like, 0);
    submit_inline(&at, &m, "AT+recv=9,0,5", "+recv:", 3);
    submit(&at, &m, "AT+x", "+recv:");
    sm_at_poll(&at);
    feed_str(&at, "ERROR:bad socket,-1\r\n");
    sm_at_poll(&at);
    feed_str(&at, "+recv:1,2,3,4\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done DIALECT_ERROR code=-1 text=bad socket]"
                        "[done OK code=-2147483648 |+recv:1,2,3,4]");

    /* the prefix is required; the field number is 1..15 */
    setup(&at, &m, &cordelia_like, 0);
    CHECK_EQ_INT(submit_inline(&at, &m, "AT+recv=0,0,5", NULL, 3), SM_ERR_PARAM);
    CHECK_EQ_INT(submit_inline(&at, &m, "AT+recv=0,0,5", "", 3), SM_ERR_PARAM);
    CHECK(SM_AT_F_RAW_AFTER(16) == 0);
}

/* ---- time ----------------------------------------------------------------- */
static void test_timeout_and_settle(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    m.io.now = 0xFFFFFF00u; /* the clock wraps during the test */
    memset(&c, 0, sizeof c);
    c.text = "AT+SLOW";
    c.timeout_ms = 1000;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    m.io.now += 999;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "");
    m.io.now += 1;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648]");
    CHECK_EQ_STR(m.io.tx, "AT+SLOW\r"); /* the next one waits for the line to settle */
    m.io.now += SM_AT_SETTLE_MS / 2;
    feed_str(&at, "\r\n+SLOW: late\r\n\r\nOK\r\n"); /* the late answer */
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+SLOW\r");
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+SLOW\rAT\r");
    feed_str(&at, "\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648][done OK code=-2147483648]");
    CHECK_EQ_INT(at.stats.stale, 2);
    CHECK_EQ_INT(at.stats.timeouts, 1);
}

/* With echo on, a late answer that comes after the settle time but before
   the next command's echo is not taken for that command's answer. */
static void test_late_answer_before_echo(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "ATE1", NULL);
    sm_at_poll(&at);
    feed_str(&at, "ATE1\r\r\nOK\r\n");
    memset(&c, 0, sizeof c);
    c.text = "AT+SLOW";
    c.timeout_ms = 300;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+GMR", NULL);
    sm_at_poll(&at);
    feed_str(&at, "AT+SLOW\r");
    m.io.now += 300;
    sm_at_poll(&at);
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at); /* AT+GMR goes out */
    CHECK_EQ_STR(m.io.tx, "ATE1\rAT+SLOW\rAT+GMR\r");
    feed_str(&at, "\r\nOK\r\nAT+GMR\r\r\n1.0\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648][done TIMEOUT code=-2147483648]"
                        "[done OK code=-2147483648 |1.0]");
    CHECK_EQ_INT(at.stats.stale, 1);
    /* ATE0 switches the expectation off: the next command has no echo */
    submit(&at, &m, "ATE0", NULL);
    sm_at_poll(&at);
    feed_str(&at, "ATE0\r\r\nOK\r\n");
    submit(&at, &m, "AT+GMR", NULL);
    sm_at_poll(&at);
    feed_str(&at, "\r\n2.0\r\n\r\nOK\r\n");
    CHECK(strstr(m.io.log, "|2.0]") != NULL);
}

static void test_timeout_waiting_prompt(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[1] = { 'q' };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=1";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = 1;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    m.io.now += SM_AT_TIMEOUT_MS;
    sm_at_poll(&at);
    feed_str(&at, "\r\n> ");
    /* a late prompt does not release the payload again: it went out at the
       timeout (see test_lost_prompt_replays_payload), then the terminator */
    CHECK_EQ_INT(m.io.tx_len, 10 + 1 + 1);
    CHECK(memcmp(m.io.tx, "AT+SEND=1\rq\r", 12) == 0);
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648]");
}

/* ---- callbacks, re-entrancy, instances ---------------------------------- */
static sm_at *g_reenter_at; /* test fixture only */
static int g_reenter_rc;
static void on_done_resubmit(void *ctx, const sm_at_response *r)
{
    mock *m = (mock *)ctx;
    on_done(ctx, r);
    g_reenter_rc = sm_at_feed(g_reenter_at, (const uint8_t *)"OK\r\n", 4);
    if (r->result == SM_AT_OK) submit(g_reenter_at, m, "AT+NEXT", NULL);
    else submit(g_reenter_at, m, "AT+AGAIN", NULL); /* resubmits from a flush too */
}

static void test_callbacks_reentrancy(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    g_reenter_at = &at;
    memset(&c, 0, sizeof c);
    c.text = "AT";
    c.on_done = on_done_resubmit;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    feed_str(&at, "OK\r\n");
    CHECK_EQ_INT(g_reenter_rc, SM_ERR_BUSY); /* feeding from a callback is refused */
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT\rAT+NEXT\r");       /* submitting from a callback works */
    /* a flush whose callbacks resubmit terminates */
    sm_at_submit(&at, &c);
    sm_at_flush(&at, SM_AT_CANCELLED);
    CHECK(at.q_count <= 2); /* the flush ended; what its callbacks queued stays */
}

static void test_two_instances(void)
{
    sm_at a, b;
    mock ma, mb;
    setup(&a, &ma, NULL, 0);
    setup(&b, &mb, &cordelia_like, 0);
    submit(&a, &ma, "AT+A", NULL);
    submit(&b, &mb, "AT+B", NULL);
    sm_at_poll(&a);
    sm_at_poll(&b);
    feed_str(&b, "ERROR:x,-1\r\n");
    feed_str(&a, "\r\nOK\r\n");
    CHECK_EQ_STR(ma.io.tx, "AT+A\r");
    CHECK_EQ_STR(mb.io.tx, "AT+B\r\n");
    CHECK_EQ_STR(ma.io.log, "[done OK code=-2147483648]");
    CHECK_EQ_STR(mb.io.log, "[done DIALECT_ERROR code=-1 text=x]");
}

static void test_pull_mode_and_blocking(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    sm_at_response r;
    char lines[64];
    static const char answer[] = "AT+GMR\r\r\n1.0.0\r\n\r\n+TICK: 9\r\n\r\nOK\r\n";
    int rc;
    setup(&at, &m, NULL, 1);
    m.io.rx = (const uint8_t *)answer;
    m.io.rx_len = sizeof answer - 1;
    memset(&c, 0, sizeof c);
    c.text = "AT+GMR";
    rc = sm_at_run_blocking(&at, &c, &r, lines, sizeof lines);
    CHECK_EQ_INT(rc, SM_OK);
    CHECK_EQ_INT(r.nlines, 1);
    CHECK_EQ_STR(lines, "1.0.0");
    CHECK_EQ_STR(m.io.log, "[urc +TICK: 9]");
    /* a modem that never answers: the blocking helper still returns */
    m.io.rx_len = m.io.rx_off = 0;
    c.timeout_ms = 50;
    rc = sm_at_run_blocking(&at, &c, &r, lines, sizeof lines);
    CHECK_EQ_INT(rc, SM_ERR_TIMEOUT);
    /* a read failure is reported by poll */
    m.io.read_ret = -1;
    CHECK_EQ_INT(sm_at_poll(&at), SM_ERR_IO);
}

/* A command longer than the line buffer, echoed: the echo is recognised by
   its start, so the answer is not taken for a stale one; a long line that
   is not the echo is still dropped and counted. */
static void test_long_echo(void)
{
    sm_at at;
    mock m;
    static char cmd[SM_LINE_SIZE + 64], echo[SM_LINE_SIZE + 80];
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "ATE1", NULL);
    sm_at_poll(&at);
    feed_str(&at, "ATE1\r\r\nOK\r\n"); /* echo learned on */
    memset(cmd, 0, sizeof cmd);
    memcpy(cmd, "AT+LONG=", 8);
    memset(cmd + 8, 'x', sizeof cmd - 9);
    submit(&at, &m, cmd, NULL);
    sm_at_poll(&at);
    snprintf(echo, sizeof echo, "%s\r\r\nOK\r\n", cmd);
    feed_str(&at, echo);
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648][done OK code=-2147483648]");
    CHECK_EQ_INT(at.stats.overlong, 0);
    CHECK_EQ_INT(at.stats.stale, 0);
    /* the same long text while nothing is in flight is an over-long line */
    feed_str(&at, echo);
    CHECK_EQ_INT(at.stats.overlong, 1);
    /* a long line that differs from the command is not its echo */
    submit(&at, &m, cmd, NULL);
    sm_at_poll(&at);
    echo[20] = 'y';
    feed_str(&at, echo);
    CHECK_EQ_INT(at.stats.overlong, 2);
    CHECK_EQ_INT(at.stats.stale, 1);
}

static void test_response_overflow_reported(void)
{
    sm_at at;
    mock m;
    int i;
    char line[32];
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "AT+LINES=40", "+LINES:");
    sm_at_poll(&at);
    for (i = 0; i < 40; i++) {
        snprintf(line, sizeof line, "+LINES: %d\r\n", i);
        feed_str(&at, line);
    }
    feed_str(&at, "OK\r\n");
    CHECK(strstr(m.io.log, " TRUNC]") != NULL);
    CHECK(strstr(m.io.log, "|+LINES: 0 ") != NULL);
}

/* ---- URC tables, sinks, late raw bytes ------------------------------------ */
static size_t g_sink_bytes;
static void count_sink(void *ctx, const uint8_t *d, size_t n) { (void)ctx; (void)d; g_sink_bytes += n; }
static void on_data_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    int32_t n;
    (void)ctx;
    if (sm_fields_init(&f, line, len, "+DATA:") == SM_OK && sm_fields_int(&f, 0, 100, &n) == SM_OK)
        CHECK_EQ_INT(sm_at_expect_raw(at, (size_t)n, count_sink, NULL), SM_OK);
}
static const sm_urc data_urcs[] = { { "+DATA:", on_data_urc } };

static void test_urc_tables_and_sinks(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    int i;
    setup(&at, &m, NULL, 0);
    /* tables: add until full, remove, unknown removal */
    for (i = 1; i < SM_URC_TABLES; i++) CHECK_EQ_INT(sm_at_add_urcs(&at, data_urcs, 1, &m), SM_OK);
    CHECK_EQ_INT(sm_at_add_urcs(&at, data_urcs, 1, &m), SM_ERR_NO_SPACE);
    for (i = 1; i < SM_URC_TABLES; i++) CHECK_EQ_INT(sm_at_remove_urcs(&at, data_urcs), SM_OK);
    CHECK_EQ_INT(sm_at_remove_urcs(&at, data_urcs), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_add_urcs(&at, data_urcs, 1, &m), SM_OK);
    CHECK_EQ_INT(sm_at_add_urcs(NULL, data_urcs, 1, &m), SM_ERR_PARAM);
    /* a URC announces raw bytes with no command in flight: they go to its sink */
    g_sink_bytes = 0;
    feed_str(&at, "\r\n+DATA: 5\r\nab\r\nc\r\n+TICK: 1\r\n");
    CHECK_EQ_INT(g_sink_bytes, 5);
    CHECK_EQ_STR(m.io.log, "[urc +TICK: 1]");
    /* without a sink and without a command there is nowhere to put them */
    CHECK_EQ_INT(sm_at_expect_raw(&at, 3, NULL, NULL), SM_ERR_PARAM);
    /* raw bytes whose command timed out are counted as dropped */
    memset(&c, 0, sizeof c);
    c.text = "AT+RECV=8";
    c.prefix = "+RECV:";
    c.on_line = on_recv_line;
    c.timeout_ms = 100;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    feed_str(&at, "\r\n+RECV: 8\r\n123");
    m.io.now += 100;
    sm_at_poll(&at);
    feed_str(&at, "45678\r\nOK\r\n");
    /* 3 had no raw_buf to go to, 5 came after the command's timeout */
    CHECK_EQ_INT(sm_at_get_stats(&at)->raw_dropped, 8);
    CHECK_EQ_INT(sm_at_get_stats(&at)->raw_bytes, 13);
}

/* ---- interrupted commands never leave the modem mid-line (review 1) ------ */
static void test_timeout_mid_text_ends_the_line(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    m.io.write_stall_at = 6; /* the UART stops after "AT+CFU" */
    memset(&c, 0, sizeof c);
    c.text = "AT+CFUN=1,1";
    c.timeout_ms = 100;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", NULL);
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);
    m.io.write_stall_at = 0; /* the UART moves again */
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    sm_at_poll(&at);
    /* the truncated line was ended before the next command */
    CHECK_EQ_STR(m.io.tx, "AT+CFU\rAT+CSQ\r");
}

/* A deadline in the middle of a payload after the prompt: the modem counts
   bytes, so the rest of the REAL payload is written (issue 16 item 10: a
   filler would reach the broker as a message), then the command ends. The
   payload is the caller's until on_done, which therefore waits for it. */
static void test_timeout_mid_payload_sends_the_rest(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[8] = { 'h', 'e', 'l', 'l', 'o', '1', '2', '3' };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=8";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = 8;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", NULL);
    sm_at_poll(&at);
    m.io.write_stall_at = 13; /* "AT+SEND=8\r" + 3 payload bytes */
    feed_str(&at, "\r\n> ");
    m.io.now += 100;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, ""); /* timed out, but its payload is still being written */
    CHECK(sm_at_busy(&at));
    m.io.write_stall_at = 0;
    m.io.now += 10;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648]");
    CHECK_EQ_INT(m.io.tx_len, 10 + 8);
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 10 + 8 + 7);
    CHECK(memcmp(m.io.tx, "AT+SEND=8\rhello123AT+CSQ\r", 25) == 0);
    CHECK_EQ_INT(at.stats.tx_filler, 0);
    CHECK_EQ_INT(at.stats.tx_replayed, 5);
}

/* The UART takes nothing more for SM_AT_TIMEOUT_MS after the deadline: the
   command ends then (its bound), the rest is owed as filler and given up
   with the drain (counted), and the queue moves on. */
static void test_owed_payload_uart_stuck(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[8] = { 'h', 'e', 'l', 'l', 'o', '1', '2', '3' };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=8";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = 8;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    m.io.write_stall_at = 13;
    feed_str(&at, "\r\n> ");
    m.io.now += 100;
    sm_at_poll(&at);
    m.io.now += SM_AT_TIMEOUT_MS - 1;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "");
    m.io.now += 1;
    sm_at_poll(&at); /* the owed deadline: ends, 5 bytes owed as filler */
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648]");
    sm_at_poll(&at); /* whose deadline is the same: given up */
    CHECK_EQ_INT(at.stats.tx_abandoned, 5);
    CHECK_EQ_INT(at.stats.tx_replayed, 0);
    m.io.write_stall_at = 0;
    m.io.now += SM_AT_SETTLE_MAX_MS;
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 13 + 3);
    CHECK(memcmp(m.io.tx, "AT+SEND=8\rhelAT\r", 16) == 0);
}

/* Payload bytes that, as a command line, could be a command (a control
   byte, "AT" or "A/" anywhere, also with the 8th bit set) are never written
   while the modem may be reading command lines. */
static void test_replayable_payloads(void)
{
    static const char *const inert[] = { "", "q", "hello world", "soak:000123:....:0af39c1e",
                                         "{\"temp\":21.5}", "a", "A", "ta", "t/a", "\xe9t\xe9" };
    static const char *const unsafe[] = { "AT", "at", "aT", "xAt+CFUN=0", "A/", "a/", "status",
                                          "data", "x\ry", "x\ny", "\x1b", "\x1a", "\x08", "\x7f",
                                          "\xc1T", "a\xd4", "\x8d", "\x81/", "ok\x00" };
    size_t i;
    for (i = 0; i < sizeof inert / sizeof inert[0]; i++)
        CHECK(sm_at_replayable((const uint8_t *)inert[i], strlen(inert[i])));
    for (i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++)
        CHECK(!sm_at_replayable((const uint8_t *)unsafe[i], strlen(unsafe[i]) + (i == 18u)));
}

/* Issue 16 item 10: the prompt of a publish is lost (a byte dropped or
   damaged on the wire); the GM02SP sits at its prompt with no timeout of
   its own and publishes whatever bytes meet the count (docs/
   payload-abandon.md). The payload's own bytes meet it: the subscriber gets
   the real message (a duplicate at worst, when the caller retries), never
   NUL filler. The terminator follows: one stray CR after a payload is
   tolerated, and a modem that never prompted sees one junk line. */
static void test_lost_prompt_replays_payload(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const char data[] = "soak:000042:......:0af39c1e";
    size_t n = sizeof data - 1;
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=27";
    c.flags = SM_AT_F_PROMPT;
    c.payload = (const uint8_t *)data;
    c.payload_len = n;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", "+CSQ:");
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);           /* timed out: the prompt was lost */
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648]");
    CHECK_EQ_INT(m.io.tx_len, 11 + n + 1);
    CHECK(memcmp(m.io.tx, "AT+SEND=27\r", 11) == 0);
    CHECK(memcmp(m.io.tx + 11, data, n) == 0);
    CHECK(m.io.tx[11 + n] == '\r');
    feed_str(&at, "\r\n+SEND: 1\r\n\r\nOK\r\n"); /* the modem sent the real bytes */
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 11 + n + 1 + 7);
    CHECK(memcmp(m.io.tx + 11 + n + 1, "AT+CSQ\r", 7) == 0);
    CHECK_EQ_INT(at.stats.tx_filler, 0);
    CHECK_EQ_INT(at.stats.tx_replayed, (int)n);
    CHECK_EQ_INT(at.stats.stale, 2);
    feed_str(&at, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648][done OK code=-2147483648 |+CSQ: 20,99]");
}

/* The same when the modem never prompted (the command was refused and its
   ERROR lost): the payload is one junk line for it, answered ERROR, dropped
   as a late answer; the next command is not touched. */
static void test_lost_error_replayed_payload_is_a_junk_line(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const char data[] = "hello";
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=5";
    c.flags = SM_AT_F_PROMPT;
    c.payload = (const uint8_t *)data;
    c.payload_len = 5;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", "+CSQ:");
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+SEND=5\rhello\r");
    feed_str(&at, "\r\nERROR\r\n"); /* "hello" as a command line */
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+SEND=5\rhello\rAT+CSQ\r");
    feed_str(&at, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648][done OK code=-2147483648 |+CSQ: 20,99]");
}

/* A payload that could be a command line (here a second command after a
   CR) is never written without a prompt: the count is met with filler, as
   before, counted in tx_filler (the one case where a modem that did prompt
   sends filler; see docs/payload-abandon.md). */
static void test_lost_prompt_unsafe_payload_is_never_replayed(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const char data[] = "x\rAT+CFUN=0";
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=12";
    c.flags = SM_AT_F_PROMPT;
    c.payload = (const uint8_t *)data;
    c.payload_len = 12;
    c.timeout_ms = 100;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 11 + 12 + 1);
    CHECK(memcmp(m.io.tx, "AT+SEND=12\r\0\0\0\0\0\0\0\0\0\0\0\0\r", 24) == 0);
    CHECK_EQ_INT(at.stats.tx_filler, 12);
    CHECK_EQ_INT(at.stats.tx_replayed, 0);
}

/* A final result while the real bytes are still being written (a late
   ERROR: the modem never prompted) ends the command with it; the rest of
   the count is met with filler and the line ended, so the next command
   starts on a clean line. */
static void test_final_while_owed_ends_it(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const char data[] = "hello";
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=5";
    c.flags = SM_AT_F_PROMPT;
    c.payload = (const uint8_t *)data;
    c.payload_len = 5;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    m.io.write_stall_at = 12; /* "AT+SEND=5\r" + "he" */
    m.io.now += 100;
    sm_at_poll(&at);
    feed_str(&at, "\r\nERROR\r\n");
    CHECK_EQ_STR(m.io.log, "[done ERROR code=-2147483648]");
    m.io.write_stall_at = 0;
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 10 + 5 + 1 + 3);
    CHECK(memcmp(m.io.tx, "AT+SEND=5\rhe\0\0\0\rAT\r", 19) == 0);
    CHECK_EQ_INT(at.stats.tx_replayed, 2);
    CHECK_EQ_INT(at.stats.tx_filler, 3);
}

/* sm_at_flush() reports at once: the real bytes go out as far as the
   platform takes them then (here all of them). */
static void test_flush_mid_payload_sends_the_rest(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[8] = { 'h', 'e', 'l', 'l', 'o', '1', '2', '3' };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=8";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = 8;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    m.io.write_stall_at = 13;
    feed_str(&at, "\r\n> ");
    m.io.write_stall_at = 0;
    sm_at_flush(&at, SM_AT_CANCELLED);
    CHECK_EQ_STR(m.io.log, "[done CANCELLED code=-2147483648]");
    CHECK_EQ_INT(m.io.tx_len, 18);
    CHECK(memcmp(m.io.tx, "AT+SEND=8\rhello123", 18) == 0);
    CHECK_EQ_INT(at.stats.tx_replayed, 5);
    CHECK_EQ_INT(at.stats.tx_filler, 0);
    CHECK(!sm_at_busy(&at));
}

/* A deadline inside an inline payload (the line counts its bytes): the
   rest of the line goes out as it is, real bytes and terminator. */
static void test_timeout_mid_inline_payload_finishes_the_line(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[6] = { 'p', 'a', 'y', 'l', 'o', 'd' };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+PUB=6,";
    c.flags = SM_AT_F_INLINE;
    c.payload = data;
    c.payload_len = 6;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    m.io.write_stall_at = 11; /* "AT+PUB=6," + "pa" */
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "");
    m.io.write_stall_at = 0;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648]");
    CHECK_EQ_INT(m.io.tx_len, 9 + 6 + 1);
    CHECK(memcmp(m.io.tx, "AT+PUB=6,paylod\r", 16) == 0);
    CHECK_EQ_INT(at.stats.tx_replayed, 4);
    CHECK_EQ_INT(at.stats.tx_filler, 0);
}

static void test_late_prompt_gets_filler(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[4] = { 1, 2, 3, 4 };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=4";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = 4;
    c.timeout_ms = 100;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", NULL);
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);           /* timed out waiting for the prompt: 4 filler bytes */
    m.io.now += 50;
    feed_str(&at, "\r\n> ");   /* ...which comes late: swallowed, nothing more sent */
    feed_str(&at, "\r\nOK\r\n");
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 10 + 4 + 1 + 7);
    CHECK(memcmp(m.io.tx, "AT+SEND=4\r\0\0\0\0\rAT+CSQ\r", 22) == 0);
    CHECK_EQ_INT(at.stats.stale, 1);
    CHECK_EQ_INT(at.stats.tx_filler, 4);
}

/* A prompt lost on the wire (a dropped or damaged byte) looks like one that
   never came, but the modem is counting payload bytes: the next command
   would become them (published, sent to the peer, with whatever it holds).
   Found by the soak test (tests/e2e/run_soak.py), where the recovery's
   AT+SQNSPCFG line reached the broker as an MQTT message. The filler meets
   the count, then the terminator ends the line: a modem that never
   prompted sees one junk line instead, answered as a late answer. */
static void test_lost_prompt_is_filled(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[4] = { 1, 2, 3, 4 };
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=4";
    c.flags = SM_AT_F_PROMPT;
    c.payload = data;
    c.payload_len = 4;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", "+CSQ:");
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);           /* timed out: the prompt was lost */
    CHECK_EQ_INT(m.io.tx_len, 10 + 4 + 1);
    CHECK(memcmp(m.io.tx, "AT+SEND=4\r\0\0\0\0\r", 15) == 0);
    feed_str(&at, "\r\nOK\r\n"); /* the modem took the filler as the payload */
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_INT(m.io.tx_len, 10 + 4 + 1 + 7);
    CHECK(memcmp(m.io.tx, "AT+SEND=4\r\0\0\0\0\rAT+CSQ\r", 22) == 0);
    CHECK_EQ_INT(at.stats.tx_filler, 4);
    CHECK_EQ_INT(at.stats.stale, 1);
    feed_str(&at, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648][done OK code=-2147483648 |+CSQ: 20,99]");
}

static void test_uart_stuck_does_not_block_forever(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    m.io.write_stall_at = 4;
    memset(&c, 0, sizeof c);
    c.text = "AT+CFUN=1";
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);
    m.io.now += SM_AT_TIMEOUT_MS;  /* the drain is given up, counted */
    sm_at_poll(&at);
    m.io.now += SM_AT_TIMEOUT_MS;  /* and the next command ends by its own deadline */
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, "[done TIMEOUT code=-2147483648][done TIMEOUT code=-2147483648]");
    CHECK(at.stats.tx_abandoned >= 1);
    CHECK(!sm_at_busy(&at));
}

/* ---- late payloads, settling limits (review 2-4) ---------------------------- */
static void test_raw_owed_after_timeout_is_not_the_next_answer(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static char fifty[41];
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+RECV=50";
    c.prefix = "+RECV:";
    c.on_line = on_recv_line;
    c.raw_buf = m.raw;
    c.raw_cap = sizeof m.raw;
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", "+CSQ:");
    sm_at_poll(&at);
    feed_str(&at, "\r\n+RECV: 50\r\n0123456789");
    m.io.now += 100;
    sm_at_poll(&at);
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+RECV=50\r"); /* 40 bytes are still owed: AT+CSQ waits */
    memset(fifty, 'z', 40);
    feed_str(&at, fifty);
    feed_str(&at, "\r\n\r\nOK\r\n");
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+RECV=50\rAT+CSQ\r");
    feed_str(&at, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    CHECK(strstr(m.io.log, "[done OK code=-2147483648 |+CSQ: 20,99]") != NULL);
}

static void test_settling_is_bounded_under_traffic(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    int i;
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SLOW";
    c.timeout_ms = 100;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+CSQ", NULL);
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);
    for (i = 0; i < 100 && strcmp(m.io.tx, "AT+SLOW\r") == 0; i++) {
        m.io.now += 50;
        feed_str(&at, "\r\n+TICK: 1\r\n"); /* a chatty modem: never quiet */
        sm_at_poll(&at);
    }
    CHECK_EQ_STR(m.io.tx, "AT+SLOW\rAT+CSQ\r");
    CHECK(i * 50 <= SM_AT_SETTLE_MAX_MS + 50);
}

static void test_settling_ends_while_idle(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+SLOW";
    c.timeout_ms = 100;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    m.io.now += 100;
    sm_at_poll(&at);
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_poll(&at);            /* idle: settling ends anyway */
    m.io.now += 0x80000000u;       /* 24.8 days of silence */
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.tx, "AT+SLOW\rAT\r");
}

static void test_huge_timeout_is_clamped(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    memset(&c, 0, sizeof c);
    c.text = "AT+FOREVER";
    c.timeout_ms = 0xFFFFFFFFu;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    m.io.now += 1000;
    sm_at_poll(&at);
    CHECK_EQ_STR(m.io.log, ""); /* not timed out on the first poll */
    feed_str(&at, "OK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648]");
}

/* ---- a clock that is not monotonic (issue 18 item 5) ------------------------- */
/* A 5 s command; `before` ms after it went out the clock jumps by `jump`
   (mod 2^32). Returns the counted ms after the jump at which it timed out
   (checked each ms up to `limit`), or -1 if it did not. */
static long run_clock_jump(uint32_t before, uint32_t jump, long limit)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    long t;
    setup(&at, &m, NULL, 0);
    m.io.now = 1000;
    memset(&c, 0, sizeof c);
    c.text = "AT+SLOW";
    c.timeout_ms = 5000;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    m.io.now += before;
    sm_at_poll(&at);
    if (m.io.log[0]) return -2; /* ended before the jump */
    m.io.now += jump;
    for (t = 0; t <= limit; t++, m.io.now++) {
        sm_at_poll(&at);
        if (strcmp(m.io.log, "[done TIMEOUT code=-2147483648]") == 0) return t;
        if (m.io.log[0]) return -3;
    }
    return -1;
}

static void test_clock_steps_back_or_jumps(void)
{
    /* set back one hour 1 s in: 4 s left, not one hour and 4 s */
    CHECK_EQ_INT(run_clock_jump(1000, 0u - 3600000u, 10000), 4000);
    /* 2^31 + 5 ms forward with 3 ms left: unsigned arithmetic reads it as a
       step back, so no time passes; before, the deadline was 24.8 days off */
    CHECK_EQ_INT(run_clock_jump(4997, 0x80000005u, 10000), 3);
    /* 2^32 - 1 ms forward is 1 ms back: still 4 s left, not 4.001 s */
    CHECK_EQ_INT(run_clock_jump(1000, 0xFFFFFFFFu, 10000), 4000);
    /* exactly 2^31: counted as none as well */
    CHECK_EQ_INT(run_clock_jump(1000, 0x80000000u, 10000), 4000);
    /* a jump forward of less than 2^31 ms is time that passed: the deadline
       it crosses ends at once (it never stretches) */
    CHECK_EQ_INT(run_clock_jump(1000, 3600000u, 10000), 0);
    CHECK_EQ_INT(run_clock_jump(1000, 0x7FFFFFFFu, 10000), 0);
    /* the counter itself */
    {
        sm_clock k;
        CHECK_EQ_INT(sm_clock_start(&k, 0xFFFFFFF0u), 0xFFFFFFF0u);
        CHECK_EQ_INT(sm_clock_read(&k, 0x10u), 0x10u);        /* wraps forward */
        CHECK_EQ_INT(sm_clock_read(&k, 0x5u), 0x10u);         /* back: nothing */
        CHECK_EQ_INT(sm_clock_read(&k, 0x7u), 0x12u);         /* on from there */
        CHECK_EQ_INT(sm_clock_read(&k, 0x80000007u), 0x12u); /* 2^31: nothing */
        CHECK_EQ_INT(sm_clock_read(&k, 0x80000009u), 0x14u);
    }
}

/* ---- callbacks and echo (review 6-9) ------------------------------------------ */
static void on_done_flush(void *ctx, const sm_at_response *r)
{
    mock *m = (mock *)ctx;
    sm_at_flush(g_reenter_at, SM_AT_CANCELLED); /* while r->lines is being read */
    on_done(ctx, r);
    (void)m;
}

static void test_flush_from_on_done_keeps_lines(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    g_reenter_at = &at;
    memset(&c, 0, sizeof c);
    c.text = "AT+CGMR";
    c.on_done = on_done_flush;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    submit(&at, &m, "AT+QUEUED", NULL);
    sm_at_poll(&at);
    feed_str(&at, "\r\nUE7.0\r\n\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done CANCELLED code=-2147483648][done OK code=-2147483648 |UE7.0]");
}

static void echo_then_plain(const char *echo_cmd, const char *want_tail)
{
    sm_at at;
    mock m;
    char buf[64];
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "ATE1", NULL);
    sm_at_poll(&at);
    feed_str(&at, "ATE1\r\r\nOK\r\n");
    submit(&at, &m, echo_cmd, NULL);
    sm_at_poll(&at);
    snprintf(buf, sizeof buf, "%s\r\r\nOK\r\n", echo_cmd); /* echoed: the change comes after */
    feed_str(&at, buf);
    submit(&at, &m, "AT+GMR", NULL);
    sm_at_poll(&at);
    feed_str(&at, "\r\n1.0\r\n\r\nOK\r\n"); /* no echo any more */
    m.io.now += 100000;
    sm_at_poll(&at);
    if (!strstr(m.io.log, want_tail)) fprintf(stderr, "  after %s: %s\n", echo_cmd, m.io.log);
    CHECK(strstr(m.io.log, want_tail) != NULL);
}

static void test_echo_setting_variants(void)
{
    echo_then_plain("ATE", "|1.0]");     /* V.250: a missing value is 0 */
    echo_then_plain("ATE0V1", "|1.0]");
    echo_then_plain("ATV1E0", "|1.0]");
    echo_then_plain("ATE0&W", "|1.0]");
}

static void test_echo_match_does_not_swallow_lines(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    static const uint8_t data[3] = { 'x', '\r', 'y' };
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "AT", NULL);
    sm_at_poll(&at);
    feed_str(&at, "AT\r\r\n*MEET AT\r\n+MSG: BE THERE AT\r\nCHAT\r\nOK\r\n");
    /* none of them is taken for the echo (a prefix-less command collects them) */
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |*MEET AT |+MSG: BE THERE AT |CHAT]");
    /* an inline payload's echo goes on with the payload */
    m.io.log[0] = 0;
    m.io.log_len = 0;
    memset(&c, 0, sizeof c);
    c.text = "AT+W=3,";
    c.flags = SM_AT_F_INLINE;
    c.payload = data;
    c.payload_len = 3;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    feed_str(&at, "AT+W=3,x\ry\r\r\nOK\r\n");
    CHECK_EQ_STR(m.io.log, "[done OK code=-2147483648 |y]");
}

static void test_retry_after_timeout_ignores_old_answer(void)
{
    sm_at at;
    mock m;
    sm_at_cmd c;
    setup(&at, &m, NULL, 0);
    submit(&at, &m, "ATE1", NULL);
    sm_at_poll(&at);
    feed_str(&at, "ATE1\r\r\nOK\r\n");
    memset(&c, 0, sizeof c);
    c.text = "AT+SQNSRECV=1,5";
    c.prefix = "+SQNSRECV:";
    c.timeout_ms = 100;
    c.on_done = on_done;
    c.ctx = &m;
    sm_at_submit(&at, &c);
    sm_at_poll(&at);
    feed_str(&at, "AT+SQNSRECV=1,5\r");
    m.io.now += 100;
    sm_at_poll(&at);
    m.io.now += SM_AT_SETTLE_MS;
    sm_at_submit(&at, &c); /* the retry */
    sm_at_poll(&at);
    feed_str(&at, "\r\n+SQNSRECV: 1,OLD\r\n\r\nOK\r\n"); /* the first one's late answer */
    feed_str(&at, "AT+SQNSRECV=1,5\r\r\n+SQNSRECV: 1,NEW\r\n\r\nOK\r\n");
    CHECK(strstr(m.io.log, "|+SQNSRECV: 1,NEW]") != NULL);
    CHECK(strstr(m.io.log, "OLD]") == NULL);
}

/* ---- utilities ------------------------------------------------------------ */
static void test_check_str(void)
{
    static const struct { const char *s; unsigned flags; int want; } cases[] = {
        { "broker.local", 0, SM_OK },
        { "a\"b", 0, SM_ERR_UNSAFE_STRING },
        { "a\rAT+CFUN=0", 0, SM_ERR_UNSAFE_STRING },
        { "a\nb", 0, SM_ERR_UNSAFE_STRING },
        { "a\x1a", 0, SM_ERR_UNSAFE_STRING },
        { "a\x1b", 0, SM_ERR_UNSAFE_STRING },
        { "a\x7f", 0, SM_ERR_UNSAFE_STRING },
        { "a,b", 0, SM_OK },
        { "a,b", SM_STR_NO_COMMA, SM_ERR_UNSAFE_STRING },
        { "a b", SM_STR_NO_SPACE, SM_ERR_UNSAFE_STRING },
        { "", SM_STR_NONEMPTY, SM_ERR_UNSAFE_STRING },
        { "", 0, SM_OK },
        { "caf\xc3\xa9", 0, SM_ERR_UNSAFE_STRING },           /* non-ASCII needs UTF8 */
        { "caf\xc3\xa9", SM_STR_UTF8, SM_OK },
        { "\xc3", SM_STR_UTF8, SM_ERR_UNSAFE_STRING },         /* truncated */
        { "\xc0\xaf", SM_STR_UTF8, SM_ERR_UNSAFE_STRING },     /* overlong '/' */
        { "\xed\xa0\x80", SM_STR_UTF8, SM_ERR_UNSAFE_STRING }, /* surrogate */
        { "\xf4\x90\x80\x80", SM_STR_UTF8, SM_ERR_UNSAFE_STRING }, /* > U+10FFFF */
        { "\xf0\x9f\x98\x80", SM_STR_UTF8, SM_OK },
        { "\xe2\x82", SM_STR_UTF8, SM_ERR_UNSAFE_STRING },
        { "{\"a\":1}", SM_STR_ALLOW_QUOTE, SM_OK },
        { "a\\", 0, SM_ERR_UNSAFE_STRING },                    /* an escape on some firmware */
        { "a\\b", SM_STR_ALLOW_BACKSLASH, SM_OK },
        { "1234;+CFUN=0", SM_STR_NO_SEMICOLON, SM_ERR_UNSAFE_STRING },
        { "0xC02B;0xC02F", 0, SM_OK },                          /* inside quotes it is data */
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = sm_check_str(cases[i].s, 64, cases[i].flags);
        if (rc != cases[i].want) fprintf(stderr, "case %u: \"%s\"\n", (unsigned)i, cases[i].s);
        CHECK_EQ_INT(rc, cases[i].want);
    }
    CHECK_EQ_INT(sm_check_str(NULL, 10, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_check_str("0123456789", 9, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_check_str("0123456789", 10, 0), SM_OK);
}

static void test_buf_builder(void)
{
    char mem[48];
    sm_buf b;
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_str(&b, "AT+X=");
    sm_buf_quoted(&b, "host", 63, 0);
    sm_buf_char(&b, ',');
    sm_buf_u32(&b, 4294967295u);
    sm_buf_char(&b, ',');
    sm_buf_i32(&b, INT32_MIN);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_OK);
    CHECK_EQ_STR(mem, "AT+X=\"host\",4294967295,-2147483648");
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_i32(&b, 42);
    sm_buf_char(&b, ',');
    sm_buf_checked(&b, "plain", 10, SM_STR_NO_COMMA);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_OK);
    CHECK_EQ_STR(mem, "42,plain");
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_str(&b, "AT+X=");
    sm_buf_quoted(&b, "host", 63, 0);
    sm_buf_char(&b, ',');
    sm_buf_u32(&b, 4294967295u);
    sm_buf_char(&b, ',');
    sm_buf_i32(&b, INT32_MIN);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_OK);
    CHECK_EQ_STR(mem, "AT+X=\"host\",4294967295,-2147483648");
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_str(&b, "AT+X=");
    sm_buf_quoted(&b, "ho\"st", 63, 0);
    sm_buf_str(&b, "tail");
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_UNSAFE_STRING); /* latched, later appends ignored */
    CHECK_EQ_STR(mem, "AT+X=");
    sm_buf_init(&b, mem, 8);
    sm_buf_str(&b, "1234567");
    CHECK_EQ_INT(sm_buf_finish(&b), SM_OK);
    sm_buf_char(&b, '8');
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_NO_SPACE);
    CHECK_EQ_STR(mem, "1234567");
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_hex(&b, (const uint8_t *)"\x01\xab\xff", 3);
    sm_buf_checked(&b, "a,b", 10, SM_STR_NO_COMMA);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_STR(mem, "01ABFF");
    /* unquoted text never carries a ';' (a second V.250 command) */
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_str(&b, "AT+CPIN=");
    sm_buf_checked(&b, "1234;+CFUN=0", 16, SM_STR_NO_COMMA | SM_STR_NO_SPACE);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_UNSAFE_STRING);
    /* and a quoted string cannot end in a backslash that escapes its quote */
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_quoted(&b, "a\\", 16, 0);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_UNSAFE_STRING);
}

static void test_fields(void)
{
    static const char line[] = "+CEREG: 5,\"1A2B\", 12 ,\"a,b\",,-7";
    sm_fields f;
    int32_t v;
    char s[8];
    size_t n;
    CHECK_EQ_INT(sm_fields_init(&f, line, sizeof line - 1, "+CEREG:"), SM_OK);
    CHECK_EQ_INT(sm_fields_int(&f, 0, 10, &v), SM_OK);
    CHECK_EQ_INT(v, 5);
    CHECK_EQ_INT(sm_fields_str(&f, s, sizeof s), SM_OK);
    CHECK_EQ_STR(s, "1A2B");
    CHECK_EQ_INT(sm_fields_int(&f, 0, 100, &v), SM_OK);
    CHECK_EQ_INT(v, 12);
    CHECK_EQ_INT(sm_fields_str(&f, s, sizeof s), SM_OK);
    CHECK_EQ_STR(s, "a,b");
    CHECK_EQ_INT(sm_fields_str(&f, s, sizeof s), SM_OK);
    CHECK_EQ_STR(s, "");
    CHECK(sm_fields_more(&f));
    CHECK_EQ_INT(sm_fields_int(&f, -10, 10, &v), SM_OK);
    CHECK_EQ_INT(v, -7);
    CHECK(!sm_fields_more(&f));
    CHECK_EQ_INT(sm_fields_skip(&f), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_fields_init(&f, line, sizeof line - 1, "+COPS:"), SM_ERR_PARSE);
    /* bad inputs */
    sm_fields_init(&f, "\"open", 5, NULL);
    CHECK_EQ_INT(sm_fields_str(&f, s, sizeof s), SM_ERR_PARSE);
    sm_fields_init(&f, "12x", 3, NULL);
    CHECK_EQ_INT(sm_fields_int(&f, 0, 100, &v), SM_ERR_PARSE);
    sm_fields_init(&f, "toolongvalue", 12, NULL);
    CHECK_EQ_INT(sm_fields_str(&f, s, sizeof s), SM_ERR_NO_SPACE);
    sm_fields_init(&f, "\"q\"x,1", 6, NULL);
    CHECK_EQ_INT(sm_fields_skip(&f), SM_ERR_PARSE);
    sm_fields_init(&f, "1,rest of \"line\", here", 22, NULL);
    sm_fields_skip(&f);
    CHECK_EQ_STR(sm_fields_rest(&f, &n), "rest of \"line\", here");
    CHECK_EQ_INT(n, 20);
    CHECK_EQ_INT(sm_parse_i32("2147483647", 10, INT32_MIN, INT32_MAX, &v), SM_OK);
    CHECK_EQ_INT(sm_parse_i32("2147483648", 10, INT32_MIN, INT32_MAX, &v), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_parse_i32("-2147483648", 11, INT32_MIN, INT32_MAX, &v), SM_OK);
    CHECK(v == INT32_MIN);
    CHECK_EQ_INT(sm_parse_i32("-2147483649", 11, INT32_MIN, INT32_MAX, &v), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_parse_i32("-", 1, INT32_MIN, INT32_MAX, &v), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_parse_i32("", 0, INT32_MIN, INT32_MAX, &v), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_parse_i32("99999999999999", 14, INT32_MIN, INT32_MAX, &v), SM_ERR_PARSE);
}

static void test_names(void)
{
    int s;
    for (s = 0; s >= -12; s--) CHECK(strcmp(sm_strerror(s), "unknown status") != 0);
    CHECK_EQ_STR(sm_strerror(-99), "unknown status");
    CHECK_EQ_INT(sm_at_result_status(SM_AT_CME_ERROR), SM_ERR_MODEM);
    CHECK_EQ_INT(sm_at_result_status(SM_AT_TIMEOUT), SM_ERR_TIMEOUT);
    CHECK_EQ_INT(sm_at_result_status(SM_AT_REBOOT), SM_ERR_REBOOT);
    CHECK_EQ_STR(sm_at_result_name(SM_AT_DIALECT_ERROR), "DIALECT_ERROR");
    CHECK_EQ_STR(sm_at_result_name(SM_AT_PENDING), "PENDING");
    CHECK_EQ_INT(sm_at_result_status(SM_AT_CANCELLED), SM_ERR_CANCELLED);
    CHECK_EQ_INT(sm_at_result_status(SM_AT_IO_ERROR), SM_ERR_IO);
    CHECK_EQ_INT(sm_at_result_status(SM_AT_PENDING), SM_ERR_PARAM);
}

int main(void)
{
    RUN(test_simple_ok);
    RUN(test_error_results);
    RUN(test_dialect_final);
    RUN(test_queue);
    RUN(test_text_space);
    RUN(test_submit_all);
    RUN(test_bad_commands);
    RUN(test_transcript_every_split);
    RUN(test_echo_off_and_on);
    RUN(test_prefix_mismatch_is_stray);
    RUN(test_prefix_shared_with_urc);
    RUN(test_answer_or_urc_same_prefix);
    RUN(test_answer_form_before_inline_raw);
    RUN(test_garbage_resync);
    RUN(test_reboot_mid_response);
    RUN(test_reboot_late_answer);
    RUN(test_reboot_while_waiting_prompt);
    RUN(test_reboot_marker_mid_line);
    RUN(test_prompt_payload_binary);
    RUN(test_inline_payload);
    RUN(test_slow_uart);
    RUN(test_write_failure);
    RUN(test_raw_truncated_and_via_sink);
    RUN(test_raw_deadline);
    RUN(test_raw_lead);
    RUN(test_raw_lead_error);
    RUN(test_raw_lead_error_short);
    RUN(test_inline_raw_every_split);
    RUN(test_inline_raw_cases);
    RUN(test_timeout_and_settle);
    RUN(test_timeout_waiting_prompt);
    RUN(test_late_answer_before_echo);
    RUN(test_callbacks_reentrancy);
    RUN(test_two_instances);
    RUN(test_pull_mode_and_blocking);
    RUN(test_response_overflow_reported);
    RUN(test_urc_tables_and_sinks);
    RUN(test_long_echo);
    RUN(test_timeout_mid_text_ends_the_line);
    RUN(test_timeout_mid_payload_sends_the_rest);
    RUN(test_owed_payload_uart_stuck);
    RUN(test_replayable_payloads);
    RUN(test_lost_prompt_replays_payload);
    RUN(test_lost_error_replayed_payload_is_a_junk_line);
    RUN(test_lost_prompt_unsafe_payload_is_never_replayed);
    RUN(test_final_while_owed_ends_it);
    RUN(test_flush_mid_payload_sends_the_rest);
    RUN(test_timeout_mid_inline_payload_finishes_the_line);
    RUN(test_late_prompt_gets_filler);
    RUN(test_lost_prompt_is_filled);
    RUN(test_uart_stuck_does_not_block_forever);
    RUN(test_raw_owed_after_timeout_is_not_the_next_answer);
    RUN(test_settling_is_bounded_under_traffic);
    RUN(test_settling_ends_while_idle);
    RUN(test_huge_timeout_is_clamped);
    RUN(test_clock_steps_back_or_jumps);
    RUN(test_flush_from_on_done_keeps_lines);
    RUN(test_echo_setting_variants);
    RUN(test_echo_match_does_not_swallow_lines);
    RUN(test_retry_after_timeout_ignores_old_answer);
    RUN(test_check_str);
    RUN(test_buf_builder);
    RUN(test_fields);
    RUN(test_names);
    /* sm_at_next_line() agreed with the lines of every completion above */
    CHECK(g_next_line_seen > 100);
    CHECK_EQ_INT(g_next_line_bad, 0);
    CHECK(sm_at_next_line(NULL, NULL) == NULL);
    return sm_test_finish("test_at");
}
