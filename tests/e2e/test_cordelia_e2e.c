/* test_cordelia_e2e.c - the Cordelia-I section (sm_cord_*, public API only)
   end to end: against `python3 -m sim --dialect cordelia` over a pty, whose
   TLS sockets and MQTT client are real connections to a mutual-TLS
   mosquitto and a TLS echo server (sim/network/testbed.py).

   Run by tests/e2e/run_cordelia_e2e.py, which starts the test bed, an MQTT probe
   and the simulator:
       test_cordelia_e2e <pty> <control socket> <broker port> <echo port>
                         <pem directory> <payload>
   The directory holds ca.pem (the test CA padded with more certificates, so
   it needs several AT+fileWrite chunks), client.pem, client.key and
   wrong-ca.pem. The payload is what gets published (JSON with quotes and
   commas); the runner's probe checks the broker received exactly it.

   The program is an application's superloop: operations are started, their
   done callbacks and the events record what happened, and the loop polls
   until the expected thing was recorded. The scenario runs the MQTT and
   socket part twice, the second time with the simulator injecting events
   between commands and their OK (its inject-events option). Each step is
   printed; SM_TRACE=1 in the environment prints every line on stderr. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "../../examples/posix/sm_posix.h"
#include "../common/sm_test.h"
#include "../common/sm_live.h"

#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SSID "secmodem-lab"
#define WIFI_KEY "secmodem-pass"
#define MAX_FILE 8192

/* ---- what the application saw ------------------------------------------------ */
typedef struct done_rec {
    int id, status;
    int32_t code;
    char err_text[32];
    char text[64];
    uint32_t value;
    size_t len;
    uint8_t stage;
    sm_file_info info;
} done_rec;

typedef struct app {
    sm_posix port;
    sm_cord cord;
    const char *control;
    /* events */
    int startups, wlan_up, wlan_down, ip, unhandled;
    int events, bad_lines; /* events, and those whose line was not NUL-terminated at line_len */
    int connack, disconnects, mqtt_errors;
    int32_t connack_code, disconnect_code, mqtt_error_code;
    char mqtt_error_status[32];
    int recvs;
    char recv_topic[64];
    char recv_payload[256];
    size_t recv_len;
    int sock_connected, sock_data, sock_closed;
    int32_t sock_waiting;
    /* the runner's retained 1 KB message on cordelia/big (longer than a line) */
    char msg_buf[1400];
    int big_recvs, big_ok, too_long, sock_errors;
    /* completions, by operation id */
    done_rec done[32];
    int ndone;
    /* file list */
    char listed[8][64];
    uint32_t listed_size[8];
    int nlisted;
} app;

static app g_app; /* one application */

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The runner publishes, retained, BIG_LEN printable bytes to cordelia/big:
   byte i is 0x20 + (i * 7) % 95 (quotes and commas among them). */
#define BIG_LEN 1024
static int big_payload_ok(const char *p, size_t n)
{
    size_t i;
    if (n != BIG_LEN) return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)p[i] != 0x20 + (i * 7) % 95) return 0;
    return 1;
}

