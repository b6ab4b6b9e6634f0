/* test_edge.c - the edges the other unit tests leave: every defensive
   argument check of the utilities, the engine, the socket stream, the
   ATECC command builders and the CSR helpers answers as documented; the
   Sequans and Cordelia parsers refuse each malformed field of the lines
   they parse (the line is then reported as unhandled, never half-used);
   the parsers' own helpers (echo setting, clock, registration, DER and PEM
   label lengths, UTF-8) on their boundary values. Private helpers are
   called directly: this file includes the implementation.
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake.h"

/* ---- a mock modem line ---------------------------------------------------- */
typedef struct mock {
    sm_fake io;         /* the UART and the clock (io.write_ret: what write returns) */
    int unhandled, events, last_event;
    char last_line[256];
} mock;

static void platform(mock *m, sm_platform *p)
{
    memset(m, 0, sizeof *m);
    memset(p, 0, sizeof *p);
    p->user = &m->io;
    p->write = sm_fake_write;
    p->now_ms = sm_fake_now;
}

/* ---- utilities ------------------------------------------------------------ */
static void test_utilities(void)
{
    sm_buf b;
    char mem[8], out[16];
    uint8_t bin[16] = { 0 };
    size_t n = 0;
    int32_t v;
    uint32_t u;
    sm_fields f;
    /* buffer builder: no memory, no capacity, an error that latches */
    sm_buf_init(&b, NULL, 4);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_PARAM);
    sm_buf_init(&b, mem, 0);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_PARAM);
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_str(&b, "0123456789");           /* too long: NO_SPACE latches */
    sm_buf_quoted(&b, "x", 4, 0);            /* ignored after the error */
    sm_buf_hex(&b, (const uint8_t *)"\x01\x02", 2);
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_NO_SPACE);
    sm_buf_init(&b, mem, sizeof mem);
    sm_buf_hex(&b, (const uint8_t *)"\x01\x02\x03\x04\x05", 5); /* stops when full */
    CHECK_EQ_INT(sm_buf_finish(&b), SM_ERR_NO_SPACE);
    /* numbers: results without a destination, bad digits, signs */
    CHECK_EQ_INT(sm_parse_i32("12", 2, 0, 99, NULL), SM_OK);
    CHECK_EQ_INT(sm_parse_u32("7", 1, NULL), SM_OK);
    CHECK_EQ_INT(sm_parse_u32("1a", 2, &u), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_parse_u32("1/", 2, &u), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_parse_i32("-5", 2, -9, 9, &v), SM_OK);
    CHECK_EQ_INT(v, -5);
    /* fields: a line shorter than its prefix, spaces, the rest when done */
    CHECK_EQ_INT(sm_fields_init(&f, "+A", 2, "+ABC:"), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_fields_init(&f, "+ABC: 1,  2", 11, "+ABC:"), SM_OK);
    CHECK_EQ_INT(sm_fields_int(&f, 0, 9, &v), SM_OK);
    CHECK_EQ_INT(v, 1);
    CHECK_EQ_INT(sm_fields_int(&f, 0, 9, &v), SM_OK);
    CHECK_EQ_INT(v, 2);
    CHECK(sm_fields_rest(&f, &n) != NULL && n == 0);
    CHECK_EQ_INT(sm_fields_init(&f, "+S: \"abcdef\"", 12, "+S:"), SM_OK);
    CHECK_EQ_INT(sm_fields_str(&f, NULL, 0), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_fields_init(&f, "+S: \"abcdef\"", 12, "+S:"), SM_OK);
    CHECK_EQ_INT(sm_fields_str(&f, out, 3), SM_ERR_NO_SPACE);
    /* Base64: NULL arguments, no room, every decode refusal */
    CHECK_EQ_INT(sm_base64_encode(NULL, 3, out, sizeof out, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_base64_encode(bin, 3, NULL, sizeof out, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_base64_encode(NULL, 0, out, sizeof out, &n), SM_OK);
    CHECK_EQ_INT(sm_base64_encode(bin, 3, out, 4, &n), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_base64_decode(NULL, 4, bin, sizeof bin, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_base64_decode("QUJD", 4, NULL, 4, &n), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_base64_decode("QUJD", 4, bin, sizeof bin, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_base64_decode(NULL, 0, NULL, 0, &n), SM_OK);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(sm_base64_decode("QUJD", 4, bin, sizeof bin, &n), SM_OK);
    CHECK(n == 3 && memcmp(bin, "ABC", 3) == 0);
    CHECK_EQ_INT(sm_base64_decode("az+/", 4, bin, sizeof bin, &n), SM_OK);
    CHECK_EQ_INT(sm_base64_decode("QU*D", 4, bin, sizeof bin, &n), SM_ERR_PARSE);
    /* UTF-8: an overlong four-byte form of U+FFFF */
    CHECK_EQ_INT(sm_check_str("\xf0\x8f\xbf\xbf", 16, SM_STR_UTF8), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_check_str("\xf0\x90\x80\x80", 16, SM_STR_UTF8), SM_OK);
}

/* ---- AT engine -------------------------------------------------------------- */
static void done_count(void *ctx, const sm_at_response *r) { (void)r; ++*(int *)ctx; }

static void long_nop(void *ctx, sm_at *at, const char *piece, size_t len, unsigned flags)
{
    (void)ctx;
    (void)at;
    (void)piece;
    (void)len;
    (void)flags;
}

static void test_engine_edges(void)
{
    mock m;
    sm_platform p;
    static sm_at at;
    sm_at_cmd c;
    sm_at_response r;
    int n = 0;
    /* the echo setting of a command line */
    CHECK_EQ_INT(sm_at_echo_setting("AT", 2), -1);
    CHECK_EQ_INT(sm_at_echo_setting("XTE1", 4), -1);
    CHECK_EQ_INT(sm_at_echo_setting("AXE1", 4), -1);
    CHECK_EQ_INT(sm_at_echo_setting("aTE1", 4), 1);
    CHECK_EQ_INT(sm_at_echo_setting("AtE", 3), 0);
    CHECK_EQ_INT(sm_at_echo_setting("ATe1V1", 6), 1);
    CHECK_EQ_INT(sm_at_echo_setting("ATV1E0", 6), 0);
    CHECK_EQ_INT(sm_at_echo_setting("AT&E1", 5), -1);   /* &E is another command */
    CHECK_EQ_INT(sm_at_echo_setting("AT\\E1", 5), -1);
    CHECK_EQ_INT(sm_at_echo_setting("AT+CMEE=1", 9), -1); /* E inside an extended command */
    CHECK_EQ_INT(sm_at_echo_setting("AT^SEE", 6), -1);
    CHECK_EQ_INT(sm_at_echo_setting("AT%E1", 5), -1);
    CHECK_EQ_INT(sm_at_echo_setting("AT$E1", 5), -1);
    /* init and its refusals */
    platform(&m, &p);
    CHECK_EQ_INT(sm_at_init(NULL, &p, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_init(&at, NULL, NULL), SM_ERR_PARAM);
    p.write = NULL;
    CHECK_EQ_INT(sm_at_init(&at, &p, NULL), SM_ERR_PARAM);
    p.write = sm_fake_write;
    p.now_ms = NULL;
    CHECK_EQ_INT(sm_at_init(&at, &p, NULL), SM_ERR_PARAM);
    p.now_ms = sm_fake_now;
    CHECK_EQ_INT(sm_at_init(&at, &p, NULL), SM_OK);
    CHECK_EQ_INT(sm_at_feed(NULL, (const uint8_t *)"x", 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_feed(&at, NULL, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_feed(&at, NULL, 0), SM_OK);
    CHECK_EQ_INT(sm_at_poll(NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_add_urcs(NULL, NULL, 0, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_add_urcs(&at, NULL, 1, NULL), SM_ERR_PARAM);
    /* commands refused before they are queued */
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(sm_at_submit(&at, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);
    c.text = "";
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);
    c.text = "AT\x7f";
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_UNSAFE_STRING);
    c.text = "AT";
    c.raw_len = 4;
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);     /* no lead */
    c.raw_lead = "";
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);
    c.raw_lead = "123456789";
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_PARAM);     /* over 8 bytes */
    c.raw_lead = "<<<";
    /* a headerless read needs its code turned on (and linked) first */
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_submit_all(&at, &c, 1), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_use_headerless(NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_use_headerless(&at), SM_OK);
    CHECK(sm_at_submit(&at, &c) > 0);
    /* over-long lines in pieces: their code is reached only through the
       table sm_at_on_long_line installs */
    CHECK(at.long_ops == NULL);
    sm_at_on_long_line(&at, "+LONG:", long_nop, NULL);
    CHECK(at.long_ops != NULL);
    /* raw bytes inline in an answer line: refused until their code is on */
    memset(&c, 0, sizeof c);
    c.text = "AT+RECV";
    c.prefix = "+RECV:";
    c.flags = SM_AT_F_RAW_AFTER(2);
    CHECK_EQ_INT(sm_at_submit(&at, &c), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_use_inline_raw(NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_use_inline_raw(&at), SM_OK);
    CHECK(sm_at_submit(&at, &c) > 0);
    /* the result of an id that is not the last one */
    CHECK_EQ_INT(sm_at_result_of(&at, 0), SM_AT_PENDING);
    CHECK_EQ_INT(sm_at_result_of(&at, 999), SM_AT_PENDING);
    /* a port whose write fails: the command ends with IO_ERROR */
    m.io.write_ret = -1;
    memset(&c, 0, sizeof c);
    c.text = "AT+X";
    c.on_done = done_count;
    c.ctx = &n;
    sm_at_flush(&at, SM_AT_CANCELLED);
    CHECK(sm_at_submit(&at, &c) > 0);
    sm_at_poll(&at);
    CHECK_EQ_INT(n, 1);
    /* a port that claims more than it was given */
    m.io.write_ret = 1000;
    CHECK(sm_at_submit(&at, &c) > 0);
    sm_at_poll(&at);
    CHECK_EQ_INT(n, 2);
    m.io.write_ret = 0;
    /* flush with OK/PENDING reports CANCELLED */
    CHECK(sm_at_submit(&at, &c) > 0);
    sm_at_flush(&at, SM_AT_OK);
    CHECK_EQ_INT(n, 3);
    /* blocking helper: refusals */
    CHECK_EQ_INT(sm_at_run_blocking(&at, NULL, &r, NULL, 0), SM_ERR_PARAM);
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(sm_at_run_blocking(&at, &c, NULL, NULL, 0), SM_ERR_PARAM);
}

/* ---- Sequans: malformed answers and URCs ------------------------------------ */
static int g_unhandled;
static void sqn_ev(void *ctx, sm_sqn *m, const sm_event *ev)
{
    (void)ctx;
    (void)m;
    /* a signing request that cannot be used is reported as HCE_INVALID */
    if (ev->type == SM_SQN_EV_UNHANDLED || ev->type == SM_SQN_EV_HCE_INVALID) g_unhandled++;
}

static void feed_line(sm_sqn *m, const char *line)
{
    sm_sqn_feed(m, (const uint8_t *)"\r\n", 2);
    sm_sqn_feed(m, (const uint8_t *)line, strlen(line));
    sm_sqn_feed(m, (const uint8_t *)"\r\n", 2);
    sm_sqn_poll(m);
}

/* Each line must be refused by its parser: reported as unhandled. */
static void expect_unhandled(sm_sqn *m, const char *line)
{
    int before = g_unhandled;
    feed_line(m, line);
    if (g_unhandled != before + 1) fprintf(stderr, "  accepted: %s\n", line);
    CHECK_EQ_INT(g_unhandled, before + 1);
}

static void test_sequans_parsers(void)
{
    static sm_sqn m;
    mock mk;
    sm_platform p;
    sm_datetime c;
    uint8_t stat;
    sm_result res;
    platform(&mk, &p);
    CHECK_EQ_INT(sm_sqn_init(&m, &p, sqn_ev, NULL), SM_OK);
    /* the clock */
    CHECK_EQ_INT(sm_sqn_parse_cclk("+CCLK: \"24/05/06,07:08:09+08\"", 29, &c), SM_OK);
    CHECK(c.valid && c.year == 2024 && c.month == 5 && c.tz_quarters == 8);
    CHECK_EQ_INT(sm_sqn_parse_cclk("+CCLK: \"80/01/01,00:00:00-04\"", 29, &c), SM_OK);
    CHECK(!c.valid && c.year == 1980 && c.tz_quarters == -4);
    {
        static const char *const bad[] = {
            "+CCLK: 5", "+CCLK: \"24/05/06,07:08\"", "+CCLK: \"2x/05/06,07:08:09+08\"",
            "+CCLK: \"24-05/06,07:08:09+08\"", "+CCLK: \"24/05/06,07:08:09*08\"",
            "+CCLK: \"24/05/06,07:08:09+99\"", "+CCLK: \"24/00/06,07:08:09+00\"",
            "+CCLK: \"24/13/06,07:08:09+00\"", "+CCLK: \"24/05/00,07:08:09+00\"",
            "+CCLK: \"24/05/32,07:08:09+00\"", "+CCLK: \"24/05/06,24:08:09+00\"",
            "+CCLK: \"24/05/06,07:60:09+00\"", "+CCLK: \"24/05/06,07:08:61+00\"",
            "+CCLK: \"24/05/06 07:08:09+00\"", "+CCLK: \"24/05/06,07-08:09+00\"",
        };
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
            CHECK_EQ_INT(sm_sqn_parse_cclk(bad[i], strlen(bad[i]), &c), SM_ERR_PARSE);
    }
    /* registration: URC and answer forms */
    CHECK_EQ_INT(sm_sqn_parse_cereg("+CEREG: 5", 9, &stat), SM_OK);
    CHECK_EQ_INT(stat, 5);
    CHECK_EQ_INT(sm_sqn_parse_cereg("+CEREG: 2,1", 11, &stat), SM_OK);
    CHECK_EQ_INT(stat, 1);
    CHECK_EQ_INT(sm_sqn_parse_cereg("+CEREG: 1,\"0001\",\"01A2\",7", 25, &stat), SM_OK);
    CHECK_EQ_INT(stat, 1);
    CHECK_EQ_INT(sm_sqn_parse_cereg("+CEREG: 2,x", 11, &stat), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_sqn_parse_cereg("+CEREG: 11", 10, &stat), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_sqn_parse_cereg("+CEREG: x", 9, &stat), SM_ERR_PARSE);
    CHECK_EQ_INT(sm_sqn_parse_cereg("+CEREG: 2,  5", 13, &stat), SM_OK);
    CHECK_EQ_INT(stat, 5);
    /* an error that took the place of a headerless MQTT payload */
    memset(&res, 0, sizeof res);
    sm_sqn_error_in_payload((const uint8_t *)"+CME ERROR:  42", 15, &res);
    CHECK(res.status == SM_ERR_MODEM && res.at == SM_AT_CME_ERROR && res.code == 42);
    memset(&res, 0, sizeof res);
    sm_sqn_error_in_payload((const uint8_t *)"ERROR\r\n", 7, &res);
    CHECK(res.status == SM_ERR_MODEM && res.at == SM_AT_ERROR);
    memset(&res, 0, sizeof res);
    sm_sqn_error_in_payload((const uint8_t *)"ERR", 3, &res);
    CHECK_EQ_INT(res.status, SM_OK);
    /* host names the dialect accepts */
    CHECK(sm_sqn_is_host('G') && sm_sqn_is_host('z') && sm_sqn_is_host('_') && sm_sqn_is_host(':'));
    CHECK(!sm_sqn_is_host('"') && !sm_sqn_is_host(' ') && !sm_sqn_is_host(','));
    /* malformed URCs: each field wrong in turn */
    expect_unhandled(&m, "+SQNHTTPRING: x,200,text/plain,5");
    expect_unhandled(&m, "+SQNHTTPRING: 0,abc,text/plain,5");
    expect_unhandled(&m, "+SQNHTTPRING: 0,200");
    expect_unhandled(&m, "+SQNHTTPRING: 0,200,text/plain,-1");
    expect_unhandled(&m, "+SQNHTTPRING: 9,200,text/plain,5");
    expect_unhandled(&m, "+SQNHTTPSH: x,7");
    expect_unhandled(&m, "+SQNHTTPSH: 0,x");
    expect_unhandled(&m, "+SQNSMQTTONMESSAGE:0,\"t\",x,1");
    expect_unhandled(&m, "+SQNSMQTTONMESSAGE:0,\"t\",5,3");
    expect_unhandled(&m, "+SQNSMQTTONMESSAGE:0,\"t\",5,1,x");
    expect_unhandled(&m, "+SQNSMQTTONPUBLISH:0,x,0");
    expect_unhandled(&m, "+SQNSMQTTONPUBLISH:0,1,x");
    expect_unhandled(&m, "+CEREG: 99");
}

/* ---- the socket stream's refusals and its queue-full path ---------------- */
static void test_stream_edges(void)
{
    static sm_sqn m;
    static sm_sqn_stream st;
    mock mk;
    sm_platform p;
    uint8_t b[4];
    int i;
    platform(&mk, &p);
    sm_sqn_init(&m, &p, NULL, NULL);
    CHECK_EQ_INT(sm_sqn_stream_init(NULL, &m, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_stream_init(&st, NULL, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_stream_write(NULL, b, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_stream_read(NULL, b, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_stream_unsent(NULL), 0);
    sm_sqn_stream_kick(NULL);
    CHECK_EQ_INT(sm_sqn_stream_init(&st, &m, 1), SM_OK);
    CHECK_EQ_INT(sm_sqn_stream_write(&st, NULL, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_stream_read(&st, NULL, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_stream_write(&st, NULL, 0), 0);
    /* the modem's queue is full: the stream waits, then sends */
    for (i = 0; i < SM_SQN_OPS; i++) sm_sqn_sock_status(&m, NULL, NULL);
    CHECK_EQ_INT(sm_sqn_stream_write(&st, (const uint8_t *)"ab", 2), 2);
    CHECK_EQ_INT(st.sending, 0);
    CHECK_EQ_INT(sm_sqn_stream_read(&st, b, sizeof b), 0);
    CHECK_EQ_INT(st.status, SM_OK);
    /* data announced while the queue is full: the read waits too */
    m.st.sock[0].pending = 3;
    sm_sqn_stream_kick(&st);
    CHECK_EQ_INT(st.receiving, 0);
    CHECK_EQ_INT(st.status, SM_OK);
    /* a receive that fails ends the stream with its status */
    sm_sqn_init(&m, &p, NULL, NULL);
    sm_sqn_stream_init(&st, &m, 1);
    m.st.sock[0].pending = 3;
    sm_sqn_stream_kick(&st);
    CHECK_EQ_INT(st.receiving, 1);
    sm_sqn_poll(&m);
    mk.io.now += SM_SQN_SOCK_TIMEOUT_MS + 1;
    sm_sqn_poll(&m);
    CHECK_EQ_INT(st.status, SM_ERR_TIMEOUT);
    CHECK_EQ_INT(sm_sqn_stream_read(&st, b, sizeof b), SM_ERR_TIMEOUT);
}

/* ---- Cordelia: malformed events and answers ---------------------------------- */
static int g_cord_unhandled, g_cord_recv;
static void cord_ev(void *ctx, sm_cord *c, const sm_event *ev)
{
    (void)ctx;
    (void)c;
    if (ev->type == SM_CORD_EV_UNHANDLED) g_cord_unhandled++;
    if (ev->type == SM_CORD_EV_MQTT_RECV) g_cord_recv++;
}

static void cord_line(sm_cord *c, const char *line)
{
    sm_cord_feed(c, (const uint8_t *)line, strlen(line));
    sm_cord_feed(c, (const uint8_t *)"\r\n", 2);
    sm_cord_poll(c);
}

static void test_cordelia_events(void)
{
    static sm_cord c;
    mock mk;
    sm_platform p;
    static const char *const bad[] = {
        "+eventmqtt:recv,topic",                 /* no QoS, no payload */
        "+eventmqtt:recv,topic,qos",             /* QoS not qos<N> */
        "+eventmqtt:recv,topic,xos0,\"p\"",
        "+eventmqtt:recv,topic,qxs0,\"p\"",
        "+eventmqtt:recv,topic,qox0,\"p\"",
        "+eventmqtt:recv,topic,qos3,\"p\"",
        "+eventmqtt:recv,topic,qos/,\"p\"",
    };
    size_t i;
    platform(&mk, &p);
    sm_cord_init(&c, &p, cord_ev, NULL);
    sm_cord_use_mqtt(&c); /* parsed, not only reported as the lines of an unused feature */
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int before = g_cord_unhandled;
        cord_line(&c, bad[i]);
        if (g_cord_unhandled != before + 1) fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK_EQ_INT(g_cord_unhandled, before + 1);
    }
    /* a payload without quotes, and QOS in capitals */
    cord_line(&c, "+eventmqtt:recv,topic,QOS1,bare payload");
    CHECK_EQ_INT(g_cord_recv, 1);
    cord_line(&c, "+eventmqtt:recv,topic,qos2,\"");
    CHECK_EQ_INT(g_cord_recv, 2);
}

/* ---- ATECC command builders and init ------------------------------------------ */
static int n_i2c(void *u, uint8_t a, const uint8_t *d, size_t n) { (void)u; (void)a; (void)d; (void)n; return 0; }
static int n_i2c_r(void *u, uint8_t a, uint8_t *d, size_t n) { (void)u; (void)a; (void)d; (void)n; return 0; }

static void test_atecc_edges(void)
{
    sm_atecc_cmd c;
    static sm_atecc se;
    sm_platform p;
    mock mk;
    uint8_t d64[64] = { 0 };
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, 0x08, NULL, 0), SM_ERR_PARAM);               /* reserved bits */
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_TARGET_ALTKEYBUF, NULL, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_SHA_START | 0x40, NULL, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_SHA_START, NULL, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_SHA_UPDATE, d64, 63), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_SHA_UPDATE | 0x40, d64, 64), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_SHA_UPDATE, d64, 64), SM_OK);
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_SHA_END, d64, 64), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_sha(&c, SM_ATECC_SHA_END, d64, 10), SM_OK);
    CHECK_EQ_INT(sm_atecc_cmd_ecdh(&c, 2, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_ecdh(&c, 16, d64), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_cmd_nonce_random(&c, 0, NULL), SM_ERR_PARAM);
    platform(&mk, &p);
    p.i2c_write = n_i2c;
    p.i2c_read = n_i2c_r;
    CHECK_EQ_INT(sm_atecc_init(NULL, &p, 0x60), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_init(&se, NULL, 0x60), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_atecc_init(&se, &p, 0x80), SM_ERR_PARAM);
    p.i2c_read = NULL;
    CHECK_EQ_INT(sm_atecc_init(&se, &p, 0x60), SM_ERR_PARAM);
    p.i2c_read = n_i2c_r;
    p.now_ms = NULL;
    CHECK_EQ_INT(sm_atecc_init(&se, &p, 0x60), SM_ERR_PARAM);
}

/* ---- CSR helpers: DER lengths and PEM labels ------------------------------------ */
static void test_der_pem_edges(void)
{
    static const uint8_t long1[] = { 0x30, 0x81, 0x80 };
    static const uint8_t short_long[] = { 0x30, 0x81, 0x10 };  /* not minimal */
    static const uint8_t zero_lead[] = { 0x30, 0x82, 0x00, 0x80 };
    static const uint8_t indefinite[] = { 0x30, 0x80 };
    static const uint8_t truncated[] = { 0x30, 0x82, 0x01 };
    char out[256];
    size_t n;
    CHECK_EQ_INT(sm_der_value_len(long1, 1), 0);
    CHECK_EQ_INT(sm_der_value_len(long1, sizeof long1), 3 + 0x80);
    CHECK_EQ_INT(sm_der_value_len(short_long, sizeof short_long), 0);
    CHECK_EQ_INT(sm_der_value_len(zero_lead, sizeof zero_lead), 0);
    CHECK_EQ_INT(sm_der_value_len(indefinite, sizeof indefinite), 0);
    CHECK_EQ_INT(sm_der_value_len(truncated, sizeof truncated), 0);
    CHECK_EQ_INT(sm_pem_label_len(NULL), 0);
    CHECK_EQ_INT(sm_pem_label_len(""), 0);
    CHECK_EQ_INT(sm_pem_label_len(" X"), 0);
    CHECK_EQ_INT(sm_pem_label_len("-X"), 0);
    CHECK_EQ_INT(sm_pem_label_len("X "), 0);
    CHECK_EQ_INT(sm_pem_label_len("X-"), 0);
    CHECK_EQ_INT(sm_pem_label_len("X\tY"), 0);
    CHECK_EQ_INT(sm_pem_label_len("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0); /* 65 */
    CHECK_EQ_INT(sm_pem_label_len("CERTIFICATE REQUEST"), 19);
    CHECK_EQ_INT(sm_pem_encode("X-", (const uint8_t *)"a", 1, out, sizeof out, &n), SM_ERR_PARAM);
}


/* ---- every Sequans start function: NULL instance, out-of-range numbers ------ */
static void sqn_nop(void *ctx, sm_sqn *m, const sm_result *r) { (void)ctx; (void)m; (void)r; }

static void test_sequans_arguments(void)
{
    static sm_sqn m;
    mock mk;
    sm_platform p;
    sm_sqn_tls t;
    sm_sqn_http_req rq;
    uint8_t b[8] = { 0 };
    platform(&mk, &p);
    sm_sqn_init(&m, &p, NULL, NULL);
    CHECK_EQ_INT(sm_sqn_init(NULL, &p, NULL, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_poll(NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_feed(NULL, b, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_bringup(NULL, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_clock_read(NULL, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_identity(NULL, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_func_read(NULL, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_nvm_write(NULL, SM_SQN_NVM_CERT, 1, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_nvm_read_cert(NULL, 1, b, sizeof b, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_nvm_read_cert(&m, 200, b, sizeof b, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_nvm_key_info(NULL, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_nvm_delete(NULL, SM_SQN_NVM_CERT, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_nvm_delete(&m, SM_SQN_NVM_CERT, 200, sqn_nop, NULL), SM_ERR_PARAM);
    sm_sqn_tls_defaults(NULL, 1, 1, 1);
    sm_sqn_tls_defaults(&t, 1, 1, 1);
    CHECK_EQ_INT(sm_sqn_tls_config(NULL, &t, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_tls_config(&m, NULL, sqn_nop, NULL), SM_ERR_PARAM);
    t.key_in_host = 2;
    CHECK_EQ_INT(sm_sqn_tls_config(&m, &t, sqn_nop, NULL), SM_ERR_PARAM);
    sm_sqn_tls_defaults(&t, 1, 1, 1);
    t.resume = 2;
    CHECK_EQ_INT(sm_sqn_tls_config(&m, &t, sqn_nop, NULL), SM_ERR_PARAM);
    sm_sqn_tls_defaults(&t, 1, 1, 1);
    t.cert_slot = 100;
    CHECK_EQ_INT(sm_sqn_tls_config(&m, &t, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_config(NULL, 1, 1, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_config(&m, 0, 1, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_config(&m, 1, 0, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_config(&m, 1, 17, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_tls(NULL, 1, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_tls(&m, 9, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_tls(&m, 1, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_tls(&m, 1, 7, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_dial(NULL, 1, "h", 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_dial(&m, 1, "h", 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_send(NULL, 1, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_send(&m, 0, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_send(&m, 1, NULL, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_send(&m, 1, b, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_recv(NULL, 1, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_recv(&m, 0, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_recv(&m, 1, NULL, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_recv(&m, 1, b, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_close(NULL, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_close(&m, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_status(NULL, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_info(NULL, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_sock_info(&m, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_config(NULL, "c", NULL, NULL, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_config(&m, "c", NULL, NULL, 7, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_connect(NULL, "h", 1, 60, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_connect(&m, "h", 0, 60, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(NULL, "a", 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(&m, "a", 3, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_unsubscribe(NULL, "a", sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_publish(NULL, "a", 0, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_publish(&m, "a", 3, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_publish(&m, "a", 0, NULL, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_publish(&m, "a", 0, b, 0, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_read(NULL, "a", 0, 1, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_read(&m, "a", 0, 1, NULL, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_read(&m, "a", 0, 70000, b, 1, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_disconnect(NULL, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_http_config(NULL, 0, "h", 1, 0, NULL, NULL, sqn_nop, NULL), SM_ERR_PARAM);
    memset(&rq, 0, sizeof rq);
    rq.resource = "/";
    CHECK_EQ_INT(sm_sqn_http_request(NULL, &rq, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_http_request(&m, NULL, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_http_read(NULL, 0, b, sizeof b, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_hce_reply(NULL, 1, 0, b, sqn_nop, NULL), SM_ERR_PARAM);
    CHECK(strcmp(sm_sqn_event_name((sm_sqn_event_type)0), "?") == 0);
    CHECK(strcmp(sm_sqn_op_name((sm_sqn_op_kind)0), "?") == 0);
    CHECK(strcmp(sm_sqn_op_name(SM_SQN_OP_HCE_REPLY), "HCE_REPLY") == 0);
    /* nothing was queued by any of them */
    sm_sqn_poll(&m);
    CHECK_EQ_INT(mk.io.tx_len, 0);
}

/* ---- Sequans answers whose header is malformed: the framing holds (the
   announced bytes are read), the result says PARSE -------------------------- */
static int g_status;
static void sqn_status(void *ctx, sm_sqn *m, const sm_result *r) { (void)ctx; (void)m; g_status = r->status; }

static void sqn_answer(sm_sqn *m, mock *mk, const char *answer)
{
    sm_sqn_poll(m);
    mk->io.tx_len = 0;
    sm_sqn_feed(m, (const uint8_t *)answer, strlen(answer));
    sm_sqn_poll(m);
}

static void test_sequans_bad_headers(void)
{
    static sm_sqn m;
    mock mk;
    sm_platform p;
    static uint8_t buf[64];
    static const char *const srecv[] = {
        "\r\n+SQNSRECV: x,3\r\n\r\nOK\r\n", "\r\n+SQNSRECV: 1,x\r\n\r\nOK\r\n",
        "\r\n+SQNSRECV: 1,3,9\r\n\r\nOK\r\n", "\r\n+SQNSRECV: 2,3\r\nabc\r\n\r\nOK\r\n",
    };
    static const char *const nvr[] = {
        "\r\n+SQNSNVR: 5,19,3\r\nabc\r\n\r\nOK\r\n", "\r\n+SQNSNVR: \"certificate\",x,3\r\n\r\nOK\r\n",
        "\r\n+SQNSNVR: \"privatekey\",19,3\r\nabc\r\n\r\nOK\r\n",
    };
    static const char *const info[] = {
        "\r\n+SQNSI: x,1,2,3,4\r\n\r\nOK\r\n", "\r\n+SQNSI: 2,1,2,3,4\r\n\r\nOK\r\n",
        "\r\n+SQNSI: 1,1,x,3,4\r\n\r\nOK\r\n",
    };
    size_t i;
    platform(&mk, &p);
    sm_sqn_init(&m, &p, NULL, NULL);
    for (i = 0; i < sizeof srecv / sizeof srecv[0]; i++) {
        g_status = 99;
        CHECK(sm_sqn_sock_recv(&m, 1, buf, sizeof buf, sqn_status, NULL) > 0);
        sqn_answer(&m, &mk, srecv[i]);
        CHECK_EQ_INT(g_status, SM_ERR_PARSE);
    }
    for (i = 0; i < sizeof nvr / sizeof nvr[0]; i++) {
        g_status = 99;
        CHECK(sm_sqn_nvm_read_cert(&m, 19, buf, sizeof buf, sqn_status, NULL) > 0);
        sqn_answer(&m, &mk, nvr[i]);
        if (g_status != SM_ERR_PARSE) fprintf(stderr, "  nvr answer %u\n", (unsigned)i);
        CHECK_EQ_INT(g_status, SM_ERR_PARSE);
    }
    for (i = 0; i < sizeof info / sizeof info[0]; i++) {
        g_status = 99;
        CHECK(sm_sqn_sock_info(&m, 1, sqn_status, NULL) > 0);
        sqn_answer(&m, &mk, info[i]);
        CHECK_EQ_INT(g_status, SM_ERR_PARSE);
    }
    /* counts above 65535 are capped, not wrapped */
    CHECK(sm_sqn_sock_info(&m, 1, sqn_status, NULL) > 0);
    sqn_answer(&m, &mk, "\r\n+SQNSI: 1,1,2,99999,4\r\n\r\nOK\r\n");
    CHECK_EQ_INT(g_status, SM_OK);
    CHECK_EQ_INT(m.st.sock[0].pending, 65535);
    /* malformed socket URCs are reported as unhandled */
    g_unhandled = 0;
    sm_sqn_init(&m, &p, sqn_ev, NULL);
    expect_unhandled(&m, "+SQNSRING: 9,5");
    expect_unhandled(&m, "+SQNSRING: 1,x");
    expect_unhandled(&m, "+SQNSH: 0");
    expect_unhandled(&m, "+SQNSMQTTONCONNECT:0,x");
    expect_unhandled(&m, "+SQNSMQTTONSUBSCRIBE:0,\"t\",x");
    expect_unhandled(&m, "+SQNHCESIGN: x,1,0,\"00\"");
}

/* ---- every Cordelia start function with a NULL instance ------------------------ */
static void cord_nop(void *ctx, sm_cord *c, const sm_result *r) { (void)ctx; (void)c; (void)r; }

static void test_cordelia_arguments(void)
{
    uint8_t b[4] = { 0 };
    sm_cord_tls t;
    sm_cord_mqtt_opts cfg;
    memset(&t, 0, sizeof t);
    sm_cord_mqtt_opts_init(&cfg);
    sm_cord_mqtt_opts_init(NULL);
    CHECK_EQ_INT(sm_cord_init(NULL, NULL, NULL, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_poll(NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_feed(NULL, b, 1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_busy(NULL), 0);
    CHECK_EQ_INT(sm_cord_pending(NULL, 1), 0);
    sm_cord_cancel(NULL);
    CHECK(sm_cord_get_state(NULL) == NULL);
    CHECK(sm_cord_at(NULL) == NULL);
    CHECK_EQ_INT(sm_cord_test(NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_reboot(NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_hibernate(NULL, 60, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_factory_reset(NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_get(NULL, "a", "b", cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_set_str(NULL, "a", "b", "c", cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_set_int(NULL, "a", "b", 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_set_bool(NULL, "a", "b", 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_mqtt_config(NULL, &cfg, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_wlan_connect(NULL, "s", SM_CORD_SEC_OPEN, NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_wlan_disconnect(NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_wlan_set_mode(NULL, SM_CORD_MODE_STA, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_open(NULL, "f", SM_CORD_FILE_READ, 0, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_write(NULL, 1, 0, b, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_read(NULL, 1, 0, b, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_close(NULL, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_delete(NULL, "f", cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_get_info(NULL, "f", cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_list(NULL, NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_file_upload(NULL, "f", b, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_sock_open(NULL, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_sock_tls(NULL, 1, &t, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_sock_dial(NULL, 1, "a", 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_sock_send(NULL, 1, b, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_sock_recv(NULL, 1, b, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_sock_close(NULL, 1, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_mqtt_connect(NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_mqtt_disconnect(NULL, cord_nop, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_cord_mqtt_publish(NULL, 0, "p", cord_nop, NULL), SM_ERR_PARAM);
    CHECK(strcmp(sm_cord_event_name((sm_cord_event_type)0), "?") == 0);
    CHECK(strcmp(sm_cord_op_name((sm_cord_op_kind)0), "?") == 0);
    CHECK(strcmp(sm_cord_op_name(SM_CORD_OP_WLAN_SET_MODE), "wlan mode") == 0);
}

/* ---- re-initialising from inside a callback (issue 18, defect 1) ------------- */
static sm_platform g_reinit_plat;
static int g_reinit_rc;
static void at_reinit_done(void *ctx, const sm_at_response *r)
{
    (void)r;
    g_reinit_rc = sm_at_init((sm_at *)ctx, &g_reinit_plat, NULL);
}
static void sqn_reinit_ev(void *ctx, sm_sqn *m, const sm_event *ev)
{
    (void)ctx;
    if (ev->type == SM_SQN_EV_RESTARTED) g_reinit_rc = sm_sqn_init(m, &g_reinit_plat, sqn_reinit_ev, NULL);
}
static void cord_reinit_ev(void *ctx, sm_cord *c, const sm_event *ev)
{
    (void)ctx;
    (void)ev;
    g_reinit_rc = sm_cord_init(c, &g_reinit_plat, cord_reinit_ev, NULL);
}

static void test_init_in_callback(void)
{
    static sm_at at;
    static sm_sqn m;
    static sm_cord c;
    mock mk;
    sm_at_cmd cmd;
    platform(&mk, &g_reinit_plat);
    /* the engine: from a command's on_done */
    CHECK_EQ_INT(sm_at_init(&at, &g_reinit_plat, NULL), SM_OK);
    memset(&cmd, 0, sizeof cmd);
    cmd.text = "AT";
    cmd.on_done = at_reinit_done;
    cmd.ctx = &at;
    CHECK(sm_at_submit(&at, &cmd) > 0);
    g_reinit_rc = 99;
    CHECK_EQ_INT(sm_at_poll(&at), SM_OK);
    CHECK_EQ_INT(sm_at_feed(&at, (const uint8_t *)"OK\r\n", 4), SM_OK);
    CHECK_EQ_INT(g_reinit_rc, SM_ERR_BUSY);
    CHECK_EQ_INT(sm_at_poll(&at), SM_OK);        /* not BUSY forever */
    CHECK_EQ_INT(sm_at_init(&at, &g_reinit_plat, NULL), SM_OK); /* from the main loop */
    CHECK_EQ_INT(sm_at_poll(&at), SM_OK);
    /* Sequans: on RESTARTED */
    CHECK_EQ_INT(sm_sqn_init(&m, &g_reinit_plat, sqn_reinit_ev, NULL), SM_OK);
    g_reinit_rc = 99;
    CHECK_EQ_INT(sm_sqn_feed(&m, (const uint8_t *)"\r\n+SYSSTART\r\n", 13), SM_OK);
    CHECK_EQ_INT(g_reinit_rc, SM_ERR_BUSY);
    CHECK_EQ_INT(sm_sqn_poll(&m), SM_OK);
    CHECK_EQ_INT(sm_sqn_feed(&m, (const uint8_t *)"x", 1), SM_OK);
    /* Cordelia: on any event */
    CHECK_EQ_INT(sm_cord_init(&c, &g_reinit_plat, cord_reinit_ev, NULL), SM_OK);
    g_reinit_rc = 99;
    CHECK_EQ_INT(sm_cord_feed(&c, (const uint8_t *)"+eventfoo:1\r\n", 13), SM_OK);
    CHECK_EQ_INT(sm_cord_poll(&c), SM_OK);
    CHECK_EQ_INT(g_reinit_rc, SM_ERR_BUSY);
    CHECK_EQ_INT(sm_cord_poll(&c), SM_OK);
    CHECK_EQ_INT(sm_cord_feed(&c, (const uint8_t *)"x", 1), SM_OK);
}

/* ---- NULL and never-initialised structs (issue 18, defect 4) ---------------- */
static void urc_nop(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)ctx; (void)at; (void)line; (void)len;
}
static int g_flush_result;
static int g_not_a_result = 77; /* a value, not a constant: C++ converts it */
static size_t g_sink_bytes;
static void flush_sink(void *ctx, const uint8_t *data, size_t len) { (void)ctx; (void)data; g_sink_bytes += len; }
static void flush_done(void *ctx, const sm_at_response *r) { (void)ctx; g_flush_result = (int)r->result; }

static void test_null_and_zeroed(void)
{
    static sm_at at, zat;
    static sm_sqn zm;
    static sm_cord zc;
    static sm_sqn_stream st;
    static const sm_urc no_prefix[] = { { "+A:", urc_nop }, { NULL, urc_nop } };
    static const sm_urc no_fn[] = { { "+X", NULL } };
    static const sm_urc good[] = { { "+X", urc_nop } };
    mock mk;
    sm_platform p;
    sm_at_cmd c;
    sm_at_response r;
    sm_fields f;
    size_t cap = 0;
    int32_t v;
    memset(&c, 0, sizeof c);
    c.text = "AT";
    /* NULL engine: every function refuses it */
    CHECK_EQ_INT(sm_at_submit(NULL, &c), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_busy(NULL), 0);
    CHECK_EQ_INT(sm_at_queue_free(NULL), 0);
    CHECK(sm_at_get_stats(NULL) == NULL);
    sm_at_flush(NULL, SM_AT_CANCELLED);
    sm_at_on_unhandled(NULL, urc_nop, NULL);
    CHECK_EQ_INT(sm_at_remove_urcs(NULL, good), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_run_blocking(NULL, &c, &r, NULL, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_result_of(NULL, 1), SM_AT_PENDING);
    CHECK_EQ_INT(sm_at_expect_raw(NULL, 1, NULL, NULL), SM_ERR_PARAM);
    CHECK(sm_at_text_space(NULL, &cap) == NULL);
    /* a zeroed engine never initialised: SM_ERR_STATE, nothing crashes */
    memset(&zat, 0, sizeof zat);
    CHECK_EQ_INT(sm_at_feed(&zat, (const uint8_t *)"OK\r\n", 4), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_poll(&zat), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_submit(&zat, &c), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_run_blocking(&zat, &c, &r, NULL, 0), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_add_urcs(&zat, good, 1, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_remove_urcs(&zat, good), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_expect_raw(&zat, 1, NULL, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_use_headerless(&zat), SM_ERR_STATE);
    CHECK_EQ_INT(sm_at_use_inline_raw(&zat), SM_ERR_STATE);
    CHECK(zat.inline_comma == NULL);
    CHECK(zat.headerless == NULL);
    CHECK_EQ_INT(sm_at_busy(&zat), 0);
    CHECK_EQ_INT(sm_at_queue_free(&zat), 0);
    CHECK(sm_at_get_stats(&zat) == NULL);
    CHECK(sm_at_text_space(&zat, &cap) == NULL);
    sm_at_flush(&zat, SM_AT_CANCELLED);
    /* zeroed Sequans and Cordelia */
    memset(&zm, 0, sizeof zm);
    CHECK_EQ_INT(sm_sqn_feed(&zm, (const uint8_t *)"+SYSSTART\r\n", 11), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_poll(&zm), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_bringup(&zm, sqn_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_clock_read(&zm, sqn_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_identity(&zm, sqn_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_func_read(&zm, sqn_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_sock_close(&zm, 1, sqn_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_time_sync(&zm, NULL, sqn_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&zm, 1000, NULL, 0), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_bringup_time_sync(&zm, 1000), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_stream_init(&st, &zm, 1), SM_ERR_STATE);
    memset(&zc, 0, sizeof zc);
    CHECK_EQ_INT(sm_cord_feed(&zc, (const uint8_t *)"+eventstartup\r\n", 15), SM_ERR_STATE);
    CHECK_EQ_INT(sm_cord_poll(&zc), SM_ERR_STATE);
    CHECK_EQ_INT(sm_cord_test(&zc, cord_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_cord_hibernate(&zc, 60, cord_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_cord_sock_open(&zc, 0, cord_nop, NULL), SM_ERR_STATE);
    CHECK_EQ_INT(sm_cord_wait(&zc, 1), SM_ERR_STATE);
    CHECK_EQ_INT(sm_cord_set_msg_buffer(&zc, NULL, 0), SM_ERR_STATE);
    sm_cord_cancel(&zc);
    /* URC rows that cannot be used */
    platform(&mk, &p);
    CHECK_EQ_INT(sm_at_init(&at, &p, NULL), SM_OK);
    CHECK_EQ_INT(sm_at_add_urcs(&at, no_prefix, 2, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_add_urcs(&at, no_fn, 1, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_add_urcs(&at, good, 1, NULL), SM_OK);
    CHECK_EQ_INT(sm_at_remove_urcs(&at, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_remove_urcs(&at, good), SM_OK);
    CHECK_EQ_INT(sm_at_feed(&at, (const uint8_t *)"\r\n+X\r\n", 6), SM_OK);
    /* fields without a line */
    CHECK_EQ_INT(sm_fields_init(&f, NULL, 5, NULL), SM_ERR_PARAM);
    CHECK(sm_fields_int(&f, 0, 9, &v) != SM_OK);
    CHECK_EQ_INT(sm_fields_more(&f), 0);
    CHECK_EQ_INT(sm_fields_init(NULL, "1", 1, NULL), SM_ERR_PARAM);
    /* flush with a value that is no result: CANCELLED reaches on_done */
    c.on_done = flush_done;
    CHECK(sm_at_submit(&at, &c) > 0);
    CHECK(sm_at_submit(&at, &c) > 0);
    sm_at_poll(&at);
    g_flush_result = -1;
    sm_at_flush(&at, (sm_at_result)g_not_a_result);
    CHECK_EQ_INT(g_flush_result, SM_AT_CANCELLED);
    /* raw counts beyond any dialect's count field */
    CHECK_EQ_INT(sm_at_expect_raw(&at, (size_t)-1, flush_sink, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_expect_raw(&at, (size_t)SM_AT_EXPECT_MAX + 1u, flush_sink, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_at_expect_raw(&at, 3, flush_sink, NULL), SM_OK);
    CHECK_EQ_INT(sm_at_feed(&at, (const uint8_t *)"abc", 3), SM_OK);
    CHECK_EQ_INT(g_sink_bytes, 3);
}

/* Every kind of event, operation and bring-up step has a name of its own
   (issue 21: the names come from the same X-macro list as the enum). */
static int names_distinct(const char *(*name)(unsigned), unsigned first, unsigned count)
{
    unsigned i, j;
    for (i = first; i < count; i++) {
        if (!name(i) || !strcmp(name(i), "?") || !name(i)[0]) return 0;
        for (j = first; j < i; j++)
            if (!strcmp(name(i), name(j))) return 0;
    }
    return !strcmp(name(count), "?"); /* one past the last */
}
static const char *sqn_ev_name(unsigned i) { return sm_sqn_event_name((sm_sqn_event_type)i); }
static const char *sqn_op_name(unsigned i) { return sm_sqn_op_name((sm_sqn_op_kind)i); }
static const char *cord_ev_name(unsigned i) { return sm_cord_event_name((sm_cord_event_type)i); }
static const char *cord_op_name(unsigned i) { return sm_cord_op_name((sm_cord_op_kind)i); }
static const char *at_result_name(unsigned i) { return sm_at_result_name((sm_at_result)i); }
static const char *hce_ev_name(unsigned i) { return sm_hce_event_name((sm_hce_event_type)i); }
static const char *cert_why_name(unsigned i) { return sm_cert_why_name((int)i); }

/* Every status code, 0 down to the last with no gap, has a text of its own;
   one past either end has none. */
static int status_texts_distinct(void)
{
    static const char unknown[] = "unknown status";
    int i, j;
    for (i = 0; i > -(int)SM_STATUS_COUNT_; i--) {
        const char *t = sm_strerror(i);
        if (!t || !t[0] || !strcmp(t, unknown) || !strcmp(t, "?")) return 0;
        for (j = 0; j > i; j--)
            if (!strcmp(t, sm_strerror(j))) return 0;
    }
    return !strcmp(sm_strerror(-(int)SM_STATUS_COUNT_), unknown) && !strcmp(sm_strerror(1), unknown);
}

static void test_names(void)
{
    CHECK(names_distinct(sqn_ev_name, 1, SM_SQN_EV_COUNT_));
    CHECK(names_distinct(sqn_op_name, 1, SM_SQN_OP_COUNT_));
    CHECK(names_distinct(sm_sqn_step_name, 0, SM_SQN_STEP_COUNT_));
    CHECK(names_distinct(cord_ev_name, 1, SM_CORD_EV_COUNT_));
    CHECK(names_distinct(cord_op_name, 1, SM_CORD_OP_COUNT_));
    CHECK_EQ_STR(sqn_ev_name(0), "?");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_MQTT_RECONNECT_FAILED), "MQTT_RECONNECT_FAILED");
    CHECK_EQ_STR(sm_sqn_op_name(SM_SQN_OP_CLOCK_SET), "CLOCK_SET");
    CHECK_EQ_STR(sm_sqn_step_name(SM_SQN_STEP_TIME_SYNC), "TIME_SYNC");
    CHECK_EQ_STR(sm_cord_event_name(SM_CORD_EV_SOCK_ERROR), "socket error");
    CHECK_EQ_STR(sm_cord_op_name(SM_CORD_OP_BRINGUP), "bringup");
    /* the engine's results, host signing's events, the certificate checks'
       reasons and the status codes come from X-macro lists as well */
    CHECK(names_distinct(at_result_name, 0, SM_AT_RESULT_COUNT_));
    CHECK(names_distinct(hce_ev_name, 1, SM_HCE_EV_COUNT_));
    CHECK(names_distinct(cert_why_name, 0, SM_CERT_E_COUNT_));
    CHECK(status_texts_distinct());
    CHECK_EQ_STR(hce_ev_name(SM_HCE_EV_NONE), "?");
    CHECK_EQ_STR(sm_at_result_name(SM_AT_PENDING), "PENDING");
    CHECK_EQ_STR(sm_at_result_name(SM_AT_IO_ERROR), "IO_ERROR");
    CHECK_EQ_STR(sm_hce_event_name(SM_HCE_EV_DROPPED), "DROPPED");
    CHECK_EQ_STR(sm_cert_why_name(SM_CERT_E_NONE), "none");
    CHECK_EQ_STR(sm_cert_why_name(SM_CERT_E_SPACE), "buffer too small");
    CHECK_EQ_STR(sm_cert_why_name(-1), "?");
    CHECK_EQ_STR(sm_strerror(SM_ERR_REFUSED), "refused by the peer");
    CHECK_EQ_STR(sm_strerror(SM_ERR_WATCHDOG), "secure element: watchdog about to expire");
}

int main(void)
{
    RUN(test_utilities);
    RUN(test_engine_edges);
    RUN(test_sequans_parsers);
    RUN(test_stream_edges);
    RUN(test_cordelia_events);
    RUN(test_atecc_edges);
    RUN(test_der_pem_edges);
    RUN(test_sequans_arguments);
    RUN(test_sequans_bad_headers);
    RUN(test_cordelia_arguments);
    RUN(test_init_in_callback);
    RUN(test_null_and_zeroed);
    RUN(test_names);
    return sm_test_finish("test_edge");
}
