#!/usr/bin/env python3
"""An independent reader of floe's event log segments (src/log/log_wire.h), for the
e2e tests 07NN: walks every batch of every segment of DATA/log/STREAM, checks each
batch's CRC-32C (computed here, bit by bit), decompresses zstd payloads (v2: the whole
payload, v3: its values) with the zstd command-line tool and LZ4 blocks with liblz4
(ctypes), and decodes version 1, 2 and 3 records. Prints one JSON line per record:
  {"partition":P,"offset":O,"version":1|2|3,"compressed":bool,"codec":"none|zstd|lz4","value":"<text>",
   "contract_version":N,"key_hash":"<16 hex>","event_time_ms":N|null}
Usage: logv2.py DATA STREAM            records
       logv2.py --xxh3 TEXT            xxh3-64 of TEXT (libxxhash), 16 hex digits
"""
import ctypes
import ctypes.util
import json
import os
import struct
import subprocess
import sys

_T = []


def crc32c(data, crc=0):
    if not _T:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _T.append(c)
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def xxh3(text):
    name = ctypes.util.find_library("xxhash") or "libxxhash.so.0"
    lib = ctypes.CDLL(name)
    lib.XXH3_64bits.restype = ctypes.c_uint64
    lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    b = text.encode()
    return "%016x" % lib.XXH3_64bits(b, len(b))


def lz4_block(payload, raw_len):
    lib = ctypes.CDLL(ctypes.util.find_library("lz4") or "liblz4.so.1")
    lib.LZ4_decompress_safe.restype = ctypes.c_int
    lib.LZ4_decompress_safe.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    out = ctypes.create_string_buffer(raw_len)
    got = lib.LZ4_decompress_safe(payload, out, len(payload), raw_len)
    assert got == raw_len, (got, raw_len)
    return out.raw


def decompress(codec, payload, raw_len):
    if codec == "zstd":
        return subprocess.run(["zstd", "-d", "-q", "-c"], input=payload, stdout=subprocess.PIPE,
                              check=True).stdout
    assert codec == "lz4", codec
    return lz4_block(payload, raw_len)


def varint(buf, q):
    x, shift = 0, 0
    while True:
        b = buf[q]
        q += 1
        x |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return x, q
        assert shift < 70, "varint over 10 bytes"


def v3_records(payload, count, raw_len, codec):
    """(value, contract_version, key_hash, event_time_ms) of a v3 payload."""
    (head_len,) = struct.unpack_from("<I", payload, 0)
    head, values = payload[4 : 4 + head_len], payload[4 + head_len :]
    assert len(head) == head_len, "head block past the payload"
    if codec != "none":
        values = decompress(codec, values, raw_len - 4 - head_len)
    assert 4 + head_len + len(values) == raw_len, (head_len, len(values), raw_len)
    flags, q = head[0], 1
    assert flags & ~1 == 0, "unknown head flags"
    if not flags & 1:
        cv, q = varint(head, q)
    t, v, out = 0, 0, []
    for _ in range(count):
        lf, q = varint(head, q)
        vlen, has_time = lf >> 1, lf & 1
        if flags & 1:
            cv, q = varint(head, q)
        if has_time:
            z, q = varint(head, q)
            t = (t + ((z >> 1) ^ -(z & 1)) + 2**63) % 2**64 - 2**63
        (kh,) = struct.unpack_from("<Q", head, q)
        q += 8
        out.append((values[v : v + vlen], cv, kh, t if has_time else None))
        v += vlen
    assert q == head_len, "record heads do not fill the head block"
    assert v == len(values), "records do not fill the payload"
    return out


def records(data_dir, stream):
    sdir = os.path.join(data_dir, "log", stream)
    for p in sorted(int(d) for d in os.listdir(sdir) if d.isdigit()):
        pdir = os.path.join(sdir, str(p))
        expect = None
        for seg in sorted(f for f in os.listdir(pdir) if f.endswith(".log")):
            buf = open(os.path.join(pdir, seg), "rb").read()
            pos = 0
            if expect is None:
                expect = int(seg[:-4])
            assert int(seg[:-4]) == expect, (seg, expect)
            while pos < len(buf):
                magic, crc, base, count, plen, t, ver, flags, raw_len = struct.unpack_from("<IIQIIqHHI", buf, pos)
                assert magic == 0x31424C46, "bad magic at %s:%d" % (seg, pos)
                assert base == expect, (base, expect)
                payload = buf[pos + 40 : pos + 40 + plen]
                assert len(payload) == plen, "torn batch"
                assert crc32c(buf[pos + 8 : pos + 40], crc32c(payload)) == crc, "CRC at %s:%d" % (seg, pos)
                codec = ["none", "zstd", "lz4", "?"][flags & 3] if ver in (2, 3) else "none"
                comp = codec != "none"
                if ver == 3:
                    assert flags & ~3 == 0 and (comp or (flags == 0 and raw_len == plen))
                    for i, (value, cv, kh, et) in enumerate(v3_records(payload, count, raw_len, codec)):
                        yield {"partition": p, "segment": seg, "offset": base + i, "version": ver,
                               "compressed": comp, "codec": codec, "value": value.decode(), "contract_version": cv,
                               "key_hash": "%016x" % kh, "event_time_ms": et}
                    expect = base + count
                    pos += 40 + plen
                    continue
                if ver == 1:
                    assert flags == 0 and raw_len == 0
                elif comp:
                    assert flags in (1, 2), flags
                    payload = decompress(codec, payload, raw_len)
                    assert len(payload) == raw_len, (len(payload), raw_len)
                else:
                    assert ver == 2 and flags == 0 and raw_len == plen
                q = 0
                for i in range(count):
                    if ver == 1:
                        (vlen,) = struct.unpack_from("<I", payload, q)
                        value = payload[q + 4 : q + 4 + vlen]
                        q += 4 + vlen
                        cv, kh, et = 0, 0, None
                    else:
                        vlen, cv, kh, et = struct.unpack_from("<IIQq", payload, q)
                        value = payload[q + 24 : q + 24 + vlen]
                        q += 24 + vlen
                        if et == -(2**63):
                            et = None
                    yield {"partition": p, "segment": seg, "offset": base + i, "version": ver, "compressed": comp,
                           "codec": codec, "value": value.decode(), "contract_version": cv, "key_hash": "%016x" % kh,
                           "event_time_ms": et}
                assert q == len(payload), "records do not fill the payload"
                expect = base + count
                pos += 40 + plen


if __name__ == "__main__":
    if sys.argv[1] == "--xxh3":
        print(xxh3(sys.argv[2]))
    else:
        for r in records(sys.argv[1], sys.argv[2]):
            print(json.dumps(r, ensure_ascii=False))
