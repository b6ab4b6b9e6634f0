/* test_hce.c - unit tests of host signing: the +SQNHCESIGN URC of the
   Sequans dialect (section 6: parsed, validated, SM_SQN_EV_HCE_SIGN or
   UNHANDLED), sm_sqn_hce_reply()'s exact bytes, and the glue of section 12
   (sm_hce) between a scripted modem (transcripts written from
   sim/sequans_contract.md, "Host signing") and a small functional fake of
   an ATECC608 on I2C: the sign sequence on the chip, the answer, requests
   interleaved with other traffic, chip failures, queueing, restarts. Both
   clocks are variables; nothing sleeps.
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake_atecc.h"
#include "../../common/sm_fake.h"
#include "../../common/sm_status_name.h"

#include <stdlib.h>

/* ---- a functional fake of the chip ------------------------------------------- */
/* Wake, idle, output-pointer reset, command groups with their CRC checked;
   Random, Nonce pass-through (the digest is kept: what was signed), Sign
   external of any key slot 0..15 (returns the fixed rs, or status 0x0F when
   fail_sign). A poll NACKs `busy_polls` times after each command. */
typedef struct fake {
    sm_fake_chip bus;    /* first: wake, framing, CRC, busy, the clock */
    uint8_t digest[32], rs[64];
    uint8_t fail_sign, sign_slot;
    int randoms, nonces, signs;
} fake;

/* The opcodes, for a command group whose framing the bus checked. */
static void fake_op(sm_fake_chip *bus, const uint8_t *g, size_t n)
{
    fake *f = (fake *)bus; /* bus is its first member */
    static const uint8_t ok = 0x00, exec = 0x0F;
    uint8_t rnd[32];
    switch (g[1]) {
    case SM_ATECC_OP_RANDOM:
        f->randoms++;
        memset(rnd, 0x5A, sizeof rnd);
        sm_fake_chip_answer(&f->bus, rnd, 32);
        break;
    case SM_ATECC_OP_NONCE:
        f->nonces++;
        if (n == 7 + 32 && g[2] == 0x03) { memcpy(f->digest, g + 5, 32); sm_fake_chip_answer(&f->bus, &ok, 1); }
        else sm_fake_chip_answer(&f->bus, &exec, 1);
        break;
    case SM_ATECC_OP_SIGN:
        f->signs++;
        f->sign_slot = g[3];
        if (!f->fail_sign && g[2] == 0x80) sm_fake_chip_answer(&f->bus, f->rs, 64);
        else sm_fake_chip_answer(&f->bus, &exec, 1);
        break;
    case SM_ATECC_OP_GENKEY: { /* public key: other work for the chip */
        uint8_t pub[64];
        memset(pub, 0x22, sizeof pub);
        sm_fake_chip_answer(&f->bus, pub, 64);
        break;
    }
    default:
        sm_fake_chip_answer(&f->bus, &exec, 1);
    }
}

/* ---- the scripted modem and the application ----------------------------------- */
typedef struct T {
    sm_sqn m;
    sm_sqn_mqtt_mem mq; /* the built-in MQTT client's memory */
    sm_atecc se;
    sm_hce h;
    fake chip;
    sm_fake io; /* the modem's UART, the clock and the log */
    int echo;
    int forward;          /* the application forwards events to sm_hce_on_event */
    int taken;            /* events sm_hce_on_event took */
    int reenter;          /* the hce event callback calls sm_hce_poll() */
    int reenter_busy;     /* ... and was told SM_ERR_BUSY */
} T;

static T g_t; /* test-binary state, not library state */

static void on_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    char tmp[120];
    (void)m;
    snprintf(tmp, sizeof tmp, "{%s %s}", sm_sqn_op_name(r->op), sm_test_status_name(r->status));
    sm_fake_log(&((T *)ctx)->io, tmp);
}

