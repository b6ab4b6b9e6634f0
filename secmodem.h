/* secmodem.h - v0.1.0 - secure sockets through an AT modem, in one header.

   secmodem drives an AT-command modem (Sequans Monarch GM02S, Würth
   Cordelia-I, or any 3GPP-style modem) from a microcontroller: a non-blocking
   AT engine with a command queue, URC dispatch, data prompts and binary
   payloads, without heap, without global state and without ever blocking the
   caller's main loop. Every modem instance lives in a struct that you own.

   ==========================================================================
   HOW TO INCLUDE
   ==========================================================================
   In every file that uses the library:

       #include "secmodem.h"

   and in exactly ONE C or C++ file, before the include:

       #define SECMODEM_IMPLEMENTATION
       #include "secmodem.h"

   Define SECMODEM_STATIC as well to make every function file-local (static),
   when only that one file uses the library.

   ==========================================================================
   A MINIMAL PORT (about 20 lines)
   ==========================================================================
       static int uart_write(void *u, const uint8_t *d, size_t n)
       { (void)u; return my_uart_try_write(d, n); }      // bytes accepted, <0 error
       static int uart_read(void *u, uint8_t *b, size_t cap)
       { (void)u; return my_uart_try_read(b, cap); }     // 0 when nothing waits
       static uint32_t millis(void *u) { (void)u; return my_tick_ms(); }

       static void on_done(void *ctx, const sm_at_response *r)
       { (void)ctx; printf("result %s\n", sm_at_result_name(r->result)); }

       int main(void) {
           sm_platform p = {0};
           sm_at at;
           sm_at_cmd c = {0};
           p.write = uart_write; p.read = uart_read; p.now_ms = millis;
           sm_at_init(&at, &p, sm_at_dialect_3gpp());
           c.text = "AT+CGMR"; c.on_done = on_done;
           sm_at_submit(&at, &c);                 // returns at once
           for (;;) { sm_at_poll(&at); other_work(); }
       }

   Bytes may be pushed instead of pulled: leave p.read NULL and call
   sm_at_feed(&at, bytes, n) from the main loop with what your UART interrupt
   put in its ring buffer. Never call the library from an interrupt.

   ==========================================================================
   TABLE OF CONTENTS
   ==========================================================================
     Part I - declarations (always compiled)
       1. Configuration macros
       2. Status codes
       3. Platform interface
       4. Utilities: bounded text builder, string safety checks, field parser
       5. AT engine
       Cordelia-I dialect: events, results, module struct, operations
                           (SM_NO_CORDELIA leaves it out)
     Part II - implementation (only with SECMODEM_IMPLEMENTATION)
       6. Utilities
       7. AT engine: queue and transmit side
       8. AT engine: receive side (lines, prompts, raw payloads, dispatch)
       9. AT engine: dialects and blocking helper
       Cordelia-I dialect: dialect, event table, commands of each
                           operation, operation queue, start functions
     Version history and licence (end of file)

   Later layers (Sequans and Cordelia-I dialects, ATECC608, MQTT) are added
   after section 9, each depending only on the sections before it.

   ==========================================================================
   CONFIGURATION MACROS (define before including; defaults in brackets)
   ==========================================================================
     SM_LINE_SIZE        [160]  longest received line kept, including the NUL;
                                longer lines are dropped and counted
     SM_RESP_SIZE        [192]  bytes of response lines collected per command
     SM_QUEUE_DEPTH      [4]    commands that may wait in the queue
     SM_QUEUE_TEXT       [224]  bytes of command text shared by the queue
     SM_PAYLOAD_MAX      [4096] largest binary payload of one command
     SM_URC_TABLES       [4]    URC tables that may be registered at once
     SM_AT_TIMEOUT_MS    [5000] default per-command timeout
     SM_AT_SETTLE_MS     [100]  quiet time required after a timeout before the
                                next command goes out (drops late answers)
     SM_RAW_TIMEOUT_MS   [5000] deadline for an announced binary payload
     SM_POLL_READ_MAX    [256]  bytes one sm_at_poll() pulls at most
     SM_ASSERT(x)        [assert(x)]  internal consistency checks
     SM_LOG(level, msg)  [nothing]    diagnostic messages: level 0 error, 1 warning,
                                      2 info, 3 debug; msg a string literal
   Cordelia-I dialect:
     SM_CORD_OPS         [6]    operations started and not yet done
     SM_CORD_FILE_CHUNK  [1460] bytes per AT+fileWrite (1..1460)
     SM_CORD_READ_CHUNK  [96]   bytes per AT+fileRead; from SM_LINE_SIZE:
                                (SM_LINE_SIZE - 32) / 4 * 3
     SM_CORD_PUBLISH_MAX [204]  longest AT+iotpublish payload; from
                                SM_QUEUE_TEXT: SM_QUEUE_TEXT - 20
     SM_CORD_TIMEOUT_MS  [1500] general command timeout (driver: 1000)
     SM_CORD_FILE_TIMEOUT_MS    [2500]   fileRead/Write/list, send, recv
     SM_CORD_RESET_TIMEOUT_MS   [100000] AT+factoryreset
     SM_CORD_STARTUP_TIMEOUT_MS [10000]  reboot OK to +eventstartup
     SM_CORD_WLAN_TIMEOUT_MS    [30000]  wlanConnect OK to the IPv4 address
     SM_CORD_CONNACK_TIMEOUT_MS [15000]  iotconnect OK to CONNACK
     SM_CORD_CONNECT_TIMEOUT_MS [30000]  AT+connect (TCP + TLS handshake)
     SM_NO_SEQUANS, SM_NO_CORDELIA, SM_NO_ATECC, SM_NO_MQTT
                         compile a whole feature out; each gates its section
                         once that section is present in this file.

   Licence: MIT, at the end of the file.
*/
#ifndef SECMODEM_H
#define SECMODEM_H

#include <stddef.h>
#include <stdint.h>

/* ==========================================================================
   1. CONFIGURATION MACROS
   ========================================================================== */
#ifndef SM_LINE_SIZE
#define SM_LINE_SIZE 160
#endif
#ifndef SM_RESP_SIZE
#define SM_RESP_SIZE 192
#endif
#ifndef SM_QUEUE_DEPTH
#define SM_QUEUE_DEPTH 4
#endif
#ifndef SM_QUEUE_TEXT
#define SM_QUEUE_TEXT 224
#endif
#ifndef SM_PAYLOAD_MAX
#define SM_PAYLOAD_MAX 4096
#endif
#ifndef SM_URC_TABLES
#define SM_URC_TABLES 4
#endif
#ifndef SM_AT_TIMEOUT_MS
#define SM_AT_TIMEOUT_MS 5000
#endif
#ifndef SM_AT_SETTLE_MS
#define SM_AT_SETTLE_MS 100
#endif
#ifndef SM_RAW_TIMEOUT_MS
#define SM_RAW_TIMEOUT_MS 5000
#endif
#ifndef SM_POLL_READ_MAX
#define SM_POLL_READ_MAX 256
#endif

#if SM_LINE_SIZE < 16 || SM_LINE_SIZE > 4096
#error "SM_LINE_SIZE must be 16..4096"
#endif
#if SM_RESP_SIZE < 16 || SM_RESP_SIZE > 65535
#error "SM_RESP_SIZE must be 16..65535"
#endif
#if SM_QUEUE_DEPTH < 1 || SM_QUEUE_DEPTH > 32
#error "SM_QUEUE_DEPTH must be 1..32"
#endif
#if SM_QUEUE_TEXT < 16 || SM_QUEUE_TEXT > 65535
#error "SM_QUEUE_TEXT must be 16..65535"
#endif

#ifdef SECMODEM_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define SECMODEM_API static __attribute__((unused))
#else
#define SECMODEM_API static
#endif
#else
#define SECMODEM_API extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ==========================================================================
   2. STATUS CODES
   Every function that can fail returns SM_OK (0) or one of these negative
   codes; sm_strerror() names them for logs.
   ========================================================================== */
enum {
    SM_OK = 0,
    SM_ERR_PARAM = -1,        /* an argument is out of range or NULL */
    SM_ERR_UNSAFE_STRING = -2,/* a string would break the command syntax */
    SM_ERR_NO_SPACE = -3,     /* a buffer is too small for the result */
    SM_ERR_QUEUE_FULL = -4,   /* no room in the command queue */
    SM_ERR_BUSY = -5,         /* called from inside a callback */
    SM_ERR_IO = -6,           /* the platform's write or read failed */
    SM_ERR_TIMEOUT = -7,      /* no final result before the deadline */
    SM_ERR_MODEM = -8,        /* the modem answered ERROR / CME / dialect error */
    SM_ERR_REBOOT = -9,       /* the modem restarted during the operation */
    SM_ERR_CANCELLED = -10,   /* the caller flushed the queue */
    SM_ERR_PARSE = -11,       /* a response could not be parsed */
    SM_ERR_TRUNCATED = -12    /* a response did not fit its buffer */
};
SECMODEM_API const char *sm_strerror(int status);

/* ==========================================================================
   3. PLATFORM INTERFACE
   Callbacks the application provides; `user` is passed back to each. Only
   write and now_ms are required. All must return promptly (never block).
   ========================================================================== */
/* Trace directions: a command line sent, a line received, a line handed to
   a URC handler, payload bytes sent / received, a line dropped (too long),
   a data prompt received. */
enum { SM_TRACE_TX = 0, SM_TRACE_RX = 1, SM_TRACE_URC = 2, SM_TRACE_RAW_TX = 3,
       SM_TRACE_RAW_RX = 4, SM_TRACE_DROP = 5, SM_TRACE_PROMPT = 6 };

typedef struct sm_platform {
    void *user;
    /* Write up to len bytes to the modem's UART; return how many were
       accepted (0..len, 0 when the transmit buffer is full) or <0 on error. */
    int (*write)(void *user, const uint8_t *data, size_t len);
    /* Pull mode: read up to cap received bytes; 0 when none, <0 on error.
       NULL in push mode (the application calls sm_at_feed()). */
    int (*read)(void *user, uint8_t *buf, size_t cap);
    /* A free-running millisecond clock; wrap-around is handled. */
    uint32_t (*now_ms)(void *user);
    /* I2C to the secure element: 0 on ACK, <0 on NACK or error. */
    int (*i2c_write)(void *user, uint8_t addr7, const uint8_t *data, size_t len);
    int (*i2c_read)(void *user, uint8_t addr7, uint8_t *buf, size_t len);
    /* Optional trace of every line sent and received (dir: SM_TRACE_*). The
       text is not NUL-terminated; raw payload traces carry the bytes. */
    void (*trace)(void *user, int dir, const char *text, size_t len);
} sm_platform;

/* ==========================================================================
   4. UTILITIES
   A bounded text builder for command lines, the one string check every
   caller-supplied string goes through, and a parser for response fields.
   ========================================================================== */

/* Flags of sm_check_str(): what a string must not contain besides the
   always-forbidden bytes (NUL, CR, LF, other C0 controls, DEL, '"'). */
enum {
    SM_STR_NO_COMMA = 1,    /* unquoted argument: ',' would start a new one */
    SM_STR_NO_SPACE = 2,    /* no ' ' */
    SM_STR_UTF8 = 4,        /* must be well-formed UTF-8 (else ASCII only) */
    SM_STR_NONEMPTY = 8,    /* must not be empty */
    SM_STR_ALLOW_QUOTE = 16 /* '"' allowed (for an unquoted rest-of-line) */
};
/* Checks that s (at most maxlen bytes before its NUL) can be placed inside
   an AT command without ending it or starting another: SM_OK,
   SM_ERR_UNSAFE_STRING, or SM_ERR_PARAM (NULL or longer than maxlen). */
SECMODEM_API int sm_check_str(const char *s, size_t maxlen, unsigned flags);

/* Bounded builder: appends never overflow; the first failure is latched in
   `err` and every later append is ignored, so a command is built with a
   sequence of calls and one check at the end. */
typedef struct sm_buf {
    char *p;
    size_t cap, len;
    int err;
} sm_buf;
SECMODEM_API void sm_buf_init(sm_buf *b, char *mem, size_t cap);
SECMODEM_API void sm_buf_str(sm_buf *b, const char *s);        /* trusted text */
SECMODEM_API void sm_buf_mem(sm_buf *b, const char *s, size_t n);
SECMODEM_API void sm_buf_char(sm_buf *b, char c);
SECMODEM_API void sm_buf_u32(sm_buf *b, uint32_t v);
SECMODEM_API void sm_buf_i32(sm_buf *b, int32_t v);
/* Appends "s" in double quotes after sm_check_str(s, maxlen, flags). */
SECMODEM_API void sm_buf_quoted(sm_buf *b, const char *s, size_t maxlen, unsigned flags);
/* Appends s unquoted after sm_check_str(s, maxlen, flags). */
SECMODEM_API void sm_buf_checked(sm_buf *b, const char *s, size_t maxlen, unsigned flags);
SECMODEM_API void sm_buf_hex(sm_buf *b, const uint8_t *data, size_t n);
/* NUL-terminates and returns the status: SM_OK or the first error. */
SECMODEM_API int sm_buf_finish(sm_buf *b);

/* Field parser for response lines such as `+CEREG: 5,"1A2B",0` (after the
   prefix): fields are separated by ',', a field may be in double quotes (a
   comma inside quotes does not split), spaces around fields are skipped. */
typedef struct sm_fields {
    const char *p, *end;
    int done; /* set once the last field was taken */
} sm_fields;
/* Starts after `prefix` if the line begins with it (SM_ERR_PARSE otherwise);
   prefix may be NULL to parse the whole line. */
SECMODEM_API int sm_fields_init(sm_fields *f, const char *line, size_t len, const char *prefix);
SECMODEM_API int sm_fields_more(const sm_fields *f);
/* Next field as a signed decimal integer within [min, max]. */
SECMODEM_API int sm_fields_int(sm_fields *f, int32_t min, int32_t max, int32_t *out);
/* Next field as text, quotes removed, NUL-terminated into out[cap]. */
SECMODEM_API int sm_fields_str(sm_fields *f, char *out, size_t cap);
/* Skips the next field. */
SECMODEM_API int sm_fields_skip(sm_fields *f);
/* Next field as it stands: *s and *n delimit it (quotes removed), *quoted
   tells whether it was in double quotes. */
SECMODEM_API int sm_fields_token(sm_fields *f, const char **s, size_t *n, int *quoted);
/* Rest of the line, unparsed (for "rest of line" arguments). */
SECMODEM_API const char *sm_fields_rest(const sm_fields *f, size_t *len);

/* Parses an unsigned or signed decimal number in s[0..n); SM_OK or
   SM_ERR_PARSE (empty, non-digits, or out of [min, max]). */
SECMODEM_API int sm_parse_i32(const char *s, size_t n, int32_t min, int32_t max, int32_t *out);
/* The same for an unsigned decimal up to 4294967295 (no sign). */
SECMODEM_API int sm_parse_u32(const char *s, size_t n, uint32_t *out);

/* Base64 (RFC 4648 section 4: standard alphabet, '=' padding, no line
   breaks). SM_BASE64_LEN(n) is the encoded length of n bytes. */
#define SM_BASE64_LEN(n) ((((n) + 2u) / 3u) * 4u)
/* Encodes in[0..n) into out[cap] and NUL-terminates it; *out_len (may be
   NULL) gets the length without the NUL. SM_OK, SM_ERR_NO_SPACE (cap below
   SM_BASE64_LEN(n) + 1) or SM_ERR_PARAM (NULL pointers). */
SECMODEM_API int sm_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                                  size_t *out_len);
/* Decodes in[0..n) into out[cap]; *out_len gets the byte count. Strict: n a
   multiple of 4, only the alphabet, '=' only as the last one or two
   characters, unused bits zero (canonical form). SM_OK, SM_ERR_PARSE,
   SM_ERR_NO_SPACE or SM_ERR_PARAM (NULL pointers). */
SECMODEM_API int sm_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                                  size_t *out_len);

/* ==========================================================================
   5. AT ENGINE
   One command on the wire at a time, others wait in a bounded queue. Bytes
   from the modem are cut into lines; each line is an echo (dropped), the
   final result of the command in flight, a response line of that command, or
   an unsolicited result (URC) handed to the registered URC tables. A data
   prompt ("> ") releases the command's payload; a response or URC handler
   can announce that N raw bytes follow (binary payload), and a command can
   declare raw bytes inline after field N of its response line
   (SM_AT_F_RAW_AFTER); either way they are read by count, never scanned for
   line ends.
   A late answer to a timed-out command must not complete the next one: the
   next command waits until the line has been quiet for SM_AT_SETTLE_MS, and
   when the modem echoes (learned from the traffic, and from ATE0/ATE1),
   anything before the new command's echo is dropped as stale.
   ========================================================================== */
typedef enum sm_at_result {
    SM_AT_PENDING = 0,   /* not finished */
    SM_AT_OK,            /* OK */
    SM_AT_ERROR,         /* ERROR */
    SM_AT_CME_ERROR,     /* +CME ERROR: <n> or <text> */
    SM_AT_CMS_ERROR,     /* +CMS ERROR: <n> or <text> */
    SM_AT_DIALECT_ERROR, /* a dialect's own error result (e.g. Cordelia ERROR:<t>,<n>) */
    SM_AT_TIMEOUT,       /* no final result before the deadline */
    SM_AT_REBOOT,        /* the modem restarted while the command was in flight */
    SM_AT_CANCELLED,     /* removed by sm_at_flush() */
    SM_AT_IO_ERROR       /* the platform's write callback failed */
} sm_at_result;

/* A final result line as a dialect classifies it. */
typedef struct sm_at_final {
    sm_at_result result;
    int32_t code;        /* numeric error code; SM_AT_NO_CODE when textual */
    const char *text;    /* error text (points into the line), or NULL */
    size_t text_len;
} sm_at_final;
#define SM_AT_NO_CODE INT32_MIN

/* What a modem family does differently at the framing level. */
typedef struct sm_at_dialect {
    const char *name;
    const char *cmd_term;   /* appended to every command: "\r" or "\r\n" */
    const char *reboot_urc; /* line prefix the modem sends when it (re)starts */
    /* Classifies dialect-specific final results; returns 1 and fills *out if
       the line is one, 0 if not. NULL: only the standard ones are known. The
       standard ones (OK, ERROR, +CME ERROR:, +CMS ERROR:) are tried after. */
    int (*classify)(const char *line, size_t len, sm_at_final *out);
} sm_at_dialect;

/* The completion report of a command. Pointers are valid during the
   on_done callback only. */
typedef struct sm_at_response {
    uint16_t id;             /* the id sm_at_submit() returned */
    sm_at_result result;
    int32_t code;            /* CME/CMS/dialect error number, or SM_AT_NO_CODE */
    const char *err_text;    /* textual error, NUL-terminated, or NULL */
    const char *lines;       /* response lines, each NUL-terminated, back to back */
    uint16_t nlines;
    uint8_t lines_truncated; /* 1 if some lines did not fit SM_RESP_SIZE */
    uint8_t raw_truncated;   /* 1 if raw bytes did not fit the command's raw_buf */
    size_t raw_len;          /* raw bytes stored in the command's raw_buf */
} sm_at_response;

struct sm_at;
typedef void (*sm_at_done_fn)(void *ctx, const sm_at_response *r);
typedef void (*sm_at_line_fn)(void *ctx, struct sm_at *at, const char *line, size_t len);
typedef void (*sm_at_raw_fn)(void *ctx, const uint8_t *data, size_t len);

/* Command flags. */
enum {
    SM_AT_F_PROMPT = 1, /* wait for the "> " prompt, then write the payload */
    SM_AT_F_INLINE = 2  /* write the payload right after the text, before the terminator */
};
/* Raw data inline in a response line, as in Cordelia's
   `+recv:<id>,0,<n>,<n raw bytes>` CR LF: a response line of the command
   (one starting with cmd.prefix, which is then required) carries raw bytes
   right after the comma that ends its field n (1..15, counted after the
   prefix, commas inside double quotes not counted); the byte count is field
   n itself, a decimal 0..65535. The part before that comma is delivered as a
   response line (stored, and given to on_line), the bytes go to raw_buf by
   count exactly as after sm_at_expect_raw(), then line parsing resumes. A
   count that is not such a number leaves the line to the line parser; it is
   counted in stats.raw_bad_count and the response has raw_truncated set.
   Costs one test per received byte while such a command waits. */
#define SM_AT_F_RAW_AFTER(n) ((((unsigned)(n)) & 15u) << 12)

/* A command to submit. text is copied into the queue; everything the other
   pointers reference must stay valid until on_done has been called. */
typedef struct sm_at_cmd {
    const char *text;       /* e.g. "AT+CEREG?", without terminator */
    const char *prefix;     /* lines starting with this are this command's
                               response (e.g. "+CEREG:"); NULL: any line that no
                               URC table claims */
    uint32_t timeout_ms;    /* 0: SM_AT_TIMEOUT_MS */
    unsigned flags;         /* SM_AT_F_* */
    const uint8_t *payload; /* bytes for SM_AT_F_PROMPT / SM_AT_F_INLINE */
    size_t payload_len;
    uint8_t *raw_buf;       /* where announced raw bytes of the response go */
    size_t raw_cap;
    /* A response whose payload has no header line, only a fixed lead (e.g.
       "\r\n" or "<<<"): after the command is sent (and its echo seen, when
       the modem echoes), raw_len bytes right after raw_lead at the start of a
       line are read by count into raw_buf. raw_len 0: none. The lead is
       matched blindly: a modem that put a URC between the command and such a
       payload could not be parsed by anyone, and none is known to. */
    const char *raw_lead;
    size_t raw_len;
    sm_at_line_fn on_line;  /* optional: each response line as it arrives */
    sm_at_done_fn on_done;  /* optional: completion */
    void *ctx;
} sm_at_cmd;

/* A URC table entry: lines beginning with prefix go to fn. Tables are
   typically const arrays in flash. */
typedef struct sm_urc {
    const char *prefix;
    sm_at_line_fn fn;
} sm_urc;

/* Counters of everything the engine had to drop or could not place: the
   proof that nothing is lost silently. */
