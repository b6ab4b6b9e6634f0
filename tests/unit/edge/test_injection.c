/* test_injection.c - hostile values in every string argument of the public
   dialect APIs (issue 8). Each call must either be refused (SM_ERR_UNSAFE_
   STRING or SM_ERR_PARAM, with nothing written), or produce bytes that an
   independent oracle accepts as exactly ONE well-formed command line:
   "AT" first, the terminator only at the end, no control bytes, double
   quotes balanced, no ';' and no '\' outside quotes. (The payload of a
   prompt command is not part of the line: it goes after the "> ".)

   Built with SM_INJECTION_LIVE (test_injection_live, run by
   tests/e2e/run_injection_live.py) the same calls go to the real simulator of
   the dialect over its pty:
       test_injection_live sequans|cordelia <pty>
   and every command line the library put on the wire is printed as
   "SENT <hex>"; the runner then proves from the simulator's own command log
   that it received exactly those commands, one for one, and nothing else.
   Each table entry is named after the API argument it feeds
   ("sm_sqn_sock_dial:host", "sm_sqn_tls.ciphers"); the program prints
   "COVERS <name>" for each, and the runner fails if a string argument or
   input-struct field declared in secmodem.h is missing from the tables. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
/* live: a time sync the simulator never answers ends before the runner's
   20 s wait does */
#define SM_SQN_NTP_TIMEOUT_MS 5000UL
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake.h"

#include <stddef.h>
#include <stdlib.h>
#ifdef SM_INJECTION_LIVE
#include "../../../examples/posix/sm_posix.h"
#endif

typedef struct wire {
    sm_fake io; /* what the library wrote (io.tx, as text), the clock */
} wire;

#ifdef SM_INJECTION_LIVE
static sm_posix g_port;          /* the simulator's pty */
static sm_platform g_real;       /* its platform: the bytes really go there */
static unsigned g_done;          /* operations ended (done callbacks) */
#endif

static int w_write(void *u, const uint8_t *d, size_t n)
{
#ifdef SM_INJECTION_LIVE
    int k = g_real.write(g_real.user, d, n);
    if (k <= 0) return k;
    n = (size_t)k;
#endif
    return sm_fake_write(u, d, n);
}
#ifdef SM_INJECTION_LIVE
static int w_read(void *u, uint8_t *b, size_t cap) { (void)u; return g_real.read(g_real.user, b, cap); }
static uint32_t w_now(void *u) { (void)u; return sm_posix_now_ms(); }
/* Each command line the engine writes, as the engine itself reports it. */
static void w_trace(void *u, int dir, const char *text, size_t len)
{
    size_t i;
    (void)u;
    if (dir != SM_TRACE_TX) return;
    while (len && (text[len - 1] == '\r' || text[len - 1] == '\n')) len--;
    printf("SENT ");
    for (i = 0; i < len; i++) printf("%02x", (unsigned char)text[i]);
    printf("\n");
}
#else
static uint32_t w_now(void *u) { return sm_fake_now(u); }
#endif

/* The platform of one call: captured (and, live, the simulator's pty). */
static void w_platform(wire *w, sm_platform *p)
{
    memset(w, 0, sizeof *w);
    memset(p, 0, sizeof *p);
    p->user = &w->io;
    p->write = w_write;
    p->now_ms = w_now;
#ifdef SM_INJECTION_LIVE
    p->read = w_read;
    p->trace = w_trace;
#endif
}

/* The oracle: one command line, whatever the argument was. In V.250 (the
   Sequans) a ';' chains a second command; the Cordelia-I's requests are
   `AT+<name>=<args>` ended by CR LF with ',' between arguments and no ';'
   separator (notes, cordelia.md section 1.2), so a ';' there is data (a
   Wi-Fi passphrase may hold one). */
static int one_command(const char *tx, size_t len, const char *term, int rest_of_line_quotes,
                       int semicolon_chains)
{
    size_t tl = strlen(term), i;
    int quoted = 0;
    if (len < 2 + tl || memcmp(tx, "AT", 2) != 0 || memcmp(tx + len - tl, term, tl) != 0) return 0;
    for (i = 0; i < len - tl; i++) {
        unsigned char c = (unsigned char)tx[i];
        if (c < 0x20 || c == 0x7F) return 0;       /* CR, LF, NUL, ESC, Ctrl-Z... */
        if (c == '"') quoted = !quoted;
        else if (!quoted && (c == '\\' || (c == ';' && semicolon_chains))) return 0;
    }
    return rest_of_line_quotes || !quoted;
}

