/* demo_mqtt.c - example firmware: mutual-TLS MQTT through an AT modem.

       demo_mqtt sequans <serial port> <broker port> <dir> <atecc socket>
       demo_mqtt cordelia <serial port> <broker port> <dir>

   `make demo` runs it against the simulator (tests/run_demo.py starts the
   simulated modem, the ATECC608 emulator, a test CA and a mosquitto that
   requires client certificates). On a board the serial port is the modem's
   UART and the ATECC608 sits on I2C instead of the emulator's socket.

   Sequans GM02S (the device key never leaves the ATECC608):
     bring the modem up, read the chip's serial number, build a certificate
     signing request (CSR) with the chip's slot-0 key and write it to
     <dir>/device.csr; a CA (here the demo runner) issues <dir>/device.crt;
     store the CA and the device certificate (never a key) in the modem's
     NVM, configure a TLS profile with the key "in the host", connect the
     modem's MQTT client: during the handshake the modem asks the host for a
     signature (+SQNHCESIGN) and sm_hce has the chip make it. Then subscribe,
     publish three messages (one binary), read each back, disconnect.
   Cordelia-I (Wi-Fi; it has no host signing, its TLS key lives in the
   module's file system): upload <dir>/ca.pem, client.pem and client.key,
   configure MQTT, join Wi-Fi, connect, publish three text messages, receive
   each back, disconnect.

   The program is a superloop that never blocks: every step starts an
   operation and returns; the loop polls the library, and the step's check
   says when the operation (reported by a done callback or an event) is
   over. The rest of a firmware would run in the same loop.
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

/* ---- what this device uses -------------------------------------------------- */
#define TOPIC_FILTER   "secmodem/demo/#"
#define TOPIC          "secmodem/demo/telemetry"
#define NVM_CA         19   /* modem NVM slot of the CA certificate */
#define NVM_DEVICE     18   /* modem NVM slot of the device certificate */
#define TLS_PROFILE    1    /* modem security profile */
#define CHIP_KEY_SLOT  0    /* the device's private key in the ATECC608 */
#define WIFI_SSID      "secmodem-lab"
#define WIFI_KEY       "secmodem-pass"
#define STEP_TIMEOUT_MS 30000u
#define FILE_CAP       8192
#define NMSG           3

/* The messages published (and expected back, as the device subscribes to
   its own topic). The third Sequans message is binary: every byte value. */
static const char *const TEXT_MSG[NMSG] = {
    "hello from secmodem",
    "{\"temperature\":21.5,\"unit\":\"C\",\"ok\":true}",
    "third message, \"quoted\", with commas"
};

/* ---- the application's state ---------------------------------------------------- */
typedef struct file_buf {
    uint8_t data[FILE_CAP];
    size_t len;
} file_buf;

