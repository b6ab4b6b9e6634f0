/* test_third_dialect.c - a third dialect, written the way CONTRIBUTING.md's
   "add a modem dialect" checklist says, on what the engine and section 5.4
   give every dialect: operation records kept by sm_ops (pipelined here,
   as Sequans), an operation's commands queued all or none
   (sm_at_submit_all), a feature's URC rows registered by its first
   operation and found by sm_urc_first, and pending / busy / wait with the
   statuses of the last SM_OPS_RECENT operations, one sm_result, one
   sm_event. The toy modem ("toy")
   has two operations: GET (`AT+GET=<n>`, answer `+GET: <value>`) and PAIR
   (`AT+A` then `AT+B`, one operation of two commands), and one feature
   with a URC, `+TOY: <n>`. What it checks is that a dialect needs nothing
   of its own for ids, records, statuses or routing.
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake.h"
#include "../../common/sm_status_name.h"

/* ---- the toy dialect ----------------------------------------------------- */
struct toy;
/* the result is section 5.4's sm_result and the event its sm_event, as in
   every dialect; the callbacks have their shape */
typedef void (*toy_done_fn)(void *ctx, struct toy *m, const sm_result *r);
typedef void (*toy_event_fn)(void *ctx, struct toy *m, const sm_event *ev);

typedef struct toy_op {
    sm_op base;              /* first: section 5.4's head */
    struct toy *m;
    int kind;
    toy_done_fn done;
    void *ctx;
    uint8_t cmds;            /* commands still to complete */
    int32_t value;
    int err;                 /* the status of the first failing command, 0 none */
    uint8_t bad;             /* an answer that did not parse */
} toy_op;

typedef struct toy {
    sm_at at;
    toy_op ops[2];
    sm_ops opq;
    const sm_urc_rows *feat; /* the one feature, registered by its first operation */
    toy_event_fn on_event;
    void *event_ctx;
} toy;

enum { TOY_GET = 1, TOY_PAIR = 2 };
enum { TOY_EV_TOY = 1, TOY_EV_UNHANDLED }; /* the toy's event list */

static void toy_emit(toy *m, int type, const char *line, size_t len)
{
    sm_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.line = line;
    ev.line_len = len;
    if (m->on_event) m->on_event(m->event_ctx, m, &ev);
}

static void toy_urc_toy(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at;
    toy_emit((toy *)ctx, TOY_EV_TOY, line, len);
}
static const sm_urc toy_feature_urcs[] = { { "+TOY:", toy_urc_toy } };
static const sm_urc_rows toy_feature = SM_URC_ROWS(toy_feature_urcs);

/* The engine's table routes the feature's line to its rows, or reports it
   unhandled before the feature is registered. */
static void toy_route(void *ctx, sm_at *at, const char *line, size_t len)
{
    toy *m = (toy *)ctx;
    const sm_urc *row = m->feat ? sm_urc_first(m->feat->rows, m->feat->n, line, len) : NULL;
    if (row) {
        row->fn(ctx, at, line, len);
        return;
    }
    toy_emit(m, TOY_EV_UNHANDLED, line, len); /* never lost */
}
static const sm_urc toy_urcs[] = { { "+TOY:", toy_route } };

static void toy_get_line(void *ctx, sm_at *at, const char *line, size_t len)
{
    toy_op *op = (toy_op *)ctx;
    (void)at;
    if (sm_parse_i32(line + 6, len - 6, 0, 1000, &op->value)) op->bad = 1;
}

static void toy_cmd_done(void *ctx, const sm_at_response *r)
{
    toy_op *op = (toy_op *)ctx;
    toy *m = op->m;
    sm_result res;
    toy_done_fn done = op->done;
    void *dctx = op->ctx;
    if (r->result != SM_AT_OK && !op->err) op->err = sm_at_result_status(r->result);
    if (--op->cmds) return;
    memset(&res, 0, sizeof res);
    res.id = (int)op->base.id;
    res.op = (uint8_t)op->kind;
    res.status = op->err ? op->err : op->bad ? (int)SM_ERR_PARSE : (int)SM_OK;
    res.code = SM_AT_NO_CODE;
    res.value = (uint32_t)op->value;
    sm_ops_close(&m->opq, &op->base, res.status); /* before the callback */
    if (done) done(dctx, m, &res);
}

