/*
 * WebSocket connection-rate load generator for bench/connect (run by `npm run bench:connect`).
 *
 * Keeps C connection attempts in flight (default 32). Each one: a non-blocking TCP connect,
 * the opening handshake (a GET with Upgrade, a fresh Sec-WebSocket-Key each time), the server's
 * `HTTP/1.1 101` head, then a masked close frame (1000) and reading until the server closes
 * the TCP connection (rfc6455#section-7.1.1: the server closes first), then the next attempt
 * on that slot. It counts completed cycles (open, handshake, close) for DURATION seconds after
 * a WARMUP, and prints one line:
 *
 *   RESULT cycles=<n> secs=<s> cycles_per_s=<r> cpu=<%> srv_cpu=<%> refused=<n> timeouts=<n>
 *          errors=<n>
 *
 * `cpu` is this process's user+system CPU time over the measured interval, in % of one core;
 * `srv_cpu` the same for the server process given with -P (all its threads, from /proc; -1
 * without -P). `refused`: answers other than 101; `timeouts`: attempts that took longer than
 * 5 s (closed and counted, not retried); `errors`: connects or reads that failed. All three
 * count over the whole run and should be 0.
 *
 * The server closes first, so TIME_WAIT sits on its side; the client's ephemeral ports are
 * free again at once. -a N still spreads the client ends over N loopback source addresses
 * (127.0.0.1 .. 127.0.0.N, IP_BIND_ADDRESS_NO_PORT) so that a server that closes last does not
 * run the client out of ports.
 *
 *   loadgen -H host -p port -c concurrency -t secs -u warmup_secs [-P server_pid] [-a addrs]
 *
 * One thread, non-blocking sockets, level-triggered epoll.
 * Build: gcc -O2 -o loadgen loadgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_SLOTS 1024
#define MAX_EVENTS 64
#define ATTEMPT_TIMEOUT_S 5.0

enum state { CONNECTING, HEAD, DRAIN };

struct slot {
  int fd;
  enum state state;
  double started;
  size_t got;       /* head bytes so far */
  char head[2048];
};

static const char *host = "127.0.0.1";
static int port = 0;
static int naddrs = 1;
static int epfd = -1;
static uint64_t cycles = 0, refused = 0, timeouts = 0, errors = 0, attempts = 0;
static struct sockaddr_in server_addr;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds (user + system, all threads) of another process, from /proc; -1 if unknown. */
static double proc_cpu_s(int pid) {
  if (pid <= 0) return -1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) {
    return -1;
  }
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

/* A base64 Sec-WebSocket-Key of 16 bytes made from a counter: fresh on every attempt. */
static void make_key(char out[25], uint64_t n) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char raw[16];
  for (int i = 0; i < 16; i++) raw[i] = (unsigned char)((n >> ((i % 8) * 8)) ^ (i * 37));
  int o = 0;
  for (int i = 0; i < 15; i += 3) {
    uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
    out[o++] = b64[v >> 18 & 63];
    out[o++] = b64[v >> 12 & 63];
    out[o++] = b64[v >> 6 & 63];
    out[o++] = b64[v & 63];
  }
  uint32_t v = (uint32_t)raw[15] << 16;
  out[o++] = b64[v >> 18 & 63];
  out[o++] = b64[v >> 12 & 63];
  out[o++] = '=';
  out[o++] = '=';
  out[o] = 0;
}

static void open_slot(struct slot *s) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (naddrs > 1) {
    struct sockaddr_in local;
    memset(&local, 0, sizeof local);
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(attempts % (uint64_t)naddrs));
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) die("bind");
  }
  attempts++;
  s->fd = fd;
  s->state = CONNECTING;
  s->started = now_s();
  s->got = 0;
  int r = connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr);
  if (r < 0 && errno != EINPROGRESS) die("connect");
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLOUT;
  ev.data.ptr = s;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
}

static void finish(struct slot *s) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  open_slot(s);
}

