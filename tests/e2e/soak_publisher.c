/* soak_publisher.c - a reliable QoS 1 publisher on the Sequans GM02S dialect
   of secmodem.h, the application that the soak test (tests/e2e/run_soak.py) and
   the fault scenarios (tests/e2e/run_fault_scenarios.py) drive through faults.

   It is written the way a firmware would be: the public sm_sqn_* API only,
   the POSIX port, one superloop, callbacks that record and move a state
   machine, and a step function that starts one operation at a time. It
   brings the modem up, provisions the CA, the client certificate and its
   key into NVM, configures a mutual-TLS profile, connects the built-in
   MQTT client and publishes `count` numbered messages at QoS 1. A message leaves the outbox
   only when +SQNSMQTTONPUBLISH reports its pmid with rc 0 (the broker's
   PUBACK).

   On any failure it recovers (see recover()): an operation that ends with
   a timeout, ERROR / +CME ERROR, a malformed answer or a restart; a
   RESTARTED event; MQTT_DISCONNECTED; a connection refused or a TLS error
   (+SQNSMQTTONCONNECT rc < 0) or no +SQNSMQTTONCONNECT at all; a failed
   bring-up; acknowledgements that stop coming. The recovery waits a bounded
   backoff (100 ms doubling up to 3 s), runs the bring-up again if the modem
   restarted (or after 3 timeouts or errors in a row without progress), configures
   the profile and the client again, disconnects what the modem may still
   hold, reconnects, and publishes every message not acknowledged yet again
   (duplicates are allowed at QoS 1, losses are not).

   Every wait has a deadline: each operation must end within its own bound
   (its timeout plus the engine's settling and draining limits), else the
   program reports a HANG and fails; the whole run ends by -d seconds.

   Usage:
       soak_publisher [-n COUNT] [-i MS] [-d SECONDS] [-w WINDOW] [-t TOPIC]
                      [-c CLIENT_ID] [-p EVERY] <pty> <ca.pem> <client.crt>
                      <client.key> <broker TLS port>
     -n  messages to publish (200)
     -i  at least MS between the first attempts of two messages (0), so that
         a run lasts long enough for the faults its runner injects
     -d  give up after this many seconds (120)
     -w  messages published and not acknowledged yet, at most (4)
     -t  topic (secmodem/soak); -c client id (secmodem-soak)
     -p  a PROGRESS line every EVERY acknowledgements (count / 20)

   Payload of message `seq` (the runner checks it from the broker side):
       soak:<seq, 6 digits>:<'.' padding>:<CRC-32 of what precedes the last ':', 8 hex>
   40 + seq % 61 bytes long: neighbouring messages never share a length, so
   their AT+SQNSMQTTPUBLISH lines differ, and a late echo of one publish
   (a modem answering a backlog after delayed results) can never be taken
   for the echo of the next one by the engine's stale-answer filter.

   Output: lines for the runner, "OPFAIL ...", "EVENT ...", "RECOVER ...",
   "HANG ...", "PROGRESS ...", and at the end "SOAK COUNTERS k=v ..." and
   "SOAK RESULT ok" or "SOAK RESULT FAILED <why>"; exit status 0 on success.
   SM_TRACE=1 in the environment traces every line to stderr. */
#define _POSIX_C_SOURCE 200809L

/* Timeouts for a modem on a local serial link (the simulator answers in
   milliseconds): short enough that faults cost seconds, not minutes. Only
   implementation timing changes, no struct layout, so sm_posix.c compiled
   with the defaults links against this safely. */
#define SM_AT_TIMEOUT_MS 2000
#define SM_RAW_TIMEOUT_MS 2000
#define SM_SQN_MQTT_TIMEOUT_MS 2000
#define SM_SQN_NVM_TIMEOUT_MS 5000
#define SM_SQN_BOOT_TIMEOUT_MS 8000UL
#define SM_SQN_CFUN_TIMEOUT_MS 4000UL
#define SM_SQN_REG_TIMEOUT_MS 8000UL
#define SM_SQN_REG_POLL_MS 1000UL

#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_posix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_CA 19
#define SLOT_CLIENT 17
#define SP_MUTUAL 1
#define PEM_CAP 8192
#define MAX_MSGS 100000
#define PAYLOAD_MAX 128

