/* A Sequans product on the modem's built-in MQTT client: bring-up with NTP,
   a mutual-TLS profile, AT+SQNSMQTTCFG/CONNECT, one subscription, messages
   read when announced, periodic QoS 1 publishes. No MQTT section, no
   ATECC608, no Cordelia. */
#include "app_common.h"

static sm_sqn M;
static sm_sqn_mqtt_mem MQ; /* the built-in MQTT client's memory: counted in the RAM */
static uint8_t rx[256];

static void read_done(void *ctx, sm_sqn *m, const sm_result *r)
{ (void)ctx; (void)m; if (r->status == SM_OK && r->len) sm_ref_sink = rx[0]; }
static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    (void)ctx;
    if (ev->type == SM_SQN_EV_MQTT_MESSAGE)
        sm_sqn_mqtt_read(m, ev->u.msg.topic, ev->u.msg.mid, ev->u.msg.len, rx,
                         sizeof rx, read_done, NULL);
}

int main(void)
{
    static const uint8_t reading[4] = { '2', '1', '.', '5' };
    sm_platform p;
    int started = -1;
    sm_ref_platform(&p);
    if (sm_sqn_init(&M, &p, on_event, NULL) != SM_OK) return 1;
    if (sm_sqn_use_mqtt(&M, &MQ) != SM_OK) return 1;
    sm_sqn_bringup_time_sync(&M, 60000u);
    for (;;) {
        sm_sqn_poll(&M);
        if (!sm_app_new_step(&started)) continue;
        switch (sm_app_step) {
        case 0: sm_sqn_bringup(&M, sm_app_sqn_done, NULL); break;
        case 1: sm_app_sqn_tls(&M, 0); break;
        case 2: sm_sqn_mqtt_config(&M, "dev1", NULL, NULL, 1, sm_app_sqn_done, NULL); break;
        case 3: sm_sqn_mqtt_connect(&M, "broker.example", 8883, 60, sm_app_sqn_done, NULL); break;
        case 4: sm_sqn_mqtt_subscribe(&M, "dev/cmd", 1, sm_app_sqn_done, NULL); break;
        default: sm_sqn_mqtt_publish(&M, "dev/temp", 1, reading, sizeof reading, sm_app_sqn_done, NULL); break;
        }
    }
}
