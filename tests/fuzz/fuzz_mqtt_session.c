/* fuzz_mqtt_session.c - libFuzzer harness for the MQTT client session
   (section 10) against a hostile broker. The input is a program, read one
   byte at a time: each step is either the broker putting bytes on the
   connection (CONNACK, SUBACK, PUBLISH QoS 0-2 with DUP and chosen ids,
   PUBREL, PUBACK / PUBREC / PUBCOMP / UNSUBACK for the operations in
   progress, PINGRESP, raw garbage), the application calling the session
   (connect, publish, subscribe, unsubscribe, disconnect, abort, poll, feed;
   also from inside a callback), the transport changing its behaviour
   (accepts all / part / nothing, fails, claims more than asked; the read
   side likewise) or the clock moving on. Push or pull mode, a flush
   callback or none, and the clock's starting value (to cross the 32-bit
   wrap), come from the first bytes. At the end the session is aborted and, if operations remain in a
   persistent session, a clean session cancels them.

   Invariants (abort() on a violation, with the line on stderr):
   - exactly one result per operation a start function accepted (its id),
     never a result for an id not in progress, CONNECT results only after a
     successful connect start and one DISCONNECT result per accepted CONNACK;
     start functions return what the state and table allow;
   - a QoS 2 message (by packet id) is not delivered twice until the broker
     sent its PUBREL, within a connection or across one kept by
     session present; message pieces are contiguous and well formed;
   - deadlines: no CONNACK SM_MQTT_CONNECT_TIMEOUT_MS after the connect
     start, or no PINGRESP SM_MQTT_PING_TIMEOUT_MS after a PINGREQ was
     written, ends the session within the poll that sees the clock past it
     (and a CONNECT timeout never comes early);
   - after a clean disconnect nothing is left pending (with clean session 1
     nothing at all; with 0 only QoS 1/2 publishes, kept to be re-sent), and
     every message delivered before the disconnect was started had its
     acknowledgement written before the DISCONNECT;
   - the transport: never asked for more than SM_MQTT_READ_MAX bytes, nor
     for 0; a send or recv claiming more than asked ends the session with
     SM_ERR_IO;
   - only valid MQTT on the wire: the framing section decodes only what a
     server sends, so the bytes written are parsed here as a server would
     (fixed header, remaining length in at most 4 minimal bytes, the fixed
     flags of each type, CONNECT first and once, nothing before CONNACK,
     nothing after DISCONNECT), and each packet is checked against what the
     application asked (topic, payload, QoS, retain, filters, ids) and
     what the broker sent (an acknowledgement only for a packet received in
     this connection, PUBREL only after a PUBREC, DUP on a re-send).
   Harness state is static (reset for every input); the library has none. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdio.h>
#include <stdlib.h>

#define FAIL_IF(cond) do { if (cond) { \
    fprintf(stderr, "fuzz_mqtt_session.c:%d: violated: %s\n", __LINE__, #cond); abort(); } \
} while (0)
#define REQUIRE(cond) FAIL_IF(!(cond))
/* -DFUZZ_TRACE: what happens, on stderr, to read what an input does */
#ifdef FUZZ_TRACE
#define TRACE(args) do { fprintf(stderr, "[t=%lu conn %u] ", (unsigned long)H.now, H.conn); \
    fprintf args; } while (0)
#else
#define TRACE(args) do { } while (0)
#endif

#define MAX_OPS 192        /* operation records (one per accepted start) */
#define IN_CAP 70000u      /* broker bytes queued on one connection */
#define WIRE_CAP 4096u     /* client bytes not yet parsed into packets */
#define MAX_RECS 4096      /* broker PUBREL / PINGRESP packets remembered (>= 1 input byte each) */
#define MAX_SENT 512       /* broker packets of this connection, by type and id */
#define MAX_HELD 256       /* QoS 2 ids delivered and not yet released */
#define MAX_OWED 256       /* acknowledgements owed by the client */
#define PAY_CAP 1024u

enum { ST_IDLE, ST_CONNECTING, ST_CONNECTED };
enum { TX_ALL, TX_PART, TX_FULL, TX_FAIL, TX_LIE };
enum { RX_ALL, RX_PART, RX_NONE, RX_FAIL, RX_LIE };
enum { PUB_QOS1 = 0x32, PUB_QOS2 = 0x34 }; /* broker PUBLISHes, in the list of packets sent */

typedef struct op_rec {
    uint8_t kind;                 /* SM_MQTT_PUBLISH, _SUBSCRIBE, _UNSUBSCRIBE */
    uint8_t active, results;
    uint8_t qos, retain;
    uint8_t pubrec;               /* the broker sent PUBREC for it (or garbage) */
    uint16_t id;
    const char *topic;
    const uint8_t *payload;
    uint32_t len;
    const char *const *filters;
    uint8_t fq[3];                /* SUBSCRIBE: requested QoS, kept until the result */
    size_t count;
    unsigned wire_conn;           /* connection in which its packet was last written whole */
} op_rec;

typedef struct rec { uint32_t end; uint16_t id; uint8_t type, consumed; unsigned conn; } rec;
typedef struct sent { uint16_t id; uint8_t type; } sent;
typedef struct held { uint16_t id; uint32_t from; } held;
typedef struct owed { uint16_t id; uint8_t qos, acked; } owed;

