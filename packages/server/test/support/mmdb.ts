/**
 * A tiny MaxMind DB (format 2.0) writer for tests: an IPv4 search tree with 24-bit records and a
 * data section of maps, strings, unsigned integers and doubles — enough to give a few test
 * networks a country, region, city, coordinates and ASN, and read them back with mmdb-lib as the server does. (No writer is
 * published on npm; the format is https://maxmind.github.io/MaxMind-DB/.)
 */
type Value = string | number | Value[] | { [key: string]: Value };

function control(type: number, size: number): number[] {
  let bits: number;
  let extra: number[] = [];
  if (size < 29) {
    bits = size;
  } else if (size < 29 + 256) {
    bits = 29;
    extra = [size - 29];
  } else {
    bits = 30;
    extra = [((size - 285) >> 8) & 0xff, (size - 285) & 0xff];
  }
  return type <= 7 ? [(type << 5) | bits, ...extra] : [bits, type - 7, ...extra];
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from(control(2, bytes.length)), bytes]);
  }
  if (typeof value === 'number' && (!Number.isInteger(value) || value < 0)) {
    // double (type 3): 8 bytes, big-endian IEEE 754 (coordinates).
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([Buffer.from(control(3, 8)), bytes]);
  }
  if (typeof value === 'number') {
    // uint32 (type 6): big-endian, no leading zero bytes.
    const bytes: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) {
      bytes.unshift(v % 256);
    }
    return Buffer.from([...control(6, bytes.length), ...bytes]);
  }
  if (Array.isArray(value)) {
    return Buffer.concat([Buffer.from(control(11, value.length)), ...value.map(encode)]);
  }
  const entries = Object.entries(value);
  return Buffer.concat([
    Buffer.from(control(7, entries.length)),
    ...entries.flatMap(([key, v]) => [encode(key), encode(v)]),
  ]);
}

interface TreeNode {
  children: [TreeNode | number | undefined, TreeNode | number | undefined];
}

/** An .mmdb holding `networks` (IPv4 CIDR → record). */
export function writeMmdb(networks: Record<string, { [key: string]: Value }>, databaseType = 'Test'): Buffer {
  const root: TreeNode = { children: [undefined, undefined] };
  const data: Buffer[] = [];
  let dataSize = 0;
  for (const [cidr, record] of Object.entries(networks)) {
    const [address = '', length = '32'] = cidr.split('/');
    const prefix = Number(length);
    const ip = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const encoded = encode(record);
    const offset = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    let node = root;
    for (let i = 0; i < prefix; i++) {
      const bit = Math.floor(ip / 2 ** (31 - i)) % 2;
      if (i === prefix - 1) {
        node.children[bit] = offset;
        break;
      }
      const next = node.children[bit];
      if (next === undefined || typeof next === 'number') {
        const created: TreeNode = { children: [undefined, undefined] };
        node.children[bit] = created;
        node = created;
      } else {
        node = next;
      }
    }
  }
  const nodes: TreeNode[] = [];
  const ids = new Map<TreeNode, number>();
  const queue = [root];
  while (queue.length > 0) {
    const node = queue.shift() as TreeNode;
    ids.set(node, nodes.length);
    nodes.push(node);
    for (const child of node.children) {
      if (child !== undefined && typeof child !== 'number') {
        queue.push(child);
      }
    }
  }
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, index) => {
    node.children.forEach((child, side) => {
      const value =
        child === undefined
          ? nodeCount
          : typeof child === 'number'
            ? nodeCount + 16 + child
            : (ids.get(child) ?? 0);
      tree.writeUIntBE(value, index * 6 + side * 3, 3);
    });
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: 'Tessera test database' },
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'),
    metadata,
  ]);
}
