/*
 * jobfsm._native: the compiled pass of `jobfsm validate` over a JSON Lines log.
 *
 * check() folds byte ranges of a log on threads, without the GIL, and merges
 * their per-job summaries in file order: the reduction of jobfsm.segments
 * over the tables of one lifecycle (the statuses, each one's allowed next
 * statuses, the first statuses allowed, the terminal ones), computed from
 * the lifecycle value by jobfsm._nativecheck. It words nothing. A job whose
 * step breaks a rule (an illegal step, a time going backwards, a status
 * spelled otherwise or unknown, a bad first or last status) is marked dirty,
 * and a second pass hands back the number and bytes of each of its lines, for
 * the exact fold to word; the counts, and every other job, are its own. A
 * line it cannot read plainly sends the whole log to the exact reader (None),
 * so what it reads is narrow on purpose:
 *
 * - a line is a JSON object of ASCII strings without escapes, and numbers,
 *   true, false or null for other keys (no nesting); blank lines are skipped;
 *   a line may end with \r\n, and no other \r appears;
 * - the job and status are non-empty strings, the time (when its key is
 *   there) an ISO-8601 string YYYY-MM-DDTHH:MM:SS[.f, 1-6 digits][Z|+00:00].
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_TIME INT64_MIN
#define MAX_STATUSES 64
#define MAX_RANGES 256
#define MAX_NUMBER 64 /* longer numbers: json.loads may refuse huge integers */
/* By default, the most lines of dirty jobs handed back (24 bytes each): past it, much
 * of the log breaks rules, and the exact reader, which streams, reads all of it. */
#define MAX_SPOTS (1LL << 24)

typedef struct {
    const char *key; /* into the log's buffer; NULL: an empty slot */
    uint64_t hash;
    uint32_t len;
    int8_t first; /* the job's first status in the range (-1: not a status of the lifecycle) */
    int8_t last;  /* its last status in the range */
    uint8_t dirty; /* a step of this job needs the exact reader's words */
    int64_t first_time; /* its first time in the range (microseconds), or NO_TIME */
    int64_t last_time;  /* its last time in the range, or NO_TIME */
} Entry;

typedef struct {
    Entry *slots;
    size_t mask;
    size_t used;
} Table;

typedef struct {
    int64_t line;
    int64_t start, stop; /* its bytes, without the line end */
} Spot; /* handed to Python as three native int64 ("qqq") */

typedef struct {
    const char *key[3]; /* job, status, time */
    size_t key_len[3];
    int keys; /* 3 with a time key, else 2 */
    int n;    /* statuses */
    const char *name[MAX_STATUSES];
    size_t name_len[MAX_STATUSES];
    uint64_t next[MAX_STATUSES]; /* bit t of next[s]: t may follow s (a repeat or an edge) */
    uint64_t start;
    uint64_t terminal;
} Rules;

typedef struct {
    const char *buf;
    size_t start, stop;
    int opens; /* the range opens the log */
    const Rules *rules;
    int *stop_all; /* set by the first range that gives up */
    int *finished; /* ranges done, counted by each as it ends */
    const Table *all; /* second pass: every job, merged */
    Table table;
    long long events;
    long long done; /* bytes of the range read so far (for progress) */
    long long lines; /* lines in the range, blank ones included */
    long long first_line; /* the number of its first line in the log */
    Spot *spots; /* second pass: the lines of jobs that need words */
    size_t n_spots, spots_cap;
    long long max_spots; /* this range's share of MAX_SPOTS */
    int ok;
} Range;

static int table_init(Table *t, size_t capacity) {
    t->slots = calloc(capacity, sizeof(Entry));
    t->mask = capacity - 1;
    t->used = 0;
    return t->slots != NULL;
}

