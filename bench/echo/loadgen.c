/*
 * WebSocket echo load generator for bench/echo (run by `npm run bench:echo`).
 *
 * Opens N connections, does the opening handshake on each (mode "ws"), then keeps a window of
 * W masked binary messages of SIZE bytes in flight per connection: every echoed message that
 * comes back lets one more go out. It counts echoed messages for DURATION seconds after a
 * WARMUP and prints one line:
 *
 *   RESULT msgs=<n> secs=<s> msgs_per_s=<r> mb_per_s=<r> cpu=<%> usr=<%> srv_cpu=<%>
 *          idle_conns=<n>
 *
 * MB/s counts echoed payload bytes (10^6 bytes per MB), one direction. `cpu` is this process's
 * user+system CPU time over the measured interval, in % of one core (`usr`: user time only,
 * the loadgen's own work; the rest is the kernel's TCP and wake-ups); `srv_cpu` the same for the
 * server process given with -P (all its threads, from /proc; -1 without -P); `idle_conns`
 * counts connections that got no message back during the interval.
 *
 * Mode "raw" skips the handshake, for a plain TCP echo server: the frames come back exactly as
 * sent, masked, and the same frame parser reads them, so the ceiling it measures includes the
 * loadgen's own cost of the very same work.
 *
 * -z: permessage-deflate (RFC 7692). The message is a compressible, JSON-like text of SIZE
 * bytes instead of the byte pattern. (In raw mode there is no handshake: the compressed frames
 * come back verbatim and are counted, never inflated.) In ws mode the handshake offers
 * `permessage-deflate; client_no_context_takeover; client_max_window_bits`, and the server must
 * accept it. Because the offer promises client_no_context_takeover, every message is compressed
 * on its own, so the loadgen compresses the message once at startup (raw DEFLATE, zlib's default
 * level, with the window the server allows, sync flush, `00 00 ff ff` tail removed) and sends
 * that same frame, RSV1 set, every time. Echoes are counted whether or not the server compressed
 * them (RSV1 set or clear); an uncompressed echo must have SIZE bytes. Once per connection, the
 * first compressed echo is inflated (raw inflate with a 15-bit window, `00 00 ff ff` appended)
 * and must give back the message sent. RSV2/RSV3, and RSV1 on a continuation frame, fail the run.
 * The RESULT line then also holds:
 *
 *   wire_mb_per_s=<r> wire_bytes=<n> sent_bytes=<n> rsv1_msgs=<n> plain_msgs=<n>
 *   verified_conns=<n>
 *
 * `wire_*`: echoed payload bytes as they came over the wire (compressed or not, frame headers
 * not counted), over the measured interval; `sent_bytes`: the compressed payload of the frame the
 * loadgen sends; `rsv1_msgs`/`plain_msgs`: echoes over the measured interval that came back
 * compressed / uncompressed; `verified_conns`: connections whose echo was inflated and checked.
 * Before it, a line `EXTENSIONS <value>` gives the server's Sec-WebSocket-Extensions answer.
 *
 * One thread, non-blocking sockets, level-triggered epoll. Every loop is bounded by the
 * deadline or by the length of a buffer.
 *
 *   loadgen -m ws|raw -H host -p port -c conns -s size -w window -t secs -u warmup_secs
 *           [-P server_pid] [-z] [-b]
 *
 * -b polls instead of sleeping in epoll_wait (for experiments; the benchmark does not use it).
 * Build: gcc -O2 -o loadgen loadgen.c -lz (zlib headers: Debian's zlib1g-dev).
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
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define RECV_BUF (1 << 20)
#define MAX_CONNS 1024
#define MAX_EVENTS 64
#define SKIP_MIN 4096

struct conn {
  int fd;
  int want_out;          /* EPOLLOUT registered */
  uint64_t can_send;     /* bytes the window still lets us send */
  size_t off;            /* position in the send cycle, inside the current frame */
  /* frame parser */
  unsigned char hdr[14];
  unsigned hdr_len;      /* header bytes collected so far */
  unsigned hdr_need;     /* header bytes needed (2 until the second byte is known) */
  int in_payload;
  unsigned fin;          /* of the frame whose payload is being skipped */
  unsigned op;
  uint64_t payload_left; /* payload bytes of the current frame still to skip */
  uint64_t msg_bytes;    /* payload bytes of the current message so far */
  uint64_t received;     /* complete messages echoed on this connection */
  uint64_t received_at_warm;
  /* large messages: sent through a pipe (vmsplice + splice), bytes still in it */
  int pipe_rd, pipe_wr;
  size_t pipe_bytes;
  /* -z */
  int msg_rsv1;          /* the current message came compressed (RSV1 on its first frame) */
  int verified;          /* a compressed echo of this connection was inflated and checked */
  unsigned char *vbuf;   /* until then: the compressed payload of the current message */
  size_t vlen;
  int client_bits;       /* window the server lets the client compress with (8..15) */
  char extensions[256];  /* the server's Sec-WebSocket-Extensions answer */
};

