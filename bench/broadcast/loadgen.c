// Fan-out load generator for `npm run bench:broadcast` (see run.ts): one publisher, N
// subscribers, one topic. Every subscriber counts the frames it receives (server frames of a
// fixed payload size are all the same size, so bytes / frame size is exact); the publisher keeps
// at most WINDOW messages ahead of the average subscriber, so no server is asked to buffer
// without bound. Prints one JSON line: deliveries per second over the measured interval and the
// server processes' CPU seconds (all threads, /proc/PID/stat) and its own over it.
//
//   loadgen HOST PATH SUBSCRIBERS SIZE SECONDS WARMUP WINDOW PORT[,PORT...] PID[,PID...]
//
// Subscribers are spread over the ports in turn; the publisher connects to the first port.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_seconds(const char *pids) {
  double total = 0;
  char copy[256];
  snprintf(copy, sizeof copy, "%s", pids);
  for (char *p = strtok(copy, ","); p; p = strtok(NULL, ",")) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", p);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *s = strrchr(buf, ')');
    if (!s) continue;
    unsigned long utime = 0, stime = 0;
    // fields after ")": state(3) ... utime(14) stime(15)
    sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
    total += (double)(utime + stime) / sysconf(_SC_CLK_TCK);
  }
  return total;
}

static double own_cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static int open_ws(const char *host, int port, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   path, host, port);
  if (write(fd, req, n) != n) { perror("write"); exit(1); }
  // Read the response head byte by byte: nothing may be read past it.
  char last[4] = {0};
  for (;;) {
    char c;
    if (read(fd, &c, 1) != 1) { fprintf(stderr, "handshake failed\n"); exit(1); }
    last[0] = last[1]; last[1] = last[2]; last[2] = last[3]; last[3] = c;
    if (memcmp(last, "\r\n\r\n", 4) == 0) break;
  }
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 10) { fprintf(stderr, "usage: see loadgen.c\n"); return 2; }
  const char *host = argv[1], *path = argv[2];
  int subs = atoi(argv[3]), size = atoi(argv[4]);
  double seconds = atof(argv[5]), warmup = atof(argv[6]);
  long window = atol(argv[7]);
  int ports[16], nports = 0;
  char portlist[256];
  snprintf(portlist, sizeof portlist, "%s", argv[8]);
  for (char *p = strtok(portlist, ","); p && nports < 16; p = strtok(NULL, ",")) ports[nports++] = atoi(p);
  const char *pids = argv[9];

  int frame = size + (size < 126 ? 2 : 4);
  int *fds = calloc(subs, sizeof(int));
  unsigned long long *bytes = calloc(subs, sizeof(unsigned long long));
  int ep = epoll_create1(0);
  for (int i = 0; i < subs; i++) {
    fds[i] = open_ws(host, ports[i % nports], path);
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
  }
  int pub = open_ws(host, ports[0], path);
  // Give servers that subscribe across processes a moment to do so.
  usleep(300 * 1000);

  // One masked binary frame, repeated in a batch buffer.
  int mframe = size + (size < 126 ? 6 : 8);
  int batch = 64;
  unsigned char *out = malloc((size_t)mframe * batch);
  for (int b = 0; b < batch; b++) {
    unsigned char *f = out + (size_t)b * mframe;
    int at = 0;
    f[at++] = 0x82;
    if (size < 126) f[at++] = 0x80 | size;
    else { f[at++] = 0x80 | 126; f[at++] = size >> 8; f[at++] = size & 0xff; }
    memset(f + at, 0, 4); // mask key 0: payload unchanged
    at += 4;
    for (int k = 0; k < size; k++) f[at + k] = (unsigned char)('a' + k % 26);
  }
  size_t out_len = 0, out_off = 0;

  unsigned long long sent = 0, delivered_total = 0, at_start = 0;
  double t0 = now(), start = t0 + warmup, end = start + seconds;
  double cpu0 = 0, own0 = 0;
  int started = 0;
  static char buf[1 << 16];
  struct epoll_event events[256];
  for (;;) {
    double t = now();
    if (!started && t >= start) { started = 1; at_start = delivered_total; cpu0 = cpu_seconds(pids); own0 = own_cpu(); }
    if (t >= end) break;
    // Publish while the average subscriber is within the window.
    while (out_len == 0 && (long long)(sent - delivered_total / subs) < window) {
      out_len = (size_t)mframe * batch;
      out_off = 0;
      sent += batch;
    }
    if (out_len > 0) {
      ssize_t w = write(pub, out + out_off, out_len);
      if (w > 0) { out_off += w; out_len -= w; }
      else if (w < 0 && errno != EAGAIN) { perror("publish"); return 1; }
    }
    // Drain what the publisher itself receives (nothing, when it is excluded).
    while (read(pub, buf, sizeof buf) > 0) {}
    int n = epoll_wait(ep, events, 256, out_len > 0 ? 0 : 1);
    for (int i = 0; i < n; i++) {
      int s = events[i].data.u32;
      for (;;) {
        ssize_t r = read(fds[s], buf, sizeof buf);
        if (r <= 0) break;
        unsigned long long before = bytes[s] / frame;
        bytes[s] += r;
        delivered_total += bytes[s] / frame - before;
      }
    }
  }
  double cpu1 = cpu_seconds(pids), own1 = own_cpu();
  unsigned long long delivered = delivered_total - at_start;
  printf("{\"deliveries\":%llu,\"perSecond\":%.0f,\"serverCpu\":%.3f,\"loadgenCpu\":%.3f,"
         "\"seconds\":%.3f}\n",
         delivered, delivered / seconds, cpu1 - cpu0, own1 - own0, seconds);
  return 0;
}
