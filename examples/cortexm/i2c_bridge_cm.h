/* i2c_bridge_cm.h - the ATECC608's I2C bus for the QEMU AN385 firmware,
   carried over a CMSDK UART (UART2) to the chip emulator.

   QEMU's MPS2 has no I2C controller that a host program can stand behind,
   so each bus transaction travels as one request/reply frame of the
   emulator's socket protocol (sim/chips/atecc.py; the POSIX demo speaks the same
   through examples/posix/sm_atecc_bridge.c), and QEMU connects the UART to
   the emulator's UNIX socket (-chardev socket,path=...). On a board, these
   two callbacks are the place for the real I2C driver: one write
   transaction, one read transaction, each returning 0 or -1 (NACK, error).

   Each callback waits for its reply (a local round trip, like an I2C
   transfer waits for its bytes), bounded by I2C_BRIDGE_CM_TIMEOUT_MS. */
#ifndef I2C_BRIDGE_CM_H
#define I2C_BRIDGE_CM_H

#include "../../secmodem.h"

#ifndef I2C_BRIDGE_CM_TIMEOUT_MS
#define I2C_BRIDGE_CM_TIMEOUT_MS 500u
#endif

typedef struct i2c_bridge_cm {
    uint32_t base;       /* the UART carrying the frames */
    uint32_t timeouts;   /* replies that did not come in time */
    int trace;           /* 1: print every transaction on the console */
} i2c_bridge_cm;

/* Sets the UART up (polled, no interrupts: every transfer waits for its
   reply anyway). */
void i2c_bridge_cm_init(i2c_bridge_cm *bus, uint32_t uart_base, uint32_t baud);
/* Fills a platform struct with i2c_write, i2c_read and now_ms (SysTick). */
void i2c_bridge_cm_platform(i2c_bridge_cm *bus, sm_platform *plat);

#endif
