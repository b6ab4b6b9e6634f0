/* test_hce_e2e.c - host signing end to end: mutual-TLS MQTT to mosquitto
   where the device's private key exists only inside the (emulated) ATECC608.
   This program is the firmware: the Sequans simulator (python3 -m sim
   --dialect sequans, its TLS client build/hce_tls) is the modem, the ATECC608
   emulator (python3 -m sim.chips.atecc --random-keys) is the chip on the I2C
   bridge, and behind the modem is the test bed's mosquitto, which requires
   client certificates from its CA. Only the public API is used, from a
   non-blocking superloop (sm_sqn_poll + sm_hce_poll); every wait is bounded.

   Run by tests/e2e/run_hce_e2e.py:
       test_hce_e2e <pty> <sim control> <atecc socket> <ca.pem> <csr out> <cert in>
                    <other.crt> <broker TLS port>
   1. provisioning: a CSR for the chip's slot-0 key (sm_csr_*) goes to
      <csr out> ("CSR <path>" on stdout); the runner has the test CA issue the
      device certificate and writes it to <cert in>, which this program waits
      for; the CA and that certificate (never a key) go to the modem's NVM;
   2. profile 1: chain + host name checked, the device certificate, key id 0
      in the host (key_in_host): MQTT connects (the modem's +SQNHCESIGN is
      answered by sm_hce with the chip), subscribes, publishes ("PUBLISHED
      <topic> <qos> <hex>" for the runner's probe) and reads its own message;
   3. failures, each a TLS error (-8) without a hang: the chip falsifies its
      signature (emulator fault bad-sign), the chip fails (status 0x0F: the
      failure answer, fast), a profile whose certificate (<other.crt>, a valid
      one of another key) is not the chip's; then a connection works again. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_atecc_bridge.h"
#include "../../examples/posix/sm_posix.h"
#include "../common/sm_test.h"

#include <stdlib.h>
#include <sys/stat.h>

#define SLOT_CA 19      /* the test bed's CA */
#define SLOT_DEVICE 18  /* the device certificate issued for the chip's key */
#define SLOT_OTHER 17   /* a certificate of another key */
#define CHIP_SLOT 0     /* the device key in the ATECC608 */
#define SP_DEVICE 1
#define SP_OTHER 2
#define TOPIC_FILTER "secmodem/hce/#"
#define PEM_CAP 4096
#define N_RESULTS 16

static const sm_dn_attr SUBJECT[] = {
    { SM_DN_O, "secmodem test devices" },
    { SM_DN_CN, "secmodem-hce-device" }
};
#define NSUBJECT (sizeof SUBJECT / sizeof SUBJECT[0])

typedef struct e2e {
    sm_posix port;
    sm_sqn m;
    sm_sqn_mqtt_mem mq; /* the built-in MQTT client's memory */
    sm_atecc_bridge bus;
    sm_atecc se;
    sm_hce hce;
    struct { int id; sm_result r; } done[N_RESULTS];
    unsigned ndone;
    /* sm_sqn events */
    int restarts, unhandled, hce_requests;
    int conn_events, disc_events, sub_events, pub_events;
    int32_t conn_rc, disc_rc, sub_rc, pub_rc;
    int msg_events;
    char msg_topic[SM_SQN_TOPIC_MAX + 1];
    uint32_t msg_len;
    uint16_t msg_mid;
    /* sm_hce events */
    int answered, dropped;
    sm_hce_event last;
    /* the message read */
    int read_state, read_status;
    uint32_t read_len;
    uint8_t read_buf[256];
} e2e;

static uint32_t now_ms(void) { return sm_posix_now_ms(); }

static void step(const char *what)
{
    printf("[hce-e2e] %s\n", what);
    fflush(stdout);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) return 0;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* ---- callbacks ------------------------------------------------------------------ */
static void on_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    e2e *e = (e2e *)ctx;
    unsigned i = e->ndone++ % N_RESULTS;
    (void)m;
    e->done[i].id = r->id;
    e->done[i].r = *r;
}

static void on_read(void *ctx, sm_sqn *m, const sm_result *r)
{
    e2e *e = (e2e *)ctx;
    (void)m;
    e->read_status = r->status;
    e->read_len = r->len;
    e->read_state = 2;
}

