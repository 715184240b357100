/*
 * replay_main.c — a main() for the fuzz targets in builds without libFuzzer:
 * runs LLVMFuzzerTestOneInput once on each file named on the command line,
 * or on each regular file of each directory named (options starting with
 * '-', meant for libFuzzer, are ignored). ctest uses it to replay
 * tests/fuzz/regressions/ in the normal and the sanitizer builds.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on one file; false if it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 0;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 0;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

int main(int argc, char **argv)
{
    int files = 0, ok = 1;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (argv[i][0] == '-') {
            continue; /* a libFuzzer option such as -runs=0 */
        } else if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            ok = 0;
        } else if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                size_t n = strlen(argv[i]) + strlen(e->d_name) + 2;
                char *p = malloc(n);
                if (!p) return 1;
                snprintf(p, n, "%s/%s", argv[i], e->d_name);
                struct stat es;
                if (stat(p, &es) == 0 && S_ISREG(es.st_mode)) {
                    ok &= replay_file(p);
                    files++;
                }
                free(p);
            }
            if (d) closedir(d);
        } else {
            ok &= replay_file(argv[i]);
            files++;
        }
    }
    printf("replay: %d inputs\n", files);
    return ok ? 0 : 1;
}
