/* A Sequans product with secmodem's own MQTT session over a TLS socket:
   bring-up with NTP, a mutual-TLS profile (certificates already in the
   modem's NVM), socket 1 configured, made TLS and dialled, the socket as a
   stream under the session, CONNECT, one SUBSCRIBE, periodic QoS 1
   publishes. Built with the other dialect and the ATECC608 compiled out. */
#include "app_common.h"

static sm_sqn M;
static sm_sqn_stream ST;
static sm_mqtt_transport T;
static sm_mqtt_client C;

static void on_result(void *ctx, sm_mqtt_client *c, const sm_mqtt_result *r)
{ (void)ctx; (void)c; sm_app_next(r->status); }
static void on_message(void *ctx, sm_mqtt_client *c, const sm_mqtt_event *e)
{ (void)ctx; (void)c; if (e->data_len) sm_ref_sink = e->data[0]; }

int main(void)
{
    static const char *const filters[1] = { "dev/cmd" };
    static const uint8_t qos[1] = { 1 };
    static const uint8_t reading[4] = { '2', '1', '.', '5' };
    sm_platform p;
    sm_mqtt_connect_opts o;
    int started = -1;
    sm_ref_platform(&p);
    if (sm_sqn_init(&M, &p, NULL, NULL) != SM_OK) return 1;
    sm_sqn_bringup_time_sync(&M, 60000u);
    for (;;) {
        sm_sqn_poll(&M);
        if (sm_app_step >= 6) sm_mqtt_poll(&C);
        if (!sm_app_new_step(&started)) continue;
        switch (sm_app_step) {
        case 0: sm_sqn_bringup(&M, sm_app_sqn_done, NULL); break;
        case 1: sm_app_sqn_tls(&M, 0); break;
        case 2: sm_sqn_sock_config(&M, 1, 1, 0, sm_app_sqn_done, NULL); break;
        case 3: sm_sqn_sock_tls(&M, 1, 1, sm_app_sqn_done, NULL); break;
        case 4: sm_sqn_sock_dial(&M, 1, "broker.example", 8883, sm_app_sqn_done, NULL); break;
        case 5:
            sm_sqn_stream_init(&ST, &M, 1);
            sm_mqtt_transport_sqn(&T, &ST);
            sm_mqtt_init(&C, &T, on_result, on_message, NULL);
            memset(&o, 0, sizeof o);
            o.client_id = "dev1";
            o.keep_alive = 60;
            sm_mqtt_connect_start(&C, &o);
            sm_app_step = 6;
            break;
        case 7: sm_mqtt_subscribe_start(&C, filters, qos, 1); break;
        default: sm_mqtt_publish_start(&C, "dev/temp", reading, sizeof reading, 1, 0); break;
        }
    }
}
