/* test_mqtt_over_sqn.c - secmodem's own MQTT 3.1.1 session (section 10)
   over a Sequans modem's TLS socket (section 6, sm_sqn_stream), end to end:
   the simulated GM02S (python3 -m sim --dialect sequans) dials the test
   bed's mosquitto, which requires a client certificate; the modem holds
   the CA, the certificate and the key in its NVM and does the TLS.

       test_mqtt_over_sqn <pty> <broker port> <prefix> <ca.pem> <client.crt> <client.key>

   Run by tests/e2e/run_mqtt_over_sqn.py, whose paho probe on the broker checks
   every "SENT <topic> <qos> <exactly once> <hex>" line this program prints.
   Scenario: bring-up, NVM, TLS profile, socket, dial; CONNECT; SUBSCRIBE
   <prefix>/# at QoS 2; PUBLISH QoS 0 (text), QoS 1 (every byte value),
   QoS 2 (3000 bytes: more than the stream's buffers and one modem send);
   each received back exactly once with the same bytes; UNSUBSCRIBE; a
   publish that is not echoed back; DISCONNECT; the broker then closes the
   socket and the stream ends. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_posix.h"
#include "../common/sm_test.h"

#include <stdlib.h>

#define SLOT_CA 19
#define SLOT_CLIENT 17
#define SP_MUTUAL 1
#define SOCK 1
#define BIG 3000

typedef struct app {
    sm_posix port;
    sm_sqn m;
    sm_sqn_stream st;
    sm_mqtt_transport tr;
    sm_mqtt_client c;
    int sqn_done, sqn_status;
    /* MQTT results and messages */
    int connected, ended, end_status, results, last_status;
    uint16_t last_id;
    char rx_topic[4][128];
    uint8_t rx[4][BIG];
    uint32_t rx_len[4];
    int nrx;
} app;

static app g_app;

static void on_sqn(void *ctx, sm_sqn *m, const sm_result *r)
{
    app *a = (app *)ctx;
    (void)m;
    a->sqn_status = r->status;
    a->sqn_done++;
}

static void spin(app *a, uint32_t ms)
{
    uint32_t t0 = sm_posix_now_ms();
    while (sm_posix_now_ms() - t0 < ms) {
        sm_sqn_poll(&a->m);
        if (sm_mqtt_state(&a->c) != SM_MQTT_IDLE || a->ended) sm_mqtt_poll(&a->c);
        sm_posix_wait(&a->port, 5);
    }
}

/* Runs the loop until *flag changes from its value at the call, or ms pass. */
#define UNTIL(a, cond, ms) do { \
    uint32_t t0_ = sm_posix_now_ms(); \
    while (!(cond) && sm_posix_now_ms() - t0_ < (ms)) { \
        sm_sqn_poll(&(a)->m); \
        sm_mqtt_poll(&(a)->c); \
        sm_posix_wait(&(a)->port, 2); \
    } } while (0)

static int sqn_op(app *a, int id, uint32_t ms)
{
    int before = a->sqn_done;
    uint32_t t0 = sm_posix_now_ms();
    if (id <= 0) return id ? id : SM_ERR_PARAM;
    while (a->sqn_done == before && sm_posix_now_ms() - t0 < ms) {
        sm_sqn_poll(&a->m);
        sm_posix_wait(&a->port, 5);
    }
    return a->sqn_done == before ? SM_ERR_TIMEOUT : a->sqn_status;
}

static void on_result(void *ctx, sm_mqtt_client *c, const sm_mqtt_result *r)
{
    app *a = (app *)ctx;
    (void)c;
    if (r->op == SM_MQTT_CONNECT) a->connected = r->status == SM_OK ? 1 : -1;
    else if (r->op == SM_MQTT_DISCONNECT) { a->ended = 1; a->end_status = r->status; }
    else { a->results++; a->last_status = r->status; a->last_id = r->packet_id; }
}

static void on_message(void *ctx, sm_mqtt_client *c, const sm_mqtt_event *m)
{
    app *a = (app *)ctx;
    int k = a->nrx;
    (void)c;
    if (k >= 4) { a->nrx++; return; }
    if (m->offset + m->data_len <= BIG) memcpy(a->rx[k] + m->offset, m->data, m->data_len);
    if (m->offset + m->data_len == m->total) {
        snprintf(a->rx_topic[k], sizeof a->rx_topic[k], "%s", m->topic);
        a->rx_len[k] = m->total;
        a->nrx++;
    }
}

