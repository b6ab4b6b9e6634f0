/* secmodem_demo.ino - the demo script on an Arduino: the modem on Serial1,
   progress on Serial. loop() never blocks: it polls the engine, and each
   command's completion starts the next one. */
/* Only what this sketch uses: on AVR even constant strings live in RAM, so
   the unused layers are compiled out (see the configuration macros at the
   top of secmodem.h). */
#define SM_NO_SEQUANS
#define SM_NO_CORDELIA
#define SM_NO_ATECC
#define SM_NO_MQTT
#define SECMODEM_IMPLEMENTATION
#include "secmodem.h"
#include "sm_port_arduino.h"

static const char *const k_script[] = { "AT", "ATE0", "AT+CMEE=1", "ATI", "AT+GMR" };
static const uint8_t k_steps = (uint8_t)(sizeof k_script / sizeof k_script[0]);

static sm_at g_at;          /* the engine: one struct, owned by the sketch */
static uint8_t g_next;      /* next step of the script */
static uint8_t g_failed;

static void submit_next(void);

static void on_done(void *ctx, const sm_at_response *r)
{
    (void)ctx;
    Serial.print(k_script[g_next - 1]);
    Serial.print(F(" -> "));
    Serial.println(sm_at_result_name(r->result));
    if (r->result == SM_AT_REBOOT && g_next == 1) { g_next = 0; submit_next(); return; }
    if (r->result != SM_AT_OK) { g_failed = 1; return; }
    submit_next();
}

static void submit_next(void)
{
    sm_at_cmd c;
    if (g_next >= k_steps) { Serial.println(F("demo done")); return; }
    memset(&c, 0, sizeof c);
    c.text = k_script[g_next++];
    c.on_done = on_done;
    sm_at_submit(&g_at, &c);
}

void setup(void)
{
    sm_platform p;
    Serial.begin(115200);
    Serial1.begin(115200);
    sm_arduino_platform(&p, &Serial1);
    sm_at_init(&g_at, &p, sm_at_dialect_3gpp());
    submit_next();
}

void loop(void)
{
    sm_at_poll(&g_at); /* returns quickly: the rest of the sketch keeps running */
    (void)g_failed;
}
