/* Cordelia-I dialect: a firmware that drives the module through sm_cord
   (every operation, the event table), on top of the AT engine. */
#include "ref_common.h"

static void on_done(void *ctx, sm_cord *c, const sm_cord_result *r)
{ (void)ctx; (void)c; sm_ref_sink = (uint8_t)r->status; }
static void on_event(void *ctx, sm_cord *c, const sm_cord_event *e)
{ (void)ctx; (void)c; sm_ref_sink = (uint8_t)e->kind; }
static void on_entry(void *ctx, sm_cord *c, const sm_cord_file_entry *e)
{ (void)ctx; (void)c; sm_ref_sink = (uint8_t)e->blocks; }

int main(void)
{
    static sm_cord c;
    static sm_cord_mqtt_config cfg;
    static uint8_t buf[64];
    sm_platform p;
    sm_cord_tls tls;
    memset(&tls, 0, sizeof tls);
    sm_ref_platform(&p);
    sm_cord_init(&c, &p, on_event, 0);
    sm_cord_mqtt_config_init(&cfg);
    sm_cord_test(&c, on_done, 0);
    sm_cord_reboot(&c, on_done, 0);
    sm_cord_factory_reset(&c, on_done, 0);
    sm_cord_get(&c, "general", "version", on_done, 0);
    sm_cord_set_str(&c, "MQTT", "clientId", "x", on_done, 0);
    sm_cord_set_int(&c, "MQTT", "iotHubPort", 8883, on_done, 0);
    sm_cord_set_bool(&c, "MQTT", "cleanConnect", 1, on_done, 0);
    sm_cord_mqtt_configure(&c, &cfg, on_done, 0);
    sm_cord_wlan_connect(&c, "ssid", SM_CORD_SEC_WPA_WPA2, "passphrase", on_done, 0);
    sm_cord_wlan_disconnect(&c, on_done, 0);
    sm_cord_file_open(&c, "f", SM_CORD_FILE_READ, 0, on_done, 0);
    sm_cord_file_write(&c, 1, 0, buf, sizeof buf, on_done, 0);
    sm_cord_file_read(&c, 1, 0, buf, sizeof buf, on_done, 0);
    sm_cord_file_close(&c, 1, on_done, 0);
    sm_cord_file_delete(&c, "f", on_done, 0);
    sm_cord_file_get_info(&c, "f", on_done, 0);
    sm_cord_file_list(&c, on_entry, on_done, 0);
    sm_cord_file_upload(&c, "f", buf, sizeof buf, on_done, 0);
    sm_cord_socket(&c, 1, on_done, 0);
    sm_cord_socket_tls(&c, 0, &tls, on_done, 0);
    sm_cord_connect(&c, 0, 8883, "h", on_done, 0);
    sm_cord_send(&c, 0, buf, sizeof buf, on_done, 0);
    sm_cord_recv(&c, 0, buf, sizeof buf, on_done, 0);
    sm_cord_close(&c, 0, on_done, 0);
    sm_cord_mqtt_connect(&c, on_done, 0);
    sm_cord_mqtt_disconnect(&c, on_done, 0);
    sm_cord_mqtt_publish(&c, 0, "{}", on_done, 0);
    buf[0] = sm_ref_sink;
    sm_cord_feed(&c, buf, 1);
    sm_cord_poll(&c);
    sm_cord_cancel(&c);
    return sm_cord_busy(&c);
}
