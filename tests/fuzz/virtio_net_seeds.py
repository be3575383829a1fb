#!/usr/bin/env python3
"""Writes the seed corpus of virtio_net_fuzz (see its header for the format).

Each seed is a well-formed guest: transmit chains (direct, chained, indirect,
with and without offload headers) and receive buffers (single, chained,
mergeable), so the fuzzer starts from inputs that reach every stage.

  tests/fuzz/virtio_net_seeds.py tests/fuzz/corpus/virtio_net
"""
import os
import struct
import sys

TX_DESC, TX_AVAIL, RX_DESC, RX_AVAIL = 0x0000, 0x1000, 0x2000, 0x3000
DATA = 0x4000
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
MERGEABLE, EVENT_IDX, DISCARD, TAKES_CSUM, TAKES_TSO, WHOLE_BURST = 1, 2, 4, 8, 16, 128


class Guest:
    def __init__(self):
        self.mem = bytearray(DATA)
        self.tx = []  # heads offered, in order
        self.rx = []
        self.next_desc = {TX_DESC: 0, RX_DESC: 0}

    def alloc(self, data):
        gpa = len(self.mem)
        self.mem += data + bytes(-len(data) % 16)
        return gpa

    def desc(self, table, index, addr, length, flags, nxt=0):
        struct.pack_into('<QIHH', self.mem, table + 16 * index, addr, length, flags, nxt)

    def chain(self, table, pieces, flags, indirect):
        """pieces: list of bytes; returns the head."""
        if indirect:
            entries = bytearray()
            for i, p in enumerate(pieces):
                more = i + 1 < len(pieces)
                entries += struct.pack('<QIHH', self.alloc(p), len(p),
                                       flags | (F_NEXT if more else 0), i + 1 if more else 0)
            head = self.next_desc[table]
            self.next_desc[table] += 1
            self.desc(table, head, self.alloc(bytes(entries)), len(entries), F_INDIRECT)
            return head
        ids = list(range(self.next_desc[table], self.next_desc[table] + len(pieces)))
        self.next_desc[table] += len(pieces)
        for i, p in enumerate(pieces):
            more = i + 1 < len(pieces)
            self.desc(table, ids[i], self.alloc(p), len(p), flags | (F_NEXT if more else 0),
                      ids[i + 1] if more else 0)
        return ids[0]

    def transmit(self, hdr, frame, split=(), indirect=False):
        data = hdr + frame
        pieces, at = [], 0
        for n in split:
            pieces.append(data[at:at + n])
            at += n
        pieces.append(data[at:])
        self.tx.append(self.chain(TX_DESC, pieces, 0, indirect))

    def receive(self, lens, indirect=False):
        self.rx.append(self.chain(RX_DESC, [bytes(n) for n in lens], F_WRITE, indirect))

    def encode(self, tx_size_log2, rx_size_log2, flags, burst):
        for avail, heads in ((TX_AVAIL, self.tx), (RX_AVAIL, self.rx)):
            struct.pack_into('<HH', self.mem, avail, 0, len(heads))
            for i, h in enumerate(heads):
                struct.pack_into('<H', self.mem, avail + 4 + 2 * i, h)
        return bytes([tx_size_log2, rx_size_log2, flags, burst - 1]) + bytes(self.mem)


def hdr(flags=0, gso_type=0, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0):
    return struct.pack('<BBHHHHH', flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, 0)


def plain_frame(n, seed=1):
    f = bytearray((seed + 7 * i) & 0xff for i in range(n))
    f[12:14] = b'\x88\xb5'
    return bytes(f)


def tcp_frame(payload):
    f = bytearray(plain_frame(54 + payload))
    f[12:14] = b'\x08\x00'
    f[14:34] = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 40 + payload, 0, 0, 64, 6, 0,
                           bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    f[34:54] = struct.pack('>HHIIBBHHH', 1234, 80, 1, 0, 0x50, 0x18, 65535, 0, 0)
    return bytes(f)


def seeds():
    g = Guest()
    g.transmit(hdr(), plain_frame(100))
    g.receive([2048])
    yield 'one_packet', g.encode(8, 8, 0, 32)

    g = Guest()
    g.transmit(hdr(), plain_frame(1500), split=(5, 7, 700))
    g.transmit(hdr(), plain_frame(300), split=(12,), indirect=True)
    for _ in range(6):
        g.receive([512])
    yield 'chained_indirect_mergeable', g.encode(4, 3, MERGEABLE | WHOLE_BURST, 8)

    g = Guest()
    g.transmit(hdr(1, 0, 0, 0, 34, 16), tcp_frame(200))
    g.transmit(hdr(1, 1, 54, 1400, 34, 16), tcp_frame(4000), split=(12, 2000))
    g.receive([2048])
    g.receive([64, 8192], indirect=True)
    yield 'offloads', g.encode(8, 8, TAKES_CSUM | TAKES_TSO, 32)

    g = Guest()
    g.transmit(hdr(1, 1, 54, 1400, 34, 16), tcp_frame(3000))
    g.transmit(hdr(1, 0, 0, 0, 34, 16), tcp_frame(100))
    g.receive([100])
    g.receive([8, 2048])
    g.receive([2048])
    yield 'offloads_the_guest_lacks', g.encode(2, 2, EVENT_IDX, 4)

    g = Guest()
    for i in range(3):
        g.transmit(hdr(), plain_frame(60, i))
    yield 'discard', g.encode(8, 8, DISCARD, 32)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