static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    T *t = (T *)ctx;
    char tmp[300], e[200];
    (void)m;
    switch (ev->type) {
    case SM_SQN_EV_HCE_SIGN:
        snprintf(tmp, sizeof tmp, "[HCE_SIGN %u %u %u %02x%02x..%02x]", ev->u.hce.ctx, ev->u.hce.key,
                 ev->u.hce.alg, ev->u.hce.digest[0], ev->u.hce.digest[1], ev->u.hce.digest[31]);
        break;
    case SM_SQN_EV_HCE_INVALID:
        if (ev->u.hce.has_ctx) snprintf(tmp, sizeof tmp, "[HCE_INVALID %u]", ev->u.hce.ctx);
        else snprintf(tmp, sizeof tmp, "[HCE_INVALID -]");
        CHECK(ev->u.hce.digest == NULL && ev->line != NULL && ev->line_len > 12);
        break;
    case SM_SQN_EV_UNHANDLED:
        sm_fake_escape(e, sizeof e, ev->line, ev->line_len);
        snprintf(tmp, sizeof tmp, "[UNHANDLED %s]", e);
        break;
    case SM_SQN_EV_MQTT_CONNECTED:
        snprintf(tmp, sizeof tmp, "[MQTT_CONNECTED %ld]", (long)ev->u.mqtt.code);
        break;
    default:
        snprintf(tmp, sizeof tmp, "[%s]", sm_sqn_event_name(ev->type));
        break;
    }
    sm_fake_log(&t->io, tmp);
    if (t->forward && sm_hce_on_event(&t->h, ev)) t->taken++;
}

static void on_hce(void *ctx, sm_hce *h, const sm_hce_event *ev)
{
    T *t = (T *)ctx;
    char tmp[160];
    if (ev->type == SM_HCE_EV_ANSWERED)
        snprintf(tmp, sizeof tmp, "<ANSWERED %u key=%u sign=%s modem=%s%s>", ev->ctx, ev->key,
                 sm_test_status_name(ev->sign), sm_test_status_name(ev->status), ev->code == 3 ? " cme=3" : "");
    else
        snprintf(tmp, sizeof tmp, "<%s %u %s>", sm_hce_event_name(ev->type), ev->ctx, sm_test_status_name(ev->status));
    sm_fake_log(&t->io, tmp);
    if (t->reenter && sm_hce_poll(h) == SM_ERR_BUSY) t->reenter_busy++;
}

static T *fresh(int echo)
{
    T *t = &g_t;
    sm_platform p, c;
    size_t i;
    memset(t, 0, sizeof *t);
    sm_fake_platform(&p, &t->io);
    t->io.now = 1000;
    t->echo = echo;
    t->forward = 1;
    t->chip.bus.now = 5000;
    t->chip.bus.op = fake_op;
    for (i = 0; i < 64; i++) t->chip.rs[i] = (uint8_t)(0xA0u + i); /* a00102..: easy to spot */
    memset(&c, 0, sizeof c);
    c.user = &t->chip.bus;
    c.i2c_write = sm_fake_chip_write;
    c.i2c_read = sm_fake_chip_read;
    c.now_ms = sm_fake_chip_now;
    CHECK_EQ_INT(sm_sqn_init(&t->m, &p, on_event, t), SM_OK);
    CHECK_EQ_INT(sm_atecc_init(&t->se, &c, SM_ATECC_ADDR_DEFAULT), SM_OK);
    /* sm_hce_init registers host signing itself (test_sequans.c
       test_features); the transcripts also feed the MQTT connect's URCs */
    CHECK_EQ_INT(sm_hce_init(&t->h, &t->m, &t->se, on_hce, t), SM_OK);
    CHECK_EQ_INT(sm_sqn_use_mqtt(&t->m, &t->mq), SM_OK);
    return t;
}

static void rx(T *t, const char *s) { sm_sqn_feed(&t->m, (const uint8_t *)s, strlen(s)); }
/* One turn of the application's main loop. */
static void loop(T *t)
{
    sm_sqn_poll(&t->m);
    sm_hce_poll(&t->h);
}
/* Main-loop turns until the glue waits for nothing but the modem (its
   answer in flight, or nothing to do), at most 1000. */
static void loop_until_sent(T *t)
{
    int i;
    for (i = 0; i < 1000 && (t->h.nwait || (t->h.phase != 0 && t->h.phase != 4)); i++)
        loop(t);
    loop(t); /* the answer goes out */
}

static void tx_expect(T *t, const char *want, int line)
{
    sm_fake_expect_tx(&t->io, want, strlen(want), __FILE__, line);
}
#define TX(t, s) tx_expect((t), (s), __LINE__)
#define LOG(t, want) SM_FAKE_LOG_IS(&(t)->io, (want))

