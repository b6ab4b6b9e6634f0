/* secmodem_mqtt.ino - mutual-TLS MQTT from an Arduino Mega 2560 through a
   Sequans GM02S, the device's private key only inside an ATECC608: during
   the TLS handshake the modem asks the sketch for the signature
   (+SQNHCESIGN) and the chip makes it.

   Wiring:
     Serial1  the modem (its TX to RX1 pin 19, its RX to TX1 pin 18; 3.3 V
              levels through a level shifter, common ground)
     Wire     the ATECC608 (SDA pin 20, SCL pin 21, pull-ups), address 0x60
     Serial   the console (USB): progress; "port N" changes the broker port

   Before the first run, once (README, "Use it from the Arduino IDE"): the
   CA certificate in the modem's NVM slot 19 and the device certificate,
   issued for the chip's slot-0 public key, in slot 18 (AT+SQNSNVW). No
   private key ever goes to the modem.

   What it does, one step after the other, never waiting inside a call:
   bring the modem up (registration, clock), configure TLS profile 1
   (verify the broker with the CA, the device certificate, the key "in the
   host"), configure the modem's MQTT client, connect with mutual TLS,
   publish one QoS 1 message, disconnect; then print the verdict and stop.

   RAM: the Mega has 8 KB and on AVR the library's constant strings live
   in RAM; this sketch keeps only what it needs (no CSR, no Cordelia, no
   MQTT framing of its own: the modem runs MQTT). The Uno's 2 KB is too
   little for the Sequans dialect. */
#include <Arduino.h>
#if !defined(HAVE_HWSERIAL1)
#error "secmodem_mqtt needs a second serial port (Serial1) and 8 KB of RAM: an Arduino Mega 2560"
#endif
#define SM_NO_CORDELIA
#define SM_NO_MQTT
#define SM_NO_CSR
#define SM_POLL_READ_MAX 64 /* bytes one poll pulls: a smaller stack frame */
#define SECMODEM_IMPLEMENTATION
#include "secmodem.h"
#include <sm_port_arduino.h>      /* the library's Arduino port: Serial, millis */
#include <sm_port_arduino_wire.h> /* ... and Wire for the ATECC608 */

/* ---- what to change for your broker --------------------------------------- */
#define DEMO_BROKER "127.0.0.1"    /* host name or address, as the modem dials it */
#define DEMO_PORT 8883u            /* MQTT over TLS; "port N" on the console overrides */
#define DEMO_CLIENT_ID "secmodem-mega2560"
#define DEMO_TOPIC "secmodem/demo/arduino"
#define DEMO_NVM_CA 19             /* modem NVM slot of the CA certificate */
#define DEMO_NVM_DEVICE 18         /* ... of the device certificate */
#define DEMO_TLS_PROFILE 1         /* modem security profile */
#define DEMO_KEY_SLOT 0            /* the device's private key in the ATECC608 */
#define DEMO_STEP_TIMEOUT_MS 60000UL
#define DEMO_BAUD 115200UL

static const char k_message[] = "hello from an Arduino Mega 2560, signed by its ATECC608";

typedef struct demo {
    sm_sqn sqn;              /* the modem */
    sm_sqn_mqtt_mem mqtt;    /* its MQTT client's memory (subscriptions, broker) */
    sm_atecc chip;           /* the secure element */
    sm_hce hce;              /* host signing: the modem asks, the chip signs */
    uint16_t port;           /* the broker's port */
    uint8_t step, started, failed;
    int op_id, op_status;
    uint8_t op_done, connected, disconnected;
    int conn_rc;
    uint8_t signatures;
    uint32_t t_step;
    char line[24];           /* a console line */
    uint8_t line_len;
} demo;

static demo g_demo;

/* ---- callbacks (called from inside the library's poll functions) ---------- */

static void on_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    demo *d = (demo *)ctx;
    (void)m;
    if (r->id != d->op_id) return;
    d->op_done = 1;
    d->op_status = r->status;
}

