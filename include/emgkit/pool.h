/* emgkit/pool.h: persistent worker threads for channel-parallel work.
 *
 * A tool that runs every channel (or group of channels) of each input block
 * through independent state (filters, window engines) hands the block's
 * tasks to a pool: its threads are started once and take tasks from a shared
 * counter, the calling thread taking part, so no thread is created per block
 * and a round never waits for a thread that has not had a core (the caller
 * takes what is left).  Which thread runs a task does not change its result.
 * Measurements: docs/methods/filtering.md ("Both cores"). */
#ifndef EMGKIT_POOL_H
#define EMGKIT_POOL_H

#include "emgkit/error.h"
#include "emgkit/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct emg_pool emg_pool;

/* One task of a round: task index `task` of emg_pool_run's n_tasks. */
typedef void (*emg_pool_task)(void *ctx, size_t task);

/* A pool of `threads` threads in all, the caller's included (threads - 1
 * workers; 1 or less: none, emg_pool_run runs every task on the caller).
 * Workers that cannot be started are left out; EMG_ERR_NOMEM only when the
 * pool itself cannot be allocated. */
EMGKIT_API int emg_pool_create(emg_pool **out, int threads, emg_error *err);
/* A pool for rounds of n_tasks tasks: no more threads than tasks (a thread
 * without a task would only spin) and at most 64 (-j goes to 256; more is no
 * faster).  *out is NULL, and 0 returned, when that leaves one thread. */
EMGKIT_API int emg_pool_create_for(emg_pool **out, int threads, size_t n_tasks, emg_error *err);
/* Threads that take tasks, the caller's included (1 for a NULL pool). */
EMGKIT_API int emg_pool_threads(const emg_pool *p);
/* Run task(ctx, i) for every i in [0, n_tasks), on the pool's workers and
 * the calling thread, and return when all have returned.  A NULL pool runs
 * them in order on the caller.  Not to be called from a task. */
EMGKIT_API void emg_pool_run(emg_pool *p, size_t n_tasks, emg_pool_task task, void *ctx);
/* emg_pool_run in two halves, so that the caller can do something else while
 * the workers start on the tasks: emg_pool_start hands them out (with a NULL
 * pool it runs them all at once), emg_pool_wait takes part in what is left
 * and returns when every task has returned.  The caller must wait before it
 * starts another round or touches what the tasks use; with no workers (one
 * thread) all tasks run in emg_pool_wait. */
EMGKIT_API void emg_pool_start(emg_pool *p, size_t n_tasks, emg_pool_task task, void *ctx);
EMGKIT_API void emg_pool_wait(emg_pool *p);
/* Stop the workers and free the pool; NULL is ignored. */
EMGKIT_API void emg_pool_destroy(emg_pool *p);

#ifdef __cplusplus
}
#endif

#endif
