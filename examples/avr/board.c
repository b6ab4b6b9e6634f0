/* board.c - see board.h. */
#include "board.h"

#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

/* The simavr host's debug port (tests/simavr/sm_simavr_host.c). */
#define BOARD_DBG_EXIT GPIOR0     /* write: exit code; read: option bits */
#define BOARD_DBG_CONSOLE GPIOR1  /* write: output byte; read: status */
#define BOARD_DBG_INPUT GPIOR2    /* read: next input byte */
#define BOARD_DBG_INPUT_READY 0x01u
#define BOARD_DBG_INPUT_ENDED 0x02u

/* Timer1 in CTC mode, clock / 8: 2304 counts = 1 ms at 18.432 MHz */
#define BOARD_T1_TOP (F_CPU / 8u / 1000u - 1u)

#define BOARD_STACK_PAINT 0xC5u

static volatile uint32_t g_board_ms;
static volatile uint8_t g_board_ticked; /* set by the tick, for board_idle_unless */

ISR(TIMER1_COMPA_vect)
{
    g_board_ms++;
    g_board_ticked = 1;
}

/* Fills the RAM between the end of .bss and the stack pointer with a
   pattern before main() runs (.init3: after the stack pointer is set, before
   .data and .bss are initialised, which do not reach this area), so that
   board_ram_report() can see how deep the stack ever went. Naked and in
   .init3, it is not called but falls through into the next init section;
   it uses registers only. */
extern uint8_t __bss_end, __data_start;
void board_paint_stack(void) __attribute__((naked, used, section(".init3")));
void board_paint_stack(void)
{
    uint8_t *p = &__bss_end;
    while (p < (uint8_t *)SP) *p++ = BOARD_STACK_PAINT;
}

void board_init(void)
{
    TCCR1A = 0;
    TCCR1B = (uint8_t)(1u << WGM12 | 1u << CS11);
    OCR1A = (uint16_t)BOARD_T1_TOP;
    TIMSK1 = (uint8_t)(1u << OCIE1A);
    /* idle: SM2..SM1..SM0 = 0 (avr-libc's set_sleep_mode() trips -Wconversion) */
    SMCR = 0;
    sei();
}

uint32_t board_ms(void)
{
    /* four bytes the interrupt changes: read them with it held off */
    uint8_t sreg = SREG;
    uint32_t ms;
    cli();
    ms = g_board_ms;
    SREG = sreg;
    return ms;
}

uint32_t board_cycles(void)
{
    uint8_t sreg = SREG;
    uint32_t ms;
    uint16_t count;
    cli();
    ms = g_board_ms;
    count = TCNT1;
    /* the counter wrapped after interrupts were held off: the tick is
       pending, not yet counted */
    if ((TIFR1 & (1u << OCF1A)) && count < BOARD_T1_TOP / 2u) ms++;
    SREG = sreg;
    return ms * (BOARD_T1_TOP + 1u) * 8u + (uint32_t)count * 8u;
}

void board_idle_unless(int (*pending)(void *), void *arg)
{
    cli();
    g_board_ticked = 0;
    while (!g_board_ticked && !pending(arg)) {
        sleep_enable();
        sei();         /* the instruction after SEI runs before any interrupt: */
        sleep_cpu();   /* a wake-up that came after the check ends this sleep */
        sleep_disable();
        cli();
    }
    sei();
}

void board_putc(char c)
{
    BOARD_DBG_CONSOLE = (uint8_t)c;
}

void board_write(const char *s, size_t n)
{
    while (n--) board_putc(*s++);
}

void board_puts_P(const char *s_P)
{
    char c;
    while ((c = (char)pgm_read_byte(s_P++)) != '\0') board_putc(c);
}

/* A small formatter rather than avr-libc's vfprintf, which stops at a '*'
   width or precision ("%.*s", used by the shared demo code for a line of
   known length) and is larger than what a console needs. */
static void board_pad(char c, int n)
{
    while (n-- > 0) board_putc(c);
}

static void board_put_field(const char *s, size_t n, int from_flash, int width, int left)
{
    size_t i;
    if (!left) board_pad(' ', width - (int)n);
    for (i = 0; i < n; i++) board_putc(from_flash ? (char)pgm_read_byte(s + i) : s[i]);
    if (left) board_pad(' ', width - (int)n);
}

static size_t board_strnlen(const char *s, size_t max, int from_flash)
{
    size_t n = 0;
    while (n < max && (from_flash ? (char)pgm_read_byte(s + n) : s[n]) != '\0') n++;
    return n;
}

