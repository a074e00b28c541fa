/** A byte count for people, in binary units with one decimal: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export const formatSize = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
