// The CommonMark structure `kubectl multus report` relies on, checked line by line and then by commonmark.js, the
// CommonMark reference parser (a dev dependency for this alone): fenced code blocks open and close where the writer
// meant (no line inside can close one early), <details> blocks are balanced with the blank lines that end their
// HTML blocks, no raw control or invisible character anywhere, and outside code nothing from the cluster can act
// as HTML, a link, an entity, a table, math or a mention. Used by the unit property tests and the e2e test.
import {Parser} from 'commonmark';
import {unsafeClass} from '../../source/ansi.js';

const rawUnsafe = new RegExp(`(?![\\t\\n])${unsafeClass}`, 'u');
// Our own lines in the report: the only HTML it writes.
const detailsOpen = /^<details><summary>([^<>]*)<\/summary>$/;

/** One fenced code block found: its fence, info string and content lines. */
export interface FencedBlock {
	fence: string;
	info: string;
	lines: string[];
}

/** The inline code spans of a line outside code blocks (after backslash escapes), or a problem. */
export function codeSpans(line: string): {spans: string[]; rest: string} | {problem: string} {
	const spans: string[] = [];
	let rest = '';
	for (let index = 0; index < line.length; ) {
		const char = line[index]!;
		if (char === '\\' && index + 1 < line.length && /[!-/:-@[-`{-~]/.test(line[index + 1]!)) {
			rest += ' ';
			index += 2;
			continue;
		}
		if (char !== '`') {
			rest += char;
			index++;
			continue;
		}
		const run = /^`+/.exec(line.slice(index))![0];
		// The closing run: the next run of exactly the same length.
		let search = index + run.length;
		let close = -1;
		while (search < line.length) {
			const next = line.indexOf('`', search);
			if (next < 0) break;
			const other = /^`+/.exec(line.slice(next))![0];
			if (other.length === run.length) {
				close = next;
				break;
			}
			search = next + other.length;
		}
		if (close < 0) return {problem: `unclosed code span ${run} in: ${line}`};
		spans.push(line.slice(index + run.length, close));
		index = close + run.length;
	}
	return {spans, rest};
}

/** What is wrong with `markdown`, structurally (empty when nothing is), and the code blocks in it. */
export function checkMarkdown(markdown: string): {problems: string[]; blocks: FencedBlock[]} {
	const problems: string[] = [];
	const blocks: FencedBlock[] = [];
	if (rawUnsafe.test(markdown)) problems.push(`a raw control or invisible character: ${JSON.stringify(rawUnsafe.exec(markdown)![0])}`);
	const lines = markdown.split('\n');
	let open: FencedBlock | undefined;
	let depth = 0;
	for (let index = 0; index < lines.length; index++) {
		const line = lines[index]!;
		if (open) {
			if (new RegExp(`^ {0,3}\`{${open.fence.length},}\\s*$`).test(line)) {
				if (line !== open.fence) problems.push(`line ${index + 1} closes a fence of ${open.fence.length} backticks with ${line.trim().length}`);
				blocks.push(open);
				open = undefined;
			} else open.lines.push(line);
			continue;
		}
		const fence = /^(`{3,})([^`]*)$/.exec(line);
		if (fence) {
			open = {fence: fence[1]!, info: fence[2]!, lines: []};
			continue;
		}
		if (/^ {0,3}(~{3,}|`{3,})/.test(line)) problems.push(`line ${index + 1} looks like a fence but is not one: ${line}`);
		if (line.startsWith('<details>')) {
			if (!detailsOpen.test(line)) problems.push(`line ${index + 1}: a <details> line with more than its summary: ${line}`);
			if (lines[index + 1] !== '') problems.push(`line ${index + 1}: <details> not followed by a blank line (its HTML block would swallow the Markdown after it)`);
			depth++;
			continue;
		}
		if (line === '</details>') {
			if (lines[index - 1] !== '') problems.push(`line ${index + 1}: </details> not after a blank line`);
			if (--depth < 0) problems.push(`line ${index + 1}: </details> without <details>`);
			continue;
		}
		if (/^ {4,}\S/.test(line) || /^\t/.test(line)) problems.push(`line ${index + 1} is indented as code: ${line}`);
		const spans = codeSpans(line);
		if ('problem' in spans) {
			problems.push(`line ${index + 1}: ${spans.problem}`);
			continue;
		}
		// Outside code spans and escapes: nothing that makes HTML, a link, an entity, a table, math or a mention.
		const acting = /[<>&[\]|$@]/.exec(spans.rest);
		if (acting) problems.push(`line ${index + 1}: an unescaped ${JSON.stringify(acting[0])} outside code: ${line}`);
	}
	if (open) problems.push(`a fence of ${open.fence.length} backticks is never closed`);
	if (depth !== 0) problems.push(`${depth} <details> never closed`);
	problems.push(...parsedProblems(markdown, blocks));
	return {problems, blocks};
}

/**
 * The same document through commonmark.js, the CommonMark reference parser: it must read exactly the fenced
 * blocks the lines above found, with the same content, and no HTML but our <details> lines, no link, no image.
 */
function parsedProblems(markdown: string, blocks: FencedBlock[]): string[] {
	const problems: string[] = [];
	const parsed: string[] = [];
	const walker = new Parser().parse(markdown).walker();
	for (let step = walker.next(); step; step = walker.next()) {
		if (!step.entering) continue;
		const {node} = step;
		if (node.type === 'code_block') {
			// commonmark.js keeps whether a code block was fenced in a field its types do not show.
			if (!(node as unknown as {_isFenced: boolean})._isFenced) problems.push(`CommonMark reads an indented code block: ${JSON.stringify(node.literal)}`);
			parsed.push(node.literal ?? '');
		} else if (node.type === 'html_inline') problems.push(`CommonMark reads inline HTML: ${node.literal}`);
		else if (node.type === 'html_block' && !(node.literal ?? '').split('\n').every(line => line === '' || line === '</details>' || detailsOpen.test(line))) {
			problems.push(`CommonMark reads an HTML block that is not ours: ${JSON.stringify(node.literal)}`);
		} else if (node.type === 'link' || node.type === 'image') problems.push(`CommonMark reads a ${node.type} to ${node.destination}`);
	}
	const found = blocks.map(block => (block.lines.length > 0 ? `${block.lines.join('\n')}\n` : ''));
	if (JSON.stringify(parsed) !== JSON.stringify(found)) {
		problems.push(`CommonMark reads ${parsed.length} fenced block(s), the writer meant ${found.length}${parsed.length === found.length ? ' (their contents differ)' : ''}`);
	}
	return problems;
}

/** Inline text as Markdown reads it back: backslash escapes removed. */
export function unescapeText(markdown: string): string {
	return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** A code span's content as CommonMark reads it back (one space stripped from each end when both have one). */
export function codeSpanContent(span: string): string {
	const run = /^`+/.exec(span)![0];
	const inner = span.slice(run.length, span.length - run.length);
	return inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner;
}
