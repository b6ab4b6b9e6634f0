/* secmodem.h - v0.1.0 - secure sockets through an AT modem, in one header.

   secmodem drives an AT-command modem (Sequans Monarch GM02S, Würth
   Cordelia-I, or any 3GPP-style modem) from a microcontroller: a non-blocking
   AT engine with a command queue, URC dispatch, data prompts and binary
   payloads, without heap, without global state and without ever blocking the
   caller's main loop. Every modem instance lives in a struct that you own.
   MQTT 3.1.1 framing (section 10) encodes every packet a client sends and
   decodes, as a stream, every packet a server sends, with the standard's
   checks on both sides; it does no I/O of its own.

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
      10. MQTT 3.1.1 framing: packet encoders, streaming decoder
     Part II - implementation (only with SECMODEM_IMPLEMENTATION)
       6. Utilities
       7. AT engine: queue and transmit side
       8. AT engine: receive side (lines, prompts, raw payloads, dispatch)
       9. AT engine: dialects and blocking helper
      11. MQTT 3.1.1 framing (depends only on the utilities)
     Version history and licence (end of file)

   Later layers (Sequans and Cordelia-I dialects, ATECC608, MQTT session)
   are added after section 11, each depending only on the sections before
   it; each layer has a declarations section in Part I and an
   implementation section in Part II.

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
     SM_MQTT_RX_SIZE     [256]  MQTT decoder buffer (RAM per decoder): holds a
                                PUBLISH topic (at most SM_MQTT_RX_SIZE - 4
                                bytes) and its payload in pieces of the rest,
                                or a SUBACK (at most SM_MQTT_RX_SIZE - 2 codes)
     SM_ASSERT(x)        [assert(x)]  internal consistency checks
     SM_LOG(level, msg)  [nothing]    diagnostic messages: level 0 error, 1 warning,
                                      2 info, 3 debug; msg a string literal
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
#ifndef SM_MQTT_RX_SIZE
#define SM_MQTT_RX_SIZE 256
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
#if SM_MQTT_RX_SIZE < 16 || SM_MQTT_RX_SIZE > 65535
#error "SM_MQTT_RX_SIZE must be 16..65535"
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
    SM_ERR_TRUNCATED = -12,   /* a response did not fit its buffer */
    SM_ERR_MALFORMED = -13    /* the peer sent a malformed packet or broke the protocol */
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

/* ==========================================================================
   5. AT ENGINE
   One command on the wire at a time, others wait in a bounded queue. Bytes
   from the modem are cut into lines; each line is an echo (dropped), the
   final result of the command in flight, a response line of that command, or
   an unsolicited result (URC) handed to the registered URC tables. A data
   prompt ("> ") releases the command's payload; a response or URC handler
   can announce that N raw bytes follow (binary payload), which are then
   read by count, never scanned for line ends.
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

#ifndef SM_NO_MQTT
/* ==========================================================================
   10. MQTT 3.1.1 FRAMING (declarations)
   Pure functions, no I/O: encoders of every packet a client sends, and a
   streaming decoder of every packet a server sends, with the checks the
   OASIS MQTT 3.1.1 standard (2014) requires on both. Depends only on the
   utilities. The session (connect, keep-alive, in-flight table) is built on
   top of this and owns the byte stream.

   Encoders - one convention for all of them:
       int sm_mqtt_encode_X(uint8_t *buf, size_t cap, ..., size_t *len);
   *len always receives the size of the whole packet in bytes. The return
   is SM_OK when the packet was written to buf[0..*len); SM_ERR_NO_SPACE when
   cap < *len (nothing useful was written; buf may be NULL with cap 0 to ask
   for the size only; with a 16-bit size_t, *len is SIZE_MAX for a packet
   larger than that); SM_ERR_PARAM or SM_ERR_UNSAFE_STRING (then *len is 0)
   when the input breaks a rule of the standard or would need a remaining
   length above SM_MQTT_MAX_REMAINING. Strings are NUL-terminated
   C strings; they must be well-formed UTF-8 [MQTT-1.5.3-1] of at most
   65,535 bytes (a longer one is SM_ERR_PARAM). A NUL byte cannot be inside a
   C string, and its overlong form C0 80 is not well-formed UTF-8, so U+0000
   is refused too [MQTT-1.5.3-2].

   Decoder - a "next event" loop the caller runs over each received chunk:
       size_t used;
       while (n > 0) {
           int ev = sm_mqtt_decode(&dec, p, n, &used, &e);
           p += used; n -= used;
           if (ev < 0) { close the connection; break; }
           if (ev > 0) handle(&e);          // e.type == ev
       }
   Events are the same whatever the chunking (one byte at a time included):
   a PUBLISH is reported as one or more SM_MQTT_PUBLISH events, each carrying
   the topic and one piece of the payload, in order, with its offset and the
   total payload length; the pieces are as large as the decoder buffer
   allows, so a payload that fits is one event. Left to the session, which
   knows what it sent: session present against its clean-session flag
   [MQTT-3.2.2-1], packet ids against those in flight, and the number of
   SUBACK return codes against the filters subscribed [MQTT-3.9.3-1].
   ========================================================================== */