static int mode_raw = 0;
static size_t msg_size = 16;
static size_t frame_len = 0;
static unsigned char *batch = NULL; /* `window` copies of the masked frame, back to back */
static size_t batch_len = 0;
static size_t expected_hdr = 2; /* header length of an echoed frame */
static uint64_t received = 0; /* complete echoed messages, all connections */
static int deflate_on = 0;    /* -z: permessage-deflate */
static size_t wire_size = 0;  /* payload bytes of the frame sent (the message, or compressed) */
static size_t big_in = 0;     /* echoes are large: read headers only, drop payloads in-kernel */
static unsigned char *message = NULL; /* -z: the uncompressed message, to check echoes against */
static size_t vcap = 0;       /* room for one compressed echo being checked (+ the 4-byte tail) */
static uint64_t wire_received = 0; /* echoed payload bytes as received, all connections */
static uint64_t rsv1_received = 0, plain_received = 0; /* -z: compressed / uncompressed echoes */
static int epfd = -1;
static unsigned char recv_buf[RECV_BUF];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's CPU seconds: user + system, or user only. */
static double cpu_s(int user_only) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  if (user_only) return user;
  return user + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
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
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (p == NULL) return -1;
  unsigned long long utime = 0, stime = 0;
  /* after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) {
    return -1;
  }
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void fail(const char *what) {
  fprintf(stderr, "loadgen: %s\n", what);
  exit(2);
}

/* One client frame: FIN + binary (+ RSV1 if compressed), masked with a fixed key. */
static size_t build_frame(unsigned char *out, const unsigned char *payload, size_t len, int rsv1) {
  static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  size_t n = 0;
  out[n++] = rsv1 ? 0xC2 : 0x82;
  if (len < 126) {
    out[n++] = (unsigned char)(0x80 | len);
  } else if (len < 65536) {
    out[n++] = 0x80 | 126;
    out[n++] = (unsigned char)(len >> 8);
    out[n++] = (unsigned char)len;
  } else {
    out[n++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) out[n++] = (unsigned char)((uint64_t)len >> (8 * i));
  }
  memcpy(out + n, key, 4);
  n += 4;
  for (size_t i = 0; i < len; i++) out[n + i] = payload[i] ^ key[i & 3];
  return n + len;
}

/* The fixed byte pattern of the uncompressed benchmark. */
static void fill_pattern(unsigned char *out, size_t len) {
  for (size_t i = 0; i < len; i++) out[i] = (unsigned char)(i * 31u + 7u);
}

/*
 * A compressible, JSON-like message of exactly `len` bytes: an array of user records whose
 * numbers and names vary (a fixed pseudo-random sequence), padded with spaces before the `]`.
 * zlib's default level shrinks it to about a fifth (more for longer messages).
 */
