/* A deliberate data race: the ThreadSanitizer stage of scripts/test.sh builds and runs this first and requires
 * TSan to report it, so that stage cannot pass because the sanitizer was silently absent or broken. */
#include <pthread.h>

static int shared;

static void *bump(void *arg)
{
    (void)arg;
    shared++;
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, bump, NULL) != 0) {
        return 2;
    }
    shared++;
    pthread_join(t, NULL);
    return shared == 2 ? 0 : 3;
}