/* Control packet types (section 2.2.1); decoder events use the same values. */
enum {
    SM_MQTT_CONNECT = 1, SM_MQTT_CONNACK = 2, SM_MQTT_PUBLISH = 3, SM_MQTT_PUBACK = 4,
    SM_MQTT_PUBREC = 5, SM_MQTT_PUBREL = 6, SM_MQTT_PUBCOMP = 7, SM_MQTT_SUBSCRIBE = 8,
    SM_MQTT_SUBACK = 9, SM_MQTT_UNSUBSCRIBE = 10, SM_MQTT_UNSUBACK = 11,
    SM_MQTT_PINGREQ = 12, SM_MQTT_PINGRESP = 13, SM_MQTT_DISCONNECT = 14
};
/* CONNACK return codes (3.2.2.3) and the SUBACK failure code (3.9.3). */
enum {
    SM_MQTT_ACCEPTED = 0, SM_MQTT_REFUSED_PROTOCOL = 1, SM_MQTT_REFUSED_ID = 2,
    SM_MQTT_REFUSED_UNAVAILABLE = 3, SM_MQTT_REFUSED_CREDENTIALS = 4,
    SM_MQTT_REFUSED_NOT_AUTHORIZED = 5, SM_MQTT_SUBACK_FAILURE = 0x80
};
/* Kinds of string for sm_mqtt_check_string(). */
enum { SM_MQTT_STR_TEXT = 0, SM_MQTT_STR_TOPIC = 1, SM_MQTT_STR_FILTER = 2 };
/* Largest remaining length, 0xFF 0xFF 0xFF 0x7F on the wire (2.2.3). */
#define SM_MQTT_MAX_REMAINING ((uint32_t)268435455UL)

/* CONNECT options (3.1). NULL pointers mean "absent"; a non-NULL empty
   value is sent as present and empty. */
typedef struct sm_mqtt_connect_opts {
    const char *client_id;     /* required; "" only with clean_session [MQTT-3.1.3-7] */
    uint16_t keep_alive;       /* seconds; 0 disables the keep-alive */
    uint8_t clean_session;     /* 0 or 1 */
    const char *will_topic;    /* NULL: no will; else a topic name */
    const uint8_t *will_msg;   /* will payload (binary), may be NULL when empty */
    uint16_t will_msg_len;
    uint8_t will_qos;          /* 0..2; 0 without a will [MQTT-3.1.2-13] */
    uint8_t will_retain;       /* 0 or 1; 0 without a will [MQTT-3.1.2-15] */
    const char *username;      /* NULL: none */
    const uint8_t *password;   /* NULL: none; needs a username [MQTT-3.1.2-22] */
    uint16_t password_len;     /* binary data */
} sm_mqtt_connect_opts;

/* A PUBLISH to send (3.3). */
typedef struct sm_mqtt_publish {
    const char *topic;         /* topic name: non-empty, no '+' or '#' */
    const uint8_t *payload;    /* any bytes; may be NULL when payload_len is 0 */
    uint32_t payload_len;      /* 32 bits: may exceed size_t on 16-bit targets */
    uint16_t packet_id;        /* non-zero for QoS 1 and 2, unused for QoS 0 */
    uint8_t qos;               /* 0..2 */
    uint8_t retain;            /* 0 or 1 */
    uint8_t dup;               /* 1 only on a re-send with QoS > 0 [MQTT-3.3.1-2] */
} sm_mqtt_publish;

/* Checks a NUL-terminated string as MQTT would carry it: kind
   SM_MQTT_STR_TEXT (well-formed UTF-8, at most 65,535 bytes),
   SM_MQTT_STR_TOPIC (also non-empty, no wildcard) or SM_MQTT_STR_FILTER
   (non-empty, '#' only last and alone in its level, '+' alone in its
   level). SM_OK, SM_ERR_UNSAFE_STRING, or SM_ERR_PARAM (NULL or too long). */
SECMODEM_API int sm_mqtt_check_string(const char *s, unsigned kind);

/* CONNECT with protocol name "MQTT", level 4. */
SECMODEM_API int sm_mqtt_encode_connect(uint8_t *buf, size_t cap, const sm_mqtt_connect_opts *o,
                                        size_t *len);
/* The whole PUBLISH packet, payload copied in. */
SECMODEM_API int sm_mqtt_encode_publish(uint8_t *buf, size_t cap, const sm_mqtt_publish *p,
                                        size_t *len);
/* The PUBLISH packet without its payload: fixed header (whose remaining
   length counts p->payload_len), topic and packet id. The caller sends
   p->payload_len payload bytes right after these *len bytes; p->payload is
   not read. *len is the header size only. */
SECMODEM_API int sm_mqtt_encode_publish_header(uint8_t *buf, size_t cap, const sm_mqtt_publish *p,
                                               size_t *len);
/* PUBACK, PUBREC, PUBREL or PUBCOMP (type SM_MQTT_PUBACK..SM_MQTT_PUBCOMP)
   for a non-zero packet id; PUBREL gets its fixed flags 0b0010. */
SECMODEM_API int sm_mqtt_encode_ack(uint8_t *buf, size_t cap, unsigned type, uint16_t packet_id,
                                    size_t *len);
/* SUBSCRIBE: count >= 1 topic filters, each with its requested QoS 0..2. */
SECMODEM_API int sm_mqtt_encode_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id,
                                          const char *const *filters, const uint8_t *qos,
                                          size_t count, size_t *len);
