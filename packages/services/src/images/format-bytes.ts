/** Sizes in error messages: "21.0 MB", "20 MB", "1.5 KB", "900 bytes". */
export function formatBytes(bytes: number): string {
  const MB = 1024 * 1024;
  if (bytes >= MB) return Number.isInteger(bytes / MB) ? `${bytes / MB} MB` : `${(bytes / MB).toFixed(1)} MB`;
  if (bytes >= 1024) return Number.isInteger(bytes / 1024) ? `${bytes / 1024} KB` : `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
