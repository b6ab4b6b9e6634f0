/* avr_run.c - runs an atmega1284p bench program under libsimavr and prints
   what it writes to its console register (GPIOR1), then the cycles it ran.
   The program ends by sleeping with interrupts off.

       avr_run <program.elf>

   Built by bench.py (gcc, pkg-config simavr). Used for the AVR row of the
   CPU report: tests/bench/cpu_at.c built with avr-gcc counts its own cycles
   with Timer1, which simavr emulates cycle by cycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_io.h"

#define CONSOLE_REG 0x4A /* GPIOR1 as a data-space address on the atmega1284p */

static void console_write(struct avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
    (void)avr;
    (void)addr;
    (void)param;
    putchar(v);
}

int main(int argc, char **argv)
{
    elf_firmware_t fw;
    avr_t *avr;
    int state;
    if (argc != 2) {
        fprintf(stderr, "usage: %s <program.elf>\n", argv[0]);
        return 2;
    }
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw) != 0) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 2;
    }
    avr = avr_make_mcu_by_name("atmega1284p");
    if (!avr) return 2;
    avr_init(avr);
    avr->frequency = 16000000;
    avr_load_firmware(avr, &fw);
    avr_register_io_write(avr, CONSOLE_REG, console_write, NULL);
    do {
        state = avr_run(avr);
    } while (state != cpu_Done && state != cpu_Crashed);
    fflush(stdout);
    printf("simavr: %s after %llu cycles\n", state == cpu_Done ? "done" : "CRASHED",
           (unsigned long long)avr->cycle);
    return state == cpu_Done ? 0 : 1;
}
