/* test_mqtt_session_live.c - the MQTT client session (section 10) over a
   non-blocking POSIX TCP socket, against a real mosquitto on loopback
   (started by tests/e2e/run_mqtt_session_live.py with sim/network/testbed.py):

       test_mqtt_session_live <host> <port> <topic prefix> [<ca> <cert> <key>]

   With the three PEM files (and built with -DSM_LIVE_TLS, linked with
   OpenSSL) the byte stream is TLS 1.2 with a client certificate, to the
   broker's mutual-TLS listener; without them, plain TCP.

   Connect, subscribe, publish QoS 0/1/2 (a payload with every byte value,
   and payloads larger than the decoder buffer, which arrive in pieces),
   receive our own messages exactly once, keep-alive over a short period,
   and three reconnects with clean session 0: the broker re-delivers a QoS 2
   message whose PUBREC was lost (not delivered twice here); the session
   re-sends, with DUP, messages whose acknowledgements were lost (the
   broker accepts them, a QoS 2 one once); a QoS 2 message whose PUBCOMP
   was lost is completed by re-sending its PUBREL. Then the in-flight
   limits (issue 19): a 300- and a 65,535-byte topic at QoS 0/1/2 from a raw publisher,
   refused once each and acknowledged; 1, 8, 9 and 50 QoS 2 messages queued
   while the persistent session was offline, each delivered exactly once,
   over as many reconnects (SM_ERR_QUEUE_FULL) as SM_MQTT_RX_IDS needs.
   Every message published is
   printed as "SENT <topic> <qos> <exactly once 0/1> <hex payload>" for the
   runner, whose second client (MqttProbe, TLS listener) must have seen the
   same bytes. The last line is "test_mqtt_session_live: N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../common/sm_test.h"
#include "../common/sm_live.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef SM_LIVE_TLS
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
static SSL_CTX *g_tls; /* NULL: plain TCP */
#endif

/* ---- a packet log of each direction, cut from the byte stream ---------------- */

typedef struct pkt {
    uint8_t first;   /* type and flags */
    uint16_t id;     /* packet id (PUBLISH QoS > 0, acknowledgements), else 0 */
    int epoch;       /* connection number of the client when seen */
} pkt;

#define MAX_PKTS 512

typedef struct pstream {
    uint8_t hdr[8];
    size_t hlen;          /* fixed header bytes collected */
    uint32_t rl, got;     /* remaining length; body bytes seen */
    uint8_t body[160];    /* the start of the body: topic and packet id */
    pkt log[MAX_PKTS];
    int n;
} pstream;

static void ps_done(pstream *s, int epoch)
{
    unsigned type = s->hdr[0] >> 4;
    pkt *p = &s->log[s->n < MAX_PKTS ? s->n++ : MAX_PKTS - 1];
    size_t tlen;
    p->first = s->hdr[0];
    p->id = 0;
    p->epoch = epoch;
    if (type == SM_MQTT_PUBLISH && (s->hdr[0] & 6u)) {
        tlen = ((size_t)s->body[0] << 8) | s->body[1];
        if (tlen + 4 <= sizeof s->body) p->id = (uint16_t)((s->body[2 + tlen] << 8) | s->body[3 + tlen]);
    } else if (type >= SM_MQTT_PUBACK && type <= SM_MQTT_UNSUBACK && s->rl >= 2) {
        p->id = (uint16_t)((s->body[0] << 8) | s->body[1]);
    }
    s->hlen = 0;
}

static void ps_feed(pstream *s, const uint8_t *d, size_t n, int epoch)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s->hlen < 2 || (s->hdr[s->hlen - 1] & 0x80u)) {
            s->hdr[s->hlen++] = d[i]; /* byte 1, or another remaining-length byte */
            if (s->hlen >= 2 && !(d[i] & 0x80u)) {
                size_t k;
                s->rl = 0;
                for (k = s->hlen - 1; k >= 1; k--) s->rl = (s->rl << 7) | (s->hdr[k] & 0x7Fu);
                s->got = 0;
                if (s->rl == 0) ps_done(s, epoch);
            }
            continue;
        }
        if (s->got < sizeof s->body) s->body[s->got] = d[i];
        if (++s->got == s->rl) ps_done(s, epoch);
    }
}

/* Packets of a type (and, if id, that id) seen in a stream since epoch. */
static int count_pkts(const pstream *s, unsigned type, uint16_t id, int epoch, int dup_only)
{
    int i, n = 0;
    for (i = 0; i < s->n; i++)
        if ((s->log[i].first >> 4) == type && (!id || s->log[i].id == id) &&
            s->log[i].epoch >= epoch && (!dup_only || (s->log[i].first & 8u))) n++;
    return n;
}

/* ---- a client: session, socket, what it saw ------------------------------------- */

#define MAX_MSGS 128
#define BIG 3000

typedef struct msg {
    char topic[96];
    uint8_t data[BIG];
    size_t len;
    int pieces;
    uint8_t qos, dup;
} msg;