static const char *const k_hostile[] = {
    "a\"b",                 /* ends a quoted argument */
    "x\"\rAT+CFUN=0\r",      /* a second command after CR */
    "x\nAT+CFUN=0",          /* ... after LF */
    "x;+CFUN=0",             /* a second V.250 command */
    "x\",\"y",               /* an extra argument */
    "a,b",                   /* an extra argument where unquoted */
    "a\\",                   /* an escape that swallows the closing quote */
    "a\x1a",                 /* Ctrl-Z ends SMS-style payloads */
    "a\x1b",                 /* ESC aborts data entry */
    "\xff\xfe",              /* not UTF-8 */
    "\xc0\xaf",              /* overlong UTF-8 */
    "",                      /* empty */
    "a b",                   /* a space */
    "x\x7f",                 /* DEL */
    "a\x01b",                /* a control byte */
    "ok-value",              /* harmless: the accepted path is proven too */
    /* over-long: longer than any argument may be */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
};
#define NHOSTILE (sizeof k_hostile / sizeof k_hostile[0])

/* ---- Sequans --------------------------------------------------------------- */
#ifdef SM_INJECTION_LIVE
static void sqn_done(void *ctx, sm_sqn *m, const sm_result *r) { (void)ctx; (void)m; (void)r; g_done++; }
#else
static void sqn_done(void *ctx, sm_sqn *m, const sm_result *r) { (void)ctx; (void)m; (void)r; }
#endif

typedef int (*sqn_call)(sm_sqn *m, const char *s);
static uint8_t g_buf[64];

static int sqn_host_dial(sm_sqn *m, const char *s) { return sm_sqn_sock_dial(m, 1, s, 443, sqn_done, NULL); }
static int sqn_mqtt_id(sm_sqn *m, const char *s) { return sm_sqn_mqtt_config(m, s, NULL, NULL, 1, sqn_done, NULL); }
static int sqn_mqtt_user(sm_sqn *m, const char *s) { return sm_sqn_mqtt_config(m, "dev", s, "pw", 1, sqn_done, NULL); }
static int sqn_mqtt_pw(sm_sqn *m, const char *s) { return sm_sqn_mqtt_config(m, "dev", "u", s, 1, sqn_done, NULL); }
static int sqn_mqtt_host(sm_sqn *m, const char *s) { return sm_sqn_mqtt_connect(m, s, 8883, 60, sqn_done, NULL); }
static int sqn_mqtt_sub(sm_sqn *m, const char *s) { return sm_sqn_mqtt_subscribe(m, s, 1, sqn_done, NULL); }
static int sqn_mqtt_unsub(sm_sqn *m, const char *s) { return sm_sqn_mqtt_unsubscribe(m, s, sqn_done, NULL); }
static int sqn_mqtt_pub(sm_sqn *m, const char *s) { return sm_sqn_mqtt_publish(m, s, 1, g_buf, 4, sqn_done, NULL); }
static int sqn_mqtt_read(sm_sqn *m, const char *s) { return sm_sqn_mqtt_read(m, s, 1, 4, g_buf, sizeof g_buf, sqn_done, NULL); }
static int sqn_http_host(sm_sqn *m, const char *s) { return sm_sqn_http_config(m, 0, s, 443, 1, NULL, NULL, sqn_done, NULL); }
static int sqn_http_user(sm_sqn *m, const char *s) { return sm_sqn_http_config(m, 0, "h", 443, 1, s, "pw", sqn_done, NULL); }
static int sqn_http_pw(sm_sqn *m, const char *s) { return sm_sqn_http_config(m, 0, "h", 443, 1, "u", s, sqn_done, NULL); }
static int sqn_http_res(sm_sqn *m, const char *s)
{
    sm_sqn_http_req r;
    memset(&r, 0, sizeof r);
    r.resource = s;
    return sm_sqn_http_request(m, &r, sqn_done, NULL);
}
static int sqn_http_hdr(sm_sqn *m, const char *s)
{
    sm_sqn_http_req r;
    memset(&r, 0, sizeof r);
    r.resource = "/";
    r.header = s;
    return sm_sqn_http_request(m, &r, sqn_done, NULL);
}
static int sqn_tls_ciphers(sm_sqn *m, const char *s)
{
    sm_sqn_tls t;
    sm_sqn_tls_defaults(&t, 1, 19, 0);
    t.ciphers = s;
    return sm_sqn_tls_config(m, &t, sqn_done, NULL);
}
static int sqn_tls_psk_id(sm_sqn *m, const char *s)
{
    sm_sqn_tls t;
    sm_sqn_tls_defaults(&t, 1, 19, 0);
    t.psk = "AABB";
    t.psk_identity = s;
    return sm_sqn_tls_config(m, &t, sqn_done, NULL);
}

