/* Compiles the whole header with the implementation, for every toolchain the
   library supports (see the Makefile's `cross` target). */
#define SECMODEM_IMPLEMENTATION
#include "../secmodem.h"

static int tx(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t now(void *u) { (void)u; return 0; }

#ifndef SM_NO_CORDELIA
/* Every public function of the Cordelia-I section, so that each toolchain
   compiles and type-checks the calls (see the Makefile's `cross`). */
static void cord_done(void *ctx, sm_cord *c, const sm_cord_result *r) { (void)ctx; (void)c; (void)r; }
static void cord_event(void *ctx, sm_cord *c, const sm_cord_event *e) { (void)ctx; (void)c; (void)e; }
static void cord_entry(void *ctx, sm_cord *c, const sm_cord_file_entry *e) { (void)ctx; (void)c; (void)e; }

int sm_compile_check_cordelia(const sm_platform *p);
int sm_compile_check_cordelia(const sm_platform *p)
{
    static sm_cord c;
    static sm_cord_mqtt_config cfg;
    static uint8_t buf[64];
    static char b64[96];
    sm_cord_tls tls;
    size_t n;
    int r = 0;
    memset(&tls, 0, sizeof tls);
    tls.method = "TLSV1_2";
    r |= sm_cord_init(&c, p, cord_event, NULL);
    r |= sm_cord_test(&c, cord_done, NULL);
    r |= sm_cord_reboot(&c, cord_done, NULL);
    r |= sm_cord_factory_reset(&c, cord_done, NULL);
    r |= sm_cord_get(&c, "general", "version", cord_done, NULL);
    r |= sm_cord_set_str(&c, "MQTT", "clientId", "x", cord_done, NULL);
    r |= sm_cord_set_int(&c, "MQTT", "iotHubPort", 8883, cord_done, NULL);
    r |= sm_cord_set_bool(&c, "MQTT", "cleanConnect", 1, cord_done, NULL);
    sm_cord_mqtt_config_init(&cfg);
    r |= sm_cord_mqtt_configure(&c, &cfg, cord_done, NULL);
    r |= sm_cord_wlan_connect(&c, "ssid", SM_CORD_SEC_WPA_WPA2, "passphrase", cord_done, NULL);
    r |= sm_cord_wlan_disconnect(&c, cord_done, NULL);
    r |= sm_cord_file_open(&c, "f", SM_CORD_FILE_READ, 0, cord_done, NULL);
    r |= sm_cord_file_write(&c, 1, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_file_read(&c, 1, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_file_close(&c, 1, cord_done, NULL);
    r |= sm_cord_file_delete(&c, "f", cord_done, NULL);
    r |= sm_cord_file_get_info(&c, "f", cord_done, NULL);
    r |= sm_cord_file_list(&c, cord_entry, cord_done, NULL);
    r |= sm_cord_file_upload(&c, "f", buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_socket(&c, 1, cord_done, NULL);
    r |= sm_cord_socket_tls(&c, 0, &tls, cord_done, NULL);
    r |= sm_cord_connect(&c, 0, 8883, "127.0.0.1", cord_done, NULL);
    r |= sm_cord_send(&c, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_recv(&c, 0, buf, sizeof buf, cord_done, NULL);
    r |= sm_cord_close(&c, 0, cord_done, NULL);
    r |= sm_cord_mqtt_connect(&c, cord_done, NULL);
    r |= sm_cord_mqtt_disconnect(&c, cord_done, NULL);
    r |= sm_cord_mqtt_publish(&c, 0, "{}", cord_done, NULL);
    r |= sm_cord_feed(&c, buf, 1);
    r |= sm_cord_poll(&c);
    r |= sm_cord_pending(&c, 1) + sm_cord_busy(&c);
    r |= sm_cord_get_state(&c)->started + (sm_cord_at(&c) != NULL);
    r |= (sm_cord_dialect() != NULL) + (int)strlen(sm_cord_event_name(SM_CORD_EV_STARTUP));
    r |= (int)strlen(sm_cord_op_name(SM_CORD_OP_TEST));
    r |= sm_cord_wait(&c, 1);
    sm_cord_cancel(&c);
    r |= sm_base64_encode(buf, 3, b64, sizeof b64, &n);
    r |= sm_base64_decode(b64, n, buf, sizeof buf, &n);
    return r;
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
