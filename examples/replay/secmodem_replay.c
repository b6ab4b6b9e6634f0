/* secmodem-replay - replays a captured modem log through secmodem's AT
   engine and prints what the library makes of it, one event per line.

       secmodem-replay [--dialect sequans|cordelia|generic] [--json] FILE|-
       secmodem-replay --atecc [--json] FILE|-       ATECC608 I2C packets
       secmodem-replay --atecc-encode info|random|read-config N|...

   Input, one record per line:
       > AT+CEREG?           a command the host sent
       > [hex] 0a 1b ...     raw bytes the host sent (after a prompt, or inline)
       < +CEREG: 5,1         a line the module sent (fed with CR LF framing)
       < >                   the data prompt
       << [hex] 0d 0a ...    raw bytes the module sent, exactly
       # comment             ignored, as are blank lines

   Host commands are not sent anywhere: each is submitted to the engine as
   if the library had sent it, so the module lines that follow are matched
   to it exactly as on a live device. The clock is frozen, except that a
   command still waiting when the next one starts is given its timeout.

   The example also shows how a host program drives the parser: a platform
   whose write callback discards, a fake clock, sm_at_feed() for the bytes. */
#define SECMODEM_IMPLEMENTATION
#include "../../secmodem.h"

#include "replay_atecc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the log, parsed up front (commands need a look-ahead) -------------- */
enum { REC_HOST_CMD, REC_HOST_RAW, REC_MODEM_LINE, REC_MODEM_PROMPT, REC_MODEM_RAW };

typedef struct record {
    int kind;
    unsigned lineno;
    char *text;       /* HOST_CMD, MODEM_LINE */
    uint8_t *bytes;   /* HOST_RAW, MODEM_RAW */
    size_t len;
} record;

typedef struct replay {
    sm_at at;
    const char *dialect_name;
    int json;
    uint32_t clock;
    unsigned lineno;          /* input line being fed */
    record *recs;
    size_t nrecs;
    /* the command in flight, as the log shows it */
    char cmd_text[4096];
    char prefix[64];
    int cmd_active;
    /* response lines the replay keeps for the command (see collect_line) */
    char lines[16384];
    size_t lines_len;
    unsigned nlines;
    size_t raw_total;         /* bytes of the binary block being read */
    uint8_t payload_sink[1];
    uint8_t zeros[65536];     /* what the "host" writes after a prompt */
} replay;

static void die_input(const char *file, unsigned line, const char *what)
{
    fprintf(stderr, "%s:%u: %s\n", file, line, what);
    exit(2);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* "0a 1b 2c" or "0a1b2c" -> bytes; -1 on malformed hex. */
static long parse_hex(const char *s, uint8_t **out)
{
    size_t cap = strlen(s) / 2 + 1, n = 0;
    uint8_t *b = (uint8_t *)malloc(cap);
    while (*s) {
        int hi, lo;
        if (*s == ' ' || *s == '\t') { s++; continue; }
        hi = hexval((unsigned char)s[0]);
        lo = s[1] ? hexval((unsigned char)s[1]) : -1;
        if (hi < 0 || lo < 0) { free(b); return -1; }
        b[n++] = (uint8_t)(hi * 16 + lo);
        s += 2;
    }
    *out = b;
    return (long)n;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = (char *)malloc(n);
    memcpy(d, s, n);
    return d;
}

/* One input line -> a record (0 = nothing to record). */
static int parse_record(const char *file, unsigned lineno, char *line, record *r)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                 line[n - 1] == '\t'))
        line[--n] = '\0';
    if (n == 0 || line[0] == '#') return 0;
    memset(r, 0, sizeof *r);
    r->lineno = lineno;
    if (strncmp(line, "<< ", 3) == 0 || strcmp(line, "<<") == 0) {
        const char *h = line + 2;
        long k;
        while (*h == ' ') h++;
        if (strncmp(h, "[hex]", 5) != 0) die_input(file, lineno, "'<<' must be followed by [hex]");
        k = parse_hex(h + 5, &r->bytes);
        if (k < 0) die_input(file, lineno, "malformed hex bytes");
        r->kind = REC_MODEM_RAW;
        r->len = (size_t)k;
        return 1;
    }
    if (line[0] == '<' && (line[1] == ' ' || line[1] == '\0')) {
        const char *t = line[1] ? line + 2 : line + 1;
        if (strcmp(t, ">") == 0) { r->kind = REC_MODEM_PROMPT; return 1; }
        r->kind = REC_MODEM_LINE;
        r->text = dupstr(t);
        return 1;
    }
    if (line[0] == '>' && (line[1] == ' ' || line[1] == '\0')) {
        const char *t = line[1] ? line + 2 : line + 1;
        if (strncmp(t, "[hex]", 5) == 0) {
            long k = parse_hex(t + 5, &r->bytes);
            if (k < 0) die_input(file, lineno, "malformed hex bytes");
            r->kind = REC_HOST_RAW;
            r->len = (size_t)k;
            return 1;
        }
        r->kind = REC_HOST_CMD;
        r->text = dupstr(t);
        return 1;
    }
    die_input(file, lineno, "line has no direction marker ('> ', '< ', '<< ' or '#')");
    return 0;
}

