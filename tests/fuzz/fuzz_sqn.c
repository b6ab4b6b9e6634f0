/* fuzz_sqn.c - libFuzzer harness for the Sequans dialect: what a hostile
   or broken GM02S sends (URCs, answers, binary payloads) is fed while
   operations that read announced payloads are in flight (socket receive,
   MQTT message read after ONMESSAGE, HTTP body, NVM read-back, bring-up,
   the answer to a host-signing request; with bit 2 of the first byte set,
   also a time sync, an MQTT session with subscriptions and its supervision:
   resumes, probes, reconnects; without it, the MQTT URCs come to a modem
   that has no MQTT memory).
   Every operation must end once the line goes silent, and no callback may
   see a malformed result. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdlib.h>
#include "fuzz_result.h"

typedef struct fz {
    sm_sqn m;
    sm_sqn_mqtt_mem mq; /* handed over with bit 2 only: else the MQTT URCs meet no memory */
    uint32_t now;
    uint8_t buf[96];
    int started, done;
} fz;

static int fz_write(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t fz_now(void *u) { return ((fz *)u)->now; }

static void fz_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    fz *f = (fz *)ctx;
    (void)m;
    f->done++;
    fz_check_result(r, SM_SQN_OP_COUNT_,
                    r->op == SM_SQN_OP_SOCK_RECV || r->op == SM_SQN_OP_MQTT_READ ||
                        r->op == SM_SQN_OP_NVM_READ || r->op == SM_SQN_OP_HTTP_READ,
                    sizeof f->buf);
    /* an identity read only from 16 digits: 15 and 2 of them */
    if (r->op == SM_SQN_OP_IDENTITY && r->status == SM_OK &&
        (strlen(r->u.identity.imei) != 15 || strlen(r->u.identity.svn) != 2 ||
         strspn(r->u.identity.imei, "0123456789") != 15))
        abort();
    /* a functionality level only from 0..127 (docs/sequans.md R-43) */
    if (r->op == SM_SQN_OP_FUNC_READ && r->status == SM_OK && r->value > 127u) abort();
}

static void fz_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    fz *f = (fz *)ctx;
    fz_check_event(ev, SM_SQN_EV_COUNT_);
    /* the strings of the types that carry them are NUL-terminated */
    if ((ev->type == SM_SQN_EV_MQTT_SUBSCRIBED || ev->type == SM_SQN_EV_MQTT_UNSUBSCRIBED) &&
        ev->u.sub.topic)
        (void)strlen(ev->u.sub.topic);
    if (ev->type == SM_SQN_EV_HTTP_RESPONSE && ev->u.http.content_type)
        (void)strlen(ev->u.http.content_type);
    if (ev->type == SM_SQN_EV_MQTT_MESSAGE && (ev->u.msg.payload || ev->u.msg.total != ev->u.msg.len))
        abort(); /* announced only: read with sm_sqn_mqtt_read */
    if (ev->type == SM_SQN_EV_MQTT_MESSAGE) {
        if (ev->u.msg.topic) (void)strlen(ev->u.msg.topic);
        if (sm_sqn_mqtt_read(m, ev->u.msg.topic, ev->u.msg.mid, ev->u.msg.len, f->buf,
                             sizeof f->buf, fz_done, f) > 0)
            f->started++;
    } else if (ev->type == SM_SQN_EV_SOCK_DATA) {
        if (sm_sqn_sock_recv(m, ev->u.sock.id, f->buf, sizeof f->buf, fz_done, f) > 0) f->started++;
    } else if (ev->type == SM_SQN_EV_HTTP_RESPONSE) {
        if (sm_sqn_http_read(m, ev->u.http.prof, f->buf, sizeof f->buf, fz_done, f) > 0) f->started++;
    } else if (ev->type == SM_SQN_EV_HCE_SIGN) { /* every digest byte is read, then answered */
        uint8_t sig[64];
        size_t i;
        for (i = 0; i < 64; i++) sig[i] = ev->u.hce.digest[i % 32];
        if (sm_sqn_hce_reply(m, ev->u.hce.ctx, ev->u.hce.alg ? SM_SQN_HCE_FAILED : 0,
                             ev->u.hce.alg ? NULL : sig, fz_done, f) > 0)
            f->started++;
    } else if (ev->type == SM_SQN_EV_MQTT_RESUBSCRIBE_FAILED) {
        if (!ev->u.sup.topic || ev->u.sup.failed == 0 || ev->u.sup.failed > ev->u.sup.topics) abort();
        (void)strlen(ev->u.sup.topic);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz f;
    sm_platform p;
    size_t i = 1;
    int k;
    if (size < 1) return 0;
    memset(&f, 0, sizeof f);
    memset(&p, 0, sizeof p);
    p.user = &f;
    p.write = fz_write;
    p.now_ms = fz_now;
    if (sm_sqn_init(&f.m, &p, fz_event, &f) != SM_OK) abort();
    if ((data[0] & 0x80u) == 0 && sm_sqn_use_all(&f.m) != SM_OK) abort(); /* else: as first used */
    switch (data[0] % 4) {
    case 0: if (sm_sqn_bringup(&f.m, fz_done, &f) > 0) f.started++; break;
    case 1: if (sm_sqn_nvm_read_cert(&f.m, 19, f.buf, sizeof f.buf, fz_done, &f) > 0) f.started++; break;
    case 2: if (sm_sqn_sock_recv(&f.m, 1, f.buf, sizeof f.buf, fz_done, &f) > 0) f.started++; break;
    default:
        if (sm_sqn_clock_read(&f.m, fz_done, &f) > 0) f.started++;
        if (sm_sqn_identity(&f.m, fz_done, &f) > 0) f.started++;
        if (sm_sqn_func_read(&f.m, fz_done, &f) > 0) f.started++;
        break;
    }
    if (data[0] & 4) { /* time and MQTT supervision */
        sm_sqn_bringup_time_sync(&f.m, 60000);
        if (sm_sqn_time_sync(&f.m, NULL, fz_done, &f) > 0) f.started++;
        if (sm_sqn_mqtt_connect(&f.m, "b", 1883, 60, fz_done, &f) != SM_ERR_STATE) abort();
        if (sm_sqn_use_mqtt(&f.m, &f.mq) != SM_OK) abort();
        if (sm_sqn_mqtt_connect(&f.m, "b", 1883, 60, fz_done, &f) > 0) f.started++;
        if (sm_sqn_mqtt_subscribe(&f.m, "a/+", 1, fz_done, &f) > 0) f.started++;
        if (sm_sqn_mqtt_subscribe(&f.m, "b", 0, fz_done, &f) > 0) f.started++;
        sm_sqn_mqtt_supervise(&f.m, 1000, (data[0] & 8) ? "p" : NULL,
                              (data[0] & 16) ? SM_SQN_SUP_RECONNECT : 0);
    }
    while (i < size) {
        size_t chunk = (size_t)(data[i - 1] % 29) + 1;
        if (chunk > size - i) chunk = size - i;
        sm_sqn_poll(&f.m);
        sm_sqn_feed(&f.m, data + i, chunk);
        f.now += (uint32_t)(data[i] % 97);
        sm_sqn_poll(&f.m);
        i += chunk;
    }
    /* silence: every operation ends by its deadline (bring-up included) */
    for (k = 0; k < 2000 && f.done < f.started; k++) {
        f.now += 1000;
        sm_sqn_poll(&f.m);
    }
    if (f.done < f.started) abort();
    return 0;
}
