/* test_injection.c - hostile values in every string argument of the public
   dialect APIs (issue 8). Each call must either be refused (SM_ERR_UNSAFE_
   STRING or SM_ERR_PARAM, with nothing written), or produce bytes that an
   independent oracle accepts as exactly ONE well-formed command line:
   "AT" first, the terminator only at the end, no control bytes, double
   quotes balanced, no ';' and no '\' outside quotes. (The payload of a
   prompt command is not part of the line: it goes after the "> ".) */
#define SECMODEM_IMPLEMENTATION
#include "../secmodem.h"
#include "sm_test.h"

#include <stdlib.h>

typedef struct wire {
    char tx[4096];
    size_t len;
    uint32_t now;
} wire;

static int w_write(void *u, const uint8_t *d, size_t n)
{
    wire *w = (wire *)u;
    if (n > sizeof w->tx - w->len - 1) n = sizeof w->tx - w->len - 1;
    memcpy(w->tx + w->len, d, n);
    w->len += n;
    w->tx[w->len] = 0;
    return (int)n;
}
static uint32_t w_now(void *u) { return ((wire *)u)->now; }

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
};
#define NHOSTILE (sizeof k_hostile / sizeof k_hostile[0])

/* ---- Sequans --------------------------------------------------------------- */
static void sqn_done(void *ctx, sm_sqn *m, const sm_sqn_result *r) { (void)ctx; (void)m; (void)r; }

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

static const struct { const char *name; sqn_call call; } k_sqn[] = {
    { "sock_dial host", sqn_host_dial }, { "mqtt_config client_id", sqn_mqtt_id },
    { "mqtt_config user", sqn_mqtt_user }, { "mqtt_config password", sqn_mqtt_pw },
    { "mqtt_connect host", sqn_mqtt_host }, { "mqtt_subscribe filter", sqn_mqtt_sub },
    { "mqtt_unsubscribe filter", sqn_mqtt_unsub }, { "mqtt_publish topic", sqn_mqtt_pub },
    { "mqtt_read topic", sqn_mqtt_read }, { "http_config host", sqn_http_host },
    { "http_config user", sqn_http_user }, { "http_config password", sqn_http_pw },
    { "http_request resource", sqn_http_res }, { "http_request header", sqn_http_hdr },
    { "tls_config ciphers", sqn_tls_ciphers }, { "tls_config psk_identity", sqn_tls_psk_id },
};

