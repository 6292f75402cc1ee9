/*
 * For tests under Wine only, never shipped: holds a file open without
 * sharing, as an antivirus or the indexer does for a moment, so that
 * msp's moves meet a sharing violation.
 *   hold.exe FILE SECONDS
 * Prints "held" once the file is open, then sleeps SECONDS and closes it.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

int wmain(int argc, wchar_t **argv)
{
    HANDLE h;
    if (argc != 3) {
        fprintf(stderr, "usage: hold.exe FILE SECONDS\n");
        return 2;
    }
    h = CreateFileW(argv[1], GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "cannot open: error %lu\n", GetLastError());
        return 1;
    }
    printf("held\n");
    fflush(stdout);
    Sleep((DWORD)(_wtoi(argv[2]) * 1000));
    CloseHandle(h);
    return 0;
}
