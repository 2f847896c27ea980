// A 5x7 bitmap font drawn as SVG rectangles, so the preview label renders identically on every
// machine: no system fonts, no font-config, no anti-aliasing differences between hosts.

const GLYPHS: Record<string, string> = {
  A: '01110 10001 10001 11111 10001 10001 10001',
  B: '11110 10001 10001 11110 10001 10001 11110',
  C: '01110 10001 10000 10000 10000 10001 01110',
  D: '11110 10001 10001 10001 10001 10001 11110',
  E: '11111 10000 10000 11110 10000 10000 11111',
  F: '11111 10000 10000 11110 10000 10000 10000',
  G: '01110 10001 10000 10111 10001 10001 01111',
  H: '10001 10001 10001 11111 10001 10001 10001',
  I: '01110 00100 00100 00100 00100 00100 01110',
  J: '00111 00010 00010 00010 00010 10010 01100',
  K: '10001 10010 10100 11000 10100 10010 10001',
  L: '10000 10000 10000 10000 10000 10000 11111',
  M: '10001 11011 10101 10101 10001 10001 10001',
  N: '10001 10001 11001 10101 10011 10001 10001',
  O: '01110 10001 10001 10001 10001 10001 01110',
  P: '11110 10001 10001 11110 10000 10000 10000',
  Q: '01110 10001 10001 10001 10101 10010 01101',
  R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110',
  T: '11111 00100 00100 00100 00100 00100 00100',
  U: '10001 10001 10001 10001 10001 10001 01110',
  V: '10001 10001 10001 10001 10001 01010 00100',
  W: '10001 10001 10001 10101 10101 10101 01010',
  X: '10001 10001 01010 00100 01010 10001 10001',
  Y: '10001 10001 01010 00100 00100 00100 00100',
  Z: '11111 00001 00010 00100 01000 10000 11111',
  '0': '01110 10001 10011 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  '-': '00000 00000 00000 11111 00000 00000 00000',
  ':': '00000 01100 01100 00000 01100 01100 00000',
  '.': '00000 00000 00000 00000 00000 01100 01100',
  '/': '00000 00001 00010 00100 01000 10000 00000',
  '[': '01110 01000 01000 01000 01000 01000 01110',
  ']': '01110 00010 00010 00010 00010 00010 01110',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Advance per character: the glyph plus one column of spacing. */
export const GLYPH_ADVANCE = 6;

/** SVG rectangles for `text` at (x, y), each font pixel `scale` image pixels wide. Unknown characters are blank. */
export function pixelTextRects(text: string, x: number, y: number, scale: number): string {
  const rects: string[] = [];
  [...text.toUpperCase()].forEach((char, index) => {
    const rows = GLYPHS[char]?.split(' ');
    if (!rows) return;
    const left = x + index * GLYPH_ADVANCE * scale;
    rows.forEach((row, rowIndex) => {
      // Merge horizontal runs of lit pixels into one rectangle each.
      let start = -1;
      for (let col = 0; col <= row.length; col++) {
        const lit = row[col] === '1';
        if (lit && start < 0) start = col;
        if (!lit && start >= 0) {
          rects.push(
            `<rect x="${left + start * scale}" y="${y + rowIndex * scale}" width="${(col - start) * scale}" height="${scale}"/>`,
          );
          start = -1;
        }
      }
    });
  });
  return rects.join('');
}

export function pixelTextWidth(text: string, scale: number): number {
  return text.length * GLYPH_ADVANCE * scale - scale;
}