static void load(replay *rp, const char *file)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    static char line[1 << 16];
    size_t cap = 0;
    unsigned lineno = 0;
    if (!f) { perror(file); exit(2); }
    while (fgets(line, sizeof line, f)) {
        record r;
        lineno++;
        if (strlen(line) == sizeof line - 1 && line[sizeof line - 2] != '\n')
            die_input(file, lineno, "line longer than 64 KiB");
        if (!parse_record(file, lineno, line, &r)) continue;
        if (rp->nrecs == cap) {
            cap = cap ? cap * 2 : 64;
            rp->recs = (record *)realloc(rp->recs, cap * sizeof *rp->recs);
        }
        rp->recs[rp->nrecs++] = r;
    }
    if (f != stdin) fclose(f);
}

/* ---- output -------------------------------------------------------------- */
static void json_str(const char *s, size_t n)
{
    size_t i;
    putchar('"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7F) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

/* Readable text: bytes outside printable ASCII as \xNN. */
static void text_str(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F) putchar(c);
        else printf("\\x%02x", c);
    }
}

static void head(replay *rp, const char *event)
{
    if (rp->json) printf("{\"event\":\"%s\"", event);
    else printf("%5u  %-8s ", rp->lineno, event);
}

static void report_error(replay *rp, const char *what, const char *text, size_t len)
{
    head(rp, "error");
    if (rp->json) {
        printf(",\"line\":%u,\"what\":", rp->lineno);
        if (text) {
            char buf[256];
            size_t n = (size_t)snprintf(buf, sizeof buf, "%s: ", what);
            size_t k = len < sizeof buf - n - 1 ? len : sizeof buf - n - 1;
            memcpy(buf + n, text, k);
            json_str(buf, n + k);
        } else {
            json_str(what, strlen(what));
        }
        printf("}\n");
    } else {
        printf("%s", what);
        if (text) { printf(": "); text_str(text, len); }
        putchar('\n');
    }
}

/* An unquoted decimal integer (up to 18 digits, so it fits a double's
   exact range as JSON readers expect) is printed as a number. */
