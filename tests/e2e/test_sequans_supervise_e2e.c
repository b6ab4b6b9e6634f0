/* test_sequans_supervise_e2e.c - the supervision of section 6 against the
   Sequans simulator at its defaults (the GM02SP as logged: clock unset until
   NTP, no PINGREQ, no +SQNSMQTTONDISCONNECT, the modem's own resume) and a
   real mosquitto (plain listener). Run by tests/e2e/run_sequans_supervise_e2e.py:
       test_sequans_supervise_e2e <pty> <mqtt plain port> <topic prefix>
   1. the bring-up with sm_sqn_bringup_time_sync(): the clock reads 70/01/01,
      NTP sets it, the bring-up ends with a valid clock;
   2. connect (keepalive 2 s: the broker drops the silent client at 3 s),
      subscribe, supervise (probe by re-subscribing every 6 s);
   3. the probe finds the dead session: MQTT_LOST; the modem resumes by
      itself: MQTT_RESUMED, the library re-subscribes: MQTT_RESUBSCRIBED;
   4. a message published to the subscribed topic then arrives, which proves
      the broker holds the subscription again. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_posix.h"
#include "../common/sm_test.h"

#include <stdlib.h>

typedef struct E {
    sm_sqn m;
    sm_sqn_mqtt_mem mq; /* the built-in MQTT client's memory */
    sm_posix port;
    int done, status, ntp, lost, resumed, resubscribed, resub_failed, message;
    sm_result last;
    char topic[64];
    uint8_t buf[64];
    size_t got;
} E;

static E g_e; /* test-binary state, not library state */

static void on_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    E *e = (E *)ctx;
    (void)m;
    e->done++;
    e->status = r->status;
    e->last = *r;
    if (r->op == SM_SQN_OP_MQTT_READ && r->status == SM_OK) e->got = r->len;
    printf("  done %s: %s\n", sm_sqn_op_name(r->op), sm_strerror(r->status));
}

static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    E *e = (E *)ctx;
    printf("  event %s", sm_sqn_event_name(ev->type));
    switch (ev->type) {
    case SM_SQN_EV_NTP: e->ntp++; printf(" %ld", (long)ev->u.ntp.status); break;
    case SM_SQN_EV_MQTT_LOST: e->lost++; printf(" %s rc %ld", sm_strerror(ev->u.sup.status),
                                                (long)ev->u.sup.code); break;
    case SM_SQN_EV_MQTT_RESUMED: e->resumed++; printf(" %u", ev->u.sup.topics); break;
    case SM_SQN_EV_MQTT_RESUBSCRIBED: e->resubscribed++; printf(" %u", ev->u.sup.topics); break;
    case SM_SQN_EV_MQTT_RESUBSCRIBE_FAILED: e->resub_failed++; break;
    case SM_SQN_EV_MQTT_CONNECTED: case SM_SQN_EV_MQTT_DISCONNECTED:
        printf(" %ld", (long)ev->u.mqtt.code); break;
    case SM_SQN_EV_MQTT_SUBSCRIBED: printf(" %s %ld", ev->u.sub.topic, (long)ev->u.sub.code); break;
    case SM_SQN_EV_UNHANDLED: {
        size_t i;
        printf(" ");
        for (i = 0; i < ev->line_len; i++) {
            unsigned char c = (unsigned char)ev->line[i];
            if (c >= 0x20 && c < 0x7F) putchar(c);
            else printf("\\x%02x", c);
        }
        break;
    }
    case SM_SQN_EV_MQTT_MESSAGE:
        printf(" %s %lu", ev->u.msg.topic, (unsigned long)ev->u.msg.len);
        if (strcmp(ev->u.msg.topic, e->topic) == 0) {
            e->message++;
            if (sm_sqn_mqtt_read(m, ev->u.msg.topic, ev->u.msg.mid, ev->u.msg.len, e->buf,
                                 sizeof e->buf, on_done, e) <= 0)
                printf(" (read not started)");
        }
        break;
    default: break;
    }
    printf("\n");
}