typedef struct demo {
    int sequans;              /* 1: Sequans + ATECC608; 0: Cordelia-I */
    const char *dir;
    uint16_t broker_port;
    sm_posix port;            /* the serial port */
    sm_sqn sqn;               /* Sequans dialect */
    sm_atecc_bridge bus;      /* I2C to the ATECC608 (here: the emulator) */
    sm_atecc chip;
    sm_hce hce;               /* host signing: modem asks, chip signs */
    sm_csr csr;
    sm_cord cord;             /* Cordelia-I dialect */
    sm_cord_mqtt_config mqtt_cfg;

    /* the operation the current step waits for */
    int op_id, op_done, op_status;
    char op_text[64];         /* Cordelia: its result text (IP address...) */

    /* what the events said */
    int startups, connected, conn_rc, subscribed, sub_rc, published, disconnected;
    int signatures, sign_failures;
    int received;             /* messages read back completely */
    int reading;              /* a Sequans read is in progress */
    uint8_t rx[512];
    size_t rx_len;
    char rx_topic[64];

    /* provisioning */
    uint8_t serial[9];
    char cn[40];
    sm_dn_attr subject[2];
    char csr_pem[1024];
    file_buf ca, device, key;

    /* the messages */
    uint8_t msg[NMSG][256];
    size_t msg_len[NMSG];
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

/* ---- callbacks (called from inside the poll functions) ------------------------------- */

/* An operation ended: remember it if it is the one the current step waits for. */
static void sqn_done(void *ctx, sm_sqn *m, const sm_sqn_result *r)
{
    demo *d = (demo *)ctx;
    (void)m;
    if (r->id != d->op_id) return;
    d->op_done = 1;
    d->op_status = r->status;
}

static void sqn_read_done(void *ctx, sm_sqn *m, const sm_sqn_result *r)
{
    demo *d = (demo *)ctx;
    (void)m;
    d->reading = 0;
    if (r->status == SM_OK) {
        d->rx_len = r->u.data.len;
        d->received++;
    }
}

static void sqn_event(void *ctx, sm_sqn *m, const sm_sqn_event *ev)
{
    demo *d = (demo *)ctx;
    if (sm_hce_on_event(&d->hce, ev)) return; /* a signing request: sm_hce's job */
    switch (ev->type) {
    case SM_SQN_EV_MQTT_CONNECTED: d->connected++; d->conn_rc = (int)ev->u.mqtt.rc; break;
    case SM_SQN_EV_MQTT_DISCONNECTED: d->disconnected++; break;
    case SM_SQN_EV_MQTT_SUBSCRIBED: d->subscribed++; d->sub_rc = (int)ev->u.sub.rc; break;
    case SM_SQN_EV_MQTT_PUBLISHED: d->published++; break;
    case SM_SQN_EV_MQTT_MESSAGE:
        /* a message arrived in the modem: read it out */
        snprintf(d->rx_topic, sizeof d->rx_topic, "%s", ev->u.msg.topic);
        if (sm_sqn_mqtt_read(m, ev->u.msg.topic, ev->u.msg.mid, ev->u.msg.len, d->rx, sizeof d->rx,
                             sqn_read_done, d) > 0)
            d->reading = 1;
        break;
    default: break;
    }
}

static void hce_event(void *ctx, sm_hce *h, const sm_hce_event *ev)
{
    demo *d = (demo *)ctx;
    (void)h;
    if (ev->type == SM_HCE_EV_ANSWERED && ev->sign == SM_OK) {
        d->signatures++;
        printf("        the modem asked for the TLS signature; the chip signed with key %u\n", ev->key);
    } else {
        d->sign_failures++;
        printf("        signature request %s: %s\n", sm_hce_event_name(ev->type), sm_strerror(ev->sign));
    }
}

static void cord_done(void *ctx, sm_cord *c, const sm_cord_result *r)
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

static void cord_event(void *ctx, sm_cord *c, const sm_cord_event *ev)
{
    demo *d = (demo *)ctx;
    (void)c;
    switch (ev->kind) {
    case SM_CORD_EV_STARTUP: d->startups++; break;
    case SM_CORD_EV_MQTT_INFO:
        if (strcmp(ev->u.mqtt.status, "CONNACK") == 0) { d->connected++; d->conn_rc = (int)ev->u.mqtt.code; }
        else if (strcmp(ev->u.mqtt.status, "DISCONNECT") == 0) d->disconnected++;
        break;
    case SM_CORD_EV_MQTT_RECV:
        snprintf(d->rx_topic, sizeof d->rx_topic, "%s", ev->u.msg.topic);
        d->rx_len = ev->u.msg.len < sizeof d->rx ? ev->u.msg.len : 0;
        memcpy(d->rx, ev->u.msg.payload, d->rx_len);
        d->received++;
        break;
    default: break;
    }
}

/* ---- steps ------------------------------------------------------------------------------
   start(): begins the step; returns an operation id (> 0) to wait for, 0
   when check() alone decides, < 0 on failure. check(): 1 done, 0 not yet,
   -1 failed. Neither ever waits. */
typedef struct step {
    const char *name;
    int (*start)(demo *d);
    int (*check)(demo *d);
} step;

/* the usual check: the operation's done callback came, with SM_OK */
static int op_ok(demo *d)
{
    if (!d->op_done) return 0;
    if (d->op_status != SM_OK) printf("        failed: %s\n", sm_strerror(d->op_status));
    return d->op_status == SM_OK ? 1 : -1;
}

/* -- Sequans + ATECC608 -- */
static int s_bringup(demo *d) { return sm_sqn_bringup(&d->sqn, sqn_done, d); }

static int s_serial(demo *d) { return sm_atecc_serial_start(&d->chip, d->serial); }
static int c_serial(demo *d)
{
    int rc = sm_atecc_poll(&d->chip);
    size_t i;
    if (rc == SM_ATECC_PENDING) return 0;
    if (rc != SM_OK) { printf("        chip error: %s\n", sm_strerror(rc)); return -1; }
    snprintf(d->cn, sizeof d->cn, "secmodem-demo-");
    for (i = 0; i < sizeof d->serial; i++)
        snprintf(d->cn + strlen(d->cn), sizeof d->cn - strlen(d->cn), "%02x", d->serial[i]);
    printf("        serial number %s\n", d->cn + strlen("secmodem-demo-"));
    return 1;
}

static int s_csr(demo *d)
{
    d->subject[0].type = SM_DN_O;
    d->subject[0].value = "secmodem demo devices";
    d->subject[1].type = SM_DN_CN;
    d->subject[1].value = d->cn;  /* the device's name: from its serial number */
    return sm_csr_start(&d->csr, &d->chip, CHIP_KEY_SLOT, d->subject, 2, SM_CSR_PEM, d->csr_pem,
                        sizeof d->csr_pem);
}
static int c_csr(demo *d)
{
    char path[512], tmp[520];
    FILE *f;
    size_t len;
    int rc = sm_csr_poll(&d->csr);
    if (rc == SM_ATECC_PENDING) return 0;
    if (rc != SM_OK) { printf("        CSR failed: %s\n", sm_strerror(rc)); return -1; }
    len = sm_csr_out_len(&d->csr);
    snprintf(path, sizeof path, "%s/device.csr", d->dir);
    snprintf(tmp, sizeof tmp, "%s.part", path);
    f = fopen(tmp, "wb");
    if (!f || fwrite(d->csr_pem, 1, len, f) != len) { if (f) fclose(f); return -1; }
    fclose(f);
    if (rename(tmp, path) != 0) return -1; /* the CA never sees half a file */
    printf("        CN=%s, %lu bytes of PEM\n", d->cn, (unsigned long)len);
    printf("CSR %s\n", path); /* the line the demo runner (our CA) waits for */
    return 1;
}

static int s_none(demo *d) { (void)d; return 0; }
static int c_certificate(demo *d)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/device.crt", d->dir);
    if (stat(path, &st) != 0) return 0; /* not issued yet: keep looping */
    if (load_file(d->dir, "device.crt", &d->device) != 0) return -1;
    printf("        device certificate received, %lu bytes\n", (unsigned long)d->device.len);
    return 1;
}