/* UNSUBSCRIBE: count >= 1 topic filters. */
SECMODEM_API int sm_mqtt_encode_unsubscribe(uint8_t *buf, size_t cap, uint16_t packet_id,
                                            const char *const *filters, size_t count, size_t *len);
/* PINGREQ (C0 00) and DISCONNECT (E0 00). */
SECMODEM_API int sm_mqtt_encode_pingreq(uint8_t *buf, size_t cap, size_t *len);
SECMODEM_API int sm_mqtt_encode_disconnect(uint8_t *buf, size_t cap, size_t *len);

/* One decoded packet, or one payload piece of a PUBLISH. Pointers point
   into the decoder and stay valid until the next sm_mqtt_decode() or
   sm_mqtt_decoder_reset() on it. Fields a type does not use are 0/NULL. */
typedef struct sm_mqtt_event {
    uint8_t type;              /* SM_MQTT_CONNACK, SM_MQTT_PUBLISH, ... */
    uint8_t session_present;   /* CONNACK */
    uint8_t return_code;       /* CONNACK: SM_MQTT_ACCEPTED, SM_MQTT_REFUSED_* */
    uint8_t qos, retain, dup;  /* PUBLISH */
    uint16_t packet_id;        /* PUBLISH QoS>0, PUB*, SUBACK, UNSUBACK */
    const char *topic;         /* PUBLISH: NUL-terminated, topic_len bytes */
    size_t topic_len;
    const uint8_t *data;       /* PUBLISH: this payload piece; SUBACK: return codes */
    size_t data_len;
    uint32_t offset;           /* PUBLISH: where this piece starts in the payload */
    uint32_t total;            /* PUBLISH: whole payload length; the last piece has
                                  offset + data_len == total */
} sm_mqtt_event;

/* The streaming decoder. Treat the fields as private. */
typedef struct sm_mqtt_decoder {
    uint8_t buf[SM_MQTT_RX_SIZE]; /* variable header, topic, SUBACK codes, payload piece */
    size_t have, want;         /* bytes in buf; bytes wanted there before the next step */
    size_t pay;                /* PUBLISH: where payload pieces start in buf */
    uint32_t remaining;        /* remaining length of the packet */
    uint32_t offset;           /* PUBLISH: payload bytes already reported */
    uint16_t packet_id;
    uint8_t first;             /* byte 1 of the packet: type and flags */
    uint8_t state;             /* SM_MQTT_RX_* (implementation) */
    uint8_t len_bytes;         /* remaining-length bytes read */
    int err;                   /* latched error; SM_OK while healthy */
} sm_mqtt_decoder;

/* (Re)starts a decoder: before first use, and after an error once the
   connection was closed and a new one opened. */
SECMODEM_API void sm_mqtt_decoder_reset(sm_mqtt_decoder *d);
/* Consumes data[0..len) up to the end of the next event. *used receives the
   bytes consumed. Returns the event type (> 0, *ev filled), 0 when all len
   bytes were consumed without completing an event, or an error:
   SM_ERR_MALFORMED (the server broke the standard: close the connection
   [MQTT-4.8.0-1]), SM_ERR_NO_SPACE (a PUBLISH topic longer than
   SM_MQTT_RX_SIZE - 4 bytes, or a SUBACK with more than SM_MQTT_RX_SIZE - 2
   return codes), SM_ERR_PARAM (a NULL argument). Errors other
   than SM_ERR_PARAM are latched: every later call returns them with
   *used = 0 until sm_mqtt_decoder_reset(). */
SECMODEM_API int sm_mqtt_decode(sm_mqtt_decoder *d, const uint8_t *data, size_t len, size_t *used,
                                sm_mqtt_event *ev);
#endif /* SM_NO_MQTT */

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
    case SM_ERR_MALFORMED: return "malformed packet from the peer";
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

#ifndef SM_NO_MQTT
/* ==========================================================================
   11. MQTT 3.1.1 FRAMING
   Encoders check every field and size the packet first, then write it in
   one pass. The decoder takes the fixed header byte by byte (first byte,
   remaining length) and copies the rest into its buffer in runs: a whole
   short packet, or a PUBLISH's topic length, then its variable header, then
   payload pieces. Section numbers and [MQTT-x.y.z-n] tags refer to the
   OASIS MQTT 3.1.1 standard.
   ========================================================================== */

/* ---- strings and topics (1.5.3, 4.7) ------------------------------------ */

/* Checks n bytes as an MQTT string of the given kind (SM_MQTT_STR_*). '+'
   and '#' are ASCII, so s[i - 1] is the whole previous character. */
SM_PRIV int sm_mqtt_check_bytes(const uint8_t *s, size_t n, unsigned kind)
{
    size_t i = 0, k;
    if (kind != SM_MQTT_STR_TEXT && n == 0) return SM_ERR_UNSAFE_STRING; /* [MQTT-4.7.3-1] */
    while (i < n) {
        uint8_t c = s[i];
        if (c == 0) return SM_ERR_UNSAFE_STRING;                          /* [MQTT-1.5.3-2] */
        if ((c == '+' || c == '#') && kind != SM_MQTT_STR_TEXT) {
            if (kind == SM_MQTT_STR_TOPIC) return SM_ERR_UNSAFE_STRING;   /* [MQTT-3.3.2-2] */
            if (i > 0 && s[i - 1] != '/') return SM_ERR_UNSAFE_STRING;    /* [MQTT-4.7.1-2, -3] */
            if (c == '#' && i + 1 != n) return SM_ERR_UNSAFE_STRING;      /* last [MQTT-4.7.1-2] */
            if (c == '+' && i + 1 != n && s[i + 1] != '/')
                return SM_ERR_UNSAFE_STRING;                              /* [MQTT-4.7.1-3] */
        }
        k = sm_utf8_seq_len(s + i, n - i);                                /* [MQTT-1.5.3-1] */
        if (k == 0) return SM_ERR_UNSAFE_STRING;
        i += k;
    }
    return SM_OK;
}

