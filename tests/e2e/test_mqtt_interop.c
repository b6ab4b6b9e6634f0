/* test_mqtt_interop.c - secmodem's MQTT session against a real mosquitto,
   with python3-paho-mqtt as the other client (issue 6): retained messages
   both ways, QoS 0/1/2 published by paho to us, overlapping subscriptions,
   100 KB payloads both ways, the will on an abnormal disconnect (and none
   on a clean one), and keep-alive timeout detection when the broker goes
   silent.

       test_mqtt_interop <proxy port> <prefix>

   Run by tests/e2e/run_mqtt_interop.py, which owns mosquitto (plain loopback
   listener), a TCP proxy in front of it (that can be told to go silent
   without closing), and paho clients. This program talks to the runner on
   stdout/stdin: it writes "REQ <what> ..." and reads one line back,
   "ACK ..." or "NAK <why>":
       REQ publish <topic> <qos> <retain> <hex|-|big>   paho publishes
       REQ seen <topic> <count> <hex|-|big>   paho's probe got exactly count such
       REQ retained <topic> <hex>     a NEW paho subscriber gets it, retain set
       REQ silence on|off             the proxy stops / resumes forwarding
   "big" is the 100 KB pattern both sides compute (byte i = (i*31+7) & 255).
   The transport also walks the received bytes' MQTT frames on its own, so
   that what the application got is compared with what the broker sent
   (overlapping subscriptions: copies and QoS; paho's QoS 0/1/2). 
   SENT lines are not used here: every check is a REQ the runner answers. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../common/sm_test.h"
#include "../common/sm_live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG_LEN 100000u
#define MAX_RX 16

typedef struct rxmsg {
    char topic[128];
    uint32_t len;
    uint8_t qos, retain, dup;
    int ok_pattern;         /* BIG: every byte matched the pattern */
    uint8_t head[64];       /* small messages: the bytes */
} rxmsg;

/* What the broker sent, read independently of the library: a frame walker
   over the received bytes that notes each PUBLISH's topic and QoS, so a
   test can compare what was delivered with what was on the wire. */
#define MAX_WIRE 32
typedef struct wire {
    int stage;              /* 0 fixed header byte, 1 remaining length, 2 body */
    uint8_t first;
    uint32_t rem, got, mult;
    uint8_t body[130];      /* topic length + topic of a PUBLISH */
    struct { char topic[128]; uint8_t qos; } pub[MAX_WIRE];
    int npub;
} wire;

typedef struct client {
    wire w;
    sm_mqtt_client s;
    sm_mqtt_transport t;
    int fd;
    int connected, ended, end_status, results, last_status;
    uint16_t last_id;
    const uint8_t *last_codes;
    uint8_t codes[4];
    rxmsg rx[MAX_RX];
    int nrx;
    uint32_t cur_ok;        /* the message being reassembled matches so far */
} client;

static uint8_t g_big[BIG_LEN];
static int g_port;
static const char *g_prefix;