#define ACK_TIMEOUT_MS 5000u     /* published, no ONPUBLISH: publish it again */
#define ACK_STALL_TIMEOUTS 3     /* that many in a row without an ack: reconnect */
#define CONNECT_EVENT_MS 8000u   /* connect OK -> +SQNSMQTTONCONNECT */
#define DISC_EVENT_MS 2000u      /* disconnect OK -> +SQNSMQTTONDISCONNECT */
#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 3000u
#define ESCALATE_AFTER 3         /* timeouts/errors without progress before a full bring-up */
#define SLACK_MS 1500u

/* The longest an operation may take before its done callback: its timeout,
   settling after an earlier timeout, paying an interrupted command's debt,
   a raw payload's deadline, and slack for a loaded machine. */
#define OP_BOUND(t) ((uint32_t)(t) + (uint32_t)SM_AT_SETTLE_MAX_MS + (uint32_t)SM_AT_TIMEOUT_MS + \
                     (uint32_t)SM_RAW_TIMEOUT_MS + SLACK_MS)
/* The bring-up: the probe phase, then up to 1 + 3 runs of the script (a
   restart during it starts it again), each ATE1, CMEE, CEREG, CFUN,
   registration and the clock. */
#define BRINGUP_BOUND (OP_BOUND(SM_SQN_BOOT_TIMEOUT_MS) + \
    4u * (4u * OP_BOUND(SM_AT_TIMEOUT_MS) + OP_BOUND(SM_SQN_CFUN_TIMEOUT_MS) + \
          (uint32_t)SM_SQN_REG_TIMEOUT_MS))

enum phase {
    PH_BRINGUP, PH_PROVISION, PH_TLS, PH_MQTT_CFG, PH_DISCONNECT, PH_CONNECT, PH_RUN,
    PH_BACKOFF, PH_FINISH, PH_END
};
static const char *const phase_names[] = {
    "bringup", "provision", "tls-config", "mqtt-config", "disconnect", "connect", "run",
    "backoff", "finish", "end"
};

enum cause {
    C_TIMEOUT, C_ERROR, C_RESTART, C_DISCONNECT, C_TLS, C_CONNECT, C_BRINGUP, C_ACKSTALL, C_COUNT
};
static const char *const cause_names[] = {
    "timeout", "error", "restart", "disconnect", "tls", "connect", "bringup", "ackstall"
};

enum msg_state { M_PENDING = 0, M_PUBLISHING, M_SENT, M_ACKED };

typedef struct msg {
    uint8_t state;
    uint16_t pmid;
    uint16_t attempts;
    uint32_t sent_at;
} msg;

typedef struct opts {
    unsigned count, interval_ms, deadline_s, window, progress_every;
    const char *topic, *client_id;
    const char *pty, *ca_path, *cert_path, *key_path;
    uint16_t port;
} opts;

typedef struct app {
    opts o;
    sm_posix port;
    sm_sqn m;
    sm_sqn_mqtt_mem mq; /* the built-in MQTT client's memory */
    uint8_t ca[PEM_CAP], cert[PEM_CAP], key[PEM_CAP];
    size_t ca_len, cert_len, key_len;
    msg *msgs;
    uint8_t payload[PAYLOAD_MAX];
    uint32_t t0;
    /* the state machine */
    enum phase phase;
    enum phase after_backoff;
    int need_bringup;     /* the modem restarted, or escalation: bring-up first */
    int provisioned;      /* CA, certificate and key written once */
    int prov_step;        /* 0 CA, 1 certificate, 2 key */
    int mqtt_unsure;      /* the modem may hold an MQTT session we do not know of */
    uint32_t backoff_ms, backoff_until;
    int fails_in_row;     /* timeouts and errors since the last acknowledgement */
    uint32_t next_new_at; /* pacing of first attempts */
    /* the one operation in flight */
    struct {
        int id;           /* 0: none */
        sm_sqn_op_kind kind;
        uint32_t started, bound;
        unsigned seq;     /* MQTT_PUBLISH: the message */
        int done;         /* the done callback came: res is valid */
        sm_result res;
    } op;
    /* events awaited */
    int want_conn, conn_event;
    int32_t conn_rc;
    int want_disc, disc_event;
    uint32_t event_deadline;
    /* counters */
    unsigned acked, published, attempts, retries, ack_timeouts, stray_acks, ack_rc_errors;
    unsigned ack_timeouts_in_row, recoveries, by_cause[C_COUNT];
    unsigned restarts, unhandled, hangs, io_errors, connects, disconnect_events;
    unsigned opfail_timeout, opfail_modem, opfail_reboot, opfail_other;
    uint32_t longest_op_ms;
    const char *fail_why;
} app;