/* Measures (at most 65,535 bytes, 1.5.3) and checks a C string. The count
   is 32-bit so that the bound is meaningful with a 16-bit size_t. */
SM_PRIV int sm_mqtt_str_len(const char *s, unsigned kind, size_t *n)
{
    uint32_t i;
    *n = 0;
    if (!s) return SM_ERR_PARAM;
    for (i = 0; i <= 0xFFFFUL && s[i]; i++) {}
    if (i > 0xFFFFUL) return SM_ERR_PARAM;
    *n = (size_t)i;
    return sm_mqtt_check_bytes((const uint8_t *)s, *n, kind);
}

SECMODEM_API int sm_mqtt_check_string(const char *s, unsigned kind)
{
    size_t n;
    if (kind > SM_MQTT_STR_FILTER) return SM_ERR_PARAM;
    return sm_mqtt_str_len(s, kind, &n);
}

/* ---- encoders ------------------------------------------------------------ */

SM_PRIV uint8_t *sm_mqtt_put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

/* A 2-byte length, then the bytes (1.5.3 strings, 3.1.3 binary fields). */
SM_PRIV uint8_t *sm_mqtt_put_bytes(uint8_t *p, const void *s, size_t n)
{
    p = sm_mqtt_put16(p, (unsigned)n);
    if (n) memcpy(p, s, n);
    return p + n;
}

SM_PRIV uint8_t *sm_mqtt_put_str(uint8_t *p, const char *s)
{
    return sm_mqtt_put_bytes(p, s, strlen(s));
}

/* Sizes a packet of remaining length rl, of which the caller sends the last
   `tail` bytes itself (a PUBLISH payload), and writes the fixed header
   (2.2) when the rest fits in buf[cap]. Returns where the variable header
   goes, or NULL with *rc set. */
SM_PRIV uint8_t *sm_mqtt_begin(uint8_t *buf, size_t cap, unsigned first, uint32_t rl,
                               uint32_t tail, size_t *len, int *rc)
{
    uint32_t total;
    size_t i = 1;
    if (rl > SM_MQTT_MAX_REMAINING) { *rc = SM_ERR_PARAM; return NULL; } /* 2.2.3 */
    total = 1u + (rl < 128u ? 1u : rl < 16384u ? 2u : rl < 2097152UL ? 3u : 4u) + rl - tail;
    *len = (size_t)total;
    if ((uint32_t)*len != total) *len = (size_t)-1; /* more than a 16-bit size_t holds */
    if (!buf || *len > cap || *len == (size_t)-1) { *rc = SM_ERR_NO_SPACE; return NULL; }
    buf[0] = (uint8_t)first;
    do { /* 7 bits per byte, least significant first, bit 7 = more (2.2.3) */
        buf[i++] = (uint8_t)((rl & 0x7Fu) | (rl > 0x7Fu ? 0x80u : 0u));
        rl >>= 7;
    } while (rl);
    *rc = SM_OK;
    return buf + i;
}

SM_PRIV int sm_mqtt_encode_empty(uint8_t *buf, size_t cap, unsigned first, size_t *len)
{
    int rc;
    if (!len) return SM_ERR_PARAM;
    (void)sm_mqtt_begin(buf, cap, first, 0, 0, len, &rc);
    return rc;
}

SECMODEM_API int sm_mqtt_encode_pingreq(uint8_t *buf, size_t cap, size_t *len)
{
    return sm_mqtt_encode_empty(buf, cap, 0xC0u, len); /* 3.12 */
}

SECMODEM_API int sm_mqtt_encode_disconnect(uint8_t *buf, size_t cap, size_t *len)
{
    return sm_mqtt_encode_empty(buf, cap, 0xE0u, len); /* 3.14 */
}

SECMODEM_API int sm_mqtt_encode_ack(uint8_t *buf, size_t cap, unsigned type, uint16_t packet_id,
                                    size_t *len)
{
    uint8_t *p;
    int rc;
    if (!len) return SM_ERR_PARAM;
    *len = 0;
    if (type < SM_MQTT_PUBACK || type > SM_MQTT_PUBCOMP) return SM_ERR_PARAM;
    if (packet_id == 0) return SM_ERR_PARAM; /* [MQTT-2.3.1-1] */
    /* PUBREL's fixed flags are 0b0010 [MQTT-3.6.1-1], the others' 0 */
    p = sm_mqtt_begin(buf, cap, (type << 4) | (type == SM_MQTT_PUBREL ? 2u : 0u), 2, 0, len, &rc);
    if (p) sm_mqtt_put16(p, packet_id);
    return rc;
}

/* A length-prefixed CONNECT payload field (3.1.3); p NULL: absent. */
typedef struct sm_mqtt_field {
    const void *p;
    size_t n;
} sm_mqtt_field;