typedef struct harness {
    const uint8_t *in;
    size_t in_len, in_pos;
    sm_mqtt_client c;
    int pull;
    uint32_t now;
    /* transport behaviour */
    int tx_mode, rx_mode;
    size_t tx_k, rx_k;
    int lied;                     /* the transport claimed more than asked */
    /* the model of the session */
    int st, clean, disc_called, abort_status;
    uint16_t keep_alive;
    uint32_t t_connect;
    unsigned conn;                /* connection number, from 1 */
    int in_cb;
    /* operations */
    op_rec ops[MAX_OPS];
    int n_ops;
    /* broker -> client bytes of the current connection; global positions are base + index */
    uint8_t q[IN_CAP];
    size_t q_len, q_pos;
    uint32_t base;
    uint32_t cur_a, cur_b;        /* the bytes handed over in the current call */
    rec recs[MAX_RECS];
    int n_recs, rec_scan;
    int recs_lost;                /* more than MAX_RECS: the checks that need them are off */
    unsigned pingresps;           /* PINGRESPs consumed on this connection */
    sent sent_[MAX_SENT];
    int n_sent;
    int garbage;                  /* garbage put on this connection: semantic wire checks off */
    held held_[MAX_HELD];
    int n_held;
    owed owed_[MAX_OWED];
    int n_owed;
    /* the message being delivered */
    int msg_open;
    uint16_t msg_id;
    uint8_t msg_qos;
    uint32_t msg_next, msg_total;
    /* client -> broker bytes of the current connection */
    uint8_t w[WIRE_CAP];
    size_t w_len;
    int saw_connect, saw_disconnect;
    int ping_out;                 /* a PINGREQ written, no PINGRESP consumed since; 2: a
                                     PINGRESP handed over in the same call may answer it */
    uint32_t t_last;              /* when the last whole packet was written */
    uint32_t t_ping;
    unsigned ping_base;
    /* what the next callback does */
    int act;
    uint8_t act_arg[4];
} harness;

static harness H;                 /* harness state, reset for every input */
static uint8_t PAY[PAY_CAP];      /* payload bytes, never changed after the first fill */

#define X10 "0123456789"
static const char T_MAX[] = X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 "012345678"; /* 119 */
static const char T_OVER[] = X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10;       /* 120 */
static const char *const TOPICS[8] = { "a", "dev/1/up", T_MAX, T_OVER, "bad/+", "", "x/y/z", "é/t" };
static const int TOPIC_OK[8] = { 1, 1, 1, 0, 0, 0, 1, 1 };
static const char *const F_A[1] = { "a" };
static const char *const F_B[2] = { "dev/+/up", "#" };
static const char *const F_C[3] = { "x/#", "a", "+/+" };
static const char *const F_BAD[1] = { "bad#" };
static const char *const *const FILTERS[4] = { F_A, F_B, F_C, F_BAD };
static const size_t FCOUNT[4] = { 1, 2, 3, 1 };
static const uint32_t PLEN[8] = { 0, 1, 5, 100, 300, 600, 1000, 1024 };
static const uint16_t BTOPIC[8] = { 1, 8, 200, 252, 253, 300, 2000, 65535 };
static const uint32_t BPAY[8] = { 0, 1, 2, 100, 250, 253, 600, 3000 };
static const uint32_t STEP_MS[8] = { 1, 100, 999, 1000, 5000, 9999, 10000, 15000 };

static unsigned next(void) { return H.in_pos < H.in_len ? H.in[H.in_pos++] : 0u; }

/* ---- operations ------------------------------------------------------------ */

static op_rec *find_active(uint16_t id)
{
    int i;
    for (i = 0; i < H.n_ops; i++)
        if (H.ops[i].active && H.ops[i].id == id) return &H.ops[i];
    return NULL;
}

static int n_active(void)
{
    int i, n = 0;
    for (i = 0; i < H.n_ops; i++) n += H.ops[i].active;
    return n;
}

/* After a start function: its return value against the state and table. */
static void started(op_rec *o, int rc, int args_ok)
{
    int connected = sm_mqtt_state(&H.c) == SM_MQTT_CONNECTED;
    if (rc > 0) {
        REQUIRE(rc <= 32767 && args_ok && connected);
        REQUIRE(n_active() < SM_MQTT_INFLIGHT);
        REQUIRE(find_active((uint16_t)rc) == NULL); /* [MQTT-2.3.1-2] */
        o->id = (uint16_t)rc;
        o->active = 1;
        H.n_ops++;
        REQUIRE(sm_mqtt_pending(&H.c, o->id));
        return;
    }
    REQUIRE(rc < 0);
    if (!args_ok) REQUIRE(rc == SM_ERR_PARAM || rc == SM_ERR_UNSAFE_STRING || rc == SM_ERR_NO_SPACE);
    else if (!connected) REQUIRE(rc == SM_ERR_STATE);
    else REQUIRE(rc == SM_ERR_QUEUE_FULL && n_active() == SM_MQTT_INFLIGHT);
}

static op_rec *new_op(void)
{
    op_rec *o;
    if (H.n_ops == MAX_OPS) return NULL;
    o = &H.ops[H.n_ops];
    memset(o, 0, sizeof *o);
    return o;
}

static void app_publish(unsigned a, unsigned b)
{
    op_rec *o = new_op();
    unsigned t = a & 7u, qos = (a >> 3) & 3u, retain = (a >> 5) & 1u;
    int rc;
    if (!o) return;
    o->kind = SM_MQTT_PUBLISH;
    o->topic = TOPICS[t];
    o->len = PLEN[b & 7u];
    o->payload = o->len ? PAY + (PAY_CAP - o->len) : ((b & 8u) ? PAY : NULL);
    o->qos = (uint8_t)qos;
    o->retain = (uint8_t)retain;
    rc = sm_mqtt_publish_start(&H.c, o->topic, o->payload, o->len, o->qos, o->retain);
    started(o, rc, TOPIC_OK[t] && qos < 3);
}

static void app_subscribe(unsigned kind, unsigned a, unsigned b)
{
    op_rec *o = new_op();
    unsigned f = a & 3u, i;
    int rc, ok = f != 3;
    if (!o) return;
    o->kind = (uint8_t)kind;
    o->filters = FILTERS[f];
    o->count = FCOUNT[f];
    for (i = 0; i < 3; i++) {
        o->fq[i] = (uint8_t)((b >> (2 * i)) & 3u);
        if (i < o->count && o->fq[i] > 2 && kind == SM_MQTT_SUBSCRIBE) ok = 0;
    }
    if (kind == SM_MQTT_SUBSCRIBE) rc = sm_mqtt_subscribe_start(&H.c, o->filters, o->fq, o->count);
    else rc = sm_mqtt_unsubscribe_start(&H.c, o->filters, o->count);
    started(o, rc, ok);
}

