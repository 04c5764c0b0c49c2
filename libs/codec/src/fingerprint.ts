// CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form, as the
// Avro specification defines it for single-object encoding. avsc only offers
// cryptographic hashes, so the 64-bit Rabin fingerprint is computed here.

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (fp & 1n ? EMPTY : 0n);
  return fp;
});

/** The fingerprint as the 8 little-endian bytes written after `C3 01`. */
export function crc64Avro(canonicalForm: string): Buffer {
  let fp = EMPTY;
  for (const byte of Buffer.from(canonicalForm, "utf8")) {
    fp = ((fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!) & MASK;
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}
