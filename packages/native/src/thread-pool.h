/* A small pool of worker threads that run the units of one job; the calling thread takes part. */
#ifndef METARL_THREAD_POOL_H
#define METARL_THREAD_POOL_H

/* One unit of a job: `index` runs from 0 to the job's count - 1. */
typedef void (*metarl_unit)(void *context, int index);

/* Sets the number of threads (1 to METARL_MAXIMUM_THREADS, the caller included); returns 0 on success. */
int metarl_set_threads(int threads);
/* The number of threads jobs run on. */
int metarl_threads(void);
/* Runs unit(context, i) for every i in [0, count), spread over the threads; returns when all are done. */
void metarl_run(metarl_unit unit, void *context, int count);

#define METARL_MAXIMUM_THREADS 64

#endif
