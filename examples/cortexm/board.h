/* board.h - the AN385 board services the demo firmware needs: a 1 ms clock
   from SysTick, a console on UART1, and, under QEMU, semihosting to read the
   command line and to report the outcome as QEMU's exit status. */
#ifndef BOARD_H
#define BOARD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Starts SysTick (1 ms) and the console UART. Call first. */
void board_init(void);
/* Milliseconds since board_init(); wraps after 49.7 days. */
uint32_t board_ms(void);

/* Console output (UART1, blocking: it is for humans and fault reports).
   board_printf understands %s %.*s %c %d %u %x (with l, a width and a 0
   flag), %p and %%; no floats: enough for logs, with no heap and no stdio. */
void board_puts(const char *s);
void board_write(const char *s, size_t n);
void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void board_vprintf(const char *fmt, va_list ap);

/* Semihosting (QEMU -semihosting-config enable=on): 1 if the command line
   given with `arg=...` contains the argument `word`, else 0. Needs a
   semihosting host: without one the breakpoint instruction faults. */
int board_cmdline_has(const char *word);
/* Ends the program: under QEMU with semihosting, QEMU exits with status 0
   (code 0) or 1 (any other code). Without a debugger or semihosting host,
   the breakpoint escalates to a lockup, which halts the core as well. */
void board_exit(int code) __attribute__((noreturn));

/* Called by the startup code for faults and unexpected interrupts; prints
   the stacked frame and the fault status registers, then board_exit(1). */
void board_fault(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr)
    __attribute__((noreturn));
/* Failed consistency check (SM_ASSERT in the firmware). */
void board_assert_failed(const char *file, int line) __attribute__((noreturn));

#endif
