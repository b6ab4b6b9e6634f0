/* test_sequans_supervise.c - unit transcripts of the Sequans dialect's time
   and MQTT supervision (secmodem.h section 6, "Time and MQTT supervision"):
   the NTP sync (AT+SQNNTP, its +SQNNTP URC, the clock read after it), the
   clock set from the host (AT+CCLK=), the bring-up's sync option, the
   subscription table, the re-subscription after the modem resumes a dropped
   session by itself (an unsolicited +SQNSMQTTONCONNECT:0,0, LR8.2.1.0), and
   the probe that finds a session that died silently (no
   +SQNSMQTTONDISCONNECT on that firmware). Each test feeds the modem's bytes
   and checks every byte the library writes, and the events and results in
   order. The clock is a variable.
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake.h"
#include "../../common/sm_status_name.h"
#include "../../common/sm_sqn_event_line.h"

#include <stdlib.h>

/* ---- the scripted modem (as in test_sequans.c) --------------------------- */
typedef struct T {
    sm_fake io; /* the UART, the clock and the log */
    sm_sqn m;
    sm_sqn_mqtt_mem mq;  /* the built-in MQTT client's memory, handed over by fresh() */
    int echo;
    int last_status;
} T;

static T g_t; /* test-binary state, not library state */

static void log_clock(T *t, const sm_datetime *c)
{
    char tmp[80];
    snprintf(tmp, sizeof tmp, " clock=%04u-%02u-%02uT%02u:%02u:%02u tz=%d valid=%u", c->year,
             c->month, c->day, c->hour, c->minute, c->second, c->tz_quarters, c->valid);
    sm_fake_log(&t->io, tmp);
}

static void on_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    T *t = (T *)ctx;
    char tmp[200];
    (void)m;
    t->last_status = r->status;
    snprintf(tmp, sizeof tmp, "{%s %s", sm_sqn_op_name(r->op), sm_test_status_name(r->status));
    sm_fake_log(&t->io, tmp);
    if (r->status == SM_ERR_MODEM && r->at != SM_AT_OK) {
        snprintf(tmp, sizeof tmp, " %s", sm_at_result_name(r->at));
        sm_fake_log(&t->io, tmp);
    }
    if (r->op == SM_SQN_OP_TIME_SYNC) {
        snprintf(tmp, sizeof tmp, " ntp=%ld", (long)r->u.sync.ntp);
        sm_fake_log(&t->io, tmp);
        if (r->status == SM_OK || r->status == SM_ERR_STATE) log_clock(t, &r->u.sync.clock);
    }
    if (r->op == SM_SQN_OP_MQTT_PUBLISH && r->status == SM_OK) {
        snprintf(tmp, sizeof tmp, " pmid=%u", r->value);
        sm_fake_log(&t->io, tmp);
    }
    if (r->op == SM_SQN_OP_BRINGUP) {
        snprintf(tmp, sizeof tmp, " step=%u", r->u.bringup.failed_step);
        sm_fake_log(&t->io, tmp);
        log_clock(t, &r->u.bringup.clock);
    }
    sm_fake_log(&t->io, "}");
}

static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    T *t = (T *)ctx;
    char tmp[400], e[300];
    const char *name = sm_sqn_event_name(ev->type);
    if (!sm_sqn_event_line_ok(ev)) CHECK(sm_sqn_event_line_ok(ev)); /* counted only when it fails */
    (void)m;
    switch (ev->type) {
    case SM_SQN_EV_REGISTERED: case SM_SQN_EV_DEREGISTERED:
        snprintf(tmp, sizeof tmp, "[%s %u]", name, ev->u.reg.stat); break;
    case SM_SQN_EV_RESTARTED:
        snprintf(tmp, sizeof tmp, "[%s %u]", name, ev->u.startup.count); break;
    case SM_SQN_EV_MQTT_CONNECTED: case SM_SQN_EV_MQTT_DISCONNECTED:
        snprintf(tmp, sizeof tmp, "[%s %ld]", name, (long)ev->u.mqtt.code); break;
    case SM_SQN_EV_MQTT_SUBSCRIBED: case SM_SQN_EV_MQTT_UNSUBSCRIBED:
        snprintf(tmp, sizeof tmp, "[%s %s %ld]", name, ev->u.sub.topic, (long)ev->u.sub.code); break;
    case SM_SQN_EV_MQTT_PUBLISHED:
        snprintf(tmp, sizeof tmp, "[%s %u %ld]", name, ev->u.pub.pmid, (long)ev->u.pub.code); break;
    case SM_SQN_EV_MQTT_MESSAGE:
        snprintf(tmp, sizeof tmp, "[%s %s]", name, ev->u.msg.topic); break;
    case SM_SQN_EV_NTP:
        snprintf(tmp, sizeof tmp, "[%s %ld]", name, (long)ev->u.ntp.status); break;
    case SM_SQN_EV_MQTT_RESUMED: case SM_SQN_EV_MQTT_RESUBSCRIBED:
        snprintf(tmp, sizeof tmp, "[%s %u]", name, ev->u.sup.topics); break;
    case SM_SQN_EV_MQTT_RESUBSCRIBE_FAILED:
        snprintf(tmp, sizeof tmp, "[%s %u/%u %s %s %ld]", name, ev->u.sup.failed, ev->u.sup.topics,
                 ev->u.sup.topic, sm_test_status_name(ev->u.sup.status), (long)ev->u.sup.code); break;
    case SM_SQN_EV_MQTT_LOST: case SM_SQN_EV_MQTT_RECONNECT_FAILED:
        snprintf(tmp, sizeof tmp, "[%s %s %ld]", name, sm_test_status_name(ev->u.sup.status), (long)ev->u.sup.code);
        break;
    case SM_SQN_EV_UNHANDLED:
        sm_fake_escape(e, sizeof e, ev->line, ev->line_len);
        snprintf(tmp, sizeof tmp, "[%s %s]", name, e); break;
    default:
        snprintf(tmp, sizeof tmp, "[%s]", name); break;
    }
    sm_fake_log(&t->io, tmp);
    /* the callbacks may not poll (the events of the supervision come from
       sm_sqn_poll() itself too) */
    CHECK_EQ_INT(sm_sqn_poll(m), SM_ERR_BUSY);
}

static T *fresh(int echo)
{
    T *t = &g_t;
    sm_platform p;
    memset(t, 0, sizeof *t);
    sm_fake_platform(&p, &t->io);
    t->io.now = 1000;
    t->echo = echo;
    if (sm_sqn_init(&t->m, &p, on_event, t) != SM_OK) CHECK(0 && "sm_sqn_init");
    /* every URC as its event (test_features tests the registration) */
    if (sm_sqn_use_all(&t->m) != SM_OK) CHECK(0 && "sm_sqn_use_all");
    if (sm_sqn_use_mqtt(&t->m, &t->mq) != SM_OK) CHECK(0 && "sm_sqn_use_mqtt");
    return t;
}

static void rxn(T *t, const void *s, size_t n) { sm_sqn_feed(&t->m, (const uint8_t *)s, n); }
static void rx(T *t, const char *s) { rxn(t, s, strlen(s)); }
static void poll(T *t) { sm_sqn_poll(&t->m); }

static void tx_expect(T *t, const void *want, size_t n, int line)
{
    sm_fake_expect_tx(&t->io, want, n, __FILE__, line);
}
#define TX(t, lit) tx_expect((t), (lit), sizeof(lit) - 1, __LINE__)

