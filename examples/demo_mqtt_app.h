/* demo_mqtt_app.h - the mutual-TLS MQTT demo application, free of any
   platform: a Sequans GM02S modem and an ATECC608 that holds the device key.
   The same code runs in the PC example (examples/posix/demo_mqtt.c), the
   bare-metal Cortex-M3 firmware under QEMU (examples/cortexm/demo_mqtt_cm.c)
   and the AVR firmware; each program supplies only its port (the modem's
   serial line, the chip's I2C bus, a clock) and a host: where the CSR goes
   and where the certificates come from.

   What it does, one step after the other, never waiting inside a call:
     bring the modem up; read the chip's serial number; build a certificate
     signing request (CSR) for the chip's slot-0 key, signed inside the chip,
     and hand it to the host (who gets it to a CA); wait until the host has
     the device certificate; store the CA and the device certificate (never
     a key) in the modem's NVM; configure a TLS profile whose key is "in the
     host", so that during the handshake the modem asks for a signature
     (+SQNHCESIGN) and sm_hce has the chip make it; connect the modem's MQTT
     client with mutual TLS; subscribe to its own topic; publish three QoS 1
     messages (the third binary: every byte value) and read each one back;
     disconnect.

   Include it in one file per program, after SECMODEM_IMPLEMENTATION's
   secmodem.h. Optional definitions before the include:
     SM_DM_PRINTF(...)       printf-like progress output (default: printf)
     SM_DM_EOL               the line end of that output (default "\n")
     SM_DM_FILE_CAP          bytes for each certificate (default 1024)
     SM_DM_STEP_TIMEOUT_MS   a step that takes longer fails (default 30000)
     SM_DM_CONSOLE           also compile the console provisioning helper

   Use:
       static sm_dm_app app;                       // ~5 KB: not on a small stack
       sm_dm_host host = { &my_ctx, my_csr_ready, my_get_file };
       sm_dm_init(&app, &modem_platform, &i2c_platform, &host, "127.0.0.1", port);
       while ((rc = sm_dm_poll(&app)) == SM_DM_RUNNING)
           sleep_until_a_byte_arrives_or(sm_dm_busy(&app) ? 1 : 5);  // ms
       sm_dm_summary(&app, elapsed_ms);

   With SM_DM_PROVISIONED defined (make demo PROVISIONED=1) the device uses
   the identity its chip was provisioned with instead of a CSR: a
   Trust&GO-style ATECC608 holds its device and signer certificates in
   compressed form (secmodem.h section 13); the application rebuilds both
   from the chip with the definitions SM_DM_SIGNER_DEF and SM_DM_DEVICE_DEF
   (default: secmodem_signer_def, secmodem_device_def, e.g. from the
   cert_defs.h that python3 -m sim.chips.provision writes), stores the device
   certificate followed by the signer's (the chain the broker needs) and
   the broker's CA in the modem's NVM; the host gives only "ca.pem".
   SM_DM_FILE_CAP must then hold both certificates (about 1400 bytes).

   Boards without a file system provision over their console with
   sm_dm_console (at the end of this file): the firmware prints the CSR in
   PEM; the person or script playing the CA types back the broker's port,
   the CA certificate and the issued device certificate. */
#ifndef SM_DEMO_MQTT_APP_H
#define SM_DEMO_MQTT_APP_H

#include <string.h>

#ifndef SM_DM_PRINTF
#include <stdio.h>
#define SM_DM_PRINTF printf
#endif
#ifndef SM_DM_EOL
#define SM_DM_EOL "\n"
#endif
#ifndef SM_DM_FILE_CAP
#define SM_DM_FILE_CAP 1024u
#endif
#ifdef SM_DM_PROVISIONED
#ifndef SM_DM_SIGNER_DEF
#define SM_DM_SIGNER_DEF secmodem_signer_def
#endif
#ifndef SM_DM_DEVICE_DEF
#define SM_DM_DEVICE_DEF secmodem_device_def
#endif
#endif
#ifndef SM_DM_STEP_TIMEOUT_MS
#define SM_DM_STEP_TIMEOUT_MS 30000u
#endif

