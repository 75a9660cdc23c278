/** Escaping for text from the record (scenario text, labels, notes are user input). */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text as HTML that is safe both as element content and inside a quoted attribute value:
 * `& < > " '` become references, so no tag, attribute or entity can be opened.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Code points XML 1.0 does not allow at all (not even as references): C0 controls other than
 * tab/LF/CR, lone surrogates, U+FFFE and U+FFFF.
 */
const XML_ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function stripXmlIllegal(text: string): string {
  return text.replace(XML_ILLEGAL, '');
}

const XML_ESCAPES: Record<string, string> = {
  ...HTML_ESCAPES,
  "'": '&apos;',
  // In an attribute value a literal tab or line break is normalised to a space; keep them.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Text for XML element content or a quoted attribute value. */
export function escapeXml(text: string): string {
  return stripXmlIllegal(text).replace(/[&<>"'\t\n\r]/g, (c) => XML_ESCAPES[c] ?? c);
}

/** Element content: like {@link escapeXml} but keeps line breaks and tabs as they are. */
export function escapeXmlText(text: string): string {
  return stripXmlIllegal(text).replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}
