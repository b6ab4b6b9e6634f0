/* secmodem.h - v0.2.0 - secure sockets through an AT modem, in one header.

   secmodem drives an AT-command modem (Sequans Monarch GM02S, Würth
   Cordelia-I, or any 3GPP-style modem) from a microcontroller: a non-blocking
   AT engine with a command queue, URC dispatch, data prompts and binary
   payloads, without heap, without global state and without ever blocking the
   caller's main loop. Every modem instance lives in a struct that you own.
   MQTT 3.1.1 framing (section 9) encodes every packet a client sends and
   decodes, as a stream, every packet a server sends, with the standard's
   checks on both sides; it does no I/O of its own. The MQTT client session
   (section 10) runs on it over any byte stream you provide: connect,
   subscribe, publish QoS 0/1/2, exactly-once delivery, keep-alive and the
   re-sending of a persistent session after a reconnect.

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
   put in its ring buffer; keep calling sm_at_poll() as well, since it
   enforces deadlines and starts queued commands. Never call the library
   from an interrupt.

   Content that a third party controls (an SMS body, an MQTT payload, a
   file) must be read by byte count (sm_at_expect_raw, or raw_lead after
   sm_at_use_headerless), never as lines: a line "OK" inside it would
   otherwise end the command.

   ==========================================================================
   A SEQUANS GM02S IN A SUPERLOOP (section 6)
   ==========================================================================
       static sm_sqn m;                      // the modem; yours, anywhere
       static sm_sqn_mqtt_mem mq;            // its MQTT client's memory (~720 B)
       static uint8_t rx[512];

       static void on_event(void *app, sm_sqn *m, const sm_event *ev) {
           if (ev->type == SM_SQN_EV_MQTT_MESSAGE)  // read what was announced
               sm_sqn_mqtt_read(m, ev->u.msg.topic, ev->u.msg.mid,
                                ev->u.msg.len, rx, sizeof rx, on_msg, app);
       }
       static void on_up(void *app, sm_sqn *m, const sm_result *r) {
           if (r->status == SM_OK && r->u.bringup.clock.valid)
               sm_sqn_mqtt_connect(m, "broker.example.com", 8883, 60, NULL, app);
       }
       ...
       sm_sqn_init(&m, &plat, on_event, app);
       sm_sqn_use_mqtt(&m, &mq);             // only if you use the modem's MQTT
       sm_sqn_bringup(&m, on_up, app);       // AT, ATE1, CMEE, CEREG, CFUN, wait, CCLK
       for (;;) { sm_sqn_poll(&m); other_work(); }

   Every operation returns at once (an id, or SM_ERR_* and nothing sent) and
   ends with one call of its done callback; every URC becomes an event.

   ==========================================================================
   AN MQTT SESSION OVER ANY BYTE STREAM (section 10)
   ==========================================================================
       static int tcp_send(void *u, const uint8_t *d, size_t n); // accepted, 0 full, <0 error
       static int tcp_recv(void *u, uint8_t *b, size_t cap);     // 0 nothing, <0 closed
       static void on_result(void *app, sm_mqtt_client *c, const sm_mqtt_result *r) {
           static const char *const f[1] = { "cmd/#" };
           static const uint8_t q[1] = { 1 };
           if (r->op == SM_MQTT_CONNECT && r->status == SM_OK)
               sm_mqtt_subscribe_start(c, f, q, 1);
       }
       static void on_message(void *app, sm_mqtt_client *c, const sm_mqtt_event *m) {
           handle(m->topic, m->data, m->data_len, m->offset, m->total); // a piece
       }
       ...
       sm_mqtt_transport t = { &sock, tcp_send, tcp_recv, millis };
       sm_mqtt_connect_opts o = {0};
       o.client_id = "dev1"; o.keep_alive = 60; o.clean_session = 1;
       sm_mqtt_init(&c, &t, on_result, on_message, app);
       sm_mqtt_connect_start(&c, &o);        // once the connection is open
       for (;;) { sm_mqtt_poll(&c); other_work(); }

   ==========================================================================
   TABLE OF CONTENTS
   ==========================================================================
     Each layer has one number, used for its declarations in Part I and
     its implementation in Part II; a layer depends only on those above it.

     Part I - declarations (always compiled)
       1. Configuration macros
       2. Status codes
       3. Platform interface
       4. Utilities: text builder, string safety checks, field parser
       5. AT engine (at its end, 5.4: the operation records and the
          one result struct, sm_result, every dialect shares)
       6. Sequans GM02S dialect                          [SM_NO_SEQUANS]
          (at its end: a dialled socket as a byte stream,
          sm_sqn_stream, e.g. for the MQTT session: 14)
       7. Cordelia-I dialect                             [SM_NO_CORDELIA]
       8. ATECC608 secure element: encoding, transport,  [SM_NO_ATECC]
          helpers (needs only sections 2-4)
       9. MQTT 3.1.1 framing: encoders, streaming        [SM_NO_MQTT]
          decoder (needs only section 4)
      10. MQTT 3.1.1 client session: transport,          [SM_NO_MQTT_SESSION]
          in-flight table, QoS flows, keep-alive
          (needs sections 2-4 and 9)
      11. Glue: certificate signing request: SHA-256,    [SM_NO_ATECC,
          DER, PKCS#10 signed by the ATECC608 (8)         SM_NO_CSR]
      12. Glue: host signing: the Sequans modem's TLS    [SM_NO_SEQUANS,
          signature (+SQNHCESIGN, 6) made by the          SM_NO_ATECC]
          ATECC608 (8)
      13. Glue: compressed certificates: rebuild a     [SM_NO_ATECC,
          pre-provisioned ATECC608's device and signer    SM_NO_CSR,
          certificates from their 72 bytes (SHA-1 for     SM_NO_CERTS]
          key identifiers; uses 8 and 11)
      14. Glue: a Sequans socket stream (6) as the      [SM_NO_SEQUANS,
          MQTT session's transport (10)                   SM_NO_MQTT_SESSION]
     Part II - implementation (only with SECMODEM_IMPLEMENTATION)
       4.  Utilities
       5.1 AT engine: queue and transmit side
       5.2 AT engine: receive side (lines, prompts, raw payloads, dispatch)
       5.3 AT engine: dialects and blocking helper
       5.4 Operations shared by the dialects: records, ids, statuses
       6.  Sequans GM02S dialect: URC table, operations, bring-up,
           the socket byte stream
       7.  Cordelia-I dialect: event tables by feature, formats, operation
           queue, the operations with their descriptors
       8.  ATECC608: codec, transport state machine, helpers
       9.  MQTT 3.1.1 framing: encoders, decoder
       10. MQTT 3.1.1 client session: tables, transmit, receive, timers
      11.  Glue: certificate signing request: SHA-256, DER writer, subject,
           request assembly, PEM, the chip-signed operation
      12.  Glue: host signing: request queue, chip sign, AT+SQNHCESIGN answer
      13.  Glue: compressed certificates: SHA-1, definition checks, dates,
           serial numbers, the rebuild, the chip operation
      14.  Glue: the Sequans socket stream as an MQTT transport
     Version history and licence (end of file)

   ==========================================================================
   OPERATIONS, EVENTS AND DIALECTS (the vocabulary every section keeps)
   ==========================================================================
     Objects. Every modem, chip, session and operation is a struct that you
       own; its sm_<x>_init() comes first (on a zeroed struct every other
       call returns SM_ERR_STATE).
     Operations of a modem. sm_<d>_<family>_<verb>(m, ..., done, ctx)
       checks its arguments and queues, returns at once an id > 0 or an
       SM_ERR_* (then nothing was sent; SM_ERR_QUEUE_FULL is "try again after
       the next done callback"), and ends with exactly one call of
       done(ctx, m, result). The result is one struct for every dialect,
       sm_result: id, op (the operation's kind), status (SM_OK or
       SM_ERR_*), code (the modem's error number, or SM_AT_NO_CODE) and
       err_text, then what the operation read: value, len, total, text,
       or a member of u. sm_<d>_pending(m,
       id), sm_<d>_busy(m), sm_<d>_cancel(m) and the blocking
       sm_<d>_wait(m, id) are the same in both dialects.
     One operation at a time (ATECC608, CSR, certificates): <x>_start(),
       then <x>_poll() until it is no longer pending; <x>_run_blocking() is
       the thin blocking helper on top.
     Events. Every URC becomes an event, one struct for every dialect,
       sm_event (section 5.4), handed to an event callback of one shape
       (ctx, the modem, the event): its `type` (an X-macro list,
       SM_<D>_EVENT_LIST, makes the enum and sm_<d>_event_name()), its
       line as received, then u.<family>, whose members mean the same in
       every dialect (a modem's number is `code`, a count `value` or
       `len`). A line nobody understands is an UNHANDLED event with the
       line, never lost.
     Settings. *_config() for a dialect's settings commands, *_opts
       structs (with *_opts_init() where fields start unset) for options.
     Features. A family of operations with URCs or work of its own
       (Sequans: sockets, MQTT, HTTP, time, host signing; Cordelia-I:
       sockets, MQTT) is registered by its first operation or its
       sm_<d>_use_<feature>() switch; before that its URCs are UNHANDLED
       events and an application that never uses it links none of it.
     A dialect is a section: an sm_at_dialect (command terminator, restart
       line, its own final results), one engine URC table, and its
       operations as descriptors, each its own const object named only by
       its start function (so an operation never called is never linked),
       written the same way in both: a command format with typed
       directives, the answer's prefix, the timeout and the payload
       framing, then the dialect's readers of the answer. Sequans'
       SM_SQN_OPDEF (format, prefix, kind, feature, timeout, flags, finish
       function), Cordelia-I's SM_CORD_OPDEF (format, argument writer,
       prefix, kind, timeout, awaited event, flags, builder, on_ok,
       on_end). The start function checks what a directive cannot (ranges,
       combinations) and hands the values over; a command that no format
       can say (a sequence that depends on its options, a signature in hex)
       keeps a builder. Sequans
       runs them pipelined (all of an operation's commands queued at once,
       operations back to back), Cordelia-I one at a time (its interpreter
       may wait for an event after the OK).
     One operation layer. Every dialect keeps its operation records with
       section 5.4's sm_ops (ids, the records in use under the dialect's
       policy, pipelined or in order, and the statuses of the last
       SM_OPS_RECENT operations), so an id, pending, busy and wait mean
       one thing everywhere. The engine gives both the rest: an operation's
       commands queued all or none (sm_at_submit_all), one verdict on a
       command built in the queue (SM_ERR_QUEUE_FULL: try again; or
       SM_ERR_PARAM: never fits), one lookup of a feature's URC rows.
       Every operation of every dialect ends with one sm_result (section
       5.4), handed to a done callback of one shape (ctx, the modem, the
       result): the same fields (status, code, err_text, value, len, total,
       text) mean the same in both dialects, and u holds what only some
       operations report. CONTRIBUTING.md has the checklists to add a
       command and to add a dialect.

   ==========================================================================
   CONFIGURATION MACROS (define before including; defaults in brackets)
   ==========================================================================
     SM_LINE_SIZE        [160]  longest received line kept, including the NUL;
                                longer lines are dropped and counted, except
                                those of a sm_at_on_long_line() prefix
     SM_RESP_SIZE        [192]  bytes of response lines collected per command
     SM_QUEUE_DEPTH      [4]    commands that may wait in the queue
     SM_QUEUE_TEXT       [224]  bytes of command text shared by the queue
     SM_PAYLOAD_MAX      [4096] largest binary payload of one command
     SM_URC_TABLES       [4]    URC tables that may be registered at once
     SM_OPS_RECENT       [6]    operations whose status sm_<d>_wait() can
                                still tell after they ended (1..64)
     SM_AT_TIMEOUT_MS    [5000] default per-command timeout
     SM_AT_SETTLE_MS     [100]  quiet time required after a timeout before the
                                next command goes out (drops late answers)
     SM_AT_SETTLE_MAX_MS [2000] ...but never longer than this, even if the
                                modem keeps talking (URCs, a stuck stream)
     SM_RAW_TIMEOUT_MS   [5000] deadline for an announced binary payload
     SM_AT_RAW_ERROR_QUIET_MS [300] a payload read after its lead (raw_lead)
                                whose bytes so far are exactly an ERROR or
                                +CME/+CMS ERROR line, and then nothing for
                                this long, is the modem's error answer
     SM_POLL_READ_MAX    [256]  bytes one sm_at_poll() pulls at most
     SM_MQTT_RX_SIZE     [256]  MQTT decoder buffer (RAM per decoder): holds a
                                PUBLISH topic (at most SM_MQTT_RX_SIZE - 4
                                bytes; the session refuses longer ones once,
                                see section 10) and its payload in pieces of
                                the rest, or a SUBACK (at most
                                SM_MQTT_RX_SIZE - 2 codes)
     SM_ASSERT(x)        [assert(x)]  internal consistency checks
     SM_LOG(level, msg)  [nothing]    diagnostic messages: level 0 error, 1 warning,
                                      2 info, 3 debug; msg a string literal
     SM_NO_SEQUANS, SM_NO_CORDELIA, SM_NO_ATECC, SM_NO_MQTT,
     SM_NO_MQTT_SESSION, SM_NO_CSR, SM_NO_CERTS
                         compile a whole feature out; each gates its section
                         (SM_NO_MQTT removes the session too, SM_NO_ATECC the
                         CSR glue, SM_NO_CSR the compressed certificates; the
                         host-signing glue needs both SEQUANS and ATECC).
   ATECC608 (section 8):
     SM_ATECC_WAKE_MS    [3]    wait after the wake pulse before reading the
                                wake response (tWHI >= 1.5 ms; with a 1 ms
                                clock, 3 ticks guarantee at least 2 ms)
     SM_ATECC_WAKE_TRIES [3]    wake attempts before SM_ERR_NO_WAKE
     SM_ATECC_RETRIES    [2]    resends of a command whose response had a bad
                                CRC or status 0xFF/0x11/0xEE
     SM_ATECC_POLL_MS    [1]    interval between polls of a busy chip
     SM_ATECC_EXEC_SCALE [1]    multiplies the maximum execution times (M0
                                clock divider); about 3 for M1, 11 for M2
     SM_ATECC_EXEC_MARGIN_MS [10] added to each maximum execution time
     SM_ATECC_WATCHDOG_MS [1000] a command starts only if the time since the
                                wake plus its maximum fits; else idle and
                                wake again (watchdog ~1.3 s, ChipMode bit 2 = 0)
   Certificate signing request (section 11):
     SM_CSR_SUBJECT_MAX  [8]    most attributes in a subject (1..32; bounds
                                every size, also with a 16-bit size_t)
     SM_CSR_HASH_CHUNK   [128]  bytes of the CertificationRequestInfo that one
                                sm_csr_poll() hashes (64..4096): the longest
                                host computation of a poll call
   Host signing (section 12):
     SM_HCE_QUEUE        [2]    signing requests that may wait while one is
                                being served (1..8); the answer needs
                                SM_QUEUE_TEXT >= 155

     Sequans GM02S dialect (section 6):
     SM_SQN_HOST_MAX     [128]  longest host name (letters, digits, . - _ :)
     SM_SQN_TOPIC_MAX    [112]  longest MQTT topic; SM_LINE_SIZE must be at
                                least this + 48 (the +SQNSMQTTONMESSAGE line)
     SM_SQN_CRED_MAX     [64]   longest client id, user, password, PSK (hex),
                                PSK identity
     SM_SQN_PATH_MAX     [128]  longest HTTP resource
     SM_SQN_HEADER_MAX   [96]   longest extra HTTP header line
     SM_SQN_CIPHERS_MAX  [64]   longest TLS cipher list
     SM_SQN_CMD_MAX      [min(SM_QUEUE_TEXT, 256)] longest command built (on
                                the stack of the start functions)
     SM_SQN_OPS          [SM_QUEUE_DEPTH] operations in progress at once; a
                                start function then returns SM_ERR_QUEUE_FULL:
                                not a failure, start it again after the next
                                done callback (a send/receive loop does so)
     SM_SQN_MQTT_SUBS    [4]    subscriptions of the built-in MQTT client
                                remembered for a resume (1..32); they live in
                                the application's sm_sqn_mqtt_mem
     SM_SQN_CEREG_MODE   [5]    AT+CEREG mode of the bring-up: 2 or 5
     SM_SQN_BOOT_TIMEOUT_MS [20000]  bring-up: wait for the modem to answer
     SM_SQN_PROBE_MS     [1000]   bring-up: one AT probe
     SM_SQN_CFUN_TIMEOUT_MS [15000] AT+CFUN=1
     SM_SQN_REG_TIMEOUT_MS [180000] bring-up: wait for registration
     SM_SQN_REG_POLL_MS  [10000]  bring-up: AT+CEREG? while waiting
     SM_SQN_NVM_TIMEOUT_MS [15000] NVM write/read/delete
     SM_SQN_DIAL_TIMEOUT_MS [120000] socket dial (TCP + TLS handshake)
     SM_SQN_SOCK_TIMEOUT_MS [15000] socket send/recv/close, MQTT message read
     SM_SQN_MQTT_TIMEOUT_MS [60000] MQTT connect/subscribe/publish/disconnect
     SM_SQN_HTTP_TIMEOUT_MS [30000] HTTP request and body read
     SM_SQN_HTTP_MODEM_TIMEOUT_S [120] the modem's own HTTP timeout (SQNHTTPCFG)
     SM_SQN_STREAM_TX    [512]  sm_sqn_stream: bytes a write may queue (16..65535)
     SM_SQN_STREAM_RX    [512]  sm_sqn_stream: bytes one AT+SQNSRECV reads (16..1500)
     Other commands use SM_AT_TIMEOUT_MS.
     Cordelia-I dialect (section 7):
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
     SM_CORD_BOOT_TIMEOUT_MS    [15000]  sm_cord_bringup: module silent this long
     SM_CORD_PROBE_MS           [1000]   sm_cord_bringup: one AT+test probe
     SM_CORD_WLAN_TIMEOUT_MS    [30000]  wlanConnect OK to the IPv4 address
     SM_CORD_CONNACK_TIMEOUT_MS [15000]  iotconnect OK to CONNACK
     SM_CORD_CONNECT_TIMEOUT_MS [30000]  AT+connect (TCP + TLS handshake)
     SM_CORD_RECV_TIMEOUT_MS    [10000]  AT+recv's OK to its +recv: event

     MQTT client session (section 10):
     SM_MQTT_INFLIGHT    [4]    publishes, subscribes and unsubscribes in
                                progress at once (16 bytes each on 32-bit)
     SM_MQTT_RX_IDS      [8]    received QoS 1/2 packet ids kept: QoS 2
                                awaiting PUBREL, acknowledgements not yet
                                written (4 bytes each); a broker with more
                                in flight ends the session with
                                SM_ERR_QUEUE_FULL, reconnect (section 10)
     SM_MQTT_RX_ID_BITMAP [0]   1: QoS 2 ids awaiting PUBREL are kept in a
                                bitmap of every packet id (8 KB of RAM in
                                the session) instead of SM_MQTT_RX_IDS
                                slots: no limit on what a broker has in
                                flight, the session never ends for it
     SM_MQTT_TX_SIZE     [128]  the packet being written: CONNECT, SUBSCRIBE,
                                UNSUBSCRIBE, a PUBLISH header (topic + 9);
                                payloads are written from the caller's memory
     SM_MQTT_READ_MAX    [64]   bytes one sm_mqtt_poll() reads at most (stack)
     SM_MQTT_CONNECT_TIMEOUT_MS [15000] CONNECT written -> CONNACK
     SM_MQTT_PING_TIMEOUT_MS [10000] PINGREQ queued -> PINGRESP

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
#ifndef SM_AT_SETTLE_MAX_MS
#define SM_AT_SETTLE_MAX_MS 2000
#endif
#ifndef SM_AT_SETTLE_MS
#define SM_AT_SETTLE_MS 100
#endif
#ifndef SM_RAW_TIMEOUT_MS
#define SM_RAW_TIMEOUT_MS 5000
#endif
#ifndef SM_AT_RAW_ERROR_QUIET_MS
#define SM_AT_RAW_ERROR_QUIET_MS 300
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
#if SM_PAYLOAD_MAX < 1 || SM_PAYLOAD_MAX > 65535
#error "SM_PAYLOAD_MAX must be 1..65535"
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
/* One list (an X-macro) makes the constants and the texts sm_strerror()
   returns, so that no code can be without its text: X(name, value, text).
   The secure element's codes are a list of their own, for SM_NO_ATECC
   leaves their texts out. */
#define SM_STATUS_LIST(X)                                                                                      \
    X(OK,                  0, "ok")                                                                            \
    X(ERR_PARAM,          -1, "invalid parameter")                   /* an argument is out of range or NULL */ \
    X(ERR_UNSAFE_STRING,  -2, "string would break the command syntax")                                         \
    X(ERR_NO_SPACE,       -3, "buffer too small")                    /* for the result */                      \
    X(ERR_QUEUE_FULL,     -4, "command queue full")                                                            \
    X(ERR_BUSY,           -5, "not allowed from a callback")         /* called from inside one */              \
    X(ERR_IO,             -6, "platform I/O error")                  /* the platform's write or read failed */ \
    X(ERR_TIMEOUT,        -7, "timeout")                             /* no final result before the deadline */ \
    X(ERR_MODEM,          -8, "modem reported an error")             /* ERROR / CME / dialect error */         \
    X(ERR_REBOOT,         -9, "modem restarted")                     /* during the operation */                \
    X(ERR_CANCELLED,     -10, "cancelled")                           /* the caller flushed the queue */        \
    X(ERR_PARSE,         -11, "malformed response")                  /* a response could not be parsed */      \
    X(ERR_TRUNCATED,     -12, "response truncated")                  /* it did not fit its buffer */           \
    X(ERR_MALFORMED,     -13, "malformed packet from the peer")      /* or it broke the protocol */            \
    X(ERR_STATE,         -24, "not possible in the current state")   /* e.g. nothing to read */                \
    X(ERR_REFUSED,       -25, "refused by the peer")                 /* MQTT: CONNACK return code not 0 */
/* ATECC608 (section 8), with the chip's status byte (0x03: illegal length,
   opcode or parameter; 0x05: ECC fault, a retry may work; 0x07: self-test
   failure mode; 0x0F: not allowed now: locks, slot config, no digest).
   sm_atecc_last_status() has the raw byte. */
#define SM_STATUS_CHIP_LIST(X)                                                                            \
    X(ERR_CRC,           -14, "CRC error")                                /* or the chip saw one: 0xFF */ \
    X(ERR_NO_WAKE,       -15, "secure element did not wake")              /* not 04 11 33 43 */           \
    X(ERR_CHIP_STATUS,   -16, "unexpected secure element status")         /* e.g. 0x11: lost */           \
    X(ERR_VERIFY,        -17, "verify miscompare")                        /* 0x01: CheckMac too */        \
    X(ERR_CHIP_PARSE,    -18, "secure element: parse error")              /* 0x03 */                      \
    X(ERR_CHIP_ECC,      -19, "secure element: ECC fault")                /* 0x05: retry */               \
    X(ERR_CHIP_SELFTEST, -20, "secure element: self-test failure")        /* 0x07 */                      \
    X(ERR_CHIP_HEALTH,   -21, "secure element: RNG health test failure")  /* 0x08 */                      \
    X(ERR_CHIP_EXEC,     -22, "secure element: execution error")          /* 0x0F */                      \
    X(ERR_WATCHDOG,      -23, "secure element: watchdog about to expire") /* 0xEE */
#define SM_STATUS_ENUM_(name, value, text) SM_##name = (value),
#define SM_STATUS_ONE_(name, value, text) +1
enum {
    SM_STATUS_LIST(SM_STATUS_ENUM_)
    SM_STATUS_CHIP_LIST(SM_STATUS_ENUM_)
    /* implementation: how many there are (they run from 0 down, no gap) */
    SM_STATUS_COUNT_ = 0 SM_STATUS_LIST(SM_STATUS_ONE_) SM_STATUS_CHIP_LIST(SM_STATUS_ONE_)
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
    /* A free-running MONOTONIC millisecond clock (a tick counter, never the
       time of day); wrap-around is handled. See sm_clock for what a clock
       that steps back or jumps costs. */
    uint32_t (*now_ms)(void *user);
    /* I2C to the secure element: 0 on ACK, <0 on NACK or error. */
    int (*i2c_write)(void *user, uint8_t addr7, const uint8_t *data, size_t len);
    int (*i2c_read)(void *user, uint8_t addr7, uint8_t *buf, size_t len);
    /* Optional trace of every line sent and received (dir: SM_TRACE_*). The
       text is not NUL-terminated; raw payload traces carry the bytes. */
    void (*trace)(void *user, int dir, const char *text, size_t len);
} sm_platform;

/* How every part of the library reads now_ms (the engine, the dialects
   through it, the ATECC608 transport and the MQTT session, each with its
   own): it counts the time that passed between two readings. now_ms must
   be monotonic; when it is not (a clock set back, an RTC re-synchronised,
   a counter reset), the damage is bounded: a step back, and any difference
   of 2^31 ms or more (which unsigned arithmetic cannot tell from a step
   back), counts as no time passing, and a step forward of less than 2^31 ms
   as that much time. So a deadline never stretches past its own length of
   running clock: a 5 s timeout started before a clock is set back one hour
   still ends 5 s later, not an hour later, and a jump of 2^31 + 5 ms
   forward leaves it its remaining time, not 24.8 days. A forward jump ends
   the deadlines it crosses (time did pass, as far as anyone can tell).
   Readings more than 24.8 days apart (no poll for that long) also count as
   none. Private fields, a part of each owner struct: started by sm_at_init
   and sm_atecc_init, and by sm_mqtt_connect_start for each session. */
typedef struct sm_clock {
    uint32_t raw;   /* the platform's last reading */
    uint32_t now;   /* time as counted: starts at the first reading */
} sm_clock;

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
    SM_STR_ALLOW_QUOTE = 16, /* '"' allowed (for an unquoted rest-of-line) */
    SM_STR_NO_SEMICOLON = 32, /* ';' would start a second V.250 command (set by
                                 sm_buf_checked: outside quotes it always would) */
    SM_STR_ALLOW_BACKSLASH = 64 /* '\\' allowed (some firmware reads it as an escape
                                 that could un-quote the rest) */
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
/* Appends s unquoted after sm_check_str(s, maxlen, flags | SM_STR_NO_SEMICOLON). */
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
   prefix may be NULL to parse the whole line. SM_ERR_PARAM for a NULL f or
   line (f, if given, then yields no field). */
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
   A late answer to a timed-out command (or to one a restart ended: it may
   have crossed the restart marker) must not complete the next one: the
   next command waits until the line has been quiet for SM_AT_SETTLE_MS, and
   when the modem echoes (learned from the traffic, and from ATE0/ATE1),
   anything before the new command's echo is dropped as stale.

   Answer or URC, when a URC table has the command's prefix too (a "+CEREG:"
   row while AT+CEREG? waits for "+CEREG:"). A line of that prefix goes:
   - to the URC row, when it comes before the command is written (queued,
     or its text not all taken by the UART yet) or, while the modem echoes,
     before the command's echo: the modem cannot have answered yet. Rows at
     least as long as the prefix count; a shorter catch-all row (Sequans'
     "+SQN") does not: a line of the prefix before the echo then means the
     echo was lost, and it is the answer, as when no row matches;
   - after that, to the command, unless the command declares its answer's
     form and the line does not have it: c.is_answer = sm_at_reg_answer
     makes "+CEREG: 5,1" the answer and "+CEREG: 1" or "+CEREG: 1,"2B67",..."
     the URC (to the URC tables; if none claims it, on_unhandled). Without
     is_answer the command wins: a URC of its prefix cannot be told from
     its answer, and becomes a response line.
   ========================================================================== */
/* How a command ended: one list (an X-macro) makes the enum, from 0, and the
   names sm_at_result_name() returns. */
#define SM_AT_RESULT_LIST(X) \
    X(PENDING)        /* not finished */                                                 \
    X(OK)             /* OK */                                                           \
    X(ERROR)          /* ERROR */                                                        \
    X(CME_ERROR)      /* +CME ERROR: <n> or <text> */                                    \
    X(CMS_ERROR)      /* +CMS ERROR: <n> or <text> */                                    \
    X(DIALECT_ERROR)  /* a dialect's own error result (e.g. Cordelia ERROR:<t>,<n>) */   \
    X(TIMEOUT)        /* no final result before the deadline */                          \
    X(REBOOT)         /* the modem restarted while the command was in flight */          \
    X(CANCELLED)      /* removed by sm_at_flush() */                                     \
    X(IO_ERROR)       /* the platform's write callback failed */
#define SM_AT_RESULT_ENUM_(name) SM_AT_##name,
#define SM_AT_RESULT_ONE_(name) +1
typedef enum sm_at_result { SM_AT_RESULT_LIST(SM_AT_RESULT_ENUM_) } sm_at_result;
/* implementation: how many there are; not a member, so that a switch over
   the results need not name it */
enum { SM_AT_RESULT_COUNT_ = 0 SM_AT_RESULT_LIST(SM_AT_RESULT_ONE_) };

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
    int32_t code;            /* CME/CMS/dialect error number, or SM_AT_NO_CODE
                                (INT32_MIN: also the value on OK; print it only
                                when result is an error with a number) */
    const char *err_text;    /* textual error, NUL-terminated, or NULL */
    const char *lines;       /* response lines, each NUL-terminated, back to back:
                                walk them with sm_at_next_line() */
    uint16_t nlines;
    uint8_t lines_truncated; /* 1 if some lines did not fit SM_RESP_SIZE */
    uint8_t raw_truncated;   /* 1 if raw bytes did not fit the command's raw_buf */
    uint8_t raw_unframed;    /* 1 if what followed a headerless read (raw_lead) was
                                not a line end and a final result or URC: the
                                bytes read are not the payload (a URC cut in) */
    size_t raw_len;          /* raw bytes stored in the command's raw_buf */
    size_t raw_over;         /* raw bytes that came for it and were not stored
                                (raw_truncated): raw_len + raw_over is what the
                                modem sent, for answers that give no count */
} sm_at_response;

struct sm_at;
typedef void (*sm_at_done_fn)(void *ctx, const sm_at_response *r);
/* A line handed on (a response line, a URC, a line nobody claimed): len
   bytes without the line end, NUL-terminated at line[len], in the engine's
   receive buffer: valid during the call only. */
typedef void (*sm_at_line_fn)(void *ctx, struct sm_at *at, const char *line, size_t len);
typedef void (*sm_at_raw_fn)(void *ctx, const uint8_t *data, size_t len);
/* Tells whether a line is a command's answer (sm_at_cmd.is_answer): non-zero yes. */
typedef int (*sm_at_match_fn)(void *ctx, const char *line, size_t len);
/* A piece of an over-long line (sm_at_on_long_line): flags SM_AT_LONG_*. */
typedef void (*sm_at_long_fn)(void *ctx, struct sm_at *at, const char *piece, size_t len,
                              unsigned flags);
enum { SM_AT_LONG_FIRST = 1, SM_AT_LONG_MORE = 2, SM_AT_LONG_LAST = 4 };

/* Command flags. */
enum {
    SM_AT_F_PROMPT = 1,  /* wait for the "> " prompt, then write the payload (counted) */
    SM_AT_F_INLINE = 2,  /* write the payload right after the text, before the terminator */
    /* the whole of a response line with the command's prefix (any length)
       goes to raw_buf as text: the bytes after the prefix and its spaces,
       without the line end; the line itself is still delivered (cut to
       SM_LINE_SIZE - 1 if longer). For answers longer than the line buffer
       that have no byte count, e.g. the Sequans +SQNSNVR metadata line. */
    SM_AT_F_LINE_TO_RAW = 4,
    /* the command may end with a V.250 call result: NO CARRIER, BUSY, NO
       ANSWER, NO DIALTONE end it as SM_AT_DIALECT_ERROR (its text kept).
       Only for such commands: the same words at any other time (a late
       NO CARRIER of an earlier dial) are stray lines, reported, and never
       end an unrelated command. */
    SM_AT_F_DIAL = 8
};
/* Raw data inline in a response line, as in Cordelia's
   `+recv:<id>,0,<n>,<n raw bytes>` CR LF: a response line of the command
   (one starting with cmd.prefix, which is then required) carries raw bytes
   right after the comma that ends its field n (1..15, counted after the
   prefix, commas inside double quotes not counted); the byte count is field
   n itself, a decimal 0..65535. The part before that comma is delivered as a
   response line (stored, and given to on_line), the bytes go to raw_buf by
   count exactly as after sm_at_expect_raw(), then line parsing resumes;
   on_line may send them to a sink instead (sm_at_expect_raw with the same
   count), e.g. to keep an answer for another socket out of raw_buf. A
   count that is not such a number leaves the line to the line parser; it is
   counted in stats.raw_bad_count and the response has raw_truncated set.
   Costs one test per received byte while such a command waits. Needs
   sm_at_use_inline_raw() first (the code is linked only then). */
#define SM_AT_F_RAW_AFTER(n) ((((unsigned)(n)) & 15u) << 12)

/* A command to submit. text is copied into the queue; everything the other
   pointers reference must stay valid until on_done has been called.
   A counted payload cannot be abandoned once the modem may be waiting for
   it (no escape is documented; a GM02SP waits at its prompt and publishes
   whatever bytes meet the count, docs/payload-abandon.md). So a command
   whose deadline passes after its prompt, inside an inline payload, or
   while its prompt is awaited (the prompt may have been lost) still writes
   its REAL payload before on_done (at most SM_AT_TIMEOUT_MS later; while
   the prompt is awaited only if the payload cannot be read as a command
   line: no control byte, no "AT" or "A/"), then reports SM_AT_TIMEOUT: the
   message may have gone out. Where real bytes cannot go (such a payload,
   sm_at_flush() on a UART that does not take them at once) NUL filler meets
   the count, counted in stats.tx_filler. */
typedef struct sm_at_cmd {
    const char *text;       /* e.g. "AT+CEREG?", without terminator */
    const char *prefix;     /* lines starting with this are this command's
                               response (e.g. "+CEREG:"); NULL: any line that no
                               URC table claims, so a stray line the modem sends
                               meanwhile (a start-up message the dialect does not
                               know, noise) becomes a response line: give the
                               prefix whenever the answer has one */
    uint32_t timeout_ms;    /* 0: SM_AT_TIMEOUT_MS */
    unsigned flags;         /* SM_AT_F_* */
    const uint8_t *payload; /* bytes for SM_AT_F_PROMPT / SM_AT_F_INLINE */
    size_t payload_len;
    uint8_t *raw_buf;       /* where announced raw bytes of the response go */
    size_t raw_cap;
    /* A response whose payload has no header line, only a fixed lead (e.g.
       "\r\n" or "<<<"): after the command is sent (and its echo seen, when
       the modem echoes), raw_len bytes right after raw_lead at the start of a
       line are read by count into raw_buf. raw_len 0: none. Modems do send
       URCs between such a command and its payload (a GM02SP: published
       logs, docs/sequans.md R-39, R-30). So when the bytes read begin
       with a line that a registered URC table claims, followed by an empty
       line, the engine trusts neither reading until it sees what follows
       the count: a payload is followed by a line end and then a final
       result or a URC; anything else proves the line was a URC that came
       first. The URC is then dispatched (stats.lead_urcs), the payload taken
       from after it, and the same check made again (several URCs). A
       payload that itself begins with a URC line is delivered as payload
       and never dispatched. This reading is code of its own that a program
       links only if it calls sm_at_use_headerless() (the Sequans operations
       that read so call it): without it such a command is refused. */
    const char *raw_lead;
    size_t raw_len;
    sm_at_line_fn on_line;  /* optional: each response line as it arrives */
    sm_at_done_fn on_done;  /* optional: completion */
    void *ctx;
    /* Optional, for an answer that shares its prefix with a URC (see
       "Answer or URC" in section 5): called with ctx for each line that
       starts with prefix once the command is written (and echoed); non-zero
       when the line has the answer's form, 0 when it has the URC's, and
       the line then goes to the URC tables (unclaimed: on_unhandled, and
       stats.unexpected). For SM_AT_F_RAW_AFTER it sees the line up to the
       byte count. NULL: every such line is the answer (a URC of the same
       prefix cannot be told from it). It must not call the engine.
       sm_at_reg_answer() is one for AT+CREG?, AT+CGREG?, AT+CEREG?. */
    sm_at_match_fn is_answer;
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
    uint32_t tx_filler;    /* NUL filler bytes written to meet an interrupted payload's
                              count: only where its real bytes could not be sent (see
                              sm_at_cmd); the modem may publish or send them */
    uint32_t tx_replayed;  /* real payload bytes written after a timeout or flush to
                              meet the count of an interrupted payload (the message
                              goes out) */
    uint32_t tx_abandoned; /* bytes of an interrupted command the UART never took */
    uint32_t noise;        /* bytes that can never be text (0xFF after a GM02SP
                              wakes, other non-UTF-8 bytes) dropped from lines */
    uint32_t lead_urcs;    /* URC lines found before a headerless payload */
    uint32_t lead_unframed;/* headerless reads whose end did not frame (raw_unframed) */
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
struct sm_at_headerless; /* the reads by raw_lead (implementation) */
struct sm_at_long_ops;   /* over-long lines in pieces (implementation) */
typedef struct sm_at {
    sm_platform plat;
    const sm_at_dialect *dialect;
    const struct sm_at_headerless *headerless; /* sm_at_use_headerless(); NULL: none */
    /* receive side */
    char line[SM_LINE_SIZE];
    uint16_t line_len;
    uint16_t drain_fill;     /* filler bytes an interrupted payload still owes (its
                                real bytes, when they can be sent, go out first) */
    uint16_t orphan_payload; /* a command timed out waiting for its prompt (its
                                payload or filler was sent): a late prompt is swallowed */
    uint16_t q_count, q_text_len, next_id, last_id;
    uint16_t resp_len, resp_lines;
    /* flags and small counters, together to keep the struct tight */
    uint8_t line_overflow;   /* the current line is too long: drop at its end */
    uint8_t skip_lf;         /* the previous line ended with CR: swallow one LF */
    uint8_t skip_space;      /* a prompt '>' was seen: swallow one ' ' */
    uint8_t in_callback;     /* re-entrancy guard */
    uint8_t settling;        /* after a timeout: drop answers until quiet */
    uint8_t echo_mode;       /* learned: the modem echoes commands */
    uint8_t echo_seen;       /* the echo of the command in flight arrived */
    uint8_t lead_armed;      /* waiting for the command's raw_lead */
    uint8_t lead_pos;        /* bytes of raw_lead matched so far */
    uint8_t lead_raw;        /* 1: the payload being read was started by raw_lead;
                                2: it ended, its first line after is awaited */
    uint8_t inl_field;       /* SM_AT_F_RAW_AFTER field of the command waiting, 0: none */
    uint8_t after_timeout;   /* the last command timed out: trust no shortcut */
    uint8_t drain_term;      /* 1 + index of the next terminator byte owed; 0 none */
    /* a headerless payload whose first line looks like a URC (see raw_lead):
       which reading holds is decided by the bytes after its count */
    uint8_t lv_active;       /* 1: a candidate URC (in line[]) or the payload,
                                2: only checking that the payload's end frames */
    uint8_t lv_le;           /* the payload itself ended with a line end */
    uint8_t lead_bad;        /* the read's end did not frame: raw_unframed */
    uint8_t lv_run;          /* line-end bytes seen after the count */
    uint8_t lv_slen;         /* then: bytes matching the start of lv_ref */
    uint8_t raw_hold;        /* 1: raw bytes are counted but not stored (a cut read) */
    uint8_t line_raw;        /* 1: this line's bytes also go to raw_buf (LINE_TO_RAW) */
    uint16_t lv_cand;        /* length of the candidate URC line */
    uint16_t lead_seen;      /* bytes of the headerless read copied to line[] too */
    uint32_t lv_bits;        /* the line-end bytes after the count: bit i set = LF */
    const char *lv_ref;      /* a final result or URC prefix they follow */
    uint8_t owe_from;        /* SM_PH_TX_OWED: the phase the deadline interrupted */
    uint8_t owe_result;      /* SM_PH_TX_OWED: the result to report once written */
    uint32_t init_mark;      /* SM_AT_INIT_MARK once sm_at_init() ran (implementation) */
    uint32_t settle_since;   /* when settling began (bounded by SM_AT_SETTLE_MAX_MS) */
    uint32_t drain_deadline; /* an interrupted command's debt is written by then */
    sm_clock clock;          /* every time above and below is counted by it */
    uint32_t last_rx_ms;
    size_t raw_left;         /* raw bytes still expected */
    sm_at_raw_fn raw_sink;   /* NULL: into the command's raw_buf */
    void *raw_ctx;
    uint32_t raw_deadline;
    /* queue: entries in order, their texts back to back in q_text */
    sm_at_entry q[SM_QUEUE_DEPTH];
    char q_text[SM_QUEUE_TEXT + 1]; /* + the NUL of a text built in place */
    /* (three bytes here fill what the NUL's byte would leave as padding) */
    uint8_t phase;           /* SM_PH_* of the command at the head (implementation) */
    uint8_t resp_trunc, raw_trunc;
    /* the command at the head of the queue, once on the wire */
    size_t tx_off;
    uint32_t deadline;
    char resp[SM_RESP_SIZE];
    size_t raw_got;
    size_t raw_over;         /* raw bytes of this response that were not stored */
    /* last completion, for callers that poll instead of using callbacks */
    sm_at_result last_result;
    int32_t last_code;
    sm_at_urc_table urc[SM_URC_TABLES];
    sm_at_line_fn unhandled; /* optional: lines nobody claimed */
    void *unhandled_ctx;
    /* over-long lines handed on in pieces (sm_at_on_long_line, which also
       installs long_ops: a program that never calls it does not link that
       code) */
    const struct sm_at_long_ops *long_ops;
    const char *long_prefix;
    sm_at_long_fn long_fn;
    void *long_ctx;
    uint8_t long_on;         /* the line being received goes to long_fn */
    /* a line cut after a field for raw bytes (sm_at_cut_urc, SM_AT_F_RAW_AFTER):
       the code that cuts it is reached only through this pointer, which
       sm_at_cut_urc() and sm_at_use_inline_raw() set */
    int (*inline_comma)(struct sm_at *at);
    const char *cut_prefix;
    uint8_t cut_field;
    sm_at_stats stats;
} sm_at;

/* The standard 3GPP dialect: "\r" terminator, OK/ERROR/+CME/+CMS results,
   no restart marker. */
SECMODEM_API const sm_at_dialect *sm_at_dialect_3gpp(void);

/* Initialises the engine; the platform struct is copied. SM_OK,
   SM_ERR_PARAM (NULL at or plat, no write or now_ms), SM_ERR_BUSY when at
   is an initialised engine inside one of its own callbacks: re-initialise
   from the main loop after the callback returned (the same rule holds for
   sm_sqn_init and sm_cord_init). The engine knows it was initialised by a
   marker field, so `at` must be zeroed or initialised before any other
   sm_at_* call: a zeroed engine is refused by every function (SM_ERR_STATE,
   or 0/NULL/SM_AT_PENDING where the return type has no error). Zero it
   before the first init too (a static, `= {0}`, or memset): a local that
   still holds an old engine's bytes can look like one inside a callback,
   and init then returns SM_ERR_BUSY. */
SECMODEM_API int sm_at_init(sm_at *at, const sm_platform *plat, const sm_at_dialect *dialect);
/* Queues a command; returns its id (1..32767) or a negative SM_ERR_*:
   SM_ERR_PARAM (NULL at or cmd, NULL text, payload too big or without flag),
   SM_ERR_STATE (at never initialised),
   SM_ERR_UNSAFE_STRING (the text contains CR, LF or NUL... any control
   byte), SM_ERR_QUEUE_FULL. Never blocks: the command goes out from
   sm_at_poll()/sm_at_feed(). */
SECMODEM_API int sm_at_submit(sm_at *at, const sm_at_cmd *cmd);
/* Queues the n commands of cmds (1..SM_QUEUE_DEPTH) all or none, back to
   back: every command is checked first, so none is queued when one is
   refused (sm_at_submit's errors) or when the queue lacks room for them
   all (SM_ERR_QUEUE_FULL). Returns the id of the last, whose completion
   ends the sequence (each still completes alone, with its own on_done).
   Texts built in place (sm_at_text_space) are taken when they lie back to
   back in the free space, each right after the previous one's NUL (the
   first at its start), as the Sequans formats build them. A dialect's
   operations of several commands are queued this way. */
SECMODEM_API int sm_at_submit_all(sm_at *at, const sm_at_cmd *cmds, size_t n);
/* The queue's free text space, for building a command's text in place
   (no buffer of its own): *cap bytes, its NUL included. A text built there
   and passed to sm_at_submit as cmd->text is taken without a copy. Valid
   until the queue changes (the next submit, poll, feed or flush). NULL
   for a NULL or never initialised at, or a NULL cap. */
SECMODEM_API char *sm_at_text_space(sm_at *at, size_t *cap);
/* Advances everything: pulls bytes (pull mode), enforces deadlines, writes
   pending output and starts the next queued command. Returns quickly:
   SM_OK, or SM_ERR_IO if the platform's read failed. SM_ERR_PARAM (NULL),
   SM_ERR_STATE (never initialised), SM_ERR_BUSY (from a callback) as feed. */
SECMODEM_API int sm_at_poll(sm_at *at);
/* Push mode: hands received bytes to the engine (call from the main loop).
   SM_OK; SM_ERR_PARAM (NULL at, NULL data with len), SM_ERR_STATE (never
   initialised), SM_ERR_BUSY (from one of the engine's callbacks). */
SECMODEM_API int sm_at_feed(sm_at *at, const uint8_t *data, size_t len);
/* Registers a URC table (kept by reference). SM_ERR_NO_SPACE when
   SM_URC_TABLES are in use; SM_ERR_PARAM for a NULL at or table, or a row
   without a prefix or without a function; SM_ERR_STATE (never initialised). */
SECMODEM_API int sm_at_add_urcs(sm_at *at, const sm_urc *table, size_t n, void *ctx);
/* Removes a table registered by sm_at_add_urcs. SM_ERR_PARAM if it is not
   registered (or NULL), SM_ERR_STATE (never initialised). */
SECMODEM_API int sm_at_remove_urcs(sm_at *at, const sm_urc *table);
/* Lines that are neither response nor registered URC go here (optional).
   Ignored for a NULL or never initialised at (as are sm_at_on_long_line
   and sm_at_cut_urc). */
SECMODEM_API void sm_at_on_unhandled(sm_at *at, sm_at_line_fn fn, void *ctx);
/* Over-long lines of one kind: a line that starts with prefix (kept by
   reference) and does not fit SM_LINE_SIZE - 1 bytes is handed to fn in
   pieces as it arrives instead of being dropped: its first SM_LINE_SIZE - 1
   bytes (SM_AT_LONG_FIRST, NUL-terminated), then each further
   SM_LINE_SIZE - 1 bytes (SM_AT_LONG_MORE), and at its end the rest, maybe
   empty (SM_AT_LONG_LAST). For events whose text has no count, e.g. a
   received message running to the end of the line. Lines that fit, and
   every other line, take the usual path. One prefix per engine; fn NULL
   removes it. A piece is valid during the call only. */
SECMODEM_API void sm_at_on_long_line(sm_at *at, const char *prefix, sm_at_long_fn fn, void *ctx);
/* Raw bytes inline in an UNSOLICITED line, as in the Calypso-style socket
   event `+recv:<id>,<fmt>,<n>,<n raw bytes>`: a line that starts with
   prefix (kept by reference) and is not the in-flight command's response is
   cut at the comma that ends its field `field` (1..15, counted after the
   prefix, commas inside double quotes not counted) and dispatched at once
   to the URC tables; its handler reads the bytes that follow by count with
   sm_at_expect_raw() (with a sink). A handler that does not leaves them to
   the line parser. One prefix per engine; field 0 removes it. Costs one
   test per received comma. */
SECMODEM_API void sm_at_cut_urc(sm_at *at, const char *prefix, unsigned field);
/* From a line handler: the next n bytes after this line are raw payload.
   sink NULL sends them to the in-flight command's raw_buf. SM_OK;
   SM_ERR_PARAM (NULL at, n above SM_AT_EXPECT_MAX, or no sink and no
   command in flight), SM_ERR_STATE (never initialised). */
#define SM_AT_EXPECT_MAX 65535u /* a count field of every dialect fits */
SECMODEM_API int sm_at_expect_raw(sm_at *at, size_t n, sm_at_raw_fn sink, void *ctx);
/* Turns on the reads by raw_lead (headerless payloads, see sm_at_cmd) for
   this engine, and links their code (about 1.4 KB on a Cortex-M) into the
   program: call it before submitting such a command, which is refused
   with SM_ERR_STATE otherwise. A program that never calls it does not
   carry that code. SM_OK; SM_ERR_PARAM (NULL), SM_ERR_STATE (never
   initialised). */
SECMODEM_API int sm_at_use_headerless(sm_at *at);
/* The same for commands with SM_AT_F_RAW_AFTER (raw bytes inline in their
   answer line): call it before submitting one (else SM_ERR_STATE); a
   program that never calls it nor sm_at_cut_urc() does not carry the code
   that cuts such lines (about 250 bytes on a Cortex-M). SM_OK;
   SM_ERR_PARAM (NULL), SM_ERR_STATE (never initialised). */
SECMODEM_API int sm_at_use_inline_raw(sm_at *at);
/* Cancels the in-flight command (if any) and every queued one; each gets
   on_done with `result` (e.g. SM_AT_CANCELLED; PENDING, OK or a value that
   is no sm_at_result become SM_AT_CANCELLED). Safe from callbacks. Does
   nothing for a NULL or never initialised at. */
SECMODEM_API void sm_at_flush(sm_at *at, sm_at_result result);
/* 1 while a command is queued or in flight (0 for NULL / never initialised). */
SECMODEM_API int sm_at_busy(const sm_at *at);
/* Queue slots free (0 for NULL / never initialised). */
SECMODEM_API int sm_at_queue_free(const sm_at *at);
/* The result of the command `id` if it was the last one to complete, else
   SM_AT_PENDING (also for NULL / never initialised). */
SECMODEM_API sm_at_result sm_at_result_of(const sm_at *at, uint16_t id);
/* The counters; NULL for NULL / never initialised. */
SECMODEM_API const sm_at_stats *sm_at_get_stats(const sm_at *at);
SECMODEM_API const char *sm_at_result_name(sm_at_result r);
/* The response lines one by one: pass NULL for the first, then the line
   returned; NULL after the last (r->nlines of them) or for a NULL r.
       for (l = sm_at_next_line(r, NULL); l; l = sm_at_next_line(r, l)) ... */
SECMODEM_API const char *sm_at_next_line(const sm_at_response *r, const char *line);
/* Maps a result to a status code (SM_OK, SM_ERR_MODEM, SM_ERR_TIMEOUT...). */
SECMODEM_API int sm_at_result_status(sm_at_result r);
/* An is_answer (sm_at_cmd) for the 3GPP TS 27.007 registration reads
   AT+CREG?, AT+CGREG?, AT+CEREG? (and AT+C5GREG?), whose URCs share the
   prefix: the answer is `+CxREG: <n>,<stat>[,...]`, the URC
   `+CxREG: <stat>[,"<lac/tac>",...]`. 1 when the fields after the ':' begin
   with two unquoted numbers, <n> of one digit and <stat> of one or two;
   0 otherwise (one field, or a quoted or empty second one). ctx unused. */
SECMODEM_API int sm_at_reg_answer(void *ctx, const char *line, size_t len);

/* Blocking helper for simple programs and tests: submits, then polls until
   the command completes (bounded by the commands queued before it, each by
   its own timeout, plus at most SM_AT_SETTLE_MAX_MS of settling, plus at
   most SM_AT_TIMEOUT_MS for an interrupted payload's bytes). The
   command's own on_done and ctx are replaced (the helper reports through
   out). Copies the response lines into lines[cap] (may be NULL). Returns
   the status, or SM_ERR_PARAM (NULL at or cmd), SM_ERR_STATE (never
   initialised), SM_ERR_BUSY (from a callback), sm_at_submit's errors. */
SECMODEM_API int sm_at_run_blocking(sm_at *at, const sm_at_cmd *cmd, sm_at_response *out,
                                    char *lines, size_t cap);

/* --------------------------------------------------------------------------
   5.4 Operations: what every dialect's operations share
   A dialect's operation record begins with an sm_op. The dialect's sm_ops
   keeps those records (an array in the dialect's struct), gives the ids
   and remembers how the last operations ended, so that an id, pending,
   busy and wait mean the same in every dialect and a new dialect writes
   none of it again. A new operation takes the first free record; how
   one ends is the dialect's policy:
     pipelined   its record is freed where it is (sm_ops_close): records
                 never move, the engine's commands point at them. Sequans:
                 every command of every operation is queued at once.
     in order    only the first record runs; when it ends the others move
                 up (sm_ops_close_head), so the records stay in start
                 order. Cordelia-I: one operation at a time, each may wait
                 for an event.
   The library's own work (a supervision probe...) may use records too:
   marked own, it is not counted, not pending and not remembered.
   The calls (private, in Part II's 5.4; an application uses its dialect's
   sm_<d>_pending/busy/wait/cancel instead):
     sm_ops_init(o, recs, rec_size, n)     in the dialect's init
     sm_ops_claim(o) -> record or NULL      a free record, zeroed
     sm_ops_open(o, rec) -> id              once its commands are queued
     sm_ops_close(o, rec, status)           pipelined end: remembered, freed
     sm_ops_close_head(o, status)           in-order end of the first record
     sm_ops_head(o), sm_ops_pending(o, id), sm_ops_busy(o), sm_ops_status(o, id)
     sm_ops_new_id(o), sm_ops_remember(o, id, status)  for work without a record
   With them, from the engine: sm_at_submit_all() (an operation's commands
   all or none), sm_urc_first() (a line's row among a feature's rows) and
   sm_at_text_verdict() (SM_ERR_QUEUE_FULL or SM_ERR_PARAM for a command
   built in the queue). tests/unit/at/test_third_dialect.c is a dialect
   written on these alone.
   -------------------------------------------------------------------------- */
#ifndef SM_OPS_RECENT
#define SM_OPS_RECENT 6 /* operations whose status sm_<d>_wait() can still tell */
#endif
#if SM_OPS_RECENT < 1 || SM_OPS_RECENT > 64
#error "SM_OPS_RECENT must be 1..64"
#endif
/* A feature's URC rows: a dialect registers them when the feature is
   first used, and routes its lines to them with sm_urc_first(), the
   engine's own row lookup. */
typedef struct sm_urc_rows {
    const sm_urc *rows;
    uint8_t n;
} sm_urc_rows;
/* The sm_urc_rows initialiser of a table t (an array of sm_urc). */
#define SM_URC_ROWS(t) { t, (uint8_t)(sizeof t / sizeof t[0]) }
typedef struct sm_op {
    uint16_t id;       /* 1..0x7FFF; 0: the record is free */
    uint8_t own;       /* the library's own work, not the application's */
} sm_op;
typedef struct sm_ops {
    unsigned char *recs;   /* the dialect's records, each beginning with its sm_op */
    uint16_t rec_size;     /* bytes of one record */
    uint8_t cap, used;     /* records; records in use */
    uint8_t recent_next;
    uint16_t next_id;
    uint16_t recent_id[SM_OPS_RECENT]; /* the last operations ended... */
    int8_t recent_status[SM_OPS_RECENT]; /* ...and their statuses */
} sm_ops;

/* A modem's clock (date and time), as 3GPP TS 27.007 +CCLK reads it. valid is 0 while it
   is unset (a modem counts from 1970 until the network or NTP sets it:
   docs/sequans.md C-07, R-11); TLS date checks fail then. */
typedef struct sm_datetime {
    uint16_t year;
    uint8_t month, day, hour, minute, second;
    int8_t tz_quarters; /* offset from UTC in quarter hours */
    uint8_t valid;
} sm_datetime;

/* A file in a module's file system (Cordelia-I +filegetinfo). flags: the
   number, or the bits of the property names the module sent
   (SM_CORD_FPROP_*); token: 0 unless numeric. */
typedef struct sm_file_info {
    uint32_t flags, size, allocated, token, storage, write_counter;
    const char *flags_text; /* the flags field as sent ("READ|WRITE"), NUL-terminated,
                               cut to 39 bytes; valid during the done callback */
} sm_file_info;

/* The outcome of an operation, in every dialect: handed once to the
   operation's done callback, whose shape is the same in every dialect
   (void *ctx, the modem, const sm_result *), and valid during that call
   only (pointers included). The fields every dialect fills come first;
   u holds what only some operations report, as each dialect's start
   function documents. */
typedef struct sm_result {
    int id;               /* what the start function returned */
    int status;           /* SM_OK, or SM_ERR_MODEM (the module refused: code,
                             err_text), SM_ERR_TIMEOUT, SM_ERR_REBOOT, SM_ERR_PARSE
                             (malformed answer), SM_ERR_TRUNCATED (the caller's buffer
                             was too small: len bytes kept of total),
                             SM_ERR_CANCELLED, SM_ERR_IO... */
    int32_t code;         /* the module's error number, a failure event's code, or
                             SM_AT_NO_CODE */
    const char *err_text; /* the module's error text or a failure event's status, or NULL */
    uint32_t value;       /* the socket, slot, profile or file the operation concerns
                             or the module assigned; a publish's message id; the
                             functionality level (Sequans FUNC_READ) */
    uint32_t len;         /* bytes moved: stored in the caller's buffer (reads; 0
                             unless SM_OK or SM_ERR_TRUNCATED), or accepted by the module */
    uint32_t total;       /* bytes the module sent or announced (reads: more than len
                             with SM_ERR_TRUNCATED) */
    const char *text;     /* an answer's text (a setting's value, an address, a version) */
    sm_at_result at;      /* the engine's final result of the (first failing) command */
    uint8_t op;           /* the dialect's operation kind: sm_sqn_op_kind, sm_cord_op_kind */
    uint8_t truncated;    /* 1 with SM_ERR_TRUNCATED: more bytes came than fitted */
    uint8_t stage;        /* a sequence's step where it ended (Cordelia-I FILE_UPLOAD:
                             0 open, 1 write, 2 close; BRINGUP: its step) */
    union {
        /* Sequans */
        uint8_t sock_state[6];  /* SOCK_STATUS: +SQNSS state of sockets 1..6 */
        struct { uint32_t sent, received, buffered, unacked; } sock_info; /* SOCK_INFO */
        sm_datetime clock;         /* CLOCK */
        /* SIGNAL (+CSQ, 3GPP TS 27.007 8.5): rssi 0..31, 99 when not known;
           dbm = -113 + 2 * rssi (-113 or less .. -51 or more), 0 when not
           known; ber 0..7, 99 when not known (a GM02S always answers 99) */
        struct { uint8_t rssi, ber; int16_t dbm; } signal;
        struct { uint8_t failed_step; uint8_t reg_stat; sm_datetime clock; } bringup;
        struct { int32_t ntp; sm_datetime clock; } sync; /* TIME_SYNC: +SQNNTP status, clock after */
        struct { char imei[16], svn[3]; } identity;     /* IDENTITY: digits, NUL-terminated */
        uint8_t nvm_text;       /* NVM_READ: 1 when the buffer holds the modem's
                                   metadata line (issuer, subject, dates...) as text,
                                   which is what a GM02S returns; 0: the certificate */
        uint32_t remaining;     /* HTTP_READ: body bytes not read yet */
        /* Cordelia-I */
        sm_file_info file_info; /* FILE_INFO */
        struct { const char *group, *key; } setting; /* GET, SET, MQTT_CONFIG, SOCKET_TLS,
                                   BRINGUP: the setting, on failure the one that failed */
    } u;
} sm_result;

/* An event: what a URC the dialect knows reported, or a line nobody
   claimed (UNHANDLED), in every dialect: handed to the event callback,
   whose shape is the same in every dialect (void *ctx, the modem, const
   sm_event *), and valid during that call only (strings included: copy
   what you keep). Strings are NUL-terminated. The members of u have one
   name and one meaning in every dialect (a modem's number is `code`, a
   byte count `value` or `len`); each dialect's event list says which
   members its events fill and which it leaves 0 / NULL. */
typedef struct sm_event {
    int type;             /* the dialect's kind: sm_sqn_event_type, sm_cord_event_type */
    const char *line;     /* the line as received ("" for an event of the library's
                             own, e.g. the MQTT supervision's, or a Cordelia-I message
                             put together from a line longer than the engine's) */
    size_t line_len;
    union {
        struct { uint8_t stat; } reg;            /* +CEREG stat */
        /* the modem started: count, the restarts seen since the dialect's
           init, this one included (mod 65536); the module's own fields
           (Cordelia-I) */
        struct { uint16_t count; const char *article, *chip_id, *mac, *version; } startup;
        /* a socket: value is the bytes waiting (SOCK_DATA), the port
           (Cordelia-I SOCK_CONNECTED) or the module's error number */
        struct { int id; int32_t value; const char *address; } sock;
        struct { const char *status; int32_t code; } mqtt; /* status: Cordelia-I only */
        struct { const char *topic; int32_t code; } sub;
        struct { uint16_t pmid; int32_t code; } pub;
        /* a message: payload[0..len) of total bytes when the event carries
           it (Cordelia-I); NULL when it only announces one of len (= total)
           bytes to be read (Sequans: sm_sqn_mqtt_read); mid 0: QoS 0 or not
           reported */
        struct { const char *topic; const char *payload; uint32_t len, total;
                 uint8_t qos; uint16_t mid; } msg;
        struct { uint8_t prof; uint16_t status; const char *content_type; uint32_t size;
                 int32_t curl; } http;
        /* host signing (Sequans), see its event list */
        struct { uint16_t ctx; uint8_t key; uint8_t alg; const uint8_t *digest;
                 uint8_t has_ctx; } hce;
        struct { int32_t status; } ntp;
        /* the Sequans MQTT supervision: status SM_OK or why (SM_ERR_TIMEOUT: no
           answer in time, SM_ERR_MODEM: the command was refused,
           SM_ERR_REFUSED: the modem's rc, in code, was not 0) */
        struct { int status; int32_t code; uint8_t topics, failed; const char *topic; } sup;
        struct { const char *ssid, *bssid; int32_t reason; } wlan; /* reason: disconnect */
        struct { const char *ip, *gateway, *dns; } ip;
        struct { const char *reason; } fatal;    /* device_abort, sync_loss... */
    } u;
} sm_event;

#ifndef SM_NO_SEQUANS
/* ==========================================================================
   6. SEQUANS GM02S DIALECT (declarations)
   A Sequans Monarch 2 (GM02S / GM02SP, AVR-IoT Cellular Mini) on top of the
   AT engine: bring-up, NVM certificates, TLS security profiles, sockets, the
   built-in MQTT and HTTP clients. The wire format is the one fixed by
   sim/sequans_contract.md ("the contract"), whose every rule cites the
   conformance ledger docs/sequans.md (sources and verdicts).

   Usage: one sm_sqn per modem, owned by the caller.
       sm_sqn_init(&m, &plat, on_event, app);  // URC table armed from here on
       sm_sqn_bringup(&m, on_up, app);         // AT, ATE1, CMEE, CEREG, CFUN, wait, CCLK
       for (;;) sm_sqn_poll(&m);               // or sm_sqn_feed() + sm_sqn_poll()

   Every operation is a start function that checks its arguments, queues its
   command(s) and returns at once: an operation id (1..32767), or a negative
   SM_ERR_* and then nothing is written and no callback comes. The operation
   ends with exactly one call of its done callback (sm_sqn_done_fn) with an
   sm_result. Unsolicited results (URCs) become events (sm_event):
   every one of them, known or not, reaches the event callback. An event may
   come before the done callback of the command that caused it (e.g. the
   +SQNSMQTTONCONNECT of a fast broker). Both callbacks may start operations.

   Strings: every caller string placed in a command goes through sm_check_str
   (via sm_buf_quoted / sm_buf_checked); quotes, CR, LF and other controls are
   refused (SM_ERR_UNSAFE_STRING), as are over-long strings (SM_ERR_PARAM).
   Hosts are limited to letters, digits and . - _ : ; cipher lists and PSKs
   to their hex syntax. Nothing is written when a check fails.

   Restarts: +SYSSTART (any time, also in the middle of a command) resets the
   state in `st`, ends the command in flight and every queued one with
   SM_ERR_REBOOT, then emits RESTARTED: start what should follow a restart
   from that event. NVM and security profiles survive a restart.

   Reads (SOCK_RECV, NVM_READ, MQTT_READ, HTTP_READ), the same rule as the
   Cordelia-I section's reads (table: docs/receive-checks.md):
   - SM_OK: len bytes of data are in the buffer (value: the socket,
     slot or profile);
   - SM_ERR_TRUNCATED: the modem sent more than the buffer holds: the
     buffer has the first len bytes, total says how many came;
     the rest was read and dropped (the framing holds). Bytes lost are
     never reported as SM_OK;
   - SM_ERR_PARSE: an answer for another socket or slot (its bytes are read
     and dropped, never put in the buffer, and not counted off this
     socket's pending bytes), a malformed header, a payload cut short or
     not framed;
   - any status but SM_OK and SM_ERR_TRUNCATED: len is 0, and what
     the buffer holds is not data (a failed read may have written to it,
     an answer for another socket or slot never does, except a
     certificate read's header line, which is stored as it arrives).

   Where each format comes from: docs/sequans.md, the conformance ledger
   (vendor drivers and published device logs, each with a verdict). What
   this code does where the sources disagree or are silent:
   - echo: Walter boards run with echo off; the bring-up sends ATE1 all the
     same (a V.250 basic command; with echo the engine also tells a late
     answer from the next command's); nothing depends on it;
   - URCs come at any time, also between a command and its answer and
     between AT+SQNSMQTTRCVMESSAGE and its headerless payload: the engine
     recognises those by the announced length (see raw_lead in sm_at_cmd);
   - publish answer: `+SQNSMQTTPUBLISH: <pmid>` (GM02SP) or `0,<pmid>`;
   - AT+SQNSD failure: NO CARRIER (also NO ANSWER, BUSY, NO DIALTONE) is a
     final result, SM_ERR_MODEM with at = SM_AT_DIALECT_ERROR;
   - HTTP body: AT+SQNHTTPRCV=<p> without a size (a GM02SP refuses a size),
     the sized form as sm_sqn_http_read_max for firmware that takes it;
   - +SQNHTTPRING content type quoted (GM02SP) or not;
   - AT+SQNSNVR="certificate" answers a metadata line (no PEM), of any
     length; the `<len>` + bytes form is still accepted;
   - AT+SQNSNVW <size> does not count CR bytes (the manual);
   - a profile without CA and without validation makes the MQTT client go
     out in plaintext: refused unless allow_plaintext_fallback;
   - +SQNHCESIGN: only field 0 (context) and field 3 (digest) are read;
   - 0xFF (after light sleep) and other bytes no text contains are dropped
     from lines and counted (stats.noise);
   - the modem may boot in CFUN 0: the bring-up always sends AT+CFUN=1;
   - AT+SQNSPCFG=... may answer a `+SQNSPCFG:` line before OK (accepted,
     not required);
   - a broker drop is reported by no URC on LR8.2.1.0 (the modem resumes by
     itself later): "Time and MQTT supervision" below finds it by a probe;
   - unknown (no source shows them): the +SQNSMQTTONUNSUBSCRIBE URC, the
     answer of AT+SQNSNVR="privatekey", the host's failure answer
     AT+SQNHCESIGN=<ctx>,<status>,0,"".
   Readings of this code where every source is silent:
   - AT+SQNHTTPCFG for plain HTTP leaves <spId> empty (`...,0,120,,`);
   - AT+SQNSMQTTCFG with a profile but no credentials sends "","" for them;
   - the payload after a "> " prompt is not echoed;
   - TLS on a socket cannot be turned off again (no disable form given).
   ========================================================================== */
#ifndef SM_SQN_HOST_MAX
#define SM_SQN_HOST_MAX 128
#endif
#ifndef SM_SQN_TOPIC_MAX
#define SM_SQN_TOPIC_MAX 112
#endif
#ifndef SM_SQN_CRED_MAX
#define SM_SQN_CRED_MAX 64
#endif
#ifndef SM_SQN_PATH_MAX
#define SM_SQN_PATH_MAX 128
#endif
#ifndef SM_SQN_HEADER_MAX
#define SM_SQN_HEADER_MAX 96
#endif
#ifndef SM_SQN_CIPHERS_MAX
#define SM_SQN_CIPHERS_MAX 64
#endif
#ifndef SM_SQN_CMD_MAX
#define SM_SQN_CMD_MAX (SM_QUEUE_TEXT < 256 ? SM_QUEUE_TEXT : 256)
#endif
#ifndef SM_SQN_OPS
#define SM_SQN_OPS SM_QUEUE_DEPTH
#endif
#ifndef SM_SQN_CEREG_MODE
#define SM_SQN_CEREG_MODE 5
#endif
#ifndef SM_SQN_BOOT_TIMEOUT_MS
#define SM_SQN_BOOT_TIMEOUT_MS 20000UL
#endif
#ifndef SM_SQN_PROBE_MS
#define SM_SQN_PROBE_MS 1000UL
#endif
#ifndef SM_SQN_CFUN_TIMEOUT_MS
#define SM_SQN_CFUN_TIMEOUT_MS 15000UL
#endif
#ifndef SM_SQN_REG_TIMEOUT_MS
#define SM_SQN_REG_TIMEOUT_MS 180000UL
#endif
#ifndef SM_SQN_REG_POLL_MS
#define SM_SQN_REG_POLL_MS 10000UL
#endif
#ifndef SM_SQN_NVM_TIMEOUT_MS
#define SM_SQN_NVM_TIMEOUT_MS 15000UL
#endif
#ifndef SM_SQN_DIAL_TIMEOUT_MS
#define SM_SQN_DIAL_TIMEOUT_MS 120000UL
#endif
#ifndef SM_SQN_SOCK_TIMEOUT_MS
#define SM_SQN_SOCK_TIMEOUT_MS 15000UL
#endif
#ifndef SM_SQN_MQTT_TIMEOUT_MS
#define SM_SQN_MQTT_TIMEOUT_MS 60000UL
#endif
#ifndef SM_SQN_HTTP_TIMEOUT_MS
#define SM_SQN_HTTP_TIMEOUT_MS 30000UL
#endif
#ifndef SM_SQN_NVM_ANY_SLOT
#define SM_SQN_NVM_ANY_SLOT 0   /* 1: allow writes to the slots Sequans reserves */
#endif
#ifndef SM_SQN_HTTP_MODEM_TIMEOUT_S
#define SM_SQN_HTTP_MODEM_TIMEOUT_S 120
#endif

#if SM_SQN_CEREG_MODE != 2 && SM_SQN_CEREG_MODE != 5
#error "SM_SQN_CEREG_MODE must be 2 or 5"
#endif
#if SM_SQN_TOPIC_MAX + 48 > SM_LINE_SIZE
#error "an +SQNSMQTTONMESSAGE line must fit SM_LINE_SIZE: lower SM_SQN_TOPIC_MAX"
#endif
#if SM_SQN_OPS < 1 || SM_SQN_OPS > 32
#error "SM_SQN_OPS must be 1..32"
#endif

#define SM_SQN_SOCKETS 6       /* connIds 1..6 (contract: Sockets) */
#define SM_SQN_HTTP_PROFILES 3 /* prof_id 0..2 (contract: Built-in HTTP client) */
#define SM_SQN_NVM_SLOTS 20    /* NVM slots 0..19 (contract: NVM) */
#define SM_SQN_NO_SLOT (-1)    /* an unused certificate/key slot: empty field */
#define SM_SQN_REG_UNKNOWN 0xFFu

/* Events: one per URC (and per line nobody claimed), each an sm_event
   (section 5.4) whose line is the URC as received ("" for the supervision's
   own events). The events: one list (an X-macro) makes the enum and the
   names that sm_sqn_event_name() returns, so the two cannot drift apart. */
#define SM_SQN_EVENT_LIST(X) \
    X(REGISTERED)               /* +CEREG stat 1 (home) or 5 (roaming): u.reg */                     \
    X(DEREGISTERED)             /* +CEREG any other stat (0 off, 2 searching, 3 denied...): u.reg */ \
    X(RESTARTED)                /* +SYSSTART: sockets, MQTT, HTTP state reset; u.startup.count */    \
    X(SOCK_DATA)                /* +SQNSRING: u.sock.value bytes now buffered in the modem (for a    \
                                socket never dialled: UNHANDLED instead) */                          \
    X(SOCK_CLOSED)              /* +SQNSH: the peer or the network closed u.sock.id */               \
    X(MQTT_CONNECTED)           /* +SQNSMQTTONCONNECT: u.mqtt.code (0 ok, <0 failed) */              \
    X(MQTT_DISCONNECTED)        /* +SQNSMQTTONDISCONNECT: u.mqtt.code */                             \
    X(MQTT_SUBSCRIBED)          /* +SQNSMQTTONSUBSCRIBE: u.sub.topic, u.sub.code */                  \
    X(MQTT_UNSUBSCRIBED)        /* +SQNSMQTTONUNSUBSCRIBE: u.sub */                                  \
    X(MQTT_PUBLISHED)           /* +SQNSMQTTONPUBLISH: u.pub.pmid, u.pub.code */                     \
    X(MQTT_MESSAGE)             /* +SQNSMQTTONMESSAGE: u.msg (topic, len = total: its     \
                                size, qos, mid; payload NULL): read it with             \
                                sm_sqn_mqtt_read() */                                   \
    X(MQTT_MEMORY_FULL)         /* +SQNSMQTTMEMORYFULL: the oldest messages were dropped */          \
    X(HTTP_RESPONSE)            /* +SQNHTTPRING: u.http (status 0: failed, a FAILURE follows) */     \
    X(HTTP_FAILURE)             /* +SQNHTTPSH: u.http.prof, u.http.curl */                           \
    X(UNHANDLED)                /* any other line (unknown +SQN URC, stray line): line */            \
    X(HCE_SIGN)                 /* +SQNHCESIGN: sign u.hce.digest and answer with                    \
                                sm_sqn_hce_reply() (section 12's sm_hce does).                       \
                                u.hce: ctx, the request's context id (field 0);                      \
                                digest, 32 bytes (field 3, 64 hex digits, quoted or                  \
                                not); key, alg: fields 1 and 2 when they are numbers                 \
                                0..255, else SM_SQN_HCE_NO_FIELD: their meaning is                   \
                                not documented (docs/sequans.md), so they are                        \
                                reported, never acted on. Fields after the digest                    \
                                are tolerated. */                                                    \
    X(HCE_INVALID)              /* a +SQNHCESIGN line without a usable digest: u.hce.ctx             \
                                (when u.hce.has_ctx) must still be answered, with a                  \
                                failure status, or the handshake waits for its limit;                \
                                digest NULL (sm_hce does all this) */                                \
    /* time and MQTT supervision (see "Time and MQTT supervision" below) */                          \
    X(NTP)                      /* +SQNNTP: u.ntp.status (0: the clock was set) */                   \
    X(MQTT_RESUMED)             /* the modem resumed the session by itself: u.sup.topics */          \
    X(MQTT_RESUBSCRIBED)        /* every remembered subscription made again: u.sup.topics */         \
    X(MQTT_RESUBSCRIBE_FAILED)  /* u.sup.failed of u.sup.topics failed (first: u.sup.topic) */       \
    X(MQTT_LOST)                /* a probe found the session dead: u.sup.status, u.sup.code */       \
    X(MQTT_RECONNECT_FAILED)    /* the library's own reconnect failed: u.sup.status, u.sup.code */
#define SM_SQN_EV_ENUM_(name) SM_SQN_EV_##name,
typedef enum sm_sqn_event_type {
    SM_SQN_EV_NONE = 0, /* never reported (a zeroed event) */
    SM_SQN_EVENT_LIST(SM_SQN_EV_ENUM_)
    SM_SQN_EV_COUNT_    /* implementation: one past the last */
} sm_sqn_event_type;


/* Operations (the `op` of a result). */
/* The operations: one list (an X-macro) makes the enum and the names that
   sm_sqn_op_name() returns. */
#define SM_SQN_OP_LIST(X) \
    X(BRINGUP)           \
    X(CLOCK)             \
    X(NVM_WRITE)         \
    X(NVM_READ)          \
    X(NVM_KEY_INFO)      \
    X(NVM_DELETE)        \
    X(TLS_CONFIG)        \
    X(SOCK_CONFIG)       \
    X(SOCK_TLS)          \
    X(SOCK_DIAL)         \
    X(SOCK_SEND)         \
    X(SOCK_RECV)         \
    X(SOCK_CLOSE)        \
    X(SOCK_STATUS)       \
    X(SOCK_INFO)         \
    X(MQTT_CONFIG)       \
    X(MQTT_CONNECT)      \
    X(MQTT_SUBSCRIBE)    \
    X(MQTT_UNSUBSCRIBE)  \
    X(MQTT_PUBLISH)      \
    X(MQTT_READ)         \
    X(MQTT_DISCONNECT)   \
    X(HTTP_CONFIG)       \
    X(HTTP_REQUEST)      \
    X(HTTP_READ)         \
    X(HCE_REPLY)         \
    X(TIME_SYNC)         \
    X(CLOCK_SET)         \
    X(SIGNAL)            \
    X(IDENTITY)          \
    X(FUNC_READ)
#define SM_SQN_OP_ENUM_(name) SM_SQN_OP_##name,
typedef enum sm_sqn_op_kind {
    SM_SQN_OP_NONE = 0, /* no operation (a zeroed result) */
    SM_SQN_OP_LIST(SM_SQN_OP_ENUM_)
    SM_SQN_OP_COUNT_    /* implementation: one past the last */
} sm_sqn_op_kind;

/* Bring-up steps, to tell which one failed: one list (an X-macro) makes the
   constants and the names that sm_sqn_step_name() returns. */
#define SM_SQN_STEP_LIST(X) \
    X(NONE)                 \
    X(BOOT)                 \
    X(ECHO)                 \
    X(CMEE)                 \
    X(CEREG)                \
    X(CFUN)                 \
    X(REGISTER)             \
    X(CLOCK)                \
    X(TIME_SYNC) /* sm_sqn_bringup_time_sync(): no valid clock in time */
#define SM_SQN_STEP_ENUM_(name) SM_SQN_STEP_##name,
enum { SM_SQN_STEP_LIST(SM_SQN_STEP_ENUM_) SM_SQN_STEP_COUNT_ };

struct sm_sqn;
typedef void (*sm_sqn_event_fn)(void *ctx, struct sm_sqn *m, const sm_event *ev);
typedef void (*sm_sqn_done_fn)(void *ctx, struct sm_sqn *m, const sm_result *r);

/* NVM object types (contract: NVM). */
typedef enum sm_sqn_nvm_type { SM_SQN_NVM_CERT = 0, SM_SQN_NVM_KEY = 1 } sm_sqn_nvm_type;

/* Certificate validation levels (certValidLevel bits; docs/sequans.md C-12). */
enum { SM_SQN_VERIFY_NONE = 0, SM_SQN_VERIFY_CHAIN = 1, SM_SQN_VERIFY_HOST = 4 };
enum { SM_SQN_TLS_1_0 = 0, SM_SQN_TLS_1_1, SM_SQN_TLS_1_2, SM_SQN_TLS_1_3 };

/* Every parameter of AT+SQNSPCFG. Fill it with sm_sqn_tls_defaults(), then
   change what you need. */
typedef struct sm_sqn_tls {
    uint8_t sp_id;            /* security profile 1..6 */
    uint8_t version;          /* SM_SQN_TLS_1_0..1_3 */
    const char *ciphers;      /* IANA suite ids "0xC02B;0xC02F"; NULL or "": all */
    uint8_t verify;           /* certValidLevel: SM_SQN_VERIFY_CHAIN (chain + dates),
                                 | SM_SQN_VERIFY_HOST (host name too) */
    uint8_t insecure;         /* must be 1 to accept a level without the chain
                                 check: validation is never off by accident */
    int8_t ca_slot;           /* NVM certificate slot 0..19 of the trusted root(s),
                                 SM_SQN_NO_SLOT: none (only when not verifying) */
    int8_t cert_slot;         /* client certificate slot, or SM_SQN_NO_SLOT */
    int8_t key_slot;          /* client key slot (or key id in the host's secure
                                 element when key_in_host), or SM_SQN_NO_SLOT */
    const char *psk;          /* pre-shared key as hex, NULL or "": none */
    const char *psk_identity; /* NULL or "": none */
    uint8_t key_in_host;      /* storage 1: the host signs (SM_SQN_EV_HCE_SIGN, section 12);
                                 key_slot is then the key's slot in the ATECC608 */
    uint8_t resume;           /* TLS session resumption 0/1 */
    uint32_t lifetime;        /* session resumption lifetime, 0: modem default */
    /* A profile without a CA slot and without the chain check makes the
       GM02SP's MQTT client connect in PLAINTEXT, user name and password
       included (docs/sequans.md, "plaintext fallback"). Such a profile is
       refused unless this is 1; to go without validation over TLS, name a
       ca_slot (any certificate) with verify 0 and insecure 1. */
    uint8_t allow_plaintext_fallback;
} sm_sqn_tls;

/* HTTP methods: GET/HEAD/DELETE go out as AT+SQNHTTPQRY, POST/PUT as
   AT+SQNHTTPSND (contract: Built-in HTTP client). */
typedef enum sm_sqn_http_method {
    SM_SQN_HTTP_GET = 0, SM_SQN_HTTP_HEAD, SM_SQN_HTTP_DELETE, SM_SQN_HTTP_POST, SM_SQN_HTTP_PUT
} sm_sqn_http_method;
/* Body types of POST/PUT (<post_param>). */
enum { SM_SQN_CT_FORM = 0, SM_SQN_CT_TEXT, SM_SQN_CT_OCTETS, SM_SQN_CT_MULTIPART, SM_SQN_CT_JSON };

typedef struct sm_sqn_http_req {
    uint8_t prof;                /* HTTP profile 0..2, set up by sm_sqn_http_config() */
    sm_sqn_http_method method;
    const char *resource;        /* "/path?query": no spaces, no quotes */
    const char *header;          /* one extra header line "Name: value", or NULL */
    uint8_t content_type;        /* SM_SQN_CT_* (POST/PUT) */
    const uint8_t *body;         /* POST/PUT body (any bytes), caller-owned until done */
    size_t body_len;             /* 0..SM_PAYLOAD_MAX */
} sm_sqn_http_req;

/* State of a socket, kept from URCs and results. */
typedef struct sm_sqn_sock_state {
    uint8_t open;          /* dialled and not closed since */
    uint8_t remote_closed; /* +SQNSH arrived */
    uint16_t pending;      /* bytes waiting in the modem (last RING / SQNSI, minus reads) */
} sm_sqn_sock_state;

/* State of an HTTP profile: the last response announced by +SQNHTTPRING. */
typedef struct sm_sqn_http_state {
    uint8_t ring;          /* a response arrived for the last request */
    uint16_t status;       /* its HTTP status, 0: the request failed */
    uint32_t size;         /* its body size */
    uint32_t remaining;    /* body bytes not requested yet */
    int32_t curl;          /* last +SQNHTTPSH libcurl code, 0 none */
} sm_sqn_http_state;

/* What the application may read (never write) in an sm_sqn. */
typedef struct sm_sqn_state {
    uint8_t reg_stat;      /* last +CEREG stat, SM_SQN_REG_UNKNOWN before any */
    uint8_t registered;    /* reg_stat is 1 or 5 */
    uint16_t reboots;      /* +SYSSTART seen since sm_sqn_init() */
    uint8_t mqtt_connected; /* 0 also after SM_SQN_EV_MQTT_LOST */
    int32_t mqtt_rc;       /* last ONCONNECT / ONDISCONNECT rc */
    sm_sqn_sock_state sock[SM_SQN_SOCKETS]; /* [0] is connId 1: sock[id - 1] */
    sm_sqn_http_state http[SM_SQN_HTTP_PROFILES];
} sm_sqn_state;

/* An operation's descriptor and a feature (private, section 6's
   implementation): each operation's descriptor is its own object, named
   only by its start function, so that an application links the answer
   parsers and URC handlers of the operations it calls and no others. */
struct sm_sqn_opdef;
struct sm_sqn_feature;
/* Families of operations with URCs or work of their own (private): the
   slots of sm_sqn.feat, in the order sm_sqn_poll() advances them. */
#define SM_SQN_FEATURES 6

/* An operation in progress (private). */
typedef struct sm_sqn_op {
    sm_op base;            /* id (0: free), own (the MQTT supervision's): section 5.4 */
    struct sm_sqn *m;
    const struct sm_sqn_opdef *def; /* what it is: kind, finish */
    sm_sqn_done_fn done;
    void *ctx;
    uint8_t *buf;          /* the caller's buffer (MQTT_READ) */
    size_t cap;            /* its size */
    uint32_t total;        /* bytes announced (header line, or known in advance) */
    uint32_t rest;         /* HTTP_READ: body bytes left after this chunk */
    int32_t err_code;      /* code of the first failing command */
    uint8_t arg;           /* socket, slot or profile */
    uint8_t cmds;          /* commands still to complete */
    uint8_t flags;         /* SM_SQN_OPF_* (implementation) */
    uint8_t err_result;    /* sm_at_result of the first failing command, 0 none */
    uint8_t st[SM_SQN_SOCKETS]; /* SOCK_STATUS scratch */
} sm_sqn_op;

/* The bring-up sequence (private). */
typedef struct sm_sqn_boot {
    sm_sqn_done_fn done;
    void *ctx;
    uint32_t deadline, next_query;
    int32_t code;          /* CME code of the failing command */
    int status;            /* result of the last bring-up command */
    sm_datetime clock;
    uint16_t id;
    uint8_t phase, step, busy, have, restarts, rebooted;
    uint8_t at;            /* sm_at_result of the last bring-up command */
} sm_sqn_boot;

/* Time and MQTT supervision (private; "Time and MQTT supervision" below). */
#ifndef SM_SQN_MQTT_SUBS
#define SM_SQN_MQTT_SUBS 4     /* subscriptions remembered for a resume (1..32) */
#endif
#if SM_SQN_MQTT_SUBS < 1 || SM_SQN_MQTT_SUBS > 32
#error "SM_SQN_MQTT_SUBS must be 1..32"
#endif
typedef struct sm_sqn_sub {
    char filter[SM_SQN_TOPIC_MAX + 1];
    uint8_t state;         /* SM_SQN_SUB_* (implementation), 0: free */
    uint8_t qos;
    uint16_t op;           /* the application's operation on it */
} sm_sqn_sub;
/* The memory of the built-in MQTT client's session, owned by the
   application and handed over once with sm_sqn_use_mqtt() ("Time and MQTT
   supervision" below): the subscriptions remembered for a resume, the probe
   topic and the broker of the last connect, for a reconnect. About 720
   bytes with the defaults: an application that never uses the modem's MQTT
   client (e.g. a socket with the MQTT session of section 10) does not pay
   for it. Put it next to the sm_sqn (static, inside your object); its
   fields are private. */
typedef struct sm_sqn_mqtt_mem {
    sm_sqn_sub subs[SM_SQN_MQTT_SUBS];
    char probe_topic[SM_SQN_TOPIC_MAX + 1]; /* "" : probe by re-subscribing */
    char host[SM_SQN_HOST_MAX + 1];         /* of the last connect, for a reconnect */
    uint16_t port, keepalive;
} sm_sqn_mqtt_mem;
typedef struct sm_sqn_sup {
    sm_sqn_mqtt_mem *mem;  /* the application's, NULL: no MQTT memory handed over */
    uint32_t period_ms;    /* probe after this long without a sign of life, 0: off */
    uint32_t alive_ms;     /* the last sign of life */
    uint32_t deadline;     /* of the probe, the re-subscription or the reconnect */
    uint8_t flags;         /* SM_SQN_SUP_* */
    uint8_t session;       /* the application's connect succeeded, no disconnect since */
    uint8_t connecting;    /* its connect is in flight (until +SQNSMQTTONCONNECT) */
    uint8_t probe;         /* probe phase (implementation) */
    uint8_t probe_sub;     /* the entry a re-subscribing probe uses */
    uint8_t early;         /* an +SQNSMQTTONPUBLISH came while the probe's command ran */
    uint16_t probe_pmid, early_pmid;
    int32_t early_rc;
    uint16_t probe_op, resub_op, rc_op; /* their operations' ids */
    uint8_t resub;         /* re-subscription phase (implementation) */
    uint8_t resub_i;       /* the entry being re-subscribed */
    uint8_t resub_topics, resub_failed, resub_first;
    int resub_status;
    int32_t resub_rc;
    uint8_t reconnect;     /* reconnect phase (implementation) */
    /* time */
    sm_sqn_done_fn sync_done;
    void *sync_ctx;
    uint16_t sync_id;
    uint8_t sync;          /* sync phase (implementation) */
    uint8_t ntp_seen;      /* an +SQNNTP came since the last command (bring-up) */
    int32_t ntp_status, sync_ntp;
    uint32_t sync_deadline;
    uint32_t boot_sync_ms; /* sm_sqn_bringup_time_sync(), 0: off */
    uint32_t boot_deadline, boot_retry;
    uint8_t boot_sync;     /* bring-up sync phase (implementation) */
} sm_sqn_sup;

/* A GM02S modem. Put it anywhere (static, inside your object); initialise
   with sm_sqn_init(). `at` is the engine: custom commands may be submitted
   to it directly (give them a response prefix: lines starting with "+SQN"
   are otherwise taken as URCs). `st` may be read. The rest is private. */
typedef struct sm_sqn {
    sm_at at;
    sm_sqn_state st;
    sm_sqn_event_fn on_event;
    void *event_ctx;
    sm_sqn_op ops[SM_SQN_OPS];
    sm_ops opq;            /* their ids, and how the last ones ended (section 5.4) */
    sm_sqn_boot boot;
    sm_sqn_sup sup;
    const struct sm_sqn_feature *feat[SM_SQN_FEATURES]; /* registered features, see sm_sqn_use_* */
} sm_sqn;

/* The dialect: "\r" terminator, "+SYSSTART" restart marker (contract:
   Framing). */
SECMODEM_API const sm_at_dialect *sm_sqn_dialect(void);

/* Initialises m: the engine with the Sequans dialect, its URC table and the
   unhandled-line hook. on_event (may be NULL) gets every URC as an event.
   Returns SM_OK, or SM_ERR_PARAM (NULL m/plat, plat without write/now_ms),
   SM_ERR_NO_SPACE (SM_URC_TABLES is 0), SM_ERR_BUSY (called from one of
   m's own callbacks, e.g. on RESTARTED: re-initialise after it returned).
   m must be zeroed or initialised: see sm_at_init. On a zeroed m every
   other function that returns a status returns SM_ERR_STATE. */
SECMODEM_API int sm_sqn_init(sm_sqn *m, const sm_platform *plat, sm_sqn_event_fn on_event,
                             void *ctx);
/* Advances everything: the engine (reads, deadlines, writes) and the
   bring-up sequence. Call it often from the main loop, never from a
   callback. Returns SM_OK, SM_ERR_IO (platform read failed) or SM_ERR_BUSY
   (called from a callback). */
SECMODEM_API int sm_sqn_poll(sm_sqn *m);
/* Push mode: received bytes (see sm_at_feed). SM_OK, SM_ERR_PARAM, SM_ERR_BUSY. */
SECMODEM_API int sm_sqn_feed(sm_sqn *m, const uint8_t *data, size_t len);

/* As in every dialect (section 7 has the same three): 1 while operation
   id (a start function's, sm_sqn_bringup's or sm_sqn_time_sync's) is
   queued or running, else 0 (also for m NULL); the number of the
   application's operations started and not done; and a blocking helper for
   tests and simple programs that polls until operation id is done and
   returns its status (the statuses of the last SM_OPS_RECENT operations done
   are remembered: SM_ERR_PARAM for another id; SM_ERR_BUSY from a callback;
   SM_ERR_STATE before sm_sqn_init). It ends when the operation's deadlines
   pass, provided the platform clock advances. */
SECMODEM_API int sm_sqn_pending(const sm_sqn *m, int id);
SECMODEM_API int sm_sqn_busy(const sm_sqn *m);
SECMODEM_API int sm_sqn_wait(sm_sqn *m, int id);
/* Ends every operation of the application with SM_ERR_CANCELLED (done
   callbacks are called, the bring-up's and a time sync's too) and flushes
   the engine's queue; a command on the wire is abandoned (its late answer
   is dropped). The library's own MQTT work is not ended but started again
   when it next applies: a probe after a full period, a re-subscription
   from the entry it was at, a reconnect from its disconnect. Safe from
   callbacks; nothing for m NULL or not initialised. */
SECMODEM_API void sm_sqn_cancel(sm_sqn *m);

/* Features. A family of operations with URCs or work of its own is a
   feature: sockets (+SQNSRING, +SQNSH), MQTT (+SQNSMQTTON*, +SQNSMQTTMEMORYFULL
   and the re-subscription after a resume), the MQTT supervision's probe
   and reconnect (registered by sm_sqn_mqtt_supervise() alone), HTTP
   (+SQNHTTPRING, +SQNHTTPSH), time (+SQNNTP and the time syncs) and host
   signing (+SQNHCESIGN). The
   family's first operation registers it (a start function that returned an
   id; sm_sqn_bringup_time_sync() and sm_hce_init() too), or its switch
   below does. Before that, one of its URCs is reported as an UNHANDLED
   event with its line, never lost, and an application that never uses a
   family links none of its code. Call a switch right after sm_sqn_init()
   when that family's URCs may come before your first operation of it: e.g.
   your MCU restarted while the modem kept its MQTT connection. Registrations
   last until the next sm_sqn_init() (a modem restart keeps them). SM_OK,
   SM_ERR_PARAM (NULL m), SM_ERR_STATE (m not initialised). */
SECMODEM_API int sm_sqn_use_sockets(sm_sqn *m);
/* The built-in MQTT client also needs memory of its own, which you own (an
   sm_sqn_mqtt_mem, about 720 bytes: the subscriptions remembered for a
   resume, the probe topic, the broker for a reconnect), so that an
   application that never uses it does not carry it. Hand it over once,
   after sm_sqn_init() and before sm_sqn_mqtt_connect(): this zeroes it and
   registers the MQTT feature as the other switches do. Until then
   sm_sqn_mqtt_connect, _subscribe, _unsubscribe and sm_sqn_mqtt_supervise
   return SM_ERR_STATE and send nothing (a subscription is never made
   without being remembered); _config, _publish, _read and _disconnect need
   no memory. It stays m's until the next sm_sqn_init() (then hand it over
   again); must not be shared by two modems, or moved. SM_OK; SM_ERR_PARAM
   (NULL m or mem); SM_ERR_STATE (m not initialised, or m already has
   another memory: the same one again is SM_OK and keeps what it holds). */
SECMODEM_API int sm_sqn_use_mqtt(sm_sqn *m, sm_sqn_mqtt_mem *mem);
SECMODEM_API int sm_sqn_use_http(sm_sqn *m);
SECMODEM_API int sm_sqn_use_time(sm_sqn *m);
SECMODEM_API int sm_sqn_use_hce(sm_sqn *m);
/* All of them at once: for a tool or a test that wants every URC as its
   event whatever it has used (it links every feature). MQTT's URCs are
   handled, but no MQTT memory is handed over: call sm_sqn_use_mqtt(m, mem)
   too before sm_sqn_mqtt_connect. */
SECMODEM_API int sm_sqn_use_all(sm_sqn *m);

/* Bring-up: probes with AT (every SM_SQN_PROBE_MS, +SYSSTART also counts)
   until the modem answers, then ATE1, AT+CMEE=1, AT+CEREG=<SM_SQN_CEREG_MODE>,
   AT+CFUN=1, waits for registration (+CEREG stat 1 or 5; AT+CEREG? every
   SM_SQN_REG_POLL_MS) up to SM_SQN_REG_TIMEOUT_MS, then reads AT+CCLK?.
   A restart during the sequence starts it again from ATE1 (at most 3 times).
   Echo stays on (contract: Framing): the answer of AT+SQNSMQTTRCVMESSAGE has
   no header, and only the command's echo tells it from a URC that crossed
   the command on the wire.
   done gets op SM_SQN_OP_BRINGUP, u.bringup (failed_step on failure, the
   clock on success: check clock.valid before TLS, or set the option
   sm_sqn_bringup_time_sync() first: then an unset clock is set by NTP
   before the bring-up ends, or it fails at SM_SQN_STEP_TIME_SYNC).
   Returns the id, or SM_ERR_PARAM, SM_ERR_STATE (a bring-up is already
   running). */
SECMODEM_API int sm_sqn_bringup(sm_sqn *m, sm_sqn_done_fn done, void *ctx);
/* AT+CCLK?: u.clock. */
SECMODEM_API int sm_sqn_clock_read(sm_sqn *m, sm_sqn_done_fn done, void *ctx);
/* AT+CSQ, the signal quality: u.signal. Returns the id or SM_ERR_*. */
SECMODEM_API int sm_sqn_signal(sm_sqn *m, sm_sqn_done_fn done, void *ctx);
/* AT+CGSN=2, the modem's identity as the GM02SP driver of Walter boards
   reads it (docs/sequans.md C-42, R-42): the answer is the 16-digit IMEISV,
   quoted or not; u.identity.imei is the 15-digit IMEI (its first 14
   digits and their Luhn check digit), u.identity.svn the software version
   number (its last 2), both NUL-terminated. Any other answer: SM_ERR_PARSE.
   Returns the id or SM_ERR_*. */
SECMODEM_API int sm_sqn_identity(sm_sqn *m, sm_sqn_done_fn done, void *ctx);
/* AT+CFUN?, the modem's functionality level (3GPP TS 27.007 8.2;
   docs/sequans.md C-43, R-43): the answer `+CFUN: <fun>` puts fun in
   value: 0 minimum, 1 full, 4 no RF (0..127 are the standard's range, 5
   and up the manufacturer's). A number out of 0..127, a second field or no
   answer line: SM_ERR_PARSE. Returns the id or SM_ERR_*. */
SECMODEM_API int sm_sqn_func_read(sm_sqn *m, sm_sqn_done_fn done, void *ctx);

/* ---- NVM certificates and keys (contract: NVM) --------------------------
   Common returns of the start functions below: the id, or SM_ERR_PARAM (NULL
   m, argument out of range), SM_ERR_UNSAFE_STRING (a string fails its check),
   SM_ERR_QUEUE_FULL (no room in the engine queue or SM_SQN_OPS in use). */

/* AT+SQNSNVW: writes len bytes of PEM (certificate 1..8192, private key
   1..2048, and at most SM_PAYLOAD_MAX) to slot 0..19 after the prompt. data
   must stay valid until done. <size> counts every byte but CR: "the
   parameter <size> must not take the <CR> characters into account" (the
   AT manual as the monarch2 crate quotes it; docs/sequans.md C-08); PEM with LF
   line ends only is the same either way and is the safe choice. Slots 0-4
   and 7-10 are Sequans's own (same source): refused unless
   SM_SQN_NVM_ANY_SLOT is defined to 1. */
SECMODEM_API int sm_sqn_nvm_write(sm_sqn *m, sm_sqn_nvm_type type, uint8_t slot,
                                  const uint8_t *data, size_t len, sm_sqn_done_fn done, void *ctx);
/* AT+SQNSNVR="certificate": what the modem tells of the certificate of a
   slot, into buf[cap]. A GM02S does not give the PEM back but a metadata
   line (issuer, subject, validity, algorithm, SHA-1 fingerprint): then
   u.nvm_text is 1 and buf holds that text (not NUL-terminated; len bytes,
   total = the line's length, more than len when it did not fit). A modem
   that sends the bytes by count gives nvm_text 0 and the certificate
   (total = its size). SM_ERR_TRUNCATED if cap was too small. */
SECMODEM_API int sm_sqn_nvm_read_cert(sm_sqn *m, uint8_t slot, uint8_t *buf, size_t cap,
                                      sm_sqn_done_fn done, void *ctx);
/* AT+SQNSNVR="privatekey": the key never leaves the modem; total is
   its stored size, value the slot. */
SECMODEM_API int sm_sqn_nvm_key_info(sm_sqn *m, uint8_t slot, sm_sqn_done_fn done, void *ctx);
/* AT+SQNSNVW=<type>,<slot>,0: deletes (an empty slot gives SM_ERR_MODEM);
   the slots Sequans reserves are refused as for sm_sqn_nvm_write. */
SECMODEM_API int sm_sqn_nvm_delete(sm_sqn *m, sm_sqn_nvm_type type, uint8_t slot,
                                   sm_sqn_done_fn done, void *ctx);

/* ---- TLS security profiles (contract: Security profiles) --------------- */
/* Fills t with safe defaults: TLS 1.2, all ciphers, validation ON (level 1 =
   chain + dates against ca_slot, or 5 = also the host name when
   check_host), no client certificate, no PSK, key in the modem. */
SECMODEM_API void sm_sqn_tls_defaults(sm_sqn_tls *t, uint8_t sp_id, int8_t ca_slot, int check_host);
/* AT+SQNSPCFG with all 12 parameters. SM_ERR_PARAM also when the chain is
   not checked (verify bit 0 clear) without t->insecure, when it is checked
   without a ca_slot, and when it is not checked and no ca_slot is named
   without t->allow_plaintext_fallback (the firmware would send MQTT in
   plaintext). */
SECMODEM_API int sm_sqn_tls_config(sm_sqn *m, const sm_sqn_tls *t, sm_sqn_done_fn done, void *ctx);

/* ---- Sockets, command mode (contract: Sockets); sock is 1..6 ----------- */
/* AT+SQNSCFG=<sock>,<cid>,0,<idle_s>,600,50 then AT+SQNSCFGEXT=<sock>,1,0,0,0,0
   (RING with byte counts, raw data both ways). cid 1..16: PDP context;
   idle_s: inactivity timeout in s, 0 none. */
SECMODEM_API int sm_sqn_sock_config(sm_sqn *m, int sock, uint8_t cid, uint16_t idle_s,
                                    sm_sqn_done_fn done, void *ctx);
/* AT+SQNSSCFG=<sock>,1,<sp_id>: TLS with security profile 1..6 on the
   socket; before sm_sqn_sock_dial(). */
SECMODEM_API int sm_sqn_sock_tls(sm_sqn *m, int sock, uint8_t sp_id, sm_sqn_done_fn done, void *ctx);
/* AT+SQNSD=<sock>,0,<port>,"<host>",0,0,1: TCP in command mode; done when
   connected (TLS handshake included), SM_SQN_DIAL_TIMEOUT_MS at most. */
SECMODEM_API int sm_sqn_sock_dial(sm_sqn *m, int sock, const char *host, uint16_t port,
                                  sm_sqn_done_fn done, void *ctx);
/* AT+SQNSSENDEXT: sends len (1..1500) bytes after the prompt; data stays
   valid until done. With SM_OK, len is the bytes the modem accepted:
   it answers OK alone, without a count (docs/sequans.md C-17), so all len
   of them; value is the socket. */
SECMODEM_API int sm_sqn_sock_send(sm_sqn *m, int sock, const uint8_t *data, size_t len,
                                  sm_sqn_done_fn done, void *ctx);
/* AT+SQNSRECV=<sock>,<min(cap,1500)>: up to cap bytes into buf (len,
   may be 0). SM_SQN_EV_SOCK_DATA tells how many wait. An answer for another
   socket: SM_ERR_PARSE, buf untouched; more than cap: SM_ERR_TRUNCATED (see
   "Reads" above). */
SECMODEM_API int sm_sqn_sock_recv(sm_sqn *m, int sock, uint8_t *buf, size_t cap,
                                  sm_sqn_done_fn done, void *ctx);
/* AT+SQNSH=<sock>. */
SECMODEM_API int sm_sqn_sock_close(sm_sqn *m, int sock, sm_sqn_done_fn done, void *ctx);
/* AT+SQNSS: u.sock_state[] (0 closed, 1 active, 6 opening...). */
SECMODEM_API int sm_sqn_sock_status(sm_sqn *m, sm_sqn_done_fn done, void *ctx);
/* AT+SQNSI=<sock>: u.sock_info (bytes sent, received, buffered, unacknowledged). */
SECMODEM_API int sm_sqn_sock_info(sm_sqn *m, int sock, sm_sqn_done_fn done, void *ctx);

/* ---- Built-in MQTT client, id 0 (contract: Built-in MQTT client) --------
   Commands complete on OK; the broker's answers come as events. Topics are
   UTF-8, 1..SM_SQN_TOPIC_MAX bytes. */
/* AT+SQNSMQTTCFG=0,"<client_id>"[,"<user>","<password>"[,<sp_id>]]: user and
   password NULL for none (sent as "" when sp_id is given); sp_id 0: plain
   TCP, 1..6: TLS with that profile. */
SECMODEM_API int sm_sqn_mqtt_config(sm_sqn *m, const char *client_id, const char *user,
                                    const char *password, uint8_t sp_id, sm_sqn_done_fn done,
                                    void *ctx);
/* The three below need the MQTT memory (sm_sqn_use_mqtt): without it they
   return SM_ERR_STATE and send nothing. */
/* AT+SQNSMQTTCONNECT=0,"<host>",<port>,<keepalive_s>; then MQTT_CONNECTED. */
SECMODEM_API int sm_sqn_mqtt_connect(sm_sqn *m, const char *host, uint16_t port,
                                     uint16_t keepalive_s, sm_sqn_done_fn done, void *ctx);
/* AT+SQNSMQTTSUBSCRIBE=0,"<filter>",<qos 0..2> (wildcards allowed); then
   MQTT_SUBSCRIBED. */
SECMODEM_API int sm_sqn_mqtt_subscribe(sm_sqn *m, const char *filter, uint8_t qos,
                                       sm_sqn_done_fn done, void *ctx);
/* AT+SQNSMQTTUNSUBSCRIBE=0,"<filter>"; then MQTT_UNSUBSCRIBED. */
SECMODEM_API int sm_sqn_mqtt_unsubscribe(sm_sqn *m, const char *filter, sm_sqn_done_fn done,
                                         void *ctx);
/* AT+SQNSMQTTPUBLISH=0,"<topic>",<qos>,<len>: len 1..4096 (and at most
   SM_PAYLOAD_MAX) bytes of any value after the prompt; no wildcards in
   topic. value: the pmid; then MQTT_PUBLISHED with the same pmid. The answer line
   is `+SQNSMQTTPUBLISH: <pmid>` on GM02SP firmware (docs/sequans.md);
   `+SQNSMQTTPUBLISH: 0,<pmid>` is accepted too. */
SECMODEM_API int sm_sqn_mqtt_publish(sm_sqn *m, const char *topic, uint8_t qos,
                                     const uint8_t *data, size_t len, sm_sqn_done_fn done,
                                     void *ctx);
/* AT+SQNSMQTTRCVMESSAGE=0,"<topic>"[,<mid>]: reads the message a
   MQTT_MESSAGE event announced (pass its topic, mid and len) into buf[cap];
   len stored, total = the message's len; SM_ERR_TRUNCATED if cap < len. */
SECMODEM_API int sm_sqn_mqtt_read(sm_sqn *m, const char *topic, uint16_t mid, uint32_t len,
                                  uint8_t *buf, size_t cap, sm_sqn_done_fn done, void *ctx);
/* AT+SQNSMQTTDISCONNECT=0; then MQTT_DISCONNECTED. */
SECMODEM_API int sm_sqn_mqtt_disconnect(sm_sqn *m, sm_sqn_done_fn done, void *ctx);

/* ---- Built-in HTTP(S) client, profiles 0..2 (contract: Built-in HTTP client) - */
/* AT+SQNHTTPCFG=<prof>,"<host>",<port>,<auth>,"<user>","<pw>",<ssl>,
   SM_SQN_HTTP_MODEM_TIMEOUT_S,,<sp_id>: sp_id 0 plain HTTP, 1..6 HTTPS with
   that profile; user NULL: no basic authentication. */
SECMODEM_API int sm_sqn_http_config(sm_sqn *m, uint8_t prof, const char *host, uint16_t port,
                                    uint8_t sp_id, const char *user, const char *password,
                                    sm_sqn_done_fn done, void *ctx);
/* Sends a request (SQNHTTPQRY or SQNHTTPSND + body after the prompt). done
   on OK; the response arrives as HTTP_RESPONSE, then read the body with
   sm_sqn_http_read(). */
SECMODEM_API int sm_sqn_http_request(sm_sqn *m, const sm_sqn_http_req *req, sm_sqn_done_fn done,
                                     void *ctx);
/* AT+SQNHTTPRCV=<prof> (no size, as Walter's GM02SP driver sends it: a
   sized read is answered +CME ERROR: 4 there; docs/sequans.md): the modem
   sends "<<<" and the whole body the +SQNHTTPRING announced. The first cap
   bytes go to buf; a longer body is read to its end (the modem keeps
   nothing) and ends SM_ERR_TRUNCATED with len = cap, total =
   its size. u.remaining is 0 after it. SM_ERR_STATE when no body bytes
   remain. */
SECMODEM_API int sm_sqn_http_read(sm_sqn *m, uint8_t prof, uint8_t *buf, size_t cap,
                                  sm_sqn_done_fn done, void *ctx);
/* AT+SQNHTTPRCV=<prof>,<max> (max 64..1500), for firmware that takes a size
   (Microchip's AVR-IoT driver sends it): min(max, remaining) bytes into buf
   (cap >= that). Microchip's driver notes that the modem then discards the
   rest of the body; u.remaining says what the ring announced and was
   not read, which a further read may or may not get (SM_ERR_MODEM if the
   modem has dropped it). */
SECMODEM_API int sm_sqn_http_read_max(sm_sqn *m, uint8_t prof, uint16_t max, uint8_t *buf,
                                      size_t cap, sm_sqn_done_fn done, void *ctx);

/* ---- Host signing (contract: Host signing) -------------------------------
   With a storage=1 profile (sm_sqn_tls.key_in_host) the private key is the
   host's: during the TLS handshake of the MQTT or HTTP client the modem
   sends +SQNHCESIGN:<ctx>,<f1>,<f2>,<64 hex digits>, which becomes
   SM_SQN_EV_HCE_SIGN (u.hce). Only the context (field 0) and the digest
   (field 3) are read, as Microchip's driver does (docs/sequans.md): which
   key signs is the application's choice. A line whose digest cannot be
   read becomes SM_SQN_EV_HCE_INVALID (answer its ctx with a failure
   status so that the handshake ends at once). Answer every
   request once, quickly: the modem fails the handshake (a TLS error:
   MQTT_CONNECTED rc -8) when the answer does not come, is a failure, or
   does not verify. Section 12 (sm_hce) does all this with an ATECC608.
   Sockets cannot use such a profile (the simulator answers the dial with
   +CME ERROR: 554). */
#define SM_SQN_HCE_ALG_P256 0   /* <alg> 0: ECDSA P-256 over the digest as given (the only one) */
#define SM_SQN_HCE_NO_FIELD 0xFFu /* u.hce.key / alg: the field is not a number 0..254 */
#define SM_SQN_HCE_FAILED 1     /* the failure status sm_hce sends when it cannot sign */
#define SM_SQN_HCE_CMD_LEN 155  /* the longest answer: SM_QUEUE_TEXT must hold it */
/* status 0: AT+SQNHCESIGN=<sign_ctx>,0,64,"<r || s as 128 lowercase hex
   digits>" (sig: r || s, 64 bytes, as sm_atecc_sign_start() gives them);
   status 1..255: AT+SQNHCESIGN=<sign_ctx>,<status>,0,"" (the host cannot
   sign: the modem fails the handshake at once; sig must be NULL). Done on
   OK; SM_ERR_MODEM (+CME ERROR: 3) when the modem no longer waits for that
   context. Returns the id, SM_ERR_PARAM, SM_ERR_QUEUE_FULL. */
SECMODEM_API int sm_sqn_hce_reply(sm_sqn *m, uint16_t sign_ctx, uint8_t status, const uint8_t *sig,
                                  sm_sqn_done_fn done, void *ctx);

/* Names for logs. */
SECMODEM_API const char *sm_sqn_event_name(int t); /* sm_event.type; "?" if unknown */
SECMODEM_API const char *sm_sqn_op_name(int k); /* sm_result.op; "?" if unknown */
/* The name of a bring-up step (u.bringup.failed_step): "NONE", "BOOT",
   "ECHO", "CMEE", "CEREG", "CFUN", "REGISTER", "CLOCK", "TIME_SYNC". */
SECMODEM_API const char *sm_sqn_step_name(unsigned step);

/* ---- Time and MQTT supervision -------------------------------------------
   The clock. A TLS profile that checks dates (SM_SQN_VERIFY_CHAIN, the
   default) fails every handshake while the modem's clock is unset: right
   after attach AT+CCLK? may still read 70/01/01 (clock.valid 0). The
   network may set it; otherwise set it by NTP (sm_sqn_time_sync, as
   Microchip's driver does when it reads 70/01/01) or from the host
   (sm_sqn_clock_set), or let the bring-up do it (sm_sqn_bringup_time_sync).
   Sources: Microchip's driver for the GM02S, docs/sequans.md C-37, C-39,
   R-40 (70/01/01 means unset; AT+SQNNTP=2,"<servers>",1 answered OK,
   then the URC +SQNNTP: <status>, status 0 = synced; retried until its
   own timeout; its change log: "Add NTP synchronization in
   Lte.begin() if modem clock is not set"); AT+CCLK=<time> is 3GPP TS 27.007
   8.15, in the +CCLK format the manual gives (as the monarch2 crate
   quotes it: docs/sequans.md C-38, R-11).

   The built-in MQTT client's session (what it remembers lives in the
   application's sm_sqn_mqtt_mem, handed over with sm_sqn_use_mqtt). On
   LR8.2.1.0 the modem sends no PINGREQ, the broker drops the idle session,
   and no +SQNSMQTTONDISCONNECT is raised; minutes later the modem
   reconnects by itself with an unsolicited +SQNSMQTTONCONNECT:0,0 and
   subscribed to nothing (the manual: "the MCU must re-subscribe",
   docs/sequans.md R-21; measured on the pager's GM02SP bench,
   docs/sequans.md R-22 and C-23: "Pages stop arriving after about ten
   minutes"; Microchip's driver for the GM02S, docs/sequans.md R-22:
   "The modem does not give any notification of a MQTT disconnect").
   So the library:
   - remembers the application's subscriptions (up to SM_SQN_MQTT_SUBS
     filters, copied): a filter enters with sm_sqn_mqtt_subscribe (which
     returns SM_ERR_NO_SPACE when the table is full and the filter is not in
     it) and leaves when its subscription fails or sm_sqn_mqtt_unsubscribe
     succeeds. sm_sqn_mqtt_connect starts a new session with an empty
     table; sm_sqn_mqtt_disconnect and a restart (+SYSSTART) empty it too;
   - takes an +SQNSMQTTONCONNECT:0,0 that comes while no connect of the
     application is in flight, during a session, as a resume: after the
     MQTT_CONNECTED event it emits MQTT_RESUMED, subscribes again to every
     remembered filter (each answered by its +SQNSMQTTONSUBSCRIBE, which also
     reaches you as MQTT_SUBSCRIBED), then emits MQTT_RESUBSCRIBED, or
     MQTT_RESUBSCRIBE_FAILED (u.sup: how many failed, the first one, its rc
     or status). A resume during a re-subscription starts it again;
   - when supervised (sm_sqn_mqtt_supervise), probes the session after each
     period_ms without a sign of life (a message, a subscription or probe
     answered with rc 0, a connect), and at once when supervision starts on
     a live session: a QoS 1 publish of the 1-byte payload "?" to
     probe_topic, alive when its +SQNSMQTTONPUBLISH says rc 0 ("the
     publishing operation ... is done", docs/sequans.md R-26; at QoS 1
     that takes the broker's PUBACK: our reading), or, without a probe
     topic, a subscription again to the first remembered filter, alive when its
     +SQNSMQTTONSUBSCRIBE says rc 0 (the probe the pager uses,
     docs/sequans.md C-40: "No SUBACK in 30 s means the session is dead"). A
     refused command, an rc other than 0 or no answer within
     SM_SQN_MQTT_PROBE_TIMEOUT_MS emits MQTT_LOST and st.mqtt_connected
     becomes 0; the session stays remembered, so a later resume is still
     taken as one. A period: the pager probes after 300 s of silence (its
     carrier's path dropped idle flows after 10-13 minutes). The
     application decides (e.g. disconnect and connect again), or with
     SM_SQN_SUP_RECONNECT the library sends AT+SQNSMQTTDISCONNECT=0 and
     then the last AT+SQNSMQTTCONNECT again, and re-subscribes as after a
     resume (MQTT_RECONNECT_FAILED if the connect fails: then it waits for
     a resume or the application).
   All of it runs from sm_sqn_poll() against the platform's clock, one
   command at a time: a probe waits until the engine queue is empty, the
   re-subscription and the reconnect until the queue has room, so the
   application's own operations always go first. The probe's publishes and
   re-subscriptions are seen as events (MQTT_PUBLISHED, MQTT_SUBSCRIBED) but
   never as done callbacks. */
#ifndef SM_SQN_NTP_SERVERS
#define SM_SQN_NTP_SERVERS "time.google.com,time.windows.com,pool.ntp.org" /* MCHP's list, docs/sequans.md C-37 */
#endif
#ifndef SM_SQN_NTP_TIMEOUT_MS
#define SM_SQN_NTP_TIMEOUT_MS 20000UL   /* for the +SQNNTP URC (MCHP waits 20 s) */
#endif
#ifndef SM_SQN_NTP_RETRY_MS
#define SM_SQN_NTP_RETRY_MS 5000UL      /* bring-up: between two NTP attempts */
#endif
#ifndef SM_SQN_MQTT_PROBE_TIMEOUT_MS
#define SM_SQN_MQTT_PROBE_TIMEOUT_MS 30000UL /* for the answer of a probe or re-subscription */
#endif
#define SM_SQN_SUP_RECONNECT 1u /* sm_sqn_mqtt_supervise flag: reconnect after MQTT_LOST */

/* AT+SQNNTP=2,"<servers>",1 (servers: comma-separated host names, NULL:
   SM_SQN_NTP_SERVERS), then waits up to SM_SQN_NTP_TIMEOUT_MS for
   +SQNNTP: <status>; on status 0 reads the clock (AT+CCLK?). u.sync: ntp
   (the URC's status), clock (after the sync). status: SM_OK only when the
   clock read valid; SM_ERR_MODEM (command refused, or u.sync.ntp not 0),
   SM_ERR_TIMEOUT (no URC), SM_ERR_STATE (the clock still reads 70/01/01),
   SM_ERR_REBOOT. Returns the id, or SM_ERR_PARAM, SM_ERR_UNSAFE_STRING,
   SM_ERR_QUEUE_FULL, SM_ERR_STATE (a sync is running). */
SECMODEM_API int sm_sqn_time_sync(sm_sqn *m, const char *servers, sm_sqn_done_fn done, void *ctx);
/* AT+CCLK="yy/MM/dd,hh:mm:ss+zz": sets the modem's clock (c->valid is not
   read). Years 2000..2069, tz_quarters -96..96. Returns the id or
   SM_ERR_PARAM, SM_ERR_QUEUE_FULL. */
SECMODEM_API int sm_sqn_clock_set(sm_sqn *m, const sm_datetime *c, sm_sqn_done_fn done, void *ctx);
/* A bring-up option: when the clock reads invalid after registration, the
   bring-up runs AT+SQNNTP (SM_SQN_NTP_SERVERS) and reads the clock again
   (again SM_SQN_NTP_RETRY_MS after a failure or an unset clock, at once
   after SM_SQN_NTP_TIMEOUT_MS without a URC), until it is valid or
   timeout_ms has passed (then it fails with failed_step SM_SQN_STEP_TIME_SYNC and SM_ERR_TIMEOUT,
   u.bringup.clock the last reading). timeout_ms 0: off (the default). Set
   it before sm_sqn_bringup(); it stays until changed. SM_OK, SM_ERR_PARAM. */
SECMODEM_API int sm_sqn_bringup_time_sync(sm_sqn *m, uint32_t timeout_ms);
/* Supervision of the built-in MQTT client's session: period_ms 0 stops it;
   probe_topic (copied; no wildcards) or NULL (re-subscribe instead); flags
   0 or SM_SQN_SUP_RECONNECT. The remembering of subscriptions and the
   handling of a resume are always on. SM_OK, SM_ERR_PARAM,
   SM_ERR_UNSAFE_STRING, SM_ERR_STATE (m not initialised, or no MQTT memory:
   see sm_sqn_use_mqtt). */
SECMODEM_API int sm_sqn_mqtt_supervise(sm_sqn *m, uint32_t period_ms, const char *probe_topic,
                                       unsigned flags);
/* The number of remembered subscriptions, and the filter of entry i (NULL
   past the end), for logs and tests; 0 and NULL without MQTT memory. */
SECMODEM_API size_t sm_sqn_mqtt_subscriptions(const sm_sqn *m);
SECMODEM_API const char *sm_sqn_mqtt_subscription(const sm_sqn *m, size_t i);

/* ---- a socket as a byte stream -------------------------------------------
   A dialled socket (sm_sqn_sock_dial, TLS or not) seen as a plain byte
   stream, for code written against a stream: section 10's MQTT session
   (sm_mqtt_transport_sqn), or your own protocol. Writing copies into the
   stream's TX buffer and returns at once; the stream sends it with
   AT+SQNSSENDEXT (one send in flight, up to 1500 bytes each) and reads what
   +SQNSRING announces with AT+SQNSRECV into its RX buffer, from its own
   callbacks and from every write and read call, so the application only
   keeps calling sm_sqn_poll(). Both buffers are in the struct (no heap):

       sm_sqn_stream st;
       sm_sqn_stream_init(&st, &m, 1);           // after the dial succeeded
       n = sm_sqn_stream_write(&st, data, len);  // 0..len accepted, <0 failed
       n = sm_sqn_stream_read(&st, buf, cap);    // 0 none yet, <0 ended

   The stream ends (every later call returns the same status) when a send or
   receive fails (its SM_ERR_*), or with SM_ERR_IO once the peer closed the
   socket (+SQNSH) and every byte it sent before has been read. Use one
   stream per socket and leave that socket's sends and receives to it; the
   modem's operations hold pointers into the struct, so it must not move
   or be initialised again while a send or read is in flight (until the
   modem answered, it timed out, or a restart or sm_at_flush() ended it).
   A write made while no send is in flight goes out at once, what is
   written during a send goes out together after it. To send pieces as one
   (a header and its payload: one AT round trip, one TLS record), queue
   them with sm_sqn_stream_queue and then kick: the MQTT session does so
   through its transport's flush. */
#ifndef SM_SQN_STREAM_TX
#define SM_SQN_STREAM_TX 512   /* bytes a write may queue before they are sent */
#endif
#ifndef SM_SQN_STREAM_RX
#define SM_SQN_STREAM_RX 512   /* bytes one AT+SQNSRECV reads at most */
#endif
#if SM_SQN_STREAM_TX < 16 || SM_SQN_STREAM_TX > 65535 || SM_SQN_STREAM_RX < 16 || \
    SM_SQN_STREAM_RX > 1500
#error "SM_SQN_STREAM_TX must be 16..65535 and SM_SQN_STREAM_RX 16..1500"
#endif
typedef struct sm_sqn_stream {
    sm_sqn *m;
    uint8_t sock;
    uint8_t sending;       /* an AT+SQNSSENDEXT is in flight ... */
    uint8_t receiving;     /* ... an AT+SQNSRECV */
    int status;            /* SM_OK, or why the stream ended */
    uint16_t tx_len;       /* bytes queued in tx, the first tx_inflight of them being sent */
    uint16_t tx_inflight;
    uint16_t rx_off, rx_len; /* unread bytes: rx[rx_off .. rx_len) */
    uint8_t tx[SM_SQN_STREAM_TX];
    uint8_t rx[SM_SQN_STREAM_RX];
} sm_sqn_stream;
/* Binds the stream to socket sock (1..SM_SQN_SOCKETS) of m. SM_OK or
   SM_ERR_PARAM. */
SECMODEM_API int sm_sqn_stream_init(sm_sqn_stream *s, sm_sqn *m, int sock);
/* Queues up to len bytes; returns how many (0 when the buffer is full: offer
   the rest later) or the status that ended the stream. */
SECMODEM_API int sm_sqn_stream_write(sm_sqn_stream *s, const uint8_t *data, size_t len);
/* As sm_sqn_stream_write, but sends nothing yet: the bytes wait for the next
   sm_sqn_stream_kick (or write, read, or the end of a send in flight), so
   that pieces queued one after the other go out in one send. */
SECMODEM_API int sm_sqn_stream_queue(sm_sqn_stream *s, const uint8_t *data, size_t len);
/* Copies up to cap received bytes; returns how many (0 when none waits) or,
   once nothing is left to read, the status that ended the stream. */
SECMODEM_API int sm_sqn_stream_read(sm_sqn_stream *s, uint8_t *buf, size_t cap);
/* Starts the send or receive that is due (the write and read calls and the
   stream's callbacks do it too): for code that neither writes nor reads for
   a while. */
SECMODEM_API void sm_sqn_stream_kick(sm_sqn_stream *s);
/* Bytes queued and not yet confirmed sent by the modem. */
SECMODEM_API size_t sm_sqn_stream_unsent(const sm_sqn_stream *s);
#endif /* SM_NO_SEQUANS */
#ifndef SM_NO_CORDELIA
/* ==========================================================================
   7. CORDELIA-I DIALECT (declarations)
   Würth Elektronik Cordelia-I Wi-Fi module, driven by its AT commands with
   on-module TLS, MQTT and file system. The wire format is the one fixed in
   the wire contract shared with the simulator (sim/cordelia_contract.md, cited
   "contract"), built on the ledger of the module's formats and their sources
   (docs/cordelia.md, its rows cited as "docs/cordelia.md C5").

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

   Only what a program calls is linked: each operation is a descriptor of
   its own, reached from its start function alone (with -ffunction-sections
   -fdata-sections -Wl,--gc-sections).
   Events by feature: the module's own events (start-up, Wi-Fi, IP, fatal
   error) are parsed from sm_cord_init(); those of the on-module MQTT
   client (+eventmqtt:...) from the first start of sm_cord_mqtt_config,
   _connect, _disconnect or _publish, or sm_cord_set_msg_buffer(), and those
   of sockets (+eventsock:..., +connect:, +recv:) from the first start of a
   socket operation (sm_cord_sock_open, _tls, _dial, _send, _recv, _close);
   sm_cord_use_mqtt() / sm_cord_use_sockets() register them
   explicitly. Before that, a feature's event line reaches the event
   callback as SM_CORD_EV_UNHANDLED with its line (an MQTT message longer
   than a line: its first SM_LINE_SIZE - 1 bytes), never lost, and a
   program that never uses the feature links none of its handlers.

       sm_cord c;
       static char msg[1400];                 // MQTT messages longer than a line
       sm_cord_bringup_opts up = {0};
       up.mqtt = &cfg;                        // settings applied once it answers
       sm_cord_init(&c, &platform, on_event, app);
       sm_cord_set_msg_buffer(&c, msg, sizeof msg);
       sm_cord_bringup(&c, &up, on_done, app); // AT+test until it answers, version, cfg
       sm_cord_file_upload(&c, "ca.pem", ca, ca_len, on_done, app);
       sm_cord_wlan_connect(&c, "ssid", SM_CORD_SEC_WPA_WPA2, "passphrase", on_done, app);
       id = sm_cord_mqtt_connect(&c, on_done, app);    // done on CONNACK
       status = sm_cord_wait(&c, id);                   // or poll in your loop

   Reads (RECV, FILE_READ), the same rule as the Sequans section's reads
   (table of every receive path of both sections: docs/receive-checks.md):
   - SM_OK: result len bytes of data are in the buffer;
   - SM_ERR_TRUNCATED (result truncated = 1): the module sent more than the
     buffer holds (or, for a file read, than was asked): the buffer has the
     first len bytes, total says how many came; the rest was read and
     dropped. Bytes lost are never reported as SM_OK;
   - SM_ERR_PARSE: an answer for another socket than the one asked, or in
     Base64 when binary was asked (its bytes are read by count and dropped,
     never put in the buffer), a malformed header or count, bytes cut
     short, Base64 that is not canonical (the buffer is left as it was by
     that answer);
   - any status but SM_OK and SM_ERR_TRUNCATED: len is 0, and what the
     buffer holds is not data (earlier chunks of a file read may be there).
   A +recv: EVENT for another socket (Calypso model) is no answer to the
   receive waiting: a late answer to an earlier receive of that socket is
   possible. Its bytes are read and dropped, its line reported as
   SM_CORD_EV_UNHANDLED, and the receive goes on waiting.

   Facts taken from Würth's own driver (its Cordelia-I part, and its
   Calypso part where the Cordelia-I driver has no such command) are cited
   "driver" with the row of docs/cordelia.md that gives its file and line,
   where a format is decided below.

   Readings of the contract this section relies on (the contract's
   assumptions, and where it is silent):
   - every command has a response prefix; one that answers no information
     line gets a prefix no line starts with, so a stray line is never taken
     as its answer but reported as SM_CORD_EV_UNHANDLED;
   - AT+set string values never contain ',' (docs/cordelia.md F7: no escape);
     the publish payload is the only argument where '"' and ',' are allowed;
   - SSIDs and file names may contain spaces (sent bare, as the contract
     shows), host names, keywords and TLS methods may not;
   - the upload opens with CREATE|WRITE|OVERWRITE: the contract does not say
     whether CREATE alone allows writing (the seed session uses WRITE|CREATE,
     the QuarkLink example CREATE|OVERWRITE), so both are sent;
   - sockets follow the Calypso model (Würth's Calypso driver and its
     socket example, docs/cordelia.md C20, C22; UNVERIFIED on Cordelia-I,
     whose driver has no socket commands):
     AT+connect answers OK before the handshake and its result is the
     +connect: event (it names no socket: the one of the last AT+connect
     is reported) or an error event for that socket; AT+recv only arms a
     receive, the data come later as the +recv:<id>,<fmt>,<n>,<bytes> EVENT,
     read by count. The older reading (+connect: right after an OK that
     comes after the handshake, +recv: before AT+recv's OK) is accepted too.
     +eventsock:data and +eventsock:closed are not in the driver's event
     tables (docs/cordelia.md D20, D21): they are reported if they come,
     nothing waits for them;
   - events (+event...) may come between a command and its OK: they go to
     the event callback, never count as the command's answer; a start-up
     event that cuts the first command after power-up (nothing heard from
     the module before) has that command sent again; wlanDisconnect,
     iotdisconnect end at their OK, their events follow;
   - a CONNACK with a non-zero code, DISCONNECT or any +eventmqtt:error ends
     sm_cord_mqtt_connect as a failure; Wi-Fi loss clears mqtt_connected;
   - a restart (+eventstartup) clears the whole state: no Wi-Fi, no MQTT,
     no sockets, until the module says otherwise.
   ========================================================================== */
/* Per-command timeouts, after the vendor driver's (docs/cordelia.md F8) with a
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
#ifndef SM_CORD_RECV_TIMEOUT_MS
#define SM_CORD_RECV_TIMEOUT_MS 10000 /* AT+recv's OK to the +recv: event (its data) */
#endif
#ifndef SM_CORD_CONNECT_TIMEOUT_MS
#define SM_CORD_CONNECT_TIMEOUT_MS 30000 /* AT+connect: OK after TCP and TLS are up */
#endif
/* sm_cord_bringup(): how long the module may take to answer its first
   AT+test after power-up, and the timeout of each such probe. */
#ifndef SM_CORD_BOOT_TIMEOUT_MS
#define SM_CORD_BOOT_TIMEOUT_MS 15000
#endif
#ifndef SM_CORD_PROBE_MS
#define SM_CORD_PROBE_MS 1000
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

/* Events (contract "Framing", docs/cordelia.md D12 to D24), each an
   sm_event (section 5.4) whose line is the event as received. The events:
   one list (an X-macro) of each kind and its name (what
   sm_cord_event_name() returns) makes the enum and the names. */
#define SM_CORD_EVENT_LIST(X) \
    X(STARTUP, "startup")                      /* +eventstartup: u.startup; the module restarted */          \
    X(WLAN_CONNECTED, "wlan connected")        /* +eventwlan:connect: u.wlan (ssid, bssid) */                \
    X(WLAN_DISCONNECTED, "wlan disconnected")  /* +eventwlan:disconnect: u.wlan (ssid, bssid, reason) */     \
    X(IP_ACQUIRED, "ip acquired")              /* +eventnetapp:ipv4_acquired: u.ip */                        \
    X(MQTT_INFO, "mqtt info")                  /* +eventmqtt:info: u.mqtt (status CONNACK, DISCONNECT...) */ \
    X(MQTT_ERROR, "mqtt error")                /* +eventmqtt:error: u.mqtt (status TLS_FAILED...) */         \
    X(MQTT_RECV, "mqtt recv")                  /* +eventmqtt:recv: u.msg (topic, qos from qos<N>,        \
                                               payload: the rest of the line with ONE          \
                                               enclosing pair of quotes removed (contract: no  \
                                               escaping; it may hold '"' and ','), len = total) */ \
    X(SOCK_CONNECTED, "socket connected")      /* +connect: u.sock (id of the socket connected last,         \
                                               value = port, address) */                                     \
    X(SOCK_DATA, "socket data")                /* +eventsock:data: u.sock (id, value = bytes waiting);       \
                                               not in the driver's tables: nothing relies on it */           \
    X(SOCK_CLOSED, "socket closed")            /* +eventsock:closed: u.sock (id): the peer closed;           \
                                               not in the driver's tables either */                          \
    X(SOCK_TX_FAILED, "socket tx failed")      /* +eventsock:tx_failed: u.sock (id, value = error) */        \
    X(FATAL, "fatal error")                    /* +eventfatalerror: u.fatal */                               \
    X(UNHANDLED, "unhandled")                  /* any other line that is no answer (unknown +event...,       \
                                               a known event that does not parse): see line */               \
    X(MQTT_TOO_LONG, "mqtt too long")          /* +eventmqtt:recv longer than the message buffer             \
                                               (sm_cord_set_msg_buffer): u.msg, payload = what               \
                                               fitted (len), total = the message's length */                 \
    X(SOCK_ERROR, "socket error")              /* +eventsock:async_event,<id>,<code>: u.sock (Calypso;       \
                                               ends a connect waiting for that socket) */
#define SM_CORD_EV_ENUM_(name, text) SM_CORD_EV_##name,
typedef enum sm_cord_event_type {
    SM_CORD_EV_NONE = 0, /* never reported (a zeroed event) */
    SM_CORD_EVENT_LIST(SM_CORD_EV_ENUM_)
    SM_CORD_EV_COUNT_    /* implementation: one past the last */
} sm_cord_event_type;


/* Operations, as reported in sm_result.op. */
/* The operations: one list (an X-macro) of each kind and its name (what
   sm_cord_op_name() returns) makes the enum and the names. Kinds are named
   as their start functions are (SOCK_DIAL: sm_cord_sock_dial); a name for
   logs is the module's own word for the command (AT+connect: "connect"). */
#define SM_CORD_OP_LIST(X) \
    X(TEST, "test")                        \
    X(REBOOT, "reboot")                    \
    X(FACTORY_RESET, "factory reset")      \
    X(GET, "get")                          \
    X(SET, "set")                          \
    X(MQTT_CONFIG, "mqtt config")          \
    X(WLAN_CONNECT, "wlan connect")        \
    X(WLAN_DISCONNECT, "wlan disconnect")  \
    X(FILE_OPEN, "file open")              \
    X(FILE_WRITE, "file write")            \
    X(FILE_READ, "file read")              \
    X(FILE_CLOSE, "file close")            \
    X(FILE_DELETE, "file delete")          \
    X(FILE_GET_INFO, "file info")          \
    X(FILE_LIST, "file list")              \
    X(FILE_UPLOAD, "file upload")          \
    X(SOCK_OPEN, "socket")                 \
    X(SOCK_TLS, "socket tls")              \
    X(SOCK_DIAL, "connect")                \
    X(SOCK_SEND, "send")                   \
    X(SOCK_RECV, "recv")                   \
    X(SOCK_CLOSE, "close")                 \
    X(MQTT_CONNECT, "mqtt connect")        \
    X(MQTT_DISCONNECT, "mqtt disconnect")  \
    X(MQTT_PUBLISH, "publish")             \
    X(WLAN_SET_MODE, "wlan mode")          \
    X(BRINGUP, "bringup")                  \
    X(HIBERNATE, "hibernate")
#define SM_CORD_OP_ENUM_(name, text) SM_CORD_OP_##name,
typedef enum sm_cord_op_kind {
    SM_CORD_OP_NONE = 0, /* no operation (a zeroed result) */
    SM_CORD_OP_LIST(SM_CORD_OP_ENUM_)
    SM_CORD_OP_COUNT_    /* implementation: one past the last */
} sm_cord_op_kind;

/* sm_file_info.flags bits: the property names the driver knows */
#define SM_CORD_FPROP_OPEN_WRITE 0x1ul
#define SM_CORD_FPROP_OPEN_READ 0x2ul
#define SM_CORD_FPROP_MUST_COMMIT 0x4ul
#define SM_CORD_FPROP_OTHER 0x80000000ul /* a name not in the driver's list */

/* +filegetfilelist:<name>,<maxSize>,<properties>,<allocatedBlocks> */
typedef struct sm_cord_file_entry {
    const char *name;
    uint32_t max_size;
    const char *properties;
    uint32_t blocks;
} sm_cord_file_entry;

/* What a Cordelia-I operation reports in its sm_result (section 5.4):
   status SM_ERR_MODEM for ERROR:<text>,<code> (code: the module's negative
   error code, err_text its text) and for a failure event (code: a CONNACK
   return code, a disconnect reason...; err_text: the event's status, e.g.
   "TLS_FAILED");
   value  FILE_OPEN, FILE_UPLOAD: the file id; SOCKET: the socket id;
   len    bytes written (FILE_WRITE, FILE_UPLOAD); SEND: bytes the module
          accepted (its +send: count when it answers one, else all it was
          given); bytes read into the buffer (FILE_READ, RECV: with SM_OK or
          SM_ERR_TRUNCATED only, else 0); GET: the length of text;
   total  FILE_READ, RECV: bytes the module sent or announced (more than
          len, and truncated 1, with SM_ERR_TRUNCATED: the rest was read and
          dropped);
   text   GET: the value; WLAN_CONNECT: the IPv4 address; REBOOT,
          FACTORY_RESET: the firmware version;
   u.file_info  FILE_INFO;
   u.setting    GET, SET, MQTT_CONFIG, SOCKET_TLS, BRINGUP: the setting
                (group, key), on failure the one that failed (else NULL);
   stage        FILE_UPLOAD: 0 open, 1 write, 2 close; BRINGUP: the step
                (where it ended). */
struct sm_cord;
typedef void (*sm_cord_event_fn)(void *ctx, struct sm_cord *cord, const sm_event *ev);
typedef void (*sm_cord_done_fn)(void *ctx, struct sm_cord *cord, const sm_result *r);
typedef void (*sm_cord_entry_fn)(void *ctx, struct sm_cord *cord, const sm_cord_file_entry *e);

/* AT+wlanConnect security types (contract "Wi-Fi"). */
typedef enum sm_cord_security {
    SM_CORD_SEC_OPEN = 0, SM_CORD_SEC_WPA_WPA2, SM_CORD_SEC_WPA2_PLUS, SM_CORD_SEC_WPA3
} sm_cord_security;

/* AT+wlanSetMode roles (contract "Wi-Fi"). */
typedef enum sm_cord_wlan_mode {
    SM_CORD_MODE_STA = 0, SM_CORD_MODE_AP, SM_CORD_MODE_P2P
} sm_cord_wlan_mode;

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

/* The on-module MQTT client's settings (contract "Settings", docs/cordelia.md
   C7a, C7b). Call sm_cord_mqtt_opts_init() first: every field starts unset. */
typedef struct sm_cord_mqtt_opts {
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
} sm_cord_mqtt_opts;

/* AT+setSockOpt=<id>,SOCKET,<opt>,<value> options (contract "Sockets");
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

/* The features whose events are registered on demand (private). */
enum { SM_CORD_FEATURE_MQTT = 0, SM_CORD_FEATURE_SOCK, SM_CORD_FEATURES };

/* A started operation (private). */
struct sm_cord_opdef; /* what an operation sends and reads (implementation) */
typedef struct sm_cord_op {
    sm_op base;                 /* its id (0: free): section 5.4 */
    const char *s1, *s2;        /* strings: names, group/key, ssid/key... */
    const void *src;            /* data to write, the config / TLS struct, SET's string */
    uint8_t *dst;               /* where read bytes go */
    size_t len;
    uint32_t n1, n2;            /* file/socket id, offset, flags, size, port... */
    sm_cord_done_fn done;
    sm_cord_entry_fn on_entry;
    void *ctx;
    const struct sm_cord_opdef *def; /* its descriptor, which names its kind */
    uint8_t sub;                /* SET: value type */
} sm_cord_op;

/* An event line being read (implementation: sm_cord_scan): the field
   parser, the fields (strings point into text), the event reported. */
#define SM_CORD_EV_FIELDS 4
typedef struct sm_cord_fields {
    sm_fields f;
    const char *s[SM_CORD_EV_FIELDS];
    int32_t v[SM_CORD_EV_FIELDS];
} sm_cord_fields;
typedef struct sm_cord_ev_scratch {
    sm_cord_fields x;
    sm_event ev;
    char text[SM_LINE_SIZE];
} sm_cord_ev_scratch;

/* The module. Treat the fields as private: use the functions below. */
typedef struct sm_cord {
    sm_at at;
    sm_cord_event_fn on_event;
    void *event_ctx;
    sm_cord_state state;
    int8_t connect_sock;        /* socket of the last AT+connect, for +connect: */
    const sm_urc_rows *features[SM_CORD_FEATURES]; /* event rows registered (sm_cord_use_*) */
    /* operations in start order; ops[0] runs (opq.used of them) */
    sm_cord_op ops[SM_CORD_OPS];
    sm_ops opq;                 /* their ids, and how the last ones ended (section 5.4) */
    /* the running operation */
    uint8_t phase;              /* SM_CORD_PH_* (implementation) */
    uint8_t early;              /* its event came before its command's OK */
    uint16_t at_id;             /* engine id of its command */
    uint32_t step;              /* position in its command sequence */
    uint32_t deadline;          /* of the event wait */
    uint32_t file_id;           /* upload: the file opened */
    uint32_t value;             /* sm_result.value */
    size_t done_len;            /* sm_result.len */
    size_t total_len;           /* sm_result.total: bytes the module sent (reads) */
    int early_status;
    int32_t early_code;
    char ev_text[24];           /* status of the event that ended it */
    /* One event line's fields, copied NUL-terminated, and its event, while
       its handler reads them; then, once the handler is done with them, the result of
       the operation that the event ends. Kept here, not on the stack under
       the engine's line parser (issue 21's stack target). Or the command
       of the operation's next step while it is being queued. */
    union {
        sm_cord_ev_scratch line;
        struct {
            sm_result res;
            char flags_text[40]; /* FILE_INFO: res.u.file_info.flags_text */
        } done;
        struct { sm_at_cmd cmd; sm_buf b; } step;
    } scratch;
    uint8_t bad_lines;          /* list entries that did not parse */
    uint8_t heard;              /* the module has answered or reported since init */
    uint8_t trunc, recv_bad;    /* reads: more bytes than fitted; recv: not binary,
                                   or another socket's (its bytes are dropped) */
    size_t recv_left;           /* recv: bytes of the +recv: event still to come */
    uint8_t power_retry;        /* the running command was sent again after the
                                   power-up start-up event cut it */
    uint8_t in_cb;              /* inside an application callback */
    /* a received MQTT message longer than a line, assembled in the
       caller's buffer (sm_cord_set_msg_buffer): topic NUL payload NUL */
    char *msg_buf;
    size_t msg_cap, msg_len, msg_total, msg_payload; /* used, payload bytes, its start */
    uint8_t msg_state;          /* SM_CORD_M_* (implementation) */
    uint8_t msg_qos;
    char msg_first, msg_last;   /* the payload's first and last byte (quotes) */
} sm_cord;

/* The Cordelia-I framing: "\r\n" terminator, +eventstartup: as restart
   marker, ERROR:<text>,<code> as SM_AT_DIALECT_ERROR (code and text). */
SECMODEM_API const sm_at_dialect *sm_cord_dialect(void);

/* Sets up the module struct: the engine with the Cordelia dialect and the
   event table. on_event (may be NULL) gets every event, with ctx. Returns
   SM_OK or SM_ERR_PARAM (NULL pointers, platform without write/now_ms),
   SM_ERR_BUSY (called from one of c's own callbacks: re-initialise after it
   returned). c must be zeroed or initialised: see sm_at_init. On a zeroed c
   every other function that returns a status returns SM_ERR_STATE. */
SECMODEM_API int sm_cord_init(sm_cord *c, const sm_platform *plat, sm_cord_event_fn on_event,
                              void *ctx);
/* Where +eventmqtt:recv messages longer than one line (SM_LINE_SIZE - 1
   bytes with the event's prefix, topic and qos) are put together: buf[cap]
   holds the topic, the payload and two NULs, and the message is then
   reported whole as SM_CORD_EV_MQTT_RECV (topic and payload in buf). A
   message that does not fit is reported as SM_CORD_EV_MQTT_TOO_LONG with
   what fitted and its total length; without a buffer (buf NULL, the
   default) every over-long message is. Shorter messages never use buf.
   The buffer must stay valid until it is replaced. It also registers the
   MQTT events (sm_cord_use_mqtt). SM_OK or SM_ERR_PARAM (c NULL, buf NULL
   with cap, cap under 4), SM_ERR_STATE (never initialised). */
SECMODEM_API int sm_cord_set_msg_buffer(sm_cord *c, char *buf, size_t cap);
/* Registers the events of a feature (see "Events by feature" above):
   those of the on-module MQTT client (+eventmqtt:info/error/recv, also
   messages longer than a line), or of sockets (+eventsock:..., +connect:,
   +recv: with its bytes read by count). The feature's start functions do
   it when they start an operation, and sm_cord_set_msg_buffer() does it
   for MQTT; call one at start-up to have the feature's events parsed
   before its first operation. Idempotent. SM_OK, SM_ERR_PARAM (c NULL),
   SM_ERR_STATE (never initialised). */
SECMODEM_API int sm_cord_use_mqtt(sm_cord *c);
SECMODEM_API int sm_cord_use_sockets(sm_cord *c);
/* Advances everything (sm_at_poll, event-wait deadlines, the next
   operation). Call it from the main loop, also in push mode. SM_OK,
   SM_ERR_IO (platform read failed), SM_ERR_BUSY (from a callback),
   SM_ERR_PARAM (c NULL). */
SECMODEM_API int sm_cord_poll(sm_cord *c);
/* Push mode: hands received bytes to the engine (see sm_at_feed; same
   return codes). Call sm_cord_poll() as well. */
SECMODEM_API int sm_cord_feed(sm_cord *c, const uint8_t *data, size_t len);
/* Blocking helper for tests and simple programs: polls until operation id
   is done and returns its status; the statuses of the last SM_OPS_RECENT
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
/* The module's state as last reported (NULL only for a NULL c). */
SECMODEM_API const sm_cord_state *sm_cord_get_state(const sm_cord *c);
/* The engine, for its statistics or for commands this section lacks (they
   are queued alongside the operations' commands); NULL for a NULL c.
   Lines that the engine reads while one of c's callbacks runs (sm_at_feed
   or sm_at_poll on it from a done or event callback) reach on_event
   unparsed, as SM_CORD_EV_UNHANDLED: the module reads events in one
   scratch of its own, which that callback's result or event is using.
   For the same reason never sm_at_flush() this engine from c's callbacks
   (its completion of the module's command would take that scratch):
   sm_cord_cancel() is the way, safe from callbacks. */
SECMODEM_API sm_at *sm_cord_at(sm_cord *c);
/* Names for logs ("mqtt recv", "file upload"...); "?" for unknown values. */
SECMODEM_API const char *sm_cord_event_name(int kind); /* sm_event.type */
SECMODEM_API const char *sm_cord_op_name(int op);

/* Every start function below takes done (may be NULL) and ctx, and returns
   the operation id (> 0) or: SM_ERR_PARAM (NULL or out-of-range argument,
   string too long), SM_ERR_UNSAFE_STRING (a string holds '"', CR, LF, a
   control byte, or ',' where it would split the command), SM_ERR_QUEUE_FULL
   (SM_CORD_OPS operations pending). Nothing is sent when it fails. */

/* AT+test -> OK. */
SECMODEM_API int sm_cord_test(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* What sm_cord_bringup() applies once the module answers; zero it (= {0})
   first. NULL members are left out. */
typedef struct sm_cord_bringup_opts {
    const sm_cord_mqtt_opts *mqtt; /* one AT+set per field set, as
                                        sm_cord_mqtt_config (kept by reference) */
} sm_cord_bringup_opts;
/* Brings the module up after power-on or reset: probes with AT+test
   (SM_CORD_PROBE_MS each) until it answers - a probe that the start-up
   event cuts, or that gets no answer, is sent again - for at most
   SM_CORD_BOOT_TIMEOUT_MS; reads the firmware version
   (AT+get=general,version, into the state); then applies opts (may be
   NULL). Done once: SM_OK with text = the version and value = probes sent
   again, or the failure with stage = where it ended (0 probe: SM_ERR_TIMEOUT
   when the module stayed silent, 1 version, 2 settings with group/key of
   the one that failed). Start it first; operations started after it run
   after it. */
SECMODEM_API int sm_cord_bringup(sm_cord *c, const sm_cord_bringup_opts *opts,
                                 sm_cord_done_fn done, void *ctx);
/* AT+reboot -> OK, done at the following +eventstartup (result text: the
   firmware version). */
SECMODEM_API int sm_cord_reboot(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+factoryreset (clears files and settings; up to
   SM_CORD_RESET_TIMEOUT_MS) -> OK, done at +eventstartup. */
SECMODEM_API int sm_cord_factory_reset(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+hibernate=<seconds> (1..86400, else SM_ERR_PARAM): the module's
   lowest-power mode (docs/cordelia.md C27). Done at its OK; the module
   then answers nothing until it wakes, `seconds` later, with the start-up
   event of a power-up (SM_CORD_EV_STARTUP; the Wi-Fi connection and all
   that is not stored are gone, as after a reboot). Start nothing before
   that event: a command sent meanwhile times out. */
SECMODEM_API int sm_cord_hibernate(sm_cord *c, uint32_t seconds, sm_cord_done_fn done, void *ctx);
/* AT+get=<group>,<key> -> +get:<value>: result text. group and key: 1..32
   bytes, no space, ',' or '"'. */
SECMODEM_API int sm_cord_get(sm_cord *c, const char *group, const char *key,
                             sm_cord_done_fn done, void *ctx);
/* AT+set=<group>,<key>,"<value>": value 0..512 bytes of UTF-8 without '"',
   ',' (docs/cordelia.md F7: no escape), CR, LF or controls. */
SECMODEM_API int sm_cord_set_str(sm_cord *c, const char *group, const char *key,
                                 const char *value, sm_cord_done_fn done, void *ctx);
/* AT+set=<group>,<key>,<decimal value> */
SECMODEM_API int sm_cord_set_int(sm_cord *c, const char *group, const char *key,
                                 int32_t value, sm_cord_done_fn done, void *ctx);
/* AT+set=<group>,<key>,true|false (value 0 or 1) */
SECMODEM_API int sm_cord_set_bool(sm_cord *c, const char *group, const char *key, int value,
                                  sm_cord_done_fn done, void *ctx);
/* Marks every field of cfg unset (NULL / SM_CORD_UNSET). */
SECMODEM_API void sm_cord_mqtt_opts_init(sm_cord_mqtt_opts *cfg);
/* One AT+set per field that is set, in the order of the struct; the first
   failure ends the operation (result group/key name it). All values are
   checked before anything is sent. */
SECMODEM_API int sm_cord_mqtt_config(sm_cord *c, const sm_cord_mqtt_opts *cfg,
                                        sm_cord_done_fn done, void *ctx);
/* AT+wlanConnect=<ssid>,,<security>,<key>,,, -> OK, done when the IPv4
   address is acquired (result text), failed (SM_ERR_MODEM, code = reason)
   on +eventwlan:disconnect, SM_ERR_TIMEOUT after SM_CORD_WLAN_TIMEOUT_MS.
   ssid 1..32 bytes (UTF-8, no ',' '"'); key 8..64 bytes for WPA types,
   NULL or "" for SM_CORD_SEC_OPEN. */
SECMODEM_API int sm_cord_wlan_connect(sm_cord *c, const char *ssid, sm_cord_security security,
                                      const char *key, sm_cord_done_fn done, void *ctx);
/* AT+wlanDisconnect -> OK, then +eventwlan:disconnect: done (SM_OK) at that
   event, when the link is really down (MQTT and sockets with it); no event
   within SM_CORD_TIMEOUT_MS after the OK: SM_ERR_TIMEOUT. Without a link
   (an association still in progress is cancelled) done at the OK. */
SECMODEM_API int sm_cord_wlan_disconnect(sm_cord *c, sm_cord_done_fn done, void *ctx);
/* AT+wlanSetMode=STA|AP|P2P -> OK. The Wi-Fi role; secmodem's features need
   a station (SM_CORD_MODE_STA, the module's default). The module stores the
   role; Würth's examples restart the network processor after a change, so
   follow a change with sm_cord_reboot() (contract "Wi-Fi"). */
SECMODEM_API int sm_cord_wlan_set_mode(sm_cord *c, sm_cord_wlan_mode mode, sm_cord_done_fn done,
                                       void *ctx);
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
   result len: bytes read. An answer with more bytes than asked ends it
   SM_ERR_TRUNCATED (the asked bytes kept); a wrong count or bad Base64
   SM_ERR_PARSE with len 0, the buffer not written by that answer (see
   "Reads" above). */
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
   (at least 1024, docs/cordelia.md C11), the chunks of sm_cord_file_write, then
   AT+fileClose. If a write fails the file is still closed (in the
   background) and the write's error reported. Wi-Fi must be disconnected
   (contract: the module refuses writes while connected). */
SECMODEM_API int sm_cord_file_upload(sm_cord *c, const char *name, const uint8_t *data,
                                     size_t len, sm_cord_done_fn done, void *ctx);
/* AT+socket=INET,STREAM,SEC (secure != 0) or TCP -> result value: the id. */
SECMODEM_API int sm_cord_sock_open(sm_cord *c, int secure, sm_cord_done_fn done, void *ctx);
/* One AT+setSockOpt=<id>,SOCKET,<opt>,<value> per option that is set. File
   names 1..180 bytes, method and domain without ',' '"' or spaces. */
SECMODEM_API int sm_cord_sock_tls(sm_cord *c, int sock, const sm_cord_tls *opts,
                                  sm_cord_done_fn done, void *ctx);
/* AT+connect=<id>,INET,<port>,<address> -> OK, then (Calypso model) the
   +connect: event when TCP and TLS are up: done then (SM_OK), or at an
   error event for the socket (+eventsock:async_event / tx_failed / closed:
   SM_ERR_MODEM with its code), or SM_ERR_TIMEOUT after
   SM_CORD_CONNECT_TIMEOUT_MS. address: host name or IPv4, no ',' '"' or
   spaces. Failures carry the TLS codes (-340, -468, -722...). */
SECMODEM_API int sm_cord_sock_dial(sm_cord *c, int sock, const char *address, uint16_t port,
                                  sm_cord_done_fn done, void *ctx);
/* AT+send=<id>,0,<len>,<len bytes> (binary, inline), len 1..1460. With
   SM_OK, result len is the bytes the module accepted: Würth's driver and
   the contract know no count in the answer (OK alone: all len of them); a
   module that answers +send:<n> or +send:<id>,<n> before its OK is
   believed, and may have taken fewer: send the rest again. A count above
   len, or another socket's id, is SM_ERR_PARSE. 0 when it failed. */
SECMODEM_API int sm_cord_sock_send(sm_cord *c, int sock, const uint8_t *data, size_t len,
                                   sm_cord_done_fn done, void *ctx);
/* AT+recv=<id>,0,<cap> -> OK arms the receive (Calypso model); the data
   come as the +recv:<id>,0,<n>,<n bytes> event: the bytes go to buf (cap
   1..1460), result len = total = n; more than cap: SM_ERR_TRUNCATED, len
   = cap (see "Reads" above); no event within SM_CORD_RECV_TIMEOUT_MS:
   SM_ERR_TIMEOUT (a later event's bytes are then dropped and its line
   reported UNHANDLED). A +recv: line before the OK (the older reading) is
   read the same way, n 0 when nothing waits; one for another socket, or in
   Base64, is SM_ERR_PARSE and its bytes never reach buf. */
SECMODEM_API int sm_cord_sock_recv(sm_cord *c, int sock, uint8_t *buf, size_t cap,
                                   sm_cord_done_fn done, void *ctx);
/* AT+close=<id> */
SECMODEM_API int sm_cord_sock_close(sm_cord *c, int sock, sm_cord_done_fn done, void *ctx);
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
#ifndef SM_NO_ATECC
/* ==========================================================================
   8. ATECC608 SECURE ELEMENT (declarations)
   The device key lives in a Microchip ATECC608A/B on I2C; this section
   talks to it through the platform's i2c_write, i2c_read and now_ms only
   (it does not use the AT engine). Three layers:
   - Pure encoding, no I/O: sm_atecc_cmd_*() describe a command,
     sm_atecc_encode() gives the bytes of its command group (count, opcode,
     param1, param2 little-endian, data, CRC-16) and sm_atecc_decode() checks
     a response group. Usable alone, e.g. to print packets.
   - A non-blocking transport: sm_atecc_start() (or a helper) begins an
     operation of one to three commands, sm_atecc_poll() advances it and
     returns at once. It wakes the chip, sends each command, waits the
     typical execution time, polls until the maximum (a NACK means busy),
     retries a command whose response was damaged, re-wakes before the
     watchdog (~1.3 s after a wake) can fire mid-command, and ends with idle
     (or sleep). Every wait is a deadline on now_ms(), never a delay loop.
   - Helpers: serial number, lock status, public key, sign, verify.
   Sources: the ATECC608 datasheet and Microchip's host driver, cryptoauthlib,
   each fact in the ledger docs/atecc.md (rows cited as "docs/atecc.md A-8").

       sm_atecc se;                           // the chip; you own it
       uint8_t sn[9], sig[64];
       sm_atecc_init(&se, &plat, 0x60);       // plat: i2c_write/i2c_read/now_ms
       sm_atecc_serial_start(&se, sn);        // returns at once
       while (sm_atecc_poll(&se) == SM_ATECC_PENDING) other_work();
       if (sm_atecc_sign_start(&se, 0, digest, sig) == SM_OK)
           rc = sm_atecc_wait_blocking(&se);  // or poll as above

   Port note: the wake pulse is a write to I2C address 0x00, which must hold
   SDA low for at least tWLO (~60 us): clock that write at 100 kHz or less,
   or have i2c_write drive SDA low itself when addr7 is 0 (docs/atecc.md A-3).
   ========================================================================== */
#ifndef SM_ATECC_WAKE_MS
#define SM_ATECC_WAKE_MS 3
#endif
#ifndef SM_ATECC_WAKE_TRIES
#define SM_ATECC_WAKE_TRIES 3
#endif
#ifndef SM_ATECC_RETRIES
#define SM_ATECC_RETRIES 2
#endif
#ifndef SM_ATECC_POLL_MS
#define SM_ATECC_POLL_MS 1
#endif
#ifndef SM_ATECC_EXEC_SCALE
#define SM_ATECC_EXEC_SCALE 1
#endif
#ifndef SM_ATECC_EXEC_MARGIN_MS
#define SM_ATECC_EXEC_MARGIN_MS 10
#endif
#ifndef SM_ATECC_WATCHDOG_MS
#define SM_ATECC_WATCHDOG_MS 1000
#endif
#if SM_ATECC_WAKE_MS < 2 || SM_ATECC_WAKE_TRIES < 1 || SM_ATECC_RETRIES < 0 || SM_ATECC_POLL_MS < 1
#error "SM_ATECC_WAKE_MS >= 2, SM_ATECC_WAKE_TRIES >= 1, SM_ATECC_RETRIES >= 0, SM_ATECC_POLL_MS >= 1"
#endif
#if SM_ATECC_WAKE_TRIES > 255 || SM_ATECC_RETRIES > 255 || SM_ATECC_EXEC_SCALE < 1
#error "SM_ATECC_WAKE_TRIES and SM_ATECC_RETRIES fit a byte; SM_ATECC_EXEC_SCALE >= 1"
#endif

#define SM_ATECC_ADDR_DEFAULT 0x60 /* 7-bit (0xC0 in 8-bit form), docs/atecc.md A-1 */
#define SM_ATECC_CMD_MAX 151       /* longest command group, count..CRC (docs/atecc.md A-7) */
#define SM_ATECC_RSP_MAX 75        /* longest response group (docs/atecc.md A-9) */
#define SM_ATECC_PENDING 1         /* sm_atecc_poll(): the operation goes on */

/* Opcodes (docs/atecc.md A-11). */
enum {
    SM_ATECC_OP_READ = 0x02, SM_ATECC_OP_WRITE = 0x12, SM_ATECC_OP_NONCE = 0x16,
    SM_ATECC_OP_LOCK = 0x17, SM_ATECC_OP_RANDOM = 0x1B, SM_ATECC_OP_COUNTER = 0x24,
    SM_ATECC_OP_INFO = 0x30, SM_ATECC_OP_GENKEY = 0x40, SM_ATECC_OP_SIGN = 0x41,
    SM_ATECC_OP_ECDH = 0x43, SM_ATECC_OP_VERIFY = 0x45, SM_ATECC_OP_SHA = 0x47,
    SM_ATECC_OP_SELFTEST = 0x77
};

/* Status bytes of a 4-byte response group (docs/atecc.md A-10). */
enum {
    SM_ATECC_ST_OK = 0x00, SM_ATECC_ST_MISCOMPARE = 0x01, SM_ATECC_ST_PARSE = 0x03,
    SM_ATECC_ST_ECC = 0x05, SM_ATECC_ST_SELFTEST = 0x07, SM_ATECC_ST_HEALTH = 0x08,
    SM_ATECC_ST_EXEC = 0x0F, SM_ATECC_ST_WAKE = 0x11, SM_ATECC_ST_WATCHDOG = 0xEE,
    SM_ATECC_ST_CRC = 0xFF
};

/* Zones, and mode bits of the commands (docs/atecc.md A-11, A-12, A-19). */
enum {
    SM_ATECC_ZONE_CONFIG = 0, SM_ATECC_ZONE_OTP = 1, SM_ATECC_ZONE_DATA = 2,
    SM_ATECC_INFO_REVISION = 0x00, SM_ATECC_INFO_KEYVALID = 0x01,
    SM_ATECC_RANDOM_SEED = 0x00,         /* Random: update the seed (use this) */
    SM_ATECC_NONCE_SEED = 0x00,          /* Nonce random modes: update seed / not */
    SM_ATECC_NONCE_NO_SEED = 0x01,
    SM_ATECC_TARGET_TEMPKEY = 0x00,      /* Nonce pass-through, SHA end: targets */
    SM_ATECC_TARGET_MSGDIGBUF = 0x40,
    SM_ATECC_TARGET_ALTKEYBUF = 0x80,
    SM_ATECC_GENKEY_PUBLIC = 0x00,       /* public key of a stored private key */
    SM_ATECC_GENKEY_PRIVATE = 0x04,      /* new private key, returns its public key */
    SM_ATECC_SIGN_EXTERNAL = 0x80,       /* Sign: the message was loaded by Nonce */
    SM_ATECC_SOURCE_MSGDIGBUF = 0x20,    /* Sign/Verify: message in MsgDigBuf, else TempKey */
    SM_ATECC_SHA_START = 0x00, SM_ATECC_SHA_UPDATE = 0x01, SM_ATECC_SHA_END = 0x02,
    SM_ATECC_COUNTER_READ = 0x00, SM_ATECC_COUNTER_INCREMENT = 0x01,
    /* SelfTest mode bits (608 datasheet "SelfTest Command": b0 RNG, b2
       ECDSA sign/verify, b3 ECDH, b4 AES, b5 SHA; b1, b7..6 are 0). Note
       that cryptoauthlib's "all" mode is 0x3B: it sets the reserved
       b1 and leaves out ECDSA (docs/atecc.md A-19). */
    SM_ATECC_SELFTEST_RNG = 0x01, SM_ATECC_SELFTEST_ECDSA = 0x04,
    SM_ATECC_SELFTEST_ECDH = 0x08, SM_ATECC_SELFTEST_AES = 0x10,
    SM_ATECC_SELFTEST_SHA = 0x20, SM_ATECC_SELFTEST_ALL = 0x3D
};

/* What the transport sends after an operation (docs/atecc.md A-5): idle keeps
   TempKey and the digest buffers, sleep clears them (lowest power), awake
   sends nothing (the watchdog rule re-wakes the chip when needed). */
enum { SM_ATECC_END_IDLE = 0, SM_ATECC_END_SLEEP = 1, SM_ATECC_END_AWAKE = 2 };

/* One command as the chip sees it. The data pointers are read when the
   command is encoded (for the transport: when its turn comes), so what
   they point to must live until the operation ends. */
typedef struct sm_atecc_cmd {
    uint8_t opcode;
    uint8_t param1;
    uint16_t param2;       /* sent little-endian */
    const uint8_t *data;   /* first part of the data field, or NULL */
    const uint8_t *data2;  /* second part, appended (Verify: the public key) */
    uint8_t len, len2;
    uint8_t rsp;           /* expected response count: 4, 7, 35 or 67; 0: any */
} sm_atecc_cmd;

/* Transport counters, for logs and tests. */
typedef struct sm_atecc_stats {
    uint32_t commands;     /* command groups written */
    uint32_t wakes;        /* wake pulses */
    uint32_t rewakes;      /* idle + wake to respect the watchdog */
    uint32_t busy_nacks;   /* polls the chip NACKed (still executing) */
    uint32_t retries;      /* commands sent again */
    uint32_t crc_errors;   /* responses with a bad CRC, or status 0xFF */
} sm_atecc_stats;

/* The chip. Treat the fields as private: use the functions below. */
typedef struct sm_atecc {
    sm_platform plat;      /* a copy: i2c_write, i2c_read, now_ms, user */
    uint8_t addr;          /* 7-bit I2C address */
    uint8_t end_mode;      /* SM_ATECC_END_*, for the next operations */
    uint8_t op_end;        /* ... for the operation in flight */
    uint8_t state;         /* transport state (implementation) */
    uint8_t power;         /* what the host knows: asleep, idle, awake */
    uint8_t fresh;         /* woken for the command in flight */
    uint8_t idle_first;    /* idle before the wake pulse (retry, re-wake) */
    uint8_t wake_left, tries_left;
    uint8_t status;        /* status byte of the last 4-byte response */
    int result;            /* SM_ATECC_PENDING, then the operation's status */
    sm_clock clock;        /* counts every time below (see sm_clock) */
    uint32_t t_wake;       /* when the chip last woke (watchdog) */
    uint32_t t_next;       /* the current wait's deadline */
    uint32_t t_limit;      /* the command's maximum execution deadline */
    sm_atecc_cmd seq[3];   /* the operation: commands run in order */
    uint8_t nseq, step, out_kind;
    uint8_t *out;          /* where the last command's result goes */
    size_t out_cap, out_len;
    uint8_t tx[1 + SM_ATECC_CMD_MAX]; /* word address 0x03 + command group */
    uint8_t tx_len;
    uint8_t rx[SM_ATECC_RSP_MAX];
    uint8_t rx_len;
    sm_atecc_stats stats;
} sm_atecc;

/* ---- pure encoding and decoding (no I/O) ---- */

/* The chip's CRC-16: polynomial 0x8005, initial 0, input bits LSB first,
   no reflection of the result, no final XOR; sent low byte first
   (docs/atecc.md A-8, the CRC cryptoauthlib computes). */
SECMODEM_API uint16_t sm_atecc_crc16(const uint8_t *data, size_t len);
/* Writes the command group (count .. CRC, without the word address 0x03)
   into out[cap]; returns its length (7..151), SM_ERR_PARAM or
   SM_ERR_NO_SPACE. */
SECMODEM_API int sm_atecc_encode(const sm_atecc_cmd *cmd, uint8_t *out, size_t cap);
/* Checks a response group rsp[0..len): SM_ERR_PARSE if shorter than 4 or
   than its count, or if the count is outside 4..75; SM_ERR_CRC if the CRC
   is wrong; for a 4-byte group, *status (may be NULL) gets the status
   byte and the result is sm_atecc_status_error() of it; else SM_OK. The
   data are rsp[1 .. count-2). */
SECMODEM_API int sm_atecc_decode(const uint8_t *rsp, size_t len, uint8_t *status);
/* Maps a status byte to SM_OK or SM_ERR_*: 0x01 VERIFY, 0x03 CHIP_PARSE,
   0x05 CHIP_ECC, 0x07 CHIP_SELFTEST, 0x08 CHIP_HEALTH, 0x0F CHIP_EXEC,
   0xEE WATCHDOG, 0xFF CRC, others (0x11...) CHIP_STATUS. */
SECMODEM_API int sm_atecc_status_error(uint8_t status);
/* param2 of Read: config and OTP (block << 3 | offset), data zone
   (block << 8 | slot << 3 | offset); offset: the 4-byte word in the block,
   0..7 (docs/atecc.md A-12). */
SECMODEM_API uint16_t sm_atecc_addr(uint8_t zone, uint8_t slot, uint8_t block, uint8_t offset);

/* Command builders: fill *cmd and return SM_OK, or SM_ERR_PARAM for a
   value the chip would reject (slot > 15, wrong length, unknown mode). */
/* Info: mode 0 revision (4 bytes), 1 KeyValid of slot param2, 2 state,
   3 GPIO, 4 key-permit latch. */
SECMODEM_API int sm_atecc_cmd_info(sm_atecc_cmd *cmd, uint8_t mode, uint16_t param2);
/* Read 4 or 32 bytes of a zone at address addr (sm_atecc_addr()). */
SECMODEM_API int sm_atecc_cmd_read(sm_atecc_cmd *cmd, uint8_t zone, uint16_t addr, uint8_t len);
/* Random: 32 random bytes; mode 0 updates the seed first. */
SECMODEM_API int sm_atecc_cmd_random(sm_atecc_cmd *cmd, uint8_t mode);
/* Nonce pass-through: loads 32 or 64 bytes into a target
   (SM_ATECC_TARGET_*), e.g. the digest to sign into TempKey. */
SECMODEM_API int sm_atecc_cmd_nonce_load(sm_atecc_cmd *cmd, uint8_t target, const uint8_t *data,
                                         uint8_t len);
/* Nonce random mode (0 or 1): the chip mixes 20 bytes of num_in with a
   random number into TempKey and returns the random number (32 bytes). */
SECMODEM_API int sm_atecc_cmd_nonce_random(sm_atecc_cmd *cmd, uint8_t mode, const uint8_t num_in[20]);
/* GenKey mode 0x00 (public key of a private-key slot) or 0x04 (new
   private key, where the slot allows it): returns X || Y (64 bytes). */
SECMODEM_API int sm_atecc_cmd_genkey(sm_atecc_cmd *cmd, uint8_t mode, uint8_t slot);
/* Sign with the private key of slot; mode SM_ATECC_SIGN_EXTERNAL, plus
   SM_ATECC_SOURCE_MSGDIGBUF if the message is there instead of TempKey.
   Returns R || S (64 bytes). */
SECMODEM_API int sm_atecc_cmd_sign(sm_atecc_cmd *cmd, uint8_t mode, uint8_t slot);
/* Verify external, P-256 (key type 4): signature R || S against public key
   X || Y and the message in TempKey (source 0) or MsgDigBuf (source
   SM_ATECC_SOURCE_MSGDIGBUF). A mismatch is SM_ERR_VERIFY. */
SECMODEM_API int sm_atecc_cmd_verify_extern(sm_atecc_cmd *cmd, uint8_t source, const uint8_t sig[64],
                                            const uint8_t pub[64]);
/* SHA-256 on the chip: START (len 0), UPDATE (len 64), END (len 0..63,
   returns the digest; OR a SM_ATECC_TARGET_* to also store it there). */
SECMODEM_API int sm_atecc_cmd_sha(sm_atecc_cmd *cmd, uint8_t mode, const uint8_t *data, uint8_t len);
/* ECDH mode 0: the shared secret (X coordinate, 32 bytes) of the private
   key of slot and the peer's public key X || Y, if the slot's config lets
   it out in the clear. */
SECMODEM_API int sm_atecc_cmd_ecdh(sm_atecc_cmd *cmd, uint8_t slot, const uint8_t pub[64]);
/* Counter 0 or 1: read, or increment; returns its value (4 bytes, LE). */
SECMODEM_API int sm_atecc_cmd_counter(sm_atecc_cmd *cmd, uint8_t mode, uint8_t counter);
/* SelfTest of the functions in mode (SM_ATECC_SELFTEST_*; 0 reads the
   past results); the result byte is 0 on success, else the failed bits.
   The chip answers in the status position, so a result whose bits are all
   among the tests run is a result, anything else a status (0x01 with the
   RNG test is "RNG failed", not "miscompare"). */
SECMODEM_API int sm_atecc_cmd_selftest(sm_atecc_cmd *cmd, uint8_t mode);

/* ---- transport (non-blocking) ---- */

/* Initialises the chip struct; the platform is copied (i2c_write, i2c_read
   and now_ms are required). addr7 0 means SM_ATECC_ADDR_DEFAULT. */
SECMODEM_API int sm_atecc_init(sm_atecc *se, const sm_platform *plat, uint8_t addr7);
/* Chooses what follows each operation: SM_ATECC_END_IDLE (default),
   SM_ATECC_END_SLEEP or SM_ATECC_END_AWAKE. */
SECMODEM_API void sm_atecc_set_end(sm_atecc *se, uint8_t end_mode);
/* Begins one command. Its response data (without count and CRC) are
   copied to out[cap] when it succeeds (out may be NULL: then read them
   with sm_atecc_response()). SM_OK, SM_ERR_BUSY while another operation
   runs, SM_ERR_PARAM. */
SECMODEM_API int sm_atecc_start(sm_atecc *se, const sm_atecc_cmd *cmd, uint8_t *out, size_t cap);
/* Advances the operation and returns quickly: SM_ATECC_PENDING while it
   runs, then its result: SM_OK or SM_ERR_* (NO_WAKE, TIMEOUT, CRC, IO,
   PARSE, TRUNCATED, VERIFY, CHIP_*, WATCHDOG). Call it from the main
   loop; when idle it returns the last result. */
SECMODEM_API int sm_atecc_poll(sm_atecc *se);
/* 1 while an operation runs. */
SECMODEM_API int sm_atecc_busy(const sm_atecc *se);
/* Bytes written to `out` by the last operation. */
SECMODEM_API size_t sm_atecc_out_len(const sm_atecc *se);
/* The last response's data (valid until the next start) and its length. */
SECMODEM_API const uint8_t *sm_atecc_response(const sm_atecc *se, size_t *len);
/* The status byte of the last 4-byte response (e.g. after SM_ERR_CHIP_*). */
SECMODEM_API uint8_t sm_atecc_last_status(const sm_atecc *se);
/* Transport counters since sm_atecc_init(). */
SECMODEM_API const sm_atecc_stats *sm_atecc_get_stats(const sm_atecc *se);
/* Puts the chip to sleep now (drops TempKey and the buffers). */
SECMODEM_API int sm_atecc_sleep_start(sm_atecc *se);

/* Blocking helpers for simple programs and tests: poll until the
   operation ends (bounded by its deadlines) and return its result. */
SECMODEM_API int sm_atecc_wait_blocking(sm_atecc *se);
/* Runs one command: start, then wait; *out_len (may be NULL) gets the
   bytes copied to out. */
SECMODEM_API int sm_atecc_run_blocking(sm_atecc *se, const sm_atecc_cmd *cmd, uint8_t *out, size_t cap,
                                       size_t *out_len);

/* ---- helpers: each begins an operation; finish it with sm_atecc_poll()
   or sm_atecc_wait_blocking(). Inputs must stay valid until it ends. ---- */

/* The 9-byte serial number: config bytes 0..3 and 8..12 (docs/atecc.md A-13). */
SECMODEM_API int sm_atecc_serial_start(sm_atecc *se, uint8_t sn[9]);
/* Lock status from config bytes 86/87: locks[0] = 1 if the config zone is
   locked, locks[1] = 1 if the data and OTP zones are (0x55 = unlocked). */
SECMODEM_API int sm_atecc_lock_status_start(sm_atecc *se, uint8_t locks[2]);
/* Public key X || Y (64 bytes) of the private key in slot (GenKey mode 0). */
SECMODEM_API int sm_atecc_pubkey_start(sm_atecc *se, uint8_t slot, uint8_t pub[64]);
/* Signs a 32-byte digest with slot's private key: Random (seed update, as
   cryptoauthlib does, docs/atecc.md A-15), Nonce pass-through to TempKey,
   Sign external. sig gets R || S (64 bytes, big-endian each). */
SECMODEM_API int sm_atecc_sign_start(sm_atecc *se, uint8_t slot, const uint8_t digest[32],
                                     uint8_t sig[64]);
/* Verifies R || S over a 32-byte digest with public key X || Y on the chip
   (Nonce pass-through, Verify external): SM_OK, or SM_ERR_VERIFY. */
SECMODEM_API int sm_atecc_verify_start(sm_atecc *se, const uint8_t digest[32], const uint8_t sig[64],
                                       const uint8_t pub[64]);
#endif /* SM_NO_ATECC */
#ifndef SM_NO_MQTT
/* ==========================================================================
   9. MQTT 3.1.1 FRAMING (declarations)
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
#if !defined(SM_NO_MQTT) && !defined(SM_NO_MQTT_SESSION)
/* ==========================================================================
   10. MQTT 3.1.1 CLIENT SESSION (declarations)
   A client session over any byte stream (a modem's secure socket, a POSIX
   TCP socket), on the framing of section 9: connect, subscribe,
   unsubscribe, publish QoS 0/1/2 with a bounded in-flight table, inbound
   QoS 1 and QoS 2 (exactly once), keep-alive, disconnect, and the re-sending
   of a persistent session (clean session 0) after a reconnect. No heap, no
   I/O of its own: the caller provides a transport (sm_mqtt_transport) and
   owns the connection under it, opening it before sm_mqtt_connect_start()
   and closing it when the session reports its end.

       sm_mqtt_init(&c, &transport, on_result, on_message, app);
       // open the connection, then:
       sm_mqtt_connect_start(&c, &opts);     // CONNECT; the CONNACK is a result
       for (;;) { sm_mqtt_poll(&c); other_work(); }

   Start functions check their arguments and return at once: a packet id
   (1..32767) or SM_OK, or a negative SM_ERR_* and then nothing was queued
   and no result will come. Packets are written from sm_mqtt_poll() and
   sm_mqtt_feed(), never from a start function, in this order: our
   acknowledgements of received messages, the operations (PUBLISH, PUBREL,
   SUBSCRIBE, UNSUBSCRIBE) in the order they were started, PINGREQ, and
   DISCONNECT once nothing else waits.

   Results (sm_mqtt_result_fn): each sm_mqtt_connect_start() ends with one
   SM_MQTT_CONNECT result; after a successful one, the end of the session
   comes as one SM_MQTT_DISCONNECT result: SM_OK after
   sm_mqtt_disconnect_start(), else why - SM_ERR_IO (the transport failed),
   SM_ERR_TIMEOUT (no CONNACK or PINGRESP in time), SM_ERR_REFUSED (CONNACK
   return code in return_code), SM_ERR_MALFORMED (the broker broke the
   standard: a malformed packet, a packet or packet id we did not expect,
   an answer to a packet not yet written whole, a SUBACK with a count
   other than the filters', session present with clean
   session 1 [MQTT-3.2.2-1]), SM_ERR_QUEUE_FULL (more inbound QoS 1/2
   messages than SM_MQTT_RX_IDS slots, below: reconnect), SM_ERR_NO_SPACE
   (a PUBREL for an unknown id with no slot free, a SUBACK with more than
   SM_MQTT_RX_SIZE - 2 codes), or what sm_mqtt_abort() was given.
   Every publish, subscribe and unsubscribe ends with one result carrying
   its packet id: QoS 0 once written to the transport, QoS 1 at PUBACK,
   QoS 2 at PUBCOMP, SUBSCRIBE with the SUBACK codes (one per filter: the
   granted QoS 0..2, or 0x80 refused), UNSUBSCRIBE at UNSUBACK. Each takes a
   slot of SM_MQTT_INFLIGHT until then.

   Ownership: nothing is copied. The topic and payload of a publish must
   stay valid and unchanged until its result (a QoS 1/2 message may be
   re-sent until acknowledged, also after a reconnect), the filters and the
   QoS array of a subscribe / unsubscribe until theirs. A packet is encoded
   when it goes out, into SM_MQTT_TX_SIZE bytes in the session; a payload is
   written straight from the caller's memory, so its size is not bounded by
   the session's RAM.

   Persistent sessions (clean_session 0). When the connection ends, QoS 1/2
   messages stay in the table (with clean session 1 they end with the
   close status, as do QoS 0 messages not yet written and unacknowledged
   (UN)SUBSCRIBEs); after the next accepted CONNACK every unacknowledged
   PUBLISH is re-sent with DUP 1 (0 if it had not begun to go out) and every
   unacknowledged PUBREL re-sent, with their packet ids, in table order -
   the order of the original PUBLISHes [MQTT-4.4.0-1, MQTT-4.6.0-1,
   MQTT-3.3.1-1]. They are re-sent
   also when the broker reports no session present (it lost the state; at
   least once still holds); a CONNACK to clean session 1 discards them
   with SM_ERR_CANCELLED [MQTT-3.1.2-6].

   Inbound messages reach on_message as the decoder cuts them (section 9):
   topic, one payload piece, its offset and the total length. A QoS 2
   message is delivered when its PUBLISH arrives, its packet id recorded
   before its first piece is handed over and kept until the PUBREL: a
   duplicate PUBLISH with that id before then is acknowledged again
   (PUBREC; one PUBREC answers both when the first had not gone out yet)
   but not delivered again. A PUBREL for an id not kept is answered with
   PUBCOMP all the same (4.3.3). If the connection ends in the middle of a
   message, the broker sends it again from offset 0: restart it there.

   In-flight limit. Kept ids and acknowledgements not yet written take the
   SM_MQTT_RX_IDS slots. While none is free and an acknowledgement waits
   to be written, the session reads nothing (back-pressure: the broker's
   bytes wait in the transport). While all hold QoS 2 ids awaiting PUBREL,
   it reads on, as only the broker's PUBRELs free them; a QoS 1/2 PUBLISH
   that then finds no slot is neither delivered nor acknowledged (the
   broker still owns it), the session writes DISCONNECT (no Will) and ends
   with SM_ERR_QUEUE_FULL. A broker re-sends an unacknowledged PUBLISH only
   on a new connection (4.4), so reconnect with clean session 0: it
   re-sends the PUBRELs, which free the slots, then the message; each
   message is still delivered exactly once, and every connection delivers
   up to SM_MQTT_RX_IDS more. (With clean session 1 the broker forgets such
   a message with the session, as any in flight at a disconnect.) To avoid
   the reconnects, set the broker's in-flight limit towards the client
   (mosquitto: max_inflight_messages) to SM_MQTT_RX_IDS or less.
   Or build with SM_MQTT_RX_ID_BITMAP 1: an id awaiting PUBREL then goes
   to a bitmap of every packet id (8 KB in the session) once its PUBREC is
   written, the slots hold only messages being received and
   acknowledgements not yet written (which writing frees), and no number
   of QoS 2 messages in flight ends the session.

   Topics longer than the decoder holds (SM_MQTT_RX_SIZE - 4 bytes, up to
   the 65,535 MQTT allows) are refused once, not delivered: on_message gets
   one event with topic NULL, topic_len the topic's length, qos, retain,
   dup, packet_id, and no payload (data NULL, data_len, offset and total
   0); the topic and payload bytes are discarded, and the message is
   acknowledged (PUBACK, PUBREC) like any other, so that the broker does
   not send it again (a QoS 2 duplicate is not reported again). The
   application can only count or log it; to receive such messages, build
   with a larger SM_MQTT_RX_SIZE or use shorter topics.

   Keep-alive (3.1.2.10): when nothing was written for keep_alive seconds,
   PINGREQ is queued; no PINGRESP within SM_MQTT_PING_TIMEOUT_MS from then
   ends the session with SM_ERR_TIMEOUT. The deadline also holds after
   sm_mqtt_disconnect_start() (no PINGREQ is written then): a DISCONNECT
   the transport does not take within keep_alive seconds plus
   SM_MQTT_PING_TIMEOUT_MS ends the session with SM_ERR_TIMEOUT. Deadlines run on the transport's
   clock, wrap-safe. Callbacks may call the start functions and
   sm_mqtt_abort(), not sm_mqtt_poll(), sm_mqtt_feed() or
   sm_mqtt_connect_start() (SM_ERR_BUSY).
   ========================================================================== */
#ifndef SM_MQTT_INFLIGHT
#define SM_MQTT_INFLIGHT 4
#endif
#ifndef SM_MQTT_RX_IDS
#define SM_MQTT_RX_IDS 8
#endif
#ifndef SM_MQTT_TX_SIZE
#define SM_MQTT_TX_SIZE 128
#endif
#ifndef SM_MQTT_READ_MAX
#define SM_MQTT_READ_MAX 64
#endif
#ifndef SM_MQTT_CONNECT_TIMEOUT_MS
#define SM_MQTT_CONNECT_TIMEOUT_MS 15000
#endif
#ifndef SM_MQTT_PING_TIMEOUT_MS
#define SM_MQTT_PING_TIMEOUT_MS 10000
#endif
#if SM_MQTT_INFLIGHT < 1 || SM_MQTT_INFLIGHT > 64
#error "SM_MQTT_INFLIGHT must be 1..64"
#endif
#if SM_MQTT_RX_IDS < 1 || SM_MQTT_RX_IDS > 64
#error "SM_MQTT_RX_IDS must be 1..64"
#endif
#ifndef SM_MQTT_RX_ID_BITMAP
#define SM_MQTT_RX_ID_BITMAP 0
#endif
#if SM_MQTT_RX_ID_BITMAP != 0 && SM_MQTT_RX_ID_BITMAP != 1
#error "SM_MQTT_RX_ID_BITMAP must be 0 or 1"
#endif
#if SM_MQTT_TX_SIZE < 16 || SM_MQTT_TX_SIZE > 65535
#error "SM_MQTT_TX_SIZE must be 16..65535"
#endif
#if SM_MQTT_READ_MAX < 1 || SM_MQTT_READ_MAX > 4096
#error "SM_MQTT_READ_MAX must be 1..4096"
#endif

/* The byte stream under the session; `user` is passed back to each.
   Zero the struct before filling it in (`= {0}`, an initialiser, or
   memset), so that optional members, present and future, stay NULL. */
typedef struct sm_mqtt_transport {
    void *user;
    /* Writes up to len bytes; returns how many were accepted (0..len, 0
       when full: the rest is offered again later) or <0 when the
       connection failed. Required. */
    int (*send)(void *user, const uint8_t *data, size_t len);
    /* Pull mode: reads up to cap bytes; 0 when none waits, <0 when the
       connection failed or was closed. NULL in push mode (sm_mqtt_feed). */
    int (*recv)(void *user, uint8_t *buf, size_t cap);
    /* A free-running monotonic millisecond clock; wrap-around is handled,
       a step back or a jump costs as sm_clock (section 3) says. Required. */
    uint32_t (*now_ms)(void *user);
    /* Optional (NULL: not needed): called when the session has handed over
       all it can for now; what send() took may go out now, as one piece.
       For transports where every send costs (a modem command, a TLS
       record): their send() only queues, and a PUBLISH's header and
       payload then leave together. */
    void (*flush)(void *user);
} sm_mqtt_transport;

/* Session states (sm_mqtt_state). */
enum { SM_MQTT_IDLE = 0, SM_MQTT_CONNECTING, SM_MQTT_CONNECTED, SM_MQTT_DISCONNECTING };

/* How an operation ended, or that the session did. */
typedef struct sm_mqtt_result {
    uint8_t op;               /* SM_MQTT_CONNECT, SM_MQTT_PUBLISH, SM_MQTT_SUBSCRIBE,
                                 SM_MQTT_UNSUBSCRIBE, or SM_MQTT_DISCONNECT: the session ended */
    uint8_t session_present;  /* CONNECT with SM_OK: from the CONNACK */
    uint8_t return_code;      /* CONNECT: the CONNACK return code (SM_ERR_REFUSED if not 0) */
    uint16_t packet_id;       /* PUBLISH, SUBSCRIBE, UNSUBSCRIBE: what the start returned */
    int status;               /* SM_OK or SM_ERR_* */
    const uint8_t *codes;     /* SUBSCRIBE with SM_OK: one SUBACK code per filter */
    size_t count;
} sm_mqtt_result;

struct sm_mqtt_client;
typedef void (*sm_mqtt_result_fn)(void *ctx, struct sm_mqtt_client *c, const sm_mqtt_result *r);
/* One piece of a received message (type SM_MQTT_PUBLISH, see sm_mqtt_event):
   topic, data[0..data_len) at offset of total; qos, retain, dup. Valid
   during the call only. */
typedef void (*sm_mqtt_message_fn)(void *ctx, struct sm_mqtt_client *c, const sm_mqtt_event *m);

/* An operation in progress (private): a PUBLISH, SUBSCRIBE or UNSUBSCRIBE. */
typedef struct sm_mqtt_out {
    union {
        const char *topic;          /* PUBLISH */
        const char *const *filters; /* SUBSCRIBE, UNSUBSCRIBE */
    } u;
    const uint8_t *data;      /* the payload; SUBSCRIBE: the requested QoS per filter */
    uint32_t len;             /* payload bytes; (UN)SUBSCRIBE: filters */
    uint16_t id;
    uint8_t flags;            /* QoS, retain, sent before, operation (implementation) */
    uint8_t state;            /* packet to send or awaited (implementation) */
} sm_mqtt_out;

/* A received QoS 1/2 packet id (private): the acknowledgement to send
   (SM_MQTT_PUBACK, SM_MQTT_PUBREC, SM_MQTT_PUBCOMP) or SM_MQTT_PUBREL
   (delivered, waiting for the PUBREL). */
typedef struct sm_mqtt_in {
    uint16_t id;
    uint8_t state;
} sm_mqtt_in;

/* A session. Put it anywhere; initialise with sm_mqtt_init(). Private. */
typedef struct sm_mqtt_client {
    /* small fields first: short instructions reach them on Thumb */
    uint8_t state;               /* SM_MQTT_IDLE... */
    uint8_t clean;               /* clean session of the current connection */
    uint8_t ping;                /* 1 PINGREQ to send, 2 awaiting PINGRESP */
    uint8_t disc;                /* 1 DISCONNECT to send, 2 going out */
    uint8_t skip;                /* the message being received is a QoS 2 duplicate */
    uint8_t in_cb;               /* inside a callback */
    uint8_t connack;             /* return code of the last CONNACK */
    uint8_t full;                /* a QoS 1/2 PUBLISH found no slot: dropped unacknowledged;
                                    DISCONNECT, then end with SM_ERR_QUEUE_FULL */
    uint8_t big_first;           /* a PUBLISH with a topic too long for dec.buf: byte 1 */
    uint16_t big_tlen, big_id;   /* ... its topic length, its packet id */
    uint32_t big_pos, big_end;   /* ... bytes consumed after the topic length, of big_end
                                    (0: none in progress) */
    uint8_t n_out, n_in;         /* entries used in out[], in[] */
    uint16_t keep_alive;         /* seconds */
    uint16_t next_id;
    uint16_t tx_id;              /* the PUBLISH whose bytes are going out, 0 none */
    int err;                     /* why the session must end, 0 none (implementation) */
    sm_clock clock;              /* counts the two times below (see sm_clock) */
    uint32_t last_tx, deadline;  /* when a packet last went out; CONNACK / PINGRESP deadline */
    const uint8_t *wp;           /* what is being written: from tx[], or a payload */
    uint32_t wleft;
    const uint8_t *pay;          /* the payload to write after tx[] */
    uint32_t pay_left;
    sm_mqtt_transport tr;
    sm_mqtt_result_fn on_result;
    sm_mqtt_message_fn on_message;
    void *ctx;
    sm_mqtt_out out[SM_MQTT_INFLIGHT]; /* operations, in the order of their start */
    sm_mqtt_in in[SM_MQTT_RX_IDS];     /* received ids, in the order of their PUBLISH */
    uint8_t tx[SM_MQTT_TX_SIZE];       /* the packet going out (a PUBLISH without payload) */
    sm_mqtt_decoder dec;
#if SM_MQTT_RX_ID_BITMAP
    uint8_t rel_wait[8192];            /* bit per packet id: a QoS 2 message delivered, its
                                          PUBREC written, its PUBREL awaited */
#endif
} sm_mqtt_client;

/* Initialises c, IDLE, with everything empty; the transport is copied.
   on_result and on_message may be NULL. SM_OK or SM_ERR_PARAM (NULL c or
   t, no send or now_ms). */
SECMODEM_API int sm_mqtt_init(sm_mqtt_client *c, const sm_mqtt_transport *t,
                              sm_mqtt_result_fn on_result, sm_mqtt_message_fn on_message,
                              void *ctx);
/* Starts a session on a freshly opened connection: queues CONNECT (o is
   encoded now, not kept) and waits SM_MQTT_CONNECT_TIMEOUT_MS for CONNACK.
   SM_OK; SM_ERR_STATE (not IDLE), SM_ERR_BUSY (from a callback),
   SM_ERR_NO_SPACE (CONNECT longer than SM_MQTT_TX_SIZE), or the encoder's
   SM_ERR_PARAM / SM_ERR_UNSAFE_STRING. */
SECMODEM_API int sm_mqtt_connect_start(sm_mqtt_client *c, const sm_mqtt_connect_opts *o);
/* Queues a PUBLISH of qos 0..2, retain 0/1 (payload may be NULL when len
   is 0). Returns its packet id (1..32767; a QoS 0 message gets one too, to
   name its result), or SM_ERR_STATE (not CONNECTED), SM_ERR_QUEUE_FULL
   (SM_MQTT_INFLIGHT operations in progress), SM_ERR_NO_SPACE (topic
   longer than SM_MQTT_TX_SIZE - 9 bytes), SM_ERR_UNSAFE_STRING (not a
   topic name), SM_ERR_PARAM (anything else out of range). */
SECMODEM_API int sm_mqtt_publish_start(sm_mqtt_client *c, const char *topic,
                                       const uint8_t *payload, uint32_t len, uint8_t qos,
                                       uint8_t retain);
/* Queues a SUBSCRIBE of count >= 1 filters with their requested QoS
   (0..2). Returns its packet id, or SM_ERR_STATE, SM_ERR_QUEUE_FULL (as
   for a publish), SM_ERR_NO_SPACE (the packet is longer than
   SM_MQTT_TX_SIZE), SM_ERR_UNSAFE_STRING (not a topic filter),
   SM_ERR_PARAM. */
SECMODEM_API int sm_mqtt_subscribe_start(sm_mqtt_client *c, const char *const *filters,
                                         const uint8_t *qos, size_t count);
/* Queues an UNSUBSCRIBE of count filters; as sm_mqtt_subscribe_start. */
SECMODEM_API int sm_mqtt_unsubscribe_start(sm_mqtt_client *c, const char *const *filters,
                                           size_t count);
/* Queues DISCONNECT after everything waiting to go out; once it is
   written the session ends with SM_OK. SM_OK or SM_ERR_STATE. */
SECMODEM_API int sm_mqtt_disconnect_start(sm_mqtt_client *c);
/* Ends the session now, without DISCONNECT (the broker then publishes the
   will), with `status` (e.g. SM_ERR_IO when the application saw the
   connection fail; not negative: SM_ERR_CANCELLED). Nothing happens when
   IDLE. From a callback, it takes effect when the callback returns. */
SECMODEM_API void sm_mqtt_abort(sm_mqtt_client *c, int status);
/* Advances the session: writes what waits, reads (pull mode: at most
   SM_MQTT_READ_MAX bytes, in as many reads as the room for acknowledgements
   allows; fewer while acknowledgements wait for room), enforces deadlines. Call it often. Returns SM_OK, the status with which
   the session ended during this call, or SM_ERR_BUSY / SM_ERR_PARAM. */
SECMODEM_API int sm_mqtt_poll(sm_mqtt_client *c);
/* Push mode: hands received bytes to the session. *used receives how many
   were taken: fewer than len while acknowledgements wait for the
   transport; offer the rest again after sm_mqtt_poll(). Returns as
   sm_mqtt_poll(), or SM_ERR_STATE when IDLE (drop the bytes). */
SECMODEM_API int sm_mqtt_feed(sm_mqtt_client *c, const uint8_t *data, size_t len, size_t *used);
/* SM_MQTT_IDLE, _CONNECTING, _CONNECTED or _DISCONNECTING. */
SECMODEM_API int sm_mqtt_state(const sm_mqtt_client *c);
/* 1 while the publish, subscribe or unsubscribe with this id is in
   progress (no result yet), else 0. */
SECMODEM_API int sm_mqtt_pending(const sm_mqtt_client *c, uint16_t id);
#endif /* SM_NO_MQTT, SM_NO_MQTT_SESSION */

#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR)
/* ==========================================================================
   11. GLUE: CERTIFICATE SIGNING REQUEST (declarations)
   A PKCS#10 request (RFC 2986) for the public key of an ATECC608 slot,
   signed by the chip: a CA can issue the device certificate while the
   private key never leaves the chip. Everything that does not touch the
   chip is a pure function (SHA-256, DER writers, the ECDSA signature in
   DER, the subject, the CertificationRequestInfo, the final assembly,
   PEM), testable with fixed keys and signatures; sm_csr_start() and
   sm_csr_poll() drive the chip through section 8 - public key (GenKey
   mode 0), SHA-256 of the CertificationRequestInfo on the host (a chunk
   per poll), Sign, assembly - into the caller's buffer, in place.

       static const sm_dn_attr subject[] = {
           { SM_DN_C, "DE" }, { SM_DN_O, "Example GmbH" }, { SM_DN_CN, "dev-0123" }
       };
       static char pem[640];            // enough? sm_csr_size() tells
       sm_csr op;
       rc = sm_csr_start(&op, &se, 0, subject, 3, SM_CSR_PEM, pem, sizeof pem);
       while (rc == SM_OK && (rc = sm_csr_poll(&op)) == SM_ATECC_PENDING) other_work();
       if (rc == SM_OK) upload(pem, sm_csr_out_len(&op));

   What is built (RFC 2986 section 4; the key as RFC 5480 section 2, the
   algorithm as RFC 5758 section 3.2; DER as X.690 section 10):
     SEQUENCE {                                  CertificationRequest
       SEQUENCE {                                CertificationRequestInfo (signed)
         INTEGER 0                               version
         SEQUENCE { SET { SEQUENCE { OID, string } } ... }  subject: one RDN per
                                                 attribute, in the caller's order
         SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 },
                    BIT STRING 04 || X || Y }    the chip's key
         [0] { } }                               attributes: none (A0 00)
       SEQUENCE { OID ecdsa-with-SHA256 }        no parameters
       BIT STRING { SEQUENCE { INTEGER r, INTEGER s } } }
   The signature's DER form takes 8..72 bytes (70..72 nearly always, fewer
   when r or s has leading zero bytes), so the exact size of a request is
   known only once it is signed: sm_csr_size() gives the capacity that
   always suffices, sm_csr_out_len() the length actually produced.
   Subject strings: CN, O, OU, L, ST as UTF8String, C and serialNumber as
   PrintableString (RFC 5280 section 4.1.2.4 and appendix A, with its
   upper bounds in characters).
   ========================================================================== */
#ifndef SM_CSR_SUBJECT_MAX
#define SM_CSR_SUBJECT_MAX 8
#endif
#ifndef SM_CSR_HASH_CHUNK
#define SM_CSR_HASH_CHUNK 128
#endif
#if SM_CSR_SUBJECT_MAX < 1 || SM_CSR_SUBJECT_MAX > 32
#error "SM_CSR_SUBJECT_MAX must be 1..32"
#endif
#if SM_CSR_HASH_CHUNK < 64 || SM_CSR_HASH_CHUNK > 4096
#error "SM_CSR_HASH_CHUNK must be 64..4096"
#endif

/* ---- SHA-256 (FIPS 180-4), on the host ---- */

typedef struct sm_sha256_ctx {
    uint32_t h[8];           /* chaining value */
    uint32_t len_lo, len_hi; /* bytes hashed so far (64 bits) */
    union {                  /* the partial block: len_lo % 64 bytes; a whole one */
        uint8_t b[64];       /* becomes the message schedule in place, so that */
        uint32_t w[16];      /* hashing needs no second 64 bytes of stack */
    } block;
} sm_sha256_ctx;
SECMODEM_API void sm_sha256_init(sm_sha256_ctx *c);
/* Any split of a message into updates gives the same digest. */
SECMODEM_API void sm_sha256_update(sm_sha256_ctx *c, const uint8_t *data, size_t n);
/* Writes the digest; start again with sm_sha256_init() before reuse. */
SECMODEM_API void sm_sha256_final(sm_sha256_ctx *c, uint8_t digest[32]);
/* One call: the digest of data[0..n). */
SECMODEM_API void sm_sha256(const uint8_t *data, size_t n, uint8_t digest[32]);

/* ---- DER writer (X.690 section 10: definite lengths, minimal forms) ---- */

/* Universal tags used here, and [0] constructed (context-specific). */
enum {
    SM_DER_INTEGER = 0x02, SM_DER_BIT_STRING = 0x03, SM_DER_OCTET_STRING = 0x04,
    SM_DER_NULL = 0x05, SM_DER_OID = 0x06, SM_DER_UTF8_STRING = 0x0C,
    SM_DER_PRINTABLE_STRING = 0x13, SM_DER_IA5_STRING = 0x16,
    SM_DER_SEQUENCE = 0x30, SM_DER_SET = 0x31, SM_DER_CONTEXT_0 = 0xA0
};
/* A bounded writer that keeps counting when the buffer is full: after a
   run of writes, len is the exact size the encoding needs, so one writer
   with cap 0 (out NULL) measures. The first error is latched in err
   (SM_ERR_NO_SPACE keeps counting; SM_ERR_PARAM and SM_ERR_UNSAFE_STRING
   stop everything). A constructed value is its header (tag, length of the
   content) followed by the content: the caller knows the content's size
   (sm_der_tlv_len(), or a measuring writer) before writing the header. */
typedef struct sm_der {
    uint8_t *p;
    size_t cap, len;
    int err;
} sm_der;
SECMODEM_API void sm_der_init(sm_der *d, uint8_t *out, size_t cap);
/* Size of a whole TLV whose content is content_len bytes (1 tag byte). */
SECMODEM_API size_t sm_der_tlv_len(size_t content_len);
/* Tag and definite length: short form below 128, else 0x81.. long form.
   SEQUENCE, SET and [0] are a header followed by their content. */
SECMODEM_API void sm_der_header(sm_der *d, uint8_t tag, size_t content_len);
/* Bytes as they are (pre-encoded parts). */
SECMODEM_API void sm_der_raw(sm_der *d, const uint8_t *data, size_t n);
/* INTEGER of the unsigned big-endian number be[0..n): leading zero bytes
   stripped, one 0x00 prefixed when the first byte left is >= 0x80 (so it
   stays positive); n 0 or all zeros encode 0 (02 01 00). */
SECMODEM_API void sm_der_integer(sm_der *d, const uint8_t *be, size_t n);
/* BIT STRING of whole bytes: 0 unused bits, then the data. */
SECMODEM_API void sm_der_bit_string(sm_der *d, const uint8_t *data, size_t n);
/* OBJECT IDENTIFIER from its content octets (e.g. 55 04 03 for 2.5.4.3). */
SECMODEM_API void sm_der_oid(sm_der *d, const uint8_t *content, size_t n);
/* A string type (SM_DER_UTF8_STRING, _PRINTABLE_STRING, _IA5_STRING) of
   s[0..n), as given: check it first (sm_dn_check() does for a subject). */
SECMODEM_API void sm_der_string(sm_der *d, uint8_t tag, const char *s, size_t n);
/* The latched status; *len (may be NULL) gets the bytes written, or the
   bytes needed after SM_ERR_NO_SPACE. */
SECMODEM_API int sm_der_finish(const sm_der *d, size_t *len);

/* ---- ECDSA signature ---- */

#define SM_ECDSA_DER_MAX 72 /* 30 46 02 21 00 <r> 02 21 00 <s> */
/* R || S (two 32-byte big-endian numbers, as Sign returns them, docs/atecc.md A-15)
   to the DER Ecdsa-Sig-Value SEQUENCE { INTEGER r, INTEGER s } (RFC 5480
   section 2.2 via RFC 3279 section 2.2.3) in out[cap]: SM_OK, or
   SM_ERR_NO_SPACE with *out_len the size needed; SM_ERR_PARAM on NULL. */
SECMODEM_API int sm_ecdsa_sig_to_der(const uint8_t rs[64], uint8_t *out, size_t cap,
                                     size_t *out_len);

/* ---- subject (an X.501 Name) ---- */

/* Attribute types; each value is the last arc of its OID 2.5.4.x. */
enum {
    SM_DN_CN = 3,             /* commonName: UTF8String, 1..64 characters */
    SM_DN_SERIAL_NUMBER = 5,  /* serialNumber: PrintableString, 1..64 */
    SM_DN_C = 6,              /* countryName: PrintableString, exactly 2 */
    SM_DN_L = 7,              /* localityName: UTF8String, 1..128 */
    SM_DN_ST = 8,             /* stateOrProvinceName: UTF8String, 1..128 */
    SM_DN_O = 10,             /* organizationName: UTF8String, 1..64 */
    SM_DN_OU = 11             /* organizationalUnitName: UTF8String, 1..64 */
};
typedef struct sm_dn_attr {
    uint8_t type;             /* SM_DN_* */
    const char *value;        /* NUL-terminated */
} sm_dn_attr;
/* Checks a subject of n (1..SM_CSR_SUBJECT_MAX) attributes, repeats
   allowed: SM_OK; SM_ERR_PARAM (NULL, n out of range, unknown type, too
   few or too many characters); SM_ERR_UNSAFE_STRING (malformed UTF-8, a
   control character, or a character PrintableString lacks). */
SECMODEM_API int sm_dn_check(const sm_dn_attr *subject, size_t n);
/* Writes the Name: SEQUENCE of one SET { SEQUENCE { OID, string } } per
   attribute, in the order given; checks it first (errors go to d->err). */
SECMODEM_API void sm_der_name(sm_der *d, const sm_dn_attr *subject, size_t n);

/* ---- the request, pure ---- */

enum { SM_CSR_DER = 0, SM_CSR_PEM = 1 }; /* output formats */
#define SM_PEM_LABEL_CSR "CERTIFICATE REQUEST"

/* The CertificationRequestInfo (the part that is hashed and signed) for
   public key X || Y, into out[cap]: SM_OK; SM_ERR_NO_SPACE with *out_len
   the exact size needed (out may be NULL to measure); sm_dn_check()'s
   errors; SM_ERR_PARAM for NULL pub or out_len. */
SECMODEM_API int sm_csr_tbs(const sm_dn_attr *subject, size_t n, const uint8_t pub[64], uint8_t *out,
                            size_t cap, size_t *out_len);
/* The CertificationRequest from a CertificationRequestInfo tbs[0..tbs_len)
   and the signature R || S over its SHA-256, into out[cap]. tbs may lie
   inside out (out itself, say): it is moved into place with memmove.
   SM_OK; SM_ERR_NO_SPACE with *out_len the exact size needed;
   SM_ERR_PARAM if tbs is not one DER SEQUENCE of tbs_len bytes. */
SECMODEM_API int sm_csr_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t sig[64],
                                 uint8_t *out, size_t cap, size_t *out_len);
/* PEM (RFC 7468): "-----BEGIN <label>-----", the Base64 of der in lines of
   64 characters, "-----END <label>-----", each line ending in "\n", then a
   NUL. der may be (const uint8_t *)out itself, converting in place;
   otherwise the two must not overlap. Label: 1..64 printable ASCII
   characters, not beginning or ending with ' ' or '-' (e.g.
   SM_PEM_LABEL_CSR). SM_OK with *out_len the length without the NUL;
   SM_ERR_NO_SPACE with *out_len the capacity needed (NUL included);
   SM_ERR_PARAM. */
SECMODEM_API int sm_pem_encode(const char *label, const uint8_t *der, size_t n, char *out, size_t cap,
                               size_t *out_len);
/* The capacity sm_csr_start() needs for this subject and format
   (SM_CSR_DER or SM_CSR_PEM, the PEM's NUL included): the size with the
   longest signature. SM_OK or sm_dn_check()'s errors. */
SECMODEM_API int sm_csr_size(const sm_dn_attr *subject, size_t n, unsigned format, size_t *cap);

/* ---- the request, signed by the chip (non-blocking) ---- */

/* One request being built. Treat the fields as private. */
typedef struct sm_csr {
    sm_atecc *se;
    const sm_dn_attr *subject;
    size_t nsubject;
    uint8_t *out;
    size_t cap;
    size_t len;              /* the tbs, then the result (or the capacity needed) */
    size_t hashed;           /* bytes of the tbs hashed so far */
    uint8_t slot, format, step;
    int result;
    union {                  /* one after the other, so they share the room */
        uint8_t pub[64];     /* until the tbs is built ... */
        sm_sha256_ctx sha;   /* ... then the hash of it ... */
        uint8_t sig[64];     /* ... then R || S from the chip */
    } u;
    uint8_t digest[32];
} sm_csr;
/* Begins a request for the key of slot (0..15) with this subject, in
   format SM_CSR_DER (bytes) or SM_CSR_PEM (NUL-terminated text), into
   out[cap]. The subject and out must stay valid, and the chip must be used
   by nothing else (sm_csr_poll() polls it), until the operation ends.
   SM_OK; SM_ERR_NO_SPACE (cap below sm_csr_size(); sm_csr_out_len() then
   gives that size); SM_ERR_BUSY (the chip runs another operation);
   sm_dn_check()'s errors; SM_ERR_PARAM. */
SECMODEM_API int sm_csr_start(sm_csr *op, sm_atecc *se, uint8_t slot, const sm_dn_attr *subject,
                              size_t n, unsigned format, void *out, size_t cap);
/* Advances the request and returns quickly: SM_ATECC_PENDING while it
   runs, then SM_OK or the chip's error (sm_atecc_poll()). Steps: public
   key, SM_CSR_HASH_CHUNK bytes of SHA-256 per call, sign, assemble (and
   PEM) in place. When idle it returns the last result. */
SECMODEM_API int sm_csr_poll(sm_csr *op);
/* After SM_OK: the length of the request (PEM: without its NUL). After
   SM_ERR_NO_SPACE from sm_csr_start(): the capacity needed. */
SECMODEM_API size_t sm_csr_out_len(const sm_csr *op);
/* Blocking helper for simple programs and tests: start, then poll until
   the end (bounded by the chip's deadlines and the request's size).
   *out_len (may be NULL) as sm_csr_out_len(). */
SECMODEM_API int sm_csr_run_blocking(sm_atecc *se, uint8_t slot, const sm_dn_attr *subject, size_t n,
                                     unsigned format, void *out, size_t cap, size_t *out_len);
#endif /* !SM_NO_ATECC && !SM_NO_CSR */

#if !defined(SM_NO_SEQUANS) && !defined(SM_NO_ATECC)
/* ==========================================================================
   12. GLUE: HOST SIGNING (declarations)
   Mutual TLS where the device's private key exists only inside the
   ATECC608: the Sequans modem (section 6) does the TLS, and when its
   handshake needs the client's signature it asks the host
   (SM_SQN_EV_HCE_SIGN, from +SQNHCESIGN); sm_hce answers every such
   request with the chip (section 8): it signs the 32-byte digest with the
   chip's key slot the application chose (sm_hce_set_key_slot, 0 by
   default: the slot Microchip's driver signs with; the request's other
   fields are not read, as in that driver: docs/sequans.md) and sends
   AT+SQNHCESIGN=<ctx>,0,64,"<r || s>". The chip works while the modem and
   everything else keep running: nothing here blocks. No private key is
   ever written to the modem.

       static sm_sqn m;  static sm_atecc se;  static sm_hce hce;
       static void on_event(void *app, sm_sqn *m, const sm_event *ev) {
           if (sm_hce_on_event(&hce, ev)) return;   // a signing request: taken
           ...                                       // the application's events
       }
       sm_sqn_init(&m, &plat, on_event, app);
       sm_atecc_init(&se, &plat, SM_ATECC_ADDR_DEFAULT);
       sm_hce_init(&hce, &m, &se, on_hce_event, app); // on_hce_event may be NULL
       // profile: t.cert_slot = <device certificate in NVM>, t.key_slot = 0
       // (the ATECC608 slot), t.key_in_host = 1; then MQTT as usual
       for (;;) { sm_sqn_poll(&m); sm_hce_poll(&hce); other_work(); }

   The application forwards every sm_sqn event to sm_hce_on_event() (it
   also needs RESTARTED) and calls sm_hce_poll() from its main loop. A
   request is served in turn: Sign (Random, Nonce, Sign; tens of ms on the
   chip, polled), then the answer command. The answer is a failure status,
   AT+SQNHCESIGN=<ctx>,1,0,"" (SM_SQN_HCE_FAILED; its form is this
   library's reading, docs/sequans.md), when the chip fails (any SM_ERR_* of
   sm_atecc_poll()) or when the request's digest could not be read
   (SM_SQN_EV_HCE_INVALID with a context): the modem then ends the
   handshake at once (TLS error) instead of waiting out its limit. An
   HCE_INVALID without a readable context cannot be answered: it is
   reported as DROPPED with SM_ERR_PARSE. Requests that come while one is served wait (SM_HCE_QUEUE of
   them; a request with the same context id as a waiting one replaces it;
   when full, the oldest waiting one is dropped); retries and several
   connections in a row are each answered once. A modem restart drops what
   waits. The chip must not be given other work while sm_hce_busy(): a chip
   that is busy with something else when a request comes (SM_ERR_BUSY) only
   delays the signature until it is free.
   ========================================================================== */
#ifndef SM_HCE_QUEUE
#define SM_HCE_QUEUE 2
#endif
#if SM_HCE_QUEUE < 1 || SM_HCE_QUEUE > 8
#error "SM_HCE_QUEUE must be 1..8"
#endif
#if SM_QUEUE_TEXT < SM_SQN_HCE_CMD_LEN
#error "host signing: the AT+SQNHCESIGN answer needs SM_QUEUE_TEXT >= 155 (or define SM_NO_SEQUANS or SM_NO_ATECC)"
#endif

/* What sm_hce reports (its event callback). */
/* What sm_hce reports: one list (an X-macro) makes the enum, from 1, and the
   names sm_hce_event_name() returns. */
#define SM_HCE_EVENT_LIST(X) \
    X(ANSWERED) /* a request was answered: sign SM_OK (with the signature) or            \
                   why not (the answer was the failure status); status: how              \
                   the modem took the answer command */                                  \
    X(DROPPED)  /* a request was dropped unanswered; status: SM_ERR_REBOOT (the          \
                   modem restarted), SM_ERR_NO_SPACE (the queue was full: the            \
                   oldest waiting one goes), SM_ERR_CANCELLED (a new request             \
                   with the same context replaced it), SM_ERR_PARSE (a request           \
                   whose context could not be read) */
#define SM_HCE_EV_ENUM_(name) SM_HCE_EV_##name,
typedef enum sm_hce_event_type {
    SM_HCE_EV_NONE = 0, /* never reported (a zeroed event) */
    SM_HCE_EVENT_LIST(SM_HCE_EV_ENUM_)
    SM_HCE_EV_COUNT_    /* implementation: one past the last */
} sm_hce_event_type;

typedef struct sm_hce_event {
    sm_hce_event_type type;
    uint16_t ctx;       /* the request's context id */
    uint8_t key;        /* the chip slot that signed (or would have) */
    int sign;           /* ANSWERED: SM_OK (signed), else SM_ERR_PARSE (the request had no
                           usable digest) or the chip's error (sm_atecc_poll()) */
    int status;         /* ANSWERED: SM_OK (the modem said OK), SM_ERR_MODEM (it no longer
                           waited: +CME ERROR: 3, see code), SM_ERR_TIMEOUT, SM_ERR_REBOOT...;
                           DROPPED: the reason above */
    int32_t code;        /* the +CME ERROR number of the answer command, or SM_AT_NO_CODE */
} sm_hce_event;

struct sm_hce;
typedef void (*sm_hce_event_fn)(void *ctx, struct sm_hce *h, const sm_hce_event *ev);

/* Counters since sm_hce_init(). */
typedef struct sm_hce_stats {
    uint32_t requests;     /* signing requests taken */
    uint32_t signatures;   /* answered with a signature */
    uint32_t failures;     /* answered with the failure status */
    uint32_t dropped;      /* dropped unanswered */
    uint32_t reply_errors; /* answer commands the modem did not take with OK */
} sm_hce_stats;

/* A request (private). */
typedef struct sm_hce_req {
    uint8_t digest[32];
    uint16_t ctx;
    uint8_t key;
    uint8_t invalid;  /* no usable digest: answered with the failure status */
} sm_hce_req;

/* The glue. Put it anywhere (static, inside your object); initialise with
   sm_hce_init(). Treat the fields as private. */
typedef struct sm_hce {
    sm_sqn *m;
    sm_atecc *se;
    sm_hce_event_fn on_event;
    void *event_ctx;
    sm_hce_req wait[SM_HCE_QUEUE]; /* requests not started yet, oldest first */
    sm_hce_req cur;                /* the request being served */
    uint8_t nwait;
    uint8_t phase;                 /* implementation: SM_HCE_P_* */
    uint8_t stale;                 /* cur is from before a restart: never answered */
    uint8_t in_poll;
    uint8_t key_slot;              /* the chip slot that signs (sm_hce_set_key_slot) */
    int sign;                      /* the chip's result for cur */
    uint8_t sig[64];               /* r || s from the chip */
    sm_hce_stats stats;
} sm_hce;

/* Binds a Sequans modem and an ATECC608, both initialised, and registers
   the modem's host-signing feature (sm_sqn_use_hce): +SQNHCESIGN becomes
   an event. on_event (may be NULL) gets ANSWERED and DROPPED. SM_OK,
   SM_ERR_PARAM, SM_ERR_STATE (m not initialised). */
SECMODEM_API int sm_hce_init(sm_hce *h, sm_sqn *m, sm_atecc *se, sm_hce_event_fn on_event, void *ctx);
/* The chip slot (0..15) whose private key signs every request from now on;
   0 after sm_hce_init. SM_OK or SM_ERR_PARAM. */
SECMODEM_API int sm_hce_set_key_slot(sm_hce *h, uint8_t slot);
/* Give it every sm_sqn event (from the sm_sqn event callback): returns 1
   if it was a signing request (taken; the application need not act on
   it), else 0 (RESTARTED is seen and passed on: returns 0). */
SECMODEM_API int sm_hce_on_event(sm_hce *h, const sm_event *ev);
/* Advances the request being served (chip polls, the answer command) and
   starts the next; returns at once. Call it from the main loop, next to
   sm_sqn_poll(). SM_OK, SM_ERR_PARAM, SM_ERR_BUSY (called from its own
   event callback). */
SECMODEM_API int sm_hce_poll(sm_hce *h);
/* 1 while a request waits or is being served. */
SECMODEM_API int sm_hce_busy(const sm_hce *h);
SECMODEM_API const sm_hce_stats *sm_hce_get_stats(const sm_hce *h);
SECMODEM_API const char *sm_hce_event_name(sm_hce_event_type t);
#endif /* !SM_NO_SEQUANS && !SM_NO_ATECC */

#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR) && !defined(SM_NO_CERTS)
/* ==========================================================================
   13. GLUE: COMPRESSED CERTIFICATES (declarations)
   A pre-provisioned ATECC608 (Microchip Trust&GO, TrustFLEX; the chip of
   the AVR-IoT Cellular Mini) ships with its device certificate and the
   certificate of the CA that signed it (the "signer") in *compressed*
   form: 72 bytes per certificate, the parts that differ from one chip to
   the next. A *certificate definition* (sm_cert_def) is everything the
   members of one certificate family share: a template certificate (DER)
   and where each variable element sits in it. From the definition, the
   72 bytes and the subject's public key, sm_cert_rebuild() writes the
   X.509 certificate byte for byte as the CA signed it; sm_cert_start() and
   sm_cert_poll() read what is needed from the chip first (non-blocking).
   python3 -m sim.chips.certdef makes a definition from one certificate of the family
   (e.g. from a provisioning manifest) and the compressed form of any
   certificate of that family.

       static sm_cert_op op;                      // 224 bytes on Cortex-M
       static char pem[1024];
       rc = sm_cert_start(&op, &se, &my_signer_def, NULL, SM_CERT_PEM, pem, sizeof pem);
       while (rc == SM_OK && (rc = sm_cert_poll(&op)) == SM_ATECC_PENDING) other_work();
       // then the device certificate, whose authority key identifier is
       // the signer's key just read: sm_cert_subject_key(&op)
       memcpy(signer_pub, sm_cert_subject_key(&op), 64);
       rc = sm_cert_start(&op, &se, &my_device_def, signer_pub, SM_CERT_PEM, pem, sizeof pem);

   Sources: the application note "ATECC Compressed Certificate Definition"
   (Atmel-8974), the ATECC608A-TNGTLS data sheet's "Certificate Storage"
   (device key slot 0, compressed device certificate slot 10, signer public
   key slot 11, compressed signer certificate slot 12), and cryptoauthlib's
   certificate code as the reference of behaviour (docs/atecc.md A-24).
   The compressed certificate, byte by byte:
     0..63  the signature R || S (32 bytes each, big-endian)
     64..66 the encoded dates, 24 bits from the top: issue year - 2000 (5),
            month 1..12 (4), day 1..31 (5), hour 0..23 (5), years of
            validity (5); 0 years: no expiry, 9999-12-31 23:59:59
            (GeneralizedTime; 2049-12-31 23:59:59 in a UTCTime field).
            Issue minutes and seconds are 0; the expiry is the issue date
            and hour that many years later.
     67..68 the signer id (in the certificate: 4 upper-case hex digits)
     69     template id (high 4 bits), chain id (low 4 bits)
     70     serial-number source (high 4 bits), format version (low 4):
            0, or 1 for extended dates (issue year up to 2127, validity up
            to 127 years: their top 2 bits each in byte 71's bits 7..6 and
            5..4). Version 2 (larger curves) is refused.
     71     reserved (version 1: the extended date bits)
   The serial number, from the source (SM_CERT_SN_*): stored in a slot; 0x40
   and the 9-byte chip serial; 0x40 and the signer id; or the first bytes
   of SHA-256(public key X || Y, or the chip serial, || bytes 64..66 [||
   byte 71 & 0xF0 in version 1]), with bit 7 cleared and bit 6 set (the
   _POS sources only clear bit 7, the _RAW ones leave the hash as it is).
   Not supported (refused by sm_cert_def_check): source 0x7 (a stored
   serial whose length changes the certificate's), certificates that are
   not X.509 with ECDSA P-256, cryptoauthlib's extra elements with
   transforms other than the chip serial in hex (sn_hex).
   Key identifiers: SHA-1 of 04 || X || Y (RFC 5280 section 4.2.1.2,
   method 1). The signature is re-encoded as DER (its length varies with
   R and S), and the certificate's outer length with it.
   Errors: SM_ERR_PARAM for a definition that does not fit its template (or
   NULL arguments), SM_ERR_PARSE for chip data the definition cannot
   express (wrong template, chain or serial-number source, unknown format
   version, impossible dates), SM_ERR_NO_SPACE for a small buffer; the
   `why` code (SM_CERT_E_*, sm_cert_why_name()) says which check failed.
   ========================================================================== */

#define SM_CERT_COMP_LEN 72
#define SM_PEM_LABEL_CERT "CERTIFICATE"

/* Date formats of the issue and expiry fields (the template's tag). */
enum {
    SM_CERT_DATE_UTC = 0,     /* UTCTime YYMMDDhhmmssZ, 13 bytes (years 1950..2049) */
    SM_CERT_DATE_GEN = 1      /* GeneralizedTime YYYYMMDDhhmmssZ, 15 bytes */
};
/* Serial-number sources (byte 70, high 4 bits). */
enum {
    SM_CERT_SN_STORED = 0x0,          /* sn.count bytes at the start of slot sn_slot */
    SM_CERT_SN_DEVICE_SN = 0x8,       /* 0x40 || chip serial (sn.count 10) */
    SM_CERT_SN_SIGNER_ID = 0x9,       /* 0x40 || signer id (sn.count 3) */
    SM_CERT_SN_PUBKEY_HASH = 0xA,     /* SHA-256(key || dates), 01xxxxxx (1..32 bytes) */
    SM_CERT_SN_DEVICE_SN_HASH = 0xB,  /* SHA-256(chip serial || dates), 01xxxxxx */
    SM_CERT_SN_PUBKEY_HASH_POS = 0xC, /* ... bit 7 cleared only (deprecated by Microchip) */
    SM_CERT_SN_DEVICE_SN_HASH_POS = 0xD,
    SM_CERT_SN_PUBKEY_HASH_RAW = 0xE, /* ... the hash as it is (deprecated by Microchip) */
    SM_CERT_SN_DEVICE_SN_HASH_RAW = 0xF
};
/* Where the subject's public key comes from on the chip. */
enum {
    SM_CERT_PUB_GENKEY = 0,   /* GenKey of the private key in pub_slot (a device key) */
    SM_CERT_PUB_SLOT = 1      /* a stored key in pub_slot: 72 bytes, 4 zero bytes before X and Y */
};
enum { SM_CERT_DER = 0, SM_CERT_PEM = 1 }; /* output formats */

/* Which check failed (the `why` of sm_cert_rebuild, sm_cert_why()): one
   list (an X-macro) makes the constants, from 0, and the texts
   sm_cert_why_name() returns. X(name, text) */
#define SM_CERT_WHY_LIST(X) \
    X(NONE,       "none")                                                                        \
    X(DEF,        "the definition does not fit its template")                                   \
    X(INPUT,      "an input the definition needs is missing")                                   \
    X(VERSION,    "unknown compressed-certificate format version") /* not 0 or 1 */             \
    X(TEMPLATE,   "template or chain id is not the definition's")                               \
    X(SN_SOURCE,  "serial-number source is not the definition's")                               \
    X(DATE,       "a date that does not exist")               /* a month, day or hour */        \
    X(DATE_RANGE, "a date the certificate's field cannot hold") /* the template's field */      \
    X(SPACE,      "buffer too small")                          /* the output buffer */
#define SM_CERT_E_ENUM_(name, text) SM_CERT_E_##name,
enum {
    SM_CERT_WHY_LIST(SM_CERT_E_ENUM_)
    SM_CERT_E_COUNT_ /* implementation: one past the last */
};

/* A part of the template: offset and byte count; count 0 = absent. */
typedef struct sm_cert_loc {
    uint16_t offset, count;
} sm_cert_loc;

/* A certificate family. Plain data: write it as a constant initialiser
   (python3 -m sim.chips.certdef prints one). Checked by sm_cert_def_check(). */
typedef struct sm_cert_def {
    const uint8_t *tmpl;      /* a DER certificate of the family */
    uint16_t tmpl_len;
    uint8_t template_id;      /* 0..15, must match byte 69 */
    uint8_t chain_id;         /* 0..15, must match byte 69 */
    uint8_t sn_source;        /* SM_CERT_SN_*, must match byte 70 */
    uint8_t issue_format;     /* SM_CERT_DATE_* */
    uint8_t expire_format;    /* SM_CERT_DATE_* */
    uint8_t comp_slot;        /* the compressed certificate's slot (72 bytes) */
    uint8_t pub_slot;         /* the public key's slot ... */
    uint8_t pub_source;       /* ... and how to get it: SM_CERT_PUB_* */
    uint8_t sn_slot;          /* SM_CERT_SN_STORED: the slot holding the serial */
    /* Where each element sits (offsets into tmpl). Each is checked against
       the DER around it: sn the content of the serialNumber INTEGER
       (1..32 bytes); issue and expire the content of a UTCTime (13) or
       GeneralizedTime (15); signer_id 4 hex digits; pub X || Y (64) after
       the 04 of the subjectPublicKey; sig (count 64) the signatureValue
       BIT STRING, tag included, that ends the certificate; subj_key_id
       and auth_key_id the 20-byte key identifiers (OCTET STRING 04 14 and
       [0] 80 14); sn_hex 18 hex digits of the chip serial (as in a
       Trust&GO device certificate's common name). */
    sm_cert_loc sn, issue, expire, signer_id, pub, sig, subj_key_id, auth_key_id, sn_hex;
} sm_cert_def;

/* What sm_cert_rebuild() works from (the chip operation fills it itself). */
typedef struct sm_cert_inputs {
    const uint8_t *comp;        /* the 72-byte compressed certificate */
    const uint8_t *pub;         /* the subject's public key X || Y (64 bytes) */
    const uint8_t *signer_pub;  /* the issuer's public key X || Y for the authority
                                   key identifier; NULL leaves the template's */
    const uint8_t *device_sn;   /* the 9-byte chip serial: for the DEVICE_SN
                                   sources and sn_hex, else may be NULL */
    const uint8_t *stored_sn;   /* SM_CERT_SN_STORED: def->sn.count bytes */
} sm_cert_inputs;

/* ---- SHA-1 (FIPS 180-4), for key identifiers only ---- */
SECMODEM_API void sm_sha1(const uint8_t *data, size_t n, uint8_t digest[20]);

/* ---- pure functions ---- */

/* SM_OK if the definition fits its template (see sm_cert_def), else
   SM_ERR_PARAM. */
SECMODEM_API int sm_cert_def_check(const sm_cert_def *def);
/* The capacity sm_cert_rebuild() / sm_cert_start() need with the longest
   signature: SM_OK or SM_ERR_PARAM (bad definition or format). */
SECMODEM_API int sm_cert_size(const sm_cert_def *def, unsigned format, size_t *cap);
/* Decodes the dates of a compressed certificate: issue and expire get
   year, month, day, hour, minute, second. SM_OK, or SM_ERR_PARSE (version,
   impossible date; *why, may be NULL, says which). */
SECMODEM_API int sm_cert_dates(const uint8_t comp[SM_CERT_COMP_LEN], uint16_t issue[6], uint16_t expire[6],
                               int *why);
/* Rebuilds the DER certificate into out[cap], which must not overlap the
   template or the inputs. SM_OK with *out_len its length; SM_ERR_NO_SPACE
   with *out_len the capacity that suffices; SM_ERR_PARAM, SM_ERR_PARSE
   (see above); nothing is written unless it succeeds. *why (may be NULL):
   SM_CERT_E_*. */
SECMODEM_API int sm_cert_rebuild(const sm_cert_def *def, const sm_cert_inputs *in, uint8_t *out,
                                 size_t cap, size_t *out_len, int *why);
SECMODEM_API const char *sm_cert_why_name(int why);

/* ---- from the chip (non-blocking) ---- */

/* One rebuild in progress. Treat the fields as private. */
typedef struct sm_cert_op {
    sm_atecc *se;
    const sm_cert_def *def;
    const uint8_t *signer_pub;
    uint8_t *out;
    size_t cap, len;
    uint8_t format, step, part;
    int result, why;
    uint8_t comp[SM_CERT_COMP_LEN];
    uint8_t key[72];          /* the slot's padded form, then X || Y */
    uint8_t sn[9];            /* the chip serial, when needed */
    uint8_t stored[32];       /* SM_CERT_SN_STORED: block 0 of sn_slot */
} sm_cert_op;
/* Begins: reads the compressed certificate (comp_slot), the public key
   (pub_slot: GenKey or a stored key), the chip serial if the definition
   needs it, the stored serial for SM_CERT_SN_STORED, then rebuilds in
   format SM_CERT_DER or SM_CERT_PEM (NUL-terminated) into out[cap].
   signer_pub (64 bytes, may be NULL) as in sm_cert_inputs; it, def and out
   must stay valid, and the chip be used by nothing else, until the end.
   SM_OK; SM_ERR_NO_SPACE (cap below sm_cert_size()); SM_ERR_BUSY;
   SM_ERR_PARAM (bad definition: sm_cert_why() says so). */
SECMODEM_API int sm_cert_start(sm_cert_op *op, sm_atecc *se, const sm_cert_def *def,
                               const uint8_t *signer_pub, unsigned format, void *out, size_t cap);
/* Advances it and returns quickly: SM_ATECC_PENDING, then SM_OK, the
   chip's error (sm_atecc_poll()) or sm_cert_rebuild()'s. */
SECMODEM_API int sm_cert_poll(sm_cert_op *op);
/* After SM_OK: the length written (PEM: without the NUL). */
SECMODEM_API size_t sm_cert_out_len(const sm_cert_op *op);
/* After SM_OK: the subject public key read from the chip (X || Y), e.g.
   the signer's, for the device certificate's authority key identifier. */
SECMODEM_API const uint8_t *sm_cert_subject_key(const sm_cert_op *op);
/* SM_CERT_E_* of the last failure. */
SECMODEM_API int sm_cert_why(const sm_cert_op *op);
/* Blocking helper for simple programs and tests: sm_cert_start(), then
   sm_cert_poll() until done; op is the caller's (224 bytes on Cortex-M: on
   this helper's stack it would take the deepest call over 512 bytes), and
   sm_cert_out_len(op), sm_cert_subject_key(op) and sm_cert_why(op) read the
   outcome as after sm_cert_poll(). */
SECMODEM_API int sm_cert_run_blocking(sm_cert_op *op, sm_atecc *se, const sm_cert_def *def,
                                      const uint8_t *signer_pub, unsigned format, void *out,
                                      size_t cap);
#endif /* !SM_NO_ATECC && !SM_NO_CSR && !SM_NO_CERTS */

#if !defined(SM_NO_SEQUANS) && !defined(SM_NO_MQTT) && !defined(SM_NO_MQTT_SESSION)
/* ==========================================================================
   14. GLUE: A SEQUANS SOCKET AS THE MQTT SESSION'S TRANSPORT (declarations)
   The session (section 10) knows only sm_mqtt_transport; the Sequans
   section (6) only its socket stream, sm_sqn_stream. This fills a transport
   from a stream: MQTT over the modem's own TLS socket, on the clock of the
   modem's engine.
       sm_sqn_stream_init(&st, &m, 1);  // socket 1 dialled to the broker
       sm_mqtt_transport_sqn(&t, &st);
       sm_mqtt_init(&c, &t, on_result, on_message, app);
   The loop polls both: sm_sqn_poll(&m); sm_mqtt_poll(&c). The session's
   packets are queued on the stream and go out as one AT+SQNSSENDEXT when
   the session has handed over all it can (the transport's flush).
   ========================================================================== */
SECMODEM_API void sm_mqtt_transport_sqn(sm_mqtt_transport *t, sm_sqn_stream *s);
#endif /* !SM_NO_SEQUANS && !SM_NO_MQTT && !SM_NO_MQTT_SESSION */

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
   3. PLATFORM INTERFACE (implementation): the clock (see sm_clock)
   ========================================================================== */
SM_PRIV uint32_t sm_clock_start(sm_clock *k, uint32_t raw)
{
    k->raw = raw;
    k->now = raw; /* counted time equals the platform's while it runs forward */
    return raw;
}

/* The counted time at the platform reading raw: what passed since the last
   reading, where a step back (or 2^31 ms or more) passed nothing. */
SM_PRIV uint32_t sm_clock_read(sm_clock *k, uint32_t raw)
{
    uint32_t d = raw - k->raw;
    k->raw = raw;
    if (d < 0x80000000u) k->now += d;
    return k->now;
}

/* ==========================================================================
   4. UTILITIES (implementation)
   ========================================================================== */
/* Keeps a rarely-taken branch, or a big local, in a frame of its own, so that
   it is not on the stack of every path through its caller (issue 21: the
   worst-case stack of each public call). Only a hint: without GNU C the
   compiler decides. */
#ifndef SM_NOINLINE
#if defined(__GNUC__) || defined(__clang__)
#define SM_NOINLINE __attribute__((noinline))
#else
#define SM_NOINLINE
#endif
#endif

SECMODEM_API const char *sm_strerror(int status)
{
#define SM_STATUS_CASE_(name, value, text) case SM_##name: return text;
    switch (status) {
    SM_STATUS_LIST(SM_STATUS_CASE_)
#ifndef SM_NO_ATECC
    SM_STATUS_CHIP_LIST(SM_STATUS_CASE_)
#endif
    default: return "unknown status";
    }
#undef SM_STATUS_CASE_
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
   NUL, ESC, Ctrl-Z which ends SMS-style payloads...), DEL, '"' and '\\'
   (an escape on some firmware); ',' ' ' ';' where the caller says so. */
SM_PRIV int sm_byte_unsafe(uint8_t c, unsigned flags)
{
    if (c < 0x20u || c == 0x7Fu) return 1;
    if (c == '"' && !(flags & SM_STR_ALLOW_QUOTE)) return 1;
    if (c == '\\' && !(flags & SM_STR_ALLOW_BACKSLASH)) return 1;
    if (c == ',' && (flags & SM_STR_NO_COMMA)) return 1;
    if (c == ' ' && (flags & SM_STR_NO_SPACE)) return 1;
    if (c == ';' && (flags & SM_STR_NO_SEMICOLON)) return 1;
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

/* A buffer that only counts: what would fit cap (> 0) bytes, NUL
   included, without writing; for checking that a text can be built. */
SM_PRIV void sm_buf_measure(sm_buf *b, size_t cap)
{
    b->p = NULL;
    b->cap = cap;
    b->len = 0;
    b->err = SM_OK;
}

SECMODEM_API void sm_buf_mem(sm_buf *b, const char *s, size_t n)
{
    if (b->err) return;
    if (n >= b->cap - b->len) { b->err = SM_ERR_NO_SPACE; return; } /* keep room for NUL */
    if (b->p) {
        memcpy(b->p + b->len, s, n);
        b->p[b->len + n] = '\0';
    }
    b->len += n;
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
    /* outside quotes a ';' always starts another V.250 command */
    rc = sm_check_str(s, maxlen, flags | (unsigned)SM_STR_NO_SEMICOLON);
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
    if (!f) return SM_ERR_PARAM;
    if (!line) { /* nothing to read: fields that all fail */
        f->p = f->end = "";
        f->done = 1;
        return SM_ERR_PARAM;
    }
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
   5.1 AT ENGINE: QUEUE AND TRANSMIT SIDE
   The head of the queue is the command on the wire. Its life:
   IDLE -> TX_TEXT (text, inline payload, terminator) -> WAIT_PROMPT ->
   TX_PAYLOAD -> WAIT_FINAL -> completion. Writes are non-blocking: the
   platform takes what it can and the rest goes out on the next poll.
   A deadline that interrupts a counted payload the modem may be waiting
   for (TX_TEXT inside an inline payload, WAIT_PROMPT, TX_PAYLOAD) passes
   through TX_OWED first: the payload's real bytes are written, then the
   command ends (see sm_at_owe).
   ========================================================================== */
enum {
    SM_PH_IDLE = 0,    /* nothing on the wire */
    SM_PH_TX_TEXT,     /* writing text + inline payload + terminator */
    SM_PH_WAIT_PROMPT, /* waiting for "> " */
    SM_PH_TX_PAYLOAD,  /* writing the payload after the prompt */
    SM_PH_WAIT_FINAL,  /* waiting for the final result */
    SM_PH_TX_OWED      /* timed out: writing the payload's real bytes, then ends */
};

/* defined below, used by the transmit side */
SM_PRIV void sm_at_line_byte(sm_at *at, uint8_t b);
SM_PRIV int sm_at_abandon_drain(sm_at *at);

/* The reads by raw_lead (headerless payloads), called through this table
   only: the receive path names none of them, so a program that never calls
   sm_at_use_headerless() links none of them (--gc-sections). The lead's
   own matching (sm_at_lead_byte) is small and stays a direct call, in line
   in the receive path's frame. */
typedef struct sm_at_headerless {
    void (*check)(sm_at *at);                    /* sm_at_lead_check: the count read */
    void (*lv_byte)(sm_at *at, uint8_t b);      /* sm_at_lv_byte: a byte after it */
    int (*error)(sm_at *at, const char *more, size_t more_len); /* sm_at_lead_error */
    int (*error_quiet)(sm_at *at, uint32_t now);                 /* sm_at_lead_error_quiet */
} sm_at_headerless;

/* Wrap-safe "now is at or after t". */
SM_PRIV int sm_time_reached(uint32_t now, uint32_t t) { return (int32_t)(now - t) >= 0; }

/* The engine's time, as its clock counts it (see sm_clock): every deadline
   of the engine and of the dialects over it is on this. now_ms is required
   by sm_at_init(); the check keeps a zeroed (never initialised) engine from
   calling through NULL. */
SM_PRIV uint32_t sm_at_now(sm_at *at)
{
    return at->plat.now_ms ? sm_clock_read(&at->clock, at->plat.now_ms(at->plat.user)) : 0u;
}

SM_PRIV void sm_at_trace(sm_at *at, int dir, const char *text, size_t len)
{
    if (at->plat.trace) at->plat.trace(at->plat.user, dir, text, len);
}

/* Set by sm_at_init(): "SMAT". A zeroed (never initialised) engine lacks it. */
#define SM_AT_INIT_MARK 0x534D4154u
SM_PRIV int sm_at_ready(const sm_at *at) { return at && at->init_mark == SM_AT_INIT_MARK; }
/* 1 inside a callback of this (initialised) engine: re-initialising it
   there would wipe the guard the callback's caller restores on return.
   Called by the init functions on a struct that may hold anything (a local
   not yet initialised): the volatile reads keep compilers from treating
   that as a use of an uninitialised value; a stray match needs both the
   32-bit marker and a non-zero guard byte. */
SM_PRIV int sm_at_in_own_callback(const sm_at *at)
{
    const volatile uint32_t *mark = &at->init_mark;
    const volatile uint8_t *guard = &at->in_callback;
    return *mark == SM_AT_INIT_MARK && *guard != 0u; /* NOLINT: may be garbage, on purpose */
}

SECMODEM_API int sm_at_init(sm_at *at, const sm_platform *plat, const sm_at_dialect *dialect)
{
    if (!at || !plat || !plat->write || !plat->now_ms) return SM_ERR_PARAM;
    if (sm_at_in_own_callback(at)) return SM_ERR_BUSY;
    memset(at, 0, sizeof *at);
    at->init_mark = SM_AT_INIT_MARK;
    at->plat = *plat;
    at->dialect = dialect ? dialect : sm_at_dialect_3gpp();
    at->next_id = 1;
    at->last_rx_ms = sm_clock_start(&at->clock, plat->now_ms(plat->user));
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

/* A command that reads raw bytes the line parser must find needs that code
   turned on first (sm_at_use_headerless, sm_at_use_inline_raw). */
SM_PRIV int sm_at_check_uses(const sm_at *at, const sm_at_cmd *c)
{
    if (c->raw_len && !at->headerless) return SM_ERR_STATE;
    if ((c->flags & SM_AT_F_RAW_AFTER(15)) && !at->inline_comma) return SM_ERR_STATE;
    return SM_OK;
}

SECMODEM_API int sm_at_submit(sm_at *at, const sm_at_cmd *cmd)
{
    sm_at_entry *e;
    size_t len;
    int rc;
    if (!at) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    rc = sm_at_check_cmd(cmd);
    if (rc) return rc;
    rc = sm_at_check_uses(at, cmd);
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
    /* memmove: the text may have been built in place (sm_at_text_space) */
    memmove(at->q_text + at->q_text_len, cmd->text, len);
    at->q_text_len = (uint16_t)(at->q_text_len + len);
    at->q_count++;
    return (int)e->id;
}

SECMODEM_API int sm_at_submit_all(sm_at *at, const sm_at_cmd *cmds, size_t n)
{
    size_t i, text = 0;
    int rc = SM_ERR_PARAM;
    if (!at) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    if (!cmds || !n || n > (size_t)SM_QUEUE_DEPTH) return SM_ERR_PARAM;
    for (i = 0; i < n; i++) {
        rc = sm_at_check_cmd(&cmds[i]);
        if (rc) return rc;
        rc = sm_at_check_uses(at, &cmds[i]);
        if (rc) return rc;
        text += strlen(cmds[i].text);
    }
    if (text > (size_t)SM_QUEUE_TEXT) return SM_ERR_PARAM; /* never fits */
    if ((size_t)at->q_count + n > (size_t)SM_QUEUE_DEPTH ||
        text > (size_t)(SM_QUEUE_TEXT - at->q_text_len))
        return SM_ERR_QUEUE_FULL;
    for (i = 0; i < n; i++) {
        rc = sm_at_submit(at, &cmds[i]);
        SM_ASSERT(rc > 0); /* everything was checked above */
    }
    return rc;
}

SECMODEM_API char *sm_at_text_space(sm_at *at, size_t *cap)
{
    if (!sm_at_ready(at) || !cap) return NULL;
    *cap = (size_t)(SM_QUEUE_TEXT - at->q_text_len) + 1u;
    return at->q_text + at->q_text_len;
}

/* The one verdict of every dialect on a command text built in the queue's
   free space (sm_at_text_space) into b, with b's room the free space or,
   when that is more, limit (the most one command may have, its NUL
   included). rc SM_ERR_NO_SPACE is SM_ERR_QUEUE_FULL when the free space
   was the limit (the text fits once the queue drains: try again after a
   poll), else SM_ERR_PARAM (too long at all). A b that only measures (no
   memory, room limit) says SM_ERR_PARAM. */
SM_PRIV int sm_at_text_verdict(const sm_buf *b, int rc, size_t limit)
{
    if (rc != SM_ERR_NO_SPACE) return rc;
    return b->p && b->cap < limit ? SM_ERR_QUEUE_FULL : SM_ERR_PARAM;
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
/* The echo setting a V.250 basic command line leaves: 1 for E1, 0 for E0
   or a bare E (a missing value is 0), -1 if it has no E command. Only the
   basic part (before any '+' extended command) is scanned: "ATE0V1",
   "ATV1E0", "ATE0&W". */
SM_PRIV int sm_at_echo_setting(const char *t, size_t n)
{
    size_t i;
    int setting = -1;
    if (n < 3 || (t[0] != 'A' && t[0] != 'a') || (t[1] != 'T' && t[1] != 't')) return -1;
    for (i = 2; i < n && t[i] != '+' && t[i] != '^' && t[i] != '%' && t[i] != '$'; i++) {
        if ((t[i] != 'E' && t[i] != 'e') || t[i - 1] == '&' || t[i - 1] == '\\') continue;
        setting = (i + 1 < n && t[i + 1] == '1') ? 1 : 0;
    }
    return setting;
}

/* With echo on, a final result that arrives before the command's echo is
   the late answer of an earlier command: learning whether the modem echoes
   lets the engine drop such answers. Unknown after a restart; kept after a
   timeout only if that command did echo (else the echo may never match,
   and forgetting heals it). */
SM_PRIV void sm_at_learn_echo(sm_at *at, sm_at_result result)
{
    int setting;
    if (result == SM_AT_CANCELLED) return;
    if (result == SM_AT_TIMEOUT) {
        at->echo_mode = (uint8_t)(at->echo_mode && at->echo_seen);
        return;
    }
    if (result == SM_AT_REBOOT || result == SM_AT_IO_ERROR) {
        at->echo_mode = 0;
        return;
    }
    at->echo_mode = at->echo_seen;
    setting = sm_at_echo_setting(at->q_text, at->q[0].text_len);
    if (result == SM_AT_OK && setting >= 0) at->echo_mode = (uint8_t)setting;
}

/* A command interrupted on the wire (timeout, flush) must not leave the
   modem in the middle of a line or of a counted payload: the next command
   would be taken as its continuation (a PIN sent as socket data; a GM02SP
   waits at its prompt with no timeout of its own and publishes whatever
   bytes meet the count, see docs/payload-abandon.md). No way to abandon a
   counted payload is documented, so the count is met. With its REAL bytes
   wherever they can be sent (sm_at_owe: after a timeout, the message goes
   out as meant); what is left here is met with NUL filler, then the
   terminator (a truncated command line just earns an ERROR, dropped as a
   late answer). A prompt that did not come may have been lost on the wire
   (or be late) while the modem counts payload bytes: the count is met and
   a terminator follows; a modem that never prompted sees a junk line. */
SM_PRIV void sm_at_plan_drain(sm_at *at)
{
    const sm_at_entry *e = &at->q[0];
    size_t tl = e->text_len;
    size_t pl = (e->cmd.flags & SM_AT_F_INLINE) ? e->cmd.payload_len : 0;
    /* TX_OWED: the payload's real bytes up to tx_off are out, the rest is
       owed as in the phase the deadline interrupted */
    uint8_t phase = at->phase == SM_PH_TX_OWED ? at->owe_from : at->phase;
    at->drain_fill = 0;
    at->drain_term = 0;
    if (phase == SM_PH_TX_TEXT && at->tx_off > 0) {
        if (at->tx_off < tl) {
            at->drain_term = 1;                        /* end the truncated line */
        } else if (at->tx_off < tl + pl) {
            at->drain_fill = (uint16_t)(tl + pl - at->tx_off);      /* the inline count, then */
            at->drain_term = 1;                        /* the line end */
        } else {
            at->drain_term = (uint8_t)(1u + (at->tx_off - tl - pl)); /* rest of it */
        }
    } else if (phase == SM_PH_TX_PAYLOAD) {
        at->drain_fill = (uint16_t)(e->cmd.payload_len - at->tx_off);
    } else if (phase == SM_PH_WAIT_PROMPT) {
        at->drain_fill = (uint16_t)(e->cmd.payload_len - at->tx_off); /* tx_off: replayed */
        at->drain_term = 1;
        at->orphan_payload = 1;
    }
    /* the debt of a command is paid within SM_AT_TIMEOUT_MS of its deadline,
       the real bytes (TX_OWED, whose deadline that is) and the filler together */
    at->drain_deadline = at->phase == SM_PH_TX_OWED ? at->deadline
                                                    : sm_at_now(at) + (uint32_t)SM_AT_TIMEOUT_MS;
}

/* Can these payload bytes be sent when the modem may be reading command
   lines instead (a prompt that did not come: lost, or the command was
   refused and its answer lost)? Only if, as a line, they cannot be a
   command: no control byte (line ends, editing, escapes) and no "AT" or
   "A/" (a command prefix, found anywhere in the line by Hayes-style
   parsers), in any case, also with the 8th bit stripped. Then they end as
   one junk line (the terminator follows): ignored, as V.250 ignores what
   comes before "AT", or answered ERROR, dropped as a late answer. */
SM_PRIV int sm_at_replayable(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned b = p[i] & 0x7Fu, next;
        if (b < 0x20u || b == 0x7Fu) return 0;
        if ((b | 0x20u) != 'a' || i + 1 == n) continue;
        next = (p[i + 1] & 0x7Fu) | 0x20u;
        if (next == 't' || next == '/') return 0;
    }
    return 1;
}

/* A deadline interrupts the head command (result TIMEOUT or CANCELLED).
   If the modem may be counting payload bytes, their REAL bytes are owed:
   after the prompt (TX_PAYLOAD: the modem said it counts), inside an
   inline payload (TX_TEXT: the line has to be finished anyway), or while
   the prompt is awaited (WAIT_PROMPT: it may have been lost) when the
   payload is inert as a command line (sm_at_replayable). The command then
   stays at the head in TX_OWED, so that its payload is still valid (the
   caller keeps it until on_done), until they are written. Returns 1 if so;
   0: nothing real is owed, the command ends now. */
SM_PRIV int sm_at_owe(sm_at *at, sm_at_result result)
{
    const sm_at_entry *e = &at->q[0];
    size_t tl = e->text_len;
    size_t pl = (e->cmd.flags & SM_AT_F_INLINE) ? e->cmd.payload_len : 0;
    if (at->phase == SM_PH_TX_TEXT) {
        if (at->tx_off < tl || at->tx_off >= tl + pl) return 0;
    } else if (at->phase == SM_PH_WAIT_PROMPT) {
        if (!sm_at_replayable(e->cmd.payload, e->cmd.payload_len)) return 0;
        at->tx_off = 0;
    } else if (at->phase != SM_PH_TX_PAYLOAD) {
        return 0;
    }
    at->owe_from = at->phase;
    at->owe_result = (uint8_t)result;
    at->phase = SM_PH_TX_OWED;
    at->deadline = sm_at_now(at) + (uint32_t)SM_AT_TIMEOUT_MS;
    return 1;
}

/* Bytes of raw_lead held back while matching go back to the line parser
   when the command ends, so that nothing is lost. */
SM_PRIV void sm_at_release_lead(sm_at *at)
{
    uint8_t i, n = at->lead_armed ? at->lead_pos : 0;
    const char *lead = at->q[0].cmd.raw_lead;
    at->lead_armed = 0;
    at->lead_pos = 0;
    for (i = 0; i < n; i++) sm_at_line_byte(at, (uint8_t)lead[i]);
}
/* The report of the command that just ended (at->last_id, last_result,
   last_code), to its on_done. In a frame of its own: the response record is
   not on the stack while sm_at_complete() gives held bytes back to the line
   parser. */
SM_NOINLINE SM_PRIV void sm_at_report(sm_at *at, sm_at_done_fn done, void *ctx, const char *err_text)
{
    sm_at_response r;
    r.id = at->last_id;
    r.result = at->last_result;
    r.code = at->last_code;
    r.err_text = err_text;
    r.lines = at->resp;
    r.nlines = at->resp_lines;
    r.lines_truncated = at->resp_trunc;
    r.raw_truncated = at->raw_trunc;
    r.raw_unframed = at->lead_bad;
    at->lead_bad = 0;
    r.raw_len = at->raw_got;
    r.raw_over = at->raw_over;
    if (done) {
        at->in_callback++;
        done(ctx, &r);
        at->in_callback--;
    }
}

/* Finishes the head command: report, then pop. Only what the report needs
   is kept, so that on_done may submit new commands or flush. */
SM_PRIV void sm_at_complete(sm_at *at, sm_at_result result, int32_t code, const char *err_text)
{
    sm_at_done_fn done;
    void *ctx;
    uint16_t id;
    if (at->phase == SM_PH_IDLE || at->q_count == 0) return;
    /* a modem that restarted or a port that failed is owed nothing; a
       final result that ends TX_OWED early leaves the rest owed */
    if (result == SM_AT_TIMEOUT || result == SM_AT_CANCELLED ||
        (at->phase == SM_PH_TX_OWED && result != SM_AT_REBOOT && result != SM_AT_IO_ERROR))
        sm_at_plan_drain(at);
    /* only what the report needs is kept: on_done may submit or flush */
    done = at->q[0].cmd.on_done;
    ctx = at->q[0].cmd.ctx;
    id = at->q[0].id;
    at->inl_field = 0;
    at->lead_raw = 0;
    at->lv_active = 0;
    at->raw_hold = 0;
    at->line_raw = 0;
    sm_at_release_lead(at);
    sm_at_learn_echo(at, result);
    sm_at_pop(at);
    at->phase = SM_PH_IDLE;
    at->last_id = id;
    at->last_result = result;
    at->last_code = code;
    at->after_timeout = (uint8_t)(result == SM_AT_TIMEOUT);
    if (result == SM_AT_TIMEOUT) {
        SM_LOG(1, "AT: command timed out");
        at->stats.timeouts++;
        at->settling = 1; /* drop a late answer rather than give it to the next command */
        at->last_rx_ms = sm_at_now(at);
        at->settle_since = at->last_rx_ms;
    }
    sm_at_report(at, done, ctx, err_text);
}

/* Ends a queued command that never went out: its report has no lines, and
   the engine's response buffer (perhaps being read by an outer on_done) is
   not touched. In a frame of its own: the report is not on the stack of
   sm_at_flush() while it completes the command on the wire. */
SM_NOINLINE SM_PRIV void sm_at_complete_unsent(sm_at *at, sm_at_result result)
{
    sm_at_entry e = at->q[0];
    sm_at_response r;
    sm_at_pop(at);
    memset(&r, 0, sizeof r);
    r.id = e.id;
    r.result = result;
    r.code = SM_AT_NO_CODE;
    r.lines = "";
    at->last_id = e.id;
    at->last_result = result;
    at->last_code = SM_AT_NO_CODE;
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
    at->raw_over = 0;
    at->resp[0] = '\0';
}

/* Puts the head command on the wire. */
SM_PRIV void sm_at_start_head(sm_at *at)
{
    const sm_at_entry *e = &at->q[0];
    uint32_t t = e->cmd.timeout_ms ? e->cmd.timeout_ms : (uint32_t)SM_AT_TIMEOUT_MS;
    if (t > 0x7FFFFFFFu) t = 0x7FFFFFFFu; /* the wrap-safe comparison's range */
    at->phase = SM_PH_TX_TEXT;
    at->orphan_payload = 0; /* a prompt that has not come by now never will */
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
/* Writes what an interrupted command still owes (see sm_at_plan_drain).
   Returns 1 when nothing is owed any more. */
SM_PRIV int sm_at_pump_drain(sm_at *at)
{
    static const uint8_t filler[16] = { 0 };
    const char *term = at->dialect->cmd_term;
    while (at->drain_fill) {
        size_t off = 0, n = at->drain_fill < sizeof filler ? at->drain_fill : sizeof filler;
        int rc = sm_at_write_some(at, filler, n, &off);
        at->drain_fill = (uint16_t)(at->drain_fill - off);
        at->stats.tx_filler += (uint32_t)off;
        if (rc <= 0) return rc < 0 ? sm_at_abandon_drain(at) : 0;
    }
    while (at->drain_term && term[at->drain_term - 1u]) {
        size_t off = 0;
        int rc = sm_at_write_some(at, (const uint8_t *)term + at->drain_term - 1u, 1, &off);
        if (rc < 0) return sm_at_abandon_drain(at);
        if (rc == 0) return 0;
        at->drain_term++;
    }
    at->drain_term = 0;
    return 1;
}

/* TX_OWED: writes the interrupted payload's real bytes (the rest of the
   command line for an inline one). Returns 1 when all are out, 0 when more
   remain, <0 on error. Counted in stats.tx_replayed. */
SM_PRIV int sm_at_pump_owed(sm_at *at)
{
    const sm_at_entry *e = &at->q[0];
    size_t tl = e->text_len, before = at->tx_off, lo, hi;
    int rc;
    if (at->owe_from == SM_PH_TX_TEXT) {
        rc = sm_at_tx_text(at); /* the inline payload spans [tl, tl + payload_len) */
        lo = before > tl ? before : tl;
        hi = at->tx_off < tl + e->cmd.payload_len ? at->tx_off : tl + e->cmd.payload_len;
        if (hi > lo) at->stats.tx_replayed += (uint32_t)(hi - lo);
    } else {
        rc = sm_at_write_some(at, e->cmd.payload, e->cmd.payload_len, &at->tx_off);
        at->stats.tx_replayed += (uint32_t)(at->tx_off - before);
    }
    if (rc > 0) sm_at_trace(at, SM_TRACE_RAW_TX, (const char *)e->cmd.payload, e->cmd.payload_len);
    return rc;
}

/* Advances the transmit side as far as the platform allows. */
SM_PRIV void sm_at_pump_tx(sm_at *at)
{
    int rc;
    if ((at->drain_fill || at->drain_term) && !sm_at_pump_drain(at)) return;
    if (at->phase == SM_PH_TX_OWED) {
        rc = sm_at_pump_owed(at);
        if (rc == 0) return;
        /* all written; or a write error: the rest goes to the drain, which gives up */
        sm_at_complete(at, (sm_at_result)at->owe_result, SM_AT_NO_CODE, NULL);
        return;
    }
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

/* The UART will not take what an interrupted command owes: give up on it
   (counted) rather than hold every later command back forever. */
SM_PRIV int sm_at_abandon_drain(sm_at *at)
{
    size_t term_left = 0;
    if (at->drain_term) term_left = strlen(at->dialect->cmd_term) - (at->drain_term - 1u);
    at->stats.tx_abandoned += (uint32_t)(at->drain_fill + term_left);
    at->drain_fill = 0;
    at->drain_term = 0;
    return 1;
}
/* Starts the next command when the wire is free and the line is quiet. */
/* Settling after a timeout ends when the line has been quiet for
   SM_AT_SETTLE_MS, or at the latest after SM_AT_SETTLE_MAX_MS (a modem
   that keeps talking must not hold every command back). */
SM_PRIV void sm_at_update_settling(sm_at *at, uint32_t now)
{
    if (!at->settling) return;
    if (sm_time_reached(now, at->last_rx_ms + (uint32_t)SM_AT_SETTLE_MS) ||
        sm_time_reached(now, at->settle_since + (uint32_t)SM_AT_SETTLE_MAX_MS))
        at->settling = 0;
}

/* Starts the next command when the wire is free: nothing owed from an
   interrupted command, no announced payload still arriving, the line
   settled after a timeout. Each wait is bounded by its own deadline. */
SM_PRIV void sm_at_start_next(sm_at *at)
{
    if (at->phase != SM_PH_IDLE || at->q_count == 0 || at->in_callback) return;
    if (at->drain_fill || at->drain_term || at->raw_left) return;
    sm_at_update_settling(at, sm_at_now(at));
    if (at->settling) return;
    sm_at_start_head(at);
    sm_at_pump_tx(at);
}
SM_PRIV void sm_at_check_deadlines(sm_at *at)
{
    uint32_t now = sm_at_now(at);
    if (at->headerless && at->headerless->error_quiet(at, now)) return;
    if (at->raw_left && sm_time_reached(now, at->raw_deadline)) {
        /* the announced payload never fully came: give up on counting so
           that line parsing resumes; a sink hears of it as (NULL, 0) */
        at->stats.raw_dropped += (uint32_t)at->raw_left;
        at->raw_left = 0;
        if (at->raw_sink) {
            at->in_callback++;
            at->raw_sink(at->raw_ctx, NULL, 0);
            at->in_callback--;
        } else {
            at->raw_trunc = 1;
        }
    }
    if ((at->drain_fill || at->drain_term) && sm_time_reached(now, at->drain_deadline))
        (void)sm_at_abandon_drain(at);
    sm_at_update_settling(at, now);
    if (at->phase == SM_PH_IDLE || !sm_time_reached(now, at->deadline)) return;
    if (at->phase == SM_PH_TX_OWED) /* the UART did not take the real bytes: filler, given up */
        sm_at_complete(at, (sm_at_result)at->owe_result, SM_AT_NO_CODE, NULL);
    else if (sm_at_owe(at, SM_AT_TIMEOUT))
        sm_at_pump_tx(at);
    else
        sm_at_complete(at, SM_AT_TIMEOUT, SM_AT_NO_CODE, NULL);
}
SECMODEM_API void sm_at_flush(sm_at *at, sm_at_result result)
{
    /* bounded by the count at entry: a callback that resubmits does not
       keep this loop alive */
    uint16_t n;
    if (!sm_at_ready(at)) return;
    n = at->q_count;
    /* only a failure result: a value outside them would reach on_done */
    if (!(result >= SM_AT_ERROR && result <= SM_AT_IO_ERROR)) result = SM_AT_CANCELLED;
    if (at->phase != SM_PH_IDLE && n) {
        /* on_done comes now, so an owed payload's real bytes go out only as
           far as the platform takes them at once; the rest is filler */
        if (result == SM_AT_CANCELLED && (at->phase == SM_PH_TX_OWED || sm_at_owe(at, result)))
            (void)sm_at_pump_owed(at);
        sm_at_complete(at, result, SM_AT_NO_CODE, NULL); /* the one on the wire */
        n--;
    }
    while (n-- && at->q_count) sm_at_complete_unsent(at, result);
}
SECMODEM_API int sm_at_busy(const sm_at *at) { return sm_at_ready(at) && at->q_count != 0; }
SECMODEM_API int sm_at_queue_free(const sm_at *at)
{
    return sm_at_ready(at) ? (int)(SM_QUEUE_DEPTH - at->q_count) : 0;
}
SECMODEM_API const sm_at_stats *sm_at_get_stats(const sm_at *at)
{
    return sm_at_ready(at) ? &at->stats : NULL;
}

SECMODEM_API sm_at_result sm_at_result_of(const sm_at *at, uint16_t id)
{
    if (!sm_at_ready(at)) return SM_AT_PENDING;
    return (id && id == at->last_id) ? at->last_result : SM_AT_PENDING;
}

/* ==========================================================================
   5.2 AT ENGINE: RECEIVE SIDE
   Bytes become lines at CR or LF (a CR LF pair ends one line; empty lines
   are ignored). Inside a line, NUL bytes are dropped and counted; a line
   longer than the buffer is dropped whole and counted, unless it starts
   with the prefix of sm_at_on_long_line(): then it is handed on in pieces.
   An unsolicited line of the sm_at_cut_urc() prefix is cut after its count
   field so that its handler reads the raw bytes after it. A '>' at the start
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

/* A headerless payload (raw_lead) is told from an error answer only by its
   bytes: "\r\n" then "ERROR\r\n" may be either. So the bytes such a read
   kept, without their trailing CR/LF, followed by `more` (the first line
   after a read that ended, or nothing), are checked: exactly a final error
   line (ERROR, +CME ERROR: <n>, +CMS ERROR: <n>) ends the command with it,
   the bytes counted as the answer rather than payload. A real payload is
   always followed by CR LF CR LF OK in one burst, which never completes such
   a line. Returns 1 if the command ended. */
/* The check itself, in a frame of its own: its copy of the bytes is gone
   before the command is completed (and the parser perhaps re-entered). 1 with
   *result and *code when the bytes are a final error line. */
SM_NOINLINE SM_PRIV int sm_at_lead_is_error(const sm_at *at, const char *more, size_t more_len,
                                            sm_at_result *result, int32_t *code)
{
    const char *raw = (const char *)at->q[0].cmd.raw_buf;
    char t[40];
    size_t n = at->raw_got;
    sm_at_final f;
    if (!raw || at->raw_trunc) return 0;
    while (n && (raw[n - 1] == '\r' || raw[n - 1] == '\n')) n--;
    if (n + more_len > sizeof t) return 0;
    memcpy(t, raw, n);
    if (more_len) memcpy(t + n, more, more_len);
    n += more_len;
    if (!sm_at_classify_std(t, n, &f) || f.result == SM_AT_OK) return 0;
    *result = f.result;
    *code = f.code;
    return 1;
}

SM_PRIV int sm_at_lead_error(sm_at *at, const char *more, size_t more_len)
{
    sm_at_result result;
    int32_t code;
    if (!sm_at_lead_is_error(at, more, more_len, &result, &code)) return 0;
    at->raw_left = 0;
    at->raw_got = 0;
    at->lead_raw = 0;
    sm_at_complete(at, result, code, NULL);
    return 1;
}

/* ... and when the modem has gone quiet: a read still counting whose bytes
   end with a whole line, or one that ended and was not followed by its OK. */
SM_PRIV int sm_at_lead_error_quiet(sm_at *at, uint32_t now)
{
    const uint8_t *raw = at->q[0].cmd.raw_buf;
    if (!at->lead_raw || at->phase != SM_PH_WAIT_FINAL ||
        !sm_time_reached(now, at->last_rx_ms + (uint32_t)SM_AT_RAW_ERROR_QUIET_MS))
        return 0;
    if (at->raw_left && (at->raw_got < 2 || !raw || raw[at->raw_got - 2] != '\r' ||
                         raw[at->raw_got - 1] != '\n'))
        return 0;
    return sm_at_lead_error(at, NULL, 0);
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

/* The first of n rows whose prefix starts the line, or NULL: the engine's
   tables here, the dialects' feature rows (sm_urc_rows) likewise. */
SM_PRIV const sm_urc *sm_urc_first(const sm_urc *rows, size_t n, const char *line, size_t len)
{
    size_t i;
    for (i = 0; rows && i < n; i++)
        if (sm_starts_with(line, len, rows[i].prefix)) return &rows[i];
    return NULL;
}

/* The URC table row that claims a line (the first match), or NULL; *ctx
   gets its table's context. */
SM_PRIV const sm_urc *sm_at_find_urc(const sm_at *at, const char *line, size_t len, void **ctx)
{
    size_t t;
    for (t = 0; t < SM_URC_TABLES; t++) {
        const sm_urc *row = sm_urc_first(at->urc[t].table, at->urc[t].n, line, len);
        if (!row) continue;
        *ctx = at->urc[t].ctx;
        return row;
    }
    return NULL;
}

/* Offers a line to the URC tables; 1 if one claimed it. */
SM_PRIV int sm_at_dispatch_urc(sm_at *at, const char *line, size_t len)
{
    void *ctx = NULL;
    const sm_urc *row = sm_at_find_urc(at, line, len, &ctx);
    if (!row) return 0;
    at->stats.urcs++;
    sm_at_trace(at, SM_TRACE_URC, line, len);
    at->in_callback++;
    row->fn(ctx, at, line, len);
    at->in_callback--;
    return 1;
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

/* The first k bytes of line (in at->line) as an unexpected line of their
   own, NUL-terminated for the call as every line handed on is; the byte
   they end at is put back after it. */
SM_PRIV void sm_at_unexpected_part(sm_at *at, const char *line, size_t k)
{
    char *cut = at->line + (line - at->line) + k;
    char keep = *cut;
    *cut = '\0';
    sm_at_unexpected(at, line, k);
    *cut = keep;
}

/* A restart: the command in flight ends with REBOOT. Its answer may still
   come: a command that crossed the restart marker on the wire reached a
   modem already up (a bring-up probe sent while it booted). So, as after a
   timeout, the line must settle before the next command, or that late
   answer would complete it. */
SM_PRIV void sm_at_handle_reboot(sm_at *at)
{
    int interrupted = at->phase != SM_PH_IDLE;
    SM_LOG(1, "AT: modem restarted");
    at->stats.reboots++;
    at->raw_left = 0;
    at->lv_active = 0;
    at->settling = 0;
    if (interrupted) sm_at_complete(at, SM_AT_REBOOT, SM_AT_NO_CODE, NULL);
    at->echo_mode = 0; /* whatever the modem's default is, it is unknown here */
    if (interrupted) {
        at->settling = 1;
        at->last_rx_ms = sm_at_now(at);
        at->settle_since = at->last_rx_ms;
    }
}

/* The echo of the command in flight, matched once: the exact text, or the
   text at the end of a line after noise, or (inline payload) the start. */
SM_PRIV int sm_at_is_echo(sm_at *at, const char *line, size_t len)
{
    size_t n = at->q[0].text_len;
    const char *t = at->q_text;
    if (at->phase == SM_PH_IDLE || at->echo_seen || len < n) return 0;
    if (at->q[0].cmd.flags & SM_AT_F_INLINE) {
        /* the echo goes on with the payload (which may hold CR/LF) */
        if (memcmp(line, t, n) != 0) return 0;
    } else if (len != n || memcmp(line, t, n) != 0) {
        /* noise glued before the echo (a partial line after a restart) is
           tolerated for commands long enough not to end a normal line, and
           never for a line that starts like a response or URC */
        if (n < 4 || line[0] == '+' || memcmp(line + len - n, t, n) != 0) return 0;
    }
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

/* Whether a line that starts with the prefix of the command in flight is
   its answer (section 5, sm_at_cmd.is_answer). Not when it came before the
   command could be answered (its text not fully written, or its echo not
   yet seen while the modem echoes) and a URC table row at least as long as
   the prefix claims it: such a row names that very kind of line, while a
   shorter one is a catch-all (e.g. "+SQN"), and a line of the prefix
   before the echo then keeps meaning that the echo was lost. Nor when the
   command's is_answer says the line has the URC's form. */
SM_PRIV int sm_at_is_answer(sm_at *at, const char *line, size_t len)
{
    const sm_at_cmd *c = &at->q[0].cmd;
    int answer;
    if (at->phase == SM_PH_TX_TEXT || (at->echo_mode && !at->echo_seen)) {
        void *ctx = NULL;
        const sm_urc *row = sm_at_find_urc(at, line, len, &ctx);
        if (row && strlen(row->prefix) >= strlen(c->prefix)) return 0;
    }
    if (!c->is_answer) return 1;
    at->in_callback++;
    answer = c->is_answer(c->ctx, line, len);
    at->in_callback--;
    return answer != 0;
}

/* V.250 call results, final only for a command flagged SM_AT_F_DIAL. */
SM_PRIV int sm_at_classify_dial(const sm_at *at, const char *line, size_t len, sm_at_final *out)
{
    static const char *const words[] = { "NO CARRIER", "NO ANSWER", "BUSY", "NO DIALTONE" };
    size_t i;
    if (at->phase == SM_PH_IDLE || !(at->q[0].cmd.flags & SM_AT_F_DIAL)) return 0;
    for (i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (len != strlen(words[i]) || memcmp(line, words[i], len) != 0) continue;
        out->result = SM_AT_DIALECT_ERROR;
        out->code = SM_AT_NO_CODE;
        out->text = line;
        out->text_len = len;
        return 1;
    }
    return 0;
}

/* Tries the line as the final result of the command in flight. */
SM_PRIV int sm_at_try_final(sm_at *at, const char *line, size_t len)
{
    sm_at_final f;
    int is_final = 0;
    memset(&f, 0, sizeof f);
    f.code = SM_AT_NO_CODE;
    if (at->dialect->classify) is_final = at->dialect->classify(line, len, &f);
    if (!is_final) is_final = sm_at_classify_std(line, len, &f);
    if (!is_final) is_final = sm_at_classify_dial(at, line, len, &f);
    if (!is_final) return 0;
    if (sm_at_is_stale(at) || at->phase == SM_PH_IDLE) {
        if (sm_at_is_stale(at)) at->stats.stale++; else sm_at_unexpected(at, line, len);
        return 1;
    }
    if (f.text && (uintptr_t)f.text >= (uintptr_t)at->line &&
        (uintptr_t)f.text + f.text_len < (uintptr_t)at->line + SM_LINE_SIZE)
        at->line[(size_t)((uintptr_t)f.text - (uintptr_t)at->line) + f.text_len] = '\0';
    else if (f.text)
        f.text = NULL; /* a dialect's text outside the line cannot be terminated */
    sm_at_complete(at, f.result, f.code, f.text);
    return 1;
}

/* Where the restart marker starts in the line, or len if it is not there. */
SM_PRIV size_t sm_at_find_marker(const char *line, size_t len, const char *marker)
{
    size_t n = strlen(marker), i;
    for (i = 0; n && i + n <= len; i++)
        if (line[i] == marker[0] && memcmp(line + i, marker, n) == 0) return i;
    return len;
}

/* Decides what a complete line is (see section 5). */
SM_PRIV void sm_at_dispatch_line(sm_at *at, const char *line, size_t len)
{
    const sm_at_cmd *c;
    at->stats.lines++;
    sm_at_trace(at, SM_TRACE_RX, line, len);
    if (at->lead_raw == 2) { /* the first line after a headerless read */
        at->lead_raw = 0;
        if (at->phase == SM_PH_WAIT_FINAL && at->headerless && at->headerless->error(at, line, len))
            return;
    }
    if (at->dialect->reboot_urc) {
        size_t k = sm_at_find_marker(line, len, at->dialect->reboot_urc);
        if (k < len) {
            /* a restart that cut a line leaves its marker after the cut
               bytes: those are a broken line, the rest is the start-up URC */
            if (k) sm_at_unexpected_part(at, line, k);
            sm_at_handle_reboot(at);
            if (!sm_at_dispatch_urc(at, line + k, len - k)) at->stats.urcs++;
            return;
        }
    }
    if (sm_at_is_echo(at, line, len)) return;
    if (sm_at_try_final(at, line, len)) return;
    c = at->phase != SM_PH_IDLE ? &at->q[0].cmd : NULL;
    if (c && c->prefix && sm_starts_with(line, len, c->prefix) && !sm_at_is_answer(at, line, len)) {
        /* a URC that shares the command's prefix */
        if (!sm_at_dispatch_urc(at, line, len)) sm_at_unexpected(at, line, len);
        return;
    }
    /* a line with the command's own prefix proves the echo was lost (not
       right after a timeout: it may be the late answer to the same question) */
    if (c && !at->settling && !at->after_timeout && at->echo_mode && !at->echo_seen &&
        c->prefix && sm_starts_with(line, len, c->prefix))
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

/* An echo longer than the line buffer (a command of SM_LINE_SIZE bytes or
   more) is recognised by its start: dropping it would leave the echo unseen
   and, with echo on, the command's answer taken for a stale one. */
SM_PRIV int sm_at_is_long_echo(sm_at *at, size_t kept)
{
    if (at->phase == SM_PH_IDLE || at->q[0].text_len <= kept ||
        memcmp(at->line, at->q_text, kept) != 0)
        return 0;
    at->echo_seen = 1;
    return 1;
}

/* ---- over-long lines handed on in pieces (sm_at_on_long_line) ---------- */
SM_PRIV void sm_at_long_call(sm_at *at, size_t len, unsigned flags)
{
    at->line[len] = '\0';
    at->line_len = 0;
    at->in_callback++;
    at->long_fn(at->long_ctx, at, at->line, len, flags);
    at->in_callback--;
}

/* The line buffer is full: 1 if its bytes went to the long-line handler
   (the buffer is empty again), 0 if the line is to be dropped. */
SM_PRIV int sm_at_long_piece(sm_at *at)
{
    if (!at->long_on) {
        if (!at->long_fn || at->line_overflow ||
            !sm_starts_with(at->line, at->line_len, at->long_prefix))
            return 0;
        at->long_on = 1;
        at->stats.urcs++;
        sm_at_trace(at, SM_TRACE_URC, at->line, at->line_len);
        sm_at_long_call(at, at->line_len, SM_AT_LONG_FIRST);
        return 1;
    }
    sm_at_long_call(at, at->line_len, SM_AT_LONG_MORE);
    return 1;
}

SM_PRIV int sm_at_inline_comma(sm_at *at);

SECMODEM_API void sm_at_cut_urc(sm_at *at, const char *prefix, unsigned field)
{
    if (!sm_at_ready(at)) return;
    at->inline_comma = sm_at_inline_comma;
    at->cut_field = (uint8_t)(prefix && field <= 15u ? field : 0u);
    at->cut_prefix = at->cut_field ? prefix : NULL;
}

/* The end of a line handed on in pieces: its last piece goes to the
   handler. Returns where the marker of a restart that cut the line begins
   in line[] (the caller dispatches from there), or the line's length. */
SM_PRIV size_t sm_at_long_end(sm_at *at)
{
    size_t len = at->line_len;
    size_t k = at->dialect->reboot_urc ? sm_at_find_marker(at->line, len, at->dialect->reboot_urc)
                                       : len;
    char c0 = at->line[k < len ? k : 0];
    at->long_on = 0;
    at->stats.lines++;
    sm_at_long_call(at, k, SM_AT_LONG_LAST);
    if (k < len) {
        at->line[k] = c0;
        at->line[len] = '\0';
    }
    return k;
}

/* Over-long lines, called through this table only (see long_ops in sm_at). */
typedef struct sm_at_long_ops {
    int (*piece)(sm_at *at); /* sm_at_long_piece */
    size_t (*end)(sm_at *at); /* sm_at_long_end */
} sm_at_long_ops;

SECMODEM_API void sm_at_on_long_line(sm_at *at, const char *prefix, sm_at_long_fn fn, void *ctx)
{
    static const sm_at_long_ops ops = { sm_at_long_piece, sm_at_long_end };
    if (!sm_at_ready(at)) return;
    at->long_ops = &ops;
    at->long_prefix = fn ? prefix : NULL;
    at->long_fn = prefix ? fn : NULL;
    at->long_ctx = ctx;
}

SM_PRIV void sm_at_end_line(sm_at *at)
{
    size_t len = at->line_len;
    if (at->long_on) { /* set only by long_ops->piece */
        size_t k = at->long_ops->end(at);
        /* a restart cut the long line: its marker starts a line */
        if (k < len) sm_at_dispatch_line(at, at->line + k, len - k);
        return;
    }
    at->line_len = 0;
    if (at->line_raw) {
        /* its whole text is in raw_buf: the line is delivered cut */
        at->line_raw = 0;
        at->line_overflow = 0;
    }
    if (at->line_overflow) {
        at->line_overflow = 0;
        if (sm_at_is_long_echo(at, len)) return;
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
    if (!at) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    if (n > (size_t)SM_AT_EXPECT_MAX) return SM_ERR_PARAM;
    if (!sink && at->phase == SM_PH_IDLE) return SM_ERR_PARAM;
    at->raw_left = n;
    at->raw_sink = sink;
    at->raw_ctx = ctx;
    at->raw_deadline = sm_at_now(at) + (uint32_t)SM_RAW_TIMEOUT_MS;
    at->lead_raw = 0;
    return SM_OK;
}

/* 1 if a registered URC table has an entry for the line (nothing called). */
SM_PRIV int sm_at_urc_known(const sm_at *at, const char *line, size_t len)
{
    size_t t, i;
    for (t = 0; t < SM_URC_TABLES; t++)
        for (i = 0; at->urc[t].table && i < at->urc[t].n; i++)
            if (at->urc[t].table[i].prefix && sm_starts_with(line, len, at->urc[t].table[i].prefix))
                return 1;
    return 0;
}

/* A headerless read has its count (see raw_lead in sm_at_cmd). If what it
   kept begins with "<line>\r\n\r\n" and a URC table claims <line>, that
   line may be a URC the modem sent before the payload's own lead rather
   than the payload's start: the line is held in line[] and the bytes after
   the count decide (sm_at_lv_byte). */
SM_PRIV void sm_at_lead_check(sm_at *at)
{
    const uint8_t *raw = at->q[0].cmd.raw_buf;
    const char *mir = at->line; /* the read's first bytes, whatever raw_buf kept */
    size_t n = at->raw_got, k = at->lead_seen, i;
    if (at->phase != SM_PH_WAIT_FINAL || at->raw_sink) return;
    /* in any case the end of the payload must frame (sm_at_lv_byte) */
    at->lv_active = 2;
    at->lv_run = 0;
    at->lv_bits = 0;
    at->lv_slen = 0;
    at->lv_ref = NULL;
    at->lv_le = (uint8_t)(!raw || at->raw_trunc || !n || raw[n - 1] == '\r' || raw[n - 1] == '\n');
    if (k < 5 || mir[0] != '+') return;
    for (i = 1; i + 4 <= k; i++)
        if (mir[i] == '\r' || mir[i] == '\n' || mir[i] == 0) break;
    if (i + 4 > k || memcmp(mir + i, "\r\n\r\n", 4) != 0 || !sm_at_urc_known(at, mir, i)) return;
    at->lv_active = 1;
    at->lv_cand = (uint16_t)i;
}

/* Takes up to raw_left bytes from data; returns how many were consumed. */
SM_PRIV size_t sm_at_take_raw(sm_at *at, const uint8_t *data, size_t len)
{
    size_t n = len < at->raw_left ? len : at->raw_left;
    int lead_done;
    if (at->lead_raw == 1 && !at->raw_sink && at->lead_seen < SM_LINE_SIZE - 1) {
        /* the first bytes of a headerless read, for sm_at_lead_check */
        size_t m = (size_t)(SM_LINE_SIZE - 1 - at->lead_seen);
        if (m > n) m = n;
        memcpy(at->line + at->lead_seen, data, m);
        at->lead_seen = (uint16_t)(at->lead_seen + m);
    }
    at->raw_left -= n;
    lead_done = at->raw_left == 0 && at->lead_raw;
    if (lead_done) at->lead_raw = 2; /* see sm_at_lead_error */
    at->stats.raw_bytes += (uint32_t)n;
    sm_at_trace(at, SM_TRACE_RAW_RX, (const char *)data, n);
    if (at->raw_sink) {
        at->in_callback++;
        at->raw_sink(at->raw_ctx, data, n);
        at->in_callback--;
    } else if (at->phase != SM_PH_IDLE) {
        const sm_at_cmd *c = &at->q[0].cmd;
        size_t room = (c->raw_buf && c->raw_cap > at->raw_got && !at->raw_hold) ?
                      c->raw_cap - at->raw_got : 0;
        size_t k = n < room ? n : room;
        if (k) memcpy(c->raw_buf + at->raw_got, data, k);
        at->raw_got += k;
        if (k < n) {
            at->raw_trunc = 1;
            at->raw_over += n - k;
            at->stats.raw_dropped += (uint32_t)(n - k);
        }
    } else {
        at->stats.raw_dropped += (uint32_t)n; /* its command is gone (timeout) */
    }
    if (lead_done && at->headerless) at->headerless->check(at);
    return n;
}

/* Forgets what raw_buf holds (a dialect handler that learns, at a line's
   end, that what a LINE_TO_RAW line put there is not the payload). */
SM_PRIV void sm_at_raw_rewind(sm_at *at)
{
    at->raw_got = 0;
    at->raw_over = 0;
    at->raw_trunc = 0;
}

/* One byte for the command's raw_buf outside a counted read (a window
   byte of sm_at_lv_byte, a LINE_TO_RAW line): kept if it fits, else
   counted as dropped. */
SM_PRIV void sm_at_raw_put(sm_at *at, uint8_t b)
{
    const sm_at_cmd *c = &at->q[0].cmd;
    at->stats.raw_bytes++;
    if (at->phase != SM_PH_IDLE && c->raw_buf && at->raw_got < c->raw_cap && !at->raw_hold) {
        c->raw_buf[at->raw_got++] = b;
        return;
    }
    at->raw_trunc = 1;
    at->raw_over++;
    at->stats.raw_dropped++;
}

/* A line with the prefix of a SM_AT_F_LINE_TO_RAW command begins: its
   bytes after the prefix go to raw_buf as well (see sm_at_line_byte). */
SM_PRIV void sm_at_line_raw_start(sm_at *at)
{
    const sm_at_cmd *c = &at->q[0].cmd;
    size_t n = c->prefix ? strlen(c->prefix) : 0;
    if (n && at->line_len == n && !sm_at_is_stale(at) && memcmp(at->line, c->prefix, n) == 0)
        at->line_raw = 1; /* 1: spaces after the prefix are skipped, 2: storing */
}

/* One byte of line traffic. */
SM_PRIV void sm_at_line_byte(sm_at *at, uint8_t b)
{
    if (b == '\r' || b == '\n') {
        sm_at_end_line(at);
        at->skip_lf = (uint8_t)(b == '\r');
        at->skip_space = 0;
        return;
    }
    if (at->skip_space) {
        at->skip_space = 0;
        if (b == ' ') return;
    }
    if (b == '>' && at->line_len == 0 && !at->line_overflow && !at->long_on) {
        if (at->phase == SM_PH_WAIT_PROMPT) {
            sm_at_trace(at, SM_TRACE_PROMPT, "> ", 2);
            at->phase = SM_PH_TX_PAYLOAD;
            at->tx_off = 0;
            at->skip_space = 1;
            sm_at_pump_tx(at); /* the modem says nothing more until it has the payload */
            return;
        }
        if (at->orphan_payload && at->phase == SM_PH_IDLE) {
            /* the late prompt of a command that timed out: its filler went
               out at the timeout already */
            sm_at_trace(at, SM_TRACE_PROMPT, "> ", 2);
            at->orphan_payload = 0;
            at->skip_space = 1;
            return;
        }
    }
    if (b == 0) { at->stats.nul_bytes++; return; }
    /* bytes that no UTF-8 text contains: the 0xFF a GM02SP sends first after
       light sleep (docs/sequans.md), line noise; never part of a line */
    if (b >= 0xF5u || b == 0xC0u || b == 0xC1u) { at->stats.noise++; return; }
    if (at->line_len >= SM_LINE_SIZE - 1 && !(at->long_ops && at->long_ops->piece(at)))
        at->line_overflow = 1;
    else if (!at->line_overflow) at->line[at->line_len++] = (char)b;
    if (at->line_raw) {
        if (at->line_raw == 2 || b != ' ') { at->line_raw = 2; sm_at_raw_put(at, b); }
    } else if (at->phase == SM_PH_WAIT_FINAL && (at->q[0].cmd.flags & SM_AT_F_LINE_TO_RAW)) {
        sm_at_line_raw_start(at);
    }
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
    const char *prefix = NULL;
    size_t i, plen, start, commas = 0, len = at->line_len;
    unsigned field = 0;
    int quoted = 0, urc = 0;
    int32_t n;
    if (at->line_overflow || at->long_on) return 0;
    if (at->inl_field && at->phase == SM_PH_WAIT_FINAL && !sm_at_is_stale(at) &&
        sm_starts_with(at->line, len, c->prefix) && sm_at_is_answer(at, at->line, len)) {
        prefix = c->prefix;
        field = at->inl_field;
    } else if (at->cut_field && sm_starts_with(at->line, len, at->cut_prefix)) {
        prefix = at->cut_prefix; /* an unsolicited line (sm_at_cut_urc) */
        field = at->cut_field;
        urc = 1;
    } else {
        return 0;
    }
    plen = strlen(prefix);
    for (i = start = plen; i < len; i++) {
        if (at->line[i] == '"') quoted = !quoted;
        else if (at->line[i] == ',' && !quoted) { commas++; start = i + 1; }
    }
    if (quoted || commas + 1u != field) return 0;
    if (urc) {
        at->line_len = 0; /* its handler reads the bytes (sm_at_expect_raw) */
        at->line[len] = '\0';
        sm_at_dispatch_line(at, at->line, len);
        return 1;
    }
    if (sm_at_inline_count(at->line + start, at->line + len, &n) != SM_OK) {
        SM_LOG(1, "AT: inline raw data with a malformed byte count");
        at->stats.raw_bad_count++;
        at->raw_trunc = 1; /* the payload is lost: say so in the response */
        return 0;          /* the line goes on as text */
    }
    at->line_len = 0;
    at->line[len] = '\0';
    /* the count is set before the line is dispatched: into raw_buf (or
       dropped, if on_line flushed), unless on_line sends the bytes elsewhere
       with sm_at_expect_raw() (a header naming another socket, say) */
    at->raw_left = (size_t)n;
    at->raw_sink = NULL;
    at->raw_deadline = sm_at_now(at) + (uint32_t)SM_RAW_TIMEOUT_MS;
    sm_at_dispatch_line(at, at->line, len);
    return 1;
}

SECMODEM_API int sm_at_use_inline_raw(sm_at *at)
{
    if (!at) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    at->inline_comma = sm_at_inline_comma;
    return SM_OK;
}

/* Matches the in-flight command's raw_lead at the start of a line; returns
   1 if the byte was taken. On a mismatch the bytes held back are given to
   the line parser, so nothing is lost. */
SM_PRIV int sm_at_lead_byte(sm_at *at, uint8_t b)
{
    const char *lead = at->q[0].cmd.raw_lead;
    if (at->line_len != 0 || at->line_overflow || at->long_on || sm_at_is_stale(at)) return 0;
    if ((uint8_t)lead[at->lead_pos] == b) {
        if (lead[++at->lead_pos] == '\0') {
            at->lead_armed = 0;
            at->skip_lf = 0;
            sm_at_expect_raw(at, at->q[0].cmd.raw_len, NULL, NULL);
            at->lead_raw = 1;
            at->lead_seen = 0;
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

SM_PRIV void sm_at_feed_one(sm_at *at, uint8_t b);

/* 1 if the n bytes could begin a line a URC table claims. */
SM_PRIV int sm_at_urc_could_start(const sm_at *at, const uint8_t *s, size_t n)
{
    size_t t, i, k;
    for (t = 0; t < SM_URC_TABLES; t++)
        for (i = 0; at->urc[t].table && i < at->urc[t].n; i++) {
            const char *p = at->urc[t].table[i].prefix;
            if (!p) continue;
            k = strlen(p);
            if (memcmp(s, p, n < k ? n : k) == 0) return 1;
        }
    return 0;
}

/* ---- a URC before a headerless payload (see raw_lead, sm_at_lead_check)
   After the count, a payload is followed by line ends and then a final
   result or a URC line; the candidate URC reading needs anything else. */
static const char *const sm_at_lv_finals[] = {
    "OK\r", "OK\n", "ERROR\r", "ERROR\n", "+CME ERROR:", "+CMS ERROR:"
};

/* x continues the bytes matched so far (ref[0..k)) with b. */
SM_PRIV int sm_at_lv_fits(const char *x, const char *ref, size_t k, uint8_t b)
{
    return strlen(x) > k && (!k || memcmp(x, ref, k) == 0) && (uint8_t)x[k] == b;
}

/* The known start (final result or URC prefix) the bytes follow, or NULL. */
SM_PRIV const char *sm_at_lv_next(const sm_at *at, uint8_t b)
{
    size_t t, i, k = at->lv_slen;
    for (i = 0; i < sizeof sm_at_lv_finals / sizeof sm_at_lv_finals[0]; i++)
        if (sm_at_lv_fits(sm_at_lv_finals[i], at->lv_ref, k, b)) return sm_at_lv_finals[i];
    for (t = 0; t < SM_URC_TABLES; t++)
        for (i = 0; at->urc[t].table && i < at->urc[t].n; i++) {
            const char *x = at->urc[t].table[i].prefix;
            if (x && sm_at_lv_fits(x, at->lv_ref, k, b)) return x;
        }
    return NULL;
}

/* The read was the payload, candidate line included: the bytes seen after
   it go to the line parser as they came. */
SM_PRIV void sm_at_lv_payload(sm_at *at)
{
    uint8_t i, run = at->lv_run, k = at->lv_slen;
    const char *ref = at->lv_ref;
    uint32_t bits = at->lv_bits;
    at->lv_active = 0; /* line_len is 0 here: line[] held the candidate only */
    for (i = 0; i < run; i++) sm_at_feed_one(at, ((bits >> i) & 1u) ? '\n' : '\r');
    for (i = 0; i < k; i++) sm_at_feed_one(at, (uint8_t)ref[i]);
}

/* The count ended inside a line that can begin a URC ("+SQNS" of a
   "+SQNSRING: 1,5" the modem sent before the payload): the read starts
   over. The bytes kept become the start of a line, the bytes seen since
   complete it; the lead is armed again for the payload that follows.
   Returns 0 (nothing done) when the bytes kept cannot be such a line. */
SM_PRIV int sm_at_lv_restart(sm_at *at, uint8_t b)
{
    const char *mir = at->line;
    size_t n = at->lead_seen, i;
    /* all of the read is in line[] only when it was shorter than it */
    if (!n || n >= (size_t)SM_LINE_SIZE - 1 || mir[0] != '+') return 0;
    for (i = 0; i < n; i++)
        if (mir[i] == '\r' || mir[i] == '\n' || mir[i] == 0) return 0;
    if (!sm_at_urc_could_start(at, (const uint8_t *)mir, n)) return 0;
    at->stats.lead_urcs++;
    at->line_len = (uint16_t)n;
    at->raw_trunc = 0;
    at->raw_hold = 0;
    at->raw_got = 0;
    at->raw_over = 0;
    at->lead_raw = 0;
    at->lead_armed = 1;
    at->lead_pos = 0;
    sm_at_lv_payload(at); /* the bytes seen since the count, through the parser */
    sm_at_feed_one(at, b);
    return 1;
}

/* The candidate was a URC that came before the payload: the payload starts
   after it and the lead that followed it, and the bytes seen since the
   count (the window, b last) are its tail. The URC is dispatched, then the
   rest of the payload read; the check is made again at its end. */
/* The k-th byte seen since the count (the window): run, then ref, then b. */
SM_PRIV uint8_t sm_at_lv_window(const sm_at *at, size_t k, uint8_t b)
{
    if (k < at->lv_run) return ((at->lv_bits >> k) & 1u) ? '\n' : '\r';
    k -= at->lv_run;
    return k < at->lv_slen ? (uint8_t)at->lv_ref[k] : b;
}

SM_PRIV void sm_at_lv_urc_first(sm_at *at, uint8_t b)
{
    uint8_t *raw = at->q[0].cmd.raw_buf;
    size_t skip = (size_t)at->lv_cand + 4u, seen = (size_t)at->lv_run + at->lv_slen + 1u, k;
    size_t keep = at->lead_seen > skip ? (size_t)at->lead_seen - skip : 0;
    uint16_t id = at->q[0].id;
    at->lv_active = 0;
    at->stats.lead_urcs++;
    if (raw && at->raw_got >= skip) {
        memmove(raw, raw + skip, at->raw_got - skip);
        at->raw_got -= skip;
    } else {
        at->raw_got = 0; /* the payload's start was not kept: nothing after it is either */
        at->raw_hold = 1;
    }
    if (at->raw_trunc) at->raw_hold = 1; /* the bytes to come do not follow those kept */
    for (k = 0; k < seen; k++) sm_at_raw_put(at, sm_at_lv_window(at, k, b));
    at->raw_left = skip - seen;
    at->lead_raw = 1;
    at->raw_deadline = sm_at_now(at) + (uint32_t)SM_RAW_TIMEOUT_MS;
    at->line[at->lv_cand] = '\0'; /* a '\r' of the skipped line end */
    if (!sm_at_dispatch_urc(at, at->line, at->lv_cand)) sm_at_unexpected(at, at->line, at->lv_cand);
    if (at->phase != SM_PH_WAIT_FINAL || at->q[0].id != id) return; /* a handler ended it */
    /* line[] becomes the copy of the payload's first bytes again, for the
       check at its end (another URC may have come first) */
    memmove(at->line, at->line + skip, keep);
    for (k = 0; k < seen && keep < (size_t)SM_LINE_SIZE - 1; k++)
        at->line[keep++] = (char)sm_at_lv_window(at, k, b);
    at->lead_seen = (uint16_t)keep;
    if (at->lead_raw == 1 && at->raw_left == 0) {
        at->lead_raw = 2;
        sm_at_lead_check(at);
    }
}

/* The bytes after the count do not frame a payload and no URC reading
   explains them (the count ended inside a URC line, a modem that sends
   something else): the read is reported unframed, never as a payload, and
   the bytes go on as lines. */
SM_PRIV void sm_at_lv_unframed(sm_at *at, uint8_t b)
{
    if (sm_at_lv_restart(at, b)) return;
    SM_LOG(1, "AT: a headerless read did not frame");
    at->lead_bad = 1;
    at->stats.lead_unframed++;
    sm_at_lv_payload(at);
    sm_at_feed_one(at, b);
}

/* One byte after the count of a headerless read (see sm_at_lead_check). Out
   of line: the rare case's locals stay off every received byte's stack. */
SM_NOINLINE SM_PRIV void sm_at_lv_byte(sm_at *at, uint8_t b)
{
    size_t seen = (size_t)at->lv_run + at->lv_slen + 1u; /* b included */
    size_t window = (size_t)at->lv_cand + 4u;           /* what the URC reading moved */
    int cand = at->lv_active == 1;
    const char *x;
    if (at->lv_slen == 0 && (b == '\r' || b == '\n')) {
        if (b == '\n') at->lv_bits |= (uint32_t)1u << at->lv_run;
        at->lv_run++;
        if (at->lv_run >= 32u || (cand && seen >= window)) sm_at_lv_payload(at);
        return;
    }
    /* a payload ends with a line end (its own last bytes may be it) */
    x = (at->lv_run || at->lv_le) ? sm_at_lv_next(at, b) : NULL;
    if (!x) {
        if (cand) sm_at_lv_urc_first(at, b);
        else sm_at_lv_unframed(at, b);
        return;
    }
    at->lv_ref = x;
    at->lv_slen++;
    /* a whole final result or URC prefix, or the window used up: payload */
    if (x[at->lv_slen] == '\0' || (cand && seen >= window)) sm_at_lv_payload(at);
}

SECMODEM_API int sm_at_use_headerless(sm_at *at)
{
    static const sm_at_headerless hl = { sm_at_lead_check, sm_at_lv_byte, sm_at_lead_error,
                                         sm_at_lead_error_quiet };
    if (!at) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    at->headerless = &hl;
    return SM_OK;
}

/* One received byte, wherever it belongs (also for bytes given back by a
   headerless read that turned out not to be one). */
SM_PRIV void sm_at_feed_one(sm_at *at, uint8_t b)
{
    if (at->skip_lf) {
        at->skip_lf = 0;
        if (b == '\n') return;
    }
    /* lv_active and lead_armed are set only with the headerless reads on */
    if (at->lv_active) { at->headerless->lv_byte(at, b); return; }
    if (at->raw_left) { (void)sm_at_take_raw(at, &b, 1); return; }
    if (at->lead_armed && sm_at_lead_byte(at, b)) return;
    if ((at->inl_field || at->cut_field) && b == ',' && at->inline_comma && at->inline_comma(at))
        return;
    sm_at_line_byte(at, b);
}

SECMODEM_API int sm_at_feed(sm_at *at, const uint8_t *data, size_t len)
{
    size_t i = 0;
    if (!at || (!data && len)) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    if (at->in_callback) return SM_ERR_BUSY;
    if (len) at->last_rx_ms = sm_at_now(at);
    while (i < len) {
        uint8_t b = data[i];
        /* counted bytes go by the block; everything else byte by byte */
        if (at->raw_left && !at->skip_lf && !at->lv_active) {
            i += sm_at_take_raw(at, data + i, len - i);
            continue;
        }
        i++;
        /* the common byte of a line goes straight to the line parser: what
           sm_at_feed_one would decide, without its checks one by one (no
           raw count here: the block above took it) */
        if (!(at->skip_lf | at->lv_active | at->lead_armed) &&
            (b != ',' || !(at->inl_field | at->cut_field))) {
            sm_at_line_byte(at, b);
            continue;
        }
        sm_at_feed_one(at, b);
    }
    sm_at_pump_tx(at);
    return SM_OK;
}

SECMODEM_API int sm_at_poll(sm_at *at)
{
    int status = SM_OK;
    if (!at) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    if (at->in_callback) return SM_ERR_BUSY;
    /* send first, so that what is read next can be the answer */
    sm_at_pump_tx(at);
    sm_at_start_next(at);
    if (at->plat.read) {
        uint8_t chunk[24]; /* the deepest calls run under it: a few more reads rather than
                              more stack (sm_cord_wait 516 -> 508 B on Cortex-M4) */
        size_t total = 0;
        while (total < (size_t)SM_POLL_READ_MAX) {
            size_t want = (size_t)SM_POLL_READ_MAX - total;
            int n = at->plat.read(at->plat.user, chunk, want < sizeof chunk ? want : sizeof chunk);
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
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    for (t = 0; t < n; t++) /* every row is used as it stands when a line comes */
        if (!table[t].prefix || !table[t].fn) return SM_ERR_PARAM;
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
    if (!at || !table) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
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
    if (!sm_at_ready(at)) return;
    at->unhandled = fn;
    at->unhandled_ctx = ctx;
}

/* ==========================================================================
   5.3 AT ENGINE: DIALECTS AND BLOCKING HELPER
   ========================================================================== */
SECMODEM_API const sm_at_dialect *sm_at_dialect_3gpp(void)
{
    static const sm_at_dialect d = { "3gpp", "\r", NULL, NULL };
    return &d;
}

/* An unquoted decimal field of 1..max_digits digits, spaces around skipped. */
SM_PRIV int sm_at_short_number(sm_fields *f, size_t max_digits)
{
    const char *t;
    size_t n, i;
    int quoted;
    if (sm_fields_token(f, &t, &n, &quoted) != SM_OK || quoted || n == 0 || n > max_digits)
        return 0;
    for (i = 0; i < n; i++)
        if (t[i] < '0' || t[i] > '9') return 0;
    return 1;
}

SECMODEM_API int sm_at_reg_answer(void *ctx, const char *line, size_t len)
{
    sm_fields f;
    const char *colon = line ? (const char *)memchr(line, ':', len) : NULL;
    (void)ctx;
    if (!colon) return 0;
    colon++;
    if (sm_fields_init(&f, colon, len - (size_t)(colon - line), NULL) != SM_OK) return 0;
    return sm_at_short_number(&f, 1) && sm_fields_more(&f) && sm_at_short_number(&f, 2);
}

SECMODEM_API const char *sm_at_next_line(const sm_at_response *r, const char *line)
{
    const char *end;
    if (!r || !r->lines || !r->nlines) return NULL;
    if (!line) return r->lines;
    /* the lines lie back to back, each with its NUL: count to know the last */
    {
        const char *l = r->lines;
        uint16_t i;
        for (i = 0; i < r->nlines; i++) {
            end = l + strlen(l) + 1;
            if (l == line) return i + 1u < r->nlines ? end : NULL;
            l = end;
        }
    }
    return NULL; /* not one of r's lines */
}

SECMODEM_API const char *sm_at_result_name(sm_at_result r)
{
#define SM_AT_RESULT_NAME_(name) #name,
    static const char *const names[] = { SM_AT_RESULT_LIST(SM_AT_RESULT_NAME_) };
#undef SM_AT_RESULT_NAME_
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
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
    sm_at_result result;
    sm_at_response *out;     /* NULL: the caller wants the result only */
    char *lines;
    size_t cap;
} sm_at_wait;

SM_PRIV void sm_at_wait_done(void *ctx, const sm_at_response *r)
{
    sm_at_wait *w = (sm_at_wait *)ctx;
    size_t n = 0, i;
    w->done = 1;
    w->result = r->result;
    if (!w->out) return;
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

/* Queues a copy of cmd that reports to w. The copy lives in this frame only
   (the queue keeps its own), not in the polling loop's. */
SM_NOINLINE SM_PRIV int sm_at_submit_waiting(sm_at *at, const sm_at_cmd *cmd, sm_at_wait *w)
{
    sm_at_cmd c = *cmd;
    c.on_done = sm_at_wait_done;
    c.ctx = w;
    return sm_at_submit(at, &c);
}

SECMODEM_API int sm_at_run_blocking(sm_at *at, const sm_at_cmd *cmd, sm_at_response *out,
                                    char *lines, size_t cap)
{
    sm_at_wait w;
    int id;
    if (!at || !cmd) return SM_ERR_PARAM;
    if (!sm_at_ready(at)) return SM_ERR_STATE;
    if (at->in_callback) return SM_ERR_BUSY;
    w.done = 0;
    w.result = SM_AT_PENDING;
    w.out = out; /* no response copy on the stack when the caller wants none */
    w.lines = lines;
    w.cap = cap;
    id = sm_at_submit_waiting(at, cmd, &w);
    if (id < 0) return id;
    /* Every command ends by its deadline (or the ones queued before it by
       theirs), so this loop terminates whenever the clock advances. */
    while (!w.done) {
        int rc = sm_at_poll(at);
        if (rc == SM_ERR_IO) { sm_at_flush(at, SM_AT_IO_ERROR); }
    }
    return sm_at_result_status(w.result);
}

/* ==========================================================================
   5.4 OPERATIONS: WHAT EVERY DIALECT SHARES (see its declarations)
   ========================================================================== */
#if !defined(SM_NO_SEQUANS) || !defined(SM_NO_CORDELIA)
SM_PRIV void sm_ops_init(sm_ops *o, void *recs, size_t rec_size, size_t cap)
{
    memset(o, 0, sizeof *o);
    o->recs = (unsigned char *)recs;
    o->rec_size = (uint16_t)rec_size;
    o->cap = (uint8_t)cap;
    o->next_id = 1;
}

/* Record i (the first member of a dialect's record is its sm_op). */
SM_PRIV sm_op *sm_ops_rec(const sm_ops *o, size_t i)
{
    return (sm_op *)(void *)(o->recs + i * o->rec_size);
}

/* An id for an operation, or for work a dialect tracks outside the records
   (Sequans' bring-up and time sync): 1..0x7FFF, then 1 again, so it fits
   the int of a 16-bit target and is never 0 or negative (an error). */
SM_PRIV int sm_ops_new_id(sm_ops *o)
{
    uint16_t id = o->next_id;
    o->next_id = (uint16_t)(id >= 0x7FFFu ? 1u : id + 1u);
    return (int)id;
}

/* The first free record, zeroed, not yet in use (sm_ops_open makes it
   so: a start function that fails between the two has claimed nothing),
   or NULL when every record is in use. In order, it is the one after the
   last (the records in use are the first ones). */
SM_PRIV sm_op *sm_ops_claim(sm_ops *o)
{
    size_t i;
    for (i = 0; i < o->cap; i++) {
        sm_op *r = sm_ops_rec(o, i);
        if (r->id) continue;
        memset(r, 0, o->rec_size);
        return r;
    }
    return NULL;
}

/* The claimed record is in use from now: its id. */
SM_PRIV int sm_ops_open(sm_ops *o, sm_op *r)
{
    SM_ASSERT(!r->id && o->used < o->cap);
    r->id = (uint16_t)sm_ops_new_id(o);
    o->used++;
    return (int)r->id;
}

/* How an application's operation ended, for sm_<d>_wait(). */
SM_PRIV void sm_ops_remember(sm_ops *o, int id, int status)
{
    o->recent_id[o->recent_next] = (uint16_t)id;
    o->recent_status[o->recent_next] = (int8_t)status;
    o->recent_next = (uint8_t)((o->recent_next + 1u) % SM_OPS_RECENT);
}

/* Pipelined: the record's operation ended with status. It is remembered
   (unless it is the library's own) and its record freed where it is. */
SM_PRIV void sm_ops_close(sm_ops *o, sm_op *r, int status)
{
    SM_ASSERT(r->id && o->used);
    if (!r->own) sm_ops_remember(o, (int)r->id, status);
    r->id = 0;
    o->used--;
}

/* In order: the running operation (the first record) ended with status;
   the records after it move up. A caller that still needs the record
   copies it first. */
SM_PRIV void sm_ops_close_head(sm_ops *o, int status)
{
    sm_ops_close(o, sm_ops_rec(o, 0), status);
    memmove(o->recs, o->recs + o->rec_size, (size_t)o->used * o->rec_size);
    memset(sm_ops_rec(o, o->used), 0, o->rec_size);
}

/* The running operation of an in-order dialect, or NULL. */
SM_PRIV sm_op *sm_ops_head(const sm_ops *o)
{
    return o->used ? sm_ops_rec(o, 0) : NULL;
}

/* 1 while the application's operation id is in a record. */
SM_PRIV int sm_ops_pending(const sm_ops *o, int id)
{
    size_t i;
    for (i = 0; id > 0 && i < o->cap; i++) {
        const sm_op *r = sm_ops_rec(o, i);
        if ((int)r->id == id && !r->own) return 1;
    }
    return 0;
}

/* The application's operations in records. */
SM_PRIV int sm_ops_busy(const sm_ops *o)
{
    size_t i;
    int n = 0;
    for (i = 0; i < o->cap; i++) n += sm_ops_rec(o, i)->id && !sm_ops_rec(o, i)->own;
    return n;
}

/* How operation id ended, or SM_ERR_PARAM: never started, or ended longer
   ago than the last SM_OPS_RECENT. */
SM_PRIV int sm_ops_status(const sm_ops *o, int id)
{
    size_t i;
    for (i = 0; id > 0 && i < SM_OPS_RECENT; i++)
        if ((int)o->recent_id[i] == id) return o->recent_status[i];
    return SM_ERR_PARAM;
}
#endif /* a dialect */

#ifndef SM_NO_SEQUANS
/* ==========================================================================
   6. SEQUANS GM02S DIALECT (implementation)
   Order: string checks, URC handlers and their table, operation records
   and their completion, bring-up, then the operations by family. "The
   contract" is sim/sequans_contract.md; its section names are cited.
   ========================================================================== */
/* sm_sqn_op.flags */
enum { SM_SQN_OPF_HEADER = 1, SM_SQN_OPF_BAD = 2, SM_SQN_OPF_TEXT = 4 };

/* An operation's descriptor: its command as a format with typed directives
   (sm_sqn_format, "commands from formats" below), the answer's prefix, the
   payload framing its command always has, the timeout, and the finish
   function that reads the answer into the result. The start function
   checks what a directive cannot (ranges, combinations), fills the
   directives' values and the per-call framing (payload, buffer), and calls
   sm_sqn_start. Each is its own object, named only by its start function
   (and, for the few that the MQTT supervision and the time sync also
   start, by those), so an operation never called is never linked. */
typedef void (*sm_sqn_finish_fn)(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r,
                                 sm_result *res);
typedef struct sm_sqn_opdef {
    uint8_t kind;                /* sm_sqn_op_kind: the result's op */
    uint8_t at_flags;            /* SM_AT_F_* its command always has (PROMPT, DIAL) */
    const struct sm_sqn_feature *feat; /* the feature it registers; NULL: none */
    const char *fmt;             /* its command(s), see sm_sqn_format; "": built by
                                    its start function (sm_sqn_hce_reply) */
    const char *prefix;          /* its information line; "": none expected */
    uint32_t timeout_ms;         /* 0: SM_AT_TIMEOUT_MS */
    sm_sqn_finish_fn finish;     /* reads the answer into the result; NULL: nothing */
} sm_sqn_opdef;
/* One descriptor, in the order a reader wants them: the command, its
   answer, then what kind of operation it is (as SM_CORD_OPDEF).
   The format and the prefix are string literals ("": none, and a format ""
   is built by the start function); each becomes an array of its own, so
   that the linker drops it with the descriptor (a literal inside the
   initialiser would land in the unit's shared string section and stay in
   every program). */
#define SM_SQN_OPDEF(name, fmt, prefix, kind, feat, timeout_ms, at_flags, finish)                \
    static const char name##_fmt[] = fmt;                                                        \
    static const char name##_prefix[] = prefix;                                                  \
    static const sm_sqn_opdef name = { (uint8_t)(kind), (uint8_t)(at_flags), feat, name##_fmt,  \
                                       name##_prefix, timeout_ms, finish }

enum { SM_SQN_PH_IDLE = 0, SM_SQN_PH_PROBE, SM_SQN_PH_SCRIPT, SM_SQN_PH_REG, SM_SQN_PH_CLOCK,
       SM_SQN_PH_SYNC };
#define SM_SQN_BOOT_RESTARTS 3

/* No line ever starts with LF (LF ends lines): commands without information
   lines use it as their prefix, so that a stray line during them reaches the
   UNHANDLED event instead of being filed silently as their response. */
static const char sm_sqn_no_lines[] = "\n";

SECMODEM_API const sm_at_dialect *sm_sqn_dialect(void)
{
    /* commands end with "\r"; +SYSSTART after every boot (docs/sequans.md) */
    static const sm_at_dialect d = { "sequans", "\r", "+SYSSTART", NULL };
    return &d;
}

/* ---- string checks ----------------------------------------------------- */
typedef int (*sm_sqn_char_fn)(char c);

SM_PRIV int sm_sqn_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
/* Host names and IP literals (IPv6 included): nothing else belongs there. */
SM_PRIV int sm_sqn_is_host(char c)
{
    return sm_sqn_is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '.' ||
           c == '-' || c == '_' || c == ':';
}
/* a == b. The library's only string comparisons (a slot type, a remembered
   filter) are short: newlib's strcmp, optimised for long strings, would
   cost an application about 700 bytes of flash for them. */
SM_PRIV int sm_sqn_streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* IANA suite ids separated by ';', e.g. "0xC02B;0xC02F" (docs/sequans.md C-12). */
SM_PRIV int sm_sqn_is_cipher(char c) { return sm_sqn_is_hex(c) || c == 'x' || c == 'X' || c == ';'; }

/* Appends s in quotes after sm_check_str (through sm_buf_quoted) and, when
   ok is given, after checking each character against ok. A string that is
   wrong is reported even when the command has already run out of room (the
   queue's free text, see sm_sqn_build): a bad argument is SM_ERR_PARAM or
   SM_ERR_UNSAFE_STRING, never SM_ERR_QUEUE_FULL, which says "try again". */
SM_PRIV void sm_sqn_put(sm_buf *b, const char *s, size_t maxlen, unsigned flags, sm_sqn_char_fn ok)
{
    size_t i;
    int rc = sm_check_str(s, maxlen, flags);
    for (i = 0; rc == SM_OK && ok && s[i]; i++)
        if (!ok(s[i])) rc = SM_ERR_UNSAFE_STRING;
    if (rc) {
        if (!b->err || b->err == SM_ERR_NO_SPACE) b->err = rc;
        return;
    }
    sm_buf_quoted(b, s, maxlen, flags);
}

/* Fields after the URC or response name, "+NAME:<sp?>a,b": the space after
   the colon varies by family (contract: Framing). */
SM_PRIV int sm_sqn_fields(sm_fields *f, const char *line, size_t len)
{
    const char *c = (const char *)memchr(line, ':', len);
    if (!c) return SM_ERR_PARSE;
    return sm_fields_init(f, c + 1, len - (size_t)(c + 1 - line), NULL);
}

/* ---- events ------------------------------------------------------------- */
SM_PRIV void sm_sqn_emit(sm_sqn *m, sm_event *ev)
{
    if (m->on_event) m->on_event(m->event_ctx, m, ev);
}

/* A zeroed event of type t for the URC `line` (len bytes; "" for an event
   of the library's own). */
SM_PRIV void sm_sqn_ev(sm_event *ev, sm_sqn_event_type t, const char *line, size_t len)
{
    memset(ev, 0, sizeof *ev);
    ev->type = (int)t;
    ev->line = line;
    ev->line_len = len;
}

/* A line nobody claimed, or a known URC that does not parse: it is reported,
   never dropped silently. */
SM_PRIV void sm_sqn_on_unknown(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_event ev;
    (void)at;
    sm_sqn_ev(&ev, SM_SQN_EV_UNHANDLED, line, len);
    sm_sqn_emit((sm_sqn *)ctx, &ev);
}

/* Volatile state after a restart (contract: Framing, "everything volatile
   resets"). */
SM_PRIV void sm_sqn_reset_state(sm_sqn *m)
{
    uint16_t reboots = m->st.reboots;
    memset(&m->st, 0, sizeof m->st);
    m->st.reboots = reboots;
    m->st.reg_stat = SM_SQN_REG_UNKNOWN;
}

/* Time and MQTT supervision: hooks defined with it, before the stream. */
SM_PRIV void sm_sqn_urc_ntp(void *ctx, sm_at *at, const char *line, size_t len);
SM_PRIV void sm_sqn_sup_on_connect(sm_sqn *m, int32_t rc);
SM_PRIV void sm_sqn_sup_on_sub(sm_sqn *m, int i, int32_t rc, int subscribe);
SM_PRIV int sm_sqn_sub_find(const sm_sqn *m, const char *filter);
SM_PRIV void sm_sqn_sup_on_pub(sm_sqn *m, uint16_t pmid, int32_t rc);
SM_PRIV void sm_sqn_sup_alive(sm_sqn *m);
SM_PRIV void sm_sqn_sup_forget(sm_sqn *m);
SM_PRIV void sm_sqn_time_reset(sm_sqn *m);
SM_PRIV void sm_sqn_sup_op_done(sm_sqn *m, const sm_sqn_op *op, const sm_result *r);
SM_PRIV int sm_sqn_sup_room(const sm_sqn *m, const char *filter);
SM_PRIV void sm_sqn_sup_track(sm_sqn *m, sm_sqn_op *op, const char *filter, int qos);
SM_PRIV void sm_sqn_sup_connecting(sm_sqn *m, sm_sqn_mqtt_mem *mem, const char *host, uint16_t port,
                                   uint16_t keepalive);
SM_PRIV int sm_sqn_mqtt_step(sm_sqn *m, uint32_t now);
SM_PRIV int sm_sqn_watch_step(sm_sqn *m, uint32_t now);
SM_PRIV void sm_sqn_watch_note(sm_sqn *m, int what, int status, int32_t rc);
SM_PRIV int sm_sqn_sync_step(sm_sqn *m, uint32_t now);
SM_PRIV int sm_sqn_sup_boot_sync(sm_sqn *m, uint32_t now);

/* ---- features (see sm_sqn_use_sockets) ------------------------------------
   A feature is what a family of operations needs besides its commands: the
   handlers of its URCs, its work in sm_sqn_poll() and what a modem restart
   ends. The objects (after the URC handlers) are named only by the
   descriptors of the family's operations and by its switch: that is what
   lets the linker leave out a family the application never uses. */
typedef int (*sm_sqn_step_fn)(sm_sqn *m, uint32_t now);
typedef struct sm_sqn_feature {
    uint8_t slot;              /* SM_SQN_F_*: its entry in sm_sqn.feat */
    sm_urc_rows urcs;          /* its handlers; each prefix is also a row of
                                  sm_sqn_urcs, which keeps the precedence */
    sm_sqn_step_fn step;       /* from sm_sqn_poll(): 1 if it queued; NULL: none */
    void (*reset)(sm_sqn *m);  /* after +SYSSTART; NULL: nothing to end */
    sm_sqn_step_fn boot;       /* the bring-up read an unset clock (time only) */
    /* what another feature's URC tells this one (the supervision: the
       probe's answer, the refusal of its reconnect); NULL: nothing */
    void (*note)(sm_sqn *m, int what, int status, int32_t rc);
} sm_sqn_feature;
/* Slots, in the order sm_sqn_poll() steps them: a time sync queues before
   the MQTT re-subscription, which comes before the supervision's probe and
   reconnect (WATCH, registered by sm_sqn_mqtt_supervise()), as they always
   did. */
enum { SM_SQN_F_SOCK = 0, SM_SQN_F_TIME, SM_SQN_F_MQTT, SM_SQN_F_WATCH, SM_SQN_F_HTTP, SM_SQN_F_HCE,
       SM_SQN_F_COUNT_ };
/* sm_sqn_feature.note's what */
enum { SM_SQN_NOTE_PROBE_ANSWER = 1, SM_SQN_NOTE_RECONNECT_REFUSED };
typedef char sm_sqn_features_fit[SM_SQN_F_COUNT_ == SM_SQN_FEATURES ? 1 : -1];

/* The handler of a feature's URC rows in sm_sqn_urcs: the registered
   feature with that prefix handles the line; with none, it is UNHANDLED. */
SM_PRIV void sm_sqn_urc_route(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn *m = (sm_sqn *)ctx;
    size_t i;
    for (i = 0; i < SM_SQN_FEATURES; i++) {
        const sm_urc *row = m->feat[i] ? sm_urc_first(m->feat[i]->urcs.rows, m->feat[i]->urcs.n,
                                                      line, len)
                                       : NULL;
        if (row) {
            row->fn(ctx, at, line, len);
            return;
        }
    }
    sm_sqn_on_unknown(ctx, at, line, len);
}

SM_PRIV int sm_sqn_use(sm_sqn *m, const sm_sqn_feature *f)
{
    if (!m) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE;
    m->feat[f->slot] = f;
    return SM_OK;
}

/* Every registered feature's work in sm_sqn_poll(); 1 if one queued. */
SM_PRIV int sm_sqn_features_step(sm_sqn *m)
{
    uint32_t now = sm_at_now(&m->at);
    int queued = 0;
    size_t i;
    for (i = 0; i < SM_SQN_FEATURES; i++)
        if (m->feat[i] && m->feat[i]->step) queued |= m->feat[i]->step(m, now);
    return queued;
}

/* After +SYSSTART, from the last slot down: MQTT forgets its session before
   a time sync's done callback runs, as it always did. */
SM_PRIV void sm_sqn_features_reset(sm_sqn *m)
{
    size_t i = SM_SQN_FEATURES;
    while (i--)
        if (m->feat[i] && m->feat[i]->reset) m->feat[i]->reset(m);
}

/* ---- URC handlers (ctx is the sm_sqn) ------------------------------------ */
SM_PRIV void sm_sqn_urc_sysstart(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn *m = (sm_sqn *)ctx;
    sm_event ev;
    /* the engine already ended the command in flight with SM_AT_REBOOT; the
       queued ones were meant for the old session */
    sm_at_flush(at, SM_AT_REBOOT);
    sm_sqn_reset_state(m);
    sm_sqn_features_reset(m);
    m->st.reboots++;
    if (m->boot.phase != SM_SQN_PH_IDLE) m->boot.rebooted = 1;
    sm_sqn_ev(&ev, SM_SQN_EV_RESTARTED, line, len);
    ev.u.startup.count = m->st.reboots;
    sm_sqn_emit(m, &ev);
}

/* +CEREG: <stat>[,"<tac>","<ci>",<AcT>...] is the URC, +CEREG: <n>,<stat>[,...]
   the answer to AT+CEREG? (contract: Network): the URC's second field is
   quoted or absent, the answer's is a bare number. */
SM_PRIV int sm_sqn_parse_cereg(const char *line, size_t len, uint8_t *stat)
{
    sm_fields f;
    int32_t a;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, 0, 255, &a)) return SM_ERR_PARSE;
    if (sm_fields_more(&f)) {
        const char *p = f.p;
        while (p < f.end && *p == ' ') p++;
        if (p < f.end && *p != '"' && sm_fields_int(&f, 0, 255, &a)) return SM_ERR_PARSE;
    }
    if (a > 10) return SM_ERR_PARSE; /* 3GPP TS 27.007 stat 0..10 */
    *stat = (uint8_t)a;
    return SM_OK;
}

/* Registration: always reported for a URC, on change for a query answer. */
SM_PRIV void sm_sqn_cereg(sm_sqn *m, const char *line, size_t len, int is_urc)
{
    sm_event ev;
    uint8_t stat;
    if (sm_sqn_parse_cereg(line, len, &stat)) { sm_sqn_on_unknown(m, &m->at, line, len); return; }
    if (!is_urc && stat == m->st.reg_stat) return;
    m->st.reg_stat = stat;
    m->st.registered = (uint8_t)(stat == 1 || stat == 5); /* home or roaming */
    sm_sqn_ev(&ev, m->st.registered ? SM_SQN_EV_REGISTERED : SM_SQN_EV_DEREGISTERED, line, len);
    ev.u.reg.stat = stat;
    sm_sqn_emit(m, &ev);
}

SM_PRIV void sm_sqn_urc_cereg(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_sqn_cereg((sm_sqn *)ctx, line, len, 1);
}

SM_PRIV void sm_sqn_on_cereg_answer(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_sqn_cereg((sm_sqn *)ctx, line, len, 0);
}

/* 1 if socket id (1..SM_SQN_SOCKETS) was dialled: open, closed by the
   peer, or its dial in flight (data may be announced before the dial's OK). */
SM_PRIV int sm_sqn_sock_known(const sm_sqn *m, int32_t id)
{
    const sm_sqn_sock_state *s = &m->st.sock[id - 1];
    size_t i;
    if (s->open || s->remote_closed) return 1;
    for (i = 0; i < SM_SQN_OPS; i++)
        if (m->ops[i].base.id && m->ops[i].def->kind == SM_SQN_OP_SOCK_DIAL &&
            m->ops[i].arg == (uint8_t)id)
            return 1;
    return 0;
}

/* +SQNSRING: <connId>,<bytes now buffered> (srMode 1; contract: Sockets).
   For a socket this host never dialled (since sm_sqn_init or a restart),
   the line is unexpected: UNHANDLED, no data event, nothing pending. */
SM_PRIV void sm_sqn_urc_sring(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn *m = (sm_sqn *)ctx;
    sm_event ev;
    sm_fields f;
    int32_t id, n;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, 1, SM_SQN_SOCKETS, &id) ||
        sm_fields_int(&f, 0, 65535, &n) || !sm_sqn_sock_known(m, id)) {
        sm_sqn_on_unknown(ctx, at, line, len);
        return;
    }
    m->st.sock[id - 1].pending = (uint16_t)n;
    sm_sqn_ev(&ev, SM_SQN_EV_SOCK_DATA, line, len);
    ev.u.sock.id = (uint8_t)id;
    ev.u.sock.value = n;
    sm_sqn_emit(m, &ev);
}

/* +SQNSH: <connId>: closed by the peer or a failure, after the last data
   was announced (contract: Sockets). */
SM_PRIV void sm_sqn_urc_sh(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn *m = (sm_sqn *)ctx;
    sm_event ev;
    sm_fields f;
    int32_t id;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, 1, SM_SQN_SOCKETS, &id)) {
        sm_sqn_on_unknown(ctx, at, line, len);
        return;
    }
    m->st.sock[id - 1].open = 0;
    m->st.sock[id - 1].remote_closed = 1;
    sm_sqn_ev(&ev, SM_SQN_EV_SOCK_CLOSED, line, len);
    ev.u.sock.id = (uint8_t)id;
    ev.u.sock.value = m->st.sock[id - 1].pending;
    sm_sqn_emit(m, &ev);
}

/* MQTT URCs start with the client id, always 0 (contract: Built-in MQTT client). */
SM_PRIV int sm_sqn_mqtt_fields(sm_fields *f, const char *line, size_t len)
{
    int32_t id;
    if (sm_sqn_fields(f, line, len)) return SM_ERR_PARSE;
    return sm_fields_int(f, 0, 0, &id);
}

/* +SQNSMQTTONCONNECT:0,<rc> and +SQNSMQTTONDISCONNECT:0,<rc>. A connect
   may come without a command: the modem resumes a dropped connection by
   itself (docs/sequans.md R-21). */
SM_PRIV void sm_sqn_mqtt_link(sm_sqn *m, sm_at *at, const char *line, size_t len, int up)
{
    sm_event ev;
    sm_fields f;
    int32_t rc;
    if (sm_sqn_mqtt_fields(&f, line, len) || sm_fields_int(&f, INT32_MIN, INT32_MAX, &rc)) {
        sm_sqn_on_unknown(m, at, line, len);
        return;
    }
    m->st.mqtt_connected = (uint8_t)(up && rc == 0);
    m->st.mqtt_rc = rc;
    sm_sqn_ev(&ev, up ? SM_SQN_EV_MQTT_CONNECTED : SM_SQN_EV_MQTT_DISCONNECTED, line, len);
    ev.u.mqtt.code = rc;
    sm_sqn_emit(m, &ev);
    if (up) sm_sqn_sup_on_connect(m, rc); /* a resume? */
}

SM_PRIV void sm_sqn_urc_mqtt_conn(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn_mqtt_link((sm_sqn *)ctx, at, line, len, 1);
}

SM_PRIV void sm_sqn_urc_mqtt_disc(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn_mqtt_link((sm_sqn *)ctx, at, line, len, 0);
}

/* +SQNSMQTTON(UN)SUBSCRIBE:0,"<topic>",<rc>: its event, then the entry of
   the subscription table that the topic names (-1: none), or -2 for a line
   that did not parse (reported UNHANDLED). In a frame of its own: the
   topic's copy is off the stack before the supervision's follow-up (the
   next command of a re-subscription) is built. */
SM_NOINLINE SM_PRIV int sm_sqn_mqtt_sub_event(sm_sqn *m, sm_at *at, const char *line, size_t len,
                                              sm_sqn_event_type t, int32_t *rc)
{
    sm_event ev;
    sm_fields f;
    char topic[SM_LINE_SIZE];
    if (sm_sqn_mqtt_fields(&f, line, len) || sm_fields_str(&f, topic, sizeof topic) ||
        sm_fields_int(&f, INT32_MIN, INT32_MAX, rc)) {
        sm_sqn_on_unknown(m, at, line, len);
        return -2;
    }
    sm_sqn_ev(&ev, t, line, len);
    ev.u.sub.topic = topic;
    ev.u.sub.code = *rc;
    sm_sqn_emit(m, &ev);
    return sm_sqn_sub_find(m, topic);
}

SM_PRIV void sm_sqn_mqtt_sub(sm_sqn *m, sm_at *at, const char *line, size_t len,
                             sm_sqn_event_type t)
{
    int32_t rc = 0;
    int i = sm_sqn_mqtt_sub_event(m, at, line, len, t, &rc);
    if (i != -2) sm_sqn_sup_on_sub(m, i, rc, t == SM_SQN_EV_MQTT_SUBSCRIBED);
}

SM_PRIV void sm_sqn_urc_mqtt_sub(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn_mqtt_sub((sm_sqn *)ctx, at, line, len, SM_SQN_EV_MQTT_SUBSCRIBED);
}

SM_PRIV void sm_sqn_urc_mqtt_unsub(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn_mqtt_sub((sm_sqn *)ctx, at, line, len, SM_SQN_EV_MQTT_UNSUBSCRIBED);
}

/* +SQNSMQTTONPUBLISH:0,<pmid>,<rc>: pmid as the PUBLISH command returned. */
SM_PRIV void sm_sqn_urc_mqtt_pub(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_event ev;
    sm_fields f;
    int32_t pmid, rc;
    if (sm_sqn_mqtt_fields(&f, line, len) || sm_fields_int(&f, 0, 65535, &pmid) ||
        sm_fields_int(&f, INT32_MIN, INT32_MAX, &rc)) { sm_sqn_on_unknown(ctx, at, line, len); return; }
    sm_sqn_ev(&ev, SM_SQN_EV_MQTT_PUBLISHED, line, len);
    ev.u.pub.pmid = (uint16_t)pmid;
    ev.u.pub.code = rc;
    sm_sqn_emit((sm_sqn *)ctx, &ev);
    sm_sqn_sup_on_pub((sm_sqn *)ctx, (uint16_t)pmid, rc);
}

/* +SQNSMQTTONMESSAGE:0,"<topic>",<len>,<qos>[,<mid>] (mid only for QoS > 0). */
SM_PRIV void sm_sqn_urc_mqtt_msg(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_event ev;
    sm_fields f;
    char topic[SM_LINE_SIZE];
    int32_t n, qos, mid = 0;
    if (sm_sqn_mqtt_fields(&f, line, len) || sm_fields_str(&f, topic, sizeof topic) ||
        sm_fields_int(&f, 0, INT32_MAX, &n) || sm_fields_int(&f, 0, 2, &qos) ||
        (sm_fields_more(&f) && sm_fields_int(&f, 0, 65535, &mid))) {
        sm_sqn_on_unknown(ctx, at, line, len);
        return;
    }
    sm_sqn_ev(&ev, SM_SQN_EV_MQTT_MESSAGE, line, len);
    ev.u.msg.topic = topic;
    ev.u.msg.len = ev.u.msg.total = (uint32_t)n; /* announced: read it with sm_sqn_mqtt_read */
    ev.u.msg.qos = (uint8_t)qos;
    ev.u.msg.mid = (uint16_t)mid;
    sm_sqn_emit((sm_sqn *)ctx, &ev);
    sm_sqn_sup_alive((sm_sqn *)ctx); /* the broker is there */
}

SM_PRIV void sm_sqn_urc_mqtt_full(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_event ev;
    (void)at;
    (void)line;
    (void)len;
    sm_sqn_ev(&ev, SM_SQN_EV_MQTT_MEMORY_FULL, line, len);
    sm_sqn_emit((sm_sqn *)ctx, &ev);
}

/* +SQNHTTPRING: <prof>,<status>,<content_type>,<size>. The content type
   is quoted on a GM02SP (a published log: `1,405,"text/html",157`;
   docs/sequans.md R-32), unquoted in older readings; it may be empty, and
   "a, b" is not impossible: it is what lies between the second and the
   last comma, one pair of surrounding quotes removed. */
SM_PRIV void sm_sqn_urc_http_ring(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn *m = (sm_sqn *)ctx;
    sm_sqn_http_state *h;
    sm_event ev;
    sm_fields f;
    char type[SM_LINE_SIZE];
    const char *last;
    int32_t prof, status, size;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, 0, SM_SQN_HTTP_PROFILES - 1, &prof) ||
        sm_fields_int(&f, 0, 999, &status) || f.done) { sm_sqn_on_unknown(ctx, at, line, len); return; }
    for (last = f.end; last > f.p && last[-1] != ','; last--) {}
    if (last == f.p || sm_parse_i32(last, (size_t)(f.end - last), 0, INT32_MAX, &size)) {
        sm_sqn_on_unknown(ctx, at, line, len);
        return;
    }
    {
        const char *a = f.p, *e = last - 1;
        while (a < e && *a == ' ') a++;
        if (e - a >= 2 && *a == '"' && e[-1] == '"') { a++; e--; }
        memcpy(type, a, (size_t)(e - a));
        type[e - a] = '\0';
    }
    h = &m->st.http[prof];
    h->ring = 1;
    h->status = (uint16_t)status;
    h->size = h->remaining = (uint32_t)size;
    sm_sqn_ev(&ev, SM_SQN_EV_HTTP_RESPONSE, line, len);
    ev.u.http.prof = (uint8_t)prof;
    ev.u.http.status = (uint16_t)status;
    ev.u.http.content_type = type;
    ev.u.http.size = (uint32_t)size;
    sm_sqn_emit(m, &ev);
}

/* +SQNHTTPSH: <prof>,<libcurl error code>, after a status-0 RING. */
SM_PRIV void sm_sqn_urc_http_sh(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn *m = (sm_sqn *)ctx;
    sm_event ev;
    sm_fields f;
    int32_t prof, curl;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, 0, SM_SQN_HTTP_PROFILES - 1, &prof) ||
        sm_fields_int(&f, INT32_MIN, INT32_MAX, &curl)) { sm_sqn_on_unknown(ctx, at, line, len); return; }
    m->st.http[prof].curl = curl;
    sm_sqn_ev(&ev, SM_SQN_EV_HTTP_FAILURE, line, len);
    ev.u.http.prof = (uint8_t)prof;
    ev.u.http.curl = curl;
    sm_sqn_emit(m, &ev);
}

/* Hex digits to bytes: exactly 2 * n digits, either case. */
SM_PRIV int sm_sqn_unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
    size_t i;
    if (len != 2 * n) return SM_ERR_PARSE;
    for (i = 0; i < len; i++) {
        char c = s[i];
        unsigned v;
        if (c >= '0' && c <= '9') v = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v = (unsigned)(c - 'A' + 10);
        else return SM_ERR_PARSE;
        if (i & 1u) out[i / 2] = (uint8_t)(out[i / 2] | v);
        else out[i / 2] = (uint8_t)(v << 4);
    }
    return SM_OK;
}

/* A field as a number 0..254, else SM_SQN_HCE_NO_FIELD (text, quoted,
   empty, out of range: all tolerated, the field is only reported). */
SM_PRIV uint8_t sm_sqn_hce_field(sm_fields *f)
{
    const char *t;
    size_t n;
    int quoted;
    int32_t v;
    if (sm_fields_token(f, &t, &n, &quoted) || sm_parse_i32(t, n, 0, 254, &v)) return SM_SQN_HCE_NO_FIELD;
    return (uint8_t)v;
}

/* +SQNHCESIGN:<ctx>,<f1>,<f2>,<digest>[,...]. No capture of this line is
   published; the only implementation that answers it (Microchip's
   MQTT client, docs/sequans.md R-35) reads field 0 as the context and field
   3 as the 64 hex digits of the digest, and nothing else. So: ctx 0..65535
   (quoted or not), digest quoted or not, fields 1-2 reported when numeric,
   more fields tolerated. Without a usable digest: HCE_INVALID, never silent,
   so that the request can still be answered with a failure. */
SM_PRIV void sm_sqn_urc_hce(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_event ev;
    sm_fields f;
    const char *t;
    size_t n;
    int quoted;
    int32_t id = 0;
    uint8_t digest[32];
    (void)at;
    sm_sqn_ev(&ev, SM_SQN_EV_HCE_INVALID, line, len);
    ev.u.hce.key = ev.u.hce.alg = SM_SQN_HCE_NO_FIELD;
    if (!sm_sqn_fields(&f, line, len) && !sm_fields_token(&f, &t, &n, &quoted) &&
        !sm_parse_i32(t, n, 0, 65535, &id)) {
        ev.u.hce.has_ctx = 1;
        ev.u.hce.ctx = (uint16_t)id;
        ev.u.hce.key = sm_sqn_hce_field(&f);
        ev.u.hce.alg = sm_sqn_hce_field(&f);
        if (!sm_fields_token(&f, &t, &n, &quoted) && !sm_sqn_unhex(t, n, digest, sizeof digest)) {
            ev.type = SM_SQN_EV_HCE_SIGN;
            ev.u.hce.digest = digest;
        }
    }
    sm_sqn_emit((sm_sqn *)ctx, &ev);
}

/* The URC table, in the contract's order. First match wins; the last entry
   catches every other +SQN line so that none vanishes into a response. */
/* The features' own tables: handlers by prefix (see sm_sqn_urc_route). */
static const sm_urc sm_sqn_sock_urcs[] = {
    { "+SQNSRING:",              sm_sqn_urc_sring },
    { "+SQNSH:",                 sm_sqn_urc_sh },
};
static const sm_sqn_feature sm_sqn_feat_sock = {
    SM_SQN_F_SOCK, SM_URC_ROWS(sm_sqn_sock_urcs), NULL, NULL, NULL, NULL
};
static const sm_urc sm_sqn_mqtt_urcs[] = {
    { "+SQNSMQTTONCONNECT:",     sm_sqn_urc_mqtt_conn },
    { "+SQNSMQTTONDISCONNECT:",  sm_sqn_urc_mqtt_disc },
    { "+SQNSMQTTONSUBSCRIBE:",   sm_sqn_urc_mqtt_sub },
    { "+SQNSMQTTONUNSUBSCRIBE:", sm_sqn_urc_mqtt_unsub },
    { "+SQNSMQTTONPUBLISH:",     sm_sqn_urc_mqtt_pub },
    { "+SQNSMQTTONMESSAGE:",     sm_sqn_urc_mqtt_msg },
    { "+SQNSMQTTMEMORYFULL",     sm_sqn_urc_mqtt_full },
};
static const sm_sqn_feature sm_sqn_feat_mqtt = {
    SM_SQN_F_MQTT, SM_URC_ROWS(sm_sqn_mqtt_urcs), sm_sqn_mqtt_step, sm_sqn_sup_forget, NULL,
    NULL
};
/* The supervision's probe and reconnect: no URCs of its own (it follows
   the MQTT feature's through note), its step, nothing to reset (MQTT's
   reset forgets the session it watches). */
static const sm_sqn_feature sm_sqn_feat_watch = {
    SM_SQN_F_WATCH, { NULL, 0 }, sm_sqn_watch_step, NULL, NULL, sm_sqn_watch_note
};
static const sm_urc sm_sqn_http_urcs[] = {
    { "+SQNHTTPRING:",           sm_sqn_urc_http_ring },
    { "+SQNHTTPSH:",             sm_sqn_urc_http_sh },
};
static const sm_sqn_feature sm_sqn_feat_http = {
    SM_SQN_F_HTTP, SM_URC_ROWS(sm_sqn_http_urcs), NULL, NULL, NULL, NULL
};
static const sm_urc sm_sqn_hce_urcs[] = {
    { "+SQNHCESIGN:",            sm_sqn_urc_hce },
};
static const sm_sqn_feature sm_sqn_feat_hce = {
    SM_SQN_F_HCE, SM_URC_ROWS(sm_sqn_hce_urcs), NULL, NULL, NULL, NULL
};
static const sm_urc sm_sqn_time_urcs[] = {
    { "+SQNNTP:",                sm_sqn_urc_ntp },        /* docs/sequans.md R-40 */
};
static const sm_sqn_feature sm_sqn_feat_time = {
    SM_SQN_F_TIME, SM_URC_ROWS(sm_sqn_time_urcs), sm_sqn_sync_step, sm_sqn_time_reset,
    sm_sqn_sup_boot_sync, NULL
};

SECMODEM_API int sm_sqn_use_sockets(sm_sqn *m) { return sm_sqn_use(m, &sm_sqn_feat_sock); }
/* Hands over the MQTT memory (once: see its declaration) and registers the
   feature. */
SECMODEM_API int sm_sqn_use_mqtt(sm_sqn *m, sm_sqn_mqtt_mem *mem)
{
    if (!m || !mem) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE;
    if (m->sup.mem && m->sup.mem != mem) return SM_ERR_STATE; /* it holds the session */
    if (!m->sup.mem) {
        memset(mem, 0, sizeof *mem); /* nothing remembered yet */
        m->sup.mem = mem;
    }
    return sm_sqn_use(m, &sm_sqn_feat_mqtt);
}
SECMODEM_API int sm_sqn_use_http(sm_sqn *m) { return sm_sqn_use(m, &sm_sqn_feat_http); }
SECMODEM_API int sm_sqn_use_time(sm_sqn *m) { return sm_sqn_use(m, &sm_sqn_feat_time); }
SECMODEM_API int sm_sqn_use_hce(sm_sqn *m) { return sm_sqn_use(m, &sm_sqn_feat_hce); }
SECMODEM_API int sm_sqn_use_all(sm_sqn *m)
{
    int rc = sm_sqn_use_sockets(m);
    if (!rc) rc = sm_sqn_use(m, &sm_sqn_feat_mqtt); /* its URCs; no memory */
    if (!rc) rc = sm_sqn_use_http(m);
    if (!rc) rc = sm_sqn_use_time(m);
    if (!rc) rc = sm_sqn_use_hce(m);
    return rc;
}

/* The URC table, in the contract's order. First match wins; the last entry
   catches every other +SQN line so that none vanishes into a response. A
   feature's rows are routed to it (sm_sqn_urc_route): the rows stay here,
   registered or not, so that which line is a URC never depends on what the
   application has used so far. */
static const sm_urc sm_sqn_urcs[] = {
    { "+SYSSTART",               sm_sqn_urc_sysstart },   /* Framing */
    { "+CEREG:",                 sm_sqn_urc_cereg },      /* Network */
    { "+SQNSRING:",              sm_sqn_urc_route },      /* Sockets */
    { "+SQNSH:",                 sm_sqn_urc_route },
    { "+SQNSMQTTONCONNECT:",     sm_sqn_urc_route },      /* MQTT */
    { "+SQNSMQTTONDISCONNECT:",  sm_sqn_urc_route },
    { "+SQNSMQTTONSUBSCRIBE:",   sm_sqn_urc_route },
    { "+SQNSMQTTONUNSUBSCRIBE:", sm_sqn_urc_route },
    { "+SQNSMQTTONPUBLISH:",     sm_sqn_urc_route },
    { "+SQNSMQTTONMESSAGE:",     sm_sqn_urc_route },
    { "+SQNSMQTTMEMORYFULL",     sm_sqn_urc_route },
    { "+SQNHTTPRING:",           sm_sqn_urc_route },      /* HTTP */
    { "+SQNHTTPSH:",             sm_sqn_urc_route },
    { "+SQNHCESIGN:",            sm_sqn_urc_route },      /* Host signing */
    { "+SQNNTP:",                sm_sqn_urc_route },      /* time */
    { "+SQN",                    sm_sqn_on_unknown },     /* anything else: UNHANDLED */
};

SECMODEM_API int sm_sqn_init(sm_sqn *m, const sm_platform *plat, sm_sqn_event_fn on_event,
                             void *ctx)
{
    int rc;
    if (!m) return SM_ERR_PARAM;
    if (sm_at_in_own_callback(&m->at)) return SM_ERR_BUSY; /* see sm_at_init */
    memset(m, 0, sizeof *m);
    rc = sm_at_init(&m->at, plat, sm_sqn_dialect());
    if (rc) return rc;
    rc = sm_at_add_urcs(&m->at, sm_sqn_urcs, sizeof sm_sqn_urcs / sizeof sm_sqn_urcs[0], m);
    if (rc) return rc;
    sm_at_on_unhandled(&m->at, sm_sqn_on_unknown, m);
    m->on_event = on_event;
    m->event_ctx = ctx;
    m->st.reg_stat = SM_SQN_REG_UNKNOWN;
    sm_ops_init(&m->opq, m->ops, sizeof m->ops[0], SM_SQN_OPS); /* pipelined */
    return SM_OK;
}

SECMODEM_API int sm_sqn_feed(sm_sqn *m, const uint8_t *data, size_t len)
{
    return m ? sm_at_feed(&m->at, data, len) : SM_ERR_PARAM;
}


/* ---- operation records (their descriptor is at the top of this section) --- */
/* Parses `+CCLK: "yy/MM/dd,hh:mm:ss+zz"` (zz in quarter hours; contract:
   Network). yy >= 70 is the unset clock counting from 1970. */
SM_PRIV int sm_sqn_parse_cclk(const char *line, size_t len, sm_datetime *c)
{
    static const char seps[] = "//,::";
    sm_fields f;
    char s[24];
    int32_t v[6], tz;
    size_t i;
    if (sm_sqn_fields(&f, line, len) || sm_fields_str(&f, s, sizeof s) || strlen(s) < 19)
        return SM_ERR_PARSE;
    for (i = 0; i < 6; i++) {
        if (sm_parse_i32(s + 3 * i, 2, 0, 99, &v[i])) return SM_ERR_PARSE;
        if (i < 5 && s[3 * i + 2] != seps[i]) return SM_ERR_PARSE;
    }
    if ((s[17] != '+' && s[17] != '-') || sm_parse_i32(s + 17, strlen(s + 17), -96, 96, &tz) ||
        v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
        return SM_ERR_PARSE;
    c->valid = (uint8_t)(v[0] < 70);
    c->year = (uint16_t)(v[0] < 70 ? 2000 + v[0] : 1900 + v[0]);
    c->month = (uint8_t)v[1];
    c->day = (uint8_t)v[2];
    c->hour = (uint8_t)v[3];
    c->minute = (uint8_t)v[4];
    c->second = (uint8_t)v[5];
    c->tz_quarters = (int8_t)tz;
    return SM_OK;
}

/* Bytes of an answer that is not the one asked for: read, never stored. */
SM_PRIV void sm_sqn_drop_sink(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
}

/* Response-line handlers of the operations (ctx is the sm_sqn_op). A header
   that announces N raw bytes makes the engine read exactly N, whatever else
   is wrong with it, so that the framing holds; the problem is reported in
   the result. An answer for another socket or slot (or of another type)
   has its bytes dropped: they never reach the caller's buffer. */
SM_PRIV void sm_sqn_on_announce(sm_sqn_op *op, sm_at *at, int32_t id, int32_t n, int raw)
{
    op->flags |= SM_SQN_OPF_HEADER;
    op->total = (uint32_t)n;
    if (id != op->arg) op->flags |= SM_SQN_OPF_BAD;
    if (raw)
        (void)sm_at_expect_raw(at, (size_t)n, (op->flags & SM_SQN_OPF_BAD) ? sm_sqn_drop_sink : NULL,
                               NULL);
}

/* `+SQNSRECV: <connId>,<len>` then len raw bytes (contract: Sockets). */
SM_PRIV void sm_sqn_on_srecv(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn_op *op = (sm_sqn_op *)ctx;
    sm_fields f;
    int32_t id, n;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, 1, SM_SQN_SOCKETS, &id) ||
        sm_fields_int(&f, 0, 65535, &n) || sm_fields_more(&f)) { op->flags |= SM_SQN_OPF_BAD; return; }
    sm_sqn_on_announce(op, at, id, n, 1);
}

/* `+SQNSNVR: "<type>",<i>,...`. A GM02S answers a certificate read with a
   metadata line: issuer, serial, subject, date, signature algorithm,
   fingerprint (a GM02S log; Walter's driver reads it as text up to OK;
   docs/sequans.md R-13), longer than a line buffer:
   the read is a SM_AT_F_LINE_TO_RAW command, so the text after the prefix
   is in the caller's buffer already. The form `"certificate",<i>,<len>` then
   len raw bytes (a reading no device log shows) is still accepted: its
   count replaces the text. The private-key answer is unknown: any line
   for the slot says the key is there; a <len> field, if any, is its size. */
SM_PRIV void sm_sqn_on_nvr(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn_op *op = (sm_sqn_op *)ctx;
    int cert = op->def->kind == SM_SQN_OP_NVM_READ;
    sm_fields f, rest;
    char type[12];
    int32_t slot, n;
    if (sm_sqn_fields(&f, line, len) || sm_fields_str(&f, type, sizeof type) ||
        sm_fields_int(&f, 0, SM_SQN_NVM_SLOTS - 1, &slot)) { op->flags |= SM_SQN_OPF_BAD; return; }
    if (!sm_sqn_streq(type, cert ? "certificate" : "privatekey") || slot != op->arg) op->flags |= SM_SQN_OPF_BAD;
    rest = f;
    if (len < (size_t)SM_LINE_SIZE - 1u && !sm_fields_int(&rest, 0, 65535, &n) && !sm_fields_more(&rest)) {
        if (cert) sm_at_raw_rewind(at); /* the count, not the line, says what the body is */
        sm_sqn_on_announce(op, at, slot, n, cert);
        return;
    }
    op->flags |= SM_SQN_OPF_HEADER | SM_SQN_OPF_TEXT;
}

/* `+SQNSS: <connId>,<state>[,...]`, one line per socket. */
SM_PRIV void sm_sqn_on_sqnss(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn_op *op = (sm_sqn_op *)ctx;
    sm_fields f;
    int32_t id, state;
    (void)at;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, 1, SM_SQN_SOCKETS, &id) ||
        sm_fields_int(&f, 0, 255, &state)) { op->flags |= SM_SQN_OPF_BAD; return; }
    op->flags |= SM_SQN_OPF_HEADER;
    op->st[id - 1] = (uint8_t)state;
}

/* Fields of the first response line, NULL-safe. */
SM_PRIV int sm_sqn_first_line(const sm_at_response *r, sm_fields *f)
{
    if (!r->nlines) return SM_ERR_PARSE;
    return sm_sqn_fields(f, r->lines, strlen(r->lines));
}

/* An error answer to AT+SQNSMQTTRCVMESSAGE begins with "\r\n" like its
   payload (contract: Built-in MQTT client), so the engine may have counted it as payload
   bytes and then timed out: recognised here from the bytes kept. */
SM_PRIV void sm_sqn_error_in_payload(const uint8_t *buf, size_t n, sm_result *res)
{
    int32_t code = SM_AT_NO_CODE;
    size_t d = 11;
    if (n >= 11 && memcmp(buf, "+CME ERROR:", 11) == 0) {
        while (d < n && buf[d] == ' ') d++;
        code = 0;
        while (d < n && buf[d] >= '0' && buf[d] <= '9' && code < 100000)
            code = code * 10 + (int32_t)(buf[d++] - '0');
        res->at = SM_AT_CME_ERROR;
    } else if (n >= 5 && memcmp(buf, "ERROR", 5) == 0) {
        res->at = SM_AT_ERROR;
    } else {
        return;
    }
    res->code = code;
    res->status = SM_ERR_MODEM;
}

/* Payload results (SOCK_RECV, NVM_READ, MQTT_READ, HTTP_READ): total was
   announced, len reached the caller's buffer. */
SM_PRIV void sm_sqn_data_status(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r,
                                sm_result *res)
{
    res->value = op->arg;
    res->len = (uint32_t)r->raw_len;
    if (op->flags & SM_SQN_OPF_TEXT) { /* a metadata line: its length is what came */
        res->u.nvm_text = 1;
        res->total = (uint32_t)(r->raw_len + r->raw_over);
        /* more came than fitted: TRUNCATED; bytes lost otherwise (a count
           that never came whole): not an answer this library can read */
        if (res->status == SM_OK && r->raw_over) res->status = SM_ERR_TRUNCATED;
        else if (res->status == SM_OK && r->raw_truncated) res->status = SM_ERR_PARSE;
        if (res->status == SM_OK && (op->flags & SM_SQN_OPF_BAD)) res->status = SM_ERR_PARSE;
        return;
    }
    res->total = op->total;
    if (op->def->kind == SM_SQN_OP_HTTP_READ) {
        sm_sqn_http_state *h = &m->st.http[op->arg];
        if (res->status != SM_OK && r->raw_len == 0) h->remaining += op->total; /* nothing came */
        res->u.remaining = res->status == SM_OK ? op->rest : h->remaining;
    }
    if (op->def->kind == SM_SQN_OP_SOCK_RECV && (op->flags & SM_SQN_OPF_HEADER) &&
        !(op->flags & SM_SQN_OPF_BAD)) { /* another socket's count is not this one's */
        sm_sqn_sock_state *s = &m->st.sock[op->arg - 1];
        s->pending = (uint16_t)(s->pending > op->total ? s->pending - op->total : 0u);
    }
    if (res->status != SM_OK) {
        if (op->def->kind == SM_SQN_OP_MQTT_READ && op->buf)
            sm_sqn_error_in_payload(op->buf, r->raw_len, res);
        return;
    }
    /* the read did not end as a payload does: its bytes are not the payload */
    if (r->raw_unframed) { res->status = SM_ERR_PARSE; return; }
    if (!(op->flags & SM_SQN_OPF_HEADER) || (op->flags & SM_SQN_OPF_BAD))
        res->status = SM_ERR_PARSE;
    else if (r->raw_len < op->total)
        res->status = op->total > op->cap ? SM_ERR_TRUNCATED : SM_ERR_PARSE; /* else: cut short */
}

/* One rule for every receive path of both dialects (docs/receive-checks.md):
   len counts data only when the read succeeded or was truncated; what a
   failed read left in the buffer is not data. */
SM_PRIV void sm_sqn_finish_data(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r,
                                sm_result *res)
{
    sm_sqn_data_status(m, op, r, res);
    res->truncated = (uint8_t)(res->status == SM_ERR_TRUNCATED);
    if (res->status != SM_OK && res->status != SM_ERR_TRUNCATED) res->len = 0;
}

/* SQNSI: `+SQNSI: <connId>,<sent>,<received>,<buff_in>,<ack_waiting>`. */
SM_PRIV int sm_sqn_parse_info(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    int32_t id, v[4];
    size_t i;
    if (sm_sqn_first_line(r, &f) || sm_fields_int(&f, 1, SM_SQN_SOCKETS, &id) || id != op->arg)
        return SM_ERR_PARSE;
    for (i = 0; i < 4; i++)
        if (sm_fields_int(&f, 0, INT32_MAX, &v[i])) return SM_ERR_PARSE;
    res->u.sock_info.sent = (uint32_t)v[0];
    res->u.sock_info.received = (uint32_t)v[1];
    res->u.sock_info.buffered = (uint32_t)v[2];
    res->u.sock_info.unacked = (uint32_t)v[3];
    m->st.sock[id - 1].pending = (uint16_t)(v[2] > 65535 ? 65535 : v[2]);
    return SM_OK;
}

/* `+SQNSMQTTPUBLISH: <pmid>` (a GM02SP on LR8.2.1.0 and the manual as the
   monarch2 crate quotes it: one field; docs/sequans.md R-25) or, tolerated,
   `+SQNSMQTTPUBLISH: 0,<pmid>` (client id first, like the URCs). */
SM_PRIV int sm_sqn_parse_pmid(const sm_at_response *r, uint16_t *pmid)
{
    sm_fields f;
    int32_t a, b;
    if (sm_sqn_first_line(r, &f) || sm_fields_int(&f, 0, 65535, &a)) return SM_ERR_PARSE;
    if (!sm_fields_more(&f)) { *pmid = (uint16_t)a; return SM_OK; }
    if (a != 0 || sm_fields_int(&f, 0, 65535, &b) || sm_fields_more(&f)) return SM_ERR_PARSE;
    *pmid = (uint16_t)b;
    return SM_OK;
}

/* ---- the operations' finish functions: what each reads from its answer
   into the result and the state, once its last command ended. They run
   whatever the status (a payload read explains a failure; the MQTT
   supervision follows failures too): the rest return unless SM_OK. */
SM_PRIV void sm_sqn_fin_clock(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    (void)m;
    (void)op;
    if (res->status != SM_OK) return;
    res->status = r->nlines ? sm_sqn_parse_cclk(r->lines, strlen(r->lines), &res->u.clock) : SM_ERR_PARSE;
}

SM_PRIV void sm_sqn_fin_key_info(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    (void)m;
    (void)r;
    if (res->status != SM_OK) return;
    res->value = op->arg;
    res->total = op->total;
    if (!(op->flags & SM_SQN_OPF_HEADER) || (op->flags & SM_SQN_OPF_BAD)) res->status = SM_ERR_PARSE;
}

SM_PRIV void sm_sqn_fin_dial(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    sm_sqn_sock_state *s = &m->st.sock[op->arg - 1];
    (void)r;
    if (res->status != SM_OK) return;
    s->open = 1;
    s->remote_closed = 0;
    s->pending = 0;
}

SM_PRIV void sm_sqn_fin_close(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    (void)r;
    if (res->status == SM_OK) m->st.sock[op->arg - 1].open = 0;
}

SM_PRIV void sm_sqn_fin_status(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    size_t i;
    (void)r;
    if (res->status != SM_OK) return;
    for (i = 0; i < SM_SQN_SOCKETS; i++) {
        res->u.sock_state[i] = op->st[i];
        m->st.sock[i].open = (uint8_t)(op->st[i] != 0);
    }
    if (!(op->flags & SM_SQN_OPF_HEADER) || (op->flags & SM_SQN_OPF_BAD)) res->status = SM_ERR_PARSE;
}

SM_PRIV void sm_sqn_fin_info(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    if (res->status == SM_OK) res->status = sm_sqn_parse_info(m, op, r, res);
}

SM_PRIV void sm_sqn_fin_pmid(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    uint16_t pmid = 0;
    (void)m;
    (void)op;
    if (res->status != SM_OK) return;
    res->status = sm_sqn_parse_pmid(r, &pmid);
    res->value = pmid;
}

SM_PRIV void sm_sqn_fin_send(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    (void)m;
    (void)r;
    if (res->status != SM_OK) return;
    /* the modem answers OK alone (docs/sequans.md C-17): it took them all */
    res->value = op->arg;
    res->len = op->total;
}

/* MQTT connect, subscribe, unsubscribe, disconnect: the subscription table
   and the supervision follow their results, failures included. */
SM_PRIV void sm_sqn_fin_mqtt_sup(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    (void)r;
    sm_sqn_sup_op_done(m, op, res);
}

/* The engine's completion of each command of an operation; the operation
   completes with its last command, reporting the first failure. */
SM_PRIV void sm_sqn_cmd_done(void *ctx, const sm_at_response *r)
{
    sm_sqn_op *op = (sm_sqn_op *)ctx;
    sm_sqn *m = op->m;
    sm_result res;
    sm_sqn_done_fn done;
    void *dctx;
    if (r->result != SM_AT_OK && !op->err_result) {
        op->err_result = (uint8_t)r->result;
        op->err_code = r->code;
    }
    if (--op->cmds) return;
    memset(&res, 0, sizeof res);
    res.id = (int)op->base.id;
    res.op = op->def->kind;
    res.at = op->err_result ? (sm_at_result)op->err_result : SM_AT_OK;
    res.code = op->err_result == SM_AT_CME_ERROR ? op->err_code : SM_AT_NO_CODE;
    res.status = sm_at_result_status(res.at);
    if (op->def->finish) op->def->finish(m, op, r, &res);
    done = op->done;
    dctx = op->ctx;
    sm_ops_close(&m->opq, &op->base, res.status); /* free before the callback, which may
                                                     start the next one */
    if (done) done(dctx, m, &res);
}

SM_PRIV void sm_sqn_cmd(sm_at_cmd *c, const char *text, const char *prefix, uint32_t timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->text = text;
    c->prefix = prefix ? prefix : sm_sqn_no_lines;
    c->timeout_ms = timeout_ms;
}

/* Claims a record and queues the n commands of one operation, all or none
   (a two-command operation is never half queued), and registers the
   operation's feature. *out (may be NULL) gets the record; its fields may
   still be set by the caller, since no callback runs before the next poll
   or feed. Returns the id or SM_ERR_*. */
SM_PRIV int sm_sqn_queue(sm_sqn *m, const sm_sqn_opdef *def, uint8_t arg, sm_at_cmd *c, size_t n,
                         sm_sqn_done_fn done, void *ctx, sm_sqn_op **out)
{
    sm_sqn_op *op;
    size_t i;
    int rc;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE; /* every operation starts here */
    op = (sm_sqn_op *)(void *)sm_ops_claim(&m->opq);
    if (!op) return SM_ERR_QUEUE_FULL;
    for (i = 0; i < n; i++) {
        c[i].on_done = sm_sqn_cmd_done;
        c[i].ctx = op;
    }
    rc = sm_at_submit_all(&m->at, c, n);
    if (rc < 0) return rc; /* the record stays free */
    op->m = m;
    op->def = def;
    op->arg = arg;
    op->done = done;
    op->ctx = ctx;
    op->cmds = (uint8_t)n;
    (void)sm_ops_open(&m->opq, &op->base);
    if (def->feat) m->feat[def->feat->slot] = def->feat; /* its URCs are handled from now */
    if (out) *out = op;
    return (int)op->base.id;
}

/* ---- commands from formats -------------------------------------------------
   A descriptor's format is its command as the contract writes it, with a
   directive for each argument. A directive takes the next value of
   sm_sqn_args (numbers from n[], strings from s[], each in the order of
   the format), checks it and writes it:
     %n  a number, in decimal
     %o  a number as int32_t, nothing when it is negative (a slot not given)
     %?  a number: 0 ends the command here (an optional tail)
     %l  a string of the library's own, as it is (a keyword)
   and quoted strings, each checked by sm_sqn_put against its kind (a
   string can never end its field or the command early):
     %h  host name or address            %t  MQTT topic or filter
     %c  IANA cipher suite ids           %x  hex credential (PSK)
     %u  UTF-8 credential, "" for NULL   %U  the same, not empty (client id)
     %r  HTTP resource path              %H  HTTP header
     %N  NTP server list
   A '\n' separates the commands of an operation that sends several (each
   queued with the descriptor's prefix and timeout, all or none).
   Commands are built in the engine's queue itself (sm_at_text_space), not
   in a buffer on the stack. */
typedef struct sm_sqn_args {
    const uint32_t *n;           /* the numbers, in the order of their directives */
    const char *const *s;        /* the strings, likewise */
    uint8_t arg;                 /* the operation's socket, slot or profile (sm_sqn_op.arg) */
} sm_sqn_args;

/* A quoted string directive: its letter, the sm_check_str flags, the
   longest string and the characters allowed (NULL: any the flags allow). */
typedef struct sm_sqn_strkind {
    char d;
    uint8_t flags;
    uint16_t max;
    sm_sqn_char_fn ok;
} sm_sqn_strkind;
/* A list of NTP servers: host names separated by commas. */
SM_PRIV int sm_sqn_is_ntp_list(char c) { return sm_sqn_is_host(c) || c == ','; }
static const sm_sqn_strkind sm_sqn_strkinds[] = {
    { 'h', SM_STR_NONEMPTY | SM_STR_NO_SPACE | SM_STR_NO_COMMA, SM_SQN_HOST_MAX, sm_sqn_is_host },
    { 't', SM_STR_NONEMPTY | SM_STR_UTF8, SM_SQN_TOPIC_MAX, NULL },
    { 'c', SM_STR_NO_SPACE, SM_SQN_CIPHERS_MAX, sm_sqn_is_cipher },
    { 'x', 0, SM_SQN_CRED_MAX, sm_sqn_is_hex },
    { 'u', SM_STR_UTF8, SM_SQN_CRED_MAX, NULL },
    { 'U', SM_STR_NONEMPTY | SM_STR_UTF8, SM_SQN_CRED_MAX, NULL },
    { 'r', SM_STR_NONEMPTY | SM_STR_NO_SPACE, SM_SQN_PATH_MAX, NULL },
    { 'H', SM_STR_NONEMPTY, SM_SQN_HEADER_MAX, NULL },
    { 'N', SM_STR_NONEMPTY | SM_STR_NO_SPACE, SM_SQN_HOST_MAX, sm_sqn_is_ntp_list },
    { 0, 0, 0, NULL } /* the end: any other letter is no directive */
};
typedef char sm_sqn_strkind_max_fits[SM_SQN_HOST_MAX <= 65535 && SM_SQN_TOPIC_MAX <= 65535 &&
                                     SM_SQN_CRED_MAX <= 65535 && SM_SQN_PATH_MAX <= 65535 &&
                                     SM_SQN_HEADER_MAX <= 65535 && SM_SQN_CIPHERS_MAX <= 65535
                                     ? 1 : -1];

/* Where a format is read from: the format and the values not yet used. */
typedef struct sm_sqn_fmt_pos {
    const char *f;
    const uint32_t *n;
    const char *const *s;
} sm_sqn_fmt_pos;

/* Writes one command of the format at pos into b, up to its '\n' or its
   end, and leaves pos after it. A directive without its value (no array,
   an unknown letter) is the descriptor's error: SM_ERR_PARAM, nothing sent. */
SM_NOINLINE SM_PRIV void sm_sqn_format(sm_buf *b, sm_sqn_fmt_pos *pos)
{
    const char *f = pos->f;
    for (; *f && *f != '\n'; f++) {
        const sm_sqn_strkind *k;
        const char *str;
        uint32_t v;
        char d;
        if (*f != '%') { sm_buf_char(b, *f); continue; }
        d = *++f;
        for (k = sm_sqn_strkinds; k->d && k->d != d; k++) {}
        if (k->d || d == 'l') { /* a string */
            if (!pos->s) { b->err = SM_ERR_PARAM; break; }
            /* the descriptor pairs its directives with the caller's values, in
               order and number: an analyser that cannot read a format sees
               the array's end here */
            str = *pos->s++; /* NOLINT(clang-analyzer-core.uninitialized.Assign) */
            /* NULL is "" where empty is allowed, else the caller's error (SM_ERR_PARAM) */
            if (!str && (d == 'l' || !(k->flags & SM_STR_NONEMPTY))) str = "";
            if (d == 'l') sm_buf_str(b, str);
            else sm_sqn_put(b, str, k->max, k->flags, k->ok);
            continue;
        }
        if ((d != 'n' && d != 'o' && d != '?') || !pos->n) { b->err = SM_ERR_PARAM; break; }
        v = *pos->n++; /* NOLINT(clang-analyzer-core.uninitialized.Assign): as above */
        if (d == '?') {
            if (!v) { while (f[1] && f[1] != '\n') f++; }
        } else if (d == 'n' || (int32_t)v >= 0) {
            sm_buf_u32(b, v);
        }
    }
    pos->f = *f ? f + 1 : f;
}

/* Builds the n commands of def's format from a (NULL when it has no
   directives) into c[0..n), in the queue's free text one after the other
   (sm_at_text_space: no buffer on the stack, no copy): their text, prefix,
   timeout and the descriptor's flags (added to what the caller set).
   Nothing is queued yet. The verdict: SM_OK; SM_ERR_QUEUE_FULL when the
   queue's free text is what is short (try again after a poll);
   SM_ERR_PARAM when a command is longer than SM_SQN_CMD_MAX, or the
   operation's commands longer together than an empty queue holds (strings
   too long: it never fits); or the argument's error. The engine's
   sm_at_text_verdict, as in section 7. */
SM_PRIV int sm_sqn_build(sm_sqn *m, const sm_sqn_opdef *def, const sm_sqn_args *a, sm_at_cmd *c,
                         size_t n)
{
    sm_sqn_fmt_pos pos;
    size_t i, cap, lim, used = 0;
    sm_buf b;
    char *mem = sm_at_text_space(&m->at, &cap);
    int rc;
    if (!mem) return SM_ERR_STATE;
    pos.f = def->fmt;
    pos.n = a ? a->n : NULL;
    pos.s = a ? a->s : NULL;
    for (i = 0; i < n; i++) {
        /* what this command could have in an empty queue, after the ones before */
        lim = (size_t)SM_QUEUE_TEXT + 1u - used;
        if (lim > (size_t)SM_SQN_CMD_MAX + 1u) lim = (size_t)SM_SQN_CMD_MAX + 1u;
        sm_buf_init(&b, mem, cap < lim ? cap : lim);
        sm_sqn_format(&b, &pos);
        rc = sm_at_text_verdict(&b, sm_buf_finish(&b), lim);
        if (rc) return rc;
        c[i].text = b.p;
        c[i].prefix = def->prefix[0] ? def->prefix : sm_sqn_no_lines;
        c[i].timeout_ms = def->timeout_ms;
        c[i].flags |= def->at_flags;
        mem += b.len + 1u; /* the next one after this one's NUL */
        cap -= b.len + 1u;
        used += b.len + 1u;
    }
    return SM_OK;
}

/* Builds def's command (one) into *c, which the caller zeroed and gave its
   per-call framing (payload, buffer, line handler), and queues it. */
SM_PRIV int sm_sqn_start_cmd(sm_sqn *m, const sm_sqn_opdef *def, const sm_sqn_args *a, sm_at_cmd *c,
                             sm_sqn_done_fn done, void *ctx, sm_sqn_op **out)
{
    int rc = sm_sqn_build(m, def, a, c, 1);
    SM_ASSERT(rc <= 0); /* SM_OK or an SM_ERR_*, never an id: *out is set only with one */
    return rc ? rc : sm_sqn_queue(m, def, a ? a->arg : 0u, c, 1, done, ctx, out);
}

/* The common case: one command, nothing per call. */
SM_PRIV int sm_sqn_start(sm_sqn *m, const sm_sqn_opdef *def, const sm_sqn_args *a,
                         sm_sqn_done_fn done, void *ctx)
{
    sm_at_cmd c;
    memset(&c, 0, sizeof c);
    return sm_sqn_start_cmd(m, def, a, &c, done, ctx, NULL);
}

/* ---- bring-up --------------------------------------------------------------
   A script in the modem_chat manner, advanced by sm_sqn_poll(): each step is
   one command; a failure ends the sequence with the step that failed. */
typedef struct sm_sqn_step_def {
    const char *text;
    uint32_t timeout_ms; /* 0: SM_AT_TIMEOUT_MS */
    uint8_t step;
} sm_sqn_step_def;

static const sm_sqn_step_def sm_sqn_boot_script[] = {
    /* echo on: with it the engine also tells a late answer from the next
       command's; nothing depends on it (Walter boards run with echo off and
       the headerless read copes with URCs either way: docs/sequans.md R-01) */
    { "ATE1",      0, SM_SQN_STEP_ECHO },
    { "AT+CMEE=1", 0, SM_SQN_STEP_CMEE },  /* numeric +CME ERROR: <n> */
#if SM_SQN_CEREG_MODE == 2
    { "AT+CEREG=2", 0, SM_SQN_STEP_CEREG }, /* registration URCs with cell */
#else
    { "AT+CEREG=5", 0, SM_SQN_STEP_CEREG }, /* registration URCs with cell and PSM */
#endif
    { "AT+CFUN=1", SM_SQN_CFUN_TIMEOUT_MS, SM_SQN_STEP_CFUN }, /* radio on (boots in CFUN 0) */
};
#define SM_SQN_BOOT_STEPS (sizeof sm_sqn_boot_script / sizeof sm_sqn_boot_script[0])

SM_PRIV void sm_sqn_boot_done(void *ctx, const sm_at_response *r)
{
    sm_sqn *m = (sm_sqn *)ctx;
    sm_sqn_boot *b = &m->boot;
    b->busy = 0;
    b->have = 1;
    b->at = (uint8_t)r->result;
    b->code = r->code;
    b->status = sm_at_result_status(r->result);
    if (b->phase == SM_SQN_PH_CLOCK && b->status == SM_OK)
        b->status = r->nlines ? sm_sqn_parse_cclk(r->lines, strlen(r->lines), &b->clock) : SM_ERR_PARSE;
}

/* Returns 1 if the command was queued (else: retried on the next poll). */
SM_PRIV int sm_sqn_boot_submit(sm_sqn *m, const char *text, const char *prefix, uint32_t timeout_ms,
                               sm_at_line_fn on_line)
{
    sm_at_cmd c;
    sm_sqn_cmd(&c, text, prefix, timeout_ms);
    c.on_line = on_line;
    /* the answer +CEREG: <n>,<stat>[,...] (docs/sequans.md R-10) shares its
       prefix with the URC +CEREG: <stat>[,...] (R-09): a URC that comes
       meanwhile goes to its own handler (section 5, "Answer or URC") */
    if (on_line == sm_sqn_on_cereg_answer) c.is_answer = sm_at_reg_answer;
    c.on_done = sm_sqn_boot_done;
    c.ctx = m;
    if (sm_at_submit(&m->at, &c) < 0) return 0;
    m->boot.busy = 1;
    m->boot.have = 0;
    return 1;
}

SM_PRIV void sm_sqn_boot_finish(sm_sqn *m, int status, uint8_t step)
{
    sm_sqn_boot *b = &m->boot;
    sm_result res;
    memset(&res, 0, sizeof res);
    res.id = (int)b->id;
    res.op = SM_SQN_OP_BRINGUP;
    res.status = status;
    res.at = status == SM_ERR_TIMEOUT ? SM_AT_TIMEOUT : (sm_at_result)b->at;
    res.code = b->at == SM_AT_CME_ERROR ? b->code : SM_AT_NO_CODE;
    res.u.bringup.failed_step = step;
    res.u.bringup.reg_stat = m->st.reg_stat;
    res.u.bringup.clock = b->clock;
    b->phase = SM_SQN_PH_IDLE;
    sm_ops_remember(&m->opq, res.id, status);
    if (b->done) {
        m->at.in_callback++; /* sm_sqn_poll() is not re-entrant */
        b->done(b->ctx, m, &res);
        m->at.in_callback--;
    }
}

SM_PRIV int sm_sqn_boot_script_step(sm_sqn *m, uint32_t now)
{
    sm_sqn_boot *b = &m->boot;
    const sm_sqn_step_def *s = &sm_sqn_boot_script[b->step];
    if (b->have) {
        b->have = 0;
        if (b->status != SM_OK) { sm_sqn_boot_finish(m, b->status, s->step); return 0; }
        if (++b->step == SM_SQN_BOOT_STEPS) {
            b->phase = SM_SQN_PH_REG;
            b->deadline = now + SM_SQN_REG_TIMEOUT_MS;
            b->next_query = now; /* already registered: no URC would say so */
            return 0;
        }
        s++;
    }
    return sm_sqn_boot_submit(m, s->text, NULL, s->timeout_ms, NULL);
}

SM_PRIV uint8_t sm_sqn_boot_cur_step(const sm_sqn_boot *b);

SM_PRIV int sm_sqn_boot_advance(sm_sqn *m, uint32_t now)
{
    sm_sqn_boot *b = &m->boot;
    if (b->have && b->status == SM_ERR_IO) {
        /* the platform cannot write: no retry or deadline can change that,
           so every phase (the probe too) ends now, as Cordelia's does */
        sm_sqn_boot_finish(m, SM_ERR_IO, sm_sqn_boot_cur_step(b));
        return 0;
    }
    switch (b->phase) {
    case SM_SQN_PH_PROBE: /* until an AT is answered or +SYSSTART comes */
        if (b->have && b->status == SM_OK) {
            b->have = 0;
            b->phase = SM_SQN_PH_SCRIPT;
            return sm_sqn_boot_script_step(m, now);
        }
        if (sm_time_reached(now, b->deadline)) { sm_sqn_boot_finish(m, SM_ERR_TIMEOUT, SM_SQN_STEP_BOOT); return 0; }
        return sm_sqn_boot_submit(m, "AT", NULL, SM_SQN_PROBE_MS, NULL);
    case SM_SQN_PH_SCRIPT:
        return sm_sqn_boot_script_step(m, now);
    case SM_SQN_PH_REG: /* +CEREG URCs, and a query now and then */
        b->have = 0; /* a query's result: its +CEREG line did the work */
        if (m->st.registered) {
            b->phase = SM_SQN_PH_CLOCK;
            return sm_sqn_boot_submit(m, "AT+CCLK?", "+CCLK:", 0, NULL);
        }
        if (sm_time_reached(now, b->deadline)) { sm_sqn_boot_finish(m, SM_ERR_TIMEOUT, SM_SQN_STEP_REGISTER); return 0; }
        if (!sm_time_reached(now, b->next_query)) return 0;
        b->next_query = now + SM_SQN_REG_POLL_MS;
        return sm_sqn_boot_submit(m, "AT+CEREG?", "+CEREG:", 0, sm_sqn_on_cereg_answer);
    case SM_SQN_PH_CLOCK:
        if (!b->have) return sm_sqn_boot_submit(m, "AT+CCLK?", "+CCLK:", 0, NULL);
        if (b->status == SM_OK && !b->clock.valid && m->sup.boot_sync_ms && m->feat[SM_SQN_F_TIME])
            return m->feat[SM_SQN_F_TIME]->boot(m, now); /* sm_sqn_bringup_time_sync() */
        m->sup.boot_sync = 0;
        sm_sqn_boot_finish(m, b->status, b->status == SM_OK ? SM_SQN_STEP_NONE : SM_SQN_STEP_CLOCK);
        return 0;
    case SM_SQN_PH_SYNC: /* entered only through the time feature's boot hook */
        return m->feat[SM_SQN_F_TIME] ? m->feat[SM_SQN_F_TIME]->boot(m, now) : 0;
    default:
        return 0;
    }
}

/* The step the sequence is at, for a failure report. */
SM_PRIV uint8_t sm_sqn_boot_cur_step(const sm_sqn_boot *b)
{
    switch (b->phase) {
    case SM_SQN_PH_SCRIPT: return sm_sqn_boot_script[b->step].step;
    case SM_SQN_PH_REG: return SM_SQN_STEP_REGISTER;
    case SM_SQN_PH_CLOCK: return SM_SQN_STEP_CLOCK;
    case SM_SQN_PH_SYNC: return SM_SQN_STEP_TIME_SYNC;
    default: return SM_SQN_STEP_BOOT;
    }
}

/* Advances the sequence; returns 1 if it queued a command. */
SM_PRIV int sm_sqn_boot_step(sm_sqn *m)
{
    sm_sqn_boot *b = &m->boot;
    if (b->phase == SM_SQN_PH_IDLE) return 0;
    if (b->rebooted) {
        /* a fresh modem: the probe's goal, otherwise start again (ATE1...) */
        b->rebooted = 0;
        b->have = 0;
        if (b->phase != SM_SQN_PH_PROBE && ++b->restarts > SM_SQN_BOOT_RESTARTS) {
            b->at = SM_AT_REBOOT;
            sm_sqn_boot_finish(m, SM_ERR_REBOOT, sm_sqn_boot_cur_step(b));
            return 0;
        }
        b->phase = SM_SQN_PH_SCRIPT;
        b->step = 0;
    }
    if (b->busy) return 0;
    return sm_sqn_boot_advance(m, sm_at_now(&m->at));
}

SECMODEM_API int sm_sqn_bringup(sm_sqn *m, sm_sqn_done_fn done, void *ctx)
{
    if (!m) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE; /* never initialised */
    if (m->boot.phase != SM_SQN_PH_IDLE) return SM_ERR_STATE;
    memset(&m->boot, 0, sizeof m->boot);
    m->boot.done = done;
    m->boot.ctx = ctx;
    m->boot.phase = SM_SQN_PH_PROBE;
    m->boot.deadline = sm_at_now(&m->at) + SM_SQN_BOOT_TIMEOUT_MS;
    m->boot.id = (uint16_t)sm_ops_new_id(&m->opq);
    return (int)m->boot.id;
}

SECMODEM_API int sm_sqn_poll(sm_sqn *m)
{
    int rc;
    if (!m) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE;
    if (m->at.in_callback) return SM_ERR_BUSY;
    sm_sqn_boot_step(m);
    sm_sqn_features_step(m);
    rc = sm_at_poll(&m->at);
    if ((sm_sqn_boot_step(m) | sm_sqn_features_step(m)) && sm_at_poll(&m->at) == SM_ERR_IO)
        rc = SM_ERR_IO; /* send it now */
    return rc;
}

SM_SQN_OPDEF(sm_sqn_def_clock, "AT+CCLK?", "+CCLK:",
             SM_SQN_OP_CLOCK, NULL, 0, 0, sm_sqn_fin_clock);

/* `+CSQ: <rssi>,<ber>` (docs/sequans.md C-41, R-41): two numbers, each in
   its range or 99; anything else is not an answer this library can read. */
SM_PRIV void sm_sqn_fin_signal(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    int32_t rssi, ber;
    (void)m;
    (void)op;
    if (res->status != SM_OK) return;
    if (sm_sqn_first_line(r, &f) || sm_fields_int(&f, 0, 99, &rssi) || sm_fields_int(&f, 0, 99, &ber) ||
        sm_fields_more(&f) || (rssi > 31 && rssi != 99) || (ber > 7 && ber != 99)) {
        res->status = SM_ERR_PARSE;
        return;
    }
    res->u.signal.rssi = (uint8_t)rssi;
    res->u.signal.ber = (uint8_t)ber;
    res->u.signal.dbm = (int16_t)(rssi == 99 ? 0 : -113 + 2 * rssi);
}

SM_SQN_OPDEF(sm_sqn_def_signal, "AT+CSQ", "+CSQ:",
             SM_SQN_OP_SIGNAL, NULL, 0, 0, sm_sqn_fin_signal);

SECMODEM_API int sm_sqn_signal(sm_sqn *m, sm_sqn_done_fn done, void *ctx)
{
    if (!m) return SM_ERR_PARAM;
    return sm_sqn_start(m, &sm_sqn_def_signal, NULL, done, ctx);
}

/* The IMEI's check digit: the Luhn sum of its first 14 digits, every
   second one (from the second) doubled. */
SM_PRIV char sm_sqn_luhn_digit(const char *d14)
{
    unsigned i, sum = 0, v;
    for (i = 0; i < 14u; i++) {
        v = (unsigned)(d14[i] - '0');
        if (i & 1u) v = v * 2u > 9u ? v * 2u - 9u : v * 2u;
        sum += v;
    }
    return (char)('0' + (10u - sum % 10u) % 10u);
}

/* `+CGSN: "<imeisv>"` (docs/sequans.md R-42): one field, 16 digits, quoted
   as Walter's parser expects or bare as 3GPP TS 27.007 allows. */
SM_PRIV void sm_sqn_fin_identity(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    const char *p;
    size_t n, i;
    int quoted;
    (void)m;
    (void)op;
    if (res->status != SM_OK) return;
    if (sm_sqn_first_line(r, &f) || sm_fields_token(&f, &p, &n, &quoted) || sm_fields_more(&f) ||
        n != 16u) {
        res->status = SM_ERR_PARSE;
        return;
    }
    for (i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') { res->status = SM_ERR_PARSE; return; }
    memcpy(res->u.identity.imei, p, 14);
    res->u.identity.imei[14] = sm_sqn_luhn_digit(p);
    res->u.identity.imei[15] = '\0';
    memcpy(res->u.identity.svn, p + 14, 2);
    res->u.identity.svn[2] = '\0';
}

SM_SQN_OPDEF(sm_sqn_def_identity, "AT+CGSN=2", "+CGSN:",
             SM_SQN_OP_IDENTITY, NULL, 0, 0, sm_sqn_fin_identity);

SECMODEM_API int sm_sqn_identity(sm_sqn *m, sm_sqn_done_fn done, void *ctx)
{
    if (!m) return SM_ERR_PARAM;
    return sm_sqn_start(m, &sm_sqn_def_identity, NULL, done, ctx);
}

/* `+CFUN: <fun>` (docs/sequans.md C-43, R-43): one number, 0..127. */
SM_PRIV void sm_sqn_fin_func_read(sm_sqn *m, sm_sqn_op *op, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    int32_t fun;
    (void)m;
    (void)op;
    if (res->status != SM_OK) return;
    if (sm_sqn_first_line(r, &f) || sm_fields_int(&f, 0, 127, &fun) || sm_fields_more(&f)) {
        res->status = SM_ERR_PARSE;
        return;
    }
    res->value = (uint32_t)fun;
}

SM_SQN_OPDEF(sm_sqn_def_func_read, "AT+CFUN?", "+CFUN:",
             SM_SQN_OP_FUNC_READ, NULL, 0, 0, sm_sqn_fin_func_read);

SECMODEM_API int sm_sqn_func_read(sm_sqn *m, sm_sqn_done_fn done, void *ctx)
{
    if (!m) return SM_ERR_PARAM;
    return sm_sqn_start(m, &sm_sqn_def_func_read, NULL, done, ctx);
}

SECMODEM_API int sm_sqn_clock_read(sm_sqn *m, sm_sqn_done_fn done, void *ctx)
{
    if (!m) return SM_ERR_PARAM;
    return sm_sqn_start(m, &sm_sqn_def_clock, NULL, done, ctx);
}

/* ---- NVM (contract: NVM certificates and keys) ---------------------------- */
/* The <type> of AT+SQNSNVW / AT+SQNSNVR (contract: NVM certificates and keys). */
SM_PRIV const char *sm_sqn_nvm_word(sm_sqn_nvm_type type)
{
    return type == SM_SQN_NVM_CERT ? "certificate" : "privatekey";
}

/* Slots the application may write (see sm_sqn_nvm_write). */
SM_PRIV int sm_sqn_nvm_slot_ok(uint8_t slot)
{
    if (slot >= SM_SQN_NVM_SLOTS) return 0;
    return SM_SQN_NVM_ANY_SLOT || !(slot <= 4 || (slot >= 7 && slot <= 10));
}

SM_SQN_OPDEF(sm_sqn_def_nvm_write, "AT+SQNSNVW=\"%l\",%n,%n", "",
             SM_SQN_OP_NVM_WRITE, NULL, SM_SQN_NVM_TIMEOUT_MS, SM_AT_F_PROMPT, NULL);

SECMODEM_API int sm_sqn_nvm_write(sm_sqn *m, sm_sqn_nvm_type type, uint8_t slot,
                                  const uint8_t *data, size_t len, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[2];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    size_t i, size = 0;
    if (!m || (type != SM_SQN_NVM_CERT && type != SM_SQN_NVM_KEY) || !sm_sqn_nvm_slot_ok(slot) ||
        !data || len == 0 || len > (type == SM_SQN_NVM_CERT ? 8192u : 2048u) || len > SM_PAYLOAD_MAX)
        return SM_ERR_PARAM;
    for (i = 0; i < len; i++) size += data[i] != '\r';
    if (!size) return SM_ERR_PARAM;
    str[0] = sm_sqn_nvm_word(type);
    num[0] = slot;
    num[1] = (uint32_t)size; /* the bytes the modem keeps: CRs are dropped */
    memset(&c, 0, sizeof c);
    c.payload = data; /* after the prompt, exactly len bytes */
    c.payload_len = len;
    a.n = num;
    a.s = str;
    a.arg = slot;
    return sm_sqn_start_cmd(m, &sm_sqn_def_nvm_write, &a, &c, done, ctx, NULL);
}

/* NVM_READ (certificate body) and NVM_KEY_INFO (size only), by def. */
SM_PRIV int sm_sqn_nvm_read(sm_sqn *m, const sm_sqn_opdef *def, uint8_t slot, uint8_t *buf, size_t cap,
                            sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[1];
    sm_sqn_args a;
    sm_at_cmd c;
    sm_sqn_op *op;
    int id;
    if (!m || slot >= SM_SQN_NVM_SLOTS) return SM_ERR_PARAM;
    num[0] = slot;
    memset(&c, 0, sizeof c);
    c.on_line = sm_sqn_on_nvr;
    c.raw_buf = buf; /* the certificate's read has LINE_TO_RAW: its metadata line, whatever its length */
    c.raw_cap = cap;
    a.n = num;
    a.s = NULL;
    a.arg = slot;
    id = sm_sqn_start_cmd(m, def, &a, &c, done, ctx, &op);
    if (id > 0) op->cap = cap;
    return id;
}

SECMODEM_API int sm_sqn_nvm_read_cert(sm_sqn *m, uint8_t slot, uint8_t *buf, size_t cap,
                                      sm_sqn_done_fn done, void *ctx)
{
    SM_SQN_OPDEF(d, "AT+SQNSNVR=\"certificate\",%n", "+SQNSNVR:", SM_SQN_OP_NVM_READ, NULL,
                 SM_SQN_NVM_TIMEOUT_MS, SM_AT_F_LINE_TO_RAW, sm_sqn_finish_data);
    if (!buf || !cap) return SM_ERR_PARAM;
    return sm_sqn_nvm_read(m, &d, slot, buf, cap, done, ctx);
}

SECMODEM_API int sm_sqn_nvm_key_info(sm_sqn *m, uint8_t slot, sm_sqn_done_fn done, void *ctx)
{
    SM_SQN_OPDEF(d, "AT+SQNSNVR=\"privatekey\",%n", "+SQNSNVR:", SM_SQN_OP_NVM_KEY_INFO, NULL,
                 SM_SQN_NVM_TIMEOUT_MS, 0, sm_sqn_fin_key_info);
    return sm_sqn_nvm_read(m, &d, slot, NULL, 0, done, ctx);
}

SM_SQN_OPDEF(sm_sqn_def_nvm_delete, "AT+SQNSNVW=\"%l\",%n,0", "",
             SM_SQN_OP_NVM_DELETE, NULL, SM_SQN_NVM_TIMEOUT_MS, 0, NULL);

SECMODEM_API int sm_sqn_nvm_delete(sm_sqn *m, sm_sqn_nvm_type type, uint8_t slot,
                                   sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[1];
    const char *str[1];
    sm_sqn_args a;
    if (!m || (type != SM_SQN_NVM_CERT && type != SM_SQN_NVM_KEY) || !sm_sqn_nvm_slot_ok(slot))
        return SM_ERR_PARAM;
    str[0] = sm_sqn_nvm_word(type);
    num[0] = slot; /* size 0 deletes */
    a.n = num;
    a.s = str;
    a.arg = slot;
    return sm_sqn_start(m, &sm_sqn_def_nvm_delete, &a, done, ctx);
}

/* ---- security profiles (contract: Security profiles) ----------------------- */
SECMODEM_API void sm_sqn_tls_defaults(sm_sqn_tls *t, uint8_t sp_id, int8_t ca_slot, int check_host)
{
    if (!t) return;
    memset(t, 0, sizeof *t);
    t->sp_id = sp_id;
    t->version = SM_SQN_TLS_1_2;
    t->verify = (uint8_t)(SM_SQN_VERIFY_CHAIN | (check_host ? SM_SQN_VERIFY_HOST : 0));
    t->ca_slot = ca_slot;
    t->cert_slot = SM_SQN_NO_SLOT;
    t->key_slot = SM_SQN_NO_SLOT;
}

SM_PRIV int sm_sqn_slot_ok(int8_t s) { return s >= SM_SQN_NO_SLOT && s < SM_SQN_NVM_SLOTS; }

/* answered by the stored profile line, then OK */
SM_SQN_OPDEF(sm_sqn_def_tls_config, "AT+SQNSPCFG=%n,%n,%c,%n,%o,%o,%o,%x,%u,%n,%n,%n", "+SQNSPCFG:",
             SM_SQN_OP_TLS_CONFIG, NULL, 0, 0, NULL);

SECMODEM_API int sm_sqn_tls_config(sm_sqn *m, const sm_sqn_tls *t, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[9];
    const char *str[3];
    sm_sqn_args a;
    if (!m || !t || t->sp_id < 1 || t->sp_id > 6 || t->version > SM_SQN_TLS_1_3 ||
        !sm_sqn_slot_ok(t->ca_slot) || !sm_sqn_slot_ok(t->cert_slot) || !sm_sqn_slot_ok(t->key_slot) ||
        t->key_in_host > 1 || t->resume > 1 || t->allow_plaintext_fallback > 1)
        return SM_ERR_PARAM;
    /* validation stays on unless the caller says otherwise, and on needs a root */
    if (!(t->verify & SM_SQN_VERIFY_CHAIN) && !t->insecure) return SM_ERR_PARAM;
    if ((t->verify & SM_SQN_VERIFY_CHAIN) && t->ca_slot < 0) return SM_ERR_PARAM;
    /* no CA and no validation: the GM02SP's MQTT client goes out in plaintext */
    if (!(t->verify & SM_SQN_VERIFY_CHAIN) && t->ca_slot < 0 && !t->allow_plaintext_fallback)
        return SM_ERR_PARAM;
    num[0] = t->sp_id;
    num[1] = t->version;
    num[2] = t->verify;
    num[3] = (uint32_t)(int32_t)t->ca_slot; /* negative: an empty field */
    num[4] = (uint32_t)(int32_t)t->cert_slot;
    num[5] = (uint32_t)(int32_t)t->key_slot;
    num[6] = t->key_in_host;
    num[7] = t->resume;
    num[8] = t->lifetime;
    str[0] = t->ciphers;
    str[1] = t->psk;
    str[2] = t->psk_identity;
    /* answered by the stored profile line, then OK */
    a.n = num;
    a.s = str;
    a.arg = t->sp_id;
    return sm_sqn_start(m, &sm_sqn_def_tls_config, &a, done, ctx);
}

/* ---- sockets (contract: Sockets) ----------------------------------------- */
SM_PRIV int sm_sqn_sock_ok(int s) { return s >= 1 && s <= SM_SQN_SOCKETS; }

SM_SQN_OPDEF(sm_sqn_def_sock_config, "AT+SQNSCFG=%n,%n,0,%n,600,50\nAT+SQNSCFGEXT=%n,1,0,0,0,0", "",
             SM_SQN_OP_SOCK_CONFIG, &sm_sqn_feat_sock, 0, 0, NULL);

SECMODEM_API int sm_sqn_sock_config(sm_sqn *m, int sock, uint8_t cid, uint16_t idle_s,
                                    sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[4];
    sm_sqn_args a;
    sm_at_cmd c[2];
    int rc;
    if (!m || !sm_sqn_sock_ok(sock) || cid < 1 || cid > 16) return SM_ERR_PARAM;
    /* <cid>,<pktSz 0: auto>,<maxTo>,<connTo 60 s in 100 ms>,<txTo 5 s>; then
       srMode 1 (RING with the byte count), recvDataMode 0, keepalive 0,
       listenAutoRsp 0, sendDataMode 0 (raw) */
    num[0] = (uint32_t)sock;
    num[1] = cid;
    num[2] = idle_s;
    num[3] = (uint32_t)sock;
    memset(c, 0, sizeof c);
    a.n = num;
    a.s = NULL;
    a.arg = (uint8_t)sock;
    rc = sm_sqn_build(m, &sm_sqn_def_sock_config, &a, c, 2);
    if (rc) return rc;
    return sm_sqn_queue(m, &sm_sqn_def_sock_config, a.arg, c, 2, done, ctx, NULL);
}

SM_SQN_OPDEF(sm_sqn_def_sock_tls, "AT+SQNSSCFG=%n,1,%n", "",
             SM_SQN_OP_SOCK_TLS, &sm_sqn_feat_sock, 0, 0, NULL);

SECMODEM_API int sm_sqn_sock_tls(sm_sqn *m, int sock, uint8_t sp_id, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[2];
    sm_sqn_args a;
    if (!m || !sm_sqn_sock_ok(sock) || sp_id < 1 || sp_id > 6) return SM_ERR_PARAM;
    num[0] = (uint32_t)sock;
    num[1] = sp_id;
    a.n = num;
    a.s = NULL;
    a.arg = (uint8_t)sock;
    return sm_sqn_start(m, &sm_sqn_def_sock_tls, &a, done, ctx);
}

SM_SQN_OPDEF(sm_sqn_def_sock_dial, "AT+SQNSD=%n,0,%n,%h,0,0,1", "",
             SM_SQN_OP_SOCK_DIAL, &sm_sqn_feat_sock, SM_SQN_DIAL_TIMEOUT_MS, SM_AT_F_DIAL, sm_sqn_fin_dial);

SECMODEM_API int sm_sqn_sock_dial(sm_sqn *m, int sock, const char *host, uint16_t port,
                                  sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[2];
    const char *str[1];
    sm_sqn_args a;
    if (!m || !sm_sqn_sock_ok(sock) || !port) return SM_ERR_PARAM;
    /* TCP, closureType 0, lPort 0, connMode 1 (command mode); a failed dial
       ends with NO CARRIER (SM_AT_F_DIAL, docs/sequans.md R-04) */
    num[0] = (uint32_t)sock;
    num[1] = port;
    str[0] = host;
    a.n = num;
    a.s = str;
    a.arg = (uint8_t)sock;
    return sm_sqn_start(m, &sm_sqn_def_sock_dial, &a, done, ctx);
}

SM_SQN_OPDEF(sm_sqn_def_sock_send, "AT+SQNSSENDEXT=%n,%n", "",
             SM_SQN_OP_SOCK_SEND, &sm_sqn_feat_sock, SM_SQN_SOCK_TIMEOUT_MS, SM_AT_F_PROMPT, sm_sqn_fin_send);

SECMODEM_API int sm_sqn_sock_send(sm_sqn *m, int sock, const uint8_t *data, size_t len,
                                  sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[2];
    sm_sqn_args a;
    sm_at_cmd c;
    sm_sqn_op *op;
    int id;
    if (!m || !sm_sqn_sock_ok(sock) || !data || len < 1 || len > 1500 || len > SM_PAYLOAD_MAX)
        return SM_ERR_PARAM;
    num[0] = (uint32_t)sock;
    num[1] = (uint32_t)len;
    memset(&c, 0, sizeof c);
    c.payload = data;
    c.payload_len = len;
    a.n = num;
    a.s = NULL;
    a.arg = (uint8_t)sock;
    id = sm_sqn_start_cmd(m, &sm_sqn_def_sock_send, &a, &c, done, ctx, &op);
    if (id > 0) op->total = (uint32_t)len; /* the result's byte count */
    return id;
}

SM_SQN_OPDEF(sm_sqn_def_sock_recv, "AT+SQNSRECV=%n,%n", "+SQNSRECV:",
             SM_SQN_OP_SOCK_RECV, &sm_sqn_feat_sock, SM_SQN_SOCK_TIMEOUT_MS, 0, sm_sqn_finish_data);

SECMODEM_API int sm_sqn_sock_recv(sm_sqn *m, int sock, uint8_t *buf, size_t cap,
                                  sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[2];
    sm_sqn_args a;
    sm_at_cmd c;
    sm_sqn_op *op;
    int id;
    if (!m || !sm_sqn_sock_ok(sock) || !buf || !cap) return SM_ERR_PARAM;
    num[0] = (uint32_t)sock;
    num[1] = (uint32_t)(cap < 1500u ? cap : 1500u);
    memset(&c, 0, sizeof c);
    c.on_line = sm_sqn_on_srecv; /* announces the raw bytes */
    c.raw_buf = buf;
    c.raw_cap = cap;
    a.n = num;
    a.s = NULL;
    a.arg = (uint8_t)sock;
    id = sm_sqn_start_cmd(m, &sm_sqn_def_sock_recv, &a, &c, done, ctx, &op);
    if (id > 0) op->cap = cap;
    return id;
}

SM_SQN_OPDEF(sm_sqn_def_sock_close, "AT+SQNSH=%n", "",
             SM_SQN_OP_SOCK_CLOSE, &sm_sqn_feat_sock, SM_SQN_SOCK_TIMEOUT_MS, 0, sm_sqn_fin_close);

SECMODEM_API int sm_sqn_sock_close(sm_sqn *m, int sock, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[1];
    sm_sqn_args a;
    if (!m || !sm_sqn_sock_ok(sock)) return SM_ERR_PARAM;
    num[0] = (uint32_t)sock;
    a.n = num;
    a.s = NULL;
    a.arg = (uint8_t)sock;
    return sm_sqn_start(m, &sm_sqn_def_sock_close, &a, done, ctx);
}

SM_SQN_OPDEF(sm_sqn_def_sock_status, "AT+SQNSS", "+SQNSS:",
             SM_SQN_OP_SOCK_STATUS, &sm_sqn_feat_sock, 0, 0, sm_sqn_fin_status);

SECMODEM_API int sm_sqn_sock_status(sm_sqn *m, sm_sqn_done_fn done, void *ctx)
{
    sm_at_cmd c;
    if (!m) return SM_ERR_PARAM;
    memset(&c, 0, sizeof c);
    c.on_line = sm_sqn_on_sqnss; /* lines parsed as they come: SM_RESP_SIZE never limits */
    return sm_sqn_start_cmd(m, &sm_sqn_def_sock_status, NULL, &c, done, ctx, NULL);
}

SM_SQN_OPDEF(sm_sqn_def_sock_info, "AT+SQNSI=%n", "+SQNSI:",
             SM_SQN_OP_SOCK_INFO, &sm_sqn_feat_sock, 0, 0, sm_sqn_fin_info);

SECMODEM_API int sm_sqn_sock_info(sm_sqn *m, int sock, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[1];
    sm_sqn_args a;
    if (!m || !sm_sqn_sock_ok(sock)) return SM_ERR_PARAM;
    num[0] = (uint32_t)sock;
    a.n = num;
    a.s = NULL;
    a.arg = (uint8_t)sock;
    return sm_sqn_start(m, &sm_sqn_def_sock_info, &a, done, ctx);
}

/* ---- MQTT (contract: Built-in MQTT client) ----------------------------------- */
SM_SQN_OPDEF(sm_sqn_def_mqtt_config, "AT+SQNSMQTTCFG=0,%U%?,%u,%u%?,%n", "",
             SM_SQN_OP_MQTT_CONFIG, &sm_sqn_feat_mqtt, 0, 0, NULL);
SM_SQN_OPDEF(sm_sqn_def_mqtt_connect, "AT+SQNSMQTTCONNECT=0,%h,%n,%n", "",
             SM_SQN_OP_MQTT_CONNECT, &sm_sqn_feat_mqtt, SM_SQN_MQTT_TIMEOUT_MS, 0, sm_sqn_fin_mqtt_sup);
SM_SQN_OPDEF(sm_sqn_def_mqtt_sub, "AT+SQNSMQTTSUBSCRIBE=0,%t,%n", "",
             SM_SQN_OP_MQTT_SUBSCRIBE, &sm_sqn_feat_mqtt, SM_SQN_MQTT_TIMEOUT_MS, 0, sm_sqn_fin_mqtt_sup);
SM_SQN_OPDEF(sm_sqn_def_mqtt_unsub, "AT+SQNSMQTTUNSUBSCRIBE=0,%t", "",
             SM_SQN_OP_MQTT_UNSUBSCRIBE, &sm_sqn_feat_mqtt, SM_SQN_MQTT_TIMEOUT_MS, 0, sm_sqn_fin_mqtt_sup);
/* answered `+SQNSMQTTPUBLISH: <pmid>` (or `0,<pmid>`) then OK */
SM_SQN_OPDEF(sm_sqn_def_mqtt_publish, "AT+SQNSMQTTPUBLISH=0,%t,%n,%n", "+SQNSMQTTPUBLISH:",
             SM_SQN_OP_MQTT_PUBLISH, &sm_sqn_feat_mqtt, SM_SQN_MQTT_TIMEOUT_MS, SM_AT_F_PROMPT, sm_sqn_fin_pmid);
SM_SQN_OPDEF(sm_sqn_def_mqtt_disconnect, "AT+SQNSMQTTDISCONNECT=0", "",
             SM_SQN_OP_MQTT_DISCONNECT, &sm_sqn_feat_mqtt, SM_SQN_MQTT_TIMEOUT_MS, 0, sm_sqn_fin_mqtt_sup);

SECMODEM_API int sm_sqn_mqtt_config(sm_sqn *m, const char *client_id, const char *user,
                                    const char *password, uint8_t sp_id, sm_sqn_done_fn done,
                                    void *ctx)
{
    uint32_t num[3];
    const char *str[3];
    sm_sqn_args a;
    if (!m || sp_id > 6) return SM_ERR_PARAM;
    str[0] = client_id;
    str[1] = user;
    str[2] = password;
    num[0] = user || password || sp_id; /* else no credential fields */
    num[1] = sp_id; /* omitted for plain TCP: "0" fails (docs/sequans.md C-22) */
    num[2] = sp_id;
    a.n = num;
    a.s = str;
    a.arg = sp_id;
    return sm_sqn_start(m, &sm_sqn_def_mqtt_config, &a, done, ctx);
}

SECMODEM_API int sm_sqn_mqtt_connect(sm_sqn *m, const char *host, uint16_t port,
                                     uint16_t keepalive_s, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[2];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    sm_sqn_mqtt_mem *mem;
    int id;
    if (!m || !port) return SM_ERR_PARAM;
    str[0] = host;
    num[0] = port;
    num[1] = keepalive_s;
    memset(&c, 0, sizeof c);
    a.n = num;
    a.s = str;
    a.arg = 0;
    id = sm_sqn_build(m, &sm_sqn_def_mqtt_connect, &a, &c, 1); /* the arguments first, as everywhere */
    if (id) return id;
    mem = m->sup.mem;
    if (!mem) return SM_ERR_STATE; /* nowhere to keep the host for a reconnect */
    id = sm_sqn_queue(m, &sm_sqn_def_mqtt_connect, 0, &c, 1, done, ctx, NULL);
    if (id > 0) sm_sqn_sup_connecting(m, mem, host, port, keepalive_s); /* a new session */
    return id;
}

/* SUBSCRIBE (qos 0..2) and UNSUBSCRIBE (qos < 0). */
SM_PRIV int sm_sqn_mqtt_sub_cmd(sm_sqn *m, const char *filter, int qos, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[1];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    const sm_sqn_opdef *def;
    sm_sqn_op *op;
    int id;
    if (!m || qos > 2) return SM_ERR_PARAM;
    def = qos < 0 ? &sm_sqn_def_mqtt_unsub : &sm_sqn_def_mqtt_sub;
    str[0] = filter;
    num[0] = (uint32_t)qos;
    memset(&c, 0, sizeof c);
    a.n = num;
    a.s = str;
    id = sm_sqn_build(m, def, &a, &c, 1);
    if (id) return id;
    if (!m->sup.mem) return SM_ERR_STATE; /* nowhere to remember it for a resume */
    if (qos >= 0 && !sm_sqn_sup_room(m, filter)) return SM_ERR_NO_SPACE; /* SM_SQN_MQTT_SUBS */
    id = sm_sqn_queue(m, def, 0, &c, 1, done, ctx, &op);
    if (id > 0) sm_sqn_sup_track(m, op, filter, qos); /* remembered for a resume */
    return id;
}

SECMODEM_API int sm_sqn_mqtt_subscribe(sm_sqn *m, const char *filter, uint8_t qos,
                                       sm_sqn_done_fn done, void *ctx)
{
    return sm_sqn_mqtt_sub_cmd(m, filter, qos, done, ctx);
}

SECMODEM_API int sm_sqn_mqtt_unsubscribe(sm_sqn *m, const char *filter, sm_sqn_done_fn done,
                                         void *ctx)
{
    return sm_sqn_mqtt_sub_cmd(m, filter, -1, done, ctx);
}

SECMODEM_API int sm_sqn_mqtt_publish(sm_sqn *m, const char *topic, uint8_t qos,
                                     const uint8_t *data, size_t len, sm_sqn_done_fn done,
                                     void *ctx)
{
    uint32_t num[2];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    int rc;
    if (!m || qos > 2 || !data || len < 1 || len > 4096 || len > SM_PAYLOAD_MAX) return SM_ERR_PARAM;
    str[0] = topic;
    num[0] = qos;
    num[1] = (uint32_t)len;
    memset(&c, 0, sizeof c);
    c.payload = data;
    c.payload_len = len;
    a.n = num;
    a.s = str;
    a.arg = 0;
    rc = sm_sqn_build(m, &sm_sqn_def_mqtt_publish, &a, &c, 1);
    if (rc == SM_OK && strpbrk(topic, "+#")) rc = SM_ERR_PARAM; /* wildcards: filters only */
    if (rc) return rc;
    return sm_sqn_queue(m, &sm_sqn_def_mqtt_publish, 0, &c, 1, done, ctx, NULL);
}

SM_SQN_OPDEF(sm_sqn_def_mqtt_read, "AT+SQNSMQTTRCVMESSAGE=0,%t%?,%n", "",
             SM_SQN_OP_MQTT_READ, &sm_sqn_feat_mqtt, SM_SQN_SOCK_TIMEOUT_MS, 0, sm_sqn_finish_data);

SECMODEM_API int sm_sqn_mqtt_read(sm_sqn *m, const char *topic, uint16_t mid, uint32_t len,
                                  uint8_t *buf, size_t cap, sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[2];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    sm_sqn_op *op;
    int id;
    if (!m || (cap && !buf) || len > 65535u) return SM_ERR_PARAM;
    str[0] = topic;
    num[0] = mid; /* none for QoS 0 */
    num[1] = mid;
    memset(&c, 0, sizeof c);
    /* no header line: "\r\n", then exactly len bytes (contract: Built-in MQTT client) */
    c.raw_lead = "\r\n";
    c.raw_len = (size_t)len;
    (void)sm_at_use_headerless(&m->at); /* an engine not ready fails in sm_sqn_build */
    c.raw_buf = buf;
    c.raw_cap = cap;
    a.n = num;
    a.s = str;
    a.arg = 0;
    id = sm_sqn_start_cmd(m, &sm_sqn_def_mqtt_read, &a, &c, done, ctx, &op);
    if (id > 0) {
        op->flags = SM_SQN_OPF_HEADER; /* the length is known in advance */
        op->total = len;
        op->cap = cap;
        op->buf = buf;
    }
    return id;
}

SECMODEM_API int sm_sqn_mqtt_disconnect(sm_sqn *m, sm_sqn_done_fn done, void *ctx)
{
    if (!m) return SM_ERR_PARAM;
    return sm_sqn_start(m, &sm_sqn_def_mqtt_disconnect, NULL, done, ctx);
}

/* ---- HTTP (contract: Built-in HTTP client) ------------------------------------ */
SM_SQN_OPDEF(sm_sqn_def_http_config, "AT+SQNHTTPCFG=%n,%h,%n,%n,%u,%u,%n,%n,,%o", "",
             SM_SQN_OP_HTTP_CONFIG, &sm_sqn_feat_http, 0, 0, NULL);
/* GET, HEAD, DELETE: AT+SQNHTTPQRY; POST, PUT (with a body): AT+SQNHTTPSND,
   whose <post_param> is a quoted digit */
SM_SQN_OPDEF(sm_sqn_def_http_send, "AT+SQNHTTPSND=%n,%n,%r,%n,\"%n\"%?,%H", "",
             SM_SQN_OP_HTTP_REQUEST, &sm_sqn_feat_http, SM_SQN_HTTP_TIMEOUT_MS, 0, NULL);
SM_SQN_OPDEF(sm_sqn_def_http_request, "AT+SQNHTTPQRY=%n,%n,%r%?,%H", "",
             SM_SQN_OP_HTTP_REQUEST, &sm_sqn_feat_http, SM_SQN_HTTP_TIMEOUT_MS, 0, NULL);
SM_SQN_OPDEF(sm_sqn_def_http_read, "AT+SQNHTTPRCV=%n%?,%n", "",
             SM_SQN_OP_HTTP_READ, &sm_sqn_feat_http, SM_SQN_HTTP_TIMEOUT_MS, 0, sm_sqn_finish_data);

SECMODEM_API int sm_sqn_http_config(sm_sqn *m, uint8_t prof, const char *host, uint16_t port,
                                    uint8_t sp_id, const char *user, const char *password,
                                    sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[6];
    const char *str[3];
    sm_sqn_args a;
    if (!m || prof >= SM_SQN_HTTP_PROFILES || !port || sp_id > 6) return SM_ERR_PARAM;
    num[0] = prof;
    str[0] = host;
    num[1] = port;
    num[2] = user ? 1u : 0u; /* basic authentication */
    str[1] = user;
    str[2] = password;
    num[3] = sp_id ? 1u : 0u;
    num[4] = SM_SQN_HTTP_MODEM_TIMEOUT_S;
    /* the 9th field stays empty (docs/sequans.md C-29); the profile's is
       empty without TLS */
    num[5] = sp_id ? (uint32_t)sp_id : (uint32_t)(int32_t)-1;
    a.n = num;
    a.s = str;
    a.arg = prof;
    return sm_sqn_start(m, &sm_sqn_def_http_config, &a, done, ctx);
}

SECMODEM_API int sm_sqn_http_request(sm_sqn *m, const sm_sqn_http_req *req, sm_sqn_done_fn done,
                                     void *ctx)
{
    uint32_t num[5];
    const char *str[2];
    sm_sqn_args a;
    sm_at_cmd c;
    int send, id;
    if (!m || !req || req->prof >= SM_SQN_HTTP_PROFILES || (unsigned)req->method > SM_SQN_HTTP_PUT)
        return SM_ERR_PARAM;
    send = req->method >= SM_SQN_HTTP_POST;
    if (send ? (req->content_type > SM_SQN_CT_JSON || req->body_len > SM_PAYLOAD_MAX ||
                (req->body_len && !req->body))
             : req->body_len != 0)
        return SM_ERR_PARAM;
    num[0] = req->prof;
    num[1] = (uint32_t)req->method - (send ? (uint32_t)SM_SQN_HTTP_POST : 0u);
    str[0] = req->resource;
    num[2 + 2 * send] = req->header != NULL; /* the header is optional */
    str[1] = req->header;
    if (send) {
        num[2] = (uint32_t)req->body_len;
        num[3] = (uint32_t)req->content_type;
    }
    memset(&c, 0, sizeof c);
    if (req->body_len) { /* the prompt comes only when there is a body */
        c.flags = SM_AT_F_PROMPT;
        c.payload = req->body;
        c.payload_len = req->body_len;
    }
    a.n = num;
    a.s = str;
    a.arg = req->prof;
    id = sm_sqn_start_cmd(m, send ? &sm_sqn_def_http_send : &sm_sqn_def_http_request, &a, &c, done,
                          ctx, NULL);
    if (id > 0) memset(&m->st.http[req->prof], 0, sizeof m->st.http[0]); /* the old body is gone */
    return id;
}

/* Both HTTP reads: max 0 is the form without a size (the whole rest). */
SM_PRIV int sm_sqn_http_rcv(sm_sqn *m, uint8_t prof, uint32_t max, uint8_t *buf, size_t cap,
                            sm_sqn_done_fn done, void *ctx)
{
    uint32_t num[3];
    sm_sqn_args a;
    sm_at_cmd c;
    sm_sqn_op *op;
    uint32_t n, rem;
    int id;
    if (!m || prof >= SM_SQN_HTTP_PROFILES || !buf || !cap) return SM_ERR_PARAM;
    rem = m->st.http[prof].remaining;
    if (!rem) return SM_ERR_STATE;
    n = max && rem > max ? max : rem;
    if (max && n > cap) return SM_ERR_PARAM;
    num[0] = prof;
    num[1] = max; /* 0: the form without a size */
    num[2] = max;
    memset(&c, 0, sizeof c);
    c.raw_lead = "<<<"; /* no header: "<<<", then the bytes (contract: Built-in HTTP client) */
    c.raw_len = (size_t)n;
    (void)sm_at_use_headerless(&m->at); /* an engine not ready fails in sm_sqn_build */
    c.raw_buf = buf;
    c.raw_cap = cap;
    a.n = num;
    a.s = NULL;
    a.arg = prof;
    id = sm_sqn_start_cmd(m, &sm_sqn_def_http_read, &a, &c, done, ctx, &op);
    if (id > 0) {
        op->flags = SM_SQN_OPF_HEADER;
        op->total = n;
        op->cap = cap;
        op->rest = rem - n;
        m->st.http[prof].remaining = rem - n; /* reserved now: reads may be queued back to back */
    }
    return id;
}

SECMODEM_API int sm_sqn_http_read(sm_sqn *m, uint8_t prof, uint8_t *buf, size_t cap,
                                  sm_sqn_done_fn done, void *ctx)
{
    return sm_sqn_http_rcv(m, prof, 0, buf, cap, done, ctx);
}

SECMODEM_API int sm_sqn_http_read_max(sm_sqn *m, uint8_t prof, uint16_t max, uint8_t *buf,
                                      size_t cap, sm_sqn_done_fn done, void *ctx)
{
    if (max < 64u || max > 1500u) return SM_ERR_PARAM; /* the modem's range */
    return sm_sqn_http_rcv(m, prof, max, buf, cap, done, ctx);
}

/* ---- host signing (contract: Host signing) ---------------------------------- */
SM_SQN_OPDEF(sm_sqn_def_hce_reply, "", "",
             SM_SQN_OP_HCE_REPLY, &sm_sqn_feat_hce, 0, 0, NULL);

SECMODEM_API int sm_sqn_hce_reply(sm_sqn *m, uint16_t sign_ctx, uint8_t status, const uint8_t *sig,
                                  sm_sqn_done_fn done, void *ctx)
{
    static const char digits[] = "0123456789abcdef"; /* lowercase, as MCHP sends it (docs/sequans.md C-33) */
    sm_buf b;
    sm_at_cmd c;
    size_t i, cap;
    char *mem;
    int rc;
    if (!m || (status == 0) != (sig != NULL)) return SM_ERR_PARAM;
    /* built here, not from a format (64 bytes in hex are no directive), in
       the queue as sm_sqn_build does */
    mem = sm_at_text_space(&m->at, &cap);
    if (!mem) return SM_ERR_STATE;
    sm_buf_init(&b, mem, cap < (size_t)SM_SQN_CMD_MAX + 1u ? cap : (size_t)SM_SQN_CMD_MAX + 1u);
    sm_buf_str(&b, "AT+SQNHCESIGN=");
    sm_buf_u32(&b, sign_ctx);
    sm_buf_char(&b, ',');
    sm_buf_u32(&b, status);
    if (status == 0) {
        sm_buf_str(&b, ",64,\"");
        for (i = 0; i < 64; i++) {
            sm_buf_char(&b, digits[sig[i] >> 4]);
            sm_buf_char(&b, digits[sig[i] & 0x0Fu]);
        }
        sm_buf_char(&b, '"');
    } else {
        sm_buf_str(&b, ",0,\"\""); /* no signature */
    }
    rc = sm_at_text_verdict(&b, sm_buf_finish(&b), (size_t)SM_SQN_CMD_MAX + 1u);
    if (rc) return rc;
    sm_sqn_cmd(&c, b.p, NULL, 0);
    return sm_sqn_queue(m, &sm_sqn_def_hce_reply, 0, &c, 1, done, ctx, NULL);
}

/* ---- names ---------------------------------------------------------------- */
SECMODEM_API const char *sm_sqn_event_name(int t)
{
#define SM_SQN_EV_NAME_(name) #name,
    static const char *const names[] = { "?", SM_SQN_EVENT_LIST(SM_SQN_EV_NAME_) };
#undef SM_SQN_EV_NAME_
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

SECMODEM_API const char *sm_sqn_step_name(unsigned step)
{
#define SM_SQN_STEP_NAME_(name) #name,
    static const char *const names[] = { SM_SQN_STEP_LIST(SM_SQN_STEP_NAME_) };
#undef SM_SQN_STEP_NAME_
    return step < sizeof names / sizeof names[0] ? names[step] : "?";
}

SECMODEM_API const char *sm_sqn_op_name(int k)
{
#define SM_SQN_OP_NAME_(name) #name,
    static const char *const names[] = { "?", SM_SQN_OP_LIST(SM_SQN_OP_NAME_) };
#undef SM_SQN_OP_NAME_
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* ---- time and MQTT supervision (declarations: "Time and MQTT supervision") -- */
enum { SM_SQN_SUB_FREE = 0, SM_SQN_SUB_PENDING, SM_SQN_SUB_ACTIVE, SM_SQN_SUB_LEAVING };
enum { SM_SQN_SYNC_IDLE = 0, SM_SQN_SYNC_CMD, SM_SQN_SYNC_WAIT, SM_SQN_SYNC_READ, SM_SQN_SYNC_READING };
enum { SM_SQN_BS_IDLE = 0, SM_SQN_BS_SEND, SM_SQN_BS_CMD, SM_SQN_BS_WAIT, SM_SQN_BS_REREAD };
enum { SM_SQN_PROBE_IDLE = 0, SM_SQN_PROBE_CMD, SM_SQN_PROBE_WAIT };
enum { SM_SQN_RS_IDLE = 0, SM_SQN_RS_NEXT, SM_SQN_RS_CMD, SM_SQN_RS_WAIT };
enum { SM_SQN_RC_IDLE = 0, SM_SQN_RC_START, SM_SQN_RC_DISC, SM_SQN_RC_CONNECT, SM_SQN_RC_CONN,
       SM_SQN_RC_WAIT };

/* Events of this part may come from sm_sqn_poll() itself, outside every
   engine callback: the guard keeps the application from re-entering it. */
SM_PRIV void sm_sqn_sup_emit(sm_sqn *m, sm_event *ev)
{
    m->at.in_callback++;
    sm_sqn_emit(m, ev);
    m->at.in_callback--;
}

SM_PRIV void sm_sqn_sup_event(sm_sqn *m, sm_sqn_event_type t, int status, int32_t rc)
{
    sm_event ev;
    sm_sqn_ev(&ev, t, "", 0);
    ev.u.sup.status = status;
    ev.u.sup.code = rc;
    sm_sqn_sup_emit(m, &ev);
}

/* Queues one internal command as an operation of this part: its done goes
   to fn, never to the application, and sm_sqn_sup_op_done() ignores it. */
/* Supervision commands come from the same descriptors as the
   application's (their formats, built in the queue by sm_sqn_build); the
   verdict SM_ERR_QUEUE_FULL means the next poll tries again. */
SM_PRIV int sm_sqn_sup_queue(sm_sqn *m, const sm_sqn_opdef *def, uint8_t arg, sm_at_cmd *c,
                             sm_sqn_done_fn fn, sm_sqn_op **out)
{
    sm_sqn_op *op;
    int id = sm_sqn_queue(m, def, arg, c, 1, fn, m, &op);
    if (id > 0) {
        op->base.own = 1;
        if (out) *out = op;
    }
    return id;
}

/* ---- the clock ---- */
SM_SQN_OPDEF(sm_sqn_def_clock_set, "AT+CCLK=\"%l\"", "",
             SM_SQN_OP_CLOCK_SET, NULL, 0, 0, NULL);

/* Two digits of v (0..99) at p. */
SM_PRIV void sm_sqn_2d(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10u);
    p[1] = (char)('0' + v % 10u);
}

SECMODEM_API int sm_sqn_clock_set(sm_sqn *m, const sm_datetime *c, sm_sqn_done_fn done, void *ctx)
{
    /* 3GPP TS 27.007 8.15: "yy/MM/dd,hh:mm:ss+zz", zz in quarter hours */
    char date[] = "yy/MM/dd,hh:mm:ss+zz";
    const char *str[1];
    sm_sqn_args a;
    int tz;
    if (!m || !c || c->year < 2000 || c->year > 2069 || c->month < 1 || c->month > 12 ||
        c->day < 1 || c->day > 31 || c->hour > 23 || c->minute > 59 || c->second > 59 ||
        c->tz_quarters < -96 || c->tz_quarters > 96)
        return SM_ERR_PARAM;
    tz = c->tz_quarters;
    sm_sqn_2d(date, (unsigned)(c->year - 2000u));
    sm_sqn_2d(date + 3, c->month);
    sm_sqn_2d(date + 6, c->day);
    sm_sqn_2d(date + 9, c->hour);
    sm_sqn_2d(date + 12, c->minute);
    sm_sqn_2d(date + 15, c->second);
    date[17] = tz < 0 ? '-' : '+';
    sm_sqn_2d(date + 18, (unsigned)(tz < 0 ? -tz : tz));
    str[0] = date;
    a.n = NULL;
    a.s = str;
    a.arg = 0;
    return sm_sqn_start(m, &sm_sqn_def_clock_set, &a, done, ctx);
}

/* The end of an sm_sqn_time_sync(). */
SM_PRIV void sm_sqn_sync_finish(sm_sqn *m, int status, sm_at_result at, int32_t code,
                                const sm_datetime *clock)
{
    sm_sqn_sup *s = &m->sup;
    sm_result res;
    sm_sqn_done_fn done = s->sync_done;
    memset(&res, 0, sizeof res);
    res.id = (int)s->sync_id;
    res.op = SM_SQN_OP_TIME_SYNC;
    res.status = status;
    res.at = at;
    res.code = code;
    res.u.sync.ntp = s->sync_ntp;
    if (clock) res.u.sync.clock = *clock;
    s->sync = SM_SQN_SYNC_IDLE;
    sm_ops_remember(&m->opq, res.id, status);
    if (done) {
        m->at.in_callback++;
        done(s->sync_ctx, m, &res);
        m->at.in_callback--;
    }
}

/* The URC's status decides: 0, read the clock; anything else failed. */
SM_PRIV void sm_sqn_sync_status(sm_sqn *m)
{
    if (m->sup.sync_ntp == 0) m->sup.sync = SM_SQN_SYNC_READ; /* queued by the next poll */
    else sm_sqn_sync_finish(m, SM_ERR_MODEM, SM_AT_OK, SM_AT_NO_CODE, NULL);
}

SM_PRIV void sm_sqn_sync_cmd_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    (void)ctx;
    if (m->sup.sync != SM_SQN_SYNC_CMD) return;
    if (r->status != SM_OK) { sm_sqn_sync_finish(m, r->status, r->at, r->code, NULL); return; }
    if (m->sup.ntp_seen) { sm_sqn_sync_status(m); return; } /* the URC came first */
    m->sup.sync = SM_SQN_SYNC_WAIT;
    m->sup.sync_deadline = sm_at_now(&m->at) + (uint32_t)SM_SQN_NTP_TIMEOUT_MS;
}

SM_PRIV void sm_sqn_sync_clock_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    int st = r->status;
    (void)ctx;
    if (m->sup.sync != SM_SQN_SYNC_READING) return;
    if (st == SM_OK && !r->u.clock.valid) st = SM_ERR_STATE; /* synced, yet still 1970 */
    sm_sqn_sync_finish(m, st, r->at, r->code, st == SM_OK || st == SM_ERR_STATE ? &r->u.clock : NULL);
}

/* +SQNNTP: <status>[,...] (Microchip's driver reads only the status: docs/sequans.md R-40). */
SM_PRIV void sm_sqn_urc_ntp(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_sqn *m = (sm_sqn *)ctx;
    sm_event ev;
    sm_fields f;
    int32_t st;
    if (sm_sqn_fields(&f, line, len) || sm_fields_int(&f, INT32_MIN, INT32_MAX, &st)) {
        sm_sqn_on_unknown(ctx, at, line, len);
        return;
    }
    m->sup.ntp_seen = 1;
    m->sup.ntp_status = st;
    sm_sqn_ev(&ev, SM_SQN_EV_NTP, line, len);
    ev.u.ntp.status = st;
    sm_sqn_emit(m, &ev);
    if (m->sup.sync == SM_SQN_SYNC_CMD || m->sup.sync == SM_SQN_SYNC_WAIT) m->sup.sync_ntp = st;
    if (m->sup.sync == SM_SQN_SYNC_WAIT) sm_sqn_sync_status(m);
}

SM_SQN_OPDEF(sm_sqn_def_time_sync, "AT+SQNNTP=2,%N,1", "",
             SM_SQN_OP_TIME_SYNC, &sm_sqn_feat_time, 0, 0, NULL);

/* AT+SQNNTP=2,"<servers>",1: the form MCHP sends (docs/sequans.md C-37);
   built into *c (zeroed here) in the queue. */
SM_PRIV int sm_sqn_ntp_build(sm_sqn *m, const char *servers, sm_at_cmd *c)
{
    const char *str[1];
    sm_sqn_args a;
    str[0] = servers;
    memset(c, 0, sizeof *c);
    a.n = NULL;
    a.s = str;
    return sm_sqn_build(m, &sm_sqn_def_time_sync, &a, c, 1);
}


SECMODEM_API int sm_sqn_time_sync(sm_sqn *m, const char *servers, sm_sqn_done_fn done, void *ctx)
{
    sm_at_cmd c;
    int id;
    if (!m) return SM_ERR_PARAM;
    id = sm_sqn_ntp_build(m, servers ? servers : SM_SQN_NTP_SERVERS, &c);
    if (id) return id;
    if (m->sup.sync != SM_SQN_SYNC_IDLE || m->sup.boot_sync != SM_SQN_BS_IDLE) return SM_ERR_STATE;
    id = sm_sqn_sup_queue(m, &sm_sqn_def_time_sync, 0, &c, sm_sqn_sync_cmd_done, NULL);
    if (id < 0) return id;
    m->sup.sync = SM_SQN_SYNC_CMD;
    m->sup.sync_done = done;
    m->sup.sync_ctx = ctx;
    m->sup.sync_id = (uint16_t)id;
    m->sup.sync_ntp = 0;
    m->sup.ntp_seen = 0;
    return id;
}

/* Advances a time sync; returns 1 if it queued a command. */
SM_PRIV int sm_sqn_sync_step(sm_sqn *m, uint32_t now)
{
    sm_at_cmd c;
    if (m->sup.sync == SM_SQN_SYNC_WAIT && sm_time_reached(now, m->sup.sync_deadline)) {
        sm_sqn_sync_finish(m, SM_ERR_TIMEOUT, SM_AT_TIMEOUT, SM_AT_NO_CODE, NULL);
        return 0;
    }
    if (m->sup.sync != SM_SQN_SYNC_READ) return 0;
    memset(&c, 0, sizeof c);
    if (sm_sqn_build(m, &sm_sqn_def_clock, NULL, &c, 1) ||
        sm_sqn_sup_queue(m, &sm_sqn_def_clock, 0, &c, sm_sqn_sync_clock_done, NULL) < 0)
        return 0;
    m->sup.sync = SM_SQN_SYNC_READING;
    return 1;
}

SECMODEM_API int sm_sqn_bringup_time_sync(sm_sqn *m, uint32_t timeout_ms)
{
    if (!m) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE;
    m->sup.boot_sync_ms = timeout_ms;
    return sm_sqn_use_time(m); /* the bring-up's sync is the time feature's */
}

/* The bring-up's sync (phase SM_SQN_PH_SYNC), entered when the clock read
   invalid: AT+SQNNTP, its URC, then the clock again (phase CLOCK), until the
   clock is valid or the option's time is up. Returns 1 if it queued. */
SM_PRIV int sm_sqn_sup_boot_sync(sm_sqn *m, uint32_t now)
{
    sm_sqn_boot *b = &m->boot;
    sm_sqn_sup *s = &m->sup;
    sm_at_cmd c;
    if (b->phase == SM_SQN_PH_CLOCK) { /* an invalid reading */
        b->have = 0;
        if (s->boot_sync == SM_SQN_BS_IDLE) {
            s->boot_deadline = now + s->boot_sync_ms;
            s->boot_retry = now;
        } else {
            s->boot_retry = now + (uint32_t)SM_SQN_NTP_RETRY_MS; /* synced, yet not valid */
        }
        b->phase = SM_SQN_PH_SYNC;
        s->boot_sync = SM_SQN_BS_SEND;
    }
    if (s->boot_sync == SM_SQN_BS_CMD && b->have) { /* the command's answer */
        b->have = 0;
        s->boot_sync = SM_SQN_BS_WAIT;
        s->boot_retry = now + (b->status == SM_OK ? (uint32_t)SM_SQN_NTP_TIMEOUT_MS
                                                  : (uint32_t)SM_SQN_NTP_RETRY_MS);
    }
    if (s->boot_sync == SM_SQN_BS_WAIT && s->ntp_seen) {
        s->ntp_seen = 0;
        if (s->ntp_status == 0) { /* read the clock again */
            s->boot_sync = SM_SQN_BS_REREAD;
            b->phase = SM_SQN_PH_CLOCK;
            return sm_sqn_boot_submit(m, "AT+CCLK?", "+CCLK:", 0, NULL);
        }
        s->boot_retry = now + (uint32_t)SM_SQN_NTP_RETRY_MS;
    }
    if (sm_time_reached(now, s->boot_deadline)) {
        s->boot_sync = SM_SQN_BS_IDLE;
        b->at = SM_AT_TIMEOUT;
        sm_sqn_boot_finish(m, SM_ERR_TIMEOUT, SM_SQN_STEP_TIME_SYNC);
        return 0;
    }
    if (!sm_time_reached(now, s->boot_retry)) return 0;
    /* a bad macro times out; a full queue waits for the next poll */
    if (sm_sqn_ntp_build(m, SM_SQN_NTP_SERVERS, &c)) return 0;
    s->ntp_seen = 0;
    if (!sm_sqn_boot_submit(m, c.text, NULL, 0, NULL)) return 0;
    s->boot_sync = SM_SQN_BS_CMD;
    return 1;
}

/* ---- the subscription table ---- */
/* The table is in the application's sm_sqn_mqtt_mem. Without it nothing
   is remembered: the operations that would remember (connect, subscribe,
   unsubscribe, supervise) are refused, so no session, probe, re-subscription
   or reconnect exists either; only the lookups from any URC check for it. */
SM_PRIV int sm_sqn_sub_find(const sm_sqn *m, const char *filter)
{
    const sm_sqn_mqtt_mem *mem = m->sup.mem;
    int i;
    for (i = 0; mem && i < SM_SQN_MQTT_SUBS; i++)
        if (mem->subs[i].state != SM_SQN_SUB_FREE && sm_sqn_streq(mem->subs[i].filter, filter))
            return i;
    return -1;
}

/* 1 if a subscription to filter can be remembered (known, or a free entry). */
SM_PRIV int sm_sqn_sup_room(const sm_sqn *m, const char *filter)
{
    int i;
    if (sm_sqn_sub_find(m, filter) >= 0) return 1;
    for (i = 0; i < SM_SQN_MQTT_SUBS; i++)
        if (m->sup.mem->subs[i].state == SM_SQN_SUB_FREE) return 1;
    return 0;
}

/* The application's (un)subscribe was queued as op (qos < 0: unsubscribe):
   the entry it concerns is marked, its index kept in op->arg. */
SM_PRIV void sm_sqn_sup_track(sm_sqn *m, sm_sqn_op *op, const char *filter, int qos)
{
    int i = sm_sqn_sub_find(m, filter);
    sm_sqn_sub *e;
    if (i < 0 && qos >= 0)
        for (i = 0; i < SM_SQN_MQTT_SUBS && m->sup.mem->subs[i].state != SM_SQN_SUB_FREE; i++) {}
    if (i < 0 || i >= SM_SQN_MQTT_SUBS) return; /* unsubscribing from an unknown filter */
    e = &m->sup.mem->subs[i];
    if (e->state == SM_SQN_SUB_FREE) {
        memcpy(e->filter, filter, strlen(filter) + 1u); /* checked: <= SM_SQN_TOPIC_MAX */
        e->state = SM_SQN_SUB_PENDING;
    }
    if (qos < 0) e->state = SM_SQN_SUB_LEAVING;
    else if (e->state == SM_SQN_SUB_LEAVING) e->state = SM_SQN_SUB_PENDING; /* wanted again */
    if (qos >= 0) e->qos = (uint8_t)qos;
    e->op = op->base.id;
    op->arg = (uint8_t)(i + 1);
}

SM_PRIV size_t sm_sqn_sub_count(const sm_sqn *m)
{
    size_t i, n = 0;
    for (i = 0; m->sup.mem && i < SM_SQN_MQTT_SUBS; i++)
        n += m->sup.mem->subs[i].state != SM_SQN_SUB_FREE;
    return n;
}

SECMODEM_API size_t sm_sqn_mqtt_subscriptions(const sm_sqn *m) { return m ? sm_sqn_sub_count(m) : 0; }

SECMODEM_API const char *sm_sqn_mqtt_subscription(const sm_sqn *m, size_t i)
{
    size_t k;
    if (!m || !m->sup.mem) return NULL;
    for (k = 0; k < SM_SQN_MQTT_SUBS; k++)
        if (m->sup.mem->subs[k].state != SM_SQN_SUB_FREE && i-- == 0)
            return m->sup.mem->subs[k].filter;
    return NULL;
}

/* "AT+SQNSMQTTSUBSCRIBE=0,"<filter>",<qos>" for entry i, as an operation of
   this part. */
SM_PRIV int sm_sqn_sup_subscribe(sm_sqn *m, int i, sm_sqn_done_fn fn)
{
    uint32_t num[1];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    int rc;
    str[0] = m->sup.mem->subs[i].filter;
    num[0] = m->sup.mem->subs[i].qos;
    memset(&c, 0, sizeof c);
    a.n = num;
    a.s = str;
    rc = sm_sqn_build(m, &sm_sqn_def_mqtt_sub, &a, &c, 1);
    if (rc) return rc;
    return sm_sqn_sup_queue(m, &sm_sqn_def_mqtt_sub, (uint8_t)(i + 1), &c, fn, NULL);
}

/* Forgets the session: after a restart, the application's disconnect or its
   new connect. Supervision settings stay. */
SM_PRIV void sm_sqn_sup_forget(sm_sqn *m)
{
    sm_sqn_sup *s = &m->sup;
    if (s->mem) memset(s->mem->subs, 0, sizeof s->mem->subs);
    s->session = 0;
    s->connecting = 0;
    s->probe = SM_SQN_PROBE_IDLE;
    s->resub = SM_SQN_RS_IDLE;
    s->reconnect = SM_SQN_RC_IDLE;
}

/* ---- re-subscription (after a resume or the library's reconnect) ---- */
SM_PRIV void sm_sqn_resub_fail(sm_sqn *m, int status, int32_t rc)
{
    sm_sqn_sup *s = &m->sup;
    if (s->resub_failed++ == 0) {
        s->resub_first = s->resub_i;
        s->resub_status = status;
        s->resub_rc = rc;
    }
}

SM_PRIV void sm_sqn_resub_done(void *ctx, sm_sqn *m, const sm_result *r);

/* Queues the next remembered filter, or reports the end. Returns 1 if it
   queued. */
/* The re-subscription ended: its event. */
SM_PRIV void sm_sqn_resub_end(sm_sqn *m)
{
    sm_sqn_sup *s = &m->sup;
    sm_event ev;
    s->resub = SM_SQN_RS_IDLE;
    sm_sqn_ev(&ev, s->resub_failed ? SM_SQN_EV_MQTT_RESUBSCRIBE_FAILED
                                   : SM_SQN_EV_MQTT_RESUBSCRIBED, "", 0);
    ev.u.sup.topics = s->resub_topics;
    ev.u.sup.failed = s->resub_failed;
    if (s->resub_failed) {
        ev.u.sup.topic = s->mem->subs[s->resub_first].filter;
        ev.u.sup.status = s->resub_status;
        ev.u.sup.code = s->resub_rc;
    }
    sm_sqn_sup_emit(m, &ev);
}

/* Moves resub_i to the next remembered entry from resub_i on (free and
   leaving ones are skipped); 0 when there is none left. */
SM_PRIV int sm_sqn_resub_seek(sm_sqn *m)
{
    sm_sqn_sup *s = &m->sup;
    for (; s->resub_i < SM_SQN_MQTT_SUBS; s->resub_i++) {
        uint8_t st = s->mem->subs[s->resub_i].state;
        if (st != SM_SQN_SUB_FREE && st != SM_SQN_SUB_LEAVING) return 1;
    }
    return 0;
}

/* On to the next remembered entry, from a URC handler or a done function:
   its command is left to sm_sqn_poll() (RS_NEXT), so that it is never
   built under the engine's line parser (issue 21's stack bound); with no
   entry left the re-subscription ends here, its event at once. */
SM_PRIV void sm_sqn_resub_advance(sm_sqn *m)
{
    if (sm_sqn_resub_seek(m)) m->sup.resub = SM_SQN_RS_NEXT;
    else sm_sqn_resub_end(m);
}

/* From sm_sqn_poll(): queues the command of the next remembered entry; 1
   if one was queued. */
SM_PRIV int sm_sqn_resub_next(sm_sqn *m)
{
    sm_sqn_sup *s = &m->sup;
    for (; sm_sqn_resub_seek(m); s->resub_i++) {
        int id = sm_sqn_sup_subscribe(m, s->resub_i, sm_sqn_resub_done);
        if (id == SM_ERR_QUEUE_FULL) { s->resub = SM_SQN_RS_NEXT; return 0; } /* the next poll */
        s->resub_topics++;
        if (id > 0) {
            s->resub = SM_SQN_RS_CMD;
            s->resub_op = (uint16_t)id;
            return 1;
        }
        sm_sqn_resub_fail(m, id, 0);
    }
    sm_sqn_resub_end(m);
    return 0;
}

SM_PRIV void sm_sqn_resub_start(sm_sqn *m)
{
    sm_sqn_sup *s = &m->sup;
    s->probe = SM_SQN_PROBE_IDLE; /* the session is new: an old probe's answer means nothing */
    s->resub_i = 0;
    s->resub_topics = 0;
    s->resub_failed = 0;
    sm_sqn_resub_advance(m);
}

/* The entry's command ended; its +SQNSMQTTONSUBSCRIBE may have come first. */
SM_PRIV void sm_sqn_resub_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_sqn_sup *s = &m->sup;
    (void)ctx;
    if (s->resub != SM_SQN_RS_CMD || r->id != (int)s->resub_op) return; /* a stale one */
    if (r->status == SM_ERR_REBOOT) return; /* the restart forgets the session */
    if (r->status != SM_OK) {
        sm_sqn_resub_fail(m, r->status, 0);
        s->resub_i++;
        sm_sqn_resub_advance(m);
        return;
    }
    s->resub = SM_SQN_RS_WAIT;
    s->deadline = sm_at_now(&m->at) + (uint32_t)SM_SQN_MQTT_PROBE_TIMEOUT_MS;
}

/* ---- the probe ---- */
SM_PRIV void sm_sqn_reconnect_start(sm_sqn *m);

SM_PRIV void sm_sqn_sup_alive(sm_sqn *m) { m->sup.alive_ms = sm_at_now(&m->at); }

/* The probe failed: the session is taken as dead (but still remembered). */
SM_PRIV void sm_sqn_sup_lost(sm_sqn *m, int status, int32_t rc)
{
    m->sup.probe = SM_SQN_PROBE_IDLE;
    m->st.mqtt_connected = 0;
    sm_sqn_sup_event(m, SM_SQN_EV_MQTT_LOST, status, rc);
    if ((m->sup.flags & SM_SQN_SUP_RECONNECT) && m->sup.mem->host[0] &&
        m->sup.reconnect == SM_SQN_RC_IDLE)
        sm_sqn_reconnect_start(m);
}

/* The broker's answer to the probe: rc 0 is life. */
SM_PRIV void sm_sqn_probe_answer(sm_sqn *m, int32_t rc)
{
    if (rc != 0) { sm_sqn_sup_lost(m, SM_ERR_REFUSED, rc); return; }
    m->sup.probe = SM_SQN_PROBE_IDLE;
    sm_sqn_sup_alive(m);
}

SM_PRIV void sm_sqn_probe_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_sqn_sup *s = &m->sup;
    (void)ctx;
    if (s->probe != SM_SQN_PROBE_CMD || r->id != (int)s->probe_op) return; /* a stale one */
    if (r->status == SM_ERR_REBOOT) return; /* the restart forgets the session */
    if (r->status != SM_OK) { sm_sqn_sup_lost(m, r->status, 0); return; }
    if (s->mem->probe_topic[0]) {
        s->probe_pmid = (uint16_t)r->value;
        if (s->early && s->early_pmid == r->value) { sm_sqn_probe_answer(m, s->early_rc); return; }
    }
    s->probe = SM_SQN_PROBE_WAIT;
    s->deadline = sm_at_now(&m->at) + (uint32_t)SM_SQN_MQTT_PROBE_TIMEOUT_MS;
}

/* Starts a probe; returns 1 if it queued one. */
SM_PRIV int sm_sqn_probe_start(sm_sqn *m)
{
    static const uint8_t payload[1] = { '?' };
    sm_sqn_sup *s = &m->sup;
    uint32_t num[2];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    int id, i;
    if (s->mem->probe_topic[0]) { /* a QoS 1 publish: its ONPUBLISH comes with the PUBACK */
        str[0] = s->mem->probe_topic;
        num[0] = 1; /* QoS 1 */
        num[1] = sizeof payload;
        memset(&c, 0, sizeof c);
        c.payload = payload;
        c.payload_len = sizeof payload;
        /* the topic was checked when set: only the queue's room can be short */
        a.n = num;
        a.s = str;
        if (sm_sqn_build(m, &sm_sqn_def_mqtt_publish, &a, &c, 1)) return 0; /* the next poll */
        id = sm_sqn_sup_queue(m, &sm_sqn_def_mqtt_publish, 0, &c, sm_sqn_probe_done, NULL);
    } else { /* a subscription again, to the first remembered filter */
        for (i = 0; i < SM_SQN_MQTT_SUBS && s->mem->subs[i].state != SM_SQN_SUB_ACTIVE; i++) {}
        if (i == SM_SQN_MQTT_SUBS) { sm_sqn_sup_alive(m); return 0; } /* nothing to probe with */
        s->probe_sub = (uint8_t)i;
        id = sm_sqn_sup_subscribe(m, i, sm_sqn_probe_done);
    }
    if (id <= 0) return 0; /* the queue is full: the next poll */
    s->probe = SM_SQN_PROBE_CMD;
    s->probe_op = (uint16_t)id;
    s->early = 0;
    return 1;
}

/* ---- the library's own reconnect ---- */
SM_PRIV void sm_sqn_reconnect_failed(sm_sqn *m, int status, int32_t rc)
{
    m->sup.reconnect = SM_SQN_RC_IDLE;
    sm_sqn_sup_event(m, SM_SQN_EV_MQTT_RECONNECT_FAILED, status, rc);
}

SM_PRIV void sm_sqn_reconnect_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_sqn_sup *s = &m->sup;
    (void)ctx;
    if (r->id != (int)s->rc_op || r->status == SM_ERR_REBOOT) return;
    if (s->reconnect == SM_SQN_RC_DISC) { /* whatever it answered: the old session is gone */
        s->reconnect = SM_SQN_RC_CONNECT;
    } else if (s->reconnect == SM_SQN_RC_CONN) {
        if (r->status != SM_OK) { sm_sqn_reconnect_failed(m, r->status, 0); return; }
        s->reconnect = SM_SQN_RC_WAIT;
        s->deadline = sm_at_now(&m->at) + (uint32_t)SM_SQN_MQTT_TIMEOUT_MS;
    }
}

SM_PRIV void sm_sqn_reconnect_start(sm_sqn *m) { m->sup.reconnect = SM_SQN_RC_START; }

/* Queues the reconnect's next command; returns 1 if it did. */
SM_PRIV int sm_sqn_reconnect_step(sm_sqn *m)
{
    sm_sqn_sup *s = &m->sup;
    uint32_t num[2];
    const char *str[1];
    sm_sqn_args a;
    sm_at_cmd c;
    int id;
    memset(&c, 0, sizeof c);
    if (s->reconnect == SM_SQN_RC_START) {
        if (sm_sqn_build(m, &sm_sqn_def_mqtt_disconnect, NULL, &c, 1)) return 0; /* the next poll */
        id = sm_sqn_sup_queue(m, &sm_sqn_def_mqtt_disconnect, 0, &c, sm_sqn_reconnect_done, NULL);
        if (id <= 0) return 0;
        s->reconnect = SM_SQN_RC_DISC;
    } else if (s->reconnect == SM_SQN_RC_CONNECT) {
        int rc;
        str[0] = s->mem->host;
        num[0] = s->mem->port;
        num[1] = s->mem->keepalive;
        a.n = num;
        a.s = str;
        rc = sm_sqn_build(m, &sm_sqn_def_mqtt_connect, &a, &c, 1);
        if (rc == SM_ERR_QUEUE_FULL || rc == SM_ERR_STATE) return 0; /* the next poll */
        if (rc) { sm_sqn_reconnect_failed(m, SM_ERR_PARAM, 0); return 0; }
        id = sm_sqn_sup_queue(m, &sm_sqn_def_mqtt_connect, 0, &c, sm_sqn_reconnect_done, NULL);
        if (id <= 0) return 0;
        s->reconnect = SM_SQN_RC_CONN;
    } else {
        return 0;
    }
    s->rc_op = (uint16_t)id;
    return 1;
}

/* The MQTT feature's URCs as the probe and the reconnect follow them
   (sm_sqn_feat_watch's note). */
SM_PRIV void sm_sqn_watch_note(sm_sqn *m, int what, int status, int32_t rc)
{
    if (what == SM_SQN_NOTE_PROBE_ANSWER) sm_sqn_probe_answer(m, rc);
    else sm_sqn_reconnect_failed(m, status, rc);
}

/* Tells the watch, if registered: a probe or a reconnect runs only after
   sm_sqn_mqtt_supervise() registered it, so without it there is nothing
   to tell, and an application that never supervises links none of it. */
SM_PRIV void sm_sqn_watch(sm_sqn *m, int what, int status, int32_t rc)
{
    const sm_sqn_feature *w = m->feat[SM_SQN_F_WATCH];
    if (w) w->note(m, what, status, rc);
}

/* ---- hooks called from the URC handlers and the operations ---- */
/* +SQNSMQTTONCONNECT:0,<rc>, after its MQTT_CONNECTED event. */
SM_PRIV void sm_sqn_sup_on_connect(sm_sqn *m, int32_t rc)
{
    sm_sqn_sup *s = &m->sup;
    sm_event ev;
    if (s->reconnect == SM_SQN_RC_CONN || s->reconnect == SM_SQN_RC_WAIT) { /* ours */
        if (rc != 0) { sm_sqn_watch(m, SM_SQN_NOTE_RECONNECT_REFUSED, SM_ERR_REFUSED, rc); return; }
        s->reconnect = SM_SQN_RC_IDLE;
        sm_sqn_sup_alive(m);
        sm_sqn_resub_start(m);
        return;
    }
    if (s->connecting) { /* the answer to the application's connect */
        s->connecting = 0;
        s->session = (uint8_t)(rc == 0);
        if (rc == 0) sm_sqn_sup_alive(m);
        return;
    }
    if (!s->session || rc != 0) return;
    /* unsolicited, during a session: the modem resumed it, subscribed to nothing */
    s->reconnect = SM_SQN_RC_IDLE;
    sm_sqn_sup_alive(m);
    sm_sqn_ev(&ev, SM_SQN_EV_MQTT_RESUMED, "", 0);
    ev.u.sup.topics = (uint8_t)sm_sqn_sub_count(m);
    sm_sqn_sup_emit(m, &ev);
    sm_sqn_resub_start(m);
}

/* +SQNSMQTTON(UN)SUBSCRIBE:0,"<topic>",<rc>, after its event: i is the
   entry of the subscription table the topic names, -1 none. */
SM_PRIV void sm_sqn_sup_on_sub(sm_sqn *m, int i, int32_t rc, int subscribe)
{
    sm_sqn_sup *s = &m->sup;
    if (!subscribe) return; /* the table follows the UNSUBSCRIBE command's result */
    if (rc == 0) sm_sqn_sup_alive(m);
    if (i >= 0 && s->mem->subs[i].state == SM_SQN_SUB_PENDING)
        s->mem->subs[i].state = (uint8_t)(rc == 0 ? SM_SQN_SUB_ACTIVE : SM_SQN_SUB_FREE);
    if ((s->resub == SM_SQN_RS_CMD || s->resub == SM_SQN_RS_WAIT) && i == (int)s->resub_i) {
        if (rc != 0) sm_sqn_resub_fail(m, SM_ERR_REFUSED, rc);
        s->resub_i++;
        sm_sqn_resub_advance(m);
    }
    if ((s->probe == SM_SQN_PROBE_CMD || s->probe == SM_SQN_PROBE_WAIT) &&
        !s->mem->probe_topic[0] && i == (int)s->probe_sub)
        sm_sqn_watch(m, SM_SQN_NOTE_PROBE_ANSWER, SM_OK, rc);
}

/* +SQNSMQTTONPUBLISH:0,<pmid>,<rc>, after its event. */
SM_PRIV void sm_sqn_sup_on_pub(sm_sqn *m, uint16_t pmid, int32_t rc)
{
    sm_sqn_sup *s = &m->sup;
    if (!s->mem || !s->mem->probe_topic[0]) return; /* any ONPUBLISH comes here */
    if (s->probe == SM_SQN_PROBE_CMD) { /* before the pmid is known: kept for the answer */
        s->early = 1;
        s->early_pmid = pmid;
        s->early_rc = rc;
    } else if (s->probe == SM_SQN_PROBE_WAIT && pmid == s->probe_pmid) {
        sm_sqn_watch(m, SM_SQN_NOTE_PROBE_ANSWER, SM_OK, rc);
    }
}

/* An application's operation ended (before its done callback). */
SM_PRIV void sm_sqn_sup_op_done(sm_sqn *m, const sm_sqn_op *op, const sm_result *r)
{
    sm_sqn_sub *e;
    if (op->base.own) return;
    switch (op->def->kind) {
    case SM_SQN_OP_MQTT_CONNECT:
        if (r->status != SM_OK) m->sup.connecting = 0; /* no ONCONNECT will follow */
        break;
    case SM_SQN_OP_MQTT_DISCONNECT:
        if (r->status == SM_OK) sm_sqn_sup_forget(m);
        break;
    case SM_SQN_OP_MQTT_SUBSCRIBE:
    case SM_SQN_OP_MQTT_UNSUBSCRIBE:
        if (!op->arg) break;
        e = &m->sup.mem->subs[op->arg - 1];
        if (e->op != op->base.id || e->state == SM_SQN_SUB_FREE) break; /* someone else's now */
        if (op->def->kind == SM_SQN_OP_MQTT_UNSUBSCRIBE)
            e->state = (uint8_t)(r->status == SM_OK ? SM_SQN_SUB_FREE : SM_SQN_SUB_ACTIVE);
        else if (r->status != SM_OK && e->state == SM_SQN_SUB_PENDING)
            e->state = SM_SQN_SUB_FREE;
        break;
    default:
        break;
    }
}

/* The application's connect was queued: a new session, nothing remembered. */
SM_PRIV void sm_sqn_sup_connecting(sm_sqn *m, sm_sqn_mqtt_mem *mem, const char *host, uint16_t port,
                                   uint16_t keepalive)
{
    sm_sqn_sup_forget(m);
    m->sup.connecting = 1;
    memcpy(mem->host, host, strlen(host) + 1u); /* checked: <= SM_SQN_HOST_MAX */
    mem->port = port;
    mem->keepalive = keepalive;
}

/* +SYSSTART: a time sync is gone (the MQTT feature's reset,
   sm_sqn_sup_forget, ran before: it forgets the session). */
SM_PRIV void sm_sqn_time_reset(sm_sqn *m)
{
    m->sup.boot_sync = SM_SQN_BS_IDLE;
    m->sup.ntp_seen = 0;
    if (m->sup.sync != SM_SQN_SYNC_IDLE)
        sm_sqn_sync_finish(m, SM_ERR_REBOOT, SM_AT_REBOOT, SM_AT_NO_CODE, NULL);
}

SECMODEM_API int sm_sqn_mqtt_supervise(sm_sqn *m, uint32_t period_ms, const char *probe_topic,
                                       unsigned flags)
{
    sm_sqn_sup *s;
    int rc;
    if (!m || flags > SM_SQN_SUP_RECONNECT) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at) || !m->sup.mem) return SM_ERR_STATE; /* see sm_sqn_use_mqtt */
    s = &m->sup;
    if (probe_topic) {
        rc = sm_check_str(probe_topic, SM_SQN_TOPIC_MAX, SM_STR_NONEMPTY | SM_STR_UTF8);
        if (rc) return rc;
        if (strpbrk(probe_topic, "+#")) return SM_ERR_PARAM; /* a topic, not a filter */
    }
    s->period_ms = period_ms;
    s->flags = (uint8_t)flags;
    s->probe = SM_SQN_PROBE_IDLE;
    if (probe_topic) memcpy(s->mem->probe_topic, probe_topic, strlen(probe_topic) + 1u);
    else s->mem->probe_topic[0] = '\0';
    /* the first probe at once: a probe the broker refuses shows now */
    s->alive_ms = sm_at_now(&m->at) - period_ms;
    rc = sm_sqn_use_mqtt(m, s->mem); /* the session it watches */
    return rc ? rc : sm_sqn_use(m, &sm_sqn_feat_watch); /* the probe and the reconnect */
}

/* Advances the re-subscription after a resume from sm_sqn_poll() (the MQTT
   feature's step; the time feature's is sm_sqn_sync_step, the probe's and
   reconnect's sm_sqn_watch_step); 1 if it queued. */
SM_PRIV int sm_sqn_mqtt_step(sm_sqn *m, uint32_t now)
{
    sm_sqn_sup *s = &m->sup;
    int queued = 0;
    if (s->resub == SM_SQN_RS_WAIT && sm_time_reached(now, s->deadline)) {
        sm_sqn_resub_fail(m, SM_ERR_TIMEOUT, 0);
        s->resub_i++;
        s->resub = SM_SQN_RS_NEXT;
    }
    if (s->resub == SM_SQN_RS_NEXT) queued |= sm_sqn_resub_next(m);
    return queued;
}

/* Advances the probe and the reconnect from sm_sqn_poll() (the WATCH
   feature's step, after the MQTT feature's); 1 if it queued. */
SM_PRIV int sm_sqn_watch_step(sm_sqn *m, uint32_t now)
{
    sm_sqn_sup *s = &m->sup;
    int queued = 0;
    if (s->probe == SM_SQN_PROBE_WAIT && sm_time_reached(now, s->deadline))
        sm_sqn_sup_lost(m, SM_ERR_TIMEOUT, 0);
    if (s->reconnect == SM_SQN_RC_WAIT && sm_time_reached(now, s->deadline))
        sm_sqn_reconnect_failed(m, SM_ERR_TIMEOUT, 0);
    queued |= sm_sqn_reconnect_step(m);
    if (s->period_ms && s->session && m->st.mqtt_connected && s->probe == SM_SQN_PROBE_IDLE &&
        s->resub == SM_SQN_RS_IDLE && s->reconnect == SM_SQN_RC_IDLE && m->at.q_count == 0 &&
        sm_time_reached(now, s->alive_ms + s->period_ms))
        queued |= sm_sqn_probe_start(m);
    return queued;
}

/* ---- operations in progress (the same three as section 7's) ---------------- */
/* The records are section 5.4's; the bring-up and a time sync are
   operations of the application without a record (they run many commands,
   one after another, from the poll). */
SECMODEM_API int sm_sqn_pending(const sm_sqn *m, int id)
{
    if (!m || id <= 0) return 0;
    if (m->boot.phase != SM_SQN_PH_IDLE && (int)m->boot.id == id) return 1;
    if (m->sup.sync != SM_SQN_SYNC_IDLE && (int)m->sup.sync_id == id) return 1;
    return sm_ops_pending(&m->opq, id);
}

SECMODEM_API int sm_sqn_busy(const sm_sqn *m)
{
    if (!m) return 0;
    return (m->boot.phase != SM_SQN_PH_IDLE) + (m->sup.sync != SM_SQN_SYNC_IDLE) +
           sm_ops_busy(&m->opq);
}

SECMODEM_API void sm_sqn_cancel(sm_sqn *m)
{
    sm_sqn_sup *s;
    if (!m || !sm_at_ready(&m->at)) return;
    s = &m->sup;
    /* the library's own commands, flushed below, end as stale ones: their
       done functions ignore a phase that is no longer theirs */
    if (s->probe != SM_SQN_PROBE_IDLE) {
        s->probe = SM_SQN_PROBE_IDLE;
        sm_sqn_sup_alive(m);
    }
    if (s->resub == SM_SQN_RS_CMD || s->resub == SM_SQN_RS_WAIT) {
        s->resub = SM_SQN_RS_NEXT; /* the same entry again, counted once */
        if (s->resub_topics) s->resub_topics--;
    }
    if (s->reconnect != SM_SQN_RC_IDLE) s->reconnect = SM_SQN_RC_START;
    sm_at_flush(&m->at, SM_AT_CANCELLED);
    if (m->boot.phase != SM_SQN_PH_IDLE) {
        s->boot_sync = SM_SQN_BS_IDLE;
        m->boot.at = SM_AT_CANCELLED;
        sm_sqn_boot_finish(m, SM_ERR_CANCELLED, sm_sqn_boot_cur_step(&m->boot));
    }
    if (s->sync != SM_SQN_SYNC_IDLE)
        sm_sqn_sync_finish(m, SM_ERR_CANCELLED, SM_AT_CANCELLED, SM_AT_NO_CODE, NULL);
}

SECMODEM_API int sm_sqn_wait(sm_sqn *m, int id)
{
    if (!m || id <= 0) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE;
    if (m->at.in_callback) return SM_ERR_BUSY;
    while (sm_sqn_pending(m, id)) (void)sm_sqn_poll(m); /* every operation ends by its deadline */
    return sm_ops_status(&m->opq, id);
}

/* ---- a socket as a byte stream ------------------------------------------- */
SECMODEM_API int sm_sqn_stream_init(sm_sqn_stream *s, sm_sqn *m, int sock)
{
    if (!s || !m || !sm_sqn_sock_ok(sock)) return SM_ERR_PARAM;
    if (!sm_at_ready(&m->at)) return SM_ERR_STATE;
    memset(s, 0, sizeof *s);
    s->m = m;
    s->sock = (uint8_t)sock;
    return SM_OK;
}

SM_PRIV void sm_sqn_stream_sent(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_sqn_stream *s = (sm_sqn_stream *)ctx;
    (void)m;
    s->sending = 0;
    if (r->status != SM_OK) {
        if (s->status == SM_OK) s->status = r->status;
        return;
    }
    /* the bytes went out: the rest moves to the front (none is in flight now) */
    memmove(s->tx, s->tx + s->tx_inflight, (size_t)(s->tx_len - s->tx_inflight));
    s->tx_len = (uint16_t)(s->tx_len - s->tx_inflight);
    s->tx_inflight = 0;
    sm_sqn_stream_kick(s);
}

SM_PRIV void sm_sqn_stream_got(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_sqn_stream *s = (sm_sqn_stream *)ctx;
    (void)m;
    s->receiving = 0;
    if (r->status != SM_OK) {
        if (s->status == SM_OK) s->status = r->status; /* TRUNCATED cannot happen: we ask <= cap */
        return;
    }
    s->rx_off = 0;
    s->rx_len = (uint16_t)r->len;
    sm_sqn_stream_kick(s);
}

SECMODEM_API void sm_sqn_stream_kick(sm_sqn_stream *s)
{
    const sm_sqn_sock_state *st;
    int id;
    if (!s || !s->m || s->status != SM_OK) return;
    st = &s->m->st.sock[s->sock - 1];
    if (!s->sending && s->tx_len) {
        size_t n = s->tx_len < 1500u ? s->tx_len : 1500u;
        if (n > (size_t)SM_PAYLOAD_MAX) n = (size_t)SM_PAYLOAD_MAX;
        id = sm_sqn_sock_send(s->m, s->sock, s->tx, n, sm_sqn_stream_sent, s);
        if (id > 0) {
            s->sending = 1;
            s->tx_inflight = (uint16_t)n;
        } else if (id != SM_ERR_QUEUE_FULL) {
            s->status = id; /* QUEUE_FULL: tried again at the next call */
        }
    }
    /* read only into an empty buffer: what it holds stays in order */
    if (!s->receiving && s->rx_off == s->rx_len && st->pending) {
        id = sm_sqn_sock_recv(s->m, s->sock, s->rx, sizeof s->rx, sm_sqn_stream_got, s);
        if (id > 0) s->receiving = 1;
        else if (id != SM_ERR_QUEUE_FULL) s->status = id;
    }
}

SECMODEM_API int sm_sqn_stream_queue(sm_sqn_stream *s, const uint8_t *data, size_t len)
{
    size_t room, n;
    if (!s || !s->m || (len && !data)) return SM_ERR_PARAM;
    if (s->status != SM_OK) return s->status;
    if (s->m->st.sock[s->sock - 1].remote_closed) return SM_ERR_IO; /* nobody would read it */
    room = sizeof s->tx - s->tx_len;
    n = len < room ? len : room;
    if (n > 0x7FFFu) n = 0x7FFFu; /* an int on 16-bit targets too */
    if (n) memcpy(s->tx + s->tx_len, data, n); /* data may be NULL when len is 0 */
    s->tx_len = (uint16_t)(s->tx_len + n);
    return (int)n;
}

SECMODEM_API int sm_sqn_stream_write(sm_sqn_stream *s, const uint8_t *data, size_t len)
{
    int n = sm_sqn_stream_queue(s, data, len);
    if (n >= 0) sm_sqn_stream_kick(s);
    return n;
}

SECMODEM_API int sm_sqn_stream_read(sm_sqn_stream *s, uint8_t *buf, size_t cap)
{
    size_t n;
    const sm_sqn_sock_state *st;
    if (!s || !s->m || (cap && !buf)) return SM_ERR_PARAM;
    sm_sqn_stream_kick(s);
    n = (size_t)(s->rx_len - s->rx_off);
    if (n > cap) n = cap;
    if (n > 0x7FFFu) n = 0x7FFFu; /* an int on 16-bit targets too */
    if (n) {
        memcpy(buf, s->rx + s->rx_off, n);
        s->rx_off = (uint16_t)(s->rx_off + n);
        sm_sqn_stream_kick(s);
        return (int)n;
    }
    if (s->status != SM_OK) return s->status;
    st = &s->m->st.sock[s->sock - 1];
    if (st->remote_closed && !st->pending && !s->receiving) {
        s->status = SM_ERR_IO; /* the peer closed and everything it sent was read */
        return s->status;
    }
    return 0;
}

SECMODEM_API size_t sm_sqn_stream_unsent(const sm_sqn_stream *s) { return s ? s->tx_len : 0; }
#endif /* SM_NO_SEQUANS */
#ifndef SM_NO_CORDELIA
/* ==========================================================================
   7. CORDELIA-I DIALECT (implementation)
   In order: the dialect; the event handlers and their table; the commands'
   formats, builders and answer readers; the operation queue that runs
   them; the public functions, each with its operation's descriptor
   (sm_cord_opdef: its command written from a format in the contract's own
   syntax, or by a builder when it is a sequence; an on_ok function reads
   the answer, an on_end function adds what the result says beyond status
   and data). A descriptor is its own const object referenced only by its
   public function, so a program links only the operations it calls.
   ========================================================================== */

/* ---- dialect ------------------------------------------------------------ */
/* Error lines. Würth's driver ends a command at any line whose first five
   bytes are "error" in any case, takes the text after the ':' with leading
   spaces skipped, then the code after the comma: a signed decimal
   number (docs/cordelia.md D2 gives the driver's file and lines; the
   word "error" is one of the driver's AT constants). The Calypso
   manual writes "ERROR: <description>, <code>". So
   ERROR:<text>,<code>, "Error: text, -2006" and error:<text> all end the
   command with SM_AT_DIALECT_ERROR. The code is the field after the LAST
   comma (the text may hold commas), spaces trimmed; without a number there
   the whole rest is the text. A bare "ERROR" is the standard result. */
SM_PRIV int sm_cord_classify(const char *line, size_t len, sm_at_final *out)
{
    static const char kw[] = "error";
    size_t i, start, end;
    if (len < 5 || (len == 5 && memcmp(line, "ERROR", 5) == 0)) return 0;
    for (i = 0; i < 5; i++)
        if ((char)(line[i] | 0x20) != kw[i]) return 0;
    start = 5;
    while (start < len && line[start] == ' ') start++;
    if (start < len && line[start] == ':') start++;
    while (start < len && line[start] == ' ') start++;
    out->result = SM_AT_DIALECT_ERROR;
    out->code = SM_AT_NO_CODE;
    end = len;
    for (i = len; i > start; i--) {
        if (line[i - 1] != ',') continue;
        {
            size_t a = i, b = len;
            while (a < b && line[a] == ' ') a++;
            while (b > a && line[b - 1] == ' ') b--;
            if (sm_parse_i32(line + a, b - a, INT32_MIN, INT32_MAX, &out->code) == SM_OK)
                end = i - 1;
        }
        break;
    }
    while (end > start && line[end - 1] == ' ') end--;
    out->text = line + start;
    out->text_len = end - start;
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
enum { SM_CORD_W_NONE = 0, SM_CORD_W_STARTUP, SM_CORD_W_IP, SM_CORD_W_CONNACK,
       SM_CORD_W_WLAN_DOWN, SM_CORD_W_CONNECT, SM_CORD_W_RECV };
enum { SM_CORD_END = 1, SM_CORD_SKIP = 2 };                   /* builders, besides SM_OK */
enum { SM_CORD_NEXT = 1, SM_CORD_FINISH = 2, SM_CORD_WAIT = 3 }; /* on_ok handlers */
enum { SM_CORD_V_STR = 1, SM_CORD_V_I32, SM_CORD_V_I8, SM_CORD_V_B8, SM_CORD_V_FILE,
       SM_CORD_V_WORD }; /* setting value types */
enum { SM_CORD_T_GEN = 0, SM_CORD_T_FILE, SM_CORD_T_RESET, SM_CORD_T_CONNECT }; /* timeouts */
enum { SM_CORD_C_READ = 1 }; /* descriptor flags: the receive rule of reads (sm_cord_finish) */
/* AT+send / AT+recv carry 1..1460 bytes (contract), within SM_PAYLOAD_MAX */
#define SM_CORD_DATA_MAX ((uint32_t)(SM_PAYLOAD_MAX < 1460 ? SM_PAYLOAD_MAX : 1460))
/* The response prefix of commands that answer no information line: no line
   starts with it, so any unexpected line reaches the event callback. */
#define SM_CORD_NO_INFO "\001"

/* ---- operation descriptors ------------------------------------------------------
   Each operation is one sm_cord_opdef, a const object of its own next to
   its public function and referenced from nowhere else: a program links
   the builders, answer readers and tables of the operations it calls and
   no others (-ffunction-sections -fdata-sections --gc-sections). The
   interpreter below (formats, steps, event waits) is shared. */
/* A builder writes the command of step `step` (text into b, the rest into
   cmd) and returns SM_OK, SM_CORD_SKIP (this step sends nothing),
   SM_CORD_END (no such step) or an error. Builders are pure: the same one
   checks the arguments when the operation is started. */
typedef int (*sm_cord_build_fn)(const sm_cord_op *op, uint32_t step, uint32_t file_id, sm_buf *b,
                                sm_at_cmd *cmd);
/* Reads a successful answer: SM_CORD_NEXT (on to the next step),
   SM_CORD_FINISH, SM_CORD_WAIT (for the operation's event) or an error. */
typedef int (*sm_cord_ok_fn)(sm_cord *c, const sm_at_response *r, sm_result *res);
/* Adds what a result says beyond status and data (the setting concerned,
   the upload's stage, the text that goes with success) and does what a
   failure leaves to do. r: the engine's answer when the operation ends on
   its command's failure, else NULL. */
typedef void (*sm_cord_end_fn)(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                               sm_result *res);
/* Writes the argument of format directive d (see sm_cord_format). */
typedef void (*sm_cord_arg_fn)(sm_buf *b, char d, const sm_cord_op *op);
typedef struct sm_cord_opdef {
    const char *fmt;         /* the command, see sm_cord_format(); "": built */
    sm_cord_arg_fn args;     /* the writer of its directives; NULL: none */
    const char *prefix;      /* its information line (a builder may choose per step) */
    uint8_t kind;            /* sm_cord_op_kind: result op (and its name) */
    uint8_t timeout;         /* SM_CORD_T_* */
    uint8_t awaits;          /* SM_CORD_W_*: the event that ends it after its OK */
    uint8_t flags;           /* SM_CORD_C_* */
    sm_cord_build_fn build;  /* the commands of a sequence, or one with extras */
    sm_cord_ok_fn on_ok;     /* reads a successful answer; NULL: on to the next step */
    sm_cord_end_fn on_end;   /* the result's extras; NULL: none */
} sm_cord_opdef;

SM_PRIV void sm_cord_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A NUL-terminated copy of s[0..n), cut to cap - 1 bytes. */
SM_PRIV void sm_cord_copy_n(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, s, n);
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
   The fields after the prefix are copied, NUL-terminated, into the
   module's scratch (c->scratch.line.text, as long as a line), following a
   spec: 's' a string, 'i' a number; upper case when required. Missing
   optional fields are "" and 0. The scratch is the module's, not the
   handler's frame: an event handler runs under the engine's whole line
   parser, and a line-sized copy there is what made the deepest stacks.
   It is free again when the handler returns; a handler that runs inside
   one of the module's callbacks (which may still read the outer event's
   fields, or the result of sm_cord_end in the same memory) finds it
   taken: its line is not parsed and reaches the event callback as
   SM_CORD_EV_UNHANDLED (a start-up event still resets the state and is
   reported, its fields empty). Only the application gets there, by
   feeding or polling the engine (sm_cord_at) from a callback:
   sm_cord_poll, _feed and _wait refuse in callbacks, and no Cordelia
   command holds bytes that a cancel's flush gives back to the parser. */

SM_PRIV int sm_cord_scan(sm_cord *c, sm_cord_fields *x, const char *line, size_t len,
                         const char *prefix, const char *spec)
{
    char *buf = c->scratch.line.text;
    size_t used = 0, k, n;
    const char *p;
    int quoted;
    if (c->in_cb || sm_fields_init(&x->f, line, len, prefix) != SM_OK) return 0;
    /* spec is a NUL-terminated string literal of at most SM_CORD_EV_FIELDS
       letters (cppcheck infers one caller's literal size) */
    /* cppcheck-suppress arrayIndexOutOfBoundsCond */
    for (k = 0; k < SM_CORD_EV_FIELDS && spec[k]; k++) {
        int need = spec[k] == 'S' || spec[k] == 'I';
        x->s[k] = "";
        x->v[k] = 0;
        if (!sm_fields_more(&x->f) || sm_fields_token(&x->f, &p, &n, &quoted) != SM_OK) {
            if (need) return 0;
            continue;
        }
        if (spec[k] == 's' || spec[k] == 'S') {
            x->s[k] = buf + used; /* fits: the fields are shorter than the line */
            memcpy(buf + used, p, n);
            buf[used + n] = '\0';
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

SM_PRIV void sm_cord_emit(sm_cord *c, sm_event *ev, sm_cord_event_type kind,
                          const char *line, size_t len)
{
    ev->type = (int)kind;
    ev->line = line;
    ev->line_len = len;
    if (kind != SM_CORD_EV_UNHANDLED) c->heard = 1; /* a module that reports is up */
    if (!c->on_event) return;
    c->in_cb++;
    c->on_event(c->event_ctx, c, ev);
    c->in_cb--;
}

/* Lines nobody expected: unknown events, events that do not parse, stray
   lines the engine could not place. */
SM_PRIV void sm_cord_ev_other(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_event ev;
    (void)at;
    memset(&ev, 0, sizeof ev);
    sm_cord_emit((sm_cord *)ctx, &ev, SM_CORD_EV_UNHANDLED, line, len);
}

/* An event that ends the operation waiting for it; one that comes before
   the operation's own OK is kept until that OK (contract "Framing": events
   may come between a command and its OK). */
/* The event's text is kept in ev_text either way: it may be one of the
   event's fields, in the scratch that sm_cord_end's result takes over. */
SM_PRIV void sm_cord_outcome(sm_cord *c, uint8_t what, int status, int32_t code,
                             const char *text)
{
    int wait = c->phase == SM_CORD_PH_WAIT;
    if (sm_cord_awaits(c) != what || !(wait || (c->phase == SM_CORD_PH_CMD && !c->early)))
        return;
    sm_cord_copy(c->ev_text, sizeof c->ev_text, text);
    if (wait) {
        sm_cord_end(c, status, code, text ? c->ev_text : NULL);
        return;
    }
    c->early = 1;
    c->early_status = status;
    c->early_code = code;
}

/* +eventstartup:<article>,<chipID>,<MAC>,<x.y.z> (contract "Framing"). The
   engine has already ended a command in flight with SM_AT_REBOOT. */
SM_PRIV void sm_cord_ev_startup(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_state *st = &c->state;
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    (void)at;
    memset(st, 0, sizeof *st); /* a restart ends every connection */
    st->started = 1;
    c->connect_sock = -1;
    if (sm_cord_scan(c, x, line, len, "+eventstartup:", "ssss")) {
        sm_cord_copy(st->article, sizeof st->article, x->s[0]);
        sm_cord_copy(st->chip_id, sizeof st->chip_id, x->s[1]);
        sm_cord_copy(st->mac, sizeof st->mac, x->s[2]);
        sm_cord_copy(st->version, sizeof st->version, x->s[3]);
    }
    ev->u.startup.article = st->article;
    ev->u.startup.chip_id = st->chip_id;
    ev->u.startup.mac = st->mac;
    ev->u.startup.version = st->version;
    ev->u.startup.count = (uint16_t)c->at.stats.reboots; /* the engine counted it */
    sm_cord_emit(c, ev, SM_CORD_EV_STARTUP, line, len);
    if (c->phase == SM_CORD_PH_WAIT && sm_cord_awaits(c) != SM_CORD_W_STARTUP)
        sm_cord_end(c, SM_ERR_REBOOT, SM_AT_NO_CODE, NULL); /* its event will never come */
    else
        sm_cord_outcome(c, SM_CORD_W_STARTUP, SM_OK, SM_AT_NO_CODE, NULL);
}

/* +eventwlan:connect,<SSID>,<BSSID> and
   +eventwlan:disconnect,<SSID>,<BSSID>,<reason> (contract "Wi-Fi"). */
SM_PRIV void sm_cord_ev_wlan(sm_cord *c, const char *line, size_t len, int up)
{
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    if (!sm_cord_scan(c, x, line, len, up ? "+eventwlan:connect," : "+eventwlan:disconnect,",
                      "Ssi")) {
        sm_cord_ev_other(c, &c->at, line, len);
        return;
    }
    ev->u.wlan.ssid = x->s[0];
    ev->u.wlan.bssid = x->s[1];
    ev->u.wlan.reason = x->v[2];
    c->state.wlan_connected = (uint8_t)up;
    if (!up) {
        c->state.ipv4[0] = '\0';
        c->state.mqtt_connected = 0; /* no broker without Wi-Fi */
    }
    sm_cord_emit(c, ev, up ? SM_CORD_EV_WLAN_CONNECTED : SM_CORD_EV_WLAN_DISCONNECTED, line, len);
    if (up) return;
    /* wlanConnect while associated first drops the old link (reason 0,
       before its OK): that is not this connection failing */
    if (!(x->v[2] == 0 && c->phase == SM_CORD_PH_CMD))
        sm_cord_outcome(c, SM_CORD_W_IP, SM_ERR_MODEM, x->v[2], "wlan disconnect");
    sm_cord_outcome(c, SM_CORD_W_WLAN_DOWN, SM_OK, SM_AT_NO_CODE, NULL);
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
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    if (!sm_cord_scan(c, x, line, len, "+eventnetapp:ipv4_acquired,", "Sss") ||
        strlen(x->s[0]) >= sizeof c->state.ipv4) {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    sm_cord_copy(c->state.ipv4, sizeof c->state.ipv4, x->s[0]);
    ev->u.ip.ip = x->s[0];
    ev->u.ip.gateway = x->s[1];
    ev->u.ip.dns = x->s[2];
    sm_cord_emit(c, ev, SM_CORD_EV_IP_ACQUIRED, line, len);
    sm_cord_outcome(c, SM_CORD_W_IP, SM_OK, SM_AT_NO_CODE, NULL);
}

/* +eventmqtt:info,"<STATUS>",<code> and +eventmqtt:error,"<STATUS>",<code>
   (contract "On-module MQTT client"): CONNACK (rc 0 accepted), DISCONNECT,
   DNS_FAILED, CONNECT_FAILED, TLS_FAILED, CONNACK_TIMEOUT... */
SM_PRIV void sm_cord_ev_mqtt(sm_cord *c, const char *line, size_t len, int error)
{
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    int connack, down;
    if (!sm_cord_scan(c, x, line, len, error ? "+eventmqtt:error," : "+eventmqtt:info,", "SI")) {
        sm_cord_ev_other(c, &c->at, line, len);
        return;
    }
    connack = !error && sm_cord_is(x->s[0], "CONNACK");
    down = !error && sm_cord_is(x->s[0], "DISCONNECT");
    if (connack || down) c->state.mqtt_connected = (uint8_t)(connack && x->v[1] == 0);
    ev->u.mqtt.status = x->s[0];
    ev->u.mqtt.code = x->v[1];
    sm_cord_emit(c, ev, error ? SM_CORD_EV_MQTT_ERROR : SM_CORD_EV_MQTT_INFO, line, len);
    if (connack && x->v[1] == 0)
        sm_cord_outcome(c, SM_CORD_W_CONNACK, SM_OK, SM_AT_NO_CODE, NULL);
    else if (error || connack || down)
        sm_cord_outcome(c, SM_CORD_W_CONNACK, SM_ERR_MODEM, x->v[1], x->s[0]);
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

/* The head of +eventmqtt:recv,<topic>,qos<N>,"<payload>": topic and qos
   parsed into x, x->f left at the payload (the rest of the line; Würth's
   parser reads it to the line's end, docs/cordelia.md D19). qos0 here,
   QOS0 on Calypso (docs/cordelia.md D26). */
SM_PRIV int sm_cord_recv_head(sm_cord *c, sm_cord_fields *x, const char *line, size_t len)
{
    const char *q;
    if (!sm_cord_scan(c, x, line, len, "+eventmqtt:recv,", "SS") || !sm_fields_more(&x->f))
        return 0;
    q = x->s[1];
    return strlen(q) == 4 && (q[0] | 0x20) == 'q' && (q[1] | 0x20) == 'o' &&
           (q[2] | 0x20) == 's' && q[3] >= '0' && q[3] <= '2';
}

/* A message that fits a line: the payload is the rest of the line, ONE
   enclosing pair of quotes removed (docs/cordelia.md D19, F7: its quotes are
   not escaped). */
SM_PRIV void sm_cord_ev_mqtt_recv(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    const char *q, *p;
    char *dst;
    size_t n;
    if (!sm_cord_recv_head(c, x, line, len)) {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    q = x->s[1];
    p = sm_fields_rest(&x->f, &n);
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') { p++; n -= 2; }
    /* a NUL-terminated copy after the qos field (the fields partition the
       line, so it fits) */
    dst = c->scratch.line.text + (q - c->scratch.line.text) + 5;
    if ((size_t)(c->scratch.line.text + sizeof c->scratch.line.text - dst) < n + 1u) {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
    ev->u.msg.topic = x->s[0];
    ev->u.msg.qos = (uint8_t)(q[3] - '0');
    ev->u.msg.payload = dst;
    ev->u.msg.len = (uint32_t)n; /* within a line */
    ev->u.msg.total = (uint32_t)n;
    sm_cord_emit(c, ev, SM_CORD_EV_MQTT_RECV, line, len);
}

/* ---- a message longer than a line ---------------------------------------------
   The engine hands such a +eventmqtt:recv line over in pieces
   (sm_at_on_long_line); the head gives topic and qos, the payload is copied
   into the caller's buffer (topic NUL payload NUL) as it comes, and the
   message is reported at the line's end: whole, or as TOO_LONG with what
   fitted and its length. A head that does not parse is reported
   UNHANDLED (its first piece), the rest of its line ignored. */
enum { SM_CORD_M_IDLE = 0, SM_CORD_M_COPY, SM_CORD_M_OVER, SM_CORD_M_BAD };

SM_PRIV void sm_cord_msg_put(sm_cord *c, const char *p, size_t n)
{
    size_t room;
    if (!n) return;
    if (!c->msg_total) {
        c->msg_first = p[0];
        if (p[0] == '"') { c->msg_total++; p++; n--; } /* the opening quote is not kept */
        if (!n) return;
    }
    c->msg_last = p[n - 1];
    c->msg_total += n;
    if (c->msg_state != SM_CORD_M_COPY) return;
    room = c->msg_cap - c->msg_len;
    if (n > room) { n = room; c->msg_state = SM_CORD_M_OVER; }
    memcpy(c->msg_buf + c->msg_len, p, n);
    c->msg_len += n;
}

SM_PRIV void sm_cord_msg_head(sm_cord *c, sm_at *at, const char *line, size_t len)
{
    sm_cord_fields *x = &c->scratch.line.x;
    const char *p;
    size_t n, tl;
    c->msg_len = c->msg_total = c->msg_payload = 0;
    if (!sm_cord_recv_head(c, x, line, len)) {
        c->msg_state = SM_CORD_M_BAD;
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    tl = strlen(x->s[0]);
    c->msg_qos = (uint8_t)(x->s[1][3] - '0');
    c->msg_state = SM_CORD_M_OVER;
    if (c->msg_buf && c->msg_cap >= tl + 2u) { /* the topic fits: keep it */
        memcpy(c->msg_buf, x->s[0], tl + 1u);
        c->msg_len = c->msg_payload = tl + 1u;
        c->msg_state = SM_CORD_M_COPY;
    }
    p = sm_fields_rest(&x->f, &n);
    sm_cord_msg_put(c, p, n);
}

/* The line has ended: the closing quote (kept in the buffer) becomes the
   payload's NUL; an unquoted payload needs a byte more for it. */
SM_PRIV void sm_cord_msg_end(sm_cord *c)
{
    sm_event ev;
    size_t n = 0, total = c->msg_total;
    int quoted = total >= 2 && c->msg_first == '"' && c->msg_last == '"';
    memset(&ev, 0, sizeof ev);
    if (c->msg_first == '"' && !quoted) {
        /* an opening quote without its closing one: the line was cut (a
           restart): not a message; reported, never delivered as one */
        c->msg_state = SM_CORD_M_BAD;
        sm_cord_ev_other(c, &c->at, "+eventmqtt:recv (cut)", 21);
        return;
    }
    ev.u.msg.topic = "";
    ev.u.msg.payload = "";
    if (quoted) total -= 2;
    if (c->msg_payload) {
        if (c->msg_state == SM_CORD_M_COPY && quoted) {
            c->msg_len--;                      /* the closing quote */
        } else if (c->msg_len == c->msg_cap) { /* no room for the NUL */
            c->msg_len--;
            c->msg_state = SM_CORD_M_OVER;
        }
        c->msg_buf[c->msg_len] = '\0';
        n = c->msg_len - c->msg_payload;
        if (n > total) n = total;
        c->msg_buf[c->msg_payload + n] = '\0';
        ev.u.msg.topic = c->msg_buf;
        ev.u.msg.payload = c->msg_buf + c->msg_payload;
    }
    ev.u.msg.qos = c->msg_qos;
    ev.u.msg.len = (uint32_t)n;
    ev.u.msg.total = (uint32_t)total;
    sm_cord_emit(c, &ev, c->msg_state == SM_CORD_M_COPY ? SM_CORD_EV_MQTT_RECV
                                                        : SM_CORD_EV_MQTT_TOO_LONG, "", 0);
}

SM_PRIV void sm_cord_ev_mqtt_long(void *ctx, sm_at *at, const char *piece, size_t len,
                                  unsigned flags)
{
    sm_cord *c = (sm_cord *)ctx;
    if (flags & SM_AT_LONG_FIRST) sm_cord_msg_head(c, at, piece, len);
    else if (c->msg_state == SM_CORD_M_IDLE) /* registered mid-line (sm_cord_use_mqtt from */
        c->msg_state = SM_CORD_M_BAD;        /* its first piece's callback): no message */
    else if (c->msg_state != SM_CORD_M_BAD) sm_cord_msg_put(c, piece, len);
    if (!(flags & SM_AT_LONG_LAST)) return;
    if (c->msg_state != SM_CORD_M_BAD) sm_cord_msg_end(c);
    c->msg_state = SM_CORD_M_IDLE;
}

/* +eventsock:data,<id>,<bytes waiting>, +eventsock:closed,<id>,
   +eventsock:tx_failed,<id>,<error> (contract "Sockets"). */
SM_PRIV void sm_cord_ev_sock(sm_cord *c, const char *line, size_t len, const char *prefix,
                             const char *spec, sm_cord_event_type kind)
{
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    if (!sm_cord_scan(c, x, line, len, prefix, spec) || x->v[0] < 0 || x->v[0] > 15) {
        sm_cord_ev_other(c, &c->at, line, len);
        return;
    }
    ev->u.sock.id = (int)x->v[0];
    ev->u.sock.value = x->v[1];
    ev->u.sock.address = "";
    sm_cord_emit(c, ev, kind, line, len);
    /* a connect waiting for its handshake: an error event for its socket
       ends it (Calypso model, unverified on Cordelia-I) */
    if (kind != SM_CORD_EV_SOCK_DATA && (int)x->v[0] == c->connect_sock)
        sm_cord_outcome(c, SM_CORD_W_CONNECT, SM_ERR_MODEM,
                        kind == SM_CORD_EV_SOCK_CLOSED ? SM_AT_NO_CODE : x->v[1],
                        "socket error");
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

SM_PRIV void sm_cord_ev_sock_async(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_sock((sm_cord *)ctx, line, len, "+eventsock:async_event,", "II",
                    SM_CORD_EV_SOCK_ERROR);
}

SM_PRIV void sm_cord_ev_sock_tx_failed(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    sm_cord_ev_sock((sm_cord *)ctx, line, len, "+eventsock:tx_failed,", "II",
                    SM_CORD_EV_SOCK_TX_FAILED);
}

/* +connect:<port>,<address> after AT+connect's OK (contract "Sockets";
   it names no socket: the one of the last AT+connect is reported). */
SM_PRIV void sm_cord_ev_connect(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    if (!sm_cord_scan(c, x, line, len, "+connect:", "IS")) {
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    ev->u.sock.id = c->connect_sock;
    ev->u.sock.value = x->v[0];
    ev->u.sock.address = x->s[1];
    sm_cord_emit(c, ev, SM_CORD_EV_SOCK_CONNECTED, line, len);
    sm_cord_outcome(c, SM_CORD_W_CONNECT, SM_OK, SM_AT_NO_CODE, NULL);
}

/* ---- received socket data: +recv:<id>,<fmt>,<n>,<n bytes> ----------------------
   Calypso model (Würth's Calypso driver and its socket example,
   docs/cordelia.md C22, D10: AT+recv only arms a receive and answers OK;
   the data come later as this EVENT, an entry of the driver's event
   table), unverified on Cordelia-I. The engine cuts the line after <n>
   (sm_at_cut_urc); the bytes are read by count into the buffer of the
   sm_cord_sock_recv waiting for that socket. Bytes nobody waits for are read
   and dropped, their line reported UNHANDLED. The older form, +recv:
   before AT+recv's OK, is read as that command's response. The statuses
   are those of every receive path (section 7 manual, docs/receive-checks.md):
   more than the buffer holds SM_ERR_TRUNCATED, a payload cut short or not
   in the format asked SM_ERR_PARSE. */
SM_PRIV void sm_cord_recv_sink(void *ctx, const uint8_t *data, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    const sm_cord_op *op = &c->ops[0];
    size_t room = op->len > c->done_len ? op->len - c->done_len : 0, k = len < room ? len : room;
    int status = SM_OK;
    /* bytes still coming for a receive that ended (its deadline) are dropped */
    if (c->recv_left == 0 || !c->opq.used || op->def->kind != SM_CORD_OP_SOCK_RECV ||
        c->phase != SM_CORD_PH_WAIT)
        return;
    if (!data) { /* the engine gave up on the count: the payload was cut short */
        c->recv_left = 0;
        sm_cord_outcome(c, SM_CORD_W_RECV, SM_ERR_PARSE, SM_AT_NO_CODE, NULL);
        return;
    }
    if (k && !c->recv_bad) memcpy(op->dst + c->done_len, data, k);
    if (!c->recv_bad) c->done_len += k;
    if (k < len) c->trunc = 1;
    c->recv_left -= len < c->recv_left ? len : c->recv_left;
    if (c->recv_left) return;
    if (c->recv_bad) status = SM_ERR_PARSE;
    else if (c->trunc) status = SM_ERR_TRUNCATED;
    sm_cord_outcome(c, SM_CORD_W_RECV, status, SM_AT_NO_CODE, NULL);
}

SM_PRIV void sm_cord_drop_sink(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
}

SM_PRIV void sm_cord_ev_recv(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_fields f;
    int32_t id, fmt, n;
    int mine;
    if (sm_fields_init(&f, line, len, "+recv:") || sm_fields_int(&f, 0, 15, &id) ||
        sm_fields_int(&f, 0, 1, &fmt) || sm_fields_int(&f, 0, 65535, &n) || sm_fields_more(&f)) {
        sm_cord_ev_other(c, at, line, len); /* the bytes, if any, are left to the line parser */
        return;
    }
    mine = c->opq.used && c->ops[0].def->kind == SM_CORD_OP_SOCK_RECV && c->phase == SM_CORD_PH_WAIT &&
           (int32_t)c->ops[0].n1 == id && c->recv_left == 0;
    if (!mine) {
        sm_at_expect_raw(at, (size_t)n, sm_cord_drop_sink, c);
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    c->recv_bad = (uint8_t)(fmt != 0); /* asked for binary (0): Base64 is not what was asked */
    c->total_len = (size_t)n;
    if (n == 0) {
        sm_cord_outcome(c, SM_CORD_W_RECV, c->recv_bad ? SM_ERR_PARSE : SM_OK, SM_AT_NO_CODE, NULL);
        return;
    }
    c->recv_left = (size_t)n;
    sm_at_expect_raw(at, (size_t)n, sm_cord_recv_sink, c);
}

/* +eventfatalerror:<reason> (docs/cordelia.md D23: device_abort, driver_abort,
   sync_loss, no_cmd_ack, cmd_timout). */
SM_PRIV void sm_cord_ev_fatal(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields *x = &c->scratch.line.x;
    sm_event *ev = &c->scratch.line.ev;
    if (!sm_cord_scan(c, x, line, len, "+eventfatalerror:", "s")) { /* the scratch taken */
        sm_cord_ev_other(c, at, line, len);
        return;
    }
    ev->u.fatal.reason = x->s[0];
    sm_cord_emit(c, ev, SM_CORD_EV_FATAL, line, len);
}

/* ---- the event tables -------------------------------------------------------
   The module's own events are always handled; those of a feature (the
   on-module MQTT client, sockets) are in a table of their own that the
   feature's operations register (sm_cord_use_mqtt, sm_cord_use_sockets),
   so a program that never uses a feature links none of its handlers.
   Until then its lines reach the event callback as SM_CORD_EV_UNHANDLED. */
static const sm_urc sm_cord_mqtt_events[] = {
    { "+eventmqtt:info,",             sm_cord_ev_mqtt_info },
    { "+eventmqtt:error,",            sm_cord_ev_mqtt_error },
    { "+eventmqtt:recv,",             sm_cord_ev_mqtt_recv },
};
static const sm_urc_rows sm_cord_mqtt_rows = SM_URC_ROWS(sm_cord_mqtt_events);

static const sm_urc sm_cord_sock_events[] = {
    { "+eventsock:data,",             sm_cord_ev_sock_data },
    { "+eventsock:closed,",           sm_cord_ev_sock_closed },
    { "+eventsock:tx_failed,",        sm_cord_ev_sock_tx_failed },
    { "+eventsock:async_event,",      sm_cord_ev_sock_async },
    { "+connect:",                    sm_cord_ev_connect },
    { "+recv:",                       sm_cord_ev_recv },
};
static const sm_urc_rows sm_cord_sock_rows = SM_URC_ROWS(sm_cord_sock_events);

/* A line of a feature's event: to the handler of a registered feature's
   rows, else reported UNHANDLED. */
SM_PRIV void sm_cord_ev_feature(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    unsigned t;
    for (t = 0; t < SM_CORD_FEATURES; t++) {
        const sm_urc_rows *f = c->features[t];
        const sm_urc *row = f ? sm_urc_first(f->rows, f->n, line, len) : NULL;
        if (row) {
            row->fn(ctx, at, line, len);
            return;
        }
    }
    sm_cord_ev_other(ctx, at, line, len);
}

/* An over-long +eventmqtt:recv line while the MQTT events are not
   registered: its first piece is reported UNHANDLED, never dropped. */
SM_PRIV void sm_cord_ev_long_other(void *ctx, sm_at *at, const char *piece, size_t len,
                                   unsigned flags)
{
    if (flags & SM_AT_LONG_FIRST) sm_cord_ev_other(ctx, at, piece, len);
}

/* The events the engine dispatches, as the contract lists them: the
   module's own, then every other +event line and the socket lines, for
   the feature tables or reported UNHANDLED: none is lost. */
static const sm_urc sm_cord_events[] = {
    /* line prefix                     handler */
    { "+eventstartup:",               sm_cord_ev_startup },
    { "+eventwlan:connect,",          sm_cord_ev_wlan_up },
    { "+eventwlan:disconnect,",       sm_cord_ev_wlan_down },
    { "+eventnetapp:ipv4_acquired,",  sm_cord_ev_ipv4 },
    { "+eventfatalerror:",            sm_cord_ev_fatal },
    { "+event",                       sm_cord_ev_feature },
    { "+connect:",                    sm_cord_ev_feature },
    { "+recv:",                       sm_cord_ev_feature },
};

/* ---- settings tables --------------------------------------------------------
   One row per setting, 8 bytes: its key, where its value is in the struct,
   its group (index in the table's group names), its value type and the
   index of its limit (longest string, highest number) in sm_cord_limits. */
typedef struct sm_cord_setting {
    const char *key;
    uint16_t offset;    /* of the field in its struct */
    uint8_t group;      /* SM_CORD_G_*: index in sm_cord_mqtt_groups (TLS: SOCKET) */
    uint8_t type;       /* SM_CORD_V_* | SM_CORD_LIM(index in sm_cord_limits) */
} sm_cord_setting;

static const uint16_t sm_cord_limits[] = { 1, 2, 32, 128, 180, 253, 256, 512, 65535 };
enum { SM_CORD_L1 = 0, SM_CORD_L2, SM_CORD_L32, SM_CORD_L128, SM_CORD_L180, SM_CORD_L253,
       SM_CORD_L256, SM_CORD_L512, SM_CORD_L65535 };
#define SM_CORD_LIM(l) ((uint8_t)(SM_CORD_L##l << 3)) /* above the 3 bits of SM_CORD_V_* */
#define SM_CORD_V_OF(st) ((uint8_t)((st)->type & 7u))
#define SM_CORD_MAX_OF(st) sm_cord_limits[(st)->type >> 3]

static const char *const sm_cord_mqtt_groups[] = {
    "MQTT", "SUBTOPIC0", "SUBTOPIC1", "SUBTOPIC2", "SUBTOPIC3",
    "PUBTOPIC0", "PUBTOPIC1", "PUBTOPIC2", "PUBTOPIC3"
};
enum { SM_CORD_G_MQTT = 0, SM_CORD_G_SUBTOPIC0, SM_CORD_G_SUBTOPIC1, SM_CORD_G_SUBTOPIC2,
       SM_CORD_G_SUBTOPIC3, SM_CORD_G_PUBTOPIC0, SM_CORD_G_PUBTOPIC1, SM_CORD_G_PUBTOPIC2,
       SM_CORD_G_PUBTOPIC3 };

#define SM_CORD_MQ_ROW(key, field, group, type, limit)                                      \
    { key, (uint16_t)offsetof(sm_cord_mqtt_opts, field), (uint8_t)SM_CORD_G_##group,          \
      (uint8_t)(SM_CORD_V_##type | SM_CORD_LIM(limit)) }
/* contract "Settings": the keys used (docs/cordelia.md C7a), limits C7b. */
static const sm_cord_setting sm_cord_mqtt_settings[] = {
    /*             key                field          group      value limit */
    SM_CORD_MQ_ROW("iotHubEndpoint",  endpoint,      MQTT,      STR, 512),
    SM_CORD_MQ_ROW("iotHubPort",      port,          MQTT,      I32, 65535),
    SM_CORD_MQ_ROW("flags",           flags,         MQTT,      STR, 128),
    SM_CORD_MQ_ROW("TLS1_3",          tls1_3,        MQTT,      B8,  1),
    SM_CORD_MQ_ROW("clientId",        client_id,     MQTT,      STR, 256),
    SM_CORD_MQ_ROW("rootCAPath",      ca_file,       MQTT,      STR, 180),
    SM_CORD_MQ_ROW("clientCertPath",  cert_file,     MQTT,      STR, 180),
    SM_CORD_MQ_ROW("clientPrivateKey", key_file,      MQTT,      STR, 180),
    SM_CORD_MQ_ROW("userName",        user,          MQTT,      STR, 512),
    SM_CORD_MQ_ROW("password",        password,      MQTT,      STR, 512),
    SM_CORD_MQ_ROW("keepAliveTimeOut", keep_alive_s,  MQTT,      I32, 65535),
    SM_CORD_MQ_ROW("cleanConnect",    clean_session, MQTT,      B8,  1),
    SM_CORD_MQ_ROW("willTopic",       will_topic,    MQTT,      STR, 512),
    SM_CORD_MQ_ROW("willMessage",     will_message,  MQTT,      STR, 512),
    SM_CORD_MQ_ROW("willQos",         will_qos,      MQTT,      I8,  2),
    SM_CORD_MQ_ROW("willRetain",      will_retain,   MQTT,      B8,  1),
    SM_CORD_MQ_ROW("name",            sub[0].name,   SUBTOPIC0, STR, 512),
    SM_CORD_MQ_ROW("qos",             sub[0].qos,    SUBTOPIC0, I8,  2),
    SM_CORD_MQ_ROW("name",            sub[1].name,   SUBTOPIC1, STR, 512),
    SM_CORD_MQ_ROW("qos",             sub[1].qos,    SUBTOPIC1, I8,  2),
    SM_CORD_MQ_ROW("name",            sub[2].name,   SUBTOPIC2, STR, 512),
    SM_CORD_MQ_ROW("qos",             sub[2].qos,    SUBTOPIC2, I8,  2),
    SM_CORD_MQ_ROW("name",            sub[3].name,   SUBTOPIC3, STR, 512),
    SM_CORD_MQ_ROW("qos",             sub[3].qos,    SUBTOPIC3, I8,  2),
    SM_CORD_MQ_ROW("name",            pub[0].name,   PUBTOPIC0, STR, 512),
    SM_CORD_MQ_ROW("qos",             pub[0].qos,    PUBTOPIC0, I8,  2),
    SM_CORD_MQ_ROW("retain",          pub[0].retain, PUBTOPIC0, B8,  1),
    SM_CORD_MQ_ROW("name",            pub[1].name,   PUBTOPIC1, STR, 512),
    SM_CORD_MQ_ROW("qos",             pub[1].qos,    PUBTOPIC1, I8,  2),
    SM_CORD_MQ_ROW("retain",          pub[1].retain, PUBTOPIC1, B8,  1),
    SM_CORD_MQ_ROW("name",            pub[2].name,   PUBTOPIC2, STR, 512),
    SM_CORD_MQ_ROW("qos",             pub[2].qos,    PUBTOPIC2, I8,  2),
    SM_CORD_MQ_ROW("retain",          pub[2].retain, PUBTOPIC2, B8,  1),
    SM_CORD_MQ_ROW("name",            pub[3].name,   PUBTOPIC3, STR, 512),
    SM_CORD_MQ_ROW("qos",             pub[3].qos,    PUBTOPIC3, I8,  2),
    SM_CORD_MQ_ROW("retain",          pub[3].retain, PUBTOPIC3, B8,  1),
};
#define SM_CORD_N_MQTT (sizeof sm_cord_mqtt_settings / sizeof sm_cord_mqtt_settings[0])

#define SM_CORD_TLS_ROW(key, field, type, limit)                                             \
    { key, (uint16_t)offsetof(sm_cord_tls, field), 0,                                         \
      (uint8_t)(SM_CORD_V_##type | SM_CORD_LIM(limit)) }
/* contract "Sockets": AT+setSockOpt=<id>,SOCKET,<opt>,<value>. */
static const sm_cord_setting sm_cord_tls_options[] = {
    /*              option                               field      value limit */
    SM_CORD_TLS_ROW("SECMETHOD",                          method,    WORD, 32),
    SM_CORD_TLS_ROW("SECURE_FILES_CA_FILE_NAME",          ca_file,   FILE, 180),
    SM_CORD_TLS_ROW("SECURE_FILES_PRIVATE_KEY_FILE_NAME", key_file,  FILE, 180),
    SM_CORD_TLS_ROW("SECURE_FILES_CERTIFICATE_FILE_NAME", cert_file, FILE, 180),
    SM_CORD_TLS_ROW("SECURE_DOMAIN_NAME_VERIFICATION",    domain,    WORD, 253),
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

/* contract "Settings": strings quoted, ONE pair stripped by the module; no
   escape exists, so no '"' and (docs/cordelia.md F7) no ',' inside */
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
    uint8_t type = SM_CORD_V_OF(st);
    uint16_t max = SM_CORD_MAX_OF(st);
    int32_t v;
    int8_t v8;
    if (type == SM_CORD_V_STR || type == SM_CORD_V_FILE || type == SM_CORD_V_WORD) {
        memcpy(&s, field, sizeof s);
        if (!s) return SM_CORD_SKIP;
        if (type == SM_CORD_V_STR) sm_cord_put_quoted(b, s, max);
        else if (type == SM_CORD_V_FILE) sm_cord_put_file(b, s, max);
        else sm_cord_put_word(b, s, max);
        return SM_OK;
    }
    if (type == SM_CORD_V_I32) {
        memcpy(&v, field, sizeof v);
    } else {
        memcpy(&v8, field, sizeof v8);
        v = v8;
    }
    if (v < 0) return SM_CORD_SKIP;
    if (v > (int32_t)max) return SM_ERR_PARAM;
    if (type == SM_CORD_V_B8) sm_cord_put_bool(b, v != 0);
    else sm_buf_i32(b, v);
    return SM_OK;
}

/* ---- commands from formats ---------------------------------------------------
   A format is the command in the contract's syntax with its arguments as
   directives, each reading one field of the operation and checking it. The
   directives come in groups, one writer each, named by the descriptor: a
   program links the writers of the operations it calls.
     setting:  %G %K group (s1), key (s2)       %V  value (by sub)
     file:     %F    file name (s1)             %I  file id (n1)
               %Z    open flags (n1)            %M  size (n2)
     socket:   %S    socket id (n1, 0..15)      %N  port (n2, 1..65535)
               %H    host name/address (s1)     %Y  SEC or TCP (n1)
               %L    data length (1..1460)
     MQTT:     %T    topic index (n1, 0..3)     %P  publish payload (s1)
     Wi-Fi:    %R    role STA|AP|P2P (n1)
     device:   %D    seconds (n1, 1..86400) */
SM_PRIV void sm_cord_arg_setting(sm_buf *b, char d, const sm_cord_op *op)
{
    if (d == 'G') sm_cord_put_word(b, op->s1, 32);
    else if (d == 'K') sm_cord_put_word(b, op->s2, 32);
    else if (op->sub == SM_CORD_V_STR) sm_cord_put_quoted(b, (const char *)op->src, 512); /* %V */
    else if (op->sub == SM_CORD_V_B8) sm_cord_put_bool(b, op->n1 != 0);
    else sm_buf_i32(b, (int32_t)op->n1);
}

SM_PRIV void sm_cord_arg_file(sm_buf *b, char d, const sm_cord_op *op)
{
    if (d == 'F') sm_cord_put_file(b, op->s1, 180);
    else if (d == 'I') sm_buf_u32(b, op->n1);
    else if (d == 'Z') sm_cord_put_flags(b, op->n1);
    else sm_buf_u32(b, op->n2); /* %M */
}

SM_PRIV void sm_cord_arg_sock(sm_buf *b, char d, const sm_cord_op *op)
{
    if (d == 'S') sm_cord_put_num(b, op->n1, 0, 15);
    else if (d == 'N') sm_cord_put_num(b, op->n2, 1, 65535);
    else if (d == 'H') sm_cord_put_word(b, op->s1, 253);
    else if (d == 'Y') sm_buf_str(b, op->n1 ? "SEC" : "TCP");
    else sm_cord_put_num(b, op->len > 1460u ? 0u : (uint32_t)op->len, 1, SM_CORD_DATA_MAX); /* %L */
}

SM_PRIV void sm_cord_arg_mqtt(sm_buf *b, char d, const sm_cord_op *op)
{
    if (d == 'T') sm_cord_put_num(b, op->n1, 0, 3);
    else /* %P: the rest of the line: '"' and ',' are fine, controls are not */
        sm_buf_checked(b, op->s1, SM_CORD_PUBLISH_MAX, SM_STR_UTF8 | SM_STR_ALLOW_QUOTE);
}

SM_PRIV void sm_cord_arg_wlan(sm_buf *b, char d, const sm_cord_op *op)
{
    (void)d; /* %R */
    if (op->n1 > (uint32_t)SM_CORD_MODE_P2P) { if (!b->err) b->err = SM_ERR_PARAM; }
    else sm_buf_str(b, op->n1 == SM_CORD_MODE_STA ? "STA" : op->n1 == SM_CORD_MODE_AP ? "AP" : "P2P");
}

SM_PRIV void sm_cord_arg_device(sm_buf *b, char d, const sm_cord_op *op)
{
    (void)d; /* %D: the driver's range (docs/cordelia.md C27) */
    sm_cord_put_num(b, op->n1, 1, 86400);
}

/* Writes fmt with its directives through arg (NULL only when fmt has none). */
SM_PRIV void sm_cord_format(sm_buf *b, const char *fmt, sm_cord_arg_fn arg, const sm_cord_op *op)
{
    for (; *fmt && !b->err; fmt++) {
        if (*fmt != '%') { sm_buf_char(b, *fmt); continue; }
        SM_ASSERT(arg != NULL); /* every descriptor with directives names their writer */
        arg(b, *++fmt, op);
    }
}

/* ---- commands from builders (the sequences; see sm_cord_build_fn) -------------- */
/* One AT+set per field of sm_cord_mqtt_opts that is set. */
SM_PRIV int sm_cord_b_mqtt_config(const sm_cord_op *op, uint32_t step, uint32_t file_id,
                                  sm_buf *b, sm_at_cmd *cmd)
{
    const sm_cord_setting *st = &sm_cord_mqtt_settings[step < SM_CORD_N_MQTT ? step : 0];
    (void)file_id;
    (void)cmd;
    if (step >= SM_CORD_N_MQTT) return SM_CORD_END;
    sm_buf_str(b, "AT+set=");
    sm_buf_str(b, sm_cord_mqtt_groups[st->group]);
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
    sm_cord_format(b, "AT+setSockOpt=%S,SOCKET,", sm_cord_arg_sock, op);
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
   to 1024 bytes, docs/cordelia.md C11), steps 1..n the chunks, n+1 AT+fileClose. */
SM_PRIV int sm_cord_b_upload(const sm_cord_op *op, uint32_t step, uint32_t file_id, sm_buf *b,
                             sm_at_cmd *cmd)
{
    size_t chunks = sm_cord_chunks(op->len, SM_CORD_FILE_CHUNK), off = 0, n;
    uint32_t len32 = (uint32_t)op->len, size = (len32 + 1023u) / 1024u * 1024u;
    if ((op->len && !op->src) || (size_t)len32 != op->len || len32 > 0xFFFFFC00ul)
        return SM_ERR_PARAM;
    if (step == 0) {
        sm_cord_format(b, "AT+fileOpen=%F,", sm_cord_arg_file, op);
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

/* +get:<value> (returned unquoted, contract "Settings"): the whole rest */
SM_PRIV int sm_cord_ok_get(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    if (sm_cord_answer(r, "+get:", &f)) return SM_ERR_PARSE;
    res->text = sm_fields_rest(&f, &c->done_len);
    return SM_CORD_FINISH;
}

/* +fileopen:<fileID>,<token> */
SM_PRIV int sm_cord_ok_file_open(sm_cord *c, const sm_at_response *r, sm_result *res)
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

SM_PRIV int sm_cord_ok_file_write(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    size_t off = 0;
    (void)res;
    return sm_cord_check_written(c, r, sm_cord_chunk(c->ops[0].len, c->step, SM_CORD_FILE_CHUNK,
                                                     &off));
}

/* Decodes canonical Base64 in[0..n) (the rules of sm_base64_decode) and
   stores the first bytes in out[room] (out NULL: only checks and counts);
   *total gets the decoded size, which may exceed room. SM_OK or
   SM_ERR_PARSE (not canonical Base64; out may hold bytes then: check with
   out NULL first to leave it untouched). */
SM_PRIV int sm_cord_b64_part(const char *in, size_t n, uint8_t *out, size_t room, size_t *total)
{
    size_t i, o = 0, pad = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    if (n % 4u) return SM_ERR_PARSE;
    while (pad < 2 && pad < n && in[n - 1 - pad] == '=') pad++; /* at most "==" at the end */
    for (i = 0; i < n - pad; i++) {
        int d = sm_b64_value(in[i]);
        if (d < 0) return SM_ERR_PARSE;
        acc = ((acc << 6) | (uint32_t)d) & 0xFFFFFFu; /* only the last 24 bits matter */
        bits += 6;
        if (bits < 8) continue;
        bits -= 8;
        if (out && o < room) out[o] = (uint8_t)(acc >> bits);
        o++;
    }
    if (acc & ((1u << bits) - 1u)) return SM_ERR_PARSE; /* canonical: unused bits zero */
    *total = o;
    return SM_OK;
}

/* +fileread:1,<count>,<base64>: decoded to dst; a short read is the end of
   the file. Würth's parser takes <count> as the number of Base64
   CHARACTERS (docs/cordelia.md D6: the count is the input length it
   gives its Base64 decoder, replaced afterwards by the decoded size); a
   count equal to the decoded size is accepted too when it is not the
   text's length. Any other count, or text that is no canonical Base64, is
   SM_ERR_PARSE with the buffer untouched by this answer (and the result's
   len 0: nothing that does not frame counts as read). More bytes than
   asked fill the chunk's place in the buffer and end the read with
   SM_ERR_TRUNCATED (the rest is dropped), as every receive path does with
   more than its buffer holds. */
SM_PRIV int sm_cord_ok_file_read(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    const sm_cord_op *op = &c->ops[0];
    size_t off = 0, want = sm_cord_chunk(op->len, c->step, SM_CORD_READ_CHUNK, &off), n = 0, got;
    int32_t fmt, count;
    const char *s = "";
    int quoted;
    sm_fields f;
    (void)res;
    if (sm_cord_answer(r, "+fileread:", &f) || sm_fields_int(&f, 1, 1, &fmt) ||
        sm_fields_int(&f, 0, 65535, &count) ||
        (sm_fields_more(&f) && sm_fields_token(&f, &s, &n, &quoted)) ||
        sm_cord_b64_part(s, n, NULL, 0, &got) || ((size_t)count != n && (size_t)count != got))
        return SM_ERR_PARSE;
    (void)sm_cord_b64_part(s, n, op->dst + c->done_len, want, &got); /* checked above */
    c->total_len += got;
    if (got > want) {
        c->done_len += want;
        c->trunc = 1;
        return SM_ERR_TRUNCATED;
    }
    c->done_len += got;
    return got < want ? SM_CORD_FINISH : SM_CORD_NEXT;
}

/* A +filegetinfo flags field: a number, or names joined by '|' as the
   driver's file properties (docs/cordelia.md D8; read as text, D7):
   known names set their bit (SM_CORD_FPROP_*), unknown ones
   SM_CORD_FPROP_OTHER. Empty: 0. */
SM_PRIV uint32_t sm_cord_prop_bits(const char *s, size_t n)
{
    static const char *const names[] = {
        "open_write", "open_read", "must_commit", "bundle_file", "pending_commit",
        "pending_bundle_commit", "not_failsafe", "not_valid", "sys_file", "secure",
        "nosignature", "public_write", "public_read"
    };
    uint32_t bits = 0, v;
    size_t i = 0, j, k, w;
    if (sm_parse_u32(s, n, &v) == SM_OK) return v;
    while (i < n) {
        uint32_t bit = SM_CORD_FPROP_OTHER;
        for (j = i; j < n && s[j] != '|'; j++) {}
        for (k = 0; k < sizeof names / sizeof names[0]; k++) {
            const char *nm = names[k];
            if (strlen(nm) != j - i) continue;
            for (w = 0; w < j - i; w++) {
                char ch = s[i + w];
                if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
                if (ch != nm[w]) break;
            }
            if (w == j - i) { bit = (uint32_t)1u << k; break; }
        }
        if (j > i) bits |= bit;
        i = j + 1;
    }
    return bits;
}

/* +filegetinfo:<flags>,<size>,<allocatedSize>,<tokens>,<storageSize>,<writeCounter>.
   The driver reads flags and tokens as text and discards them
   (docs/cordelia.md D7): flags may be numeric or names (see above); the tokens
   field is kept when numeric, else 0 (its text is not a number). */
SM_PRIV int sm_cord_ok_file_info(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    const char *s;
    size_t n;
    int quoted;
    if (sm_cord_answer(r, "+filegetinfo:", &f) || !sm_fields_more(&f) ||
        sm_fields_token(&f, &s, &n, &quoted))
        return SM_ERR_PARSE;
    res->u.file_info.flags = sm_cord_prop_bits(s, n);
    /* res is c->scratch.done.res (sm_cord_at_done): its text goes next to it */
    sm_cord_copy_n(c->scratch.done.flags_text, sizeof c->scratch.done.flags_text, s, n);
    res->u.file_info.flags_text = c->scratch.done.flags_text;
    if (sm_cord_field_u32(&f, &res->u.file_info.size) || sm_cord_field_u32(&f, &res->u.file_info.allocated) ||
        !sm_fields_more(&f) || sm_fields_token(&f, &s, &n, &quoted))
        return SM_ERR_PARSE;
    if (sm_parse_u32(s, n, &res->u.file_info.token) != SM_OK) res->u.file_info.token = 0;
    if (sm_cord_field_u32(&f, &res->u.file_info.storage) ||
        sm_cord_field_u32(&f, &res->u.file_info.write_counter))
        return SM_ERR_PARSE;
    return SM_CORD_FINISH;
}

/* +filegetfilelist:<name>,<maxSize>,<properties>,<allocatedBlocks>, each
   reported as it comes (the list may be longer than the response buffer) */
SM_PRIV void sm_cord_list_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_cord_fields *x = &c->scratch.line.x;
    sm_cord_file_entry e;
    (void)at;
    if (!sm_cord_scan(c, x, line, len, "+filegetfilelist:", "SISI") || x->v[1] < 0 || x->v[3] < 0) {
        if (c->bad_lines < 255u) c->bad_lines++;
        return;
    }
    e.name = x->s[0];
    e.max_size = (uint32_t)x->v[1];
    e.properties = x->s[2];
    e.blocks = (uint32_t)x->v[3];
    if (!c->ops[0].on_entry) return;
    c->in_cb++;
    c->ops[0].on_entry(c->ops[0].ctx, c, &e);
    c->in_cb--;
}

SM_PRIV int sm_cord_ok_file_list(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    (void)r;
    (void)res;
    if (c->bad_lines) return SM_ERR_PARSE;
    return SM_CORD_FINISH;
}

/* The upload's steps: the open gives the file id, then the chunks. */
SM_PRIV int sm_cord_ok_upload(sm_cord *c, const sm_at_response *r, sm_result *res)
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
SM_PRIV int sm_cord_ok_socket(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    int32_t id;
    (void)res;
    if (sm_cord_answer(r, "+socket:", &f) || sm_fields_int(&f, 0, 15, &id)) return SM_ERR_PARSE;
    c->value = (uint32_t)id;
    c->state.sockets = (uint16_t)(c->state.sockets | (1u << id));
    return SM_CORD_FINISH;
}

/* The head +recv:<id>,<fmt>,<n> of an answer before AT+recv's OK (the
   older reading), seen before its n bytes: an answer for another socket
   than the one asked, or in Base64 when binary was asked, has its bytes
   read by count and dropped (never in the caller's buffer) and ends the
   receive SM_ERR_PARSE (sm_cord_ok_recv). */
SM_PRIV void sm_cord_recv_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    sm_cord *c = (sm_cord *)ctx;
    sm_fields f;
    int32_t id, fmt, n;
    if (!c->opq.used || c->ops[0].def->kind != SM_CORD_OP_SOCK_RECV) return; /* cannot be: its command */
    if (sm_fields_init(&f, line, len, "+recv:") || sm_fields_int(&f, 0, 15, &id) ||
        sm_fields_int(&f, 0, 65535, &fmt) || sm_fields_int(&f, 0, 65535, &n) || sm_fields_more(&f))
        return; /* the engine's count did not parse either: the line stays text */
    c->total_len = (size_t)n;
    if (id == (int32_t)c->ops[0].n1 && fmt == 0) return;
    c->recv_bad = 1;
    (void)sm_at_expect_raw(at, (size_t)n, sm_cord_drop_sink, c);
}

/* AT+recv's OK: without a +recv: line before it (the Calypso model), the
   data come as the event; with one, +recv:<id>,0,<n> (the bytes are
   already in dst, unless sm_cord_recv_line dropped them). */
SM_PRIV int sm_cord_ok_recv(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    int32_t id, fmt, n;
    (void)res;
    if (!r->nlines && !r->raw_truncated) return SM_CORD_WAIT;
    if (sm_cord_answer(r, "+recv:", &f) || sm_fields_int(&f, 0, 15, &id) ||
        sm_fields_int(&f, 0, 0, &fmt) || sm_fields_int(&f, 0, 65535, &n) || c->recv_bad ||
        id != (int32_t)c->ops[0].n1)
        return SM_ERR_PARSE;
    c->total_len = (size_t)n;
    c->done_len = r->raw_len;
    if ((size_t)n > c->ops[0].len) { /* more than the buffer: the rest was dropped */
        c->trunc = 1;
        return SM_ERR_TRUNCATED;
    }
    if (r->raw_len < (size_t)n) return SM_ERR_PARSE; /* cut short */
    return SM_CORD_FINISH;
}

SM_PRIV int sm_cord_ok_close(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    (void)r;
    (void)res;
    c->state.sockets = (uint16_t)(c->state.sockets & ~(1u << c->ops[0].n1));
    return SM_CORD_FINISH;
}

/* AT+send's OK: Würth's Calypso driver waits for the OK alone and counts
   every byte as sent (docs/cordelia.md C21: it waits for nothing but
   the OK), and so does the contract. A module that reports a count,
   +send:<n> or +send:<id>,<n>, is believed:
   result len = n (n above the bytes given, or another socket's id, is
   SM_ERR_PARSE). */
SM_PRIV int sm_cord_ok_send(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    int32_t a, n;
    (void)res;
    if (!r->nlines) {
        c->done_len = c->ops[0].len;
        return SM_CORD_FINISH;
    }
    if (sm_cord_answer(r, "+send:", &f) || sm_fields_int(&f, 0, 65535, &a)) return SM_ERR_PARSE;
    n = a;
    if (sm_fields_more(&f) &&
        (sm_fields_int(&f, 0, 65535, &n) || a != (int32_t)c->ops[0].n1 || sm_fields_more(&f)))
        return SM_ERR_PARSE;
    if ((size_t)n > c->ops[0].len) return SM_ERR_PARSE;
    c->done_len = (size_t)n;
    return SM_CORD_FINISH;
}

SM_PRIV int sm_cord_ok_wait(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    (void)c;
    (void)r;
    (void)res;
    return SM_CORD_WAIT;
}

/* wlanDisconnect's OK: the link's disconnect event ends it, but with no link
   (only an association in progress, cancelled without an event, contract
   "Wi-Fi") there is nothing to wait for. */
SM_PRIV int sm_cord_ok_wlan_down(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    (void)r;
    (void)res;
    return c->state.wlan_connected || c->early ? SM_CORD_WAIT : SM_CORD_FINISH;
}

/* ---- one-command builders for commands with extras ---------------------------- */
/* contract "Sockets": AT+send=<id>,0,<n>,<n bytes> (binary, inline) */
SM_PRIV int sm_cord_b_send(const sm_cord_op *op, uint32_t step, uint32_t file_id, sm_buf *b,
                           sm_at_cmd *cmd)
{
    (void)file_id;
    if (step) return SM_CORD_END;
    sm_cord_format(b, "AT+send=%S,0,%L,", sm_cord_arg_sock, op);
    if (!op->src) return SM_ERR_PARAM;
    cmd->flags = SM_AT_F_INLINE;
    cmd->payload = (const uint8_t *)op->src;
    cmd->payload_len = op->len;
    return SM_OK;
}

/* AT+recv=<id>,0,<n>: an answer +recv:<id>,0,<n>,<n raw bytes> before
   its OK is read by count into dst (the older reading) */
SM_PRIV int sm_cord_b_recv(const sm_cord_op *op, uint32_t step, uint32_t file_id, sm_buf *b,
                           sm_at_cmd *cmd)
{
    (void)file_id;
    if (step) return SM_CORD_END;
    sm_cord_format(b, "AT+recv=%S,0,%L", sm_cord_arg_sock, op);
    if (!op->dst) return SM_ERR_PARAM;
    cmd->flags = SM_AT_F_RAW_AFTER(3);
    cmd->raw_buf = op->dst;
    cmd->raw_cap = op->len;
    cmd->on_line = sm_cord_recv_line; /* another socket's bytes stay out of dst */
    return SM_OK;
}

/* AT+fileGetFileList: each entry reported as it comes */
SM_PRIV int sm_cord_b_file_list(const sm_cord_op *op, uint32_t step, uint32_t file_id,
                                sm_buf *b, sm_at_cmd *cmd)
{
    (void)op;
    (void)file_id;
    if (step) return SM_CORD_END;
    sm_buf_str(b, "AT+fileGetFileList");
    cmd->on_line = sm_cord_list_line;
    return SM_OK;
}

/* ---- bring-up ------------------------------------------------------------------
   Step 0 probes with AT+test (SM_CORD_PROBE_MS each) until the module
   answers: a probe cut by +eventstartup (the module was still booting) or
   unanswered is sent again, until SM_CORD_BOOT_TIMEOUT_MS from the start;
   step 1 reads the firmware version (AT+get=general,version: the start-up
   event may have come before sm_cord_init); steps 2.. apply the settings
   of opts->mqtt, one AT+set each, as sm_cord_mqtt_config. */
enum { SM_CORD_BOOT_SET = 2 }; /* the first settings step */

SM_PRIV int sm_cord_b_bringup(const sm_cord_op *op, uint32_t step, uint32_t file_id, sm_buf *b,
                              sm_at_cmd *cmd)
{
    if (step == 0) {
        sm_buf_str(b, "AT+test");
        cmd->timeout_ms = (uint32_t)SM_CORD_PROBE_MS;
        return SM_OK;
    }
    if (step == 1) {
        sm_buf_str(b, "AT+get=general,version");
        cmd->prefix = "+get:";
        return SM_OK;
    }
    if (!op->src) return SM_CORD_END;
    return sm_cord_b_mqtt_config(op, step - SM_CORD_BOOT_SET, file_id, b, cmd);
}

SM_PRIV int sm_cord_ok_bringup(sm_cord *c, const sm_at_response *r, sm_result *res)
{
    sm_fields f;
    const char *v;
    size_t n;
    (void)res;
    if (c->step != 1) return SM_CORD_NEXT;
    if (sm_cord_answer(r, "+get:", &f)) return SM_ERR_PARSE;
    v = sm_fields_rest(&f, &n);
    /* Würth's driver reads <chip>,<MAC>,<PHY>,<NWP>,<ROM>[,<x.y.z>] (the
       firmware version only from 1.9.0; docs/cordelia.md), the logged module
       "1.0.0": the version is the last field when it is one; anything else
       leaves it empty: the version is for the record, never a reason to fail */
    {
        const char *last = v + n, *d;
        size_t k, commas = 0, dots = 0;
        for (d = v; d < v + n; d++) commas += *d == ',';
        while (last > v && last[-1] != ',') last--;
        k = (size_t)(v + n - last);
        for (d = last; d < v + n; d++) dots += *d == '.';
        c->state.version[0] = '\0';
        /* x.y.z alone, or as the sixth field (the fifth, ROM, is a number too) */
        if (k && k < sizeof c->state.version && strspn(last, "0123456789.") >= k && dots == 2 &&
            (commas == 0 || commas >= 5)) {
            memcpy(c->state.version, last, k);
            c->state.version[k] = '\0';
        }
    }
    return SM_CORD_NEXT;
}


SM_PRIV uint8_t sm_cord_awaits(const sm_cord *c)
{
    return c->opq.used ? c->ops[0].def->awaits : (uint8_t)SM_CORD_W_NONE;
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
    if (what == SM_CORD_W_WLAN_DOWN) return (uint32_t)SM_CORD_TIMEOUT_MS;
    if (what == SM_CORD_W_CONNECT) return (uint32_t)SM_CORD_CONNECT_TIMEOUT_MS;
    if (what == SM_CORD_W_RECV) return (uint32_t)SM_CORD_RECV_TIMEOUT_MS;
    return (uint32_t)SM_CORD_CONNACK_TIMEOUT_MS;
}

/* ---- the operation queue --------------------------------------------------------- */
/* Builds the command of step *step of op into b, skipping the steps that
   send nothing; SM_OK (cmd ready), SM_CORD_END or an error. b is set up by
   the caller (sm_cord_submit's is in the module's scratch, beside cmd):
   on the queue's free space (sm_buf_init), where a text that does not fit
   now is SM_ERR_QUEUE_FULL (the measure said it fits an empty queue), or
   measuring only (sm_buf_measure, SM_QUEUE_TEXT + 1): does every argument
   fit a whole queue? */
SM_PRIV int sm_cord_build(sm_cord *c, const sm_cord_op *op, uint32_t *step, sm_at_cmd *cmd,
                          sm_buf *b)
{
    const sm_cord_opdef *d = op->def;
    char *mem = b->p;
    size_t cap = b->cap;
    int rc;
    for (;;) {
        if (mem) sm_buf_init(b, mem, cap); /* afresh for each step tried */
        else sm_buf_measure(b, cap);
        memset(cmd, 0, sizeof *cmd);
        if (d->fmt[0] && *step) return SM_CORD_END;
        rc = SM_OK;
        if (d->fmt[0]) {
            sm_cord_format(b, d->fmt, d->args, op);
        } else {
            SM_ASSERT(d->build != NULL); /* a descriptor without a format names its builder */
            rc = d->build(op, *step, c->file_id, b, cmd);
        }
        if (rc != SM_CORD_SKIP) break;
        ++*step;
    }
    if (rc == SM_OK) rc = sm_buf_finish(b);
    /* an argument too long for SM_QUEUE_TEXT, or no room now */
    rc = sm_at_text_verdict(b, rc, (size_t)SM_QUEUE_TEXT + 1u);
    if (rc) return rc;
    cmd->text = mem;
    if (!cmd->prefix) cmd->prefix = d->prefix;
    if (!cmd->timeout_ms) cmd->timeout_ms = sm_cord_timeout(d->timeout);
    return SM_OK;
}

/* Checks every argument of a new operation by building its commands (the
   first 64: later ones differ only in numbers). */
SM_PRIV int sm_cord_check_op(sm_cord *c, const sm_cord_op *op)
{
    sm_at_cmd cmd;
    sm_buf b;
    uint32_t step, saved = c->file_id;
    int rc = SM_OK;
    c->file_id = 0;
    for (step = 0; step < 64u && rc == SM_OK; step++) {
        sm_buf_measure(&b, (size_t)SM_QUEUE_TEXT + 1u);
        rc = sm_cord_build(c, op, &step, &cmd, &b);
    }
    c->file_id = saved;
    return rc == SM_CORD_END ? SM_OK : rc;
}
SM_PRIV void sm_cord_res_init(sm_result *res)
{
    memset(res, 0, sizeof *res);
    res->code = SM_AT_NO_CODE;
}

/* Takes the head operation off the queue and reports it. */
SM_PRIV void sm_cord_pop_report(sm_cord *c, sm_result *res)
{
    /* only what the report needs: closing the record moves the next one
       into ops[0] */
    sm_cord_done_fn done = c->ops[0].done;
    void *ctx = c->ops[0].ctx;
    res->id = (int)c->ops[0].base.id;
    res->op = c->ops[0].def->kind;
    sm_ops_close_head(&c->opq, res->status);
    if (!done) return;
    c->in_cb++;
    done(ctx, c, res);
    c->in_cb--;
}

/* Ends the running operation with res; the next one starts from poll. r:
   the engine's answer when its command failed, else NULL. */
SM_PRIV void sm_cord_finish(sm_cord *c, sm_result *res, const sm_at_response *r)
{
    const sm_cord_opdef *d = c->ops[0].def;
    if (d->on_end) d->on_end(c, &c->ops[0], r, res);
    res->value = c->value;
    res->len = (uint32_t)c->done_len;
    if (d->flags & SM_CORD_C_READ) {
        /* one rule for every receive path: len counts data only when the
           read succeeded or was truncated; what a failed read left in the
           buffer is not data */
        res->truncated = (uint8_t)(res->status == SM_ERR_TRUNCATED);
        if (res->status != SM_OK && res->status != SM_ERR_TRUNCATED) res->len = 0;
        res->total = (uint32_t)c->total_len;
    }
    c->recv_left = 0; /* a +recv: event's bytes, if still coming, are nobody's now */
    c->phase = SM_CORD_PH_IDLE;
    c->at_id = 0;
    sm_cord_pop_report(c, res);
}

/* Ends the running operation without an answer of the engine's (an event,
   a deadline, a command that could not be queued). Its result is built in
   the module's scratch rather than on the stack: this runs under event
   handlers, themselves under the engine's line parser. text must not
   point into the scratch (sm_cord_outcome copies an event's text out).
   It cannot run again while its done callback runs: that callback cannot
   poll, feed or wait, and a cancel from it ends the other operations
   through sm_cord_report_all's own result, with the phase on HOLD, where
   no event ends an operation. */
SM_PRIV void sm_cord_end(sm_cord *c, int status, int32_t code, const char *text)
{
    sm_result *res = &c->scratch.done.res;
    if (!c->opq.used) return;
    sm_cord_res_init(res);
    res->status = status;
    res->code = code;
    res->err_text = text;
    sm_cord_finish(c, res, NULL);
}

/* The running operation's command is answered OK: on to the next step (or
   the end, reported at once when there is none), the event wait, or the
   end. */
SM_PRIV void sm_cord_after_ok(sm_cord *c, int rc, sm_result *res)
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
    sm_cord_finish(c, res, NULL);
}

/* The upload failed after its open: close the file anyway, in the
   background (the failure is reported at once). */
SM_PRIV void sm_cord_close_behind(sm_cord *c)
{
    sm_buf b;
    sm_at_cmd cmd;
    size_t cap = 0;
    char *mem = sm_at_text_space(&c->at, &cap);
    memset(&cmd, 0, sizeof cmd);
    sm_buf_init(&b, mem, cap);
    sm_cord_put_close(&b, c->file_id);
    if (sm_buf_finish(&b) != SM_OK) return; /* no room: the module closes it at its restart */
    cmd.text = mem;
    cmd.prefix = SM_CORD_NO_INFO;
    cmd.timeout_ms = (uint32_t)SM_CORD_TIMEOUT_MS;
    (void)sm_at_submit(&c->at, &cmd);
}

/* Whether the running command is sent again rather than failed:
   - the bring-up's probe, until the module answers or its time is up;
   - a command cut by the module's power-up start-up event: the module
     had never answered since sm_cord_init and has not been seen starting,
     so it was still booting and the command never reached it (it is not a
     restart that lost state); once per operation. */
SM_PRIV int sm_cord_again(sm_cord *c, sm_at_result result)
{
    const sm_cord_op *op = &c->ops[0];
    if (op->def->kind == SM_CORD_OP_BRINGUP && c->step == 0 &&
        (result == SM_AT_TIMEOUT || result == SM_AT_REBOOT) &&
        !sm_time_reached(sm_at_now(&c->at), c->deadline)) {
        c->value++; /* probes sent again */
        c->phase = SM_CORD_PH_DUE;
        return 1;
    }
    if (result == SM_AT_REBOOT && !c->heard && !c->state.started && !c->power_retry) {
        c->power_retry = 1;
        c->phase = SM_CORD_PH_DUE;
        return 1;
    }
    return 0;
}

/* The engine's completion of the running operation's command. Its result
   is built in the module's scratch (see sm_cord_end): this runs under the
   engine's line parser and goes on to queue the next step. No event's
   fields are in the scratch now: an engine's done function is no event
   handler's callee (a cancel from an event callback holds the phase, and
   this returns at once). */
SM_PRIV void sm_cord_at_done(void *ctx, const sm_at_response *r)
{
    sm_cord *c = (sm_cord *)ctx;
    const sm_cord_op *op = &c->ops[0];
    sm_result *res = &c->scratch.done.res;
    if (!c->opq.used || c->phase != SM_CORD_PH_CMD || r->id != c->at_id) return; /* cancelled */
    c->at_id = 0;
    sm_cord_res_init(res);
    if (r->result == SM_AT_OK || r->result == SM_AT_ERROR || r->result == SM_AT_CME_ERROR ||
        r->result == SM_AT_CMS_ERROR || r->result == SM_AT_DIALECT_ERROR)
        c->heard = 1;
    if (r->result == SM_AT_OK) {
        const sm_cord_opdef *d = op->def;
        sm_cord_after_ok(c, d->on_ok ? d->on_ok(c, r, res) : SM_CORD_NEXT, res);
        return;
    }
    if (r->result == SM_AT_REBOOT && sm_cord_awaits(c) == SM_CORD_W_STARTUP) {
        sm_cord_after_ok(c, SM_CORD_WAIT, res); /* the +eventstartup being read ends it */
        return;
    }
    if (sm_cord_again(c, r->result)) return;
    res->status = sm_at_result_status(r->result);
    res->code = r->code;
    res->err_text = r->err_text;
    sm_cord_finish(c, res, r);
}

/* Queues the running operation's next command. The command is built in
   the module's scratch: this runs under the engine's done function when a
   step is answered. Only from sm_cord_poll (kick) and from sm_cord_at_done
   after the step's result is dropped, when nothing else is in the scratch;
   sm_cord_end, which takes it over, comes after the command's last use. */
SM_PRIV void sm_cord_submit(sm_cord *c)
{
    sm_at_cmd *cmd = &c->scratch.step.cmd;
    size_t cap = 0;
    char *mem = sm_at_text_space(&c->at, &cap); /* built in the queue: no copy, no buffer */
    int rc;
    sm_buf_init(&c->scratch.step.b, mem, cap);
    rc = sm_cord_build(c, &c->ops[0], &c->step, cmd, &c->scratch.step.b);
    if (rc == SM_CORD_END) { sm_cord_end(c, SM_OK, SM_AT_NO_CODE, NULL); return; }
    if (rc == SM_ERR_QUEUE_FULL) return; /* no room in the queue yet: the next poll retries */
    if (rc == SM_OK) {
        cmd->on_done = sm_cord_at_done;
        cmd->ctx = c;
        rc = sm_at_submit(&c->at, cmd);
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
    while (c->opq.used && (c->phase == SM_CORD_PH_IDLE || c->phase == SM_CORD_PH_DUE)) {
        uint8_t n = c->opq.used;
        if (c->phase == SM_CORD_PH_IDLE) {
            c->step = 0;
            c->early = 0;
            c->file_id = 0;
            c->value = 0;
            c->done_len = c->total_len = 0;
            c->bad_lines = 0;
            c->power_retry = 0;
            c->trunc = c->recv_bad = 0;
            c->recv_left = 0;
            c->ev_text[0] = '\0';
            c->deadline = sm_at_now(&c->at) + (uint32_t)SM_CORD_BOOT_TIMEOUT_MS; /* bring-up */
            if (c->ops[0].def->kind == SM_CORD_OP_SOCK_DIAL) c->connect_sock = (int8_t)c->ops[0].n1;
            c->phase = SM_CORD_PH_DUE;
        }
        sm_cord_submit(c);
        if (c->phase == SM_CORD_PH_DUE && c->opq.used == n) return; /* queue full: later */
    }
}

/* Common part of the start functions: check, then queue. */
SM_PRIV int sm_cord_start(sm_cord *c, sm_cord_op *op, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op *rec;
    int rc;
    if (!c) return SM_ERR_PARAM;
    if (!sm_at_ready(&c->at)) return SM_ERR_STATE; /* never initialised */
    if (c->opq.used >= SM_CORD_OPS) return SM_ERR_QUEUE_FULL;
    rc = sm_cord_check_op(c, op);
    if (rc) return rc;
    op->done = done;
    op->ctx = ctx;
    rec = (sm_cord_op *)(void *)sm_ops_claim(&c->opq); /* the one after the last */
    *rec = *op;
    return sm_ops_open(&c->opq, &rec->base);
}

/* Reports the first n operations with status. In a frame of its own: its
   result is not on the stack while sm_cord_abort flushes the engine (which
   may hand bytes back to the line parser, and so to the event handlers).
   On the stack rather than in the scratch: a cancel from a done callback
   of sm_cord_end's comes here while that result is still being read. */
SM_NOINLINE SM_PRIV void sm_cord_report_all(sm_cord *c, uint8_t n, int status)
{
    sm_result res;
    while (n-- && c->opq.used) {
        sm_cord_res_init(&res);
        res.status = status;
        sm_cord_pop_report(c, &res);
    }
}

SM_PRIV void sm_cord_abort(sm_cord *c, int status)
{
    uint8_t n = c->opq.used;
    c->phase = SM_CORD_PH_HOLD; /* a done callback that starts an operation only queues it */
    c->at_id = 0;
    sm_at_flush(&c->at, SM_AT_CANCELLED);
    sm_cord_report_all(c, n, status);
    c->phase = SM_CORD_PH_IDLE;
}

/* ---- public: module ------------------------------------------------------------- */
/* As sm_at_in_own_callback, for the module's own guard. */
SM_PRIV int sm_cord_in_own_callback(const sm_cord *c)
{
    const volatile uint32_t *mark = &c->at.init_mark;
    const volatile uint8_t *guard = &c->in_cb;
    return *mark == SM_AT_INIT_MARK && *guard != 0u; /* NOLINT: may be garbage, on purpose */
}

SECMODEM_API int sm_cord_init(sm_cord *c, const sm_platform *plat, sm_cord_event_fn on_event,
                              void *ctx)
{
    int rc;
    if (!c) return SM_ERR_PARAM;
    /* see sm_at_init; in_cb is only meaningful once the engine was initialised */
    if (sm_at_in_own_callback(&c->at) || sm_cord_in_own_callback(c)) return SM_ERR_BUSY;
    memset(c, 0, sizeof *c);
    rc = sm_at_init(&c->at, plat, sm_cord_dialect());
    if (rc) return rc;
    sm_at_add_urcs(&c->at, sm_cord_events, sizeof sm_cord_events / sizeof sm_cord_events[0], c);
    sm_at_on_unhandled(&c->at, sm_cord_ev_other, c);
    sm_at_on_long_line(&c->at, "+eventmqtt:recv,", sm_cord_ev_long_other, c);
    c->on_event = on_event;
    c->event_ctx = ctx;
    sm_ops_init(&c->opq, c->ops, sizeof c->ops[0], SM_CORD_OPS); /* in order */
    c->connect_sock = -1;
    return SM_OK;
}

SECMODEM_API int sm_cord_use_mqtt(sm_cord *c)
{
    if (!c) return SM_ERR_PARAM;
    if (!sm_at_ready(&c->at)) return SM_ERR_STATE;
    c->features[SM_CORD_FEATURE_MQTT] = &sm_cord_mqtt_rows;
    sm_at_on_long_line(&c->at, "+eventmqtt:recv,", sm_cord_ev_mqtt_long, c);
    return SM_OK;
}

SECMODEM_API int sm_cord_use_sockets(sm_cord *c)
{
    if (!c) return SM_ERR_PARAM;
    if (!sm_at_ready(&c->at)) return SM_ERR_STATE;
    c->features[SM_CORD_FEATURE_SOCK] = &sm_cord_sock_rows;
    sm_at_cut_urc(&c->at, "+recv:", 3); /* its bytes are read by count, never as lines */
    return SM_OK;
}

/* A start function's id, with its feature's events registered once it
   started (a failed start changes nothing). */
SM_PRIV int sm_cord_started_mqtt(sm_cord *c, int id)
{
    if (id > 0) (void)sm_cord_use_mqtt(c);
    return id;
}

SM_PRIV int sm_cord_started_sock(sm_cord *c, int id)
{
    if (id > 0) (void)sm_cord_use_sockets(c);
    return id;
}

SECMODEM_API int sm_cord_poll(sm_cord *c)
{
    int rc;
    if (!c) return SM_ERR_PARAM;
    if (!sm_at_ready(&c->at)) return SM_ERR_STATE;
    if (c->at.in_callback || c->in_cb) return SM_ERR_BUSY;
    sm_cord_kick(c);
    rc = sm_at_poll(&c->at);
    if (c->phase == SM_CORD_PH_WAIT && sm_time_reached(sm_at_now(&c->at), c->deadline))
        sm_cord_end(c, SM_ERR_TIMEOUT, SM_AT_NO_CODE, NULL);
    sm_cord_kick(c);
    return rc;
}

SECMODEM_API int sm_cord_set_msg_buffer(sm_cord *c, char *buf, size_t cap)
{
    if (!c || (!buf && cap) || (buf && cap < 4)) return SM_ERR_PARAM;
    if (!sm_at_ready(&c->at)) return SM_ERR_STATE;
    if (c->msg_state == SM_CORD_M_COPY) c->msg_state = SM_CORD_M_OVER; /* one in progress */
    c->msg_buf = buf;
    c->msg_cap = buf ? cap : 0;
    c->msg_payload = 0;
    return sm_cord_use_mqtt(c); /* a buffer for MQTT messages: the MQTT events */
}

SECMODEM_API int sm_cord_feed(sm_cord *c, const uint8_t *data, size_t len)
{
    if (!c) return SM_ERR_PARAM;
    return sm_at_feed(&c->at, data, len);
}

SECMODEM_API int sm_cord_pending(const sm_cord *c, int id)
{
    return c ? sm_ops_pending(&c->opq, id) : 0;
}

SECMODEM_API int sm_cord_wait(sm_cord *c, int id)
{
    if (!c || id <= 0) return SM_ERR_PARAM;
    if (!sm_at_ready(&c->at)) return SM_ERR_STATE;
    if (c->at.in_callback || c->in_cb) return SM_ERR_BUSY;
    while (sm_cord_pending(c, id))
        if (sm_cord_poll(c) == SM_ERR_IO) sm_cord_abort(c, SM_ERR_IO);
    return sm_ops_status(&c->opq, id);
}

SECMODEM_API int sm_cord_busy(const sm_cord *c) { return c ? sm_ops_busy(&c->opq) : 0; }

SECMODEM_API void sm_cord_cancel(sm_cord *c)
{
    if (sm_at_ready(c ? &c->at : NULL)) sm_cord_abort(c, SM_ERR_CANCELLED);
}

SECMODEM_API const sm_cord_state *sm_cord_get_state(const sm_cord *c) { return c ? &c->state : NULL; }

SECMODEM_API sm_at *sm_cord_at(sm_cord *c) { return c ? &c->at : NULL; }

SECMODEM_API const char *sm_cord_event_name(int kind)
{
#define SM_CORD_EV_NAME_(name, text) text,
    static const char *const names[] = { "?", SM_CORD_EVENT_LIST(SM_CORD_EV_NAME_) };
#undef SM_CORD_EV_NAME_
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

SECMODEM_API const char *sm_cord_op_name(int op)
{
#define SM_CORD_OP_NAME_(name, text) text,
    static const char *const names[] = { "?", SM_CORD_OP_LIST(SM_CORD_OP_NAME_) };
#undef SM_CORD_OP_NAME_
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

/* ---- public: operations ------------------------------------------------------------
   Each public function with its descriptor: command format ("": a
   builder), answer line, timeout, the event awaited after the OK, answer
   reader and result extras. The format is a string literal that becomes an
   array of its own, so that the linker drops it with an operation never
   called (as SM_SQN_OPDEF's). The prefix stays a literal: most are
   SM_CORD_NO_INFO, one merged string, and arrays of their own measured
   larger in the every-API build than the few unused prefixes they drop. */
#define SM_CORD_OPDEF(name, fmt, args, prefix, kind, timeout, awaits, flags, build, on_ok,      \
                      on_end)                                                                    \
    static const char name##_fmt[] = fmt;                                                        \
    static const sm_cord_opdef name = { name##_fmt, args, prefix, (uint8_t)(kind),               \
                                        (uint8_t)(timeout), (uint8_t)(awaits), (uint8_t)(flags), \
                                        build, on_ok, on_end }

SM_PRIV int sm_cord_start_def(sm_cord *c, const sm_cord_opdef *def, sm_cord_done_fn done,
                              void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = def;
    return sm_cord_start(c, &op, done, ctx);
}

/* The result text of a restart: the firmware version it reported. */
SM_PRIV void sm_cord_end_version(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                                 sm_result *res)
{
    (void)op;
    (void)r;
    if (!res->status) res->text = c->state.version;
}

SM_CORD_OPDEF(sm_cord_od_wlan_mode, "AT+wlanSetMode=%R", sm_cord_arg_wlan,
              SM_CORD_NO_INFO, SM_CORD_OP_WLAN_SET_MODE, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, NULL);

SECMODEM_API int sm_cord_wlan_set_mode(sm_cord *c, sm_cord_wlan_mode mode, sm_cord_done_fn done,
                                       void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_wlan_mode;
    op.n1 = (uint32_t)mode;
    return sm_cord_start(c, &op, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_test, "AT+test", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_TEST, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, NULL);

SECMODEM_API int sm_cord_test(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_def(c, &sm_cord_od_test, done, ctx);
}

/* The settings of sm_cord_mqtt_opts: on failure, the one that failed. */
SM_PRIV void sm_cord_name_mqtt_setting(uint32_t s, sm_result *res)
{
    if (s >= SM_CORD_N_MQTT || !res->status) return;
    res->u.setting.group = sm_cord_mqtt_groups[sm_cord_mqtt_settings[s].group];
    res->u.setting.key = sm_cord_mqtt_settings[s].key;
}

/* stage: where it ended; the version with success. */
SM_PRIV void sm_cord_end_bringup(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                                 sm_result *res)
{
    uint32_t s = c->step;
    (void)op;
    (void)r;
    res->stage = (uint8_t)(s < (uint32_t)SM_CORD_BOOT_SET ? s : (uint32_t)SM_CORD_BOOT_SET);
    if (s >= SM_CORD_BOOT_SET) sm_cord_name_mqtt_setting(s - SM_CORD_BOOT_SET, res);
    if (!res->status) res->text = c->state.version;
}

/* the probe's timeout is its own, SM_CORD_PROBE_MS */
SM_CORD_OPDEF(sm_cord_od_bringup, "", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_BRINGUP, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              sm_cord_b_bringup, sm_cord_ok_bringup, sm_cord_end_bringup);

SECMODEM_API int sm_cord_bringup(sm_cord *c, const sm_cord_bringup_opts *opts,
                                 sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_bringup;
    op.src = opts ? opts->mqtt : NULL;
    return sm_cord_start(c, &op, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_reboot, "AT+reboot", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_REBOOT, SM_CORD_T_GEN, SM_CORD_W_STARTUP, 0,
              NULL, sm_cord_ok_wait, sm_cord_end_version);

SECMODEM_API int sm_cord_reboot(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_def(c, &sm_cord_od_reboot, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_factory_reset, "AT+factoryreset", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_FACTORY_RESET, SM_CORD_T_RESET, SM_CORD_W_STARTUP, 0,
              NULL, sm_cord_ok_wait, sm_cord_end_version);

SECMODEM_API int sm_cord_factory_reset(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_def(c, &sm_cord_od_factory_reset, done, ctx);
}

/* done at the OK: the wake-up is a start-up event like any other */
SM_CORD_OPDEF(sm_cord_od_hibernate, "AT+hibernate=%D", sm_cord_arg_device,
              SM_CORD_NO_INFO, SM_CORD_OP_HIBERNATE, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, NULL);

SECMODEM_API int sm_cord_hibernate(sm_cord *c, uint32_t seconds, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_hibernate;
    op.n1 = seconds;
    return sm_cord_start(c, &op, done, ctx);
}

/* GET, SET: the setting concerned. */
SM_PRIV void sm_cord_end_setting(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                                 sm_result *res)
{
    (void)c;
    (void)r;
    res->u.setting.group = op->s1;
    res->u.setting.key = op->s2;
}

SM_CORD_OPDEF(sm_cord_od_get, "AT+get=%G,%K", sm_cord_arg_setting,
              "+get:", SM_CORD_OP_GET, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, sm_cord_ok_get, sm_cord_end_setting);

SECMODEM_API int sm_cord_get(sm_cord *c, const char *group, const char *key,
                             sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_get;
    op.s1 = group;
    op.s2 = key;
    return sm_cord_start(c, &op, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_set, "AT+set=%G,%K,%V", sm_cord_arg_setting,
              SM_CORD_NO_INFO, SM_CORD_OP_SET, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, sm_cord_end_setting);

SM_PRIV int sm_cord_start_set(sm_cord *c, const char *group, const char *key, uint8_t type,
                              const char *s, uint32_t v, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_set;
    op.sub = type;
    op.s1 = group;
    op.s2 = key;
    op.src = s;
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

SECMODEM_API void sm_cord_mqtt_opts_init(sm_cord_mqtt_opts *cfg)
{
    int i;
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg); /* strings NULL */
    cfg->port = cfg->keep_alive_s = SM_CORD_UNSET;
    cfg->tls1_3 = cfg->clean_session = cfg->will_qos = cfg->will_retain = SM_CORD_UNSET;
    for (i = 0; i < 4; i++) {
        cfg->sub[i].qos = cfg->sub[i].retain = SM_CORD_UNSET;
        cfg->pub[i].qos = cfg->pub[i].retain = SM_CORD_UNSET;
    }
}

SM_PRIV void sm_cord_end_mqtt_config(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                                     sm_result *res)
{
    (void)op;
    (void)r;
    sm_cord_name_mqtt_setting(c->step, res);
}

SM_CORD_OPDEF(sm_cord_od_mqtt_config, "", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_MQTT_CONFIG, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              sm_cord_b_mqtt_config, NULL, sm_cord_end_mqtt_config);

SECMODEM_API int sm_cord_mqtt_config(sm_cord *c, const sm_cord_mqtt_opts *cfg,
                                        sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    if (!cfg) return SM_ERR_PARAM;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_mqtt_config;
    op.src = cfg;
    return sm_cord_started_mqtt(c, sm_cord_start(c, &op, done, ctx));
}

/* The result text of the Wi-Fi connection: the IPv4 address. */
SM_PRIV void sm_cord_end_wlan(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                              sm_result *res)
{
    (void)op;
    (void)r;
    if (!res->status) res->text = c->state.ipv4;
}

SM_CORD_OPDEF(sm_cord_od_wlan_connect, "", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_WLAN_CONNECT, SM_CORD_T_GEN, SM_CORD_W_IP, 0,
              sm_cord_b_wlan_connect, sm_cord_ok_wait, sm_cord_end_wlan);

SECMODEM_API int sm_cord_wlan_connect(sm_cord *c, const char *ssid, sm_cord_security security,
                                      const char *key, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_wlan_connect;
    op.s1 = ssid;
    op.s2 = key;
    op.n1 = (uint32_t)security;
    return sm_cord_start(c, &op, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_wlan_disconnect, "AT+wlanDisconnect", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_WLAN_DISCONNECT, SM_CORD_T_GEN, SM_CORD_W_WLAN_DOWN, 0,
              NULL, sm_cord_ok_wlan_down, NULL);

SECMODEM_API int sm_cord_wlan_disconnect(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_def(c, &sm_cord_od_wlan_disconnect, done, ctx);
}

SM_PRIV int sm_cord_start_file(sm_cord *c, const sm_cord_opdef *def, const char *name,
                               uint32_t n1, uint32_t n2, const void *src, uint8_t *dst,
                               size_t len, sm_cord_done_fn done, void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = def;
    op.s1 = name;
    op.n1 = n1;
    op.n2 = n2;
    op.src = src;
    op.dst = dst;
    op.len = len;
    return sm_cord_start(c, &op, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_file_open, "AT+fileOpen=%F,%Z,%M", sm_cord_arg_file,
              "+fileopen:", SM_CORD_OP_FILE_OPEN, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, sm_cord_ok_file_open, NULL);

SECMODEM_API int sm_cord_file_open(sm_cord *c, const char *name, unsigned flags,
                                   uint32_t max_size, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, &sm_cord_od_file_open, name, flags, max_size, NULL, NULL, 0,
                              done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_file_write, "", NULL,
              "+filewrite:", SM_CORD_OP_FILE_WRITE, SM_CORD_T_FILE, SM_CORD_W_NONE, 0,
              sm_cord_b_file_write, sm_cord_ok_file_write, NULL);

SECMODEM_API int sm_cord_file_write(sm_cord *c, uint32_t file_id, uint32_t offset,
                                    const uint8_t *data, size_t len, sm_cord_done_fn done,
                                    void *ctx)
{
    return sm_cord_start_file(c, &sm_cord_od_file_write, NULL, file_id, offset, data, NULL, len,
                              done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_file_read, "", NULL,
              "+fileread:", SM_CORD_OP_FILE_READ, SM_CORD_T_FILE, SM_CORD_W_NONE, SM_CORD_C_READ,
              sm_cord_b_file_read, sm_cord_ok_file_read, NULL);

SECMODEM_API int sm_cord_file_read(sm_cord *c, uint32_t file_id, uint32_t offset, uint8_t *buf,
                                   size_t len, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, &sm_cord_od_file_read, NULL, file_id, offset, NULL, buf, len,
                              done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_file_close, "AT+fileClose=%I,,", sm_cord_arg_file,
              SM_CORD_NO_INFO, SM_CORD_OP_FILE_CLOSE, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, NULL);

SECMODEM_API int sm_cord_file_close(sm_cord *c, uint32_t file_id, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, &sm_cord_od_file_close, NULL, file_id, 0, NULL, NULL, 0, done,
                              ctx);
}

SM_CORD_OPDEF(sm_cord_od_file_delete, "AT+fileDel=%F,0", sm_cord_arg_file,
              SM_CORD_NO_INFO, SM_CORD_OP_FILE_DELETE, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, NULL);

SECMODEM_API int sm_cord_file_delete(sm_cord *c, const char *name, sm_cord_done_fn done,
                                     void *ctx)
{
    return sm_cord_start_file(c, &sm_cord_od_file_delete, name, 0, 0, NULL, NULL, 0, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_file_info, "AT+fileGetInfo=%F,0", sm_cord_arg_file,
              "+filegetinfo:", SM_CORD_OP_FILE_GET_INFO, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, sm_cord_ok_file_info, NULL);

SECMODEM_API int sm_cord_file_get_info(sm_cord *c, const char *name, sm_cord_done_fn done,
                                       void *ctx)
{
    return sm_cord_start_file(c, &sm_cord_od_file_info, name, 0, 0, NULL, NULL, 0, done, ctx);
}

SM_CORD_OPDEF(sm_cord_od_file_list, "", NULL,
              "+filegetfilelist:", SM_CORD_OP_FILE_LIST, SM_CORD_T_FILE, SM_CORD_W_NONE, 0,
              sm_cord_b_file_list, sm_cord_ok_file_list, NULL);

SECMODEM_API int sm_cord_file_list(sm_cord *c, sm_cord_entry_fn on_entry, sm_cord_done_fn done,
                                   void *ctx)
{
    sm_cord_op op;
    memset(&op, 0, sizeof op);
    op.def = &sm_cord_od_file_list;
    op.on_entry = on_entry;
    return sm_cord_start(c, &op, done, ctx);
}

/* stage: where it ended. A write that failed after the open (not by a
   restart) leaves the file open: it is closed in the background. */
SM_PRIV void sm_cord_end_upload(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                                sm_result *res)
{
    uint32_t s = c->step;
    size_t chunks = sm_cord_chunks(op->len, SM_CORD_FILE_CHUNK);
    if (r && s >= 1u && s <= chunks && r->result != SM_AT_REBOOT) sm_cord_close_behind(c);
    res->stage = (uint8_t)(s == 0 ? 0 : s <= chunks ? 1 : 2);
}

SM_CORD_OPDEF(sm_cord_od_file_upload, "", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_FILE_UPLOAD, SM_CORD_T_FILE, SM_CORD_W_NONE, 0,
              sm_cord_b_upload, sm_cord_ok_upload, sm_cord_end_upload);

SECMODEM_API int sm_cord_file_upload(sm_cord *c, const char *name, const uint8_t *data,
                                     size_t len, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_start_file(c, &sm_cord_od_file_upload, name, 0, 0, data, NULL, len, done,
                              ctx);
}

SM_CORD_OPDEF(sm_cord_od_socket, "AT+socket=INET,STREAM,%Y", sm_cord_arg_sock,
              "+socket:", SM_CORD_OP_SOCK_OPEN, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, sm_cord_ok_socket, NULL);

SECMODEM_API int sm_cord_sock_open(sm_cord *c, int secure, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_sock(c, sm_cord_start_file(c, &sm_cord_od_socket, NULL, secure != 0, 0,
                                                      NULL, NULL, 0, done, ctx));
}

/* A socket id: 0..15, anything else becomes out of range. */
SM_PRIV uint32_t sm_cord_sock_id(int sock)
{
    return sock >= 0 && sock <= 15 ? (uint32_t)sock : 99u;
}

SM_PRIV void sm_cord_end_socket_tls(sm_cord *c, const sm_cord_op *op, const sm_at_response *r,
                                    sm_result *res)
{
    (void)op;
    (void)r;
    if (c->step >= SM_CORD_N_TLS || !res->status) return;
    res->u.setting.group = "SOCKET";
    res->u.setting.key = sm_cord_tls_options[c->step].key;
}

SM_CORD_OPDEF(sm_cord_od_socket_tls, "", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_SOCK_TLS, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              sm_cord_b_socket_tls, NULL, sm_cord_end_socket_tls);

SECMODEM_API int sm_cord_sock_tls(sm_cord *c, int sock, const sm_cord_tls *opts,
                                  sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_sock(c, sm_cord_start_file(c, &sm_cord_od_socket_tls, NULL,
                                                      sm_cord_sock_id(sock), 0, opts, NULL, 0,
                                                      done, ctx));
}

SM_CORD_OPDEF(sm_cord_od_connect, "AT+connect=%S,INET,%N,%H", sm_cord_arg_sock,
              SM_CORD_NO_INFO, SM_CORD_OP_SOCK_DIAL, SM_CORD_T_CONNECT, SM_CORD_W_CONNECT, 0,
              NULL, sm_cord_ok_wait, NULL);

SECMODEM_API int sm_cord_sock_dial(sm_cord *c, int sock, const char *address, uint16_t port,
                                  sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_sock(c, sm_cord_start_file(c, &sm_cord_od_connect, address,
                                                      sm_cord_sock_id(sock), port, NULL, NULL, 0,
                                                      done, ctx));
}

SM_CORD_OPDEF(sm_cord_od_send, "", NULL,
              "+send:", SM_CORD_OP_SOCK_SEND, SM_CORD_T_FILE, SM_CORD_W_NONE, 0,
              sm_cord_b_send, sm_cord_ok_send, NULL);

SECMODEM_API int sm_cord_sock_send(sm_cord *c, int sock, const uint8_t *data, size_t len,
                                   sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_sock(c, sm_cord_start_file(c, &sm_cord_od_send, NULL,
                                                      sm_cord_sock_id(sock), 0, data, NULL, len,
                                                      done, ctx));
}

SM_CORD_OPDEF(sm_cord_od_recv, "", NULL,
              "+recv:", SM_CORD_OP_SOCK_RECV, SM_CORD_T_FILE, SM_CORD_W_RECV, SM_CORD_C_READ,
              sm_cord_b_recv, sm_cord_ok_recv, NULL);

SECMODEM_API int sm_cord_sock_recv(sm_cord *c, int sock, uint8_t *buf, size_t cap,
                                   sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_sock(c, sm_cord_start_file(c, &sm_cord_od_recv, NULL,
                                                      sm_cord_sock_id(sock), 0, NULL, buf, cap,
                                                      done, ctx));
}

SM_CORD_OPDEF(sm_cord_od_close, "AT+close=%S", sm_cord_arg_sock,
              SM_CORD_NO_INFO, SM_CORD_OP_SOCK_CLOSE, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, sm_cord_ok_close, NULL);

SECMODEM_API int sm_cord_sock_close(sm_cord *c, int sock, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_sock(c, sm_cord_start_file(c, &sm_cord_od_close, NULL,
                                                      sm_cord_sock_id(sock), 0, NULL, NULL, 0,
                                                      done, ctx));
}

SM_CORD_OPDEF(sm_cord_od_mqtt_connect, "AT+iotconnect", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_MQTT_CONNECT, SM_CORD_T_GEN, SM_CORD_W_CONNACK, 0,
              NULL, sm_cord_ok_wait, NULL);

SECMODEM_API int sm_cord_mqtt_connect(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_mqtt(c, sm_cord_start_def(c, &sm_cord_od_mqtt_connect, done, ctx));
}

SM_CORD_OPDEF(sm_cord_od_mqtt_disconnect, "AT+iotdisconnect", NULL,
              SM_CORD_NO_INFO, SM_CORD_OP_MQTT_DISCONNECT, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, NULL);

SECMODEM_API int sm_cord_mqtt_disconnect(sm_cord *c, sm_cord_done_fn done, void *ctx)
{
    return sm_cord_started_mqtt(c, sm_cord_start_def(c, &sm_cord_od_mqtt_disconnect, done, ctx));
}

SM_CORD_OPDEF(sm_cord_od_publish, "AT+iotpublish=%T,\"%P\"", sm_cord_arg_mqtt,
              SM_CORD_NO_INFO, SM_CORD_OP_MQTT_PUBLISH, SM_CORD_T_GEN, SM_CORD_W_NONE, 0,
              NULL, NULL, NULL);

SECMODEM_API int sm_cord_mqtt_publish(sm_cord *c, int topic, const char *payload,
                                      sm_cord_done_fn done, void *ctx)
{
    uint32_t t = topic >= 0 && topic <= 3 ? (uint32_t)topic : 99u;
    return sm_cord_started_mqtt(c, sm_cord_start_file(c, &sm_cord_od_publish, payload, t, 0, NULL,
                                                      NULL, 0, done, ctx));
}
#endif /* SM_NO_CORDELIA */
#ifndef SM_NO_ATECC
/* ==========================================================================
   8. ATECC608 SECURE ELEMENT (implementation)
   Encoding first (pure), then the transport's state machine:
     S_WAKE       (idle first when retrying) wake pulse -> S_WAKE_WAIT
     S_WAKE_WAIT  at the deadline, read 4 bytes: 04 11 33 43 -> S_SEND (or
                  S_END if nothing is left to send); else S_WAKE again, at
                  most SM_ATECC_WAKE_TRIES pulses, then SM_ERR_NO_WAKE
     S_SEND       watchdog budget exceeded -> S_WAKE (idle first); write the
                  group (a NACK re-wakes, as a retry) -> S_POLL
     S_POLL       at the deadline: word address 0, count, rest; a NACK is
                  "busy": again SM_ATECC_POLL_MS later, until the maximum
                  time (SM_ERR_TIMEOUT); bad CRC, 0xFF, 0x11 -> S_SEND and
                  0xEE -> S_WAKE (bounded by SM_ATECC_RETRIES); a good
                  response -> the next command's S_SEND, or S_END
     S_END        idle, sleep or nothing -> S_IDLE; the result is reported
   One poll call runs transitions until it has to wait for a deadline.
   ========================================================================== */
enum {
    SM_ATECC_S_IDLE = 0,  /* nothing in flight */
    SM_ATECC_S_WAKE,      /* send the wake pulse (idle first when retrying) */
    SM_ATECC_S_WAKE_WAIT, /* wait tWHI, then read the wake response */
    SM_ATECC_S_SEND,      /* write the command group */
    SM_ATECC_S_POLL,      /* wait, then try to read the response */
    SM_ATECC_S_END        /* idle / sleep, then report */
};
/* Where the last command's data go. */
enum { SM_ATECC_OUT_NONE = 0, SM_ATECC_OUT_COPY, SM_ATECC_OUT_SERIAL, SM_ATECC_OUT_LOCKS };
/* The chip's power state as far as the host knows (docs/atecc.md A-5). */
enum { SM_ATECC_PWR_SLEEP = 0, SM_ATECC_PWR_IDLE, SM_ATECC_PWR_AWAKE };
/* I2C word addresses (docs/atecc.md A-2). */
enum { SM_ATECC_WA_RESET = 0x00, SM_ATECC_WA_SLEEP = 0x01, SM_ATECC_WA_IDLE = 0x02,
       SM_ATECC_WA_COMMAND = 0x03 };

/* ---- pure encoding --------------------------------------------------- */

SECMODEM_API uint16_t sm_atecc_crc16(const uint8_t *data, size_t len)
{
    uint16_t reg = 0;
    size_t i;
    unsigned b;
    for (i = 0; i < len; i++) {
        for (b = 0; b < 8u; b++) {
            unsigned in = ((unsigned)data[i] >> b) & 1u; /* LSB first */
            unsigned top = (unsigned)(reg >> 15);
            reg = (uint16_t)(reg << 1);
            if (in != top) reg = (uint16_t)(reg ^ 0x8005u);
        }
    }
    return reg;
}

SM_PRIV int sm_atecc_cmd_check(const sm_atecc_cmd *c)
{
    if (!c || (c->len && !c->data) || (c->len2 && !c->data2)) return SM_ERR_PARAM;
    if (7u + (unsigned)c->len + (unsigned)c->len2 > (unsigned)SM_ATECC_CMD_MAX) return SM_ERR_PARAM;
    return SM_OK;
}

/* count | opcode | param1 | param2 LE | data | CRC over count..data
   (docs/atecc.md A-7, A-8; count includes itself and the CRC). */
SECMODEM_API int sm_atecc_encode(const sm_atecc_cmd *c, uint8_t *out, size_t cap)
{
    size_t n;
    uint16_t crc;
    int rc = sm_atecc_cmd_check(c);
    if (rc) return rc;
    if (!out) return SM_ERR_PARAM;
    n = 7u + (size_t)c->len + (size_t)c->len2;
    if (cap < n) return SM_ERR_NO_SPACE;
    out[0] = (uint8_t)n;
    out[1] = c->opcode;
    out[2] = c->param1;
    out[3] = (uint8_t)(c->param2 & 0xFFu);
    out[4] = (uint8_t)(c->param2 >> 8);
    if (c->len) memcpy(out + 5, c->data, c->len);
    if (c->len2) memcpy(out + 5 + c->len, c->data2, c->len2);
    crc = sm_atecc_crc16(out, n - 2u);
    out[n - 2u] = (uint8_t)(crc & 0xFFu);
    out[n - 1u] = (uint8_t)(crc >> 8);
    return (int)n;
}

SECMODEM_API int sm_atecc_status_error(uint8_t status)
{
    switch (status) {
    case SM_ATECC_ST_OK: return SM_OK;
    case SM_ATECC_ST_MISCOMPARE: return SM_ERR_VERIFY;
    case SM_ATECC_ST_PARSE: return SM_ERR_CHIP_PARSE;
    case SM_ATECC_ST_ECC: return SM_ERR_CHIP_ECC;
    case SM_ATECC_ST_SELFTEST: return SM_ERR_CHIP_SELFTEST;
    case SM_ATECC_ST_HEALTH: return SM_ERR_CHIP_HEALTH;
    case SM_ATECC_ST_EXEC: return SM_ERR_CHIP_EXEC;
    case SM_ATECC_ST_WATCHDOG: return SM_ERR_WATCHDOG;
    case SM_ATECC_ST_CRC: return SM_ERR_CRC;
    default: return SM_ERR_CHIP_STATUS; /* 0x11 where a result was due, or unknown */
    }
}

/* Response group: count | data | CRC, count 4..75; a 4-byte group is a
   status (docs/atecc.md A-9; CRC errors take precedence). */
SECMODEM_API int sm_atecc_decode(const uint8_t *rsp, size_t len, uint8_t *status)
{
    uint16_t crc;
    size_t n;
    if (status) *status = SM_ATECC_ST_OK;
    if (!rsp || len < 4u) return SM_ERR_PARSE;
    n = rsp[0];
    if (n < 4u || n > (size_t)SM_ATECC_RSP_MAX || n > len) return SM_ERR_PARSE;
    crc = sm_atecc_crc16(rsp, n - 2u);
    if (rsp[n - 2u] != (uint8_t)(crc & 0xFFu) || rsp[n - 1u] != (uint8_t)(crc >> 8)) return SM_ERR_CRC;
    if (n != 4u) return SM_OK;
    if (status) *status = rsp[1];
    return sm_atecc_status_error(rsp[1]);
}

/* (parameters are not called "word": Arduino.h has a type of that name,
   which g++ -Wshadow flags in a sketch) */
SECMODEM_API uint16_t sm_atecc_addr(uint8_t zone, uint8_t slot, uint8_t block, uint8_t offset)
{
    uint16_t w = (uint16_t)(offset & 7u);
    if (zone == SM_ATECC_ZONE_DATA)
        return (uint16_t)(((unsigned)block << 8) | ((unsigned)(slot & 15u) << 3) | w);
    return (uint16_t)(((unsigned)(block & 0x1Fu) << 3) | w);
}

/* Fills a command; rsp is the expected response count. */
SM_PRIV int sm_atecc_cmd_set(sm_atecc_cmd *c, uint8_t op, uint8_t p1, uint16_t p2,
                             const uint8_t *data, uint8_t len, uint8_t rsp)
{
    if (!c || (len && !data)) return SM_ERR_PARAM;
    memset(c, 0, sizeof *c);
    c->opcode = op;
    c->param1 = p1;
    c->param2 = p2;
    c->data = len ? data : NULL;
    c->len = len;
    c->rsp = rsp;
    return SM_OK;
}

SECMODEM_API int sm_atecc_cmd_info(sm_atecc_cmd *c, uint8_t mode, uint16_t param2)
{
    if (mode > 4u) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_INFO, mode, param2, NULL, 0, 7);
}

/* Read: param1 = zone | 0x80 for 32 bytes (mask 0x83, docs/atecc.md A-12). */
SECMODEM_API int sm_atecc_cmd_read(sm_atecc_cmd *c, uint8_t zone, uint16_t addr, uint8_t len)
{
    if (zone > SM_ATECC_ZONE_DATA || (len != 4u && len != 32u)) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_READ, (uint8_t)(zone | (len == 32u ? 0x80u : 0u)), addr,
                            NULL, 0, (uint8_t)(len + 3u));
}

SECMODEM_API int sm_atecc_cmd_random(sm_atecc_cmd *c, uint8_t mode)
{
    if (mode > 1u) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_RANDOM, mode, 0, NULL, 0, 35);
}

/* Nonce pass-through: mode bits 1..0 = 3, bit 5 = 64-byte input, bits 7..6
   = target (docs/atecc.md A-14). */
SECMODEM_API int sm_atecc_cmd_nonce_load(sm_atecc_cmd *c, uint8_t target, const uint8_t *data,
                                         uint8_t len)
{
    if ((target != SM_ATECC_TARGET_TEMPKEY && target != SM_ATECC_TARGET_MSGDIGBUF &&
         target != SM_ATECC_TARGET_ALTKEYBUF) || (len != 32u && len != 64u) || !data)
        return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_NONCE, (uint8_t)(0x03u | target | (len == 64u ? 0x20u : 0u)),
                            0, data, len, 4);
}

SECMODEM_API int sm_atecc_cmd_nonce_random(sm_atecc_cmd *c, uint8_t mode, const uint8_t num_in[20])
{
    if (mode > SM_ATECC_NONCE_NO_SEED || !num_in) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_NONCE, mode, 0, num_in, 20, 35);
}

SECMODEM_API int sm_atecc_cmd_genkey(sm_atecc_cmd *c, uint8_t mode, uint8_t slot)
{
    if ((mode != SM_ATECC_GENKEY_PUBLIC && mode != SM_ATECC_GENKEY_PRIVATE) || slot > 15u)
        return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_GENKEY, mode, slot, NULL, 0, 67);
}

/* Sign: mode mask 0xE1 (docs/atecc.md A-15); only external signing is offered. */
SECMODEM_API int sm_atecc_cmd_sign(sm_atecc_cmd *c, uint8_t mode, uint8_t slot)
{
    if ((mode & ~0xE1u) || !(mode & SM_ATECC_SIGN_EXTERNAL) || slot > 15u) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_SIGN, mode, slot, NULL, 0, 67);
}

/* Verify external: mode 0x02 | source, param2 = key type 4 (P-256), data
   R || S || X || Y, count 135 (docs/atecc.md A-16). */
SECMODEM_API int sm_atecc_cmd_verify_extern(sm_atecc_cmd *c, uint8_t source, const uint8_t sig[64],
                                            const uint8_t pub[64])
{
    int rc;
    if ((source != 0u && source != SM_ATECC_SOURCE_MSGDIGBUF) || !pub) return SM_ERR_PARAM;
    rc = sm_atecc_cmd_set(c, SM_ATECC_OP_VERIFY, (uint8_t)(0x02u | source), 0x0004u, sig, 64, 4);
    if (rc) return rc;
    c->data2 = pub;
    c->len2 = 64;
    return SM_OK;
}

/* SHA: param2 = data length; END returns the digest (docs/atecc.md A-17). */
SECMODEM_API int sm_atecc_cmd_sha(sm_atecc_cmd *c, uint8_t mode, const uint8_t *data, uint8_t len)
{
    uint8_t step = (uint8_t)(mode & 0x07u);
    uint8_t target = (uint8_t)(mode & 0xC0u);
    if ((mode & 0x38u) || target == SM_ATECC_TARGET_ALTKEYBUF) return SM_ERR_PARAM;
    if (step == SM_ATECC_SHA_START && len == 0u && target == 0u)
        return sm_atecc_cmd_set(c, SM_ATECC_OP_SHA, mode, 0, NULL, 0, 4);
    if (step == SM_ATECC_SHA_UPDATE && len == 64u && target == 0u)
        return sm_atecc_cmd_set(c, SM_ATECC_OP_SHA, mode, len, data, len, 4);
    if (step == SM_ATECC_SHA_END && len < 64u)
        return sm_atecc_cmd_set(c, SM_ATECC_OP_SHA, mode, len, data, len, 35);
    return SM_ERR_PARAM;
}

SECMODEM_API int sm_atecc_cmd_ecdh(sm_atecc_cmd *c, uint8_t slot, const uint8_t pub[64])
{
    if (slot > 15u || !pub) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_ECDH, 0x00, slot, pub, 64, 35);
}

SECMODEM_API int sm_atecc_cmd_counter(sm_atecc_cmd *c, uint8_t mode, uint8_t counter)
{
    if (mode > SM_ATECC_COUNTER_INCREMENT || counter > 1u) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_COUNTER, mode, counter, NULL, 0, 7);
}

/* SelfTest: mode bits select the tests (SM_ATECC_SELFTEST_*). */
SECMODEM_API int sm_atecc_cmd_selftest(sm_atecc_cmd *c, uint8_t mode)
{
    if (mode & (uint8_t)~SM_ATECC_SELFTEST_ALL) return SM_ERR_PARAM;
    return sm_atecc_cmd_set(c, SM_ATECC_OP_SELFTEST, mode, 0, NULL, 0, 4);
}

/* ---- transport --------------------------------------------------------- */

/* First poll (about the typical time; our estimate, as the 608
   datasheet gives only maxima) and maximum execution time at clock divider
   M0, in ms (cryptoauthlib's table, docs/atecc.md A-18). */
typedef struct sm_atecc_timing {
    uint8_t opcode, first_ms;
    uint16_t max_ms;
} sm_atecc_timing;

SM_PRIV void sm_atecc_times(uint8_t opcode, uint32_t *first_ms, uint32_t *max_ms)
{
    static const sm_atecc_timing t[] = {
        { 0x02, 1, 5 },    /* Read */      { 0x08, 5, 55 },   /* MAC */
        { 0x12, 5, 45 },   /* Write */     { 0x15, 3, 25 },   /* GenDig */
        { 0x16, 1, 20 },   /* Nonce */     { 0x17, 5, 35 },   /* Lock */
        { 0x1B, 2, 23 },   /* Random */    { 0x1C, 5, 50 },   /* DeriveKey */
        { 0x20, 1, 10 },   /* UpdateExtra */ { 0x24, 2, 25 }, /* Counter */
        { 0x28, 5, 40 },   /* CheckMac */  { 0x30, 1, 5 },    /* Info */
        { 0x40, 30, 115 }, /* GenKey */    { 0x41, 30, 115 }, /* Sign */
        { 0x43, 20, 75 },  /* ECDH */      { 0x45, 25, 105 }, /* Verify */
        { 0x46, 5, 50 },   /* PrivWrite */ { 0x47, 1, 36 },   /* SHA */
        { 0x51, 2, 27 },   /* AES */       { 0x56, 20, 165 }, /* KDF */
        { 0x77, 60, 250 }, /* SelfTest */  { 0x80, 20, 80 }   /* SecureBoot */
    };
    size_t i;
    *first_ms = 1;
    *max_ms = 250; /* an unknown opcode: the longest M0 time */
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].opcode != opcode) continue;
        *first_ms = t[i].first_ms;
        *max_ms = t[i].max_ms;
        return;
    }
}

SM_PRIV int sm_atecc_reached(uint32_t now, uint32_t t) { return (int32_t)(now - t) >= 0; }
SM_PRIV uint32_t sm_atecc_now(sm_atecc *se)
{
    return sm_clock_read(&se->clock, se->plat.now_ms(se->plat.user));
}

/* One word-address byte (reset, sleep, idle) to the chip: SM_OK on ACK. */
SM_PRIV int sm_atecc_word(sm_atecc *se, uint8_t wa)
{
    return se->plat.i2c_write(se->plat.user, se->addr, &wa, 1) < 0 ? SM_ERR_IO : SM_OK;
}

SM_PRIV int sm_atecc_read(sm_atecc *se, uint8_t *buf, size_t n)
{
    return se->plat.i2c_read(se->plat.user, se->addr, buf, n) < 0 ? SM_ERR_IO : SM_OK;
}

SECMODEM_API int sm_atecc_init(sm_atecc *se, const sm_platform *plat, uint8_t addr7)
{
    if (!se || !plat || !plat->i2c_write || !plat->i2c_read || !plat->now_ms || addr7 > 0x7Fu)
        return SM_ERR_PARAM;
    memset(se, 0, sizeof *se);
    se->plat = *plat;
    se->addr = addr7 ? addr7 : (uint8_t)SM_ATECC_ADDR_DEFAULT;
    se->power = SM_ATECC_PWR_SLEEP; /* the power-up state (docs/atecc.md A-5) */
    se->end_mode = SM_ATECC_END_IDLE;
    (void)sm_clock_start(&se->clock, plat->now_ms(plat->user));
    return SM_OK;
}

SECMODEM_API void sm_atecc_set_end(sm_atecc *se, uint8_t end_mode)
{
    se->end_mode = end_mode <= SM_ATECC_END_AWAKE ? end_mode : (uint8_t)SM_ATECC_END_IDLE;
}

SM_PRIV void sm_atecc_fail(sm_atecc *se, int err)
{
    se->result = err;
    se->state = SM_ATECC_S_END;
}

SM_PRIV void sm_atecc_wake_begin(sm_atecc *se, int idle_first)
{
    se->wake_left = (uint8_t)(SM_ATECC_WAKE_TRIES - 1);
    se->idle_first = (uint8_t)idle_first;
    se->state = SM_ATECC_S_WAKE;
}

/* Encodes the current step into tx, after the word address 0x03. */
SM_PRIV int sm_atecc_load(sm_atecc *se)
{
    int n = sm_atecc_encode(&se->seq[se->step], se->tx + 1, sizeof se->tx - 1u);
    if (n < 0) return n;
    se->tx[0] = SM_ATECC_WA_COMMAND;
    se->tx_len = (uint8_t)(n + 1);
    se->tries_left = (uint8_t)SM_ATECC_RETRIES;
    return SM_OK;
}

/* Goes on with the current step (waking the chip if needed), or ends. */
SM_PRIV void sm_atecc_go(sm_atecc *se)
{
    if (se->step >= se->nseq) se->state = SM_ATECC_S_END;
    else if (se->power != SM_ATECC_PWR_AWAKE) sm_atecc_wake_begin(se, 0);
    else se->state = SM_ATECC_S_SEND;
}

/* Starts an operation of n commands already in seq[]. */
SM_PRIV int sm_atecc_begin(sm_atecc *se, uint8_t n, uint8_t kind, uint8_t *out, size_t cap)
{
    uint8_t i;
    for (i = 0; i < n; i++)
        if (sm_atecc_cmd_check(&se->seq[i]) != SM_OK) { se->result = SM_ERR_PARAM; return SM_ERR_PARAM; }
    se->nseq = n;
    se->step = 0;
    se->out_kind = out ? kind : (uint8_t)SM_ATECC_OUT_NONE;
    se->out = out;
    se->out_cap = cap;
    se->out_len = 0;
    se->op_end = se->end_mode;
    se->status = SM_ATECC_ST_OK;
    se->rx_len = 0;
    if (n) (void)sm_atecc_load(se); /* checked above */
    se->result = n ? SM_ATECC_PENDING : SM_OK;
    sm_atecc_go(se);
    return SM_OK;
}

/* S_WAKE: a write to address 0 holds SDA low long enough (at <= 100 kHz);
   nobody ACKs it, and that is normal. cryptoauthlib's wake
   sends the byte 0x01 so that a general-call listener does not see the
   reserved 0x00. An awake chip ignores a wake, so a retry idles it first
   (docs/atecc.md A-3). */
SM_PRIV int sm_atecc_wake_pulse(sm_atecc *se)
{
    uint8_t b = 0x01;
    if (se->idle_first) (void)sm_atecc_word(se, SM_ATECC_WA_IDLE);
    (void)se->plat.i2c_write(se->plat.user, 0x00, &b, 1);
    se->stats.wakes++;
    se->t_next = sm_atecc_now(se) + (uint32_t)SM_ATECC_WAKE_MS; /* tWHI >= 1.5 ms */
    se->state = SM_ATECC_S_WAKE_WAIT;
    return 1;
}

/* S_WAKE_WAIT: the wake response must be 04 11 33 43; a CRC-correct 0x07
   means the power-on self test failed (docs/atecc.md A-4). */
SM_PRIV int sm_atecc_wake_check(sm_atecc *se)
{
    static const uint8_t awake[4] = { 0x04, 0x11, 0x33, 0x43 };
    uint8_t r[4], st = 0;
    uint32_t now = sm_atecc_now(se);
    int ok;
    if (!sm_atecc_reached(now, se->t_next)) return 0;
    ok = sm_atecc_read(se, r, 4) == SM_OK;
    if (ok && memcmp(r, awake, 4) == 0) {
        se->power = SM_ATECC_PWR_AWAKE;
        se->t_wake = now;
        se->fresh = 1;
        sm_atecc_go(se);
        return 1;
    }
    if (ok && sm_atecc_decode(r, 4, &st) == SM_ERR_CHIP_SELFTEST) {
        se->status = st;
        se->power = SM_ATECC_PWR_AWAKE;
        sm_atecc_fail(se, SM_ERR_CHIP_SELFTEST);
        return 1;
    }
    if (se->wake_left) {
        se->wake_left--;
        se->idle_first = 1;
        se->state = SM_ATECC_S_WAKE;
        return 1;
    }
    se->power = SM_ATECC_PWR_SLEEP;
    sm_atecc_fail(se, SM_ERR_NO_WAKE);
    return 1;
}

/* Sends the step again, after a re-wake if asked; `err` is the result once
   the retries are used up (docs/atecc.md A-21: bounded resend). */
SM_PRIV int sm_atecc_retry(sm_atecc *se, int err, int rewake)
{
    if (!se->tries_left) { sm_atecc_fail(se, err); return 1; }
    se->tries_left--;
    se->stats.retries++;
    if (rewake) sm_atecc_wake_begin(se, 1);
    else se->state = SM_ATECC_S_SEND;
    return 1;
}

/* S_SEND: write the group unless the watchdog could fire before the
   command's maximum time; then idle and wake again, which restarts it
   and keeps TempKey (docs/atecc.md A-5, A-6). A freshly woken chip is always
   used, so a command longer than the budget still runs. */
SM_PRIV int sm_atecc_send(sm_atecc *se)
{
    uint32_t now = sm_atecc_now(se), first, max;
    sm_atecc_times(se->tx[2], &first, &max);
    max = max * (uint32_t)SM_ATECC_EXEC_SCALE + (uint32_t)SM_ATECC_EXEC_MARGIN_MS;
    if (!se->fresh && (uint32_t)(now - se->t_wake) + max > (uint32_t)SM_ATECC_WATCHDOG_MS) {
        se->stats.rewakes++;
        sm_atecc_wake_begin(se, 1);
        return 1;
    }
    if (se->plat.i2c_write(se->plat.user, se->addr, se->tx, se->tx_len) < 0) {
        se->power = SM_ATECC_PWR_SLEEP; /* not listening: asleep (watchdog?) */
        return sm_atecc_retry(se, SM_ERR_IO, 1);
    }
    se->fresh = 0;
    se->stats.commands++;
    se->t_next = now + first;
    se->t_limit = now + max;
    se->state = SM_ATECC_S_POLL;
    return 1;
}

/* A NACK while polling: still executing, until the maximum time. */
SM_PRIV int sm_atecc_busy_nack(sm_atecc *se, uint32_t now)
{
    se->stats.busy_nacks++;
    if (sm_atecc_reached(now, se->t_limit)) { sm_atecc_fail(se, SM_ERR_TIMEOUT); return 1; }
    se->t_next = now + (uint32_t)SM_ATECC_POLL_MS;
    return 0;
}

/* SelfTest answers with its result in the status position: bits of the
   requested tests are failures, other values are real statuses. */
SM_PRIV int sm_atecc_selftest_status(uint8_t mode, uint8_t st)
{
    uint8_t tests = mode ? mode : (uint8_t)SM_ATECC_SELFTEST_ALL;
    return (st & (uint8_t)~tests) ? sm_atecc_status_error(st) : SM_OK;
}

/* Copies the last command's data to the caller, in the form asked. */
SM_PRIV int sm_atecc_deliver(sm_atecc *se)
{
    const uint8_t *d = se->rx + 1;
    size_t n = (size_t)se->rx_len - 3u;
    switch (se->out_kind) {
    case SM_ATECC_OUT_COPY:
        se->out_len = n < se->out_cap ? n : se->out_cap;
        if (se->out_len) memcpy(se->out, d, se->out_len);
        return se->out_len < n ? SM_ERR_TRUNCATED : SM_OK;
    case SM_ATECC_OUT_SERIAL: /* config bytes 0..3 and 8..12 (docs/atecc.md A-13) */
        if (n < 13u) return SM_ERR_PARSE;
        memcpy(se->out, d, 4);
        memcpy(se->out + 4, d + 8, 5);
        se->out_len = 9;
        return SM_OK;
    case SM_ATECC_OUT_LOCKS: /* bytes 84..87: [2] LockValue, [3] LockConfig */
        if (n < 4u) return SM_ERR_PARSE;
        se->out[0] = (uint8_t)(d[3] != 0x55u);
        se->out[1] = (uint8_t)(d[2] != 0x55u);
        se->out_len = 2;
        return SM_OK;
    default:
        return SM_OK;
    }
}

/* The step succeeded: load the next one, or deliver and end. */
SM_PRIV int sm_atecc_step_done(sm_atecc *se)
{
    se->step++;
    if (se->step < se->nseq) {
        (void)sm_atecc_load(se); /* checked when the operation began */
        se->state = SM_ATECC_S_SEND;
        return 1;
    }
    se->result = sm_atecc_deliver(se);
    se->state = SM_ATECC_S_END;
    return 1;
}

/* A complete response: damaged (bad CRC, 0xFF) or lost (0x11: the chip
   never saw the command, docs/atecc.md A-21) ones are resent, 0xEE re-wakes
   first; other statuses end the operation. */
SM_PRIV int sm_atecc_check(sm_atecc *se)
{
    const sm_atecc_cmd *c = &se->seq[se->step];
    uint8_t st = SM_ATECC_ST_OK;
    int rc = sm_atecc_decode(se->rx, se->rx_len, &st);
    if (rc == SM_ERR_CRC) {
        se->stats.crc_errors++;
        se->status = st;
        return sm_atecc_retry(se, SM_ERR_CRC, 0);
    }
    if (rc == SM_ERR_PARSE) return sm_atecc_retry(se, SM_ERR_PARSE, 0);
    if (se->rx_len == 4u) {
        se->status = st;
        if (st == SM_ATECC_ST_WATCHDOG) return sm_atecc_retry(se, SM_ERR_WATCHDOG, 1);
        if (st == SM_ATECC_ST_WAKE) return sm_atecc_retry(se, SM_ERR_CHIP_STATUS, 0);
        if (c->opcode == SM_ATECC_OP_SELFTEST) rc = sm_atecc_selftest_status(c->param1, st);
        if (rc == SM_OK && c->rsp > 4u) rc = SM_ERR_PARSE; /* status where data were due */
        if (rc != SM_OK) { sm_atecc_fail(se, rc); return 1; }
    } else if (c->rsp && se->rx_len != c->rsp) {
        sm_atecc_fail(se, SM_ERR_PARSE);
        return 1;
    }
    return sm_atecc_step_done(se);
}

/* S_POLL: word address 0x00 (reset the output pointer), the count byte,
   then the rest (docs/atecc.md A-20, as cryptoauthlib reads a response).
   A busy chip NACKs its address (docs/atecc.md A-20). */
SM_PRIV int sm_atecc_poll_read(sm_atecc *se)
{
    uint32_t now = sm_atecc_now(se);
    uint8_t n;
    if (!sm_atecc_reached(now, se->t_next)) return 0;
    if (sm_atecc_word(se, SM_ATECC_WA_RESET) != SM_OK || sm_atecc_read(se, se->rx, 1) != SM_OK)
        return sm_atecc_busy_nack(se, now);
    n = se->rx[0];
    if (n < 4u || n > (uint8_t)SM_ATECC_RSP_MAX) { /* e.g. 0xFF filler (docs/atecc.md A-20) */
        se->rx_len = 0;
        return sm_atecc_retry(se, SM_ERR_PARSE, 0);
    }
    if (sm_atecc_read(se, se->rx + 1, (size_t)n - 1u) != SM_OK) return sm_atecc_busy_nack(se, now);
    se->rx_len = n;
    return sm_atecc_check(se);
}

/* S_END: idle (keeps TempKey) or sleep (clears it) unless asked to stay
   awake; cryptoauthlib idles after every command (docs/atecc.md A-5). */
SM_PRIV int sm_atecc_end(sm_atecc *se)
{
    if (se->power == SM_ATECC_PWR_AWAKE && se->op_end != SM_ATECC_END_AWAKE) {
        int sleep = se->op_end == SM_ATECC_END_SLEEP;
        int rc = sm_atecc_word(se, sleep ? SM_ATECC_WA_SLEEP : SM_ATECC_WA_IDLE);
        /* a NACK (still busy after a timeout): unknown; the next wake sorts it out */
        se->power = (rc == SM_OK && !sleep) ? (uint8_t)SM_ATECC_PWR_IDLE : (uint8_t)SM_ATECC_PWR_SLEEP;
    }
    se->state = SM_ATECC_S_IDLE;
    return 0;
}

/* One transition; 1 if another may follow at once, 0 to wait. */
SM_PRIV int sm_atecc_advance(sm_atecc *se)
{
    switch (se->state) {
    case SM_ATECC_S_WAKE: return sm_atecc_wake_pulse(se);
    case SM_ATECC_S_WAKE_WAIT: return sm_atecc_wake_check(se);
    case SM_ATECC_S_SEND: return sm_atecc_send(se);
    case SM_ATECC_S_POLL: return sm_atecc_poll_read(se);
    case SM_ATECC_S_END: return sm_atecc_end(se);
    default: return 0;
    }
}

SECMODEM_API int sm_atecc_poll(sm_atecc *se)
{
    int guard = 16; /* bounds the I2C traffic of one call */
    if (!se) return SM_ERR_PARAM;
    while (se->state != SM_ATECC_S_IDLE && guard-- > 0)
        if (!sm_atecc_advance(se)) break;
    return se->state == SM_ATECC_S_IDLE ? se->result : SM_ATECC_PENDING;
}

SECMODEM_API int sm_atecc_busy(const sm_atecc *se) { return se->state != SM_ATECC_S_IDLE; }
SECMODEM_API size_t sm_atecc_out_len(const sm_atecc *se) { return se->out_len; }
SECMODEM_API uint8_t sm_atecc_last_status(const sm_atecc *se) { return se->status; }
SECMODEM_API const sm_atecc_stats *sm_atecc_get_stats(const sm_atecc *se) { return &se->stats; }

SECMODEM_API const uint8_t *sm_atecc_response(const sm_atecc *se, size_t *len)
{
    *len = se->rx_len >= 4u ? (size_t)se->rx_len - 3u : 0u;
    return se->rx + 1;
}

SECMODEM_API int sm_atecc_start(sm_atecc *se, const sm_atecc_cmd *cmd, uint8_t *out, size_t cap)
{
    if (!se || !cmd || (!out && cap)) return SM_ERR_PARAM;
    if (sm_atecc_busy(se)) return SM_ERR_BUSY;
    se->seq[0] = *cmd;
    return sm_atecc_begin(se, 1, SM_ATECC_OUT_COPY, out, cap);
}

SECMODEM_API int sm_atecc_sleep_start(sm_atecc *se)
{
    if (!se) return SM_ERR_PARAM;
    if (sm_atecc_busy(se)) return SM_ERR_BUSY;
    (void)sm_atecc_begin(se, 0, SM_ATECC_OUT_NONE, NULL, 0); /* -> S_END */
    se->op_end = SM_ATECC_END_SLEEP;
    if (se->power == SM_ATECC_PWR_IDLE) sm_atecc_wake_begin(se, 0); /* idle ignores all but a wake */
    return SM_OK;
}

SECMODEM_API int sm_atecc_wait_blocking(sm_atecc *se)
{
    int rc;
    /* every wait has a deadline, so this ends whenever the clock runs */
    do { rc = sm_atecc_poll(se); } while (rc == SM_ATECC_PENDING);
    return rc;
}

SECMODEM_API int sm_atecc_run_blocking(sm_atecc *se, const sm_atecc_cmd *cmd, uint8_t *out, size_t cap,
                                       size_t *out_len)
{
    int rc = sm_atecc_start(se, cmd, out, cap);
    if (rc == SM_OK) rc = sm_atecc_wait_blocking(se);
    if (out_len) *out_len = se ? se->out_len : 0u;
    return rc;
}

/* ---- helpers ---- */

SM_PRIV int sm_atecc_can_start(const sm_atecc *se)
{
    if (!se) return SM_ERR_PARAM;
    return sm_atecc_busy(se) ? SM_ERR_BUSY : SM_OK;
}

SECMODEM_API int sm_atecc_serial_start(sm_atecc *se, uint8_t sn[9])
{
    int rc = sm_atecc_can_start(se);
    if (rc) return rc;
    if (!sn) return SM_ERR_PARAM;
    (void)sm_atecc_cmd_read(&se->seq[0], SM_ATECC_ZONE_CONFIG, sm_atecc_addr(0, 0, 0, 0), 32);
    return sm_atecc_begin(se, 1, SM_ATECC_OUT_SERIAL, sn, 9);
}

SECMODEM_API int sm_atecc_lock_status_start(sm_atecc *se, uint8_t locks[2])
{
    int rc = sm_atecc_can_start(se);
    if (rc) return rc;
    if (!locks) return SM_ERR_PARAM;
    /* block 2, word 5 = bytes 84..87 (docs/atecc.md A-13) */
    (void)sm_atecc_cmd_read(&se->seq[0], SM_ATECC_ZONE_CONFIG, sm_atecc_addr(0, 0, 2, 5), 4);
    return sm_atecc_begin(se, 1, SM_ATECC_OUT_LOCKS, locks, 2);
}

SECMODEM_API int sm_atecc_pubkey_start(sm_atecc *se, uint8_t slot, uint8_t pub[64])
{
    int rc = sm_atecc_can_start(se);
    if (rc) return rc;
    if (!pub) return SM_ERR_PARAM;
    rc = sm_atecc_cmd_genkey(&se->seq[0], SM_ATECC_GENKEY_PUBLIC, slot);
    return rc ? rc : sm_atecc_begin(se, 1, SM_ATECC_OUT_COPY, pub, 64);
}

/* docs/atecc.md A-15: the chip signs the 32 bytes as given (no second hash). */
SECMODEM_API int sm_atecc_sign_start(sm_atecc *se, uint8_t slot, const uint8_t digest[32],
                                     uint8_t sig[64])
{
    int rc = sm_atecc_can_start(se);
    if (rc) return rc;
    if (!digest || !sig || slot > 15u) return SM_ERR_PARAM;
    (void)sm_atecc_cmd_random(&se->seq[0], SM_ATECC_RANDOM_SEED);
    (void)sm_atecc_cmd_nonce_load(&se->seq[1], SM_ATECC_TARGET_TEMPKEY, digest, 32);
    (void)sm_atecc_cmd_sign(&se->seq[2], SM_ATECC_SIGN_EXTERNAL, slot);
    return sm_atecc_begin(se, 3, SM_ATECC_OUT_COPY, sig, 64);
}

SECMODEM_API int sm_atecc_verify_start(sm_atecc *se, const uint8_t digest[32], const uint8_t sig[64],
                                       const uint8_t pub[64])
{
    int rc = sm_atecc_can_start(se);
    if (rc) return rc;
    if (!digest || !sig || !pub) return SM_ERR_PARAM;
    (void)sm_atecc_cmd_nonce_load(&se->seq[0], SM_ATECC_TARGET_TEMPKEY, digest, 32);
    (void)sm_atecc_cmd_verify_extern(&se->seq[1], 0, sig, pub);
    return sm_atecc_begin(se, 2, SM_ATECC_OUT_NONE, NULL, 0);
}
#endif /* SM_NO_ATECC */
#ifndef SM_NO_MQTT
/* ==========================================================================
   9. MQTT 3.1.1 FRAMING (implementation)
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
    if (n) memmove(p, s, n);
    return p + n;
}

SM_PRIV uint8_t *sm_mqtt_put_str(uint8_t *p, const char *s)
{
    size_t n;
    /* checked before (<= 65535 bytes); a bounded loop, which compilers do
       not turn back into a call of strlen: MQTT alone links no strlen */
    for (n = 0; n < 0xFFFFu && s[n]; n++) {}
    return sm_mqtt_put_bytes(p, s, n);
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
    memmove(p, head, sizeof head);
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
    if (with_payload && p->payload_len) memmove(q, p->payload, (size_t)p->payload_len);
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
/* A PUBLISH event from the packet's first byte (its flags, 3.3.1) and id;
   every other field zero. */
SM_PRIV void sm_mqtt_publish_event(sm_mqtt_event *ev, unsigned first, uint16_t packet_id)
{
    memset(ev, 0, sizeof *ev);
    ev->type = SM_MQTT_PUBLISH;
    ev->dup = (uint8_t)((first >> 3) & 1u);
    ev->qos = (uint8_t)((first >> 1) & 3u);
    ev->retain = (uint8_t)(first & 1u);
    ev->packet_id = packet_id;
}

SM_PRIV int sm_mqtt_rx_piece(sm_mqtt_decoder *d, sm_mqtt_event *ev)
{
    size_t n = d->have - d->pay;
    sm_mqtt_publish_event(ev, d->first, d->packet_id);
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
    if (used) *used = 0;
    if (!d || !used || !ev || (!data && len)) return SM_ERR_PARAM;
    /* invariant: in a copying state, have < want */
    while (!d->err && rc == 0 && i < len) {
        if (d->state >= SM_MQTT_RX_BODY) {
            n = d->want - d->have;
            if (n > len - i) n = len - i;
            memmove(d->buf + d->have, data + i, n);
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
#if !defined(SM_NO_MQTT) && !defined(SM_NO_MQTT_SESSION)
/* ==========================================================================
   10. MQTT 3.1.1 CLIENT SESSION (implementation)
   One packet goes out at a time: c->tx, then (a PUBLISH) its payload from
   the caller's memory; when it is written, sm_mqtt_load() encodes the next
   one from the state. States are packet types: an operation holds the
   packet it must send (PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE) or the one
   it awaits (PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK), so an
   acknowledgement matches when its type equals the state; a received id
   holds the acknowledgement to send, or PUBREL while it awaits one.
   Whatever must end the session is latched in c->err and done at the end
   of poll/feed, outside every callback (sm_mqtt_settle).
   ========================================================================== */

/* sm_mqtt_out.flags: QoS, retain, "sent before" (DUP on a re-send), and
   the operation (a packet type) in bits 7..4. */
enum { SM_MQTT_F_QOS = 3, SM_MQTT_F_RETAIN = 4, SM_MQTT_F_SENT = 8 };
enum { SM_MQTT_SENDING = 1 };  /* out state: its bytes are going out */
enum { SM_MQTT_CLOSE_OK = 1 }; /* c->err: end the session with SM_OK */
/* Out states that are a packet to send: PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE. */
#define SM_MQTT_TO_SEND(state) ((0x548u >> (state)) & 1u)

/* The session's time, counted by its clock (see sm_clock) from the
   transport's now_ms. */
SM_PRIV uint32_t sm_mqtt_now(sm_mqtt_client *c)
{
    return sm_clock_read(&c->clock, c->tr.now_ms(c->tr.user));
}

/* ---- tables and results ---------------------------------------------------- */

SM_PRIV void sm_mqtt_fail(sm_mqtt_client *c, int status)
{
    if (!c->err) c->err = status;
}

/* Calls on_result; ev (CONNACK, SUBACK, or NULL) adds what it carries. */
SM_PRIV void sm_mqtt_report(sm_mqtt_client *c, unsigned op, uint16_t id, int status,
                            const sm_mqtt_event *ev)
{
    sm_mqtt_result r;
    if (!c->on_result) return;
    memset(&r, 0, sizeof r);
    r.op = (uint8_t)op;
    r.packet_id = id;
    r.status = status;
    r.return_code = c->connack;
    if (ev) {
        r.session_present = ev->session_present;
        r.codes = ev->data;
        r.count = ev->data_len;
    }
    c->in_cb = 1;
    c->on_result(c->ctx, c, &r);
    c->in_cb = 0;
}

SM_PRIV int sm_mqtt_out_find(const sm_mqtt_client *c, uint16_t id)
{
    int i;
    for (i = 0; i < c->n_out; i++)
        if (c->out[i].id == id) return i;
    return -1;
}

/* Removes operation i (the others keep their order) and reports it. */
SM_PRIV void sm_mqtt_out_done(sm_mqtt_client *c, int i, int status, const sm_mqtt_event *ev)
{
    uint16_t id = c->out[i].id;
    unsigned op = (unsigned)c->out[i].flags >> 4;
    c->n_out--;
    memmove(&c->out[i], &c->out[i + 1], (size_t)(c->n_out - i) * sizeof c->out[0]);
    sm_mqtt_report(c, op, id, status, ev);
}

/* Ends the operations that will not be sent again: all, or those without
   QoS (QoS 0 PUBLISH, SUBSCRIBE, UNSUBSCRIBE). */
SM_PRIV void sm_mqtt_drop(sm_mqtt_client *c, int all, int status)
{
    int i = 0;
    while (i < c->n_out) {
        if (all || !(c->out[i].flags & SM_MQTT_F_QOS)) sm_mqtt_out_done(c, i, status, NULL);
        else i++;
    }
}

/* The received QoS 2 message `id` being delivered (state SM_MQTT_PUBLISH),
   delivered and not yet released, or -1. */
SM_PRIV int sm_mqtt_in_find(const sm_mqtt_client *c, uint16_t id)
{
    int i;
    for (i = 0; i < c->n_in; i++)
        if (c->in[i].id == id && (c->in[i].state == SM_MQTT_PUBLISH ||
                                  c->in[i].state == SM_MQTT_PUBREC ||
                                  c->in[i].state == SM_MQTT_PUBREL)) return i;
    return -1;
}

/* The QoS 2 ids awaiting PUBREL once their PUBREC is written: with
   SM_MQTT_RX_ID_BITMAP a bit each, so that no slot of in[] stays taken
   while the broker's PUBREL is on its way (the slots then hold only
   messages being received and acknowledgements not yet written, which
   writing frees); without it, entries of in[] in state SM_MQTT_PUBREL. */
SM_PRIV int sm_mqtt_rel_has(const sm_mqtt_client *c, uint16_t id)
{
#if SM_MQTT_RX_ID_BITMAP
    return (c->rel_wait[id >> 3] >> (id & 7u)) & 1u;
#else
    (void)c; (void)id;
    return 0;
#endif
}

/* Records (on 1) or forgets (on 0) id in the bitmap; returns 1 if the
   bitmap keeps such ids (the caller then drops its in[] entry). */
SM_PRIV int sm_mqtt_rel_mark(sm_mqtt_client *c, uint16_t id, int on)
{
#if SM_MQTT_RX_ID_BITMAP
    uint8_t bit = (uint8_t)(1u << (id & 7u));
    if (on) c->rel_wait[id >> 3] = (uint8_t)(c->rel_wait[id >> 3] | bit);
    else c->rel_wait[id >> 3] = (uint8_t)(c->rel_wait[id >> 3] & ~bit);
    return 1;
#else
    (void)c; (void)id; (void)on;
    return 0;
#endif
}

SM_PRIV void sm_mqtt_rel_clear(sm_mqtt_client *c)
{
#if SM_MQTT_RX_ID_BITMAP
    memset(c->rel_wait, 0, sizeof c->rel_wait);
#else
    (void)c;
#endif
}

/* The received id's next step: the QoS 2 entry of that id if there is
   one, else a new entry (SM_ERR_NO_SPACE when none is free). */
SM_PRIV void sm_mqtt_in_set(sm_mqtt_client *c, uint16_t id, unsigned state)
{
    int i = sm_mqtt_in_find(c, id);
    if (i < 0) {
        if (c->n_in == SM_MQTT_RX_IDS) { sm_mqtt_fail(c, SM_ERR_NO_SPACE); return; }
        i = c->n_in++;
        c->in[i].id = id;
    }
    c->in[i].state = (uint8_t)state;
}

SECMODEM_API int sm_mqtt_pending(const sm_mqtt_client *c, uint16_t id)
{
    return c && id && sm_mqtt_out_find(c, id) >= 0;
}

/* Appends an operation (flags: its F_* bits and type << 4) with a packet
   id not in use (1..32767, to fit an int) [MQTT-2.3.1-2]; NULL and *rc
   when that is not possible now. */
SM_PRIV sm_mqtt_out *sm_mqtt_add(sm_mqtt_client *c, unsigned flags, const uint8_t *data,
                                 uint32_t len, int *rc)
{
    sm_mqtt_out *o = &c->out[c->n_out];
    *rc = c->state != SM_MQTT_CONNECTED ? SM_ERR_STATE
          : c->n_out == SM_MQTT_INFLIGHT ? SM_ERR_QUEUE_FULL : SM_OK;
    if (*rc) return NULL;
    do c->next_id = (uint16_t)(c->next_id % 32767u + 1u);
    while (sm_mqtt_out_find(c, c->next_id) >= 0);
    o->id = c->next_id;
    o->data = data;
    o->len = len;
    o->flags = (uint8_t)flags;
    o->state = (uint8_t)(flags >> 4);
    c->n_out++;
    return o;
}

/* ---- ending the session ---------------------------------------------------- */

/* What the connection carried is forgotten; the session state that a
   persistent session re-sends is kept (see the declarations). */
SM_PRIV void sm_mqtt_close(sm_mqtt_client *c, int status)
{
    unsigned op = c->state == SM_MQTT_CONNECTING ? SM_MQTT_CONNECT : SM_MQTT_DISCONNECT;
    int i = c->tx_id ? sm_mqtt_out_find(c, c->tx_id) : -1, j;
    /* a packet cut off: to send again (a PUBLISH, with DUP; a PUBREL) */
    if (i >= 0 && c->out[i].state == SM_MQTT_SENDING) c->out[i].state = (uint8_t)(c->tx[0] >> 4);
    c->state = SM_MQTT_IDLE;
    c->err = 0;
    c->wleft = c->pay_left = 0;
    c->tx_id = 0;
    c->ping = c->disc = 0;
    /* received: only delivered QoS 2 ids stay, awaiting PUBREL; the broker
       re-sends the rest (PUBLISH with DUP, PUBREL) */
    for (i = j = 0; i < c->n_in; i++) {
        if (c->in[i].state != SM_MQTT_PUBREC && c->in[i].state != SM_MQTT_PUBREL) continue;
        if (sm_mqtt_rel_mark(c, c->in[i].id, 1)) continue; /* kept in the bitmap */
        c->in[j].id = c->in[i].id;
        c->in[j++].state = SM_MQTT_PUBREL;
    }
    c->n_in = (uint8_t)j;
    sm_mqtt_drop(c, c->clean && op == SM_MQTT_DISCONNECT, status ? status : SM_ERR_CANCELLED);
    /* sent: unacknowledged PUBLISH and PUBREL go out again [MQTT-4.4.0-1] */
    for (i = 0; i < c->n_out; i++)
        c->out[i].state = (uint8_t)(c->out[i].state >= SM_MQTT_PUBREL ? SM_MQTT_PUBREL
                                                                      : SM_MQTT_PUBLISH);
    sm_mqtt_report(c, op, 0, status, NULL);
}

/* Ends the session if something asked for it; returns how. */
SM_PRIV int sm_mqtt_settle(sm_mqtt_client *c)
{
    int st = c->err;
    if (!st) return SM_OK;
    if (st == SM_MQTT_CLOSE_OK) st = SM_OK;
    sm_mqtt_close(c, st);
    return st;
}

SECMODEM_API void sm_mqtt_abort(sm_mqtt_client *c, int status)
{
    if (!c || c->state == SM_MQTT_IDLE) return;
    sm_mqtt_fail(c, status < 0 ? status : SM_ERR_CANCELLED);
    if (!c->in_cb) (void)sm_mqtt_settle(c);
}

/* ---- transmit -------------------------------------------------------------- */

SM_PRIV int sm_mqtt_load_publish(sm_mqtt_client *c, sm_mqtt_out *o, size_t *len)
{
    sm_mqtt_publish p;
    memset(&p, 0, sizeof p);
    p.topic = o->u.topic;
    p.payload_len = o->len;
    p.packet_id = o->id;
    p.qos = (uint8_t)(o->flags & SM_MQTT_F_QOS);
    p.retain = (uint8_t)(o->flags & SM_MQTT_F_RETAIN);
    p.dup = (uint8_t)(o->flags & SM_MQTT_F_SENT); /* a re-send [MQTT-3.3.1-1] */
    o->flags |= SM_MQTT_F_SENT;
    o->state = SM_MQTT_SENDING;
    c->tx_id = o->id;
    c->pay = o->data;
    c->pay_left = o->len;
    return sm_mqtt_encode_publish_header(c->tx, sizeof c->tx, &p, len);
}

/* Encodes the next packet into c->tx; 0 when nothing waits. Order: our
   acknowledgements (in the order of the PUBLISHes, 4.6), the operations in
   order, PINGREQ, DISCONNECT. */
SM_PRIV int sm_mqtt_load(sm_mqtt_client *c)
{
    sm_mqtt_in *e = c->in, *e_end = c->in + c->n_in;
    sm_mqtt_out *o = c->out, *o_end = c->out + c->n_out;
    unsigned ack = 0, first = 0;
    uint16_t id = 0;
    size_t len = 2;
    int rc = SM_OK;
    if (c->state == SM_MQTT_CONNECTING) return 0; /* nothing before CONNACK */
    /* skip ids awaiting PUBREL and the message being received (the last) */
    while (e < e_end && (e->state == SM_MQTT_PUBREL || e->state == SM_MQTT_PUBLISH)) e++;
    while (o < o_end && !SM_MQTT_TO_SEND(o->state)) o++;
    if (e < e_end) {
        ack = e->state;
        id = e->id;
        if (ack == SM_MQTT_PUBREC && !sm_mqtt_rel_mark(c, id, 1)) {
            e->state = SM_MQTT_PUBREL;
        } else {
            c->n_in--;
            memmove(e, e + 1, (size_t)(e_end - e - 1) * sizeof *e);
        }
    } else if (o < o_end && o->state == SM_MQTT_PUBREL) {
        ack = SM_MQTT_PUBREL;
        id = o->id;
        o->state = SM_MQTT_SENDING; /* PUBCOMP awaited once written (sm_mqtt_sent) */
        c->tx_id = o->id;
    } else if (o < o_end && o->state == SM_MQTT_PUBLISH) {
        rc = sm_mqtt_load_publish(c, o, &len);
    } else if (o < o_end) { /* SUBSCRIBE, UNSUBSCRIBE; SUBACK, UNSUBACK awaited once written */
        rc = sm_mqtt_encode_filters(c->tx, sizeof c->tx, ((unsigned)o->state << 4) | 2u, o->id,
                                    o->u.filters, o->data, (size_t)o->len, &len);
        o->state = SM_MQTT_SENDING;
        c->tx_id = o->id;
    } else if (c->ping == 1 && !c->disc) { /* disconnecting: only its deadline is kept */
        first = 0xC0u; /* PINGREQ (3.12) */
        c->ping = 2;
    } else if (c->disc == 1) {
        first = 0xE0u; /* DISCONNECT (3.14) */
        c->disc = 2;
    } else {
        return 0;
    }
    if (ack) rc = sm_mqtt_encode_ack(c->tx, sizeof c->tx, ack, id, &len);
    if (first) {
        c->tx[0] = (uint8_t)first;
        c->tx[1] = 0;
    }
    if (rc) { /* the caller changed what it had to keep */
        sm_mqtt_fail(c, rc);
        return 0;
    }
    c->wp = c->tx;
    c->wleft = (uint32_t)len;
    c->last_tx = sm_mqtt_now(c);
    return 1;
}

/* The packet in c->tx (and its payload) is written: only now may its
   answer come (one before would answer a packet the broker has not had:
   sm_mqtt_on_packet refuses it, the state being SENDING). */
SM_PRIV void sm_mqtt_sent(sm_mqtt_client *c)
{
    int i = c->tx_id ? sm_mqtt_out_find(c, c->tx_id) : -1;
    unsigned qos, type = (unsigned)c->tx[0] >> 4;
    c->tx_id = 0;
    if (c->disc == 2) sm_mqtt_fail(c, c->full ? (int)SM_ERR_QUEUE_FULL : (int)SM_MQTT_CLOSE_OK);
    if (i < 0) return;
    if (type != SM_MQTT_PUBLISH) { /* PUBREL, SUBSCRIBE, UNSUBSCRIBE: PUBCOMP, SUBACK, UNSUBACK */
        c->out[i].state = (uint8_t)(type + 1u);
        return;
    }
    qos = c->out[i].flags & SM_MQTT_F_QOS;
    if (qos) c->out[i].state = (uint8_t)(SM_MQTT_PUBLISH + qos); /* awaiting PUBACK, PUBREC */
    else sm_mqtt_out_done(c, i, SM_OK, NULL);
}

/* Writes packet after packet until the transport is full. */
SM_PRIV void sm_mqtt_tx_fill(sm_mqtt_client *c)
{
    size_t n;
    int k;
    while (c->state != SM_MQTT_IDLE && !c->err) {
        if (!c->wleft) {
            if (c->pay_left) { /* the header is out: now the payload */
                c->wp = c->pay;
                c->wleft = c->pay_left;
                c->pay_left = 0;
                continue;
            }
            sm_mqtt_sent(c);
            if (c->err || !sm_mqtt_load(c)) return;
        }
        n = c->wleft < 0x7FFFu ? (size_t)c->wleft : 0x7FFFu; /* what an int reports */
        k = c->tr.send(c->tr.user, c->wp, n);
        if (k <= 0 || (size_t)k > n) {
            if (k) sm_mqtt_fail(c, SM_ERR_IO);
            return;
        }
        c->wp += k;
        c->wleft -= (uint32_t)k;
    }
}

/* ... then lets the transport send what it took, in one piece if it can. */
SM_PRIV void sm_mqtt_tx(sm_mqtt_client *c)
{
    sm_mqtt_tx_fill(c);
    if (c->tr.flush) c->tr.flush(c->tr.user);
}

/* ---- receive --------------------------------------------------------------- */

SM_PRIV void sm_mqtt_on_connack(sm_mqtt_client *c, const sm_mqtt_event *ev)
{
    c->connack = ev->return_code;
    if (ev->return_code) { sm_mqtt_fail(c, SM_ERR_REFUSED); return; }
    if (ev->session_present && c->clean) { sm_mqtt_fail(c, SM_ERR_MALFORMED); return; } /* [MQTT-3.2.2-1] */
    if (!ev->session_present) { /* no PUBREL will come for those */
        c->n_in = 0;
        sm_mqtt_rel_clear(c);
    }
    if (c->clean) sm_mqtt_drop(c, 1, SM_ERR_CANCELLED); /* [MQTT-3.1.2-6] */
    c->state = SM_MQTT_CONNECTED;
    sm_mqtt_report(c, SM_MQTT_CONNECT, 0, SM_OK, ev);
}

/* A QoS 1/2 PUBLISH without a free SM_MQTT_RX_IDS slot: all hold QoS 2
   ids awaiting PUBREL (sm_mqtt_room reads nothing while an
   acknowledgement waits). It is neither delivered nor acknowledged, so
   that the broker still owns it; a broker re-sends an unacknowledged
   PUBLISH only after a reconnect (4.4), so the session says DISCONNECT
   (no Will) and ends with SM_ERR_QUEUE_FULL: reconnecting with clean
   session 0 brings the PUBRELs that free the slots, then the message. */
SM_PRIV void sm_mqtt_no_slot(sm_mqtt_client *c)
{
    c->full = 1;
    if (c->state != SM_MQTT_CONNECTED) return; /* DISCONNECTING already */
    c->state = SM_MQTT_DISCONNECTING;
    c->disc = 1; /* c->ping stays: its deadline bounds the wait (sm_mqtt_timers) */
}

/* Whether a QoS 1/2 message starting now may be delivered: its id is
   recorded first (exactly once: never delivered without a record), as
   being received (state PUBLISH) until its last piece. c->skip: 0
   deliver, 1 a QoS 2 duplicate [MQTT-4.3.3-2] (acknowledged again, not
   delivered), 2 no slot (neither). */
SM_PRIV void sm_mqtt_rx_begin(sm_mqtt_client *c, const sm_mqtt_event *ev)
{
    int i = ev->qos == 2 ? sm_mqtt_in_find(c, ev->packet_id) : -1;
    c->skip = 0;
    if (!ev->qos) return;
    if (i >= 0 || (ev->qos == 2 && sm_mqtt_rel_has(c, ev->packet_id))) { c->skip = 1; return; }
    if (c->n_in == SM_MQTT_RX_IDS) sm_mqtt_tx_fill(c); /* a PUBACK, PUBCOMP loaded frees one */
    if (c->n_in == SM_MQTT_RX_IDS) { c->skip = 2; sm_mqtt_no_slot(c); return; }
    i = c->n_in++;
    c->in[i].id = ev->packet_id;
    c->in[i].state = SM_MQTT_PUBLISH;
}

/* A piece of a received message: delivered unless skipped (above);
   acknowledged after its last piece. The entry that acknowledges it is
   the one sm_mqtt_rx_begin() made (state PUBLISH; at most one), not any
   entry of that id: a broker that reuses the id of a QoS 2 message still
   awaiting PUBREL for a QoS 1 message must not erase that record (the
   QoS 2 message would be delivered again), only a duplicate answers
   through the QoS 2 entry of its id. */
SM_PRIV void sm_mqtt_on_publish(sm_mqtt_client *c, const sm_mqtt_event *ev)
{
    int i;
    if (ev->offset == 0) sm_mqtt_rx_begin(c, ev);
    if (!c->skip && c->on_message) {
        c->in_cb = 1;
        c->on_message(c->ctx, c, ev);
        c->in_cb = 0;
    }
    if (!ev->qos || c->skip == 2 || ev->offset + ev->data_len != ev->total) return;
    if (c->skip) {
        sm_mqtt_in_set(c, ev->packet_id, SM_MQTT_PUBREC);
        return;
    }
    for (i = 0; i < c->n_in && c->in[i].state != SM_MQTT_PUBLISH; i++) {}
    if (i < c->n_in) c->in[i].state = (uint8_t)(ev->qos == 1 ? SM_MQTT_PUBACK : SM_MQTT_PUBREC);
}

SM_PRIV void sm_mqtt_on_packet(sm_mqtt_client *c, const sm_mqtt_event *ev)
{
    unsigned t = ev->type;
    int i;
    if ((t == SM_MQTT_CONNACK) != (c->state == SM_MQTT_CONNECTING)) {
        sm_mqtt_fail(c, SM_ERR_MALFORMED); /* CONNACK first, and only then [MQTT-3.2.0-1] */
    } else if (t == SM_MQTT_CONNACK) {
        sm_mqtt_on_connack(c, ev);
    } else if (t == SM_MQTT_PUBLISH) {
        sm_mqtt_on_publish(c, ev);
    } else if (t == SM_MQTT_PUBREL) { /* answered even for an unknown id (4.3.3) */
        (void)sm_mqtt_rel_mark(c, ev->packet_id, 0);
        sm_mqtt_in_set(c, ev->packet_id, SM_MQTT_PUBCOMP);
    } else if (t == SM_MQTT_PINGRESP) {
        c->ping = 0;
    } else { /* PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK: what the operation awaits */
        i = sm_mqtt_out_find(c, ev->packet_id);
        if (i < 0 || c->out[i].state != t ||
            (t == SM_MQTT_SUBACK && ev->data_len != c->out[i].len)) /* [MQTT-3.9.3-1] */
            sm_mqtt_fail(c, SM_ERR_MALFORMED);
        else if (t == SM_MQTT_PUBREC)
            c->out[i].state = SM_MQTT_PUBREL;
        else
            sm_mqtt_out_done(c, i, SM_OK, ev);
    }
}

/* Received bytes that may be decoded now without running out of
   SM_MQTT_RX_IDS slots: each packet that takes one is at least 4 bytes (a
   PUBREL), but the first may end with the first byte. With no slot free
   and an acknowledgement still to write (it frees one, or a PUBREC lets
   the broker send the PUBREL that will): nothing, the broker's bytes wait
   in the transport. With all slots awaiting PUBREL (or the message being
   received): everything, as the PUBRELs come only from there; a new
   QoS 1/2 PUBLISH then finds no slot (sm_mqtt_no_slot). */
SM_PRIV size_t sm_mqtt_room(const sm_mqtt_client *c)
{
    unsigned spare = SM_MQTT_RX_IDS - (unsigned)c->n_in;
    size_t n = 4u * spare - 3u;
    uint32_t rest = 0; /* the rest of the packet being received: at most one slot */
    const sm_mqtt_decoder *d = &c->dec;
    int i;
    if (c->big_end) rest = c->big_end - c->big_pos;
    else if (d->state == SM_MQTT_RX_PAYLOAD && !d->err)
        rest = d->remaining - d->offset - (uint32_t)(d->have - d->pay);
    if (rest > 0xFFFFu) rest = 0xFFFFu;
    if (spare) return (size_t)rest > n ? (size_t)rest : n;
    for (i = 0; i < c->n_in; i++)
        if (c->in[i].state != SM_MQTT_PUBREL && c->in[i].state != SM_MQTT_PUBLISH) return 0;
    return (size_t)-1;
}

/* A PUBLISH whose topic does not fit dec.buf (longer than
   SM_MQTT_RX_SIZE - 4): the decoder stopped after the topic length; the
   session consumes the rest itself and reports the message once as
   refused (topic NULL, topic_len its length, no payload; see the
   declarations). Returns 1 when it takes over. */
SM_PRIV int sm_mqtt_big_start(sm_mqtt_client *c)
{
    const sm_mqtt_decoder *d = &c->dec;
    if ((d->first >> 4) != SM_MQTT_PUBLISH || d->state != SM_MQTT_RX_TOPIC_LEN) return 0;
    c->big_first = d->first;
    c->big_tlen = (uint16_t)(((unsigned)d->buf[0] << 8) | d->buf[1]);
    c->big_id = 0;
    c->big_pos = 0;
    c->big_end = d->remaining - 2u; /* >= topic (+ id): checked by the decoder */
    return 1;
}

/* Consumes up to n bytes of that packet; returns how many. At its end
   the event goes to ev and *done is set. */
SM_PRIV size_t sm_mqtt_big_take(sm_mqtt_client *c, const uint8_t *p, size_t n,
                                sm_mqtt_event *ev, int *done)
{
    uint32_t hdr = (uint32_t)c->big_tlen + ((c->big_first & 6u) ? 2u : 0u);
    size_t i = 0;
    uint32_t left;
    for (; i < n && c->big_pos < hdr; i++, c->big_pos++) {
        if (c->big_pos >= c->big_tlen) /* the packet id, big-endian */
            c->big_id = (uint16_t)((unsigned)(c->big_id << 8) | p[i]);
        else if (p[i] == 0 || p[i] == '+' || p[i] == '#') /* [MQTT-1.5.3-2], [MQTT-3.3.2-2] */
            sm_mqtt_fail(c, SM_ERR_MALFORMED);
    }
    left = c->big_end - c->big_pos; /* the payload, discarded */
    if (n - i < left) left = (uint32_t)(n - i);
    i += (size_t)left; /* at most n - i */
    c->big_pos += left;
    if (c->big_pos < c->big_end || c->err) return i;
    if ((c->big_first & 6u) && !c->big_id) sm_mqtt_fail(c, SM_ERR_MALFORMED); /* [MQTT-2.3.1-1] */
    sm_mqtt_publish_event(ev, c->big_first, c->big_id);
    ev->topic_len = c->big_tlen;
    c->big_end = 0;
    sm_mqtt_decoder_reset(&c->dec);
    *done = !c->err;
    return i;
}

/* Decodes and acts on data[0..len) up to the end of the first packet or
   piece reported (so that the caller checks the room again); returns the
   bytes taken. */
SM_PRIV size_t sm_mqtt_rx(sm_mqtt_client *c, const uint8_t *data, size_t len)
{
    sm_mqtt_event ev;
    size_t used, done = 0;
    int rc, big = 0;
    memset(&ev, 0, sizeof ev); /* filled by the decoder whenever it reports one */
    while (done < len && !c->err) {
        if (c->big_end) {
            done += sm_mqtt_big_take(c, data + done, len - done, &ev, &big);
            if (big) { sm_mqtt_on_packet(c, &ev); break; }
            continue;
        }
        rc = sm_mqtt_decode(&c->dec, data + done, len - done, &used, &ev);
        done += used;
        if (rc == SM_ERR_NO_SPACE && sm_mqtt_big_start(c)) continue;
        if (rc < 0) sm_mqtt_fail(c, rc); /* SM_ERR_MALFORMED, SM_ERR_NO_SPACE (SUBACK) */
        else if (rc > 0) { sm_mqtt_on_packet(c, &ev); break; }
    }
    return done;
}

/* CONNACK and PINGRESP deadlines; PINGREQ when idle (3.1.2.10). While
   DISCONNECTING the keep-alive still runs (the PINGREQ is not written, see
   sm_mqtt_load, but its deadline holds), so that a DISCONNECT the
   transport never takes, or a silent broker, still ends the session. */
SM_PRIV void sm_mqtt_timers(sm_mqtt_client *c)
{
    uint32_t now = sm_mqtt_now(c);
    if ((c->state == SM_MQTT_CONNECTING || c->ping) && sm_time_reached(now, c->deadline))
        sm_mqtt_fail(c, SM_ERR_TIMEOUT);
    else if (c->state >= SM_MQTT_CONNECTED && c->keep_alive && !c->ping &&
             now - c->last_tx >= (uint32_t)c->keep_alive * 1000u) {
        c->ping = 1;
        c->deadline = now + (uint32_t)SM_MQTT_PING_TIMEOUT_MS;
    }
}

/* ---- public functions ---------------------------------------------------------- */

SECMODEM_API int sm_mqtt_init(sm_mqtt_client *c, const sm_mqtt_transport *t,
                              sm_mqtt_result_fn on_result, sm_mqtt_message_fn on_message,
                              void *ctx)
{
    if (!c || !t || !t->send || !t->now_ms) return SM_ERR_PARAM;
    memset(c, 0, sizeof *c);
    c->tr = *t;
    c->on_result = on_result;
    c->on_message = on_message;
    c->ctx = ctx;
    return SM_OK;
}

SECMODEM_API int sm_mqtt_connect_start(sm_mqtt_client *c, const sm_mqtt_connect_opts *o)
{
    size_t len = 0;
    int rc;
    if (!c) return SM_ERR_PARAM;
    if (c->in_cb) return SM_ERR_BUSY;
    if (c->state != SM_MQTT_IDLE) return SM_ERR_STATE;
    rc = sm_mqtt_encode_connect(c->tx, sizeof c->tx, o, &len);
    if (rc) return rc;
    sm_mqtt_decoder_reset(&c->dec);
    c->wp = c->tx;
    c->wleft = (uint32_t)len;
    c->clean = (uint8_t)(o->clean_session != 0);
    c->keep_alive = o->keep_alive;
    c->connack = c->skip = c->full = 0;
    c->big_end = 0;
    /* every time of the session starts here (the transport may have no
       clock before: a stream not yet open) */
    c->last_tx = sm_clock_start(&c->clock, c->tr.now_ms(c->tr.user));
    c->deadline = c->last_tx + (uint32_t)SM_MQTT_CONNECT_TIMEOUT_MS;
    c->state = SM_MQTT_CONNECTING;
    return SM_OK;
}

SECMODEM_API int sm_mqtt_publish_start(sm_mqtt_client *c, const char *topic,
                                       const uint8_t *payload, uint32_t len, uint8_t qos,
                                       uint8_t retain)
{
    sm_mqtt_out *o;
    size_t n;
    int rc = c ? sm_mqtt_str_len(topic, SM_MQTT_STR_TOPIC, &n) : SM_ERR_PARAM;
    if (rc) return rc;
    /* the header must fit c->tx: fixed header <= 5, topic length, packet id */
    if (n > sizeof c->tx - 9u) return SM_ERR_NO_SPACE;
    if (qos > 2 || retain > 1 || (len && !payload) ||
        len > SM_MQTT_MAX_REMAINING - 4u - (uint32_t)n) return SM_ERR_PARAM;
    o = sm_mqtt_add(c, (SM_MQTT_PUBLISH << 4) | qos | ((unsigned)retain << 2),
                    payload, len, &rc);
    if (!o) return rc;
    o->u.topic = topic;
    return (int)o->id;
}

SM_PRIV int sm_mqtt_sub_start(sm_mqtt_client *c, unsigned type, const char *const *filters,
                              const uint8_t *qos, size_t count)
{
    sm_mqtt_out *o;
    size_t n;
    int rc;
    if (!c) return SM_ERR_PARAM;
    /* checks, and sizes (SM_ERR_NO_SPACE without a buffer) */
    rc = sm_mqtt_encode_filters(NULL, 0, (type << 4) | 2u, 1, filters, qos, count, &n);
    if (rc != SM_ERR_NO_SPACE) return rc;
    if (n > sizeof c->tx) return SM_ERR_NO_SPACE;
    o = sm_mqtt_add(c, type << 4, qos, (uint32_t)count, &rc);
    if (!o) return rc;
    o->u.filters = filters;
    return (int)o->id;
}

SECMODEM_API int sm_mqtt_subscribe_start(sm_mqtt_client *c, const char *const *filters,
                                         const uint8_t *qos, size_t count)
{
    if (!qos) return SM_ERR_PARAM;
    return sm_mqtt_sub_start(c, SM_MQTT_SUBSCRIBE, filters, qos, count);
}

SECMODEM_API int sm_mqtt_unsubscribe_start(sm_mqtt_client *c, const char *const *filters,
                                           size_t count)
{
    return sm_mqtt_sub_start(c, SM_MQTT_UNSUBSCRIBE, filters, NULL, count);
}

SECMODEM_API int sm_mqtt_disconnect_start(sm_mqtt_client *c)
{
    if (!c) return SM_ERR_PARAM;
    if (c->state != SM_MQTT_CONNECTED) return SM_ERR_STATE;
    c->state = SM_MQTT_DISCONNECTING;
    c->disc = 1; /* c->ping stays: its deadline bounds the wait (sm_mqtt_timers) */
    return SM_OK;
}

/* Writes, decodes data[0..len) as far as there is room (*used; all of it
   when `all`: bytes already read from the transport), enforces deadlines,
   writes, ends the session if it must. */
SM_PRIV int sm_mqtt_step(sm_mqtt_client *c, const uint8_t *data, size_t len, size_t *used,
                         int all)
{
    size_t n;
    while (*used < len && !c->err) {
        sm_mqtt_tx(c); /* acknowledgements out first: they free slots */
        n = sm_mqtt_room(c);
        if (!n && all) n = len - *used; /* no slot is lost: sm_mqtt_no_slot */
        if (n > len - *used) n = len - *used;
        if (!n || c->err) break;
        *used += sm_mqtt_rx(c, data + *used, n);
    }
    sm_mqtt_timers(c);
    sm_mqtt_tx(c);
    return sm_mqtt_settle(c);
}

/* Pull mode reads as much as the room allows, handles it, and reads
   again while the transport filled the read, up to SM_MQTT_READ_MAX bytes
   in all: with one slot free the room is a single byte, and one read per
   poll made every packet take a poll per byte. */
SECMODEM_API int sm_mqtt_poll(sm_mqtt_client *c)
{
    uint8_t buf[SM_MQTT_READ_MAX];
    size_t total = 0, want, n, used;
    int k, rc;
    if (!c) return SM_ERR_PARAM;
    if (c->in_cb) return SM_ERR_BUSY;
    sm_mqtt_tx(c);
    for (;;) {
        want = n = used = 0;
        if (c->tr.recv && c->state != SM_MQTT_IDLE && !c->err) {
            want = sm_mqtt_room(c);
            if (want > sizeof buf - total) want = sizeof buf - total;
            k = want ? c->tr.recv(c->tr.user, buf + total, want) : 0;
            if (k < 0 || (size_t)k > want) sm_mqtt_fail(c, SM_ERR_IO);
            n = c->err ? 0 : (size_t)k;
        }
        rc = sm_mqtt_step(c, buf + total, n, &used, 1);
        total += n;
        if (rc != SM_OK || n == 0 || n < want || total == sizeof buf) return rc;
    }
}

SECMODEM_API int sm_mqtt_feed(sm_mqtt_client *c, const uint8_t *data, size_t len, size_t *used)
{
    if (used) *used = 0;
    if (!c || !used || (!data && len)) return SM_ERR_PARAM;
    if (c->in_cb) return SM_ERR_BUSY;
    if (c->state == SM_MQTT_IDLE) return SM_ERR_STATE;
    return sm_mqtt_step(c, data, len, used, 0);
}

SECMODEM_API int sm_mqtt_state(const sm_mqtt_client *c)
{
    return c ? (int)c->state : SM_MQTT_IDLE;
}
#endif /* SM_NO_MQTT, SM_NO_MQTT_SESSION */

#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR)
/* ==========================================================================
   11. GLUE: CERTIFICATE SIGNING REQUEST (implementation)
   SHA-256, the DER writer, the signature, the subject, the request's pure
   parts, PEM, then the operation that drives the chip:
     S_PUBKEY  GenKey mode 0 of the slot -> build the tbs in out[] -> S_HASH
     S_HASH    SM_CSR_HASH_CHUNK bytes per poll; at the end Sign -> S_SIGN
     S_SIGN    R || S -> the request assembled around the tbs (and PEM)
   ========================================================================== */
enum { SM_CSR_S_IDLE = 0, SM_CSR_S_PUBKEY, SM_CSR_S_HASH, SM_CSR_S_SIGN };

/* ---- SHA-256 (FIPS 180-4 sections 4.2.2, 5.3.3, 6.2) ---- */

static const uint32_t sm_sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u
};

SM_PRIV uint32_t sm_ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

SM_PRIV uint32_t sm_load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

SM_PRIV void sm_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One 64-byte block; the message schedule is a 16-word ring (W[t-16] is
   overwritten by W[t]), which keeps the stack at 64 bytes. */
/* Hashes the block in w[] (its 64 bytes as they came), which it uses up as
   the message schedule: no copy of it on the stack. */
SM_PRIV void sm_sha256_block(uint32_t h[8], uint32_t w[16])
{
    uint32_t v[8];
    unsigned t, j;
    for (t = 0; t < 16u; t++) w[t] = sm_load_be32((const uint8_t *)&w[t]);
    for (j = 0; j < 8u; j++) v[j] = h[j];
    for (t = 0; t < 64u; t++) {
        uint32_t t1, t2;
        if (t >= 16u) {
            uint32_t a = w[(t + 1u) & 15u], b = w[(t + 14u) & 15u]; /* W[t-15], W[t-2] */
            w[t & 15u] += (sm_ror32(a, 7) ^ sm_ror32(a, 18) ^ (a >> 3)) +
                          (sm_ror32(b, 17) ^ sm_ror32(b, 19) ^ (b >> 10)) + w[(t + 9u) & 15u];
        }
        t1 = v[7] + (sm_ror32(v[4], 6) ^ sm_ror32(v[4], 11) ^ sm_ror32(v[4], 25)) +
             ((v[4] & v[5]) ^ (~v[4] & v[6])) + sm_sha256_k[t] + w[t & 15u];
        t2 = (sm_ror32(v[0], 2) ^ sm_ror32(v[0], 13) ^ sm_ror32(v[0], 22)) +
             ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        for (j = 7; j > 0; j--) v[j] = v[j - 1u];
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (j = 0; j < 8u; j++) h[j] += v[j];
}

SECMODEM_API void sm_sha256_init(sm_sha256_ctx *c)
{
    static const uint32_t h0[8] = { 0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u };
    memcpy(c->h, h0, sizeof h0);
    c->len_lo = c->len_hi = 0;
}

SECMODEM_API void sm_sha256_update(sm_sha256_ctx *c, const uint8_t *data, size_t n)
{
    while (n) {
        size_t fill = (size_t)(c->len_lo & 63u), k = 64u - fill;
        if (k > n) k = n;
        memcpy(c->block.b + fill, data, k);
        c->len_lo += (uint32_t)k; /* k <= 64: the carry is all there is to it */
        if (c->len_lo < (uint32_t)k) c->len_hi++;
        data += k;
        n -= k;
        if (fill + k == 64u) sm_sha256_block(c->h, c->block.w);
    }
}

/* Padding (section 5.1.1): 0x80, zeros, the length in bits (64, big-endian). */
SECMODEM_API void sm_sha256_final(sm_sha256_ctx *c, uint8_t digest[32])
{
    size_t fill = (size_t)(c->len_lo & 63u);
    unsigned j;
    c->block.b[fill++] = 0x80;
    if (fill > 56u) {
        memset(c->block.b + fill, 0, 64u - fill);
        sm_sha256_block(c->h, c->block.w);
        fill = 0;
    }
    memset(c->block.b + fill, 0, 56u - fill);
    sm_store_be32(c->block.b + 56, c->len_hi << 3 | c->len_lo >> 29);
    sm_store_be32(c->block.b + 60, c->len_lo << 3);
    sm_sha256_block(c->h, c->block.w);
    for (j = 0; j < 8u; j++) sm_store_be32(digest + 4u * j, c->h[j]);
}

SECMODEM_API void sm_sha256(const uint8_t *data, size_t n, uint8_t digest[32])
{
    sm_sha256_ctx c;
    sm_sha256_init(&c);
    sm_sha256_update(&c, data, n);
    sm_sha256_final(&c, digest);
}

/* ---- DER writer ---- */

SECMODEM_API void sm_der_init(sm_der *d, uint8_t *out, size_t cap)
{
    d->p = out;
    d->cap = out ? cap : 0u;
    d->len = 0;
    d->err = SM_OK;
}

/* Appends n bytes (zeros when data is NULL: only for measuring), or counts
   them once the buffer is full. */
SM_PRIV void sm_der_put(sm_der *d, const uint8_t *data, size_t n)
{
    if (d->err != SM_OK && d->err != SM_ERR_NO_SPACE) return;
    if (n > SIZE_MAX - d->len) { d->err = SM_ERR_PARAM; return; }
    if (d->err == SM_OK && n <= d->cap - d->len) {
        if (n && data) memcpy(d->p + d->len, data, n);
        else if (n) memset(d->p + d->len, 0, n);
    } else {
        d->err = SM_ERR_NO_SPACE;
    }
    d->len += n;
}

SM_PRIV void sm_der_byte(sm_der *d, uint8_t b) { sm_der_put(d, &b, 1); }

SM_PRIV unsigned sm_der_len_octets(size_t n)
{
    unsigned k = 0;
    if (n < 0x80u) return 0;
    for (; n; n >>= 8) k++;
    return k;
}

SECMODEM_API size_t sm_der_tlv_len(size_t content_len)
{
    size_t head = 2u + sm_der_len_octets(content_len);
    return content_len > SIZE_MAX - head ? SIZE_MAX : head + content_len;
}

/* X.690 8.1.3: short form below 128, else 0x80 | count, then big-endian
   octets without leading zeros (10.1: the minimum number). */
SECMODEM_API void sm_der_header(sm_der *d, uint8_t tag, size_t content_len)
{
    unsigned k = sm_der_len_octets(content_len);
    sm_der_byte(d, tag);
    if (!k) { sm_der_byte(d, (uint8_t)content_len); return; }
    sm_der_byte(d, (uint8_t)(0x80u | k));
    while (k--) {
        size_t v = content_len;
        unsigned i;
        for (i = 0; i < k; i++) v >>= 8; /* byte k, without a shift >= the width */
        sm_der_byte(d, (uint8_t)(v & 0xFFu));
    }
}

SECMODEM_API void sm_der_raw(sm_der *d, const uint8_t *data, size_t n)
{
    if (!data && n) { d->err = SM_ERR_PARAM; return; }
    sm_der_put(d, data, n);
}

/* X.690 8.3: two's complement in the fewest octets - the first nine bits
   are never all zero or all one. */
SECMODEM_API void sm_der_integer(sm_der *d, const uint8_t *be, size_t n)
{
    static const uint8_t zero = 0;
    if (!be && n) { d->err = SM_ERR_PARAM; return; }
    while (n > 1u && be[0] == 0u) { be++; n--; }
    if (n == 0u || (n == 1u && be[0] == 0u)) { be = &zero; n = 1; }
    if (be[0] & 0x80u) {
        sm_der_header(d, SM_DER_INTEGER, n + 1u);
        sm_der_byte(d, 0x00);
    } else {
        sm_der_header(d, SM_DER_INTEGER, n);
    }
    sm_der_put(d, be, n);
}

SECMODEM_API void sm_der_bit_string(sm_der *d, const uint8_t *data, size_t n)
{
    if ((!data && n) || n == SIZE_MAX) { d->err = SM_ERR_PARAM; return; }
    sm_der_header(d, SM_DER_BIT_STRING, n + 1u);
    sm_der_byte(d, 0x00); /* unused bits in the last octet (X.690 8.6.2.2) */
    sm_der_put(d, data, n);
}

SECMODEM_API void sm_der_oid(sm_der *d, const uint8_t *content, size_t n)
{
    if (!content || !n) { d->err = SM_ERR_PARAM; return; }
    sm_der_header(d, SM_DER_OID, n);
    sm_der_put(d, content, n);
}

SECMODEM_API void sm_der_string(sm_der *d, uint8_t tag, const char *s, size_t n)
{
    if (!s && n) { d->err = SM_ERR_PARAM; return; }
    sm_der_header(d, tag, n);
    sm_der_put(d, (const uint8_t *)s, n);
}

SECMODEM_API int sm_der_finish(const sm_der *d, size_t *len)
{
    if (len) *len = d->len;
    return d->err;
}

/* ---- ECDSA signature ---- */

SECMODEM_API int sm_ecdsa_sig_to_der(const uint8_t rs[64], uint8_t *out, size_t cap, size_t *out_len)
{
    sm_der m, d;
    size_t content;
    if (!rs || !out_len) return SM_ERR_PARAM;
    sm_der_init(&m, NULL, 0); /* measure the two INTEGERs */
    sm_der_integer(&m, rs, 32);
    sm_der_integer(&m, rs + 32, 32);
    content = m.len;
    sm_der_init(&d, out, cap);
    sm_der_header(&d, SM_DER_SEQUENCE, content);
    sm_der_integer(&d, rs, 32);
    sm_der_integer(&d, rs + 32, 32);
    return sm_der_finish(&d, out_len);
}

/* ---- subject ---- */

/* RFC 5280 appendix A: types and upper bounds (ub-*), in characters. */
typedef struct sm_dn_rule {
    uint8_t type, tag, min, max;
} sm_dn_rule;

SM_PRIV const sm_dn_rule *sm_dn_rule_of(uint8_t type)
{
    static const sm_dn_rule rules[] = {
        { SM_DN_CN, SM_DER_UTF8_STRING, 1, 64 },   /* ub-common-name */
        { SM_DN_SERIAL_NUMBER, SM_DER_PRINTABLE_STRING, 1, 64 }, /* ub-serial-number */
        { SM_DN_C, SM_DER_PRINTABLE_STRING, 2, 2 }, /* ub-country-name-alpha-length */
        { SM_DN_L, SM_DER_UTF8_STRING, 1, 128 },   /* ub-locality-name */
        { SM_DN_ST, SM_DER_UTF8_STRING, 1, 128 },  /* ub-state-name */
        { SM_DN_O, SM_DER_UTF8_STRING, 1, 64 },    /* ub-organization-name */
        { SM_DN_OU, SM_DER_UTF8_STRING, 1, 64 }    /* ub-organizational-unit-name */
    };
    size_t i;
    for (i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].type == type) return &rules[i];
    return NULL;
}

/* X.680 41.4, PrintableString: A-Z a-z 0-9 space ' ( ) + , - . / : = ? */
SM_PRIV int sm_dn_printable(char ch)
{
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) return 1;
    return ch != '\0' && strchr(" '()+,-./:=?", ch) != NULL;
}

/* One value: sm_check_str refuses controls, DEL, malformed UTF-8 (and
   any non-ASCII byte in a PrintableString); then the characters are
   counted (a UTF-8 character is 1..4 bytes) against the bounds. */
SM_PRIV int sm_dn_check_value(const sm_dn_rule *r, const char *s)
{
    int utf8 = r->tag == SM_DER_UTF8_STRING;
    unsigned flags = SM_STR_ALLOW_QUOTE | SM_STR_ALLOW_BACKSLASH; /* empty: by the count */
    size_t i, chars = 0;
    int rc = sm_check_str(s, (size_t)r->max * 4u, flags | (utf8 ? (unsigned)SM_STR_UTF8 : 0u));
    if (rc) return rc;
    for (i = 0; s[i]; i++) {
        if (!utf8 && !sm_dn_printable(s[i])) return SM_ERR_UNSAFE_STRING;
        if (((uint8_t)s[i] & 0xC0u) != 0x80u) chars++;
    }
    return (chars < r->min || chars > r->max) ? SM_ERR_PARAM : SM_OK;
}

SECMODEM_API int sm_dn_check(const sm_dn_attr *subject, size_t n)
{
    size_t i;
    if (!subject || n == 0u || n > (size_t)SM_CSR_SUBJECT_MAX) return SM_ERR_PARAM;
    for (i = 0; i < n; i++) {
        const sm_dn_rule *r = sm_dn_rule_of(subject[i].type);
        int rc;
        if (!r || !subject[i].value) return SM_ERR_PARAM;
        rc = sm_dn_check_value(r, subject[i].value);
        if (rc) return rc;
    }
    return SM_OK;
}

/* AttributeTypeAndValue: SEQUENCE { OID 2.5.4.type (55 04 type), string }. */
SM_PRIV size_t sm_dn_atv_len(const sm_dn_attr *a)
{
    return 5u + sm_der_tlv_len(strlen(a->value));
}

SECMODEM_API void sm_der_name(sm_der *d, const sm_dn_attr *subject, size_t n)
{
    size_t i, content = 0;
    int rc = sm_dn_check(subject, n);
    if (rc) { d->err = rc; return; }
    for (i = 0; i < n; i++) content += sm_der_tlv_len(sm_der_tlv_len(sm_dn_atv_len(&subject[i])));
    sm_der_header(d, SM_DER_SEQUENCE, content);
    for (i = 0; i < n; i++) {
        const sm_dn_attr *a = &subject[i];
        uint8_t oid[3];
        size_t atv = sm_dn_atv_len(a);
        oid[0] = 0x55; oid[1] = 0x04; oid[2] = a->type;
        sm_der_header(d, SM_DER_SET, sm_der_tlv_len(atv)); /* RDN: a SET of one */
        sm_der_header(d, SM_DER_SEQUENCE, atv);
        sm_der_oid(d, oid, sizeof oid);
        sm_der_string(d, sm_dn_rule_of(a->type)->tag, a->value, strlen(a->value));
    }
}

/* ---- the request, pure ---- */

/* SubjectPublicKeyInfo up to the point (RFC 5480 2.1, 2.2): SEQUENCE {
   SEQUENCE { OID 1.2.840.10045.2.1, OID 1.2.840.10045.3.1.7 }, BIT STRING
   { 04 (uncompressed) ... } }; X || Y follow. */
static const uint8_t sm_csr_spki_head[27] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
    0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04
};
/* AlgorithmIdentifier ecdsa-with-SHA256 1.2.840.10045.4.3.2, parameters
   absent (RFC 5758 3.2). */
static const uint8_t sm_csr_sig_alg[12] = {
    0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02
};
/* version 0 (RFC 2986 4.1); attributes [0] IMPLICIT SET OF, empty. */
static const uint8_t sm_csr_version[3] = { 0x02, 0x01, 0x00 };
static const uint8_t sm_csr_no_attrs[2] = { 0xA0, 0x00 };
#define SM_CSR_SIG_PART_MAX (12u + 3u + SM_ECDSA_DER_MAX) /* algorithm + BIT STRING */

/* Content length of the CertificationRequestInfo, or 0 on a bad subject. */
SM_PRIV size_t sm_csr_tbs_content(const sm_dn_attr *subject, size_t n, int *rc)
{
    sm_der m;
    sm_der_init(&m, NULL, 0);
    sm_der_name(&m, subject, n);
    *rc = m.err == SM_ERR_NO_SPACE ? SM_OK : m.err;
    return *rc ? 0u : sizeof sm_csr_version + m.len + sizeof sm_csr_spki_head + 64u + sizeof sm_csr_no_attrs;
}

SECMODEM_API int sm_csr_tbs(const sm_dn_attr *subject, size_t n, const uint8_t pub[64], uint8_t *out,
                            size_t cap, size_t *out_len)
{
    sm_der d;
    int rc;
    size_t content;
    if (!pub || !out_len) return SM_ERR_PARAM;
    content = sm_csr_tbs_content(subject, n, &rc);
    if (rc) return rc;
    sm_der_init(&d, out, cap);
    sm_der_header(&d, SM_DER_SEQUENCE, content);
    sm_der_raw(&d, sm_csr_version, sizeof sm_csr_version);
    sm_der_name(&d, subject, n);
    sm_der_raw(&d, sm_csr_spki_head, sizeof sm_csr_spki_head);
    sm_der_raw(&d, pub, 64);
    sm_der_raw(&d, sm_csr_no_attrs, sizeof sm_csr_no_attrs);
    return sm_der_finish(&d, out_len);
}

/* Length of the DER value at p[0..n) (header included), or 0 if its header
   is not a minimal definite length that fits a size_t. */
SM_PRIV size_t sm_der_value_len(const uint8_t *p, size_t n)
{
    size_t len = 0, head = 2;
    unsigned k, i;
    if (n < 2u) return 0;
    if (p[1] < 0x80u) return (size_t)p[1] + 2u;
    k = p[1] & 0x7Fu;
    if (k == 0u || k > sizeof(size_t) || n < 2u + k || p[2] == 0u) return 0;
    for (i = 0; i < k; i++) len = (len << 8) | p[2u + i];
    head += k;
    if (len < 0x80u || len > SIZE_MAX - head) return 0;
    return head + len;
}

SECMODEM_API int sm_csr_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t sig[64],
                                 uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t sd[SM_ECDSA_DER_MAX];
    size_t sl = 0, content, total;
    sm_der d;
    if (!tbs || !sig || !out_len || tbs_len < 2u || tbs[0] != SM_DER_SEQUENCE ||
        sm_der_value_len(tbs, tbs_len) != tbs_len)
        return SM_ERR_PARAM;
    (void)sm_ecdsa_sig_to_der(sig, sd, sizeof sd, &sl); /* always fits */
    if (tbs_len > SIZE_MAX - SM_CSR_SIG_PART_MAX - 8u) return SM_ERR_PARAM;
    content = tbs_len + sizeof sm_csr_sig_alg + sm_der_tlv_len(sl + 1u);
    total = sm_der_tlv_len(content);
    *out_len = total;
    if (!out || cap < total) return SM_ERR_NO_SPACE;
    memmove(out + (total - content), tbs, tbs_len); /* tbs may be inside out */
    sm_der_init(&d, out, cap);
    sm_der_header(&d, SM_DER_SEQUENCE, content);
    d.len += tbs_len;
    sm_der_raw(&d, sm_csr_sig_alg, sizeof sm_csr_sig_alg);
    sm_der_bit_string(&d, sd, sl);
    return sm_der_finish(&d, out_len);
}

/* RFC 7468 section 3 label, kept simple: printable ASCII, no ' ' or '-'
   at either end. Returns its length, or 0 if unfit. */
SM_PRIV size_t sm_pem_label_len(const char *label)
{
    size_t n;
    if (!label) return 0;
    /* bounded by the NUL or the 64-character limit, whichever comes first
       (cppcheck infers the array size from one caller's literal) */
    /* cppcheck-suppress arrayIndexOutOfBoundsCond */
    for (n = 0; n <= 64u && label[n]; n++)
        if ((uint8_t)label[n] < 0x20u || (uint8_t)label[n] > 0x7Eu) return 0;
    if (n == 0u || n > 64u || label[0] == ' ' || label[0] == '-' || label[n - 1u] == ' ' ||
        label[n - 1u] == '-')
        return 0;
    return n;
}

SM_PRIV void sm_pem_line(char *out, const char *dashes_word, size_t wl, const char *label, size_t ll)
{
    memcpy(out, dashes_word, wl);
    memcpy(out + wl, label, ll);
    memcpy(out + wl + ll, "-----\n", 6);
}

SECMODEM_API int sm_pem_encode(const char *label, const uint8_t *der, size_t n, char *out, size_t cap,
                               size_t *out_len)
{
    size_t ll = sm_pem_label_len(label), head, b64, lines, total, j;
    if (!ll || (!der && n) || !out_len) return SM_ERR_PARAM;
    if (n > SIZE_MAX / 3u * 2u - 256u) return SM_ERR_NO_SPACE;
    head = 17u + ll;                       /* "-----BEGIN " label "-----\n" */
    b64 = SM_BASE64_LEN(n);
    lines = (b64 + 63u) / 64u;             /* 48 bytes -> one line of 64 */
    total = head + b64 + lines + 15u + ll; /* "-----END " label "-----\n" */
    if (!out || cap < total + 1u) { *out_len = total + 1u; return SM_ERR_NO_SPACE; }
    /* Footer first, lines from the last, header last: each part lands at or
       after the input it came from, so der may be out itself. */
    sm_pem_line(out + head + b64 + lines, "-----END ", 9, label, ll);
    out[total] = '\0';
    for (j = lines; j-- > 0;) {
        char line[65];
        size_t off = j * 48u, k = n - off < 48u ? n - off : 48u, m = 0;
        (void)sm_base64_encode(der + off, k, line, sizeof line, &m); /* fits: 64 + NUL */
        line[m] = '\n';
        memmove(out + head + j * 65u, line, m + 1u);
    }
    sm_pem_line(out, "-----BEGIN ", 11, label, ll);
    *out_len = total;
    return SM_OK;
}

SECMODEM_API int sm_csr_size(const sm_dn_attr *subject, size_t n, unsigned format, size_t *cap)
{
    int rc;
    size_t content = sm_csr_tbs_content(subject, n, &rc), der;
    if (rc) return rc;
    if (!cap || format > SM_CSR_PEM) return SM_ERR_PARAM;
    der = sm_der_tlv_len(sm_der_tlv_len(content) + SM_CSR_SIG_PART_MAX);
    if (format == SM_CSR_PEM) {
        size_t b64 = SM_BASE64_LEN(der);
        der = 2u * (sizeof SM_PEM_LABEL_CSR - 1u) + 32u + b64 + (b64 + 63u) / 64u + 1u;
    }
    *cap = der;
    return SM_OK;
}

/* ---- the request, signed by the chip ---- */

/* The operation ends with rc (SM_OK or an error). */
SM_PRIV int sm_csr_end(sm_csr *op, int rc)
{
    op->result = rc;
    op->step = SM_CSR_S_IDLE;
    return rc;
}

SECMODEM_API int sm_csr_start(sm_csr *op, sm_atecc *se, uint8_t slot, const sm_dn_attr *subject,
                              size_t n, unsigned format, void *out, size_t cap)
{
    size_t need = 0;
    int rc;
    if (!op) return SM_ERR_PARAM;
    memset(op, 0, sizeof *op);
    op->result = SM_ERR_PARAM;
    if (!se || slot > 15u || format > SM_CSR_PEM || (!out && cap)) return SM_ERR_PARAM;
    rc = sm_csr_size(subject, n, format, &need);
    if (rc) return op->result = rc;
    if (!out || cap < need) { op->len = need; return op->result = SM_ERR_NO_SPACE; }
    rc = sm_atecc_pubkey_start(se, slot, op->u.pub);
    if (rc) return op->result = rc;
    op->se = se;
    op->subject = subject;
    op->nsubject = n;
    op->out = (uint8_t *)out;
    op->cap = cap;
    op->slot = slot;
    op->format = (uint8_t)format;
    op->step = SM_CSR_S_PUBKEY;
    op->result = SM_ATECC_PENDING;
    return SM_OK;
}

/* The public key is in: the CertificationRequestInfo goes to the start of
   out, where the request will be assembled around it. */
SM_PRIV int sm_csr_got_pubkey(sm_csr *op)
{
    int rc = sm_csr_tbs(op->subject, op->nsubject, op->u.pub, op->out, op->cap, &op->len);
    if (rc) return sm_csr_end(op, rc);
    sm_sha256_init(&op->u.sha); /* the key now lives in out[] only */
    op->hashed = 0;
    op->step = SM_CSR_S_HASH;
    return SM_ATECC_PENDING;
}

SM_PRIV int sm_csr_hash_step(sm_csr *op)
{
    size_t k = op->len - op->hashed;
    int rc;
    if (k > (size_t)SM_CSR_HASH_CHUNK) k = (size_t)SM_CSR_HASH_CHUNK;
    sm_sha256_update(&op->u.sha, op->out + op->hashed, k);
    op->hashed += k;
    if (op->hashed < op->len) return SM_ATECC_PENDING;
    sm_sha256_final(&op->u.sha, op->digest);
    rc = sm_atecc_sign_start(op->se, op->slot, op->digest, op->u.sig);
    if (rc) return sm_csr_end(op, rc);
    op->step = SM_CSR_S_SIGN;
    return SM_ATECC_PENDING;
}

SM_PRIV int sm_csr_signed(sm_csr *op)
{
    int rc = sm_csr_assemble(op->out, op->len, op->u.sig, op->out, op->cap, &op->len);
    if (rc == SM_OK && op->format == SM_CSR_PEM)
        rc = sm_pem_encode(SM_PEM_LABEL_CSR, op->out, op->len, (char *)op->out, op->cap, &op->len);
    return sm_csr_end(op, rc);
}

SECMODEM_API int sm_csr_poll(sm_csr *op)
{
    int rc;
    if (!op) return SM_ERR_PARAM;
    switch (op->step) {
    case SM_CSR_S_PUBKEY:
        rc = sm_atecc_poll(op->se);
        if (rc == SM_ATECC_PENDING) return rc;
        return rc ? sm_csr_end(op, rc) : sm_csr_got_pubkey(op);
    case SM_CSR_S_HASH:
        return sm_csr_hash_step(op);
    case SM_CSR_S_SIGN:
        rc = sm_atecc_poll(op->se);
        if (rc == SM_ATECC_PENDING) return rc;
        return rc ? sm_csr_end(op, rc) : sm_csr_signed(op);
    default:
        return op->result;
    }
}

SECMODEM_API size_t sm_csr_out_len(const sm_csr *op) { return op ? op->len : 0u; }

SECMODEM_API int sm_csr_run_blocking(sm_atecc *se, uint8_t slot, const sm_dn_attr *subject, size_t n,
                                     unsigned format, void *out, size_t cap, size_t *out_len)
{
    sm_csr op;
    int rc = sm_csr_start(&op, se, slot, subject, n, format, out, cap);
    /* each chip step ends by its deadlines, the hash after len / chunk calls */
    if (rc == SM_OK)
        do { rc = sm_csr_poll(&op); } while (rc == SM_ATECC_PENDING);
    if (out_len) *out_len = op.len;
    return rc;
}
#endif /* !SM_NO_ATECC && !SM_NO_CSR */

#if !defined(SM_NO_SEQUANS) && !defined(SM_NO_ATECC)
/* ==========================================================================
   12. GLUE: HOST SIGNING (implementation)
   One request at a time, in phases advanced by sm_hce_poll():
     P_IDLE   the next waiting request becomes cur -> P_START
     P_START  sm_atecc_sign_start() (again next poll while the chip is busy
              with other work) -> P_SIGN; a key id or algorithm the chip
              cannot serve -> P_REPLY with a failure
     P_SIGN   sm_atecc_poll() until done -> P_REPLY
     P_REPLY  sm_sqn_hce_reply(): the signature, or the failure status
              (again next poll while the AT queue is full) -> P_SENT
     P_SENT   the answer's done callback reports ANSWERED -> P_IDLE
   A restart (RESTARTED) drops the waiting requests and marks cur stale: a
   stale request is not answered (its context died with the modem's
   session); the engine ends an answer in flight with SM_ERR_REBOOT.
   ========================================================================== */
enum { SM_HCE_P_IDLE = 0, SM_HCE_P_START, SM_HCE_P_SIGN, SM_HCE_P_REPLY, SM_HCE_P_SENT };

SM_PRIV void sm_hce_emit(sm_hce *h, sm_hce_event_type type, const sm_hce_req *r, int sign, int status,
                         int32_t code)
{
    sm_hce_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.ctx = r->ctx;
    ev.key = r->key;
    ev.sign = sign;
    ev.status = status;
    ev.code = code;
    if (type == SM_HCE_EV_DROPPED) h->stats.dropped++;
    if (h->on_event) {
        uint8_t was = h->in_poll;
        h->in_poll = 1; /* sm_hce_poll() is not re-entrant */
        h->on_event(h->event_ctx, h, &ev);
        h->in_poll = was;
    }
}

/* Removes waiting request i (reported as DROPPED with `why`). */
SM_PRIV void sm_hce_drop(sm_hce *h, uint8_t i, int why)
{
    sm_hce_req r = h->wait[i];
    memmove(&h->wait[i], &h->wait[i + 1], ((size_t)h->nwait - i - 1u) * sizeof h->wait[0]);
    h->nwait--;
    sm_hce_emit(h, SM_HCE_EV_DROPPED, &r, SM_OK, why, SM_AT_NO_CODE);
}

SECMODEM_API int sm_hce_init(sm_hce *h, sm_sqn *m, sm_atecc *se, sm_hce_event_fn on_event, void *ctx)
{
    int rc;
    if (!h || !m || !se) return SM_ERR_PARAM;
    rc = sm_sqn_use_hce(m); /* +SQNHCESIGN becomes an event from now on */
    if (rc) return rc;
    memset(h, 0, sizeof *h);
    h->m = m;
    h->se = se;
    h->on_event = on_event;
    h->event_ctx = ctx;
    return SM_OK;
}

SECMODEM_API int sm_hce_on_event(sm_hce *h, const sm_event *ev)
{
    uint8_t i;
    if (!h || !ev) return 0;
    if (ev->type == SM_SQN_EV_RESTARTED) {
        while (h->nwait) sm_hce_drop(h, 0, SM_ERR_REBOOT);
        if (h->phase == SM_HCE_P_START || h->phase == SM_HCE_P_SIGN || h->phase == SM_HCE_P_REPLY)
            h->stale = 1; /* P_SENT: the engine ends the answer with SM_ERR_REBOOT */
        return 0;
    }
    if (ev->type == SM_SQN_EV_HCE_INVALID) {
        sm_hce_req bad;
        memset(&bad, 0, sizeof bad);
        h->stats.requests++;
        if (!ev->u.hce.has_ctx) { /* nothing to answer to: said, not hidden */
            sm_hce_emit(h, SM_HCE_EV_DROPPED, &bad, SM_OK, SM_ERR_PARSE, SM_AT_NO_CODE);
            return 1;
        }
    } else if (ev->type != SM_SQN_EV_HCE_SIGN || !ev->u.hce.digest) {
        return 0;
    } else {
        h->stats.requests++;
    }
    for (i = 0; i < h->nwait; i++) /* the modem asks again for the same context */
        if (h->wait[i].ctx == ev->u.hce.ctx) { sm_hce_drop(h, i, SM_ERR_CANCELLED); break; }
    if (h->nwait == SM_HCE_QUEUE) sm_hce_drop(h, 0, SM_ERR_NO_SPACE);
    i = h->nwait++;
    memset(&h->wait[i], 0, sizeof h->wait[i]);
    if (ev->u.hce.digest) memcpy(h->wait[i].digest, ev->u.hce.digest, 32);
    h->wait[i].invalid = (uint8_t)(ev->u.hce.digest == NULL);
    h->wait[i].ctx = ev->u.hce.ctx;
    h->wait[i].key = h->key_slot; /* the application's choice, not the request's field */
    return 1;
}

SECMODEM_API int sm_hce_set_key_slot(sm_hce *h, uint8_t slot)
{
    if (!h || slot > 15u) return SM_ERR_PARAM;
    h->key_slot = slot;
    return SM_OK;
}

/* The answer command's completion (an sm_sqn done callback). */
SM_PRIV void sm_hce_reply_done(void *ctx, sm_sqn *m, const sm_result *r)
{
    sm_hce *h = (sm_hce *)ctx;
    sm_hce_req cur = h->cur;
    (void)m;
    h->phase = SM_HCE_P_IDLE;
    if (r->status != SM_OK) h->stats.reply_errors++;
    sm_hce_emit(h, SM_HCE_EV_ANSWERED, &cur, h->sign, r->status, r->code);
}

/* One phase step; returns 1 if the next one may follow at once. */
SM_PRIV int sm_hce_step(sm_hce *h)
{
    int rc;
    switch (h->phase) {
    case SM_HCE_P_IDLE:
        if (!h->nwait) return 0;
        h->cur = h->wait[0];
        memmove(&h->wait[0], &h->wait[1], ((size_t)h->nwait - 1u) * sizeof h->wait[0]);
        h->nwait--;
        h->stale = 0;
        h->phase = SM_HCE_P_START;
        return 1;
    case SM_HCE_P_START:
        if (h->stale) break;
        if (h->cur.invalid) { /* no digest to sign: fail the handshake at once */
            h->sign = SM_ERR_PARSE;
            h->phase = SM_HCE_P_REPLY;
            return 1;
        }
        rc = sm_atecc_sign_start(h->se, h->cur.key, h->cur.digest, h->sig);
        if (rc == SM_ERR_BUSY) return 0; /* the chip is doing other work: next poll */
        if (rc != SM_OK) {
            h->sign = rc;
            h->phase = SM_HCE_P_REPLY;
            return 1;
        }
        h->phase = SM_HCE_P_SIGN;
        return 1;
    case SM_HCE_P_SIGN:
        rc = sm_atecc_poll(h->se);
        if (rc == SM_ATECC_PENDING) return 0;
        h->sign = rc;
        h->phase = SM_HCE_P_REPLY;
        return 1;
    case SM_HCE_P_REPLY:
        if (h->stale) break;
        rc = h->sign == SM_OK
                 ? sm_sqn_hce_reply(h->m, h->cur.ctx, 0, h->sig, sm_hce_reply_done, h)
                 : sm_sqn_hce_reply(h->m, h->cur.ctx, SM_SQN_HCE_FAILED, NULL, sm_hce_reply_done, h);
        if (rc == SM_ERR_QUEUE_FULL) return 0; /* the AT queue drains: next poll */
        if (h->sign == SM_OK) h->stats.signatures++;
        else h->stats.failures++;
        if (rc < 0) { /* cannot happen with valid arguments: reported, not hidden */
            h->phase = SM_HCE_P_IDLE;
            h->stats.reply_errors++;
            sm_hce_emit(h, SM_HCE_EV_ANSWERED, &h->cur, h->sign, rc, SM_AT_NO_CODE);
            return 1;
        }
        h->phase = SM_HCE_P_SENT;
        return 0;
    default: /* P_SENT: the done callback moves on */
        return 0;
    }
    /* a stale request: dropped, never answered */
    h->phase = SM_HCE_P_IDLE;
    sm_hce_emit(h, SM_HCE_EV_DROPPED, &h->cur, SM_OK, SM_ERR_REBOOT, SM_AT_NO_CODE);
    return 1;
}

SECMODEM_API int sm_hce_poll(sm_hce *h)
{
    int guard = 8; /* bounds one call: a few phase steps at most */
    if (!h) return SM_ERR_PARAM;
    if (h->in_poll) return SM_ERR_BUSY;
    h->in_poll = 1;
    while (guard-- > 0 && sm_hce_step(h)) {}
    h->in_poll = 0;
    return SM_OK;
}

SECMODEM_API int sm_hce_busy(const sm_hce *h) { return h && (h->nwait || h->phase != SM_HCE_P_IDLE); }
SECMODEM_API const sm_hce_stats *sm_hce_get_stats(const sm_hce *h) { return &h->stats; }

SECMODEM_API const char *sm_hce_event_name(sm_hce_event_type t)
{
#define SM_HCE_EV_NAME_(name) #name,
    static const char *const names[] = { "?", SM_HCE_EVENT_LIST(SM_HCE_EV_NAME_) };
#undef SM_HCE_EV_NAME_
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}
#endif /* !SM_NO_SEQUANS && !SM_NO_ATECC */

#if !defined(SM_NO_ATECC) && !defined(SM_NO_CSR) && !defined(SM_NO_CERTS)
/* ==========================================================================
   13. GLUE: COMPRESSED CERTIFICATES (implementation)
   ========================================================================== */

/* ---- SHA-1 (FIPS 180-4 section 6.1), for the key identifiers ---- */

SM_PRIV uint32_t sm_rol32(uint32_t x, unsigned n) { return (x << n) | (x >> (32u - n)); }

/* Hashes the block in w[] (its 64 bytes as they came), used up as the
   message schedule in place (as sm_sha256_block). */
SM_PRIV void sm_sha1_block(uint32_t h[5], uint32_t w[16])
{
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
    unsigned i;
    for (i = 0; i < 16u; i++) {
        const uint8_t *p = (const uint8_t *)&w[i];
        w[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
    }
    for (i = 0; i < 80u; i++) {
        if (i >= 16u) /* the schedule in a 16-word ring */
            w[i & 15u] = sm_rol32(w[(i + 13u) & 15u] ^ w[(i + 8u) & 15u] ^ w[(i + 2u) & 15u] ^ w[i & 15u], 1);
        if (i < 20u) { f = (b & c) | (~b & d); k = 0x5A827999u; }
        else if (i < 40u) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
        else if (i < 60u) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
        else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
        t = sm_rol32(a, 5) + f + e + k + w[i & 15u];
        e = d; d = c; c = sm_rol32(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

/* Streaming, so that a key identifier (04 || X || Y) needs no copy. */
typedef struct sm_sha1_ctx {
    uint32_t h[5];
    uint32_t len;            /* bytes so far (inputs below 512 MiB) */
    union { uint8_t b[64]; uint32_t w[16]; } block; /* as in sm_sha256_ctx */
} sm_sha1_ctx;

SM_PRIV void sm_sha1_init(sm_sha1_ctx *c)
{
    c->h[0] = 0x67452301u; c->h[1] = 0xEFCDAB89u; c->h[2] = 0x98BADCFEu;
    c->h[3] = 0x10325476u; c->h[4] = 0xC3D2E1F0u;
    c->len = 0;
}

SM_PRIV void sm_sha1_update(sm_sha1_ctx *c, const uint8_t *p, size_t n)
{
    while (n--) {
        c->block.b[c->len++ % 64u] = *p++;
        if (c->len % 64u == 0u) sm_sha1_block(c->h, c->block.w);
    }
}

SM_PRIV void sm_sha1_final(sm_sha1_ctx *c, uint8_t digest[20])
{
    uint32_t bits = c->len << 3;
    unsigned i, at = (unsigned)(c->len % 64u);
    c->block.b[at++] = 0x80u;
    if (at > 56u) { memset(c->block.b + at, 0, 64u - at); sm_sha1_block(c->h, c->block.w); at = 0; }
    memset(c->block.b + at, 0, 60u - at);
    for (i = 0; i < 4u; i++) c->block.b[60u + i] = (uint8_t)(bits >> (24u - 8u * i));
    sm_sha1_block(c->h, c->block.w);
    for (i = 0; i < 20u; i++) digest[i] = (uint8_t)(c->h[i / 4u] >> (24u - 8u * (i % 4u)));
}

SECMODEM_API void sm_sha1(const uint8_t *data, size_t n, uint8_t digest[20])
{
    sm_sha1_ctx c;
    sm_sha1_init(&c);
    if (data) sm_sha1_update(&c, data, n);
    sm_sha1_final(&c, digest);
}

/* ---- the definition ---- */

/* The serial-number sources that hash or copy the chip serial are the odd
   hash sources and DEVICE_SN (0x8). */
SM_PRIV int sm_cert_src_ok(uint8_t s) { return s == SM_CERT_SN_STORED || (s >= 0x8u && s <= 0xFu); }
SM_PRIV int sm_cert_src_device(uint8_t s) { return s == SM_CERT_SN_DEVICE_SN || (s >= 0xAu && (s & 1u)); }
SM_PRIV int sm_cert_needs_serial(const sm_cert_def *def)
{
    return (def->sn.count && sm_cert_src_device(def->sn_source)) || def->sn_hex.count;
}

SM_PRIV int sm_cert_is_hex(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'F') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

/* Length of the template's outer header (30 len). */
SM_PRIV size_t sm_cert_head_len(const uint8_t *t) { return t[1] < 0x80u ? 2u : 2u + (t[1] & 0x7Fu); }

/* A present element lies inside the TBS part, after at least `before`
   bytes of DER that the caller checks (tag, length). */
SM_PRIV int sm_cert_in_body(const sm_cert_def *def, const sm_cert_loc *l, size_t before)
{
    size_t head = sm_cert_head_len(def->tmpl);
    return l->offset >= head + before && (size_t)l->offset + l->count <= def->sig.offset;
}

/* An element preceded by a tag and a one-byte length equal to its count. */
SM_PRIV int sm_cert_tagged(const sm_cert_def *def, const sm_cert_loc *l, uint8_t tag, size_t count)
{
    if (!l->count) return 1;
    return l->count == count && l->offset >= 2u && sm_cert_in_body(def, l, 2) &&
           def->tmpl[l->offset - 2u] == tag && def->tmpl[l->offset - 1u] == count;
}

SM_PRIV int sm_cert_date_loc_ok(const sm_cert_def *def, const sm_cert_loc *l, uint8_t fmt)
{
    if (fmt > SM_CERT_DATE_GEN) return 0;
    return fmt == SM_CERT_DATE_UTC ? sm_cert_tagged(def, l, 0x17, 13) : sm_cert_tagged(def, l, 0x18, 15);
}

/* No two present elements share a byte. */
SM_PRIV int sm_cert_no_overlap(const sm_cert_loc *const *l, size_t n)
{
    size_t i, j;
    for (i = 0; i < n; i++)
        for (j = i + 1u; j < n; j++)
            if (l[i]->count && l[j]->count && l[i]->offset < l[j]->offset + l[j]->count &&
                l[j]->offset < l[i]->offset + l[i]->count)
                return 0;
    return 1;
}

SM_PRIV int sm_cert_sn_loc_ok(const sm_cert_def *def)
{
    const sm_cert_loc *l = &def->sn;
    if (!l->count) return 1;
    if (l->count > 32u || !sm_cert_tagged(def, l, SM_DER_INTEGER, l->count)) return 0;
    if (def->sn_source == SM_CERT_SN_DEVICE_SN) return l->count == 10u;
    if (def->sn_source == SM_CERT_SN_SIGNER_ID) return l->count == 3u;
    return 1;
}

SECMODEM_API int sm_cert_def_check(const sm_cert_def *def)
{
    const uint8_t *t;
    size_t n, so;
    const sm_cert_loc *all[9];
    if (!def || !def->tmpl || def->tmpl_len < 8u) return SM_ERR_PARAM;
    t = def->tmpl;
    n = def->tmpl_len;
    so = def->sig.offset;
    if (t[0] != SM_DER_SEQUENCE || sm_der_value_len(t, n) != n) return SM_ERR_PARAM;
    if (def->template_id > 15u || def->chain_id > 15u || !sm_cert_src_ok(def->sn_source) ||
        def->comp_slot > 15u || def->pub_slot > 15u || def->pub_source > SM_CERT_PUB_SLOT ||
        def->sn_slot > 15u)
        return SM_ERR_PARAM;
    /* the signature: a BIT STRING that ends the certificate */
    if (def->sig.count != 64u || so <= sm_cert_head_len(t) || so >= n || t[so] != SM_DER_BIT_STRING ||
        sm_der_value_len(t + so, n - so) != n - so)
        return SM_ERR_PARAM;
    /* the public key: 03 42 00 04 X Y */
    if (def->pub.count != 64u || def->pub.offset < 4u || !sm_cert_in_body(def, &def->pub, 4) ||
        t[def->pub.offset - 4u] != 0x03u || t[def->pub.offset - 3u] != 0x42u ||
        t[def->pub.offset - 2u] != 0x00u || t[def->pub.offset - 1u] != 0x04u)
        return SM_ERR_PARAM;
    if (!sm_cert_sn_loc_ok(def) || !sm_cert_date_loc_ok(def, &def->issue, def->issue_format) ||
        !sm_cert_date_loc_ok(def, &def->expire, def->expire_format) ||
        !sm_cert_tagged(def, &def->subj_key_id, SM_DER_OCTET_STRING, 20) ||
        !sm_cert_tagged(def, &def->auth_key_id, 0x80, 20))
        return SM_ERR_PARAM;
    if ((def->signer_id.count && (def->signer_id.count != 4u || !sm_cert_in_body(def, &def->signer_id, 0) ||
                                  !sm_cert_is_hex(t + def->signer_id.offset, 4))) ||
        (def->sn_hex.count && (def->sn_hex.count != 18u || !sm_cert_in_body(def, &def->sn_hex, 0) ||
                               !sm_cert_is_hex(t + def->sn_hex.offset, 18))))
        return SM_ERR_PARAM;
    all[0] = &def->sn; all[1] = &def->issue; all[2] = &def->expire; all[3] = &def->signer_id;
    all[4] = &def->pub; all[5] = &def->subj_key_id; all[6] = &def->auth_key_id; all[7] = &def->sn_hex;
    all[8] = &def->sig;
    return sm_cert_no_overlap(all, 9) ? SM_OK : SM_ERR_PARAM;
}

#define SM_CERT_SIG_MAX (3u + SM_ECDSA_DER_MAX) /* 03 49 00 + the longest SEQUENCE */

SECMODEM_API int sm_cert_size(const sm_cert_def *def, unsigned format, size_t *cap)
{
    size_t der, b64;
    if (!cap || format > SM_CERT_PEM || sm_cert_def_check(def)) return SM_ERR_PARAM;
    der = sm_der_tlv_len(def->sig.offset - sm_cert_head_len(def->tmpl) + SM_CERT_SIG_MAX);
    if (format == SM_CERT_PEM) {
        b64 = SM_BASE64_LEN(der);
        der = 2u * (sizeof SM_PEM_LABEL_CERT - 1u) + 32u + b64 + (b64 + 63u) / 64u + 1u;
    }
    *cap = der;
    return SM_OK;
}

/* ---- dates ---- */

SM_PRIV unsigned sm_cert_month_days(unsigned y, unsigned m)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4u == 0u && y % 100u != 0u) || y % 400u == 0u;
    return m == 2u && leap ? 29u : days[m - 1u];
}

SECMODEM_API int sm_cert_dates(const uint8_t comp[SM_CERT_COMP_LEN], uint16_t issue[6], uint16_t expire[6],
                               int *why)
{
    unsigned version, y, mo, d, h, years, i;
    int w;
    if (!why) why = &w;
    *why = SM_CERT_E_INPUT;
    if (!comp || !issue || !expire) return SM_ERR_PARAM;
    version = comp[70] & 0x0Fu;
    *why = SM_CERT_E_VERSION;
    if (version > 1u) return SM_ERR_PARSE;
    /* bytes 64..66: year 5 | month 4 | day 5 | hour 5 | years 5 */
    y = comp[64] >> 3;
    mo = (unsigned)((comp[64] & 0x07u) << 1) | (comp[65] >> 7);
    d = (comp[65] >> 2) & 0x1Fu;
    h = (unsigned)((comp[65] & 0x03u) << 3) | (comp[66] >> 5);
    years = comp[66] & 0x1Fu;
    if (version == 1u) { /* extended dates: two more bits each in byte 71 */
        y |= (unsigned)(comp[71] & 0xC0u) >> 1;
        years |= (unsigned)(comp[71] & 0x30u) << 1;
    }
    y += 2000u;
    *why = SM_CERT_E_DATE;
    if (mo < 1u || mo > 12u || d < 1u || d > sm_cert_month_days(y, mo) || h > 23u) return SM_ERR_PARSE;
    issue[0] = (uint16_t)y; issue[1] = (uint16_t)mo; issue[2] = (uint16_t)d;
    issue[3] = (uint16_t)h; issue[4] = 0; issue[5] = 0;
    if (years == 0u) { /* no expiry: RFC 5280 section 4.1.2.5 */
        static const uint16_t never[6] = { 9999, 12, 31, 23, 59, 59 };
        for (i = 0; i < 6u; i++) expire[i] = never[i];
    } else {
        for (i = 0; i < 6u; i++) expire[i] = issue[i];
        expire[0] = (uint16_t)(y + years);
        if (d > sm_cert_month_days(y + years, mo)) return SM_ERR_PARSE; /* 29 February */
    }
    *why = SM_CERT_E_NONE;
    return SM_OK;
}

SM_PRIV void sm_cert_two(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)('0' + v / 10u % 10u);
    p[1] = (uint8_t)('0' + v % 10u);
}

/* YYMMDDhhmmssZ or YYYYMMDDhhmmssZ. */
SM_PRIV void sm_cert_put_date(uint8_t *p, const uint16_t t[6], uint8_t fmt)
{
    unsigned i;
    if (fmt == SM_CERT_DATE_GEN) { sm_cert_two(p, t[0] / 100u); p += 2; }
    sm_cert_two(p, t[0] % 100u);
    for (i = 1; i < 6u; i++) sm_cert_two(p + 2u * i, t[i]);
    p[12] = 'Z';
}

/* A UTCTime holds 1950..2049; a missing expiry is its last second there
   (as cryptoauthlib writes it, docs/atecc.md A-24); no later date fits. */
SM_PRIV int sm_cert_fit_date(uint16_t t[6], uint8_t fmt)
{
    static const uint16_t utc_end[6] = { 2049, 12, 31, 23, 59, 59 };
    unsigned i;
    if (fmt != SM_CERT_DATE_UTC || t[0] <= 2049u) return 1;
    if (t[0] != 9999u) return 0;
    for (i = 0; i < 6u; i++) t[i] = utc_end[i];
    return 1;
}

/* ---- the rebuild ---- */

SM_PRIV void sm_cert_hex(uint8_t *p, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        p[2u * i] = (uint8_t)digits[b[i] >> 4];
        p[2u * i + 1u] = (uint8_t)digits[b[i] & 0x0Fu];
    }
}

/* The hashed serial number (SHA-256 of the key or the chip serial, and the
   encoded dates): in a frame of its own, as each hash state below, so that
   only one is on the stack at a time. */
SM_NOINLINE SM_PRIV void sm_cert_serial_hash(const sm_cert_def *def, const sm_cert_inputs *in,
                                             uint8_t *sn)
{
    uint8_t s = def->sn_source;
    sm_sha256_ctx c;
    sm_sha256_init(&c);
    if (sm_cert_src_device(s)) sm_sha256_update(&c, in->device_sn, 9);
    else sm_sha256_update(&c, in->pub, 64);
    sm_sha256_update(&c, in->comp + 64, 3);
    if ((in->comp[70] & 0x0Fu) == 1u) { /* version 1: the extended date bits too */
        uint8_t ext = (uint8_t)(in->comp[71] & 0xF0u);
        sm_sha256_update(&c, &ext, 1);
    }
    sm_sha256_final(&c, c.block.b); /* the block is free once hashed: the digest goes there */
    memcpy(sn, c.block.b, def->sn.count);
    if (s <= SM_CERT_SN_DEVICE_SN_HASH_POS) sn[0] &= 0x7Fu; /* positive */
    if (s <= SM_CERT_SN_DEVICE_SN_HASH) sn[0] |= 0x40u;     /* and no byte to trim */
}

/* The serial number's def->sn.count bytes, from its source, to sn. */
SM_PRIV void sm_cert_serial(const sm_cert_def *def, const sm_cert_inputs *in, uint8_t *sn)
{
    uint8_t s = def->sn_source;
    if (s == SM_CERT_SN_STORED) {
        memcpy(sn, in->stored_sn, def->sn.count);
    } else if (s == SM_CERT_SN_DEVICE_SN) {
        sn[0] = 0x40u;
        memcpy(sn + 1, in->device_sn, 9);
    } else if (s == SM_CERT_SN_SIGNER_ID) {
        sn[0] = 0x40u;
        sn[1] = in->comp[67];
        sn[2] = in->comp[68];
    } else {
        sm_cert_serial_hash(def, in, sn);
    }
}

/* SHA-1 of 04 || X || Y: the key identifier. */
SM_NOINLINE SM_PRIV void sm_cert_key_id(const uint8_t pub[64], uint8_t id[20])
{
    static const uint8_t uncompressed = 0x04u;
    sm_sha1_ctx c;
    sm_sha1_init(&c);
    sm_sha1_update(&c, &uncompressed, 1);
    sm_sha1_update(&c, pub, 64);
    sm_sha1_final(&c, id);
}

/* Checks what the compressed certificate claims against the definition. */
SM_PRIV int sm_cert_check_comp(const sm_cert_def *def, const sm_cert_inputs *in, uint16_t is[6],
                               uint16_t ex[6], int *why)
{
    const uint8_t *c = in->comp;
    int rc = sm_cert_dates(c, is, ex, why);
    if (rc == SM_ERR_PARSE && *why == SM_CERT_E_VERSION) return rc;
    if (c[69] != (uint8_t)(def->template_id << 4 | def->chain_id)) {
        *why = SM_CERT_E_TEMPLATE;
        return SM_ERR_PARSE;
    }
    if ((c[70] >> 4) != def->sn_source) { *why = SM_CERT_E_SN_SOURCE; return SM_ERR_PARSE; }
    if (rc) return rc;
    if (!sm_cert_fit_date(is, def->issue.count ? def->issue_format : (uint8_t)SM_CERT_DATE_GEN) ||
        !sm_cert_fit_date(ex, def->expire.count ? def->expire_format : (uint8_t)SM_CERT_DATE_GEN)) {
        *why = SM_CERT_E_DATE_RANGE;
        return SM_ERR_PARSE;
    }
    return SM_OK;
}

SM_PRIV int sm_cert_inputs_ok(const sm_cert_def *def, const sm_cert_inputs *in)
{
    if (!in->comp || !in->pub) return 0;
    if (sm_cert_needs_serial(def) && !in->device_sn) return 0;
    return !(def->sn_source == SM_CERT_SN_STORED && def->sn.count && !in->stored_sn);
}

/* Writes each element into the copied template; `at` is where template
   byte 0 would be (the outer header may have changed size). */
SM_PRIV void sm_cert_patch(const sm_cert_def *def, const sm_cert_inputs *in, uint8_t *out, size_t shift_add,
                           size_t shift_sub, const uint16_t is[6], const uint16_t ex[6])
{
#define SM_CERT_AT(l) (out + (size_t)(l).offset + shift_add - shift_sub)
    if (def->sn.count) sm_cert_serial(def, in, SM_CERT_AT(def->sn));
    if (def->issue.count) sm_cert_put_date(SM_CERT_AT(def->issue), is, def->issue_format);
    if (def->expire.count) sm_cert_put_date(SM_CERT_AT(def->expire), ex, def->expire_format);
    if (def->signer_id.count) sm_cert_hex(SM_CERT_AT(def->signer_id), in->comp + 67, 2);
    memcpy(SM_CERT_AT(def->pub), in->pub, 64);
    if (def->subj_key_id.count) sm_cert_key_id(in->pub, SM_CERT_AT(def->subj_key_id));
    if (def->auth_key_id.count && in->signer_pub)
        sm_cert_key_id(in->signer_pub, SM_CERT_AT(def->auth_key_id));
    if (def->sn_hex.count) sm_cert_hex(SM_CERT_AT(def->sn_hex), in->device_sn, 9);
#undef SM_CERT_AT
}

SECMODEM_API int sm_cert_rebuild(const sm_cert_def *def, const sm_cert_inputs *in, uint8_t *out,
                                 size_t cap, size_t *out_len, int *why)
{
    uint16_t is[6], ex[6];
    static const uint8_t no_unused_bits = 0;
    size_t sl = 0, head, body, content, total;
    sm_der d;
    int w, rc;
    if (!why) why = &w;
    *why = SM_CERT_E_DEF;
    if (sm_cert_def_check(def)) return SM_ERR_PARAM;
    *why = SM_CERT_E_INPUT;
    if (!in || !out_len || !sm_cert_inputs_ok(def, in)) return SM_ERR_PARAM;
    rc = sm_cert_check_comp(def, in, is, ex, why);
    if (rc) return rc;
    (void)sm_ecdsa_sig_to_der(in->comp, NULL, 0, &sl); /* measures: 8..72 bytes */
    head = sm_cert_head_len(def->tmpl);
    body = def->sig.offset - head;            /* TBSCertificate and signatureAlgorithm */
    content = body + sm_der_tlv_len(sl + 1u); /* + the BIT STRING of the new signature */
    total = sm_der_tlv_len(content);
    *out_len = total;
    if (!out || cap < total) { *why = SM_CERT_E_SPACE; return SM_ERR_NO_SPACE; }
    sm_der_init(&d, out, cap);
    sm_der_header(&d, SM_DER_SEQUENCE, content);
    memcpy(out + d.len, def->tmpl + head, body);
    sm_cert_patch(def, in, out, d.len, head, is, ex);
    d.len += body;
    /* BIT STRING { 00, SEQUENCE { r, s } }, the SEQUENCE written in place */
    sm_der_header(&d, SM_DER_BIT_STRING, sl + 1u);
    sm_der_raw(&d, &no_unused_bits, 1);
    (void)sm_ecdsa_sig_to_der(in->comp, out + d.len, cap - d.len, &sl); /* fits: total <= cap */
    d.len += sl;
    *why = SM_CERT_E_NONE;
    return sm_der_finish(&d, out_len);
}

SECMODEM_API const char *sm_cert_why_name(int why)
{
#define SM_CERT_E_TEXT_(name, text) text,
    static const char *const texts[] = { SM_CERT_WHY_LIST(SM_CERT_E_TEXT_) };
#undef SM_CERT_E_TEXT_
    return why >= 0 && (unsigned)why < sizeof texts / sizeof texts[0] ? texts[why] : "?";
}

/* ---- from the chip ---- */

enum { SM_CERT_S_IDLE = 0, SM_CERT_S_COMP, SM_CERT_S_KEY, SM_CERT_S_SERIAL, SM_CERT_S_STORED,
       SM_CERT_S_BUILD };
#define SM_CERT_SKIP 1 /* sm_cert_issue(): this step has nothing (more) to read */

/* Part 0..3 of a 72-byte slot: blocks 0 and 1 (32 bytes each), then words
   0 and 1 of block 2 (4 bytes each): a 32-byte read of block 2 would run
   past the slot's end. */
SM_PRIV int sm_cert_read_part(sm_cert_op *op, uint8_t slot, uint8_t *dst)
{
    sm_atecc_cmd c;
    uint8_t p = op->part, len = p < 2u ? 32u : 4u;
    /* not "word": Arduino.h has a type of that name (-Wshadow in a sketch) */
    uint8_t block = p < 2u ? p : 2u, in_block = p < 2u ? 0u : (uint8_t)(p - 2u);
    size_t at = p < 2u ? 32u * p : 64u + 4u * (size_t)(p - 2u);
    uint16_t addr = sm_atecc_addr(SM_ATECC_ZONE_DATA, slot, block, in_block);
    (void)sm_atecc_cmd_read(&c, SM_ATECC_ZONE_DATA, addr, len);
    return sm_atecc_start(op->se, &c, dst + at, len);
}

/* Starts the chip command of (step, part): its status, or SM_CERT_SKIP. */
SM_PRIV int sm_cert_issue(sm_cert_op *op)
{
    const sm_cert_def *def = op->def;
    sm_atecc_cmd c;
    switch (op->step) {
    case SM_CERT_S_COMP:
        return op->part < 4u ? sm_cert_read_part(op, def->comp_slot, op->comp) : SM_CERT_SKIP;
    case SM_CERT_S_KEY:
        if (def->pub_source == SM_CERT_PUB_GENKEY)
            return op->part == 0u ? sm_atecc_pubkey_start(op->se, def->pub_slot, op->key) : SM_CERT_SKIP;
        return op->part < 4u ? sm_cert_read_part(op, def->pub_slot, op->key) : SM_CERT_SKIP;
    case SM_CERT_S_SERIAL:
        if (op->part || !sm_cert_needs_serial(def)) return SM_CERT_SKIP;
        return sm_atecc_serial_start(op->se, op->sn);
    case SM_CERT_S_STORED:
        if (op->part || def->sn_source != SM_CERT_SN_STORED || !def->sn.count) return SM_CERT_SKIP;
        (void)sm_atecc_cmd_read(&c, SM_ATECC_ZONE_DATA,
                                sm_atecc_addr(SM_ATECC_ZONE_DATA, def->sn_slot, 0, 0), 32);
        return sm_atecc_start(op->se, &c, op->stored, sizeof op->stored);
    default:
        return SM_CERT_SKIP;
    }
}

SM_PRIV int sm_cert_end(sm_cert_op *op, int rc)
{
    op->result = rc;
    op->step = SM_CERT_S_IDLE;
    return rc;
}

/* Everything is read: the certificate, in place. */
SM_PRIV int sm_cert_build(sm_cert_op *op)
{
    sm_cert_inputs in;
    int rc;
    if (op->def->pub_source == SM_CERT_PUB_SLOT) { /* 4 pad bytes before X and before Y */
        memmove(op->key, op->key + 4, 32);
        memmove(op->key + 32, op->key + 40, 32);
    }
    in.comp = op->comp;
    in.pub = op->key;
    in.signer_pub = op->signer_pub;
    in.device_sn = op->sn;
    in.stored_sn = op->stored;
    rc = sm_cert_rebuild(op->def, &in, op->out, op->cap, &op->len, &op->why);
    if (rc == SM_OK && op->format == SM_CERT_PEM)
        rc = sm_pem_encode(SM_PEM_LABEL_CERT, op->out, op->len, (char *)op->out, op->cap, &op->len);
    return sm_cert_end(op, rc);
}

/* The next chip command, or the rebuild when nothing is left to read. */
SM_PRIV int sm_cert_next(sm_cert_op *op)
{
    int rc;
    while (op->step < SM_CERT_S_BUILD) {
        rc = sm_cert_issue(op);
        if (rc == SM_OK) { op->part++; return SM_ATECC_PENDING; }
        if (rc != SM_CERT_SKIP) return sm_cert_end(op, rc);
        op->step++;
        op->part = 0;
    }
    return sm_cert_build(op);
}

SECMODEM_API int sm_cert_start(sm_cert_op *op, sm_atecc *se, const sm_cert_def *def,
                               const uint8_t *signer_pub, unsigned format, void *out, size_t cap)
{
    size_t need = 0;
    int rc;
    if (!op) return SM_ERR_PARAM;
    memset(op, 0, sizeof *op);
    op->result = SM_ERR_PARAM;
    op->why = SM_CERT_E_INPUT;
    if (!se || format > SM_CERT_PEM || (!out && cap)) return SM_ERR_PARAM;
    op->why = SM_CERT_E_DEF;
    if (sm_cert_size(def, format, &need)) return SM_ERR_PARAM;
    op->len = need;
    op->why = SM_CERT_E_SPACE;
    if (!out || cap < need) return op->result = SM_ERR_NO_SPACE;
    op->why = SM_CERT_E_NONE;
    if (sm_atecc_busy(se)) return op->result = SM_ERR_BUSY;
    op->se = se;
    op->def = def;
    op->signer_pub = signer_pub;
    op->out = (uint8_t *)out;
    op->cap = cap;
    op->format = (uint8_t)format;
    op->step = SM_CERT_S_COMP;
    rc = sm_cert_read_part(op, def->comp_slot, op->comp); /* always the first read */
    if (rc) return sm_cert_end(op, rc);
    op->part = 1;
    op->result = SM_ATECC_PENDING;
    return SM_OK;
}

SECMODEM_API int sm_cert_poll(sm_cert_op *op)
{
    int rc;
    if (!op) return SM_ERR_PARAM;
    if (op->step == SM_CERT_S_IDLE) return op->result;
    rc = sm_atecc_poll(op->se);
    if (rc == SM_ATECC_PENDING) return rc;
    return rc ? sm_cert_end(op, rc) : sm_cert_next(op);
}

SECMODEM_API size_t sm_cert_out_len(const sm_cert_op *op) { return op ? op->len : 0u; }
SECMODEM_API const uint8_t *sm_cert_subject_key(const sm_cert_op *op) { return op ? op->key : NULL; }
SECMODEM_API int sm_cert_why(const sm_cert_op *op) { return op ? op->why : SM_CERT_E_INPUT; }

SECMODEM_API int sm_cert_run_blocking(sm_cert_op *op, sm_atecc *se, const sm_cert_def *def,
                                      const uint8_t *signer_pub, unsigned format, void *out,
                                      size_t cap)
{
    int rc = sm_cert_start(op, se, def, signer_pub, format, out, cap);
    /* each chip step ends by its deadlines; at most 10 of them */
    if (rc == SM_OK)
        do { rc = sm_cert_poll(op); } while (rc == SM_ATECC_PENDING);
    return rc;
}
#endif /* !SM_NO_ATECC && !SM_NO_CSR && !SM_NO_CERTS */

#if !defined(SM_NO_SEQUANS) && !defined(SM_NO_MQTT) && !defined(SM_NO_MQTT_SESSION)
/* ==========================================================================
   14. GLUE: A SEQUANS SOCKET AS THE MQTT SESSION'S TRANSPORT (implementation)
   ========================================================================== */
/* send only queues; flush starts one AT+SQNSSENDEXT for all of it */
SM_PRIV int sm_mqtt_sqn_send(void *user, const uint8_t *data, size_t len)
{
    return sm_sqn_stream_queue((sm_sqn_stream *)user, data, len);
}
SM_PRIV void sm_mqtt_sqn_flush(void *user) { sm_sqn_stream_kick((sm_sqn_stream *)user); }
SM_PRIV int sm_mqtt_sqn_recv(void *user, uint8_t *buf, size_t cap)
{
    return sm_sqn_stream_read((sm_sqn_stream *)user, buf, cap);
}
SM_PRIV uint32_t sm_mqtt_sqn_now(void *user)
{
    return sm_at_now(&((sm_sqn_stream *)user)->m->at);
}
SECMODEM_API void sm_mqtt_transport_sqn(sm_mqtt_transport *t, sm_sqn_stream *s)
{
    if (!t) return;
    t->user = s;
    t->send = sm_mqtt_sqn_send;
    t->recv = sm_mqtt_sqn_recv;
    t->now_ms = sm_mqtt_sqn_now;
    t->flush = sm_mqtt_sqn_flush;
}
#endif /* !SM_NO_SEQUANS && !SM_NO_MQTT && !SM_NO_MQTT_SESSION */

#ifdef __cplusplus
}
#endif
#endif /* SECMODEM_IMPLEMENTATION */

/*
   ==========================================================================
   VERSION HISTORY
     unreleased  Sequans operations are descriptors with a command format,
            as Cordelia-I's are (SM_SQN_OPDEF: format with typed
            directives, answer prefix, kind, feature, timeout, payload
            framing, finish function): the start functions check what a
            directive cannot and hand the values to sm_sqn_start, and
            every command, the MQTT supervision's and the time sync's
            included, is built in the engine's queue instead of a buffer
            on the stack (the deepest Sequans call, static graph, 504 ->
            452 bytes). The bytes sent are unchanged. A string argument
            that is wrong is reported as such (SM_ERR_PARAM,
            SM_ERR_UNSAFE_STRING) even when the queue is full. Each
            descriptor's format and prefix are arrays of their own, so a
            program no longer carries the answer prefixes of operations
            it never calls.
            Sequans: sm_sqn_identity() (AT+CGSN=2: IMEI and SVN),
            sm_sqn_func_read() (AT+CFUN?: the functionality level).
            Cordelia-I: sm_cord_hibernate() (AT+hibernate=<seconds>).
            One event struct, sm_event, for both dialects (it replaces
            sm_sqn_event and sm_cord_event; its type is an int, the
            dialect's SM_*_EV_*). Every event carries its line (Sequans
            events did only for UNHANDLED). Sequans: u.line.text/len are
            line/line_len, u.hce.line/len too; u.restart.count is
            u.startup.count (Cordelia-I STARTUP sets it too); u.sock.bytes
            is u.sock.value (id an int);
            u.mqtt.rc, u.sub.rc, u.pub.rc, u.sup.rc are .code; u.msg
            carries total (= len) and payload NULL. Cordelia-I: u.msg.qos
            is a uint8_t, u.msg.len/total uint32_t. The Sequans socket
            functions and sm_sqn_stream_init take the socket as an int,
            as Cordelia-I's do. sm_sqn_event_name() and
            sm_cord_event_name() take the event's type as an int.
            Cordelia-I's socket functions are named as Sequans' are,
            sm_<d>_<family>_<verb>: sm_cord_socket, _socket_tls, _connect,
            _send, _recv, _close are sm_cord_sock_open, _tls, _dial, _send,
            _recv, _close, and sm_cord_sock_dial takes the address before
            the port, as sm_sqn_sock_dial does; the kinds SOCKET,
            SOCKET_TLS, CONNECT, SEND, RECV, CLOSE, PUBLISH are SOCK_OPEN,
            SOCK_TLS, SOCK_DIAL, SOCK_SEND, SOCK_RECV, SOCK_CLOSE,
            MQTT_PUBLISH, and FILE_INFO, WLAN_MODE are FILE_GET_INFO,
            WLAN_SET_MODE (their names for logs are unchanged).
            Engine: every line handed on is NUL-terminated at its length
            (the bytes a restart marker cut off a line were not);
            sm_at_response.raw_over counts the raw bytes that came and
            were not stored, and a truncated Sequans NVM metadata read
            reports the line's length in total (it said len); bytes lost
            rather than too many are SM_ERR_PARSE there. sm_at_feed hands
            the common byte of a line straight to the line parser (23
            instead of 25 instructions per byte); sm_at_poll reads in
            24-byte pieces (8 bytes less stack under it).
            One result struct, sm_result, for both dialects (it
            replaces sm_sqn_result and sm_cord_result). Sequans:
            u.data.len/total/id and u.send.len/id are len/total/value,
            u.pmid is value, u.data.text is u.nvm_text, u.data.remaining
            is u.remaining, u.info is u.sock_info. Cordelia-I: info is
            u.file_info (its flags_text a pointer, valid during the
            callback), group/key are u.setting.group/key. sm_sqn_clock is
            sm_datetime, sm_cord_file_info sm_file_info; sm_sqn_op_name()
            and sm_cord_op_name() take the result's op as an int.
            Reads by raw_lead need sm_at_use_headerless() first (else
            SM_ERR_STATE): a program that never reads so no longer links
            their code (about 1.4 KB on a Cortex-M); nor, unless it calls
            sm_at_on_long_line(), the code of over-long lines in pieces
            (about 190 bytes); commands with SM_AT_F_RAW_AFTER need
            sm_at_use_inline_raw() first (sm_at_cut_urc() turns the same
            code on), and programs with neither do not carry it (about
            250 bytes).
            MQTT 3.1.1 client session (section 10) over any byte
            stream: QoS 0/1/2, exactly-once delivery, keep-alive,
            persistent-session re-sending; SM_ERR_REFUSED.
            The transport's optional flush, and sm_sqn_stream_queue: over
            the Sequans socket stream a PUBLISH's header and payload go out
            in one AT+SQNSSENDEXT (they were two sends, two TLS records).
            Commands are built in the engine's queue (sm_at_text_space):
            the Cordelia-I struct no longer keeps a command buffer of its
            own (224 bytes less RAM per module).
            A headerless read (raw_lead) answered by ERROR / +CME ERROR
            ends with that error at once (at the line that completes it, or
            after SM_AT_RAW_ERROR_QUIET_MS of quiet), not after its
            deadlines (a Sequans MQTT read of a message that was gone held
            the queue for SM_SQN_SOCK_TIMEOUT_MS).
            Conformance with the real modules (docs/sequans.md,
            docs/cordelia.md; published device logs replayed in make test).
            Engine: URCs before a headerless payload told apart by the
            announced length (stats.lead_urcs), reads that do not frame
            reported (raw_unframed), never as payload; 0xFF and other
            non-text bytes dropped from lines (stats.noise);
            SM_AT_F_LINE_TO_RAW (answers longer than a line, no count);
            SM_AT_F_DIAL (NO CARRIER & co. end a dial only); an
            interrupted counted payload is met with its real bytes
            (SM_PH_TX_OWED, stats.tx_replayed), no NUL-filled message;
            over-long lines of a registered prefix in pieces
            (sm_at_on_long_line), URCs cut for raw bytes (sm_at_cut_urc).
            Sequans: one-field publish answer; HTTP body read without a
            size (sm_sqn_http_read_max for the sized form); quoted HTTPRING
            type; NVR metadata line (u.nvm_text); NVW size without CR,
            reserved slots refused; no plaintext-MQTT profile unless
            allow_plaintext_fallback; +SQNHCESIGN read as Microchip's
            driver does, HCE_INVALID, sm_hce_set_key_slot; time sync
            (sm_sqn_time_sync, sm_sqn_clock_set, bring-up option) and
            supervision of the modem's MQTT client (resume, re-subscribe,
            probe, MQTT_LOST).
            Cordelia-I: error lines in any casing, Base64 fileread count,
            textual getinfo flags, events before OK, Calypso sockets,
            MQTT messages longer than a line delivered whole
            (sm_cord_set_msg_buffer), sm_cord_bringup.
            Hardening (issue 18): a URC sharing the prefix of the command
            in flight reaches its handler when it comes before the command
            is written or echoed, or when is_answer tells its form
            (sm_at_reg_answer for +CREG/+CGREG/+CEREG); a clock that steps
            back or jumps costs no deadline more than its length (sm_clock);
            reads alike in both dialects (SM_ERR_TRUNCATED, SM_ERR_PARSE with
            len 0 and nothing in the buffer, docs/receive-checks.md); send
            results carry the byte count; the MQTT session fuzzed against a
            hostile broker (four defects fixed: a QoS 1 PUBLISH reusing a
            QoS 2 id, the deadline while disconnecting, answers before
            their packet was written, one byte per poll).
            MQTT session: SM_MQTT_RX_ID_BITMAP, any number of QoS 2 messages
            in flight (issue 19). Section 13, compressed certificates:
            the ATECC608's pre-provisioned device and signer certificates
            rebuilt (issue 20). Section 14: the Sequans stream as an MQTT
            transport, out of section 10. Enum names from X-macro lists.
            Supervision commands built in the queue (sm_sqn_poll's stack
            884 -> 536 B on Cortex-M4). The Arduino library built with the
            real Arduino AVR core (issue 22).
            Issue 21 (one operation layer), first slices: one vocabulary
            (events' `type`, results' `code`, *_config and *_opts: renames
            sm_cord_event_kind, the Cordelia event's `kind`, the Sequans
            result's and the host-signing event's `cme`,
            sm_cord_mqtt_configure and its struct); operations as
            descriptors that only their start functions name, in both
            dialects; URC handlers by feature, registered by a feature's
            first operation or sm_sqn_use_* / sm_cord_use_*;
            sm_cert_run_blocking takes the caller's sm_cert_op; every
            public call within 512 B of stack on Cortex-M4 (along the
            static call graph; the Cordelia-I handlers parse in a scratch
            of the module's); AT+CSQ (sm_sqn_signal); sm_sqn_pending,
            sm_sqn_busy, sm_sqn_cancel and sm_sqn_wait as section 7 has
            them; the MQTT
            supervision's probe and reconnect a feature of their own;
            CONTRIBUTING.md. Then one operation layer (section 5.4):
            sm_op/sm_ops keep both dialects' records, ids and last
            statuses (SM_OPS_RECENT); one URC row lookup (sm_urc_first,
            sm_urc_rows, SM_URC_ROWS); one verdict on a command built in
            the queue (QUEUE_FULL or PARAM); sm_at_submit_all queues an
            operation's commands all or none.
     0.2.0  (2026-11) Sequans GM02S dialect: bring-up, NVM,
            security profiles, sockets, built-in MQTT and HTTP clients;
            SM_ERR_STATE; the engine recognises echoes longer than a line.
            From the end-to-end tests against the simulator: a restart that
            ends a command lets the line settle (the command may still be
            answered); the Sequans bring-up keeps echo on (ATE1).
            From the soak test: a command that times out waiting for its
            prompt gets its filler and terminator at once (a prompt lost on
            the wire left the modem counting, and the next command became
            the payload).
            ATECC608: command encoder/decoder with CRC, non-blocking I2C
            transport (wake, polling, retries, watchdog, idle/sleep),
            commands and helpers (serial, locks, public key, sign, verify).
            Cordelia-I dialect (sm_cord_*): events, settings, MQTT settings,
            Wi-Fi, file system with chunked upload and Base64 read, TLS
            sockets, on-module MQTT; engine: raw data inline in a response
            line (SM_AT_F_RAW_AFTER); utilities: Base64, sm_parse_u32.
            Certificate signing requests (section 11): SHA-256, a DER
            writer, subjects, PKCS#10 for an ATECC608 key signed by the
            chip (non-blocking, in place), PEM.
            Host signing (section 12, sm_hce): the Sequans modem's TLS
            client signature (+SQNHCESIGN, SM_SQN_EV_HCE_SIGN,
            sm_sqn_hce_reply) made by the ATECC608, so that the device key
            never leaves the chip.
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