/* ---- what this device uses ------------------------------------------------- */
#define SM_DM_TOPIC_FILTER "secmodem/demo/#"
#define SM_DM_TOPIC        "secmodem/demo/telemetry"
#define SM_DM_NVM_CA       19 /* modem NVM slot of the CA certificate */
#define SM_DM_NVM_DEVICE   18 /* modem NVM slot of the device certificate */
#define SM_DM_TLS_PROFILE  1  /* modem security profile */
#define SM_DM_KEY_SLOT     0  /* the device's private key in the ATECC608 */
#define SM_DM_NMSG         3  /* messages published and read back */
#define SM_DM_MSG_CAP      256u
#define SM_DM_CN_PREFIX    "secmodem-demo-"

/* sm_dm_poll's answers */
#define SM_DM_RUNNING   0
#define SM_DM_SUCCEEDED 1
#define SM_DM_FAILED   (-1)

/* What the program around the application provides. Both callbacks are
   called from sm_dm_poll and must not wait. */
typedef struct sm_dm_host {
    void *user;
    /* The CSR is ready (PEM text, len bytes): give it to the CA. Returns 0,
       or < 0 if it could not be passed on (the demo fails). */
    int (*csr_ready)(void *user, const char *pem, size_t len);
    /* The file `name` ("ca.pem", then "device.crt", both PEM): copies it to
       buf[cap] and returns its length; 0 while it is not there yet (asked
       again at the next poll); < 0 if it cannot be had or does not fit. */
    long (*get_file)(void *user, const char *name, uint8_t *buf, size_t cap);
} sm_dm_host;

typedef struct sm_dm_file {
    uint8_t data[SM_DM_FILE_CAP];
    size_t len;
} sm_dm_file;

typedef struct sm_dm_app {
    sm_sqn sqn;               /* the modem */
    sm_sqn_mqtt_mem mqtt;     /* its MQTT client's memory (subscriptions, broker) */
    sm_atecc chip;            /* the secure element */
    sm_hce hce;               /* host signing: the modem asks, the chip signs */
    sm_csr csr;
    sm_dm_host host;
    const char *broker;       /* broker address, as the modem dials it */
    uint16_t broker_port;

    /* the step under way */
    unsigned step;
    int started;
    uint32_t t_step, t_start;

    /* the operation the step waits for */
    int op_id, op_done, op_status;

    /* what the events said */
    int connected, conn_rc, subscribed, sub_rc, disconnected;
    int signatures, sign_failures;
    int received;             /* messages read back completely */
    int reading;              /* a read of a message is under way */
    uint8_t rx[SM_DM_MSG_CAP];
    size_t rx_len;

    /* provisioning */
    uint8_t serial[9];
    char cn[sizeof SM_DM_CN_PREFIX + 18];
    sm_dn_attr subject[2];
    char csr_pem[640];
    sm_dm_file ca, device;
#ifdef SM_DM_PROVISIONED
    sm_cert_op cert;                      /* a certificate being rebuilt */
    char signer_pem[SM_DM_FILE_CAP];
    uint8_t signer_pub[64];               /* for the device certificate's issuer key id */
#endif

    /* the messages */
    unsigned next_msg;
    unsigned steps_ok;
    int sent;
    unsigned long bytes_out, bytes_in;
} sm_dm_app;

/* ---- callbacks (called from inside the library's poll functions) ---------- */

/* An operation ended: remember it if it is the one the current step waits for. */
static void sm_dm_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_dm_app *a = (sm_dm_app *)ctx;
    (void)m;
    if (r->id != a->op_id) return;
    a->op_done = 1;
    a->op_status = r->status;
}

static void sm_dm_read_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_dm_app *a = (sm_dm_app *)ctx;
    (void)m;
    a->reading = 0;
    if (r->status == SM_OK) {
        a->rx_len = (size_t)r->len; /* <= sizeof a->rx: the read's cap */
        a->received++;
    }
}

