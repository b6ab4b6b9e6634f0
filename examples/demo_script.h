/* demo_script.h - the demo application shared by the POSIX demo
   (examples/posix/demo_generic.c) and the bare-metal one
   (examples/cortexm/demo_cortexm.c): the command script, and the step runner
   that plays it without blocking (each completion submits the next step), so
   that both run exactly the same conversation with the simulator's "generic"
   dialect. Included by one file per program, which first defines how to
   print: SM_DEMO_PRINTF (printf-like) and SM_DEMO_EOL (the line end). */
#ifndef SM_DEMO_SCRIPT_H
#define SM_DEMO_SCRIPT_H

#include "../secmodem.h"

typedef struct sm_demo_step {
    const char *say;    /* what the step does, printed as it runs */
    const char *text;   /* the command */
    const char *prefix; /* its response prefix, or NULL */
    unsigned flags;     /* SM_AT_F_* */
} sm_demo_step;

/* The payload of the prompt step: full of what must not be taken for
   protocol elements (line ends, "OK", a prompt). */
static const uint8_t sm_demo_payload[] = "binary\r\nOK\r\n> payload";

static const sm_demo_step sm_demo_script[] = {
    { "check the modem answers", "AT", NULL, 0 },
    { "turn command echo off", "ATE0", NULL, 0 },
    { "numeric +CME errors", "AT+CMEE=1", NULL, 0 },
    { "identify the modem", "ATI", NULL, 0 },
    { "firmware version", "AT+GMR", NULL, 0 },
    { "ask for an unsolicited result in 200 ms", "AT+URC=+HELLO: demo,200", NULL, 0 },
    { "send a binary payload after the > prompt", "AT+SEND=21", "+SEND:", SM_AT_F_PROMPT },
};
#define SM_DEMO_STEPS (sizeof sm_demo_script / sizeof sm_demo_script[0])

/* The dialect: 3GPP framing, "+SYSSTART" when the modem (re)starts. */
static const sm_at_dialect sm_demo_dialect = { "generic", "\r", "+SYSSTART", NULL };

#define SM_DEMO_MAX_RESTARTS 3 /* steps repeated because the modem restarted */

typedef struct sm_demo_app {
    sm_at at;
    unsigned next;    /* next step to submit */
    unsigned ok;      /* steps that ended OK */
    int failed;
    int hello_seen;
    int restarts;
} sm_demo_app;

static void sm_demo_submit_next(sm_demo_app *a);

static void sm_demo_on_step_done(void *ctx, const sm_at_response *r)
{
    sm_demo_app *a = (sm_demo_app *)ctx;
    const char *line = r->lines;
    uint16_t i;
    for (i = 0; i < r->nlines; i++, line += strlen(line) + 1) SM_DEMO_PRINTF("      | %s" SM_DEMO_EOL, line);
    SM_DEMO_PRINTF("      -> %s" SM_DEMO_EOL, sm_at_result_name(r->result));
    if (r->result == SM_AT_REBOOT && a->restarts++ < SM_DEMO_MAX_RESTARTS) {
        /* the modem (re)started while the command was in flight (its
           start-up URC may still be on its way when the program starts): it
           never answered, so the step runs again */
        a->next--;
        sm_demo_submit_next(a);
        return;
    }
    if (r->result == SM_AT_OK) a->ok++;
    else a->failed = 1;
    if (!a->failed) sm_demo_submit_next(a); /* allowed from a completion callback */
}

static void sm_demo_submit_next(sm_demo_app *a)
{
    const sm_demo_step *s;
    sm_at_cmd c;
    if (a->next >= SM_DEMO_STEPS) return;
    s = &sm_demo_script[a->next++];
    memset(&c, 0, sizeof c);
    c.text = s->text;
    c.prefix = s->prefix;
    c.flags = s->flags;
    if (s->flags & SM_AT_F_PROMPT) {
        c.payload = sm_demo_payload;
        c.payload_len = sizeof sm_demo_payload - 1;
    }
    c.on_done = sm_demo_on_step_done;
    c.ctx = a;
    SM_DEMO_PRINTF("[%u/%u] %s: %s" SM_DEMO_EOL, a->next, (unsigned)SM_DEMO_STEPS, s->say, s->text);
    if (sm_at_submit(&a->at, &c) < 0) a->failed = 1;
}

static void sm_demo_on_hello(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    SM_DEMO_PRINTF("      URC: %.*s" SM_DEMO_EOL, (int)len, line);
    ((sm_demo_app *)ctx)->hello_seen = 1;
}

static void sm_demo_on_restart(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)ctx; (void)at;
    SM_DEMO_PRINTF("      URC: %.*s (modem started)" SM_DEMO_EOL, (int)len, line);
}

static const sm_urc sm_demo_urcs[] = {
    { "+HELLO:", sm_demo_on_hello },
    { "+SYSSTART", sm_demo_on_restart },
};

/* Sets the engine up on the program's platform, with the demo's URCs. */
static void sm_demo_init(sm_demo_app *a, const sm_platform *plat)
{
    sm_at_init(&a->at, plat, &sm_demo_dialect);
    sm_at_add_urcs(&a->at, sm_demo_urcs, sizeof sm_demo_urcs / sizeof sm_demo_urcs[0], a);
}

/* The superloop runs while this says so: steps left, a command in flight,
   or the unsolicited result not seen yet. */
static int sm_demo_running(const sm_demo_app *a)
{
    return !a->failed && (a->next < SM_DEMO_STEPS || sm_at_busy(&a->at) || !a->hello_seen);
}

/* All steps OK and the unsolicited result received. */
static int sm_demo_succeeded(const sm_demo_app *a)
{
    return !a->failed && a->ok == SM_DEMO_STEPS && a->hello_seen;
}

#endif