/* The modem's echo of the command just written, then its answer. */
static void answer(T *t, const char *cmd, const char *reply)
{
    const char *cr = strchr(cmd, '\r');
    if (t->echo && cr) sm_sqn_feed(&t->m, (const uint8_t *)cmd, (size_t)(cr - cmd) + 1);
    rx(t, reply);
}

/* The digest of the transcripts: 00 01 02 .. 1F; and the URC carrying it. */
static const char k_digest_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
#define URC(ctx, key, alg) "\r\n+SQNHCESIGN:" ctx "," key "," alg "," \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\r\n"
/* what the host answers with the fake's rs (a0 a1 .. df), lowercase */
#define SIG_HEX "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" \
                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
#define REPLY(ctx) "AT+SQNHCESIGN=" ctx ",0,64,\"" SIG_HEX "\"\r"

static int digest_is_0_to_31(const uint8_t *d)
{
    int i;
    for (i = 0; i < 32; i++)
        if (d[i] != i) return 0;
    return 1;
}

/* ---- the URC ---------------------------------------------------------------------- */
static void test_urc_parsed(void)
{
    T *t = fresh(0);
    t->forward = 0;
    rx(t, URC("7", "0", "0"));
    LOG(t, "[HCE_SIGN 7 0 0 0001..1f]");
    /* a space after the colon, the upper bounds, upper-case and quoted digests */
    rx(t, "\r\n+SQNHCESIGN: 65535,255,255,000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\r\n");
    LOG(t, "[HCE_SIGN 65535 255 255 0001..1f]");
    rx(t, "\r\n+SQNHCESIGN:0,3,0,\"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\"\r\n");
    LOG(t, "[HCE_SIGN 0 3 0 ffee..00]");
    CHECK_EQ_INT(sm_at_get_stats(&t->m.at)->unexpected, 0);
    sm_sqn_poll(&t->m);
    TX(t, ""); /* the dialect itself answers nothing */
}

#define D64 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* Fields 1 and 2 are not read (Microchip's driver ignores them): any text,
   quotes, out-of-range numbers, fields after the digest are tolerated. */
static void test_tolerated_forms(void)
{
    static const struct { const char *line, *want; } ok[] = {
        { "+SQNHCESIGN:7,0,0," D64 ",1", "[HCE_SIGN 7 0 0 0001..1f]" },
        { "+SQNHCESIGN:7,0,0," D64 ",\"x\",3", "[HCE_SIGN 7 0 0 0001..1f]" },
        { "+SQNHCESIGN:7,256,0," D64, "[HCE_SIGN 7 255 0 0001..1f]" },
        { "+SQNHCESIGN:7,0,x," D64, "[HCE_SIGN 7 0 255 0001..1f]" },
        { "+SQNHCESIGN:7,\"1\",\"0\"," D64, "[HCE_SIGN 7 1 0 0001..1f]" },
        { "+SQNHCESIGN:7,,," D64, "[HCE_SIGN 7 255 255 0001..1f]" },
        { "+SQNHCESIGN:\"7\",3,9,\"" D64 "\"", "[HCE_SIGN 7 3 9 0001..1f]" },
    };
    size_t i;
    T *t = fresh(0);
    t->forward = 0;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char line[300];
        snprintf(line, sizeof line, "\r\n%s\r\n", ok[i].line);
        rx(t, line);
        LOG(t, ok[i].want);
    }
    CHECK_EQ_INT(sm_at_get_stats(&t->m.at)->unexpected, 0);
}

/* A request whose digest cannot be read is never silent: with a context it
   is answered with the failure at once (the handshake ends instead of
   waiting out the modem's limit), without one it is reported dropped. */
