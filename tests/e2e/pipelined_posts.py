# pipelined_posts.py PORT: HTTP/1.1 clients that do what well-behaved ones do not, against a
# server whose answers wait for the log's fsync (src/http/defer.c parks the socket meanwhile):
#   pipeline  3 connections each send 5 POSTs of one event in a single write, then read 5
#             answers, in order, each 200 with accepted 1; then one more POST on the same
#             connection (the connection is still usable)
#   close     20 connections each send a POST and close at once (the answer has no reader)
#   half      5 connections send a POST, shut their write side, then read the answer (200)
# Prints "ids:" and the event ids whose POST was answered 200, one per line.
import socket, sys, json
port = int(sys.argv[1])
ok_ids = []

def body(eid):
    return json.dumps({"event_id": eid, "tenant_id": "t", "order_id": 1, "event_type": "order_paid",
                       "event_time": "2026-11-25T10:00:00Z"}, separators=(",", ":")) + "\n"

def request(eid):
    b = body(eid).encode()
    return (b"POST /v1/streams/orders/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n" % len(b)) + b

def read_answer(f):
    status = f.readline()
    if not status:
        raise SystemExit("connection closed before an answer")
    code = int(status.split()[1])
    length = 0
    while True:
        line = f.readline().strip()
        if not line:
            break
        k, _, v = line.partition(b":")
        if k.lower() == b"content-length":
            length = int(v)
    return code, json.loads(f.read(length))

for c in range(3):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    ids = ["pipe-%d-%d" % (c, i) for i in range(5)]
    s.sendall(b"".join(request(i) for i in ids))
    for i in ids:
        code, ans = read_answer(f)
        if code != 200 or ans.get("accepted") != 1:
            raise SystemExit("pipelined %s: %d %r" % (i, code, ans))
        ok_ids.append(i)
    s.sendall(request("pipe-%d-again" % c))
    code, ans = read_answer(f)
    if code != 200 or ans.get("accepted") != 1:
        raise SystemExit("after the pipeline: %d %r" % (code, ans))
    ok_ids.append("pipe-%d-again" % c)
    s.close()

for c in range(20):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(request("gone-%d" % c))
    s.close()

for c in range(5):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    s.sendall(request("half-%d" % c))
    s.shutdown(socket.SHUT_WR)
    code, ans = read_answer(f)
    if code != 200 or ans.get("accepted") != 1:
        raise SystemExit("half-closed %d: %d %r" % (c, code, ans))
    ok_ids.append("half-%d" % c)
    s.close()

print("ids:")
for i in ok_ids:
    print(i)