static int sqn_tls_psk(sm_sqn *m, const char *s)
{
    sm_sqn_tls t;
    sm_sqn_tls_defaults(&t, 1, 19, 0);
    t.psk = s;
    t.psk_identity = "id";
    return sm_sqn_tls_config(m, &t, sqn_done, NULL);
}

static int sqn_ntp(sm_sqn *m, const char *s) { return sm_sqn_time_sync(m, s, sqn_done, NULL); }
/* The probe topic reaches the wire with the first probe, at the first poll
   on a live session (marked by hand here: no broker answers). Live, the
   probe is seen to its end here, then supervision is switched off again. */
static int sqn_probe(sm_sqn *m, const char *s)
{
    int rc;
    m->sup.session = 1;
    m->st.mqtt_connected = 1;
    rc = sm_sqn_mqtt_supervise(m, 600000, s, 0);
#ifdef SM_INJECTION_LIVE
    if (rc == SM_OK) {
        uint32_t t0 = sm_posix_now_ms();
        sm_sqn_poll(m);
        while ((m->sup.probe || sm_at_busy(&m->at)) && sm_posix_now_ms() - t0 < 5000u) {
            sm_sqn_poll(m);
            sm_posix_wait(&g_port, 5);
        }
        sm_sqn_mqtt_supervise(m, 0, NULL, 0);
        g_done++; /* ended: the runner need not wait for a done callback */
    }
    m->sup.session = 0;
    m->st.mqtt_connected = 0;
#endif
    return rc;
}

/* Named "function:parameter" or "struct.field" (see the top). */
static const struct { const char *name; sqn_call call; } k_sqn[] = {
    { "sm_sqn_sock_dial:host", sqn_host_dial }, { "sm_sqn_mqtt_config:client_id", sqn_mqtt_id },
    { "sm_sqn_mqtt_config:user", sqn_mqtt_user }, { "sm_sqn_mqtt_config:password", sqn_mqtt_pw },
    { "sm_sqn_mqtt_connect:host", sqn_mqtt_host }, { "sm_sqn_mqtt_subscribe:filter", sqn_mqtt_sub },
    { "sm_sqn_mqtt_unsubscribe:filter", sqn_mqtt_unsub }, { "sm_sqn_mqtt_publish:topic", sqn_mqtt_pub },
    { "sm_sqn_mqtt_read:topic", sqn_mqtt_read }, { "sm_sqn_http_config:host", sqn_http_host },
    { "sm_sqn_http_config:user", sqn_http_user }, { "sm_sqn_http_config:password", sqn_http_pw },
    { "sm_sqn_http_req.resource", sqn_http_res }, { "sm_sqn_http_req.header", sqn_http_hdr },
    { "sm_sqn_tls.ciphers", sqn_tls_ciphers }, { "sm_sqn_tls.psk_identity", sqn_tls_psk_id },
    { "sm_sqn_tls.psk", sqn_tls_psk },
    { "sm_sqn_time_sync:servers", sqn_ntp }, { "sm_sqn_mqtt_supervise:probe_topic", sqn_probe },
};

/* Live: the library and the simulator talk until the operation ends (its
   done callback, or nothing was queued), so the next call starts clean. */
