/* cpu_mqtt.c - the MQTT decoder and encoder under callgrind (bench.py):
   decodes PUBLISH packets whose payloads are either small or large, fed in
   64-byte chunks, so that the per-packet and per-payload-byte costs can be
   separated; encodes PUBLISH headers and PUBACKs. Prints what it did. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdio.h>
#include <stdlib.h>

static uint8_t stream[1 << 20];

/* n PUBLISH QoS 1 packets with payload_len bytes each; returns the length. */
static size_t build(size_t n, uint32_t payload_len)
{
    size_t off = 0, i, len = 0;
    static uint8_t payload[4096];
    sm_mqtt_publish p;
    for (i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 31u);
    memset(&p, 0, sizeof p);
    p.topic = "dev/0042/cmd";
    p.qos = 1;
    p.payload = payload;
    p.payload_len = payload_len;
    for (i = 0; i < n; i++) {
        p.packet_id = (uint16_t)(i % 65535u + 1u);
        if (sm_mqtt_encode_publish(stream + off, sizeof stream - off, &p, &len) != SM_OK) exit(1);
        off += len;
    }
    return off;
}

static unsigned long decode_all(size_t total)
{
    static sm_mqtt_decoder d;
    size_t i = 0;
    unsigned long events = 0;
    sm_mqtt_decoder_reset(&d);
    while (i < total) {
        size_t n = total - i < 64 ? total - i : 64, used = 0, k = 0;
        while (k < n) {
            sm_mqtt_event ev;
            int rc = sm_mqtt_decode(&d, stream + i + k, n - k, &used, &ev);
            if (rc < 0) exit(2);
            if (rc > 0) events++;
            k += used;
        }
        i += n;
    }
    return events;
}

static void encode_many(unsigned n)
{
    static uint8_t buf[64];
    sm_mqtt_publish p;
    size_t len;
    unsigned i;
    memset(&p, 0, sizeof p);
    p.topic = "dev/0042/telemetry";
    p.qos = 1;
    p.payload_len = 120;
    for (i = 0; i < n; i++) {
        p.packet_id = (uint16_t)(i % 65535u + 1u);
        if (sm_mqtt_encode_publish_header(buf, sizeof buf, &p, &len) != SM_OK) exit(3);
        if (sm_mqtt_encode_ack(buf, sizeof buf, SM_MQTT_PUBACK, p.packet_id, &len) != SM_OK) exit(3);
    }
}

int main(int argc, char **argv)
{
    /* argv[1]: "small" (1000 packets, 8-byte payload), "large" (1000 x 200),
       or "encode" (1000 headers + acks) */
    const char *what = argc > 1 ? argv[1] : "small";
    if (strcmp(what, "encode") == 0) { encode_many(1000); printf("packets 1000\n"); return 0; }
    {
        uint32_t pl = strcmp(what, "large") == 0 ? 200u : 8u;
        size_t total = build(1000, pl);
        unsigned long ev = decode_all(total);
        printf("packets 1000 payload %lu bytes %lu events %lu\n", (unsigned long)pl,
               (unsigned long)total, ev);
    }
    return 0;
}
