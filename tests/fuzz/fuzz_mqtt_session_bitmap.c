/* fuzz_mqtt_session_bitmap.c - fuzz_mqtt_session.c on a session built with
   SM_MQTT_RX_ID_BITMAP (QoS 2 ids awaiting PUBREL in a bitmap, issue 19)
   and only 2 received-id slots, so that the bitmap carries every QoS 2
   message in flight while the slots fill with acknowledgements. Same
   program language and seeds (tests/fuzz/mk_session_seeds.py); its corpus
   is the small build's. */
#define SM_MQTT_RX_ID_BITMAP 1
#define SM_MQTT_RX_IDS 2
#define SM_MQTT_READ_MAX 7
#include "fuzz_mqtt_session.c"
