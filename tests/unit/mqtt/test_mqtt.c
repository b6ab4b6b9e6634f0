/* test_mqtt.c - unit tests of the MQTT 3.1.1 framing layer: every encoder
   against byte vectors derived by hand from the standard (with the size
   report for every too-small buffer, each buffer allocated at its exact
   size so that ASan sees any write past it), every input the standard
   forbids a client to send, and the streaming decoder fed every packet a
   server may send at every split point, every malformed packet, payloads
   larger than its buffer, and the encoders' own output.
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"

#include <stdlib.h>

/* ---- helpers ------------------------------------------------------------- */

static void dump(const char *what, const uint8_t *b, size_t n)
{
    size_t i;
    fprintf(stderr, "  %s (%lu):", what, (unsigned long)n);
    for (i = 0; i < n && i < 64; i++) fprintf(stderr, " %02X", b[i]);
    fprintf(stderr, n > 64 ? " ...\n" : "\n");
}

static uint8_t *xmalloc(size_t n)
{
    uint8_t *p = (uint8_t *)malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

/* A string of n copies of c (the caller frees it). */
static char *repeat(char c, size_t n)
{
    char *s = (char *)xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- encoders under one signature ------------------------------------------ */
typedef int (*enc_fn)(uint8_t *buf, size_t cap, size_t *len, const void *arg);

typedef struct ack_arg { unsigned type; uint16_t id; } ack_arg;
typedef struct sub_arg {
    uint16_t id;
    const char *const *filters;
    const uint8_t *qos;
    size_t count;
} sub_arg;

static int enc_connect(uint8_t *b, size_t c, size_t *l, const void *a)
{ return sm_mqtt_encode_connect(b, c, (const sm_mqtt_connect_opts *)a, l); }
static int enc_publish(uint8_t *b, size_t c, size_t *l, const void *a)
{ return sm_mqtt_encode_publish(b, c, (const sm_mqtt_publish *)a, l); }
static int enc_publish_header(uint8_t *b, size_t c, size_t *l, const void *a)
{ return sm_mqtt_encode_publish_header(b, c, (const sm_mqtt_publish *)a, l); }
static int enc_ack(uint8_t *b, size_t c, size_t *l, const void *a)
{ const ack_arg *x = (const ack_arg *)a; return sm_mqtt_encode_ack(b, c, x->type, x->id, l); }
static int enc_subscribe(uint8_t *b, size_t c, size_t *l, const void *a)
{
    const sub_arg *x = (const sub_arg *)a;
    return sm_mqtt_encode_subscribe(b, c, x->id, x->filters, x->qos, x->count, l);
}
static int enc_unsubscribe(uint8_t *b, size_t c, size_t *l, const void *a)
{
    const sub_arg *x = (const sub_arg *)a;
    return sm_mqtt_encode_unsubscribe(b, c, x->id, x->filters, x->count, l);
}
static int enc_pingreq(uint8_t *b, size_t c, size_t *l, const void *a)
{ (void)a; return sm_mqtt_encode_pingreq(b, c, l); }
static int enc_disconnect(uint8_t *b, size_t c, size_t *l, const void *a)
{ (void)a; return sm_mqtt_encode_disconnect(b, c, l); }

/* Checks that f(arg) encodes exactly expect[0..n): the size-only call, every
   buffer size from 0 to n-1 (or, without sweep, just 0 and n-1), the exact
   size, and a larger buffer whose tail must stay untouched. */
static void check_enc_(enc_fn f, const void *arg, const uint8_t *expect, size_t n, int sweep,
                       int line)
{
    size_t len = 1, cap, i;
    uint8_t *b;
    int rc, bad = 0;
    int failed = sm_test_tally.failed;
    rc = f(NULL, 0, &len, arg);
    CHECK_EQ_INT(rc, SM_ERR_NO_SPACE);
    CHECK_EQ_INT(len, n);
    for (cap = 0; cap < n; cap++) {
        if (!sweep && cap != 0 && cap != n - 1) continue;
        b = xmalloc(cap);
        memset(b, 0xA5, cap);
        len = 0;
        rc = f(b, cap, &len, arg);
        if (rc != SM_ERR_NO_SPACE || len != n) bad++;
        free(b);
    }
    CHECK_EQ_INT(bad, 0);
    b = xmalloc(n); /* exact size */
    len = 0;
    rc = f(b, n, &len, arg);
    CHECK_EQ_INT(rc, SM_OK);
    CHECK_EQ_INT(len, n);
    CHECK(rc == SM_OK && memcmp(b, expect, n) == 0);
    if (rc == SM_OK && memcmp(b, expect, n) != 0) {
        dump("got", b, n);
        dump("expected", expect, n);
    }
    free(b);
    b = xmalloc(n + 8);
    memset(b, 0xA5, n + 8);
    rc = f(b, n + 8, &len, arg);
    CHECK(rc == SM_OK && len == n && memcmp(b, expect, n) == 0);
    for (i = n, bad = 0; i < n + 8; i++) bad += b[i] != 0xA5;
    CHECK_EQ_INT(bad, 0);
    free(b);
    if (sm_test_tally.failed != failed) fprintf(stderr, "  (encoding checked at line %d)\n", line);
}
#define CHECK_ENC(f, arg, expect) check_enc_(f, arg, expect, sizeof expect, 1, __LINE__)

/* An input the encoder must refuse: the status, and *len set to 0. */
static void check_rejected_(enc_fn f, const void *arg, int want, int line)
{
    uint8_t b[64];
    size_t len = 99;
    int rc = f(b, sizeof b, &len, arg);
    if (rc != want || len != 0)
        fprintf(stderr, "  (rejection checked at line %d: rc %d, len %lu)\n", line, rc,
                (unsigned long)len);
    CHECK_EQ_INT(rc, want);
    CHECK_EQ_INT(len, 0);
    len = 99; /* the size-only call must refuse it as well */
    CHECK_EQ_INT(f(NULL, 0, &len, arg), want);
}
#define CHECK_REJECTED(f, arg, want) check_rejected_(f, arg, want, __LINE__)

/* ---- encoders: byte vectors ------------------------------------------------ */

static void test_ping_disconnect(void)
{
    static const uint8_t ping[] = { 0xC0, 0x00 };       /* 3.12 */
    static const uint8_t disc[] = { 0xE0, 0x00 };       /* 3.14 */
    CHECK_ENC(enc_pingreq, NULL, ping);
    CHECK_ENC(enc_disconnect, NULL, disc);
    CHECK_EQ_INT(sm_mqtt_encode_pingreq(NULL, 0, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_encode_disconnect(NULL, 0, NULL), SM_ERR_PARAM);
}

static void test_connect_vectors(void)
{
    /* 3.1: client id "a", clean session, keep-alive 60 */
    static const uint8_t minimal[] = { 0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                       0x00, 0x3C, 0x00, 0x01, 'a' };
    /* flags 0xEC: user, password, will retain, will QoS 1, will; no clean */
    static const uint8_t full[] = { 0x10, 0x1E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xEC,
                                    0x01, 0x2C, 0x00, 0x02, 'c', '1', 0x00, 0x03, 'w', '/', 't',
                                    0x00, 0x02, 0x00, 0xFF, 0x00, 0x01, 'u', 0x00, 0x02, 'p', 'w' };
    /* will QoS 2 without retain, empty will message, clean session: 0x16 */
    static const uint8_t will2[] = { 0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x16,
                                     0x00, 0x00, 0x00, 0x01, 'a', 0x00, 0x01, 't', 0x00, 0x00 };
    /* user name with an empty (present) password: 0xC2 */
    static const uint8_t userpw[] = { 0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xC2,
                                      0xFF, 0xFF, 0x00, 0x01, 'a', 0x00, 0x01, 'u', 0x00, 0x00 };
    /* user name only, empty: 0x82 */
    static const uint8_t useronly[] = { 0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x82,
                                        0x00, 0x0A, 0x00, 0x01, 'a', 0x00, 0x00 };
    /* empty client id with clean session; keep-alive 0 */
    static const uint8_t emptyid[] = { 0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                       0x00, 0x00, 0x00, 0x00 };
    /* a UTF-8 client id (U+00E9, C3 A9), clean session off */
    static const uint8_t utf8id[] = { 0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00,
                                      0x00, 0x05, 0x00, 0x02, 0xC3, 0xA9 };
    static const uint8_t wmsg[] = { 0x00, 0xFF };
    sm_mqtt_connect_opts o;

    memset(&o, 0, sizeof o);
    o.client_id = "a"; o.clean_session = 1; o.keep_alive = 60;
    CHECK_ENC(enc_connect, &o, minimal);

    memset(&o, 0, sizeof o);
    o.client_id = "c1"; o.keep_alive = 300;
    o.will_topic = "w/t"; o.will_msg = wmsg; o.will_msg_len = 2; o.will_qos = 1; o.will_retain = 1;
    o.username = "u"; o.password = (const uint8_t *)"pw"; o.password_len = 2;
    CHECK_ENC(enc_connect, &o, full);

    memset(&o, 0, sizeof o);
    o.client_id = "a"; o.clean_session = 1; o.will_topic = "t"; o.will_qos = 2;
    CHECK_ENC(enc_connect, &o, will2);

    memset(&o, 0, sizeof o);
    o.client_id = "a"; o.clean_session = 1; o.keep_alive = 0xFFFF;
    o.username = "u"; o.password = (const uint8_t *)""; o.password_len = 0;
    CHECK_ENC(enc_connect, &o, userpw);

    memset(&o, 0, sizeof o);
    o.client_id = "a"; o.clean_session = 1; o.keep_alive = 10; o.username = "";
    CHECK_ENC(enc_connect, &o, useronly);

    memset(&o, 0, sizeof o);
    o.client_id = ""; o.clean_session = 1;
    CHECK_ENC(enc_connect, &o, emptyid);

    memset(&o, 0, sizeof o);
    o.client_id = "\xC3\xA9"; o.keep_alive = 5;
    CHECK_ENC(enc_connect, &o, utf8id);
}

static void test_publish_vectors(void)
{
    /* 3.3: topic "a/b", QoS 0, payload "hi" */
    static const uint8_t q0[] = { 0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i' };
    /* QoS 1, retain, packet id 10 */
    static const uint8_t q1r[] = { 0x33, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i' };
    /* QoS 2, DUP, packet id 0x1234, empty payload */
    static const uint8_t q2d[] = { 0x3C, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x12, 0x34 };
    /* QoS 1 with DUP: 0x3A; binary payload 00 FF 0D 0A */
    static const uint8_t q1d[] = { 0x3A, 0x09, 0x00, 0x01, 't', 0xFF, 0xFF, 0x00, 0xFF, 0x0D,
                                   0x0A };
    /* the header only of q1r: the payload "hi" is counted, not written */
    static const uint8_t q1r_head[] = { 0x33, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A };
    static const uint8_t bin[] = { 0x00, 0xFF, 0x0D, 0x0A };
    sm_mqtt_publish p;

    memset(&p, 0, sizeof p);
    p.topic = "a/b"; p.payload = (const uint8_t *)"hi"; p.payload_len = 2;
    CHECK_ENC(enc_publish, &p, q0);
    p.packet_id = 77; /* ignored at QoS 0 */
    CHECK_ENC(enc_publish, &p, q0);

    p.qos = 1; p.retain = 1; p.packet_id = 10;
    CHECK_ENC(enc_publish, &p, q1r);
    CHECK_ENC(enc_publish_header, &p, q1r_head);
    p.payload = NULL; /* the header encoder never reads the payload */
    CHECK_ENC(enc_publish_header, &p, q1r_head);

    memset(&p, 0, sizeof p);
    p.topic = "a/b"; p.qos = 2; p.dup = 1; p.packet_id = 0x1234;
    CHECK_ENC(enc_publish, &p, q2d);
    CHECK_ENC(enc_publish_header, &p, q2d);

    memset(&p, 0, sizeof p);
    p.topic = "t"; p.qos = 1; p.dup = 1; p.packet_id = 0xFFFF; p.payload = bin; p.payload_len = 4;
    CHECK_ENC(enc_publish, &p, q1d);
}

/* PUBLISH on topic "t" at QoS 0: remaining length = 3 + payload length. */
static void check_publish_rl(uint32_t rl, const uint8_t *len_bytes, size_t nlen, int full)
{
    sm_mqtt_publish p;
    uint8_t head[8];
    uint8_t *expect, *payload = NULL;
    size_t hn = 1 + nlen + 3, i;
    head[0] = 0x30;
    memcpy(head + 1, len_bytes, nlen);
    head[1 + nlen] = 0x00; head[2 + nlen] = 0x01; head[3 + nlen] = 't';
    memset(&p, 0, sizeof p);
    p.topic = "t";
    p.payload_len = rl - 3u;
    check_enc_(enc_publish_header, &p, head, hn, 1, __LINE__);
    if (!full) return;
    payload = xmalloc(p.payload_len);
    for (i = 0; i < p.payload_len; i++) payload[i] = (uint8_t)(i * 7u + 1u);
    p.payload = payload;
    expect = xmalloc(hn + p.payload_len);
    memcpy(expect, head, hn);
    memcpy(expect + hn, payload, p.payload_len);
    check_enc_(enc_publish, &p, expect, hn + p.payload_len, rl < 200, __LINE__);
    free(expect);
    free(payload);
}

static void test_remaining_length_boundaries(void)
{
    static const uint8_t l127[] = { 0x7F }, l128[] = { 0x80, 0x01 };
    static const uint8_t l16383[] = { 0xFF, 0x7F }, l16384[] = { 0x80, 0x80, 0x01 };
    static const uint8_t l2097151[] = { 0xFF, 0xFF, 0x7F }, l2097152[] = { 0x80, 0x80, 0x80, 0x01 };
    static const uint8_t lmax[] = { 0xFF, 0xFF, 0xFF, 0x7F };
    sm_mqtt_publish p;
    size_t len = 1;
    check_publish_rl(127, l127, 1, 1);
    check_publish_rl(128, l128, 2, 1);
    check_publish_rl(16383, l16383, 2, 1);
    check_publish_rl(16384, l16384, 3, 1);
    check_publish_rl(2097151UL, l2097151, 3, 1);
    check_publish_rl(2097152UL, l2097152, 4, 1);
    check_publish_rl(268435455UL, lmax, 4, 0);
    /* one more byte is beyond what the remaining length can express */
    memset(&p, 0, sizeof p);
    p.topic = "t";
    p.payload_len = 268435455UL - 3u + 1u;
    CHECK_REJECTED(enc_publish_header, &p, SM_ERR_PARAM);
    p.qos = 1; p.packet_id = 1; p.payload_len = 268435455UL - 5u; /* QoS 1 adds the id */
    CHECK_EQ_INT(sm_mqtt_encode_publish_header(NULL, 0, &p, &len), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(len, 1 + 4 + 3 + 2);
    p.payload_len++;
    CHECK_REJECTED(enc_publish_header, &p, SM_ERR_PARAM);
    p.payload_len = 0xFFFFFFFFUL; /* must not wrap around */
    CHECK_REJECTED(enc_publish_header, &p, SM_ERR_PARAM);
    /* the whole packet of the largest size: its size is reported */
    p.qos = 0; p.payload_len = 268435452UL; p.payload = (const uint8_t *)"x";
    CHECK_EQ_INT(sm_mqtt_encode_publish(NULL, 0, &p, &len), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(len, 268435460UL);
}

static void test_ack_vectors(void)
{
    static const uint8_t puback[] = { 0x40, 0x02, 0x00, 0x01 };   /* 3.4 */
    static const uint8_t pubrec[] = { 0x50, 0x02, 0x12, 0x34 };   /* 3.5 */
    static const uint8_t pubrel[] = { 0x62, 0x02, 0xFF, 0xFF };   /* 3.6: flags 0010 */
    static const uint8_t pubcomp[] = { 0x70, 0x02, 0x01, 0x02 };  /* 3.7 */
    ack_arg a;
    unsigned t;
    a.type = SM_MQTT_PUBACK; a.id = 1; CHECK_ENC(enc_ack, &a, puback);
    a.type = SM_MQTT_PUBREC; a.id = 0x1234; CHECK_ENC(enc_ack, &a, pubrec);
    a.type = SM_MQTT_PUBREL; a.id = 0xFFFF; CHECK_ENC(enc_ack, &a, pubrel);
    a.type = SM_MQTT_PUBCOMP; a.id = 0x0102; CHECK_ENC(enc_ack, &a, pubcomp);
    for (t = SM_MQTT_PUBACK; t <= SM_MQTT_PUBCOMP; t++) {
        a.type = t; a.id = 0; /* [MQTT-2.3.1-1] */
        CHECK_REJECTED(enc_ack, &a, SM_ERR_PARAM);
    }
    for (t = 0; t < 20; t++) {
        if (t >= SM_MQTT_PUBACK && t <= SM_MQTT_PUBCOMP) continue;
        a.type = t; a.id = 1;
        CHECK_REJECTED(enc_ack, &a, SM_ERR_PARAM);
    }
    CHECK_EQ_INT(sm_mqtt_encode_ack(NULL, 0, SM_MQTT_PUBACK, 1, NULL), SM_ERR_PARAM);
}

static void test_subscribe_vectors(void)
{
    static const char *const f3[] = { "a/b", "c/#", "+" };
    static const uint8_t q3[] = { 0, 2, 1 };
    /* 3.8: flags 0010, packet id 1, three filters with their QoS */
    static const uint8_t sub[] = { 0x82, 0x12, 0x00, 0x01, 0x00, 0x03, 'a', '/', 'b', 0x00,
                                   0x00, 0x03, 'c', '/', '#', 0x02, 0x00, 0x01, '+', 0x01 };
    static const char *const f2[] = { "a/b", "#" };
    /* 3.10: flags 0010, packet id 2 */
    static const uint8_t unsub[] = { 0xA2, 0x0A, 0x00, 0x02, 0x00, 0x03, 'a', '/', 'b', 0x00,
                                     0x01, '#' };
    static const char *const f1[] = { "\xC3\xA9/+/x" };
    static const uint8_t q1[] = { 2 };
    static const uint8_t sub1[] = { 0x82, 0x0B, 0xAB, 0xCD, 0x00, 0x06, 0xC3, 0xA9, '/', '+', '/',
                                    'x', 0x02 };
    static const uint8_t unsub1[] = { 0xA2, 0x0A, 0xAB, 0xCD, 0x00, 0x06, 0xC3, 0xA9, '/', '+',
                                      '/', 'x' };
    sub_arg s;
    s.id = 1; s.filters = f3; s.qos = q3; s.count = 3;
    CHECK_ENC(enc_subscribe, &s, sub);
    s.id = 2; s.filters = f2; s.qos = NULL; s.count = 2;
    CHECK_ENC(enc_unsubscribe, &s, unsub);
    s.id = 0xABCD; s.filters = f1; s.qos = q1; s.count = 1;
    CHECK_ENC(enc_subscribe, &s, sub1);
    CHECK_ENC(enc_unsubscribe, &s, unsub1);
}

/* ---- encoders: what a client must never send -------------------------------- */

static const char *const bad_utf8[] = {
    "\xFF", "a\xC3", "\xC3(", "\xC0\x80", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
    "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\x80", "\xF0\x9F\x98"
};
#define N_BAD_UTF8 (sizeof bad_utf8 / sizeof bad_utf8[0])

static void test_check_string(void)
{
    static const char *const good_filters[] = {
        "#", "+", "+/+", "a/#", "/", "a//b", "+/tennis/#", "sport/+/player1", "/+", "/#",
        "a/+/b", "\xC3\xA9/+", "$SYS/#", "a b", "+/", "//", "\xF0\x9F\x98\x80/#"
    };
    static const char *const bad_filters[] = {
        "", "a#", "a/#/b", "#/", "a/b#", "a+", "+a", "a/+b", "a/b+/c", "##", "++", "#a", "#+",
        "+#", "a/\xC0\x80", "/+x", "x+/"
    };
    static const char *const good_topics[] = { "a", "a/b", "/", "\xC3\xA9", "a b", "$SYS/x", "//",
                                               "\xE2\x82\xAC", "\xEF\xBF\xBF" };
    static const char *const bad_topics[] = { "", "+", "#", "a/+", "a/#", "a+b", "a#b", "+/a" };
    char *s;
    size_t i;
    for (i = 0; i < sizeof good_filters / sizeof *good_filters; i++)
        CHECK_EQ_INT(sm_mqtt_check_string(good_filters[i], SM_MQTT_STR_FILTER), SM_OK);
    for (i = 0; i < sizeof bad_filters / sizeof *bad_filters; i++) {
        int rc = sm_mqtt_check_string(bad_filters[i], SM_MQTT_STR_FILTER);
        if (rc != SM_ERR_UNSAFE_STRING) fprintf(stderr, "  filter \"%s\"\n", bad_filters[i]);
        CHECK_EQ_INT(rc, SM_ERR_UNSAFE_STRING);
    }
    for (i = 0; i < sizeof good_topics / sizeof *good_topics; i++)
        CHECK_EQ_INT(sm_mqtt_check_string(good_topics[i], SM_MQTT_STR_TOPIC), SM_OK);
    for (i = 0; i < sizeof bad_topics / sizeof *bad_topics; i++)
        CHECK_EQ_INT(sm_mqtt_check_string(bad_topics[i], SM_MQTT_STR_TOPIC), SM_ERR_UNSAFE_STRING);
    for (i = 0; i < N_BAD_UTF8; i++) {
        CHECK_EQ_INT(sm_mqtt_check_string(bad_utf8[i], SM_MQTT_STR_TEXT), SM_ERR_UNSAFE_STRING);
        CHECK_EQ_INT(sm_mqtt_check_string(bad_utf8[i], SM_MQTT_STR_TOPIC), SM_ERR_UNSAFE_STRING);
        CHECK_EQ_INT(sm_mqtt_check_string(bad_utf8[i], SM_MQTT_STR_FILTER), SM_ERR_UNSAFE_STRING);
    }
    /* text may be empty and may hold '+' and '#'; controls other than NUL are
       allowed ("SHOULD NOT", 1.5.3) */
    CHECK_EQ_INT(sm_mqtt_check_string("", SM_MQTT_STR_TEXT), SM_OK);
    CHECK_EQ_INT(sm_mqtt_check_string("a+#", SM_MQTT_STR_TEXT), SM_OK);
    CHECK_EQ_INT(sm_mqtt_check_string("\x01\x1F\x7F", SM_MQTT_STR_TEXT), SM_OK);
    CHECK_EQ_INT(sm_mqtt_check_string(NULL, SM_MQTT_STR_TEXT), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_check_string("a", 3), SM_ERR_PARAM);
    /* 65,535 bytes is the limit of the 2-byte length (1.5.3) */
    s = repeat('a', 65535);
    CHECK_EQ_INT(sm_mqtt_check_string(s, SM_MQTT_STR_TOPIC), SM_OK);
    free(s);
    s = repeat('a', 65536);
    CHECK_EQ_INT(sm_mqtt_check_string(s, SM_MQTT_STR_TEXT), SM_ERR_PARAM);
    free(s);
}

static void test_connect_rejected(void)
{
    sm_mqtt_connect_opts o, base;
    size_t i, len;
    memset(&base, 0, sizeof base);
    base.client_id = "id"; base.clean_session = 1;

    CHECK_REJECTED(enc_connect, NULL, SM_ERR_PARAM);
    o = base; o.client_id = NULL; CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    o = base; o.client_id = ""; o.clean_session = 0;                 /* [MQTT-3.1.3-7] */
    CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    o = base; o.password = (const uint8_t *)"pw"; o.password_len = 2; /* [MQTT-3.1.2-22] */
    CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    o = base; o.will_qos = 1;                                        /* [MQTT-3.1.2-13] */
    CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    o = base; o.will_retain = 1;                                     /* [MQTT-3.1.2-15] */
    CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    o = base; o.will_topic = "w"; o.will_qos = 3;                    /* [MQTT-3.1.2-14] */
    CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    o = base; o.will_topic = "w"; o.will_msg_len = 3;                /* length without bytes */
    CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    o = base; o.will_topic = "w/+"; CHECK_REJECTED(enc_connect, &o, SM_ERR_UNSAFE_STRING);
    o = base; o.will_topic = "#"; CHECK_REJECTED(enc_connect, &o, SM_ERR_UNSAFE_STRING);
    o = base; o.will_topic = ""; CHECK_REJECTED(enc_connect, &o, SM_ERR_UNSAFE_STRING);
    for (i = 0; i < N_BAD_UTF8; i++) {
        o = base; o.client_id = bad_utf8[i]; CHECK_REJECTED(enc_connect, &o, SM_ERR_UNSAFE_STRING);
        o = base; o.username = bad_utf8[i]; CHECK_REJECTED(enc_connect, &o, SM_ERR_UNSAFE_STRING);
        o = base; o.will_topic = bad_utf8[i];
        CHECK_REJECTED(enc_connect, &o, SM_ERR_UNSAFE_STRING);
    }
    o = base; o.client_id = repeat('c', 65536);
    CHECK_REJECTED(enc_connect, &o, SM_ERR_PARAM);
    free((void *)o.client_id);
    /* the largest CONNECT: five fields of 65,535 bytes */
    o = base; o.client_id = repeat('c', 65535); o.username = o.client_id;
    o.will_topic = o.client_id; o.will_msg = (const uint8_t *)o.client_id; o.will_msg_len = 65535;
    o.password = o.will_msg; o.password_len = 65535;
    CHECK_EQ_INT(sm_mqtt_encode_connect(NULL, 0, &o, &len), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(len, 1 + 3 + 10 + 5 * 65537);
    free((void *)o.client_id);
    CHECK_EQ_INT(sm_mqtt_encode_connect(NULL, 0, &base, NULL), SM_ERR_PARAM);
}

static void test_publish_rejected(void)
{
    sm_mqtt_publish p, base;
    size_t i;
    memset(&base, 0, sizeof base);
    base.topic = "t"; base.payload = (const uint8_t *)"x"; base.payload_len = 1;

    CHECK_REJECTED(enc_publish, NULL, SM_ERR_PARAM);
    CHECK_REJECTED(enc_publish_header, NULL, SM_ERR_PARAM);
    p = base; p.qos = 3; CHECK_REJECTED(enc_publish, &p, SM_ERR_PARAM);        /* [MQTT-3.3.1-4] */
    p.packet_id = 1; CHECK_REJECTED(enc_publish_header, &p, SM_ERR_PARAM);
    p = base; p.dup = 1; CHECK_REJECTED(enc_publish, &p, SM_ERR_PARAM);        /* [MQTT-3.3.1-2] */
    CHECK_REJECTED(enc_publish_header, &p, SM_ERR_PARAM);
    p = base; p.qos = 1; CHECK_REJECTED(enc_publish, &p, SM_ERR_PARAM);        /* [MQTT-2.3.1-1] */
    p = base; p.qos = 2; CHECK_REJECTED(enc_publish_header, &p, SM_ERR_PARAM);
    p = base; p.payload = NULL; CHECK_REJECTED(enc_publish, &p, SM_ERR_PARAM);
    p = base; p.topic = NULL; CHECK_REJECTED(enc_publish, &p, SM_ERR_PARAM);
    p = base; p.topic = "";                                          /* [MQTT-4.7.3-1] */
    CHECK_REJECTED(enc_publish, &p, SM_ERR_UNSAFE_STRING);
    p = base; p.topic = "a/+";                                       /* [MQTT-3.3.2-2] */
    CHECK_REJECTED(enc_publish, &p, SM_ERR_UNSAFE_STRING);
    p = base; p.topic = "a/#"; CHECK_REJECTED(enc_publish_header, &p, SM_ERR_UNSAFE_STRING);
    p = base; p.topic = "a+b"; CHECK_REJECTED(enc_publish, &p, SM_ERR_UNSAFE_STRING);
    for (i = 0; i < N_BAD_UTF8; i++) {
        p = base; p.topic = bad_utf8[i];
        CHECK_REJECTED(enc_publish, &p, SM_ERR_UNSAFE_STRING);
        CHECK_REJECTED(enc_publish_header, &p, SM_ERR_UNSAFE_STRING);
    }
}

static void test_subscribe_rejected(void)
{
    static const char *const ok1[] = { "a" };
    static const char *const bad_second[] = { "a", "b/#/c" };
    static const char *const null_second[] = { "a", NULL };
    static const char *const empty[] = { "" };
    static const char *const utf[] = { "\xED\xA0\x80" };
    static const uint8_t q0[] = { 0, 0 }, q3[] = { 0, 3 }, q1[] = { 1 };
    static const uint8_t sub_a[] = { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x01 };
    sub_arg s;
    s.id = 1; s.filters = ok1; s.qos = q1; s.count = 1;
    CHECK_ENC(enc_subscribe, &s, sub_a);
    s.id = 0;                                          /* [MQTT-2.3.1-1] */
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_PARAM);
    CHECK_REJECTED(enc_unsubscribe, &s, SM_ERR_PARAM);
    s.id = 1; s.count = 0;                             /* [MQTT-3.8.3-3], [MQTT-3.10.3-2] */
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_PARAM);
    CHECK_REJECTED(enc_unsubscribe, &s, SM_ERR_PARAM);
    s.count = 1; s.filters = NULL;
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_PARAM);
    CHECK_REJECTED(enc_unsubscribe, &s, SM_ERR_PARAM);
    s.filters = ok1; s.qos = NULL;
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_PARAM);
    s.filters = bad_second; s.qos = q0; s.count = 2;
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_UNSAFE_STRING);
    CHECK_REJECTED(enc_unsubscribe, &s, SM_ERR_UNSAFE_STRING);
    s.filters = null_second;
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_PARAM);
    CHECK_REJECTED(enc_unsubscribe, &s, SM_ERR_PARAM);
    s.filters = empty; s.count = 1;                    /* [MQTT-4.7.3-1] */
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_UNSAFE_STRING);
    CHECK_REJECTED(enc_unsubscribe, &s, SM_ERR_UNSAFE_STRING);
    s.filters = utf;
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_UNSAFE_STRING);
    CHECK_REJECTED(enc_unsubscribe, &s, SM_ERR_UNSAFE_STRING);
    s.filters = ok1; s.qos = q3 + 1;                   /* requested QoS 3 [MQTT-3.8.3-4] */
    CHECK_REJECTED(enc_subscribe, &s, SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_encode_subscribe(NULL, 0, 1, ok1, q1, 1, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_encode_unsubscribe(NULL, 0, 1, ok1, 1, NULL), SM_ERR_PARAM);
}

/* ---- decoder ---------------------------------------------------------------- */

typedef struct rx_log {
    char text[8192];
    size_t len;
    int events;
    int bad;     /* events that broke an invariant (also marked "!" in text) */
} rx_log;

static void log_add(rx_log *log, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof log->text - log->len - 1) n = sizeof log->text - log->len - 1;
    memcpy(log->text + log->len, s, n);
    log->len += n;
    log->text[log->len] = '\0';
}