typedef struct sm_at_stats {
    uint32_t lines;        /* complete lines received */
    uint32_t urcs;         /* lines dispatched to a URC handler */
    uint32_t overlong;     /* lines dropped because longer than SM_LINE_SIZE-1 */
    uint32_t nul_bytes;    /* NUL bytes dropped */
    uint32_t unexpected;   /* lines nobody claimed (stray OK, unknown URC, ...) */
    uint32_t timeouts;     /* commands that timed out */
    uint32_t reboots;      /* restarts seen */
    uint32_t stale;        /* late answers dropped: after a timeout, or before the
                              echo of the command in flight when the modem echoes */
    uint32_t raw_bytes;    /* binary payload bytes received */
    uint32_t raw_dropped;  /* binary payload bytes that had nowhere to go */
    uint32_t raw_bad_count;/* SM_AT_F_RAW_AFTER lines whose byte count was malformed */
} sm_at_stats;

typedef struct sm_at_entry {
    sm_at_cmd cmd;         /* cmd.text is unused: the text is in q_text */
    uint16_t text_len;
    uint16_t id;
} sm_at_entry;

typedef struct sm_at_urc_table {
    const sm_urc *table;
    size_t n;
    void *ctx;
} sm_at_urc_table;

/* The engine. Treat the fields as private: use the functions below. */
typedef struct sm_at {
    sm_platform plat;
    const sm_at_dialect *dialect;
    /* receive side */
    char line[SM_LINE_SIZE];
    uint16_t line_len;
    uint8_t line_overflow;   /* the current line is too long: drop at its end */
    uint8_t skip_lf;         /* the previous line ended with CR: swallow one LF */
    uint8_t skip_space;      /* a prompt '>' was seen: swallow one ' ' */
    uint8_t in_callback;     /* re-entrancy guard */
    uint8_t settling;        /* after a timeout: drop answers until quiet */
    uint8_t echo_mode;       /* learned: the modem echoes commands */
    uint8_t echo_seen;       /* the echo of the command in flight arrived */
    uint8_t lead_armed;      /* waiting for the command's raw_lead */
    uint8_t lead_pos;        /* bytes of raw_lead matched so far */
    uint8_t inl_field;       /* SM_AT_F_RAW_AFTER field of the command waiting, 0: none */
    uint32_t last_rx_ms;
    size_t raw_left;         /* raw bytes still expected */
    sm_at_raw_fn raw_sink;   /* NULL: into the command's raw_buf */
    void *raw_ctx;
    uint32_t raw_deadline;
    /* queue: entries in order, their texts back to back in q_text */
    sm_at_entry q[SM_QUEUE_DEPTH];
    char q_text[SM_QUEUE_TEXT];
    uint16_t q_count, q_text_len;
    uint16_t next_id;
    /* the command at the head of the queue, once on the wire */
    uint8_t phase;           /* SM_PH_* (implementation) */
    size_t tx_off;
    uint32_t deadline;
    char resp[SM_RESP_SIZE];
    uint16_t resp_len, resp_lines;
    uint8_t resp_trunc, raw_trunc;
    size_t raw_got;
    /* last completion, for callers that poll instead of using callbacks */
    uint16_t last_id;
    sm_at_result last_result;
    int32_t last_code;
    sm_at_urc_table urc[SM_URC_TABLES];
    sm_at_line_fn unhandled; /* optional: lines nobody claimed */
    void *unhandled_ctx;
    sm_at_stats stats;
} sm_at;

/* The standard 3GPP dialect: "\r" terminator, OK/ERROR/+CME/+CMS results,
   no restart marker. */
SECMODEM_API const sm_at_dialect *sm_at_dialect_3gpp(void);

/* Initialises the engine; the platform struct is copied. */
SECMODEM_API int sm_at_init(sm_at *at, const sm_platform *plat, const sm_at_dialect *dialect);
/* Queues a command; returns its id (1..32767) or a negative SM_ERR_*:
   SM_ERR_PARAM (NULL text, payload too big or without flag),
   SM_ERR_UNSAFE_STRING (the text contains CR, LF or NUL... any control
   byte), SM_ERR_QUEUE_FULL. Never blocks: the command goes out from
   sm_at_poll()/sm_at_feed(). */
SECMODEM_API int sm_at_submit(sm_at *at, const sm_at_cmd *cmd);
/* Advances everything: pulls bytes (pull mode), enforces deadlines, writes
   pending output and starts the next queued command. Returns quickly:
   SM_OK, or SM_ERR_IO if the platform's read failed. */
SECMODEM_API int sm_at_poll(sm_at *at);
/* Push mode: hands received bytes to the engine (call from the main loop). */
SECMODEM_API int sm_at_feed(sm_at *at, const uint8_t *data, size_t len);
/* Registers a URC table (kept by reference). SM_ERR_NO_SPACE when
   SM_URC_TABLES are in use. */
SECMODEM_API int sm_at_add_urcs(sm_at *at, const sm_urc *table, size_t n, void *ctx);
SECMODEM_API int sm_at_remove_urcs(sm_at *at, const sm_urc *table);
/* Lines that are neither response nor registered URC go here (optional). */
SECMODEM_API void sm_at_on_unhandled(sm_at *at, sm_at_line_fn fn, void *ctx);
/* From a line handler: the next n bytes after this line are raw payload.
   sink NULL sends them to the in-flight command's raw_buf. */
SECMODEM_API int sm_at_expect_raw(sm_at *at, size_t n, sm_at_raw_fn sink, void *ctx);
/* Cancels the in-flight command (if any) and every queued one; each gets
   on_done with `result` (e.g. SM_AT_CANCELLED). Safe from callbacks. */
SECMODEM_API void sm_at_flush(sm_at *at, sm_at_result result);
/* 1 while a command is queued or in flight. */
SECMODEM_API int sm_at_busy(const sm_at *at);
/* Queue slots free. */
SECMODEM_API int sm_at_queue_free(const sm_at *at);
/* The result of the command `id` if it was the last one to complete, else
   SM_AT_PENDING. */
SECMODEM_API sm_at_result sm_at_result_of(const sm_at *at, uint16_t id);
SECMODEM_API const sm_at_stats *sm_at_get_stats(const sm_at *at);
SECMODEM_API const char *sm_at_result_name(sm_at_result r);
/* Maps a result to a status code (SM_OK, SM_ERR_MODEM, SM_ERR_TIMEOUT...). */
SECMODEM_API int sm_at_result_status(sm_at_result r);

/* Blocking helper for simple programs and tests: submits, then polls until
   the command completes (bounded by its own timeout plus settling). Copies
   the response lines into lines[cap] (may be NULL). Returns the status. */
SECMODEM_API int sm_at_run_blocking(sm_at *at, const sm_at_cmd *cmd, sm_at_response *out,
                                    char *lines, size_t cap);

#ifndef SM_NO_CORDELIA
/* ==========================================================================
   CORDELIA-I DIALECT (declarations)
   Würth Elektronik Cordelia-I Wi-Fi module, driven by its AT commands with
   on-module TLS, MQTT and file system. The wire format is the one fixed in
   the wire contract shared with the simulator (cordelia_contract.md, cited
   "contract") from the notes on the module (notes/cordelia.md, "notes").

   sm_cord is a struct you own: the AT engine with the Cordelia dialect, the
   module's state and a FIFO of operations. Every start function checks its
   arguments at once (nothing is written for a bad one: SM_ERR_PARAM or
   SM_ERR_UNSAFE_STRING) and returns an operation id (1..32767) or an
   SM_ERR_*; operations then run ONE AFTER ANOTHER in the order they were
   started (an upload, the MQTT settings, the Wi-Fi connection and the MQTT
   connection can be started back to back), and each ends with one call of
   its done callback. Strings and buffers passed to a start function must
   stay valid until that call. Every line the module sends that is not an
   answer is reported to the event callback, unknown ones as
   SM_CORD_EV_UNHANDLED: nothing is dropped silently.

       sm_cord c;
       sm_cord_init(&c, &platform, on_event, app);
       sm_cord_file_upload(&c, "ca.pem", ca, ca_len, on_done, app);
       sm_cord_mqtt_configure(&c, &cfg, on_done, app);
       sm_cord_wlan_connect(&c, "ssid", SM_CORD_SEC_WPA_WPA2, "passphrase", on_done, app);
       id = sm_cord_mqtt_connect(&c, on_done, app);    // done on CONNACK
       status = sm_cord_wait(&c, id);                   // or poll in your loop

   Readings of the contract this section relies on (the contract's
   assumptions, and where it is silent):
   - every command has a response prefix; one that answers no information
     line gets a prefix no line starts with, so a stray line is never taken
     as its answer but reported as SM_CORD_EV_UNHANDLED;
   - AT+set string values never contain ',' (notes section 5: no escaping);
     the publish payload is the only argument where '"' and ',' are allowed;
   - SSIDs and file names may contain spaces (sent bare, as the contract
     shows), host names, keywords and TLS methods may not;
   - the upload opens with CREATE|WRITE|OVERWRITE: the contract does not say
     whether CREATE alone allows writing (the seed session uses WRITE|CREATE,
     the QuarkLink example CREATE|OVERWRITE), so both are sent;
   - +recv: comes before OK; +connect: after OK (it names no socket: the
     one of the last AT+connect is reported); wlanDisconnect, iotdisconnect
     end at their OK, their events follow;
   - a CONNACK with a non-zero code, DISCONNECT or any +eventmqtt:error ends
     sm_cord_mqtt_connect as a failure; Wi-Fi loss clears mqtt_connected;
   - a restart (+eventstartup) clears the whole state: no Wi-Fi, no MQTT,
     no sockets, until the module says otherwise.
   ========================================================================== */
/* Per-command timeouts, after the vendor driver's (notes section 10) with a
   margin, and the waits for the events that end an operation. */
#ifndef SM_CORD_TIMEOUT_MS
#define SM_CORD_TIMEOUT_MS 1500        /* general (driver: 1000) */
#endif
#ifndef SM_CORD_FILE_TIMEOUT_MS
#define SM_CORD_FILE_TIMEOUT_MS 2500   /* fileRead/fileWrite/list, send/recv (driver: 2000) */
#endif
#ifndef SM_CORD_RESET_TIMEOUT_MS
#define SM_CORD_RESET_TIMEOUT_MS 100000 /* AT+factoryreset to its OK (driver: 100000) */
#endif
#ifndef SM_CORD_STARTUP_TIMEOUT_MS
#define SM_CORD_STARTUP_TIMEOUT_MS 10000 /* OK of reboot/factory reset to +eventstartup */
#endif
#ifndef SM_CORD_WLAN_TIMEOUT_MS
#define SM_CORD_WLAN_TIMEOUT_MS 30000  /* OK of wlanConnect to the IPv4 address */
#endif
#ifndef SM_CORD_CONNACK_TIMEOUT_MS
#define SM_CORD_CONNACK_TIMEOUT_MS 15000 /* OK of iotconnect to CONNACK */
#endif
#ifndef SM_CORD_CONNECT_TIMEOUT_MS
#define SM_CORD_CONNECT_TIMEOUT_MS 30000 /* AT+connect: OK after TCP and TLS are up */
#endif
/* Bytes per AT+fileWrite (binary, inline): the contract's maximum is 1460. */
#ifndef SM_CORD_FILE_CHUNK
#define SM_CORD_FILE_CHUNK 1460
#endif
/* Bytes per AT+fileRead: its Base64 answer must fit one received line. */
#ifndef SM_CORD_READ_CHUNK
#define SM_CORD_READ_CHUNK ((SM_LINE_SIZE - 32) / 4 * 3)
#endif
/* Longest AT+iotpublish payload: the command is held in the engine queue. */
#ifndef SM_CORD_PUBLISH_MAX
#define SM_CORD_PUBLISH_MAX (SM_QUEUE_TEXT - 20)
#endif
/* Operations that may be started and not yet done. */
#ifndef SM_CORD_OPS
#define SM_CORD_OPS 6
#endif

#if SM_CORD_FILE_CHUNK < 1 || SM_CORD_FILE_CHUNK > 1460 || SM_CORD_FILE_CHUNK > SM_PAYLOAD_MAX
#error "SM_CORD_FILE_CHUNK must be 1..1460 and at most SM_PAYLOAD_MAX"
#endif
#if SM_CORD_READ_CHUNK < 3 || (SM_CORD_READ_CHUNK + 2) / 3 * 4 + 30 > SM_LINE_SIZE
#error "SM_CORD_READ_CHUNK: its Base64 answer must fit SM_LINE_SIZE"
#endif
#if SM_CORD_PUBLISH_MAX < 1 || SM_CORD_PUBLISH_MAX + 19 > SM_QUEUE_TEXT
#error "SM_CORD_PUBLISH_MAX: AT+iotpublish=n,\"<payload>\" must fit SM_QUEUE_TEXT"
#endif
#if SM_CORD_OPS < 1 || SM_CORD_OPS > 64
#error "SM_CORD_OPS must be 1..64"
#endif

/* Events (contract "Events", notes section 3). Strings are NUL-terminated
   and valid during the callback only. */
typedef enum sm_cord_event_kind {
    SM_CORD_EV_STARTUP = 1,       /* +eventstartup: u.startup; the module restarted */
    SM_CORD_EV_WLAN_CONNECTED,    /* +eventwlan:connect: u.wlan (ssid, bssid) */
    SM_CORD_EV_WLAN_DISCONNECTED, /* +eventwlan:disconnect: u.wlan (ssid, bssid, reason) */
    SM_CORD_EV_IP_ACQUIRED,       /* +eventnetapp:ipv4_acquired: u.ip */
    SM_CORD_EV_MQTT_INFO,         /* +eventmqtt:info: u.mqtt (status CONNACK, DISCONNECT...) */
    SM_CORD_EV_MQTT_ERROR,        /* +eventmqtt:error: u.mqtt (status TLS_FAILED...) */
    SM_CORD_EV_MQTT_RECV,         /* +eventmqtt:recv: u.msg */
    SM_CORD_EV_SOCK_CONNECTED,    /* +connect: u.sock (id of the socket connected last,
                                     value = port, address) */
    SM_CORD_EV_SOCK_DATA,         /* +eventsock:data: u.sock (id, value = bytes waiting) */
    SM_CORD_EV_SOCK_CLOSED,       /* +eventsock:closed: u.sock (id): the peer closed */
    SM_CORD_EV_SOCK_TX_FAILED,    /* +eventsock:tx_failed: u.sock (id, value = error) */
    SM_CORD_EV_FATAL,             /* +eventfatalerror: u.fatal */
    SM_CORD_EV_UNHANDLED          /* any other line that is no answer (unknown +event...,
                                     a known event that does not parse): see line */
} sm_cord_event_kind;

typedef struct sm_cord_event {
    sm_cord_event_kind kind;
    const char *line;       /* the whole line as received, NUL-terminated */
    size_t line_len;
    union {
        struct { const char *article, *chip_id, *mac, *version; } startup;
        struct { const char *ssid, *bssid; int32_t reason; } wlan;   /* reason: disconnect */
        struct { const char *ip, *gateway, *dns; } ip;
        struct { const char *status; int32_t code; } mqtt; /* status without its quotes */
        struct {
            const char *topic;
            int qos;             /* from qos<N> */
            const char *payload; /* rest of the line, ONE enclosing pair of quotes removed
                                    (contract: no escaping; may contain '"' and ',') */
            size_t len;
        } msg;
        struct { int id; int32_t value; const char *address; } sock;
        struct { const char *reason; } fatal; /* device_abort, sync_loss... */
    } u;
} sm_cord_event;

/* Operations, as reported in sm_cord_result.op. */
typedef enum sm_cord_op_kind {
    SM_CORD_OP_TEST = 1, SM_CORD_OP_REBOOT, SM_CORD_OP_FACTORY_RESET, SM_CORD_OP_GET,
    SM_CORD_OP_SET, SM_CORD_OP_MQTT_CONFIG, SM_CORD_OP_WLAN_CONNECT, SM_CORD_OP_WLAN_DISCONNECT,
    SM_CORD_OP_FILE_OPEN, SM_CORD_OP_FILE_WRITE, SM_CORD_OP_FILE_READ, SM_CORD_OP_FILE_CLOSE,
    SM_CORD_OP_FILE_DELETE, SM_CORD_OP_FILE_INFO, SM_CORD_OP_FILE_LIST, SM_CORD_OP_FILE_UPLOAD,
    SM_CORD_OP_SOCKET, SM_CORD_OP_SOCKET_TLS, SM_CORD_OP_CONNECT, SM_CORD_OP_SEND,
    SM_CORD_OP_RECV, SM_CORD_OP_CLOSE, SM_CORD_OP_MQTT_CONNECT, SM_CORD_OP_MQTT_DISCONNECT,
    SM_CORD_OP_PUBLISH
} sm_cord_op_kind;

/* +filegetinfo:<flags>,<size>,<allocatedSize>,<token>,<storageSize>,<writeCounter> */
typedef struct sm_cord_file_info {
    uint32_t flags, size, allocated, token, storage, write_counter;
} sm_cord_file_info;

/* +filegetfilelist:<name>,<maxSize>,<properties>,<allocatedBlocks> */
typedef struct sm_cord_file_entry {
    const char *name;
    uint32_t max_size;
    const char *properties;
    uint32_t blocks;
} sm_cord_file_entry;

/* The completion report of an operation; pointers valid during the call. */
typedef struct sm_cord_result {
    int id;                  /* what the start function returned */
    sm_cord_op_kind op;
    int status;              /* SM_OK or SM_ERR_*: SM_ERR_MODEM for ERROR:<text>,<code> and
                                for a failure event, SM_ERR_TIMEOUT, SM_ERR_REBOOT... */
    int32_t code;            /* the module's (negative) error code, a failure event's code
                                (CONNACK return code, disconnect reason...), or SM_AT_NO_CODE */
    const char *err_text;    /* the module's error text or the failure event's status
                                (e.g. "file not found", "TLS_FAILED"), or NULL */
    uint32_t value;          /* FILE_OPEN, FILE_UPLOAD: file id; SOCKET: socket id */
    size_t len;              /* bytes written (FILE_WRITE, FILE_UPLOAD, SEND) or read
                                (FILE_READ, RECV); GET: length of text */
    const char *text;        /* GET: the value; WLAN_CONNECT: the IPv4 address;
                                REBOOT, FACTORY_RESET: the firmware version */
    sm_cord_file_info info;  /* FILE_INFO */
    const char *group, *key; /* GET, SET, MQTT_CONFIG, SOCKET_TLS: the setting, on failure
                                the one that failed */
    uint8_t stage;           /* FILE_UPLOAD: 0 open, 1 write, 2 close (where it ended) */
    uint8_t truncated;       /* RECV: more bytes came than fitted (the rest is dropped) */
} sm_cord_result;

struct sm_cord;
typedef void (*sm_cord_event_fn)(void *ctx, struct sm_cord *cord, const sm_cord_event *ev);
typedef void (*sm_cord_done_fn)(void *ctx, struct sm_cord *cord, const sm_cord_result *r);
typedef void (*sm_cord_entry_fn)(void *ctx, struct sm_cord *cord, const sm_cord_file_entry *e);

/* AT+wlanConnect security types (contract "Wi-Fi"). */
typedef enum sm_cord_security {
    SM_CORD_SEC_OPEN = 0, SM_CORD_SEC_WPA_WPA2, SM_CORD_SEC_WPA2_PLUS, SM_CORD_SEC_WPA3
} sm_cord_security;

/* AT+fileOpen flags, sent |-joined (contract "File system"). */
enum { SM_CORD_FILE_CREATE = 1, SM_CORD_FILE_READ = 2, SM_CORD_FILE_WRITE = 4,
       SM_CORD_FILE_OVERWRITE = 8 };

/* "Leave this setting as it is" for the numbers of the two structs below;
   strings use NULL. An empty string "" is sent (it clears a setting). */
#define SM_CORD_UNSET (-1)

typedef struct sm_cord_topic {
    const char *name;   /* SUBTOPICn / PUBTOPICn name */
    int8_t qos;         /* qos 0..2 */
    int8_t retain;      /* PUBTOPICn retain 0/1 (unused for SUBTOPICn) */
} sm_cord_topic;

/* The on-module MQTT client's settings (contract "Device", notes section
   5). Call sm_cord_mqtt_config_init() first: every field starts unset. */
typedef struct sm_cord_mqtt_config {
    const char *endpoint;    /* MQTT iotHubEndpoint: broker host name or address */
    int32_t port;            /* MQTT iotHubPort 1..65535 */
    const char *flags;       /* MQTT flags, e.g. "url|sec" */
    int8_t tls1_3;           /* MQTT TLS1_3 0/1 */
    const char *client_id;   /* MQTT clientId */
    const char *ca_file;     /* MQTT rootCAPath: a file name in the module */
    const char *cert_file;   /* MQTT clientCertPath */
    const char *key_file;    /* MQTT clientPrivateKey */
    const char *user;        /* MQTT userName */
    const char *password;    /* MQTT password */
    int32_t keep_alive_s;    /* MQTT keepAliveTimeOut 0..65535 */
    int8_t clean_session;    /* MQTT cleanConnect 0/1 */
    const char *will_topic;  /* MQTT willTopic */
    const char *will_message;/* MQTT willMessage */
    int8_t will_qos;         /* MQTT willQos 0..2 */
    int8_t will_retain;      /* MQTT willRetain 0/1 */
    sm_cord_topic sub[4];    /* SUBTOPIC0..3: subscribed on connect */
    sm_cord_topic pub[4];    /* PUBTOPIC0..3: targets of sm_cord_mqtt_publish() */
} sm_cord_mqtt_config;

/* AT+setSockOpt=<id>,SOCKET,<opt>,<value> options (contract "TLS sockets");
   NULL leaves one as it is. */
typedef struct sm_cord_tls {
    const char *method;      /* SECMETHOD, e.g. "TLSV1_2" */
    const char *ca_file;     /* SECURE_FILES_CA_FILE_NAME */
    const char *key_file;    /* SECURE_FILES_PRIVATE_KEY_FILE_NAME */
    const char *cert_file;   /* SECURE_FILES_CERTIFICATE_FILE_NAME */
    const char *domain;      /* SECURE_DOMAIN_NAME_VERIFICATION: expected server name */
} sm_cord_tls;

/* What is known of the module, kept up to date from its answers and events.
   Read it through sm_cord_get_state(). */
typedef struct sm_cord_state {
    uint8_t started;         /* a +eventstartup was seen */
    uint8_t wlan_connected;  /* +eventwlan:connect seen, no disconnect since */
    uint8_t mqtt_connected;  /* CONNACK 0 seen, no DISCONNECT since */
    uint16_t sockets;        /* bit n: socket n created and not closed by AT+close */
    char article[16];        /* from +eventstartup: article number */
    char chip_id[12];        /* chip id, e.g. 0x31000019 */
    char mac[18];            /* MAC address */
    char version[12];        /* firmware version x.y.z */
    char ipv4[16];           /* from +eventnetapp:ipv4_acquired, "" without */
} sm_cord_state;