#define LOG(t, want) SM_FAKE_LOG_IS(&(t)->io, (want))

static void echo(T *t, const char *cmd)
{
    const char *cr = strchr(cmd, '\r');
    if (t->echo && cr) rxn(t, cmd, (size_t)(cr - cmd) + 1);
}

static void xchg_(T *t, const char *want, const char *reply, int line)
{
    poll(t);
    tx_expect(t, want, strlen(want), line);
    echo(t, want);
    rx(t, reply);
    poll(t);
}
#define XCHG(t, want, reply) xchg_((t), (want), (reply), __LINE__)

#define NTP_CMD "AT+SQNNTP=2,\"time.google.com,time.windows.com,pool.ntp.org\",1\r"

/* ---- time ------------------------------------------------------------------ */
/* MCHP's sequence: AT+SQNNTP answered OK, then +SQNNTP: 0; the clock is
   read afterwards and reported. */
static void test_time_sync_ok(int echo_on)
{
    T *t = fresh(echo_on);
    int id = sm_sqn_time_sync(&t->m, NULL, on_done, t);
    CHECK(id > 0);
    CHECK_EQ_INT(sm_sqn_time_sync(&t->m, NULL, on_done, t), SM_ERR_STATE); /* one at a time */
    XCHG(t, NTP_CMD, "\r\nOK\r\n");
    LOG(t, "");
    t->io.now += 3000;
    poll(t);
    TX(t, "");
    rx(t, "\r\n+SQNNTP: 0\r\n");
    LOG(t, "[NTP 0]");
    XCHG(t, "AT+CCLK?\r", "\r\n+CCLK: \"26/12/07,09:10:11+04\"\r\n\r\nOK\r\n");
    LOG(t, "{TIME_SYNC ok ntp=0 clock=2026-12-07T09:10:11 tz=4 valid=1}");
    /* the servers of the caller; the URC before the command's OK (and with
       more fields than the status) is kept for it */
    CHECK(sm_sqn_time_sync(&t->m, "ntp.example.org,10.0.0.1", on_done, t) > id);
    XCHG(t, "AT+SQNNTP=2,\"ntp.example.org,10.0.0.1\",1\r", "\r\n+SQNNTP:0,\"x\"\r\n\r\nOK\r\n");
    LOG(t, "[NTP 0]");
    XCHG(t, "AT+CCLK?\r", "\r\n+CCLK: \"26/12/07,09:10:12+00\"\r\n\r\nOK\r\n");
    LOG(t, "{TIME_SYNC ok ntp=0 clock=2026-12-07T09:10:12 tz=0 valid=1}");
    /* a URC nobody waits for is still an event */
    rx(t, "\r\n+SQNNTP: 3\r\n");
    LOG(t, "[NTP 3]");
    rx(t, "\r\n+SQNNTP: x\r\n");
    LOG(t, "[UNHANDLED +SQNNTP: x]");
    CHECK_EQ_INT(t->m.at.stats.unexpected, 0);
}

static void test_time_sync_failures(void)
{
    T *t = fresh(0);
    /* strings that would break the command are refused, nothing written */
    CHECK_EQ_INT(sm_sqn_time_sync(&t->m, "a\"b", on_done, t), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_sqn_time_sync(&t->m, "a b", on_done, t), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_sqn_time_sync(&t->m, "a;+CFUN=0", on_done, t), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_sqn_time_sync(&t->m, "", on_done, t), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_sqn_time_sync(NULL, NULL, on_done, t), SM_ERR_PARAM);
    poll(t);
    TX(t, "");
    /* the modem refuses the command */
    sm_sqn_time_sync(&t->m, NULL, on_done, t);
    XCHG(t, NTP_CMD, "\r\n+CME ERROR: 4\r\n");
    LOG(t, "{TIME_SYNC modem CME_ERROR ntp=0}");
    /* the sync fails: status 1 */
    sm_sqn_time_sync(&t->m, NULL, on_done, t);
    XCHG(t, NTP_CMD, "\r\nOK\r\n");
    rx(t, "\r\n+SQNNTP: 1\r\n");
    LOG(t, "[NTP 1]{TIME_SYNC modem ntp=1}");
    poll(t);
    TX(t, ""); /* no clock read */
    /* synced, but the clock still reads 1970: not a success */
    sm_sqn_time_sync(&t->m, NULL, on_done, t);
    XCHG(t, NTP_CMD, "\r\nOK\r\n\r\n+SQNNTP: 0\r\n");
    XCHG(t, "AT+CCLK?\r", "\r\n+CCLK: \"70/01/01,00:01:02+00\"\r\n\r\nOK\r\n");
    LOG(t, "[NTP 0]{TIME_SYNC state ntp=0 clock=1970-01-01T00:01:02 tz=0 valid=0}");
    /* no URC: SM_SQN_NTP_TIMEOUT_MS after the OK */
    sm_sqn_time_sync(&t->m, NULL, on_done, t);
    XCHG(t, NTP_CMD, "\r\nOK\r\n");
    t->io.now += SM_SQN_NTP_TIMEOUT_MS - 1;
    poll(t);
    LOG(t, "");
    t->io.now += 1;
    poll(t);
    LOG(t, "{TIME_SYNC timeout ntp=0}");
    TX(t, "");
    /* a late URC after the timeout is only an event */
    rx(t, "\r\n+SQNNTP: 0\r\n");
    LOG(t, "[NTP 0]");
    poll(t);
    TX(t, "");
    /* a restart while waiting for the URC ends the sync */
    sm_sqn_time_sync(&t->m, NULL, on_done, t);
    XCHG(t, NTP_CMD, "\r\nOK\r\n");
    rx(t, "\r\n+SYSSTART\r\n");
    LOG(t, "{TIME_SYNC reboot ntp=0}[RESTARTED 1]");
    /* and one during the command */
    t->io.now += SM_AT_SETTLE_MS;
    sm_sqn_time_sync(&t->m, NULL, on_done, t);
    XCHG(t, NTP_CMD, "\r\n+SYSSTART\r\n");
    LOG(t, "{TIME_SYNC reboot ntp=0}[RESTARTED 2]");
    t->io.now += SM_AT_SETTLE_MS;
    CHECK(sm_sqn_time_sync(&t->m, NULL, on_done, t) > 0); /* free again */
}

