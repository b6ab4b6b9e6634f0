/* replay_atecc.c - secmodem-replay's ATECC608 mode: decodes captured I2C
   packets with the library's own encoder/decoder, and prints the packets
   the library would send.

   Input (--atecc), one packet per line, hex bytes:
       > 03 07 30 00 00 00 03 5D     host to chip (word address optional)
       < 07 00 00 60 02 80 38        chip to host
   '#' comments and blank lines are ignored. */
#include "../../secmodem.h"
#include "replay_atecc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { uint8_t op; const char *name; } k_ops[] = {
    { SM_ATECC_OP_READ, "Read" },       { SM_ATECC_OP_WRITE, "Write" },
    { SM_ATECC_OP_NONCE, "Nonce" },     { SM_ATECC_OP_LOCK, "Lock" },
    { SM_ATECC_OP_RANDOM, "Random" },   { SM_ATECC_OP_COUNTER, "Counter" },
    { SM_ATECC_OP_INFO, "Info" },       { SM_ATECC_OP_GENKEY, "GenKey" },
    { SM_ATECC_OP_SIGN, "Sign" },       { SM_ATECC_OP_ECDH, "ECDH" },
    { SM_ATECC_OP_VERIFY, "Verify" },   { SM_ATECC_OP_SHA, "SHA" },
    { SM_ATECC_OP_SELFTEST, "SelfTest" },
};

static const char *op_name(uint8_t op)
{
    size_t i;
    for (i = 0; i < sizeof k_ops / sizeof k_ops[0]; i++)
        if (k_ops[i].op == op) return k_ops[i].name;
    return "unknown";
}

static const char *status_name(uint8_t st)
{
    switch (st) {
    case 0x00: return "success";
    case 0x01: return "verify miscompare";
    case 0x03: return "parse error";
    case 0x05: return "ECC fault";
    case 0x07: return "self-test failure";
    case 0x08: return "health test failure";
    case 0x0F: return "execution error";
    case 0x11: return "awake (wake response)";
    case 0xEE: return "watchdog about to expire";
    case 0xFF: return "CRC or communication error";
    default: return "unknown status";
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Hex pairs, spaces optional; returns the count or -1. */
static long parse_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*s) {
        int hi, lo;
        if (isspace((unsigned char)*s)) { s++; continue; }
        hi = hexval((unsigned char)s[0]);
        lo = s[1] ? hexval((unsigned char)s[1]) : -1;
        if (hi < 0 || lo < 0 || n == cap) return -1;
        out[n++] = (uint8_t)(hi * 16 + lo);
        s += 2;
    }
    return (long)n;
}

static void print_hex(const uint8_t *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) printf("%s%02X", i ? " " : "", b[i]);
}

static int crc_ok(const uint8_t *p, size_t count)
{
    uint16_t crc = sm_atecc_crc16(p, count - 2);
    return p[count - 2] == (uint8_t)(crc & 0xFF) && p[count - 1] == (uint8_t)(crc >> 8);
}

static void host_packet(unsigned line, const uint8_t *b, size_t n, int json)
{
    static const char *const wa_names[] = { "reset read pointer (or a wake pulse)", "sleep", "idle" };
    if (n == 1 && b[0] <= 2) {
        if (json) printf("{\"event\":\"host\",\"line\":%u,\"word_address\":%u,\"meaning\":\"%s\"}\n",
                         line, b[0], wa_names[b[0]]);
        else printf("%5u  host     word address %02X: %s\n", line, b[0], wa_names[b[0]]);
        return;
    }
    if (n >= 8 && b[0] == 0x03 && b[1] == n - 1) { b++; n--; } /* word address 0x03 */
    if (n < 7 || b[0] != n) {
        if (json) printf("{\"event\":\"error\",\"line\":%u,\"what\":\"host packet: count %u, %u bytes\"}\n",
                         line, n ? b[0] : 0u, (unsigned)n);
        else printf("%5u  error    host packet: count %u but %u bytes\n", line, n ? b[0] : 0u, (unsigned)n);
        return;
    }
    if (json) {
        printf("{\"event\":\"command\",\"line\":%u,\"count\":%u,\"opcode\":\"%s\",\"opcode_hex\":%u,"
               "\"param1\":%u,\"param2\":%u,\"data_length\":%u,\"crc_ok\":%s}\n",
               line, b[0], op_name(b[1]), b[1], b[2], (unsigned)(b[3] | b[4] << 8), (unsigned)(n - 7),
               crc_ok(b, n) ? "true" : "false");
    } else {
        printf("%5u  command  %-8s count %u param1 0x%02X param2 0x%04X data %u bytes, CRC %s\n", line,
               op_name(b[1]), b[0], b[2], (unsigned)(b[3] | b[4] << 8), (unsigned)(n - 7),
               crc_ok(b, n) ? "ok" : "WRONG");
    }
}