static int s_nvm_ca(demo *d)
{
    return sm_sqn_nvm_write(&d->sqn, SM_SQN_NVM_CERT, NVM_CA, d->ca.data, d->ca.len, sqn_done, d);
}
static int s_nvm_device(demo *d)
{
    return sm_sqn_nvm_write(&d->sqn, SM_SQN_NVM_CERT, NVM_DEVICE, d->device.data, d->device.len,
                            sqn_done, d);
}

static int s_profile(demo *d)
{
    sm_sqn_tls t;
    sm_sqn_tls_defaults(&t, TLS_PROFILE, NVM_CA, 1); /* check chain, dates, host name */
    t.ciphers = "0xC02B;0xC02F";                      /* ECDHE with AES-128-GCM */
    t.cert_slot = NVM_DEVICE;
    t.key_slot = CHIP_KEY_SLOT;  /* with key_in_host: the key id passed to the host */
    t.key_in_host = 1;           /* the modem asks the host for every signature */
    return sm_sqn_tls_config(&d->sqn, &t, sqn_done, d);
}

static int s_mqtt_config(demo *d)
{
    return sm_sqn_mqtt_config(&d->sqn, d->cn, NULL, NULL, TLS_PROFILE, sqn_done, d);
}

static int s_connect(demo *d) { return sm_sqn_mqtt_connect(&d->sqn, "127.0.0.1", d->broker_port, 30, sqn_done, d); }
static int c_connect(demo *d)
{
    int rc = op_ok(d);
    if (rc <= 0) return rc;
    if (!d->connected) return 0; /* the broker's answer comes as an event */
    if (d->conn_rc != 0) { printf("        refused, rc %d\n", d->conn_rc); return -1; }
    return 1;
}

