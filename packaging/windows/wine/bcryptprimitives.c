/*
 * For tests under Wine 8 only, never shipped: Rust's standard library asks
 * Windows 10+ for random bytes with ProcessPrng (bcryptprimitives.dll),
 * which Wine 8.0 (Debian 12) does not have. This stand-in answers with
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. Placed
 * beside msp.exe under Wine by .ci/wine; real Windows has its own.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