static uint32_t now_ms(void) { return sm_posix_now_ms(); }
static double secs(const app *a) { return (double)(now_ms() - a->t0) / 1000.0; }

static int reached(uint32_t now, uint32_t t) { return (int32_t)(now - t) >= 0; }

static const char *status_name(int s)
{
    switch (s) {
    case SM_OK: return "ok";
    case SM_ERR_TIMEOUT: return "timeout";
    case SM_ERR_MODEM: return "modem";
    case SM_ERR_REBOOT: return "reboot";
    case SM_ERR_CANCELLED: return "cancelled";
    case SM_ERR_IO: return "io";
    case SM_ERR_PARSE: return "parse";
    case SM_ERR_TRUNCATED: return "truncated";
    case SM_ERR_QUEUE_FULL: return "queue-full";
    case SM_ERR_STATE: return "state";
    default: return "other";
    }
}

/* ---- CRC-32 (IEEE, as zlib.crc32) ------------------------------------------- */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* The payload of message seq (see the top of the file); its length. */
static size_t make_payload(uint8_t *out, unsigned seq)
{
    size_t len = 40u + seq % 61u, body = len - 9u, n;
    char head[16];
    uint32_t crc;
    int w = snprintf(head, sizeof head, "soak:%06u:", seq % 1000000u);
    n = w > 0 ? (size_t)w : 0;
    memcpy(out, head, n);
    memset(out + n, '.', body - n);
    crc = crc32_ieee(out, body);
    snprintf((char *)out + body, 10, ":%08lx", (unsigned long)crc);
    return len;
}

/* ---- callbacks: they record and move the state machine, never start an operation */
static void recover(app *a, enum cause c, int bringup, const char *why);

static void publish_done(app *a, const sm_result *r);

static void on_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    app *a = (app *)ctx;
    uint32_t took;
    (void)m;
    if (r->id != a->op.id) {
        printf("[soak] done callback for operation %d, not the one in flight (%d)\n", r->id, a->op.id);
        return;
    }
    took = now_ms() - a->op.started;
    if (took > a->longest_op_ms) a->longest_op_ms = took;
    if (r->op == SM_SQN_OP_MQTT_PUBLISH) {
        /* at once, not in the next step(): its +SQNSMQTTONPUBLISH may be
           in the very bytes this poll is parsing */
        a->op.id = 0;
        publish_done(a, r);
        return;
    }
    a->op.res = *r;
    a->op.done = 1;
}

static void ack(app *a, uint16_t pmid, int32_t rc)
{
    unsigned i;
    for (i = 0; i < a->o.count; i++) {
        msg *g = &a->msgs[i];
        if (g->state != M_SENT || g->pmid != pmid) continue;
        if (rc != 0) {
            a->ack_rc_errors++;
            g->state = M_PENDING;
            printf("EVENT MQTT_PUBLISHED pmid=%u rc=%ld seq=%u: publish again\n", pmid, (long)rc, i);
            return;
        }
        g->state = M_ACKED;
        a->acked++;
        a->ack_timeouts_in_row = 0;
        a->fails_in_row = 0;
        a->backoff_ms = 0;
        if (a->acked % a->o.progress_every == 0 || a->acked == a->o.count)
            printf("PROGRESS acked=%u published=%u t=%.1f\n", a->acked, a->published, secs(a));
        return;
    }
    a->stray_acks++; /* a pmid of an older connection, or of a publish that timed out */
}