/* A started operation (private). */
typedef struct sm_cord_op {
    const char *s1, *s2, *s3;   /* strings: names, group/key/value, ssid/key... */
    const void *src;            /* data to write, or the config / TLS struct */
    uint8_t *dst;               /* where read bytes go */
    size_t len;
    uint32_t n1, n2;            /* file/socket id, offset, flags, size, port... */
    sm_cord_done_fn done;
    sm_cord_entry_fn on_entry;
    void *ctx;
    uint16_t id;
    uint8_t kind;               /* sm_cord_op_kind */
    uint8_t sub;                /* SET: value type */
} sm_cord_op;

/* The module. Treat the fields as private: use the functions below. */
typedef struct sm_cord {
    sm_at at;
    sm_cord_event_fn on_event;
    void *event_ctx;
    sm_cord_state state;
    int8_t connect_sock;        /* socket of the last AT+connect, for +connect: */
    /* operations in start order; ops[0] runs */
    sm_cord_op ops[SM_CORD_OPS];
    uint8_t n_ops;
    uint16_t next_id;
    /* the running operation */
    uint8_t phase;              /* SM_CORD_PH_* (implementation) */
    uint8_t early;              /* its event came before its command's OK */
    uint16_t at_id;             /* engine id of its command */
    uint32_t step;              /* position in its command sequence */
    uint32_t deadline;          /* of the event wait */
    uint32_t file_id;           /* upload: the file opened */
    uint32_t value;             /* sm_cord_result.value */
    size_t done_len;            /* sm_cord_result.len */
    int early_status;
    int32_t early_code;
    char ev_text[24];           /* status of the event that ended it */
    uint8_t bad_lines;          /* list entries that did not parse */
    uint8_t in_cb;              /* inside an application callback */
    char text[SM_QUEUE_TEXT + 1]; /* where commands are written (the engine copies them) */
    /* the last SM_CORD_OPS completions, for sm_cord_wait() */
    uint16_t recent_id[SM_CORD_OPS];
    int8_t recent_status[SM_CORD_OPS];
    uint8_t recent_next;
} sm_cord;

/* The Cordelia-I framing: "\r\n" terminator, +eventstartup: as restart
   marker, ERROR:<text>,<code> as SM_AT_DIALECT_ERROR (code and text). */
SECMODEM_API const sm_at_dialect *sm_cord_dialect(void);

/* Sets up the module struct: the engine with the Cordelia dialect and the
   event table. on_event (may be NULL) gets every event, with ctx. Returns
   SM_OK or SM_ERR_PARAM (NULL pointers, platform without write/now_ms). */
SECMODEM_API int sm_cord_init(sm_cord *c, const sm_platform *plat, sm_cord_event_fn on_event,
                              void *ctx);
/* Advances everything (sm_at_poll, event-wait deadlines, the next
   operation). Call it from the main loop, also in push mode. SM_OK,
   SM_ERR_IO (platform read failed), SM_ERR_BUSY (from a callback),
   SM_ERR_PARAM (c NULL). */
SECMODEM_API int sm_cord_poll(sm_cord *c);
/* Push mode: hands received bytes to the engine (see sm_at_feed; same
   return codes). Call sm_cord_poll() as well. */
SECMODEM_API int sm_cord_feed(sm_cord *c, const uint8_t *data, size_t len);
/* Blocking helper for tests and simple programs: polls until operation id
   is done and returns its status; the statuses of the last SM_CORD_OPS
   operations done are remembered (SM_ERR_PARAM for another id, SM_ERR_BUSY
   from a callback). Ends when the operation's deadlines pass, provided the
   platform clock advances. On a platform read error every operation ends
   with SM_ERR_IO. */
SECMODEM_API int sm_cord_wait(sm_cord *c, int id);
/* 1 while operation id is waiting or running, else 0 (also for c NULL). */
SECMODEM_API int sm_cord_pending(const sm_cord *c, int id);
/* The number of operations started and not done (0 for c NULL). */
SECMODEM_API int sm_cord_busy(const sm_cord *c);
/* Ends every operation with SM_ERR_CANCELLED (done callbacks are called)
   and flushes the engine's queue. Safe from callbacks. */
SECMODEM_API void sm_cord_cancel(sm_cord *c);
/* The module's state as last reported (never NULL; c must not be NULL). */
SECMODEM_API const sm_cord_state *sm_cord_get_state(const sm_cord *c);
/* The engine, for its statistics or for commands this section lacks (they
   are queued alongside the operations' commands). c must not be NULL. */
SECMODEM_API sm_at *sm_cord_at(sm_cord *c);
/* Names for logs ("mqtt recv", "file upload"...); "?" for unknown values. */
SECMODEM_API const char *sm_cord_event_name(sm_cord_event_kind kind);
SECMODEM_API const char *sm_cord_op_name(sm_cord_op_kind op);

/* Every start function below takes done (may be NULL) and ctx, and returns
   the operation id (> 0) or: SM_ERR_PARAM (NULL or out-of-range argument,
   string too long), SM_ERR_UNSAFE_STRING (a string holds '"', CR, LF, a
   control byte, or ',' where it would split the command), SM_ERR_QUEUE_FULL
   (SM_CORD_OPS operations pending). Nothing is sent when it fails. */

/* AT+test -> OK. */
SECMODEM_API int sm_cord_test(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+reboot -> OK, done at the following +eventstartup (result text: the
   firmware version). */
SECMODEM_API int sm_cord_reboot(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+factoryreset (clears files and settings; up to
   SM_CORD_RESET_TIMEOUT_MS) -> OK, done at +eventstartup. */
SECMODEM_API int sm_cord_factory_reset(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+get=<group>,<key> -> +get:<value>: result text. group and key: 1..32
   bytes, no space, ',' or '"'. */
SECMODEM_API int sm_cord_get(sm_cord *c, const char *group, const char *key,
                             sm_cord_done_fn done, void *ctx);
/* AT+set=<group>,<key>,"<value>": value 0..512 bytes of UTF-8 without '"',
   ',' (notes section 5: no escaping), CR, LF or controls. */
SECMODEM_API int sm_cord_set_str(sm_cord *c, const char *group, const char *key,
                                 const char *value, sm_cord_done_fn done, void *ctx);
/* AT+set=<group>,<key>,<decimal value> */
SECMODEM_API int sm_cord_set_int(sm_cord *c, const char *group, const char *key,
                                 int32_t value, sm_cord_done_fn done, void *ctx);
/* AT+set=<group>,<key>,true|false (value 0 or 1) */
SECMODEM_API int sm_cord_set_bool(sm_cord *c, const char *group, const char *key, int value,
                                  sm_cord_done_fn done, void *ctx);
/* Marks every field of cfg unset (NULL / SM_CORD_UNSET). */
SECMODEM_API void sm_cord_mqtt_config_init(sm_cord_mqtt_config *cfg);
/* One AT+set per field that is set, in the order of the struct; the first
   failure ends the operation (result group/key name it). All values are
   checked before anything is sent. */
SECMODEM_API int sm_cord_mqtt_configure(sm_cord *c, const sm_cord_mqtt_config *cfg,
                                        sm_cord_done_fn done, void *ctx);
/* AT+wlanConnect=<ssid>,,<security>,<key>,,, -> OK, done when the IPv4
   address is acquired (result text), failed (SM_ERR_MODEM, code = reason)
   on +eventwlan:disconnect, SM_ERR_TIMEOUT after SM_CORD_WLAN_TIMEOUT_MS.
   ssid 1..32 bytes (UTF-8, no ',' '"'); key 8..64 bytes for WPA types,
   NULL or "" for SM_CORD_SEC_OPEN. */
SECMODEM_API int sm_cord_wlan_connect(sm_cord *c, const char *ssid, sm_cord_security security,
                                      const char *key, sm_cord_done_fn done, void *ctx);
/* AT+wlanDisconnect -> OK (the disconnect event follows). */
SECMODEM_API int sm_cord_wlan_disconnect(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+fileOpen=<name>,<flags>,<max_size> -> result value: the file id.
   name 1..180 bytes (no ',' '"'), flags SM_CORD_FILE_* (at least one). */
SECMODEM_API int sm_cord_file_open(sm_cord *c, const char *name, unsigned flags,
                                   uint32_t max_size, sm_cord_done_fn done, void *ctx);
/* Writes data[0..len) at offset: AT+fileWrite=<id>,<offset>,0,<n>,<n bytes>
   (binary, inline) per SM_CORD_FILE_CHUNK bytes. result len: bytes written. */
SECMODEM_API int sm_cord_file_write(sm_cord *c, uint32_t file_id, uint32_t offset,
                                    const uint8_t *data, size_t len, sm_cord_done_fn done,
                                    void *ctx);
/* Reads up to len bytes from offset into buf: AT+fileRead=<id>,<off>,1,<n>
   (Base64) per SM_CORD_READ_CHUNK bytes, until len or the end of the file.
   result len: bytes read. */
SECMODEM_API int sm_cord_file_read(sm_cord *c, uint32_t file_id, uint32_t offset, uint8_t *buf,
                                   size_t len, sm_cord_done_fn done, void *ctx);
/* AT+fileClose=<id>,, (the data become visible). */
SECMODEM_API int sm_cord_file_close(sm_cord *c, uint32_t file_id, sm_cord_done_fn done, void *ctx);
/* AT+fileDel=<name>,0 */
SECMODEM_API int sm_cord_file_delete(sm_cord *c, const char *name, sm_cord_done_fn done,
                                     void *ctx);
/* AT+fileGetInfo=<name>,0 -> result info. */
SECMODEM_API int sm_cord_file_get_info(sm_cord *c, const char *name, sm_cord_done_fn done,
                                       void *ctx);
/* AT+fileGetFileList: on_entry (may be NULL) gets each file; the result is
   SM_ERR_PARSE if an entry did not parse (the others are reported). */
SECMODEM_API int sm_cord_file_list(sm_cord *c, sm_cord_entry_fn on_entry, sm_cord_done_fn done,
                                   void *ctx);
/* Stores a whole file (a certificate, a key): AT+fileOpen with
   CREATE|WRITE|OVERWRITE and the size rounded up to a multiple of 1024
   (at least 1024, notes section 4), the chunks of sm_cord_file_write, then
   AT+fileClose. If a write fails the file is still closed (in the
   background) and the write's error reported. Wi-Fi must be disconnected
   (contract: the module refuses writes while connected). */
SECMODEM_API int sm_cord_file_upload(sm_cord *c, const char *name, const uint8_t *data,
                                     size_t len, sm_cord_done_fn done, void *ctx);
/* AT+socket=INET,STREAM,SEC (secure != 0) or TCP -> result value: the id. */
SECMODEM_API int sm_cord_socket(sm_cord *c, int secure, sm_cord_done_fn done, void *ctx);
/* One AT+setSockOpt=<id>,SOCKET,<opt>,<value> per option that is set. File
   names 1..180 bytes, method and domain without ',' '"' or spaces. */
SECMODEM_API int sm_cord_socket_tls(sm_cord *c, int sock, const sm_cord_tls *opts,
                                    sm_cord_done_fn done, void *ctx);
/* AT+connect=<id>,INET,<port>,<address> -> OK once TCP (and TLS) are up;
   the +connect: event follows. address: host name or IPv4, no ',' '"' or
   spaces. Failures carry the TLS codes (-340, -468, -722...). */
SECMODEM_API int sm_cord_connect(sm_cord *c, int sock, uint16_t port, const char *address,
                                 sm_cord_done_fn done, void *ctx);
/* AT+send=<id>,0,<len>,<len bytes> (binary, inline), len 1..1460. */
SECMODEM_API int sm_cord_send(sm_cord *c, int sock, const uint8_t *data, size_t len,
                              sm_cord_done_fn done, void *ctx);
/* AT+recv=<id>,0,<cap> -> +recv:<id>,0,<n>,<n bytes>: the bytes go to buf
   (cap 1..1460); result len = n (0 when nothing waits). */
SECMODEM_API int sm_cord_recv(sm_cord *c, int sock, uint8_t *buf, size_t cap,
                              sm_cord_done_fn done, void *ctx);
/* AT+close=<id> */
SECMODEM_API int sm_cord_close(sm_cord *c, int sock, sm_cord_done_fn done, void *ctx);
/* AT+iotconnect -> OK, done at +eventmqtt:info,"CONNACK",<rc>: SM_OK for rc
   0, else SM_ERR_MODEM with code rc; SM_ERR_MODEM with the event's status
   and code on +eventmqtt:error; SM_ERR_TIMEOUT after
   SM_CORD_CONNACK_TIMEOUT_MS. */
SECMODEM_API int sm_cord_mqtt_connect(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+iotdisconnect -> OK (the DISCONNECT event follows). */
SECMODEM_API int sm_cord_mqtt_disconnect(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+iotpublish=<topic>,"<payload>" to PUBTOPIC<topic> (0..3). The payload
   is the rest of the line: UTF-8 text up to SM_CORD_PUBLISH_MAX bytes, '"'
   and ',' allowed, no CR, LF or other control byte. */
SECMODEM_API int sm_cord_mqtt_publish(sm_cord *c, int topic, const char *payload,
                                      sm_cord_done_fn done, void *ctx);
#endif /* SM_NO_CORDELIA */

#ifdef __cplusplus
}
#endif
#endif /* SECMODEM_H */

/* ##########################################################################
   PART II - IMPLEMENTATION
   ########################################################################## */
#if defined(SECMODEM_IMPLEMENTATION) && !defined(SECMODEM_IMPLEMENTED)
#define SECMODEM_IMPLEMENTED

#include <string.h>

#ifndef SM_ASSERT
#include <assert.h>
#define SM_ASSERT(x) assert(x)
#endif
#ifndef SM_LOG
#define SM_LOG(level, msg) ((void)0)
#endif

/* Private helpers share the public prefix and are file-local. */
#if defined(__GNUC__) || defined(__clang__)
#define SM_PRIV static __attribute__((unused))
#else
#define SM_PRIV static
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ==========================================================================
   6. UTILITIES
   ========================================================================== */
SECMODEM_API const char *sm_strerror(int status)
{
    switch (status) {
    case SM_OK: return "ok";
    case SM_ERR_PARAM: return "invalid parameter";
    case SM_ERR_UNSAFE_STRING: return "string would break the command syntax";
    case SM_ERR_NO_SPACE: return "buffer too small";
    case SM_ERR_QUEUE_FULL: return "command queue full";
    case SM_ERR_BUSY: return "not allowed from a callback";
    case SM_ERR_IO: return "platform I/O error";
    case SM_ERR_TIMEOUT: return "timeout";
    case SM_ERR_MODEM: return "modem reported an error";
    case SM_ERR_REBOOT: return "modem restarted";
    case SM_ERR_CANCELLED: return "cancelled";
    case SM_ERR_PARSE: return "malformed response";
    case SM_ERR_TRUNCATED: return "response truncated";
    default: return "unknown status";
    }
}

/* Length of the UTF-8 sequence starting at s[0..n), or 0 if malformed
   (overlong forms, surrogates and code points above U+10FFFF included). */
SM_PRIV size_t sm_utf8_seq_len(const uint8_t *s, size_t n)
{
    uint32_t cp;
    size_t len, i;
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) { len = 2; cp = s[0] & 0x1Fu; }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) { len = 3; cp = s[0] & 0x0Fu; }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) { len = 4; cp = s[0] & 0x07u; }
    else return 0;
    if (n < len) return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800u) || (len == 4 && cp < 0x10000u)) return 0;
    if (cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) return 0;
    return len;
}

/* A byte that could end a command or a quoted argument: controls (CR, LF,
   NUL, ESC, Ctrl-Z which ends SMS-style payloads...), DEL and '"'. */
SM_PRIV int sm_byte_unsafe(uint8_t c, unsigned flags)
{
    if (c < 0x20u || c == 0x7Fu) return 1;
    if (c == '"' && !(flags & SM_STR_ALLOW_QUOTE)) return 1;
    if (c == ',' && (flags & SM_STR_NO_COMMA)) return 1;
    if (c == ' ' && (flags & SM_STR_NO_SPACE)) return 1;
    return 0;
}

SECMODEM_API int sm_check_str(const char *s, size_t maxlen, unsigned flags)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t n, i = 0;
    if (!s) return SM_ERR_PARAM;
    for (n = 0; n <= maxlen && s[n]; n++) {}
    if (n > maxlen) return SM_ERR_PARAM;
    if (n == 0 && (flags & SM_STR_NONEMPTY)) return SM_ERR_UNSAFE_STRING;
    while (i < n) {
        if (u[i] >= 0x80u) {
            size_t k;
            if (!(flags & SM_STR_UTF8)) return SM_ERR_UNSAFE_STRING;
            k = sm_utf8_seq_len(u + i, n - i);
            if (k == 0) return SM_ERR_UNSAFE_STRING;
            i += k;
            continue;
        }
        if (sm_byte_unsafe(u[i], flags)) return SM_ERR_UNSAFE_STRING;
        i++;
    }
    return SM_OK;
}

SECMODEM_API void sm_buf_init(sm_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->cap = cap;
    b->len = 0;
    b->err = (mem && cap) ? SM_OK : SM_ERR_PARAM;
    if (b->err == SM_OK) mem[0] = '\0';
}

SECMODEM_API void sm_buf_mem(sm_buf *b, const char *s, size_t n)
{
    if (b->err) return;
    if (n >= b->cap - b->len) { b->err = SM_ERR_NO_SPACE; return; } /* keep room for NUL */
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

SECMODEM_API void sm_buf_str(sm_buf *b, const char *s) { sm_buf_mem(b, s, strlen(s)); }
SECMODEM_API void sm_buf_char(sm_buf *b, char c) { sm_buf_mem(b, &c, 1); }

SECMODEM_API void sm_buf_u32(sm_buf *b, uint32_t v)
{
    char tmp[10];
    size_t i = sizeof tmp;
    do { tmp[--i] = (char)('0' + (v % 10u)); v /= 10u; } while (v);
    sm_buf_mem(b, tmp + i, sizeof tmp - i);
}

SECMODEM_API void sm_buf_i32(sm_buf *b, int32_t v)
{
    if (v < 0) {
        sm_buf_char(b, '-');
        sm_buf_u32(b, (uint32_t)0 - (uint32_t)v); /* well-defined for INT32_MIN */
    } else {
        sm_buf_u32(b, (uint32_t)v);
    }
}

SECMODEM_API void sm_buf_checked(sm_buf *b, const char *s, size_t maxlen, unsigned flags)
{
    int rc;
    if (b->err) return;
    rc = sm_check_str(s, maxlen, flags);
    if (rc) { b->err = rc; return; }
    sm_buf_str(b, s);
}

SECMODEM_API void sm_buf_quoted(sm_buf *b, const char *s, size_t maxlen, unsigned flags)
{
    int rc;
    if (b->err) return;
    rc = sm_check_str(s, maxlen, flags & ~(unsigned)SM_STR_ALLOW_QUOTE);
    if (rc) { b->err = rc; return; }
    sm_buf_char(b, '"');
    sm_buf_str(b, s);
    sm_buf_char(b, '"');
}

SECMODEM_API void sm_buf_hex(sm_buf *b, const uint8_t *data, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n && !b->err; i++) {
        sm_buf_char(b, digits[data[i] >> 4]);
        sm_buf_char(b, digits[data[i] & 0x0Fu]);
    }
}

SECMODEM_API int sm_buf_finish(sm_buf *b)
{
    if (!b->err && b->p) b->p[b->len] = '\0';
    return b->err;
}

SECMODEM_API int sm_parse_i32(const char *s, size_t n, int32_t min, int32_t max, int32_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint32_t v = 0, limit;
    if (n && (s[0] == '-' || s[0] == '+')) { neg = (s[0] == '-'); i = 1; }
    if (i == n) return SM_ERR_PARSE;
    limit = neg ? (uint32_t)0 - (uint32_t)INT32_MIN : (uint32_t)INT32_MAX;
    for (; i < n; i++) {
        uint32_t d;
        if (s[i] < '0' || s[i] > '9') return SM_ERR_PARSE;
        d = (uint32_t)(s[i] - '0');
        if (v > (limit - d) / 10u) return SM_ERR_PARSE;
        v = v * 10u + d;
    }
    {
        int32_t r = neg ? (int32_t)(0 - (int64_t)v) : (int32_t)v;
        if (r < min || r > max) return SM_ERR_PARSE;
        if (out) *out = r;
    }
    return SM_OK;
}

SECMODEM_API int sm_fields_init(sm_fields *f, const char *line, size_t len, const char *prefix)
{
    f->p = line;
    f->end = line + len;
    f->done = 0;
    if (prefix) {
        size_t pl = strlen(prefix);
        if (len < pl || memcmp(line, prefix, pl) != 0) return SM_ERR_PARSE;
        f->p += pl;
    }
    while (f->p < f->end && *f->p == ' ') f->p++;
    return SM_OK;
}

SECMODEM_API int sm_fields_more(const sm_fields *f) { return !f->done; }

/* Finds the next field: [*s, *e) without quotes and surrounding spaces;
   advances past the separating comma. A line "a," has two fields. */
SM_PRIV int sm_fields_next(sm_fields *f, const char **s, const char **e)
{
    const char *p = f->p;
    if (f->done) return SM_ERR_PARSE;
    while (p < f->end && *p == ' ') p++;
    if (p < f->end && *p == '"') {
        const char *q = p + 1;
        while (q < f->end && *q != '"') q++;
        if (q >= f->end) return SM_ERR_PARSE; /* unterminated quote */
        *s = p + 1;
        *e = q;
        p = q + 1;
        while (p < f->end && *p == ' ') p++;
        if (p < f->end && *p != ',') return SM_ERR_PARSE;
    } else {
        const char *q = p;
        while (q < f->end && *q != ',') q++;
        *s = p;
        *e = q;
        while (*e > *s && (*e)[-1] == ' ') (*e)--;
        p = q;
    }
    if (p < f->end) f->p = p + 1; /* past the comma */
    else { f->p = f->end; f->done = 1; }
    return SM_OK;
}

SECMODEM_API int sm_fields_int(sm_fields *f, int32_t min, int32_t max, int32_t *out)
{
    const char *s, *e;
    int rc = sm_fields_next(f, &s, &e);
    if (rc) return rc;
    return sm_parse_i32(s, (size_t)(e - s), min, max, out);
}

