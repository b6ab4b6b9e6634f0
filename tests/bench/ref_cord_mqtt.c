/* A product with one modem and secmodem's MQTT: the Cordelia-I section and
   the MQTT framing + session in one program (the other dialect and the
   ATECC compiled out), every public function of each used. */
#define REF_NO_MAIN
#include "ref_at.c"
#include "ref_mqtt.c"
#include "ref_mqtt_session.c"
#include "ref_cordelia.c"
int main(void) { return ref_at() + ref_mqtt() + ref_mqtt_session() + ref_cordelia(); }
