/** Reading a documentation page's shell blocks, for tests that run a page as printed. */

export interface ShBlock {
  /** The 1-based line of the opening fence. */
  line: number;
  code: string;
  /** The reason of a `<!-- not run: REASON -->` comment right above the block, if any. */
  notRun: string | undefined;
}

/** The `sh` blocks of a Markdown page, each with the reason of a `not run` comment right above it. */
export function shBlocks(markdown: string): ShBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i] !== '```sh') {
      continue;
    }
    const marker = /^<!-- not run: (.*) -->$/.exec(lines[i - 1] ?? '');
    const end = lines.indexOf('```', i + 1);
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), notRun: marker?.[1]?.trim() });
    i = end;
  }
  return blocks;
}
