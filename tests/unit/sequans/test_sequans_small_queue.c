/* test_sequans_small_queue.c - the Sequans commands built in a queue whose
   text is small (SM_QUEUE_TEXT 48, a product that trims it): an operation
   whose commands are too long together for an empty queue is SM_ERR_PARAM
   (it never fits), one that fits an empty queue but not the queue as it is
   now is SM_ERR_QUEUE_FULL (try again after a poll), and what fits goes out
   byte for byte.
   make test-unit: runs alone, needs only a C compiler. */
#define SM_QUEUE_TEXT 48
#define SM_NO_ATECC /* host signing's answer needs SM_QUEUE_TEXT >= 155 */
#define SECMODEM_IMPLEMENTATION
#include "../../../secmodem.h"
#include "../../common/sm_test.h"
#include "../../common/sm_fake.h"

typedef struct T {
    sm_fake io;
    sm_sqn m;
} T;

static T g_t; /* test-binary state, not library state */

static T *fresh(void)
{
    T *t = &g_t;
    sm_platform p;
    memset(t, 0, sizeof *t);
    sm_fake_platform(&p, &t->io);
    t->io.now = 1000;
    if (sm_sqn_init(&t->m, &p, NULL, NULL) != SM_OK) CHECK(0 && "sm_sqn_init");
    return t;
}

static void test_two_commands(void)
{
    T *t = fresh();
    /* AT+SQNSCFG=1,1,0,0,600,50 (25) and AT+SQNSCFGEXT=1,1,0,0,0,0 (25):
       50 bytes, more than the 48 an empty queue holds */
    CHECK_EQ_INT(sm_sqn_sock_config(&t->m, 1, 1, 0, NULL, NULL), SM_ERR_PARAM);
    CHECK_EQ_INT(t->m.at.q_count, 0);
    /* one command that fits an empty queue, behind one that fills it */
    CHECK(sm_sqn_sock_tls(&t->m, 1, 1, NULL, NULL) > 0);  /* AT+SQNSSCFG=1,1,1: 17 */
    CHECK(sm_sqn_sock_close(&t->m, 1, NULL, NULL) > 0);   /* AT+SQNSH=1: 10 */
    CHECK(sm_sqn_sock_close(&t->m, 2, NULL, NULL) > 0);   /* 10: 37 of 48 used */
    CHECK_EQ_INT(sm_sqn_sock_dial(&t->m, 1, "h.example", 80, NULL, NULL), SM_ERR_QUEUE_FULL);
    CHECK_EQ_INT(sm_sqn_sock_dial(&t->m, 1, "h example", 80, NULL, NULL), SM_ERR_UNSAFE_STRING);
    /* once the queue is empty it fits */
    sm_sqn_cancel(&t->m);
    CHECK_EQ_INT(t->m.at.q_count, 0);
    CHECK(sm_sqn_sock_dial(&t->m, 1, "h.example", 80, NULL, NULL) > 0);
    sm_sqn_poll(&t->m);
    CHECK_EQ_STR(t->io.tx + t->io.tx_len - strlen("AT+SQNSD=1,0,80,\"h.example\",0,0,1\r"),
                 "AT+SQNSD=1,0,80,\"h.example\",0,0,1\r");
}

int main(void)
{
    RUN(test_two_commands);
    return sm_test_finish("test_sequans_small_queue");
}
