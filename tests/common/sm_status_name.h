/* sm_status_name.h - short names of the status codes for the logs of the
   unit tests ("{op status ...}"), one table for every test file. Include
   after secmodem.h. A code without a name here logs as "?", which no
   expected log contains, so a test meeting one fails and shows it. */
#ifndef SM_STATUS_NAME_H
#define SM_STATUS_NAME_H

static inline const char *sm_test_status_name(int s)
{
    switch (s) {
    case SM_OK: return "ok";
    case SM_ERR_PARAM: return "param";
    case SM_ERR_UNSAFE_STRING: return "unsafe";
    case SM_ERR_NO_SPACE: return "nospace";
    case SM_ERR_QUEUE_FULL: return "queuefull";
    case SM_ERR_IO: return "io";
    case SM_ERR_TIMEOUT: return "timeout";
    case SM_ERR_MODEM: return "modem";
    case SM_ERR_REBOOT: return "reboot";
    case SM_ERR_CANCELLED: return "cancelled";
    case SM_ERR_PARSE: return "parse";
    case SM_ERR_TRUNCATED: return "trunc";
    case SM_ERR_NO_WAKE: return "nowake";
    case SM_ERR_CHIP_EXEC: return "chipexec";
    case SM_ERR_STATE: return "state";
    case SM_ERR_REFUSED: return "refused";
    default: return "?";
    }
}
#endif
