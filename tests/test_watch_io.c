/* The watchdog's inputs and outputs, without a live workload: /proc and cgroup v2 parsing (on
 * text and on a fake cgroup tree in a temporary directory), a real read of our own process, the
 * pidfd of a child that exits, replay lines and files (read errors, NUL bytes, long lines, a wait
 * that stops), output files (never truncated before the run starts), the Prometheus text, listen
 * addresses, the SVG chart (its title always XML), the history. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tool/watch_files.h"
#include "../tool/watch_http.h"
#include "../tool/watch_plot.h"
#include "../tool/watch_proc.h"
#include "../tool/watch_series.h"
#include "check.h"

static void test_parse_status(void) {
    const char *status =
        "Name:\tcat\nVmPeak:\t    3776 kB\nVmRSS:\t    1928 kB\nRssAnon:\t     144 kB\n"
        "RssFile:\t    1784 kB\nRssShmem:\t       0 kB\nVmSwap:\t      12 kB\n";
    struct ebb_proc_sample s;
    memset(&s, 0, sizeof s);
    CHECK(ebb_parse_status(status, &s) == 0);
    CHECK_EQ_U(s.rss, 1928 * 1024);
    CHECK_EQ_U(s.anon, 144 * 1024);
    CHECK_EQ_U(s.file, 1784 * 1024);
    CHECK_EQ_U(s.swap, 12 * 1024);
    /* A zombie has no VmRSS line. */
    CHECK(ebb_parse_status("Name:\tx\nState:\tZ (zombie)\n", &s) == -1);
    /* A kernel thread has none either, and says so, or (older kernels) is kthreadd or its child. */
    CHECK(ebb_parse_status("Name:\tkworker/0:1\nState:\tI (idle)\nPid:\t77\nPPid:\t2\n"
                           "Kthread:\t1\n",
                           &s) == -2);
    CHECK(ebb_parse_status("Name:\tkworker/0:1\nState:\tI (idle)\nPid:\t77\nPPid:\t2\n", &s) == -2);
    CHECK(ebb_parse_status("Name:\tkthreadd\nState:\tS (sleeping)\nPid:\t2\nPPid:\t0\n", &s) == -2);
    /* A process between losing its memory and becoming a zombie is still "exiting", and so is
     * one whose parent is PID 2 of a container, which the kernel says is no kernel thread. */
    CHECK(ebb_parse_status("Name:\tsrv\nState:\tR (running)\nPid:\t900\nPPid:\t1\n", &s) == -1);
    CHECK(ebb_parse_status("Name:\tsrv\nState:\tR (running)\nPid:\t9\nPPid:\t2\nKthread:\t0\n",
                           &s) == -1);
    CHECK(ebb_parse_status("Name:\tkworker\nState:\tZ (zombie)\nPid:\t77\nPPid:\t2\n", &s) == -1);
    /* "VmRSSX:" is not "VmRSS:". */
    CHECK(ebb_parse_status("VmRSSX:\t5 kB\n", &s) == -1);
    uint64_t pss = 0;
    CHECK(ebb_parse_smaps_rollup("55a-7ff ---p 0 00:00 0 [rollup]\nRss:  1672 kB\nPss:   638 kB\n"
                                 "Pss_Dirty:  112 kB\n",
                                 &pss) == 0);
    CHECK_EQ_U(pss, 638 * 1024);
    CHECK(ebb_parse_smaps_rollup("", &pss) == -1);
}

