/* sm_port_arduino.h - a secmodem port for Arduino (in the library's src/,
   next to secmodem.h): the modem on a HardwareSerial (e.g. Serial1),
   millis() as the clock, and sm_arduino_halt() for a sketch that is done.
   Non-blocking: the write callback takes only what fits in the serial
   transmit buffer, the read callback only what has arrived. Include it
   after secmodem.h; the ATECC608 on Wire is sm_port_arduino_wire.h. */
#ifndef SM_PORT_ARDUINO_H
#define SM_PORT_ARDUINO_H

#include <Arduino.h>
#if defined(__AVR__)
#include <avr/sleep.h>
#endif
#include "secmodem.h"

static int sm_arduino_write(void *user, const uint8_t *data, size_t len)
{
    HardwareSerial *s = (HardwareSerial *)user;
    int room = s->availableForWrite();
    size_t n = (room > 0 && (size_t)room < len) ? (size_t)room : (room > 0 ? len : 0);
    return (int)s->write(data, n);
}

static int sm_arduino_read(void *user, uint8_t *buf, size_t cap)
{
    HardwareSerial *s = (HardwareSerial *)user;
    size_t n = 0;
    while (n < cap && s->available() > 0) buf[n++] = (uint8_t)s->read();
    return (int)n;
}

static uint32_t sm_arduino_now(void *user)
{
    (void)user;
    return (uint32_t)millis();
}

/* Fills a platform for the modem on `serial` (already begun). */
static void sm_arduino_platform(sm_platform *p, HardwareSerial *serial)
{
    memset(p, 0, sizeof *p);
    p->user = serial;
    p->write = sm_arduino_write;
    p->read = sm_arduino_read;
    p->now_ms = sm_arduino_now;
}

/* Stops the CPU for good, when the sketch has nothing left to do: on an
   AVR, power-down sleep with interrupts off (nothing wakes it but a reset,
   and it draws the least current); elsewhere an empty loop. Under simavr
   this is how the run ends (tests/simavr/sm_simavr_host --halt-exit). */
static void sm_arduino_halt(void)
{
    noInterrupts();
#if defined(__AVR__)
    /* power-down (SM2..0 = 010) and sleep enable in one write: avr-libc's
       set_sleep_mode() macro does not pass -Wconversion */
    SMCR = (uint8_t)(_BV(SM1) | _BV(SE));
    sleep_cpu();
#endif
    for (;;) {
    }
}

#endif
