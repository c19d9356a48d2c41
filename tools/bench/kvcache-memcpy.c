/* The machine's memcpy bandwidth with T threads copying CHUNK-byte blocks from a buffer of SIZE
 * bytes per thread into one of DST bytes (default SIZE), for SECONDS: the reference
 * kvcache-bench.py compares the dram tier's bandwidth with. DST = CHUNK copies into one small,
 * cache-resident buffer, as a tier read into an I/O buffer does; DST = SIZE copies memory to
 * memory. Usage: kvcache-memcpy THREADS CHUNK SIZE SECONDS [DST]
 * Prints: bytes_per_s <total over threads>. Build: cc -O2 -pthread kvcache-memcpy.c */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t chunk, size, dstSize;
static double seconds;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *body(void *arg) {
    double *bytesPerS = arg;
    unsigned char *a = malloc(size), *b = malloc(dstSize);
    memset(a, 1, size);
    memset(b, 2, dstSize);
    double start = now(), end = start;
    uint64_t moved = 0;
    size_t off = 0;
    while (end - start < seconds) {
        for (int i = 0; i < 16; ++i) {
            memcpy(b + off % dstSize, a + off, chunk);
            moved += chunk;
            off = off + 2 * chunk > size ? 0 : off + chunk;
        }
        end = now();
    }
    *bytesPerS = (double)moved / (end - start);
    free(a);
    free(b);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s THREADS CHUNK SIZE SECONDS [DST]\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[1]);
    chunk = strtoull(argv[2], NULL, 10);
    size = strtoull(argv[3], NULL, 10);
    seconds = atof(argv[4]);
    dstSize = argc == 6 ? strtoull(argv[5], NULL, 10) : size;
    if (dstSize < chunk || dstSize % chunk != 0 || size % chunk != 0) {
        fprintf(stderr, "SIZE and DST must be multiples of CHUNK\n");
        return 2;
    }
    pthread_t tid[256];
    double rates[256];
    for (int t = 0; t < threads; ++t) {
        pthread_create(&tid[t], NULL, body, &rates[t]);
    }
    double total = 0;
    for (int t = 0; t < threads; ++t) {
        pthread_join(tid[t], NULL);
        total += rates[t];
    }
    printf("bytes_per_s %.0f\n", total);
    return 0;
}
