/*
 * A stand-in for the 华视 (Chinese Vision) CVR_* reader library (termb.dll on
 * Windows, libtermb.so on Linux), implemented over the SAM serial protocol of
 * GA/T 467 against the kiosk's SAM simulator, so that the CVR flavour of the
 * kiosk's ctypes adapter (devices/idcard/sdk_cvr.py) runs its real calls,
 * buffers and return codes in tests.
 *
 * The API as its integrators commonly publish it (docs/hardware.md says what was
 * assumed):
 *   int CVR_InitComm(int Port)      1 ok, 2 port could not be opened, 0 not initialised
 *   int CVR_Authenticate(void)      1 card found and selected, 2 no card (find failed),
 *                                   3 select failed, 4 reader not connected
 *   int CVR_Read_Content(int active), int CVR_Read_FPContent(void)
 *                                   1 read, 0 read failed, 4 reader not connected,
 *                                   99 other failure
 *   int CVR_CloseComm(void)         1
 *   int GetPeopleName(char *buf, int *len) and the other Get* text getters: the
 *     field as text in GB18030 (a superset of the GBK the vendor documents), *len
 *     in: the buffer's size, out: the text's length; 1 ok, 0 nothing read / too small
 *   GetPeopleSex: 男/女; GetPeopleNation: 汉, 蒙古 ...; GetNationCode: "01";
 *   GetPeopleBirthday, GetStartDate, GetEndDate: YYYYMMDD (GetEndDate: 长期)
 *   int GetBMPData(unsigned char *buf, int *len): the decoded photo. The vendor
 *     decodes the WLT itself; this stand-in cannot, so it answers 0 unless the
 *     photo field holds a JPEG or BMP (the SAM simulator's test photos).
 *   int GetCertType(unsigned char *buf, int *len): " " resident, "J", "I", "Y".
 * The port comes from the environment variable CVR_SIM_PORT (Port is ignored).
 *
 * Build: gcc -shared -fPIC -O2 -o libcvrapi_sim.so cvrapi_sim.c
 */
#include "sam_link.h"

#include <iconv.h>

#define TEXT_LEN 256
#define PHOTO_LEN 1024

static unsigned char g_text[TEXT_LEN];
static unsigned char g_photo[PHOTO_LEN];
static unsigned int g_photo_len = 0;
static int g_read = 0;

static const char *NATIONS[][2] = {
    {"01", "汉"},
    {"02", "蒙古"},
    {"03", "回"},
    {"04", "藏"},
    {"05", "维吾尔"},
    {"06", "苗"},
    {"07", "彝"},
    {"08", "壮"},
    {"09", "布依"},
    {"10", "朝鲜"},
    {"11", "满"},
    {"12", "侗"},
    {"13", "瑶"},
    {"14", "白"},
    {"15", "土家"},
    {"16", "哈尼"},
    {"17", "哈萨克"},
    {"18", "傣"},
    {"19", "黎"},
    {"20", "傈僳"},
    {"21", "佤"},
    {"22", "畲"},
    {"23", "高山"},
    {"24", "拉祜"},
    {"25", "水"},
    {"26", "东乡"},
    {"27", "纳西"},
    {"28", "景颇"},
    {"29", "柯尔克孜"},
    {"30", "土"},
    {"31", "达斡尔"},
    {"32", "仫佬"},
    {"33", "羌"},
    {"34", "布朗"},
    {"35", "撒拉"},
    {"36", "毛南"},
    {"37", "仡佬"},
    {"38", "锡伯"},
    {"39", "阿昌"},
    {"40", "普米"},
    {"41", "塔吉克"},
    {"42", "怒"},
    {"43", "乌孜别克"},
    {"44", "俄罗斯"},
    {"45", "鄂温克"},
    {"46", "德昂"},
    {"47", "保安"},
    {"48", "裕固"},
    {"49", "京"},
    {"50", "塔塔尔"},
    {"51", "独龙"},
    {"52", "鄂伦春"},
    {"53", "赫哲"},
    {"54", "门巴"},
    {"55", "珞巴"},
    {"56", "基诺"},
    {"97", "其他"},
    {"98", "外国血统中国籍人士"},
};

int CVR_InitComm(int Port) {
    (void)Port;
    g_read = 0;
    if (sam_open(getenv("CVR_SIM_PORT")) != 0) return 2;
    if (transact(0x11, 0xFF, NULL, NULL, 500) != 0x90) {
        sam_close();
        return 2;
    }
    return 1;
}

int CVR_CloseComm(void) {
    sam_close();
    g_read = 0;
    return 1;
}

int CVR_Authenticate(void) {
    if (g_fd < 0) return 4;
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x20, 0x01, buf, &n, 500);
    if (rc == RC_NO_ANSWER || rc == RC_PORT_NOT_OPEN) return 4;
    if (rc != 0x9F) return 2;
    rc = transact(0x20, 0x02, buf, &n, 500);
    if (rc == RC_NO_ANSWER || rc == RC_PORT_NOT_OPEN) return 4;
    return rc == 0x90 ? 1 : 3;
}