static int is_number(const char *s, size_t n)
{
    size_t i = (n && s[0] == '-') ? 1 : 0;
    if (i == n || n - i > 15) return 0;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void print_field(replay *rp, const char *s, size_t n, int quoted, size_t k)
{
    if (rp->json) {
        if (k) putchar(',');
        if (!quoted && is_number(s, n)) printf("%.*s", (int)n, s);
        else json_str(s, n);
    } else {
        printf("%s", k ? ", " : "");
        if (quoted) putchar('"');
        text_str(s, n);
        if (quoted) putchar('"');
    }
}

/* Cordelia's +eventmqtt:recv carries its payload as the rest of the line,
   in quotes that are not escaped inside (notes, cordelia.md section 12). */
static int rest_of_line_from(replay *rp, const char *line, size_t len)
{
    if (strcmp(rp->dialect_name, "cordelia") == 0 && len > 16 &&
        strncmp(line, "+eventmqtt:recv,", 16) == 0)
        return 3; /* recv, topic, qos, then the payload */
    return -1;
}

/* URC fields: split on commas outside quotes; quoted -> string, unquoted
   decimal -> number, anything else -> string. Returns 0 if malformed. */
static int print_fields(replay *rp, const char *line, size_t len, size_t name_len)
{
    sm_fields f;
    const char *s;
    size_t n, k = 0;
    int quoted, ok = 1, rest = rest_of_line_from(rp, line, len);
    if (rp->json) putchar('[');
    if (name_len < len) {
        sm_fields_init(&f, line + name_len + 1, len - name_len - 1, NULL);
        while (sm_fields_more(&f)) {
            if (rest >= 0 && k == (size_t)rest) {
                s = sm_fields_rest(&f, &n);
                quoted = n >= 2 && s[0] == '"' && s[n - 1] == '"';
                if (quoted) { s++; n -= 2; }
                print_field(rp, s, n, 1, k++);
                break;
            }
            if (sm_fields_token(&f, &s, &n, &quoted) != SM_OK) { ok = 0; break; }
            print_field(rp, s, n, quoted, k++);
        }
    }
    if (rp->json) putchar(']');
    return ok;
}

static void report_urc(replay *rp, const char *line, size_t len)
{
    const char *colon = (const char *)memchr(line, ':', len);
    size_t name_len = colon ? (size_t)(colon - line) : len;
    int ok;
    head(rp, "urc");
    if (rp->json) {
        printf(",\"name\":");
        json_str(line, name_len);
        printf(",\"fields\":");
        ok = print_fields(rp, line, len, name_len);
        printf("}\n");
    } else {
        printf("%-24.*s ", (int)name_len, line);
        ok = print_fields(rp, line, len, name_len);
        putchar('\n');
    }
    if (!ok) report_error(rp, "malformed URC fields", line, len);
}

static const char *result_word(sm_at_result r, const char *dialect)
{
    switch (r) {
    case SM_AT_TIMEOUT: return "timeout";
    case SM_AT_REBOOT: return "reboot";
    case SM_AT_DIALECT_ERROR: return dialect;
    default: return sm_at_result_name(r);
    }
}

static void report_command(replay *rp, const sm_at_response *r)
{
    unsigned i;
    const char *l = rp->lines;
    head(rp, "command");
    if (rp->json) {
        printf(",\"command\":");
        json_str(rp->cmd_text, strlen(rp->cmd_text));
        if (!r) printf(",\"result\":null");
        else printf(",\"result\":\"%s\"", result_word(r->result, "ERROR"));
        if (r && (r->result == SM_AT_CME_ERROR || r->result == SM_AT_CMS_ERROR ||
                  r->result == SM_AT_DIALECT_ERROR)) {
            printf(r->result == SM_AT_DIALECT_ERROR ? ",\"code\":" : ",\"cme\":");
            if (r->code != SM_AT_NO_CODE) printf("%ld", (long)r->code);
            else if (r->err_text) json_str(r->err_text, strlen(r->err_text));
            else printf("null");
            if (r->result == SM_AT_DIALECT_ERROR && r->err_text) {
                printf(",\"text\":");
                json_str(r->err_text, strlen(r->err_text));
            }
        }
        printf(",\"lines\":[");
        for (i = 0; i < rp->nlines; i++, l += strlen(l) + 1) {
            if (i) putchar(',');
            json_str(l, strlen(l));
        }
        printf("]}\n");
    } else {
        printf("%-24s %-10s", rp->cmd_text, r ? result_word(r->result, "ERROR") : "(no result)");
        if (r && r->code != SM_AT_NO_CODE) printf(" %ld", (long)r->code);
        if (r && r->err_text) { printf(" "); text_str(r->err_text, strlen(r->err_text)); }
        for (i = 0; i < rp->nlines; i++, l += strlen(l) + 1) {
            printf("\n%5s  %-8s   | ", "", "");
            text_str(l, strlen(l));
        }
        putchar('\n');
    }
}

/* ---- engine callbacks ----------------------------------------------------- */
static void collect_line(replay *rp, const char *line, size_t len)
{
    if (rp->lines_len + len + 2 > sizeof rp->lines) return;
    memcpy(rp->lines + rp->lines_len, line, len);
    rp->lines_len += len;
    rp->lines[rp->lines_len++] = '\0';
    rp->nlines++;
}

static void on_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    collect_line((replay *)ctx, line, len);
}

static void on_done(void *ctx, const sm_at_response *r)
{
    replay *rp = (replay *)ctx;
    report_command(rp, r);
    rp->cmd_active = 0;
}

static void on_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    report_urc((replay *)ctx, line, len);
}

/* Lines no table claims: a line without '+' during a command is shown as
   part of its response (ATI, AT+CGMR answer bare text); anything else is
   something the engine could not place. */
static void on_unhandled(void *ctx, sm_at *at, const char *line, size_t len)
{
    replay *rp = (replay *)ctx;
    if (rp->cmd_active && !at->settling && line[0] != '+') { collect_line(rp, line, len); return; }
    report_error(rp, "unexpected line", line, len);
}