static uint32_t xorshift32(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void fill_json(unsigned char *out, size_t len) {
  static const char *const tags[] = {"alpha", "beta", "gamma", "delta", "omega", "sigma"};
  static const char *const cities[] = {"Lisbon", "Oslo", "Kyoto", "Austin", "Lagos", "Lima"};
  uint32_t x = 2463534242u;
  size_t n = 0;
  if (len < 2) {
    memset(out, ' ', len);
    return;
  }
  out[n++] = '[';
  for (unsigned id = 1;; id++) {
    /* drawn one by one: the order of a call's arguments is unspecified */
    unsigned u = xorshift32(&x) % 100000u;
    int active = xorshift32(&x) & 1;
    unsigned score = xorshift32(&x) % 1000u, cents = xorshift32(&x) % 100u;
    const char *city = cities[xorshift32(&x) % 6u];
    const char *tag1 = tags[xorshift32(&x) % 6u], *tag2 = tags[xorshift32(&x) % 6u];
    unsigned ts = xorshift32(&x) % 100000000u;
    char rec[256];
    int r = snprintf(rec, sizeof rec,
                     "%s{\"id\":%u,\"user\":\"user-%05u\",\"email\":\"user%05u@example.com\","
                     "\"active\":%s,\"score\":%u.%02u,\"city\":\"%s\",\"tags\":[\"%s\",\"%s\"],"
                     "\"ts\":17123%08u}",
                     id == 1 ? "" : ",", id, u, u, active ? "true" : "false", score, cents, city,
                     tag1, tag2, ts);
    if (r <= 0 || n + (size_t)r + 1 > len) break;
    memcpy(out + n, rec, (size_t)r);
    n += (size_t)r;
  }
  memset(out + n, ' ', len - 1 - n);
  out[len - 1] = ']';
}

/*
 * Compresses `in` as one permessage-deflate message (rfc7692#section-7.2.1): raw DEFLATE with a
 * `bits` window, a sync flush, and the `00 00 ff ff` it ends with removed. Returns the length.
 */
static size_t deflate_message(const unsigned char *in, size_t len, int bits, unsigned char **out) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  /* zlib will not set up a raw stream with an 8-bit window; its 9-bit one stays within 8 bits */
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -(bits < 9 ? 9 : bits), 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    fail("deflateInit2");
  }
  size_t cap = deflateBound(&zs, (uLong)len) + 16;
  unsigned char *buf = malloc(cap);
  if (buf == NULL) fail("out of memory");
  zs.next_in = (unsigned char *)in;
  zs.avail_in = (uInt)len;
  zs.next_out = buf;
  zs.avail_out = (uInt)cap;
  if (deflate(&zs, Z_SYNC_FLUSH) != Z_OK || zs.avail_in != 0 || zs.avail_out == 0) {
    fail("deflate");
  }
  size_t n = zs.total_out;
  deflateEnd(&zs);
  if (n < 4 || memcmp(buf + n - 4, "\x00\x00\xff\xff", 4) != 0) fail("sync flush tail missing");
  *out = buf;
  return n - 4;
}

/* Inflates a compressed echo (rfc7692#section-7.2.2) and checks it is the message sent. */
static void check_echo(struct conn *c) {
  memcpy(c->vbuf + c->vlen, "\x00\x00\xff\xff", 4);
  unsigned char *plain = malloc(msg_size + 1);
  if (plain == NULL) fail("out of memory");
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -15) != Z_OK) fail("inflateInit2");
  zs.next_in = c->vbuf;
  zs.avail_in = (uInt)(c->vlen + 4);
  zs.next_out = plain;
  zs.avail_out = (uInt)(msg_size + 1);
  int ret = inflate(&zs, Z_SYNC_FLUSH);
  /* Z_STREAM_END: the server ended the message with a final block; what follows is ignored */
  if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) fail("compressed echo is corrupt");
  if (zs.total_out != msg_size || memcmp(plain, message, msg_size) != 0) {
    fail("compressed echo does not inflate to the message sent");
  }
  inflateEnd(&zs);
  free(plain);
  free(c->vbuf);
  c->vbuf = NULL;
  c->verified = 1;
}

static void set_events(struct conn *c, int want_out) {
  if (c->want_out == want_out) return;
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
  ev.data.ptr = c;
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
  c->want_out = want_out;
}

/* Sends what the window allows; bounded: every pass sends at least one byte or returns. */
static void pump_out(struct conn *c) {
  while (c->can_send > 0) {
    size_t avail = batch_len - c->off;
    size_t n = c->can_send < avail ? (size_t)c->can_send : avail;
    ssize_t w = send(c->fd, batch + c->off, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_events(c, 1);
        return;
      }
      if (errno == EINTR) continue;
      die("send");
    }
    c->can_send -= (uint64_t)w;
    c->off = (c->off + (size_t)w) % frame_len;
  }
  set_events(c, 0);
}