static void test_clock_set(void)
{
    T *t = fresh(0);
    sm_datetime c;
    memset(&c, 0, sizeof c);
    c.year = 2026; c.month = 11; c.day = 24; c.hour = 10; c.minute = 20; c.second = 30;
    c.tz_quarters = 4;
    CHECK(sm_sqn_clock_set(&t->m, &c, on_done, t) > 0);
    XCHG(t, "AT+CCLK=\"26/11/24,10:20:30+04\"\r", "\r\nOK\r\n");
    LOG(t, "{CLOCK_SET ok}");
    c.year = 2000; c.month = 1; c.day = 2; c.hour = 0; c.minute = 0; c.second = 9;
    c.tz_quarters = -20;
    sm_sqn_clock_set(&t->m, &c, on_done, t);
    XCHG(t, "AT+CCLK=\"00/01/02,00:00:09-20\"\r", "\r\n+CME ERROR: 3\r\n");
    LOG(t, "{CLOCK_SET modem CME_ERROR}");
    c.year = 2069; c.month = 12; c.day = 31; c.hour = 23; c.minute = 59; c.second = 59;
    c.tz_quarters = 96;
    sm_sqn_clock_set(&t->m, &c, on_done, t);
    XCHG(t, "AT+CCLK=\"69/12/31,23:59:59+96\"\r", "\r\nOK\r\n");
    LOG(t, "{CLOCK_SET ok}");
    /* what the format cannot carry is refused */
    c.year = 2070;
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, &c, on_done, t), SM_ERR_PARAM);
    c.year = 1999;
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, &c, on_done, t), SM_ERR_PARAM);
    c.year = 2026; c.month = 13;
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, &c, on_done, t), SM_ERR_PARAM);
    c.month = 1; c.day = 0;
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, &c, on_done, t), SM_ERR_PARAM);
    c.day = 1; c.hour = 24;
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, &c, on_done, t), SM_ERR_PARAM);
    c.hour = 0; c.second = 60;
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, &c, on_done, t), SM_ERR_PARAM);
    c.second = 0; c.tz_quarters = -97;
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, &c, on_done, t), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_clock_set(&t->m, NULL, on_done, t), SM_ERR_PARAM);
    poll(t);
    TX(t, "");
}

/* The bring-up up to the clock (echo on, registered at once). */
static void bringup_to_clock(T *t)
{
    int registered = t->m.st.registered; /* then no query: it goes on to the clock */
    CHECK(sm_sqn_bringup(&t->m, on_done, t) > 0);
    XCHG(t, "AT\r", "\r\nOK\r\n");
    XCHG(t, "ATE1\r", "\r\nOK\r\n");
    XCHG(t, "AT+CMEE=1\r", "\r\nOK\r\n");
    XCHG(t, "AT+CEREG=5\r", "\r\nOK\r\n");
    XCHG(t, "AT+CFUN=1\r", "\r\nOK\r\n");
    if (registered) return;
    XCHG(t, "AT+CEREG?\r", "\r\n+CEREG: 5,1\r\n\r\nOK\r\n");
    LOG(t, "[REGISTERED 1]");
}

#define CCLK_1970 "\r\n+CCLK: \"70/01/01,00:00:12+00\"\r\n\r\nOK\r\n"
#define CCLK_2026 "\r\n+CCLK: \"26/12/07,09:30:00+04\"\r\n\r\nOK\r\n"

static void test_bringup_time_sync(void)
{
    T *t = fresh(1);
    int i;
    CHECK_EQ_INT(sm_sqn_bringup_time_sync(NULL, 1000), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_bringup_time_sync(&t->m, 60000), SM_OK);
    /* the clock reads 70/01/01: NTP, its URC, the clock again */
    bringup_to_clock(t);
    XCHG(t, "AT+CCLK?\r", CCLK_1970);
    LOG(t, "");
    XCHG(t, NTP_CMD, "\r\nOK\r\n");
    t->io.now += 2000;
    poll(t);
    TX(t, "");
    rx(t, "\r\n+SQNNTP: 0\r\n");
    LOG(t, "[NTP 0]");
    XCHG(t, "AT+CCLK?\r", CCLK_2026);
    LOG(t, "{BRINGUP ok step=0 clock=2026-12-07T09:30:00 tz=4 valid=1}");
    /* a valid clock: no sync */
    bringup_to_clock(t);
    XCHG(t, "AT+CCLK?\r", CCLK_2026);
    LOG(t, "{BRINGUP ok step=0 clock=2026-12-07T09:30:00 tz=4 valid=1}");
    /* failures are retried every SM_SQN_NTP_RETRY_MS: a refused command, a
       failed sync, a sync that leaves the clock unset, no URC at all */
    bringup_to_clock(t);
    XCHG(t, "AT+CCLK?\r", CCLK_1970);
    XCHG(t, NTP_CMD, "\r\nERROR\r\n");
    t->io.now += SM_SQN_NTP_RETRY_MS - 1;
    poll(t);
    TX(t, "");
    t->io.now += 1;
    XCHG(t, NTP_CMD, "\r\nOK\r\n\r\n+SQNNTP: 2\r\n");
    LOG(t, "[NTP 2]");
    t->io.now += SM_SQN_NTP_RETRY_MS;
    XCHG(t, NTP_CMD, "\r\nOK\r\n\r\n+SQNNTP: 0\r\n");
    XCHG(t, "AT+CCLK?\r", CCLK_1970);
    LOG(t, "[NTP 0]");
    poll(t);
    TX(t, "");
    t->io.now += SM_SQN_NTP_RETRY_MS;
    XCHG(t, NTP_CMD, "\r\nOK\r\n");
    t->io.now += SM_SQN_NTP_TIMEOUT_MS; /* no URC: at once again */
    XCHG(t, NTP_CMD, "\r\nOK\r\n\r\n+SQNNTP: 0\r\n");
    XCHG(t, "AT+CCLK?\r", CCLK_2026);
    LOG(t, "[NTP 0]{BRINGUP ok step=0 clock=2026-12-07T09:30:00 tz=4 valid=1}");
    /* the option's time runs out: failed step TIME_SYNC, the last reading */
    sm_sqn_bringup_time_sync(&t->m, 30000);
    bringup_to_clock(t);
    XCHG(t, "AT+CCLK?\r", CCLK_1970);
    for (i = 0; i < 100 && !strstr(t->io.log, "BRINGUP"); i++) {
        poll(t);
        if (t->io.tx_len > t->io.tx_seen) {
            TX(t, NTP_CMD);
            rx(t, NTP_CMD);
            rx(t, "\r\nOK\r\n\r\n+SQNNTP: 1\r\n");
        }
        t->io.now += 1000;
    }
    /* an attempt every SM_SQN_NTP_RETRY_MS after a failure (polled each
       second here: every 6 s), 30 s in all */
    LOG(t, "[NTP 1][NTP 1][NTP 1][NTP 1][NTP 1]"
           "{BRINGUP timeout step=8 clock=1970-01-01T00:00:12 tz=0 valid=0}");
    CHECK_EQ_INT(SM_SQN_STEP_TIME_SYNC, 8);
    /* a restart during the sync starts the bring-up again, and the sync */
    sm_sqn_bringup_time_sync(&t->m, 60000);
    bringup_to_clock(t);
    XCHG(t, "AT+CCLK?\r", CCLK_1970);
    XCHG(t, NTP_CMD, "\r\nOK\r\n\r\n+SYSSTART\r\n");
    LOG(t, "[RESTARTED 1]");
    t->io.now += SM_AT_SETTLE_MS;
    XCHG(t, "ATE1\r", "\r\nOK\r\n");
    XCHG(t, "AT+CMEE=1\r", "\r\nOK\r\n");
    XCHG(t, "AT+CEREG=5\r", "\r\nOK\r\n");
    XCHG(t, "AT+CFUN=1\r", "\r\nOK\r\n");
    XCHG(t, "AT+CEREG?\r", "\r\n+CEREG: 5,1\r\n\r\nOK\r\n");
    XCHG(t, "AT+CCLK?\r", CCLK_1970);
    XCHG(t, NTP_CMD, "\r\nOK\r\n\r\n+SQNNTP: 0\r\n");
    XCHG(t, "AT+CCLK?\r", CCLK_2026);
    LOG(t, "[REGISTERED 1][NTP 0]{BRINGUP ok step=0 clock=2026-12-07T09:30:00 tz=4 valid=1}");
    /* off again: an unset clock is only reported */
    sm_sqn_bringup_time_sync(&t->m, 0);
    bringup_to_clock(t);
    XCHG(t, "AT+CCLK?\r", CCLK_1970);
    LOG(t, "{BRINGUP ok step=0 clock=1970-01-01T00:00:12 tz=0 valid=0}");
    poll(t);
    TX(t, "");
}