SECMODEM_API int sm_fields_str(sm_fields *f, char *out, size_t cap)
{
    const char *s, *e;
    size_t n;
    int rc = sm_fields_next(f, &s, &e);
    if (rc) return rc;
    n = (size_t)(e - s);
    if (!out || n >= cap) return SM_ERR_NO_SPACE;
    memcpy(out, s, n);
    out[n] = '\0';
    return SM_OK;
}

SECMODEM_API int sm_fields_token(sm_fields *f, const char **s, size_t *n, int *quoted)
{
    const char *b, *e;
    const char *p = f->p;
    int rc;
    while (p < f->end && *p == ' ') p++;
    rc = sm_fields_next(f, &b, &e);
    if (rc) return rc;
    *s = b;
    *n = (size_t)(e - b);
    *quoted = (p < f->end && *p == '"'); /* where sm_fields_next started */
    return SM_OK;
}

SECMODEM_API int sm_fields_skip(sm_fields *f)
{
    const char *s, *e;
    return sm_fields_next(f, &s, &e);
}

SECMODEM_API const char *sm_fields_rest(const sm_fields *f, size_t *len)
{
    if (f->done) { *len = 0; return f->end; }
    *len = (size_t)(f->end - f->p);
    return f->p;
}

SECMODEM_API int sm_parse_u32(const char *s, size_t n, uint32_t *out)
{
    size_t i;
    uint32_t v = 0;
    if (n == 0) return SM_ERR_PARSE;
    for (i = 0; i < n; i++) {
        uint32_t d;
        if (s[i] < '0' || s[i] > '9') return SM_ERR_PARSE;
        d = (uint32_t)(s[i] - '0');
        if (v > (UINT32_MAX - d) / 10u) return SM_ERR_PARSE;
        v = v * 10u + d;
    }
    if (out) *out = v;
    return SM_OK;
}

/* RFC 4648, table 1. */
static const char sm_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

SECMODEM_API int sm_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                                  size_t *out_len)
{
    size_t i, o = 0;
    if ((!in && n) || !out) return SM_ERR_PARAM;
    if (n > (SIZE_MAX - 3u) / 4u * 3u || cap < SM_BASE64_LEN(n) + 1u) return SM_ERR_NO_SPACE;
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t left = n - i;
        if (left > 1) v |= (uint32_t)in[i + 1] << 8;
        if (left > 2) v |= in[i + 2];
        out[o++] = sm_b64_alphabet[(v >> 18) & 63u];
        out[o++] = sm_b64_alphabet[(v >> 12) & 63u];
        out[o++] = left > 1 ? sm_b64_alphabet[(v >> 6) & 63u] : '=';
        out[o++] = left > 2 ? sm_b64_alphabet[v & 63u] : '=';
    }
    out[o] = '\0';
    if (out_len) *out_len = o;
    return SM_OK;
}

/* Value of a Base64 character, or -1 (ranges instead of a 256-byte table). */
SM_PRIV int sm_b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

SECMODEM_API int sm_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                                  size_t *out_len)
{
    size_t i, o = 0, pad = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    if ((!in && n) || (!out && cap) || !out_len) return SM_ERR_PARAM;
    *out_len = 0;
    if (n % 4u) return SM_ERR_PARSE;
    while (pad < 2 && pad < n && in[n - 1 - pad] == '=') pad++; /* at most "==" at the end */
    for (i = 0; i < n - pad; i++) {
        int d = sm_b64_value(in[i]);
        if (d < 0) return SM_ERR_PARSE;
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits < 8) continue;
        bits -= 8;
        if (o == cap) return SM_ERR_NO_SPACE;
        out[o++] = (uint8_t)(acc >> bits);
    }
    /* what is left over must be the zero bits of a canonical encoding */
    if (acc & ((1u << bits) - 1u)) return SM_ERR_PARSE;
    *out_len = o;
    return SM_OK;
}

/* ==========================================================================
   7. AT ENGINE: QUEUE AND TRANSMIT SIDE
   The head of the queue is the command on the wire. Its life:
   IDLE -> TX_TEXT (text, inline payload, terminator) -> WAIT_PROMPT ->
   TX_PAYLOAD -> WAIT_FINAL -> completion. Writes are non-blocking: the
   platform takes what it can and the rest goes out on the next poll.
   ========================================================================== */
enum {
    SM_PH_IDLE = 0,    /* nothing on the wire */
    SM_PH_TX_TEXT,     /* writing text + inline payload + terminator */
    SM_PH_WAIT_PROMPT, /* waiting for "> " */
    SM_PH_TX_PAYLOAD,  /* writing the payload after the prompt */
    SM_PH_WAIT_FINAL   /* waiting for the final result */
};

/* Wrap-safe "now is at or after t". */
SM_PRIV int sm_time_reached(uint32_t now, uint32_t t) { return (int32_t)(now - t) >= 0; }

SM_PRIV uint32_t sm_at_now(sm_at *at) { return at->plat.now_ms(at->plat.user); }

SM_PRIV void sm_at_trace(sm_at *at, int dir, const char *text, size_t len)
{
    if (at->plat.trace) at->plat.trace(at->plat.user, dir, text, len);
}

SECMODEM_API int sm_at_init(sm_at *at, const sm_platform *plat, const sm_at_dialect *dialect)
{
    if (!at || !plat || !plat->write || !plat->now_ms) return SM_ERR_PARAM;
    memset(at, 0, sizeof *at);
    at->plat = *plat;
    at->dialect = dialect ? dialect : sm_at_dialect_3gpp();
    at->next_id = 1;
    at->last_rx_ms = sm_at_now(at);
    return SM_OK;
}

/* Command text is copied into the queue, so it is checked here: a CR, LF
   or other control byte inside it would put a second command on the wire. */
SM_PRIV int sm_at_check_cmd(const sm_at_cmd *c)
{
    size_t i;
    if (!c || !c->text || !c->text[0]) return SM_ERR_PARAM;
    for (i = 0; c->text[i]; i++)
        if ((uint8_t)c->text[i] < 0x20u || (uint8_t)c->text[i] == 0x7Fu) return SM_ERR_UNSAFE_STRING;
    if (c->payload_len > SM_PAYLOAD_MAX) return SM_ERR_PARAM;
    if (c->payload_len && !c->payload) return SM_ERR_PARAM;
    if (c->payload_len && !(c->flags & (SM_AT_F_PROMPT | SM_AT_F_INLINE))) return SM_ERR_PARAM;
    if ((c->flags & SM_AT_F_PROMPT) && (c->flags & SM_AT_F_INLINE)) return SM_ERR_PARAM;
    if (c->raw_len && (!c->raw_lead || !c->raw_lead[0] || strlen(c->raw_lead) > 8))
        return SM_ERR_PARAM;
    if ((c->flags & SM_AT_F_RAW_AFTER(15)) && (!c->prefix || !c->prefix[0])) return SM_ERR_PARAM;
    return SM_OK;
}

SECMODEM_API int sm_at_submit(sm_at *at, const sm_at_cmd *cmd)
{
    sm_at_entry *e;
    size_t len;
    int rc = sm_at_check_cmd(cmd);
    if (rc) return rc;
    len = strlen(cmd->text);
    if (len > (size_t)SM_QUEUE_TEXT) return SM_ERR_PARAM;
    if (at->q_count >= SM_QUEUE_DEPTH || len > (size_t)(SM_QUEUE_TEXT - at->q_text_len))
        return SM_ERR_QUEUE_FULL;
    e = &at->q[at->q_count];
    e->cmd = *cmd;
    e->cmd.text = NULL;
    e->text_len = (uint16_t)len;
    e->id = at->next_id;
    at->next_id = (uint16_t)(at->next_id >= 0x7FFFu ? 1u : at->next_id + 1u); /* fits a 16-bit int */
    memcpy(at->q_text + at->q_text_len, cmd->text, len);
    at->q_text_len = (uint16_t)(at->q_text_len + len);
    at->q_count++;
    return (int)e->id;
}

/* Removes the head entry and its text. */
SM_PRIV void sm_at_pop(sm_at *at)
{
    uint16_t tl = at->q[0].text_len;
    SM_ASSERT(at->q_count > 0);
    memmove(at->q_text, at->q_text + tl, (size_t)(at->q_text_len - tl));
    at->q_text_len = (uint16_t)(at->q_text_len - tl);
    memmove(&at->q[0], &at->q[1], sizeof at->q[0] * (size_t)(at->q_count - 1u));
    at->q_count--;
}

/* With echo on, a final result that arrives before the command's echo is
   the late answer of an earlier command: learning whether the modem echoes
   lets the engine drop such answers. Unknown after a timeout or restart. */
SM_PRIV void sm_at_learn_echo(sm_at *at, sm_at_result result)
{
    const char *t = at->q_text;
    uint16_t n = at->q[0].text_len;
    if (result == SM_AT_CANCELLED) return;
    if (result == SM_AT_TIMEOUT) {
        /* keep the expectation only if this command did echo: then the
           modem is just slow; else the echo may never match (self-healing) */
        at->echo_mode = (uint8_t)(at->echo_mode && at->echo_seen);
        return;
    }
    if (result == SM_AT_REBOOT || result == SM_AT_IO_ERROR) {
        at->echo_mode = 0;
        return;
    }
    at->echo_mode = at->echo_seen;
    /* V.250 ATE0 / ATE1 change it for the commands that follow */
    if (result == SM_AT_OK && n >= 3 && (t[0] == 'A' || t[0] == 'a') &&
        (t[1] == 'T' || t[1] == 't') && (t[2] == 'E' || t[2] == 'e')) {
        if (n == 3 || (n == 4 && t[3] == '1')) at->echo_mode = 1;
        else if (n == 4 && t[3] == '0') at->echo_mode = 0;
    }
}

/* Finishes the head command: report, then pop. The entry is copied first
   so that on_done may submit new commands or flush. */
SM_PRIV void sm_at_complete(sm_at *at, sm_at_result result, int32_t code, const char *err_text)
{
    sm_at_entry e;
    sm_at_response r;
    if (at->phase == SM_PH_IDLE || at->q_count == 0) return;
    e = at->q[0];
    at->lead_armed = 0;
    at->inl_field = 0;
    sm_at_learn_echo(at, result);
    sm_at_pop(at);
    at->phase = SM_PH_IDLE;
    at->last_id = e.id;
    at->last_result = result;
    at->last_code = code;
    if (result == SM_AT_TIMEOUT) {
        SM_LOG(1, "AT: command timed out");
        at->stats.timeouts++;
        at->settling = 1; /* drop a late answer rather than give it to the next command */
        at->last_rx_ms = sm_at_now(at);
    }
    r.id = e.id;
    r.result = result;
    r.code = code;
    r.err_text = err_text;
    r.lines = at->resp;
    r.nlines = at->resp_lines;
    r.lines_truncated = at->resp_trunc;
    r.raw_truncated = at->raw_trunc;
    r.raw_len = at->raw_got;
    if (e.cmd.on_done) {
        at->in_callback++;
        e.cmd.on_done(e.cmd.ctx, &r);
        at->in_callback--;
    }
}

/* Writes as much of data[*off..len) as the platform accepts now. Returns 1
   when all is written, 0 when more remains, <0 on error. */
SM_PRIV int sm_at_write_some(sm_at *at, const uint8_t *data, size_t len, size_t *off)
{
    while (*off < len) {
        size_t chunk = len - *off;
        int n;
        if (chunk > 0x4000u) chunk = 0x4000u; /* fits an int on 16-bit targets */
        n = at->plat.write(at->plat.user, data + *off, chunk);
        if (n < 0) return SM_ERR_IO;
        if (n == 0) return 0;
        if ((size_t)n > chunk) return SM_ERR_IO; /* a port that lies about its count */
        *off += (size_t)n;
    }
    return 1;
}

/* TX_TEXT: text, then inline payload, then terminator, addressed as one
   virtual stream through tx_off. */
SM_PRIV int sm_at_tx_text(sm_at *at)
{
    const sm_at_entry *e = &at->q[0];
    size_t tl = e->text_len;
    size_t pl = (e->cmd.flags & SM_AT_F_INLINE) ? e->cmd.payload_len : 0;
    const char *term = at->dialect->cmd_term;
    size_t ml = strlen(term);
    size_t off;
    int rc = 1;
    if (at->tx_off < tl) {
        off = at->tx_off;
        rc = sm_at_write_some(at, (const uint8_t *)at->q_text, tl, &off);
        at->tx_off = off;
        if (rc <= 0) return rc;
    }
    if (at->tx_off < tl + pl) {
        off = at->tx_off - tl;
        rc = sm_at_write_some(at, e->cmd.payload, pl, &off);
        at->tx_off = tl + off;
        if (rc <= 0) return rc;
    }
    off = at->tx_off - tl - pl;
    rc = sm_at_write_some(at, (const uint8_t *)term, ml, &off);
    at->tx_off = tl + pl + off;
    return rc;
}

SM_PRIV void sm_at_reset_resp(sm_at *at)
{
    at->resp_len = 0;
    at->resp_lines = 0;
    at->resp_trunc = 0;
    at->raw_trunc = 0;
    at->raw_got = 0;
    at->resp[0] = '\0';
}

/* Puts the head command on the wire. */
SM_PRIV void sm_at_start_head(sm_at *at)
{
    const sm_at_entry *e = &at->q[0];
    uint32_t t = e->cmd.timeout_ms ? e->cmd.timeout_ms : (uint32_t)SM_AT_TIMEOUT_MS;
    at->phase = SM_PH_TX_TEXT;
    at->tx_off = 0;
    at->deadline = sm_at_now(at) + t;
    at->echo_seen = 0;
    sm_at_reset_resp(at);
    sm_at_trace(at, SM_TRACE_TX, at->q_text, e->text_len);
}

/* The command is on the wire: only its answer is awaited now. */
SM_PRIV void sm_at_enter_wait_final(sm_at *at)
{
    at->phase = SM_PH_WAIT_FINAL;
    at->lead_armed = (uint8_t)(at->q[0].cmd.raw_len != 0);
    at->lead_pos = 0;
    at->inl_field = (uint8_t)((at->q[0].cmd.flags >> 12) & 15u);
}

/* Advances the transmit side as far as the platform allows. */
SM_PRIV void sm_at_pump_tx(sm_at *at)
{
    int rc;
    if (at->phase == SM_PH_TX_TEXT) {
        rc = sm_at_tx_text(at);
        if (rc < 0) { sm_at_complete(at, SM_AT_IO_ERROR, SM_AT_NO_CODE, NULL); return; }
        if (rc == 0) return;
        if (at->q[0].cmd.flags & SM_AT_F_INLINE && at->q[0].cmd.payload_len)
            sm_at_trace(at, SM_TRACE_RAW_TX, (const char *)at->q[0].cmd.payload,
                        at->q[0].cmd.payload_len);
        at->tx_off = 0;
        if (at->q[0].cmd.flags & SM_AT_F_PROMPT) at->phase = SM_PH_WAIT_PROMPT;
        else sm_at_enter_wait_final(at);
    }
    if (at->phase == SM_PH_TX_PAYLOAD) {
        const sm_at_entry *e = &at->q[0];
        rc = sm_at_write_some(at, e->cmd.payload, e->cmd.payload_len, &at->tx_off);
        if (rc < 0) { sm_at_complete(at, SM_AT_IO_ERROR, SM_AT_NO_CODE, NULL); return; }
        if (rc == 0) return;
        sm_at_trace(at, SM_TRACE_RAW_TX, (const char *)e->cmd.payload, e->cmd.payload_len);
        sm_at_enter_wait_final(at);
    }
}

/* Starts the next command when the wire is free and the line is quiet. */
SM_PRIV void sm_at_start_next(sm_at *at)
{
    if (at->phase != SM_PH_IDLE || at->q_count == 0 || at->in_callback) return;
    if (at->settling) {
        if (!sm_time_reached(sm_at_now(at), at->last_rx_ms + (uint32_t)SM_AT_SETTLE_MS)) return;
        at->settling = 0;
    }
    sm_at_start_head(at);
    sm_at_pump_tx(at);
}

SM_PRIV void sm_at_check_deadlines(sm_at *at)
{
    uint32_t now = sm_at_now(at);
    if (at->raw_left && sm_time_reached(now, at->raw_deadline)) {
        /* the announced payload never fully came: give up on counting so
           that line parsing resumes */
        at->stats.raw_dropped += (uint32_t)at->raw_left;
        at->raw_left = 0;
        at->raw_trunc = 1;
    }
    if (at->phase != SM_PH_IDLE && sm_time_reached(now, at->deadline))
        sm_at_complete(at, SM_AT_TIMEOUT, SM_AT_NO_CODE, NULL);
}

SECMODEM_API void sm_at_flush(sm_at *at, sm_at_result result)
{
    /* bounded by the count at entry: a callback that resubmits does not
       keep this loop alive */
    uint16_t n = at->q_count;
    at->raw_left = 0;
    while (n-- && at->q_count) {
        if (at->phase == SM_PH_IDLE) sm_at_reset_resp(at); /* never sent */
        at->phase = SM_PH_WAIT_FINAL;
        sm_at_complete(at, result, SM_AT_NO_CODE, NULL);
    }
}

SECMODEM_API int sm_at_busy(const sm_at *at) { return at->q_count != 0; }
SECMODEM_API int sm_at_queue_free(const sm_at *at) { return (int)(SM_QUEUE_DEPTH - at->q_count); }
SECMODEM_API const sm_at_stats *sm_at_get_stats(const sm_at *at) { return &at->stats; }

SECMODEM_API sm_at_result sm_at_result_of(const sm_at *at, uint16_t id)
{
    return (id && id == at->last_id) ? at->last_result : SM_AT_PENDING;
}

/* ==========================================================================
   8. AT ENGINE: RECEIVE SIDE
   Bytes become lines at CR or LF (a CR LF pair ends one line; empty lines
   are ignored). Inside a line, NUL bytes are dropped and counted; a line
   longer than the buffer is dropped whole and counted. A '>' at the start
   of a line while a command waits for its prompt is the prompt. When raw
   bytes were announced, they are taken by count before anything else.
   ========================================================================== */
SM_PRIV int sm_starts_with(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return n <= len && memcmp(line, prefix, n) == 0;
}

/* The standard final results of ITU-T V.250 / 3GPP TS 27.007. */
SM_PRIV int sm_at_classify_std(const char *line, size_t len, sm_at_final *out)
{
    const char *arg;
    size_t n;
    out->code = SM_AT_NO_CODE;
    out->text = NULL;
    out->text_len = 0;
    if (len == 2 && memcmp(line, "OK", 2) == 0) { out->result = SM_AT_OK; return 1; }
    if (len == 5 && memcmp(line, "ERROR", 5) == 0) { out->result = SM_AT_ERROR; return 1; }
    if (sm_starts_with(line, len, "+CME ERROR:")) out->result = SM_AT_CME_ERROR;
    else if (sm_starts_with(line, len, "+CMS ERROR:")) out->result = SM_AT_CMS_ERROR;
    else return 0;
    arg = line + 11;
    n = len - 11;
    while (n && *arg == ' ') { arg++; n--; }
    if (sm_parse_i32(arg, n, 0, INT32_MAX, &out->code) != SM_OK) {
        out->code = SM_AT_NO_CODE; /* verbose form (AT+CMEE=2) */
        out->text = arg;
        out->text_len = n;
    }
    return 1;
}

SM_PRIV void sm_at_store_resp(sm_at *at, const char *line, size_t len)
{
    if (at->resp_trunc || len + 1u > (size_t)(SM_RESP_SIZE - at->resp_len - 1u)) {
        at->resp_trunc = 1; /* reported in the response, never silent */
        return;
    }
    memcpy(at->resp + at->resp_len, line, len);
    at->resp_len = (uint16_t)(at->resp_len + len);
    at->resp[at->resp_len++] = '\0';
    at->resp[at->resp_len] = '\0';
    at->resp_lines++;
}

/* Offers a line to the URC tables; 1 if one claimed it. */
SM_PRIV int sm_at_dispatch_urc(sm_at *at, const char *line, size_t len)
{
    size_t t, i;
    for (t = 0; t < SM_URC_TABLES; t++) {
        const sm_at_urc_table *u = &at->urc[t];
        for (i = 0; u->table && i < u->n; i++) {
            if (!sm_starts_with(line, len, u->table[i].prefix)) continue;
            at->stats.urcs++;
            sm_at_trace(at, SM_TRACE_URC, line, len);
            at->in_callback++;
            u->table[i].fn(u->ctx, at, line, len);
            at->in_callback--;
            return 1;
        }
    }
    return 0;
}

SM_PRIV void sm_at_unexpected(sm_at *at, const char *line, size_t len)
{
    SM_LOG(2, "AT: unexpected line");
    at->stats.unexpected++;
    if (at->unhandled) {
        at->in_callback++;
        at->unhandled(at->unhandled_ctx, at, line, len);
        at->in_callback--;
    }
}

/* A restart: whatever was in flight will never be answered. */
SM_PRIV void sm_at_handle_reboot(sm_at *at)
{
    SM_LOG(1, "AT: modem restarted");
    at->stats.reboots++;
    at->raw_left = 0;
    at->settling = 0;
    if (at->phase != SM_PH_IDLE) sm_at_complete(at, SM_AT_REBOOT, SM_AT_NO_CODE, NULL);
    at->echo_mode = 0; /* whatever the modem's default is, it is unknown here */
}

/* The echo is matched as the end of a line, so that noise glued in front
   of it (a partial line after a restart, line garbage) does not hide it. */
SM_PRIV int sm_at_is_echo(sm_at *at, const char *line, size_t len)
{
    size_t n = at->q[0].text_len;
    if (at->phase == SM_PH_IDLE || len < n || memcmp(line + len - n, at->q_text, n) != 0)
        return 0;
    at->echo_seen = 1;
    return 1;
}

/* Answers that cannot belong to the command in flight: after a timeout
   until the line is quiet, and before the command's echo when the modem
   echoes. */
SM_PRIV int sm_at_is_stale(const sm_at *at)
{
    return at->settling || (at->phase != SM_PH_IDLE && at->echo_mode && !at->echo_seen);
}

