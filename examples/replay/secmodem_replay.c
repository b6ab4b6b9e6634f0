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
       # comment             ignored, as are blank lines (sim/common/tap.py writes
                             each record's time as `# t=<seconds>`)

   A data prompt may also come inside `<< [hex]` bytes (a capture that
   could not frame it as text): a '>' at the start of a line, then a space,
   is the prompt when the host then sent bytes (its payload).

   Host commands are not sent anywhere: each is submitted to the engine as
   if the library had sent it, so the module lines that follow are matched
   to it exactly as on a live device. The clock is frozen, except that a
   command still waiting when the next one starts is given its timeout.

   --dialect sequans / cordelia run the log through a real sm_sqn / sm_cord
   instance: the section's dialect and URC handlers, and for the commands
   whose answers carry bytes by count the section's own read operation
   (which must build the very command the log shows), so the number of raw
   bytes comes from the answer's header or from what the section recorded
   from earlier URCs, as on a device. Binary bytes nothing announced are
   fed as lines and flagged. Only --dialect generic takes the log's own
   `<< [hex]` marking as the announcement of a block. A command that maps
   to a section operation reports how the operation ended, as the
   application would see it: "status" (JSON) is the sm_strerror() text,
   "ok" on success, null when the log ends first.

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

/* Which engine the log goes through: the bare engine (generic), or a real
   Sequans / Cordelia section instance whose own dialect, URC handlers and
   read operations decide how the module's bytes are framed. */
enum { MODE_GENERIC, MODE_SEQUANS, MODE_CORDELIA };