static int t_send(void *u, const uint8_t *d, size_t n)
{
    client *c = (client *)u;
    ssize_t k = send(c->fd, d, n, MSG_NOSIGNAL);
    if (k < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    return (int)k;
}

static void wire_packet_done(wire *w)
{
    uint32_t tl;
    if ((w->first >> 4) != 3u || w->npub >= MAX_WIRE || w->got < 2) return;
    tl = ((uint32_t)w->body[0] << 8) | w->body[1];
    if (tl + 2u > w->got || tl >= sizeof w->pub[0].topic) tl = 0; /* too long to note */
    memcpy(w->pub[w->npub].topic, w->body + 2, tl);
    w->pub[w->npub].topic[tl] = 0;
    w->pub[w->npub].qos = (uint8_t)((w->first >> 1) & 3u);
    w->npub++;
}

static void wire_byte(wire *w, uint8_t x)
{
    if (w->stage == 0) {
        w->first = x;
        w->rem = w->got = 0;
        w->mult = 1;
        w->stage = 1;
    } else if (w->stage == 1) {
        w->rem += (x & 127u) * w->mult;
        w->mult *= 128u;
        if (!(x & 128u)) w->stage = w->rem ? 2 : 0;
        if (!w->rem && !(x & 128u)) wire_packet_done(w);
    } else {
        if (w->got < sizeof w->body) w->body[w->got] = x;
        if (++w->got == w->rem) {
            if (w->got > sizeof w->body) w->got = sizeof w->body;
            wire_packet_done(w);
            w->stage = 0;
        }
    }
}

static int wire_count(const wire *w, const char *topic, uint8_t *max_qos)
{
    int i, n = 0;
    for (i = 0; i < w->npub; i++)
        if (strcmp(w->pub[i].topic, topic) == 0) {
            n++;
            if (w->pub[i].qos > *max_qos) *max_qos = w->pub[i].qos;
        }
    return n;
}

static int t_recv(void *u, uint8_t *b, size_t cap)
{
    client *c = (client *)u;
    ssize_t k = recv(c->fd, b, cap, 0), i;
    if (k == 0) return -1;
    if (k < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    for (i = 0; i < k; i++) wire_byte(&c->w, b[i]);
    return (int)k;
}

static void on_result(void *ctx, sm_mqtt_client *s, const sm_mqtt_result *r)
{
    client *c = (client *)ctx;
    (void)s;
    if (r->op == SM_MQTT_CONNECT) c->connected = r->status == SM_OK ? 1 : -1;
    else if (r->op == SM_MQTT_DISCONNECT) { c->ended = 1; c->end_status = r->status; }
    else {
        c->results++;
        c->last_status = r->status;
        c->last_id = r->packet_id;
        if (r->codes && r->count <= sizeof c->codes) {
            memcpy(c->codes, r->codes, r->count);
            c->last_codes = c->codes;
        }
    }
}

static void on_message(void *ctx, sm_mqtt_client *s, const sm_mqtt_event *m)
{
    client *c = (client *)ctx;
    rxmsg *x;
    size_t i;
    (void)s;
    if (c->nrx >= MAX_RX) return;
    x = &c->rx[c->nrx];
    if (m->offset == 0) {
        memset(x, 0, sizeof *x);
        c->cur_ok = 1;
    }
    for (i = 0; i < m->data_len; i++) {
        uint32_t at = m->offset + (uint32_t)i;
        if (at < sizeof x->head) x->head[at] = m->data[i];
        if (at >= BIG_LEN || m->data[i] != g_big[at]) c->cur_ok = 0;
    }
    if (m->offset + m->data_len == m->total) {
        snprintf(x->topic, sizeof x->topic, "%s", m->topic);
        x->len = m->total;
        x->qos = m->qos;
        x->retain = m->retain;
        x->dup = m->dup;
        x->ok_pattern = (int)c->cur_ok && m->total == BIG_LEN;
        c->nrx++;
    }
}

static int tcp_open(void)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)g_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void pump(client *c, uint32_t ms)
{
    uint32_t t0 = sm_live_now_ms();
    while (sm_live_now_ms() - t0 < ms) {
        struct pollfd p;
        sm_mqtt_poll(&c->s);
        p.fd = c->fd;
        p.events = POLLIN;
        p.revents = 0;
        poll(&p, 1, 2);
    }
}

#define UNTIL(c, cond, ms) do { \
    uint32_t t0_ = sm_live_now_ms(); \
    while (!(cond) && sm_live_now_ms() - t0_ < (ms)) pump((c), 2); } while (0)

