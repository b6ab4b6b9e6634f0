/* demo_mqtt.c - example firmware: mutual-TLS MQTT through an AT modem.

       demo_mqtt sequans <serial port> <broker port> <dir> <atecc socket>
       demo_mqtt cordelia <serial port> <broker port> <dir>

   `make demo` runs it against the simulator (tests/e2e/run_demo.py starts the
   simulated modem, the ATECC608 emulator, a test CA and a mosquitto that
   requires client certificates). On a board the serial port is the modem's
   UART and the ATECC608 sits on I2C instead of the emulator's socket.

   Sequans GM02S (the device key never leaves the ATECC608): the
   application of examples/demo_mqtt_app.h, which the Cortex-M and AVR
   firmware run as well; this file gives it the PC's ports and files:
     bring the modem up, read the chip's serial number, build a certificate
     signing request (CSR) with the chip's slot-0 key and write it to
     <dir>/device.csr; a CA (here the demo runner) issues <dir>/device.crt;
     store the CA and the device certificate (never a key) in the modem's
     NVM, configure a TLS profile with the key "in the host", connect the
     modem's MQTT client: during the handshake the modem asks the host for a
     signature (+SQNHCESIGN) and sm_hce has the chip make it. Then subscribe,
     publish three messages (one binary), read each back, disconnect.
     Built with -DSM_DM_PROVISIONED (make demo PROVISIONED=1): no CSR; the
     device and signer certificates are rebuilt from the (emulated)
     Trust&GO-style chip, only <dir>/ca.pem comes from the host.
   Cordelia-I (Wi-Fi; it has no host signing, its TLS key lives in the
   module's file system): upload <dir>/ca.pem, client.pem and client.key,
   configure MQTT, join Wi-Fi, connect, publish three text messages, receive
   each back, disconnect.

   The program is a superloop that never blocks: every step starts an
   operation and returns; the loop polls the library, and the step's check
   says when the operation (reported by a done callback or an event) is
   over (the Cordelia steps here follow the shared application's pattern). The rest of a firmware would run in the same loop.
   Exit status 0 only if every step succeeded. SM_TRACE=1 prints every AT
   line sent and received (stderr). */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "sm_atecc_bridge.h"
#include "sm_posix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SM_DM_FILE_CAP 4096u
#ifdef SM_DM_PROVISIONED /* make demo PROVISIONED=1: the chip's own certificates */
#include "cert_defs.h"   /* python3 -m sim.chips.provision DIR writes it (DIR on the include path) */
#endif
#include "../demo_mqtt_app.h"

/* ---- the Cordelia-I application ------------------------------------------------ */
#define WIFI_SSID      "secmodem-lab"
#define WIFI_KEY       "secmodem-pass"
#define STEP_TIMEOUT_MS 30000u
#define FILE_CAP       8192
#define NMSG           3

/* The messages published (and expected back, as the device subscribes to
   its own topic); the module's MQTT client carries text. */
static const char *const TEXT_MSG[NMSG] = {
    "hello from secmodem",
    "{\"temperature\":21.5,\"unit\":\"C\",\"ok\":true}",
    "third message, \"quoted\", with commas"
};

typedef struct file_buf {
    uint8_t data[FILE_CAP];
    size_t len;
} file_buf;

typedef struct demo {
    const char *dir;
    uint16_t broker_port;
    sm_cord cord;
    sm_cord_mqtt_opts mqtt_cfg;
    char msg_buf[1200];       /* received MQTT messages longer than a line */

    /* the operation the current step waits for */
    int op_id, op_done, op_status;
    char op_text[64];         /* its result text (an IP address...) */

    /* what the events said */
    int startups, connected, conn_rc, disconnected;
    int received;
    uint8_t rx[512];
    size_t rx_len;

    file_buf ca, device, key;
    int next_msg;

    /* the summary */
    unsigned steps_ok;
    int sent;
    unsigned long bytes_out, bytes_in;
} demo;

static int load_file(const char *dir, const char *name, file_buf *f)
{
    char path[512];
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "rb");
    if (!fp) return -1;
    f->len = fread(f->data, 1, sizeof f->data - 1, fp);
    fclose(fp);
    f->data[f->len] = 0;
    return f->len > 0 ? 0 : -1;
}

static void note(const char *text) { printf("        %s\n", text); }

