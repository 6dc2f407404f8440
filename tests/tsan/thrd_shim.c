/* C11 threads over pthreads, for the ThreadSanitizer build only (see README.md
 * here). glibc implements thrd_create, mtx_lock, cnd_wait... by calling its
 * internal pthread functions directly, so TSan's pthread interceptors never
 * see librdkafka's threads start or its locks taken: its threads then crash
 * at their first instrumented call, and every hand-off through its queues
 * looks like a race. Defined in the executable, these win over glibc's for
 * librdkafka, and route each call through the intercepted pthread function.
 *
 * Only what librdkafka 2.0.2 imports (nm -D --undefined-only librdkafka.so.1);
 * thrd_current is glibc's pthread_self already. */
/* PTHREAD_MUTEX_RECURSIVE and pthread_mutexattr_settype under strict C11. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

/* glibc's mtx_t and cnd_t are pthread objects under another name: its own
 * C11 functions cast them the same way. */
_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is a pthread_mutex_t");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is a pthread_cond_t");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is a pthread_once_t");
_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is a pthread_t");

static int thrd_result(int pthread_error) {
    switch (pthread_error) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

struct thrd_start {
    thrd_start_t func;
    void* arg;
};

static void* thrd_trampoline(void* p) {
    struct thrd_start start = *(struct thrd_start*)p;
    free(p);
    return (void*)(intptr_t)start.func(start.arg);
}

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
    struct thrd_start* start = malloc(sizeof *start);
    if (start == NULL) {
        return thrd_nomem;
    }
    start->func = func;
    start->arg = arg;
    pthread_t thread;
    const int error = pthread_create(&thread, NULL, thrd_trampoline, start);
    if (error != 0) {
        free(start);
        return thrd_result(error);
    }
    *thr = (thrd_t)thread;
    return thrd_success;
}

int thrd_join(thrd_t thr, int* res) {
    void* value = NULL;
    const int error = pthread_join((pthread_t)thr, &value);
    if (error == 0 && res != NULL) {
        *res = (int)(intptr_t)value;
    }
    return thrd_result(error);
}

int mtx_init(mtx_t* mtx, int type) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, (type & mtx_recursive) ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_NORMAL);
    const int error = pthread_mutex_init((pthread_mutex_t*)mtx, &attr);
    pthread_mutexattr_destroy(&attr);
    return thrd_result(error);
}

int mtx_lock(mtx_t* mtx) { return thrd_result(pthread_mutex_lock((pthread_mutex_t*)mtx)); }

int mtx_unlock(mtx_t* mtx) { return thrd_result(pthread_mutex_unlock((pthread_mutex_t*)mtx)); }

void mtx_destroy(mtx_t* mtx) { pthread_mutex_destroy((pthread_mutex_t*)mtx); }

int cnd_init(cnd_t* cond) { return thrd_result(pthread_cond_init((pthread_cond_t*)cond, NULL)); }

int cnd_signal(cnd_t* cond) { return thrd_result(pthread_cond_signal((pthread_cond_t*)cond)); }

int cnd_broadcast(cnd_t* cond) { return thrd_result(pthread_cond_broadcast((pthread_cond_t*)cond)); }

int cnd_wait(cnd_t* cond, mtx_t* mtx) {
    return thrd_result(pthread_cond_wait((pthread_cond_t*)cond, (pthread_mutex_t*)mtx));
}

int cnd_timedwait(cnd_t* restrict cond, mtx_t* restrict mtx, const struct timespec* restrict abstime) {
    return thrd_result(pthread_cond_timedwait((pthread_cond_t*)cond, (pthread_mutex_t*)mtx, abstime));
}

void cnd_destroy(cnd_t* cond) { pthread_cond_destroy((pthread_cond_t*)cond); }

void call_once(once_flag* flag, void (*func)(void)) { pthread_once((pthread_once_t*)flag, func); }
