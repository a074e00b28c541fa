import type { ByteSource } from '../../shared/documents';

/**
 * The verifier on real generated documents, read through a byte source that counts what it
 * reads and streams in small chunks, as storage does.
 */
export function source(bytes: Uint8Array, chunkSize = 16 * 1024) {
  const reads: Array<[number, number]> = [];
  const src: ByteSource = {
    size: bytes.length,
    async read(offset, length) {
      reads.push([offset, length]);
      return bytes.slice(offset, offset + length);
    },
    async stream(offset, length) {
      reads.push([offset, length]);
      let at = offset;
      const end = offset + length;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= end) return controller.close();
          controller.enqueue(bytes.slice(at, Math.min(end, at + chunkSize)));
          at += chunkSize;
        },
      });
    },
  };
  return { src, reads, bytesRead: () => reads.reduce((n, [, l]) => n + l, 0) };
}