typedef struct client {
    const char *id;
    sm_mqtt_client s;
    int fd;
#ifdef SM_LIVE_TLS
    SSL *ssl;
#endif
    int epoch;           /* connections so far */
    int hold_rx;         /* leave received bytes in the socket */
    uint16_t hold_after_pubrec; /* set hold_rx once a PUBREC with this id was read */
    pstream out, in;
    /* results */
    int connects, connect_status, session_present, ends, end_status;
    int suback_code, subacks;
    uint16_t done_id[256];
    int done_status[256], ndone;
    /* messages */
    msg msgs[MAX_MSGS];
    int nmsg;
    msg cur;
    char abort_on[96];   /* end the session (as a lost connection) when this arrives */
    int refused;         /* messages with a topic too long (topic NULL) */
    size_t refused_len[8];
    uint8_t refused_qos[8];
} client;

#ifdef SM_LIVE_TLS
/* SSL_read / SSL_write on the non-blocking socket: "would block" is 0. */
static int tls_io(client *c, uint8_t *rb, const uint8_t *wb, size_t n)
{
    int k = rb ? SSL_read(c->ssl, rb, (int)n) : SSL_write(c->ssl, wb, (int)n);
    int e;
    if (k > 0) return k;
    e = SSL_get_error(c->ssl, k);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}
#endif

/* The PUBREC just read goes to the session (which answers it with PUBREL);
   the PUBCOMP cannot be in the same read (it answers that PUBREL), so
   holding every later byte loses exactly the PUBCOMP. */
static void hold_after(client *c)
{
    if (c->hold_after_pubrec &&
        count_pkts(&c->in, SM_MQTT_PUBREC, c->hold_after_pubrec, c->epoch, 0) > 0) {
        c->hold_rx = 1;
        c->hold_after_pubrec = 0;
    }
}

