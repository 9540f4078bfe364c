import socket, sys, time, select
port, n, body_mib, hold_s = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
total = body_mib << 20
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    head = ("POST /v1/streams/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
            "Content-Length: %d\r\n\r\n" % total).encode()
    s.send(head)
    socks.append([s, total - 1])  # never send the last byte: the body stays incomplete
chunk = b"x" * 65536
end = time.time() + hold_s
sent = 0
while time.time() < end:
    w = [e[0] for e in socks if e[1] > 0]
    if not w:
        time.sleep(0.1); continue
    _, ready, _ = select.select([], w, [], 0.1)
    for e in socks:
        if e[0] in ready and e[1] > 0:
            try:
                k = e[0].send(chunk[:min(len(chunk), e[1])])
                e[1] -= k; sent += k
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                e[1] = 0
print("sent %d MiB over %d connections" % (sent >> 20, n), flush=True)
