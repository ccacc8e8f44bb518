#!/usr/bin/env python3
"""Independent structural check of an MSI file, for tests/tests/compound_file.rs.

A second reader that shares no code with the writer (the `cfb` crate): `olefile` (Debian
python3-olefile) opens the compound file; this script then reads the header fields itself
(MS-CFB 2.2), reads every stream to its declared size, and verifies every CFDATA checksum of
every embedded cabinet with its own implementation of the MS-CAB checksum (MS-CAB 2.4 "CFDATA":
csum covers the compressed bytes and then the cbData/cbUncomp fields; the checksum is the XOR of
the little-endian 32-bit words, the last one to three bytes taken most significant first).

Usage: msi_structure.py <file.msi> [<dir to write each cabinet to>]
Prints one JSON object: header fields, the streams, and per cabinet its blocks, files and any
checksum failures. Given a cabinet (`MSCF...`) instead, prints that cabinet's check alone.
"""

import json
import os
import struct
import sys

import olefile


def cab_checksum(data, seed):
    """The MS-CAB checksum of `data`, continuing from `seed`."""
    csum = seed
    whole = len(data) - len(data) % 4
    for (word,) in struct.iter_unpack("<I", data[:whole]):
        csum ^= word
    tail = 0
    for b in data[whole:]:
        tail = (tail << 8) | b
    return csum ^ tail


def check_cabinet(data):
    """Walks a cabinet (MS-CAB 2.1-2.4): header, folders, files, every CFDATA block."""
    sig, _r1, cb_cabinet, _r2, coff_files, _r3, minor, major, n_folders, n_files, flags = struct.unpack_from(
        "<4sIIIIIBBHHH", data, 0
    )
    out = {"size": len(data), "cbCabinet": cb_cabinet, "version": [major, minor], "files": [], "blocks": 0,
           "bad_checksums": [], "zero_checksums": 0}
    if sig != b"MSCF":
        out["error"] = "no MSCF signature"
        return out
    pos = 36
    reserve_data = 0
    if flags & 0x0004:  # cfhdrRESERVE_PRESENT
        cb_header_reserve, _cb_folder_reserve, reserve_data = struct.unpack_from("<HBB", data, pos)
        pos += 4 + cb_header_reserve
    folders = []
    for _ in range(n_folders):
        coff_start, n_data, type_compress = struct.unpack_from("<IHH", data, pos)
        folders.append((coff_start, n_data, type_compress))
        pos += 8
    pos = coff_files
    for _ in range(n_files):
        cb_file, _off, _folder, _date, _time, _attribs = struct.unpack_from("<IIHHHH", data, pos)
        end = data.index(b"\0", pos + 16)
        out["files"].append({"name": data[pos + 16:end].decode("utf-8", "replace"), "size": cb_file})
        pos = end + 1
    for coff_start, n_data, _type in folders:
        pos = coff_start
        for k in range(n_data):
            csum, cb_data, cb_uncomp = struct.unpack_from("<IHH", data, pos)
            body = data[pos + 8 + reserve_data:pos + 8 + reserve_data + cb_data]
            if len(body) != cb_data:
                out["error"] = "block %d runs past the end" % k
                return out
            want = cab_checksum(data[pos + 4:pos + 8], cab_checksum(body, 0))
            if csum == 0:
                out["zero_checksums"] += 1  # "no checksum" is allowed by MS-CAB, but not what we write
            elif csum != want:
                out["bad_checksums"].append(k)
            out["blocks"] += 1
            pos += 8 + reserve_data + cb_data
    out["end"] = pos
    return out


def links_to_sector_zero(d):
    """FAT and mini FAT entries that link to sector 0 (MS-CFB 2.3, 2.4). Valid, but
    osslsigncode takes such a link for corruption and cannot sign the file."""
    u32 = lambda at: struct.unpack_from("<I", d, at)[0]
    size = 1 << struct.unpack_from("<H", d, 30)[0]
    sector = lambda i: d[(i + 1) * size:(i + 2) * size]
    n_fat = u32(44)
    fat_ids = [u32(76 + 4 * k) for k in range(min(n_fat, 109))]
    difat = u32(68)
    while len(fat_ids) < n_fat:
        s = sector(difat)
        fat_ids += list(struct.unpack_from("<%dI" % (size // 4 - 1), s, 0))[:n_fat - len(fat_ids)]
        difat = struct.unpack_from("<I", s, size - 4)[0]
    fat = []
    for i in fat_ids:
        fat += struct.unpack("<%dI" % (size // 4), sector(i))
    minifat = []
    s = u32(60)
    while s < 0xFFFFFFFA:
        minifat += struct.unpack("<%dI" % (size // 4), sector(s))
        s = fat[s]
    return {"fat": fat.count(0), "minifat": minifat.count(0)}


def main():
    path = sys.argv[1]
    cab_dir = sys.argv[2] if len(sys.argv) > 2 else None
    with open(path, "rb") as f:
        raw_header = f.read(512)
    if raw_header[:4] == b"MSCF":
        with open(path, "rb") as f:
            print(json.dumps(check_cabinet(f.read())))
        return
    (minor, major, byte_order, sector_shift, mini_shift) = struct.unpack_from("<HHHHH", raw_header, 24)
    with open(path, "rb") as f:
        raw = f.read()
    ole = olefile.OleFileIO(path)
    result = {
        "file_size": os.path.getsize(path),
        "header": {"major_version": major, "minor_version": minor, "byte_order": byte_order,
                   "sector_shift": sector_shift, "mini_sector_shift": mini_shift},
        "olefile_sector_size": ole.sectorsize,
        "root_clsid": ole.root.clsid,
        "streams": [],
        "cabinets": [],
        "links_to_sector_zero": links_to_sector_zero(raw),
    }
    for entry in ole.listdir(streams=True, storages=False):
        size = ole.get_size(entry)
        data = ole.openstream(entry).read()
        name = "/".join(entry)
        result["streams"].append({"name": name, "size": size, "read": len(data)})
        if data[:4] == b"MSCF":
            cab = check_cabinet(data)
            cab["stream"] = name
            if cab_dir:
                cab_path = os.path.join(cab_dir, "cab%d.cab" % len(result["cabinets"]))
                with open(cab_path, "wb") as f:
                    f.write(data)
                cab["path"] = cab_path
            result["cabinets"].append(cab)
    ole.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