static void test_parse_cgroup_files(void) {
    char path[256];
    CHECK(ebb_parse_proc_cgroup("4:memory:/x\n0::/system.slice/app.service\n", path, sizeof path) ==
          0);
    CHECK(!strcmp(path, "/system.slice/app.service"));
    CHECK(ebb_parse_proc_cgroup("4:memory:/x\n", path, sizeof path) == -1);
    const char *mountinfo =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
    CHECK(ebb_parse_cgroup2_mount(mountinfo, path, sizeof path) == 0);
    CHECK(!strcmp(path, "/sys/fs/cgroup/unified"));
    CHECK(ebb_parse_cgroup2_mount("35 31 0:32 / /a rw - cgroup cgroup rw\n", path, sizeof path) ==
          -1);
}

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* root (max 1G) / app (max "max") / leaf (max 3G, current 100M, events): the parent binds. */
static void test_cgroup_tree(void) {
    char root[] = "/tmp/ebb-cgroup-XXXXXX", app[128], leaf[160];
    CHECK(mkdtemp(root) != NULL);
    snprintf(app, sizeof app, "%s/app", root);
    snprintf(leaf, sizeof leaf, "%s/leaf", app);
    CHECK(mkdir(app, 0755) == 0 && mkdir(leaf, 0755) == 0);
    write_file(root, "memory.max", "1073741824\n");
    write_file(app, "memory.max", "max\n");
    write_file(leaf, "memory.max", "3221225472\n");
    write_file(leaf, "memory.current", "104857600\n");
    write_file(leaf, "memory.events",
               "low 0\nhigh 4\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n");
    struct ebb_cgroup_mem m;
    CHECK(ebb_cgroup_read(leaf, root, &m) == 0);
    CHECK_EQ_U(m.current, 104857600);
    CHECK_EQ_U(m.max, 1073741824);
    CHECK_EQ_U(m.oom, 2);
    CHECK_EQ_U(m.oom_kill, 1);
    /* Only the leaf and above the root: the root's own limit is not seen from a sibling root. */
    CHECK(ebb_cgroup_read(leaf, leaf, &m) == 0);
    CHECK_EQ_U(m.max, 3221225472ull);
    /* No memory controller: no memory.current. */
    CHECK(ebb_cgroup_read(app, root, &m) == -1);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
}

static void test_read_own_process(void) {
    struct ebb_proc_sample s;
    CHECK(ebb_proc_read(getpid(), 1, NULL, NULL, &s) == 0);
    CHECK(s.rss > 100000 && s.has_pss && s.pss > 0 && s.pss <= s.rss + 4096);
    CHECK(s.anon + s.file + s.shmem == s.rss);
    CHECK(ebb_proc_read(4194000, 1, NULL, NULL, &s) == -ESRCH);
}

/* A process's descriptor tells its exit apart from a live PID, reaped or not, and is not
 * inherited; a kernel without pidfds (ENOSYS) leaves nothing to test. */
static void test_pidfd(void) {
    CHECK(ebb_pidfd_open(4194000) == -ESRCH);
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        char c;
        close(go[1]);
        _exit(read(go[0], &c, 1) == 0 ? 0 : 1); /* until the parent closes its end */
    }
    close(go[0]);
    int fd = ebb_pidfd_open(child);
    if (fd == -1) {
        fprintf(stderr, "  note: no pidfd from this kernel: %s\n", strerror(errno));
        close(go[1]);
        waitpid(child, NULL, 0);
        return;
    }
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK(ebb_pidfd_exited(fd) == 0);
    close(go[1]);
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status));
    CHECK(ebb_pidfd_exited(fd) == 1); /* and stays so once its PID is free for another */
    CHECK(ebb_pidfd_exited(fd) == 1);
    close(fd);
}

