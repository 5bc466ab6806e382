#ifndef EDDY_CRC32C_H
#define EDDY_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) over `len` bytes.
/// `crc` is the running value as returned by a previous call; start with 0.
/// Uses the CPU's CRC32 instructions when present (SSE4.2 on x86-64, CRC on ARMv8),
/// otherwise a portable slice-by-8 table.
uint32_t eddy_crc32c_update(uint32_t crc, const void *data, size_t len);

/// The same, always through the portable slice-by-8 tables (for tests and benchmarks).
uint32_t eddy_crc32c_update_sw(uint32_t crc, const void *data, size_t len);

/// 1 when eddy_crc32c_update uses hardware instructions on this CPU.
int eddy_crc32c_hardware(void);

#endif
