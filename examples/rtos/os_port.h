/* os_port.h - the little an RTOS must provide for the modem-task pattern: a
   mutex, a binary semaphore a task can wait on with a timeout, and a sleep.
   os_port_posix.c implements it with POSIX threads; on FreeRTOS the same
   functions map to xSemaphoreCreateMutex / xSemaphoreCreateBinary /
   xSemaphoreTake / xSemaphoreGive / vTaskDelay, on Zephyr to k_mutex /
   k_sem / k_sleep. Nothing else in examples/rtos/ knows which OS it runs on. */
#ifndef OS_PORT_H
#define OS_PORT_H

#include <stdint.h>

typedef struct os_mutex os_mutex;
typedef struct os_sem os_sem;

os_mutex *os_mutex_create(void);
void os_mutex_lock(os_mutex *m);
void os_mutex_unlock(os_mutex *m);

os_sem *os_sem_create(void);           /* binary, initially empty */
void os_sem_give(os_sem *s);
int os_sem_take(os_sem *s, uint32_t timeout_ms); /* 1 taken, 0 timed out */

void os_sleep_ms(uint32_t ms);

#endif