void board_vprintf_P(const char *fmt_P, va_list ap)
{
    char c;
    while ((c = (char)pgm_read_byte(fmt_P++)) != '\0') {
        int left = 0, zero = 0, width = 0, prec = -1, is_long = 0;
        char digits[11];
        uint8_t nd = 0;
        uint32_t v;
        int neg = 0;
        unsigned base = 10;
        if (c != '%') { board_putc(c); continue; }
        c = (char)pgm_read_byte(fmt_P++);
        for (;; c = (char)pgm_read_byte(fmt_P++)) {
            if (c == '-') left = 1;
            else if (c == '0') zero = 1;
            else break;
        }
        if (c == '*') { width = va_arg(ap, int); c = (char)pgm_read_byte(fmt_P++); }
        else while (c >= '0' && c <= '9') { width = width * 10 + (c - '0'); c = (char)pgm_read_byte(fmt_P++); }
        if (c == '.') {
            c = (char)pgm_read_byte(fmt_P++);
            prec = 0;
            if (c == '*') { prec = va_arg(ap, int); c = (char)pgm_read_byte(fmt_P++); }
            else while (c >= '0' && c <= '9') { prec = prec * 10 + (c - '0'); c = (char)pgm_read_byte(fmt_P++); }
        }
        if (c == 'l') { is_long = 1; c = (char)pgm_read_byte(fmt_P++); }
        switch (c) {
        case 's': case 'S': {
            const char *s = va_arg(ap, const char *);
            int flash = c == 'S';
            if (!s) { s = PSTR("(null)"); flash = 1; }
            board_put_field(s, board_strnlen(s, prec < 0 ? (size_t)-1 : (size_t)prec, flash), flash,
                            width, left);
            continue;
        }
        case 'c': {
            char ch = (char)va_arg(ap, int);
            board_put_field(&ch, 1, 0, width, left);
            continue;
        }
        case 'd': case 'i': {
            int32_t sv = is_long ? va_arg(ap, int32_t) : (int32_t)va_arg(ap, int);
            neg = sv < 0;
            v = neg ? (uint32_t)0 - (uint32_t)sv : (uint32_t)sv;
            break;
        }
        case 'u': case 'x': case 'X': case 'p':
            if (c == 'p') { v = (uint32_t)(uintptr_t)va_arg(ap, void *); base = 16; }
            else v = is_long ? va_arg(ap, uint32_t) : (uint32_t)va_arg(ap, unsigned);
            if (c == 'x' || c == 'X') base = 16;
            break;
        case '\0':
            return;
        default:            /* "%%" and anything unknown: the character itself */
            board_putc(c);
            continue;
        }
        do {
            uint8_t d = (uint8_t)(v % base);
            digits[nd++] = (char)(d < 10u ? '0' + d : (c == 'X' ? 'A' - 10 : 'a' - 10) + d);
            v /= base;
        } while (v);
        width -= nd + neg;       /* what is left to pad */
        if (neg && zero) board_putc('-');
        if (!left) board_pad(zero ? '0' : ' ', width);
        if (neg && !zero) board_putc('-');
        while (nd) board_putc(digits[--nd]);
        if (left) board_pad(' ', width);
    }
}

void board_printf_P(const char *fmt_P, ...)
{
    va_list ap;
    va_start(ap, fmt_P);
    board_vprintf_P(fmt_P, ap);
    va_end(ap);
}

int board_getc(void)
{
    if (!(BOARD_DBG_CONSOLE & BOARD_DBG_INPUT_READY)) return -1;
    return BOARD_DBG_INPUT;
}

int board_input_ended(void)
{
    return (BOARD_DBG_CONSOLE & BOARD_DBG_INPUT_ENDED) != 0;
}

uint8_t board_options(void)
{
    return BOARD_DBG_EXIT;
}

void board_exit(uint8_t code)
{
    BOARD_DBG_EXIT = code;
    /* on a chip without the host: stop here (sleep with interrupts off
       never wakes; simavr ends the run on it as well) */
    cli();
    for (;;) sleep_cpu();
}

void board_assert_failed_P(const char *file_P, int line)
{
    BOARD_PUTS("assertion failed: ");
    board_puts_P(file_P);
    BOARD_PRINTF(":%d\n", line);
    board_exit(2);
}

void board_ram_report(board_ram *out)
{
    const uint8_t *p = &__bss_end;
    const uint8_t *top = (const uint8_t *)(RAMEND + 1u);
    uint16_t untouched = 0;
    while (p < top && *p++ == BOARD_STACK_PAINT) untouched++;
    out->static_bytes = (uint16_t)(&__bss_end - &__data_start);
    out->stack_free = untouched;
    out->stack_area = (uint16_t)(top - &__bss_end);
}