static void sm_dm_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    sm_dm_app *a = (sm_dm_app *)ctx;
    if (sm_hce_on_event(&a->hce, ev)) return; /* a signing request: sm_hce's job */
    switch (ev->type) {
    case SM_SQN_EV_MQTT_CONNECTED: a->connected++; a->conn_rc = (int)ev->u.mqtt.code; break;
    case SM_SQN_EV_MQTT_DISCONNECTED: a->disconnected++; break;
    case SM_SQN_EV_MQTT_SUBSCRIBED: a->subscribed++; a->sub_rc = (int)ev->u.sub.code; break;
    case SM_SQN_EV_MQTT_MESSAGE:
        /* a message waits in the modem: read it out */
        if (sm_sqn_mqtt_read(m, ev->u.msg.topic, ev->u.msg.mid, ev->u.msg.len, a->rx, sizeof a->rx,
                             sm_dm_read_done, a) > 0)
            a->reading = 1;
        break;
    default: break;
    }
}

static void sm_dm_hce_event(void *ctx, sm_hce *h, const sm_hce_event *ev)
{
    sm_dm_app *a = (sm_dm_app *)ctx;
    (void)h;
    if (ev->type == SM_HCE_EV_ANSWERED && ev->sign == SM_OK) {
        a->signatures++;
        SM_DM_PRINTF("        the modem asked for the TLS signature; the chip signed with key %u" SM_DM_EOL,
                     (unsigned)ev->key);
    } else {
        a->sign_failures++;
        SM_DM_PRINTF("        signature request %s: %s" SM_DM_EOL, sm_hce_event_name(ev->type),
                     sm_strerror(ev->sign));
    }
}

/* ---- the steps ------------------------------------------------------------
   start(): begins the step; returns an operation id (> 0) to wait for, 0
   when check() alone decides, < 0 on failure. check(): 1 done, 0 not yet,
   -1 failed. Neither ever waits. */
typedef struct sm_dm_step {
    const char *name;
    int (*start)(sm_dm_app *a);
    int (*check)(sm_dm_app *a);
} sm_dm_step;

/* the usual check: the operation's done callback came, with SM_OK */
static int sm_dm_op_ok(sm_dm_app *a)
{
    if (!a->op_done) return 0;
    if (a->op_status != SM_OK) SM_DM_PRINTF("        failed: %s" SM_DM_EOL, sm_strerror(a->op_status));
    return a->op_status == SM_OK ? 1 : -1;
}

static int sm_dm_s_bringup(sm_dm_app *a)
{
    /* the broker's certificate is checked with dates: a clock still unset
       after attach (the GM02SP's 70/01/01) is set by NTP first */
    sm_sqn_bringup_time_sync(&a->sqn, 60000);
    return sm_sqn_bringup(&a->sqn, sm_dm_done, a);
}

static int sm_dm_s_serial(sm_dm_app *a) { return sm_atecc_serial_start(&a->chip, a->serial); }
static int sm_dm_c_serial(sm_dm_app *a)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, at = sizeof SM_DM_CN_PREFIX - 1u;
    int rc = sm_atecc_poll(&a->chip);
    if (rc == SM_ATECC_PENDING) return 0;
    if (rc != SM_OK) { SM_DM_PRINTF("        chip error: %s" SM_DM_EOL, sm_strerror(rc)); return -1; }
    /* the device's name: the prefix and the serial number in hex */
    memcpy(a->cn, SM_DM_CN_PREFIX, at);
    for (i = 0; i < sizeof a->serial; i++) {
        a->cn[at++] = hex[a->serial[i] >> 4];
        a->cn[at++] = hex[a->serial[i] & 15u];
    }
    a->cn[at] = '\0';
    SM_DM_PRINTF("        serial number %s" SM_DM_EOL, a->cn + sizeof SM_DM_CN_PREFIX - 1u);
    return 1;
}

#ifndef SM_DM_PROVISIONED
static int sm_dm_s_csr(sm_dm_app *a)
{
    a->subject[0].type = SM_DN_O;
    a->subject[0].value = "secmodem demo devices";
    a->subject[1].type = SM_DN_CN;
    a->subject[1].value = a->cn;
    return sm_csr_start(&a->csr, &a->chip, SM_DM_KEY_SLOT, a->subject, 2, SM_CSR_PEM, a->csr_pem,
                        sizeof a->csr_pem);
}
static int sm_dm_c_csr(sm_dm_app *a)
{
    size_t len;
    int rc = sm_csr_poll(&a->csr);
    if (rc == SM_ATECC_PENDING) return 0;
    if (rc != SM_OK) { SM_DM_PRINTF("        CSR failed: %s" SM_DM_EOL, sm_strerror(rc)); return -1; }
    len = sm_csr_out_len(&a->csr);
    SM_DM_PRINTF("        CN=%s, %lu bytes of PEM" SM_DM_EOL, a->cn, (unsigned long)len);
    return a->host.csr_ready(a->host.user, a->csr_pem, len) < 0 ? -1 : 1;
}
#endif