/*
 * The same for large messages, without copying: vmsplice hands the pages of `batch` (which
 * never changes) to a pipe by reference, and splice moves them on into the socket. Bounded like
 * pump_out: every pass moves at least one byte or returns.
 */
static void pump_out_spliced(struct conn *c) {
  while (c->can_send > 0 || c->pipe_bytes > 0) {
    if (c->pipe_bytes == 0) {
      size_t avail = batch_len - c->off;
      size_t n = c->can_send < avail ? (size_t)c->can_send : avail;
      struct iovec iov = {batch + c->off, n};
      ssize_t v = vmsplice(c->pipe_wr, &iov, 1, SPLICE_F_NONBLOCK);
      if (v <= 0) {
        if (v < 0 && errno == EINTR) continue;
        die("vmsplice");
      }
      c->pipe_bytes = (size_t)v;
      c->can_send -= (uint64_t)v;
      c->off = (c->off + (size_t)v) % frame_len;
    }
    ssize_t w = splice(c->pipe_rd, NULL, c->fd, NULL, c->pipe_bytes,
                       SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_events(c, 1);
        return;
      }
      if (errno == EINTR) continue;
      die("splice");
    }
    if (w == 0) fail("splice moved nothing");
    c->pipe_bytes -= (size_t)w;
  }
  set_events(c, 0);
}

static void send_more(struct conn *c) {
  if (wire_size >= SKIP_MIN) pump_out_spliced(c);
  else pump_out(c);
}

static void frame_done(struct conn *c) {
  c->in_payload = 0;
  if (c->op != 0x2 && c->op != 0x0) return; /* ping or pong: nothing to count */
  if (!c->fin) return;
  if (!c->msg_rsv1 && c->msg_bytes != msg_size) fail("echoed message has the wrong size");
  if (deflate_on) {
    if (c->msg_rsv1) {
      rsv1_received++;
      if (c->vbuf != NULL) check_echo(c);
    } else {
      plain_received++;
    }
  }
  wire_received += c->msg_bytes;
  c->msg_bytes = 0;
  c->received++;
  received++;
  c->can_send += frame_len;
}

/* Parses echoed frames; every complete message opens the window by one more message. */
static void parse(struct conn *c, const unsigned char *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    if (!c->in_payload) {
      while (c->hdr_len < c->hdr_need && i < len) c->hdr[c->hdr_len++] = p[i++];
      if (c->hdr_len < c->hdr_need) return;
      if (c->hdr_len == 2) {
        unsigned masked = c->hdr[1] & 0x80;
        unsigned l7 = c->hdr[1] & 0x7f;
        if (masked && !mode_raw) fail("server sent a masked frame");
        if (!masked && mode_raw) fail("raw echo returned an unmasked frame");
        c->hdr_need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (c->hdr_need > 2) continue;
      }
      unsigned l7 = c->hdr[1] & 0x7f;
      uint64_t plen = l7;
      if (l7 == 126) {
        plen = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
      } else if (l7 == 127) {
        plen = 0;
        for (int k = 0; k < 8; k++) plen = (plen << 8) | c->hdr[2 + k];
      }
      c->fin = c->hdr[0] & 0x80;
      c->op = c->hdr[0] & 0x0f;
      if (c->op == 0x8) fail("server sent a Close frame");
      if (c->op != 0x0 && c->op != 0x2 && c->op != 0x9 && c->op != 0xA) {
        fail("unexpected opcode");
      }
      if (deflate_on) {
        unsigned rsv = c->hdr[0] & 0x70;
        /* RSV1 only on the first frame of a data message (rfc7692#section-6.1) */
        if (rsv & 0x30) fail("server set RSV2 or RSV3");
        if (rsv && c->op != 0x2) fail("server set RSV1 on a continuation or control frame");
        if (c->op == 0x2) {
          c->msg_rsv1 = rsv != 0;
          c->vlen = 0;
        }
      }
      c->payload_left = plen;
      c->in_payload = 1;
      c->hdr_len = 0;
      c->hdr_need = 2;
    }
    uint64_t rest = (uint64_t)(len - i);
    uint64_t take = c->payload_left < rest ? c->payload_left : rest;
    c->payload_left -= take;
    if (c->op == 0x2 || c->op == 0x0) {
      if (c->vbuf != NULL && c->msg_rsv1) {
        if (c->vlen + take > vcap) fail("compressed echo larger than its message can deflate to");
        memcpy(c->vbuf + c->vlen, p + i, (size_t)take);
        c->vlen += (size_t)take;
      }
      c->msg_bytes += take;
    }
    i += (size_t)take;
    if (c->payload_left == 0) frame_done(c);
  }
}