/* ---- MQTT ------------------------------------------------------------------- */
/* Connected, subscribed to the filters given (NULL-terminated). */
static void session(T *t, const char *const *filters)
{
    char cmd[200], urc[200];
    CHECK(sm_sqn_mqtt_connect(&t->m, "broker.example", 8883, 60, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTCONNECT=0,\"broker.example\",8883,60\r", "\r\nOK\r\n\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "{MQTT_CONNECT ok}[MQTT_CONNECTED 0]");
    for (; *filters; filters++) {
        CHECK(sm_sqn_mqtt_subscribe(&t->m, *filters, 1, on_done, t) > 0);
        snprintf(cmd, sizeof cmd, "AT+SQNSMQTTSUBSCRIBE=0,\"%s\",1\r", *filters);
        snprintf(urc, sizeof urc, "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"%s\",0\r\n", *filters);
        XCHG(t, cmd, urc);
    }
    t->io.log_len = 0;
    t->io.log[0] = '\0';
}

static void test_subscription_table(void)
{
    static const char *const none[] = { NULL };
    T *t = fresh(0);
    char f[16];
    int i;
    session(t, none);
    CHECK_EQ_INT(SM_SQN_MQTT_SUBS, 4);
    for (i = 0; i < SM_SQN_MQTT_SUBS; i++) {
        snprintf(f, sizeof f, "t/%d", i);
        CHECK(sm_sqn_mqtt_subscribe(&t->m, f, (uint8_t)(i % 3), on_done, t) > 0);
    }
    /* in flight, they already hold their entries: a fifth is refused, with
       nothing written; one already there is not a new entry */
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(&t->m, "t/9", 0, on_done, t), SM_ERR_NO_SPACE);
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 4);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"t/0\",0\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"t/0\",0\r\n");
    /* refused by the broker: forgotten */
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"t/1\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"t/1\",-3\r\n");
    /* refused by the modem: forgotten */
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"t/2\",2\r", "\r\n+CME ERROR: 4\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"t/3\",0\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"t/3\",0\r\n");
    LOG(t, "{MQTT_SUBSCRIBE ok}[MQTT_SUBSCRIBED t/0 0]{MQTT_SUBSCRIBE ok}[MQTT_SUBSCRIBED t/1 -3]"
           "{MQTT_SUBSCRIBE modem CME_ERROR}{MQTT_SUBSCRIBE ok}[MQTT_SUBSCRIBED t/3 0]");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 2);
    CHECK_EQ_STR(sm_sqn_mqtt_subscription(&t->m, 0), "t/0");
    CHECK_EQ_STR(sm_sqn_mqtt_subscription(&t->m, 1), "t/3");
    CHECK(sm_sqn_mqtt_subscription(&t->m, 2) == NULL);
    /* fill it again; the same filter with another QoS keeps its entry */
    sm_sqn_mqtt_subscribe(&t->m, "a/+", 1, on_done, t);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"a/+\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"a/+\",0\r\n");
    sm_sqn_mqtt_subscribe(&t->m, "b/#", 0, on_done, t);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"b/#\",0\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"b/#\",0\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(&t->m, "c", 0, on_done, t), SM_ERR_NO_SPACE);
    CHECK(sm_sqn_mqtt_subscribe(&t->m, "t/0", 2, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"t/0\",2\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"t/0\",0\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 4);
    /* an unsubscribe the modem refuses keeps the entry; one it accepts frees it */
    sm_sqn_mqtt_unsubscribe(&t->m, "a/+", on_done, t);
    XCHG(t, "AT+SQNSMQTTUNSUBSCRIBE=0,\"a/+\"\r", "\r\nERROR\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 4);
    sm_sqn_mqtt_unsubscribe(&t->m, "a/+", on_done, t);
    XCHG(t, "AT+SQNSMQTTUNSUBSCRIBE=0,\"a/+\"\r", "\r\nOK\r\n\r\n+SQNSMQTTONUNSUBSCRIBE:0,\"a/+\",0\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 3);
    CHECK(sm_sqn_mqtt_subscribe(&t->m, "c", 0, on_done, t) > 0); /* room again */
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"c\",0\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"c\",0\r\n");
    /* subscribed to again while the unsubscribe is in flight: wanted */
    sm_sqn_mqtt_unsubscribe(&t->m, "c", on_done, t);
    sm_sqn_mqtt_subscribe(&t->m, "c", 1, on_done, t);
    XCHG(t, "AT+SQNSMQTTUNSUBSCRIBE=0,\"c\"\r", "\r\nOK\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"c\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"c\",0\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 4);
    CHECK_EQ_STR(sm_sqn_mqtt_subscription(&t->m, 1), "c");
    CHECK_EQ_INT(t->mq.subs[1].state, SM_SQN_SUB_ACTIVE);
    /* unsubscribing from a filter never remembered: nothing to forget */
    CHECK(sm_sqn_mqtt_unsubscribe(&t->m, "zz", on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTUNSUBSCRIBE=0,\"zz\"\r", "\r\nOK\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 4);
    /* a new connect of the application starts an empty table */
    sm_sqn_mqtt_connect(&t->m, "broker.example", 8883, 60, on_done, t);
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 0);
    XCHG(t, "AT+SQNSMQTTCONNECT=0,\"broker.example\",8883,60\r", "\r\nOK\r\n\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    sm_sqn_mqtt_subscribe(&t->m, "x", 1, on_done, t);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"x\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"x\",0\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 1);
    /* so does its disconnect: no resume is expected after it */
    sm_sqn_mqtt_disconnect(&t->m, on_done, t);
    XCHG(t, "AT+SQNSMQTTDISCONNECT=0\r", "\r\nOK\r\n\r\n+SQNSMQTTONDISCONNECT:0,0\r\n");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 0);
    t->io.log_len = 0;
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    poll(t);
    LOG(t, "[MQTT_CONNECTED 0]");
    TX(t, "");
}

/* The built-in MQTT client's memory is the application's, handed over with
   sm_sqn_use_mqtt (issue 21: an application without it does not pay for
   it). Without it the operations that must remember something (connect:
   the broker for a reconnect; (un)subscribe: the table for a resume;
   supervise: the probe topic) are refused with SM_ERR_STATE and write
   nothing, while the feature's URCs stay events and the operations that
   need no memory work; handed over, everything works as before and the
   state is in that memory; sm_sqn_init() forgets it. */
static void test_mqtt_memory(void)
{
    static const char *const one[] = { "cmd/#", NULL };
    static sm_sqn_mqtt_mem other;
    T *t = fresh(0);
    sm_platform p;
    uint8_t msg[4] = { 0 };
    sm_fake_platform(&p, &t->io);
    CHECK_EQ_INT(sm_sqn_init(&t->m, &p, on_event, t), SM_OK); /* fresh()'s memory forgotten */
    CHECK_EQ_INT(sm_sqn_use_all(&t->m), SM_OK);               /* hands over no memory */
    CHECK_EQ_INT(sm_sqn_mqtt_connect(&t->m, "broker.example", 8883, 60, on_done, t), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(&t->m, "cmd/#", 1, on_done, t), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_mqtt_unsubscribe(&t->m, "cmd/#", on_done, t), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 60000u, "dev/probe", SM_SQN_SUP_RECONNECT), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 0, NULL, 0), SM_ERR_STATE);
    /* a bad argument is still told as such */
    CHECK_EQ_INT(sm_sqn_mqtt_connect(&t->m, "broker.example", 0, 60, on_done, t), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(&t->m, "a\"b", 1, on_done, t), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(&t->m, "a", 3, on_done, t), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_busy(&t->m), 0);
    poll(t);
    t->io.now += 120000u;
    poll(t);
    TX(t, ""); /* nothing written, now or later */
    LOG(t, ""); /* nothing done */
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 0);
    CHECK(sm_sqn_mqtt_subscription(&t->m, 0) == NULL);
    /* the feature's URCs are events; with no session none is a resume */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/#\",0\r\n"
          "\r\n+SQNSMQTTONPUBLISH:0,5,0\r\n");
    poll(t);
    LOG(t, "[MQTT_CONNECTED 0][MQTT_SUBSCRIBED cmd/# 0][MQTT_PUBLISHED 5 0]");
    TX(t, "");
    /* the operations that need no memory work; so does a restart */
    CHECK(sm_sqn_mqtt_config(&t->m, "dev1", NULL, NULL, 1, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTCFG=0,\"dev1\",\"\",\"\",1\r", "\r\nOK\r\n");
    CHECK(sm_sqn_mqtt_publish(&t->m, "dev/out", 1, (const uint8_t *)"abc", 3, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTPUBLISH=0,\"dev/out\",1,3\r", "\r\n> ");
    TX(t, "abc");
    rx(t, "\r\n+SQNSMQTTPUBLISH: 4\r\n\r\nOK\r\n");
    CHECK(sm_sqn_mqtt_read(&t->m, "cmd/in", 2, 2, msg, sizeof msg, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTRCVMESSAGE=0,\"cmd/in\",2\r", "\r\nhi\r\nOK\r\n");
    CHECK(sm_sqn_mqtt_disconnect(&t->m, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTDISCONNECT=0\r", "\r\nOK\r\n");
    rx(t, "\r\n+SYSSTART\r\n");
    LOG(t, "{MQTT_CONFIG ok}{MQTT_PUBLISH ok pmid=4}{MQTT_READ ok}{MQTT_DISCONNECT ok}[RESTARTED 1]");
    CHECK_EQ_INT(memcmp(msg, "hi", 2), 0);
    /* handed over (whatever it held is cleared): as before, in that memory */
    CHECK_EQ_INT(sm_sqn_use_mqtt(&t->m, NULL), SM_ERR_PARAM);
    memset(&t->mq, 0x5A, sizeof t->mq);
    CHECK_EQ_INT(sm_sqn_use_mqtt(&t->m, &t->mq), SM_OK);
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 0);
    CHECK_EQ_INT(sm_sqn_use_mqtt(&t->m, &other), SM_ERR_STATE); /* it has one */
    session(t, one);
    CHECK_EQ_INT(sm_sqn_use_mqtt(&t->m, &t->mq), SM_OK); /* the same again: kept */
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 1);
    CHECK_EQ_STR(t->mq.subs[0].filter, "cmd/#");
    CHECK_EQ_STR(t->mq.host, "broker.example");
    CHECK_EQ_INT(t->mq.port, 8883);
    CHECK_EQ_INT(t->mq.keepalive, 60);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 0, "dev/probe", 0), SM_OK);
    CHECK_EQ_STR(t->mq.probe_topic, "dev/probe");
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 0, NULL, 0), SM_OK);
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/#\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/#\",0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 1][MQTT_SUBSCRIBED cmd/# 0][MQTT_RESUBSCRIBED 1]");
    /* sm_sqn_init() forgets it: hand it over again (another one now) */
    CHECK_EQ_INT(sm_sqn_init(&t->m, &p, on_event, t), SM_OK);
    CHECK_EQ_INT(sm_sqn_mqtt_subscribe(&t->m, "cmd/#", 1, on_done, t), SM_ERR_STATE);
    CHECK_EQ_INT(sm_sqn_use_mqtt(&t->m, &other), SM_OK);
    CHECK(sm_sqn_mqtt_subscribe(&t->m, "x/y", 1, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"x/y\",1\r", "\r\nOK\r\n");
    CHECK_EQ_STR(other.subs[0].filter, "x/y");
    CHECK_EQ_STR(t->mq.subs[0].filter, "cmd/#"); /* the old one is no longer written */
    CHECK_EQ_INT(t->m.at.stats.unexpected, 0);
}