static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    app *a = (app *)ctx;
    (void)m;
    switch (ev->type) {
    case SM_SQN_EV_RESTARTED:
        a->restarts++;
        printf("EVENT RESTARTED count=%u phase=%s t=%.1f\n", ev->u.startup.count,
               phase_names[a->phase], secs(a));
        /* a bring-up in progress starts over by itself; one about to start
           (the power-on +SYSSTART) needs nothing either */
        if (a->phase != PH_BRINGUP) recover(a, C_RESTART, 1, "RESTARTED event");
        break;
    case SM_SQN_EV_MQTT_CONNECTED:
        printf("EVENT MQTT_CONNECTED rc=%ld t=%.1f\n", (long)ev->u.mqtt.code, secs(a));
        if (a->want_conn) {
            a->conn_event = 1;
            a->conn_rc = ev->u.mqtt.code;
        }
        break;
    case SM_SQN_EV_MQTT_DISCONNECTED:
        a->disconnect_events++;
        printf("EVENT MQTT_DISCONNECTED rc=%ld phase=%s t=%.1f\n", (long)ev->u.mqtt.code,
               phase_names[a->phase], secs(a));
        if (a->want_disc) a->disc_event = 1;
        if (a->phase == PH_RUN || (a->phase == PH_CONNECT && a->want_conn))
            recover(a, C_DISCONNECT, 0, "MQTT_DISCONNECTED");
        break;
    case SM_SQN_EV_MQTT_PUBLISHED:
        ack(a, ev->u.pub.pmid, ev->u.pub.code);
        break;
    case SM_SQN_EV_UNHANDLED:
        a->unhandled++;
        if (a->unhandled <= 20)
            printf("EVENT UNHANDLED %.*s\n", (int)(ev->line_len > 60 ? 60 : ev->line_len),
                   ev->line);
        break;
    default:
        break;
    }
}

/* ---- the state machine ---------------------------------------------------------- */
static void go(app *a, enum phase p)
{
    a->phase = p;
    a->want_conn = a->conn_event = 0;
    a->want_disc = a->disc_event = 0;
}

/* Every message published and not acknowledged goes back to the outbox. */
static void requeue_sent(app *a)
{
    unsigned i;
    for (i = 0; i < a->o.count; i++)
        if (a->msgs[i].state == M_SENT) a->msgs[i].state = M_PENDING;
}

static void recover(app *a, enum cause c, int bringup, const char *why)
{
    if (a->phase == PH_BACKOFF) { /* already recovering: only ever go deeper */
        if (bringup && !a->need_bringup) {
            a->need_bringup = 1;
            a->after_backoff = PH_BRINGUP;
        }
        return;
    }
    if (a->phase == PH_FINISH || a->phase == PH_END) return;
    a->recoveries++;
    a->by_cause[c]++;
    if (bringup) a->need_bringup = 1;
    /* timeouts and errors again and again: the modem may be confused, start
       from scratch (a broker that is down is no reason) */
    if ((c == C_TIMEOUT || c == C_ERROR || c == C_ACKSTALL) && ++a->fails_in_row > ESCALATE_AFTER &&
        !a->need_bringup) {
        a->need_bringup = 1;
        printf("[soak] %d timeouts or errors without progress: bring-up again\n", a->fails_in_row);
    }
    requeue_sent(a);
    /* after a timeout or an error the modem may still hold a session that
       a connect would be refused for; it said so itself otherwise */
    a->mqtt_unsure = c == C_TIMEOUT || c == C_ERROR || c == C_ACKSTALL;
    a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2u : BACKOFF_MIN_MS;
    if (a->backoff_ms > BACKOFF_MAX_MS) a->backoff_ms = BACKOFF_MAX_MS;
    a->backoff_until = now_ms() + a->backoff_ms;
    a->after_backoff = a->need_bringup ? PH_BRINGUP : !a->provisioned ? PH_PROVISION : PH_TLS;
    printf("RECOVER cause=%s why=\"%s\" from=%s next=%s backoff_ms=%u t=%.1f\n", cause_names[c], why,
           phase_names[a->phase], phase_names[a->after_backoff], (unsigned)a->backoff_ms, secs(a));
    go(a, PH_BACKOFF);
}

/* An operation's failure: counted by status, then a recovery. */
static void op_failed(app *a, const sm_result *r)
{
    enum cause c;
    printf("OPFAIL op=%s status=%s at=%s cme=%ld phase=%s t=%.1f\n", sm_sqn_op_name(r->op),
           status_name(r->status), sm_at_result_name(r->at),
           r->code == SM_AT_NO_CODE ? -1L : (long)r->code, phase_names[a->phase], secs(a));
    switch (r->status) {
    case SM_ERR_TIMEOUT: a->opfail_timeout++; c = C_TIMEOUT; break;
    case SM_ERR_MODEM: a->opfail_modem++; c = C_ERROR; break;
    case SM_ERR_REBOOT: a->opfail_reboot++; c = C_RESTART; break;
    default: a->opfail_other++; c = C_ERROR; break;
    }
    if (r->op == SM_SQN_OP_BRINGUP && r->status != SM_ERR_REBOOT) c = C_BRINGUP;
    recover(a, c, r->status == SM_ERR_REBOOT || r->op == SM_SQN_OP_BRINGUP, "operation failed");
}