/* ---- the connection -------------------------------------------------------- */

/* Marks the broker packets the session has taken; counts PINGRESPs. */
static void scan_consumed(void)
{
    uint32_t upto = H.base + (uint32_t)H.q_pos;
    while (H.rec_scan < H.n_recs && H.recs[H.rec_scan].end <= upto) {
        rec *r = &H.recs[H.rec_scan++];
        r->consumed = 1;
        if (r->type == SM_MQTT_PINGRESP) H.pingresps++;
    }
}

static void new_connection(void)
{
    scan_consumed();
    H.rec_scan = H.n_recs; /* the rest was never read */
    H.base += (uint32_t)H.q_len;
    H.q_len = H.q_pos = 0;
    H.conn++;
    H.n_sent = 0;
    H.garbage = 0;
    H.n_owed = 0;
    H.pingresps = 0;
    H.ping_out = 0;
    H.t_last = H.now;
    H.w_len = 0;
    H.saw_connect = H.saw_disconnect = 0;
    H.disc_called = 0;
    H.abort_status = 0;
    H.msg_open = 0;
}

static void put(const uint8_t *p, size_t n)
{
    if (n > IN_CAP - H.q_len) return;
    memcpy(H.q + H.q_len, p, n);
    H.q_len += n;
}

static int put_space(size_t n) { return n <= IN_CAP - H.q_len; }

static void note_sent(unsigned type, uint16_t id)
{
    if (H.n_sent < MAX_SENT) {
        H.sent_[H.n_sent].type = (uint8_t)type;
        H.sent_[H.n_sent++].id = id;
    }
}

static int was_sent(unsigned type, uint16_t id)
{
    int i;
    if (H.garbage || H.n_sent == MAX_SENT) return 1;
    for (i = 0; i < H.n_sent; i++)
        if (H.sent_[i].type == type && H.sent_[i].id == id) return 1;
    return 0;
}

static void note_rec(unsigned type, uint16_t id)
{
    if (H.n_recs == MAX_RECS) { H.recs_lost = 1; return; }
    H.recs[H.n_recs].type = (uint8_t)type;
    H.recs[H.n_recs].id = id;
    H.recs[H.n_recs].end = H.base + (uint32_t)H.q_len;
    H.recs[H.n_recs].consumed = 0;
    H.recs[H.n_recs].conn = H.conn;
    H.n_recs++;
}

static void put_ack(unsigned type, uint16_t id)
{
    uint8_t b[4];
    b[0] = (uint8_t)((type << 4) | (type == SM_MQTT_PUBREL ? 2u : 0u));
    b[1] = 2;
    b[2] = (uint8_t)(id >> 8);
    b[3] = (uint8_t)id;
    if (!put_space(4)) return;
    put(b, 4);
    note_sent(type, id);
    if (type == SM_MQTT_PUBREL) note_rec(type, id);
    if (type == SM_MQTT_PUBREC) {
        op_rec *o = find_active(id);
        if (o) o->pubrec = 1;
    }
}

static size_t put_len(uint8_t *b, uint32_t rl)
{
    size_t i = 0;
    do {
        b[i++] = (uint8_t)((rl & 0x7Fu) | (rl > 0x7Fu ? 0x80u : 0u));
        rl >>= 7;
    } while (rl);
    return i;
}

/* An id for a broker packet: mostly a few small ones, so that they collide. */
static uint16_t broker_id(void)
{
    unsigned s = next();
    if (s < 200) return (uint16_t)(1u + s % 10u);
    if (s < 250) return (uint16_t)((next() << 8) | next());
    return 0;
}

/* The id of the k-th operation in progress, or any id. */
static uint16_t op_id(unsigned k)
{
    int i, n = 0;
    if (k >= 0xF0u) return broker_id();
    for (i = 0; i < H.n_ops; i++)
        if (H.ops[i].active && n++ == (int)(k % SM_MQTT_INFLIGHT)) return H.ops[i].id;
    return (uint16_t)(1u + k % 4u);
}

static void broker_publish(void)
{
    unsigned a = next(), b = next();
    unsigned qos = a & 3u, dup = (a >> 2) & 1u, retain = (a >> 3) & 1u;
    uint16_t id = qos ? broker_id() : 0, tlen = BTOPIC[b & 7u];
    uint32_t plen = BPAY[(b >> 3) & 7u], rl, i;
    uint8_t hdr[8];
    size_t n;
    if (qos == 3) qos = 2;
    if (!qos) dup = 0;
    rl = 2u + tlen + (qos ? 2u : 0u) + plen;
    if (!put_space(5u + rl)) return;
    hdr[0] = (uint8_t)(0x30u | (dup << 3) | (qos << 1) | retain);
    n = put_len(hdr + 1, rl) + 1;
    hdr[n++] = (uint8_t)(tlen >> 8);
    hdr[n++] = (uint8_t)tlen;
    put(hdr, n);
    for (i = 0; i < tlen; i++) H.q[H.q_len++] = (uint8_t)('a' + (i + b) % 26u);
    if ((b & 0xC0u) == 0xC0u) H.q[H.q_len - 1] = '+'; /* a wildcard: malformed */
    if (qos) {
        hdr[0] = (uint8_t)(id >> 8);
        hdr[1] = (uint8_t)id;
        put(hdr, 2);
    }
    for (i = 0; i < plen; i++) H.q[H.q_len++] = (uint8_t)(i * 7u + a);
    if (qos) note_sent(qos == 1 ? PUB_QOS1 : PUB_QOS2, id); /* the acknowledgement it allows */
}