static void chip_packet(unsigned line, const uint8_t *b, size_t n, int json)
{
    uint8_t st = 0;
    int rc = sm_atecc_decode(b, n, &st);
    int crc_good = n >= 4 && b[0] >= 4 && b[0] <= n && crc_ok(b, b[0]);
    if (rc == SM_ERR_PARSE || n < 4 || b[0] < 4 || b[0] > n) {
        if (json) printf("{\"event\":\"error\",\"line\":%u,\"what\":\"chip response: bad count\"}\n", line);
        else printf("%5u  error    chip response: bad count %u for %u bytes\n", line, n ? b[0] : 0u, (unsigned)n);
        return;
    }
    if (b[0] == 4) {
        if (json) printf("{\"event\":\"status\",\"line\":%u,\"status\":%u,\"meaning\":\"%s\",\"crc_ok\":%s}\n",
                         line, b[1], status_name(b[1]), crc_good ? "true" : "false");
        else printf("%5u  status   0x%02X %s, CRC %s\n", line, b[1], status_name(b[1]), crc_good ? "ok" : "WRONG");
        return;
    }
    if (json) {
        printf("{\"event\":\"response\",\"line\":%u,\"count\":%u,\"data_length\":%u,\"crc_ok\":%s,\"data\":\"",
               line, b[0], (unsigned)(b[0] - 3), crc_good ? "true" : "false");
        print_hex(b + 1, (size_t)b[0] - 3);
        printf("\"}\n");
    } else {
        printf("%5u  response %u data bytes, CRC %s: ", line, (unsigned)(b[0] - 3), crc_good ? "ok" : "WRONG");
        print_hex(b + 1, (size_t)b[0] - 3 > 16 ? 16 : (size_t)b[0] - 3);
        printf(b[0] - 3 > 16 ? " ...\n" : "\n");
    }
}

int replay_atecc_file(const char *file, int json)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    char line[4096];
    uint8_t bytes[512];
    unsigned lineno = 0;
    if (!f) { perror(file); return 2; }
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        long k;
        lineno++;
        while (n && isspace((unsigned char)line[n - 1])) line[--n] = '\0';
        if (n == 0 || line[0] == '#') continue;
        if ((line[0] != '>' && line[0] != '<') || (line[1] != ' ' && line[1] != '\0')) {
            fprintf(stderr, "%s:%u: line has no direction marker ('> ' or '< ')\n", file, lineno);
            return 2;
        }
        k = parse_hex(line + 1, bytes, sizeof bytes);
        if (k <= 0) {
            fprintf(stderr, "%s:%u: malformed hex bytes\n", file, lineno);
            return 2;
        }
        if (line[0] == '>') host_packet(lineno, bytes, (size_t)k, json);
        else chip_packet(lineno, bytes, (size_t)k, json);
    }
    if (f != stdin) fclose(f);
    return 0;
}

/* --atecc-encode NAME [ARG]: the packet the library would send. */
int replay_atecc_encode(int argc, char **argv)
{
    sm_atecc_cmd c;
    uint8_t out[160];
    const char *what = argc > 0 ? argv[0] : "";
    long arg = argc > 1 ? strtol(argv[1], NULL, 0) : 0;
    int rc;
    if (arg < 0 || arg > 255) { fprintf(stderr, "argument out of range\n"); return 2; }
    if (strcmp(what, "info") == 0) rc = sm_atecc_cmd_info(&c, 0, 0);
    else if (strcmp(what, "random") == 0) rc = sm_atecc_cmd_random(&c, 0);
    else if (strcmp(what, "read-config") == 0) /* 32-byte block N */
        rc = sm_atecc_cmd_read(&c, SM_ATECC_ZONE_CONFIG, sm_atecc_addr(SM_ATECC_ZONE_CONFIG, 0, (uint8_t)arg, 0), 32);
    else if (strcmp(what, "read-serial") == 0)
        rc = sm_atecc_cmd_read(&c, SM_ATECC_ZONE_CONFIG, 0, 4);
    else if (strcmp(what, "pubkey") == 0) rc = sm_atecc_cmd_genkey(&c, 0x00, (uint8_t)arg);
    else if (strcmp(what, "sign") == 0) rc = sm_atecc_cmd_sign(&c, 0x80, (uint8_t)arg);
    else if (strcmp(what, "counter") == 0) rc = sm_atecc_cmd_counter(&c, 0, (uint8_t)arg);
    else if (strcmp(what, "selftest") == 0) rc = sm_atecc_cmd_selftest(&c, 0x3D);
    else {
        fprintf(stderr, "--atecc-encode: one of info, random, read-config N, read-serial, pubkey SLOT, "
                        "sign SLOT, counter N, selftest\n");
        return 2;
    }
    if (rc == SM_OK) rc = sm_atecc_encode(&c, out, sizeof out);
    if (rc < 0) { fprintf(stderr, "cannot encode: %s\n", sm_strerror(rc)); return 1; }
    printf("03 "); /* the word address that precedes every command */
    print_hex(out, (size_t)rc);
    putchar('\n');
    return 0;
}