static void on_trace(void *user, int dir, const char *text, size_t len)
{
    replay *rp = (replay *)user;
    if (dir == SM_TRACE_PROMPT) {
        head(rp, "prompt");
        printf(rp->json ? "}\n" : "\n");
    } else if (dir == SM_TRACE_DROP) {
        report_error(rp, "over-long line dropped", text, len < 40 ? len : 40);
    } else if (dir == SM_TRACE_RAW_RX) {
        rp->raw_total += len;
        if (rp->at.raw_left == 0) {
            head(rp, "payload");
            if (rp->json) printf(",\"length\":%lu}\n", (unsigned long)rp->raw_total);
            else printf("%lu bytes\n", (unsigned long)rp->raw_total);
            rp->raw_total = 0;
        }
    }
}

static int dev_null_write(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; return (int)n; }
static uint32_t frozen_clock(void *u) { return ((replay *)u)->clock; }
static void raw_to_nowhere(void *ctx, const uint8_t *d, size_t n) { (void)ctx; (void)d; (void)n; }

/* Every '+' line no dialect table claims is still a URC to report. */
static const sm_urc k_any_urc[] = { { "+", on_urc } };

/* ---- dialects --------------------------------------------------------------- */
static int classify_cordelia(const char *line, size_t len, sm_at_final *out)
{
    size_t i;
    if (len < 6 || strncmp(line, "ERROR:", 6) != 0) return 0;
    out->result = SM_AT_DIALECT_ERROR;
    out->code = SM_AT_NO_CODE;
    out->text = line + 6;
    out->text_len = len - 6;
    for (i = len; i > 6; i--) {
        if (line[i - 1] != ',') continue;
        if (sm_parse_i32(line + i, len - i, INT32_MIN, INT32_MAX, &out->code) == SM_OK)
            out->text_len = i - 1 - 6;
        break;
    }
    return 1;
}

static const sm_at_dialect k_generic = { "generic", "\r", "+SYSSTART", NULL };
static const sm_at_dialect k_sequans = { "sequans", "\r", "+SYSSTART", NULL };
static const sm_at_dialect k_cordelia = { "cordelia", "\r\n", "+eventstartup:", classify_cordelia };

/* ---- feeding ------------------------------------------------------------------ */
/* "AT+NAME=..." -> "+NAME:" (lower-case for Cordelia, whose answers are). */
static const char *response_prefix(replay *rp, const char *cmd)
{
    size_t i = 0;
    if ((cmd[0] != 'A' && cmd[0] != 'a') || (cmd[1] != 'T' && cmd[1] != 't') || cmd[2] != '+')
        return NULL;
    rp->prefix[i++] = '+';
    cmd += 3;
    while (*cmd && *cmd != '=' && *cmd != '?' && i < sizeof rp->prefix - 2) {
        char c = *cmd++;
        rp->prefix[i++] = rp->at.dialect == &k_cordelia ? (char)tolower((unsigned char)c) : c;
    }
    rp->prefix[i++] = ':';
    rp->prefix[i] = '\0';
    return rp->prefix;
}

static void feed(replay *rp, const void *d, size_t n)
{
    sm_at_feed(&rp->at, (const uint8_t *)d, n);
    sm_at_poll(&rp->at);
}

/* A command still in flight when the next one starts ran out of time. */
static void expire_in_flight(replay *rp)
{
    if (!rp->cmd_active) return;
    rp->clock += 3600u * 1000u;
    sm_at_poll(&rp->at);
    rp->clock += SM_AT_SETTLE_MS + 1u;
    sm_at_poll(&rp->at);
}