static void broker_suback(void)
{
    unsigned k = next(), a = next(), i;
    uint16_t id = op_id(k);
    op_rec *o = find_active(id);
    size_t count = o && o->kind == SM_MQTT_SUBSCRIBE ? o->count : 1 + (a & 3u);
    uint8_t b[16];
    static const uint8_t codes[8] = { 0, 1, 2, 0x80, 0, 1, 2, 3 };
    if (a & 0x80u) count++; /* a count other than the filters': malformed */
    b[0] = 0x90;
    b[1] = (uint8_t)(2 + count);
    b[2] = (uint8_t)(id >> 8);
    b[3] = (uint8_t)id;
    for (i = 0; i < count; i++) b[4 + i] = codes[(next() >> (a & 1u)) & ((a & 0x40u) ? 7u : 3u)];
    if (put_space(4 + count)) put(b, 4 + count);
}

static void broker_connack(void)
{
    unsigned a = next();
    uint8_t b[4];
    b[0] = 0x20;
    b[1] = 2;
    b[2] = (uint8_t)(a & 1u);
    b[3] = (uint8_t)((a & 0xF0u) == 0xF0u ? (a >> 1) & 7u : 0u);
    if (put_space(4)) put(b, 4);
}

static void broker_pingresp(void)
{
    static const uint8_t b[2] = { 0xD0, 0 };
    if (!put_space(2)) return;
    put(b, 2);
    note_rec(SM_MQTT_PINGRESP, 0);
}

static void broker_garbage(void)
{
    unsigned n = 1 + next() % 16u, i;
    if (!put_space(n)) return;
    for (i = 0; i < n; i++) H.q[H.q_len++] = (uint8_t)next();
    H.garbage = 1; /* may hold any packet, an acknowledgement included */
    for (i = 0; i < (unsigned)H.n_ops; i++) H.ops[i].pubrec = 1;
    H.n_held = 0;  /* ... a PUBREL too */
}

/* ---- the transport ------------------------------------------------------------- */

static void check_packet(unsigned first, const uint8_t *p, uint32_t rl);

/* Parses whole packets out of what the client wrote. */
static void wire_parse(void)
{
    size_t pos = 0;
    while (H.w_len - pos >= 2) {
        uint32_t rl = 0;
        size_t i = 1;
        uint8_t b;
        do {
            if (pos + i >= H.w_len) goto more;
            b = H.w[pos + i];
            rl |= (uint32_t)(b & 0x7Fu) << (7u * (unsigned)(i - 1));
            i++;
            REQUIRE(i <= 5); /* at most 4 length bytes (2.2.3) */
        } while (b & 0x80u);
        REQUIRE(i == 2 || b != 0); /* the shortest form */
        REQUIRE(i + rl <= WIRE_CAP); /* larger than anything the application asked for */
        if (H.w_len - pos < i + rl) break;
        check_packet(H.w[pos], H.w + pos + i, rl);
        pos += i + rl;
    }
more:
    memmove(H.w, H.w + pos, H.w_len - pos);
    H.w_len -= pos;
}

static int h_send(void *u, const uint8_t *d, size_t n)
{
    size_t k = n;
    (void)u;
    REQUIRE(n > 0 && d != NULL);
    REQUIRE(H.st != ST_IDLE);
    switch (H.tx_mode) {
    case TX_PART: if (k > H.tx_k) k = H.tx_k; break;
    case TX_FULL: return 0;
    case TX_FAIL: return -1;
    case TX_LIE: H.lied = 1; return (int)(n + 1);
    default: break;
    }
    REQUIRE(!H.saw_disconnect); /* nothing after DISCONNECT */
    REQUIRE(k <= WIRE_CAP - H.w_len);
    memcpy(H.w + H.w_len, d, k);
    H.w_len += k;
    wire_parse();
    return (int)k;
}

static int h_recv(void *u, uint8_t *b, size_t cap)
{
    size_t n = H.q_len - H.q_pos;
    (void)u;
    REQUIRE(cap > 0 && cap <= SM_MQTT_READ_MAX);
    REQUIRE(H.st != ST_IDLE);
    switch (H.rx_mode) {
    case RX_PART: if (n > H.rx_k) n = H.rx_k; break;
    case RX_NONE: return 0;
    case RX_FAIL: return -1;
    case RX_LIE: H.lied = 1; return (int)(cap + 1);
    default: break;
    }
    if (n > cap) n = cap;
    H.cur_a = H.base + (uint32_t)H.q_pos;
    memcpy(b, H.q + H.q_pos, n);
    H.q_pos += n;
    H.cur_b = H.base + (uint32_t)H.q_pos;
    return (int)n;
}

static uint32_t h_now(void *u) { (void)u; return H.now; }

/* Optional: the session has handed over what it can; never from a callback. */
static void h_flush(void *u)
{
    (void)u;
    REQUIRE(!H.in_cb);
}

/* ---- the wire check -------------------------------------------------------- */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(((unsigned)p[0] << 8) | p[1]); }

static void check_connect(unsigned first, const uint8_t *p, uint32_t rl)
{
    static const uint8_t head[7] = { 0, 4, 'M', 'Q', 'T', 'T', 4 };
    REQUIRE(!H.saw_connect && first == 0x10u); /* CONNECT first, once */
    REQUIRE(rl >= 12 && memcmp(p, head, 7) == 0);
    REQUIRE((p[7] & 1u) == 0 && ((p[7] >> 1) & 1u) == (unsigned)H.clean);
    REQUIRE((p[7] & 0xFCu) == 0); /* no will, user name or password were given */
    REQUIRE(get16(p + 8) == H.keep_alive);
    REQUIRE(rl == 12u + get16(p + 10));
    H.saw_connect = 1;
}