#ifdef SM_INJECTION_LIVE
/* The simulated module boots first: nothing sent before its start-up
   line would be read (a real module ignores it too). */
static void sqn_poll_fn(void *x) { sm_sqn_poll((sm_sqn *)x); }
static void cord_poll_fn(void *x) { sm_cord_poll((sm_cord *)x); }
static void wait_start_up(const sm_at *at, void (*poll)(void *), void *x)
{
    uint32_t t0 = sm_posix_now_ms();
    while (at->stats.reboots == 0 && sm_posix_now_ms() - t0 < 10000u) {
        poll(x);
        sm_posix_wait(&g_port, 10);
    }
    CHECK(at->stats.reboots > 0);
}

static void settle_sqn(sm_sqn *m, unsigned done_before, int queued)
{
    uint32_t t0 = sm_posix_now_ms();
    while (queued && g_done == done_before && sm_posix_now_ms() - t0 < 20000u) {
        sm_sqn_poll(m);
        sm_posix_wait(&g_port, 5);
    }
    t0 = sm_posix_now_ms();
    while (sm_posix_now_ms() - t0 < 30u) { sm_sqn_poll(m); sm_posix_wait(&g_port, 5); } /* late lines */
}
static void settle_cord(sm_cord *c, unsigned done_before, int queued)
{
    uint32_t t0 = sm_posix_now_ms();
    while (queued && g_done == done_before && sm_posix_now_ms() - t0 < 20000u) {
        sm_cord_poll(c);
        sm_posix_wait(&g_port, 5);
    }
    t0 = sm_posix_now_ms();
    while (sm_posix_now_ms() - t0 < 30u) { sm_cord_poll(c); sm_posix_wait(&g_port, 5); }
}
#endif

