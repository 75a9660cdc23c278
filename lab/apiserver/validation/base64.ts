/**
 * Go's base64.StdEncoding.DecodeString, which decodes `[]byte` fields (Secret.data,
 * ConfigMap.binaryData): padding required, CR/LF skipped. Returns the decoded length, or the
 * `illegal base64 data at input byte N` error with Go's offset.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Map([...ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const PAD = 0x3d;
const isNewline = (b: number | undefined): boolean => b === 0x0a || b === 0x0d;

export function decodeBase64(text: string): { length: number } | { error: string } {
  const src = Buffer.from(text, 'utf8');
  const fail = (offset: number) => ({ error: `illegal base64 data at input byte ${offset}` });
  let si = 0;
  let length = 0;
  while (si < src.length) {
    // One quantum: up to four symbols, as decodeQuantum reads them.
    let j = 0;
    let dlen = 4;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return { length };
        return fail(si - j);
      }
      const ch = src[si++];
      if (ch !== undefined && VALUE.has(ch)) continue;
      if (isNewline(ch)) {
        j--;
        continue;
      }
      if (ch !== PAD) return fail(si - 1);
      if (j < 2) return fail(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return fail(src.length);
        if (src[si] !== PAD) return fail(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) return fail(si);
      dlen = j;
      break;
    }
    length += dlen - 1;
  }
  return { length };
}
