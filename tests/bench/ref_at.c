/* AT engine and utilities: what a firmware using the engine directly links. */
#include "ref_common.h"

static void on_done(void *ctx, const sm_at_response *r) { (void)ctx; sm_ref_sink = (uint8_t)r->result; }
static void on_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_fields f;
    int32_t v;
    char s[16];
    (void)ctx;
    sm_fields_init(&f, line, len, "+X:");
    sm_fields_int(&f, 0, 9, &v);
    sm_fields_str(&f, s, sizeof s);
    sm_at_expect_raw(at, (size_t)v, 0, 0);
}
static const sm_urc urcs[] = { { "+X:", on_urc } };

int ref_at(void);
int ref_at(void)
{
    static sm_at at;
    sm_platform p;
    sm_at_cmd c;
    char text[64];
    sm_buf b;
    uint8_t in[8];
    sm_ref_platform(&p);
    sm_at_init(&at, &p, sm_at_dialect_3gpp());
    sm_at_add_urcs(&at, urcs, 1, 0);
    sm_buf_init(&b, text, sizeof text);
    sm_buf_str(&b, "AT+X=");
    sm_buf_quoted(&b, "host", 64, SM_STR_UTF8);
    sm_buf_u32(&b, sm_ref_clock);
    memset(&c, 0, sizeof c);
    c.text = text;
    c.on_done = on_done;
    if (sm_buf_finish(&b) == SM_OK) sm_at_submit(&at, &c);
    in[0] = sm_ref_sink;
    sm_at_feed(&at, in, 1);
    sm_at_poll(&at);
    sm_at_flush(&at, SM_AT_CANCELLED);
    return (int)at.stats.lines;
}

#ifndef REF_NO_MAIN
int main(void) { return ref_at(); }
#endif
