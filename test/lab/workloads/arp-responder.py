# MetalLB-style layer-2 speaker for the lab: gratuitous ARP, then answers ARP for its service IPs on one interface only.
# Mirrors metallb internal/layer2/arp.go: gratuitous request and reply to broadcast; replies only to requests
# that are broadcast or sent to this interface's MAC; an AF_PACKET socket bound to the interface sees nothing
# of any other interface.
import socket
import struct
import sys

ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6
OP_REQUEST, OP_REPLY = 1, 2


def main() -> None:
    iface, ips = sys.argv[1], sys.argv[2:]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((iface, ETH_P_ARP))
    mac = sock.getsockname()[4]
    addrs = {socket.inet_aton(ip) for ip in ips}

    def send(op: int, spa: bytes, tha: bytes, tpa: bytes, dst: bytes) -> None:
        eth = dst + mac + struct.pack("!H", ETH_P_ARP)
        sock.send(eth + struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac + spa + tha + tpa)

    for addr in addrs:
        for op in (OP_REQUEST, OP_REPLY):
            send(op, addr, BROADCAST, addr, BROADCAST)
    print(f"announcing {' '.join(ips)} on {iface} at {mac.hex(':')}", flush=True)
    while True:
        frame, meta = sock.recvfrom(2048)
        if meta[2] == socket.PACKET_OUTGOING or len(frame) < 42:
            continue
        op = struct.unpack("!H", frame[20:22])[0]
        sha, spa, tpa = frame[22:28], frame[28:32], frame[38:42]
        if op != OP_REQUEST or tpa not in addrs or frame[0:6] not in (BROADCAST, mac):
            continue
        send(OP_REPLY, tpa, sha, spa, sha)
        print(f"reply {socket.inet_ntoa(tpa)} is-at {mac.hex(':')} to {socket.inet_ntoa(spa)}", flush=True)


if __name__ == "__main__":
    main()