static void test_malformed_requests(void)
{
    static const char *const no_digest[] = {
        "+SQNHCESIGN:7,0,0",                                      /* no digest */
        "+SQNHCESIGN:7,0,0,",                                     /* empty digest */
        "+SQNHCESIGN:7,0,0,000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",   /* 63 */
        ("+SQNHCESIGN:7,0,0," D64 "0"),                             /* 65 */
        "+SQNHCESIGN:7,0,0,000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",  /* g */
        ("+SQNHCESIGN:7,0,0,\"" D64),                               /* unbalanced quote */
    };
    static const char *const no_ctx[] = {
        ("+SQNHCESIGN:65536,0,0," D64),
        ("+SQNHCESIGN:-1,0,0," D64),
        ("+SQNHCESIGN:,0,0," D64),
        "+SQNHCESIGN:x",
    };
    size_t i;
    T *t = fresh(0);
    for (i = 0; i < sizeof no_digest / sizeof no_digest[0]; i++) {
        char line[200];
        snprintf(line, sizeof line, "\r\n%s\r\n", no_digest[i]);
        rx(t, line);
        LOG(t, "[HCE_INVALID 7]");
        loop_until_sent(t);
        TX(t, "AT+SQNHCESIGN=7,1,0,\"\"\r");
        answer(t, "AT+SQNHCESIGN=7,1,0,\"\"\r", "\r\nOK\r\n");
        loop(t);
        LOG(t, "<ANSWERED 7 key=0 sign=parse modem=ok>");
    }
    for (i = 0; i < sizeof no_ctx / sizeof no_ctx[0]; i++) {
        char line[200];
        snprintf(line, sizeof line, "\r\n%s\r\n", no_ctx[i]);
        rx(t, line);
        LOG(t, "[HCE_INVALID -]<DROPPED 0 parse>");
    }
    rx(t, "\r\n+SQNHCESIGN\r\n"); /* no colon: the +SQN catch-all */
    LOG(t, "[UNHANDLED +SQNHCESIGN]");
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->requests, 10);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->failures, 6);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->dropped, 4);
    loop(t);
    TX(t, "");
    CHECK_EQ_INT(t->chip.bus.commands, 0); /* nothing asked of the chip */
    CHECK_EQ_INT(sm_hce_busy(&t->h), 0);
}

/* ---- the answer command ------------------------------------------------------------ */
static void test_reply_bytes(void)
{
    T *t = fresh(0);
    uint8_t sig[64];
    size_t i;
    for (i = 0; i < 64; i++) sig[i] = (uint8_t)(0xA0u + i);
    CHECK_EQ_INT(sm_sqn_hce_reply(NULL, 1, 0, sig, on_done, t), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_hce_reply(&t->m, 1, 0, NULL, on_done, t), SM_ERR_PARAM);  /* no signature */
    CHECK_EQ_INT(sm_sqn_hce_reply(&t->m, 1, 1, sig, on_done, t), SM_ERR_PARAM);   /* failure + sig */
    CHECK(sm_sqn_hce_reply(&t->m, 65535, 0, sig, on_done, t) > 0); /* the longest: 155 bytes */
    loop(t);
    TX(t, REPLY("65535"));
    CHECK_EQ_INT(strlen(REPLY("65535")) - 1, SM_SQN_HCE_CMD_LEN);
    answer(t, REPLY("65535"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "{HCE_REPLY ok}");
    CHECK(sm_sqn_hce_reply(&t->m, 0, SM_SQN_HCE_FAILED, NULL, on_done, t) > 0);
    loop(t);
    TX(t, "AT+SQNHCESIGN=0,1,0,\"\"\r");
    answer(t, "AT+SQNHCESIGN=0,1,0,\"\"\r", "\r\n+CME ERROR: 3\r\n");
    loop(t);
    LOG(t, "{HCE_REPLY modem}");
    CHECK(sm_sqn_hce_reply(&t->m, 12, 255, NULL, on_done, t) > 0);
    loop(t);
    TX(t, "AT+SQNHCESIGN=12,255,0,\"\"\r");
    CHECK_EQ_STR(sm_sqn_op_name(SM_SQN_OP_HCE_REPLY), "HCE_REPLY");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_HCE_SIGN), "HCE_SIGN");
}