static int s_subscribe(demo *d) { return sm_sqn_mqtt_subscribe(&d->sqn, TOPIC_FILTER, 1, sqn_done, d); }
static int c_subscribe(demo *d)
{
    int rc = op_ok(d);
    if (rc <= 0) return rc;
    if (!d->subscribed) return 0;
    return d->sub_rc == 0 ? 1 : -1;
}

static void print_payload(const char *what, const uint8_t *p, size_t n, int binary)
{
    size_t i;
    printf("        %s %3lu bytes: ", what, (unsigned long)n);
    if (binary) {
        for (i = 0; i < n && i < 12; i++) printf("%02x", p[i]);
        printf("%s (binary)\n", n > 12 ? "..." : "");
    } else {
        printf("%.*s\n", (int)n, (const char *)p);
    }
}

static int s_publish(demo *d)
{
    int i = d->next_msg;
    int id;
    d->received = 0;
    id = d->sequans ? sm_sqn_mqtt_publish(&d->sqn, TOPIC, 1, d->msg[i], d->msg_len[i], sqn_done, d)
                    : sm_cord_mqtt_publish(&d->cord, 0, (const char *)d->msg[i], cord_done, d);
    if (id > 0) print_payload("sent    ", d->msg[i], d->msg_len[i], d->sequans && i == NMSG - 1);
    return id;
}
static int c_publish(demo *d)
{
    int i = d->next_msg;
    int rc = op_ok(d);
    if (rc <= 0) return rc;
    if (!d->received || d->reading) return 0; /* not back yet */
    print_payload("received", d->rx, d->rx_len, d->sequans && i == NMSG - 1);
    if (d->rx_len != d->msg_len[i] || memcmp(d->rx, d->msg[i], d->rx_len) != 0) {
        note("... not what was sent");
        return -1;
    }
    d->sent++;
    d->bytes_out += (unsigned long)d->msg_len[i];
    d->bytes_in += (unsigned long)d->rx_len;
    d->next_msg++;
    return 1;
}

static int s_disconnect(demo *d)
{
    return d->sequans ? sm_sqn_mqtt_disconnect(&d->sqn, sqn_done, d)
                      : sm_cord_mqtt_disconnect(&d->cord, cord_done, d);
}
static int c_disconnect(demo *d)
{
    int rc = op_ok(d);
    if (rc <= 0) return rc;
    return d->disconnected ? 1 : 0;
}