/* Checks the CONNECT options (3.1.2, 3.1.3) and lists the payload fields in
   wire order (client id, will topic, will message, user name, password)
   with the connect flags that announce them (3.1.2.3; bit 0 reserved = 0
   [MQTT-3.1.2-3]). */
SM_PRIV int sm_mqtt_connect_fields(const sm_mqtt_connect_opts *o, sm_mqtt_field f[5],
                                   unsigned *flags)
{
    int rc = o ? sm_mqtt_str_len(o->client_id, SM_MQTT_STR_TEXT, &f[0].n) : SM_ERR_PARAM;
    if (rc) return rc;
    if (f[0].n == 0 && !o->clean_session) return SM_ERR_PARAM;     /* [MQTT-3.1.3-7] */
    f[0].p = o->client_id;
    *flags = o->clean_session ? 0x02u : 0u;
    if (o->will_topic) {
        /* the will is published to will_topic, so it is a topic name */
        rc = sm_mqtt_str_len(o->will_topic, SM_MQTT_STR_TOPIC, &f[1].n);
        if (rc) return rc;
        if (o->will_qos > 2) return SM_ERR_PARAM;                  /* [MQTT-3.1.2-14] */
        if (o->will_msg_len && !o->will_msg) return SM_ERR_PARAM;
        f[1].p = o->will_topic;
        f[2].p = o->will_msg ? (const void *)o->will_msg : (const void *)""; /* maybe empty */
        f[2].n = o->will_msg_len;
        *flags |= 0x04u | ((unsigned)o->will_qos << 3) | (o->will_retain ? 0x20u : 0u);
    } else if (o->will_qos || o->will_retain) {
        return SM_ERR_PARAM;                                       /* [MQTT-3.1.2-13, -15] */
    }
    if (o->username) {
        rc = sm_mqtt_str_len(o->username, SM_MQTT_STR_TEXT, &f[3].n);
        if (rc) return rc;
        f[3].p = o->username;
        *flags |= 0x80u;
    }
    if (o->password) {
        if (!o->username) return SM_ERR_PARAM;                     /* [MQTT-3.1.2-22] */
        f[4].p = o->password;
        f[4].n = o->password_len;
        *flags |= 0x40u;
    }
    return SM_OK;
}

SECMODEM_API int sm_mqtt_encode_connect(uint8_t *buf, size_t cap, const sm_mqtt_connect_opts *o,
                                        size_t *len)
{
    /* protocol name "MQTT" [MQTT-3.1.2-1] and level 4 [MQTT-3.1.2-2] */
    static const uint8_t head[7] = { 0, 4, 'M', 'Q', 'T', 'T', 4 };
    sm_mqtt_field f[5];
    uint32_t rl = 10; /* variable header (3.1.2) */
    unsigned flags = 0, i;
    uint8_t *p;
    int rc;
    if (!len) return SM_ERR_PARAM;
    *len = 0;
    memset(f, 0, sizeof f);
    rc = sm_mqtt_connect_fields(o, f, &flags);
    if (rc) return rc;
    for (i = 0; i < 5; i++)
        if (f[i].p) rl += 2u + (uint32_t)f[i].n;
    p = sm_mqtt_begin(buf, cap, 0x10u, rl, 0, len, &rc);
    if (!p) return rc;
    memcpy(p, head, sizeof head);
    p[7] = (uint8_t)flags;
    p = sm_mqtt_put16(p + 8, o->keep_alive);
    for (i = 0; i < 5; i++)
        if (f[i].p) p = sm_mqtt_put_bytes(p, f[i].p, f[i].n);
    return SM_OK;
}

/* Checks a PUBLISH (3.3); *rl gets its remaining length. */
SM_PRIV int sm_mqtt_check_publish(const sm_mqtt_publish *p, size_t *tlen, uint32_t *rl)
{
    int rc = p ? sm_mqtt_str_len(p->topic, SM_MQTT_STR_TOPIC, tlen) : SM_ERR_PARAM;
    if (rc) return rc;
    if (p->qos > 2) return SM_ERR_PARAM;                  /* [MQTT-3.3.1-4] */
    if (p->dup && p->qos == 0) return SM_ERR_PARAM;       /* [MQTT-3.3.1-2] */
    if (p->qos && p->packet_id == 0) return SM_ERR_PARAM; /* [MQTT-2.3.1-1] */
    if (p->payload_len > SM_MQTT_MAX_REMAINING) return SM_ERR_PARAM;
    *rl = 2u + (uint32_t)*tlen + (p->qos ? 2u : 0u) + p->payload_len; /* no wrap: both bounded */
    return SM_OK;
}

/* PUBLISH with its payload, or (with_payload 0) without it. */
SM_PRIV int sm_mqtt_encode_pub(uint8_t *buf, size_t cap, const sm_mqtt_publish *p, size_t *len,
                               int with_payload)
{
    size_t tlen = 0;
    uint32_t rl = 0;
    unsigned first;
    uint8_t *q;
    int rc;
    if (!len) return SM_ERR_PARAM;
    *len = 0;
    rc = sm_mqtt_check_publish(p, &tlen, &rl);
    if (rc) return rc;
    if (with_payload && p->payload_len && !p->payload) return SM_ERR_PARAM;
    /* 3.3.1: DUP bit 3, QoS bits 2..1, RETAIN bit 0 */
    first = 0x30u | (p->dup ? 8u : 0u) | ((unsigned)p->qos << 1) | (p->retain ? 1u : 0u);
    q = sm_mqtt_begin(buf, cap, first, rl, with_payload ? 0u : p->payload_len, len, &rc);
    if (!q) return rc;
    q = sm_mqtt_put_bytes(q, p->topic, tlen);
    if (p->qos) q = sm_mqtt_put16(q, p->packet_id);
    if (with_payload && p->payload_len) memcpy(q, p->payload, (size_t)p->payload_len);
    return SM_OK;
}