static int t_send(void *u, const uint8_t *d, size_t n)
{
    client *c = (client *)u;
    ssize_t k;
#ifdef SM_LIVE_TLS
    if (c->ssl) {
        int w = tls_io(c, NULL, d, n);
        if (w > 0) ps_feed(&c->out, d, (size_t)w, c->epoch);
        return w;
    }
#endif
    k = send(c->fd, d, n, MSG_NOSIGNAL);
    if (k < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    ps_feed(&c->out, d, (size_t)k, c->epoch);
    return (int)k;
}

static int t_recv(void *u, uint8_t *b, size_t cap)
{
    client *c = (client *)u;
    ssize_t k;
    if (c->hold_rx) return 0;
#ifdef SM_LIVE_TLS
    if (c->ssl) {
        int r = tls_io(c, b, NULL, cap);
        if (r > 0) ps_feed(&c->in, b, (size_t)r, c->epoch);
        if (r > 0) hold_after(c);
        return r;
    }
#endif
    k = recv(c->fd, b, cap, 0);
    if (k == 0) return -1; /* closed by the broker */
    if (k < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    ps_feed(&c->in, b, (size_t)k, c->epoch);
    hold_after(c);
    return (int)k;
}

static void on_result(void *ctx, sm_mqtt_client *s, const sm_mqtt_result *r)
{
    client *c = (client *)ctx;
    (void)s;
    switch (r->op) {
    case SM_MQTT_CONNECT:
        c->connects++;
        c->connect_status = r->status;
        c->session_present = r->session_present;
        break;
    case SM_MQTT_DISCONNECT:
        c->ends++;
        c->end_status = r->status;
        break;
    case SM_MQTT_SUBSCRIBE:
        c->subacks++;
        c->suback_code = r->status == SM_OK && r->count == 1 ? r->codes[0] : -1;
        break;
    default:
        if (c->ndone < 256) {
            c->done_id[c->ndone] = r->packet_id;
            c->done_status[c->ndone++] = r->status;
        }
    }
}

static void on_message(void *ctx, sm_mqtt_client *s, const sm_mqtt_event *m)
{
    client *c = (client *)ctx;
    if (!m->topic) { /* refused: longer than SM_MQTT_RX_SIZE - 4 */
        if (c->refused < 8) {
            c->refused_len[c->refused] = m->topic_len;
            c->refused_qos[c->refused] = m->qos;
        }
        c->refused++;
        return;
    }
    if (m->offset == 0) {
        memset(&c->cur, 0, sizeof c->cur);
        snprintf(c->cur.topic, sizeof c->cur.topic, "%s", m->topic);
        c->cur.qos = m->qos;
        c->cur.dup = m->dup;
    }
    if (c->cur.len + m->data_len <= BIG) memcpy(c->cur.data + c->cur.len, m->data, m->data_len);
    c->cur.len += m->data_len;
    c->cur.pieces++;
    if (m->offset + m->data_len != m->total) return;
    if (c->nmsg < MAX_MSGS) c->msgs[c->nmsg++] = c->cur;
    if (c->abort_on[0] && strcmp(c->abort_on, m->topic) == 0) {
        c->abort_on[0] = 0;
        sm_mqtt_abort(s, SM_ERR_IO); /* as if the connection died before the ack */
    }
}

static const char *g_host, *g_port;

static int tcp_open(void)
{
    struct addrinfo hints, *res = NULL;
    int fd = -1, one = 1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(g_host, g_port, &hints, &res) != 0 || !res) return -1;
    fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* TLS over fd (the handshake blocking, with the peer's certificate checked
   against the CA and the host's IP address), then non-blocking. */
static int tls_open(client *c)
{
#ifdef SM_LIVE_TLS
    unsigned char ip[16];
    if (!g_tls) return 0;
    c->ssl = SSL_new(g_tls);
    if (!c->ssl) return -1;
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (inet_pton(AF_INET, g_host, ip) == 1)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), g_host);
    else
        SSL_set1_host(c->ssl, g_host);
    SSL_set_fd(c->ssl, c->fd);
    if (SSL_connect(c->ssl) != 1) {
        ERR_print_errors_fp(stderr);
        return -1;
    }
#else
    (void)c;
#endif
    return 0;
}

static void client_init(client *c, const char *id)
{
    sm_mqtt_transport t;
    memset(c, 0, sizeof *c);
    memset(&t, 0, sizeof t); /* optional fields (flush) stay NULL */
    c->id = id;
    c->fd = -1;
    t.user = c;
    t.send = t_send;
    t.recv = t_recv;
    t.now_ms = sm_live_clock;
    CHECK_EQ_INT(sm_mqtt_init(&c->s, &t, on_result, on_message, c), SM_OK);
}

static client *g_clients[2];

static void poll_all(void)
{
    int i;
    for (i = 0; i < 2; i++)
        if (g_clients[i] && g_clients[i]->fd >= 0) sm_mqtt_poll(&g_clients[i]->s);
}

/* Polls every client until cond(c) holds or ms pass; returns cond(c). */
static int wait_for(client *c, int (*cond)(client *c), uint32_t ms)
{
    uint32_t t0 = sm_live_now_ms();
    struct timespec pause = { 0, 500000 };
    while (!cond(c) && sm_live_now_ms() - t0 < ms) {
        poll_all();
        nanosleep(&pause, NULL);
    }
    return cond(c);
}

static void idle(uint32_t ms)
{
    uint32_t t0 = sm_live_now_ms();
    struct timespec pause = { 0, 500000 };
    while (sm_live_now_ms() - t0 < ms) {
        poll_all();
        nanosleep(&pause, NULL);
    }
}

static int is_connected(client *c) { return sm_mqtt_state(&c->s) == SM_MQTT_CONNECTED; }
static int is_idle(client *c) { return sm_mqtt_state(&c->s) == SM_MQTT_IDLE; }
static int has_suback(client *c) { return c->subacks > 0; }

static void close_socket(client *c)
{
#ifdef SM_LIVE_TLS
    if (c->ssl) SSL_free(c->ssl); /* no close_notify: as a lost connection */
    c->ssl = NULL;
#endif
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

/* A new TCP connection and a CONNECT on it; SM_OK once CONNACK accepted. */
static int client_connect(client *c, uint8_t clean, uint16_t keep_alive)
{
    sm_mqtt_connect_opts o;
    int n = c->connects;
    close_socket(c);
    c->fd = tcp_open();
    c->epoch++;
    if (c->fd < 0 || tls_open(c) != 0) return SM_ERR_IO;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    memset(&o, 0, sizeof o);
    o.client_id = c->id;
    o.clean_session = clean;
    o.keep_alive = keep_alive;
    if (sm_mqtt_connect_start(&c->s, &o) != SM_OK) return SM_ERR_STATE;
    wait_for(c, is_connected, 5000);
    return c->connects > n ? c->connect_status : SM_ERR_TIMEOUT;
}

static int client_subscribe(client *c, const char *filter, uint8_t qos)
{
    const char *f[1];
    uint8_t q[1];
    f[0] = filter;
    q[0] = qos;
    c->subacks = 0;
    if (sm_mqtt_subscribe_start(&c->s, f, q, 1) <= 0) return -1;
    wait_for(c, has_suback, 5000);
    return c->suback_code;
}

static int client_disconnect(client *c)
{
    int rc = sm_mqtt_disconnect_start(&c->s);
    wait_for(c, is_idle, 5000);
    close_socket(c);
    return rc == SM_OK && is_idle(c) ? c->end_status : -1;
}

/* Status of the publish `id` once it ended, or 1 while in progress. */
static int done_status(const client *c, int id)
{
    int i;
    for (i = c->ndone - 1; i >= 0; i--)
        if (c->done_id[i] == id) return c->done_status[i];
    return 1;
}

static uint16_t g_wait_ids[8];
static int g_nwait;
static int all_done(client *c)
{
    int i;
    for (i = 0; i < g_nwait; i++)
        if (done_status(c, g_wait_ids[i]) == 1) return 0;
    return 1;
}

static int count_msgs(const client *c, const char *topic, const uint8_t *data, size_t len)
{
    int i, n = 0;
    for (i = 0; i < c->nmsg; i++)
        if (strcmp(c->msgs[i].topic, topic) == 0 && c->msgs[i].len == len &&
            memcmp(c->msgs[i].data, data, len) == 0) n++;
    return n;
}

static int count_topic(const client *c, const char *topic)
{
    int i, n = 0;
    for (i = 0; i < c->nmsg; i++) n += strcmp(c->msgs[i].topic, topic) == 0;
    return n;
}

static void print_sent(const char *topic, int qos, int exact, const uint8_t *d, size_t n)
{
    size_t i;
    printf("SENT %s %d %d ", topic, qos, exact);
    for (i = 0; i < n; i++) printf("%02x", d[i]);
    printf("%s\n", n ? "" : "-");
}

static char g_prefix[48];
static const char *topic(const char *rest)
{
    static char buf[8][96];
    static int k;
    k = (k + 1) & 7;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_prefix, rest);
    return buf[k];
}

/* ---- the scenario ------------------------------------------------------------------ */

static uint8_t bin256[256], big[BIG], rev256[256];

static void publish_and_receive(client *a)
{
    static const struct { const char *t; uint8_t qos; int big; } pubs[5] = {
        { "echo/q0", 0, 0 }, { "echo/q1", 1, 0 }, { "echo/q2", 2, 0 }, { "echo/big1", 1, 1 },
        { "echo/big2", 2, 1 }
    };
    int i, id, full = 0;
    g_nwait = 0;
    for (i = 0; i < 5; i++) {
        const uint8_t *d = pubs[i].big ? big : bin256;
        uint32_t n = pubs[i].big ? BIG : 256;
        uint32_t t0 = sm_live_now_ms();
        /* five in a row: the fifth finds SM_MQTT_INFLIGHT (4) in progress
           until an acknowledgement frees a slot */
        while ((id = sm_mqtt_publish_start(&a->s, topic(pubs[i].t), d, n, pubs[i].qos, 0)) ==
                   SM_ERR_QUEUE_FULL && sm_live_now_ms() - t0 < 5000) {
            full++;
            poll_all();
        }
        CHECK(id > 0);
        if (id > 0) g_wait_ids[g_nwait++] = (uint16_t)id;
    }
    CHECK(full > 0);
    CHECK(wait_for(a, all_done, 5000));
    for (i = 0; i < g_nwait; i++) CHECK_EQ_INT(done_status(a, g_wait_ids[i]), SM_OK);
    idle(300); /* anything arriving twice would be here by now */
    for (i = 0; i < 5; i++) {
        const uint8_t *d = pubs[i].big ? big : bin256;
        size_t n = pubs[i].big ? BIG : 256;
        const char *t = topic(pubs[i].t);
        /* our own messages, exactly once, the same bytes */
        CHECK_EQ_INT(count_msgs(a, t, d, n), 1);
        CHECK_EQ_INT(count_topic(a, t), 1);
        print_sent(t, pubs[i].qos, 1, d, n);
    }
    /* the large ones came in pieces of the decoder's buffer */
    for (i = 0; i < a->nmsg; i++)
        if (a->msgs[i].len == BIG) CHECK(a->msgs[i].pieces >= BIG / SM_MQTT_RX_SIZE);
}

static void keep_alive(client *a)
{
    int pings = count_pkts(&a->out, SM_MQTT_PINGREQ, 0, 0, 0);
    idle(2600); /* keep-alive 1 s: mosquitto ends a session silent for 1.5 s */
    CHECK(count_pkts(&a->out, SM_MQTT_PINGREQ, 0, 0, 0) - pings >= 2);
    CHECK(count_pkts(&a->in, SM_MQTT_PINGRESP, 0, 0, 0) >= 2);
    CHECK_EQ_INT(sm_mqtt_state(&a->s), SM_MQTT_CONNECTED);
    CHECK_EQ_INT(a->ends, 0);
}

static int is_ended(client *c) { return c->ends > 0 && is_idle(c); }

/* The broker queues messages for an offline persistent session, delivers
   them on reconnect, and re-delivers a QoS 2 message whose PUBREC it never
   got: not delivered twice here. */
static void redelivery(client *a, client *b)
{
    static const uint8_t one[5] = { 'o', 'n', 'e', 0, 1 };
    const char *t1 = topic("p/1"), *t2 = topic("p/2");
    int id, epoch, i;
    uint16_t mid = 0;
    CHECK_EQ_INT(client_connect(b, 0, 30), SM_OK);
    CHECK_EQ_INT(b->session_present, 0);
    CHECK_EQ_INT(client_subscribe(b, topic("p/#"), 2), 2);
    CHECK_EQ_INT(client_disconnect(b), SM_OK);
    /* while b is away */
    g_nwait = 0;
    id = sm_mqtt_publish_start(&a->s, t1, one, sizeof one, 1, 0);
    if (id > 0) g_wait_ids[g_nwait++] = (uint16_t)id;
    id = sm_mqtt_publish_start(&a->s, t2, bin256, 256, 2, 0);
    if (id > 0) g_wait_ids[g_nwait++] = (uint16_t)id;
    CHECK_EQ_INT(g_nwait, 2);
    CHECK(wait_for(a, all_done, 5000));
    print_sent(t1, 1, 0, one, sizeof one);
    print_sent(t2, 2, 1, bin256, 256);
    /* b comes back; the QoS 2 message "loses" the connection before its PUBREC */
    snprintf(b->abort_on, sizeof b->abort_on, "%s", t2);
    b->ends = 0;
    CHECK_EQ_INT(client_connect(b, 0, 30), SM_OK);
    CHECK_EQ_INT(b->session_present, 1);
    CHECK(wait_for(b, is_ended, 5000));
    CHECK_EQ_INT(b->end_status, SM_ERR_IO);
    CHECK_EQ_INT(count_msgs(b, t2, bin256, 256), 1);
    CHECK(count_msgs(b, t1, one, sizeof one) >= 1);
    for (i = 0; i < b->in.n; i++) /* the packet id the broker gave it */
        if ((b->in.log[i].first >> 4) == SM_MQTT_PUBLISH && (b->in.log[i].first & 6u) == 4u &&
            b->in.log[i].epoch == b->epoch) mid = b->in.log[i].id;
    CHECK(mid != 0);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBREC, mid, b->epoch, 0), 0);
    /* reconnect: the broker re-sends it with DUP; acknowledged, not delivered */
    close_socket(b);
    CHECK_EQ_INT(client_connect(b, 0, 30), SM_OK);
    CHECK_EQ_INT(b->session_present, 1);
    epoch = b->epoch;
    idle(500);
    CHECK_EQ_INT(count_pkts(&b->in, SM_MQTT_PUBLISH, mid, epoch, 1), 1);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBREC, mid, epoch, 0), 1);
    CHECK_EQ_INT(count_pkts(&b->in, SM_MQTT_PUBREL, mid, epoch, 0), 1);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBCOMP, mid, epoch, 0), 1);
    CHECK_EQ_INT(count_msgs(b, t2, bin256, 256), 1);
    CHECK(count_msgs(b, t1, one, sizeof one) >= 1);
    CHECK_EQ_INT(sm_mqtt_state(&b->s), SM_MQTT_CONNECTED);
}

