/* Compiles the whole header with the implementation, for every toolchain the
   library supports (see the Makefile's `cross` target). */
#define SECMODEM_IMPLEMENTATION
#include "../secmodem.h"

static int tx(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t now(void *u) { (void)u; return 0; }

#ifndef SM_NO_MQTT
/* Calls every public MQTT framing function, so none is left uncompiled (or,
   in a size measurement, discarded). */
int sm_compile_check_mqtt(uint8_t *buf, size_t cap, const uint8_t *rx, size_t rx_len);
int sm_compile_check_mqtt(uint8_t *buf, size_t cap, const uint8_t *rx, size_t rx_len)
{
    static const char *const filters[1] = { "a/+" };
    static const uint8_t qos[1] = { 1 };
    sm_mqtt_connect_opts o;
    sm_mqtt_publish p;
    sm_mqtt_decoder d;
    sm_mqtt_event ev;
    size_t len, used;
    int rc = 0;
    memset(&o, 0, sizeof o);
    memset(&p, 0, sizeof p);
    o.client_id = "c";
    o.clean_session = 1;
    p.topic = "t";
    rc |= sm_mqtt_check_string("a/#", SM_MQTT_STR_FILTER);
    rc |= sm_mqtt_encode_connect(buf, cap, &o, &len);
    rc |= sm_mqtt_encode_publish(buf, cap, &p, &len);
    rc |= sm_mqtt_encode_publish_header(buf, cap, &p, &len);
    rc |= sm_mqtt_encode_ack(buf, cap, SM_MQTT_PUBACK, 1, &len);
    rc |= sm_mqtt_encode_subscribe(buf, cap, 1, filters, qos, 1, &len);
    rc |= sm_mqtt_encode_unsubscribe(buf, cap, 1, filters, 1, &len);
    rc |= sm_mqtt_encode_pingreq(buf, cap, &len);
    rc |= sm_mqtt_encode_disconnect(buf, cap, &len);
    sm_mqtt_decoder_reset(&d);
    while (rx_len > 0 && rc >= 0) {
        rc = sm_mqtt_decode(&d, rx, rx_len, &used, &ev);
        rx += used;
        rx_len -= used;
    }
    return rc;
}
#endif

int sm_compile_check(void);
int sm_compile_check(void)
{
    sm_platform p;
    sm_at at;
    sm_at_cmd c;
    memset(&p, 0, sizeof p);
    memset(&c, 0, sizeof c);
    p.write = tx;
    p.now_ms = now;
    sm_at_init(&at, &p, sm_at_dialect_3gpp());
    c.text = "AT";
    sm_at_submit(&at, &c);
    return sm_at_poll(&at);
}