SECMODEM_API int sm_mqtt_encode_publish(uint8_t *buf, size_t cap, const sm_mqtt_publish *p,
                                        size_t *len)
{
    return sm_mqtt_encode_pub(buf, cap, p, len, 1);
}

SECMODEM_API int sm_mqtt_encode_publish_header(uint8_t *buf, size_t cap, const sm_mqtt_publish *p,
                                               size_t *len)
{
    return sm_mqtt_encode_pub(buf, cap, p, len, 0);
}

/* SUBSCRIBE (qos given) or UNSUBSCRIBE (qos NULL): packet id, then each
   filter with its requested QoS byte for SUBSCRIBE (3.8.3, 3.10.3). */
SM_PRIV int sm_mqtt_encode_filters(uint8_t *buf, size_t cap, unsigned first, uint16_t packet_id,
                                   const char *const *filters, const uint8_t *qos, size_t count,
                                   size_t *len)
{
    uint32_t rl = 2;
    size_t i, n;
    uint8_t *p;
    int rc;
    if (!len) return SM_ERR_PARAM;
    *len = 0;
    if (packet_id == 0) return SM_ERR_PARAM;             /* [MQTT-2.3.1-1] */
    if (count == 0 || !filters) return SM_ERR_PARAM;     /* [MQTT-3.8.3-3], [MQTT-3.10.3-2] */
    for (i = 0; i < count; i++) {
        rc = sm_mqtt_str_len(filters[i], SM_MQTT_STR_FILTER, &n);
        if (rc) return rc;
        if (qos && qos[i] > 2) return SM_ERR_PARAM;      /* [MQTT-3.8.3-4] */
        rl += 2u + (uint32_t)n + (qos ? 1u : 0u);
        if (rl > SM_MQTT_MAX_REMAINING) return SM_ERR_PARAM; /* also keeps rl from wrapping */
    }
    p = sm_mqtt_begin(buf, cap, first, rl, 0, len, &rc);
    if (!p) return rc;
    p = sm_mqtt_put16(p, packet_id);
    for (i = 0; i < count; i++) {
        p = sm_mqtt_put_str(p, filters[i]);
        if (qos) *p++ = qos[i];
    }
    return SM_OK;
}

SECMODEM_API int sm_mqtt_encode_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id,
                                          const char *const *filters, const uint8_t *qos,
                                          size_t count, size_t *len)
{
    if (!qos) {
        if (len) *len = 0;
        return SM_ERR_PARAM;
    }
    /* fixed flags 0b0010 [MQTT-3.8.1-1] */
    return sm_mqtt_encode_filters(buf, cap, 0x82u, packet_id, filters, qos, count, len);
}

SECMODEM_API int sm_mqtt_encode_unsubscribe(uint8_t *buf, size_t cap, uint16_t packet_id,
                                            const char *const *filters, size_t count, size_t *len)
{
    /* fixed flags 0b0010 [MQTT-3.10.1-1] */
    return sm_mqtt_encode_filters(buf, cap, 0xA2u, packet_id, filters, NULL, count, len);
}

/* ---- decoder ------------------------------------------------------------- */

enum {
    SM_MQTT_RX_TYPE = 0,  /* waiting for byte 1 */
    SM_MQTT_RX_LEN,       /* reading the remaining length */
    SM_MQTT_RX_BODY,      /* copying a whole non-PUBLISH body; states from here on copy */
    SM_MQTT_RX_TOPIC_LEN, /* PUBLISH: copying the topic length */
    SM_MQTT_RX_TOPIC,     /* PUBLISH: copying topic and packet id */
    SM_MQTT_RX_PAYLOAD    /* PUBLISH: copying a payload piece */
};

/* What a client accepts, by packet type: the fixed flags (2.2.2) in bits
   3..0 and the remaining-length rule in bits 7..4; 0xFF: a server never
   sends this type (2.2.1: reserved, or client-to-server only). */
enum {
    SM_MQTT_RL_0 = 0x00,       /* exactly 0 */
    SM_MQTT_RL_2 = 0x10,       /* exactly 2: the packet id, or CONNACK's two bytes */
    SM_MQTT_RL_SUBACK = 0x20,  /* packet id and at least one return code */
    SM_MQTT_RL_PUBLISH = 0x30  /* topic, packet id if QoS > 0, payload */
};

SM_PRIV unsigned sm_mqtt_rx_rule(unsigned type)
{
    static const uint8_t rules[16] = {
        0xFF, 0xFF, SM_MQTT_RL_2, SM_MQTT_RL_PUBLISH,          /* -, CONNECT, CONNACK, PUBLISH */
        SM_MQTT_RL_2, SM_MQTT_RL_2, SM_MQTT_RL_2 | 2, SM_MQTT_RL_2, /* PUBACK .. PUBCOMP */
        0xFF, SM_MQTT_RL_SUBACK, 0xFF, SM_MQTT_RL_2,           /* SUBSCRIBE .. UNSUBACK */
        0xFF, SM_MQTT_RL_0, 0xFF, 0xFF                         /* PINGREQ .. 15 */
    };
    return rules[type & 15u];
}