/* Starts an operation (the return of a start function); 1 if it started. */
static int started(app *a, int id, sm_sqn_op_kind kind, uint32_t bound)
{
    if (id <= 0) {
        /* nothing was sent; only a full queue could explain it here */
        printf("[soak] %s did not start: %s\n", sm_sqn_op_name(kind), sm_strerror(id));
        return 0;
    }
    a->op.id = id;
    a->op.kind = kind;
    a->op.started = now_ms();
    a->op.bound = bound;
    a->op.done = 0;
    return 1;
}

/* Takes the result of the operation in flight, if it came: 1 and *r. */
static int take_result(app *a, sm_result *r)
{
    if (!a->op.id || !a->op.done) return 0;
    *r = a->op.res;
    a->op.id = 0;
    a->op.done = 0;
    return 1;
}

static void start_publish(app *a, unsigned seq)
{
    msg *g = &a->msgs[seq];
    size_t len = make_payload(a->payload, seq);
    int id = sm_sqn_mqtt_publish(&a->m, a->o.topic, 1, a->payload, len, on_done, a);
    if (!started(a, id, SM_SQN_OP_MQTT_PUBLISH, OP_BOUND(SM_SQN_MQTT_TIMEOUT_MS))) return;
    a->op.seq = seq;
    if (g->attempts++) a->retries++;
    else a->next_new_at = now_ms() + a->o.interval_ms;
    a->attempts++;
    g->state = M_PUBLISHING;
}

static void publish_done(app *a, const sm_result *r)
{
    msg *g = &a->msgs[a->op.seq];
    unsigned i;
    if (r->status != SM_OK || a->phase != PH_RUN) {
        g->state = M_PENDING;
        if (r->status != SM_OK) op_failed(a, r);
        return;
    }
    a->published++;
    /* a pmid is unique while the modem runs: an older message holding it got
       a wrong one (a stale answer), so it cannot count on its ack */
    for (i = 0; i < a->o.count; i++)
        if (a->msgs[i].state == M_SENT && a->msgs[i].pmid == r->value) {
            printf("[soak] pmid %u was held by seq %u too: publish that one again\n", r->value, i);
            a->msgs[i].state = M_PENDING;
        }
    g->state = M_SENT;
    g->pmid = (uint16_t)r->value;
    g->sent_at = now_ms();
}

/* The RUN phase: acknowledgement deadlines, then the next publish. */
static void run_step(app *a, uint32_t now)
{
    unsigned i, in_flight = 0, pick = a->o.count;
    for (i = 0; i < a->o.count; i++) {
        msg *g = &a->msgs[i];
        if (g->state == M_SENT && reached(now, g->sent_at + ACK_TIMEOUT_MS)) {
            g->state = M_PENDING; /* its ack was lost, or never comes */
            a->ack_timeouts++;
            a->ack_timeouts_in_row++;
            printf("[soak] seq %u pmid %u: no ack after %u ms, publish again\n", i, g->pmid,
                   ACK_TIMEOUT_MS);
        }
        if (g->state == M_SENT) in_flight++;
        else if (g->state == M_PENDING && pick == a->o.count) pick = i;
    }
    if (a->ack_timeouts_in_row >= ACK_STALL_TIMEOUTS) {
        a->ack_timeouts_in_row = 0;
        recover(a, C_ACKSTALL, 0, "acknowledgements stopped");
        return;
    }
    if (a->acked == a->o.count) {
        printf("[soak] all %u messages acknowledged at %.1f s: disconnect\n", a->o.count, secs(a));
        go(a, PH_FINISH);
        started(a, sm_sqn_mqtt_disconnect(&a->m, on_done, a), SM_SQN_OP_MQTT_DISCONNECT,
                OP_BOUND(SM_SQN_MQTT_TIMEOUT_MS));
        return;
    }
    if (a->op.id || pick == a->o.count || in_flight >= a->o.window) return;
    if (a->msgs[pick].attempts == 0 && !reached(now, a->next_new_at)) return;
    start_publish(a, pick);
}

