/* modem_task.c - see modem_task.h. */
#include "modem_task.h"

#include <stdio.h>
#include <string.h>

sm_at_result modem_request_run(modem_task *mt, modem_request *rq, uint32_t timeout_ms)
{
    int queued = 0;
    rq->result = SM_AT_PENDING;
    rq->lines[0] = '\0';
    os_mutex_lock(mt->lock);
    if (mt->count < MODEM_REQUESTS) {
        mt->queue[(mt->head + mt->count) % MODEM_REQUESTS] = rq;
        mt->count++;
        queued = 1;
    }
    os_mutex_unlock(mt->lock);
    if (!queued) return SM_AT_CANCELLED;
    if (!os_sem_take(rq->done, timeout_ms)) return SM_AT_TIMEOUT;
    return rq->result;
}

/* Runs in the modem task (inside sm_at_poll): the answer goes back to the
   waiting task. */
static void on_done(void *ctx, const sm_at_response *r)
{
    modem_request *rq = (modem_request *)ctx;
    const char *l = r->lines;
    size_t n = 0;
    uint16_t i;
    for (i = 0; i < r->nlines; i++, l += strlen(l) + 1) {
        size_t k = strlen(l);
        if (n + k + 2 > sizeof rq->lines) break;
        memcpy(rq->lines + n, l, k);
        n += k;
        rq->lines[n++] = '\n';
    }
    rq->lines[n] = '\0';
    rq->result = r->result;
    os_sem_give(rq->done);
}

/* Moves waiting requests into the engine's own queue while it has room. */
static void take_requests(modem_task *mt)
{
    for (;;) {
        modem_request *rq = NULL;
        sm_at_cmd c;
        if (sm_at_queue_free(&mt->at) == 0) return;
        os_mutex_lock(mt->lock);
        if (mt->count) {
            rq = mt->queue[mt->head];
            mt->head = (mt->head + 1u) % MODEM_REQUESTS;
            mt->count--;
        }
        os_mutex_unlock(mt->lock);
        if (!rq) return;
        memset(&c, 0, sizeof c);
        c.text = rq->text;
        c.prefix = rq->prefix;
        c.on_done = on_done;
        c.ctx = rq;
        if (sm_at_submit(&mt->at, &c) < 0) {
            rq->result = SM_AT_ERROR; /* refused (e.g. unsafe text): answer at once */
            os_sem_give(rq->done);
        }
        mt->served++;
    }
}

void modem_task_run(modem_task *mt)
{
    while (!mt->stop) {
        take_requests(mt);
        sm_at_poll(&mt->at);
        os_sleep_ms(2); /* an RTOS would block on the UART's receive event instead */
    }
}