/* Our messages whose acknowledgements were lost are re-sent with DUP after
   the reconnect and accepted; the QoS 2 one reaches subscribers once. */
static void resend(client *a, client *b)
{
    static const uint8_t r1[8] = { 'r', 'e', 's', 'e', 'n', 'd', '-', '1' };
    const char *t1 = topic("echo/r1"), *t2 = topic("echo/r2");
    int id1, id2, epoch;
    uint32_t t0;
    struct timespec pause = { 0, 500000 };
    b->hold_rx = 1; /* the acknowledgements stay unread */
    id1 = sm_mqtt_publish_start(&b->s, t1, r1, sizeof r1, 1, 0);
    id2 = sm_mqtt_publish_start(&b->s, t2, rev256, 256, 2, 0);
    CHECK(id1 > 0 && id2 > 0);
    t0 = sm_live_now_ms();
    while (count_pkts(&b->out, SM_MQTT_PUBLISH, (uint16_t)id2, b->epoch, 0) == 0 &&
           sm_live_now_ms() - t0 < 2000) {
        poll_all();
        nanosleep(&pause, NULL);
    }
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBLISH, (uint16_t)id1, b->epoch, 0), 1);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBLISH, (uint16_t)id2, b->epoch, 0), 1);
    idle(300); /* the broker has them and has answered */
    CHECK_EQ_INT(sm_mqtt_pending(&b->s, (uint16_t)id1), 1);
    CHECK_EQ_INT(sm_mqtt_pending(&b->s, (uint16_t)id2), 1);
    sm_mqtt_abort(&b->s, SM_ERR_IO);
    close_socket(b);
    b->hold_rx = 0;
    CHECK_EQ_INT(client_connect(b, 0, 30), SM_OK);
    CHECK_EQ_INT(b->session_present, 1);
    epoch = b->epoch;
    g_nwait = 2;
    g_wait_ids[0] = (uint16_t)id1;
    g_wait_ids[1] = (uint16_t)id2;
    CHECK(wait_for(b, all_done, 5000));
    CHECK_EQ_INT(done_status(b, id1), SM_OK);
    CHECK_EQ_INT(done_status(b, id2), SM_OK);
    /* re-sent with DUP and their ids [MQTT-4.4.0-1], [MQTT-3.3.1-1] */
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBLISH, (uint16_t)id1, epoch, 1), 1);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBLISH, (uint16_t)id2, epoch, 1), 1);
    idle(300);
    CHECK(count_msgs(a, t1, r1, sizeof r1) >= 1);
    CHECK_EQ_INT(count_msgs(a, t2, rev256, 256), 1);
    print_sent(t1, 1, 0, r1, sizeof r1);
    print_sent(t2, 2, 1, rev256, 256);
}