static int toy_queue(toy *m, int kind, sm_at_cmd *c, size_t n, toy_done_fn done, void *ctx)
{
    toy_op *op = (toy_op *)(void *)sm_ops_claim(&m->opq);
    size_t i;
    int rc;
    if (!op) return SM_ERR_QUEUE_FULL;
    for (i = 0; i < n; i++) {
        c[i].on_done = toy_cmd_done;
        c[i].ctx = op;
    }
    rc = sm_at_submit_all(&m->at, c, n);
    if (rc < 0) return rc; /* the record stays free */
    op->m = m;
    op->kind = kind;
    op->done = done;
    op->ctx = ctx;
    op->cmds = (uint8_t)n;
    m->feat = &toy_feature; /* the feature's first operation registers it */
    return sm_ops_open(&m->opq, &op->base);
}

static int toy_get(toy *m, unsigned n, toy_done_fn done, void *ctx)
{
    char t[24];
    sm_buf b;
    sm_at_cmd c;
    sm_buf_init(&b, t, sizeof t);
    sm_buf_str(&b, "AT+GET=");
    sm_buf_u32(&b, n);
    if (sm_buf_finish(&b)) return SM_ERR_PARAM;
    memset(&c, 0, sizeof c);
    c.text = t;
    c.prefix = "+GET:";
    c.on_line = toy_get_line;
    return toy_queue(m, TOY_GET, &c, 1, done, ctx);
}

static int toy_pair(toy *m, toy_done_fn done, void *ctx)
{
    sm_at_cmd c[2];
    memset(c, 0, sizeof c);
    c[0].text = "AT+A";
    c[1].text = "AT+B";
    return toy_queue(m, TOY_PAIR, c, 2, done, ctx);
}

static int toy_init(toy *m, const sm_platform *p, toy_event_fn on_event, void *ctx)
{
    int rc;
    memset(m, 0, sizeof *m);
    rc = sm_at_init(&m->at, p, NULL);
    if (!rc) rc = sm_at_add_urcs(&m->at, toy_urcs, 1, m);
    sm_ops_init(&m->opq, m->ops, sizeof m->ops[0], 2); /* pipelined */
    m->on_event = on_event;
    m->event_ctx = ctx;
    return rc;
}

static int toy_wait(toy *m, int id)
{
    while (sm_ops_pending(&m->opq, id)) (void)sm_at_poll(&m->at);
    return sm_ops_status(&m->opq, id);
}

/* ---- the test ------------------------------------------------------------- */
typedef struct T {
    sm_fake io;
    toy m;
} T;
static T g_t; /* test-binary state, not library state */

static void on_done(void *ctx, toy *m, const sm_result *r)
{
    T *t = (T *)ctx;
    char tmp[64];
    (void)m;
    snprintf(tmp, sizeof tmp, "{%d op=%d %s v=%ld}", r->id, r->op, sm_test_status_name(r->status),
             (long)r->value);
    sm_fake_log(&t->io, tmp);
}

static void on_event(void *ctx, toy *m, const sm_event *ev)
{
    T *t = (T *)ctx;
    (void)m;
    if (ev->type == TOY_EV_UNHANDLED) {
        sm_fake_log(&t->io, "[unhandled]");
        return;
    }
    sm_fake_log(&t->io, "[TOY ");
    sm_fake_log_escaped(&t->io, ev->line + 6, ev->line_len - 6);
    sm_fake_log(&t->io, "]");
}

