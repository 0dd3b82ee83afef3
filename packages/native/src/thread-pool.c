/*
 * The worker threads of the matrix product (opt-in: `threads: 2`). Workers sleep on a condition
 * variable between jobs; a job hands out its units through an atomic counter, so a busy core only
 * delays the units it took. Measured on a 2-core machine: two threads are 1.9-2x faster on an idle
 * machine and up to 2x slower when the other core is busy, hence one thread by default.
 */
#define _GNU_SOURCE
#include "thread-pool.h"

#include <pthread.h>
#include <stdatomic.h>

#if defined(__GLIBC__) && defined(__x86_64__)
/* Bind to the oldest versions so the prebuilt binary loads on glibc before 2.34 as well. */
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static int thread_count = 1;   /* threads a job runs on, the caller included */
static int started = 0;        /* worker threads created so far (never stopped) */
static int job_number = 0;     /* incremented for every job; workers wait for a change */
static int busy_workers = 0;   /* workers still inside the current job */
static metarl_unit job_unit;
static void *job_context;
static int job_count;
static atomic_int next_unit;

static void take_units(void) {
  for (;;) {
    int index = atomic_fetch_add(&next_unit, 1);
    if (index >= job_count) return;
    job_unit(job_context, index);
  }
}

static void *work(void *argument) {
  int id = (int)(long)argument;
  int seen = 0;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (job_number == seen || id >= thread_count - 1) {
      if (job_number != seen) seen = job_number; /* a job for fewer threads than this one */
      pthread_cond_wait(&wake, &lock);
    }
    seen = job_number;
    pthread_mutex_unlock(&lock);
    take_units();
    pthread_mutex_lock(&lock);
    busy_workers -= 1;
    if (busy_workers == 0) pthread_cond_signal(&finished);
  }
  return 0;
}

int metarl_set_threads(int threads) {
  if (threads < 1 || threads > METARL_MAXIMUM_THREADS) return -1;
  pthread_mutex_lock(&lock);
  int status = 0;
  while (started < threads - 1) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    status = pthread_create(&thread, &attributes, work, (void *)(long)started);
    pthread_attr_destroy(&attributes);
    if (status != 0) break;
    started += 1;
  }
  if (status == 0) thread_count = threads;
  pthread_mutex_unlock(&lock);
  return status == 0 ? 0 : -1;
}

int metarl_threads(void) { return thread_count; }

void metarl_run(metarl_unit unit, void *context, int count) {
  if (thread_count == 1 || count <= 1) {
    for (int i = 0; i < count; i += 1) unit(context, i);
    return;
  }
  pthread_mutex_lock(&lock);
  job_unit = unit;
  job_context = context;
  job_count = count;
  atomic_store(&next_unit, 0);
  busy_workers = thread_count - 1;
  job_number += 1;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  take_units();
  pthread_mutex_lock(&lock);
  while (busy_workers > 0) pthread_cond_wait(&finished, &lock);
  pthread_mutex_unlock(&lock);
}
