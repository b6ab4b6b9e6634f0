/* demo_generic.c - a POSIX superloop driving a modem through secmodem's AT
   engine, over a serial device (a USB-UART, or the simulator's pty).

       demo_generic /dev/ttyUSB0 [--trace]

   The loop never blocks: each command is submitted, and its completion
   callback submits the next step of the script, while the loop keeps
   polling the engine (and would run the rest of the firmware). */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
#include "sm_posix.h"
#include "../demo_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the script (sm_demo_script) is shared with the bare-metal demo */
#define NSTEPS SM_DEMO_STEPS

typedef struct app {
    sm_at at;
    unsigned next;    /* next step to submit */
    unsigned ok;      /* steps that ended OK */
    int failed;
    int hello_seen;
    int restarts;     /* steps repeated because the modem restarted */
} app;

static void submit_next(app *a);

static void on_step_done(void *ctx, const sm_at_response *r)
{
    app *a = (app *)ctx;
    const char *line = r->lines;
    uint16_t i;
    for (i = 0; i < r->nlines; i++, line += strlen(line) + 1) printf("      | %s\n", line);
    printf("      -> %s\n", sm_at_result_name(r->result));
    if (r->result == SM_AT_REBOOT && a->restarts++ < 3) {
        /* the modem (re)started while the command was in flight: it never
           answered it, so the step runs again */
        a->next--;
        submit_next(a);
        return;
    }
    if (r->result == SM_AT_OK) a->ok++;
    else a->failed = 1;
    if (!a->failed) submit_next(a); /* allowed from a completion callback */
}

static void submit_next(app *a)
{
    const sm_demo_step *s;
    sm_at_cmd c;
    if (a->next >= NSTEPS) return;
    s = &sm_demo_script[a->next++];
    memset(&c, 0, sizeof c);
    c.text = s->text;
    c.prefix = s->prefix;
    c.flags = s->flags;
    if (s->flags & SM_AT_F_PROMPT) {
        c.payload = sm_demo_payload;
        c.payload_len = sizeof sm_demo_payload - 1;
    }
    c.on_done = on_step_done;
    c.ctx = a;
    printf("[%u/%u] %s: %s\n", a->next, (unsigned)NSTEPS, s->say, s->text);
    if (sm_at_submit(&a->at, &c) < 0) a->failed = 1;
}

static void on_hello(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    printf("      URC: %.*s\n", (int)len, line);
    ((app *)ctx)->hello_seen = 1;
}

static void on_restart(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)ctx; (void)at;
    printf("      URC: %.*s (modem started)\n", (int)len, line);
}

static const sm_urc k_urcs[] = {
    { "+HELLO:", on_hello },
    { "+SYSSTART", on_restart },
};

int main(int argc, char **argv)
{
    static app a;
    sm_posix port;
    sm_platform plat;
    uint32_t t0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s <serial device> [--trace]\n", argv[0]);
        return 2;
    }
    if (sm_posix_open(&port, argv[1], 115200) != 0) {
        perror(argv[1]);
        return 2;
    }
    port.trace = argc > 2 && strcmp(argv[2], "--trace") == 0;
    sm_posix_platform(&port, &plat);
    sm_at_init(&a.at, &plat, &sm_demo_dialect);
    sm_at_add_urcs(&a.at, k_urcs, sizeof k_urcs / sizeof k_urcs[0], &a);
    setvbuf(stdout, NULL, _IOLBF, 0);
    submit_next(&a);
    t0 = sm_posix_now_ms();
    /* the superloop: poll, then sleep until bytes arrive or 10 ms pass */
    while (!a.failed && (a.next < NSTEPS || sm_at_busy(&a.at) || !a.hello_seen)) {
        sm_at_poll(&a.at);
        sm_posix_wait(&port, 10);
        if (sm_posix_now_ms() - t0 > 20000u) { a.failed = 1; printf("gave up after 20 s\n"); }
    }
    sm_posix_close(&port);
    printf("summary: %u of %u steps OK, URC %s, %lu lines, %lu URCs, %lu dropped\n", a.ok,
           (unsigned)NSTEPS, a.hello_seen ? "received" : "missing",
           (unsigned long)a.at.stats.lines, (unsigned long)a.at.stats.urcs,
           (unsigned long)(a.at.stats.overlong + a.at.stats.unexpected));
    return (!a.failed && a.ok == NSTEPS && a.hello_seen) ? 0 : 1;
}
