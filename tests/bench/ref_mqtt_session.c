/* MQTT 3.1.1 client session (with the framing it uses): every public
   function, over a transport that accepts everything and reads nothing. */
#include "ref_common.h"

static int sm_ref_recv(void *u, uint8_t *b, size_t cap)
{
    (void)u;
    (void)b;
    (void)cap;
    return sm_ref_sink;
}
static void sm_ref_result(void *ctx, sm_mqtt_client *c, const sm_mqtt_result *r)
{
    (void)ctx;
    (void)c;
    sm_ref_sink = r->op;
}
static void sm_ref_message(void *ctx, sm_mqtt_client *c, const sm_mqtt_event *m)
{
    (void)ctx;
    (void)c;
    if (m->data_len) sm_ref_sink = m->data[0];
}

int ref_mqtt_session(void);
int ref_mqtt_session(void)
{
    static sm_mqtt_client c;
    static const char *const filters[1] = { "a/#" };
    static const uint8_t qos[1] = { 1 };
    static uint8_t rx[8];
    sm_mqtt_transport t;
    sm_mqtt_connect_opts o;
    size_t used = 0;
    int rc = 0;
    memset(&t, 0, sizeof t);
    memset(&o, 0, sizeof o);
    t.send = sm_ref_write;
    t.recv = sm_ref_recv;
    t.now_ms = sm_ref_now;
    o.client_id = "dev";
    o.keep_alive = (uint16_t)sm_ref_clock;
    o.clean_session = sm_ref_sink;
    rc += sm_mqtt_init(&c, &t, sm_ref_result, sm_ref_message, NULL);
    rc += sm_mqtt_connect_start(&c, &o);
    rc += sm_mqtt_feed(&c, rx, sm_ref_sink, &used);
    rc += sm_mqtt_subscribe_start(&c, filters, qos, 1);
    rc += sm_mqtt_unsubscribe_start(&c, filters, 1);
    rc += sm_mqtt_publish_start(&c, "a/b", rx, sm_ref_sink, sm_ref_sink, 0);
    rc += sm_mqtt_poll(&c);
    rc += sm_mqtt_pending(&c, 1) + sm_mqtt_state(&c);
    rc += sm_mqtt_disconnect_start(&c);
    sm_mqtt_abort(&c, SM_ERR_IO);
    return rc;
}

#ifndef REF_NO_MAIN
int main(void) { return ref_mqtt_session(); }
#endif
