/* an385.h - the parts of the Arm MPS2 AN385 FPGA image (Cortex-M3) that this
   port uses, as QEMU's `mps2-an385` machine models them.

   Sources: Arm AN385 "Cortex-M3 SMM on V2M-MPS2" (memory map, interrupt
   map), the Cortex-M System Design Kit TRM, DDI0479 (APB UART registers),
   the ARMv7-M Architecture Reference Manual, DDI0403 (SysTick, NVIC, SCB),
   and QEMU's hw/arm/mps2.c (what the emulator actually wires up). */
#ifndef AN385_H
#define AN385_H

#include <stdint.h>

#define AN385_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- clocks --------------------------------------------------------------
   The FPGA's SYSCLK drives the core, SysTick (CLKSOURCE = processor clock)
   and the APB peripherals alike. */
#define AN385_SYSCLK_HZ 25000000u

/* ---- CMSDK APB UARTs (DDI0479, "APB UART") ------------------------------------ */
#define AN385_UART0_BASE 0x40004000u  /* the modem link in this port */
#define AN385_UART1_BASE 0x40005000u  /* the console */
#define AN385_UART2_BASE 0x40006000u

#define CMSDK_UART_DATA(b)      AN385_REG((b) + 0x000u) /* RX on read, TX on write */
#define CMSDK_UART_STATE(b)     AN385_REG((b) + 0x004u)
#define CMSDK_UART_CTRL(b)      AN385_REG((b) + 0x008u)
#define CMSDK_UART_INTSTATUS(b) AN385_REG((b) + 0x00Cu) /* write 1 to clear */
#define CMSDK_UART_BAUDDIV(b)   AN385_REG((b) + 0x010u) /* >= 16 */

#define CMSDK_UART_STATE_TXFULL  (1u << 0)  /* the one-byte TX buffer is full */
#define CMSDK_UART_STATE_RXFULL  (1u << 1)  /* a received byte waits in DATA */
#define CMSDK_UART_STATE_TXOVR   (1u << 2)  /* write 1 to clear */
#define CMSDK_UART_STATE_RXOVR   (1u << 3)  /* a byte arrived while RXFULL; w1c */

#define CMSDK_UART_CTRL_TXEN     (1u << 0)
#define CMSDK_UART_CTRL_RXEN     (1u << 1)
#define CMSDK_UART_CTRL_TXIE     (1u << 2)
#define CMSDK_UART_CTRL_RXIE     (1u << 3)
#define CMSDK_UART_CTRL_TXOIE    (1u << 4)
#define CMSDK_UART_CTRL_RXOIE    (1u << 5)

#define CMSDK_UART_INT_TX        (1u << 0)
#define CMSDK_UART_INT_RX        (1u << 1)

/* ---- external interrupts (AN385 interrupt map; QEMU mps2.c) ---------------
   Each UART has separate RX and TX lines; the overrun lines of UART0..2 are
   ORed into one. */
#define AN385_IRQ_UART0_RX   0
#define AN385_IRQ_UART0_TX   1
#define AN385_IRQ_UART1_RX   2
#define AN385_IRQ_UART1_TX   3
#define AN385_IRQ_UART2_RX   4
#define AN385_IRQ_UART2_TX   5
#define AN385_IRQ_UART_OVF  12
#define AN385_IRQ_COUNT     32

/* ---- ARMv7-M system control space (DDI0403 B3) ---------------------------- */
#define SYST_CSR   AN385_REG(0xE000E010u)
#define SYST_RVR   AN385_REG(0xE000E014u)
#define SYST_CVR   AN385_REG(0xE000E018u)
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)   /* 1: the processor clock */

#define NVIC_ISER(n) AN385_REG(0xE000E100u + 4u * (uint32_t)(n))
#define NVIC_ICER(n) AN385_REG(0xE000E180u + 4u * (uint32_t)(n))
#define NVIC_ISPR(n) AN385_REG(0xE000E200u + 4u * (uint32_t)(n))

#define SCB_CCR    AN385_REG(0xE000ED14u)
#define SCB_SHCSR  AN385_REG(0xE000ED24u)
#define SCB_CFSR   AN385_REG(0xE000ED28u)  /* MMFSR | BFSR << 8 | UFSR << 16 */
#define SCB_HFSR   AN385_REG(0xE000ED2Cu)
#define SCB_MMFAR  AN385_REG(0xE000ED34u)
#define SCB_BFAR   AN385_REG(0xE000ED38u)
#define SCB_CCR_DIV_0_TRP        (1u << 4)
#define SCB_SHCSR_MEMFAULTENA    (1u << 16)
#define SCB_SHCSR_BUSFAULTENA    (1u << 17)
#define SCB_SHCSR_USGFAULTENA    (1u << 18)

static inline void an385_irq_enable(int irq)
{
    NVIC_ISER((unsigned)irq >> 5) = 1u << ((unsigned)irq & 31u);
}

static inline void an385_irq_disable(int irq)
{
    NVIC_ICER((unsigned)irq >> 5) = 1u << ((unsigned)irq & 31u);
}

/* Makes the interrupt pending as if the device had raised it. */
static inline void an385_irq_pend(int irq)
{
    NVIC_ISPR((unsigned)irq >> 5) = 1u << ((unsigned)irq & 31u);
}

/* Sleep until an interrupt is pending (the SysTick wakes us every 1 ms). */
static inline void an385_wait_for_interrupt(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

#endif