static void cord_done(void *ctx, sm_cord *c, const sm_result *r)
{
    demo *d = (demo *)ctx;
    (void)c;
    if (r->id != d->op_id) return;
    d->op_done = 1;
    d->op_status = r->status;
    snprintf(d->op_text, sizeof d->op_text, "%s", r->text ? r->text : "");
    if (r->status != SM_OK)
        printf("        module error %ld %s\n", (long)r->code, r->err_text ? r->err_text : "");
}

static void cord_event(void *ctx, sm_cord *c, const sm_event *ev)
{
    demo *d = (demo *)ctx;
    (void)c;
    switch (ev->type) {
    case SM_CORD_EV_STARTUP: d->startups++; break;
    case SM_CORD_EV_MQTT_INFO:
        if (strcmp(ev->u.mqtt.status, "CONNACK") == 0) { d->connected++; d->conn_rc = (int)ev->u.mqtt.code; }
        else if (strcmp(ev->u.mqtt.status, "DISCONNECT") == 0) d->disconnected++;
        break;
    case SM_CORD_EV_MQTT_RECV:
        d->rx_len = ev->u.msg.len < sizeof d->rx ? ev->u.msg.len : 0;
        memcpy(d->rx, ev->u.msg.payload, d->rx_len);
        d->received++;
        break;
    default: break;
    }
}

/* start(): begins the step; returns an operation id (> 0) to wait for, 0
   when check() alone decides, < 0 on failure. check(): 1 done, 0 not yet,
   -1 failed. Neither ever waits. */
typedef struct step {
    const char *name;
    int (*start)(demo *d);
    int (*check)(demo *d);
} step;

static int op_ok(demo *d)
{
    if (!d->op_done) return 0;
    if (d->op_status != SM_OK) printf("        failed: %s\n", sm_strerror(d->op_status));
    return d->op_status == SM_OK ? 1 : -1;
}

static int c_connect(demo *d)
{
    int rc = op_ok(d);
    if (rc <= 0) return rc;
    if (!d->connected) return 0; /* the broker's answer comes as an event */
    if (d->conn_rc != 0) { printf("        refused, rc %d\n", d->conn_rc); return -1; }
    return 1;
}

static int s_publish(demo *d)
{
    const char *msg = TEXT_MSG[d->next_msg];
    int id;
    d->received = 0;
    id = sm_cord_mqtt_publish(&d->cord, 0, msg, cord_done, d);
    if (id > 0) printf("        sent     %3lu bytes: %s\n", (unsigned long)strlen(msg), msg);
    return id;
}
static int c_publish(demo *d)
{
    const char *msg = TEXT_MSG[d->next_msg];
    size_t n = strlen(msg);
    int rc = op_ok(d);
    if (rc <= 0) return rc;
    if (!d->received) return 0; /* not back yet */
    printf("        received %3lu bytes: %.*s\n", (unsigned long)d->rx_len, (int)d->rx_len,
           (const char *)d->rx);
    if (d->rx_len != n || memcmp(d->rx, msg, n) != 0) {
        note("... not what was sent");
        return -1;
    }
    d->sent++;
    d->bytes_out += (unsigned long)n;
    d->bytes_in += (unsigned long)d->rx_len;
    d->next_msg++;
    return 1;
}

static int s_disconnect(demo *d) { return sm_cord_mqtt_disconnect(&d->cord, cord_done, d); }
static int c_disconnect(demo *d)
{
    int rc = op_ok(d);
    if (rc <= 0) return rc;
    return d->disconnected ? 1 : 0;
}

/* AT+test until the module answers (its start-up event may cut the first
   one), then its firmware version */
static int s_bringup(demo *d) { return sm_cord_bringup(&d->cord, NULL, cord_done, d); }
static int c_bringup(demo *d)
{
    int rc = op_ok(d);
    if (rc > 0) printf("        firmware %s\n", d->op_text);
    return rc;
}
static int upload(demo *d, const char *name, const file_buf *f)
{
    printf("        %s, %lu bytes\n", name, (unsigned long)f->len);
    return sm_cord_file_upload(&d->cord, name, f->data, f->len, cord_done, d);
}
static int s_up_ca(demo *d) { return upload(d, "ca.pem", &d->ca); }
static int s_up_cert(demo *d) { return upload(d, "client.pem", &d->device); }
static int s_up_key(demo *d) { return upload(d, "client.key", &d->key); }

