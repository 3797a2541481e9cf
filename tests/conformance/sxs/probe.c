/*
 * probe.c: asks the real activation-context APIs (under Wine, or on Windows) what comsim's
 * SXS model answers, so the two can be compared line by line.
 *
 *   probe64.exe MANIFEST_PATH APPDIR GUID...
 *
 * 1. CreateActCtxW(lpSource = MANIFEST_PATH, lpAssemblyDirectory = APPDIR,
 *    ACTCTX_FLAG_ASSEMBLY_DIRECTORY_VALID). On failure: "actctx error <GetLastError()>", exit 0.
 * 2. ActivateActCtx. On failure: "activate error <GetLastError()>", exit 0.
 * 3. For each GUID, in argument order:
 *      lookup {GUID} any|class|surrogate ok flags=<n> runtime=<s> type=<s> identity=<s>
 *      lookup {GUID} any|class|surrogate fail <GetLastError()>
 *    from SxsLookupClrGuid (sxs.dll) with FIND_ANY, FIND_CLR_CLASS and FIND_SURROGATE, called as
 *    the CLR calls it (no USE_ACTCTX flag, INVALID_HANDLE_VALUE as the context: the active
 *    context is searched); then
 *      comserver {GUID} ok
 *      comserver {GUID} fail <GetLastError()>
 *    from FindActCtxSectionGuid(0, NULL, ACTIVATION_CONTEXT_SECTION_COM_SERVER_REDIRECTION).
 *
 * If a lookup raises an exception (Wine 8's SxsLookupClrGuid faults when FIND_CLR_CLASS or
 * FIND_ANY hits a native comClass, which has no CLR data), the line is
 *      lookup {GUID} any|class|surrogate crash 0x<exception code>
 * and the probe carries on with the next call.
 *
 * GUIDs are accepted with or without braces, in any case, and printed upper case with braces.
 * Strings are printed as UTF-8; a NULL string prints as "(null)". Output goes to stdout in
 * binary mode (LF line ends), unbuffered, so a later fault loses nothing. Bad arguments print
 * usage to stderr and exit 2.
 */
#define _WIN32_WINNT 0x0601
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define LOOKUP_USE_ACTCTX 0x00000001u
#define LOOKUP_FIND_SURROGATE 0x00010000u
#define LOOKUP_FIND_CLR_CLASS 0x00020000u
#define LOOKUP_FIND_ANY (LOOKUP_FIND_SURROGATE | LOOKUP_FIND_CLR_CLASS)

/* The answer layout SxsLookupClrGuid writes at the start of the caller's buffer; the strings
 * it points at follow it in the same buffer. */
struct clr_guid_info {
    DWORD cbSize;
    DWORD dwFlags;
    PCWSTR pcwszRuntimeVersion;
    PCWSTR pcwszTypeName;
    PCWSTR pcwszAssemblyIdentity;
};

typedef BOOL(WINAPI *lookup_fn)(DWORD flags, GUID *clsid, HANDLE actctx, void *buffer,
                                SIZE_T buffer_len, SIZE_T *buffer_len_required);

static int hex_digit(wchar_t c)
{
    if (c >= L'0' && c <= L'9') return c - L'0';
    if (c >= L'a' && c <= L'f') return c - L'a' + 10;
    if (c >= L'A' && c <= L'F') return c - L'A' + 10;
    return -1;
}

/* Reads `digits` hex digits from s into *out; returns 0 on a non-hex character. */
static int read_hex(const wchar_t *s, int digits, unsigned long long *out)
{
    unsigned long long v = 0;
    for (int i = 0; i < digits; i++) {
        int d = hex_digit(s[i]);
        if (d < 0) return 0;
        v = (v << 4) | (unsigned)d;
    }
    *out = v;
    return 1;
}

