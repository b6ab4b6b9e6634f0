/* i2c_bridge_avr.h - the ATECC608's I2C bus for the AVR firmware under
   simavr, carried over USART1 to the chip emulator.

   simavr's TWI model has no way for a host program to stand behind it as
   a slave, so each bus transaction travels as one request/reply frame of
   the emulator's socket protocol (sim/chips/atecc.py: request 'W'/'R' | addr7 |
   length (2, LE) | payload; reply 'A'/'N'/'E' | length (2, LE) | bytes),
   and tests/simavr/sm_simavr_host copies USART1's bytes to and from the
   emulator's UNIX socket. On a board, these two callbacks are the place for
   the TWI driver: one write transaction, one read transaction, each
   returning 0 or -1 (NACK, error).

   Each callback waits for its reply, as an I2C transfer waits for its
   bytes, at most I2C_BRIDGE_AVR_TIMEOUT_MS; while it waits the core sleeps
   between the USART's interrupts. */
#ifndef I2C_BRIDGE_AVR_H
#define I2C_BRIDGE_AVR_H

#include "../../secmodem.h"
#include "usart.h"

#ifndef I2C_BRIDGE_AVR_TIMEOUT_MS
#define I2C_BRIDGE_AVR_TIMEOUT_MS 500u
#endif

typedef struct i2c_bridge_avr {
    usart *uart;         /* the USART carrying the frames (set up and receiving) */
    uint16_t timeouts;   /* replies that did not come in time */
    uint16_t calls;      /* transactions */
    int trace;           /* 1: print every transaction on the console */
} i2c_bridge_avr;

void i2c_bridge_avr_init(i2c_bridge_avr *bus, usart *uart);
/* Fills a platform struct with i2c_write, i2c_read and now_ms (Timer1). */
void i2c_bridge_avr_platform(i2c_bridge_avr *bus, sm_platform *plat);

#endif