static int table_grow(Table *t) {
    size_t capacity = (t->mask + 1) * 2;
    Entry *slots = calloc(capacity, sizeof(Entry));
    if (slots == NULL) {
        return 0;
    }
    for (size_t i = 0; i <= t->mask; i++) {
        Entry *e = &t->slots[i];
        if (e->key != NULL) {
            size_t j = e->hash & (capacity - 1);
            while (slots[j].key != NULL) {
                j = (j + 1) & (capacity - 1);
            }
            slots[j] = *e;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->mask = capacity - 1;
    return 1;
}

/* The slot of key: its entry, or the empty slot where it would go. */
static Entry *table_slot(const Table *t, const char *key, uint32_t len, uint64_t hash) {
    size_t i = hash & t->mask;
    for (;;) {
        Entry *e = &t->slots[i];
        if (e->key == NULL ||
            (e->hash == hash && e->len == len && memcmp(e->key, key, len) == 0)) {
            return e;
        }
        i = (i + 1) & t->mask;
    }
}

/* The entry of key (made empty-handed, *created set, when new); NULL when out of memory. */
static Entry *table_find(Table *t, const char *key, uint32_t len, uint64_t hash, int *created) {
    if ((t->used + 1) * 2 > t->mask + 1 && !table_grow(t)) {
        return NULL;
    }
    Entry *e = table_slot(t, key, len, hash);
    *created = e->key == NULL;
    if (*created) {
        e->key = key;
        e->len = len;
        e->hash = hash;
        t->used++;
    }
    return e;
}

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a final mix for the low bits */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    }
    h ^= h >> 32;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

/* JSON whitespace but \r (only a line's last byte may be one, removed before). */
static inline const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    return p;
}

/* From just after an opening quote: the closing quote, or NULL for anything unplain. */
static inline const char *scan_string(const char *p, const char *end) {
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            return p;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80) {
            return NULL;
        }
    }
    return NULL;
}

static const char *skip_number(const char *p, const char *end) {
    const char *begin = p;
    if (p < end && *p == '-') {
        p++;
    }
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && is_digit(*p)) {
            p++;
        }
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p)) {
            return NULL;
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= end || !is_digit(*p)) {
            return NULL;
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    return p - begin > MAX_NUMBER ? NULL : p;
}

static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int number_at(const char *s, int digits, int *out) {
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!is_digit(s[i])) {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* YYYY-MM-DDTHH:MM:SS[.f{1,6}][Z|+00:00] as microseconds since the epoch; 0 if not that. */
static int parse_time(const char *s, size_t n, int64_t *out) {
    static const int days_in[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, frac = 0;
    if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
        return 0;
    }
    if (!number_at(s, 4, &y) || !number_at(s + 5, 2, &mo) || !number_at(s + 8, 2, &d) ||
        !number_at(s + 11, 2, &h) || !number_at(s + 14, 2, &mi) || !number_at(s + 17, 2, &se)) {
        return 0;
    }
    size_t i = 19;
    if (i < n && s[i] == '.') {
        size_t j = i + 1;
        while (j < n && is_digit(s[j])) {
            j++;
        }
        int digits = (int)(j - i - 1);
        if (digits < 1 || digits > 6 || !number_at(s + i + 1, digits, &frac)) {
            return 0;
        }
        for (int k = digits; k < 6; k++) {
            frac *= 10;
        }
        i = j;
    }
    if (!(i == n || (n - i == 1 && s[i] == 'Z') || (n - i == 6 && memcmp(s + i, "+00:00", 6) == 0))) {
        return 0;
    }
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in[mo - 1] + (mo == 2 && leap) || h > 23 ||
        mi > 59 || se > 59) {
        return 0;
    }
    int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    *out = seconds * 1000000 + frac;
    return 1;
}

