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
 * The SAM link (framing, one transaction) is sam_link.h, shared with cvrapi_sim.c.
 *
 * Build: gcc -shared -fPIC -O2 -o libsdtapi_sim.so sdtapi_sim.c
 */
#include "sam_link.h"

int SDT_OpenPort(int iPort) {
    (void)iPort;
    return sam_open(getenv("SDT_SIM_PORT")) == 0 ? 0x90 : RC_PORT_OPEN_FAILED;
}

int SDT_ClosePort(int iPort) {
    (void)iPort;
    sam_close();
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

/* A card command whose answer, at most max bytes of it, goes to out when out is given. */
static int card_command(unsigned char para, unsigned char *out, unsigned int max) {
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x20, para, buf, &n, 500);
    if (out) memcpy(out, buf, n > max ? max : n);
    return rc;
}

int SDT_StartFindIDCard(int iPort, unsigned char *pucManaInfo, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    return card_command(0x01, pucManaInfo, 4);
}

int SDT_SelectIDCard(int iPort, unsigned char *pucManaMsg, int iIfOpen) {
    (void)iPort; (void)iIfOpen;
    return card_command(0x02, pucManaMsg, 8);
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
