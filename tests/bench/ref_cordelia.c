/* Cordelia-I dialect: a firmware that drives the module through sm_cord
   (every operation, the event table), on top of the AT engine. */
#include "ref_common.h"

static void cord_on_done(void *ctx, sm_cord *c, const sm_result *r)
{ (void)ctx; (void)c; sm_ref_sink = (uint8_t)r->status; }
static void cord_on_event(void *ctx, sm_cord *c, const sm_event *e)
{ (void)ctx; (void)c; sm_ref_sink = (uint8_t)e->type; }
static void cord_on_entry(void *ctx, sm_cord *c, const sm_cord_file_entry *e)
{ (void)ctx; (void)c; sm_ref_sink = (uint8_t)e->blocks; }

int ref_cordelia(void);
int ref_cordelia(void)
{
    static sm_cord c;
    static sm_cord_mqtt_opts cfg;
    static uint8_t buf[64];
    sm_platform p;
    sm_cord_tls tls;
    memset(&tls, 0, sizeof tls);
    sm_ref_platform(&p);
    sm_cord_init(&c, &p, cord_on_event, 0);
    sm_cord_mqtt_opts_init(&cfg);
    sm_cord_test(&c, cord_on_done, 0);
    sm_cord_reboot(&c, cord_on_done, 0);
    sm_cord_factory_reset(&c, cord_on_done, 0);
    sm_cord_get(&c, "general", "version", cord_on_done, 0);
    sm_cord_set_str(&c, "MQTT", "clientId", "x", cord_on_done, 0);
    sm_cord_set_int(&c, "MQTT", "iotHubPort", 8883, cord_on_done, 0);
    sm_cord_set_bool(&c, "MQTT", "cleanConnect", 1, cord_on_done, 0);
    sm_cord_mqtt_config(&c, &cfg, cord_on_done, 0);
    sm_cord_wlan_connect(&c, "ssid", SM_CORD_SEC_WPA_WPA2, "passphrase", cord_on_done, 0);
    sm_cord_wlan_disconnect(&c, cord_on_done, 0);
    sm_cord_file_open(&c, "f", SM_CORD_FILE_READ, 0, cord_on_done, 0);
    sm_cord_file_write(&c, 1, 0, buf, sizeof buf, cord_on_done, 0);
    sm_cord_file_read(&c, 1, 0, buf, sizeof buf, cord_on_done, 0);
    sm_cord_file_close(&c, 1, cord_on_done, 0);
    sm_cord_file_delete(&c, "f", cord_on_done, 0);
    sm_cord_file_get_info(&c, "f", cord_on_done, 0);
    sm_cord_file_list(&c, cord_on_entry, cord_on_done, 0);
    sm_cord_file_upload(&c, "f", buf, sizeof buf, cord_on_done, 0);
    sm_cord_sock_open(&c, 1, cord_on_done, 0);
    sm_cord_sock_tls(&c, 0, &tls, cord_on_done, 0);
    sm_cord_sock_dial(&c, 0, "h", 8883, cord_on_done, 0);
    sm_cord_sock_send(&c, 0, buf, sizeof buf, cord_on_done, 0);
    sm_cord_sock_recv(&c, 0, buf, sizeof buf, cord_on_done, 0);
    sm_cord_sock_close(&c, 0, cord_on_done, 0);
    sm_cord_mqtt_connect(&c, cord_on_done, 0);
    sm_cord_mqtt_disconnect(&c, cord_on_done, 0);
    sm_cord_mqtt_publish(&c, 0, "{}", cord_on_done, 0);
    buf[0] = sm_ref_sink;
    sm_cord_feed(&c, buf, 1);
    sm_cord_poll(&c);
    sm_cord_cancel(&c);
    return sm_cord_busy(&c);
}

#ifndef REF_NO_MAIN
int main(void) { return ref_cordelia(); }
#endif