/* Polls until cond holds or ms pass; returns cond. */
static int g_stop_flag; /* test-binary state */
static void run_until_(E *e, uint32_t ms, int (*cond)(const E *))
{
    uint32_t t0 = sm_posix_now_ms();
    while (!cond(e) && sm_posix_now_ms() - t0 < ms) {
        sm_sqn_poll(&e->m);
        sm_posix_wait(&e->port, 10);
    }
}
static int c_done1(const E *e) { return e->done >= g_stop_flag; }
static int c_connected(const E *e) { return e->m.st.mqtt_connected; }
static int c_resubscribed(const E *e) { return e->resubscribed > 0 || e->resub_failed > 0; }
static int c_lost(const E *e) { return e->lost > 0; }
static int c_got(const E *e) { return e->got > 0; }

/* Starts an operation and runs until it ends; returns its status. */
static int op(E *e, int id, uint32_t ms)
{
    if (id <= 0) { printf("  not started: %s\n", sm_strerror(id)); return id; }
    g_stop_flag = e->done + 1;
    run_until_(e, ms, c_done1);
    return e->done >= g_stop_flag ? e->status : SM_ERR_TIMEOUT;
}

int main(int argc, char **argv)
{
    E *e = &g_e;
    sm_platform p;
    char client[48], probe_payload[8] = "hello";
    long port;
    if (argc != 4) { fprintf(stderr, "usage: %s <pty> <port> <prefix>\n", argv[0]); return 2; }
    port = strtol(argv[2], NULL, 10);
    snprintf(e->topic, sizeof e->topic, "%s/in", argv[3]);
    snprintf(client, sizeof client, "%s-dev", argv[3]);
    CHECK(sm_posix_open(&e->port, argv[1], 115200) == 0);
    sm_posix_platform(&e->port, &p);
    CHECK_EQ_INT(sm_sqn_init(&e->m, &p, on_event, e), SM_OK);
    CHECK_EQ_INT(sm_sqn_use_mqtt(&e->m, &e->mq), SM_OK);

    printf("1. bring-up with the time-sync option\n");
    sm_sqn_bringup_time_sync(&e->m, 60000);
    CHECK_EQ_INT(op(e, sm_sqn_bringup(&e->m, on_done, e), 90000), SM_OK);
    CHECK(e->ntp > 0); /* the simulator's clock was unset: NTP ran */
    CHECK_EQ_INT(e->last.u.bringup.clock.valid, 1);
    CHECK(e->last.u.bringup.clock.year >= 2024);

    printf("2. connect, subscribe, supervise\n");
    CHECK_EQ_INT(op(e, sm_sqn_mqtt_config(&e->m, client, NULL, NULL, 0, on_done, e), 5000), SM_OK);
    CHECK_EQ_INT(op(e, sm_sqn_mqtt_connect(&e->m, "127.0.0.1", (uint16_t)port, 2, on_done, e), 20000),
                 SM_OK);
    run_until_(e, 10000, c_connected);
    CHECK_EQ_INT(e->m.st.mqtt_connected, 1);
    CHECK_EQ_INT(op(e, sm_sqn_mqtt_subscribe(&e->m, e->topic, 1, on_done, e), 10000), SM_OK);
    CHECK_EQ_INT(sm_sqn_mqtt_subscriptions(&e->m), 1);
    CHECK_EQ_INT(sm_sqn_mqtt_supervise(&e->m, 6000, NULL, 0), SM_OK);

    printf("3. the silent drop: the probe finds it, the modem resumes by itself\n");
    run_until_(e, 30000, c_lost);
    CHECK_EQ_INT(e->lost, 1);
    CHECK_EQ_INT(e->m.st.mqtt_connected, 0);
    run_until_(e, 40000, c_resubscribed);
    CHECK_EQ_INT(e->resumed, 1);
    CHECK_EQ_INT(e->resubscribed, 1);
    CHECK_EQ_INT(e->resub_failed, 0);
    CHECK_EQ_INT(e->m.st.mqtt_connected, 1);

    printf("4. the broker holds the subscription again\n");
    /* (its own result depends on the publish answer's form, not on the
       subscription: the message arriving is the proof) */
    op(e, sm_sqn_mqtt_publish(&e->m, e->topic, 1, (const uint8_t *)probe_payload, 5, on_done, e),
       10000);
    run_until_(e, 10000, c_got);
    CHECK(e->message > 0);
    CHECK(e->got == 5 && memcmp(e->buf, "hello", 5) == 0);
    sm_posix_close(&e->port);
    return sm_test_finish("test_sequans_supervise_e2e");
}
