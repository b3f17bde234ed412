/**
 * Pixels of a Secondary Capture: lines of text burned into an 8-bit
 * greyscale image with a 5 x 7 bitmap font (capitals, digits, punctuation),
 * scaled so that a PACS viewer shows it legibly without zooming.
 */

/** Each glyph: 7 rows of 5 columns, '#' lit. */
const GLYPHS: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '####. ....# ....# .###. ....# ....# ####.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. ..#.. .#...',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '_': '..... ..... ..... ..... ..... ..... #####',
  '/': '....# ...#. ...#. ..#.. .#... .#... #....',
  '%': '##..# ##..# ...#. ..#.. .#... #..## #..##',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  "'": '..#.. ..#.. .#... ..... ..... ..... .....',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
};

const ACCENTS: Record<string, string> = { À: 'A', Á: 'A', Â: 'A', Ä: 'A', Ç: 'C', È: 'E', É: 'E', Ê: 'E', Ë: 'E', Ï: 'I', Í: 'I', Ñ: 'N', Ó: 'O', Ö: 'O', Ü: 'U', Ú: 'U' };

/** What the font draws for a character: its capital, an accented capital without its accent, else '?'. */
export function drawable(text: string): string {
  return [...text.toUpperCase()].map((c) => (GLYPHS[c] ? c : GLYPHS[ACCENTS[c] ?? ''] ? ACCENTS[c]! : '?')).join('');
}

const SCALE = 3;
const CELL_W = 6 * SCALE;
const CELL_H = 10 * SCALE;
const MARGIN = 24;

/** Renders lines (upper-cased) white on black; the first line framed, as the marking of what the image is. */
export function secondaryCapturePixels(lines: string[]): { rows: number; columns: number; pixels: Uint8Array } {
  const texts = lines.map(drawable);
  const width = Math.max(...texts.map((t) => t.length)) * CELL_W;
  const columns = Math.ceil((width + 2 * MARGIN) / 16) * 16;
  const rows = Math.ceil((texts.length * CELL_H + 2 * MARGIN) / 16) * 16;
  const pixels = new Uint8Array(rows * columns);
  texts.forEach((line, n) => {
    const top = MARGIN + n * CELL_H;
    [...line].forEach((c, k) => {
      const glyph = GLYPHS[c]!.split(' ');
      const left = MARGIN + k * CELL_W;
      for (let y = 0; y < 7; y++) {
        for (let x = 0; x < 5; x++) {
          if (glyph[y]![x] !== '#') continue;
          for (let dy = 0; dy < SCALE; dy++) for (let dx = 0; dx < SCALE; dx++) pixels[(top + y * SCALE + dy) * columns + left + x * SCALE + dx] = 255;
        }
      }
    });
  });
  // A frame around the marking line.
  const frameTop = MARGIN - 8;
  const frameBottom = MARGIN + 7 * SCALE + 8;
  const frameRight = Math.min(columns - 1, MARGIN + texts[0]!.length * CELL_W + 4);
  for (let x = MARGIN - 8; x <= frameRight; x++) pixels[frameTop * columns + x] = pixels[frameBottom * columns + x] = 255;
  for (let y = frameTop; y <= frameBottom; y++) pixels[y * columns + MARGIN - 8] = pixels[y * columns + frameRight] = 255;
  return { rows, columns, pixels };
}