/* One line: 1 an event (job, status, time), 0 a blank line, -1 not for this check. */
static int parse_line(const char *p, const char *end, const Rules *r, const char **job,
                      uint32_t *job_len, int *status, int64_t *time) {
    const char *value[3] = {NULL, NULL, NULL};
    size_t value_len[3] = {0, 0, 0};
    p = skip_ws(p, end);
    if (p == end) {
        return 0;
    }
    if (*p != '{') {
        return -1;
    }
    p = skip_ws(p + 1, end);
    for (;;) {
        if (p >= end || *p != '"') {
            return -1;
        }
        const char *key = p + 1;
        const char *q = scan_string(key, end);
        if (q == NULL) {
            return -1;
        }
        size_t key_len = (size_t)(q - key);
        p = skip_ws(q + 1, end);
        if (p >= end || *p != ':') {
            return -1;
        }
        p = skip_ws(p + 1, end);
        if (p >= end) {
            return -1;
        }
        int which = -1;
        for (int k = 0; k < r->keys; k++) {
            if (r->key_len[k] == key_len && memcmp(r->key[k], key, key_len) == 0) {
                which = k;
                break;
            }
        }
        if (which >= 0) {
            if (value[which] != NULL || *p != '"') {
                return -1; /* written twice, or not a string */
            }
            q = scan_string(p + 1, end);
            if (q == NULL) {
                return -1;
            }
            value[which] = p + 1;
            value_len[which] = (size_t)(q - p - 1);
            p = q + 1;
        } else if (*p == '"') {
            q = scan_string(p + 1, end);
            if (q == NULL) {
                return -1;
            }
            p = q + 1;
        } else if (*p == '-' || is_digit(*p)) {
            p = skip_number(p, end);
            if (p == NULL) {
                return -1;
            }
        } else if (end - p >= 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) {
            p += 4;
        } else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
            p += 5;
        } else {
            return -1;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') {
            break;
        }
        return -1;
    }
    if (skip_ws(p + 1, end) != end || value[0] == NULL || value[1] == NULL || value_len[0] == 0) {
        return -1;
    }
    *status = -1;
    for (int s = 0; s < r->n; s++) {
        if (r->name_len[s] == value_len[1] && memcmp(r->name[s], value[1], value_len[1]) == 0) {
            *status = s;
            break;
        }
    }
    if (value_len[1] == 0 || value_len[0] > UINT32_MAX) {
        return -1; /* an empty status is an input error: the reader's to word */
    }
    *time = NO_TIME;
    if (value[2] != NULL && !parse_time(value[2], value_len[2], time)) {
        return -1;
    }
    *job = value[0];
    *job_len = (uint32_t)value_len[0];
    return 1;
}

/* The end of the line starting at p (its \n, or end) and where its text ends (before \r\n). */
static inline const char *line_at(const char *p, const char *end, const char **text_end) {
    const char *newline = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = newline != NULL ? newline : end;
    *text_end = line_end > p && line_end[-1] == '\r' ? line_end - 1 : line_end;
    return newline != NULL ? newline + 1 : end;
}

/* Pass one: each job's summary in the range; a job whose step breaks a rule is marked
 * dirty (and no longer followed); a line this check cannot read stops every range. */
