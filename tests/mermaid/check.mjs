// Parses every ```mermaid block of the Markdown files named on the command line with Mermaid's
// own parser (mermaid.parse), the way GitHub reads them before drawing. Prints each block that
// does not parse, with the file and the block's number, and exits 1 if any does not.
import { JSDOM } from 'jsdom';
import fs from 'node:fs';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let blocks = 0;
let bad = 0;
for (const file of process.argv.slice(2)) {
  const md = fs.readFileSync(file, 'utf8');
  const found = [...md.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const [i, block] of found.entries()) {
    blocks += 1;
    try {
      await mermaid.parse(block);
    } catch (e) {
      bad += 1;
      console.log(`${file}: chart ${i + 1} does not parse: ${String(e.message || e)}`);
    }
  }
}
console.log(`mermaid: ${blocks} charts in ${process.argv.length - 2} files, ${bad} that do not parse`);
if (blocks === 0 || bad > 0) process.exit(1);
