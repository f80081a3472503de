/* Scaled waits on monotonic deadlines, for processes run under libfaketime.

   libfaketime 0.9.10 (vendored in PyPI's libfaketime 3.0.1) does not intercept glibc's
   sem_clockwait / pthread_cond_clockwait, and its sem_timedwait multiplies the remaining
   time by the rate instead of dividing. CPython 3.11 takes a lock with a timeout
   (threading.Event.wait(t), queue.Queue.get(timeout=t)) through sem_clockwait with a
   deadline read from the faked CLOCK_MONOTONIC: without this shim such a wait hangs
   (measured: Event().wait(4) at x40 never returned in 20 s; with it, 0.1 s wall).

   Each wrapper turns the fake absolute deadline into a real one on the same clock
   (remaining fake time / rate, from the kernel's clock) and calls glibc's own function.
   Preloaded before libfaketime: LD_PRELOAD=shim.so:libfaketime.so.1. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double rate(void) {
    static double cached = 0.0;
    if (cached == 0.0) {
        const char *spec = getenv("FAKETIME");
        const char *x = spec ? strchr(spec, 'x') : NULL;
        double r = x ? strtod(x + 1, NULL) : 1.0;
        cached = r > 0.0 ? r : 1.0;
    }
    return cached;
}

static void *libc_sym(const char *name) {
    static void *libc = NULL;
    if (libc == NULL) libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    return libc ? dlsym(libc, name) : NULL;
}

/* fake deadline on clockid -> real deadline on the same clock */
static void real_deadline(clockid_t clockid, const struct timespec *fake_abs, struct timespec *out) {
    struct timespec fake_now, real_now;
    long long rem;
    clock_gettime(clockid, &fake_now);                  /* libfaketime's (scaled) clock */
    syscall(SYS_clock_gettime, clockid, &real_now);     /* the kernel's */
    rem = (long long)(fake_abs->tv_sec - fake_now.tv_sec) * 1000000000LL
        + (fake_abs->tv_nsec - fake_now.tv_nsec);
    if (rem < 0) rem = 0;
    rem = (long long)(rem / rate()) + real_now.tv_nsec;
    out->tv_sec = real_now.tv_sec + rem / 1000000000LL;
    out->tv_nsec = rem % 1000000000LL;
}

int sem_clockwait(sem_t *sem, clockid_t clockid, const struct timespec *abstime) {
    int (*real)(sem_t *, clockid_t, const struct timespec *) = libc_sym("sem_clockwait");
    struct timespec dl;
    real_deadline(clockid, abstime, &dl);
    return real(sem, clockid, &dl);
}

int sem_timedwait(sem_t *sem, const struct timespec *abstime) {
    int (*real)(sem_t *, const struct timespec *) = libc_sym("sem_timedwait");
    struct timespec dl;
    real_deadline(CLOCK_REALTIME, abstime, &dl);
    return real(sem, &dl);
}

int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clockid,
                           const struct timespec *abstime) {
    int (*real)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *) =
        libc_sym("pthread_cond_clockwait");
    struct timespec dl;
    real_deadline(clockid, abstime, &dl);
    return real(cond, mutex, clockid, &dl);
}
