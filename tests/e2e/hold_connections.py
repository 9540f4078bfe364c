# hold_connections.py PORT N SECONDS: opens N idle TCP connections (as many as the
# server takes), holds them, prints how many connected, then closes them.
import socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        socks.append(s)
    except OSError:
        break
print(len(socks), flush=True)
time.sleep(secs)
for s in socks:
    s.close()