static const step SEQUANS_STEPS[] = {
    { "modem bring-up: network registration and clock", s_bringup, op_ok },
    { "ATECC608: read the serial number", s_serial, c_serial },
    { "ATECC608: CSR for the slot-0 key, signed inside the chip", s_csr, c_csr },
    { "CA: waiting for the device certificate (the demo runner is the CA)", s_none, c_certificate },
    { "modem NVM: store the CA certificate", s_nvm_ca, op_ok },
    { "modem NVM: store the device certificate (never a private key)", s_nvm_device, op_ok },
    { "TLS profile: verify the broker, device certificate, key in the host (the chip)", s_profile, op_ok },
    { "MQTT: client id and TLS profile", s_mqtt_config, op_ok },
    { "MQTT: connect with mutual TLS", s_connect, c_connect },
    { "MQTT: subscribe to " TOPIC_FILTER, s_subscribe, c_subscribe },
    { "MQTT: publish message 1 (QoS 1) and receive it back", s_publish, c_publish },
    { "MQTT: publish message 2 (QoS 1) and receive it back", s_publish, c_publish },
    { "MQTT: publish message 3, binary (QoS 1), and receive it back", s_publish, c_publish },
    { "MQTT: disconnect", s_disconnect, c_disconnect },
};

/* -- Cordelia-I -- */
static int c_startup(demo *d) { return d->startups > 0; }
static int s_test(demo *d) { return sm_cord_test(&d->cord, cord_done, d); }
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
    sm_cord_mqtt_config *cfg = &d->mqtt_cfg;
    sm_cord_mqtt_config_init(cfg);
    cfg->endpoint = "127.0.0.1";
    cfg->port = d->broker_port;
    cfg->flags = "url|sec";           /* TLS */
    cfg->client_id = "secmodem-demo-cordelia";
    cfg->ca_file = "ca.pem";          /* the files uploaded above */
    cfg->cert_file = "client.pem";
    cfg->key_file = "client.key";
    cfg->keep_alive_s = 60;
    cfg->clean_session = 1;
    cfg->sub[0].name = TOPIC_FILTER;  /* subscribed at connect */
    cfg->sub[0].qos = 0;
    cfg->pub[0].name = TOPIC;         /* publish topic 0 */
    cfg->pub[0].qos = 0;
    cfg->pub[0].retain = 0;
    return sm_cord_mqtt_configure(&d->cord, cfg, cord_done, d);
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
    { "module start-up (+eventstartup)", s_none, c_startup },
    { "module answers (AT+test)", s_test, op_ok },
    { "file system: upload the CA certificate", s_up_ca, op_ok },
    { "file system: upload the client certificate", s_up_cert, op_ok },
    { "file system: upload the client key (the module keeps it)", s_up_key, op_ok },
    { "MQTT settings: broker, TLS files, client id, topics", s_cord_mqtt, op_ok },
    { "Wi-Fi: connect and get an address", s_wifi, c_wifi },
    { "MQTT: connect with mutual TLS, subscribed to " TOPIC_FILTER, s_cord_connect, c_connect },
    { "MQTT: publish message 1 and receive it back", s_publish, c_publish },
    { "MQTT: publish message 2 and receive it back", s_publish, c_publish },
    { "MQTT: publish message 3 and receive it back", s_publish, c_publish },
    { "MQTT: disconnect", s_disconnect, c_disconnect },
};