static int s_cord_mqtt(demo *d)
{
    /* like every argument of a start function, the settings must stay
       valid until the operation ends: they live in the application's state */
    sm_cord_mqtt_opts *cfg = &d->mqtt_cfg;
    sm_cord_mqtt_opts_init(cfg);
    cfg->endpoint = "127.0.0.1";
    cfg->port = d->broker_port;
    cfg->flags = "url|sec";           /* TLS */
    cfg->client_id = "secmodem-demo-cordelia";
    cfg->ca_file = "ca.pem";          /* the files uploaded above */
    cfg->cert_file = "client.pem";
    cfg->key_file = "client.key";
    cfg->keep_alive_s = 60;
    cfg->clean_session = 1;
    cfg->sub[0].name = SM_DM_TOPIC_FILTER;  /* subscribed at connect */
    cfg->sub[0].qos = 0;
    cfg->pub[0].name = SM_DM_TOPIC;        /* publish topic 0 */
    cfg->pub[0].qos = 0;
    cfg->pub[0].retain = 0;
    return sm_cord_mqtt_config(&d->cord, cfg, cord_done, d);
}

static int s_wifi(demo *d)
{
    return sm_cord_wlan_connect(&d->cord, WIFI_SSID, SM_CORD_SEC_WPA_WPA2, WIFI_KEY, cord_done, d);
}
static int c_wifi(demo *d)
{
    int rc = op_ok(d);
    if (rc > 0) printf("        joined %s, address %s\n", WIFI_SSID, d->op_text);
    return rc;
}

static int s_cord_connect(demo *d) { return sm_cord_mqtt_connect(&d->cord, cord_done, d); }

static const step CORDELIA_STEPS[] = {
    { "module bring-up: AT+test until it answers, firmware version", s_bringup, c_bringup },
    { "file system: upload the CA certificate", s_up_ca, op_ok },
    { "file system: upload the client certificate", s_up_cert, op_ok },
    { "file system: upload the client key (the module keeps it)", s_up_key, op_ok },
    { "MQTT settings: broker, TLS files, client id, topics", s_cord_mqtt, op_ok },
    { "Wi-Fi: connect and get an address", s_wifi, c_wifi },
    { "MQTT: connect with mutual TLS, subscribed to " SM_DM_TOPIC_FILTER, s_cord_connect, c_connect },
    { "MQTT: publish message 1 and receive it back", s_publish, c_publish },
    { "MQTT: publish message 2 and receive it back", s_publish, c_publish },
    { "MQTT: publish message 3 and receive it back", s_publish, c_publish },
    { "MQTT: disconnect", s_disconnect, c_disconnect },
};

/* ---- the superloops ---------------------------------------------------------------- */
static int run_cordelia(demo *d, sm_posix *port, const step *steps, unsigned n)
{
    unsigned cur = 0;
    int started = 0, rc;
    uint32_t t_step = 0;
    while (cur < n) {
        /* 1. let the library work: read the serial port, run callbacks */
        if (sm_cord_poll(&d->cord) == SM_ERR_IO) {
            printf("serial port failed\n");
            return -1;
        }
        /* 2. the demo's own work: start a step, or see whether it is over */
        if (!started) {
            printf("[%2u/%u] %s\n", cur + 1, n, steps[cur].name);
            fflush(stdout);
            d->op_done = 0;
            d->op_status = SM_OK;
            d->op_id = rc = steps[cur].start(d);
            if (rc < 0) {
                printf("        could not start: %s\n", sm_strerror(rc));
                return -1;
            }
            t_step = sm_posix_now_ms();
            started = 1;
        }
        rc = steps[cur].check(d);
        if (rc < 0) return -1;
        if (rc > 0) {
            printf("        ok (%lu ms)\n", (unsigned long)(sm_posix_now_ms() - t_step));
            fflush(stdout);
            d->steps_ok++;
            cur++;
            started = 0;
            continue;
        }
        if (sm_posix_now_ms() - t_step > STEP_TIMEOUT_MS) {
            note("timed out");
            return -1;
        }
        /* 3. sleep until the modem sends bytes; a firmware would do its
           other work here */
        fflush(stdout);
        sm_posix_wait(port, 5);
    }
    return 0;
}

/* -- the Sequans application's host: files in <dir> -- */
typedef struct pc_host {
    const char *dir;
} pc_host;

static int pc_csr_ready(void *user, const char *pem, size_t len)
{
    pc_host *h = (pc_host *)user;
    char path[512], tmp[520];
    FILE *f;
    snprintf(path, sizeof path, "%s/device.csr", h->dir);
    snprintf(tmp, sizeof tmp, "%s.part", path);
    f = fopen(tmp, "wb");
    if (!f || fwrite(pem, 1, len, f) != len) { if (f) fclose(f); return -1; }
    fclose(f);
    if (rename(tmp, path) != 0) return -1; /* the CA never sees half a file */
    printf("CSR %s\n", path);             /* the line the demo runner (our CA) waits for */
    return 0;
}