static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    e2e *e = (e2e *)ctx;
    (void)m;
    if (ev->type == SM_SQN_EV_HCE_SIGN) e->hce_requests++;
    if (sm_hce_on_event(&e->hce, ev)) return; /* a signing request: the glue's */
    switch (ev->type) {
    case SM_SQN_EV_RESTARTED: e->restarts++; break;
    case SM_SQN_EV_MQTT_CONNECTED: e->conn_events++; e->conn_rc = ev->u.mqtt.code; break;
    case SM_SQN_EV_MQTT_DISCONNECTED: e->disc_events++; e->disc_rc = ev->u.mqtt.code; break;
    case SM_SQN_EV_MQTT_SUBSCRIBED: e->sub_events++; e->sub_rc = ev->u.sub.code; break;
    case SM_SQN_EV_MQTT_PUBLISHED: e->pub_events++; e->pub_rc = ev->u.pub.code; break;
    case SM_SQN_EV_MQTT_MESSAGE:
        e->msg_events++;
        snprintf(e->msg_topic, sizeof e->msg_topic, "%s", ev->u.msg.topic);
        e->msg_len = ev->u.msg.len;
        e->msg_mid = ev->u.msg.mid;
        if (sm_sqn_mqtt_read(m, ev->u.msg.topic, ev->u.msg.mid, ev->u.msg.len, e->read_buf,
                             sizeof e->read_buf, on_read, e) > 0)
            e->read_state = 1;
        break;
    case SM_SQN_EV_UNHANDLED:
        e->unhandled++;
        fprintf(stderr, "[hce-e2e] unhandled line: %.*s\n", (int)ev->line_len, ev->line);
        break;
    default: break;
    }
}

static void on_hce(void *ctx, sm_hce *h, const sm_hce_event *ev)
{
    e2e *e = (e2e *)ctx;
    (void)h;
    if (ev->type == SM_HCE_EV_ANSWERED) e->answered++;
    else e->dropped++;
    e->last = *ev;
    printf("[hce-e2e]   sm_hce: %s context %u key %u: sign %s, answer %s\n", sm_hce_event_name(ev->type),
           ev->ctx, ev->key, sm_strerror(ev->sign), sm_strerror(ev->status));
    fflush(stdout);
}

/* ---- the superloop -------------------------------------------------------------------- */
static void pump(e2e *e)
{
    sm_sqn_poll(&e->m);
    sm_hce_poll(&e->hce);
    /* while the chip signs, look again soon; else sleep until bytes come */
    sm_posix_wait(&e->port, sm_hce_busy(&e->hce) ? 1 : 5);
}

#define WAIT_UNTIL(e, cond, ms) do { \
    uint32_t t0_ = now_ms(); \
    while (!(cond) && now_ms() - t0_ < (uint32_t)(ms)) pump(e); \
} while (0)

static const sm_result *find_done(e2e *e, int id)
{
    unsigned i;
    for (i = 0; i < N_RESULTS; i++)
        if (e->done[i].id == id) return &e->done[i].r;
    return NULL;
}

static int wait_op(e2e *e, int id, uint32_t ms, sm_result *out)
{
    const sm_result *r = NULL;
    if (out) memset(out, 0, sizeof *out);
    if (id <= 0) {
        fprintf(stderr, "[hce-e2e] the operation did not start: %s\n", sm_strerror(id));
        return id < 0 ? id : SM_ERR_PARAM;
    }
    WAIT_UNTIL(e, (r = find_done(e, id)) != NULL, ms);
    if (!r) {
        fprintf(stderr, "[hce-e2e] operation %d: no done callback within %lu ms\n", id, (unsigned long)ms);
        return SM_ERR_TIMEOUT;
    }
    if (out) *out = *r;
    if (r->status != SM_OK)
        printf("[hce-e2e]   %s -> %s (%s, cme %ld)\n", sm_sqn_op_name(r->op), sm_strerror(r->status),
               sm_at_result_name(r->at), r->code == SM_AT_NO_CODE ? -1L : (long)r->code);
    return r->status;
}

#define OP_OK(e, call, ms) CHECK_EQ_INT(wait_op((e), (call), (ms), NULL), SM_OK)

typedef struct inputs {
    const char *csr_out, *cert_in;
    uint8_t ca[PEM_CAP], other[PEM_CAP], device[PEM_CAP];
    size_t ca_len, other_len, device_len;
    uint16_t broker;
} inputs;

/* ---- 1. bring-up and provisioning ------------------------------------------------------- */
static void bring_up(e2e *e)
{
    sm_result r;
    step("bring-up: registration and clock (NTP when it reads 70/01/01, as a GM02SP after attach)");
    CHECK_EQ_INT(sm_sqn_bringup_time_sync(&e->m, 60000), SM_OK);
    CHECK_EQ_INT(wait_op(e, sm_sqn_bringup(&e->m, on_done, e), 90000, &r), SM_OK);
    CHECK(r.u.bringup.clock.valid);
}