static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    demo *d = (demo *)ctx;
    (void)m;
    if (sm_hce_on_event(&d->hce, ev)) return; /* a signing request: sm_hce's job */
    if (ev->type == SM_SQN_EV_MQTT_CONNECTED) { d->connected = 1; d->conn_rc = (int)ev->u.mqtt.code; }
    if (ev->type == SM_SQN_EV_MQTT_DISCONNECTED) d->disconnected = 1;
}

static void on_hce(void *ctx, sm_hce *h, const sm_hce_event *ev)
{
    demo *d = (demo *)ctx;
    (void)h;
    if (ev->type == SM_HCE_EV_ANSWERED && ev->sign == SM_OK) {
        d->signatures++;
        Serial.println(F("        the modem asked for the TLS signature; the chip signed it"));
    } else {
        Serial.print(F("        signature request "));
        Serial.print(sm_hce_event_name(ev->type));
        Serial.print(F(": "));
        Serial.println(sm_strerror(ev->sign));
    }
}

/* ---- the steps: start() returns an operation id (> 0) or < 0 ---------------- */

static int s_bringup(demo *d)
{
    /* the broker's certificate is checked with dates: NTP sets a clock the
       network left unset */
    sm_sqn_bringup_time_sync(&d->sqn, 60000UL);
    return sm_sqn_bringup(&d->sqn, on_done, d);
}

static int s_profile(demo *d)
{
    sm_sqn_tls t;
    sm_sqn_tls_defaults(&t, DEMO_TLS_PROFILE, DEMO_NVM_CA, 1); /* chain, dates, host name */
    t.ciphers = "0xC02B;0xC02F";                               /* ECDHE with AES-128-GCM */
    t.cert_slot = DEMO_NVM_DEVICE;
    t.key_slot = DEMO_KEY_SLOT; /* with key_in_host: the key id the modem passes back */
    t.key_in_host = 1;          /* the modem asks the host (the chip) for every signature */
    return sm_sqn_tls_config(&d->sqn, &t, on_done, d);
}

static int s_mqtt_config(demo *d)
{
    return sm_sqn_mqtt_config(&d->sqn, DEMO_CLIENT_ID, NULL, NULL, DEMO_TLS_PROFILE, on_done, d);
}

static int s_connect(demo *d)
{
    Serial.print(F("        broker " DEMO_BROKER " port "));
    Serial.println(d->port);
    return sm_sqn_mqtt_connect(&d->sqn, DEMO_BROKER, d->port, 30, on_done, d);
}

static int s_publish(demo *d)
{
    return sm_sqn_mqtt_publish(&d->sqn, DEMO_TOPIC, 1, (const uint8_t *)k_message,
                               sizeof k_message - 1u, on_done, d);
}

static int s_disconnect(demo *d) { return sm_sqn_mqtt_disconnect(&d->sqn, on_done, d); }

/* The step is over: 1 done, 0 not yet, -1 failed. The operation's done
   callback decides, and for connect and disconnect the broker's event. */
static int step_check(demo *d)
{
    if (!d->op_done) return 0;
    if (d->op_status != SM_OK) {
        Serial.print(F("        failed: "));
        Serial.println(sm_strerror(d->op_status));
        return -1;
    }
    if (d->step == 3) { /* connect: the broker's answer comes as an event */
        if (!d->connected) return 0;
        if (d->conn_rc != 0) { Serial.print(F("        refused, rc ")); Serial.println(d->conn_rc); return -1; }
    }
    if (d->step == 5 && !d->disconnected) return 0;
    return 1;
}