#ifdef SM_DM_PROVISIONED
/* The chip's own certificates, rebuilt from their compressed form. */
static int sm_dm_cert_poll(sm_dm_app *a, size_t *len)
{
    int rc = sm_cert_poll(&a->cert);
    if (rc == SM_ATECC_PENDING) return 0;
    if (rc != SM_OK) {
        SM_DM_PRINTF("        failed: %s (%s)" SM_DM_EOL, sm_strerror(rc), sm_cert_why_name(sm_cert_why(&a->cert)));
        return -1;
    }
    *len = sm_cert_out_len(&a->cert);
    return 1;
}
static int sm_dm_s_signer(sm_dm_app *a)
{
    return sm_cert_start(&a->cert, &a->chip, &SM_DM_SIGNER_DEF, NULL, SM_CERT_PEM, a->signer_pem,
                         sizeof a->signer_pem);
}
static int sm_dm_c_signer(sm_dm_app *a)
{
    size_t len = 0;
    int rc = sm_dm_cert_poll(a, &len);
    if (rc <= 0) return rc;
    memcpy(a->signer_pub, sm_cert_subject_key(&a->cert), sizeof a->signer_pub);
    SM_DM_PRINTF("        signer CA certificate, %lu bytes of PEM" SM_DM_EOL, (unsigned long)len);
    return 1;
}
static int sm_dm_s_device(sm_dm_app *a)
{
    return sm_cert_start(&a->cert, &a->chip, &SM_DM_DEVICE_DEF, a->signer_pub, SM_CERT_PEM, a->device.data,
                         sizeof a->device.data);
}
static int sm_dm_c_device(sm_dm_app *a)
{
    size_t len = 0, n = strlen(a->signer_pem);
    int rc = sm_dm_cert_poll(a, &len);
    if (rc <= 0) return rc;
    /* what the modem presents: the device certificate, then the signer's */
    if (len + n > sizeof a->device.data) {
        SM_DM_PRINTF("        the chain does not fit SM_DM_FILE_CAP" SM_DM_EOL);
        return -1;
    }
    memcpy(a->device.data + len, a->signer_pem, n);
    a->device.len = len + n;
    SM_DM_PRINTF("        device certificate, %lu bytes of PEM; with the signer's: %lu" SM_DM_EOL,
                 (unsigned long)len, (unsigned long)a->device.len);
    return 1;
}
#endif

static int sm_dm_s_none(sm_dm_app *a) { (void)a; return 0; }

/* 1 when the host has the file, 0 not yet, -1 failed */
static int sm_dm_fetch(sm_dm_app *a, const char *name, sm_dm_file *f)
{
    long n = a->host.get_file(a->host.user, name, f->data, sizeof f->data);
    if (n == 0) return 0;
    if (n < 0 || (unsigned long)n > sizeof f->data) {
        SM_DM_PRINTF("        %s: cannot be had (or over %u bytes)" SM_DM_EOL, name, (unsigned)sizeof f->data);
        return -1;
    }
    f->len = (size_t)n;
    SM_DM_PRINTF("        %s, %lu bytes" SM_DM_EOL, name, (unsigned long)f->len);
    return 1;
}
#ifndef SM_DM_PROVISIONED
static int sm_dm_c_certificates(sm_dm_app *a)
{
    int rc;
    if (!a->ca.len) {
        rc = sm_dm_fetch(a, "ca.pem", &a->ca);
        if (rc <= 0) return rc;
    }
    return sm_dm_fetch(a, "device.crt", &a->device);
}
#else
static int sm_dm_c_ca(sm_dm_app *a) { return a->ca.len ? 1 : sm_dm_fetch(a, "ca.pem", &a->ca); }
#endif

