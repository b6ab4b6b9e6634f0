/* sm_port_arduino_wire.h - the ATECC608's I2C bus for secmodem on Arduino:
   the core's Wire library, millis() as the clock. Include it after
   secmodem.h, in the sketch that defines SECMODEM_IMPLEMENTATION:

       Wire.begin();
       sm_platform chip;
       sm_arduino_wire_platform(&chip, &Wire);
       sm_atecc_init(&se, &chip, 0x60);

   Facts of the chip this port relies on (Microchip ATECC608 data sheet,
   "I2C Transmission to the ATECC608"):
   - the wake pulse is SDA held low for tWLO >= 60 us; an I2C write to
     address 0x00 at 100 kHz holds it low for the 8 address bits (80 us).
     Nobody ACKs that address, and that is normal. The bus is set to 100 kHz
     for it (and left there).
   - the chip takes its input group as a FIFO, "in one or many I2C command
     groups", each a write of the word address and some of the bytes; and
     it hands out its output group one sequential byte per byte read,
     across as many reads as the master likes. So transfers longer than
     the core's Wire buffer (BUFFER_LENGTH, 32 bytes on AVR: a Nonce of 32
     bytes is 40 on the bus, a signature 67) go as several Wire transfers
     of at most that size.
   - asleep, idle or busy, it NACKs its address: a transfer then returns
     -1, which the library reads as "not ready", not as a fault.
   Each callback waits for its transfer, as Wire does (at 100 kHz, about
   90 us a byte: at most ~3 ms for a 32-byte piece). */
#ifndef SM_PORT_ARDUINO_WIRE_H
#define SM_PORT_ARDUINO_WIRE_H

#include <Arduino.h>
#include <Wire.h>
#include "secmodem.h"

#if defined(BUFFER_LENGTH)
#define SM_WIRE_CHUNK ((size_t)BUFFER_LENGTH) /* the core's Wire buffer */
#else
#define SM_WIRE_CHUNK ((size_t)32)
#endif
#define SM_WIRE_WAKE_HZ 100000UL

/* One write transaction of the library (word address first, then the
   bytes): as one Wire transfer, or as several, each led by the same word
   address. 0 when every piece was ACKed, -1 on a NACK or a short write. */
static int sm_wire_write(void *user, uint8_t addr7, const uint8_t *data, size_t len)
{
    TwoWire *w = (TwoWire *)user;
    size_t off = 1;
    if (addr7 == 0) { /* the wake pulse */
        w->setClock(SM_WIRE_WAKE_HZ);
        w->beginTransmission((uint8_t)0);
        (void)w->endTransmission(); /* NACKed: nobody has address 0 */
        return 0;
    }
    if (len == 0) return -1;
    do {
        size_t n = len - off;
        if (n > SM_WIRE_CHUNK - 1u) n = SM_WIRE_CHUNK - 1u;
        w->beginTransmission(addr7);
        /* Wire drops what does not fit its buffer and says so only in
           write()'s count: check it rather than send a short group */
        if (w->write(data[0]) != 1u || (n && w->write(data + off, n) != n)) {
            (void)w->endTransmission();
            return -1;
        }
        if (w->endTransmission() != 0) return -1; /* NACK: asleep, idle or busy */
        off += n;
    } while (off < len);
    return 0;
}

/* One read transaction of the library: len bytes, in pieces of at most the
   Wire buffer. 0 when all came, -1 on a NACK (busy) or a short read. */
static int sm_wire_read(void *user, uint8_t addr7, uint8_t *buf, size_t len)
{
    TwoWire *w = (TwoWire *)user;
    size_t off = 0;
    while (off < len) {
        size_t n = len - off, i;
        if (n > SM_WIRE_CHUNK) n = SM_WIRE_CHUNK;
        if ((size_t)w->requestFrom(addr7, (uint8_t)n) != n) {
            while (w->available() > 0) (void)w->read(); /* leave nothing for the next */
            return -1;
        }
        for (i = 0; i < n; i++) buf[off + i] = (uint8_t)w->read();
        off += n;
    }
    return 0;
}

static uint32_t sm_wire_now(void *user)
{
    (void)user;
    return (uint32_t)millis();
}

/* Fills a platform for the ATECC608 on `wire` (already begun). */
static void sm_arduino_wire_platform(sm_platform *p, TwoWire *wire)
{
    memset(p, 0, sizeof *p);
    p->user = wire;
    p->i2c_write = sm_wire_write;
    p->i2c_read = sm_wire_read;
    p->now_ms = sm_wire_now;
}

#endif