static void send_request(struct slot *s) {
  char key[25], req[512];
  make_key(key, attempts * 2654435761u);
  int n = snprintf(req, sizeof req,
                   "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   host, port, key);
  if (send(s->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
    errors++;
    finish(s);
    return;
  }
  s->state = HEAD;
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.ptr = s;
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0) die("epoll_ctl mod");
}

/* A masked close frame with status 1000 (rfc6455#section-5.5.1). */
static const unsigned char CLOSE_FRAME[] = {0x88, 0x82, 0x11, 0x22, 0x33, 0x44,
                                            0x03 ^ 0x11, 0xe8 ^ 0x22};

static void on_event(struct slot *s, uint32_t events) {
  if (s->state == CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      errors++;
      finish(s);
      return;
    }
    send_request(s);
    return;
  }
  char buf[4096];
  for (;;) {
    ssize_t r = recv(s->fd, s->state == HEAD ? s->head + s->got : buf,
                     s->state == HEAD ? sizeof s->head - 1 - s->got : sizeof buf, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      errors++;
      finish(s);
      return;
    }
    if (r == 0) {
      if (s->state == DRAIN) cycles++;
      else errors++;
      finish(s);
      return;
    }
    if (s->state != HEAD) continue;
    s->got += (size_t)r;
    s->head[s->got] = 0;
    if (strstr(s->head, "\r\n\r\n") == NULL) {
      if (s->got >= sizeof s->head - 1) {
        refused++;
        finish(s);
        return;
      }
      continue;
    }
    if (strncmp(s->head, "HTTP/1.1 101", 12) != 0) {
      if (refused == 0) fprintf(stderr, "loadgen: refused: %.200s\n", s->head);
      refused++;
      finish(s);
      return;
    }
    s->state = DRAIN;
    if (send(s->fd, CLOSE_FRAME, sizeof CLOSE_FRAME, MSG_NOSIGNAL) != sizeof CLOSE_FRAME) {
      errors++;
      finish(s);
      return;
    }
  }
}

int main(int argc, char **argv) {
  int nslots = 32, server_pid = 0;
  double duration = 3, warmup = 1;
  int opt;
  while ((opt = getopt(argc, argv, "H:p:c:t:u:P:a:")) != -1) {
    switch (opt) {
      case 'H': host = optarg; break;
      case 'p': port = atoi(optarg); break;
      case 'c': nslots = atoi(optarg); break;
      case 't': duration = atof(optarg); break;
      case 'u': warmup = atof(optarg); break;
      case 'P': server_pid = atoi(optarg); break;
      case 'a': naddrs = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: loadgen -H host -p port -c concurrency -t secs -u secs "
                        "[-P server_pid] [-a addrs]\n");
        return 2;
    }
  }
  if (port <= 0 || nslots <= 0 || nslots > MAX_SLOTS || duration <= 0 || warmup < 0 ||
      naddrs < 1 || naddrs > 250) {
    fprintf(stderr, "loadgen: bad arguments\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  memset(&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &server_addr.sin_addr) != 1) {
    fprintf(stderr, "loadgen: host must be an IPv4 address\n");
    return 2;
  }
  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");
  struct slot *slots = calloc((size_t)nslots, sizeof *slots);
  if (slots == NULL) die("calloc");
  for (int k = 0; k < nslots; k++) open_slot(&slots[k]);

  double start = now_s();
  double warm_at = start + warmup;
  double end_at = warm_at + duration;
  int warmed = 0;
  double t_warm = 0, cpu_warm = 0, srv_warm = -1;
  uint64_t cycles_warm = 0;
  struct epoll_event events[MAX_EVENTS];
  double last_sweep = start;
  for (;;) {
    double t = now_s();
    if (!warmed && t >= warm_at) {
      warmed = 1;
      t_warm = t;
      cpu_warm = cpu_s();
      srv_warm = proc_cpu_s(server_pid);
      cycles_warm = cycles;
    }
    if (t >= end_at) break;
    if (t - last_sweep > 0.25) {
      last_sweep = t;
      for (int k = 0; k < nslots; k++) {
        if (t - slots[k].started > ATTEMPT_TIMEOUT_S) {
          timeouts++;
          finish(&slots[k]);
        }
      }
    }
    double next = warmed ? end_at : warm_at;
    int timeout_ms = (int)((next - t) * 1000) + 1;
    if (timeout_ms > 100) timeout_ms = 100;
    int n = epoll_wait(epfd, events, MAX_EVENTS, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int e = 0; e < n; e++) on_event(events[e].data.ptr, events[e].events);
  }
  double t_end = now_s();
  double cpu_end = cpu_s();
  double srv_end = proc_cpu_s(server_pid);
  double secs = t_end - t_warm;
  uint64_t done = cycles - cycles_warm;
  double srv = srv_warm < 0 || srv_end < 0 ? -1 : 100.0 * (srv_end - srv_warm) / secs;
  printf("RESULT cycles=%llu secs=%.3f cycles_per_s=%.0f cpu=%.1f srv_cpu=%.1f refused=%llu "
         "timeouts=%llu errors=%llu\n",
         (unsigned long long)done, secs, (double)done / secs, 100.0 * (cpu_end - cpu_warm) / secs,
         srv, (unsigned long long)refused, (unsigned long long)timeouts,
         (unsigned long long)errors);
  fflush(stdout);
  for (int k = 0; k < nslots; k++) {
    struct linger lg = {1, 0};
    setsockopt(slots[k].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(slots[k].fd);
  }
  return 0;
}