/* ---- the glue ------------------------------------------------------------------------ */
static void test_init_and_params(void)
{
    T *t = fresh(0);
    sm_hce h;
    sm_event ev;
    CHECK_EQ_INT(sm_hce_init(NULL, &t->m, &t->se, NULL, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_hce_init(&h, NULL, &t->se, NULL, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_hce_init(&h, &t->m, NULL, NULL, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_hce_init(&h, &t->m, &t->se, NULL, NULL), SM_OK); /* no callback: fine */
    CHECK_EQ_INT(sm_hce_poll(NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_hce_on_event(NULL, NULL), 0);
    CHECK_EQ_INT(sm_hce_on_event(&h, NULL), 0);
    CHECK_EQ_INT(sm_hce_busy(NULL), 0);
    CHECK_EQ_INT(sm_hce_busy(&h), 0);
    memset(&ev, 0, sizeof ev);
    ev.type = SM_SQN_EV_MQTT_CONNECTED;
    CHECK_EQ_INT(sm_hce_on_event(&h, &ev), 0);
    ev.type = SM_SQN_EV_HCE_SIGN; /* without a digest: not a request */
    CHECK_EQ_INT(sm_hce_on_event(&h, &ev), 0);
    CHECK_EQ_STR(sm_hce_event_name(SM_HCE_EV_ANSWERED), "ANSWERED");
    CHECK_EQ_STR(sm_hce_event_name(SM_HCE_EV_DROPPED), "DROPPED");
    CHECK_EQ_STR(sm_hce_event_name((sm_hce_event_type)0), "?");
}

/* The whole request: URC, Random + Nonce(digest) + Sign(slot) on the chip,
   the answer's exact bytes, OK, ANSWERED. Echo on and off. */
static void test_sign_and_answer(int echo)
{
    T *t = fresh(echo);
    rx(t, URC("7", "0", "0"));
    LOG(t, "[HCE_SIGN 7 0 0 0001..1f]");
    CHECK_EQ_INT(t->taken, 1);
    CHECK_EQ_INT(sm_hce_busy(&t->h), 1);
    loop_until_sent(t);
    CHECK_EQ_INT(t->chip.randoms, 1);
    CHECK_EQ_INT(t->chip.nonces, 1);
    CHECK_EQ_INT(t->chip.signs, 1);
    CHECK_EQ_INT(t->chip.sign_slot, 0);
    CHECK(digest_is_0_to_31(t->chip.digest)); /* the chip signed the modem's digest */
    CHECK_EQ_INT(t->chip.bus.crc_bad, 0);
    TX(t, REPLY("7"));
    LOG(t, "");
    CHECK_EQ_INT(sm_hce_busy(&t->h), 1); /* until the modem took the answer */
    answer(t, REPLY("7"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "<ANSWERED 7 key=0 sign=ok modem=ok>");
    CHECK_EQ_INT(sm_hce_busy(&t->h), 0);
    /* then the modem completes the handshake */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "[MQTT_CONNECTED 0]");
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->requests, 1);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->signatures, 1);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->failures, 0);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->reply_errors, 0);
    CHECK_EQ_INT(sm_at_get_stats(&t->m.at)->unexpected, 0);
    (void)k_digest_hex;
}

static void test_sign_with_echo(void) { test_sign_and_answer(1); }
static void test_sign_without_echo(void) { test_sign_and_answer(0); }

/* The application chooses the chip slot; the request's field 1 is not a
   slot (no source says what it is: docs/sequans.md). */
