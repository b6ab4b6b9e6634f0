/* Compiles the whole header with the implementation, for every toolchain the
   library supports (see the Makefile's `cross` target), and calls every
   public function so that each section is compiled and linked for real. */
#define SECMODEM_IMPLEMENTATION
#include "../secmodem.h"

static int tx(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t now(void *u) { (void)u; return 0; }

int sm_compile_check(void);

#ifndef SM_NO_SEQUANS
static void sqn_done(void *ctx, sm_sqn *m, const sm_sqn_result *r) { (void)ctx; (void)m; (void)r; }
static void sqn_event(void *ctx, sm_sqn *m, const sm_sqn_event *ev) { (void)ctx; (void)m; (void)ev; }

int sm_sqn_compile_check(const sm_platform *p);
int sm_sqn_compile_check(const sm_platform *p)
{
    static sm_sqn m;
    static uint8_t buf[64];
    static const uint8_t data[4] = { 1, 2, 3, 4 };
    sm_sqn_tls tls;
    sm_sqn_http_req req;
    int rc = 0;
    memset(&req, 0, sizeof req);
    req.resource = "/";
    if (sm_sqn_dialect()->cmd_term[0] != '\r') return -1;
    rc |= sm_sqn_init(&m, p, sqn_event, NULL);
    rc |= sm_sqn_bringup(&m, sqn_done, NULL);
    rc |= sm_sqn_clock_read(&m, sqn_done, NULL);
    rc |= sm_sqn_nvm_write(&m, SM_SQN_NVM_CERT, 19, data, sizeof data, sqn_done, NULL);
    rc |= sm_sqn_nvm_read_cert(&m, 19, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_nvm_key_info(&m, 19, sqn_done, NULL);
    rc |= sm_sqn_nvm_delete(&m, SM_SQN_NVM_KEY, 19, sqn_done, NULL);
    sm_sqn_tls_defaults(&tls, 1, 19, 1);
    rc |= sm_sqn_tls_config(&m, &tls, sqn_done, NULL);
    rc |= sm_sqn_sock_config(&m, 1, 1, 90, sqn_done, NULL);
    rc |= sm_sqn_sock_tls(&m, 1, 1, sqn_done, NULL);
    rc |= sm_sqn_sock_dial(&m, 1, "localhost", 8883, sqn_done, NULL);
    rc |= sm_sqn_sock_send(&m, 1, data, sizeof data, sqn_done, NULL);
    rc |= sm_sqn_sock_recv(&m, 1, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_sock_close(&m, 1, sqn_done, NULL);
    rc |= sm_sqn_sock_status(&m, sqn_done, NULL);
    rc |= sm_sqn_sock_info(&m, 1, sqn_done, NULL);
    rc |= sm_sqn_mqtt_config(&m, "id", "user", "pw", 1, sqn_done, NULL);
    rc |= sm_sqn_mqtt_connect(&m, "localhost", 8883, 60, sqn_done, NULL);
    rc |= sm_sqn_mqtt_subscribe(&m, "a/#", 1, sqn_done, NULL);
    rc |= sm_sqn_mqtt_unsubscribe(&m, "a/#", sqn_done, NULL);
    rc |= sm_sqn_mqtt_publish(&m, "a/b", 1, data, sizeof data, sqn_done, NULL);
    rc |= sm_sqn_mqtt_read(&m, "a/b", 1, 4, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_mqtt_disconnect(&m, sqn_done, NULL);
    rc |= sm_sqn_http_config(&m, 0, "localhost", 443, 1, NULL, NULL, sqn_done, NULL);
    rc |= sm_sqn_http_request(&m, &req, sqn_done, NULL);
    rc |= sm_sqn_http_read(&m, 0, buf, sizeof buf, sqn_done, NULL);
    rc |= sm_sqn_feed(&m, data, sizeof data);
    rc |= sm_sqn_poll(&m);
    return rc | (int)sm_sqn_event_name(SM_SQN_EV_UNHANDLED)[0] | (int)sm_sqn_op_name(SM_SQN_OP_CLOCK)[0];
}
#endif

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