/* The LR8.2.1.0 resume: an unsolicited +SQNSMQTTONCONNECT:0,0 during the
   session; every remembered filter is subscribed to again. */
static void test_resume_resubscribes(int echo_on)
{
    static const char *const two[] = { "cmd/1/in", "cfg/#", NULL };
    T *t = fresh(echo_on);
    session(t, two);
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 2]");
    /* its command is queued by the poll, not under the URC handler (issue
       21's stack bound): nothing in the engine's queue yet */
    CHECK_EQ_INT(sm_at_queue_free(&t->m.at), SM_QUEUE_DEPTH);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/1/in\",1\r", "\r\nOK\r\n");
    t->io.now += 500;
    poll(t);
    TX(t, ""); /* one at a time: the next after this one's answer */
    rx(t, "\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/1/in\",0\r\n");
    LOG(t, "[MQTT_SUBSCRIBED cmd/1/in 0]");
    CHECK_EQ_INT(sm_at_queue_free(&t->m.at), SM_QUEUE_DEPTH); /* the next: from the poll */
    /* the answer may come before the OK */
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cfg/#\",1\r", "\r\n+SQNSMQTTONSUBSCRIBE:0,\"cfg/#\",0\r\n\r\nOK\r\n");
    LOG(t, "[MQTT_SUBSCRIBED cfg/# 0][MQTT_RESUBSCRIBED 2]");
    poll(t);
    TX(t, "");
    CHECK_EQ_INT(t->m.st.mqtt_connected, 1);
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 2);
    /* the next resume: one refused by the broker, one never answered */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/1/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/1/in\",-12\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cfg/#\",1\r", "\r\nOK\r\n");
    t->io.now += SM_SQN_MQTT_PROBE_TIMEOUT_MS - 1;
    poll(t);
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 2][MQTT_SUBSCRIBED cmd/1/in -12]");
    t->io.now += 1;
    poll(t);
    LOG(t, "[MQTT_RESUBSCRIBE_FAILED 2/2 cmd/1/in refused -12]");
    /* refused by the modem */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/1/in\",1\r", "\r\n+CME ERROR: 3\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cfg/#\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cfg/#\",0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 2][MQTT_SUBSCRIBED cfg/# 0]"
           "[MQTT_RESUBSCRIBE_FAILED 1/2 cmd/1/in modem 0]");
    /* a failed resume (rc not 0) is no resume; nor is a connect answer */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,-4\r\n");
    poll(t);
    LOG(t, "[MQTT_CONNECTED -4]");
    TX(t, "");
    /* a resume during a re-subscription starts it again */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/1/in\",1\r", "\r\nOK\r\n");
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/1/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/1/in\",0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cfg/#\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cfg/#\",0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 2][MQTT_CONNECTED 0][MQTT_RESUMED 2]"
           "[MQTT_SUBSCRIBED cmd/1/in 0][MQTT_SUBSCRIBED cfg/# 0][MQTT_RESUBSCRIBED 2]");
    /* no subscriptions: the events still tell it */
    sm_sqn_mqtt_unsubscribe(&t->m, "cmd/1/in", on_done, t);
    XCHG(t, "AT+SQNSMQTTUNSUBSCRIBE=0,\"cmd/1/in\"\r", "\r\nOK\r\n");
    sm_sqn_mqtt_unsubscribe(&t->m, "cfg/#", on_done, t);
    XCHG(t, "AT+SQNSMQTTUNSUBSCRIBE=0,\"cfg/#\"\r", "\r\nOK\r\n");
    LOG(t, "{MQTT_UNSUBSCRIBE ok}{MQTT_UNSUBSCRIBE ok}");
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 0][MQTT_RESUBSCRIBED 0]");
    poll(t);
    TX(t, "");
    CHECK_EQ_INT(t->m.at.stats.unexpected, 0);
}

