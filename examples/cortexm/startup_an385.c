/* startup_an385.c - vector table and reset handler for the MPS2 AN385
   (Cortex-M3) under QEMU's `mps2-an385` machine.

   Reset copies .data from its load address to RAM, zeroes .bss and calls
   main(); if main returns, its value becomes the exit status. Every
   exception without a handler of its own lands in one fault reporter that
   prints the stacked registers on the console and stops. Handlers are weak
   aliases, overridden by defining a function of the same name. */
#include <stdint.h>
#include <string.h>

#include "an385.h"
#include "board.h"

/* Linker script symbols (an385.ld). */
extern uint32_t __stack_top[];
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

/* Everything not handled elsewhere: report and stop. */
#define SM_CM_WEAK_HANDLER(name) \
    void name(void) __attribute__((weak, alias("Fault_Handler")))
SM_CM_WEAK_HANDLER(NMI_Handler);
SM_CM_WEAK_HANDLER(HardFault_Handler);
SM_CM_WEAK_HANDLER(MemManage_Handler);
SM_CM_WEAK_HANDLER(BusFault_Handler);
SM_CM_WEAK_HANDLER(UsageFault_Handler);
SM_CM_WEAK_HANDLER(SVC_Handler);
SM_CM_WEAK_HANDLER(DebugMon_Handler);
SM_CM_WEAK_HANDLER(PendSV_Handler);
SM_CM_WEAK_HANDLER(SysTick_Handler);
SM_CM_WEAK_HANDLER(UART0RX_Handler);
SM_CM_WEAK_HANDLER(UART0TX_Handler);
SM_CM_WEAK_HANDLER(UART1RX_Handler);
SM_CM_WEAK_HANDLER(UART1TX_Handler);
SM_CM_WEAK_HANDLER(UART2RX_Handler);
SM_CM_WEAK_HANDLER(UART2TX_Handler);
SM_CM_WEAK_HANDLER(UARTOVF_Handler);

typedef void (*sm_cm_handler)(void);

/* The ARMv7-M vector table (DDI0403 B1.5.3): the initial stack pointer,
   then 15 system exceptions, then the AN385's 32 external interrupts.
   A struct keeps the stack pointer a data pointer, as ISO C wants. */
typedef struct sm_cm_vectors {
    uint32_t *initial_sp;
    sm_cm_handler system[15];
    sm_cm_handler irq[AN385_IRQ_COUNT];
} sm_cm_vectors;

__attribute__((section(".vectors"), used))
const sm_cm_vectors sm_cm_vector_table = {
    __stack_top,
    {
        Reset_Handler,
        NMI_Handler,
        HardFault_Handler,
        MemManage_Handler,
        BusFault_Handler,
        UsageFault_Handler,
        Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, /* reserved */
        SVC_Handler,
        DebugMon_Handler,
        Fault_Handler,                                              /* reserved */
        PendSV_Handler,
        SysTick_Handler,
    },
    {
        [AN385_IRQ_UART0_RX] = UART0RX_Handler,
        [AN385_IRQ_UART0_TX] = UART0TX_Handler,
        [AN385_IRQ_UART1_RX] = UART1RX_Handler,
        [AN385_IRQ_UART1_TX] = UART1TX_Handler,
        [AN385_IRQ_UART2_RX] = UART2RX_Handler,
        [AN385_IRQ_UART2_TX] = UART2TX_Handler,
        [6] = Fault_Handler, [7] = Fault_Handler, [8] = Fault_Handler, [9] = Fault_Handler,
        [10] = Fault_Handler, [11] = Fault_Handler,
        [AN385_IRQ_UART_OVF] = UARTOVF_Handler,
        [13] = Fault_Handler, [14] = Fault_Handler, [15] = Fault_Handler,
        [16] = Fault_Handler, [17] = Fault_Handler, [18] = Fault_Handler,
        [19] = Fault_Handler, [20] = Fault_Handler, [21] = Fault_Handler,
        [22] = Fault_Handler, [23] = Fault_Handler, [24] = Fault_Handler,
        [25] = Fault_Handler, [26] = Fault_Handler, [27] = Fault_Handler,
        [28] = Fault_Handler, [29] = Fault_Handler, [30] = Fault_Handler,
        [31] = Fault_Handler,
    },
};

void Reset_Handler(void)
{
    size_t data_len = (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start);
    size_t bss_len = (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start);
    memcpy(__data_start, __data_load, data_len);
    memset(__bss_start, 0, bss_len);
    board_exit(main());
}

/* Finds the stack the exception frame was pushed on (bit 2 of EXC_RETURN:
   process or main stack) and hands it to the C reporter with EXC_RETURN and
   the exception number. Naked: no prologue may touch the stack first. */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "mrs r2, ipsr\n\t"
        "b board_fault\n\t");
}
