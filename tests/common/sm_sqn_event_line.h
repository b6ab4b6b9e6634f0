/* sm_sqn_event_line.h - what the line of a Sequans event must be (sm_event,
   section 5.4): non-NULL and NUL-terminated at line_len; the URC as
   received, starting with its "+" prefix, for a URC's event; any line for
   UNHANDLED; "" for the MQTT supervision's own events. Shared by the
   Sequans unit tests, which check it for every event they see. */
#ifndef SM_SQN_EVENT_LINE_H
#define SM_SQN_EVENT_LINE_H

static int sm_sqn_event_line_ok(const sm_event *ev)
{
    int own = ev->type == SM_SQN_EV_MQTT_RESUMED || ev->type == SM_SQN_EV_MQTT_RESUBSCRIBED ||
              ev->type == SM_SQN_EV_MQTT_RESUBSCRIBE_FAILED || ev->type == SM_SQN_EV_MQTT_LOST ||
              ev->type == SM_SQN_EV_MQTT_RECONNECT_FAILED;
    return ev->line != NULL && ev->line[ev->line_len] == '\0' &&
           (own ? ev->line_len == 0
                : ev->type == SM_SQN_EV_UNHANDLED || (ev->line_len > 0 && ev->line[0] == '+'));
}
#endif