/* Tries the line as the final result of the command in flight. */
SM_PRIV int sm_at_try_final(sm_at *at, const char *line, size_t len)
{
    sm_at_final f;
    int is_final = 0;
    if (at->dialect->classify) is_final = at->dialect->classify(line, len, &f);
    if (!is_final) is_final = sm_at_classify_std(line, len, &f);
    if (!is_final) return 0;
    if (sm_at_is_stale(at) || at->phase == SM_PH_IDLE) {
        if (sm_at_is_stale(at)) at->stats.stale++; else sm_at_unexpected(at, line, len);
        return 1;
    }
    if (f.text && f.text >= at->line && f.text + f.text_len < at->line + SM_LINE_SIZE)
        at->line[(size_t)(f.text - at->line) + f.text_len] = '\0'; /* for err_text */
    sm_at_complete(at, f.result, f.code, f.text);
    return 1;
}

/* Decides what a complete line is (see section 5). */
SM_PRIV void sm_at_dispatch_line(sm_at *at, const char *line, size_t len)
{
    const sm_at_cmd *c;
    at->stats.lines++;
    sm_at_trace(at, SM_TRACE_RX, line, len);
    if (at->dialect->reboot_urc && sm_starts_with(line, len, at->dialect->reboot_urc)) {
        sm_at_handle_reboot(at);
        if (!sm_at_dispatch_urc(at, line, len)) at->stats.urcs++;
        return;
    }
    if (sm_at_is_echo(at, line, len)) return;
    if (sm_at_try_final(at, line, len)) return;
    c = at->phase != SM_PH_IDLE ? &at->q[0].cmd : NULL;
    /* a line with the command's own prefix proves the echo was lost */
    if (c && !at->settling && at->echo_mode && !at->echo_seen && c->prefix &&
        sm_starts_with(line, len, c->prefix))
        at->echo_seen = 1;
    if (c && sm_at_is_stale(at)) c = NULL;
    if (c && c->prefix && sm_starts_with(line, len, c->prefix)) {
        sm_at_store_resp(at, line, len);
        if (c->on_line) { at->in_callback++; c->on_line(c->ctx, at, line, len); at->in_callback--; }
        return;
    }
    if (sm_at_dispatch_urc(at, line, len)) return;
    if (c && !c->prefix) {
        sm_at_store_resp(at, line, len);
        if (c->on_line) { at->in_callback++; c->on_line(c->ctx, at, line, len); at->in_callback--; }
        return;
    }
    if (sm_at_is_stale(at)) { at->stats.stale++; return; }
    sm_at_unexpected(at, line, len);
}

SM_PRIV void sm_at_end_line(sm_at *at)
{
    size_t len = at->line_len;
    at->line_len = 0;
    if (at->line_overflow) {
        at->line_overflow = 0;
        at->stats.overlong++;
        SM_LOG(1, "AT: over-long line dropped");
        sm_at_trace(at, SM_TRACE_DROP, at->line, len);
        return;
    }
    if (len == 0) return;
    at->line[len] = '\0';
    sm_at_dispatch_line(at, at->line, len);
}

SECMODEM_API int sm_at_expect_raw(sm_at *at, size_t n, sm_at_raw_fn sink, void *ctx)
{
    if (!sink && at->phase == SM_PH_IDLE) return SM_ERR_PARAM;
    at->raw_left = n;
    at->raw_sink = sink;
    at->raw_ctx = ctx;
    at->raw_deadline = sm_at_now(at) + (uint32_t)SM_RAW_TIMEOUT_MS;
    return SM_OK;
}

/* Takes up to raw_left bytes from data; returns how many were consumed. */
SM_PRIV size_t sm_at_take_raw(sm_at *at, const uint8_t *data, size_t len)
{
    size_t n = len < at->raw_left ? len : at->raw_left;
    at->raw_left -= n;
    at->stats.raw_bytes += (uint32_t)n;
    sm_at_trace(at, SM_TRACE_RAW_RX, (const char *)data, n);
    if (at->raw_sink) {
        at->in_callback++;
        at->raw_sink(at->raw_ctx, data, n);
        at->in_callback--;
    } else if (at->phase != SM_PH_IDLE) {
        const sm_at_cmd *c = &at->q[0].cmd;
        size_t room = (c->raw_buf && c->raw_cap > at->raw_got) ? c->raw_cap - at->raw_got : 0;
        size_t k = n < room ? n : room;
        if (k) memcpy(c->raw_buf + at->raw_got, data, k);
        at->raw_got += k;
        if (k < n) { at->raw_trunc = 1; at->stats.raw_dropped += (uint32_t)(n - k); }
    } else {
        at->stats.raw_dropped += (uint32_t)n; /* its command is gone (timeout) */
    }
    return n;
}

/* One byte of line traffic. */
SM_PRIV void sm_at_line_byte(sm_at *at, uint8_t b)
{
    if (b == '\r' || b == '\n') {
        sm_at_end_line(at);
        at->skip_lf = (uint8_t)(b == '\r');
        return;
    }
    if (at->skip_space) {
        at->skip_space = 0;
        if (b == ' ') return;
    }
    if (b == '>' && at->line_len == 0 && !at->line_overflow && at->phase == SM_PH_WAIT_PROMPT) {
        sm_at_trace(at, SM_TRACE_PROMPT, "> ", 2);
        at->phase = SM_PH_TX_PAYLOAD;
        at->tx_off = 0;
        at->skip_space = 1;
        sm_at_pump_tx(at); /* the modem says nothing more until it has the payload */
        return;
    }
    if (b == 0) { at->stats.nul_bytes++; return; }
    if (at->line_len < SM_LINE_SIZE - 1) at->line[at->line_len++] = (char)b;
    else at->line_overflow = 1;
}

/* Matches the in-flight command's raw_lead at the start of a line; returns
   1 if the byte was taken. On a mismatch the bytes held back are given to
   the line parser, so nothing is lost. */
SM_PRIV int sm_at_lead_byte(sm_at *at, uint8_t b)
{
    const char *lead = at->q[0].cmd.raw_lead;
    if (at->line_len != 0 || at->line_overflow || sm_at_is_stale(at)) return 0;
    if ((uint8_t)lead[at->lead_pos] == b) {
        if (lead[++at->lead_pos] == '\0') {
            at->lead_armed = 0;
            at->skip_lf = 0;
            sm_at_expect_raw(at, at->q[0].cmd.raw_len, NULL, NULL);
        }
        return 1;
    }
    if (at->lead_pos) {
        uint8_t i, n = at->lead_pos;
        at->lead_pos = 0;
        for (i = 0; i < n; i++) sm_at_line_byte(at, (uint8_t)lead[i]);
        at->skip_lf = 0; /* b itself follows: no LF of a replayed CR to skip */
        return at->lead_armed ? sm_at_lead_byte(at, b) : 0; /* b may begin the lead again */
    }
    return 0;
}

/* Field [s, e) of the line with the spaces around it trimmed. */
SM_PRIV int sm_at_inline_count(const char *s, const char *e, int32_t *n)
{
    while (s < e && *s == ' ') s++;
    while (e > s && e[-1] == ' ') e--;
    return sm_parse_i32(s, (size_t)(e - s), 0, 65535, n);
}

/* A ',' arrived while the command waiting declared SM_AT_F_RAW_AFTER(N).
   If it ends field N of a response line, the line so far is dispatched and
   the counted bytes that follow are raw payload. Returns 1 if it took the
   comma. Runs only at commas, so the scan of the line costs nothing on the
   bytes in between. */
SM_PRIV int sm_at_inline_comma(sm_at *at)
{
    const sm_at_cmd *c = &at->q[0].cmd;
    size_t i, plen, start, commas = 0, len = at->line_len;
    int quoted = 0;
    int32_t n;
    if (at->line_overflow || at->phase != SM_PH_WAIT_FINAL || sm_at_is_stale(at) ||
        !sm_starts_with(at->line, len, c->prefix))
        return 0;
    plen = strlen(c->prefix);
    for (i = start = plen; i < len; i++) {
        if (at->line[i] == '"') quoted = !quoted;
        else if (at->line[i] == ',' && !quoted) { commas++; start = i + 1; }
    }
    if (quoted || commas + 1u != at->inl_field) return 0;
    if (sm_at_inline_count(at->line + start, at->line + len, &n) != SM_OK) {
        SM_LOG(1, "AT: inline raw data with a malformed byte count");
        at->stats.raw_bad_count++;
        at->raw_trunc = 1; /* the payload is lost: say so in the response */
        return 0;          /* the line goes on as text */
    }
    at->line_len = 0;
    at->line[len] = '\0';
    sm_at_dispatch_line(at, at->line, len);
    at->raw_left = (size_t)n; /* into raw_buf (or dropped, if on_line flushed) */
    at->raw_sink = NULL;
    at->raw_deadline = sm_at_now(at) + (uint32_t)SM_RAW_TIMEOUT_MS;
    return 1;
}

SECMODEM_API int sm_at_feed(sm_at *at, const uint8_t *data, size_t len)
{
    size_t i = 0;
    if (!at || (!data && len)) return SM_ERR_PARAM;
    if (at->in_callback) return SM_ERR_BUSY;
    if (len) at->last_rx_ms = sm_at_now(at);
    while (i < len) {
        if (at->skip_lf) {
            at->skip_lf = 0;
            if (data[i] == '\n') { i++; continue; }
        }
        if (at->raw_left) { i += sm_at_take_raw(at, data + i, len - i); continue; }
        if (at->lead_armed && sm_at_lead_byte(at, data[i])) { i++; continue; }
        if (at->inl_field && data[i] == ',' && sm_at_inline_comma(at)) { i++; continue; }
        sm_at_line_byte(at, data[i++]);
    }
    sm_at_pump_tx(at);
    return SM_OK;
}

SECMODEM_API int sm_at_poll(sm_at *at)
{
    int status = SM_OK;
    if (!at) return SM_ERR_PARAM;
    if (at->in_callback) return SM_ERR_BUSY;
    /* send first, so that what is read next can be the answer */
    sm_at_pump_tx(at);
    sm_at_start_next(at);
    if (at->plat.read) {
        uint8_t chunk[32];
        size_t total = 0;
        while (total < (size_t)SM_POLL_READ_MAX) {
            int n = at->plat.read(at->plat.user, chunk, sizeof chunk);
            if (n < 0) { status = SM_ERR_IO; break; }
            if (n == 0) break;
            if ((size_t)n > sizeof chunk) { status = SM_ERR_IO; break; }
            sm_at_feed(at, chunk, (size_t)n);
            total += (size_t)n;
        }
    }
    sm_at_check_deadlines(at);
    sm_at_pump_tx(at);
    sm_at_start_next(at);
    return status;
}

SECMODEM_API int sm_at_add_urcs(sm_at *at, const sm_urc *table, size_t n, void *ctx)
{
    size_t t;
    if (!at || !table) return SM_ERR_PARAM;
    for (t = 0; t < SM_URC_TABLES; t++) {
        if (at->urc[t].table) continue;
        at->urc[t].table = table;
        at->urc[t].n = n;
        at->urc[t].ctx = ctx;
        return SM_OK;
    }
    return SM_ERR_NO_SPACE;
}

SECMODEM_API int sm_at_remove_urcs(sm_at *at, const sm_urc *table)
{
    size_t t;
    for (t = 0; t < SM_URC_TABLES; t++) {
        if (at->urc[t].table != table) continue;
        at->urc[t].table = NULL;
        at->urc[t].n = 0;
        return SM_OK;
    }
    return SM_ERR_PARAM;
}

SECMODEM_API void sm_at_on_unhandled(sm_at *at, sm_at_line_fn fn, void *ctx)
{
    at->unhandled = fn;
    at->unhandled_ctx = ctx;
}

/* ==========================================================================
   9. AT ENGINE: DIALECTS AND BLOCKING HELPER
   ========================================================================== */
SECMODEM_API const sm_at_dialect *sm_at_dialect_3gpp(void)
{
    static const sm_at_dialect d = { "3gpp", "\r", NULL, NULL };
    return &d;
}

SECMODEM_API const char *sm_at_result_name(sm_at_result r)
{
    switch (r) {
    case SM_AT_PENDING: return "PENDING";
    case SM_AT_OK: return "OK";
    case SM_AT_ERROR: return "ERROR";
    case SM_AT_CME_ERROR: return "CME_ERROR";
    case SM_AT_CMS_ERROR: return "CMS_ERROR";
    case SM_AT_DIALECT_ERROR: return "DIALECT_ERROR";
    case SM_AT_TIMEOUT: return "TIMEOUT";
    case SM_AT_REBOOT: return "REBOOT";
    case SM_AT_CANCELLED: return "CANCELLED";
    case SM_AT_IO_ERROR: return "IO_ERROR";
    }
    return "?";
}

SECMODEM_API int sm_at_result_status(sm_at_result r)
{
    switch (r) {
    case SM_AT_OK: return SM_OK;
    case SM_AT_TIMEOUT: return SM_ERR_TIMEOUT;
    case SM_AT_REBOOT: return SM_ERR_REBOOT;
    case SM_AT_CANCELLED: return SM_ERR_CANCELLED;
    case SM_AT_IO_ERROR: return SM_ERR_IO;
    case SM_AT_PENDING: return SM_ERR_PARAM;
    default: return SM_ERR_MODEM;
    }
}

/* The blocking helper's completion record. */
typedef struct sm_at_wait {
    int done;
    sm_at_response *out;
    char *lines;
    size_t cap;
} sm_at_wait;

SM_PRIV void sm_at_wait_done(void *ctx, const sm_at_response *r)
{
    sm_at_wait *w = (sm_at_wait *)ctx;
    size_t n = 0, i;
    w->done = 1;
    *w->out = *r;
    w->out->err_text = NULL; /* it pointed into the engine's line buffer */
    w->out->lines = w->lines;
    if (!w->lines || !w->cap) { w->out->nlines = 0; return; }
    /* whole lines only, each with its NUL, plus a final NUL */
    for (i = 0; i < r->nlines; i++) {
        size_t l = strlen(r->lines + n) + 1u;
        if (n + l + 1u > w->cap) { w->out->lines_truncated = 1; break; }
        n += l;
    }
    memcpy(w->lines, r->lines, n);
    w->lines[n] = '\0';
    w->out->nlines = (uint16_t)i;
}

SECMODEM_API int sm_at_run_blocking(sm_at *at, const sm_at_cmd *cmd, sm_at_response *out,
                                    char *lines, size_t cap)
{
    sm_at_cmd c;
    sm_at_wait w;
    sm_at_response local;
    int id;
    if (!cmd) return SM_ERR_PARAM;
    if (at->in_callback) return SM_ERR_BUSY;
    c = *cmd;
    w.done = 0;
    w.out = out ? out : &local;
    w.lines = lines;
    w.cap = cap;
    c.on_done = sm_at_wait_done;
    c.ctx = &w;
    id = sm_at_submit(at, &c);
    if (id < 0) return id;
    /* Every command ends by its deadline (or the ones queued before it by
       theirs), so this loop terminates whenever the clock advances. */
    while (!w.done) {
        int rc = sm_at_poll(at);
        if (rc == SM_ERR_IO) { sm_at_flush(at, SM_AT_IO_ERROR); }
    }
    return sm_at_result_status(w.out->result);
}

#ifndef SM_NO_CORDELIA
/* ==========================================================================
   CORDELIA-I DIALECT (implementation)
   In order: the dialect; the event handlers and their table; the
   operations, each an entry of sm_cord_opdefs (its command written from a
   format in the contract's own syntax, or by a builder when it is a
   sequence; an on_ok handler reads the answer); the operation queue that
   runs them; the public functions.
   ========================================================================== */

/* ---- dialect ------------------------------------------------------------ */
/* contract "Framing": ERROR:<text>,<negative code>; the code is the field
   after the last comma (the text may hold commas); without a number there
   the whole rest is the text. */