int CVR_Read_Content(int active) {
    (void)active;
    g_read = 0;
    if (g_fd < 0) return 4;
    unsigned char buf[MAX_FRAME];
    unsigned int n = 0;
    int rc = transact(0x30, 0x01, buf, &n, 3000);
    if (rc == RC_NO_ANSWER || rc == RC_PORT_NOT_OPEN) return 4;
    if (rc == RC_BAD_FRAME) return 99;
    if (rc != 0x90) return 0;
    if (n < 4) return 99;
    unsigned int tl = (buf[0] << 8) | buf[1], pl = (buf[2] << 8) | buf[3];
    if (tl != TEXT_LEN || pl > PHOTO_LEN || 4 + tl + pl > n) return 99;
    memcpy(g_text, buf + 4, TEXT_LEN);
    memcpy(g_photo, buf + 4 + TEXT_LEN, pl);
    g_photo_len = pl;
    g_read = 1;
    return 1;
}

int CVR_Read_FPContent(void) { return CVR_Read_Content(4); }

/* The UTF-16LE field at [off, off+len) without its padding, as GB18030 into out. */
static int field(int off, int len, char *out, int *out_len) {
    if (!g_read || !out || !out_len || *out_len <= 0) return 0;
    while (len >= 2 && g_text[off + len - 2] == 0x20 && g_text[off + len - 1] == 0) len -= 2;
    iconv_t cd = iconv_open("GB18030", "UTF-16LE");
    if (cd == (iconv_t)-1) return 0;
    char *in = (char *)g_text + off, *dst = out;
    size_t in_left = (size_t)len, out_left = (size_t)(*out_len - 1);
    size_t r = iconv(cd, &in, &in_left, &dst, &out_left);
    iconv_close(cd);
    if (r == (size_t)-1) return 0;
    *dst = 0;
    *out_len = (int)(dst - out);
    return 1;
}

static int copy_text(const char *utf8, char *out, int *out_len) {
    if (!g_read || !out || !out_len || *out_len <= 0) return 0;
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    if (cd == (iconv_t)-1) return 0;
    char *in = (char *)utf8, *dst = out;
    size_t in_left = strlen(utf8), out_left = (size_t)(*out_len - 1);
    size_t r = iconv(cd, &in, &in_left, &dst, &out_left);
    iconv_close(cd);
    if (r == (size_t)-1) return 0;
    *dst = 0;
    *out_len = (int)(dst - out);
    return 1;
}

/* The ASCII field (digits) at [off, off+len) of UCS-2LE, into out. */
static int ascii(int off, int len, char *out, int *out_len) {
    if (!g_read || !out || !out_len) return 0;
    int k = 0;
    for (int i = 0; i + 1 < len; i += 2) {
        unsigned char c = g_text[off + i];
        if (g_text[off + i + 1] != 0 || c == 0x20) break;
        if (k + 1 >= *out_len) return 0;
        out[k++] = (char)c;
    }
    out[k] = 0;
    *out_len = k;
    return 1;
}

int GetPeopleName(char *s, int *n) { return field(0, 30, s, n); }
int GetPeopleAddress(char *s, int *n) { return field(52, 70, s, n); }
int GetPeopleIDCode(char *s, int *n) { return ascii(122, 36, s, n); }
int GetDepartment(char *s, int *n) { return field(158, 30, s, n); }
int GetPeopleBirthday(char *s, int *n) { return ascii(36, 16, s, n); }
int GetStartDate(char *s, int *n) { return ascii(188, 16, s, n); }
int GetNationCode(char *s, int *n) { return ascii(32, 4, s, n); }

int GetEndDate(char *s, int *n) {
    if (g_read && g_text[204] >= '0' && g_text[204] <= '9') return ascii(204, 16, s, n);
    return field(204, 16, s, n); /* 长期 */
}

int GetPeopleSex(char *s, int *n) {
    if (!g_read) return 0;
    unsigned char c = g_text[30];
    return copy_text(c == '1' ? "男" : c == '2' ? "女" : "未知", s, n);
}

int GetPeopleNation(char *s, int *n) {
    char code[8];
    int k = sizeof code;
    if (!ascii(32, 4, code, &k)) return 0;
    for (size_t i = 0; i < sizeof NATIONS / sizeof NATIONS[0]; i++)
        if (strcmp(NATIONS[i][0], code) == 0) return copy_text(NATIONS[i][1], s, n);
    return 0;
}

int GetCertType(unsigned char *s, int *n) {
    if (!g_read || !s || !n || *n < 2) return 0;
    s[0] = g_text[248] ? g_text[248] : ' ';
    s[1] = 0;
    *n = 1;
    return 1;
}

int GetBMPData(unsigned char *s, int *n) {
    if (!g_read || !s || !n) return 0;
    int picture = (g_photo_len > 2 && g_photo[0] == 'B' && g_photo[1] == 'M')
                  || (g_photo_len > 3 && g_photo[0] == 0xFF && g_photo[1] == 0xD8);
    if (!picture || (unsigned int)*n < g_photo_len) return 0;
    memcpy(s, g_photo, g_photo_len);
    *n = (int)g_photo_len;
    return 1;
}
