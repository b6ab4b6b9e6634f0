/* fuzz_mqtt_session_small.c - fuzz_mqtt_session.c on a session built
   small: 2 received-id slots, 1 operation in flight, 7-byte reads and a
   40-byte decoder buffer, so that full tables, back-pressure, payload
   pieces and refused long topics come with almost every input. Same
   program language and seeds (tests/fuzz/mk_session_seeds.py). */
#define SM_MQTT_RX_IDS 2
#define SM_MQTT_INFLIGHT 1
#define SM_MQTT_READ_MAX 7
#define SM_MQTT_RX_SIZE 40
#include "fuzz_mqtt_session.c"