static size_t load(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) { perror(path); exit(2); }
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void print_sent(const char *topic, int qos, const uint8_t *d, size_t n)
{
    size_t i;
    printf("SENT %s %d 1 ", topic, qos);
    if (!n) printf("-");
    for (i = 0; i < n; i++) printf("%02x", d[i]);
    printf("\n");
}

static int publish_and_wait(app *a, const char *topic, const uint8_t *d, size_t n, int qos)
{
    int id = sm_mqtt_publish_start(&a->c, topic, d, (uint32_t)n, (uint8_t)qos, 0);
    int results = a->results;
    CHECK(id > 0);
    if (id <= 0) return id;
    UNTIL(a, a->results > results, 20000u);
    CHECK_EQ_INT(a->last_status, SM_OK);
    CHECK_EQ_INT(a->last_id, id);
    print_sent(topic, qos, d, n);
    return a->last_status;
}

int main(int argc, char **argv)
{
    app *a = &g_app;
    sm_platform p;
    static uint8_t pem[3][8192], big[BIG], every[256];
    size_t len[3];
    sm_sqn_tls tls;
    sm_mqtt_connect_opts o;
    char filter[96], t0[96], t1[96], t2[96], t3[96], client_id[64];
    const char *filters[1];
    uint8_t qos2 = 2;
    int i, k, port;
    if (argc != 7) {
        fprintf(stderr, "usage: %s <pty> <broker port> <prefix> <ca> <cert> <key>\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    port = atoi(argv[2]);
    for (i = 0; i < 3; i++) len[i] = load(argv[4 + i], pem[i], sizeof pem[i]);
    snprintf(filter, sizeof filter, "%s/#", argv[3]);
    snprintf(t0, sizeof t0, "%s/text", argv[3]);
    snprintf(t1, sizeof t1, "%s/bytes", argv[3]);
    snprintf(t2, sizeof t2, "%s/big", argv[3]);
    snprintf(t3, sizeof t3, "%s/after", argv[3]);
    snprintf(client_id, sizeof client_id, "%s-sqn", argv[3]);
    for (i = 0; i < 256; i++) every[i] = (uint8_t)i;
    for (i = 0; i < BIG; i++) big[i] = (uint8_t)(i * 7 + (i >> 8));

    if (sm_posix_open(&a->port, argv[1], 115200) != 0) { perror(argv[1]); return 2; }
    sm_posix_platform(&a->port, &p);
    CHECK_EQ_INT(sm_sqn_init(&a->m, &p, NULL, NULL), SM_OK);

    printf("step: bring-up, CA and client certificate and key into NVM, TLS profile, dial\n");
    /* the broker's certificate is checked with its dates: the clock set by
       NTP when it reads 70/01/01 (a GM02SP after attach, docs/sequans.md) */
    CHECK_EQ_INT(sm_sqn_bringup_time_sync(&a->m, 60000), SM_OK);
    CHECK_EQ_INT(sqn_op(a, sm_sqn_bringup(&a->m, on_sqn, a), 90000u), SM_OK);
    CHECK_EQ_INT(sqn_op(a, sm_sqn_nvm_write(&a->m, SM_SQN_NVM_CERT, SLOT_CA, pem[0], len[0], on_sqn, a), 20000u), SM_OK);
    CHECK_EQ_INT(sqn_op(a, sm_sqn_nvm_write(&a->m, SM_SQN_NVM_CERT, SLOT_CLIENT, pem[1], len[1], on_sqn, a), 20000u), SM_OK);
    CHECK_EQ_INT(sqn_op(a, sm_sqn_nvm_write(&a->m, SM_SQN_NVM_KEY, SLOT_CLIENT, pem[2], len[2], on_sqn, a), 20000u), SM_OK);
    sm_sqn_tls_defaults(&tls, SP_MUTUAL, SLOT_CA, 1);
    tls.cert_slot = SLOT_CLIENT;
    tls.key_slot = SLOT_CLIENT;
    CHECK_EQ_INT(sqn_op(a, sm_sqn_tls_config(&a->m, &tls, on_sqn, a), 10000u), SM_OK);
    CHECK_EQ_INT(sqn_op(a, sm_sqn_sock_config(&a->m, SOCK, 1, 0, on_sqn, a), 10000u), SM_OK);
    CHECK_EQ_INT(sqn_op(a, sm_sqn_sock_tls(&a->m, SOCK, SP_MUTUAL, on_sqn, a), 10000u), SM_OK);
    CHECK_EQ_INT(sqn_op(a, sm_sqn_sock_dial(&a->m, SOCK, "127.0.0.1", (uint16_t)port, on_sqn, a), 30000u), SM_OK);
    if (sm_test_tally.failed) return sm_test_finish("test_mqtt_over_sqn");

    printf("step: the MQTT session over the socket: CONNECT, SUBSCRIBE %s at QoS 2\n", filter);
    CHECK_EQ_INT(sm_sqn_stream_init(&a->st, &a->m, SOCK), SM_OK);
    sm_mqtt_transport_sqn(&a->tr, &a->st);
    CHECK_EQ_INT(sm_mqtt_init(&a->c, &a->tr, on_result, on_message, a), SM_OK);
    memset(&o, 0, sizeof o);
    o.client_id = client_id;
    o.keep_alive = 30;
    o.clean_session = 1;
    CHECK_EQ_INT(sm_mqtt_connect_start(&a->c, &o), SM_OK);
    UNTIL(a, a->connected != 0, 20000u);
    CHECK_EQ_INT(a->connected, 1);
    filters[0] = filter;
    k = a->results;
    CHECK(sm_mqtt_subscribe_start(&a->c, filters, &qos2, 1) > 0);
    UNTIL(a, a->results > k, 20000u);
    CHECK_EQ_INT(a->last_status, SM_OK);
    if (sm_test_tally.failed) return sm_test_finish("test_mqtt_over_sqn");

    printf("step: PUBLISH QoS 0 text, QoS 1 every byte value, QoS 2 %d bytes; each back once\n", BIG);
    publish_and_wait(a, t0, (const uint8_t *)"hello over the modem's TLS socket", 33, 0);
    publish_and_wait(a, t1, every, sizeof every, 1);
    publish_and_wait(a, t2, big, sizeof big, 2);
    UNTIL(a, a->nrx >= 3, 20000u);
    spin(a, 500); /* a duplicate would be here by now */
    CHECK_EQ_INT(a->nrx, 3);
    CHECK_EQ_STR(a->rx_topic[0], t0);
    CHECK(a->rx_len[0] == 33 && memcmp(a->rx[0], "hello over the modem's TLS socket", 33) == 0);
    CHECK_EQ_STR(a->rx_topic[1], t1);
    CHECK(a->rx_len[1] == 256 && memcmp(a->rx[1], every, 256) == 0);
    CHECK_EQ_STR(a->rx_topic[2], t2);
    CHECK(a->rx_len[2] == BIG && memcmp(a->rx[2], big, BIG) == 0);

    printf("step: UNSUBSCRIBE, then a publish is not delivered back\n");
    k = a->results;
    CHECK(sm_mqtt_unsubscribe_start(&a->c, filters, 1) > 0);
    UNTIL(a, a->results > k, 20000u);
    CHECK_EQ_INT(a->last_status, SM_OK);
    publish_and_wait(a, t3, (const uint8_t *)"after", 5, 1);
    spin(a, 500);
    CHECK_EQ_INT(a->nrx, 3);

    printf("step: DISCONNECT; the broker closes the socket, the stream ends\n");
    CHECK_EQ_INT(sm_mqtt_disconnect_start(&a->c), SM_OK);
    UNTIL(a, a->ended, 20000u);
    CHECK_EQ_INT(a->end_status, SM_OK);
    {
        uint8_t b[4];
        int r = 0;
        uint32_t t = sm_posix_now_ms();
        while (sm_posix_now_ms() - t < 10000u && (r = sm_sqn_stream_read(&a->st, b, sizeof b)) == 0) {
            sm_sqn_poll(&a->m);
            sm_posix_wait(&a->port, 5);
        }
        CHECK_EQ_INT(r, SM_ERR_IO);
    }
    CHECK_EQ_INT(a->m.at.stats.unexpected, 0);
    return sm_test_finish("test_mqtt_over_sqn");
}