static void step(app *a)
{
    uint32_t now = now_ms();
    sm_result r;
    int have;

    /* every operation ends by its bound: the library's promise, checked */
    if (a->op.id && !a->op.done && reached(now, a->op.started + a->op.bound)) {
        a->hangs++;
        printf("HANG op=%s id=%d: no done callback after %lu ms\n", sm_sqn_op_name(a->op.kind), a->op.id,
               (unsigned long)(now - a->op.started));
        a->fail_why = "an operation never ended";
        go(a, PH_END);
        return;
    }
    have = take_result(a, &r);

    switch (a->phase) {
    case PH_BACKOFF:
        if (have && r.status != SM_OK) /* the operation that was in flight */
            printf("[soak]   (while recovering: %s -> %s)\n", sm_sqn_op_name(r.op), status_name(r.status));
        if (a->op.id || !reached(now, a->backoff_until)) return;
        go(a, a->after_backoff);
        if (a->phase == PH_BRINGUP) a->need_bringup = 0;
        printf("[soak] %s t=%.1f\n", phase_names[a->phase], secs(a));
        return;

    case PH_BRINGUP:
        if (!a->op.id && !have) {
            sm_sqn_bringup_time_sync(&a->m, 60000); /* a clock at 70/01/01: NTP first */
            started(a, sm_sqn_bringup(&a->m, on_done, a), SM_SQN_OP_BRINGUP, BRINGUP_BOUND);
            return;
        }
        if (!have) return;
        if (r.status != SM_OK) { op_failed(a, &r); return; }
        a->fails_in_row = 0;
        printf("[soak] modem up (registered, clock %s) t=%.1f\n", r.u.bringup.clock.valid ? "set" : "unset",
               secs(a));
        go(a, a->provisioned ? PH_TLS : PH_PROVISION);
        return;

    case PH_PROVISION:
        if (!a->op.id && !have) {
            static const sm_sqn_nvm_type types[3] = { SM_SQN_NVM_CERT, SM_SQN_NVM_CERT, SM_SQN_NVM_KEY };
            static const uint8_t slots[3] = { SLOT_CA, SLOT_CLIENT, SLOT_CLIENT };
            const uint8_t *data[3];
            size_t lens[3];
            data[0] = a->ca; data[1] = a->cert; data[2] = a->key;
            lens[0] = a->ca_len; lens[1] = a->cert_len; lens[2] = a->key_len;
            started(a, sm_sqn_nvm_write(&a->m, types[a->prov_step], slots[a->prov_step],
                                        data[a->prov_step], lens[a->prov_step], on_done, a),
                    SM_SQN_OP_NVM_WRITE, OP_BOUND(SM_SQN_NVM_TIMEOUT_MS));
            return;
        }
        if (!have) return;
        if (r.status != SM_OK) { op_failed(a, &r); return; }
        if (++a->prov_step == 3) {
            a->provisioned = 1;
            printf("[soak] NVM: CA, client certificate and key written t=%.1f\n", secs(a));
            go(a, PH_TLS);
        }
        return;

    case PH_TLS:
        if (!a->op.id && !have) {
            sm_sqn_tls t;
            sm_sqn_tls_defaults(&t, SP_MUTUAL, SLOT_CA, 1);
            t.cert_slot = SLOT_CLIENT;
            t.key_slot = SLOT_CLIENT;
            started(a, sm_sqn_tls_config(&a->m, &t, on_done, a), SM_SQN_OP_TLS_CONFIG,
                    OP_BOUND(SM_AT_TIMEOUT_MS));
            return;
        }
        if (!have) return;
        if (r.status != SM_OK) { op_failed(a, &r); return; }
        go(a, PH_MQTT_CFG);
        return;

    case PH_MQTT_CFG:
        if (!a->op.id && !have) {
            started(a, sm_sqn_mqtt_config(&a->m, a->o.client_id, NULL, NULL, SP_MUTUAL, on_done, a),
                    SM_SQN_OP_MQTT_CONFIG, OP_BOUND(SM_AT_TIMEOUT_MS));
            return;
        }
        if (!have) return;
        if (r.status != SM_OK) { op_failed(a, &r); return; }
        go(a, a->mqtt_unsure || a->m.st.mqtt_connected ? PH_DISCONNECT : PH_CONNECT);
        return;

    case PH_DISCONNECT: /* the modem may still hold a session: end it first */
        if (!a->op.id && !have && !a->want_disc) {
            started(a, sm_sqn_mqtt_disconnect(&a->m, on_done, a), SM_SQN_OP_MQTT_DISCONNECT,
                    OP_BOUND(SM_SQN_MQTT_TIMEOUT_MS));
            return;
        }
        if (have) {
            if (r.status == SM_OK) { /* there was one: wait until it is gone */
                a->want_disc = 1;
                a->event_deadline = now + DISC_EVENT_MS;
                return;
            }
            /* +CME ERROR: no session to end; a timeout: the connect tells */
            printf("[soak] disconnect: %s (no session, or unknown)\n", status_name(r.status));
            a->mqtt_unsure = 0;
            go(a, PH_CONNECT);
            return;
        }
        if (a->want_disc && (a->disc_event || reached(now, a->event_deadline))) {
            a->mqtt_unsure = 0;
            go(a, PH_CONNECT);
        }
        return;

    case PH_CONNECT:
        if (!a->op.id && !have && !a->want_conn) {
            a->conn_event = 0;
            started(a, sm_sqn_mqtt_connect(&a->m, "127.0.0.1", a->o.port, 30, on_done, a),
                    SM_SQN_OP_MQTT_CONNECT, OP_BOUND(SM_SQN_MQTT_TIMEOUT_MS));
            a->want_conn = 1; /* ONCONNECT may even beat the OK */
            a->event_deadline = now + OP_BOUND(SM_SQN_MQTT_TIMEOUT_MS) + CONNECT_EVENT_MS;
            return;
        }
        if (have) {
            if (r.status != SM_OK) { op_failed(a, &r); return; }
            a->event_deadline = now + CONNECT_EVENT_MS;
        }
        if (a->op.id) return; /* the command is still running */
        if (a->conn_event) {
            int32_t rc = a->conn_rc;
            if (rc == 0) {
                a->connects++;
                printf("[soak] connected (#%u) t=%.1f\n", a->connects, secs(a));
                go(a, PH_RUN);
            } else {
                recover(a, rc == -8 ? C_TLS : C_CONNECT, 0,
                        rc == -8 ? "TLS failure" : rc == -4 ? "no connection (broker down?)" : "refused");
            }
            return;
        }
        if (reached(now, a->event_deadline)) recover(a, C_CONNECT, 0, "no +SQNSMQTTONCONNECT");
        return;

    case PH_RUN:
        run_step(a, now);
        return;

    case PH_FINISH:
        if (have || (!a->op.id)) {
            if (have && r.status != SM_OK)
                printf("[soak] final disconnect: %s (not needed for the result)\n", status_name(r.status));
            go(a, PH_END);
        }
        return;

    case PH_END:
    default:
        return;
    }
}

