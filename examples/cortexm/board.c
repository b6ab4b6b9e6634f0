/* board.c - see board.h. */
#include "board.h"

#include <string.h>

#include "an385.h"
#include "cmsdk_uart.h"

#define BOARD_CONSOLE_BASE AN385_UART1_BASE
#define BOARD_CONSOLE_BAUD 115200u

/* Semihosting operations and exit reasons (Arm "Semihosting for AArch32
   and AArch64", SYS_GET_CMDLINE 0x15, SYS_EXIT 0x18). */
#define SH_SYS_GET_CMDLINE 0x15u
#define SH_SYS_EXIT 0x18u
#define SH_ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define SH_ADP_STOPPED_RUNTIME_ERROR 0x20023u

/* Linker script symbols: the RAM region, to check a stacked frame before
   reading it. */
extern uint32_t __ram_start[], __ram_end[];

static volatile uint32_t g_board_ms;

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    g_board_ms++;
}

uint32_t board_ms(void)
{
    return g_board_ms;
}

static void board_console_init(void)
{
    CMSDK_UART_BAUDDIV(BOARD_CONSOLE_BASE) = AN385_SYSCLK_HZ / BOARD_CONSOLE_BAUD;
    CMSDK_UART_CTRL(BOARD_CONSOLE_BASE) = CMSDK_UART_CTRL_TXEN;
}

void board_init(void)
{
    board_console_init();
    /* a trap for integer division by zero instead of a silent 0 */
    SCB_CCR |= SCB_CCR_DIV_0_TRP;
    /* report memory, bus and usage faults as themselves, not as HardFault */
    SCB_SHCSR |= SCB_SHCSR_MEMFAULTENA | SCB_SHCSR_BUSFAULTENA | SCB_SHCSR_USGFAULTENA;
    g_board_ms = 0;
    SYST_CVR = 0;
    SYST_RVR = AN385_SYSCLK_HZ / 1000u - 1u;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

/* ---- console ---------------------------------------------------------------- */
static void board_putc(char c)
{
    cmsdk_uart_putc_blocking(BOARD_CONSOLE_BASE, c);
}

void board_write(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) board_putc(s[i]);
}

void board_puts(const char *s)
{
    while (*s) board_putc(*s++);
}

/* v in `base`, at least `width` characters, padded with `pad` */
static void board_put_u32(uint32_t v, uint32_t base, int width, char pad)
{
    char digits[32];
    int n = 0;
    do {
        uint32_t d = v % base;
        digits[n++] = (char)(d < 10u ? '0' + d : 'a' + (d - 10u));
        v /= base;
    } while (v != 0u);
    for (; width > n; width--) board_putc(pad);
    while (n > 0) board_putc(digits[--n]);
}

static void board_put_str(const char *s, int precision)
{
    int i;
    if (!s) s = "(null)";
    if (precision < 0) {
        board_puts(s);
        return;
    }
    for (i = 0; i < precision && s[i]; i++) board_putc(s[i]);
}

/* One conversion: `spec` points after the '%'; returns the pointer to the
   conversion character it handled. */
static const char *board_convert(const char *spec, va_list *ap)
{
    int precision = -1, width = 0, is_long = 0;
    char pad = ' ';
    uint32_t u;
    if (*spec == '0') {
        pad = '0';
        spec++;
    }
    for (; *spec >= '0' && *spec <= '9'; spec++) width = width * 10 + (*spec - '0');
    if (spec[0] == '.' && spec[1] == '*') {
        precision = va_arg(*ap, int);
        spec += 2;
    }
    if (*spec == 'l') {
        is_long = 1;
        spec++;
    }
    switch (*spec) {
    case 's': board_put_str(va_arg(*ap, const char *), precision); break;
    case 'c': board_putc((char)va_arg(*ap, int)); break;
    case 'd': {
        long v = is_long ? va_arg(*ap, long) : (long)va_arg(*ap, int);
        u = (uint32_t)v;
        if (v < 0) {
            board_putc('-');
            u = 0u - u;
            width--;
        }
        board_put_u32(u, 10u, width, pad);
        break;
    }
    case 'u':
    case 'x':
        u = is_long ? (uint32_t)va_arg(*ap, unsigned long) : va_arg(*ap, unsigned);
        board_put_u32(u, *spec == 'u' ? 10u : 16u, width, pad);
        break;
    case 'p':
        board_puts("0x");
        board_put_u32((uint32_t)(uintptr_t)va_arg(*ap, void *), 16u, 8, '0');
        break;
    case '%': board_putc('%'); break;
    case '\0': return spec - 1;  /* a lone '%' at the end: stop there */
    default:
        board_putc('%');
        board_putc(*spec);
        break;
    }
    return spec;
}

