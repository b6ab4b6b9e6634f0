/* core.cpp - the stand-in core's definitions and main(), as the Arduino core
   provides them: setup() once, loop() forever (here: a bounded number of
   times, since nothing runs this binary). */
#include "Arduino.h"

HardwareSerial Serial, Serial1;
static volatile unsigned long g_ms;
void HardwareSerial::begin(unsigned long baud) { (void)baud; }
int HardwareSerial::available(void) { return 0; }
int HardwareSerial::read(void) { return -1; }
int HardwareSerial::availableForWrite(void) { return 63; }
size_t HardwareSerial::write(const uint8_t *data, size_t n) { (void)data; return n; }
size_t HardwareSerial::print(const char *s) { return strlen(s); }
size_t HardwareSerial::print(const __FlashStringHelper *s) { (void)s; return 0; }
size_t HardwareSerial::println(const char *s) { return strlen(s) + 2; }
size_t HardwareSerial::println(const __FlashStringHelper *s) { (void)s; return 2; }
void HardwareSerial::flush(void) {}
unsigned long millis(void) { return g_ms++; }

void setup(void);
void loop(void);
int main(void)
{
    setup();
    for (int i = 0; i < 1000; i++) loop();
    return 0;
}