/* ---- set-up and the report ---------------------------------------------------------- */
static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) { perror(path); return 0; }
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static int parse_args(opts *o, int argc, char **argv)
{
    int i, pos = 0;
    memset(o, 0, sizeof *o);
    o->count = 200;
    o->deadline_s = 120;
    o->window = 4;
    o->topic = "secmodem/soak";
    o->client_id = "secmodem-soak";
    for (i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] == '-' && s[1] && !s[2] && i + 1 < argc) {
            const char *v = argv[++i];
            unsigned long n = strtoul(v, NULL, 10);
            switch (s[1]) {
            case 'n': o->count = (unsigned)n; break;
            case 'i': o->interval_ms = (unsigned)n; break;
            case 'd': o->deadline_s = (unsigned)n; break;
            case 'w': o->window = (unsigned)n; break;
            case 'p': o->progress_every = (unsigned)n; break;
            case 't': o->topic = v; break;
            case 'c': o->client_id = v; break;
            default: return -1;
            }
            continue;
        }
        switch (pos++) {
        case 0: o->pty = s; break;
        case 1: o->ca_path = s; break;
        case 2: o->cert_path = s; break;
        case 3: o->key_path = s; break;
        case 4: o->port = (uint16_t)strtoul(s, NULL, 10); break;
        default: return -1;
        }
    }
    if (pos != 5 || !o->port || o->count < 1 || o->count > MAX_MSGS || o->window < 1 ||
        o->deadline_s < 1)
        return -1;
    if (!o->progress_every) o->progress_every = o->count >= 20 ? o->count / 20 : 1;
    return 0;
}