static void check_publish(unsigned first, const uint8_t *p, uint32_t rl)
{
    unsigned qos = (first >> 1) & 3u, dup = (first >> 3) & 1u, retain = first & 1u;
    uint32_t tlen, hdr;
    uint16_t id = 0;
    op_rec *o = NULL;
    int i;
    REQUIRE(qos < 3 && !(dup && !qos)); /* [MQTT-3.3.1-4], [MQTT-3.3.1-2] */
    REQUIRE(rl >= 2);
    tlen = get16(p);
    hdr = 2u + tlen + (qos ? 2u : 0u);
    REQUIRE(tlen > 0 && hdr <= rl);
    if (qos) {
        id = get16(p + 2 + tlen);
        REQUIRE(id != 0);
        o = find_active(id);
        REQUIRE(o && o->kind == SM_MQTT_PUBLISH && o->qos == qos);
    } else {
        for (i = 0; i < H.n_ops && !o; i++) {
            op_rec *x = &H.ops[i];
            if (x->active && x->kind == SM_MQTT_PUBLISH && x->qos == 0 && x->retain == retain &&
                strlen(x->topic) == tlen && memcmp(x->topic, p + 2, tlen) == 0 &&
                x->len == rl - hdr && (!x->len || memcmp(x->payload, p + hdr, x->len) == 0))
                o = x;
        }
        REQUIRE(o != NULL);
    }
    REQUIRE(o->retain == retain);
    REQUIRE(strlen(o->topic) == tlen && memcmp(o->topic, p + 2, tlen) == 0);
    REQUIRE(o->len == rl - hdr && (!o->len || memcmp(o->payload, p + hdr, o->len) == 0));
    if (qos) {
        REQUIRE(o->wire_conn != H.conn);        /* not twice on one connection */
        if (o->wire_conn) REQUIRE(dup);         /* a re-send [MQTT-3.3.1-1] */
        o->wire_conn = H.conn;
    }
}

static void check_filters(unsigned type, const uint8_t *p, uint32_t rl)
{
    uint16_t id;
    op_rec *o;
    uint32_t pos = 2;
    size_t i, n;
    REQUIRE(rl >= 2);
    id = get16(p);
    o = find_active(id);
    REQUIRE(o && o->kind == type);
    REQUIRE(o->wire_conn != H.conn); /* once per operation */
    o->wire_conn = H.conn;
    for (i = 0; i < o->count; i++) {
        REQUIRE(pos + 2 <= rl);
        n = get16(p + pos);
        pos += 2;
        REQUIRE(n == strlen(o->filters[i]) && pos + n <= rl && memcmp(p + pos, o->filters[i], n) == 0);
        pos += (uint32_t)n;
        if (type == SM_MQTT_SUBSCRIBE) {
            REQUIRE(pos < rl && p[pos] == o->fq[i]);
            pos++;
        }
    }
    REQUIRE(pos == rl);
}

/* An acknowledgement the client wrote. */
static void check_ack(unsigned type, const uint8_t *p, uint32_t rl)
{
    uint16_t id;
    int i;
    REQUIRE(rl == 2);
    id = get16(p);
    REQUIRE(id != 0);
    if (type == SM_MQTT_PUBREL) {
        /* after a PUBREC: of an earlier connection, or of this one (the
           broker may have queued it before our PUBLISH: on a byte stream it
           still comes after it) */
        op_rec *o = find_active(id);
        REQUIRE(o && o->kind == SM_MQTT_PUBLISH && o->qos == 2);
        REQUIRE(o->pubrec || was_sent(SM_MQTT_PUBREC, id));
        o->pubrec = 1;
        return;
    }
    /* PUBACK / PUBREC answer a QoS 1 / 2 PUBLISH, PUBCOMP a PUBREL, of this connection */
    REQUIRE(was_sent(type == SM_MQTT_PUBACK ? PUB_QOS1 : type == SM_MQTT_PUBREC ? PUB_QOS2
                     : SM_MQTT_PUBREL, id));
    for (i = 0; i < H.n_owed; i++) {
        owed *w = &H.owed_[i];
        if (!w->acked && w->id == id &&
            ((w->qos == 1 && type == SM_MQTT_PUBACK) || (w->qos == 2 && type != SM_MQTT_PUBACK))) {
            w->acked = 1;
            break;
        }
    }
}

static void check_packet(unsigned first, const uint8_t *p, uint32_t rl)
{
    unsigned type = first >> 4, flags = first & 15u;
    int i;
    H.t_last = H.now;
    TRACE((stderr, "client wrote type %u flags %u rl %lu%s%s\n", type, flags, (unsigned long)rl,
           rl >= 2 ? " id/len " : "", ""));
    REQUIRE(!H.saw_disconnect);
    if (!H.saw_connect || type == SM_MQTT_CONNECT) { check_connect(first, p, rl); return; }
    REQUIRE(H.st == ST_CONNECTED); /* nothing but CONNECT before the CONNACK */
    switch (type) {
    case SM_MQTT_PUBLISH: check_publish(first, p, rl); break;
    case SM_MQTT_PUBACK: case SM_MQTT_PUBREC: case SM_MQTT_PUBCOMP:
        REQUIRE(flags == 0);
        check_ack(type, p, rl);
        break;
    case SM_MQTT_PUBREL:
        REQUIRE(flags == 2); /* [MQTT-3.6.1-1] */
        check_ack(type, p, rl);
        break;
    case SM_MQTT_SUBSCRIBE: case SM_MQTT_UNSUBSCRIBE:
        REQUIRE(flags == 2); /* [MQTT-3.8.1-1], [MQTT-3.10.1-1] */
        check_filters(type, p, rl);
        break;
    case SM_MQTT_PINGREQ: {
        /* PINGRESPs handed over so far; those not yet known to be taken
           (this call's) may have come before or after this PINGREQ */
        unsigned handed = 0;
        REQUIRE(flags == 0 && rl == 0);
        for (i = 0; i < H.n_recs; i++)
            if (H.recs[i].type == SM_MQTT_PINGRESP && H.recs[i].conn == H.conn &&
                H.recs[i].end <= H.cur_b && H.recs[i].end > H.base)
                handed++;
        H.ping_out = handed > H.pingresps ? 2 : 1;
        H.t_ping = H.now;
        H.ping_base = handed;
        break;
    }
    case SM_MQTT_DISCONNECT:
        REQUIRE(flags == 0 && rl == 0);
        H.saw_disconnect = 1;
        /* what was delivered before the application asked to disconnect is acknowledged */
        if (H.disc_called && !H.garbage)
            for (i = 0; i < H.n_owed; i++) REQUIRE(H.owed_[i].acked || !H.owed_[i].qos);
        break;
    default:
        REQUIRE(0); /* a type a client never sends */
    }
}