static void submit_host_command(replay *rp, size_t idx)
{
    const record *r = &rp->recs[idx];
    sm_at_cmd c;
    size_t j, payload = 0;
    int prompt = 0, inline_data = 0, module_seen = 0;
    expire_in_flight(rp);
    /* look ahead: a prompt, and how many bytes the host sent after it */
    for (j = idx + 1; j < rp->nrecs && rp->recs[j].kind != REC_HOST_CMD; j++) {
        if (rp->recs[j].kind == REC_MODEM_PROMPT) prompt = 1;
        if (rp->recs[j].kind == REC_HOST_RAW) {
            payload += rp->recs[j].len;
            if (!prompt && !module_seen) inline_data = 1;
        }
        if (rp->recs[j].kind == REC_MODEM_LINE || rp->recs[j].kind == REC_MODEM_RAW) module_seen = 1;
    }
    if (payload > sizeof rp->zeros || payload > SM_PAYLOAD_MAX) payload = SM_PAYLOAD_MAX;
    snprintf(rp->cmd_text, sizeof rp->cmd_text, "%s", r->text);
    memset(&c, 0, sizeof c);
    c.text = r->text;
    c.prefix = response_prefix(rp, r->text);
    c.timeout_ms = 1000;
    c.flags = prompt ? SM_AT_F_PROMPT : (inline_data ? SM_AT_F_INLINE : 0u);
    c.payload = rp->zeros;
    c.payload_len = (prompt || inline_data) ? payload : 0;
    c.raw_buf = rp->payload_sink;
    c.raw_cap = 0;
    c.on_line = on_line;
    c.on_done = on_done;
    c.ctx = rp;
    rp->lines_len = 0;
    rp->nlines = 0;
    if (sm_at_submit(&rp->at, &c) < 0) {
        report_error(rp, "command refused by the engine", r->text, strlen(r->text));
        return;
    }
    rp->cmd_active = 1;
    sm_at_poll(&rp->at);
}

static void replay_all(replay *rp)
{
    size_t i;
    char buf[8192];
    for (i = 0; i < rp->nrecs; i++) {
        record *r = &rp->recs[i];
        rp->lineno = r->lineno;
        switch (r->kind) {
        case REC_HOST_CMD: submit_host_command(rp, i); break;
        case REC_HOST_RAW: break; /* written by the engine after the prompt */
        case REC_MODEM_LINE: {
            size_t n = strlen(r->text);
            if (n + 4 > sizeof buf) n = sizeof buf - 4;
            buf[0] = '\r';
            buf[1] = '\n';
            memcpy(buf + 2, r->text, n);
            buf[n + 2] = '\r';
            buf[n + 3] = '\n';
            feed(rp, buf, n + 4);
            break;
        }
        case REC_MODEM_PROMPT: feed(rp, "\r\n> ", 4); break;
        case REC_MODEM_RAW:
            /* no dialect section announces binary blocks yet (the Sequans
               and Cordelia handlers will): the log's own marking of a block
               is taken as its announcement */
            if (rp->at.raw_left == 0)
                sm_at_expect_raw(&rp->at, r->len, rp->cmd_active ? NULL : raw_to_nowhere, NULL);
            feed(rp, r->bytes, r->len);
            break;
        }
    }
    if (rp->cmd_active) report_command(rp, NULL);
}

int main(int argc, char **argv)
{
    static replay rp;
    sm_platform p;
    const sm_at_dialect *d = &k_generic;
    const char *file = NULL;
    int i;
    int atecc = 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--atecc-encode") == 0) return replay_atecc_encode(argc - i - 1, argv + i + 1);
        if (strcmp(argv[i], "--atecc") == 0) atecc = 1;
        else if (strcmp(argv[i], "--json") == 0) rp.json = 1;
        else if (strcmp(argv[i], "--dialect") == 0 && i + 1 < argc) {
            const char *n = argv[++i];
            rp.dialect_name = n;
            if (strcmp(n, "generic") == 0) d = &k_generic;
            else if (strcmp(n, "sequans") == 0) d = &k_sequans;
            else if (strcmp(n, "cordelia") == 0) d = &k_cordelia;
            else { fprintf(stderr, "unknown dialect '%s' (sequans, cordelia, generic)\n", n); return 2; }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "unknown option '%s'\n", argv[i]);
            return 2;
        } else file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "usage: %s [--dialect sequans|cordelia|generic] [--json] FILE|-\n"
                        "       %s --atecc [--json] FILE|-\n"
                        "       %s --atecc-encode info|random|read-config N|read-serial|pubkey SLOT|"
                        "sign SLOT|counter N|selftest\n", argv[0], argv[0], argv[0]);
        return 2;
    }
    if (atecc) return replay_atecc_file(file, rp.json);
    if (!rp.dialect_name) rp.dialect_name = "generic";
    load(&rp, file);
    memset(&p, 0, sizeof p);
    p.user = &rp;
    p.write = dev_null_write;
    p.now_ms = frozen_clock;
    p.trace = on_trace;
    sm_at_init(&rp.at, &p, d);
    sm_at_add_urcs(&rp.at, k_any_urc, 1, &rp);
    sm_at_on_unhandled(&rp.at, on_unhandled, &rp);
    replay_all(&rp);
    return 0;
}