static void test_sequans_strings(void)
{
    size_t i, j;
    int refused = 0, accepted = 0, bad = 0;
#ifdef SM_INJECTION_LIVE
    uint32_t t_entry;
#endif
    static sm_sqn m;
    static sm_sqn_mqtt_mem mq; /* the built-in MQTT client's memory: its operations need it */
    static wire w;
    sm_platform p;
    w_platform(&w, &p);
    sm_sqn_init(&m, &p, NULL, NULL);
    sm_sqn_use_mqtt(&m, &mq);
#ifdef SM_INJECTION_LIVE
    wait_start_up(&m.at, sqn_poll_fn, &m);
#endif
    for (i = 0; i < sizeof k_sqn / sizeof k_sqn[0]; i++) {
        printf("COVERS %s\n", k_sqn[i].name);
#ifdef SM_INJECTION_LIVE
        t_entry = sm_posix_now_ms();
#endif
        for (j = 0; j < NHOSTILE; j++) {
            int rc;
#ifdef SM_INJECTION_LIVE
            unsigned before = g_done;
#else
            sm_sqn_init(&m, &p, NULL, NULL); /* a fresh engine: only this call's bytes */
            sm_sqn_use_mqtt(&m, &mq);
#endif
            w.io.tx_len = 0;
            w.io.tx[0] = 0;
            rc = k_sqn[i].call(&m, k_hostile[j]);
            sm_sqn_poll(&m); /* whatever was queued goes out now */
            if (rc < 0) {
                refused++;
                if (w.io.tx_len) { bad++; fprintf(stderr, "%s refused but wrote %s\n", k_sqn[i].name, w.io.tx); }
                if (rc != SM_ERR_UNSAFE_STRING && rc != SM_ERR_PARAM) {
                    bad++;
                    fprintf(stderr, "%s: %s for value %u\n", k_sqn[i].name, sm_strerror(rc), (unsigned)j);
                }
                continue;
            }
            accepted++;
#ifdef SM_INJECTION_LIVE
            settle_sqn(&m, before, 1);
            (void)one_command;
#else
            if (!one_command(w.io.tx, w.io.tx_len, "\r", 0, 1)) {
                bad++;
                fprintf(stderr, "%s with value %u wrote an unsafe line\n", k_sqn[i].name, (unsigned)j);
            }
#endif
        }
#ifdef SM_INJECTION_LIVE
        if (sm_posix_now_ms() - t_entry > 1000u)
            printf("  %s: %lu ms\n", k_sqn[i].name, (unsigned long)(sm_posix_now_ms() - t_entry));
#endif
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(refused > accepted); /* most hostile values are refused outright */
    printf("  sequans: %d calls refused, %d accepted%s\n", refused, accepted,
#ifdef SM_INJECTION_LIVE
           " and sent to the simulator"
#else
           " and proven one command"
#endif
           );
}

/* ---- Cordelia-I ------------------------------------------------------------- */
#ifdef SM_INJECTION_LIVE
static void cord_done(void *ctx, sm_cord *c, const sm_result *r) { (void)ctx; (void)c; (void)r; g_done++; }
#else
static void cord_done(void *ctx, sm_cord *c, const sm_result *r) { (void)ctx; (void)c; (void)r; }
#endif
typedef int (*cord_call)(sm_cord *c, const char *s);

static int cord_get_group(sm_cord *c, const char *s) { return sm_cord_get(c, s, "version", cord_done, NULL); }
static int cord_get_key(sm_cord *c, const char *s) { return sm_cord_get(c, "general", s, cord_done, NULL); }
static int cord_set_value(sm_cord *c, const char *s) { return sm_cord_set_str(c, "MQTT", "clientId", s, cord_done, NULL); }
static int cord_set_key(sm_cord *c, const char *s) { return sm_cord_set_str(c, "MQTT", s, "x", cord_done, NULL); }
static int cord_set_group(sm_cord *c, const char *s) { return sm_cord_set_str(c, s, "clientId", "x", cord_done, NULL); }
static int cord_int_group(sm_cord *c, const char *s) { return sm_cord_set_int(c, s, "iotHubPort", 1, cord_done, NULL); }
static int cord_int_key(sm_cord *c, const char *s) { return sm_cord_set_int(c, "MQTT", s, 1, cord_done, NULL); }
static int cord_bool_group(sm_cord *c, const char *s) { return sm_cord_set_bool(c, s, "base64", 1, cord_done, NULL); }
static int cord_bool_key(sm_cord *c, const char *s) { return sm_cord_set_bool(c, "MQTT", s, 1, cord_done, NULL); }
static int cord_wlan_ssid(sm_cord *c, const char *s) { return sm_cord_wlan_connect(c, s, SM_CORD_SEC_WPA_WPA2, "password1", cord_done, NULL); }
static int cord_wlan_key(sm_cord *c, const char *s) { return sm_cord_wlan_connect(c, "ssid", SM_CORD_SEC_WPA_WPA2, s, cord_done, NULL); }
static int cord_file_open(sm_cord *c, const char *s) { return sm_cord_file_open(c, s, SM_CORD_FILE_READ, 0, cord_done, NULL); }
static int cord_file_del(sm_cord *c, const char *s) { return sm_cord_file_delete(c, s, cord_done, NULL); }
static int cord_file_info(sm_cord *c, const char *s) { return sm_cord_file_get_info(c, s, cord_done, NULL); }
static int cord_file_upload(sm_cord *c, const char *s) { return sm_cord_file_upload(c, s, (const uint8_t *)"x", 1, cord_done, NULL); }
static int cord_connect(sm_cord *c, const char *s) { return sm_cord_sock_dial(c, 0, s, 443, cord_done, NULL); }
static int cord_publish(sm_cord *c, const char *s) { return sm_cord_mqtt_publish(c, 0, s, cord_done, NULL); }

/* sm_cord_mqtt_config with one field hostile (by offset in the struct) */
static sm_cord_mqtt_opts g_cfg; /* must stay valid until the operation ends */
static sm_cord_tls g_tls;

static int cord_mqtt_field(sm_cord *c, const char *s, size_t off)
{
    sm_cord_mqtt_opts *cfg = &g_cfg;
    sm_cord_mqtt_opts_init(cfg);
    memcpy((char *)cfg + off, &s, sizeof s);
    return sm_cord_mqtt_config(c, cfg, cord_done, NULL);
}
#define CORD_MQ(field) \
    static int cord_mq_##field(sm_cord *c, const char *s) \
    { return cord_mqtt_field(c, s, offsetof(sm_cord_mqtt_opts, field)); }
CORD_MQ(endpoint) CORD_MQ(flags) CORD_MQ(client_id) CORD_MQ(ca_file) CORD_MQ(cert_file)
CORD_MQ(key_file) CORD_MQ(user) CORD_MQ(password) CORD_MQ(will_topic) CORD_MQ(will_message)
static int cord_mq_topic(sm_cord *c, const char *s)
{
    sm_cord_mqtt_opts_init(&g_cfg);
    g_cfg.sub[1].name = s;
    return sm_cord_mqtt_config(c, &g_cfg, cord_done, NULL);
}
/* sm_cord_sock_tls with one option hostile */
static int cord_tls_field(sm_cord *c, const char *s, size_t off)
{
    memset(&g_tls, 0, sizeof g_tls);
    memcpy((char *)&g_tls + off, &s, sizeof s);
    return sm_cord_sock_tls(c, 0, &g_tls, cord_done, NULL);
}
#define CORD_TLS(field) \
    static int cord_tls_##field(sm_cord *c, const char *s) \
    { return cord_tls_field(c, s, offsetof(sm_cord_tls, field)); }
CORD_TLS(method) CORD_TLS(ca_file) CORD_TLS(key_file) CORD_TLS(cert_file) CORD_TLS(domain)

static const struct { const char *name; cord_call call; int rest_of_line; } k_cord[] = {
    { "sm_cord_get:group", cord_get_group, 0 }, { "sm_cord_get:key", cord_get_key, 0 },
    { "sm_cord_set_str:value", cord_set_value, 0 }, { "sm_cord_set_str:key", cord_set_key, 0 },
    { "sm_cord_set_str:group", cord_set_group, 0 },
    { "sm_cord_set_int:group", cord_int_group, 0 }, { "sm_cord_set_int:key", cord_int_key, 0 },
    { "sm_cord_set_bool:group", cord_bool_group, 0 }, { "sm_cord_set_bool:key", cord_bool_key, 0 },
    { "sm_cord_wlan_connect:ssid", cord_wlan_ssid, 0 }, { "sm_cord_wlan_connect:key", cord_wlan_key, 0 },
    { "sm_cord_file_open:name", cord_file_open, 0 }, { "sm_cord_file_delete:name", cord_file_del, 0 },
    { "sm_cord_file_get_info:name", cord_file_info, 0 },
    { "sm_cord_file_upload:name", cord_file_upload, 0 },
    { "sm_cord_sock_dial:address", cord_connect, 0 },
    { "sm_cord_mqtt_publish:payload", cord_publish, 1 }, /* rest of the line, quotes allowed */
    { "sm_cord_mqtt_opts.endpoint", cord_mq_endpoint, 0 }, { "sm_cord_mqtt_opts.flags", cord_mq_flags, 0 },
    { "sm_cord_mqtt_opts.client_id", cord_mq_client_id, 0 },
    { "sm_cord_mqtt_opts.ca_file", cord_mq_ca_file, 0 },
    { "sm_cord_mqtt_opts.cert_file", cord_mq_cert_file, 0 },
    { "sm_cord_mqtt_opts.key_file", cord_mq_key_file, 0 }, { "sm_cord_mqtt_opts.user", cord_mq_user, 0 },
    { "sm_cord_mqtt_opts.password", cord_mq_password, 0 },
    { "sm_cord_mqtt_opts.will_topic", cord_mq_will_topic, 0 },
    { "sm_cord_mqtt_opts.will_message", cord_mq_will_message, 0 },
    { "sm_cord_topic.name", cord_mq_topic, 0 },
    { "sm_cord_tls.method", cord_tls_method, 0 }, { "sm_cord_tls.ca_file", cord_tls_ca_file, 0 },
    { "sm_cord_tls.key_file", cord_tls_key_file, 0 }, { "sm_cord_tls.cert_file", cord_tls_cert_file, 0 },
    { "sm_cord_tls.domain", cord_tls_domain, 0 },
};

static void test_cordelia_strings(void)
{
    size_t i, j;
    int refused = 0, accepted = 0, bad = 0;
#ifdef SM_INJECTION_LIVE
    uint32_t t_entry;
#endif
    static sm_cord c;
    static wire w;
    sm_platform p;
    w_platform(&w, &p);
    sm_cord_init(&c, &p, NULL, NULL);
#ifdef SM_INJECTION_LIVE
    wait_start_up(&c.at, cord_poll_fn, &c);
#endif
    for (i = 0; i < sizeof k_cord / sizeof k_cord[0]; i++) {
        printf("COVERS %s\n", k_cord[i].name);
#ifdef SM_INJECTION_LIVE
        t_entry = sm_posix_now_ms();
#endif
        for (j = 0; j < NHOSTILE; j++) {
            int rc;
#ifdef SM_INJECTION_LIVE
            unsigned before = g_done;
#else
            sm_cord_init(&c, &p, NULL, NULL);
#endif
            w.io.tx_len = 0;
            w.io.tx[0] = 0;
            rc = k_cord[i].call(&c, k_hostile[j]);
            sm_cord_poll(&c);
            if (rc < 0) {
                refused++;
                if (w.io.tx_len) { bad++; fprintf(stderr, "%s refused but wrote %s\n", k_cord[i].name, w.io.tx); }
                if (rc != SM_ERR_UNSAFE_STRING && rc != SM_ERR_PARAM) {
                    bad++;
                    fprintf(stderr, "%s: %s for value %u\n", k_cord[i].name, sm_strerror(rc), (unsigned)j);
                }
                continue;
            }
            accepted++;
#ifdef SM_INJECTION_LIVE
            settle_cord(&c, before, 1);
#else
            /* the first command line (an upload or a configuration sends
               more, each built the same way) */
            if (!one_command(w.io.tx, strstr(w.io.tx, "\r\n") ? (size_t)(strstr(w.io.tx, "\r\n") - w.io.tx) + 2 : w.io.tx_len,
                             "\r\n", k_cord[i].rest_of_line, 0)) {
                bad++;
                fprintf(stderr, "%s with value %u wrote an unsafe line\n", k_cord[i].name, (unsigned)j);
            }
#endif
        }
#ifdef SM_INJECTION_LIVE
        if (sm_posix_now_ms() - t_entry > 1000u)
            printf("  %s: %lu ms\n", k_cord[i].name, (unsigned long)(sm_posix_now_ms() - t_entry));
#endif
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(refused > accepted);
    printf("  cordelia: %d calls refused, %d accepted%s\n", refused, accepted,
#ifdef SM_INJECTION_LIVE
           " and sent to the simulator"
#else
           " and proven one command"
#endif
           );
}

#ifndef SM_INJECTION_LIVE
/* The oracle itself must catch what it is there to catch. */
static void test_oracle(void)
{
    CHECK(one_command("AT+X=\"a,b\"\r", 11, "\r", 0, 1));
    CHECK(!one_command("AT+X=\"a\rAT\r", 11, "\r", 0, 1));
    CHECK(!one_command("AT+X=1;+CFUN=0\r", 15, "\r", 0, 1));
    CHECK(one_command("AT+X=1;2\r\n", 10, "\r\n", 0, 0));
    CHECK(!one_command("AT+X=\"a\r", 8, "\r", 0, 1));
    CHECK(!one_command("AT+X=a\\\r", 8, "\r", 0, 1));
    CHECK(one_command("AT+X=\"a;b\"\r", 11, "\r", 0, 1));
}
#endif

#ifdef SM_INJECTION_LIVE
int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "sequans") && strcmp(argv[1], "cordelia"))) {
        fprintf(stderr, "usage: %s sequans|cordelia <pty>\n", argv[0]);
        return 2;
    }
    if (sm_posix_open(&g_port, argv[2], 115200) != 0) { perror(argv[2]); return 2; }
    sm_posix_platform(&g_port, &g_real);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(argv[1], "sequans") == 0) RUN(test_sequans_strings);
    else RUN(test_cordelia_strings);
    return sm_test_finish("test_injection_live");
}
#else
int main(void)
{
    RUN(test_oracle);
    RUN(test_sequans_strings);
    RUN(test_cordelia_strings);
    return sm_test_finish("test_injection");
}
#endif