static int sm_dm_s_nvm_ca(sm_dm_app *a)
{
    return sm_sqn_nvm_write(&a->sqn, SM_SQN_NVM_CERT, SM_DM_NVM_CA, a->ca.data, a->ca.len, sm_dm_done, a);
}
static int sm_dm_s_nvm_device(sm_dm_app *a)
{
    return sm_sqn_nvm_write(&a->sqn, SM_SQN_NVM_CERT, SM_DM_NVM_DEVICE, a->device.data, a->device.len,
                            sm_dm_done, a);
}

static int sm_dm_s_profile(sm_dm_app *a)
{
    sm_sqn_tls t;
    sm_sqn_tls_defaults(&t, SM_DM_TLS_PROFILE, SM_DM_NVM_CA, 1); /* check chain, dates, host name */
    t.ciphers = "0xC02B;0xC02F";                                 /* ECDHE with AES-128-GCM */
    t.cert_slot = SM_DM_NVM_DEVICE;
    t.key_slot = SM_DM_KEY_SLOT; /* with key_in_host: the key id passed to the host */
    t.key_in_host = 1;           /* the modem asks the host for every signature */
    return sm_sqn_tls_config(&a->sqn, &t, sm_dm_done, a);
}

static int sm_dm_s_mqtt_config(sm_dm_app *a)
{
    return sm_sqn_mqtt_config(&a->sqn, a->cn, NULL, NULL, SM_DM_TLS_PROFILE, sm_dm_done, a);
}

static int sm_dm_s_connect(sm_dm_app *a)
{
    return sm_sqn_mqtt_connect(&a->sqn, a->broker, a->broker_port, 30, sm_dm_done, a);
}
static int sm_dm_c_connect(sm_dm_app *a)
{
    int rc = sm_dm_op_ok(a);
    if (rc <= 0) return rc;
    if (!a->connected) return 0; /* the broker's answer comes as an event */
    if (a->conn_rc != 0) { SM_DM_PRINTF("        refused, rc %d" SM_DM_EOL, a->conn_rc); return -1; }
    return 1;
}

static int sm_dm_s_subscribe(sm_dm_app *a)
{
    return sm_sqn_mqtt_subscribe(&a->sqn, SM_DM_TOPIC_FILTER, 1, sm_dm_done, a);
}
static int sm_dm_c_subscribe(sm_dm_app *a)
{
    int rc = sm_dm_op_ok(a);
    if (rc <= 0) return rc;
    if (!a->subscribed) return 0;
    return a->sub_rc == 0 ? 1 : -1;
}

/* Message i: two text messages, then every byte value (binary). Built on
   the fly rather than kept, to spare a small MCU's RAM. */
static const char *const sm_dm_text[SM_DM_NMSG - 1] = {
    "hello from secmodem",
    "{\"temperature\":21.5,\"unit\":\"C\",\"ok\":true}"
};
static size_t sm_dm_message(unsigned i, uint8_t *out)
{
    size_t n;
    if (i < SM_DM_NMSG - 1u) {
        n = strlen(sm_dm_text[i]);
        memcpy(out, sm_dm_text[i], n);
        return n;
    }
    for (n = 0; n < 256u; n++) out[n] = (uint8_t)n;
    return 256u;
}

static void sm_dm_print_payload(const char *what, const uint8_t *p, size_t n, int binary)
{
    static const char hex[] = "0123456789abcdef";
    char shown[2u * 12u + 1u];
    size_t i;
    if (!binary) {
        SM_DM_PRINTF("        %s %3u bytes: %.*s" SM_DM_EOL, what, (unsigned)n, (int)n, (const char *)p);
        return;
    }
    for (i = 0; i < n && i < 12u; i++) {
        shown[2u * i] = hex[p[i] >> 4];
        shown[2u * i + 1u] = hex[p[i] & 15u];
    }
    shown[2u * i] = '\0';
    SM_DM_PRINTF("        %s %3u bytes: %s%s (binary)" SM_DM_EOL, what, (unsigned)n, shown, n > 12u ? "..." : "");
}