SM_PRIV int sm_cord_classify(const char *line, size_t len, sm_at_final *out)
{
    size_t i;
    if (len < 6 || memcmp(line, "ERROR:", 6) != 0) return 0;
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

SECMODEM_API const sm_at_dialect *sm_cord_dialect(void)
{
    static const sm_at_dialect d = { "cordelia", "\r\n", "+eventstartup:", sm_cord_classify };
    return &d;
}

/* ---- private constants and helpers ---------------------------------------- */
enum { /* the running operation's phase */
    SM_CORD_PH_IDLE = 0, /* not started */
    SM_CORD_PH_DUE,      /* its next command is to be queued (retried by sm_cord_poll) */
    SM_CORD_PH_CMD,      /* its command is queued or on the wire */
    SM_CORD_PH_WAIT,     /* waiting for the event that ends it */
    SM_CORD_PH_HOLD      /* being cancelled */
};
enum { SM_CORD_W_NONE = 0, SM_CORD_W_STARTUP, SM_CORD_W_IP, SM_CORD_W_CONNACK };
enum { SM_CORD_END = 1, SM_CORD_SKIP = 2 };                   /* builders, besides SM_OK */
enum { SM_CORD_NEXT = 1, SM_CORD_FINISH = 2, SM_CORD_WAIT = 3 }; /* on_ok handlers */
enum { SM_CORD_V_STR = 1, SM_CORD_V_I32, SM_CORD_V_I8, SM_CORD_V_B8, SM_CORD_V_FILE,
       SM_CORD_V_WORD }; /* setting value types */
enum { SM_CORD_T_GEN = 0, SM_CORD_T_FILE, SM_CORD_T_RESET, SM_CORD_T_CONNECT }; /* timeouts */
enum { SM_CORD_C_SEND = 1, SM_CORD_C_RECV = 2, SM_CORD_C_LIST = 4 }; /* command extras */
/* AT+send / AT+recv carry 1..1460 bytes (contract), within SM_PAYLOAD_MAX */
#define SM_CORD_DATA_MAX ((uint32_t)(SM_PAYLOAD_MAX < 1460 ? SM_PAYLOAD_MAX : 1460))
/* The response prefix of commands that answer no information line: no line
   starts with it, so any unexpected line reaches the event callback. */
#define SM_CORD_NO_INFO "\001"

SM_PRIV void sm_cord_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

/* s equals the literal lit (memcmp: no strcmp linked for this alone). */
SM_PRIV int sm_cord_is(const char *s, const char *lit)
{
    size_t n = strlen(lit);
    return strlen(s) == n && memcmp(s, lit, n) == 0;
}

SM_PRIV size_t sm_cord_chunks(size_t len, size_t chunk)
{
    return len / chunk + (len % chunk != 0);
}

/* Chunk `step` of a buffer: its length (0 past the end) and *off. */
SM_PRIV size_t sm_cord_chunk(size_t len, uint32_t step, size_t chunk, size_t *off)
{
    if (step >= sm_cord_chunks(len, chunk)) return 0;
    *off = (size_t)step * chunk;
    return len - *off < chunk ? len - *off : chunk;
}

/* ---- event lines ---------------------------------------------------------------
   The fields after the prefix are copied, NUL-terminated, into a scratch
   buffer as long as a line, following a spec: 's' a string, 'i' a number;
   upper case when required. Missing optional fields are "" and 0. */
#define SM_CORD_EV_FIELDS 4
typedef struct sm_cord_fields {
    sm_fields f;
    char buf[SM_LINE_SIZE];
    const char *s[SM_CORD_EV_FIELDS];
    int32_t v[SM_CORD_EV_FIELDS];
} sm_cord_fields;

SM_PRIV int sm_cord_scan(sm_cord_fields *x, const char *line, size_t len, const char *prefix,
                         const char *spec)
{
    size_t used = 0, k, n;
    const char *p;
    int quoted;
    if (sm_fields_init(&x->f, line, len, prefix) != SM_OK) return 0;
    for (k = 0; spec[k] && k < SM_CORD_EV_FIELDS; k++) {
        int need = spec[k] == 'S' || spec[k] == 'I';
        x->s[k] = "";
        x->v[k] = 0;
        if (!sm_fields_more(&x->f) || sm_fields_token(&x->f, &p, &n, &quoted) != SM_OK) {
            if (need) return 0;
            continue;
        }
        if (spec[k] == 's' || spec[k] == 'S') {
            x->s[k] = x->buf + used; /* fits: the fields are shorter than the line */
            memcpy(x->buf + used, p, n);
            x->buf[used + n] = '\0';
            used += n + 1u;
        } else if (sm_parse_i32(p, n, INT32_MIN, INT32_MAX, &x->v[k]) != SM_OK && need) {
            return 0;
        }
    }
    return 1;
}

/* ---- events ----------------------------------------------------------------- */
SM_PRIV void sm_cord_end(sm_cord *c, int status, int32_t code, const char *text);
SM_PRIV uint8_t sm_cord_awaits(const sm_cord *c);
SM_PRIV void sm_cord_submit(sm_cord *c);

SM_PRIV void sm_cord_emit(sm_cord *c, sm_cord_event *ev, sm_cord_event_kind kind,
                          const char *line, size_t len)
{
    ev->kind = kind;
    ev->line = line;
    ev->line_len = len;
    if (!c->on_event) return;
    c->in_cb++;
    c->on_event(c->event_ctx, c, ev);
    c->in_cb--;
}

/* Lines nobody expected: unknown events, events that do not parse, stray
   lines the engine could not place. */
SM_PRIV void sm_cord_ev_other(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord_event ev;
    (void)at;
    memset(&ev, 0, sizeof ev);
    sm_cord_emit((sm_cord *)ctx, &ev, SM_CORD_EV_UNHANDLED, line, len);
}

/* An event that ends the operation waiting for it; one that comes before
   the operation's own OK is kept until that OK (contract "Framing": events
   may come between a command and its OK). */
SM_PRIV void sm_cord_outcome(sm_cord *c, uint8_t what, int status, int32_t code,
                             const char *text)
{
    if (sm_cord_awaits(c) != what) return;
    if (c->phase == SM_CORD_PH_WAIT) {
        sm_cord_end(c, status, code, text);
    } else if (c->phase == SM_CORD_PH_CMD && !c->early) {
        c->early = 1;
        c->early_status = status;
        c->early_code = code;
        sm_cord_copy(c->ev_text, sizeof c->ev_text, text);
    }
}

/* +eventstartup:<article>,<chipID>,<MAC>,<x.y.z> (contract "Framing"). The
   engine has already ended a command in flight with SM_AT_REBOOT. */
SM_PRIV void sm_cord_ev_startup(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_state *st = &c->state;
    sm_cord_fields x;
    sm_cord_event ev;
    (void)at;
    memset(st, 0, sizeof *st); /* a restart ends every connection */
    st->started = 1;
    c->connect_sock = -1;
    if (sm_cord_scan(&x, line, len, "+eventstartup:", "ssss")) {
        sm_cord_copy(st->article, sizeof st->article, x.s[0]);
        sm_cord_copy(st->chip_id, sizeof st->chip_id, x.s[1]);
        sm_cord_copy(st->mac, sizeof st->mac, x.s[2]);
        sm_cord_copy(st->version, sizeof st->version, x.s[3]);
    }
    ev.u.startup.article = st->article;
    ev.u.startup.chip_id = st->chip_id;
    ev.u.startup.mac = st->mac;
    ev.u.startup.version = st->version;
    sm_cord_emit(c, &ev, SM_CORD_EV_STARTUP, line, len);
    if (c->phase == SM_CORD_PH_WAIT && sm_cord_awaits(c) != SM_CORD_W_STARTUP)
        sm_cord_end(c, SM_ERR_REBOOT, SM_AT_NO_CODE, NULL); /* its event will never come */
    else
        sm_cord_outcome(c, SM_CORD_W_STARTUP, SM_OK, SM_AT_NO_CODE, NULL);
}

/* +eventwlan:connect,<SSID>,<BSSID> and
   +eventwlan:disconnect,<SSID>,<BSSID>,<reason> (contract "Wi-Fi"). */
SM_PRIV void sm_cord_ev_wlan(sm_cord *c, const char *line, size_t len, int up)
{
    sm_cord_fields x;
    sm_cord_event ev;
    if (!sm_cord_scan(&x, line, len, up ? "+eventwlan:connect," : "+eventwlan:disconnect,",
                      "Ssi")) {
        sm_cord_ev_other(c, &c->at, line, len);
        return;
    }
    ev.u.wlan.ssid = x.s[0];
    ev.u.wlan.bssid = x.s[1];
    ev.u.wlan.reason = x.v[2];
    c->state.wlan_connected = (uint8_t)up;
    if (!up) {
        c->state.ipv4[0] = '\0';
        c->state.mqtt_connected = 0; /* no broker without Wi-Fi */
    }
    sm_cord_emit(c, &ev, up ? SM_CORD_EV_WLAN_CONNECTED : SM_CORD_EV_WLAN_DISCONNECTED, line, len);
    if (!up) sm_cord_outcome(c, SM_CORD_W_IP, SM_ERR_MODEM, x.v[2], "wlan disconnect");
}

SM_PRIV void sm_cord_ev_wlan_up(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_wlan((sm_cord *)ctx, line, len, 1);
}

SM_PRIV void sm_cord_ev_wlan_down(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_wlan((sm_cord *)ctx, line, len, 0);
}

/* +eventnetapp:ipv4_acquired,<ip>,<gw>,<dns>: ends sm_cord_wlan_connect. */
SM_PRIV void sm_cord_ev_ipv4(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields x;
    sm_cord_event ev;
    if (!sm_cord_scan(&x, line, len, "+eventnetapp:ipv4_acquired,", "Sss") ||
        strlen(x.s[0]) >= sizeof c->state.ipv4) {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    sm_cord_copy(c->state.ipv4, sizeof c->state.ipv4, x.s[0]);
    ev.u.ip.ip = x.s[0];
    ev.u.ip.gateway = x.s[1];
    ev.u.ip.dns = x.s[2];
    sm_cord_emit(c, &ev, SM_CORD_EV_IP_ACQUIRED, line, len);
    sm_cord_outcome(c, SM_CORD_W_IP, SM_OK, SM_AT_NO_CODE, NULL);
}

/* +eventmqtt:info,"<STATUS>",<code> and +eventmqtt:error,"<STATUS>",<code>
   (contract "On-module MQTT client"): CONNACK (rc 0 accepted), DISCONNECT,
   DNS_FAILED, CONNECT_FAILED, TLS_FAILED, CONNACK_TIMEOUT... */
SM_PRIV void sm_cord_ev_mqtt(sm_cord *c, const char *line, size_t len, int error)
{
    sm_cord_fields x;
    sm_cord_event ev;
    int connack, down;
    if (!sm_cord_scan(&x, line, len, error ? "+eventmqtt:error," : "+eventmqtt:info,", "SI")) {
        sm_cord_ev_other(c, &c->at, line, len);
        return;
    }
    connack = !error && sm_cord_is(x.s[0], "CONNACK");
    down = !error && sm_cord_is(x.s[0], "DISCONNECT");
    if (connack || down) c->state.mqtt_connected = (uint8_t)(connack && x.v[1] == 0);
    ev.u.mqtt.status = x.s[0];
    ev.u.mqtt.code = x.v[1];
    sm_cord_emit(c, &ev, error ? SM_CORD_EV_MQTT_ERROR : SM_CORD_EV_MQTT_INFO, line, len);
    if (connack && x.v[1] == 0)
        sm_cord_outcome(c, SM_CORD_W_CONNACK, SM_OK, SM_AT_NO_CODE, NULL);
    else if (error || connack || down)
        sm_cord_outcome(c, SM_CORD_W_CONNACK, SM_ERR_MODEM, x.v[1], x.s[0]);
}

SM_PRIV void sm_cord_ev_mqtt_info(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_mqtt((sm_cord *)ctx, line, len, 0);
}

SM_PRIV void sm_cord_ev_mqtt_error(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_mqtt((sm_cord *)ctx, line, len, 1);
}

/* +eventmqtt:recv,<topic>,qos<N>,"<payload>": the payload is the rest of
   the line, ONE enclosing pair of quotes removed (notes section 12: its
   quotes are not escaped). */
SM_PRIV void sm_cord_ev_mqtt_recv(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields x;
    sm_cord_event ev;
    const char *q, *p;
    char *dst;
    size_t n;
    /* qos0 here, QOS0 on Calypso (notes section 12) */
    if (!sm_cord_scan(&x, line, len, "+eventmqtt:recv,", "SS") || !sm_fields_more(&x.f) ||
        strlen(x.s[1]) != 4 || (x.s[1][0] | 0x20) != 'q' || (x.s[1][1] | 0x20) != 'o' ||
        (x.s[1][2] | 0x20) != 's' || x.s[1][3] < '0' || x.s[1][3] > '2') {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    q = x.s[1];
    p = sm_fields_rest(&x.f, &n);
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') { p++; n -= 2; }
    /* a NUL-terminated copy after the qos field (the fields partition the
       line, so it fits) */
    dst = x.buf + (q - x.buf) + 5;
    if ((size_t)(x.buf + sizeof x.buf - dst) < n + 1u) {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
    ev.u.msg.topic = x.s[0];
    ev.u.msg.qos = q[3] - '0';
    ev.u.msg.payload = dst;
    ev.u.msg.len = n;
    sm_cord_emit(c, &ev, SM_CORD_EV_MQTT_RECV, line, len);
}

/* +eventsock:data,<id>,<bytes waiting>, +eventsock:closed,<id>,
   +eventsock:tx_failed,<id>,<error> (contract "TLS sockets"). */
SM_PRIV void sm_cord_ev_sock(sm_cord *c, const char *line, size_t len, const char *prefix,
                             const char *spec, sm_cord_event_kind kind)
{
    sm_cord_fields x;
    sm_cord_event ev;
    if (!sm_cord_scan(&x, line, len, prefix, spec) || x.v[0] < 0 || x.v[0] > 15) {
        sm_cord_ev_other(c, &c->at, line, len);
        return;
    }
    ev.u.sock.id = (int)x.v[0];
    ev.u.sock.value = x.v[1];
    ev.u.sock.address = "";
    sm_cord_emit(c, &ev, kind, line, len);
}

SM_PRIV void sm_cord_ev_sock_data(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_sock((sm_cord *)ctx, line, len, "+eventsock:data,", "II", SM_CORD_EV_SOCK_DATA);
}

SM_PRIV void sm_cord_ev_sock_closed(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_sock((sm_cord *)ctx, line, len, "+eventsock:closed,", "I", SM_CORD_EV_SOCK_CLOSED);
}

SM_PRIV void sm_cord_ev_sock_tx_failed(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_sock((sm_cord *)ctx, line, len, "+eventsock:tx_failed,", "II",
                    SM_CORD_EV_SOCK_TX_FAILED);
}

/* +connect:<port>,<address> after AT+connect's OK (contract "TLS sockets";
   it names no socket: the one of the last AT+connect is reported). */
SM_PRIV void sm_cord_ev_connect(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields x;
    sm_cord_event ev;
    if (!sm_cord_scan(&x, line, len, "+connect:", "IS")) {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    ev.u.sock.id = c->connect_sock;
    ev.u.sock.value = x.v[0];
    ev.u.sock.address = x.s[1];
    sm_cord_emit(c, &ev, SM_CORD_EV_SOCK_CONNECTED, line, len);
}

/* +eventfatalerror:<reason> (notes section 3: device_abort, driver_abort,
   sync_loss, no_cmd_ack, cmd_timout). */
SM_PRIV void sm_cord_ev_fatal(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord_fields x;
    sm_cord_event ev;
    (void)at;
    sm_cord_scan(&x, line, len, "+eventfatalerror:", "s");
    ev.u.fatal.reason = x.s[0];
    sm_cord_emit((sm_cord *)ctx, &ev, SM_CORD_EV_FATAL, line, len);
}

/* The events, as the contract lists them; the last entry catches every
   other +event line, so none is lost. */
static const sm_urc sm_cord_events[] = {
    /* line prefix                     handler */
    { "+eventstartup:",               sm_cord_ev_startup },
    { "+eventwlan:connect,",          sm_cord_ev_wlan_up },
    { "+eventwlan:disconnect,",       sm_cord_ev_wlan_down },
    { "+eventnetapp:ipv4_acquired,",  sm_cord_ev_ipv4 },
    { "+eventmqtt:info,",             sm_cord_ev_mqtt_info },
    { "+eventmqtt:error,",            sm_cord_ev_mqtt_error },
    { "+eventmqtt:recv,",             sm_cord_ev_mqtt_recv },
    { "+eventsock:data,",             sm_cord_ev_sock_data },
    { "+eventsock:closed,",           sm_cord_ev_sock_closed },
    { "+eventsock:tx_failed,",        sm_cord_ev_sock_tx_failed },
    { "+eventfatalerror:",            sm_cord_ev_fatal },
    { "+connect:",                    sm_cord_ev_connect },
    { "+event",                       sm_cord_ev_other },
};

/* ---- settings tables -------------------------------------------------------- */
typedef struct sm_cord_setting {
    const char *group, *key;
    uint8_t type;       /* SM_CORD_V_* */
    uint16_t max;       /* longest string, highest number */
    uint16_t offset;    /* of the field in its struct */
} sm_cord_setting;

#define SM_CORD_MQ(f) ((uint16_t)offsetof(sm_cord_mqtt_config, f))
/* contract "Device": the keys used, limits from notes section 5. */
static const sm_cord_setting sm_cord_mqtt_settings[] = {
    /* group       key                 value          limit  field */
    { "MQTT",      "iotHubEndpoint",   SM_CORD_V_STR, 512,   SM_CORD_MQ(endpoint) },
    { "MQTT",      "iotHubPort",       SM_CORD_V_I32, 65535, SM_CORD_MQ(port) },
    { "MQTT",      "flags",            SM_CORD_V_STR, 128,   SM_CORD_MQ(flags) },
    { "MQTT",      "TLS1_3",           SM_CORD_V_B8,  1,     SM_CORD_MQ(tls1_3) },
    { "MQTT",      "clientId",         SM_CORD_V_STR, 256,   SM_CORD_MQ(client_id) },
    { "MQTT",      "rootCAPath",       SM_CORD_V_STR, 180,   SM_CORD_MQ(ca_file) },
    { "MQTT",      "clientCertPath",   SM_CORD_V_STR, 180,   SM_CORD_MQ(cert_file) },
    { "MQTT",      "clientPrivateKey", SM_CORD_V_STR, 180,   SM_CORD_MQ(key_file) },
    { "MQTT",      "userName",         SM_CORD_V_STR, 512,   SM_CORD_MQ(user) },
    { "MQTT",      "password",         SM_CORD_V_STR, 512,   SM_CORD_MQ(password) },
    { "MQTT",      "keepAliveTimeOut", SM_CORD_V_I32, 65535, SM_CORD_MQ(keep_alive_s) },
    { "MQTT",      "cleanConnect",     SM_CORD_V_B8,  1,     SM_CORD_MQ(clean_session) },
    { "MQTT",      "willTopic",        SM_CORD_V_STR, 512,   SM_CORD_MQ(will_topic) },
    { "MQTT",      "willMessage",      SM_CORD_V_STR, 512,   SM_CORD_MQ(will_message) },
    { "MQTT",      "willQos",          SM_CORD_V_I8,  2,     SM_CORD_MQ(will_qos) },
    { "MQTT",      "willRetain",       SM_CORD_V_B8,  1,     SM_CORD_MQ(will_retain) },
    { "SUBTOPIC0", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(sub[0].name) },
    { "SUBTOPIC0", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(sub[0].qos) },
    { "SUBTOPIC1", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(sub[1].name) },
    { "SUBTOPIC1", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(sub[1].qos) },
    { "SUBTOPIC2", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(sub[2].name) },
    { "SUBTOPIC2", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(sub[2].qos) },
    { "SUBTOPIC3", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(sub[3].name) },
    { "SUBTOPIC3", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(sub[3].qos) },
    { "PUBTOPIC0", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(pub[0].name) },
    { "PUBTOPIC0", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(pub[0].qos) },
    { "PUBTOPIC0", "retain",           SM_CORD_V_B8,  1,     SM_CORD_MQ(pub[0].retain) },
    { "PUBTOPIC1", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(pub[1].name) },
    { "PUBTOPIC1", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(pub[1].qos) },
    { "PUBTOPIC1", "retain",           SM_CORD_V_B8,  1,     SM_CORD_MQ(pub[1].retain) },
    { "PUBTOPIC2", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(pub[2].name) },
    { "PUBTOPIC2", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(pub[2].qos) },
    { "PUBTOPIC2", "retain",           SM_CORD_V_B8,  1,     SM_CORD_MQ(pub[2].retain) },
    { "PUBTOPIC3", "name",             SM_CORD_V_STR, 512,   SM_CORD_MQ(pub[3].name) },
    { "PUBTOPIC3", "qos",              SM_CORD_V_I8,  2,     SM_CORD_MQ(pub[3].qos) },
    { "PUBTOPIC3", "retain",           SM_CORD_V_B8,  1,     SM_CORD_MQ(pub[3].retain) },
};
#define SM_CORD_N_MQTT (sizeof sm_cord_mqtt_settings / sizeof sm_cord_mqtt_settings[0])

#define SM_CORD_TO(f) ((uint16_t)offsetof(sm_cord_tls, f))
/* contract "TLS sockets": AT+setSockOpt=<id>,SOCKET,<opt>,<value>. */
static const sm_cord_setting sm_cord_tls_options[] = {
    /* level     option                                value           limit field */
    { "SOCKET", "SECMETHOD",                          SM_CORD_V_WORD, 32,  SM_CORD_TO(method) },
    { "SOCKET", "SECURE_FILES_CA_FILE_NAME",          SM_CORD_V_FILE, 180, SM_CORD_TO(ca_file) },
    { "SOCKET", "SECURE_FILES_PRIVATE_KEY_FILE_NAME", SM_CORD_V_FILE, 180, SM_CORD_TO(key_file) },
    { "SOCKET", "SECURE_FILES_CERTIFICATE_FILE_NAME", SM_CORD_V_FILE, 180, SM_CORD_TO(cert_file) },
    { "SOCKET", "SECURE_DOMAIN_NAME_VERIFICATION",    SM_CORD_V_WORD, 253, SM_CORD_TO(domain) },
};
#define SM_CORD_N_TLS (sizeof sm_cord_tls_options / sizeof sm_cord_tls_options[0])

/* ---- argument writers: every caller string goes through sm_check_str ------ */
/* group, key, method, host: 1..max bytes, no ',' '"' or space */
SM_PRIV void sm_cord_put_word(sm_buf *b, const char *s, size_t max)
{
    sm_buf_checked(b, s, max, SM_STR_NONEMPTY | SM_STR_NO_COMMA | SM_STR_NO_SPACE);
}

/* contract "File system": names 1..180 bytes, no ',' '"' CR LF or controls */
SM_PRIV void sm_cord_put_file(sm_buf *b, const char *name, size_t max)
{
    sm_buf_checked(b, name, max, SM_STR_NONEMPTY | SM_STR_NO_COMMA);
}

/* contract "Device": strings quoted, ONE pair stripped by the module; no
   escape exists, so no '"' and (notes section 5) no ',' inside */
SM_PRIV void sm_cord_put_quoted(sm_buf *b, const char *s, size_t max)
{
    sm_buf_quoted(b, s, max, SM_STR_NO_COMMA | SM_STR_UTF8);
}

SM_PRIV void sm_cord_put_bool(sm_buf *b, int v) { sm_buf_str(b, v ? "true" : "false"); }

/* A number within [0, max], else the command is refused. */
SM_PRIV void sm_cord_put_num(sm_buf *b, uint32_t v, uint32_t min, uint32_t max)
{
    if (v < min || v > max) { if (!b->err) b->err = SM_ERR_PARAM; return; }
    sm_buf_u32(b, v);
}

/* AT+fileOpen flags, |-joined (contract "File system") */
SM_PRIV void sm_cord_put_flags(sm_buf *b, uint32_t flags)
{
    static const char *const names[] = { "CREATE", "READ", "WRITE", "OVERWRITE" };
    unsigned i;
    const char *sep = "";
    if (flags == 0 || flags > 15u) { if (!b->err) b->err = SM_ERR_PARAM; return; }
    for (i = 0; i < 4; i++) {
        if (!(flags & (1u << i))) continue;
        sm_buf_str(b, sep);
        sm_buf_str(b, names[i]);
        sep = "|";
    }
}

/* One setting of a table, read from its struct: SM_OK, SM_CORD_SKIP when
   the field is unset, SM_ERR_PARAM when out of range. */
SM_PRIV int sm_cord_put_setting(sm_buf *b, const sm_cord_setting *st, const void *base)
{
    const char *field = (const char *)base + st->offset;
    const char *s;
    int32_t v;
    int8_t v8;
    if (st->type == SM_CORD_V_STR || st->type == SM_CORD_V_FILE || st->type == SM_CORD_V_WORD) {
        memcpy(&s, field, sizeof s);
        if (!s) return SM_CORD_SKIP;
        if (st->type == SM_CORD_V_STR) sm_cord_put_quoted(b, s, st->max);
        else if (st->type == SM_CORD_V_FILE) sm_cord_put_file(b, s, st->max);
        else sm_cord_put_word(b, s, st->max);
        return SM_OK;
    }
    if (st->type == SM_CORD_V_I32) {
        memcpy(&v, field, sizeof v);
    } else {
        memcpy(&v8, field, sizeof v8);
        v = v8;
    }
    if (v < 0) return SM_CORD_SKIP;
    if (v > (int32_t)st->max) return SM_ERR_PARAM;
    if (st->type == SM_CORD_V_B8) sm_cord_put_bool(b, v != 0);
    else sm_buf_i32(b, v);
    return SM_OK;
}

/* ---- commands from formats ---------------------------------------------------
   A format is the command in the contract's syntax with its arguments as
   directives, each reading one field of the operation and checking it:
     %G %K  setting group (s1), key (s2)       %V  setting value (by sub)
     %F     file name (s1)                     %H  host name/address (s1)
     %I     file id (n1)                       %Z  open flags (n1), %M size (n2)
     %S     socket id (n1, 0..15)              %N  port (n2, 1..65535)
     %Y     SEC or TCP (n1)                    %L  data length (1..1460)
     %T     topic index (n1, 0..3)             %P  publish payload (s1) */
SM_PRIV void sm_cord_format(sm_buf *b, const char *fmt, const sm_cord_op *op)
{
    for (; *fmt && !b->err; fmt++) {
        if (*fmt != '%') { sm_buf_char(b, *fmt); continue; }
        switch (*++fmt) {
        case 'G': sm_cord_put_word(b, op->s1, 32); break;
        case 'K': sm_cord_put_word(b, op->s2, 32); break;
        case 'V':
            if (op->sub == SM_CORD_V_STR) sm_cord_put_quoted(b, op->s3, 512);
            else if (op->sub == SM_CORD_V_B8) sm_cord_put_bool(b, op->n1 != 0);
            else sm_buf_i32(b, (int32_t)op->n1);
            break;
        case 'F': sm_cord_put_file(b, op->s1, 180); break;
        case 'H': sm_cord_put_word(b, op->s1, 253); break;
        case 'I': sm_buf_u32(b, op->n1); break;
        case 'Z': sm_cord_put_flags(b, op->n1); break;
        case 'M': sm_buf_u32(b, op->n2); break;
        case 'S': sm_cord_put_num(b, op->n1, 0, 15); break;
        case 'N': sm_cord_put_num(b, op->n2, 1, 65535); break;
        case 'Y': sm_buf_str(b, op->n1 ? "SEC" : "TCP"); break;
        case 'L':
            sm_cord_put_num(b, op->len > 1460u ? 0u : (uint32_t)op->len, 1, SM_CORD_DATA_MAX);
            break;
        case 'T': sm_cord_put_num(b, op->n1, 0, 3); break;
        default: /* 'P': the rest of the line: '"' and ',' are fine, controls are not */
            sm_buf_checked(b, op->s1, SM_CORD_PUBLISH_MAX, SM_STR_UTF8 | SM_STR_ALLOW_QUOTE);
            break;
        }
    }
}

/* ---- commands from builders (the sequences) ------------------------------------
   A builder writes the command of step `step` (text into b, the rest into
   cmd) and returns SM_OK, SM_CORD_SKIP (this step sends nothing),
   SM_CORD_END (no such step) or an error. Builders are pure: the same one
   checks the arguments when the operation is started. */
typedef int (*sm_cord_build_fn)(const sm_cord_op *op, uint32_t step, uint32_t file_id, sm_buf *b,
                                sm_at_cmd *cmd);
/* Reads a successful answer: SM_CORD_NEXT (on to the next step),
   SM_CORD_FINISH, SM_CORD_WAIT (for the operation's event) or an error. */
typedef int (*sm_cord_ok_fn)(sm_cord *c, const sm_at_response *r, sm_cord_result *res);

/* One AT+set per field of sm_cord_mqtt_config that is set. */
SM_PRIV int sm_cord_b_mqtt_config(const sm_cord_op *op, uint32_t step, uint32_t file_id,
                                  sm_buf *b, sm_at_cmd *cmd)
{
    const sm_cord_setting *st = &sm_cord_mqtt_settings[step < SM_CORD_N_MQTT ? step : 0];
    (void)file_id;
    (void)cmd;
    if (step >= SM_CORD_N_MQTT) return SM_CORD_END;
    sm_buf_str(b, "AT+set=");
    sm_buf_str(b, st->group);
    sm_buf_char(b, ',');
    sm_buf_str(b, st->key);
    sm_buf_char(b, ',');
    return sm_cord_put_setting(b, st, op->src);
}

/* AT+setSockOpt=<id>,SOCKET,<opt>,<value> per option set */
SM_PRIV int sm_cord_b_socket_tls(const sm_cord_op *op, uint32_t step, uint32_t file_id,
                                 sm_buf *b, sm_at_cmd *cmd)
{
    const sm_cord_setting *st = &sm_cord_tls_options[step < SM_CORD_N_TLS ? step : 0];
    (void)file_id;
    (void)cmd;
    if (!op->src) return SM_ERR_PARAM;
    if (step >= SM_CORD_N_TLS) return SM_CORD_END;
    sm_cord_format(b, "AT+setSockOpt=%S,", op);
    sm_buf_str(b, st->group);
    sm_buf_char(b, ',');
    sm_buf_str(b, st->key);
    sm_buf_char(b, ',');
    return sm_cord_put_setting(b, st, op->src);
}

/* contract "Wi-Fi": AT+wlanConnect=<SSID>,<BSSID>,<security>,<key>,,,
   (BSSID empty; the enterprise fields unused) */
SM_PRIV int sm_cord_b_wlan_connect(const sm_cord_op *op, uint32_t step, uint32_t file_id,
                                   sm_buf *b, sm_at_cmd *cmd)
{
    static const char *const security[] = { "OPEN", "WPA_WPA2", "WPA2_PLUS", "WPA3" };
    int open = op->n1 == SM_CORD_SEC_OPEN, rc;
    (void)file_id;
    (void)cmd;
    if (step) return SM_CORD_END;
    if (op->n1 > 3u) return SM_ERR_PARAM;
    sm_buf_str(b, "AT+wlanConnect=");
    sm_buf_checked(b, op->s1, 32, SM_STR_NONEMPTY | SM_STR_NO_COMMA | SM_STR_UTF8);
    sm_buf_str(b, ",,");
    sm_buf_str(b, security[op->n1]);
    sm_buf_char(b, ',');
    if (open && op->s2 && op->s2[0]) return SM_ERR_PARAM; /* an open network takes no key */
    if (!open) {
        rc = sm_check_str(op->s2, 64, SM_STR_NO_COMMA);
        if (rc) return rc;
        if (strlen(op->s2) < 8) return SM_ERR_PARAM;
        sm_buf_str(b, op->s2);
    }
    sm_buf_str(b, ",,,");
    return SM_OK;
}

/* contract "File system": AT+fileWrite=<fileID>,<offset>,0,<n>,<n bytes>
   (binary format 0; the bytes follow the 4th comma inline, then CR LF) */
SM_PRIV int sm_cord_put_write(sm_buf *b, sm_at_cmd *cmd, uint32_t fid, uint32_t offset,
                              const uint8_t *data, size_t n)
{
    sm_buf_str(b, "AT+fileWrite=");
    sm_buf_u32(b, fid);
    sm_buf_char(b, ',');
    sm_buf_u32(b, offset);
    sm_buf_str(b, ",0,");
    sm_buf_u32(b, (uint32_t)n);
    sm_buf_char(b, ',');
    cmd->flags = SM_AT_F_INLINE;
    cmd->payload = data;
    cmd->payload_len = n;
    cmd->prefix = "+filewrite:";
    return SM_OK;
}

SM_PRIV int sm_cord_b_file_write(const sm_cord_op *op, uint32_t step, uint32_t file_id,
                                 sm_buf *b, sm_at_cmd *cmd)
{
    size_t off = 0, n = sm_cord_chunk(op->len, step, SM_CORD_FILE_CHUNK, &off);
    (void)file_id;
    if (!op->src || !op->len) return SM_ERR_PARAM;
    if (!n) return SM_CORD_END;
    return sm_cord_put_write(b, cmd, op->n1, op->n2 + (uint32_t)off,
                             (const uint8_t *)op->src + off, n);
}

/* contract "File system": AT+fileRead=<fileID>,<offset>,1,<n> (Base64) */
SM_PRIV int sm_cord_b_file_read(const sm_cord_op *op, uint32_t step, uint32_t file_id,
                                sm_buf *b, sm_at_cmd *cmd)
{
    size_t off = 0, n = sm_cord_chunk(op->len, step, SM_CORD_READ_CHUNK, &off);
    (void)file_id;
    (void)cmd;
    if (!op->dst || !op->len) return SM_ERR_PARAM;
    if (!n) return SM_CORD_END;
    sm_buf_str(b, "AT+fileRead=");
    sm_buf_u32(b, op->n1);
    sm_buf_char(b, ',');
    sm_buf_u32(b, op->n2 + (uint32_t)off);
    sm_buf_str(b, ",1,");
    sm_buf_u32(b, (uint32_t)n);
    return SM_OK;
}

/* AT+fileClose=<fileID>,, (certificate name and signature left empty) */
SM_PRIV void sm_cord_put_close(sm_buf *b, uint32_t fid)
{
    sm_buf_str(b, "AT+fileClose=");
    sm_buf_u32(b, fid);
    sm_buf_str(b, ",,");
}

/* The upload: step 0 AT+fileOpen (CREATE|WRITE|OVERWRITE, size rounded up
   to 1024 bytes, notes section 4), steps 1..n the chunks, n+1 AT+fileClose. */
SM_PRIV int sm_cord_b_upload(const sm_cord_op *op, uint32_t step, uint32_t file_id, sm_buf *b,
                             sm_at_cmd *cmd)
{
    size_t chunks = sm_cord_chunks(op->len, SM_CORD_FILE_CHUNK), off = 0, n;
    uint32_t len32 = (uint32_t)op->len, size = (len32 + 1023u) / 1024u * 1024u;
    if ((op->len && !op->src) || (size_t)len32 != op->len || len32 > 0xFFFFFC00ul)
        return SM_ERR_PARAM;
    if (step == 0) {
        sm_cord_format(b, "AT+fileOpen=%F,", op);
        sm_cord_put_flags(b, SM_CORD_FILE_CREATE | SM_CORD_FILE_WRITE | SM_CORD_FILE_OVERWRITE);
        sm_buf_char(b, ',');
        sm_buf_u32(b, size ? size : 1024u);
        cmd->prefix = "+fileopen:";
        return SM_OK;
    }
    if (step <= chunks) {
        n = sm_cord_chunk(op->len, step - 1u, SM_CORD_FILE_CHUNK, &off);
        return sm_cord_put_write(b, cmd, file_id, (uint32_t)off, (const uint8_t *)op->src + off, n);
    }
    if (step > chunks + 1u) return SM_CORD_END;
    sm_cord_put_close(b, file_id);
    return SM_OK;
}

/* ---- answers ------------------------------------------------------------------ */
/* The fields of the command's first response line, after its prefix. */
SM_PRIV int sm_cord_answer(const sm_at_response *r, const char *prefix, sm_fields *f)
{
    if (!r->nlines) return SM_ERR_PARSE;
    return sm_fields_init(f, r->lines, strlen(r->lines), prefix);
}

/* Next field of f as an unsigned 32-bit number. */
SM_PRIV int sm_cord_field_u32(sm_fields *f, uint32_t *out)
{
    const char *s;
    size_t n;
    int quoted;
    if (!sm_fields_more(f) || sm_fields_token(f, &s, &n, &quoted) != SM_OK) return SM_ERR_PARSE;
    return sm_parse_u32(s, n, out);
}

/* +get:<value> (returned unquoted, contract "Device"): the whole rest */
SM_PRIV int sm_cord_ok_get(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    sm_fields f;
    if (sm_cord_answer(r, "+get:", &f)) return SM_ERR_PARSE;
    res->text = sm_fields_rest(&f, &c->done_len);
    return SM_CORD_FINISH;
}

/* +fileopen:<fileID>,<token> */
SM_PRIV int sm_cord_ok_file_open(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    sm_fields f;
    (void)res;
    if (sm_cord_answer(r, "+fileopen:", &f) || sm_cord_field_u32(&f, &c->value))
        return SM_ERR_PARSE;
    return SM_CORD_FINISH;
}

/* +filewrite:<n>: all of the chunk, or the write failed */
SM_PRIV int sm_cord_check_written(sm_cord *c, const sm_at_response *r, size_t chunk)
{
    sm_fields f;
    uint32_t n;
    if (sm_cord_answer(r, "+filewrite:", &f) || sm_cord_field_u32(&f, &n)) return SM_ERR_PARSE;
    if (n != (uint32_t)chunk) return SM_ERR_MODEM; /* a short write */
    c->done_len += chunk;
    return SM_CORD_NEXT;
}

SM_PRIV int sm_cord_ok_file_write(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    size_t off = 0;
    (void)res;
    return sm_cord_check_written(c, r, sm_cord_chunk(c->ops[0].len, c->step, SM_CORD_FILE_CHUNK,
                                                     &off));
}

/* +fileread:1,<bytesRead>,<base64>: decoded to dst; a short read is the end
   of the file */
SM_PRIV int sm_cord_ok_file_read(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    const sm_cord_op *op = &c->ops[0];
    size_t off = 0, want = sm_cord_chunk(op->len, c->step, SM_CORD_READ_CHUNK, &off), n = 0, got;
    int32_t fmt, count;
    const char *s = "";
    int quoted;
    sm_fields f;
    (void)res;
    if (sm_cord_answer(r, "+fileread:", &f) || sm_fields_int(&f, 1, 1, &fmt) ||
        sm_fields_int(&f, 0, (int32_t)want, &count) ||
        (sm_fields_more(&f) && sm_fields_token(&f, &s, &n, &quoted)) ||
        sm_base64_decode(s, n, op->dst + c->done_len, want, &got) || got != (size_t)count)
        return SM_ERR_PARSE;
    c->done_len += got;
    return got < want ? SM_CORD_FINISH : SM_CORD_NEXT;
}

/* +filegetinfo:<flags>,<size>,<allocatedSize>,<token>,<storageSize>,<writeCounter> */
SM_PRIV int sm_cord_ok_file_info(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    uint32_t *v[6];
    sm_fields f;
    size_t i;
    (void)c;
    v[0] = &res->info.flags;
    v[1] = &res->info.size;
    v[2] = &res->info.allocated;
    v[3] = &res->info.token;
    v[4] = &res->info.storage;
    v[5] = &res->info.write_counter;
    if (sm_cord_answer(r, "+filegetinfo:", &f)) return SM_ERR_PARSE;
    for (i = 0; i < 6; i++)
        if (sm_cord_field_u32(&f, v[i])) return SM_ERR_PARSE;
    return SM_CORD_FINISH;
}

/* +filegetfilelist:<name>,<maxSize>,<properties>,<allocatedBlocks>, each
   reported as it comes (the list may be longer than the response buffer) */
SM_PRIV void sm_cord_list_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields x;
    sm_cord_file_entry e;
    (void)at;
    if (!sm_cord_scan(&x, line, len, "+filegetfilelist:", "SISI") || x.v[1] < 0 || x.v[3] < 0) {
        if (c->bad_lines < 255u) c->bad_lines++;
        return;
    }
    e.name = x.s[0];
    e.max_size = (uint32_t)x.v[1];
    e.properties = x.s[2];
    e.blocks = (uint32_t)x.v[3];
    if (!c->ops[0].on_entry) return;
    c->in_cb++;
    c->ops[0].on_entry(c->ops[0].ctx, c, &e);
    c->in_cb--;
}

SM_PRIV int sm_cord_ok_file_list(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    (void)r;
    (void)res;
    if (c->bad_lines) return SM_ERR_PARSE;
    return SM_CORD_FINISH;
}

/* The upload's steps: the open gives the file id, then the chunks. */
SM_PRIV int sm_cord_ok_upload(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    size_t off = 0, len = c->ops[0].len;
    if (c->step == 0) {
        int rc = sm_cord_ok_file_open(c, r, res);
        c->file_id = c->value;
        return rc == SM_CORD_FINISH ? SM_CORD_NEXT : rc;
    }
    if (c->step <= sm_cord_chunks(len, SM_CORD_FILE_CHUNK))
        return sm_cord_check_written(c, r, sm_cord_chunk(len, c->step - 1u, SM_CORD_FILE_CHUNK,
                                                         &off));
    return SM_CORD_NEXT;
}

/* +socket:<id> */
SM_PRIV int sm_cord_ok_socket(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    sm_fields f;
    int32_t id;
    (void)res;
    if (sm_cord_answer(r, "+socket:", &f) || sm_fields_int(&f, 0, 15, &id)) return SM_ERR_PARSE;
    c->value = (uint32_t)id;
    c->state.sockets = (uint16_t)(c->state.sockets | (1u << id));
    return SM_CORD_FINISH;
}

/* +recv:<id>,0,<n> (the bytes are already in dst) */
SM_PRIV int sm_cord_ok_recv(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    sm_fields f;
    int32_t id, fmt, n;
    if (sm_cord_answer(r, "+recv:", &f) || sm_fields_int(&f, 0, 15, &id) ||
        sm_fields_int(&f, 0, 0, &fmt) || sm_fields_int(&f, 0, 65535, &n))
        return SM_ERR_PARSE;
    c->done_len = r->raw_len;
    res->truncated = (uint8_t)(r->raw_truncated || (size_t)n > r->raw_len);
    return SM_CORD_FINISH;
}

SM_PRIV int sm_cord_ok_close(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    (void)r;
    (void)res;
    c->state.sockets = (uint16_t)(c->state.sockets & ~(1u << c->ops[0].n1));
    return SM_CORD_FINISH;
}

SM_PRIV int sm_cord_ok_send(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    (void)r;
    (void)res;
    c->done_len = c->ops[0].len;
    return SM_CORD_FINISH;
}

SM_PRIV int sm_cord_ok_wait(sm_cord *c, const sm_at_response *r, sm_cord_result *res)
{
    (void)c;
    (void)r;
    (void)res;
    return SM_CORD_WAIT;
}

/* ---- the operations, as the contract describes them --------------------------- */
typedef struct sm_cord_opdef {
    const char *fmt;         /* the command, see sm_cord_format(); NULL: built */
    const char *prefix;      /* its information line (a builder may choose per step) */
    uint8_t timeout;         /* SM_CORD_T_* */
    uint8_t awaits;          /* SM_CORD_W_*: the event that ends it after its OK */
    uint8_t extra;           /* SM_CORD_C_*: inline payload, inline raw answer, list */
    sm_cord_build_fn build;  /* the commands of a sequence */
    sm_cord_ok_fn on_ok;     /* reads a successful answer; NULL: on to the next step */
} sm_cord_opdef;

/* In sm_cord_op_kind order. */
static const sm_cord_opdef sm_cord_opdefs[] = {
    /* command (sm_cord_format)      answer line           timeout  then wait for
       extra                         builder                on OK */
    /* test */
    { "AT+test",                     SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
    /* reboot */
    { "AT+reboot",                   SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_STARTUP,
      0,                            NULL,                  sm_cord_ok_wait },
    /* factory reset */
    { "AT+factoryreset",             SM_CORD_NO_INFO,      SM_CORD_T_RESET,  SM_CORD_W_STARTUP,
      0,                            NULL,                  sm_cord_ok_wait },
    /* get */
    { "AT+get=%G,%K",                "+get:",              SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  sm_cord_ok_get },
    /* set */
    { "AT+set=%G,%K,%V",             SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
    /* mqtt config */
    { NULL,                          SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            sm_cord_b_mqtt_config, NULL },
    /* wlan connect */
    { NULL,                          SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_IP,
      0,                            sm_cord_b_wlan_connect, sm_cord_ok_wait },
    /* wlan disconnect */
    { "AT+wlanDisconnect",           SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
    /* file open */
    { "AT+fileOpen=%F,%Z,%M",        "+fileopen:",         SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  sm_cord_ok_file_open },
    /* file write */
    { NULL,                          "+filewrite:",        SM_CORD_T_FILE,   SM_CORD_W_NONE,
      0,                            sm_cord_b_file_write,  sm_cord_ok_file_write },
    /* file read */
    { NULL,                          "+fileread:",         SM_CORD_T_FILE,   SM_CORD_W_NONE,
      0,                            sm_cord_b_file_read,   sm_cord_ok_file_read },
    /* file close */
    { "AT+fileClose=%I,,",           SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
    /* file delete */
    { "AT+fileDel=%F,0",             SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
    /* file info */
    { "AT+fileGetInfo=%F,0",         "+filegetinfo:",      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  sm_cord_ok_file_info },
    /* file list */
    { "AT+fileGetFileList",          "+filegetfilelist:",  SM_CORD_T_FILE,   SM_CORD_W_NONE,
      SM_CORD_C_LIST,               NULL,                  sm_cord_ok_file_list },
    /* file upload */
    { NULL,                          SM_CORD_NO_INFO,      SM_CORD_T_FILE,   SM_CORD_W_NONE,
      0,                            sm_cord_b_upload,      sm_cord_ok_upload },
    /* socket */
    { "AT+socket=INET,STREAM,%Y",    "+socket:",           SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  sm_cord_ok_socket },
    /* socket tls */
    { NULL,                          SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            sm_cord_b_socket_tls,  NULL },
    /* connect */
    { "AT+connect=%S,INET,%N,%H",    SM_CORD_NO_INFO,      SM_CORD_T_CONNECT, SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
    /* send */
    { "AT+send=%S,0,%L,",            SM_CORD_NO_INFO,      SM_CORD_T_FILE,   SM_CORD_W_NONE,
      SM_CORD_C_SEND,               NULL,                  sm_cord_ok_send },
    /* recv */
    { "AT+recv=%S,0,%L",             "+recv:",             SM_CORD_T_FILE,   SM_CORD_W_NONE,
      SM_CORD_C_RECV,               NULL,                  sm_cord_ok_recv },
    /* close */
    { "AT+close=%S",                 SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  sm_cord_ok_close },
    /* mqtt connect */
    { "AT+iotconnect",               SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_CONNACK,
      0,                            NULL,                  sm_cord_ok_wait },
    /* mqtt disconnect */
    { "AT+iotdisconnect",            SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
    /* publish */
    { "AT+iotpublish=%T,\"%P\"",     SM_CORD_NO_INFO,      SM_CORD_T_GEN,    SM_CORD_W_NONE,
      0,                            NULL,                  NULL },
};
#define SM_CORD_N_OPS (sizeof sm_cord_opdefs / sizeof sm_cord_opdefs[0])

SM_PRIV const sm_cord_opdef *sm_cord_def(uint8_t kind) { return &sm_cord_opdefs[kind - 1u]; }

SM_PRIV uint8_t sm_cord_awaits(const sm_cord *c)
{
    return c->n_ops ? sm_cord_def(c->ops[0].kind)->awaits : (uint8_t)SM_CORD_W_NONE;
}

SM_PRIV uint32_t sm_cord_timeout(uint8_t t)
{
    if (t == SM_CORD_T_FILE) return (uint32_t)SM_CORD_FILE_TIMEOUT_MS;
    if (t == SM_CORD_T_RESET) return (uint32_t)SM_CORD_RESET_TIMEOUT_MS;
    if (t == SM_CORD_T_CONNECT) return (uint32_t)SM_CORD_CONNECT_TIMEOUT_MS;
    return (uint32_t)SM_CORD_TIMEOUT_MS;
}

SM_PRIV uint32_t sm_cord_wait_ms(uint8_t what)
{
    if (what == SM_CORD_W_STARTUP) return (uint32_t)SM_CORD_STARTUP_TIMEOUT_MS;
    if (what == SM_CORD_W_IP) return (uint32_t)SM_CORD_WLAN_TIMEOUT_MS;
    return (uint32_t)SM_CORD_CONNACK_TIMEOUT_MS;
}

/* ---- the operation queue --------------------------------------------------------- */
/* Builds the command of step *step of op into c->text, skipping the steps
   that send nothing; SM_OK (cmd ready), SM_CORD_END or an error. */
SM_PRIV int sm_cord_build(sm_cord *c, const sm_cord_op *op, uint32_t *step, sm_at_cmd *cmd)
{
    const sm_cord_opdef *d = sm_cord_def(op->kind);
    sm_buf b;
    int rc;
    for (;;) {
        sm_buf_init(&b, c->text, sizeof c->text);
        memset(cmd, 0, sizeof *cmd);
        if (d->fmt && *step) return SM_CORD_END;
        rc = SM_OK;
        if (d->fmt) sm_cord_format(&b, d->fmt, op);
        else rc = d->build(op, *step, c->file_id, &b, cmd);
        if (rc != SM_CORD_SKIP) break;
        ++*step;
    }
    if (rc == SM_OK) rc = sm_buf_finish(&b);
    if (rc == SM_ERR_NO_SPACE) return SM_ERR_PARAM; /* an argument too long for SM_QUEUE_TEXT */
    if (rc) return rc;
    if ((d->extra & SM_CORD_C_SEND) && op->src) {
        cmd->flags = SM_AT_F_INLINE; /* AT+send=<id>,0,<n>,<n bytes> */
        cmd->payload = (const uint8_t *)op->src;
        cmd->payload_len = op->len;
    }
    if ((d->extra & SM_CORD_C_RECV) && op->dst) {
        cmd->flags = SM_AT_F_RAW_AFTER(3); /* +recv:<id>,0,<n>,<n raw bytes> */
        cmd->raw_buf = op->dst;
        cmd->raw_cap = op->len;
    }
    if (d->extra & SM_CORD_C_LIST) cmd->on_line = sm_cord_list_line;
    if ((d->extra & (SM_CORD_C_SEND | SM_CORD_C_RECV)) && !cmd->flags) return SM_ERR_PARAM;
    cmd->text = c->text;
    if (!cmd->prefix) cmd->prefix = d->prefix;
    cmd->timeout_ms = sm_cord_timeout(d->timeout);
    return SM_OK;
}

/* Checks every argument of a new operation by building its commands (the
   first 64: later ones differ only in numbers). */
SM_PRIV int sm_cord_check_op(sm_cord *c, const sm_cord_op *op)
{
    sm_at_cmd cmd;
    uint32_t step, saved = c->file_id;
    int rc = SM_OK;
    c->file_id = 0;
    for (step = 0; step < 64u && rc == SM_OK; step++) rc = sm_cord_build(c, op, &step, &cmd);
    c->file_id = saved;
    return rc == SM_CORD_END ? SM_OK : rc;
}

/* What a result says beyond status and data: the setting concerned, the
   upload's stage, the text that goes with success. */
SM_PRIV void sm_cord_describe(const sm_cord *c, const sm_cord_op *op, sm_cord_result *res)
{
    uint32_t s = c->step;
    switch (op->kind) {
    case SM_CORD_OP_GET:
    case SM_CORD_OP_SET:
        res->group = op->s1;
        res->key = op->s2;
        break;
    case SM_CORD_OP_MQTT_CONFIG:
        if (s < SM_CORD_N_MQTT && res->status) {
            res->group = sm_cord_mqtt_settings[s].group;
            res->key = sm_cord_mqtt_settings[s].key;
        }
        break;
    case SM_CORD_OP_SOCKET_TLS:
        if (s < SM_CORD_N_TLS && res->status) {
            res->group = sm_cord_tls_options[s].group;
            res->key = sm_cord_tls_options[s].key;
        }
        break;
    case SM_CORD_OP_FILE_UPLOAD:
        res->stage = (uint8_t)(s == 0 ? 0 : s <= sm_cord_chunks(op->len, SM_CORD_FILE_CHUNK) ? 1
                                                                                       : 2);
        break;
    case SM_CORD_OP_WLAN_CONNECT:
        if (!res->status) res->text = c->state.ipv4;
        break;
    case SM_CORD_OP_REBOOT:
    case SM_CORD_OP_FACTORY_RESET:
        if (!res->status) res->text = c->state.version;
        break;
    default:
        break;
    }
}

SM_PRIV void sm_cord_res_init(sm_cord_result *res)
{
    memset(res, 0, sizeof *res);
    res->code = SM_AT_NO_CODE;
}

/* Takes the head operation off the queue and reports it. */
SM_PRIV void sm_cord_pop_report(sm_cord *c, sm_cord_result *res)
{
    sm_cord_op op = c->ops[0];
    memmove(&c->ops[0], &c->ops[1], sizeof c->ops[0] * (size_t)(c->n_ops - 1u));
    c->n_ops--;
    res->id = (int)op.id;
    res->op = (sm_cord_op_kind)op.kind;
    c->recent_id[c->recent_next] = op.id;
    c->recent_status[c->recent_next] = (int8_t)res->status;
    c->recent_next = (uint8_t)((c->recent_next + 1u) % SM_CORD_OPS);
    if (!op.done) return;
    c->in_cb++;
    op.done(op.ctx, c, res);
    c->in_cb--;
}

/* Ends the running operation with res; the next one starts from poll. */
SM_PRIV void sm_cord_finish(sm_cord *c, sm_cord_result *res)
{
    sm_cord_describe(c, &c->ops[0], res);
    res->value = c->value;
    res->len = c->done_len;
    c->phase = SM_CORD_PH_IDLE;
    c->at_id = 0;
    sm_cord_pop_report(c, res);
}

SM_PRIV void sm_cord_end(sm_cord *c, int status, int32_t code, const char *text)
{
    sm_cord_result res;
    if (!c->n_ops) return;
    sm_cord_res_init(&res);
    res.status = status;
    res.code = code;
    res.err_text = text;
    sm_cord_finish(c, &res);
}

/* The running operation's command is answered OK: on to the next step (or
   the end, reported at once when there is none), the event wait, or the
   end. */
SM_PRIV void sm_cord_after_ok(sm_cord *c, int rc, sm_cord_result *res)
{
    if (rc == SM_CORD_NEXT) {
        c->step++;
        c->phase = SM_CORD_PH_DUE;
        sm_cord_submit(c);
        return;
    }
    if (rc == SM_CORD_WAIT) {
        if (c->early) { /* the event came first */
            c->early = 0;
            sm_cord_end(c, c->early_status, c->early_code, c->ev_text[0] ? c->ev_text : NULL);
            return;
        }
        c->phase = SM_CORD_PH_WAIT;
        c->deadline = sm_at_now(&c->at) + sm_cord_wait_ms(sm_cord_awaits(c));
        return;
    }
    res->status = rc == SM_CORD_FINISH ? (int)SM_OK : rc;
    sm_cord_finish(c, res);
}

/* The upload failed after its open: close the file anyway, in the
   background (the failure is reported at once). */
SM_PRIV void sm_cord_close_behind(sm_cord *c)
{
    sm_buf b;
    sm_at_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    sm_buf_init(&b, c->text, sizeof c->text);
    sm_cord_put_close(&b, c->file_id);
    if (sm_buf_finish(&b) != SM_OK) return;
    cmd.text = c->text;
    cmd.prefix = SM_CORD_NO_INFO;
    cmd.timeout_ms = (uint32_t)SM_CORD_TIMEOUT_MS;
    (void)sm_at_submit(&c->at, &cmd);
}

/* The engine's completion of the running operation's command. */
SM_PRIV void sm_cord_at_done(void *ctx, const sm_at_response *r)
{
    sm_cord *c = (sm_cord *)ctx;
    const sm_cord_op *op = &c->ops[0];
    sm_cord_result res;
    size_t chunks;
    if (!c->n_ops || c->phase != SM_CORD_PH_CMD || r->id != c->at_id) return; /* cancelled */
    c->at_id = 0;
    sm_cord_res_init(&res);
    if (r->result == SM_AT_OK) {
        const sm_cord_opdef *d = sm_cord_def(op->kind);
        sm_cord_after_ok(c, d->on_ok ? d->on_ok(c, r, &res) : SM_CORD_NEXT, &res);
        return;
    }
    if (r->result == SM_AT_REBOOT && sm_cord_awaits(c) == SM_CORD_W_STARTUP) {
        sm_cord_after_ok(c, SM_CORD_WAIT, &res); /* the +eventstartup being read ends it */
        return;
    }
    chunks = sm_cord_chunks(op->len, SM_CORD_FILE_CHUNK);
    if (op->kind == SM_CORD_OP_FILE_UPLOAD && c->step >= 1u && c->step <= chunks &&
        r->result != SM_AT_REBOOT)
        sm_cord_close_behind(c);
    res.status = sm_at_result_status(r->result);
    res.code = r->code;
    res.err_text = r->err_text;
    sm_cord_finish(c, &res);
}

/* Queues the running operation's next command. */
SM_PRIV void sm_cord_submit(sm_cord *c)
{
    sm_at_cmd cmd;
    int rc = sm_cord_build(c, &c->ops[0], &c->step, &cmd);
    if (rc == SM_CORD_END) { sm_cord_end(c, SM_OK, SM_AT_NO_CODE, NULL); return; }
    if (rc == SM_OK) {
        cmd.on_done = sm_cord_at_done;
        cmd.ctx = c;
        rc = sm_at_submit(&c->at, &cmd);
        if (rc == SM_ERR_QUEUE_FULL) return; /* still due: the next poll retries */
        if (rc > 0) {
            c->at_id = (uint16_t)rc;
            c->phase = SM_CORD_PH_CMD;
            return;
        }
    }
    sm_cord_end(c, rc, SM_AT_NO_CODE, NULL);
}

/* Starts or continues the operations that are due. Bounded: each turn
   either queues a command or ends an operation. */
SM_PRIV void sm_cord_kick(sm_cord *c)
{
    while (c->n_ops && (c->phase == SM_CORD_PH_IDLE || c->phase == SM_CORD_PH_DUE)) {
        uint8_t n = c->n_ops;
        if (c->phase == SM_CORD_PH_IDLE) {
            c->step = 0;
            c->early = 0;
            c->file_id = 0;
            c->value = 0;
            c->done_len = 0;
            c->bad_lines = 0;
            c->ev_text[0] = '\0';
            if (c->ops[0].kind == SM_CORD_OP_CONNECT) c->connect_sock = (int8_t)c->ops[0].n1;
            c->phase = SM_CORD_PH_DUE;
        }
        sm_cord_submit(c);
        if (c->phase == SM_CORD_PH_DUE && c->n_ops == n) return; /* queue full: later */
    }
}

/* Common part of the start functions: check, then queue. */
SM_PRIV int sm_cord_start(sm_cord *c, sm_cord_op *op, sm_cord_done_fn done, void *ctx)
{
    int rc;
    if (!c) return SM_ERR_PARAM;
    if (c->n_ops >= SM_CORD_OPS) return SM_ERR_QUEUE_FULL;
    rc = sm_cord_check_op(c, op);
    if (rc) return rc;
    op->done = done;
    op->ctx = ctx;
    op->id = c->next_id;
    c->next_id = (uint16_t)(c->next_id >= 0x7FFFu ? 1u : c->next_id + 1u);
    c->ops[c->n_ops++] = *op;
    return (int)op->id;
}

SM_PRIV void sm_cord_abort(sm_cord *c, int status)
{
    uint8_t n = c->n_ops;
    sm_cord_result res;
    c->phase = SM_CORD_PH_HOLD; /* a done callback that starts an operation only queues it */
    c->at_id = 0;
    sm_at_flush(&c->at, SM_AT_CANCELLED);
    while (n-- && c->n_ops) {
        sm_cord_res_init(&res);
        res.status = status;
        sm_cord_pop_report(c, &res);
    }
    c->phase = SM_CORD_PH_IDLE;
}

/* ---- public: module ------------------------------------------------------------- */
SECMODEM_API int sm_cord_init(sm_cord *c, const sm_platform *plat, sm_cord_event_fn on_event,
                              void *ctx)
{
    int rc;
    if (!c) return SM_ERR_PARAM;
    memset(c, 0, sizeof *c);
    rc = sm_at_init(&c->at, plat, sm_cord_dialect());
    if (rc) return rc;
    sm_at_add_urcs(&c->at, sm_cord_events, sizeof sm_cord_events / sizeof sm_cord_events[0], c);
    sm_at_on_unhandled(&c->at, sm_cord_ev_other, c);
    c->on_event = on_event;
    c->event_ctx = ctx;
    c->next_id = 1;
    c->connect_sock = -1;
    return SM_OK;
}

SECMODEM_API int sm_cord_poll(sm_cord *c)
{
    int rc;
    if (!c) return SM_ERR_PARAM;
    if (c->at.in_callback || c->in_cb) return SM_ERR_BUSY;
    sm_cord_kick(c);
    rc = sm_at_poll(&c->at);
    if (c->phase == SM_CORD_PH_WAIT && sm_time_reached(sm_at_now(&c->at), c->deadline))
        sm_cord_end(c, SM_ERR_TIMEOUT, SM_AT_NO_CODE, NULL);
    sm_cord_kick(c);
    return rc;
}

SECMODEM_API int sm_cord_feed(sm_cord *c, const uint8_t *data, size_t len)
{
    if (!c) return SM_ERR_PARAM;
    return sm_at_feed(&c->at, data, len);
}

SECMODEM_API int sm_cord_pending(const sm_cord *c, int id)
{
    uint8_t i;
    for (i = 0; c && i < c->n_ops; i++)
        if ((int)c->ops[i].id == id) return 1;
    return 0;
}

SECMODEM_API int sm_cord_wait(sm_cord *c, int id)
{
    uint8_t i;
    if (!c || id <= 0) return SM_ERR_PARAM;
    if (c->at.in_callback || c->in_cb) return SM_ERR_BUSY;
    while (sm_cord_pending(c, id))
        if (sm_cord_poll(c) == SM_ERR_IO) sm_cord_abort(c, SM_ERR_IO);
    for (i = 0; i < SM_CORD_OPS; i++)
        if ((int)c->recent_id[i] == id) return c->recent_status[i];
    return SM_ERR_PARAM;
}

SECMODEM_API int sm_cord_busy(const sm_cord *c) { return c ? c->n_ops : 0; }

SECMODEM_API void sm_cord_cancel(sm_cord *c)
{
    if (c) sm_cord_abort(c, SM_ERR_CANCELLED);
}

SECMODEM_API const sm_cord_state *sm_cord_get_state(const sm_cord *c) { return &c->state; }

SECMODEM_API sm_at *sm_cord_at(sm_cord *c) { return &c->at; }

SECMODEM_API const char *sm_cord_event_name(sm_cord_event_kind kind)
{
    static const char *const names[] = {
        "startup", "wlan connected", "wlan disconnected", "ip acquired", "mqtt info",
        "mqtt error", "mqtt recv", "socket connected", "socket data", "socket closed",
        "socket tx failed", "fatal error", "unhandled"
    };
    unsigned i = (unsigned)kind - 1u;
    return i < sizeof names / sizeof names[0] ? names[i] : "?";
}

SECMODEM_API const char *sm_cord_op_name(sm_cord_op_kind op)
{
    static const char *const names[] = {
        "test",
        "reboot",
        "factory reset",
        "get",
        "set",
        "mqtt config",
        "wlan connect",
        "wlan disconnect",
        "file open",
        "file write",
        "file read",
        "file close",
        "file delete",
        "file info",
        "file list",
        "file upload",
        "socket",
        "socket tls",
        "connect",
        "send",
        "recv",
        "close",
        "mqtt connect",
        "mqtt disconnect",
        "publish"
    };
    unsigned i = (unsigned)op - 1u;
    return i < sizeof names / sizeof names[0] ? names[i] : "?";
}

/* ---- public: operations ---------------------------------------------------------- */
SM_PRIV int sm_cord_start_kind(sm_cord *c, uint8_t kind, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.kind = kind;
    return sm_cord_start(c, &op, done, ctx);
}

SECMODEM_API int sm_cord_test(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_kind(c, SM_CORD_OP_TEST, done, ctx);
}

SECMODEM_API int sm_cord_reboot(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_kind(c, SM_CORD_OP_REBOOT, done, ctx);
}

SECMODEM_API int sm_cord_factory_reset(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_kind(c, SM_CORD_OP_FACTORY_RESET, done, ctx);
}

SECMODEM_API int sm_cord_get(sm_cord *c, const char *group, const char *key,
                             sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.kind = SM_CORD_OP_GET;
    op.s1 = group;
    op.s2 = key;
    return sm_cord_start(c, &op, done, ctx);
}

SM_PRIV int sm_cord_start_set(sm_cord *c, const char *group, const char *key, uint8_t type,
                              const char *s, uint32_t v, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.kind = SM_CORD_OP_SET;
    op.sub = type;
    op.s1 = group;
    op.s2 = key;
    op.s3 = s;
    op.n1 = v;
    return sm_cord_start(c, &op, done, ctx);
}

SECMODEM_API int sm_cord_set_str(sm_cord *c, const char *group, const char *key,
                                 const char *value, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_set(c, group, key, SM_CORD_V_STR, value, 0, done, ctx);
}

SECMODEM_API int sm_cord_set_int(sm_cord *c, const char *group, const char *key,
                                 int32_t value, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_set(c, group, key, SM_CORD_V_I32, NULL, (uint32_t)value, done, ctx);
}

SECMODEM_API int sm_cord_set_bool(sm_cord *c, const char *group, const char *key, int value,
                                  sm_cord_done_fn done, void *ctx)
{
    if (value != 0 && value != 1) return SM_ERR_PARAM;
    return sm_cord_start_set(c, group, key, SM_CORD_V_B8, NULL, (uint32_t)value, done, ctx);
}

SECMODEM_API void sm_cord_mqtt_config_init(sm_cord_mqtt_config *cfg)
{
    int i;
    memset(cfg, 0, sizeof *cfg); /* strings NULL */
    cfg->port = cfg->keep_alive_s = SM_CORD_UNSET;
    cfg->tls1_3 = cfg->clean_session = cfg->will_qos = cfg->will_retain = SM_CORD_UNSET;
    for (i = 0; i < 4; i++) {
        cfg->sub[i].qos = cfg->sub[i].retain = SM_CORD_UNSET;
        cfg->pub[i].qos = cfg->pub[i].retain = SM_CORD_UNSET;
    }
}

SECMODEM_API int sm_cord_mqtt_configure(sm_cord *c, const sm_cord_mqtt_config *cfg,
                                        sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    if (!cfg) return SM_ERR_PARAM;
    memset(&op, 0, sizeof op);
    op.kind = SM_CORD_OP_MQTT_CONFIG;
    op.src = cfg;
    return sm_cord_start(c, &op, done, ctx);
}

SECMODEM_API int sm_cord_wlan_connect(sm_cord *c, const char *ssid, sm_cord_security security,
                                      const char *key, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.kind = SM_CORD_OP_WLAN_CONNECT;
    op.s1 = ssid;
    op.s2 = key;
    op.n1 = (uint32_t)security;
    return sm_cord_start(c, &op, done, ctx);
}

SECMODEM_API int sm_cord_wlan_disconnect(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_kind(c, SM_CORD_OP_WLAN_DISCONNECT, done, ctx);
}

SM_PRIV int sm_cord_start_file(sm_cord *c, uint8_t kind, const char *name, uint32_t n1,
                               uint32_t n2, const void *src, uint8_t *dst, size_t len,
                               sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.kind = kind;
    op.s1 = name;
    op.n1 = n1;
    op.n2 = n2;
    op.src = src;
    op.dst = dst;
    op.len = len;
    return sm_cord_start(c, &op, done, ctx);
}

SECMODEM_API int sm_cord_file_open(sm_cord *c, const char *name, unsigned flags,
                                   uint32_t max_size, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_FILE_OPEN, name, flags, max_size, NULL, NULL, 0,
                              done, ctx);
}

SECMODEM_API int sm_cord_file_write(sm_cord *c, uint32_t file_id, uint32_t offset,
                                    const uint8_t *data, size_t len, sm_cord_done_fn done,
                                    void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_FILE_WRITE, NULL, file_id, offset, data, NULL, len,
                              done, ctx);
}

SECMODEM_API int sm_cord_file_read(sm_cord *c, uint32_t file_id, uint32_t offset, uint8_t *buf,
                                   size_t len, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_FILE_READ, NULL, file_id, offset, NULL, buf, len,
                              done, ctx);
}

SECMODEM_API int sm_cord_file_close(sm_cord *c, uint32_t file_id, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_FILE_CLOSE, NULL, file_id, 0, NULL, NULL, 0, done,
                              ctx);
}

SECMODEM_API int sm_cord_file_delete(sm_cord *c, const char *name, sm_cord_done_fn done,
                                     void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_FILE_DELETE, name, 0, 0, NULL, NULL, 0, done, ctx);
}

SECMODEM_API int sm_cord_file_get_info(sm_cord *c, const char *name, sm_cord_done_fn done,
                                       void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_FILE_INFO, name, 0, 0, NULL, NULL, 0, done, ctx);
}

SECMODEM_API int sm_cord_file_list(sm_cord *c, sm_cord_entry_fn on_entry, sm_cord_done_fn done,
                                   void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.kind = SM_CORD_OP_FILE_LIST;
    op.on_entry = on_entry;
    return sm_cord_start(c, &op, done, ctx);
}

SECMODEM_API int sm_cord_file_upload(sm_cord *c, const char *name, const uint8_t *data,
                                     size_t len, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_FILE_UPLOAD, name, 0, 0, data, NULL, len, done, ctx);
}

SECMODEM_API int sm_cord_socket(sm_cord *c, int secure, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_SOCKET, NULL, secure != 0, 0, NULL, NULL, 0, done,
                              ctx);
}

/* A socket id: 0..15, anything else becomes out of range. */
SM_PRIV uint32_t sm_cord_sock_id(int sock)
{
    return sock >= 0 && sock <= 15 ? (uint32_t)sock : 99u;
}

SECMODEM_API int sm_cord_socket_tls(sm_cord *c, int sock, const sm_cord_tls *opts,
                                    sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_SOCKET_TLS, NULL, sm_cord_sock_id(sock), 0, opts,
                              NULL, 0, done, ctx);
}

SECMODEM_API int sm_cord_connect(sm_cord *c, int sock, uint16_t port, const char *address,
                                 sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_CONNECT, address, sm_cord_sock_id(sock), port, NULL,
                              NULL, 0, done, ctx);
}

SECMODEM_API int sm_cord_send(sm_cord *c, int sock, const uint8_t *data, size_t len,
                              sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_SEND, NULL, sm_cord_sock_id(sock), 0, data, NULL, len,
                              done, ctx);
}

