/*
 * benchdaemon: the smallest daemon worth supervising, so the benchmark measures the supervisor and not the daemon.
 *
 *   benchdaemon [--port N]      (else $PORT, else an ephemeral port)
 *
 * - First thing at start: appends "<pid> <CLOCK_REALTIME ns>\n" with one write() to the file named by $BENCH_STARTS
 *   (O_APPEND, so lines of many daemons never interleave).
 * - Serves GET /health on 127.0.0.1 with "HTTP/1.1 200 OK", Content-Length and keep-alive; any other GET gets 404,
 *   any other method 400 and a close.
 *   One epoll loop, any number of connections, pipelined requests, partial reads and writes.
 * - SIGTERM or SIGINT: exits 0.
 * - With $BENCH_NOTIFY_FD set (s6 only), writes a newline to that descriptor once it listens: s6's readiness notice.
 *
 * Build: gcc -O2 -o benchdaemon benchdaemon.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP 8192
#define OUT_CAP 8192

struct conn {
    int fd;
    size_t in_len;
    size_t out_len, out_off;
    int close_after; /* close once the output is flushed */
    int want_out;    /* waiting for EPOLLOUT (reading paused) */
    int peer_eof;    /* the peer sends nothing more: close once its requests are answered */
    char in[IN_CAP];
    char out[OUT_CAP];
};

