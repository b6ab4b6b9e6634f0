/* rtos_demo.c - three application tasks share one modem through the modem
   task (POSIX threads standing in for RTOS tasks):
       rtos_demo <serial device>
   Each worker sends its own commands and waits for its own answers; the
   modem task runs the engine and sees every URC. Exit status 0 when every
   worker got every answer right. */
#define _POSIX_C_SOURCE 200809L
#define SECMODEM_IMPLEMENTATION
#include "modem_task.h"
#include "../posix/sm_posix.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct worker {
    modem_task *mt;
    int id;
    int ok, bad;
} worker;

static void *worker_main(void *arg)
{
    worker *w = (worker *)arg;
    char text[48], want[48];
    modem_request rq;
    int i;
    rq.done = os_sem_create();
    for (i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "AT+ECHOLN=worker %d message %d", w->id, i);
        snprintf(want, sizeof want, "+ECHOLN: worker %d message %d\n", w->id, i);
        rq.text = text;
        rq.prefix = "+ECHOLN:";
        if (modem_request_run(w->mt, &rq, 5000) == SM_AT_OK && strcmp(rq.lines, want) == 0) w->ok++;
        else w->bad++;
    }
    return NULL;
}

static void on_urc(void *ctx, sm_at *at, const char *line, size_t len)
{
    (void)at; (void)line; (void)len;
    ((modem_task *)ctx)->urcs++;
}
static const sm_urc k_urcs[] = { { "+SYSSTART", on_urc } };
static const sm_at_dialect k_generic = { "generic", "\r", "+SYSSTART", NULL };

static void *modem_main(void *arg)
{
    modem_task_run((modem_task *)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    static modem_task mt;
    static worker w[3];
    sm_posix port;
    sm_platform plat;
    pthread_t modem_thread, threads[3];
    modem_request probe;
    int i, total_ok = 0, total_bad = 0;
    if (argc < 2) { fprintf(stderr, "usage: %s <serial device>\n", argv[0]); return 2; }
    if (sm_posix_open(&port, argv[1], 115200) != 0) { perror(argv[1]); return 2; }
    sm_posix_platform(&port, &plat);
    sm_at_init(&mt.at, &plat, &k_generic);
    sm_at_add_urcs(&mt.at, k_urcs, 1, &mt);
    mt.lock = os_mutex_create();
    pthread_create(&modem_thread, NULL, modem_main, &mt);
    /* the first exchange may cross the simulator's start-up URC: retry */
    probe.done = os_sem_create();
    probe.text = "AT";
    probe.prefix = NULL;
    for (i = 0; i < 3 && modem_request_run(&mt, &probe, 3000) != SM_AT_OK; i++) os_sleep_ms(200);
    printf("modem answers; starting 3 worker tasks\n");
    for (i = 0; i < 3; i++) {
        w[i].mt = &mt;
        w[i].id = i;
        pthread_create(&threads[i], NULL, worker_main, &w[i]);
    }
    for (i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        printf("worker %d: %d answers right, %d wrong\n", i, w[i].ok, w[i].bad);
        total_ok += w[i].ok;
        total_bad += w[i].bad;
    }
    mt.stop = 1;
    pthread_join(modem_thread, NULL);
    sm_posix_close(&port);
    printf("modem task served %u requests, saw %u start-up URCs; %d passed, %d failed\n", mt.served,
           mt.urcs, total_ok, total_bad);
    return total_bad == 0 && total_ok == 30 ? 0 : 1;
}