/* ---- the callbacks ----------------------------------------------------------- */

static void do_action(void);

/* Only QoS 1/2 publishes of a persistent session outlive a connection:
   those of this one if it was persistent (connected), or those an earlier
   one left when a connection ends before its CONNACK (only a CONNACK to
   clean session 1 says the broker discarded them). */
static void check_pending_after_close(int connected)
{
    int i;
    for (i = 0; i < H.n_ops; i++) {
        op_rec *o = &H.ops[i];
        if (!o->active) continue;
        REQUIRE((!H.clean || !connected) && o->kind == SM_MQTT_PUBLISH && o->qos > 0);
        REQUIRE(sm_mqtt_pending(&H.c, o->id));
    }
}

static void on_result(void *ctx, sm_mqtt_client *c, const sm_mqtt_result *r)
{
    op_rec *o;
    (void)ctx;
    TRACE((stderr, "result op %u id %u status %d sp %u rc %u\n", r->op, r->packet_id, r->status,
           r->session_present, r->return_code));
    REQUIRE(c == &H.c && !H.in_cb);
    REQUIRE(r->status <= 0);
    switch (r->op) {
    case SM_MQTT_CONNECT:
        REQUIRE(H.st == ST_CONNECTING);
        if (r->status == SM_ERR_TIMEOUT)
            REQUIRE(H.now - H.t_connect >= (uint32_t)SM_MQTT_CONNECT_TIMEOUT_MS); /* not early */
        if (r->status == SM_ERR_REFUSED) REQUIRE(r->return_code >= 1 && r->return_code <= 5);
        if (r->status == SM_OK) {
            REQUIRE(sm_mqtt_state(c) == SM_MQTT_CONNECTED);
            REQUIRE(!(H.clean && r->session_present)); /* [MQTT-3.2.2-1] */
            if (!r->session_present) H.n_held = 0;    /* the broker forgot them: may come again */
            if (H.clean) REQUIRE(n_active() == 0);    /* [MQTT-3.1.2-6] */
            H.st = ST_CONNECTED;
        } else {
            REQUIRE(sm_mqtt_state(c) == SM_MQTT_IDLE);
            H.st = ST_IDLE;
            check_pending_after_close(0);
        }
        break;
    case SM_MQTT_DISCONNECT:
        REQUIRE(H.st == ST_CONNECTED && sm_mqtt_state(c) == SM_MQTT_IDLE);
        H.st = ST_IDLE;
        if (r->status == SM_OK) REQUIRE(H.disc_called && H.saw_disconnect);
        if (H.lied) REQUIRE(r->status != SM_OK);
        check_pending_after_close(1);
        break;
    case SM_MQTT_PUBLISH: case SM_MQTT_SUBSCRIBE: case SM_MQTT_UNSUBSCRIBE:
        o = find_active(r->packet_id);
        REQUIRE(o && o->kind == r->op); /* a result only for an operation in progress */
        o->active = 0;
        o->results++;
        REQUIRE(!sm_mqtt_pending(c, r->packet_id));
        if (r->op == SM_MQTT_SUBSCRIBE && r->status == SM_OK) {
            size_t i;
            REQUIRE(r->count == o->count && r->codes);
            for (i = 0; i < r->count; i++) REQUIRE(r->codes[i] <= 2 || r->codes[i] == 0x80);
        }
        break;
    default:
        REQUIRE(0);
    }
    H.in_cb = 1;
    do_action();
    H.in_cb = 0;
}