static void *fold_range(void *arg) {
    Range *g = arg;
    const Rules *r = g->rules;
    const char *p = g->buf + g->start, *end = g->buf + g->stop;
    g->ok = 0;
    while (p < end) {
        if (__atomic_load_n(g->stop_all, __ATOMIC_RELAXED)) {
            return NULL;
        }
        const char *text_end, *job;
        const char *next_line = line_at(p, end, &text_end);
        uint32_t job_len;
        int status, created;
        int64_t time;
        int got = parse_line(p, text_end, r, &job, &job_len, &status, &time);
        p = next_line;
        if ((++g->lines & 4095) == 0) {
            __atomic_store_n(&g->done, (long long)(p - (g->buf + g->start)), __ATOMIC_RELAXED);
        }
        if (got == 0) {
            continue;
        }
        if (got < 0) {
            goto give_up;
        }
        __atomic_store_n(&g->events, g->events + 1, __ATOMIC_RELAXED);
        Entry *e = table_find(&g->table, job, job_len, hash_bytes(job, job_len), &created);
        if (e == NULL) {
            goto give_up;
        }
        if (created) {
            e->first = e->last = (int8_t)status;
            e->first_time = e->last_time = time;
            e->dirty = status < 0 || (g->opens && !((r->start >> status) & 1));
            continue;
        }
        if (e->dirty) {
            continue;
        }
        if (status < 0 || !((r->next[e->last] >> status) & 1)) {
            e->dirty = 1;
            continue;
        }
        e->last = (int8_t)status;
        if (time != NO_TIME) {
            if (e->last_time != NO_TIME && time < e->last_time) {
                e->dirty = 1;
                continue;
            }
            if (e->first_time == NO_TIME) {
                e->first_time = time;
            }
            e->last_time = time;
        }
    }
    g->ok = 1;
    return NULL;
give_up:
    __atomic_store_n(g->stop_all, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Pass two: the number and bytes of each line of a dirty job, in order. */
static void *collect_range(void *arg) {
    Range *g = arg;
    const char *p = g->buf + g->start, *end = g->buf + g->stop;
    long long line = g->first_line;
    g->ok = 0;
    for (; p < end; line++) {
        if (__atomic_load_n(g->stop_all, __ATOMIC_RELAXED)) {
            return NULL;
        }
        const char *text_end, *job, *text = p;
        p = line_at(p, end, &text_end);
        uint32_t job_len;
        int status;
        int64_t time;
        if (parse_line(text, text_end, g->rules, &job, &job_len, &status, &time) <= 0) {
            continue; /* blank (pass one read every line) */
        }
        const Entry *e = table_slot(g->all, job, job_len, hash_bytes(job, job_len));
        if (!e->dirty) { /* (an empty slot is not dirty either) */
            continue;
        }
        if ((long long)g->n_spots >= g->max_spots) {
            __atomic_store_n(g->stop_all, 1, __ATOMIC_RELAXED);
            return NULL;
        }
        if (g->n_spots == g->spots_cap) {
            size_t cap = g->spots_cap ? g->spots_cap * 2 : 1024;
            Spot *spots = realloc(g->spots, cap * sizeof(Spot));
            if (spots == NULL) {
                __atomic_store_n(g->stop_all, 1, __ATOMIC_RELAXED);
                return NULL;
            }
            g->spots = spots;
            g->spots_cap = cap;
        }
        g->spots[g->n_spots++] = (Spot){line, (int64_t)(text - g->buf), (int64_t)(text_end - g->buf)};
    }
    g->ok = 1;
    return NULL;
}

typedef struct {
    Range *range;
    void *(*work)(void *);
} Task;

static void *run_task(void *arg) {
    Task *task = arg;
    task->work(task->range);
    __atomic_add_fetch(task->range->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Run work on every range, a thread each, without the GIL (*state holds this thread's);
 * meanwhile look for signals every few milliseconds. -1 when a signal's handler (or
 * progress) raised, else whether every range ended well. */
static int run_all(Range *ranges, int n, void *(*work)(void *), PyThreadState **state,
                   PyObject *progress) {
    int finished = 0, interrupted = 0;
    pthread_t threads[MAX_RANGES];
    int started[MAX_RANGES] = {0};
    Task tasks[MAX_RANGES];
    for (int k = 0; k < n; k++) {
        ranges[k].finished = &finished;
        tasks[k] = (Task){&ranges[k], work};
        started[k] = pthread_create(&threads[k], NULL, run_task, &tasks[k]) == 0;
        if (!started[k]) {
            run_task(&tasks[k]); /* no thread to be had: run it here */
        }
    }
    struct timespec pause = {0, 5 * 1000 * 1000};
    for (long polls = 1; __atomic_load_n(&finished, __ATOMIC_ACQUIRE) < n; polls++) {
        nanosleep(&pause, NULL);
        PyEval_RestoreThread(*state);
        interrupted = PyErr_CheckSignals() < 0;
        if (!interrupted && progress != NULL && polls % 40 == 0) { /* every ~0.2 s */
            long long done = 0, events = 0;
            for (int k = 0; k < n; k++) {
                done += __atomic_load_n(&ranges[k].done, __ATOMIC_RELAXED);
                events += __atomic_load_n(&ranges[k].events, __ATOMIC_RELAXED);
            }
            PyObject *shown = PyObject_CallFunction(progress, "LL", done, events);
            interrupted = shown == NULL; /* its exception goes up, as a signal's does */
            Py_XDECREF(shown);
        }
        *state = PyEval_SaveThread();
        if (interrupted) {
            __atomic_store_n(ranges[0].stop_all, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    int ok = 1;
    for (int k = 0; k < n; k++) {
        if (started[k]) {
            pthread_join(threads[k], NULL);
        }
        ok = ok && ranges[k].ok;
    }
    return interrupted ? -1 : ok;
}

/* Join the later ranges' summaries into the first one's table, in file order; a job
 * whose step across a boundary breaks a rule is marked dirty. 0 when out of memory. */
static int merge(Range *ranges, int n, const Rules *r) {
    Table *all = &ranges[0].table;
    for (int k = 1; k < n; k++) {
        Table *t = &ranges[k].table;
        for (size_t i = 0; i <= t->mask; i++) {
            Entry *e = &t->slots[i];
            if (e->key == NULL) {
                continue;
            }
            int created;
            Entry *x = table_find(all, e->key, e->len, e->hash, &created);
            if (x == NULL) {
                return 0;
            }
            if (created) {
                x->first = e->first;
                x->last = e->last;
                x->first_time = e->first_time;
                x->last_time = e->last_time;
                x->dirty = e->dirty || !((r->start >> e->first) & 1);
                continue;
            }
            if (x->dirty) {
                continue;
            }
            if (e->dirty || !((r->next[x->last] >> e->first) & 1) ||
                (e->first_time != NO_TIME && x->last_time != NO_TIME &&
                 e->first_time < x->last_time)) {
                x->dirty = 1;
                continue;
            }
            x->last = e->last;
            if (e->last_time != NO_TIME) {
                x->last_time = e->last_time;
            }
        }
    }
    return 1;
}

/* Mark dirty each job that does not end at a terminal status (with require_terminal);
 * the number of dirty jobs. */
static size_t count_dirty(Table *t, const Rules *r, int require_terminal) {
    size_t dirty = 0;
    for (size_t i = 0; i <= t->mask; i++) {
        Entry *e = &t->slots[i];
        if (e->key == NULL) {
            continue;
        }
        if (!e->dirty && require_terminal && !((r->terminal >> e->last) & 1)) {
            e->dirty = 1;
        }
        dirty += e->dirty;
    }
    return dirty;
}

static int bytes_item(PyObject *item, const char **p, size_t *n) {
    char *data;
    Py_ssize_t size;
    if (PyBytes_AsStringAndSize(item, &data, &size) < 0) {
        return 0;
    }
    *p = data;
    *n = (size_t)size;
    return 1;
}

PyDoc_STRVAR(check_doc,
             "check(log, ranges, keys, statuses, next, start, terminal, require_terminal, "
             "progress=None, max_lines=2**24)\n--\n\n"
             "(events, jobs, lines) when every line of the log is plainly readable, else None.\n\n"
             "lines: (number, start, stop) of each line of the jobs whose steps break a\n"
             "rule, as native int64 triples (struct format 'qqq'); empty for a clean log.\n"
             "The exact reader words those lines. progress, when\n"
             "given, is called with (bytes read, events read) about every 0.2 s. None too\n"
             "when the dirty jobs have more than max_lines lines (the exact reader streams).");

static PyObject *check(PyObject *self, PyObject *args) {
    Py_buffer log;
    PyObject *ranges_obj, *keys, *statuses, *next, *progress = Py_None;
    unsigned long long start, terminal;
    int require_terminal;
    long long max_lines = MAX_SPOTS;
    if (!PyArg_ParseTuple(args, "y*O!O!O!O!KKp|OL", &log, &PyList_Type, &ranges_obj,
                          &PyTuple_Type, &keys, &PyTuple_Type, &statuses, &PyTuple_Type, &next,
                          &start, &terminal, &require_terminal, &progress, &max_lines)) {
        return NULL;
    }
    if (progress == Py_None) {
        progress = NULL;
    }
    PyObject *result = NULL;
    Rules rules;
    memset(&rules, 0, sizeof rules);
    Range ranges[MAX_RANGES];
    int n = (int)PyList_GET_SIZE(ranges_obj), stop_all = 0, made = 0;
    rules.n = (int)PyTuple_GET_SIZE(statuses);
    if (n < 1 || n > MAX_RANGES || rules.n < 1 || rules.n > MAX_STATUSES ||
        PyTuple_GET_SIZE(next) != rules.n || PyTuple_GET_SIZE(keys) != 3) {
        PyErr_SetString(PyExc_ValueError, "check(): bad ranges, statuses, next or keys");
        goto done;
    }
    rules.start = start;
    rules.terminal = terminal;
    rules.keys = PyTuple_GET_ITEM(keys, 2) == Py_None ? 2 : 3;
    for (int k = 0; k < rules.keys; k++) {
        if (!bytes_item(PyTuple_GET_ITEM(keys, k), &rules.key[k], &rules.key_len[k])) {
            goto done;
        }
    }
    for (int s = 0; s < rules.n; s++) {
        if (!bytes_item(PyTuple_GET_ITEM(statuses, s), &rules.name[s], &rules.name_len[s])) {
            goto done;
        }
        rules.next[s] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(next, s));
        if (PyErr_Occurred()) {
            goto done;
        }
    }
    for (int k = 0; k < n; k++) {
        Py_ssize_t a, b;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(ranges_obj, k), "nn", &a, &b)) {
            goto done;
        }
        if (a < 0 || b < a || b > log.len) {
            PyErr_SetString(PyExc_ValueError, "check(): a range outside the log");
            goto done;
        }
        Range *g = &ranges[k];
        memset(g, 0, sizeof *g);
        g->buf = log.buf;
        g->start = (size_t)a;
        g->stop = (size_t)b;
        g->opens = k == 0;
        g->rules = &rules;
        g->stop_all = &stop_all;
        if (!table_init(&g->table, 1024)) {
            PyErr_NoMemory();
            goto done;
        }
        made++;
    }
    /* Pass one folds the ranges, then their summaries are merged; pass two, only when
     * some job broke a rule, collects that job's lines for the exact reader. */
    PyThreadState *state = PyEval_SaveThread();
    int ran = run_all(ranges, n, fold_range, &state, progress);
    int clean = ran == 1 && merge(ranges, n, &rules);
    size_t dirty = clean ? count_dirty(&ranges[0].table, &rules, require_terminal) : 0;
    if (clean && dirty) {
        long long line = 1;
        for (int k = 0; k < n; k++) {
            ranges[k].first_line = line;
            ranges[k].all = &ranges[0].table;
            ranges[k].max_spots = max_lines / n;
            line += ranges[k].lines;
        }
        ran = run_all(ranges, n, collect_range, &state, NULL);
        clean = ran == 1;
    }
    PyEval_RestoreThread(state);
    if (ran < 0) {
        goto done; /* the signal handler's exception (KeyboardInterrupt) goes up */
    }
    if (!clean) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    long long events = 0;
    size_t spots = 0;
    for (int k = 0; k < n; k++) {
        events += ranges[k].events;
        spots += ranges[k].n_spots;
    }
    PyObject *lines = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(spots * sizeof(Spot)));
    if (lines == NULL) {
        goto done;
    }
    char *into = PyBytes_AS_STRING(lines);
    for (int k = 0; k < n; k++) {
        size_t size = ranges[k].n_spots * sizeof(Spot);
        if (size) {
            memcpy(into, ranges[k].spots, size);
            into += size;
        }
    }
    result = Py_BuildValue("(LnN)", events, (Py_ssize_t)ranges[0].table.used, lines);
done:
    for (int k = 0; k < made; k++) {
        free(ranges[k].table.slots);
        free(ranges[k].spots);
    }
    PyBuffer_Release(&log);
    return result;
}

static PyMethodDef methods[] = {
    {"check", check, METH_VARARGS, check_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "jobfsm._native",
    "The check of a clean JSON Lines event log, compiled (see jobfsm._nativecheck).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