/* A QoS 2 message whose PUBREC came but whose PUBCOMP was lost: after the
   reconnect the session re-sends the PUBREL (not the PUBLISH, 4.4), the
   broker completes it, and subscribers got the message once. */
static void resend_pubrel(client *a, client *b)
{
    static const uint8_t r3[6] = { 'p', 'u', 'b', 'r', 'e', 'l' };
    const char *t3 = topic("echo/r3");
    int id, epoch = b->epoch;
    uint32_t t0;
    struct timespec pause = { 0, 500000 };
    id = sm_mqtt_publish_start(&b->s, t3, r3, sizeof r3, 2, 0);
    CHECK(id > 0);
    if (id <= 0) return;
    b->hold_after_pubrec = (uint16_t)id;
    t0 = sm_live_now_ms();
    while (count_pkts(&b->out, SM_MQTT_PUBREL, (uint16_t)id, epoch, 0) == 0 &&
           sm_live_now_ms() - t0 < 3000) {
        poll_all();
        nanosleep(&pause, NULL);
    }
    CHECK_EQ_INT(count_pkts(&b->in, SM_MQTT_PUBREC, (uint16_t)id, epoch, 0), 1);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBREL, (uint16_t)id, epoch, 0), 1);
    idle(300); /* the broker has sent its PUBCOMP; it stays unread */
    CHECK_EQ_INT(b->hold_rx, 1);
    CHECK_EQ_INT(count_pkts(&b->in, SM_MQTT_PUBCOMP, (uint16_t)id, epoch, 0), 0);
    CHECK_EQ_INT(sm_mqtt_pending(&b->s, (uint16_t)id), 1);
    sm_mqtt_abort(&b->s, SM_ERR_IO);
    close_socket(b);
    b->hold_rx = 0;
    CHECK_EQ_INT(client_connect(b, 0, 30), SM_OK);
    CHECK_EQ_INT(b->session_present, 1);
    epoch = b->epoch;
    g_nwait = 1;
    g_wait_ids[0] = (uint16_t)id;
    CHECK(wait_for(b, all_done, 5000));
    CHECK_EQ_INT(done_status(b, id), SM_OK);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBLISH, (uint16_t)id, epoch, 0), 0);
    CHECK_EQ_INT(count_pkts(&b->out, SM_MQTT_PUBREL, (uint16_t)id, epoch, 0), 1);
    CHECK_EQ_INT(count_pkts(&b->in, SM_MQTT_PUBCOMP, (uint16_t)id, epoch, 0), 1);
    idle(300);
    CHECK_EQ_INT(count_msgs(a, t3, r3, sizeof r3), 1);
    print_sent(t3, 2, 1, r3, sizeof r3);
}

