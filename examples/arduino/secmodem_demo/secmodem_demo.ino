/* secmodem_demo.ino - the demo script on an Arduino: the modem on Serial1,
   progress on Serial (the USB port). loop() never blocks: it polls the
   engine, and each command's completion starts the next one. When the
   script has ended the sketch prints its verdict and stops the CPU.

   Wiring (Arduino Mega 2560): the modem's TX to RX1 (pin 19), its RX to
   TX1 (pin 18), 3.3 V levels through a level shifter, common ground. On a
   board with a single serial port (the Uno) the modem takes Serial and
   there is no console. */
/* Only what this sketch uses: on AVR even constant strings live in RAM, so
   the unused layers are compiled out (see the configuration macros at the
   top of secmodem.h). */
#define SM_NO_SEQUANS
#define SM_NO_CORDELIA
#define SM_NO_ATECC
#define SM_NO_MQTT
#define SECMODEM_IMPLEMENTATION
#include "secmodem.h"
#include <sm_port_arduino.h> /* the library's Arduino port (src/) */

#if defined(HAVE_HWSERIAL1)
#define DEMO_MODEM Serial1    /* the modem */
#define DEMO_CONSOLE 1        /* Serial: progress for the person watching */
#else
#define DEMO_MODEM Serial     /* the only port: the modem; no console */
#define DEMO_CONSOLE 0
#endif

#define DEMO_BAUD 115200UL

static const char *const k_script[] = { "AT", "ATE0", "AT+CMEE=1", "ATI", "AT+GMR" };
static const uint8_t k_steps = (uint8_t)(sizeof k_script / sizeof k_script[0]);

/* 3GPP framing; "+SYSSTART" is the line a modem sends when it (re)starts
   (a Sequans GM02S does): a command in flight then ends SM_AT_REBOOT. */
static const sm_at_dialect k_dialect = { "generic", "\r", "+SYSSTART", NULL };

static sm_at g_at;          /* the engine: one struct, owned by the sketch */
static uint8_t g_next;      /* next step of the script */
static uint8_t g_restarts;  /* modem restarts seen under the first command */
static uint8_t g_ended;     /* 1: succeeded, 2: failed */

static void submit_next(void);

static void say(const char *what, const char *result)
{
#if DEMO_CONSOLE
    Serial.print(what);
    Serial.print(F(" -> "));
    Serial.println(result);
#else
    (void)what; (void)result;
#endif
}

static void on_done(void *ctx, const sm_at_response *r)
{
    (void)ctx;
    say(k_script[g_next - 1], sm_at_result_name(r->result));
    /* the modem (re)started while the command was in flight: a board and
       its modem power up together, so the first command may go out while
       the modem still boots; it never answered it, so send it again */
    if (r->result == SM_AT_REBOOT && g_restarts++ < 3) { g_next--; submit_next(); return; }
    if (r->result != SM_AT_OK) { g_ended = 2; return; }
    submit_next();
}

static void submit_next(void)
{
    sm_at_cmd c;
    if (g_next >= k_steps) { g_ended = 1; return; }
    memset(&c, 0, sizeof c);
    c.text = k_script[g_next++];
    c.on_done = on_done;
    if (sm_at_submit(&g_at, &c) < 0) g_ended = 2;
}

void setup(void)
{
    sm_platform p;
#if DEMO_CONSOLE
    Serial.begin(DEMO_BAUD);
    Serial.println(F("secmodem demo: the AT script on Serial1"));
#endif
    DEMO_MODEM.begin(DEMO_BAUD);
    sm_arduino_platform(&p, &DEMO_MODEM);
    sm_at_init(&g_at, &p, &k_dialect);
    submit_next();
}

void loop(void)
{
    sm_at_poll(&g_at); /* returns quickly: the rest of the sketch keeps running */
    if (!g_ended) return;
#if DEMO_CONSOLE
    Serial.println(g_ended == 1 ? F("demo succeeded") : F("demo FAILED"));
    Serial.flush(); /* the verdict out before the CPU stops */
#endif
    sm_arduino_halt();
}