/* Parses xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, optionally inside braces. */
static int parse_guid(const wchar_t *text, GUID *guid)
{
    size_t len = wcslen(text);
    unsigned long long v;
    if (len == 38 && text[0] == L'{' && text[37] == L'}') {
        text++;
        len = 36;
    }
    if (len != 36 || text[8] != L'-' || text[13] != L'-' || text[18] != L'-' || text[23] != L'-')
        return 0;
    if (!read_hex(text, 8, &v)) return 0;
    guid->Data1 = (unsigned long)v;
    if (!read_hex(text + 9, 4, &v)) return 0;
    guid->Data2 = (unsigned short)v;
    if (!read_hex(text + 14, 4, &v)) return 0;
    guid->Data3 = (unsigned short)v;
    for (int i = 0; i < 8; i++) {
        /* Data4: two bytes before the last dash, six after it. */
        const wchar_t *at = i < 2 ? text + 19 + 2 * i : text + 24 + 2 * (i - 2);
        if (!read_hex(at, 2, &v)) return 0;
        guid->Data4[i] = (unsigned char)v;
    }
    return 1;
}

static void format_guid(const GUID *g, char out[39])
{
    snprintf(out, 39, "{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
             (unsigned long)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
             g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

/* Writes a UTF-16 string to stdout as UTF-8. */
static void put_wide(const wchar_t *s)
{
    if (!s) {
        fputs("(null)", stdout);
        return;
    }
    int n = WideCharToMultiByte(CP_UTF8, 0, s, -1, NULL, 0, NULL, NULL);
    if (n <= 0) {
        fputs("(unconvertible)", stdout);
        return;
    }
    char *utf8 = malloc((size_t)n);
    if (!utf8) {
        fputs("(out of memory)", stdout);
        return;
    }
    WideCharToMultiByte(CP_UTF8, 0, s, -1, utf8, n, NULL, NULL);
    fputs(utf8, stdout);
    free(utf8);
}

/* Crash recovery around one SxsLookupClrGuid call: a vectored exception handler jumps back to
 * guarded_lookup (GCC's __builtin_setjmp/__builtin_longjmp restore the frame and stack pointers
 * only, which is all that is needed here; the faulting call's state is abandoned). */
static void *crash_jump[5];
static volatile LONG guard_active;
static volatile DWORD crash_code;

static LONG CALLBACK crash_guard(EXCEPTION_POINTERS *info)
{
    DWORD code = info->ExceptionRecord->ExceptionCode;
    /* Only errors (severity 3); Wine raises informational exceptions for debug output. */
    if (!guard_active || (code & 0xC0000000u) != 0xC0000000u) return EXCEPTION_CONTINUE_SEARCH;
    guard_active = 0;
    crash_code = code;
    __builtin_longjmp(crash_jump, 1);
}

/* Returns 0 if the call raised an exception (its code is in crash_code). */
static __attribute__((noinline)) int guarded_lookup(lookup_fn fn, DWORD flags, GUID *guid,
                                                    void *buffer, SIZE_T len, SIZE_T *need,
                                                    BOOL *ok, DWORD *err)
{
    if (__builtin_setjmp(crash_jump)) return 0;
    guard_active = 1;
    SetLastError(0);
    *ok = fn(flags, guid, INVALID_HANDLE_VALUE, buffer, len, need);
    *err = GetLastError();
    guard_active = 0;
    return 1;
}

static void lookup(lookup_fn fn, GUID *guid, const char *text, DWORD flags, const char *find)
{
    SIZE_T need = 0;
    BOOL ok = FALSE;
    DWORD err = 0;
    if (!guarded_lookup(fn, flags, guid, NULL, 0, &need, &ok, &err)) {
        printf("lookup %s %s crash 0x%08lx\n", text, find, (unsigned long)crash_code);
        return;
    }
    if (ok) {
        /* A hit must report a size; success with no buffer leaves nothing to print. */
        printf("lookup %s %s ok-without-buffer\n", text, find);
        return;
    }
    if (err != ERROR_INSUFFICIENT_BUFFER) {
        printf("lookup %s %s fail %lu\n", text, find, (unsigned long)err);
        return;
    }
    if (need < sizeof(struct clr_guid_info)) need = sizeof(struct clr_guid_info);
    /* Pointer-aligned, zeroed: the strings are read through the returned pointers only. */
    void *buffer = calloc(1, need);
    if (!buffer) {
        printf("lookup %s %s fail out-of-memory\n", text, find);
        return;
    }
    SIZE_T got = 0;
    if (!guarded_lookup(fn, flags, guid, buffer, need, &got, &ok, &err)) {
        printf("lookup %s %s crash 0x%08lx\n", text, find, (unsigned long)crash_code);
        free(buffer);
        return;
    }
    if (!ok) {
        printf("lookup %s %s fail %lu\n", text, find, (unsigned long)err);
        free(buffer);
        return;
    }
    const struct clr_guid_info *info = buffer;
    printf("lookup %s %s ok flags=%lu runtime=", text, find, (unsigned long)info->dwFlags);
    put_wide(info->pcwszRuntimeVersion);
    fputs(" type=", stdout);
    put_wide(info->pcwszTypeName);
    fputs(" identity=", stdout);
    put_wide(info->pcwszAssemblyIdentity);
    fputs("\n", stdout);
    free(buffer);
}

static void comserver(GUID *guid, const char *text)
{
    ACTCTX_SECTION_KEYED_DATA data;
    memset(&data, 0, sizeof(data));
    data.cbSize = sizeof(data);
    SetLastError(0);
    if (FindActCtxSectionGuid(0, NULL, ACTIVATION_CONTEXT_SECTION_COM_SERVER_REDIRECTION, guid,
                              &data))
        printf("comserver %s ok\n", text);
    else
        printf("comserver %s fail %lu\n", text, (unsigned long)GetLastError());
}

int wmain(int argc, wchar_t **argv)
{
    _setmode(_fileno(stdout), _O_BINARY);
    /* Unbuffered: every line is out before the next call, whatever happens to the process. */
    setvbuf(stdout, NULL, _IONBF, 0);
    AddVectoredExceptionHandler(1, crash_guard);
    if (argc < 3) {
        fputs("usage: probe64.exe MANIFEST_PATH APPDIR GUID...\n", stderr);
        return 2;
    }
    GUID *guids = calloc((size_t)argc, sizeof(GUID));
    if (!guids) return 3;
    for (int i = 3; i < argc; i++) {
        if (!parse_guid(argv[i], &guids[i])) {
            fputs("probe: not a GUID: ", stderr);
            fputws(argv[i], stderr);
            fputs("\n", stderr);
            return 2;
        }
    }

    ACTCTXW ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.cbSize = sizeof(ctx);
    ctx.dwFlags = ACTCTX_FLAG_ASSEMBLY_DIRECTORY_VALID;
    ctx.lpSource = argv[1];
    ctx.lpAssemblyDirectory = argv[2];
    HANDLE actctx = CreateActCtxW(&ctx);
    if (actctx == INVALID_HANDLE_VALUE) {
        printf("actctx error %lu\n", (unsigned long)GetLastError());
        fflush(stdout);
        return 0;
    }
    ULONG_PTR cookie = 0;
    if (!ActivateActCtx(actctx, &cookie)) {
        printf("activate error %lu\n", (unsigned long)GetLastError());
        fflush(stdout);
        ReleaseActCtx(actctx);
        return 0;
    }

    HMODULE sxs = LoadLibraryW(L"sxs.dll");
    lookup_fn fn = sxs ? (lookup_fn)(void (*)(void))GetProcAddress(sxs, "SxsLookupClrGuid") : NULL;

    for (int i = 3; i < argc; i++) {
        char text[39];
        format_guid(&guids[i], text);
        if (fn) {
            lookup(fn, &guids[i], text, LOOKUP_FIND_ANY, "any");
            lookup(fn, &guids[i], text, LOOKUP_FIND_CLR_CLASS, "class");
            lookup(fn, &guids[i], text, LOOKUP_FIND_SURROGATE, "surrogate");
        } else {
            printf("lookup %s any fail no-sxs-dll\n", text);
            printf("lookup %s class fail no-sxs-dll\n", text);
            printf("lookup %s surrogate fail no-sxs-dll\n", text);
        }
        comserver(&guids[i], text);
    }
    fflush(stdout);

    DeactivateActCtx(0, cookie);
    ReleaseActCtx(actctx);
    free(guids);
    return 0;
}