/* The CSR is built while the modem keeps being polled: one superloop. */
static void provision(e2e *e, inputs *in)
{
    static char pem[1024];
    char tmp[600];
    sm_csr op;
    size_t len = 0;
    int rc;
    uint32_t t0;
    FILE *f;
    step("provisioning: a CSR for the chip's slot-0 key, signed by the chip");
    rc = sm_csr_start(&op, &e->se, CHIP_SLOT, SUBJECT, NSUBJECT, SM_CSR_PEM, pem, sizeof pem);
    CHECK_EQ_INT(rc, SM_OK);
    if (rc != SM_OK) return;
    t0 = now_ms();
    while ((rc = sm_csr_poll(&op)) == SM_ATECC_PENDING && now_ms() - t0 < 10000) {
        sm_sqn_poll(&e->m);
        sm_posix_wait(&e->port, 0);
    }
    CHECK_EQ_INT(rc, SM_OK);
    if (rc != SM_OK) return;
    len = sm_csr_out_len(&op);
    snprintf(tmp, sizeof tmp, "%s.part", in->csr_out);
    f = fopen(tmp, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_EQ_INT(fwrite(pem, 1, len, f), len);
    fclose(f);
    CHECK_EQ_INT(rename(tmp, in->csr_out), 0); /* the runner sees it whole */
    printf("CSR %s\n", in->csr_out);
    fflush(stdout);
    step("provisioning: waiting for the device certificate from the test CA");
    {
        struct stat st;
        WAIT_UNTIL(e, stat(in->cert_in, &st) == 0, 20000);
    }
    in->device_len = read_file(in->cert_in, in->device, sizeof in->device);
    CHECK(in->device_len > 0);
    CHECK(in->device_len > 0 && memcmp(in->device, "-----BEGIN CERTIFICATE-----", 27) == 0);
}

static void nvm_and_profiles(e2e *e, const inputs *in)
{
    sm_sqn_tls t;
    step("NVM: the CA, the device certificate, another key's certificate; no private key");
    OP_OK(e, sm_sqn_nvm_write(&e->m, SM_SQN_NVM_CERT, SLOT_CA, in->ca, in->ca_len, on_done, e), 20000);
    OP_OK(e, sm_sqn_nvm_write(&e->m, SM_SQN_NVM_CERT, SLOT_DEVICE, in->device, in->device_len, on_done, e),
          20000);
    OP_OK(e, sm_sqn_nvm_write(&e->m, SM_SQN_NVM_CERT, SLOT_OTHER, in->other, in->other_len, on_done, e),
          20000);
    step("profiles: 1 = device certificate + key 0 in the host; 2 = another key's certificate");
    sm_sqn_tls_defaults(&t, SP_DEVICE, SLOT_CA, 1); /* chain, dates and host name */
    t.ciphers = "0xC02B;0xC02F";                      /* ECDHE with AES-128-GCM */
    t.cert_slot = SLOT_DEVICE;
    t.key_slot = CHIP_SLOT;
    t.key_in_host = 1;
    OP_OK(e, sm_sqn_tls_config(&e->m, &t, on_done, e), 10000);
    t.sp_id = SP_OTHER;
    t.cert_slot = SLOT_OTHER;
    OP_OK(e, sm_sqn_tls_config(&e->m, &t, on_done, e), 10000);
}

/* ---- 2. MQTT with the chip's key ------------------------------------------------------------ */
/* Returns the ONCONNECT rc, or 1 if none came in time; *ms the time it took. */
static int32_t mqtt_connect(e2e *e, uint8_t sp_id, uint16_t port, const char *client_id, uint32_t *ms)
{
    int events = e->conn_events;
    uint32_t t0;
    OP_OK(e, sm_sqn_mqtt_config(&e->m, client_id, NULL, NULL, sp_id, on_done, e), 10000);
    t0 = now_ms();
    OP_OK(e, sm_sqn_mqtt_connect(&e->m, "127.0.0.1", port, 30, on_done, e), 20000);
    WAIT_UNTIL(e, e->conn_events > events, 30000);
    if (ms) *ms = now_ms() - t0;
    if (e->conn_events == events) return 1;
    return e->conn_rc;
}

static void print_published(const char *topic, uint8_t qos, const uint8_t *d, size_t n)
{
    size_t i;
    printf("PUBLISHED %s %u ", topic, qos);
    for (i = 0; i < n; i++) printf("%02x", d[i]);
    printf("\n");
    fflush(stdout);
}

static void test_mqtt(e2e *e, const inputs *in)
{
    static uint8_t payload[200];
    static const char topic[] = "secmodem/hce/telemetry";
    uint32_t ms = 0;
    int events, answered = e->answered;
    size_t i;
    for (i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(255u - i * 3u);
    step("MQTT: connect with mutual TLS; the modem asks, the chip signs");
    CHECK_EQ_INT(mqtt_connect(e, SP_DEVICE, in->broker, "secmodem-hce", &ms), 0);
    printf("[hce-e2e]   connected in %lu ms\n", (unsigned long)ms);
    CHECK(e->m.st.mqtt_connected);
    CHECK_EQ_INT(e->answered, answered + 1);
    CHECK_EQ_INT(e->last.type, SM_HCE_EV_ANSWERED);
    CHECK_EQ_INT(e->last.key, CHIP_SLOT);
    CHECK_EQ_INT(e->last.sign, SM_OK);
    CHECK_EQ_INT(e->last.status, SM_OK);
    step("MQTT: subscribe, publish, receive the own message");
    events = e->sub_events;
    OP_OK(e, sm_sqn_mqtt_subscribe(&e->m, TOPIC_FILTER, 1, on_done, e), 20000);
    WAIT_UNTIL(e, e->sub_events > events, 10000);
    CHECK_EQ_INT(e->sub_rc, 0);
    events = e->pub_events;
    e->read_state = 0;
    OP_OK(e, sm_sqn_mqtt_publish(&e->m, topic, 1, payload, sizeof payload, on_done, e), 20000);
    print_published(topic, 1, payload, sizeof payload);
    WAIT_UNTIL(e, e->pub_events > events && e->read_state == 2, 10000);
    CHECK_EQ_INT(e->pub_rc, 0);
    CHECK_EQ_STR(e->msg_topic, topic);
    CHECK_EQ_INT(e->read_state, 2);
    CHECK_EQ_INT(e->read_status, SM_OK);
    CHECK_EQ_INT(e->read_len, sizeof payload);
    CHECK(e->read_len == sizeof payload && memcmp(e->read_buf, payload, sizeof payload) == 0);
    step("MQTT: disconnect");
    events = e->disc_events;
    OP_OK(e, sm_sqn_mqtt_disconnect(&e->m, on_done, e), 20000);
    WAIT_UNTIL(e, e->disc_events > events, 10000);
    CHECK_EQ_INT(e->disc_rc, 0);
}

/* ---- 3. failure paths ----------------------------------------------------------------------- */
static int chip_fault(e2e *e, const char *cmd)
{
    char reply[64];
    return sm_atecc_bridge_control(&e->bus, cmd, reply, sizeof reply);
}

static void test_failures(e2e *e, const inputs *in)
{
    uint32_t ms = 0;
    int answered = e->answered;

    step("failure: the chip's signature is wrong (emulator fault bad-sign): the modem refuses it");
    CHECK_EQ_INT(chip_fault(e, "fault bad-sign 1"), 0);
    CHECK_EQ_INT(mqtt_connect(e, SP_DEVICE, in->broker, "secmodem-hce-bad", &ms), -8);
    CHECK_EQ_INT(e->answered, answered + 1);
    CHECK_EQ_INT(e->last.sign, SM_OK);     /* sent as a signature ... */
    CHECK_EQ_INT(e->last.status, SM_OK);   /* ... taken (the form is right) ... */
    CHECK_EQ_INT(e->m.st.mqtt_connected, 0); /* ... and did not verify */
    printf("[hce-e2e]   refused in %lu ms\n", (unsigned long)ms);

    step("failure: the chip fails (status 0x0F): the failure answer ends the handshake at once");
    CHECK_EQ_INT(chip_fault(e, "fault status 0F 1"), 0);
    CHECK_EQ_INT(mqtt_connect(e, SP_DEVICE, in->broker, "secmodem-hce-chip", &ms), -8);
    CHECK_EQ_INT(e->answered, answered + 2);
    CHECK_EQ_INT(e->last.sign, SM_ERR_CHIP_EXEC);
    CHECK_EQ_INT(e->last.status, SM_OK);
    CHECK(ms < 5000); /* the simulator would wait 20 s for an answer that never came */
    printf("[hce-e2e]   refused in %lu ms\n", (unsigned long)ms);

    step("failure: a profile whose certificate is not the chip key's");
    CHECK_EQ_INT(mqtt_connect(e, SP_OTHER, in->broker, "secmodem-hce-other", &ms), -8);
    CHECK_EQ_INT(e->answered, answered + 3);
    CHECK_EQ_INT(e->last.sign, SM_OK);

    step("after the failures: the device connects again");
    CHECK_EQ_INT(mqtt_connect(e, SP_DEVICE, in->broker, "secmodem-hce-again", &ms), 0);
    CHECK_EQ_INT(e->answered, answered + 4);
    OP_OK(e, sm_sqn_mqtt_disconnect(&e->m, on_done, e), 20000);
    WAIT_UNTIL(e, !e->m.st.mqtt_connected, 10000);
}

#define RUN2(test, a, b) do { int f_ = sm_test_tally.failed; test(a, b); \
    if (sm_test_tally.failed != f_) fprintf(stderr, "  in %s\n", #test); } while (0)

int main(int argc, char **argv)
{
    static e2e e;
    static inputs in;
    sm_platform plat, chip;
    uint32_t t0 = now_ms();
    if (argc != 9) {
        fprintf(stderr, "usage: %s <pty> <sim control> <atecc socket> <ca.pem> <csr out> <cert in> "
                        "<other.crt> <broker port>\n", argv[0]);
        return 2;
    }
    in.csr_out = argv[5];
    in.cert_in = argv[6];
    in.ca_len = read_file(argv[4], in.ca, sizeof in.ca);
    in.other_len = read_file(argv[7], in.other, sizeof in.other);
    in.broker = (uint16_t)atoi(argv[8]);
    if (!in.ca_len || !in.other_len || !in.broker) return 2;
    memset(&e, 0, sizeof e);
    if (sm_posix_open(&e.port, argv[1], 115200) != 0) { perror(argv[1]); return 2; }
    e.port.trace = getenv("SM_TRACE") != NULL;
    if (sm_atecc_bridge_open(&e.bus, argv[3]) != 0) { perror(argv[3]); return 2; }
    sm_posix_platform(&e.port, &plat);
    sm_atecc_bridge_platform(&e.bus, &chip);
    if (sm_sqn_init(&e.m, &plat, on_event, &e) != SM_OK) return 2;
    if (sm_sqn_use_mqtt(&e.m, &e.mq) != SM_OK) return 2;
    if (sm_atecc_init(&e.se, &chip, SM_ATECC_ADDR_DEFAULT) != SM_OK) return 2;
    if (sm_hce_init(&e.hce, &e.m, &e.se, on_hce, &e) != SM_OK) return 2;
    (void)argv[2]; /* the runner asks the simulator itself */

    RUN_ARG(bring_up, &e);
    if (!sm_test_tally.failed) RUN2(provision, &e, &in);
    if (!sm_test_tally.failed) RUN2(nvm_and_profiles, &e, &in);
    if (!sm_test_tally.failed) {
        RUN2(test_mqtt, &e, &in);
        RUN2(test_failures, &e, &in);
    } else {
        printf("[hce-e2e] bring-up or provisioning failed: the other scenarios need it\n");
    }
    step("counters: every request answered, nothing dropped, nothing unclaimed");
    {
        const sm_hce_stats *hs = sm_hce_get_stats(&e.hce);
        const sm_at_stats *st = sm_at_get_stats(&e.m.at);
        printf("[hce-e2e]   requests %lu, signatures %lu, failures %lu, dropped %lu\n",
               (unsigned long)hs->requests, (unsigned long)hs->signatures, (unsigned long)hs->failures,
               (unsigned long)hs->dropped);
        CHECK_EQ_INT(hs->requests, 5);
        CHECK_EQ_INT(e.hce_requests, 5);
        CHECK_EQ_INT(hs->signatures, 4);
        CHECK_EQ_INT(hs->failures, 1);
        CHECK_EQ_INT(hs->dropped, 0);
        CHECK_EQ_INT(hs->reply_errors, 0);
        CHECK_EQ_INT(e.dropped, 0);
        CHECK_EQ_INT(e.unhandled, 0);
        CHECK_EQ_INT(st->reboots, (uint32_t)e.restarts); /* the power-on one, if it was seen */
        CHECK_EQ_INT(st->unexpected, 0);
        CHECK_EQ_INT(st->timeouts, 0);
    }
    sm_atecc_bridge_close(&e.bus);
    sm_posix_close(&e.port);
    printf("[hce-e2e] %lu ms\n", (unsigned long)(now_ms() - t0));
    return sm_test_finish("test_hce_e2e");
}