/* A resume while the application's operations are in flight or fill the
   queue: theirs go first, the re-subscription follows when there is room. */
static void test_resume_during_operation(void)
{
    static const char *const one[] = { "cmd/in", NULL };
    static const uint8_t d[3] = { 'a', 'b', 'c' };
    T *t = fresh(0);
    int i, n = 0;
    session(t, one);
    CHECK(sm_sqn_mqtt_publish(&t->m, "dev/out", 1, d, 3, on_done, t) > 0);
    XCHG(t, "AT+SQNSMQTTPUBLISH=0,\"dev/out\",1,3\r", "\r\n> ");
    TX(t, "abc");
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n"); /* crosses the publish on the wire */
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 1]");
    rx(t, "\r\n+SQNSMQTTPUBLISH: 0,9\r\n\r\nOK\r\n");
    LOG(t, "{MQTT_PUBLISH ok pmid=9}");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    LOG(t, "[MQTT_SUBSCRIBED cmd/in 0][MQTT_RESUBSCRIBED 1]");
    /* the queue full of the application's commands */
    for (i = 0; i < SM_QUEUE_DEPTH + 1; i++)
        if (sm_sqn_clock_read(&t->m, on_done, t) > 0) n++;
    CHECK_EQ_INT(n, SM_QUEUE_DEPTH);
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 1]");
    for (i = 0; i < n; i++) XCHG(t, "AT+CCLK?\r", CCLK_2026);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    CHECK(strstr(t->io.log, "[MQTT_SUBSCRIBED cmd/in 0][MQTT_RESUBSCRIBED 1]") != NULL);
    /* a resume while the application's own subscribe is in flight: the new
       filter is subscribed to again too */
    t->io.log_len = 0;
    sm_sqn_mqtt_subscribe(&t->m, "new/in", 0, on_done, t);
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 2]");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"new/in\",0\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"new/in\",0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    /* new/in was asked for before the resume (on which session, nobody
       knows): it is subscribed to again as well */
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"new/in\",0\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"new/in\",0\r\n");
    LOG(t, "{MQTT_SUBSCRIBE ok}[MQTT_SUBSCRIBED new/in 0][MQTT_SUBSCRIBED cmd/in 0]"
           "[MQTT_SUBSCRIBED new/in 0][MQTT_RESUBSCRIBED 2]");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 2);
}

/* The re-subscription is built in the engine's queue itself (no stack
   buffer): when the queue's text is what is short (one long command of the
   application waits), it waits for the next poll with room, then goes. */
static void test_resubscribe_waits_for_queue_text(void)
{
    static const char *const one[] = { "cmd/in", NULL };
    char long_cmd[SM_QUEUE_TEXT - 8];
    sm_at_cmd c;
    T *t = fresh(0);
    session(t, one);
    memset(long_cmd, 'A', sizeof long_cmd - 1);
    memcpy(long_cmd, "AT+X", 4);
    long_cmd[sizeof long_cmd - 1] = '\0';
    memset(&c, 0, sizeof c);
    c.text = long_cmd;
    CHECK(sm_at_submit(&t->m.at, &c) > 0); /* leaves less room than the SUBSCRIBE */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 1]");
    poll(t);
    CHECK_EQ_INT(t->m.at.q_count, 1); /* nothing built over the waiting text */
    poll(t);
    CHECK_EQ_INT(t->m.at.q_count, 1);
    rx(t, "\r\nOK\r\n");
    t->io.tx_seen = t->io.tx_len; /* the long command went out before */
    poll(t);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    LOG(t, "[MQTT_SUBSCRIBED cmd/in 0][MQTT_RESUBSCRIBED 1]");
}

#define PROBE_CMD "AT+SQNSMQTTPUBLISH=0,\"dev/probe\",1,1\r"

/* One probe by publish: command, prompt, "?", pmid. */
static void probe_sent(T *t, unsigned pmid)
{
    char ans[64];
    XCHG(t, PROBE_CMD, "\r\n> ");
    TX(t, "?");
    snprintf(ans, sizeof ans, "\r\n+SQNSMQTTPUBLISH: 0,%u\r\n\r\nOK\r\n", pmid);
    rx(t, ans);
    poll(t);
}

/* The silent death of LR8.2.1.0: the probe's publish is never acknowledged;
   MQTT_LOST. Then the modem resumes by itself minutes later. */
/* sm_sqn_cancel: the application's operations end SM_ERR_CANCELLED (the
   time sync's too), the library's own probe is not reported lost but
   starts again a full period later, and later operations work. */
static void test_cancel(void)
{
    static const char *const one[] = { "cmd/in", NULL };
    T *t = fresh(0);
    int a, b;
    sm_sqn_cancel(NULL); /* nothing happens */
    session(t, one);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 60000, "dev/probe", 0), SM_OK);
    poll(t);
    TX(t, PROBE_CMD); /* the probe's publish is on the wire */
    a = sm_sqn_clock_read(&t->m, on_done, t);
    b = sm_sqn_time_sync(&t->m, NULL, on_done, t);
    CHECK(a > 0 && b > 0);
    CHECK_EQ_INT(sm_sqn_busy(&t->m), 2); /* the probe is not the application's */
    sm_sqn_cancel(&t->m);
    LOG(t, "{CLOCK cancelled}{TIME_SYNC cancelled ntp=0}");
    CHECK_EQ_INT(sm_sqn_busy(&t->m), 0);
    CHECK_EQ_INT(sm_sqn_pending(&t->m, a), 0);
    CHECK_EQ_INT(sm_sqn_wait(&t->m, a), SM_ERR_CANCELLED);
    CHECK_EQ_INT(sm_sqn_wait(&t->m, b), SM_ERR_CANCELLED);
    CHECK_EQ_INT(t->m.st.mqtt_connected, 1); /* the probe was not an answer */
    /* the abandoned probe's command was written: the engine still gives the
       modem the byte it counts after its prompt, so that framing holds */
    t->io.now += SM_SQN_MQTT_PROBE_TIMEOUT_MS + 1;
    poll(t);
    LOG(t, "");
    TX(t, "?\r");
    /* the next probe a full period after the cancel, answered */
    t->io.now += 60000;
    probe_sent(t, 7);
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,7,0\r\n");
    LOG(t, "[MQTT_PUBLISHED 7 0]");
    /* a command on the wire: it ends at once, its late answer is dropped,
       and the next command goes out after the engine's quiet time */
    a = sm_sqn_clock_read(&t->m, on_done, t);
    CHECK(a > 0);
    poll(t);
    TX(t, "AT+CCLK?\r");
    sm_sqn_cancel(&t->m);
    LOG(t, "{CLOCK cancelled}");
    CHECK(sm_sqn_clock_read(&t->m, on_done, t) > 0);
    t->io.now += SM_AT_SETTLE_MAX_MS; /* the abandoned command's quiet time */
    XCHG(t, "AT+CCLK?\r", CCLK_2026);
    CHECK(strncmp(t->io.log, "{CLOCK ok", 9) == 0);
}

