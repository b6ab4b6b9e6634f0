/* os_port_posix.c - os_port.h on POSIX threads, standing in for an RTOS.
   (The one place in examples/rtos/ that allocates: RTOS objects are created
   once at start-up, as FreeRTOS's xSemaphoreCreate* do.) */
#define _POSIX_C_SOURCE 200809L
#include "os_port.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct os_mutex { pthread_mutex_t m; };
struct os_sem { pthread_mutex_t m; pthread_cond_t c; int given; };

os_mutex *os_mutex_create(void)
{
    os_mutex *m = (os_mutex *)malloc(sizeof *m);
    if (m) pthread_mutex_init(&m->m, NULL);
    return m;
}
void os_mutex_lock(os_mutex *m) { pthread_mutex_lock(&m->m); }
void os_mutex_unlock(os_mutex *m) { pthread_mutex_unlock(&m->m); }

os_sem *os_sem_create(void)
{
    os_sem *s = (os_sem *)malloc(sizeof *s);
    if (!s) return NULL;
    pthread_mutex_init(&s->m, NULL);
    pthread_cond_init(&s->c, NULL);
    s->given = 0;
    return s;
}

void os_sem_give(os_sem *s)
{
    pthread_mutex_lock(&s->m);
    s->given = 1;
    pthread_cond_signal(&s->c);
    pthread_mutex_unlock(&s->m);
}

int os_sem_take(os_sem *s, uint32_t timeout_ms)
{
    struct timespec ts;
    int taken;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(timeout_ms / 1000u);
    ts.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&s->m);
    while (!s->given) {
        if (pthread_cond_timedwait(&s->c, &s->m, &ts) == ETIMEDOUT) break;
    }
    taken = s->given;
    s->given = 0;
    pthread_mutex_unlock(&s->m);
    return taken;
}

void os_sleep_ms(uint32_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    nanosleep(&ts, NULL);
}
