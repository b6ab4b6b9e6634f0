/* test_ops.c - unit tests of section 5.4, the operation records every
   dialect shares: ids, the two policies (pipelined records that never move,
   in-order records whose first one runs), the library's own records, and the
   statuses remembered for sm_<d>_wait(). The dialects' tests (test_sequans,
   test_cordelia) check the same through their public calls.
   make test-unit: runs alone, needs only a C compiler. */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"

/* A dialect's record: the shared head first, then its own fields. */
typedef struct rec {
    sm_op base;
    int payload;
} rec;

static rec *open_one(sm_ops *o, int payload, int *id)
{
    rec *r = (rec *)(void *)sm_ops_claim(o);
    if (!r) return NULL;
    r->payload = payload;
    *id = sm_ops_open(o, &r->base);
    return r;
}

static void test_pipelined(void)
{
    rec recs[3];
    sm_ops o;
    rec *a, *b, *c, *d;
    int ia = 0, ib = 0, ic = 0, id = 0;
    memset(recs, 0, sizeof recs); /* the dialect zeroes its struct first */
    sm_ops_init(&o, recs, sizeof recs[0], 3); /* pipelined */
    CHECK_EQ_INT(sm_ops_busy(&o), 0);
    a = open_one(&o, 10, &ia);
    b = open_one(&o, 20, &ib);
    c = open_one(&o, 30, &ic);
    CHECK(a == &recs[0] && b == &recs[1] && c == &recs[2]);
    CHECK_EQ_INT(ia, 1);
    CHECK_EQ_INT(ib, 2);
    CHECK_EQ_INT(ic, 3);
    CHECK_EQ_INT(sm_ops_busy(&o), 3);
    CHECK(sm_ops_claim(&o) == NULL); /* full */
    /* the middle one ends: nothing moves (the engine points at records) */
    sm_ops_close(&o, &b->base, SM_ERR_TIMEOUT);
    CHECK_EQ_INT(recs[0].payload, 10);
    CHECK_EQ_INT(recs[2].payload, 30);
    CHECK_EQ_INT(sm_ops_pending(&o, ib), 0);
    CHECK_EQ_INT(sm_ops_pending(&o, ia), 1);
    CHECK_EQ_INT(sm_ops_status(&o, ib), SM_ERR_TIMEOUT);
    CHECK_EQ_INT(sm_ops_status(&o, ia), SM_ERR_PARAM); /* still running */
    /* the freed record is the next one, zeroed; claimed without open it is
       still free (a start function that fails after claiming leaks nothing) */
    d = (rec *)(void *)sm_ops_claim(&o);
    CHECK(d == &recs[1]);
    CHECK_EQ_INT(d->payload, 0);
    CHECK_EQ_INT(sm_ops_busy(&o), 2);
    CHECK((rec *)(void *)sm_ops_claim(&o) == &recs[1]);
    d = open_one(&o, 40, &id);
    CHECK_EQ_INT(id, 4);
    /* the library's own work: not counted, not pending, not remembered */
    d->base.own = 1;
    CHECK_EQ_INT(sm_ops_busy(&o), 2);
    CHECK_EQ_INT(sm_ops_pending(&o, id), 0);
    sm_ops_close(&o, &d->base, SM_OK);
    CHECK_EQ_INT(sm_ops_status(&o, id), SM_ERR_PARAM);
    CHECK_EQ_INT(o.used, 2);
    sm_ops_close(&o, &a->base, SM_OK);
    sm_ops_close(&o, &c->base, SM_ERR_MODEM);
    CHECK_EQ_INT(sm_ops_busy(&o), 0);
    CHECK_EQ_INT(sm_ops_status(&o, ia), SM_OK);
    CHECK_EQ_INT(sm_ops_status(&o, ic), SM_ERR_MODEM);
    CHECK(sm_ops_head(&o) == NULL);
}