static void test_replay_lines(void) {
    double t = -1, b = -1;
    CHECK(ebb_replay_parse_line("12.5,1048576\n", &t, &b) == 1 && t == 12.5 && b == 1048576);
    CHECK(ebb_replay_parse_line("  3 , 7 \r\n", &t, &b) == 1 && t == 3 && b == 7);
    CHECK(ebb_replay_parse_line("4,18446744073709549568", &t, &b) == 1 && b == 0x1p64 - 2048);
    CHECK(ebb_replay_parse_line("# comment\n", &t, &b) == 0);
    CHECK(ebb_replay_parse_line("   \n", &t, &b) == 0);
    static const char *const bad[] = {
        "abc",   "1,",    ",5",    "1;5",   "1,5,6", "-1,5",  "1,-5",
        "1,5.5", "1,1e9", "inf,5", "1,nan", "1 5",   "0x1,5", "1,18446744073709551616",
        NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(ebb_replay_parse_line(bad[i], &t, &b) == -1);
}

static void write_text(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    fwrite(text, 1, len, f);
    fclose(f);
}

static void test_replay_file_errors(void) {
    char path[] = "/tmp/ebb-replay-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    static const char text[] = "# header\n0,100\n\n1,200\n2,oops\n";
    write_text(path, text, sizeof text - 1);
    struct ebb_replay r;
    char err[256];
    double t, b;
    CHECK(ebb_replay_open(&r, path, NULL, err, sizeof err) == 0);
    CHECK(fcntl(r.fd, F_GETFD) & FD_CLOEXEC); /* no launched command or hook inherits it */
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == 1 && t == 0 && b == 100);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == 1 && t == 1 && b == 200);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == EBB_REPLAY_GARBAGE);
    CHECK(strstr(err, ":5: expected 'seconds,bytes', got '2,oops'") != NULL);
    ebb_replay_close(&r);
    /* A NUL byte would cut the line short, "1,1" read for "1,1\0000": refused, not cut. */
    static const char nul[] = "0,100\n1,1\0"
                              "000\n";
    write_text(path, nul, sizeof nul - 1);
    CHECK(ebb_replay_open(&r, path, NULL, err, sizeof err) == 0);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == 1);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == EBB_REPLAY_GARBAGE);
    CHECK(strstr(err, ":2: expected 'seconds,bytes', got '1,1' and a NUL byte") != NULL);
    ebb_replay_close(&r);
    unlink(path);
    CHECK(ebb_replay_open(&r, "/nonexistent/x.csv", NULL, err, sizeof err) == -1);
    CHECK(strstr(err, "No such file") != NULL);
    /* Input that cannot be read is no garbage in a file: a different answer (exit 5, not 2). */
    CHECK(ebb_replay_open(&r, "/tmp", NULL, err, sizeof err) == -1);
    CHECK(strstr(err, "'/tmp': Is a directory") != NULL);
    CHECK(ebb_replay_open(&r, "/proc/self/mem", NULL, err, sizeof err) == 0);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == EBB_REPLAY_READ_ERROR);
    CHECK(strstr(err, "/proc/self/mem: read error: ") != NULL);
    ebb_replay_close(&r);
}

static int waits;
static int stop_after_first_wait(int fd, void *arg) {
    (void)fd, (void)arg;
    return waits++ > 0;
}

/* Lines longer than the buffer, a last line without its newline, and a wait that stops. */
static void test_replay_reader(void) {
    char path[] = "/tmp/ebb-replay-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputc('#', f);
    for (int i = 0; i < 300000; i++)
        fputc('x', f);
    fputs("\n7, 8\n   9,10", f);
    fclose(f);
    struct ebb_replay r;
    char err[256];
    double t, b;
    CHECK(ebb_replay_open(&r, path, NULL, err, sizeof err) == 0);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == 1 && t == 7 && b == 8 && r.line == 2);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == 1 && t == 9 && b == 10 && r.line == 3);
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == 0);
    ebb_replay_close(&r);
    /* The wait runs before each read; when it says stop, the replay ends as at end of input. */
    CHECK(ebb_replay_open(&r, path, NULL, err, sizeof err) == 0);
    r.wait = stop_after_first_wait;
    waits = 0;
    CHECK(ebb_replay_next(&r, &t, &b, err, sizeof err) == 0 && waits == 2 && r.line == 0);
    ebb_replay_close(&r);
    unlink(path);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Output files are not truncated until the run starts, and one we created goes if it never does. */
static void test_output_files(void) {
    char path[] = "/tmp/ebb-out-XXXXXX", missing[64];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    write_text(path, "keep me\n", 8);
    struct ebb_outfile o, other;
    CHECK(ebb_outfile_open(&o, path, NULL) == 0 && !o.created);
    CHECK(fcntl(o.fd, F_GETFD) & FD_CLOEXEC);
    CHECK(file_size(path) == 8);
    CHECK(ebb_outfile_close(&o) == 0 && file_size(path) == 8);
    CHECK(ebb_outfile_open(&o, path, NULL) == 0);
    CHECK(ebb_outfile_start(&o) == 0 && file_size(path) == 0);
    fputs("new\n", o.f);
    CHECK(ebb_outfile_close(&o) == 0 && file_size(path) == 4);
    snprintf(missing, sizeof missing, "%s.new", path);
    CHECK(ebb_outfile_open(&o, missing, NULL) == 0 && o.created && file_size(missing) == 0);
    CHECK(ebb_outfile_close(&o) == 0 && file_size(missing) == -1);
    /* The same file under two names is the same file; /dev/null twice is nothing to lose. */
    CHECK(symlink(path, missing) == 0);
    CHECK(ebb_outfile_open(&o, path, NULL) == 0 && ebb_outfile_open(&other, missing, NULL) == 0);
    CHECK(ebb_same_regular_file(&o.st, &other.st));
    ebb_outfile_close(&other);
    CHECK(ebb_outfile_open(&other, "/dev/null", NULL) == 0);
    CHECK(!ebb_same_regular_file(&o.st, &other.st) && !ebb_same_regular_file(&other.st, &other.st));
    ebb_outfile_close(&other);
    ebb_outfile_close(&o);
    CHECK(file_size(path) == 4);
    unlink(missing);
    unlink(path);
    CHECK(ebb_outfile_open(&o, "/nonexistent/dir/x", NULL) == -1 && errno == ENOENT);
}

