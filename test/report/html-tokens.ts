/**
 * A small HTML tokenizer for tests: tags with their attributes, and the text
 * between them, following the HTML5 tokenizer's rules for what starts a tag
 * (`<` then a letter, `/` or `!`) and for quoted attribute values. Enough to
 * tell whether a document holds an element or an attribute, which is what
 * the escaping tests need; Chromium checks the same documents for real in
 * report-browser.test.ts.
 */
export interface Tag { name: string; attrs: Array<{ name: string; value: string }>; close: boolean }

export function tokenize(html: string): { tags: Tag[]; text: string[] } {
  const tags: Tag[] = [];
  const text: string[] = [];
  let i = 0;
  let buf = '';
  while (i < html.length) {
    const c = html[i]!;
    if (c === '<' && html.startsWith('<!--', i)) {
      const e = html.indexOf('-->', i + 4);
      i = e < 0 ? html.length : e + 3;
      continue;
    }
    if (c === '<' && /[A-Za-z/!]/.test(html[i + 1] ?? '')) {
      if (buf) { text.push(buf); buf = ''; }
      let j = i + 1;
      const close = html[j] === '/';
      if (close || html[j] === '!') j++;
      let name = '';
      while (j < html.length && /[^\s/>]/.test(html[j]!)) name += html[j++];
      const attrs: Tag['attrs'] = [];
      while (j < html.length && html[j] !== '>') {
        if (/[\s/]/.test(html[j]!)) { j++; continue; }
        let an = '';
        while (j < html.length && /[^\s/>=]/.test(html[j]!)) an += html[j++];
        let value = '';
        while (/\s/.test(html[j] ?? '')) j++;
        if (html[j] === '=') {
          j++;
          while (/\s/.test(html[j] ?? '')) j++;
          const q = html[j];
          if (q === '"' || q === "'") {
            const e = html.indexOf(q, j + 1);
            value = html.slice(j + 1, e < 0 ? html.length : e);
            j = e < 0 ? html.length : e + 1;
          } else {
            while (j < html.length && /[^\s>]/.test(html[j]!)) value += html[j++];
          }
        }
        if (an) attrs.push({ name: an.toLowerCase(), value });
      }
      tags.push({ name: name.toLowerCase(), attrs, close });
      // Raw text elements: their content is not markup.
      if (!close && (name.toLowerCase() === 'style' || name.toLowerCase() === 'script' || name.toLowerCase() === 'title')) {
        const end = html.toLowerCase().indexOf(`</${name.toLowerCase()}`, j);
        text.push(html.slice(j + 1, end < 0 ? html.length : end));
        i = end < 0 ? html.length : end;
        continue;
      }
      i = j + 1;
      continue;
    }
    buf += c;
    i++;
  }
  if (buf) text.push(buf);
  return { tags, text };
}

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const l = e.toLowerCase();
    if (l === 'amp') return '&';
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'quot') return '"';
    if (l === 'apos') return "'";
    return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
  });
}

/** RFC 4180 CSV records (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(s: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === '"' && s[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"' && f === '') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\r' && s[i + 1] === '\n') { row.push(f); rows.push(row); row = []; f = ''; i++; } else f += c;
  }
  if (f || row.length) { row.push(f); rows.push(row); }
  return rows;
}