static int sm_dm_s_publish(sm_dm_app *a)
{
    /* the payload is built in the receive buffer, which must stay as it is
       until the publish is done: it does, since the read of a message that
       comes back is an AT command too, queued behind the publish */
    size_t n = sm_dm_message(a->next_msg, a->rx);
    int id;
    a->received = 0;
    id = sm_sqn_mqtt_publish(&a->sqn, SM_DM_TOPIC, 1, a->rx, n, sm_dm_done, a);
    if (id > 0) sm_dm_print_payload("sent    ", a->rx, n, a->next_msg == SM_DM_NMSG - 1u);
    return id;
}
/* 1 if p[n] is message i (compared in place: no second buffer) */
static int sm_dm_message_is(unsigned i, const uint8_t *p, size_t n)
{
    size_t k;
    if (i < SM_DM_NMSG - 1u) return n == strlen(sm_dm_text[i]) && memcmp(p, sm_dm_text[i], n) == 0;
    if (n != 256u) return 0;
    for (k = 0; k < n; k++)
        if (p[k] != (uint8_t)k) return 0;
    return 1;
}

static int sm_dm_c_publish(sm_dm_app *a)
{
    size_t n = a->rx_len;
    int rc = sm_dm_op_ok(a);
    if (rc <= 0) return rc;
    if (!a->received || a->reading) return 0; /* not back yet */
    sm_dm_print_payload("received", a->rx, a->rx_len, a->next_msg == SM_DM_NMSG - 1u);
    if (!sm_dm_message_is(a->next_msg, a->rx, a->rx_len)) {
        SM_DM_PRINTF("        ... not what was sent" SM_DM_EOL);
        return -1;
    }
    a->sent++;
    a->bytes_out += (unsigned long)n;
    a->bytes_in += (unsigned long)a->rx_len;
    a->next_msg++;
    return 1;
}

static int sm_dm_s_disconnect(sm_dm_app *a) { return sm_sqn_mqtt_disconnect(&a->sqn, sm_dm_done, a); }
static int sm_dm_c_disconnect(sm_dm_app *a)
{
    int rc = sm_dm_op_ok(a);
    if (rc <= 0) return rc;
    return a->disconnected ? 1 : 0;
}

static const sm_dm_step sm_dm_steps[] = {
    { "modem bring-up: network registration and clock", sm_dm_s_bringup, sm_dm_op_ok },
    { "ATECC608: read the serial number", sm_dm_s_serial, sm_dm_c_serial },
#ifdef SM_DM_PROVISIONED
    { "ATECC608: the signer CA's certificate, rebuilt from the chip (slots 11, 12)", sm_dm_s_signer,
      sm_dm_c_signer },
    { "ATECC608: the device certificate, rebuilt from the chip (slot 10, the slot-0 key)", sm_dm_s_device,
      sm_dm_c_device },
    { "CA: the certificate of the broker's CA", sm_dm_s_none, sm_dm_c_ca },
    { "modem NVM: store the CA certificate", sm_dm_s_nvm_ca, sm_dm_op_ok },
    { "modem NVM: store the device and signer certificates (never a private key)", sm_dm_s_nvm_device,
      sm_dm_op_ok },
#else
    { "ATECC608: CSR for the slot-0 key, signed inside the chip", sm_dm_s_csr, sm_dm_c_csr },
    { "CA: waiting for the CA and device certificates", sm_dm_s_none, sm_dm_c_certificates },
    { "modem NVM: store the CA certificate", sm_dm_s_nvm_ca, sm_dm_op_ok },
    { "modem NVM: store the device certificate (never a private key)", sm_dm_s_nvm_device, sm_dm_op_ok },
#endif
    { "TLS profile: verify the broker; device certificate; key in the host (the chip)", sm_dm_s_profile,
      sm_dm_op_ok },
    { "MQTT: client id and TLS profile", sm_dm_s_mqtt_config, sm_dm_op_ok },
    { "MQTT: connect with mutual TLS", sm_dm_s_connect, sm_dm_c_connect },
    { "MQTT: subscribe to " SM_DM_TOPIC_FILTER, sm_dm_s_subscribe, sm_dm_c_subscribe },
    { "MQTT: publish message 1 (QoS 1) and receive it back", sm_dm_s_publish, sm_dm_c_publish },
    { "MQTT: publish message 2 (QoS 1) and receive it back", sm_dm_s_publish, sm_dm_c_publish },
    { "MQTT: publish message 3, binary (QoS 1), and receive it back", sm_dm_s_publish, sm_dm_c_publish },
    { "MQTT: disconnect", sm_dm_s_disconnect, sm_dm_c_disconnect },
};
#define SM_DM_STEPS ((unsigned)(sizeof sm_dm_steps / sizeof sm_dm_steps[0]))