static void on_event(void *ctx, sm_cord *c, const sm_event *ev)
{
    app *a = (app *)ctx;
    (void)c;
    a->events++;
    if (!ev->line || ev->line[ev->line_len] != '\0') a->bad_lines++;
    switch (ev->type) {
    case SM_CORD_EV_STARTUP: a->startups++; break;
    case SM_CORD_EV_WLAN_CONNECTED: a->wlan_up++; break;
    case SM_CORD_EV_WLAN_DISCONNECTED: a->wlan_down++; break;
    case SM_CORD_EV_IP_ACQUIRED: a->ip++; break;
    case SM_CORD_EV_MQTT_INFO:
        if (strcmp(ev->u.mqtt.status, "CONNACK") == 0) {
            a->connack++;
            a->connack_code = ev->u.mqtt.code;
        } else if (strcmp(ev->u.mqtt.status, "DISCONNECT") == 0) {
            a->disconnects++;
            a->disconnect_code = ev->u.mqtt.code;
        }
        break;
    case SM_CORD_EV_MQTT_ERROR:
        a->mqtt_errors++;
        a->mqtt_error_code = ev->u.mqtt.code;
        copy_str(a->mqtt_error_status, sizeof a->mqtt_error_status, ev->u.mqtt.status);
        break;
    case SM_CORD_EV_MQTT_RECV:
        if (strcmp(ev->u.msg.topic, "cordelia/big") == 0) {
            a->big_recvs++;
            a->big_ok += big_payload_ok(ev->u.msg.payload, ev->u.msg.len);
            break;
        }
        a->recvs++;
        copy_str(a->recv_topic, sizeof a->recv_topic, ev->u.msg.topic);
        a->recv_len = ev->u.msg.len < sizeof a->recv_payload ? ev->u.msg.len : 0;
        memcpy(a->recv_payload, ev->u.msg.payload, a->recv_len);
        break;
    case SM_CORD_EV_SOCK_CONNECTED: a->sock_connected++; break;
    case SM_CORD_EV_SOCK_DATA:
        a->sock_data++;
        a->sock_waiting = ev->u.sock.value;
        break;
    case SM_CORD_EV_SOCK_CLOSED: a->sock_closed++; break;
    case SM_CORD_EV_MQTT_TOO_LONG: a->too_long++; break;
    case SM_CORD_EV_SOCK_ERROR: a->sock_errors++; break; /* a connect's failure event */
    default:
        a->unhandled++;
        fprintf(stderr, "  event %s: %.*s\n", sm_cord_event_name(ev->type), (int)ev->line_len,
                ev->line);
        break;
    }
}

static void on_done(void *ctx, sm_cord *c, const sm_result *r)
{
    app *a = (app *)ctx;
    done_rec *d = &a->done[a->ndone++ % 32];
    (void)c;
    memset(d, 0, sizeof *d);
    d->id = r->id;
    d->status = r->status;
    d->code = r->code;
    copy_str(d->err_text, sizeof d->err_text, r->err_text);
    copy_str(d->text, sizeof d->text, r->text);
    d->value = r->value;
    d->len = r->len;
    d->stage = r->stage;
    if (r->op == SM_CORD_OP_FILE_GET_INFO) d->info = r->u.file_info; /* flags_text: not kept */
}

static void on_entry(void *ctx, sm_cord *c, const sm_cord_file_entry *e)
{
    app *a = (app *)ctx;
    (void)c;
    if (a->nlisted >= 8) return;
    copy_str(a->listed[a->nlisted], sizeof a->listed[0], e->name);
    a->listed_size[a->nlisted++] = e->max_size;
}

/* ---- the superloop ---------------------------------------------------------------- */
static void tick(app *a)
{
    if (sm_cord_poll(&a->cord) == SM_ERR_IO) {
        fprintf(stderr, "platform read failed\n");
        exit(2);
    }
    sm_posix_wait(&a->port, 5);
}

/* Runs the loop until *counter exceeds `before` or ms pass; 1 if it did. */
static int until_count(app *a, const int *counter, int before, uint32_t ms)
{
    uint32_t t0 = sm_posix_now_ms();
    while (*counter <= before) {
        if (sm_posix_now_ms() - t0 > ms) return 0;
        tick(a);
    }
    return 1;
}

static void spin(app *a, uint32_t ms)
{
    uint32_t t0 = sm_posix_now_ms();
    while (sm_posix_now_ms() - t0 < ms) tick(a);
}

/* The completion of operation id (started with on_done), after running
   the loop until it came; an id <= 0 is a refused start. */
static const done_rec *finish(app *a, int id)
{
    static done_rec refused;
    int i;
    if (id <= 0) {
        memset(&refused, 0, sizeof refused);
        refused.status = id;
        fprintf(stderr, "  operation refused at start: %s\n", sm_strerror(id));
        return &refused;
    }
    while (sm_cord_pending(&a->cord, id)) tick(a);
    for (i = a->ndone - 1; i >= 0 && i >= a->ndone - 32; i--)
        if (a->done[i % 32].id == id) return &a->done[i % 32];
    memset(&refused, 0, sizeof refused);
    refused.status = SM_ERR_STATE;
    return &refused;
}

static int finish_ok(app *a, int id)
{
    const done_rec *d = finish(a, id);
    if (d->status != SM_OK)
        fprintf(stderr, "  operation %d: %s (code %ld, %s)\n", id, sm_strerror(d->status),
                (long)d->code, d->err_text);
    return d->status == SM_OK;
}

