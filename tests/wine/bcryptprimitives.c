/* Test-harness-only stand-in for bcryptprimitives.dll, which Wine 8 lacks.
 *
 * Rust's std (1.78+) imports bcryptprimitives.dll!ProcessPrng for its random numbers; without
 * this DLL the custom-action DLL and migrateEmbeddedConnector.exe cannot load under Wine 8.
 * `cargo xtask e2e` compiles this file with x86_64-w64-mingw32-gcc into the template Wine
 * prefix's system32. It is never shipped in the MSI or the release bundle.
 *
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32!SystemFunction036), which takes a
 * ULONG length, hence the loop for buffers over 4 GiB. Like the real export it always returns
 * TRUE. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x7fffffffu ? 0x7fffffffu : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}