static void log_require(rx_log *log, int ok)
{
    if (ok) return;
    log->bad++;
    log_add(log, "!");
}

/* One event as text, with the checks every event must pass. */
static void log_event(rx_log *log, int rc, const sm_mqtt_event *e)
{
    char tmp[160];
    size_t i;
    log_require(log, rc == e->type);
    log->events++;
    switch (e->type) {
    case SM_MQTT_CONNACK:
        snprintf(tmp, sizeof tmp, "CONNACK sp=%u rc=%u;", e->session_present, e->return_code);
        log_require(log, e->topic == NULL && e->data == NULL && e->packet_id == 0);
        break;
    case SM_MQTT_PUBLISH:
        log_require(log, e->topic != NULL && strlen(e->topic) == e->topic_len);
        log_require(log, e->offset + e->data_len <= e->total);
        snprintf(tmp, sizeof tmp, "PUBLISH q%u r%u d%u id=%u t=%s %lu+%lu/%lu:", e->qos, e->retain,
                 e->dup, e->packet_id, e->topic ? e->topic : "(null)", (unsigned long)e->offset,
                 (unsigned long)e->data_len, (unsigned long)e->total);
        log_add(log, tmp);
        for (i = 0; i < e->data_len && i < 16; i++) {
            snprintf(tmp, sizeof tmp, "%02X", e->data[i]);
            log_add(log, tmp);
        }
        snprintf(tmp, sizeof tmp, ";");
        break;
    case SM_MQTT_SUBACK:
        snprintf(tmp, sizeof tmp, "SUBACK id=%u:", e->packet_id);
        log_add(log, tmp);
        for (i = 0; i < e->data_len; i++) {
            snprintf(tmp, sizeof tmp, "%02X", e->data[i]);
            log_add(log, tmp);
        }
        snprintf(tmp, sizeof tmp, ";");
        break;
    case SM_MQTT_PUBACK: case SM_MQTT_PUBREC: case SM_MQTT_PUBREL: case SM_MQTT_PUBCOMP:
    case SM_MQTT_UNSUBACK:
        snprintf(tmp, sizeof tmp, "T%u id=%u;", e->type, e->packet_id);
        log_require(log, e->topic == NULL && e->data == NULL);
        break;
    case SM_MQTT_PINGRESP:
        snprintf(tmp, sizeof tmp, "PINGRESP;");
        break;
    default:
        snprintf(tmp, sizeof tmp, "BAD%u;", e->type);
        log->bad++;
    }
    log_add(log, tmp);
}

