/* A product on any 3GPP modem with the generic engine only: its own
   commands, a URC table for registration, one command at a time. No
   dialect, no MQTT, no ATECC608. */
#include "app_common.h"

static sm_at AT;
static sm_at_cmd CMD;

static void on_done(void *ctx, const sm_at_response *r) { (void)ctx; sm_app_next(r->result == SM_AT_OK ? SM_OK : SM_ERR_MODEM); }
static void on_creg(void *ctx, sm_at *at, const char *line, size_t len) { (void)ctx; (void)at; if (len) sm_ref_sink = (uint8_t)line[0]; }

int main(void)
{
    static const char *const cmds[3] = { "AT+CMEE=1", "AT+CEREG=2", "AT+CGMR" };
    static const sm_urc urcs[1] = { { "+CEREG:", on_creg } };
    sm_platform p;
    int started = -1;
    sm_ref_platform(&p);
    if (sm_at_init(&AT, &p, sm_at_dialect_3gpp()) != SM_OK) return 1;
    sm_at_add_urcs(&AT, urcs, 1, NULL);
    for (;;) {
        sm_at_poll(&AT);
        if (!sm_app_new_step(&started)) continue;
        memset(&CMD, 0, sizeof CMD);
        CMD.text = cmds[sm_app_step % 3];
        CMD.on_done = on_done;
        sm_at_submit(&AT, &CMD);
    }
}
