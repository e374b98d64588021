# Prints every property of a flattened devicetree as "path name value" (DTSpec v0.3 5.4),
# for tests that compare devicetrees without dtc.
import sys, struct
b = open(sys.argv[1], 'rb').read()
_, tot, so, stro = struct.unpack('>IIII', b[:16])
p = so; path = []
def s(o): return b[stro+o:b.index(b'\0', stro+o)].decode()
while True:
    t, = struct.unpack('>I', b[p:p+4]); p += 4
    if t == 1:
        e = b.index(b'\0', p); path.append(b[p:e].decode()); p = (e + 4) & ~3
    elif t == 2: path.pop()
    elif t == 3:
        l, no = struct.unpack('>II', b[p:p+8]); v = b[p+8:p+8+l]; p = (p + 8 + l + 3) & ~3
        if l and all(32 <= c < 127 or c == 0 for c in v) and v[-1] == 0: val = repr(v.decode())
        else: val = v.hex()
        print('/'.join(path) or '/', s(no), val)
    elif t == 4: pass
    elif t == 9: break