/* ---- more inbound QoS 2 messages than SM_MQTT_RX_IDS, a long topic ------------- */

#define BK_N 50
static char g_bk_topic[BK_N][96];
static uint8_t g_bk_pay[BK_N][4];

static int g_bk_n; /* messages in this round */
static int bk_received(const client *c)
{
    int k, n = 0;
    for (k = 0; k < g_bk_n; k++) n += count_msgs(c, g_bk_topic[k], g_bk_pay[k], 4) > 0;
    return n;
}
static int bk_settled(client *c) { return is_ended(c) || bk_received(c) == g_bk_n; }
static int not_pending(client *c) { return g_nwait == 0 || !sm_mqtt_pending(&c->s, g_wait_ids[0]); }

/* A connection without waiting for CONNACK (the session may end at once). */
static int bk_connect(client *c)
{
    sm_mqtt_connect_opts o;
    close_socket(c);
    c->fd = tcp_open();
    c->epoch++;
    c->ends = 0;
    if (c->fd < 0 || tls_open(c) != 0) return SM_ERR_IO;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    memset(&o, 0, sizeof o);
    o.client_id = c->id;
    o.clean_session = 0;
    o.keep_alive = 30;
    return sm_mqtt_connect_start(&c->s, &o);
}

/* n QoS 2 messages queued by the broker while b was offline (mosquitto
   sends up to max_inflight_messages, 20, at once): each delivered exactly
   once, over as many connections as the SM_MQTT_RX_IDS limit needs
   (SM_ERR_QUEUE_FULL ends the others). b is connected, persistent. */