static void report(app *a)
{
    const sm_at_stats *st = sm_at_get_stats(&a->m.at);
    unsigned i, pending = 0;
    for (i = 0; i < a->o.count; i++) pending += a->msgs[i].state != M_ACKED;
    printf("SOAK COUNTERS count=%u acked=%u unacked=%u published=%u attempts=%u retries=%u "
           "ack_timeouts=%u stray_acks=%u ack_rc_errors=%u recoveries=%u",
           a->o.count, a->acked, pending, a->published, a->attempts, a->retries, a->ack_timeouts,
           a->stray_acks, a->ack_rc_errors, a->recoveries);
    for (i = 0; i < C_COUNT; i++) printf(" rec_%s=%u", cause_names[i], a->by_cause[i]);
    printf(" opfail_timeout=%u opfail_modem=%u opfail_reboot=%u opfail_other=%u restarts=%u "
           "connects=%u disconnect_events=%u unhandled=%u hangs=%u io_errors=%u longest_op_ms=%lu",
           a->opfail_timeout, a->opfail_modem, a->opfail_reboot, a->opfail_other, a->restarts,
           a->connects, a->disconnect_events, a->unhandled, a->hangs, a->io_errors,
           (unsigned long)a->longest_op_ms);
    printf(" at_lines=%lu at_urcs=%lu at_timeouts=%lu at_stale=%lu at_overlong=%lu at_unexpected=%lu "
           "at_nul=%lu at_reboots=%lu at_filler=%lu at_replayed=%lu at_abandoned=%lu elapsed_ms=%lu\n",
           (unsigned long)st->lines, (unsigned long)st->urcs, (unsigned long)st->timeouts,
           (unsigned long)st->stale, (unsigned long)st->overlong, (unsigned long)st->unexpected,
           (unsigned long)st->nul_bytes, (unsigned long)st->reboots, (unsigned long)st->tx_filler,
           (unsigned long)st->tx_replayed, (unsigned long)st->tx_abandoned,
           (unsigned long)(now_ms() - a->t0));
    if (a->fail_why)
        printf("SOAK RESULT FAILED %s (acked %u of %u)\n", a->fail_why, a->acked, a->o.count);
    else
        printf("SOAK RESULT ok (%u messages acknowledged, %u retries, %u recoveries, %.1f s)\n",
               a->acked, a->retries, a->recoveries, secs(a));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static app a;
    sm_platform plat;
    uint32_t deadline;
    memset(&a, 0, sizeof a);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (parse_args(&a.o, argc, argv) != 0) {
        fprintf(stderr, "usage: %s [-n COUNT] [-i MS] [-d SECONDS] [-w WINDOW] [-t TOPIC] [-c CLIENT_ID] "
                        "[-p EVERY] <pty> <ca.pem> <client.crt> <client.key> <broker port>\n", argv[0]);
        return 2;
    }
    a.ca_len = read_file(a.o.ca_path, a.ca, sizeof a.ca);
    a.cert_len = read_file(a.o.cert_path, a.cert, sizeof a.cert);
    a.key_len = read_file(a.o.key_path, a.key, sizeof a.key);
    if (!a.ca_len || !a.cert_len || !a.key_len) return 2;
    a.msgs = (msg *)calloc(a.o.count, sizeof *a.msgs);
    if (!a.msgs) return 2;
    if (sm_posix_open(&a.port, a.o.pty, 115200) != 0) {
        perror(a.o.pty);
        return 2;
    }
    a.port.trace = getenv("SM_TRACE") != NULL;
    sm_posix_platform(&a.port, &plat);
    if (sm_sqn_init(&a.m, &plat, on_event, &a) != SM_OK) return 2;
    if (sm_sqn_use_mqtt(&a.m, &a.mq) != SM_OK) return 2;

    a.t0 = now_ms();
    deadline = a.t0 + a.o.deadline_s * 1000u;
    printf("[soak] %u messages to %s, window %u, interval %u ms, deadline %u s\n", a.o.count, a.o.topic,
           a.o.window, a.o.interval_ms, a.o.deadline_s);
    go(&a, PH_BRINGUP);
    while (a.phase != PH_END) {
        if (sm_sqn_poll(&a.m) == SM_ERR_IO) a.io_errors++;
        step(&a);
        if (a.phase != PH_END && reached(now_ms(), deadline)) {
            a.fail_why = "deadline reached";
            break;
        }
        sm_posix_wait(&a.port, 5);
    }
    if (!a.fail_why && a.acked != a.o.count) a.fail_why = "not every message was acknowledged";
    report(&a);
    sm_posix_close(&a.port);
    free(a.msgs);
    return a.fail_why ? 1 : 0;
}