/* ---- the application's API ------------------------------------------------- */

static uint32_t sm_dm_now(const sm_dm_app *a) { return a->sqn.at.plat.now_ms(a->sqn.at.plat.user); }

/* Sets the application up: the modem on `modem` (write/read/now_ms), the
   chip on `i2c` (i2c_write/i2c_read/now_ms), the host's callbacks. The
   broker string must stay valid. Returns SM_OK or the library's error. */
static int sm_dm_init(sm_dm_app *a, const sm_platform *modem, const sm_platform *i2c,
                      const sm_dm_host *host, const char *broker, uint16_t port)
{
    int rc;
    memset(a, 0, sizeof *a);
    if (!host || !host->csr_ready || !host->get_file || !broker) return SM_ERR_PARAM;
    a->host = *host;
    a->broker = broker;
    a->broker_port = port;
    rc = sm_sqn_init(&a->sqn, modem, sm_dm_event, a);
    if (rc == SM_OK) rc = sm_sqn_use_mqtt(&a->sqn, &a->mqtt);
    if (rc == SM_OK) rc = sm_atecc_init(&a->chip, i2c, SM_ATECC_ADDR_DEFAULT);
    if (rc == SM_OK) rc = sm_hce_init(&a->hce, &a->sqn, &a->chip, sm_dm_hce_event, a);
    if (rc == SM_OK) rc = sm_hce_set_key_slot(&a->hce, SM_DM_KEY_SLOT); /* the chip key that signs */
    a->t_start = sm_dm_now(a);
    return rc;
}

/* Lets the library work, then starts the next step or sees whether the
   current one is over. Returns SM_DM_RUNNING, SM_DM_SUCCEEDED or
   SM_DM_FAILED. Never waits. */
static int sm_dm_poll(sm_dm_app *a)
{
    const sm_dm_step *s;
    int rc;
    if (a->step >= SM_DM_STEPS) return SM_DM_SUCCEEDED;
    if (sm_sqn_poll(&a->sqn) == SM_ERR_IO) {
        SM_DM_PRINTF("the serial port failed" SM_DM_EOL);
        return SM_DM_FAILED;
    }
    sm_hce_poll(&a->hce);
    s = &sm_dm_steps[a->step];
    if (!a->started) {
        SM_DM_PRINTF("[%2u/%u] %s" SM_DM_EOL, a->step + 1u, SM_DM_STEPS, s->name);
        a->op_done = 0;
        a->op_status = SM_OK;
        a->op_id = rc = s->start(a);
        if (rc < 0) {
            SM_DM_PRINTF("        could not start: %s" SM_DM_EOL, sm_strerror(rc));
            return SM_DM_FAILED;
        }
        a->t_step = sm_dm_now(a);
        a->started = 1;
    }
    rc = s->check(a);
    if (rc < 0) return SM_DM_FAILED;
    if (rc > 0) {
        SM_DM_PRINTF("        ok (%lu ms)" SM_DM_EOL, (unsigned long)(sm_dm_now(a) - a->t_step));
        a->steps_ok++;
        a->step++;
        a->started = 0;
        return a->step >= SM_DM_STEPS ? SM_DM_SUCCEEDED : SM_DM_RUNNING;
    }
    if (sm_dm_now(a) - a->t_step > SM_DM_STEP_TIMEOUT_MS) {
        SM_DM_PRINTF("        timed out" SM_DM_EOL);
        return SM_DM_FAILED;
    }
    return SM_DM_RUNNING;
}

/* 1 while the chip is working for the modem: poll again within a
   millisecond rather than sleeping until the modem sends something. */
static int sm_dm_busy(const sm_dm_app *a) { return sm_hce_busy(&a->hce); }

/* Prints the summary line and the verdict. */
static void sm_dm_summary(const sm_dm_app *a, int rc)
{
    SM_DM_PRINTF(SM_DM_EOL "summary: %u of %u steps ok; %d of %d messages sent and received back "
                 "(%lu bytes out, %lu in); %d TLS signatures by the chip; %lu ms" SM_DM_EOL,
                 a->steps_ok, SM_DM_STEPS, a->sent, SM_DM_NMSG, a->bytes_out, a->bytes_in, a->signatures,
                 (unsigned long)(sm_dm_now(a) - a->t_start));
    SM_DM_PRINTF("demo %s" SM_DM_EOL, rc == SM_DM_SUCCEEDED ? "succeeded" : "FAILED");
}