static long pc_get_file(void *user, const char *name, uint8_t *buf, size_t cap)
{
    pc_host *h = (pc_host *)user;
    char path[512];
    struct stat st;
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", h->dir, name);
    if (stat(path, &st) != 0) return 0; /* not issued yet: asked again */
    if ((unsigned long)st.st_size > cap) return -1;
    f = fopen(path, "rb");
    if (!f) return -1;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

static sm_dm_app g_app; /* the Sequans application (~10 KB): not on the stack */
static demo g_demo;     /* the Cordelia one (file buffers) */

static int main_sequans(char **argv)
{
    sm_dm_app *a = &g_app;
    sm_posix port;
    sm_atecc_bridge bus;
    sm_platform uart, i2c;
    pc_host host_ctx;
    sm_dm_host host;
    int rc;

    host_ctx.dir = argv[4];
    host.user = &host_ctx;
    host.csr_ready = pc_csr_ready;
    host.get_file = pc_get_file;
    if (sm_posix_open(&port, argv[2], 115200) != 0) { perror(argv[2]); return 2; }
    port.trace = getenv("SM_TRACE") != NULL;
    sm_posix_platform(&port, &uart);
    if (sm_atecc_bridge_open(&bus, argv[5]) != 0) { perror(argv[5]); return 2; }
    sm_atecc_bridge_platform(&bus, &i2c);
    printf("secmodem demo: Sequans GM02S + ATECC608 modem on %s, broker 127.0.0.1:%s\n", argv[2],
           argv[3]);
    if (sm_dm_init(a, &uart, &i2c, &host, "127.0.0.1", (uint16_t)atoi(argv[3])) != SM_OK) return 2;
    /* the superloop: poll; sleep until the modem sends bytes (or only
       briefly while the chip signs); a firmware does its other work here */
    while ((rc = sm_dm_poll(a)) == SM_DM_RUNNING) {
        fflush(stdout);
        sm_posix_wait(&port, sm_dm_busy(a) ? 1 : 5);
    }
    sm_dm_summary(a, rc);
    sm_atecc_bridge_close(&bus);
    sm_posix_close(&port);
    return rc == SM_DM_SUCCEEDED ? 0 : 1;
}

static int main_cordelia(char **argv)
{
    demo *d = &g_demo;
    sm_posix port;
    sm_platform uart;
    uint32_t t0 = sm_posix_now_ms();
    unsigned nsteps = (unsigned)(sizeof CORDELIA_STEPS / sizeof CORDELIA_STEPS[0]);
    int rc;

    d->broker_port = (uint16_t)atoi(argv[3]);
    d->dir = argv[4];
    if (load_file(d->dir, "ca.pem", &d->ca) != 0 || load_file(d->dir, "client.pem", &d->device) != 0 ||
        load_file(d->dir, "client.key", &d->key) != 0) {
        fprintf(stderr, "cannot read the certificate files in %s\n", d->dir);
        return 2;
    }
    if (sm_posix_open(&port, argv[2], 115200) != 0) { perror(argv[2]); return 2; }
    port.trace = getenv("SM_TRACE") != NULL;
    sm_posix_platform(&port, &uart);
    printf("secmodem demo: Cordelia-I modem on %s, broker 127.0.0.1:%u\n", argv[2], d->broker_port);
    if (sm_cord_init(&d->cord, &uart, cord_event, d) != SM_OK ||
        sm_cord_set_msg_buffer(&d->cord, d->msg_buf, sizeof d->msg_buf) != SM_OK)
        return 2;
    rc = run_cordelia(d, &port, CORDELIA_STEPS, nsteps);
    sm_posix_close(&port);
    printf("\nsummary: %u of %u steps ok; %d of %d messages sent and received back "
           "(%lu bytes out, %lu in); %lu ms\n", d->steps_ok, nsteps, d->sent, NMSG, d->bytes_out,
           d->bytes_in, (unsigned long)(sm_posix_now_ms() - t0));
    printf("demo %s\n", rc == 0 ? "succeeded" : "FAILED");
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "sequans") == 0) return main_sequans(argv);
    if (argc == 5 && strcmp(argv[1], "cordelia") == 0) return main_cordelia(argv);
    fprintf(stderr, "usage: %s sequans <serial port> <broker port> <dir> <atecc socket>\n"
                    "       %s cordelia <serial port> <broker port> <dir>\n", argv[0], argv[0]);
    return 2;
}