/*
 * Reads what arrived. Small messages are read in bulk and parsed. For large ones (SKIP_MIN and
 * up) only frame headers are read; payloads are dropped in the kernel with MSG_TRUNC, which on
 * TCP discards bytes without copying them out, so the loadgen does not pay for a copy the
 * servers have to make.
 */
static void on_readable(struct conn *c) {
  /* a connection whose compressed echo is still to be checked reads payloads too */
  int big = big_in && c->vbuf == NULL;
  ssize_t r;
  if (big && c->in_payload) {
    size_t want = c->payload_left < (1u << 30) ? (size_t)c->payload_left : (1u << 30);
    r = recv(c->fd, NULL, want, MSG_TRUNC);
  } else {
    /* at a frame start, the whole header the echo should have (parse copes with any frame) */
    size_t want = !big ? sizeof recv_buf : c->hdr_len == 0 ? expected_hdr : c->hdr_need - c->hdr_len;
    r = recv(c->fd, recv_buf, want, 0);
  }
  if (r == 0) fail("the server closed a connection");
  if (r < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) die("recv");
    return;
  }
  if (big && c->in_payload) {
    c->payload_left -= (uint64_t)r;
    if (c->op == 0x2 || c->op == 0x0) c->msg_bytes += (uint64_t)r;
    if (c->payload_left == 0) frame_done(c);
  } else {
    parse(c, recv_buf, (size_t)r);
  }
}

/*
 * Reads the server's Sec-WebSocket-Extensions answer (rfc7692#section-7.1): it must accept
 * permessage-deflate; `client_max_window_bits=N` bounds the window the loadgen compresses with.
 * The other parameters need nothing: the offer already promised client_no_context_takeover,
 * and a 15-bit inflater reads any server window.
 */
static void accept_extensions(struct conn *c, const char *head, size_t len) {
  static const char name[] = "\r\nsec-websocket-extensions:";
  const char *value = NULL;
  size_t vlen = 0;
  for (size_t i = 0; i + sizeof name - 1 <= len; i++) {
    if (strncasecmp(head + i, name, sizeof name - 1) != 0) continue;
    if (value != NULL) fail("more than one Sec-WebSocket-Extensions header in the response");
    value = head + i + sizeof name - 1;
    while (value < head + len && (*value == ' ' || *value == '\t')) value++;
    const char *stop = value;
    while (stop < head + len && *stop != '\r') stop++;
    vlen = (size_t)(stop - value);
  }
  if (vlen >= sizeof c->extensions) vlen = sizeof c->extensions - 1;
  if (value != NULL) memcpy(c->extensions, value, vlen);
  c->extensions[vlen] = 0;
  if (value == NULL || strncmp(c->extensions, "permessage-deflate", 18) != 0 ||
      strchr(c->extensions, ',') != NULL) {
    fprintf(stderr, "loadgen: the server did not accept permessage-deflate (extensions: %s)\n",
            value == NULL ? "none" : c->extensions);
    exit(2);
  }
  c->client_bits = 15;
  const char *bits = strstr(c->extensions, "client_max_window_bits");
  if (bits != NULL) {
    bits += strlen("client_max_window_bits");
    while (*bits == ' ') bits++;
    if (*bits == '=') {
      bits++;
      while (*bits == ' ' || *bits == '"') bits++;
      int v = atoi(bits);
      if (v < 8 || v > 15) fail("client_max_window_bits out of range");
      c->client_bits = v;
    }
  }
  c->vbuf = malloc(vcap);
  if (c->vbuf == NULL) fail("out of memory");
}