static void feed(T *t, const char *s) { sm_at_feed(&t->m.at, (const uint8_t *)s, strlen(s)); }

static void test_third_dialect(void)
{
    T *t = &g_t;
    sm_platform p;
    int a, b, c;
    memset(t, 0, sizeof *t);
    memset(&p, 0, sizeof p);
    p.user = &t->io;
    p.write = sm_fake_write;
    p.now_ms = sm_fake_now;
    CHECK_EQ_INT(toy_init(&t->m, &p, on_event, t), SM_OK);
    /* the feature's URC before its first operation: unhandled, not lost */
    feed(t, "\r\n+TOY: 1\r\n");
    SM_FAKE_LOG_IS(&t->io, "[unhandled]");
    /* two operations, the second of two commands: ids from the shared layer */
    a = toy_get(&t->m, 7, on_done, t);
    b = toy_pair(&t->m, on_done, t);
    CHECK_EQ_INT(a, 1);
    CHECK_EQ_INT(b, 2);
    CHECK_EQ_INT(sm_ops_busy(&t->m.opq), 2);
    CHECK_EQ_INT(sm_ops_pending(&t->m.opq, b), 1);
    /* no third record: refused, nothing queued */
    CHECK_EQ_INT(toy_get(&t->m, 8, on_done, t), SM_ERR_QUEUE_FULL);
    CHECK_EQ_INT(sm_at_queue_free(&t->m.at), SM_QUEUE_DEPTH - 3);
    /* now routed to the registered feature */
    feed(t, "\r\n+TOY: 2\r\n");
    SM_FAKE_LOG_IS(&t->io, "[TOY 2]");
    sm_at_poll(&t->m.at);
    sm_fake_expect_tx(&t->io, "AT+GET=7\r", 9, __FILE__, __LINE__);
    feed(t, "\r\n+GET: 42\r\n\r\nOK\r\n");
    SM_FAKE_LOG_IS(&t->io, "{1 op=1 ok v=42}");
    CHECK_EQ_INT(sm_ops_pending(&t->m.opq, a), 0);
    CHECK_EQ_INT(sm_ops_status(&t->m.opq, a), SM_OK);
    /* the pair ends with its second command, reporting the failure */
    sm_at_poll(&t->m.at);
    feed(t, "\r\nOK\r\n");
    sm_at_poll(&t->m.at);
    CHECK_EQ_STR(t->io.log, "");
    feed(t, "\r\nERROR\r\n");
    SM_FAKE_LOG_IS(&t->io, "{2 op=2 modem v=0}");
    CHECK_EQ_INT(sm_ops_status(&t->m.opq, b), SM_ERR_MODEM);
    sm_fake_expect_tx(&t->io, "AT+A\rAT+B\r", 10, __FILE__, __LINE__);
    /* an answer that does not parse ends the operation with SM_ERR_PARSE */
    c = toy_get(&t->m, 8, on_done, t);
    sm_at_poll(&t->m.at);
    feed(t, "\r\n+GET: many\r\n\r\nOK\r\n");
    SM_FAKE_LOG_IS(&t->io, "{3 op=1 parse v=0}");
    CHECK_EQ_INT(sm_ops_status(&t->m.opq, c), SM_ERR_PARSE);
    /* the records are free again: a blocking wait on a fourth one */
    c = toy_get(&t->m, 9, on_done, t);
    CHECK_EQ_INT(c, 4);
    sm_at_poll(&t->m.at); /* on the wire */
    t->io.now += SM_AT_TIMEOUT_MS + 1; /* no answer: its deadline ends it */
    CHECK_EQ_INT(toy_wait(&t->m, c), SM_ERR_TIMEOUT);
    SM_FAKE_LOG_IS(&t->io, "{4 op=1 timeout v=0}");
    CHECK_EQ_INT(sm_ops_busy(&t->m.opq), 0);
}

int main(void)
{
    test_third_dialect();
    return sm_test_finish("test_third_dialect");
}
