/* Test helper: checks that every line of FILE is one flat JSON object (values: strings, numbers,
 * null, true, false, arrays of strings) holding every KEY, and prints the KEYs' values, one line
 * per object, tab-separated (strings unquoted). Exit 1 with the line number on any defect.
 *   jsonl FILE KEY... */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *p;

static void ws(void) {
    while (*p == ' ' || *p == '\t')
        p++;
}

/* A JSON string at p into out (escapes kept as-is); 0 or -1. */
static int string(char *out, size_t len) {
    if (*p++ != '"') return -1;
    size_t n = 0;
    while (*p && *p != '"') {
        if ((unsigned char)*p < 0x20) return -1;
        if (*p == '\\') {
            if (n + 1 < len) out[n++] = *p;
            p++;
            if (!*p) return -1;
        }
        if (n + 1 < len) out[n++] = *p;
        p++;
    }
    if (*p++ != '"') return -1;
    out[n] = '\0';
    return 0;
}

static int number(char *out, size_t len) {
    const char *s = p;
    if (*p == '-') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    if (*p == '0' && isdigit((unsigned char)p[1])) return -1;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    snprintf(out, len, "%.*s", (int)(p - s), s);
    return 0;
}

static int value(char *out, size_t len) {
    ws();
    if (*p == '"') return string(out, len);
    if (*p == '[') { /* array of strings, printed comma-joined */
        p++;
        ws();
        size_t n = 0;
        out[0] = '\0';
        if (*p == ']') return p++, 0;
        for (;;) {
            char item[256];
            ws();
            if (string(item, sizeof item) < 0) return -1;
            n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s", n ? "," : "", item);
            ws();
            if (*p == ']') return p++, 0;
            if (*p++ != ',') return -1;
        }
    }
    static const char *const words[] = {"null", "true", "false"};
    for (int i = 0; i < 3; i++)
        if (!strncmp(p, words[i], strlen(words[i]))) {
            p += strlen(words[i]);
            snprintf(out, len, "%s", words[i]);
            return 0;
        }
    return number(out, len);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) return perror(argv[1]), 1;
    char line[65536];
    unsigned long no = 0, objects = 0;
    int nkeys = argc - 2;
    while (fgets(line, sizeof line, f)) {
        no++;
        line[strcspn(line, "\n")] = '\0';
        char vals[32][256];
        int found[32] = {0};
        p = line;
        ws();
        if (*p++ != '{') goto bad;
        ws();
        if (*p == '}')
            p++;
        else
            for (;;) {
                char key[256], val[256];
                ws();
                if (string(key, sizeof key) < 0) goto bad;
                ws();
                if (*p++ != ':') goto bad;
                if (value(val, sizeof val) < 0) goto bad;
                for (int k = 0; k < nkeys && k < 32; k++)
                    if (!strcmp(key, argv[k + 2])) found[k] = 1, strcpy(vals[k], val);
                ws();
                if (*p == '}') {
                    p++;
                    break;
                }
                if (*p++ != ',') goto bad;
            }
        ws();
        if (*p) goto bad;
        for (int k = 0; k < nkeys && k < 32; k++) {
            if (!found[k]) {
                fprintf(stderr, "%s:%lu: no key \"%s\"\n", argv[1], no, argv[k + 2]);
                return 1;
            }
            printf("%s%s", k ? "\t" : "", vals[k]);
        }
        printf("\n");
        objects++;
        continue;
    bad:
        fprintf(stderr, "%s:%lu: not a flat JSON object near column %ld: %s\n", argv[1], no,
                (long)(p - line), line);
        return 1;
    }
    fclose(f);
    return objects ? 0 : 1;
}