static int g_fail_at_step;

static void step(const char *name)
{
    g_fail_at_step = sm_test_tally.failed;
    printf("step: %s ... ", name);
    fflush(stdout);
}

static void step_end(void)
{
    printf("%s\n", sm_test_tally.failed == g_fail_at_step ? "ok" : "FAILED");
    fflush(stdout);
}

/* ---- control socket (JSON lines) ---------------------------------------------------- */
static int control(app *a, const char *json)
{
    char reply[4096];
    return sm_live_control(a->control, json, reply, sizeof reply);
}

/* ---- files ------------------------------------------------------------------------- */
typedef struct pem_file {
    const char *name;
    uint8_t data[MAX_FILE];
    size_t len;
} pem_file;

static pem_file g_files[4] = { { "ca.pem", {0}, 0 }, { "client.pem", {0}, 0 },
                               { "client.key", {0}, 0 }, { "wrong-ca.pem", {0}, 0 } };

static int load(pem_file *f, const char *dir)
{
    char path[512];
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", dir, f->name);
    fp = fopen(path, "rb");
    if (!fp) return -1;
    f->len = fread(f->data, 1, sizeof f->data, fp);
    fclose(fp);
    return f->len > 0 && f->len < sizeof f->data ? 0 : -1;
}

/* ---- the scenario -------------------------------------------------------------------- */
static void test_restart_and_basics(app *a)
{
    const done_rec *d;
    int startups;
    step("bring-up: AT+test until the module answers, firmware version; then AT+test");
    d = finish(a, sm_cord_bringup(&a->cord, NULL, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_STR(d->text, "1.0.0");
    CHECK_EQ_STR(sm_cord_get_state(&a->cord)->version, "1.0.0");
    CHECK(finish_ok(a, sm_cord_test(&a->cord, on_done, a)));
    step_end();

    step("reboot -> OK, +eventstartup (firmware version)");
    startups = a->startups;
    d = finish(a, sm_cord_reboot(&a->cord, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_STR(d->text, "1.0.0");
    CHECK_EQ_INT(a->startups, startups + 1);
    CHECK(sm_cord_get_state(&a->cord)->started);
    CHECK_EQ_STR(sm_cord_get_state(&a->cord)->chip_id, "0x31000019");
    step_end();

    step("hibernate 1 s -> OK; the module wakes with +eventstartup and answers again");
    startups = a->startups;
    d = finish(a, sm_cord_hibernate(&a->cord, 1, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_INT(a->startups, startups); /* asleep: no start-up at the OK */
    CHECK(until_count(a, &a->startups, startups, 5000));
    CHECK(sm_cord_get_state(&a->cord)->started);
    CHECK(finish_ok(a, sm_cord_test(&a->cord, on_done, a)));
    step_end();

    step("Wi-Fi role: as an access point (after a restart) wlanConnect is refused; station again");
    CHECK(finish_ok(a, sm_cord_wlan_set_mode(&a->cord, SM_CORD_MODE_AP, on_done, a)));
    CHECK(finish_ok(a, sm_cord_reboot(&a->cord, on_done, a)));
    d = finish(a, sm_cord_wlan_connect(&a->cord, SSID, SM_CORD_SEC_WPA_WPA2, WIFI_KEY,
                                       on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -2006);
    CHECK(finish_ok(a, sm_cord_wlan_set_mode(&a->cord, SM_CORD_MODE_STA, on_done, a)));
    CHECK(finish_ok(a, sm_cord_reboot(&a->cord, on_done, a)));
    step_end();

    step("get general,version; an unknown key");
    d = finish(a, sm_cord_get(&a->cord, "general", "version", on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_STR(d->text, "1.0.0");
    d = finish(a, sm_cord_get(&a->cord, "MQTT", "nosuchkey", on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -2006);
    CHECK_EQ_STR(d->err_text, "invalid setting");
    step_end();
}

static void test_files(app *a)
{
    static uint8_t back[MAX_FILE + 16];
    int ids[4], i, found;
    uint32_t fid;
    const done_rec *d;

    step("upload ca.pem, client.pem, client.key, wrong-ca.pem (started back to back)");
    CHECK(g_files[0].len > SM_CORD_FILE_CHUNK); /* several chunks */
    for (i = 0; i < 4; i++)
        ids[i] = sm_cord_file_upload(&a->cord, g_files[i].name, g_files[i].data, g_files[i].len,
                                     on_done, a);
    for (i = 0; i < 4; i++) {
        d = finish(a, ids[i]);
        CHECK_EQ_INT(d->status, SM_OK);
        CHECK_EQ_INT(d->len, g_files[i].len);
        CHECK_EQ_INT(d->stage, 2);
    }
    step_end();

    step("file list names all four with their sizes");
    a->nlisted = 0;
    CHECK(finish_ok(a, sm_cord_file_list(&a->cord, on_entry, on_done, a)));
    for (i = 0; i < 4; i++) {
        int k;
        found = 0;
        for (k = 0; k < a->nlisted; k++)
            if (strcmp(a->listed[k], g_files[i].name) == 0 &&
                a->listed_size[k] == (g_files[i].len + 1023u) / 1024u * 1024u)
                found = 1;
        CHECK(found);
    }
    step_end();

    step("read ca.pem back (Base64, chunked) and compare");
    d = finish(a, sm_cord_file_open(&a->cord, "ca.pem", SM_CORD_FILE_READ, 0, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    fid = d->value;
    d = finish(a, sm_cord_file_read(&a->cord, fid, 0, back, sizeof back, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_INT(d->len, g_files[0].len);
    CHECK(d->len == g_files[0].len && memcmp(back, g_files[0].data, d->len) == 0);
    CHECK(finish_ok(a, sm_cord_file_close(&a->cord, fid, on_done, a)));
    d = finish(a, sm_cord_file_get_info(&a->cord, "ca.pem", on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_INT(d->info.size, g_files[0].len);
    step_end();

    step("missing file -> ERROR:file not found,-10341");
    d = finish(a, sm_cord_file_open(&a->cord, "nosuch.pem", SM_CORD_FILE_READ, 0, on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -10341);
    CHECK_EQ_STR(d->err_text, "file not found");
    step_end();
}

static void test_wifi(app *a, const char *pass)
{
    char name[160];
    const done_rec *d;
    int up = a->wlan_up, ip = a->ip, down = a->wlan_down;
    snprintf(name, sizeof name, "%s: wlanConnect -> connect and ipv4_acquired events", pass);
    step(name);
    if (sm_cord_get_state(&a->cord)->wlan_connected) {
        CHECK(finish_ok(a, sm_cord_wlan_disconnect(&a->cord, on_done, a)));
        CHECK(a->wlan_down == down + 1); /* done at the event */
        CHECK(!sm_cord_get_state(&a->cord)->wlan_connected);
    }
    d = finish(a, sm_cord_wlan_connect(&a->cord, SSID, SM_CORD_SEC_WPA_WPA2, WIFI_KEY,
                                       on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_STR(d->text, "127.0.0.1");
    CHECK(a->wlan_up == up + 1 && a->ip == ip + 1);
    CHECK(sm_cord_get_state(&a->cord)->wlan_connected);
    step_end();
}

static void test_configure_and_wifi(app *a, int broker_port)
{
    sm_cord_mqtt_opts cfg;
    const done_rec *d;
    step("MQTT settings (endpoint, port, url|sec, client id, the three files, topics)");
    sm_cord_mqtt_opts_init(&cfg);
    cfg.endpoint = "127.0.0.1";
    cfg.port = broker_port;
    cfg.flags = "url|sec";
    cfg.client_id = "cordelia-e2e";
    cfg.ca_file = "ca.pem";
    cfg.cert_file = "client.pem";
    cfg.key_file = "client.key";
    cfg.keep_alive_s = 60;
    cfg.clean_session = 1;
    cfg.sub[0].name = "cordelia/+";
    cfg.sub[0].qos = 0;
    cfg.pub[0].name = "cordelia/apple";
    cfg.pub[0].qos = 0;
    cfg.pub[0].retain = 0;
    CHECK(finish_ok(a, sm_cord_mqtt_config(&a->cord, &cfg, on_done, a)));
    d = finish(a, sm_cord_get(&a->cord, "mqtt", "rootcapath", on_done, a));
    CHECK_EQ_STR(d->text, "ca.pem"); /* stored without its quotes */
    d = finish(a, sm_cord_get(&a->cord, "SUBTOPIC0", "name", on_done, a));
    CHECK_EQ_STR(d->text, "cordelia/+");
    step_end();

    test_wifi(a, "pass 1");

    step("upload refused while Wi-Fi is connected (-2013)");
    d = finish(a, sm_cord_file_upload(&a->cord, "late.pem", (const uint8_t *)"x", 1, on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -2013);
    CHECK_EQ_INT(d->stage, 0);
    step_end();
}

static void test_mqtt(app *a, const char *payload, const char *pass)
{
    char name[160];
    const done_rec *d;
    int recvs, big, big_ok;

    snprintf(name, sizeof name, "%s: iotconnect -> CONNACK 0 (mutual TLS to mosquitto)", pass);
    step(name);
    big = a->big_recvs;
    big_ok = a->big_ok;
    d = finish(a, sm_cord_mqtt_connect(&a->cord, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_INT(a->connack_code, 0);
    CHECK(sm_cord_get_state(&a->cord)->mqtt_connected);
    step_end();

    snprintf(name, sizeof name, "%s: the retained %d-byte message on cordelia/big arrives whole",
             pass, BIG_LEN);
    step(name);
    CHECK(until_count(a, &a->big_recvs, big, 5000));
    CHECK_EQ_INT(a->big_ok, big_ok + 1);
    CHECK_EQ_INT(a->too_long, 0);
    step_end();

    snprintf(name, sizeof name, "%s: publish JSON to PUBTOPIC0, receive it back", pass);
    step(name);
    recvs = a->recvs;
    CHECK(finish_ok(a, sm_cord_mqtt_publish(&a->cord, 0, payload, on_done, a)));
    CHECK(until_count(a, &a->recvs, recvs, 5000));
    CHECK_EQ_STR(a->recv_topic, "cordelia/apple");
    CHECK_EQ_INT(a->recv_len, strlen(payload));
    CHECK(a->recv_len == strlen(payload) && memcmp(a->recv_payload, payload, a->recv_len) == 0);
    step_end();
}

static void test_socket(app *a, int echo_port, const char *pass)
{
    static uint8_t sent[256], got[512];
    char name[160];
    sm_cord_tls tls;
    const done_rec *d;
    size_t have = 0;
    int sock, data0, conn0, i;
    uint32_t t0;

    snprintf(name, sizeof name, "%s: TLS socket to the echo server, every byte value", pass);
    step(name);
    for (i = 0; i < 256; i++) sent[i] = (uint8_t)i;
    d = finish(a, sm_cord_sock_open(&a->cord, 1, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    sock = (int)d->value;
    memset(&tls, 0, sizeof tls);
    tls.method = "TLSV1_2";
    tls.ca_file = "ca.pem";
    tls.cert_file = "client.pem";
    tls.key_file = "client.key";
    tls.domain = "localhost";
    CHECK(finish_ok(a, sm_cord_sock_tls(&a->cord, sock, &tls, on_done, a)));
    conn0 = a->sock_connected;
    CHECK(finish_ok(a, sm_cord_sock_dial(&a->cord, sock, "127.0.0.1", (uint16_t)echo_port,
                                       on_done, a)));
    CHECK(until_count(a, &a->sock_connected, conn0, 2000));
    data0 = a->sock_data;
    d = finish(a, sm_cord_sock_send(&a->cord, sock, sent, sizeof sent, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_INT(d->len, sizeof sent);
    /* no announcement is relied on (+eventsock:data is not in the driver's
       tables): receive until everything came back */
    (void)data0;
    t0 = sm_posix_now_ms();
    while (have < sizeof sent && sm_posix_now_ms() - t0 < 8000u) {
        d = finish(a, sm_cord_sock_recv(&a->cord, sock, got + have, sizeof got - have, on_done, a));
        if (d->status != SM_OK) break;
        have += d->len;
    }
    CHECK_EQ_INT(have, sizeof sent);
    CHECK(have == sizeof sent && memcmp(got, sent, sizeof sent) == 0);
    CHECK(finish_ok(a, sm_cord_sock_close(&a->cord, sock, on_done, a)));
    CHECK_EQ_INT(sm_cord_get_state(&a->cord)->sockets, 0);
    step_end();
}

static void test_mqtt_disconnect(app *a, const char *pass)
{
    char name[160];
    int n;
    snprintf(name, sizeof name, "%s: iotdisconnect -> DISCONNECT 0", pass);
    step(name);
    n = a->disconnects;
    CHECK(finish_ok(a, sm_cord_mqtt_disconnect(&a->cord, on_done, a)));
    CHECK(until_count(a, &a->disconnects, n, 3000));
    CHECK_EQ_INT(a->disconnect_code, 0);
    CHECK(!sm_cord_get_state(&a->cord)->mqtt_connected);
    step_end();
}

static void test_wrong_ca(app *a)
{
    const done_rec *d;
    int errors = a->mqtt_errors;
    step("wrong CA file -> +eventmqtt:error TLS_FAILED, connect fails");
    CHECK(finish_ok(a, sm_cord_set_str(&a->cord, "MQTT", "rootCAPath", "wrong-ca.pem",
                                       on_done, a)));
    d = finish(a, sm_cord_mqtt_connect(&a->cord, on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_STR(d->err_text, "TLS_FAILED");
    CHECK_EQ_INT(d->code, -468);
    CHECK(a->mqtt_errors == errors + 1);
    CHECK_EQ_STR(a->mqtt_error_status, "TLS_FAILED");
    CHECK(!sm_cord_get_state(&a->cord)->mqtt_connected);
    CHECK(finish_ok(a, sm_cord_set_str(&a->cord, "MQTT", "rootCAPath", "ca.pem", on_done, a)));
    step_end();
}

/* A loopback TCP port nothing listens on: bound, read, closed. */
static int closed_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int port = -1, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* An MQTT connect that must fail with the module's error event: the
   operation ends with it (no hang, well before SM_CORD_CONNACK_TIMEOUT_MS). */
static void expect_connect_error(app *a, const char *status, int32_t code)
{
    const done_rec *d;
    int errors = a->mqtt_errors;
    uint32_t t0 = sm_posix_now_ms();
    d = finish(a, sm_cord_mqtt_connect(&a->cord, on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_STR(d->err_text, status);
    CHECK_EQ_INT(d->code, code);
    CHECK(sm_posix_now_ms() - t0 < 5000u);
    CHECK(a->mqtt_errors == errors + 1);
    CHECK(!sm_cord_get_state(&a->cord)->mqtt_connected);
}

static void test_failure_paths(app *a, int echo_port)
{
    const done_rec *d;
    sm_cord_tls tls;
    int down, sock, port = closed_port();
    uint32_t t0;

    step("bad Wi-Fi passphrase -> wlan connect fails with reason -2058, no link");
    if (sm_cord_get_state(&a->cord)->wlan_connected) {
        down = a->wlan_down;
        CHECK(finish_ok(a, sm_cord_wlan_disconnect(&a->cord, on_done, a)));
        CHECK(a->wlan_down == down + 1); /* done at the event: the link is down */
        CHECK(!sm_cord_get_state(&a->cord)->wlan_connected);
    }
    t0 = sm_posix_now_ms();
    d = finish(a, sm_cord_wlan_connect(&a->cord, SSID, SM_CORD_SEC_WPA_WPA2,
                                       "not-the-passphrase", on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -2058);
    CHECK(sm_posix_now_ms() - t0 < 5000u);
    CHECK(!sm_cord_get_state(&a->cord)->wlan_connected);
    CHECK_EQ_STR(sm_cord_get_state(&a->cord)->ipv4, "");
    /* a passphrase too short for WPA is the module's synchronous error */
    d = finish(a, sm_cord_wlan_connect(&a->cord, SSID, SM_CORD_SEC_WPA_WPA2, "short",
                                       on_done, a));
    CHECK(d->status == SM_ERR_PARAM || (d->status == SM_ERR_MODEM && d->code == -2058));
    /* MQTT needs Wi-Fi: refused at once */
    d = finish(a, sm_cord_mqtt_connect(&a->cord, on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -2069);
    step_end();

    test_wifi(a, "after the bad passphrase");

    step("missing files -> TLS_FAILED with the module's reason, no hang");
    CHECK(finish_ok(a, sm_cord_set_str(&a->cord, "MQTT", "rootCAPath", "no-such-ca.pem",
                                       on_done, a)));
    expect_connect_error(a, "TLS_FAILED", -454);
    CHECK(finish_ok(a, sm_cord_set_str(&a->cord, "MQTT", "rootCAPath", "ca.pem", on_done, a)));
    CHECK(finish_ok(a, sm_cord_set_str(&a->cord, "MQTT", "clientPrivateKey", "no-such.key",
                                       on_done, a)));
    expect_connect_error(a, "TLS_FAILED", -458);
    CHECK(finish_ok(a, sm_cord_set_str(&a->cord, "MQTT", "clientPrivateKey", "client.key",
                                       on_done, a)));
    /* a TLS socket whose CA file is missing fails at its connect */
    d = finish(a, sm_cord_sock_open(&a->cord, 1, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    sock = (int)d->value;
    memset(&tls, 0, sizeof tls);
    tls.method = "TLSV1_2";
    tls.ca_file = "no-such-ca.pem";
    tls.domain = "localhost";
    CHECK(finish_ok(a, sm_cord_sock_tls(&a->cord, sock, &tls, on_done, a)));
    d = finish(a, sm_cord_sock_dial(&a->cord, sock, "127.0.0.1", (uint16_t)echo_port, on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -454);
    CHECK(finish_ok(a, sm_cord_sock_close(&a->cord, sock, on_done, a)));
    step_end();

    step("broker down -> CONNECT_FAILED -111; TLS socket to a closed port -> -111");
    CHECK(port > 0);
    CHECK(finish_ok(a, sm_cord_set_int(&a->cord, "MQTT", "iotHubPort", port, on_done, a)));
    expect_connect_error(a, "CONNECT_FAILED", -111);
    d = finish(a, sm_cord_sock_open(&a->cord, 1, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    sock = (int)d->value;
    memset(&tls, 0, sizeof tls);
    tls.method = "TLSV1_2";
    tls.ca_file = "ca.pem";
    tls.domain = "localhost";
    CHECK(finish_ok(a, sm_cord_sock_tls(&a->cord, sock, &tls, on_done, a)));
    t0 = sm_posix_now_ms();
    d = finish(a, sm_cord_sock_dial(&a->cord, sock, "127.0.0.1", (uint16_t)port, on_done, a));
    CHECK_EQ_INT(d->status, SM_ERR_MODEM);
    CHECK_EQ_INT(d->code, -111);
    CHECK(sm_posix_now_ms() - t0 < 5000u);
    CHECK(finish_ok(a, sm_cord_sock_close(&a->cord, sock, on_done, a)));
    CHECK_EQ_INT(sm_cord_get_state(&a->cord)->sockets, 0);
    step_end();
}

static void test_reboot_injected(app *a)
{
    const done_rec *d;
    int id, startups, down;
    uint32_t t0;
    step("reboot through the control socket while wlanConnect waits -> it fails");
    /* the disconnect is done at its event: the link is down */
    down = a->wlan_down;
    CHECK(finish_ok(a, sm_cord_wlan_disconnect(&a->cord, on_done, a)));
    CHECK(a->wlan_down == down + 1);
    CHECK_EQ_INT(control(a, "{\"cmd\": \"option\", \"name\": \"wlan-delay\", \"value\": 5}"), 0);
    CHECK_EQ_INT(control(a, "{\"cmd\": \"option\", \"name\": \"auto-reconnect\", "
                            "\"value\": false}"), 0);
    startups = a->startups;
    id = sm_cord_wlan_connect(&a->cord, SSID, SM_CORD_SEC_WPA_WPA2, WIFI_KEY, on_done, a);
    CHECK(id > 0);
    spin(a, 300); /* its OK is in; it waits for the association */
    CHECK(sm_cord_pending(&a->cord, id));
    t0 = sm_posix_now_ms();
    CHECK_EQ_INT(control(a, "{\"cmd\": \"reboot\"}"), 0);
    d = finish(a, id);
    CHECK_EQ_INT(d->status, SM_ERR_REBOOT);
    CHECK(sm_posix_now_ms() - t0 < 2000u); /* at the start-up event, not a timeout */
    CHECK(a->startups == startups + 1);
    CHECK(!sm_cord_get_state(&a->cord)->wlan_connected);
    CHECK_EQ_INT(control(a, "{\"cmd\": \"option\", \"name\": \"wlan-delay\", \"value\": 0.2}"), 0);
    step_end();

    step("after the restart: in sync, files and settings kept, delete a file");
    CHECK(finish_ok(a, sm_cord_test(&a->cord, on_done, a)));
    d = finish(a, sm_cord_file_get_info(&a->cord, "client.key", on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_INT(d->info.size, g_files[2].len);
    d = finish(a, sm_cord_get(&a->cord, "MQTT", "clientId", on_done, a));
    CHECK_EQ_STR(d->text, "cordelia-e2e");
    CHECK(finish_ok(a, sm_cord_file_delete(&a->cord, "wrong-ca.pem", on_done, a)));
    d = finish(a, sm_cord_file_get_info(&a->cord, "wrong-ca.pem", on_done, a));
    CHECK_EQ_INT(d->code, -10341);
    step_end();
}

static void test_factory_reset(app *a)
{
    const done_rec *d;
    int startups = a->startups;
    step("factory reset -> OK, +eventstartup; files and settings gone");
    CHECK_EQ_INT(control(a, "{\"cmd\": \"option\", \"name\": \"factory-reset-time\", "
                            "\"value\": 0.2}"), 0);
    d = finish(a, sm_cord_factory_reset(&a->cord, on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_STR(d->text, "1.0.0");
    CHECK_EQ_INT(a->startups, startups + 1);
    d = finish(a, sm_cord_get(&a->cord, "MQTT", "rootCAPath", on_done, a));
    CHECK_EQ_INT(d->status, SM_OK);
    CHECK_EQ_STR(d->text, "");
    d = finish(a, sm_cord_file_get_info(&a->cord, "ca.pem", on_done, a));
    CHECK_EQ_INT(d->code, -10341);
    step_end();
}

int main(int argc, char **argv)
{
    app *a = &g_app;
    sm_platform plat;
    int broker_port, echo_port, i;
    const char *payload;

    if (argc != 7) {
        fprintf(stderr, "usage: %s <pty> <control> <broker port> <echo port> <pem dir> <payload>\n",
                argv[0]);
        return 2;
    }
    a->control = argv[2];
    broker_port = atoi(argv[3]);
    echo_port = atoi(argv[4]);
    payload = argv[6];
    for (i = 0; i < 4; i++)
        if (load(&g_files[i], argv[5]) != 0) {
            fprintf(stderr, "cannot read %s/%s\n", argv[5], g_files[i].name);
            return 2;
        }
    if (sm_posix_open(&a->port, argv[1], 115200) != 0) {
        perror(argv[1]);
        return 2;
    }
    a->port.trace = getenv("SM_TRACE") != NULL;
    sm_posix_platform(&a->port, &plat);
    if (sm_cord_init(&a->cord, &plat, on_event, a) != SM_OK) return 2;
    if (sm_cord_set_msg_buffer(&a->cord, a->msg_buf, sizeof a->msg_buf) != SM_OK) return 2;

    test_restart_and_basics(a);
    test_files(a);
    test_configure_and_wifi(a, broker_port);
    test_mqtt(a, payload, "pass 1");
    test_socket(a, echo_port, "pass 1");
    test_mqtt_disconnect(a, "pass 1");

    step("simulator: inject events between commands and their OK");
    CHECK_EQ_INT(control(a, "{\"cmd\": \"option\", \"name\": \"inject-hold\", \"value\": 0.3}"), 0);
    CHECK_EQ_INT(control(a, "{\"cmd\": \"option\", \"name\": \"inject-events\", \"value\": true}"),
                 0);
    step_end();
    test_wifi(a, "pass 2 (injected events)");
    test_mqtt(a, payload, "pass 2 (injected events)");
    test_socket(a, echo_port, "pass 2 (injected events)");
    test_mqtt_disconnect(a, "pass 2 (injected events)");
    CHECK_EQ_INT(control(a, "{\"cmd\": \"option\", \"name\": \"inject-events\", \"value\": false}"),
                 0);

    test_wrong_ca(a);
    test_failure_paths(a, echo_port);
    test_reboot_injected(a);
    test_factory_reset(a);

    step("no event went unhandled; every event carried its line (sm_event)");
    CHECK_EQ_INT(a->unhandled, 0);
    CHECK(a->events > 0);
    CHECK_EQ_INT(a->bad_lines, 0);
    step_end();
    sm_posix_close(&a->port);
    return sm_test_finish("test_cordelia_e2e");
}