static int connect_client(client *c, const char *id, uint16_t keep_alive, const char *will_topic)
{
    sm_mqtt_connect_opts o;
    memset(c, 0, sizeof *c);
    c->fd = tcp_open();
    if (c->fd < 0) return -1;
    c->t.user = c;
    c->t.send = t_send;
    c->t.recv = t_recv;
    c->t.now_ms = sm_live_clock;
    sm_mqtt_init(&c->s, &c->t, on_result, on_message, c);
    memset(&o, 0, sizeof o);
    o.client_id = id;
    o.keep_alive = keep_alive;
    o.clean_session = 1;
    if (will_topic) {
        o.will_topic = will_topic;
        o.will_msg = (const uint8_t *)"gone";
        o.will_msg_len = 4;
        o.will_qos = 1;
    }
    if (sm_mqtt_connect_start(&c->s, &o) != SM_OK) return -1;
    UNTIL(c, c->connected != 0, 10000u);
    return c->connected == 1 ? 0 : -1;
}

static void close_client(client *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static int subscribe(client *c, const char *filter, uint8_t qos)
{
    const char *f[1];
    int k = c->results;
    f[0] = filter;
    if (sm_mqtt_subscribe_start(&c->s, f, &qos, 1) <= 0) return -1;
    UNTIL(c, c->results > k, 10000u);
    return c->results > k && c->last_status == SM_OK ? c->codes[0] : -1;
}

static int publish(client *c, const char *topic, const uint8_t *d, uint32_t n, uint8_t qos,
                   uint8_t retain)
{
    int id = sm_mqtt_publish_start(&c->s, topic, d, n, qos, retain), k = c->results;
    if (id <= 0) return id;
    UNTIL(c, c->results > k && c->last_id == id, 30000u);
    return c->last_id == id ? c->last_status : SM_ERR_TIMEOUT;
}

/* One request to the runner; 1 when it answered ACK. The session keeps
   running while the runner works (paho's messages may arrive meanwhile). */
static int req(client *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    struct pollfd p;
    size_t n = 0;
    va_start(ap, fmt);
    printf("REQ ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    for (;;) {
        if (c && c->fd >= 0) sm_mqtt_poll(&c->s);
        p.fd = 0;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, 2) > 0) {
            ssize_t k = read(0, line + n, 1);
            if (k <= 0) return 0;
            if (line[n] == '\n') break;
            if (n + 2 < sizeof line) n++;
        }
    }
    line[n] = 0;
    if (strncmp(line, "ACK", 3) != 0) fprintf(stderr, "runner: %s\n", line);
    return strncmp(line, "ACK", 3) == 0;
}

static const rxmsg *find_rx(const client *c, const char *topic, int nth)
{
    int i;
    for (i = 0; i < c->nrx; i++)
        if (strcmp(c->rx[i].topic, topic) == 0 && nth-- == 0) return &c->rx[i];
    return NULL;
}

static int count_rx(const client *c, const char *topic)
{
    int i, n = 0;
    for (i = 0; i < c->nrx; i++) n += strcmp(c->rx[i].topic, topic) == 0;
    return n;
}

static void step(const char *what) { printf("step: %s\n", what); fflush(stdout); }