static void test_key_slot_from_the_application(void)
{
    T *t = fresh(0);
    rx(t, URC("300", "4", "0"));
    loop_until_sent(t);
    CHECK_EQ_INT(t->chip.sign_slot, 0); /* the default, Microchip's slot */
    TX(t, REPLY("300"));
    answer(t, REPLY("300"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "[HCE_SIGN 300 4 0 0001..1f]<ANSWERED 300 key=0 sign=ok modem=ok>");
    CHECK_EQ_INT(sm_hce_set_key_slot(&t->h, 16), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_hce_set_key_slot(NULL, 2), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_hce_set_key_slot(&t->h, 2), SM_OK);
    rx(t, URC("301", "0", "0"));
    loop_until_sent(t);
    CHECK_EQ_INT(t->chip.sign_slot, 2);
    TX(t, REPLY("301"));
    answer(t, REPLY("301"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "[HCE_SIGN 301 0 0 0001..1f]<ANSWERED 301 key=2 sign=ok modem=ok>");
}

/* The modem and the application keep running while the chip works: a
   publish that was in flight completes, its URC arrives, another command
   is queued and sent before the answer, and the answer follows. */
static void test_interleaving_with_other_traffic(void)
{
    static const uint8_t data[3] = { 'a', 'b', 'c' };
    T *t = fresh(1);
    int i;
    t->chip.bus.busy_polls = 20; /* a slow chip: many main-loop turns per command */
    CHECK(sm_sqn_mqtt_publish(&t->m, "t/x", 1, data, sizeof data, on_done, t) > 0);
    loop(t);
    TX(t, "AT+SQNSMQTTPUBLISH=0,\"t/x\",1,3\r");
    /* the request crosses the command on the wire: before its echo */
    rx(t, URC("9", "0", "0"));
    answer(t, "AT+SQNSMQTTPUBLISH=0,\"t/x\",1,3\r", "\r\n> ");
    for (i = 0; i < 3; i++) loop(t); /* the chip starts; the payload goes out */
    TX(t, "abc");
    CHECK(sm_atecc_busy(&t->se));
    rx(t, "\r\n+SQNSMQTTPUBLISH: 0,5\r\n\r\nOK\r\n");
    loop(t);
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,5,0\r\n");
    LOG(t, "[HCE_SIGN 9 0 0 0001..1f]{MQTT_PUBLISH ok}[MQTT_PUBLISHED]");
    CHECK(sm_sqn_mqtt_subscribe(&t->m, "t/#", 1, on_done, t) > 0); /* queued meanwhile */
    loop(t);
    TX(t, "AT+SQNSMQTTSUBSCRIBE=0,\"t/#\",1\r");
    CHECK(sm_atecc_busy(&t->se)); /* still signing */
    answer(t, "AT+SQNSMQTTSUBSCRIBE=0,\"t/#\",1\r", "\r\nOK\r\n");
    loop(t);
    LOG(t, "{MQTT_SUBSCRIBE ok}");
    loop_until_sent(t);
    TX(t, REPLY("9"));
    rx(t, "\r\n+SQNSMQTTONSUBSCRIBE:0,\"t/#\",0\r\n"); /* a URC before the answer's echo */
    answer(t, REPLY("9"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "[MQTT_SUBSCRIBED]<ANSWERED 9 key=0 sign=ok modem=ok>");
    CHECK(digest_is_0_to_31(t->chip.digest));
    CHECK_EQ_INT(sm_at_get_stats(&t->m.at)->unexpected, 0);
}

/* A chip that fails: the failure status goes out at once, the modem fails
   the handshake fast. */
static void test_chip_failure_answers_failure(void)
{
    T *t = fresh(0);
    t->chip.fail_sign = 1;
    rx(t, URC("21", "0", "0"));
    loop_until_sent(t);
    CHECK_EQ_INT(t->chip.signs, 1);
    TX(t, "AT+SQNHCESIGN=21,1,0,\"\"\r");
    answer(t, "AT+SQNHCESIGN=21,1,0,\"\"\r", "\r\nOK\r\n\r\n+SQNSMQTTONCONNECT:0,-8\r\n");
    loop(t);
    LOG(t, "[HCE_SIGN 21 0 0 0001..1f]<ANSWERED 21 key=0 sign=chipexec modem=ok>[MQTT_CONNECTED -8]");
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->failures, 1);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->signatures, 0);
    /* the chip recovers: the retry gets a signature */
    t->chip.fail_sign = 0;
    rx(t, URC("22", "0", "0"));
    loop_until_sent(t);
    TX(t, REPLY("22"));
    answer(t, REPLY("22"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "[HCE_SIGN 22 0 0 0001..1f]<ANSWERED 22 key=0 sign=ok modem=ok>");
}

/* A chip that does not answer at all (no wake): the transport's deadlines
   end it, then the failure goes out. */
static void test_chip_gone(void)
{
    T *t = fresh(0);
    sm_platform c;
    memset(&c, 0, sizeof c);
    c.user = &t->chip.bus;
    c.i2c_write = sm_fake_chip_write;
    c.i2c_read = sm_fake_chip_read;
    c.now_ms = sm_fake_chip_now;
    CHECK_EQ_INT(sm_atecc_init(&t->se, &c, 0x33), SM_OK); /* nobody at 0x33 */
    rx(t, URC("5", "0", "0"));
    loop_until_sent(t);
    TX(t, "AT+SQNHCESIGN=5,1,0,\"\"\r");
    answer(t, "AT+SQNHCESIGN=5,1,0,\"\"\r", "\r\nOK\r\n");
    loop(t);
    LOG(t, "[HCE_SIGN 5 0 0 0001..1f]<ANSWERED 5 key=0 sign=nowake modem=ok>");
}

/* Fields 1 and 2 with values no reading gives a meaning to (a "key id"
   that is no slot, an "algorithm" other than 0): signed all the same with
   the application's slot, as Microchip's driver does. */
static void test_unknown_field_values(void)
{
    T *t = fresh(0);
    rx(t, URC("1", "16", "0"));
    loop_until_sent(t);
    TX(t, REPLY("1"));
    answer(t, REPLY("1"), "\r\nOK\r\n");
    loop(t);
    rx(t, URC("2", "0", "1"));
    loop_until_sent(t);
    TX(t, REPLY("2"));
    answer(t, REPLY("2"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "[HCE_SIGN 1 16 0 0001..1f]<ANSWERED 1 key=0 sign=ok modem=ok>"
           "[HCE_SIGN 2 0 1 0001..1f]<ANSWERED 2 key=0 sign=ok modem=ok>");
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->signatures, 2);
}

/* Several requests in a row, while one is served: each answered once, in
   order; the same context asked again replaces the waiting one; a full
   queue drops the oldest waiting. */
static void test_several_requests(void)
{
    T *t = fresh(0);
    t->chip.bus.busy_polls = 5;
    rx(t, URC("1", "0", "0"));
    loop(t); /* 1 is being served */
    rx(t, URC("2", "0", "0"));
    rx(t, URC("3", "1", "0"));
    rx(t, "\r\n+SQNHCESIGN:2,2,0," "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" "\r\n");
    LOG(t, "[HCE_SIGN 1 0 0 0001..1f][HCE_SIGN 2 0 0 0001..1f][HCE_SIGN 3 1 0 0001..1f]"
           "[HCE_SIGN 2 2 0 ff01..1f]<DROPPED 2 cancelled>");
    rx(t, URC("4", "0", "0")); /* waiting: 3, 2: full (SM_HCE_QUEUE 2) */
    LOG(t, "[HCE_SIGN 4 0 0 0001..1f]<DROPPED 3 nospace>");
    loop_until_sent(t);
    TX(t, REPLY("1"));
    answer(t, REPLY("1"), "\r\nOK\r\n");
    loop(t);
    LOG(t, "<ANSWERED 1 key=0 sign=ok modem=ok>");
    loop_until_sent(t);
    CHECK_EQ_INT(t->chip.sign_slot, 0); /* the application's slot, whatever field 1 says */
    CHECK_EQ_INT(t->chip.digest[0], 0xFF); /* the replacement's digest */
    TX(t, REPLY("2"));
    answer(t, REPLY("2"), "\r\nOK\r\n");
    loop(t);
    loop_until_sent(t);
    TX(t, REPLY("4"));
    answer(t, REPLY("4"), "\r\n+CME ERROR: 3\r\n"); /* the modem gave up on it */
    loop(t);
    LOG(t, "<ANSWERED 2 key=0 sign=ok modem=ok><ANSWERED 4 key=0 sign=ok modem=modem cme=3>");
    CHECK_EQ_INT(sm_hce_busy(&t->h), 0);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->requests, 5);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->signatures, 3);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->dropped, 2);
    CHECK_EQ_INT(sm_hce_get_stats(&t->h)->reply_errors, 1);
    CHECK_EQ_INT(t->chip.signs, 3);
}