static void on_message(void *ctx, sm_mqtt_client *c, const sm_mqtt_event *m)
{
    int i;
    (void)ctx;
    TRACE((stderr, "message qos %u id %u dup %u topic_len %lu piece %lu+%lu of %lu\n", m->qos,
           m->packet_id, m->dup, (unsigned long)m->topic_len, (unsigned long)m->offset,
           (unsigned long)m->data_len, (unsigned long)m->total));
    REQUIRE(c == &H.c && !H.in_cb);
    REQUIRE(H.st == ST_CONNECTED && m->type == SM_MQTT_PUBLISH && m->qos <= 2);
    REQUIRE(m->offset + m->data_len <= m->total && (m->data_len == 0 || m->data));
    REQUIRE((m->qos == 0) == (m->packet_id == 0));
    if (m->topic) {
        REQUIRE(m->topic_len > 0 && m->topic_len <= SM_MQTT_RX_SIZE - 4 && m->topic[m->topic_len] == 0);
        REQUIRE(strlen(m->topic) == m->topic_len);
    } else {
        REQUIRE(m->topic_len > SM_MQTT_RX_SIZE - 4 && !m->data && !m->total && !m->offset);
    }
    if (m->offset == 0) {
        /* a message cut by a connection's end comes again from 0; anything else must finish */
        H.msg_open = 1;
        H.msg_id = m->packet_id;
        H.msg_qos = m->qos;
        H.msg_total = m->total;
        H.msg_next = 0;
        if (m->qos == 2) {
            for (i = 0; i < H.n_held; i++) {
                if (H.held_[i].id != m->packet_id) continue;
                {   /* delivered before: the broker must have released it in between */
                    int k, released = 0;
                    for (k = 0; k < H.n_recs && !released; k++) {
                        const rec *r = &H.recs[k];
                        if (r->type == SM_MQTT_PUBREL && r->id == m->packet_id &&
                            r->end >= H.held_[i].from && r->end <= H.cur_b &&
                            (r->conn == H.conn || r->consumed))
                            released = 1;
                    }
                    REQUIRE(released || H.recs_lost); /* exactly once [MQTT-4.3.3] */
                }
                H.held_[i] = H.held_[--H.n_held];
                break;
            }
        }
    }
    REQUIRE(H.msg_open && m->offset == H.msg_next && m->total == H.msg_total &&
            m->packet_id == H.msg_id && m->qos == H.msg_qos);
    H.msg_next += (uint32_t)m->data_len;
    if (m->offset + m->data_len == m->total) {
        H.msg_open = 0;
        if (m->qos == 2 && H.n_held < MAX_HELD) {
            H.held_[H.n_held].id = m->packet_id;
            H.held_[H.n_held++].from = H.cur_a;
        }
        if (m->qos && H.n_owed < MAX_OWED) {
            H.owed_[H.n_owed].id = m->packet_id;
            H.owed_[H.n_owed].qos = H.disc_called ? 0 : m->qos; /* 0: not owed before DISCONNECT */
            H.owed_[H.n_owed++].acked = 0;
        }
    }
    H.in_cb = 1;
    do_action();
    H.in_cb = 0;
}

/* ---- the application's calls ------------------------------------------------- */

static void after_call(void);

static void app_connect(unsigned a)
{
    sm_mqtt_connect_opts o;
    static const uint16_t ka[4] = { 0, 1, 10, 60 };
    int rc, was_idle = H.st == ST_IDLE && !H.in_cb;
    memset(&o, 0, sizeof o);
    o.clean_session = (uint8_t)(a & 1u);
    o.client_id = (a & 2u) ? "" : "c";
    o.keep_alive = ka[(a >> 2) & 3u];
    if (was_idle) new_connection(); /* the application opens a connection first */
    rc = sm_mqtt_connect_start(&H.c, &o);
    if (H.in_cb) { REQUIRE(rc == SM_ERR_BUSY); return; }
    if (!was_idle) { REQUIRE(rc == SM_ERR_STATE); return; }
    if (!o.clean_session && !o.client_id[0]) { REQUIRE(rc == SM_ERR_PARAM); return; }
    REQUIRE(rc == SM_OK && sm_mqtt_state(&H.c) == SM_MQTT_CONNECTING);
    H.st = ST_CONNECTING;
    H.clean = o.clean_session;
    H.keep_alive = o.keep_alive;
    H.t_connect = H.now;
    H.lied = 0;
}

static void app_disconnect(void)
{
    int connected = sm_mqtt_state(&H.c) == SM_MQTT_CONNECTED;
    int rc = sm_mqtt_disconnect_start(&H.c);
    REQUIRE(rc == (connected ? SM_OK : SM_ERR_STATE));
    if (!rc) H.disc_called = 1;
}

static void app_abort(unsigned a)
{
    static const int st[4] = { SM_ERR_IO, SM_ERR_CANCELLED, 0, 5 };
    sm_mqtt_abort(&H.c, st[a & 3u]);
}

static void app_poll(void)
{
    int rc;
    if (H.in_cb) { REQUIRE(sm_mqtt_poll(&H.c) == SM_ERR_BUSY); return; }
    rc = sm_mqtt_poll(&H.c);
    REQUIRE(rc <= 0 && rc != SM_ERR_BUSY);
    after_call();
}

static void app_feed(unsigned k)
{
    size_t n = H.q_len - H.q_pos, used = 99;
    int rc;
    if (H.in_cb) {
        REQUIRE(sm_mqtt_feed(&H.c, H.q + H.q_pos, n, &used) == SM_ERR_BUSY && used == 0);
        return;
    }
    if (k && n > k) n = k;
    H.cur_a = H.base + (uint32_t)H.q_pos;
    H.cur_b = H.cur_a + (uint32_t)n;
    rc = sm_mqtt_feed(&H.c, H.q + H.q_pos, n, &used);
    REQUIRE(used <= n && rc <= 0 && rc != SM_ERR_BUSY);
    if (H.st == ST_IDLE && rc == SM_ERR_STATE) REQUIRE(used == 0);
    H.q_pos += used;
    after_call();
}

/* Checks that hold between calls. */
static void after_call(void)
{
    int s = sm_mqtt_state(&H.c), i;
    scan_consumed();
    REQUIRE(H.st == ST_IDLE ? s == SM_MQTT_IDLE
            : H.st == ST_CONNECTING ? s == SM_MQTT_CONNECTING
            : (s == SM_MQTT_CONNECTED || s == SM_MQTT_DISCONNECTING));
    for (i = 0; i < H.n_ops; i++)
        if (H.ops[i].active) REQUIRE(sm_mqtt_pending(&H.c, H.ops[i].id));
    /* deadlines: the call that sees the clock past them ends the session */
    if (H.st == ST_CONNECTING)
        REQUIRE(H.now - H.t_connect < (uint32_t)SM_MQTT_CONNECT_TIMEOUT_MS);
    if (H.pingresps > H.ping_base) H.ping_out = 0; /* answered */
    if (H.st == ST_CONNECTED && H.ping_out == 1 && !H.garbage && !H.recs_lost)
        REQUIRE(H.now - H.t_ping < (uint32_t)SM_MQTT_PING_TIMEOUT_MS);
    /* keep-alive: with a transport that takes everything, nothing written
       for keep_alive seconds means a PINGREQ now (none unanswered) */
    if (s == SM_MQTT_CONNECTED && H.keep_alive && !H.ping_out && !H.garbage && H.tx_mode == TX_ALL)
        REQUIRE(H.now - H.t_last < (uint32_t)H.keep_alive * 1000u);
}

