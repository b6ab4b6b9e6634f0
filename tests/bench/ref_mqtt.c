/* MQTT 3.1.1 framing: every encoder and the streaming decoder. */
#include "ref_common.h"

int ref_mqtt(void);
int ref_mqtt(void)
{
    static uint8_t buf[128];
    static sm_mqtt_decoder d;
    sm_mqtt_connect_opts o;
    sm_mqtt_publish p;
    sm_mqtt_event ev;
    static const char *const filters[1] = { "a/#" };
    static const uint8_t qos[1] = { 1 };
    size_t len = 0, used = 0;
    int rc = 0;
    memset(&o, 0, sizeof o);
    memset(&p, 0, sizeof p);
    o.client_id = "dev";
    o.keep_alive = (uint16_t)sm_ref_clock;
    o.clean_session = 1;
    p.topic = "a/b";
    p.payload = buf;
    p.payload_len = sm_ref_sink;
    p.qos = 1;
    p.packet_id = 1;
    rc += sm_mqtt_encode_connect(buf, sizeof buf, &o, &len);
    rc += sm_mqtt_encode_publish(buf, sizeof buf, &p, &len);
    rc += sm_mqtt_encode_publish_header(buf, sizeof buf, &p, &len);
    rc += sm_mqtt_encode_ack(buf, sizeof buf, sm_ref_sink, 1, &len);
    rc += sm_mqtt_encode_subscribe(buf, sizeof buf, 2, filters, qos, 1, &len);
    rc += sm_mqtt_encode_unsubscribe(buf, sizeof buf, 3, filters, 1, &len);
    rc += sm_mqtt_encode_pingreq(buf, sizeof buf, &len);
    rc += sm_mqtt_encode_disconnect(buf, sizeof buf, &len);
    rc += sm_mqtt_check_string("x", sm_ref_sink);
    sm_mqtt_decoder_reset(&d);
    rc += sm_mqtt_decode(&d, buf, sm_ref_sink, &used, &ev);
    return rc + (int)len;
}

#ifndef REF_NO_MAIN
int main(void) { return ref_mqtt(); }
#endif