SECMODEM_API void sm_mqtt_decoder_reset(sm_mqtt_decoder *d)
{
    if (d) memset(d, 0, sizeof *d); /* state SM_MQTT_RX_TYPE, no error */
}

/* Byte 1: type and flags (2.2.1, 2.2.2, 3.3.1). */
SM_PRIV int sm_mqtt_rx_first(sm_mqtt_decoder *d, uint8_t b)
{
    unsigned rule = sm_mqtt_rx_rule((unsigned)b >> 4);
    if (rule == 0xFFu) return SM_ERR_MALFORMED;
    if (rule == SM_MQTT_RL_PUBLISH) {
        if ((b & 6u) == 6u) return SM_ERR_MALFORMED;   /* QoS 3 [MQTT-3.3.1-4] */
        if ((b & 0x0Eu) == 8u) return SM_ERR_MALFORMED; /* DUP with QoS 0 [MQTT-3.3.1-2] */
    } else if ((b & 0x0Fu) != (rule & 0x0Fu)) {
        return SM_ERR_MALFORMED;                        /* [MQTT-2.2.2-1, -2] */
    }
    d->first = b;
    d->remaining = 0;
    d->len_bytes = 0;
    d->state = SM_MQTT_RX_LEN;
    return 0;
}

/* Plans the next payload piece: what is left of the payload, as far as it
   fits after the topic. Returns the payload bytes left. */
SM_PRIV uint32_t sm_mqtt_rx_plan(sm_mqtt_decoder *d)
{
    uint32_t left = d->remaining - d->offset;
    size_t room = (size_t)SM_MQTT_RX_SIZE - d->pay;
    d->have = d->pay;
    d->want = d->pay + (left < room ? (size_t)left : room);
    return left;
}

/* Reports the payload piece in buf[pay..have) and plans the next one. */
SM_PRIV int sm_mqtt_rx_piece(sm_mqtt_decoder *d, sm_mqtt_event *ev)
{
    size_t n = d->have - d->pay;
    memset(ev, 0, sizeof *ev);
    ev->type = SM_MQTT_PUBLISH;
    ev->dup = (uint8_t)((d->first >> 3) & 1u);
    ev->qos = (uint8_t)((d->first >> 1) & 3u);
    ev->retain = (uint8_t)(d->first & 1u);
    ev->packet_id = d->packet_id;
    ev->topic = (const char *)d->buf + 2;
    ev->topic_len = d->pay - 3u;
    ev->data = d->buf + d->pay;
    ev->data_len = n;
    ev->offset = d->offset;
    ev->total = d->remaining;
    d->offset += (uint32_t)n;
    if (sm_mqtt_rx_plan(d) == 0) d->state = SM_MQTT_RX_TYPE;
    return SM_MQTT_PUBLISH;
}

/* PUBLISH topic length known: want the topic and packet id (3.3.2). In
   32 bits, so that nothing wraps with a 16-bit size_t. */
SM_PRIV int sm_mqtt_rx_topic_len(sm_mqtt_decoder *d)
{
    uint32_t tlen = ((uint32_t)d->buf[0] << 8) | d->buf[1];
    uint32_t hdr = 2u + tlen + ((d->first & 6u) ? 2u : 0u);
    if (tlen == 0) return SM_ERR_MALFORMED;              /* [MQTT-4.7.3-1] */
    if (hdr > d->remaining) return SM_ERR_MALFORMED;     /* topic beyond the packet */
    if (tlen + 4u > SM_MQTT_RX_SIZE) return SM_ERR_NO_SPACE; /* see sm_mqtt_rx_topic */
    d->want = (size_t)hdr;
    d->state = SM_MQTT_RX_TOPIC;
    return 0;
}

/* PUBLISH variable header complete: check it, NUL-terminate the topic (over
   the packet id, already taken) and start the payload after that NUL. */
SM_PRIV int sm_mqtt_rx_topic(sm_mqtt_decoder *d, sm_mqtt_event *ev)
{
    size_t tlen = d->have - 2u - ((d->first & 6u) ? 2u : 0u);
    /* [MQTT-1.5.3-1, -2], [MQTT-3.3.2-2] */
    if (sm_mqtt_check_bytes(d->buf + 2, tlen, SM_MQTT_STR_TOPIC)) return SM_ERR_MALFORMED;
    d->packet_id = 0;
    if (d->first & 6u) {
        d->packet_id = (uint16_t)(((unsigned)d->buf[tlen + 2] << 8) | d->buf[tlen + 3]);
        if (d->packet_id == 0) return SM_ERR_MALFORMED; /* [MQTT-2.3.1-1] */
    }
    d->buf[tlen + 2] = 0;
    d->remaining -= (uint32_t)d->have; /* from here on: the payload length */
    d->offset = 0;
    d->pay = tlen + 3u;
    d->state = SM_MQTT_RX_PAYLOAD;
    return sm_mqtt_rx_plan(d) ? 0 : sm_mqtt_rx_piece(d, ev); /* empty payload: one event now */
}