void board_vprintf(const char *fmt, va_list ap)
{
    va_list args;
    va_copy(args, ap);
    for (; *fmt; fmt++) {
        if (*fmt == '%') fmt = board_convert(fmt + 1, &args);
        else board_putc(*fmt);
    }
    va_end(args);
}

void board_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    board_vprintf(fmt, ap);
    va_end(ap);
}

/* ---- semihosting -------------------------------------------------------------- */
static uint32_t board_semihost(uint32_t op, void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    /* Thumb semihosting trap (M profile): BKPT 0xAB, r0 = op, r1 = arg */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int board_cmdline_has(const char *word)
{
    char line[128];
    struct { char *buf; uint32_t len; } block;
    size_t wlen = strlen(word);
    const char *p;
    block.buf = line;
    block.len = sizeof line;
    /* fails (nonzero) if the line does not fit: then no word matches */
    if (board_semihost(SH_SYS_GET_CMDLINE, &block) != 0u) return 0;
    line[sizeof line - 1] = '\0';  /* the host terminates it; do not rely on that */
    /* arguments are separated by spaces */
    for (p = line; *p;) {
        size_t n = 0;
        while (p[n] && p[n] != ' ') n++;
        if (n == wlen && memcmp(p, word, n) == 0) return 1;
        p += n;
        while (*p == ' ') p++;
    }
    return 0;
}

void board_exit(int code)
{
    uint32_t reason = code == 0 ? SH_ADP_STOPPED_APPLICATION_EXIT : SH_ADP_STOPPED_RUNTIME_ERROR;
    /* SYS_EXIT on AArch32 takes the reason itself in r1, not a block */
    (void)board_semihost(SH_SYS_EXIT, (void *)(uintptr_t)reason);
    for (;;) an385_wait_for_interrupt();
}

/* ---- faults --------------------------------------------------------------------- */
static const char *board_exception_name(uint32_t n)
{
    switch (n) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return n >= 16u ? "unexpected interrupt" : "reserved exception";
    }
}

void board_fault(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr)
{
    uint32_t n = ipsr & 0x1FFu;
    uintptr_t f = (uintptr_t)frame;
    board_console_init();
    board_printf("\r\n*** %s (exception %lu", board_exception_name(n), (unsigned long)n);
    if (n >= 16u) board_printf(", IRQ %lu", (unsigned long)(n - 16u));
    board_printf(") EXC_RETURN 0x%08lx\r\n", (unsigned long)exc_return);
    /* the hardware stacked r0-r3, r12, lr, pc, xPSR; unless the stack
       pointer itself was bad */
    if (f >= (uintptr_t)__ram_start && f + 32u <= (uintptr_t)__ram_end && (f & 3u) == 0) {
        board_printf("    pc 0x%08lx  lr 0x%08lx  xpsr 0x%08lx\r\n", (unsigned long)frame[6],
                     (unsigned long)frame[5], (unsigned long)frame[7]);
        board_printf("    r0 0x%08lx  r1 0x%08lx  r2 0x%08lx  r3 0x%08lx  r12 0x%08lx\r\n",
                     (unsigned long)frame[0], (unsigned long)frame[1], (unsigned long)frame[2],
                     (unsigned long)frame[3], (unsigned long)frame[4]);
    } else {
        board_printf("    stack pointer 0x%08lx is outside RAM: no frame\r\n", (unsigned long)f);
    }
    board_printf("    CFSR 0x%08lx  HFSR 0x%08lx  MMFAR 0x%08lx  BFAR 0x%08lx\r\n",
                 (unsigned long)SCB_CFSR, (unsigned long)SCB_HFSR, (unsigned long)SCB_MMFAR,
                 (unsigned long)SCB_BFAR);
    board_exit(1);
}

void board_assert_failed(const char *file, int line)
{
    board_printf("\r\n*** assertion failed at %s:%d\r\n", file, line);
    board_exit(1);
}