static void test_record_format_round_trips(void) {
    char buf[128];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    double t = 123456789 / 1e6; /* whole microseconds, as the live loop makes them */
    CHECK(ebb_record_sample(f, t, 104857600) == 0);
    fclose(f);
    double t2, b2;
    CHECK(ebb_replay_parse_line(buf, &t2, &b2) == 1);
    CHECK(t2 == t && b2 == 104857600);
}

static void test_metrics_text(void) {
    struct ebb_metrics m = {.pid = 42,
                            .samples = 7,
                            .alerts = 1,
                            .hook_failures = 2,
                            .rss = 104857600,
                            .baseline = 100,
                            .ratio = 1.25,
                            .severity = 1,
                            .leak = 1,
                            .leak_rate = 1000,
                            .eta = 60,
                            .has_cgroup = 1,
                            .cg_current = 5,
                            .cg_max = -1,
                            .cg_oom_kill = 3};
    char buf[8192];
    size_t n = ebb_metrics_format(buf, sizeof buf, &m);
    CHECK(n == strlen(buf) && n < sizeof buf);
    CHECK(strstr(buf, "ebb_watch_info{pid=\"42\"} 1\n") != NULL);
    CHECK(strstr(buf, "# TYPE ebb_watch_rss_bytes gauge\nebb_watch_rss_bytes 104857600\n") != NULL);
    CHECK(strstr(buf, "# TYPE ebb_watch_samples_total counter\nebb_watch_samples_total 7\n") !=
          NULL);
    CHECK(strstr(buf, "ebb_watch_severity 1\n") != NULL);
    CHECK(strstr(buf, "ebb_watch_leak_bytes_per_second 1000\n") != NULL);
    CHECK(strstr(buf, "ebb_watch_eta_seconds 60\n") != NULL);
    CHECK(strstr(buf, "ebb_watch_cgroup_oom_kill_total 3\n") != NULL);
    CHECK(strstr(buf, "ebb_watch_cgroup_memory_max_bytes") == NULL); /* no limit: no series */
    CHECK(strstr(buf, "# TYPE ebb_watch_hook_failures_total counter\n"
                      "ebb_watch_hook_failures_total 2\n") != NULL);
    m.leak = 0, m.eta = -1;
    ebb_metrics_format(buf, sizeof buf, &m);
    CHECK(strstr(buf, "ebb_watch_eta_seconds +Inf\n") != NULL);
    CHECK(strstr(buf, "ebb_watch_leak_bytes_per_second 0\n") != NULL);
    /* A replay has no process: no pid label at all, rather than one naming PID 0. */
    m.pid = 0;
    ebb_metrics_format(buf, sizeof buf, &m);
    CHECK(strstr(buf, "\nebb_watch_info 1\n") != NULL);
    CHECK(strstr(buf, "pid=") == NULL);
    /* Too small a buffer: truncated, NUL-terminated, and the length needed is returned. */
    char small[64];
    CHECK(ebb_metrics_format(small, sizeof small, &m) == strlen(buf));
    CHECK(strlen(small) == sizeof small - 1);
}