/* A whole non-PUBLISH packet is in buf[0..have). */
SM_PRIV int sm_mqtt_rx_packet(sm_mqtt_decoder *d, sm_mqtt_event *ev)
{
    const uint8_t *b = d->buf;
    unsigned type = (unsigned)d->first >> 4;
    size_t i;
    memset(ev, 0, sizeof *ev);
    ev->type = (uint8_t)type;
    d->state = SM_MQTT_RX_TYPE;
    if (type == SM_MQTT_PINGRESP) return (int)type;
    if (type == SM_MQTT_CONNACK) {
        if ((b[0] & 0xFEu) || b[1] > 5u) return SM_ERR_MALFORMED; /* 3.2.2.1, 3.2.2.3 */
        if (b[0] && b[1]) return SM_ERR_MALFORMED;                /* [MQTT-3.2.2-4] */
        ev->session_present = b[0];
        ev->return_code = b[1];
        return (int)type;
    }
    ev->packet_id = (uint16_t)(((unsigned)b[0] << 8) | b[1]);
    if (ev->packet_id == 0) return SM_ERR_MALFORMED;             /* [MQTT-2.3.1-1] */
    if (type == SM_MQTT_SUBACK) {
        for (i = 2; i < d->have; i++) /* 0, 1, 2 or 0x80 [MQTT-3.9.3-2] */
            if (b[i] > 2u && b[i] != SM_MQTT_SUBACK_FAILURE) return SM_ERR_MALFORMED;
        ev->data = b + 2;
        ev->data_len = d->have - 2u;
    }
    return (int)type;
}

/* Remaining length complete: check it against the type, plan the copy. */
SM_PRIV int sm_mqtt_rx_start(sm_mqtt_decoder *d, sm_mqtt_event *ev)
{
    unsigned rule = sm_mqtt_rx_rule((unsigned)d->first >> 4) & 0xF0u;
    uint32_t rl = d->remaining;
    d->have = 0;
    d->state = SM_MQTT_RX_BODY;
    if (rule == SM_MQTT_RL_PUBLISH) {
        if (rl < 2u) return SM_ERR_MALFORMED; /* no room for the topic length */
        d->want = 2;
        d->state = SM_MQTT_RX_TOPIC_LEN;
        return 0;
    }
    if (rule == SM_MQTT_RL_SUBACK) {
        if (rl < 3u) return SM_ERR_MALFORMED; /* packet id and >= 1 code (3.9.2, 3.9.3) */
        if (rl > SM_MQTT_RX_SIZE) return SM_ERR_NO_SPACE;
    } else if (rl != (rule == SM_MQTT_RL_2 ? 2u : 0u)) {
        return SM_ERR_MALFORMED; /* 3.2.1, 3.4.1-3.7.1, 3.11.1, 3.13.1 */
    }
    d->want = (size_t)rl;
    return d->want ? 0 : sm_mqtt_rx_packet(d, ev);
}

/* One byte of the remaining length (2.2.3). */
SM_PRIV int sm_mqtt_rx_len(sm_mqtt_decoder *d, uint8_t b, sm_mqtt_event *ev)
{
    d->remaining |= (uint32_t)(b & 0x7Fu) << (7u * d->len_bytes);
    d->len_bytes++;
    if (b & 0x80u) return d->len_bytes < 4u ? 0 : SM_ERR_MALFORMED; /* at most 4 bytes */
    return sm_mqtt_rx_start(d, ev);
}

/* The run wanted in buf is complete. */
SM_PRIV int sm_mqtt_rx_run_done(sm_mqtt_decoder *d, sm_mqtt_event *ev)
{
    switch (d->state) {
    case SM_MQTT_RX_TOPIC_LEN: return sm_mqtt_rx_topic_len(d);
    case SM_MQTT_RX_TOPIC: return sm_mqtt_rx_topic(d, ev);
    case SM_MQTT_RX_PAYLOAD: return sm_mqtt_rx_piece(d, ev);
    default: return sm_mqtt_rx_packet(d, ev);
    }
}

SECMODEM_API int sm_mqtt_decode(sm_mqtt_decoder *d, const uint8_t *data, size_t len, size_t *used,
                                sm_mqtt_event *ev)
{
    size_t i = 0, n;
    int rc = 0;
    if (!d || !used || !ev || (!data && len)) return SM_ERR_PARAM;
    /* invariant: in a copying state, have < want */
    while (!d->err && rc == 0 && i < len) {
        if (d->state >= SM_MQTT_RX_BODY) {
            n = d->want - d->have;
            if (n > len - i) n = len - i;
            memcpy(d->buf + d->have, data + i, n);
            d->have += n;
            i += n;
            if (d->have == d->want) rc = sm_mqtt_rx_run_done(d, ev);
        } else if (d->state == SM_MQTT_RX_LEN) {
            rc = sm_mqtt_rx_len(d, data[i++], ev);
        } else {
            rc = sm_mqtt_rx_first(d, data[i++]);
        }
    }
    if (rc < 0) d->err = rc;
    *used = i;
    return d->err ? d->err : rc;
}
#endif /* SM_NO_MQTT */

#ifdef __cplusplus
}
#endif
#endif /* SECMODEM_IMPLEMENTATION */

/*
   ==========================================================================
   VERSION HISTORY
     0.1.0  (2026-11) AT engine core: queue, prompts, raw payloads, URCs,
            timeouts, string checks, field parser.

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