/* Runs the documented decode loop over data[0..n); returns 0 or the error. */
static int feed(sm_mqtt_decoder *d, const uint8_t *data, size_t n, rx_log *log)
{
    sm_mqtt_event e;
    size_t used;
    int rc;
    while (n > 0) {
        used = 12345;
        rc = sm_mqtt_decode(d, data, n, &used, &e);
        if (used > n || (rc >= 0 && used == 0) || (rc == 0 && used != n)) {
            fprintf(stderr, "  decoder consumed %lu of %lu bytes, returned %d\n",
                    (unsigned long)used, (unsigned long)n, rc);
            CHECK(0);
            return -100;
        }
        data += used;
        n -= used;
        if (rc < 0) return rc;
        if (rc > 0) log_event(log, rc, &e);
    }
    return 0;
}

/* Feeds data in pieces ending at the given cut points (ascending). */
static int feed_cuts(sm_mqtt_decoder *d, const uint8_t *data, size_t n, const size_t *cuts,
                     size_t ncuts, rx_log *log)
{
    size_t i, at = 0;
    int rc;
    for (i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        rc = feed(d, data + at, end - at, log);
        if (rc) return rc;
        at = end;
    }
    return 0;
}

typedef struct rx_case {
    const uint8_t *bytes;
    size_t n;
    const char *events;
} rx_case;

