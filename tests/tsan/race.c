/* A deliberate data race: the ThreadSanitizer stage of scripts/test.sh builds and runs this first and requires
 * TSan to report it, so that stage cannot pass because the sanitizer was silently absent or broken.
 * With --clean the threads take turns (no race): that run only shows that the TSan runtime starts at all. */
#include <pthread.h>

#include <string.h>

static int shared;

static void *bump(void *arg)
{
    (void)arg;
    shared++;
    return NULL;
}

int main(int argc, char **argv)
{
    int clean = argc > 1 && strcmp(argv[1], "--clean") == 0;
    pthread_t t;
    if (pthread_create(&t, NULL, bump, NULL) != 0) {
        return 2;
    }
    if (clean) {
        pthread_join(t, NULL);
        shared++;
    } else {
        shared++;
        pthread_join(t, NULL);
    }
    return shared == 2 ? 0 : 3;
}