/* sm_sqn_cancel during the re-subscription after a resume: the entry's
   command is abandoned and sent again at the next poll; the re-subscription
   then ends as usual. */
static void test_cancel_resubscription(void)
{
    static const char *const two[] = { "cmd/in", "cfg", NULL };
    T *t = fresh(0);
    session(t, two);
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 2]");
    poll(t);
    TX(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r");
    sm_sqn_cancel(&t->m);
    LOG(t, ""); /* the library's own command: no operation of the application ended */
    t->io.now += SM_AT_SETTLE_MAX_MS; /* the abandoned command's quiet time */
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cfg\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cfg\",0\r\n");
    LOG(t, "[MQTT_SUBSCRIBED cmd/in 0][MQTT_SUBSCRIBED cfg 0][MQTT_RESUBSCRIBED 2]");
}

/* A session on "cmd/in", supervised with SM_SQN_SUP_RECONNECT, whose probe
   was never answered: MQTT_LOST, and the library's DISCONNECT answered. */
static T *lost_with_reconnect(void)
{
    static const char *const one[] = { "cmd/in", NULL };
    T *t = fresh(0);
    session(t, one);
    sm_sqn_mqtt_supervise(&t->m, 60000, "dev/probe", SM_SQN_SUP_RECONNECT);
    probe_sent(t, 1);
    t->io.now += SM_SQN_MQTT_PROBE_TIMEOUT_MS;
    XCHG(t, "AT+SQNSMQTTDISCONNECT=0\r", "\r\nOK\r\n");
    LOG(t, "[MQTT_LOST timeout 0]");
    return t;
}

/* sm_sqn_cancel during the library's own reconnect: it starts again from
   its disconnect at the next poll, and completes. */
static void test_cancel_reconnect(void)
{
    T *t = lost_with_reconnect();
    poll(t);
    TX(t, "AT+SQNSMQTTCONNECT=0,\"broker.example\",8883,60\r");
    sm_sqn_cancel(&t->m);
    LOG(t, "");
    t->io.now += SM_AT_SETTLE_MAX_MS; /* the abandoned command's quiet time */
    XCHG(t, "AT+SQNSMQTTDISCONNECT=0\r", "\r\nOK\r\n");
    XCHG(t, "AT+SQNSMQTTCONNECT=0,\"broker.example\",8883,60\r", "\r\nOK\r\n");
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_SUBSCRIBED cmd/in 0][MQTT_RESUBSCRIBED 1]");
    CHECK_EQ_INT(t->m.st.mqtt_connected, 1);
}

static void test_probe_detects_silent_death(void)
{
    static const char *const one[] = { "cmd/in", NULL };
    T *t = fresh(0);
    session(t, one);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 60000, "dev/probe", 0), SM_OK);
    /* the first probe at once: alive */
    probe_sent(t, 5);
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,5,0\r\n");
    LOG(t, "[MQTT_PUBLISHED 5 0]");
    /* the next after a period of silence */
    t->io.now += 59999;
    poll(t);
    TX(t, "");
    t->io.now += 1;
    probe_sent(t, 6);
    /* an acknowledgement of another publish is not the probe's */
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,4,0\r\n");
    t->io.now += SM_SQN_MQTT_PROBE_TIMEOUT_MS - 1;
    poll(t);
    LOG(t, "[MQTT_PUBLISHED 4 0]");
    CHECK_EQ_INT(t->m.st.mqtt_connected, 1);
    t->io.now += 1;
    poll(t);
    LOG(t, "[MQTT_LOST timeout 0]");
    CHECK_EQ_INT(t->m.st.mqtt_connected, 0);
    /* no probes while the session is down */
    t->io.now += 600000;
    poll(t);
    TX(t, "");
    /* the modem resumes: re-subscription, and the probes start again */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 1][MQTT_SUBSCRIBED cmd/in 0][MQTT_RESUBSCRIBED 1]");
    CHECK_EQ_INT(t->m.st.mqtt_connected, 1);
    t->io.now += 60000;
    probe_sent(t, 1);
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,1,0\r\n");
    LOG(t, "[MQTT_PUBLISHED 1 0]");
    /* the acknowledgement before the command's OK (the pmid not yet known
       to the probe) still counts */
    t->io.now += 60000;
    XCHG(t, PROBE_CMD, "\r\n> ");
    TX(t, "?");
    rx(t, "\r\n+SQNSMQTTPUBLISH: 0,2\r\n\r\n+SQNSMQTTONPUBLISH:0,2,0\r\n\r\nOK\r\n");
    t->io.now += SM_SQN_MQTT_PROBE_TIMEOUT_MS;
    poll(t);
    LOG(t, "[MQTT_PUBLISHED 2 0]");
    /* a refused publish: rc -4 (no connection) */
    t->io.now += 60000;
    probe_sent(t, 3);
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,3,-4\r\n");
    LOG(t, "[MQTT_PUBLISHED 3 -4][MQTT_LOST refused -4]");
    /* a command the modem refuses */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    t->io.log_len = 0;
    t->io.now += 60000;
    XCHG(t, PROBE_CMD, "\r\n+CME ERROR: 4\r\n");
    LOG(t, "[MQTT_LOST modem 0]");
    TX(t, "");
}

/* Signs of life postpone the probe; the application's commands go first;
   without a probe topic the probe subscribes again (the pager's way). */
static void test_probe_schedule_and_resubscribe_probe(void)
{
    static const char *const two[] = { "cmd/in", "cfg", NULL };
    T *t = fresh(1);
    session(t, two);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 300000, NULL, 0), SM_OK);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    LOG(t, "[MQTT_SUBSCRIBED cmd/in 0]");
    /* a message is a sign of life */
    t->io.now += 200000;
    rx(t, "\r\n+SQNSMQTTONMESSAGE:0,\"cfg\",3,0\r\n");
    t->io.now += 200000;
    poll(t);
    TX(t, "");
    /* the application's command in the queue: the probe waits for it */
    t->io.now += 100000;
    sm_sqn_clock_read(&t->m, on_done, t);
    XCHG(t, "AT+CCLK?\r", CCLK_2026);
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n");
    LOG(t, "[MQTT_MESSAGE cfg]{CLOCK ok}");
    /* no SUBACK in SM_SQN_MQTT_PROBE_TIMEOUT_MS: dead */
    t->io.now += SM_SQN_MQTT_PROBE_TIMEOUT_MS;
    poll(t);
    LOG(t, "[MQTT_LOST timeout 0]");
    /* the broker refusing it is a failure too */
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cfg\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cfg\",0\r\n");
    t->io.log_len = 0;
    t->io.now += 300000;
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",-2\r\n");
    LOG(t, "[MQTT_SUBSCRIBED cmd/in -2][MQTT_LOST refused -2]");
    /* stopped: no more probes */
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 0, NULL, 0), SM_OK);
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cfg\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cfg\",0\r\n");
    t->io.now += 3000000;
    poll(t);
    TX(t, "");
    /* the arguments */
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(NULL, 1, NULL, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 1, "a/+", 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 1, "a/#", 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 1, "a\"b", 0), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 1, "", 0), SM_ERR_UNSAFE_STRING);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&t->m, 1, "a", 2), SM_ERR_PARAM);
    poll(t);
    TX(t, "");
    /* no session: no probe */
    t = fresh(0);
    sm_sqn_mqtt_supervise(&t->m, 1000, "dev/probe", 0);
    t->io.now += 5000;
    poll(t);
    TX(t, "");
}

