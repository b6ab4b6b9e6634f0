/* sm_atecc_bridge.h - the I2C bus of an ATECC608 for POSIX hosts, carried
   over a UNIX socket to the chip emulator (python3 -m sim.chips.atecc --socket P).

   Usage:
       sm_atecc_bridge bus;
       sm_platform plat;
       sm_atecc se;
       if (sm_atecc_bridge_open(&bus, "/tmp/atecc.sock") != 0) ...
       sm_atecc_bridge_platform(&bus, &plat);   // i2c_write/i2c_read/now_ms
       sm_atecc_init(&se, &plat, SM_ATECC_ADDR_DEFAULT);

   Frames (see sim/chips/atecc.py): request op 'W'/'R'/'C' | addr7 | length (2,
   little-endian) | payload; reply 'A' ack / 'N' nack / 'E' error |
   length (2, LE) | bytes. Each callback is one local round trip. */
#ifndef SM_ATECC_BRIDGE_H
#define SM_ATECC_BRIDGE_H

#include "../../secmodem.h"

typedef struct sm_atecc_bridge {
    int fd;
    int trace;          /* 1: print every transaction to stderr */
} sm_atecc_bridge;

/* Connects to the emulator's socket. Returns 0 or -1 (errno set). */
int sm_atecc_bridge_open(sm_atecc_bridge *bus, const char *socket_path);
void sm_atecc_bridge_close(sm_atecc_bridge *bus);
/* Fills a platform struct with this bus's i2c_write, i2c_read and a
   CLOCK_MONOTONIC now_ms (other callbacks NULL). */
void sm_atecc_bridge_platform(sm_atecc_bridge *bus, sm_platform *plat);
/* Sends an emulator control command (e.g. "fault corrupt-crc 5"); its
   answer goes to reply[cap] (may be NULL). Returns 0 if accepted, -1 if
   refused or on a socket error. */
int sm_atecc_bridge_control(sm_atecc_bridge *bus, const char *cmd, char *reply, size_t cap);

#endif