/* Blocking connect and, in ws mode, the opening handshake; leftover bytes go to the parser. */
static void open_conn(struct conn *c, const struct sockaddr_in *addr, const char *host,
                      int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) die("connect");
  c->fd = fd;
  c->hdr_need = 2;
  if (mode_raw) return;
  char req[640];
  int n = snprintf(req, sizeof req,
                   "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n%s\r\n",
                   host, port,
                   deflate_on ? "Sec-WebSocket-Extensions: permessage-deflate; "
                                "client_no_context_takeover; client_max_window_bits\r\n"
                              : "");
  if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) die("send handshake");
  char resp[4096];
  size_t got = 0;
  char *end = NULL;
  while (got < sizeof resp - 1) {
    ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
    if (r <= 0) die("handshake response");
    got += (size_t)r;
    resp[got] = 0;
    end = strstr(resp, "\r\n\r\n");
    if (end != NULL) break;
  }
  if (end == NULL) fail("handshake response head too long");
  if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
    fprintf(stderr, "loadgen: handshake refused: %.*s\n", (int)(end - resp), resp);
    exit(2);
  }
  size_t head = (size_t)(end - resp) + 4;
  if (deflate_on) accept_extensions(c, resp, (size_t)(end - resp));
  if (got > head) parse(c, (const unsigned char *)resp + head, got - head);
}