/* The action armed for the next callback (start functions, abort,
   disconnect, and the calls a callback may not make). */
static void do_action(void)
{
    int a = H.act;
    H.act = 0;
    switch (a) {
    case 1: app_publish(H.act_arg[0], H.act_arg[1]); break;
    case 2: app_subscribe(SM_MQTT_SUBSCRIBE, H.act_arg[0], H.act_arg[1]); break;
    case 3: app_subscribe(SM_MQTT_UNSUBSCRIBE, H.act_arg[0], H.act_arg[1]); break;
    case 4: app_abort(H.act_arg[0]); H.abort_status = 1; break;
    case 5: if (sm_mqtt_disconnect_start(&H.c) == SM_OK) H.disc_called = 1; break;
    case 6: app_connect(H.act_arg[0]); break;
    case 7: app_poll(); break;
    case 8: app_feed(0); break;
    default: break;
    }
}

/* ---- the program ------------------------------------------------------------- */

static void set_tx(unsigned a)
{
    static const int modes[8] = { TX_ALL, TX_ALL, TX_ALL, TX_PART, TX_PART, TX_FULL, TX_FAIL, TX_LIE };
    H.tx_mode = modes[a & 7u];
    H.tx_k = 1 + (a >> 3);
}

static void set_rx(unsigned a)
{
    static const int modes[8] = { RX_ALL, RX_ALL, RX_ALL, RX_PART, RX_PART, RX_NONE, RX_FAIL, RX_LIE };
    H.rx_mode = modes[a & 7u];
    H.rx_k = 1 + (a >> 3);
}

static void step(unsigned op)
{
    unsigned a, b;
    TRACE((stderr, "step %u at %lu\n", op % 22u, (unsigned long)H.in_pos));
    switch (op % 22u) {
    case 0: case 1: case 2: app_poll(); break;
    case 3: a = next(); if (H.pull) { set_rx(a); app_poll(); } else app_feed(a); break;
    case 4: a = next(); H.now += (a & 0x80u) ? STEP_MS[a & 7u] : a * 64u; break;
    case 5: set_tx(next()); break;
    case 6: set_rx(next()); break;
    case 7: broker_connack(); break;
    case 8: broker_suback(); break;
    case 9: {
        static const uint8_t types[4] = { SM_MQTT_PUBACK, SM_MQTT_PUBREC, SM_MQTT_PUBCOMP, SM_MQTT_UNSUBACK };
        a = next();
        put_ack(types[a & 3u], op_id(next()));
        break;
    }
    case 10: case 11: broker_publish(); break;
    case 12: put_ack(SM_MQTT_PUBREL, broker_id()); break;
    case 13: broker_pingresp(); break;
    case 14: broker_garbage(); break;
    case 15: app_connect(next()); break;
    case 16: a = next(); b = next(); app_publish(a, b); break;
    case 17: a = next(); b = next(); app_subscribe(SM_MQTT_SUBSCRIBE, a, b); break;
    case 18: a = next(); app_subscribe(SM_MQTT_UNSUBSCRIBE, a, 0); break;
    case 19: app_disconnect(); break;
    case 20: app_abort(next()); after_call(); break;
    default:
        H.act = 1 + (int)(next() % 8u);
        H.act_arg[0] = (uint8_t)next();
        H.act_arg[1] = (uint8_t)next();
        break;
    }
}

/* Ends what is open: abort, then a clean session cancels what a persistent
   one kept; every operation must then have had exactly one result. */
static void finish(void)
{
    static const uint8_t ok[4] = { 0x20, 2, 0, 0 }; /* CONNACK: accepted, no session */
    int i;
    H.act = 0;
    H.tx_mode = TX_ALL;
    H.rx_mode = RX_ALL;
    if (H.st != ST_IDLE) {
        sm_mqtt_abort(&H.c, SM_ERR_CANCELLED);
        REQUIRE(H.st == ST_IDLE);
        after_call();
    }
    if (n_active()) {
        app_connect(1);
        REQUIRE(H.st == ST_CONNECTING);
        app_poll();
        put(ok, sizeof ok);
        /* with few free slots a poll may read a byte at a time */
        for (i = 0; i < 8 && H.st == ST_CONNECTING; i++) {
            if (H.pull) app_poll(); else app_feed(0);
        }
        REQUIRE(H.st == ST_CONNECTED && n_active() == 0);
        sm_mqtt_abort(&H.c, SM_ERR_CANCELLED);
        REQUIRE(H.st == ST_IDLE);
    }
    for (i = 0; i < H.n_ops; i++) REQUIRE(H.ops[i].results == 1 && !H.ops[i].active);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sm_mqtt_transport t;
    unsigned a;
    size_t i;
    if (size < 2) return 0;
    memset(&H, 0, offsetof(harness, q)); /* q[] needs no clearing */
    memset(&H.base, 0, sizeof H - offsetof(harness, base));
    for (i = 0; i < PAY_CAP; i++) PAY[i] = (uint8_t)(i * 31u + 7u);
    H.in = data;
    H.in_len = size;
    a = next();
    H.pull = (int)(a & 1u);
    H.now = (a & 2u) ? 0xFFFFFFFFu - next() * 1000u : next() * 1000u; /* across the wrap */
    memset(&t, 0, sizeof t);
    t.send = h_send;
    t.recv = H.pull ? h_recv : NULL;
    t.now_ms = h_now;
    t.flush = (a & 4u) ? h_flush : NULL;
    REQUIRE(sm_mqtt_init(&H.c, &t, on_result, on_message, NULL) == SM_OK);
    while (H.in_pos < H.in_len) step(next());
    finish();
    return 0;
}