static const char OK[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n";
static const char NOT_FOUND[] =
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\nnot found\n";
static const char BAD[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static void record_start(void)
{
    const char *path = getenv("BENCH_STARTS");
    if (path == NULL || *path == '\0') return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char line[64];
    int n = snprintf(line, sizeof line, "%ld %lld\n", (long)getpid(), (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

/* s6's readiness protocol: a newline on the descriptor named in the service's notification-fd file. The benchmark
 * sets $BENCH_NOTIFY_FD only under s6, whose supervisor waits a second before each restart unless the daemon told it
 * that it was ready. */
static void notify_ready(void)
{
    const char *v = getenv("BENCH_NOTIFY_FD");
    if (v == NULL || *v == '\0') return;
    int fd = atoi(v);
    if (fd <= 2) return;
    ssize_t w = write(fd, "\n", 1);
    (void)w;
    close(fd);
}

static void die(const char *what)
{
    fprintf(stderr, "benchdaemon: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void conn_close(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

/* Appends a response; returns 0 if it does not fit (the caller stops parsing until output drains). */
static int queue(struct conn *c, const char *resp, size_t len)
{
    if (c->out_len + len > OUT_CAP) return 0;
    memcpy(c->out + c->out_len, resp, len);
    c->out_len += len;
    return 1;
}

/* Writes what is queued. Returns 0 when all is written, 1 when the socket is full (reading pauses until
 * EPOLLOUT), -1 when the connection must be closed. */
static int flush_out(int ep, struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) { c->out_off += (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out) {
                /* Back-pressure: stop reading until the peer takes what it asked for. */
                struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = 1;
            }
            return 1;
        }
        return -1;
    }
    c->out_off = c->out_len = 0;
    if (c->close_after) return -1;
    if (c->want_out) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 0;
    }
    return 0;
}

static int header_says_close(const char *head, size_t len)
{
    /* A case-insensitive look for "connection: close" among the headers. */
    static const char key[] = "\nconnection:";
    for (size_t i = 0; i + sizeof key - 1 < len; i++) {
        if (strncasecmp(head + i, key, sizeof key - 1) != 0) continue;
        size_t j = i + sizeof key - 1;
        while (j < len && (head[j] == ' ' || head[j] == '\t')) j++;
        return len - j >= 5 && strncasecmp(head + j, "close", 5) == 0;
    }
    return 0;
}

/* Answers every complete request in the input buffer. Returns -1 to close. */
static int handle_requests(struct conn *c)
{
    size_t off = 0;
    int complete = 0; /* stopped at a complete request because the output is full */
    while (!c->close_after) {
        char *start = c->in + off;
        size_t avail = c->in_len - off;
        char *end = memmem(start, avail, "\r\n\r\n", 4);
        if (end == NULL) break;
        size_t head_len = (size_t)(end - start) + 4;
        int http10 = memmem(start, head_len, "HTTP/1.0", 8) != NULL;
        const char *resp;
        size_t resp_len;
        int bad = 0;
        if (head_len >= 12 && memcmp(start, "GET /health", 11) == 0 && (start[11] == ' ' || start[11] == '?')) {
            resp = OK; resp_len = sizeof OK - 1;
        } else if (memcmp(start, "GET ", 4) == 0) {
            resp = NOT_FOUND; resp_len = sizeof NOT_FOUND - 1;
        } else {
            resp = BAD; resp_len = sizeof BAD - 1;
            bad = 1;
        }
        if (!queue(c, resp, resp_len)) { complete = 1; break; } /* the rest after the output drains */
        if (bad || http10 || header_says_close(start, head_len)) c->close_after = 1;
        off += head_len;
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    /* A header block that fills the whole buffer will never complete. */
    if (c->in_len == IN_CAP && !complete) return -1;
    return 0;
}

/* Answers buffered requests and writes the answers until the input holds no complete request or the socket is
 * full. Returns -1 to close. */
static int pump(int ep, struct conn *c)
{
    for (;;) {
        size_t before = c->in_len;
        if (handle_requests(c) < 0) return -1;
        int r = flush_out(ep, c);
        if (r < 0) return -1;
        if (r > 0) return 0;
        if (c->in_len == 0 || c->in_len == before) return c->peer_eof ? -1 : 0;
    }
}

static void on_readable(int ep, struct conn *c)
{
    int eof = 0;
    while (c->in_len < IN_CAP) {
        ssize_t r = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
        if (r > 0) { c->in_len += (size_t)r; continue; }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (r == 0) { eof = 1; break; }
        conn_close(ep, c); /* ECONNRESET and other errors */
        return;
    }
    /* After EOF the peer still gets the answers to what it asked; then the connection closes. */
    if (eof) c->peer_eof = 1;
    if (pump(ep, c) < 0) conn_close(ep, c);
}

static void on_writable(int ep, struct conn *c)
{
    /* Drains the output, then answers requests that were held back while it was full. */
    if (pump(ep, c) < 0) conn_close(ep, c);
}

int main(int argc, char **argv)
{
    record_start();

    long port = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = strtol(argv[++i], NULL, 10);
        else if (strncmp(argv[i], "--port=", 7) == 0) port = strtol(argv[i] + 7, NULL, 10);
    }
    if (port < 0 && getenv("PORT") != NULL) port = strtol(getenv("PORT"), NULL, 10);
    if (port < 0) port = 0;
    if (port > 65535) { fprintf(stderr, "benchdaemon: bad port %ld\n", port); return 2; }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) die("sigprocmask");
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) die("signalfd");
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
    if (listen(lfd, 1024) != 0) die("listen");
    notify_ready();

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    /* The listener and the signalfd are told apart from connections by these two sentinel pointers. */
    static char LISTENER, SIGNALS;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &LISTENER };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) die("epoll_ctl listener");
    ev.data.ptr = &SIGNALS;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) != 0) die("epoll_ctl signalfd");

    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(ep, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &SIGNALS) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) return 0;
                continue;
            }
            if (p == &LISTENER) {
                for (;;) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) {
                        if (errno == EINTR) continue;
                        /* EAGAIN: drained. EMFILE and friends: try again on the next wakeup. */
                        break;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *c = malloc(sizeof *c);
                    if (c == NULL) { close(cfd); continue; }
                    c->fd = cfd;
                    c->in_len = c->out_len = c->out_off = 0;
                    c->close_after = 0;
                    c->want_out = 0;
                    c->peer_eof = 0;
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev) != 0) { close(cfd); free(c); }
                }
                continue;
            }
            struct conn *c = p;
            uint32_t e = events[i].events;
            if (e & EPOLLOUT) {
                on_writable(ep, c);
                continue; /* c may be gone; any input is seen on the next (level-triggered) wakeup */
            }
            if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(ep, c);
        }
    }
}
