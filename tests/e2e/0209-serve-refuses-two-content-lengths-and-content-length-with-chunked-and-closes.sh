#!/usr/bin/env bash
# Two different Content-Length headers, and Content-Length with chunked
# Transfer-Encoding, were accepted (h2o 2.2 takes the first length, or chunked). RFC
# 9112 §6.3 says 400 and close: a proxy reading the message the other way would let a
# second, smuggled request through. Raw requests over python3's socket.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"

make_project "$T/proj" ''
start_serve "$T/proj"
port=${URL##*:}
python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
ev = ('{"event_id":"s-1","tenant_id":"acme","order_id":1,"event_type":"order_created",'
      '"event_time":"2026-11-25T10:00:00Z"}\n').encode()

def exchange(raw):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(raw)
    data, t0 = b"", time.time()
    while True:                      # read until the server closes (it must)
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data, time.time() - t0

head = b"POST /v1/streams/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
# two lengths; the second would smuggle a request after the first body
smuggled = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
raw = head + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(ev), len(ev) + len(smuggled)) + ev + smuggled
data, took = exchange(raw)
assert data.startswith(b"HTTP/1.1 400 "), data[:200]
assert b'"error_code":40003' in data and b"two different Content-Length headers" in data, data
assert data.count(b"HTTP/1.1 ") == 1, "the smuggled request must not be answered: %r" % data
assert took < 3, "the connection was closed, not kept alive (%.1f s)" % took

chunked = b"%x\r\n" % len(ev) + ev + b"\r\n0\r\n\r\n"
raw = head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked
data, took = exchange(raw)
assert data.startswith(b"HTTP/1.1 400 "), data[:200]
assert b"Content-Length together with Transfer-Encoding" in data, data
assert took < 3, took

# chunked alone is fine (and the connection closes when asked)
raw = head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
data, _ = exchange(raw)
assert data.startswith(b"HTTP/1.1 200 "), data[:300]
assert b'"accepted":1' in data, data
print("framing checks passed")
PY
assert_eq 1 "$("$FLOE" log orders 2>/dev/null | grep -c '"event_id":"s-1"')" "only the well-framed request was stored"
stop_serve
