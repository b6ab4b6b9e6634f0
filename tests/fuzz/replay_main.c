/* replay_main.c - runs fuzz inputs (seed corpora, kept crash inputs) once
   each through a harness, without libFuzzer: lets `make test` re-check them
   under gcc's sanitizers. Usage: <binary> FILE... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int i, ran = 0;
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *buf;
        long n;
        if (!f) { perror(argv[i]); return 2; }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = (uint8_t *)malloc((size_t)n + 1);
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); return 2; }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)n);
        free(buf);
        ran++;
    }
    printf("fuzz replay: %d passed, 0 failed\n", ran);
    return 0;
}
