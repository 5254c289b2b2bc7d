/**
 * `doc_md` as DOM, safely: a small Markdown subset (headings, paragraphs, lists, fenced and indented code,
 * block quotes, inline code, bold, italics, links) built with `h` and text nodes, never innerHTML, so HTML
 * in a DAG's docs shows as text and a script cannot run. Links keep only http(s) and mailto targets.
 */
import { h, type Child } from './dom.js';

const SAFE_LINK = /^(https?:|mailto:)/i;

/** Inline markup of one line of text: `code`, **bold**, *italic* / _italic_, [text](url). */
export function inline(text: string): Child[] {
  const out: Child[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    const [, code, bold, bold2, italic, italic2, label, href] = match;
    if (code !== undefined) out.push(h('code', null, code));
    else if (bold !== undefined || bold2 !== undefined) out.push(h('strong', null, inline(bold ?? bold2 ?? '')));
    else if (italic !== undefined || italic2 !== undefined) out.push(h('em', null, inline(italic ?? italic2 ?? '')));
    else if (label !== undefined && href !== undefined) {
      out.push(SAFE_LINK.test(href) ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, inline(label)) : `${label} (${href})`);
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Markdown text → block elements. */
export function renderMarkdown(source: string): HTMLElement {
  const root = h('div', { class: 'markdown' });
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  // Docstrings are indented like the code around them: drop the common indentation first.
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  const text = lines.map((line) => line.slice(common));
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) root.appendChild(h('p', null, inline(paragraph.join(' '))));
    paragraph = [];
  };
  for (let i = 0; i < text.length; i++) {
    const line = text[i]!;
    const fence = /^(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < text.length && !text[i]!.startsWith(fence[1]!); i++) code.push(text[i]!);
      root.appendChild(h('pre', null, h('code', null, code.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(heading[1]!.length + 2, 6) as 3 | 4 | 5 | 6;
      root.appendChild(h(`h${level}`, null, inline(heading[2]!)));
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]!);
      const items: Child[] = [];
      for (; i < text.length; i++) {
        const next = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(text[i]!);
        if (!next) break;
        items.push(h('li', null, inline(next[2]!)));
      }
      i--;
      root.appendChild(ordered ? h('ol', null, items) : h('ul', null, items));
      continue;
    }
    if (line.startsWith('>')) {
      flush();
      root.appendChild(h('blockquote', null, inline(line.replace(/^>\s?/, ''))));
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line.trim());
  }
  flush();
  return root;
}