SECMODEM_API int sm_cord_recv(sm_cord *c, int sock, uint8_t *buf, size_t cap,
                              sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_RECV, NULL, sm_cord_sock_id(sock), 0, NULL, buf, cap,
                              done, ctx);
}

SECMODEM_API int sm_cord_close(sm_cord *c, int sock, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_CLOSE, NULL, sm_cord_sock_id(sock), 0, NULL, NULL, 0,
                              done, ctx);
}

SECMODEM_API int sm_cord_mqtt_connect(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_kind(c, SM_CORD_OP_MQTT_CONNECT, done, ctx);
}

SECMODEM_API int sm_cord_mqtt_disconnect(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_kind(c, SM_CORD_OP_MQTT_DISCONNECT, done, ctx);
}

SECMODEM_API int sm_cord_mqtt_publish(sm_cord *c, int topic, const char *payload,
                                      sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, SM_CORD_OP_PUBLISH, payload, topic >= 0 && topic <= 3 ?
                              (uint32_t)topic : 99u, 0, NULL, NULL, 0, done, ctx);
}
#endif /* SM_NO_CORDELIA */

#ifdef __cplusplus
}
#endif
#endif /* SECMODEM_IMPLEMENTATION */

/*
   ==========================================================================
   VERSION HISTORY
     0.1.0  (2026-11) AT engine core: queue, prompts, raw payloads, URCs,
            timeouts, string checks, field parser.
            Cordelia-I dialect (sm_cord_*): events, settings, MQTT settings,
            Wi-Fi, file system with chunked upload and Base64 read, TLS
            sockets, on-module MQTT; engine: raw data inline in a response
            line (SM_AT_F_RAW_AFTER); utilities: Base64, sm_parse_u32.

   ==========================================================================
   LICENCE (MIT)
   Copyright (c) 2026 the secmodem authors

   Permission is hereby granted, free of charge, to any person obtaining a
   copy of this software and associated documentation files (the
   "Software"), to deal in the Software without restriction, including
   without limitation the rights to use, copy, modify, merge, publish,
   distribute, sublicense, and/or sell copies of the Software, and to permit
   persons to whom the Software is furnished to do so, subject to the
   following conditions:

   The above copyright notice and this permission notice shall be included
   in all copies or substantial portions of the Software.

   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
   OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
   MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
   NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
   DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
   OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
   USE OR OTHER DEALINGS IN THE SOFTWARE.
*/