static void test_in_order(void)
{
    rec recs[3];
    sm_ops o;
    rec *h;
    int i1 = 0, i2 = 0, i3 = 0, i4 = 0;
    memset(recs, 0, sizeof recs);
    sm_ops_init(&o, recs, sizeof recs[0], 3); /* in order */
    (void)open_one(&o, 1, &i1);
    (void)open_one(&o, 2, &i2);
    (void)open_one(&o, 3, &i3);
    CHECK(sm_ops_claim(&o) == NULL);
    h = (rec *)(void *)sm_ops_head(&o);
    CHECK(h == &recs[0] && h->payload == 1 && (int)h->base.id == i1);
    /* the head ends: the others move up, in start order */
    sm_ops_close_head(&o, SM_ERR_CANCELLED);
    CHECK_EQ_INT(recs[0].payload, 2);
    CHECK_EQ_INT((int)recs[0].base.id, i2);
    CHECK_EQ_INT(recs[1].payload, 3);
    CHECK_EQ_INT((int)recs[2].base.id, 0); /* the last one is free again, zeroed */
    CHECK_EQ_INT(recs[2].payload, 0);
    CHECK_EQ_INT(sm_ops_status(&o, i1), SM_ERR_CANCELLED);
    CHECK_EQ_INT(sm_ops_busy(&o), 2);
    /* a new one goes after the last */
    CHECK((rec *)(void *)sm_ops_claim(&o) == &recs[2]);
    (void)open_one(&o, 4, &i4);
    CHECK_EQ_INT(recs[2].payload, 4);
    CHECK_EQ_INT(sm_ops_pending(&o, i4), 1);
    /* down to the last one, then none */
    sm_ops_close_head(&o, SM_OK);
    sm_ops_close_head(&o, SM_ERR_MODEM);
    h = (rec *)(void *)sm_ops_head(&o);
    CHECK(h == &recs[0] && h->payload == 4 && (int)h->base.id == i4);
    CHECK_EQ_INT(recs[1].base.id, 0);
    CHECK_EQ_INT(sm_ops_status(&o, i2), SM_OK);
    CHECK_EQ_INT(sm_ops_status(&o, i3), SM_ERR_MODEM);
    sm_ops_close_head(&o, SM_ERR_TIMEOUT);
    CHECK(sm_ops_head(&o) == NULL);
    CHECK_EQ_INT(recs[0].payload, 0);
    CHECK_EQ_INT(sm_ops_status(&o, i4), SM_ERR_TIMEOUT);
    CHECK_EQ_INT(sm_ops_busy(&o), 0);
    CHECK_EQ_INT(sm_ops_pending(&o, i4), 0);
}

static void test_recent_and_ids(void)
{
    rec recs[1];
    sm_ops o;
    int first = 0, id = 0, i;
    memset(recs, 0, sizeof recs);
    sm_ops_init(&o, recs, sizeof recs[0], 1);
    /* one more than remembered: the oldest is forgotten, the rest kept */
    for (i = 0; i <= SM_OPS_RECENT; i++) {
        rec *r = open_one(&o, i, &id);
        CHECK(r != NULL);
        if (!i) first = id;
        if (r) sm_ops_close(&o, &r->base, -(i % 20));
    }
    CHECK_EQ_INT(sm_ops_status(&o, first), SM_ERR_PARAM);
    for (i = 1; i <= SM_OPS_RECENT; i++) CHECK_EQ_INT(sm_ops_status(&o, first + i), -(i % 20));
    CHECK_EQ_INT(sm_ops_status(&o, 0), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_ops_status(&o, -1), SM_ERR_PARAM);
    CHECK_EQ_INT(sm_ops_pending(&o, 0), 0);
    /* ids wrap within 1..0x7FFF, never 0 or negative */
    o.next_id = 0x7FFE;
    CHECK_EQ_INT(sm_ops_new_id(&o), 0x7FFE);
    CHECK_EQ_INT(sm_ops_new_id(&o), 0x7FFF);
    CHECK_EQ_INT(sm_ops_new_id(&o), 1);
}

/* A dialect struct that was zeroed and never initialised: nothing is in a
   record and nothing can be claimed (the dialects refuse earlier, with
   SM_ERR_STATE; these must not crash on it either). */
static void test_zeroed(void)
{
    sm_ops o;
    memset(&o, 0, sizeof o);
    CHECK(sm_ops_claim(&o) == NULL);
    CHECK(sm_ops_head(&o) == NULL);
    CHECK_EQ_INT(sm_ops_busy(&o), 0);
    CHECK_EQ_INT(sm_ops_pending(&o, 1), 0);
    CHECK_EQ_INT(sm_ops_status(&o, 1), SM_ERR_PARAM);
}

int main(void)
{
    test_pipelined();
    test_in_order();
    test_recent_and_ids();
    test_zeroed();
    return sm_test_finish("test_ops");
}