/* ---- the superloop ---------------------------------------------------------------------- */
static int run(demo *d, const step *steps, unsigned n)
{
    unsigned cur = 0;
    int started = 0, rc;
    uint32_t t_step = 0;
    while (cur < n) {
        /* 1. let the library work: read the serial port, run callbacks */
        if (d->sequans) {
            if (sm_sqn_poll(&d->sqn) == SM_ERR_IO) { printf("serial port failed\n"); return -1; }
            sm_hce_poll(&d->hce);
        } else if (sm_cord_poll(&d->cord) == SM_ERR_IO) {
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
        /* 3. sleep until the modem sends bytes (or briefly while the chip signs);
           a firmware would do its other work here */
        fflush(stdout);
        sm_posix_wait(&d->port, d->sequans && sm_hce_busy(&d->hce) ? 1 : 5);
    }
    return 0;
}

static demo g_demo; /* large (file buffers): not on the stack */

int main(int argc, char **argv)
{
    demo *d = &g_demo;
    sm_platform uart, i2c;
    uint32_t t0 = sm_posix_now_ms();
    unsigned nsteps;
    int i, rc;

    d->sequans = argc == 6 && strcmp(argv[1], "sequans") == 0;
    if (!d->sequans && !(argc == 5 && strcmp(argv[1], "cordelia") == 0)) {
        fprintf(stderr, "usage: %s sequans <serial port> <broker port> <dir> <atecc socket>\n"
                        "       %s cordelia <serial port> <broker port> <dir>\n", argv[0], argv[0]);
        return 2;
    }
    d->broker_port = (uint16_t)atoi(argv[3]);
    d->dir = argv[4];
    if (load_file(d->dir, "ca.pem", &d->ca) != 0 ||
        (!d->sequans && (load_file(d->dir, "client.pem", &d->device) != 0 ||
                         load_file(d->dir, "client.key", &d->key) != 0))) {
        fprintf(stderr, "cannot read the certificate files in %s\n", d->dir);
        return 2;
    }
    for (i = 0; i < NMSG; i++) { /* the messages to publish */
        d->msg_len[i] = strlen(TEXT_MSG[i]);
        memcpy(d->msg[i], TEXT_MSG[i], d->msg_len[i] + 1);
    }
    if (d->sequans) { /* the Sequans client carries binary: every byte value */
        for (i = 0; i < 256; i++) d->msg[NMSG - 1][i] = (uint8_t)i;
        d->msg_len[NMSG - 1] = 256;
    }

    /* the port: the serial line to the modem (and I2C to the chip) */
    if (sm_posix_open(&d->port, argv[2], 115200) != 0) { perror(argv[2]); return 2; }
    d->port.trace = getenv("SM_TRACE") != NULL;
    sm_posix_platform(&d->port, &uart);
    printf("secmodem demo: %s modem on %s, broker 127.0.0.1:%u\n",
           d->sequans ? "Sequans GM02S + ATECC608" : "Cordelia-I", argv[2], d->broker_port);
    if (d->sequans) {
        if (sm_atecc_bridge_open(&d->bus, argv[5]) != 0) { perror(argv[5]); return 2; }
        sm_atecc_bridge_platform(&d->bus, &i2c);
        if (sm_sqn_init(&d->sqn, &uart, sqn_event, d) != SM_OK ||
            sm_atecc_init(&d->chip, &i2c, SM_ATECC_ADDR_DEFAULT) != SM_OK ||
            sm_hce_init(&d->hce, &d->sqn, &d->chip, hce_event, d) != SM_OK)
            return 2;
        nsteps = (unsigned)(sizeof SEQUANS_STEPS / sizeof SEQUANS_STEPS[0]);
        rc = run(d, SEQUANS_STEPS, nsteps);
        sm_atecc_bridge_close(&d->bus);
    } else {
        if (sm_cord_init(&d->cord, &uart, cord_event, d) != SM_OK) return 2;
        nsteps = (unsigned)(sizeof CORDELIA_STEPS / sizeof CORDELIA_STEPS[0]);
        rc = run(d, CORDELIA_STEPS, nsteps);
    }
    sm_posix_close(&d->port);

    printf("\nsummary: %u of %u steps ok; %d of %d messages sent and received back "
           "(%lu bytes out, %lu in)", d->steps_ok, nsteps, d->sent, NMSG, d->bytes_out, d->bytes_in);
    if (d->sequans) printf("; %d TLS signatures by the chip", d->signatures);
    printf("; %.1f s\n", (double)(sm_posix_now_ms() - t0) / 1000.0);
    printf("demo %s\n", rc == 0 ? "succeeded" : "FAILED");
    return rc == 0 ? 0 : 1;
}