/* A restart while signing: nothing is answered for the old session; a
   restart while the answer is on the wire ends it with SM_ERR_REBOOT. */
static void test_restart(void)
{
    T *t = fresh(0);
    t->chip.bus.busy_polls = 5;
    rx(t, URC("1", "0", "0"));
    rx(t, URC("2", "0", "0"));
    loop(t);
    CHECK(sm_atecc_busy(&t->se));
    rx(t, "\r\n+SYSSTART\r\n");
    LOG(t, "[HCE_SIGN 1 0 0 0001..1f][HCE_SIGN 2 0 0 0001..1f][RESTARTED]<DROPPED 2 reboot>");
    t->reenter = 1; /* sm_hce_poll() from the event callback is refused */
    loop_until_sent(t);
    t->reenter = 0;
    CHECK_EQ_INT(t->reenter_busy, 1);
    TX(t, ""); /* the chip finished, the old context is not answered */
    LOG(t, "<DROPPED 1 reboot>");
    CHECK_EQ_INT(sm_hce_busy(&t->h), 0);
    /* the next session's request works */
    rx(t, URC("1", "0", "0"));
    loop_until_sent(t);
    TX(t, REPLY("1"));
    rx(t, "\r\n+SYSSTART\r\n"); /* before the answer's OK */
    loop(t);
    LOG(t, "[HCE_SIGN 1 0 0 0001..1f]<ANSWERED 1 key=0 sign=ok modem=reboot>[RESTARTED]");
    CHECK_EQ_INT(sm_hce_busy(&t->h), 0);
    /* a restart before the chip was even asked */
    rx(t, URC("3", "0", "0"));
    rx(t, "\r\n+SYSSTART\r\n");
    loop(t);
    TX(t, "");
    LOG(t, "[HCE_SIGN 3 0 0 0001..1f][RESTARTED]<DROPPED 3 reboot>");
}