typedef struct replay {
    sm_at at;                 /* generic mode */
    sm_sqn sqn;               /* sequans mode */
    sm_cord cord;             /* cordelia mode */
    sm_at *eng;               /* the engine being fed */
    int mode;
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
    size_t raw_seen;          /* raw bytes the engine consumed (all blocks) */
    /* a command started through the section's own operation */
    int via_section;
    /* the command maps to a section operation: its command event carries
       "status", how the operation ended (or why it would not start) */
    int op_mapped;
    int op_ended;
    int op_status;
    int wait_prompt;          /* a command submitted here waits for "> " */
    int tx_checked;
    char resp_prefix[64];
    /* MQTT messages the Sequans section announced: their lengths */
    struct { char topic[128]; uint16_t mid; uint32_t len; } msgs[8];
    unsigned next_msg;
    /* the URC traced last, not printed yet: the section's event may give
       its fields as the section parsed them */
    char pending[8192];
    size_t pending_len;
    int has_pending;
    int printing_pending;
    uint8_t data[65536];      /* where the section's read operations store */
    uint8_t payload[4096];    /* what the host sent after a prompt (a publish's message) */
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

/* n bytes (NUL bytes included) and a NUL after them. */
static char *dupmem(const char *s, size_t n)
{
    char *d = (char *)malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* One input line of n bytes -> a record (0 = nothing to record). A module
   line keeps every byte, NUL bytes included, so that the engine is fed
   exactly what a device would have sent. */
static int parse_record(const char *file, unsigned lineno, char *line, size_t n, record *r)
{
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
        if (strcmp(t, ">") == 0 && (size_t)(t - line) + 1 == n) { r->kind = REC_MODEM_PROMPT; return 1; }
        r->kind = REC_MODEM_LINE;
        r->len = n - (size_t)(t - line);
        r->text = dupmem(t, r->len);
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
        if (memchr(t, '\0', n - (size_t)(t - line)))
            die_input(file, lineno, "a NUL byte in a command line (write it as > [hex])");
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
    for (;;) {
        record r;
        size_t n = 0;
        int ch = EOF;
        /* a line by hand, not fgets: a NUL byte must not end it */
        while (n < sizeof line - 1 && (ch = getc(f)) != EOF) {
            line[n++] = (char)ch;
            if (ch == '\n') break;
        }
        if (n == 0 && ch == EOF) break;
        line[n] = '\0';
        lineno++;
        if (n == sizeof line - 1 && line[n - 1] != '\n')
            die_input(file, lineno, "line longer than 64 KiB");
        if (!parse_record(file, lineno, line, n, &r)) continue;
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

static void flush_pending(replay *rp);

static void head(replay *rp, const char *event)
{
    if (rp->has_pending && !rp->printing_pending) flush_pending(rp);
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

/* URC fields: split on commas outside quotes; quoted -> string, unquoted
   decimal -> number, anything else -> string. Returns 0 if malformed. */
static int print_fields(replay *rp, const char *line, size_t len, size_t name_len)
{
    sm_fields f;
    const char *s;
    size_t n, k = 0;
    int quoted, ok = 1;
    if (rp->json) putchar('[');
    if (name_len < len) {
        sm_fields_init(&f, line + name_len + 1, len - name_len - 1, NULL);
        while (sm_fields_more(&f)) {
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

/* +eventmqtt:recv as section 7 parsed it: its payload is the rest of the
   line, quotes and commas included (the module does not escape). */
static void report_cord_message(replay *rp, const sm_event *ev)
{
    char qos[16];
    snprintf(qos, sizeof qos, "qos%d", ev->u.msg.qos);
    head(rp, "urc");
    if (rp->json) {
        printf(",\"name\":\"+eventmqtt\",\"fields\":[\"recv\",");
        json_str(ev->u.msg.topic, strlen(ev->u.msg.topic));
        printf(",\"%s\",", qos);
        json_str(ev->u.msg.payload, ev->u.msg.len);
        printf("]}\n");
    } else {
        printf("%-24s recv, %s, %s, \"", "+eventmqtt", ev->u.msg.topic, qos);
        text_str(ev->u.msg.payload, ev->u.msg.len);
        printf("\"\n");
    }
}

static void flush_pending(replay *rp)
{
    if (!rp->has_pending) return;
    rp->has_pending = 0;
    rp->printing_pending = 1;
    report_urc(rp, rp->pending, rp->pending_len);
    rp->printing_pending = 0;
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
        if (rp->op_mapped) {
            const char *st = rp->op_ended ? sm_strerror(rp->op_status) : NULL;
            printf(",\"status\":");
            if (st) json_str(st, strlen(st));
            else printf("null");
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
        if (rp->op_mapped)
            printf("  [library: %s]", rp->op_ended ? sm_strerror(rp->op_status) : "not ended");
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
    rp->wait_prompt = 0;
    report_command(rp, r);
    rp->cmd_active = 0;
}

/* URCs are reported from the engine's trace, which sees every line a URC
   table claims (the section's or the catch-all below); the report waits for
   the section's handler, which may replace it with its own parse. */
static void on_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)ctx;
    (void)at;
    (void)line;
    (void)len;
}

/* A line no table claims: bare text during a command is part of its
   response (ATI, AT+CGMR answer bare text); anything else is something the
   engine could not place. */
static void unplaced_line(replay *rp, const char *line, size_t len)
{
    if (rp->cmd_active && !rp->eng->settling && len && line[0] != '+') {
        collect_line(rp, line, len);
        return;
    }
    if (len && line[0] == '+') return; /* claimed by a section table: reported as a URC */
    report_error(rp, "unexpected line", line, len);
}

static void on_unhandled(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    unplaced_line((replay *)ctx, line, len);
}

static int starts_with_nocase(const char *s, size_t n, const char *prefix)
{
    size_t i;
    for (i = 0; prefix[i]; i++)
        if (i >= n || tolower((unsigned char)s[i]) != tolower((unsigned char)prefix[i])) return 0;
    return 1;
}

/* The command a section operation put on the wire must be the log's:
   otherwise the library would not have sent what the log shows. The name
   is compared without case (the modules do), the arguments exactly. */
static void check_sent(replay *rp, const char *text, size_t len)
{
    const char *want = rp->cmd_text;
    size_t n = strlen(want), eq = 0;
    while (eq < n && want[eq] != '=') eq++;
    rp->tx_checked = 1;
    if (len == n) {
        size_t k;
        for (k = 0; k < n; k++) {
            int a = (unsigned char)text[k], b = (unsigned char)want[k];
            if (k < eq ? tolower(a) != tolower(b) : a != b) break;
        }
        if (k == n) return;
    }
    report_error(rp, "the library sends another command for this", text, len);
}

static void on_trace(void *user, int dir, const char *text, size_t len)
{
    replay *rp = (replay *)user;
    if (dir == SM_TRACE_URC) {
        flush_pending(rp);
        if (len > sizeof rp->pending) len = sizeof rp->pending;
        memcpy(rp->pending, text, len);
        rp->pending_len = len;
        rp->has_pending = 1;
    } else if (dir == SM_TRACE_TX) {
        if (rp->via_section && !rp->tx_checked) check_sent(rp, text, len);
    } else if (dir == SM_TRACE_RX) {
        /* a section operation keeps its answer's header to itself: the
           replay shows it as the command's response line */
        if (rp->via_section && rp->cmd_active && rp->resp_prefix[0] &&
            starts_with_nocase(text, len, rp->resp_prefix))
            collect_line(rp, text, len);
    } else if (dir == SM_TRACE_PROMPT) {
        rp->wait_prompt = 0;
        head(rp, "prompt");
        printf(rp->json ? "}\n" : "\n");
    } else if (dir == SM_TRACE_DROP) {
        report_error(rp, "over-long line dropped", text, len < 40 ? len : 40);
    } else if (dir == SM_TRACE_RAW_RX) {
        rp->raw_total += len;
        rp->raw_seen += len;
        if (rp->eng->raw_left == 0) {
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

/* The generic mode knows no dialect: 3GPP finals, +SYSSTART as restart. */
static const sm_at_dialect k_generic = { "generic", "\r", "+SYSSTART", NULL };

/* ---- the sections' own operations ------------------------------------------------ */
/* status: whether the answer itself is refused (reported as an error
   event); op_status: how the operation ended, as the application would see
   it in its done callback (the command event's "status"). */
static void finish_section_command(replay *rp, sm_at_result result, int32_t code,
                                   const char *err_text, int status, int op_status)
{
    sm_at_response r;
    memset(&r, 0, sizeof r);
    rp->op_ended = 1;
    rp->op_status = op_status;
    r.result = result;
    r.code = code;
    r.err_text = err_text;
    flush_pending(rp);
    if (status != SM_OK && result == SM_AT_OK)
        report_error(rp, "the section rejects the answer", sm_strerror(status),
                     strlen(sm_strerror(status)));
    report_command(rp, &r);
    rp->cmd_active = 0;
    rp->via_section = 0;
}

static void sqn_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    (void)m;
    finish_section_command((replay *)ctx, r->at, r->code, NULL,
                           r->status == SM_ERR_TRUNCATED ? SM_OK : r->status, r->status);
}

static void sqn_event(void *ctx, sm_sqn *m, const sm_event *ev)
{
    replay *rp = (replay *)ctx;
    (void)m;
    if (ev->type == SM_SQN_EV_MQTT_MESSAGE) { /* the length a later read needs */
        unsigned k = rp->next_msg++ % 8u;
        snprintf(rp->msgs[k].topic, sizeof rp->msgs[k].topic, "%s", ev->u.msg.topic);
        rp->msgs[k].mid = ev->u.msg.mid;
        rp->msgs[k].len = ev->u.msg.len;
    } else if (ev->type == SM_SQN_EV_UNHANDLED) {
        unplaced_line(rp, ev->line, ev->line_len);
    }
}

static void cord_done(void *ctx, sm_cord *c, const sm_result *r)
{
    sm_at_result res = SM_AT_OK;
    (void)c;
    if (r->status == SM_ERR_MODEM) res = r->err_text ? SM_AT_DIALECT_ERROR : SM_AT_ERROR;
    else if (r->status == SM_ERR_TIMEOUT) res = SM_AT_TIMEOUT;
    else if (r->status == SM_ERR_REBOOT) res = SM_AT_REBOOT;
    finish_section_command((replay *)ctx, res, r->code, r->err_text,
                           r->status == SM_ERR_MODEM || r->status == SM_ERR_TIMEOUT ||
                           r->status == SM_ERR_REBOOT || r->status == SM_ERR_TRUNCATED ?
                           SM_OK : r->status, r->status);
}

static void cord_event(void *ctx, sm_cord *c, const sm_event *ev)
{
    replay *rp = (replay *)ctx;
    (void)c;
    if (ev->type == SM_CORD_EV_MQTT_RECV) {
        rp->has_pending = 0; /* the section's parse replaces the generic one */
        report_cord_message(rp, ev);
    } else if (ev->type == SM_CORD_EV_UNHANDLED) {
        unplaced_line(rp, ev->line, ev->line_len);
    }
}

/* "<a>,<b>" after the '=' of text: the two numbers (b may be absent). */
static int two_numbers(const char *args, uint32_t *a, uint32_t *b, int need_b)
{
    char *end;
    unsigned long v = strtoul(args, &end, 10);
    if (end == args) return 0;
    *a = (uint32_t)v;
    if (*end != ',') return !need_b && *end == '\0';
    args = end + 1;
    v = strtoul(args, &end, 10);
    if (end == args || *end != '\0') return 0;
    *b = (uint32_t)v;
    return 1;
}

/* The Sequans commands whose answers carry bytes by count go through the
   section's own operations: it decides, from the answer's header or from
   what its URC handlers recorded, how many raw bytes follow. Returns the
   operation's id, 0 when the command is not one of them, or SM_ERR_*. */
/* The bytes the host sent after command idx, up to its next command, at
   most cap: the payload that followed a prompt. */
static size_t host_bytes_after(const replay *rp, size_t idx, uint8_t *buf, size_t cap)
{
    size_t j, n = 0;
    for (j = idx + 1; j < rp->nrecs && rp->recs[j].kind != REC_HOST_CMD; j++) {
        size_t k = rp->recs[j].len;
        if (rp->recs[j].kind != REC_HOST_RAW) continue;
        if (k > cap - n) k = cap - n;
        memcpy(buf + n, rp->recs[j].bytes, k);
        n += k;
    }
    return n;
}

/* AT+SQNSMQTTPUBLISH=0,"<topic>",<qos>,<len>: through the section's own
   publish, with the bytes the host sent after the prompt, so that the
   answer is parsed as the library parses it (its pmid form). */
static int start_sequans_publish(replay *rp, const char *t, size_t idx)
{
    const char *topic = t + 22, *q = strchr(topic, '"');
    char name[128];
    uint32_t qos = 0, len = 0;
    snprintf(rp->resp_prefix, sizeof rp->resp_prefix, "+SQNSMQTTPUBLISH:");
    if (!q || (size_t)(q - topic) >= sizeof name || q[1] != ',' || !two_numbers(q + 2, &qos, &len, 1) ||
        qos > 2 || !len || len > sizeof rp->payload)
        return SM_ERR_PARAM;
    memcpy(name, topic, (size_t)(q - topic));
    name[q - topic] = '\0';
    if (host_bytes_after(rp, idx, rp->payload, len) < len) return SM_ERR_PARAM; /* not in the log */
    return sm_sqn_mqtt_publish(&rp->sqn, name, (uint8_t)qos, rp->payload, len, sqn_done, rp);
}

static int start_sequans_read(replay *rp, const char *t, size_t idx)
{
    uint32_t a = 0, b = 0;
    unsigned k;
    if (starts_with_nocase(t, strlen(t), "AT+SQNSMQTTPUBLISH=0,\"")) return start_sequans_publish(rp, t, idx);
    if (starts_with_nocase(t, strlen(t), "AT+SQNSRECV=")) {
        snprintf(rp->resp_prefix, sizeof rp->resp_prefix, "+SQNSRECV:");
        if (!two_numbers(t + 12, &a, &b, 1) || a > 255 || b > sizeof rp->data) return SM_ERR_PARAM;
        return sm_sqn_sock_recv(&rp->sqn, (uint8_t)a, rp->data, b, sqn_done, rp);
    }
    if (starts_with_nocase(t, strlen(t), "AT+SQNSNVR=\"certificate\",")) {
        snprintf(rp->resp_prefix, sizeof rp->resp_prefix, "+SQNSNVR:");
        if (!two_numbers(t + 25, &a, &b, 0) || a > 255) return SM_ERR_PARAM;
        return sm_sqn_nvm_read_cert(&rp->sqn, (uint8_t)a, rp->data, sizeof rp->data, sqn_done, rp);
    }
    if (starts_with_nocase(t, strlen(t), "AT+SQNHTTPRCV=")) {
        /* AT+SQNHTTPRCV=<p> (the whole body, as Walter's driver reads it)
           or AT+SQNHTTPRCV=<p>,<max> (Microchip's driver) */
        rp->resp_prefix[0] = '\0';
        if (!two_numbers(t + 14, &a, &b, 0) || a > 255 || b > 65535u) return SM_ERR_PARAM;
        if (!strchr(t + 14, ','))
            return sm_sqn_http_read(&rp->sqn, (uint8_t)a, rp->data, sizeof rp->data, sqn_done, rp);
        return sm_sqn_http_read_max(&rp->sqn, (uint8_t)a, (uint16_t)b, rp->data, b, sqn_done, rp);
    }
    if (starts_with_nocase(t, strlen(t), "AT+SQNSMQTTRCVMESSAGE=0,\"")) {
        /* the message the section announced with this topic (and id) */
        const char *topic = t + 25, *q = strchr(topic, '"');
        char name[128];
        uint16_t mid = 0;
        rp->resp_prefix[0] = '\0';
        if (!q || (size_t)(q - topic) >= sizeof name) return SM_ERR_PARAM;
        memcpy(name, topic, (size_t)(q - topic));
        name[q - topic] = '\0';
        if (q[1] == ',') mid = (uint16_t)strtoul(q + 2, NULL, 10);
        for (k = 0; k < 8; k++) {
            unsigned i = (rp->next_msg + 7u - k) % 8u; /* newest first */
            if (rp->msgs[i].len && rp->msgs[i].mid == mid && strcmp(rp->msgs[i].topic, name) == 0)
                return sm_sqn_mqtt_read(&rp->sqn, name, mid, rp->msgs[i].len, rp->data,
                                        sizeof rp->data, sqn_done, rp);
        }
        return SM_ERR_STATE; /* no +SQNSMQTTONMESSAGE announced it */
    }
    return 0;
}

/* Cordelia: AT+recv's answer carries its bytes inline after the third
   field of +recv:, AT+fileRead's as Base64 the section decodes. */
static int start_cordelia_read(replay *rp, const char *t)
{
    uint32_t a = 0, b = 0;
    size_t n = strlen(t);
    if (starts_with_nocase(t, n, "AT+recv=")) {
        const char *f = strchr(t + 8, ',');
        snprintf(rp->resp_prefix, sizeof rp->resp_prefix, "+recv:");
        /* AT+recv=<id>,0,<len> */
        if (!f || strncmp(f, ",0,", 3) != 0) return SM_ERR_PARAM;
        a = (uint32_t)strtoul(t + 8, NULL, 10);
        b = (uint32_t)strtoul(f + 3, NULL, 10);
        if (a > 15 || !b || b > sizeof rp->data) return SM_ERR_PARAM;
        return sm_cord_sock_recv(&rp->cord, (int)a, rp->data, b, cord_done, rp);
    }
    if (starts_with_nocase(t, n, "AT+fileRead=")) {
        /* AT+fileRead=<id>,<offset>,1,<n> */
        uint32_t id, off, fmt, len;
        char *e1, *e2, *e3, *e4;
        snprintf(rp->resp_prefix, sizeof rp->resp_prefix, "+fileread:");
        id = (uint32_t)strtoul(t + 12, &e1, 10);
        if (*e1 != ',') return SM_ERR_PARAM;
        off = (uint32_t)strtoul(e1 + 1, &e2, 10);
        if (*e2 != ',') return SM_ERR_PARAM;
        fmt = (uint32_t)strtoul(e2 + 1, &e3, 10);
        if (*e3 != ',' || fmt != 1) return SM_ERR_PARAM;
        len = (uint32_t)strtoul(e3 + 1, &e4, 10);
        if (*e4 != '\0' || !len || len > sizeof rp->data) return SM_ERR_PARAM;
        return sm_cord_file_read(&rp->cord, id, off, rp->data, len, cord_done, rp);
    }
    return 0;
}

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
        rp->prefix[i++] = rp->mode == MODE_CORDELIA ? (char)tolower((unsigned char)c) : c;
    }
    rp->prefix[i++] = ':';
    rp->prefix[i] = '\0';
    return rp->prefix;
}

static void poll_all(replay *rp)
{
    if (rp->mode == MODE_SEQUANS) sm_sqn_poll(&rp->sqn);
    else if (rp->mode == MODE_CORDELIA) sm_cord_poll(&rp->cord);
    else sm_at_poll(&rp->at);
}

static void feed(replay *rp, const void *d, size_t n)
{
    sm_at_feed(rp->eng, (const uint8_t *)d, n);
    poll_all(rp);
    flush_pending(rp);
}

/* A command still in flight when the next one starts ran out of time. */
static void expire_in_flight(replay *rp)
{
    if (!rp->cmd_active) return;
    rp->clock += 3600u * 1000u;
    poll_all(rp);
    rp->clock += SM_AT_SETTLE_MS + 1u;
    poll_all(rp);
    flush_pending(rp);
}

static void begin_command(replay *rp, const char *text)
{
    snprintf(rp->cmd_text, sizeof rp->cmd_text, "%s", text);
    rp->lines_len = 0;
    rp->nlines = 0;
    rp->cmd_active = 1;
    rp->op_mapped = 0;
    rp->op_ended = 0;
    rp->op_status = SM_OK;
}

/* A data prompt inside raw module bytes: '>' at the start of a line (as
   the engine takes it) followed by the space both modules send, or by the
   end of the record (the space may be in the next one). *line_start carries
   "the last byte ended a line" from one record to the next. */
static int raw_has_prompt(const uint8_t *b, size_t n, int *line_start)
{
    size_t i;
    int found = 0;
    for (i = 0; i < n; i++) {
        if (*line_start && b[i] == '>' && (i + 1 == n || b[i + 1] == ' ')) found = 1;
        *line_start = b[i] == '\r' || b[i] == '\n';
    }
    return found;
}

static void submit_host_command(replay *rp, size_t idx)
{
    const record *r = &rp->recs[idx];
    sm_at_cmd c;
    size_t j, payload = 0;
    int prompt = 0, inline_data = 0, module_seen = 0, id = 0, line_start = 1, raw_prompt = 0;
    expire_in_flight(rp);
    /* after a restart (or a timeout) the engine waits for a quiet line; by
       the time the host sent this command the line had been quiet, so the
       frozen clock moves on, or the command would start late, after the
       next one was queued, and take its answer */
    if (rp->eng->settling) {
        rp->clock += SM_AT_SETTLE_MS + 1u;
        poll_all(rp);
        flush_pending(rp);
    }
    if (rp->mode != MODE_GENERIC) {
        begin_command(rp, r->text);
        rp->via_section = 1;
        rp->tx_checked = 0;
        /* NOTE (integrator): this is where a command's text is mapped to a
           section operation (start_sequans_read / start_cordelia_read).
           A command mapped there runs through the library's own code and
           its event carries "status"; every other command goes through the
           bare engine below. New mappings (e.g. the Sequans publish answer,
           AT+SQNHTTPRCV=<p> without a size) belong in those two functions:
           return the operation's id, or SM_ERR_* when it would not start. */
        id = rp->mode == MODE_SEQUANS ? start_sequans_read(rp, r->text, idx)
                                      : start_cordelia_read(rp, r->text);
        if (id > 0) { rp->op_mapped = 1; poll_all(rp); return; }
        rp->via_section = 0;
        rp->cmd_active = 0;
        if (id < 0) /* the section would not send it now: shown as sent anyway */
            report_error(rp, "the section would not start this read", sm_strerror(id),
                         strlen(sm_strerror(id)));
    }
    /* look ahead: a prompt, and how many bytes the host sent after it. A
       `< >` record is a prompt; a "> " inside raw module bytes is one only
       when the host then sent bytes (its payload): otherwise it is data, as
       in an answer's binary block that happens to hold "\r\n> ". */
    for (j = idx + 1; j < rp->nrecs && rp->recs[j].kind != REC_HOST_CMD; j++) {
        if (rp->recs[j].kind == REC_MODEM_PROMPT) prompt = 1;
        if (rp->recs[j].kind == REC_MODEM_LINE) line_start = 1;
        if (rp->recs[j].kind == REC_MODEM_PROMPT) line_start = 0;
        if (rp->recs[j].kind == REC_MODEM_RAW &&
            raw_has_prompt(rp->recs[j].bytes, rp->recs[j].len, &line_start))
            raw_prompt = 1;
        if (rp->recs[j].kind == REC_HOST_RAW && raw_prompt) prompt = 1;
        if (rp->recs[j].kind == REC_HOST_RAW) {
            payload += rp->recs[j].len;
            if (!prompt && !module_seen) inline_data = 1;
        }
        if (rp->recs[j].kind == REC_MODEM_LINE || rp->recs[j].kind == REC_MODEM_RAW) module_seen = 1;
    }
    if (payload > sizeof rp->zeros || payload > SM_PAYLOAD_MAX) payload = SM_PAYLOAD_MAX;
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
    begin_command(rp, r->text);
    if (id < 0) { /* its event says why the library would have stopped here */
        rp->op_mapped = 1;
        rp->op_ended = 1;
        rp->op_status = id;
    }
    rp->cmd_active = 0;
    if (sm_at_submit(rp->eng, &c) < 0) {
        report_error(rp, "command refused by the engine", r->text, strlen(r->text));
        return;
    }
    rp->cmd_active = 1;
    rp->wait_prompt = prompt;
    poll_all(rp);
}

/* Binary bytes (not CR/LF/text) the engine did not read as a payload. */
static int has_binary(const uint8_t *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((b[i] < 0x20 && b[i] != '\r' && b[i] != '\n') || b[i] >= 0x7F) return 1;
    return 0;
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
            size_t n = r->len; /* NUL bytes included, as on the wire */
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
            if (rp->mode == MODE_GENERIC) {
                /* no dialect knows what announces a block: the log's own
                   marking of it is taken as its announcement, except while
                   a command waits for its prompt (a capture writes a prompt
                   it could not frame as `< >` in raw bytes) */
                if (rp->at.raw_left == 0 && !rp->wait_prompt)
                    sm_at_expect_raw(&rp->at, r->len, rp->cmd_active ? NULL : raw_to_nowhere, NULL);
                feed(rp, r->bytes, r->len);
            } else {
                /* the section decides: bytes nothing announced are read as
                   lines, exactly as on a live device, and flagged */
                size_t before = rp->raw_seen;
                feed(rp, r->bytes, r->len);
                if (rp->raw_seen == before && has_binary(r->bytes, r->len))
                    report_error(rp, "binary bytes nothing announced (read as lines)", NULL, 0);
            }
            break;
        }
    }
    flush_pending(rp);
    if (rp->cmd_active) report_command(rp, NULL);
}
int main(int argc, char **argv)
{
    static replay rp;
    sm_platform p;
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
            if (strcmp(n, "generic") == 0) rp.mode = MODE_GENERIC;
            else if (strcmp(n, "sequans") == 0) rp.mode = MODE_SEQUANS;
            else if (strcmp(n, "cordelia") == 0) rp.mode = MODE_CORDELIA;
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
    /* the engine: bare, or inside the section instance (its dialect, its
       URC table and unknown-line handler); the catch-all table comes after
       the section's, for '+' lines the section does not know */
    if (rp.mode == MODE_SEQUANS) {
        sm_sqn_init(&rp.sqn, &p, sqn_event, &rp);
        sm_sqn_use_all(&rp.sqn); /* a log may show any URC before its operation */
        rp.eng = &rp.sqn.at;
    } else if (rp.mode == MODE_CORDELIA) {
        sm_cord_init(&rp.cord, &p, cord_event, &rp);
        /* a log may show any feature's events: all of them parsed */
        sm_cord_use_mqtt(&rp.cord);
        sm_cord_use_sockets(&rp.cord);
        rp.eng = sm_cord_at(&rp.cord);
    } else {
        sm_at_init(&rp.at, &p, &k_generic);
        sm_at_on_unhandled(&rp.at, on_unhandled, &rp);
        rp.eng = &rp.at;
    }
    sm_at_add_urcs(rp.eng, k_any_urc, 1, &rp);
    replay_all(&rp);
    return 0;
}
