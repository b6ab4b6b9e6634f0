/* A Sequans product whose TLS key stays in the ATECC608: the modem's
   built-in MQTT client over a profile with the key in the host, every
   handshake signature made by the chip (section 12). No MQTT section, no
   Cordelia, no CSR. */
#include "app_common.h"

static sm_sqn M;
static sm_sqn_mqtt_mem MQ; /* the built-in MQTT client's memory: counted in the RAM */
static sm_atecc SE;
static sm_hce H;

static void on_event(void *ctx, sm_sqn *m, const sm_event *ev)
{ (void)ctx; (void)m; (void)sm_hce_on_event(&H, ev); }

int main(void)
{
    static const uint8_t reading[4] = { '2', '1', '.', '5' };
    sm_platform p;
    int started = -1;
    sm_ref_platform(&p);
    if (sm_sqn_init(&M, &p, on_event, NULL) != SM_OK) return 1;
    if (sm_sqn_use_mqtt(&M, &MQ) != SM_OK) return 1;
    if (sm_atecc_init(&SE, &p, 0x60) != SM_OK) return 1;
    if (sm_hce_init(&H, &M, &SE, NULL, NULL) != SM_OK) return 1;
    sm_sqn_bringup_time_sync(&M, 60000u);
    for (;;) {
        sm_sqn_poll(&M);
        sm_atecc_poll(&SE);
        sm_hce_poll(&H);
        if (!sm_app_new_step(&started)) continue;
        switch (sm_app_step) {
        case 0: sm_sqn_bringup(&M, sm_app_sqn_done, NULL); break;
        case 1: sm_app_sqn_tls(&M, 1); break;
        case 2: sm_sqn_mqtt_config(&M, "dev1", NULL, NULL, 1, sm_app_sqn_done, NULL); break;
        case 3: sm_sqn_mqtt_connect(&M, "broker.example", 8883, 60, sm_app_sqn_done, NULL); break;
        default: sm_sqn_mqtt_publish(&M, "dev/temp", 1, reading, sizeof reading, sm_app_sqn_done, NULL); break;
        }
    }
}