static void test_listen_addresses(void) {
    struct sockaddr_storage a;
    socklen_t len;
    char err[160];
    CHECK(ebb_listen_parse("9464", &a, &len, err, sizeof err) == 0);
    CHECK(a.ss_family == AF_INET);
    CHECK(((struct sockaddr_in *)&a)->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(ntohs(((struct sockaddr_in *)&a)->sin_port) == 9464);
    CHECK(ebb_listen_parse(":9464", &a, &len, err, sizeof err) == 0);
    CHECK(((struct sockaddr_in *)&a)->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(ebb_listen_parse("0.0.0.0:80", &a, &len, err, sizeof err) == 0);
    CHECK(ebb_listen_parse("[::1]:9464", &a, &len, err, sizeof err) == 0 &&
          a.ss_family == AF_INET6);
    CHECK(ebb_listen_parse("localhost:1", &a, &len, err, sizeof err) == 0);
    static const char *const bad[] = {"",       ":",    "x",    "1.2.3:80", "host:80", "[::1:80",
                                      ":65536", ":-1",  ":+5",  "1.2.3.4:", " 80",     "80 ",
                                      ": 80",   "\t80", "0x50", "080000",   NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(ebb_listen_parse(bad[i], &a, &len, err, sizeof err) == -1);
}

/* The title holds a path or a command: any bytes. The chart must stay well-formed XML. */
static void test_plot_title_is_xml(void) {
    struct ebb_history h;
    ebb_history_init(&h);
    CHECK(ebb_history_push(&h, 0, 1e8, 1e8, 0, 0) == 0 &&
          ebb_history_push(&h, 1, 1e8, 1e8, 0, 0) == 0);
    double levels[3] = {1.3, 1.8, 2.5};
    char svg[16384] = "";
    FILE *f = fmemopen(svg, sizeof svg - 1, "w");
    CHECK(ebb_plot_svg(f, &h, levels,
                       "a\x01"
                       "b\x1b[0m\xff\xc3\xa9\xed\xa0\x80\xc0\xaf\xf8\x88\x80\x80\x80<") == 0);
    fclose(f);
    ebb_history_free(&h);
    /* U+FFFD for each control character and each byte of invalid UTF-8 (a surrogate, an overlong
     * '/', a five-byte form); the valid e-acute stays. */
    CHECK(strstr(svg, ">a\xef\xbf\xbd"
                      "b\xef\xbf\xbd[0m\xef\xbf\xbd\xc3\xa9"
                      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd&lt;</text>") !=
          NULL);
}

static void test_history_and_plot(void) {
    struct ebb_history h;
    ebb_history_init(&h);
    double levels[3] = {1.3, 1.8, 2.5};
    FILE *f = tmpfile();
    CHECK(ebb_plot_svg(f, &h, levels, "empty") == -1);
    unsigned long n = test_scaled(EBB_HISTORY_MAX + 10);
    for (unsigned long i = 0; i < n; i++)
        CHECK(ebb_history_push(&h, (double)i, 1e8 + (double)(i % 100) * 1e6, 1e8, i % 4,
                               i > n / 2) == 0);
    CHECK(h.n <= EBB_HISTORY_MAX);
    if (n > EBB_HISTORY_MAX) CHECK(h.n >= EBB_HISTORY_MAX / 2); /* halved once, not emptied */
    CHECK(h.t[0] == 0 && h.t[h.n - 1] > h.t[h.n - 2]);
    rewind(f);
    CHECK(ebb_plot_svg(f, &h, levels, "ebb <watch> & co") == 0);
    long size = ftell(f);
    CHECK(size > 1000 && size < 2000000);
    rewind(f);
    char *svg = calloc(1, (size_t)size + 1);
    CHECK(svg && fread(svg, 1, (size_t)size, f) == (size_t)size);
    CHECK(strstr(svg, "<svg") && strstr(svg, "</svg>"));
    CHECK(strstr(svg, "ebb &lt;watch&gt; &amp; co") != NULL);
    size_t lines = 0;
    for (char *p = svg; (p = strstr(p, "<polyline")); p++)
        lines++;
    CHECK(lines == 5);
    free(svg);
    fclose(f);
    ebb_history_free(&h);
}

int main(void) {
    RUN(test_parse_status);
    RUN(test_parse_cgroup_files);
    RUN(test_cgroup_tree);
    RUN(test_read_own_process);
    RUN(test_pidfd);
    RUN(test_replay_lines);
    RUN(test_replay_file_errors);
    RUN(test_replay_reader);
    RUN(test_output_files);
    RUN(test_record_format_round_trips);
    RUN(test_metrics_text);
    RUN(test_listen_addresses);
    RUN(test_history_and_plot);
    RUN(test_plot_title_is_xml);
    return check_summary();
}