/* ---- provisioning over a console (with SM_DM_CONSOLE defined) ---------------
   For boards with a serial console and no files: feed every byte received
   on the console to sm_dm_console_feed; use sm_dm_console_get_file as the
   host's get_file (user: the sm_dm_console), and have the host's
   csr_ready print the PEM on the console.
   What the console accepts, line by line (CR and/or LF):
       port <n>                         the broker's TCP port
       -----BEGIN CERTIFICATE-----      a PEM certificate: the first one is
       ...                              ca.pem, the second device.crt
       -----END CERTIFICATE-----
   Other lines are ignored. The certificates go straight into the
   application's buffers (no second copy on a small MCU). */
#ifdef SM_DM_CONSOLE
typedef struct sm_dm_console {
    sm_dm_app *app;
    char line[80];
    size_t line_len;
    int overlong;       /* the current line did not fit: ignored */
    int in_pem;         /* inside a BEGIN/END block */
    unsigned npem;      /* certificates completed */
    size_t pem_len;     /* bytes of the one being received */
    size_t done_len[2]; /* lengths of the completed ones */
    int error;          /* a certificate did not fit */
} sm_dm_console;

static void sm_dm_console_init(sm_dm_console *c, sm_dm_app *app)
{
    memset(c, 0, sizeof *c);
    c->app = app;
}

static sm_dm_file *sm_dm_console_target(sm_dm_console *c)
{
    return c->npem == 0 ? &c->app->ca : &c->app->device;
}

/* appends one line and its LF to the certificate being received */
static void sm_dm_console_pem_line(sm_dm_console *c)
{
    sm_dm_file *f = sm_dm_console_target(c);
    if (c->pem_len + c->line_len + 1u > sizeof f->data) {
        c->error = 1;
        return;
    }
    memcpy(f->data + c->pem_len, c->line, c->line_len);
    c->pem_len += c->line_len;
    f->data[c->pem_len++] = '\n';
}

static void sm_dm_console_line(sm_dm_console *c)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    uint32_t port;
    if (!c->in_pem && c->npem < 2u && strcmp(c->line, begin) == 0) {
        c->in_pem = 1;
        c->pem_len = 0;
    }
    if (c->in_pem) {
        sm_dm_console_pem_line(c);
        if (strcmp(c->line, end) == 0) {
            c->done_len[c->npem] = c->pem_len;
            c->in_pem = 0;
            c->npem++;
        }
        return;
    }
    /* digits only (no sign, no spaces), 1..65535 */
    if (strncmp(c->line, "port ", 5) == 0 &&
        sm_parse_u32(c->line + 5, c->line_len - 5u, &port) == SM_OK && port >= 1u && port <= 65535u)
        c->app->broker_port = (uint16_t)port;
}

/* Takes one byte received on the console. */
static void sm_dm_console_feed(sm_dm_console *c, uint8_t byte)
{
    if (byte == '\r' || byte == '\n') {
        if (c->line_len && !c->overlong) {
            c->line[c->line_len] = '\0';
            sm_dm_console_line(c);
        }
        c->line_len = 0;
        c->overlong = 0;
        return;
    }
    if (c->line_len + 1u >= sizeof c->line) {
        c->overlong = 1;
        return;
    }
    c->line[c->line_len++] = (char)byte;
}

/* The host's get_file over the console: the certificate once its END line
   came (the bytes are already in the application's buffer), else 0. */
static long sm_dm_console_get_file(void *user, const char *name, uint8_t *buf, size_t cap)
{
    sm_dm_console *c = (sm_dm_console *)user;
    unsigned want = strcmp(name, "ca.pem") == 0 ? 1u : 2u;
    sm_dm_file *f = want == 1u ? &c->app->ca : &c->app->device;
    size_t len;
    if (c->error) return -1;
    if (c->npem < want) return 0;
    len = c->done_len[want - 1u];
    if (len > cap) return -1;
    if (buf != f->data) memmove(buf, f->data, len);
    return (long)len;
}

#endif /* SM_DM_CONSOLE */

#endif
