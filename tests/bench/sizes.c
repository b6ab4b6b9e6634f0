/* RAM of each state struct with the default configuration, read back from
   the symbol sizes of these arrays (works for any cross target). */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"
char sm_size_sm_at[sizeof(sm_at)];
char sm_size_sm_at_cmd[sizeof(sm_at_cmd)];
char sm_size_sm_platform[sizeof(sm_platform)];
char sm_size_sm_mqtt_decoder[sizeof(sm_mqtt_decoder)];
char sm_size_sm_mqtt_client[sizeof(sm_mqtt_client)];
char sm_size_sm_atecc[sizeof(sm_atecc)];
char sm_size_sm_cert_op[sizeof(sm_cert_op)];
#ifndef SM_NO_CORDELIA
char sm_size_sm_cord[sizeof(sm_cord)];
#endif
#ifndef SM_NO_SEQUANS
char sm_size_sm_sqn[sizeof(sm_sqn)];
char sm_size_sm_sqn_mqtt_mem[sizeof(sm_sqn_mqtt_mem)]; /* the built-in MQTT client's, caller-owned */
#endif