static void backlog(client *a, client *b, int n)
{
    int k, id, conns = 0, full = 0, dups = 0, in0 = b->in.n;
    g_bk_n = n;
    for (k = 0; k < n; k++) {
        snprintf(g_bk_topic[k], sizeof g_bk_topic[k], "%s/bk/%d/%d", g_prefix, n, k);
        g_bk_pay[k][0] = 'b'; g_bk_pay[k][1] = 'k';
        g_bk_pay[k][2] = (uint8_t)k; g_bk_pay[k][3] = (uint8_t)~k;
    }
    if (client_subscribe(b, topic("bk/#"), 2) != 2) CHECK(0);
    CHECK_EQ_INT(client_disconnect(b), SM_OK);
    for (k = 0; k < n; k++) { /* one at a time: the topic strings are kept */
        id = sm_mqtt_publish_start(&a->s, g_bk_topic[k], g_bk_pay[k], 4, 2, 0);
        CHECK(id > 0);
        if (id <= 0) return;
        g_nwait = 1;
        g_wait_ids[0] = (uint16_t)id;
        CHECK(wait_for(a, not_pending, 5000));
        CHECK_EQ_INT(done_status(a, id), SM_OK);
        print_sent(g_bk_topic[k], 2, 1, g_bk_pay[k], 4);
    }
    g_nwait = 0;
    while (bk_received(b) < n && conns < 20) {
        conns++;
        CHECK_EQ_INT(bk_connect(b), SM_OK);
        wait_for(b, bk_settled, 5000);
        if (is_ended(b)) {
            CHECK_EQ_INT(b->end_status, SM_ERR_QUEUE_FULL);
            full++;
        }
    }
    idle(500); /* the last PUBRELs, and duplicates if any */
    for (k = 0; k < n; k++) {
        if (count_msgs(b, g_bk_topic[k], g_bk_pay[k], 4) != 1)
            fprintf(stderr, "  message %d delivered %d times\n", k, count_msgs(b, g_bk_topic[k], g_bk_pay[k], 4));
        CHECK_EQ_INT(count_msgs(b, g_bk_topic[k], g_bk_pay[k], 4), 1);
    }
    for (k = in0; k < b->in.n; k++)
        dups += (b->in.log[k].first >> 4) == SM_MQTT_PUBLISH && (b->in.log[k].first & 8u);
    CHECK_EQ_INT(sm_mqtt_state(&b->s), SM_MQTT_CONNECTED);
    CHECK(conns <= 1 + (n + SM_MQTT_RX_IDS - 1) / SM_MQTT_RX_IDS);
    if (n <= SM_MQTT_RX_IDS) CHECK_EQ_INT(full, 0);
#if SM_MQTT_RX_ID_BITMAP
    CHECK_EQ_INT(conns, 1); /* the bitmap keeps any number awaiting PUBREL */
    CHECK_EQ_INT(full, 0);
#endif
    printf("backlog: %d QoS 2 messages in %d connection(s), %d ended SM_ERR_QUEUE_FULL, "
           "%d DUP PUBLISH read\n", n, conns, full, dups);
}

/* Blocking writes and reads of a raw publisher (the session cannot write
   a topic longer than SM_MQTT_TX_SIZE - 9). */
