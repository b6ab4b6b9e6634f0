/* The whole library: one program using every module, so that shared code
   (utilities, libc) is counted once. */
#define REF_NO_MAIN
#include "ref_at.c"
#include "ref_mqtt.c"
#include "ref_mqtt_session.c"
#include "ref_atecc.c"
#include "ref_cordelia.c"
#include "ref_sequans.c"
int main(void) { return ref_at() + ref_mqtt() + ref_mqtt_session() + ref_atecc() + ref_cordelia() +
                       ref_sequans(); }
