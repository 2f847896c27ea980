// Output and context-image sizes for Kontext. Mirrors diffusers' FluxKontextPipeline: a ratio is
// snapped to the closest entry of PREFERRED_KONTEXT_RESOLUTIONS, comparing (|ratio - w/h|, w, h) so
// that ties go to the narrower entry. The same rule and the test vectors in
// vectors/output-sizes.json are checked by the Python engine, so platform and engine agree on the
// size a request yields.

export interface Size {
  width: number;
  height: number;
}

export const PREFERRED_KONTEXT_RESOLUTIONS: readonly (readonly [number, number])[] = [
  [672, 1568], [688, 1504], [720, 1456], [752, 1392], [800, 1328], [832, 1248], [880, 1184],
  [944, 1104], [1024, 1024], [1104, 944], [1184, 880], [1248, 832], [1328, 800], [1392, 752],
  [1456, 720], [1504, 688], [1568, 672],
];

/** Aspect ratios accepted in requests: 21:9 (wide) to 9:21 (tall), as BFL documents for Kontext. */
export const ASPECT_RATIO_BOUNDS = { min: [9, 21], max: [21, 9] } as const;

const ASPECT_RATIO_PATTERN = /^([1-9][0-9]{0,3}):([1-9][0-9]{0,3})$/;

export type AspectRatioParse =
  | { ok: true; width: number; height: number }
  | { ok: false; reason: string };

export function parseAspectRatio(text: string): AspectRatioParse {
  const match = ASPECT_RATIO_PATTERN.exec(text);
  if (!match) {
    return { ok: false, reason: 'must look like "W:H" with whole numbers from 1 to 9999, e.g. "16:9"' };
  }
  const width = Number(match[1]);
  const height = Number(match[2]);
  const [maxW, maxH] = ASPECT_RATIO_BOUNDS.max;
  const [minW, minH] = ASPECT_RATIO_BOUNDS.min;
  // Integer cross-multiplication keeps the bounds exact (no float rounding at 21:9).
  if (width * maxH > height * maxW || width * minH < height * minW) {
    return { ok: false, reason: `must be between ${minW}:${minH} and ${maxW}:${maxH}` };
  }
  return { ok: true, width, height };
}

/** The preferred Kontext resolution for a width/height ratio, exactly as diffusers picks it. */
export function snapToKontextResolution(ratio: number): Size {
  let best: { diff: number; width: number; height: number } | undefined;
  for (const [width, height] of PREFERRED_KONTEXT_RESOLUTIONS) {
    const diff = Math.abs(ratio - width / height);
    if (
      best === undefined ||
      diff < best.diff ||
      (diff === best.diff && (width < best.width || (width === best.width && height < best.height)))
    ) {
      best = { diff, width, height };
    }
  }
  if (best === undefined) throw new Error('PREFERRED_KONTEXT_RESOLUTIONS is empty');
  return { width: Math.floor(best.width / 16) * 16, height: Math.floor(best.height / 16) * 16 };
}

/**
 * The output size of a request: from `aspect_ratio` when given, else from the first input
 * image's ratio, else square. Callers validate `aspectRatio` with parseAspectRatio first.
 */
export function outputSizeFor(options: { aspectRatio?: string | null; firstInput?: Size | null }): Size {
  if (options.aspectRatio) {
    const parsed = parseAspectRatio(options.aspectRatio);
    if (!parsed.ok) throw new RangeError(`aspect_ratio ${parsed.reason}`);
    return snapToKontextResolution(parsed.width / parsed.height);
  }
  if (options.firstInput) {
    return snapToKontextResolution(options.firstInput.width / options.firstInput.height);
  }
  return snapToKontextResolution(1);
}

/** The size an input image is resized to before the engine encodes it as context. */
export function contextSizeFor(input: Size): Size {
  return snapToKontextResolution(input.width / input.height);
}

export function megapixels(size: Size): number {
  return (size.width * size.height) / 1_000_000;
}