int main(int argc, char **argv)
{
    static client a, b;
    char t[8][128], id[64];
    const rxmsg *m;
    uint32_t i, t0;
    if (argc != 3) {
        fprintf(stderr, "usage: %s <proxy port> <prefix>\n", argv[0]);
        return 2;
    }
    g_port = atoi(argv[1]);
    g_prefix = argv[2];
    for (i = 0; i < BIG_LEN; i++) g_big[i] = (uint8_t)((i * 31u + 7u) & 255u);

    step("connect (will on <prefix>/will), subscribe <prefix>/in/# at QoS 2");
    snprintf(id, sizeof id, "%s-a", g_prefix);
    snprintf(t[0], sizeof t[0], "%s/will", g_prefix);
    CHECK_EQ_INT(connect_client(&a, id, 30, t[0]), 0);
    snprintf(t[1], sizeof t[1], "%s/in/#", g_prefix);
    CHECK_EQ_INT(subscribe(&a, t[1], 2), 2);

    step("paho publishes QoS 0, 1, 2 to us: each delivered once, at its QoS");
    for (i = 0; i < 3; i++) {
        snprintf(t[2], sizeof t[2], "%s/in/q%u", g_prefix, (unsigned)i);
        CHECK(req(&a, "publish %s %u 0 %02x%02x", t[2], (unsigned)i, 0xA0u + i, 0x0Du));
    }
    UNTIL(&a, a.nrx >= 3, 10000u);
    pump(&a, 300);
    for (i = 0; i < 3; i++) {
        snprintf(t[2], sizeof t[2], "%s/in/q%u", g_prefix, (unsigned)i);
        uint8_t wq = 0;
        CHECK_EQ_INT(count_rx(&a, t[2]), 1);
        m = find_rx(&a, t[2], 0);
        CHECK(m && m->qos == i && m->len == 2 && m->head[0] == 0xA0u + i && m->head[1] == 0x0D);
        CHECK_EQ_INT(wire_count(&a.w, t[2], &wq), 1); /* as the broker sent it */
        CHECK_EQ_INT(wq, i);
    }

    step("paho publishes 100 KB at QoS 1: it arrives in pieces, every byte right");
    snprintf(t[2], sizeof t[2], "%s/in/big", g_prefix);
    CHECK(req(&a, "publish %s 1 0 big", t[2]));
    UNTIL(&a, count_rx(&a, t[2]) >= 1, 20000u);
    m = find_rx(&a, t[2], 0);
    CHECK(m && m->len == BIG_LEN && m->ok_pattern && m->qos == 1);

    step("we publish 100 KB at QoS 1: paho gets exactly those bytes");
    snprintf(t[2], sizeof t[2], "%s/out/big", g_prefix);
    CHECK_EQ_INT(publish(&a, t[2], g_big, BIG_LEN, 1, 0), SM_OK);
    CHECK(req(&a, "seen %s 1 big", t[2]));

    step("retained: ours reaches a later paho subscriber with the retain flag");
    snprintf(t[3], sizeof t[3], "%s/ret/ours", g_prefix);
    CHECK_EQ_INT(publish(&a, t[3], (const uint8_t *)"kept", 4, 1, 1), SM_OK);
    CHECK(req(&a, "retained %s 6b657074", t[3]));
    step("retained: paho's reaches our later subscription with the retain flag");
    snprintf(t[4], sizeof t[4], "%s/ret/paho", g_prefix);
    CHECK(req(&a, "publish %s 1 1 7061686f", t[4]));
    snprintf(t[5], sizeof t[5], "%s/ret/#", g_prefix);
    CHECK_EQ_INT(subscribe(&a, t[5], 1), 1);
    UNTIL(&a, count_rx(&a, t[3]) >= 1 && count_rx(&a, t[4]) >= 1, 10000u);
    m = find_rx(&a, t[3], 0);
    CHECK(m && m->retain == 1 && m->len == 4 && memcmp(m->head, "kept", 4) == 0);
    m = find_rx(&a, t[4], 0);
    CHECK(m && m->retain == 1 && m->len == 4 && memcmp(m->head, "paho", 4) == 0);
    /* a message published while subscribed is not a retained one for us
       [MQTT-3.3.1-9], even when it was sent with retain set */
    CHECK(req(&a, "publish %s 1 1 6e6577", t[4]));
    UNTIL(&a, count_rx(&a, t[4]) >= 2, 10000u);
    m = find_rx(&a, t[4], 1);
    CHECK(m && m->retain == 0 && m->len == 3);
    /* clear both retained messages (an empty retained publish) */
    CHECK_EQ_INT(publish(&a, t[3], NULL, 0, 1, 1), SM_OK);
    CHECK(req(&a, "publish %s 1 1 -", t[4]));

    step("overlapping subscriptions (<prefix>/ov/# at QoS 1, <prefix>/ov/+/c at QoS 2)");
    snprintf(t[5], sizeof t[5], "%s/ov/#", g_prefix);
    snprintf(t[6], sizeof t[6], "%s/ov/+/c", g_prefix);
    CHECK_EQ_INT(subscribe(&a, t[5], 1), 1);
    CHECK_EQ_INT(subscribe(&a, t[6], 2), 2);
    snprintf(t[7], sizeof t[7], "%s/ov/b/c", g_prefix);
    CHECK(req(&a, "publish %s 2 0 6f76", t[7]));
    UNTIL(&a, count_rx(&a, t[7]) >= 1, 10000u);
    pump(&a, 500); /* a second copy, if the broker sends one per subscription */
    {
        int n = count_rx(&a, t[7]), k, maxq = 0, same = 1;
        for (k = 0; k < n; k++) {
            m = find_rx(&a, t[7], k);
            if (m->qos > maxq) maxq = m->qos;
            same &= m->len == 2 && memcmp(m->head, "ov", 2) == 0;
        }
        uint8_t wire_maxq = 0;
        int on_wire = wire_count(&a.w, t[7], &wire_maxq);
        /* 3.3.5: one copy at the highest QoS, or one per matching subscription */
        CHECK(n == 1 || n == 2);
        CHECK_EQ_INT(maxq, 2);
        CHECK(same);
        /* and the application got exactly what the broker sent */
        CHECK_EQ_INT(n, on_wire);
        CHECK_EQ_INT(maxq, wire_maxq);
        printf("  the broker sent %d PUBLISH (highest QoS %d); delivered %d cop%s, highest QoS %d\n",
               on_wire, wire_maxq, n, n == 1 ? "y" : "ies", maxq);
    }

    step("abnormal disconnect (the connection just drops): paho gets the will");
    sm_mqtt_abort(&a.s, SM_ERR_IO);
    close_client(&a);
    CHECK(req(NULL, "seen %s 1 676f6e65", t[0]));

    step("clean DISCONNECT: no will");
    snprintf(id, sizeof id, "%s-b", g_prefix);
    snprintf(t[1], sizeof t[1], "%s/will2", g_prefix);
    CHECK_EQ_INT(connect_client(&b, id, 30, t[1]), 0);
    CHECK_EQ_INT(sm_mqtt_disconnect_start(&b.s), SM_OK);
    UNTIL(&b, b.ended, 10000u);
    CHECK_EQ_INT(b.end_status, SM_OK);
    close_client(&b);
    CHECK(req(NULL, "seen %s 0 -", t[1]));

    step("the broker goes silent: PINGREQ unanswered, the session ends with a timeout");
    snprintf(id, sizeof id, "%s-c", g_prefix);
    CHECK_EQ_INT(connect_client(&b, id, 1, NULL), 0);
    pump(&b, 1500); /* PINGREQ and PINGRESP while the broker still answers */
    CHECK_EQ_INT(b.ended, 0);
    CHECK(req(&b, "silence on"));
    t0 = sm_live_now_ms();
    UNTIL(&b, b.ended, 3000u + SM_MQTT_PING_TIMEOUT_MS);
    CHECK_EQ_INT(b.ended, 1);
    CHECK_EQ_INT(b.end_status, SM_ERR_TIMEOUT);
    /* keep-alive 1 s, then SM_MQTT_PING_TIMEOUT_MS for the PINGRESP; not
       before that timeout (less the proxy's reaction time: a PINGREQ just
       before the silence may have lost its answer) */
    CHECK(sm_live_now_ms() - t0 <= 1000u + SM_MQTT_PING_TIMEOUT_MS + 1000u);
    CHECK(sm_live_now_ms() - t0 + 500u >= SM_MQTT_PING_TIMEOUT_MS);
    printf("  ended %lu ms after the broker went silent\n", (unsigned long)(sm_live_now_ms() - t0));
    close_client(&b);
    CHECK(req(NULL, "silence off"));
    return sm_test_finish("test_mqtt_interop");
}
