/**
 * Follows the 5-byte TLS record headers of the inbound ciphertext so that the end of the transport
 * can be told apart: at a record boundary (a clean end, or truncation .NET also reads as 0) or
 * inside a record (an `IOError`). It reads the two length bytes of each header and nothing else:
 * records are neither parsed nor decrypted here.
 */
export class RecordBoundary {
  #headerSeen = 0;
  #lengthHigh = 0;
  #bodyLeft = 0;

  /** True when the bytes fed so far stop inside a record (its header or its body). */
  get insideRecord(): boolean {
    return this.#headerSeen !== 0 || this.#bodyLeft !== 0;
  }

  /**
   * How many bytes of `chunk`, from its start, belong to the record in progress: up to and
   * including its last byte, or all of them when it does not end in this chunk.
   */
  toRecordEnd(chunk: Uint8Array): number {
    const n = chunk.length;
    if (this.#bodyLeft > 0) return Math.min(this.#bodyLeft, n);
    // At or inside a header: the header's remaining bytes, then the body its length announces.
    const headerLeft = 5 - this.#headerSeen;
    if (n < headerLeft) return n;
    const high = this.#headerSeen > 3 ? this.#lengthHigh : chunk[3 - this.#headerSeen]!;
    const low = chunk[4 - this.#headerSeen]!;
    return Math.min(n, headerLeft + ((high << 8) | low));
  }

  feed(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, n - i);
        this.#bodyLeft -= take;
        i += take;
        continue;
      }
      // Header bytes: type(1) version(2) length(2).
      const at = this.#headerSeen;
      if (at === 3) this.#lengthHigh = chunk[i]!;
      else if (at === 4) this.#bodyLeft = (this.#lengthHigh << 8) | chunk[i]!;
      this.#headerSeen = at === 4 ? 0 : at + 1;
      i++;
    }
  }
}
