/* Sequans GM02S dialect: a firmware that uses every sm_sqn operation, on
   top of the AT engine. */
#include "ref_common.h"

static void sqn_on_done(void *ctx, sm_sqn *m, const sm_result *r)
{ (void)ctx; (void)m; sm_ref_sink = (uint8_t)r->status; }
static void sqn_on_event(void *ctx, sm_sqn *m, const sm_event *e)
{ (void)ctx; (void)m; sm_ref_sink = (uint8_t)e->type; }

int ref_sequans(void);
int ref_sequans(void)
{
    static sm_sqn m;
    static sm_sqn_mqtt_mem mq;
    static uint8_t buf[64];
    sm_platform p;
    sm_sqn_tls t;
    sm_sqn_http_req req;
    sm_ref_platform(&p);
    sm_sqn_init(&m, &p, sqn_on_event, 0);
    sm_sqn_use_mqtt(&m, &mq);
    sm_sqn_bringup(&m, sqn_on_done, 0);
    sm_sqn_clock_read(&m, sqn_on_done, 0);
    sm_sqn_nvm_write(&m, SM_SQN_NVM_CERT, 19, buf, sizeof buf, sqn_on_done, 0);
    sm_sqn_nvm_read_cert(&m, 19, buf, sizeof buf, sqn_on_done, 0);
    sm_sqn_nvm_key_info(&m, 17, sqn_on_done, 0);
    sm_sqn_nvm_delete(&m, SM_SQN_NVM_KEY, 17, sqn_on_done, 0);
    sm_sqn_tls_defaults(&t, 1, 19, 1);
    sm_sqn_tls_config(&m, &t, sqn_on_done, 0);
    sm_sqn_sock_config(&m, 1, 1, 90, sqn_on_done, 0);
    sm_sqn_sock_tls(&m, 1, 1, sqn_on_done, 0);
    sm_sqn_sock_dial(&m, 1, "127.0.0.1", 4433, sqn_on_done, 0);
    sm_sqn_sock_send(&m, 1, buf, sizeof buf, sqn_on_done, 0);
    sm_sqn_sock_recv(&m, 1, buf, sizeof buf, sqn_on_done, 0);
    sm_sqn_sock_status(&m, sqn_on_done, 0);
    sm_sqn_sock_info(&m, 1, sqn_on_done, 0);
    sm_sqn_sock_close(&m, 1, sqn_on_done, 0);
    sm_sqn_mqtt_config(&m, "dev", NULL, NULL, 1, sqn_on_done, 0);
    sm_sqn_mqtt_connect(&m, "127.0.0.1", 8883, 60, sqn_on_done, 0);
    sm_sqn_mqtt_subscribe(&m, "a/#", 1, sqn_on_done, 0);
    sm_sqn_mqtt_unsubscribe(&m, "a/#", sqn_on_done, 0);
    sm_sqn_mqtt_publish(&m, "a/b", 1, buf, sizeof buf, sqn_on_done, 0);
    sm_sqn_mqtt_read(&m, "a/b", 1, 8, buf, sizeof buf, sqn_on_done, 0);
    sm_sqn_mqtt_disconnect(&m, sqn_on_done, 0);
    sm_sqn_http_config(&m, 0, "127.0.0.1", 443, 1, NULL, NULL, sqn_on_done, 0);
    memset(&req, 0, sizeof req);
    req.resource = "/";
    sm_sqn_http_request(&m, &req, sqn_on_done, 0);
    sm_sqn_http_read(&m, 0, buf, sizeof buf, sqn_on_done, 0);
    while (sm_sqn_poll(&m) == SM_OK && sm_ref_clock < 1000u) sm_ref_clock++;
    return (int)m.st.reboots;
}

#ifndef REF_NO_MAIN
int main(void) { return ref_sequans(); }
#endif