/* SM_SQN_SUP_RECONNECT: after MQTT_LOST the library disconnects, connects
   again with the last connect's arguments and subscribes again. */
static void test_reconnect(void)
{
    T *t = lost_with_reconnect();
    XCHG(t, "AT+SQNSMQTTCONNECT=0,\"broker.example\",8883,60\r", "\r\nOK\r\n");
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_SUBSCRIBED cmd/in 0][MQTT_RESUBSCRIBED 1]");
    CHECK_EQ_INT(t->m.st.mqtt_connected, 1);
    /* a reconnect the broker refuses; then one that never answers */
    t->io.now += 60000;
    probe_sent(t, 2);
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,2,-7\r\n");
    XCHG(t, "AT+SQNSMQTTDISCONNECT=0\r", "\r\n+CME ERROR: 3\r\n");
    XCHG(t, "AT+SQNSMQTTCONNECT=0,\"broker.example\",8883,60\r", "\r\nOK\r\n\r\n+SQNSMQTTONCONNECT:0,-5\r\n");
    LOG(t, "[MQTT_PUBLISHED 2 -7][MQTT_LOST refused -7][MQTT_CONNECTED -5][MQTT_RECONNECT_FAILED refused -5]");
    poll(t);
    TX(t, "");
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n"); /* the modem resumes after all */
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"cmd/in\",1\r", "\r\nOK\r\n\r\n+SQNSMQTTONSUBSCRIBE:0,\"cmd/in\",0\r\n");
    t->io.now += 60000;
    probe_sent(t, 3);
    t->io.now += SM_SQN_MQTT_PROBE_TIMEOUT_MS;
    XCHG(t, "AT+SQNSMQTTDISCONNECT=0\r", "\r\nOK\r\n");
    XCHG(t, "AT+SQNSMQTTCONNECT=0,\"broker.example\",8883,60\r", "\r\nOK\r\n");
    t->io.now += SM_SQN_MQTT_TIMEOUT_MS;
    poll(t);
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 1][MQTT_SUBSCRIBED cmd/in 0][MQTT_RESUBSCRIBED 1]"
           "[MQTT_LOST timeout 0][MQTT_RECONNECT_FAILED timeout 0]");
    TX(t, "");
}

/* +SYSSTART: the session, its subscriptions and the probes are gone; an
   ONCONNECT after it is no resume. */
static void test_restart_clears_state(void)
{
    static const char *const two[] = { "a", "b", NULL };
    T *t = fresh(0);
    session(t, two);
    sm_sqn_mqtt_supervise(&t->m, 60000, "dev/probe", 0);
    XCHG(t, PROBE_CMD, "\r\n> ");
    TX(t, "?");
    rx(t, "\r\n+SYSSTART\r\n");
    LOG(t, "[RESTARTED 1]");
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&t->m), 0);
    CHECK_EQ_INT(t->m.st.mqtt_connected, 0);
    t->io.now += 600000;
    poll(t);
    TX(t, "");
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    t->io.now += 600000;
    poll(t);
    LOG(t, "[MQTT_CONNECTED 0]");
    TX(t, "");
    /* a restart during a re-subscription ends it without an event */
    t->io.now += SM_AT_SETTLE_MS;
    session(t, two);
    rx(t, "\r\n+SQNSMQTTONCONNECT:0,0\r\n");
    XCHG(t, "AT+SQNSMQTTSUBSCRIBE=0,\"a\",1\r", "\r\n+SYSSTART\r\n");
    LOG(t, "[MQTT_CONNECTED 0][MQTT_RESUMED 2][RESTARTED 2]");
    t->io.now += 600000;
    poll(t);
    TX(t, "");
    LOG(t, "");
    /* the supervision setting stays: a new session is probed */
    session(t, two);
    t->io.now += 60000;
    probe_sent(t, 1);
    rx(t, "\r\n+SQNSMQTTONPUBLISH:0,1,0\r\n");
    LOG(t, "[MQTT_PUBLISHED 1 0]");
}

static void test_names(void)
{
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_HCE_SIGN), "HCE_SIGN");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_NTP), "NTP");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_MQTT_RESUMED), "MQTT_RESUMED");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_MQTT_RESUBSCRIBED), "MQTT_RESUBSCRIBED");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_MQTT_RESUBSCRIBE_FAILED), "MQTT_RESUBSCRIBE_FAILED");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_MQTT_LOST), "MQTT_LOST");
    CHECK_EQ_STR(sm_sqn_event_name(SM_SQN_EV_MQTT_RECONNECT_FAILED), "MQTT_RECONNECT_FAILED");
    CHECK_EQ_STR(sm_sqn_event_name((sm_sqn_event_type)(SM_SQN_EV_MQTT_RECONNECT_FAILED + 1)), "?");
    CHECK_EQ_STR(sm_sqn_op_name(SM_SQN_OP_HCE_REPLY), "HCE_REPLY");
    CHECK_EQ_STR(sm_sqn_op_name(SM_SQN_OP_TIME_SYNC), "TIME_SYNC");
    CHECK_EQ_STR(sm_sqn_op_name(SM_SQN_OP_CLOCK_SET), "CLOCK_SET");
    CHECK_EQ_STR(sm_sqn_op_name(SM_SQN_OP_SIGNAL), "SIGNAL");
    CHECK_EQ_STR(sm_sqn_op_name((sm_sqn_op_kind)SM_SQN_OP_COUNT_), "?"); /* one past the last */
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(NULL), 0);
    CHECK(sm_sqn_mqtt_subscription(NULL, 0) == NULL);
}

int main(void)
{
    RUN_ARG(test_time_sync_ok, 0);
    RUN_ARG(test_time_sync_ok, 1);
    RUN(test_time_sync_failures);
    RUN(test_clock_set);
    RUN(test_bringup_time_sync);
    RUN(test_subscription_table);
    RUN(test_mqtt_memory);
    RUN_ARG(test_resume_resubscribes, 0);
    RUN_ARG(test_resume_resubscribes, 1);
    RUN(test_resume_during_operation);
    RUN(test_resubscribe_waits_for_queue_text);
    RUN(test_probe_detects_silent_death);
    RUN(test_cancel);
    RUN(test_cancel_resubscription);
    RUN(test_cancel_reconnect);
    RUN(test_probe_schedule_and_resubscribe_probe);
    RUN(test_reconnect);
    RUN(test_restart_clears_state);
    RUN(test_names);
    return sm_test_finish("test_sequans_supervise");
}
