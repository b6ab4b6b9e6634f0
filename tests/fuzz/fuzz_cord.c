/* fuzz_cord.c - libFuzzer harness for the Cordelia-I dialect: what a
   hostile or broken module sends (events, information lines, ERROR:<text>,
   inline binary data, +recv: events read by count, MQTT messages longer
   than a line) is fed while operations are in flight (file read in Base64,
   socket receive, file list, settings, connect, bring-up). Every operation
   must end once the line goes silent. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdlib.h>
#include "fuzz_result.h"

typedef struct fz {
    sm_cord c;
    uint32_t now;
    uint8_t buf[96];
    char msg[300];
    int started, done;
} fz;

static int fz_write(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t fz_now(void *u) { return ((fz *)u)->now; }
static void fz_done(void *ctx, sm_cord *c, const sm_result *r)
{
    (void)c;
    ((fz *)ctx)->done++;
    fz_check_result(r, SM_CORD_OP_COUNT_, r->op == SM_CORD_OP_FILE_READ || r->op == SM_CORD_OP_SOCK_RECV,
                    sizeof ((fz *)ctx)->buf);
}
static void fz_entry(void *ctx, sm_cord *c, const sm_cord_file_entry *e) { (void)ctx; (void)c; (void)e; }
static void fz_event(void *ctx, sm_cord *c, const sm_event *ev)
{
    fz *f = (fz *)ctx;
    fz_check_event(ev, SM_CORD_EV_COUNT_);
    /* the strings of the types that carry them are NUL-terminated */
    switch (ev->type) {
    case SM_CORD_EV_STARTUP:
        (void)strlen(ev->u.startup.article); (void)strlen(ev->u.startup.chip_id);
        (void)strlen(ev->u.startup.mac); (void)strlen(ev->u.startup.version);
        break;
    case SM_CORD_EV_WLAN_CONNECTED: case SM_CORD_EV_WLAN_DISCONNECTED:
        if (ev->u.wlan.ssid) (void)strlen(ev->u.wlan.ssid);
        if (ev->u.wlan.bssid) (void)strlen(ev->u.wlan.bssid);
        break;
    case SM_CORD_EV_IP_ACQUIRED:
        if (ev->u.ip.ip) (void)strlen(ev->u.ip.ip);
        if (ev->u.ip.gateway) (void)strlen(ev->u.ip.gateway);
        if (ev->u.ip.dns) (void)strlen(ev->u.ip.dns);
        break;
    case SM_CORD_EV_MQTT_INFO: case SM_CORD_EV_MQTT_ERROR:
        if (ev->u.mqtt.status) (void)strlen(ev->u.mqtt.status);
        break;
    case SM_CORD_EV_MQTT_RECV: case SM_CORD_EV_MQTT_TOO_LONG:
        if (!ev->u.msg.topic || !ev->u.msg.payload || ev->u.msg.payload[ev->u.msg.len] != '\0' ||
            ev->u.msg.len > ev->u.msg.total || (ev->type == SM_CORD_EV_MQTT_RECV && ev->u.msg.len != ev->u.msg.total))
            abort();
        (void)strlen(ev->u.msg.topic);
        break;
    case SM_CORD_EV_SOCK_CONNECTED: case SM_CORD_EV_SOCK_DATA: case SM_CORD_EV_SOCK_CLOSED:
    case SM_CORD_EV_SOCK_TX_FAILED: case SM_CORD_EV_SOCK_ERROR:
        if (ev->u.sock.address) (void)strlen(ev->u.sock.address);
        break;
    case SM_CORD_EV_FATAL:
        if (ev->u.fatal.reason) (void)strlen(ev->u.fatal.reason);
        break;
    default:
        break;
    }
    if (ev->type == SM_CORD_EV_SOCK_DATA && sm_cord_sock_recv(c, 0, f->buf, sizeof f->buf, fz_done, f) > 0)
        f->started++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz f;
    sm_platform p;
    size_t i = 1;
    int k;
    if (size < 1) return 0;
    memset(&f, 0, sizeof f);
    memset(&p, 0, sizeof p);
    p.user = &f;
    p.write = fz_write;
    p.now_ms = fz_now;
    if (sm_cord_init(&f.c, &p, fz_event, &f) != SM_OK) abort();
    /* every event parsed, whatever operation runs (the corpus was made so) */
    sm_cord_use_mqtt(&f.c);
    sm_cord_use_sockets(&f.c);
    if (data[0] & 0x80) sm_cord_set_msg_buffer(&f.c, f.msg, sizeof f.msg);
    switch (data[0] % 6) {
    case 0: if (sm_cord_file_read(&f.c, 363990529u, 0, f.buf, sizeof f.buf, fz_done, &f) > 0) f.started++; break;
    case 1: if (sm_cord_sock_recv(&f.c, 0, f.buf, sizeof f.buf, fz_done, &f) > 0) f.started++; break;
    case 2: if (sm_cord_file_list(&f.c, fz_entry, fz_done, &f) > 0) f.started++; break;
    case 3: if (sm_cord_sock_dial(&f.c, 0, "127.0.0.1", 443, fz_done, &f) > 0) f.started++; break;
    case 4: if (sm_cord_bringup(&f.c, NULL, fz_done, &f) > 0) f.started++; break;
    default: if (sm_cord_get(&f.c, "general", "version", fz_done, &f) > 0) f.started++; break;
    }
    while (i < size) {
        size_t chunk = (size_t)(data[i - 1] % 29) + 1;
        if (chunk > size - i) chunk = size - i;
        sm_cord_poll(&f.c);
        sm_cord_feed(&f.c, data + i, chunk);
        f.now += (uint32_t)(data[i] % 97);
        sm_cord_poll(&f.c);
        i += chunk;
    }
    for (k = 0; k < 2000 && f.done < f.started; k++) {
        f.now += 1000;
        sm_cord_poll(&f.c);
    }
    if (f.done < f.started) abort();
    return 0;
}
