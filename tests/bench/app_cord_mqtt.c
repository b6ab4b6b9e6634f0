/* A Cordelia-I product on the module's built-in MQTT client: bring-up with
   the MQTT settings applied (certificates already stored in the module's
   files), Wi-Fi join, MQTT connect, periodic publishes; messages arrive as
   events. No Sequans, no MQTT section, no ATECC608. */
#include "app_common.h"

static sm_cord C;

static void done(void *ctx, sm_cord *c, const sm_result *r) { (void)ctx; (void)c; sm_app_next(r->status); }
static void on_event(void *ctx, sm_cord *c, const sm_event *ev)
{ (void)ctx; (void)c; sm_ref_sink = (uint8_t)ev->type; }

int main(void)
{
    sm_platform p;
    sm_cord_mqtt_opts cfg;
    sm_cord_bringup_opts opts;
    int started = -1;
    sm_ref_platform(&p);
    if (sm_cord_init(&C, &p, on_event, NULL) != SM_OK) return 1;
    sm_cord_mqtt_opts_init(&cfg);
    cfg.client_id = "dev1";
    cfg.endpoint = "broker.example";
    cfg.port = 8883;
    cfg.flags = "url|sec";
    cfg.ca_file = "ca.pem";
    cfg.cert_file = "dev.pem";
    cfg.key_file = "dev.key";
    cfg.pub[0].name = "dev/temp";
    cfg.pub[0].qos = 1;
    cfg.sub[0].name = "dev/cmd";
    cfg.sub[0].qos = 1;
    opts.mqtt = &cfg;
    for (;;) {
        sm_cord_poll(&C);
        if (!sm_app_new_step(&started)) continue;
        switch (sm_app_step) {
        case 0: sm_cord_bringup(&C, &opts, done, NULL); break;
        case 1: sm_cord_wlan_connect(&C, "home", SM_CORD_SEC_WPA_WPA2, "secret-key", done, NULL); break;
        case 2: sm_cord_mqtt_connect(&C, done, NULL); break;
        default: sm_cord_mqtt_publish(&C, 0, "21.5", done, NULL); break;
        }
    }
}
