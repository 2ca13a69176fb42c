/*
 * Idle WebSocket clients for `npm run bench:idle`'s scale run: opens COUNT connections to a
 * server, completes each opening handshake (the server's `HTTP/1.1 101`), and keeps them open
 * and silent until its standard input closes. It spreads the client ends over N loopback
 * source addresses (127.0.0.1 .. 127.0.0.N) so that more connections than one address has
 * ephemeral ports can be opened (about 28,000 per address with Linux's default port range).
 *
 *   idle_clients -p port -n count [-a addrs] [-o first_address_offset] [-m message_bytes]
 *
 * With `-m`, each connection then sends one masked binary message of that many bytes (up to
 * 65,535) and reads its echo before the next connection opens: connections that have been used
 * and gone quiet (`bench/idle/heap.ts` with `HEAP_MESSAGE`).
 *
 * Prints `READY <count>` once every handshake is done (or `FAILED <opened> <why>`), then waits.
 * Opens one connection at a time (blocking connect, request, head): plain and steady, which is
 * all an idle test needs. The caller raises this process's file limit (one per connection).
 * Build: gcc -O2 -o idle_clients idle_clients.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

int main(int argc, char **argv) {
  int port = 0, count = 0, naddrs = 1, offset = 0, message = 0, opt;
  while ((opt = getopt(argc, argv, "p:n:a:o:m:")) != -1) {
    switch (opt) {
      case 'p': port = atoi(optarg); break;
      case 'n': count = atoi(optarg); break;
      case 'a': naddrs = atoi(optarg); break;
      case 'o': offset = atoi(optarg); break;
      case 'm': message = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: idle_clients -p port -n count [-a addrs] [-o offset] [-m bytes]\n");
        return 2;
    }
  }
  if (port <= 0 || count <= 0 || naddrs < 1 || naddrs + offset > 250) return 2;
  if (message < 0 || message > 65535) return 2;
  // The message's frame: FIN + binary, masked, its length, a fixed key, the payload masked.
  static unsigned char frame[8 + 65535];
  static unsigned char echo[4 + 65535];
  size_t frame_len = 0, echo_len = 0;
  if (message > 0) {
    const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    frame[frame_len++] = 0x82;
    if (message < 126) {
      frame[frame_len++] = (unsigned char)(0x80 | message);
    } else {
      frame[frame_len++] = 0x80 | 126;
      frame[frame_len++] = (unsigned char)(message >> 8);
      frame[frame_len++] = (unsigned char)(message & 0xff);
    }
    memcpy(frame + frame_len, key, 4);
    frame_len += 4;
    for (int b = 0; b < message; b++) frame[frame_len++] = (unsigned char)('a' + b % 26) ^ key[b & 3];
    echo_len = (size_t)message + (message < 126 ? 2 : 4);
  }
  struct sockaddr_in server;
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)port);
  server.sin_addr.s_addr = htonl(0x7f000001u);
  const char *request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n";
  size_t request_len = strlen(request);
  int one = 1;
  struct timeval tv = {10, 0};
  for (int i = 0; i < count; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      printf("FAILED %d socket: %s\n", i, strerror(errno));
      fflush(stdout);
      goto wait;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in local;
    memset(&local, 0, sizeof local);
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(offset + i % naddrs));
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
        connect(fd, (struct sockaddr *)&server, sizeof server) < 0 ||
        send(fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len) {
      printf("FAILED %d connect: %s\n", i, strerror(errno));
      fflush(stdout);
      goto wait;
    }
    char head[1024];
    size_t got = 0;
    for (;;) {
      ssize_t r = recv(fd, head + got, sizeof head - 1 - got, 0);
      if (r <= 0) {
        printf("FAILED %d handshake: %s\n", i, r == 0 ? "closed" : strerror(errno));
        fflush(stdout);
        goto wait;
      }
      got += (size_t)r;
      head[got] = 0;
      if (strstr(head, "\r\n\r\n") != NULL) break;
      if (got == sizeof head - 1) break;
    }
    if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
      printf("FAILED %d refused: %.40s\n", i, head);
      fflush(stdout);
      goto wait;
    }
    if (message > 0) {
      if (send(fd, frame, frame_len, MSG_NOSIGNAL) != (ssize_t)frame_len) {
        printf("FAILED %d send: %s\n", i, strerror(errno));
        fflush(stdout);
        goto wait;
      }
      size_t have = 0;
      while (have < echo_len) {
        ssize_t r = recv(fd, echo + have, echo_len - have, 0);
        if (r <= 0) {
          printf("FAILED %d echo: %s\n", i, r == 0 ? "closed" : strerror(errno));
          fflush(stdout);
          goto wait;
        }
        have += (size_t)r;
      }
    }
  }
  printf("READY %d\n", count);
  fflush(stdout);
wait:;
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
