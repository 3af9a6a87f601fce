/*
 * A stand-in for a reader vendor's SDT_* library (the 公安部-style C API that
 * 二代证 reader SDKs ship as libsdtapi.so), implemented over the SAM serial
 * protocol of GA/T 467 against the kiosk's SAM simulator.
 *
 * It exists so that the kiosk's ctypes adapter (devices/idcard/sdk.py) runs its
 * real calls, buffers and return codes in tests and in the simulated terminal.
 * The serial path is taken from the environment variable SDT_SIM_PORT when
 * SDT_OpenPort is called (a real SDK maps port 1..16 to COM ports and
 * 1001..1016 to USB readers).
 *
 * Return codes are the SAM's SW3 byte (0x90 ok, 0x9F card found, 0x91 no
 * content, 0x80 find failed, ...); 0x01 = port could not be opened,
 * 0x02 = port not open, 0x05 = no answer, 0x10 = bad frame from the reader.
 *
 * Build: gcc -shared -fPIC -O2 -o libsdtapi_sim.so sdtapi_sim.c
 */
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

int SDT_OpenPort(int iPort) {
    (void)iPort;
    const char *path = getenv("SDT_SIM_PORT");
    if (!path) return RC_PORT_OPEN_FAILED;
    if (g_fd >= 0) close(g_fd);
    g_fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (g_fd < 0) return RC_PORT_OPEN_FAILED;
    struct termios t;
    if (tcgetattr(g_fd, &t) == 0) {
        cfmakeraw(&t);
        cfsetspeed(&t, B115200);
        tcsetattr(g_fd, TCSANOW, &t);
    }
    return 0x90;
}

int SDT_ClosePort(int iPort) {
    (void)iPort;
    if (g_fd >= 0) close(g_fd);
    g_fd = -1;
    return 0x90;
}

int SDT_GetSAMStatus(int iPort, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    return transact(0x11, 0xFF, NULL, NULL, 500);
}

int SDT_ResetSAM(int iPort, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    return transact(0x10, 0xFF, NULL, NULL, 3000);
}

int SDT_GetSAMID(int iPort, unsigned char *pucSAMID, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x12, 0xFF, buf, &n, 500);
    if (rc == 0x90) memcpy(pucSAMID, buf, n > 16 ? 16 : n);
    return rc;
}

int SDT_StartFindIDCard(int iPort, unsigned char *pucManaInfo, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x20, 0x01, buf, &n, 500);
    if (pucManaInfo) memcpy(pucManaInfo, buf, n > 4 ? 4 : n);
    return rc;
}

int SDT_SelectIDCard(int iPort, unsigned char *pucManaMsg, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x20, 0x02, buf, &n, 500);
    if (pucManaMsg) memcpy(pucManaMsg, buf, n > 8 ? 8 : n);
    return rc;
}

int SDT_ReadBaseMsg(int iPort, unsigned char *pucCHMsg, unsigned int *puiCHMsgLen,
                    unsigned char *pucPHMsg, unsigned int *puiPHMsgLen, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x30, 0x01, buf, &n, 3000);
    if (rc != 0x90) return rc;
    if (n < 4) return RC_BAD_FRAME;
    unsigned int tl = (buf[0] << 8) | buf[1], pl = (buf[2] << 8) | buf[3];
    if (4 + tl + pl > n) return RC_BAD_FRAME;
    memcpy(pucCHMsg, buf + 4, tl);
    *puiCHMsgLen = tl;
    memcpy(pucPHMsg, buf + 4 + tl, pl);
    *puiPHMsgLen = pl;
    return rc;
}

int SDT_ReadNewAppMsg(int iPort, unsigned char *pucAppMsg, unsigned int *puiAppMsgLen,
                      int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x30, 0x03, buf, &n, 3000);
    if (rc == 0x90) {
        memcpy(pucAppMsg, buf, n);
        *puiAppMsgLen = n;
    } else {
        *puiAppMsgLen = 0;
    }
    return rc;
}