static int step_start(demo *d)
{
    switch (d->step) {
    case 0: Serial.println(F("[1/6] modem bring-up: registration and clock")); return s_bringup(d);
    case 1: Serial.println(F("[2/6] TLS profile: CA in NVM 19, device certificate in NVM 18, key in the ATECC608"));
        return s_profile(d);
    case 2: Serial.println(F("[3/6] MQTT: client id and TLS profile")); return s_mqtt_config(d);
    case 3: Serial.println(F("[4/6] MQTT: connect with mutual TLS")); return s_connect(d);
    case 4: Serial.println(F("[5/6] MQTT: publish (QoS 1) on " DEMO_TOPIC)); return s_publish(d);
    default: Serial.println(F("[6/6] MQTT: disconnect")); return s_disconnect(d);
    }
}

/* Runs the steps; returns 0 while running, 1 when all are done, -1 on a
   failure. Never waits. */
static int demo_poll(demo *d)
{
    int rc;
    if (sm_sqn_poll(&d->sqn) == SM_ERR_IO) return -1;
    sm_hce_poll(&d->hce);
    if (!d->started) {
        d->op_done = 0;
        d->op_status = SM_OK;
        d->op_id = rc = step_start(d);
        if (rc < 0) {
            Serial.print(F("        could not start: "));
            Serial.println(sm_strerror(rc));
            return -1;
        }
        d->t_step = millis();
        d->started = 1;
    }
    rc = step_check(d);
    if (rc < 0) return -1;
    if (rc == 0) {
        if (millis() - d->t_step <= DEMO_STEP_TIMEOUT_MS) return 0;
        Serial.println(F("        timed out"));
        return -1;
    }
    Serial.print(F("        ok ("));
    Serial.print(millis() - d->t_step);
    Serial.println(F(" ms)"));
    d->started = 0;
    return ++d->step > 5 ? 1 : 0;
}

/* The console: "port N" sets the broker's port (before the connect step). */
static void console_byte(demo *d, char c)
{
    if (c == '\r') return;
    if (c != '\n') {
        if (d->line_len < sizeof d->line - 1u) d->line[d->line_len++] = c;
        return;
    }
    d->line[d->line_len] = '\0';
    d->line_len = 0;
    if (strncmp(d->line, "port ", 5) == 0) {
        long p = atol(d->line + 5);
        if (p > 0 && p < 65536L) d->port = (uint16_t)p;
    }
}

void setup(void)
{
    sm_platform modem, chip;
    int rc;
    demo *d = &g_demo;
    Serial.begin(DEMO_BAUD);
    Serial1.begin(DEMO_BAUD);
    Wire.begin();
    Serial.println(F("secmodem mutual-TLS MQTT on Arduino: modem on Serial1, ATECC608 on Wire"));
    sm_arduino_platform(&modem, &Serial1);
    sm_arduino_wire_platform(&chip, &Wire);
    d->port = DEMO_PORT;
    rc = sm_sqn_init(&d->sqn, &modem, on_event, d);
    if (rc == SM_OK) rc = sm_sqn_use_mqtt(&d->sqn, &d->mqtt);
    if (rc == SM_OK) rc = sm_atecc_init(&d->chip, &chip, SM_ATECC_ADDR_DEFAULT);
    if (rc == SM_OK) rc = sm_hce_init(&d->hce, &d->sqn, &d->chip, on_hce, d);
    if (rc == SM_OK) rc = sm_hce_set_key_slot(&d->hce, DEMO_KEY_SLOT);
    if (rc != SM_OK) {
        Serial.print(F("demo FAILED: init: "));
        Serial.println(sm_strerror(rc));
        Serial.flush();
        sm_arduino_halt();
    }
}

void loop(void)
{
    demo *d = &g_demo;
    int rc = demo_poll(d);
    while (Serial.available() > 0) console_byte(d, (char)Serial.read());
    if (rc == 0) return;
    Serial.print(F("signatures made by the chip: "));
    Serial.println(d->signatures);
    Serial.println(rc > 0 ? F("demo succeeded") : F("demo FAILED"));
    Serial.flush(); /* the verdict out before the CPU stops */
    sm_arduino_halt();
}