static void usage(void) {
  fail("usage: loadgen -m ws|raw -H host -p port -c conns -s size -w window -t secs -u secs "
       "[-P server_pid] [-z] [-b]");
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 0, nconns = 32, window = 64, spin = 0, server_pid = 0;
  double duration = 3, warmup = 1;
  int opt;
  while ((opt = getopt(argc, argv, "m:H:p:c:s:w:t:u:bP:z")) != -1) {
    switch (opt) {
      case 'm': mode_raw = strcmp(optarg, "raw") == 0; break;
      case 'H': host = optarg; break;
      case 'p': port = atoi(optarg); break;
      case 'c': nconns = atoi(optarg); break;
      case 's': msg_size = (size_t)strtoull(optarg, NULL, 10); break;
      case 'w': window = atoi(optarg); break;
      case 't': duration = atof(optarg); break;
      case 'u': warmup = atof(optarg); break;
      case 'b': spin = 1; break;
      case 'P': server_pid = atoi(optarg); break;
      case 'z': deflate_on = 1; break;
      default: usage();
    }
  }
  if (port <= 0 || nconns <= 0 || nconns > MAX_CONNS || window <= 0 || msg_size == 0 ||
      duration <= 0 || warmup < 0) {
    usage();
  }

  signal(SIGPIPE, SIG_IGN); /* splice has no MSG_NOSIGNAL */
  message = malloc(msg_size);
  if (message == NULL) fail("out of memory");
  if (deflate_on) fill_json(message, msg_size);
  else fill_pattern(message, msg_size);
  /* a DEFLATE stream grows by at most 5 bytes per 16 KiB block plus a few: this is plenty */
  vcap = msg_size + msg_size / 64 + 1024 + 4;

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) fail("host must be an IPv4 address");

  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");
  struct conn *conns = calloc((size_t)nconns, sizeof *conns);
  if (conns == NULL) fail("out of memory");
  for (int k = 0; k < nconns; k++) open_conn(&conns[k], &addr, host, port);

  /* The frame to send, now that the server has said how large a window the client may use. */
  unsigned char *payload = message;
  wire_size = msg_size;
  if (deflate_on) {
    int bits = 15;
    for (int k = 0; k < nconns; k++) {
      if (!mode_raw && conns[k].client_bits < bits) bits = conns[k].client_bits;
    }
    wire_size = deflate_message(message, msg_size, bits, &payload);
    if (!mode_raw) printf("EXTENSIONS %s\n", conns[0].extensions);
  }
  unsigned char *one = malloc(wire_size + 14);
  if (one == NULL) fail("out of memory");
  frame_len = build_frame(one, payload, wire_size, deflate_on);
  if (payload != message) free(payload);
  /* echoes of compressed messages come back about as large as they were sent */
  expected_hdr = 2 + (wire_size < 126 ? 0 : wire_size < 65536 ? 2 : 8) + (mode_raw ? 4 : 0);
  big_in = wire_size >= SKIP_MIN;
  batch_len = frame_len * (size_t)window;
  batch = malloc(batch_len);
  if (batch == NULL) fail("out of memory");
  for (int k = 0; k < window; k++) memcpy(batch + (size_t)k * frame_len, one, frame_len);
  free(one);

  for (int k = 0; k < nconns; k++) {
    struct conn *c = &conns[k];
    int flags = fcntl(c->fd, F_GETFL, 0);
    if (flags < 0 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl add");
    c->can_send = batch_len;
    if (wire_size >= SKIP_MIN) {
      int fds[2];
      if (pipe2(fds, O_NONBLOCK) < 0) die("pipe2");
      fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* fewer round trips; the default 64 KiB also works */
      c->pipe_rd = fds[0];
      c->pipe_wr = fds[1];
    }
    send_more(c);
  }

  double start = now_s();
  double warm_at = start + warmup;
  double end_at = warm_at + duration;
  int warmed = 0;
  double t_warm = 0, cpu_warm = 0, usr_warm = 0, srv_warm = -1;
  uint64_t received_warm = 0, wire_warm = 0, rsv1_warm = 0, plain_warm = 0;
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    double t = now_s();
    if (!warmed && t >= warm_at) {
      warmed = 1;
      t_warm = t;
      cpu_warm = cpu_s(0);
      usr_warm = cpu_s(1);
      srv_warm = proc_cpu_s(server_pid);
      received_warm = received;
      wire_warm = wire_received;
      rsv1_warm = rsv1_received;
      plain_warm = plain_received;
      for (int k = 0; k < nconns; k++) conns[k].received_at_warm = conns[k].received;
    }
    if (t >= end_at) break;
    double next = warmed ? end_at : warm_at;
    int timeout_ms = (int)((next - t) * 1000) + 1;
    if (timeout_ms > 100) timeout_ms = 100;
    if (spin) timeout_ms = 0;
    int n = epoll_wait(epfd, events, MAX_EVENTS, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int e = 0; e < n; e++) {
      struct conn *c = events[e].data.ptr;
      if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        on_readable(c);
      }
      if (c->can_send > 0 || c->pipe_bytes > 0) send_more(c);
    }
  }
  double t_end = now_s();
  double cpu_end = cpu_s(0);
  double usr_end = cpu_s(1);
  double srv_end = proc_cpu_s(server_pid);
  double secs = t_end - t_warm;
  uint64_t msgs = received - received_warm;
  int idle = 0;
  for (int k = 0; k < nconns; k++) {
    if (conns[k].received == conns[k].received_at_warm) idle++;
  }
  double rate = (double)msgs / secs;
  double srv = srv_warm < 0 || srv_end < 0 ? -1 : 100.0 * (srv_end - srv_warm) / secs;
  printf("RESULT msgs=%llu secs=%.3f msgs_per_s=%.0f mb_per_s=%.2f cpu=%.1f usr=%.1f "
         "srv_cpu=%.1f idle_conns=%d",
         (unsigned long long)msgs, secs, rate, rate * (double)msg_size / 1e6,
         100.0 * (cpu_end - cpu_warm) / secs, 100.0 * (usr_end - usr_warm) / secs, srv, idle);
  if (deflate_on) {
    int verified = 0;
    for (int k = 0; k < nconns; k++) verified += conns[k].verified;
    uint64_t wire = wire_received - wire_warm;
    printf(" wire_mb_per_s=%.2f wire_bytes=%llu sent_bytes=%zu rsv1_msgs=%llu plain_msgs=%llu "
           "verified_conns=%d",
           (double)wire / secs / 1e6, (unsigned long long)wire, wire_size,
           (unsigned long long)(rsv1_received - rsv1_warm),
           (unsigned long long)(plain_received - plain_warm), verified);
  }
  printf("\n");
  fflush(stdout);
  /* Drop the connections at once (RST): the server should not echo the backlog any longer. */
  for (int k = 0; k < nconns; k++) {
    struct linger lg = {1, 0};
    setsockopt(conns[k].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(conns[k].fd);
  }
  return 0;
}
