/* Arduino.h - a thin stand-in for the Arduino core, just enough to compile
   and link the sketch with avr-g++ when the real core is not installed:
   the API the port uses (HardwareSerial, millis, F()). It does nothing. */
#ifndef ARDUINO_STUB_H
#define ARDUINO_STUB_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <avr/interrupt.h>

#define HAVE_HWSERIAL1 /* as the real core says for chips with a USART1 */
#define noInterrupts() cli()

class __FlashStringHelper;
#define F(s) (reinterpret_cast<const __FlashStringHelper *>(s))

class HardwareSerial {
public:
    void begin(unsigned long baud);
    int available(void);
    int read(void);
    int availableForWrite(void);
    size_t write(const uint8_t *data, size_t n);
    size_t print(const char *s);
    size_t print(const __FlashStringHelper *s);
    size_t println(const char *s);
    size_t println(const __FlashStringHelper *s);
    void flush(void);
};
extern HardwareSerial Serial, Serial1;
unsigned long millis(void);
#endif