static void test_sequans_strings(void)
{
    size_t i, j;
    int refused = 0, accepted = 0, bad = 0;
    for (i = 0; i < sizeof k_sqn / sizeof k_sqn[0]; i++) {
        for (j = 0; j < NHOSTILE; j++) {
            static sm_sqn m;
            wire w;
            sm_platform p;
            int rc;
            memset(&w, 0, sizeof w);
            memset(&p, 0, sizeof p);
            p.user = &w;
            p.write = w_write;
            p.now_ms = w_now;
            sm_sqn_init(&m, &p, NULL, NULL);
            rc = k_sqn[i].call(&m, k_hostile[j]);
            sm_sqn_poll(&m); /* whatever was queued goes out now */
            if (rc < 0) {
                refused++;
                if (w.len) { bad++; fprintf(stderr, "%s refused but wrote %s\n", k_sqn[i].name, w.tx); }
                if (rc != SM_ERR_UNSAFE_STRING && rc != SM_ERR_PARAM) {
                    bad++;
                    fprintf(stderr, "%s: %s for value %u\n", k_sqn[i].name, sm_strerror(rc), (unsigned)j);
                }
                continue;
            }
            accepted++;
            if (!one_command(w.tx, w.len, "\r", 0, 1)) {
                bad++;
                fprintf(stderr, "%s with value %u wrote an unsafe line\n", k_sqn[i].name, (unsigned)j);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(refused > accepted); /* most hostile values are refused outright */
    printf("  sequans: %d calls refused, %d accepted and proven one command\n", refused, accepted);
}

/* ---- Cordelia-I ------------------------------------------------------------- */
static void cord_done(void *ctx, sm_cord *c, const sm_cord_result *r) { (void)ctx; (void)c; (void)r; }
typedef int (*cord_call)(sm_cord *c, const char *s);

static int cord_get_group(sm_cord *c, const char *s) { return sm_cord_get(c, s, "version", cord_done, NULL); }
static int cord_get_key(sm_cord *c, const char *s) { return sm_cord_get(c, "general", s, cord_done, NULL); }
static int cord_set_value(sm_cord *c, const char *s) { return sm_cord_set_str(c, "MQTT", "clientId", s, cord_done, NULL); }
static int cord_set_key(sm_cord *c, const char *s) { return sm_cord_set_str(c, "MQTT", s, "x", cord_done, NULL); }
static int cord_wlan_ssid(sm_cord *c, const char *s) { return sm_cord_wlan_connect(c, s, SM_CORD_SEC_WPA_WPA2, "password1", cord_done, NULL); }
static int cord_wlan_key(sm_cord *c, const char *s) { return sm_cord_wlan_connect(c, "ssid", SM_CORD_SEC_WPA_WPA2, s, cord_done, NULL); }
static int cord_file_open(sm_cord *c, const char *s) { return sm_cord_file_open(c, s, SM_CORD_FILE_READ, 0, cord_done, NULL); }
static int cord_file_del(sm_cord *c, const char *s) { return sm_cord_file_delete(c, s, cord_done, NULL); }
static int cord_file_info(sm_cord *c, const char *s) { return sm_cord_file_get_info(c, s, cord_done, NULL); }
static int cord_connect(sm_cord *c, const char *s) { return sm_cord_connect(c, 0, 443, s, cord_done, NULL); }
static int cord_publish(sm_cord *c, const char *s) { return sm_cord_mqtt_publish(c, 0, s, cord_done, NULL); }

static const struct { const char *name; cord_call call; int rest_of_line; } k_cord[] = {
    { "get group", cord_get_group, 0 }, { "get key", cord_get_key, 0 },
    { "set_str value", cord_set_value, 0 }, { "set_str key", cord_set_key, 0 },
    { "wlan_connect ssid", cord_wlan_ssid, 0 }, { "wlan_connect key", cord_wlan_key, 0 },
    { "file_open name", cord_file_open, 0 }, { "file_delete name", cord_file_del, 0 },
    { "file_get_info name", cord_file_info, 0 }, { "connect address", cord_connect, 0 },
    { "mqtt_publish payload (rest of line)", cord_publish, 1 },
};

static void test_cordelia_strings(void)
{
    size_t i, j;
    int refused = 0, accepted = 0, bad = 0;
    for (i = 0; i < sizeof k_cord / sizeof k_cord[0]; i++) {
        for (j = 0; j < NHOSTILE; j++) {
            static sm_cord c;
            wire w;
            sm_platform p;
            int rc;
            memset(&w, 0, sizeof w);
            memset(&p, 0, sizeof p);
            p.user = &w;
            p.write = w_write;
            p.now_ms = w_now;
            sm_cord_init(&c, &p, NULL, NULL);
            rc = k_cord[i].call(&c, k_hostile[j]);
            sm_cord_poll(&c);
            if (rc < 0) {
                refused++;
                if (w.len) { bad++; fprintf(stderr, "%s refused but wrote %s\n", k_cord[i].name, w.tx); }
                continue;
            }
            accepted++;
            if (!one_command(w.tx, w.len, "\r\n", k_cord[i].rest_of_line, 0)) {
                bad++;
                fprintf(stderr, "%s with value %u wrote an unsafe line\n", k_cord[i].name, (unsigned)j);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(refused > accepted);
    printf("  cordelia: %d calls refused, %d accepted and proven one command\n", refused, accepted);
}

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

int main(void)
{
    RUN(test_oracle);
    RUN(test_sequans_strings);
    RUN(test_cordelia_strings);
    return sm_test_finish("test_injection");
}
