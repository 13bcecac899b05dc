/**
 * Little-endian fields appended to a growing buffer, for the binary arguments of the limit
 * script (read there with Lua's `struct.unpack`): one argument instead of one per number spares
 * Redis a string per number and Lua a `tonumber` per field.
 */
export class BinaryWriter {
  #buffer: Buffer;
  #length = 0;

  constructor(capacity = 512) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.#length;
  }

  u8(value: number): void {
    this.#room(1);
    this.#buffer[this.#length++] = value;
  }

  u16(value: number): void {
    this.#room(2);
    this.#length = this.#buffer.writeUInt16LE(value, this.#length);
  }

  f64(value: number): void {
    this.#room(8);
    this.#length = this.#buffer.writeDoubleLE(value, this.#length);
  }

  /** Writes `value` (a u16) at `offset`, over what was written there. */
  u16At(offset: number, value: number): void {
    this.#buffer.writeUInt16LE(value, offset);
  }

  /** The bytes written so far (a view: do not write again once handed out). */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  #room(size: number): void {
    if (this.#length + size <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + size));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}
