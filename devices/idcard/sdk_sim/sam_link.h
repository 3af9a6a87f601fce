/*
 * The SAM link shared by the vendor-SDK stand-ins (sdtapi_sim.c: the SDT_* API,
 * cvrapi_sim.c: the CVR_* API): one serial port, GA/T 467 frames, one command and
 * one answer at a time. Included by each stand-in (static functions: each library
 * has its own copy and its own port).
 *
 * Return codes: the SAM's SW3 byte, or RC_PORT_NOT_OPEN / RC_NO_ANSWER / RC_BAD_FRAME.
 */
#ifndef KIOSK_SAM_LINK_H
#define KIOSK_SAM_LINK_H
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define RC_PORT_OPEN_FAILED 0x01
#define RC_PORT_NOT_OPEN 0x02
#define RC_NO_ANSWER 0x05
#define RC_BAD_FRAME 0x10
#define MAX_FRAME 4096

static int g_fd = -1;

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int read_exact(unsigned char *buf, int n, long deadline) {
    int got = 0;
    while (got < n) {
        long left = deadline - now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {g_fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t k = read(g_fd, buf + got, (size_t)(n - got));
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (k <= 0) return -2;
        got += (int)k;
    }
    return got;
}

/* One command, one answer. Returns SW3 (or an RC_ code); answer data in out. */
static int transact(unsigned char cmd, unsigned char para, unsigned char *out,
                    unsigned int *out_len, int timeout_ms) {
    if (g_fd < 0) return RC_PORT_NOT_OPEN;
    unsigned char req[10] = {0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, cmd, para, 0};
    req[9] = req[5] ^ req[6] ^ req[7] ^ req[8];
    tcflush(g_fd, TCIFLUSH);
    if (write(g_fd, req, sizeof req) != (ssize_t)sizeof req) return RC_PORT_NOT_OPEN;

    long deadline = now_ms() + timeout_ms;
    unsigned char frame[MAX_FRAME];
    /* find the preamble AA AA AA 96 69, dropping anything before it */
    int have = 0;
    while (have < 5) {
        int r = read_exact(frame + have, 1, deadline);
        if (r == -2) return RC_PORT_NOT_OPEN;
        if (r < 0) return RC_NO_ANSWER;
        static const unsigned char pre[5] = {0xAA, 0xAA, 0xAA, 0x96, 0x69};
        if (frame[have] == pre[have]) {
            have++;
        } else {
            have = (frame[have] == 0xAA) ? 1 : 0;
            frame[0] = 0xAA;
        }
    }
    if (read_exact(frame + 5, 2, deadline) != 2) return RC_NO_ANSWER;
    int len = (frame[5] << 8) | frame[6];
    if (len < 4 || 7 + len > MAX_FRAME) return RC_BAD_FRAME;
    if (read_exact(frame + 7, len, deadline) != len) return RC_NO_ANSWER;
    unsigned char chk = 0;
    for (int i = 5; i < 7 + len - 1; i++) chk ^= frame[i];
    if (chk != frame[7 + len - 1]) return RC_BAD_FRAME;
    unsigned int data_len = (unsigned int)(len - 4);
    if (out && out_len) {
        memcpy(out, frame + 10, data_len);
        *out_len = data_len;
    }
    return frame[9];
}


/* Open the SAM's serial port raw at 115200 bd; 0 on success, -1 if it cannot be opened. */
static int sam_open(const char *path) {
    if (!path) return -1;
    if (g_fd >= 0) close(g_fd);
    g_fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (g_fd < 0) return -1;
    struct termios t;
    if (tcgetattr(g_fd, &t) == 0) {
        cfmakeraw(&t);
        cfsetspeed(&t, B115200);
        tcsetattr(g_fd, TCSANOW, &t);
    }
    return 0;
}

static void sam_close(void) {
    if (g_fd >= 0) close(g_fd);
    g_fd = -1;
}

#endif
