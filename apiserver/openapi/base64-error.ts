/**
 * base64Error: why upstream's decoder refuses a `[]byte` field's text (standard padded base64), in
 * the words of Go's `encoding/base64` (`illegal base64 data at input byte 3`), or undefined when it
 * decodes. Go skips line breaks; the offset counts them as it does.
 */

const ALPHABET = /[A-Za-z0-9+/]/;

export function base64Error(text: string): string | undefined {
  const illegalAt = (offset: number) => `illegal base64 data at input byte ${offset}`;
  // Quantum position of each significant character, and where the padding starts.
  let significant = 0;
  let paddingAt = -1;
  let lastQuantumStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\r' || c === '\n') continue;
    if (c === '=') {
      // Padding may only fill the third or fourth place of the last quantum.
      if (paddingAt < 0) {
        if (significant % 4 < 2) return illegalAt(i);
        paddingAt = significant;
      }
      significant++;
      continue;
    }
    if (paddingAt >= 0 || !ALPHABET.test(c)) return illegalAt(i);
    if (significant % 4 === 0) lastQuantumStart = i;
    significant++;
  }
  if (significant % 4 !== 0) return illegalAt(paddingAt >= 0 ? text.length : lastQuantumStart);
  return undefined;
}
