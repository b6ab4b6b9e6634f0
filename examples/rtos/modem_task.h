/* modem_task.h - the modem-task pattern: ONE task owns the modem (the
   secmodem engine is not thread-safe, by design: no locks inside the
   library), and every other task talks to it through a small request queue.
   A request is a command; the calling task blocks on its own semaphore
   until the modem task has the answer, while the modem task keeps polling
   the engine and serving URCs. */
#ifndef MODEM_TASK_H
#define MODEM_TASK_H

#include "../../secmodem.h"
#include "os_port.h"

#ifndef MODEM_REQUESTS
#define MODEM_REQUESTS 8      /* requests waiting for the modem task */
#endif

typedef struct modem_request {
    const char *text;         /* the command */
    const char *prefix;       /* its response prefix, or NULL */
    sm_at_result result;      /* filled in by the modem task */
    char lines[160];          /* the response lines, '\n'-separated */
    os_sem *done;             /* given by the modem task when answered */
} modem_request;

typedef struct modem_task {
    sm_at at;                 /* owned by the modem task only */
    os_mutex *lock;           /* protects the queue below, nothing else */
    modem_request *queue[MODEM_REQUESTS];
    unsigned head, count;
    volatile int stop;
    unsigned served, urcs;
} modem_task;

/* Any task: sends a command through the modem task and waits for its
   answer (or timeout_ms). Returns the result, SM_AT_TIMEOUT when the modem
   task did not answer in time. The request may live on the caller's stack. */
sm_at_result modem_request_run(modem_task *mt, modem_request *rq, uint32_t timeout_ms);

/* The modem task's body: polls the engine, moves queued requests into the
   engine, until mt->stop is set. */
void modem_task_run(modem_task *mt);

#endif
