/*
 * Raw TCP echo server for bench/echo: the ceiling that shows the load generator is not the
 * bottleneck. It returns every byte as it came (the loadgen's masked frames, verbatim).
 *
 * One thread, non-blocking sockets, level-triggered epoll. By default the bytes never enter
 * user space: splice moves them from the socket into a pipe and from the pipe back out, so this
 * server costs as little as an echo can and the rate measured is the loadgen's. While part of a
 * connection's data is still unsent, the connection is not read (so TCP pushes back).
 * Prints `LISTENING <port>` once bound; runs until killed.
 *
 *   tcp_echo [port] [splice|copy]   (default: a free port, splice; copy uses recv + send)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF (256 * 1024)
#define PIPE_SIZE (1 << 20)
#define MAX_EVENTS 64

struct conn {
  int fd;
  int pipe_rd, pipe_wr;
  size_t start, end; /* unsent bytes: buf[start, end) (copy) or `end` bytes in the pipe */
  unsigned char *buf;
};

static int epfd;
static int use_splice = 1;
static size_t pipe_cap = PIPE_SIZE;

static void die(const char *what) {
  fprintf(stderr, "tcp_echo: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void watch(struct conn *c, unsigned events, int op) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.ptr = c;
  if (epoll_ctl(epfd, op, c->fd, &ev) < 0) die("epoll_ctl");
}

static void drop(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (use_splice) {
    close(c->pipe_rd);
    close(c->pipe_wr);
  }
  free(c->buf);
  free(c);
}

/* Returns 0 when everything was sent, 1 when the socket is full, -1 on error. */
static int flush(struct conn *c) {
  while (c->start < c->end) {
    ssize_t w = use_splice
      ? splice(c->pipe_rd, NULL, c->fd, NULL, c->end - c->start, SPLICE_F_NONBLOCK | SPLICE_F_MOVE)
      : send(c->fd, c->buf + c->start, c->end - c->start, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
      if (errno == EINTR) continue;
      return -1;
    }
    if (w == 0) return -1;
    c->start += (size_t)w;
  }
  c->start = c->end = 0;
  return 0;
}

/* Returns the bytes read, 0 at EOF, -1 on error, -2 when nothing was there. */
static ssize_t fill(struct conn *c) {
  ssize_t r = use_splice
    ? splice(c->fd, NULL, c->pipe_wr, NULL, pipe_cap, SPLICE_F_NONBLOCK | SPLICE_F_MOVE)
    : recv(c->fd, c->buf, BUF, 0);
  if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -2 : -1;
  return r;
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  if (argc > 2) use_splice = strcmp(argv[2], "copy") != 0;
  signal(SIGPIPE, SIG_IGN); /* splice has no MSG_NOSIGNAL: a reset peer must not kill us */
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, 1024) < 0) die("listen");
  socklen_t len = sizeof addr;
  if (getsockname(lfd, (struct sockaddr *)&addr, &len) < 0) die("getsockname");
  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");
  struct epoll_event lev;
  memset(&lev, 0, sizeof lev);
  lev.events = EPOLLIN;
  lev.data.ptr = NULL;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl listen");
  printf("LISTENING %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int e = 0; e < n; e++) {
      struct conn *c = events[e].data.ptr;
      if (c == NULL) {
        for (int k = 0; k < MAX_EVENTS; k++) { /* bounded accept burst */
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = calloc(1, sizeof *nc);
          if (nc == NULL) die("calloc");
          nc->fd = fd;
          if (use_splice) {
            int fds[2];
            if (pipe2(fds, O_NONBLOCK) < 0) die("pipe2");
            int got = fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
            if (got > 0 && (size_t)got < pipe_cap) pipe_cap = (size_t)got;
            if (got < 0) pipe_cap = 65536;
            nc->pipe_rd = fds[0];
            nc->pipe_wr = fds[1];
          } else {
            nc->buf = malloc(BUF);
            if (nc->buf == NULL) die("malloc");
          }
          watch(nc, EPOLLIN, EPOLL_CTL_ADD);
        }
        continue;
      }
      if (c->start < c->end) { /* waiting for EPOLLOUT */
        int r = flush(c);
        if (r < 0) drop(c);
        else if (r == 0) watch(c, EPOLLIN, EPOLL_CTL_MOD);
        continue;
      }
      ssize_t r = fill(c);
      if (r == 0 || r == -1) {
        drop(c);
        continue;
      }
      if (r < 0) continue;
      c->start = 0;
      c->end = (size_t)r;
      int f = flush(c);
      if (f < 0) drop(c);
      else if (f == 1) watch(c, EPOLLOUT, EPOLL_CTL_MOD);
    }
  }
}
