import { loadSharp } from './load-sharp.ts';

/** Longest side of the previews shown in lineage views. */
export const THUMBNAIL_SIZE = 256;

/** A small JPEG of an image, for lineage trees and job lists: a few KB instead of a megapixel. */
export async function makeThumbnail(image: Uint8Array): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const thumbnail = await sharp(image).rotate().resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer();
  return new Uint8Array(thumbnail);
}
