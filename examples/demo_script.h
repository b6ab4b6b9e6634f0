/* demo_script.h - the command script of the demos, shared so that the POSIX
   demo (examples/posix/demo_generic.c) and the bare-metal one
   (examples/cortexm/demo_cortexm.c) run exactly the same conversation with
   the simulator's "generic" dialect. Included by one file per program. */
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

#endif