static int raw_write(client *c, const uint8_t *d, size_t n)
{
    while (n) {
        ssize_t k;
#ifdef SM_LIVE_TLS
        if (c->ssl) k = SSL_write(c->ssl, d, (int)n); else
#endif
        k = send(c->fd, d, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        d += k;
        n -= (size_t)k;
    }
    return 0;
}
static int raw_read(client *c, uint8_t *b, size_t n)
{
    while (n) {
        ssize_t k;
#ifdef SM_LIVE_TLS
        if (c->ssl) k = SSL_read(c->ssl, b, (int)n); else
#endif
        k = recv(c->fd, b, n, 0);
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int refused_all(client *c) { return c->refused >= 6; }

/* A 300-byte and a 65,535-byte topic at QoS 0, 1, 2 to b: each refused
   once (topic NULL, its length), acknowledged: b stays connected and a
   reconnect brings nothing again. */
static void long_topic(client *b)
{
    static const size_t lens[2] = { 300, 65535 };
    static uint8_t w[65600];
    static char lt[65536];
    uint8_t ack[4], pay[2] = { 'L', '0' };
    sm_mqtt_connect_opts o;
    sm_mqtt_publish p;
    client r;
    size_t n = 0, len, L, j;
    uint8_t q;
    int ok = 1;
    CHECK_EQ_INT(client_subscribe(b, topic("lt/#"), 2), 2);
    memset(&r, 0, sizeof r);
    r.fd = tcp_open();
    CHECK(r.fd >= 0 && tls_open(&r) == 0);
    memset(&o, 0, sizeof o);
    o.client_id = "";
    o.clean_session = 1;
    CHECK_EQ_INT(sm_mqtt_encode_connect(w, sizeof w, &o, &n), SM_OK);
    ok = raw_write(&r, w, n) == 0 && raw_read(&r, ack, 4) == 0 && ack[0] == 0x20 && ack[3] == 0;
    CHECK(ok);
    for (j = 0; j < 6 && ok; j++) {
        q = (uint8_t)(j % 3);
        L = lens[j / 3];
        snprintf(lt, sizeof lt, "%s/lt/", g_prefix);
        len = strlen(lt);
        memset(lt + len, 'x', L - len);
        lt[L] = 0;
        memset(&p, 0, sizeof p);
        pay[1] = (uint8_t)('0' + j);
        p.topic = lt; p.payload = pay; p.payload_len = 2; p.qos = q; p.packet_id = (uint16_t)(q ? 100 + q : 0);
        CHECK_EQ_INT(sm_mqtt_encode_publish(w, sizeof w, &p, &n), SM_OK);
        ok = raw_write(&r, w, n) == 0;
        if (ok && q) ok = raw_read(&r, ack, 4) == 0 && (ack[0] >> 4) == (q == 1 ? 4 : 5);
        if (ok && q == 2) {
            CHECK_EQ_INT(sm_mqtt_encode_ack(w, sizeof w, SM_MQTT_PUBREL, p.packet_id, &n), SM_OK);
            ok = raw_write(&r, w, n) == 0 && raw_read(&r, ack, 4) == 0 && (ack[0] >> 4) == 7;
        }
        CHECK(ok);
        print_sent(lt, q, q != 1, pay, 2);
    }
    close_socket(&r);
    wait_for(b, refused_all, 15000); /* SM_MQTT_READ_MAX bytes a poll: ~200 KB take a while */
    idle(300);
    CHECK_EQ_INT(b->refused, 6);
    for (j = 0; j < 6 && (int)j < b->refused; j++) {
        CHECK_EQ_INT((long)b->refused_len[j], (long)lens[j / 3]);
        CHECK_EQ_INT(b->refused_qos[j], j % 3);
    }
    CHECK_EQ_INT(sm_mqtt_state(&b->s), SM_MQTT_CONNECTED);
    /* acknowledged: a reconnect (persistent session) brings none again */
    CHECK_EQ_INT(client_disconnect(b), SM_OK);
    CHECK_EQ_INT(client_connect(b, 0, 30), SM_OK);
    idle(500);
    CHECK_EQ_INT(b->refused, 6);
    printf("long topic: 300 and 65535 bytes at QoS 0/1/2 refused once each (%d events)\n",
           b->refused);
}

int main(int argc, char **argv)
{
    static client a, b;
    char ida[64], idb[64];
    size_t i;
    if (argc != 4 && argc != 7) {
        fprintf(stderr, "usage: %s <host> <port> <topic prefix> [<ca> <cert> <key>]\n", argv[0]);
        return 2;
    }
    if (argc == 7) {
#ifdef SM_LIVE_TLS
        g_tls = SSL_CTX_new(TLS_client_method());
        if (!g_tls || SSL_CTX_load_verify_locations(g_tls, argv[4], NULL) != 1 ||
            SSL_CTX_use_certificate_file(g_tls, argv[5], SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(g_tls, argv[6], SSL_FILETYPE_PEM) != 1) {
            ERR_print_errors_fp(stderr);
            return 2;
        }
        SSL_CTX_set_verify(g_tls, SSL_VERIFY_PEER, NULL);
        printf("transport: TLS (OpenSSL, client certificate)\n");
#else
        fprintf(stderr, "built without SM_LIVE_TLS: no TLS\n");
        return 77;
#endif
    } else {
        printf("transport: plain TCP\n");
    }
    g_host = argv[1];
    g_port = argv[2];
    snprintf(g_prefix, sizeof g_prefix, "%s", argv[3]);
    snprintf(ida, sizeof ida, "%s-a", g_prefix);
    snprintf(idb, sizeof idb, "%s-b", g_prefix);
    for (i = 0; i < 256; i++) {
        bin256[i] = (uint8_t)i;
        rev256[i] = (uint8_t)(255 - i);
    }
    for (i = 0; i < BIG; i++) big[i] = (uint8_t)(i * 7u + 3u);
    client_init(&a, ida);
    client_init(&b, idb);
    g_clients[0] = &a;
    g_clients[1] = &b;

    CHECK_EQ_INT(client_connect(&a, 1, 1), SM_OK);
    CHECK_EQ_INT(a.session_present, 0);
    CHECK_EQ_INT(client_subscribe(&a, topic("echo/#"), 2), 2);
    publish_and_receive(&a);
    keep_alive(&a);
    redelivery(&a, &b);
    resend(&a, &b);
    resend_pubrel(&a, &b);
    long_topic(&b);
    backlog(&a, &b, 1);
    backlog(&a, &b, 8);
    backlog(&a, &b, 9);
    backlog(&a, &b, BK_N);
    CHECK_EQ_INT(client_disconnect(&b), SM_OK);
    CHECK_EQ_INT(client_disconnect(&a), SM_OK);
    fflush(stdout);
#ifdef SM_LIVE_TLS
    if (g_tls) SSL_CTX_free(g_tls);
#endif
    return sm_test_finish("test_mqtt_session_live");
}