#define RX(name, ...) static const uint8_t name[] = { __VA_ARGS__ }
RX(rx_connack0, 0x20, 0x02, 0x00, 0x00);
RX(rx_connack_sp, 0x20, 0x02, 0x01, 0x00);
RX(rx_connack_refused, 0x20, 0x02, 0x00, 0x05);
RX(rx_pub0, 0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i');
RX(rx_pub1, 0x33, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i');
RX(rx_pub2, 0x3C, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x12, 0x34);
RX(rx_pub_utf8, 0x32, 0x0B, 0x00, 0x04, 0xC3, 0xA9, '/', 'x', 0xFF, 0xFF, 0x00, 0x0D, 0x0A);
RX(rx_pub_ctl, 0x30, 0x04, 0x00, 0x02, 0x01, 0x7F); /* controls: SHOULD NOT, not malformed */
RX(rx_puback, 0x40, 0x02, 0x00, 0x01);
RX(rx_pubrec, 0x50, 0x02, 0x00, 0x02);
RX(rx_pubrel, 0x62, 0x02, 0x00, 0x03);
RX(rx_pubcomp, 0x70, 0x02, 0xFF, 0xFF);
RX(rx_suback, 0x90, 0x06, 0x00, 0x05, 0x00, 0x01, 0x02, 0x80);
RX(rx_suback1, 0x90, 0x03, 0x12, 0x34, 0x80);
RX(rx_unsuback, 0xB0, 0x02, 0x00, 0x07);
RX(rx_pingresp, 0xD0, 0x00);
/* 3.1.1 does not require the shortest remaining-length encoding */
RX(rx_pingresp_long, 0xD0, 0x80, 0x80, 0x00);
RX(rx_puback_long, 0x40, 0x82, 0x00, 0x00, 0x09);

static const rx_case rx_valid[] = {
    { rx_connack0, sizeof rx_connack0, "CONNACK sp=0 rc=0;" },
    { rx_connack_sp, sizeof rx_connack_sp, "CONNACK sp=1 rc=0;" },
    { rx_connack_refused, sizeof rx_connack_refused, "CONNACK sp=0 rc=5;" },
    { rx_pub0, sizeof rx_pub0, "PUBLISH q0 r0 d0 id=0 t=a/b 0+2/2:6869;" },
    { rx_pub1, sizeof rx_pub1, "PUBLISH q1 r1 d0 id=10 t=a/b 0+2/2:6869;" },
    { rx_pub2, sizeof rx_pub2, "PUBLISH q2 r0 d1 id=4660 t=a/b 0+0/0:;" },
    { rx_pub_utf8, sizeof rx_pub_utf8, "PUBLISH q1 r0 d0 id=65535 t=\xC3\xA9/x 0+3/3:000D0A;" },
    { rx_pub_ctl, sizeof rx_pub_ctl, "PUBLISH q0 r0 d0 id=0 t=\x01\x7F 0+0/0:;" },
    { rx_puback, sizeof rx_puback, "T4 id=1;" },
    { rx_pubrec, sizeof rx_pubrec, "T5 id=2;" },
    { rx_pubrel, sizeof rx_pubrel, "T6 id=3;" },
    { rx_pubcomp, sizeof rx_pubcomp, "T7 id=65535;" },
    { rx_suback, sizeof rx_suback, "SUBACK id=5:00010280;" },
    { rx_suback1, sizeof rx_suback1, "SUBACK id=4660:80;" },
    { rx_unsuback, sizeof rx_unsuback, "T11 id=7;" },
    { rx_pingresp, sizeof rx_pingresp, "PINGRESP;" },
    { rx_pingresp_long, sizeof rx_pingresp_long, "PINGRESP;" },
    { rx_puback_long, sizeof rx_puback_long, "T4 id=9;" },
};
#define N_RX_VALID (sizeof rx_valid / sizeof rx_valid[0])

/* Every valid packet alone: whole, at every pair of cut points (which
   includes every single cut and one byte at a time for short packets). */
static void test_decode_each_packet(void)
{
    size_t k, i, j;
    for (k = 0; k < N_RX_VALID; k++) {
        const rx_case *c = &rx_valid[k];
        sm_mqtt_decoder d;
        rx_log log;
        int bad = 0;
        memset(&log, 0, sizeof log);
        sm_mqtt_decoder_reset(&d);
        CHECK_EQ_INT(feed(&d, c->bytes, c->n, &log), 0);
        CHECK_EQ_STR(log.text, c->events);
        for (i = 1; i < c->n; i++) {
            for (j = i; j < c->n; j++) {
                size_t cuts[2];
                cuts[0] = i; cuts[1] = j;
                memset(&log, 0, sizeof log);
                sm_mqtt_decoder_reset(&d);
                if (feed_cuts(&d, c->bytes, c->n, cuts, 2, &log) != 0) bad++;
                else if (strcmp(log.text, c->events) != 0) bad++;
            }
        }
        CHECK_EQ_INT(bad, 0);
        if (bad) fprintf(stderr, "  packet %lu: %s\n", (unsigned long)k, c->events);
    }
}

/* All valid packets back to back in one stream: in one chunk, at every
   single cut point, one byte at a time, and in chunks of 2..17 bytes. */
static void test_decode_stream_every_split(void)
{
    uint8_t stream[512];
    char expect[2048];
    size_t n = 0, k, cut, step;
    sm_mqtt_decoder d;
    rx_log log;
    int bad = 0;
    expect[0] = '\0';
    for (k = 0; k < N_RX_VALID; k++) {
        memcpy(stream + n, rx_valid[k].bytes, rx_valid[k].n);
        n += rx_valid[k].n;
        strcat(expect, rx_valid[k].events);
    }
    memset(&log, 0, sizeof log);
    sm_mqtt_decoder_reset(&d);
    CHECK_EQ_INT(feed(&d, stream, n, &log), 0);
    CHECK_EQ_STR(log.text, expect);
    CHECK_EQ_INT(log.events, (int)N_RX_VALID);
    for (cut = 1; cut < n; cut++) {
        memset(&log, 0, sizeof log);
        sm_mqtt_decoder_reset(&d);
        if (feed_cuts(&d, stream, n, &cut, 1, &log) != 0 || strcmp(log.text, expect) != 0) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    for (step = 1; step <= 17; step++) {
        size_t at;
        memset(&log, 0, sizeof log);
        sm_mqtt_decoder_reset(&d);
        for (at = 0; at < n; at += step)
            if (feed(&d, stream + at, n - at < step ? n - at : step, &log) != 0) bad++;
        if (strcmp(log.text, expect) != 0) bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

/* Many packets in one chunk: 300 PINGRESPs, PUBLISHes and PUBACKs. */
static void test_decode_many_back_to_back(void)
{
    uint8_t *stream = xmalloc(300 * 16);
    size_t n = 0, i;
    sm_mqtt_decoder d;
    rx_log log;
    for (i = 0; i < 100; i++) {
        memcpy(stream + n, rx_pingresp, sizeof rx_pingresp); n += sizeof rx_pingresp;
        memcpy(stream + n, rx_pub1, sizeof rx_pub1); n += sizeof rx_pub1;
        memcpy(stream + n, rx_puback, sizeof rx_puback); n += sizeof rx_puback;
    }
    memset(&log, 0, sizeof log);
    sm_mqtt_decoder_reset(&d);
    CHECK_EQ_INT(feed(&d, stream, n, &log), 0);
    CHECK_EQ_INT(log.events, 300);
    CHECK_EQ_INT(log.bad, 0);
    free(stream);
}

typedef struct rx_bad {
    const uint8_t *bytes;
    size_t n;
    size_t at;  /* bytes consumed when the error is reported */
    int err;
    const char *why;
} rx_bad;

RX(b_connect, 0x10, 0x00);
RX(b_subscribe, 0x82, 0x00);
RX(b_unsubscribe, 0xA2, 0x00);
RX(b_pingreq, 0xC0, 0x00);
RX(b_disconnect, 0xE0, 0x00);
RX(b_type0, 0x00, 0x00);
RX(b_type15, 0xF0, 0x00);
RX(b_connack_flags, 0x21, 0x02, 0x00, 0x00);
RX(b_puback_flags, 0x42, 0x02, 0x00, 0x01);
RX(b_pubrec_flags, 0x58, 0x02, 0x00, 0x01);
RX(b_pubrel_flags0, 0x60, 0x02, 0x00, 0x01);
RX(b_pubrel_flags3, 0x63, 0x02, 0x00, 0x01);
RX(b_pubrel_flags4, 0x64, 0x02, 0x00, 0x01);
RX(b_pubcomp_flags, 0x72, 0x02, 0x00, 0x01);
RX(b_suback_flags, 0x92, 0x03, 0x00, 0x01, 0x00);
RX(b_unsuback_flags, 0xB1, 0x02, 0x00, 0x01);
RX(b_pingresp_flags, 0xD8, 0x00);
RX(b_pub_qos3, 0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01);
RX(b_pub_qos3_all, 0x3F, 0x05, 0x00, 0x01, 'a', 0x00, 0x01);
RX(b_pub_dup_qos0, 0x38, 0x03, 0x00, 0x01, 'a');
RX(b_pub_dup_qos0_r, 0x39, 0x03, 0x00, 0x01, 'a');
RX(b_len5, 0xD0, 0x80, 0x80, 0x80, 0x80, 0x00);
RX(b_len5_pub, 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);
RX(b_connack_len3, 0x20, 0x03, 0x00, 0x00, 0x00);
RX(b_connack_len1, 0x20, 0x01, 0x00);
RX(b_connack_len0, 0x20, 0x00);
RX(b_puback_len3, 0x40, 0x03, 0x00, 0x01, 0x00);
RX(b_puback_len1, 0x40, 0x01, 0x01);
RX(b_pubrec_len0, 0x50, 0x00);
RX(b_pubrel_len4, 0x62, 0x04, 0x00, 0x01, 0x00, 0x00);
RX(b_pubcomp_len1, 0x70, 0x01, 0x01);
RX(b_unsuback_len3, 0xB0, 0x03, 0x00, 0x01, 0x00);
RX(b_pingresp_len1, 0xD0, 0x01, 0x00);
RX(b_suback_len2, 0x90, 0x02, 0x00, 0x01);
RX(b_suback_len0, 0x90, 0x00);
RX(b_connack_res1, 0x20, 0x02, 0x02, 0x00);
RX(b_connack_res7, 0x20, 0x02, 0x80, 0x00);
RX(b_connack_rc6, 0x20, 0x02, 0x00, 0x06);
RX(b_connack_rcff, 0x20, 0x02, 0x00, 0xFF);
RX(b_connack_sp_refused, 0x20, 0x02, 0x01, 0x01);
RX(b_puback_id0, 0x40, 0x02, 0x00, 0x00);
RX(b_pubrec_id0, 0x50, 0x02, 0x00, 0x00);
RX(b_pubrel_id0, 0x62, 0x02, 0x00, 0x00);
RX(b_pubcomp_id0, 0x70, 0x02, 0x00, 0x00);
RX(b_unsuback_id0, 0xB0, 0x02, 0x00, 0x00);
RX(b_suback_id0, 0x90, 0x03, 0x00, 0x00, 0x00);
RX(b_pub_id0, 0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00);
RX(b_pub2_id0, 0x34, 0x06, 0x00, 0x01, 'a', 0x00, 0x00, 'x');
RX(b_suback_rc3, 0x90, 0x03, 0x00, 0x01, 0x03);
RX(b_suback_rc7f, 0x90, 0x03, 0x00, 0x01, 0x7F);
RX(b_suback_rc81, 0x90, 0x04, 0x00, 0x01, 0x00, 0x81);
RX(b_suback_rcff, 0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0xFF);
RX(b_pub_rl0, 0x30, 0x00);
RX(b_pub_rl1, 0x30, 0x01, 0x00);
RX(b_pub_topic0, 0x30, 0x02, 0x00, 0x00);
RX(b_pub_topic0_q1, 0x32, 0x04, 0x00, 0x00, 0x00, 0x01);
RX(b_pub_topic_long, 0x30, 0x04, 0x00, 0x05, 'a', 'b');
RX(b_pub_no_id, 0x32, 0x04, 0x00, 0x02, 'a', 'b');
RX(b_pub_half_id, 0x32, 0x05, 0x00, 0x02, 'a', 'b', 0x00);
RX(b_pub_hash, 0x30, 0x04, 0x00, 0x02, 'a', '#');
RX(b_pub_plus, 0x30, 0x05, 0x00, 0x03, 'a', '/', '+');
RX(b_pub_nul, 0x30, 0x05, 0x00, 0x02, 'a', 0x00, 'x');
RX(b_pub_utf8_bad, 0x30, 0x04, 0x00, 0x02, 0xC3, 0x28);
RX(b_pub_surrogate, 0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80);
RX(b_pub_overlong, 0x30, 0x04, 0x00, 0x02, 0xC0, 0x80);
RX(b_pub_truncated, 0x30, 0x03, 0x00, 0x01, 0xC3);
RX(b_pub_above_max, 0x30, 0x06, 0x00, 0x04, 0xF4, 0x90, 0x80, 0x80);
/* a valid packet first: its event comes out, then the error */
RX(b_after_valid, 0xD0, 0x00, 0x40, 0x02, 0x00, 0x01, 0x20, 0x02, 0x00, 0x09);

#define BAD(name, at, err, why) { name, sizeof name, at, err, why }
static const rx_bad rx_malformed[] = {
    BAD(b_connect, 1, SM_ERR_MALFORMED, "CONNECT from a server"),
    BAD(b_subscribe, 1, SM_ERR_MALFORMED, "SUBSCRIBE from a server"),
    BAD(b_unsubscribe, 1, SM_ERR_MALFORMED, "UNSUBSCRIBE from a server"),
    BAD(b_pingreq, 1, SM_ERR_MALFORMED, "PINGREQ from a server"),
    BAD(b_disconnect, 1, SM_ERR_MALFORMED, "DISCONNECT from a server"),
    BAD(b_type0, 1, SM_ERR_MALFORMED, "reserved type 0"),
    BAD(b_type15, 1, SM_ERR_MALFORMED, "reserved type 15"),
    BAD(b_connack_flags, 1, SM_ERR_MALFORMED, "CONNACK flags 0001"),
    BAD(b_puback_flags, 1, SM_ERR_MALFORMED, "PUBACK flags 0010"),
    BAD(b_pubrec_flags, 1, SM_ERR_MALFORMED, "PUBREC flags 1000"),
    BAD(b_pubrel_flags0, 1, SM_ERR_MALFORMED, "PUBREL flags 0000"),
    BAD(b_pubrel_flags3, 1, SM_ERR_MALFORMED, "PUBREL flags 0011"),
    BAD(b_pubrel_flags4, 1, SM_ERR_MALFORMED, "PUBREL flags 0100"),
    BAD(b_pubcomp_flags, 1, SM_ERR_MALFORMED, "PUBCOMP flags 0010"),
    BAD(b_suback_flags, 1, SM_ERR_MALFORMED, "SUBACK flags 0010"),
    BAD(b_unsuback_flags, 1, SM_ERR_MALFORMED, "UNSUBACK flags 0001"),
    BAD(b_pingresp_flags, 1, SM_ERR_MALFORMED, "PINGRESP flags 1000"),
    BAD(b_pub_qos3, 1, SM_ERR_MALFORMED, "PUBLISH QoS 3"),
    BAD(b_pub_qos3_all, 1, SM_ERR_MALFORMED, "PUBLISH QoS 3 with DUP and RETAIN"),
    BAD(b_pub_dup_qos0, 1, SM_ERR_MALFORMED, "PUBLISH DUP with QoS 0"),
    BAD(b_pub_dup_qos0_r, 1, SM_ERR_MALFORMED, "PUBLISH DUP with QoS 0, retained"),
    BAD(b_len5, 5, SM_ERR_MALFORMED, "fifth remaining-length byte"),
    BAD(b_len5_pub, 5, SM_ERR_MALFORMED, "fifth remaining-length byte (PUBLISH)"),
    BAD(b_connack_len3, 2, SM_ERR_MALFORMED, "CONNACK length 3"),
    BAD(b_connack_len1, 2, SM_ERR_MALFORMED, "CONNACK length 1"),
    BAD(b_connack_len0, 2, SM_ERR_MALFORMED, "CONNACK length 0"),
    BAD(b_puback_len3, 2, SM_ERR_MALFORMED, "PUBACK length 3"),
    BAD(b_puback_len1, 2, SM_ERR_MALFORMED, "PUBACK length 1"),
    BAD(b_pubrec_len0, 2, SM_ERR_MALFORMED, "PUBREC length 0"),
    BAD(b_pubrel_len4, 2, SM_ERR_MALFORMED, "PUBREL length 4"),
    BAD(b_pubcomp_len1, 2, SM_ERR_MALFORMED, "PUBCOMP length 1"),
    BAD(b_unsuback_len3, 2, SM_ERR_MALFORMED, "UNSUBACK length 3"),
    BAD(b_pingresp_len1, 2, SM_ERR_MALFORMED, "PINGRESP length 1"),
    BAD(b_suback_len2, 2, SM_ERR_MALFORMED, "SUBACK without return codes"),
    BAD(b_suback_len0, 2, SM_ERR_MALFORMED, "SUBACK length 0"),
    BAD(b_connack_res1, 4, SM_ERR_MALFORMED, "CONNACK reserved bit 1"),
    BAD(b_connack_res7, 4, SM_ERR_MALFORMED, "CONNACK reserved bit 7"),
    BAD(b_connack_rc6, 4, SM_ERR_MALFORMED, "CONNACK return code 6"),
    BAD(b_connack_rcff, 4, SM_ERR_MALFORMED, "CONNACK return code 255"),
    BAD(b_connack_sp_refused, 4, SM_ERR_MALFORMED, "CONNACK session present when refused"),
    BAD(b_puback_id0, 4, SM_ERR_MALFORMED, "PUBACK packet id 0"),
    BAD(b_pubrec_id0, 4, SM_ERR_MALFORMED, "PUBREC packet id 0"),
    BAD(b_pubrel_id0, 4, SM_ERR_MALFORMED, "PUBREL packet id 0"),
    BAD(b_pubcomp_id0, 4, SM_ERR_MALFORMED, "PUBCOMP packet id 0"),
    BAD(b_unsuback_id0, 4, SM_ERR_MALFORMED, "UNSUBACK packet id 0"),
    BAD(b_suback_id0, 5, SM_ERR_MALFORMED, "SUBACK packet id 0"),
    BAD(b_pub_id0, 7, SM_ERR_MALFORMED, "PUBLISH QoS 1 packet id 0"),
    BAD(b_pub2_id0, 7, SM_ERR_MALFORMED, "PUBLISH QoS 2 packet id 0"),
    BAD(b_suback_rc3, 5, SM_ERR_MALFORMED, "SUBACK return code 3"),
    BAD(b_suback_rc7f, 5, SM_ERR_MALFORMED, "SUBACK return code 0x7F"),
    BAD(b_suback_rc81, 6, SM_ERR_MALFORMED, "SUBACK return code 0x81"),
    BAD(b_suback_rcff, 7, SM_ERR_MALFORMED, "SUBACK return code 0xFF"),
    BAD(b_pub_rl0, 2, SM_ERR_MALFORMED, "PUBLISH length 0"),
    BAD(b_pub_rl1, 2, SM_ERR_MALFORMED, "PUBLISH length 1"),
    BAD(b_pub_topic0, 4, SM_ERR_MALFORMED, "PUBLISH empty topic"),
    BAD(b_pub_topic0_q1, 4, SM_ERR_MALFORMED, "PUBLISH QoS 1 empty topic"),
    BAD(b_pub_topic_long, 4, SM_ERR_MALFORMED, "topic longer than the packet"),
    BAD(b_pub_no_id, 4, SM_ERR_MALFORMED, "QoS 1 packet id beyond the packet"),
    BAD(b_pub_half_id, 4, SM_ERR_MALFORMED, "QoS 1 packet id cut by the packet"),
    BAD(b_pub_hash, 6, SM_ERR_MALFORMED, "'#' in a topic name"),
    BAD(b_pub_plus, 7, SM_ERR_MALFORMED, "'+' in a topic name"),
    BAD(b_pub_nul, 6, SM_ERR_MALFORMED, "U+0000 in a topic name"),
    BAD(b_pub_utf8_bad, 6, SM_ERR_MALFORMED, "bad UTF-8 continuation"),
    BAD(b_pub_surrogate, 7, SM_ERR_MALFORMED, "UTF-16 surrogate"),
    BAD(b_pub_overlong, 6, SM_ERR_MALFORMED, "overlong NUL"),
    BAD(b_pub_truncated, 5, SM_ERR_MALFORMED, "UTF-8 cut by the topic length"),
    BAD(b_pub_above_max, 8, SM_ERR_MALFORMED, "code point above U+10FFFF"),
    BAD(b_after_valid, 10, SM_ERR_MALFORMED, "bad CONNACK after good packets"),
};
#define N_RX_MALFORMED (sizeof rx_malformed / sizeof rx_malformed[0])

/* Feeds a malformed packet whole and one byte at a time: the error must come
   at the same byte, stay latched, and go away only with a reset. */
static void check_malformed(const rx_bad *c)
{
    sm_mqtt_decoder d;
    sm_mqtt_event e;
    rx_log log;
    size_t used = 0, i, consumed = 0;
    int rc = 0, failed = sm_test_tally.failed;
    uint8_t *copy = xmalloc(c->n); /* exact size: ASan sees any read past it */
    memcpy(copy, c->bytes, c->n);
    memset(&log, 0, sizeof log);
    sm_mqtt_decoder_reset(&d);
    rc = feed(&d, copy, c->n, &log);
    CHECK_EQ_INT(rc, c->err);
    /* one byte at a time */
    memset(&log, 0, sizeof log);
    sm_mqtt_decoder_reset(&d);
    for (i = 0; i < c->n; i++) {
        rc = sm_mqtt_decode(&d, copy + i, 1, &used, &e);
        if (rc > 0) log_event(&log, rc, &e);
        consumed += used;
        if (rc < 0) break;
    }
    CHECK_EQ_INT(rc, c->err);
    CHECK_EQ_INT(consumed, c->at);
    /* latched: nothing more is consumed, the same error comes back */
    rc = sm_mqtt_decode(&d, rx_pingresp, sizeof rx_pingresp, &used, &e);
    CHECK_EQ_INT(rc, c->err);
    CHECK_EQ_INT(used, 0);
    /* a reset recovers */
    sm_mqtt_decoder_reset(&d);
    rc = sm_mqtt_decode(&d, rx_pingresp, sizeof rx_pingresp, &used, &e);
    CHECK_EQ_INT(rc, SM_MQTT_PINGRESP);
    if (sm_test_tally.failed != failed) fprintf(stderr, "  malformed case: %s\n", c->why);
    free(copy);
}

static void test_decode_malformed(void)
{
    size_t k;
    rx_log log;
    sm_mqtt_decoder d;
    for (k = 0; k < N_RX_MALFORMED; k++) check_malformed(&rx_malformed[k]);
    /* the good packets before the bad one were reported */
    memset(&log, 0, sizeof log);
    sm_mqtt_decoder_reset(&d);
    CHECK_EQ_INT(feed(&d, b_after_valid, sizeof b_after_valid, &log), SM_ERR_MALFORMED);
    CHECK_EQ_STR(log.text, "PINGRESP;T4 id=1;");
    CHECK_EQ_STR(sm_strerror(SM_ERR_MALFORMED), "malformed packet from the peer");
}

/* Every first byte a client may not receive is refused at once; every one it
   may receive is not. */
static void test_decode_every_first_byte(void)
{
    unsigned b;
    int bad = 0;
    for (b = 0; b < 256; b++) {
        sm_mqtt_decoder d;
        sm_mqtt_event e;
        size_t used;
        uint8_t byte = (uint8_t)b;
        unsigned type = b >> 4, flags = b & 15u;
        int ok;
        if (type == SM_MQTT_PUBLISH) ok = (flags & 6u) != 6u && (flags & 0x0Eu) != 8u;
        else if (type == SM_MQTT_PUBREL) ok = flags == 2;
        else ok = flags == 0 && (type == 2 || type == 4 || type == 5 || type == 7 || type == 9 ||
                                 type == 11 || type == 13);
        sm_mqtt_decoder_reset(&d);
        if (sm_mqtt_decode(&d, &byte, 1, &used, &e) != (ok ? 0 : SM_ERR_MALFORMED) || used != 1) {
            bad++;
            fprintf(stderr, "  first byte %02X\n", b);
        }
    }
    CHECK_EQ_INT(bad, 0);
}

static void test_decode_params(void)
{
    sm_mqtt_decoder d;
    sm_mqtt_event e;
    size_t used = 7;
    sm_mqtt_decoder_reset(&d);
    CHECK_EQ_INT(sm_mqtt_decode(NULL, rx_pingresp, 2, &used, &e), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_decode(&d, rx_pingresp, 2, NULL, &e), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_decode(&d, rx_pingresp, 2, &used, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_decode(&d, NULL, 2, &used, &e), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_mqtt_decode(&d, NULL, 0, &used, &e), 0);
    CHECK_EQ_INT(used, 0);
    /* SM_ERR_PARAM is not latched */
    CHECK_EQ_INT(sm_mqtt_decode(&d, rx_pingresp, 2, &used, &e), SM_MQTT_PINGRESP);
    CHECK_EQ_INT(used, 2);
    sm_mqtt_decoder_reset(NULL); /* harmless */
}

/* Random streams: valid packets, some with one byte changed, and garbage.
   Whatever the bytes, the decoder must not crash or touch memory outside
   its buffers (ASan), and must give the same events and the same final
   status fed whole, one byte at a time, or in random chunks. */
static uint32_t rng_state = 12345u; /* test-binary state */
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static int feed_chunks(const uint8_t *data, size_t n, int mode, rx_log *log)
{
    sm_mqtt_decoder d;
    size_t at = 0;
    int rc = 0;
    memset(log, 0, sizeof *log);
    sm_mqtt_decoder_reset(&d);
    while (at < n && rc == 0) {
        size_t k = mode == 0 ? n - at : mode == 1 ? 1 : 1 + rng() % 9u;
        if (k > n - at) k = n - at;
        rc = feed(&d, data + at, k, log);
        at += k;
    }
    return rc;
}

static void test_decode_random_streams(void)
{
    uint8_t *stream = NULL;
    rx_log a, b, c;
    int iter, bad = 0, errors = 0;
    for (iter = 0; iter < 3000; iter++) {
        size_t n = 0, seg, nseg = 1 + rng() % 5u;
        int ra, rb, rc;
        stream = xmalloc(nseg * 40);
        for (seg = 0; seg < nseg; seg++) {
            const rx_case *v = &rx_valid[rng() % N_RX_VALID];
            uint32_t kind = rng() % 4u;
            if (kind == 3) { /* garbage */
                size_t k, len = 1 + rng() % 30u;
                for (k = 0; k < len; k++) stream[n++] = (uint8_t)rng();
                continue;
            }
            memcpy(stream + n, v->bytes, v->n);
            if (kind == 2) stream[n + rng() % v->n] = (uint8_t)rng(); /* one byte changed */
            n += v->n;
        }
        ra = feed_chunks(stream, n, 0, &a);
        rb = feed_chunks(stream, n, 1, &b);
        rc = feed_chunks(stream, n, 2, &c);
        if (ra != rb || ra != rc || strcmp(a.text, b.text) != 0 || strcmp(a.text, c.text) != 0 ||
            a.bad || (ra != 0 && ra != SM_ERR_MALFORMED && ra != SM_ERR_NO_SPACE))
            bad++;
        errors += ra != 0;
        free(stream);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(errors > 100 && errors < 3000); /* both outcomes were exercised */
}

/* ---- decoder: payloads in pieces --------------------------------------------- */

typedef struct collect {
    uint8_t *payload;   /* the pieces put together */
    size_t cap;
    uint32_t next;      /* offset the next piece must have */
    uint32_t total;
    int pieces, done, bad;
    size_t max_piece;
    char topic[SM_MQTT_RX_SIZE];
    uint16_t id;
    uint8_t qos, retain, dup;
} collect;

/* Feeds data in chunks of `chunk` bytes (0: all at once), collecting one
   PUBLISH; returns the decoder's final status. */
static int collect_publish(sm_mqtt_decoder *d, const uint8_t *data, size_t n, size_t chunk,
                           collect *c)
{
    sm_mqtt_event e;
    size_t used, at = 0;
    int rc;
    while (at < n) {
        size_t k = chunk && n - at > chunk ? chunk : n - at;
        rc = sm_mqtt_decode(d, data + at, k, &used, &e);
        if (rc < 0) return rc;
        at += used;
        if (rc == 0) continue;
        if (rc != SM_MQTT_PUBLISH || c->done || e.offset != c->next) { c->bad++; continue; }
        if (c->pieces == 0) {
            c->total = e.total;
            snprintf(c->topic, sizeof c->topic, "%s", e.topic);
            c->id = e.packet_id; c->qos = e.qos; c->retain = e.retain; c->dup = e.dup;
        } else if (e.total != c->total || strcmp(c->topic, e.topic) != 0 || e.packet_id != c->id) {
            c->bad++;
        }
        if (e.offset + e.data_len > c->cap) { c->bad++; continue; }
        if (e.data_len) memcpy(c->payload + e.offset, e.data, e.data_len);
        if (e.data_len > c->max_piece) c->max_piece = e.data_len;
        c->next += (uint32_t)e.data_len;
        c->pieces++;
        if (c->next == e.total) c->done = 1;
    }
    return 0;
}

/* A PUBLISH from the encoder goes through the decoder, in several
   chunkings, and comes out the same. */
static void check_round_trip(const char *topic, uint8_t qos, uint8_t retain, uint8_t dup,
                             uint16_t id, uint32_t payload_len, int header_only)
{
    static const size_t chunks[] = { 0, 1, 2, 7, 100, 255, 256, 257, 1000 };
    sm_mqtt_publish p;
    uint8_t *payload = xmalloc(payload_len), *wire;
    size_t len, hlen, i, room;
    int failed = sm_test_tally.failed;
    for (i = 0; i < payload_len; i++) payload[i] = (uint8_t)((i * 31u + 7u) ^ (i >> 8));
    memset(&p, 0, sizeof p);
    p.topic = topic; p.qos = qos; p.retain = retain; p.dup = dup; p.packet_id = id;
    p.payload = payload; p.payload_len = payload_len;
    sm_mqtt_encode_publish(NULL, 0, &p, &len);
    wire = xmalloc(len);
    if (header_only) { /* the header, then the payload written after it */
        CHECK_EQ_INT(sm_mqtt_encode_publish_header(wire, len, &p, &hlen), SM_OK);
        CHECK_EQ_INT(hlen + payload_len, len);
        memcpy(wire + hlen, payload, payload_len);
    } else {
        CHECK_EQ_INT(sm_mqtt_encode_publish(wire, len, &p, &len), SM_OK);
    }
    room = SM_MQTT_RX_SIZE - (strlen(topic) + 3); /* payload piece size */
    for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        sm_mqtt_decoder d;
        collect c;
        memset(&c, 0, sizeof c);
        c.payload = xmalloc(payload_len);
        c.cap = payload_len;
        sm_mqtt_decoder_reset(&d);
        CHECK_EQ_INT(collect_publish(&d, wire, len, chunks[i], &c), 0);
        CHECK(c.done && c.bad == 0 && c.total == payload_len);
        CHECK(memcmp(c.payload, payload, payload_len) == 0);
        CHECK_EQ_STR(c.topic, topic);
        CHECK(c.qos == qos && c.retain == retain && c.dup == dup && c.id == (qos ? id : 0));
        /* pieces are as large as the buffer allows, whatever the chunking */
        CHECK_EQ_INT(c.pieces, payload_len ? (int)((payload_len + room - 1) / room) : 1);
        CHECK(c.max_piece == (payload_len < room ? payload_len : room));
        free(c.payload);
    }
    if (sm_test_tally.failed != failed)
        fprintf(stderr, "  round trip: topic %s qos %u payload %lu\n", topic, qos,
                (unsigned long)payload_len);
    free(wire);
    free(payload);
}

static void test_round_trip(void)
{
    char *t252 = repeat('t', SM_MQTT_RX_SIZE - 4);
    check_round_trip("a/b", 0, 0, 0, 0, 0, 0);
    check_round_trip("a/b", 1, 1, 0, 1, 2, 0);
    check_round_trip("a/b", 2, 0, 1, 0xFFFF, 1, 1);
    check_round_trip("\xC3\xA9t\xE2\x82\xAC", 1, 0, 1, 300, SM_MQTT_RX_SIZE - 10, 0);
    check_round_trip("big/topic", 1, 0, 0, 7, 1000, 0);   /* 244-byte pieces */
    check_round_trip("big/topic", 0, 1, 0, 0, 1000, 1);
    check_round_trip("x", 2, 0, 0, 9, 70000, 1);          /* 3-byte remaining length */
    check_round_trip(t252, 1, 0, 0, 5, 3, 0);             /* the longest topic: 1-byte pieces */
    free(t252);
}

/* Each piece of a long payload split at every point: the same pieces. */
static void test_large_payload_every_split(void)
{
    enum { PAYLOAD = 2 * SM_MQTT_RX_SIZE + 88 };
    const size_t room = SM_MQTT_RX_SIZE - 6; /* after "s/t" and its NUL */
    sm_mqtt_publish p;
    uint8_t payload[PAYLOAD], wire[PAYLOAD + 16], got[PAYLOAD];
    size_t len, cut;
    int bad = 0;
    unsigned i;
    for (i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i ^ 0x5Au);
    memset(&p, 0, sizeof p);
    p.topic = "s/t"; p.qos = 1; p.packet_id = 42; p.payload = payload; p.payload_len = PAYLOAD;
    CHECK_EQ_INT(sm_mqtt_encode_publish(wire, sizeof wire, &p, &len), SM_OK);
    for (cut = 1; cut < len; cut++) {
        sm_mqtt_decoder d;
        collect c;
        memset(&c, 0, sizeof c);
        memset(got, 0, sizeof got);
        c.payload = got;
        c.cap = sizeof got;
        sm_mqtt_decoder_reset(&d);
        if (collect_publish(&d, wire, cut, 0, &c) != 0) bad++;
        if (collect_publish(&d, wire + cut, len - cut, 0, &c) != 0) bad++;
        if (!c.done || c.bad || c.pieces != (int)((PAYLOAD + room - 1) / room)) bad++;
        if (memcmp(got, payload, sizeof got) != 0) bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

/* The remaining-length field, written by the test itself (2.2.3). */
static size_t put_rl(uint8_t *p, size_t rl)
{
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((rl & 0x7Fu) | (rl > 0x7Fu ? 0x80u : 0u));
        rl >>= 7;
    } while (rl);
    return n;
}

static void test_decode_buffer_limits(void)
{
    uint8_t wire[SM_MQTT_RX_SIZE + 16];
    sm_mqtt_decoder d;
    rx_log log;
    size_t i, n, tlen;
    /* a PUBLISH topic of SM_MQTT_RX_SIZE - 4 bytes fits (its payload comes in
       1-byte pieces); one byte more is SM_ERR_NO_SPACE once its length is read */
    for (i = 0; i < 2; i++) {
        tlen = SM_MQTT_RX_SIZE - 4 + i;
        wire[0] = 0x30;
        n = 1 + put_rl(wire + 1, 2 + tlen + 2);
        wire[n++] = (uint8_t)(tlen >> 8);
        wire[n++] = (uint8_t)tlen;
        memset(wire + n, 'a', tlen + 2);
        memset(&log, 0, sizeof log);
        sm_mqtt_decoder_reset(&d);
        CHECK_EQ_INT(feed(&d, wire, n + tlen + 2, &log), i ? SM_ERR_NO_SPACE : 0);
        CHECK_EQ_INT(log.events, i ? 0 : 2);
        CHECK_EQ_INT(log.bad, 0);
    }
    /* a SUBACK of SM_MQTT_RX_SIZE - 2 codes fits, one more does not */
    for (i = 0; i < 2; i++) {
        size_t rl = SM_MQTT_RX_SIZE + i;
        wire[0] = 0x90;
        n = 1 + put_rl(wire + 1, rl);
        wire[n++] = 0x00;
        wire[n++] = 0x01;
        memset(wire + n, 0x01, rl - 2);
        memset(&log, 0, sizeof log);
        sm_mqtt_decoder_reset(&d);
        CHECK_EQ_INT(feed(&d, wire, n + rl - 2, &log), i ? SM_ERR_NO_SPACE : 0);
        CHECK_EQ_INT(log.events, i ? 0 : 1);
    }
}

int main(void)
{
    RUN(test_ping_disconnect);
    RUN(test_connect_vectors);
    RUN(test_publish_vectors);
    RUN(test_remaining_length_boundaries);
    RUN(test_ack_vectors);
    RUN(test_subscribe_vectors);
    RUN(test_check_string);
    RUN(test_connect_rejected);
    RUN(test_publish_rejected);
    RUN(test_subscribe_rejected);
    RUN(test_decode_each_packet);
    RUN(test_decode_stream_every_split);
    RUN(test_decode_many_back_to_back);
    RUN(test_decode_malformed);
    RUN(test_decode_every_first_byte);
    RUN(test_decode_params);
    RUN(test_decode_random_streams);
    RUN(test_round_trip);
    RUN(test_large_payload_every_split);
    RUN(test_decode_buffer_limits);
    return sm_test_finish("test_mqtt");
}
