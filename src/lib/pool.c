/* pool.c: persistent worker threads taking the tasks of a round from a
 * shared counter (include/emgkit/pool.h).
 *
 * Rounds are short (a block of a few thousand samples per channel: 0.1-2 ms
 * of work), so how a round starts and ends matters as much as the work:
 *
 * - Threads are started once.  Creating and joining a thread per block cost
 *   tens of microseconds each, and more on a virtual machine, where a new
 *   thread's stack and the exit's unmapping need the other vCPU's TLB flushed.
 * - A worker that has finished a round spins for a short while (SPIN_NS)
 *   before it sleeps: waking a sleeping thread on an idle vCPU goes through the
 *   hypervisor and can take longer than the round.  The caller waits for the
 *   last task the same way.
 * - The round's tasks are claimed with one compare-and-swap on a word that
 *   holds the round's number and the next task index, so a worker that wakes
 *   late cannot take a task of the next round with the previous round's
 *   function: its claim fails and it re-reads the round.
 *
 * The caller takes tasks too, so a round never waits on a worker that has
 * not had a core: it ends as soon as every task has returned. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "emgkit/pool.h"

/* How long a thread spins waiting for the next round (workers) or for the
 * round's last task (the caller) before it sleeps: about the time a round's
 * reading and writing take between two rounds on the main thread, so that
 * back-to-back rounds never sleep, and short enough not to keep a core busy
 * when the caller is blocked on input. */
enum { SPIN_NS = 200 * 1000 };

struct emg_pool {
    int n_workers;
    pthread_t *tid;
    pthread_mutex_t mu;
    pthread_cond_t wake;        /* a new round or stop */
    pthread_cond_t done;        /* the round's last task returned */
    /* The round: its number in the high 32 bits, the next unclaimed task in
     * the low 32. */
    _Atomic uint64_t claim;
    _Atomic size_t n_tasks;
    _Atomic(emg_pool_task) task;
    _Atomic(void *) ctx;
    atomic_size_t finished;     /* tasks of this round that returned */
    atomic_int stop;
    /* A round started with emg_pool_start and not yet waited for; deferred:
     * its tasks all run on the caller in emg_pool_wait (no workers, or a
     * single task). */
    int started, deferred;
    size_t deferred_tasks;
    emg_pool_task deferred_task;
    void *deferred_ctx;
};

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Spin until ready(p, arg) or SPIN_NS have passed; returns ready's value. */
static int spin_until(const emg_pool *p, int (*ready)(const emg_pool *, uint64_t), uint64_t arg)
{
    int64_t deadline = 0;
    for (unsigned i = 0;; i++) {
        if (ready(p, arg))
            return 1;
        cpu_relax();
        if ((i & 63) == 63) {
            int64_t t = now_ns();
            if (!deadline)
                deadline = t + SPIN_NS;
            else if (t > deadline)
                return 0;
        }
    }
}

/* The claim word: the round number in its high 32 bits, the next task of the
 * round in its low 32 (so a round has fewer than 2^32 tasks). */
#define TASK_MASK 0xffffffffu
static uint64_t round_of(uint64_t claim) { return claim >> 32; }

static int new_round(const emg_pool *p, uint64_t seen)
{
    return round_of(atomic_load(&p->claim)) != seen || atomic_load(&p->stop);
}

static int round_done(const emg_pool *p, uint64_t n_tasks)
{
    return atomic_load(&p->finished) == n_tasks;
}

/* Claim and run tasks of round `round` until none is left. */
static void take_tasks(emg_pool *p, uint64_t round)
{
    for (;;) {
        uint64_t c = atomic_load(&p->claim);
        /* Read before the claim: the claim succeeds only if the round is
         * still this one, and its fields change only after all of its tasks
         * have returned, which cannot happen before this claimed one has. */
        size_t n = atomic_load_explicit(&p->n_tasks, memory_order_relaxed);
        emg_pool_task task = atomic_load_explicit(&p->task, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&p->ctx, memory_order_relaxed);
        if (round_of(c) != round || (c & TASK_MASK) >= n)
            return;
        if (!atomic_compare_exchange_weak(&p->claim, &c, c + 1))
            continue;
        task(ctx, (size_t)(c & TASK_MASK));
        if (atomic_fetch_add(&p->finished, 1) + 1 == n) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void *worker_main(void *arg)
{
    emg_pool *p = arg;
    uint64_t seen = round_of(atomic_load(&p->claim));
    for (;;) {
        if (!spin_until(p, new_round, seen)) {
            pthread_mutex_lock(&p->mu);
            while (!new_round(p, seen))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop))
            return NULL;
        seen = round_of(atomic_load(&p->claim));
        take_tasks(p, seen);
    }
}

int emg_pool_create_for(emg_pool **out, int threads, size_t n_tasks, emg_error *err)
{
    enum { MAX_THREADS = 64 };
    size_t nt = threads > 0 ? (size_t)threads : 1;
    if (nt > n_tasks)
        nt = n_tasks;
    if (nt > MAX_THREADS)
        nt = MAX_THREADS;
    *out = NULL;
    return nt > 1 ? emg_pool_create(out, (int)nt, err) : 0;
}

int emg_pool_create(emg_pool **out, int threads, emg_error *err)
{
    *out = NULL;
    emg_pool *p = calloc(1, sizeof *p);
    int want = threads > 1 ? threads - 1 : 0;
    if (!p || (want && !(p->tid = calloc((size_t)want, sizeof *p->tid)))) {
        free(p);
        return emg_error_set(err, EMG_ERR_NOMEM, "thread pool: out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int t = 0; t < want; t++) {
        if (pthread_create(&p->tid[p->n_workers], NULL, worker_main, p) != 0)
            break; /* fewer workers: the caller takes their tasks */
        p->n_workers++;
    }
    *out = p;
    return EMG_OK;
}

int emg_pool_threads(const emg_pool *p) { return p ? p->n_workers + 1 : 1; }

void emg_pool_start(emg_pool *p, size_t n_tasks, emg_pool_task task, void *ctx)
{
    if (!p) {
        for (size_t i = 0; i < n_tasks; i++)
            task(ctx, i);
        return;
    }
    p->started = 1;
    p->deferred = p->n_workers == 0 || n_tasks <= 1;
    if (p->deferred) {
        p->deferred_tasks = n_tasks;
        p->deferred_task = task;
        p->deferred_ctx = ctx;
        return;
    }
    uint64_t round = (round_of(atomic_load(&p->claim)) + 1) & TASK_MASK;
    atomic_store(&p->n_tasks, n_tasks);
    atomic_store(&p->task, task);
    atomic_store(&p->ctx, ctx);
    atomic_store(&p->finished, 0);
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->claim, round << 32);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
}

void emg_pool_wait(emg_pool *p)
{
    if (!p || !p->started)
        return;
    p->started = 0;
    if (p->deferred) {
        for (size_t i = 0; i < p->deferred_tasks; i++)
            p->deferred_task(p->deferred_ctx, i);
        return;
    }
    size_t n_tasks = atomic_load(&p->n_tasks);
    take_tasks(p, round_of(atomic_load(&p->claim)));
    if (!spin_until(p, round_done, n_tasks)) {
        pthread_mutex_lock(&p->mu);
        while (!round_done(p, n_tasks))
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

void emg_pool_run(emg_pool *p, size_t n_tasks, emg_pool_task task, void *ctx)
{
    emg_pool_start(p, n_tasks, task, ctx);
    emg_pool_wait(p);
}

void emg_pool_destroy(emg_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int t = 0; t < p->n_workers; t++)
        pthread_join(p->tid[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p->tid);
    free(p);
}
