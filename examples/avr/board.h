/* board.h - the atmega1284p board services the AVR example firmware needs:
   the CPU clock, a 1 ms clock from Timer1, a console, idle sleep, the
   program's end, and a stack-use measurement.

   The console and the end of the program go through the "debug port" of
   the simavr host (tests/simavr/sm_simavr_host.c), three general-purpose
   I/O registers (GPIOR0-2) that the host watches. On a real chip these
   registers are plain scratch bytes, so the same firmware runs there
   silently; a board with a spare UART would send the console to it in
   board.c instead.

   Console output takes strings and formats from flash (the _P functions):
   on an AVR every string literal that is not in flash is copied to RAM at
   start-up. */
#ifndef AVR_BOARD_H
#define AVR_BOARD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <avr/pgmspace.h>

/* 18.432 MHz: a baud-rate crystal (115200 = 18432000 / 16 / 10 exactly)
   that also divides into an exact millisecond (18432000 / 8 / 2304), within
   the atmega1284p's 20 MHz. 11.0592 and 14.7456 MHz give the exact baud
   rate but no whole number of timer counts per millisecond. */
#ifndef F_CPU
#define F_CPU 18432000UL
#endif
#if F_CPU != 18432000UL
#error "board.c's timer and the host's --freq assume F_CPU = 18432000"
#endif

/* Starts the 1 ms clock and enables interrupts. Call first. */
void board_init(void);
/* Milliseconds since board_init(); wraps after 49.7 days. */
uint32_t board_ms(void);
/* CPU cycles since board_init(), to 8 cycles (Timer1's prescaler); wraps
   after 233 s. For measurements. */
uint32_t board_cycles(void);

/* Sleeps (idle mode: the timers and USARTs keep running) until the next
   1 ms tick, or until pending(arg) says there is work, which is asked
   again after every interrupt (a received byte, a byte sent): a superloop
   thus runs once per millisecond and handles what came meanwhile in one
   pass, instead of one pass per byte, while pending() can cut the wait
   short (a ring filling up, a reply being complete). Checking and sleeping
   happen with interrupts off, and `sei; sleep` is atomic on the AVR, so an
   interrupt between the check and the sleep cannot be missed. */
void board_idle_unless(int (*pending)(void *), void *arg);

/* Console output (blocking, for humans). board_printf_P takes its format in
   flash and understands %s (RAM string), %S (flash string), %c, %d %i %u %x
   %X %p with an l for 32 bits, a width (or *), the - and 0 flags, a string
   precision (.N or .*) and %%; no floats. BOARD_PRINTF puts a literal
   format into flash. */
void board_putc(char c);
void board_write(const char *s, size_t n);
void board_puts_P(const char *s_P);
void board_printf_P(const char *fmt_P, ...);
void board_vprintf_P(const char *fmt_P, va_list ap);
/* The trailing 0 lets the macro take a format without arguments in C99
   (a variadic macro needs at least one); vfprintf ignores the extra one. */
#define BOARD_PRINTF(...) BOARD_PRINTF_(__VA_ARGS__, 0)
#define BOARD_PRINTF_(fmt, ...) board_printf_P(PSTR(fmt), __VA_ARGS__)
#define BOARD_PUTS(s) board_puts_P(PSTR(s))

/* Console input: the next byte, or -1 when none waits. */
int board_getc(void);
/* 1 once the console input has ended (nothing more will come). */
int board_input_ended(void);

/* Option bits the host was started with (BOARD_OPT_*). */
#define BOARD_OPT_TRACE 0x01u     /* every AT line */
#define BOARD_OPT_TRACE_I2C 0x02u /* every transaction with the secure element */
uint8_t board_options(void);

/* Ends the program with an exit code (the host exits with it). */
void board_exit(uint8_t code) __attribute__((noreturn));
/* Failed consistency check (SM_ASSERT in the firmware): file in flash. */
void board_assert_failed_P(const char *file_P, int line) __attribute__((noreturn));

/* RAM: bytes of .data + .bss, stack bytes never touched since start-up
   (the margin between the deepest stack and the end of .bss), and the
   bytes from the end of .bss to the top of RAM. */
typedef struct board_ram {
    uint16_t static_bytes;
    uint16_t stack_free;
    uint16_t stack_area;
} board_ram;
void board_ram_report(board_ram *out);

#endif