/* The chip busy with other work when a request comes: the signature waits
   for it, then goes out. */
static void test_chip_shared(void)
{
    T *t = fresh(0);
    uint8_t pub[64];
    int i;
    t->chip.bus.busy_polls = 10;
    CHECK_EQ_INT(sm_atecc_pubkey_start(&t->se, 0, pub), SM_OK);
    rx(t, URC("8", "0", "0"));
    loop(t);
    CHECK_EQ_INT(t->chip.signs, 0);
    CHECK_EQ_INT(t->h.phase, 1); /* P_START: waiting for the chip */
    for (i = 0; i < 1000 && sm_atecc_poll(&t->se) == SM_ATECC_PENDING; i++) {}
    CHECK_EQ_INT(sm_atecc_poll(&t->se), SM_OK);
    loop_until_sent(t);
    TX(t, REPLY("8"));
    CHECK_EQ_INT(t->chip.signs, 1);
}

/* The AT queue full when the answer is ready: it goes out when there is
   room. */
static void test_queue_full(void)
{
    T *t = fresh(0);
    int n = 0;
    while (sm_sqn_clock_read(&t->m, on_done, t) > 0) n++;
    CHECK_EQ_INT(n, SM_QUEUE_DEPTH);
    rx(t, URC("6", "0", "0"));
    loop_until_sent(t);
    TX(t, "AT+CCLK?\r");
    CHECK_EQ_INT(t->h.phase, 3); /* P_REPLY: no room yet */
    rx(t, "\r\n+CCLK: \"26/11/24,10:20:30+00\"\r\n\r\nOK\r\n");
    loop(t); /* room now: the answer is queued behind the other clock reads */
    CHECK_EQ_INT(t->h.phase, 4);
    for (n = 1; n < SM_QUEUE_DEPTH; n++) {
        TX(t, "AT+CCLK?\r");
        rx(t, "\r\n+CCLK: \"26/11/24,10:20:30+00\"\r\n\r\nOK\r\n");
        loop(t);
    }
    TX(t, REPLY("6"));
    t->reenter = 1; /* also from ANSWERED, which comes from the engine's callback */
    answer(t, REPLY("6"), "\r\nOK\r\n");
    loop(t);
    t->reenter = 0;
    CHECK_EQ_INT(t->reenter_busy, 1);
    LOG(t, "[HCE_SIGN 6 0 0 0001..1f]{CLOCK ok}{CLOCK ok}{CLOCK ok}{CLOCK ok}"
           "<ANSWERED 6 key=0 sign=ok modem=ok>");
}

int main(void)
{
    RUN(test_urc_parsed);
    RUN(test_tolerated_forms);
    RUN(test_malformed_requests);
    RUN(test_reply_bytes);
    RUN(test_init_and_params);
    RUN(test_sign_with_echo);
    RUN(test_sign_without_echo);
    RUN(test_key_slot_from_the_application);
    RUN(test_interleaving_with_other_traffic);
    RUN(test_chip_failure_answers_failure);
    RUN(test_chip_gone);
    RUN(test_unknown_field_values);
    RUN(test_several_requests);
    RUN(test_restart);
    RUN(test_chip_shared);
    RUN(test_queue_full);
    return sm_test_finish("test_hce");
}
